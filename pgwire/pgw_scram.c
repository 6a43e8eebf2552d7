/*
 * pgw_scram.c -- SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, server side.
 *
 * Implements the exchange of RFC 5802 with SHA-256 (RFC 7677) as PostgreSQL
 * profiles it (sasl-authentication.html): the user name inside the SCRAM
 * messages is ignored in favour of the startup user, authorization
 * identities are refused, and the only channel binding type is
 * tls-server-end-point (RFC 5929).  Also builds and parses the verifier
 * strings PostgreSQL stores in pg_authid.rolpassword.
 *
 *   server                                  client
 *   AuthenticationSASL (mechanisms)  ---->
 *                                    <----  SASLInitialResponse: gs2-header
 *                                           client-first-message-bare
 *   SASLContinue: r=cnonce+snonce,s=,i= ->
 *                                    <----  SASLResponse: c=,r=,p=proof
 *   SASLFinal: v=ServerSignature     ---->
 *
 * An unknown user, or a user without a usable secret, gets a fake salt and
 * iteration count derived from a per-process random secret and the user
 * name, so the first round looks the same as for a real user (and is stable
 * across attempts); the exchange then fails with the same 28P01 error as a
 * wrong password.
 *
 * Exported (pgw_auth.h): pgw_scram_make_verifier(_salt),
 * pgw_scram_verifier_valid, pgw_scram_begin/mechanisms/client_first/
 * client_final/free, pgw_scram_set_test_nonce, pgw_tls_server_end_point;
 * (pgw_auth_internal.h): pgw_scram_parse_verifier, pgw_scram_derive_keys,
 * pgw_b64_encode/decode, pgw_saslprep.
 */
#include "pgwire/pgw_auth_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <unicode/ustring.h>
#include <unicode/usprep.h>

#define SCRAM_MECH "SCRAM-SHA-256"
#define SCRAM_MECH_PLUS "SCRAM-SHA-256-PLUS"
#define SCRAM_CB_TYPE "tls-server-end-point"
#define SCRAM_VERIFIER_PREFIX "SCRAM-SHA-256$"
#define SCRAM_RAW_NONCE_LEN 18 /* 24 base64 characters, as PostgreSQL */
#define SCRAM_MAX_ITERATIONS 100000000

typedef enum scram_state {
	SCRAM_INIT,       /* waiting for SASLInitialResponse */
	SCRAM_SENT_FIRST, /* server-first sent, waiting for client-final */
	SCRAM_DONE,       /* success */
	SCRAM_FAILED,     /* any error: the exchange is over */
} scram_state;

struct pgw_scram {
	scram_state state;
	char *user;
	bool doomed; /* fail at the end whatever the proof */
	pgw_scram_keys keys;
	unsigned char *cb_data; /* tls-server-end-point hash, or NULL */
	size_t cb_len;
	bool cb_in_use;   /* client chose SCRAM-SHA-256-PLUS */
	char *gs2_header; /* "n,,", "y,," or "p=tls-server-end-point,," */
	char *client_first_bare;
	char *server_first;
	char *nonce; /* client nonce + server nonce */
	char *test_nonce;
};

static pthread_once_t mock_once = PTHREAD_ONCE_INIT;
static uint8_t mock_secret[32];

static void mock_init(void);
static void mock_keys(const char *user, pgw_scram_keys *keys);
static bool hmac256(const uint8_t *key, size_t klen, const void *d1, size_t l1, const void *d2,
                    size_t l2, uint8_t out[PGW_SCRAM_KEY_LEN]);
static bool sha256(const void *d, size_t n, uint8_t out[PGW_SCRAM_KEY_LEN]);
static char *format_verifier(const pgw_scram_keys *k);
static bool nonce_valid(const char *s, size_t n);
static cm_status scram_fail(pgw_scram *s, cm_error *err, const char *code, const char *msg,
                            const char *detail);
static char *copy_message(const char *data, size_t len);
static char *strndup_x(const char *s, size_t n);

/* ---------------------------------------------------------------------
 * Primitives
 * --------------------------------------------------------------------- */

