/*
 * test_drain.c -- graceful shutdown (issue 6): SIGTERM, `pgkv drain`, and the
 * four drain phases as a client sees them.
 *
 * pgkv only: PostgreSQL has no drain phases (its "smart" shutdown waits for
 * clients forever), so with PGKV_TARGET=postgres the test reports a skip and
 * passes.  Each case starts its own node (the harness runs one server per
 * process and cannot tell us its pid or exit status), with short phases so
 * that the whole file runs in about 15 s:
 *
 *   idle            an idle session gets 57P01 right after drain_wait; SQL is
 *                   served during drain_wait; exit 0 early once it is gone;
 *                   phase logs with counts
 *   transaction     a session inside BEGIN keeps working through the drain,
 *                   COMMITs, then gets 57P01
 *   long query      pg_sleep(30) is cancelled (57014 or 57P01) when
 *                   query_wait runs out; exit 0 within the phase times + 2 s
 *   phases          /health?ready=1 is 503 while SQL is still accepted; in
 *                   phase 2 a new connection gets 57P03 or is refused (never
 *                   hangs), a socket accepted earlier gets 57P03 at startup;
 *                   an idle-in-transaction session gets 57P01 at phase 4;
 *                   /metrics shows the drain
 *   pgkv drain      --wait returns when the node has exited; the admin token
 *   second SIGTERM  and SIGINT stop at once
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "harness.h"
#include "drain_util.h"

/* ---------- libpq side ---------- */

typedef struct notice_log {
	char sqlstate[6];	/* first notice's SQLSTATE, or "" */
} notice_log;

static void
notice_receiver(void *arg, const PGresult *res)
{
	notice_log *nl = arg;
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (nl->sqlstate[0] == '\0' && s)
		snprintf(nl->sqlstate, sizeof(nl->sqlstate), "%s", s);
}

static PGconn *
pg_connect(const node *nd, notice_log *nl)
{
	char ci[256];
	snprintf(ci, sizeof(ci),
			 "host=127.0.0.1 port=%d user=root dbname=postgres sslmode=disable connect_timeout=3", nd->sql_port);
	PGconn *c = PQconnectdb(ci);
	if (nl) {
		memset(nl, 0, sizeof(*nl));
		if (PQstatus(c) == CONNECTION_OK)
			PQsetNoticeReceiver(c, notice_receiver, nl);
	}
	return c;
}

/*
 * Wait up to ms for the server to close an idle connection.  An
 * ErrorResponse that arrives while libpq is idle goes to the notice
 * receiver, so the SQLSTATE sent before the close is in nl.  Returns true
 * when the connection closed.
 */
static bool
wait_closed(PGconn *c, int ms)
{
	int64_t deadline = h_now_ms() + ms;
	while (h_now_ms() < deadline) {
		struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
		if (p.fd < 0)
			return true;
		if (poll(&p, 1, 50) == 1) {
			if (PQconsumeInput(c) == 0)
				return true;
			(void) PQisBusy(c); /* parse what arrived: the notice receiver runs */
			PGresult *r;
			while (!PQisBusy(c) && (r = PQgetResult(c)) != NULL)
				PQclear(r);
			if (PQstatus(c) == CONNECTION_BAD)
				return true;
		}
	}
	return false;
}

/* The SQLSTATE of the error a connection reported, from a result or a
 * notice: the FATAL may arrive as either, depending on timing. */
static const char *
pg_exec_state(PGconn *c, const char *sql, notice_log *nl, ExecStatusType *status)
{
	static char st[6];
	PGresult *r = PQexec(c, sql);
	*status = PQresultStatus(r);
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(st, sizeof(st), "%s", s ? s : (nl && nl->sqlstate[0] ? nl->sqlstate : ""));
	PQclear(r);
	return st;
}

static void
wait_phase(const node *nd, int phase, int ms)
{
	int64_t deadline = h_now_ms() + ms;
	while (metric(nd->http_port, "pgkv_drain_phase") < phase && h_now_ms() < deadline)
		sleep_ms(20);
}

