-- gmm: fitting by expectation maximisation inside an aggregate (gmm_fit)

CREATE FUNCTION gmm_fit_transfn(internal, float8[], int)
	RETURNS internal AS 'MODULE_PATHNAME', 'gmm_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gmm_fit_transfn(internal, float8[], int, jsonb)
	RETURNS internal AS 'MODULE_PATHNAME', 'gmm_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int)
	RETURNS internal AS 'MODULE_PATHNAME', 'gmm_fit_weighted_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int, jsonb)
	RETURNS internal AS 'MODULE_PATHNAME', 'gmm_fit_weighted_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION gmm_fit_finalfn(internal)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_fit_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION gmm_fit_transfn(internal, float8[], int) IS 'gmm_fit transition: buffers a row';
COMMENT ON FUNCTION gmm_fit_transfn(internal, float8[], int, jsonb) IS 'gmm_fit transition: buffers a row';
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int) IS 'gmm_fit_weighted transition: buffers a row and its weight';
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int, jsonb) IS 'gmm_fit_weighted transition: buffers a row and its weight';
COMMENT ON FUNCTION gmm_fit_finalfn(internal) IS 'gmm_fit final function: runs EM over the buffered rows';

-- the aggregates: x float8[] (real[], numeric[] and int[] convert implicitly), k [, options jsonb]
CREATE AGGREGATE gmm_fit(float8[], int) (
	SFUNC = gmm_fit_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit(float8[], int) IS 'fits a Gaussian mixture with k components by EM';
CREATE AGGREGATE gmm_fit(float8[], int, jsonb) (
	SFUNC = gmm_fit_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit(float8[], int, jsonb) IS 'fits a Gaussian mixture with k components by EM, with jsonb options (option k_max: fit every k from k to k_max and keep the best by BIC)';
-- the weighted fit has its own name, so that gmm_fit(x, 3, 1) cannot mean
-- "weight 3, k 1" (gmm 0.1.0 had it as gmm_fit(x, w, k [, options]))
CREATE AGGREGATE gmm_fit_weighted(x float8[], w float8, k int) (
	SFUNC = gmm_fit_weighted_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit_weighted(float8[], float8, int) IS 'fits a Gaussian mixture with k components by weighted EM (row x has sample weight w >= 0; an integer weight counts as that many copies of the row)';
CREATE AGGREGATE gmm_fit_weighted(x float8[], w float8, k int, options jsonb) (
	SFUNC = gmm_fit_weighted_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit_weighted(float8[], float8, int, jsonb) IS 'fits a Gaussian mixture with k components by weighted EM (row x has sample weight w >= 0), with the jsonb options of gmm_fit';
