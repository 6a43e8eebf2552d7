/*
 * txn_util.h -- helpers for the multi-session transaction tests
 * (test_txn_*.c): drive two or more libpq connections step by step, with
 * statements sent asynchronously so that a test can see one session block
 * on another's lock, and read pgkv's /metrics.
 *
 * Header-only (static functions) so each test stays one executable built
 * with the harness alone.
 *
 *   tu_send(c, sql)            PQsendQuery, checked
 *   tu_blocked(c, ms)          after ms, is c still waiting for its result?
 *   tu_wait(c, ms)             collect every result of the query sent on c
 *                              (the first error, or the last result)
 *   tu_exec_state(c, sql)      run sql, return its SQLSTATE ("" = success)
 *   tu_metric(name)            a counter from pgkv's /metrics (-1 for postgres)
 *   tu_sleep_ms(ms)
 */
#ifndef PGKV_IT_TXN_UTIL_H
#define PGKV_IT_TXN_UTIL_H

#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline void
tu_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

#define tu_send(c, sql) tu_send_at((c), (sql), __FILE__, __LINE__)
static inline bool
tu_send_at(PGconn *c, const char *sql, const char *file, int line)
{
	int			ok = PQsendQuery(c, sql);

	h_check_at(ok == 1, file, line, "send \"%s\": %s", sql, ok ? "" : PQerrorMessage(c));
	return ok == 1;
}

/* After ms milliseconds: is the query sent on c still running? */
static inline bool
tu_blocked(PGconn *c, int ms)
{
	tu_sleep_ms(ms);
	if (!PQconsumeInput(c))
		return false;
	return PQisBusy(c) == 1;
}

/*
 * Wait up to ms for the query sent on c to finish and collect its results.
 * Returns the first error result, else the last result (caller PQclears);
 * NULL on timeout (the connection is then unusable) or when there was none.
 */
static inline PGresult *
tu_wait(PGconn *c, int ms)
{
	int64_t		deadline = h_now_ms() + ms;
	PGresult   *keep = NULL;

	for (;;)
	{
		while (PQisBusy(c))
		{
			struct pollfd pfd = {PQsocket(c), POLLIN, 0};
			int64_t		left = deadline - h_now_ms();

			if (left <= 0)
			{
				PQclear(keep);
				return NULL;
			}
			if (poll(&pfd, 1, (int) left) < 0 || !PQconsumeInput(c))
				break;
		}
		PGresult   *r = PQgetResult(c);

		if (r == NULL)
			return keep;
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR)
			PQclear(r);
		else
		{
			PQclear(keep);
			keep = r;
		}
	}
}

/* SQLSTATE of a result: "" for success, "timeout" when there was none. */
static inline const char *
tu_state(const PGresult *r)
{
	if (r == NULL)
		return "timeout";
	if (PQresultStatus(r) == PGRES_FATAL_ERROR)
		return h_sqlstate(r);
	return "";
}

/* Run sql (all of a multi-statement string); its SQLSTATE ("" = success),
 * copied into a static buffer. */
static inline const char *
tu_exec_state(PGconn *c, const char *sql)
{
	static __thread char st[16];
	PGresult   *r;

	if (!PQsendQuery(c, sql))
		return "send";
	r = tu_wait(c, 60000);
	snprintf(st, sizeof(st), "%s", tu_state(r));
	PQclear(r);
	return st;
}

/*
 * Sum of the samples of counter `name` in pgkv's /metrics (over labels);
 * -1 against PostgreSQL or when it cannot be read.
 */
static inline long long
tu_metric(const char *name)
{
	const h_server *s = h_server_get();
	struct sockaddr_in sa = {0};
	char		req[128], *buf;
	size_t		len = 0, cap = 1 << 20;
	long long	sum = -1;
	int			fd;

	if (s == NULL || s->http_port == 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) s->http_port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	buf = malloc(cap);
	if (buf == NULL || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0)
	{
		free(buf);
		close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
	if (write(fd, req, strlen(req)) != (ssize_t) strlen(req))
	{
		free(buf);
		close(fd);
		return -1;
	}
	for (;;)
	{
		ssize_t		n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += (size_t) n;
		if (len == cap - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	for (char *line = buf; line && *line; )
	{
		char	   *nl = strchr(line, '\n');
		size_t		nlen = strlen(name);

		if (nl)
			*nl = '\0';
		if (strncmp(line, name, nlen) == 0 && (line[nlen] == ' ' || line[nlen] == '{'))
		{
			char	   *sp = strrchr(line, ' ');

			if (sp)
				sum = (sum < 0 ? 0 : sum) + atoll(sp + 1);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return sum;
}

#endif							/* PGKV_IT_TXN_UTIL_H */
