/*
 * pgw_auth.h -- client authentication for the wire front end.
 *
 * pgwire/ is a codec: nothing here touches a socket.  The connection code
 * asks pgw_auth_match() which method applies to a new connection, looks the
 * user up through a pgw_role_source, and then drives one of the exchanges
 * below with the bytes it read from the client, sending what they append to
 * the output buffers.
 *
 * Pieces:
 *   pgw_auth_config      hba rules (pg_hba.conf lines) and config-file users
 *                        (pgw_auth.c, pgw_hba.c)
 *   pgw_role_source      where credentials come from (config file today,
 *                        catalog roles later)
 *   password / md5       one-shot checks of a PasswordMessage (pgw_auth.c)
 *   pgw_scram            the SCRAM-SHA-256(-PLUS) server exchange, verifier
 *                        construction and tls-server-end-point channel
 *                        binding data (pgw_scram.c)
 *
 * Error conventions (as PostgreSQL words them):
 *   every password failure -- wrong password, unknown user, user without a
 *   usable password -- is 28P01 'password authentication failed for user
 *   "NAME"' (pgw_auth_password_error), so a client cannot tell which case it
 *   hit; no matching hba rule / a reject rule is 28000
 *   (pgw_auth_no_rule_error / pgw_auth_rejected_error); malformed SASL
 *   messages are 08P01; bad configuration lines are 22023.
 *
 * Threads: a pgw_auth_config is built once at start-up and is read-only
 * afterwards, so any number of connection threads may call pgw_auth_match()
 * and the config role source concurrently.  A pgw_scram belongs to one
 * connection.
 */
#ifndef PGKV_PGW_AUTH_H
#define PGKV_PGW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"

struct sockaddr;
struct x509_st;

typedef enum pgw_auth_method {
	PGW_AUTH_REJECT = 0,
	PGW_AUTH_TRUST,
	PGW_AUTH_PASSWORD,
	PGW_AUTH_MD5,
	PGW_AUTH_SCRAM,
} pgw_auth_method;

/* Default PBKDF2 iteration count for new SCRAM verifiers (PostgreSQL's). */
#define PGW_SCRAM_DEFAULT_ITERATIONS 4096
/* Length of an md5 verifier/response: "md5" + 32 hex digits. */
#define PGW_MD5_PASSWD_LEN 35

/*
 * A user's stored credential (from the config file today, from catalog
 * roles later).  All strings belong to whoever filled the struct.
 */
typedef struct pgw_credential {
	bool exists;
	bool superuser;
	char *password; /* cleartext if known (config "password="), else NULL */
	char *md5;      /* "md5" + 32 hex of md5(password||user), or NULL */
	char *scram;    /* "SCRAM-SHA-256$<iter>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>", or NULL */
} pgw_credential;

/*
 * Where credentials come from.  The config file provides one
 * (pgw_auth_config_roles); catalog-stored roles will provide another, so the
 * connection code only uses this interface.
 *
 * lookup(arg, user, out) fills *out and returns true when the user exists;
 * the strings in *out are owned by the source and stay valid until the
 * source is freed.  For an unknown user it returns false and leaves *out
 * zeroed (exists=false), which every check below treats as "fails like a
 * wrong password".
 */
typedef struct pgw_role_source {
	bool (*lookup)(void *arg, const char *user, pgw_credential *out);
	void *arg;
} pgw_role_source;

/* hba rules + config-file users; opaque. */
typedef struct pgw_auth_config pgw_auth_config;

/* ---------------------------------------------------------------------
 * Configuration (pgw_auth.c, pgw_hba.c)
 * --------------------------------------------------------------------- */

/* A new, empty configuration (no rules, no users).  Never NULL (aborts on
 * out of memory, like cm_buf).  Free with pgw_auth_config_free. */
pgw_auth_config *pgw_auth_config_new(void);

/* Frees the configuration, its rules and users, and every string the role
 * source handed out.  NULL is allowed. */
void pgw_auth_config_free(pgw_auth_config *c);

