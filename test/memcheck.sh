#!/usr/bin/env bash
#
# test/memcheck.sh: the regression suite against a memory-checked server.
# Not part of the test command (it takes minutes); run it by hand:
#
#     bash test/memcheck.sh [--asan] [--checks] [NAME PORT]
#
# Default (valgrind): the extension is built from a scratch copy of the
# source (-O1 -g), installed into a private copy of PostgreSQL
# (test/lib/devcluster.sh NAME, default "memcheck", PORT default 55499; never the
# system install), and the postmaster runs under valgrind
# --trace-children=yes with the suppressions of test/lib/valgrind.supp
# (PostgreSQL's own false positives); then `make installcheck` runs against
# it.  Every error whose stack goes through gmm.so is reported with its
# stack.  Valgrind is slow: the suite takes several minutes.
#
# --asan (AddressSanitizer): copies the source to a scratch dir, builds gmm
# there with gcc -fsanitize=address (-O1 -g, frame pointers), installs it
# into a private copy of PostgreSQL (test/lib/devcluster.sh NAME, default
# "memcheck", PORT default 55499; never the system install), restarts that
# cluster with libasan preloaded into the postmaster (detect_leaks=0: the
# server's memory contexts are freed wholesale), then runs `make
# installcheck` against it.  With --checks it also runs
# test/checks/check_storage_forms.py and 30 s of test/checks/fuzz.py.  Every ASan report
# (one file per process, asan.<pid>) is printed with its stack.
#
# Note: on Debian 12 (glibc 2.36, gcc 12 / clang 14 runtimes) a postmaster
# with libasan preloaded deadlocks at startup in bindtextdomain
# (set_pglocale_pgservice), so --asan works only where that is fixed.
#
# The cluster is stopped at the end (its dir /tmp/pgdev-NAME is kept; delete
# it with rm -rf).  Exit status 0 when no error was found.
set -u
mode=valgrind
checks=0
pos=()
for a in "$@"; do
	case $a in
	--valgrind) mode=valgrind ;;
	--asan) mode=asan ;;
	--checks) checks=1 ;;
	-h | --help)
		sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) pos+=("$a") ;;
	esac
done
name=${pos[0]:-memcheck}
port=${pos[1]:-55499}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

# shellcheck source=test/lib/devcluster.sh
source "$here/lib/devcluster.sh" "$name" "$port" || exit 1
dir=$GMM_DEV_DIR
out=$dir/memcheck
rm -rf "$out" && mkdir -p "$out" && chmod 777 "$out"

# 1. build from a scratch copy (the worktree's objects stay as they are)
src=$dir/src
rm -rf "$src" && mkdir -p "$src"
(cd "$repo" && tar --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - .) | (cd "$src" && tar xf -)
if [ "$mode" = asan ]; then
	copt="-fsanitize=address -fno-omit-frame-pointer -fno-common -g -O1"
else
	copt="-g -O1 -fno-omit-frame-pointer"
fi
echo "== build ($mode): $copt"
(cd "$src" && make -s clean PG_CONFIG="$PG_CONFIG" >/dev/null &&
	make -s PG_CFLAGS="-Wall -Wextra" COPT="$copt" PG_CONFIG="$PG_CONFIG" &&
	make -s install DESTDIR="$dir" PG_CONFIG="$PG_CONFIG" >/dev/null) </dev/null || {
	echo "memcheck: build failed"
	exit 1
}

# 2. restart the cluster under the checker
_gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$dir/data" stop -m fast -w >/dev/null 2>&1
opts="-p $PGPORT -k $dir/sock -c listen_addresses='' -c max_parallel_workers_per_gather=2 -c fsync=off"
if [ "$mode" = asan ]; then
	libasan=$(gcc -print-file-name=libasan.so)
	echo "== start the cluster with $libasan preloaded"
	runuser -u postgres -- env LD_PRELOAD="$libasan" \
		ASAN_OPTIONS="detect_leaks=0:log_path=$out/asan:abort_on_error=0:detect_stack_use_after_return=0:handle_segv=1:allow_user_segv_handler=1" \
		"$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 -o "$opts" start >/dev/null ||
		{ tail -30 "$dir/server.log"; exit 1; }
