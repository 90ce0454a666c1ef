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
