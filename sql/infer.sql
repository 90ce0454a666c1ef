-- Inference on mixtures: marginal, condition, regress, impute, component,
-- collapse.  Expected values are worked out by hand in the comments (or
-- recomputed here from the textbook formulas); floats are rounded or
-- compared with a tolerance so the output is stable.

-- rounded views of arrays and models
CREATE FUNCTION pg_temp.r(a float8[]) RETURNS numeric[]
	AS $$ SELECT a::numeric(30,10)[] $$ LANGUAGE sql;
CREATE FUNCTION pg_temp.show(m gmm) RETURNS TABLE (type text, weights numeric[], means numeric[], covariances numeric[])
	AS $$ SELECT gmm_covariance_type(m), pg_temp.r(gmm_weights(m)), pg_temp.r(gmm_means(m)),
				 pg_temp.r(gmm_covariances(m)) $$ LANGUAGE sql;
-- |a - b| <= tol * max(1, |b|) for every element
CREATE FUNCTION pg_temp.near(a float8[], b float8[], tol float8 DEFAULT 1e-12) RETURNS bool
	AS $$ SELECT array_length(a, 1) = array_length(b, 1) AND
				 bool_and(abs(x - y) <= tol * greatest(1, abs(y)))
		  FROM unnest(a, b) u(x, y) $$ LANGUAGE sql;

