/*
 * srv_http.c -- status HTTP listener and a minimal blocking HTTP client (see
 * srv_http.h for the routes and contracts).
 *
 * We bind the socket ourselves (srv_listen_socket) and hand it to evhttp with
 * evhttp_accept_socket_with_handle: evhttp_bind_socket cannot set
 * SO_REUSEPORT, which a rolling restart on one host needs (the new process
 * binds the same port before the old one drains).
 */
#include "server/srv_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/cm_log.h"
#include "common/cm_metrics.h"

#define HTTP_MAX_HEADERS 8192
#define HTTP_MAX_BODY 4096
#define HTTP_TIMEOUT_S 10
#define CLIENT_MAX_REPLY (16 << 20)

struct srv_http {
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	srv_http_hooks hooks;
	char *token; /* owned copy of hooks.admin_token, NULL if none */
};

static void handle_request(struct evhttp_request *req, void *arg);
static void handle_health(struct srv_http *h, struct evhttp_request *req, const char *query);
static void handle_metrics(struct srv_http *h, struct evhttp_request *req);
static void handle_drain(struct srv_http *h, struct evhttp_request *req);
static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *content_type, const char *body, size_t len);
static bool peer_is_loopback(struct evhttp_request *req);
static bool token_matches(const char *header, const char *token);
static int64_t now_ms(void);

/* ---------------------------------------------------------------------
 * Listening socket
 * --------------------------------------------------------------------- */

static cm_status
bind_one(const struct addrinfo *ai, bool reuseport, int backlog, int *fd_out, int *err_out)
{
	int one = 1, zero = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err_out = errno;
		return CM_ERROR;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
		*err_out = errno;
		close(fd);
		return CM_ERROR;
	}
	*fd_out = fd;
	return CM_OK;
}

cm_status
srv_listen_socket(const char *host, int port, bool reuseport, int backlog, int *fd, int *bound_port,
                  cm_error *err)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int gai, last_errno = EADDRNOTAVAIL;
	bool any = host == NULL || host[0] == '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	/* For "every address" try the IPv6 wildcard (dual-stack) first. */
	gai = getaddrinfo(any ? "::" : host, portstr, &hints, &res);
	if (gai != 0 && any)
		gai = getaddrinfo("0.0.0.0", portstr, &hints, &res);
	if (gai != 0)
		return cm_error_set(err, CM_E_CONNECTION_EXCEPTION, "could not listen on %s:%d: %s",
		                    any ? "*" : host, port, gai_strerror(gai));

	cm_status st = CM_ERROR;
	for (struct addrinfo *ai = res; ai != NULL && st != CM_OK; ai = ai->ai_next)
		st = bind_one(ai, reuseport, backlog, fd, &last_errno);
	freeaddrinfo(res);
	if (st != CM_OK && any) {
		/* No IPv6 in this kernel or namespace: fall back to IPv4. */
		if (getaddrinfo("0.0.0.0", portstr, &hints, &res) == 0) {
			for (struct addrinfo *ai = res; ai != NULL && st != CM_OK; ai = ai->ai_next)
				st = bind_one(ai, reuseport, backlog, fd, &last_errno);
			freeaddrinfo(res);
		}
	}
	if (st != CM_OK)
		return cm_error_set(err, CM_E_CONNECTION_EXCEPTION, "could not listen on %s:%d: %s",
		                    any ? "*" : host, port, strerror(last_errno));

	if (bound_port != NULL) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (getsockname(*fd, (struct sockaddr *)&ss, &len) != 0) {
			int e = errno;
			close(*fd);
			return cm_error_set(err, CM_E_CONNECTION_EXCEPTION, "getsockname: %s", strerror(e));
		}
		*bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
		                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	return CM_OK;
}

/* ---------------------------------------------------------------------
 * Server
 * --------------------------------------------------------------------- */