size_t
pgw_b64_encode(const uint8_t *in, size_t n, char *out)
{
	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
pgw_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t pad = 0;
	size_t n;
	uint8_t tmp[4 * 96];
	uint8_t *buf;
	int got;

	if (slen % 4 != 0)
		return false;
	if (slen == 0) {
		*outlen = 0;
		return true;
	}
	if (s[slen - 1] == '=')
		pad++;
	if (s[slen - 2] == '=')
		pad++;
	for (size_t i = 0; i < slen - pad; i++) {
		if (b64_value((unsigned char)s[i]) < 0)
			return false;
	}
	n = slen / 4 * 3 - pad;
	if (n > cap)
		return false;
	/* EVP_DecodeBlock writes whole groups (padding included as zeros). */
	buf = slen / 4 * 3 <= sizeof(tmp) ? tmp : pgw_auth_xmalloc(slen / 4 * 3);
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (got < 0 || (size_t)got != slen / 4 * 3) {
		if (buf != tmp)
			free(buf);
		return false;
	}
	memcpy(out, buf, n);
	OPENSSL_cleanse(buf, (size_t)got);
	if (buf != tmp)
		free(buf);
	*outlen = n;
	return true;
}

static bool
hmac256(const uint8_t *key, size_t klen, const void *d1, size_t l1, const void *d2, size_t l2,
        uint8_t out[PGW_SCRAM_KEY_LEN])
{
	/* Two parts so callers can MAC "prefix || name" without concatenating. */
	bool ok;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_MAC_init(ctx, key, klen, params) == 1 &&
	     EVP_MAC_update(ctx, d1, l1) == 1 && (l2 == 0 || EVP_MAC_update(ctx, d2, l2) == 1) &&
	     EVP_MAC_final(ctx, out, &outl, PGW_SCRAM_KEY_LEN) == 1 && outl == PGW_SCRAM_KEY_LEN;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		memset(out, 0, PGW_SCRAM_KEY_LEN);
	return ok;
}

static bool
sha256(const void *d, size_t n, uint8_t out[PGW_SCRAM_KEY_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(d, n, out, &len, EVP_sha256(), NULL) != 1 || len != PGW_SCRAM_KEY_LEN) {
		memset(out, 0, PGW_SCRAM_KEY_LEN);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * SASLprep (RFC 4013) through ICU's StringPrep profile
 * --------------------------------------------------------------------- */

char *
pgw_saslprep(const char *password)
{
	UErrorCode st = U_ZERO_ERROR;
	UStringPrepProfile *prof;
	UChar *in = NULL, *prep = NULL;
	int32_t inlen = 0, preplen, outlen = 0;
	char *out = NULL;
	bool ascii = true;

	for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
		if (*p >= 0x80) {
			ascii = false;
			break;
		}
	}
	/* As PostgreSQL (and libpq) do: pure ASCII is used as is. */
	if (ascii)
		return pgw_auth_xstrdup(password);

	u_strFromUTF8(NULL, 0, &inlen, password, -1, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		return NULL; /* not valid UTF-8 */
	st = U_ZERO_ERROR;
	in = pgw_auth_xmalloc(((size_t)inlen + 1) * sizeof(UChar));
	u_strFromUTF8(in, inlen + 1, NULL, password, -1, &st);
	if (U_FAILURE(st))
		goto done;

	prof = usprep_openByType(USPREP_RFC4013_SASLPREP, &st);
	if (U_FAILURE(st))
		goto done;
	/* NFKC can expand a string; a generous bound, then retry if needed. */
	preplen = inlen * 4 + 16;
	prep = pgw_auth_xmalloc((size_t)preplen * sizeof(UChar));
	outlen = usprep_prepare(prof, in, inlen, prep, preplen, USPREP_ALLOW_UNASSIGNED, NULL, &st);
	if (st == U_BUFFER_OVERFLOW_ERROR) {
		free(prep);
		preplen = outlen + 1;
		prep = pgw_auth_xmalloc((size_t)preplen * sizeof(UChar));
		st = U_ZERO_ERROR;
		outlen = usprep_prepare(prof, in, inlen, prep, preplen, USPREP_ALLOW_UNASSIGNED, NULL, &st);
	}
	usprep_close(prof);
	if (U_FAILURE(st) || outlen == 0)
		goto done; /* prohibited character or bidi violation */

	{
		int32_t u8len = 0;
		UErrorCode st2 = U_ZERO_ERROR;

		u_strToUTF8(NULL, 0, &u8len, prep, outlen, &st2);
		if (st2 != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st2))
			goto done;
		st2 = U_ZERO_ERROR;
		out = pgw_auth_xmalloc((size_t)u8len + 1);
		u_strToUTF8(out, u8len + 1, NULL, prep, outlen, &st2);
		if (U_FAILURE(st2)) {
			free(out);
			out = NULL;
		}
	}

done:
	if (in != NULL) {
		OPENSSL_cleanse(in, (size_t)inlen * sizeof(UChar));
		free(in);
	}
	if (prep != NULL) {
		OPENSSL_cleanse(prep, (size_t)preplen * sizeof(UChar));
		free(prep);
	}
	return out;
}

/* ---------------------------------------------------------------------
 * Verifiers
 * --------------------------------------------------------------------- */

void
pgw_scram_derive_keys(const char *password, pgw_scram_keys *k)
{
	uint8_t salted[PGW_SCRAM_KEY_LEN], client_key[PGW_SCRAM_KEY_LEN];
	char *prepped = pgw_saslprep(password);
	const char *pw = prepped ? prepped : password;

	if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), k->salt, (int)k->salt_len, k->iterations,
	                      EVP_sha256(), PGW_SCRAM_KEY_LEN, salted) != 1)
		memset(salted, 0, sizeof(salted));
	hmac256(salted, sizeof(salted), "Client Key", 10, NULL, 0, client_key);
	sha256(client_key, sizeof(client_key), k->stored_key);
	hmac256(salted, sizeof(salted), "Server Key", 10, NULL, 0, k->server_key);

	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	if (prepped != NULL) {
		OPENSSL_cleanse(prepped, strlen(prepped));
		free(prepped);
	}
}

