/*
 * test_pgw_auth.c -- unit tests for pgwire authentication: hba rules,
 * config users and defaults, cleartext and md5 checks, the SCRAM-SHA-256
 * server exchange (RFC 7677 vector, full exchanges against a client written
 * here, channel binding, malformed messages, unknown users) and
 * tls-server-end-point data.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include "pgwire/pgw_auth.h"
#include "pgwire/pgw_auth_internal.h"

/* ---------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* RFC 7677 section 3 example. */
#define RFC_PASSWORD "pencil"
#define RFC_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_CLIENT_FIRST "n,,n=user,r=" RFC_CNONCE
#define RFC_SERVER_FIRST "r=" RFC_CNONCE RFC_SNONCE ",s=" RFC_SALT ",i=4096"
#define RFC_CLIENT_FINAL                                                                           \
	"c=biws,r=" RFC_CNONCE RFC_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static pgw_credential
cred_scram(char *verifier)
{
	pgw_credential c = {.exists = true, .scram = verifier};
	return c;
}

static char *
rfc_verifier(void)
{
	uint8_t salt[16];
	size_t n;
	char *v = NULL;
	cm_error err = {0};

	cr_assert(pgw_b64_decode(RFC_SALT, strlen(RFC_SALT), salt, sizeof(salt), &n));
	cr_assert_eq(n, 16);
	cr_assert_eq(pgw_scram_make_verifier_salt(RFC_PASSWORD, salt, n, 4096, &v, &err), CM_OK);
	return v;
}

static cm_status
first(pgw_scram *s, const char *mech, const char *msg, cm_buf *out, cm_error *err)
{
	return pgw_scram_client_first(s, mech, msg, strlen(msg), out, err);
}

static cm_status
final(pgw_scram *s, const char *msg, cm_buf *out, cm_error *err)
{
	return pgw_scram_client_final(s, msg, strlen(msg), out, err);
}

static void
hmac256(const uint8_t *key, size_t klen, const void *d, size_t n, uint8_t out[32])
{
	unsigned int len = 0;
	cr_assert_not_null(HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len));
	cr_assert_eq(len, 32);
}

/*
 * A SCRAM client, independent of the server code: given the password, the
 * client-first-message-bare, the server-first-message and the channel
 * binding input (gs2 header || cb data), returns the client-final-message
 * (malloc'd) and the expected server-final-message in expect_v.
 */
static char *
client_final_for(const char *password, const char *cfb, const char *sf, const uint8_t *cbind,
                 size_t cbind_len, char expect_v[64])
{
	const char *r = strstr(sf, "r="), *s = strstr(sf, ",s="), *i = strstr(sf, ",i=");
	char nonce[256], salt_b64[128], cbind_b64[512], proof_b64[64];
	uint8_t salt[64], salted[32], ck[32], sk[32], svk[32], csig[32], proof[32], ssig[32];
	size_t salt_len;
	int iter;
	char *wo_proof = NULL, *auth = NULL, *out = NULL;

	cr_assert(r == sf && s != NULL && i != NULL);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)(s - (r + 2)), r + 2);
	snprintf(salt_b64, sizeof(salt_b64), "%.*s", (int)(i - (s + 3)), s + 3);
	iter = atoi(i + 3);
	cr_assert(pgw_b64_decode(salt_b64, strlen(salt_b64), salt, sizeof(salt), &salt_len));

	cr_assert_eq(PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iter,
	                               EVP_sha256(), 32, salted),
	             1);
	hmac256(salted, 32, "Client Key", 10, ck);
	cr_assert_eq(EVP_Digest(ck, 32, sk, NULL, EVP_sha256(), NULL), 1);
	hmac256(salted, 32, "Server Key", 10, svk);

	EVP_EncodeBlock((unsigned char *)cbind_b64, cbind, (int)cbind_len);
	cr_assert(asprintf(&wo_proof, "c=%s,r=%s", cbind_b64, nonce) > 0);
	cr_assert(asprintf(&auth, "%s,%s,%s", cfb, sf, wo_proof) > 0);
	hmac256(sk, 32, auth, strlen(auth), csig);
	for (int k = 0; k < 32; k++)
		proof[k] = ck[k] ^ csig[k];
	EVP_EncodeBlock((unsigned char *)proof_b64, proof, 32);
	cr_assert(asprintf(&out, "%s,p=%s", wo_proof, proof_b64) > 0);

	hmac256(svk, 32, auth, strlen(auth), ssig);
	strcpy(expect_v, "v=");
	EVP_EncodeBlock((unsigned char *)expect_v + 2, ssig, 32);
	free(wo_proof);
	free(auth);
	return out;
}

/* Runs a whole exchange; returns the status of the final step and fills err. */
static cm_status
run_exchange(const pgw_credential *cred, const char *user, const char *password, cm_error *err)
{
	pgw_scram *s = pgw_scram_begin(cred, user, NULL, 0);
	cm_buf out;
	char v[64];
	char *cf;
	cm_status rc;

	cm_buf_init(&out);
	cr_assert_eq(first(s, "SCRAM-SHA-256", "n,,n=,r=clientnonce123", &out, err), CM_OK);
	cf = client_final_for(password, "n=,r=clientnonce123", out.data, (const uint8_t *)"n,,", 3, v);
	cm_buf_reset(&out);
	rc = final(s, cf, &out, err);
	if (rc == CM_OK)
		cr_assert_str_eq(out.data, v);
	free(cf);
	cm_buf_free(&out);
	pgw_scram_free(s);
	return rc;
}

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &a->sin6_addr), 1, "bad test address %s", text);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &a->sin_addr), 1, "bad test address %s", text);
	}
	return ss;
}

static pgw_auth_method
match_tcp(const pgw_auth_config *c, bool ssl, const char *peer, const char *db, const char *user)
{
	struct sockaddr_storage ss = addr(peer);
	return pgw_auth_match(c, false, ssl, (const struct sockaddr *)&ss, db, user);
}

static pgw_auth_config *
config_with(const char *const *lines)
{
	pgw_auth_config *c = pgw_auth_config_new();
	for (; *lines != NULL; lines++) {
		cm_error err = {0};
		cr_assert_eq(pgw_auth_add_hba(c, *lines, &err), CM_OK, "line \"%s\": %s", *lines,
		             err.message ? err.message : "");
	}
	return c;
}

/* ---------------------------------------------------------------------
 * SCRAM: RFC 7677 vector
 * --------------------------------------------------------------------- */

