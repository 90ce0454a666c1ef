-- gmm_fit: every bad input and its error
CREATE TABLE fit_e AS
SELECT i, ARRAY[(i % 7) + 0.1 * i, (i % 5) - 0.05 * i]::float8[] AS x FROM generate_series(1, 60) i;

-- rows of different lengths
SELECT gmm_fit(x, 2) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 4]), (ARRAY[5, 6, 7])) v(x);
-- NULL, NaN and infinite elements; empty and 2-D arrays
SELECT gmm_fit(x, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, NULL])) v(x);
SELECT gmm_fit(x, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY['NaN'::float8, 4])) v(x);
SELECT gmm_fit(x, 1) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 'Infinity'::float8])) v(x);
SELECT gmm_fit(x, 1) FROM (VALUES (ARRAY['-Infinity', 2]::real[])) v(x);
SELECT gmm_fit(x, 1) FROM (VALUES ('{}'::float8[])) v(x);
SELECT gmm_fit(x, 1) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) v(x);
-- k < 1, NULL k, k too large, k changing within a group
SELECT gmm_fit(x, 0) FROM fit_e;
SELECT gmm_fit(x, -3) FROM fit_e;
SELECT gmm_fit(x, NULL) FROM fit_e;
SELECT gmm_fit(x, 10001) FROM fit_e;
SELECT gmm_fit(x, 1 + i / 30) FROM fit_e;
-- fewer distinct rows than k
SELECT gmm_fit(x, 4) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2]), (ARRAY[3, 4]), (ARRAY[5, 6]), (ARRAY[5, 6])) v(x);
SELECT gmm_fit(x, 2) FROM (VALUES (ARRAY[0]::float8[]), (ARRAY['-0']::float8[])) v(x);
-- sample weights: negative, NaN, infinite
SELECT gmm_fit_weighted(x, -1.0, 2) FROM fit_e;
SELECT gmm_fit_weighted(x, 'NaN'::float8, 2) FROM fit_e;
SELECT gmm_fit_weighted(x, 'Infinity'::float8, 2) FROM fit_e;
-- all weights zero: no rows, NULL
SELECT gmm_fit_weighted(x, 0.0, 2) IS NULL AS zero_weights_null FROM fit_e;

-- options: not an object, unknown keys, wrong types, bad values
SELECT gmm_fit(x, 2, '[1, 2]') FROM fit_e;
SELECT gmm_fit(x, 2, '"full"') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covarianse_type": "full"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covariance_type": "fulll"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covariance_type": 1}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"max_iter": "100"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"max_iter": 2.5}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"max_iter": -1}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"tol": -1e-3}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"tol": true}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"reg_covar": -1}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"reg_covar": [1e-6]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"n_init": 0}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"init": "kmeans+"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"init": "given"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"init": "random", "means": [[0, 0], [1, 1]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"seed": 1.5}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"seed": "42"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"seed": 1e30}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"max_tries": 0}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"verbose": 1}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"verbose": "yes"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"criterion": "mdl"}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"k_max": 1}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"k_max": 3, "means": [[0, 0], [1, 1]]}') FROM fit_e;
-- a given start of the wrong shape or with bad values
SELECT gmm_fit(x, 2, '{"means": [[0, 0], [1, 1], [2, 2]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"means": [[0, 0], [1]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"means": [[0, 0], [1, "a"]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"means": []}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"means": [[0, 0], [1, 1]], "weights": [0.5, 0.6]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"weights": [1.5, -0.5]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"weights": [0.5, 0.5, 0]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covariance_type": "diag", "covariances": [[1, 1], [1, 0]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covariances": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"covariance_type": "tied", "covariances": [[1, 0], [0, 1], [0, 0]]}') FROM fit_e;
-- options changing within a group (a constant expression is fine)
SELECT gmm_fit(x, 2, jsonb_build_object('seed', i / 30)) FROM fit_e;
SELECT gmm_fit(x, 2, CASE WHEN i < 30 THEN '{}'::jsonb END) FROM fit_e;
SELECT gmm_n_rows(gmm_fit(x, 2, jsonb_build_object('seed', 1 + 1))) FROM fit_e;

-- a covariance that becomes singular: retried, then an error with a hint
SELECT gmm_fit(x, 1, '{"reg_covar": 0}') FROM (SELECT ARRAY[i, 2 * i]::float8[] FROM generate_series(1, 10) i) v(x);
SELECT gmm_fit(x, 2, '{"reg_covar": 0, "max_tries": 3, "verbose": true}')
FROM (SELECT ARRAY[i % 2, 2 * (i % 2)]::float8[] || ARRAY[(i % 3)::float8] FROM generate_series(1, 10) i) v(x);
SELECT gmm_fit(x, 1, '{"reg_covar": 0, "means": [[0, 0]]}') FROM (SELECT ARRAY[i, 2 * i]::float8[] FROM generate_series(1, 10) i) v(x);
-- ... which reg_covar cures
SELECT gmm_converged(gmm_fit(x, 1)) FROM (SELECT ARRAY[i, 2 * i]::float8[] FROM generate_series(1, 10) i) v(x);

-- the memory limit is a budget: past it the rows spill to a temporary
-- file and the fit is the one held in memory (more in fit_spill.sql)
SELECT gmm_fit(x, 2)::text AS in_memory INTO TEMP fit_e_mem FROM fit_e, generate_series(1, 100) r;
SET gmm.fit_memory_limit = '64kB';
SHOW gmm.fit_memory_limit;
SELECT gmm_fit(x, 2)::text = (SELECT in_memory FROM fit_e_mem) AS spilled_same FROM fit_e, generate_series(1, 100) r;
SELECT gmm_n_rows(gmm_fit(x, 2)) FROM fit_e;
-- in a window gmm_fit keeps its rows in memory: past the limit, an error
SELECT gmm_n_rows(gmm_fit(x, 2) OVER ()) FROM fit_e, generate_series(1, 100) r LIMIT 1;
RESET gmm.fit_memory_limit;
SHOW gmm.fit_memory_limit;
SET gmm.fit_memory_limit = '10';
SET gmm.fit_memory_limit = 'lots';
SET gmm.no_such_setting = 1;

-- numbers beyond float8 in options
SELECT gmm_fit(x, 2, '{"tol": 1e999}') FROM fit_e;
SELECT gmm_fit(x, 2, '{"seed": 1e999}') FROM fit_e;

DROP TABLE fit_e;
