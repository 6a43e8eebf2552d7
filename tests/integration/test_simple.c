/*
 * test_simple.c -- simple query protocol through libpq: values, column names,
 * type OIDs and command tags; multi-statement Query strings; empty queries;
 * syntax errors with positions; SET/SHOW/RESET and ParameterStatus; the
 * transaction status byte; startup ParameterStatus values.
 *
 * Every expectation here is PostgreSQL 15's behaviour (the test passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <stdlib.h>
#include <string.h>

static void test_constants(PGconn *c);
static void test_batches(PGconn *c);
static void test_empty_and_syntax(PGconn *c);
static void test_settings(PGconn *c);
static void test_transactions(PGconn *c);
static void test_startup_params(PGconn *c);
static void test_sslmode_prefer(void);

/* Send sql with PQsendQuery and collect every result (at most max). */
static int
collect_results(PGconn *c, const char *sql, PGresult **out, int max)
{
	int			n = 0;
	PGresult   *r;

	if (!PQsendQuery(c, sql))
	{
		H_CHECK(false, "PQsendQuery(%s): %s", sql, PQerrorMessage(c));
		return 0;
	}
	while ((r = PQgetResult(c)) != NULL)
	{
		if (n < max)
			out[n++] = r;
		else
			PQclear(r);
	}
	return n;
}

static void
clear_all(PGresult **r, int n)
{
	for (int i = 0; i < n; i++)
		PQclear(r[i]);
}

static void
test_constants(PGconn *c)
{
	PGresult   *r;

	h_section("constants, names, types, tags");
	h_expect_value(c, "select 1", "1");

	r = PQexec(c, "select 1");
	if (h_expect_status(r, PGRES_TUPLES_OK, "select 1"))
	{
		H_CHECK_EQ_STR(PQcmdStatus(r), "SELECT 1", "tag of select 1");
		H_CHECK_EQ_STR(PQcmdTuples(r), "1", "PQcmdTuples of select 1");
		H_CHECK_EQ_STR(PQfname(r, 0), "?column?", "column name of select 1");
		H_CHECK_EQ_INT(PQftype(r, 0), 23, "type of select 1");
		H_CHECK_EQ_INT(PQfformat(r, 0), 0, "format of select 1");
	}
	PQclear(r);

	r = PQexec(c, "select 1 as a, 'x' as b, 2.5::numeric(5,2), true, null::int, 1::int8 * 3");
	if (h_expect_status(r, PGRES_TUPLES_OK, "select of six constants"))
	{
		static const char *const names[] = {"a", "b", "numeric", "?column?", "int4", "?column?"};
		static const Oid types[] = {23, 25, 1700, 16, 23, 20};
		static const char *const values[] = {"1", "x", "2.50", "t", NULL, "3"};

		H_CHECK_EQ_INT(PQnfields(r), 6, "number of columns");
		H_CHECK_EQ_INT(PQntuples(r), 1, "number of rows");
		for (int i = 0; i < 6 && i < PQnfields(r); i++)
		{
			char		what[64];

			snprintf(what, sizeof(what), "column %d name", i);
			H_CHECK_EQ_STR(PQfname(r, i), names[i], what);
			snprintf(what, sizeof(what), "column %d type", i);
			H_CHECK_EQ_INT(PQftype(r, i), types[i], what);
			snprintf(what, sizeof(what), "column %d value", i);
			H_CHECK_EQ_STR(PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i), values[i], what);
		}
		/* numeric(5,2): typmod ((5 << 16) | 2) + 4 */
		H_CHECK_EQ_INT(PQfmod(r, 2), ((5 << 16) | 2) + 4, "numeric(5,2) typmod");
		H_CHECK_EQ_INT(PQfmod(r, 0), -1, "int4 typmod");
		H_CHECK_EQ_INT(PQfsize(r, 0), 4, "int4 typlen");
		H_CHECK_EQ_INT(PQfsize(r, 5), 8, "int8 typlen");
		H_CHECK_EQ_INT(PQfsize(r, 1), -1, "text typlen");
		H_CHECK_EQ_INT(PQftable(r, 0), 0, "table oid of a constant");
		H_CHECK_EQ_STR(PQcmdStatus(r), "SELECT 1", "tag");
	}
	PQclear(r);

	h_expect_value(c, "select 'it''s'", "it's");
	h_expect_value(c, "select -2147483648::int8 - 1", "-2147483649");
	h_expect_value(c, "select 7 / 2", "3");
	h_expect_value(c, "select 1.5::float8 * 2", "3");
	h_expect_value(c, "select false", "f");
	h_expect_value(c, "select null", NULL);
	h_expect_value(c, "select 'a' || 'b'", "ab");
	h_expect_error(c, "select 2147483647 + 1", "22003");
	h_expect_error(c, "select 1/0", "22012");
}

