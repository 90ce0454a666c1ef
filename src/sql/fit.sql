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
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int) IS 'weighted gmm_fit transition: buffers a row and its weight';
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int, jsonb) IS 'weighted gmm_fit transition: buffers a row and its weight';
COMMENT ON FUNCTION gmm_fit_finalfn(internal) IS 'gmm_fit final function: runs EM over the buffered rows';

-- the aggregates: x float8[] (real[], numeric[] and int[] convert implicitly), [weight float8,] k [, options jsonb]
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
CREATE AGGREGATE gmm_fit(float8[], float8, int) (
	SFUNC = gmm_fit_weighted_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit(float8[], float8, int) IS 'fits a Gaussian mixture with k components by weighted EM (rows weighted by the second argument)';
CREATE AGGREGATE gmm_fit(float8[], float8, int, jsonb) (
	SFUNC = gmm_fit_weighted_transfn,
	STYPE = internal,
	FINALFUNC = gmm_fit_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gmm_fit(float8[], float8, int, jsonb) IS 'fits a Gaussian mixture with k components by weighted EM (rows weighted by the second argument), with jsonb options (option k_max: fit every k from k to k_max and keep the best by BIC)';
