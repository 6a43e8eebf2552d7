/*
 * pl_run.c -- from logical plan to executor operators, subquery
 * evaluation at run time, and EXPLAIN text.
 *
 * Physical choices made here: a join with equality keys becomes a hash
 * join (right input built), otherwise a nested loop; aggregation is
 * hashed; DISTINCT is hashed unless it is DISTINCT ON over sorted input.
 *
 * Subplans (SEM_EXPR_EXTERN with pl_subplan_fn) are instantiated on first
 * use per execution and kept in ex_state.subplans; a correlated one copies
 * its arguments into the executor parameters and reruns its operators on
 * every call, an uncorrelated one runs once and caches its answer (or its
 * rows, for IN/ANY/ALL).
 */
#include <string.h>

#include "sql/exec/ex_internal.h"
#include "sql/plan/pl_logical.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_array.h"

typedef struct build_ctx {
	ex_state *st;
	int nrec;
	pl_node *recs[16];
	ex_op *recops[16];
} build_ctx;

static cm_status build_node(build_ctx *bc, pl_node *n, ex_op **out, cm_error *err);

/* EXPLAIN ANALYZE: remember which operator runs which node. */
static void opmap_add(pl_opmap *m, cm_arena *a, const pl_node *n, ex_op *op)
{
	if (m->n == m->cap) {
		int nc = m->cap ? m->cap * 2 : 32;
		const pl_node **nn = cm_new_array(a, const pl_node *, nc);
		ex_op **no = cm_new_array(a, ex_op *, nc);
		if (m->n) {
			memcpy(nn, m->nodes, sizeof(pl_node *) * (size_t) m->n);
			memcpy(no, m->ops, sizeof(ex_op *) * (size_t) m->n);
		}
		m->nodes = nn;
		m->ops = no;
		m->cap = nc;
	}
	m->nodes[m->n] = n;
	m->ops[m->n++] = op;
}

static cm_status build(build_ctx *bc, pl_node *n, ex_op **out, cm_error *err)
{
	if (build_node(bc, n, out, err) != CM_OK)
		return CM_ERROR;
	if (bc->st->planner)
		opmap_add(bc->st->planner, bc->st->arena, n, *out);
	return CM_OK;
}

static cm_status build_node(build_ctx *bc, pl_node *n, ex_op **out, cm_error *err)
{
	ex_state *st = bc->st;
	ex_op *l = NULL, *r = NULL;
	if (n->kind != PL_RECURSIVE) {
		if (n->left && build(bc, n->left, &l, err) != CM_OK)
			return CM_ERROR;
		bool lookup = n->kind == PL_JOIN && n->algo == PL_JOIN_LOOKUP;	/* right: read by the join */
		if (n->right && !lookup && build(bc, n->right, &r, err) != CM_OK)
			return CM_ERROR;
	}
	switch (n->kind) {
	case PL_RESULT: {
		sem_expr ***rows = cm_new_array(st->arena, sem_expr **, 1);
		rows[0] = cm_new_array(st->arena, sem_expr *, 1);
		*out = ex_values_new(st, 0, n->types, 1, rows);
		return CM_OK;
	}
	case PL_VALUES:
		*out = ex_values_new(st, n->ncols, n->types, n->n, n->rows);
		return CM_OK;
	case PL_SRF:
		*out = ex_srf_new(st, l, n->n, n->exprs, n->types, n->ordinality);
		return CM_OK;
	case PL_SCAN:
		return n->scan->build(n->scan, st, out, err);
	case PL_PROJECT:
		*out = ex_project_new(st, l, n->n, n->exprs, n->types);
		return CM_OK;
	case PL_FILTER:
		*out = ex_filter_new(st, l, n->pred);
		return CM_OK;
	case PL_JOIN:
		if (n->lateral) {
			*out = ex_lateral_new(st, n->jt, l, r, n->nlat, n->latargs, n->latids, n->pred, n->types);
			return CM_OK;
		}
		if (n->algo == PL_JOIN_LOOKUP)
			*out = pl_lookupjoin_new(st, n, l);
		else if (n->algo == PL_JOIN_MERGE)
			*out = ex_mergejoin_new(st, n->jt, l, r, n->nkeys, n->nlookup, n->lkeys, n->rkeys, n->eqs, n->pred,
									n->types);
		else
			*out = ex_join_new(st, n->jt, l, r, n->nkeys, n->lkeys, n->rkeys, n->eqs, n->pred, n->types);
		return CM_OK;
	case PL_AGG:
		*out = ex_agg_new(st, l, n->n, n->exprs, n->naggs, n->aggs, n->types);
		return CM_OK;
	case PL_SORT:
		*out = ex_sort_new(st, l, n->nsort, n->sort);
		return CM_OK;
	case PL_LIMIT:
		*out = ex_limit_new(st, l, n->limit, n->offset);
		return CM_OK;
	case PL_DISTINCT:
		*out = ex_distinct_new(st, l, n->n, n->exprs);
		return CM_OK;
	case PL_SETOP:
		*out = ex_setop_new(st, n->setop, n->all, l, r);
		return CM_OK;
	case PL_WINDOW:
		*out = ex_window_new(st, l, n->npart, n->part, n->nsort, n->sort, n->nwin, n->wins, n->types);
		return CM_OK;
	case PL_RECURSIVE: {
		if (build(bc, n->left, &l, err) != CM_OK)
			return CM_ERROR;
		ex_op *ru = ex_recursive_new(st, l, !n->all);
		if (bc->nrec >= 16)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "too many nested recursive queries");
		bc->recs[bc->nrec] = n;
		bc->recops[bc->nrec++] = ru;
		cm_status s = build(bc, n->right, &r, err);
		bc->nrec--;
		if (s != CM_OK)
			return CM_ERROR;
		ex_recursive_set_rec(ru, r);
		*out = ru;
		return CM_OK;
	}
	case PL_LOCKROWS: {
		pl_scanspec *sp = pl_scan_spec(n->scan);
		if (!sp)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "FOR UPDATE/SHARE needs a stored table");
		*out = pl_lockrows_new(st, l, sp->ref, sp->ref->nvis, n->pred, n->nkeys, n->n);
		return CM_OK;
	}
	case PL_WORKTABLE:
		for (int i = bc->nrec - 1; i >= 0; i--)
			if (bc->recs[i] == n->rec) {
				*out = ex_worktable_new(st, bc->recops[i]);
				return CM_OK;
			}
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "worktable scan outside its recursive query");
	}
	return cm_error_set(err, CM_E_INTERNAL_ERROR, "unknown plan node %d", (int) n->kind);
}