/*
 * Adds one pg_hba.conf-style line:
 *     local     DATABASE USER METHOD
 *     host      DATABASE USER ADDRESS[/MASKLEN] METHOD
 *     host      DATABASE USER ADDRESS NETMASK METHOD
 * (likewise hostssl, hostnossl).
 *   DATABASE: all | sameuser | replication (never matches: pgkv takes no
 *             replication connections) | comma list of names.
 *   USER:     all | comma list of names.  Names may be double-quoted
 *             ("all" quoted is the literal name).  +group and @file are
 *             not supported.
 *   ADDRESS:  all | IPv4 or IPv6 address with a CIDR length or a separate
 *             netmask.  samehost, samenet and host names are not supported.
 *   METHOD:   trust | reject | password | md5 | scram-sha-256.
 * A '#' starts a comment; a blank or comment-only line adds nothing and
 * succeeds.  Rules are matched in the order added, first match wins.
 *
 * Returns CM_OK, or CM_ERROR with 22023 (invalid_parameter_value) and a
 * message naming the bad field; the line text is in the error detail.  The
 * configuration is unchanged on error.
 */
CM_MUST_CHECK cm_status pgw_auth_add_hba(pgw_auth_config *c, const char *line, cm_error *err);

/* Number of hba rules configured so far (comment lines not counted). */
int pgw_auth_hba_count(const pgw_auth_config *c);

/*
 * Adds a config-file user:
 *     name
 *     name password=SECRET
 *     name md5=md5HEX
 *     name scram=SCRAM-SHA-256$...
 * optionally followed by the word "superuser".  md5= and scram= may both be
 * given; password= excludes them and derives both (md5 and a SCRAM verifier
 * with 4096 iterations and a random salt) so every method works.  A value
 * (or the name) may be double-quoted to hold spaces; "" inside quotes is one
 * quote character.  A user without any password can only log in by trust.
 *
 * Returns CM_OK, or CM_ERROR with 22023 for a malformed spec, an invalid
 * md5/SCRAM verifier or a duplicate user name.  Unchanged on error.
 */
CM_MUST_CHECK cm_status pgw_auth_add_user(pgw_auth_config *c, const char *spec, cm_error *err);

/*
 * Fills in defaults; called by the server after loading its config.
 *   - Users root and postgres (superusers, no password) are added unless
 *     already defined.
 *   - Only when no hba line was configured: trust for the unix socket and
 *     loopback TCP (127.0.0.0/8, ::1) and scram-sha-256 for everything else
 *     (so unknown remote users fail with 28P01); with insecure=true trust
 *     for everything.  Explicitly configured hba lines are always kept as
 *     written, insecure or not.
 * Calling it twice adds nothing the second time.
 */
void pgw_auth_apply_defaults(pgw_auth_config *c, bool insecure);

/* The role source backed by the config's users.  Valid as long as c is;
 * credential strings it returns are owned by c. */
pgw_role_source pgw_auth_config_roles(pgw_auth_config *c);

/*
 * Which method applies to a connection.
 *   local_socket: connection came over the unix socket (only "local" rules).
 *   ssl:          TLS is in use (for hostssl / hostnossl).
 *   peer:         the client address (AF_INET or AF_INET6; an IPv4-mapped
 *                 IPv6 address also matches IPv4 rules); may be NULL, in
 *                 which case only rules with address "all" match.
 * Returns the method of the first matching rule, PGW_AUTH_REJECT when no
 * rule matches (or the matching rule is "reject").
 */
pgw_auth_method pgw_auth_match(const pgw_auth_config *c, bool local_socket, bool ssl,
                               const struct sockaddr *peer, const char *database, const char *user);

/* Same as pgw_auth_match, and *rule_line (if not NULL) receives the 1-based
 * number of the matching rule among the configured rules, or 0 when none
 * matched -- to tell "no pg_hba.conf entry" from "pg_hba.conf rejects". */
pgw_auth_method pgw_auth_match_rule(const pgw_auth_config *c, bool local_socket, bool ssl,
                                    const struct sockaddr *peer, const char *database,
                                    const char *user, int *rule_line);

