#!/usr/bin/env bash
# test_psql.sh -- drive psql 15 against the server under test.
#
# 1. psql -X -v ON_ERROR_STOP=1 -f psql_session.sql: exit 0 and stdout equal
#    to psql_session.out, which was produced by PostgreSQL 15.
#    REGEN=1 re-generates psql_session.out (always from PostgreSQL).
# 2. psql_error.sql has an error in the middle: psql must exit 3, print the
#    first result but not the last, and report the error on stderr.
# 3. psql -c with a multi-statement string and a connection URI.
#
#   bash tests/integration/test_psql.sh                         # pgkv
#   PGKV_TARGET=postgres bash tests/integration/test_psql.sh    # PostgreSQL 15
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${REGEN:-0}" = 1 ]; then
	export PGKV_TARGET=postgres
fi
# shellcheck source=lib.sh
. "$HERE/lib.sh"

command -v psql >/dev/null || { echo "psql not found (install postgresql-client-15)"; exit 1; }
# shellcheck disable=SC2119
it_start

out=$IT_DIR/session.out
err=$IT_DIR/session.err
rc=0
it_psql -v ON_ERROR_STOP=1 -f "$HERE/psql_session.sql" >"$out" 2>"$err" || rc=$?

if [ "${REGEN:-0}" = 1 ]; then
	if [ $rc -ne 0 ]; then
		cat "$err" >&2
		echo "REGEN: psql failed against PostgreSQL (exit $rc)" >&2
		exit 1
	fi
	cp "$out" "$HERE/psql_session.out"
	echo "regenerated $HERE/psql_session.out from PostgreSQL ($(psql --version))"
	exit 0
fi

it_ok $rc "psql_session.sql exits 0 (got $rc)"
if [ -s "$err" ]; then
	echo "# stderr:"
	sed 's/^/#   /' "$err"
fi
if diff -u "$HERE/psql_session.out" "$out" >"$IT_DIR/session.diff"; then
	it_ok 0 "psql_session.sql output matches psql_session.out"
else
	it_ok 1 "psql_session.sql output matches psql_session.out"
	sed 's/^/#   /' "$IT_DIR/session.diff"
fi

# 2. ON_ERROR_STOP
rc=0
it_psql -v ON_ERROR_STOP=1 -f "$HERE/psql_error.sql" >"$IT_DIR/error.out" 2>"$IT_DIR/error.err" || rc=$?
it_check "psql stops at the error with exit 3 (got $rc)" test $rc -eq 3
it_check "the statement before the error ran" grep -q 'before error' "$IT_DIR/error.out"
absent() { ! grep -q "$1" "$2"; }
it_check "the statement after the error did not run" absent 'after error' "$IT_DIR/error.out"
it_check "psql printed 'ERROR:  division by zero' ($(tr '\n' ' ' <"$IT_DIR/error.err"))" \
	grep -q 'ERROR:  division by zero' "$IT_DIR/error.err"

# without ON_ERROR_STOP psql goes on and exits 0
rc=0
it_psql -f "$HERE/psql_error.sql" >"$IT_DIR/error2.out" 2>/dev/null || rc=$?
it_ok $rc "without ON_ERROR_STOP psql exits 0 (got $rc)"
it_check "without ON_ERROR_STOP the last statement ran" grep -q 'after error' "$IT_DIR/error2.out"

# 3. -c with several statements (one Query message), URI, -A -t output;
# psql 15 prints the result of every statement of the string
got=$(psql -X -A -t "postgresql://$IT_USER@$IT_HOST:$IT_PORT/$IT_DB?application_name=uri_test" \
	-c "select 1; select current_setting('application_name')" 2>&1) || true
want=$(printf '1\nuri_test')
it_check "psql -c with two statements prints both results (got '${got//$'\n'/ }')" \
	test "$got" = "$want"
got=$(it_psql -A -t -v ON_ERROR_STOP=1 -c 'select 6 * 7' 2>&1) || true
it_check "psql -A -t -c 'select 6 * 7' (got '$got')" test "$got" = 42

it_summary
