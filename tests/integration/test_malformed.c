/*
 * test_malformed.c -- the server against bytes no client library would send.
 *
 * Raw sockets only (no libpq except for the final health checks).  More than
 * 1,000 cases: random bytes as startup packets, startup packets of bad,
 * negative, huge and > 10,000-byte lengths, valid messages cut short after a
 * good startup, random message types and bodies, unknown message types,
 * over-long lengths.  For each case the server must answer with an
 * ErrorResponse or close the connection within the timeout, never hang; every
 * 100 cases and at the end a fresh libpq connection must still run
 * `select 1`.  Where the client half-closes its side (shutdown(SHUT_WR)) it is
 * because a truncated message legitimately makes a server wait for the rest:
 * then end of input must make it close.
 *
 * Targeted cases check PostgreSQL's exact answers: invalid UTF-8 in a Query
 * (22021), Bind of a missing statement (26000), unknown message type (08P01),
 * startup without user (28000), protocol 3.5 (NegotiateProtocolVersion),
 * SSLRequest and GSSENCRequest on a server without TLS ('N'), and Execute
 * with a row limit (PortalSuspended, then the rest).
 *
 * PGKV_IT_SEED=N changes the random sequence (default 20240229); the seed is
 * printed so a failure can be replayed.  Expectations are PostgreSQL 15's
 * behaviour (passes with PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CASE_TIMEOUT_MS 5000
#define MAX_HANGS 3				/* stop the fuzzing after this many */

typedef enum outcome {
	OUT_CLOSED,					/* the server closed the connection */
	OUT_ERROR,					/* an ErrorResponse arrived (maybe still open) */
	OUT_HANG,					/* neither within the timeout */
} outcome;

static uint64_t g_rng;
static int	g_cases;
static int	g_hangs;
static int	g_login_failures;

static uint32_t
rnd(void)
{
	/* xorshift64* */
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return (uint32_t) ((g_rng * UINT64_C(2685821657736338717)) >> 32);
}

static uint32_t
rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void
rnd_bytes(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char) rnd();
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/*
 * Read everything the server sends until it closes or timeout_ms passes
 * (after half-closing our side if asked).  An ErrorResponse anywhere in the
 * byte stream counts as an answer; sqlstate (if not NULL, 6 bytes) gets its
 * code.
 */
static outcome
probe(int fd, bool half_close, int timeout_ms, char *sqlstate)
{
	unsigned char buf[65536];
	size_t		n = 0;
	int64_t		deadline = h_now_ms() + timeout_ms;
	bool		closed = false;
	bool		error = false;

	if (half_close)
		shutdown(fd, SHUT_WR);
	for (;;)
	{
		int			b;
		int64_t		left = deadline - h_now_ms();

		if (left <= 0)
			break;
		b = h_raw_read_byte(fd, (int) left);
		if (b == -2)
		{
			closed = true;
			break;
		}
		if (b == -1)
			break;
		if (n < sizeof(buf))
			buf[n++] = (unsigned char) b;
	}
	/* find ErrorResponses: walk messages, resynchronising byte by byte */
	for (size_t i = 0; i + 5 <= n;)
	{
		uint32_t	len = be32(buf + i + 1);

		if (len >= 4 && i + 1 + len <= n)
		{
			if (buf[i] == 'E')
			{
				error = true;
				if (sqlstate && sqlstate[0] == '\0')
				{
					/* fields: code byte + NUL-terminated string */
					for (size_t j = i + 5; j < i + 1 + len && buf[j];)
					{
						size_t		sl = strnlen((char *) buf + j + 1, i + 1 + len - j - 1);

						if (buf[j] == 'C')
							snprintf(sqlstate, 6, "%s", (char *) buf + j + 1);
						j += sl + 2;
					}
				}
			}
			i += 1 + len;
		}
		else
			i++;
	}
	/* protocol-2 style error (PostgreSQL answers a 2.0 startup this way) */
	if (n > 0 && buf[0] == 'E' && !error && closed)
		error = true;
	if (closed)
		return OUT_CLOSED;
	return error ? OUT_ERROR : OUT_HANG;
}