cm_status pl_build(ex_state *st, pl_node *n, ex_op **out, cm_error *err)
{
	build_ctx bc;
	memset(&bc, 0, sizeof bc);
	bc.st = st;
	return build(&bc, n, out, err);
}

/* ---- run time --------------------------------------------------------------------- */

cm_status pl_xparam_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err)
{
	ex_state *st = ctx->exec;
	int id = (int) (intptr_t) e->u.ext.arg;
	if (!st || id < 0 || id >= st->nxparams)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "executor parameter %d is not set", id);
	*out = st->xparams[id];
	return CM_OK;
}

typedef struct sub_run {
	ex_op *op;
	bool cached;
	sem_datum value;		/* EXISTS / EXPR / ARRAY */
	ex_rowstore rows;		/* ANY / ALL, uncorrelated */
	bool have_rows;
	bool running;
	cm_arena *argarena;		/* this call's parameter values */
} sub_run;

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

static cm_status run_any(sem_ctx *ctx, const pl_subplan *sp, const sem_datum *lhs, sem_datum **rows, int64_t n,
						 ex_op *op, sem_datum *out, cm_error *err)
{
	bool all = sp->kind == PL_SUB_ALL;
	bool anynull = false;
	sem_datum pair[2];
	pair[0] = *lhs;
	for (int64_t i = 0; i < n; i++) {
		pair[1] = rows[i][0];
		sem_datum r;
		if (sem_eval(ctx, sp->test, pair, ((ex_state *) ctx->exec)->params, &r, err) != CM_OK)
			return CM_ERROR;
		if (r.isnull)
			anynull = true;
		else if (r.v.b != all) {
			out->v.b = !all;
			return CM_OK;
		}
	}
	if (anynull)
		out->isnull = true;
	else
		out->v.b = all;
	return CM_OK;
}

