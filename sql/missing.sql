-- Incomplete rows: option "missing" ("error" | "marginalize")
SET extra_float_digits = 0;
SET client_min_messages = error;  -- the not-converged WARNING of short fits
CREATE TABLE mi (i int, x float8[]);
INSERT INTO mi SELECT i, ARRAY[CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 2) * 6 + (i % 7) * 0.3 END,
	(i % 2) * 4 + (i % 11) * 0.2,
	CASE WHEN i % 6 = 0 THEN 'NaN' ELSE (i % 13) * 0.1 END]
	FROM generate_series(1, 200) i;
INSERT INTO mi VALUES (201, '{NULL,NULL,NaN}'), (202, '{NaN,NaN,NaN}');
-- the default stays an error, with today's messages
SELECT gmm_fit(x, 2) FROM mi;
SELECT gmm_fit(x, 2, '{"missing": "error"}') FROM mi WHERE i % 5 <> 0;
-- wrong option values
SELECT gmm_fit(x, 2, '{"missing": "drop"}') FROM mi;
SELECT gmm_fit(x, 2, '{"missing": true}') FROM mi;
SELECT gmm_em_step(gmm('{1}', '{0,0,0}', '{1,1,1}', 'diag'), x, 1, '{"missing": "ignore"}') FROM mi;
SELECT gmm_train('mi', 'x', 2, '{"missing": "marginalise"}');
-- incomplete rows spill past gmm.fit_memory_limit like complete rows (NaN
-- for the missing values), as float8 or float4: the model is the one fitted
-- in memory, bit for bit, for every covariance type, weighted or not, with
-- about 10% (group 1) and 40% (group 2) of the values missing
CREATE TABLE mi_big AS
SELECT g, CASE WHEN i % 997 = 0 THEN '{NULL,NULL,NULL}'::float8[] ELSE ARRAY[
	CASE WHEN abs(sin(i * 1.3 + 0.2)) < t THEN NULL ELSE (i % 3) * 4 + sin(i * 1.7) * 1.3 END,
	CASE WHEN abs(sin(i * 2.9 + 0.5)) < t THEN NULL ELSE (i % 2) * 3 + cos(i * 0.9) * 0.8 END,
	CASE WHEN abs(sin(i * 0.7 + 0.9)) < t THEN 'NaN' ELSE sin(i * 0.31) + (i % 3) END] END AS x,
	1 + (i % 5) * 0.25 AS w
FROM generate_series(1, 5000) i, (VALUES (1, 0.156), (2, 0.588)) v(g, t);
SELECT g, round(avg(nm)::numeric / 3, 2) AS missing_fraction
FROM (SELECT g, (SELECT count(*) FILTER (WHERE e IS NULL OR e = 'NaN') FROM unnest(x) e) AS nm
	  FROM mi_big) s
GROUP BY g ORDER BY g;
CREATE TEMP TABLE mi_opts AS
SELECT jsonb_build_object('missing', 'marginalize', 'covariance_type', t, 'seed', 5,
						  'max_iter', 15) AS o
FROM unnest(ARRAY['full', 'tied', 'diag', 'spherical']) t;
CREATE TEMP TABLE mi_mem AS
SELECT g, o, gmm_fit(x, 3, o)::text AS m, gmm_fit_weighted(x, w, 3, o)::text AS mw,
	gmm_fit(x::real[], 3, o || '{"storage": "float4"}')::text AS m4
FROM mi_big, mi_opts GROUP BY g, o;
SET gmm.fit_memory_limit = '64kB';
CREATE TEMP TABLE mi_spill AS
SELECT g, o, gmm_fit(x, 3, o)::text AS m, gmm_fit_weighted(x, w, 3, o)::text AS mw,
	gmm_fit(x::real[], 3, o || '{"storage": "float4"}')::text AS m4
FROM mi_big, mi_opts GROUP BY g, o;
RESET gmm.fit_memory_limit;
SELECT g, o ->> 'covariance_type' AS cov, a.m = b.m AS same, a.mw = b.mw AS same_weighted,
	a.m4 = b.m4 AS same_float4