/* Record the outcome of one fuzz case. */
static void
judge(outcome o, const char *kind, int i)
{
	g_cases++;
	if (o == OUT_HANG)
	{
		g_hangs++;
		H_CHECK(false, "%s case %d: no ErrorResponse and no close within %d ms", kind, i,
				CASE_TIMEOUT_MS);
	}
	else
		H_CHECK(true, "%s case %d: %s", kind, i, o == OUT_CLOSED ? "closed" : "error");
}

static bool
still_serving(const char *after)
{
	PGconn	   *c = h_try_connect(NULL);
	PGresult   *r = NULL;
	bool		ok = PQstatus(c) == CONNECTION_OK;

	if (ok)
	{
		r = PQexec(c, "select 1");
		ok = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "1") == 0;
	}
	H_CHECK(ok, "a fresh connection runs select 1 after %s (%s)", after,
			ok ? "ok" : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

static void
maybe_health_check(const char *kind)
{
	if (g_cases % 100 == 0)
	{
		char		what[96];

		snprintf(what, sizeof(what), "%d cases (%s)", g_cases, kind);
		if (!still_serving(what))
			h_fail_now("the server stopped serving");
	}
}

/* ---- startup-phase fuzzing ---- */

static void
fuzz_startup_random(int count)
{
	h_section("random bytes as startup packets");
	for (int i = 0; i < count && g_hangs < MAX_HANGS; i++)
	{
		unsigned char pkt[512];
		size_t		n = 1 + rnd_below(300);
		int			fd = h_raw_connect();
		uint32_t	len;

		if (fd < 0)
		{
			H_CHECK(false, "connect for random startup %d", i);
			continue;
		}
		rnd_bytes(pkt, n);
		switch (i % 4)
		{
			case 0:				/* pure noise */
				break;
			case 1:				/* a plausible length, random code and body */
				len = (uint32_t) (n < 8 ? 8 : n);
				pkt[0] = (unsigned char) (len >> 24);
				pkt[1] = (unsigned char) (len >> 16);
				pkt[2] = (unsigned char) (len >> 8);
				pkt[3] = (unsigned char) len;
				break;
			case 2:				/* right length, protocol 3.0, random body */
				if (n < 8)
					n = 8;
				len = (uint32_t) n;
				pkt[0] = (unsigned char) (len >> 24);
				pkt[1] = (unsigned char) (len >> 16);
				pkt[2] = (unsigned char) (len >> 8);
				pkt[3] = (unsigned char) len;
				pkt[4] = 0;
				pkt[5] = 3;
				pkt[6] = 0;
				pkt[7] = 0;
				break;
			case 3:				/* length claims more than is sent */
				if (n < 8)
					n = 8;
				len = (uint32_t) n + 1 + rnd_below(5000);
				pkt[0] = (unsigned char) (len >> 24);
				pkt[1] = (unsigned char) (len >> 16);
				pkt[2] = (unsigned char) (len >> 8);
				pkt[3] = (unsigned char) len;
				break;
		}
		h_raw_send(fd, pkt, n);
		judge(probe(fd, true, CASE_TIMEOUT_MS, NULL), "random startup", i);
		close(fd);
		maybe_health_check("random startup");
	}
}

/* Lengths a server must reject on sight, without waiting for a body. */
static void
startup_bad_lengths(void)
{
	static const uint32_t lens[] = {0, 1, 3, 4, 7, 0xffffffffu, 0xfffffff8u, 0x80000000u,
	0x7fffffffu, 0x40000000u, 1000000u, 10001u + 100000u};

	h_section("startup packets with bad lengths");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
	{
		unsigned char pkt[8];
		int			fd = h_raw_connect();
		outcome		o;

		if (fd < 0)
			continue;
		pkt[0] = (unsigned char) (lens[i] >> 24);
		pkt[1] = (unsigned char) (lens[i] >> 16);
		pkt[2] = (unsigned char) (lens[i] >> 8);
		pkt[3] = (unsigned char) lens[i];
		pkt[4] = 0;
		pkt[5] = 3;
		pkt[6] = 0;
		pkt[7] = 0;
		if (g_hangs >= MAX_HANGS)
		{
			close(fd);
			break;
		}
		h_raw_send(fd, pkt, 8);
		o = probe(fd, false, CASE_TIMEOUT_MS, NULL);
		g_cases++;
		if (o == OUT_HANG)
			g_hangs++;
		H_CHECK(o != OUT_HANG, "startup length %u rejected without waiting (%s)", lens[i],
				o == OUT_CLOSED ? "closed" : o == OUT_ERROR ? "error" : "hang");
		close(fd);
	}

	/* a complete, well-formed startup packet of 20,000 bytes */
	{
		h_msg		m = {0};
		char	   *big = malloc(20000);
		int			fd = h_raw_connect();
		outcome		o;

		memset(big, 'a', 19900);
		big[19900] = '\0';
		h_msg_begin(&m, 0);
		h_msg_int32(&m, 196608);
		h_msg_str(&m, "user");
		h_msg_str(&m, h_server_get()->user);
		h_msg_str(&m, "application_name");
		h_msg_str(&m, big);
		h_msg_int8(&m, 0);
		h_msg_end(&m);
		if (fd >= 0)
		{
			h_raw_send(fd, m.data, m.len);
			o = probe(fd, false, CASE_TIMEOUT_MS, NULL);
			g_cases++;
			H_CHECK(o != OUT_HANG, "startup packet of %zu bytes rejected (%s)", m.len,
					o == OUT_CLOSED ? "closed" : "error");
			close(fd);
		}
		free(big);
		h_msg_free(&m);
	}
	still_serving("bad startup lengths");
}

static void
startup_targeted(void)
{
	h_msg		m = {0};
	int			fd;
	char		state[6] = "";
	char		types[64] = "";

	h_section("startup: targeted cases");
	/* no user */
	fd = h_raw_connect();
	h_msg_begin(&m, 0);
	h_msg_int32(&m, 196608);
	h_msg_str(&m, "database");
	h_msg_str(&m, h_server_get()->dbname);
	h_msg_int8(&m, 0);
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	H_CHECK(probe(fd, false, CASE_TIMEOUT_MS, state) == OUT_CLOSED,
			"startup without user: closed");
	H_CHECK_EQ_STR(state, "28000", "startup without user");
	close(fd);
	h_msg_reset(&m);

	/* protocol 2.0: refused (PostgreSQL answers in the old format) */
	fd = h_raw_connect();
	h_msg_begin(&m, 0);
	h_msg_int32(&m, 2 << 16);
	h_msg_str(&m, "user");
	h_msg_str(&m, h_server_get()->user);
	h_msg_int8(&m, 0);
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	H_CHECK(probe(fd, false, CASE_TIMEOUT_MS, NULL) == OUT_CLOSED,
			"protocol 2.0 startup: refused and closed");
	close(fd);
	h_msg_reset(&m);

	/* protocol 3.5 and an unknown _pq_ option: NegotiateProtocolVersion, then on */
	fd = h_raw_connect();
	h_msg_begin(&m, 0);
	h_msg_int32(&m, (3 << 16) | 5);
	h_msg_str(&m, "user");
	h_msg_str(&m, h_server_get()->user);
	h_msg_str(&m, "database");
	h_msg_str(&m, h_server_get()->dbname);
	h_msg_str(&m, "_pq_.pgkv_test_option");
	h_msg_str(&m, "1");
	h_msg_int8(&m, 0);
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	{
		h_raw_msg	msg;

		if (h_raw_read(fd, &msg, CASE_TIMEOUT_MS) == H_RAW_MSG && msg.type == 'v')
		{
			H_CHECK(msg.len >= 8 && be32(msg.body) == (3u << 16) &&
					be32(msg.body + 4) == 1 &&
					strcmp((char *) msg.body + 8, "_pq_.pgkv_test_option") == 0,
					"NegotiateProtocolVersion: 3.0 and the unknown option");
			state[0] = '\0';
			H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
					H_RAW_MSG && state[0] == '\0', "protocol 3.5 startup reaches ReadyForQuery");
		}
		else
			H_CHECK(false, "protocol 3.5 startup: NegotiateProtocolVersion expected (got '%c')",
					msg.type);
	}
	close(fd);
	h_msg_reset(&m);

	/* SSLRequest and GSSENCRequest on a server without TLS: 'N', then startup */
	{
		static const int32_t codes[] = {80877103, 80877104};

		for (int i = 0; i < 2; i++)
		{
			int			b;

			fd = h_raw_connect();
			h_msg_begin(&m, 0);
			h_msg_int32(&m, codes[i]);
			h_msg_end(&m);
			h_raw_send(fd, m.data, m.len);
			h_msg_reset(&m);
			b = h_raw_read_byte(fd, CASE_TIMEOUT_MS);
			if (i == 1 && b == 'G')
			{
				/* a PostgreSQL built with GSSAPI (Debian's) accepts GSS
				 * encryption; a server without it answers 'N' */
				H_CHECK(true, "GSSENCRequest answered 'G'");
				close(fd);
				continue;
			}
			H_CHECK(b == 'N', "%s answered 'N' (got %d)",
					i == 0 ? "SSLRequest" : "GSSENCRequest", b);
			H_CHECK(h_raw_login(fd), "startup after %s 'N'",
					i == 0 ? "SSLRequest" : "GSSENCRequest");
			close(fd);
		}
	}
	h_msg_free(&m);
}

