-- gmm demo: build a Gaussian mixture model, store it, look at it, score
-- rows with it and draw samples from it.  Run by test/demo.sh (psql -a).

CREATE EXTENSION gmm;

-- A two-component mixture in 2-D, from its parameters: weights (k),
-- means (k*d, row by row) and covariance matrices (k*d*d).
-- Component 1: centred at (0,0), unit covariance, weight 0.3.
-- Component 2: centred at (3,3), covariance 0.5*I, weight 0.7.
CREATE TABLE models (name text PRIMARY KEY, m gmm);

INSERT INTO models
VALUES ('two_blobs',
        gmm('{0.3,0.7}'::float8[],
            '{0,0, 3,3}'::float8[],
            '{1,0,0,1, 0.5,0,0,0.5}'::float8[]));

-- Its text form is JSON; floats print so that they read back exactly.
SELECT m FROM models WHERE name = 'two_blobs';

-- The text form reads back as a model (here through a psql variable).
SELECT m AS model FROM models WHERE name = 'two_blobs' \gset
SELECT gmm_pdf(:'model'::gmm, '{0,0}'::float8[]) AS pdf_at_origin;

-- Some points along the diagonal from (-1,-1) to (4,4).
CREATE TABLE points AS
SELECT i, ARRAY[i * 0.5 - 1.5, i * 0.5 - 1.5 + (i % 3) * 0.25]::float8[] AS x
FROM generate_series(1, 11) AS i;

-- Score every point: density, log-density, most probable component and
-- the responsibilities of the components (they sum to 1).
SELECT p.i,
       p.x,
       round(gmm_pdf(mo.m, p.x)::numeric, 6)    AS pdf,
       round(gmm_logpdf(mo.m, p.x)::numeric, 4) AS logpdf,
       gmm_predict(mo.m, p.x)                    AS component,
       (SELECT array_agg(round(r::numeric, 4))
          FROM unnest(gmm_predict_proba(mo.m, p.x)) AS r) AS proba
FROM points AS p, models AS mo
WHERE mo.name = 'two_blobs'
ORDER BY p.i;

-- How many points each component claims.
SELECT gmm_predict(mo.m, p.x) AS component, count(*) AS points
FROM points AS p, models AS mo
WHERE mo.name = 'two_blobs'
GROUP BY 1
ORDER BY 1;

-- Draw 5 rows from the model, reproducibly (seed 42).
SELECT x
FROM models, gmm_sample(m, 5, 42) AS x
WHERE name = 'two_blobs';

-- The same seed gives the same rows.
SELECT (SELECT array_agg(x::text) FROM gmm_sample(m, 5, 42) AS x)
     = (SELECT array_agg(x::text) FROM gmm_sample(m, 5, 42) AS x) AS same_rows
FROM models
WHERE name = 'two_blobs';

-- Fitting: 3000 rows drawn from the model, then a model learnt back from
-- them by EM inside an aggregate.  The fit recovers the weights and means.
CREATE TABLE draws AS
SELECT row_number() OVER () AS id, component, x
FROM models, gmm_sample_with_component(m, 3000, 7)
WHERE name = 'two_blobs';

INSERT INTO models
SELECT 'fitted', gmm_fit(x, 2, '{"seed": 1}') FROM draws;

SELECT gmm_weights(m)::numeric(6,3)[]  AS weights,
       gmm_means(m)::numeric(6,3)[]    AS means,
       gmm_converged(m)                AS converged,
       gmm_n_iter(m)                   AS iterations,
       round(gmm_bic(m)::numeric, 1)   AS bic
FROM models WHERE name = 'fitted';

-- One model per group, and choosing k by BIC in one call.
SELECT component, gmm_n_components(gmm_fit(x, 1)) AS k, gmm_means(gmm_fit(x, 1))::numeric(6,2)[] AS mean
FROM draws GROUP BY component ORDER BY component;
SELECT gmm_n_components(gmm_fit(x, 1, '{"k_max": 5}')) AS best_k_by_bic FROM draws;

-- How well the fitted model's clusters match the components that drew the rows.
SELECT component, gmm_predict(m, x) AS predicted, count(*)
FROM draws, models WHERE name = 'fitted'
GROUP BY 1, 2 ORDER BY 1, 2;

-- Inference: the distribution of x2 given x1 = 3, and the regression of x2 on x1.
SELECT gmm_condition(m, '{1}', '{3}') AS x2_given_x1_is_3
FROM models WHERE name = 'fitted';
SELECT v AS x1, round((gmm_regress(m, '{1}', ARRAY[v]))[1]::numeric, 3) AS expected_x2
FROM models, (VALUES (-1.0), (0.0), (1.5), (3.0), (4.0)) AS t(v)
WHERE name = 'fitted';
