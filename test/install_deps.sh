#!/usr/bin/env bash
# test/install_deps.sh: install the Debian packages gmm's build and tests need
# (PostgreSQL 15 server and headers, LAPACKE/OpenBLAS, make, gcc, and the
# Python packages of the cross-checks); does nothing when all are installed.
# Needs root only when something is missing.  GMM_SKIP_DEPS=1: do nothing.
#   bash test/install_deps.sh [--no-python]
# (Citus's build packages are installed by test/build_citus.sh when needed.)
set -u
# shellcheck source=test/lib/pgcluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pgcluster.sh"
if [ "${1:-}" = --no-python ]; then
	gmm_install_deps
else
	gmm_install_deps python
fi
