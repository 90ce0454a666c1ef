#!/usr/bin/env bash
# test/build.sh: build gmm from clean and install it (PGXS): make clean, make,
# make install.  Options go to make, e.g.
#   bash test/build.sh DESTDIR=/tmp/stage GMM_OPT=-O2 BLAS_LIBS="-llapacke -lblas"
# PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config) selects the server.
# Without DESTDIR this writes into PostgreSQL's directories (root, usually).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s clean PG_CONFIG="$PG_CONFIG" "$@" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" "$@"
make -s install PG_CONFIG="$PG_CONFIG" "$@" >/dev/null
echo "gmm built and installed (PG_CONFIG=$PG_CONFIG${*:+, $*})"
