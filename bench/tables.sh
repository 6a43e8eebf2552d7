#!/usr/bin/env bash
# tables.sh -- queries over stored tables, pgkv next to PostgreSQL 15.
#
# Starts PostgreSQL 15 (scripts/pg-ref.sh) and pgkv (build/pgkv, temporary
# embedded store) side by side, like pgbench_select1.sh, then on each:
#   select-only  pgbench -i -s SCALE, then pgbench -n -S -T DURATION -c C -M MODE
#   scan         a table of SCAN_ROWS rows (id int primary key, g int, v int,
#                f float8) loaded with INSERT ... SELECT generate_series in
#                statements of LOAD_CHUNK rows (one autocommit transaction
#                each, all through one psql session), then every query of
#                SCAN_QUERIES timed (best of REPEAT runs, psql \timing):
#                count(*), sum() with a filter, GROUP BY, avg/min/max,
#                ORDER BY ... LIMIT, a key range; it also prints the load
#                time and its ratio pgkv/PostgreSQL and, per query, what
#                pgkv ran in the store (EXPLAIN "Store:" lines)
# and prints pgkv, PostgreSQL and the ratio pgkv/PostgreSQL (TPS for
# select-only, milliseconds for scan: a ratio > 1 means pgkv is slower).
#
# Options (environment):
#   SECTIONS="select-only scan"   DURATION=10   CLIENTS="1 8"   MODES="simple prepared"
#   SCALE=1   SCAN_ROWS=1000000 (ROWS= is the old name)   LOAD_CHUNK=100000
#   REPEAT=3
# A 10 M-row scan run: SECTIONS=scan SCAN_ROWS=10000000 bash bench/tables.sh
# (loads ~10x the 1 M time on each server; pgkv holds one chunk's write set
# in memory per statement, so LOAD_CHUNK bounds the gateway's memory).
#   TARGETS="pgkv postgres"   PGKV_BIN=build/pgkv   PGKV_ARGS="..."   BENCH_KEEP=1
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECTIONS=${SECTIONS:-"select-only scan"}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-"1 8"}
MODES=${MODES:-"simple prepared"}
SCALE=${SCALE:-1}
SCAN_ROWS=${SCAN_ROWS:-${ROWS:-1000000}}
LOAD_CHUNK=${LOAD_CHUNK:-100000}
REPEAT=${REPEAT:-3}
TARGETS=${TARGETS:-"pgkv postgres"}
PGKV_BIN=${PGKV_BIN:-$SRC/build/pgkv}
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

sql() { psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U root postgres -c "$2"; }

