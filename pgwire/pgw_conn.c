/*
 * pgw_conn.c -- one client connection: startup, TLS, authentication, the
 * reader thread that turns protocol messages into StmtBuf commands, and the
 * connection registry (see pgw_server.h).
 *
 * Threads: the reader thread (this file) owns the connection.  After
 * authentication it starts the executor thread (sql/conn_executor.c), then
 * reads messages until Terminate or end of stream, closes the StmtBuf, joins
 * the executor, and frees everything.  If the executor stops first (drain,
 * FATAL error, broken socket) it shuts down the socket's read side so the
 * reader wakes up.
 */
#include "pgwire/pgw_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "common/cm_log.h"
#include "common/cm_metrics.h"
#include "pgwire/pgw_clientcomm.h"
#include "pgwire/pgw_codec.h"
#include "pgwire/pgw_transport.h"
#include "sql/conn_executor.h"
#include "sql/parser.h"
#include "sql/plancache.h"
#include "sql/session.h"
#include "sql/stmtbuf.h"
#include "sql/catalog/sql_catalog.h"

#define READ_CHUNK 65536
#define THREAD_STACK (2u << 20)

typedef struct pgw_conn {
	struct pgw_conn *next, *prev;	/* registry list */
	pgw_server *srv;
	uint64_t id;
	pgw_transport tr;
	bool is_unix;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_text[64];
	bool ssl;
	char *user;
	char *database;
	char *application_name;
	int32_t pid, secret;
	bool registered;
	bool counted;			/* counts against max_connections */
	cm_buf in;				/* unparsed input */
	sql_stmtbuf *stmtbuf;
	sql_session *session;
	pgw_comm comm;
	atomic_int cancel;
	pthread_t executor;
	int cpu;				/* both threads run on this CPU (-1: anywhere) */
	sql_shapeset *shapes;	/* statement shapes known to parse as one SELECT (sql/plancache.h) */
	bool executor_started;
	atomic_bool executor_done;
	atomic_bool drain_cancelled;	/* the drain shut this session's input */
	bool terminated;		/* client sent Terminate */
	/* startup parameters kept until the session exists */
	char **startup_names, **startup_values;
	int nstartup;
} pgw_conn;

struct pgw_server {
	pgw_server_config cfg;
	pthread_mutex_t mu;
	pgw_conn *conns;
	int count;				/* registered sessions (authenticated or authenticating) */
	int64_t total;
	atomic_bool rejecting;
	bool draining;			/* DrainRequests have been sent (under mu) */
	struct kv_client *kv;
	atomic_uint_fast64_t next_id;
};

/* ---------- server and registry ---------- */

pgw_server *
pgw_server_new(const pgw_server_config *cfg)
{
	pgw_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->cfg = *cfg;
	if (s->cfg.max_message_size == 0)
		s->cfg.max_message_size = 64u << 20;
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->next_id, 1);
	return s;
}