else
	echo "== start the cluster under valgrind"
	# pg_ctl cannot wrap the postmaster: start valgrind ourselves
	runuser -u postgres -- sh -c "cd $dir && exec valgrind --quiet --trace-children=yes --track-origins=yes \
		--read-var-info=no --error-limit=no --num-callers=30 \
		--suppressions='$here/lib/valgrind.supp' --log-file='$out/valgrind.%p' \
		'$PGBIN/postgres' -D '$dir/data' $opts >>'$dir/server.log' 2>&1" </dev/null &
	for _ in $(seq 1 120); do
		"$PGBIN/pg_isready" -q -h "$dir/sock" -p "$PGPORT" && break
		sleep 1
	done
fi
"$PGBIN/pg_isready" -q -h "$dir/sock" -p "$PGPORT" || { echo "server not ready"; tail -30 "$dir/server.log"; exit 1; }
loglines=$(wc -l <"$dir/server.log")

# 3. the regression suite (and, with --checks, the storage matrix and the fuzzer)
echo "== make installcheck"
(cd "$src" && make installcheck PG_CONFIG="$PG_CONFIG") </dev/null >"$out/installcheck.out" 2>&1
rc=$?
grep -E '^(test| ) |tests passed|failed' "$out/installcheck.out" | tail -25
# Under valgrind, long double is computed in 64 bits (valgrind's x87
# emulation), so the exact path of far-point scoring (kernel/logpdf.c) loses
# its extra exponent range there: these tests print other answers under
# valgrind for that reason alone, and are reported but not counted.
valgrind_long_double_tests="float8_edges infer"
failed_tests=$(grep -E '\.\.\. FAILED' "$out/installcheck.out" | sed -E 's/^(test)? *([^ ]+) .*/\2/')
if [ "$rc" != 0 ] && [ "$mode" = valgrind ] && [ -n "$failed_tests" ]; then
	unexpected=
	for t in $failed_tests; do
		case " $valgrind_long_double_tests " in
		*" $t "*) ;;
		*) unexpected="$unexpected $t" ;;
		esac
	done
	if [ -z "$unexpected" ]; then
		echo "(failed under valgrind only because long double is 64-bit there: $failed_tests)"
		rc=0
	fi
fi
checks_rc=0
if [ "$checks" = 1 ]; then
	# the regression database has the extension
	echo "== test/checks/check_storage_forms.py"
	PGDATABASE=contrib_regression GMM_SERVER_LOG=$dir/server.log /usr/bin/python3 "$here/checks/check_storage_forms.py" >"$out/storage.out" 2>&1 || checks_rc=1
	tail -5 "$out/storage.out"
	echo "== test/checks/fuzz.py --seconds 30"
	PGDATABASE=contrib_regression GMM_SERVER_LOG=$dir/server.log /usr/bin/python3 "$here/checks/fuzz.py" --seconds 30 >"$out/fuzz.out" 2>&1 || checks_rc=1
	tail -5 "$out/fuzz.out"
fi

# 4. stop, then report
if [ "$mode" = asan ]; then
	_gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$dir/data" stop -m fast -w >/dev/null 2>&1
else
	_gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$dir/data" stop -m fast -w -t 300 >/dev/null 2>&1
	sleep 2
fi
found=0
echo
echo "== findings"
if [ "$mode" = asan ]; then
	for f in "$out"/asan*; do
		[ -s "$f" ] || continue
		found=$((found + 1))
		echo "--- $f"
		cat "$f"
	done
else
	for f in "$out"/valgrind.*; do
		[ -s "$f" ] || continue
		# keep the errors whose stack goes through gmm.so
		awk -v RS= '/gmm\.so/' "$f" >"$f.gmm"
		if [ -s "$f.gmm" ]; then
			found=$((found + 1))
			echo "--- $f"
			cat "$f.gmm"
		fi
	done
fi
crashes=$(tail -n +"$((loglines + 1))" "$dir/server.log" | grep -v 'logical replication launcher' | grep -cE 'terminated by signal|exited with exit code 1|TRAP:|PANIC:')
echo "memcheck ($mode): regression suite exit status $rc, checks exit status $checks_rc, $found report(s) with errors, $crashes crash(es) in the server log"
[ -f "$src/regression.diffs" ] && echo "(regression diffs in $src/regression.diffs)"
[ "$found" = 0 ] && [ "$crashes" = 0 ] && [ "$rc" = 0 ] && [ "$checks_rc" = 0 ]
