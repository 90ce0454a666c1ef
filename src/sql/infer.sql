-- gmm: inference on fitted mixtures (marginals, conditionals, regression,
-- imputation, components, ellipses, confidence regions, divergences)

CREATE FUNCTION gmm_marginal(m gmm, dims int[]) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_marginal(gmm, int[]) IS 'the mixture over the given dimensions (1-based, in that order): same weights, sub-vectors of the means, sub-matrices of the covariances; keeps the covariance type';

CREATE FUNCTION gmm_condition(m gmm, dims int[], vals float8[]) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_condition(gmm, int[], float8[]) IS 'p(other dimensions | x[dims] = vals) as a model over the remaining dimensions in increasing order; weights re-weighted by each component''s likelihood of vals; keeps the covariance type';

CREATE FUNCTION gmm_regress(m gmm, dims int[], vals float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_regress(gmm, int[], float8[]) IS 'Gaussian mixture regression: E[remaining dimensions | x[dims] = vals], remaining dimensions in increasing order';

CREATE FUNCTION gmm_impute(m gmm, x float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_impute(gmm, float8[]) IS 'x with its NULL and NaN elements replaced by their conditional mean given the other elements (the mixture mean if all are missing)';

CREATE FUNCTION gmm_component(m gmm, i int) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_component(gmm, int) IS 'component i (1-based) as a single-component model of the same covariance type';

CREATE FUNCTION gmm_collapse(m gmm) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_collapse(gmm) IS 'the single full-covariance Gaussian with the mixture''s overall mean and covariance';

CREATE FUNCTION gmm_ellipses(m gmm, nstd float8 DEFAULT 1.0,
		OUT component int, OUT center float8[], OUT angle float8, OUT semi_axes float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
CREATE FUNCTION gmm_ellipses(m gmm, nstd float8, dims int[],
		OUT component int, OUT center float8[], OUT angle float8, OUT semi_axes float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION gmm_ellipses(gmm, float8) IS 'per component of a 2-D model: centre, angle of the major axis (radians from the first axis, in (-pi/2, pi/2]) and semi-axes (major, minor) of its nstd-standard-deviation ellipse';
COMMENT ON FUNCTION gmm_ellipses(gmm, float8, int[]) IS 'per component: centre, angle of the major axis (radians from the first listed dimension, in (-pi/2, pi/2]) and semi-axes (major, minor) of its nstd-standard-deviation ellipse in the plane of the two dimensions dims';

CREATE FUNCTION gmm_ellipse_points(m gmm, nstd float8 DEFAULT 1.0, npoints int DEFAULT 64,
		OUT component int, OUT point int, OUT x float8, OUT y float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 650;
CREATE FUNCTION gmm_ellipse_points(m gmm, nstd float8, npoints int, dims int[],
		OUT component int, OUT point int, OUT x float8, OUT y float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 650;
COMMENT ON FUNCTION gmm_ellipse_points(gmm, float8, int) IS 'for plotting a 2-D model: per component a closed polygon of npoints vertices on its nstd ellipse (npoints + 1 rows, the last repeating the first)';
COMMENT ON FUNCTION gmm_ellipse_points(gmm, float8, int, int[]) IS 'for plotting: per component a closed polygon of npoints vertices on its nstd ellipse in the plane of the two dimensions dims (npoints + 1 rows, the last repeating the first)';

CREATE FUNCTION gmm_chi2_quantile(p float8, df float8) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_chi2_quantile(float8, float8) IS 'quantile of the chi-square distribution with df degrees of freedom at probability p (like scipy.stats.chi2.ppf)';

CREATE FUNCTION gmm_in_confidence_region(m gmm, x float8[], alpha float8) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_in_confidence_region(gmm, float8[], float8) IS 'whether x lies in the alpha-probability ellipsoid of some component: smallest squared Mahalanobis distance <= chi-square quantile (d degrees of freedom) at alpha';

CREATE FUNCTION gmm_divergence(m gmm, method text DEFAULT 'kl') RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_divergence_matrix' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_divergence(a gmm, b gmm, method text DEFAULT 'kl') RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_divergence_pair' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_divergence(gmm, text) IS 'float8[k][k] of divergences between components: ''kl'' (symmetric Kullback-Leibler, KL(i||j) + KL(j||i)) or ''bhattacharyya'' (Bhattacharyya distance)';
COMMENT ON FUNCTION gmm_divergence(gmm, gmm, text) IS 'divergence between two single-component models: ''kl'' (symmetric Kullback-Leibler) or ''bhattacharyya'' (Bhattacharyya distance)';
