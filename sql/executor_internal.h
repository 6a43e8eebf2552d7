/*
 * executor_internal.h -- state shared by conn_executor.c and dispatch.c.
 * Not for use outside sql/.
 */
#ifndef PGKV_SQL_EXECUTOR_INTERNAL_H
#define PGKV_SQL_EXECUTOR_INTERNAL_H

#include "sql/conn_executor.h"
#include "sql/parser.h"
#include <time.h>
#include "kv/txn/kv_txn.h"
#include "sql/plan/plan.h"

typedef enum sql_txn_state {
	SQL_TXN_NONE = 0,	/* NoTxn */
	SQL_TXN_OPEN,		/* Open, implicit or explicit */
	SQL_TXN_ABORTED,	/* explicit transaction hit an error */
	SQL_TXN_COMMIT_WAIT,
} sql_txn_state;

typedef enum sql_txn_event {
	SQL_EV_BEGIN_IMPLICIT,
	SQL_EV_BEGIN_EXPLICIT,
	SQL_EV_UPGRADE,			/* BEGIN inside an implicit transaction */
	SQL_EV_COMMIT,
	SQL_EV_ROLLBACK,
	SQL_EV_ERROR,			/* implicit: roll back; explicit: Aborted */
	SQL_EV_SAVEPOINT_ROLLBACK,
	SQL_EV_RETRY,			/* automatic retry: back to the rewind point */
} sql_txn_event;

/* What kind of statement a prepared statement holds. */
typedef enum sql_stmt_kind {
	SQL_SK_EMPTY = 0,
	SQL_SK_QUERY,		/* planned by sql/plan, rows from a cursor */
	SQL_SK_SHOW,		/* rows computed at execution */
	SQL_SK_UTILITY,		/* no rows: SET, BEGIN, DISCARD, ... */
	SQL_SK_FETCH,		/* FETCH / MOVE: rows of another portal (a cursor) */
} sql_stmt_kind;

typedef struct sql_prepared {
	struct sql_prepared *next;
	int refs;					/* the table's reference + portals using it */
	cm_arena *arena;			/* everything below lives here */
	const char *name;
	sql_parsed *parsed;			/* reference */
	PgQuery__Node *stmt;		/* NULL for an empty query */
	const char *text;
	int given_nparams;
	uint32_t *given_param_oids;
	sql_stmt_kind kind;
	pl_plan *plan;				/* SQL_SK_QUERY */
	int nparams;
	sem_oid *param_types;
	int ncols;
	sql_result_col *cols;		/* formats 0 */
	const char *tag;			/* command tag word(s) */
	/* [plancache] the plan is a cached generic plan: where its parameters'
	 * values are in the statement text (sql/plancache.h); NULL otherwise */
	const struct sql_pc_args *pc_args;
} sql_prepared;

typedef struct sql_portal {
	struct sql_portal *next;
	cm_arena *arena;			/* allocations of the current execution (== bind_arena until it starts) */
	cm_arena *bind_arena;		/* portal lifetime: name, parameters, result columns */
	int64_t created_pos;		/* StmtBuf position of the Bind (or statement) that made it */
	const char *name;
	sql_prepared *prep;			/* reference */
	bool simple;				/* created for a simple-protocol statement */
	sem_datum *params;
	int ncols;
	sql_result_col *cols;		/* with the requested result formats */
	bool started;
	bool done;
	int64_t nrows;
	pl_cursor *cursor;			/* SQL_SK_QUERY */
	sem_datum *rowbuf;			/* current row */
	bool pending_row;			/* a row fetched to detect suspension, not yet sent */
	sem_datum *rows;			/* SQL_SK_SHOW: materialised rows */
	int nmat;
	int next_mat;
	char tag[64];
	sem_ctx sem;
} sql_portal;

