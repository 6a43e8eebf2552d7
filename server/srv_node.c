/*
 * srv_node.c -- node lifecycle: start-up, listeners, signals, drain (see
 * srv_node.h).
 *
 * Start-up: lock the data directory (fail at once if another process owns
 * it), bind the listeners, start the event loop and open the store on a
 * thread; SQL connections are accepted and /health?ready=1 answers 200 only
 * once the store is open.
 *
 * Drain is one state enum (srv_drain_phase) moved only by set_phase(), which
 * logs the end of each phase and the start of the next with the number of
 * sessions open.  Phase deadlines are libevent timers; a 100 ms poll timer
 * updates pgkv_sessions_remaining and ends a waiting phase early once every
 * session is gone.  Worst case from the first SIGTERM to exit:
 * drain_wait + connection_wait + query_wait + SRV_CANCEL_WAIT_MS +
 * SRV_EXIT_GRACE_MS.
 *
 * Exported: srv_node_run() (srv_config.h), srv_drain_phase_name().
 */
#include "server/srv_node.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
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
#include "kv/store.h"
#include "sql/catalog/sql_catalog.h"
#include "kv/txn/kv_txn.h"
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
	/* Start-up: the store opens on store_thread, which reports through
	 * store_efd; ready means "store open" and is what /health?ready=1 shows
	 * (together with the phase). */
	pthread_t store_thread;
	kv_store *store;			/* opened by store_thread */
	kv_client *kv;
	bool store_thread_started;
	int store_efd;
	struct event *store_ev;
	atomic_int store_status;
	bool ready;
	int64_t started_ms;
	/* Drain state: one enum moved only by set_phase(). */
	srv_drain_phase phase;
	bool forced;			/* second SIGTERM or SIGINT: cancel now */
	bool accepting_stopped;
	bool drain_requested;	/* DrainRequest pushed into every session */
	int64_t drain_started_ms, phase_started_ms, phase_deadline_ms;
	int exit_code;
	char *timezone;		/* default session TimeZone */
} srv_node;

/* How long cancelled sessions get to report 57P01 and go, after a drain
 * (phase 4) and after a forced shutdown. */
#define SRV_CANCEL_WAIT_MS 1000
#define SRV_FORCED_CANCEL_WAIT_MS 500
/* After the loop: how long to wait for session threads still finishing. */
#define SRV_EXIT_GRACE_MS 500
/* Queued connections accepted (to answer 57P03) when the listeners close. */
#define SRV_MAX_LATE_ACCEPTS 4096

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

/* Accept up to max pending connections on lfd; returns how many. */
static int
accept_some(srv_node *n, int lfd, int max)
{
	bool is_unix = lfd == n->unix_fd;
	int done = 0;
	while (done < max) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *) &ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				CM_LOG(CM_LOG_WARN, "accept failed: %s", strerror(errno));
			break;
		}
		done++;
		if (pgw_conn_start(n->pgw, fd, (struct sockaddr *) &ss, len, is_unix) != CM_OK)
			CM_LOG(CM_LOG_ERROR, "could not start a connection thread");
	}
	return done;
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	/* A bounded batch per loop turn keeps timers and status responsive. */
	(void) accept_some(arg, lfd, 64);
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

/*
 * Stop taking SQL connections: new startups get FATAL 57P03 from now on;
 * connections already waiting in the kernel's accept queue are accepted
 * (so they get that 57P03 instead of a reset), then the listeners close and
 * further attempts are refused by the kernel (or go to a new process that
 * bound the same port with SO_REUSEPORT).
 */
static void
stop_accepting(srv_node *n)
{
	if (n->accepting_stopped)
		return;
	n->accepting_stopped = true;
	pgw_server_set_rejecting(n->pgw, true);
	int late = 0;
	if (n->sql_fd >= 0)
		late += accept_some(n, n->sql_fd, SRV_MAX_LATE_ACCEPTS);
	if (n->unix_fd >= 0)
		late += accept_some(n, n->unix_fd, SRV_MAX_LATE_ACCEPTS);
	close_listeners(n);
	CM_LOG(CM_LOG_INFO, "drain: SQL listeners closed, %d queued connections answered with 57P03", late);
}

