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
 *   Shared row locks: two FOR SHARE (or FOR SHARE and FOR KEY SHARE) on one
 *   row are granted together; FOR UPDATE and UPDATE wait for every sharer;
 *   FOR SHARE waits for FOR UPDATE; NOWAIT and SKIP LOCKED against sharers.
 *   Foreign keys: a child insert share-locks its parent row, so a
 *   concurrent DELETE of the parent waits for it (and the reverse), two
 *   child inserts do not wait for each other.
 *   Deadlock timing: the session that began waiting first runs the check
 *   after deadlock_timeout (1s) and gets 40P01; the other proceeds.
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

/* Send sql on c and collect it within ms: the SQLSTATE ("" = success). */
static const char *
run_within(PGconn *c, const char *sql, int ms)
{
	static char st[16];
	PGresult   *r;

	if (!tu_send(c, sql))
		return "send";
	r = tu_wait(c, ms);
	snprintf(st, sizeof(st), "%s", tu_state(r));
	PQclear(r);
	return st;
}

static void
shared_locks(PGconn *a, PGconn *b, PGconn *c)
{
	PGresult   *r;

	h_section("FOR SHARE: sharers do not block each other");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(b, "BEGIN");
	h_expect_value(a, "SELECT n FROM lk WHERE id = 1 FOR SHARE", "0");
	H_CHECK_EQ_STR(run_within(b, "SELECT n FROM lk WHERE id = 1 FOR SHARE", 2000), "",
				   "a second FOR SHARE of the row is granted at once");
	H_CHECK_EQ_STR(run_within(b, "SELECT n FROM lk WHERE id = 1 FOR KEY SHARE", 2000), "",
				   "FOR KEY SHARE with a FOR SHARE holder");
	/* plain reads are never blocked */
	h_expect_value(c, "SELECT n FROM lk WHERE id = 1", "0");

	h_section("FOR UPDATE waits for every sharer");
	h_exec_ok(c, "BEGIN");
	tu_send(c, "SELECT n FROM lk WHERE id = 1 FOR UPDATE");
	H_CHECK(tu_blocked(c, 300), "FOR UPDATE waits for the sharers");
	h_exec_ok(a, "COMMIT");
	H_CHECK(tu_blocked(c, 300), "FOR UPDATE still waits for the other sharer");
	h_exec_ok(b, "COMMIT");
	r = tu_wait(c, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "FOR UPDATE proceeds once the sharers committed");
	PQclear(r);

	h_section("FOR SHARE waits for FOR UPDATE");
	h_exec_ok(a, "BEGIN");
	tu_send(a, "SELECT n FROM lk WHERE id = 1 FOR SHARE");
	H_CHECK(tu_blocked(a, 300), "FOR SHARE waits for the FOR UPDATE holder");
	h_expect_error(b, "SELECT n FROM lk WHERE id = 1 FOR SHARE NOWAIT", "55P03");
	h_exec_ok(c, "UPDATE lk SET n = 5 WHERE id = 1");
	h_exec_ok(c, "COMMIT");
	r = tu_wait(a, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "FOR SHARE proceeds after the holder's commit");
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "5", "FOR SHARE sees the committed update");
	PQclear(r);
	h_exec_ok(a, "COMMIT");

	h_section("NOWAIT and SKIP LOCKED against a sharer");
	h_exec_ok(a, "BEGIN");
	h_expect_value(a, "SELECT n FROM lk WHERE id = 3 FOR SHARE", "0");
	h_expect_error(b, "SELECT n FROM lk WHERE id = 3 FOR UPDATE NOWAIT", "55P03");
	h_expect_error(b, "SELECT n FROM lk WHERE id = 3 FOR NO KEY UPDATE NOWAIT", "55P03");
	h_expect_value(b, "SELECT n FROM lk WHERE id = 3 FOR SHARE NOWAIT", "0");
	h_expect_value(b, "SELECT n FROM lk WHERE id = 3 FOR KEY SHARE NOWAIT", "0");
	expect_rows(b, "SELECT id FROM lk ORDER BY id FOR UPDATE SKIP LOCKED", "1,2");
	expect_rows(b, "SELECT id FROM lk ORDER BY id FOR SHARE SKIP LOCKED", "1,2,3");

	h_section("UPDATE of a share-locked row waits");
	tu_send(b, "UPDATE lk SET n = 7 WHERE id = 3");
	H_CHECK(tu_blocked(b, 300), "UPDATE waits for the sharer");
	h_exec_ok(a, "COMMIT");
	r = tu_wait(b, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "UPDATE proceeds after the sharer's commit");
	PQclear(r);
	h_expect_value(a, "SELECT n FROM lk WHERE id = 3", "7");
}

