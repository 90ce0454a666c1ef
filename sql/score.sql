-- Scoring: gmm_pdf, gmm_logpdf, gmm_component_pdf, gmm_predict, gmm_predict_proba,
-- and the gmm_score / gmm_bic / gmm_aic aggregates.
SET extra_float_digits = 0;

-- one standard normal: closed forms
SELECT abs(gmm_pdf(gmm('{1}', '{0}', '{1}'), '{0}') - 1/sqrt(2*pi())) < 1e-15 AS pdf_at_mean,
       abs(gmm_logpdf(gmm('{1}', '{0}', '{1}'), '{2}') - (-2 - 0.5*ln(2*pi()))) < 1e-14 AS logpdf_at_2;
-- far from the data the density underflows but the log-density stays finite and exact
SELECT gmm_pdf(m, '{1e5}') AS pdf_far, gmm_logpdf(m, '{1e5}') = -5e9 - 0.5*ln(2*pi()) AS logpdf_far_exact,
       gmm_predict_proba(m2, '{1e5}') AS proba_far, gmm_predict(m2, '{-1e5}') AS predict_far_left
FROM (SELECT gmm('{1}', '{0}', '{1}') m, gmm('{0.5,0.5}', '{-1,1}', '{1,1}', 'spherical') m2) s;

-- a 2-D full model: the density is the weighted sum of the component densities
CREATE TABLE pts (id int, x float8[]);
INSERT INTO pts SELECT i, ARRAY[(i % 7) - 3, (i % 5) - 2]::float8[] FROM generate_series(1, 35) i;
CREATE TABLE mods (name text, m gmm);
INSERT INTO mods VALUES
  ('full', gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,0.2,0.2,1, 0.5,0,0,0.5}')),
  ('diag', gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,2, 0.5,0.25}', 'diag')),
  ('spherical', gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,2}', 'spherical')),
  ('tied', gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,0.2,0.2,1}', 'tied'));
-- 2-D normal density written out in SQL: variances a, c and covariance b
CREATE FUNCTION npdf2(x float8[], mu float8[], a float8, b float8, c float8) RETURNS float8 LANGUAGE sql AS $$
  SELECT exp(-0.5 * ((c*(x[1]-mu[1])^2 - 2*b*(x[1]-mu[1])*(x[2]-mu[2]) + a*(x[2]-mu[2])^2) / (a*c - b*b)))
         / (2*pi()*sqrt(a*c - b*b)) $$;
SELECT name, bool_and(abs(gmm_pdf(m, x) - (r1 + r2)) <= 1e-13 * (r1 + r2)) AS pdf_ok,
       bool_and(abs(gmm_logpdf(m, x) - ln(r1 + r2)) <= 1e-12) AS logpdf_ok,
       bool_and(abs(cp[1] - r1) <= 1e-13 * r1 AND abs(cp[2] - r2) <= 1e-13 * r2) AS component_pdf_ok,
       bool_and(abs(pp[1] + pp[2] - 1) < 1e-15 AND abs(pp[1] - r1 / (r1 + r2)) < 1e-13) AS proba_ok,
       bool_and(gmm_predict(m, x) = CASE WHEN r1 >= r2 THEN 1 ELSE 2 END) AS predict_ok,
       count(*) AS n
FROM (SELECT name, m, x, gmm_component_pdf(m, x) cp, gmm_predict_proba(m, x) pp,
             0.3 * npdf2(x, '{0,0}', c[1][1][1], c[1][1][2], c[1][2][2]) r1,
             0.7 * npdf2(x, '{3,3}', c[2][1][1], c[2][1][2], c[2][2][2]) r2
      FROM (SELECT name, m, gmm_full_covariances(m) c FROM mods) mm, pts) s
GROUP BY name ORDER BY name;

-- predictions over a table: the model's cache must follow the model when it changes per row
SELECT name, array_agg(gmm_predict(m, x) ORDER BY id) FILTER (WHERE id <= 10) AS first_ten
FROM mods, pts GROUP BY name ORDER BY name;
SELECT count(*) AS cache_consistent FROM mods, pts
WHERE gmm_logpdf(m, x) = (SELECT gmm_logpdf(m2.m, x) FROM mods m2 WHERE m2.name = mods.name);

-- real[] points are accepted (implicit cast) and give the same answers
SELECT gmm_logpdf(m, '{0.5,1.5}'::real[]) = gmm_logpdf(m, '{0.5,1.5}'::float8[]) AS real_ok
FROM mods WHERE name = 'full';

-- NULL handling: NULL model or point gives NULL
SELECT gmm_pdf(NULL, '{1}') IS NULL AS a, gmm_predict(gmm('{1}', '{0}', '{1}'), NULL) IS NULL AS b;

-- bad points
SELECT gmm_pdf(m, '{1,2,3}') FROM mods WHERE name = 'full';
SELECT gmm_logpdf(m, '{1}') FROM mods WHERE name = 'full';
SELECT gmm_predict(m, '{1,NULL}') FROM mods WHERE name = 'full';
SELECT gmm_predict_proba(m, '{1,NaN}') FROM mods WHERE name = 'full';
SELECT gmm_component_pdf(m, '{Infinity,1}') FROM mods WHERE name = 'full';
SELECT gmm_pdf(m, '{{1,2},{3,4}}') FROM mods WHERE name = 'full';
SELECT gmm_pdf(m, '{}') FROM mods WHERE name = 'full';
SELECT gmm_pdf(m, '{1,-Infinity}'::real[]) FROM mods WHERE name = 'full';

