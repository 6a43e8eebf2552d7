/*
 * test_txn_locks.c -- row locks between sessions, step by step:
 *
 *   SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE
 *   NOWAIT against a row locked FOR UPDATE: 55P03 'could not obtain lock on
 *   row in relation "t"'; SKIP LOCKED skips it; lock_timeout (55P03
 *   "canceling statement due to lock timeout"); statement_timeout while
 *   waiting for a row lock (57014); a deadlock between two sessions is
 *   reported (40P01 "deadlock detected") to exactly one of them and the other
 *   proceeds; ROLLBACK TO SAVEPOINT releases the row locks taken since it
 *   (the waiting session proceeds while the first is still in its
 *   transaction); an error in a transaction releases its locks at once.
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/txn_util.h"

/* Check column 0 of every row of sql, joined with commas. */
static void
expect_rows(PGconn *c, const char *sql, const char *want)
{
	PGresult   *r = PQexec(c, sql);
	char		got[256] = "";

	if (h_expect_status(r, PGRES_TUPLES_OK, sql))
	{
		for (int i = 0; i < PQntuples(r); i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
					 PQgetvalue(r, i, 0));
		H_CHECK_EQ_STR(got, want, sql);
	}
	PQclear(r);
}

static void
reset_table(PGconn *c)
{
	h_exec_ok(c, "DROP TABLE IF EXISTS lk");
	h_exec_ok(c, "CREATE TABLE lk (id int PRIMARY KEY, n int NOT NULL)");
	h_exec_ok(c, "INSERT INTO lk VALUES (1, 0), (2, 0), (3, 0)");
}

static void
nowait_and_skip_locked(PGconn *a, PGconn *b)
{
	static const char *const modes[] = {"UPDATE", "NO KEY UPDATE", "SHARE", "KEY SHARE"};

	h_section("NOWAIT");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_expect_value(a, "SELECT n FROM lk WHERE id = 1 FOR UPDATE", "0");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
	{
		char		sql[128];
		PGresult   *r;

		snprintf(sql, sizeof(sql), "SELECT n FROM lk WHERE id = 1 FOR %s NOWAIT", modes[i]);
		r = PQexec(b, sql);
		if (h_expect_status(r, PGRES_FATAL_ERROR, sql))
		{
			H_CHECK_EQ_STR(h_sqlstate(r), "55P03", "SQLSTATE of NOWAIT");
			H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
						   "could not obtain lock on row in relation \"lk\"", "message of NOWAIT");
		}
		PQclear(r);
	}
	/* a row nobody holds is locked at once */
	h_exec_ok(b, "BEGIN");
	h_expect_value(b, "SELECT n FROM lk WHERE id = 2 FOR UPDATE NOWAIT", "0");
	h_exec_ok(b, "ROLLBACK");

	h_section("SKIP LOCKED");
	{
		PGresult   *r = PQexec(b, "SELECT id FROM lk ORDER BY id FOR UPDATE SKIP LOCKED");

		if (h_expect_status(r, PGRES_TUPLES_OK, "SKIP LOCKED"))
		{
			H_CHECK_EQ_INT(PQntuples(r), 2, "rows not locked by the other session");
			if (PQntuples(r) == 2)
			{
				H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "2", "first unlocked row");
				H_CHECK_EQ_STR(PQgetvalue(r, 1, 0), "3", "second unlocked row");
			}
		}
		PQclear(r);
	}
	h_exec_ok(a, "COMMIT");
	expect_rows(b, "SELECT id FROM lk ORDER BY id FOR UPDATE SKIP LOCKED", "1,2,3");
}

static void
timeouts(PGconn *a, PGconn *b)
{
	PGresult   *r;
	int64_t		t0,
				el;

	h_section("lock_timeout");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = 1 WHERE id = 1");
	h_exec_ok(b, "SET lock_timeout = '300ms'");
	h_expect_value(b, "SHOW lock_timeout", "300ms");
	t0 = h_now_ms();
	r = PQexec(b, "UPDATE lk SET n = 2 WHERE id = 1");
	el = h_now_ms() - t0;
	if (h_expect_status(r, PGRES_FATAL_ERROR, "UPDATE past lock_timeout"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "55P03", "SQLSTATE of lock_timeout");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "canceling statement due to lock timeout", "message of lock_timeout");
	}
	PQclear(r);
	H_CHECK(el >= 250 && el < 5000, "lock_timeout 300ms waited %lld ms", (long long) el);
	t0 = h_now_ms();
	r = PQexec(b, "SELECT n FROM lk WHERE id = 1 FOR UPDATE");
	el = h_now_ms() - t0;
	H_CHECK_EQ_STR(tu_state(r), "55P03", "SELECT FOR UPDATE past lock_timeout");
	PQclear(r);
	H_CHECK(el >= 250 && el < 5000, "lock_timeout 300ms waited %lld ms", (long long) el);
	h_exec_ok(b, "RESET lock_timeout");

	h_section("statement_timeout while waiting for a row lock");
	h_exec_ok(b, "SET statement_timeout = '400ms'");
	t0 = h_now_ms();
	r = PQexec(b, "UPDATE lk SET n = 2 WHERE id = 1");
	el = h_now_ms() - t0;
	if (h_expect_status(r, PGRES_FATAL_ERROR, "UPDATE past statement_timeout"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "57014", "SQLSTATE of statement_timeout");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "canceling statement due to statement timeout", "message of statement_timeout");
	}
	PQclear(r);
	H_CHECK(el >= 350 && el < 5000, "statement_timeout 400ms waited %lld ms", (long long) el);
	/* inside a transaction: the transaction is aborted */
	h_exec_ok(b, "BEGIN");
	h_expect_error(b, "DELETE FROM lk WHERE id = 1", "57014");
	h_expect_error(b, "SELECT 1", "25P02");
	h_exec_ok(b, "ROLLBACK");
	h_exec_ok(b, "RESET statement_timeout");
	h_exec_ok(a, "COMMIT");
	h_expect_value(b, "SELECT n FROM lk WHERE id = 1", "1");
}

