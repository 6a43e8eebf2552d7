#!/usr/bin/env bash
# test_retry_extended.sh -- automatic retries of single-statement autocommit
# writes through every pgbench protocol mode.
#
# 4 clients increment one row 100 times each under REPEATABLE READ, where
# concurrent updates of the row conflict.  pgkv must retry every conflict
# invisibly (the statement's results were never sent), whether the statement
# came as a simple Query or as Parse/Bind/Execute/Sync (-M extended) or
# Bind/Execute/Sync on a named statement (-M prepared): no client error, and
# the row ends at exactly 400 per mode.  The retry of an extended-protocol
# statement must re-run its already bound portal.
#
# pgkv-only: PostgreSQL reports these conflicts to the client (40001), which
# is exactly what the automatic retries remove.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$PGKV_TARGET" = postgres ]; then
	echo "# skip: automatic retries are pgkv behaviour (PGKV_TARGET=postgres)"
	echo "0 passed, 0 failed (target postgres), skipped"
	exit 0
fi
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench)

it_start
it_psql -q -c "create table retry_c (id int primary key, n int)" -c "insert into retry_c values (1, 0)" >/dev/null
echo 'UPDATE retry_c SET n = n + 1 WHERE id = 1;' >"$IT_DIR/inc.sql"

total=0
for mode in simple extended prepared; do
	out=$(PGOPTIONS="-c default_transaction_isolation=repeatable\\ read" "$PGBENCH" -n -h "$IT_HOST" -p "$IT_PORT" \
		-U "$IT_USER" -f "$IT_DIR/inc.sql" -M "$mode" -c 4 -j 4 -t 100 "$IT_DB" 2>&1)
	rc=$?
	total=$((total + 400))
	it_ok "$([ $rc = 0 ] && ! echo "$out" | grep -q "error" && echo 0 || echo 1)" \
		"-M $mode: 400 conflicting autocommit updates, no client error ($(echo "$out" | grep -m1 error))"
	n=$(it_psql -Atc "select n from retry_c")
	it_ok "$([ "$n" = "$total" ] && echo 0 || echo 1)" "-M $mode: the row counts every increment once (n=$n, want $total)"
done
retries=$(curl -s "http://127.0.0.1:$IT_HTTP_PORT/metrics" 2>/dev/null | awk '/^pgkv_sql_txn_retries_total/ {print $2}')
echo "# automatic retries: ${retries:-unknown}"
it_summary
