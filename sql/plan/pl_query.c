/*
 * pl_query.c -- the query binder: SELECT statements -> logical plans.
 *
 * Mirrors PostgreSQL 15's parse analysis and the shape of its plans:
 *   - FROM items (VALUES/subqueries, set-returning functions, CTEs,
 *     tables through the catalog resolver, joins with ON/USING/NATURAL)
 *     build a namespace of items (alias, visibility, columns as
 *     expressions over the FROM row) exactly as parse_relation.c resolves
 *     names: unqualified names search column-visible items, qualified
 *     names relation-visible ones, ambiguity is 42702;
 *   - expressions are bound by pl_bind.c with a column-reference callback
 *     into this namespace; references to enclosing queries become
 *     executor parameters set by the subplan call (PARAM_EXEC);
 *   - aggregates, window functions and target-list SRFs are bound to
 *     placeholders, then replaced by column references to the output of
 *     the Agg / WindowAgg / ProjectSet nodes; a column left over after
 *     aggregation is PostgreSQL's 42803 grouping error;
 *   - the pipeline is FROM -> WHERE -> Agg -> HAVING -> WindowAgg ->
 *     ProjectSet -> Sort -> Project (-> Distinct) -> Limit.
 *
 * Exported (pl_logical.h): pl_bind_select; (pl_internal.h) the binder
 * hooks pl_q_funccall and pl_q_sublink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sem/sem_catfuncs.h"	/* [vcat] sem_func_returns_set */
#include "sql/plan/pl_logical.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_type.h"

/* ---- binder state ------------------------------------------------------------------- */

typedef struct pl_nsitem {
	struct pl_nsitem *next;
	const char *alias;
	bool rel_visible, cols_visible;
	bool hidden;			/* under an aliased join: only for the error message */
	int ncols;
	const char **names;
	sem_expr **exprs;		/* over the FROM row */
	sem_expr *ctid;			/* DML target: the row handle, found by name "ctid" only */
} pl_nsitem;

typedef struct pl_scope pl_scope;

typedef struct pl_cte {
	struct pl_cte *next;
	const PgQuery__CommonTableExpr *def;
	bool recursive;			/* WITH RECURSIVE */
	pl_scope *defscope;
	pl_node *recnode;		/* while binding the recursive term */
	bool binding;			/* its query is being bound */
	bool nonunion;			/* recursive CTE whose query is not non-recursive UNION recursive */
	int ncols;
	const char **names;
	sem_type *types;
} pl_cte;

typedef enum pl_ek {
	EK_NONE, EK_WHERE, EK_JOIN, EK_TARGET, EK_GROUP, EK_HAVING, EK_ORDER, EK_FROMFUNC, EK_LIMIT, EK_VALUES,
	EK_DISTINCT_ON, EK_WINDOW,
} pl_ek;

typedef struct pl_outer {
	bool correlated;		/* reads a parameter of an enclosing query (maybe set further out) */
	int n, cap;
	sem_expr **args;
	int *ids;
} pl_outer;

typedef struct pl_qstate {
	int nxparams;
	int nsubplans;
} pl_qstate;

typedef struct pl_wininfo {
	ex_windesc d;
	int npart;
	sem_expr **part;
	int norder;
	ex_sortkey *order;
} pl_wininfo;

struct pl_scope {
	pl_scope *parent;			/* enclosing query (correlation) */
	pl_scope *cte_parent;
	pl_cte *ctes;
	pl_nsitem *items;
	int width;
	pl_outer *outer;			/* this scope is the top of a subquery expression */
	pl_ek ek;
	bool in_agg, in_win;
	ex_aggdesc *aggs;
	int naggs, capaggs;
	pl_wininfo *wins;
	int nwins, capwins;
	sem_expr **srfs;
	int nsrfs, capsrfs;
	const PgQuery__SelectStmt *stmt;
	pl_qstate *q;
};

typedef enum pl_phkind { PH_AGG, PH_WIN, PH_SRF } pl_phkind;
typedef struct pl_ph {
	pl_phkind kind;
	int idx;
} pl_ph;

static cm_status plan_stmt(pl_binder *b, pl_scope *parent, pl_outer *outer, pl_scope *cte_parent,
						   const PgQuery__SelectStmt *s, bool resolve_unknown, pl_query_result *out, cm_error *err);

static const char *node_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static pl_node *new_node(pl_binder *b, pl_kind k, int ncols)
{
	pl_node *n = cm_new(b->arena, pl_node);
	n->kind = k;
	n->ncols = ncols;
	n->types = cm_new_array(b->arena, sem_type, ncols > 0 ? ncols : 1);
	return n;
}

static cm_status errat(cm_error *err, int loc)
{
	return pl_err_at(err, loc);
}

static cm_status bind_in(pl_binder *b, pl_scope *sc, pl_ek ek, const PgQuery__Node *n, sem_expr **out, cm_error *err)
{
	pl_scope *saved = b->scope;
	pl_ek sek = sc->ek;
	b->scope = sc;
	sc->ek = ek;
	cm_status st = pl_bind_node(b, n, out, err);
	sc->ek = sek;
	b->scope = saved;
	return st;
}

/* ---- expression utilities ------------------------------------------------------------ */

typedef sem_expr *(*mut_fn)(pl_binder *b, sem_expr *e, void *arg, cm_error *err, bool *failed);

static sem_expr **mutate_list(pl_binder *b, sem_expr **v, int n, mut_fn fn, void *arg, cm_error *err, bool *failed);

/* Copy e with fn applied top-down: fn returns a replacement or NULL to descend. */
static sem_expr *mutate(pl_binder *b, sem_expr *e, mut_fn fn, void *arg, cm_error *err, bool *failed)
{
	if (!e || *failed)
		return e;
	sem_expr *r = fn(b, e, arg, err, failed);
	if (r || *failed)
		return r;
	sem_expr *c = cm_new(b->arena, sem_expr);
	*c = *e;
	switch (e->kind) {
	case SEM_EXPR_FUNC:
		c->u.func.args = mutate_list(b, e->u.func.args, e->u.func.nargs, fn, arg, err, failed);
		break;
	case SEM_EXPR_CAST:
		c->u.cast.arg = mutate(b, e->u.cast.arg, fn, arg, err, failed);
		break;
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT:
		c->u.arg1 = mutate(b, e->u.arg1, fn, arg, err, failed);
		break;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE:
		c->u.list.items = mutate_list(b, e->u.list.items, e->u.list.n, fn, arg, err, failed);
		break;
	case SEM_EXPR_NULLTEST:
	case SEM_EXPR_BOOLTEST:
		c->u.test.arg = mutate(b, e->u.test.arg, fn, arg, err, failed);
		break;
	case SEM_EXPR_CASE:
		c->u.case_.operand = mutate(b, e->u.case_.operand, fn, arg, err, failed);
		c->u.case_.conds = mutate_list(b, e->u.case_.conds, e->u.case_.nwhen, fn, arg, err, failed);
		c->u.case_.results = mutate_list(b, e->u.case_.results, e->u.case_.nwhen, fn, arg, err, failed);
		c->u.case_.defresult = mutate(b, e->u.case_.defresult, fn, arg, err, failed);
		break;
	case SEM_EXPR_MINMAX:
		c->u.minmax.items = mutate_list(b, e->u.minmax.items, e->u.minmax.n, fn, arg, err, failed);
		break;
	case SEM_EXPR_NULLIF:
	case SEM_EXPR_DISTINCT:
		c->u.cmp.a = mutate(b, e->u.cmp.a, fn, arg, err, failed);
		c->u.cmp.b = mutate(b, e->u.cmp.b, fn, arg, err, failed);
		break;
	case SEM_EXPR_IN:
		c->u.in.lhs = mutate(b, e->u.in.lhs, fn, arg, err, failed);
		c->u.in.items = mutate_list(b, e->u.in.items, e->u.in.n, fn, arg, err, failed);
		break;
	case SEM_EXPR_EXTERN:
		c->u.ext.args = mutate_list(b, e->u.ext.args, e->u.ext.nargs, fn, arg, err, failed);
		break;
	default:
		break;
	}
	return c;
}

static sem_expr **mutate_list(pl_binder *b, sem_expr **v, int n, mut_fn fn, void *arg, cm_error *err, bool *failed)
{
	if (!v)
		return v;
	sem_expr **r = cm_new_array(b->arena, sem_expr *, n > 0 ? n : 1);
	for (int i = 0; i < n; i++)
		r[i] = mutate(b, v[i], fn, arg, err, failed);
	return r;
}

static bool expr_equal(const sem_expr *a, const sem_expr *b);

static bool list_equal(sem_expr *const *a, sem_expr *const *b, int n)
{
	for (int i = 0; i < n; i++)
		if (!expr_equal(a[i], b[i]))
			return false;
	return true;
}

static bool expr_equal(const sem_expr *a, const sem_expr *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind || a->type.oid != b->type.oid || a->type.typmod != b->type.typmod)
		return false;
	switch (a->kind) {
	case SEM_EXPR_CONST:
		if (a->u.constval.isnull || b->u.constval.isnull)
			return a->u.constval.isnull == b->u.constval.isnull;
		if (a->type.oid == SEM_UNKNOWNOID)
			return a->u.constval.v.s.len == b->u.constval.v.s.len &&
				   memcmp(a->u.constval.v.s.p, b->u.constval.v.s.p, a->u.constval.v.s.len) == 0;
		return sem_datum_compare(a->type.oid, &a->u.constval, &b->u.constval) == 0;
	case SEM_EXPR_PARAM:
		return a->u.paramno == b->u.paramno;
	case SEM_EXPR_COLUMN:
		return a->u.colno == b->u.colno;
	case SEM_EXPR_FUNC:
		return a->u.func.fn == b->u.func.fn && a->u.func.nargs == b->u.func.nargs &&
			   list_equal(a->u.func.args, b->u.func.args, a->u.func.nargs);
	case SEM_EXPR_CAST:
		return a->u.cast.path.method == b->u.cast.path.method && a->u.cast.path.fn == b->u.cast.path.fn &&
			   expr_equal(a->u.cast.arg, b->u.cast.arg);
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT:
		return expr_equal(a->u.arg1, b->u.arg1);
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE:
		return a->u.list.n == b->u.list.n && list_equal(a->u.list.items, b->u.list.items, a->u.list.n);
	case SEM_EXPR_NULLTEST:
	case SEM_EXPR_BOOLTEST:
		return a->u.test.op == b->u.test.op && expr_equal(a->u.test.arg, b->u.test.arg);
	case SEM_EXPR_CASE:
		return a->u.case_.nwhen == b->u.case_.nwhen && expr_equal(a->u.case_.operand, b->u.case_.operand) &&
			   list_equal(a->u.case_.conds, b->u.case_.conds, a->u.case_.nwhen) &&
			   list_equal(a->u.case_.results, b->u.case_.results, a->u.case_.nwhen) &&
			   expr_equal(a->u.case_.defresult, b->u.case_.defresult);
	case SEM_EXPR_CASETEST:
		return true;
	case SEM_EXPR_MINMAX:
		return a->u.minmax.greatest == b->u.minmax.greatest && a->u.minmax.n == b->u.minmax.n &&
			   list_equal(a->u.minmax.items, b->u.minmax.items, a->u.minmax.n);
	case SEM_EXPR_NULLIF:
	case SEM_EXPR_DISTINCT:
		return a->u.cmp.negate == b->u.cmp.negate && expr_equal(a->u.cmp.a, b->u.cmp.a) &&
			   expr_equal(a->u.cmp.b, b->u.cmp.b);
	case SEM_EXPR_IN:
		return a->u.in.negate == b->u.in.negate && a->u.in.n == b->u.in.n && expr_equal(a->u.in.lhs, b->u.in.lhs) &&
			   list_equal(a->u.in.items, b->u.in.items, a->u.in.n);
	case SEM_EXPR_EXTERN:
		return a->u.ext.fn == b->u.ext.fn && a->u.ext.arg == b->u.ext.arg && a->u.ext.nargs == b->u.ext.nargs &&
			   list_equal(a->u.ext.args, b->u.ext.args, a->u.ext.nargs);
	}
	return false;
}

static sem_expr *shift_fn(pl_binder *b, sem_expr *e, void *arg, cm_error *err, bool *failed)
{
	if (e->kind != SEM_EXPR_COLUMN)
		return NULL;
	return sem_expr_column(b->arena, e->u.colno + *(int *) arg, e->type, e->location);
}

static sem_expr *shift(pl_binder *b, sem_expr *e, int by)
{
	bool failed = false;
	if (by == 0)
		return e;
	return mutate(b, e, shift_fn, &by, NULL, &failed);
}

/* column-range test: all COLUMN refs in [lo, hi); *has_other for params/subplans */
static void col_range(const sem_expr *e, int *lo, int *hi, bool *unsafe)
{
	if (!e)
		return;
	switch (e->kind) {
	case SEM_EXPR_COLUMN:
		if (e->u.colno < *lo)
			*lo = e->u.colno;
		if (e->u.colno + 1 > *hi)
			*hi = e->u.colno + 1;
		return;
	case SEM_EXPR_FUNC:
		if (e->u.func.fn->flags & SEM_FN_VOLATILE)
			*unsafe = true;
		for (int i = 0; i < e->u.func.nargs; i++)
			col_range(e->u.func.args[i], lo, hi, unsafe);
		return;
	case SEM_EXPR_CAST:
		col_range(e->u.cast.arg, lo, hi, unsafe);
		return;
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT:
		col_range(e->u.arg1, lo, hi, unsafe);
		return;
	case SEM_EXPR_AND: case SEM_EXPR_OR: case SEM_EXPR_COALESCE:
		for (int i = 0; i < e->u.list.n; i++)
			col_range(e->u.list.items[i], lo, hi, unsafe);
		return;
	case SEM_EXPR_NULLTEST: case SEM_EXPR_BOOLTEST:
		col_range(e->u.test.arg, lo, hi, unsafe);
		return;
	case SEM_EXPR_CONST: case SEM_EXPR_PARAM:
		return;
	default:
		*unsafe = true;
		return;
	}
}

/* ---- namespace -------------------------------------------------------------------- */

static pl_nsitem *new_item(pl_binder *b, const char *alias, int ncols)
{
	pl_nsitem *it = cm_new(b->arena, pl_nsitem);
	it->alias = alias;
	it->rel_visible = alias != NULL;
	it->cols_visible = true;
	it->ncols = ncols;
	it->names = cm_new_array(b->arena, const char *, ncols > 0 ? ncols : 1);
	it->exprs = cm_new_array(b->arena, sem_expr *, ncols > 0 ? ncols : 1);
	return it;
}

static pl_nsitem *items_append(pl_nsitem *a, pl_nsitem *b)
{
	if (!a)
		return b;
	pl_nsitem *t = a;
	while (t->next)
		t = t->next;
	t->next = b;
	return a;
}

static pl_nsitem *items_shift(pl_binder *b, pl_nsitem *list, int by)
{
	pl_nsitem *head = NULL, *tail = NULL;
	for (pl_nsitem *it = list; it; it = it->next) {
		pl_nsitem *c = cm_new(b->arena, pl_nsitem);
		*c = *it;
		c->next = NULL;
		c->exprs = cm_new_array(b->arena, sem_expr *, it->ncols > 0 ? it->ncols : 1);
		for (int i = 0; i < it->ncols; i++)
			c->exprs[i] = shift(b, it->exprs[i], by);
		if (it->ctid)
			c->ctid = shift(b, it->ctid, by);
		if (tail)
			tail->next = c;
		else
			head = c;
		tail = c;
	}
	return head;
}

