-- gmm_fit: fitting by EM inside an aggregate
SET extra_float_digits = 0;

-- deterministic data: three well-separated 2-D clusters of 200 rows each
SELECT setseed(0.25);
CREATE TABLE fit_pts AS
SELECT i, c,
       ARRAY[c * 10 + sqrt(-2 * ln(random())) * cos(2 * pi() * random()),
             c * -5 + 0.5 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())]::float8[] AS x
FROM generate_series(0, 599) i, LATERAL (SELECT i % 3 AS c) s;

-- components sorted by their first mean coordinate, rounded
CREATE FUNCTION fit_summary(m gmm) RETURNS text LANGUAGE sql AS $$
  SELECT gmm_covariance_type(m) || ' k=' || gmm_n_components(m) || ' d=' || gmm_dimension(m) || ': ' ||
         string_agg(format('w=%s mu=(%s)', round(w::numeric, 3),
                           (SELECT string_agg(round(v::numeric, 1)::text, ',' ORDER BY o)
                            FROM unnest((gmm_means(m))[j:j][:]) WITH ORDINALITY u(v, o))),
                    ' ' ORDER BY (gmm_means(m))[j][1])
  FROM unnest(gmm_weights(m)) WITH ORDINALITY a(w, j)
$$;

-- the basic fit finds the three clusters
SELECT fit_summary(m), gmm_n_rows(m), gmm_converged(m), gmm_n_iter(m) BETWEEN 1 AND 100 AS iter_ok
FROM (SELECT gmm_fit(x, 3 ORDER BY i) m FROM fit_pts) s;

-- every covariance type, float8[] and real[] input
SELECT t, fit_summary(m), gmm_converged(m),
       round(gmm_log_likelihood(m)::numeric, 2) AS ll
FROM unnest(ARRAY['full', 'diag', 'spherical', 'tied']) t,
     LATERAL (SELECT gmm_fit(x, 3, jsonb_build_object('covariance_type', t) ORDER BY i) m FROM fit_pts) s;
SELECT fit_summary(gmm_fit(x::real[], 3 ORDER BY i)) FROM fit_pts;
-- real[] input equals float8[] input of the same values
SELECT (SELECT gmm_fit(x::real[], 3 ORDER BY i) FROM fit_pts) =
       (SELECT gmm_fit(x::real[]::float8[], 3 ORDER BY i) FROM fit_pts) AS real_equals_float8;

-- k = 1 is the maximum-likelihood Gaussian: the mean and the population
-- covariance (plus reg_covar on the diagonal)
WITH m AS (SELECT gmm_fit(x, 1) m FROM fit_pts),
     r AS (SELECT avg(x[1]) m1, avg(x[2]) m2, var_pop(x[1]) v11, covar_pop(x[1], x[2]) v12,
                  var_pop(x[2]) v22 FROM fit_pts)
SELECT abs((gmm_means(m))[1][1] - m1) < 1e-9 AS mean1, abs((gmm_means(m))[1][2] - m2) < 1e-9 AS mean2,
       abs((gmm_covariances(m))[1][1][1] - v11 - 1e-6) < 1e-9 AS var1,
       abs((gmm_covariances(m))[1][1][2] - v12) < 1e-9 AS cov12,
       abs((gmm_covariances(m))[1][2][2] - v22 - 1e-6) < 1e-9 AS var2,
       gmm_n_iter(m) AS n_iter, gmm_converged(m)
FROM m, r;

-- log_likelihood is the mean log-likelihood of the returned model: check it
-- by hand for a 1-D fit
CREATE TABLE fit_1d AS SELECT i, ARRAY[x[1]] AS x FROM fit_pts;
CREATE TABLE fit_1d_model AS SELECT gmm_fit(x, 2, '{"covariance_type": "diag"}') m FROM fit_1d;
WITH p AS (SELECT avg(ln(
               (gmm_weights(m))[1] * exp(-0.5 * (x[1] - (gmm_means(m))[1][1]) ^ 2 / (gmm_covariances(m))[1][1])
                 / sqrt(2 * pi() * (gmm_covariances(m))[1][1]) +
               (gmm_weights(m))[2] * exp(-0.5 * (x[1] - (gmm_means(m))[2][1]) ^ 2 / (gmm_covariances(m))[2][1])
                 / sqrt(2 * pi() * (gmm_covariances(m))[2][1]))) AS ll
           FROM fit_1d_model, fit_1d)
SELECT abs(gmm_log_likelihood(m) - ll) < 1e-12 AS ll_is_final_model,
       abs(gmm_bic(m) - (-2 * ll * 600 + 5 * ln(600))) < 1e-8 AS bic,
       abs(gmm_aic(m) - (-2 * ll * 600 + 2 * 5)) < 1e-8 AS aic
FROM p, fit_1d_model;