/* ---- message-phase fuzzing ---- */

/* A random valid frontend message into m. */
static void
valid_message(h_msg *m)
{
	switch (rnd_below(8))
	{
		case 0:
			h_msg_begin(m, 'Q');
			h_msg_str(m, "select 1, 'some text', 2.5");
			h_msg_end(m);
			break;
		case 1:
			h_msg_begin(m, 'P');
			h_msg_str(m, "stmt");
			h_msg_str(m, "select $1::int4 + $2");
			h_msg_int16(m, 2);
			h_msg_int32(m, 23);
			h_msg_int32(m, 0);
			h_msg_end(m);
			break;
		case 2:
			h_msg_begin(m, 'B');
			h_msg_str(m, "portal");
			h_msg_str(m, "stmt");
			h_msg_int16(m, 1);
			h_msg_int16(m, 0);
			h_msg_int16(m, 2);
			h_msg_int32(m, 1);
			h_msg_bytes(m, "5", 1);
			h_msg_int32(m, -1);
			h_msg_int16(m, 1);
			h_msg_int16(m, 1);
			h_msg_end(m);
			break;
		case 3:
			h_msg_begin(m, 'D');
			h_msg_int8(m, 'S');
			h_msg_str(m, "stmt");
			h_msg_end(m);
			break;
		case 4:
			h_msg_begin(m, 'E');
			h_msg_str(m, "portal");
			h_msg_int32(m, 10);
			h_msg_end(m);
			break;
		case 5:
			h_msg_begin(m, 'C');
			h_msg_int8(m, 'P');
			h_msg_str(m, "portal");
			h_msg_end(m);
			break;
		case 6:
			h_msg_begin(m, 'S');
			h_msg_end(m);
			break;
		default:
			h_msg_begin(m, 'H');
			h_msg_end(m);
			break;
	}
}