static void
test_batches(PGconn *c)
{
	PGresult   *r[8];
	int			n;

	h_section("multi-statement Query strings");
	n = collect_results(c, "select 1; select 2", r, 8);
	H_CHECK_EQ_INT(n, 2, "results of 'select 1; select 2'");
	if (n == 2)
	{
		h_expect_status(r[0], PGRES_TUPLES_OK, "first result");
		h_expect_status(r[1], PGRES_TUPLES_OK, "second result");
		H_CHECK_EQ_STR(PQgetvalue(r[0], 0, 0), "1", "first value");
		H_CHECK_EQ_STR(PQgetvalue(r[1], 0, 0), "2", "second value");
	}
	clear_all(r, n);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle after a batch");

	n = collect_results(c, "select 1; select 1/0; select 3", r, 8);
	H_CHECK_EQ_INT(n, 2, "results of 'select 1; select 1/0; select 3'");
	if (n >= 2)
	{
		h_expect_status(r[0], PGRES_TUPLES_OK, "first statement of failing batch");
		H_CHECK_EQ_STR(PQgetvalue(r[0], 0, 0), "1", "first value of failing batch");
		h_expect_status(r[1], PGRES_FATAL_ERROR, "second statement of failing batch");
		H_CHECK_EQ_STR(h_sqlstate(r[1]), "22012", "SQLSTATE of 1/0");
	}
	clear_all(r, n);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle after a failed batch");
	h_expect_value(c, "select 4", "4");

	/* trailing semicolons, whitespace and newlines */
	n = collect_results(c, "  select 5 ;\n\n select 6;;  \n", r, 8);
	H_CHECK_EQ_INT(n, 2, "results with trailing ;; and newlines");
	if (n == 2)
	{
		H_CHECK_EQ_STR(PQgetvalue(r[0], 0, 0), "5", "value 5");
		H_CHECK_EQ_STR(PQgetvalue(r[1], 0, 0), "6", "value 6");
	}
	clear_all(r, n);

	/* an implicit transaction: SET LOCAL-free check that the batch is one unit */
	n = collect_results(c, "begin; select 7; commit", r, 8);
	H_CHECK_EQ_INT(n, 3, "results of 'begin; select 7; commit'");
	if (n == 3)
	{
		H_CHECK_EQ_STR(PQcmdStatus(r[0]), "BEGIN", "tag BEGIN");
		H_CHECK_EQ_STR(PQcmdStatus(r[1]), "SELECT 1", "tag SELECT 1");
		H_CHECK_EQ_STR(PQcmdStatus(r[2]), "COMMIT", "tag COMMIT");
	}
	clear_all(r, n);
}