-- NULL rows are skipped; an empty or all-NULL group gives NULL
SELECT (SELECT gmm_fit(x, 3 ORDER BY i) FROM fit_pts) =
       (SELECT gmm_fit(x, 3 ORDER BY i)
        FROM (SELECT i, x FROM fit_pts UNION ALL SELECT 1000 + i, NULL FROM generate_series(1, 50) i) s)
       AS nulls_skipped;
SELECT gmm_fit(x, 3) IS NULL AS empty_is_null FROM fit_pts WHERE false;
SELECT gmm_fit(NULL::float8[], 3) IS NULL AS all_null_is_null FROM generate_series(1, 10);

-- GROUP BY: one model per group (k = 1: each cluster's mean), sorted and hashed
SELECT c, round((gmm_means(m))[1][1]::numeric, 1) AS mu1, round((gmm_means(m))[1][2]::numeric, 1) AS mu2,
       gmm_n_rows(m)
FROM (SELECT c, gmm_fit(x, 1) m FROM fit_pts GROUP BY c) s ORDER BY c;
SET enable_hashagg = off;
SELECT count(*) AS groups, bool_and(s.m = (SELECT gmm_fit(x, 2 ORDER BY i) FROM fit_pts p WHERE p.c = s.c)) AS equal_separate
FROM (SELECT c, gmm_fit(x, 2 ORDER BY i) m FROM fit_pts GROUP BY c) s;
RESET enable_hashagg;
SET enable_sort = off;
SELECT count(*) AS groups, bool_and(s.m = (SELECT gmm_fit(x, 2 ORDER BY i) FROM fit_pts p WHERE p.c = s.c)) AS equal_separate
FROM (SELECT c, gmm_fit(x, 2 ORDER BY i) m FROM fit_pts GROUP BY c) s;
RESET enable_sort;

-- the final function may run more than once on one state: as a window
-- aggregate, and with the state shared by two calls
SELECT i, gmm_n_rows(m), round((gmm_means(m))[1][1]::numeric, 3) AS mu
FROM (SELECT i, gmm_fit(x, 1) OVER (ORDER BY i) m FROM fit_pts WHERE i < 4) s;
SELECT gmm_fit(x, 3 ORDER BY i) = gmm_fit(x, 3 ORDER BY i) AS shared_state FROM fit_pts;

-- seeded reproducibility: the same seed gives the same model; every init
-- method finds the clusters; n_init keeps the best run
SELECT (SELECT gmm_fit(x, 3, '{"seed": 42, "init": "random"}' ORDER BY i) FROM fit_pts) =
       (SELECT gmm_fit(x, 3, '{"seed": 42, "init": "random"}' ORDER BY i) FROM fit_pts) AS same_seed_same_model;
SELECT init, fit_summary(m)
FROM unnest(ARRAY['kmeans', 'kmeans++', 'random']) init,
     LATERAL (SELECT gmm_fit(x, 3, jsonb_build_object('init', init, 'seed', 7) ORDER BY i) m FROM fit_pts) s;
SELECT count(DISTINCT m::text) AS distinct_models_of_4_seeds
FROM (SELECT s, gmm_fit(x, 6, jsonb_build_object('init', 'random', 'seed', s, 'max_iter', 3) ORDER BY i)::text m
      FROM fit_pts, generate_series(1, 4) s GROUP BY s) runs;
-- the first of n_init runs is the single run with the same seed: the best is no worse
SELECT gmm_log_likelihood(b) >= gmm_log_likelihood(a) AS n_init_no_worse,
       gmm_log_likelihood(b) > gmm_log_likelihood(a) AS n_init_better
FROM (SELECT gmm_fit(x, 6, '{"init": "random", "seed": 1, "max_iter": 3}' ORDER BY i) a,
             gmm_fit(x, 6, '{"init": "random", "seed": 1, "max_iter": 3, "n_init": 4}' ORDER BY i) b
      FROM fit_pts) s;

-- options: max_iter caps the iterations, tol 0 never converges
SELECT gmm_n_iter(m), gmm_converged(m)
FROM (SELECT gmm_fit(x, 3, '{"max_iter": 2, "tol": 0}') m FROM fit_pts) s;
-- JSON null keeps the default
SELECT gmm_fit(x, 3, '{"max_iter": null, "seed": null}' ORDER BY i) = gmm_fit(x, 3 ORDER BY i) AS null_is_default
FROM fit_pts;

-- a given start: with max_iter 0 the model is the start itself
SELECT gmm_weights(m), gmm_means(m), gmm_covariances(m), gmm_n_iter(m), gmm_converged(m)
FROM (SELECT gmm_fit(x, 2, '{"max_iter": 0, "covariance_type": "spherical", "weights": [0.25, 0.75],
                              "means": [[0, 0], [10, -5]], "covariances": [1, 2]}') m FROM fit_pts) s;
-- given means alone: weights and covariances come from the rows nearest each mean
SELECT fit_summary(m), gmm_n_iter(m)
FROM (SELECT gmm_fit(x, 3, '{"max_iter": 0, "init": "given", "means": [[0, 0], [10, -5], [20, -10]]}') m FROM fit_pts) s;
-- and EM from there finds the clusters
SELECT fit_summary(gmm_fit(x, 3, '{"means": [[1, 1], [9, -4], [19, -9]]}')) FROM fit_pts;

-- a component that loses all its weight is re-seeded at the worst-fitted row
-- (here the start puts it far from every row), never left empty or NaN
SELECT gmm_n_iter(gmm_fit(x, 3, '{"means": [[0, 0], [10, -5], [1000, 1000]], "max_iter": 1, "verbose": true}'))
FROM fit_pts;
SELECT fit_summary(m), gmm_converged(m)
FROM (SELECT gmm_fit(x, 3, '{"means": [[0, 0], [10, -5], [1000, 1000]]}') m FROM fit_pts) s;

-- choosing k: every k from the k argument to k_max, best BIC (or AIC) kept
SELECT gmm_n_components(m), round(gmm_bic(m)::numeric, 0) = round(min_bic::numeric, 0) AS is_min_bic
FROM (SELECT gmm_fit(x, 1, '{"k_max": 6}' ORDER BY i) m FROM fit_pts) s,
     (SELECT min(gmm_bic(m)) min_bic
      FROM (SELECT k, gmm_fit(x, k ORDER BY i) m FROM fit_pts, generate_series(1, 6) k GROUP BY k) f) b;
SELECT gmm_n_components(gmm_fit(x, 2, '{"k_max": 5, "criterion": "aic", "covariance_type": "diag"}')) FROM fit_pts;
-- k_max beyond the number of distinct rows is capped
SELECT gmm_n_components(gmm_fit(x, 1, '{"k_max": 10}'))
FROM (VALUES (ARRAY[0, 0]::float8[]), (ARRAY[0, 0]), (ARRAY[9, 9]), (ARRAY[9, 9.5]), (ARRAY[0, 0.5])) v(x);

-- weighted fitting: integer weights equal repeated rows; zero weights and
-- NULL weights are ignored
CREATE TABLE fit_w AS SELECT i, x, (i % 4)::float8 AS w FROM fit_pts;
WITH a AS (SELECT gmm_fit_weighted(x, w, 3, '{"means": [[0, 0], [10, -5], [20, -10]], "tol": 1e-10}') m FROM fit_w),
     b AS (SELECT gmm_fit(x, 3, '{"means": [[0, 0], [10, -5], [20, -10]], "tol": 1e-10}') m
           FROM fit_w, generate_series(1, 3) r WHERE r <= w)
SELECT gmm_n_rows(a.m), gmm_n_rows(b.m),
       abs(gmm_log_likelihood(a.m) - gmm_log_likelihood(b.m)) < 1e-10 AS same_ll,
       (SELECT max(abs(u - v)) FROM unnest(gmm_means(a.m), gmm_means(b.m)) t(u, v)) < 1e-9 AS same_means,
       (SELECT max(abs(u - v)) FROM unnest(gmm_covariances(a.m), gmm_covariances(b.m)) t(u, v)) < 1e-9 AS same_covs
FROM a, b;
SELECT (SELECT gmm_fit_weighted(x, w, 3 ORDER BY i) FROM fit_w) =
       (SELECT gmm_fit_weighted(x, w, 3 ORDER BY i)
        FROM (SELECT i, x, w FROM fit_w UNION ALL SELECT 1000 + i, ARRAY[i, i]::float8[], 0 FROM generate_series(1, 20) i
              UNION ALL SELECT 2000, ARRAY[5, 5]::float8[], NULL) s) AS zero_and_null_weights_ignored;
SELECT gmm_fit_weighted(x, w, 3) = gmm_fit(x, 3) AS unit_weights_equal_unweighted
FROM (SELECT i, x, 1.0::float8 AS w FROM fit_pts ORDER BY i) s;
-- integer weights need no cast
SELECT gmm_n_rows(gmm_fit_weighted(x, i % 2, 2)) FROM fit_pts;

-- no combine function: under a parallel plan the rows are gathered and
-- fitted by one process, with the same result
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT gmm_fit(x, 3) FROM fit_pts;
SELECT fit_summary(gmm_fit(x, 3)) FROM fit_pts;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- verbose: a NOTICE per iteration
SELECT gmm_n_iter(gmm_fit(x, 1, '{"verbose": true}'))
FROM (VALUES (ARRAY[0, 0]::float8[]), (ARRAY[1, 0]), (ARRAY[0, 1]), (ARRAY[1, 1])) v(x);

-- a long fit stops promptly on statement_timeout
CREATE TABLE fit_big AS SELECT i, ARRAY[i % 97, i % 89, i % 83]::float8[] AS x FROM generate_series(1, 20000) i;
SET statement_timeout = '300ms';
SELECT gmm_fit(x, 8, '{"tol": 0, "max_iter": 1000000}') FROM fit_big;
RESET statement_timeout;

DROP TABLE fit_pts, fit_1d, fit_1d_model, fit_w, fit_big;
DROP FUNCTION fit_summary(gmm);
