/*
 * srv_node.c -- node lifecycle: start-up, listeners, signals, drain (see
 * srv_node.h).
 *
 * Drain is one state enum (srv_drain_phase) moved only by set_phase(), which
 * logs each phase with the number of sessions at its start.  Phase deadlines
 * are libevent timers; a 100 ms poll timer notices when sessions are gone
 * early.
 */
#include "server/srv_node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/cm_log.h"
#include "common/cm_metrics.h"
#include "pgwire/pgw_auth.h"
#include "pgwire/pgw_server.h"
#include "pgwire/pgw_transport.h"
#include "server/srv_http.h"

typedef struct srv_node {
	const srv_config *cfg;
	struct event_base *base;
	pgw_server *pgw;
	pgw_auth_config *auth;
	SSL_CTX *ssl_ctx;
	unsigned char cert_hash[64];
	size_t cert_hash_len;
	int sql_fd, unix_fd;
	char unix_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
	char lock_path[4096];
	int lock_fd;
	struct event *sql_ev, *unix_ev;
	struct event *sigterm_ev, *sigint_ev, *phase_timer, *poll_timer;
	struct srv_http *http;
	bool ready;
	srv_drain_phase phase;
	int64_t phase_deadline_ms;
	int exit_code;
	char *timezone;		/* default session TimeZone */
} srv_node;

static const char *phase_names[] = {"serving", "unready", "no-new-connections", "draining sessions",
									"cancelling sessions", "done"};

const char *
srv_drain_phase_name(srv_drain_phase p)
{
	return (unsigned) p < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[p] : "?";
}

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- listeners ---------- */

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	srv_node *n = arg;
	bool is_unix = lfd == n->unix_fd;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *) &ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				CM_LOG(CM_LOG_WARN, "accept failed: %s", strerror(errno));
			return;
		}
		if (pgw_conn_start(n->pgw, fd, (struct sockaddr *) &ss, len, is_unix) != CM_OK)
			CM_LOG(CM_LOG_ERROR, "could not start a connection thread");
	}
}

static cm_status
listen_unix(srv_node *n, int port, cm_error *err)
{
	const char *dir = n->cfg->socket_dir;
	if (dir == NULL || dir[0] == '\0')
		return CM_OK;
	int len = snprintf(n->unix_path, sizeof(n->unix_path), "%s/.s.PGSQL.%d", dir, port);
	if (len < 0 || (size_t) len >= sizeof(n->unix_path))
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unix socket path \"%s/.s.PGSQL.%d\" is too long", dir, port);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cm_error_set(err, CM_E_IO_ERROR, "could not create unix socket: %s", strerror(errno));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, n->unix_path, (size_t) len + 1);
	/* A stale socket file from a killed process is in the way: replace it
	 * unless something is listening on it. */
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
		close(fd);
		n->unix_path[0] = '\0';
		return cm_error_set(err, CM_E_IO_ERROR, "another server is listening on unix socket \"%s\"", sa.sun_path);
	}
	unlink(n->unix_path);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		n->unix_path[0] = '\0';
		return cm_error_set(err, CM_E_IO_ERROR, "could not listen on unix socket \"%s\": %s", sa.sun_path, strerror(e));
	}
	chmod(n->unix_path, 0777);
	n->unix_fd = fd;
	return CM_OK;
}

static void
close_listeners(srv_node *n)
{
	if (n->sql_ev) {
		event_free(n->sql_ev);
		n->sql_ev = NULL;
	}
	if (n->unix_ev) {
		event_free(n->unix_ev);
		n->unix_ev = NULL;
	}
	if (n->sql_fd >= 0) {
		close(n->sql_fd);
		n->sql_fd = -1;
	}
	if (n->unix_fd >= 0) {
		close(n->unix_fd);
		n->unix_fd = -1;
		if (n->unix_path[0])
			unlink(n->unix_path);
	}
}

/* ---------- drain ---------- */

static void set_phase(srv_node *n, srv_drain_phase p);

