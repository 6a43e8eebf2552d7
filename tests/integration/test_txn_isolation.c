/*
 * test_txn_isolation.c -- isolation levels, two sessions driven step by step:
 *
 *   READ COMMITTED   a concurrent "n = n + 1" waits for the row lock and then
 *                    applies to the committed row (no lost increment, no
 *                    error); each statement sees what committed before it
 *   REPEATABLE READ  one snapshot for the transaction; updating a row changed
 *                    after it fails with 40001 "could not serialize access
 *                    due to concurrent update", also after waiting for the
 *                    lock of the transaction that changed it
 *   SERIALIZABLE     write skew (each reads what the other writes) is
 *                    refused with 40001 for exactly one of the two; a
 *                    read-only serializable transaction commits
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/txn_util.h"

static void
reset_table(PGconn *c)
{
	h_exec_ok(c, "DROP TABLE IF EXISTS iso_t");
	h_exec_ok(c, "CREATE TABLE iso_t (id int PRIMARY KEY, n int NOT NULL)");
	h_exec_ok(c, "INSERT INTO iso_t VALUES (1, 0), (2, 0), (3, 0)");
}

static void
read_committed(PGconn *a, PGconn *b)
{
	h_section("READ COMMITTED: no lost increment");
	reset_table(a);
	h_exec_ok(a, "BEGIN");
	h_exec_ok(a, "UPDATE iso_t SET n = n + 1 WHERE id = 1");
	tu_send(b, "UPDATE iso_t SET n = n + 1 WHERE id = 1");
	H_CHECK(tu_blocked(b, 300), "the second UPDATE waits for the first one's row lock");
	h_exec_ok(a, "COMMIT");
	PGresult   *r = tu_wait(b, 10000);

	if (h_expect_status(r, PGRES_COMMAND_OK, "waiting UPDATE"))
		H_CHECK_EQ_STR(PQcmdTuples(r), "1", "the waiting UPDATE updated the committed row");
	PQclear(r);
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "2");

	h_section("READ COMMITTED: a fresh snapshot per statement");
	h_exec_ok(a, "BEGIN");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 2", "0");
	h_exec_ok(b, "UPDATE iso_t SET n = 5 WHERE id = 2");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 2", "5");
	/* the UPDATE re-checks its WHERE on the latest version */
	h_exec_ok(b, "UPDATE iso_t SET n = 7 WHERE id = 3");
	r = PQexec(a, "UPDATE iso_t SET n = n * 10 WHERE n = 7");
	if (h_expect_status(r, PGRES_COMMAND_OK, "UPDATE ... WHERE n = 7"))
		H_CHECK_EQ_STR(PQcmdTuples(r), "1", "UPDATE sees the row committed before it");
	PQclear(r);
	h_exec_ok(a, "COMMIT");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 3", "70");
}

static void
repeatable_read(PGconn *a, PGconn *b)
{
	h_section("REPEATABLE READ: one snapshot");
	reset_table(a);
	h_exec_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	h_expect_value(a, "SHOW transaction_isolation", "repeatable read");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "0");
	h_exec_ok(b, "UPDATE iso_t SET n = 1 WHERE id = 1");
	h_exec_ok(b, "INSERT INTO iso_t VALUES (4, 4)");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "0");
	h_expect_value(a, "SELECT count(*) FROM iso_t", "3");

	h_section("REPEATABLE READ: 40001 on a row changed after the snapshot");
	PGresult   *r = PQexec(a, "UPDATE iso_t SET n = n + 1 WHERE id = 1");

	if (h_expect_status(r, PGRES_FATAL_ERROR, "UPDATE of a changed row"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "40001", "SQLSTATE");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "could not serialize access due to concurrent update", "message");
	}
	PQclear(r);
	h_expect_error(a, "SELECT 1", "25P02");
	h_exec_ok(a, "ROLLBACK");
	/* rows unchanged since the snapshot can be written */
	h_exec_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 2", "0");
	h_exec_ok(b, "UPDATE iso_t SET n = 9 WHERE id = 3");
	h_exec_ok(a, "UPDATE iso_t SET n = n + 1 WHERE id = 2");
	h_exec_ok(a, "COMMIT");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 2", "1");

	h_section("REPEATABLE READ: 40001 after waiting for the writer's lock");
	h_exec_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "1");
	h_exec_ok(b, "BEGIN");
	h_exec_ok(b, "UPDATE iso_t SET n = 100 WHERE id = 1");
	tu_send(a, "UPDATE iso_t SET n = n + 1 WHERE id = 1");
	H_CHECK(tu_blocked(a, 300), "the RR UPDATE waits for the row lock");
	h_exec_ok(b, "COMMIT");
	r = tu_wait(a, 10000);
	H_CHECK_EQ_STR(tu_state(r), "40001", "RR UPDATE after the holder committed");
	PQclear(r);
	h_exec_ok(a, "ROLLBACK");
	/* ... but not when the holder rolled back */
	h_exec_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "100");
	h_exec_ok(b, "BEGIN");
	h_exec_ok(b, "UPDATE iso_t SET n = 200 WHERE id = 1");
	tu_send(a, "UPDATE iso_t SET n = n + 1 WHERE id = 1");
	H_CHECK(tu_blocked(a, 300), "the RR UPDATE waits for the row lock");
	h_exec_ok(b, "ROLLBACK");
	r = tu_wait(a, 10000);
	H_CHECK_EQ_STR(tu_state(r), "", "RR UPDATE after the holder rolled back");
	PQclear(r);
	h_exec_ok(a, "COMMIT");
	h_expect_value(a, "SELECT n FROM iso_t WHERE id = 1", "101");
}