static int64_t
phase_wait_ms(const srv_node *n, srv_drain_phase p)
{
	switch (p) {
	case SRV_PHASE_UNREADY:
		return n->cfg->drain_wait_ms;
	case SRV_PHASE_NO_NEW:
		return n->cfg->connection_wait_ms;
	case SRV_PHASE_DRAINING:
		return n->cfg->query_wait_ms;
	case SRV_PHASE_CANCELLING:
		return n->forced ? SRV_FORCED_CANCEL_WAIT_MS : SRV_CANCEL_WAIT_MS;
	case SRV_PHASE_SERVING:
	case SRV_PHASE_DONE:
		break;
	}
	return -1;
}

/*
 * The one transition function of the drain state machine.  Phases only move
 * forward; a jump (sessions gone early, or a forced shutdown) runs the entry
 * actions of the phases it skips that still matter (stop accepting, drain
 * request before the cancel), so every path leaves the same state behind.
 * Logs the end of the old phase and the start of the new one with counts.
 */
static void
set_phase(srv_node *n, srv_drain_phase p)
{
	if (p <= n->phase) {
		CM_LOG(CM_LOG_DEBUG, "drain: ignoring transition %s -> %s", srv_drain_phase_name(n->phase),
			   srv_drain_phase_name(p));
		return;
	}
	int64_t now = mono_ms();
	int sessions = pgw_server_count(n->pgw);
	srv_drain_phase old = n->phase;
	if (old != SRV_PHASE_SERVING)
		CM_LOG(CM_LOG_INFO, "drain: phase %s ended after %lld ms, %d sessions open", srv_drain_phase_name(old),
			   (long long) (now - n->phase_started_ms), sessions);
	else
		n->drain_started_ms = now;
	n->phase = p;
	n->phase_started_ms = now;
	evtimer_del(n->phase_timer);
	cm_metrics_gauge_set(CM_M_DRAINING, 1);
	cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, sessions);

	if (p >= SRV_PHASE_NO_NEW)
		stop_accepting(n);
	if (p >= SRV_PHASE_DRAINING && p <= SRV_PHASE_CANCELLING && !n->drain_requested) {
		n->drain_requested = true;
		pgw_server_drain_sessions(n->pgw);
	}
	if (p == SRV_PHASE_CANCELLING)
		pgw_server_cancel_sessions(n->pgw);

	int64_t wait = phase_wait_ms(n, p);
	if (p == SRV_PHASE_DONE) {
		CM_LOG(CM_LOG_INFO, "drain: complete after %lld ms, %d sessions still open; stopping",
			   (long long) (now - n->drain_started_ms), sessions);
		event_base_loopexit(n->base, NULL);
		return;
	}
	char d[32];
	snprintf(d, sizeof(d), "%lld ms", (long long) wait);
	CM_LOG(CM_LOG_INFO, "drain: phase %s begins, %d sessions open, waiting up to %s", srv_drain_phase_name(p),
		   sessions, d);
	n->phase_deadline_ms = now + wait;
	struct timeval tv = {.tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000};
	evtimer_add(n->phase_timer, &tv);
}

static void
on_phase_timer(evutil_socket_t fd, short what, void *arg)
{
	srv_node *n = arg;
	if (n->phase > SRV_PHASE_SERVING && n->phase < SRV_PHASE_DONE)
		set_phase(n, n->phase + 1);
}

static void
on_poll_timer(evutil_socket_t fd, short what, void *arg)
{
	srv_node *n = arg;
	int sessions = pgw_server_count(n->pgw);
	if (n->phase > SRV_PHASE_SERVING)
		cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, sessions);
	/* Waiting for clients to leave ends early once they all have.  Phase 1
	 * always lasts drain_wait: load balancers need it to notice. */
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
	if (n->forced)
		return;
	CM_LOG(CM_LOG_INFO, "received %s: shutting down now", sig == SIGINT ? "SIGINT" : "a second SIGTERM");
	n->forced = true;
	if (n->phase < SRV_PHASE_CANCELLING)
		set_phase(n, SRV_PHASE_CANCELLING);
}

