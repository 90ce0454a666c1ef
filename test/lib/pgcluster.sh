# shellcheck shell=bash
#
# test/lib/pgcluster.sh: helpers to install build dependencies, build and install
# gmm, and run a throwaway PostgreSQL 15 cluster.  Source it, don't run it:
#
#     source test/lib/pgcluster.sh
#     gmm_install_deps [python]   # apt packages (skipped if all installed)
#     gmm_build_install            # make clean && make && make install
#     gmm_cluster_start [port]     # initdb + start in a fresh /tmp dir,
#                                  # exports PGHOST PGPORT PGUSER PGDATABASE PGBIN
#     ...                          # psql, make installcheck, checks...
#     gmm_server_start [port]      # more servers (multi-node tests): sets
#                                  # GMM_SERVER_HOST/GMM_SERVER_PORT only
#     (gmm_cluster_stop runs from an EXIT trap: stops the servers this shell
#      started and removes their dirs, even on failure or INT/TERM)
#
# PostgreSQL refuses to run as root, so when running as root the server runs
# as the "postgres" user (runuser) and everything it touches lives under /tmp:
# the repository itself may be unreadable to "postgres".  Clients (psql,
# pg_regress, the checks) keep running as the calling user.
#
# Environment:
#   GMM_REPO       repository top dir (default: the repo holding this file)
#   GMM_SKIP_DEPS  =1 makes gmm_install_deps a no-op
#   PGBIN          server binaries (default /usr/lib/postgresql/15/bin)
#   PG_CONFIG      for building (default /usr/lib/postgresql/15/bin/pg_config)
#   GMM_SERVER_OPTS  extra "-c name=value" options for the servers started

GMM_REPO=${GMM_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GMM_PGVER=${GMM_PGVER:-15}
PGBIN=${PGBIN:-/usr/lib/postgresql/$GMM_PGVER/bin}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$GMM_PGVER/bin/pg_config}
export GMM_REPO PGBIN PG_CONFIG

GMM_DEPS_BASE="postgresql-$GMM_PGVER postgresql-server-dev-$GMM_PGVER liblapacke-dev libopenblas-dev make gcc"
GMM_DEPS_PYTHON="python3-numpy python3-scipy python3-sklearn python3-psycopg2 python3-psycopg python3-matplotlib python3-mpmath"

_gmm_log() { echo "[gmm] $*" >&2; }

# Run a command as the server's user: "postgres" when we are root, else us.
gmm_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# True if every named Debian package is installed.
_gmm_pkgs_installed() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}\n' "$@" 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$st" | grep -cvx installed)" = 0 ] &&
		[ "$(printf '%s\n' "$st" | grep -cx installed)" = "$#" ]
}

# gmm_install_deps [python]: apt-get install what the build (and, with
# "python", the cross-check scripts) need; does nothing if all present.
gmm_install_deps() {
	local pkgs=$GMM_DEPS_BASE
	[ "${1:-}" = python ] && pkgs="$pkgs $GMM_DEPS_PYTHON"
	if [ "${GMM_SKIP_DEPS:-0}" = 1 ]; then
		_gmm_log "GMM_SKIP_DEPS=1: not checking packages"
		return 0
	fi
	# shellcheck disable=SC2086
	if _gmm_pkgs_installed $pkgs; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		_gmm_log "missing packages (need root to install): $pkgs"
		return 1
	fi
	_gmm_log "installing packages: $pkgs"
	apt-get update -qq || return 1
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null || return 1
}

# Python dependencies only (for scripts that need just those).
gmm_install_python_deps() {
	[ "${GMM_SKIP_DEPS:-0}" = 1 ] && return 0
	# shellcheck disable=SC2086
	_gmm_pkgs_installed $GMM_DEPS_PYTHON && return 0
	[ "$(id -u)" = 0 ] || { _gmm_log "missing python packages: $GMM_DEPS_PYTHON"; return 1; }
	apt-get update -qq || return 1
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $GMM_DEPS_PYTHON >/dev/null
}

# make clean && make && make install in $GMM_REPO (system install).
gmm_build_install() {
	(
		cd "$GMM_REPO" || exit 1
		make -s clean PG_CONFIG="$PG_CONFIG" >/dev/null &&
			make -s PG_CONFIG="$PG_CONFIG" &&
			make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
	) </dev/null
}