void
pgw_server_free(pgw_server *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void
pgw_server_set_kv(pgw_server *s, struct kv_client *kv)
{
	s->kv = kv;
}

void
pgw_server_set_rejecting(pgw_server *s, bool rejecting)
{
	atomic_store(&s->rejecting, rejecting);
}

int
pgw_server_count(pgw_server *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->count;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int64_t
pgw_server_total(pgw_server *s)
{
	pthread_mutex_lock(&s->mu);
	int64_t n = s->total;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void
pgw_server_drain_sessions(pgw_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->draining = true;
	for (pgw_conn *c = s->conns; c; c = c->next) {
		if (c->stmtbuf == NULL)
			continue;
		if (sql_stmtbuf_push(c->stmtbuf, sql_cmd_new(SQL_CMD_DRAIN, 0)) == CM_OK)
			sql_stmtbuf_notify(c->stmtbuf);
	}
	pthread_mutex_unlock(&s->mu);
}

void
pgw_server_cancel_sessions(pgw_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->draining = true;
	for (pgw_conn *c = s->conns; c; c = c->next) {
		atomic_store(&c->drain_cancelled, true);
		atomic_store(&c->cancel, SQL_CANCEL_DRAIN);
		if (c->stmtbuf) {
			/* The executor reports 57P01 and stops at the drain request. */
			if (sql_stmtbuf_push(c->stmtbuf, sql_cmd_new(SQL_CMD_DRAIN, 0)) == CM_OK)
				sql_stmtbuf_notify(c->stmtbuf);
		}
		pgw_tr_shutdown_read(&c->tr);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Register a connection that finished startup; FATAL 53300 over the limit. */
static cm_status
registry_add(pgw_conn *c, cm_error *err)
{
	pgw_server *s = c->srv;
	pthread_mutex_lock(&s->mu);
	if (s->cfg.max_connections > 0 && s->count >= s->cfg.max_connections) {
		pthread_mutex_unlock(&s->mu);
		return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_TOO_MANY_CONNECTIONS, "sorry, too many clients already");
	}
	/* Random cancel key, unique among live sessions. */
	for (;;) {
		int32_t key[2];
		if (RAND_bytes((unsigned char *) key, sizeof(key)) != 1)
			abort();
		c->pid = (key[0] & 0x3fffffff) | 1;
		c->secret = key[1];
		bool clash = false;
		for (pgw_conn *o = s->conns; o; o = o->next)
			if (o->pid == c->pid)
				clash = true;
		if (!clash)
			break;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->count++;
	s->total++;
	c->registered = true;
	pthread_mutex_unlock(&s->mu);
	cm_metrics_gauge_add(CM_M_CONNECTIONS_OPEN, 1);
	cm_metrics_inc(CM_M_CONNECTIONS_TOTAL, 0);
	return CM_OK;
}

static void
registry_remove(pgw_conn *c)
{
	if (!c->registered)
		return;
	pgw_server *s = c->srv;
	pthread_mutex_lock(&s->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->count--;
	c->registered = false;
	pthread_mutex_unlock(&s->mu);
	cm_metrics_gauge_add(CM_M_CONNECTIONS_OPEN, -1);
}

static void
handle_cancel(pgw_server *s, int32_t pid, int32_t secret)
{
	pthread_mutex_lock(&s->mu);
	for (pgw_conn *c = s->conns; c; c = c->next)
		if (c->pid == pid && c->secret == secret && c->stmtbuf) {
			atomic_store(&c->cancel, SQL_CANCEL_REQUEST);
			CM_LOG(CM_LOG_INFO, "conn=%llu cancel request honoured", (unsigned long long) c->id);
			break;
		}
	pthread_mutex_unlock(&s->mu);
}

/* ---------- low-level I/O for the startup phase ---------- */

static cm_status
send_now(pgw_conn *c, cm_buf *b)
{
	cm_status st = pgw_tr_write_all(&c->tr, b->data, b->len);
	cm_buf_reset(b);
	return st;
}

/* Send a FATAL error and give up on the connection. */
static void
send_fatal(pgw_conn *c, cm_error *err)
{
	cm_buf b;
	cm_buf_init(&b);
	if (err->severity < CM_SEV_FATAL)
		err->severity = CM_SEV_FATAL;
	pgw_put_error(&b, PGW_BE_ERROR_RESPONSE, err, 0);
	(void) send_now(c, &b);
	cm_buf_free(&b);
	CM_LOG(CM_LOG_DEBUG, "conn=%llu peer=%s FATAL %s %s", (unsigned long long) c->id, c->peer_text, err->code,
		   err->message ? err->message : "");
}

/* Read more input; CM_CLOSED on end of stream or error. */
static cm_status
fill(pgw_conn *c)
{
	cm_buf_reserve(&c->in, READ_CHUNK);
	ssize_t n = pgw_tr_read(&c->tr, c->in.data + c->in.len, READ_CHUNK);
	if (n <= 0)
		return CM_CLOSED;
	c->in.len += (size_t) n;
	return CM_OK;
}

/* Next untyped startup packet: *body (pointer into c->in, valid until consumed). */
static cm_status
read_startup_packet(pgw_conn *c, const char **body, size_t *len, size_t *total, cm_error *err)
{
	for (;;) {
		pgw_frame f = pgw_startup_frame_check(c->in.data, c->in.len, len, total);
		if (f == PGW_FRAME_READY) {
			*body = c->in.data + 4;
			return CM_OK;
		}
		if (f == PGW_FRAME_BAD_LENGTH || f == PGW_FRAME_TOO_LONG)
			return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid length of startup packet");
		if (fill(c) != CM_OK)
			return CM_CLOSED;
	}
}

/* Next typed message during authentication. */
static cm_status
read_typed(pgw_conn *c, uint8_t *type, const char **body, size_t *len, size_t *total, cm_error *err)
{
	for (;;) {
		pgw_frame f = pgw_frame_check(c->in.data, c->in.len, 10000, type, len, total);
		if (f == PGW_FRAME_READY) {
			*body = c->in.data + 5;
			return CM_OK;
		}
		if (f != PGW_FRAME_INCOMPLETE)
			return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid message length");
		if (fill(c) != CM_OK)
			return CM_CLOSED;
	}
}

/* ---------- startup ---------- */

static void
add_startup_param(pgw_conn *c, const char *name, const char *value)
{
	c->startup_names = realloc(c->startup_names, sizeof(char *) * (size_t) (c->nstartup + 1));
	c->startup_values = realloc(c->startup_values, sizeof(char *) * (size_t) (c->nstartup + 1));
	if (!c->startup_names || !c->startup_values)
		abort();
	c->startup_names[c->nstartup] = strdup(name);
	c->startup_values[c->nstartup] = strdup(value);
	c->nstartup++;
}

/*
 * The untyped packets before authentication: SSLRequest, GSSENCRequest,
 * CancelRequest, StartupMessage.  Returns CM_OK once a StartupMessage was
 * accepted, CM_CLOSED when the connection is finished (cancel handled,
 * client gone), CM_ERROR with a FATAL in err.
 */
static cm_status
startup(pgw_conn *c, cm_error *err)
{
	cm_buf out;
	cm_buf_init(&out);
	bool tried_ssl = false, tried_gss = false;
	for (;;) {
		const char *body = NULL;
		size_t len = 0, total = 0;
		cm_status st = read_startup_packet(c, &body, &len, &total, err);
		if (st != CM_OK) {
			cm_buf_free(&out);
			return st;
		}
		pgw_rd rd;
		pgw_rd_init(&rd, body, len);
		int32_t code;
		pgw_rd_i32(&rd, &code);
		if (code == PGW_CODE_SSL || code == PGW_CODE_GSSENC) {
			bool ssl = code == PGW_CODE_SSL;
			cm_buf_consume(&c->in, total);
			if (len != 4 || (ssl && tried_ssl) || (!ssl && tried_gss) || c->in.len > 0) {
				/* Bytes after the request would be plaintext read ahead of TLS (CVE-2021-23214). */
				cm_buf_free(&out);
				return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION,
										 "received unencrypted data after SSL request");
			}
			if (ssl)
				tried_ssl = true;
			else
				tried_gss = true;
			bool accept = ssl && c->srv->cfg.ssl_ctx != NULL && !c->is_unix;
			cm_buf_putc(&out, accept ? 'S' : 'N');
			if (send_now(c, &out) != CM_OK) {
				cm_buf_free(&out);
				return CM_CLOSED;
			}
			if (accept) {
				if (pgw_tr_start_tls(&c->tr, c->srv->cfg.ssl_ctx, err) != CM_OK) {
					CM_LOG(CM_LOG_INFO, "conn=%llu peer=%s %s", (unsigned long long) c->id, c->peer_text, err->message);
					cm_buf_free(&out);
					cm_error_clear(err);
					return CM_CLOSED;
				}
				c->ssl = true;
			}
			continue;
		}
		if (code == PGW_CODE_CANCEL) {
			int32_t pid = 0, secret = 0;
			pgw_rd_i32(&rd, &pid);
			pgw_rd_i32(&rd, &secret);
			if (!rd.bad)
				handle_cancel(c->srv, pid, secret);
			cm_buf_free(&out);
			return CM_CLOSED;
		}
		int major = (code >> 16) & 0xffff, minor = code & 0xffff;
		if (major != 3) {
			cm_buf_free(&out);
			return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_FEATURE_NOT_SUPPORTED,
									 "unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor);
		}
		/* name/value pairs up to an empty name */
		const char *unknown_opts[64];
		int nunknown = 0;
		for (;;) {
			const char *name, *value;
			if (!pgw_rd_cstr(&rd, &name)) {
				cm_buf_free(&out);
				return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte");
			}
			if (name[0] == '\0')
				break;
			if (!pgw_rd_cstr(&rd, &value)) {
				cm_buf_free(&out);
				return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte");
			}
			if (strcmp(name, "user") == 0) {
				free(c->user);
				c->user = strdup(value);
			} else if (strcmp(name, "database") == 0) {
				free(c->database);
				c->database = strdup(value);
			} else if (strncmp(name, "_pq_.", 5) == 0) {
				if (nunknown < 64)
					unknown_opts[nunknown++] = name;
			} else if (strcmp(name, "replication") == 0) {
				bool off = strcasecmp(value, "false") == 0 || strcasecmp(value, "off") == 0 ||
						   strcasecmp(value, "no") == 0 || strcmp(value, "0") == 0;
				if (!off) {
					cm_buf_free(&out);
					return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_FEATURE_NOT_SUPPORTED,
											 "replication connections are not supported");
				}
			} else {
				if (strcmp(name, "application_name") == 0) {
					free(c->application_name);
					c->application_name = strdup(value);
				}
				add_startup_param(c, name, value);
			}
		}
		if (minor > 0 || nunknown > 0) {
			/* NegotiateProtocolVersion: we speak 3.0 and none of the _pq_ options. */
			pgw_put_negotiate_version(&out, 0, nunknown, unknown_opts);
			if (send_now(c, &out) != CM_OK) {
				cm_buf_free(&out);
				return CM_CLOSED;
			}
		}
		cm_buf_consume(&c->in, total);
		cm_buf_free(&out);
		if (c->user == NULL || c->user[0] == '\0')
			return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_INVALID_AUTHORIZATION_SPECIFICATION,
									 "no PostgreSQL user name specified in startup packet");
		if (c->database == NULL || c->database[0] == '\0') {
			free(c->database);
			c->database = strdup(c->user);
		}
		return CM_OK;
	}
}

/* ---------- authentication ---------- */

/* Read a PasswordMessage-family message ('p'); FATAL for anything else. */
static cm_status
read_password_msg(pgw_conn *c, const char **body, size_t *len, size_t *total, cm_error *err)
{
	uint8_t type;
	cm_status st = read_typed(c, &type, body, len, total, err);
	if (st != CM_OK)
		return st;
	if (type != PGW_FE_PASSWORD)
		return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION,
								 "expected password response, got message type %d", type);
	return CM_OK;
}

static cm_status
authenticate(pgw_conn *c, bool *superuser, cm_error *err)
{
	pgw_server *s = c->srv;
	pgw_credential cred = {0};
	bool known = s->cfg.roles.lookup && s->cfg.roles.lookup(s->cfg.roles.arg, c->user, &cred);
	int rule = 0;
	pgw_auth_method m = pgw_auth_match_rule(s->cfg.auth, c->is_unix, c->ssl,
											c->is_unix ? NULL : (const struct sockaddr *) &c->peer, c->database,
											c->user, &rule);
	const char *host = c->is_unix ? "[local]" : c->peer_text;
	if (m == PGW_AUTH_REJECT) {
		if (rule > 0)
			pgw_auth_rejected_error(err, host, c->user, c->database, c->ssl);
		else
			pgw_auth_no_rule_error(err, host, c->user, c->database, c->ssl);
		err->severity = CM_SEV_FATAL;
		return CM_ERROR;
	}
	m = pgw_auth_effective_method(m, &cred);
	*superuser = known && cred.superuser;
	cm_buf out;
	cm_buf_init(&out);
	const char *body = NULL;
	size_t len = 0, total = 0;
	cm_status st = CM_OK;
	switch (m) {
	case PGW_AUTH_TRUST:
		if (!known)
			st = cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_INVALID_AUTHORIZATION_SPECIFICATION,
								   "role \"%s\" does not exist", c->user);
		break;
	case PGW_AUTH_PASSWORD:
		if (!c->ssl && !c->is_unix && !s->cfg.insecure) {
			st = cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_INVALID_AUTHORIZATION_SPECIFICATION,
								   "cleartext password authentication requires an SSL connection");
			cm_error_hint(err, "Use sslmode=require, or start the server with --insecure.");
			break;
		}
		pgw_put_auth(&out, PGW_AUTHREQ_CLEARTEXT, NULL, 0);
		if (send_now(c, &out) != CM_OK || (st = read_password_msg(c, &body, &len, &total, err)) != CM_OK) {
			st = st == CM_ERROR ? CM_ERROR : CM_CLOSED;
			break;
		}
		{
			char *pw = strndup(body, len);
			bool ok = known && memchr(body, '\0', len) && pgw_password_check(&cred, c->user, pw);
			free(pw);
			cm_buf_consume(&c->in, total);
			if (!ok) {
				pgw_auth_password_error(err, c->user);
				st = CM_ERROR;
			}
		}
		break;
	case PGW_AUTH_MD5: {
		uint8_t salt[4];
		RAND_bytes(salt, 4);
		pgw_put_auth(&out, PGW_AUTHREQ_MD5, salt, 4);
		if (send_now(c, &out) != CM_OK || (st = read_password_msg(c, &body, &len, &total, err)) != CM_OK) {
			st = st == CM_ERROR ? CM_ERROR : CM_CLOSED;
			break;
		}
		char *resp = strndup(body, len);
		bool ok = known && pgw_md5_check(&cred, c->user, salt, resp);
		free(resp);
		cm_buf_consume(&c->in, total);
		if (!ok) {
			pgw_auth_password_error(err, c->user);
			st = CM_ERROR;
		}
		break;
	}
	case PGW_AUTH_SCRAM: {
		pgw_scram *sc = pgw_scram_begin(known ? &cred : NULL, c->user, c->ssl ? s->cfg.cert_hash : NULL,
										c->ssl ? s->cfg.cert_hash_len : 0);
		cm_buf mech;
		cm_buf_init(&mech);
		pgw_scram_mechanisms(sc, &mech);
		pgw_put_auth(&out, PGW_AUTHREQ_SASL, mech.data, mech.len);
		cm_buf_free(&mech);
		if (send_now(c, &out) != CM_OK || (st = read_password_msg(c, &body, &len, &total, err)) != CM_OK) {
			st = st == CM_ERROR ? CM_ERROR : CM_CLOSED;
			pgw_scram_free(sc);
			break;
		}
		pgw_rd rd;
		pgw_rd_init(&rd, body, len);
		const char *mechanism, *data = NULL;
		int32_t dlen = -1;
		pgw_rd_cstr(&rd, &mechanism);
		pgw_rd_i32(&rd, &dlen);
		if (!rd.bad && dlen >= 0)
			pgw_rd_bytes(&rd, (size_t) dlen, &data);
		if (rd.bad || dlen < 0) {
			st = cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "malformed SASL message");
			pgw_scram_free(sc);
			break;
		}
		cm_buf reply;
		cm_buf_init(&reply);
		st = pgw_scram_client_first(sc, mechanism, data, (size_t) dlen, &reply, err);
		cm_buf_consume(&c->in, total);
		if (st == CM_OK) {
			pgw_put_auth(&out, PGW_AUTHREQ_SASL_CONTINUE, reply.data, reply.len);
			cm_buf_reset(&reply);
			if (send_now(c, &out) != CM_OK || (st = read_password_msg(c, &body, &len, &total, err)) != CM_OK)
				st = st == CM_ERROR ? CM_ERROR : CM_CLOSED;
			else {
				st = pgw_scram_client_final(sc, body, len, &reply, err);
				cm_buf_consume(&c->in, total);
				if (st == CM_OK) {
					pgw_put_auth(&out, PGW_AUTHREQ_SASL_FINAL, reply.data, reply.len);
					if (send_now(c, &out) != CM_OK)
						st = CM_CLOSED;
				}
			}
		}
		cm_buf_free(&reply);
		pgw_scram_free(sc);
		break;
	}
	case PGW_AUTH_REJECT:
		break;
	}
	cm_buf_free(&out);
	if (st == CM_ERROR)
		err->severity = CM_SEV_FATAL;
	return st;
}