static int
login_or_count(const char *kind, int i)
{
	int			fd = h_raw_connect();

	if (fd < 0 || !h_raw_login(fd))
	{
		H_CHECK(false, "%s case %d: login failed", kind, i);
		if (fd >= 0)
			close(fd);
		/* every case needs a login: do not spend 10 s on each of hundreds */
		if (++g_login_failures >= MAX_HANGS)
			h_fail_now("%d raw logins failed; giving up", g_login_failures);
		return -1;
	}
	return fd;
}

static void
fuzz_truncated(int count)
{
	h_msg		m = {0};

	h_section("valid messages cut short after a good startup");
	for (int i = 0; i < count && g_hangs < MAX_HANGS; i++)
	{
		int			fd = login_or_count("truncated", i);
		size_t		cut;

		if (fd < 0)
			continue;
		h_msg_reset(&m);
		/* sometimes a few whole messages first */
		for (uint32_t k = rnd_below(3); k > 0; k--)
			valid_message(&m);
		cut = m.len;
		valid_message(&m);
		cut += 1 + rnd_below((uint32_t) (m.len - cut - 1));
		h_raw_send(fd, m.data, cut);
		judge(probe(fd, true, CASE_TIMEOUT_MS, NULL), "truncated", i);
		close(fd);
		maybe_health_check("truncated");
	}
	h_msg_free(&m);
}