typedef struct sql_executor {
	const sql_executor_config *cfg;
	sql_stmtbuf *stmtbuf;
	sql_clientcomm *comm;
	sql_session *session;
	sql_txn_state txn;
	bool implicit;
	int64_t cur_pos;
	int64_t txn_rewind_pos;
	int txn_stmts;
	sql_isolation default_iso;
	bool default_read_only;
	sql_isolation txn_iso;
	bool txn_read_only;
	int nsavepoints;
	char *savepoints[64];
	kv_savepoint kv_savepoints[64];	/* the KV checkpoint taken by each SAVEPOINT */
	struct sql_sp_settings *sp_settings[64];	/* settings as they were at each
									 * SAVEPOINT (dispatch.c), restored by ROLLBACK TO */
	bool skip_batch;
	bool draining;
	bool terminate;				/* a FATAL was sent: stop after this command */
	bool rewound;				/* the StmtBuf was rewound for an automatic retry */
	bool txn_prep_changed;		/* a named statement was made or dropped inside the
								 * retry window: replaying it would fail */
	int txn_retries;			/* automatic retries of the current transaction */
	int64_t session_retries;	/* automatic retries of this session */
	bool io_failed;
	int64_t results_buffer_size;
	sql_prepared *prepared;
	sql_portal *portals;
	sql_portal *active_portal;	/* the portal whose statement is running */
	kv_txn *kvtxn;				/* KV transaction of the SQL transaction, begun on first use */
	struct sql_cat_session *cat;	/* catalog state of the session (sequences, hooks) */
	timer_t timer;				/* statement_timeout */
	bool timer_made, timer_armed;
} sql_executor;

void sql_txn_transition(sql_executor *ex, sql_txn_event ev);
struct sql_sp_settings;
/* Free a settings snapshot taken by SAVEPOINT (dispatch.c); NULL ignored. */
void sql_dispatch_sp_settings_free(struct sql_sp_settings *s);
/* Forget savepoints above the first `keep` (names, settings snapshots). */
void sql_executor_pop_savepoints(sql_executor *ex, int keep);
/* A statement or commit of the open transaction failed with err: if err is
 * retriable (40001) and nothing of the transaction has reached the client,
 * roll back, drop its buffered output, rewind the StmtBuf to the
 * transaction's start and return true (ex->rewound is set; the caller sends
 * nothing).  Otherwise false. */
bool sql_executor_try_retry(sql_executor *ex, const cm_error *err);
cm_status sql_executor_prepare(sql_executor *ex, const char *name, sql_parsed *parsed, PgQuery__Node *stmt,
							   const char *text, size_t text_len, int nparams, const uint32_t *param_oids,
							   sql_prepared **out, cm_error *err);
sql_portal *sql_executor_new_portal(sql_executor *ex, const char *name, sql_prepared *p);
void sql_executor_add_portal(sql_executor *ex, sql_portal *po);
sql_portal *sql_executor_find_portal(sql_executor *ex, const char *name);
void sql_executor_remove_portal(sql_executor *ex, sql_portal *po);
void sql_executor_portal_free(sql_portal *po);
char sql_executor_txn_status(const sql_executor *ex);
void sql_prepared_release(sql_prepared *p);
cm_status sql_executor_deallocate(sql_executor *ex, const char *name, cm_error *err);
void sql_executor_close_all_portals(sql_executor *ex);
void sql_executor_close_txn_portals(sql_executor *ex);
void sql_executor_send_error(sql_executor *ex, const cm_error *err, const char *query, size_t query_len);
/* WARNING-level notice with a SQLSTATE. */
void sql_executor_notice(sql_executor *ex, const char *code, const char *fmt, ...) CM_PRINTF(3, 4);
void sql_executor_notice_sev(sql_executor *ex, cm_severity sev, const char *code, const char *fmt, ...) CM_PRINTF(4, 5);
cm_status sql_executor_maybe_flush(sql_executor *ex);
/* The KV transaction of the current SQL transaction, begun on first use with
 * the transaction's isolation level.  CM_ERROR (err set) if the store is not
 * available or the begin failed. */
CM_MUST_CHECK cm_status sql_executor_kv_txn(sql_executor *ex, kv_txn **out, cm_error *err);
/* Fill an evaluation context from the session: settings (TimeZone,
 * DateStyle...), identity, and the catalog hooks (search_path, sequences). */
void sql_executor_fill_sem(sql_executor *ex, sem_ctx *ctx);

#endif /* PGKV_SQL_EXECUTOR_INTERNAL_H */
