#!/usr/bin/env bash
#
# test/build_citus.sh: build Citus once per machine into a cache directory
# and copy it into the PostgreSQL installation the test servers use.
#
#   bash test/build_citus.sh build            # build (or reuse) the cache; prints its dir
#   bash test/build_citus.sh install BINDIR   # build if needed, then copy citus into the
#                                             # installation of BINDIR (e.g. $PGBIN)
#
# Source:  $GMM_CITUS_SRC, else $GMM_REPO/../shared/vendor/citus-13.2.2.tar.gz
# Cache:   $GMM_CITUS_CACHE, else /var/cache/gmm-test/citus-13.2.2-pg15 (root) or
#          ${XDG_CACHE_HOME:-$HOME/.cache}/gmm-test/citus-13.2.2-pg15 (other users)
#
# The build runs in a scratch dir next to the cache and is renamed into place
# only when `make install DESTDIR=<tmp>/stage` has finished and the staged
# files are checked (citus.so and citus.control present): a killed build
# never looks complete.  A lock (flock on <cache>.lock) serialises concurrent
# callers; the second one waits and reuses the first one's result.
#
# Exit status: 0 done; 3 the Citus source is absent (message on stdout
# starting "SKIPPED:"); 1 anything else failed (build log on stderr).
# As root, missing build packages (see ../shared/vendor/README.md) are
# installed with apt-get unless GMM_SKIP_DEPS=1.

set -u
TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GMM_REPO=${GMM_REPO:-$(cd "$TEST_DIR/.." && pwd)}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
CITUS_VERSION=13.2.2
PGMAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
SRC=${GMM_CITUS_SRC:-$GMM_REPO/../shared/vendor/citus-$CITUS_VERSION.tar.gz}
if [ -n "${GMM_CITUS_CACHE:-}" ]; then
	CACHE=$GMM_CITUS_CACHE
elif [ "$(id -u)" = 0 ]; then
	CACHE=/var/cache/gmm-test/citus-$CITUS_VERSION-pg$PGMAJOR
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/gmm-test/citus-$CITUS_VERSION-pg$PGMAJOR
fi
CITUS_DEPS="libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev"

log() { echo "[citus] $*" >&2; }

# the cache is complete when the marker written last is there
cache_complete() {
	[ -f "$CACHE/COMPLETE" ] && [ -d "$CACHE/stage" ]
}

install_build_deps() {
	local missing=() p
	[ "${GMM_SKIP_DEPS:-0}" = 1 ] && return 0
	for p in $CITUS_DEPS; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
	done
	[ "${#missing[@]}" = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		log "missing build packages (need root to install): ${missing[*]}"
		return 1
	fi
	log "installing build packages: ${missing[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# build into a scratch dir beside the cache, then rename it into place
build_cache() {
	local tmp rc
	install_build_deps || return 1
	tmp=$(mktemp -d "$CACHE.build.XXXXXX") || return 1
	log "building Citus $CITUS_VERSION from $SRC in $tmp (a few minutes, once per machine)"
	(
		set -e
		cd "$tmp"
		tar xzf "$SRC"
		cd "citus-$CITUS_VERSION"
		./configure --without-libcurl PG_CONFIG="$PG_CONFIG" >"$tmp/configure.log" 2>&1
		make -j"$(nproc 2>/dev/null || echo 2)" >"$tmp/make.log" 2>&1
		make install DESTDIR="$tmp/stage" >"$tmp/install.log" 2>&1
	)
	rc=$?
	if [ "$rc" != 0 ]; then
		log "build failed; tail of the logs in $tmp:"
		tail -n 30 "$tmp"/*.log >&2
		rm -rf "$tmp"
		return 1
	fi
	if [ ! -f "$tmp/stage$("$PG_CONFIG" --pkglibdir)/citus.so" ] ||
		[ ! -f "$tmp/stage$("$PG_CONFIG" --sharedir)/extension/citus.control" ]; then
		log "build finished but the staged files are incomplete"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp/citus-$CITUS_VERSION"
	printf '%s\n' "citus $CITUS_VERSION" "source $SRC" "pg_config $PG_CONFIG" \
		"pkglibdir $("$PG_CONFIG" --pkglibdir)" "sharedir $("$PG_CONFIG" --sharedir)" >"$tmp/BUILDINFO"
	touch "$tmp/COMPLETE"
	chmod 755 "$tmp"
	rm -rf "$CACHE"
	mv "$tmp" "$CACHE"
	log "Citus staged in $CACHE/stage"
}

ensure_cache() {
	if [ ! -f "$SRC" ]; then
		echo "SKIPPED: Citus source not found at $SRC (set GMM_CITUS_SRC to citus-$CITUS_VERSION.tar.gz)"
		return 3
	fi
	cache_complete && return 0
	mkdir -p "$(dirname "$CACHE")" || return 1
	exec 9>"$CACHE.lock" || return 1
	flock 9 || return 1
	# another caller may have finished it while we waited
	cache_complete || build_cache
	local rc=$?
	flock -u 9
	exec 9>&-
	return $rc
}

# copy the staged lib and share files into the installation of $1 (a bin dir)
install_into() {
	local bindir=$1 libsrc sharesrc libdst sharedst
	libsrc=$CACHE/stage$(sed -n 's/^pkglibdir //p' "$CACHE/BUILDINFO")
	sharesrc=$CACHE/stage$(sed -n 's/^sharedir //p' "$CACHE/BUILDINFO")
	libdst=$("$bindir/pg_config" --pkglibdir) || return 1
	sharedst=$("$bindir/pg_config" --sharedir) || return 1
	if [ -f "$libdst/citus.so" ] && cmp -s "$libsrc/citus.so" "$libdst/citus.so" &&
		[ -f "$sharedst/extension/citus.control" ]; then
		return 0
	fi
	log "installing Citus into $libdst and $sharedst/extension"
	cp -a "$libsrc"/. "$libdst"/ && cp -a "$sharesrc/extension"/. "$sharedst/extension"/
}

case ${1:-} in
build)
	ensure_cache || exit $?
	echo "$CACHE"
	;;
install)
	[ -n "${2:-}" ] || { echo "usage: $0 install BINDIR" >&2; exit 2; }
	ensure_cache || exit $?
	install_into "$2" || exit 1
	;;
*)
	sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
