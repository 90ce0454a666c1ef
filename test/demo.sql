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

-- Fitting (test/demo_fit.sql): learn a model back from rows drawn from this
-- one.  Guarded so that the demo also runs on builds without gmm_fit.
SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'gmm_fit') AS have_gmm_fit \gset
\if :have_gmm_fit
\ir demo_fit.sql
\else
\echo 'gmm_fit is not available in this build: skipping the fitting section'
\endif
