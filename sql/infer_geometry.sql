-- Geometry of mixtures: ellipses, polygon points, confidence regions, the
-- chi-square quantile, divergences.  Expected values are worked out by hand
-- in the comments; floats are rounded or compared with a tolerance.

CREATE TEMP TABLE gm (name text PRIMARY KEY, m gmm);
INSERT INTO gm VALUES
  -- component 1 N((0,0), [[2,1],[1,2]]) (eigenvalues 3 and 1, major axis
  -- along (1,1)), component 2 N((3,1), I)
  ('full2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]],
				ARRAY[[[2, 1], [1, 2]], [[1, 0], [0, 1]]])),
  ('tied2', gmm(ARRAY[0.3, 0.7], ARRAY[[0, 0], [3, 1]], ARRAY[[2, 1], [1, 2]], 'tied')),
  -- component 1 N(0, diag(1, 4)) (major axis along dim 2), component 2 N((1,0), diag(9, 1))
  ('diag2', gmm(ARRAY[0.5, 0.5], ARRAY[[0, 0], [1, 0]], ARRAY[[1, 4], [9, 1]], 'diag')),
  ('sph2', gmm(ARRAY[0.5, 0.5], ARRAY[[0, 0], [2, 0]], ARRAY[1, 4], 'spherical')),
  ('full3', gmm(ARRAY[1], ARRAY[1, 2, 3], ARRAY[[4, 2, 2], [2, 3, 0], [2, 0, 2]])),
  ('std1', gmm(ARRAY[1], ARRAY[0], ARRAY[1], 'diag')),
  ('diag1d', gmm(ARRAY[0.5, 0.5], ARRAY[0, 1], ARRAY[1, 4], 'diag'));

-- ellipses: component 1 of full2 at 2 standard deviations has semi-axes
-- 2 sqrt(3) and 2 at 45 degrees; component 2 is a circle of radius 2 (angle 0)
SELECT component, center, round(angle::numeric, 12) AS angle, round((angle / pi())::numeric, 12) AS angle_over_pi,
	   semi_axes::numeric(20,12)[] AS semi_axes, round(2 * sqrt(3)::numeric, 12) AS two_sqrt3
FROM gm, gmm_ellipses(m, 2) WHERE name = 'full2';
-- default nstd is 1; the tied model has the same shape for both components
SELECT component, center, round(angle::numeric, 12) AS angle, semi_axes::numeric(20,12)[] AS semi_axes
FROM gm, gmm_ellipses(m) WHERE name = 'tied2';
-- diag: axis-aligned; major axis along dim 2 gives angle pi/2
SELECT component, center, round((angle / pi())::numeric, 12) AS angle_over_pi, semi_axes::numeric(20,12)[] AS semi_axes
FROM gm, gmm_ellipses(m, 1) WHERE name = 'diag2';
SELECT component, center, angle, semi_axes::numeric(20,12)[] AS semi_axes
FROM gm, gmm_ellipses(m, 3) WHERE name = 'sph2';
-- with dims: the plane of dims 2 and 1 swaps the axes (angle from dim 2)
SELECT component, center, round((angle / pi())::numeric, 12) AS angle_over_pi, semi_axes::numeric(20,12)[] AS semi_axes
FROM gm, gmm_ellipses(m, 1, ARRAY[2, 1]) WHERE name = 'diag2';
-- 3-D needs dims: dims 2 and 3 of full3 are uncorrelated with variances 3 and 2
SELECT component, center, round((angle / pi())::numeric, 12) AS angle_over_pi,
	   semi_axes::numeric(20,12)[] AS semi_axes, round(sqrt(3)::numeric, 12) AS sqrt3, round(sqrt(2)::numeric, 12) AS sqrt2
FROM gm, gmm_ellipses(m, 1, ARRAY[2, 3]) WHERE name = 'full3';
-- dims 1 and 2 of full3: [[4, 2], [2, 3]], eigenvalues (7 +- sqrt(17)) / 2
SELECT round(semi_axes[1]::numeric, 12) = round(sqrt((7 + sqrt(17)) / 2)::numeric, 12) AS major_ok,
	   round(semi_axes[2]::numeric, 12) = round(sqrt((7 - sqrt(17)) / 2)::numeric, 12) AS minor_ok,
	   -- the major axis (cos a, sin a) is an eigenvector: 4 c + 2 s = lambda c
	   abs(4 * cos(angle) + 2 * sin(angle) - (7 + sqrt(17)) / 2 * cos(angle)) < 1e-12 AS angle_ok
