/*
 * pgw_transport.h -- a client connection's byte stream: a socket, with or
 * without TLS.  Transport is kept apart from protocol handling.
 *
 * Two threads use one transport: the reader reads, the executor writes.
 * Plain sockets need no locking for that.  An OpenSSL SSL object must not be
 * used by two threads at once, so with TLS the socket is non-blocking and
 * every SSL call is made under the transport's mutex, waiting in poll()
 * outside it.
 *
 * Exported:
 *   pgw_tr_init(fd), pgw_tr_start_tls(), pgw_tr_read(), pgw_tr_write_all(),
 *   pgw_tr_shutdown_read() (wakes a blocked reader), pgw_tr_close(),
 *   pgw_tls_context_new() (server SSL_CTX from a certs directory)
 */
#ifndef PGKV_PGW_TRANSPORT_H
#define PGKV_PGW_TRANSPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "common/cm_error.h"

struct ssl_st;
struct ssl_ctx_st;

typedef struct pgw_transport {
	int fd;
	struct ssl_st *ssl;
	pthread_mutex_t mu;		/* guards ssl */
	bool write_failed;
} pgw_transport;

void pgw_tr_init(pgw_transport *t, int fd);
/* TLS handshake as the server (blocking, before the executor exists). */
CM_MUST_CHECK cm_status pgw_tr_start_tls(pgw_transport *t, struct ssl_ctx_st *ctx, cm_error *err);
/* Read up to len bytes: > 0 bytes read, 0 end of stream, < 0 error. */
ssize_t pgw_tr_read(pgw_transport *t, void *buf, size_t len);
/* Write everything; CM_ERROR once the connection is broken (remembered). */
CM_MUST_CHECK cm_status pgw_tr_write_all(pgw_transport *t, const void *data, size_t len);
void pgw_tr_shutdown_read(pgw_transport *t);
/* Close the socket and free TLS state. */
void pgw_tr_close(pgw_transport *t);

/* Server TLS context from DIR/node.crt, DIR/node.key (and DIR/ca.crt if
 * present, for client certificates later).  *cert_hash receives the
 * tls-server-end-point channel binding data. */
CM_MUST_CHECK cm_status pgw_tls_context_new(const char *dir, struct ssl_ctx_st **out,
											unsigned char *cert_hash, size_t *cert_hash_len,
											cm_error *err);

#endif /* PGKV_PGW_TRANSPORT_H */
