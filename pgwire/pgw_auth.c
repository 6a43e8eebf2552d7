/*
 * pgw_auth.c -- authentication configuration, config-file users, and the
 * cleartext-password and md5 checks.
 *
 * The configuration holds the hba rules (parsed and matched in pgw_hba.c)
 * and the users named in the server's config file.  Those users are served
 * to the connection code through the generic pgw_role_source interface, so
 * that catalog roles can later replace or complement them without touching
 * the connection code.
 *
 * Every check here fails the same way for an unknown user, a user without a
 * password and a wrong password: it returns false, and the caller reports
 * pgw_auth_password_error().  Secrets are compared in constant time.
 *
 * Exported (pgw_auth.h): pgw_auth_config_new/free, pgw_auth_add_user,
 * pgw_auth_apply_defaults, pgw_auth_config_roles, pgw_auth_effective_method,
 * pgw_auth_no_rule_error, pgw_auth_rejected_error, pgw_auth_password_error,
 * pgw_md5_make_salt, pgw_md5_make_verifier, pgw_md5_check,
 * pgw_password_check; (pgw_auth_internal.h): pgw_auth_xmalloc/xstrdup.
 */
#include "pgwire/pgw_auth_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char *const default_users[] = {"root", "postgres"};

static pgw_auth_user *config_find_user(const pgw_auth_config *c, const char *name);
static bool config_lookup(void *arg, const char *user, pgw_credential *out);
static void user_free(pgw_auth_user *u);
static char *spec_token(const char **pp, cm_error *err, bool *failed);
static bool md5_hex(const void *a, size_t alen, const void *b, size_t blen, char out[33]);
static bool md5_verifier_valid(const char *s);
static void add_default_rule(pgw_auth_config *c, const char *line);
static bool secrets_equal(const char *a, const char *b);

/* ---------------------------------------------------------------------
 * Memory
 * --------------------------------------------------------------------- */

void *
pgw_auth_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "pgkv: out of memory in authentication (%zu bytes)\n", n);
		abort();
	}
	return p;
}

char *
pgw_auth_xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = pgw_auth_xmalloc(n + 1);
	memcpy(p, s, n + 1);
	return p;
}

/* ---------------------------------------------------------------------
 * Configuration and users
 * --------------------------------------------------------------------- */

pgw_auth_config *
pgw_auth_config_new(void)
{
	pgw_auth_config *c = pgw_auth_xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	return c;
}

void
pgw_auth_config_free(pgw_auth_config *c)
{
	if (c == NULL)
		return;
	pgw_hba_rules_free(c);
	for (int i = 0; i < c->nusers; i++)
		user_free(&c->users[i]);
	free(c->users);
	free(c);
}

static void
user_free(pgw_auth_user *u)
{
	free(u->name);
	if (u->cred.password != NULL) {
		OPENSSL_cleanse(u->cred.password, strlen(u->cred.password));
		free(u->cred.password);
	}
	free(u->cred.md5);
	free(u->cred.scram);
	memset(u, 0, sizeof(*u));
}

static pgw_auth_user *
config_find_user(const pgw_auth_config *c, const char *name)
{
	for (int i = 0; i < c->nusers; i++) {
		if (strcmp(c->users[i].name, name) == 0)
			return &c->users[i];
	}
	return NULL;
}

static void
config_append_user(pgw_auth_config *c, const pgw_auth_user *u)
{
	if (c->nusers == c->capusers) {
		int cap = c->capusers ? c->capusers * 2 : 8;
		pgw_auth_user *p = realloc(c->users, (size_t)cap * sizeof(*p));
		if (p == NULL)
			abort();
		c->users = p;
		c->capusers = cap;
	}
	c->users[c->nusers++] = *u;
}

/*
 * Next whitespace-separated token of a user spec, with double quotes
 * removed ("" inside quotes is one quote).  Returns NULL at the end of the
 * spec, or with *failed set (and err filled) on an unterminated quote.
 */
