#!/usr/bin/env bash
#
# test/checks/check_layers.sh: the layering of the C code (README, Development).
#
#   bash test/checks/check_layers.sh
#
# Fails (exit 1) when
#  1. a kernel file (src/kernel/*.[ch]) includes a header outside the kernel
#     other than the few PostgreSQL and system headers allowed, or names
#     fmgr-level things (Datum, FunctionCallInfo, PG_GETARG, ArrayType,
#     Jsonb, GUC definitions);
#  2. a kernel file pulls in fmgr.h, utils/array.h, utils/jsonb.h or a header
#     of the SQL layer (src/*.h) through any chain of includes;
#  3. a kernel object calls a function defined in the SQL layer, or the
#     file-level call graph of all objects has a cycle.
# Needs no server: the objects for 3 are compiled afresh (-O0) into a
# temporary directory, so the result does not depend on a stale build.

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 1
PG_CONFIG=${PG_CONFIG:-pg_config}
INC=$("$PG_CONFIG" --includedir-server) || exit 1
BLAS_CFLAGS=$(pkg-config --cflags lapacke openblas 2>/dev/null || pkg-config --cflags lapacke blas 2>/dev/null)
CFLAGS=(-Isrc $BLAS_CFLAGS -isystem "$INC")
status=0

# 1. includes and names in the kernel
bad=$(grep -n '#include' src/kernel/*.[ch] |
	grep -v -E '"kernel/[a-z_]+\.h"|<(math|float|string|stdbool|stdint|pthread|sched|signal|unistd|cblas|lapacke)\.h>|"(postgres|miscadmin)\.h"|"utils/memutils\.h"|"common/(pg_prng|hashfn)\.h"|"port/atomics\.h"')
if [ -n "$bad" ]; then
	echo "kernel file includes a header it may not:"
	echo "$bad"
	status=1
fi
bad=$(grep -n -E 'Datum|FunctionCallInfo|PG_FUNCTION|PG_GETARG|fcinfo|ArrayType|Jsonb|DefineCustom|GetConfigOption' src/kernel/*.[ch])
if [ -n "$bad" ]; then
	echo "kernel file uses the fmgr/SQL level:"
	echo "$bad"
	status=1
fi

# 2. what the kernel pulls in through any chain of includes
for f in src/kernel/*.c; do
	gcc -MM "${CFLAGS[@]}" "$f" || {
		echo "cannot preprocess $f"
		status=1
	}
done >"${TMPDIR:-/tmp}/gmm_layers_deps.$$"
bad=$(tr ' \\' '\n\n' <"${TMPDIR:-/tmp}/gmm_layers_deps.$$" |
	grep -E '(^|/)(fmgr|array|jsonb)\.h$|^src/[a-z_]+\.h$' | sort -u)
rm -f "${TMPDIR:-/tmp}/gmm_layers_deps.$$"
if [ -n "$bad" ]; then
	echo "kernel files pull in these headers:"
	echo "$bad"
	status=1
fi

# 3. file-level call graph of freshly compiled objects
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/kernel"
for f in src/*.c src/kernel/*.c; do
	gcc -c -O0 -w "${CFLAGS[@]}" -o "$work/${f%.c}.o" "$f" || {
		echo "cannot compile $f"
		exit 1
	}
done
objs=$(cd "$work" && ls src/*.o src/kernel/*.o)
declare -A def
for o in $objs; do
	for s in $(nm --defined-only -g "$work/$o" | awk '$2 ~ /[TDBR]/ {print $3}'); do
		def[$s]=$o
	done
done
pairs=$(for o in $objs; do
	for s in $(nm -u "$work/$o" | awk '{print $2}'); do
		d=${def[$s]:-}
		if [ -n "$d" ] && [ "$d" != "$o" ]; then echo "${d%.o} ${o%.o}"; fi
	done
done | sort -u)
bad=$(echo "$pairs" | awk '$2 ~ /^src\/kernel\// && $1 !~ /^src\/kernel\//')
if [ -n "$bad" ]; then
	echo "kernel calls the SQL layer (callee caller):"
	echo "$bad"
	status=1
fi
if ! echo "$pairs" | tsort >/dev/null 2>"$work/tsort.err" || [ -s "$work/tsort.err" ]; then
	echo "call cycle between files:"
	cat "$work/tsort.err"
	status=1
fi

if [ "$status" = 0 ]; then
	echo "layers ok: kernel free of fmgr and of the SQL layer, no include or call cycle"
fi
exit $status
