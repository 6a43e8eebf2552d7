#!/usr/bin/env bash
# test_dml_pgbench.sh -- DML end to end with real clients:
#
# 1. COPY FROM STDIN through psql: text format with \N and escapes, CSV with
#    HEADER / DELIMITER / NULL / QUOTE, rows split across CopyData messages,
#    FREEZE accepted, errors (bad value, missing column) leave nothing behind.
# 2. pgbench -i -s 1 (DROP/CREATE/TRUNCATE/COPY ... FREEZE/VACUUM/ADD PRIMARY
#    KEY), then -S, -b simple-update and -b tpcb-like with 2 clients: no
#    failed transaction, and the balances add up (accounts = history,
#    branches = tellers).
# 3. 4 connections x 200 "UPDATE t SET n = n + 1 WHERE id = 1" in READ
#    COMMITTED autocommit: n = 800 and no client sees an error.
#
#   bash tests/integration/test_dml_pgbench.sh                         # pgkv
#   PGKV_TARGET=postgres bash tests/integration/test_dml_pgbench.sh    # PostgreSQL 15
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
command -v pgbench >/dev/null || { echo "pgbench not found (install postgresql-15)"; exit 1; }
it_start

q() { it_psql -At -v ON_ERROR_STOP=1 -c "$1"; }

# ---- 1. COPY ----
q "drop table if exists cp_t" >/dev/null 2>&1 || true
q "create table cp_t (id int primary key, name text, note varchar(10), amount numeric(8,2) default 9.5)" >/dev/null
printf '1\tann\tx\t1.25\n2\t\\N\ttab\\there\t2\n3\tbs\\\\lash\t\\N\t\\N\n\\.\n' |
	it_psql -v ON_ERROR_STOP=1 -c "copy cp_t from stdin" >"$IT_DIR/copy1.out" 2>&1
it_check "COPY text reports COPY 3" grep -qx "COPY 3" "$IT_DIR/copy1.out"
it_ok "$([ "$(q "select id || ':' || coalesce(name,'NULL') || ':' || coalesce(note,'NULL') || ':' || coalesce(amount::text,'NULL') from cp_t order by id" | tr '\n' ' ')" = "1:ann:x:1.25 2:NULL:tab	here:2.00 3:bs\\lash:NULL:NULL " ] && echo 0 || echo 1)" "COPY text values, \\N and escapes"
printf 'id;name\n10;"semi;colon"\n11;"multi\nline"\n12;NA\n' |
	it_psql -v ON_ERROR_STOP=1 -c "copy cp_t (id, name) from stdin with (format csv, header true, delimiter ';', null 'NA', quote '\"')" >"$IT_DIR/copy2.out" 2>&1
it_check "COPY csv reports COPY 3" grep -qx "COPY 3" "$IT_DIR/copy2.out"
it_ok "$([ "$(q "select count(*) from cp_t where id >= 10 and amount = 9.5")" = 3 ] && echo 0 || echo 1)" "COPY column list fills defaults"
it_ok "$([ "$(q "select name from cp_t where id = 11")" = "multi
line" ] && echo 0 || echo 1)" "COPY csv quoted newline"
it_ok "$([ "$(q "select name is null from cp_t where id = 12")" = t ] && echo 0 || echo 1)" "COPY csv NULL string"
rc=0
printf '20\tok\tx\t1\n21\tbad\tx\tnotanumber\n' | it_psql -v ON_ERROR_STOP=1 -c "copy cp_t from stdin" >"$IT_DIR/copy3.out" 2>&1 || rc=$?
it_ok "$([ $rc -ne 0 ] && grep -q 'invalid input syntax for type numeric' "$IT_DIR/copy3.out" && echo 0 || echo 1)" "COPY bad value fails"
it_ok "$([ "$(q "select count(*) from cp_t where id >= 20")" = 0 ] && echo 0 || echo 1)" "failed COPY leaves no row"
rc=0
printf '30\tonly\n' | it_psql -v ON_ERROR_STOP=1 -c "copy cp_t from stdin" >"$IT_DIR/copy4.out" 2>&1 || rc=$?
it_ok "$([ $rc -ne 0 ] && grep -q 'missing data for column "note"' "$IT_DIR/copy4.out" && echo 0 || echo 1)" "COPY missing column"
printf '40\tdup\tx\t1\n1\tdup\tx\t1\n' | it_psql -c "copy cp_t from stdin" >"$IT_DIR/copy5.out" 2>&1 || true
it_check "COPY duplicate key" grep -q 'duplicate key value violates unique constraint "cp_t_pkey"' "$IT_DIR/copy5.out"
it_ok "$([ "$(q "select 1")" = 1 ] && echo 0 || echo 1)" "session usable after COPY errors"

# ---- 2. pgbench ----
PGB=(pgbench -h "$IT_HOST" -p "$IT_PORT" -U "$IT_USER")
it_check "pgbench -i -s 1" "${PGB[@]}" -i -s 1 "$IT_DB"
it_ok "$([ "$(q "select count(*) from pgbench_accounts")" = 100000 ] && echo 0 || echo 1)" "100000 accounts loaded"
for mode in "-S" "-b simple-update" "-b tpcb-like"; do
	# shellcheck disable=SC2086
	"${PGB[@]}" -n $mode -T 3 -c 2 "$IT_DB" >"$IT_DIR/pgb.out" 2>&1 || true
	it_ok "$(grep -q 'number of failed transactions: 0 ' "$IT_DIR/pgb.out" && grep -q '^tps = ' "$IT_DIR/pgb.out" && echo 0 || echo 1)" "pgbench $mode -c 2 without errors"
	grep '^tps' "$IT_DIR/pgb.out" || cat "$IT_DIR/pgb.out"
done
# accounts move with every transaction of both write scripts, branches and
# tellers only with tpcb-like
sums=$(q "select (select sum(abalance) from pgbench_accounts) = (select sum(delta) from pgbench_history)
                and (select sum(bbalance) from pgbench_branches) = (select sum(tbalance) from pgbench_tellers)
                and (select count(*) from pgbench_history) > 0")
it_ok "$([ "$sums" = t ] && echo 0 || echo 1)" "balances consistent after pgbench"

# ---- 3. concurrent increments ----
q "drop table if exists cnt_t" >/dev/null 2>&1 || true
q "create table cnt_t (id int primary key, n int)" >/dev/null
q "insert into cnt_t values (1, 0)" >/dev/null
pids=()
for i in 1 2 3 4; do
	(trap - EXIT; for _ in $(seq 200); do echo "update cnt_t set n = n + 1 where id = 1;"; done |
		it_psql -q -v ON_ERROR_STOP=1 >"$IT_DIR/inc$i.out" 2>&1; echo $? >"$IT_DIR/inc$i.rc") &
	pids+=($!)
done
wait "${pids[@]}"   # not a bare wait: the server is a background job too
errs=0
for i in 1 2 3 4; do [ "$(cat "$IT_DIR/inc$i.rc")" = 0 ] || errs=$((errs + 1)); done
it_ok "$([ $errs = 0 ] && echo 0 || echo 1)" "4 x 200 concurrent increments without errors"
it_ok "$([ "$(q "select n from cnt_t")" = 800 ] && echo 0 || echo 1)" "no lost increment (n = 800)"
it_summary
