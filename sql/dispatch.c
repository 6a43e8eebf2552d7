/*
 * dispatch.c -- statement dispatch (see dispatch.h).
 *
 * Queries (SELECT, VALUES) go to the planner in sql/plan; session and
 * transaction statements (SET, SHOW, RESET, BEGIN, COMMIT, ROLLBACK,
 * SAVEPOINT, DISCARD, DEALLOCATE) are handled here.  Everything else is
 * refused with 0A000 naming the statement, never a wrong answer.
 */
#include "sql/dispatch.h"
#include "sql/ddl.h"
#include "sql/dml.h"
#include "sql/plancache.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_datetime.h"

#define NODE(n, what) ((n)->node_case == PG_QUERY__NODE__NODE_##what)

/* ---------- classification ---------- */

static const struct {
	PgQuery__Node__NodeCase c;
	const char *tag;
} unsupported_tags[] = {
	{PG_QUERY__NODE__NODE_INSERT_STMT, "INSERT"},
	{PG_QUERY__NODE__NODE_UPDATE_STMT, "UPDATE"},
	{PG_QUERY__NODE__NODE_DELETE_STMT, "DELETE"},
	{PG_QUERY__NODE__NODE_CREATE_STMT, "CREATE TABLE"},
	{PG_QUERY__NODE__NODE_DROP_STMT, "DROP"},
	{PG_QUERY__NODE__NODE_INDEX_STMT, "CREATE INDEX"},
	{PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, "ALTER TABLE"},
	{PG_QUERY__NODE__NODE_TRUNCATE_STMT, "TRUNCATE TABLE"},
	{PG_QUERY__NODE__NODE_COPY_STMT, "COPY"},
	{PG_QUERY__NODE__NODE_VIEW_STMT, "CREATE VIEW"},
	{PG_QUERY__NODE__NODE_CREATEDB_STMT, "CREATE DATABASE"},
	{PG_QUERY__NODE__NODE_DROPDB_STMT, "DROP DATABASE"},
	{PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, "CREATE SCHEMA"},
	{PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, "CREATE SEQUENCE"},
	{PG_QUERY__NODE__NODE_CREATE_ROLE_STMT, "CREATE ROLE"},
	{PG_QUERY__NODE__NODE_EXPLAIN_STMT, "EXPLAIN"},
	{PG_QUERY__NODE__NODE_VACUUM_STMT, "VACUUM"},
	{PG_QUERY__NODE__NODE_PREPARE_STMT, "PREPARE"},
	{PG_QUERY__NODE__NODE_EXECUTE_STMT, "EXECUTE"},
	{PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT, "DECLARE CURSOR"},
	{PG_QUERY__NODE__NODE_FETCH_STMT, "FETCH"},
	{PG_QUERY__NODE__NODE_LOCK_STMT, "LOCK TABLE"},
	{PG_QUERY__NODE__NODE_LISTEN_STMT, "LISTEN"},
	{PG_QUERY__NODE__NODE_NOTIFY_STMT, "NOTIFY"},
	{PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, "CREATE FUNCTION"},
	{PG_QUERY__NODE__NODE_DO_STMT, "DO"},
	{PG_QUERY__NODE__NODE_CALL_STMT, "CALL"},
	{PG_QUERY__NODE__NODE_GRANT_STMT, "GRANT"},
	{PG_QUERY__NODE__NODE_COMMENT_STMT, "COMMENT"},
};

static const char *
node_label(const PgQuery__Node *n)
{
	for (size_t i = 0; i < sizeof(unsupported_tags) / sizeof(unsupported_tags[0]); i++)
		if (n->node_case == unsupported_tags[i].c)
			return unsupported_tags[i].tag;
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, (unsigned) n->node_case);
	return f ? f->name : "statement";
}

static PgQuery__TransactionStmtKind
txn_kind(const PgQuery__Node *n)
{
	return n && NODE(n, TRANSACTION_STMT) ? n->transaction_stmt->kind
										  : PG_QUERY__TRANSACTION_STMT_KIND__TRANSACTION_STMT_KIND_UNDEFINED;
}

bool
sql_dispatch_is_txn_control(const sql_prepared *p)
{
	return p->stmt && NODE(p->stmt, TRANSACTION_STMT);
}

bool
sql_dispatch_node_allowed_in_aborted(const PgQuery__Node *n)
{
	switch (txn_kind(n)) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return true;
	default:
		return false;
	}
}

bool
sql_dispatch_allowed_in_aborted(const sql_prepared *p)
{
	return p->stmt == NULL || sql_dispatch_node_allowed_in_aborted(p->stmt);
}

/*
 * Read-only session statistics about automatic retries, shown with SHOW
 * (docs/transactions.md): pgkv.session_retries counts the automatic
 * retries of this session, pgkv.transaction_retries those of the current
 * transaction (0 outside one).  NULL when name is not one of them.
 */
static const char *
retry_stat_name(const char *name)
{
	if (strcasecmp(name, "pgkv.session_retries") == 0)
		return "pgkv.session_retries";
	if (strcasecmp(name, "pgkv.transaction_retries") == 0)
		return "pgkv.transaction_retries";
	return NULL;
}

