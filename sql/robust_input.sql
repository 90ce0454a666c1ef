-- Robustness of the input paths (issue 9): points stored out of line or
-- passed as expanded PL/pgSQL arrays, schema-qualified SQL in gmm_train,
-- JSON null options, -0.0, huge sample buffers, source errors.
SET extra_float_digits = 0;

-- 60 points of dimension 300 (incompressible, so stored out of line)
CREATE TABLE ri_ext (id int PRIMARY KEY, x float8[]);
ALTER TABLE ri_ext ALTER x SET STORAGE EXTERNAL;
INSERT INTO ri_ext
SELECT i, array_agg(sin(i * 1000 + j) + (i % 2) ORDER BY j)
FROM generate_series(1, 60) i, generate_series(1, 300) j GROUP BY i;
-- the same points, inline and compressed inline
CREATE TABLE ri_main (id int PRIMARY KEY, x float8[]);
ALTER TABLE ri_main ALTER x SET STORAGE MAIN;
INSERT INTO ri_main SELECT id, x FROM ri_ext;
CREATE TABLE ri_model (m gmm);
INSERT INTO ri_model VALUES (gmm('{1}', array_fill(0.5::float8, ARRAY[300]), '{1}', 'spherical'));

-- every value of ri_ext is out of line
SELECT reltoastrelid::regclass AS ri_toast FROM pg_class WHERE relname = 'ri_ext' \gset
SELECT count(DISTINCT chunk_id) AS out_of_line_values FROM :ri_toast;

CREATE FUNCTION ri_m() RETURNS gmm LANGUAGE sql STABLE AS 'SELECT m FROM ri_model';

-- 1. out-of-line points (crashed the server): the same as fresh in-memory arrays
SELECT gmm_em_step(ri_m(), x ORDER BY id) = (SELECT gmm_em_step(ri_m(), array_cat(x, '{}') ORDER BY id) FROM ri_ext) AS em_step_same
FROM ri_ext;
SELECT gmm_em_step(ri_m(), x ORDER BY id) = (SELECT gmm_em_step(ri_m(), x ORDER BY id) FROM ri_main) AS em_step_main_same
FROM ri_ext;
SELECT gmm_stats_to_model(gmm_stats_agg(ri_m(), x, 2.0 ORDER BY id))
	 = (SELECT gmm_stats_to_model(gmm_stats_agg(ri_m(), array_cat(x, '{}'), 2.0 ORDER BY id)) FROM ri_ext) AS stats_agg_same
FROM ri_ext;
SELECT gmm_stats_to_model(gmm_stats_accum(NULL, ri_m(), x))
	 = gmm_stats_to_model(gmm_stats_accum(NULL, ri_m(), array_cat(x, '{}'))) AS accum_same
FROM ri_ext WHERE id = 7;
SELECT round(sum(gmm_logpdf(ri_m(), x))::numeric, 6) = round(sum(gmm_logpdf(ri_m(), array_cat(x, '{}')))::numeric, 6) AS logpdf_same
FROM ri_ext;
SELECT gmm_train('ri_ext', 'x', ri_m(), '{"max_iter": 3}')
	 = gmm_train('SELECT array_cat(x, ''{}'') AS x FROM ri_ext', 'x', ri_m(), '{"max_iter": 3}') AS train_same;
SELECT gmm_n_components(gmm_train('ri_ext', 'x', 2, '{"covariance_type": "spherical", "max_iter": 3}')) AS train_k;

-- 1. expanded arrays: PL/pgSQL array variables, generic plans
SET plan_cache_mode = force_generic_plan;
CREATE FUNCTION ri_loop(m gmm, expand boolean) RETURNS TABLE (accum gmm_stats, agg gmm_stats, em gmm) LANGUAGE plpgsql AS $$
DECLARE
	v float8[];
	s gmm_stats;
	a gmm_stats;
	e gmm;
BEGIN
	-- an array variable holds an expanded array; array_cat() gives a flat one
	FOR v IN SELECT x FROM ri_ext ORDER BY id LOOP
		s := gmm_stats_accum(s, m, CASE WHEN expand THEN v ELSE array_cat(v, '{}') END);
		a := gmm_stats_merge(a, (SELECT gmm_stats_agg(m, CASE WHEN expand THEN v ELSE array_cat(v, '{}') END)
								 FROM generate_series(1, 3)));
		e := (SELECT gmm_em_step(m, CASE WHEN expand THEN v ELSE array_cat(v, '{}') END)
			  FROM generate_series(1, 2));
	END LOOP;
	RETURN QUERY SELECT s, a, e;
END $$;
SELECT gmm_stats_n_rows(x.accum) AS accum_rows, gmm_stats_n_rows(x.agg) AS agg_rows,
	   gmm_stats_to_model(x.accum) = gmm_stats_to_model(f.accum) AS accum_same,
	   gmm_stats_to_model(x.agg) = gmm_stats_to_model(f.agg) AS agg_same,
	   x.em = f.em AS em_same,
	   (SELECT max(abs(a - b)) < 1e-9 FROM unnest(gmm_means(gmm_stats_to_model(x.accum)),
	   gmm_means((SELECT gmm_em_step(ri_m(), x) FROM ri_ext))) u(a, b)) AS accum_near_aggregate
FROM ri_loop(ri_m(), true) x, ri_loop(ri_m(), false) f;
CREATE FUNCTION ri_train(m gmm) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	v float8[];
	r gmm;