static void
test_empty_and_syntax(PGconn *c)
{
	PGresult   *r;

	h_section("empty query, syntax errors");
	r = PQexec(c, "");
	h_expect_status(r, PGRES_EMPTY_QUERY, "empty string");
	PQclear(r);
	r = PQexec(c, "  ;  ");
	h_expect_status(r, PGRES_EMPTY_QUERY, "only a semicolon");
	PQclear(r);
	r = PQexec(c, "-- just a comment");
	h_expect_status(r, PGRES_EMPTY_QUERY, "only a comment");
	PQclear(r);

	r = PQexec(c, "selec 1");
	if (h_expect_status(r, PGRES_FATAL_ERROR, "selec 1"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "42601", "SQLSTATE of selec 1");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION), "1",
					   "position of selec 1");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "syntax error at or near \"selec\"", "message of selec 1");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED), "ERROR",
					   "severity");
	}
	PQclear(r);

	r = PQexec(c, "select 1 from");
	if (h_expect_status(r, PGRES_FATAL_ERROR, "select 1 from"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "42601", "SQLSTATE of select 1 from");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION), "14",
					   "position of select 1 from");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
					   "syntax error at end of input", "message of select 1 from");
	}
	PQclear(r);

	r = PQexec(c, "select 1, (2 +) as x");
	if (h_expect_status(r, PGRES_FATAL_ERROR, "select 1, (2 +) as x"))
	{
		H_CHECK_EQ_STR(h_sqlstate(r), "42601", "SQLSTATE");
		H_CHECK_EQ_STR(PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION), "15",
					   "position of the ')'");
	}
	PQclear(r);
	/* a syntax error in the second statement: the first never runs */
	{
		PGresult   *rs[4];
		int			n = collect_results(c, "select 1; selec 2", rs, 4);

		H_CHECK_EQ_INT(n, 1, "a syntax error anywhere fails the whole string");
		if (n == 1)
			H_CHECK_EQ_STR(h_sqlstate(rs[0]), "42601", "SQLSTATE");
		clear_all(rs, n);
	}
	h_expect_value(c, "select 'still alive'", "still alive");
}

static void
test_settings(PGconn *c)
{
	PGresult   *r;

	h_section("SET, SHOW, RESET, ParameterStatus");
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "", "application_name at start");
	r = PQexec(c, "SET application_name = 'it_simple'");
	if (h_expect_status(r, PGRES_COMMAND_OK, "SET application_name"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "SET", "tag of SET");
	PQclear(r);
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "it_simple",
				   "ParameterStatus after SET application_name");
	h_expect_value(c, "SHOW application_name", "it_simple");
	r = PQexec(c, "SHOW application_name");
	if (h_expect_status(r, PGRES_TUPLES_OK, "SHOW application_name"))
	{
		H_CHECK_EQ_STR(PQfname(r, 0), "application_name", "column name of SHOW");
		H_CHECK_EQ_INT(PQftype(r, 0), 25, "type of SHOW column");
		H_CHECK_EQ_STR(PQcmdStatus(r), "SHOW", "tag of SHOW");
	}
	PQclear(r);
	r = PQexec(c, "RESET application_name");
	if (h_expect_status(r, PGRES_COMMAND_OK, "RESET application_name"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "RESET", "tag of RESET");
	PQclear(r);
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "",
				   "ParameterStatus after RESET application_name");
	h_expect_value(c, "SHOW application_name", "");

	h_exec_ok(c, "SET TimeZone = 'America/New_York'");
	H_CHECK_EQ_STR(PQparameterStatus(c, "TimeZone"), "America/New_York",
				   "ParameterStatus TimeZone after SET");
	h_expect_value(c, "SHOW TimeZone", "America/New_York");
	h_expect_value(c, "SHOW timezone", "America/New_York");
	h_exec_ok(c, "SET TIME ZONE 'UTC'");
	h_expect_value(c, "SHOW TimeZone", "UTC");
	h_exec_ok(c, "RESET TimeZone");
	H_CHECK_EQ_STR(PQparameterStatus(c, "TimeZone"), "Etc/UTC",
				   "ParameterStatus TimeZone after RESET");
	h_expect_value(c, "SHOW TimeZone", "Etc/UTC");

	h_exec_ok(c, "SET DateStyle = 'ISO, DMY'");
	H_CHECK_EQ_STR(PQparameterStatus(c, "DateStyle"), "ISO, DMY", "DateStyle after SET");
	h_exec_ok(c, "RESET DateStyle");
	H_CHECK_EQ_STR(PQparameterStatus(c, "DateStyle"), "ISO, MDY", "DateStyle after RESET");

	{
		PGresult   *rr = PQexec(c, "SHOW server_version");

		if (h_expect_status(rr, PGRES_TUPLES_OK, "SHOW server_version"))
			H_CHECK(strncmp(PQgetvalue(rr, 0, 0), "15", 2) == 0,
					"SHOW server_version starts with 15: %s", PQgetvalue(rr, 0, 0));
		PQclear(rr);
	}
	h_expect_value(c, "SHOW server_encoding", "UTF8");
	h_expect_value(c, "SHOW client_encoding", "UTF8");
	h_expect_value(c, "SHOW standard_conforming_strings", "on");
	h_expect_value(c, "SHOW transaction_read_only", "off");
	h_expect_value(c, "SHOW integer_datetimes", "on");
	h_expect_error(c, "SHOW no_such_parameter", "42704");
	h_expect_error(c, "SET no_such_parameter = 1", "42704");
	h_expect_error(c, "RESET no_such_parameter", "42704");
	h_expect_error(c, "SET TimeZone = 'No/Such_Zone'", "22023");
	h_expect_value(c, "SHOW TimeZone", "Etc/UTC");
	h_expect_value(c, "select current_setting('TimeZone')", "Etc/UTC");
}

