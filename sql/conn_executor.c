/*
 * conn_executor.c -- the connExecutor (see conn_executor.h, DESIGN.md §2).
 *
 * The loop: take the command at the StmtBuf cursor, run it, advance.  After
 * an error the rest of the batch is skipped up to the next Sync (PostgreSQL
 * semantics).  Transaction state changes go through txn_transition(), the one
 * place that knows which transitions are legal.
 *
 * Statement dispatch (what a statement does) lives in dispatch.c; this file
 * is about protocol flow: prepared statements, portals, batches, the
 * transaction state machine, flushing and trimming.
 */
#include "sql/conn_executor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include "common/cm_log.h"
#include "common/cm_metrics.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/catalog/sql_catalog.h"
#include "sql/dispatch.h"
#include "sql/executor_internal.h"
#include "sql/plancache.h"

/* ---------- helpers ---------- */

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *
txn_state_name(sql_txn_state s)
{
	switch (s) {
	case SQL_TXN_NONE: return "NoTxn";
	case SQL_TXN_OPEN: return "Open";
	case SQL_TXN_ABORTED: return "Aborted";
	case SQL_TXN_COMMIT_WAIT: return "CommitWait";
	}
	return "?";
}

/*
 * The one transition function of the transaction state machine.  Aborts on
 * an illegal transition: that is a bug in the executor, not a user error.
 */
static void retry_portals(sql_executor *ex);

/* default_transaction_isolation / _read_only as the session has them now. */
static void
load_txn_defaults(sql_executor *ex)
{
	const char *iso = sql_session_get(ex->session, "default_transaction_isolation");
	if (iso == NULL || !sql_isolation_parse(iso, &ex->default_iso))
		ex->default_iso = SQL_ISO_READ_COMMITTED;
	const char *ro = sql_session_get(ex->session, "default_transaction_read_only");
	ex->default_read_only = ro && strcmp(ro, "on") == 0;
}

/*
 * A statement of the open transaction failed.  As PostgreSQL aborts the
 * (sub)transaction at once, release what it holds now rather than at the
 * client's ROLLBACK: the whole KV transaction when there is no savepoint
 * (or the transaction is implicit), else everything since the innermost
 * savepoint -- the locks it took are what other sessions may be waiting for
 * (a deadlock victim must let the other participant proceed).
 */
void
sql_executor_pop_savepoints(sql_executor *ex, int keep)
{
	while (ex->nsavepoints > keep) {
		ex->nsavepoints--;
		free(ex->savepoints[ex->nsavepoints]);
		ex->savepoints[ex->nsavepoints] = NULL;
		sql_dispatch_sp_settings_free(ex->sp_settings[ex->nsavepoints]);
		ex->sp_settings[ex->nsavepoints] = NULL;
	}
}

static void
release_after_error(sql_executor *ex)
{
	if (ex->kvtxn == NULL)
		return;
	cm_error ignore = {0};
	if (!ex->implicit && ex->nsavepoints > 0) {
		if (kv_txn_rollback_to(ex->kvtxn, ex->kv_savepoints[ex->nsavepoints - 1], &ignore) == KV_OK) {
			cm_error_clear(&ignore);
			return;
		}
		cm_error_clear(&ignore);
		/* the savepoints cannot be rolled back to any more */
		sql_executor_pop_savepoints(ex, 0);
	}
	(void) sql_dispatch_rollback(ex, &ignore);
	cm_error_clear(&ignore);
}

void
sql_txn_transition(sql_executor *ex, sql_txn_event ev)
{
	sql_txn_state from = ex->txn;
	switch (ev) {
	case SQL_EV_BEGIN_IMPLICIT:
		if (from != SQL_TXN_NONE)
			goto illegal;
		ex->txn = SQL_TXN_OPEN;
		ex->implicit = true;
		ex->txn_rewind_pos = ex->cur_pos;
		sql_session_txn_begin(ex->session);
		load_txn_defaults(ex);
		ex->txn_iso = ex->default_iso;
		ex->txn_read_only = ex->default_read_only;
		ex->txn_stmts = 0;
		ex->txn_prep_changed = false;
		break;
	case SQL_EV_BEGIN_EXPLICIT:
		if (from != SQL_TXN_NONE)
			goto illegal;
		ex->txn = SQL_TXN_OPEN;
		ex->implicit = false;
		ex->txn_rewind_pos = ex->cur_pos + 1;
		sql_session_txn_begin(ex->session);
		load_txn_defaults(ex);
		ex->txn_iso = ex->default_iso;
		ex->txn_read_only = ex->default_read_only;
		ex->txn_stmts = 0;
		ex->txn_prep_changed = false;
		ex->txn_retries = 0;
		break;
	case SQL_EV_UPGRADE:
		if (from != SQL_TXN_OPEN || !ex->implicit)
			goto illegal;
		ex->implicit = false;
		break;
	case SQL_EV_COMMIT:
	case SQL_EV_ROLLBACK:
		if (from == SQL_TXN_NONE)
			goto illegal;
		ex->txn_retries = 0;
		sql_session_txn_end(ex->session, ev == SQL_EV_COMMIT && from != SQL_TXN_ABORTED);
		ex->txn = SQL_TXN_NONE;
		ex->implicit = false;
		sql_executor_pop_savepoints(ex, 0);
		sql_executor_close_txn_portals(ex);
		break;
	case SQL_EV_ERROR:
		if (from == SQL_TXN_NONE)
			break;
		release_after_error(ex);
		if (from == SQL_TXN_OPEN && ex->implicit) {
			sql_session_txn_end(ex->session, false);
			ex->txn_retries = 0;
			ex->txn = SQL_TXN_NONE;
			ex->implicit = false;
			sql_executor_pop_savepoints(ex, 0);
			sql_executor_close_txn_portals(ex);
		} else
			ex->txn = SQL_TXN_ABORTED;
		break;
	case SQL_EV_SAVEPOINT_ROLLBACK:
		if (from != SQL_TXN_OPEN && from != SQL_TXN_ABORTED)
			goto illegal;
		ex->txn = SQL_TXN_OPEN;
		break;
	case SQL_EV_RETRY:
		/* Undo everything since the rewind point; an explicit transaction
		 * stays open (its BEGIN is before the rewind point), an implicit one
		 * starts again when its first statement is replayed. */
		if (from != SQL_TXN_OPEN)
			goto illegal;
		sql_session_txn_end(ex->session, false);
		retry_portals(ex);
		sql_executor_pop_savepoints(ex, 0);
		if (ex->implicit) {
			ex->txn = SQL_TXN_NONE;
			ex->implicit = false;
		} else {
			sql_session_txn_begin(ex->session);
			ex->txn_stmts = 0;
		}
		break;
	}
	sql_session_set_txn_chars(ex->session, ex->txn == SQL_TXN_NONE ? ex->default_iso : ex->txn_iso,
							  ex->txn == SQL_TXN_NONE ? ex->default_read_only : ex->txn_read_only,
							  false);
	return;
illegal:
	CM_LOG(CM_LOG_ERROR, "illegal transaction transition %d from %s", (int) ev, txn_state_name(from));
	abort();
}