/* ---------- messages -> commands ---------- */

static void
push(pgw_conn *c, sql_cmd *cmd)
{
	(void) sql_stmtbuf_push(c->stmtbuf, cmd);
}

static void
push_error(pgw_conn *c, cm_error *err, bool fatal_close)
{
	sql_cmd *cmd = sql_cmd_new(SQL_CMD_SEND_ERROR, 0);
	cm_error_move(&cmd->u.send_error.err, err);
	cmd->u.send_error.fatal_close = fatal_close;
	push(c, cmd);
}

static void
push_sync(pgw_conn *c)
{
	push(c, sql_cmd_new(SQL_CMD_SYNC, 0));
}

static char *
copy_body(sql_cmd *cmd, const char *body, size_t len)
{
	memcpy(cmd->payload, body, len);
	cmd->payload[len] = '\0';
	return cmd->payload;
}

/* 'Q': one ExecStmt per statement, then a Sync. */
static void
on_query(pgw_conn *c, const char *body, size_t len)
{
	cm_error err = {0};
	const char *q = body;
	const char *nul = memchr(body, '\0', len);
	if (nul == NULL || (size_t) (nul - body) != len - 1) {
		cm_error_set(&err, CM_E_PROTOCOL_VIOLATION, "invalid message format");
		push_error(c, &err, false);
		push_sync(c);
		return;
	}
	size_t qlen = len - 1, bad;
	if (!pgw_utf8_valid(q, qlen, &bad)) {
		pgw_utf8_error(&err, q, qlen, bad);
		push_error(c, &err, false);
		push_sync(c);
		return;
	}
	/* A statement whose shape (text but for literal values the grammar does
	 * not look at) parsed before as one SELECT cannot fail to parse: skip
	 * the parse and let the executor's plan cache have it (sql/plancache.h).
	 * Anything else is parsed here, so a syntax error is still reported
	 * before anything of the string runs. */
	sql_shape *shape = sql_shape_scan(q, qlen);
	sql_parsed *parsed = NULL;
	if (shape && c->shapes && sql_shapeset_match(c->shapes, shape, q)) {
		parsed = sql_parsed_deferred(q, qlen, shape);
		sql_cmd *cmd = sql_cmd_new(SQL_CMD_EXEC_STMT, 0);
		cmd->u.exec.parsed = parsed;
		cmd->u.exec.index = 0;
		cmd->u.exec.last_in_batch = true;
		push(c, cmd);
		push_sync(c);
		return;
	}
	if (sql_parse(q, qlen, &parsed, &err) != CM_OK) {
		sql_shape_free(shape);
		if (err.position > 0)
			err.position = sql_position_to_chars(q, qlen, err.position);
		push_error(c, &err, false);
		push_sync(c);
		return;
	}
	int n = sql_parsed_nstmts(parsed);
	if (shape && n == 1 && sql_parsed_stmt(parsed, 0)->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
		sql_parsed_stmt(parsed, 0)->select_stmt->into_clause == NULL) {
		sql_shape_analyse(shape, q, sql_parsed_stmt(parsed, 0));
		if (c->shapes == NULL)
			c->shapes = sql_shapeset_new();
		sql_shapeset_add(c->shapes, shape);
		parsed->shape = shape;	/* the executor fills its cache from it */
	} else
		sql_shape_free(shape);
	if (n == 0) {
		sql_cmd *cmd = sql_cmd_new(SQL_CMD_EXEC_STMT, 0);
		cmd->u.exec.parsed = parsed;
		cmd->u.exec.index = -1;
		cmd->u.exec.last_in_batch = true;
		push(c, cmd);
	} else {
		for (int i = 0; i < n; i++) {
			sql_cmd *cmd = sql_cmd_new(SQL_CMD_EXEC_STMT, 0);
			if (i > 0)
				sql_parsed_retain(parsed);
			cmd->u.exec.parsed = parsed;
			cmd->u.exec.index = i;
			cmd->u.exec.last_in_batch = i == n - 1;
			push(c, cmd);
		}
	}
	push_sync(c);
}

