/*
 * pgw_server.h -- the SQL front end shared by all connections: TLS context,
 * authentication rules, limits, and the registry of live connections (used
 * by CancelRequest, drain and /metrics).
 *
 * The server module (server/) owns the listening sockets and the event loop;
 * for each accepted socket it calls pgw_conn_start(), which runs the
 * connection on its own reader thread (plus an executor thread after
 * authentication) and frees everything when the connection ends.
 *
 * Exported:
 *   pgw_server_new/free, pgw_conn_start
 *   pgw_server_set_rejecting()   new connections get FATAL 57P03
 *   pgw_server_drain_sessions()  push a DrainRequest into every session
 *   pgw_server_cancel_sessions() cancel every running statement, close sessions
 *   pgw_server_count()           live connections
 */
#ifndef PGKV_PGW_SERVER_H
#define PGKV_PGW_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "common/cm_error.h"
#include "pgwire/pgw_auth.h"

struct ssl_ctx_st;

typedef struct pgw_server_config {
	struct ssl_ctx_st *ssl_ctx;		/* NULL: answer SSLRequest with 'N' */
	const unsigned char *cert_hash;	/* tls-server-end-point data */
	size_t cert_hash_len;
	pgw_auth_config *auth;
	pgw_role_source roles;
	bool insecure;
	int max_connections;
	size_t max_message_size;
	const char *default_timezone;
	int64_t results_buffer_size;
} pgw_server_config;

typedef struct pgw_server pgw_server;

pgw_server *pgw_server_new(const pgw_server_config *cfg);
/* Frees the server; every connection must have ended (count == 0). */
void pgw_server_free(pgw_server *s);

/* Serve an accepted socket (takes ownership of fd).  peer/peer_len: the
 * client's address; is_unix for the unix socket.  Returns CM_ERROR only if
 * no thread could be started (fd closed). */
cm_status pgw_conn_start(pgw_server *s, int fd, const struct sockaddr *peer, socklen_t peer_len,
						 bool is_unix);

struct kv_client;
/* The KV client sessions use (set once the store is open, before the first
 * connection is accepted). */
void pgw_server_set_kv(pgw_server *s, struct kv_client *kv);
void pgw_server_set_rejecting(pgw_server *s, bool rejecting);
void pgw_server_drain_sessions(pgw_server *s);
void pgw_server_cancel_sessions(pgw_server *s);
int pgw_server_count(pgw_server *s);
int64_t pgw_server_total(pgw_server *s);

#endif /* PGKV_PGW_SERVER_H */