static void
arm_phase_timer(srv_node *n, int64_t ms)
{
	n->phase_deadline_ms = mono_ms() + ms;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(n->phase_timer, &tv);
}

static void
set_phase(srv_node *n, srv_drain_phase p)
{
	if (p <= n->phase)
		return;
	int sessions = pgw_server_count(n->pgw);
	CM_LOG(CM_LOG_INFO, "drain: phase %s begins (previous: %s), %d sessions open", srv_drain_phase_name(p),
		   srv_drain_phase_name(n->phase), sessions);
	n->phase = p;
	cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, sessions);
	evtimer_del(n->phase_timer);
	switch (p) {
	case SRV_PHASE_UNREADY:
		cm_metrics_gauge_set(CM_M_DRAINING, 1);
		arm_phase_timer(n, n->cfg->drain_wait_ms);
		break;
	case SRV_PHASE_NO_NEW:
		pgw_server_set_rejecting(n->pgw, true);
		close_listeners(n);
		arm_phase_timer(n, n->cfg->connection_wait_ms);
		break;
	case SRV_PHASE_DRAINING:
		pgw_server_drain_sessions(n->pgw);
		arm_phase_timer(n, n->cfg->query_wait_ms);
		break;
	case SRV_PHASE_CANCELLING:
		pgw_server_cancel_sessions(n->pgw);
		arm_phase_timer(n, 1000);
		break;
	case SRV_PHASE_DONE:
		CM_LOG(CM_LOG_INFO, "drain: complete, %d sessions were still open", sessions);
		event_base_loopexit(n->base, NULL);
		break;
	case SRV_PHASE_SERVING:
		break;
	}
}

static void
on_phase_timer(evutil_socket_t fd, short what, void *arg)
{
	srv_node *n = arg;
	set_phase(n, n->phase + 1);
}

static void
on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
	srv_node *n = arg;
	int sessions = pgw_server_count(n->pgw);
	if (n->phase > SRV_PHASE_SERVING)
		cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, sessions);
	/* Waiting for clients to leave ends early once they all have. */
	if (sessions == 0 && n->phase >= SRV_PHASE_NO_NEW && n->phase < SRV_PHASE_DONE)
		set_phase(n, SRV_PHASE_DONE);
}

static void
start_drain(srv_node *n)
{
	if (n->phase == SRV_PHASE_SERVING)
		set_phase(n, SRV_PHASE_UNREADY);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	srv_node *n = arg;
	if (sig == SIGTERM && n->phase == SRV_PHASE_SERVING) {
		CM_LOG(CM_LOG_INFO, "received SIGTERM: draining (send SIGTERM again or SIGINT to stop at once)");
		start_drain(n);
		return;
	}
	CM_LOG(CM_LOG_INFO, "received %s: shutting down now", sig == SIGINT ? "SIGINT" : "a second SIGTERM");
	if (n->phase < SRV_PHASE_NO_NEW) {
		pgw_server_set_rejecting(n->pgw, true);
		close_listeners(n);
	}
	n->phase = SRV_PHASE_DRAINING;
	set_phase(n, SRV_PHASE_CANCELLING);
}

/* ---------- status hooks ---------- */

static bool
hook_ready(void *arg)
{
	srv_node *n = arg;
	return n->ready && n->phase == SRV_PHASE_SERVING;
}

static bool
hook_draining(void *arg)
{
	return ((srv_node *) arg)->phase != SRV_PHASE_SERVING;
}

static cm_status
hook_drain(void *arg, cm_error *err)
{
	start_drain(arg);
	return CM_OK;
}

static void
hook_metrics(void *arg, cm_buf *out)
{
	srv_node *n = arg;
	cm_buf_printf(out, "# HELP pgkv_drain_phase Current drain phase (0 = serving).\n# TYPE pgkv_drain_phase gauge\npgkv_drain_phase %d\n",
				  (int) n->phase);
}

/* ---------- data directory ---------- */