FROM gm, gmm_ellipses(m, 1, ARRAY[1, 2]) WHERE name = 'full3';

-- polygon points: 4 vertices + the closing one; the circle of component 2
-- is (4,1), (3,2), (2,1), (3,0), (4,1)
SELECT component, point, round(x::numeric, 12) AS x, round(y::numeric, 12) AS y
FROM gm, gmm_ellipse_points(m, 1, 4) WHERE name = 'full2' ORDER BY component, point;
-- every vertex lies on its ellipse: squared Mahalanobis distance nstd^2 = 6.25
-- for component 1 (inverse covariance [[2,-1],[-1,2]] / 3); 64 points by default
SELECT count(*) AS n, bool_and(abs((2 * x * x - 2 * x * y + 2 * y * y) / 3 - 6.25) < 1e-12) AS on_ellipse
FROM gm, gmm_ellipse_points(m, 2.5) WHERE name = 'full2' AND component = 1;
-- the last point closes the polygon exactly
SELECT bool_and(a.x = b.x AND a.y = b.y) AS closed
FROM gm, gmm_ellipse_points(m, 1, 7) a, gmm_ellipse_points(m, 1, 7) b
WHERE name = 'full2' AND a.component = b.component AND a.point = 1 AND b.point = 8;
-- with dims
SELECT count(*) AS n, bool_and(abs((x - 2) ^ 2 / 3 + (y - 3) ^ 2 / 2 - 1) < 1e-12) AS on_ellipse
FROM gm, gmm_ellipse_points(m, 1, 16, ARRAY[2, 3]) WHERE name = 'full3';

-- chi-square quantiles: chi2(0.95, 1) = 1.959963984540054^2, chi2(p, 2) =
-- -2 ln(1 - p), in numeric (for p >= 0.5, 1 - p is exact in float8)
SELECT abs(gmm_chi2_quantile(0.95, 1) / 1.959963984540054 ^ 2 - 1) < 1e-13 AS df1,
	   bool_and(abs(gmm_chi2_quantile(p, 2)::numeric /
					(-2 * ln(CASE WHEN p < 0.5 THEN 1 - p::numeric ELSE (1 - p)::numeric END)) - 1) < 1e-13) AS df2
FROM unnest(ARRAY[1e-10, 0.05, 0.5, 0.95, 1 - 1e-12]::float8[]) p;
-- chi2(p, 4) solves 1 - (1 + x/2) exp(-x/2) = p
SELECT bool_and(abs(1 - (1 + q / 2) * exp(-q / 2) - p) < 1e-14) AS df4
FROM (SELECT p, gmm_chi2_quantile(p, 4) AS q FROM unnest(ARRAY[0.01, 0.1, 0.5, 0.9, 0.99]) p) s;
-- the ends: 0 and infinity
SELECT gmm_chi2_quantile(0, 3) AS p0, gmm_chi2_quantile(1, 3) AS p1;

-- confidence regions: 1-D standard normal, 95%: |x| <= 1.959964
SELECT x, gmm_in_confidence_region(m, ARRAY[x], 0.95) AS inside
FROM gm, unnest(ARRAY[0, 1.95, -1.95, 1.97, -1.97]) x WHERE name = 'std1';
-- 2-D, component 2 of full2 (identity): radius sqrt(5.991) = 2.4477 at 95%
SELECT x, gmm_in_confidence_region(m, x, 0.95) AS inside
FROM gm, (VALUES (1, ARRAY[3, 1]), (2, ARRAY[5.4, 1]), (3, ARRAY[5.5, 1]), (4, ARRAY[3, -1.5])) v(o, x)
WHERE name = 'full2' ORDER BY o;
-- a point inside either component counts; smaller alpha, smaller region
SELECT gmm_in_confidence_region(m, ARRAY[-1.5, -1.5], 0.95) AS near_component_1,
	   gmm_in_confidence_region(m, ARRAY[-1.5, -1.5], 0.5) AS not_at_50_percent,
	   gmm_in_confidence_region(m, ARRAY[-1.5, -1.5]::real[], 0.95) AS from_real
