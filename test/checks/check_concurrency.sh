#!/usr/bin/env bash
#
# test/checks/check_concurrency.sh: gmm under concurrent load.  A pgbench run (8
# clients, prepared statements, GMM_CONC_SECONDS seconds, default 40) mixes:
#   score   gmm_logpdf over a group of rows, the model a bound parameter
#           (models of dimension 2 and 3 alternate through one prepared
#           statement: a cached model must never answer for another)
#   fit     grouped gmm_fit (4 groups)
#   train   gmm_train over the table while others change it
#   dml     INSERT and DELETE of rows of that table
#   sample  gmm_sample
#   timeout gmm_train under a 20 ms statement_timeout (the cancel is caught
#           in PL/pgSQL and counted)
#   cancel  pg_cancel_backend of the other clients' "victim" statements
#   victim  a long gmm_train that may be cancelled (caught and counted)
# Passes when pgbench reports no failed transaction and no aborted client
# except for cancels, no backend crashed (server log), some cancels happened,
# and the table is still consistent afterwards (a gmm_train over it works).
set -u
: "${PGBIN:=/usr/lib/postgresql/15/bin}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${GMM_CONC_SECONDS:-40}
S=gmm_conc_test
work=$(mktemp -d /tmp/gmm-conc.XXXXXX)
trap '[ "${GMM_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT

log=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$here/../lib'); import gmmtest; print(gmmtest.server_log_path() or '')")
logpos=0
[ -n "$log" ] && logpos=$(stat -c %s "$log")

psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_q <<EOF || exit 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS gmm;
DROP SCHEMA IF EXISTS $S CASCADE;
CREATE SCHEMA $S;
CREATE TABLE $S.pts (id bigserial PRIMARY KEY, g int, x float8[]);
INSERT INTO $S.pts (g, x)
  SELECT i % 4, ARRAY[(i % 4) * 3 + random(), (i % 2) * 2 + random()] FROM generate_series(1, 4000) i;
CREATE TABLE $S.pts_all (dim int, x float8[]);
INSERT INTO $S.pts_all SELECT 2, ARRAY[random() * 4, random()] FROM generate_series(1, 500);
INSERT INTO $S.pts_all SELECT 3, ARRAY[random() * 4, random(), random() - 1] FROM generate_series(1, 500);
CREATE TABLE $S.models (id int PRIMARY KEY, m gmm);
INSERT INTO $S.models VALUES
  (2, gmm('{0.5,0.5}', '{0,0, 3,1}', '{1,1, 2,0.5}', 'diag')),
  (3, gmm('{0.2,0.8}', '{0,0,0, 3,1,-1}', '{1, 2}', 'spherical'));
CREATE TABLE $S.cancels (kind text, n int);
CREATE TABLE $S.sent (pid int, qs timestamptz, PRIMARY KEY (pid, qs));
CREATE FUNCTION $S.try_cancel(kind text, q text) RETURNS int LANGUAGE plpgsql AS \$f\$
BEGIN
  EXECUTE q;
  RETURN 0;
EXCEPTION WHEN query_canceled THEN
  INSERT INTO $S.cancels VALUES (kind, 1);
  RETURN 1;
END \$f\$;
ANALYZE $S.pts;
EOF