/*
 * The method to actually run for a user.  As in PostgreSQL, an md5 rule
 * runs SCRAM when the user's only stored secret is a SCRAM verifier (the md5
 * exchange could not succeed).  Everything else is returned unchanged; an
 * unknown user keeps the rule's method so its failure looks like any other.
 */
pgw_auth_method pgw_auth_effective_method(pgw_auth_method rule, const pgw_credential *cred);

/* "trust", "reject", "password", "md5", "scram-sha-256". */
const char *pgw_auth_method_name(pgw_auth_method m);

/* ---------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

/* 28000 'no pg_hba.conf entry for host "HOST", user "USER", database "DB",
 * SSL encryption|no encryption'.  host is the peer address text, or
 * "[local]" for the unix socket.  Fills err. */
void pgw_auth_no_rule_error(cm_error *err, const char *host, const char *user, const char *db,
                            bool ssl);

/* 28000 'pg_hba.conf rejects connection for host ..., user ..., database
 * ..., SSL encryption|no encryption' for an explicit reject rule. */
void pgw_auth_rejected_error(cm_error *err, const char *host, const char *user, const char *db,
                             bool ssl);

/* 28P01 'password authentication failed for user "USER"' -- the one error
 * for every failed password/md5/SCRAM login. */
void pgw_auth_password_error(cm_error *err, const char *user);

/* ---------------------------------------------------------------------
 * Cleartext password and md5 (pgw_auth.c)
 * --------------------------------------------------------------------- */

/* Four random bytes for an AuthenticationMD5Password salt.  CM_ERROR
 * (XX000 internal_error) only if the system RNG fails. */
CM_MUST_CHECK cm_status pgw_md5_make_salt(uint8_t salt[4], cm_error *err);

/* "md5" + md5hex(password || user) into out (PGW_MD5_PASSWD_LEN + 1
 * bytes, NUL-terminated). */
void pgw_md5_make_verifier(const char *password, const char *user,
                           char out[PGW_MD5_PASSWD_LEN + 1]);

/*
 * Checks an md5 PasswordMessage: client_response must be
 * "md5" + md5hex(md5hex(password||user) || salt).  Uses cred->md5, or
 * derives it from cred->password.  Returns false for an unknown user, a
 * user with only a SCRAM verifier or no password, or a wrong response.
 * Constant-time comparison.
 */
bool pgw_md5_check(const pgw_credential *cred, const char *user, const uint8_t salt[4],
                   const char *client_response);

/*
 * Checks a cleartext PasswordMessage against whatever is stored: the
 * cleartext password, the SCRAM verifier (recomputing the keys; the password
 * is SASLprep-normalised first, as for SCRAM), or the md5 verifier (which
 * needs the user name, hence the extra argument).  False for an unknown user
 * or one without a password.  Constant-time comparisons.
 */
bool pgw_password_check(const pgw_credential *cred, const char *user, const char *cleartext);

/* ---------------------------------------------------------------------
 * SCRAM-SHA-256 (pgw_scram.c)
 * --------------------------------------------------------------------- */

/* A new SCRAM verifier for password with a random 16-byte salt:
 * "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>".  *out is
 * malloc'd, caller frees.  iterations <= 0 means the default (4096).  The
 * password is SASLprep-normalised (RFC 4013) as PostgreSQL does; if that
 * fails the raw bytes are used. */
CM_MUST_CHECK cm_status pgw_scram_make_verifier(const char *password, int iterations, char **out,
                                                cm_error *err);

/* Same with a given salt (tests, and deriving a verifier reproducibly). */
CM_MUST_CHECK cm_status pgw_scram_make_verifier_salt(const char *password, const uint8_t *salt,
                                                     size_t salt_len, int iterations, char **out,
                                                     cm_error *err);

/* True when verifier is a well-formed SCRAM-SHA-256 verifier string. */
bool pgw_scram_verifier_valid(const char *verifier);