FROM mi_mem a JOIN mi_spill b USING (g, o) ORDER BY g, 2;
SELECT count(*) AS temp_files_left FROM pg_ls_tmpdir();
-- float4 storage of float4 data fits the same values as float8 storage
SELECT g, o ->> 'covariance_type' AS cov,
	a.m4 = (SELECT gmm_fit(x::real[], 3, o)::text FROM mi_big b WHERE b.g = a.g) AS float4_equals_float8,
	(a.m4::gmm::jsonb -> 'fit') - 'log_likelihood'::text AS fit
FROM mi_mem a ORDER BY g, 2;
-- parallel plans: gmm_score_observed and the counts of gmm_stats_agg equal
-- the serial ones
CREATE TEMP TABLE mi_serial AS
SELECT g, gmm_score_observed(m::gmm, x) AS score, gmm_stats_agg(m::gmm, x, 1, '{"missing": "marginalize"}') AS s
FROM mi_big JOIN mi_mem USING (g) WHERE o ->> 'covariance_type' = 'full' GROUP BY g, m;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SELECT abs(p.score / s.score - 1) < 1e-12 AS score_same,
	gmm_stats_n_rows(p.s) = gmm_stats_n_rows(s.s) AS rows_same,
	gmm_stats_n_rows_skipped(p.s) = gmm_stats_n_rows_skipped(s.s) AS skipped_same,
	gmm_stats_n_values_missing(p.s) = gmm_stats_n_values_missing(s.s) AS missing_same,
	abs(gmm_stats_log_likelihood(p.s) / gmm_stats_log_likelihood(s.s) - 1) < 1e-12 AS ll_same
FROM mi_serial s, (SELECT gmm_score_observed(m::gmm, x) AS score, gmm_stats_agg(m::gmm, x, 1, '{"missing": "marginalize"}') AS s
	FROM mi_big JOIN mi_mem USING (g) WHERE g = 2 AND o ->> 'covariance_type' = 'full' GROUP BY m) p
WHERE s.g = 2;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
-- variational fits do not take incomplete rows (yet)
SELECT gmm_fit(x, 2, '{"missing": "marginalize", "prior": {}}') FROM mi;
-- a fit on incomplete rows: rows used, skipped (all missing), values missing
CREATE TABLE mi_m AS SELECT gmm_fit(x, 2, '{"missing": "marginalize", "seed": 3}') AS m FROM mi;
SELECT gmm_n_rows(m), gmm_n_rows_used(m), gmm_n_rows_skipped(m), gmm_n_values_missing(m),
	gmm_converged(m) FROM mi_m;
SELECT (m::text)::gmm = m AS text_round_trip, (m::jsonb)::gmm = m AS jsonb_round_trip,
	(m::jsonb -> 'fit') - 'log_likelihood'::text AS fit FROM mi_m;
-- gmm_train gives the same model as gmm_fit, and from a start model too
SELECT gmm_train('mi', 'x', 2, '{"missing": "marginalize", "seed": 3}') = m AS train_equals_fit,
	gmm_n_rows_skipped(gmm_train('mi', 'x', m, '{"missing": "marginalize"}')) AS skipped
	FROM mi_m;
-- gmm_em_step with the option equals one iteration of gmm_fit
SELECT gmm_means(gmm_em_step(s.m, x, 1, '{"missing": "marginalize"}')) =
	gmm_means(gmm_fit(x, 2, '{"missing": "marginalize", "seed": 3, "max_iter": 2, "tol": 0}')) AS em_step_equals_fit
	FROM mi, (SELECT gmm_fit(x, 2, '{"missing": "marginalize", "seed": 3, "max_iter": 1, "tol": 0}') m FROM mi) s;
-- every covariance type, weighted, k range
SELECT t, gmm_n_rows_used(gmm_fit(x, 2, jsonb_build_object('missing', 'marginalize', 'covariance_type', t)))
	FROM mi, unnest(ARRAY['full', 'diag', 'spherical', 'tied']) t GROUP BY t ORDER BY t;
