/*
 * harness.c -- integration-test harness (see harness.h for the contract).
 *
 * Server lifecycle (pgkv child process or PostgreSQL via scripts/pg-ref.sh),
 * clean-up at exit and on fatal signals, libpq helpers, a small check and
 * report framework, and a raw protocol client for tests that must send bytes
 * libpq never would.
 *
 * Layout of the temporary directory (/tmp/pgkv-it-XXXXXX, removed at exit
 * unless PGKV_IT_KEEP=1):
 *   server-N/          one per h_start(): pgkv store and log, or pg-ref DIR
 *   <name>/            h_tmpdir(name), e.g. generated certificates
 */
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PGKV_IT_SRC_DIR
#define PGKV_IT_SRC_DIR "."
#endif
#ifndef PGKV_IT_BIN_DEFAULT
#define PGKV_IT_BIN_DEFAULT PGKV_IT_SRC_DIR "/build/pgkv"
#endif

#define H_START_TIMEOUT_MS 20000
#define H_STOP_GRACE_MS 10000
#define H_LOG_TAIL_BYTES (48 * 1024)
#define H_MAX_ARGS 64
#define H_TEST_TIMEOUT_S 100		/* below ctest's TIMEOUT of 120 */

/* ---- state ---- */

static h_server g_srv;
static bool g_running;
static pid_t g_pgkv_pid;		/* pgkv child, 0 if none */
static pid_t g_pg_pid;			/* postmaster, 0 if none */
static int	g_server_seq;
static char g_root[128];		/* temporary directory of this test */
static bool g_inited;
static h_target g_target;
static int	g_pass;
static int	g_fail;
static int	g_checkno;
static bool g_verbose;
static unsigned char *g_rbuf;	/* raw reader body buffer */
static size_t g_rcap;

static void h_init(void);
static void h_atexit(void);
static void h_on_signal(int sig);
static void h_emergency_stop(void);
static int	h_free_port(void);
static bool h_sql_ready(int port);
static int	h_http_ready(int port);
static int	h_run(char *const argv[], const char *log_path, char *const envp_extra[]);
static void h_rm_rf(const char *path);
static void h_print_log(void);
static void h_sleep_ms(int ms);
static char *h_vformat(const char *fmt, va_list ap);
static void h_write_file(const char *path, const char *text);
static void h_start_pgkv(const h_server_opts *opts, const char *dir);
static void h_start_postgres(const h_server_opts *opts, const char *dir);
static char *h_oneline(const char *s);
static bool h_pgkv_reap(void);
static void h_check_lost(PGconn *conn, const char *file, int line);

/* ---- small utilities ---- */

int64_t
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static char *
h_vformat(const char *fmt, va_list ap)
{
	char	   *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
	{
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	return s;
}

static char *
h_format(const char *fmt, ...) H_PRINTF(1, 2);

static char *
h_format(const char *fmt, ...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = h_vformat(fmt, ap);
	va_end(ap);
	return s;
}

static void
h_write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		h_fail_now("cannot write %s: %s", path, strerror(errno));
}

const char *
h_src_dir(void)
{
	const char *s = getenv("PGKV_SRC");

	return (s && *s) ? s : PGKV_IT_SRC_DIR;
}

h_target
h_target_get(void)
{
	h_init();
	return g_target;
}

const char *
h_target_name(void)
{
	return h_target_get() == H_TARGET_POSTGRES ? "postgres" : "pgkv";
}

bool
h_is_postgres(void)
{
	return h_target_get() == H_TARGET_POSTGRES;
}

const h_server *
h_server_get(void)
{
	return g_running ? &g_srv : NULL;
}

/*
 * One-time set-up: target, temporary root, exit and signal hooks, and a
 * clean libpq environment (no PG* variables from the caller's shell may
 * change what the tests send).
 */
static void
h_init(void)
{
	static const char *const pgvars[] = {
		"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD",
		"PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGAPPNAME", "PGSSLMODE",
		"PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGREQUIRESSL", "PGTZ",
		"PGDATESTYLE", "PGGEQO", "PGCLIENTENCODING", "PGCONNECT_TIMEOUT",
		"PGTARGETSESSIONATTRS", "PGCHANNELBINDING", "PGGSSENCMODE", NULL
	};
	const char *t;
	struct sigaction sa;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV,
	SIGBUS, SIGFPE, SIGILL, SIGALRM};

	if (g_inited)
		return;
	g_inited = true;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t = getenv("PGKV_TARGET");
	if (t == NULL || *t == '\0' || strcmp(t, "pgkv") == 0)
		g_target = H_TARGET_PGKV;
	else if (strcmp(t, "postgres") == 0 || strcmp(t, "pg") == 0)
		g_target = H_TARGET_POSTGRES;
	else
	{
		fprintf(stderr, "harness: PGKV_TARGET must be pgkv or postgres, not %s\n", t);
		exit(2);
	}
	g_verbose = getenv("PGKV_IT_VERBOSE") && strcmp(getenv("PGKV_IT_VERBOSE"), "0") != 0;
	for (int i = 0; pgvars[i]; i++)
		unsetenv(pgvars[i]);
	setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
	setenv("PGSYSCONFDIR", "/nonexistent", 1);

	snprintf(g_root, sizeof(g_root), "/tmp/pgkv-it-XXXXXX");
	if (mkdtemp(g_root) == NULL)
	{
		fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	/* PostgreSQL runs as the OS user postgres when we are root: let it in. */
	chmod(g_root, 0711);

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(h_atexit);
	/* watchdog: libpq calls block without a timeout, so bound the whole test */
	{
		const char *to = getenv("PGKV_IT_TIMEOUT");

		alarm((unsigned) (to && atoi(to) > 0 ? atoi(to) : H_TEST_TIMEOUT_S));
	}
}

