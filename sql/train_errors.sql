-- gmm_train: bad sources, columns, options and data, and their errors
SET extra_float_digits = 0;

CREATE TABLE te_pts AS
SELECT i, ARRAY[(i % 2) * 5 + sin(i), cos(i)]::float8[] AS x, (i % 3)::text AS label,
	   CASE WHEN i = 7 THEN -1 ELSE 1 END AS bad_w
FROM generate_series(1, 200) i;
CREATE TABLE te_start (name text PRIMARY KEY, m gmm);
INSERT INTO te_start VALUES
('two', '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0],[5,0]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}'),
('three_d', '{"covariance_type":"diag","weights":[1],"means":[[0,0,0]],"covariances":[[1,1,1]]}');

-- sources
SELECT gmm_train('te_nope', 'x', 2);
SELECT gmm_train('public.te_nope', 'x', 2);
SELECT gmm_train('SELECT x FROM te_pts WHERE', 'x', 2);
SELECT gmm_train('SELECT x FROM te_pts) s; DELETE FROM te_pts; SELECT (1', 'x', 2);
SELECT gmm_train('WITH d AS (DELETE FROM te_pts RETURNING x) SELECT x FROM d', 'x', 2);
SELECT count(*) AS rows_still_there FROM te_pts;
SELECT gmm_train('SELECT x FROM te_pts WHERE false', 'x', 2);
SELECT gmm_train('SELECT NULL::float8[] AS x FROM te_pts', 'x', m) FROM te_start WHERE name = 'two';

-- columns
SELECT gmm_train('te_pts', 'y', 2);
SELECT gmm_train('te_pts', 'label', 2);
SELECT gmm_train('te_pts', 'label', m) FROM te_start WHERE name = 'two';
SELECT gmm_train('te_pts', 'x', 2, '{"weight_column": "nope"}');
SELECT gmm_train('te_pts', 'x', 2, '{"weight_column": "label"}');
SELECT gmm_train('te_pts', 'x', 2, '{"weight_column": "bad_w"}');
SELECT gmm_train('te_pts', 'x', m, '{"weight_column": "bad_w"}') FROM te_start WHERE name = 'two';

-- data
SELECT gmm_train('SELECT CASE WHEN i = 50 THEN ARRAY[1, 2, 3]::float8[] ELSE x END AS x FROM te_pts', 'x', 2);
SELECT gmm_train('te_pts', 'x', m) FROM te_start WHERE name = 'three_d';
SELECT gmm_train('SELECT ARRAY[1, (i % 2)]::float8[] AS x FROM te_pts', 'x', 3);
SELECT gmm_train('SELECT ARRAY[1, (i % 2)]::float8[] AS x FROM te_pts', 'x', 3, '{"sample_size": 1}');
-- a component of identical rows has a singular covariance without reg_covar
SELECT gmm_train('SELECT CASE WHEN i % 2 = 0 THEN ARRAY[0, 0]::float8[] ELSE x END AS x FROM te_pts', 'x', m, '{"reg_covar": 0}')
FROM te_start WHERE name = 'two';

-- options: gmm_fit's parser, plus sample_size and weight_column
SELECT gmm_train('te_pts', 'x', 2, '{"colour": "red"}');
SELECT gmm_train('te_pts', 'x', 2, '{"max_iter": -1}');
SELECT gmm_train('te_pts', 'x', 2, '{"sample_size": 0}');
SELECT gmm_train('te_pts', 'x', 2, '{"sample_size": "many"}');
SELECT gmm_train('te_pts', 'x', 2, '{"weight_column": 3}');
SELECT gmm_train('te_pts', 'x', 0);
SELECT gmm_train('te_pts', 'x', 2, '{"init": "given", "means": [[0, 0, 0], [1, 1, 1]]}');
-- options that a start model already fixes
SELECT gmm_train('te_pts', 'x', m, '{"init": "random"}') FROM te_start WHERE name = 'two';
SELECT gmm_train('te_pts', 'x', m, '{"means": [[0, 0], [1, 1]]}') FROM te_start WHERE name = 'two';
SELECT gmm_train('te_pts', 'x', m, '{"k_max": 4}') FROM te_start WHERE name = 'two';
SELECT gmm_train('te_pts', 'x', m, '{"covariance_type": "diag"}') FROM te_start WHERE name = 'two';
SELECT gmm_covariance_type(gmm_train('te_pts', 'x', m, '{"covariance_type": "full"}')) FROM te_start WHERE name = 'two';

DROP TABLE te_pts, te_start;
