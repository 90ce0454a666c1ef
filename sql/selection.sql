-- gmm_selection(m): the criteria of every k a k_max fit tried, kept in the
-- model (format version 2), with its text, jsonb and binary forms.
CREATE TABLE sel_pts AS
  SELECT i, ARRAY[(i % 3) * 5 + sin(i), (i % 3) * 2 + cos(i * 7)]::float8[] AS x
  FROM generate_series(1, 300) i;
CREATE TABLE sel_models AS
  SELECT 'bic' AS name, gmm_fit(x, 1, '{"k_max": 5, "seed": 3}' ORDER BY i) AS m FROM sel_pts
  UNION ALL
  SELECT 'aic', gmm_fit(x, 2, '{"k_max": 4, "criterion": "aic", "covariance_type": "diag", "seed": 3}' ORDER BY i) FROM sel_pts
  UNION ALL
  SELECT 'single', gmm_fit(x, 3, '{"seed": 3}' ORDER BY i) FROM sel_pts;

-- the per-k curve (rounded: portable)
SELECT name, k, round(log_likelihood::numeric, 4) AS log_likelihood, round(bic::numeric, 1) AS bic,
       round(aic::numeric, 1) AS aic, converged, n_iter > 0 AS iterated
FROM sel_models, gmm_selection(m) ORDER BY name, k;

-- the kept k is the best by the criterion, and its row agrees with the model
SELECT name, gmm_n_components(m) AS kept_k,
       gmm_n_components(m) = (SELECT k FROM gmm_selection(m) ORDER BY CASE name WHEN 'aic' THEN aic ELSE bic END LIMIT 1) AS best_by_criterion,
       (SELECT log_likelihood = gmm_log_likelihood(m) AND bic = gmm_bic(m) AND aic = gmm_aic(m)
               AND converged = gmm_converged(m) AND n_iter = gmm_n_iter(m)
        FROM gmm_selection(m) s WHERE s.k = gmm_n_components(m)) AS row_matches_model
FROM sel_models ORDER BY name;

-- each row equals a separate fit of that k (same seed: a k in a range fits as it would alone)
SELECT bool_and(abs(s.log_likelihood - gmm_log_likelihood(f.m)) < 1e-12) AS rows_equal_separate_fits
FROM sel_models sm, gmm_selection(sm.m) s,
     LATERAL (SELECT gmm_fit(x, s.k, '{"seed": 3}' ORDER BY i) AS m FROM sel_pts) f
WHERE sm.name = 'bic';

-- format: version 2 only with a selection table; a model without one keeps version 1
SELECT name, get_byte(gmm_send(m), 0) AS format_version, m::text LIKE '%"selection":[{"k":%' AS text_has_selection
FROM sel_models ORDER BY name;
SELECT regexp_replace(substring(m::text FROM '"fit":.*$'), '"(n_rows|log_likelihood)":[-0-9.e]+', '"\1":...', 'g') AS fit_text
FROM sel_models WHERE name = 'aic';

-- text, jsonb and binary round trips keep the table bit for bit
SELECT name, m::text::gmm = m AS text_round_trip, m::jsonb::gmm = m AS jsonb_round_trip,
       (SELECT array_agg(s) FROM gmm_selection(m::text::gmm) s) = (SELECT array_agg(s) FROM gmm_selection(m) s) AS same_rows
