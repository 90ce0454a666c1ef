#!/usr/bin/env bash
#
# test/run_tests.sh: THE test command of gmm.
#
#   bash test/run_tests.sh [--regress-only | --checks-only]
#
# 1. installs the Debian packages needed (build + python checks), unless
#    GMM_SKIP_DEPS=1;
# 2. make clean && make && make install (system PostgreSQL 15), unless
#    GMM_SKIP_BUILD=1;
# 3. starts a throwaway cluster in /tmp (stopped and removed at exit);
# 4. runs the kernel unit tests (`make unittest`: test/unit/, no server, each
#    test counted), then `make installcheck` (pg_regress over sql/*.sql, one
#    test each);
# 5. runs every test/checks/check_*.py (/usr/bin/python3) and check_*.sh
#    (bash), sorted by name, each one test: exit status 0 = passed, 77 = skipped
#    (its "SKIPPED: reason" line is shown), anything else = failed.  They reach the
#    server through PGHOST/PGPORT/PGUSER/PGDATABASE (psycopg2.connect("")),
#    and get PGBIN, GMM_REPO and GMM_PGCLUSTER (test/lib/pgcluster.sh, to
#    source for extra servers).  Each runs in the repo top dir with a timeout
#    of GMM_CHECK_TIMEOUT seconds (default 1800).
#
# GMM_USE_CLUSTER=1 skips the dependencies, the build and the throwaway
# cluster and tests the server the PG* variables point at, with PGBIN as set
# (test/lib/devcluster.sh's gmm_dev_test uses this).
#
# The last line printed is "N passed, M failed, K skipped"; the exit status is
# non-zero if anything failed (a failed build or cluster start counts as one
# failure); skipped checks do not fail the run.

set -u

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GMM_REPO=$(cd "$TEST_DIR/.." && pwd) # the repo holding this script, always
use_cluster=${GMM_USE_CLUSTER:-0}
if [ "$use_cluster" != 1 ]; then
	# we install into the system PostgreSQL, so run its binaries (not, say,
	# a test/lib/devcluster.sh copy left in PGBIN by the calling shell)
	PGBIN=/usr/lib/postgresql/15/bin
fi
# shellcheck source=test/lib/pgcluster.sh
source "$TEST_DIR/lib/pgcluster.sh"
export GMM_PGCLUSTER=$TEST_DIR/lib/pgcluster.sh

run_regress=1
run_checks=1
for arg in "$@"; do
	case $arg in
	--regress-only) run_checks=0 ;;
	--checks-only) run_regress=0 ;;
	-h | --help)
		sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

passed=0
failed=0
skipped=0
failed_names=()

fail() {
	failed=$((failed + 1))
	failed_names+=("$1")
}