cat >"$work/score.sql" <<EOF
\set dim random(2, 3)
SELECT m AS mt FROM $S.models WHERE id = :dim \gset
SELECT sum(gmm_logpdf(:mt::gmm, x)), count(gmm_predict(:mt::gmm, x)) FROM $S.pts_all WHERE dim = :dim;
EOF
cat >"$work/fit.sql" <<EOF
SELECT g, gmm_n_components(gmm_fit(x, 2, '{"covariance_type": "diag", "max_iter": 10, "seed": 1}')) FROM $S.pts GROUP BY g;
EOF
cat >"$work/train.sql" <<EOF
SELECT gmm_n_components(gmm_train('$S.pts', 'x', 2, '{"covariance_type": "diag", "max_iter": 5, "sample_size": 500}'));
EOF
cat >"$work/dml.sql" <<EOF
\set g random(0, 3)
BEGIN;
INSERT INTO $S.pts (g, x) SELECT :g, ARRAY[:g * 3 + random(), random()] FROM generate_series(1, 5);
DELETE FROM $S.pts WHERE id IN (SELECT id FROM $S.pts WHERE g = :g ORDER BY id LIMIT 5);
COMMIT;
EOF
cat >"$work/sample.sql" <<EOF
SELECT count(*) FROM gmm_sample((SELECT m FROM $S.models WHERE id = 2), 2000);
EOF
cat >"$work/timeout.sql" <<EOF
SET statement_timeout = '20ms';
SELECT $S.try_cancel('timeout', 'SELECT gmm_train(''$S.pts'', ''x'', 3, ''{"max_iter": 300, "tol": 0}'')');
SET statement_timeout = 0;
EOF
cat >"$work/victim.sql" <<EOF
SELECT $S.try_cancel('cancel', 'SELECT gmm_train(''$S.pts'', ''x'', 3, ''{"covariance_type": "full", "max_iter": 60, "tol": 0}'') /* victim */');
EOF
cat >"$work/cancel.sql" <<EOF
WITH v AS (
  SELECT pid, query_start FROM pg_stat_activity
   WHERE pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%try_cancel(''cancel''%'
     AND query NOT LIKE '%pg_stat_activity%' AND now() - query_start > interval '50 ms'
   LIMIT 1),
sent AS (INSERT INTO $S.sent SELECT pid, query_start FROM v ON CONFLICT DO NOTHING RETURNING pid)
SELECT count(pg_cancel_backend(pid)) FROM sent;
\sleep 200 ms
EOF

echo "pgbench: 8 clients, $secs s"
"$PGBIN/pgbench" -n -M prepared -c 8 -j 4 -T "$secs" \
	-f "$work/score.sql@6" -f "$work/fit.sql@2" -f "$work/train.sql@2" -f "$work/dml.sql@4" \
	-f "$work/sample.sql@2" -f "$work/timeout.sql@1" -f "$work/victim.sql@1" -f "$work/cancel.sql@2" \
	>"$work/out" 2>"$work/err"
rc=$?
grep -E 'number of (transactions|failed)|^latency average|^tps' "$work/out"
fail=0
aborted=$(grep -c 'aborted' "$work/err")
# a cancel that reaches a victim just as its statement ends stops that client:
# that is a cancel too; "Run was aborted" then follows
other=$(grep -E 'ERROR|FATAL|aborted' "$work/err" | grep -v 'canceling statement due to user request' |
	grep -vc 'Run was aborted')
[ "$(grep -c 'aborted in command' "$work/err")" = 0 ] && other=$(grep -cE 'ERROR|FATAL|aborted' "$work/err")
user_cancel_aborts=$(grep 'aborted' "$work/err" | grep -c 'canceling statement due to user request')
if [ "$other" != 0 ]; then
	echo "FAIL: pgbench errors other than cancels:"
	grep -E 'ERROR|FATAL|aborted' "$work/err" | grep -v 'canceling statement due to user request' | head -20
	grep -B2 -A2 ERROR "$work/err" | head -30
	fail=1
fi
if [ "$rc" != 0 ] && [ "$aborted" = 0 ]; then
	echo "FAIL: pgbench exit status $rc"; tail -20 "$work/err"; fail=1
fi
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/out")
if [ -n "$failed_tx" ] && [ "$failed_tx" != 0 ] && [ "$failed_tx" -gt "$user_cancel_aborts" ]; then
	echo "FAIL: $failed_tx failed transactions"; fail=1
fi
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
if [ -z "$tx" ] || [ "$tx" -lt 50 ]; then
	echo "FAIL: only ${tx:-no} transactions processed"; fail=1
fi
cancels=$(psql_q -Atc "SELECT kind || ' ' || count(*) FROM $S.cancels GROUP BY kind ORDER BY 1" | tr '\n' ' ')
ncancel=$(psql_q -Atc "SELECT count(*) FROM $S.cancels")
echo "cancels caught: ${cancels:-none}; clients stopped by a cancel arriving between statements: $user_cancel_aborts"
if [ "${ncancel:-0}" -lt 5 ]; then
	echo "FAIL: fewer than 5 cancels happened (${ncancel:-0}): the test did not test cancels"; fail=1
fi
if ! psql_q -Atc "SELECT gmm_n_components(gmm_train('$S.pts', 'x', 4, '{\"max_iter\": 3}')), (SELECT count(*) FROM $S.pts)" >"$work/after" 2>&1; then
	echo "FAIL: gmm_train after the run:"; cat "$work/after"; fail=1
fi
if [ -n "$log" ] && tail -c +"$((logpos + 1))" "$log" | grep -E 'terminated by signal|was terminated by exception|PANIC:|TRAP:' >"$work/crash"; then
	echo "FAIL: the server log reports crashes:"; head -10 "$work/crash"; fail=1
fi
psql_q -c "DROP SCHEMA $S CASCADE" >/dev/null 2>&1
echo "concurrency: $tx transactions, $other errors besides cancels, ${ncancel:-0} cancels"
exit $fail