static cm_status
malformed(cm_error *err, const char *what)
{
	return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "invalid %s message format", what);
}

static cm_status
on_parse(pgw_conn *c, const char *body, size_t len, cm_error *err)
{
	pgw_rd rd;
	pgw_rd_init(&rd, body, len);
	const char *name, *query;
	int16_t n;
	pgw_rd_cstr(&rd, &name);
	pgw_rd_cstr(&rd, &query);
	pgw_rd_i16(&rd, &n);
	if (rd.bad || n < 0 || pgw_rd_left(&rd) != (size_t) n * 4)
		return malformed(err, "Parse");
	size_t bad;
	if (!pgw_utf8_valid(query, strlen(query), &bad))
		return pgw_utf8_error(err, query, strlen(query), bad);
	sql_cmd *cmd = sql_cmd_new(SQL_CMD_PREPARE, len + 1);
	char *p = copy_body(cmd, body, len);
	cmd->u.prepare.name = p;
	cmd->u.prepare.query = p + (query - body);
	cmd->u.prepare.nparams = n;
	/* the OID array has its own allocation, freed with the command */
	cmd->u.prepare.param_oids = n ? calloc((size_t) n, sizeof(uint32_t)) : NULL;
	for (int i = 0; i < n; i++) {
		int32_t oid;
		pgw_rd_i32(&rd, &oid);
		cmd->u.prepare.param_oids[i] = (uint32_t) oid;
	}
	push(c, cmd);
	return CM_OK;
}

