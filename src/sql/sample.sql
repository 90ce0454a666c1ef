-- gmm: drawing rows from a model

CREATE FUNCTION gmm_sample(m gmm, n bigint) RETURNS SETOF float8[]
	AS 'MODULE_PATHNAME', 'gmm_sample' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
	ROWS 1000;
CREATE FUNCTION gmm_sample(m gmm, n bigint, seed bigint) RETURNS SETOF float8[]
	AS 'MODULE_PATHNAME', 'gmm_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
CREATE FUNCTION gmm_sample_with_component(m gmm, n bigint, OUT component int, OUT x float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_sample_with_component' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
	ROWS 1000;
CREATE FUNCTION gmm_sample_with_component(m gmm, n bigint, seed bigint, OUT component int, OUT x float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_sample_with_component' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
COMMENT ON FUNCTION gmm_sample(gmm, bigint) IS 'n rows drawn from the mixture, in random order (random seed)';
COMMENT ON FUNCTION gmm_sample(gmm, bigint, bigint) IS 'n rows drawn from the mixture, in random order, reproducible for a given seed';
COMMENT ON FUNCTION gmm_sample_with_component(gmm, bigint) IS 'n rows drawn from the mixture with the component (1-based) each came from (random seed)';
COMMENT ON FUNCTION gmm_sample_with_component(gmm, bigint, bigint) IS 'n rows drawn from the mixture with the component (1-based) each came from, reproducible for a given seed';
CREATE FUNCTION gmm_sample(m gmm, n bigint, seed bigint, alpha float8) RETURNS SETOF float8[]
	AS 'MODULE_PATHNAME', 'gmm_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
CREATE FUNCTION gmm_sample_with_component(m gmm, n bigint, seed bigint, alpha float8, OUT component int, OUT x float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_sample_with_component' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
COMMENT ON FUNCTION gmm_sample(gmm, bigint, bigint, float8) IS 'n rows drawn from the mixture, each from inside the alpha confidence region of its component (squared Mahalanobis distance <= chi-square quantile, d degrees of freedom, at alpha; rejection sampling, as gmr''s sample_confidence_region), reproducible for a given seed';
COMMENT ON FUNCTION gmm_sample_with_component(gmm, bigint, bigint, float8) IS 'n rows drawn from inside the alpha confidence regions of the components, with the component (1-based) each came from, reproducible for a given seed';