Test(scram, rfc7677_verifier)
{
	char *v = rfc_verifier();
	cr_assert_str_eq(v, "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	                    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
	                    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
	cr_assert(pgw_scram_verifier_valid(v));
	free(v);
}

Test(scram, rfc7677_exchange)
{
	char *v = rfc_verifier();
	pgw_credential cred = cred_scram(v);
	pgw_scram *s = pgw_scram_begin(&cred, "user", NULL, 0);
	cm_buf out;
	cm_error err = {0};

	cm_buf_init(&out);
	pgw_scram_mechanisms(s, &out);
	cr_assert_eq(out.len, sizeof("SCRAM-SHA-256") + 1);
	cr_assert_eq(memcmp(out.data, "SCRAM-SHA-256\0\0", out.len), 0);
	cm_buf_reset(&out);

	pgw_scram_set_test_nonce(s, RFC_SNONCE);
	cr_assert_eq(first(s, "SCRAM-SHA-256", RFC_CLIENT_FIRST, &out, &err), CM_OK);
	cr_assert_str_eq(out.data, RFC_SERVER_FIRST);
	cm_buf_reset(&out);
	cr_assert_eq(final(s, RFC_CLIENT_FINAL, &out, &err), CM_OK, "%s", err.message);
	cr_assert_str_eq(out.data, RFC_SERVER_FINAL);

	cm_buf_free(&out);
	pgw_scram_free(s);
	free(v);
}

Test(scram, rfc7677_wrong_proof)
{
	char *v = rfc_verifier();
	pgw_credential cred = cred_scram(v);
	pgw_scram *s = pgw_scram_begin(&cred, "user", NULL, 0);
	cm_buf out;
	cm_error err = {0};

	cm_buf_init(&out);
	pgw_scram_set_test_nonce(s, RFC_SNONCE);
	cr_assert_eq(first(s, "SCRAM-SHA-256", RFC_CLIENT_FIRST, &out, &err), CM_OK);
	cm_buf_reset(&out);
	/* last proof character changed */
	cr_assert_eq(final(s,
	                   "c=biws,r=" RFC_CNONCE RFC_SNONCE
	                   ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVA=",
	                   &out, &err),
	             CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INVALID_PASSWORD));
	cr_assert_str_eq(err.message, "password authentication failed for user \"user\"");
	cr_assert_eq(out.len, 0);

	/* The exchange is over: another message is a protocol violation. */
	cr_assert_eq(final(s, RFC_CLIENT_FINAL, &out, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	cm_error_clear(&err);
	cm_buf_free(&out);
	pgw_scram_free(s);
	free(v);
}

Test(scram, wrong_password_from_verifier)
{
	char *v = rfc_verifier();
	pgw_credential cred = cred_scram(v);
	cm_error err = {0};

	cr_assert_eq(run_exchange(&cred, "user", "pencil", &err), CM_OK);
	cr_assert_eq(run_exchange(&cred, "user", "pencils", &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INVALID_PASSWORD));
	cm_error_clear(&err);
	free(v);
}

/* ---------------------------------------------------------------------
 * SCRAM: full exchanges with generated verifiers
 * --------------------------------------------------------------------- */

Test(scram, full_exchange_generated_verifier)
{
	char *v = NULL;
	cm_error err = {0};

	cr_assert_eq(pgw_scram_make_verifier("s3cr3t pass", 0, &v, &err), CM_OK);
	cr_assert(strncmp(v, "SCRAM-SHA-256$4096:", 19) == 0, "%s", v);
	cr_assert(pgw_scram_verifier_valid(v));
	pgw_credential cred = cred_scram(v);
	cr_assert_eq(run_exchange(&cred, "alice", "s3cr3t pass", &err), CM_OK);
	cr_assert_eq(run_exchange(&cred, "alice", "s3cr3t  pass", &err), CM_ERROR);
	cr_assert_str_eq(err.message, "password authentication failed for user \"alice\"");
	cm_error_clear(&err);
	free(v);

	/* Two verifiers for the same password differ (random salt). */
	char *a = NULL, *b = NULL;
	cr_assert_eq(pgw_scram_make_verifier("x", 4096, &a, &err), CM_OK);
	cr_assert_eq(pgw_scram_make_verifier("x", 4096, &b, &err), CM_OK);
	cr_assert_str_neq(a, b);
	free(a);
	free(b);

	/* Non-default iteration count shows up in the server-first message. */
	cr_assert_eq(pgw_scram_make_verifier("pw", 1000, &v, &err), CM_OK);
	cred = cred_scram(v);
	cr_assert_eq(run_exchange(&cred, "bob", "pw", &err), CM_OK);
	cr_assert(strncmp(v, "SCRAM-SHA-256$1000:", 19) == 0);
	free(v);
}

Test(scram, cleartext_only_credential)
{
	pgw_credential cred = {.exists = true, .password = (char *)"plain"};
	cm_error err = {0};

	cr_assert_eq(run_exchange(&cred, "carol", "plain", &err), CM_OK);
	cr_assert_eq(run_exchange(&cred, "carol", "plainx", &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INVALID_PASSWORD));
	cm_error_clear(&err);
}

/* An unknown user, a user without any password and a user with only an md5
 * verifier all fail SCRAM exactly like a wrong password. */
Test(scram, unknown_user_same_error)
{
	char *v = NULL;
	cm_error e_wrong = {0}, e_unknown = {0}, e_nopw = {0}, e_md5only = {0};
	pgw_credential unknown = {.exists = false};
	pgw_credential nopw = {.exists = true, .superuser = true};
	pgw_credential md5only = {.exists = true, .md5 = (char *)"md54a0a68b43b6cd5cf266fa02f196e2371"};

	cr_assert_eq(pgw_scram_make_verifier("right", 0, &v, &e_wrong), CM_OK);
	pgw_credential real = cred_scram(v);
	cr_assert_eq(run_exchange(&real, "alice", "wrong", &e_wrong), CM_ERROR);
	cr_assert_eq(run_exchange(&unknown, "alice", "wrong", &e_unknown), CM_ERROR);
	cr_assert_eq(run_exchange(&nopw, "alice", "", &e_nopw), CM_ERROR);
	cr_assert_eq(run_exchange(&md5only, "alice", "secret", &e_md5only), CM_ERROR);
	cr_assert_eq(run_exchange(NULL, "alice", "x", &e_md5only), CM_ERROR);

	const cm_error *all[] = {&e_unknown, &e_nopw, &e_md5only};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_str_eq(all[i]->code, e_wrong.code);
		cr_assert_str_eq(all[i]->message, e_wrong.message);
		cr_assert_null(all[i]->detail);
	}
	cr_assert_str_eq(e_wrong.message, "password authentication failed for user \"alice\"");
	cm_error_clear(&e_wrong);
	cm_error_clear(&e_unknown);
	cm_error_clear(&e_nopw);
	cm_error_clear(&e_md5only);
	free(v);
}

/* The fake salt for an unknown user is stable, differs between users, and
 * the server-first message has the same shape as for a real user. */
Test(scram, unknown_user_stable_fake_salt)
{
	pgw_credential unknown = {.exists = false};
	cm_buf a, b, c;
	cm_error err = {0};
	pgw_scram *s1 = pgw_scram_begin(&unknown, "ghost", NULL, 0);
	pgw_scram *s2 = pgw_scram_begin(&unknown, "ghost", NULL, 0);
	pgw_scram *s3 = pgw_scram_begin(&unknown, "spook", NULL, 0);

	cm_buf_init(&a);
	cm_buf_init(&b);
	cm_buf_init(&c);
	pgw_scram_set_test_nonce(s1, "N");
	pgw_scram_set_test_nonce(s2, "N");
	pgw_scram_set_test_nonce(s3, "N");
	cr_assert_eq(first(s1, "SCRAM-SHA-256", "n,,n=,r=abc", &a, &err), CM_OK);
	cr_assert_eq(first(s2, "SCRAM-SHA-256", "n,,n=,r=abc", &b, &err), CM_OK);
	cr_assert_eq(first(s3, "SCRAM-SHA-256", "n,,n=,r=abc", &c, &err), CM_OK);
	cr_assert_str_eq(a.data, b.data);
	cr_assert_str_neq(a.data, c.data);
	/* r=abcN,s=<24 chars>,i=4096 */
	cr_assert_eq(strncmp(a.data, "r=abcN,s=", 9), 0);
	cr_assert_eq(strlen(a.data), strlen("r=abcN,s=,i=4096") + 24, "%s", a.data);
	cr_assert_str_eq(a.data + strlen(a.data) - 7, ",i=4096");
	cm_buf_free(&a);
	cm_buf_free(&b);
	cm_buf_free(&c);
	pgw_scram_free(s1);
	pgw_scram_free(s2);
	pgw_scram_free(s3);
}

Test(scram, random_server_nonce)
{
	pgw_credential unknown = {.exists = false};
	cm_buf out;
	cm_error err = {0};
	pgw_scram *s = pgw_scram_begin(&unknown, "u", NULL, 0);

	cm_buf_init(&out);
	cr_assert_eq(first(s, "SCRAM-SHA-256", "n,,n=,r=cn", &out, &err), CM_OK);
	/* r=cn + 24 base64 characters */
	const char *comma = strchr(out.data, ',');
	cr_assert_not_null(comma);
	cr_assert_eq(comma - out.data, 2 + 2 + 24, "%s", out.data);
	cm_buf_free(&out);
	pgw_scram_free(s);
}

/* ---------------------------------------------------------------------
 * SCRAM: malformed messages and state
 * --------------------------------------------------------------------- */

typedef struct first_case {
	const char *mech;
	const char *msg;
	bool with_cb;        /* server has channel binding data */
	const char *code;    /* NULL = must succeed */
	const char *message; /* NULL = don't care */
} first_case;

static const first_case first_cases[] = {
    /* mechanisms */
    {"SCRAM-SHA-256", "n,,n=,r=abc", false, NULL, NULL},
    {"SCRAM-SHA-256", "n,,n=,r=abc", true, NULL, NULL},
    {"SCRAM-SHA-1", "n,,n=,r=abc", false, "08P01",
     "client selected an invalid SASL authentication mechanism"},
    {"SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc", false, "08P01",
     "client selected an invalid SASL authentication mechanism"},
    {NULL, "n,,n=,r=abc", false, "08P01", NULL},
    /* channel binding flag vs mechanism */
    {"SCRAM-SHA-256", "y,,n=,r=abc", false, NULL, NULL},
    {"SCRAM-SHA-256", "y,,n=,r=abc", true, "08P01", "SCRAM channel binding negotiation error"},
    {"SCRAM-SHA-256-PLUS", "n,,n=,r=abc", true, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256-PLUS", "y,,n=,r=abc", true, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "p=tls-server-end-point,,n=,r=abc", true, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc", true, NULL, NULL},
    {"SCRAM-SHA-256-PLUS", "p=tls-unique,,n=,r=abc", true, "08P01",
     "unsupported SCRAM channel-binding type \"tls-unique\""},
    {"SCRAM-SHA-256-PLUS", "p,,n=,r=abc", true, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "x,,n=,r=abc", false, "08P01", "malformed SCRAM message"},
    /* structure */
    {"SCRAM-SHA-256", "n,a=bob,n=,r=abc", false, "0A000",
     "client uses authorization identity, but it is not supported"},
    {"SCRAM-SHA-256", "n,,m=ext,n=,r=abc", false, "08P01",
     "client requires an unsupported SCRAM extension"},
    {"SCRAM-SHA-256", "n,,n=user", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,,n=,r=", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,,r=abc", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,n=,r=abc", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,,n=,r=a b", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,,n=,r=abc,x=ext", false, NULL, NULL},
    {"SCRAM-SHA-256", "n,,n=,r=abc,,", false, "08P01", "malformed SCRAM message"},
    {"SCRAM-SHA-256", "n,,n=whatever,r=abc", false, NULL, NULL},
};

Test(scram, client_first_cases)
{
	static const unsigned char cb[32] = {1, 2, 3};

	for (size_t i = 0; i < sizeof(first_cases) / sizeof(first_cases[0]); i++) {
		const first_case *t = &first_cases[i];
		pgw_credential unknown = {.exists = false};
		pgw_scram *s = pgw_scram_begin(&unknown, "u", t->with_cb ? cb : NULL, t->with_cb ? 32 : 0);
		cm_buf out;
		cm_error err = {0};
		cm_status rc;

		cm_buf_init(&out);
		rc = first(s, t->mech, t->msg, &out, &err);
		if (t->code == NULL) {
			cr_assert_eq(rc, CM_OK, "case %zu (%s): %s", i, t->msg, err.message);
			cr_assert_gt(out.len, 0);
		} else {
			cr_assert_eq(rc, CM_ERROR, "case %zu (%s) should fail", i, t->msg);
			cr_assert_str_eq(err.code, t->code, "case %zu (%s): %s", i, t->msg, err.message);
			if (t->message != NULL)
				cr_assert_str_eq(err.message, t->message, "case %zu", i);
			cr_assert_eq(out.len, 0, "case %zu wrote output", i);
		}
		cm_error_clear(&err);
		cm_buf_free(&out);
		pgw_scram_free(s);
	}
}

Test(scram, client_first_embedded_nul)
{
	pgw_scram *s = pgw_scram_begin(NULL, "u", NULL, 0);
	cm_buf out;
	cm_error err = {0};
	static const char msg[] = "n,,n=,r=abc\0def";

	cm_buf_init(&out);
	cr_assert_eq(pgw_scram_client_first(s, "SCRAM-SHA-256", msg, sizeof(msg) - 1, &out, &err),
	             CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	cm_error_clear(&err);
	cm_buf_free(&out);
	pgw_scram_free(s);
}

Test(scram, mechanisms_with_channel_binding)
{
	static const unsigned char cb[32] = {0};
	pgw_scram *s = pgw_scram_begin(NULL, "u", cb, sizeof(cb));
	cm_buf out;
	static const char expect[] = "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0";

	cm_buf_init(&out);
	pgw_scram_mechanisms(s, &out);
	/* sizeof(expect) counts the final empty string's NUL */
	cr_assert_eq(out.len, sizeof(expect));
	cr_assert_eq(memcmp(out.data, expect, sizeof(expect)), 0);
	cm_buf_free(&out);
	pgw_scram_free(s);
}

typedef struct final_case {
	const char *msg; /* %N = the full nonce */
	const char *code;
	const char *message;
} final_case;

static const final_case final_cases[] = {
    {"c=biws,r=%N", "08P01", "malformed SCRAM message"},
    {"c=biws,r=%N,p=", "08P01", "malformed SCRAM message"},
    {"c=biws,r=%N,p=!!!!", "08P01", "malformed SCRAM message"},
    {"c=biws,r=%N,p=AAAA", "08P01", "malformed SCRAM message"},
    {"c=biws,r=%Nx,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01",
     "invalid SCRAM response"},
    {"c=biws,r=wrong,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01",
     "invalid SCRAM response"},
    {"c=eSws,r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01",
     "unexpected SCRAM channel-binding attribute in client-final-message"},
    {"c=biw,r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01",
     "malformed SCRAM message"},
    {"r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01", "malformed SCRAM message"},
    {"c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "08P01", "malformed SCRAM message"},
    {"c=biws,r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1", "08P01",
     "malformed SCRAM message"},
    {"c=biws,r=%N,x=ext,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVA=", "28P01",
     "password authentication failed for user \"user\""},
    {"", "08P01", "malformed SCRAM message"},
};

Test(scram, client_final_cases)
{
	char *v = rfc_verifier();
	pgw_credential cred = cred_scram(v);

	for (size_t i = 0; i < sizeof(final_cases) / sizeof(final_cases[0]); i++) {
		const final_case *t = &final_cases[i];
		pgw_scram *s = pgw_scram_begin(&cred, "user", NULL, 0);
		cm_buf out, msg;
		cm_error err = {0};

		cm_buf_init(&out);
		cm_buf_init(&msg);
		pgw_scram_set_test_nonce(s, RFC_SNONCE);
		cr_assert_eq(first(s, "SCRAM-SHA-256", RFC_CLIENT_FIRST, &out, &err), CM_OK);
		cm_buf_reset(&out);
		for (const char *p = t->msg; *p; p++) {
			if (p[0] == '%' && p[1] == 'N') {
				cm_buf_puts(&msg, RFC_CNONCE RFC_SNONCE);
				p++;
			} else
				cm_buf_putc(&msg, *p);
		}
		cr_assert_eq(pgw_scram_client_final(s, msg.data ? msg.data : "", msg.len, &out, &err),
		             CM_ERROR, "case %zu", i);
		cr_assert_str_eq(err.code, t->code, "case %zu: %s", i, err.message);
		cr_assert_str_eq(err.message, t->message, "case %zu", i);
		cr_assert_eq(out.len, 0);
		cm_error_clear(&err);
		cm_buf_free(&out);
		cm_buf_free(&msg);
		pgw_scram_free(s);
	}
	free(v);
}

Test(scram, out_of_order)
{
	pgw_scram *s = pgw_scram_begin(NULL, "u", NULL, 0);
	cm_buf out;
	cm_error err = {0};

	cm_buf_init(&out);
	cr_assert_eq(final(s, RFC_CLIENT_FINAL, &out, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	pgw_scram_free(s);

	s = pgw_scram_begin(NULL, "u", NULL, 0);
	cr_assert_eq(first(s, "SCRAM-SHA-256", "n,,n=,r=a", &out, &err), CM_OK);
	cr_assert_eq(first(s, "SCRAM-SHA-256", "n,,n=,r=a", &out, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	cm_error_clear(&err);
	cm_buf_free(&out);
	pgw_scram_free(s);
}

/* 'y' from a client when the server has no channel binding: c= must be
 * base64("y,,") = "eSws". */
Test(scram, flag_y_without_server_binding)
{
	char *v = NULL;
	cm_error err = {0};
	cm_buf out;
	char expect_v[64];

	cr_assert_eq(pgw_scram_make_verifier("pw", 0, &v, &err), CM_OK);
	pgw_credential cred = cred_scram(v);
	pgw_scram *s = pgw_scram_begin(&cred, "u", NULL, 0);
	cm_buf_init(&out);
	cr_assert_eq(first(s, "SCRAM-SHA-256", "y,,n=,r=nonce1", &out, &err), CM_OK);
	char *cf = client_final_for("pw", "n=,r=nonce1", out.data, (const uint8_t *)"y,,", 3, expect_v);
	cr_assert(strncmp(cf, "c=eSws,", 7) == 0, "%s", cf);
	cm_buf_reset(&out);
	cr_assert_eq(final(s, cf, &out, &err), CM_OK, "%s", err.message);
	cr_assert_str_eq(out.data, expect_v);
	free(cf);
	cm_buf_free(&out);
	pgw_scram_free(s);
	free(v);
}

/* ---------------------------------------------------------------------
 * Channel binding: tls-server-end-point and SCRAM-SHA-256-PLUS
 * --------------------------------------------------------------------- */

static X509 *
make_cert(const char *keytype, const EVP_MD *md)
{
	EVP_PKEY *pk = strcmp(keytype, "ED25519") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	                                               : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	cr_assert_not_null(pk);
	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"pgkv-test", -1, -1,
	                           0);
	X509_set_issuer_name(x, n);
	cr_assert_gt(X509_sign(x, pk, md), 0);
	EVP_PKEY_free(pk);
	return x;
}

Test(channel_binding, tls_server_end_point_digests)
{
	struct {
		const EVP_MD *sign;
		const EVP_MD *expect;
	} cases[] = {
	    {EVP_sha256(), EVP_sha256()},
	    {EVP_sha1(), EVP_sha256()},
	    {EVP_sha384(), EVP_sha384()},
	    {EVP_sha512(), EVP_sha512()},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509 *x = make_cert("EC", cases[i].sign);
		unsigned char got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
		unsigned int wlen = 0;
		size_t glen = 0;
		cm_error err = {0};

		cr_assert_eq(pgw_tls_server_end_point(x, got, &glen, &err), CM_OK, "%s", err.message);
		cr_assert_eq(X509_digest(x, cases[i].expect, want, &wlen), 1);
		cr_assert_eq(glen, wlen, "case %zu", i);
		cr_assert_eq(memcmp(got, want, glen), 0, "case %zu", i);
		X509_free(x);
	}

	/* Ed25519 signatures have no separate digest. */
	X509 *x = make_cert("ED25519", NULL);
	unsigned char got[EVP_MAX_MD_SIZE];
	size_t glen = 0;
	cm_error err = {0};
	cr_assert_eq(pgw_tls_server_end_point(x, got, &glen, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	cm_error_clear(&err);
	X509_free(x);
}

static cm_status
run_plus(const unsigned char *server_cb, size_t server_len, const unsigned char *client_cb,
         size_t client_len, cm_error *err)
{
	static const char gs2[] = "p=tls-server-end-point,,";
	char *v = NULL;
	cm_buf out;
	uint8_t cbind[256];
	char expect_v[64];
	cm_status rc;

	cr_assert_eq(pgw_scram_make_verifier("pw", 0, &v, err), CM_OK);
	pgw_credential cred = cred_scram(v);
	pgw_scram *s = pgw_scram_begin(&cred, "u", server_cb, server_len);
	cm_buf_init(&out);
	cr_assert_eq(first(s, "SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=cbnonce", &out, err),
	             CM_OK);
	memcpy(cbind, gs2, strlen(gs2));
	memcpy(cbind + strlen(gs2), client_cb, client_len);
	char *cf =
	    client_final_for("pw", "n=,r=cbnonce", out.data, cbind, strlen(gs2) + client_len, expect_v);
	cm_buf_reset(&out);
	rc = final(s, cf, &out, err);
	if (rc == CM_OK)
		cr_assert_str_eq(out.data, expect_v);
	free(cf);
	cm_buf_free(&out);
	pgw_scram_free(s);
	free(v);
	return rc;
}

Test(channel_binding, plus_exchange)
{
	X509 *x = make_cert("EC", EVP_sha256());
	unsigned char cb[EVP_MAX_MD_SIZE], bad[EVP_MAX_MD_SIZE];
	size_t len = 0;
	cm_error err = {0};

	cr_assert_eq(pgw_tls_server_end_point(x, cb, &len, &err), CM_OK);
	cr_assert_eq(len, 32);
	cr_assert_eq(run_plus(cb, len, cb, len, &err), CM_OK, "%s", err.message);

	memcpy(bad, cb, len);
	bad[5] ^= 1;
	cr_assert_eq(run_plus(cb, len, bad, len, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_PROTOCOL_VIOLATION));
	cr_assert_str_eq(err.message, "SCRAM channel binding check failed");

	cr_assert_eq(run_plus(cb, len, cb, len - 1, &err), CM_ERROR);
	cr_assert_str_eq(err.message, "SCRAM channel binding check failed");
	cm_error_clear(&err);
	X509_free(x);
}

/* ---------------------------------------------------------------------
 * md5 and cleartext password
 * --------------------------------------------------------------------- */

/* Vectors computed with python3 hashlib:
 *   md5("secret" "alice")                   = 4a0a68b43b6cd5cf266fa02f196e2371
 *   md5("4a0a...2371" || 01 02 03 04)       = 98a0412b9c31436fc53776e863350083 */
#define ALICE_MD5 "md54a0a68b43b6cd5cf266fa02f196e2371"
#define ALICE_RESPONSE "md598a0412b9c31436fc53776e863350083"

Test(md5, verifier_and_check)
{
	static const uint8_t salt[4] = {1, 2, 3, 4};
	static const uint8_t other_salt[4] = {1, 2, 3, 5};
	char v[PGW_MD5_PASSWD_LEN + 1];

	pgw_md5_make_verifier("secret", "alice", v);
	cr_assert_str_eq(v, ALICE_MD5);

	pgw_credential stored = {.exists = true, .md5 = (char *)ALICE_MD5};
	pgw_credential upper = {.exists = true, .md5 = (char *)"md54A0A68B43B6CD5CF266FA02F196E2371"};
	pgw_credential clear = {.exists = true, .password = (char *)"secret"};
	pgw_credential scram_only = {.exists = true, .scram = (char *)"SCRAM-SHA-256$..."};
	pgw_credential nopw = {.exists = true};
	pgw_credential unknown = {.exists = false, .md5 = (char *)ALICE_MD5};

	cr_assert(pgw_md5_check(&stored, "alice", salt, ALICE_RESPONSE));
	cr_assert(pgw_md5_check(&upper, "alice", salt, ALICE_RESPONSE));
	cr_assert(pgw_md5_check(&clear, "alice", salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(&stored, "alice", other_salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(&clear, "bob", salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(&stored, "alice", salt, "md598a0412b9c31436fc53776e86335008"));
	cr_assert_not(pgw_md5_check(&stored, "alice", salt, ALICE_RESPONSE "0"));
	cr_assert_not(pgw_md5_check(&stored, "alice", salt, ""));
	cr_assert_not(pgw_md5_check(&stored, "alice", salt, "secret"));
	cr_assert_not(pgw_md5_check(&scram_only, "alice", salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(&nopw, "alice", salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(&unknown, "alice", salt, ALICE_RESPONSE));
	cr_assert_not(pgw_md5_check(NULL, "alice", salt, ALICE_RESPONSE));
}

Test(md5, salt_is_random)
{
	uint8_t a[4], b[4], c[4];
	cm_error err = {0};

	cr_assert_eq(pgw_md5_make_salt(a, &err), CM_OK);
	cr_assert_eq(pgw_md5_make_salt(b, &err), CM_OK);
	cr_assert_eq(pgw_md5_make_salt(c, &err), CM_OK);
	cr_assert(memcmp(a, b, 4) != 0 || memcmp(b, c, 4) != 0);
}

Test(password, check_all_stored_forms)
{
	char *v = NULL;
	cm_error err = {0};

	cr_assert_eq(pgw_scram_make_verifier("secret", 0, &v, &err), CM_OK);
	pgw_credential clear = {.exists = true, .password = (char *)"secret"};
	pgw_credential md5 = {.exists = true, .md5 = (char *)ALICE_MD5};
	pgw_credential scram = {.exists = true, .scram = v};
	pgw_credential nopw = {.exists = true};
	pgw_credential unknown = {.exists = false, .password = (char *)"secret"};
	const pgw_credential *good[] = {&clear, &md5, &scram};

	for (size_t i = 0; i < 3; i++) {
		cr_assert(pgw_password_check(good[i], "alice", "secret"), "form %zu", i);
		cr_assert_not(pgw_password_check(good[i], "alice", "Secret"), "form %zu", i);
		cr_assert_not(pgw_password_check(good[i], "alice", "secret "), "form %zu", i);
		cr_assert_not(pgw_password_check(good[i], "alice", ""), "form %zu", i);
	}
	cr_assert_not(pgw_password_check(&md5, "bob", "secret"));
	cr_assert_not(pgw_password_check(&nopw, "alice", ""));
	cr_assert_not(pgw_password_check(&unknown, "alice", "secret"));
	cr_assert_not(pgw_password_check(NULL, "alice", "secret"));
	free(v);
}

Test(password, error_messages)
{
	cm_error err = {0};

	pgw_auth_password_error(&err, "alice");
	cr_assert_str_eq(err.code, "28P01");
	cr_assert_str_eq(err.message, "password authentication failed for user \"alice\"");

	pgw_auth_no_rule_error(&err, "1.2.3.4", "x", "y", false);
	cr_assert_str_eq(err.code, "28000");
	cr_assert_str_eq(
	    err.message,
	    "no pg_hba.conf entry for host \"1.2.3.4\", user \"x\", database \"y\", no encryption");
	pgw_auth_no_rule_error(&err, NULL, "x", "y", true);
	cr_assert_str_eq(
	    err.message,
	    "no pg_hba.conf entry for host \"[local]\", user \"x\", database \"y\", SSL encryption");
	pgw_auth_rejected_error(&err, "::1", "x", "y", false);
	cr_assert_str_eq(err.code, "28000");
	cr_assert_str_eq(err.message, "pg_hba.conf rejects connection for host \"::1\", user \"x\", "
	                              "database \"y\", no encryption");
	cm_error_clear(&err);
}

/* ---------------------------------------------------------------------
 * SASLprep
 * --------------------------------------------------------------------- */

Test(saslprep, normalisation)
{
	struct {
		const char *in;
		const char *out; /* NULL: prep fails, raw bytes are used */
	} cases[] = {
	    {"pencil", "pencil"},
	    {"with space\t", "with space\t"}, /* ASCII is used as is */
	    {"I\xC2\xADX", "IX"},             /* soft hyphen maps to nothing */
	    {"\xC2\xAA", "a"},                /* NFKC: feminine ordinal -> a */
	    {"a\xC2\xA0"
	     "b",
	     "a b"},                /* no-break space -> space */
	    {"\xE2\x85\xA8", "IX"}, /* roman numeral nine -> IX */
	    {"a\xC2\x87", NULL},    /* control character: prohibited */
	    {"\xFF\xFE", NULL},     /* not UTF-8 */
	    {"\xD8\xA7"
	     "1",
	     NULL}, /* RandALCat then L/digit: bidi violation */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = pgw_saslprep(cases[i].in);
		if (cases[i].out == NULL)
			cr_assert_null(got, "case %zu gave \"%s\"", i, got);
		else {
			cr_assert_not_null(got, "case %zu", i);
			cr_assert_str_eq(got, cases[i].out, "case %zu", i);
		}
		free(got);
	}
}

Test(saslprep, verifier_uses_prepped_password)
{
	static const uint8_t salt[16] = {9, 8, 7};
	char *a = NULL, *b = NULL, *c = NULL;
	cm_error err = {0};

	cr_assert_eq(pgw_scram_make_verifier_salt("I\xC2\xADX", salt, 16, 4096, &a, &err), CM_OK);
	cr_assert_eq(pgw_scram_make_verifier_salt("IX", salt, 16, 4096, &b, &err), CM_OK);
	cr_assert_eq(pgw_scram_make_verifier_salt("I X", salt, 16, 4096, &c, &err), CM_OK);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	pgw_credential cred = {.exists = true, .scram = a};
	cr_assert(pgw_password_check(&cred, "u", "IX"));
	cr_assert(pgw_password_check(&cred, "u", "I\xC2\xADX"));
	free(a);
	free(b);
	free(c);
}

/* ---------------------------------------------------------------------
 * Config users, role source, defaults
 * --------------------------------------------------------------------- */

Test(users, add_and_lookup)
{
	pgw_auth_config *c = pgw_auth_config_new();
	pgw_role_source roles = pgw_auth_config_roles(c);
	pgw_credential cred;
	cm_error err = {0};

	cr_assert_eq(pgw_auth_add_user(c, "alice password=secret", &err), CM_OK);
	cr_assert_eq(pgw_auth_add_user(c, "bob md5=" ALICE_MD5 " superuser", &err), CM_OK);
	cr_assert_eq(pgw_auth_add_user(c,
	                               "carol scram=SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	                               "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
	                               "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	                               &err),
	             CM_OK);
	cr_assert_eq(pgw_auth_add_user(c, "dave", &err), CM_OK);
	cr_assert_eq(pgw_auth_add_user(c, "\"eve smith\" password=\"two words\"\"q\" superuser", &err),
	             CM_OK);

	cr_assert(roles.lookup(roles.arg, "alice", &cred));
	cr_assert(cred.exists);
	cr_assert_not(cred.superuser);
	cr_assert_str_eq(cred.password, "secret");
	cr_assert_str_eq(cred.md5, ALICE_MD5);
	cr_assert(pgw_scram_verifier_valid(cred.scram));
	cr_assert(pgw_password_check(&cred, "alice", "secret"));
	{
		/* SCRAM works for a password= user through the derived verifier. */
		pgw_credential only_scram = {.exists = true, .scram = cred.scram};
		cr_assert_eq(run_exchange(&only_scram, "alice", "secret", &err), CM_OK);
	}

	cr_assert(roles.lookup(roles.arg, "bob", &cred));
	cr_assert(cred.superuser);
	cr_assert_null(cred.password);
	cr_assert_str_eq(cred.md5, ALICE_MD5);
	cr_assert_null(cred.scram);

	cr_assert(roles.lookup(roles.arg, "carol", &cred));
	cr_assert_eq(run_exchange(&cred, "carol", "pencil", &err), CM_OK);

	cr_assert(roles.lookup(roles.arg, "dave", &cred));
	cr_assert(cred.exists);
	cr_assert_null(cred.password);
	cr_assert_null(cred.md5);
	cr_assert_null(cred.scram);

	cr_assert(roles.lookup(roles.arg, "eve smith", &cred));
	cr_assert(cred.superuser);
	cr_assert_str_eq(cred.password, "two words\"q");

	memset(&cred, 0x55, sizeof(cred));
	cr_assert_not(roles.lookup(roles.arg, "mallory", &cred));
	cr_assert_not(cred.exists);
	cr_assert_null(cred.password);
	cr_assert_null(cred.scram);

	pgw_auth_config_free(c);
}

Test(users, bad_specs)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "alice password=",
	    "alice md5=md5123",
	    "alice md5=4a0a68b43b6cd5cf266fa02f196e2371",
	    "alice md5=md5zz0a68b43b6cd5cf266fa02f196e2371",
	    "alice scram=SCRAM-SHA-256$4096:abc",
	    "alice "
	    "scram=SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "alice "
	    "scram=SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3Otc:"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "alice password=a password=b",
	    "alice password=a md5=" ALICE_MD5,
	    "alice admin",
	    "alice password=\"unterminated",
	    "dup",
	};
	pgw_auth_config *c = pgw_auth_config_new();
	cm_error err = {0};

	cr_assert_eq(pgw_auth_add_user(c, "dup", &err), CM_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(pgw_auth_add_user(c, bad[i], &err), CM_ERROR, "spec \"%s\" accepted", bad[i]);
		cr_assert(cm_error_is(&err, CM_E_INVALID_PARAMETER_VALUE), "spec \"%s\": %s", bad[i],
		          err.code);
		cr_assert_not_null(err.message);
	}
	/* Nothing half-added. */
	pgw_role_source roles = pgw_auth_config_roles(c);
	pgw_credential cred;
	cr_assert_not(roles.lookup(roles.arg, "alice", &cred));
	cm_error_clear(&err);
	pgw_auth_config_free(c);
}

Test(defaults, secure)
{
	pgw_auth_config *c = pgw_auth_config_new();
	pgw_role_source roles = pgw_auth_config_roles(c);
	pgw_credential cred;
	cm_error err = {0};

	cr_assert_eq(pgw_auth_add_user(c, "root password=rootpw", &err), CM_OK);
	pgw_auth_apply_defaults(c, false);
	pgw_auth_apply_defaults(c, false); /* idempotent */
	cr_assert_eq(pgw_auth_hba_count(c), 4);

	cr_assert(roles.lookup(roles.arg, "root", &cred));
	cr_assert_str_eq(cred.password, "rootpw"); /* configured user kept */
	cr_assert(roles.lookup(roles.arg, "postgres", &cred));
	cr_assert(cred.superuser);
	cr_assert_null(cred.password);

	cr_assert_eq(pgw_auth_match(c, true, false, NULL, "db", "anyone"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "127.0.0.1", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "127.9.8.7", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "::1", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "::ffff:127.0.0.1", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "10.0.0.1", "db", "u"), PGW_AUTH_SCRAM);
	cr_assert_eq(match_tcp(c, true, "10.0.0.1", "db", "u"), PGW_AUTH_SCRAM);
	cr_assert_eq(match_tcp(c, false, "2001:db8::1", "db", "u"), PGW_AUTH_SCRAM);
	cr_assert_eq(match_tcp(c, false, "::2", "db", "u"), PGW_AUTH_SCRAM);
	pgw_auth_config_free(c);
}

Test(defaults, insecure)
{
	pgw_auth_config *c = pgw_auth_config_new();

	pgw_auth_apply_defaults(c, true);
	cr_assert_eq(match_tcp(c, false, "10.0.0.1", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, true, "2001:db8::1", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(pgw_auth_match(c, true, false, NULL, "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(pgw_auth_match(c, false, false, NULL, "db", "u"), PGW_AUTH_TRUST);
	pgw_auth_config_free(c);
}

Test(defaults, configured_hba_kept)
{
	pgw_auth_config *c = pgw_auth_config_new();
	pgw_role_source roles = pgw_auth_config_roles(c);
	pgw_credential cred;
	cm_error err = {0};

	cr_assert_eq(pgw_auth_add_hba(c, "host all all 10.0.0.0/8 md5", &err), CM_OK);
	pgw_auth_apply_defaults(c, true);
	cr_assert_eq(pgw_auth_hba_count(c), 1);
	cr_assert_eq(match_tcp(c, false, "10.1.1.1", "db", "u"), PGW_AUTH_MD5);
	cr_assert_eq(match_tcp(c, false, "127.0.0.1", "db", "u"), PGW_AUTH_REJECT);
	cr_assert(roles.lookup(roles.arg, "root", &cred));
	cr_assert(roles.lookup(roles.arg, "postgres", &cred));
	pgw_auth_config_free(c);
}

Test(defaults, effective_method)
{
	pgw_credential scram_only = {.exists = true, .scram = (char *)"SCRAM-SHA-256$x"};
	pgw_credential md5 = {.exists = true, .md5 = (char *)ALICE_MD5};
	pgw_credential both = {.exists = true, .md5 = (char *)ALICE_MD5, .scram = (char *)"S"};
	pgw_credential unknown = {.exists = false};

	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_MD5, &scram_only), PGW_AUTH_SCRAM);
	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_MD5, &md5), PGW_AUTH_MD5);
	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_MD5, &both), PGW_AUTH_MD5);
	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_MD5, &unknown), PGW_AUTH_MD5);
	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_SCRAM, &md5), PGW_AUTH_SCRAM);
	cr_assert_eq(pgw_auth_effective_method(PGW_AUTH_PASSWORD, &scram_only), PGW_AUTH_PASSWORD);
	cr_assert_str_eq(pgw_auth_method_name(PGW_AUTH_SCRAM), "scram-sha-256");
	cr_assert_str_eq(pgw_auth_method_name(PGW_AUTH_REJECT), "reject");
}

/* ---------------------------------------------------------------------
 * hba rules
 * --------------------------------------------------------------------- */

Test(hba, first_match_wins)
{
	static const char *const lines[] = {
	    "# comment line",
	    "",
	    "host    all  bob        10.0.0.0/8     reject",
	    "host    all  all        10.1.0.0/16    trust   # trailing comment",
	    "host    all  all        10.0.0.0/8     md5",
	    "host    all  all        0.0.0.0/0      scram-sha-256",
	    NULL,
	};
	pgw_auth_config *c = config_with(lines);
	int line;
	struct sockaddr_storage ss = addr("10.1.2.3");

	cr_assert_eq(pgw_auth_hba_count(c), 4);
	cr_assert_eq(match_tcp(c, false, "10.1.2.3", "db", "bob"), PGW_AUTH_REJECT);
	cr_assert_eq(match_tcp(c, false, "10.1.2.3", "db", "alice"), PGW_AUTH_TRUST);
	cr_assert_eq(match_tcp(c, false, "10.2.2.3", "db", "alice"), PGW_AUTH_MD5);
	cr_assert_eq(match_tcp(c, false, "11.0.0.1", "db", "alice"), PGW_AUTH_SCRAM);
	cr_assert_eq(match_tcp(c, false, "11.0.0.1", "db", "bob"), PGW_AUTH_SCRAM);
	/* IPv6 peer: no IPv4 rule applies. */
	cr_assert_eq(match_tcp(c, false, "2001:db8::1", "db", "alice"), PGW_AUTH_REJECT);
	/* unix socket: no local rule */
	cr_assert_eq(pgw_auth_match(c, true, false, NULL, "db", "alice"), PGW_AUTH_REJECT);

	cr_assert_eq(pgw_auth_match_rule(c, false, false, (struct sockaddr *)&ss, "db", "bob", &line),
	             PGW_AUTH_REJECT);
	cr_assert_eq(line, 1);
	cr_assert_eq(pgw_auth_match_rule(c, false, false, (struct sockaddr *)&ss, "db", "x", &line),
	             PGW_AUTH_TRUST);
	cr_assert_eq(line, 2);
	cr_assert_eq(pgw_auth_match_rule(c, true, false, NULL, "db", "x", &line), PGW_AUTH_REJECT);
	cr_assert_eq(line, 0);
	pgw_auth_config_free(c);
}

Test(hba, cidr_v4_v6_and_netmask)
{
	static const char *const lines[] = {
	    "host all a 192.168.1.0/24 trust",
	    "host all b 192.168.1.128 255.255.255.128 trust",
	    "host all c 2001:db8::/32 trust",
	    "host all d fe80::1/128 trust",
	    "host all e 2001:db8:: ffff:ffff:: trust",
	    "host all f 0.0.0.0/0 trust",
	    "host all g ::/0 trust",
	    "host all h 10.9.9.9/32 trust",
	    "host all i 10.0.0.77/8 trust", /* host bits are ignored */
	    NULL,
	};
	pgw_auth_config *c = config_with(lines);
	struct {
		const char *peer, *user;
		pgw_auth_method m;
	} cases[] = {
	    {"192.168.1.1", "a", PGW_AUTH_TRUST},   {"192.168.1.255", "a", PGW_AUTH_TRUST},
	    {"192.168.2.1", "a", PGW_AUTH_REJECT},  {"::ffff:192.168.1.9", "a", PGW_AUTH_TRUST},
	    {"192.168.1.129", "b", PGW_AUTH_TRUST}, {"192.168.1.127", "b", PGW_AUTH_REJECT},
	    {"2001:db8:1::5", "c", PGW_AUTH_TRUST}, {"2001:db9::5", "c", PGW_AUTH_REJECT},
	    {"192.168.1.1", "c", PGW_AUTH_REJECT},  {"fe80::1", "d", PGW_AUTH_TRUST},
	    {"fe80::2", "d", PGW_AUTH_REJECT},      {"2001:db8:ffff::1", "e", PGW_AUTH_TRUST},
	    {"2001:db7::1", "e", PGW_AUTH_REJECT},  {"8.8.8.8", "f", PGW_AUTH_TRUST},
	    {"::1", "f", PGW_AUTH_REJECT},          {"::1", "g", PGW_AUTH_TRUST},
	    {"8.8.8.8", "g", PGW_AUTH_REJECT},      {"10.9.9.9", "h", PGW_AUTH_TRUST},
	    {"10.9.9.8", "h", PGW_AUTH_REJECT},     {"10.200.1.1", "i", PGW_AUTH_TRUST},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(match_tcp(c, false, cases[i].peer, "db", cases[i].user), cases[i].m,
		             "case %zu: %s %s", i, cases[i].peer, cases[i].user);
	/* TCP with unknown peer address: only "all" rules can match. */
	cr_assert_eq(pgw_auth_match(c, false, false, NULL, "db", "a"), PGW_AUTH_REJECT);
	pgw_auth_config_free(c);
}

Test(hba, connection_types)
{
	static const char *const lines[] = {
	    "local     all all            md5",
	    "hostssl   all all 10.0.0.0/8 scram-sha-256",
	    "hostnossl all all 10.0.0.0/8 password",
	    "host      all all all        reject",
	    NULL,
	};
	pgw_auth_config *c = config_with(lines);

	cr_assert_eq(pgw_auth_match(c, true, false, NULL, "db", "u"), PGW_AUTH_MD5);
	cr_assert_eq(match_tcp(c, true, "10.1.1.1", "db", "u"), PGW_AUTH_SCRAM);
	cr_assert_eq(match_tcp(c, false, "10.1.1.1", "db", "u"), PGW_AUTH_PASSWORD);
	cr_assert_eq(match_tcp(c, true, "11.1.1.1", "db", "u"), PGW_AUTH_REJECT);
	pgw_auth_config_free(c);

	static const char *const lines2[] = {"host all all all trust", NULL};
	c = config_with(lines2);
	cr_assert_eq(pgw_auth_match(c, true, false, NULL, "db", "u"), PGW_AUTH_REJECT);
	cr_assert_eq(match_tcp(c, true, "1.2.3.4", "db", "u"), PGW_AUTH_TRUST);
	cr_assert_eq(pgw_auth_match(c, false, false, NULL, "db", "u"), PGW_AUTH_TRUST);
	pgw_auth_config_free(c);
}

Test(hba, database_and_user_lists)
{
	static const char *const lines[] = {
	    "local  sales,hr    alice,bob   trust",
	    "local  sameuser    all         password",
	    "local  replication all         trust",
	    "local  \"all\"     carol       md5",
	    "local  all         \"dave,x\"  scram-sha-256",
	    "local  \"my db\"   \"a b\",\"Q\"\"\" trust",
	    NULL,
	};
	pgw_auth_config *c = config_with(lines);
	struct {
		const char *db, *user;
		pgw_auth_method m;
	} cases[] = {
	    {"sales", "alice", PGW_AUTH_TRUST},
	    {"hr", "bob", PGW_AUTH_TRUST},
	    {"hr", "carol", PGW_AUTH_REJECT},
	    {"carol", "carol", PGW_AUTH_PASSWORD}, /* sameuser */
	    {"replication", "x", PGW_AUTH_REJECT}, /* the keyword never matches */
	    {"all", "carol", PGW_AUTH_MD5},        /* quoted "all" is a name */
	    {"other", "carol", PGW_AUTH_REJECT},
	    {"other", "dave,x", PGW_AUTH_SCRAM},
	    {"other", "dave", PGW_AUTH_REJECT},
	    {"my db", "a b", PGW_AUTH_TRUST},
	    {"my db", "Q\"", PGW_AUTH_TRUST},
	    {"Sales", "alice", PGW_AUTH_REJECT}, /* names are case-sensitive */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(pgw_auth_match(c, true, false, NULL, cases[i].db, cases[i].user), cases[i].m,
		             "case %zu: %s %s", i, cases[i].db, cases[i].user);
	pgw_auth_config_free(c);
}

Test(hba, malformed_lines)
{
	static const struct {
		const char *line;
		const char *message; /* NULL = don't care */
	} bad[] = {
	    {"hots all all all trust", "invalid connection type \"hots\""},
	    {"hostgssenc all all all trust", NULL},
	    {"host", "end-of-line before database specification"},
	    {"host all", "end-of-line before role specification"},
	    {"host all all", "end-of-line before IP address specification"},
	    {"host all all all", "end-of-line before authentication method"},
	    {"local all all", "end-of-line before authentication method"},
	    {"host all all 10.0.0.0/8", "end-of-line before authentication method"},
	    {"host all all 10.0.0.0/33 trust", "invalid CIDR mask in address \"10.0.0.0/33\""},
	    {"host all all ::/129 trust", "invalid CIDR mask in address \"::/129\""},
	    {"host all all 10.0.0.0/x trust", NULL},
	    {"host all all 10.0.0.0/-1 trust", NULL},
	    {"host all all 10.0.0.0/ trust", NULL},
	    {"host all all 10.0.0.256/8 trust", "invalid IP address \"10.0.0.256/8\""},
	    {"host all all example.com trust", "invalid IP address \"example.com\""},
	    {"host all all samehost trust", "address \"samehost\" is not supported"},
	    {"host all all samenet trust", "address \"samenet\" is not supported"},
	    {"host all all 10.0.0.1 trust", "invalid IP mask \"trust\""},
	    {"host all all 10.0.0.1", "end-of-line before netmask specification"},
	    {"host all all 10.0.0.1 ffff:: trust", "IP address and mask do not match"},
	    {"host all all all ident", "authentication method \"ident\" is not supported"},
	    {"local all all peer", "authentication method \"peer\" is not supported"},
	    {"host all all all cert", "authentication method \"cert\" is not supported"},
	    {"host all all all scram", "invalid authentication method \"scram\""},
	    {"host all all all md5 clientcert=verify-full",
	     "authentication option \"clientcert=verify-full\" is not supported"},
	    {"host all +admins all md5", "role specification \"+admins\" is not supported"},
	    {"host all @users.txt all md5", "role specification \"@users.txt\" is not supported"},
	    {"host @dbs.txt all all md5", "database specification \"@dbs.txt\" is not supported"},
	    {"host samerole all all md5", "database specification \"samerole\" is not supported"},
	    {"host a,,b all all md5", NULL},
	    {"host a, all all md5", NULL},
	    {"host all \"bob all all md5", "unterminated quoted string"},
	};
	pgw_auth_config *c = pgw_auth_config_new();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cm_error err = {0};
		cr_assert_eq(pgw_auth_add_hba(c, bad[i].line, &err), CM_ERROR, "accepted \"%s\"",
		             bad[i].line);
		cr_assert(cm_error_is(&err, CM_E_INVALID_PARAMETER_VALUE), "\"%s\": code %s", bad[i].line,
		          err.code);
		if (bad[i].message != NULL)
			cr_assert_str_eq(err.message, bad[i].message, "\"%s\"", bad[i].line);
		cm_error_clear(&err);
	}
	cr_assert_eq(pgw_auth_hba_count(c), 0);
	pgw_auth_config_free(c);
}

Test(hba, error_detail_names_line)
{
	pgw_auth_config *c = pgw_auth_config_new();
	cm_error err = {0};

	cr_assert_eq(pgw_auth_add_hba(c, "host all all all bogus", &err), CM_ERROR);
	cr_assert_not_null(err.detail);
	cr_assert_str_eq(err.detail, "pg_hba line: host all all all bogus");
	cm_error_clear(&err);
	pgw_auth_config_free(c);
}
