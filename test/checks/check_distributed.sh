#!/bin/bash
# check_distributed.sh: gmm on distributed PostgreSQL with postgres_fdw.
#
# Starts two throwaway PostgreSQL instances ("shards") on free loopback
# ports, creates the gmm extension on each, and on the coordinator (the
# cluster of the PG* environment variables, in a scratch database) a
# partitioned table whose two partitions are postgres_fdw foreign tables on
# the shards, plus a local table with the same rows.  Then checks that
#   (a) per-shard gmm_stats computed remotely (aggregate pushed down by
#       partition-wise aggregation) and merged on the coordinator give the
#       same EM step as the local table, and so do gmm_em_step and gmm_train
#       over the partitioned table;
#   (b) GROUP BY the partition key runs gmm_fit on each shard (EXPLAIN
#       VERBOSE shows it in the Remote SQL) and gives the models of the
#       local table;
#   (c) the same for incomplete rows ("missing": "marginalize", column xm
#       with NULL and NaN elements): per-shard statistics merged equal the
#       local ones (1e-12), and gmm_train and per-shard gmm_fit agree.
# Exits 0 only if every check passes; stops the shards and drops the scratch
# database on exit.  Needs PGBIN (the PostgreSQL bin directory) and the PG*
# variables of the coordinator; runs the shards as the postgres user.
set -u

PGBIN=${PGBIN:-$(pg_config --bindir)}
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
COORD_DB="gmm_distributed_$$"
WORK=$(mktemp -d /tmp/gmm_distributed.XXXXXX)
SHARD_PORTS=()
SHARD_DIRS=()
passed=0
failed=0

# run a command as the postgres user
as_postgres() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

cleanup() {
	for dir in "${SHARD_DIRS[@]}"; do
		as_postgres "$PGBIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1
	done
	$PSQL -d postgres -c "DROP DATABASE IF EXISTS $COORD_DB" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# is a TCP port on 127.0.0.1 free?
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start shard number $1 on the first free port from $2, setting STARTED_PORT
# (not in a subshell: SHARD_DIRS must reach the exit trap)
start_shard() {
	local n=$1 port=$2 dir="$WORK/shard$1"
	mkdir -p "$dir.sock"
	chown postgres "$WORK" "$dir.sock" 2>/dev/null
	as_postgres "$PGBIN/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null || return 1
	SHARD_DIRS+=("$dir")
	for _ in $(seq 1 50); do
		if port_free "$port" &&
			as_postgres "$PGBIN/pg_ctl" -D "$dir" -l "$dir.log" -w -t 60 \
				-o "-p $port -k $dir.sock -c listen_addresses=127.0.0.1 -c shared_buffers=32MB -c max_connections=20 -c fsync=off" \
				start >/dev/null; then
			STARTED_PORT=$port
			return 0
		fi
		port=$((port + 1))
	done
	return 1
}

# report one check: name, then a command that succeeds when it passes
check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok     $name"
		passed=$((passed + 1))
	else
		echo "FAILED $name"
		failed=$((failed + 1))
	fi
}

chown postgres "$WORK" 2>/dev/null
base=${GMM_DISTRIBUTED_PORT:-$(( ${PGPORT:-5432} + 1 ))}
for n in 1 2; do
	start_shard $n "$base" || { echo "could not start shard $n"; cat "$WORK/shard$n.log" 2>/dev/null; exit 1; }
	port=$STARTED_PORT
	SHARD_PORTS+=("$port")
	base=$((port + 1))
	$PSQL -h 127.0.0.1 -p "$port" -d postgres -c "CREATE EXTENSION gmm" ||
		{ echo "could not create the extension on shard $n"; exit 1; }
done
echo "shards on 127.0.0.1 ports ${SHARD_PORTS[*]}"

$PSQL -d postgres -c "CREATE DATABASE $COORD_DB" || exit 1
COORD="$PSQL -d $COORD_DB"

# the coordinator: extension, servers, the local table and the distributed one
$COORD <<EOF || { echo "coordinator setup failed"; exit 1; }
CREATE EXTENSION gmm;
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port '${SHARD_PORTS[0]}', dbname 'postgres', extensions 'gmm');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port '${SHARD_PORTS[1]}', dbname 'postgres', extensions 'gmm');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard2 OPTIONS (user 'postgres');

