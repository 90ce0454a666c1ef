#!/usr/bin/env bash
#
# bench/run.sh: THE benchmark command of gmm (not part of the test command).
#
#   bash bench/run.sh [--quick] [--reps N] [--iters N]
#                     [--cases F1,F2,F3,F4,F5,F6,S1,T1,M1,M5,SP,MS,VB]
#
# 1. installs what it needs from Debian (build dependencies, scikit-learn,
#    matplotlib, threadpoolctl, Armadillo and g++), unless GMM_SKIP_DEPS=1;
# 2. builds and installs gmm (system PostgreSQL 15) and starts a throwaway
#    cluster, stopped and removed at exit -- or, with GMM_USE_CLUSTER=1, uses
#    the server the PG* variables point at (gmm already installed there);
# 3. runs bench/bench.py: generates the datasets inside the cluster, exports
#    them to numpy and to raw files, runs gmm (with gmm.threads = 1 and with
#    the default, both printed on every fit line), scikit-learn and the
#    Armadillo driver (bench/arma_gmm.cpp, built into bench/out), measures
#    the machine's read bandwidth and dgemm GFLOP/s (bench/machine.c) for
#    F4-F6, and prints one line per case with medians, ratios, rows/s and
#    the load of the machine; writes bench/out/results.csv, table.md and
#    ratios.png.  SP, MS and VB run bench/spill.py, bench/missing.py and
#    bench/bayes.py (spilling, incomplete rows, variational fits).
#
# GMM_SKIP_DEPS=1 skips apt; GMM_SKIP_BUILD=1 skips the build and install (the
# throwaway cluster then runs the PostgreSQL in PGBIN with whatever gmm it has).
#
# --quick: a tenth of the rows, 3 iterations, 1 run (a smoke test, about a
# minute once the tables exist).  The default (3 runs, 10 iterations; fewer
# for F5 and F6) takes 10-15 minutes on 2 quiet cores.  Timings are only
# meaningful on a quiet machine: every case line prints the load average
# and how many other processes were running.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GMM_REPO=$(cd "$BENCH_DIR/.." && pwd)
export GMM_REPO
# shellcheck source=test/lib/pgcluster.sh
source "$GMM_REPO/test/lib/pgcluster.sh"

BENCH_DEPS="libarmadillo-dev g++ python3-matplotlib python3-threadpoolctl"

if [ "${GMM_USE_CLUSTER:-0}" != 1 ]; then
	gmm_install_deps python
	# shellcheck disable=SC2086
	if [ "${GMM_SKIP_DEPS:-0}" != 1 ] && ! _gmm_pkgs_installed $BENCH_DEPS; then
		echo "[bench] installing $BENCH_DEPS" >&2
		apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BENCH_DEPS >/dev/null
	fi
	if [ "${GMM_SKIP_BUILD:-0}" != 1 ]; then
		gmm_build_install
	fi
	gmm_cluster_start "${GMM_PGPORT:-54339}"
	# the datasets (about 1.2 GB) stay in memory
	psql -X -q -c "ALTER SYSTEM SET shared_buffers = '1GB'" >/dev/null
	gmm_as_pg "$PGBIN/pg_ctl" -D "$GMM_CLUSTER_DIR/data" -w restart -m fast >/dev/null
fi

mkdir -p "$BENCH_DIR/out"
/usr/bin/python3 "$BENCH_DIR/bench.py" "$@"
