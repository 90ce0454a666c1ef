-- gmm_em_step, gmm_stats_agg and gmm_stats_merge in parallel plans: Partial
-- aggregates on workers, states sent back and combined by gmm_stats_merge
SET extra_float_digits = 0;

CREATE FUNCTION pg_temp.close(a float8[], b float8[], tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT cardinality(a) = cardinality(b)
		AND max(abs(x - y)) <= tol * greatest(max(abs(x)), max(abs(y)), 1e-300)
	FROM unnest(a, b) AS u(x, y)
$$;
CREATE FUNCTION pg_temp.close(a gmm, b gmm, tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT gmm_covariance_type(a) = gmm_covariance_type(b)
		AND pg_temp.close(gmm_weights(a), gmm_weights(b), tol)
		AND pg_temp.close(gmm_means(a), gmm_means(b), tol)
		AND pg_temp.close(gmm_covariances(a), gmm_covariances(b), tol)
		AND abs(gmm_log_likelihood(a) - gmm_log_likelihood(b)) <= tol * abs(gmm_log_likelihood(a))
		AND gmm_n_rows(a) = gmm_n_rows(b) AND gmm_n_iter(a) = gmm_n_iter(b)
$$;

-- three clusters in 3-D, deterministic
CREATE TABLE par_pts AS
SELECT i, i % 4 AS g, 1 + (i % 5) * 0.5 AS w,
	   ARRAY[(i % 3) * 4 + sin(i * 1.7), cos(i * 0.3) * 2 - (i % 3), sin(i * 0.11) + (i % 3) * (i % 3)]::float8[] AS x
FROM generate_series(1, 60000) i;
ANALYZE par_pts;
CREATE TABLE par_models (name text PRIMARY KEY, m gmm);
INSERT INTO par_models VALUES
('full', '{"covariance_type":"full","weights":[0.3,0.3,0.4],"means":[[0,0,0],[4,-1,1],[8,-2,4]],"covariances":[[[1,0,0],[0,1,0],[0,0,1]],[[1,0,0],[0,1,0],[0,0,1]],[[1,0,0],[0,1,0],[0,0,1]]]}'),
('diag', '{"covariance_type":"diag","weights":[0.3,0.3,0.4],"means":[[0,0,0],[4,-1,1],[8,-2,4]],"covariances":[[1,1,1],[1,2,1],[2,1,1]]}');

-- the models as constants, as an application would pass them
SELECT m AS mfull FROM par_models WHERE name = 'full' \gset
SELECT m AS mdiag FROM par_models WHERE name = 'diag' \gset

-- serial results
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT gmm_em_step(:'mfull', x) FROM par_pts;
CREATE TEMP TABLE par_serial AS
SELECT 'full' AS name, gmm_em_step(:'mfull', x) AS step, gmm_em_step(:'mfull', x, w) AS wstep,
	   gmm_stats_agg(:'mfull', x) AS stats
FROM par_pts
UNION ALL
SELECT 'diag', gmm_em_step(:'mdiag', x), gmm_em_step(:'mdiag', x, w), gmm_stats_agg(:'mdiag', x)
FROM par_pts;

-- force parallel plans; the leader does not scan so that the workers'
-- partial states really go through the combine function
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT gmm_em_step(:'mfull', x) FROM par_pts;
EXPLAIN (COSTS OFF)
CREATE TEMP TABLE par_parallel_full AS
SELECT 'full' AS name, gmm_em_step(:'mfull', x) AS step, gmm_em_step(:'mfull', x, w) AS wstep,
	   gmm_stats_agg(:'mfull', x) AS stats
FROM par_pts;
CREATE TEMP TABLE par_parallel_full AS
SELECT 'full' AS name, gmm_em_step(:'mfull', x) AS step, gmm_em_step(:'mfull', x, w) AS wstep,
	   gmm_stats_agg(:'mfull', x) AS stats
FROM par_pts;
CREATE TEMP TABLE par_parallel_diag AS
SELECT 'diag' AS name, gmm_em_step(:'mdiag', x) AS step, gmm_em_step(:'mdiag', x, w) AS wstep,
	   gmm_stats_agg(:'mdiag', x) AS stats
FROM par_pts;
CREATE TEMP VIEW par_parallel AS
SELECT * FROM par_parallel_full UNION ALL SELECT * FROM par_parallel_diag;

-- parallel equals serial within 1e-9 relative (in practice to rounding)
SELECT name, pg_temp.close(p.step, s.step, 1e-9) AS em_step,
	   pg_temp.close(p.wstep, s.wstep, 1e-9) AS weighted_em_step,
	   pg_temp.close(gmm_stats_to_model(p.stats), gmm_stats_to_model(s.stats), 1e-9) AS stats_agg,
	   gmm_stats_n_rows(p.stats) AS n_rows, gmm_n_rows(p.wstep) AS weight
FROM par_parallel p JOIN par_serial s USING (name) ORDER BY name;

-- grouped partial aggregation: per-group states cross the workers too
EXPLAIN (COSTS OFF)
SELECT g, gmm_stats_agg('{"covariance_type":"spherical","weights":[1],"means":[[0,0,0]],"covariances":[1]}', x) FROM par_pts GROUP BY g;
SELECT g, gmm_stats_n_rows(s) AS n_rows,
	   pg_temp.close(gmm_stats_to_model(s),
					 (SELECT gmm_em_step('{"covariance_type":"spherical","weights":[1],"means":[[0,0,0]],"covariances":[1]}', x)
					  FROM par_pts p WHERE p.g = q.g), 1e-9) AS matches_group
FROM (SELECT g, gmm_stats_agg('{"covariance_type":"spherical","weights":[1],"means":[[0,0,0]],"covariances":[1]}', x) s
	  FROM par_pts GROUP BY g) q
ORDER BY g;

-- the merge aggregate in parallel over a table of statistics
CREATE TABLE par_parts AS
SELECT i % 50 AS part, gmm_stats_agg(:'mfull', x) AS s FROM par_pts GROUP BY i % 50;
ANALYZE par_parts;
EXPLAIN (COSTS OFF) SELECT gmm_stats_merge(s) FROM par_parts;
SELECT pg_temp.close(gmm_stats_to_model(merged), step, 1e-9) AS merged_parts,
	   gmm_stats_n_rows(merged) AS n_rows
FROM (SELECT gmm_stats_merge(s) AS merged FROM par_parts) q, par_serial WHERE name = 'full';

RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE par_pts, par_models, par_parts;