static sem_expr *copy_at(pl_binder *b, const sem_expr *e, int location)
{
	sem_expr *c = cm_new(b->arena, sem_expr);
	*c = *e;
	c->location = location;
	return c;
}

/* Look a column reference up in one scope.  *found false: not here. */
static cm_status lookup(pl_binder *b, pl_scope *sc, const char *const *names, int n, int loc, sem_expr **out,
						bool *found, cm_error *err)
{
	*found = false;
	if (n == 1) {
		const sem_expr *hit = NULL;
		for (pl_nsitem *it = sc->items; it; it = it->next) {
			if (!it->cols_visible)
				continue;
			for (int i = 0; i < it->ncols; i++) {
				if (strcmp(it->names[i], names[0]) != 0)
					continue;
				if (hit) {
					cm_error_set(err, CM_E_AMBIGUOUS_COLUMN, "column reference \"%s\" is ambiguous", names[0]);
					return errat(err, loc);
				}
				hit = it->exprs[i];
			}
		}
		if (!hit && strcmp(names[0], "ctid") == 0)
			for (pl_nsitem *it = sc->items; it && !hit; it = it->next)
				if (it->ctid)
					hit = it->ctid;
		if (hit) {
			*out = copy_at(b, hit, loc);
			*found = true;
		}
		return CM_OK;
	}
	const char *rel = names[n - 2], *col = names[n - 1];
	for (pl_nsitem *it = sc->items; it; it = it->next) {
		if (!it->rel_visible || !it->alias || strcmp(it->alias, rel) != 0)
			continue;
		const sem_expr *hit = NULL;
		for (int i = 0; i < it->ncols; i++) {
			if (strcmp(it->names[i], col) != 0)
				continue;
			if (hit) {
				cm_error_set(err, CM_E_AMBIGUOUS_COLUMN, "column reference \"%s\" is ambiguous", col);
				return errat(err, loc);
			}
			hit = it->exprs[i];
		}
		if (!hit && it->ctid && strcmp(col, "ctid") == 0)
			hit = it->ctid;
		if (!hit) {
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column %s.%s does not exist", rel, col);
			return errat(err, loc);
		}
		*out = copy_at(b, hit, loc);
		*found = true;
		return CM_OK;
	}
	return CM_OK;
}

static cm_status colref_cb(void *arg, const char *const *names, int n, int location, sem_expr **out, cm_error *err)
{
	pl_binder *b = arg;
	pl_scope *prev = NULL;
	for (pl_scope *sc = b->scope; sc; prev = sc, sc = sc->parent) {
		bool found;
		sem_expr *e;
		if (lookup(b, sc, names, n, location, &e, &found, err) != CM_OK)
			return CM_ERROR;
		if (!found)
			continue;
		if (sc == b->scope) {
			*out = e;
			return CM_OK;
		}
		/* outer reference: an executor parameter set by the subplan below sc;
		 * every subquery between here and sc depends on it */
		for (pl_scope *t = b->scope; t && t != sc; t = t->parent)
			if (t->outer)
				t->outer->correlated = true;
		pl_outer *o = prev->outer;
		if (!o) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this outer reference is not supported");
			return errat(err, location);
		}
		int id = -1;
		for (int i = 0; i < o->n; i++)
			if (expr_equal(o->args[i], e))
				id = o->ids[i];
		if (id < 0) {
			if (o->n == o->cap) {
				int nc = o->cap ? o->cap * 2 : 8;
				sem_expr **na = cm_new_array(b->arena, sem_expr *, nc);
				int *ni = cm_new_array(b->arena, int, nc);
				if (o->n) {
					memcpy(na, o->args, sizeof(sem_expr *) * (size_t) o->n);
					memcpy(ni, o->ids, sizeof(int) * (size_t) o->n);
				}
				o->args = na;
				o->ids = ni;
				o->cap = nc;
			}
			id = b->scope->q->nxparams++;
			o->args[o->n] = e;
			o->ids[o->n] = id;
			o->n++;
		}
		sem_expr *r = sem_expr_new(b->arena, SEM_EXPR_EXTERN, e->type, location);
		r->u.ext.fn = pl_xparam_fn;
		r->u.ext.arg = (void *) (intptr_t) id;
		r->u.ext.volatile_ = true;
		*out = r;
		return CM_OK;
	}
	char full[256];
	size_t o = 0;
	full[0] = '\0';
	for (int i = 0; i < n && o < sizeof full; i++)
		o += (size_t) snprintf(full + o, sizeof full - o, "%s%s", i ? "." : "", names[i]);
	if (n > 1) {
		for (pl_scope *sc = b->scope; sc; sc = sc->parent)
			for (pl_nsitem *it = sc->items; it; it = it->next)
				if (it->hidden && it->alias && strcmp(it->alias, names[n - 2]) == 0) {
					cm_error_set(err, CM_E_UNDEFINED_TABLE, "invalid reference to FROM-clause entry for table \"%s\"",
								 names[n - 2]);
					cm_error_hint(err, "There is an entry for table \"%s\", but it cannot be referenced from this part of the query.",
								  names[n - 2]);
					return errat(err, location);
				}
		cm_error_set(err, CM_E_UNDEFINED_TABLE, "missing FROM-clause entry for table \"%s\"", names[n - 2]);
		return errat(err, location);
	}
	cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", full);
	return errat(err, location);
}

/* ---- placeholders ------------------------------------------------------------------------ */

static sem_expr *placeholder(pl_binder *b, pl_phkind k, int idx, sem_type t, int loc)
{
	pl_ph *ph = cm_new(b->arena, pl_ph);
	ph->kind = k;
	ph->idx = idx;
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_EXTERN, t, loc);
	e->u.ext.fn = NULL;
	e->u.ext.arg = ph;
	e->u.ext.volatile_ = true;
	return e;
}

static const char *ek_name(pl_ek ek)
{
	switch (ek) {
	case EK_WHERE: return "WHERE";
	case EK_JOIN: return "JOIN conditions";
	case EK_GROUP: return "GROUP BY";
	case EK_FROMFUNC: return "functions in FROM";
	case EK_LIMIT: return "LIMIT";
	case EK_VALUES: return "VALUES";
	case EK_DISTINCT_ON: return "DISTINCT ON";
	case EK_WINDOW: return "window definitions";
	default: return "this context";
	}
}

static bool is_agg_name(const char *n)
{
	static const char *const names[] = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every",
										 "string_agg", "array_agg", "stddev", "stddev_samp", "stddev_pop", "variance",
										 "var_samp", "var_pop", "corr", "covar_pop", "covar_samp", "regr_avgx",
										 "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope",
										 "regr_sxx", "regr_sxy", "regr_syy", NULL};
	for (int i = 0; names[i]; i++)
		if (strcmp(n, names[i]) == 0)
			return true;
	return false;
}

static bool is_win_name(const char *n)
{
	static const char *const names[] = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
										 "lag", "lead", "first_value", "last_value", "nth_value", NULL};
	for (int i = 0; names[i]; i++)
		if (strcmp(n, names[i]) == 0)
			return true;
	return false;
}

static ex_aggkind agg_kind(const char *n)
{
	if (strcmp(n, "count") == 0) return EX_AGG_COUNT;
	if (strcmp(n, "sum") == 0) return EX_AGG_SUM;
	if (strcmp(n, "avg") == 0) return EX_AGG_AVG;
	if (strcmp(n, "min") == 0) return EX_AGG_MIN;
	if (strcmp(n, "max") == 0) return EX_AGG_MAX;
	if (strcmp(n, "bool_and") == 0 || strcmp(n, "every") == 0) return EX_AGG_BOOL_AND;
	if (strcmp(n, "bool_or") == 0) return EX_AGG_BOOL_OR;
	if (strcmp(n, "string_agg") == 0) return EX_AGG_STRING_AGG;
	if (strcmp(n, "array_agg") == 0) return EX_AGG_ARRAY_AGG;
	if (strcmp(n, "variance") == 0 || strcmp(n, "var_samp") == 0) return EX_AGG_VAR_SAMP;
	if (strcmp(n, "var_pop") == 0) return EX_AGG_VAR_POP;
	if (strcmp(n, "stddev") == 0 || strcmp(n, "stddev_samp") == 0) return EX_AGG_STDDEV_SAMP;
	if (strcmp(n, "stddev_pop") == 0) return EX_AGG_STDDEV_POP;
	if (strcmp(n, "corr") == 0 || strncmp(n, "covar_", 6) == 0 || strncmp(n, "regr_", 5) == 0) return EX_AGG_REGR;
	if (strcmp(n, "row_number") == 0) return EX_WIN_ROW_NUMBER;
	if (strcmp(n, "rank") == 0) return EX_WIN_RANK;
	if (strcmp(n, "dense_rank") == 0) return EX_WIN_DENSE_RANK;
	if (strcmp(n, "percent_rank") == 0) return EX_WIN_PERCENT_RANK;
	if (strcmp(n, "cume_dist") == 0) return EX_WIN_CUME_DIST;
	if (strcmp(n, "ntile") == 0) return EX_WIN_NTILE;
	if (strcmp(n, "lag") == 0) return EX_WIN_LAG;
	if (strcmp(n, "lead") == 0) return EX_WIN_LEAD;
	if (strcmp(n, "first_value") == 0) return EX_WIN_FIRST_VALUE;
	if (strcmp(n, "last_value") == 0) return EX_WIN_LAST_VALUE;
	return EX_WIN_NTH_VALUE;
}

static cm_status bind_sortby(pl_binder *b, pl_scope *sc, pl_ek ek, PgQuery__Node **items, int n, ex_sortkey **out,
							 cm_error *err)
{
	ex_sortkey *k = cm_new_array(b->arena, ex_sortkey, n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		const PgQuery__SortBy *sb = items[i]->sort_by;
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "ORDER BY USING is not supported");
			return errat(err, sb->location);
		}
		if (bind_in(b, sc, ek, sb->node, &k[i].expr, err) != CM_OK ||
			pl_resolve_unknown(b, &k[i].expr, err) != CM_OK)
			return CM_ERROR;
		k[i].desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
		k[i].nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ? true
						   : sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST ? false
																							 : k[i].desc;
	}
	*out = k;
	return CM_OK;
}

static const PgQuery__WindowDef *find_window(pl_scope *sc, const char *name)
{
	if (!sc->stmt)
		return NULL;
	for (size_t i = 0; i < sc->stmt->n_window_clause; i++) {
		const PgQuery__WindowDef *w = sc->stmt->window_clause[i]->window_def;
		if (w->name && strcmp(w->name, name) == 0)
			return w;
	}
	return NULL;
}

/* FRAMEOPTION_* bits of PostgreSQL 15 */
#define FO_RANGE 0x2
#define FO_ROWS 0x4
#define FO_GROUPS 0x8
#define FO_START_UNB_PREC 0x20
#define FO_END_UNB_FOLL 0x100
#define FO_START_CUR 0x200
#define FO_END_CUR 0x400
#define FO_START_PREC 0x800
#define FO_END_PREC 0x1000
#define FO_START_FOLL 0x2000
#define FO_END_FOLL 0x4000
#define FO_EXCLUDE 0x38000
#define FO_START_UNB_FOLL 0x80
#define FO_END_UNB_PREC 0x40

static cm_status bind_frame_off(pl_binder *b, pl_scope *sc, const PgQuery__Node *n, sem_expr **out, cm_error *err)
{
	if (bind_in(b, sc, EK_WINDOW, n, out, err) != CM_OK)
		return CM_ERROR;
	return pl_coerce(b, out, SEM_INT8OID, -1, SEM_COERCE_IMPLICIT, false, err);
}