static char *
format_verifier(const pgw_scram_keys *k)
{
	char salt[4 * ((PGW_SCRAM_MAX_SALT_LEN + 2) / 3) + 1];
	char stored[4 * ((PGW_SCRAM_KEY_LEN + 2) / 3) + 1];
	char server[sizeof(stored)];
	char *out = NULL;

	pgw_b64_encode(k->salt, k->salt_len, salt);
	pgw_b64_encode(k->stored_key, PGW_SCRAM_KEY_LEN, stored);
	pgw_b64_encode(k->server_key, PGW_SCRAM_KEY_LEN, server);
	if (asprintf(&out, SCRAM_VERIFIER_PREFIX "%d:%s$%s:%s", k->iterations, salt, stored, server) <
	    0)
		abort();
	return out;
}

cm_status
pgw_scram_make_verifier_salt(const char *password, const uint8_t *salt, size_t salt_len,
                             int iterations, char **out, cm_error *err)
{
	pgw_scram_keys k;

	*out = NULL;
	if (password == NULL)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "password must not be null");
	if (salt_len == 0 || salt_len > PGW_SCRAM_MAX_SALT_LEN)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid SCRAM salt length %zu",
		                    salt_len);
	if (iterations <= 0)
		iterations = PGW_SCRAM_DEFAULT_ITERATIONS;
	if (iterations > SCRAM_MAX_ITERATIONS)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
		                    "SCRAM iteration count %d is too large", iterations);
	memset(&k, 0, sizeof(k));
	k.iterations = iterations;
	memcpy(k.salt, salt, salt_len);
	k.salt_len = salt_len;
	pgw_scram_derive_keys(password, &k);
	*out = format_verifier(&k);
	OPENSSL_cleanse(&k, sizeof(k));
	return CM_OK;
}

cm_status
pgw_scram_make_verifier(const char *password, int iterations, char **out, cm_error *err)
{
	uint8_t salt[PGW_SCRAM_SALT_LEN];

	*out = NULL;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not generate random SCRAM salt");
	return pgw_scram_make_verifier_salt(password, salt, sizeof(salt), iterations, out, err);
}