static cm_status
mkdir_p(const char *path, cm_error *err)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return cm_error_set(err, CM_E_IO_ERROR, "could not create data directory \"%s\": %s", path, strerror(errno));
	return CM_OK;
}

/* Only one process may own an embedded store's directory. */
static cm_status
open_store_dir(srv_node *n, cm_error *err)
{
	const char *store = n->cfg->store;
	if (strncmp(store, "embedded:", 9) != 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "store \"%s\" is not supported yet; use embedded:DIR", store);
	const char *dir = store + 9;
	if (mkdir_p(dir, err) != CM_OK)
		return CM_ERROR;
	snprintf(n->lock_path, sizeof(n->lock_path), "%s/pgkv.lock", dir);
	n->lock_fd = open(n->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lock_fd < 0)
		return cm_error_set(err, CM_E_IO_ERROR, "could not open \"%s\": %s", n->lock_path, strerror(errno));
	if (flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return cm_error_set(err, CM_E_IO_ERROR, "data directory \"%s\" is in use by another pgkv process", dir);
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
	if (ftruncate(n->lock_fd, 0) != 0 || write(n->lock_fd, pid, (size_t) len) != len)
		CM_LOG(CM_LOG_WARN, "could not write %s", n->lock_path);
	return CM_OK;
}

/*
 * The default session TimeZone when none is configured: the zone PostgreSQL's
 * initdb would pick -- $TZ, /etc/timezone, or the zone /etc/localtime links
 * to -- so that pgkv and a PostgreSQL on the same machine agree.
 */
static char *
system_timezone(void)
{
	const char *tz = getenv("TZ");
	if (tz && *tz && *tz != ':' && *tz != '/')
		return strdup(tz);
	FILE *f = fopen("/etc/timezone", "r");
	if (f) {
		char line[256];
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, " \t\r\n")] = '\0';
			if (line[0]) {
				fclose(f);
				return strdup(line);
			}
		}
		fclose(f);
	}
	char link[4096];
	ssize_t n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *z = strstr(link, "zoneinfo/");
		if (z)
			return strdup(z + 9);
	}
	return strdup("UTC");
}

/* ---------- run ---------- */

static cm_status
setup_auth(srv_node *n, cm_error *err)
{
	n->auth = pgw_auth_config_new();
	for (int i = 0; i < n->cfg->n_hba; i++)
		if (pgw_auth_add_hba(n->auth, n->cfg->hba_lines[i], err) != CM_OK)
			return CM_ERROR;
	for (int i = 0; i < n->cfg->n_users; i++)
		if (pgw_auth_add_user(n->auth, n->cfg->user_lines[i], err) != CM_OK)
			return CM_ERROR;
	pgw_auth_apply_defaults(n->auth, n->cfg->insecure);
	return CM_OK;
}

static int
fail(srv_node *n, cm_error *err)
{
	fprintf(stderr, "pgkv: %s\n", err->message ? err->message : "start-up failed");
	if (err->detail)
		fprintf(stderr, "pgkv: %s\n", err->detail);
	cm_error_clear(err);
	return 1;
}