/* ---------- cases ---------- */

static void
case_idle(void)
{
	static const char *const args[] = {"--drain-wait=500ms", "--query-wait=2s", NULL};
	node nd;
	notice_log nl;
	h_section("idle session: 57P01 after drain_wait, SQL served meanwhile");
	node_start(&nd, "idle", args);
	PGconn *c = pg_connect(&nd, &nl);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	h_exec_ok(c, "select 1");

	int64_t t0 = h_now_ms();
	kill(nd.pid, SIGTERM);
	sleep_ms(100);
	/* Phase 1: unready, yet SQL is served (new connection and old one). */
	char body[256];
	H_CHECK_EQ_INT(http_get(nd.http_port, "/health?ready=1", body, sizeof(body)), 503, "ready=1 during drain");
	H_CHECK_EQ_STR(body, "draining\n", "503 body");
	H_CHECK_EQ_INT(http_get(nd.http_port, "/health", NULL, 0), 200, "liveness during drain");
	PGconn *c2 = pg_connect(&nd, NULL);
	H_CHECK(PQstatus(c2) == CONNECTION_OK, "new connection during drain_wait: %s", PQerrorMessage(c2));
	if (PQstatus(c2) == CONNECTION_OK)
		h_exec_ok(c2, "select 2");
	PQfinish(c2);
	h_exec_ok(c, "select 3");

	bool closed = wait_closed(c, 500 + 2000 + SLACK_MS);
	int64_t t = h_now_ms() - t0;
	H_CHECK(closed, "idle session closed by the drain");
	H_CHECK_EQ_STR(nl.sqlstate, "57P01", "SQLSTATE sent before the close");
	H_CHECK(t >= 450 && t <= 500 + SLACK_MS, "closed %lld ms after SIGTERM (drain_wait 500ms)", (long long) t);
	PQfinish(c);

	/* No session left: the node does not wait for query_wait. */
	H_CHECK(node_wait_exit(&nd, 500 + 2000 + 2000), "node exited");
	H_CHECK_EQ_INT(nd.exit_status, 0, "exit status");
	H_CHECK(nd.exited_at - t0 <= 500 + 1000 + SLACK_MS, "exited %lld ms after SIGTERM", (long long) (nd.exited_at - t0));
	H_CHECK(log_contains(&nd, "drain: phase unready begins, 1 sessions open"), "phase 1 start logged with count");
	H_CHECK(log_contains(&nd, "drain: phase unready ended after"), "phase 1 end logged");
	H_CHECK(log_contains(&nd, "drain: phase draining sessions begins, 1 sessions open"), "phase 3 logged with count");
	H_CHECK(log_contains(&nd, "drain: complete after"), "completion logged");
	node_finish(&nd);
}

static void
case_transaction(void)
{
	static const char *const args[] = {"--drain-wait=300ms", "--query-wait=4s", NULL};
	node nd;
	notice_log nl;
	ExecStatusType st;
	h_section("session in a transaction: COMMIT during the drain, then 57P01");
	node_start(&nd, "txn", args);
	PGconn *c = pg_connect(&nd, &nl);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	h_exec_ok(c, "begin");
	h_exec_ok(c, "select 1");
	int64_t t0 = h_now_ms();
	kill(nd.pid, SIGTERM);
	wait_phase(&nd, 3, 2000);
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_drain_phase"), 3, "phase 3 (draining sessions)");
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_sessions_remaining"), 1, "pgkv_sessions_remaining");
	/* The transaction keeps working. */
	sleep_ms(200);
	H_CHECK(PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_INTRANS, "still in the transaction");
	h_expect_value(c, "select 42", "42");
	const char *s = pg_exec_state(c, "commit", &nl, &st);
	H_CHECK(st == PGRES_COMMAND_OK, "COMMIT during the drain succeeds (status %s, sqlstate %s)", PQresStatus(st), s);
	bool closed = wait_closed(c, 2000);
	H_CHECK(closed, "closed after the COMMIT");
	if (nl.sqlstate[0] == '\0') {
		/* The FATAL was read together with ReadyForQuery: the next query sees it. */
		s = pg_exec_state(c, "select 1", &nl, &st);
		snprintf(nl.sqlstate, sizeof(nl.sqlstate), "%s", s);
	}
	H_CHECK_EQ_STR(nl.sqlstate, "57P01", "SQLSTATE after the COMMIT");
	PQfinish(c);
	H_CHECK(node_wait_exit(&nd, 300 + 4000 + 2000), "node exited");
	H_CHECK_EQ_INT(nd.exit_status, 0, "exit status");
	H_CHECK(nd.exited_at - t0 < 300 + 4000, "exited before query_wait ran out (%lld ms)",
			(long long) (nd.exited_at - t0));
	node_finish(&nd);
}