static char *
spec_token(const char **pp, cm_error *err, bool *failed)
{
	const char *p = *pp;
	char *out;
	size_t n = 0;
	bool quoted = false;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '\0') {
		*pp = p;
		return NULL;
	}
	out = pgw_auth_xmalloc(strlen(p) + 1);
	while (*p != '\0') {
		if (*p == '"') {
			if (quoted && p[1] == '"') {
				out[n++] = '"';
				p += 2;
				continue;
			}
			quoted = !quoted;
			p++;
			continue;
		}
		if (!quoted && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			break;
		out[n++] = *p++;
	}
	out[n] = '\0';
	*pp = p;
	if (quoted) {
		free(out);
		*failed = true;
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
		             "unterminated quoted string in user specification");
		return NULL;
	}
	return out;
}

cm_status
pgw_auth_add_user(pgw_auth_config *c, const char *spec, cm_error *err)
{
	const char *p = spec ? spec : "";
	bool failed = false;
	pgw_auth_user u;
	char *tok;

	memset(&u, 0, sizeof(u));
	u.name = spec_token(&p, err, &failed);
	if (failed)
		return CM_ERROR;
	if (u.name == NULL || u.name[0] == '\0') {
		free(u.name);
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
		                    "user specification has no user name");
	}
	for (const char *q = u.name; *q; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
			             "user name contains a control character");
			goto fail;
		}
	}
	if (config_find_user(c, u.name) != NULL) {
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "user \"%s\" is defined more than once",
		             u.name);
		goto fail;
	}
	u.cred.exists = true;

	while ((tok = spec_token(&p, err, &failed)) != NULL) {
		if (strcmp(tok, "superuser") == 0) {
			u.cred.superuser = true;
		} else if (strncmp(tok, "password=", 9) == 0) {
			if (u.cred.password != NULL || u.cred.md5 != NULL || u.cred.scram != NULL) {
				cm_error_set(
				    err, CM_E_INVALID_PARAMETER_VALUE,
				    "user \"%s\": password= cannot be combined with another password option",
				    u.name);
				goto fail_tok;
			}
			if (tok[9] == '\0') {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "user \"%s\": empty password",
				             u.name);
				goto fail_tok;
			}
			u.cred.password = pgw_auth_xstrdup(tok + 9);
		} else if (strncmp(tok, "md5=", 4) == 0) {
			if (u.cred.password != NULL || u.cred.md5 != NULL) {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
				             "user \"%s\": md5= given twice or with password=", u.name);
				goto fail_tok;
			}
			if (!md5_verifier_valid(tok + 4)) {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "user \"%s\": invalid md5 verifier",
				             u.name);
				cm_error_hint(err, "Expected \"md5\" followed by 32 hexadecimal digits of "
				                   "md5(password || user name).");
				goto fail_tok;
			}
			u.cred.md5 = pgw_auth_xstrdup(tok + 4);
			for (char *q = u.cred.md5 + 3; *q; q++)
				*q = (char)tolower((unsigned char)*q);
		} else if (strncmp(tok, "scram=", 6) == 0) {
			if (u.cred.password != NULL || u.cred.scram != NULL) {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
				             "user \"%s\": scram= given twice or with password=", u.name);
				goto fail_tok;
			}
			if (!pgw_scram_verifier_valid(tok + 6)) {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
				             "user \"%s\": invalid SCRAM-SHA-256 verifier", u.name);
				cm_error_hint(err,
				              "Expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, "
				              "as in pg_authid.rolpassword.");
				goto fail_tok;
			}
			u.cred.scram = pgw_auth_xstrdup(tok + 6);
		} else {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "user \"%s\": invalid option \"%s\"",
			             u.name, tok);
			cm_error_hint(err, "Options are password=, md5=, scram= and superuser.");
			goto fail_tok;
		}
		free(tok);
	}
	if (failed)
		goto fail;

	if (u.cred.password != NULL) {
		char md5[PGW_MD5_PASSWD_LEN + 1];

		pgw_md5_make_verifier(u.cred.password, u.name, md5);
		u.cred.md5 = pgw_auth_xstrdup(md5);
		if (pgw_scram_make_verifier(u.cred.password, PGW_SCRAM_DEFAULT_ITERATIONS, &u.cred.scram,
		                            err) != CM_OK)
			goto fail;
	}
	config_append_user(c, &u);
	return CM_OK;