-- aggregates: gmm_score is the mean log-likelihood; BIC/AIC from it
SELECT name,
       abs(gmm_score(m, x) - avg(gmm_logpdf(m, x))) < 1e-12 AS score_ok,
       abs(gmm_bic(m, x) - (-2 * sum(gmm_logpdf(m, x)) + min(gmm_n_parameters(m)) * ln(count(*)))) < 1e-9 AS bic_ok,
       abs(gmm_aic(m, x) - (-2 * sum(gmm_logpdf(m, x)) + 2 * min(gmm_n_parameters(m)))) < 1e-9 AS aic_ok
FROM mods, pts GROUP BY name ORDER BY name;
-- NULL rows are skipped; no rows gives NULL
SELECT gmm_score(m, x) IS NULL AS empty_score, gmm_bic(m, x) IS NULL AS empty_bic
FROM mods, pts WHERE false GROUP BY ();
SELECT abs(gmm_score(m, x) - (SELECT avg(gmm_logpdf(mods.m, x)) FROM mods, pts WHERE name = 'diag')) < 1e-12 AS nulls_skipped
FROM (SELECT m, x FROM mods, pts WHERE name = 'diag' UNION ALL SELECT NULL, '{1,1}' UNION ALL
      SELECT m, NULL FROM mods WHERE name = 'diag') s;
-- rows scored by different models: gmm_score is the mean over each row's model,
-- but BIC/AIC need one parameter count
SELECT abs(gmm_score(m, x) - avg(gmm_logpdf(m, x))) < 1e-12 AS mixed_score_ok
FROM mods, pts WHERE name IN ('full', 'diag');
SELECT gmm_bic(m, x) FROM mods, pts WHERE name IN ('full', 'diag');
SELECT gmm_aic(m, x) FROM mods, pts WHERE name IN ('full', 'diag');
SELECT gmm_score(m, '{1,2,3}') FROM mods WHERE name = 'full';

-- scoring runs on parallel workers and agrees with the serial result
CREATE TABLE bigpts AS SELECT ARRAY[sin(i), cos(i * 0.7) * 2]::float8[] AS x FROM generate_series(1, 20000) i;
ANALYZE bigpts;
CREATE TABLE serial AS SELECT gmm_score(m, x) s, sum(gmm_predict(m, x)) p FROM mods, bigpts WHERE name = 'full';
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT gmm_score((SELECT m FROM mods WHERE name = 'full'), x) FROM bigpts;
SELECT abs(gmm_score((SELECT m FROM mods WHERE name = 'full'), x) - (SELECT s FROM serial)) < 1e-12 AS parallel_score_ok,
       sum(gmm_predict((SELECT m FROM mods WHERE name = 'full'), x)) = (SELECT p FROM serial) AS parallel_predict_ok
FROM bigpts;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE serial, bigpts;
DROP FUNCTION npdf2;

-- a model column can be grouped on (hash opclass) and compared
SELECT gmm_covariance_type(m) AS t, count(*) AS n, abs(gmm_score(m, x) - avg(gmm_logpdf(m, x))) < 1e-12 AS ok
FROM mods, pts GROUP BY m ORDER BY 1;
SELECT count(*) AS distinct_models, count(*) FILTER (WHERE a.m <> b.m) AS different_pairs
FROM mods a JOIN mods b ON a.m = b.m;

-- a model that is stored compressed, joined in per row, is cached and gives the same results
CREATE TABLE bigmods (m gmm);
ALTER TABLE bigmods ALTER COLUMN m SET STORAGE main;
INSERT INTO bigmods SELECT gmm(array_fill(0.1, ARRAY[10])::float8[],
    (SELECT array_agg(((i * 7) % 13)::float8) FROM generate_series(1, 160) i),
    (SELECT array_agg(CASE WHEN ((i - 1) % 256) % 17 = 0 THEN 1.0 + i / 1000.0 ELSE 0.0 END) FROM generate_series(1, 10 * 256) i), 'full');
SELECT pg_column_size(m) < 10 * 256 * 8 AS stored_compressed FROM bigmods;
SELECT count(*) AS n,
       count(*) FILTER (WHERE gmm_logpdf(m, x) = gmm_logpdf((SELECT m FROM bigmods), x)) AS same_logpdf,
       count(DISTINCT gmm_predict(m, x)) > 1 AS several_components
FROM bigmods, (SELECT ARRAY[i % 13, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, i % 5]::float8[] x
               FROM generate_series(1, 100) i) p;
DROP TABLE bigmods;

-- aggregates whose model is a constant or a statement parameter prepare it once
-- and give the same answers as with the model from a table
SELECT abs(gmm_score('{"covariance_type":"spherical","weights":[0.3,0.7],"means":[[0,0],[3,3]],"covariances":[1,2]}', x)
           - (SELECT gmm_score(m, x) FROM mods, pts WHERE name = 'spherical')) < 1e-12 AS const_model_ok
FROM pts;
SET plan_cache_mode = force_generic_plan;
PREPARE score_with(gmm) AS
  SELECT abs(gmm_score($1, x) - (SELECT avg(gmm_logpdf($1, x)) FROM pts)) < 1e-12 AS param_model_ok FROM pts;
EXECUTE score_with(gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,2, 0.5,0.25}', 'diag'));
EXECUTE score_with(gmm('{0.3,0.7}', '{0,0, 3,3}', '{1,0.2,0.2,1}', 'tied'));
DEALLOCATE score_with;
RESET plan_cache_mode;
