#!/usr/bin/env bash
# tables.sh -- queries over stored tables, pgkv next to PostgreSQL 15.
#
# Starts PostgreSQL 15 (scripts/pg-ref.sh) and pgkv (build/pgkv, temporary
# embedded store) side by side, like pgbench_select1.sh, then on each:
#   select-only  pgbench -i -s SCALE, then pgbench -n -S -T DURATION -c C -M MODE
#   scan         a table of ROWS rows (id int primary key, g int, v int, f float8)
#                loaded with INSERT ... SELECT generate_series in chunks of
#                100,000 rows, then every query of SCAN_QUERIES timed
#                (best of REPEAT runs, psql \timing): count(*), sum() with a
#                filter, GROUP BY, avg/min/max, ORDER BY ... LIMIT, a key
#                range; it also prints the load time ratio and, per query,
#                what pgkv ran in the store (EXPLAIN "Store:" lines)
# and prints pgkv, PostgreSQL and the ratio pgkv/PostgreSQL (TPS for
# select-only, milliseconds for scan: a ratio > 1 means pgkv is slower).
#
# Options (environment):
#   SECTIONS="select-only scan"   DURATION=10   CLIENTS="1 8"   MODES="simple prepared"
#   SCALE=1   ROWS=1000000   REPEAT=3
#   TARGETS="pgkv postgres"   PGKV_BIN=build/pgkv   PGKV_ARGS="..."   BENCH_KEEP=1
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECTIONS=${SECTIONS:-"select-only scan"}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-"1 8"}
MODES=${MODES:-"simple prepared"}
SCALE=${SCALE:-1}
ROWS=${ROWS:-1000000}
REPEAT=${REPEAT:-3}
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

load_scan() {
	local port=$1 lo=1 hi
	sql "$port" "drop table if exists bench_scan" >/dev/null 2>&1
	sql "$port" "create table bench_scan (id int primary key, g int, v int, f float8)" >/dev/null || return 1
	while [ $lo -le "$ROWS" ]; do
		hi=$((lo + 99999)); [ $hi -gt "$ROWS" ] && hi=$ROWS
		sql "$port" "insert into bench_scan select i, i % 100, i % 1000, i * 0.5 from generate_series($lo, $hi) i" >/dev/null || return 1
		lo=$((hi + 1))
	done
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
select count(*) from bench_scan where id > $((ROWS - 1000))"}

case " $SECTIONS " in *" scan "*)
	echo "# scan: $ROWS rows, best of $REPEAT, milliseconds"
	loadt=()
	for i in 0 1; do
		loadt+=("n/a")
		[ -n "${PORTS[$i]}" ] || continue
		t0=$(date +%s.%N)
		load_scan "${PORTS[$i]}" || { failed=1; echo "# load failed on port ${PORTS[$i]}" >&2; }
		loadt[$i]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		echo "# load on $([ $i = 0 ] && echo pgkv || echo postgres): ${loadt[$i]} s"
	done
	echo "# load (INSERT ... SELECT generate_series, 100,000-row statements): pgkv/PG $(ratio "${loadt[0]}" "${loadt[1]}")"
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
