/*
 * srv_http.h -- the status HTTP listener (libevent evhttp) and a tiny
 * blocking HTTP/1.0 client for `pgkv drain` and tests.
 *
 * Routes served:
 *   GET  /health           200 "ok" while the process is up
 *   GET  /health?ready=1   200 "ok" when hooks->is_ready, else 503 with
 *                          "draining" or "not ready" as the body
 *   GET  /metrics          Prometheus text format 0.0.4: cm_metrics_render()
 *                          followed by hooks->extra_metrics()
 *   POST /_admin/drain     202 "draining" after hooks->drain() succeeds.
 *                          With an admin token: "Authorization: Bearer <t>"
 *                          is required (else 401).  Without one only loopback
 *                          peers may drain (else 403).
 * Other paths get 404; a known path with the wrong method 405 (HEAD is
 * allowed wherever GET is).
 *
 * Threads: everything runs on the event_base's thread; the hooks are called
 * there and must not block (drain only starts the drain).
 *
 * Exported:
 *   srv_listen_socket()  bind + listen a non-blocking TCP socket (also for
 *                        the SQL listener: same HOST/port 0/reuseport rules)
 *   srv_http_start()     serve the routes above on a new socket
 *   srv_http_stop()      stop serving and close the socket
 *   srv_http_request()   blocking client: one request, status + body
 */
#ifndef PGKV_SRV_HTTP_H
#define PGKV_SRV_HTTP_H

#include <stdbool.h>
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"

struct event_base;
struct srv_http;

typedef struct srv_http_hooks {
	/* Store open and not draining.  NULL: always ready. */
	bool (*is_ready)(void *arg);
	/* True once draining has begun; picks the 503 body ("draining" rather
	 * than "not ready").  NULL: the pgkv_draining gauge is consulted. */
	bool (*is_draining)(void *arg);
	/* Start draining and return at once.  NULL: POST /_admin/drain
	 * answers 503.  On CM_ERROR the message is sent with status 500. */
	cm_status (*drain)(void *arg, cm_error *err);
	/* Append more Prometheus text after the registry's.  May be NULL. */
	void (*extra_metrics)(void *arg, cm_buf *out);
	/* Bearer token for /_admin/drain; NULL or "": loopback peers only.
	 * Copied by srv_http_start. */
	const char *admin_token;
	void *arg;
} srv_http_hooks;

/*
 * Create a TCP socket bound to host:port and listening (backlog), with
 * SO_REUSEADDR, SO_REUSEPORT if reuseport, non-blocking and close-on-exec.
 * host: IPv4 or IPv6 literal (no brackets), a name (the first address that
 * binds is used) or "" for every address (IPv6 dual-stack when available,
 * else 0.0.0.0).  port 0 picks a free port.  On CM_OK *fd is the socket and
 * *bound_port (may be NULL) the actual port.  On CM_ERROR err says
 * "could not listen on HOST:PORT: <reason>".
 */
CM_MUST_CHECK cm_status srv_listen_socket(const char *host, int port, bool reuseport, int backlog,
                                          int *fd, int *bound_port, cm_error *err);

/*
 * Serve the status routes on host:port (see srv_listen_socket) using base.
 * hooks is copied (the token too); hooks->arg must outlive the server.
 * On CM_OK *out is the server and *bound_port (may be NULL) the port.
 */
CM_MUST_CHECK cm_status srv_http_start(struct event_base *base, const char *host, int port,
                                       bool reuseport, const srv_http_hooks *hooks, int *bound_port,
                                       struct srv_http **out, cm_error *err);

/* Close the listening socket and open status connections and free h.  Call
 * on the loop's thread or after the loop has stopped.  NULL is ignored. */
void srv_http_stop(struct srv_http *h);

/*
 * Blocking client: connect to host:port ("" means 127.0.0.1), send one
 * HTTP/1.0 request `method path` with an empty body and, if token is not
 * NULL, "Authorization: Bearer <token>"; read the whole reply.  Gives up
 * after timeout_ms in total.  On CM_OK *status is the HTTP status and body
 * (if not NULL) receives the body (appended).  Returns CM_CLOSED when the
 * connection was refused (nobody listens: the node has exited), CM_ERROR
 * with a message otherwise.
 */
CM_MUST_CHECK cm_status srv_http_request(const char *host, int port, const char *method,
                                         const char *path, const char *token, int timeout_ms,
                                         int *status, cm_buf *body, cm_error *err);

#endif /* PGKV_SRV_HTTP_H */