FROM gm WHERE name = 'full2';
-- diag and spherical: (0, 3.5) is inside component 1 of diag2 (3.5^2 / 4 = 3.06 <= 5.99)
SELECT name, gmm_in_confidence_region(m, ARRAY[0, 3.5], 0.95) AS inside
FROM gm WHERE name IN ('diag2', 'sph2', 'tied2') ORDER BY name;

-- divergences.  Components of full2: symmetric KL = 1/2 (tr(S2^-1 S1) +
-- tr(S1^-1 S2) + D'S1^-1 D + D'D) - 2 = 1/2 (4 + 4/3 + 14/3 + 10) - 2 = 8;
-- Bhattacharyya = 1/8 D'S^-1 D + 1/2 ln(|S| / sqrt(|S1||S2|)) with
-- S = [[1.5, .5], [.5, 1.5]]: 6/8 + 1/2 ln(2 / sqrt(3))
SELECT gmm_divergence(m)::numeric(20,12)[] AS kl, gmm_divergence(m, 'kl')::numeric(20,12)[] AS kl_named,
	   gmm_divergence(m, 'bhattacharyya')::numeric(20,12)[] AS bhattacharyya,
	   round((0.75 + 0.5 * ln(2 / sqrt(3)))::numeric, 12) AS expected
FROM gm WHERE name = 'full2';
-- tied: only the Mahalanobis term: D'S^-1 D = 14/3, and 14/24
SELECT gmm_divergence(m, 'KL')::numeric(20,12)[] AS kl, gmm_divergence(m, 'Bhattacharyya')::numeric(20,12)[] AS bhattacharyya
FROM gm WHERE name = 'tied2';
-- 1-D N(0,1) vs N(1,4): KL(0||1) + KL(1||0) = 1/2 (9/4 + 5/4) = 1.75;
-- Bhattacharyya = 1/20 + 1/2 ln(2.5 / 2)
SELECT gmm_divergence(m)::numeric(20,12)[] AS kl, gmm_divergence(m, 'bhattacharyya')::numeric(20,12)[] AS bhattacharyya,
	   round((0.05 + 0.5 * ln(1.25))::numeric, 12) AS expected
FROM gm WHERE name = 'diag1d';
-- spherical in 2-D: twice the per-dimension terms plus the mean term:
-- 1/2 (2 * 9/4 + 4 * 5/4) = 4.75
SELECT gmm_divergence(m)::numeric(20,12)[] AS kl FROM gm WHERE name = 'sph2';
-- between two single-component models, of any types
SELECT round(gmm_divergence(gmm_component(m, 1), gmm_component(m, 2))::numeric, 12) AS kl,
	   round(gmm_divergence(gmm_component(m, 1), gmm_component(m, 2), 'bhattacharyya')::numeric, 12) AS bhattacharyya
FROM gm WHERE name = 'full2';
SELECT round(gmm_divergence(gmm(ARRAY[1], ARRAY[0], ARRAY[1], 'spherical'), gmm(ARRAY[1], ARRAY[1], ARRAY[[4]]))::numeric, 12) AS spherical_vs_full,
	   round(gmm_divergence(gmm(ARRAY[1], ARRAY[0], ARRAY[1]::float8[], 'diag'), gmm(ARRAY[1], ARRAY[1], ARRAY[4], 'spherical'))::numeric, 12) AS diag_vs_spherical;
-- a model against itself: 0
SELECT round(gmm_divergence(c, c)::numeric, 12) AS kl, round(gmm_divergence(c, c, 'bhattacharyya')::numeric, 12) AS bhattacharyya
FROM gm, gmm_component(m, 1) c WHERE name = 'full3';

-- STRICT
SELECT gmm_divergence(NULL::gmm) IS NULL AS a, gmm_in_confidence_region(m, NULL::float8[], 0.9) IS NULL AS b,
	   gmm_chi2_quantile(NULL, 1) IS NULL AS c, (SELECT count(*) FROM gmm_ellipses(NULL)) AS d
FROM gm WHERE name = 'full2';