char *
h_tmpdir(const char *name)
{
	char	   *p;

	h_init();
	p = h_format("%s/%s", g_root, name);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		h_fail_now("mkdir %s: %s", p, strerror(errno));
	return p;
}

/* Bind port 0 on loopback and return the port the kernel chose. */
static int
h_free_port(void)
{
	struct sockaddr_in a;
	socklen_t	alen = sizeof(a);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	int			port;

	if (fd < 0)
		h_fail_now("socket: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(fd, (struct sockaddr *) &a, sizeof(a)) != 0 ||
		getsockname(fd, (struct sockaddr *) &a, &alen) != 0)
		h_fail_now("bind port 0: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int
h_tcp_connect_port(int port, int timeout_ms)
{
	struct sockaddr_in a;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd pfd;
	int			err = 0;
	socklen_t	elen = sizeof(err);
	int			one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t) port);
	if (connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0)
	{
		if (errno != EINPROGRESS)
		{
			close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1 ||
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
		{
			close(fd);
			return -1;
		}
	}
	/* back to blocking; reads use poll() with their own deadlines */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Without a status port: the SQL port is ready when a startup packet gets
 * anything but "starting up" (57P03) back: an authentication request, or an
 * error such as a failed password rule, means the server is serving.
 */
static bool
h_sql_ready(int port)
{
	int			fd = h_tcp_connect_port(port, 500);
	h_msg		m = {0};
	h_raw_msg	msg;
	bool		ready = false;

	if (fd < 0)
		return false;
	h_msg_startup(&m, g_srv.user, g_srv.dbname);
	if (h_raw_send(fd, m.data, m.len) && h_raw_read(fd, &msg, 1000) == H_RAW_MSG)
	{
		const char *code = h_raw_err_field(&msg, 'C');

		ready = msg.type != 'E' || code == NULL || strcmp(code, "57P03") != 0;
	}
	h_msg_free(&m);
	close(fd);
	return ready;
}

/* 1: /health?ready=1 answered 200; 0: answered something else or nothing
 * yet; -1: nothing listens on the port. */
static int
h_http_ready(int port)
{
	static const char req[] = "GET /health?ready=1 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	char		buf[64];
	size_t		got = 0;
	int			fd = h_tcp_connect_port(port, 500);
	int64_t		deadline = h_now_ms() + 1000;

	if (fd < 0)
		return -1;
	if (!h_raw_send(fd, req, sizeof(req) - 1))
	{
		close(fd);
		return 0;
	}
	while (got < 12 && h_now_ms() < deadline)
	{
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t		n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	return (got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0)
		? 1 : 0;
}

/*
 * Run argv (argv[0] is a path) with stdout and stderr appended to log_path,
 * extra environment entries "K=V" set in the child; wait and return the exit
 * status (-1 if it did not exit normally).
 */
static int
h_run(char *const argv[], const char *log_path, char *const envp_extra[])
{
	pid_t		pid = fork();
	int			st;

	if (pid < 0)
		h_fail_now("fork: %s", strerror(errno));
	if (pid == 0)
	{
		int			fd = open(log_path ? log_path : "/dev/null",
							  O_WRONLY | O_CREAT | O_APPEND, 0644);
		int			nul = open("/dev/null", O_RDONLY);

		if (fd >= 0)
		{
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		for (int i = 0; envp_extra && envp_extra[i]; i++)
			putenv(envp_extra[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
h_rm_rf(const char *path)
{
	char	   *argv[] = {"/bin/rm", "-rf", (char *) path, NULL};

	(void) h_run(argv, NULL, NULL);
}

/* ---- server lifecycle ---- */

const h_server *
h_start(const h_server_opts *opts)
{
	static const h_server_opts none;
	char	   *dir;
	char		name[32];
	const char *u = getenv("PGKV_IT_USER");
	const char *d = getenv("PGKV_IT_DB");

	h_init();
	if (g_running)
		h_stop();
	if (opts == NULL)
		opts = &none;
	snprintf(name, sizeof(name), "server-%d", ++g_server_seq);
	dir = h_tmpdir(name);
	memset(&g_srv, 0, sizeof(g_srv));
	g_srv.target = g_target;
	g_srv.host = "127.0.0.1";
	g_srv.user = (u && *u) ? u : "root";
	g_srv.dbname = (d && *d) ? d : "postgres";
	snprintf(g_srv.dir, sizeof(g_srv.dir), "%s", dir);
	if (g_target == H_TARGET_PGKV)
		h_start_pgkv(opts, dir);
	else
		h_start_postgres(opts, dir);
	free(dir);
	printf("# target %s on %s:%d (dir %s)\n", h_target_name(), g_srv.host, g_srv.port,
		   g_srv.dir);
	return &g_srv;
}

static void
h_start_pgkv(const h_server_opts *opts, const char *dir)
{
	const char *bin = getenv("PGKV_BIN");
	char	   *argv[H_MAX_ARGS + 16];
	int			argc = 0;
	char	   *listen, *http, *store, *conf_path = NULL, *maxc = NULL;
	char	   *extra = NULL;
	int64_t		deadline;
	int			ready;

	if (bin == NULL || *bin == '\0')
		bin = PGKV_IT_BIN_DEFAULT;
	if (access(bin, X_OK) != 0)
		h_fail_now("pgkv binary %s is not executable (%s); set PGKV_BIN, or run with "
				   "PGKV_TARGET=postgres", bin, strerror(errno));
	g_srv.port = h_free_port();
	do
		g_srv.http_port = h_free_port();
	while (g_srv.http_port == g_srv.port);
	snprintf(g_srv.log_path, sizeof(g_srv.log_path), "%s/pgkv.log", dir);

	listen = h_format("127.0.0.1:%d", g_srv.port);
	http = h_format("127.0.0.1:%d", g_srv.http_port);
	store = h_format("embedded:%s/store", dir);
	argv[argc++] = (char *) bin;
	argv[argc++] = "start";
	argv[argc++] = "--listen";
	argv[argc++] = listen;
	argv[argc++] = "--http";
	argv[argc++] = http;
	argv[argc++] = "--store";
	argv[argc++] = store;
	/* Tests stop the server with SIGTERM; skip the unready wait meant for
	 * load balancers (a test's own --drain-wait, given later, wins). */
	argv[argc++] = "--drain-wait";
	argv[argc++] = "0";
	if (opts->certs_dir)
	{
		argv[argc++] = "--certs-dir";
		argv[argc++] = (char *) opts->certs_dir;
	}
	if (opts->hba || opts->n_users > 0)
	{
		/* hba = <pg_hba.conf line> ; user = name [password=...] [superuser] */
		size_t		cap = 4096;
		char	   *text = calloc(1, cap);
		size_t		len = 0;

		for (int i = 0; opts->hba && opts->hba[i]; i++)
			len += (size_t) snprintf(text + len, cap - len, "hba = %s\n", opts->hba[i]);
		for (size_t i = 0; i < opts->n_users; i++)
		{
			const h_user *us = &opts->users[i];

			len += (size_t) snprintf(text + len, cap - len, "user = %s%s%s%s\n", us->name,
									 us->password ? " password=" : "",
									 us->password ? us->password : "",
									 us->superuser ? " superuser" : "");
		}
		if (len >= cap)
			h_fail_now("pgkv config too long");
		conf_path = h_format("%s/pgkv.conf", dir);
		h_write_file(conf_path, text);
		free(text);
		argv[argc++] = "--config";
		argv[argc++] = conf_path;
	}
	if (opts->max_connections > 0)
	{
		maxc = h_format("%d", opts->max_connections);
		argv[argc++] = "--max-connections";
		argv[argc++] = maxc;
	}
	for (int i = 0; opts->pgkv_args && opts->pgkv_args[i] && argc < H_MAX_ARGS; i++)
		argv[argc++] = (char *) opts->pgkv_args[i];
	if (getenv("PGKV_IT_EXTRA_ARGS"))
	{
		char	   *save = NULL;

		extra = strdup(getenv("PGKV_IT_EXTRA_ARGS"));
		for (char *tok = strtok_r(extra, " \t", &save); tok && argc < H_MAX_ARGS;
			 tok = strtok_r(NULL, " \t", &save))
			argv[argc++] = tok;
	}
	argv[argc] = NULL;

	{
		FILE	   *lf = fopen(g_srv.log_path, "w");

		if (lf)
		{
			fprintf(lf, "# harness:");
			for (int i = 0; i < argc; i++)
				fprintf(lf, " %s", argv[i]);
			fprintf(lf, "\n");
			fclose(lf);
		}
	}

	g_pgkv_pid = fork();
	if (g_pgkv_pid < 0)
		h_fail_now("fork: %s", strerror(errno));
	if (g_pgkv_pid == 0)
	{
		int			fd = open(g_srv.log_path, O_WRONLY | O_APPEND);
		int			nul = open("/dev/null", O_RDONLY);

		/* dies with the test even when the test gets SIGKILL */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0)
		{
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		execv(bin, argv);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	g_running = true;

	deadline = h_now_ms() + H_START_TIMEOUT_MS;
	for (;;)
	{
		int			st;

		if (waitpid(g_pgkv_pid, &st, WNOHANG) == g_pgkv_pid)
		{
			g_pgkv_pid = 0;
			g_running = false;
			h_fail_now("pgkv exited during start-up (status %d)",
					   WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
		}
		ready = h_http_ready(g_srv.http_port);
		if (ready == 1 || (ready < 0 && h_sql_ready(g_srv.port)))
			break;
		if (h_now_ms() > deadline)
			h_fail_now("pgkv not ready within %d ms (/health?ready=1 on %d, SQL on %d)",
					   H_START_TIMEOUT_MS, g_srv.http_port, g_srv.port);
		h_sleep_ms(50);
	}
	free(listen);
	free(http);
	free(store);
	free(conf_path);
	free(maxc);
	free(extra);
}

/* Double single quotes for a SQL literal (names and passwords in tests are
 * plain, but do not break on a quote). */
static char *
h_sql_quote(const char *s)
{
	size_t		n = strlen(s);
	char	   *q = malloc(2 * n + 3);
	size_t		j = 0;

	q[j++] = '\'';
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '\'')
			q[j++] = '\'';
		q[j++] = s[i];
	}
	q[j++] = '\'';
	q[j] = '\0';
	return q;
}

static void
h_start_postgres(const h_server_opts *opts, const char *dir)
{
	char	   *script = h_format("%s/scripts/pg-ref.sh", h_src_dir());
	char	   *port;
	char	   *argv[H_MAX_ARGS + 8];
	char	   *envs[4];
	int			nenv = 0;
	int			argc = 0;
	char	   *hba_path = NULL, *sql_path = NULL, *maxc = NULL;
	char	   *runlog = h_format("%s/pg-ref-run.log", g_root);
	int			rc;

	if (access(script, R_OK) != 0)
		h_fail_now("cannot read %s (set PGKV_SRC to the source tree)", script);
	g_srv.port = h_free_port();
	g_srv.http_port = 0;
	snprintf(g_srv.log_path, sizeof(g_srv.log_path), "%s/postgres.log", dir);
	port = h_format("%d", g_srv.port);

	if (opts->hba)
	{
		size_t		cap = 4096, len = 0;
		char	   *text = calloc(1, cap);

		for (int i = 0; opts->hba[i]; i++)
			len += (size_t) snprintf(text + len, cap - len, "%s\n", opts->hba[i]);
		if (len >= cap)
			h_fail_now("hba too long");
		hba_path = h_format("%s/hba.conf", g_root);
		h_write_file(hba_path, text);
		free(text);
		envs[nenv++] = h_format("PGREF_HBA=%s", hba_path);
	}
	if (opts->n_users > 0)
	{
		size_t		cap = 8192, len = 0;
		char	   *text = calloc(1, cap);

		for (size_t i = 0; i < opts->n_users; i++)
		{
			const h_user *us = &opts->users[i];
			const char *m = us->method ? us->method : "scram-sha-256";
			char	   *pw = us->password ? h_sql_quote(us->password) : NULL;

			len += (size_t) snprintf(text + len, cap - len,
									 "SET password_encryption = '%s';\n"
									 "CREATE ROLE \"%s\" LOGIN%s%s%s;\n",
									 strcmp(m, "md5") == 0 ? "md5" : "scram-sha-256",
									 us->name, us->superuser ? " SUPERUSER" : "",
									 pw ? " PASSWORD " : "", pw ? pw : "");
			free(pw);
		}
		if (len >= cap)
			h_fail_now("user list too long");
		sql_path = h_format("%s/init.sql", g_root);
		h_write_file(sql_path, text);
		free(text);
		envs[nenv++] = h_format("PGREF_INIT_SQL=%s", sql_path);
	}
	if (opts->certs_dir)
		envs[nenv++] = h_format("PGREF_CERTS_DIR=%s", opts->certs_dir);
	envs[nenv] = NULL;

	argv[argc++] = "/bin/bash";
	argv[argc++] = script;
	argv[argc++] = "start";
	argv[argc++] = (char *) dir;
	argv[argc++] = port;
	if (opts->max_connections > 0)
	{
		maxc = h_format("max_connections = %d", opts->max_connections);
		argv[argc++] = maxc;
		argv[argc++] = "superuser_reserved_connections = 0";
	}
	for (int i = 0; opts->pg_conf && opts->pg_conf[i] && argc < H_MAX_ARGS; i++)
		argv[argc++] = (char *) opts->pg_conf[i];
	argv[argc] = NULL;

	g_running = true;			/* so that a failure below still stops it */
	rc = h_run(argv, runlog, envs);
	if (rc != 0)
	{
		FILE	   *f = fopen(runlog, "r");
		char		line[512];

		fprintf(stderr, "--- pg-ref.sh output ---\n");
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stderr);
		if (f)
			fclose(f);
		h_fail_now("scripts/pg-ref.sh start failed (exit %d)", rc);
	}
	{
		char	   *pidfile = h_format("%s/data/postmaster.pid", dir);
		FILE	   *f = fopen(pidfile, "r");
		long		pid = 0;

		if (f && fscanf(f, "%ld", &pid) == 1)
			g_pg_pid = (pid_t) pid;
		if (f)
			fclose(f);
		free(pidfile);
	}
	for (int i = 0; i < nenv; i++)
		free(envs[i]);
	free(script);
	free(port);
	free(hba_path);
	free(sql_path);
	free(maxc);
	free(runlog);
}

/*
 * If the pgkv child has exited by itself, record a failed check saying how
 * (a crash must not pass as "connection refused" noise) and return true.
 */
static bool
h_pgkv_reap(void)
{
	int			st;

	if (g_target != H_TARGET_PGKV || g_pgkv_pid <= 0 ||
		waitpid(g_pgkv_pid, &st, WNOHANG) != g_pgkv_pid)
		return false;
	g_pgkv_pid = 0;
	if (WIFSIGNALED(st))
		h_check_at(false, __FILE__, __LINE__, "pgkv died during the test: signal %d (%s)",
				   WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		h_check_at(false, __FILE__, __LINE__, "pgkv exited during the test with status %d",
				   WEXITSTATUS(st));
	return true;
}

void
h_stop(void)
{
	if (!g_running)
		return;
	if (g_target == H_TARGET_PGKV && g_pgkv_pid > 0)
	{
		int64_t		deadline = h_now_ms() + H_STOP_GRACE_MS;
		int			st;

		if (h_pgkv_reap())
		{
			g_running = false;
			return;
		}
		kill(g_pgkv_pid, SIGTERM);
		while (waitpid(g_pgkv_pid, &st, WNOHANG) == 0)
		{
			if (h_now_ms() > deadline)
			{
				fprintf(stderr, "harness: pgkv ignored SIGTERM for %d ms, sending SIGKILL\n",
						H_STOP_GRACE_MS);
				kill(g_pgkv_pid, SIGKILL);
				waitpid(g_pgkv_pid, &st, 0);
				break;
			}
			h_sleep_ms(20);
		}
		g_pgkv_pid = 0;
	}
	else if (g_target == H_TARGET_POSTGRES)
	{
		char	   *script = h_format("%s/scripts/pg-ref.sh", h_src_dir());
		char	   *argv[] = {"/bin/bash", script, "stop", g_srv.dir, NULL};

		(void) h_run(argv, NULL, NULL);
		free(script);
		g_pg_pid = 0;
	}
	g_running = false;
}

/* Async-signal-safe stop: no stdio, no malloc. */
static void
h_emergency_stop(void)
{
	pid_t		pid = g_target == H_TARGET_PGKV ? g_pgkv_pid : g_pg_pid;
	int			i;

	if (!g_running || pid <= 0)
		return;
	/* postgres: SIGINT is a fast shutdown; pgkv: SIGTERM drains and exits */
	kill(pid, g_target == H_TARGET_PGKV ? SIGTERM : SIGINT);
	for (i = 0; i < H_STOP_GRACE_MS / 20; i++)
	{
		struct timespec ts = {0, 20 * 1000000L};

		if (g_target == H_TARGET_PGKV)
		{
			if (waitpid(pid, NULL, WNOHANG) == pid)
				break;
		}
		else if (kill(pid, 0) != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == H_STOP_GRACE_MS / 20)
		kill(pid, SIGKILL);
	g_running = false;
}

static void
h_on_signal(int sig)
{
	static const char msg[] = "harness: caught a fatal signal, stopping the server\n";
	static const char tmo[] = "harness: the test ran out of time (PGKV_IT_TIMEOUT), "
		"stopping the server\n";

	if (sig == SIGALRM ? write(1, tmo, sizeof(tmo) - 1) < 0 : write(2, msg, sizeof(msg) - 1) < 0)
	{
		/* nothing to do */
	}
	h_emergency_stop();
	if (g_root[0] && !getenv("PGKV_IT_KEEP"))
	{
		pid_t		p = fork();

		if (p == 0)
		{
			char	   *argv[] = {"/bin/rm", "-rf", g_root, NULL};

			execv(argv[0], argv);
			_exit(127);
		}
		if (p > 0)
			waitpid(p, NULL, 0);
	}
	raise(sig);					/* SA_RESETHAND: default action now */
}

static void
h_atexit(void)
{
	h_stop();
	if (g_root[0])
	{
		if (getenv("PGKV_IT_KEEP"))
			printf("# kept %s\n", g_root);
		else
			h_rm_rf(g_root);
		g_root[0] = '\0';
	}
}

static void
h_print_log(void)
{
	FILE	   *f;
	long		size;
	char		buf[4096];
	size_t		n;

	if (g_srv.log_path[0] == '\0' || (f = fopen(g_srv.log_path, "r")) == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fprintf(stderr, "---- server log %s (%s) ----\n", g_srv.log_path,
			size > H_LOG_TAIL_BYTES ? "tail" : "whole");
	if (size > H_LOG_TAIL_BYTES)
		fseek(f, size - H_LOG_TAIL_BYTES, SEEK_SET);
	else
		fseek(f, 0, SEEK_SET);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of server log ----\n");
	fclose(f);
}

/* ---- libpq helpers ---- */

static char *
h_vconninfo(const char *extra_fmt, va_list ap)
{
	char	   *extra = extra_fmt ? h_vformat(extra_fmt, ap) : NULL;
	char	   *s;

	if (!g_running)
		h_fail_now("no server running (call h_start first)");
	s = h_format("host=%s port=%d user=%s dbname=%s sslmode=disable connect_timeout=10%s%s",
				 g_srv.host, g_srv.port, g_srv.user, g_srv.dbname,
				 extra ? " " : "", extra ? extra : "");
	free(extra);
	return s;
}

char *
h_conninfo(const char *extra_fmt, ...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, extra_fmt);
	s = h_vconninfo(extra_fmt, ap);
	va_end(ap);
	return s;
}

/* Notices go to stdout as comments instead of libpq's stderr default. */
static void
h_notice_processor(void *arg, const char *message)
{
	char	   *m = h_oneline(message);

	printf("# notice: %s\n", m);
	free(m);
}

PGconn *
h_connect_at(const char *file, int line, const char *extra_fmt, ...)
{
	va_list		ap;
	char	   *ci;
	PGconn	   *c;

	va_start(ap, extra_fmt);
	ci = h_vconninfo(extra_fmt, ap);
	va_end(ap);
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK)
	{
		char	   *msg = strdup(PQerrorMessage(c));

		h_pgkv_reap();
		PQfinish(c);
		h_fail_now_at(file, line, "connect (%s): %s", ci, msg);
	}
	PQsetNoticeProcessor(c, h_notice_processor, NULL);
	free(ci);
	return c;
}

PGconn *
h_try_connect(const char *extra_fmt, ...)
{
	va_list		ap;
	char	   *ci;
	PGconn	   *c;

	va_start(ap, extra_fmt);
	ci = h_vconninfo(extra_fmt, ap);
	va_end(ap);
	c = PQconnectdb(ci);
	if (PQstatus(c) == CONNECTION_OK)
		PQsetNoticeProcessor(c, h_notice_processor, NULL);
	else if (h_pgkv_reap())
		h_fail_now("no server to connect to any more: %s", PQerrorMessage(c));
	free(ci);
	return c;
}

/* ---- checks ---- */

static void
h_vcheck(bool ok, const char *file, int line, const char *fmt, va_list ap)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	g_checkno++;
	if (ok)
	{
		g_pass++;
		if (g_verbose)
		{
			printf("ok %d - ", g_checkno);
			vprintf(fmt, ap);
			printf("\n");
		}
		return;
	}
	g_fail++;
	printf("not ok %d - %s:%d: ", g_checkno, base, line);
	vprintf(fmt, ap);
	printf("\n");
}

void
h_check_at(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	h_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
}

bool
h_check_str_at(const char *got, const char *want, const char *file, int line, const char *what)
{
	bool		ok = (got == NULL && want == NULL) ||
		(got != NULL && want != NULL && strcmp(got, want) == 0);

	if (ok)
		h_check_at(true, file, line, "%s = \"%s\"", what, want ? want : "(null)");
	else
		h_check_at(false, file, line, "%s: got %s%s%s, want %s%s%s", what,
				   got ? "\"" : "", got ? got : "(null)", got ? "\"" : "",
				   want ? "\"" : "", want ? want : "(null)", want ? "\"" : "");
	return ok;
}

bool
h_check_int_at(long long got, long long want, const char *file, int line, const char *what)
{
	if (got == want)
		h_check_at(true, file, line, "%s = %lld", what, want);
	else
		h_check_at(false, file, line, "%s: got %lld, want %lld", what, got, want);
	return got == want;
}

const char *
h_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

static char *
h_oneline(const char *s)
{
	char	   *d = strdup(s ? s : "");
	size_t		n = strlen(d);

	while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == ' '))
		d[--n] = '\0';
	for (char *p = d; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return d;
}

/* A connection that broke ends the test: everything after would fail too. */
static void
h_check_lost(PGconn *conn, const char *file, int line)
{
	if (PQstatus(conn) != CONNECTION_BAD)
		return;
	usleep(200 * 1000);			/* let a crashing server finish dying */
	h_pgkv_reap();
	h_fail_now_at(file, line, "the connection to the server was lost: %s",
				  PQerrorMessage(conn));
}

bool
h_exec_ok_at(PGconn *conn, const char *sql, const char *file, int line)
{
	PGresult   *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	bool		ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	char	   *msg = h_oneline(PQresultErrorMessage(r));

	h_check_at(ok, file, line, "exec ok: %s%s%s%s%s", sql, ok ? "" : " -> ",
			   ok ? "" : PQresStatus(st), ok ? "" : " ", ok ? "" : msg);
	free(msg);
	PQclear(r);
	h_check_lost(conn, file, line);
	return ok;
}

bool
h_expect_error_at(PGconn *conn, const char *sql, const char *sqlstate, const char *file,
				  int line)
{
	PGresult   *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *code = h_sqlstate(r);
	bool		ok = st == PGRES_FATAL_ERROR && strcmp(code, sqlstate) == 0;
	char	   *msg = h_oneline(PQresultErrorMessage(r));

	if (ok)
		h_check_at(true, file, line, "error %s: %s", sqlstate, sql);
	else
		h_check_at(false, file, line, "expected error %s from: %s -> %s %s %s", sqlstate, sql,
				   PQresStatus(st), code, msg);
	free(msg);
	PQclear(r);
	h_check_lost(conn, file, line);
	return ok;
}

bool
h_expect_value_at(PGconn *conn, const char *sql, const char *want, const char *file, int line)
{
	PGresult   *r = PQexec(conn, sql);
	bool		ok;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1 || PQnfields(r) < 1)
	{
		char	   *msg = h_oneline(PQresultErrorMessage(r));

		h_check_at(false, file, line, "value of %s: %s (%d rows) %s", sql,
				   PQresStatus(PQresultStatus(r)), PQntuples(r), msg);
		free(msg);
		PQclear(r);
		h_check_lost(conn, file, line);
		return false;
	}
	{
		const char *got = PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0);
		char	   *what = h_format("value of %s", sql);

		ok = h_check_str_at(got, want, file, line, what);
		free(what);
	}
	PQclear(r);
	return ok;
}

bool
h_expect_status_at(const PGresult *res, ExecStatusType status, const char *what,
				   const char *file, int line)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool		ok = res != NULL && st == status;
	char	   *msg = h_oneline(res ? PQresultErrorMessage(res) : "no result");

	if (ok)
		h_check_at(true, file, line, "%s: %s", what, PQresStatus(status));
	else
		h_check_at(false, file, line, "%s: got %s, want %s %s%s", what,
				   res ? PQresStatus(st) : "no result", PQresStatus(status),
				   h_sqlstate(res), msg);
	free(msg);
	return ok;
}

void
h_fail_now_at(const char *file, int line, const char *fmt, ...)
{
	va_list		ap;

	h_init();
	va_start(ap, fmt);
	h_vcheck(false, file, line, fmt, ap);
	va_end(ap);
	printf("# giving up after this failure\n");
	exit(h_done());
}

void
h_section(const char *name)
{
	h_init();
	printf("# -- %s\n", name);
}

int
h_done(void)
{
	static bool done;

	if (done)
		return g_fail > 0 ? 1 : 0;
	done = true;
	h_stop();
	if (g_fail > 0)
		h_print_log();
	printf("%d passed, %d failed (target %s)\n", g_pass, g_fail, h_target_name());
	return (g_fail > 0 || g_pass == 0) ? 1 : 0;
}

/* ---- raw protocol ---- */

static void
h_msg_grow(h_msg *m, size_t n)
{
	if (m->len + n <= m->cap)
		return;
	while (m->len + n > m->cap)
		m->cap = m->cap ? m->cap * 2 : 256;
	m->data = realloc(m->data, m->cap);
	if (m->data == NULL)
		abort();
}

void
h_msg_reset(h_msg *m)
{
	m->len = 0;
	m->start = 0;
}

void
h_msg_free(h_msg *m)
{
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void
h_msg_begin(h_msg *m, char t)
{
	if (t != 0)
	{
		h_msg_grow(m, 1);
		m->data[m->len++] = (unsigned char) t;
	}
	m->start = m->len;
	h_msg_int32(m, 0);
}

void
h_msg_int8(h_msg *m, uint8_t v)
{
	h_msg_grow(m, 1);
	m->data[m->len++] = v;
}

void
h_msg_int16(h_msg *m, int16_t v)
{
	uint16_t	n = htons((uint16_t) v);

	h_msg_bytes(m, &n, 2);
}

void
h_msg_int32(h_msg *m, int32_t v)
{
	uint32_t	n = htonl((uint32_t) v);

	h_msg_bytes(m, &n, 4);
}

void
h_msg_str(h_msg *m, const char *s)
{
	h_msg_bytes(m, s, strlen(s) + 1);
}

void
h_msg_bytes(h_msg *m, const void *p, size_t n)
{
	h_msg_grow(m, n);
	memcpy(m->data + m->len, p, n);
	m->len += n;
}

void
h_msg_end(h_msg *m)
{
	uint32_t	n = htonl((uint32_t) (m->len - m->start));

	memcpy(m->data + m->start, &n, 4);
}

void
h_msg_startup(h_msg *m, const char *user, const char *database)
{
	h_msg_begin(m, 0);
	h_msg_int32(m, 196608);
	h_msg_str(m, "user");
	h_msg_str(m, user);
	h_msg_str(m, "database");
	h_msg_str(m, database);
	h_msg_int8(m, 0);
	h_msg_end(m);
}

int
h_raw_connect(void)
{
	int			fd;

	if (!g_running)
		h_fail_now("no server running");
	fd = h_tcp_connect_port(g_srv.port, 5000);
	if (fd < 0 && h_pgkv_reap())
		h_fail_now("no server to connect to any more");
	return fd;
}

bool
h_raw_send(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0)
	{
		ssize_t		w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t) w;
	}
	return true;
}

/* Read exactly n bytes before deadline. */
static h_raw_rc
h_read_exact(int fd, unsigned char *buf, size_t n, int64_t deadline)
{
	size_t		got = 0;

	while (got < n)
	{
		int64_t		left = deadline - h_now_ms();
		struct pollfd pfd = {fd, POLLIN, 0};
		int			pr;
		ssize_t		r;

		if (left <= 0)
			return H_RAW_TIMEOUT;
		pr = poll(&pfd, 1, (int) left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return H_RAW_TIMEOUT;
		r = recv(fd, buf + got, n - got, 0);
		if (r == 0)
			return H_RAW_CLOSED;
		if (r < 0)
		{
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return H_RAW_CLOSED;	/* ECONNRESET and friends */
		}
		got += (size_t) r;
	}
	return H_RAW_MSG;
}

h_raw_rc
h_raw_read(int fd, h_raw_msg *msg, int timeout_ms)
{
	int64_t		deadline = h_now_ms() + timeout_ms;
	unsigned char hdr[5];
	uint32_t	len;
	h_raw_rc	rc;

	memset(msg, 0, sizeof(*msg));
	if ((rc = h_read_exact(fd, hdr, 5, deadline)) != H_RAW_MSG)
		return rc;
	memcpy(&len, hdr + 1, 4);
	len = ntohl(len);
	if (len < 4 || len > 64 * 1024 * 1024)
		return H_RAW_BAD;
	msg->type = (char) hdr[0];
	msg->len = len - 4;
	if (g_rcap < msg->len + 1)
	{
		g_rcap = msg->len + 1 > 4096 ? msg->len + 1 : 4096;
		g_rbuf = realloc(g_rbuf, g_rcap);
		if (g_rbuf == NULL)
			abort();
	}
	msg->body = g_rbuf;
	if ((rc = h_read_exact(fd, g_rbuf, msg->len, deadline)) != H_RAW_MSG)
		return rc;
	g_rbuf[msg->len] = '\0';
	return H_RAW_MSG;
}

int
h_raw_read_byte(int fd, int timeout_ms)
{
	unsigned char b;
	h_raw_rc	rc = h_read_exact(fd, &b, 1, h_now_ms() + timeout_ms);

	if (rc == H_RAW_MSG)
		return b;
	return rc == H_RAW_TIMEOUT ? -1 : -2;
}

const char *
h_raw_err_field(const h_raw_msg *msg, char code)
{
	size_t		i = 0;

	if (msg->type != 'E' && msg->type != 'N')
		return NULL;
	while (i < msg->len && msg->body[i] != 0)
	{
		char		c = (char) msg->body[i++];
		const char *v = (const char *) msg->body + i;
		size_t		vl = strnlen(v, msg->len - i);

		if (c == code)
			return v;
		i += vl + 1;
	}
	return NULL;
}

h_raw_rc
h_raw_until_ready(int fd, char *types, size_t n, char *sqlstate, int timeout_ms)
{
	int64_t		deadline = h_now_ms() + timeout_ms;
	size_t		nt = types ? strlen(types) : 0;

	for (;;)
	{
		h_raw_msg	m;
		int64_t		left = deadline - h_now_ms();
		h_raw_rc	rc;

		if (left <= 0)
			return H_RAW_TIMEOUT;
		rc = h_raw_read(fd, &m, (int) left);
		if (rc != H_RAW_MSG)
			return rc;
		if (types && nt + 1 < n)
		{
			types[nt++] = m.type;
			types[nt] = '\0';
		}
		if (m.type == 'E' && sqlstate && sqlstate[0] == '\0')
		{
			const char *c = h_raw_err_field(&m, 'C');

			snprintf(sqlstate, 6, "%s", c ? c : "?????");
		}
		if (m.type == 'Z')
			return H_RAW_MSG;
	}
}

h_raw_rc
h_raw_drain_to_close(int fd, int timeout_ms)
{
	int64_t		deadline = h_now_ms() + timeout_ms;
	unsigned char buf[4096];

	for (;;)
	{
		int64_t		left = deadline - h_now_ms();
		struct pollfd pfd = {fd, POLLIN, 0};
		int			pr;
		ssize_t		r;

		if (left <= 0)
			return H_RAW_TIMEOUT;
		pr = poll(&pfd, 1, (int) left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return H_RAW_TIMEOUT;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0)
			return H_RAW_CLOSED;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return H_RAW_CLOSED;
	}
}

bool
h_raw_login(int fd)
{
	h_msg		m = {0};
	char		types[64] = "";
	char		state[6] = "";
	bool		ok;

	h_msg_startup(&m, g_srv.user, g_srv.dbname);
	ok = h_raw_send(fd, m.data, m.len) &&
		h_raw_until_ready(fd, types, sizeof(types), state, 10000) == H_RAW_MSG &&
		state[0] == '\0';
	h_msg_free(&m);
	return ok;
}
