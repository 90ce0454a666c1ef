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