/*
 * SCRAM-SHA-256 server exchange (RFC 5802/7677 as PostgreSQL profiles it:
 * the username in client-first is ignored; the startup user is used).
 *
 * Use: pgw_scram_begin -> pgw_scram_mechanisms (AuthenticationSASL) ->
 * pgw_scram_client_first (SASLInitialResponse -> AuthenticationSASLContinue)
 * -> pgw_scram_client_final (SASLResponse -> AuthenticationSASLFinal, then
 * AuthenticationOk) -> pgw_scram_free.  Any CM_ERROR ends the exchange; a
 * call out of order is 08P01.
 */
typedef struct pgw_scram pgw_scram;

/*
 * Starts an exchange for `user` (the startup user, copied).
 * cred: the looked-up credential (what is needed is copied; may be NULL).  For
 *   an unknown user (exists=false) or a user without a usable secret (no
 *   SCRAM verifier and no cleartext password) the exchange runs with a fake
 *   salt and iteration count -- deterministic per user for the life of the
 *   process -- and fails at the end with the same 28P01 error as a wrong
 *   password, so nothing reveals whether the user exists.
 * cb_data/cb_len: tls-server-end-point channel binding data (see
 *   pgw_tls_server_end_point) when the connection uses TLS, else NULL/0.
 * Never NULL (aborts on out of memory).
 */
pgw_scram *pgw_scram_begin(const pgw_credential *cred, const char *user,
                           const unsigned char *cb_data, size_t cb_len);

/* Appends the mechanisms to advertise in AuthenticationSASL as consecutive
 * NUL-terminated names and a final empty string: "SCRAM-SHA-256-PLUS" first
 * when channel binding data was given, then "SCRAM-SHA-256". */
void pgw_scram_mechanisms(const pgw_scram *s, cm_buf *out);

/*
 * SASLInitialResponse: the chosen mechanism and the client-first-message
 * (data/len, not NUL-terminated; len is the byte count from the message).
 * On success appends the server-first-message to out.
 * Errors (08P01 unless said): unknown or unavailable mechanism ("client
 * selected an invalid SASL authentication mechanism"); malformed message;
 * a GS2 flag that contradicts the mechanism ("malformed SCRAM message");
 * 'y' while the server offered channel binding ("SCRAM channel binding
 * negotiation error"); an unsupported channel-binding type; an
 * authorization identity (0A000).
 */
CM_MUST_CHECK cm_status pgw_scram_client_first(pgw_scram *s, const char *mechanism,
                                               const char *data, size_t len, cm_buf *out,
                                               cm_error *err);

/*
 * SASLResponse: the client-final-message.  On success appends the
 * server-final-message ("v=<ServerSignature>") to out; the caller then sends
 * AuthenticationSASLFinal and AuthenticationOk.
 * Errors: wrong password / unknown user: 28P01 'password authentication
 * failed for user "NAME"'; channel binding data mismatch: 08P01 "SCRAM
 * channel binding check failed"; nonce mismatch or malformed message: 08P01.
 */
CM_MUST_CHECK cm_status pgw_scram_client_final(pgw_scram *s, const char *data, size_t len,
                                               cm_buf *out, cm_error *err);

/* Frees the exchange (key material is wiped).  NULL is allowed. */
void pgw_scram_free(pgw_scram *s);

/* Testing hook: force the server nonce (printable ASCII, no ','; copied)
 * used by the next pgw_scram_client_first.  NULL = random (the default). */
void pgw_scram_set_test_nonce(pgw_scram *s, const char *nonce);

/*
 * tls-server-end-point channel binding data (RFC 5929): the hash of the DER
 * certificate with the certificate's signature digest, SHA-256 when that is
 * MD5 or SHA-1.  out must hold EVP_MAX_MD_SIZE (64) bytes; *len receives
 * the length.  CM_ERROR (08P01) when the signature algorithm has no
 * usable digest (e.g. Ed25519).
 */
CM_MUST_CHECK cm_status pgw_tls_server_end_point(struct x509_st *cert, unsigned char *out,
                                                 size_t *len, cm_error *err);

#endif /* PGKV_PGW_AUTH_H */