bool
pgw_scram_parse_verifier(const char *v, pgw_scram_keys *out)
{
	const char *p, *colon, *dollar, *colon2;
	char *end;
	long iter;
	size_t n;

	if (v == NULL || strncmp(v, SCRAM_VERIFIER_PREFIX, strlen(SCRAM_VERIFIER_PREFIX)) != 0)
		return false;
	p = v + strlen(SCRAM_VERIFIER_PREFIX);
	if (*p < '1' || *p > '9')
		return false;
	iter = strtol(p, &end, 10);
	if (*end != ':' || iter <= 0 || iter > SCRAM_MAX_ITERATIONS)
		return false;
	out->iterations = (int)iter;

	colon = end;
	dollar = strchr(colon + 1, '$');
	if (dollar == NULL)
		return false;
	if (!pgw_b64_decode(colon + 1, (size_t)(dollar - colon - 1), out->salt, sizeof(out->salt),
	                    &out->salt_len) ||
	    out->salt_len == 0)
		return false;

	colon2 = strchr(dollar + 1, ':');
	if (colon2 == NULL)
		return false;
	if (!pgw_b64_decode(dollar + 1, (size_t)(colon2 - dollar - 1), out->stored_key,
	                    PGW_SCRAM_KEY_LEN, &n) ||
	    n != PGW_SCRAM_KEY_LEN)
		return false;
	if (!pgw_b64_decode(colon2 + 1, strlen(colon2 + 1), out->server_key, PGW_SCRAM_KEY_LEN, &n) ||
	    n != PGW_SCRAM_KEY_LEN)
		return false;
	return true;
}

bool
pgw_scram_verifier_valid(const char *verifier)
{
	pgw_scram_keys k;
	bool ok = pgw_scram_parse_verifier(verifier, &k);

	OPENSSL_cleanse(&k, sizeof(k));
	return ok;
}

/* ---------------------------------------------------------------------
 * Mock credentials for unknown users
 * --------------------------------------------------------------------- */

static void
mock_init(void)
{
	if (RAND_bytes(mock_secret, sizeof(mock_secret)) != 1) {
		/* Without randomness the fake salt would be guessable, which only
		 * reveals that a user does not exist; still, refuse to go on. */
		fprintf(stderr, "pgkv: RAND_bytes failed initialising SCRAM mock secret\n");
		abort();
	}
}

static void
mock_keys(const char *user, pgw_scram_keys *k)
{
	uint8_t h[PGW_SCRAM_KEY_LEN];

	pthread_once(&mock_once, mock_init);
	memset(k, 0, sizeof(*k));
	k->iterations = PGW_SCRAM_DEFAULT_ITERATIONS;
	hmac256(mock_secret, sizeof(mock_secret), "salt:", 5, user, strlen(user), h);
	memcpy(k->salt, h, PGW_SCRAM_SALT_LEN);
	k->salt_len = PGW_SCRAM_SALT_LEN;
	hmac256(mock_secret, sizeof(mock_secret), "stored:", 7, user, strlen(user), k->stored_key);
	hmac256(mock_secret, sizeof(mock_secret), "server:", 7, user, strlen(user), k->server_key);
}

/* ---------------------------------------------------------------------
 * The exchange
 * --------------------------------------------------------------------- */

