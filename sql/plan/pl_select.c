/*
 * pl_select.c -- plans for SELECT without FROM and for VALUES lists.
 *
 * A plan is a list of rows of bound expressions (one row for SELECT, n for
 * VALUES), an optional one-time WHERE filter and LIMIT/OFFSET expressions.
 * Clauses that need the full engine (FROM, GROUP BY, ORDER BY, set
 * operations, DISTINCT, WITH, locking) are rejected with 0A000 for now.
 *
 * Exported (plan.h): pl_plan_select, pl_plan_ncols/cols/nparams/param_types,
 * pl_open, pl_next.
 */
#include <stdio.h>
#include <string.h>

#include "sql/plan/pl_internal.h"
#include "sql/sem/sem_type.h"

#define PL_MAX_PARAMS 65535

struct pl_plan {
	int ncols;
	pl_column *cols;
	int nrows;
	sem_expr ***rows;		/* rows[r][c] */
	sem_expr *where;		/* bool or NULL */
	sem_expr *limit;		/* int8 or NULL */
	sem_expr *offset;		/* int8 or NULL */
	int nparams;
	sem_oid *param_types;
};

struct pl_cursor {
	pl_plan *plan;
	sem_ctx *ctx;
	const sem_datum *params;
	int next;
	int64_t remaining;		/* -1 = no limit */
	bool done;
	sem_datum **folded;		/* folded[r][c] for constant expressions, or NULL */
};

static cm_status unsupported(cm_error *err, const char *what)
{
	return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "%s is not supported yet", what);
}

static int node_location(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST: return n->a_const->location;
	case PG_QUERY__NODE__NODE_TYPE_CAST: return n->type_cast->location;
	case PG_QUERY__NODE__NODE_A_EXPR: return n->a_expr->location;
	case PG_QUERY__NODE__NODE_FUNC_CALL: return n->func_call->location;
	case PG_QUERY__NODE__NODE_COLUMN_REF: return n->column_ref->location;
	case PG_QUERY__NODE__NODE_PARAM_REF: return n->param_ref->location;
	case PG_QUERY__NODE__NODE_BOOL_EXPR: return n->bool_expr->location;
	default: return -1;
	}
}

static cm_status bind_limit(pl_binder *b, const PgQuery__Node *n, const char *what, sem_expr **out, cm_error *err)
{
	sem_expr *e;
	if (pl_bind_node(b, n, &e, err) != CM_OK)
		return CM_ERROR;
	if (e->type.oid != SEM_INT8OID) {
		if (!sem_can_coerce(e->type.oid, SEM_INT8OID, SEM_COERCE_IMPLICIT)) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "argument of %s must be type %s, not type %s", what, "bigint",
						 sem_type_name(e->type.oid));
			if (e->location >= 0)
				cm_error_position(err, e->location + 1);
			return CM_ERROR;
		}
		if (pl_coerce(b, &e, SEM_INT8OID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
			return CM_ERROR;
	}
	*out = e;
	return CM_OK;
}