static void
deadlock(PGconn *a, PGconn *b)
{
	PGresult   *ra,
			   *rb;

	h_section("deadlock: 40P01 for exactly one session");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(b, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = n + 1 WHERE id = 1");
	h_exec_ok(b, "UPDATE lk SET n = n + 10 WHERE id = 2");
	tu_send(a, "UPDATE lk SET n = n + 1 WHERE id = 2");
	H_CHECK(tu_blocked(a, 200), "a waits for b's row");
	tu_send(b, "UPDATE lk SET n = n + 10 WHERE id = 1");
	ra = tu_wait(a, 15000);
	rb = tu_wait(b, 15000);
	{
		const char *sa = tu_state(ra),
				   *sb = tu_state(rb);
		bool		a_dead = strcmp(sa, "40P01") == 0,
					b_dead = strcmp(sb, "40P01") == 0;
		PGresult   *victim = a_dead ? ra : rb;

		H_CHECK(a_dead != b_dead, "exactly one deadlock victim (a: \"%s\", b: \"%s\")", sa, sb);
		H_CHECK(strcmp(a_dead ? sb : sa, "") == 0, "the other session's UPDATE succeeded");
		if (a_dead || b_dead)
		{
			H_CHECK_EQ_STR(PQresultErrorField(victim, PG_DIAG_MESSAGE_PRIMARY), "deadlock detected",
						   "deadlock message");
			H_CHECK(PQresultErrorField(victim, PG_DIAG_MESSAGE_DETAIL) != NULL &&
					strstr(PQresultErrorField(victim, PG_DIAG_MESSAGE_DETAIL),
						   "waits for ShareLock on transaction") != NULL,
					"deadlock detail names the waits");
		}
		PQclear(ra);
		PQclear(rb);
		h_exec_ok(a, a_dead ? "ROLLBACK" : "COMMIT");
		h_exec_ok(b, b_dead ? "ROLLBACK" : "COMMIT");
		/* the survivor's two increments, nothing of the victim's */
		h_expect_value(a, "SELECT sum(n) FROM lk", a_dead ? "20" : "2");
	}
}

static void
savepoints(PGconn *a, PGconn *b)
{
	PGresult   *r;

	h_section("ROLLBACK TO SAVEPOINT releases the locks taken since");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = 1 WHERE id = 1");
	h_exec_ok(a, "SAVEPOINT s1");
	h_exec_ok(a, "UPDATE lk SET n = 1 WHERE id = 2");
	h_expect_value(a, "SELECT n FROM lk WHERE id = 3 FOR UPDATE", "0");
	tu_send(b, "UPDATE lk SET n = 5 WHERE id = 2");
	H_CHECK(tu_blocked(b, 300), "b waits for the row a updated after the savepoint");
	h_exec_ok(a, "ROLLBACK TO SAVEPOINT s1");
	r = tu_wait(b, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "b's UPDATE proceeds while a is still in its transaction");
	PQclear(r);
	/* the FOR UPDATE lock went too; the lock taken before the savepoint stays */
	h_expect_value(b, "SELECT n FROM lk WHERE id = 3 FOR UPDATE NOWAIT", "0");
	h_expect_error(b, "SELECT n FROM lk WHERE id = 1 FOR UPDATE NOWAIT", "55P03");
	h_exec_ok(a, "RELEASE SAVEPOINT s1");
	h_exec_ok(a, "COMMIT");
	expect_rows(a, "SELECT n FROM lk ORDER BY id", "1,5,0");

	h_section("an error releases the transaction's locks at once");
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = 2 WHERE id = 1");
	h_expect_error(a, "SELECT 1/0", "22012");
	/* a is aborted but has not sent ROLLBACK yet */
	r = PQexec(b, "SELECT n FROM lk WHERE id = 1 FOR UPDATE NOWAIT");
	H_CHECK_EQ_STR(tu_state(r), "", "the aborted transaction holds no row lock");
	PQclear(r);
	h_exec_ok(a, "ROLLBACK");
	/* inside a savepoint: the error releases what the savepoint took */
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = 3 WHERE id = 1");
	h_exec_ok(a, "SAVEPOINT s2");
	h_exec_ok(a, "UPDATE lk SET n = 3 WHERE id = 2");
	h_expect_error(a, "SELECT 1/0", "22012");
	h_expect_value(b, "SELECT n FROM lk WHERE id = 2 FOR UPDATE NOWAIT", "5");
	h_expect_error(b, "SELECT n FROM lk WHERE id = 1 FOR UPDATE NOWAIT", "55P03");
	h_exec_ok(a, "ROLLBACK TO SAVEPOINT s2");
	h_exec_ok(a, "COMMIT");
	expect_rows(a, "SELECT n FROM lk ORDER BY id", "3,5,0");
}

int
main(void)
{
	h_start(NULL);
	PGconn	   *a = h_connect(NULL);
	PGconn	   *b = h_connect(NULL);

	nowait_and_skip_locked(a, b);
	timeouts(a, b);
	deadlock(a, b);
	savepoints(a, b);
	PQfinish(a);
	PQfinish(b);
	return h_done();
}
