-- gmm: incomplete rows ("missing": "marginalize"): scoring by the observed
-- dimensions, and the observed-data fit metadata.  NULL and NaN elements
-- are missing values; a point with every element missing scores NULL.

CREATE FUNCTION gmm_logpdf_observed(m gmm, x float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_logpdf_observed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_predict_observed(m gmm, x float8[]) RETURNS int
	AS 'MODULE_PATHNAME', 'gmm_predict_observed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_predict_proba_observed(m gmm, x float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_predict_proba_observed' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_logpdf_observed(gmm, float8[]) IS 'log density of the observed (non-NULL, non-NaN) elements of x under the marginal mixture; NULL when every element is missing';
COMMENT ON FUNCTION gmm_predict_observed(gmm, float8[]) IS 'the most probable component (1-based) given the observed elements of x; NULL when every element is missing';
COMMENT ON FUNCTION gmm_predict_proba_observed(gmm, float8[]) IS 'responsibilities given the observed elements of x, float8[k] summing to 1; NULL when every element is missing';

CREATE FUNCTION gmm_n_rows_used(m gmm) RETURNS bigint
	AS 'MODULE_PATHNAME', 'gmm_n_rows_used' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_rows_skipped(m gmm) RETURNS bigint
	AS 'MODULE_PATHNAME', 'gmm_n_rows_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_values_missing(m gmm) RETURNS bigint
	AS 'MODULE_PATHNAME', 'gmm_n_values_missing' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_n_rows_used(gmm) IS 'rows a fit with "missing": "marginalize" used (NULL for other models)';
COMMENT ON FUNCTION gmm_n_rows_skipped(gmm) IS 'rows a fit with "missing": "marginalize" skipped because every element was missing (NULL for other models)';
COMMENT ON FUNCTION gmm_n_values_missing(gmm) IS 'missing elements in the rows a fit with "missing": "marginalize" used (NULL for other models)';

-- gmm_em_step and gmm_stats_agg with options: "missing" applies (the others
-- are accepted and ignored; the M-step options go to gmm_stats_to_model).
-- Only with a weight argument (pass 1 for unweighted rows): a form
-- (m, x, options) would make gmm_em_step(m, x, '0.5') ambiguous.
CREATE FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[], float8, jsonb) RETURNS gmm_stats
	AS 'MODULE_PATHNAME', 'gmm_stats_accum_weighted_options' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[], float8, jsonb) IS 'transition function of gmm_em_step and gmm_stats_agg with a weight and options: with "missing": "marginalize", NULL and NaN elements are missing values';
CREATE AGGREGATE gmm_em_step(m gmm, x float8[], weight float8, options jsonb) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_em_step_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
CREATE AGGREGATE gmm_stats_agg(m gmm, x float8[], weight float8, options jsonb) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_stats_agg_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_em_step(gmm, float8[], float8, jsonb) IS 'one weighted EM iteration from model m (weight 1 for unweighted rows); option "missing": "marginalize" fits incomplete rows (rows with every element missing are skipped)';
COMMENT ON AGGREGATE gmm_stats_agg(gmm, float8[], float8, jsonb) IS 'the E-step statistics of weighted rows under model m (weight 1 for unweighted rows); option "missing": "marginalize" for incomplete rows';

-- gmm_score for incomplete rows: the mean observed-data log-likelihood per
-- row over the rows with an observed element (gmm_score's state, combine
-- and final functions)
CREATE FUNCTION gmm_score_observed_accum(float8[], gmm, float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_score_observed_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_score_observed_accum(float8[], gmm, float8[]) IS 'transition function of gmm_score_observed';
CREATE AGGREGATE gmm_score_observed(m gmm, x float8[]) (
	SFUNC = gmm_score_observed_accum, STYPE = float8[], INITCOND = '{0,0,0}',
	COMBINEFUNC = gmm_score_combine, FINALFUNC = gmm_score_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_score_observed(gmm, float8[]) IS 'mean log-likelihood of the observed elements per row (gmm_logpdf_observed) over the rows with at least one observed element';

-- the observed-data counts of gmm_stats collected with "missing": "marginalize"
CREATE FUNCTION gmm_stats_n_rows_skipped(gmm_stats) RETURNS bigint
	AS 'MODULE_PATHNAME', 'gmm_stats_n_rows_skipped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_n_values_missing(gmm_stats) RETURNS bigint
	AS 'MODULE_PATHNAME', 'gmm_stats_n_values_missing' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_n_rows_skipped(gmm_stats) IS 'rows skipped because every element was missing, for statistics collected with "missing": "marginalize" (NULL for others)';
COMMENT ON FUNCTION gmm_stats_n_values_missing(gmm_stats) IS 'missing elements of the rows accumulated, for statistics collected with "missing": "marginalize" (NULL for others)';