cm_status
srv_http_start(struct event_base *base, const char *host, int port, bool reuseport,
               const srv_http_hooks *hooks, int *bound_port, struct srv_http **out, cm_error *err)
{
	int fd = -1;
	struct srv_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	if (hooks != NULL)
		h->hooks = *hooks;
	if (h->hooks.admin_token != NULL && h->hooks.admin_token[0] != '\0') {
		h->token = strdup(h->hooks.admin_token);
		if (h->token == NULL) {
			free(h);
			return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		}
	}
	h->hooks.admin_token = h->token;

	if (srv_listen_socket(host, port, reuseport, 128, &fd, bound_port, err) != CM_OK)
		goto fail;
	h->http = evhttp_new(base);
	if (h->http == NULL) {
		cm_error_set(err, CM_E_OUT_OF_MEMORY, "evhttp_new failed");
		goto fail;
	}
	/* Accept every method so that a wrong one gets our 405, not evhttp's 501. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, HTTP_MAX_BODY);
	evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
	evhttp_set_gencb(h->http, handle_request, h);
	h->bound = evhttp_accept_socket_with_handle(h->http, fd);
	if (h->bound == NULL) {
		cm_error_set(err, CM_E_CONNECTION_EXCEPTION, "evhttp could not accept on the socket");
		goto fail;
	}
	*out = h;
	return CM_OK;

fail:
	if (h->bound == NULL && fd >= 0)
		close(fd);
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h->token);
	free(h);
	return CM_ERROR;
}

void
srv_http_stop(struct srv_http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http); /* closes the bound socket (LEV_OPT_CLOSE_ON_FREE) */
	free(h->token);
	free(h);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *content_type,
           const char *body, size_t len)
{
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();
	evhttp_add_header(hdrs, "Content-Type", content_type);
	evhttp_add_header(hdrs, "Cache-Control", "no-store");
	if (buf != NULL && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, code, reason, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

static void
reply_plain(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	reply_text(req, code, reason, "text/plain; charset=utf-8", body, strlen(body));
}

static void
reply_method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	reply_plain(req, 405, "Method Not Allowed", "method not allowed\n");
}

static void
handle_request(struct evhttp_request *req, void *arg)
{
	struct srv_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	bool get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;

	if (path == NULL)
		path = "/";
	if (strcmp(path, "/health") == 0) {
		if (!get) {
			reply_method_not_allowed(req, "GET, HEAD");
			return;
		}
		handle_health(h, req, query);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		if (!get) {
			reply_method_not_allowed(req, "GET, HEAD");
			return;
		}
		handle_metrics(h, req);
		return;
	}
	if (strcmp(path, "/_admin/drain") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			reply_method_not_allowed(req, "POST");
			return;
		}
		handle_drain(h, req);
		return;
	}
	reply_plain(req, 404, "Not Found", "not found\n");
}

/* ready=1 / ready=true / ready (no value) ask for readiness; ready=0 does not. */
static bool
wants_ready(const char *query)
{
	struct evkeyvalq params;
	bool ready = false;
	if (query == NULL)
		return false;
	if (evhttp_parse_query_str(query, &params) == 0) {
		const char *v = evhttp_find_header(&params, "ready");
		ready = v != NULL && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
	}
	evhttp_clear_headers(&params);
	return ready;
}

static void
handle_health(struct srv_http *h, struct evhttp_request *req, const char *query)
{
	if (!wants_ready(query) || h->hooks.is_ready == NULL || h->hooks.is_ready(h->hooks.arg)) {
		reply_plain(req, 200, "OK", "ok\n");
		return;
	}
	bool draining = h->hooks.is_draining != NULL ? h->hooks.is_draining(h->hooks.arg)
	                                             : cm_metrics_get(CM_M_DRAINING, 0) != 0;
	reply_plain(req, 503, "Service Unavailable", draining ? "draining\n" : "not ready\n");
}

static void
handle_metrics(struct srv_http *h, struct evhttp_request *req)
{
	cm_buf out;
	cm_buf_init(&out);
	cm_metrics_render(&out);
	if (h->hooks.extra_metrics != NULL)
		h->hooks.extra_metrics(h->hooks.arg, &out);
	reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "",
	           out.len);
	cm_buf_free(&out);
}

static bool
peer_is_loopback(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return sa->sa_family == AF_UNIX;
}

/* "Bearer <token>", compared in time independent of where it differs. */
static bool
token_matches(const char *header, const char *token)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	const char *given = header + 7;
	while (*given == ' ')
		given++;
	size_t n = strlen(token), m = strlen(given);
	unsigned char diff = n != m;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)token[i] ^ (unsigned char)(i < m ? given[i] : 0);
	return diff == 0;
}

static void
handle_drain(struct srv_http *h, struct evhttp_request *req)
{
	if (h->token != NULL) {
		const char *auth =
		    evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
		if (!token_matches(auth, h->token)) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
			                  "Bearer realm=\"pgkv\"");
			reply_plain(req, 401, "Unauthorized", "admin token required\n");
			return;
		}
	} else if (!peer_is_loopback(req)) {
		reply_plain(req, 403, "Forbidden",
		            "drain is allowed from loopback only (set admin_token)\n");
		return;
	}

	if (h->hooks.drain == NULL) {
		reply_plain(req, 503, "Service Unavailable", "not ready\n");
		return;
	}
	cm_error err = {0};
	if (h->hooks.drain(h->hooks.arg, &err) != CM_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s\n", err.message ? err.message : "drain failed");
		cm_error_clear(&err);
		reply_plain(req, 500, "Internal Server Error", msg);
		return;
	}
	CM_LOG(CM_LOG_INFO, "drain requested over HTTP");
	reply_plain(req, 202, "Accepted", "draining\n");
}

