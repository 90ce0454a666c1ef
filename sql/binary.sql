-- Binary form: COPY (FORMAT binary) round trip is bit-exact, and recv validates.
CREATE TABLE bin_src (id int, m gmm);
INSERT INTO bin_src VALUES
  (1, gmm(ARRAY[1/3.0, 2/3.0]::float8[], ARRAY[0.1, 1e-300, pi(), -1e300]::float8[],
          ARRAY[exp(1.0)::float8, 0.1, 0.1, 1.0/7, 2, 1/3.0, 1/3.0, 0.5]::float8[])),
  (2, gmm('{0.25,0.75}', '{0,0, 1,1}', '{1,2, 3,4}', 'diag')),
  (3, gmm('{0.25,0.75}', '{0,0, 1,1}', '{1e-9,2e9}', 'spherical')),
  (4, '{"covariance_type":"tied","weights":[1],"means":[[1,2]],"covariances":[[1,0.1],[0.1,1]],
       "fit":{"n_rows":10,"log_likelihood":-1.5,"n_iter":3,"converged":true}}');
COPY bin_src TO '/tmp/gmm_regress_binary.copy' (FORMAT binary);
CREATE TABLE bin_dst (id int, m gmm);
COPY bin_dst FROM '/tmp/gmm_regress_binary.copy' (FORMAT binary);
SELECT count(*) AS identical FROM bin_src s JOIN bin_dst d USING (id) WHERE s.m = d.m AND s.m::text = d.m::text;
SELECT gmm_n_iter(m), gmm_converged(m) FROM bin_dst WHERE id = 4;

-- corrupted binary values are rejected: patch bytes of a valid one-row file.
-- Layout: 19-byte COPY header, int16 field count, int32 length, then the gmm:
-- version(1) cov_type(1) flags(2) k(4) d(4) n_iter(4) n_rows(8) log_likelihood(8) values...
CREATE TABLE bin_one (m gmm);
INSERT INTO bin_one VALUES (gmm('{1}', '{0}', '{1}'));
COPY bin_one TO '/tmp/gmm_regress_one.copy' (FORMAT binary);
CREATE FUNCTION copy_patched(off int, patch bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  b bytea := pg_read_binary_file('/tmp/gmm_regress_one.copy');
  o oid;
BEGIN
  b := overlay(b PLACING patch FROM off + 1);
  o := lo_from_bytea(0, b);
  PERFORM lo_export(o, '/tmp/gmm_regress_bad.copy');
  PERFORM lo_unlink(o);
  TRUNCATE bin_one;
  COPY bin_one FROM '/tmp/gmm_regress_bad.copy' (FORMAT binary);
  RETURN (SELECT m::text FROM bin_one);
END $$;
\set VERBOSITY terse
SELECT copy_patched(25, '\x01');                 -- sanity: an unchanged version byte reads back
SELECT copy_patched(25, '\x09');                 -- version
SELECT copy_patched(26, '\x07');                 -- covariance type code
SELECT copy_patched(27, '\x0100');               -- unknown flag
SELECT copy_patched(29, '\x7fffffff');           -- k far beyond the limit
SELECT copy_patched(29, '\x00000000');           -- k = 0
SELECT copy_patched(29, '\x00000002');           -- k = 2 but values for k = 1
SELECT copy_patched(33, '\x00001001');           -- d beyond the limit
SELECT copy_patched(57, '\x7ff8000000000000');   -- weight NaN
SELECT copy_patched(57, '\xbff0000000000000');   -- weight -1
SELECT copy_patched(65, '\x7ff0000000000000');   -- mean +Infinity
SELECT copy_patched(73, '\x0000000000000000');   -- covariance 0
SELECT copy_patched(73, '\xbff0000000000000');   -- covariance -1
SELECT copy_patched(27, '\x0002');               -- "converged" without "fitted"
SELECT copy_patched(41, '\x3ff0000000000000');   -- n_rows set on a model without fit metadata
SELECT copy_patched(21, '\x00000010');           -- field shorter than the value
\set VERBOSITY default
DROP FUNCTION copy_patched;
DROP TABLE bin_one, bin_src, bin_dst;
