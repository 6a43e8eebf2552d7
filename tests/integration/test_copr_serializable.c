/*
 * test_copr_serializable.c -- SERIALIZABLE transactions whose reads go
 * through the coprocessor (aggregates pushed into the store) are still
 * serializable: the key ranges of coprocessor requests are part of the
 * read set validated at commit (kv/txn/kv_readset.c).
 *
 *   count(*) write skew   both sessions count the on-call doctors with a
 *                         pushed count(*), each takes a different one off
 *                         call: 40001 for exactly one of them
 *   sum() write skew      both check sum(balance) with a pushed sum(),
 *                         each withdraws from a different account
 *   phantom               both count, each inserts a new row into the
 *                         counted table
 *   no false conflict     transactions reading and writing different
 *                         tables both commit
 *   pgkv only             EXPLAIN ANALYZE under SERIALIZABLE shows the
 *                         Coprocessor Scan and that it ran in the store
 *                         (not the gateway fallback)
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres, where the aggregates are ordinary scans).
 */
#include "tests/integration/txn_util.h"

/* Step on connection c; count a 40001 (and roll c back), fail on others. */
static bool
step(PGconn *c, const char *sql, int *n40001, bool *dead)
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

/*
 * Two SERIALIZABLE transactions: each runs its read, then its write, then
 * both commit (a first).  Returns the number of 40001s.
 */
static int
skew(PGconn *a, PGconn *b, const char *read_a, const char *read_b, const char *want_read,
	 const char *write_a, const char *write_b)
{
	int			n40001 = 0;
	bool		adead = false,
				bdead = false;

	step(a, "BEGIN ISOLATION LEVEL SERIALIZABLE", &n40001, &adead);
	step(b, "BEGIN ISOLATION LEVEL SERIALIZABLE", &n40001, &bdead);
	h_expect_value(a, read_a, want_read);
	h_expect_value(b, read_b, want_read);
	step(a, write_a, &n40001, &adead);
	step(b, write_b, &n40001, &bdead);
	step(a, "COMMIT", &n40001, &adead);
	step(b, "COMMIT", &n40001, &bdead);
	return n40001;
}

/* Does some line of EXPLAIN output of sql (on c) contain want? */
static bool
explain_has(PGconn *c, const char *sql, const char *want)
{
	PGresult   *r = PQexec(c, sql);
	bool		found = false;

	if (h_expect_status(r, PGRES_TUPLES_OK, sql))
		for (int i = 0; i < PQntuples(r) && !found; i++)
			found = strstr(PQgetvalue(r, i, 0), want) != NULL;
	if (!found && PQresultStatus(r) == PGRES_TUPLES_OK)
		for (int i = 0; i < PQntuples(r); i++)
			fprintf(stderr, "  | %s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	return found;
}

static void
explain_pushdown(PGconn *a)
{
	h_section("SERIALIZABLE: EXPLAIN shows the coprocessor (pgkv only)");
	if (h_is_postgres())
		return;
	h_exec_ok(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
	H_CHECK(explain_has(a, "EXPLAIN SELECT count(*) FROM cs_doctors WHERE on_call", "Coprocessor Scan"),
			"EXPLAIN under SERIALIZABLE plans a Coprocessor Scan");
	H_CHECK(explain_has(a, "EXPLAIN ANALYZE SELECT count(*) FROM cs_doctors WHERE on_call",
						"Coprocessor: region tasks="),
			"EXPLAIN ANALYZE under SERIALIZABLE ran the request in the store");
	H_CHECK(explain_has(a, "EXPLAIN ANALYZE SELECT sum(balance) FROM cs_accounts", "Store: Partial Aggregation"),
			"sum() is pushed under SERIALIZABLE");
	h_exec_ok(a, "COMMIT");
}

int
main(void)
{
	h_start(NULL);
	PGconn	   *a = h_connect(NULL);
	PGconn	   *b = h_connect(NULL);

	h_exec_ok(a, "DROP TABLE IF EXISTS cs_doctors, cs_accounts, cs_t1, cs_t2, cs_t3, cs_t4");
	h_exec_ok(a, "CREATE TABLE cs_doctors (id int PRIMARY KEY, on_call bool NOT NULL)");
	h_exec_ok(a, "CREATE TABLE cs_accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
	for (int i = 1; i <= 4; i++)
	{
		char		sql[64];

		snprintf(sql, sizeof(sql), "CREATE TABLE cs_t%d (id int PRIMARY KEY, n int)", i);
		h_exec_ok(a, sql);
	}

	explain_pushdown(a);

	h_section("SERIALIZABLE: write skew over a pushed count(*)");
	h_exec_ok(a, "INSERT INTO cs_doctors VALUES (1, true), (2, true)");
	H_CHECK_EQ_INT(skew(a, b, "SELECT count(*) FROM cs_doctors WHERE on_call",
						"SELECT count(*) FROM cs_doctors WHERE on_call", "2",
						"UPDATE cs_doctors SET on_call = false WHERE id = 1",
						"UPDATE cs_doctors SET on_call = false WHERE id = 2"),
				   1, "40001 for exactly one of the two transactions");
	h_expect_value(a, "SELECT count(*) FROM cs_doctors WHERE on_call", "1");

	h_section("SERIALIZABLE: phantom into a table read by a pushed count(*)");
	h_exec_ok(a, "UPDATE cs_doctors SET on_call = true");
	H_CHECK_EQ_INT(skew(a, b, "SELECT count(*) FROM cs_doctors WHERE on_call",
						"SELECT count(*) FROM cs_doctors WHERE on_call", "2",
						"INSERT INTO cs_doctors VALUES (3, true)",
						"INSERT INTO cs_doctors VALUES (4, true)"),
				   1, "40001 for exactly one of the two transactions");
	h_expect_value(a, "SELECT count(*) FROM cs_doctors", "3");

	h_section("SERIALIZABLE: write skew over a pushed sum()");
	h_exec_ok(a, "INSERT INTO cs_accounts VALUES (1, 100), (2, 100)");
	/* each may withdraw 150 as long as the total stays >= 0 */
	H_CHECK_EQ_INT(skew(a, b, "SELECT sum(balance) FROM cs_accounts", "SELECT sum(balance) FROM cs_accounts", "200",
						"UPDATE cs_accounts SET balance = balance - 150 WHERE id = 1",
						"UPDATE cs_accounts SET balance = balance - 150 WHERE id = 2"),
				   1, "40001 for exactly one of the two transactions");
	h_expect_value(a, "SELECT sum(balance) FROM cs_accounts", "50");

	h_section("SERIALIZABLE: pushed reads of unrelated tables do not conflict");
	h_exec_ok(a, "INSERT INTO cs_t1 VALUES (1, 1)");
	h_exec_ok(a, "INSERT INTO cs_t2 VALUES (1, 2)");
	H_CHECK_EQ_INT(skew(a, b, "SELECT sum(n) FROM cs_t1", "SELECT sum(n) - 1 FROM cs_t2", "1",
						"INSERT INTO cs_t3 VALUES (1, 1)", "INSERT INTO cs_t4 VALUES (1, 1)"),
				   0, "both transactions commit");
	h_expect_value(a, "SELECT (SELECT count(*) FROM cs_t3) + (SELECT count(*) FROM cs_t4)", "2");

	h_exec_ok(a, "DROP TABLE cs_doctors, cs_accounts, cs_t1, cs_t2, cs_t3, cs_t4");
	PQfinish(a);
	PQfinish(b);
	return h_done();
}