static cm_status
on_bind(pgw_conn *c, const char *body, size_t len, cm_error *err)
{
	pgw_rd rd;
	pgw_rd_init(&rd, body, len);
	const char *portal, *stmt;
	int16_t nf, np, nr;
	pgw_rd_cstr(&rd, &portal);
	pgw_rd_cstr(&rd, &stmt);
	pgw_rd_i16(&rd, &nf);
	if (rd.bad || nf < 0)
		return malformed(err, "Bind");
	const char *fmt_p;
	if (!pgw_rd_bytes(&rd, (size_t) nf * 2, &fmt_p))
		return malformed(err, "Bind");
	pgw_rd_i16(&rd, &np);
	if (rd.bad || np < 0)
		return malformed(err, "Bind");
	/* layout of the payload: body copy | formats | values | lengths | result formats */
	size_t body_sz = (len + 1 + 7) & ~(size_t) 7;
	/* The result formats are 2 bytes each inside the body, so len bytes are
	 * room enough for them ([perf] a fixed 128 KiB here made calloc zero
	 * 128 KiB per Bind: most of the reader's time in pgbench -M prepared). */
	size_t extra = (size_t) nf * sizeof(int16_t) + 8 + (size_t) np * (sizeof(char *) + sizeof(int32_t)) + 8 + len;
	sql_cmd *cmd = sql_cmd_new(SQL_CMD_BIND, body_sz + extra);
	char *p = copy_body(cmd, body, len);
	sql_bind_args *b = &cmd->u.bind;
	b->portal = p + (portal - body);
	b->stmt = p + (stmt - body);
	char *cursor = cmd->payload + body_sz;
	b->values = (const char **) (void *) cursor;
	cursor += (size_t) np * sizeof(char *);
	b->lengths = (int32_t *) (void *) cursor;
	cursor += (size_t) np * sizeof(int32_t);
	cursor = (char *) (((uintptr_t) cursor + 7) & ~(uintptr_t) 7);
	b->formats = (int16_t *) (void *) cursor;
	cursor += (size_t) nf * sizeof(int16_t);
	b->nformats = nf;
	for (int i = 0; i < nf; i++) {
		const unsigned char *u = (const unsigned char *) fmt_p + 2 * i;
		b->formats[i] = (int16_t) ((u[0] << 8) | u[1]);
	}
	b->nparams = np;
	for (int i = 0; i < np; i++) {
		int32_t l;
		if (!pgw_rd_i32(&rd, &l) || l < -1) {
			sql_cmd_free(cmd);
			return malformed(err, "Bind");
		}
		b->lengths[i] = l;
		if (l == -1) {
			b->values[i] = NULL;
			continue;
		}
		const char *v;
		if (!pgw_rd_bytes(&rd, (size_t) l, &v)) {
			sql_cmd_free(cmd);
			return malformed(err, "Bind");
		}
		b->values[i] = p + (v - body);
		int16_t f = nf == 0 ? 0 : nf == 1 ? b->formats[0] : (i < nf ? b->formats[i] : 0);
		size_t bad;
		if (f == 0 && !pgw_utf8_valid(v, (size_t) l, &bad)) {
			sql_cmd_free(cmd);
			return pgw_utf8_error(err, v, (size_t) l, bad);
		}
	}
	pgw_rd_i16(&rd, &nr);
	if (rd.bad || nr < 0 || pgw_rd_left(&rd) != (size_t) nr * 2) {
		sql_cmd_free(cmd);
		return malformed(err, "Bind");
	}
	b->nresult_formats = nr;
	b->result_formats = (int16_t *) (void *) cursor;
	for (int i = 0; i < nr; i++) {
		int16_t f;
		pgw_rd_i16(&rd, &f);
		b->result_formats[i] = f;
	}
	push(c, cmd);
	return CM_OK;
}