static cm_status bind_window(pl_binder *b, pl_scope *sc, const PgQuery__FuncCall *fc, const char *name,
							 sem_expr **out, cm_error *err)
{
	if (sc->ek != EK_TARGET && sc->ek != EK_ORDER) {
		cm_error_set(err, CM_E_WINDOWING_ERROR, "window functions are not allowed in %s", ek_name(sc->ek));
		return errat(err, fc->location);
	}
	if (sc->in_win || sc->in_agg) {
		cm_error_set(err, sc->in_agg ? CM_E_GROUPING_ERROR : CM_E_WINDOWING_ERROR,
					 sc->in_agg ? "aggregate function calls cannot contain window function calls"
								: "window function calls cannot be nested");
		return errat(err, fc->location);
	}
	if (fc->agg_distinct) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "DISTINCT is not implemented for window functions");
		return errat(err, fc->location);
	}
	int n = (int) fc->n_args;
	sem_expr **args = cm_new_array(b->arena, sem_expr *, n + 1);
	sc->in_win = true;
	for (int i = 0; i < n; i++)
		if (bind_in(b, sc, sc->ek, fc->args[i], &args[i], err) != CM_OK) {
			sc->in_win = false;
			return CM_ERROR;
		}
	sc->in_win = false;
	pl_wininfo wi;
	memset(&wi, 0, sizeof wi);
	ex_aggdesc *d = &wi.d.agg;
	d->name = name;
	if (is_win_name(name)) {
		d->kind = agg_kind(name);
		switch (d->kind) {
		case EX_WIN_LAG: case EX_WIN_LEAD: case EX_WIN_FIRST_VALUE: case EX_WIN_LAST_VALUE: case EX_WIN_NTH_VALUE: {
			int minargs = d->kind == EX_WIN_NTH_VALUE ? 2 : 1;
			int maxargs = d->kind == EX_WIN_LAG || d->kind == EX_WIN_LEAD ? 3 : minargs;
			if (n < minargs || n > maxargs) {
				char buf[64];
				snprintf(buf, sizeof buf, "%s", n == 0 ? "" : "...");
				cm_error_set(err, CM_E_UNDEFINED_FUNCTION, "function %s(%s) does not exist", name,
							 n == 0 ? "" : sem_type_name(args[0]->type.oid));
				cm_error_hint(err, "No function matches the given name and argument types. You might need to add explicit type casts.");
				return errat(err, fc->location);
			}
			if (pl_resolve_unknown(b, &args[0], err) != CM_OK)
				return CM_ERROR;
			if (n > 1 && pl_coerce(b, &args[1], SEM_INT4OID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
				return CM_ERROR;
			if (n > 2) {
				sem_expr *pair[2] = {args[0], args[2]};
				sem_type t;
				if (pl_common_type(b, pair, 2, "lag", &t, err) != CM_OK ||
					pl_coerce_common(b, pair, 2, t, "lag", err) != CM_OK)
					return CM_ERROR;
				args[0] = pair[0];
				args[2] = pair[1];
			}
			d->result = args[0]->type;
			d->result.typmod = -1;
			break;
		}
		default: {
			sem_expr *call;
			if (pl_call_named(b, name, false, n, args, fc->location, &call, err) != CM_OK)
				return CM_ERROR;
			args = call->u.func.args;
			d->result = (sem_type){call->u.func.fn->result, -1};
			break;
		}
		}
	} else {
		if (fc->agg_star) {
			d->kind = EX_AGG_COUNT_STAR;
			d->result = (sem_type){SEM_INT8OID, -1};
			n = 0;
		} else {
			for (int i = 0; i < n; i++)
				if (args[i]->type.oid == SEM_UNKNOWNOID && strcmp(name, "count") == 0 &&
					pl_resolve_unknown(b, &args[i], err) != CM_OK)
					return CM_ERROR;
			sem_expr *call;
			if (pl_call_named(b, name, false, n, args, fc->location, &call, err) != CM_OK)
				return CM_ERROR;
			args = call->u.func.args;
			d->kind = agg_kind(name);
			d->result = (sem_type){call->u.func.fn->result, -1};
		}
	}
	d->nargs = n;
	d->args = args;
	d->argtype = n > 0 ? args[0]->type : (sem_type){0, -1};
	if (fc->agg_filter) {
		if (bind_in(b, sc, EK_WHERE, fc->agg_filter, &d->filter, err) != CM_OK ||
			pl_coerce_bool(b, &d->filter, "FILTER", err) != CM_OK)
			return CM_ERROR;
	}
	/* the window definition (possibly by reference) */
	const PgQuery__WindowDef *w = fc->over;
	const PgQuery__WindowDef *ref = NULL;
	if (w->name && w->name[0]) {
		ref = find_window(sc, w->name);
		if (!ref) {
			cm_error_set(err, CM_E_UNDEFINED_OBJECT, "window \"%s\" does not exist", w->name);
			return errat(err, w->location);
		}
		w = ref;
	} else if (w->refname && w->refname[0]) {
		ref = find_window(sc, w->refname);
		if (!ref) {
			cm_error_set(err, CM_E_UNDEFINED_OBJECT, "window \"%s\" does not exist", w->refname);
			return errat(err, w->location);
		}
	}
	const PgQuery__WindowDef *pdef = ref && ref != w ? ref : w;
	const PgQuery__WindowDef *odef = w->n_order_clause || !ref || ref == w ? w : ref;
	sc->in_win = true;
	wi.npart = (int) pdef->n_partition_clause;
	wi.part = cm_new_array(b->arena, sem_expr *, wi.npart + 1);
	for (int i = 0; i < wi.npart; i++)
		if (bind_in(b, sc, sc->ek, pdef->partition_clause[i], &wi.part[i], err) != CM_OK ||
			pl_resolve_unknown(b, &wi.part[i], err) != CM_OK) {
			sc->in_win = false;
			return CM_ERROR;
		}
	wi.norder = (int) odef->n_order_clause;
	if (bind_sortby(b, sc, sc->ek, odef->order_clause, wi.norder, &wi.order, err) != CM_OK) {
		sc->in_win = false;
		return CM_ERROR;
	}
	sc->in_win = false;
	int fo = w->frame_options;
	ex_winframe *fr = &wi.d.frame;
	if (!(fo & 1)) {	/* FRAMEOPTION_NONDEFAULT unset: RANGE UNBOUNDED PRECEDING .. CURRENT ROW */
		fr->rows = false;
		fr->start = EX_FB_UNBOUNDED_PRECEDING;
		fr->end = EX_FB_CURRENT;
	} else {
		if (fo & FO_GROUPS) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "GROUPS frames are not supported yet");
			return errat(err, w->location);
		}
		if (fo & FO_EXCLUDE) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "frame EXCLUDE is not supported yet");
			return errat(err, w->location);
		}
		fr->rows = (fo & FO_ROWS) != 0;
		if ((fo & FO_RANGE) && (fo & (FO_START_PREC | FO_END_PREC | FO_START_FOLL | FO_END_FOLL))) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "RANGE with offset PRECEDING/FOLLOWING is not supported yet");
			return errat(err, w->location);
		}
		fr->start = fo & FO_START_UNB_PREC ? EX_FB_UNBOUNDED_PRECEDING
				  : fo & FO_START_CUR	   ? EX_FB_CURRENT
				  : fo & FO_START_PREC	   ? EX_FB_PRECEDING
				  : fo & FO_START_FOLL	   ? EX_FB_FOLLOWING
										   : EX_FB_UNBOUNDED_FOLLOWING;
		fr->end = fo & FO_END_UNB_FOLL ? EX_FB_UNBOUNDED_FOLLOWING
				: fo & FO_END_CUR	   ? EX_FB_CURRENT
				: fo & FO_END_PREC	   ? EX_FB_PRECEDING
				: fo & FO_END_FOLL	   ? EX_FB_FOLLOWING
									   : EX_FB_UNBOUNDED_PRECEDING;
		if (fo & FO_START_UNB_FOLL) {
			cm_error_set(err, CM_E_WINDOWING_ERROR, "frame start cannot be UNBOUNDED FOLLOWING");
			return errat(err, w->location);
		}
		if (fr->start == EX_FB_PRECEDING && bind_frame_off(b, sc, w->start_offset, &fr->start_off, err) != CM_OK)
			return CM_ERROR;
		if (fr->start == EX_FB_FOLLOWING && bind_frame_off(b, sc, w->start_offset, &fr->start_off, err) != CM_OK)
			return CM_ERROR;
		if (fr->end == EX_FB_PRECEDING && bind_frame_off(b, sc, w->end_offset, &fr->end_off, err) != CM_OK)
			return CM_ERROR;
		if (fr->end == EX_FB_FOLLOWING && bind_frame_off(b, sc, w->end_offset, &fr->end_off, err) != CM_OK)
			return CM_ERROR;
	}
	if (sc->nwins == sc->capwins) {
		int nc = sc->capwins ? sc->capwins * 2 : 8;
		pl_wininfo *nw = cm_new_array(b->arena, pl_wininfo, nc);
		if (sc->nwins)
			memcpy(nw, sc->wins, sizeof(pl_wininfo) * (size_t) sc->nwins);
		sc->wins = nw;
		sc->capwins = nc;
	}
	sc->wins[sc->nwins] = wi;
	*out = placeholder(b, PH_WIN, sc->nwins, d->result, fc->location);
	sc->nwins++;
	return CM_OK;
}

static cm_status bind_agg(pl_binder *b, pl_scope *sc, const PgQuery__FuncCall *fc, const char *name, sem_expr **out,
						  cm_error *err)
{
	if (sc->ek != EK_TARGET && sc->ek != EK_HAVING && sc->ek != EK_ORDER) {
		cm_error_set(err, CM_E_GROUPING_ERROR, "aggregate functions are not allowed in %s", ek_name(sc->ek));
		return errat(err, fc->location);
	}
	if (sc->in_agg) {
		cm_error_set(err, CM_E_GROUPING_ERROR, "aggregate function calls cannot be nested");
		return errat(err, fc->location);
	}
	if (fc->agg_within_group) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "WITHIN GROUP is not supported");
		return errat(err, fc->location);
	}
	ex_aggdesc d;
	memset(&d, 0, sizeof d);
	d.name = name;
	int n = (int) fc->n_args;
	sem_expr **args = cm_new_array(b->arena, sem_expr *, n + 1);
	sc->in_agg = true;
	pl_ek ek = sc->ek;
	cm_status st = CM_OK;
	for (int i = 0; i < n && st == CM_OK; i++)
		st = bind_in(b, sc, ek, fc->args[i], &args[i], err);
	if (st == CM_OK && fc->agg_filter) {
		st = bind_in(b, sc, ek, fc->agg_filter, &d.filter, err);
		if (st == CM_OK)
			st = pl_coerce_bool(b, &d.filter, "FILTER", err);
	}
	if (st == CM_OK && fc->n_agg_order) {
		d.norder = (int) fc->n_agg_order;
		st = bind_sortby(b, sc, ek, fc->agg_order, d.norder, &d.order, err);
	}
	sc->in_agg = false;
	if (st != CM_OK)
		return CM_ERROR;
	if (fc->agg_star) {
		if (strcmp(name, "count") != 0) {
			cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "%s(*) specified, but %s is not an aggregate function", name, name);
			return errat(err, fc->location);
		}
		d.kind = EX_AGG_COUNT_STAR;
		d.result = (sem_type){SEM_INT8OID, -1};
	} else {
		if (strcmp(name, "count") == 0 && n == 1 && pl_resolve_unknown(b, &args[0], err) != CM_OK)
			return CM_ERROR;
		if (strcmp(name, "string_agg") == 0 && n == 2) {
			for (int i = 0; i < 2; i++)
				if (args[i]->type.oid == SEM_VARCHAROID || args[i]->type.oid == SEM_BPCHAROID ||
					args[i]->type.oid == SEM_NAMEOID)
					if (pl_coerce(b, &args[i], SEM_TEXTOID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
						return CM_ERROR;
		}
		if ((strcmp(name, "min") == 0 || strcmp(name, "max") == 0) && n == 1 &&
			(args[0]->type.oid == SEM_VARCHAROID || args[0]->type.oid == SEM_NAMEOID))
			if (pl_coerce(b, &args[0], SEM_TEXTOID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
				return CM_ERROR;
		sem_expr *call;
		if (pl_call_named(b, name, false, n, args, fc->location, &call, err) != CM_OK)
			return CM_ERROR;
		args = call->u.func.args;
		d.kind = agg_kind(name);
		d.result = (sem_type){call->u.func.fn->result, -1};
		if (d.kind == EX_AGG_MIN || d.kind == EX_AGG_MAX)
			d.result = args[0]->type;
	}
	d.nargs = fc->agg_star ? 0 : n;
	d.args = args;
	d.argtype = d.nargs > 0 ? args[0]->type : (sem_type){0, -1};
	d.distinct = fc->agg_distinct;
	if (sc->naggs == sc->capaggs) {
		int nc = sc->capaggs ? sc->capaggs * 2 : 8;
		ex_aggdesc *na = cm_new_array(b->arena, ex_aggdesc, nc);
		if (sc->naggs)
			memcpy(na, sc->aggs, sizeof(ex_aggdesc) * (size_t) sc->naggs);
		sc->aggs = na;
		sc->capaggs = nc;
	}
	sc->aggs[sc->naggs] = d;
	*out = placeholder(b, PH_AGG, sc->naggs, d.result, fc->location);
	sc->naggs++;
	return CM_OK;
}

/* Run time of GROUPING(a, b, ...): args are the grouping columns (after the
 * aggregate rewrite: columns 0..ngroups-1 of the Aggregate's output) and, last,
 * the grouping-set mask column (bit k set: group key k is not in the set).
 * The first argument is the most significant bit of the result. */
static cm_status grouping_eval(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err)
{
	(void) ctx;
	int n = e->u.ext.nargs - 1;
	int64_t mask = args[n].isnull ? 0 : args[n].v.i, r = 0;
	for (int i = 0; i < n; i++) {
		const sem_expr *a = e->u.ext.args[i];
		if (a->kind != SEM_EXPR_COLUMN || a->u.colno >= 64) {
			cm_error_set(err, CM_E_GROUPING_ERROR,
						 "arguments to GROUPING must be grouping expressions of the associated query level");
			return errat(err, a->location);
		}
		r = (r << 1) | ((mask >> a->u.colno) & 1);
	}
	memset(out, 0, sizeof *out);
	out->v.i = r;
	return CM_OK;
}

/* Index of the grouping-set mask pseudo-aggregate of the scope (added once). */
static int gset_id_agg(pl_binder *b, pl_scope *sc)
{
	for (int i = 0; i < sc->naggs; i++)
		if (sc->aggs[i].kind == EX_AGG_GSET_ID)
			return i;
	if (sc->naggs == sc->capaggs) {
		int nc = sc->capaggs ? sc->capaggs * 2 : 8;
		ex_aggdesc *na = cm_new_array(b->arena, ex_aggdesc, nc);
		if (sc->naggs)
			memcpy(na, sc->aggs, sizeof(ex_aggdesc) * (size_t) sc->naggs);
		sc->aggs = na;
		sc->capaggs = nc;
	}
	ex_aggdesc *d = &sc->aggs[sc->naggs];
	memset(d, 0, sizeof *d);
	d->kind = EX_AGG_GSET_ID;
	d->name = "grouping";
	d->result = (sem_type){SEM_INT4OID, -1};
	d->argtype = (sem_type){0, -1};
	return sc->naggs++;
}

cm_status pl_q_grouping(pl_binder *b, const PgQuery__GroupingFunc *gf, sem_expr **out, cm_error *err)
{
	pl_scope *sc = b->scope;
	if (!sc || (sc->ek != EK_TARGET && sc->ek != EK_HAVING && sc->ek != EK_ORDER)) {
		cm_error_set(err, CM_E_GROUPING_ERROR, "grouping operations are not allowed in %s",
					 sc ? ek_name(sc->ek) : "this context");
		return errat(err, gf->location);
	}
	int n = (int) gf->n_args;
	if (n > 31) {
		cm_error_set(err, "54023" /* too_many_arguments */, "GROUPING must have fewer than 32 arguments");
		return errat(err, gf->location);
	}
	sem_expr **args = cm_new_array(b->arena, sem_expr *, n + 1);
	for (int i = 0; i < n; i++)
		if (bind_in(b, sc, sc->ek, gf->args[i], &args[i], err) != CM_OK)
			return CM_ERROR;
	int idx = gset_id_agg(b, sc);
	args[n] = placeholder(b, PH_AGG, idx, (sem_type){SEM_INT4OID, -1}, gf->location);
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_EXTERN, (sem_type){SEM_INT4OID, -1}, gf->location);
	e->u.ext.fn = grouping_eval;
	e->u.ext.nargs = n + 1;
	e->u.ext.args = args;
	*out = e;
	return CM_OK;
}

cm_status pl_q_funccall(pl_binder *b, const PgQuery__FuncCall *fc, bool *handled, sem_expr **out, cm_error *err)
{
	pl_scope *sc = b->scope;
	*handled = false;
	const char *name = NULL;
	if (fc->n_funcname == 2 && node_str(fc->funcname[0]) && strcmp(node_str(fc->funcname[0]), "pg_catalog") == 0)
		name = node_str(fc->funcname[1]);
	else if (fc->n_funcname == 1)
		name = node_str(fc->funcname[0]);
	if (!name)
		return CM_OK;
	if (fc->over) {
		*handled = true;
		if (!is_agg_name(name) && !is_win_name(name)) {
			cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "OVER specified, but %s is not a window function nor an aggregate function", name);
			return errat(err, fc->location);
		}
		return bind_window(b, sc, fc, name, out, err);
	}
	if (is_win_name(name)) {
		*handled = true;
		cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "window function %s requires an OVER clause", name);
		return errat(err, fc->location);
	}
	if (is_agg_name(name)) {
		*handled = true;
		return bind_agg(b, sc, fc, name, out, err);
	}
	if (sem_func_returns_set(name) && sc->ek != EK_FROMFUNC) {	/* [vcat] any set-returning built-in */
		*handled = true;
		if (sc->ek != EK_TARGET) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "set-returning functions are not allowed in %s",
						 ek_name(sc->ek));
			return errat(err, fc->location);
		}
		if (sc->in_agg) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "aggregate function calls cannot contain set-returning function calls");
			return errat(err, fc->location);
		}
		int n = (int) fc->n_args;
		sem_expr **args = cm_new_array(b->arena, sem_expr *, n + 1);
		int before = sc->nsrfs;
		for (int i = 0; i < n; i++)
			if (pl_bind_node(b, fc->args[i], &args[i], err) != CM_OK)
				return CM_ERROR;
		if (sc->nsrfs != before) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "set-returning functions as arguments of set-returning functions are not supported yet");
			return errat(err, fc->location);
		}
		sem_expr *call;
		if (pl_call_named(b, name, false, n, args, fc->location, &call, err) != CM_OK)
			return CM_ERROR;
		if (sc->nsrfs == sc->capsrfs) {
			int nc = sc->capsrfs ? sc->capsrfs * 2 : 4;
			sem_expr **ns = cm_new_array(b->arena, sem_expr *, nc);
			if (sc->nsrfs)
				memcpy(ns, sc->srfs, sizeof(sem_expr *) * (size_t) sc->nsrfs);
			sc->srfs = ns;
			sc->capsrfs = nc;
		}
		sc->srfs[sc->nsrfs] = call;
		*out = placeholder(b, PH_SRF, sc->nsrfs, call->type, fc->location);
		sc->nsrfs++;
		return CM_OK;
	}
	return CM_OK;
}

/* ---- subqueries in expressions ----------------------------------------------------------- */