static const char *
show_name(sql_executor *ex, const char *name)
{
	return sql_session_show_name(ex->session, name);
}

static sql_result_col *
text_cols(cm_arena *a, int n, const char *const *names)
{
	sql_result_col *cols = cm_new_array(a, sql_result_col, n);
	for (int i = 0; i < n; i++) {
		cols[i].name = cm_strdup(a, names[i]);
		cols[i].type.oid = SEM_TEXTOID;
		cols[i].type.typmod = -1;
	}
	return cols;
}

cm_status
sql_dispatch_prepare(sql_executor *ex, sql_prepared *p, cm_error *err)
{
	PgQuery__Node *n = p->stmt;
	cm_arena *a = p->arena;
	if (n == NULL) {
		p->kind = SQL_SK_EMPTY;
		p->tag = "";
		return CM_OK;
	}
	p->kind = SQL_SK_UTILITY;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT: {
		sem_ctx ctx = {0};
		ctx.arena = a;
		sql_executor_fill_sem(ex, &ctx);
		/* [plancache] a simple-protocol statement may reuse (or fill) the
		 * session's plan cache: sql/plancache.h */
		bool planned = false;
		if (sql_plancache_plan(ex, p, &ctx, &planned, err) != CM_OK)
			return CM_ERROR;
		if (!planned && sql_query_plan(ex, p, &ctx, err) != CM_OK) /* tables through the catalog: sql/dml.c */
			return CM_ERROR;
		p->kind = SQL_SK_QUERY;
		p->tag = "SELECT";
		p->nparams = pl_plan_nparams(p->plan);
		p->param_types = cm_memdup(a, pl_plan_param_types(p->plan), sizeof(sem_oid) * (size_t) (p->nparams ? p->nparams : 1));
		p->ncols = pl_plan_ncols(p->plan);
		p->cols = cm_new_array(a, sql_result_col, p->ncols ? p->ncols : 1);
		const pl_column *pc = pl_plan_cols(p->plan);
		for (int i = 0; i < p->ncols; i++) {
			p->cols[i].name = pc[i].name;
			p->cols[i].type = pc[i].type;
		}
		return CM_OK;
	}
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT: {
		const char *name = n->variable_show_stmt->name;
		p->kind = SQL_SK_SHOW;
		p->tag = "SHOW";
		if (strcasecmp(name, "all") == 0) {
			static const char *const names[] = {"name", "setting", "description"};
			p->ncols = 3;
			p->cols = text_cols(a, 3, names);
			return CM_OK;
		}
		const char *canon = retry_stat_name(name);
		if (canon == NULL)
			canon = show_name(ex, name);
		if (canon == NULL)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "unrecognized configuration parameter \"%s\"", name);
		p->ncols = 1;
		p->cols = text_cols(a, 1, &canon);
		return CM_OK;
	}
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		p->tag = n->variable_set_stmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET ||
						 n->variable_set_stmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL
					 ? "RESET"
					 : "SET";
		return CM_OK;
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		switch (n->transaction_stmt->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN: p->tag = "BEGIN"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: p->tag = "START TRANSACTION"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: p->tag = "COMMIT"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: p->tag = "ROLLBACK"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT: p->tag = "SAVEPOINT"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE: p->tag = "RELEASE"; break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO: p->tag = "ROLLBACK"; break;
		default:
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "two-phase commit is not supported");
		}
		if (n->transaction_stmt->chain)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "AND CHAIN is not supported");
		return CM_OK;
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		switch (n->discard_stmt->target) {
		case PG_QUERY__DISCARD_MODE__DISCARD_ALL: p->tag = "DISCARD ALL"; break;
		case PG_QUERY__DISCARD_MODE__DISCARD_PLANS: p->tag = "DISCARD PLANS"; break;
		case PG_QUERY__DISCARD_MODE__DISCARD_SEQUENCES: p->tag = "DISCARD SEQUENCES"; break;
		default: p->tag = "DISCARD TEMP"; break;
		}
		return CM_OK;
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		p->tag = (n->deallocate_stmt->name == NULL || n->deallocate_stmt->name[0] == '\0') ? "DEALLOCATE ALL"
																						   : "DEALLOCATE";
		return CM_OK;
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		p->tag = (n->close_portal_stmt->portalname == NULL || n->close_portal_stmt->portalname[0] == '\0')
					 ? "CLOSE CURSOR ALL"
					 : "CLOSE CURSOR";
		return CM_OK;
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		p->tag = "DECLARE CURSOR";
		return CM_OK;
	case PG_QUERY__NODE__NODE_FETCH_STMT: {
		PgQuery__FetchStmt *fs = n->fetch_stmt;
		sql_portal *cur = sql_executor_find_portal(ex, fs->portalname);
		if (cur == NULL)
			return cm_error_set(err, CM_E_INVALID_CURSOR_NAME, "cursor \"%s\" does not exist", fs->portalname);
		p->kind = SQL_SK_FETCH;
		p->tag = fs->ismove ? "MOVE" : "FETCH";
		if (!fs->ismove) {
			p->ncols = cur->ncols;
			p->cols = cm_memdup(a, cur->cols, sizeof(sql_result_col) * (size_t) (cur->ncols ? cur->ncols : 1));
		}
		return CM_OK;
	}
	case PG_QUERY__NODE__NODE_UNLISTEN_STMT:
		p->tag = "UNLISTEN";
		return CM_OK;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_COPY_STMT:
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		return sql_dml_prepare(ex, p, err); /* sql/dml.c, sql/copy.c */
	default:
		/* DDL: sql/ddl.c */
		if ((p->tag = sql_ddl_tag(n)) != NULL)
			return CM_OK;
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "%s is not supported yet", node_label(n));
	}
}

