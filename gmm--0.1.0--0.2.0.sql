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

-- Variational (Bayesian) mixtures: statistics path, posterior accessors, effective components, pruning.

CREATE FUNCTION gmm_vb_accum(gmm_stats, gmm, float8[]) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION gmm_vb_accum(gmm_stats, gmm, float8[], float8) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_vb_accum(gmm_stats, gmm, float8[]) IS 'transition function of gmm_vb_stats and gmm_vb_step: the E-step of one row under the E-step form of variational model m (expected log-weights and log-determinants folded into the weights)';
COMMENT ON FUNCTION gmm_vb_accum(gmm_stats, gmm, float8[], float8) IS 'transition function of gmm_vb_stats and gmm_vb_step: the E-step of one weighted row under the E-step form of variational model m';

CREATE FUNCTION gmm_vb_step_final(gmm_stats) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_vb_step_final(gmm_stats) IS 'final function of gmm_vb_step: the variational M-step; NULL without rows';

CREATE AGGREGATE gmm_vb_stats(m gmm, x float8[]) (
	SFUNC = gmm_vb_accum, STYPE = gmm_stats, FINALFUNC = gmm_stats_agg_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
CREATE AGGREGATE gmm_vb_stats(m gmm, x float8[], weight float8) (
	SFUNC = gmm_vb_accum, STYPE = gmm_stats, FINALFUNC = gmm_stats_agg_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_vb_stats(gmm, float8[]) IS 'the variational E-step statistics of the rows under variational model m, to merge with gmm_stats_merge and finish with gmm_vb_update';
COMMENT ON AGGREGATE gmm_vb_stats(gmm, float8[], float8) IS 'the variational E-step statistics of weighted rows under variational model m (weights >= 0)';

CREATE AGGREGATE gmm_vb_step(m gmm, x float8[]) (
	SFUNC = gmm_vb_accum, STYPE = gmm_stats, FINALFUNC = gmm_vb_step_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
CREATE AGGREGATE gmm_vb_step(m gmm, x float8[], weight float8) (
	SFUNC = gmm_vb_accum, STYPE = gmm_stats, FINALFUNC = gmm_vb_step_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_vb_step(gmm, float8[]) IS 'one variational iteration from variational model m over the rows: the next model, carrying the lower bound per row as its log-likelihood and m''s iteration count + 1';
COMMENT ON AGGREGATE gmm_vb_step(gmm, float8[], float8) IS 'one weighted variational iteration from variational model m over the rows (weights >= 0)';

CREATE FUNCTION gmm_vb_update(stats gmm_stats) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_vb_update(gmm_stats) IS 'the variational M-step: the next variational model from statistics collected by gmm_vb_stats';
CREATE FUNCTION gmm_vb_update(stats gmm_stats, options jsonb) RETURNS gmm
	AS 'MODULE_PATHNAME', 'gmm_vb_update_options' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_vb_update(gmm_stats, jsonb) IS 'from statistics of a plain model (gmm_stats_agg), the first variational model with option "prior" (defaults from the rows) and "reg_covar"; from gmm_vb_stats statistics, the next one';

CREATE FUNCTION gmm_lower_bound(m gmm) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_prior_type(m gmm) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_prior(m gmm) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_weight_concentration(m gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_mean_precision(m gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_degrees_of_freedom(m gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_lower_bound(gmm) IS 'the variational lower bound of a variational fit (scikit-learn''s lower_bound_, a total over the rows); NULL for other models';
COMMENT ON FUNCTION gmm_prior_type(gmm) IS 'dirichlet_process or dirichlet_distribution for a variational fit; NULL for other models';
COMMENT ON FUNCTION gmm_prior(gmm) IS 'the prior of a variational fit as jsonb (the keys of option "prior", defaults resolved, and reg_covar); NULL for other models';
COMMENT ON FUNCTION gmm_weight_concentration(gmm) IS 'posterior weight concentration: 2 x k (Beta parameters of the stick-breaking) for a Dirichlet process, k for a Dirichlet distribution; NULL for other models';
COMMENT ON FUNCTION gmm_mean_precision(gmm) IS 'posterior mean precisions (k) of a variational fit; NULL for other models';
COMMENT ON FUNCTION gmm_degrees_of_freedom(gmm) IS 'posterior Wishart degrees of freedom (k; tied: k copies of the one value) of a variational fit; NULL for other models';

CREATE FUNCTION gmm_effective_components(m gmm, threshold float8 DEFAULT 0.01) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_prune(m gmm, threshold float8 DEFAULT 0.01) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_effective_components(gmm, float8) IS 'the number of components whose weight is above threshold (default 0.01)';
COMMENT ON FUNCTION gmm_prune(gmm, float8) IS 'the mixture of the components whose weight is above threshold (default 0.01), weights renormalised, without fit metadata';

-- issue 14: incomplete rows ("missing": "marginalize")

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
