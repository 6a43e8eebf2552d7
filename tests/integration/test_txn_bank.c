/*
 * test_txn_bank.c -- the bank workload: 8 connections move random amounts
 * between 100 accounts while a ninth keeps reading the total.
 *
 * For each isolation level (READ COMMITTED, REPEATABLE READ, SERIALIZABLE)
 * and each way of sending a transfer -- the whole transaction as one Query
 * string ("BEGIN ISOLATION LEVEL ...; UPDATE ...; UPDATE ...; COMMIT") or
 * statement by statement -- the workers run for RUN_MS.  One transfer in
 * four is a single autocommit statement (the session's
 * default_transaction_isolation is the level of the run).  Checks:
 *
 *   - the total never changes: not in any snapshot the reader sees, not at
 *     the end of a run;
 *   - no client sees 40001 for a single-statement autocommit write (pgkv
 *     retries those itself; PostgreSQL only promises it under READ
 *     COMMITTED, so there the check is made for that level only);
 *   - explicit transactions that fail with 40001 / 40P01 are rolled back
 *     and retried by the client, as applications do.
 *
 * Printed per run: transfers committed, client-visible 40001 and 40P01
 * errors, and pgkv's automatic retries (the pgkv_sql_txn_retries_total
 * counter of /metrics; "-" against PostgreSQL).
 */
#include "tests/integration/txn_util.h"

#include <pthread.h>

#define N_ACCOUNTS 100
#define N_WORKERS 8
#define START_BALANCE 1000
#define RUN_MS 2000

typedef struct run_cfg {
	const char *iso;			/* "read committed", ... */
	bool		batch;			/* one Query string per transfer */
	volatile bool stop;
	long long	total;
} run_cfg;

typedef struct worker {
	pthread_t	th;
	run_cfg    *cfg;
	int			id;
	PGconn	   *conn;
	long		commits;
	long		client_40001;
	long		client_40p01;
	long		single_40001;	/* 40001 on a single autocommit statement */
	long		other_errors;
	char		first_error[256];
} worker;

typedef struct reader {
	pthread_t	th;
	run_cfg    *cfg;
	PGconn	   *conn;
	long		reads;
	long		bad;
	char		bad_total[64];
} reader;