pgw_scram *
pgw_scram_begin(const pgw_credential *cred, const char *user, const unsigned char *cb_data,
                size_t cb_len)
{
	pgw_scram *s = pgw_auth_xmalloc(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->state = SCRAM_INIT;
	s->user = pgw_auth_xstrdup(user ? user : "");
	if (cb_data != NULL && cb_len > 0) {
		s->cb_data = pgw_auth_xmalloc(cb_len);
		memcpy(s->cb_data, cb_data, cb_len);
		s->cb_len = cb_len;
	}

	if (cred != NULL && cred->exists && cred->scram != NULL &&
	    pgw_scram_parse_verifier(cred->scram, &s->keys)) {
		/* the normal case */
	} else if (cred != NULL && cred->exists && cred->password != NULL) {
		/* Cleartext only (e.g. a source that keeps no verifier): derive keys
		 * with the user's stable fake salt. */
		mock_keys(s->user, &s->keys);
		pgw_scram_derive_keys(cred->password, &s->keys);
	} else {
		mock_keys(s->user, &s->keys);
		s->doomed = true;
	}
	return s;
}

void
pgw_scram_mechanisms(const pgw_scram *s, cm_buf *out)
{
	if (s->cb_data != NULL)
		cm_buf_put_cstr(out, SCRAM_MECH_PLUS);
	cm_buf_put_cstr(out, SCRAM_MECH);
	cm_buf_putc(out, '\0');
}

void
pgw_scram_set_test_nonce(pgw_scram *s, const char *nonce)
{
	free(s->test_nonce);
	s->test_nonce = nonce ? pgw_auth_xstrdup(nonce) : NULL;
}

void
pgw_scram_free(pgw_scram *s)
{
	if (s == NULL)
		return;
	free(s->user);
	free(s->cb_data);
	free(s->gs2_header);
	free(s->client_first_bare);
	free(s->server_first);
	free(s->nonce);
	free(s->test_nonce);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static cm_status
scram_fail(pgw_scram *s, cm_error *err, const char *code, const char *msg, const char *detail)
{
	s->state = SCRAM_FAILED;
	cm_error_set(err, code, "%s", msg);
	if (detail != NULL)
		cm_error_detail(err, "%s", detail);
	return CM_ERROR;
}

static char *
strndup_x(const char *s, size_t n)
{
	char *p = pgw_auth_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* NUL-terminated copy of a message body, or NULL if it holds a NUL byte. */
static char *
copy_message(const char *data, size_t len)
{
	if (data == NULL || memchr(data, '\0', len) != NULL)
		return NULL;
	return strndup_x(data, len);
}

/* printable ASCII except ',' (RFC 5802 "printable"), non-empty */
static bool
nonce_valid(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return false;
	}
	return true;
}

cm_status
pgw_scram_client_first(pgw_scram *s, const char *mechanism, const char *data, size_t len,
                       cm_buf *out, cm_error *err)
{
	char *msg;
	const char *p, *bare, *q;
	char snonce[128]; /* random: 24 characters; test hook: < 128 */
	char salt[4 * ((PGW_SCRAM_MAX_SALT_LEN + 2) / 3) + 1];
	char *sf = NULL;
	cm_status rc = CM_ERROR;

	if (s->state != SCRAM_INIT)
		return scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "unexpected SASLInitialResponse message",
		                  NULL);
	if (mechanism != NULL && strcmp(mechanism, SCRAM_MECH) == 0)
		s->cb_in_use = false;
	else if (mechanism != NULL && strcmp(mechanism, SCRAM_MECH_PLUS) == 0 && s->cb_data != NULL)
		s->cb_in_use = true;
	else
		return scram_fail(s, err, CM_E_PROTOCOL_VIOLATION,
		                  "client selected an invalid SASL authentication mechanism", NULL);

	msg = copy_message(data, len);
	if (msg == NULL)
		return scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		                  "The message is empty or contains a null byte.");
	p = msg;

	/* gs2-cbind-flag */
	switch (*p) {
	case 'n':
	case 'y':
		if (s->cb_in_use) {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
			           "The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not "
			           "include channel binding data.");
			goto done;
		}
		if (*p == 'y' && s->cb_data != NULL) {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "SCRAM channel binding negotiation error",
			           "The client supports SCRAM channel binding but thinks the server does not.  "
			           "However, this server does support channel binding.");
			goto done;
		}
		p++;
		break;
	case 'p':
		if (!s->cb_in_use) {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
			           "The client selected SCRAM-SHA-256 without channel binding, but the SCRAM "
			           "message includes channel binding data.");
			goto done;
		}
		if (p[1] != '=') {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
			           "Expected \"=\" after channel-binding flag \"p\".");
			goto done;
		}
		q = strchr(p + 2, ',');
		if (q == NULL || (size_t)(q - (p + 2)) != strlen(SCRAM_CB_TYPE) ||
		    memcmp(p + 2, SCRAM_CB_TYPE, strlen(SCRAM_CB_TYPE)) != 0) {
			size_t n = q ? (size_t)(q - (p + 2)) : strlen(p + 2);
			s->state = SCRAM_FAILED;
			cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
			             "unsupported SCRAM channel-binding type \"%.*s\"", (int)n, p + 2);
			goto done;
		}
		p = q;
		break;
	default:
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Unexpected channel-binding flag in client-first-message.");
		goto done;
	}
	if (*p != ',') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Comma expected after the channel-binding flag.");
		goto done;
	}
	p++;

	/* authzid */
	if (p[0] == 'a' && p[1] == '=') {
		scram_fail(s, err, CM_E_FEATURE_NOT_SUPPORTED,
		           "client uses authorization identity, but it is not supported", NULL);
		goto done;
	}
	if (*p != ',') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Unexpected attribute in client-first-message.");
		goto done;
	}
	p++;
	s->gs2_header = strndup_x(msg, (size_t)(p - msg));

	/* client-first-message-bare */
	bare = p;
	if (p[0] == 'm' && p[1] == '=') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION,
		           "client requires an unsupported SCRAM extension", NULL);
		goto done;
	}
	if (p[0] != 'n' || p[1] != '=') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Expected attribute \"n\" in client-first-message.");
		goto done;
	}
	/* The user name is ignored (the startup packet's is used). */
	q = strchr(p + 2, ',');
	if (q == NULL || q[1] != 'r' || q[2] != '=') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Expected attribute \"r\" in client-first-message.");
		goto done;
	}
	p = q + 3;
	q = p + strcspn(p, ",");
	if (!nonce_valid(p, (size_t)(q - p))) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Invalid client nonce.");
		goto done;
	}
	/* Anything after the nonce is an extension: attr=value, ignored. */
	for (const char *e = q; *e == ','; e += 1 + strcspn(e + 1, ",")) {
		if (!((e[1] >= 'a' && e[1] <= 'z') || (e[1] >= 'A' && e[1] <= 'Z')) || e[2] != '=') {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
			           "Malformed extension in client-first-message.");
			goto done;
		}
	}

	/* Server nonce. */
	if (s->test_nonce != NULL) {
		if (!nonce_valid(s->test_nonce, strlen(s->test_nonce)) ||
		    strlen(s->test_nonce) >= sizeof(snonce)) {
			scram_fail(s, err, CM_E_INTERNAL_ERROR, "invalid test SCRAM nonce", NULL);
			goto done;
		}
		strcpy(snonce, s->test_nonce);
	} else {
		uint8_t raw[SCRAM_RAW_NONCE_LEN];
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			scram_fail(s, err, CM_E_INTERNAL_ERROR, "could not generate random nonce", NULL);
			goto done;
		}
		pgw_b64_encode(raw, sizeof(raw), snonce);
	}

	s->client_first_bare = pgw_auth_xstrdup(bare);
	if (asprintf(&s->nonce, "%.*s%s", (int)(q - p), p, snonce) < 0)
		abort();
	pgw_b64_encode(s->keys.salt, s->keys.salt_len, salt);
	if (asprintf(&sf, "r=%s,s=%s,i=%d", s->nonce, salt, s->keys.iterations) < 0)
		abort();
	s->server_first = sf;
	cm_buf_puts(out, sf);
	s->state = SCRAM_SENT_FIRST;
	rc = CM_OK;

