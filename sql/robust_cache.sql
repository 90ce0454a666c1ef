-- The prepared-model cache never returns a model other than the argument's:
-- PL/pgSQL (custom and generic plans), SQL functions, prepared statements,
-- aggregates, more distinct models than cache entries, out-of-line models.
SET extra_float_digits = 0;

-- seven models: 1-D and 2-D ones in turn, the first one twice
CREATE TABLE rc_models (id int PRIMARY KEY, m gmm, x float8[]);
INSERT INTO rc_models VALUES
(1, gmm('{1}', '{0}', '{1}', 'spherical'), '{0}'),
(2, gmm('{1}', '{1}', '{1}', 'spherical'), '{0}'),
(3, gmm('{0.5,0.5}', '{-2,2}', '{1,4}', 'spherical'), '{0}'),
(4, gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1, 2,0.5,0.5,1}', 'full'), '{1,2}'),
(5, gmm('{1}', '{0}', '{1}', 'spherical'), '{0}'),
(6, gmm('{0.4,0.6}', '{0,1, 2,-1}', '{1,2, 0.5,1}', 'diag'), '{1,2}'),
(7, gmm('{0.3,0.7}', '{1,0, -3,2}', '{2,-0.5,-0.5,1, 1,0.2,0.2,3}', 'full'), '{1,2}');

