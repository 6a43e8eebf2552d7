-- psql_session.sql: a small psql session run by test_psql.sh.  Its expected
-- output, psql_session.out, was produced by PostgreSQL 15
-- (REGEN=1 PGKV_TARGET=postgres bash tests/integration/test_psql.sh).
SET application_name = 'psql_session';
SHOW application_name;
SET TimeZone = 'UTC';
SHOW TimeZone;
SHOW server_encoding;
\echo 'echo from psql'
SELECT 1 AS one, 'two' AS two, 3.50::numeric(4,2) AS three;
SELECT 1 + 2 * 3 AS arith, 7 / 2 AS intdiv, 7 % 3 AS modulo, -5 AS neg;
SELECT 'a' || 'b' AS concat, true AS t, false AS f, NULL::int AS n;
SELECT 2.5::float8 * 2 AS f8, 1000::int8 * 1000000000 AS big, 'x'::text AS txt;
SELECT 1 = 1 AS eq, 2 < 1 AS lt, 'abc' <> 'abd' AS ne;
\set x 41
SELECT :x + 1 AS answer;
\set name 'pgkv'
SELECT :'name' AS quoted;
SELECT 42 AS v \gset
\echo v is :v
BEGIN;
SELECT 'in transaction' AS state;
COMMIT;
BEGIN;
SELECT 'rolled back' AS state;
ROLLBACK;
\x on
SELECT 1 AS a, 'two' AS b;
\x off
SELECT 'multi'; SELECT 'statement';
RESET application_name;
SHOW application_name;
\echo 'done'
