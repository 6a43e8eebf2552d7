# bench/lib.sh -- what every benchmark script shares: finding pgbench, a
# temporary work directory cleaned up on exit, free ports, and starting a
# PostgreSQL 15 reference server (scripts/pg-ref.sh) and pgkv side by side.
#
# Sourced by bench/*.sh after they set SRC (the repository root), TARGETS
# and PGKV_BIN.  Defines: PGBENCH, WORK, free_port, wants TARGET,
# start_postgres (PG_PORT, PG_STATUS), start_pgkv (PGKV_PORT, PGKV_HTTP,
# PGKV_PID, PGKV_STATUS; extra flags from PGKV_ARGS), and the EXIT trap that
# stops both servers (BENCH_KEEP=1 keeps WORK for its logs).
# shellcheck shell=bash

if [ -z "${PGBENCH:-}" ]; then
	if [ -x /usr/lib/postgresql/15/bin/pgbench ]; then
		PGBENCH=/usr/lib/postgresql/15/bin/pgbench
	else
		PGBENCH=$(command -v pgbench || true)
	fi
fi
if [ -z "$PGBENCH" ] || [ ! -x "$PGBENCH" ]; then
	echo "bench: pgbench not found (install postgresql-15)" >&2
	exit 1
fi

unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGOPTIONS PGSSLMODE PGTZ
export PGPASSFILE=/nonexistent/pgpass

WORK=$(mktemp -d /tmp/pgkv-bench-XXXXXX)
chmod 711 "$WORK"
PG_RUNNING=0
PGKV_PID=
PGKV_STATUS="not requested"
PG_STATUS="not requested"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# shellcheck disable=SC2317  # called through trap
cleanup() {
	if [ -n "$PGKV_PID" ]; then
		kill -TERM "$PGKV_PID" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$PGKV_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PGKV_PID" 2>/dev/null
		wait "$PGKV_PID" 2>/dev/null
	fi
	if [ "$PG_RUNNING" = 1 ]; then
		bash "$SRC/scripts/pg-ref.sh" stop "$WORK/pg" >/dev/null 2>&1
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then echo "# logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wants() { case " $TARGETS " in *" $1 "*) return 0 ;; esac; return 1; }

start_postgres() {
	PG_PORT=$(free_port)
	mkdir -p "$WORK/pg"
	if bash "$SRC/scripts/pg-ref.sh" start "$WORK/pg" "$PG_PORT" >"$WORK/pg-ref.out" 2>&1; then
		PG_RUNNING=1
		PG_STATUS=ok
	else
		PG_STATUS="start failed (see $WORK/pg-ref.out)"
		cat "$WORK/pg-ref.out" >&2
	fi
}

start_pgkv() {
	if [ ! -x "$PGKV_BIN" ]; then
		PGKV_STATUS="no binary at $PGKV_BIN"
		return
	fi
	PGKV_PORT=$(free_port)
	local http
	http=$(free_port)
	PGKV_HTTP=$http
	# shellcheck disable=SC2086
	"$PGKV_BIN" start --listen "127.0.0.1:$PGKV_PORT" --http "127.0.0.1:$http" \
		--store "embedded:$WORK/pgkv-store" ${PGKV_ARGS:-} </dev/null >"$WORK/pgkv.log" 2>&1 &
	PGKV_PID=$!
	local deadline=$((SECONDS + 20)) code
	while :; do
		if ! kill -0 "$PGKV_PID" 2>/dev/null; then
			PGKV_PID=
			PGKV_STATUS="exited at start-up (log: $WORK/pgkv.log)"
			return
		fi
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$http/health?ready=1" 2>/dev/null) || true
		[ "$code" = 200 ] && break
		# no status port: ready when the SQL port answers (pg_isready semantics)
		if [ "$code" = 000 ] && pg_isready -q -h 127.0.0.1 -p "$PGKV_PORT" -U root -d postgres -t 1 >/dev/null 2>&1; then break; fi
		if [ $SECONDS -ge $deadline ]; then
			PGKV_STATUS="not ready within 20 s (log: $WORK/pgkv.log)"
			return
		fi
		sleep 0.1
	done
	PGKV_STATUS=ok
}

