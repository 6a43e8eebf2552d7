/*
 * dml.c -- statements over tables for dispatch.c (see dml.h): the catalog
 * environment of a statement (pl_env), SELECT planning and opening,
 * INSERT / UPDATE / DELETE, EXPLAIN [ANALYZE]; COPY is in copy.c.
 *
 * A statement's environment: the KV transaction of the SQL transaction
 * (begun on first use; READ COMMITTED statements read a fresh snapshot),
 * one catalog view acquired through it (so a table created earlier in the
 * same transaction is visible), the session's database and search_path.
 * Plans remember the catalog version they were made against; a portal
 * whose plan is older than the current catalog is planned again, as
 * PostgreSQL re-plans cached plans after DDL.
 */
#include "sql/dml.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/catalog/sql_catalog.h"
#include "sql/plan/pl_dml.h"
#include "sql/plan/pl_table.h"
#include "sql/session.h"

#define NODE(n, what) ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##what)

/* ---------- environment ---------- */

static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void install(void)
{
	pl_table_install();
}

/* nextval / currval / setval / lastval must be in the built-in registry
 * before it is sorted at its first use (sem_func_init): register them at
 * process start.  (The server's start-up may do it too; it is idempotent.) */
__attribute__((constructor)) static void register_catalog_builtins(void)
{
	sql_cat_register_builtins();
}

static void view_release(void *arg)
{
	sql_cat_view_release(arg);
}

/* The session's catalog hooks (sequence functions, regclass) when the
 * session does not provide them: one sql_cat_session per executor thread. */
typedef struct tl_cat {
	sql_executor *ex;
	sql_cat_session *s;
} tl_cat;
static pthread_key_t cat_key;
static pthread_once_t cat_once = PTHREAD_ONCE_INIT;

static void cat_free(void *p)
{
	tl_cat *c = p;
	if (c) {
		sql_cat_session_free(c->s);
		free(c);
	}
}

static void cat_key_init(void)
{
	(void) pthread_key_create(&cat_key, cat_free);
}

static cm_status cat_get_txn(void *arg, kv_txn **out, cm_error *err)
{
	return sql_executor_kv_txn(arg, out, err);
}

static void fill_catalog_hooks(sql_executor *ex, sem_ctx *ctx)
{
	if (ctx->catalog || !ex->cfg->kv)
		return;
	pthread_once(&cat_once, cat_key_init);
	tl_cat *c = pthread_getspecific(cat_key);
	if (c && c->ex != ex) {
		cat_free(c);
		c = NULL;
	}
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c)
			abort();
		c->ex = ex;
		c->s = sql_cat_session_new(ex->cfg->kv, sql_session_database(ex->session), sql_session_user(ex->session),
								   cat_get_txn, ex);
		(void) pthread_setspecific(cat_key, c);
	}
	sql_cat_session_set_search_path(c->s, sql_session_get(ex->session, "search_path"));
	sql_cat_session_fill_sem(c->s, ctx);
}

/*
 * An environment in arena a.  exec: the statement runs now (the KV
 * transaction is begun); otherwise (planning) the current transaction is
 * used when there is one, else the latest committed catalog.
 */
/* [locking/conflicts] A time setting's canonical text in milliseconds. */
static int64_t lock_timeout_ms(const char *v)
{
	if (v == NULL)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (n <= 0)
		return 0;
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0)
			return (int64_t) n * units[i].ms;
	return (int64_t) n;
}

