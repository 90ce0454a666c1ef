-- gmm_stats: bad inputs and their errors
SET extra_float_digits = 0;

CREATE TABLE se_pts AS
SELECT i, ARRAY[sin(i), cos(i)]::float8[] AS x, ARRAY[sin(i), cos(i), i % 3]::float8[] AS x3
FROM generate_series(1, 50) i;
CREATE TABLE se_models (name text PRIMARY KEY, m gmm);
INSERT INTO se_models VALUES
('a', '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0],[1,1]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}'),
('b', '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0],[1,2]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}'),
('k1', '{"covariance_type":"full","weights":[1],"means":[[0,0]],"covariances":[[[1,0],[0,1]]]}'),
('diag', '{"covariance_type":"diag","weights":[0.5,0.5],"means":[[0,0],[1,1]],"covariances":[[1,1],[1,1]]}'),
('d3', '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0,0],[1,1,1]],"covariances":[[[1,0,0],[0,1,0],[0,0,1]],[[1,0,0],[0,1,0],[0,0,1]]]}'),
('tiny', '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}');
CREATE TABLE se_stats AS
SELECT name, gmm_stats_agg(m, CASE WHEN name = 'd3' THEN x3 WHEN name = 'tiny' THEN x[1:1] ELSE x END) s
FROM se_models, se_pts GROUP BY name;

