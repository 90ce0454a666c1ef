-- Variational (Bayesian) mixtures: option "prior" of the fitting functions,
-- the statistics path, the accessors, pruning, and every bad input
SET extra_float_digits = 0;

CREATE TABLE vb_pts AS
SELECT i, ARRAY[(i % 3) * 6 + sin(i), (i % 3) * 2 + cos(1.7 * i)]::float8[] AS x,
	   1 + (i % 2)::float8 AS w
FROM generate_series(1, 300) i;

-- a Dirichlet-process fit with k = 8 switches the unneeded components off
CREATE TABLE vb_m AS
SELECT gmm_fit(x, 8, '{"prior": {"type": "dirichlet_process", "weight_concentration": 0.01}, "seed": 3, "max_iter": 300}') AS m
FROM vb_pts;
SELECT gmm_n_components(m) AS k, gmm_effective_components(m) AS effective,
	   gmm_n_components(gmm_prune(m)) AS pruned, gmm_converged(m) AS converged,
	   gmm_prior_type(m) AS prior_type, gmm_lower_bound(m) < 0 AS lb_negative,
	   array_length(gmm_weight_concentration(m), 1) AS wc_rows,
	   array_length(gmm_mean_precision(m), 1) AS n_beta,
	   array_length(gmm_degrees_of_freedom(m), 1) AS n_nu
FROM vb_m;
SELECT jsonb_object_keys(gmm_prior(m)) AS prior_keys FROM vb_m ORDER BY 1;
SELECT (gmm_prior(m) ->> 'weight_concentration')::float8 AS wc0,
	   (gmm_prior(m) ->> 'degrees_of_freedom')::float8 AS nu0 FROM vb_m;
-- scoring functions take it like any model; the text and binary forms round-trip
SELECT gmm_predict(m, ARRAY[6, 2]) = gmm_predict(m, ARRAY[6.1, 2.1]) AS same_component,
	   (SELECT abs(sum(w) - 1) < 1e-12 FROM unnest(gmm_weights(gmm_prune(m))) w) AS pruned_weights_sum_to_1,
	   gmm_log_likelihood(gmm_prune(m)) IS NULL AS pruned_not_fitted
FROM vb_m;
SELECT m::text::gmm::text = m::text AS text_roundtrip,
	   gmm_recv_roundtrip_ok FROM vb_m,
	   LATERAL (SELECT gmm_send(m) = gmm_send(m::text::gmm) AS gmm_recv_roundtrip_ok) s;
-- a Dirichlet-distribution fit: k concentrations; accessors NULL for a plain model
SELECT array_length(gmm_weight_concentration(m), 1) AS wc_len, gmm_prior_type(m)
FROM (SELECT gmm_fit(x, 3, '{"prior": {"type": "dirichlet_distribution"}, "covariance_type": "diag"}') m FROM vb_pts) s;
SELECT gmm_lower_bound(m) IS NULL AS lb_null, gmm_prior(m) IS NULL AS prior_null,
	   gmm_weight_concentration(m) IS NULL AS wc_null
FROM (SELECT gmm_fit(x, 2) m FROM vb_pts) s;
-- every covariance type, weighted rows, gmm_train
SELECT ct, gmm_covariance_type(gmm_fit(x, 3, jsonb_build_object('covariance_type', ct, 'prior', '{}'::jsonb))) AS fitted
FROM vb_pts, (VALUES ('full'), ('diag'), ('spherical'), ('tied')) c(ct) GROUP BY ct ORDER BY ct;
SELECT gmm_prior_type(gmm_fit_weighted(x, w, 3, '{"prior": {}}')) FROM vb_pts;
SELECT gmm_prior_type(gmm_train('vb_pts', 'x', 3, '{"prior": {"type": "dirichlet_distribution"}, "seed": 1}'));

-- the statistics path: one step, and the same step through gmm_vb_stats and gmm_vb_update
SELECT gmm_n_iter(s) = gmm_n_iter(m) + 1 AS one_more_iteration,
	   gmm_vb_update(st)::text = s::text AS update_equals_step
FROM vb_m,
	 LATERAL (SELECT gmm_vb_step(m, x) s FROM vb_pts) a,
	 LATERAL (SELECT gmm_vb_stats(m, x) st FROM vb_pts) b;
-- starting from statistics of a plain model
SELECT gmm_n_iter(v) AS n_iter, gmm_prior_type(v), gmm_n_components(v)
FROM (SELECT gmm_vb_update(gmm_stats_agg(p, x), '{"prior": {"type": "dirichlet_distribution"}}') v
	  FROM vb_pts, (SELECT gmm_fit(x, 3, '{"seed": 1}') p FROM vb_pts) q GROUP BY p) s;
SELECT gmm_vb_step(NULL::gmm, x) IS NULL AS null_model FROM vb_pts;
-- no rows, rows of weight 0, and the transition function called outside an aggregate
SELECT (SELECT gmm_vb_step(m, x) FROM vb_pts WHERE false) IS NULL AS no_rows,
	   (SELECT gmm_vb_stats(m, x, 0.0) FROM vb_pts) IS NULL AS zero_weights,
	   gmm_stats_n_rows(gmm_vb_accum(gmm_vb_accum(NULL::gmm_stats, m, ARRAY[1, 2]::float8[]),
									 m, ARRAY[3, 4]::float8[], 2.0)) AS plain_calls
FROM vb_m;

