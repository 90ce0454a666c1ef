#!/usr/bin/env bash
#
# bench/check_kernels.sh: the E-step kernels against the original row-by-row
# kernel, outside the extension (a developer's tool, not part of the tests).
#
#   bash bench/check_kernels.sh ["n,d,k,'type',threads,reps" ...]
#
# Builds bench/out/kernel_check.so from bench/kernel_check.c and the
# kernel objects, src/kernel/*.o (run make first), loads it into the server the PG*
# variables point at (a fresh session, without gmm.so) and prints, per case,
# the largest relative differences of the statistics and the median times
# of both kernels ("score:n,d,k,'type',reps" checks gmm_point_logpdf).  Without arguments it runs the benchmark's shapes and a
# few odd ones, single- and two-threaded.

set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
mkdir -p "$BENCH_DIR/out"
so=/tmp/gmm_kernel_check.$$.so
trap 'rm -f "$so"' EXIT

gcc -O3 -fPIC -shared -Wall -Wextra -I "$REPO/src" -isystem "$($PG_CONFIG --includedir-server)" \
	"$BENCH_DIR/kernel_check.c" "$REPO"/src/kernel/*.o -o "$so" -llapacke -lopenblas -lm
chmod 755 "$so"

cases=("$@")
if [ ${#cases[@]} = 0 ]; then
	for t in 1 2; do
		cases+=("1000000,2,3,'full',$t,3" "1000000,8,5,'full',$t,3" "100000,64,10,'full',$t,3"
			"200000,32,8,'diag',$t,3" "100000,5,4,'tied',$t,3" "100000,7,3,'spherical',$t,3"
			"1000,1,2,'full',$t,3" "33,3,2,'full',$t,3" "31,4,3,'full',$t,3" "20,6,2,'diag',$t,3")
	done
	cases+=("score:1000000,8,5,'full',3" "score:1000000,2,3,'full',3" "score:100000,64,10,'full',3"
		"score:200000,32,8,'diag',3" "score:100000,40,3,'tied',3" "score:100000,5,9,'spherical',3")
fi
args=()
for c in "${cases[@]}"; do
	case $c in
	score:*) args+=(-c "SELECT pg_temp.gmm_score_check(${c#score:})") ;;
	*) args+=(-c "SELECT pg_temp.gmm_kernel_check($c)") ;;
	esac
done
psql -X -q -At -c "CREATE OR REPLACE FUNCTION pg_temp.gmm_kernel_check(int, int, int, text, int, int)
	RETURNS text AS '$so' LANGUAGE C STRICT" \
	-c "CREATE OR REPLACE FUNCTION pg_temp.gmm_score_check(int, int, int, text, int)
	RETURNS text AS '$so' LANGUAGE C STRICT" \
	"${args[@]}"