static void
fuzz_random_messages(int count)
{
	h_msg		m = {0};

	h_section("random message types and bodies after a good startup");
	for (int i = 0; i < count && g_hangs < MAX_HANGS; i++)
	{
		int			fd = login_or_count("random message", i);
		unsigned char body[128];
		size_t		n = rnd_below(100);
		char		t = (char) rnd_below(256);

		if (fd < 0)
			continue;
		rnd_bytes(body, n);
		if (t == 'F' && n >= 4)
			body[0] = 0xff;		/* never name a real function */
		h_msg_reset(&m);
		h_msg_begin(&m, t);
		h_msg_bytes(&m, body, n);
		h_msg_end(&m);
		/* half the cases end with a Sync, as a client would */
		if (i % 2)
		{
			h_msg_begin(&m, 'S');
			h_msg_end(&m);
		}
		h_raw_send(fd, m.data, m.len);
		judge(probe(fd, true, CASE_TIMEOUT_MS, NULL), "random message", i);
		close(fd);
		maybe_health_check("random message");
	}
	h_msg_free(&m);
}

static void
fuzz_bad_lengths(int count)
{
	static const uint32_t lens[] = {0, 1, 2, 3, 0xffffffffu, 0x80000000u, 0x7fffffffu,
	0x7ffffff0u, 0x40000001u};

	h_section("message lengths below 4 and over the maximum");
	for (int i = 0; i < count && g_hangs < MAX_HANGS; i++)
	{
		int			fd = login_or_count("bad length", i);
		static const char types[] = "QPBDESCHdXz";
		unsigned char hdr[5];
		uint32_t	len = lens[(size_t) i % (sizeof(lens) / sizeof(lens[0]))];
		outcome		o;

		if (fd < 0)
			continue;
		hdr[0] = (unsigned char) types[rnd_below(sizeof(types) - 1)];
		hdr[1] = (unsigned char) (len >> 24);
		hdr[2] = (unsigned char) (len >> 16);
		hdr[3] = (unsigned char) (len >> 8);
		hdr[4] = (unsigned char) len;
		h_raw_send(fd, hdr, 5);
		h_raw_send(fd, "select 1\0", 9);
		/* no half-close: the length alone must be refused */
		o = probe(fd, false, CASE_TIMEOUT_MS, NULL);
		g_cases++;
		if (o == OUT_HANG)
			g_hangs++;
		H_CHECK(o != OUT_HANG, "message '%c' with length %u refused without waiting (%s)",
				hdr[0], len, o == OUT_CLOSED ? "closed" : o == OUT_ERROR ? "error" : "hang");
		close(fd);
		maybe_health_check("bad length");
	}
}

/* ---- targeted message cases ---- */

