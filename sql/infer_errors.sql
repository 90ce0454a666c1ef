-- Every bad input to the inference functions, with its error.

CREATE TEMP TABLE em (name text PRIMARY KEY, m gmm);
INSERT INTO em VALUES
  ('full2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]], ARRAY[[[2, 1], [1, 2]], [[1, 0], [0, 1]]])),
  ('diag3', gmm(ARRAY[1], ARRAY[0, 0, 0], ARRAY[1, 2, 3], 'diag')),
  ('one1', gmm(ARRAY[1], ARRAY[0], ARRAY[1], 'spherical'));
-- psql variables holding the models
SELECT m AS full2 FROM em WHERE name = 'full2' \gset
SELECT m AS diag3 FROM em WHERE name = 'diag3' \gset
SELECT m AS one1 FROM em WHERE name = 'one1' \gset

-- dimension lists
SELECT gmm_marginal(:'full2', '{}');
SELECT gmm_marginal(:'full2', ARRAY[1, NULL]);
SELECT gmm_marginal(:'full2', ARRAY[0]);
SELECT gmm_marginal(:'full2', ARRAY[3]);
SELECT gmm_marginal(:'full2', ARRAY[-1]);
SELECT gmm_marginal(:'full2', ARRAY[2, 2]);
SELECT gmm_marginal(:'full2', ARRAY[[1], [2]]);
SELECT gmm_condition(:'full2', '{}', '{}');
SELECT gmm_condition(:'full2', ARRAY[NULL]::int[], ARRAY[1]);
SELECT gmm_condition(:'full2', ARRAY[5], ARRAY[1]);
SELECT gmm_condition(:'diag3', ARRAY[1, 1], ARRAY[1, 2]);
SELECT gmm_condition(:'full2', ARRAY[1, 2], ARRAY[1, 2]);
SELECT gmm_condition(:'diag3', ARRAY[3, 1, 2], ARRAY[1, 2, 3]);
SELECT gmm_condition(:'one1', ARRAY[1], ARRAY[0]);
SELECT gmm_regress(:'full2', ARRAY[2, 1], ARRAY[1, 2]);
SELECT gmm_regress(:'full2', ARRAY[0], ARRAY[1]);
SELECT gmm_regress(:'diag3', ARRAY[1, 3, 1], ARRAY[1, 2, 3]);
SELECT gmm_regress(:'full2', '{}', '{}');

-- values
SELECT gmm_condition(:'full2', ARRAY[1], ARRAY[1, 2]);
SELECT gmm_condition(:'full2', ARRAY[1], '{}');
SELECT gmm_condition(:'full2', ARRAY[1], ARRAY[NULL]::float8[]);
SELECT gmm_condition(:'full2', ARRAY[1], ARRAY['NaN']::float8[]);
SELECT gmm_condition(:'full2', ARRAY[1], ARRAY['-Infinity']::float8[]);
SELECT gmm_regress(:'diag3', ARRAY[1, 2], ARRAY[1]);
SELECT gmm_regress(:'diag3', ARRAY[1, 2], ARRAY[[1, 2]]);
SELECT gmm_regress(:'diag3', ARRAY[1, 2], ARRAY[1, NULL]);
SELECT gmm_regress(:'diag3', ARRAY[1, 2], ARRAY[1, 'Infinity']::real[]);

-- impute
SELECT gmm_impute(:'full2', ARRAY[1, 2, 3]);
SELECT gmm_impute(:'full2', ARRAY[NULL]::float8[]);
SELECT gmm_impute(:'full2', '{}');
SELECT gmm_impute(:'full2', ARRAY[[1, 2]]);
SELECT gmm_impute(:'full2', ARRAY[1, 'Infinity']::float8[]);
SELECT gmm_impute(:'full2', ARRAY[NULL, '-Infinity']::float8[]);

-- components
SELECT gmm_component(:'full2', 0);
SELECT gmm_component(:'full2', 3);
SELECT gmm_component(:'one1', -1);

-- ellipses and their points
SELECT * FROM gmm_ellipses(:'full2', 0);
SELECT * FROM gmm_ellipses(:'full2', -1);
SELECT * FROM gmm_ellipses(:'full2', 'NaN');
SELECT * FROM gmm_ellipses(:'full2', 'Infinity');
SELECT * FROM gmm_ellipses(:'diag3');
SELECT * FROM gmm_ellipses(:'one1');
SELECT * FROM gmm_ellipses(:'one1', 1, ARRAY[1, 2]);
SELECT * FROM gmm_ellipses(:'diag3', 1, ARRAY[1]);
SELECT * FROM gmm_ellipses(:'diag3', 1, ARRAY[1, 2, 3]);
SELECT * FROM gmm_ellipses(:'diag3', 1, ARRAY[2, 2]);
SELECT * FROM gmm_ellipses(:'diag3', 1, ARRAY[1, 4]);
SELECT * FROM gmm_ellipses(:'diag3', 1, ARRAY[1, NULL]);
SELECT * FROM gmm_ellipses(:'diag3', 1, '{}');
SELECT * FROM gmm_ellipse_points(:'full2', 1, 2);
SELECT * FROM gmm_ellipse_points(:'full2', 1, 100001);
SELECT * FROM gmm_ellipse_points(:'full2', 0, 10);
SELECT * FROM gmm_ellipse_points(:'diag3', 1, 10);
SELECT * FROM gmm_ellipse_points(:'diag3', 1, 10, ARRAY[3]);

-- confidence regions
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0], 0);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0], 1);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0], -0.5);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0], 95);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0], 'NaN');
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 0, 0], 0.9);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, NULL], 0.9);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 'NaN'::float8], 0.9);
SELECT gmm_in_confidence_region(:'full2', ARRAY[0, 'Infinity'::real], 0.9);

-- the chi-square quantile
SELECT gmm_chi2_quantile(-0.1, 2);
SELECT gmm_chi2_quantile(1.5, 2);
SELECT gmm_chi2_quantile('NaN', 2);
SELECT gmm_chi2_quantile(0.5, 0);
SELECT gmm_chi2_quantile(0.5, -3);
SELECT gmm_chi2_quantile(0.5, 'NaN');
SELECT gmm_chi2_quantile(0.5, 'Infinity');
SELECT gmm_chi2_quantile(0.5, 1e8);

-- divergences
SELECT gmm_divergence(:'full2', 'euclid');
SELECT gmm_divergence(:'full2', '');
SELECT gmm_divergence(:'full2', gmm_component(:'full2', 1));
SELECT gmm_divergence(gmm_component(:'full2', 1), :'full2', 'bhattacharyya');
SELECT gmm_divergence(gmm_component(:'full2', 1), :'diag3'::gmm);
-- an untyped literal as second argument is taken for the method
SELECT gmm_divergence(gmm_component(:'full2', 1), :'diag3');
SELECT gmm_divergence(gmm_component(:'full2', 1), gmm_component(:'full2', 2), 'hellinger');