-- two groups of two clusters each, deterministic
CREATE TABLE local_pts AS
SELECT 1 + (i % 2) AS g, i,
	   ARRAY[(i / 2 % 2) * 5 + (i % 2) * 2 + sin(i * 1.7), cos(i * 0.3) * 1.5 + (i % 2)]::float8[] AS x
FROM generate_series(1, 4000) i;
-- incomplete rows: about 20% of the values missing (NULL or NaN), a few rows entirely
ALTER TABLE local_pts ADD COLUMN xm float8[];
UPDATE local_pts SET xm = ARRAY[CASE WHEN i % 5 = 0 THEN NULL ELSE x[1] END,
	CASE WHEN i % 7 = 3 OR i % 50 = 0 THEN 'NaN' ELSE x[2] END]::float8[];

CREATE TABLE dist (g int, i int, x float8[], xm float8[]) PARTITION BY LIST (g);
CREATE FOREIGN TABLE dist_1 PARTITION OF dist FOR VALUES IN (1)
	SERVER shard1 OPTIONS (schema_name 'public', table_name 'pts');
CREATE FOREIGN TABLE dist_2 PARTITION OF dist FOR VALUES IN (2)
	SERVER shard2 OPTIONS (schema_name 'public', table_name 'pts');

CREATE TABLE start_model AS
SELECT '{"covariance_type":"full","weights":[0.5,0.5],"means":[[0,0],[6,1]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}'::gmm AS m;

