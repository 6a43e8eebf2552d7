/*
 * drain_util.h -- helpers shared by the drain tests (test_drain.c,
 * test_drain_rolling.c): start and stop pgkv nodes ourselves (the harness
 * runs one server per process and hides its pid and exit status, which
 * these tests need), a tiny HTTP client for /health and /metrics, and log
 * checks.  Header-only: each test is a single .c file built with the
 * harness (tests/integration/CMakeLists.txt).
 *
 *   node_start / node_start_ports   run `pgkv start`, wait for ready
 *   node_reap / node_wait_exit      exit status and time
 *   node_kill / node_finish         stop at once (SIGINT) / remember the log
 *   http_get, metric, tcp_connect, free_port, log_contains, pgkv_bin
 *   done_with_logs                  h_done() + every node's log on failure
 */
#ifndef PGKV_IT_DRAIN_UTIL_H
#define PGKV_IT_DRAIN_UTIL_H

#include <arpa/inet.h>
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

#include "harness.h"

/* Every helper is static; not every test uses all of them. */
#define DU_FN __attribute__((unused))

/* Slack on every timing check: CI machines are slow and shared. */
#define SLACK_MS 700

/* Logs of every node, printed at the end if a check failed. */
static char g_logs[32][512];
static int g_nlogs;

typedef struct node {
	pid_t pid;
	int sql_port, http_port;
	char *dir;
	char log[512];
	int exit_status;	/* -1 while running; 128+sig when killed */
	int64_t exited_at;	/* h_now_ms() when reaped */
} node;

DU_FN static const char *
pgkv_bin(void)
{
	static char buf[600];
	const char *b = getenv("PGKV_BIN");
	if (b && *b)
		return b;
	snprintf(buf, sizeof(buf), "%s/build/pgkv", h_src_dir());
	return buf;
}

DU_FN static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* ---------- a tiny HTTP client ---------- */

