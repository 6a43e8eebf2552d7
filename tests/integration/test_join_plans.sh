#!/usr/bin/env bash
# test_join_plans.sh -- join algorithms and predicate pushdown.
#
# Results (checked on pgkv and, as reference.join_plans, on PostgreSQL 15):
#   - a primary key = primary key join of 60,000 rows and a join on
#     non-unique columns, both with work_mem = 64kB (far too small for a
#     hash table of either side): they must complete with the right counts;
#   - a join with a small filtered outer side and an index on the inner one;
#   - index equalities on a selective and an unselective column.
# Plans (pgkv only, EXPLAIN text): merge join for the first, sorts under a
# merge join for the second, index lookup join for the third, and filters
# moved below a comma join (no nested loop over the cross product), and
# ANALYZE statistics deciding between an index and a scan.
#
#   bash tests/integration/test_join_plans.sh
#   PGKV_TARGET=postgres bash tests/integration/test_join_plans.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
it_start

q() { it_psql -At -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
# q_small_mem SQL: run SQL in a session with work_mem = 64kB
q_small_mem() { it_psql -At -v ON_ERROR_STOP=1 -c "set work_mem = '64kB'" -c "$1" 2>&1 | grep -v '^SET$'; }

q "create table big1 (id int primary key, v int, flag int)" >/dev/null
q "create index big1_v on big1 (v)" >/dev/null
q "create index big1_flag on big1 (flag)" >/dev/null
q "create table big2 (id int primary key, k int, w text)" >/dev/null
q "create index big2_k on big2 (k)" >/dev/null
q "insert into big1 select g, g % 1000, g % 2 from generate_series(1, 60000) g" >/dev/null
q "insert into big2 select g, 2 * g, 'w' || g from generate_series(1, 60000) g" >/dev/null
q "analyze big1" >/dev/null
q "analyze big2" >/dev/null

PK_JOIN="select count(*), sum(b1.v) from big1 b1 join big2 b2 on b2.id = b1.id"
NONUNIQUE_JOIN="select count(*), sum(b2.id) from big1 b1 join big2 b2 on b2.k = b1.v"
LOOKUP_JOIN="select count(*), sum(b2.id) from big1 b1 join big2 b2 on b2.k = b1.id where b1.id between 10 and 20"
COMMA_JOIN="select b2.w from big1 b1, big2 b2 where b2.id = b1.id and b1.id = 77"

# sum(g % 1000, g = 1..60000) = 60 * (0 + ... + 999)
it_check "pk join with work_mem 64kB" test "$(q_small_mem "$PK_JOIN")" = "60000|29970000"
# v in 2..998 even matches k = 2 * id2 (id2 = v / 2, 1..499), 60 rows of big1 per v
exp_sum=$(( 60 * (499 * 500 / 2) ))
it_check "non-unique join with work_mem 64kB" test "$(q_small_mem "$NONUNIQUE_JOIN")" = "29940|$exp_sum"
it_check "lookup join result" test "$(q "$LOOKUP_JOIN")" = "6|45"
it_check "comma join result" test "$(q "$COMMA_JOIN")" = "w77"
it_check "selective index equality" test "$(q "select count(*) from big1 where v = 5")" = "60"
it_check "unselective index equality" test "$(q "select count(*) from big1 where flag = 1")" = "30000"
it_check "left join keeps unmatched rows" \
	test "$(q "select count(*), count(b2.id) from big1 b1 left join big2 b2 on b2.k = b1.id where b1.id between 1 and 10")" = "10|5"

if [ "$PGKV_TARGET" = pgkv ]; then
	plan() { q "explain $1"; }
	it_check "pk join is a merge join" grep -q "Merge Join" <<<"$(plan "$PK_JOIN")"
	p=$(q_small_mem "explain $NONUNIQUE_JOIN")
	it_check "big non-unique join sorts both sides for a merge join" \
		bash -c '[[ "$1" == *"Merge Join"* && $(grep -c "Sort" <<<"$1") -eq 2 ]]' _ "$p"
	it_check "small outer side uses an index lookup join" grep -q "Index Lookup Join" <<<"$(plan "$LOOKUP_JOIN")"
	p=$(plan "$COMMA_JOIN")
	it_check "comma join gets its key from WHERE" bash -c '[[ "$1" != *"Nested Loop"* && "$1" == *"Join (1 keys)"* ]]' _ "$p"
	it_check "filter moved below the join" bash -c 'sed -n 2p <<<"$1" | grep -q "Join"' _ "$p"
	it_check "ANALYZE: selective index used" grep -q "Index Scan using big1_v" <<<"$(plan "select * from big1 where v = 5")"
	it_check "ANALYZE: half the table is scanned, not looked up" \
		bash -c '[[ "$1" != *"big1_flag"* && "$1" == *"Coprocessor Scan"* ]]' _ "$(plan "select * from big1 where flag = 1")"
	p=$(plan "select c.id from big1 c where c.id < 5 and exists (select 1 from big2 o where o.id = c.id)")
	it_check "subquery plans get access paths" grep -q "Point Get on big2" <<<"$p"
fi
it_summary