int
srv_node_run(const srv_config *cfg)
{
	srv_node node = {0};
	srv_node *n = &node;
	n->cfg = cfg;
	n->sql_fd = n->unix_fd = n->lock_fd = -1;
	cm_error err = {0};
	int code = 0;

	signal(SIGPIPE, SIG_IGN);
	n->timezone = cfg->timezone ? strdup(cfg->timezone) : system_timezone();
	if (cfg->certs_dir &&
		pgw_tls_context_new(cfg->certs_dir, &n->ssl_ctx, n->cert_hash, &n->cert_hash_len, &err) != CM_OK)
		return fail(n, &err);
	if (setup_auth(n, &err) != CM_OK)
		return fail(n, &err);
	if (open_store_dir(n, &err) != CM_OK)
		return fail(n, &err);

	pgw_server_config pc = {
		.ssl_ctx = n->ssl_ctx,
		.cert_hash = n->cert_hash,
		.cert_hash_len = n->cert_hash_len,
		.auth = n->auth,
		.roles = pgw_auth_config_roles(n->auth),
		.insecure = cfg->insecure,
		.max_connections = cfg->max_connections,
		.max_message_size = (size_t) cfg->max_message_size,
		.default_timezone = n->timezone,
		.results_buffer_size = cfg->results_buffer_size,
	};
	n->pgw = pgw_server_new(&pc);

	n->base = event_base_new();
	if (n->base == NULL) {
		cm_error_set(&err, CM_E_INTERNAL_ERROR, "could not create the event loop");
		return fail(n, &err);
	}
	int sql_port = 0, http_port = 0;
	if (srv_listen_socket(cfg->listen_host, cfg->listen_port, cfg->reuseport, 512, &n->sql_fd, &sql_port, &err) != CM_OK)
		return fail(n, &err);
	if (listen_unix(n, sql_port, &err) != CM_OK)
		return fail(n, &err);
	srv_http_hooks hooks = {
		.is_ready = hook_ready,
		.is_draining = hook_draining,
		.drain = hook_drain,
		.extra_metrics = hook_metrics,
		.admin_token = cfg->admin_token,
		.arg = n,
	};
	if (srv_http_start(n->base, cfg->http_host, cfg->http_port, cfg->reuseport, &hooks, &http_port, &n->http, &err) != CM_OK)
		return fail(n, &err);

	n->sql_ev = event_new(n->base, n->sql_fd, EV_READ | EV_PERSIST, on_accept, n);
	event_add(n->sql_ev, NULL);
	if (n->unix_fd >= 0) {
		n->unix_ev = event_new(n->base, n->unix_fd, EV_READ | EV_PERSIST, on_accept, n);
		event_add(n->unix_ev, NULL);
	}
	n->sigterm_ev = evsignal_new(n->base, SIGTERM, on_signal, n);
	n->sigint_ev = evsignal_new(n->base, SIGINT, on_signal, n);
	evsignal_add(n->sigterm_ev, NULL);
	evsignal_add(n->sigint_ev, NULL);
	n->phase_timer = evtimer_new(n->base, on_phase_timer, n);
	n->poll_timer = event_new(n->base, -1, EV_PERSIST, on_poll_timer, n);
	struct timeval poll_tv = {0, 100000};
	event_add(n->poll_timer, &poll_tv);

	n->ready = true;
	CM_LOG(CM_LOG_INFO, "pgkv %s serving SQL on %s:%d%s%s, status HTTP on %s:%d, store %s", PGKV_VERSION,
		   cfg->listen_host[0] ? cfg->listen_host : "*", sql_port, n->unix_path[0] ? ", unix socket " : "",
		   n->unix_path, cfg->http_host[0] ? cfg->http_host : "*", http_port, cfg->store);
	/* Machine-readable line for scripts that asked for port 0. */
	printf("sql_port=%d http_port=%d\n", sql_port, http_port);
	fflush(stdout);

	event_base_dispatch(n->base);

	/* Sessions still running here were cancelled; give them a moment. */
	for (int i = 0; i < 20 && pgw_server_count(n->pgw) > 0; i++)
		usleep(50000);
	int left = pgw_server_count(n->pgw);
	if (left > 0)
		CM_LOG(CM_LOG_WARN, "exiting with %d sessions that did not stop", left);
	close_listeners(n);
	srv_http_stop(n->http);
	event_free(n->sigterm_ev);
	event_free(n->sigint_ev);
	event_free(n->phase_timer);
	event_free(n->poll_timer);
	event_base_free(n->base);
	if (left == 0) {
		pgw_server_free(n->pgw);
		pgw_auth_config_free(n->auth);
		if (n->ssl_ctx)
			SSL_CTX_free(n->ssl_ctx);
	}
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	CM_LOG(CM_LOG_INFO, "pgkv stopped");
	free(n->timezone);
	return code;
}
