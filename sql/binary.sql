-- Binary form: COPY (FORMAT binary) round trip is bit-exact, and recv validates.
-- Files are written by psql (\copy) into results/: private to this run, no server-side paths.
CREATE TABLE bin_src (id int, m gmm);
INSERT INTO bin_src VALUES
  (1, gmm(ARRAY[1/3.0, 2/3.0]::float8[], ARRAY[0.1, 1e-300, pi(), -1e300]::float8[],
          ARRAY[exp(1.0)::float8, 0.1, 0.1, 1.0/7, 2, 1/3.0, 1/3.0, 0.5]::float8[])),
  (2, gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2, 3,4}', 'diag')),
  (3, gmm('{0.25,0.75}', '{0,0, 1,1}', '{1e-9,2e9}', 'spherical')),
  (4, '{"covariance_type":"tied","weights":[1],"means":[[1,2]],"covariances":[[1,0.1],[0.1,1]],
       "fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true}}');
\copy bin_src TO 'results/gmm_binary.copy' (FORMAT binary)
CREATE TABLE bin_dst (id int, m gmm);
\copy bin_dst FROM 'results/gmm_binary.copy' (FORMAT binary)
SELECT count(*) AS identical FROM bin_src s JOIN bin_dst d USING (id) WHERE s.m = d.m AND s.m::text = d.m::text;
SELECT gmm_n_iter(m), gmm_converged(m) FROM bin_dst WHERE id = 4;

-- corrupted binary values are rejected: patched copies of the binary form of a valid model are
-- written as bytea fields and read back as gmm fields (through gmm_recv).  Byte offsets in the value:
-- version 0, cov_type 1, flags 2-3, k 4-7, d 8-11, n_iter 12-15, n_rows 16-23,
-- log_likelihood 24-31, then the values: weight 32, mean 40, covariance 48.
CREATE TABLE bin_one (m gmm);
CREATE TABLE bin_bad (id int, v bytea);
INSERT INTO bin_bad
SELECT p.id, CASE WHEN p.off < 0 THEN substr(s.b, 1, 16) ELSE overlay(s.b PLACING p.patch FROM p.off + 1) END
FROM (SELECT gmm_send(gmm('{1}', '{0}', '{1}')) AS b) s,
     (VALUES (1, 0, '\x01'::bytea),             -- sanity: an unchanged version byte reads back
             (2, 0, '\x09'),                    -- version
             (3, 1, '\x07'),                    -- covariance type code
             (4, 2, '\x0100'),                  -- unknown flag
             (5, 4, '\x7fffffff'),              -- k far beyond the limit
             (6, 4, '\x00000000'),              -- k = 0
             (7, 4, '\x00000002'),              -- k = 2 but values for k = 1
             (8, 8, '\x00001001'),              -- d beyond the limit
             (9, 32, '\x7ff8000000000000'),     -- weight NaN
             (10, 32, '\xbff0000000000000'),    -- weight -1
             (11, 40, '\x7ff0000000000000'),    -- mean +Infinity
             (12, 48, '\x0000000000000000'),    -- covariance 0
             (13, 48, '\xbff0000000000000'),    -- covariance -1
             (14, 2, '\x0002'),                 -- "converged" without "fitted"
             (15, 16, '\x3ff0000000000000'),    -- n_rows set on a model without fit metadata
             (16, -1, NULL)                     -- the value cut short after 16 bytes
     ) AS p(id, off, patch);
\copy (SELECT v FROM bin_bad WHERE id = 1) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
SELECT m::text FROM bin_one;
\set VERBOSITY terse
\copy (SELECT v FROM bin_bad WHERE id = 2) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 3) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 4) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 5) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 6) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 7) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 8) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 9) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 10) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 11) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 12) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 13) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 14) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 15) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy (SELECT v FROM bin_bad WHERE id = 16) TO 'results/gmm_binary_bad.copy' (FORMAT binary)
\copy bin_one FROM 'results/gmm_binary_bad.copy' (FORMAT binary)
\set VERBOSITY default
DROP TABLE bin_one, bin_bad, bin_src, bin_dst;