static void
note_error(worker *w, const char *st, const char *msg)
{
	if (strcmp(st, "40001") == 0)
		w->client_40001++;
	else if (strcmp(st, "40P01") == 0)
		w->client_40p01++;
	else
	{
		if (w->other_errors++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s %s", st, msg);
	}
}

/* One statement of a transfer sent statement by statement; false on error
 * (the transaction is then rolled back). */
static bool
step(worker *w, const char *sql)
{
	PGresult   *r = PQexec(w->conn, sql);
	bool		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
	{
		note_error(w, h_sqlstate(r), PQresultErrorMessage(r));
		PQclear(r);
		r = PQexec(w->conn, "ROLLBACK");
	}
	PQclear(r);
	return ok;
}

static void *
worker_main(void *arg)
{
	worker	   *w = arg;
	unsigned	seed = (unsigned) (w->id * 7919 + 1);
	char		sql[512];

	while (!w->cfg->stop)
	{
		int			a = (int) (rand_r(&seed) % N_ACCOUNTS) + 1;
		int			b = (int) (rand_r(&seed) % (N_ACCOUNTS - 1)) + 1;
		int			amount = (int) (rand_r(&seed) % 50) + 1;

		if (b >= a)
			b++;
		int			lo = a < b ? a : b,
					hi = a < b ? b : a;
		int			dlo = lo == a ? -amount : amount;

		if (rand_r(&seed) % 4 == 0)
		{
			/* single autocommit statement: must never fail with 40001 */
			snprintf(sql, sizeof(sql),
					 "UPDATE acct SET bal = bal + CASE WHEN id = %d THEN %d ELSE %d END"
					 " WHERE id IN (%d, %d)", lo, dlo, -dlo, lo, hi);
			PGresult   *r = PQexec(w->conn, sql);

			if (PQresultStatus(r) == PGRES_COMMAND_OK)
				w->commits++;
			else
			{
				if (strcmp(h_sqlstate(r), "40001") == 0)
					w->single_40001++;
				else
					note_error(w, h_sqlstate(r), PQresultErrorMessage(r));
			}
			PQclear(r);
			continue;
		}
		/* explicit transaction; rows updated in id order (no deadlock by
		 * design -- 40P01 is still handled) */
		for (;;)
		{
			bool		ok;

			if (w->cfg->batch)
			{
				snprintf(sql, sizeof(sql),
						 "BEGIN ISOLATION LEVEL %s;"
						 " UPDATE acct SET bal = bal + %d WHERE id = %d;"
						 " UPDATE acct SET bal = bal + %d WHERE id = %d;"
						 " COMMIT", w->cfg->iso, dlo, lo, -dlo, hi);
				PGresult   *r = PQexec(w->conn, sql);

				ok = PQresultStatus(r) == PGRES_COMMAND_OK;
				if (!ok)
				{
					note_error(w, h_sqlstate(r), PQresultErrorMessage(r));
					PQclear(r);
					/* the string ended inside the failed transaction */
					r = PQexec(w->conn, "ROLLBACK");
				}
				PQclear(r);
			}
			else
			{
				char		begin[64];

				snprintf(begin, sizeof(begin), "BEGIN ISOLATION LEVEL %s", w->cfg->iso);
				ok = step(w, begin);
				snprintf(sql, sizeof(sql), "UPDATE acct SET bal = bal + %d WHERE id = %d", dlo, lo);
				ok = ok && step(w, sql);
				snprintf(sql, sizeof(sql), "UPDATE acct SET bal = bal + %d WHERE id = %d", -dlo, hi);
				ok = ok && step(w, sql);
				ok = ok && step(w, "COMMIT");
			}
			if (ok)
			{
				w->commits++;
				break;
			}
			if (w->other_errors > 0 || w->cfg->stop)
				break;
		}
	}
	return NULL;
}

static void *
reader_main(void *arg)
{
	reader	   *r = arg;
	char		want[32];

	snprintf(want, sizeof(want), "%lld", r->cfg->total);
	while (!r->cfg->stop)
	{
		PGresult   *res = PQexec(r->conn, "SELECT sum(bal) FROM acct");

		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		{
			r->reads++;
			if (strcmp(PQgetvalue(res, 0, 0), want) != 0)
			{
				if (r->bad++ == 0)
					snprintf(r->bad_total, sizeof(r->bad_total), "%s", PQgetvalue(res, 0, 0));
			}
		}
		else if (r->bad++ == 0)
			snprintf(r->bad_total, sizeof(r->bad_total), "error %s", h_sqlstate(res));
		PQclear(res);
		tu_sleep_ms(20);
	}
	return NULL;
}

static void
run(const char *iso, bool batch, PGconn *admin)
{
	run_cfg		cfg = {iso, batch, false, (long long) N_ACCOUNTS * START_BALANCE};
	worker		w[N_WORKERS];
	reader		rd = {0};
	char		title[128];
	long long	retries0 = tu_metric("pgkv_sql_txn_retries_total");
	bool		is_pg = h_is_postgres();

	snprintf(title, sizeof(title), "bank: %s, %s", iso, batch ? "one Query per transfer" : "statement by statement");
	h_section(title);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < N_WORKERS; i++)
	{
		char		set[128];

		w[i].cfg = &cfg;
		w[i].id = i;
		w[i].conn = h_connect(NULL);
		snprintf(set, sizeof(set), "SET default_transaction_isolation = '%s'", iso);
		h_exec_ok(w[i].conn, set);
	}
	rd.cfg = &cfg;
	rd.conn = h_connect(NULL);
	for (int i = 0; i < N_WORKERS; i++)
		H_CHECK(pthread_create(&w[i].th, NULL, worker_main, &w[i]) == 0, "start worker %d", i);
	H_CHECK(pthread_create(&rd.th, NULL, reader_main, &rd) == 0, "start the reader");
	tu_sleep_ms(RUN_MS);
	cfg.stop = true;
	for (int i = 0; i < N_WORKERS; i++)
		pthread_join(w[i].th, NULL);
	pthread_join(rd.th, NULL);

	long		commits = 0,
				e40001 = 0,
				e40p01 = 0,
				single = 0,
				other = 0;
	const char *first = NULL;

	for (int i = 0; i < N_WORKERS; i++)
	{
		commits += w[i].commits;
		e40001 += w[i].client_40001;
		e40p01 += w[i].client_40p01;
		single += w[i].single_40001;
		other += w[i].other_errors;
		if (!first && w[i].other_errors)
			first = w[i].first_error;
		PQfinish(w[i].conn);
	}
	PQfinish(rd.conn);
	long long	retries = tu_metric("pgkv_sql_txn_retries_total");
	char		rbuf[32];

	if (retries >= 0 && retries0 >= 0)
		snprintf(rbuf, sizeof(rbuf), "%lld", retries - retries0);
	else
		snprintf(rbuf, sizeof(rbuf), "-");
	printf("# %-16s %-10s transfers %6ld  client 40001 %5ld  40P01 %3ld  single-stmt 40001 %ld"
		   "  automatic retries %s  total reads %ld\n",
		   iso, batch ? "batch" : "stmts", commits, e40001, e40p01, single, rbuf, rd.reads);
	fflush(stdout);

	H_CHECK(commits > 0, "transfers were committed");
	H_CHECK(other == 0, "no errors but 40001 / 40P01 (%ld, first: %s)", other, first ? first : "");
	if (!is_pg || strcmp(iso, "read committed") == 0)
		H_CHECK_EQ_INT(single, 0, "single-statement autocommit writes never get 40001");
	H_CHECK(rd.reads > 0, "the reader read the total");
	H_CHECK(rd.bad == 0, "every total read was %lld (%ld were not, first %s)", cfg.total, rd.bad, rd.bad_total);
	{
		char		want[32];

		snprintf(want, sizeof(want), "%lld", cfg.total);
		h_expect_value(admin, "SELECT sum(bal) FROM acct", want);
		h_expect_value(admin, "SELECT count(*) FROM acct", "100");
	}
}

int
main(void)
{
	static const char *const levels[] = {"read committed", "repeatable read", "serializable"};

	h_start(NULL);
	PGconn	   *admin = h_connect(NULL);
	char		sql[128];

	h_exec_ok(admin, "DROP TABLE IF EXISTS acct");
	h_exec_ok(admin, "CREATE TABLE acct (id int PRIMARY KEY, bal bigint NOT NULL)");
	for (int i = 1; i <= N_ACCOUNTS; i++)
	{
		snprintf(sql, sizeof(sql), "INSERT INTO acct VALUES (%d, %d)", i, START_BALANCE);
		h_exec_ok(admin, sql);
	}
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++)
	{
		run(levels[l], true, admin);
		run(levels[l], false, admin);
	}
	PQfinish(admin);
	return h_done();
}
