-- gmm_stats, gmm_em_step, gmm_stats_agg, gmm_stats_merge, gmm_stats_to_model
SET extra_float_digits = 0;

-- norm-wise relative closeness of two arrays of any shape
CREATE FUNCTION pg_temp.close(a float8[], b float8[], tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT cardinality(a) = cardinality(b)
		AND max(abs(x - y)) <= tol * greatest(max(abs(x)), max(abs(y)), 1e-300)
	FROM unnest(a, b) AS u(x, y)
$$;
-- two models agree in every parameter and in their fit metadata
CREATE FUNCTION pg_temp.close(a gmm, b gmm, tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS $$
	SELECT gmm_covariance_type(a) = gmm_covariance_type(b)
		AND pg_temp.close(gmm_weights(a), gmm_weights(b), tol)
		AND pg_temp.close(gmm_means(a), gmm_means(b), tol)
		AND pg_temp.close(gmm_covariances(a), gmm_covariances(b), tol)
		AND abs(gmm_log_likelihood(a) - gmm_log_likelihood(b)) <= tol * abs(gmm_log_likelihood(a))
		AND gmm_n_rows(a) = gmm_n_rows(b) AND gmm_n_iter(a) = gmm_n_iter(b)
$$;

-- deterministic data: two clusters in 2-D, with integer weights 1..3
CREATE TABLE st_pts AS
SELECT i, (i % 3) + 1 AS w, i % 7 AS g,
	ARRAY[CASE WHEN i % 2 = 0 THEN 0 ELSE 5 END + sin(i * 1.3),
		  cos(i * 0.7) * 2 + (i % 2) * sin(i * 0.31)]::float8[] AS x
FROM generate_series(1, 600) i;

CREATE TABLE st_models (name text PRIMARY KEY, m gmm);
INSERT INTO st_models VALUES
('full', '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0],[4,0]],"covariances":[[[1,0.2],[0.2,1]],[[1.5,0],[0,1]]]}'),
('diag', '{"covariance_type":"diag","weights":[0.3,0.7],"means":[[0,0],[4,0]],"covariances":[[1,2],[1.5,1]]}'),
('spherical', '{"covariance_type":"spherical","weights":[0.5,0.5],"means":[[0,0],[4,0]],"covariances":[1,2]}'),
('tied', '{"covariance_type":"tied","weights":[0.4,0.6],"means":[[0,0],[4,0]],"covariances":[[1,0.3],[0.3,1]]}'),
('one', '{"covariance_type":"full","weights":[1],"means":[[1,1]],"covariances":[[[2,0],[0,2]]]}');

-- the text form of a small example: two rows with exact coordinates, so that every sum prints
-- exactly; the log-likelihood (through libm's log) is compared with its closed form instead:
-- N((2,1) | (1,1), 2I) and N((1,3) | (1,1), 2I) give -2 ln(2 pi) - 2 ln 2 - 1.25 together
SELECT s::jsonb - 'sum_log_likelihood' AS stats_text,
	   abs(2 * gmm_stats_log_likelihood(s) - (-2 * ln(2 * pi()) - 2 * ln(2) - 1.25))
		   <= 1e-12 * (2 * ln(2 * pi()) + 2 * ln(2) + 1.25) AS sum_log_likelihood_ok
FROM (SELECT gmm_stats_agg(m, x) AS s
	  FROM st_models, (VALUES ('{2,1}'::float8[]), ('{1,3}')) AS v(x)
	  WHERE name = 'one' GROUP BY name) q;

-- text round trip is exact, for every covariance type
SELECT name, s::text::gmm_stats::text = s::text AS text_round_trip,
	   (s::jsonb)::gmm_stats::text = s::text AS jsonb_round_trip,
	   gmm_stats_n_rows(s), gmm_stats_weight(s),
	   gmm_stats_model(s) = m AS carries_model,
	   cardinality(gmm_stats_counts(s)) AS k,
	   abs((SELECT sum(c) FROM unnest(gmm_stats_counts(s)) c) - 600) < 1e-9 AS counts_sum_to_rows
FROM (SELECT name, m, gmm_stats_agg(m, x) s FROM st_models, st_pts GROUP BY name) q
ORDER BY name;

-- binary round trip through COPY (FORMAT binary) is exact; psql (\copy) writes the file
-- into results/, private to this run
CREATE TABLE st_bin AS
SELECT name, gmm_stats_agg(m, x) s FROM st_models, st_pts GROUP BY name;
\copy st_bin TO 'results/gmm_stats.copy' (FORMAT binary)
CREATE TABLE st_bin2 (LIKE st_bin);
\copy st_bin2 FROM 'results/gmm_stats.copy' (FORMAT binary)
SELECT a.name, a.s::text = b.s::text AS binary_round_trip,
	   gmm_stats_send(a.s) = gmm_stats_send(b.s) AS same_bytes
FROM st_bin a JOIN st_bin2 b USING (name) ORDER BY 1;
-- statistics read back merge with freshly computed ones (same model)
SELECT name, gmm_stats_n_rows(gmm_stats_merge(b.s, a.s)) FROM st_bin a JOIN st_bin2 b USING (name) ORDER BY 1;

-- the EM step of a one-component model is the sample mean and the
-- population covariance plus reg_covar (1e-6), computed independently here
WITH q AS (SELECT gmm_em_step(m, x) e FROM st_models, st_pts WHERE name = 'one' GROUP BY name)
SELECT pg_temp.close(gmm_means((SELECT e FROM q)), ARRAY[[avg(x[1]), avg(x[2])]], 1e-12) AS mean_ok,
	   pg_temp.close(gmm_covariances((SELECT e FROM q)),
					 ARRAY[[[var_pop(x[1]) + 1e-6, covar_pop(x[1], x[2])],
							[covar_pop(x[1], x[2]), var_pop(x[2]) + 1e-6]]], 1e-12) AS cov_ok,
	   gmm_weights((SELECT e FROM q)) AS weights, gmm_n_rows((SELECT e FROM q)) AS n_rows,
	   gmm_n_iter((SELECT e FROM q)) AS n_iter, gmm_converged((SELECT e FROM q)) AS converged
FROM st_pts;

-- the EM step of a two-component full model, against responsibilities,
-- means, covariances and log-likelihood written out in SQL
CREATE TABLE st_ref AS
WITH p AS (
	SELECT i, x, j, mu, c,
		   -- log w_j + log N(x | mu_j, C_j) for a 2 x 2 covariance C_j
		   ln(0.5) - ln(2 * pi()) - 0.5 * ln(c[1][1] * c[2][2] - c[1][2] * c[2][1])
		   - 0.5 * (c[2][2] * (x[1] - mu[1]) ^ 2 - 2 * c[1][2] * (x[1] - mu[1]) * (x[2] - mu[2])
					+ c[1][1] * (x[2] - mu[2]) ^ 2) / (c[1][1] * c[2][2] - c[1][2] * c[2][1]) AS lp
	FROM st_pts,
		 (VALUES (1, ARRAY[0, 0]::float8[], ARRAY[[1, 0.2], [0.2, 1]]::float8[]),
				 (2, ARRAY[4, 0]::float8[], ARRAY[[1.5, 0], [0, 1]]::float8[])) AS comp(j, mu, c)
), r AS (
	SELECT i, x, j, exp(lp - ln(sum(exp(lp)) OVER (PARTITION BY i))) AS g,
		   ln(sum(exp(lp)) OVER (PARTITION BY i)) AS ll
	FROM p
), mom AS (
	SELECT j, sum(g) AS nk, sum(g * x[1]) / sum(g) AS m1, sum(g * x[2]) / sum(g) AS m2
	FROM r GROUP BY j
)
SELECT j, nk / 600 AS w, m1, m2,
	   sum(g * (x[1] - m1) ^ 2) / nk + 1e-6 AS c11,
	   sum(g * (x[1] - m1) * (x[2] - m2)) / nk AS c12,
	   sum(g * (x[2] - m2) ^ 2) / nk + 1e-6 AS c22,
	   (SELECT avg(ll) FROM r WHERE j = 1) AS ll
FROM r JOIN mom USING (j) GROUP BY j, nk, m1, m2 ORDER BY j;

SELECT pg_temp.close(gmm_weights(e), (SELECT array_agg(w ORDER BY j) FROM st_ref), 1e-12) AS weights_ok,
	   pg_temp.close(gmm_means(e), (SELECT array_agg(ARRAY[m1, m2] ORDER BY j) FROM st_ref), 1e-12) AS means_ok,
	   pg_temp.close(gmm_covariances(e),
					 (SELECT array_agg(ARRAY[[c11, c12], [c12, c22]] ORDER BY j) FROM st_ref), 1e-12) AS covs_ok,
	   abs(gmm_log_likelihood(e) - (SELECT ll FROM st_ref WHERE j = 1)) < 1e-12 AS ll_ok
FROM (SELECT gmm_em_step(m, x) e FROM st_models, st_pts WHERE name = 'full' GROUP BY name) q;

-- gmm_em_step is gmm_stats_to_model of gmm_stats_agg, bit for bit
SELECT name, gmm_em_step(m, x)::text = gmm_stats_to_model(gmm_stats_agg(m, x))::text AS same
FROM st_models, st_pts GROUP BY name ORDER BY name;

-- gmm_stats_to_model with gmm_fit's options: reg_covar is added to the variances
SELECT name, pg_temp.close(gmm_means(gmm_stats_to_model(s, '{"reg_covar": 0.5, "max_iter": 7}')), gmm_means(gmm_stats_to_model(s)), 1e-15) AS same_means,
	   (SELECT max(abs(a - b - (0.5 - 1e-6))) < 1e-12
		FROM unnest(gmm_covariances(gmm_stats_to_model(s, '{"reg_covar": 0.5}')), gmm_covariances(gmm_stats_to_model(s))) u(a, b)
		WHERE a <> b) AS ridge_added,
	   gmm_stats_to_model(s, jsonb_build_object('covariance_type', name))::text = gmm_stats_to_model(s)::text AS defaults
FROM (SELECT name, gmm_stats_agg(m, x) s FROM st_models, st_pts WHERE name IN ('diag', 'spherical') GROUP BY name) q
ORDER BY name;

-- fit metadata: the log-likelihood of m on the rows, the rows, iterations
SELECT name, abs(gmm_log_likelihood(e) - gmm_stats_log_likelihood(s)) < 1e-15 AS ll_is_of_m,
	   gmm_n_rows(e), gmm_n_iter(e), gmm_n_iter(e2) AS n_iter_next,
	   gmm_log_likelihood(e2) >= gmm_log_likelihood(e) AS ll_not_decreasing
FROM (SELECT name, e, s, (SELECT gmm_em_step(e, x) FROM st_pts) e2
	  FROM (SELECT name, gmm_em_step(m, x) e, gmm_stats_agg(m, x) s
			FROM st_models, st_pts GROUP BY name) q1) q2
ORDER BY name;

-- merging in any order or grouping gives the same model to rounding
SELECT name, pg_temp.close(fwd, bwd, 1e-12) AS any_order,
	   pg_temp.close(fwd, whole, 1e-12) AS any_grouping, n_rows
FROM (SELECT name, gmm_stats_to_model(gmm_stats_merge(s ORDER BY g)) fwd,
			 gmm_stats_to_model(gmm_stats_merge(s ORDER BY g DESC)) bwd,
			 sum(gmm_stats_n_rows(s)) AS n_rows, count(*) AS parts
	  FROM (SELECT name, g, gmm_stats_agg(m, x) s FROM st_models, st_pts GROUP BY name, g) p
	  GROUP BY name) merged
	 JOIN (SELECT name, gmm_em_step(m, x) whole FROM st_models, st_pts GROUP BY name) w USING (name)
ORDER BY name;

-- merging as a two-argument function; NULL counts as no rows
SELECT gmm_stats_merge(a, b)::text = (SELECT gmm_stats_merge(s) FROM (VALUES (a), (b)) v(s))::text AS fn_is_agg,
	   gmm_stats_n_rows(gmm_stats_merge(a, b)) AS n_rows,
	   gmm_stats_merge(a, NULL)::text = a::text AS null_right,
	   gmm_stats_merge(NULL, b)::text = b::text AS null_left,
	   gmm_stats_merge(NULL::gmm_stats, NULL) IS NULL AS both_null,
	   gmm_stats_n_rows(a) AS a_unchanged
FROM (SELECT gmm_stats_agg(m, x) FILTER (WHERE i <= 100) a, gmm_stats_agg(m, x) FILTER (WHERE i > 100) b
	  FROM st_models, st_pts WHERE name = 'diag') q;

-- integer weights give the same step as repeated rows
SELECT name, pg_temp.close(wt, rep, 1e-12) AS weighted_is_repeated, gmm_n_rows(wt) AS weight
FROM (SELECT name, gmm_em_step(m, x, w::float8) wt FROM st_models, st_pts GROUP BY name) a
	 JOIN (SELECT name, gmm_em_step(m, x) rep FROM st_models, st_pts, generate_series(1, w) GROUP BY name) b
	 USING (name)
ORDER BY name;

-- real[] points give the same step as float8[] points with the same values
SELECT pg_temp.close(gmm_em_step(m, x::real[]), gmm_em_step(m, x::real[]::float8[]), 1e-15) AS real_ok,
	   gmm_stats_agg(m, x::real[], 2)::text = gmm_stats_agg(m, x::real[]::float8[], 2)::text AS real_weighted_ok
FROM st_models, st_pts WHERE name = 'tied' GROUP BY name;

-- NULLs: rows with a NULL model, point or weight and rows of weight 0 are skipped
SELECT gmm_stats_n_rows(gmm_stats_agg(m, CASE WHEN i % 4 = 0 THEN NULL ELSE x END)) AS null_points,
	   gmm_stats_n_rows(gmm_stats_agg(CASE WHEN i % 5 = 0 THEN NULL ELSE m END, x)) AS null_models,
	   gmm_stats_n_rows(gmm_stats_agg(m, x, CASE WHEN i % 3 = 0 THEN NULL ELSE 1 END)) AS null_weights,
	   gmm_stats_n_rows(gmm_stats_agg(m, x, (i % 2)::float8)) AS zero_weights
FROM st_models, st_pts WHERE name = 'full' GROUP BY name;
SELECT gmm_em_step(m, x) IS NULL AS empty, gmm_stats_agg(m, x) IS NULL AS empty_stats
FROM (SELECT m FROM st_models WHERE name = 'full') q LEFT JOIN st_pts ON i < 0;
SELECT gmm_em_step(m, NULL::float8[]) IS NULL AS all_null,
	   gmm_em_step(m, x, 0) IS NULL AS all_zero_weight,
	   gmm_stats_merge(NULL::gmm_stats) IS NULL AS merge_nulls
FROM st_models, st_pts WHERE name = 'full' GROUP BY name;

-- GROUP BY with a different model per group; window use
SELECT name, gmm_n_components(gmm_em_step(m, x)), gmm_covariance_type(gmm_em_step(m, x))
FROM st_models JOIN st_pts ON true GROUP BY name ORDER BY name;
SELECT i, gmm_stats_n_rows(gmm_stats_agg(m, x) OVER (ORDER BY i)) AS running_rows
FROM st_models, st_pts WHERE name = 'spherical' AND i <= 3 ORDER BY i;

-- a stats value without rows is valid; its mean log-likelihood is NULL
SELECT gmm_stats_log_likelihood('{"n_rows":0,"sum_weights":0,"sum_log_likelihood":0,"nk":[0],"s1":[[0]],"s2":[[0]],"model":{"covariance_type":"full","weights":[1],"means":[[0]],"covariances":[[[1]]]}}'::gmm_stats) IS NULL AS no_rows_ll;

DROP TABLE st_bin, st_bin2, st_ref;