-- merging statistics of different dimension, k, covariance type or model
SELECT gmm_stats_merge(a.s, b.s) FROM se_stats a, se_stats b WHERE a.name = 'a' AND b.name = 'd3';
SELECT gmm_stats_merge(a.s, b.s) FROM se_stats a, se_stats b WHERE a.name = 'a' AND b.name = 'k1';
SELECT gmm_stats_merge(a.s, b.s) FROM se_stats a, se_stats b WHERE a.name = 'a' AND b.name = 'diag';
SELECT gmm_stats_merge(a.s, b.s) FROM se_stats a, se_stats b WHERE a.name = 'a' AND b.name = 'b';
-- the same through the merge aggregate
SELECT gmm_stats_merge(s) FROM se_stats WHERE name IN ('a', 'd3');
SELECT gmm_stats_merge(s ORDER BY name) FROM se_stats WHERE name IN ('a', 'b');
-- a fitted model differs from the same parameters without fit metadata
-- (terse: the fitted model's fingerprint depends on the last bits of EM)
\set VERBOSITY terse
SELECT gmm_stats_merge(s, (SELECT gmm_stats_agg(gmm_em_step, x) FROM se_pts))
FROM se_stats, (SELECT gmm_em_step(m, x) FROM se_models, se_pts WHERE name = 'a' GROUP BY name) e
WHERE name = 'a';
\set VERBOSITY default

-- the model changes between rows of one group
SELECT gmm_stats_agg(CASE WHEN i < 10 THEN a.m ELSE b.m END, x)
FROM se_pts, se_models a, se_models b WHERE a.name = 'a' AND b.name = 'b';
SELECT gmm_em_step(CASE WHEN i < 10 THEN a.m ELSE b.m END, x)
FROM se_pts, se_models a, se_models b WHERE a.name = 'a' AND b.name = 'd3';

-- bad points and weights
SELECT gmm_em_step(m, x3) FROM se_models, se_pts WHERE name = 'a';
SELECT gmm_em_step(m, ARRAY[1, 'NaN']::float8[]) FROM se_models WHERE name = 'a';
SELECT gmm_em_step(m, ARRAY[1, NULL]::float8[]) FROM se_models WHERE name = 'a';
SELECT gmm_em_step(m, ARRAY[[1, 2]]::float8[]) FROM se_models WHERE name = 'a';
SELECT gmm_em_step(m, ARRAY[1, 'Infinity']::real[]) FROM se_models WHERE name = 'a';
SELECT gmm_em_step(m, x, -1) FROM se_models, se_pts WHERE name = 'a';
SELECT gmm_em_step(m, x, 'NaN') FROM se_models, se_pts WHERE name = 'a';
SELECT gmm_stats_agg(m, x, 'Infinity') FROM se_models, se_pts WHERE name = 'a';

-- statistics without rows have no M-step
SELECT gmm_stats_to_model('{"n_rows":0,"sum_weights":0,"sum_log_likelihood":0,"nk":[0],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}');

-- options of the M-step
SELECT gmm_stats_to_model(s, '{"covariance_type": "diag"}') FROM se_stats WHERE name = 'a';
SELECT gmm_stats_to_model(s, '{"reg_covar": -1}') FROM se_stats WHERE name = 'a';
SELECT gmm_stats_to_model(s, '{"regcovar": 1}') FROM se_stats WHERE name = 'a';

-- malformed text
SELECT 'not json'::gmm_stats;
SELECT '[1, 2]'::gmm_stats;
SELECT '{"n_rows":2}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]},"colour":"red"}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":"full"}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[0.5],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2,0],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[0],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[["x"]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2.5,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"covariance_type":"diag","n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"dimension":3,"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
-- well-formed but inconsistent values
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[3],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2.5,-0.5],"s1":[[0],[0]],"s2":[[0],[0]],"model":{"covariance_type":"full","weights":[0.5,0.5],"means":[[0],[1]],"covariances":[[[1]],[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[-1]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":0,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
-- numbers beyond the range of float8 read as infinities, rejected as such
SELECT '{"n_rows":2,"sum_weights":1e999,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":2,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[-1e999]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;
SELECT '{"n_rows":1e999,"sum_weights":2,"sum_log_likelihood":-1,"nk":[2],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats;

-- corrupted binary values, fed to gmm_stats_recv through COPY (FORMAT binary); psql (\copy)
-- writes the files into results/, private to this run.
-- The reference value (k = 1, d = 1) is laid out as: version @0, covariance
-- type @1, flags @2, k @4, d @8, n_rows @12, sum_w @20, sum_ll @28, model
-- length @36, model @40 (56 bytes: its weight @72), nk @96, s1 @104, s2 @112.
SELECT length(gmm_stats_send(s)) AS bytes, get_byte(gmm_stats_send(s), 39) AS model_length
FROM se_stats WHERE name = 'tiny';
CREATE TABLE se_bad AS
SELECT v.name, v.b FROM se_stats, LATERAL (SELECT gmm_stats_send(s) AS b) r,
LATERAL (VALUES
	('intact', b),
	('version', set_byte(b, 0, 9)),
	('covariance type', set_byte(b, 1, 7)),
	('flags', set_byte(b, 3, 1)),
	('zero k', set_byte(b, 7, 0)),
	('k disagrees with model', set_byte(b, 7, 2)),
	('model length', set_byte(b, 39, 200)),
	('truncated', substring(b FROM 1 FOR 110)),
	('trailing bytes', b || '\x00'::bytea),
	('model weight', set_byte(b, 72, 0)),
	('negative rows', set_byte(b, 12, 255)),
	('negative nk', set_byte(b, 96, get_byte(b, 96) | 128)),
	('nan s1', overlay(b PLACING '\x7ff8000000000000'::bytea FROM 105)),
	('mass', set_byte(b, 21, get_byte(b, 21) + 1))
) v(name, b)
WHERE se_stats.name = 'tiny';
CREATE TABLE se_target (s gmm_stats);
\copy (SELECT b FROM se_bad WHERE name = 'intact') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
SELECT t.s::text = s.s::text AS intact_reads_back FROM se_target t, se_stats s WHERE s.name = 'tiny';
\copy (SELECT b FROM se_bad WHERE name = 'version') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'covariance type') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'flags') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'zero k') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'k disagrees with model') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'model length') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'truncated') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'trailing bytes') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'model weight') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'negative rows') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'negative nk') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'nan s1') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy (SELECT b FROM se_bad WHERE name = 'mass') TO 'results/gmm_stats_errors.copy' (FORMAT binary)
\copy se_target FROM 'results/gmm_stats_errors.copy' (FORMAT binary)
SELECT count(*) AS rows_loaded FROM se_target;

-- statistics whose text and jsonb forms could pass PostgreSQL's limits say so
-- (a model of 5.6M values: with it the statistics hold 11.2M); binary and
-- the M-step still work
CREATE TABLE se_big AS
SELECT gmm_stats_agg(gmm(array_fill(0.001::float8, ARRAY[1000]), array_fill(0::float8, ARRAY[1000, 2800]),
                         array_fill(1::float8, ARRAY[1000, 2800]), 'diag'),
                     array_fill(0::float8, ARRAY[2800])) AS s;
SELECT gmm_stats_n_rows(s) AS n_rows, gmm_n_components(gmm_stats_to_model(s)) AS k,
       length(gmm_stats_send(s)) > 80000000 AS binary_ok FROM se_big;
SELECT length(s::text) FROM se_big;
SELECT s::jsonb IS NULL FROM se_big;

DROP TABLE se_pts, se_models, se_stats, se_bad, se_target, se_big;