SELECT gmm_n_rows_used(m), gmm_n_components(m) FROM
	(SELECT gmm_fit_weighted(x, 1 + i % 3, 1, '{"missing": "marginalize", "k_max": 3}') m FROM mi) s;
-- a model without the section: NULL accessors
SELECT gmm_n_rows_used(gmm_fit(x, 2)), gmm_n_rows_skipped(gmm('{1}', '{0}', '{1}')) FROM mi WHERE i % 30 = 1;
-- all-missing groups give NULL, as no rows do
SELECT i % 2 AS g, gmm_fit(x, 1, '{"missing": "marginalize"}') IS NULL AS null_model
	FROM mi WHERE i > 200 GROUP BY 1 ORDER BY 1;
SELECT gmm_em_step(gmm('{1}', '{0,0,0}', '{1,1,1}', 'diag'), x, 1, '{"missing": "marginalize"}') IS NULL
	FROM mi WHERE i > 200;
-- invalid observed-data metadata
SELECT '{"covariance_type":"diag","weights":[1],"means":[[0]],"covariances":[[1]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":true,"n_rows_used":1}}'::gmm;
SELECT '{"covariance_type":"diag","weights":[1],"means":[[0]],"covariances":[[1]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":true,"n_rows_used":0,"n_rows_skipped":0,"n_values_missing":0}}'::gmm;
SELECT '{"covariance_type":"diag","weights":[1],"means":[[0]],"covariances":[[1]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":true,"n_rows_used":1.5,"n_rows_skipped":0,"n_values_missing":0}}'::gmm;
SELECT '{"covariance_type":"diag","weights":[1],"means":[[0]],"covariances":[[1]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":true,"n_rows_used":3,"n_rows_skipped":2,"n_values_missing":1}}'::gmm;
-- scoring by the observed dimensions
SELECT gmm_logpdf_observed(m, '{NULL,NULL,NULL}') IS NULL AS all_missing,
	gmm_predict_observed(m, '{NaN,NaN,NaN}') IS NULL AS all_nan,
	gmm_logpdf_observed(m, '{6,4,0.5}') = gmm_logpdf(m, '{6,4,0.5}') AS complete_same,
	gmm_predict_proba_observed(m, '{6,4,0.5}') = gmm_predict_proba(m, '{6,4,0.5}') AS proba_same,
	gmm_predict_observed(m, '{NULL,4,NULL}') = gmm_predict(m, '{6,4,0.5}') AS same_cluster,
	abs(gmm_logpdf_observed(m, '{NULL,4,NaN}') - gmm_logpdf(gmm_marginal(m, '{2}'), '{4}')) < 1e-12 AS marginal
	FROM mi_m;
SELECT gmm_logpdf_observed(m, '{1,Infinity,NULL}') FROM mi_m;
SELECT gmm_logpdf_observed(m, '{1,NULL}') FROM mi_m;
SELECT gmm_predict_proba_observed(m, '{{1,2,3}}') FROM mi_m;
SELECT gmm_logpdf_observed(m, NULL) IS NULL FROM mi_m;
-- rows whose observed values make a component's covariance singular (dimension 2
-- is constant wherever it is observed): an error naming the component
SELECT gmm_fit(ARRAY[i, CASE WHEN i % 3 = 0 THEN NULL ELSE 5 END, CASE WHEN i % 4 = 0 THEN 'NaN' ELSE i * 0.5 + (i % 3) END],
	1, '{"missing": "marginalize", "reg_covar": 0}')
	FROM generate_series(1, 30) i;
SELECT gmm_em_step(gmm('{1}', '{0,5,0}', '{1,1,1}', 'diag'), ARRAY[i, 5, CASE WHEN i % 4 = 0 THEN 'NaN'::float8 ELSE i END],
	1, '{"missing": "marginalize"}') IS NOT NULL AS ridge_keeps_it_definite
	FROM generate_series(1, 30) i;
