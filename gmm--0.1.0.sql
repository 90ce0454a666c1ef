-- gmm: the model type, its I/O, casts, constructor and accessors

\echo Use "CREATE EXTENSION gmm" to load this file. \quit

CREATE TYPE gmm;

CREATE FUNCTION gmm_in(cstring) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_out(gmm) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_recv(internal) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_send(gmm) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE gmm (
	INPUT = gmm_in,
	OUTPUT = gmm_out,
	RECEIVE = gmm_recv,
	SEND = gmm_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE gmm IS 'a Gaussian mixture model: covariance type, weights, means, covariances and fit metadata';

CREATE FUNCTION gmm_to_jsonb(gmm) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'gmm_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_from_jsonb(jsonb) RETURNS gmm
	AS 'MODULE_PATHNAME', 'gmm_from_jsonb_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (gmm AS jsonb) WITH FUNCTION gmm_to_jsonb(gmm);
CREATE CAST (jsonb AS gmm) WITH FUNCTION gmm_from_jsonb(jsonb);
COMMENT ON FUNCTION gmm_to_jsonb(gmm) IS 'the model as a jsonb object (also the cast gmm::jsonb)';
COMMENT ON FUNCTION gmm_from_jsonb(jsonb) IS 'a model from a jsonb object, validated (also the cast jsonb::gmm)';

CREATE FUNCTION gmm(weights float8[], means float8[], covariances float8[])
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_construct' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm(weights float8[], means float8[], covariances float8[], covariance_type text)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_construct' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm(float8[], float8[], float8[]) IS 'a full-covariance model from weights (k), means (k x d) and covariances (k x d x d), validated';
COMMENT ON FUNCTION gmm(float8[], float8[], float8[], text) IS 'a model of the given covariance type (full, diag, spherical, tied) from its parameters, validated';

CREATE FUNCTION gmm_weights(gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_means(gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_covariances(gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_full_covariances(gmm) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_components(gmm) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_dimension(gmm) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_covariance_type(gmm) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_parameters(gmm) RETURNS int8
	AS 'MODULE_PATHNAME', 'gmm_n_parameters_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_log_likelihood(gmm) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_rows(gmm) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_n_iter(gmm) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_converged(gmm) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_bic(gmm) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_bic_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_aic(gmm) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_aic_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_weights(gmm) IS 'mixture weights, float8[k]';
COMMENT ON FUNCTION gmm_means(gmm) IS 'component means, float8[k][d]';
COMMENT ON FUNCTION gmm_covariances(gmm) IS 'covariances in scikit-learn''s shape: full [k][d][d], diag [k][d], spherical [k], tied [d][d]';
COMMENT ON FUNCTION gmm_full_covariances(gmm) IS 'covariances expanded to float8[k][d][d] whatever the covariance type';
COMMENT ON FUNCTION gmm_n_components(gmm) IS 'number of components k';
COMMENT ON FUNCTION gmm_dimension(gmm) IS 'dimension d';
COMMENT ON FUNCTION gmm_covariance_type(gmm) IS 'full, diag, spherical or tied';
COMMENT ON FUNCTION gmm_n_parameters(gmm) IS 'number of free parameters (as used by BIC and AIC)';
COMMENT ON FUNCTION gmm_log_likelihood(gmm) IS 'mean log-likelihood per row at the end of the fit; NULL for a built model';
COMMENT ON FUNCTION gmm_n_rows(gmm) IS 'rows (or total sample weight) the fit saw; NULL for a built model';
COMMENT ON FUNCTION gmm_n_iter(gmm) IS 'EM iterations the fit ran; NULL for a built model';
COMMENT ON FUNCTION gmm_converged(gmm) IS 'whether the fit met its tolerance; NULL for a built model';
COMMENT ON FUNCTION gmm_bic(gmm) IS 'Bayesian information criterion of the fit on its own rows; NULL for a built model';
COMMENT ON FUNCTION gmm_aic(gmm) IS 'Akaike information criterion of the fit on its own rows; NULL for a built model';

CREATE FUNCTION gmm_eq(gmm, gmm) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_ne(gmm, gmm) RETURNS bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_hash(gmm) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_hash_extended(gmm, int8) RETURNS int8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR = (LEFTARG = gmm, RIGHTARG = gmm, PROCEDURE = gmm_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES);
CREATE OPERATOR <> (LEFTARG = gmm, RIGHTARG = gmm, PROCEDURE = gmm_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR CLASS gmm_hash_ops DEFAULT FOR TYPE gmm USING hash AS
	OPERATOR 1 = (gmm, gmm),
	FUNCTION 1 gmm_hash(gmm),
	FUNCTION 2 gmm_hash_extended(gmm, int8);
COMMENT ON FUNCTION gmm_eq(gmm, gmm) IS 'true when two models are identical, bit for bit';
COMMENT ON FUNCTION gmm_ne(gmm, gmm) IS 'true when two models differ';
COMMENT ON FUNCTION gmm_hash(gmm) IS 'hash of a model, for hash joins and GROUP BY';
COMMENT ON FUNCTION gmm_hash_extended(gmm, int8) IS 'seeded 64-bit hash of a model';
-- gmm: scoring rows against a model, and held-out score aggregates
-- Points are float8[]; real[] (and pgvector's vector::real[]) converts implicitly.

CREATE FUNCTION gmm_pdf(m gmm, x float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_pdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_logpdf(m gmm, x float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_logpdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_component_pdf(m gmm, x float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_component_pdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_component_logpdf(m gmm, x float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_component_logpdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_predict(m gmm, x float8[]) RETURNS int
	AS 'MODULE_PATHNAME', 'gmm_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_predict_proba(m gmm, x float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_pdf(gmm, float8[]) IS 'mixture density at x';
COMMENT ON FUNCTION gmm_logpdf(gmm, float8[]) IS 'natural log of the mixture density at x (log-sum-exp: finite far from the data)';
COMMENT ON FUNCTION gmm_component_pdf(gmm, float8[]) IS 'weighted density of each component at x, float8[k]';
COMMENT ON FUNCTION gmm_component_logpdf(gmm, float8[]) IS 'log of the weighted density of each component at x, float8[k]';
COMMENT ON FUNCTION gmm_predict(gmm, float8[]) IS 'the most probable component for x (1-based)';
COMMENT ON FUNCTION gmm_predict_proba(gmm, float8[]) IS 'responsibilities of the components for x, float8[k] summing to 1';

CREATE FUNCTION gmm_score_accum(float8[], gmm, float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_score_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_score_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'gmm_score_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_score_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_score_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_bic_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_bic_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_aic_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'gmm_aic_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_score_accum(float8[], gmm, float8[]) IS 'transition function of gmm_score, gmm_bic and gmm_aic';
COMMENT ON FUNCTION gmm_score_combine(float8[], float8[]) IS 'combine function of gmm_score, gmm_bic and gmm_aic';
COMMENT ON FUNCTION gmm_score_final(float8[]) IS 'final function of gmm_score';
COMMENT ON FUNCTION gmm_bic_final(float8[]) IS 'final function of the gmm_bic aggregate';
COMMENT ON FUNCTION gmm_aic_final(float8[]) IS 'final function of the gmm_aic aggregate';

CREATE AGGREGATE gmm_score(m gmm, x float8[]) (
	SFUNC = gmm_score_accum, STYPE = float8[], INITCOND = '{0,0,0}',
	COMBINEFUNC = gmm_score_combine, FINALFUNC = gmm_score_final, PARALLEL = SAFE);
CREATE AGGREGATE gmm_bic(m gmm, x float8[]) (
	SFUNC = gmm_score_accum, STYPE = float8[], INITCOND = '{0,0,0}',
	COMBINEFUNC = gmm_score_combine, FINALFUNC = gmm_bic_final, PARALLEL = SAFE);
CREATE AGGREGATE gmm_aic(m gmm, x float8[]) (
	SFUNC = gmm_score_accum, STYPE = float8[], INITCOND = '{0,0,0}',
	COMBINEFUNC = gmm_score_combine, FINALFUNC = gmm_aic_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_score(gmm, float8[]) IS 'mean log-likelihood per row of the rows under the model';
COMMENT ON AGGREGATE gmm_bic(gmm, float8[]) IS 'Bayesian information criterion of the model on the rows: -2 sum log p(x) + p ln n';
COMMENT ON AGGREGATE gmm_aic(gmm, float8[]) IS 'Akaike information criterion of the model on the rows: -2 sum log p(x) + 2 p';
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
-- gmm: the gmm_stats type (EM sufficient statistics), the gmm_em_step and
-- gmm_stats_agg aggregates that collect it, the gmm_stats_merge aggregate
-- and function that add it up, and gmm_stats_to_model (the M-step)

CREATE TYPE gmm_stats;

CREATE FUNCTION gmm_stats_in(cstring) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_out(gmm_stats) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_recv(internal) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_send(gmm_stats) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE gmm_stats (
	INPUT = gmm_stats_in,
	OUTPUT = gmm_stats_out,
	RECEIVE = gmm_stats_recv,
	SEND = gmm_stats_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE gmm_stats IS 'EM sufficient statistics of a set of rows under one model (soft counts, first and second moments about the model''s means, log-likelihood, rows and weight), with that model embedded';

CREATE FUNCTION gmm_stats_to_jsonb(gmm_stats) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'gmm_stats_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_from_jsonb(jsonb) RETURNS gmm_stats
	AS 'MODULE_PATHNAME', 'gmm_stats_from_jsonb_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (gmm_stats AS jsonb) WITH FUNCTION gmm_stats_to_jsonb(gmm_stats);
CREATE CAST (jsonb AS gmm_stats) WITH FUNCTION gmm_stats_from_jsonb(jsonb);
COMMENT ON FUNCTION gmm_stats_to_jsonb(gmm_stats) IS 'the statistics as a jsonb object (also the cast gmm_stats::jsonb)';
COMMENT ON FUNCTION gmm_stats_from_jsonb(jsonb) IS 'statistics from a jsonb object, validated (also the cast jsonb::gmm_stats)';

CREATE FUNCTION gmm_stats_model(gmm_stats) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_n_rows(gmm_stats) RETURNS int8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_weight(gmm_stats) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_log_likelihood(gmm_stats) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_counts(gmm_stats) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_model(gmm_stats) IS 'the model the statistics were collected under';
COMMENT ON FUNCTION gmm_stats_n_rows(gmm_stats) IS 'number of rows accumulated (rows of weight 0 are not counted)';
COMMENT ON FUNCTION gmm_stats_weight(gmm_stats) IS 'total weight of the rows accumulated (the row count when unweighted)';
COMMENT ON FUNCTION gmm_stats_log_likelihood(gmm_stats) IS 'mean log-likelihood per row (unit of weight) of the model on the rows; NULL without rows';
COMMENT ON FUNCTION gmm_stats_counts(gmm_stats) IS 'soft counts: the sum of each component''s (weighted) responsibilities, float8[k]';

-- transition function shared by gmm_em_step and gmm_stats_agg; points are
-- float8[] (real[], numeric[] and int[] convert implicitly)
CREATE FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[]) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[], float8) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[]) IS 'transition function of gmm_em_step and gmm_stats_agg: adds the E-step of one row (in an aggregate, rows are buffered and go through the E-step in blocks)';
COMMENT ON FUNCTION gmm_stats_accum(gmm_stats, gmm, float8[], float8) IS 'transition function of gmm_em_step and gmm_stats_agg: adds the E-step of one weighted row (in an aggregate, rows are buffered and go through the E-step in blocks)';

-- combine function, two-argument merge, and transition function of the merge aggregate
CREATE FUNCTION gmm_stats_merge(gmm_stats, gmm_stats) RETURNS gmm_stats
	AS 'MODULE_PATHNAME', 'gmm_stats_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_merge(gmm_stats, gmm_stats) IS 'the sum of two sets of statistics of the same model (NULL counts as no rows); also the combine function of the aggregates';

CREATE FUNCTION gmm_em_step_final(gmm_stats) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_em_step_final(gmm_stats) IS 'final function of gmm_em_step: the M-step with reg_covar 1e-6; NULL without rows';

CREATE FUNCTION gmm_stats_agg_final(gmm_stats) RETURNS gmm_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_agg_final(gmm_stats) IS 'final function of gmm_stats_agg: the statistics with every buffered row through the E-step';

CREATE FUNCTION gmm_stats_to_model(gmm_stats) RETURNS gmm
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_to_model(gmm_stats) IS 'the M-step: the next model from the statistics, with reg_covar 1e-6';
CREATE FUNCTION gmm_stats_to_model(gmm_stats, options jsonb) RETURNS gmm
	AS 'MODULE_PATHNAME', 'gmm_stats_to_model_options' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gmm_stats_to_model(gmm_stats, jsonb) IS 'the M-step with gmm_fit''s options: reg_covar applies, covariance_type must match, the others are accepted and ignored';

CREATE AGGREGATE gmm_em_step(m gmm, x float8[]) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_em_step_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
CREATE AGGREGATE gmm_em_step(m gmm, x float8[], weight float8) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_em_step_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_em_step(gmm, float8[]) IS 'one EM iteration from model m over the rows: the next model, carrying the mean log-likelihood of m on the rows, the rows seen and m''s iteration count + 1';
COMMENT ON AGGREGATE gmm_em_step(gmm, float8[], float8) IS 'one weighted EM iteration from model m over the rows (weights >= 0)';

CREATE AGGREGATE gmm_stats_agg(m gmm, x float8[]) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_stats_agg_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
CREATE AGGREGATE gmm_stats_agg(m gmm, x float8[], weight float8) (
	SFUNC = gmm_stats_accum, STYPE = gmm_stats, FINALFUNC = gmm_stats_agg_final,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_stats_agg(gmm, float8[]) IS 'the E-step statistics of the rows under model m, to merge with gmm_stats_merge and finish with gmm_stats_to_model';
COMMENT ON AGGREGATE gmm_stats_agg(gmm, float8[], float8) IS 'the E-step statistics of weighted rows under model m (weights >= 0)';

CREATE AGGREGATE gmm_stats_merge(gmm_stats) (
	SFUNC = gmm_stats_merge, STYPE = gmm_stats,
	COMBINEFUNC = gmm_stats_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE gmm_stats_merge(gmm_stats) IS 'the sum of statistics of the same model, e.g. one per shard or partition';
-- gmm: gmm_train, EM over a table, view or query of any size through
-- repeated gmm_stats_agg queries

CREATE FUNCTION gmm_train(source text, column_name text, k int, options jsonb DEFAULT NULL)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_train_k'
	LANGUAGE C VOLATILE PARALLEL UNSAFE SET synchronize_seqscans = off;
CREATE FUNCTION gmm_train(source regclass, column_name text, k int, options jsonb DEFAULT NULL)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_train_k'
	LANGUAGE C VOLATILE PARALLEL UNSAFE SET synchronize_seqscans = off;
CREATE FUNCTION gmm_train(source text, column_name text, m gmm, options jsonb DEFAULT NULL)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_train_from_model'
	LANGUAGE C VOLATILE PARALLEL UNSAFE SET synchronize_seqscans = off;
CREATE FUNCTION gmm_train(source regclass, column_name text, m gmm, options jsonb DEFAULT NULL)
	RETURNS gmm AS 'MODULE_PATHNAME', 'gmm_train_from_model'
	LANGUAGE C VOLATILE PARALLEL UNSAFE SET synchronize_seqscans = off;
COMMENT ON FUNCTION gmm_train(text, text, int, jsonb) IS 'fits k components by EM to a column of a table, view or query of any size: initialised from a bounded sample, then one gmm_stats_agg query per iteration; options as gmm_fit plus sample_size and weight_column';
COMMENT ON FUNCTION gmm_train(regclass, text, int, jsonb) IS 'fits k components by EM to a column of a table of any size: initialised from a bounded sample, then one gmm_stats_agg query per iteration; options as gmm_fit plus sample_size and weight_column';
COMMENT ON FUNCTION gmm_train(text, text, gmm, jsonb) IS 'refines model m by EM over a column of a table, view or query of any size, one gmm_stats_agg query per iteration';
COMMENT ON FUNCTION gmm_train(regclass, text, gmm, jsonb) IS 'refines model m by EM over a column of a table of any size, one gmm_stats_agg query per iteration';
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