/* ---------------------------------------------------------------------
 * Client
 * --------------------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; returns false on timeout/error. */
static bool
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/* Connect to one address before deadline; CM_CLOSED if refused. */
static cm_status
connect_one(const struct addrinfo *ai, int64_t deadline, int *fd_out, int *err_out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err_out = errno;
		return CM_ERROR;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			*err_out = errno;
			close(fd);
			return *err_out == ECONNREFUSED ? CM_CLOSED : CM_ERROR;
		}
		if (!wait_fd(fd, POLLOUT, deadline)) {
			*err_out = ETIMEDOUT;
			close(fd);
			return CM_ERROR;
		}
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr != 0) {
			*err_out = soerr;
			close(fd);
			return soerr == ECONNREFUSED ? CM_CLOSED : CM_ERROR;
		}
	}
	*fd_out = fd;
	return CM_OK;
}

cm_status
srv_http_request(const char *host, int port, const char *method, const char *path,
                 const char *token, int timeout_ms, int *status, cm_buf *body, cm_error *err)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	const char *h = (host == NULL || host[0] == '\0') ? "127.0.0.1" : host;
	int fd = -1, e = 0, gai;
	cm_status st = CM_ERROR;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((gai = getaddrinfo(h, portstr, &hints, &res)) != 0)
		return cm_error_set(err, CM_E_CONNECTION_EXCEPTION, "could not resolve %s: %s", h,
		                    gai_strerror(gai));
	bool refused = true;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		st = connect_one(ai, deadline, &fd, &e);
		if (st == CM_OK)
			break;
		if (st != CM_CLOSED)
			refused = false;
	}
	freeaddrinfo(res);
	if (st != CM_OK) {
		if (refused)
			return CM_CLOSED;
		return cm_error_set(err, CM_E_CONNECTION_FAILURE, "could not connect to %s:%d: %s", h, port,
		                    strerror(e));
	}

	cm_buf req, reply;
	cm_buf_init(&req);
	cm_buf_init(&reply);
	cm_buf_printf(&req, "%s %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: pgkv\r\n", method, path, h,
	              port);
	if (token != NULL)
		cm_buf_printf(&req, "Authorization: Bearer %s\r\n", token);
	cm_buf_puts(&req, "Content-Length: 0\r\nConnection: close\r\n\r\n");

	st = CM_OK;
	for (size_t off = 0; off < req.len && st == CM_OK;) {
		ssize_t n = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, POLLOUT, deadline))
				st =
				    cm_error_set(err, CM_E_CONNECTION_FAILURE, "timeout sending to %s:%d", h, port);
		} else
			st = cm_error_set(err, CM_E_CONNECTION_FAILURE, "send to %s:%d: %s", h, port,
			                  strerror(errno));
	}
	while (st == CM_OK) {
		char chunk[4096];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0) {
			if (reply.len + (size_t)n > CLIENT_MAX_REPLY)
				st = cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "reply from %s:%d too large", h,
				                  port);
			else
				cm_buf_append(&reply, chunk, (size_t)n);
		} else if (n == 0)
			break;
		else if (errno == EAGAIN || errno == EINTR) {
			if (!wait_fd(fd, POLLIN, deadline))
				st = cm_error_set(err, CM_E_CONNECTION_FAILURE, "timeout waiting for %s:%d", h,
				                  port);
		} else if (errno == ECONNRESET && reply.len == 0)
			st = CM_CLOSED; /* accepted, then closed: the node is going away */
		else
			st = cm_error_set(err, CM_E_CONNECTION_FAILURE, "receive from %s:%d: %s", h, port,
			                  strerror(errno));
	}
	close(fd);

	if (st == CM_OK) {
		int code = 0;
		const char *sep = reply.data ? strstr(reply.data, "\r\n\r\n") : NULL;
		if (sep == NULL || sscanf(reply.data, "HTTP/%*d.%*d %d", &code) != 1 || code < 100 ||
		    code > 999)
			st = cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "malformed HTTP reply from %s:%d", h,
			                  port);
		else {
			*status = code;
			if (body != NULL)
				cm_buf_append(body, sep + 4, reply.len - (size_t)(sep + 4 - reply.data));
		}
	}
	cm_buf_free(&req);
	cm_buf_free(&reply);
	return st;
}