-- PL/pgSQL: the scoring functions as simple expressions over parameters
CREATE FUNCTION rc_logpdf(m gmm, x float8[]) RETURNS float8
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_logpdf(m, x); END $$;
CREATE FUNCTION rc_predict(m gmm, x float8[]) RETURNS int
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_predict(m, x); END $$;
CREATE FUNCTION rc_proba(m gmm, x float8[]) RETURNS float8[]
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_predict_proba(m, x); END $$;
CREATE FUNCTION rc_regress(m gmm, v float8) RETURNS float8[]
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_regress(m, '{1}', ARRAY[v]); END $$;
CREATE FUNCTION rc_marginal(m gmm) RETURNS gmm
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_marginal(m, '{1}'); END $$;
CREATE FUNCTION rc_region(m gmm, x float8[]) RETURNS bool
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_in_confidence_region(m, x, 0.5); END $$;
-- (x::text::float8[]: a flat array, not PL/pgSQL's expanded one: that is
-- the storage-form matrix's business)
CREATE FUNCTION rc_accum(m gmm, x float8[]) RETURNS gmm
LANGUAGE plpgsql AS $$ BEGIN RETURN gmm_stats_to_model(gmm_stats_accum(NULL, m, x::text::float8[])); END $$;
-- a model held in a PL/pgSQL variable, reassigned in a loop
CREATE FUNCTION rc_loop() RETURNS TABLE (id int, lp float8)
LANGUAGE plpgsql AS $$
DECLARE
	mm gmm;
	xx float8[];
BEGIN
	FOR id, mm, xx IN SELECT r.id, r.m, r.x FROM rc_models r ORDER BY r.id LOOP
		lp := gmm_logpdf(mm, xx);
		RETURN NEXT;
	END LOOP;
END $$;
-- a SQL function that is not inlined (it has a SET clause)
CREATE FUNCTION rc_sql_logpdf(m gmm, x float8[]) RETURNS float8
LANGUAGE sql SET search_path = public AS $$ SELECT gmm_logpdf(m, x) $$;

-- every call must agree with the direct call on the same row
CREATE VIEW rc_check AS
SELECT id,
	   rc_logpdf(m, x) = gmm_logpdf(m, x) AS logpdf,
	   rc_predict(m, x) = gmm_predict(m, x) AS predict,
	   rc_proba(m, x) = gmm_predict_proba(m, x) AS proba,
	   CASE WHEN gmm_dimension(m) = 2
			THEN rc_regress(m, 1.5) = gmm_regress(m, '{1}', '{1.5}')
			 AND rc_marginal(m)::text = gmm_marginal(m, '{1}')::text END AS regress,
	   rc_region(m, x) = gmm_in_confidence_region(m, x, 0.5) AS region,
	   rc_accum(m, x)::text = gmm_stats_to_model(gmm_stats_accum(NULL, m, x))::text AS accum,
	   rc_sql_logpdf(m, x) = gmm_logpdf(m, x) AS sql_fn,
	   round(gmm_logpdf(m, x)::numeric, 6) AS value
FROM rc_models;

SELECT * FROM rc_check ORDER BY id;
SELECT l.id, l.lp = gmm_logpdf(r.m, r.x) AS loop_ok
FROM rc_loop() l JOIN rc_models r USING (id) ORDER BY id;

SET plan_cache_mode = force_generic_plan;
SELECT * FROM rc_check ORDER BY id;
SELECT l.id, l.lp = gmm_logpdf(r.m, r.x) AS loop_ok
FROM rc_loop() l JOIN rc_models r USING (id) ORDER BY id;
SET plan_cache_mode = force_custom_plan;
SELECT * FROM rc_check ORDER BY id;
RESET plan_cache_mode;

-- the same function called from separate statements of one transaction
BEGIN;
SELECT round(rc_logpdf(gmm('{1}', '{0}', '{1}', 'spherical'), '{0}')::numeric, 6);
SELECT round(rc_logpdf(gmm('{1}', '{1}', '{1}', 'spherical'), '{0}')::numeric, 6);
SELECT round(rc_logpdf(gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1, 2,0.5,0.5,1}', 'full'), '{1,2}')::numeric, 6);
COMMIT;

-- prepared statements with a model parameter, custom and generic plans
PREPARE rc_q(gmm, float8[]) AS SELECT round(gmm_logpdf($1, $2)::numeric, 6) AS lp;
SET plan_cache_mode = force_generic_plan;
EXECUTE rc_q(gmm('{1}', '{0}', '{1}', 'spherical'), '{0}');
EXECUTE rc_q(gmm('{1}', '{1}', '{1}', 'spherical'), '{0}');
EXECUTE rc_q(gmm('{0.5,0.5}', '{0,0, 3,3}', '{1,0,0,1, 2,0.5,0.5,1}', 'full'), '{1,2}');
RESET plan_cache_mode;
EXECUTE rc_q(gmm('{1}', '{1}', '{1}', 'spherical'), '{0}');
DEALLOCATE rc_q;

-- aggregates with a parameter model, from PL/pgSQL
CREATE TABLE rc_pts AS
SELECT i, ARRAY[sin(i * 0.37) * 2, cos(i * 0.11)]::float8[] AS x
FROM generate_series(1, 300) i;
CREATE FUNCTION rc_step(m gmm) RETURNS gmm
LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT gmm_em_step(m, x ORDER BY i) FROM rc_pts); END $$;
CREATE FUNCTION rc_score(m gmm) RETURNS float8
LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT gmm_score(m, x) FROM rc_pts); END $$;
CREATE TABLE rc_m2 (id int, m gmm);
INSERT INTO rc_m2 VALUES
(1, gmm('{0.5,0.5}', '{-1,0, 1,0}', '{1,1}', 'spherical')),
(2, gmm('{0.5,0.5}', '{0,-1, 0,1}', '{1,0,0,1, 2,0,0,2}', 'full')),
(3, gmm('{0.3,0.7}', '{-2,1, 2,-1}', '{1,1, 2,2}', 'diag'));
SET plan_cache_mode = force_generic_plan;
SELECT id, rc_step(m)::text = (SELECT gmm_em_step(r.m, x ORDER BY i) FROM rc_pts)::text AS em_step,
	   rc_score(m) = (SELECT gmm_score(r.m, x) FROM rc_pts) AS score
FROM rc_m2 r ORDER BY id;
RESET plan_cache_mode;

