-- Sampling: gmm_sample and gmm_sample_with_component.
SET extra_float_digits = 0;
CREATE TABLE smods (m gmm);
INSERT INTO smods VALUES (gmm('{0.2,0.8}', '{-5,0, 5,1}', '{1,0.5,0.5,1, 0.5,0,0,2}'));

-- reproducible with a seed, different with another seed
SELECT (SELECT array_agg(x) FROM gmm_sample(m, 5, 42) x) = (SELECT array_agg(x) FROM gmm_sample(m, 5, 42) x) AS same_seed_same_rows,
       (SELECT array_agg(x) FROM gmm_sample(m, 5, 42) x) <> (SELECT array_agg(x) FROM gmm_sample(m, 5, 43) x) AS other_seed_other_rows,
       (SELECT array_agg(x) FROM gmm_sample(m, 5) x) <> (SELECT array_agg(x) FROM gmm_sample(m, 5) x) AS unseeded_differs
FROM smods;
-- the labelled variant draws the same rows for the same seed
SELECT bool_and(a.x = b.x) AS same_rows
FROM smods, LATERAL (SELECT row_number() OVER () i, x FROM gmm_sample(m, 50, 7) x) a
JOIN LATERAL (SELECT row_number() OVER () i, x FROM gmm_sample_with_component(m, 50, 7)) b USING (i);

-- counts, proportions, and rows not grouped by component
CREATE TABLE draws AS SELECT row_number() OVER () AS i, component, x FROM smods, gmm_sample_with_component(m, 20000, 1);
SELECT count(*) AS n, abs(avg((component = 1)::int) - 0.2) < 0.015 AS weight_ok,
       count(*) FILTER (WHERE array_length(x, 1) = 2) AS all_2d FROM draws;
-- component changes many times along the stream (a grouped order would change once)
SELECT count(*) > 1000 AS interleaved FROM (
  SELECT component <> lag(component) OVER (ORDER BY i) AS changed FROM draws) s WHERE changed;
-- per-component means and covariance of the draws match the model (tolerances ~5 standard errors)
SELECT component,
       abs(avg(x[1]) - CASE component WHEN 1 THEN -5 ELSE 5 END) < 0.05 AS mean1_ok,
       abs(avg(x[2]) - CASE component WHEN 1 THEN 0 ELSE 1 END) < 0.07 AS mean2_ok,
       abs(var_samp(x[1]) - CASE component WHEN 1 THEN 1 ELSE 0.5 END) < 0.1 AS var1_ok,
       abs(var_samp(x[2]) - CASE component WHEN 1 THEN 1 ELSE 2 END) < 0.15 AS var2_ok,
       abs(covar_samp(x[1], x[2]) - CASE component WHEN 1 THEN 0.5 ELSE 0 END) < 0.08 AS cov_ok
FROM draws GROUP BY component ORDER BY component;
-- the samples are likely under the model that drew them
SELECT gmm_score(m, x) > -3.5 AS plausible FROM smods, draws;

-- every covariance type samples
SELECT t, count(*) AS n, abs(avg(x[1]) - 1) < 0.1 AS mean_ok, abs(var_samp(x[2]) - 4) < 0.4 AS var_ok
FROM (VALUES ('diag', gmm('{1}', '{1,2}', '{1,4}', 'diag')),
             ('spherical', gmm('{1}', '{1,2}', '{4}', 'spherical')),
             ('tied', gmm('{1}', '{1,2}', '{1,0,0,4}', 'tied'))) v(t, m),
     gmm_sample(m, 4000, 3) x
GROUP BY t ORDER BY t;

-- a zero-weight component is never drawn
SELECT count(*) FILTER (WHERE component = 2) AS from_zero_weight
FROM gmm_sample_with_component(gmm('{1,0}', '{0, 100}', '{1, 1}', 'spherical'), 1000, 5);

-- n = 0 gives no rows; NULL arguments give no rows; a negative n is an error
SELECT count(*) AS zero FROM smods, gmm_sample(m, 0, 1);
SELECT count(*) AS null_n FROM smods, gmm_sample(m, NULL, 1);
SELECT count(*) FROM smods, gmm_sample(m, -1, 1);
-- usable in the select list too
SELECT count(*) AS n FROM (SELECT gmm_sample(m, 10, 1) FROM smods) s;
DROP TABLE draws, smods;
