#!/usr/bin/env bash
# pgbench_select1.sh -- `select 1` throughput of pgkv next to PostgreSQL 15.
#
# Starts a PostgreSQL 15 reference server (scripts/pg-ref.sh, own data dir and
# port, default fsync/synchronous_commit) and pgkv (build/pgkv, temporary
# embedded store) side by side, runs
#   pgbench -n -f bench/select1.sql -T DURATION -c C -j C -M MODE
# for every MODE and C against each, and prints mode, clients, pgkv TPS,
# PostgreSQL TPS and the ratio pgkv/PostgreSQL.
#
# Options (environment):
#   DURATION=10          seconds per run
#   CLIENTS="1 8"        client counts
#   MODES="simple prepared"   pgbench -M modes (extended works too)
#   TARGETS="pgkv postgres"   drop one to benchmark the other alone
#   PGKV_BIN=build/pgkv  PGBENCH=/usr/lib/postgresql/15/bin/pgbench
#   PGKV_ARGS="..."      extra `pgkv start` flags
#   BENCH_KEEP=1         keep the temporary directory (logs)
# When pgkv is missing or fails, its column says why and the script still
# reports PostgreSQL; the exit status is 0 when every requested target ran.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-"1 8"}
MODES=${MODES:-"simple prepared"}
TARGETS=${TARGETS:-"pgkv postgres"}
PGKV_BIN=${PGKV_BIN:-$SRC/build/pgkv}
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

# run_pgbench PORT MODE CLIENTS LOG: print the TPS, or nothing on failure.
run_pgbench() {
	local port=$1 mode=$2 c=$3 log=$4
	if ! "$PGBENCH" -n -f "$SRC/bench/select1.sql" -T "$DURATION" -c "$c" -j "$c" -M "$mode" \
		-h 127.0.0.1 -p "$port" -U root postgres >"$log" 2>&1; then
		return 1
	fi
	sed -n 's/^tps = \([0-9]*\)\.[0-9]* (without initial connection time).*/\1/p' "$log" | head -1
}

wants postgres && start_postgres
wants pgkv && start_pgkv

echo "# pgbench select 1: ${DURATION}s per run, $(nproc) CPUs, $("$PGBENCH" --version)"
echo "# pgkv: $PGKV_STATUS"
echo "# postgres: $PG_STATUS"
printf '%-9s %7s %14s %16s %12s\n' mode clients "pgkv TPS" "PostgreSQL TPS" "pgkv/PG"
failed=0
for mode in $MODES; do
	for c in $CLIENTS; do
		kv="n/a" pg="n/a" ratio="n/a"
		if [ "$PGKV_STATUS" = ok ]; then
			kv=$(run_pgbench "$PGKV_PORT" "$mode" "$c" "$WORK/pgkv-$mode-$c.log") || kv=""
			if [ -z "$kv" ]; then
				kv="error"
				failed=1
				echo "# pgkv $mode c=$c failed: $(tail -n 3 "$WORK/pgkv-$mode-$c.log" | tr '\n' ' ')" >&2
			fi
		fi
		if [ "$PG_RUNNING" = 1 ]; then
			pg=$(run_pgbench "$PG_PORT" "$mode" "$c" "$WORK/pg-$mode-$c.log") || pg=""
			if [ -z "$pg" ]; then
				pg="error"
				failed=1
				echo "# postgres $mode c=$c failed: $(tail -n 3 "$WORK/pg-$mode-$c.log" | tr '\n' ' ')" >&2
			fi
		fi
		case "$kv$pg" in
		*error* | *n/a*) ;;
		*) ratio=$(awk -v a="$kv" -v b="$pg" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') ;;
		esac
		printf '%-9s %7s %14s %16s %12s\n' "$mode" "$c" "$kv" "$pg" "$ratio"
	done
done
if wants pgkv && [ "$PGKV_STATUS" != ok ]; then
	echo "# pgkv was not benchmarked: $PGKV_STATUS" >&2
	failed=1
fi
if wants postgres && [ "$PG_STATUS" != ok ]; then failed=1; fi
exit $failed
