-- Answers at the ends of float8's range (issue 9, defects 5-8, 10 and 15).
-- The broad comparison with exact values is test/checks/check_float8_edges.py.
\set VERBOSITY terse

-- defect 6: far from both components the squared distances overflow, but
-- the nearer component must still win and the responsibilities stay finite
SELECT gmm_predict_proba(m, '{1e200}') AS proba, gmm_predict(m, '{1e200}') AS pred,
       gmm_predict_proba(m, '{-1e200}') AS proba_neg, gmm_predict(m, '{-1e200}') AS pred_neg
FROM (SELECT gmm('{0.5,0.5}', '{0,1}', '{1,1}', 'spherical') AS m) s;
-- the same for every covariance type, two dimensions, the tie broken by 2 units
SELECT t, gmm_predict(m, '{-1e300,1e300}') AS pred,
       round(((gmm_predict_proba(m, '{-1e300,1e300}'))[1])::numeric, 12) AS p1
FROM (VALUES ('full', gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,0,0,1, 1,0,0,1}', 'full')),
             ('tied', gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,0,0,1}', 'tied')),
             ('diag', gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,1, 1,1}', 'diag')),
             ('spherical', gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,1}', 'spherical'))) v(t, m);
-- a weight-0 component with a tiny covariance far away: no NaN at the real
-- component's mean (0 * inf in the forward substitution)
SELECT round(gmm_logpdf(m, '{0,0}')::numeric, 12) AS logpdf,
       round(gmm_pdf(m, '{0,0}')::numeric, 12) AS pdf,
       round((gmm_component_logpdf(m, '{0,0}'))[1]::numeric, 12) AS comp1,
       (gmm_component_logpdf(m, '{0,0}'))[2] AS comp2,
       gmm_predict(m, '{0,0}') AS pred, gmm_predict_proba(m, '{0,0}') AS proba
FROM (SELECT gmm('{1,0}', '{0,0, 1e300,0}', '{1,0,0,1, 1e-300,0,0,1e-300}') AS m) s;
-- a component log-density that fits float8 although |z|^2 does not
SELECT (gmm_component_logpdf(gmm('{0.5,0.5}', '{0,0, 1,0}', '{1e300, 1}', 'spherical'),
                             '{1e154,-1e154}'))[2] / -1e308 BETWEEN 0.9999999 AND 1.0000001 AS finite;
-- the conditional weights go to the nearer component too
SELECT gmm_weights(gmm_condition(gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,1}', 'spherical'), '{1}', '{1e200}')) AS w,
       gmm_regress(gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,0,0,1}', 'tied'), '{1}', '{-1e200}') AS reg;

-- defect 7: responsibilities sum to 1 far from the data
SELECT gmm_predict_proba(m, '{0,1e4}') AS proba,
       abs((gmm_predict_proba(m, '{0,1e4}'))[1] + (gmm_predict_proba(m, '{0,1e4}'))[2] - 1) < 1e-12 AS sums_to_1
FROM (SELECT gmm('{0.5,0.5}', '{-1,0, 1,0}', '{1e-6,1e-6}', 'spherical') AS m) s;

-- defect 8: divergences of valid models are numbers, not NaN
SELECT gmm_divergence(m) AS kl, gmm_divergence(m, 'bhattacharyya') AS bhatt
FROM (SELECT gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,1e-200, 3,1e-200}', 'diag') AS m) s;
SELECT round(((gmm_divergence(gmm('{0.5,0.5}', '{0, 1}', '{1e-300, 1e300}', 'diag'), 'bhattacharyya'))[1][2])::numeric, 9) AS bhatt_extreme,
       gmm_divergence(gmm('{1,0}', '{0,0, 1e300,0}', '{1,0,0,1, 1e-300,0,0,1e-300}')) AS kl_overflow;

-- defect 5: statistics that would overflow float8 are refused, naming the
-- cause; n_rows may not overflow on merge
\set VERBOSITY default
SELECT gmm_stats_agg(gmm('{1}', '{0}', '{1}', 'spherical'), ARRAY[x])
FROM (VALUES (1e200::float8), (-1e200), (3e200)) v(x);
SELECT gmm_stats_agg(gmm('{1}', '{0}', '{1e300}', 'spherical'), ARRAY[x])
FROM (VALUES (1e200::float8), (-1e200), (3e200)) v(x);
SELECT gmm_stats_agg(gmm('{1}', '{0}', '{1}', 'spherical'), ARRAY[x], 1e308)
FROM (VALUES (1::float8), (-1), (3)) v(x);
SELECT gmm_stats_accum(gmm_stats_accum(NULL, m, '{1e200}'), m, '{3e200}')
FROM (SELECT gmm('{1}', '{0}', '{1e300}', 'spherical') AS m) s;
SELECT gmm_em_step(gmm('{1}', '{0}', '{1e300}', 'spherical'), ARRAY[x])
FROM (VALUES (1e200::float8), (-1e200), (3e200)) v(x);
WITH s AS (SELECT ('{"n_rows":4503599627370496,"sum_weights":1,"sum_log_likelihood":-1,"nk":[1],"s1":[[0]],"s2":[[1]],"model":'
                   || gmm('{1}', '{0}', '{1}', 'spherical')::text || '}')::gmm_stats AS s)
SELECT gmm_stats_n_rows(gmm_stats_merge(s, s)) AS two_to_the_53,
       (gmm_stats_merge(s, s)::text)::gmm_stats::text = gmm_stats_merge(s, s)::text AS reads_back
FROM s;
WITH s AS (SELECT ('{"n_rows":4503599627370496,"sum_weights":1,"sum_log_likelihood":-1,"nk":[1],"s1":[[0]],"s2":[[1]],"model":'
                   || gmm('{1}', '{0}', '{1}', 'spherical')::text || '}')::gmm_stats AS s)
SELECT gmm_stats_n_rows(gmm_stats_merge(gmm_stats_merge(s, s), s)) FROM s;
SELECT gmm_stats_merge(s) FROM (SELECT ('{"n_rows":4503599627370496,"sum_weights":1,"sum_log_likelihood":-1,"nk":[1],"s1":[[0]],"s2":[[1]],"model":'
                   || gmm('{1}', '{0}', '{1}', 'spherical')::text || '}')::gmm_stats AS s
                                FROM generate_series(1, 3)) q;
-- moderate values still give statistics that read back
SELECT (s::text)::gmm_stats::text = s::text AS reads_back
FROM (SELECT gmm_stats_agg(gmm('{1}', '{0}', '{1}', 'spherical'), ARRAY[x]) AS s
      FROM (VALUES (1e-300::float8), (5e-324), (1e100)) v(x)) q;

-- defect 15: fits of values too large for float8 or of weights summing to
-- infinity say so instead of "became singular"
SELECT gmm_fit(ARRAY[x]::float8[], 2) FROM (VALUES (1e200::float8), (-1e200), (3e200), (2e200), (1), (5)) v(x);
SELECT gmm_fit(ARRAY[x * 1e155]::float8[], 2, '{"covariance_type":"diag"}') FROM generate_series(1, 20) x;
SELECT gmm_fit_weighted(ARRAY[x]::float8[], 1e308, 2) FROM generate_series(1, 20) x;

-- defect 10: a model whose text or jsonb form could not be produced is
-- refused when it is built (the binary form of this one is 92 MB, well under
-- 1 GB, but its jsonb form could pass jsonb's 256 MB)
SELECT gmm(array_fill(1.0, ARRAY[1]), array_fill(0::float8, ARRAY[3400]),
           array_fill(0::float8, ARRAY[3400 * 3400]), 'full') IS NOT NULL;