-- A 2-D full model: component 1 N((0,0), [[2,1],[1,2]]) weight 0.3,
-- component 2 N((3,1), I) weight 0.7.
CREATE TEMP TABLE im (name text PRIMARY KEY, m gmm);
INSERT INTO im VALUES
  ('full2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]],
				ARRAY[[[2, 1], [1, 2]], [[1, 0], [0, 1]]])),
  ('tied2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]], ARRAY[[2, 1], [1, 2]], 'tied')),
  ('diag2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]], ARRAY[[2, 4], [1, 1]], 'diag')),
  ('sph2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]], ARRAY[2, 1], 'spherical')),
  -- 3-D, block structure: dims 1 and 2 correlated, dim 3 correlated with dim 1
  ('full3', gmm(ARRAY[1], ARRAY[1, 2, 3], ARRAY[[4, 2, 2], [2, 3, 0], [2, 0, 2]]));

-- marginals keep weights and the covariance type; dims in the given order
SELECT (pg_temp.show(gmm_marginal(m, ARRAY[2]))).* FROM im WHERE name = 'full2';
SELECT (pg_temp.show(gmm_marginal(m, ARRAY[2, 1]))).* FROM im WHERE name = 'full2';
SELECT name, (pg_temp.show(gmm_marginal(m, ARRAY[2]))).* FROM im WHERE name IN ('tied2', 'diag2', 'sph2') ORDER BY name;
-- all dims in order: the same model (fit metadata would be dropped)
SELECT gmm_marginal(m, ARRAY[1, 2]) = m AS same FROM im WHERE name = 'full2';

-- condition on x1 = 1.  Component 1: mean 0 + 1/2 * 1 = 0.5, variance
-- 2 - 1/2 = 1.5; component 2: mean 1, variance 1.  Weights proportional to
-- 0.3 N(1; 0, 2) and 0.7 N(1; 3, 1).
SELECT (pg_temp.show(gmm_condition(m, ARRAY[1], ARRAY[1.0]))).* FROM im WHERE name = 'full2';
WITH w AS (SELECT 0.3 * exp(-0.25) / sqrt(4 * pi()) AS w1, 0.7 * exp(-2.0) / sqrt(2 * pi()) AS w2)
SELECT pg_temp.near(gmm_weights(gmm_condition(m, ARRAY[1], ARRAY[1.0])),
					ARRAY[w1 / (w1 + w2), w2 / (w1 + w2)]) AS weights_ok,
	   pg_temp.near(gmm_regress(m, ARRAY[1], ARRAY[1.0]),
					ARRAY[(0.5 * w1 + 1 * w2) / (w1 + w2)]) AS regress_ok
FROM im, w WHERE name = 'full2';

-- condition on x2 = 1: component 1 mean 0.5, variance 1.5; component 2
-- mean 3, variance 1; weights proportional to 0.3 N(1; 0, 2), 0.7 N(1; 1, 1)
WITH w AS (SELECT 0.3 * exp(-0.25) / sqrt(4 * pi()) AS w1, 0.7 / sqrt(2 * pi()) AS w2)
SELECT pg_temp.near(gmm_weights(c), ARRAY[w1 / (w1 + w2), w2 / (w1 + w2)]) AS weights_ok,
	   pg_temp.near(gmm_means(c)::float8[], ARRAY[[0.5], [3]]::float8[]) AS means_ok,
	   pg_temp.r(gmm_covariances(c)) AS covariances,
	   pg_temp.near(gmm_regress(m, ARRAY[2], ARRAY[1]), ARRAY[(0.5 * w1 + 3 * w2) / (w1 + w2)]) AS regress_ok
FROM im, w, LATERAL (SELECT gmm_condition(m, ARRAY[2], ARRAY[1])) s(c) WHERE name = 'full2';

-- tied: the conditional covariance is the same for every component (tied);
-- diag and spherical: the remaining dims keep their variances
SELECT name, (pg_temp.show(gmm_condition(m, ARRAY[1], ARRAY[1.0]))).*
FROM im WHERE name IN ('tied2', 'diag2', 'sph2') ORDER BY name;
-- diag weights: 0.3 N(1; 0, 2) vs 0.7 N(1; 3, 1) on dim 1, as for full2
WITH w AS (SELECT 0.3 * exp(-0.25) / sqrt(4 * pi()) AS w1, 0.7 * exp(-2.0) / sqrt(2 * pi()) AS w2)
SELECT name, pg_temp.near(gmm_weights(gmm_condition(m, ARRAY[1], ARRAY[1.0])),
						  ARRAY[w1 / (w1 + w2), w2 / (w1 + w2)]) AS weights_ok
FROM im, w WHERE name IN ('full2', 'diag2') ORDER BY name;

-- 3-D: condition on (x1, x3) = (2, 2) given in either order.
-- S_AA = [[4, 2], [2, 2]], S_BA = [2, 0], gain = S_AA^-1 S_AB = [1, -1],
-- mean = 2 + 1 * (2 - 1) - 1 * (2 - 3) = 4, variance = 3 - 2 * 1 = 1.
SELECT (pg_temp.show(gmm_condition(m, ARRAY[1, 3], ARRAY[2, 2]))).* FROM im WHERE name = 'full3';
SELECT pg_temp.r(gmm_regress(m, ARRAY[3, 1], ARRAY[2, 2])) AS same_in_any_order FROM im WHERE name = 'full3';
-- condition on x2 = 5: gain = [2/3, 0], mean = (1 + 2, 3) = (3, 3),
-- covariance [[4 - 4/3, 2], [2, 2]]
SELECT (pg_temp.show(gmm_condition(m, ARRAY[2], ARRAY[5]))).* FROM im WHERE name = 'full3';

-- far away values do not give 0/0: all the weight on the nearest component
SELECT pg_temp.r(gmm_weights(gmm_condition(m, ARRAY[1], ARRAY[1e6]))) AS w_far,
	   pg_temp.r(gmm_weights(gmm_condition(m, ARRAY[2], ARRAY[-1e300]))) AS w_very_far,
	   round(((gmm_regress(m, ARRAY[1], ARRAY[1e200]))[1] / 1e200)::numeric, 12) AS regress_very_far_over_1e200
FROM im WHERE name = 'full2';

-- real[] and numeric[] values are converted
SELECT pg_temp.r(gmm_regress(m, ARRAY[1], ARRAY[1]::real[])) AS from_real,
	   pg_temp.r(gmm_regress(m, ARRAY[1], ARRAY[1.0]::numeric[])) AS from_numeric
FROM im WHERE name = 'full2';

-- impute: NULL or NaN elements become the conditional mean
SELECT pg_temp.near(gmm_impute(m, ARRAY[1, NULL]), ARRAY[1] || gmm_regress(m, ARRAY[1], ARRAY[1])) AS null_ok,
	   pg_temp.near(gmm_impute(m, ARRAY[1, 'NaN'::float8]), ARRAY[1] || gmm_regress(m, ARRAY[1], ARRAY[1])) AS nan_ok,
	   pg_temp.near(gmm_impute(m, ARRAY[NULL, 1]), gmm_regress(m, ARRAY[2], ARRAY[1]) || ARRAY[1]::float8[]) AS first_ok
FROM im WHERE name = 'full2';
-- nothing missing: unchanged, bit for bit; everything missing: the mixture mean (0.7 * (3, 1))
SELECT gmm_impute(m, ARRAY[0.1, 0.2]) AS unchanged,
	   pg_temp.r(gmm_impute(m, ARRAY[NULL, NULL]::float8[])) AS all_null,
	   pg_temp.r(gmm_impute(m, ARRAY['NaN', 'NaN']::float8[])) AS all_nan,
	   pg_temp.r(gmm_impute(m, ARRAY['NaN', NULL]::float8[])) AS mixed
FROM im WHERE name = 'full2';
-- real[] input, and array lower bounds are kept
SELECT pg_temp.r(gmm_impute(m, ARRAY[1, 'NaN'::real])) AS from_real,
	   array_lower(gmm_impute(m, '[0:1]={1,NaN}'::float8[]), 1) AS lower_bound
FROM im WHERE name = 'full2';
-- 3-D: impute x2 given (x1, x3) = (2, 2): 4 (see above)
SELECT pg_temp.r(gmm_impute(m, ARRAY[2, NULL, 2])) AS imputed FROM im WHERE name = 'full3';
-- impute a table column with an UPDATE
CREATE TEMP TABLE pts (id int, x float8[]);
INSERT INTO pts VALUES (1, ARRAY[1, NULL]), (2, ARRAY[NULL, 1]), (3, ARRAY[0.5, 0.5]), (4, ARRAY[NULL, NULL]::float8[]);
UPDATE pts SET x = gmm_impute((SELECT m FROM im WHERE name = 'full2'), x);
SELECT id, pg_temp.r(x) FROM pts ORDER BY id;
-- every type imputes; a diag model's remaining dims are independent of the
-- observed ones: the imputed value is the posterior-weighted mean of dim 2
WITH w AS (SELECT 0.3 * exp(-0.25) / sqrt(4 * pi()) AS w1, 0.7 * exp(-2.0) / sqrt(2 * pi()) AS w2)
SELECT name, pg_temp.near(gmm_impute(m, ARRAY[1, NULL]), ARRAY[1, (0 * w1 + 1 * w2) / (w1 + w2)]) AS diag_rule
FROM im, w WHERE name IN ('diag2', 'sph2') ORDER BY name;

-- regress over a table, model from a subquery and as a column
SELECT count(*) AS n, pg_temp.near(array_agg(r[1] ORDER BY g), array_agg(r2[1] ORDER BY g)) AS same
FROM (SELECT g, gmm_regress((SELECT m FROM im WHERE name = 'full3'), ARRAY[1, 3], ARRAY[g, 2.0]) AS r,
			 gmm_regress(im.m, ARRAY[1, 3], ARRAY[g, 2.0]) AS r2
	  FROM generate_series(1, 100) g, im WHERE im.name = 'full3') s;
-- regress with a single-component model is linear: x2 = 2 + (x1 - 1) - (x3 - 3)
SELECT bool_and(abs((gmm_regress(m, ARRAY[1, 3], ARRAY[g, g / 2.0]))[1] - (2 + (g - 1) - (g / 2.0 - 3))) < 1e-12) AS linear
FROM im, generate_series(-50, 50) g WHERE name = 'full3';

-- components and collapse
SELECT (pg_temp.show(gmm_component(m, 2))).* FROM im WHERE name = 'full2';
SELECT name, (pg_temp.show(gmm_component(m, 1))).* FROM im WHERE name IN ('tied2', 'diag2', 'sph2') ORDER BY name;
-- collapse: mean 0.7 * (3, 1) = (2.1, 0.7); covariance
-- 0.3 [[2,1],[1,2]] + 0.7 I + 0.3 (-2.1,-0.7)(..)' + 0.7 (0.9,0.3)(..)' = [[3.19, 0.93], [0.93, 1.51]]
SELECT (pg_temp.show(gmm_collapse(m))).* FROM im WHERE name = 'full2';
-- diag and spherical collapse to full (the spread of the means is not diagonal)
SELECT name, (pg_temp.show(gmm_collapse(m))).* FROM im WHERE name IN ('diag2', 'sph2') ORDER BY name;
-- a single Gaussian collapses to itself
SELECT gmm_collapse(m) = m AS itself FROM im WHERE name = 'full3';
-- the collapsed mean is the all-missing imputation
SELECT name, pg_temp.near(gmm_means(gmm_collapse(m))::float8[], ARRAY[gmm_impute(m, ARRAY[NULL, NULL]::float8[])]) AS same
FROM im WHERE name LIKE '%2' ORDER BY name;

-- results carry no fit metadata
SELECT gmm_n_iter(gmm_condition(m, ARRAY[1], ARRAY[0])) IS NULL AS no_metadata FROM im WHERE name = 'full2';

-- STRICT: NULL arguments give NULL
SELECT gmm_marginal(NULL, ARRAY[1]) IS NULL AS a, gmm_condition(m, NULL, ARRAY[1.0]) IS NULL AS b,
	   gmm_regress(m, ARRAY[1], NULL) IS NULL AS c, gmm_impute(m, NULL) IS NULL AS d,
	   gmm_component(m, NULL) IS NULL AS e, gmm_collapse(NULL) IS NULL AS f
FROM im WHERE name = 'full2';

-- in a parallel worker (each worker has its own per-query cache): the
-- single-component full3 model regresses linearly, x2 = 2 + (g - 1) - (2 - 3)
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF)
SELECT sum((gmm_regress(gmm(ARRAY[1], ARRAY[1, 2, 3], ARRAY[[4, 2, 2], [2, 3, 0], [2, 0, 2]]), ARRAY[1, 3], ARRAY[g, 2]))[1])
FROM generate_series(1, 100) g;
SELECT round(sum((gmm_regress(gmm(ARRAY[1], ARRAY[1, 2, 3], ARRAY[[4, 2, 2], [2, 3, 0], [2, 0, 2]]), ARRAY[1, 3], ARRAY[g, 2]))[1])::numeric, 9) AS sum_5250,
	   round(sum((gmm_impute(gmm(ARRAY[1], ARRAY[1, 2, 3], ARRAY[[4, 2, 2], [2, 3, 0], [2, 0, 2]]), ARRAY[g, NULL, 2]))[2])::numeric, 9) AS impute_5250
FROM generate_series(1, 100) g;
RESET force_parallel_mode;
