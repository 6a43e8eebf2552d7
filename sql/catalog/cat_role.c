/*
 * cat_role.c -- SCRAM-SHA-256 verifiers for CREATE/ALTER ROLE ... PASSWORD.
 *
 * The verifier has PostgreSQL's format (RFC 5803):
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 * SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, 4096),
 * ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = SHA-256(ClientKey),
 * ServerKey = HMAC(SaltedPassword, "Server Key").  pgwire checks logins
 * against it.  The password is used as given (SASLprep of non-ASCII
 * passwords is not applied: documented in docs/catalog.md).
 *
 * Exported: sql_cat_scram_verifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sql/catalog/sql_catalog.h"

#define SCRAM_ITERATIONS 4096
#define SCRAM_KEY_LEN 32
#define SCRAM_SALT_LEN 16

static void
b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *) out, in, (int) n);
}

cm_status
sql_cat_scram_verifier(const char *password, char **out, cm_error *err)
{
	uint8_t salt[SCRAM_SALT_LEN], salted[SCRAM_KEY_LEN], ck[SCRAM_KEY_LEN], sk[SCRAM_KEY_LEN],
		stored[SCRAM_KEY_LEN];
	unsigned int len;
	if (RAND_bytes(salt, sizeof salt) != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not generate random salt");
	if (PKCS5_PBKDF2_HMAC(password, (int) strlen(password), salt, sizeof salt, SCRAM_ITERATIONS, EVP_sha256(),
						  sizeof salted, salted) != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not compute the SCRAM salted password");
	len = sizeof ck;
	HMAC(EVP_sha256(), salted, sizeof salted, (const unsigned char *) "Client Key", 10, ck, &len);
	len = sizeof sk;
	HMAC(EVP_sha256(), salted, sizeof salted, (const unsigned char *) "Server Key", 10, sk, &len);
	SHA256(ck, sizeof ck, stored);
	char s64[64], st64[64], sk64[64];
	b64(salt, sizeof salt, s64);
	b64(stored, sizeof stored, st64);
	b64(sk, sizeof sk, sk64);
	if (asprintf(out, "SCRAM-SHA-256$%d:%s$%s:%s", SCRAM_ITERATIONS, s64, st64, sk64) < 0)
		abort();
	return CM_OK;
}
