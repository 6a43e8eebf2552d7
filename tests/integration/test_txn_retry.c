/*
 * test_txn_retry.c -- automatic retries by StmtBuf rewind (DESIGN.md §2).
 *
 * A session b writes a row that session a holds locked and then commits, so
 * that b's write is a 40001 write conflict under REPEATABLE READ (or fails
 * SERIALIZABLE validation).  PostgreSQL sends that 40001 to the client; pgkv
 * replays the transaction invisibly when none of its results has reached the
 * client yet:
 *
 *   a single autocommit statement             pgkv: retried   postgres: 40001
 *   BEGIN ...; UPDATE; COMMIT in one Query    pgkv: retried   postgres: 40001
 *   the same sent statement by statement      40001 on both
 *   SERIALIZABLE write skew                   40001 for one side on both
 *                                             (pgkv: the second to commit)
 *   SERIALIZABLE, the loser sent as a batch   pgkv only: retried
 *   auto_retry_limit = 0                      pgkv only: 40001
 *
 * and checks that retries show in pgkv.transaction_retries /
 * pgkv.session_retries, EXPLAIN ANALYZE ("Retries: 1") and /metrics
 * (pgkv_sql_txn_retries_total, pgkv_sql_txn_client_retry_errors_total).
 * The pgkv-only expectations are marked; everything else is PostgreSQL's.
 */
#include "tests/integration/txn_util.h"

static bool is_pg;

static void
reset_table(PGconn *c)
{
	h_exec_ok(c, "DROP TABLE IF EXISTS rt");
	h_exec_ok(c, "CREATE TABLE rt (id int PRIMARY KEY, n int NOT NULL)");
	h_exec_ok(c, "INSERT INTO rt VALUES (1, 0), (2, 0)");
}

/*
 * a locks row 1 (UPDATE n = n + 1 in an open transaction); b sends sql,
 * which must block on that row; a commits; returns b's result.
 */
static PGresult *
conflict(PGconn *a, PGconn *b, const char *sql)
{
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE rt SET n = n + 1 WHERE id = 1");
	tu_send(b, sql);
	H_CHECK(tu_blocked(b, 300), "\"%s\" waits for the row lock", sql);
	h_exec_ok(a, "COMMIT");
	return tu_wait(b, 15000);
}

/* pgkv: success; postgres: 40001. */
static void
expect_retried(PGresult *r, const char *what)
{
	H_CHECK_EQ_STR(tu_state(r), is_pg ? "40001" : "", what);
}

