/*
 * test_cancel.c -- query cancellation: `select pg_sleep(30)` running on one
 * connection, PQcancel from another thread after 300 ms, error 57014 within
 * a few seconds, the connection usable afterwards; the same inside an
 * explicit transaction (which is then aborted); a CancelRequest with a wrong
 * key cancels nothing; a cancel of an idle session is harmless.
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct canceller {
	PGconn	   *conn;
	int			delay_ms;
	int			rc;				/* PQcancel's return */
	char		err[256];
} canceller;

static void *
cancel_thread(void *arg)
{
	canceller  *cl = arg;
	struct timespec ts = {cl->delay_ms / 1000, (long) (cl->delay_ms % 1000) * 1000000L};
	PGcancel   *pc;

	nanosleep(&ts, NULL);
	pc = PQgetCancel(cl->conn);
	cl->rc = pc ? PQcancel(pc, cl->err, sizeof(cl->err)) : 0;
	PQfreeCancel(pc);
	return NULL;
}

/* Run sql on c while another thread cancels it after delay_ms; check the
 * result is 57014 and arrives within limit_ms of the start. */
static void
run_cancelled(PGconn *c, const char *sql, int delay_ms, int limit_ms)
{
	pthread_t	th;
	canceller	cl = {c, delay_ms, 0, ""};
	int64_t		t0 = h_now_ms(), elapsed;
	PGresult   *r;

	H_CHECK(pthread_create(&th, NULL, cancel_thread, &cl) == 0, "start the cancel thread");
	r = PQexec(c, sql);
	elapsed = h_now_ms() - t0;
	pthread_join(th, NULL);
	H_CHECK(cl.rc == 1, "PQcancel returned 1 (%s)", cl.err);
	if (h_expect_status(r, PGRES_FATAL_ERROR, "cancelled query"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "57014", "SQLSTATE of a cancelled query");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "canceling statement due to user request", "message");
	}
	H_CHECK(elapsed >= delay_ms && elapsed < limit_ms,
			"cancelled after %lld ms (sent at %d ms, limit %d ms)", (long long) elapsed,
			delay_ms, limit_ms);
	PQclear(r);
}

static void
test_cancel_running(PGconn *c)
{
	h_section("cancel a running pg_sleep(30)");
	run_cancelled(c, "select pg_sleep(30)", 300, 5000);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connection still open");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle after the cancel");
	h_expect_value(c, "select 'usable after cancel'", "usable after cancel");
	/* twice on the same connection */
	run_cancelled(c, "select pg_sleep(30)", 300, 5000);
	h_expect_value(c, "select 2", "2");
}

static void
test_cancel_in_transaction(PGconn *c)
{
	h_section("cancel inside a transaction");
	h_exec_ok(c, "BEGIN");
	h_expect_value(c, "select 1", "1");
	run_cancelled(c, "select pg_sleep(30)", 300, 5000);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_INERROR, "INERROR after cancel in a transaction");
	h_expect_error(c, "select 1", "25P02");
	h_exec_ok(c, "ROLLBACK");
	h_expect_value(c, "select 'after rollback'", "after rollback");
}

static void
test_cancel_async(PGconn *c)
{
	PGresult   *r;
	int64_t		t0;
	PGcancel   *pc;
	char		err[256] = "";

	h_section("cancel from the same thread while the query runs asynchronously");
	H_CHECK(PQsendQuery(c, "select pg_sleep(30)") == 1, "PQsendQuery");
	usleep(300 * 1000);
	t0 = h_now_ms();
	pc = PQgetCancel(c);
	H_CHECK(PQcancel(pc, err, sizeof(err)) == 1, "PQcancel: %s", err);
	PQfreeCancel(pc);
	r = PQgetResult(c);
	if (h_expect_status(r, PGRES_FATAL_ERROR, "async cancelled query"))
		H_CHECK_EQ_STR(h_sqlstate(r), "57014", "SQLSTATE");
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	H_CHECK(h_now_ms() - t0 < 5000, "answer within 5 s of the cancel (%lld ms)",
			(long long) (h_now_ms() - t0));
	h_expect_value(c, "select 3", "3");
}

/* A CancelRequest with the wrong secret must not cancel anything. */
static void
test_wrong_key(PGconn *c)
{
	PGresult   *r;
	int			fd;
	h_msg		m = {0};

	h_section("CancelRequest with a wrong key");
	H_CHECK(PQsendQuery(c, "select pg_sleep(1), 'not cancelled'") == 1, "PQsendQuery");
	usleep(200 * 1000);
	fd = h_raw_connect();
	H_CHECK(fd >= 0, "connect for the CancelRequest");
	if (fd >= 0)
	{
		h_msg_begin(&m, 0);
		h_msg_int32(&m, 80877102);
		h_msg_int32(&m, PQbackendPID(c));
		h_msg_int32(&m, 0x12345678);	/* not the secret (1 in 2^32 that it is) */
		h_msg_end(&m);
		H_CHECK(h_raw_send(fd, m.data, m.len), "send CancelRequest");
		H_CHECK(h_raw_drain_to_close(fd, 5000) == H_RAW_CLOSED,
				"the server closes a CancelRequest connection without an answer");
		close(fd);
	}
	h_msg_free(&m);
	r = PQgetResult(c);
	if (h_expect_status(r, PGRES_TUPLES_OK, "query with a wrongly keyed cancel"))
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 1), "not cancelled", "value");
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
}

static void
test_cancel_idle(PGconn *c)
{
	PGcancel   *pc = PQgetCancel(c);
	char		err[256] = "";

	h_section("cancel an idle session");
	H_CHECK(PQcancel(pc, err, sizeof(err)) == 1, "PQcancel of an idle session: %s", err);
	PQfreeCancel(pc);
	usleep(200 * 1000);
	h_expect_value(c, "select 'idle cancel is harmless'", "idle cancel is harmless");
	h_expect_value(c, "select 4", "4");
}

int
main(void)
{
	PGconn	   *c, *other;

	h_start(NULL);
	c = h_connect(NULL);
	other = h_connect(NULL);
	test_cancel_running(c);
	test_cancel_in_transaction(c);
	test_cancel_async(c);
	test_wrong_key(c);
	test_cancel_idle(c);
	/* the other session was never touched */
	h_expect_value(other, "select 'other session fine'", "other session fine");
	PQfinish(other);
	PQfinish(c);
	return h_done();
}
