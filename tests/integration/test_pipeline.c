/*
 * test_pipeline.c -- libpq pipeline mode: several queries sent before one
 * Sync; an error in the middle makes the following queries of the batch
 * PGRES_PIPELINE_ABORTED until the Sync; the next batch works; pipelines
 * inside an explicit transaction; many queries in flight.
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Next result of the pipeline, skipping nothing; fails the check when
 * libpq has none (a NULL between queries is expected and consumed by
 * next_query_end). */
static PGresult *
next_result(PGconn *c, const char *what)
{
	PGresult   *r = PQgetResult(c);

	if (r == NULL)
		H_CHECK(false, "%s: no result (%s)", what, PQerrorMessage(c));
	return r;
}

/* After each query's result libpq returns NULL once. */
static void
next_query_end(PGconn *c, const char *what)
{
	PGresult   *r = PQgetResult(c);

	H_CHECK(r == NULL, "%s: NULL after the query's result (got %s)", what,
			r ? PQresStatus(PQresultStatus(r)) : "NULL");
	PQclear(r);
}

static void
expect_value_result(PGconn *c, const char *want, const char *what)
{
	PGresult   *r = next_result(c, what);

	if (r && h_expect_status(r, PGRES_TUPLES_OK, what))
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), want, what);
	PQclear(r);
	next_query_end(c, what);
}

static void
expect_status_result(PGconn *c, ExecStatusType st, const char *sqlstate, const char *what)
{
	PGresult   *r = next_result(c, what);

	if (r && h_expect_status(r, st, what) && sqlstate)
		H_CHECK_EQ_STR(h_sqlstate(r), sqlstate, what);
	PQclear(r);
	if (st != PGRES_PIPELINE_SYNC)
		next_query_end(c, what);
}

static void
send_int_query(PGconn *c, const char *sql, const char *arg)
{
	const char *pv[1] = {arg};

	H_CHECK(PQsendQueryParams(c, sql, arg ? 1 : 0, NULL, arg ? pv : NULL, NULL, NULL, 0) == 1,
			"PQsendQueryParams(%s): %s", sql, PQerrorMessage(c));
}

static void
test_basic(PGconn *c)
{
	h_section("a batch of three, then Sync");
	H_CHECK(PQenterPipelineMode(c) == 1, "PQenterPipelineMode");
	H_CHECK(PQpipelineStatus(c) == PQ_PIPELINE_ON, "pipeline on");
	send_int_query(c, "select $1::int4 + 1", "1");
	send_int_query(c, "select $1::text || 'b'", "a");
	send_int_query(c, "select 3", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "PQpipelineSync");
	expect_value_result(c, "2", "first query");
	expect_value_result(c, "ab", "second query");
	expect_value_result(c, "3", "third query");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync");
	H_CHECK(PQexitPipelineMode(c) == 1, "PQexitPipelineMode: %s", PQerrorMessage(c));
	h_expect_value(c, "select 'after pipeline'", "after pipeline");
}

static void
test_error_in_middle(PGconn *c)
{
	h_section("an error in the middle aborts the rest until Sync");
	H_CHECK(PQenterPipelineMode(c) == 1, "PQenterPipelineMode");
	send_int_query(c, "select $1::int4", "10");
	send_int_query(c, "select 1 / $1::int4", "0");
	send_int_query(c, "select $1::int4", "12");
	send_int_query(c, "select 13", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "PQpipelineSync");
	/* the next batch goes out before the first one's results are read */
	send_int_query(c, "select $1::int4 * 2", "21");
	send_int_query(c, "select 'second batch'", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "PQpipelineSync 2");

	expect_value_result(c, "10", "query before the error");
	expect_status_result(c, PGRES_FATAL_ERROR, "22012", "the failing query");
	expect_status_result(c, PGRES_PIPELINE_ABORTED, NULL, "query after the error");
	expect_status_result(c, PGRES_PIPELINE_ABORTED, NULL, "second query after the error");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync of the failed batch");
	expect_value_result(c, "42", "first query of the next batch");
	expect_value_result(c, "second batch", "second query of the next batch");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync of the next batch");
	H_CHECK(PQexitPipelineMode(c) == 1, "PQexitPipelineMode: %s", PQerrorMessage(c));
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle after the batches");
}