/* ---------- bind ---------- */

cm_status
sql_dispatch_bind(sql_executor *ex, sql_portal *po, const sql_bind_args *b, cm_error *err)
{
	sql_prepared *p = po->prep;
	cm_arena *a = po->arena;
	po->sem.arena = a;
	sql_executor_fill_sem(ex, &po->sem);
	po->sem.cancel = (volatile int *) ex->cfg->cancel;
	po->ncols = p->ncols;
	po->cols = cm_new_array(a, sql_result_col, p->ncols ? p->ncols : 1);
	if (p->ncols)
		memcpy(po->cols, p->cols, sizeof(sql_result_col) * (size_t) p->ncols);
	po->params = cm_new_array(a, sem_datum, p->nparams ? p->nparams : 1);
	if (b == NULL && p->pc_args)
		return sql_plancache_bind(p, po, err); /* [plancache] literals of a cached plan */
	if (b == NULL)
		return CM_OK;
	if (b->nresult_formats > 1 && b->nresult_formats != p->ncols)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "bind message has %d result formats but query has %d columns",
							b->nresult_formats, p->ncols);
	for (int i = 0; i < p->ncols; i++) {
		int16_t f = b->nresult_formats == 0 ? 0 : b->nresult_formats == 1 ? b->result_formats[0] : b->result_formats[i];
		if (f != 0 && f != 1)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unsupported format code: %d", f);
		po->cols[i].format = f;
	}
	for (int i = 0; i < b->nparams; i++) {
		sem_datum *d = &po->params[i];
		if (b->values[i] == NULL) {
			d->isnull = true;
			continue;
		}
		int16_t f = b->nformats == 0 ? 0 : b->nformats == 1 ? b->formats[0] : b->formats[i];
		sem_type t = {p->param_types[i] ? p->param_types[i] : SEM_TEXTOID, -1};
		cm_status st;
		if (f == 0) {
			/* The reader validated the UTF-8; sem_in_text wants a NUL-terminated copy. */
			char *s = cm_strndup(a, b->values[i], (size_t) b->lengths[i]);
			st = sem_in_text(&po->sem, t, s, (size_t) b->lengths[i], d, err);
		} else if (f == 1) {
			st = sem_in_binary(&po->sem, t, b->values[i], (size_t) b->lengths[i], d, err);
			if (st != CM_OK && cm_error_is(err, CM_E_INVALID_BINARY_REPRESENTATION)) {
				cm_error_clear(err);
				return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION,
									"incorrect binary data format in bind parameter %d", i + 1);
			}
		} else
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unsupported format code: %d", f);
		if (st != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- utility statements ---------- */

static bool
ident_needs_quotes(const char *s)
{
	if (!(islower((unsigned char) s[0]) || s[0] == '_'))
		return true;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'))
			return true;
	/* keywords would need quotes too; the common list values are not keywords */
	return false;
}

static void
append_ident(cm_buf *b, const char *s)
{
	if (!ident_needs_quotes(s)) {
		cm_buf_puts(b, s);
		return;
	}
	cm_buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			cm_buf_putc(b, '"');
		cm_buf_putc(b, *p);
	}
	cm_buf_putc(b, '"');
}