static cm_status env_make(sql_executor *ex, cm_arena *a, bool exec, pl_env **out, cm_error *err)
{
	pthread_once(&install_once, install);
	pl_env *env = cm_new(a, pl_env);
	*out = env;
	env->kv = ex->cfg->kv;
	env->cancel = ex->cfg->cancel;
	env->rc = ex->txn_iso <= SQL_ISO_READ_COMMITTED;
	/* [locking/conflicts] SERIALIZABLE records its reads for validation at
	 * commit (kv/txn/kv_readset.c); a coprocessor request records its key
	 * range too (kv_txn_record_range in sql/plan/pl_copr_scan.c), so every
	 * level may read through the coprocessor. */
	env->allow_copr = true;
	if (!env->kv) {
		if (exec)
			return cm_error_set(err, CM_E_CANNOT_CONNECT_NOW, "the store is not open");
		return CM_OK;
	}
	if (sql_cat_bootstrap(env->kv, err) != CM_OK)
		return CM_ERROR;
	kv_txn *txn = ex->kvtxn;
	if (exec) {
		if (sql_executor_kv_txn(ex, &env->txn, err) != CM_OK)
			return CM_ERROR;
		txn = env->txn;
	}
	if (sql_cat_view_acquire(env->kv, txn, &env->view, err) != CM_OK)
		return CM_ERROR;
	cm_arena_on_reset(a, view_release, env->view);
	env->db = sql_cat_find_database(env->view, sql_session_database(ex->session));
	sql_cat_search_path_parse(a, sql_session_get(ex->session, "search_path"), sql_session_user(ex->session), &env->sp);
	/* [locking/conflicts] lock_timeout as SHOW gives it ("1s", "250ms",
	 * "2min"): milliseconds for kv_lock_options.wait_ms, 0 = no limit */
	env->lock_wait_ms = lock_timeout_ms(sql_session_get(ex->session, "lock_timeout"));
	return CM_OK;
}

cm_status sql_dml_env(sql_executor *ex, sql_portal *po, pl_env **out, cm_error *err)
{
	fill_catalog_hooks(ex, &po->sem);
	if (env_make(ex, po->arena, true, out, err) != CM_OK)
		return CM_ERROR;
	(*out)->allow_copr = false;
	return CM_OK;
}

/* ---------- SELECT ---------- */

cm_status sql_query_plan(sql_executor *ex, sql_prepared *p, sem_ctx *ctx, cm_error *err)
{
	cm_arena *tmp = cm_arena_create(0);
	pl_env *env;
	cm_status st = env_make(ex, tmp, false, &env, err);
	if (st == CM_OK) {
		fill_catalog_hooks(ex, ctx);
		pl_env_set(env);
		st = pl_plan_select(p->arena, ctx, p->stmt, p->parsed->query, p->given_nparams, p->given_param_oids,
							&p->plan, err);
		pl_env_set(NULL);
	}
	cm_arena_destroy(tmp);
	return st;
}

/* Plan p's SELECT again if the catalog changed since it was planned. */
static cm_status maybe_replan(sql_executor *ex, sql_portal *po, pl_env *env, cm_error *err)
{
	sql_prepared *p = po->prep;
	const char *v = pl_plan_catalog_version(p->plan);
	if (!v || !env->view || strcmp(v, env->view->version) == 0)
		return CM_OK;
	pl_plan *np;
	sem_ctx ctx = po->sem;
	ctx.arena = p->arena;
	pl_env_set(env);
	cm_status st = pl_plan_select(p->arena, &ctx, p->stmt, p->parsed->query, p->nparams, p->param_types, &np, err);
	pl_env_set(NULL);
	if (st != CM_OK)
		return CM_ERROR;
	if (pl_plan_ncols(np) != p->ncols)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
	const pl_column *c = pl_plan_cols(np);
	for (int i = 0; i < p->ncols; i++)
		if (c[i].type.oid != p->cols[i].type.oid)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
	p->plan = np;
	return CM_OK;
}

cm_status sql_query_open(sql_executor *ex, sql_portal *po, cm_error *err)
{
	sql_prepared *p = po->prep;
	pl_env *env = NULL;
	fill_catalog_hooks(ex, &po->sem);
	if (pl_plan_catalog_version(p->plan) || ex->kvtxn) {
		if (env_make(ex, po->arena, true, &env, err) != CM_OK)
			return CM_ERROR;
		if (maybe_replan(ex, po, env, err) != CM_OK)
			return CM_ERROR;
	}
	return pl_open_env(p->plan, &po->sem, po->params, env, &po->cursor, err);
}

/* ---------- INSERT / UPDATE / DELETE / EXPLAIN ---------- */

bool sql_dml_handles(const PgQuery__Node *n)
{
	return NODE(n, INSERT_STMT) || NODE(n, UPDATE_STMT) || NODE(n, DELETE_STMT) || NODE(n, COPY_STMT) ||
		   NODE(n, EXPLAIN_STMT);
}

/* What a prepared DML/EXPLAIN statement keeps (in p->arena). */
typedef struct dml_prep {
	pl_modify *mod;			/* INSERT / UPDATE / DELETE */
	bool explain, analyze;
	PgQuery__Node *inner;	/* EXPLAIN: the statement explained */
} dml_prep;

