-- The gmm type: text form, constructor, accessors, casts and every bad input.
SET extra_float_digits = 0;

-- a full model built from parameters, and its text form
SELECT gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,0.2,0.2,1, 0.5,0,0,0.5}');
-- means and covariances may be given as nested arrays too
SELECT gmm('{0.5,0.5}', '{{1,2},{3,4}}', '{{{2,0},{0,2}},{{1,0.5},{0.5,1}}}') =
       gmm('{0.5,0.5}', '{1,2,3,4}', '{2,0,0,2,1,0.5,0.5,1}') AS nested_equals_flat;
-- each covariance type
SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2, 3,4}', 'diag');
SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2}', 'spherical');
SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{2,1,1,2}', 'tied');
-- real[] parameters are accepted
SELECT gmm('{1}'::real[], '{1.5}'::real[], '{0.25}'::real[]);

-- accessors
SELECT gmm_weights(m), gmm_means(m), gmm_covariances(m), gmm_n_components(m),
       gmm_dimension(m), gmm_covariance_type(m), gmm_n_parameters(m)
FROM (SELECT gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,0.2,0.2,1, 0.5,0,0,0.5}') m) s;
SELECT gmm_covariances(m), gmm_full_covariances(m), gmm_n_parameters(m)
FROM (SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2}', 'spherical') m) s;
SELECT gmm_covariances(m), gmm_full_covariances(m), gmm_n_parameters(m)
FROM (SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2, 3,4}', 'diag') m) s;
SELECT gmm_covariances(m), gmm_full_covariances(m), gmm_n_parameters(m)
FROM (SELECT gmm('{0.25,0.75}', '{0,0, 1,1}', '{2,1,1,2}', 'tied') m) s;
-- fit metadata is NULL for a built model
SELECT gmm_log_likelihood(m) IS NULL AS ll, gmm_n_iter(m) IS NULL AS it, gmm_converged(m) IS NULL AS conv,
       gmm_bic(m) IS NULL AS bic, gmm_aic(m) IS NULL AS aic, gmm_n_rows(m) IS NULL AS n
FROM (SELECT gmm('{1}', '{0}', '{1}') m) s;
-- a model with fit metadata read from text; BIC = -2 n LL + p ln n, AIC = -2 n LL + 2 p
SELECT gmm_log_likelihood(m), gmm_n_iter(m), gmm_converged(m), gmm_n_rows(m),
       abs(gmm_bic(m) - (2 * 1.5 * 10 + 5 * ln(10))) < 1e-12 AS bic_ok,
       abs(gmm_aic(m) - (2 * 1.5 * 10 + 2 * 5)) < 1e-12 AS aic_ok