FROM sel_models ORDER BY name;
-- (psql's \copy writes the file into results/, private to this run)
\copy sel_models TO 'results/gmm_selection.copy' (FORMAT binary)
CREATE TABLE sel_back (name text, m gmm);
\copy sel_back FROM 'results/gmm_selection.copy' (FORMAT binary)
SELECT name, b.m = s.m AS binary_round_trip, b.m::text = s.m::text AS same_text
FROM sel_models s JOIN sel_back b USING (name) ORDER BY name;

-- one row for a fit of a single k; none for a built model or a derived one
SELECT count(*) AS single_rows FROM sel_models, gmm_selection(m) WHERE name = 'single';
SELECT count(*) AS built_rows FROM gmm_selection(gmm('{1}', '{0}', '{1}'));
SELECT count(*) AS component_rows FROM sel_models, gmm_selection(gmm_component(m, 1)) WHERE name = 'bic';
-- a model with a selection table works as any other: scoring, one EM step, statistics
SELECT round(gmm_score(m, x)::numeric, 6) = round(gmm_log_likelihood(m)::numeric, 6) AS score_ok,
       gmm_n_components(gmm_em_step(m, x)) AS em_step_k
FROM sel_models, sel_pts WHERE name = 'bic' GROUP BY m;

-- a 0.1.0 value (format version 1) still reads, in text and binary form
SELECT '{"covariance_type":"tied","weights":[1],"means":[[1,2]],"covariances":[[1,0.1],[0.1,1]],"fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true}}'::gmm::text AS v1_text;
CREATE TABLE sel_v1 (m gmm);
-- binary values are written as bytea fields by psql (\copy, into results/) and read back
-- as gmm fields (through gmm_recv)
CREATE TABLE sel_bin (id int, v bytea);
INSERT INTO sel_bin VALUES
  (1, '\x010300030000000100000002000000034024000000000000bff80000000000003ff00000000000003ff000000000000040000000000000003ff00000000000003fb999999999999a3fb999999999999a3ff0000000000000'),
  (2, '\x010200070000000100000001000000034024000000000000bff80000000000003ff000000000000000000000000000003ff0000000000000'),
  (3, '\x020200030000000100000001000000034024000000000000bff80000000000003ff000000000000000000000000000003ff000000000000000000001'),
  (4, '\x020200070000000100000001000000034024000000000000bff80000000000003ff000000000000000000000000000003ff000000000000000000000'),
  (5, '\x020200070000000100000001000000034024000000000000bff80000000000003ff000000000000000000000000000003ff00000000000000000000100000001bff80000000000000000000301');
-- the binary form gmm 0.1.0 wrote for that model (tied, k 1, d 2, fitted)
\copy (SELECT v FROM sel_bin WHERE id = 1) TO 'results/gmm_selection_v.copy' (FORMAT binary)
TRUNCATE sel_v1;
\copy sel_v1 FROM 'results/gmm_selection_v.copy' (FORMAT binary)
SELECT m::text AS v1_binary FROM sel_v1;
SELECT encode(gmm_send(m), 'hex') = '010300030000000100000002000000034024000000000000bff80000000000003ff00000000000003ff000000000000040000000000000003ff00000000000003fb999999999999a3fb999999999999a3ff0000000000000' AS v1_written_as_v1
FROM sel_v1;

-- malformed selection tables are rejected
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true,"selection":[{"k":2,"log_likelihood":-1,"n_iter":1,"converged":true},{"k":1,"log_likelihood":-1.5,"n_iter":3,"converged":true}]}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true,"selection":[{"k":1,"log_likelihood":-1.5}]}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true,"selection":[]}}'::gmm;
SELECT '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true,"selection":[{"k":1,"log_likelihood":-1.5,"n_iter":3,"converged":true,"bic":1}]}}'::gmm;
-- binary: version 1 with the selection flag; version 2 without the flag,
-- with an empty table; a valid version 2 value reads
\copy (SELECT v FROM sel_bin WHERE id = 2) TO 'results/gmm_selection_v.copy' (FORMAT binary)
TRUNCATE sel_v1;
\copy sel_v1 FROM 'results/gmm_selection_v.copy' (FORMAT binary)
\copy (SELECT v FROM sel_bin WHERE id = 3) TO 'results/gmm_selection_v.copy' (FORMAT binary)
TRUNCATE sel_v1;
\copy sel_v1 FROM 'results/gmm_selection_v.copy' (FORMAT binary)
\copy (SELECT v FROM sel_bin WHERE id = 4) TO 'results/gmm_selection_v.copy' (FORMAT binary)
TRUNCATE sel_v1;
\copy sel_v1 FROM 'results/gmm_selection_v.copy' (FORMAT binary)
\copy (SELECT v FROM sel_bin WHERE id = 5) TO 'results/gmm_selection_v.copy' (FORMAT binary)
TRUNCATE sel_v1;
\copy sel_v1 FROM 'results/gmm_selection_v.copy' (FORMAT binary)
SELECT m::text AS v2_binary FROM sel_v1;

DROP TABLE sel_pts, sel_models, sel_back, sel_v1, sel_bin;