static void
case_long_query(void)
{
	static const char *const args[] = {"--drain-wait=300ms", "--connection-wait=200ms", "--query-wait=1s", NULL};
	const int budget = 300 + 200 + 1000 + 2000;
	node nd;
	notice_log nl;
	h_section("long query past query_wait: cancelled, exit 0 in time");
	node_start(&nd, "longq", args);
	PGconn *c = pg_connect(&nd, &nl);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	H_CHECK(PQsendQuery(c, "select pg_sleep(30)") == 1, "send pg_sleep(30)");
	sleep_ms(200);
	int64_t t0 = h_now_ms();
	kill(nd.pid, SIGTERM);

	/* Wait for the query's outcome. */
	char state[6] = "";
	bool ended = false;
	int64_t t_end = 0;
	while (h_now_ms() - t0 < budget + SLACK_MS) {
		struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
		if (poll(&p, 1, 50) != 1)
			continue;
		if (PQconsumeInput(c) == 0) {
			ended = true;
			break;
		}
		PGresult *r;
		while (!PQisBusy(c) && (r = PQgetResult(c)) != NULL) {
			const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			if (s && state[0] == '\0')
				snprintf(state, sizeof(state), "%s", s);
			PQclear(r);
		}
		if (state[0]) {
			ended = true;
			break;
		}
	}
	t_end = h_now_ms() - t0;
	H_CHECK(ended, "the query ended");
	if (state[0] == '\0')
		snprintf(state, sizeof(state), "%s", nl.sqlstate);
	H_CHECK(strcmp(state, "57014") == 0 || strcmp(state, "57P01") == 0, "query cancelled with 57014 or 57P01, got \"%s\"",
			state);
	H_CHECK(t_end >= 300 + 1000 - 100, "not cancelled before query_wait ran out (%lld ms)", (long long) t_end);
	PQfinish(c);
	H_CHECK(node_wait_exit(&nd, budget + SLACK_MS), "node exited");
	H_CHECK_EQ_INT(nd.exit_status, 0, "exit status");
	H_CHECK(nd.exited_at - t0 <= budget, "exited %lld ms after SIGTERM, budget drain+connection+query+2s = %d ms",
			(long long) (nd.exited_at - t0), budget);
	H_CHECK(log_contains(&nd, "drain: phase cancelling sessions begins, 1 sessions open"), "phase 4 logged");
	node_finish(&nd);
}

/* Send a startup packet on fd and return the SQLSTATE of the answer ("" if
 * none, "closed" if the server closed without one). */
static const char *
raw_startup_state(int fd)
{
	static char state[8];
	h_msg m = {0};
	h_raw_msg msg;
	h_msg_startup(&m, "root", "postgres");
	state[0] = '\0';
	if (!h_raw_send(fd, m.data, m.len))
		snprintf(state, sizeof(state), "closed");
	h_msg_free(&m);
	while (state[0] == '\0') {
		h_raw_rc rc = h_raw_read(fd, &msg, 3000);
		if (rc == H_RAW_CLOSED)
			snprintf(state, sizeof(state), "closed");
		else if (rc != H_RAW_MSG)
			snprintf(state, sizeof(state), "hang");
		else if (msg.type == 'E')
			snprintf(state, sizeof(state), "%s", h_raw_err_field(&msg, 'C') ? h_raw_err_field(&msg, 'C') : "?");
		else if (msg.type == 'Z')
			snprintf(state, sizeof(state), "ready");
	}
	return state;
}