fail_tok:
	free(tok);
fail:
	user_free(&u);
	return CM_ERROR;
}

static void
add_default_rule(pgw_auth_config *c, const char *line)
{
	cm_error err = {0};

	if (pgw_auth_add_hba(c, line, &err) != CM_OK) {
		/* Only our own constant lines come here. */
		fprintf(stderr, "pgkv: bad built-in hba rule \"%s\": %s\n", line,
		        err.message ? err.message : "?");
		abort();
	}
}

void
pgw_auth_apply_defaults(pgw_auth_config *c, bool insecure)
{
	for (size_t i = 0; i < sizeof(default_users) / sizeof(default_users[0]); i++) {
		pgw_auth_user u;

		if (config_find_user(c, default_users[i]) != NULL)
			continue;
		memset(&u, 0, sizeof(u));
		u.name = pgw_auth_xstrdup(default_users[i]);
		u.cred.exists = true;
		u.cred.superuser = true;
		config_append_user(c, &u);
	}

	if (c->nrules > 0)
		return;
	if (insecure) {
		add_default_rule(c, "local all all trust");
		add_default_rule(c, "host all all all trust");
	} else {
		add_default_rule(c, "local all all trust");
		add_default_rule(c, "host all all 127.0.0.0/8 trust");
		add_default_rule(c, "host all all ::1/128 trust");
		add_default_rule(c, "host all all all scram-sha-256");
	}
}

static bool
config_lookup(void *arg, const char *user, pgw_credential *out)
{
	const pgw_auth_user *u = user ? config_find_user(arg, user) : NULL;

	if (u == NULL) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	*out = u->cred;
	return true;
}

pgw_role_source
pgw_auth_config_roles(pgw_auth_config *c)
{
	pgw_role_source s = {config_lookup, c};
	return s;
}

pgw_auth_method
pgw_auth_effective_method(pgw_auth_method rule, const pgw_credential *cred)
{
	if (rule == PGW_AUTH_MD5 && cred != NULL && cred->exists && cred->password == NULL &&
	    cred->md5 == NULL && cred->scram != NULL)
		return PGW_AUTH_SCRAM;
	return rule;
}

/* ---------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

void
pgw_auth_no_rule_error(cm_error *err, const char *host, const char *user, const char *db, bool ssl)
{
	cm_error_set(err, CM_E_INVALID_AUTHORIZATION_SPECIFICATION,
	             "no pg_hba.conf entry for host \"%s\", user \"%s\", database \"%s\", %s",
	             host ? host : "[local]", user ? user : "", db ? db : "",
	             ssl ? "SSL encryption" : "no encryption");
}

void
pgw_auth_rejected_error(cm_error *err, const char *host, const char *user, const char *db, bool ssl)
{
	cm_error_set(err, CM_E_INVALID_AUTHORIZATION_SPECIFICATION,
	             "pg_hba.conf rejects connection for host \"%s\", user \"%s\", database \"%s\", %s",
	             host ? host : "[local]", user ? user : "", db ? db : "",
	             ssl ? "SSL encryption" : "no encryption");
}

void
pgw_auth_password_error(cm_error *err, const char *user)
{
	cm_error_set(err, CM_E_INVALID_PASSWORD, "password authentication failed for user \"%s\"",
	             user ? user : "");
}

/* ---------------------------------------------------------------------
 * md5 and cleartext password
 * --------------------------------------------------------------------- */

/* Lower-case hex MD5 of a || b into out (33 bytes).  False only if the
 * digest is unavailable (e.g. a FIPS provider without MD5). */
static bool
md5_hex(const void *a, size_t alen, const void *b, size_t blen, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
	     EVP_DigestFinal_ex(ctx, d, &dlen) == 1 && dlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		memset(out, 0, 33);
		return false;
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
	return true;
}