-- gmm_stats of incomplete rows count the rows used, the rows skipped (every
-- value missing) and the values missing, as gmm_fit does; the counts merge
-- exactly and go through the text, jsonb and binary forms
CREATE TABLE mi_s AS SELECT gmm_stats_agg((SELECT m FROM mi_m), x, 1, '{"missing": "marginalize"}') AS s FROM mi;
SELECT gmm_stats_n_rows(s), gmm_stats_n_rows_skipped(s), gmm_stats_n_values_missing(s),
	(s::jsonb) - 'nk' - 's1' - 's2' - 'model' - 'sum_log_likelihood' - 'sum_weights' AS counts,
	(s::text)::gmm_stats::text = s::text AS text_round_trip,
	(s::jsonb)::gmm_stats::text = s::text AS jsonb_round_trip
	FROM mi_s;
SELECT gmm_stats_n_rows_skipped(gmm_stats_merge(a, b)) AS skipped, gmm_stats_n_values_missing(gmm_stats_merge(a, b)) AS missing,
	gmm_stats_n_values_missing(gmm_stats_merge(a, NULL)) AS missing_a,
	gmm_stats_n_values_missing(gmm_stats_merge(c, a)) AS merged_with_plain
	FROM (SELECT gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') FILTER (WHERE i % 2 = 0) a,
	             gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') FILTER (WHERE i % 2 = 1) b,
	             gmm_stats_agg(m, x) FILTER (WHERE i % 2 = 1 AND i % 5 <> 0 AND i % 6 <> 0 AND i <= 200) c
	      FROM mi, mi_m GROUP BY m) t;