static cm_status plan_modify(sql_executor *ex, sql_prepared *p, PgQuery__Node *n, sem_ctx *ctx, pl_env *env,
							 pl_modify **out, cm_error *err)
{
	pl_env_set(env);
	cm_status st = pl_plan_modify(p->arena, ctx, n, p->parsed->query, p->given_nparams, p->given_param_oids, out, err);
	pl_env_set(NULL);
	return st;
}

static dml_prep *prep_of(sql_prepared *p)
{
	return (dml_prep *) p->plan;
}

cm_status sql_dml_prepare(sql_executor *ex, sql_prepared *p, cm_error *err)
{
	PgQuery__Node *n = p->stmt;
	cm_arena *a = p->arena;
	if (NODE(n, COPY_STMT))
		return sql_copy_prepare(ex, p, err);
	dml_prep *d = cm_new(a, dml_prep);
	p->plan = (pl_plan *) d;
	p->kind = SQL_SK_SHOW;
	sem_ctx ctx = {0};
	ctx.arena = a;
	sql_executor_fill_sem(ex, &ctx);
	fill_catalog_hooks(ex, &ctx);
	cm_arena *tmp = cm_arena_create(0);
	pl_env *env;
	cm_status st = env_make(ex, tmp, false, &env, err);
	if (st != CM_OK) {
		cm_arena_destroy(tmp);
		return CM_ERROR;
	}
	if (NODE(n, EXPLAIN_STMT)) {
		PgQuery__ExplainStmt *es = n->explain_stmt;
		d->explain = true;
		d->inner = es->query;
		for (size_t i = 0; i < es->n_options; i++) {
			PgQuery__DefElem *de = es->options[i]->def_elem;
			if (!de)
				continue;
			bool on = true;
			if (de->arg && NODE(de->arg, A_CONST)) {
				PgQuery__AConst *c = de->arg->a_const;
				if (c->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
					on = c->boolval->boolval;
				else if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL)
					on = strcmp(c->sval->sval, "false") && strcmp(c->sval->sval, "off");
				else if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
					on = c->ival->ival != 0;
			}
			if (strcmp(de->defname, "analyze") == 0)
				d->analyze = on;
			else if (strcmp(de->defname, "format") == 0) {
				st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "EXPLAIN formats other than TEXT are not supported");
				break;
			}
		}
		p->tag = "EXPLAIN";
		static const char *const qp[] = {"QUERY PLAN"};
		p->ncols = 1;
		p->cols = cm_new_array(a, sql_result_col, 1);
		p->cols[0].name = qp[0];
		p->cols[0].type = (sem_type){SEM_TEXTOID, -1};
		if (st == CM_OK && d->inner && NODE(d->inner, SELECT_STMT)) {
			pl_plan *plan;
			pl_env_set(env);
			st = pl_plan_select(a, &ctx, d->inner, p->parsed->query, p->given_nparams, p->given_param_oids, &plan,
								err);
			pl_env_set(NULL);
			if (st == CM_OK) {
				d->mod = NULL;
				p->nparams = pl_plan_nparams(plan);
				p->param_types = cm_memdup(a, pl_plan_param_types(plan), sizeof(sem_oid) * (size_t) (p->nparams ? p->nparams : 1));
				d->inner = d->inner;
				/* keep the plan beside the modify slot */
				d->mod = (pl_modify *) plan;
			}
		} else if (st == CM_OK && d->inner &&
				   (NODE(d->inner, INSERT_STMT) || NODE(d->inner, UPDATE_STMT) || NODE(d->inner, DELETE_STMT))) {
			st = plan_modify(ex, p, d->inner, &ctx, env, &d->mod, err);
			if (st == CM_OK) {
				p->nparams = pl_modify_nparams(d->mod);
				p->param_types = cm_memdup(a, pl_modify_param_types(d->mod), sizeof(sem_oid) * (size_t) (p->nparams ? p->nparams : 1));
			}
		} else if (st == CM_OK)
			st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "EXPLAIN of this statement is not supported");
		cm_arena_destroy(tmp);
		return st;
	}
	st = plan_modify(ex, p, n, &ctx, env, &d->mod, err);
	cm_arena_destroy(tmp);
	if (st != CM_OK)
		return CM_ERROR;
	p->tag = pl_modify_verb(d->mod);
	p->nparams = pl_modify_nparams(d->mod);
	p->param_types = cm_memdup(a, pl_modify_param_types(d->mod), sizeof(sem_oid) * (size_t) (p->nparams ? p->nparams : 1));
	p->ncols = pl_modify_ncols(d->mod);
	p->cols = cm_new_array(a, sql_result_col, p->ncols ? p->ncols : 1);
	const pl_column *pc = pl_modify_cols(d->mod);
	for (int i = 0; i < p->ncols; i++) {
		p->cols[i].name = pc[i].name;
		p->cols[i].type = pc[i].type;
	}
	return CM_OK;
}