cm_status pl_q_sublink(pl_binder *b, const PgQuery__SubLink *sl, sem_expr **out, cm_error *err)
{
	pl_scope *cur = b->scope;
	if (sl->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this subquery is not supported");
		return errat(err, sl->location);
	}
	pl_outer *outer = cm_new(b->arena, pl_outer);
	pl_query_result r;
	pl_subplan *sp = cm_new(b->arena, pl_subplan);
	sp->id = cur->q->nsubplans++;
	if (plan_stmt(b, cur, outer, cur, sl->subselect->select_stmt, true, &r, err) != CM_OK)
		return CM_ERROR;
	b->scope = cur;
	sp->plan = r.node;
	sem_type rt = {SEM_BOOLOID, -1};
	sem_expr *lhs = NULL;
	switch (sl->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		sp->kind = PL_SUB_EXISTS;
		break;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
		if (r.ncols != 1) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "subquery must return only one column");
			return errat(err, sl->location);
		}
		if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK) {
			sp->kind = PL_SUB_EXPR;
			rt = r.types[0];
		} else {
			sp->kind = PL_SUB_ARRAY;
			rt = (sem_type){sem_array_type_of(r.types[0].oid), -1};
			if (!rt.oid) {
				cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "arrays of type %s are not supported",
							 sem_type_name(r.types[0].oid));
				return errat(err, sl->location);
			}
		}
		break;
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
	case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK: {
		sp->kind = sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK ? PL_SUB_ANY : PL_SUB_ALL;
		if (sl->testexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "row comparisons with subqueries are not supported yet");
			return errat(err, sl->location);
		}
		if (pl_bind_node(b, sl->testexpr, &lhs, err) != CM_OK)
			return CM_ERROR;
		if (r.ncols != 1) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "subquery has too many columns");
			return errat(err, sl->location);
		}
		const char *op = sl->n_oper_name ? node_str(sl->oper_name[sl->n_oper_name - 1]) : "=";
		sem_expr *l = sem_expr_column(b->arena, 0, lhs->type, lhs->location);
		sem_expr *rr = sem_expr_column(b->arena, 1, r.types[0], sl->location);
		if (pl_make_op(b, op ? op : "=", l, rr, sl->location, &sp->test, err) != CM_OK)
			return CM_ERROR;
		if (sp->test->type.oid != SEM_BOOLOID) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "operator %s must return type boolean, not type %s", op,
						 sem_type_name(sp->test->type.oid));
			return errat(err, sl->location);
		}
		break;
	}
	default:
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this kind of subquery is not supported");
		return errat(err, sl->location);
	}
	sp->nparams = outer->n;
	sp->param_ids = outer->ids;
	sp->correlated = outer->correlated || outer->n > 0;
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_EXTERN, rt, sl->location);
	e->u.ext.fn = pl_subplan_fn;
	e->u.ext.arg = sp;
	e->u.ext.volatile_ = true;
	e->u.ext.nargs = outer->n + (lhs ? 1 : 0);
	e->u.ext.args = cm_new_array(b->arena, sem_expr *, e->u.ext.nargs + 1);
	for (int i = 0; i < outer->n; i++)
		e->u.ext.args[i] = outer->args[i];
	if (lhs)
		e->u.ext.args[outer->n] = lhs;
	*out = e;
	return CM_OK;
}

/* ---- FROM clause --------------------------------------------------------------------------- */

typedef struct from_result {
	pl_node *node;
	pl_nsitem *items;
	int width;
} from_result;

static cm_status plan_from_item(pl_binder *b, pl_scope *sc, const PgQuery__Node *n, from_result *out, pl_scope *lat,
							  pl_outer *latouter, cm_error *err);
static pl_scope *lateral_scope(pl_binder *b, pl_scope *sc, pl_nsitem *left);
static bool set_lateral(pl_node *j, pl_outer *o);

static pl_cte *find_cte(pl_scope *sc, const char *name)
{
	for (; sc; sc = sc->cte_parent)
		for (pl_cte *c = sc->ctes; c; c = c->next)
			if (strcmp(c->def->ctename, name) == 0 && !(c->binding && !c->recursive))
				return c;
	return NULL;
}

static const char **alias_names(pl_binder *b, const PgQuery__Alias *al, int ncols, const char **base, int loc,
								cm_error *err)
{
	const char **names = cm_new_array(b->arena, const char *, ncols > 0 ? ncols : 1);
	for (int i = 0; i < ncols; i++)
		names[i] = base[i];
	if (al && (int) al->n_colnames > ncols) {
		cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "table \"%s\" has %d columns available but %d columns specified",
					 al->aliasname, ncols, (int) al->n_colnames);
		errat(err, loc);
		return NULL;
	}
	for (size_t i = 0; al && i < al->n_colnames; i++)
		names[i] = node_str(al->colnames[i]);
	return names;
}

static from_result item_over(pl_binder *b, pl_node *node, const char *alias, const char **names)
{
	from_result r;
	r.node = node;
	r.width = node->ncols;
	r.items = new_item(b, alias, node->ncols);
	for (int i = 0; i < node->ncols; i++) {
		r.items->names[i] = names[i];
		r.items->exprs[i] = sem_expr_column(b->arena, i, node->types[i], -1);
	}
	return r;
}

static cm_status plan_cte_body(pl_binder *b, pl_cte *cte, const PgQuery__SelectStmt *q, int loc, pl_query_result *out,
							   cm_error *err);

static cm_status plan_cte(pl_binder *b, pl_scope *sc, pl_cte *cte, int loc, pl_query_result *out, cm_error *err)
{
	const PgQuery__CommonTableExpr *def = cte->def;
	if (cte->recnode) {
		/* the recursive reference inside its own recursive term */
		pl_node *w = new_node(b, PL_WORKTABLE, cte->ncols);
		memcpy(w->types, cte->types, sizeof(sem_type) * (size_t) cte->ncols);
		w->rec = cte->recnode;
		w->label = def->ctename;
		out->node = w;
		out->ncols = cte->ncols;
		out->names = cte->names;
		out->types = cte->types;
		return CM_OK;
	}
	if (def->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "data-modifying statements in WITH are not supported yet");
		return errat(err, def->location);
	}
	const PgQuery__SelectStmt *q = def->ctequery->select_stmt;
	pl_scope *saved = b->scope;
	if (cte->binding && cte->nonunion) {
		cm_error_set(err, CM_E_INVALID_RECURSION,
					 "recursive query \"%s\" does not have the form non-recursive-term UNION [ALL] recursive-term",
					 def->ctename);
		return errat(err, loc);
	}
	if (cte->binding) {
		cm_error_set(err, CM_E_INVALID_RECURSION, "recursive reference to query \"%s\" must not appear within its non-recursive term",
					 def->ctename);
		return errat(err, loc);
	}
	cte->binding = true;
	cte->nonunion = cte->recursive && !(q->op == PG_QUERY__SET_OPERATION__SETOP_UNION && q->larg && q->rarg);
	cm_status st = plan_cte_body(b, cte, q, loc, out, err);
	cte->binding = false;
	b->scope = saved;
	return st;
}

static cm_status plan_cte_body(pl_binder *b, pl_cte *cte, const PgQuery__SelectStmt *q, int loc, pl_query_result *out,
							   cm_error *err)
{
	const PgQuery__CommonTableExpr *def = cte->def;
	pl_scope *saved = b->scope;
	if (cte->recursive && q->op == PG_QUERY__SET_OPERATION__SETOP_UNION && q->larg && q->rarg) {
		pl_query_result init, rec;
		/* the non-recursive term must not reference the CTE: hide it while binding */
		if (plan_stmt(b, NULL, NULL, cte->defscope, q->larg, true, &init, err) != CM_OK)
			return CM_ERROR;
		cte->ncols = init.ncols;
		cte->types = init.types;
		cte->names = alias_names(b, NULL, init.ncols, init.names, loc, err);
		if ((int) def->n_aliascolnames > init.ncols) {
			cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "WITH query \"%s\" has %d columns available but %d columns specified",
						 def->ctename, init.ncols, (int) def->n_aliascolnames);
			return errat(err, def->location);
		}
		for (size_t i = 0; i < def->n_aliascolnames; i++)
			cte->names[i] = node_str(def->aliascolnames[i]);
		pl_node *ru = new_node(b, PL_RECURSIVE, init.ncols);
		memcpy(ru->types, init.types, sizeof(sem_type) * (size_t) init.ncols);
		ru->left = init.node;
		ru->all = q->all;
		ru->label = def->ctename;
		cte->recnode = ru;
		cm_status st = plan_stmt(b, NULL, NULL, cte->defscope, q->rarg, true, &rec, err);
		cte->recnode = NULL;
		if (st != CM_OK)
			return CM_ERROR;
		if (rec.ncols != init.ncols) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "each UNION query must have the same number of columns");
			return errat(err, def->location);
		}
		for (int i = 0; i < init.ncols; i++) {
			if (rec.types[i].oid != init.types[i].oid) {
				cm_error_set(err, CM_E_DATATYPE_MISMATCH,
							 "recursive query \"%s\" column %d has type %s in non-recursive term but type %s overall",
							 def->ctename, i + 1, sem_type_name(init.types[i].oid), sem_type_name(rec.types[i].oid));
				cm_error_hint(err, "Cast the output of the non-recursive term to the correct type.");
				return errat(err, def->location);
			}
		}
		ru->right = rec.node;
		b->scope = saved;
		out->node = ru;
		out->ncols = init.ncols;
		out->names = cte->names;
		out->types = init.types;
		return CM_OK;
	}
	pl_query_result r;
	if (plan_stmt(b, NULL, NULL, cte->defscope, q, true, &r, err) != CM_OK)
		return CM_ERROR;
	b->scope = saved;
	if ((int) def->n_aliascolnames > r.ncols) {
		cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "WITH query \"%s\" has %d columns available but %d columns specified",
					 def->ctename, r.ncols, (int) def->n_aliascolnames);
		return errat(err, def->location);
	}
	const char **names = cm_new_array(b->arena, const char *, r.ncols + 1);
	for (int i = 0; i < r.ncols; i++)
		names[i] = i < (int) def->n_aliascolnames ? node_str(def->aliascolnames[i]) : r.names[i];
	*out = r;
	out->names = names;
	return CM_OK;
}

static pl_table_resolver table_resolver;

void pl_set_table_resolver(pl_table_resolver fn)
{
	table_resolver = fn;
}

static cm_status plan_rangevar(pl_binder *b, pl_scope *sc, const PgQuery__RangeVar *rv, from_result *out,
							   cm_error *err)
{
	const char *alias = rv->alias && rv->alias->aliasname && rv->alias->aliasname[0] ? rv->alias->aliasname : rv->relname;
	pl_cte *cte = (!rv->schemaname || !rv->schemaname[0]) ? find_cte(sc, rv->relname) : NULL;
	if (cte) {
		pl_query_result r;
		if (plan_cte(b, sc, cte, rv->location, &r, err) != CM_OK)
			return CM_ERROR;
		const char **names = alias_names(b, rv->alias, r.ncols, r.names, rv->location, err);
		if (!names)
			return CM_ERROR;
		*out = item_over(b, r.node, alias, names);
		return CM_OK;
	}
	if (table_resolver) {
		const pl_table *t = NULL;
		if (table_resolver(b->ctx, b->arena, rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL, rv->relname,
						   &t, err) != CM_OK)
			return errat(err, rv->location);
		if (t) {
			bool target = rv == b->dml_target && t->ref;
			pl_node *n = new_node(b, PL_SCAN, t->ncols + (target ? 1 : 0));
			memcpy(n->types, t->coltypes, sizeof(sem_type) * (size_t) t->ncols);
			n->scan = t->scan;
			n->label = t->name;
			if (target) {
				/* the row handle rides along after the columns, hidden from * */
				pl_scanspec *sp = cm_new(b->arena, pl_scanspec);
				*sp = *pl_scan_spec(t->scan);
				sp->with_handle = true;
				n->scan = pl_scan_provider_new(b->arena, sp);
				n->types[t->ncols] = (sem_type){SEM_INT8OID, -1};
				b->dml_table = t;
			}
			const char **names = alias_names(b, rv->alias, t->ncols, t->colnames, rv->location, err);
			if (!names)
				return CM_ERROR;
			if (!target) {
				*out = item_over(b, n, alias, names);
				return CM_OK;
			}
			out->node = n;
			out->width = n->ncols;
			out->items = new_item(b, alias, t->ncols);
			for (int i = 0; i < t->ncols; i++) {
				out->items->names[i] = names[i];
				out->items->exprs[i] = sem_expr_column(b->arena, i, n->types[i], -1);
			}
			out->items->ctid = sem_expr_column(b->arena, t->ncols, n->types[t->ncols], -1);
			return CM_OK;
		}
	}
	if (rv->schemaname && rv->schemaname[0])
		cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s.%s\" does not exist", rv->schemaname, rv->relname);
	else
		cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", rv->relname);
	return errat(err, rv->location);
}

static cm_status plan_rangefunc(pl_binder *b, pl_scope *sc, const PgQuery__RangeFunction *rf, from_result *out,
								pl_scope *lat, pl_outer *latouter, cm_error *err)
{
	if (rf->is_rowsfrom || rf->n_functions != 1) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "ROWS FROM is not supported yet");
		return CM_ERROR;
	}
	const PgQuery__List *l = rf->functions[0]->list;
	const PgQuery__Node *fn = l->items[0];
	if (l->n_items > 1 && l->items[1] && l->items[1]->node_case == PG_QUERY__NODE__NODE_LIST &&
		l->items[1]->list->n_items > 0) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "column definition lists are not supported");
		return CM_ERROR;
	}
	/* arguments see the earlier FROM items (functions in FROM are implicitly LATERAL) */
	pl_scope tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.parent = lat ? lat : sc->parent;
	tmp.outer = lat ? latouter : sc->outer;
	tmp.cte_parent = sc;
	tmp.q = sc->q;
	sem_expr *e;
	if (bind_in(b, &tmp, EK_FROMFUNC, fn, &e, err) != CM_OK)
		return CM_ERROR;
	if (pl_resolve_unknown(b, &e, err) != CM_OK)
		return CM_ERROR;
	const char *fname = fn->node_case == PG_QUERY__NODE__NODE_FUNC_CALL ? pl_figure_colname(fn) : "?column?";
	pl_node *n;
	bool is_srf = e->kind == SEM_EXPR_FUNC && sem_func_returns_set(e->u.func.fn->name);	/* [vcat] */
	if (is_srf) {
		n = new_node(b, PL_SRF, 1 + (rf->ordinality ? 1 : 0));
		n->n = 1;
		n->exprs = cm_new_array(b->arena, sem_expr *, 1);
		n->exprs[0] = e;
		n->types[0] = e->type;
		n->ordinality = rf->ordinality;
		if (rf->ordinality)
			n->types[1] = (sem_type){SEM_INT8OID, -1};
		n->label = e->u.func.fn->name;
	} else {
		pl_node *res = new_node(b, PL_RESULT, 0);
		n = new_node(b, PL_PROJECT, 1 + (rf->ordinality ? 1 : 0));
		n->left = res;
		n->n = n->ncols;
		n->exprs = cm_new_array(b->arena, sem_expr *, n->ncols);
		n->exprs[0] = e;
		n->types[0] = e->type;
		if (rf->ordinality) {
			sem_datum one;
			memset(&one, 0, sizeof one);
			one.v.i = 1;
			n->exprs[1] = sem_expr_const(b->arena, (sem_type){SEM_INT8OID, -1}, &one, -1);
			n->types[1] = n->exprs[1]->type;
		}
	}
	const char *alias = rf->alias && rf->alias->aliasname && rf->alias->aliasname[0] ? rf->alias->aliasname : fname;
	const char *base[2] = {alias, "ordinality"};
	const char **names = alias_names(b, rf->alias, n->ncols, base, -1, err);
	if (!names)
		return CM_ERROR;
	*out = item_over(b, n, alias, names);
	return CM_OK;
}