static cm_status
on_describe_or_close(pgw_conn *c, uint8_t type, const char *body, size_t len, cm_error *err)
{
	pgw_rd rd;
	pgw_rd_init(&rd, body, len);
	uint8_t kind;
	const char *name;
	pgw_rd_u8(&rd, &kind);
	pgw_rd_cstr(&rd, &name);
	if (rd.bad || pgw_rd_left(&rd) != 0)
		return malformed(err, type == PGW_FE_DESCRIBE ? "Describe" : "Close");
	sql_cmd *cmd = sql_cmd_new(type == PGW_FE_DESCRIBE ? SQL_CMD_DESCRIBE : SQL_CMD_DELETE_PREPARED, len + 1);
	char *p = copy_body(cmd, body, len);
	cmd->u.describe.kind = (char) kind;
	cmd->u.describe.name = p + 1;
	push(c, cmd);
	return CM_OK;
}

static cm_status
on_execute(pgw_conn *c, const char *body, size_t len, cm_error *err)
{
	pgw_rd rd;
	pgw_rd_init(&rd, body, len);
	const char *portal;
	int32_t max;
	pgw_rd_cstr(&rd, &portal);
	pgw_rd_i32(&rd, &max);
	if (rd.bad || pgw_rd_left(&rd) != 0)
		return malformed(err, "Execute");
	sql_cmd *cmd = sql_cmd_new(SQL_CMD_EXEC_PORTAL, len + 1);
	char *p = copy_body(cmd, body, len);
	cmd->u.exec_portal.portal = p;
	cmd->u.exec_portal.max_rows = max < 0 ? 0 : max;
	push(c, cmd);
	return CM_OK;
}

/*
 * Translate one message.  Returns CM_CLOSED to stop reading (Terminate or a
 * FATAL protocol error already queued).
 */
