-- gmm_sample(m, n, seed, alpha): rows only from inside the alpha confidence
-- region of their component (gmr's sample_confidence_region).
CREATE TABLE sr_mods (name text, m gmm);
INSERT INTO sr_mods VALUES
  ('full', gmm('{0.3,0.7}', '{-5,0, 5,1}', '{1,0.8,0.8,1, 0.5,0,0,2}')),
  ('diag', gmm('{0.5,0.5}', '{0,0,0, 10,10,10}', '{1,2,3, 0.5,0.5,0.5}', 'diag')),
  ('spherical', gmm('{1}', '{3}', '{4}', 'spherical')),
  ('tied', gmm('{0.6,0.4}', '{0,0, 6,6}', '{2,-1,-1,2}', 'tied'));

-- every row lies in the region, for several alphas and all covariance types
SELECT name, alpha, count(*) AS n, bool_and(gmm_in_confidence_region(m, x, alpha)) AS all_inside
FROM sr_mods, (VALUES (0.1), (0.5), (0.9545)) a(alpha), gmm_sample(m, 500, 11, alpha) x
GROUP BY name, alpha ORDER BY name, alpha;

-- the region really restricts the rows: plain sampling puts rows outside a
-- small region, and the distances of region rows stay below the quantile
SELECT name,
       (SELECT count(*) FROM gmm_sample(m, 500, 11) x WHERE NOT gmm_in_confidence_region(m, x, 0.1)) > 300 AS plain_mostly_outside,
       (SELECT count(*) FROM gmm_sample(m, 500, 11, 0.1) x WHERE NOT gmm_in_confidence_region(m, x, 0.1)) = 0 AS region_all_inside
FROM sr_mods ORDER BY name;

-- with the component: each row lies in its own component's region
SELECT name, bool_and(gmm_in_confidence_region(gmm_component(m, component), x, 0.5)) AS own_component
FROM sr_mods, gmm_sample_with_component(m, 300, 5, 0.5) GROUP BY name ORDER BY name;

-- component proportions still follow the weights (0.3 / 0.7, 4000 rows: ~7 sd)
SELECT abs(avg((component = 1)::int) - 0.3) < 0.05 AS weights_ok
FROM sr_mods, gmm_sample_with_component(m, 4000, 3, 0.5) WHERE name = 'full';

-- reproducible with a seed; the same rows as the labelled variant
SELECT (SELECT array_agg(x) FROM gmm_sample(m, 20, 42, 0.7) x) = (SELECT array_agg(x) FROM gmm_sample(m, 20, 42, 0.7) x) AS same_seed_same_rows,
       (SELECT array_agg(x) FROM gmm_sample(m, 20, 42, 0.7) x) <> (SELECT array_agg(x) FROM gmm_sample(m, 20, 43, 0.7) x) AS other_seed_other_rows,
       (SELECT array_agg(x) FROM gmm_sample(m, 20, 42, 0.7) x) = (SELECT array_agg(x) FROM gmm_sample_with_component(m, 20, 42, 0.7)) AS labelled_same_rows
FROM sr_mods WHERE name = 'full';

-- alpha 1 is the whole mixture: the same rows as without alpha
SELECT (SELECT array_agg(x) FROM gmm_sample(m, 50, 9, 1) x) = (SELECT array_agg(x) FROM gmm_sample(m, 50, 9) x) AS alpha_one_is_plain
FROM sr_mods WHERE name = 'full';

-- 1-D: the 68.27% region is mean +- 1 sd (here 3 +- 2)
SELECT count(*) AS n, bool_and(abs(x[1] - 3) <= 2.0000001) AS within_one_sd
FROM sr_mods, gmm_sample(m, 1000, 2, 0.6826894921370859) x WHERE name = 'spherical';

-- alpha out of range
SELECT count(*) FROM sr_mods, gmm_sample(m, 5, 1, 0) WHERE name = 'full';
SELECT count(*) FROM sr_mods, gmm_sample(m, 5, 1, 1.5) WHERE name = 'full';
SELECT count(*) FROM sr_mods, gmm_sample(m, 5, 1, 'NaN') WHERE name = 'full';
SELECT count(*) FROM sr_mods, gmm_sample_with_component(m, 5, 1, -0.5) WHERE name = 'full';

DROP TABLE sr_mods;