/* PostgreSQL's flatten_set_variable_args: the SET arguments as one string. */
static cm_status
flatten_set_args(sql_executor *ex, const char *name, PgQuery__VariableSetStmt *vs, cm_buf *out, cm_error *err)
{
	bool list = sql_session_is_list(name);
	for (size_t i = 0; i < vs->n_args; i++) {
		PgQuery__Node *arg = vs->args[i];
		if (i > 0)
			cm_buf_puts(out, ", ");
		if (NODE(arg, TYPE_CAST)) {
			/* SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE */
			PgQuery__TypeCast *tc = arg->type_cast;
			if (strcasecmp(name, "timezone") == 0 && tc->arg && NODE(tc->arg, A_CONST) &&
				tc->arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
				sem_ctx ctx = {0};
				ctx.arena = cm_arena_create(1024);
				sql_executor_fill_sem(ex, &ctx);
				sem_datum d;
				sem_type t = {SEM_INTERVALOID, -1};
				const char *s = tc->arg->a_const->sval->sval;
				cm_status st = sem_dt_in_text(&ctx, t, s, strlen(s), &d, err);
				cm_arena_destroy(ctx.arena);
				if (st != CM_OK)
					return CM_ERROR;
				if (d.v.iv.month != 0 || d.v.iv.day != 0)
					return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
										"invalid interval value for time zone: day not allowed");
				char tz[64];
				sem_dt_offset_timezone((int) (d.v.iv.time / 1000000), tz, sizeof(tz));
				cm_buf_puts(out, tz);
				continue;
			}
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this form of SET is not supported");
		}
		if (!NODE(arg, A_CONST))
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "argument of SET must be a constant");
		PgQuery__AConst *c = arg->a_const;
		switch (c->val_case) {
		case PG_QUERY__A__CONST__VAL_IVAL:
			if (strcasecmp(name, "timezone") == 0) {
				/* SET TIME ZONE -7: hours east of UTC */
				char tz[64];
				sem_dt_offset_timezone(c->ival->ival * 3600, tz, sizeof(tz));
				cm_buf_puts(out, tz);
			} else
				cm_buf_printf(out, "%d", c->ival->ival);
			break;
		case PG_QUERY__A__CONST__VAL_FVAL:
			cm_buf_puts(out, c->fval->fval);
			break;
		case PG_QUERY__A__CONST__VAL_BOOLVAL:
			cm_buf_puts(out, c->boolval->boolval ? "true" : "false");
			break;
		case PG_QUERY__A__CONST__VAL_SVAL:
			if (list)
				append_ident(out, c->sval->sval);
			else
				cm_buf_puts(out, c->sval->sval);
			break;
		default:
			if (c->isnull)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "parameter \"%s\" requires a value", name);
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this form of SET is not supported");
		}
	}
	return CM_OK;
}

static cm_status
defelem_string(PgQuery__DefElem *de, char *buf, size_t len)
{
	if (de->arg && NODE(de->arg, A_CONST)) {
		PgQuery__AConst *c = de->arg->a_const;
		if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			snprintf(buf, len, "%s", c->sval->sval);
		else if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			snprintf(buf, len, "%s", c->ival->ival ? "on" : "off");
		else if (c->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			snprintf(buf, len, "%s", c->boolval->boolval ? "on" : "off");
		else
			return CM_ERROR;
		return CM_OK;
	}
	return CM_ERROR;
}

/* Apply BEGIN / SET TRANSACTION options to the current transaction
 * (session=false) or to the session defaults (session=true). */
static cm_status
apply_txn_options(sql_executor *ex, size_t n, PgQuery__Node **opts, bool session, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!NODE(opts[i], DEF_ELEM))
			continue;
		PgQuery__DefElem *de = opts[i]->def_elem;
		char v[64];
		if (defelem_string(de, v, sizeof(v)) != CM_OK)
			continue;
		if (strcmp(de->defname, "transaction_isolation") == 0) {
			sql_isolation iso;
			if (!sql_isolation_parse(v, &iso))
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid transaction isolation level \"%s\"", v);
			if (session) {
				if (sql_session_set(ex->session, "default_transaction_isolation", v, false, err) != CM_OK)
					return CM_ERROR;
			} else if (iso != ex->txn_iso) {
				/* PostgreSQL's check_transaction_isolation */
				if (ex->txn_stmts > 0 || (ex->kvtxn && !kv_txn_is_readonly(ex->kvtxn)))
					return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION,
										"SET TRANSACTION ISOLATION LEVEL must be called before any query");
				if (ex->nsavepoints > 0)
					return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION,
										"SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction");
				if (ex->kvtxn) {
					/* begun for the catalog only: begin again at the new level */
					cm_error ignore = {0};
					(void) sql_dispatch_rollback(ex, &ignore);
					cm_error_clear(&ignore);
				}
				ex->txn_iso = iso;
			}
		} else if (strcmp(de->defname, "transaction_read_only") == 0) {
			if (session) {
				if (sql_session_set(ex->session, "default_transaction_read_only", v, false, err) != CM_OK)
					return CM_ERROR;
			} else {
				bool ro = strcmp(v, "on") == 0;
				/* PostgreSQL's check_transaction_read_only: READ ONLY at any
				 * time, READ WRITE only before the first query */
				if (!ro && ex->txn_read_only && ex->txn_stmts > 0)
					return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION,
										"transaction read-write mode must be set before any query");
				ex->txn_read_only = ro;
			}
		} else if (strcmp(de->defname, "transaction_deferrable") == 0) {
			if (session && sql_session_set(ex->session, "default_transaction_deferrable", v, false, err) != CM_OK)
				return CM_ERROR;
		}
	}
	sql_session_set_txn_chars(ex->session, ex->txn == SQL_TXN_NONE ? ex->default_iso : ex->txn_iso,
							  ex->txn == SQL_TXN_NONE ? ex->default_read_only : ex->txn_read_only, false);
	return CM_OK;
}

static int
find_savepoint(sql_executor *ex, const char *name)
{
	for (int i = ex->nsavepoints - 1; i >= 0; i--)
		if (strcmp(ex->savepoints[i], name) == 0)
			return i;
	return -1;
}