cm_status pl_subplan_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err)
{
	ex_state *st = ctx->exec;
	const pl_subplan *sp = e->u.ext.arg;
	if (!st)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "subquery evaluated outside the executor");
	sub_run *run = st->subplans[sp->id];
	if (!run) {
		run = cm_new(st->arena, sub_run);
		if (pl_build(st, sp->plan, &run->op, err) != CM_OK)
			return CM_ERROR;
		ex_rowstore_init(&run->rows, st, run->op->ncols, run->op->types, "subquery");
		run->argarena = cm_arena_create(0);
		cm_arena_on_reset(st->arena, destroy_arena, run->argarena);
		st->subplans[sp->id] = run;
	}
	memset(out, 0, sizeof *out);
	bool correlated = sp->correlated;
	const sem_datum *lhs = sp->kind == PL_SUB_ANY || sp->kind == PL_SUB_ALL ? &args[sp->nparams] : NULL;
	if (!correlated && run->cached) {
		ex_datum_copy(ctx->arena, e->type.oid, &run->value, out);
		return CM_OK;
	}
	if (!correlated && run->have_rows)
		return run_any(ctx, sp, lhs, run->rows.rows, run->rows.n, run->op, out, err);
	if (run->running)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "recursive subquery evaluation is not supported");
	/* the previous call's values are dead: nested subplans read them only during a call */
	cm_arena_reset(run->argarena);
	for (int i = 0; i < sp->nparams; i++)
		ex_datum_copy(run->argarena, e->u.ext.args[i]->type.oid, &args[i], &st->xparams[sp->param_ids[i]]);
	run->running = true;
	cm_status s = ex_open(run->op, err);
	int64_t count = 0;
	sem_array *arr = NULL;
	int acap = 0;
	bool anynull = false, decided = false;
	bool all = sp->kind == PL_SUB_ALL;
	if (sp->kind == PL_SUB_ARRAY) {
		arr = sem_array_new(ctx->arena, sem_array_elem_type(e->type.oid), 0);
	}
	while (s == CM_OK && !decided) {
		ex_batch *b;
		s = ex_next(run->op, &b, err);
		if (s != CM_OK || !b)
			break;
		for (int r = 0; r < b->nrows && !decided; r++) {
			sem_datum *row = ex_row(b, r);
			switch (sp->kind) {
			case PL_SUB_EXISTS:
				out->v.b = true;
				decided = true;
				break;
			case PL_SUB_EXPR:
				if (count > 0) {
					s = cm_error_set(err, CM_E_CARDINALITY_VIOLATION, "more than one row returned by a subquery used as an expression");
					decided = true;
					break;
				}
				ex_datum_copy(ctx->arena, e->type.oid, &row[0], out);
				break;
			case PL_SUB_ARRAY:
				if (arr->n == acap) {
					int nc = acap ? acap * 2 : 16;
					sem_datum *ne = cm_alloc(ctx->arena, sizeof(sem_datum) * (size_t) nc);
					if (arr->n)
						memcpy(ne, arr->elems, sizeof(sem_datum) * (size_t) arr->n);
					arr->elems = ne;
					acap = nc;
				}
				ex_datum_copy(ctx->arena, arr->elemtype, &row[0], &arr->elems[arr->n++]);
				break;
			case PL_SUB_ANY:
			case PL_SUB_ALL:
				if (!correlated) {
					if (ex_rowstore_add(&run->rows, row, 0, NULL, err) != CM_OK) {
						s = CM_ERROR;
						decided = true;
					}
					break;
				}
				{
					sem_datum pair[2] = {*lhs, row[0]}, res;
					if (sem_eval(ctx, sp->test, pair, st->params, &res, err) != CM_OK) {
						s = CM_ERROR;
						decided = true;
						break;
					}
					if (res.isnull)
						anynull = true;
					else if (res.v.b != all) {
						out->v.b = !all;
						decided = true;
					}
				}
				break;
			}
			count++;
		}
	}
	ex_close(run->op);
	run->running = false;
	if (s != CM_OK)
		return CM_ERROR;
	switch (sp->kind) {
	case PL_SUB_EXISTS:
		break;
	case PL_SUB_EXPR:
		if (count == 0)
			out->isnull = true;
		break;
	case PL_SUB_ARRAY:
		out->v.arr = arr;
		break;
	case PL_SUB_ANY:
	case PL_SUB_ALL:
		if (!correlated) {
			run->have_rows = true;
			return run_any(ctx, sp, lhs, run->rows.rows, run->rows.n, run->op, out, err);
		}
		if (!decided) {
			if (anynull)
				out->isnull = true;
			else
				out->v.b = all;
		}
		return CM_OK;
	}
	if (!correlated) {
		run->cached = true;
		ex_datum_copy(st->arena, e->type.oid, out, &run->value);
	}
	return CM_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------------ */

static const char *jt_name(ex_jointype jt)
{
	switch (jt) {
	case EX_JOIN_LEFT: return "Left";
	case EX_JOIN_RIGHT: return "Right";
	case EX_JOIN_FULL: return "Full";
	case EX_JOIN_SEMI: return "Semi";
	case EX_JOIN_ANTI: return "Anti";
	default: return "";
	}
}

typedef struct subplan_explain {
	int indent;
	const pl_opmap *map;
	cm_buf *out;
} subplan_explain;

static void explain_subplan(pl_subplan *sp, void *arg)
{
	subplan_explain *x = arg;
	for (int i = 0; i < x->indent - 2; i++)
		cm_buf_putc(x->out, ' ');
	cm_buf_printf(x->out, "SubPlan %d\n", sp->id + 1);
	pl_explain_node_ex(sp->plan, x->indent + 4, x->map, x->out);
}

static void explain_expr_subplans(sem_expr *e, void *arg)
{
	pl_expr_subplans(e, explain_subplan, arg);
}

