/*
 * pgw_auth_internal.h -- what pgw_auth.c, pgw_hba.c and pgw_scram.c share.
 *
 * Not for use outside pgwire/pgw_auth*.c, pgw_hba.c and pgw_scram.c; the
 * public interface is pgw_auth.h.
 *
 *   pgw_auth_config / pgw_hba_rule / pgw_auth_user   the config layout
 *   pgw_hba_rules_free()          (pgw_hba.c) free the rule array
 *   pgw_scram_keys, pgw_scram_parse_verifier(), pgw_scram_derive_keys()
 *                                 (pgw_scram.c) verifier <-> keys
 *   pgw_b64_encode(), pgw_b64_decode()   strict base64 (pgw_scram.c)
 *   pgw_saslprep()                (pgw_scram.c) RFC 4013 via ICU
 *   pgw_auth_xstrdup(), pgw_auth_xmalloc()   abort on out of memory
 */
#ifndef PGKV_PGW_AUTH_INTERNAL_H
#define PGKV_PGW_AUTH_INTERNAL_H

#include "pgwire/pgw_auth.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PGW_SCRAM_KEY_LEN 32      /* SHA-256 output */
#define PGW_SCRAM_SALT_LEN 16     /* salt length of verifiers we make */
#define PGW_SCRAM_MAX_SALT_LEN 64 /* longest salt we accept in a verifier */

typedef enum pgw_hba_conn_type {
	PGW_HBA_LOCAL,
	PGW_HBA_HOST,
	PGW_HBA_HOSTSSL,
	PGW_HBA_HOSTNOSSL,
} pgw_hba_conn_type;

/* The DATABASE or USER field of a rule. */
typedef struct pgw_hba_names {
	bool all;      /* keyword all: anything matches */
	bool sameuser; /* databases only: database == user */
	char **names;  /* literal names (owned) */
	int n;
} pgw_hba_names;

typedef struct pgw_hba_rule {
	pgw_hba_conn_type type;
	pgw_hba_names databases;
	pgw_hba_names users;
	bool addr_all;    /* host*: address "all" */
	int family;       /* AF_INET or AF_INET6 when !addr_all */
	uint8_t addr[16]; /* network byte order, 4 or 16 bytes used */
	uint8_t mask[16];
	pgw_auth_method method;
} pgw_hba_rule;

typedef struct pgw_auth_user {
	char *name;
	pgw_credential cred; /* strings owned by the config */
} pgw_auth_user;

struct pgw_auth_config {
	pgw_hba_rule *rules;
	int nrules;
	int caprules;
	pgw_auth_user *users;
	int nusers;
	int capusers;
};

/* Frees every rule of c and the rule array. */
void pgw_hba_rules_free(pgw_auth_config *c);

/* A parsed SCRAM-SHA-256 verifier. */
typedef struct pgw_scram_keys {
	int iterations;
	uint8_t salt[PGW_SCRAM_MAX_SALT_LEN];
	size_t salt_len;
	uint8_t stored_key[PGW_SCRAM_KEY_LEN];
	uint8_t server_key[PGW_SCRAM_KEY_LEN];
} pgw_scram_keys;

/* Parses "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>"; false if
 * malformed (then *out is unspecified). */
bool pgw_scram_parse_verifier(const char *verifier, pgw_scram_keys *out);

/* StoredKey and ServerKey for password (SASLprep'd first) with
 * keys->salt/salt_len/iterations, which the caller sets. */
void pgw_scram_derive_keys(const char *password, pgw_scram_keys *keys);

/* Base64 of n bytes into out, which must hold 4*((n+2)/3)+1 bytes;
 * returns the length written (NUL-terminated). */
size_t pgw_b64_encode(const uint8_t *in, size_t n, char *out);

/* Strict base64 decode of s[0..slen): length a multiple of 4, only the
 * alphabet, '=' padding only at the end.  Writes at most cap bytes to out;
 * false if malformed or too long. */
bool pgw_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen);

/* RFC 4013 SASLprep of a UTF-8 password (malloc'd), or NULL when the input
 * is not valid UTF-8 or contains prohibited characters -- PostgreSQL then
 * uses the raw bytes, and so do we.  Plain ASCII without control characters
 * is returned unchanged. */
char *pgw_saslprep(const char *password);

void *pgw_auth_xmalloc(size_t n);
char *pgw_auth_xstrdup(const char *s);

#endif /* PGKV_PGW_AUTH_INTERNAL_H */
