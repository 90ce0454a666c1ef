-- gmm_train: EM over a table, view or query through one aggregate query per iteration
SET extra_float_digits = 0;

CREATE FUNCTION pg_temp.close(a float8[], b float8[], tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT cardinality(a) = cardinality(b)
		AND max(abs(x - y)) <= tol * greatest(max(abs(x)), max(abs(y)), 1e-300)
	FROM unnest(a, b) AS u(x, y)
$$;
-- same parameters, log-likelihood, rows, iterations and converged flag
CREATE FUNCTION pg_temp.close(a gmm, b gmm, tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT gmm_covariance_type(a) = gmm_covariance_type(b)
		AND pg_temp.close(gmm_weights(a), gmm_weights(b), tol)
		AND pg_temp.close(gmm_means(a), gmm_means(b), tol)
		AND pg_temp.close(gmm_covariances(a), gmm_covariances(b), tol)
		AND abs(gmm_log_likelihood(a) - gmm_log_likelihood(b)) <= tol * abs(gmm_log_likelihood(a))
		AND gmm_n_rows(a) = gmm_n_rows(b) AND gmm_n_iter(a) = gmm_n_iter(b)
		AND gmm_converged(a) = gmm_converged(b)
$$;
-- gmm_fit options that start from the parameters of model m
CREATE FUNCTION pg_temp.start(m gmm) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('init', 'given', 'covariance_type', gmm_covariance_type(m),
							  'means', to_jsonb(gmm_means(m)), 'weights', to_jsonb(gmm_weights(m)),
							  'covariances', to_jsonb(gmm_covariances(m)))
$$;

-- three overlapping clusters in 2-D, deterministic, with integer weights
CREATE TABLE tr_pts AS
SELECT i, 1 + i % 3 AS w,
	   ARRAY[(i % 3) * 2.5 + sin(i * 1.7) * (1 + (i % 3) * 0.3),
			 cos(i * 0.3) * 1.5 - (i % 3) + 0.4 * sin(i * 1.7)]::float8[] AS x
FROM generate_series(1, 1500) i;
CREATE TABLE tr_start (name text PRIMARY KEY, m gmm);
INSERT INTO tr_start VALUES
('full', '{"covariance_type":"full","weights":[0.3,0.3,0.4],"means":[[0,0],[2,-1],[6,-2]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]],[[1,0],[0,1]]]}'),
('diag', '{"covariance_type":"diag","weights":[0.3,0.3,0.4],"means":[[0,0],[2,-1],[6,-2]],"covariances":[[1,1],[1,1],[1,1]]}'),
('spherical', '{"covariance_type":"spherical","weights":[0.3,0.3,0.4],"means":[[0,0],[2,-1],[6,-2]],"covariances":[1,1,1]}'),
('tied', '{"covariance_type":"tied","weights":[0.3,0.3,0.4],"means":[[0,0],[2,-1],[6,-2]],"covariances":[[1,0],[0,1]]}');

-- gmm_train and gmm_fit from the same initial model reach the same model:
-- same iterations and converged flag, log-likelihood and parameters within
-- 1e-9 relative
SELECT name, gmm_n_iter(tr) AS n_iter, gmm_converged(tr) AS converged,
	   pg_temp.close(tr, fit, 1e-9) AS same_model,
	   abs(gmm_log_likelihood(tr) - gmm_log_likelihood(fit)) <= 1e-9 * abs(gmm_log_likelihood(fit)) AS same_ll
FROM (SELECT name, gmm_train('tr_pts', 'x', m) AS tr,
			 (SELECT gmm_fit(x, 3, pg_temp.start(m)) FROM tr_pts) AS fit
	  FROM tr_start) q
ORDER BY name;
-- ... also with a tighter tolerance, more iterations and weights
SELECT name, gmm_n_iter(tr) > 5 AS many_iterations, pg_temp.close(tr, fit, 1e-9) AS same_model
FROM (SELECT name, gmm_train('tr_pts', 'x', m, '{"tol": 1e-8, "weight_column": "w"}') AS tr,
			 (SELECT gmm_fit_weighted(x, w::float8, 3, pg_temp.start(m) || '{"tol": 1e-8}') FROM tr_pts) AS fit
	  FROM tr_start WHERE name IN ('full', 'diag')) q
ORDER BY name;

-- initialised from its sample: when the sample holds every row, gmm_train
-- makes the same initial model as gmm_fit and so reaches the same model
SELECT pg_temp.close(gmm_train('tr_pts', 'x', 3, '{"seed": 7}'),
					 (SELECT gmm_fit(x, 3, '{"seed": 7}') FROM tr_pts), 1e-9) AS same_as_fit,
	   pg_temp.close(gmm_train('tr_pts', 'x', 3, '{"seed": 7, "covariance_type": "diag", "init": "kmeans++", "n_init": 2}'),
					 (SELECT gmm_fit(x, 3, '{"seed": 7, "covariance_type": "diag", "init": "kmeans++", "n_init": 2}') FROM tr_pts), 1e-9) AS same_as_fit_options;
-- with a smaller sample the start differs; on well-separated clusters the
-- optimum found is the same as gmm_fit's, and k is recovered by BIC
SELECT setseed(0.42);
CREATE TABLE tr_sep AS
SELECT i, ARRAY[(i % 3) * 6 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
				(i % 3) * (i % 3) * 3 + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())]::float8[] AS x
FROM generate_series(1, 1500) i;
SELECT gmm_converged(s) AS converged, gmm_n_rows(s) AS n_rows,
	   abs(gmm_log_likelihood(s) - gmm_log_likelihood(f)) < 1e-6 AS same_optimum,
	   pg_temp.close(gmm_train('tr_sep', 'x', 3, '{"seed": 3, "sample_size": 200, "n_init": 3}'), s, 0) AS reproducible
FROM (SELECT gmm_train('tr_sep', 'x', 3, '{"seed": 3, "sample_size": 200, "n_init": 3}') s,
			 (SELECT gmm_fit(x, 3, '{"seed": 3, "n_init": 3}') FROM tr_sep) f) q;
SELECT gmm_n_components(gmm_train('tr_sep', 'x', 1, '{"k_max": 5, "sample_size": 300}')) AS k_by_bic;
-- choosing k over a range as gmm_fit does
SELECT pg_temp.close(gmm_train('tr_pts', 'x', 1, '{"k_max": 4, "seed": 1}'),
					 (SELECT gmm_fit(x, 1, '{"k_max": 4, "seed": 1}') FROM tr_pts), 1e-9) AS same_as_fit;

-- every kind of source gives the same model
CREATE SCHEMA "Tr Schema";
CREATE TABLE "Tr Schema"."Mixed Case" AS SELECT i, x AS "my x" FROM tr_pts;
CREATE VIEW tr_view AS SELECT x FROM tr_pts WHERE i > 0;
CREATE TABLE tr_parted (part int, x float8[]) PARTITION BY LIST (part);
CREATE TABLE tr_parted_1 PARTITION OF tr_parted FOR VALUES IN (1);
CREATE TABLE tr_parted_2 PARTITION OF tr_parted FOR VALUES IN (2);
INSERT INTO tr_parted SELECT 1 + (i > 700)::int, x FROM tr_pts ORDER BY i;
CREATE TEMP TABLE tr_ref AS SELECT gmm_train('tr_pts', 'x', m) AS ref FROM tr_start WHERE name = 'full';
SELECT src, pg_temp.close(model, ref, 1e-9) AS same
FROM tr_ref, tr_start,
LATERAL (VALUES
	('regclass', gmm_train('tr_pts'::regclass, 'x', m)),
	('schema-qualified text', gmm_train('public.tr_pts', 'x', m)),
	('quoted names', gmm_train('"Tr Schema"."Mixed Case"', 'my x', m)),
	('quoted regclass', gmm_train('"Tr Schema"."Mixed Case"'::regclass, 'my x', m)),
	('view', gmm_train('tr_view', 'x', m)),
	('partitioned table', gmm_train('tr_parted', 'x', m)),
	('query', gmm_train('SELECT x FROM tr_pts ORDER BY i', 'x', m)),
	('query with CTE', gmm_train('  WITH q AS (SELECT i, x FROM tr_pts) SELECT x FROM q ORDER BY i', 'x', m))
) v(src, model)
WHERE name = 'full';
-- real[], numeric[] and int[] columns, and NULL rows skipped
SELECT gmm_n_rows(gmm_train('SELECT x::real[] AS y FROM tr_pts', 'y', m)) AS real_rows,
	   gmm_n_rows(gmm_train('SELECT ARRAY[i % 7, i % 5 + i % 3] AS y FROM tr_pts', 'y', m)) AS int_rows,
	   gmm_n_rows(gmm_train('SELECT x::numeric(6,2)[] AS y FROM tr_pts', 'y', m)) AS numeric_rows,
	   gmm_n_rows(gmm_train('SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE x END AS x FROM tr_pts', 'x', m)) AS non_null_rows,
	   gmm_n_rows(gmm_train('tr_pts', 'x', m, '{"weight_column": "w"}')) AS total_weight
FROM tr_start WHERE name = 'full';

-- integer weights give the model of repeated rows
SELECT name, pg_temp.close(gmm_train('tr_pts', 'x', m, '{"weight_column": "w"}'),
						   gmm_train('SELECT x FROM tr_pts, generate_series(1, w) ORDER BY i', 'x', m), 1e-9) AS weighted_is_repeated
FROM tr_start ORDER BY name;

-- a component that loses all its mass is re-seeded as gmm_fit does (at the
-- worst-fitted row: with the whole table in the sample, the same row)
SELECT gmm_n_iter(tr) AS n_iter, pg_temp.close(tr, fit, 1e-9) AS same_as_fit
FROM (SELECT gmm_train('tr_pts', 'x', m, '{"verbose": true}') AS tr,
			 (SELECT gmm_fit(x, 2, pg_temp.start(m) || '{"verbose": true}') FROM tr_pts) AS fit
	  FROM (SELECT '{"covariance_type":"full","weights":[0.5,0.5],"means":[[2,-1],[1000,1000]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}'::gmm AS m) q0) q;

-- verbose: a NOTICE per iteration; max_iter 0 gives the start with its fit metadata
SELECT gmm_n_iter(gmm_train('tr_pts', 'x', m, '{"verbose": true, "max_iter": 3}')) AS n_iter
FROM tr_start WHERE name = 'spherical';
SELECT gmm_n_iter(z) AS n_iter, gmm_converged(z) AS converged, gmm_means(z) = gmm_means(m) AS same_means,
	   abs(gmm_log_likelihood(z) - (SELECT gmm_stats_log_likelihood(gmm_stats_agg(m, x)) FROM tr_pts)) < 1e-12 AS ll_of_start
FROM tr_start, LATERAL (SELECT gmm_train('tr_pts', 'x', m, '{"max_iter": 0}') z) q WHERE name = 'tied';

-- NULL arguments give NULL
SELECT gmm_train(NULL::text, 'x', 3) IS NULL AS null_source, gmm_train('tr_pts', NULL, 3) IS NULL AS null_column,
	   gmm_train('tr_pts', 'x', NULL::int) IS NULL AS null_k, gmm_train('tr_pts', 'x', NULL::gmm) IS NULL AS null_model;

-- cancel and statement_timeout are honoured within and between iterations
CREATE TABLE tr_big AS SELECT x FROM tr_pts, generate_series(1, 40);
SET statement_timeout = '20ms';
\set VERBOSITY terse
SELECT gmm_train('tr_big', 'x', 3, '{"tol": 0, "max_iter": 1000}');
\set VERBOSITY default
RESET statement_timeout;

DROP VIEW tr_view;
DROP TABLE tr_pts, tr_sep, tr_start, tr_parted, tr_big;
DROP SCHEMA "Tr Schema" CASCADE;