/* split a qual into hash keys (left col = right col) and a residual */
static cm_status split_join_qual(pl_binder *b, pl_node *j, sem_expr *qual, int wl, int wr, cm_error *err)
{
	sem_expr **conj;
	int nconj;
	if (qual->kind == SEM_EXPR_AND) {
		conj = qual->u.list.items;
		nconj = qual->u.list.n;
	} else {
		conj = &qual;
		nconj = 1;
	}
	j->lkeys = cm_new_array(b->arena, sem_expr *, nconj);
	j->rkeys = cm_new_array(b->arena, sem_expr *, nconj);
	j->eqs = cm_new_array(b->arena, const sem_builtin *, nconj);
	sem_expr **rest = cm_new_array(b->arena, sem_expr *, nconj);
	int nrest = 0;
	for (int i = 0; i < nconj; i++) {
		sem_expr *c = conj[i];
		bool ok = false;
		if (c->kind == SEM_EXPR_FUNC && c->u.func.nargs == 2 && strcmp(c->u.func.fn->name, "=") == 0 &&
			(c->u.func.fn->flags & SEM_FN_STRICT)) {
			sem_expr *x = c->u.func.args[0], *y = c->u.func.args[1];
			int lo1 = 1 << 30, hi1 = -1, lo2 = 1 << 30, hi2 = -1;
			bool u1 = false, u2 = false;
			col_range(x, &lo1, &hi1, &u1);
			col_range(y, &lo2, &hi2, &u2);
			sem_oid tx = x->type.oid, ty = y->type.oid;
			bool ints = (tx == SEM_INT2OID || tx == SEM_INT4OID || tx == SEM_INT8OID) &&
						(ty == SEM_INT2OID || ty == SEM_INT4OID || ty == SEM_INT8OID);
			bool compat = tx == ty || ints;
			if (!u1 && !u2 && hi1 >= 0 && hi2 >= 0 && compat) {
				if (hi1 <= wl && lo2 >= wl) {
					j->lkeys[j->nkeys] = x;
					j->rkeys[j->nkeys] = shift(b, y, -wl);
					ok = true;
				} else if (hi2 <= wl && lo1 >= wl) {
					j->lkeys[j->nkeys] = y;
					j->rkeys[j->nkeys] = shift(b, x, -wl);
					ok = true;
					/* operator arguments swap: = is symmetric for equal types only */
					if (tx != ty)
						ok = false;
				}
				if (ok) {
					j->eqs[j->nkeys] = c->u.func.fn;
					j->nkeys++;
				}
			}
		}
		if (!ok)
			rest[nrest++] = c;
	}
	(void) wr;
	if (nrest == 1)
		j->pred = rest[0];
	else if (nrest > 1) {
		sem_expr *a = sem_expr_new(b->arena, SEM_EXPR_AND, (sem_type){SEM_BOOLOID, -1}, -1);
		a->u.list.n = nrest;
		a->u.list.items = rest;
		j->pred = a;
	}
	return CM_OK;
}

static pl_nsitem *find_visible_col(pl_nsitem *items, const char *name, int *idx, int *count)
{
	pl_nsitem *hit = NULL;
	*count = 0;
	for (pl_nsitem *it = items; it; it = it->next) {
		if (!it->cols_visible)
			continue;
		for (int i = 0; i < it->ncols; i++)
			if (strcmp(it->names[i], name) == 0) {
				if (!hit) {
					hit = it;
					*idx = i;
				}
				(*count)++;
			}
	}
	return hit;
}

static cm_status plan_join(pl_binder *b, pl_scope *sc, const PgQuery__JoinExpr *je, from_result *out, cm_error *err)
{
	from_result l = {0}, r = {0};
	if (plan_from_item(b, sc, je->larg, &l, NULL, NULL, err) != CM_OK)
		return CM_ERROR;
	pl_scope *lat = lateral_scope(b, sc, l.items);
	pl_outer *latouter = cm_new(b->arena, pl_outer);
	if (plan_from_item(b, sc, je->rarg, &r, lat, latouter, err) != CM_OK)
		return CM_ERROR;
	b->scope = sc;
	ex_jointype jt;
	switch (je->jointype) {
	case PG_QUERY__JOIN_TYPE__JOIN_INNER: jt = EX_JOIN_INNER; break;
	case PG_QUERY__JOIN_TYPE__JOIN_LEFT: jt = EX_JOIN_LEFT; break;
	case PG_QUERY__JOIN_TYPE__JOIN_RIGHT: jt = EX_JOIN_RIGHT; break;
	case PG_QUERY__JOIN_TYPE__JOIN_FULL: jt = EX_JOIN_FULL; break;
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this join type is not supported");
	}
	int wl = l.width, wr = r.width;
	pl_nsitem *ritems = items_shift(b, r.items, wl);
	pl_node *j = new_node(b, PL_JOIN, wl + wr);
	j->jt = jt;
	j->left = l.node;
	j->right = r.node;
	if (set_lateral(j, latouter) && jt != EX_JOIN_INNER && jt != EX_JOIN_LEFT) {
		cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "invalid reference to FROM-clause entry for table");
		cm_error_detail(err, "The combining JOIN type must be INNER or LEFT for a LATERAL reference.");
		return CM_ERROR;
	}
	memcpy(j->types, l.node->types, sizeof(sem_type) * (size_t) wl);
	memcpy(j->types + wl, r.node->types, sizeof(sem_type) * (size_t) wr);
	/* USING / NATURAL column list */
	const char **using = NULL;
	int nusing = 0;
	if (je->is_natural) {
		using = cm_new_array(b->arena, const char *, wl + 1);
		for (pl_nsitem *it = l.items; it; it = it->next) {
			if (!it->cols_visible)
				continue;
			for (int i = 0; i < it->ncols; i++) {
				int idx, cnt;
				if (find_visible_col(ritems, it->names[i], &idx, &cnt))
					using[nusing++] = it->names[i];
			}
		}
	} else if (je->n_using_clause) {
		nusing = (int) je->n_using_clause;
		using = cm_new_array(b->arena, const char *, nusing);
		for (int i = 0; i < nusing; i++) {
			using[i] = node_str(je->using_clause[i]);
			for (int k = 0; k < i; k++)
				if (strcmp(using[k], using[i]) == 0) {
					cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column name \"%s\" appears more than once in USING clause", using[i]);
					return CM_ERROR;
				}
		}
	}
	sem_expr **merged = cm_new_array(b->arena, sem_expr *, nusing + 1);
	sem_expr *qual = NULL;
	sem_expr **conds = cm_new_array(b->arena, sem_expr *, nusing + 1);
	pl_scope tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.parent = sc->parent;
	tmp.outer = sc->outer;
	tmp.cte_parent = sc;
	tmp.q = sc->q;
	tmp.items = items_append(items_shift(b, l.items, 0), items_shift(b, ritems, 0));
	for (int u = 0; u < nusing; u++) {
		int li, ri, lc, rc;
		pl_nsitem *lit = find_visible_col(l.items, using[u], &li, &lc);
		pl_nsitem *rit = find_visible_col(ritems, using[u], &ri, &rc);
		if (!lit) {
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" specified in USING clause does not exist in left table", using[u]);
			return CM_ERROR;
		}
		if (lc > 1) {
			cm_error_set(err, CM_E_AMBIGUOUS_COLUMN, "common column name \"%s\" appears more than once in left table", using[u]);
			return CM_ERROR;
		}
		if (!rit) {
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" specified in USING clause does not exist in right table", using[u]);
			return CM_ERROR;
		}
		if (rc > 1) {
			cm_error_set(err, CM_E_AMBIGUOUS_COLUMN, "common column name \"%s\" appears more than once in right table", using[u]);
			return CM_ERROR;
		}
		sem_expr *pair[2] = {lit->exprs[li], rit->exprs[ri]};
		sem_type t;
		b->scope = &tmp;
		if (pl_common_type(b, pair, 2, "JOIN/USING", &t, err) != CM_OK ||
			pl_coerce_common(b, pair, 2, t, "JOIN/USING", err) != CM_OK)
			return CM_ERROR;
		if (pl_make_op(b, "=", pair[0], pair[1], -1, &conds[u], err) != CM_OK)
			return CM_ERROR;
		if (jt == EX_JOIN_FULL) {
			sem_expr *c = sem_expr_new(b->arena, SEM_EXPR_COALESCE, t, -1);
			c->u.list.n = 2;
			c->u.list.items = cm_new_array(b->arena, sem_expr *, 2);
			c->u.list.items[0] = pair[0];
			c->u.list.items[1] = pair[1];
			merged[u] = c;
		} else
			merged[u] = jt == EX_JOIN_RIGHT ? pair[1] : pair[0];
	}
	if (nusing == 1)
		qual = conds[0];
	else if (nusing > 1) {
		qual = sem_expr_new(b->arena, SEM_EXPR_AND, (sem_type){SEM_BOOLOID, -1}, -1);
		qual->u.list.n = nusing;
		qual->u.list.items = conds;
	}
	if (je->quals) {
		if (bind_in(b, &tmp, EK_JOIN, je->quals, &qual, err) != CM_OK ||
			pl_coerce_bool(b, &qual, "JOIN/ON", err) != CM_OK)
			return CM_ERROR;
	}
	if (qual && j->nlat)
		j->pred = qual;	/* the lateral nested loop evaluates the whole condition */
	else if (qual && split_join_qual(b, j, qual, wl, wr, err) != CM_OK)
		return CM_ERROR;
	/* the join's own namespace item: merged columns, then the others */
	int total = 0;
	for (pl_nsitem *it = tmp.items; it; it = it->next)
		if (it->cols_visible)
			total += it->ncols;
	const char *jalias = je->alias && je->alias->aliasname && je->alias->aliasname[0] ? je->alias->aliasname : NULL;
	pl_nsitem *ji = new_item(b, jalias, total);
	int k = 0;
	for (int u = 0; u < nusing; u++) {
		ji->names[k] = using[u];
		ji->exprs[k++] = merged[u];
	}
	for (int side = 0; side < 2; side++) {
		pl_nsitem *list = side == 0 ? l.items : ritems;
		for (pl_nsitem *it = list; it; it = it->next) {
			if (!it->cols_visible)
				continue;
			for (int i = 0; i < it->ncols; i++) {
				bool skip = false;
				for (int u = 0; u < nusing && !skip; u++)
					skip = strcmp(using[u], it->names[i]) == 0;
				if (skip)
					continue;
				ji->names[k] = it->names[i];
				ji->exprs[k++] = it->exprs[i];
			}
		}
	}
	ji->ncols = k;
	if (je->alias && je->alias->n_colnames) {
		for (size_t i = 0; i < je->alias->n_colnames && (int) i < k; i++)
			ji->names[i] = node_str(je->alias->colnames[i]);
	}
	if (jalias) {
		pl_nsitem *children = items_append(items_shift(b, l.items, 0), items_shift(b, ritems, 0));
		for (pl_nsitem *it = children; it; it = it->next) {
			it->cols_visible = false;
			it->rel_visible = false;
			it->hidden = true;
		}
		out->items = items_append(children, ji);
	} else {
		pl_nsitem *children = items_append(items_shift(b, l.items, 0), items_shift(b, ritems, 0));
		for (pl_nsitem *it = children; it; it = it->next)
			it->cols_visible = false;
		ji->rel_visible = false;
		out->items = items_append(children, ji);
	}
	out->node = j;
	out->width = wl + wr;
	return CM_OK;
}

/* The scope a LATERAL item sees: the FROM items to its left, at this query level. */
static pl_scope *lateral_scope(pl_binder *b, pl_scope *sc, pl_nsitem *left)
{
	pl_scope *l = cm_new(b->arena, pl_scope);
	l->parent = sc->parent;
	l->outer = sc->outer;
	l->cte_parent = sc;
	l->q = sc->q;
	l->items = left;
	return l;
}

/* Make j a lateral nested loop if its right side referenced the left one. */
static bool set_lateral(pl_node *j, pl_outer *o)
{
	if (o->n == 0 && !o->correlated)
		return false;
	j->nlat = o->n;
	j->latargs = o->args;
	j->latids = o->ids;
	j->lateral = true;
	return true;
}

static cm_status plan_from_item(pl_binder *b, pl_scope *sc, const PgQuery__Node *n, from_result *out, pl_scope *lat,
							  pl_outer *latouter, cm_error *err)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		return plan_rangevar(b, sc, n->range_var, out, err);
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
		const PgQuery__RangeSubselect *rs = n->range_subselect;
		if (!rs->alias)
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "subquery in FROM must have an alias");
		pl_query_result r;
		pl_scope *saved = b->scope;
		/* LATERAL: the earlier FROM items are an enclosing scope whose columns
		 * become executor parameters set by the lateral nested loop */
		if (plan_stmt(b, rs->lateral && lat ? lat : NULL, rs->lateral && lat ? latouter : NULL, sc,
					  rs->subquery->select_stmt, true, &r, err) != CM_OK)
			return CM_ERROR;
		b->scope = saved;
		const char **names = alias_names(b, rs->alias, r.ncols, r.names, -1, err);
		if (!names)
			return CM_ERROR;
		*out = item_over(b, r.node, rs->alias->aliasname, names);
		return CM_OK;
	}
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
		return plan_rangefunc(b, sc, n->range_function, out, lat, latouter, err);
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		return plan_join(b, sc, n->join_expr, out, err);
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this FROM clause item is not supported");
	}
}

static cm_status plan_from(pl_binder *b, pl_scope *sc, const PgQuery__SelectStmt *s, from_result *out, cm_error *err)
{
	if (s->n_from_clause == 0) {
		out->node = new_node(b, PL_RESULT, 0);
		out->items = NULL;
		out->width = 0;
		return CM_OK;
	}
	from_result acc = {0};
	if (plan_from_item(b, sc, s->from_clause[0], &acc, NULL, NULL, err) != CM_OK)
		return CM_ERROR;
	for (size_t i = 1; i < s->n_from_clause; i++) {
		from_result r = {0};
		pl_scope *lat = lateral_scope(b, sc, acc.items);
		pl_outer *latouter = cm_new(b->arena, pl_outer);
		if (plan_from_item(b, sc, s->from_clause[i], &r, lat, latouter, err) != CM_OK)
			return CM_ERROR;
		b->scope = sc;
		pl_node *j = new_node(b, PL_JOIN, acc.width + r.width);
		j->jt = EX_JOIN_INNER;
		set_lateral(j, latouter);
		j->left = acc.node;
		j->right = r.node;
		memcpy(j->types, acc.node->types, sizeof(sem_type) * (size_t) acc.width);
		memcpy(j->types + acc.width, r.node->types, sizeof(sem_type) * (size_t) r.width);
		acc.items = items_append(acc.items, items_shift(b, r.items, acc.width));
		acc.width += r.width;
		acc.node = j;
	}
	/* duplicate relation names */
	for (pl_nsitem *x = acc.items; x; x = x->next)
		for (pl_nsitem *y = x->next; y; y = y->next)
			if (x->rel_visible && y->rel_visible && !x->hidden && !y->hidden && x->alias && y->alias &&
				strcmp(x->alias, y->alias) == 0)
				return cm_error_set(err, CM_E_DUPLICATE_ALIAS, "table name \"%s\" specified more than once", x->alias);
	*out = acc;
	return CM_OK;
}

/* ---- SELECT ------------------------------------------------------------------------------------- */