static void
targeted_messages(void)
{
	h_msg		m = {0};
	int			fd;
	char		types[64];
	char		state[6];
	h_raw_msg	msg;

	h_section("unknown message type");
	fd = login_or_count("unknown type", 0);
	if (fd >= 0)
	{
		h_msg_begin(&m, 'z');
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		state[0] = '\0';
		H_CHECK(probe(fd, false, CASE_TIMEOUT_MS, state) == OUT_CLOSED,
				"unknown message type: connection closed");
		H_CHECK_EQ_STR(state, "08P01", "unknown message type answered with 08P01");
		close(fd);
	}
	h_msg_reset(&m);

	h_section("invalid UTF-8 in a Query");
	fd = login_or_count("utf8", 0);
	if (fd >= 0)
	{
		static const char q[] = "select '\xff\xfe'";

		h_msg_begin(&m, 'Q');
		h_msg_str(&m, q);
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		if (h_raw_read(fd, &msg, CASE_TIMEOUT_MS) == H_RAW_MSG && msg.type == 'E')
		{
			H_CHECK_EQ_STR(h_raw_err_field(&msg, 'C'), "22021", "SQLSTATE of invalid UTF-8");
			H_CHECK_EQ_STR(h_raw_err_field(&msg, 'M'),
						   "invalid byte sequence for encoding \"UTF8\": 0xff",
						   "message of invalid UTF-8");
			types[0] = '\0';
			state[0] = '\0';
			H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
					H_RAW_MSG, "ReadyForQuery after invalid UTF-8");
		}
		else
			H_CHECK(false, "invalid UTF-8: ErrorResponse expected (got '%c')", msg.type);
		/* same connection still works */
		h_msg_begin(&m, 'Q');
		h_msg_str(&m, "select 1");
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		types[0] = '\0';
		state[0] = '\0';
		H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
				H_RAW_MSG, "select 1 after invalid UTF-8");
		H_CHECK_EQ_STR(types, "TDCZ", "select 1 after invalid UTF-8");
		/* invalid UTF-8 in a Parse, too */
		h_msg_begin(&m, 'P');
		h_msg_str(&m, "");
		h_msg_str(&m, "select '\xc3\x28'");
		h_msg_int16(&m, 0);
		h_msg_end(&m);
		h_msg_begin(&m, 'S');
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		types[0] = '\0';
		state[0] = '\0';
		H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
				H_RAW_MSG, "ReadyForQuery after invalid UTF-8 in Parse");
		H_CHECK_EQ_STR(types, "EZ", "invalid UTF-8 in Parse");
		H_CHECK_EQ_STR(state, "22021", "SQLSTATE of invalid UTF-8 in Parse");
		close(fd);
	}

	h_section("Bind of a statement that does not exist");
	fd = login_or_count("bind", 0);
	if (fd >= 0)
	{
		h_msg_begin(&m, 'B');
		h_msg_str(&m, "");
		h_msg_str(&m, "no_such_statement");
		h_msg_int16(&m, 0);
		h_msg_int16(&m, 0);
		h_msg_int16(&m, 0);
		h_msg_end(&m);
		h_msg_begin(&m, 'E');
		h_msg_str(&m, "");
		h_msg_int32(&m, 0);
		h_msg_end(&m);
		h_msg_begin(&m, 'S');
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		types[0] = '\0';
		state[0] = '\0';
		H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
				H_RAW_MSG, "ReadyForQuery after Bind of a missing statement");
		H_CHECK_EQ_STR(types, "EZ", "Execute after the failed Bind is skipped");
		H_CHECK_EQ_STR(state, "26000", "SQLSTATE of Bind of a missing statement");
		/* Execute of a missing portal: 34000 */
		h_msg_begin(&m, 'E');
		h_msg_str(&m, "no_such_portal");
		h_msg_int32(&m, 0);
		h_msg_end(&m);
		h_msg_begin(&m, 'S');
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		types[0] = '\0';
		state[0] = '\0';
		H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, CASE_TIMEOUT_MS) ==
				H_RAW_MSG, "ReadyForQuery after Execute of a missing portal");
		H_CHECK_EQ_STR(state, "34000", "SQLSTATE of Execute of a missing portal");
		/* a Parse with a bad body (no NUL after the query): 08P01 */
		h_msg_begin(&m, 'P');
		h_msg_str(&m, "");
		h_msg_bytes(&m, "select 1", 8);
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		h_msg_reset(&m);
		state[0] = '\0';
		H_CHECK(probe(fd, true, CASE_TIMEOUT_MS, state) != OUT_HANG,
				"Parse without terminators: error or close");
		H_CHECK_EQ_STR(state, "08P01", "SQLSTATE of a malformed Parse");
		close(fd);
	}
	h_msg_free(&m);
}

