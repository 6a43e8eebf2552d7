/*
 * test_limits.c -- connection limit: with a limit of 3 (pgkv
 * --max-connections 3; PostgreSQL max_connections = 3 with
 * superuser_reserved_connections = 0) three sessions work, the fourth gets
 * FATAL 53300 "sorry, too many clients already", and closing a session with
 * Terminate frees its slot.
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT 3

/* Connect, retrying for a moment while the server still counts a session
 * that has just gone (a backend's exit is asynchronous). */
static PGconn *
connect_retry(int ms)
{
	int64_t		deadline = h_now_ms() + ms;

	for (;;)
	{
		PGconn	   *c = h_try_connect(NULL);

		if (PQstatus(c) == CONNECTION_OK || h_now_ms() > deadline)
			return c;
		PQfinish(c);
		usleep(50 * 1000);
	}
}

/* One raw startup; returns the SQLSTATE of the ErrorResponse (or "") and
 * copies its message. */
static void
raw_startup(char *state, char *msg, size_t msgsz)
{
	int			fd = h_raw_connect();
	h_msg		m = {0};
	h_raw_msg	r;

	state[0] = '\0';
	msg[0] = '\0';
	if (fd < 0)
		return;
	h_msg_startup(&m, h_server_get()->user, h_server_get()->dbname);
	h_raw_send(fd, m.data, m.len);
	for (;;)
	{
		if (h_raw_read(fd, &r, 5000) != H_RAW_MSG)
			break;
		if (r.type == 'E')
		{
			const char *c = h_raw_err_field(&r, 'C');
			const char *mm = h_raw_err_field(&r, 'M');

			snprintf(state, 6, "%s", c ? c : "?????");
			snprintf(msg, msgsz, "%s", mm ? mm : "");
			H_CHECK_EQ_STR(h_raw_err_field(&r, 'V'), "FATAL", "severity of the refusal");
			H_CHECK(h_raw_drain_to_close(fd, 5000) == H_RAW_CLOSED,
					"connection closed after the refusal");
			break;
		}
		if (r.type == 'Z')
			break;
	}
	close(fd);
	h_msg_free(&m);
}

int
main(void)
{
	h_server_opts opts = {0};
	PGconn	   *c[LIMIT];
	PGconn	   *extra;
	char		state[6], msg[256];

	opts.max_connections = LIMIT;
	h_start(&opts);

	h_section("the limit");
	for (int i = 0; i < LIMIT; i++)
	{
		c[i] = connect_retry(3000);
		H_CHECK(PQstatus(c[i]) == CONNECTION_OK, "connection %d of %d: %s", i + 1, LIMIT,
				PQerrorMessage(c[i]));
	}
	extra = h_try_connect(NULL);
	H_CHECK(PQstatus(extra) != CONNECTION_OK, "connection %d refused", LIMIT + 1);
	H_CHECK(strstr(PQerrorMessage(extra), "sorry, too many clients already") != NULL,
			"libpq reports: %s", PQerrorMessage(extra));
	PQfinish(extra);

	raw_startup(state, msg, sizeof(msg));
	H_CHECK_EQ_STR(state, "53300", "SQLSTATE of the refused connection");
	H_CHECK_EQ_STR(msg, "sorry, too many clients already", "message of the refused connection");

	/* the sessions that got in still work */
	for (int i = 0; i < LIMIT; i++)
		if (PQstatus(c[i]) == CONNECTION_OK)
			h_expect_value(c[i], "select 'inside'", "inside");

	h_section("Terminate frees a slot");
	PQfinish(c[0]);				/* sends Terminate */
	c[0] = connect_retry(5000);
	H_CHECK(PQstatus(c[0]) == CONNECTION_OK, "a new connection after one closed: %s",
			PQerrorMessage(c[0]));
	if (PQstatus(c[0]) == CONNECTION_OK)
		h_expect_value(c[0], "select 'replacement'", "replacement");
	extra = h_try_connect(NULL);
	H_CHECK(PQstatus(extra) != CONNECTION_OK, "still full after the replacement");
	PQfinish(extra);

	h_section("a dropped socket frees a slot too");
	{
		int			fd = -1;

		/* free one slot, take it with a raw session, drop it without Terminate */
		PQfinish(c[1]);
		c[1] = NULL;
		for (int64_t deadline = h_now_ms() + 5000; h_now_ms() < deadline;)
		{
			fd = h_raw_connect();
			if (fd >= 0 && h_raw_login(fd))
				break;
			if (fd >= 0)
				close(fd);
			fd = -1;
			usleep(50 * 1000);
		}
		H_CHECK(fd >= 0, "raw session took the free slot");
		if (fd >= 0)
			close(fd);
		c[1] = connect_retry(5000);
		H_CHECK(PQstatus(c[1]) == CONNECTION_OK, "slot of a dropped socket reused: %s",
				PQerrorMessage(c[1]));
	}
	for (int i = 0; i < LIMIT; i++)
		PQfinish(c[i]);
	return h_done();
}
