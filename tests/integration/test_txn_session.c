/*
 * test_txn_session.c -- transaction behaviour of one session that tests/sql
 * cannot show (notices, timers, closed connections):
 *
 *   idle_in_transaction_session_timeout closes a session idle inside a
 *   transaction with FATAL 25P03 (and not one idle outside a transaction);
 *   READ ONLY transactions refuse writes with 25006, from BEGIN READ ONLY,
 *   SET TRANSACTION READ ONLY and default_transaction_read_only; warnings
 *   25001 for BEGIN inside a transaction and 25P01 for COMMIT / ROLLBACK
 *   outside one; SET changes undone by ROLLBACK TO SAVEPOINT.
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/txn_util.h"

static char last_notice_state[16];
static int	n_notices;

static void
on_notice(void *arg, const PGresult *r)
{
	(void) arg;
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(last_notice_state, sizeof(last_notice_state), "%s", st ? st : "");
	n_notices++;
}

static void
idle_in_transaction(void)
{
	h_section("idle_in_transaction_session_timeout");
	PGconn	   *c = h_connect(NULL);

	h_exec_ok(c, "SET idle_in_transaction_session_timeout = '300ms'");
	h_expect_value(c, "SHOW idle_in_transaction_session_timeout", "300ms");
	/* idle outside a transaction: nothing happens */
	tu_sleep_ms(600);
	h_expect_value(c, "SELECT 1", "1");
	h_exec_ok(c, "BEGIN");
	h_expect_value(c, "SELECT 2", "2");
	/* the FATAL arrives while the client is idle: libpq hands an error
	 * received outside a query to the notice receiver */
	PQsetNoticeReceiver(c, on_notice, NULL);
	last_notice_state[0] = '\0';
	tu_sleep_ms(1000);
	PQconsumeInput(c);
	PGresult   *r = PQexec(c, "SELECT 3");
	const char *msg = PQresultErrorMessage(r);

	H_CHECK(PQresultStatus(r) != PGRES_TUPLES_OK, "a statement after the timeout fails");
	H_CHECK(strcmp(last_notice_state, "25P03") == 0 || strcmp(h_sqlstate(r), "25P03") == 0,
			"FATAL 25P03 idle-in-transaction timeout (got \"%s\" / %s: %s)", last_notice_state,
			h_sqlstate(r), msg ? msg : "");
	PQclear(r);
	r = PQexec(c, "SELECT 4");
	PQclear(r);
	H_CHECK(PQstatus(c) == CONNECTION_BAD, "the session is closed");
	PQfinish(c);
}

static void
read_only(void)
{
	h_section("READ ONLY transactions: 25006");
	PGconn	   *c = h_connect(NULL);
	PGresult   *r;

	h_exec_ok(c, "DROP TABLE IF EXISTS ro_t");
	h_exec_ok(c, "CREATE TABLE ro_t (id int PRIMARY KEY)");
	h_exec_ok(c, "BEGIN READ ONLY");
	h_expect_value(c, "SHOW transaction_read_only", "on");
	h_expect_value(c, "SELECT count(*) FROM ro_t", "0");
	r = PQexec(c, "INSERT INTO ro_t VALUES (1)");
	if (h_expect_status(r, PGRES_FATAL_ERROR, "INSERT in a read-only transaction"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "25006", "SQLSTATE");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "cannot execute INSERT in a read-only transaction", "message");
	}
	PQclear(r);
	h_exec_ok(c, "ROLLBACK");
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "SET TRANSACTION READ ONLY");
	h_expect_error(c, "UPDATE ro_t SET id = 2", "25006");
	h_exec_ok(c, "ROLLBACK");
	h_exec_ok(c, "SET default_transaction_read_only = on");
	h_expect_error(c, "DELETE FROM ro_t", "25006");
	h_expect_error(c, "CREATE TABLE ro_t2 (id int)", "25006");
	h_exec_ok(c, "BEGIN READ WRITE");
	h_exec_ok(c, "INSERT INTO ro_t VALUES (1)");
	h_exec_ok(c, "COMMIT");
	h_exec_ok(c, "RESET default_transaction_read_only");
	h_exec_ok(c, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
	h_expect_value(c, "SHOW default_transaction_read_only", "on");
	h_expect_error(c, "INSERT INTO ro_t VALUES (2)", "25006");
	h_exec_ok(c, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE");
	h_exec_ok(c, "INSERT INTO ro_t VALUES (2)");
	h_expect_value(c, "SELECT count(*) FROM ro_t", "2");
	PQfinish(c);
}

static void
warnings(void)
{
	h_section("warnings: BEGIN inside, COMMIT / ROLLBACK outside a transaction");
	PGconn	   *c = h_connect(NULL);

	PQsetNoticeReceiver(c, on_notice, NULL);
	n_notices = 0;
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "BEGIN");
	H_CHECK_EQ_INT(n_notices, 1, "one warning for BEGIN in a transaction");
	H_CHECK_EQ_STR(last_notice_state, "25001", "SQLSTATE of the BEGIN warning");
	h_exec_ok(c, "COMMIT");
	n_notices = 0;
	h_exec_ok(c, "COMMIT");
	H_CHECK_EQ_INT(n_notices, 1, "one warning for COMMIT outside a transaction");
	H_CHECK_EQ_STR(last_notice_state, "25P01", "SQLSTATE of the COMMIT warning");
	n_notices = 0;
	h_exec_ok(c, "ROLLBACK");
	H_CHECK_EQ_STR(last_notice_state, "25P01", "SQLSTATE of the ROLLBACK warning");
	n_notices = 0;
	h_exec_ok(c, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
	H_CHECK_EQ_STR(last_notice_state, "25P01", "SET TRANSACTION outside a transaction warns");
	PQfinish(c);
}

static void
savepoint_settings(void)
{
	h_section("ROLLBACK TO SAVEPOINT undoes SET");
	PGconn	   *c = h_connect(NULL);

	h_exec_ok(c, "SET DateStyle = 'ISO, MDY'");
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "SET search_path = a1");
	h_exec_ok(c, "SAVEPOINT s");
	h_exec_ok(c, "SET search_path = a2");
	h_exec_ok(c, "SET DateStyle = 'German'");
	h_expect_value(c, "SHOW search_path", "a2");
	h_exec_ok(c, "ROLLBACK TO SAVEPOINT s");
	h_expect_value(c, "SHOW search_path", "a1");
	h_expect_value(c, "SHOW DateStyle", "ISO, MDY");
	h_exec_ok(c, "COMMIT");
	h_expect_value(c, "SHOW search_path", "a1");
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "SAVEPOINT s");
	h_exec_ok(c, "SET search_path = a3");
	h_exec_ok(c, "ROLLBACK TO SAVEPOINT s");
	h_exec_ok(c, "ROLLBACK");
	h_expect_value(c, "SHOW search_path", "a1");
	PQfinish(c);
}

int
main(void)
{
	h_start(NULL);
	idle_in_transaction();
	read_only();
	warnings();
	savepoint_settings();
	return h_done();
}