-- twelve models interleaved row by row (more than the cache's 8 entries):
-- each group's result equals the same aggregate over its rows alone
CREATE TABLE rc_many AS
SELECT g, gmm(ARRAY[0.5, 0.5], ARRAY[-g, 0, g, g * 0.5]::float8[],
			  ARRAY[1 + g * 0.1, 2]::float8[], 'spherical') AS m
FROM generate_series(1, 12) g;
CREATE TABLE rc_rows AS
SELECT i, 1 + i % 12 AS g,
	   ARRAY[sin(i * 0.7) * (1 + i % 12), cos(i * 0.3) * 3]::float8[] AS x
FROM generate_series(1, 2400) i;
SET enable_sort = off;
CREATE TEMP TABLE rc_grouped AS
SELECT g, gmm_em_step(m, x) AS step, gmm_stats_agg(m, x) AS stats, gmm_score(m, x) AS score,
	   sum(gmm_logpdf(m, x)) AS lpsum
FROM (SELECT r.i, r.g, r.x, mm.m FROM rc_rows r JOIN rc_many mm USING (g) ORDER BY r.i OFFSET 0) s
GROUP BY g;
RESET enable_sort;
SELECT count(*) AS groups,
	   bool_and(step::text = (SELECT gmm_em_step(mm.m, x ORDER BY i) FROM rc_rows r WHERE r.g = mm.g)::text) AS em_step,
	   bool_and(gmm_stats_to_model(stats)::text = (SELECT gmm_stats_to_model(gmm_stats_agg(mm.m, x ORDER BY i)) FROM rc_rows r WHERE r.g = mm.g)::text) AS stats_agg,
	   bool_and(abs(score - (SELECT gmm_score(mm.m, x) FROM rc_rows r WHERE r.g = mm.g)) <= 1e-12 * abs(score)) AS score,
	   bool_and(abs(lpsum - (SELECT sum(gmm_logpdf(mm.m, x)) FROM rc_rows r WHERE r.g = mm.g)) <= 1e-12 * abs(lpsum)) AS logpdf
FROM rc_grouped JOIN rc_many mm USING (g);
-- scoring interleaved row by row against a per-row model
SELECT bool_and(gmm_logpdf(mm.m, r.x) = (SELECT gmm_logpdf(m2.m, r.x) FROM rc_many m2 WHERE m2.g = r.g)) AS interleaved
FROM rc_rows r JOIN rc_many mm USING (g);

-- large models stored out of line (TOAST pointers), through PL/pgSQL
CREATE TABLE rc_big (id int, m gmm);
ALTER TABLE rc_big ALTER m SET STORAGE EXTERNAL;
INSERT INTO rc_big
SELECT j, gmm(array_fill(1.0 / 20, ARRAY[20]),
			  (SELECT array_agg(sin(j * 100 + i)) FROM generate_series(1, 20 * 30) i),
			  (SELECT array_agg(1 + 0.1 * j + 0.01 * (i % 7)) FROM generate_series(1, 20 * 30) i),
			  'diag')
FROM generate_series(1, 3) j;
SELECT pg_relation_size(reltoastrelid) > 0 AS out_of_line FROM pg_class WHERE relname = 'rc_big';
SELECT id, rc_logpdf(m, array_fill(0.25::float8, ARRAY[30])) = gmm_logpdf(m, array_fill(0.25::float8, ARRAY[30])) AS same,
	   round(gmm_logpdf(m, array_fill(0.25::float8, ARRAY[30]))::numeric, 6) AS value
FROM rc_big ORDER BY id;

DROP TABLE rc_models, rc_pts, rc_m2, rc_many, rc_rows, rc_big CASCADE;
DROP FUNCTION rc_logpdf, rc_predict, rc_proba, rc_regress, rc_marginal, rc_region,
	rc_accum, rc_loop, rc_sql_logpdf, rc_step, rc_score;