static void
test_in_transaction(PGconn *c)
{
	h_section("pipeline inside an explicit transaction");
	H_CHECK(PQenterPipelineMode(c) == 1, "PQenterPipelineMode");
	send_int_query(c, "BEGIN", NULL);
	send_int_query(c, "select 1", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "sync 1");
	send_int_query(c, "select 1/0", NULL);
	send_int_query(c, "select 2", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "sync 2");
	send_int_query(c, "select 3", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "sync 3");
	send_int_query(c, "ROLLBACK", NULL);
	send_int_query(c, "select 4", NULL);
	H_CHECK(PQpipelineSync(c) == 1, "sync 4");

	expect_status_result(c, PGRES_COMMAND_OK, NULL, "BEGIN");
	expect_value_result(c, "1", "select 1 in the transaction");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync 1");
	/* (PQtransactionStatus says ACTIVE while later batches are in flight;
	 * the 25P02 below proves the transaction outlived the Syncs) */
	expect_status_result(c, PGRES_FATAL_ERROR, "22012", "1/0 in the transaction");
	expect_status_result(c, PGRES_PIPELINE_ABORTED, NULL, "select 2 after the error");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync 2");
	/* a new batch in a failed transaction: 25P02 */
	expect_status_result(c, PGRES_FATAL_ERROR, "25P02", "select 3 in the failed transaction");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync 3");
	expect_status_result(c, PGRES_COMMAND_OK, NULL, "ROLLBACK");
	expect_value_result(c, "4", "select 4 after ROLLBACK");
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync 4");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "IDLE at the end");
	H_CHECK(PQexitPipelineMode(c) == 1, "PQexitPipelineMode: %s", PQerrorMessage(c));
}

static void
test_prepared_in_pipeline(PGconn *c)
{
	h_section("prepared statements in a pipeline");
	H_CHECK(PQenterPipelineMode(c) == 1, "PQenterPipelineMode");
	H_CHECK(PQsendPrepare(c, "pp", "select $1::int8 * 10", 0, NULL) == 1, "PQsendPrepare");
	for (int i = 0; i < 5; i++)
	{
		char		v[8];
		const char *pv = v;

		snprintf(v, sizeof(v), "%d", i);
		H_CHECK(PQsendQueryPrepared(c, "pp", 1, &pv, NULL, NULL, 0) == 1,
				"PQsendQueryPrepared");
	}
	H_CHECK(PQsendDescribePrepared(c, "pp") == 1, "PQsendDescribePrepared");
	H_CHECK(PQpipelineSync(c) == 1, "sync");
	expect_status_result(c, PGRES_COMMAND_OK, NULL, "prepare in pipeline");
	for (int i = 0; i < 5; i++)
	{
		char		want[8];

		snprintf(want, sizeof(want), "%d", i * 10);
		expect_value_result(c, want, "execute in pipeline");
	}
	{
		PGresult   *r = next_result(c, "describe in pipeline");

		if (r && h_expect_status(r, PGRES_COMMAND_OK, "describe in pipeline"))
		{
			H_CHECK_EQ_INT(PQnparams(r), 1, "described parameters");
			H_CHECK_EQ_INT(PQparamtype(r, 0), 20, "described parameter type");
		}
		PQclear(r);
		next_query_end(c, "describe in pipeline");
	}
	expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync");
	H_CHECK(PQexitPipelineMode(c) == 1, "PQexitPipelineMode");
}

static void
test_many(PGconn *c)
{
	const int	n = 500;
	int			bad = 0;

	h_section("500 queries in one batch");
	H_CHECK(PQenterPipelineMode(c) == 1, "PQenterPipelineMode");
	H_CHECK(PQsetnonblocking(c, 0) == 0, "blocking mode");
	for (int i = 0; i < n; i++)
	{
		char		v[16];
		const char *pv = v;

		snprintf(v, sizeof(v), "%d", i);
		if (PQsendQueryParams(c, "select $1::int4", 1, NULL, &pv, NULL, NULL, 0) != 1)
		{
			H_CHECK(false, "send %d: %s", i, PQerrorMessage(c));
			break;
		}
	}
	H_CHECK(PQpipelineSync(c) == 1, "sync");
	for (int i = 0; i < n; i++)
	{
		char		want[16];
		PGresult   *r = PQgetResult(c);

		snprintf(want, sizeof(want), "%d", i);
		if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK ||
			strcmp(PQgetvalue(r, 0, 0), want) != 0)
			bad++;
		PQclear(r);
		r = PQgetResult(c);
		if (r != NULL)
			bad++;
		PQclear(r);
		if (bad > 0)
			break;
	}
	H_CHECK(bad == 0, "500 results in order");
	if (bad == 0)
		expect_status_result(c, PGRES_PIPELINE_SYNC, NULL, "sync");
	H_CHECK(PQexitPipelineMode(c) == 1, "PQexitPipelineMode");
}

int
main(void)
{
	PGconn	   *c;

	h_start(NULL);
	c = h_connect(NULL);
	test_basic(c);
	test_error_in_middle(c);
	test_in_transaction(c);
	test_prepared_in_pipeline(c);
	test_many(c);
	h_expect_value(c, "select 'done'", "done");
	PQfinish(c);
	return h_done();
}
