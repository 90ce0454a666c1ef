--
-- gmm_fit past gmm.fit_memory_limit: the rows spill to a temporary file in
-- blocks and every pass streams it; the model is the one fitted in memory,
-- bit for bit.  And the option "storage": "float4".
--
SET extra_float_digits = 0;
CREATE TABLE fs_pts AS
SELECT g, ARRAY[(i % 3) * 4 + sin(i * 1.7) * 1.3, (i % 2) * 3 + cos(i * 0.9) * 0.8,
				sin(i * 0.31) + (i % 3)]::float8[] AS x,
	   1 + (i % 5) * 0.25 AS w
FROM generate_series(1, 6000) i, generate_series(1, 3) g
WHERE g < 3 OR i <= 500;		-- group 3 is small: it does not spill
CREATE TABLE fs_opts (o jsonb);
INSERT INTO fs_opts VALUES
	('{"covariance_type": "full"}'), ('{"covariance_type": "diag"}'),
	('{"covariance_type": "tied"}'), ('{"covariance_type": "spherical"}'),
	('{"init": "kmeans", "n_init": 2}'), ('{"init": "random", "n_init": 2, "covariance_type": "diag"}'),
	('{"k_max": 4, "covariance_type": "diag"}'),
	('{"storage": "float4"}'), ('{"storage": "float4", "init": "kmeans", "covariance_type": "tied"}'),
	-- variational fits stream the same blocks
	('{"prior": {"type": "dirichlet_process"}, "covariance_type": "diag"}'),
	('{"prior": {"type": "dirichlet_distribution"}, "storage": "float4"}');

-- every option set, weighted and unweighted, by group: in memory ...
CREATE TEMP TABLE fs_mem AS
SELECT g, o, gmm_fit(x, 3, o)::text AS m, gmm_fit_weighted(x, w, 3, o)::text AS mw
FROM fs_pts, fs_opts GROUP BY g, o;
-- ... and spilled (groups 1 and 2 hold 6000 rows, group 3 only 500)
SET gmm.fit_memory_limit = '64kB';
CREATE TEMP TABLE fs_spill AS
SELECT g, o, gmm_fit(x, 3, o)::text AS m, gmm_fit_weighted(x, w, 3, o)::text AS mw
FROM fs_pts, fs_opts GROUP BY g, o;
SELECT g, o, a.m = b.m AS same, a.mw = b.mw AS same_weighted
FROM fs_mem a JOIN fs_spill b USING (g, o) ORDER BY g, o::text;
SELECT count(*) AS temp_files_left FROM pg_ls_tmpdir();

-- initialisations that scan for a new row: random draws that keep hitting a
-- centre (3000 copies of one point), and k-means++ whose squared distances
-- underflow to 0 (points 1e-200 apart)
CREATE TEMP TABLE fs_dup AS
SELECT CASE WHEN i <= 3000 THEN ARRAY[0, 0]::float8[] ELSE ARRAY[i - 3000, 1]::float8[] END AS x,
	   ARRAY[i * 1e-200, 0]::float8[] AS tiny
FROM generate_series(1, 3002) i;
RESET gmm.fit_memory_limit;
CREATE TEMP TABLE fs_dup_mem AS
SELECT gmm_fit(x, 2, '{"init": "random", "covariance_type": "spherical"}')::text AS r,
	   gmm_fit(tiny, 3, '{"init": "kmeans++", "covariance_type": "spherical", "max_iter": 2}')::text AS t
FROM fs_dup;
SET gmm.fit_memory_limit = '64kB';
SELECT gmm_fit(x, 2, '{"init": "random", "covariance_type": "spherical"}')::text = r AS random_same,
	   gmm_fit(tiny, 3, '{"init": "kmeans++", "covariance_type": "spherical", "max_iter": 2}')::text = t AS kmeanspp_same
FROM fs_dup, fs_dup_mem GROUP BY r, t;

-- a spilled fit counts the rows of its group
SELECT gmm_n_rows(gmm_fit(x, 2)) FROM fs_pts WHERE g = 1;

-- temp_file_limit applies to the spill file
SET temp_file_limit = '64kB';
SELECT gmm_fit(x, 2) FROM fs_pts;
RESET temp_file_limit;
SELECT count(*) AS temp_files_left FROM pg_ls_tmpdir();

-- a cancel while the rows are read back leaves no file, and the backend works
SET statement_timeout = '300ms';
SELECT gmm_fit(x, 8, '{"k_max": 30, "tol": 0, "max_iter": 100000, "n_init": 50}') FROM fs_pts;
RESET statement_timeout;
SELECT count(*) AS temp_files_left FROM pg_ls_tmpdir();
SELECT gmm_n_rows(gmm_fit(x, 2)) FROM fs_pts WHERE g = 3;
RESET gmm.fit_memory_limit;

-- "storage": "float4" on float4 data: the log-likelihood of the float8 path
SELECT abs(gmm_log_likelihood(a) / gmm_log_likelihood(b) - 1) < 1e-6 AS ll_agrees,
	   gmm_n_iter(a) = gmm_n_iter(b) AS same_iterations,
	   a::text = b::text AS same_model
FROM (SELECT gmm_fit(x::real[], 3, '{"storage": "float4", "seed": 7}') AS a,
			 gmm_fit(x::real[], 3, '{"seed": 7}') AS b
	  FROM fs_pts WHERE g = 1) s;
-- float8 data is rounded to float4; beyond its range, an error
SELECT gmm_dimension(gmm_fit(x, 2, '{"storage": "float4"}')) FROM fs_pts WHERE g = 3;
SELECT gmm_fit(ARRAY[1e300, 1]::float8[], 1, '{"storage": "float4"}');
-- bad values of the option
SELECT gmm_fit(x, 2, '{"storage": "float16"}') FROM fs_pts;
SELECT gmm_fit(x, 2, '{"storage": 4}') FROM fs_pts;
SELECT gmm_fit_weighted(x, w, 2, '{"storage": "double"}') FROM fs_pts;
SELECT gmm_train('fs_pts', 'x', 2, '{"storage": "float4"}');
SELECT gmm_n_rows(gmm_fit(x, 2, '{"storage": null}')) FROM fs_pts WHERE g = 3;
-- overloads are unchanged: integer and numeric arrays still resolve
SELECT gmm_n_rows(gmm_fit(ARRAY[i, i % 7]::int[], 2)) FROM generate_series(1, 50) i;
SELECT gmm_n_rows(gmm_fit(ARRAY[i, i % 7]::numeric[], 2)) FROM generate_series(1, 50) i;
DROP TABLE fs_pts, fs_opts;
