/*
 * test_srv_http.c -- the status HTTP listener on an event_base run in a
 * thread, exercised with plain-socket HTTP/1.0 requests.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/cm_metrics.h"
#include "server/srv_http.h"

typedef struct fixture {
	struct event_base *base;
	struct srv_http *http;
	pthread_t thread;
	int port;
	atomic_bool ready;
	atomic_bool draining;
	atomic_int drains;
	bool drain_fails;
} fixture;

static bool
hook_ready(void *arg)
{
	return atomic_load(&((fixture *)arg)->ready);
}

static bool
hook_draining(void *arg)
{
	return atomic_load(&((fixture *)arg)->draining);
}

static cm_status
hook_drain(void *arg, cm_error *err)
{
	fixture *f = arg;
	if (f->drain_fails)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "store is closed");
	atomic_fetch_add(&f->drains, 1);
	atomic_store(&f->draining, true);
	atomic_store(&f->ready, false);
	return CM_OK;
}

static void
hook_extra(void *arg, cm_buf *out)
{
	cm_buf_puts(out, "# HELP pgkv_test_extra Extra.\n# TYPE pgkv_test_extra gauge\n"
	                 "pgkv_test_extra 7\n");
}

static void *
loop_main(void *arg)
{
	fixture *f = arg;
	event_base_loop(f->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void
start(fixture *f, const char *host, const char *token)
{
	cm_error err = {0};
	memset(f, 0, sizeof(*f));
	atomic_store(&f->ready, true);
	cr_assert_eq(evthread_use_pthreads(), 0);
	f->base = event_base_new();
	cr_assert_not_null(f->base);
	srv_http_hooks hooks = {
	    .is_ready = hook_ready,
	    .is_draining = hook_draining,
	    .drain = hook_drain,
	    .extra_metrics = hook_extra,
	    .admin_token = token,
	    .arg = f,
	};
	cr_assert_eq(srv_http_start(f->base, host, 0, false, &hooks, &f->port, &f->http, &err), CM_OK,
	             "%s", err.message);
	cr_assert_gt(f->port, 0);
	cr_assert_eq(pthread_create(&f->thread, NULL, loop_main, f), 0);
}

static void
stop(fixture *f)
{
	event_base_loopbreak(f->base);
	pthread_join(f->thread, NULL);
	srv_http_stop(f->http);
	event_base_free(f->base);
}

/* One request through srv_http_request; returns the status, body in *body. */
static int
fetch(fixture *f, const char *method, const char *path, const char *token, char **body)
{
	cm_buf b;
	cm_error err = {0};
	int status = 0;
	cm_buf_init(&b);
	cm_status st =
	    srv_http_request("127.0.0.1", f->port, method, path, token, 5000, &status, &b, &err);
	cr_assert_eq(st, CM_OK, "%s %s: %s", method, path, err.message);
	*body = b.data ? b.data : strdup("");
	return status;
}

/* Raw request text on a plain socket; returns the whole reply (headers too). */
static char *
raw(const char *addr, int port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, addr, &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	cm_buf b;
	cm_buf_init(&b);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		cm_buf_append(&b, chunk, (size_t)n);
	close(fd);
	return b.data ? b.data : strdup("");
}

Test(srv_http, health_and_readiness)
{
	fixture f;
	char *body;
	start(&f, "127.0.0.1", NULL);

	cr_assert_eq(fetch(&f, "GET", "/health", NULL, &body), 200);
	cr_assert_str_eq(body, "ok\n");
	free(body);
	cr_assert_eq(fetch(&f, "GET", "/health?ready=1", NULL, &body), 200);
	free(body);

	atomic_store(&f.ready, false);
	cr_assert_eq(fetch(&f, "GET", "/health?ready=1", NULL, &body), 503);
	cr_assert_str_eq(body, "not ready\n");
	free(body);
	cr_assert_eq(fetch(&f, "GET", "/health", NULL, &body), 200, "liveness ignores readiness");
	free(body);
	cr_assert_eq(fetch(&f, "GET", "/health?ready=0", NULL, &body), 200);
	free(body);

	atomic_store(&f.draining, true);
	cr_assert_eq(fetch(&f, "GET", "/health?ready=true", NULL, &body), 503);
	cr_assert_str_eq(body, "draining\n");
	free(body);

	cr_assert_eq(fetch(&f, "HEAD", "/health", NULL, &body), 200);
	cr_assert_str_eq(body, "");
	free(body);
	stop(&f);
}