FROM (SELECT '{"covariance_type":"tied","weights":[1],"means":[[1,2]],"covariances":[[1,0.1],[0.1,1]],
  "fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true}}'::gmm m) s;
-- NULL arguments give NULL
SELECT gmm(NULL, '{0}', '{1}') IS NULL AS null_weights, gmm_weights(NULL) IS NULL AS null_model;

-- text round trip is bit-exact: out -> in -> out
CREATE TABLE rt (m gmm);
INSERT INTO rt VALUES
  (gmm(ARRAY[1/3.0, 2/3.0]::float8[], ARRAY[0.1, 1e-300, pi(), -1e300]::float8[],
       ARRAY[exp(1.0)::float8, 0.1, 0.1, 1.0/7, 2, 1/3.0, 1/3.0, 0.5]::float8[])),
  (gmm('{1}', '{-0.0}', '{1e-12}', 'spherical')),
  ('{"covariance_type":"diag","weights":[0.1,0.9],"means":[[1],[2]],"covariances":[[0.7],[1.3]],
     "fit":{"n_rows":123.5,"log_likelihood":-0.123456789012345678,"n_iter":7,"converged":false}}');
SELECT count(*) AS round_trips FROM rt WHERE m::text::gmm = m AND m::text::gmm::text = m::text;
SELECT count(*) AS jsonb_round_trips FROM rt WHERE m::jsonb::gmm = m;
-- -0 is stored as 0 so that the text form round-trips
SELECT gmm_means(m) FROM rt WHERE gmm_covariance_type(m) = 'spherical';
SELECT (m::jsonb) -> 'fit' AS fit FROM rt WHERE gmm_covariance_type(m) = 'diag';

-- bad text input
SELECT 'nonsense'::gmm;
SELECT '[1,2]'::gmm;
SELECT '{"weights":[1],"means":[[0]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","means":[[0]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"colour":"red"}'::gmm;
SELECT '{"covariance_type":"round","weights":[1],"means":[[0]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":1,"weights":[1],"means":[[0]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[],"means":[],"covariances":[]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0],[1]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0],[1,2]],"covariances":[[[1]],[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0,1]],"covariances":[[[1,0]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[["a"]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":1,"means":[[0]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"n_components":2}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"dimension":3}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[1e999]],"covariances":[[[1]]]}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[[1]]}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"fit":{"n_rows":1}}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1.5,"converged":true}}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"fit":{"n_rows":-1,"log_likelihood":0,"n_iter":1,"converged":true}}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":"yes"}}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]],"fit":{"n_rows":1,"log_likelihood":0,"n_iter":1,"converged":true,"x":1}}'::gmm;
SELECT '{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}'::jsonb::gmm = gmm('{1}','{0}','{1}') AS jsonb_cast;
SELECT '[1]'::jsonb::gmm;

-- bad parameters: weights
SELECT gmm('{0.3,0.6}', '{0,0, 3,3}', '{1,0,0,1, 1,0,0,1}');
SELECT gmm('{-0.5,1.5}', '{0,0, 3,3}', '{1,0,0,1, 1,0,0,1}');
SELECT gmm('{}', '{}', '{}');
SELECT gmm('{NaN,1}', '{0, 3}', '{1, 1}');
SELECT gmm('{0.5,NULL}', '{0, 3}', '{1, 1}');
SELECT gmm('{1}'::int[]::float8[], '{0}', '{1}') IS NOT NULL AS int_weights_cast;
-- weights within the tolerance 1e-6 are accepted as given
SELECT gmm_weights(gmm('{0.3333333,0.6666666}', '{0, 3}', '{1, 1}', 'spherical'));
-- bad parameters: means and shapes
SELECT gmm('{0.5,0.5}', '{0,0,1}', '{1,1}', 'spherical');
SELECT gmm('{0.5,0.5}', '{}', '{1,1}', 'spherical');
SELECT gmm('{1}', '{Infinity}', '{1}');
SELECT gmm('{1}', '{-Infinity}', '{1}');
SELECT gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1}');
SELECT gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1}', 'diag');
SELECT gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1, 1,0,0,1}', 'tied');
SELECT gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,1,1}', 'spherical');
SELECT gmm('{1}', '{0}', '{1}', 'banana');
-- bad parameters: covariances
SELECT gmm('{1}', '{0,0}', '{1,0.5,0.4,1}');
SELECT gmm('{1}', '{0,0}', '{1,2,2,1}');
SELECT gmm('{1}', '{0,0}', '{0,0,0,0}');
SELECT gmm('{1}', '{0,0}', '{-1,0,0,1}');
SELECT gmm('{1}', '{0,0}', '{1,NaN,NaN,1}');
SELECT gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,1, 0,1}', 'diag');
SELECT gmm('{0.5,0.5}', '{0,0, 1,1}', '{1,-2}', 'spherical');
SELECT gmm('{1}', '{0,0,0}', '{1,0,0, 0,1,0, 0,0,-1e-9}', 'tied');
-- tiny asymmetry from rounding is tolerated (relative 1e-8)
SELECT gmm_dimension(gmm('{1}', '{0,0}', '{1,0.3,0.30000000001,1}'));
-- limits on k and d
SELECT gmm(array_fill(1.0/10001, ARRAY[10001])::float8[], array_fill(0.0, ARRAY[10001])::float8[], array_fill(1.0, ARRAY[10001])::float8[], 'spherical');
SELECT gmm('{1}', array_fill(0.0, ARRAY[4097])::float8[], array_fill(1.0, ARRAY[4097])::float8[], 'diag');
SELECT gmm_dimension(gmm('{1}', array_fill(0.0, ARRAY[4096])::float8[], array_fill(1.0, ARRAY[4096])::float8[], 'diag'));
