#!/usr/bin/env bash
#
# test/demo.sh: THE demo command of gmm.
#
#   bash test/demo.sh
#
# Installs the build dependencies (unless GMM_SKIP_DEPS=1), builds and
# installs gmm into the system PostgreSQL 15, starts a throwaway cluster in
# /tmp and runs test/demo.sql in psql, echoing every statement with its
# result.  The cluster is stopped and removed at exit.

set -u

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GMM_REPO=$(cd "$TEST_DIR/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
# shellcheck source=test/lib/pgcluster.sh
source "$TEST_DIR/lib/pgcluster.sh"

gmm_install_deps || { echo "demo: installing dependencies failed" >&2; exit 1; }
echo "== building and installing gmm ($GMM_REPO)" >&2
gmm_build_install || { echo "demo: BUILD FAILED" >&2; exit 1; }
gmm_cluster_start || { echo "demo: the cluster did not start" >&2; exit 1; }

echo "== psql session (test/demo.sql)" >&2
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -a -P pager=off -f "$TEST_DIR/demo.sql"
rc=$?
[ "$rc" = 0 ] || echo "demo: psql failed (exit status $rc)" >&2
exit "$rc"