static void
pop_savepoints(sql_executor *ex, int keep)
{
	sql_executor_pop_savepoints(ex, keep);
}

/*
 * Settings and savepoints.  PostgreSQL undoes every SET, SET LOCAL and
 * RESET (built-in and custom x.y settings) made after a savepoint when the
 * transaction rolls back to it; RELEASE keeps them for the transaction.
 * SAVEPOINT remembers a mark in the session's settings undo log
 * (sql_session_savepoint); ROLLBACK TO undoes the log back to it.
 */
struct sql_sp_settings {
	size_t mark;
};

static struct sql_sp_settings *
settings_snapshot(sql_executor *ex)
{
	struct sql_sp_settings *s = malloc(sizeof(*s));
	if (s == NULL)
		abort();
	s->mark = sql_session_savepoint(ex->session);
	return s;
}

void
sql_dispatch_sp_settings_free(struct sql_sp_settings *s)
{
	free(s);
}

/* ROLLBACK TO: every setting changed since the savepoint gets its value
 * back.  (The transaction characteristics are kept apart, by
 * sql_session_set_txn_chars, and are not in the undo log.) */
static void
settings_restore(sql_executor *ex, const struct sql_sp_settings *s)
{
	if (s)
		sql_session_rollback_to(ex->session, s->mark);
}

static cm_status
exec_transaction(sql_executor *ex, sql_portal *po, PgQuery__TransactionStmt *ts, cm_error *err)
{
	bool explicit_txn = ex->txn != SQL_TXN_NONE && !ex->implicit;
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		if (explicit_txn) {
			sql_executor_notice(ex, CM_E_ACTIVE_SQL_TRANSACTION, "there is already a transaction in progress");
			return CM_OK;
		}
		if (ex->txn == SQL_TXN_OPEN)
			sql_txn_transition(ex, SQL_EV_UPGRADE);
		else
			sql_txn_transition(ex, SQL_EV_BEGIN_EXPLICIT);
		return apply_txn_options(ex, ts->n_options, ts->options, false, err);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		if (ex->txn == SQL_TXN_NONE) {
			sql_executor_notice(ex, CM_E_NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress");
			return CM_OK;
		}
		if (ex->txn == SQL_TXN_ABORTED) {
			snprintf(po->tag, sizeof(po->tag), "ROLLBACK");
			sql_dispatch_rollback(ex, err);
			sql_txn_transition(ex, SQL_EV_ROLLBACK);
			return CM_OK;
		}
		if (ex->implicit)
			sql_executor_notice(ex, CM_E_NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress");
		if (sql_dispatch_commit(ex, err) != CM_OK) {
			if (!sql_executor_try_retry(ex, err))
				sql_txn_transition(ex, SQL_EV_ROLLBACK);
			return CM_ERROR;
		}
		sql_txn_transition(ex, SQL_EV_COMMIT);
		return CM_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		if (ex->txn == SQL_TXN_NONE || (ex->txn == SQL_TXN_OPEN && ex->implicit)) {
			sql_executor_notice(ex, CM_E_NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress");
			if (ex->txn == SQL_TXN_NONE)
				return CM_OK;
		}
		sql_dispatch_rollback(ex, err);
		sql_txn_transition(ex, SQL_EV_ROLLBACK);
		return CM_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
		if (!explicit_txn)
			return cm_error_set(err, CM_E_NO_ACTIVE_SQL_TRANSACTION, "SAVEPOINT can only be used in transaction blocks");
		if (ex->nsavepoints == (int) (sizeof(ex->savepoints) / sizeof(ex->savepoints[0])))
			return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "too many savepoints");
		{
			/* A KV checkpoint: ROLLBACK TO restores the write buffer and
			 * releases the pessimistic locks taken since. */
			kv_txn *t;
			if (sql_executor_kv_txn(ex, &t, err) != CM_OK)
				return CM_ERROR;
			ex->kv_savepoints[ex->nsavepoints] = kv_txn_savepoint(t);
		}
		ex->sp_settings[ex->nsavepoints] = settings_snapshot(ex);
		ex->savepoints[ex->nsavepoints++] = strdup(ts->savepoint_name);
		return CM_OK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE: {
		if (!explicit_txn)
			return cm_error_set(err, CM_E_NO_ACTIVE_SQL_TRANSACTION,
								"RELEASE SAVEPOINT can only be used in transaction blocks");
		int i = find_savepoint(ex, ts->savepoint_name);
		if (i < 0)
			return cm_error_set(err, CM_E_S_E_INVALID_SPECIFICATION, "savepoint \"%s\" does not exist",
								ts->savepoint_name);
		if (ex->kvtxn)
			kv_txn_release(ex->kvtxn, ex->kv_savepoints[i]);
		pop_savepoints(ex, i);
		return CM_OK;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO: {
		if (!explicit_txn && ex->txn != SQL_TXN_ABORTED)
			return cm_error_set(err, CM_E_NO_ACTIVE_SQL_TRANSACTION,
								"ROLLBACK TO SAVEPOINT can only be used in transaction blocks");
		int i = find_savepoint(ex, ts->savepoint_name);
		if (i < 0)
			return cm_error_set(err, CM_E_S_E_INVALID_SPECIFICATION, "savepoint \"%s\" does not exist",
								ts->savepoint_name);
		pop_savepoints(ex, i + 1);
		settings_restore(ex, ex->sp_settings[i]);
		if (ex->kvtxn && kv_txn_rollback_to(ex->kvtxn, ex->kv_savepoints[i], err) != KV_OK)
			return CM_ERROR;
		if (ex->txn == SQL_TXN_ABORTED)
			sql_txn_transition(ex, SQL_EV_SAVEPOINT_ROLLBACK);
		return CM_OK;
	}
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "two-phase commit is not supported");
	}
}

static cm_status
exec_set(sql_executor *ex, PgQuery__VariableSetStmt *vs, cm_error *err)
{
	const char *name = vs->name;
	bool explicit_txn = ex->txn != SQL_TXN_NONE && !ex->implicit;
	switch (vs->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE: {
		if (vs->is_local && !explicit_txn)
			sql_executor_notice(ex, CM_E_NO_ACTIVE_SQL_TRANSACTION, "SET LOCAL can only be used in transaction blocks");
		cm_buf v;
		cm_buf_init(&v);
		cm_status st = flatten_set_args(ex, name, vs, &v, err);
		if (st == CM_OK)
			st = sql_session_set(ex->session, name, v.data ? v.data : "", vs->is_local, err);
		cm_buf_free(&v);
		return st;
	}
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		if (strcmp(name, "session_authorization") == 0)
			return CM_OK;
		return sql_session_reset(ex->session, name, err);
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		sql_session_reset_all(ex->session);
		return CM_OK;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI:
		if (strcmp(name, "TRANSACTION") == 0 || strcmp(name, "TRANSACTION SNAPSHOT") == 0) {
			if (strcmp(name, "TRANSACTION SNAPSHOT") == 0)
				return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SET TRANSACTION SNAPSHOT is not supported");
			if (!explicit_txn) {
				sql_executor_notice(ex, CM_E_NO_ACTIVE_SQL_TRANSACTION,
									"SET TRANSACTION can only be used in transaction blocks");
				return CM_OK;
			}
			return apply_txn_options(ex, vs->n_args, vs->args, false, err);
		}
		if (strcmp(name, "SESSION CHARACTERISTICS") == 0) {
			return apply_txn_options(ex, vs->n_args, vs->args, true, err);
		}
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SET %s is not supported", name);
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_CURRENT:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SET ... FROM CURRENT is not supported");
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this form of SET is not supported");
	}
}

typedef struct show_all_ctx {
	sql_portal *po;
	int n;
	int cap;
} show_all_ctx;

static void
show_all_row(void *arg, const char *name, const char *value, const char *desc)
{
	show_all_ctx *c = arg;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		sem_datum *rows = cm_new_array(c->po->arena, sem_datum, cap * 3);
		if (c->n)
			memcpy(rows, c->po->rows, sizeof(sem_datum) * (size_t) c->n * 3);
		c->po->rows = rows;
		c->cap = cap;
	}
	sem_datum *r = &c->po->rows[c->n * 3];
	const char *vals[3] = {name, value, desc};
	for (int i = 0; i < 3; i++) {
		r[i].isnull = false;
		r[i].v.s.p = cm_strdup(c->po->arena, vals[i] ? vals[i] : "");
		r[i].v.s.len = (uint32_t) strlen(r[i].v.s.p);
	}
	c->n++;
}

