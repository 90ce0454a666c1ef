-- Option "shrinkage": "oas": Oracle Approximating Shrinkage of the full and
-- tied covariances in every M-step (test/checks/check_oas.py checks the values
-- against numpy).
CREATE TABLE oas_pts AS
  SELECT i, ARRAY[(i % 2) * 8 + 2 * sin(i), (i % 2) * 8 + 2 * sin(i) + 0.3 * cos(i * 7), cos(i * 3)]::float8[] AS x
  FROM generate_series(1, 40) i;
CREATE FUNCTION pg_temp.max_corr(m gmm) RETURNS float8 LANGUAGE sql AS $$
  SELECT max(abs(c[j][1][2] / sqrt(c[j][1][1] * c[j][2][2])))
  FROM (SELECT gmm_full_covariances(m) c) s, generate_series(1, gmm_n_components(m)) j $$;

-- shrinkage pulls each covariance towards a multiple of the identity: the
-- strong correlation of dimensions 1 and 2 weakens, the model stays valid
SELECT ctype, pg_temp.max_corr(plain) > pg_temp.max_corr(shrunk) AS correlation_shrunk,
       pg_temp.max_corr(shrunk) > 0.5 AS not_spherical,
       gmm_covariance_type(shrunk) = ctype AS same_type,
       gmm_log_likelihood(shrunk) < gmm_log_likelihood(plain) AS lower_likelihood
FROM (SELECT ctype,
             gmm_fit(x, 2, jsonb_build_object('covariance_type', ctype, 'seed', 1) ORDER BY i) plain,
             gmm_fit(x, 2, jsonb_build_object('covariance_type', ctype, 'seed', 1, 'shrinkage', 'oas') ORDER BY i) shrunk
      FROM oas_pts, (VALUES ('full'), ('tied')) t(ctype) GROUP BY ctype) s
ORDER BY ctype;
-- "none" is the default
SELECT (SELECT gmm_fit(x, 2, '{"seed": 1, "shrinkage": "none"}' ORDER BY i) FROM oas_pts) =
       (SELECT gmm_fit(x, 2, '{"seed": 1}' ORDER BY i) FROM oas_pts) AS none_is_default;
-- one dimension: nothing to shrink
SELECT (SELECT gmm_fit(ARRAY[x[1]], 2, '{"seed": 1, "shrinkage": "oas"}' ORDER BY i) FROM oas_pts) =
       (SELECT gmm_fit(ARRAY[x[1]], 2, '{"seed": 1}' ORDER BY i) FROM oas_pts) AS one_d_unchanged;
-- gmm_fit_weighted, gmm_train and gmm_stats_to_model take it too
SELECT gmm_n_components(gmm_fit_weighted(x, 1 + i % 3, 2, '{"shrinkage": "oas"}')) AS weighted_k FROM oas_pts;
SELECT gmm_n_components(gmm_train('oas_pts', 'x', 2, '{"shrinkage": "oas", "seed": 1}')) AS train_k;
SELECT pg_temp.max_corr(gmm_stats_to_model(s, '{"shrinkage": "oas"}')) < pg_temp.max_corr(gmm_stats_to_model(s)) AS stats_shrunk
FROM (SELECT gmm_stats_agg(m, x) s FROM oas_pts, (SELECT gmm_fit(x, 2, '{"seed": 1}') m FROM oas_pts) f GROUP BY m) q;

-- errors: diag and spherical have nothing to shrink; unknown methods
SELECT gmm_fit(x, 2, '{"shrinkage": "oas", "covariance_type": "diag"}') FROM oas_pts;
SELECT gmm_fit(x, 2, '{"shrinkage": "oas", "covariance_type": "spherical"}') FROM oas_pts;
SELECT gmm_fit(x, 2, '{"shrinkage": "ledoit-wolf"}') FROM oas_pts;
SELECT gmm_fit(x, 2, '{"shrinkage": true}') FROM oas_pts;
SELECT gmm_stats_to_model(gmm_stats_agg(gmm('{1}', '{0,0,0}', '{1,1,1}', 'diag'), x), '{"shrinkage": "oas"}') FROM oas_pts;
SELECT gmm_train('oas_pts', 'x', gmm('{1}', '{0,0,0}', '{1}', 'spherical'), '{"shrinkage": "oas"}');

DROP TABLE oas_pts;