/* Step on connection c; count a 40001 (and roll c back), fail on others. */
static bool
skew_step(PGconn *c, const char *sql, int *n40001, bool *dead)
{
	if (*dead)
		return false;
	const char *st = tu_exec_state(c, sql);

	if (strcmp(st, "40001") == 0)
	{
		(*n40001)++;
		*dead = true;
		h_exec_ok(c, "ROLLBACK");
		return false;
	}
	H_CHECK(st[0] == '\0', "\"%s\" succeeded (SQLSTATE %s)", sql, st);
	return true;
}

static void
serializable(PGconn *a, PGconn *b)
{
	h_section("SERIALIZABLE: write skew refused");
	h_exec_ok(a, "DROP TABLE IF EXISTS doctors");
	h_exec_ok(a, "CREATE TABLE doctors (id int PRIMARY KEY, on_call bool NOT NULL)");
	for (int round = 0; round < 2; round++)
	{
		int			n40001 = 0;
		bool		adead = false,
					bdead = false;

		h_exec_ok(a, "DELETE FROM doctors");
		h_exec_ok(a, "INSERT INTO doctors VALUES (1, true), (2, true)");
		/* round 1: the two write different rows; round 2: a insert into
		 * the range b scanned (a phantom) */
		skew_step(a, "BEGIN ISOLATION LEVEL SERIALIZABLE", &n40001, &adead);
		skew_step(b, "BEGIN ISOLATION LEVEL SERIALIZABLE", &n40001, &bdead);
		skew_step(a, "SELECT count(*) FROM doctors WHERE on_call", &n40001, &adead);
		skew_step(b, "SELECT count(*) FROM doctors WHERE on_call", &n40001, &bdead);
		if (round == 0)
		{
			skew_step(a, "UPDATE doctors SET on_call = false WHERE id = 1", &n40001, &adead);
			skew_step(b, "UPDATE doctors SET on_call = false WHERE id = 2", &n40001, &bdead);
		}
		else
		{
			skew_step(a, "INSERT INTO doctors VALUES (3, true)", &n40001, &adead);
			skew_step(b, "INSERT INTO doctors VALUES (4, true)", &n40001, &bdead);
		}
		skew_step(a, "COMMIT", &n40001, &adead);
		skew_step(b, "COMMIT", &n40001, &bdead);
		H_CHECK_EQ_INT(n40001, 1, "40001 for exactly one of the two transactions");
		h_expect_value(a, "SELECT count(*) FROM doctors WHERE on_call", round == 0 ? "1" : "3");
	}

	h_section("SERIALIZABLE: serial transactions and read-only ones commit");
	h_exec_ok(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
	h_expect_value(a, "SELECT count(*) FROM doctors", "3");
	h_exec_ok(a, "UPDATE doctors SET on_call = true");
	h_exec_ok(a, "COMMIT");
	h_exec_ok(a, "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY");
	h_expect_value(a, "SELECT count(*) FROM doctors WHERE on_call", "3");
	h_exec_ok(b, "UPDATE doctors SET on_call = false WHERE id = 3");
	h_expect_value(a, "SELECT count(*) FROM doctors WHERE on_call", "3");
	h_exec_ok(a, "COMMIT");
	h_expect_value(a, "SELECT count(*) FROM doctors WHERE on_call", "2");
}

int
main(void)
{
	h_start(NULL);
	PGconn	   *a = h_connect(NULL);
	PGconn	   *b = h_connect(NULL);

	read_committed(a, b);
	repeatable_read(a, b);
	serializable(a, b);
	PQfinish(a);
	PQfinish(b);
	return h_done();
}