static void
case_phases(void)
{
	static const char *const args[] = {"--drain-wait=800ms", "--query-wait=1500ms", NULL};
	node nd;
	notice_log nl;
	h_section("phases: unready before the listener closes, 57P03/refused in phase 2, 57P01 at phase 4");
	node_start(&nd, "phases", args);
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_draining"), 0, "pgkv_draining before");
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_ready"), 1, "pgkv_ready before");
	/* A session idle in a transaction keeps the node in phase 3. */
	PGconn *c = pg_connect(&nd, &nl);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	h_exec_ok(c, "begin");

	int64_t t0 = h_now_ms();
	kill(nd.pid, SIGTERM);
	sleep_ms(50);
	H_CHECK_EQ_INT(http_get(nd.http_port, "/health?ready=1", NULL, 0), 503, "ready=1 is 503 at once");
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_draining"), 1, "pgkv_draining");
	H_CHECK_EQ_INT(metric(nd.http_port, "pgkv_ready"), 0, "pgkv_ready");
	/* ... while the SQL listener still accepts. */
	int early = tcp_connect(nd.sql_port, 1000);
	H_CHECK(early >= 0, "SQL listener still accepts after /health turned 503");
	PGconn *c2 = pg_connect(&nd, NULL);
	H_CHECK(PQstatus(c2) == CONNECTION_OK, "login while unready: %s", PQerrorMessage(c2));
	PQfinish(c2);

	wait_phase(&nd, 3, 2000);
	H_CHECK(h_now_ms() - t0 >= 750, "listener kept open for drain_wait");
	/* Phase 2+: a new connection is refused or gets 57P03, quickly. */
	int64_t t1 = h_now_ms();
	PGconn *c3 = pg_connect(&nd, NULL);
	int64_t took = h_now_ms() - t1;
	const char *msg = PQerrorMessage(c3);
	H_CHECK(PQstatus(c3) == CONNECTION_BAD, "new connection in phase 2+ fails");
	H_CHECK(strstr(msg, "shutting down") || strstr(msg, "refused"), "refused or 57P03: %s", msg);
	H_CHECK(took < 1000, "no hang: failed after %lld ms", (long long) took);
	PQfinish(c3);
	/* A socket accepted before the listener closed gets 57P03 at startup. */
	if (early >= 0) {
		H_CHECK_EQ_STR(raw_startup_state(early), "57P03", "startup on a socket accepted earlier");
		close(early);
	}
	/* The idle-in-transaction session is cancelled at phase 4 with 57P01. */
	bool closed = wait_closed(c, 800 + 1500 + 1000 + SLACK_MS);
	int64_t t = h_now_ms() - t0;
	H_CHECK(closed, "session in an idle transaction closed at phase 4");
	H_CHECK(t >= 800 + 1500 - 100, "not before query_wait ran out (%lld ms)", (long long) t);
	H_CHECK_EQ_STR(nl.sqlstate, "57P01", "SQLSTATE before the close");
	PQfinish(c);
	H_CHECK(node_wait_exit(&nd, 800 + 1500 + 2000 + SLACK_MS), "node exited");
	H_CHECK_EQ_INT(nd.exit_status, 0, "exit status");
	H_CHECK(nd.exited_at - t0 <= 800 + 1500 + 2000, "exited in time (%lld ms)", (long long) (nd.exited_at - t0));
	node_finish(&nd);
}