int
main(void)
{
	h_start(NULL);
	is_pg = h_is_postgres();
	PGconn	   *a = h_connect(NULL);
	PGconn	   *b = h_connect(NULL);
	PGresult   *r;
	long long	retries0 = tu_metric("pgkv_sql_txn_retries_total");
	long long	client0 = tu_metric("pgkv_sql_txn_client_retry_errors_total");

	reset_table(a);
	h_exec_ok(b, "SET default_transaction_isolation = 'repeatable read'");

	h_section("single autocommit statement");
	r = conflict(a, b, "UPDATE rt SET n = n + 10 WHERE id = 1");
	expect_retried(r, "autocommit UPDATE after a concurrent commit");
	PQclear(r);
	if (!is_pg)
	{
		/* pgkv only: the replayed statement applied to the committed row */
		h_expect_value(a, "SELECT n FROM rt WHERE id = 1", "11");
		h_expect_value(b, "SHOW pgkv.session_retries", "1");
	}

	h_section("EXPLAIN ANALYZE shows the retries");
	r = conflict(a, b, "EXPLAIN ANALYZE UPDATE rt SET n = n + 10 WHERE id = 1");
	expect_retried(r, "EXPLAIN ANALYZE UPDATE after a concurrent commit");
	if (!is_pg && PQresultStatus(r) == PGRES_TUPLES_OK)
	{
		bool		found = false;

		for (int i = 0; i < PQntuples(r); i++)
			if (strcmp(PQgetvalue(r, i, 0), "Retries: 1") == 0)
				found = true;
		H_CHECK(found, "EXPLAIN ANALYZE has a line \"Retries: 1\"");
	}
	PQclear(r);

	h_section("explicit transaction sent as one Query");
	r = conflict(a, b,
				 "BEGIN ISOLATION LEVEL REPEATABLE READ;"
				 " UPDATE rt SET n = n + 100 WHERE id = 1;"
				 " SELECT 1;"
				 " COMMIT");
	expect_retried(r, "BEGIN; UPDATE; SELECT; COMMIT batch after a concurrent commit");
	PQclear(r);
	if (is_pg)
		h_exec_ok(b, "ROLLBACK");
	h_expect_value(b, "SHOW transaction_isolation", "repeatable read");
	h_exec_ok(b, "BEGIN");
	if (!is_pg)
		h_expect_value(b, "SHOW pgkv.transaction_retries", "0");
	h_exec_ok(b, "COMMIT");

	h_section("explicit transaction statement by statement: the client gets 40001");
	h_exec_ok(b, "BEGIN");
	h_expect_value(b, "SELECT count(*) FROM rt", "2");
	r = conflict(a, b, "UPDATE rt SET n = n + 1000 WHERE id = 1");
	H_CHECK_EQ_STR(tu_state(r), "40001", "UPDATE of a transaction whose results were sent");
	PQclear(r);
	h_expect_error(b, "SELECT 1", "25P02");
	h_exec_ok(b, "ROLLBACK");

	h_section("SERIALIZABLE write skew, one side sent as a batch");
	h_exec_ok(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
	h_exec_ok(a, "SELECT sum(n) FROM rt");
	h_exec_ok(a, "UPDATE rt SET n = n + 1 WHERE id = 2");
	{
		const char *sb = tu_exec_state(b,
									   "BEGIN ISOLATION LEVEL SERIALIZABLE;"
									   " SELECT sum(n) FROM rt;"
									   " UPDATE rt SET n = n + 1 WHERE id = 1;"
									   " COMMIT");
		bool		b_failed = strcmp(sb, "40001") == 0;

		if (b_failed)
			h_exec_ok(b, "ROLLBACK");
		const char *sa = tu_exec_state(a, "COMMIT");
		bool		a_failed = strcmp(sa, "40001") == 0;

		if (a_failed)
			h_exec_ok(a, "ROLLBACK");
		H_CHECK(a_failed != b_failed, "40001 for exactly one side (a: \"%s\", b: \"%s\")", sa, sb);
		if (!is_pg)
			/* pgkv: the first to commit wins; a was sent statement by statement */
			H_CHECK(a_failed, "a, whose commit came second, got the 40001");
	}

	if (!is_pg)
	{
		/* pgkv only: now the batch must give way -- and is replayed */
		h_exec_ok(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
		h_expect_value(a, "SELECT count(*) FROM rt", "2");
		h_exec_ok(a, "INSERT INTO rt VALUES (3, 0)");
		tu_send(b,
				"BEGIN ISOLATION LEVEL SERIALIZABLE;"
				" SELECT count(*) FROM rt;"
				" INSERT INTO rt VALUES (4, 0);"
				" SELECT pg_sleep(0.5);"
				" COMMIT");
		tu_sleep_ms(100);
		h_exec_ok(a, "COMMIT");
		r = tu_wait(b, 15000);
		/* b's validation sees row 3 in the range it counted: replayed */
		H_CHECK_EQ_STR(tu_state(r), "", "SERIALIZABLE batch that read a range written concurrently");
		PQclear(r);
		h_expect_value(a, "SELECT count(*) FROM rt", "4");

		h_section("auto_retry_limit = 0");
		h_exec_ok(b, "SET auto_retry_limit = 0");
		r = conflict(a, b, "UPDATE rt SET n = n + 10 WHERE id = 1");
		H_CHECK_EQ_STR(tu_state(r), "40001", "no automatic retry with auto_retry_limit = 0");
		PQclear(r);
		h_exec_ok(b, "RESET auto_retry_limit");
	}

	if (!is_pg)
	{
		h_section("metrics");
		long long	retries = tu_metric("pgkv_sql_txn_retries_total") - retries0;
		long long	client = tu_metric("pgkv_sql_txn_client_retry_errors_total") - client0;

		H_CHECK(retries >= 4, "pgkv_sql_txn_retries_total counted the retries (%lld)", retries);
		H_CHECK(client >= 3, "pgkv_sql_txn_client_retry_errors_total counted the 40001s (%lld)", client);
		h_expect_value(b, "SHOW pgkv.session_retries", "4");
	}
	PQfinish(a);
	PQfinish(b);
	return h_done();
}
