# shellcheck shell=bash
# tests/integration/lib.sh -- shell harness for the integration scripts.
# Source it from bash; it starts the server under test and stops it at exit.
#
#   it_start [extra pgkv start flags...]
#       PGKV_TARGET=pgkv (default): start $PGKV_BIN on free loopback ports with
#       a temporary store and wait (20 s at most) for /health?ready=1 or the
#       SQL port (IT_HTTP_PORT: its status port); PGKV_TARGET=postgres: start PostgreSQL 15 with
#       scripts/pg-ref.sh.  Sets IT_HOST IT_PORT IT_USER IT_DB IT_DIR IT_LOG
#       and traps EXIT to stop the server and remove IT_DIR (kept when
#       PGKV_IT_KEEP=1).
#   it_stop             stop it now (idempotent)
#   it_psql ARGS...     psql -X against the server as IT_USER on IT_DB
#   it_free_port        print a free TCP port on 127.0.0.1
#   it_ok STATUS MESSAGE / it_check MESSAGE CMD... / it_summary
#                       tiny reporting: count, print "ok"/"not ok", and at
#                       the end "N passed, N failed" (returns 1 on failure)
#
# Inputs: PGKV_BIN, PGKV_SRC (default: this file's ../..), PGKV_TARGET,
# PGKV_IT_USER (root), PGKV_IT_DB (postgres).

IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PGKV_SRC=${PGKV_SRC:-$(cd "$IT_LIB_DIR/../.." && pwd)}
PGKV_BIN=${PGKV_BIN:-$PGKV_SRC/build/pgkv}
PGKV_TARGET=${PGKV_TARGET:-pgkv}
IT_HOST=127.0.0.1
IT_USER=${PGKV_IT_USER:-root}
IT_DB=${PGKV_IT_DB:-postgres}
IT_PASS=0
IT_FAIL=0
IT_PID=
IT_DIR=
IT_RUNNING=0

# Keep the caller's libpq environment out of the tests.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS \
	PGAPPNAME PGSSLMODE PGTZ PGDATESTYLE PGCLIENTENCODING PGCONNECT_TIMEOUT
export PGPASSFILE=/nonexistent/pgpass PSQLRC=/nonexistent/psqlrc

it_free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# _it_http_ready PORT: 0 when /health?ready=1 answers 200, 1 otherwise,
# 2 when nothing listens.
_it_http_ready() {
	local code
	if command -v curl >/dev/null 2>&1; then
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
			"http://127.0.0.1:$1/health?ready=1" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		[ "$code" = 000 ] && return 2
		return 1
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 2
	local line
	line=$(exec 3<>"/dev/tcp/127.0.0.1/$1" &&
		printf 'GET /health?ready=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
		timeout 1 head -n1 <&3) 2>/dev/null || true
	case "$line" in "HTTP/1."?" 200"*) return 0 ;; esac
	return 1
}

# _it_sql_ready PORT: the SQL port answers a startup with anything but
# "starting up" (pg_isready semantics); a bare TCP accept without pg_isready.
_it_sql_ready() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h 127.0.0.1 -p "$1" -U "$IT_USER" -d "$IT_DB" -t 1 >/dev/null 2>&1
		return
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

