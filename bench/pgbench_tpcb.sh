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
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

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