/* Subquery plans in n's expressions, under n. */
static void explain_subplans(const pl_node *n, int indent, const pl_opmap *map, cm_buf *out)
{
	subplan_explain x = {indent, map, out};
	pl_node_exprs(n, explain_expr_subplans, &x);
}

void pl_explain_node_ex(const pl_node *n, int indent, const pl_opmap *map, cm_buf *out)
{
	if (indent > 0) {
		for (int i = 0; i < indent - 6; i++)
			cm_buf_putc(out, ' ');
		cm_buf_puts(out, "->  ");
	}
	switch (n->kind) {
	case PL_RESULT: cm_buf_puts(out, "Result"); break;
	case PL_VALUES: cm_buf_printf(out, "Values Scan (%d rows)", n->n); break;
	case PL_SRF:
		if (n->left)
			cm_buf_puts(out, "ProjectSet");
		else
			cm_buf_printf(out, "Function Scan on %s", n->label ? n->label : "function");
		break;
	case PL_SCAN: cm_buf_puts(out, n->scan && n->scan->label ? n->scan->label : "Scan"); break;
	case PL_PROJECT: cm_buf_printf(out, "Project (%d columns)", n->n); break;
	case PL_FILTER: cm_buf_puts(out, "Filter"); break;
	case PL_JOIN:
		if (n->lateral)
			cm_buf_printf(out, "Nested Loop%s (lateral)", n->jt == EX_JOIN_LEFT ? " Left Join" : "");
		else if (n->nkeys)
			cm_buf_printf(out, "%s %s%sJoin (%d keys%s)",
						  n->algo == PL_JOIN_LOOKUP ? "Index Lookup" : n->algo == PL_JOIN_MERGE ? "Merge" : "Hash",
						  jt_name(n->jt), n->jt == EX_JOIN_INNER ? "" : " ", n->nkeys, n->pred ? ", join filter" : "");
		else
			cm_buf_printf(out, "Nested Loop%s%s%s", n->jt == EX_JOIN_INNER ? "" : " ", jt_name(n->jt),
						  n->jt == EX_JOIN_INNER ? "" : " Join");
		break;
	case PL_AGG:
		if (n->n)
			cm_buf_printf(out, "HashAggregate (%d group keys, %d aggregates)", n->n, n->naggs);
		else
			cm_buf_printf(out, "Aggregate (%d aggregates)", n->naggs);
		break;
	case PL_SORT: cm_buf_printf(out, "Sort (%d keys)", n->nsort); break;
	case PL_LIMIT: cm_buf_puts(out, "Limit"); break;
	case PL_DISTINCT: cm_buf_puts(out, n->n ? "Unique" : "HashAggregate (distinct)"); break;
	case PL_SETOP:
		if (n->setop == EX_UNION && n->all)
			cm_buf_puts(out, "Append");
		else
			cm_buf_printf(out, "HashSetOp %s%s", n->setop == EX_UNION ? "Union" : n->setop == EX_INTERSECT ? "Intersect" : "Except",
						  n->all ? " All" : "");
		break;
	case PL_WINDOW: cm_buf_printf(out, "WindowAgg (%d functions)", n->nwin); break;
	case PL_RECURSIVE: cm_buf_printf(out, "Recursive Union (%s)", n->label ? n->label : ""); break;
	case PL_WORKTABLE: cm_buf_printf(out, "WorkTable Scan on %s", n->label ? n->label : ""); break;
	case PL_LOCKROWS: cm_buf_puts(out, "LockRows"); break;
	}
	if (map) {
		const ex_op *op = NULL;
		for (int i = 0; i < map->n; i++)
			if (map->nodes[i] == n)
				op = map->ops[i];
		if (op)
			cm_buf_printf(out, " (actual time=%.3f rows=%lld loops=%lld)", (double) op->time_ns / 1e6,
						  (long long) op->rows_out, (long long) op->loops);
		else
			cm_buf_puts(out, " (never executed)");
	}
	cm_buf_putc(out, '\n');
	int ci = indent == 0 ? 8 : indent + 6;
	if (n->kind == PL_SCAN && n->scan)
		pl_scan_explain(n->scan, ci, map, out);
	if (n->kind == PL_JOIN && n->algo == PL_JOIN_LOOKUP && n->rfilter) {
		for (int i = 0; i < ci - 2; i++)
			cm_buf_putc(out, ' ');
		cm_buf_puts(out, "Lookup Filter: on the fetched rows\n");
	}
	if (n->left)
		pl_explain_node_ex(n->left, ci, map, out);
	if (n->right)	/* a lookup join's right side has no operator of its own */
		pl_explain_node_ex(n->right, ci, n->kind == PL_JOIN && n->algo == PL_JOIN_LOOKUP ? NULL : map, out);
	explain_subplans(n, ci, map, out);
}

void pl_explain_node(const pl_node *n, int indent, cm_buf *out)
{
	pl_explain_node_ex(n, indent, NULL, out);
}