Test(srv_http, metrics)
{
	fixture f;
	char *body;
	start(&f, "127.0.0.1", NULL);
	cm_metrics_inc(CM_M_CONNECTIONS_TOTAL, 0);
	cr_assert_eq(fetch(&f, "GET", "/metrics", NULL, &body), 200);
	cr_assert_not_null(strstr(body, "# TYPE pgkv_sql_connections_total counter\n"
	                                "pgkv_sql_connections_total 1\n"));
	cr_assert_not_null(strstr(body, "pgkv_sql_query_latency_seconds_bucket{le=\"+Inf\"} 0\n"));
	cr_assert_not_null(strstr(body, "\npgkv_test_extra 7\n"), "extra metrics appended");
	free(body);

	char *reply = raw("127.0.0.1", f.port, "GET /metrics HTTP/1.0\r\n\r\n");
	cr_assert(strncmp(reply, "HTTP/1.0 200", 12) == 0 || strncmp(reply, "HTTP/1.1 200", 12) == 0,
	          "%.40s", reply);
	cr_assert_not_null(strcasestr(reply, "Content-Type: text/plain; version=0.0.4"), "%s", reply);
	free(reply);
	stop(&f);
}

Test(srv_http, routes_and_methods)
{
	fixture f;
	char *body;
	start(&f, "127.0.0.1", NULL);
	cr_assert_eq(fetch(&f, "GET", "/nope", NULL, &body), 404);
	free(body);
	cr_assert_eq(fetch(&f, "GET", "/", NULL, &body), 404);
	free(body);
	cr_assert_eq(fetch(&f, "POST", "/health", NULL, &body), 405);
	free(body);
	cr_assert_eq(fetch(&f, "DELETE", "/metrics", NULL, &body), 405);
	free(body);
	cr_assert_eq(fetch(&f, "GET", "/_admin/drain", NULL, &body), 405);
	free(body);
	cr_assert_eq(atomic_load(&f.drains), 0);

	char *reply = raw("127.0.0.1", f.port, "PATCH /_admin/drain HTTP/1.0\r\n\r\n");
	cr_assert_not_null(strstr(reply, " 405 "), "%s", reply);
	cr_assert_not_null(strcasestr(reply, "Allow: POST"), "%s", reply);
	free(reply);
	stop(&f);
}

Test(srv_http, drain_from_loopback_without_token)
{
	fixture f;
	char *body;
	start(&f, "127.0.0.1", NULL);
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", NULL, &body), 202);
	cr_assert_str_eq(body, "draining\n");
	free(body);
	cr_assert_eq(atomic_load(&f.drains), 1);
	cr_assert_eq(fetch(&f, "GET", "/health?ready=1", NULL, &body), 503);
	cr_assert_str_eq(body, "draining\n");
	free(body);
	/* A token sent to a server without one is ignored. */
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", "whatever", &body), 202);
	free(body);
	cr_assert_eq(atomic_load(&f.drains), 2);

	f.drain_fails = true;
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", NULL, &body), 500);
	cr_assert_str_eq(body, "store is closed\n");
	free(body);
	stop(&f);
}