BEGIN
	CREATE TEMP TABLE ri_tmp (x float8[]);
	FOR v IN SELECT x FROM ri_ext ORDER BY id LOOP
		INSERT INTO ri_tmp VALUES (v);
	END LOOP;
	r := gmm_train('ri_tmp', 'x', m, '{"max_iter": 3}');
	DROP TABLE ri_tmp;
	RETURN r = gmm_train('ri_ext', 'x', m, '{"max_iter": 3}');
END $$;
SELECT ri_train(ri_m()) AS train_from_plpgsql_same;
RESET plan_cache_mode;

-- 11. gmm_train's SQL qualifies its types: a session type named float8
CREATE TABLE ri_pts AS
SELECT i, ARRAY[(i % 2) * 5 + sin(i), cos(i)]::float8[] AS x, 1 + (i % 3) AS w
FROM generate_series(1, 200) i;
CREATE TABLE ri_ref AS
SELECT gmm_train('ri_pts', 'x', 2, '{"seed": 3, "weight_column": "w"}') AS m;
CREATE TYPE pg_temp.float8 AS (a int);
SELECT 1.5::float8;
SELECT gmm_train('ri_pts', 'x', 2, '{"seed": 3, "weight_column": "w"}') = m AS shadowed_float8_ok FROM ri_ref;
SELECT gmm_train('ri_pts', 'x', m, '{"weight_column": "w", "max_iter": 2}') IS NOT NULL AS shadowed_from_model_ok FROM ri_ref;
DROP TYPE pg_temp.float8;

-- 12. a JSON null option is the default
SELECT gmm_stats_to_model(gmm_stats_agg(gmm('{0.5,0.5}', '{0,0, 5,0}', '{1,1, 1,1}', 'diag'), x), '{"covariance_type": null, "reg_covar": null}')
	 = gmm_stats_to_model(gmm_stats_agg(gmm('{0.5,0.5}', '{0,0, 5,0}', '{1,1, 1,1}', 'diag'), x)) AS stats_null_default
FROM ri_pts;
SELECT gmm_train('ri_pts', 'x', 2, '{"seed": 3, "weight_column": "w", "sample_size": null, "init": null, "covariance_type": null}') = m AS train_k_null_default
FROM ri_ref;
SELECT gmm_train('ri_pts', 'x', 2, '{"seed": 3, "weight_column": null}') = gmm_train('ri_pts', 'x', 2, '{"seed": 3}') AS train_weight_null_default;
SELECT gmm_train('ri_pts', 'x', m, '{"init": null, "means": null, "k_max": null, "n_init": null, "covariance_type": null, "max_iter": 2}')
	 = gmm_train('ri_pts', 'x', m, '{"max_iter": 2}') AS train_model_null_default
FROM ri_ref;
SELECT gmm_covariance_type(gmm_train('ri_pts', 'x', gmm('{0.5,0.5}', '{0,0, 5,0}', '{1,1, 1,1}', 'diag'), '{"covariance_type": null, "max_iter": 2}')) AS train_cov_type;
SELECT gmm_fit(x, 2, '{"seed": 3, "init": null, "covariance_type": null}') = gmm_fit(x, 2, '{"seed": 3}') AS fit_null_default FROM ri_pts;
-- null keeps the default of known keys only
SELECT gmm_train('ri_pts', 'x', 2, '{"sample_sizes": null}');

-- 13. -0.0 and 0.0 are the same row for gmm_fit and gmm_train
CREATE TABLE ri_zero (x float8[]);
INSERT INTO ri_zero VALUES ('{0,1}'), ('{-0,1}'), ('{0,-0}'), ('{-0,0}'), ('{1,1}');
SELECT gmm_fit(x, 4) FROM ri_zero;
SELECT gmm_train('ri_zero', 'x', 4);
SELECT gmm_n_components(gmm_fit(x, 1, '{"k_max": 4}')) AS fit_k, gmm_n_components(gmm_train('ri_zero', 'x', 1, '{"k_max": 4}')) AS train_k FROM ri_zero;

-- 9. gmm_train's sample buffer grows with the rows, not with sample_size,
-- and is a huge allocation (10M rows of dimension 16 would be 1.28 GB)
SET gmm.fit_memory_limit = '4GB';
SELECT gmm_n_rows(gmm_train('SELECT array_fill(i::float8, ARRAY[16]) AS x FROM generate_series(1, 50) i', 'x', 2, '{"sample_size": 10000000, "max_iter": 2}')) AS n_seen;
SET gmm.fit_memory_limit = '64kB';
SELECT gmm_train('SELECT array_fill(i::float8, ARRAY[16]) AS x FROM generate_series(1, 1000) i', 'x', 2, '{"sample_size": 10000000}');
SELECT gmm_n_rows(gmm_train('SELECT array_fill(i::float8, ARRAY[16]) AS x FROM generate_series(1, 1000) i', 'x', 2, '{"sample_size": 100, "max_iter": 2}')) AS n_seen_small_sample;
RESET gmm.fit_memory_limit;

-- 15. a source that is neither a query nor a relation name
SELECT gmm_train('DELETE FROM ri_pts', 'x', 2);
SELECT gmm_train('UPDATE ri_pts SET w = 0 RETURNING x', 'x', 2);
SELECT count(*) AS rows_still_there FROM ri_pts;

DROP FUNCTION ri_loop(gmm, boolean);
DROP FUNCTION ri_m();
DROP FUNCTION ri_train(gmm);
DROP TABLE ri_ext, ri_main, ri_model, ri_pts, ri_ref, ri_zero;