finish() {
	echo
	if [ "${#failed_names[@]}" -gt 0 ]; then
		echo "failed: ${failed_names[*]}"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	if [ "$failed" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

# Print the interesting part of the server log if a backend crashed.
show_server_crashes() {
	local log
	if [ "$use_cluster" = 1 ]; then
		log=${GMM_DEV_DIR:+$GMM_DEV_DIR/server.log}
	else
		log=$(gmm_cluster_log)
	fi
	[ -n "$log" ] && [ -f "$log" ] || return 0
	if grep -qE 'terminated by signal|PANIC:|TRAP:|was terminated by exception' "$log"; then
		echo "=== server log: a backend crashed; last 80 lines of $log ==="
		tail -n 80 "$log"
		echo "=== end of server log ==="
	fi
}

WORK=$(mktemp -d /tmp/gmm-run.XXXXXX)
child=
# pgcluster.sh chains the cluster stop onto this trap
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; rm -rf "$WORK"' EXIT

if [ "$use_cluster" = 1 ]; then
	echo "== using the running server: PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGBIN=$PGBIN"
	export PGHOST PGPORT PGUSER PGDATABASE PGBIN
else
	echo "== dependencies"
	if ! gmm_install_deps python; then
		fail dependencies
		finish
	fi

	if [ "${GMM_SKIP_BUILD:-0}" != 1 ]; then
		echo "== build and install ($GMM_REPO)"
		if ! gmm_build_install; then
			echo "BUILD FAILED"
			fail build
			finish
		fi
	fi

	echo "== start a throwaway cluster"
	if ! gmm_cluster_start; then
		fail cluster-start
		finish
	fi
fi

cd "$GMM_REPO" || exit 1

if [ "$run_regress" = 1 ]; then
	echo "== kernel unit tests (make unittest, no server)"
	make -s unittest PG_CONFIG="$PG_CONFIG" </dev/null 2>&1 | tee "$WORK/unit.out"
	urc=${PIPESTATUS[0]}
	uline=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/unit.out" | tail -n 1)
	[ -n "$uline" ] && passed=$((passed + ${uline%% passed*}))
	while read -r _ name _; do fail "unit/$name"; done < <(grep '^FAILED ' "$WORK/unit.out")
	# a build failure or a crash: no per-test verdict to count
	[ "$urc" != 0 ] && ! grep -q '^FAILED ' "$WORK/unit.out" && fail unittest

	echo "== make installcheck"
	rm -f regression.diffs regression.out
	make installcheck PG_CONFIG="$PG_CONFIG" </dev/null 2>&1 | tee "$WORK/installcheck.out"
	rc=${PIPESTATUS[0]}
	# pg_regress (PG 15) prints one line per test:
	#   "test io                           ... ok           12 ms"   (serial)
	#   "     io                           ... FAILED       12 ms"   (parallel group)
	# and "failed (ignored)" for tests a schedule marks "ignore".  PG 16+
	# prints TAP ("ok 1  - io  12 ms" / "not ok 1  - io  12 ms"): also accepted.
	r_pass=0
	r_fail=0
	while IFS= read -r line; do
		name=
		status=
		if [[ $line =~ ^(test[[:space:]]+|[[:space:]]+)?([^[:space:]]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed\ \(ignored\)) ]]; then
			name=${BASH_REMATCH[2]}
			status=${BASH_REMATCH[3]}
		elif [[ $line =~ ^(not\ ok|ok)[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([^[:space:]]+) ]]; then
			name=${BASH_REMATCH[2]}
			status=${BASH_REMATCH[1]}
			[ "$status" = "not ok" ] && status=FAILED
		fi
		case $status in
		'') ;;
		FAILED)
			r_fail=$((r_fail + 1))
			fail "regress/$name"
			;;
		*) r_pass=$((r_pass + 1)) ;;
		esac
	done <"$WORK/installcheck.out"
	passed=$((passed + r_pass))
	if [ "$rc" != 0 ] && [ "$r_fail" = 0 ]; then
		# pg_regress itself failed (e.g. CREATE EXTENSION in --load-extension)
		fail installcheck
	fi
	if [ -s regression.diffs ]; then
		echo "=== regression.diffs (first 300 lines) ==="
		head -n 300 regression.diffs
		echo "=== end of regression.diffs ==="
	fi
	echo "-- regression tests: $r_pass passed, $r_fail failed (make installcheck exit status $rc)"
fi

if [ "$run_checks" = 1 ]; then
	echo "== checks"
	checks=()
	while IFS= read -r f; do
		checks+=("$f")
	done < <(find "$TEST_DIR/checks" -maxdepth 1 -type f \( -name 'check_*.py' -o -name 'check_*.sh' \) -printf '%f\n' | LC_ALL=C sort)
	for f in "${checks[@]}"; do
		case $f in
		*.py) cmd=(/usr/bin/python3 "$TEST_DIR/checks/$f") ;;
		*) cmd=(bash "$TEST_DIR/checks/$f") ;;
		esac
		start=$(date +%s.%N)
		# in the background so that INT/TERM interrupt the wait (and the EXIT
		# trap kills the check); timeout kills it after GMM_CHECK_TIMEOUT s
		timeout --kill-after=30 "${GMM_CHECK_TIMEOUT:-1800}" "${cmd[@]}" >"$WORK/check.out" 2>&1 </dev/null &
		child=$!
		wait "$child"
		rc=$?
		child=
		secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		if [ "$rc" = 0 ]; then
			passed=$((passed + 1))
			printf 'check %-40s ... ok     %6s s\n' "$f" "$secs"
			[ "${GMM_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$WORK/check.out"
		elif [ "$rc" = 77 ]; then
			skipped=$((skipped + 1))
			printf 'check %-40s ... SKIPPED %5s s: %s\n' "$f" "$secs" \
				"$(sed -n 's/^SKIPPED: //p' "$WORK/check.out" | head -n 1)"
		else
			printf 'check %-40s ... FAILED %6s s (exit status %s%s)\n' "$f" "$secs" "$rc" \
				"$([ "$rc" = 124 ] && echo ", timed out")"
			echo "--- last 60 lines of output of $f ---"
			tail -n 60 "$WORK/check.out"
			echo "--- end of $f ---"
			fail "$f"
		fi
	done
	[ "${#checks[@]}" = 0 ] && echo "(no test/checks/check_* scripts)"
fi

show_server_crashes
finish