static void
test_transactions(PGconn *c)
{
	PGresult   *r;

	h_section("transaction status");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle at start");
	r = PQexec(c, "BEGIN");
	if (h_expect_status(r, PGRES_COMMAND_OK, "BEGIN"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "BEGIN", "tag BEGIN");
	PQclear(r);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_INTRANS, "INTRANS after BEGIN (%d)",
			PQtransactionStatus(c));
	h_expect_value(c, "select 1", "1");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_INTRANS, "INTRANS after a select");
	h_expect_error(c, "select 1/0", "22012");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_INERROR, "INERROR after an error (%d)",
			PQtransactionStatus(c));
	h_expect_error(c, "select 1", "25P02");
	h_expect_error(c, "SET application_name = 'x'", "25P02");
	H_CHECK(PQtransactionStatus(c) == PQTRANS_INERROR, "still INERROR");
	r = PQexec(c, "ROLLBACK");
	if (h_expect_status(r, PGRES_COMMAND_OK, "ROLLBACK"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "ROLLBACK", "tag ROLLBACK");
	PQclear(r);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "IDLE after ROLLBACK");

	/* COMMIT of an aborted transaction rolls back */
	h_exec_ok(c, "BEGIN");
	h_expect_error(c, "select 1/0", "22012");
	r = PQexec(c, "COMMIT");
	if (h_expect_status(r, PGRES_COMMAND_OK, "COMMIT of an aborted transaction"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "ROLLBACK", "tag of COMMIT in an aborted transaction");
	PQclear(r);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "IDLE after COMMIT of aborted txn");

	/* SET inside a rolled back transaction is undone */
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "SET application_name = 'in_txn'");
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "in_txn",
				   "application_name inside txn");
	h_exec_ok(c, "ROLLBACK");
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "",
				   "application_name restored by ROLLBACK");
	h_expect_value(c, "SHOW application_name", "");

	/* other spellings */
	r = PQexec(c, "START TRANSACTION");
	if (h_expect_status(r, PGRES_COMMAND_OK, "START TRANSACTION"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "START TRANSACTION", "tag START TRANSACTION");
	PQclear(r);
	r = PQexec(c, "END");
	if (h_expect_status(r, PGRES_COMMAND_OK, "END"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "COMMIT", "tag of END");
	PQclear(r);
	r = PQexec(c, "COMMIT");
	if (h_expect_status(r, PGRES_COMMAND_OK, "COMMIT outside a transaction (warning)"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "COMMIT", "tag of COMMIT outside a transaction");
	PQclear(r);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "IDLE at the end");
	/* in a Query string with an error, an explicit transaction stays aborted */
	{
		PGresult   *rs[4];
		int			n = collect_results(c, "begin; select 1/0; select 2", rs, 4);

		H_CHECK_EQ_INT(n, 2, "results of 'begin; select 1/0; select 2'");
		clear_all(rs, n);
		H_CHECK(PQtransactionStatus(c) == PQTRANS_INERROR, "INERROR after a failed batch in BEGIN");
		h_exec_ok(c, "ROLLBACK");
	}
}

static void
test_startup_params(PGconn *c)
{
	const char *v;
	const h_server *s = h_server_get();

	h_section("startup ParameterStatus");
	v = PQparameterStatus(c, "server_version");
	H_CHECK(v != NULL && strncmp(v, "15", 2) == 0, "server_version starts with 15: %s",
			v ? v : "(null)");
	H_CHECK(PQserverVersion(c) >= 150000 && PQserverVersion(c) < 160000,
			"PQserverVersion %d is 15.x", PQserverVersion(c));
	H_CHECK_EQ_INT(PQprotocolVersion(c), 3, "protocol version");
	H_CHECK_EQ_STR(PQparameterStatus(c, "server_encoding"), "UTF8", "server_encoding");
	H_CHECK_EQ_STR(PQparameterStatus(c, "client_encoding"), "UTF8", "client_encoding");
	H_CHECK_EQ_STR(PQparameterStatus(c, "DateStyle"), "ISO, MDY", "DateStyle");
	H_CHECK_EQ_STR(PQparameterStatus(c, "integer_datetimes"), "on", "integer_datetimes");
	H_CHECK_EQ_STR(PQparameterStatus(c, "standard_conforming_strings"), "on",
				   "standard_conforming_strings");
	H_CHECK_EQ_STR(PQparameterStatus(c, "IntervalStyle"), "postgres", "IntervalStyle");
	v = PQparameterStatus(c, "is_superuser");
	H_CHECK(v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "off") == 0),
			"is_superuser is on or off: %s", v ? v : "(null)");
	H_CHECK_EQ_STR(PQparameterStatus(c, "session_authorization"), s->user,
				   "session_authorization");
	H_CHECK_EQ_STR(PQparameterStatus(c, "TimeZone"), "Etc/UTC", "TimeZone");
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "", "application_name");
	H_CHECK_EQ_STR(PQparameterStatus(c, "default_transaction_read_only"), "off",
				   "default_transaction_read_only");
	H_CHECK_EQ_STR(PQparameterStatus(c, "in_hot_standby"), "off", "in_hot_standby");
	H_CHECK(PQparameterStatus(c, "crdb_version") == NULL, "no crdb_version");
	H_CHECK(PQbackendPID(c) != 0, "BackendKeyData gave a pid");
	H_CHECK(PQsslInUse(c) == 0, "no TLS with sslmode=disable");

	/* startup parameters from the client become settings */
	{
		PGconn	   *c2 = h_connect("application_name=it_startup options='-c DateStyle=ISO,DMY'");

		H_CHECK_EQ_STR(PQparameterStatus(c2, "application_name"), "it_startup",
					   "application_name from startup");
		H_CHECK_EQ_STR(PQparameterStatus(c2, "DateStyle"), "ISO, DMY",
					   "DateStyle from startup options");
		h_expect_value(c2, "SHOW application_name", "it_startup");
		PQfinish(c2);
	}
}

static void
test_sslmode_prefer(void)
{
	PGconn	   *c;

	h_section("sslmode=prefer on a server without TLS");
	c = h_connect("sslmode=prefer");
	H_CHECK(PQsslInUse(c) == 0, "no TLS without certificates");
	h_expect_value(c, "select 'prefer ok'", "prefer ok");
	PQfinish(c);
}

int
main(void)
{
	PGconn	   *c;

	h_start(NULL);
	c = h_connect(NULL);
	test_startup_params(c);
	test_constants(c);
	test_batches(c);
	test_empty_and_syntax(c);
	test_settings(c);
	test_transactions(c);
	test_sslmode_prefer();
	h_expect_value(c, "select 'done'", "done");
	PQfinish(c);
	return h_done();
}