static cm_status
on_message(pgw_conn *c, uint8_t type, const char *body, size_t len)
{
	cm_error err = {0};
	cm_status st = CM_OK;
	switch (type) {
	case PGW_FE_QUERY:
		on_query(c, body, len);
		return CM_OK;
	case PGW_FE_PARSE:
		st = on_parse(c, body, len, &err);
		break;
	case PGW_FE_BIND:
		st = on_bind(c, body, len, &err);
		break;
	case PGW_FE_DESCRIBE:
	case PGW_FE_CLOSE:
		st = on_describe_or_close(c, type, body, len, &err);
		break;
	case PGW_FE_EXECUTE:
		st = on_execute(c, body, len, &err);
		break;
	case PGW_FE_SYNC:
		push_sync(c);
		return CM_OK;
	case PGW_FE_FLUSH:
		push(c, sql_cmd_new(SQL_CMD_FLUSH, 0));
		return CM_OK;
	case PGW_FE_TERMINATE:
		c->terminated = true;
		return CM_CLOSED;
	case PGW_FE_COPY_DATA:
	case PGW_FE_COPY_DONE:
	case PGW_FE_COPY_FAIL: {
		/* Queued with their payload; a COPY FROM STDIN that is running takes
		 * them (sql/copy.c), the executor ignores them otherwise, as
		 * PostgreSQL does outside COPY mode. */
		sql_cmd *cmd = sql_cmd_new(type == PGW_FE_COPY_DATA ? SQL_CMD_COPY_DATA
								   : type == PGW_FE_COPY_DONE ? SQL_CMD_COPY_DONE : SQL_CMD_COPY_FAIL, len + 1);
		cmd->u.copy.data = copy_body(cmd, body, len);
		cmd->u.copy.len = len;
		push(c, cmd);
		return CM_OK;
	}
	case PGW_FE_FUNCTION_CALL:
		cm_error_set(&err, CM_E_FEATURE_NOT_SUPPORTED, "fastpath function calls are not supported");
		push_error(c, &err, false);
		return CM_OK;
	default:
		cm_error_setf_sev(&err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid frontend message type %d", type);
		push_error(c, &err, true);
		return CM_CLOSED;
	}
	if (st != CM_OK)
		push_error(c, &err, false);
	return CM_OK;
}

/* ---------- the executor thread ---------- */

static void
on_statement(void *arg, const char *tag, int64_t latency_us)
{
	cm_query_type t = CM_QT_OTHER;
	if (strncmp(tag, "SELECT", 6) == 0)
		t = CM_QT_SELECT;
	else if (strncmp(tag, "INSERT", 6) == 0)
		t = CM_QT_INSERT;
	else if (strncmp(tag, "UPDATE", 6) == 0)
		t = CM_QT_UPDATE;
	else if (strncmp(tag, "DELETE", 6) == 0)
		t = CM_QT_DELETE;
	else if (strncmp(tag, "SET", 3) == 0 || strncmp(tag, "RESET", 5) == 0)
		t = CM_QT_SET;
	else if (strncmp(tag, "SHOW", 4) == 0)
		t = CM_QT_SHOW;
	else if (strncmp(tag, "BEGIN", 5) == 0 || strncmp(tag, "START", 5) == 0 || strncmp(tag, "COMMIT", 6) == 0 ||
			 strncmp(tag, "ROLLBACK", 8) == 0 || strncmp(tag, "SAVEPOINT", 9) == 0 || strncmp(tag, "RELEASE", 7) == 0)
		t = CM_QT_TCL;
	else if (strncmp(tag, "CREATE", 6) == 0 || strncmp(tag, "DROP", 4) == 0 || strncmp(tag, "ALTER", 5) == 0 ||
			 strncmp(tag, "TRUNCATE", 8) == 0)
		t = CM_QT_DDL;
	cm_metrics_inc(CM_M_QUERIES, (int) t);
	cm_metrics_observe_latency_us(latency_us);
}

static void
on_error(void *arg, const cm_error *err)
{
	cm_metrics_error(err->code);
	if (cm_error_is(err, CM_E_SERIALIZATION_FAILURE))
		cm_metrics_inc(CM_M_TXN_CLIENT_RETRY_ERRORS, 0);
}

static void *
executor_main(void *arg)
{
	pgw_conn *c = arg;
	sql_executor_config cfg = {
		.stmtbuf = c->stmtbuf,
		.comm = &c->comm.base,
		.session = c->session,
		.cancel = &c->cancel,
		.kv = c->srv->kv,
		.on_statement = on_statement,
		.on_error = on_error,
		.hook_arg = c,
	};
	sql_exit_reason r = sql_executor_run(&cfg);
	atomic_store(&c->executor_done, true);
	if (r != SQL_EXIT_CLIENT_CLOSED)
		pgw_tr_shutdown_read(&c->tr);	/* wake the reader */
	return NULL;
}

static bool
start_thread(pthread_t *t, void *(*fn)(void *), void *arg, bool detached, int cpu)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return r == 0;
}

/* ---------- the reader thread ---------- */

/* The catalog decides (sql/catalog): 3D000 for a missing database, 55000
 * for one that refuses connections (template0).  Without a store (tests
 * of the front end alone) the bootstrap set is accepted. */
static cm_status
database_check(pgw_conn *c, const char *db, cm_error *err)
{
	if (c->srv->kv == NULL) {
		if (strcmp(db, "postgres") == 0 || strcmp(db, "defaultdb") == 0 || strcmp(db, "template1") == 0)
			return CM_OK;
		return cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_INVALID_CATALOG_NAME, "database \"%s\" does not exist", db);
	}
	if (sql_cat_database_check(c->srv->kv, db, err) != CM_OK) {
		err->severity = CM_SEV_FATAL;
		return CM_ERROR;
	}
	return CM_OK;
}

static void
send_startup_ok(pgw_conn *c, cm_buf *out)
{
	pgw_put_auth(out, PGW_AUTHREQ_OK, NULL, 0);
}

static void
report_cb(void *arg, const char *name, const char *value)
{
	pgw_put_parameter_status(arg, name, value);
}

/* Session set-up after authentication; FATAL errors in err. */
static cm_status
open_session(pgw_conn *c, bool superuser, cm_error *err)
{
	cm_buf out;
	cm_buf_init(&out);
	send_startup_ok(c, &out);
	if (database_check(c, c->database, err) != CM_OK) {
		(void) send_now(c, &out);
		cm_buf_free(&out);
		return CM_ERROR;
	}
	sql_session_params sp = {
		.user = c->user,
		.database = c->database,
		.superuser = superuser,
		.backend_pid = c->pid,
		.default_timezone = c->srv->cfg.default_timezone,
		.results_buffer_size = c->srv->cfg.results_buffer_size,
	};
	c->session = sql_session_new(&sp);
	for (int i = 0; i < c->nstartup; i++) {
		if (sql_session_apply_startup(c->session, c->startup_names[i], c->startup_values[i], err) != CM_OK) {
			(void) send_now(c, &out);
			cm_buf_free(&out);
			err->severity = CM_SEV_FATAL;
			return CM_ERROR;
		}
	}
	sql_session_report_all(c->session, report_cb, &out);
	pgw_put_backend_key(&out, c->pid, c->secret);
	pgw_put_ready(&out, 'I');
	cm_status st = send_now(c, &out);
	cm_buf_free(&out);
	return st == CM_OK ? CM_OK : CM_CLOSED;
}

