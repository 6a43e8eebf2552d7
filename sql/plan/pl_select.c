/*
 * pl_select.c -- the planner's entry points: plan a SELECT, open it, fetch
 * rows, EXPLAIN.
 *
 * pl_plan_select() binds the statement into a logical plan (pl_query.c);
 * pl_open() instantiates executor operators for it (pl_run.c) in the
 * caller's statement arena; pl_next() hands out one row at a time from the
 * operators' batches.  A plan is immutable once built and may be opened
 * any number of times.
 *
 * Exported (plan.h): pl_plan_select, pl_plan_ncols/cols/nparams/param_types,
 * pl_open, pl_next, pl_explain.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sql/plan/pl_logical.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_type.h"

#define PL_MAX_PARAMS 65535

struct pl_plan {
	int ncols;
	pl_column *cols;
	pl_node *root;
	int nparams;
	sem_oid *param_types;
	int nxparams;
	int nsubplans;
	const char *catver;		/* catalog version of the tables read, NULL if none */
};

struct pl_cursor {
	pl_plan *plan;
	ex_state *st;
	ex_op *op;
	ex_batch *batch;
	int pos;
	bool done;
};

cm_status pl_plan_select(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *stmt, const char *query, int nparams,
						 const sem_oid *param_types, pl_plan **out, cm_error *err)
{
	if (!stmt || stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "statement is not a SELECT");
	if (nparams < 0 || nparams > PL_MAX_PARAMS)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "invalid number of parameters");
	pl_plan *p = cm_new(arena, pl_plan);
	/* [perf] sized from the text: the binder zeroes entries as $n appear */
	int cap = pl_param_capacity(query, nparams, PL_MAX_PARAMS);
	sem_oid *ptypes = cm_alloc(arena, sizeof(sem_oid) * (size_t) cap);
	for (int i = 0; i < nparams; i++)
		ptypes[i] = param_types ? param_types[i] : 0;
	int np = nparams;
	pl_bind_env env = {ptypes, &np, cap, NULL, NULL};
	pl_binder b = {arena, ctx, query, &env, 0, NULL};
	pl_query_result r;
	pl_env *penv = pl_env_get();
	int resolved0 = penv ? penv->nresolved : 0;
	if (pl_bind_select(&b, stmt->select_stmt, &r, err) != CM_OK)
		return CM_ERROR;
	if (pl_optimize_scans(&b, &r.node, err) != CM_OK)
		return CM_ERROR;
	if (penv && penv->nresolved > resolved0 && penv->view)
		p->catver = cm_strdup(arena, penv->view->version);
	for (int i = 0; i < np; i++) {
		if (ptypes[i] == 0 || ptypes[i] == SEM_UNKNOWNOID)
			return cm_error_set(err, CM_E_INDETERMINATE_DATATYPE, "could not determine data type of parameter $%d",
								i + 1);
	}
	p->root = r.node;
	p->ncols = r.ncols;
	p->cols = cm_new_array(arena, pl_column, r.ncols > 0 ? r.ncols : 1);
	for (int c = 0; c < r.ncols; c++) {
		p->cols[c].name = cm_strdup(arena, r.names[c]);
		p->cols[c].type = r.types[c];
	}
	p->nparams = np;
	p->param_types = cm_memdup(arena, ptypes, sizeof(sem_oid) * (size_t) (np > 0 ? np : 1));
	p->nxparams = r.nxparams;
	p->nsubplans = r.nsubplans;
	*out = p;
	return CM_OK;
}

int pl_param_capacity(const char *query, int nparams, int limit)
{
	long max = nparams > 0 ? nparams : 1;
	for (const char *s = query ? strchr(query, '$') : NULL; s; s = strchr(s + 1, '$')) {
		if (s[1] < '0' || s[1] > '9')
			continue;
		long n = 0;
		const char *d = s + 1;
		while (*d >= '0' && *d <= '9' && n <= limit)
			n = n * 10 + (*d++ - '0');
		if (n > max)
			max = n;
	}
	if (max > limit)
		max = limit > nparams ? limit : nparams;
	return (int) max;
}

int pl_plan_ncols(const pl_plan *p) { return p->ncols; }
const pl_column *pl_plan_cols(const pl_plan *p) { return p->cols; }
int pl_plan_nparams(const pl_plan *p) { return p->nparams; }
const sem_oid *pl_plan_param_types(const pl_plan *p) { return p->param_types; }

const char *pl_plan_catalog_version(const pl_plan *p) { return p->catver; }

cm_status pl_open(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, pl_cursor **out, cm_error *err)
{
	return pl_open_env(plan, ctx, params, NULL, out, err);
}

cm_status pl_open_env(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, pl_env *env, pl_cursor **out,
					  cm_error *err)
{
	if (plan->nparams > 0 && !params)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
							"bind message supplies 0 parameters, but prepared statement requires %d", plan->nparams);
	pl_cursor *c = cm_new(ctx->arena, pl_cursor);
	c->plan = plan;
	c->st = ex_state_new(ctx, params, plan->nxparams, plan->nsubplans);
	c->st->env = env;
	if (pl_build(c->st, plan->root, &c->op, err) != CM_OK)
		return CM_ERROR;
	if (ex_open(c->op, err) != CM_OK)
		return CM_ERROR;
	*out = c;
	return CM_OK;
}

cm_status pl_next(pl_cursor *c, sem_datum *row, bool *done, cm_error *err)
{
	while (!c->done && (!c->batch || c->pos >= c->batch->nrows)) {
		if (ex_next(c->op, &c->batch, err) != CM_OK)
			return CM_ERROR;
		c->pos = 0;
		if (!c->batch) {
			c->done = true;
			ex_close(c->op);
		}
	}
	if (c->done) {
		*done = true;
		return CM_OK;
	}
	memcpy(row, ex_row(c->batch, c->pos), sizeof(sem_datum) * (size_t) c->plan->ncols);
	c->pos++;
	*done = false;
	return CM_OK;
}

void pl_explain(const pl_plan *p, cm_buf *out)
{
	pl_explain_node(p->root, 0, out);
}

cm_status pl_explain_analyze(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, pl_env *env, cm_buf *out,
							 cm_error *err)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pl_cursor *c = cm_new(ctx->arena, pl_cursor);
	c->plan = plan;
	c->st = ex_state_new(ctx, params, plan->nxparams, plan->nsubplans);
	c->st->env = env;
	c->st->timing = true;
	pl_opmap *map = cm_new(ctx->arena, pl_opmap);
	c->st->planner = map;
	if (pl_build(c->st, plan->root, &c->op, err) != CM_OK)
		return CM_ERROR;
	if (ex_open(c->op, err) != CM_OK)
		return CM_ERROR;
	for (;;) {
		ex_batch *b;
		if (ex_next(c->op, &b, err) != CM_OK) {
			ex_close(c->op);
			return CM_ERROR;
		}
		if (!b)
			break;
	}
	ex_close(c->op);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pl_explain_node_ex(plan->root, 0, map, out);
	cm_buf_printf(out, "Execution Time: %.3f ms\n",
				  (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return CM_OK;
}
