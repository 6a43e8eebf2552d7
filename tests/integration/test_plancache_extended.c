/*
 * test_plancache_extended.c -- statements sent the way drivers send them
 * (PQexecParams: Parse of the unnamed statement, Bind, Describe, Execute,
 * Sync, every time) give the same results as re-parsing and re-planning
 * each time would, whatever happens between two executions:
 *
 *   repeated         the same text with other parameter values
 *   DDL              a column added (SELECT * gets it; an INSERT fills its
 *                    default), the table dropped (42P01) and created again
 *                    with another column type (the result type follows),
 *                    by this session or by another one, in or out of a
 *                    transaction block
 *   parameter types  the same text with other declared parameter types
 *   settings         search_path (another table of the same name),
 *                    TimeZone (a timestamptz shown as text); a custom
 *                    setting and now() are read at execution
 *
 * pgkv reuses the parsed and planned statement of an earlier Parse of the
 * same text (sql/plancache.h); every expectation here is PostgreSQL 15's
 * (passes with PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define INT4OID 23
#define TEXTOID 25

/* PQexecParams with text parameters (types: NULL = inferred). */
static PGresult *
xp(PGconn *c, const char *sql, int n, const Oid *types, const char *const *vals)
{
	return PQexecParams(c, sql, n, types, vals, NULL, NULL, 0);
}

/* Run sql with one text parameter v; expect one row whose columns, joined
 * with '|', are want, with ncols columns. */
static void
expect_row(PGconn *c, const char *sql, const char *v, int ncols, const char *want)
{
	const char *vals[1] = {v};
	PGresult   *r = xp(c, sql, v ? 1 : 0, NULL, vals);

	if (h_expect_status(r, PGRES_TUPLES_OK, sql))
	{
		char		got[512] = "";

		H_CHECK_EQ_INT(PQnfields(r), ncols, "number of result columns");
		H_CHECK_EQ_INT(PQntuples(r), 1, "one row");
		for (int i = 0; PQntuples(r) == 1 && i < PQnfields(r); i++)
		{
			size_t		o = strlen(got);

			snprintf(got + o, sizeof(got) - o, "%s%s", i ? "|" : "",
					 PQgetisnull(r, 0, i) ? "NULL" : PQgetvalue(r, 0, i));
		}
		H_CHECK_EQ_STR(got, want, sql);
	}
	PQclear(r);
}

/* Run sql with one text parameter; expect SQLSTATE state. */
static void
expect_state(PGconn *c, const char *sql, const char *v, const char *state)
{
	const char *vals[1] = {v};
	PGresult   *r = xp(c, sql, v ? 1 : 0, NULL, vals);

	H_CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR, "\"%s\" fails", sql);
	H_CHECK_EQ_STR(h_sqlstate(r), state, sql);
	PQclear(r);
}

/* Type of result column col of sql run with parameter v. */
static Oid
col_type(PGconn *c, const char *sql, const char *v, int col)
{
	const char *vals[1] = {v};
	PGresult   *r = xp(c, sql, v ? 1 : 0, NULL, vals);
	Oid			t = 0;

	if (h_expect_status(r, PGRES_TUPLES_OK, sql) && col < PQnfields(r))
		t = PQftype(r, col);
	PQclear(r);
	return t;
}

static void
repeated(PGconn *c)
{
	h_section("the same text, other values");
	h_exec_ok(c, "CREATE TABLE pe_t (id int PRIMARY KEY, b text)");
	h_exec_ok(c, "INSERT INTO pe_t SELECT g, 'v' || g FROM generate_series(1, 20) g");
	for (int i = 1; i <= 20; i++)
	{
		char		v[16],
					want[32];

		snprintf(v, sizeof(v), "%d", i);
		snprintf(want, sizeof(want), "%d|v%d", i, i);
		expect_row(c, "SELECT * FROM pe_t WHERE id = $1", v, 2, want);
	}
	/* a value the parameter type cannot take: the error of this Bind */
	expect_state(c, "SELECT * FROM pe_t WHERE id = $1", "x", "22P02");
	expect_row(c, "SELECT * FROM pe_t WHERE id = $1", "3", 2, "3|v3");
}