DU_FN static int
tcp_connect(int port, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0) {
		if (errno != EINPROGRESS) {
			close(fd);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int err = 0;
		socklen_t len = sizeof(err);
		if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* GET path; returns the status (0 when nothing answers) and the body in
 * body (size n, may be NULL). */
DU_FN static int
http_get(int port, const char *path, char *body, size_t n)
{
	char req[256], buf[16384];
	size_t got = 0;
	int fd = tcp_connect(port, 1000), code = 0;
	if (body && n)
		body[0] = '\0';
	if (fd < 0)
		return 0;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (!h_raw_send(fd, req, strlen(req))) {
		close(fd);
		return 0;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) != 1)
			break;
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t) r;
		if (got == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		return 0;
	const char *sep = strstr(buf, "\r\n\r\n");
	if (body && n && sep)
		snprintf(body, n, "%s", sep + 4);
	return code;
}

/* Value of an unlabelled metric, or -1. */
DU_FN static long long
metric(int port, const char *name)
{
	char body[16384];
	if (http_get(port, "/metrics", body, sizeof(body)) != 200)
		return -1;
	size_t n = strlen(name);
	for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

/* ---------- nodes ---------- */

DU_FN static bool
node_reap(node *nd, bool block)
{
	int st;
	if (nd->exit_status >= 0)
		return true;
	pid_t r = waitpid(nd->pid, &st, block ? 0 : WNOHANG);
	if (r != nd->pid)
		return false;
	nd->exited_at = h_now_ms();
	nd->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return true;
}

/* Wait up to ms for the node to exit; true if it did. */
DU_FN static bool
node_wait_exit(node *nd, int ms)
{
	int64_t deadline = h_now_ms() + ms;
	while (!node_reap(nd, false)) {
		if (h_now_ms() > deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

DU_FN static void
node_print_log(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(f);
}

DU_FN static bool
log_contains(const node *nd, const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(nd->log, "r");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/*
 * Start `pgkv start` in the directory h_tmpdir(name) (created if needed;
 * the store is DIR/store, so a second start with the same name reuses the
 * data directory) on sql_port/http_port (0: free ones) with the flags in
 * args (NULL-terminated), and wait until /health?ready=1 answers 200.
 * Each start writes its own log DIR/pgkv-N.log.  Fails the test if the
 * node does not come up within 20 s.
 */
DU_FN static void
node_start_ports(node *nd, const char *name, int sql_port, int http_port, const char *const *args)
{
	static int seq;
	char *argv[40], listen[64], http[64];
	int k = 0;
	memset(nd, 0, sizeof(*nd));
	nd->exit_status = -1;
	nd->dir = h_tmpdir(name);
	snprintf(nd->log, sizeof(nd->log), "%s/pgkv-%d.log", nd->dir, ++seq);
	snprintf(listen, sizeof(listen), "--listen=127.0.0.1:%d", sql_port);
	snprintf(http, sizeof(http), "--http=127.0.0.1:%d", http_port);
	char *store = malloc(strlen(nd->dir) + 32);
	sprintf(store, "embedded:%s/store", nd->dir);
	argv[k++] = (char *) pgkv_bin();
	argv[k++] = "start";
	argv[k++] = listen;
	argv[k++] = http;
	argv[k++] = "--socket-dir=";
	argv[k++] = "--store";
	argv[k++] = store;
	for (int i = 0; args && args[i] && k < 38; i++)
		argv[k++] = (char *) args[i];
	argv[k] = NULL;

	nd->pid = fork();
	if (nd->pid < 0)
		h_fail_now("fork: %s", strerror(errno));
	if (nd->pid == 0) {
		int fd = open(nd->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int devnull = open("/dev/null", O_RDONLY);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(devnull, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	free(store);
	int64_t deadline = h_now_ms() + 20000;
	for (;;) {
		if (node_reap(nd, false)) {
			node_print_log(nd->log);
			h_fail_now("pgkv %s exited during start-up with status %d", name, nd->exit_status);
		}
		if (nd->sql_port == 0) {
			FILE *f = fopen(nd->log, "r");
			char line[512];
			while (f && fgets(line, sizeof(line), f))
				if (sscanf(line, "sql_port=%d http_port=%d", &nd->sql_port, &nd->http_port) == 2)
					break;
			if (f)
				fclose(f);
		}
		if (nd->http_port > 0 && http_get(nd->http_port, "/health?ready=1", NULL, 0) == 200)
			return;
		if (h_now_ms() > deadline) {
			node_print_log(nd->log);
			h_fail_now("pgkv %s not ready within 20 s", name);
		}
		sleep_ms(20);
	}
}

DU_FN static void
node_start(node *nd, const char *name, const char *const *args)
{
	node_start_ports(nd, name, 0, 0, args);
}

/* A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
DU_FN static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 &&
		getsockname(fd, (struct sockaddr *) &a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (port == 0)
		h_fail_now("could not find a free port");
	return port;
}

/* Print the logs of every node started, if the test failed. */
DU_FN static int
done_with_logs(void)
{
	int rc = h_done();
	for (int i = 0; rc != 0 && i < g_nlogs; i++)
		node_print_log(g_logs[i]);
	return rc;
}

/* Stop a node that a case left running (SIGINT: at once). */
DU_FN static void
node_kill(node *nd)
{
	if (nd->pid <= 0 || node_reap(nd, false))
		return;
	kill(nd->pid, SIGINT);
	if (!node_wait_exit(nd, 3000)) {
		kill(nd->pid, SIGKILL);
		node_reap(nd, true);
	}
}


/* Stop the node if a case left it running and remember its log. */
DU_FN static void
node_finish(node *nd)
{
	node_kill(nd);
	if (g_nlogs < 32)
		snprintf(g_logs[g_nlogs++], sizeof(g_logs[0]), "%s", nd->log);
	free(nd->dir);
	nd->dir = NULL;
}


#endif /* PGKV_IT_DRAIN_UTIL_H */
