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
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

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
