#!/usr/bin/env bash
# pgbench_tpcb.sh -- pgbench's built-in read-write scripts (tpcb-like,
# simple-update) against pgkv next to PostgreSQL 15.
#
# Starts a PostgreSQL 15 reference server (scripts/pg-ref.sh, own data dir and
# port, default fsync/synchronous_commit) and pgkv (build/pgkv, temporary
# embedded store) side by side, initialises both with `pgbench -i -s SCALE`,
# then runs
#   pgbench -n -b SCRIPT -T DURATION -c C -j C -M MODE --max-tries=TRIES
# for every SCRIPT and C against each, and prints script, clients, pgkv TPS,
# PostgreSQL TPS, the ratio pgkv/PostgreSQL, and for each server the failed
# transactions (after TRIES tries) and the transactions pgbench retried
# (serialization failures and deadlocks; pgkv's own automatic retries are
# invisible to pgbench and are printed from its /metrics).
#
# Options (environment):
#   DURATION=10          seconds per run
#   CLIENTS="1 8"        client counts
#   SCRIPTS="tpcb-like simple-update"   pgbench built-in scripts
#   MODE=simple          pgbench -M mode
#   SCALE=1              pgbench -i scale factor
#   TRIES=10             pgbench --max-tries (pgbench 15 and later)
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
SCRIPTS=${SCRIPTS:-"tpcb-like simple-update"}
MODE=${MODE:-simple}
SCALE=${SCALE:-1}
TRIES=${TRIES:-10}
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

# pgkv's counter NAME from /metrics ("-" when unavailable).
pgkv_metric() {
	curl -s --max-time 2 "http://127.0.0.1:$PGKV_HTTP/metrics" 2>/dev/null |
		awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF; f = 1 } END { if (f) print s; else print "-" }'
}

# init PORT LOG: pgbench -i; false on failure.
init_db() {
	"$PGBENCH" -i -s "$SCALE" -q -h 127.0.0.1 -p "$1" -U root postgres >"$2" 2>&1
}

# run_pgbench PORT SCRIPT CLIENTS LOG: print "TPS FAILED RETRIED", or nothing
# on failure.
run_pgbench() {
	local port=$1 script=$2 c=$3 log=$4 tries=()
	if "$PGBENCH" --help 2>/dev/null | grep -q -- --max-tries; then tries=(--max-tries="$TRIES"); fi
	if ! "$PGBENCH" -n -b "$script" -T "$DURATION" -c "$c" -j "$c" -M "$MODE" "${tries[@]}" \
		-h 127.0.0.1 -p "$port" -U root postgres >"$log" 2>&1; then
		return 1
	fi
	local tps failed retried
	tps=$(sed -n 's/^tps = \([0-9]*\)\.[0-9]* (without initial connection time).*/\1/p' "$log" | head -1)
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log" | head -1)
	retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$log" | head -1)
	[ -n "$tps" ] || return 1
	echo "$tps ${failed:-0} ${retried:-0}"
}

wants postgres && start_postgres
wants pgkv && start_pgkv
if [ "$PG_STATUS" = ok ] && ! init_db "$PG_PORT" "$WORK/pg-init.log"; then
	PG_STATUS="pgbench -i failed (see $WORK/pg-init.log)"
fi
if [ "$PGKV_STATUS" = ok ] && ! init_db "$PGKV_PORT" "$WORK/pgkv-init.log"; then
	PGKV_STATUS="pgbench -i failed: $(tail -n 2 "$WORK/pgkv-init.log" | tr '\n' ' ')"
fi

echo "# pgbench built-in scripts, scale $SCALE, -M $MODE, --max-tries=$TRIES: ${DURATION}s per run, $(nproc) CPUs, $("$PGBENCH" --version)"
echo "# pgkv: $PGKV_STATUS"
echo "# postgres: $PG_STATUS"
printf '%-14s %7s %10s %10s %8s %12s %12s %12s %12s %12s\n' script clients "pgkv TPS" "PG TPS" "pgkv/PG" \
	"pgkv failed" "PG failed" "pgkv retried" "PG retried" "pgkv auto"
failed=0
for script in $SCRIPTS; do
	for c in $CLIENTS; do
		kv="n/a" pg="n/a" ratio="n/a" kvf="n/a" pgf="n/a" kvr="n/a" pgr="n/a" auto="n/a"
		if [ "$PGKV_STATUS" = ok ]; then
			local_before=$(pgkv_metric pgkv_sql_txn_retries_total)
			out=$(run_pgbench "$PGKV_PORT" "$script" "$c" "$WORK/pgkv-$script-$c.log") || out=""
			if [ -z "$out" ]; then
				kv="error"
				failed=1
				echo "# pgkv $script c=$c failed: $(tail -n 3 "$WORK/pgkv-$script-$c.log" | tr '\n' ' ')" >&2
			else
				read -r kv kvf kvr <<<"$out"
				local_after=$(pgkv_metric pgkv_sql_txn_retries_total)
				if [ "$local_before" != - ] && [ "$local_after" != - ]; then auto=$((local_after - local_before)); fi
			fi
		fi
		if [ "$PG_STATUS" = ok ]; then
			out=$(run_pgbench "$PG_PORT" "$script" "$c" "$WORK/pg-$script-$c.log") || out=""
			if [ -z "$out" ]; then
				pg="error"
				failed=1
				echo "# postgres $script c=$c failed: $(tail -n 3 "$WORK/pg-$script-$c.log" | tr '\n' ' ')" >&2
			else
				read -r pg pgf pgr <<<"$out"
			fi
		fi
		case "$kv$pg" in
		*error* | *n/a*) ;;
		*) ratio=$(awk -v a="$kv" -v b="$pg" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') ;;
		esac
		printf '%-14s %7s %10s %10s %8s %12s %12s %12s %12s %12s\n' "$script" "$c" "$kv" "$pg" "$ratio" \
			"$kvf" "$pgf" "$kvr" "$pgr" "$auto"
	done
done
if wants pgkv && [ "$PGKV_STATUS" != ok ]; then
	echo "# pgkv was not benchmarked: $PGKV_STATUS" >&2
	failed=1
fi
if wants postgres && [ "$PG_STATUS" != ok ]; then failed=1; fi
exit $failed