# _gmm_server_new PORT: initdb + start a server in a fresh /tmp/gmm-pg.* dir
# (socket and lock file in that dir, no TCP).  Sets _gmm_dir and _gmm_port;
# the dir is added to GMM_CLUSTER_DIRS so gmm_cluster_stop stops it at exit.
_gmm_server_new() {
	local port=$1 dir try
	dir=$(mktemp -d /tmp/gmm-pg.XXXXXX) || return 1
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	GMM_CLUSTER_DIRS="${GMM_CLUSTER_DIRS:-} $dir"
	_gmm_register_exit_trap

	if ! gmm_as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres \
		--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
		_gmm_log "initdb failed:"
		cat "$dir/initdb.log" >&2
		return 1
	fi
	# The socket and the lock file live in $dir, so ports of other servers
	# do not clash; still, try a few ports in case one is refused.
	for try in 0 1 2 3 4; do
		if gmm_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $((port + try)) -k $dir -c listen_addresses='' -c max_parallel_workers_per_gather=2 -c fsync=off ${GMM_SERVER_OPTS:-}" \
			start >/dev/null 2>&1; then
			_gmm_dir=$dir
			_gmm_port=$((port + try))
			PGHOST=$dir PGPORT=$_gmm_port "$PGBIN/pg_isready" -q -t 30 -U postgres -d postgres ||
				{ _gmm_log "server in $dir not ready"; return 1; }
			return 0
		fi
	done
	_gmm_log "server failed to start; log:"
	tail -n 40 "$dir/server.log" >&2
	return 1
}

# gmm_cluster_start [port]: initdb a fresh cluster in a new /tmp dir, start
# it listening on a Unix socket in that dir only (default port 54329), export
# PGHOST PGPORT PGUSER PGDATABASE PGBIN, and arrange for gmm_cluster_stop to
# run at exit (an EXIT trap, chained with any existing one).
gmm_cluster_start() {
	local _gmm_dir _gmm_port
	_gmm_server_new "${1:-${GMM_PGPORT:-54329}}" || return 1
	GMM_CLUSTER_DIR=$_gmm_dir
	export PGHOST=$_gmm_dir PGPORT=$_gmm_port PGUSER=postgres PGDATABASE=postgres PGBIN
	unset PGPASSWORD PGSERVICE PGOPTIONS PGSSLMODE PGHOSTADDR 2>/dev/null
	_gmm_log "PostgreSQL $GMM_PGVER running: PGHOST=$PGHOST PGPORT=$PGPORT (log: $PGHOST/server.log)"
}

# gmm_server_start [port]: one more throwaway server (for multi-node tests);
# sets GMM_SERVER_HOST (its socket dir) and GMM_SERVER_PORT, leaves the PG*
# variables alone; stopped at exit with the others.  Call it directly, not
# in $(...): a subshell would stop the server when it exits.
#   gmm_server_start 55001 && psql -h "$GMM_SERVER_HOST" -p "$GMM_SERVER_PORT"
gmm_server_start() {
	local _gmm_dir _gmm_port
	_gmm_server_new "${1:-55432}" || return 1
	GMM_SERVER_HOST=$_gmm_dir
	GMM_SERVER_PORT=$_gmm_port
}

# Path of the main throwaway cluster's server log.
gmm_cluster_log() { echo "${GMM_CLUSTER_DIR:+$GMM_CLUSTER_DIR/server.log}"; }

# Stop every throwaway server this shell started and remove their dirs;
# safe to call twice.
gmm_cluster_stop() {
	local dir
	for dir in ${GMM_CLUSTER_DIRS:-}; do
		if [ -f "$dir/data/postmaster.pid" ]; then
			gmm_as_pg "$PGBIN/pg_ctl" -D "$dir/data" stop -m fast -w -t 60 >/dev/null 2>&1 ||
				gmm_as_pg "$PGBIN/pg_ctl" -D "$dir/data" stop -m immediate -w >/dev/null 2>&1
		fi
		case $dir in
		/tmp/gmm-pg.*) rm -rf "$dir" ;;
		esac
	done
	GMM_CLUSTER_DIRS=
	GMM_CLUSTER_DIR=
	return 0
}

# Add gmm_cluster_stop to the EXIT trap, keeping whatever was there; make
# INT/TERM exit (so the EXIT trap runs) unless they are trapped already.
_gmm_register_exit_trap() {
	local prev=
	eval "set -- $(trap -p EXIT)"
	prev=${3:-}
	case $prev in
	*gmm_cluster_stop*) ;;
	'') trap 'gmm_cluster_stop' EXIT ;;
	*) trap "gmm_cluster_stop; $prev" EXIT ;;
	esac
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
}