-- gmm_em_step and gmm_stats_to_model give the observed-data section of gmm_fit
SELECT (gmm_em_step(m, x, 1, '{"missing": "marginalize"}')::jsonb -> 'fit') - 'log_likelihood' - 'n_iter' AS em_step_fit,
	gmm_stats_to_model(gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}'))::text =
	gmm_em_step(m, x, 1, '{"missing": "marginalize"}')::text AS to_model_equals_em_step,
	gmm_n_rows_skipped(gmm_stats_to_model(gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}'), '{"reg_covar": 1e-3}')) AS skipped
	FROM mi, mi_m GROUP BY m;
-- statistics without the option have no counts (and the text form no keys)
SELECT gmm_stats_n_rows_skipped(s) IS NULL AS no_skipped, gmm_stats_n_values_missing(s) IS NULL AS no_missing,
	s::jsonb ? 'n_rows_skipped' AS has_key, gmm_n_rows_skipped(gmm_stats_to_model(s)) IS NULL AS no_section
	FROM (SELECT gmm_stats_agg(m, x) AS s FROM mi, mi_m WHERE i % 5 <> 0 AND i % 6 <> 0 AND i <= 200 GROUP BY m) t;
-- a group of all-missing rows: statistics without rows that count them; no model
SELECT gmm_stats_n_rows(s), gmm_stats_n_rows_skipped(s), gmm_stats_n_values_missing(s),
	gmm_stats_log_likelihood(s) IS NULL AS no_ll
	FROM (SELECT gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') AS s FROM mi, mi_m WHERE i > 200 GROUP BY m) t;
SELECT gmm_stats_to_model(gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}')) FROM mi, mi_m WHERE i > 200 GROUP BY m;
-- ... and as a plain function, state argument untouched
SELECT gmm_stats_n_rows_skipped(gmm_stats_accum(gmm_stats_accum(NULL, m, '{NULL,NULL,NULL}', 1, '{"missing": "marginalize"}'),
	m, '{1,NULL,2}', 2, '{"missing": "marginalize"}')) AS skipped,
	gmm_stats_n_values_missing(gmm_stats_accum(NULL, m, '{1,NULL,2}', 2, '{"missing": "marginalize"}')) AS missing,
	gmm_stats_accum(NULL, m, '{NULL,NULL,NULL}', 0, '{"missing": "marginalize"}') IS NULL AS weight_0_not_counted
	FROM mi_m;
-- invalid counts in the text form
SELECT '{"n_rows":2,"n_rows_skipped":1,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0,0]],"s2":[[0,0,0]],"model":{"covariance_type":"full","weights":[1],"means":[[0,0]],"covariances":[[[1,0],[0,1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"n_rows_skipped":-1,"n_values_missing":0,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0,0]],"s2":[[0,0,0]],"model":{"covariance_type":"full","weights":[1],"means":[[0,0]],"covariances":[[[1,0],[0,1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"n_rows_skipped":0,"n_values_missing":3,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0,0]],"s2":[[0,0,0]],"model":{"covariance_type":"full","weights":[1],"means":[[0,0]],"covariances":[[[1,0],[0,1]]]}}'::gmm_stats;
SELECT gmm_stats_n_values_missing('{"n_rows":2,"n_rows_skipped":5,"n_values_missing":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0,0]],"s2":[[0,0,0]],"model":{"covariance_type":"full","weights":[1],"means":[[0,0]],"covariances":[[[1,0],[0,1]]]}}'::gmm_stats) AS missing;
-- gmm_score_observed: the mean of gmm_logpdf_observed over the rows with an
-- observed value (all-missing and NULL rows skipped); gmm_score on complete rows
SELECT abs(gmm_score_observed(m, x) / avg(gmm_logpdf_observed(m, x)) - 1) < 1e-12 AS agrees,
	count(gmm_logpdf_observed(m, x)) AS scored
	FROM (SELECT x FROM mi UNION ALL SELECT NULL) t, mi_m GROUP BY m;
SELECT gmm_score_observed(m, x) = gmm_score(m, x) AS complete_same
	FROM mi, mi_m WHERE i % 5 <> 0 AND i % 6 <> 0 AND i <= 200 GROUP BY m;
SELECT gmm_score_observed(m, x) IS NULL AS all_missing_null FROM mi, mi_m WHERE i > 200 GROUP BY m;
SELECT gmm_score_observed(m, '{1,NULL}') FROM mi_m;
DROP TABLE mi, mi_m, mi_s;
-- weighted gmm_em_step with the option equals gmm_fit_weighted's iteration
CREATE TABLE mi2 AS SELECT i, ARRAY[CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 2) * 6 + (i % 7) * 0.3 END,
	(i % 2) * 4 + (i % 11) * 0.2, CASE WHEN i % 6 = 0 THEN 'NaN' ELSE (i % 13) * 0.1 END]::float8[] AS x,
	1 + i % 3 AS w FROM generate_series(1, 100) i;
SELECT gmm_means(gmm_em_step(s.m, x, w, '{"missing": "marginalize"}')) =
	gmm_means(gmm_fit_weighted(x, w, 2, '{"missing": "marginalize", "seed": 3, "max_iter": 2, "tol": 0}')) AS weighted_em_step_equals_fit
	FROM mi2, (SELECT gmm_fit_weighted(x, w, 2, '{"missing": "marginalize", "seed": 3, "max_iter": 1, "tol": 0}') m FROM mi2) s;
-- the statistics of incomplete rows merge: two halves equal the whole
SELECT abs(gmm_stats_log_likelihood(gmm_stats_merge(a, b)) - gmm_stats_log_likelihood(c)) < 1e-12 AS halves_merge,
	gmm_stats_n_rows(gmm_stats_merge(a, b)) = gmm_stats_n_rows(c) AS same_rows
	FROM (SELECT gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') FILTER (WHERE i % 2 = 0) a,
	             gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') FILTER (WHERE i % 2 = 1) b,
	             gmm_stats_agg(m, x, 1, '{"missing": "marginalize"}') c
	      FROM mi2, (SELECT gmm_fit(x, 2, '{"missing": "marginalize", "max_iter": 1}') m FROM mi2) s) t;
DROP TABLE mi2;