-- bad priors: non-positive concentration, precision or degrees of freedom
SELECT gmm_fit(x, 3, '{"prior": {"weight_concentration": 0}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"weight_concentration": -1}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"mean_precision": 0}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"degrees_of_freedom": 1}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"degrees_of_freedom": 0.5}}') FROM vb_pts;
SELECT gmm_train('vb_pts', 'x', 3, '{"prior": {"degrees_of_freedom": 1}}');
-- covariance prior not positive definite, not symmetric, of the wrong shape
SELECT gmm_fit(x, 3, '{"prior": {"covariance": [[1, 2], [2, 1]]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"covariance": [[1, 0.5], [0, 1]]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"covariance": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"covariance_type": "diag", "prior": {"covariance": [1, 0]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"covariance_type": "diag", "prior": {"covariance": [[1, 0], [0, 1]]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"covariance_type": "spherical", "prior": {"covariance": -2}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"covariance_type": "spherical", "prior": {"covariance": [1, 1]}}') FROM vb_pts;
-- mean prior of the wrong length or type
SELECT gmm_fit(x, 3, '{"prior": {"mean": [1, 2, 3]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"mean": [[1, 2]]}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"mean": "zero"}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"mean": [1, "a"]}}') FROM vb_pts;
-- unknown keys and types, wrong JSON types
SELECT gmm_fit(x, 3, '{"prior": {"kind": "dirichlet_process"}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"type": "pitman_yor"}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"type": 1}}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": "dirichlet_process"}') FROM vb_pts;
SELECT gmm_fit(x, 3, '{"prior": {"weight_concentration": "1"}}') FROM vb_pts;
-- combinations that do not apply
SELECT gmm_fit(x, 2, '{"prior": {}, "k_max": 4}') FROM vb_pts;
SELECT gmm_fit(x, 2, '{"prior": {}, "shrinkage": "oas"}') FROM vb_pts;
SELECT gmm_fit(x, 2, '{"prior": {}, "max_iter": 0}') FROM vb_pts;
-- the default covariance prior needs more than one row of weight
SELECT gmm_fit_weighted(x, 0.001, 1, '{"prior": {}}') FROM vb_pts WHERE i < 5;
-- the statistics path: wrong models and statistics
SELECT gmm_vb_step(p, x) FROM vb_pts, (SELECT gmm_fit(x, 2) p FROM vb_pts) q GROUP BY p;
SELECT gmm_vb_update(gmm_stats_agg(m, x)) FROM vb_m, vb_pts GROUP BY m;
SELECT gmm_vb_update(gmm_vb_stats(m, x), '{"prior": {}}') FROM vb_m, vb_pts GROUP BY m;
SELECT gmm_vb_update(gmm_stats_agg(p, x), '{"prior": {"mean": [1]}}')
FROM vb_pts, (SELECT gmm_fit(x, 2) p FROM vb_pts) q GROUP BY p;
SELECT gmm_vb_update(gmm_stats_agg(p, x), '{"prior": {}, "covariance_type": "diag"}')
FROM vb_pts, (SELECT gmm_fit(x, 2) p FROM vb_pts) q GROUP BY p;
SELECT gmm_vb_step(gmm_vb_estep, x) FROM vb_pts,
	(SELECT gmm_stats_model(gmm_vb_stats(m, x)) gmm_vb_estep FROM vb_m, vb_pts GROUP BY m) e
GROUP BY gmm_vb_estep;
-- gmm_train continues from a variational start model, whose prior a "prior" option may not change
SELECT gmm_prior_type(gmm_train('vb_pts', 'x', m, '{"max_iter": 2}')) FROM vb_m;
SELECT gmm_train('vb_pts', 'x', m, '{"prior": {}}') FROM vb_m;
-- thresholds
SELECT gmm_effective_components(m, 1) FROM vb_m;
SELECT gmm_effective_components(m, -0.1) FROM vb_m;
SELECT gmm_prune(m, 0.99) FROM vb_m;
-- the text form: a posterior that breaks its rules
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":2,"log_likelihood":-1,"n_iter":1,"converged":true,"variational":{"prior":{"type":"dirichlet_distribution","weight_concentration":1,"mean_precision":1,"mean":[0],"degrees_of_freedom":1,"covariance":1},"reg_covar":0,"lower_bound":-3,"weight_concentration":[-1],"mean_precision":[3],"degrees_of_freedom":[3]}}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":2,"log_likelihood":-1,"n_iter":1,"converged":true,"variational":{"prior":{"type":"dirichlet_distribution","weight_concentration":1,"mean_precision":1,"mean":[0],"degrees_of_freedom":1,"covariance":1},"reg_covar":0,"lower_bound":-3,"weight_concentration":[3,1],"mean_precision":[3],"degrees_of_freedom":[3]}}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":2,"log_likelihood":-1,"n_iter":1,"converged":true,"variational":{"prior":{"type":"dirichlet_distribution"},"reg_covar":0,"lower_bound":-3,"weight_concentration":[3],"mean_precision":[3],"degrees_of_freedom":[3]}}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":2,"log_likelihood":-1,"n_iter":1,"converged":true,"variational":{"prior":{"type":"dirichlet_distribution","weight_concentration":1,"mean_precision":1,"mean":[0],"degrees_of_freedom":1,"covariance":1},"reg_covar":0,"lower_bound":-3,"weight_concentration":[3],"mean_precision":[3],"degrees_of_freedom":[3],"extra":1}}}'::gmm;
SELECT gmm_lower_bound('{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":2,"log_likelihood":-1,"n_iter":1,"converged":true,"variational":{"prior":{"type":"dirichlet_distribution","weight_concentration":1,"mean_precision":1,"mean":[0],"degrees_of_freedom":1,"covariance":1},"reg_covar":0,"lower_bound":-3,"weight_concentration":[3],"mean_precision":[3],"degrees_of_freedom":[3]}}}'::gmm);

DROP TABLE vb_pts, vb_m;