/* Cursor options (PostgreSQL's CURSOR_OPT_* bits). */
#define CURSOR_OPT_BINARY 0x0001
#define CURSOR_OPT_SCROLL 0x0002
#define CURSOR_OPT_HOLD 0x0020

static cm_status
exec_declare(sql_executor *ex, sql_prepared *outer, PgQuery__DeclareCursorStmt *dc, cm_error *err)
{
	if (ex->txn == SQL_TXN_NONE || ex->implicit)
		return cm_error_set(err, CM_E_NO_ACTIVE_SQL_TRANSACTION, "DECLARE CURSOR can only be used in transaction blocks");
	if (dc->options & CURSOR_OPT_HOLD)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "DECLARE CURSOR WITH HOLD is not supported");
	if (dc->options & CURSOR_OPT_SCROLL)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "DECLARE SCROLL CURSOR is not supported");
	if (sql_executor_find_portal(ex, dc->portalname))
		return cm_error_set(err, CM_E_DUPLICATE_CURSOR, "cursor \"%s\" already exists", dc->portalname);
	if (dc->query == NULL || dc->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return cm_error_set(err, CM_E_SYNTAX_ERROR, "cursor query must be a SELECT");
	sql_prepared *q = NULL;
	if (sql_executor_prepare(ex, dc->portalname, outer->parsed, dc->query, outer->text, strlen(outer->text), 0, NULL,
							 &q, err) != CM_OK)
		return CM_ERROR;
	sql_portal *cur = sql_executor_new_portal(ex, dc->portalname, q);
	sql_prepared_release(q);
	if (sql_dispatch_bind(ex, cur, NULL, err) != CM_OK) {
		sql_executor_portal_free(cur);
		return CM_ERROR;
	}
	if (dc->options & CURSOR_OPT_BINARY)
		for (int i = 0; i < cur->ncols; i++)
			cur->cols[i].format = 1;
	cur->started = true;
	if (sql_dispatch_start(ex, cur, err) != CM_OK) {
		sql_executor_portal_free(cur);
		return CM_ERROR;
	}
	sql_executor_add_portal(ex, cur);
	return CM_OK;
}

