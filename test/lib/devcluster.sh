# shellcheck shell=bash
#
# test/lib/devcluster.sh: a private PostgreSQL 15 for one developer (one git
# worktree), so that parallel work never overwrites another's gmm.so in the
# system /usr/lib/postgresql/15/lib.
#
# Usage, from the top of a worktree (source it: it sets up your shell):
#
#     source test/lib/devcluster.sh NAME PORT      # e.g. NAME=fit PORT=55410
#     gmm_dev_install        # make + make install DESTDIR=/tmp/pgdev-NAME
#     psql                   # PG* point at your cluster; new connections load
#                            # the freshly installed gmm.so (an open session
#                            # keeps the library it already loaded)
#     gmm_dev_check          # make installcheck against your cluster
#     gmm_dev_test [args]    # test/run_tests.sh against your cluster: regress
#                            # + test/checks/check_* scripts, no apt/build/throwaway
#                            # cluster (args: --regress-only | --checks-only)
#     gmm_dev_stop           # stop the server (data kept; sourcing again
#                            # restarts it); gmm_dev_destroy removes it all
#
# How: the first time, /usr/lib/postgresql/15 and /usr/share/postgresql/15
# are copied to /tmp/pgdev-NAME/usr/lib/postgresql/15 and
# /tmp/pgdev-NAME/usr/share/postgresql/15 (about 50 MB; any gmm files in the
# copy are removed).  PostgreSQL binaries find their lib and share dirs
# relative to their own location, so a server started from the copy loads
# extensions from the copy, and `make install DESTDIR=/tmp/pgdev-NAME` (with
# the system pg_config) puts gmm.so, gmm.control and the SQL script exactly
# there.  Check with: psql -c "SELECT name, setting FROM pg_config WHERE name
# IN ('PKGLIBDIR','SHAREDIR')".
#
# The cluster (data in /tmp/pgdev-NAME/data, socket in /tmp/pgdev-NAME/sock,
# no TCP, log in /tmp/pgdev-NAME/server.log) runs as "postgres" (runuser)
# when you are root.  It is started if not running, reused if it is, and NOT
# stopped when your shell exits.  Exports PGHOST PGPORT PGUSER PGDATABASE,
# PGBIN (the copy's bin: servers a check starts load your build too),
# PG_CONFIG (the system pg_config, for building) and GMM_DEV_DIR/GMM_DEV_REPO.

