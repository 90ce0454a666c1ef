-- gmm: variational (Bayesian) mixtures.  gmm_fit, gmm_fit_weighted and
-- gmm_train fit one with option "prior"; here the statistics path
-- (gmm_vb_stats, gmm_vb_step, gmm_vb_update), the accessors of the
-- posterior, and the effective number of components and pruning.

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