cm_status pl_plan_select(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *stmt, const char *query, int nparams,
						 const sem_oid *param_types, pl_plan **out, cm_error *err)
{
	if (!stmt || stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "statement is not a SELECT");
	const PgQuery__SelectStmt *s = stmt->select_stmt;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE && s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED)
		return unsupported(err, "UNION/INTERSECT/EXCEPT");
	if (s->with_clause)
		return unsupported(err, "WITH");
	if (s->into_clause)
		return unsupported(err, "SELECT INTO");
	if (s->n_from_clause)
		return unsupported(err, "FROM");
	if (s->n_group_clause || s->having_clause)
		return unsupported(err, "GROUP BY");
	if (s->n_window_clause)
		return unsupported(err, "WINDOW");
	if (s->n_distinct_clause)
		return unsupported(err, "DISTINCT");
	if (s->n_sort_clause)
		return unsupported(err, "ORDER BY");
	if (s->n_locking_clause)
		return unsupported(err, "FOR UPDATE/SHARE");
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return unsupported(err, "FETCH ... WITH TIES");
	if (nparams < 0 || nparams > PL_MAX_PARAMS)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "invalid number of parameters");

	pl_plan *p = cm_new(arena, pl_plan);
	sem_oid *ptypes = cm_new_array(arena, sem_oid, PL_MAX_PARAMS);
	for (int i = 0; i < nparams; i++)
		ptypes[i] = param_types ? param_types[i] : 0;
	int np = nparams;
	pl_bind_env env = {ptypes, &np, PL_MAX_PARAMS, NULL, NULL};
	pl_binder b = {arena, ctx, query, &env, 0};

	if (s->n_values_lists > 0) {
		int nrows = (int) s->n_values_lists;
		int ncols = -1;
		p->rows = cm_new_array(arena, sem_expr **, nrows);
		for (int r = 0; r < nrows; r++) {
			const PgQuery__Node *ln = s->values_lists[r];
			if (ln->node_case != PG_QUERY__NODE__NODE_LIST)
				return cm_error_set(err, CM_E_SYNTAX_ERROR, "malformed VALUES list");
			const PgQuery__List *l = ln->list;
			if (ncols < 0)
				ncols = (int) l->n_items;
			else if ((int) l->n_items != ncols) {
				cm_error_set(err, CM_E_SYNTAX_ERROR, "VALUES lists must all be the same length");
				int loc = l->n_items ? node_location(l->items[0]) : -1;
				if (loc >= 0)
					cm_error_position(err, loc + 1);
				return CM_ERROR;
			}
			p->rows[r] = cm_new_array(arena, sem_expr *, ncols > 0 ? ncols : 1);
			for (int c = 0; c < ncols; c++)
				if (pl_bind_node(&b, l->items[c], &p->rows[r][c], err) != CM_OK)
					return CM_ERROR;
		}
		p->nrows = nrows;
		p->ncols = ncols;
		p->cols = cm_new_array(arena, pl_column, ncols > 0 ? ncols : 1);
		sem_expr **col = cm_new_array(arena, sem_expr *, nrows);
		for (int c = 0; c < ncols; c++) {
			for (int r = 0; r < nrows; r++)
				col[r] = p->rows[r][c];
			sem_type t;
			if (pl_common_type(&b, col, nrows, "VALUES", &t, err) != CM_OK ||
				pl_coerce_common(&b, col, nrows, t, "VALUES", err) != CM_OK)
				return CM_ERROR;
			for (int r = 0; r < nrows; r++) {
				p->rows[r][c] = col[r];
				if (pl_resolve_unknown(&b, &p->rows[r][c], err) != CM_OK)
					return CM_ERROR;
			}
			p->cols[c].name = cm_asprintf(arena, "column%d", c + 1);
			p->cols[c].type = t;
		}
	} else {
		int ncols = (int) s->n_target_list;
		p->nrows = 1;
		p->ncols = ncols;
		p->rows = cm_new_array(arena, sem_expr **, 1);
		p->rows[0] = cm_new_array(arena, sem_expr *, ncols > 0 ? ncols : 1);
		p->cols = cm_new_array(arena, pl_column, ncols > 0 ? ncols : 1);
		for (int c = 0; c < ncols; c++) {
			const PgQuery__ResTarget *rt = s->target_list[c]->res_target;
			if (rt->n_indirection)
				return unsupported(err, "indirection in the target list");
			sem_expr *e;
			if (pl_bind_node(&b, rt->val, &e, err) != CM_OK)
				return CM_ERROR;
			p->rows[0][c] = e;
			p->cols[c].name = rt->name && rt->name[0] ? cm_strdup(arena, rt->name)
													  : cm_strdup(arena, pl_figure_colname(rt->val));
		}
		if (s->where_clause) {
			if (pl_bind_node(&b, s->where_clause, &p->where, err) != CM_OK ||
				pl_coerce_bool(&b, &p->where, "WHERE", err) != CM_OK)
				return CM_ERROR;
		}
		/* outputs of unknown type become text after the whole statement is seen */
		for (int c = 0; c < ncols; c++) {
			if (pl_resolve_unknown(&b, &p->rows[0][c], err) != CM_OK)
				return CM_ERROR;
			p->cols[c].type = p->rows[0][c]->type;
		}
	}
	if (s->limit_count && bind_limit(&b, s->limit_count, "LIMIT", &p->limit, err) != CM_OK)
		return CM_ERROR;
	if (s->limit_offset && bind_limit(&b, s->limit_offset, "OFFSET", &p->offset, err) != CM_OK)
		return CM_ERROR;

	for (int i = 0; i < np; i++) {
		if (ptypes[i] == 0 || ptypes[i] == SEM_UNKNOWNOID)
			return cm_error_set(err, CM_E_INDETERMINATE_DATATYPE, "could not determine data type of parameter $%d",
								i + 1);
	}
	p->nparams = np;
	p->param_types = cm_memdup(arena, ptypes, sizeof(sem_oid) * (size_t) (np > 0 ? np : 1));
	*out = p;
	return CM_OK;
}