/* ---------- store start-up ---------- */

/*
 * Runs on its own thread so that the event loop serves /health (503 "not
 * ready") while the store opens; a RocksDB WAL replay or a PD handshake can
 * take seconds.  Today the embedded store's directory is already locked by
 * open_store_dir() and there is nothing more to open; the kv driver's open
 * goes here.  Reports back through the eventfd.
 */
static void *
store_open_main(void *arg)
{
	srv_node *n = arg;
	uint64_t one = 1;
	cm_error err = {0};
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/kv", n->cfg->store + strlen("embedded:"));
	o.data_dir = dir;
	o.sync_wal = n->cfg->sync_wal;
	if (n->cfg->region_max_size > 0)
		o.region_max_size = (uint64_t) n->cfg->region_max_size;
	cm_status st = kv_store_open_embedded(&o, &n->store, &err);
	if (st == CM_OK) {
		kv_client_options co;
		kv_client_options_init(&co);
		if (kv_client_new(n->store, &co, &n->kv, &err) != KV_OK)
			st = CM_ERROR;
		else
			st = sql_cat_bootstrap(n->kv, &err);	/* first start: databases, schemas, roles */
	}
	if (st != CM_OK)
		CM_LOG(CM_LOG_ERROR, "store %s: %s", n->cfg->store, err.message ? err.message : "open failed");
	cm_error_clear(&err);
	atomic_store(&n->store_status, st);
	if (write(n->store_efd, &one, sizeof(one)) != (ssize_t) sizeof(one))
		CM_LOG(CM_LOG_ERROR, "could not signal the event loop: %s", strerror(errno));
	return NULL;
}