/* Text lines -> materialised one-column rows of the portal. */
static void lines_to_rows(sql_portal *po, const char *text)
{
	int n = 0;
	for (const char *s = text; *s; s++)
		if (*s == '\n')
			n++;
	po->rows = cm_new_array(po->arena, sem_datum, n + 1);
	po->nmat = 0;
	const char *s = text;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t) (e - s) : strlen(s);
		sem_datum *d = &po->rows[po->nmat++];
		d->v.s.p = cm_strndup(po->arena, s, len);
		d->v.s.len = (uint32_t) len;
		s += len + (e ? 1 : 0);
	}
}

static cm_status read_only_check(sql_executor *ex, const char *tag, cm_error *err)
{
	if (ex->txn_read_only && ex->txn != SQL_TXN_NONE)
		return cm_error_set(err, CM_E_READ_ONLY_SQL_TRANSACTION, "cannot execute %s in a read-only transaction", tag);
	return CM_OK;
}

cm_status sql_dml_start(sql_executor *ex, sql_portal *po, cm_error *err)
{
	sql_prepared *p = po->prep;
	if (NODE(p->stmt, COPY_STMT))
		return sql_copy_start(ex, po, err);
	dml_prep *d = prep_of(p);
	fill_catalog_hooks(ex, &po->sem);
	pl_env *env;
	if (env_make(ex, po->arena, true, &env, err) != CM_OK)
		return CM_ERROR;
	if (d->explain) {
		cm_buf out;
		cm_buf_init(&out);
		cm_status st;
		if (NODE(d->inner, SELECT_STMT)) {
			pl_plan *plan = (pl_plan *) d->mod;
			st = pl_explain_run(plan, &po->sem, po->params, env, d->analyze, &out, err);
		} else {
			if (d->analyze && read_only_check(ex, "EXPLAIN ANALYZE", err) != CM_OK) {
				cm_buf_free(&out);
				return CM_ERROR;
			}
			env->allow_copr = false;
			st = pl_modify_explain(d->mod, &po->sem, po->params, env, d->analyze, &out, err);
		}
		if (st == CM_OK && d->analyze && ex->txn_retries > 0)
			/* [retries] the transaction was replayed this many times (sql/conn_executor.c) */
			cm_buf_printf(&out, "Retries: %d\n", ex->txn_retries);
		if (st == CM_OK)
			lines_to_rows(po, out.data ? out.data : "");
		cm_buf_free(&out);
		return st;
	}
	if (read_only_check(ex, p->tag, err) != CM_OK)
		return CM_ERROR;
	/* a plan made against an older catalog is made again */
	const char *v = pl_modify_catalog_version(d->mod);
	if (v && env->view && strcmp(v, env->view->version) != 0) {
		sem_ctx ctx = po->sem;
		ctx.arena = p->arena;
		pl_modify *m;
		if (plan_modify(ex, p, p->stmt, &ctx, env, &m, err) != CM_OK)
			return CM_ERROR;
		if (pl_modify_ncols(m) != p->ncols)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
		d->mod = m;
	}
	env->allow_copr = false;
	int64_t count = 0;
	if (pl_modify_exec(d->mod, &po->sem, po->params, env, po->arena, &po->rows, &po->nmat, &count, err) != CM_OK)
		return CM_ERROR;
	if (strcmp(p->tag, "INSERT") == 0)
		snprintf(po->tag, sizeof(po->tag), "INSERT 0 %lld", (long long) count);
	else
		snprintf(po->tag, sizeof(po->tag), "%s %lld", p->tag, (long long) count);
	return CM_OK;
}