static bool
md5_verifier_valid(const char *s)
{
	if (strncmp(s, "md5", 3) != 0 || strlen(s) != PGW_MD5_PASSWD_LEN)
		return false;
	for (int i = 3; i < PGW_MD5_PASSWD_LEN; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

cm_status
pgw_md5_make_salt(uint8_t salt[4], cm_error *err)
{
	if (RAND_bytes(salt, 4) != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not generate random salt");
	return CM_OK;
}

void
pgw_md5_make_verifier(const char *password, const char *user, char out[PGW_MD5_PASSWD_LEN + 1])
{
	memcpy(out, "md5", 3);
	if (!md5_hex(password, strlen(password), user, strlen(user), out + 3))
		out[0] = '\0'; /* unusable: matches no response */
}

bool
pgw_md5_check(const pgw_credential *cred, const char *user, const uint8_t salt[4],
              const char *client_response)
{
	char stored[PGW_MD5_PASSWD_LEN + 1];
	char expected[PGW_MD5_PASSWD_LEN + 1];
	bool ok;

	if (cred == NULL || !cred->exists || user == NULL || client_response == NULL)
		return false;
	if (cred->md5 != NULL && md5_verifier_valid(cred->md5)) {
		memcpy(stored, cred->md5, PGW_MD5_PASSWD_LEN + 1);
		for (int i = 3; i < PGW_MD5_PASSWD_LEN; i++)
			stored[i] = (char)tolower((unsigned char)stored[i]);
	} else if (cred->password != NULL)
		pgw_md5_make_verifier(cred->password, user, stored);
	else
		return false;
	if (stored[0] == '\0')
		return false;

	memcpy(expected, "md5", 3);
	if (!md5_hex(stored + 3, 32, salt, 4, expected + 3))
		return false;
	ok = strlen(client_response) == PGW_MD5_PASSWD_LEN &&
	     CRYPTO_memcmp(expected, client_response, PGW_MD5_PASSWD_LEN) == 0;
	OPENSSL_cleanse(stored, sizeof(stored));
	return ok;
}

/* Constant-time equality of two strings of possibly different lengths:
 * compares their SHA-256 digests. */
static bool
secrets_equal(const char *a, const char *b)
{
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int la = 0, lb = 0;

	if (EVP_Digest(a, strlen(a), da, &la, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(b, strlen(b), db, &lb, EVP_sha256(), NULL) != 1 || la != lb)
		return false;
	return CRYPTO_memcmp(da, db, la) == 0;
}

bool
pgw_password_check(const pgw_credential *cred, const char *user, const char *cleartext)
{
	if (cred == NULL || !cred->exists || cleartext == NULL)
		return false;

	if (cred->password != NULL)
		return secrets_equal(cred->password, cleartext);

	if (cred->scram != NULL) {
		pgw_scram_keys stored, mine;
		bool ok;

		if (!pgw_scram_parse_verifier(cred->scram, &stored))
			return false;
		mine = stored;
		pgw_scram_derive_keys(cleartext, &mine);
		ok = CRYPTO_memcmp(mine.stored_key, stored.stored_key, PGW_SCRAM_KEY_LEN) == 0 &&
		     CRYPTO_memcmp(mine.server_key, stored.server_key, PGW_SCRAM_KEY_LEN) == 0;
		OPENSSL_cleanse(&mine, sizeof(mine));
		return ok;
	}

	if (cred->md5 != NULL && user != NULL && md5_verifier_valid(cred->md5)) {
		char mine[PGW_MD5_PASSWD_LEN + 1];
		char stored[PGW_MD5_PASSWD_LEN + 1];
		bool ok;

		pgw_md5_make_verifier(cleartext, user, mine);
		memcpy(stored, cred->md5, sizeof(stored));
		for (int i = 3; i < PGW_MD5_PASSWD_LEN; i++)
			stored[i] = (char)tolower((unsigned char)stored[i]);
		ok = mine[0] != '\0' && CRYPTO_memcmp(mine, stored, PGW_MD5_PASSWD_LEN) == 0;
		OPENSSL_cleanse(mine, sizeof(mine));
		return ok;
	}
	return false;
}