static cm_status bind_limit(pl_binder *b, pl_scope *sc, const PgQuery__Node *n, const char *what, sem_expr **out,
							cm_error *err)
{
	sem_expr *e;
	if (bind_in(b, sc, EK_LIMIT, n, &e, err) != CM_OK)
		return CM_ERROR;
	if (e->type.oid != SEM_INT8OID) {
		if (!sem_can_coerce(e->type.oid, SEM_INT8OID, SEM_COERCE_IMPLICIT)) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "argument of %s must be type %s, not type %s", what, "bigint",
						 sem_type_name(e->type.oid));
			return errat(err, e->location);
		}
		if (pl_coerce(b, &e, SEM_INT8OID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
			return CM_ERROR;
	}
	*out = e;
	return CM_OK;
}

typedef struct agg_rw {
	int ngroups;
	sem_expr **groups;
	const char **colnames;	/* FROM position -> "t.x" */
	int width;
} agg_rw;

static sem_expr *agg_rewrite_fn(pl_binder *b, sem_expr *e, void *arg, cm_error *err, bool *failed)
{
	agg_rw *rw = arg;
	for (int k = 0; k < rw->ngroups; k++)
		if (expr_equal(e, rw->groups[k]))
			return sem_expr_column(b->arena, k, e->type, e->location);
	if (e->kind == SEM_EXPR_EXTERN && e->u.ext.fn == grouping_eval) {
		for (int i = 0; i + 1 < e->u.ext.nargs; i++) {
			bool found = false;
			for (int k = 0; k < rw->ngroups && !found; k++)
				found = expr_equal(e->u.ext.args[i], rw->groups[k]);
			if (!found) {
				cm_error_set(err, CM_E_GROUPING_ERROR,
							 "arguments to GROUPING must be grouping expressions of the associated query level");
				errat(err, e->u.ext.args[i]->location);
				*failed = true;
				return e;
			}
		}
		return NULL;
	}
	if (e->kind == SEM_EXPR_EXTERN && !e->u.ext.fn) {
		pl_ph *ph = e->u.ext.arg;
		if (ph->kind == PH_AGG)
			return sem_expr_column(b->arena, rw->ngroups + ph->idx, e->type, e->location);
		return NULL;
	}
	if (e->kind == SEM_EXPR_COLUMN) {
		const char *nm = e->u.colno < rw->width && rw->colnames[e->u.colno] ? rw->colnames[e->u.colno] : "?";
		cm_error_set(err, CM_E_GROUPING_ERROR, "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function", nm);
		errat(err, e->location);
		*failed = true;
		return e;
	}
	return NULL;
}

typedef struct ph_rw {
	pl_phkind kind;
	int base;
	int *map;		/* idx -> column (or NULL: base + idx) */
} ph_rw;

static sem_expr *ph_rewrite_fn(pl_binder *b, sem_expr *e, void *arg, cm_error *err, bool *failed)
{
	ph_rw *rw = arg;
	if (e->kind == SEM_EXPR_EXTERN && !e->u.ext.fn) {
		pl_ph *ph = e->u.ext.arg;
		if (ph->kind == rw->kind)
			return sem_expr_column(b->arena, rw->map ? rw->map[ph->idx] : rw->base + ph->idx, e->type, e->location);
	}
	return NULL;
}

static cm_status rewrite_all(pl_binder *b, mut_fn fn, void *arg, sem_expr **v, int n, cm_error *err)
{
	bool failed = false;
	for (int i = 0; i < n && !failed; i++)
		v[i] = mutate(b, v[i], fn, arg, err, &failed);
	return failed ? CM_ERROR : CM_OK;
}

static cm_status rewrite_sortkeys(pl_binder *b, mut_fn fn, void *arg, ex_sortkey *k, int n, cm_error *err)
{
	bool failed = false;
	for (int i = 0; i < n && !failed; i++)
		k[i].expr = mutate(b, k[i].expr, fn, arg, err, &failed);
	return failed ? CM_ERROR : CM_OK;
}

static cm_status rewrite_wins(pl_binder *b, pl_scope *sc, mut_fn fn, void *arg, cm_error *err)
{
	for (int w = 0; w < sc->nwins; w++) {
		pl_wininfo *wi = &sc->wins[w];
		bool failed = false;
		if (rewrite_all(b, fn, arg, wi->d.agg.args, wi->d.agg.nargs, err) != CM_OK ||
			rewrite_all(b, fn, arg, wi->part, wi->npart, err) != CM_OK ||
			rewrite_sortkeys(b, fn, arg, wi->order, wi->norder, err) != CM_OK)
			return CM_ERROR;
		wi->d.agg.filter = mutate(b, wi->d.agg.filter, fn, arg, err, &failed);
		wi->d.frame.start_off = mutate(b, wi->d.frame.start_off, fn, arg, err, &failed);
		wi->d.frame.end_off = mutate(b, wi->d.frame.end_off, fn, arg, err, &failed);
		if (failed)
			return CM_ERROR;
	}
	return CM_OK;
}

static bool is_int_const(const PgQuery__Node *n, int *v)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		*v = n->a_const->ival->ival;
		return true;
	}
	return false;
}

/* ---- GROUP BY items and grouping sets ---- */

typedef struct gb_ctx {
	pl_scope *sc;
	sem_expr **targets;
	const char **tnames;
	int nt;
	sem_expr **groups;		/* distinct group key expressions */
	int ng, cap;
} gb_ctx;

typedef struct gs_list {
	uint64_t *v;			/* key masks (bit k: groups[k] is in the set) */
	int n, cap;
} gs_list;

static void gs_push(pl_binder *b, gs_list *l, uint64_t m)
{
	if (l->n == l->cap) {
		int nc = l->cap ? l->cap * 2 : 8;
		uint64_t *nv = cm_new_array(b->arena, uint64_t, nc);
		if (l->n)
			memcpy(nv, l->v, sizeof(uint64_t) * (size_t) l->n);
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = m;
}

static cm_status errat(cm_error *err, int loc);
static cm_status lookup(pl_binder *b, pl_scope *sc, const char *const *names, int n, int loc, sem_expr **out,
						bool *found, cm_error *err);

/* Bind one GROUP BY expression (output-column position, output-column name or
 * expression, PostgreSQL's findTargetlistEntrySQL92 rules) and return its
 * index among the distinct group keys. */
static cm_status gb_key(pl_binder *b, gb_ctx *gb, const PgQuery__Node *g, int *k, cm_error *err)
{
	sem_expr *e = NULL;
	int pos;
	if (is_int_const(g, &pos)) {
		if (pos < 1 || pos > gb->nt) {
			cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "GROUP BY position %d is not in select list", pos);
			return errat(err, g->a_const->location);
		}
		e = gb->targets[pos - 1];
	} else if (g->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && g->column_ref->n_fields == 1 &&
			   node_str(g->column_ref->fields[0])) {
		const char *nm = node_str(g->column_ref->fields[0]);
		bool found;
		const char *names[1] = {nm};
		if (lookup(b, gb->sc, names, 1, g->column_ref->location, &e, &found, err) != CM_OK)
			return CM_ERROR;
		if (!found) {
			for (int t = 0; t < gb->nt && !e; t++)
				if (strcmp(gb->tnames[t], nm) == 0)
					e = gb->targets[t];
		}
	}
	if (!e && bind_in(b, gb->sc, EK_GROUP, g, &e, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < gb->ng; i++)
		if (expr_equal(gb->groups[i], e)) {
			*k = i;
			return CM_OK;
		}
	if (gb->ng >= 64)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "too many GROUP BY expressions (pgkv allows 64)");
	if (gb->ng == gb->cap) {
		int nc = gb->cap ? gb->cap * 2 : 8;
		sem_expr **ng = cm_new_array(b->arena, sem_expr *, nc + 1);
		if (gb->ng)
			memcpy(ng, gb->groups, sizeof(sem_expr *) * (size_t) gb->ng);
		gb->groups = ng;
		gb->cap = nc;
	}
	gb->groups[gb->ng] = e;
	*k = gb->ng++;
	return CM_OK;
}

/* Mask of one element of ROLLUP/CUBE/a set list: an expression, or an
 * implicit row (a, b) / parenthesised list meaning those keys together. */
static cm_status gs_elem_mask(pl_binder *b, gb_ctx *gb, const PgQuery__Node *n, uint64_t *m, cm_error *err)
{
	*m = 0;
	PgQuery__Node **items = NULL;
	size_t ni = 0;
	if (n->node_case == PG_QUERY__NODE__NODE_ROW_EXPR &&
		n->row_expr->row_format != PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL) {
		items = n->row_expr->args;
		ni = n->row_expr->n_args;
	} else if (n->node_case == PG_QUERY__NODE__NODE_GROUPING_SET &&
			   (n->grouping_set->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SIMPLE ||
				n->grouping_set->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY)) {
		items = n->grouping_set->content;
		ni = n->grouping_set->n_content;
	} else {
		int k;
		if (gb_key(b, gb, n, &k, err) != CM_OK)
			return CM_ERROR;
		*m = UINT64_C(1) << k;
		return CM_OK;
	}
	for (size_t i = 0; i < ni; i++) {
		uint64_t x;
		if (gs_elem_mask(b, gb, items[i], &x, err) != CM_OK)
			return CM_ERROR;
		*m |= x;
	}
	return CM_OK;
}

/* The grouping sets one GROUP BY item stands for (parse_agg.c's
 * expand_grouping_sets, without its reordering). */
static cm_status gs_item(pl_binder *b, gb_ctx *gb, const PgQuery__Node *n, int depth, gs_list *out, cm_error *err)
{
	if (n->node_case != PG_QUERY__NODE__NODE_GROUPING_SET) {
		uint64_t m;
		if (gs_elem_mask(b, gb, n, &m, err) != CM_OK)
			return CM_ERROR;
		gs_push(b, out, m);
		return CM_OK;
	}
	const PgQuery__GroupingSet *gs = n->grouping_set;
	int nc = (int) gs->n_content;
	uint64_t *el = cm_new_array(b->arena, uint64_t, nc + 1);
	switch (gs->kind) {
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY:
		gs_push(b, out, 0);
		return CM_OK;
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SIMPLE: {
		uint64_t m;
		if (gs_elem_mask(b, gb, n, &m, err) != CM_OK)
			return CM_ERROR;
		gs_push(b, out, m);
		return CM_OK;
	}
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP:
		for (int i = 0; i < nc; i++)
			if (gs_elem_mask(b, gb, gs->content[i], &el[i], err) != CM_OK)
				return CM_ERROR;
		for (int len = nc; len >= 0; len--) {
			uint64_t m = 0;
			for (int i = 0; i < len; i++)
				m |= el[i];
			gs_push(b, out, m);
		}
		return CM_OK;
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE:
		if (nc > 12) {
			cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "CUBE is limited to 12 elements");
			return errat(err, gs->location);
		}
		for (int i = 0; i < nc; i++)
			if (gs_elem_mask(b, gb, gs->content[i], &el[i], err) != CM_OK)
				return CM_ERROR;
		/* every subset, largest first: (a,b), (a), (b), () */
		for (int sz = nc; sz >= 0; sz--)
			for (uint32_t sub = (1u << nc); sub-- > 0;) {
				if (__builtin_popcount(sub) != sz)
					continue;
				uint64_t m = 0;
				for (int i = 0; i < nc; i++)
					if (sub & (1u << (nc - 1 - i)))
						m |= el[i];
				gs_push(b, out, m);
			}
		return CM_OK;
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SETS:
		/* each element is a set (an expression, a row of keys, ()), or a
		 * ROLLUP / CUBE / nested GROUPING SETS whose sets are taken as they are */
		for (int i = 0; i < nc; i++)
			if (gs_item(b, gb, gs->content[i], depth + 1, out, err) != CM_OK)
				return CM_ERROR;
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this kind of grouping set is not supported");
	}
}

static bool same_window(const pl_wininfo *a, const pl_wininfo *b)
{
	if (a->npart != b->npart || a->norder != b->norder)
		return false;
	if (!list_equal(a->part, b->part, a->npart))
		return false;
	for (int i = 0; i < a->norder; i++)
		if (!expr_equal(a->order[i].expr, b->order[i].expr) || a->order[i].desc != b->order[i].desc ||
			a->order[i].nulls_first != b->order[i].nulls_first)
			return false;
	return true;
}