int pl_plan_ncols(const pl_plan *p) { return p->ncols; }
const pl_column *pl_plan_cols(const pl_plan *p) { return p->cols; }
int pl_plan_nparams(const pl_plan *p) { return p->nparams; }
const sem_oid *pl_plan_param_types(const pl_plan *p) { return p->param_types; }

static cm_status eval_count(pl_cursor *c, sem_expr *e, const char *what, int64_t *out, cm_error *err)
{
	sem_datum d;
	if (sem_eval(c->ctx, e, NULL, c->params, &d, err) != CM_OK)
		return CM_ERROR;
	if (d.isnull) {
		*out = -1;
		return CM_OK;
	}
	if (d.v.i < 0)
		return cm_error_set(err, what[0] == 'L' ? CM_E_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE
											   : CM_E_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
							"%s must not be negative", what);
	*out = d.v.i;
	return CM_OK;
}

cm_status pl_open(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, pl_cursor **out, cm_error *err)
{
	pl_cursor *c = cm_new(ctx->arena, pl_cursor);
	c->plan = plan;
	c->ctx = ctx;
	c->params = params;
	c->remaining = -1;
	if (plan->nparams > 0 && !params)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION, "bind message supplies 0 parameters, but prepared statement requires %d",
							plan->nparams);
	if (plan->limit && eval_count(c, plan->limit, "LIMIT", &c->remaining, err) != CM_OK)
		return CM_ERROR;
	if (plan->offset) {
		int64_t off;
		if (eval_count(c, plan->offset, "OFFSET", &off, err) != CM_OK)
			return CM_ERROR;
		if (off > 0)
			c->next = off > plan->nrows ? plan->nrows : (int) off;
	}
	/*
	 * Immutable expressions are evaluated now, as PostgreSQL's planner folds
	 * them: their errors (1/0, overflow) surface before any row is sent.
	 */
	c->folded = cm_new_array(ctx->arena, sem_datum *, plan->nrows > 0 ? plan->nrows : 1);
	for (int r = c->next; r < plan->nrows; r++) {
		for (int i = 0; i < plan->ncols; i++) {
			if (!sem_expr_is_const(plan->rows[r][i]) || plan->rows[r][i]->kind == SEM_EXPR_CONST)
				continue;
			if (!c->folded[r])
				c->folded[r] = cm_new_array(ctx->arena, sem_datum, plan->ncols);
			sem_datum *d = &c->folded[r][i];
			if (sem_eval(ctx, plan->rows[r][i], NULL, params, d, err) != CM_OK)
				return CM_ERROR;
		}
	}
	if (plan->where && c->remaining != 0) {
		sem_datum d;
		if (sem_eval(ctx, plan->where, NULL, params, &d, err) != CM_OK)
			return CM_ERROR;
		if (d.isnull || !d.v.b)
			c->done = true;
	}
	*out = c;
	return CM_OK;
}

cm_status pl_next(pl_cursor *c, sem_datum *row, bool *done, cm_error *err)
{
	pl_plan *p = c->plan;
	if (c->done || c->next >= p->nrows || c->remaining == 0) {
		c->done = true;
		*done = true;
		return CM_OK;
	}
	if (c->ctx->cancel && *c->ctx->cancel)
		return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
	sem_expr **r = p->rows[c->next];
	sem_datum *f = c->folded[c->next];
	for (int i = 0; i < p->ncols; i++) {
		if (f && sem_expr_is_const(r[i]) && r[i]->kind != SEM_EXPR_CONST) {
			row[i] = f[i];
			continue;
		}
		if (sem_eval(c->ctx, r[i], NULL, c->params, &row[i], err) != CM_OK)
			return CM_ERROR;
	}
	c->next++;
	if (c->remaining > 0)
		c->remaining--;
	*done = false;
	return CM_OK;
}