static cm_status
exec_close_cursor(sql_executor *ex, sql_portal *self, const char *name, cm_error *err)
{
	if (name == NULL || name[0] == '\0') {
		/* CLOSE ALL: every portal but the one running this statement */
		for (sql_portal *p = ex->portals, *next; p; p = next) {
			next = p->next;
			if (p != self)
				sql_executor_remove_portal(ex, p);
		}
		return CM_OK;
	}
	sql_portal *p = sql_executor_find_portal(ex, name);
	if (p == NULL)
		return cm_error_set(err, CM_E_INVALID_CURSOR_NAME, "cursor \"%s\" does not exist", name);
	if (p == self)
		return cm_error_set(err, CM_E_OBJECT_IN_USE, "cursor \"%s\" is in use", name);
	sql_executor_remove_portal(ex, p);
	return CM_OK;
}

cm_status
sql_dispatch_start(sql_executor *ex, sql_portal *po, cm_error *err)
{
	sql_prepared *p = po->prep;
	PgQuery__Node *n = p->stmt;
	/* Execution gets its own arena: an automatic retry throws it away and
	 * runs the portal again from its bound parameters. */
	if (po->arena == po->bind_arena) {
		po->arena = cm_arena_create(8192);
		po->sem.arena = po->arena;
	}
	snprintf(po->tag, sizeof(po->tag), "%s", p->tag);
	/* statements that read or write data (PostgreSQL: that took a snapshot)
	 * fix the transaction's isolation level and read-write mode */
	if (ex->txn != SQL_TXN_NONE && !sql_dispatch_is_txn_control(p) &&
		(p->kind == SQL_SK_QUERY || (n && (sql_dml_handles(n) || sql_ddl_tag(n) != NULL))))
		ex->txn_stmts++;
	if (n && sql_dml_handles(n))
		return sql_dml_start(ex, po, err); /* rows materialised in po->rows: sql/dml.c */
	switch (p->kind) {
	case SQL_SK_EMPTY:
		return CM_OK;
	case SQL_SK_QUERY:
		return sql_query_open(ex, po, err); /* sql/dml.c */
	case SQL_SK_SHOW: {
		const char *name = n->variable_show_stmt->name;
		if (strcasecmp(name, "all") == 0) {
			show_all_ctx c = {po, 0, 0};
			sql_session_foreach(ex->session, show_all_row, &c);
			po->nmat = c.n;
			return CM_OK;
		}
		char stat[32];
		const char *v = NULL;
		if (retry_stat_name(name)) {
			snprintf(stat, sizeof(stat), "%lld",
					 (long long) (strcasecmp(name, "pgkv.session_retries") == 0 ? ex->session_retries
																			 : ex->txn_retries));
			v = stat;
		} else
			v = sql_session_get(ex->session, name);
		if (v == NULL)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "unrecognized configuration parameter \"%s\"", name);
		po->rows = cm_new(po->arena, sem_datum);
		po->rows[0].v.s.p = cm_strdup(po->arena, v);
		po->rows[0].v.s.len = (uint32_t) strlen(v);
		po->nmat = 1;
		return CM_OK;
	}
	case SQL_SK_FETCH:
		if (sql_executor_find_portal(ex, n->fetch_stmt->portalname) == NULL)
			return cm_error_set(err, CM_E_INVALID_CURSOR_NAME, "cursor \"%s\" does not exist",
								n->fetch_stmt->portalname);
		return CM_OK;
	case SQL_SK_UTILITY:
		break;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return exec_transaction(ex, po, n->transaction_stmt, err);
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		return exec_set(ex, n->variable_set_stmt, err);
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		if (n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
			if (ex->txn != SQL_TXN_NONE && !ex->implicit)
				return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION, "DISCARD ALL cannot run inside a transaction block");
			sql_session_reset_all(ex->session);
			/* the running portal and its statement stay alive through their own references */
			sql_executor_deallocate(ex, NULL, err);
			return CM_OK;
		}
		return CM_OK;
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		return sql_executor_deallocate(ex, n->deallocate_stmt->name, err);
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		return exec_close_cursor(ex, po, n->close_portal_stmt->portalname, err);
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		return exec_declare(ex, p, n->declare_cursor_stmt, err);
	case PG_QUERY__NODE__NODE_UNLISTEN_STMT:
		return CM_OK;
	default:
		if (sql_ddl_tag(n) != NULL)
			return sql_ddl_exec(ex, po, err); /* DDL: sql/ddl.c */
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "%s is not supported yet", node_label(n));
	}
}

