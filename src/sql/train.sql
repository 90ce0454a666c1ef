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