/* The store is open: become ready and start accepting SQL connections. */
static void
on_store_open(evutil_socket_t fd, short what, void *arg)
{
	srv_node *n = arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN)
		return;
	if (atomic_load(&n->store_status) != CM_OK) {
		CM_LOG(CM_LOG_ERROR, "could not open store %s; stopping", n->cfg->store);
		n->exit_code = 1;
		event_base_loopexit(n->base, NULL);
		return;
	}
	CM_LOG(CM_LOG_INFO, "store %s open after %lld ms", n->cfg->store, (long long) (mono_ms() - n->started_ms));
	if (n->phase != SRV_PHASE_SERVING)
		return; /* drained before it was ever ready */
	pgw_server_set_kv(n->pgw, n->kv);
	n->ready = true;
	event_add(n->sql_ev, NULL);
	if (n->unix_ev)
		event_add(n->unix_ev, NULL);
	CM_LOG(CM_LOG_INFO, "ready: accepting SQL connections");
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
	cm_buf_printf(out,
				  "# HELP pgkv_drain_phase Drain phase: 0 serving, 1 unready, 2 no new connections, 3 draining "
				  "sessions, 4 cancelling sessions, 5 done.\n"
				  "# TYPE pgkv_drain_phase gauge\npgkv_drain_phase %d\n"
				  "# HELP pgkv_ready 1 when the store is open and the node is not draining (/health?ready=1).\n"
				  "# TYPE pgkv_ready gauge\npgkv_ready %d\n",
				  (int) n->phase, hook_ready(n) ? 1 : 0);
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
	if (flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		/* Fail at once rather than wait: a process waiting for the lock
		 * would hold no listeners anyway, and a supervisor (systemd,
		 * Kubernetes) restarts it.  Name the holder so the operator knows
		 * whom to wait for. */
		char pid[32] = "";
		ssize_t len = pread(n->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[len > 0 ? len : 0] = '\0';
		pid[strcspn(pid, "\r\n")] = '\0';
		close(n->lock_fd);
		n->lock_fd = -1;
		cm_error_set(err, CM_E_IO_ERROR, "data directory \"%s\" is in use by another pgkv process%s%s%s", dir,
					 pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		cm_error_detail(err, "Only one process may own an embedded store; start the new process after the old one "
							 "has exited (a draining node exits within drain_wait + connection_wait + query_wait).");
		return CM_ERROR;
	}
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
	n->sql_fd = n->unix_fd = n->lock_fd = n->store_efd = -1;
	n->started_ms = mono_ms();
	cm_error err = {0};
	int code = 0;

	signal(SIGPIPE, SIG_IGN);
	/* Built-in functions that need the catalog (nextval ...) join the
	 * registry before its first use. */
	sql_cat_register_builtins();
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

	/* The accept events are armed once the store is open (on_store_open):
	 * until then a connection waits in the backlog and /health?ready=1 is
	 * 503 "not ready". */
	n->sql_ev = event_new(n->base, n->sql_fd, EV_READ | EV_PERSIST, on_accept, n);
	if (n->unix_fd >= 0)
		n->unix_ev = event_new(n->base, n->unix_fd, EV_READ | EV_PERSIST, on_accept, n);
	n->sigterm_ev = evsignal_new(n->base, SIGTERM, on_signal, n);
	n->sigint_ev = evsignal_new(n->base, SIGINT, on_signal, n);
	evsignal_add(n->sigterm_ev, NULL);
	evsignal_add(n->sigint_ev, NULL);
	n->phase_timer = evtimer_new(n->base, on_phase_timer, n);
	n->poll_timer = event_new(n->base, -1, EV_PERSIST, on_poll_timer, n);
	struct timeval poll_tv = {0, 100000};
	event_add(n->poll_timer, &poll_tv);
	cm_metrics_gauge_set(CM_M_DRAINING, 0);
	cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, 0);

	CM_LOG(CM_LOG_INFO, "pgkv %s listening for SQL on %s:%d%s%s, status HTTP on %s:%d%s; opening store %s",
		   PGKV_VERSION, cfg->listen_host[0] ? cfg->listen_host : "*", sql_port,
		   n->unix_path[0] ? ", unix socket " : "", n->unix_path, cfg->http_host[0] ? cfg->http_host : "*",
		   http_port, cfg->reuseport ? " (SO_REUSEPORT)" : "", cfg->store);
	/* Machine-readable line for scripts that asked for port 0. */
	printf("sql_port=%d http_port=%d\n", sql_port, http_port);
	fflush(stdout);

	n->store_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->store_efd < 0) {
		cm_error_set(&err, CM_E_IO_ERROR, "eventfd: %s", strerror(errno));
		return fail(n, &err);
	}
	n->store_ev = event_new(n->base, n->store_efd, EV_READ, on_store_open, n);
	event_add(n->store_ev, NULL);
	if (pthread_create(&n->store_thread, NULL, store_open_main, n) != 0) {
		cm_error_set(&err, CM_E_INSUFFICIENT_RESOURCES, "could not start the store thread");
		return fail(n, &err);
	}
	n->store_thread_started = true;

	event_base_dispatch(n->base);

	/* Sessions still running here were cancelled; give them a moment. */
	for (int i = 0; i < SRV_EXIT_GRACE_MS / 50 && pgw_server_count(n->pgw) > 0; i++)
		usleep(50000);
	int left = pgw_server_count(n->pgw);
	if (left > 0)
		CM_LOG(CM_LOG_WARN, "exiting with %d sessions that did not stop", left);
	if (n->store_thread_started)
		pthread_join(n->store_thread, NULL);
	close_listeners(n);
	srv_http_stop(n->http);
	event_free(n->store_ev);
	close(n->store_efd);
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
	/* Close the store (flushes RocksDB); only when no session can still use
	 * it.  The directory lock goes last so a successor starts only once we
	 * are gone. */
	if (left == 0) {
		if (n->kv) {
			sql_cat_forget_client(n->kv);
			kv_client_free(n->kv);
		}
		if (n->store)
			kv_store_close(n->store);
	}
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	code = n->exit_code;
	CM_LOG(CM_LOG_INFO, "pgkv stopped (exit code %d)", code);
	free(n->timezone);
	return code;
}