static void
fk_locks(PGconn *a, PGconn *b)
{
	PGresult   *r;

	h_section("foreign keys: a child insert and a parent delete wait for each other");
	h_exec_ok(a, "DROP TABLE IF EXISTS fkc");
	h_exec_ok(a, "DROP TABLE IF EXISTS fkp");
	h_exec_ok(a, "CREATE TABLE fkp (id int PRIMARY KEY)");
	h_exec_ok(a, "CREATE TABLE fkc (id int PRIMARY KEY, p int REFERENCES fkp (id))");
	h_exec_ok(a, "INSERT INTO fkp VALUES (1), (2), (3), (4)");

	/* the child's insert first: the delete waits, then fails or succeeds */
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "INSERT INTO fkc VALUES (1, 1)");
	tu_send(b, "DELETE FROM fkp WHERE id = 1");
	H_CHECK(tu_blocked(b, 300), "DELETE of the parent waits for the child's insert");
	h_exec_ok(a, "COMMIT");
	r = tu_wait(b, 5000);
	H_CHECK_EQ_STR(tu_state(r), "23503", "the parent is referenced once the child committed");
	PQclear(r);

	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "INSERT INTO fkc VALUES (2, 2)");
	tu_send(b, "DELETE FROM fkp WHERE id = 2");
	H_CHECK(tu_blocked(b, 300), "DELETE of the parent waits for the child's insert");
	h_exec_ok(a, "ROLLBACK");
	r = tu_wait(b, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "the delete succeeds after the child's rollback");
	PQclear(r);

	/* the parent's delete first: the child's insert waits */
	h_exec_ok(b, "BEGIN");
	h_exec_ok(b, "DELETE FROM fkp WHERE id = 3");
	tu_send(a, "INSERT INTO fkc VALUES (3, 3)");
	H_CHECK(tu_blocked(a, 300), "the child's insert waits for the parent's delete");
	h_exec_ok(b, "COMMIT");
	r = tu_wait(a, 5000);
	H_CHECK_EQ_STR(tu_state(r), "23503", "no parent after the delete committed");
	PQclear(r);

	h_exec_ok(b, "BEGIN");
	h_exec_ok(b, "DELETE FROM fkp WHERE id = 4");
	tu_send(a, "INSERT INTO fkc VALUES (4, 4)");
	H_CHECK(tu_blocked(a, 300), "the child's insert waits for the parent's delete");
	h_exec_ok(b, "ROLLBACK");
	r = tu_wait(a, 5000);
	H_CHECK_EQ_STR(tu_state(r), "", "the insert succeeds after the delete's rollback");
	PQclear(r);

	/* two children of one parent do not wait for each other */
	h_exec_ok(a, "BEGIN");
	h_exec_ok(b, "BEGIN");
	h_exec_ok(a, "INSERT INTO fkc VALUES (5, 4)");
	H_CHECK_EQ_STR(run_within(b, "INSERT INTO fkc VALUES (6, 4)", 2000), "",
				   "a second child insert is not blocked");
	h_exec_ok(a, "COMMIT");
	h_exec_ok(b, "COMMIT");
	h_expect_value(a, "SELECT count(*) FROM fkc WHERE p = 4", "3");
	h_exec_ok(a, "DROP TABLE fkc");
	h_exec_ok(a, "DROP TABLE fkp");
}

static void
deadlock_first_waiter(PGconn *a, PGconn *b)
{
	PGresult   *ra,
			   *rb;
	int64_t		t0,
				el;

	h_section("deadlock: the session that waited first gets 40P01 after deadlock_timeout");
	h_expect_value(a, "SHOW deadlock_timeout", "1s");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(b, "BEGIN");
	h_exec_ok(a, "UPDATE lk SET n = n + 1 WHERE id = 1");
	h_exec_ok(b, "UPDATE lk SET n = n + 10 WHERE id = 2");
	t0 = h_now_ms();
	tu_send(a, "UPDATE lk SET n = n + 1 WHERE id = 2");
	H_CHECK(tu_blocked(a, 200), "a waits for b's row");
	tu_send(b, "UPDATE lk SET n = n + 10 WHERE id = 1");
	ra = tu_wait(a, 10000);
	el = h_now_ms() - t0;
	H_CHECK_EQ_STR(tu_state(ra), "40P01", "the first waiter is the deadlock victim");
	H_CHECK(el >= 800 && el < 5000, "reported after about deadlock_timeout (%lld ms)", (long long) el);
	rb = tu_wait(b, 10000);
	H_CHECK_EQ_STR(tu_state(rb), "", "the second waiter proceeds");
	PQclear(ra);
	PQclear(rb);
	h_exec_ok(a, "ROLLBACK");
	h_exec_ok(b, "COMMIT");
	h_expect_value(a, "SELECT sum(n) FROM lk", "20");
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
	PGconn	   *c = h_connect(NULL);

	nowait_and_skip_locked(a, b);
	timeouts(a, b);
	deadlock(a, b);
	deadlock_first_waiter(a, b);
	shared_locks(a, b, c);
	fk_locks(a, b);
	savepoints(a, b);
	PQfinish(a);
	PQfinish(b);
	PQfinish(c);
	return h_done();
}
