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

CREATE FUNCTION gmm_selection(m gmm,
		OUT k int, OUT log_likelihood float8, OUT bic float8, OUT aic float8,
		OUT converged bool, OUT n_iter int)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'gmm_selection' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION gmm_selection(gmm) IS 'per k fitted by a fit over a range of k (option k_max): k, mean log-likelihood per row, BIC, AIC (on the fit''s rows), converged and iterations; one row for a fit of a single k, none for a built model';

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
