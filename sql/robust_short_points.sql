-- Points stored with a 1-byte varlena header (arrays of up to 13 float8 or
-- 27 real values in a table column of default storage), which scoring reads
-- in place: the same answers as the same points passed as literals, and the
-- same errors for every bad point.
CREATE TABLE rsp (id int, x float8[], r real[]);
INSERT INTO rsp VALUES
	(1, '{0.5,-1.25}', '{0.5,-1.25}'),
	(2, '{3,4}', '{3,4}'),
	(3, '[0:1]={1,2}', '[0:1]={1,2}');
CREATE FUNCTION rsp_m() RETURNS gmm LANGUAGE sql IMMUTABLE
	AS $$ SELECT gmm('{0.4,0.6}', '{0,0, 3,3}', '{1,0.5,0.5,2, 2,0,0,1}', 'full') $$;
-- stored short (the column's bytes are those of a short varlena)
SELECT id, pg_column_size(x) AS x_bytes, pg_column_size(r) AS r_bytes FROM rsp ORDER BY id;
-- the same values as literals passed as arguments
SELECT id,
	   gmm_logpdf(rsp_m(), x) = gmm_logpdf(rsp_m(), x::text::float8[]) AS logpdf_same,
	   gmm_logpdf(rsp_m(), r) = gmm_logpdf(rsp_m(), r::text::real[]) AS logpdf_real_same,
	   gmm_predict(rsp_m(), x) = gmm_predict(rsp_m(), x::text::float8[]) AS predict_same,
	   gmm_predict_proba(rsp_m(), r) = gmm_predict_proba(rsp_m(), r::text::real[]) AS proba_same
FROM rsp ORDER BY id;
-- bad points stored short: each gives the error a literal gives
CREATE TABLE rsp_bad (id int, x float8[], r real[]);
INSERT INTO rsp_bad VALUES (1, '{1,NaN}', NULL), (2, '{1,Infinity}', NULL), (3, '{1,2,3}', NULL),
	(4, '{{1,2}}', NULL), (5, '{1,NULL}', NULL), (6, '{}', NULL), (7, NULL, '{1,NaN}'),
	(8, NULL, '{-Infinity,1}'), (9, NULL, '{1}');
SELECT gmm_logpdf(rsp_m(), x) FROM rsp_bad WHERE id = 1;
SELECT gmm_logpdf(rsp_m(), x) FROM rsp_bad WHERE id = 2;
SELECT gmm_predict(rsp_m(), x) FROM rsp_bad WHERE id = 3;
SELECT gmm_logpdf(rsp_m(), x) FROM rsp_bad WHERE id = 4;
SELECT gmm_logpdf(rsp_m(), x) FROM rsp_bad WHERE id = 5;
SELECT gmm_logpdf(rsp_m(), x) FROM rsp_bad WHERE id = 6;
SELECT gmm_logpdf(rsp_m(), r) FROM rsp_bad WHERE id = 7;
SELECT gmm_predict(rsp_m(), r) FROM rsp_bad WHERE id = 8;
SELECT gmm_logpdf(rsp_m(), r) FROM rsp_bad WHERE id = 9;
-- NULL points give NULL
SELECT count(*) AS nulls FROM rsp_bad WHERE id >= 7 AND gmm_logpdf(rsp_m(), x) IS NULL;
-- casts from other element types feed the same path
SELECT gmm_logpdf(rsp_m(), '{1,2}'::int[]::float8[]) IS NOT NULL AS int_cast_ok;
CREATE TABLE rsp_text (x text[]);
INSERT INTO rsp_text VALUES ('{1,2}');
SELECT gmm_logpdf(rsp_m(), x::float8[]) IS NOT NULL AS text_cast_ok FROM rsp_text;
DROP TABLE rsp, rsp_bad, rsp_text;
DROP FUNCTION rsp_m();