_gmm_dev_main() {
	local name=${1:-} port=${2:-} ver=15 dir repo tmp running_port
	if [ -z "$name" ] || [ -z "$port" ]; then
		echo "usage: source test/lib/devcluster.sh NAME PORT" >&2
		return 2
	fi
	case $name in
	*[!A-Za-z0-9_.-]*)
		echo "devcluster: NAME must be made of letters, digits, '.', '_', '-'" >&2
		return 2
		;;
	esac
	case $port in
	'' | *[!0-9]*)
		echo "devcluster: PORT must be a number" >&2
		return 2
		;;
	esac

	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	dir=/tmp/pgdev-$name

	# 1. the private copy of the installation (once)
	if [ ! -x "$dir/usr/lib/postgresql/$ver/bin/postgres" ]; then
		echo "devcluster: copying PostgreSQL $ver to $dir/usr" >&2
		mkdir -p "$dir" && chmod 755 "$dir" || return 1
		tmp=$dir/usr.tmp.$$
		rm -rf "$tmp" "${dir:?}/usr"
		mkdir -p "$tmp/lib/postgresql" "$tmp/share/postgresql" &&
			cp -a "/usr/lib/postgresql/$ver" "$tmp/lib/postgresql/" &&
			cp -a "/usr/share/postgresql/$ver" "$tmp/share/postgresql/" || {
			rm -rf "$tmp"
			return 1
		}
		# start without gmm: only what gmm_dev_install puts there counts
		rm -rf "$tmp/lib/postgresql/$ver/lib/gmm.so" \
			"$tmp/lib/postgresql/$ver/lib/bitcode/gmm" \
			"$tmp/lib/postgresql/$ver/lib/bitcode/gmm.index.bc" \
			"$tmp/share/postgresql/$ver/extension"/gmm.control \
			"$tmp/share/postgresql/$ver/extension"/gmm--*.sql
		chmod 755 "$tmp" && mv "$tmp" "$dir/usr" || return 1
	fi

	GMM_DEV_NAME=$name
	GMM_DEV_DIR=$dir
	GMM_DEV_REPO=$repo
	PGBIN=$dir/usr/lib/postgresql/$ver/bin
	PG_CONFIG=/usr/lib/postgresql/$ver/bin/pg_config
	export GMM_DEV_NAME GMM_DEV_DIR GMM_DEV_REPO PGBIN PG_CONFIG

	# sanity: the copy must resolve its own lib dir (relocation)
	if [ "$("$PGBIN/pg_config" --pkglibdir)" != "$dir/usr/lib/postgresql/$ver/lib" ]; then
		echo "devcluster: relocation failed: $PGBIN/pg_config --pkglibdir = $("$PGBIN/pg_config" --pkglibdir)" >&2
		return 1
	fi

	# 2. the cluster
	mkdir -p "$dir/sock" || return 1
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir/sock"
		[ -d "$dir/data" ] || { mkdir -m 700 "$dir/data" && chown postgres: "$dir/data"; }
		[ -e "$dir/server.log" ] || { touch "$dir/server.log" && chown postgres: "$dir/server.log"; }
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		_gmm_dev_as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres \
			--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
			echo "devcluster: initdb failed:" >&2
			cat "$dir/initdb.log" >&2
			return 1
		}
	fi
	if _gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		running_port=$(sed -n 4p "$dir/data/postmaster.pid")
		if [ -n "$running_port" ] && [ "$running_port" != "$port" ]; then
			echo "devcluster: $name already runs on port $running_port (not $port); using it" >&2
			port=$running_port
		fi
	else
		_gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port -k $dir/sock -c listen_addresses='' -c max_parallel_workers_per_gather=2 -c fsync=off" \
			start >/dev/null || {
			echo "devcluster: server failed to start; tail of $dir/server.log:" >&2
			tail -n 30 "$dir/server.log" >&2
			return 1
		}
	fi
	export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	echo "devcluster: $name ready: PGHOST=$PGHOST PGPORT=$PGPORT, repo $repo" >&2
	echo "devcluster: gmm_dev_install | gmm_dev_check | gmm_dev_test | gmm_dev_stop" >&2
}

_gmm_dev_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Build in the worktree and install into the private copy.  Rebuilds from
# clean when a header or the Makefile is newer than gmm.so (PGXS on Debian
# does not track header dependencies).
gmm_dev_install() {
	(
		cd "$GMM_DEV_REPO" || exit 1
		if [ -f gmm.so ] && [ -n "$(find src Makefile -newer gmm.so \( -name '*.h' -o -name Makefile \) 2>/dev/null | head -n 1)" ]; then
			make -s clean PG_CONFIG="$PG_CONFIG" >/dev/null
		fi
		make -s PG_CONFIG="$PG_CONFIG" &&
			make -s install DESTDIR="$GMM_DEV_DIR" PG_CONFIG="$PG_CONFIG" >/dev/null
	) </dev/null
}

# make installcheck (pg_regress over sql/*.sql) against the dev cluster.
gmm_dev_check() {
	(cd "$GMM_DEV_REPO" && make installcheck PG_CONFIG="$PG_CONFIG" "$@")
}

# test/run_tests.sh against the dev cluster (no apt, no build, no new
# cluster): regress tests and test/checks/check_* scripts, with the summary line.
gmm_dev_test() {
	GMM_USE_CLUSTER=1 bash "$GMM_DEV_REPO/test/run_tests.sh" "$@"
}

# Stop the dev cluster (its data and the installation copy stay).
gmm_dev_stop() {
	_gmm_dev_as_pg "$PGBIN/pg_ctl" -D "$GMM_DEV_DIR/data" stop -m fast -w
}

# Stop the dev cluster and delete /tmp/pgdev-NAME entirely.
gmm_dev_destroy() {
	gmm_dev_stop >/dev/null 2>&1
	case $GMM_DEV_DIR in
	/tmp/pgdev-?*) rm -rf "$GMM_DEV_DIR" ;;
	esac
}

_gmm_dev_main "$@"