static cm_status plan_simple(pl_binder *b, pl_scope *sc, const PgQuery__SelectStmt *s, bool resolve_unknown,
							 pl_query_result *out, cm_error *err)
{
	if (s->into_clause)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SELECT INTO is not supported yet");
	const PgQuery__LockingClause *lc = NULL;
	if (s->n_locking_clause) {
		/* FOR UPDATE / SHARE: one stored table in FROM; its scan yields the
		 * row handle, and a LockRows node after WHERE locks and re-checks */
		lc = s->locking_clause[0]->locking_clause;
		if (s->n_from_clause != 1 || s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
			s->n_group_clause || s->n_distinct_clause || s->having_clause)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
								"FOR UPDATE/SHARE is supported for a single table without GROUP BY or DISTINCT");
		b->dml_target = s->from_clause[0]->range_var;
	}
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "FETCH ... WITH TIES is not supported yet");
	sc->stmt = s;
	from_result fr = {0};
	if (plan_from(b, sc, s, &fr, err) != CM_OK)
		return CM_ERROR;
	sc->items = fr.items;
	sc->width = fr.width;
	pl_node *node = fr.node;
	const char **colnames = cm_new_array(b->arena, const char *, fr.width + 1);
	for (pl_nsitem *it = fr.items; it; it = it->next)
		for (int i = 0; i < it->ncols; i++)
			if (it->exprs[i]->kind == SEM_EXPR_COLUMN && it->exprs[i]->u.colno < fr.width &&
				!colnames[it->exprs[i]->u.colno])
				colnames[it->exprs[i]->u.colno] =
					it->alias ? cm_asprintf(b->arena, "%s.%s", it->alias, it->names[i]) : it->names[i];

	/* WHERE */
	sem_expr *where = NULL;
	if (s->where_clause) {
		if (bind_in(b, sc, EK_WHERE, s->where_clause, &where, err) != CM_OK ||
			pl_coerce_bool(b, &where, "WHERE", err) != CM_OK)
			return CM_ERROR;
	}
	if (lc) {
		if (!b->dml_table || node->kind != PL_SCAN)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "FOR UPDATE/SHARE needs a stored table");
		b->dml_target = NULL;
		b->dml_table = NULL;
		pl_node *f = node;
		if (where) {
			f = new_node(b, PL_FILTER, node->ncols);
			memcpy(f->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
			f->left = node;
			f->pred = where;
		}
		pl_node *lr = new_node(b, PL_LOCKROWS, node->ncols);
		memcpy(lr->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
		lr->left = f;
		lr->pred = where;
		lr->scan = node->scan;
		lr->n = lc->strength == PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORUPDATE ||
						lc->strength == PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORNOKEYUPDATE
					? 2
					: 1;
		lr->nkeys = lc->wait_policy == PG_QUERY__LOCK_WAIT_POLICY__LockWaitError   ? 1
					: lc->wait_policy == PG_QUERY__LOCK_WAIT_POLICY__LockWaitSkip ? 2
																				  : 0;
		node = lr;
		where = NULL;
	}
	/* target list (with * expansion) */
	int cap = (int) s->n_target_list + 16, nt = 0;
	sem_expr **targets = cm_new_array(b->arena, sem_expr *, cap);
	const char **tnames = cm_new_array(b->arena, const char *, cap);
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		if (rt->n_indirection)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "indirection in the target list is not supported");
		const PgQuery__Node *v = rt->val;
		if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields > 0 &&
			v->column_ref->fields[v->column_ref->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
			const PgQuery__ColumnRef *cr = v->column_ref;
			const char *rel = cr->n_fields >= 2 ? node_str(cr->fields[cr->n_fields - 2]) : NULL;
			bool any = false;
			for (pl_nsitem *it = sc->items; it; it = it->next) {
				if (rel ? !(it->rel_visible && it->alias && strcmp(it->alias, rel) == 0) : !it->cols_visible)
					continue;
				any = true;
				if (nt + it->ncols >= cap) {
					int nc = (nt + it->ncols) * 2 + 16;
					sem_expr **t2 = cm_new_array(b->arena, sem_expr *, nc);
					const char **n2 = cm_new_array(b->arena, const char *, nc);
					memcpy(t2, targets, sizeof(sem_expr *) * (size_t) nt);
					memcpy(n2, tnames, sizeof(const char *) * (size_t) nt);
					targets = t2;
					tnames = n2;
					cap = nc;
				}
				for (int c = 0; c < it->ncols; c++) {
					targets[nt] = copy_at(b, it->exprs[c], cr->location);
					tnames[nt++] = it->names[c];
				}
				if (rel)
					break;
			}
			if (!any) {
				if (rel) {
					cm_error_set(err, CM_E_UNDEFINED_TABLE, "missing FROM-clause entry for table \"%s\"", rel);
					return errat(err, cr->location);
				}
				cm_error_set(err, CM_E_SYNTAX_ERROR, "SELECT * with no tables specified is not valid");
				return errat(err, cr->location);
			}
			continue;
		}
		if (nt >= cap) {
			int nc = cap * 2;
			sem_expr **t2 = cm_new_array(b->arena, sem_expr *, nc);
			const char **n2 = cm_new_array(b->arena, const char *, nc);
			memcpy(t2, targets, sizeof(sem_expr *) * (size_t) nt);
			memcpy(n2, tnames, sizeof(const char *) * (size_t) nt);
			targets = t2;
			tnames = n2;
			cap = nc;
		}
		if (bind_in(b, sc, EK_TARGET, v, &targets[nt], err) != CM_OK)
			return CM_ERROR;
		tnames[nt++] = rt->name && rt->name[0] ? rt->name : pl_figure_colname(v);
	}
	/* GROUP BY: plain items, or grouping sets (ROLLUP / CUBE / GROUPING SETS,
	 * expanded into a list of key masks) */
	int ng = 0;
	bool empty_group = false;
	gb_ctx gb = {sc, targets, tnames, nt, NULL, 0, 0};
	bool has_sets = false;
	for (size_t i = 0; i < s->n_group_clause; i++) {
		const PgQuery__Node *g = s->group_clause[i];
		if (g->node_case == PG_QUERY__NODE__NODE_GROUPING_SET &&
			!(g->grouping_set->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY && g->grouping_set->n_content == 0))
			has_sets = true;
	}
	gs_list sets = {NULL, 0, 0};
	if (has_sets) {
		gs_push(b, &sets, 0);
		for (size_t i = 0; i < s->n_group_clause; i++) {
			gs_list item = {NULL, 0, 0}, prod = {NULL, 0, 0};
			if (gs_item(b, &gb, s->group_clause[i], 0, &item, err) != CM_OK)
				return CM_ERROR;
			for (int x = 0; x < sets.n; x++)
				for (int y = 0; y < item.n; y++)
					gs_push(b, &prod, sets.v[x] | item.v[y]);
			sets = prod;
			if (sets.n > 4096)
				return cm_error_set(err, "54001" /* statement_too_complex */, "too many grouping sets present (maximum 4096)");
		}
		if (s->group_distinct) {
			int k = 0;
			for (int x = 0; x < sets.n; x++) {
				bool dup = false;
				for (int y = 0; y < k && !dup; y++)
					dup = sets.v[y] == sets.v[x];
				if (!dup)
					sets.v[k++] = sets.v[x];
			}
			sets.n = k;
		}
	} else {
		for (size_t i = 0; i < s->n_group_clause; i++) {
			const PgQuery__Node *g = s->group_clause[i];
			if (g->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
				empty_group = true;	/* GROUP BY (): one group */
				continue;
			}
			int k;
			if (gb_key(b, &gb, g, &k, err) != CM_OK)
				return CM_ERROR;
		}
	}
	ng = gb.ng;
	sem_expr **groups = gb.groups ? gb.groups : cm_new_array(b->arena, sem_expr *, 1);
	for (int k = 0; k < ng; k++) {
		if (groups[k]->kind == SEM_EXPR_EXTERN && !groups[k]->u.ext.fn) {
			cm_error_set(err, CM_E_GROUPING_ERROR, "aggregate functions are not allowed in GROUP BY");
			return errat(err, groups[k]->location);
		}
		if (pl_resolve_unknown(b, &groups[k], err) != CM_OK)
			return CM_ERROR;
	}
	/* HAVING */
	sem_expr *having = NULL;
	if (s->having_clause) {
		if (bind_in(b, sc, EK_HAVING, s->having_clause, &having, err) != CM_OK ||
			pl_coerce_bool(b, &having, "HAVING", err) != CM_OK)
			return CM_ERROR;
	}
	/* ORDER BY */
	int nsort = (int) s->n_sort_clause;
	ex_sortkey *sort = cm_new_array(b->arena, ex_sortkey, nsort + 1);
	int *sort_target = cm_new_array(b->arena, int, nsort + 1);
	for (int i = 0; i < nsort; i++) {
		const PgQuery__SortBy *sb = s->sort_clause[i]->sort_by;
		const PgQuery__Node *sn = sb->node;
		int pos;
		sort_target[i] = -1;
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "ORDER BY USING is not supported");
		if (is_int_const(sn, &pos)) {
			if (pos < 1 || pos > nt) {
				cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "ORDER BY position %d is not in select list", pos);
				return errat(err, sn->a_const->location);
			}
			sort_target[i] = pos - 1;
		} else if (sn->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && sn->column_ref->n_fields == 1 &&
				   node_str(sn->column_ref->fields[0])) {
			const char *nm = node_str(sn->column_ref->fields[0]);
			for (int t = 0; t < nt; t++) {
				if (strcmp(tnames[t], nm) != 0)
					continue;
				if (sort_target[i] >= 0 && !expr_equal(targets[sort_target[i]], targets[t])) {
					cm_error_set(err, CM_E_AMBIGUOUS_COLUMN, "ORDER BY \"%s\" is ambiguous", nm);
					return errat(err, sn->column_ref->location);
				}
				if (sort_target[i] < 0)
					sort_target[i] = t;
			}
		}
		if (sort_target[i] >= 0)
			sort[i].expr = targets[sort_target[i]];
		else if (bind_in(b, sc, EK_ORDER, sn, &sort[i].expr, err) != CM_OK)
			return CM_ERROR;
		sort[i].desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
		sort[i].nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ? true
							  : sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST ? false
																								 : sort[i].desc;
	}
	/* DISTINCT [ON] */
	bool distinct = false;
	int ndon = 0;
	sem_expr **don = NULL;
	if (s->n_distinct_clause) {
		if (s->n_distinct_clause == 1 && (!s->distinct_clause[0] || s->distinct_clause[0]->node_case == 0))
			distinct = true;
		else {
			ndon = (int) s->n_distinct_clause;
			don = cm_new_array(b->arena, sem_expr *, ndon);
			for (int i = 0; i < ndon; i++) {
				const PgQuery__Node *dn = s->distinct_clause[i];
				int pos;
				if (is_int_const(dn, &pos)) {
					if (pos < 1 || pos > nt) {
						cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "SELECT DISTINCT ON position %d is not in select list", pos);
						return errat(err, dn->a_const->location);
					}
					don[i] = targets[pos - 1];
					continue;
				}
				don[i] = NULL;
				if (dn->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && dn->column_ref->n_fields == 1 &&
					node_str(dn->column_ref->fields[0]))
					for (int t = 0; t < nt && !don[i]; t++)
						if (strcmp(tnames[t], node_str(dn->column_ref->fields[0])) == 0)
							don[i] = targets[t];
				if (!don[i] && bind_in(b, sc, EK_DISTINCT_ON, dn, &don[i], err) != CM_OK)
					return CM_ERROR;
			}
		}
	}
	if (resolve_unknown || distinct || ndon)
		for (int t = 0; t < nt; t++)
			if (pl_resolve_unknown(b, &targets[t], err) != CM_OK)
				return CM_ERROR;
	for (int i = 0; i < nsort; i++) {
		if (sort_target[i] >= 0)
			sort[i].expr = targets[sort_target[i]];
		if (pl_resolve_unknown(b, &sort[i].expr, err) != CM_OK)
			return CM_ERROR;
	}
	for (int i = 0; i < ndon; i++)
		if (pl_resolve_unknown(b, &don[i], err) != CM_OK)
			return CM_ERROR;

	/* ---- build the pipeline ---- */
	if (where) {
		pl_node *f = new_node(b, PL_FILTER, node->ncols);
		memcpy(f->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
		f->left = node;
		f->pred = where;
		node = f;
	}
	if (sc->naggs > 0 || ng > 0 || having || empty_group || has_sets) {
		pl_node *a = new_node(b, PL_AGG, ng + sc->naggs);
		a->left = node;
		a->n = ng;
		a->exprs = groups;
		a->naggs = sc->naggs;
		a->aggs = sc->aggs;
		for (int k = 0; k < ng; k++)
			a->types[k] = groups[k]->type;
		for (int i = 0; i < sc->naggs; i++)
			a->types[ng + i] = sc->aggs[i].result;
		if (has_sets) {
			/* Grouping sets: an Aggregate without plain keys whose first ng
			 * "aggregates" are the keys (EX_AGG_GSET_KEY, NULL outside their
			 * sets) and one carries the set list (EX_AGG_GSET_ID); the output
			 * layout stays keys ++ aggregates.  Having no plain keys keeps
			 * filters on key columns above it (they must see the NULLs) and
			 * keeps it in the gateway. */
			int idx = gset_id_agg(b, sc);
			ex_aggdesc *all = cm_new_array(b->arena, ex_aggdesc, ng + sc->naggs);
			for (int k = 0; k < ng; k++) {
				all[k].kind = EX_AGG_GSET_KEY;
				all[k].name = "grouping key";
				all[k].nargs = 1;
				all[k].args = &groups[k];
				all[k].argtype = groups[k]->type;
				all[k].result = groups[k]->type;
			}
			memcpy(all + ng, sc->aggs, sizeof(ex_aggdesc) * (size_t) sc->naggs);
			all[ng + idx].ngsets = sets.n;
			all[ng + idx].gsets = sets.v;
			all[ng + idx].nargs = 0;
			a->ncols = ng + sc->naggs;
			a->types = cm_new_array(b->arena, sem_type, a->ncols);
			for (int k = 0; k < ng; k++)
				a->types[k] = groups[k]->type;
			for (int i = 0; i < sc->naggs; i++)
				a->types[ng + i] = sc->aggs[i].result;
			a->n = 0;
			a->exprs = NULL;
			a->naggs = ng + sc->naggs;
			a->aggs = all;
		}
		node = a;
		agg_rw rw = {ng, groups, colnames, fr.width};
		bool failed = false;
		if (rewrite_all(b, agg_rewrite_fn, &rw, targets, nt, err) != CM_OK ||
			rewrite_sortkeys(b, agg_rewrite_fn, &rw, sort, nsort, err) != CM_OK ||
			rewrite_all(b, agg_rewrite_fn, &rw, don, ndon, err) != CM_OK ||
			rewrite_all(b, agg_rewrite_fn, &rw, sc->srfs, sc->nsrfs, err) != CM_OK ||
			rewrite_wins(b, sc, agg_rewrite_fn, &rw, err) != CM_OK)
			return CM_ERROR;
		if (having) {
			having = mutate(b, having, agg_rewrite_fn, &rw, err, &failed);
			if (failed)
				return CM_ERROR;
			pl_node *f = new_node(b, PL_FILTER, node->ncols);
			memcpy(f->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
			f->left = node;
			f->pred = having;
			node = f;
		}
	}
	/* window functions: one Sort + WindowAgg per distinct window */
	if (sc->nwins > 0) {
		int *map = cm_new_array(b->arena, int, sc->nwins);
		bool *done = cm_new_array(b->arena, bool, sc->nwins);
		for (int w = 0; w < sc->nwins; w++) {
			if (done[w])
				continue;
			pl_wininfo *wi = &sc->wins[w];
			int nf = 0;
			for (int v = w; v < sc->nwins; v++)
				if (!done[v] && same_window(wi, &sc->wins[v]))
					nf++;
			int nk = wi->npart + wi->norder;
			if (nk > 0) {
				pl_node *so = new_node(b, PL_SORT, node->ncols);
				memcpy(so->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
				so->left = node;
				so->nsort = nk;
				so->sort = cm_new_array(b->arena, ex_sortkey, nk);
				for (int k = 0; k < wi->npart; k++)
					so->sort[k].expr = wi->part[k];
				for (int k = 0; k < wi->norder; k++)
					so->sort[wi->npart + k] = wi->order[k];
				node = so;
			}
			pl_node *wn = new_node(b, PL_WINDOW, node->ncols + nf);
			memcpy(wn->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
			wn->left = node;
			wn->npart = wi->npart;
			wn->part = wi->part;
			wn->nsort = wi->norder;
			wn->sort = wi->order;
			wn->nwin = nf;
			wn->wins = cm_new_array(b->arena, ex_windesc, nf);
			int f = 0;
			for (int v = w; v < sc->nwins; v++) {
				if (done[v] || !same_window(wi, &sc->wins[v]))
					continue;
				done[v] = true;
				wn->wins[f] = sc->wins[v].d;
				wn->types[node->ncols + f] = sc->wins[v].d.agg.result;
				map[v] = node->ncols + f;
				f++;
			}
			node = wn;
		}
		ph_rw rw = {PH_WIN, 0, map};
		if (rewrite_all(b, ph_rewrite_fn, &rw, targets, nt, err) != CM_OK ||
			rewrite_sortkeys(b, ph_rewrite_fn, &rw, sort, nsort, err) != CM_OK ||
			rewrite_all(b, ph_rewrite_fn, &rw, don, ndon, err) != CM_OK ||
			rewrite_all(b, ph_rewrite_fn, &rw, sc->srfs, sc->nsrfs, err) != CM_OK)
			return CM_ERROR;
	}
	if (sc->nsrfs > 0) {
		pl_node *ps = new_node(b, PL_SRF, node->ncols + sc->nsrfs);
		memcpy(ps->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
		for (int i = 0; i < sc->nsrfs; i++)
			ps->types[node->ncols + i] = sc->srfs[i]->type;
		ps->left = node;
		ps->n = sc->nsrfs;
		ps->exprs = sc->srfs;
		ps->label = "ProjectSet";
		ph_rw rw = {PH_SRF, node->ncols, NULL};
		node = ps;
		if (rewrite_all(b, ph_rewrite_fn, &rw, targets, nt, err) != CM_OK ||
			rewrite_sortkeys(b, ph_rewrite_fn, &rw, sort, nsort, err) != CM_OK ||
			rewrite_all(b, ph_rewrite_fn, &rw, don, ndon, err) != CM_OK)
			return CM_ERROR;
	}
	pl_node *proj = new_node(b, PL_PROJECT, nt);
	proj->n = nt;
	proj->exprs = targets;
	for (int t = 0; t < nt; t++)
		proj->types[t] = targets[t]->type;
	if (ndon > 0) {
		/* DISTINCT ON: sort by the ORDER BY (which must start with the DISTINCT ON
		 * expressions) or by the DISTINCT ON expressions, keep the first row of each group */
		ex_sortkey *keys = sort;
		int nk = nsort;
		if (nsort == 0) {
			keys = cm_new_array(b->arena, ex_sortkey, ndon);
			for (int i = 0; i < ndon; i++)
				keys[i].expr = don[i];
			nk = ndon;
		} else {
			for (int i = 0; i < ndon; i++) {
				bool ok = false;
				for (int k = 0; k < ndon && k < nsort && !ok; k++)
					ok = expr_equal(don[i], sort[k].expr);
				if (!ok || nsort < ndon) {
					cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions");
					return errat(err, s->sort_clause[0]->sort_by->location);
				}
			}
		}
		pl_node *so = new_node(b, PL_SORT, node->ncols);
		memcpy(so->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
		so->left = node;
		so->nsort = nk;
		so->sort = keys;
		pl_node *u = new_node(b, PL_DISTINCT, node->ncols);
		memcpy(u->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
		u->left = so;
		u->n = ndon;
		u->exprs = don;
		proj->left = u;
		node = proj;
	} else if (distinct) {
		proj->left = node;
		pl_node *d = new_node(b, PL_DISTINCT, nt);
		memcpy(d->types, proj->types, sizeof(sem_type) * (size_t) nt);
		d->left = proj;
		node = d;
		if (nsort) {
			ex_sortkey *keys = cm_new_array(b->arena, ex_sortkey, nsort);
			for (int i = 0; i < nsort; i++) {
				int t = -1;
				for (int k = 0; k < nt && t < 0; k++)
					if (expr_equal(sort[i].expr, targets[k]))
						t = k;
				if (t < 0) {
					cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
					return errat(err, s->sort_clause[i]->sort_by->location);
				}
				keys[i] = sort[i];
				keys[i].expr = sem_expr_column(b->arena, t, targets[t]->type, -1);
			}
			pl_node *so = new_node(b, PL_SORT, nt);
			memcpy(so->types, proj->types, sizeof(sem_type) * (size_t) nt);
			so->left = node;
			so->nsort = nsort;
			so->sort = keys;
			node = so;
		}
	} else {
		if (nsort) {
			pl_node *so = new_node(b, PL_SORT, node->ncols);
			memcpy(so->types, node->types, sizeof(sem_type) * (size_t) node->ncols);
			so->left = node;
			so->nsort = nsort;
			so->sort = sort;
			node = so;
		}
		proj->left = node;
		node = proj;
	}
	if (s->limit_count || s->limit_offset) {
		pl_node *l = new_node(b, PL_LIMIT, nt);
		memcpy(l->types, proj->types, sizeof(sem_type) * (size_t) nt);
		l->left = node;
		if (s->limit_count && bind_limit(b, sc, s->limit_count, "LIMIT", &l->limit, err) != CM_OK)
			return CM_ERROR;
		if (s->limit_offset && bind_limit(b, sc, s->limit_offset, "OFFSET", &l->offset, err) != CM_OK)
			return CM_ERROR;
		node = l;
	}
	out->node = node;
	out->ncols = nt;
	out->names = tnames;
	out->types = proj->types;
	return CM_OK;
}

/* Coerce output column i of a plan to type t (in place on a projection). */
static cm_status coerce_output(pl_binder *b, pl_node **np, int i, sem_type t, const char *ctxname, cm_error *err)
{
	pl_node *n = *np;
	if (n->types[i].oid == t.oid)
		return CM_OK;
	if (!sem_can_coerce(n->types[i].oid, t.oid, SEM_COERCE_IMPLICIT)) {
		cm_error_set(err, CM_E_CANNOT_COERCE, "%s could not convert type %s to %s", ctxname,
					 sem_type_name(n->types[i].oid), sem_type_name(t.oid));
		return CM_ERROR;
	}
	if (n->kind != PL_PROJECT) {
		pl_node *p = new_node(b, PL_PROJECT, n->ncols);
		p->left = n;
		p->n = n->ncols;
		p->exprs = cm_new_array(b->arena, sem_expr *, n->ncols);
		for (int k = 0; k < n->ncols; k++) {
			p->exprs[k] = sem_expr_column(b->arena, k, n->types[k], -1);
			p->types[k] = n->types[k];
		}
		*np = n = p;
	}
	if (pl_coerce(b, &n->exprs[i], t.oid, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
		return CM_ERROR;
	n->types[i] = n->exprs[i]->type;
	return CM_OK;
}

/* ORDER BY / LIMIT over a set operation or VALUES: output names and positions only */
static cm_status plan_outer_order_limit(pl_binder *b, pl_scope *sc, const PgQuery__SelectStmt *s, pl_query_result *r,
										const char *what, cm_error *err)
{
	pl_node *node = r->node;
	if (s->n_sort_clause) {
		pl_node *so = new_node(b, PL_SORT, r->ncols);
		memcpy(so->types, r->types, sizeof(sem_type) * (size_t) r->ncols);
		so->left = node;
		so->nsort = (int) s->n_sort_clause;
		so->sort = cm_new_array(b->arena, ex_sortkey, so->nsort);
		for (int i = 0; i < so->nsort; i++) {
			const PgQuery__SortBy *sb = s->sort_clause[i]->sort_by;
			int pos, col = -1;
			if (is_int_const(sb->node, &pos)) {
				if (pos < 1 || pos > r->ncols) {
					cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE, "ORDER BY position %d is not in select list", pos);
					return errat(err, sb->node->a_const->location);
				}
				col = pos - 1;
			} else if (sb->node->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && sb->node->column_ref->n_fields == 1 &&
					   node_str(sb->node->column_ref->fields[0])) {
				const char *nm = node_str(sb->node->column_ref->fields[0]);
				for (int k = 0; k < r->ncols && col < 0; k++)
					if (strcmp(r->names[k], nm) == 0)
						col = k;
				if (col < 0) {
					cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", nm);
					return errat(err, sb->node->column_ref->location);
				}
			} else {
				bool setop = strcmp(what, "VALUES") != 0;
				cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "invalid %s ORDER BY clause",
							 setop ? "UNION/INTERSECT/EXCEPT" : what);
				cm_error_detail(err, "Only result column names can be used, not expressions or functions.");
				cm_error_hint(err, "Add the expression/function to every SELECT, or move the %s into a FROM clause.",
							  setop ? "UNION" : what);
				return errat(err, sb->location);
			}
			so->sort[i].expr = sem_expr_column(b->arena, col, r->types[col], -1);
			so->sort[i].desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
			so->sort[i].nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ? true
									  : sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST ? false
																										 : so->sort[i].desc;
		}
		node = so;
	}
	if (s->limit_count || s->limit_offset) {
		pl_node *l = new_node(b, PL_LIMIT, r->ncols);
		memcpy(l->types, r->types, sizeof(sem_type) * (size_t) r->ncols);
		l->left = node;
		if (s->limit_count && bind_limit(b, sc, s->limit_count, "LIMIT", &l->limit, err) != CM_OK)
			return CM_ERROR;
		if (s->limit_offset && bind_limit(b, sc, s->limit_offset, "OFFSET", &l->offset, err) != CM_OK)
			return CM_ERROR;
		node = l;
	}
	r->node = node;
	return CM_OK;
}

static cm_status plan_values(pl_binder *b, pl_scope *sc, const PgQuery__SelectStmt *s, pl_query_result *out,
							 cm_error *err)
{
	int nrows = (int) s->n_values_lists;
	int ncols = -1;
	sem_expr ***rows = cm_new_array(b->arena, sem_expr **, nrows);
	for (int r = 0; r < nrows; r++) {
		const PgQuery__Node *ln = s->values_lists[r];
		if (ln->node_case != PG_QUERY__NODE__NODE_LIST)
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "malformed VALUES list");
		const PgQuery__List *l = ln->list;
		if (ncols < 0)
			ncols = (int) l->n_items;
		else if ((int) l->n_items != ncols) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "VALUES lists must all be the same length");
			if (l->n_items > 0) {
				sem_expr *first;
				cm_error tmp = {0};
				/* the position of the list's first element, as PostgreSQL reports it */
				if (bind_in(b, sc, EK_VALUES, l->items[0], &first, &tmp) == CM_OK && first->location >= 0)
					cm_error_position(err, first->location + 1);
				cm_error_clear(&tmp);
			}
			return CM_ERROR;
		}
		rows[r] = cm_new_array(b->arena, sem_expr *, ncols > 0 ? ncols : 1);
		for (int c = 0; c < ncols; c++)
			if (bind_in(b, sc, EK_VALUES, l->items[c], &rows[r][c], err) != CM_OK)
				return CM_ERROR;
	}
	pl_node *n = new_node(b, PL_VALUES, ncols);
	n->n = nrows;
	n->rows = rows;
	const char **names = cm_new_array(b->arena, const char *, ncols > 0 ? ncols : 1);
	sem_expr **col = cm_new_array(b->arena, sem_expr *, nrows);
	for (int c = 0; c < ncols; c++) {
		for (int r = 0; r < nrows; r++)
			col[r] = rows[r][c];
		sem_type t;
		if (pl_common_type(b, col, nrows, "VALUES", &t, err) != CM_OK ||
			pl_coerce_common(b, col, nrows, t, "VALUES", err) != CM_OK)
			return CM_ERROR;
		for (int r = 0; r < nrows; r++) {
			rows[r][c] = col[r];
			if (pl_resolve_unknown(b, &rows[r][c], err) != CM_OK)
				return CM_ERROR;
		}
		n->types[c] = rows[0][c]->type;
		if (t.typmod >= 0)
			n->types[c].typmod = t.typmod;
		names[c] = cm_asprintf(b->arena, "column%d", c + 1);
	}
	out->node = n;
	out->ncols = ncols;
	out->names = names;
	out->types = n->types;
	return plan_outer_order_limit(b, sc, s, out, "VALUES", err);
}

static cm_status plan_setop(pl_binder *b, pl_scope *parent, pl_outer *outer, pl_scope *cte_parent,
							const PgQuery__SelectStmt *s, pl_query_result *out, cm_error *err)
{
	const char *what = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION	 ? "UNION"
					 : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ? "INTERSECT"
																		 : "EXCEPT";
	pl_query_result l, r;
	if (plan_stmt(b, parent, outer, cte_parent, s->larg, false, &l, err) != CM_OK ||
		plan_stmt(b, parent, outer, cte_parent, s->rarg, false, &r, err) != CM_OK)
		return CM_ERROR;
	if (l.ncols != r.ncols)
		return cm_error_set(err, CM_E_SYNTAX_ERROR, "each %s query must have the same number of columns", what);
	sem_type *types = cm_new_array(b->arena, sem_type, l.ncols + 1);
	for (int i = 0; i < l.ncols; i++) {
		sem_expr *pair[2] = {sem_expr_column(b->arena, 0, l.types[i], -1), sem_expr_column(b->arena, 0, r.types[i], -1)};
		sem_type t;
		if (pl_common_type(b, pair, 2, what, &t, err) != CM_OK)
			return CM_ERROR;
		if (t.oid == SEM_UNKNOWNOID)
			t.oid = SEM_TEXTOID;
		if (coerce_output(b, &l.node, i, t, what, err) != CM_OK || coerce_output(b, &r.node, i, t, what, err) != CM_OK)
			return CM_ERROR;
		types[i] = (sem_type){t.oid, l.types[i].typmod == r.types[i].typmod ? t.typmod : -1};
	}
	pl_node *n = new_node(b, PL_SETOP, l.ncols);
	memcpy(n->types, types, sizeof(sem_type) * (size_t) l.ncols);
	n->left = l.node;
	n->right = r.node;
	n->setop = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION	 ? EX_UNION
			 : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ? EX_INTERSECT
																 : EX_EXCEPT;
	n->all = s->all;
	out->node = n;
	out->ncols = l.ncols;
	out->names = l.names;
	out->types = n->types;
	pl_scope sc;
	memset(&sc, 0, sizeof sc);
	sc.parent = parent;
	sc.outer = outer;
	sc.cte_parent = cte_parent;
	sc.q = parent ? parent->q : cte_parent ? cte_parent->q : b->scope->q;
	return plan_outer_order_limit(b, &sc, s, out, what, err);
}

static cm_status plan_stmt(pl_binder *b, pl_scope *parent, pl_outer *outer, pl_scope *cte_parent,
						   const PgQuery__SelectStmt *s, bool resolve_unknown, pl_query_result *out, cm_error *err)
{
	pl_scope *sc = cm_new(b->arena, pl_scope);
	sc->parent = parent;
	sc->outer = outer;
	sc->cte_parent = cte_parent;
	sc->q = parent ? parent->q : cte_parent ? cte_parent->q : b->scope->q;
	if (s->with_clause) {
		const PgQuery__WithClause *w = s->with_clause;
		pl_cte *last = NULL;
		for (size_t i = 0; i < w->n_ctes; i++) {
			const PgQuery__CommonTableExpr *def = w->ctes[i]->common_table_expr;
			for (pl_cte *c = sc->ctes; c; c = c->next)
				if (strcmp(c->def->ctename, def->ctename) == 0) {
					cm_error_set(err, CM_E_DUPLICATE_ALIAS, "WITH query name \"%s\" specified more than once", def->ctename);
					return errat(err, def->location);
				}
			if (def->search_clause || def->cycle_clause) {
				cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SEARCH and CYCLE clauses are not supported yet");
				return errat(err, def->location);
			}
			pl_cte *c = cm_new(b->arena, pl_cte);
			c->def = def;
			c->recursive = w->recursive;
			c->defscope = sc;
			if (last)
				last->next = c;
			else
				sc->ctes = c;
			last = c;
		}
		/* bind each CTE once now so that errors in unreferenced ones surface as in PostgreSQL */
		{
			pl_scope *saved0 = b->scope;
			b->scope = sc;
			for (pl_cte *c = sc->ctes; c; c = c->next) {
				pl_query_result tmpr;
				if (plan_cte(b, sc, c, c->def->location, &tmpr, err) != CM_OK)
					return CM_ERROR;
			}
			b->scope = saved0;
		}
		/* CTEs are inlined at each reference; the statement scope makes them visible */
		pl_scope *inner = cm_new(b->arena, pl_scope);
		*inner = *sc;
		inner->ctes = NULL;
		inner->cte_parent = sc;
		sc = inner;
	}
	pl_scope *saved = b->scope;
	b->scope = sc;
	cm_status st;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE && s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED)
		st = plan_setop(b, parent, outer, sc, s, out, err);
	else if (s->n_values_lists > 0)
		st = plan_values(b, sc, s, out, err);
	else
		st = plan_simple(b, sc, s, resolve_unknown, out, err);
	b->scope = saved;
	return st;
}

cm_status pl_bind_select(pl_binder *b, const PgQuery__SelectStmt *s, pl_query_result *out, cm_error *err)
{
	pl_qstate *q = cm_new(b->arena, pl_qstate);
	pl_scope root;
	memset(&root, 0, sizeof root);
	root.q = q;
	b->scope = &root;
	b->env->colref = colref_cb;
	b->env->colref_arg = b;
	if (plan_stmt(b, NULL, NULL, NULL, s, true, out, err) != CM_OK)
		return CM_ERROR;
	/* top-level outputs of unknown type become text */
	for (int i = 0; i < out->ncols; i++)
		if (out->types[i].oid == SEM_UNKNOWNOID &&
			coerce_output(b, &out->node, i, (sem_type){SEM_TEXTOID, -1}, "SELECT", err) != CM_OK)
			return CM_ERROR;
	out->types = out->node->types;
	out->nxparams = q->nxparams;
	out->nsubplans = q->nsubplans;
	b->scope = NULL;
	return CM_OK;
}
