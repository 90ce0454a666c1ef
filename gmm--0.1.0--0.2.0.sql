-- gmm 0.1.0 -> 0.2.0: every change to the SQL surface since 0.1.0, in the
-- order it was made.  The full 0.2.0 install script is built from src/sql/;
-- test/checks/check_upgrade.py checks that updating from 0.1.0 gives the same catalog.

\echo Use "ALTER EXTENSION gmm UPDATE TO '0.2.0'" to load this file. \quit

-- The weighted fit gets its own name: gmm_fit(x, 3, 1) meant "weight 3, k 1".
DROP AGGREGATE gmm_fit(float8[], float8, int);
DROP AGGREGATE gmm_fit(float8[], float8, int, jsonb);
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
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int) IS 'gmm_fit_weighted transition: buffers a row and its weight';
COMMENT ON FUNCTION gmm_fit_weighted_transfn(internal, float8[], float8, int, jsonb) IS 'gmm_fit_weighted transition: buffers a row and its weight';

-- Sampling from the components' alpha confidence regions (gmr's sample_confidence_region).
CREATE FUNCTION gmm_sample(m gmm, n bigint, seed bigint, alpha float8) RETURNS SETOF float8[]
	AS 'MODULE_PATHNAME', 'gmm_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
CREATE FUNCTION gmm_sample_with_component(m gmm, n bigint, seed bigint, alpha float8, OUT component int, OUT x float8[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_sample_with_component' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 1000;
COMMENT ON FUNCTION gmm_sample(gmm, bigint, bigint, float8) IS 'n rows drawn from the mixture, each from inside the alpha confidence region of its component (squared Mahalanobis distance <= chi-square quantile, d degrees of freedom, at alpha; rejection sampling, as gmr''s sample_confidence_region), reproducible for a given seed';
COMMENT ON FUNCTION gmm_sample_with_component(gmm, bigint, bigint, float8) IS 'n rows drawn from inside the alpha confidence regions of the components, with the component (1-based) each came from, reproducible for a given seed';

-- The criteria of every k of a k_max fit (stored in the model, format version 2).
CREATE FUNCTION gmm_selection(m gmm,
		OUT k int, OUT log_likelihood float8, OUT bic float8, OUT aic float8,
		OUT converged bool, OUT n_iter int)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_selection' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION gmm_selection(gmm) IS 'per k fitted by a fit over a range of k (option k_max): k, mean log-likelihood per row, BIC, AIC (on the fit''s rows), converged and iterations; one row for a fit of a single k, none for a built model';
