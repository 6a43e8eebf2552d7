/*
 * test_tls_auth.c -- TLS and password authentication.
 *
 * Certificates are generated at run time (tests/integration/certs/gen-certs.sh)
 * into a temporary directory: ca.crt, node.crt, node.key (the names
 * `pgkv start --certs-dir` expects) and other-ca.crt.  The server gets:
 *
 *   hba  host      all md5user 127.0.0.1/32 md5
 *   hba  hostssl   all tlsonly 127.0.0.1/32 scram-sha-256
 *   hba  hostnossl all tlsonly 127.0.0.1/32 reject
 *   hba  hostssl   all all     127.0.0.1/32 scram-sha-256
 *   hba  host      all all     127.0.0.1/32 scram-sha-256
 *   users alice/secret1, md5user/secret2 (md5-stored on PostgreSQL),
 *         tlsonly/secret3
 *
 * Checked: sslmode=require (PQsslInUse), verify-ca and verify-full against
 * the test CA (by name and by IP), verify-full against a wrong CA fails,
 * SCRAM over TLS and without, channel_binding=require, md5, the SASL and MD5
 * challenges on the wire, wrong passwords and unknown users (28P01 with the
 * same message), a hostnossl reject rule (28000).
 *
 * Expectations are PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_certs;

static bool
contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* Connect with extra keywords, expect success, return the connection. */
static PGconn *
connect_ok(const char *what, const char *extra)
{
	PGconn	   *c = h_try_connect("%s", extra);

	H_CHECK(PQstatus(c) == CONNECTION_OK, "%s: connects (%s)", what,
			PQstatus(c) == CONNECTION_OK ? "ok" : PQerrorMessage(c));
	if (PQstatus(c) != CONNECTION_OK)
	{
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Connect with extra keywords, expect failure with msg in the error. */
static void
connect_fails(const char *what, const char *extra, const char *msg)
{
	PGconn	   *c = h_try_connect("%s", extra);

	H_CHECK(PQstatus(c) != CONNECTION_OK, "%s: refused", what);
	if (PQstatus(c) != CONNECTION_OK)
		H_CHECK(contains(PQerrorMessage(c), msg), "%s: error mentions '%s': %s", what, msg,
				PQerrorMessage(c));
	PQfinish(c);
}

static void
test_tls(void)
{
	PGconn	   *c;
	char		extra[1024];

	h_section("TLS");
	c = connect_ok("sslmode=require", "user=alice password=secret1 sslmode=require");
	if (c)
	{
		const char *proto = PQsslAttribute(c, "protocol");

		H_CHECK_EQ_INT(PQsslInUse(c), 1, "PQsslInUse with sslmode=require");
		H_CHECK(proto && strncmp(proto, "TLSv1.", 6) == 0, "TLS protocol %s",
				proto ? proto : "(null)");
		H_CHECK_EQ_STR(PQparameterStatus(c, "session_authorization"), "alice",
					   "session_authorization");
		h_expect_value(c, "select 'over tls'", "over tls");
		PQfinish(c);
	}

	snprintf(extra, sizeof(extra),
			 "user=alice password=secret1 sslmode=verify-full sslrootcert=%s/ca.crt "
			 "host=localhost hostaddr=127.0.0.1", g_certs);
	c = connect_ok("verify-full, host=localhost", extra);
	if (c)
	{
		H_CHECK_EQ_INT(PQsslInUse(c), 1, "PQsslInUse with verify-full");
		h_expect_value(c, "select 1", "1");
		PQfinish(c);
	}

	snprintf(extra, sizeof(extra),
			 "user=alice password=secret1 sslmode=verify-full sslrootcert=%s/ca.crt "
			 "host=127.0.0.1", g_certs);
	c = connect_ok("verify-full, host=127.0.0.1 (IP SAN)", extra);
	PQfinish(c);

	snprintf(extra, sizeof(extra),
			 "user=alice password=secret1 sslmode=verify-ca sslrootcert=%s/ca.crt", g_certs);
	c = connect_ok("verify-ca", extra);
	PQfinish(c);

	snprintf(extra, sizeof(extra),
			 "user=alice password=secret1 sslmode=verify-full sslrootcert=%s/other-ca.crt "
			 "host=localhost hostaddr=127.0.0.1", g_certs);
	connect_fails("verify-full against the wrong CA", extra, "certificate verify failed");

	/* a name that is not in the certificate */
	snprintf(extra, sizeof(extra),
			 "user=alice password=secret1 sslmode=verify-full sslrootcert=%s/ca.crt "
			 "host=pgkv-wrong-name.invalid hostaddr=127.0.0.1", g_certs);
	connect_fails("verify-full with a wrong host name", extra, "does not match host name");

	/* channel binding (SCRAM-SHA-256-PLUS, tls-server-end-point) */
	c = connect_ok("channel_binding=require",
				   "user=alice password=secret1 sslmode=require channel_binding=require");
	if (c)
	{
		H_CHECK_EQ_INT(PQsslInUse(c), 1, "TLS with channel binding");
		PQfinish(c);
	}
}

static void
test_passwords(void)
{
	PGconn	   *c;

	h_section("SCRAM and md5 logins");
	c = connect_ok("SCRAM without TLS", "user=alice password=secret1 sslmode=disable");
	if (c)
	{
		H_CHECK_EQ_INT(PQsslInUse(c), 0, "no TLS with sslmode=disable");
		h_expect_value(c, "select 'scram plain'", "scram plain");
		PQfinish(c);
	}
	c = connect_ok("md5 without TLS", "user=md5user password=secret2 sslmode=disable");
	if (c)
	{
		H_CHECK_EQ_STR(PQparameterStatus(c, "session_authorization"), "md5user",
					   "session_authorization of md5user");
		h_expect_value(c, "select 'md5 ok'", "md5 ok");
		PQfinish(c);
	}
	/* "host" rules match TLS connections too: md5 over TLS */
	c = connect_ok("md5 over TLS", "user=md5user password=secret2 sslmode=require");
	if (c)
	{
		H_CHECK_EQ_INT(PQsslInUse(c), 1, "md5 over TLS uses TLS");
		PQfinish(c);
	}
	/* the server really asked for md5: libpq refuses when binding is required */
	connect_fails("md5 with channel_binding=require",
				  "user=md5user password=secret2 sslmode=require channel_binding=require",
				  "channel binding required");
	c = connect_ok("tlsonly over TLS", "user=tlsonly password=secret3 sslmode=require");
	PQfinish(c);

	h_section("failed logins");
	connect_fails("wrong SCRAM password over TLS", "user=alice password=wrong sslmode=require",
				  "password authentication failed for user \"alice\"");
	connect_fails("wrong SCRAM password without TLS",
				  "user=alice password=wrong sslmode=disable",
				  "password authentication failed for user \"alice\"");
	connect_fails("wrong md5 password", "user=md5user password=wrong sslmode=disable",
				  "password authentication failed for user \"md5user\"");
	connect_fails("unknown user over TLS", "user=nosuchuser password=secret1 sslmode=require",
				  "password authentication failed for user \"nosuchuser\"");
	connect_fails("unknown user without TLS",
				  "user=nosuchuser password=secret1 sslmode=disable",
				  "password authentication failed for user \"nosuchuser\"");
	connect_fails("no password given", "user=alice sslmode=disable",
				  "no password supplied");
	connect_fails("hostnossl reject", "user=tlsonly password=secret3 sslmode=disable",
				  "pg_hba.conf rejects connection");
}

/* Start a raw (no TLS) login as user and return the socket after the first
 * Authentication request was read into *msg; -1 on failure. */
static int
raw_start(const char *user, h_raw_msg *msg)
{
	int			fd = h_raw_connect();
	h_msg		m = {0};

	if (fd < 0)
		return -1;
	h_msg_startup(&m, user, h_server_get()->dbname);
	if (!h_raw_send(fd, m.data, m.len) || h_raw_read(fd, msg, 5000) != H_RAW_MSG)
	{
		close(fd);
		fd = -1;
	}
	h_msg_free(&m);
	return fd;
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/* Expect an ErrorResponse 28P01 for user next on fd, then a close. */
static void
expect_28p01(int fd, const char *user, const char *what)
{
	h_raw_msg	msg;
	char		want[128];

	snprintf(want, sizeof(want), "password authentication failed for user \"%s\"", user);
	if (h_raw_read(fd, &msg, 5000) != H_RAW_MSG || msg.type != 'E')
	{
		H_CHECK(false, "%s: ErrorResponse expected (got '%c')", what, msg.type);
		return;
	}
	H_CHECK_EQ_STR(h_raw_err_field(&msg, 'C'), "28P01", what);
	H_CHECK_EQ_STR(h_raw_err_field(&msg, 'M'), want, what);
	H_CHECK_EQ_STR(h_raw_err_field(&msg, 'V'), "FATAL", what);
	H_CHECK(h_raw_drain_to_close(fd, 5000) == H_RAW_CLOSED, "%s: connection closed", what);
}

/* SCRAM exchange with a proof of 32 zero bytes: always wrong. */
static void
raw_scram_wrong(const char *user)
{
	static const char cnonce[] = "pgkvItClientNonce0123456";
	h_raw_msg	msg;
	h_msg		m = {0};
	char		first[128], final[256], what[96], snonce[160] = "";
	int			fd = raw_start(user, &msg);
	const char *mechs;

	snprintf(what, sizeof(what), "raw SCRAM with a wrong proof for %s", user);
	if (fd < 0)
	{
		H_CHECK(false, "%s: no answer to the startup", what);
		return;
	}
	H_CHECK(msg.type == 'R' && msg.len >= 4 && be32(msg.body) == 10,
			"%s: AuthenticationSASL (got '%c' %u)", what, msg.type,
			msg.len >= 4 ? be32(msg.body) : 0);
	if (msg.type != 'R' || be32(msg.body) != 10)
	{
		close(fd);
		return;
	}
	mechs = (const char *) msg.body + 4;
	{
		bool		found = false;

		for (const char *p = mechs; *p && p < (const char *) msg.body + msg.len;
			 p += strlen(p) + 1)
			if (strcmp(p, "SCRAM-SHA-256") == 0)
				found = true;
		H_CHECK(found, "%s: SCRAM-SHA-256 offered", what);
	}
	/* without TLS the PLUS variant must not be offered */
	for (const char *p = mechs; *p && p < (const char *) msg.body + msg.len; p += strlen(p) + 1)
		H_CHECK(strcmp(p, "SCRAM-SHA-256-PLUS") != 0, "%s: no -PLUS without TLS", what);

	snprintf(first, sizeof(first), "n,,n=,r=%s", cnonce);
	h_msg_begin(&m, 'p');
	h_msg_str(&m, "SCRAM-SHA-256");
	h_msg_int32(&m, (int32_t) strlen(first));
	h_msg_bytes(&m, first, strlen(first));
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	h_msg_reset(&m);
	if (h_raw_read(fd, &msg, 5000) != H_RAW_MSG || msg.type != 'R' || msg.len < 4 ||
		be32(msg.body) != 11)
	{
		H_CHECK(false, "%s: AuthenticationSASLContinue expected", what);
		close(fd);
		h_msg_free(&m);
		return;
	}
	{
		const char *sf = (const char *) msg.body + 4;
		const char *r = strstr(sf, "r=");
		const char *comma;

		H_CHECK(r == sf && strstr(sf, ",s=") && strstr(sf, ",i="),
				"%s: server-first-message r=...,s=...,i=...: %s", what, sf);
		if (r)
		{
			comma = strchr(r, ',');
			snprintf(snonce, sizeof(snonce), "%.*s",
					 (int) (comma ? comma - r - 2 : (long) strlen(r + 2)), r + 2);
		}
		H_CHECK(strncmp(snonce, cnonce, strlen(cnonce)) == 0 && strlen(snonce) > strlen(cnonce),
				"%s: server nonce extends the client nonce", what);
	}
	snprintf(final, sizeof(final), "c=biws,r=%s,p=%s", snonce,
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	h_msg_begin(&m, 'p');
	h_msg_bytes(&m, final, strlen(final));
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	expect_28p01(fd, user, what);
	close(fd);
	h_msg_free(&m);
}

static void
raw_md5_wrong(const char *user)
{
	h_raw_msg	msg;
	h_msg		m = {0};
	char		what[96];
	int			fd = raw_start(user, &msg);

	snprintf(what, sizeof(what), "raw md5 with a wrong hash for %s", user);
	if (fd < 0)
	{
		H_CHECK(false, "%s: no answer to the startup", what);
		return;
	}
	H_CHECK(msg.type == 'R' && msg.len == 8 && be32(msg.body) == 5,
			"%s: AuthenticationMD5Password with a 4-byte salt (got '%c' len %u)", what,
			msg.type, msg.len);
	if (msg.type == 'R' && msg.len == 8 && be32(msg.body) == 5)
	{
		h_msg_begin(&m, 'p');
		h_msg_str(&m, "md500000000000000000000000000000000");
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		expect_28p01(fd, user, what);
	}
	close(fd);
	h_msg_free(&m);
}

static void
test_raw_auth(void)
{
	h_raw_msg	msg;
	int			fd;

	h_section("authentication on the wire");
	raw_scram_wrong("alice");
	raw_scram_wrong("nosuchuser");
	raw_md5_wrong("md5user");

	/* hostnossl reject: 28000 before any challenge */
	fd = raw_start("tlsonly", &msg);
	H_CHECK(fd >= 0 && msg.type == 'E', "reject rule answers with an ErrorResponse");
	if (fd >= 0 && msg.type == 'E')
	{
		H_CHECK_EQ_STR(h_raw_err_field(&msg, 'C'), "28000", "SQLSTATE of a reject rule");
		H_CHECK(contains(h_raw_err_field(&msg, 'M'), "pg_hba.conf rejects connection"),
				"reject message: %s", h_raw_err_field(&msg, 'M'));
	}
	if (fd >= 0)
		close(fd);

	/* SSLRequest gets 'S' when TLS is configured */
	fd = h_raw_connect();
	if (fd >= 0)
	{
		h_msg		m = {0};
		int			b;

		h_msg_begin(&m, 0);
		h_msg_int32(&m, 80877103);
		h_msg_end(&m);
		h_raw_send(fd, m.data, m.len);
		b = h_raw_read_byte(fd, 5000);
		H_CHECK(b == 'S', "SSLRequest answered 'S' (got %d)", b);
		close(fd);
		h_msg_free(&m);
	}
}

int
main(void)
{
	static const char *const hba[] = {
		"host all md5user 127.0.0.1/32 md5",
		"hostssl all tlsonly 127.0.0.1/32 scram-sha-256",
		"hostnossl all tlsonly 127.0.0.1/32 reject",
		"hostssl all all 127.0.0.1/32 scram-sha-256",
		"host all all 127.0.0.1/32 scram-sha-256",
		NULL
	};
	static const h_user users[] = {
		{"alice", "secret1", "scram-sha-256", false},
		{"md5user", "secret2", "md5", false},
		{"tlsonly", "secret3", "scram-sha-256", false},
	};
	h_server_opts opts = {0};
	char	   *cmd;

	g_certs = h_tmpdir("certs");
	cmd = NULL;
	if (asprintf(&cmd, "bash '%s/tests/integration/certs/gen-certs.sh' '%s'", h_src_dir(),
				 g_certs) < 0 || system(cmd) != 0)
		h_fail_now("generating certificates failed: %s", cmd ? cmd : "");
	free(cmd);

	opts.hba = hba;
	opts.users = users;
	opts.n_users = sizeof(users) / sizeof(users[0]);
	opts.certs_dir = g_certs;
	h_start(&opts);

	test_tls();
	test_passwords();
	test_raw_auth();
	free(g_certs);
	return h_done();
}