/* Execute with a row limit: PortalSuspended, then the rest. */
static void
row_limit(void)
{
	h_msg		m = {0};
	int			fd;
	static const char want[] = "12DDsDCZ";
	int			i;
	h_raw_msg	msg;

	h_section("Execute with a row limit");
	fd = login_or_count("row limit", 0);
	if (fd < 0)
		return;
	h_msg_begin(&m, 'P');
	h_msg_str(&m, "");
	h_msg_str(&m, "values (1),(2),(3)");
	h_msg_int16(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'B');
	h_msg_str(&m, "");
	h_msg_str(&m, "");
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 0);
	h_msg_end(&m);
	for (int k = 0; k < 2; k++)
	{
		h_msg_begin(&m, 'E');
		h_msg_str(&m, "");
		h_msg_int32(&m, 2);
		h_msg_end(&m);
	}
	h_msg_begin(&m, 'S');
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	for (i = 0; i < (int) sizeof(want) - 1; i++)
	{
		if (h_raw_read(fd, &msg, CASE_TIMEOUT_MS) != H_RAW_MSG)
		{
			H_CHECK(false, "row limit: message %d missing", i);
			break;
		}
		if (msg.type != want[i])
		{
			H_CHECK(false, "row limit: message %d is '%c', want '%c' %s", i, msg.type, want[i],
					msg.type == 'E' ? h_raw_err_field(&msg, 'M') : "");
			break;
		}
		if (msg.type == 'D')
		{
			char		v = (char) ('1' + (i < 4 ? i - 2 : 2));

			H_CHECK(msg.len == 7 && msg.body[6] == (unsigned char) v,
					"row limit: DataRow %c", v);
		}
		if (msg.type == 'C')
			H_CHECK_EQ_STR((char *) msg.body, "SELECT 1", "tag after the resumed Execute");
		if (msg.type == 'Z')
			H_CHECK(msg.body[0] == 'I', "ReadyForQuery I");
	}
	H_CHECK(i == (int) sizeof(want) - 1, "row limit gave %s", want);
	close(fd);
	h_msg_free(&m);
}

int
main(void)
{
	const char *seed = getenv("PGKV_IT_SEED");
	int64_t		t0;

	g_rng = seed ? strtoull(seed, NULL, 10) : 20240229;
	if (g_rng == 0)
		g_rng = 1;
	printf("# seed %llu (PGKV_IT_SEED)\n", (unsigned long long) g_rng);
	h_start(NULL);
	t0 = h_now_ms();
	still_serving("start");
	startup_targeted();
	targeted_messages();
	row_limit();
	startup_bad_lengths();
	{
		int64_t		t = h_now_ms();

		fuzz_startup_random(300);
		printf("# random startups: %lld ms\n", (long long) (h_now_ms() - t));
		t = h_now_ms();
		fuzz_truncated(300);
		printf("# truncated messages: %lld ms\n", (long long) (h_now_ms() - t));
		t = h_now_ms();
		fuzz_random_messages(350);
		printf("# random messages: %lld ms\n", (long long) (h_now_ms() - t));
		t = h_now_ms();
		fuzz_bad_lengths(60);
		printf("# bad lengths: %lld ms\n", (long long) (h_now_ms() - t));
	}
	printf("# %d malformed cases in %lld ms\n", g_cases, (long long) (h_now_ms() - t0));
	H_CHECK(g_cases >= 1000 || g_hangs >= MAX_HANGS, "at least 1000 cases ran (%d)", g_cases);
	still_serving("all cases");
	return h_done();
}
