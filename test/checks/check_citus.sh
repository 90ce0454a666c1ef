#!/usr/bin/env bash
# check_citus.sh: gmm on a real Citus 13.2.2 cluster.
#
# Builds Citus once per machine (test/build_citus.sh: cached outside the
# clone) and copies it into the PostgreSQL installation of $PGBIN, starts a
# coordinator and two workers on 127.0.0.1 (free ports from
# $GMM_CITUS_PORT, default PGPORT+50; sockets in a /tmp dir), each with
# shared_preload_libraries = citus, CREATE EXTENSION citus and gmm on each,
# citus_set_coordinator_host and citus_add_node; then checks that
#   - gmm_em_step, gmm_stats_agg, gmm_score, gmm_bic and gmm_aic over a
#     distributed table are pushed down to the workers as partial aggregates
#     (EXPLAIN VERBOSE: worker_partial_agg / coord_combine_agg) and equal the
#     same aggregate over a local copy to 1e-12 relative;
#   - gmm_train over the distributed table, by name and by query, equals
#     gmm_train over the local copy;
#   - SELECT key, gmm_fit(x, k) FROM dist GROUP BY key runs on the workers
#     and each model equals gmm_fit of its group in the local copy;
#   - a view scoring the distributed table with gmm_predict and a model from
#     a reference table runs on the workers and gives the local labels.
# The servers are stopped and their dirs removed at exit.
#
# Without the Citus source ($GMM_CITUS_SRC, else
# $GMM_REPO/../shared/vendor/citus-13.2.2.tar.gz) it prints "SKIPPED: reason"
# and exits with status 77, which test/run_tests.sh counts as skipped.
set -u

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GMM_REPO=${GMM_REPO:-$(cd "$TEST_DIR/../.." && pwd)}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -U postgres)
SKIP=77
export GMM_REPO

# 1. Citus: build once (cached), install into the servers' installation
out=$(bash "$TEST_DIR/../build_citus.sh" install "$PGBIN" 2>&1)
rc=$?
if [ "$rc" = 3 ]; then
	echo "$out" | grep '^SKIPPED:' | head -n 1
	exit $SKIP
elif [ "$rc" != 0 ]; then
	echo "$out"
	echo "could not build or install Citus"
	exit 1
fi
[ -n "$out" ] && echo "$out"