char
sql_executor_txn_status(const sql_executor *ex)
{
	switch (ex->txn) {
	case SQL_TXN_NONE: return 'I';
	case SQL_TXN_ABORTED: return 'E';
	default: return ex->implicit ? 'I' : 'T';
	}
}

/* ---------- prepared statements and portals ---------- */

static sql_prepared *
prep_find(sql_executor *ex, const char *name)
{
	for (sql_prepared *p = ex->prepared; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void
sql_prepared_release(sql_prepared *p)
{
	if (p == NULL || --p->refs > 0)
		return;
	sql_parsed_release(p->parsed);
	cm_arena_destroy(p->arena);
}

static void
prep_remove(sql_executor *ex, sql_prepared *p)
{
	for (sql_prepared **pp = &ex->prepared; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			sql_prepared_release(p);
			return;
		}
}

cm_status
sql_executor_deallocate(sql_executor *ex, const char *name, cm_error *err)
{
	if (name == NULL || name[0] == '\0') {
		while (ex->prepared)
			prep_remove(ex, ex->prepared);
		return CM_OK;
	}
	sql_prepared *p = prep_find(ex, name);
	if (p == NULL)
		return cm_error_set(err, CM_E_INVALID_SQL_STATEMENT_NAME,
							"prepared statement \"%s\" does not exist", name);
	prep_remove(ex, p);
	return CM_OK;
}

sql_portal *
sql_executor_find_portal(sql_executor *ex, const char *name)
{
	for (sql_portal *p = ex->portals; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void
sql_executor_portal_free(sql_portal *p)
{
	sql_prepared_release(p->prep);
	if (p->arena != p->bind_arena)
		cm_arena_destroy(p->arena);
	cm_arena_destroy(p->bind_arena);
}

/* Back to "bound, not started": drop everything the execution made. */
static void
portal_reset(sql_portal *p)
{
	if (p->arena != p->bind_arena)
		cm_arena_destroy(p->arena);
	p->arena = p->bind_arena;
	p->sem.arena = p->bind_arena;
	p->started = p->done = p->pending_row = false;
	p->nrows = 0;
	p->cursor = NULL;
	p->rowbuf = NULL;
	p->rows = NULL;
	p->nmat = p->next_mat = 0;
	p->tag[0] = '\0';
}

/* An automatic retry replays the StmtBuf from the transaction's rewind
 * point: portals bound inside that window are bound again by the replay
 * (drop them); portals bound before it (an implicit transaction that began
 * at an Execute) run again from the start (reset them). */
static void
retry_portals(sql_executor *ex)
{
	for (sql_portal *p = ex->portals, *next; p; p = next) {
		next = p->next;
		if (p->created_pos >= ex->txn_rewind_pos && p != ex->active_portal)
			sql_executor_remove_portal(ex, p);
		else
			portal_reset(p);
	}
}

void
sql_executor_remove_portal(sql_executor *ex, sql_portal *p)
{
	for (sql_portal **pp = &ex->portals; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			sql_executor_portal_free(p);
			return;
		}
}

void
sql_executor_close_all_portals(sql_executor *ex)
{
	while (ex->portals)
		sql_executor_remove_portal(ex, ex->portals);
}

void
sql_executor_close_txn_portals(sql_executor *ex)
{
	/* Portals do not outlive their transaction (no holdable cursors yet) --
	 * except the one running right now (a COMMIT or ROLLBACK executed through
	 * the extended protocol): it is closed by its owner when it finishes. */
	for (sql_portal *p = ex->portals, *next; p; p = next) {
		next = p->next;
		if (p != ex->active_portal)
			sql_executor_remove_portal(ex, p);
	}
}

/* A new portal for p (takes a reference on p), not yet in the portal list. */
sql_portal *
sql_executor_new_portal(sql_executor *ex, const char *name, sql_prepared *p)
{
	cm_arena *arena = cm_arena_create(8192);
	sql_portal *po = cm_new(arena, sql_portal);
	po->arena = po->bind_arena = arena;
	po->created_pos = ex->cur_pos;
	po->name = cm_strdup(arena, name);
	po->prep = p;
	p->refs++;
	return po;
}

void
sql_executor_add_portal(sql_executor *ex, sql_portal *po)
{
	po->next = ex->portals;
	ex->portals = po;
}

/* Build a prepared statement from a statement node of parsed (NULL = empty
 * query).  Takes its own reference on parsed. */
cm_status
sql_executor_prepare(sql_executor *ex, const char *name, sql_parsed *parsed, PgQuery__Node *stmt,
					 const char *text, size_t text_len, int nparams, const uint32_t *param_oids,
					 sql_prepared **out, cm_error *err)
{
	cm_arena *arena = cm_arena_create(4096);
	sql_prepared *p = cm_new(arena, sql_prepared);
	p->arena = arena;
	p->refs = 1;
	p->name = cm_strdup(arena, name);
	p->parsed = parsed;
	sql_parsed_retain(parsed);
	p->stmt = stmt;
	p->text = stmt ? cm_strndup(arena, text, text_len) : "";
	p->given_nparams = nparams;
	p->given_param_oids = nparams ? cm_memdup(arena, param_oids, sizeof(uint32_t) * (size_t) nparams) : NULL;
	if (sql_dispatch_prepare(ex, p, err) != CM_OK) {
		sql_prepared_release(p);
		return CM_ERROR;
	}
	*out = p;
	return CM_OK;
}

/* ---------- the KV transaction ---------- */

cm_status
sql_executor_kv_txn(sql_executor *ex, kv_txn **out, cm_error *err)
{
	if (ex->kvtxn) {
		*out = ex->kvtxn;
		return CM_OK;
	}
	if (ex->cfg->kv == NULL)
		return cm_error_set(err, CM_E_CANNOT_CONNECT_NOW, "the store is not open");
	kv_txn_options o;
	kv_txn_options_init(&o);
	/* READ COMMITTED reads a fresh snapshot per statement; the stronger levels
	 * read the transaction's snapshot.  Writes lock pessimistically. */
	o.mode = KV_TXN_PESSIMISTIC;
	o.isolation = ex->txn_iso <= SQL_ISO_READ_COMMITTED ? KV_ISO_RC : KV_ISO_SI;
	o.cancel = ex->cfg->cancel;
	cm_buf fence;
	cm_buf_init(&fence);
	if (ex->txn_iso == SQL_ISO_SERIALIZABLE) {
		/* SERIALIZABLE = snapshot isolation + read validation at commit,
		 * serialised by one fence key per store (kv/txn/kv_readset.c) */
		static const char name[] = "pgkv_serializable_fence";
		kv_meta_string_key(&fence, name, sizeof(name) - 1);
		o.validate_reads = true;
		o.fence_key = (const uint8_t *) fence.data;
		o.fence_len = fence.len;
	}
	kv_err ke = kv_txn_begin(ex->cfg->kv, &o, &ex->kvtxn, err);
	cm_buf_free(&fence);
	if (ke != KV_OK) {
		ex->kvtxn = NULL;
		return CM_ERROR;
	}
	*out = ex->kvtxn;
	return CM_OK;
}

void
sql_executor_fill_sem(sql_executor *ex, sem_ctx *ctx)
{
	sql_session_fill_sem(ex->session, ctx);
	if (ex->cat) {
		sql_cat_session_set_search_path(ex->cat, sql_session_get(ex->session, "search_path"));
		sql_cat_session_fill_sem(ex->cat, ctx);
	}
}

static cm_status
cat_get_txn(void *arg, kv_txn **out, cm_error *err)
{
	return sql_executor_kv_txn(arg, out, err);
}

/* ---------- output ---------- */

void
sql_executor_send_error(sql_executor *ex, const cm_error *err, const char *query, size_t query_len)
{
	ex->comm->vt->error(ex->comm, err, query, query_len);
	if (ex->cfg->on_error && err->severity >= CM_SEV_ERROR)
		ex->cfg->on_error(ex->cfg->hook_arg, err);
}

void
sql_executor_notice(sql_executor *ex, const char *code, const char *fmt, ...)
{
	cm_error n = {0};
	va_list ap;
	va_start(ap, fmt);
	cm_error_vset(&n, CM_SEV_WARNING, code, fmt, ap);
	va_end(ap);
	ex->comm->vt->error(ex->comm, &n, NULL, 0);
	cm_error_clear(&n);
}

void
sql_executor_notice_sev(sql_executor *ex, cm_severity sev, const char *code, const char *fmt, ...)
{
	cm_error n = {0};
	va_list ap;
	va_start(ap, fmt);
	cm_error_vset(&n, sev, code, fmt, ap);
	va_end(ap);
	ex->comm->vt->error(ex->comm, &n, NULL, 0);
	cm_error_clear(&n);
}

static void
report_param(void *arg, const char *name, const char *value)
{
	sql_executor *ex = arg;
	ex->comm->vt->parameter_status(ex->comm, name, value);
}

static cm_status
flush(sql_executor *ex)
{
	if (ex->comm->vt->flush(ex->comm) != CM_OK) {
		ex->io_failed = true;
		return CM_ERROR;
	}
	return CM_OK;
}

/* Flush when the buffer passes results_buffer_size; from then on this
 * transaction's results have been seen and it cannot be retried. */
cm_status
sql_executor_maybe_flush(sql_executor *ex)
{
	if ((int64_t) ex->comm->vt->buffered(ex->comm) < ex->results_buffer_size)
		return CM_OK;
	return flush(ex);
}

/* ---------- statement execution ---------- */

bool
sql_executor_try_retry(sql_executor *ex, const cm_error *err)
{
	if (!cm_error_is(err, CM_E_SERIALIZATION_FAILURE) || ex->txn != SQL_TXN_OPEN || ex->txn_prep_changed)
		return false;
	const char *lim = sql_session_get(ex->session, "auto_retry_limit");
	if (ex->txn_retries >= (lim ? atoi(lim) : 10))
		return false;
	/* Only if no byte of this transaction's results has left the process. */
	if (ex->comm->vt->flushed_pos(ex->comm) >= ex->txn_rewind_pos ||
		!ex->comm->vt->rtrim(ex->comm, ex->txn_rewind_pos))
		return false;
	cm_error ignore = {0};
	(void) sql_dispatch_rollback(ex, &ignore);
	cm_error_clear(&ignore);
	sql_txn_transition(ex, SQL_EV_RETRY);
	ex->txn_retries++;
	ex->session_retries++;
	cm_metrics_inc(CM_M_TXN_RETRIES, 0);
	/* Back off with jitter: 1, 2, 4 ... ms, capped at 100 ms. */
	int64_t cap = 1000LL << (ex->txn_retries < 7 ? ex->txn_retries - 1 : 6);
	struct timespec ts = {0, (long) (cap / 2 + (int64_t) (random() % (cap / 2 + 1))) * 1000L};
	nanosleep(&ts, NULL);
	sql_stmtbuf_rewind(ex->stmtbuf, ex->txn_rewind_pos);
	ex->rewound = true;
	return true;
}

/* A CancelRequest aims at the statement running when it arrives; a new
 * statement starts uncancelled.  Drain and client-gone cancels stay. */
static void
clear_cancel_request(sql_executor *ex)
{
	int expect = SQL_CANCEL_REQUEST;
	if (!atomic_compare_exchange_strong(ex->cfg->cancel, &expect, SQL_CANCEL_NONE)) {
		expect = SQL_CANCEL_TIMEOUT;
		atomic_compare_exchange_strong(ex->cfg->cancel, &expect, SQL_CANCEL_NONE);
	}
}

/* The statement has failed: report, move the state machine, skip the batch. */
static void
stmt_failed(sql_executor *ex, cm_error *err, const char *query, size_t query_len)
{
	if (ex->rewound || sql_executor_try_retry(ex, err))
		return;	/* replayed from the transaction's start: the client sees nothing */
	if (cm_error_is(err, CM_E_QUERY_CANCELED) && atomic_load(ex->cfg->cancel) == SQL_CANCEL_DRAIN) {
		/* The drain ran out of time and cancelled this session: as PostgreSQL's
		 * pg_terminate_backend, the statement ends with FATAL 57P01. */
		cm_error_clear(err);
		cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_ADMIN_SHUTDOWN, "terminating connection due to administrator command");
		ex->terminate = true;
	}
	sql_executor_send_error(ex, err, query, query_len);
	/* PostgreSQL sends an error at once, even without a Sync. */
	flush(ex);
	sql_txn_transition(ex, SQL_EV_ERROR);
	ex->skip_batch = true;
}

/* Does the statement change data or schema (refused in a READ ONLY
 * transaction)?  Decided by its command tag, as PostgreSQL's message is. */
static bool
writes_data(const sql_prepared *p)
{
	static const char *const prefixes[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER",
										   "TRUNCATE", "COMMENT", "GRANT", "REVOKE", "REINDEX"};
	if (p->tag == NULL)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(p->tag, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	/* COPY FROM writes, COPY TO reads */
	return strcmp(p->tag, "COPY") == 0 && p->stmt && p->stmt->node_case == PG_QUERY__NODE__NODE_COPY_STMT &&
		   p->stmt->copy_stmt->is_from;
}

/* Before running a statement: the aborted-transaction check and implicit
 * transaction start.  Returns false if the statement must not run (err set). */
static bool
stmt_prologue(sql_executor *ex, const sql_prepared *p, cm_error *err)
{
	if (ex->txn == SQL_TXN_ABORTED && !sql_dispatch_allowed_in_aborted(p)) {
		cm_error_set(err, CM_E_IN_FAILED_SQL_TRANSACTION,
					 "current transaction is aborted, commands ignored until end of transaction block");
		return false;
	}
	if (ex->txn == SQL_TXN_NONE && !sql_dispatch_is_txn_control(p))
		sql_txn_transition(ex, SQL_EV_BEGIN_IMPLICIT);
	if (ex->txn_read_only && writes_data(p)) {
		cm_error_set(err, CM_E_READ_ONLY_SQL_TRANSACTION, "cannot execute %s in a read-only transaction", p->tag);
		return false;
	}
	clear_cancel_request(ex);
	if (ex->kvtxn && !sql_dispatch_is_txn_control(p) && kv_txn_stmt_begin(ex->kvtxn, err) != KV_OK)
		return false;
	return true;
}

/* Run portal `po` up to max_rows (0 = all).  send_rowdesc for the simple
 * protocol.  Returns CM_OK when complete, CM_AGAIN when suspended. */
/* ---------- statement_timeout ---------- */

static void
on_statement_timeout(union sigval sv)
{
	atomic_int *cancel = sv.sival_ptr;
	int expect = SQL_CANCEL_NONE;
	atomic_compare_exchange_strong(cancel, &expect, SQL_CANCEL_TIMEOUT);
}

/* Arm the statement timer if statement_timeout is set (a POSIX timer whose
 * expiry sets the cancel flag; everything that waits checks that flag). */
static void
timeout_arm(sql_executor *ex)
{
	int64_t ms = sql_session_statement_timeout_ms(ex->session);
	if (ms <= 0)
		return;
	if (!ex->timer_made) {
		struct sigevent sev = {0};
		sev.sigev_notify = SIGEV_THREAD;
		sev.sigev_notify_function = on_statement_timeout;
		sev.sigev_value.sival_ptr = ex->cfg->cancel;
		if (timer_create(CLOCK_MONOTONIC, &sev, &ex->timer) != 0)
			return;
		ex->timer_made = true;
	}
	struct itimerspec its = {0};
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	timer_settime(ex->timer, 0, &its, NULL);
	ex->timer_armed = true;
}

static void
timeout_disarm(sql_executor *ex)
{
	if (!ex->timer_armed)
		return;
	struct itimerspec its = {0};
	timer_settime(ex->timer, 0, &its, NULL);
	ex->timer_armed = false;
	int expect = SQL_CANCEL_TIMEOUT;
	atomic_compare_exchange_strong(ex->cfg->cancel, &expect, SQL_CANCEL_NONE);
}

static cm_status run_portal_timed(sql_executor *ex, sql_portal *po, int32_t max_rows, bool send_rowdesc,
								  cm_error *err);

static cm_status
run_portal(sql_executor *ex, sql_portal *po, int32_t max_rows, bool send_rowdesc, cm_error *err)
{
	timeout_arm(ex);
	sql_portal *outer = ex->active_portal;
	ex->active_portal = po;
	cm_status st = run_portal_timed(ex, po, max_rows, send_rowdesc, err);
	ex->active_portal = outer;
	if (st == CM_ERROR && cm_error_is(err, CM_E_QUERY_CANCELED) &&
		atomic_load(ex->cfg->cancel) == SQL_CANCEL_TIMEOUT) {
		cm_error_clear(err);
		cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to statement timeout");
	}
	timeout_disarm(ex);
	return st;
}

static cm_status
run_portal_timed(sql_executor *ex, sql_portal *po, int32_t max_rows, bool send_rowdesc, cm_error *err)
{
	int64_t t0 = now_us();
	if (!po->started) {
		if (!stmt_prologue(ex, po->prep, err))
			return CM_ERROR;
		po->started = true;
		if (sql_dispatch_start(ex, po, err) != CM_OK)
			return CM_ERROR;
		if (send_rowdesc && po->ncols > 0)
			ex->comm->vt->row_description(ex->comm, po->ncols, po->cols);
	} else if (po->done) {
		/* PostgreSQL answers an Execute of a finished portal with an empty completion. */
		ex->comm->vt->command_complete(ex->comm, po->tag);
		return CM_OK;
	} else
		clear_cancel_request(ex);
	cm_status st = sql_dispatch_fetch(ex, po, max_rows, err);
	if (st == CM_ERROR)
		return CM_ERROR;
	if (st == CM_AGAIN) {
		ex->comm->vt->portal_suspended(ex->comm);
		return CM_AGAIN;
	}
	po->done = true;
	ex->comm->vt->command_complete(ex->comm, po->tag);
	if (ex->cfg->on_statement)
		ex->cfg->on_statement(ex->cfg->hook_arg, po->tag, now_us() - t0);
	return CM_OK;
}

static void
cmd_exec_stmt(sql_executor *ex, sql_cmd *cmd)
{
	sql_parsed *parsed = cmd->u.exec.parsed;
	cm_error err = {0};
	if (cmd->u.exec.index < 0) {
		ex->comm->vt->empty_query(ex->comm);
		return;
	}
	sql_prepared *p = NULL;
	if (ex->txn == SQL_TXN_ABORTED) {
		/* Do not even plan: PostgreSQL checks the aborted state first. */
		PgQuery__Node *n = sql_parsed_stmt(parsed, cmd->u.exec.index);
		if (!sql_dispatch_node_allowed_in_aborted(n)) {
			cm_error_set(&err, CM_E_IN_FAILED_SQL_TRANSACTION,
						 "current transaction is aborted, commands ignored until end of transaction block");
			stmt_failed(ex, &err, NULL, 0);
			cm_error_clear(&err);
			return;
		}
	}
	size_t tlen;
	const char *text = sql_parsed_stmt_text(parsed, cmd->u.exec.index, &tlen);
	if (sql_executor_prepare(ex, "", parsed, sql_parsed_stmt(parsed, cmd->u.exec.index), text, tlen, 0, NULL, &p,
							 &err) != CM_OK) {
		stmt_failed(ex, &err, parsed->query, parsed->query_len);
		cm_error_clear(&err);
		return;
	}
	sql_portal *po = sql_executor_new_portal(ex, "", p);
	sql_prepared_release(p);	/* the portal holds it now */
	po->simple = true;
	if (sql_dispatch_bind(ex, po, NULL, &err) != CM_OK ||
		run_portal(ex, po, 0, true, &err) == CM_ERROR) {
		stmt_failed(ex, &err, parsed->query, parsed->query_len);
		cm_error_clear(&err);
	}
	sql_executor_portal_free(po);
}

static void
cmd_prepare(sql_executor *ex, sql_cmd *cmd)
{
	cm_error err = {0};
	const char *name = cmd->u.prepare.name;
	const char *query = cmd->u.prepare.query;
	size_t qlen = strlen(query);
	if (name[0] != '\0' && prep_find(ex, name)) {
		cm_error_set(&err, CM_E_DUPLICATE_PREPARED_STATEMENT, "prepared statement \"%s\" already exists", name);
		goto fail;
	}
	/* [plancache] an unnamed statement parsed and planned before with the
	 * same text, parameter types, settings and catalog is reused as it is
	 * (sql/plancache.h) */
	sql_parse_key key = {.query = query, .len = qlen, .nparams = cmd->u.prepare.nparams,
						 .oids = cmd->u.prepare.param_oids};
	if (name[0] == '\0' && ex->txn != SQL_TXN_ABORTED) {
		sql_prepared *hit = NULL;
		if (sql_plancache_parse_lookup(ex, &key, &hit, &err) != CM_OK)
			goto fail;
		if (hit) {
			sql_prepared *old = prep_find(ex, "");
			if (old)
				prep_remove(ex, old);
			hit->next = ex->prepared;
			ex->prepared = hit;
			ex->comm->vt->parse_complete(ex->comm);
			return;
		}
	}
	sql_parsed *parsed = NULL;
	if (sql_parse(query, qlen, &parsed, &err) != CM_OK)
		goto fail_q;
	if (sql_parsed_nstmts(parsed) > 1) {
		sql_parsed_release(parsed);
		cm_error_set(&err, CM_E_SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement");
		goto fail;
	}
	if (ex->txn == SQL_TXN_ABORTED && sql_parsed_nstmts(parsed) == 1 &&
		!sql_dispatch_node_allowed_in_aborted(sql_parsed_stmt(parsed, 0))) {
		sql_parsed_release(parsed);
		cm_error_set(&err, CM_E_IN_FAILED_SQL_TRANSACTION,
					 "current transaction is aborted, commands ignored until end of transaction block");
		goto fail;
	}
	sql_prepared *p = NULL;
	PgQuery__Node *stmt = sql_parsed_nstmts(parsed) ? sql_parsed_stmt(parsed, 0) : NULL;
	size_t tlen = 0;
	const char *text = stmt ? sql_parsed_stmt_text(parsed, 0, &tlen) : "";
	cm_status st = sql_executor_prepare(ex, name, parsed, stmt, text, tlen, cmd->u.prepare.nparams,
										cmd->u.prepare.param_oids, &p, &err);
	sql_parsed_release(parsed);
	if (st != CM_OK)
		goto fail_q;
	if (name[0] == '\0') {
		sql_prepared *old = prep_find(ex, "");
		if (old)
			prep_remove(ex, old);
		sql_plancache_parse_store(ex, &key, p);
	}
	p->next = ex->prepared;
	ex->prepared = p;
	ex->comm->vt->parse_complete(ex->comm);
	return;
fail_q:
	stmt_failed(ex, &err, query, qlen);
	cm_error_clear(&err);
	return;
fail:
	stmt_failed(ex, &err, NULL, 0);
	cm_error_clear(&err);
}

static void
cmd_bind(sql_executor *ex, sql_cmd *cmd)
{
	cm_error err = {0};
	const char *pname = cmd->u.bind.portal;
	sql_prepared *p = prep_find(ex, cmd->u.bind.stmt);
	if (p == NULL) {
		if (cmd->u.bind.stmt[0])
			cm_error_set(&err, CM_E_INVALID_SQL_STATEMENT_NAME, "prepared statement \"%s\" does not exist",
						 cmd->u.bind.stmt);
		else
			cm_error_set(&err, CM_E_INVALID_SQL_STATEMENT_NAME, "unnamed prepared statement does not exist");
		goto fail;
	}
	if (ex->txn == SQL_TXN_ABORTED && !sql_dispatch_allowed_in_aborted(p)) {
		cm_error_set(&err, CM_E_IN_FAILED_SQL_TRANSACTION,
					 "current transaction is aborted, commands ignored until end of transaction block");
		goto fail;
	}
	if (pname[0] != '\0' && sql_executor_find_portal(ex, pname)) {
		cm_error_set(&err, CM_E_DUPLICATE_CURSOR, "portal \"%s\" already exists", pname);
		goto fail;
	}
	if (cmd->u.bind.nparams != p->nparams) {
		cm_error_set(&err, CM_E_PROTOCOL_VIOLATION,
					 "bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
					 cmd->u.bind.nparams, p->name, p->nparams);
		goto fail;
	}
	if (cmd->u.bind.nformats != 0 && cmd->u.bind.nformats != 1 && cmd->u.bind.nformats != cmd->u.bind.nparams) {
		cm_error_set(&err, CM_E_PROTOCOL_VIOLATION, "bind message has %d parameter formats but %d parameters",
					 cmd->u.bind.nformats, cmd->u.bind.nparams);
		goto fail;
	}
	if (pname[0] == '\0') {
		sql_portal *old = sql_executor_find_portal(ex, "");
		if (old)
			sql_executor_remove_portal(ex, old);
	}
	sql_portal *po = sql_executor_new_portal(ex, pname, p);
	if (sql_dispatch_bind(ex, po, &cmd->u.bind, &err) != CM_OK) {
		sql_executor_portal_free(po);
		goto fail;
	}
	sql_executor_add_portal(ex, po);
	ex->comm->vt->bind_complete(ex->comm);
	return;
fail:
	stmt_failed(ex, &err, NULL, 0);
	cm_error_clear(&err);
}

static void
cmd_describe(sql_executor *ex, sql_cmd *cmd)
{
	cm_error err = {0};
	const char *name = cmd->u.describe.name;
	if (cmd->u.describe.kind == 'S') {
		sql_prepared *p = prep_find(ex, name);
		if (p == NULL) {
			if (name[0])
				cm_error_set(&err, CM_E_INVALID_SQL_STATEMENT_NAME, "prepared statement \"%s\" does not exist", name);
			else
				cm_error_set(&err, CM_E_INVALID_SQL_STATEMENT_NAME, "unnamed prepared statement does not exist");
			goto fail;
		}
		ex->comm->vt->parameter_description(ex->comm, p->nparams, p->param_types);
		if (p->ncols > 0)
			ex->comm->vt->row_description(ex->comm, p->ncols, p->cols);
		else
			ex->comm->vt->no_data(ex->comm);
		return;
	}
	if (cmd->u.describe.kind != 'P') {
		cm_error_set(&err, CM_E_PROTOCOL_VIOLATION, "invalid DESCRIBE message subtype %d", cmd->u.describe.kind);
		goto fail;
	}
	sql_portal *po = sql_executor_find_portal(ex, name);
	if (po == NULL) {
		cm_error_set(&err, CM_E_INVALID_CURSOR_NAME, "portal \"%s\" does not exist", name);
		goto fail;
	}
	if (po->ncols > 0)
		ex->comm->vt->row_description(ex->comm, po->ncols, po->cols);
	else
		ex->comm->vt->no_data(ex->comm);
	return;
fail:
	stmt_failed(ex, &err, NULL, 0);
	cm_error_clear(&err);
}

static void
cmd_exec_portal(sql_executor *ex, sql_cmd *cmd)
{
	cm_error err = {0};
	sql_portal *po = sql_executor_find_portal(ex, cmd->u.exec_portal.portal);
	if (po == NULL) {
		cm_error_set(&err, CM_E_INVALID_CURSOR_NAME, "portal \"%s\" does not exist", cmd->u.exec_portal.portal);
		stmt_failed(ex, &err, NULL, 0);
		cm_error_clear(&err);
		return;
	}
	if (po->prep->stmt == NULL) {
		ex->comm->vt->empty_query(ex->comm);
		return;
	}
	cm_status st = run_portal(ex, po, cmd->u.exec_portal.max_rows, false, &err);
	if (st == CM_ERROR) {
		stmt_failed(ex, &err, po->prep->parsed->query, po->prep->parsed->query_len);
		cm_error_clear(&err);
		if (!ex->rewound)	/* a retry runs this portal again */
			sql_executor_remove_portal(ex, po);
	}
}

static void
cmd_close(sql_executor *ex, sql_cmd *cmd)
{
	/* Closing something that does not exist is not an error. */
	if (cmd->u.describe.kind == 'S') {
		sql_prepared *p = prep_find(ex, cmd->u.describe.name);
		if (p)
			prep_remove(ex, p);
	} else if (cmd->u.describe.kind == 'P') {
		sql_portal *po = sql_executor_find_portal(ex, cmd->u.describe.name);
		if (po)
			sql_executor_remove_portal(ex, po);
	} else {
		cm_error err = {0};
		cm_error_set(&err, CM_E_PROTOCOL_VIOLATION, "invalid CLOSE message subtype %d", cmd->u.describe.kind);
		stmt_failed(ex, &err, NULL, 0);
		cm_error_clear(&err);
		return;
	}
	ex->comm->vt->close_complete(ex->comm);
}

/* Sync: end the implicit transaction, report settings, ReadyForQuery, flush. */
static void
cmd_sync(sql_executor *ex)
{
	if (ex->txn == SQL_TXN_OPEN && ex->implicit) {
		cm_error err = {0};
		if (sql_dispatch_commit(ex, &err) != CM_OK) {
			if (sql_executor_try_retry(ex, &err)) {
				cm_error_clear(&err);
				return;
			}
			sql_executor_send_error(ex, &err, NULL, 0);
			cm_error_clear(&err);
			sql_txn_transition(ex, SQL_EV_ROLLBACK);
		} else
			sql_txn_transition(ex, SQL_EV_COMMIT);
	}
	sql_session_changed_reports(ex->session, report_param, ex);
	ex->comm->vt->ready_for_query(ex->comm, sql_executor_txn_status(ex));
	flush(ex);
}

/* ---------- the loop ---------- */

/* Free commands the executor can no longer need: everything before the
 * cursor when outside a transaction, or when the transaction's results have
 * already reached the client (no retry possible). */
static void
maybe_trim(sql_executor *ex)
{
	int64_t cur = sql_stmtbuf_cur_pos(ex->stmtbuf);
	if (ex->txn == SQL_TXN_NONE || ex->comm->vt->flushed_pos(ex->comm) >= ex->txn_rewind_pos)
		sql_stmtbuf_ltrim(ex->stmtbuf, cur);
	else if (ex->txn_rewind_pos <= cur)
		sql_stmtbuf_ltrim(ex->stmtbuf, ex->txn_rewind_pos);
}

static void
send_fatal(sql_executor *ex, const char *code, const char *msg)
{
	cm_error e = {0};
	cm_error_setf_sev(&e, CM_SEV_FATAL, code, "%s", msg);
	sql_executor_send_error(ex, &e, NULL, 0);
	cm_error_clear(&e);
	flush(ex);
}

sql_exit_reason
sql_executor_run(const sql_executor_config *cfg)
{
	sql_executor exs = {0};
	sql_executor *ex = &exs;
	ex->cfg = cfg;
	ex->stmtbuf = cfg->stmtbuf;
	ex->comm = cfg->comm;
	ex->session = cfg->session;
	ex->txn = SQL_TXN_NONE;
	ex->default_iso = SQL_ISO_READ_COMMITTED;
	if (cfg->kv)
		ex->cat = sql_cat_session_new(cfg->kv, sql_session_database(ex->session), sql_session_user(ex->session),
									  cat_get_txn, ex);
	sql_exit_reason reason = SQL_EXIT_CLIENT_CLOSED;
	bool last_was_sync = true;

	for (;;) {
		sql_cmd *cmd = NULL;
		ex->results_buffer_size = sql_session_results_buffer_size(ex->session);
		int64_t idle_ms = -1;
		if (ex->txn != SQL_TXN_NONE && !sql_stmtbuf_has_cur(ex->stmtbuf)) {
			int64_t t = sql_session_idle_in_txn_timeout_ms(ex->session);
			if (t > 0)
				idle_ms = t;
		}
		cm_status st = sql_stmtbuf_cur_timed(ex->stmtbuf, idle_ms, &cmd);
		if (st == CM_CLOSED)
			break;
		if (st == CM_AGAIN) {
			send_fatal(ex, CM_E_IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
					   "terminating connection due to idle-in-transaction timeout");
			reason = SQL_EXIT_FATAL;
			break;
		}
		ex->cur_pos = cmd->pos;
		ex->comm->vt->begin_cmd(ex->comm, cmd->pos);

		if (ex->skip_batch) {
			/* After an error: discard everything up to the next Sync, which runs. */
			ex->skip_batch = false;
			if (cmd->type != SQL_CMD_SYNC) {
				bool drain = false;
				cm_status sst = sql_stmtbuf_seek_next_batch(ex->stmtbuf, &drain);
				if (drain)
					ex->draining = true;	/* honoured at the Sync we landed on */
				if (sst == CM_CLOSED)
					break;
				continue;
			}
		}

		switch (cmd->type) {
		case SQL_CMD_EXEC_STMT:
			cmd_exec_stmt(ex, cmd);
			break;
		case SQL_CMD_PREPARE:
			cmd_prepare(ex, cmd);
			break;
		case SQL_CMD_BIND:
			cmd_bind(ex, cmd);
			break;
		case SQL_CMD_DESCRIBE:
			cmd_describe(ex, cmd);
			break;
		case SQL_CMD_EXEC_PORTAL:
			cmd_exec_portal(ex, cmd);
			break;
		case SQL_CMD_DELETE_PREPARED:
			cmd_close(ex, cmd);
			break;
		case SQL_CMD_SYNC:
			cmd_sync(ex);
			break;
		case SQL_CMD_FLUSH:
			flush(ex);
			break;
		case SQL_CMD_COPY_DATA:
		case SQL_CMD_COPY_DONE:
		case SQL_CMD_COPY_FAIL:
			/* Outside COPY these are ignored, as PostgreSQL does. */
			break;
		case SQL_CMD_SEND_ERROR:
			if (cmd->u.send_error.fatal_close) {
				cmd->u.send_error.err.severity = CM_SEV_FATAL;
				sql_executor_send_error(ex, &cmd->u.send_error.err, NULL, 0);
				flush(ex);
				reason = SQL_EXIT_FATAL;
				goto out;
			}
			stmt_failed(ex, &cmd->u.send_error.err, NULL, 0);
			break;
		case SQL_CMD_DRAIN:
			/* The first request closes an idle session now and any other at its
			 * next Sync outside a transaction; a second one (the server's
			 * query_wait ran out and it cancelled the session) closes it now,
			 * rolling back an open transaction, so the client still gets 57P01
			 * rather than a bare close. */
			if ((ex->txn == SQL_TXN_NONE && last_was_sync) || ex->draining) {
				send_fatal(ex, CM_E_ADMIN_SHUTDOWN, "terminating connection due to administrator command");
				reason = SQL_EXIT_DRAINED;
				goto out;
			}
			ex->draining = true;
			break;
		}
		if (ex->io_failed) {
			reason = SQL_EXIT_IO_ERROR;
			break;
		}
		if (ex->terminate) {
			reason = SQL_EXIT_DRAINED;
			break;
		}
		if (cmd->type != SQL_CMD_DRAIN)
			last_was_sync = cmd->type == SQL_CMD_SYNC;
		if (cmd->type == SQL_CMD_SYNC && ex->draining && ex->txn == SQL_TXN_NONE) {
			send_fatal(ex, CM_E_ADMIN_SHUTDOWN, "terminating connection due to administrator command");
			reason = SQL_EXIT_DRAINED;
			break;
		}
		if (ex->rewound) {
			/* The cursor is back at the transaction's start: run from there. */
			ex->rewound = false;
			continue;
		}
		if (ex->txn == SQL_TXN_OPEN) {
			bool replay_safe = cmd->type == SQL_CMD_SYNC || cmd->type == SQL_CMD_FLUSH ||
							   cmd->type == SQL_CMD_DESCRIBE || cmd->type == SQL_CMD_PREPARE ||
							   cmd->type == SQL_CMD_DELETE_PREPARED;
			if (cmd->pos == ex->txn_rewind_pos && replay_safe)
				/* Nothing to replay here: keep the retry window after it. */
				ex->txn_rewind_pos = cmd->pos + 1;
			else if (cmd->pos > ex->txn_rewind_pos && (cmd->type == SQL_CMD_PREPARE || cmd->type == SQL_CMD_DELETE_PREPARED))
				ex->txn_prep_changed = true;
		}
		if (cmd->type != SQL_CMD_SYNC && cmd->type != SQL_CMD_FLUSH && sql_executor_maybe_flush(ex) != CM_OK) {
			reason = SQL_EXIT_IO_ERROR;
			break;
		}
		sql_stmtbuf_advance(ex->stmtbuf);
		maybe_trim(ex);
	}
out:
	if (ex->txn != SQL_TXN_NONE) {
		cm_error err = {0};
		sql_dispatch_rollback(ex, &err);
		cm_error_clear(&err);
		sql_txn_transition(ex, SQL_EV_ROLLBACK);
	}
	sql_executor_close_all_portals(ex);
	while (ex->prepared)
		prep_remove(ex, ex->prepared);
	if (ex->cat)
		sql_cat_session_free(ex->cat);
	if (ex->timer_made)
		timer_delete(ex->timer);
	return reason;
}
