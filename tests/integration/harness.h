/*
 * harness.h -- the integration-test harness: start a server, connect to it
 * with libpq or raw sockets, check results, report.
 *
 * Every tests/integration/test_*.c is a plain executable.  It describes the
 * server it needs (users, hba rules, TLS, limits) in an h_server_opts, calls
 * h_start(), runs checks, and ends with `return h_done();`, which prints
 * "N passed, N failed" and returns the exit status for main().
 *
 * The target is chosen by the environment, so one test source runs unchanged
 * against both:
 *   PGKV_TARGET=pgkv      (default) start $PGKV_BIN on free loopback ports with a
 *                         fresh temporary store; opts become a --config file
 *                         and flags
 *   PGKV_TARGET=postgres  start a PostgreSQL 15 reference server through
 *                         scripts/pg-ref.sh; opts become pg_hba.conf lines,
 *                         roles and postgresql.conf settings
 * Other variables: PGKV_BIN (server binary), PGKV_SRC (source tree, for
 * scripts/), PGKV_IT_USER / PGKV_IT_DB (default user "root", database
 * "postgres"), PGKV_IT_KEEP=1 (keep the temporary directory),
 * PGKV_IT_VERBOSE=1 (print passing checks too), PGKV_IT_EXTRA_ARGS (more
 * `pgkv start` flags, space separated), PGKV_IT_TIMEOUT (seconds before the
 * watchdog ends the test, default 100).
 *
 * One server at a time per process.  It is stopped at exit, including when
 * the test is killed by a signal or aborts (atexit + signal handlers; the
 * pgkv child also gets PR_SET_PDEATHSIG).
 *
 * Interface:
 *   h_start, h_stop, h_server_get, h_target_name, h_is_postgres
 *   h_conninfo, h_connect, h_try_connect
 *   H_CHECK, H_CHECK_EQ_STR, H_CHECK_EQ_INT, h_exec_ok, h_expect_error,
 *   h_expect_value, h_expect_status, h_fail_now, h_section, h_done
 *   h_raw_* (raw protocol client), h_msg_* (message builder)
 */
#ifndef PGKV_IT_HARNESS_H
#define PGKV_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#define H_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum h_target {
	H_TARGET_PGKV = 0,
	H_TARGET_POSTGRES = 1,
} h_target;

/*
 * A login role.  password NULL means none.  method is how PostgreSQL stores
 * the password ("scram-sha-256", the default when NULL, or "md5"; PostgreSQL
 * can run an md5 hba rule only for an md5-stored password).  pgkv keeps the
 * password itself and lets the hba rule choose the method.
 */
typedef struct h_user {
	const char *name;
	const char *password;
	const char *method;
	bool		superuser;
} h_user;

/* What a test needs from the server.  Zero-initialise and fill in. */
typedef struct h_server_opts {
	/* pg_hba.conf lines for TCP, NULL-terminated; NULL = trust on loopback */
	const char *const *hba;
	const h_user *users;		/* n_users roles to create */
	size_t		n_users;
	/* directory with ca.crt, node.crt, node.key; NULL = no TLS */
	const char *certs_dir;
	int			max_connections;	/* 0 = server default */
	const char *const *pgkv_args;	/* extra `pgkv start` flags, NULL-terminated */
	const char *const *pg_conf;		/* extra postgresql.conf lines, NULL-terminated */
} h_server_opts;

typedef struct h_server {
	h_target	target;
	const char *host;			/* "127.0.0.1" */
	int			port;			/* SQL port */
	int			http_port;		/* pgkv status port, 0 for postgres */
	char		dir[256];		/* temporary directory of this server */
	char		log_path[320];	/* server log, printed when a check failed */
	const char *user;			/* default login (trust) */
	const char *dbname;
} h_server;

/* ---- server lifecycle ---- */

/*
 * Start the server for the selected target with opts (NULL = defaults) and
 * wait until it serves SQL (20 s at most).  Fails the test and exits when the
 * server does not come up.  Returns the running server (owned by the harness).
 */
const h_server *h_start(const h_server_opts *opts);

/* Stop the running server (pgkv: SIGTERM, SIGKILL after 10 s; postgres:
 * pg_ctl stop -m fast) and remove its directory.  Safe to call twice. */
void		h_stop(void);

const h_server *h_server_get(void);
h_target	h_target_get(void);
const char *h_target_name(void);
bool		h_is_postgres(void);

/* A fresh directory under the test's temporary directory (created, 0700).
 * Returns a malloc'ed path the caller frees. */
char	   *h_tmpdir(const char *name);

/* Directory of the source tree (PGKV_SRC or the compile-time default). */
const char *h_src_dir(void);

/* ---- libpq helpers ---- */

/*
 * The connection string for the running server: host, port, user, dbname,
 * sslmode=disable, connect_timeout=10, then the printf-formatted extra
 * keywords (may be NULL), which override the defaults (libpq keeps the last
 * value of a repeated keyword).  Returns a malloc'ed string.
 */
char	   *h_conninfo(const char *extra_fmt, ...) H_PRINTF(1, 2);

/* Connect; on failure record a failed check with libpq's message and exit
 * (a test cannot go on without its connection). */
#define h_connect(...) h_connect_at(__FILE__, __LINE__, __VA_ARGS__)
PGconn	   *h_connect_at(const char *file, int line, const char *extra_fmt, ...) H_PRINTF(3, 4);

/* Connect and return the connection whatever its status (caller checks
 * PQstatus and calls PQfinish). */
PGconn	   *h_try_connect(const char *extra_fmt, ...) H_PRINTF(1, 2);

/* ---- checks ---- */