-- norm-wise relative closeness of two models' parameters and metadata
CREATE FUNCTION close(a float8[], b float8[], tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS \$\$
	SELECT cardinality(a) = cardinality(b)
		AND max(abs(x - y)) <= tol * greatest(max(abs(x)), max(abs(y)), 1e-300)
	FROM unnest(a, b) AS u(x, y)
\$\$;
CREATE FUNCTION close(a gmm, b gmm, tol float8) RETURNS bool
LANGUAGE sql IMMUTABLE AS \$\$
	SELECT close(gmm_weights(a), gmm_weights(b), tol) AND close(gmm_means(a), gmm_means(b), tol)
		AND close(gmm_covariances(a), gmm_covariances(b), tol)
		AND abs(gmm_log_likelihood(a) - gmm_log_likelihood(b)) <= tol * abs(gmm_log_likelihood(a))
		AND gmm_n_rows(a) = gmm_n_rows(b) AND gmm_n_iter(a) = gmm_n_iter(b)
\$\$;
EOF

# the shards' tables, filled through the foreign partitions
for port in "${SHARD_PORTS[@]}"; do
	$PSQL -h 127.0.0.1 -p "$port" -d postgres -c "CREATE TABLE pts (g int, i int, x float8[], xm float8[])" || exit 1
done
$COORD -c "INSERT INTO dist SELECT g, i, x, xm FROM local_pts ORDER BY i" || exit 1

# true when a query prints "t"
query_true() {
	[ "$($COORD -At -c "$1" 2>&1)" = t ]
}

# true when the EXPLAIN VERBOSE output of $2 has $1 Remote SQL lines matching $3
remote_sql_count() {
	local want=$1 query=$2 pattern=$3 plan
	plan=$($COORD -At -c "SET enable_partitionwise_aggregate = on; EXPLAIN (VERBOSE, COSTS OFF) $query" 2>&1)
	echo "$plan" | sed 's/^/         /' | grep -E "Remote SQL|Foreign Scan|Append|Aggregate"
	[ "$(echo "$plan" | grep -cE "Remote SQL: .*$pattern")" -eq "$want" ]
}

STATS_Q="SELECT gmm_stats_merge(s) FROM (SELECT g, gmm_stats_agg((SELECT m FROM start_model), x) AS s FROM dist GROUP BY g) q"
M=$($COORD -At -c "SELECT m FROM start_model")
STATS_LIT="SELECT gmm_stats_merge(s) FROM (SELECT g, gmm_stats_agg('$M'::gmm, x) AS s FROM dist GROUP BY g) q"

check "rows spread over both shards" query_true \
	"SELECT (SELECT count(*) FROM dist_1) = 2000 AND (SELECT count(*) FROM dist_2) = 2000"
check "(a) gmm_stats_agg per shard pushed down (Remote SQL)" \
	remote_sql_count 2 "$STATS_LIT" "gmm_stats_agg\("
check "(a) merged remote stats give the local EM step (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT close(gmm_stats_to_model(($STATS_LIT)), (SELECT gmm_em_step(m, x) FROM local_pts, start_model), 1e-9)
	   AND gmm_stats_n_rows(($STATS_LIT)) = 4000"
check "(a) merged stats with the model from a subquery too (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT close(gmm_stats_to_model(($STATS_Q)), (SELECT gmm_em_step(m, x) FROM local_pts, start_model), 1e-9)"
check "(a) gmm_em_step over the partitioned table equals local (1e-9)" query_true "
	SELECT close((SELECT gmm_em_step(m, x) FROM dist, start_model), (SELECT gmm_em_step(m, x) FROM local_pts, start_model), 1e-9)"
check "(a) gmm_train over the foreign partitions equals local (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT close(gmm_train('dist', 'x', m), gmm_train('local_pts', 'x', m), 1e-9) FROM start_model"
check "(b) gmm_fit per shard pushed down (Remote SQL)" \
	remote_sql_count 2 "SELECT g, gmm_fit(x, 2, '{\"seed\": 1}') FROM dist GROUP BY g" "gmm_fit\("
check "(b) per-shard gmm_fit equals gmm_fit of the local groups (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT bool_and(close(r.m, l.m, 1e-9)) AND count(*) = 2
	FROM (SELECT g, gmm_fit(x, 2, '{\"seed\": 1}') m FROM dist GROUP BY g) r
	JOIN (SELECT g, gmm_fit(x, 2, '{\"seed\": 1}' ORDER BY i) m FROM local_pts GROUP BY g) l USING (g)"

MISS="'{\"missing\": \"marginalize\"}'"
STATS_MISS="SELECT gmm_stats_merge(s) FROM (SELECT g, gmm_stats_agg('$M'::gmm, xm, 1, $MISS) AS s FROM dist GROUP BY g) q"
check "(c) incomplete rows: gmm_stats_agg per shard pushed down (Remote SQL)" \
	remote_sql_count 2 "$STATS_MISS" "gmm_stats_agg\("
check "(c) incomplete rows: merged remote stats give the local EM step (1e-12)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT close(gmm_stats_to_model(($STATS_MISS)), (SELECT gmm_em_step(m, xm, 1, $MISS) FROM local_pts, start_model), 1e-12)
	   AND gmm_stats_n_rows(($STATS_MISS)) = (SELECT count(*) FROM local_pts WHERE NOT (xm[1] IS NULL AND xm[2] = 'NaN'))"
check "(c) incomplete rows: gmm_em_step over the partitioned table equals local (1e-12)" query_true "
	SELECT close((SELECT gmm_em_step(m, xm, 1, $MISS) FROM dist, start_model), (SELECT gmm_em_step(m, xm, 1, $MISS) FROM local_pts, start_model), 1e-12)"
check "(c) incomplete rows: gmm_train over the foreign partitions equals local (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT close(a, b, 1e-9) AND gmm_n_rows_skipped(a) = gmm_n_rows_skipped(b) AND gmm_n_rows_skipped(a) > 0
	FROM (SELECT gmm_train('dist', 'xm', m, $MISS) a, gmm_train('local_pts', 'xm', m, $MISS) b FROM start_model) s"
check "(c) incomplete rows: per-shard gmm_fit equals gmm_fit of the local groups (1e-9)" query_true "
	SET enable_partitionwise_aggregate = on;
	SELECT bool_and(close(r.m, l.m, 1e-9) AND gmm_n_values_missing(r.m) = gmm_n_values_missing(l.m)) AND count(*) = 2
	FROM (SELECT g, gmm_fit(xm, 2, '{\"seed\": 1, \"missing\": \"marginalize\"}') m FROM dist GROUP BY g) r
	JOIN (SELECT g, gmm_fit(xm, 2, '{\"seed\": 1, \"missing\": \"marginalize\"}' ORDER BY i) m FROM local_pts GROUP BY g) l USING (g)"

echo "check_distributed: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