WORK=$(mktemp -d /tmp/gmm-citus.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
NODE_DIRS=()
PORTS=()

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
	local d
	for d in "${NODE_DIRS[@]}"; do
		as_pg "$PGBIN/pg_ctl" -D "$d" stop -m fast -w -t 30 >/dev/null 2>&1 ||
			as_pg "$PGBIN/pg_ctl" -D "$d" stop -m immediate -w >/dev/null 2>&1
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start node $1 on the first free port from $2; sets STARTED_PORT
start_node() {
	local name=$1 port=$2 dir=$WORK/$1
	as_pg "$PGBIN/initdb" -D "$dir" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$WORK/$name.initdb.log" 2>&1 ||
		{ cat "$WORK/$name.initdb.log"; return 1; }
	NODE_DIRS+=("$dir")
	for _ in $(seq 1 30); do
		if port_free "$port" &&
			as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$dir.log" -w -t 60 \
				-o "-p $port -k $WORK -c listen_addresses=127.0.0.1 -c shared_preload_libraries=citus -c shared_buffers=32MB -c max_connections=60 -c fsync=off -c max_worker_processes=16" \
				start >/dev/null; then
			STARTED_PORT=$port
			return 0
		fi
		port=$((port + 1))
	done
	tail -n 30 "$dir.log"
	return 1
}

base=${GMM_CITUS_PORT:-$((${PGPORT:-5432} + 50))}
for node in coordinator worker1 worker2; do
	start_node $node "$base" || { echo "could not start the $node"; exit 1; }
	PORTS+=("$STARTED_PORT")
	base=$((STARTED_PORT + 1))
done
C=${PORTS[0]}
echo "coordinator 127.0.0.1:$C, workers 127.0.0.1:${PORTS[1]} and 127.0.0.1:${PORTS[2]}"

# psql on node port $1
node() {
	local p=$1
	shift
	"${PSQL[@]}" -h 127.0.0.1 -p "$p" "$@"
}
coord() { node "$C" "$@"; }

for p in "${PORTS[@]:1}" "$C"; do
	node "$p" -c "CREATE EXTENSION citus" -c "CREATE EXTENSION gmm" ||
		{ echo "CREATE EXTENSION citus, gmm failed on port $p"; exit 1; }
done
coord >/dev/null <<EOF || { echo "cluster setup failed"; exit 1; }
SELECT citus_set_coordinator_host('127.0.0.1', $C);
SELECT citus_add_node('127.0.0.1', ${PORTS[1]});
SELECT citus_add_node('127.0.0.1', ${PORTS[2]});
EOF
echo "citus $(coord -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), gmm $(coord -At -c "SELECT extversion FROM pg_extension WHERE extname = 'gmm'"), nodes:"
coord -At -c "SELECT nodename || ':' || nodeport || ' ' || noderole || CASE WHEN groupid = 0 THEN ' (coordinator)' ELSE '' END FROM pg_dist_node ORDER BY nodeid" | sed 's/^/  /'

coord >/dev/null <<'EOF' || { echo "data setup failed"; exit 1; }
SET citus.shard_count = 4;
-- four groups (keys) of two 2-d clusters each, deterministic
CREATE TABLE local_pts AS
SELECT 1 + (i % 4) AS key, i,
       ARRAY[(i / 4 % 2) * 5 + (i % 4) + sin(i * 1.7), cos(i * 0.3) * 1.5 + (i / 4 % 2)]::float8[] AS x
FROM generate_series(1, 8000) i;
CREATE TABLE dist (key int, i int, x float8[]);
SELECT create_distributed_table('dist', 'key');
INSERT INTO dist SELECT key, i, x FROM local_pts ORDER BY i;
CREATE TABLE models (name text PRIMARY KEY, m gmm);
SELECT create_reference_table('models');
INSERT INTO models VALUES ('start',
  '{"covariance_type":"full","weights":[0.5,0.5],"means":[[1,0],[6,1]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}');
CREATE TABLE local_models AS SELECT * FROM models;

-- relative closeness of two arrays, and of two models' parameters and metadata
CREATE FUNCTION close(a float8[], b float8[], tol float8) RETURNS bool LANGUAGE sql IMMUTABLE AS $$
	SELECT cardinality(a) = cardinality(b)
	   AND coalesce(bool_and(abs(x - y) <= tol * greatest(abs(x), abs(y), 1e-300)), true)
	FROM unnest(a, b) AS u(x, y) $$;
CREATE FUNCTION close(a float8, b float8, tol float8) RETURNS bool LANGUAGE sql IMMUTABLE AS $$
	SELECT abs(a - b) <= tol * greatest(abs(a), abs(b), 1e-300) $$;
CREATE FUNCTION close(a gmm, b gmm, tol float8) RETURNS bool LANGUAGE sql IMMUTABLE AS $$
	SELECT close(gmm_weights(a), gmm_weights(b), tol) AND close(gmm_means(a), gmm_means(b), tol)
	   AND close(gmm_covariances(a), gmm_covariances(b), tol)
	   AND close(gmm_log_likelihood(a), gmm_log_likelihood(b), tol)
	   AND gmm_n_rows(a) = gmm_n_rows(b) AND gmm_n_iter(a) = gmm_n_iter(b) $$;
CREATE FUNCTION close(a gmm_stats, b gmm_stats, tol float8) RETURNS bool LANGUAGE sql IMMUTABLE AS $$
	SELECT gmm_stats_n_rows(a) = gmm_stats_n_rows(b) AND close(gmm_stats_weight(a), gmm_stats_weight(b), tol)
	   AND close(gmm_stats_log_likelihood(a), gmm_stats_log_likelihood(b), tol)
	   AND close(gmm_stats_counts(a), gmm_stats_counts(b), tol)
	   AND close(gmm_stats_to_model(a), gmm_stats_to_model(b), tol) $$;

CREATE VIEW dist_labels AS
SELECT d.key, d.i, gmm_predict(r.m, d.x) AS label, gmm_logpdf(r.m, d.x) AS logpdf
FROM dist d CROSS JOIN models r WHERE r.name = 'start';
EOF
coord -c "SELECT count(*) AS rows, count(DISTINCT key) AS keys FROM dist" -c "SELECT nodeport, count(*) AS shards FROM citus_shards WHERE table_name = 'dist'::regclass GROUP BY 1 ORDER BY 1"

passed=0
failed=0
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

# true when the query prints "t"
query_true() {
	local got
	got=$(coord -At -c "$1" 2>&1)
	[ "$got" = t ] || { echo "  query gave: $got"; return 1; }
}

# plan_has QUERY PATTERN...: EXPLAIN VERBOSE of QUERY matches every
# extended regexp PATTERN (printed with the plan lines that matter)
plan_has() {
	local q=$1 plan p ok=0
	shift
	plan=$(coord -At -c "EXPLAIN (VERBOSE, COSTS OFF) $q" 2>&1)
	echo "$plan" | grep -E "Custom Scan|Task Count|Query:|Output:.*(coord_combine_agg|gmm_)|Node:" | head -n 8 | sed 's/^/         /'
	for p in "$@"; do
		echo "$plan" | grep -qE -- "$p" || { echo "         (no match for: $p)"; ok=1; }
	done
	return $ok
}

M="(SELECT m FROM local_models WHERE name = 'start')"
ML=$(coord -At -c "SELECT m FROM local_models WHERE name = 'start'")
ML="'$ML'::gmm"

for agg in gmm_em_step gmm_stats_agg gmm_score gmm_bic gmm_aic; do
	check "$agg over dist: pushed down as a partial aggregate" plan_has \
		"SELECT $agg($ML, x) FROM dist" \
		"coord_combine_agg\\(" "Query: SELECT pg_catalog.worker_partial_agg\\('public.$agg\\(" "Task Count: 4"
done
check "gmm_em_step distributed = local (1e-12)" query_true \
	"SELECT close((SELECT gmm_em_step($ML, x) FROM dist), (SELECT gmm_em_step($ML, x) FROM local_pts), 1e-12)"
check "gmm_stats_agg distributed = local (1e-12)" query_true \
	"SELECT close((SELECT gmm_stats_agg($ML, x) FROM dist), (SELECT gmm_stats_agg($ML, x) FROM local_pts), 1e-12)"
for agg in gmm_score gmm_bic gmm_aic; do
	check "$agg distributed = local (1e-12)" query_true \
		"SELECT close((SELECT $agg($ML, x) FROM dist), (SELECT $agg($ML, x) FROM local_pts), 1e-12)"
done
check "gmm_em_step with the model from a reference table = local (1e-12)" query_true \
	"SELECT close((SELECT gmm_em_step(m, x) FROM dist, models WHERE name = 'start'), (SELECT gmm_em_step($ML, x) FROM local_pts), 1e-12)"

check "gmm_train('dist', 'x', m) = gmm_train over the local copy (1e-12)" query_true \
	"SELECT close(gmm_train('dist', 'x', $M), gmm_train('local_pts', 'x', $M), 1e-12)"
check "gmm_train(query over dist, 'x', m) = local (1e-12)" query_true \
	"SELECT close(gmm_train('SELECT x FROM dist WHERE key <> 3', 'x', $M), gmm_train('SELECT x FROM local_pts WHERE key <> 3', 'x', $M), 1e-12)"

FIT_Q="SELECT key, gmm_fit(x, 2, '{\"seed\": 1}') AS m FROM dist GROUP BY key"
check "GROUP BY key: gmm_fit runs on the workers" plan_has "$FIT_Q" \
	"Query: SELECT key, public.gmm_fit\\(x, 2, .* GROUP BY key" "Task Count: 4"
check "GROUP BY key: each model = gmm_fit of the local group (1e-12)" query_true "
	SELECT bool_and(close(r.m, l.m, 1e-12)) AND count(*) = 4
	FROM ($FIT_Q) r
	JOIN (SELECT key, gmm_fit(x, 2, '{\"seed\": 1}' ORDER BY i) m FROM local_pts GROUP BY key) l USING (key)"

check "view scoring dist with a reference-table model runs on the workers" plan_has \
	"SELECT * FROM dist_labels" "Query: SELECT .*public.gmm_predict\\(r.m, d.x\\)" "Task Count: 4"
check "view labels and log densities = local" query_true "
	SELECT count(*) = 8000 AND bool_and(v.label = gmm_predict(m.m, l.x))
	   AND bool_and(close(v.logpdf, gmm_logpdf(m.m, l.x), 1e-12))
	FROM dist_labels v JOIN local_pts l USING (key, i) CROSS JOIN local_models m"

echo "check_citus: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
