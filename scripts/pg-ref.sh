#!/usr/bin/env bash
# pg-ref.sh -- start and stop a reference PostgreSQL 15 server for tests and
# benchmarks.  The integration tests run every check against this server too,
# to prove that what they expect is PostgreSQL's behaviour.
#
#   scripts/pg-ref.sh start DIR PORT [postgresql.conf lines...]
#   scripts/pg-ref.sh stop DIR
#   scripts/pg-ref.sh status DIR        exit 0 when running
#   scripts/pg-ref.sh psql DIR [psql args...]   connect over the socket as postgres
#
# DIR holds everything: DIR/data (PGDATA), the unix socket, DIR/postgres.log
# and DIR/initdb.log.  The server listens on 127.0.0.1:PORT and in DIR.
# initdb runs once per DIR (UTF8, locale C.UTF-8, TimeZone Etc/UTC, DateStyle
# "ISO, MDY", lc_messages C); `start` on a running server does nothing, `stop`
# on a stopped one does nothing.  Run as root, every server command runs as
# the OS user postgres (runuser) and DIR is handed to that user.
#
# Authentication: unix socket and loopback TCP are trust by default, and a
# superuser role "root" is created besides "postgres" so that tests can use the
# same user name against pgkv and PostgreSQL.  Environment, read by `start`
# the first time it initialises DIR:
#   PGREF_HBA        file of pg_hba.conf lines for TCP; replaces the loopback
#                    trust rules (the unix socket stays trust)
#   PGREF_CERTS_DIR  directory with ca.crt, node.crt, node.key: turns ssl on
#   PGREF_INIT_SQL   SQL file run as postgres after the first start
#   PGREF_BIN        PostgreSQL bin directory (default /usr/lib/postgresql/15/bin)
set -euo pipefail

PGBIN=${PGREF_BIN:-/usr/lib/postgresql/15/bin}

die() { echo "pg-ref: $*" >&2; exit 1; }

usage() {
	sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# as_pg CMD...: run CMD as the OS user that owns the cluster.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

is_running() {
	[ -f "$1/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

do_init() {
	local dir=$1 port=$2
	shift 2
	[ -x "$PGBIN/initdb" ] || die "no initdb in $PGBIN (install postgresql-15)"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs the OS user postgres"
		chown postgres: "$dir"
	fi
	if ! as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	fi
	local conf="$dir/data/postgresql.conf"
	{
		echo "# --- pg-ref.sh ---"
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "timezone = 'Etc/UTC'"
		echo "log_timezone = 'Etc/UTC'"
		echo "datestyle = 'iso, mdy'"
		echo "lc_messages = 'C'"
		echo "max_connections = 100"
		echo "logging_collector = off"
		echo "log_min_messages = warning"
	} >>"$conf"
	if [ -n "${PGREF_CERTS_DIR:-}" ]; then
		local f
		mkdir -p "$dir/tls"
		for f in ca.crt node.crt node.key; do
			[ -f "$PGREF_CERTS_DIR/$f" ] || die "missing $PGREF_CERTS_DIR/$f"
			cp "$PGREF_CERTS_DIR/$f" "$dir/tls/$f"
		done
		chmod 600 "$dir/tls/node.key"
		[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir/tls"
		{
			echo "ssl = on"
			echo "ssl_cert_file = '$dir/tls/node.crt'"
			echo "ssl_key_file = '$dir/tls/node.key'"
			echo "ssl_ca_file = '$dir/tls/ca.crt'"
		} >>"$conf"
	fi
	local line
	for line in "$@"; do
		echo "$line" >>"$conf"
	done
	local hba="$dir/data/pg_hba.conf"
	{
		echo "# --- pg-ref.sh ---"
		echo "local all all trust"
		if [ -n "${PGREF_HBA:-}" ]; then
			cat "$PGREF_HBA"
		else
			echo "host all all 127.0.0.1/32 trust"
			echo "host all all ::1/128 trust"
		fi
	} >"$hba.new"
	mv "$hba.new" "$hba"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$conf" "$hba"
	touch "$dir/.need-init-sql"
}

do_start() {
	[ $# -ge 2 ] || usage
	local dir port
	dir=$(cd "$1" 2>/dev/null && pwd) || die "no directory $1"
	port=$2
	shift 2
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		do_init "$dir" "$port" "$@"
	fi
	if is_running "$dir"; then
		return 0
	fi
	if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		start >"$dir/pg_ctl.log" 2>&1; then
		cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null || true
		die "pg_ctl start failed"
	fi
	if [ -f "$dir/.need-init-sql" ]; then
		local q="CREATE ROLE root SUPERUSER LOGIN;"
		as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
			-d postgres -c "$q" >/dev/null
		if [ -n "${PGREF_INIT_SQL:-}" ]; then
			# Read the file as the caller: it may not be readable by postgres.
			as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
				-d postgres -f - <"$PGREF_INIT_SQL" >/dev/null
		fi
		rm -f "$dir/.need-init-sql"
	fi
}

do_stop() {
	[ $# -ge 1 ] || usage
	local dir=$1
	[ -f "$dir/data/PG_VERSION" ] || return 0
	if is_running "$dir"; then
		as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
}

do_psql() {
	[ $# -ge 1 ] || usage
	local dir=$1 port
	shift
	port=$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -1)
	as_pg "$PGBIN/psql" -X -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
start) do_start "$@" ;;
stop) do_stop "$@" ;;
status) is_running "${1:?DIR}" ;;
psql) do_psql "$@" ;;
*) usage ;;
esac
