-- No silent foot-guns: the weighted fit has its own name, fits that reach
-- max_iter warn once per statement, options must be an object, and the
-- settings are visible once the library is loaded.

-- settings: defined when the library loads (first gmm call, LOAD, or
-- session_preload_libraries / shared_preload_libraries)
SHOW gmm.fit_memory_limit;
LOAD 'gmm';
SHOW gmm.fit_memory_limit;
SELECT current_setting('gmm.threads') ~ '^[0-9]+$' AS threads_visible;

CREATE TABLE fw_pts AS
  SELECT i, ARRAY[(i % 3) * 10 + sin(i), (i % 3) * -5 + cos(i * 3)]::float8[] AS x,
         (i % 4)::float8 AS w, 2 + i % 2 AS n
  FROM generate_series(1, 120) i;

-- gmm_fit(x, 3, 1) no longer means "weight 3, k 1": there is no such gmm_fit
SELECT gmm_fit(x, 3, 1) FROM fw_pts;
SELECT gmm_fit(x, 3, n) FROM fw_pts;
SELECT gmm_fit(x, 3.0, 1) FROM fw_pts;
SELECT gmm_fit(x, w, 3) FROM fw_pts;
-- gmm_fit(x, k [, options]) is unchanged
SELECT gmm_n_components(gmm_fit(x, 3)) AS k3,
       gmm_n_components(gmm_fit(x, 3, '{"covariance_type": "diag"}')) AS k3_options,
       gmm_n_components(gmm_fit(x, 3, NULL)) AS k3_null_options
FROM fw_pts;
-- the weighted fit says what it means: weight 3 for every row, k = 1
SELECT gmm_n_components(m) AS k, gmm_n_rows(m) AS total_weight
FROM (SELECT gmm_fit_weighted(x, 3, 1) m FROM fw_pts) s;
-- weights from a column, integer weights without a cast, options
SELECT gmm_n_rows(gmm_fit_weighted(x, w, 3)) AS sum_w,
       gmm_n_rows(gmm_fit_weighted(x, i % 2, 2)) AS odd_rows,
       gmm_covariance_type(gmm_fit_weighted(x, w, 3, '{"covariance_type": "tied", "seed": 1}')) AS tied,
       gmm_fit_weighted(x::real[], w, 3, '{"seed": 1}') = gmm_fit_weighted(x::real[]::float8[], w, 3, '{"seed": 1}') AS real_points
FROM fw_pts;
-- integer weights equal repeated rows
WITH a AS (SELECT gmm_fit_weighted(x, w, 3, '{"means": [[0, 1], [10, -4], [20, -9]], "tol": 1e-10}') m FROM fw_pts),
     b AS (SELECT gmm_fit(x, 3, '{"means": [[0, 1], [10, -4], [20, -9]], "tol": 1e-10}') m
           FROM fw_pts, generate_series(1, 3) r WHERE r <= w)
SELECT gmm_n_rows(a.m) = gmm_n_rows(b.m) AS same_rows,
       abs(gmm_log_likelihood(a.m) - gmm_log_likelihood(b.m)) < 1e-10 AS weights_are_repeats
FROM a, b;
-- the weighted aggregate needs k
SELECT gmm_fit_weighted(x, w) FROM fw_pts;
-- its errors name it
SELECT gmm_fit_weighted(x, -1, 2) FROM fw_pts;
SELECT gmm_fit_weighted(x, w, 2, '{"bogus": 1}') FROM fw_pts;
-- gmm_em_step and gmm_stats_agg keep their weighted overloads: (m, x, w)
-- takes no k, so no number after x can be mistaken for another
SELECT gmm_n_rows(gmm_em_step(m, x, w)) AS em_step_weight, gmm_stats_weight(gmm_stats_agg(m, x, w)) AS stats_weight
FROM fw_pts, (SELECT gmm_fit(x, 3, '{"seed": 1}') m FROM fw_pts) f GROUP BY m;

-- options that are not a JSON object
SELECT gmm_fit(x, 2, '[{"covariance_type": "diag"}]') FROM fw_pts;
SELECT gmm_fit(x, 2, '"diag"') FROM fw_pts;
SELECT gmm_fit(x, 2, '2') FROM fw_pts;
SELECT gmm_fit(x, 2, 'true') FROM fw_pts;
SELECT gmm_fit(x, 2, 'null') FROM fw_pts;
SELECT gmm_fit_weighted(x, w, 2, '[]') FROM fw_pts;

-- a fit that reaches max_iter without converging: one WARNING
SELECT gmm_converged(gmm_fit(x, 3, '{"max_iter": 1, "init": "random", "seed": 2}')) FROM fw_pts;
-- ... and one WARNING for a whole GROUP BY of many fits, with the count
CREATE TABLE fw_groups AS
  SELECT g, ARRAY[(i % 2) * 4 + sin(i * g), cos(i + g)]::float8[] AS x
  FROM generate_series(1, 1000) g, generate_series(1, 12) i;
SELECT count(*) AS groups, count(*) FILTER (WHERE NOT gmm_converged(m)) AS not_converged
FROM (SELECT g, gmm_fit(x, 2, '{"max_iter": 1, "tol": 0}') m FROM fw_groups GROUP BY g) s;
-- converged fits and max_iter 0 (the initial model only) say nothing
SELECT count(*) AS groups FROM (SELECT g, gmm_fit(x, 1) m FROM fw_groups GROUP BY g) s;
SELECT gmm_n_iter(gmm_fit(x, 2, '{"max_iter": 0}')) FROM fw_pts;
-- with n_init > 1 only the kept run counts; gmm_train warns the same way
SELECT gmm_converged(gmm_fit(x, 3, '{"n_init": 3, "max_iter": 2, "tol": 0}')) FROM fw_pts;
SELECT gmm_converged(gmm_train('fw_pts', 'x', 3, '{"max_iter": 1, "tol": 0}'));
-- several fits of one statement, also in subqueries: still one WARNING
SELECT (SELECT gmm_converged(gmm_fit(x, 2, '{"max_iter": 1, "tol": 0}')) FROM fw_pts) AS a,
       (SELECT gmm_converged(gmm_fit(x, 3, '{"max_iter": 1, "tol": 0}')) FROM fw_pts) AS b,
       gmm_converged(gmm_train('fw_pts', 'x', 2, '{"max_iter": 1, "tol": 0}')) AS c;
-- a failed statement leaves no count behind for the next one
SELECT 1 / (gmm_n_iter(m) - 1) FROM (SELECT gmm_fit(x, 2, '{"max_iter": 1, "tol": 0}') m FROM fw_pts) s;
SELECT 1 AS no_warning;

DROP TABLE fw_pts, fw_groups;