# best of REPEAT: milliseconds of query $2 on port $1
time_query() {
	local port=$1 q=$2 best="" ms
	for _ in $(seq "$REPEAT"); do
		ms=$(psql -X -At -h 127.0.0.1 -p "$port" -U root postgres -c '\timing on' -c "$q" 2>&1 |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
		[ -z "$ms" ] && return 1
		if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$ms; fi
	done
	echo "$best"
}

# the INSERT statements of the load, LOAD_CHUNK rows each
load_statements() {
	local lo=1 hi
	while [ $lo -le "$SCAN_ROWS" ]; do
		hi=$((lo + LOAD_CHUNK - 1)); [ $hi -gt "$SCAN_ROWS" ] && hi=$SCAN_ROWS
		echo "insert into bench_scan select i, i % 100, i % 1000, i * 0.5 from generate_series($lo, $hi) i;"
		lo=$((hi + 1))
	done
}

load_scan() {
	local port=$1
	sql "$port" "drop table if exists bench_scan" >/dev/null 2>&1
	sql "$port" "create table bench_scan (id int primary key, g int, v int, f float8)" >/dev/null || return 1
	load_statements | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U root postgres >/dev/null || return 1
	sql "$port" "analyze bench_scan" >/dev/null 2>&1 || true
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

wants postgres && start_postgres
wants pgkv && start_pgkv
echo "# $(nproc) CPUs, $("$PGBENCH" --version)"
echo "# pgkv: $PGKV_STATUS"
echo "# postgres: $PG_STATUS"
PORTS=()
[ "$PGKV_STATUS" = ok ] && PORTS+=("$PGKV_PORT") || PORTS+=("")
[ "$PG_RUNNING" = 1 ] && PORTS+=("$PG_PORT") || PORTS+=("")
failed=0

case " $SECTIONS " in *" select-only "*)
	echo "# select-only: pgbench -i -s $SCALE, then -S ${DURATION}s per run"
	for i in 0 1; do
		[ -n "${PORTS[$i]}" ] || continue
		t0=$SECONDS
		"$PGBENCH" -i -q -s "$SCALE" -h 127.0.0.1 -p "${PORTS[$i]}" -U root postgres >"$WORK/init-$i.log" 2>&1 || { failed=1; echo "# init failed on port ${PORTS[$i]}" >&2; }
		echo "# pgbench -i on $([ $i = 0 ] && echo pgkv || echo postgres): $((SECONDS - t0)) s"
	done
	printf '%-9s %7s %14s %16s %12s\n' mode clients "pgkv TPS" "PostgreSQL TPS" "pgkv/PG"
	for mode in $MODES; do
		for c in $CLIENTS; do
			res=()
			for i in 0 1; do
				r="n/a"
				if [ -n "${PORTS[$i]}" ]; then
					"$PGBENCH" -n -S -T "$DURATION" -c "$c" -j "$c" -M "$mode" -h 127.0.0.1 -p "${PORTS[$i]}" -U root postgres >"$WORK/S-$i-$mode-$c.log" 2>&1
					r=$(sed -n 's/^tps = \([0-9]*\)\.[0-9]* (without initial connection time).*/\1/p' "$WORK/S-$i-$mode-$c.log" | head -1)
					[ -z "$r" ] && { r=error; failed=1; }
				fi
				res+=("$r")
			done
			printf '%-9s %7s %14s %16s %12s\n' "$mode" "$c" "${res[0]}" "${res[1]}" "$(ratio "${res[1]}" "${res[0]}" | awk '{ if ($1 == "n/a") print; else printf "%.2f", 1 / $1 }')"
		done
	done
	;;
esac

SCAN_QUERY_LIST=${SCAN_QUERIES:-"select count(*) from bench_scan
select sum(v) from bench_scan where g < 10
select sum(f) from bench_scan where v between 100 and 200
select g, count(*), sum(v) from bench_scan group by g order by g limit 5
select avg(v), min(v), max(v) from bench_scan where g % 2 = 0
select id, v from bench_scan order by v desc, id limit 10
select count(*) from bench_scan where id > $((SCAN_ROWS - 1000))"}

case " $SECTIONS " in *" scan "*)
	echo "# scan: $SCAN_ROWS rows, best of $REPEAT, milliseconds"
	loadt=()
	for i in 0 1; do
		loadt+=("n/a")
		[ -n "${PORTS[$i]}" ] || continue
		t0=$(date +%s.%N)
		load_scan "${PORTS[$i]}" || { failed=1; echo "# load failed on port ${PORTS[$i]}" >&2; }
		loadt[$i]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		echo "# load on $([ $i = 0 ] && echo pgkv || echo postgres): ${loadt[$i]} s"
	done
	echo "# load (INSERT ... SELECT generate_series, $LOAD_CHUNK-row statements): pgkv/PG $(ratio "${loadt[0]}" "${loadt[1]}")"
	if [ -n "${PORTS[0]}" ]; then
		# which queries ran in the store (coprocessor) -- one line per query
		while IFS= read -r q; do
			[ -z "$q" ] && continue
			where=$(psql -X -At -h 127.0.0.1 -p "${PORTS[0]}" -U root postgres -c "explain $q" 2>/dev/null |
				grep -oE 'Store: [A-Za-z ]+' | sed 's/Store: //' | paste -sd, -)
			echo "# pgkv plan: ${where:-gateway only} <- $q"
		done <<<"$SCAN_QUERY_LIST"
	fi
	printf '%-52s %10s %10s %8s\n' query "pgkv ms" "PG ms" "pgkv/PG"
	while IFS= read -r q; do
		[ -z "$q" ] && continue
		res=()
		for i in 0 1; do
			r="n/a"
			if [ -n "${PORTS[$i]}" ]; then r=$(time_query "${PORTS[$i]}" "$q") || { r=error; failed=1; }; fi
			res+=("$r")
		done
		printf '%-52s %10s %10s %8s\n' "$q" "${res[0]}" "${res[1]}" "$(ratio "${res[0]}" "${res[1]}")"
	done <<<"$SCAN_QUERY_LIST"
	;;
esac
exit $failed