static void
read_loop(pgw_conn *c)
{
	size_t max = c->srv->cfg.max_message_size;
	for (;;) {
		/* Parse every complete message already buffered, then wake the
		 * executor once, then block for more input. */
		size_t consumed = 0;
		for (;;) {
			uint8_t type;
			size_t body_len, total;
			pgw_frame f = pgw_frame_check(c->in.data + consumed, c->in.len - consumed, max, &type, &body_len, &total);
			if (f == PGW_FRAME_INCOMPLETE)
				break;
			if (f != PGW_FRAME_READY) {
				cm_error err = {0};
				if (f == PGW_FRAME_TOO_LONG)
					cm_error_setf_sev(&err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION,
									  "invalid message length: message of %zu bytes exceeds the limit of %zu bytes",
									  body_len, max);
				else
					cm_error_setf_sev(&err, CM_SEV_FATAL, CM_E_PROTOCOL_VIOLATION, "invalid message length");
				push_error(c, &err, true);
				sql_stmtbuf_close(c->stmtbuf, false);
				sql_stmtbuf_notify(c->stmtbuf);
				return;
			}
			cm_status st = on_message(c, type, c->in.data + consumed + 5, body_len);
			consumed += total;
			if (st == CM_CLOSED) {
				sql_stmtbuf_close(c->stmtbuf, false);
				return;
			}
		}
		if (consumed)
			cm_buf_consume(&c->in, consumed);
		sql_stmtbuf_notify(c->stmtbuf);
		if (fill(c) != CM_OK) {
			if (atomic_load(&c->drain_cancelled)) {
				/* Our own drain shut the input: let the executor reach the
				 * DrainRequest and say 57P01 before the close. */
				sql_stmtbuf_close(c->stmtbuf, false);
				return;
			}
			/* End of stream: the client is gone; stop what it started. */
			if (!atomic_load(&c->executor_done))
				atomic_store(&c->cancel, SQL_CANCEL_CLIENT_GONE);
			sql_stmtbuf_close(c->stmtbuf, true);
			return;
		}
	}
}

static void
conn_free(pgw_conn *c)
{
	registry_remove(c);
	pgw_tr_close(&c->tr);
	cm_buf_free(&c->in);
	pgw_comm_free(&c->comm);
	sql_session_free(c->session);
	sql_stmtbuf_free(c->stmtbuf);
	sql_shapeset_free(c->shapes);
	for (int i = 0; i < c->nstartup; i++) {
		free(c->startup_names[i]);
		free(c->startup_values[i]);
	}
	free(c->startup_names);
	free(c->startup_values);
	free(c->user);
	free(c->database);
	free(c->application_name);
	free(c);
}

static void *
reader_main(void *arg)
{
	pgw_conn *c = arg;
	cm_error err = {0};
	bool superuser = false;
	cm_status st = startup(c, &err);
	if (st == CM_OK && atomic_load(&c->srv->rejecting))
		st = cm_error_setf_sev(&err, CM_SEV_FATAL, CM_E_CANNOT_CONNECT_NOW, "the database system is shutting down");
	if (st == CM_OK)
		st = registry_add(c, &err);
	if (st == CM_OK)
		st = authenticate(c, &superuser, &err);
	if (st == CM_OK)
		st = open_session(c, superuser, &err);
	if (st == CM_ERROR)
		send_fatal(c, &err);
	cm_error_clear(&err);
	if (st == CM_OK) {
		CM_LOG(CM_LOG_DEBUG, "conn=%llu user=%s db=%s peer=%s session started", (unsigned long long) c->id, c->user,
			   c->database, c->peer_text);
		sql_stmtbuf *sb = sql_stmtbuf_new();
		pgw_comm_init(&c->comm, &c->tr);
		/* Publish the StmtBuf under the registry lock, so a drain that starts
		 * now either sees it or has already marked the server draining. */
		pthread_mutex_lock(&c->srv->mu);
		c->stmtbuf = sb;
		if (c->srv->draining)
			(void) sql_stmtbuf_push(sb, sql_cmd_new(SQL_CMD_DRAIN, 0));
		pthread_mutex_unlock(&c->srv->mu);
		if (!start_thread(&c->executor, executor_main, c, false, c->cpu)) {
			cm_error_setf_sev(&err, CM_SEV_FATAL, CM_E_INSUFFICIENT_RESOURCES, "could not start session thread");
			send_fatal(c, &err);
			cm_error_clear(&err);
		} else {
			c->executor_started = true;
			read_loop(c);
			pthread_join(c->executor, NULL);
		}
	}
	conn_free(c);
	return NULL;
}

cm_status
pgw_conn_start(pgw_server *s, int fd, const struct sockaddr *peer, socklen_t peer_len, bool is_unix)
{
	pgw_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return CM_ERROR;
	}
	c->srv = s;
	c->id = atomic_fetch_add(&s->next_id, 1);
	c->cpu = getenv("PGKV_PIN") ? (int) (c->id % (uint64_t) sysconf(_SC_NPROCESSORS_ONLN)) : -1;
	pgw_tr_init(&c->tr, fd);
	c->is_unix = is_unix;
	cm_buf_init(&c->in);
	atomic_init(&c->cancel, 0);
	atomic_init(&c->executor_done, false);
	atomic_init(&c->drain_cancelled, false);
	if (!is_unix) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (peer && peer_len <= sizeof(c->peer)) {
		memcpy(&c->peer, peer, peer_len);
		c->peer_len = peer_len;
	}
	if (is_unix)
		snprintf(c->peer_text, sizeof(c->peer_text), "[local]");
	else if (peer && peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) peer)->sin_addr, c->peer_text, sizeof(c->peer_text));
	else if (peer && peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) peer)->sin6_addr, c->peer_text, sizeof(c->peer_text));
	pthread_t t;
	if (!start_thread(&t, reader_main, c, true, c->cpu)) {
		pgw_tr_close(&c->tr);
		cm_buf_free(&c->in);
		free(c);
		return CM_ERROR;
	}
	return CM_OK;
}