static void
ddl(PGconn *c, PGconn *other)
{
	const char *sel = "SELECT * FROM pe_t WHERE id = $1";
	const char *ins = "INSERT INTO pe_t (id, b) VALUES ($1::int, 'new')";
	const char *one[1];

	h_section("DDL between two executions: a column added");
	expect_row(c, sel, "1", 2, "1|v1");
	h_exec_ok(c, "ALTER TABLE pe_t ADD COLUMN w int DEFAULT 7");
	expect_row(c, sel, "1", 3, "1|v1|7");
	one[0] = "100";
	PGresult   *r = xp(c, ins, 1, NULL, one);

	h_expect_status(r, PGRES_COMMAND_OK, ins);
	PQclear(r);
	expect_row(c, sel, "100", 3, "100|new|7");
	h_exec_ok(c, "ALTER TABLE pe_t ADD COLUMN z text DEFAULT 'zz'");
	one[0] = "101";
	r = xp(c, ins, 1, NULL, one);
	h_expect_status(r, PGRES_COMMAND_OK, ins);
	PQclear(r);
	expect_row(c, sel, "101", 4, "101|new|7|zz");

	h_section("DDL between two executions: dropped, created with another type");
	H_CHECK_EQ_INT(col_type(c, sel, "1", 1), TEXTOID, "b is text");
	h_exec_ok(c, "DROP TABLE pe_t");
	expect_state(c, sel, "1", "42P01");
	expect_state(c, ins, "1", "42P01");
	h_exec_ok(c, "CREATE TABLE pe_t (id int PRIMARY KEY, b int)");
	h_exec_ok(c, "INSERT INTO pe_t VALUES (1, 11)");
	expect_row(c, sel, "1", 2, "1|11");
	H_CHECK_EQ_INT(col_type(c, sel, "1", 1), INT4OID, "b is int4 now");
	/* the INSERT's 'new' is no int any more */
	expect_state(c, ins, "2", "22P02");

	h_section("DDL by another session");
	expect_row(c, sel, "1", 2, "1|11");
	h_exec_ok(other, "DROP TABLE pe_t");
	h_exec_ok(other, "CREATE TABLE pe_t (id int PRIMARY KEY, b text, c bool)");
	h_exec_ok(other, "INSERT INTO pe_t VALUES (1, 'other', true)");
	expect_row(c, sel, "1", 3, "1|other|t");
	H_CHECK_EQ_INT(col_type(c, sel, "1", 1), TEXTOID, "b is text again");

	h_section("DDL inside a transaction block");
	h_exec_ok(c, "BEGIN");
	expect_row(c, sel, "1", 3, "1|other|t");
	h_exec_ok(c, "ALTER TABLE pe_t ADD COLUMN d int DEFAULT 4");
	expect_row(c, sel, "1", 4, "1|other|t|4");
	h_exec_ok(c, "ROLLBACK");
	expect_row(c, sel, "1", 3, "1|other|t");
}

static void
param_types(PGconn *c)
{
	h_section("the same text with other parameter types");
	const char *sql = "SELECT $1";
	const char *v[1] = {"42"};
	Oid			t_int = INT4OID,
				t_text = TEXTOID;

	for (int round = 0; round < 3; round++)
	{
		PGresult   *r = xp(c, sql, 1, &t_int, v);

		if (h_expect_status(r, PGRES_TUPLES_OK, "SELECT $1 (int4)"))
			H_CHECK_EQ_INT(PQftype(r, 0), INT4OID, "declared int4");
		PQclear(r);
		r = xp(c, sql, 1, &t_text, v);
		if (h_expect_status(r, PGRES_TUPLES_OK, "SELECT $1 (text)"))
			H_CHECK_EQ_INT(PQftype(r, 0), TEXTOID, "declared text");
		PQclear(r);
	}
	/* and a result type given by the value's context */
	expect_row(c, "SELECT $1::int + 1", "41", 1, "42");
}

static void
settings(PGconn *c)
{
	const char *sel = "SELECT b FROM pe_t WHERE id = $1";

	h_section("search_path picks another table of the same name");
	h_exec_ok(c, "DROP SCHEMA IF EXISTS pe_s CASCADE");
	h_exec_ok(c, "CREATE SCHEMA pe_s");
	h_exec_ok(c, "CREATE TABLE pe_s.pe_t (id int PRIMARY KEY, b text)");
	h_exec_ok(c, "INSERT INTO pe_s.pe_t VALUES (1, 'in pe_s')");
	expect_row(c, sel, "1", 1, "other");
	h_exec_ok(c, "SET search_path = pe_s, public");
	expect_row(c, sel, "1", 1, "in pe_s");
	h_exec_ok(c, "RESET search_path");
	expect_row(c, sel, "1", 1, "other");

	h_section("TimeZone");
	const char *ts = "SELECT CAST('2024-01-01 12:00:00+00' AS timestamptz)::text, $1::int";

	h_exec_ok(c, "SET TimeZone = 'UTC'");
	expect_row(c, ts, "1", 2, "2024-01-01 12:00:00+00|1");
	h_exec_ok(c, "SET TimeZone = 'Asia/Tokyo'");
	expect_row(c, ts, "1", 2, "2024-01-01 21:00:00+09|1");
	h_exec_ok(c, "RESET TimeZone");
	h_exec_ok(c, "DROP SCHEMA pe_s CASCADE");

	h_section("values read at execution, not at planning");
	h_exec_ok(c, "SET pe.x = 'first'");
	expect_row(c, "SELECT current_setting('pe.x'), $1::int", "1", 2, "first|1");
	h_exec_ok(c, "SET pe.x = 'second'");
	expect_row(c, "SELECT current_setting('pe.x'), $1::int", "1", 2, "second|1");
	char		t1[64] = "",
				t2[64] = "";

	for (int i = 0; i < 2; i++)
	{
		PGresult   *r = xp(c, "SELECT now()::text", 0, NULL, NULL);

		if (h_expect_status(r, PGRES_TUPLES_OK, "SELECT now()"))
			snprintf(i ? t2 : t1, sizeof(t1), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		usleep(20000);
	}
	H_CHECK(strcmp(t1, t2) != 0, "now() of two transactions differ (%s, %s)", t1, t2);
}

int
main(void)
{
	h_start(NULL);
	PGconn	   *c = h_connect(NULL);
	PGconn	   *other = h_connect(NULL);

	h_exec_ok(c, "DROP TABLE IF EXISTS pe_t");
	repeated(c);
	ddl(c, other);
	param_types(c);
	settings(c);
	h_exec_ok(c, "DROP TABLE pe_t");
	PQfinish(other);
	PQfinish(c);
	return h_done();
}
