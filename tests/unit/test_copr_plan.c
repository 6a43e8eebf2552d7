/*
 * test_copr_plan.c -- coprocessor pushdown seen from SQL: EXPLAIN shows
 * what runs in the store (scan ranges, Selection, partial Aggregation,
 * TopN / Limit) and what stays in the gateway, EXPLAIN ANALYZE counts the
 * region tasks, and a transaction with its own uncommitted writes to the
 * table falls back to the gateway scan (and sees its writes).
 *
 * Results themselves are compared with PostgreSQL 15 by tests/sql/copr_*.sql;
 * these cases check the plan shape, which PostgreSQL cannot tell us.  The
 * test starts the pgkv binary of its own build tree (../../pgkv) on a free
 * port with a temporary embedded store and talks to it with psql.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t g_pid;
static int g_port;
static char g_dir[64];

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	cr_assert_eq(bind(s, (struct sockaddr *) &a, sizeof a), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *) &a, &l), 0);
	int p = ntohs(a.sin_port);
	close(s);
	return p;
}

/* Output of psql running the statements (one session, -At), malloc'd. */
static char *psql(const char *const *stmts, int n)
{
	char cmd[16384];
	int k = snprintf(cmd, sizeof cmd, "psql -X -At -h 127.0.0.1 -p %d -U root postgres", g_port);
	for (int i = 0; i < n; i++)
		k += snprintf(cmd + k, sizeof cmd - (size_t) k, " -c \"%s\"", stmts[i]);
	snprintf(cmd + k, sizeof cmd - (size_t) k, " 2>&1");
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	size_t r;
	while ((r = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (len + 1 >= cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
	}
	out[len] = 0;
	pclose(f);
	return out;
}

static char *psql1(const char *stmt)
{
	return psql(&stmt, 1);
}

static void setup(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	cr_assert(n > 0);
	exe[n] = 0;
	char bin[PATH_MAX + 32];
	snprintf(bin, sizeof bin, "%s/../../pgkv", dirname(exe));
	if (access(bin, X_OK) != 0)
		cr_skip_test("pgkv binary not built (%s)", bin);
	if (system("command -v psql >/dev/null 2>&1") != 0)
		cr_skip_test("psql not installed");
	strcpy(g_dir, "/tmp/pgkv_coprplan_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_port = free_port();
	int http = free_port();
	char listen[64], hp[64], store[128];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", g_port);
	snprintf(hp, sizeof hp, "127.0.0.1:%d", http);
	snprintf(store, sizeof store, "embedded:%s/store", g_dir);
	g_pid = fork();
	cr_assert(g_pid >= 0);
	if (g_pid == 0) {
		char log[128];
		snprintf(log, sizeof log, "%s/pgkv.log", g_dir);
		FILE *lf = freopen(log, "w", stdout);
		(void) lf;
		dup2(fileno(stdout), 2);
		execl(bin, bin, "start", "--listen", listen, "--http", hp, "--store", store, (char *) NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		char *o = psql1("select 1");
		bool ok = strcmp(o, "1\n") == 0;
		free(o);
		if (ok)
			return;
		usleep(50000);
	}
	cr_assert_fail("pgkv did not start");
}

static void teardown(void)
{
	if (g_pid > 0) {
		kill(g_pid, SIGTERM);
		int st;
		waitpid(g_pid, &st, 0);
		g_pid = 0;
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g_dir);
}

static void load(void)
{
	const char *s[] = {
		"create table t (id int primary key, g int, v int, s text, d date, f float8)",
		"insert into t select i, i % 4, i * 3, 's' || i, date '2024-01-01' + i, i * 0.5 from generate_series(1, 500) i",
	};
	char *o = psql(s, 2);
	cr_assert(strstr(o, "INSERT 0 500"), "%s", o);
	free(o);
}

#define HAS(o, needle) cr_assert(strstr((o), (needle)) != NULL, "expected \"%s\" in:\n%s", (needle), (o))
#define HASNT(o, needle) cr_assert(strstr((o), (needle)) == NULL, "did not expect \"%s\" in:\n%s", (needle), (o))

TestSuite(copr_plan, .init = setup, .fini = teardown, .timeout = 120);

Test(copr_plan, aggregate_pushed)
{
	load();
	char *o = psql1("explain select count(*), sum(v), avg(v), min(s) from t where v > 30");
	HAS(o, "Coprocessor Scan on t");
	HAS(o, "Store: TableScan on t columns (v, s) range: full table");
	HAS(o, "Store: Selection (v > 30)");
	HAS(o, "Store: Partial Aggregation count(*), sum(v), avg(v), min(s)");
	HAS(o, "Gateway: Final Aggregation");
	HASNT(o, "Aggregate (");
	free(o);
	o = psql1("select count(*), sum(v), avg(v), min(s) from t where v > 30");
	cr_assert_str_eq(o, "490|375585|766.5000000000000000|s100\n");
	free(o);
	o = psql1("explain select g, count(*) from t group by g");
	HAS(o, "Store: Partial Aggregation count(*) group by g");
	free(o);
}

TestSuite(copr_plan2, .init = setup, .fini = teardown, .timeout = 120);

Test(copr_plan2, gateway_keeps_what_the_store_cannot_run)
{
	load();
	/* length() is not in the sig table: the Filter stays above the scan, so
	 * the aggregation stays in the gateway too */
	char *o = psql1("explain select count(*) from t where length(s) = 3 and v > 3");
	HAS(o, "Aggregate (1 aggregates)");
	HAS(o, "Filter");
	HAS(o, "Store: Selection (v > 3)");
	HASNT(o, "Partial Aggregation");
	free(o);
	/* a date column is not read by the store (stored as days, not TiDB
	 * packed time): the scan stays in the gateway */
	o = psql1("explain select count(*) from t where d > date '2024-03-01'");
	HASNT(o, "Coprocessor");
	free(o);
	/* float sums are not pushed (partial sums round differently) */
	o = psql1("explain select sum(f) from t");
	HASNT(o, "Partial Aggregation");
	free(o);
	/* DISTINCT aggregates are not pushed */
	o = psql1("explain select count(distinct g) from t");
	HASNT(o, "Partial Aggregation");
	free(o);
	/* point gets stay point gets */
	o = psql1("explain select s from t where id = 7");
	HAS(o, "Point Get on t");
	HASNT(o, "Coprocessor");
	free(o);
}

TestSuite(copr_plan3, .init = setup, .fini = teardown, .timeout = 120);

Test(copr_plan3, topn_limit_and_ranges)
{
	load();
	char *o = psql1("explain select id, v from t where id > 100 order by v desc limit 5");
	HAS(o, "Sort (1 keys)");
	HAS(o, "range (100, +inf)");
	HAS(o, "Store: TopN 5");
	HAS(o, "v DESC NULLS FIRST");
	free(o);
	o = psql1("select id from t where id > 100 order by v desc limit 3");
	cr_assert_str_eq(o, "500\n499\n498\n");
	free(o);
	o = psql1("explain select id from t order by id limit 2");
	HAS(o, "Store: TopN 2");
	HASNT(o, "NULLS");			/* id is NOT NULL: no extra IS NULL key */
	free(o);
	o = psql1("explain select s from t limit 4");
	HAS(o, "Store: Limit 4");
	free(o);
}

TestSuite(copr_plan4, .init = setup, .fini = teardown, .timeout = 120);

Test(copr_plan4, analyze_counts_region_tasks)
{
	load();
	char *o = psql1("explain analyze select count(*) from t");
	HAS(o, "Coprocessor Scan on t (actual time=");
	HAS(o, "rows=1 loops=1");
	HAS(o, "Coprocessor: region tasks=1 requests=1 store rows=1");
	free(o);
}

TestSuite(copr_plan5, .init = setup, .fini = teardown, .timeout = 120);

Test(copr_plan5, own_writes_fall_back_to_the_gateway)
{
	load();
	const char *s[] = {
		"begin",
		"insert into t values (1000, 1, 1, 'x', null, null)",
		"explain analyze select count(*) from t",
		"select count(*), sum(v) from t",
		"rollback",
		"select count(*), sum(v) from t",
	};
	char *o = psql(s, 6);
	HAS(o, "Gateway fallback (the transaction has writes in this table)");
	HAS(o, "Seq Scan on t");
	HAS(o, "501|375751\n");
	HAS(o, "500|375750\n");
	free(o);
	/* writes elsewhere do not disable the pushdown */
	const char *s2[] = {
		"create table other (id int primary key)",
		"begin",
		"insert into other values (1)",
		"explain analyze select count(*) from t",
		"commit",
	};
	o = psql(s2, 5);
	HAS(o, "Coprocessor: region tasks=1");
	HASNT(o, "Gateway fallback");
	free(o);
}