void		h_check_at(bool ok, const char *file, int line, const char *fmt, ...) H_PRINTF(4, 5);
#define H_CHECK(cond, ...) h_check_at((cond), __FILE__, __LINE__, __VA_ARGS__)

bool		h_check_str_at(const char *got, const char *want, const char *file, int line,
						   const char *what);
#define H_CHECK_EQ_STR(got, want, what) h_check_str_at((got), (want), __FILE__, __LINE__, (what))

bool		h_check_int_at(long long got, long long want, const char *file, int line,
						   const char *what);
#define H_CHECK_EQ_INT(got, want, what) h_check_int_at((got), (want), __FILE__, __LINE__, (what))

/* Run sql; the check passes when it returns COMMAND_OK or TUPLES_OK. */
#define h_exec_ok(conn, sql) h_exec_ok_at((conn), (sql), __FILE__, __LINE__)
bool		h_exec_ok_at(PGconn *conn, const char *sql, const char *file, int line);

/* Run sql; the check passes when it fails with SQLSTATE sqlstate. */
#define h_expect_error(conn, sql, sqlstate) \
	h_expect_error_at((conn), (sql), (sqlstate), __FILE__, __LINE__)
bool		h_expect_error_at(PGconn *conn, const char *sql, const char *sqlstate,
							  const char *file, int line);

/* Run sql; the check passes when row 0 column 0 is want (NULL: SQL NULL). */
#define h_expect_value(conn, sql, want) \
	h_expect_value_at((conn), (sql), (want), __FILE__, __LINE__)
bool		h_expect_value_at(PGconn *conn, const char *sql, const char *want,
							  const char *file, int line);

/* Check a result's status; prints the error message when it differs. */
#define h_expect_status(res, status, what) \
	h_expect_status_at((res), (status), (what), __FILE__, __LINE__)
bool		h_expect_status_at(const PGresult *res, ExecStatusType status, const char *what,
							   const char *file, int line);

/* SQLSTATE of a result ("" when none). */
const char *h_sqlstate(const PGresult *res);

/* Record a failed check and end the test now. */
#define h_fail_now(...) h_fail_now_at(__FILE__, __LINE__, __VA_ARGS__)
void		h_fail_now_at(const char *file, int line, const char *fmt, ...) H_PRINTF(3, 4)
			__attribute__((noreturn));

/* Print a section header (for reading the output). */
void		h_section(const char *name);

/* Print the summary, the server log if something failed, stop the server.
 * Returns the exit status (0 = all passed). */
int			h_done(void);

/* Milliseconds from a monotonic clock. */
int64_t		h_now_ms(void);

/* ---- raw protocol client (no libpq) ---- */

typedef enum h_raw_rc {
	H_RAW_MSG = 0,				/* a whole message was read */
	H_RAW_CLOSED = 1,			/* orderly EOF or connection reset */
	H_RAW_TIMEOUT = 2,			/* nothing (or a partial message) within the timeout */
	H_RAW_BAD = 3,				/* the server sent something that is not a message */
} h_raw_rc;

typedef struct h_raw_msg {
	char		type;
	uint32_t	len;			/* body length (without type and length word) */
	unsigned char *body;		/* owned by the harness, valid until the next read */
} h_raw_msg;

/* A growable outgoing buffer holding one or more messages. */
typedef struct h_msg {
	unsigned char *data;
	size_t		len;
	size_t		cap;
	size_t		start;			/* offset of the message being built */
} h_msg;

void		h_msg_reset(h_msg *m);
void		h_msg_free(h_msg *m);
/* Begin a message with type byte t (0: untyped, as startup packets). */
void		h_msg_begin(h_msg *m, char t);
void		h_msg_int8(h_msg *m, uint8_t v);
void		h_msg_int16(h_msg *m, int16_t v);
void		h_msg_int32(h_msg *m, int32_t v);
void		h_msg_str(h_msg *m, const char *s);	/* with its NUL */
void		h_msg_bytes(h_msg *m, const void *p, size_t n);
/* Back-fill the length word of the message begun last. */
void		h_msg_end(h_msg *m);
/* A StartupMessage 3.0 for user/database. */
void		h_msg_startup(h_msg *m, const char *user, const char *database);

/* TCP connection to the running server's SQL port; -1 on failure. */
int			h_raw_connect(void);
/* Send all of buf (MSG_NOSIGNAL); false when the peer is gone. */
bool		h_raw_send(int fd, const void *buf, size_t n);
/* Read one message within timeout_ms. */
h_raw_rc	h_raw_read(int fd, h_raw_msg *msg, int timeout_ms);
/*
 * Read messages until ReadyForQuery, ErrorResponse followed by close, or the
 * timeout.  Appends the type bytes of what arrived to types (NUL-terminated,
 * size n) and copies the first ErrorResponse's SQLSTATE to sqlstate[6].
 * Returns H_RAW_MSG when it stopped at ReadyForQuery.
 */
h_raw_rc	h_raw_until_ready(int fd, char *types, size_t n, char *sqlstate, int timeout_ms);
/* Read one byte (the answer to SSLRequest/GSSENCRequest): the byte, or -1
 * on timeout, -2 when the connection closed. */
int			h_raw_read_byte(int fd, int timeout_ms);
/* Read and discard until EOF; H_RAW_CLOSED, or H_RAW_TIMEOUT if still open. */
h_raw_rc	h_raw_drain_to_close(int fd, int timeout_ms);
/* Field code of an ErrorResponse/NoticeResponse, or NULL. */
const char *h_raw_err_field(const h_raw_msg *msg, char code);
/* Startup with trust auth as the default user; true at ReadyForQuery. */
bool		h_raw_login(int fd);

#endif							/* PGKV_IT_HARNESS_H */