/* Send up to max_rows (0 = all) rows of po; *sent counts them.  CM_AGAIN when
 * rows remain.  discard: count but do not send (MOVE). */
static cm_status
fetch_rows(sql_executor *ex, sql_portal *po, int64_t max_rows, bool discard, int64_t *sent_out, cm_error *err)
{
	sql_prepared *p = po->prep;
	int64_t sent = 0;
	*sent_out = 0;
	if (po->done)
		return CM_OK;
	if (p->kind == SQL_SK_QUERY) {
		if (po->rowbuf == NULL)
			po->rowbuf = cm_new_array(po->arena, sem_datum, po->ncols ? po->ncols : 1);
		sem_datum *row = po->rowbuf;
		for (;;) {
			if (max_rows > 0 && sent == max_rows) {
				/* Suspended only if another row exists: peek by fetching it now. */
				bool done = false;
				if (pl_next(po->cursor, row, &done, err) != CM_OK)
					return CM_ERROR;
				if (done)
					break;
				po->pending_row = true;
				return CM_AGAIN;
			}
			if (po->pending_row)
				po->pending_row = false;
			else {
				bool done = false;
				if (pl_next(po->cursor, row, &done, err) != CM_OK)
					return CM_ERROR;
				if (done)
					break;
			}
			if (!discard && ex->comm->vt->data_row(ex->comm, &po->sem, po->ncols, po->cols, row, err) != CM_OK)
				return CM_ERROR;
			sent++;
			*sent_out = sent;
			po->nrows++;
			if (sql_executor_maybe_flush(ex) != CM_OK)
				return cm_error_set(err, CM_E_CONNECTION_FAILURE, "could not send data to client");
		}
		po->done = true;
		return CM_OK;
	}
	if (p->kind == SQL_SK_SHOW) {
		while (po->next_mat < po->nmat) {
			if (max_rows > 0 && sent == max_rows)
				return CM_AGAIN;
			if (!discard && ex->comm->vt->data_row(ex->comm, &po->sem, po->ncols, po->cols,
												   &po->rows[po->next_mat * po->ncols], err) != CM_OK)
				return CM_ERROR;
			po->next_mat++;
			sent++;
			*sent_out = sent;
		}
		po->done = true;
		return CM_OK;
	}
	return CM_OK;
}

cm_status
sql_dispatch_fetch(sql_executor *ex, sql_portal *po, int32_t max_rows, cm_error *err)
{
	sql_prepared *p = po->prep;
	int64_t sent = 0;
	if (p->kind == SQL_SK_FETCH) {
		PgQuery__FetchStmt *fs = p->stmt->fetch_stmt;
		sql_portal *cur = sql_executor_find_portal(ex, fs->portalname);
		if (cur == NULL)
			return cm_error_set(err, CM_E_INVALID_CURSOR_NAME, "cursor \"%s\" does not exist", fs->portalname);
		int64_t n = fs->how_many;
		switch (fs->direction) {
		case PG_QUERY__FETCH_DIRECTION__FETCH_FORWARD:
			break;
		case PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE:
		case PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE:
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "FETCH ABSOLUTE and RELATIVE are not supported");
		default:
			cm_error_set(err, CM_E_OBJECT_NOT_IN_PREREQUISITE_STATE, "cursor can only scan forward");
			cm_error_hint(err, "Declare it with SCROLL option to enable backward scan.");
			return CM_ERROR;
		}
		if (n == INT64_MAX)
			n = 0; /* FETCH ALL */
		else if (n <= 0) {
			snprintf(po->tag, sizeof(po->tag), "%s 0", p->tag);
			return CM_OK;
		}
		if (fetch_rows(ex, cur, n, fs->ismove, &sent, err) == CM_ERROR)
			return CM_ERROR;
		snprintf(po->tag, sizeof(po->tag), "%s %lld", p->tag, (long long) sent);
		return CM_OK;
	}
	cm_status st = fetch_rows(ex, po, max_rows, false, &sent, err);
	if (st == CM_ERROR)
		return CM_ERROR;
	if (p->kind == SQL_SK_QUERY)
		/* the tag counts the rows of this Execute, as PostgreSQL's does */
		snprintf(po->tag, sizeof(po->tag), "SELECT %lld", (long long) sent);
	return st;
}

cm_status
sql_dispatch_commit(sql_executor *ex, cm_error *err)
{
	/* Session-level state (settings undo, portals) is the caller's. */
	kv_txn *t = ex->kvtxn;
	if (t == NULL)
		return CM_OK;
	ex->kvtxn = NULL;
	kv_err e = kv_txn_commit(t, err);
	kv_txn_free(t);
	return e == KV_OK ? CM_OK : CM_ERROR;
}

cm_status
sql_dispatch_rollback(sql_executor *ex, cm_error *err)
{
	kv_txn *t = ex->kvtxn;
	if (t == NULL)
		return CM_OK;
	ex->kvtxn = NULL;
	kv_err e = kv_txn_rollback(t, err);
	kv_txn_free(t);
	return e == KV_OK ? CM_OK : CM_ERROR;
}
