#!/usr/bin/env bash
# test_psql_describe.sh -- psql 15's describe meta-commands (\dt, \d TABLE,
# \di, \ds, \dn, \du, \l, patterns) against the server under test.
#
# psql_describe.sql creates tables with a primary key, unique constraint and
# index, check, foreign key, defaults, serial, a sequence, a second schema
# and a role, then runs the meta-commands.  Its output must equal
# psql_describe.out, which was produced by PostgreSQL 15 (REGEN=1
# re-generates it, always from PostgreSQL), after normalising the values
# that legitimately differ:
#   - the owner of schema public: PostgreSQL 15 gives it to the built-in
#     role pg_database_owner, pgkv to the bootstrap superuser;
#   - the owner of database postgres: PostgreSQL's initdb user (postgres),
#     pgkv's bootstrap superuser (root).
# Everything else (column types, defaults, index and constraint
# definitions, titles, widths, footers, error text) is compared verbatim.
#
#   bash tests/integration/test_psql_describe.sh                         # pgkv
#   PGKV_TARGET=postgres bash tests/integration/test_psql_describe.sh    # PostgreSQL 15
#   REGEN=1 bash tests/integration/test_psql_describe.sh                 # new expected output
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

out=$IT_DIR/describe.out
rc=0
# -f - : error messages name <stdin>, not a path that differs per checkout
it_psql -f - <"$HERE/psql_describe.sql" >"$out" 2>&1 || rc=$?

if [ "${REGEN:-0}" = 1 ]; then
	if [ $rc -ne 0 ]; then
		cat "$out" >&2
		echo "REGEN: psql failed against PostgreSQL (exit $rc)" >&2
		exit 1
	fi
	cp "$out" "$HERE/psql_describe.out"
	echo "regenerated $HERE/psql_describe.out from PostgreSQL ($(psql --version))"
	exit 0
fi

normalise() {
	sed -e 's/^public|.*$/public|<owner>/' -e 's/^postgres|[^|]*|/postgres|<owner>|/' "$1"
}

it_ok $rc "psql_describe.sql exits 0 (got $rc)"
normalise "$HERE/psql_describe.out" >"$IT_DIR/want"
normalise "$out" >"$IT_DIR/got"
if diff -u "$IT_DIR/want" "$IT_DIR/got" >"$IT_DIR/describe.diff"; then
	it_ok 0 "psql describe output matches PostgreSQL 15's (psql_describe.out)"
else
	it_ok 1 "psql describe output matches PostgreSQL 15's (psql_describe.out)"
	sed 's/^/#   /' "$IT_DIR/describe.diff"
fi

# a few single commands, checked for shape
got=$(it_psql -A -t -c '\dt dept' 2>&1) || true
it_check "\\dt dept lists one table (got '$got')" test "$got" = "public|dept|table|$IT_USER"
got=$(it_psql -c '\d nosuch' 2>&1) || true
it_check "\\d nosuch reports it (got '$got')" test "$got" = 'Did not find any relation named "nosuch".'

it_summary