Test(srv_http, drain_with_token)
{
	fixture f;
	char *body;
	start(&f, "127.0.0.1", "s3cret");
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", NULL, &body), 401);
	free(body);
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", "wrong", &body), 401);
	free(body);
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", "s3cre", &body), 401);
	free(body);
	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", "s3cret!", &body), 401);
	free(body);
	cr_assert_eq(atomic_load(&f.drains), 0);

	char *reply = raw("127.0.0.1", f.port,
	                  "POST /_admin/drain HTTP/1.0\r\nAuthorization: Basic s3cret\r\n\r\n");
	cr_assert_not_null(strstr(reply, " 401 "), "%s", reply);
	cr_assert_not_null(strcasestr(reply, "WWW-Authenticate: Bearer"), "%s", reply);
	free(reply);

	cr_assert_eq(fetch(&f, "POST", "/_admin/drain", "s3cret", &body), 202);
	free(body);
	cr_assert_eq(atomic_load(&f.drains), 1);
	stop(&f);
}

/* A non-loopback address of this machine, or false if it has none. */
static bool
external_ipv4(char *out, size_t size)
{
	struct ifaddrs *ifs, *i;
	bool found = false;
	if (getifaddrs(&ifs) != 0)
		return false;
	for (i = ifs; i != NULL && !found; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET) {
			struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			if ((ntohl(a.s_addr) >> 24) != 127) {
				inet_ntop(AF_INET, &a, out, (socklen_t)size);
				found = true;
			}
		}
	freeifaddrs(ifs);
	return found;
}

Test(srv_http, drain_from_other_host_needs_token)
{
	char addr[INET_ADDRSTRLEN];
	if (!external_ipv4(addr, sizeof(addr))) {
		cr_skip_test("no non-loopback IPv4 address on this machine");
		return;
	}
	fixture f;
	start(&f, "", NULL); /* every address */
	char *reply = raw(addr, f.port, "POST /_admin/drain HTTP/1.0\r\n\r\n");
	cr_assert_not_null(strstr(reply, " 403 "), "%s", reply);
	free(reply);
	reply = raw("127.0.0.1", f.port, "POST /_admin/drain HTTP/1.0\r\n\r\n");
	cr_assert_not_null(strstr(reply, " 202 "), "%s", reply);
	free(reply);
	cr_assert_eq(atomic_load(&f.drains), 1);
	stop(&f);
}

Test(srv_http, client_sees_refused_connection)
{
	int fd, port;
	cm_error err = {0};
	/* Find a free port, then close it so that nobody listens there. */
	cr_assert_eq(srv_listen_socket("127.0.0.1", 0, false, 1, &fd, &port, &err), CM_OK);
	close(fd);
	int status;
	cr_assert_eq(
	    srv_http_request("127.0.0.1", port, "GET", "/health", NULL, 1000, &status, NULL, &err),
	    CM_CLOSED);
}

Test(srv_http, listen_socket_reuseport)
{
	int a, b, c, port, port2;
	cm_error err = {0};
	cr_assert_eq(srv_listen_socket("127.0.0.1", 0, true, 8, &a, &port, &err), CM_OK);
	cr_assert_eq(srv_listen_socket("127.0.0.1", port, true, 8, &b, &port2, &err), CM_OK, "%s",
	             err.message);
	cr_assert_eq(port2, port);
	cr_assert_eq(srv_listen_socket("127.0.0.1", port, false, 8, &c, NULL, &err), CM_ERROR);
	char want[64];
	snprintf(want, sizeof(want), "could not listen on 127.0.0.1:%d: ", port);
	cr_assert(strncmp(err.message, want, strlen(want)) == 0, "%s", err.message);
	cm_error_clear(&err);
	close(a);
	close(b);

	cr_assert_eq(srv_listen_socket("::1", 0, false, 8, &a, &port, &err), CM_OK, "%s", err.message);
	close(a);
	cr_assert_eq(srv_listen_socket("no-such-host.invalid", 0, false, 8, &a, &port, &err), CM_ERROR);
	cm_error_clear(&err);
}