it_start() {
	IT_DIR=$(mktemp -d /tmp/pgkv-it-sh-XXXXXX)
	chmod 711 "$IT_DIR"
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
	IT_PORT=$(it_free_port)
	if [ "$PGKV_TARGET" = postgres ]; then
		mkdir -p "$IT_DIR/pg"
		IT_LOG=$IT_DIR/pg/postgres.log
		if ! bash "$PGKV_SRC/scripts/pg-ref.sh" start "$IT_DIR/pg" "$IT_PORT" >"$IT_DIR/pg-ref.out" 2>&1; then
			cat "$IT_DIR/pg-ref.out" >&2
			echo "lib.sh: could not start PostgreSQL" >&2
			exit 1
		fi
		IT_RUNNING=1
		return 0
	fi
	if [ ! -x "$PGKV_BIN" ]; then
		echo "lib.sh: pgkv binary $PGKV_BIN is not executable (set PGKV_BIN, or PGKV_TARGET=postgres)" >&2
		exit 1
	fi
	local http
	http=$(it_free_port)
	while [ "$http" = "$IT_PORT" ]; do http=$(it_free_port); done
	IT_HTTP_PORT=$http
	IT_LOG=$IT_DIR/pgkv.log
	# shellcheck disable=SC2086
	"$PGKV_BIN" start --listen "127.0.0.1:$IT_PORT" --http "127.0.0.1:$http" \
		--store "embedded:$IT_DIR/store" --drain-wait 0 "$@" ${PGKV_IT_EXTRA_ARGS:-} \
		</dev/null >"$IT_LOG" 2>&1 &
	IT_PID=$!
	IT_RUNNING=1
	local deadline=$((SECONDS + 20)) rc
	while :; do
		if ! kill -0 "$IT_PID" 2>/dev/null; then
			echo "lib.sh: pgkv exited during start-up; log:" >&2
			cat "$IT_LOG" >&2
			IT_RUNNING=0
			exit 1
		fi
		rc=0
		_it_http_ready "$http" || rc=$?
		if [ $rc -eq 0 ]; then break; fi
		if [ $rc -eq 2 ] && _it_sql_ready "$IT_PORT"; then break; fi
		if [ $SECONDS -ge $deadline ]; then
			echo "lib.sh: pgkv not ready within 20 s; log:" >&2
			cat "$IT_LOG" >&2
			exit 1
		fi
		sleep 0.1
	done
}

it_stop() {
	[ "$IT_RUNNING" = 1 ] || return 0
	if [ "$PGKV_TARGET" = postgres ]; then
		bash "$PGKV_SRC/scripts/pg-ref.sh" stop "$IT_DIR/pg" >/dev/null 2>&1 || true
	elif [ -n "$IT_PID" ]; then
		kill -TERM "$IT_PID" 2>/dev/null || true
		local _
		for _ in $(seq 1 100); do
			kill -0 "$IT_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$IT_PID" 2>/dev/null; then
			echo "lib.sh: pgkv ignored SIGTERM for 10 s, sending SIGKILL" >&2
			kill -KILL "$IT_PID" 2>/dev/null || true
		fi
		wait "$IT_PID" 2>/dev/null || true
	fi
	IT_RUNNING=0
}

it_cleanup() {
	local rc=$?
	it_stop
	if [ $rc -ne 0 ] && [ -n "${IT_LOG:-}" ] && [ -f "$IT_LOG" ]; then
		echo "---- server log $IT_LOG ----" >&2
		tail -c 48000 "$IT_LOG" >&2
		echo "---- end of server log ----" >&2
	fi
	if [ -n "$IT_DIR" ]; then
		if [ -n "${PGKV_IT_KEEP:-}" ]; then
			echo "# kept $IT_DIR"
		else
			rm -rf "$IT_DIR"
		fi
	fi
	exit $rc
}

it_psql() {
	psql -X -h "$IT_HOST" -p "$IT_PORT" -U "$IT_USER" -d "$IT_DB" "$@"
}

# it_ok STATUS MESSAGE: STATUS 0 is a pass.
it_ok() {
	if [ "$1" -eq 0 ]; then
		IT_PASS=$((IT_PASS + 1))
		echo "ok - $2"
	else
		IT_FAIL=$((IT_FAIL + 1))
		echo "not ok - $2"
	fi
}

# it_check MESSAGE CMD...: run CMD (safe under set -e) and record the result.
it_check() {
	local msg=$1
	shift
	if "$@"; then it_ok 0 "$msg"; else it_ok 1 "$msg"; fi
}

it_summary() {
	echo "$IT_PASS passed, $IT_FAIL failed (target $PGKV_TARGET)"
	[ "$IT_FAIL" -eq 0 ] && [ "$IT_PASS" -gt 0 ]
}