done:
	free(msg);
	return rc;
}

cm_status
pgw_scram_client_final(pgw_scram *s, const char *data, size_t len, cm_buf *out, cm_error *err)
{
	char *msg = NULL;
	const char *p, *q, *proof_at;
	uint8_t cbind[256 + EVP_MAX_MD_SIZE];
	size_t cbind_len, proof_len, glen;
	uint8_t proof[PGW_SCRAM_KEY_LEN];
	uint8_t client_sig[PGW_SCRAM_KEY_LEN], client_key[PGW_SCRAM_KEY_LEN];
	uint8_t stored[PGW_SCRAM_KEY_LEN], server_sig[PGW_SCRAM_KEY_LEN];
	char v[4 * ((PGW_SCRAM_KEY_LEN + 2) / 3) + 1];
	cm_buf auth;
	bool ok;
	cm_status rc = CM_ERROR;

	cm_buf_init(&auth);
	if (s->state != SCRAM_SENT_FIRST)
		return scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "unexpected SASLResponse message", NULL);
	msg = copy_message(data, len);
	if (msg == NULL) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "The message is empty or contains a null byte.");
		goto done;
	}

	/* c=<base64 of gs2-header [|| channel binding data]> */
	p = msg;
	if (p[0] != 'c' || p[1] != '=') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Expected attribute \"c\" in client-final-message.");
		goto done;
	}
	p += 2;
	q = p + strcspn(p, ",");
	if (!pgw_b64_decode(p, (size_t)(q - p), cbind, sizeof(cbind), &cbind_len)) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Invalid channel-binding data in client-final-message.");
		goto done;
	}
	glen = strlen(s->gs2_header);
	if (s->cb_in_use) {
		if (cbind_len != glen + s->cb_len || memcmp(cbind, s->gs2_header, glen) != 0 ||
		    CRYPTO_memcmp(cbind + glen, s->cb_data, s->cb_len) != 0) {
			scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "SCRAM channel binding check failed", NULL);
			goto done;
		}
	} else if (cbind_len != glen || memcmp(cbind, s->gs2_header, glen) != 0) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION,
		           "unexpected SCRAM channel-binding attribute in client-final-message", NULL);
		goto done;
	}

	/* ,r=<nonce> */
	if (q[0] != ',' || q[1] != 'r' || q[2] != '=') {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Expected attribute \"r\" in client-final-message.");
		goto done;
	}
	p = q + 3;
	q = p + strcspn(p, ",");
	if ((size_t)(q - p) != strlen(s->nonce) || memcmp(p, s->nonce, (size_t)(q - p)) != 0) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "invalid SCRAM response",
		           "Nonce does not match.");
		goto done;
	}

	/* extensions, then ,p=<proof> which must come last */
	proof_at = NULL;
	while (*q == ',') {
		if (q[1] == 'p' && q[2] == '=') {
			proof_at = q;
			break;
		}
		if (!((q[1] >= 'a' && q[1] <= 'z') || (q[1] >= 'A' && q[1] <= 'Z')) || q[2] != '=')
			break;
		q += 1 + strcspn(q + 1, ",");
	}
	if (proof_at == NULL) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Expected attribute \"p\" in client-final-message.");
		goto done;
	}
	p = proof_at + 3;
	if (!pgw_b64_decode(p, strlen(p), proof, sizeof(proof), &proof_len) ||
	    proof_len != PGW_SCRAM_KEY_LEN) {
		scram_fail(s, err, CM_E_PROTOCOL_VIOLATION, "malformed SCRAM message",
		           "Malformed proof in client-final-message.");
		goto done;
	}

	/* AuthMessage = client-first-bare "," server-first "," final-without-proof */
	cm_buf_puts(&auth, s->client_first_bare);
	cm_buf_putc(&auth, ',');
	cm_buf_puts(&auth, s->server_first);
	cm_buf_putc(&auth, ',');
	cm_buf_append(&auth, msg, (size_t)(proof_at - msg));

	ok = hmac256(s->keys.stored_key, PGW_SCRAM_KEY_LEN, auth.data, auth.len, NULL, 0, client_sig);
	for (int i = 0; i < PGW_SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ client_sig[i];
	ok = sha256(client_key, sizeof(client_key), stored) && ok;
	ok = CRYPTO_memcmp(stored, s->keys.stored_key, PGW_SCRAM_KEY_LEN) == 0 && ok;
	if (!ok || s->doomed) {
		s->state = SCRAM_FAILED;
		pgw_auth_password_error(err, s->user);
		goto done;
	}

	if (!hmac256(s->keys.server_key, PGW_SCRAM_KEY_LEN, auth.data, auth.len, NULL, 0, server_sig)) {
		scram_fail(s, err, CM_E_INTERNAL_ERROR, "could not compute SCRAM server signature", NULL);
		goto done;
	}
	pgw_b64_encode(server_sig, sizeof(server_sig), v);
	cm_buf_puts(out, "v=");
	cm_buf_puts(out, v);
	s->state = SCRAM_DONE;
	rc = CM_OK;

done:
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(client_sig, sizeof(client_sig));
	cm_buf_free(&auth);
	free(msg);
	return rc;
}

/* ---------------------------------------------------------------------
 * Channel binding data
 * --------------------------------------------------------------------- */

cm_status
pgw_tls_server_end_point(struct x509_st *cert, unsigned char *out, size_t *len, cm_error *err)
{
	int md_nid = NID_undef, pk_nid = NID_undef;
	const EVP_MD *md;
	unsigned int n = 0;

	*len = 0;
	if (cert == NULL)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
		                    "no server certificate for channel binding");
	if (!X509_get_signature_info(cert, &md_nid, &pk_nid, NULL, NULL))
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
		                    "could not determine server certificate signature algorithm");
	/* RFC 5929 section 4.1: MD5 and SHA-1 are replaced by SHA-256. */
	if (md_nid == NID_md5 || md_nid == NID_sha1)
		md = EVP_sha256();
	else if (md_nid == NID_undef || (md = EVP_get_digestbynid(md_nid)) == NULL)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "could not find digest for NID %s",
		                    OBJ_nid2sn(md_nid));
	if (X509_digest(cert, md, out, &n) != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not compute server certificate hash");
	*len = n;
	return CM_OK;
}