/* Run `pgkv drain ARGS`; returns its exit status, stdout in out. */
static int
run_drain(const char *const *args, char *out, size_t n)
{
	char *argv[16];
	int k = 0, pipefd[2], st;
	argv[k++] = (char *) pgkv_bin();
	argv[k++] = "drain";
	for (int i = 0; args[i] && k < 15; i++)
		argv[k++] = (char *) args[i];
	argv[k] = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(pipefd[1], 1);
		dup2(devnull, 2);
		close(pipefd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < n && (r = read(pipefd[0], out + got, n - 1 - got)) > 0)
		got += (size_t) r;
	out[got] = '\0';
	close(pipefd[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
case_drain_command(void)
{
	static const char *const args[] = {"--drain-wait=300ms", "--query-wait=1s", "--admin-token=s3cret", NULL};
	node nd;
	char out[256], http[64];
	h_section("pgkv drain --wait");
	node_start(&nd, "cmd", args);
	snprintf(http, sizeof(http), "127.0.0.1:%d", nd.http_port);
	const char *bad[] = {"--http", http, "--token", "wrong", NULL};
	H_CHECK_EQ_INT(run_drain(bad, out, sizeof(out)), 1, "drain with a wrong token fails");
	H_CHECK_EQ_INT(http_get(nd.http_port, "/health?ready=1", NULL, 0), 200, "still ready after a refused drain");
	PGconn *c = pg_connect(&nd, NULL);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	int64_t t0 = h_now_ms();
	const char *good[] = {"--http", http, "--token", "s3cret", "--wait", NULL};
	int rc = run_drain(good, out, sizeof(out));
	int64_t took = h_now_ms() - t0;
	H_CHECK_EQ_INT(rc, 0, "pgkv drain --wait exit status");
	H_CHECK_EQ_STR(out, "ok\n", "pgkv drain --wait output");
	H_CHECK(node_wait_exit(&nd, 1000), "node has exited when drain --wait returns");
	H_CHECK_EQ_INT(nd.exit_status, 0, "node exit status");
	H_CHECK(took >= 300 && took <= 300 + 1000 + 2000 + SLACK_MS, "drain --wait took %lld ms", (long long) took);
	H_CHECK(log_contains(&nd, "drain requested over HTTP"), "drain request logged");
	PQfinish(c);
	node_finish(&nd);
}

static void
case_second_signal(int second)
{
	static const char *const args[] = {"--drain-wait=10s", "--query-wait=10s", NULL};
	node nd;
	h_section(second == SIGTERM ? "second SIGTERM stops at once" : "SIGINT stops at once");
	node_start(&nd, second == SIGTERM ? "sigterm2" : "sigint", args);
	PGconn *c = pg_connect(&nd, NULL);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	H_CHECK(PQsendQuery(c, "select pg_sleep(30)") == 1, "send pg_sleep(30)");
	sleep_ms(100);
	if (second == SIGTERM) {
		kill(nd.pid, SIGTERM);
		sleep_ms(200);
		H_CHECK(!node_reap(&nd, false), "still draining after the first SIGTERM");
	}
	int64_t t0 = h_now_ms();
	kill(nd.pid, second);
	H_CHECK(node_wait_exit(&nd, 2000 + SLACK_MS), "node exited");
	H_CHECK_EQ_INT(nd.exit_status, 0, "exit status");
	H_CHECK(nd.exited_at - t0 <= 1500, "stopped %lld ms after the signal", (long long) (nd.exited_at - t0));
	/* The client's query ends (error or closed), it does not hang. */
	PGresult *r = PQgetResult(c);
	H_CHECK(r == NULL || PQresultStatus(r) == PGRES_FATAL_ERROR, "pg_sleep ended with an error");
	PQclear(r);
	PQfinish(c);
	node_finish(&nd);
}

int
main(void)
{
	h_section("drain");
	if (h_is_postgres()) {
		printf("# skip: drain phases are pgkv-only (PGKV_TARGET=postgres)\n");
		printf("0 passed, 0 failed (target %s), skipped\n", h_target_name());
		return 0;
	}
	int64_t t0 = h_now_ms();
	case_idle();
	case_transaction();
	case_long_query();
	case_phases();
	case_drain_command();
	case_second_signal(SIGTERM);
	case_second_signal(SIGINT);
	printf("# drain tests took %lld ms\n", (long long) (h_now_ms() - t0));
	return done_with_logs();
}
