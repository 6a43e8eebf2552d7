/*
 * pl_opt.c -- rewrites of a bound logical plan before it runs.
 *
 * pl_optimize_plan() does, in order:
 *   1. predicate pushdown: the conjuncts of a Filter move below joins (to
 *      the side whose columns they read; into an inner join's condition
 *      when they read both sides, where an equality between the sides
 *      becomes a hash key), below Projects and Aggregates (a column
 *      replaced by its expression / group key), Sorts, hashed DISTINCT, set
 *      operations and other Filters; the conjuncts of a join condition that
 *      read one side only move into that side when the join type allows it
 *      (never out of the null-extended side's opposite).  Conjuncts with
 *      volatile functions stay where they are.
 *   2. join algorithms from row estimates (ANALYZE statistics, defaults
 *      otherwise): an index lookup join when the right input is a table
 *      whose integer primary key or an index is covered by the join keys
 *      and the left input is small next to it; a merge join when both
 *      inputs are scans of tables joined on their integer primary keys
 *      (scans return rows in handle order) or when the right input is
 *      estimated too big to hash within work_mem (both sides sorted
 *      first: the sort spills to disk, a hash table cannot); a hash join
 *      otherwise, built on the smaller input (an inner join's inputs
 *      change places, a Project restoring the column order).
 *   3. access paths and coprocessor pushdown (pl_scan_paths, pl_table.c).
 * Subquery plans inside expressions get the same treatment, once each.
 *
 * Estimates: a table scan yields ANALYZE's row count, or
 * PL_DEFAULT_TABLE_ROWS when the table was never analyzed; a predicate's
 * selectivity uses the column's distinct count for equalities (1 row for
 * the primary key or a unique column), 1/3 per range bound, PostgreSQL's
 * defaults otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/plan/pl_logical.h"
#include "sql/plan/pl_table.h"

#define PL_DEFAULT_TABLE_ROWS 1000.0
#define PL_LOOKUP_RATIO 3.0		/* lookup join when left rows * ratio < right table rows */

/* ---- expression helpers ------------------------------------------------------------ */

/* Child slots of e (pointers into e), count returned; cap >= needed is the caller's job
 * for fixed kinds, lists are walked by the callers below. */
typedef void (*slot_fn)(sem_expr **slot, void *arg);

static void each_child(sem_expr *e, slot_fn fn, void *arg)
{
	switch (e->kind) {
	case SEM_EXPR_FUNC:
		for (int i = 0; i < e->u.func.nargs; i++)
			fn(&e->u.func.args[i], arg);
		break;
	case SEM_EXPR_CAST: fn(&e->u.cast.arg, arg); break;
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT: fn(&e->u.arg1, arg); break;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE:
		for (int i = 0; i < e->u.list.n; i++)
			fn(&e->u.list.items[i], arg);
		break;
	case SEM_EXPR_NULLTEST:
	case SEM_EXPR_BOOLTEST: fn(&e->u.test.arg, arg); break;
	case SEM_EXPR_CASE:
		if (e->u.case_.operand)
			fn(&e->u.case_.operand, arg);
		for (int i = 0; i < e->u.case_.nwhen; i++) {
			fn(&e->u.case_.conds[i], arg);
			fn(&e->u.case_.results[i], arg);
		}
		if (e->u.case_.defresult)
			fn(&e->u.case_.defresult, arg);
		break;
	case SEM_EXPR_MINMAX:
		for (int i = 0; i < e->u.minmax.n; i++)
			fn(&e->u.minmax.items[i], arg);
		break;
	case SEM_EXPR_NULLIF:
	case SEM_EXPR_DISTINCT:
		fn(&e->u.cmp.a, arg);
		fn(&e->u.cmp.b, arg);
		break;
	case SEM_EXPR_IN:
		fn(&e->u.in.lhs, arg);
		for (int i = 0; i < e->u.in.n; i++)
			fn(&e->u.in.items[i], arg);
		break;
	case SEM_EXPR_EXTERN:
		for (int i = 0; i < e->u.ext.nargs; i++)
			fn(&e->u.ext.args[i], arg);
		break;
	default:
		break;
	}
}

typedef struct colinfo {
	int lo, hi;				/* columns read: [lo, hi), hi 0 = none */
	bool unsafe;			/* volatile: must not move */
} colinfo;

static void cols_slot(sem_expr **slot, void *arg);

static void cols_of(const sem_expr *e, colinfo *ci)
{
	if (!e)
		return;
	switch (e->kind) {
	case SEM_EXPR_COLUMN:
		if (ci->hi == 0 || e->u.colno < ci->lo)
			ci->lo = e->u.colno;
		if (e->u.colno + 1 > ci->hi)
			ci->hi = e->u.colno + 1;
		return;
	case SEM_EXPR_FUNC:
		if (e->u.func.fn->flags & SEM_FN_VOLATILE)
			ci->unsafe = true;
		break;
	case SEM_EXPR_EXTERN:
		if (!e->u.ext.fn)
			ci->unsafe = true;	/* placeholder */
		else if (e->u.ext.fn == pl_subplan_fn) {
			const pl_subplan *sp = e->u.ext.arg;
			if (sp->correlated && e->u.ext.nargs == 0)
				ci->unsafe = true;	/* reads the enclosing row some other way */
		} else if (e->u.ext.volatile_ && e->u.ext.fn != pl_xparam_fn)
			ci->unsafe = true;
		break;
	default:
		break;
	}
	each_child((sem_expr *) e, cols_slot, ci);
}

static void cols_slot(sem_expr **slot, void *arg)
{
	cols_of(*slot, arg);
}

/* Deep copy of e with every column reference replaced by map(colno). */
typedef struct colmap {
	cm_arena *a;
	int shift;				/* colno + shift, when exprs is NULL */
	sem_expr **exprs;		/* colno -> a copy of exprs[colno] */
} colmap;

static sem_expr *remap(const colmap *m, const sem_expr *e);

static void remap_slot(sem_expr **slot, void *arg)
{
	*slot = remap(arg, *slot);
}

static sem_expr **copy_list(cm_arena *a, sem_expr **v, int n)
{
	if (!v)
		return v;
	sem_expr **r = cm_new_array(a, sem_expr *, n > 0 ? n : 1);
	memcpy(r, v, sizeof(sem_expr *) * (size_t) n);
	return r;
}

static sem_expr *remap(const colmap *m, const sem_expr *e)
{
	if (!e)
		return NULL;
	if (e->kind == SEM_EXPR_COLUMN) {
		if (m->exprs)
			return remap(&(colmap){m->a, 0, NULL}, m->exprs[e->u.colno]);
		return sem_expr_column(m->a, e->u.colno + m->shift, e->type, e->location);
	}
	sem_expr *c = cm_new(m->a, sem_expr);
	*c = *e;
	switch (c->kind) {
	case SEM_EXPR_FUNC: c->u.func.args = copy_list(m->a, c->u.func.args, c->u.func.nargs); break;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE: c->u.list.items = copy_list(m->a, c->u.list.items, c->u.list.n); break;
	case SEM_EXPR_CASE:
		c->u.case_.conds = copy_list(m->a, c->u.case_.conds, c->u.case_.nwhen);
		c->u.case_.results = copy_list(m->a, c->u.case_.results, c->u.case_.nwhen);
		break;
	case SEM_EXPR_MINMAX: c->u.minmax.items = copy_list(m->a, c->u.minmax.items, c->u.minmax.n); break;
	case SEM_EXPR_IN: c->u.in.items = copy_list(m->a, c->u.in.items, c->u.in.n); break;
	case SEM_EXPR_EXTERN: c->u.ext.args = copy_list(m->a, c->u.ext.args, c->u.ext.nargs); break;
	default: break;
	}
	each_child(c, remap_slot, (void *) m);
	return c;
}

static sem_expr *shifted(cm_arena *a, const sem_expr *e, int by)
{
	return by == 0 ? (sem_expr *) e : remap(&(colmap){a, by, NULL}, e);
}

/* Conjunct list of pred appended to v (grown in a). */
typedef struct conjs {
	int n, cap;
	sem_expr **v;
} conjs;

static void conj_add(cm_arena *a, conjs *c, sem_expr *e)
{
	if (!e)
		return;
	if (e->kind == SEM_EXPR_AND) {
		for (int i = 0; i < e->u.list.n; i++)
			conj_add(a, c, e->u.list.items[i]);
		return;
	}
	if (c->n == c->cap) {
		int nc = c->cap ? c->cap * 2 : 8;
		sem_expr **nv = cm_new_array(a, sem_expr *, nc);
		if (c->n)
			memcpy(nv, c->v, sizeof(sem_expr *) * (size_t) c->n);
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n++] = e;
}

static sem_expr *conj_and(cm_arena *a, const conjs *c)
{
	if (c->n == 0)
		return NULL;
	if (c->n == 1)
		return c->v[0];
	sem_expr *e = sem_expr_new(a, SEM_EXPR_AND, (sem_type){SEM_BOOLOID, -1}, -1);
	e->u.list.n = c->n;
	e->u.list.items = copy_list(a, c->v, c->n);
	return e;
}

static sem_expr *and2(cm_arena *a, sem_expr *x, sem_expr *y)
{
	conjs c = {0};
	conj_add(a, &c, x);
	conj_add(a, &c, y);
	return conj_and(a, &c);
}

/* ---- expression slots of a node ------------------------------------------------------ */

void pl_node_exprs(const pl_node *cn, pl_expr_fn fn, void *arg)
{
	pl_node *n = (pl_node *) cn;
	if (n->kind == PL_PROJECT || n->kind == PL_SRF || n->kind == PL_AGG || n->kind == PL_DISTINCT)
		for (int i = 0; i < n->n && n->exprs; i++)
			fn(n->exprs[i], arg);
	if (n->kind == PL_VALUES)
		for (int r = 0; r < n->n; r++)
			for (int c = 0; c < n->ncols; c++)
				fn(n->rows[r][c], arg);
	if (n->pred)
		fn(n->pred, arg);
	if (n->rfilter)
		fn(n->rfilter, arg);
	if (n->limit)
		fn(n->limit, arg);
	if (n->offset)
		fn(n->offset, arg);
	for (int i = 0; i < n->nkeys && n->lkeys; i++) {
		fn(n->lkeys[i], arg);
		fn(n->rkeys[i], arg);
	}
	for (int i = 0; i < n->nlat; i++)
		fn(n->latargs[i], arg);
	for (int i = 0; i < n->naggs; i++) {
		for (int k = 0; k < n->aggs[i].nargs; k++)
			fn(n->aggs[i].args[k], arg);
		if (n->aggs[i].filter)
			fn(n->aggs[i].filter, arg);
		for (int k = 0; k < n->aggs[i].norder; k++)
			fn(n->aggs[i].order[k].expr, arg);
	}
	for (int i = 0; i < n->nsort; i++)
		fn(n->sort[i].expr, arg);
	for (int i = 0; i < n->npart; i++)
		fn(n->part[i], arg);
	for (int i = 0; i < n->nwin; i++)
		for (int k = 0; k < n->wins[i].agg.nargs; k++)
			fn(n->wins[i].agg.args[k], arg);
}

typedef struct subplan_walk {
	void (*fn)(pl_subplan *sp, void *arg);
	void *arg;
} subplan_walk;

static void subplan_slot(sem_expr **slot, void *arg);

static void subplans_of(sem_expr *e, subplan_walk *w)
{
	if (!e)
		return;
	if (e->kind == SEM_EXPR_EXTERN && e->u.ext.fn == pl_subplan_fn)
		w->fn(e->u.ext.arg, w->arg);
	each_child(e, subplan_slot, w);
}

static void subplan_slot(sem_expr **slot, void *arg)
{
	subplans_of(*slot, arg);
}

void pl_expr_subplans(sem_expr *e, void (*fn)(pl_subplan *sp, void *arg), void *arg)
{
	subplan_walk w = {fn, arg};
	subplans_of(e, &w);
}

/* ---- 1. predicate pushdown ------------------------------------------------------------ */

static void add_filter(cm_arena *a, pl_node **np, sem_expr *pred)
{
	pl_node *c = *np;
	if (c->kind == PL_FILTER) {
		c->pred = and2(a, c->pred, pred);
		return;
	}
	pl_node *f = cm_new(a, pl_node);
	f->kind = PL_FILTER;
	f->ncols = c->ncols;
	f->types = c->types;
	f->left = c;
	f->pred = pred;
	*np = f;
}

static bool int_type(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

/* Add conjunct c (over left ++ right) to inner join j: a strict = between
 * an expression of each side becomes a key, anything else the residual. */
static void join_add_cond(cm_arena *a, pl_node *j, sem_expr *c)
{
	int wl = j->left->ncols;
	if (c->kind == SEM_EXPR_FUNC && c->u.func.nargs == 2 && !strcmp(c->u.func.fn->name, "=") &&
		(c->u.func.fn->flags & SEM_FN_STRICT)) {
		sem_expr *x = c->u.func.args[0], *y = c->u.func.args[1];
		colinfo cx = {0}, cy = {0};
		cols_of(x, &cx);
		cols_of(y, &cy);
		sem_oid tx = x->type.oid, ty = y->type.oid;
		bool compat = tx == ty || (int_type(tx) && int_type(ty));
		if (!cx.unsafe && !cy.unsafe && cx.hi > 0 && cy.hi > 0 && compat) {
			sem_expr *lk = NULL, *rk = NULL;
			if (cx.hi <= wl && cy.lo >= wl) {
				lk = x;
				rk = y;
			} else if (cy.hi <= wl && cx.lo >= wl && tx == ty) {
				lk = y;
				rk = x;
			}
			if (lk) {
				sem_expr **nl = cm_new_array(a, sem_expr *, j->nkeys + 1);
				sem_expr **nr = cm_new_array(a, sem_expr *, j->nkeys + 1);
				const sem_builtin **ne = cm_new_array(a, const sem_builtin *, j->nkeys + 1);
				if (j->nkeys) {
					memcpy(nl, j->lkeys, sizeof(sem_expr *) * (size_t) j->nkeys);
					memcpy(nr, j->rkeys, sizeof(sem_expr *) * (size_t) j->nkeys);
					memcpy(ne, j->eqs, sizeof(sem_builtin *) * (size_t) j->nkeys);
				}
				nl[j->nkeys] = lk;
				nr[j->nkeys] = shifted(a, rk, -wl);
				ne[j->nkeys] = c->u.func.fn;
				j->lkeys = nl;
				j->rkeys = nr;
				j->eqs = ne;
				j->nkeys++;
				return;
			}
		}
	}
	j->pred = and2(a, j->pred, c);
}

/* Conjunct c over the output of n (a Project, or an Aggregate's group
 * keys) moves below n with n's expressions in place of its columns, unless
 * one of them is volatile. */
static bool push_substituted(cm_arena *a, pl_node *n, sem_expr *c, const colinfo *ci)
{
	for (int i = ci->lo; i < ci->hi; i++) {
		colinfo pi = {0};
		cols_of(n->exprs[i], &pi);
		if (pi.unsafe)
			return false;
	}
	add_filter(a, &n->left, remap(&(colmap){a, 0, n->exprs}, c));
	return true;
}

/* Where conjunct c of a Filter above node n can go. */
static bool push_into(cm_arena *a, pl_node *n, sem_expr *c)
{
	colinfo ci = {0};
	cols_of(c, &ci);
	if (ci.unsafe || ci.hi == 0)
		return false;
	switch (n->kind) {
	case PL_JOIN: {
		if (n->lateral)
			return false;
		int wl = n->left->ncols;
		ex_jointype jt = n->jt;
		if (ci.hi <= wl && (jt == EX_JOIN_INNER || jt == EX_JOIN_LEFT || jt == EX_JOIN_SEMI || jt == EX_JOIN_ANTI)) {
			add_filter(a, &n->left, c);
			return true;
		}
		if (ci.lo >= wl && (jt == EX_JOIN_INNER || jt == EX_JOIN_RIGHT)) {
			add_filter(a, &n->right, shifted(a, c, -wl));
			return true;
		}
		if (jt == EX_JOIN_INNER) {
			join_add_cond(a, n, c);
			return true;
		}
		return false;
	}
	case PL_AGG:	/* a group key column is its expression, as in a Project */
		return ci.hi <= n->n && push_substituted(a, n, c, &ci);	/* not over an aggregate */
	case PL_PROJECT:
		return push_substituted(a, n, c, &ci);
	case PL_SORT:
	case PL_FILTER:
		add_filter(a, &n->left, c);
		return true;
	case PL_DISTINCT:
		if (n->n)
			return false;	/* DISTINCT ON keeps the first row of a group */
		add_filter(a, &n->left, c);
		return true;
	case PL_SETOP:
		add_filter(a, &n->left, c);
		add_filter(a, &n->right, c);
		return true;
	default:
		return false;
	}
}

/* Move the conjuncts of an inner/outer join's condition that read one side. */
static void push_join_cond(cm_arena *a, pl_node *j)
{
	if (!j->pred || j->lateral)
		return;
	int wl = j->left->ncols;
	ex_jointype jt = j->jt;
	conjs all = {0}, keep = {0};
	conj_add(a, &all, j->pred);
	for (int i = 0; i < all.n; i++) {
		sem_expr *c = all.v[i];
		colinfo ci = {0};
		cols_of(c, &ci);
		if (!ci.unsafe && ci.hi > 0 && ci.lo >= wl &&
			(jt == EX_JOIN_INNER || jt == EX_JOIN_LEFT || jt == EX_JOIN_SEMI || jt == EX_JOIN_ANTI))
			add_filter(a, &j->right, shifted(a, c, -wl));
		else if (!ci.unsafe && ci.hi > 0 && ci.hi <= wl &&
				 (jt == EX_JOIN_INNER || jt == EX_JOIN_RIGHT || jt == EX_JOIN_SEMI))
			add_filter(a, &j->left, c);
		else
			conj_add(a, &keep, c);
	}
	j->pred = conj_and(a, &keep);
}

static void pushdown(cm_arena *a, pl_node **np)
{
	pl_node *n = *np;
	if (!n)
		return;
	if (n->kind == PL_FILTER && n->left) {
		conjs all = {0}, keep = {0};
		conj_add(a, &all, n->pred);
		for (int i = 0; i < all.n; i++)
			if (!push_into(a, n->left, all.v[i]))
				conj_add(a, &keep, all.v[i]);
		n->pred = conj_and(a, &keep);
		if (!n->pred) {
			*np = n->left;
			pushdown(a, np);
			return;
		}
	}
	if (n->kind == PL_JOIN)
		push_join_cond(a, n);
	pushdown(a, &n->left);
	if (n->kind != PL_RECURSIVE)
		pushdown(a, &n->right);
}

/* ---- estimates ------------------------------------------------------------------------- */

/* The catalog scan under n (a Scan, or a Filter directly over one), or NULL. */
static pl_scanspec *base_scan(pl_node *n, sem_expr **filter)
{
	if (filter)
		*filter = NULL;
	if (n->kind == PL_FILTER && n->left && n->left->kind == PL_SCAN) {
		if (filter)
			*filter = n->pred;
		n = n->left;
	}
	if (n->kind != PL_SCAN)
		return NULL;
	return pl_scan_spec(n->scan);
}

static double table_rows(const pl_tabref *ref)
{
	return ref->t->stat_rows >= 0 ? (double) (ref->t->stat_rows > 0 ? ref->t->stat_rows : 1) : PL_DEFAULT_TABLE_ROWS;
}

/* Is visible column c of ref alone a unique key (integer primary key or a
 * one-column unique index)? */
static bool unique_col(const pl_tabref *ref, int c)
{
	const cat_table *t = ref->t;
	int slot = ref->vis[c];
	if (t->handle_col == slot)
		return true;
	for (int i = 0; i < t->nindexes; i++)
		if (t->indexes[i].unique && t->indexes[i].ncols == 1 && t->indexes[i].col_ids[0] == t->cols[slot].id)
			return true;
	return false;
}

static double eq_sel(const pl_tabref *ref, int c, double rows)
{
	if (unique_col(ref, c))
		return 1.0 / rows;
	int64_t nd = ref->t->cols[ref->vis[c]].stat_ndistinct;
	if (nd > 0)
		return 1.0 / (double) nd;
	return 0.005;
}

static int column_of(const sem_expr *e)
{
	while (e && e->kind == SEM_EXPR_CAST)
		e = e->u.cast.arg;
	return e && e->kind == SEM_EXPR_COLUMN ? e->u.colno : -1;
}

/* Selectivity of one conjunct over ref's rows (ref NULL: no statistics). */
static double conj_sel(const pl_tabref *ref, const sem_expr *c, double rows)
{
	if (c->kind == SEM_EXPR_FUNC && c->u.func.nargs == 2) {
		const char *op = c->u.func.fn->name;
		int lc = column_of(c->u.func.args[0]), rc = column_of(c->u.func.args[1]);
		int col = lc >= 0 && rc < 0 ? lc : rc >= 0 && lc < 0 ? rc : -1;
		if (!strcmp(op, "="))
			return ref && col >= 0 && col < ref->nvis ? eq_sel(ref, col, rows) : 0.005;
		if (!strcmp(op, "<") || !strcmp(op, ">") || !strcmp(op, "<=") || !strcmp(op, ">="))
			return 1.0 / 3.0;
		if (!strcmp(op, "<>"))
			return 0.995;
		return 0.25;
	}
	if (c->kind == SEM_EXPR_IN && !c->u.in.negate) {
		int col = column_of(c->u.in.lhs);
		double s = ref && col >= 0 && col < ref->nvis ? eq_sel(ref, col, rows) : 0.005;
		s *= c->u.in.n;
		return s < 1 ? s : 1;
	}
	if (c->kind == SEM_EXPR_NULLTEST)
		return c->u.test.op == 0 ? 0.005 : 0.995;
	if (c->kind == SEM_EXPR_OR) {
		double s = 0;
		for (int i = 0; i < c->u.list.n; i++)
			s += conj_sel(ref, c->u.list.items[i], rows);
		return s < 1 ? s : 1;
	}
	return 1.0 / 3.0;
}

/* col <op> integer constant, op one of < <= > >=: *lo / *hi bound of col. */
static bool int_bound(const sem_expr *c, int *col, int64_t *v, bool *is_lo)
{
	if (c->kind != SEM_EXPR_FUNC || c->u.func.nargs != 2)
		return false;
	const char *op = c->u.func.fn->name;
	const sem_expr *x = c->u.func.args[0], *y = c->u.func.args[1];
	bool flip = false;
	if (x->kind == SEM_EXPR_CONST && y->kind == SEM_EXPR_COLUMN) {
		const sem_expr *t = x;
		x = y;
		y = t;
		flip = true;
	}
	if (x->kind != SEM_EXPR_COLUMN || y->kind != SEM_EXPR_CONST || y->u.constval.isnull || !int_type(y->type.oid) ||
		!int_type(x->type.oid))
		return false;
	bool lt = op[0] == '<', gt = op[0] == '>';
	if ((!lt && !gt) || (op[1] && op[1] != '='))
		return false;
	*col = x->u.colno;
	*v = y->u.constval.v.i;
	*is_lo = gt != flip;
	return true;
}

static double pred_sel(cm_arena *a, const pl_tabref *ref, sem_expr *pred, double rows)
{
	conjs all = {0};
	conj_add(a, &all, pred);
	double s = 1;
	int bcol = -1;
	int64_t lo = 0, hi = 0;
	bool have_lo = false, have_hi = false, counted = false;
	for (int i = 0; i < all.n; i++) {
		int col;
		int64_t v;
		bool is_lo;
		/* a closed range on a unique integer column holds at most hi - lo + 1 rows */
		if (ref && int_bound(all.v[i], &col, &v, &is_lo) && col < ref->nvis && unique_col(ref, col) &&
			(bcol < 0 || bcol == col)) {
			bcol = col;
			if (is_lo && (!have_lo || v > lo))
				lo = v, have_lo = true;
			if (!is_lo && (!have_hi || v < hi))
				hi = v, have_hi = true;
			if (have_lo && have_hi && !counted) {
				counted = true;
				double span = hi >= lo ? (double) hi - (double) lo + 1 : 1;
				double r = span < rows ? span / rows : 1;
				/* cancels the 1/3 of both bounds (this one's is applied below) */
				s *= r / ((1.0 / 3.0) * conj_sel(ref, all.v[i], rows));
			}
		}
		s *= conj_sel(ref, all.v[i], rows);
	}
	return s;
}

static double clamp_rows(double r)
{
	return r < 1 ? 1 : r;
}

static double estimate(cm_arena *a, pl_node *n);

/* Do the right keys of join j cover a unique key of its right table? */
static bool right_keys_unique(pl_node *j)
{
	pl_scanspec *sp = base_scan(j->right, NULL);
	if (!sp)
		return false;
	for (int k = 0; k < j->nkeys; k++) {
		int c = column_of(j->rkeys[k]);
		if (c >= 0 && c < sp->ref->nvis && unique_col(sp->ref, c))
			return true;
	}
	return false;
}

static double estimate(cm_arena *a, pl_node *n)
{
	if (!n)
		return 1;
	if (n->est > 0)
		return n->est;
	double r;
	switch (n->kind) {
	case PL_RESULT: r = 1; break;
	case PL_VALUES: r = n->n; break;
	case PL_SCAN: {
		pl_scanspec *sp = pl_scan_spec(n->scan);
		r = sp ? table_rows(sp->ref) : 100;
		break;
	}
	case PL_FILTER: {
		pl_scanspec *sp = n->left->kind == PL_SCAN ? pl_scan_spec(n->left->scan) : NULL;
		double in = estimate(a, n->left);
		r = in * pred_sel(a, sp ? sp->ref : NULL, n->pred, in);
		break;
	}
	case PL_JOIN: {
		double l = estimate(a, n->left), rr = estimate(a, n->right);
		if (n->jt == EX_JOIN_SEMI || n->jt == EX_JOIN_ANTI)
			r = l / 2;
		else if (n->nkeys && right_keys_unique(n))
			r = l;
		else if (n->nkeys)
			r = l > rr ? l : rr;
		else
			r = l * rr;
		if (n->pred)
			r /= 3;
		if (n->jt == EX_JOIN_LEFT || n->jt == EX_JOIN_FULL)
			r = r > l ? r : l;
		if (n->jt == EX_JOIN_RIGHT || n->jt == EX_JOIN_FULL)
			r = r > rr ? r : rr;
		break;
	}
	case PL_AGG: {
		double in = estimate(a, n->left);
		r = n->n == 0 ? 1 : in / 10;
		break;
	}
	case PL_LIMIT: {
		r = estimate(a, n->left);
		if (n->limit && n->limit->kind == SEM_EXPR_CONST && !n->limit->u.constval.isnull &&
			int_type(n->limit->type.oid) && (double) n->limit->u.constval.v.i < r)
			r = (double) n->limit->u.constval.v.i;
		break;
	}
	case PL_DISTINCT: r = estimate(a, n->left) / 2; break;
	case PL_SETOP: r = estimate(a, n->left) + estimate(a, n->right); break;
	case PL_SRF: r = n->left ? estimate(a, n->left) * 10 : 1000; break;
	case PL_RECURSIVE: r = estimate(a, n->left) * 10; break;
	case PL_WORKTABLE: r = 10; break;
	default: r = estimate(a, n->left); break;
	}
	n->est = clamp_rows(r);
	return n->est;
}

/* ---- 2. join algorithms ------------------------------------------------------------------ */

/* Visible column of ref at catalog slot, or -1. */
static int vis_col(const pl_tabref *ref, int slot)
{
	for (int c = 0; c < ref->nvis; c++)
		if (ref->vis[c] == slot)
			return c;
	return -1;
}

/* Join key k whose right side is visible column c of the right table
 * (with a left value of a usable type), or -1. */
static int key_on_col(const pl_node *j, int c, bool handle)
{
	for (int k = 0; k < j->nkeys; k++) {
		if (j->rkeys[k]->kind != SEM_EXPR_COLUMN || j->rkeys[k]->u.colno != c)
			continue;
		sem_oid lt = j->lkeys[k]->type.oid, rt = j->rkeys[k]->type.oid;
		if (handle ? int_type(lt) : lt == rt)
			return k;
	}
	return -1;
}

/* Make j an index lookup join if its right input is a table with an
 * integer primary key or an index on the join keys. */
static bool try_lookup(cm_arena *a, pl_node *j)
{
	if (j->jt != EX_JOIN_INNER && j->jt != EX_JOIN_LEFT && j->jt != EX_JOIN_SEMI && j->jt != EX_JOIN_ANTI)
		return false;
	sem_expr *rfilter;
	pl_scanspec *sp = base_scan(j->right, &rfilter);
	if (!sp || sp->acc != PL_ACC_FULL || sp->lock)
		return false;
	const pl_tabref *ref = sp->ref;
	const cat_table *t = ref->t;
	double left = estimate(a, j->left), right = table_rows(ref);
	if (left * PL_LOOKUP_RATIO >= right)
		return false;
	int *keys = cm_new_array(a, int, 32);
	int nk = 0;
	pl_access acc = PL_ACC_FULL;
	const cat_index *best = NULL;
	int hc = t->handle_col >= 0 ? vis_col(ref, t->handle_col) : -1;
	int k = hc >= 0 ? key_on_col(j, hc, true) : -1;
	if (k >= 0) {
		acc = PL_ACC_POINT;
		keys[nk++] = k;
	} else {
		for (int i = 0; i < t->nindexes; i++) {
			const cat_index *ix = &t->indexes[i];
			int n = 0, tmp[32];
			for (int q = 0; q < ix->ncols && q < 32; q++) {
				int pos;
				if (!sql_cat_column_by_id(t, ix->col_ids[q], &pos))
					break;
				int c = vis_col(ref, pos);
				int kk = c >= 0 ? key_on_col(j, c, false) : -1;
				if (kk < 0)
					break;
				tmp[n++] = kk;
			}
			bool full = ix->unique && n == ix->ncols;
			bool best_full = best && best->unique && nk == best->ncols;
			if (n > 0 && (!best || (full && !best_full) || (full == best_full && n > nk))) {
				best = ix;
				nk = n;
				memcpy(keys, tmp, sizeof(int) * (size_t) n);
			}
		}
		if (!best)
			return false;
		acc = best->unique && nk == best->ncols ? PL_ACC_UNIQUE : PL_ACC_INDEX;
	}
	pl_scanspec *ls = cm_new(a, pl_scanspec);
	*ls = *sp;
	ls->acc = acc;
	ls->nvals = nk;
	ls->vals = NULL;
	if (best) {
		ls->index_id = best->id;
		ls->index_name = cm_strdup(a, best->name);
	}
	j->algo = PL_JOIN_LOOKUP;
	j->lookup = ls;
	j->nlookup = nk;
	j->lookup_keys = keys;
	j->rfilter = rfilter;
	/* EXPLAIN shows the right input as the lookup scan */
	pl_node *rn = cm_new(a, pl_node);
	*rn = *(j->right->kind == PL_FILTER ? j->right->left : j->right);
	rn->scan = pl_scan_provider_new(a, ls);
	rn->est = clamp_rows(left * (acc == PL_ACC_INDEX ? 10 : 1));
	j->right = rn;
	return true;
}

/* Scans return rows in handle order: is e the handle column of n's table? */
static bool handle_ordered(pl_node *n, const sem_expr *e)
{
	pl_scanspec *sp = base_scan(n, NULL);
	if (!sp || e->kind != SEM_EXPR_COLUMN)
		return false;
	const cat_table *t = sp->ref->t;
	return t->handle_col >= 0 && e->u.colno < sp->ref->nvis && sp->ref->vis[e->u.colno] == t->handle_col;
}

static pl_node *sort_node(cm_arena *a, pl_node *in, int nkeys, sem_expr **keys)
{
	pl_node *s = cm_new(a, pl_node);
	s->kind = PL_SORT;
	s->ncols = in->ncols;
	s->types = in->types;
	s->left = in;
	s->nsort = nkeys;
	s->sort = cm_new_array(a, ex_sortkey, nkeys);
	for (int k = 0; k < nkeys; k++)
		s->sort[k].expr = keys[k];	/* ascending, NULLs last */
	s->est = in->est;
	return s;
}

/* Can the inputs of inner join j change places?  Keys of equal types (or
 * integers, whose = reads both sides alike) only. */
static bool swappable(const pl_node *j)
{
	if (j->jt != EX_JOIN_INNER || j->lateral)
		return false;
	for (int k = 0; k < j->nkeys; k++) {
		sem_oid lt = j->lkeys[k]->type.oid, rt = j->rkeys[k]->type.oid;
		if (lt != rt && !(int_type(lt) && int_type(rt)))
			return false;
	}
	return true;
}

/* Swap the inputs of inner join *np so the smaller one is built / looked
 * up; a Project above restores the column order. */
static void swap_inputs(cm_arena *a, pl_node **np)
{
	pl_node *j = *np;
	int wl = j->left->ncols, wr = j->right->ncols;
	sem_expr **map = cm_new_array(a, sem_expr *, wl + wr + 1);
	for (int i = 0; i < wl; i++)
		map[i] = sem_expr_column(a, wr + i, j->left->types[i], -1);
	for (int i = 0; i < wr; i++)
		map[wl + i] = sem_expr_column(a, i, j->right->types[i], -1);
	if (j->pred)
		j->pred = remap(&(colmap){a, 0, map}, j->pred);
	pl_node *t = j->left;
	j->left = j->right;
	j->right = t;
	sem_expr **tk = j->lkeys;
	j->lkeys = j->rkeys;
	j->rkeys = tk;
	sem_type *orig = j->types;
	j->types = cm_new_array(a, sem_type, wl + wr + 1);
	memcpy(j->types, j->left->types, sizeof(sem_type) * (size_t) wr);
	memcpy(j->types + wr, j->right->types, sizeof(sem_type) * (size_t) wl);
	pl_node *p = cm_new(a, pl_node);
	p->kind = PL_PROJECT;
	p->ncols = p->n = wl + wr;
	p->types = orig;
	p->exprs = cm_new_array(a, sem_expr *, wl + wr + 1);
	for (int i = 0; i < wl; i++)
		p->exprs[i] = sem_expr_column(a, wr + i, orig[i], -1);
	for (int i = 0; i < wr; i++)
		p->exprs[wl + i] = sem_expr_column(a, i, orig[wl + i], -1);
	p->left = j;
	p->est = j->est;
	*np = p;
}

static void choose_join(pl_binder *b, pl_node **np)
{
	cm_arena *a = b->arena;
	pl_node *j = *np;
	if (j->lateral || j->nkeys == 0 || j->algo != PL_JOIN_HASH)
		return;
	if (try_lookup(a, j))
		return;
	if (swappable(j)) {
		/* the left input is the indexed table: look it up from the right one */
		pl_node trial = *j;
		trial.left = j->right;
		trial.right = j->left;
		trial.lkeys = j->rkeys;
		trial.rkeys = j->lkeys;
		trial.pred = NULL;
		if (try_lookup(a, &trial)) {
			swap_inputs(a, np);
			if (try_lookup(a, (*np)->left))
				return;
			j = (*np)->left;
		}
	}
	/* integer primary key = integer primary key: both scans already ordered */
	for (int k = 0; k < j->nkeys; k++)
		if (handle_ordered(j->left, j->lkeys[k]) && handle_ordered(j->right, j->rkeys[k])) {
			if (k != 0) {
				sem_expr *t;
				const sem_builtin *e;
				t = j->lkeys[0], j->lkeys[0] = j->lkeys[k], j->lkeys[k] = t;
				t = j->rkeys[0], j->rkeys[0] = j->rkeys[k], j->rkeys[k] = t;
				e = j->eqs[0], j->eqs[0] = j->eqs[k], j->eqs[k] = e;
			}
			j->algo = PL_JOIN_MERGE;
			j->nlookup = 1;		/* merge on the first key, the rest are checked */
			return;
		}
	/* build the hash table (or look up) on the smaller side */
	if (swappable(j) && estimate(a, j->right) > 2 * estimate(a, j->left) && estimate(a, j->right) > 100) {
		swap_inputs(a, np);
		j = (*np)->left;
		if (try_lookup(a, j))
			return;
	}
	/* a hash table over the right input would not fit work_mem: sort both sides */
	double right = estimate(a, j->right);
	int64_t wm = 4096;	/* kB */
	const char *ws = b->ctx && b->ctx->get_setting ? b->ctx->get_setting(b->ctx->session, "work_mem") : NULL;
	if (ws && atoll(ws) > 0)
		wm = atoll(ws);	/* SHOW form "4MB" parses as 4: smaller, still a sane threshold */
	if (strstr(ws ? ws : "", "MB"))
		wm *= 1024;
	else if (strstr(ws ? ws : "", "GB"))
		wm *= 1024 * 1024;
	wm *= 1024;
	if (right * (64.0 + 16.0 * j->right->ncols) > (double) wm) {
		for (int k = 0; k < j->nkeys; k++) {
			sem_oid lt = j->lkeys[k]->type.oid, rt = j->rkeys[k]->type.oid;
			if (lt != rt && !(int_type(lt) && int_type(rt)))
				return;
		}
		j->left = sort_node(a, j->left, j->nkeys, j->lkeys);
		j->right = sort_node(a, j->right, j->nkeys, j->rkeys);
		j->algo = PL_JOIN_MERGE;
		j->nlookup = j->nkeys;
	}
}

static void choose_joins(pl_binder *b, pl_node **np)
{
	if (!*np)
		return;
	if ((*np)->kind == PL_JOIN)
		choose_join(b, np);
	pl_node *n = *np;
	choose_joins(b, &n->left);
	if (n->kind != PL_RECURSIVE && n->algo != PL_JOIN_LOOKUP)
		choose_joins(b, &n->right);
}

/* ---- driver ---------------------------------------------------------------------------------- */

typedef struct subctx {
	pl_binder *b;
	cm_error *err;
	cm_status st;
} subctx;

static cm_status optimize_tree(pl_binder *b, pl_node **root, cm_error *err);

static void sub_fn(pl_subplan *sp, void *arg)
{
	subctx *sc = arg;
	if (sp->optimized || sc->st != CM_OK)
		return;
	sp->optimized = true;
	sc->st = optimize_tree(sc->b, &sp->plan, sc->err);
}

static void expr_sub_fn(sem_expr *e, void *arg)
{
	pl_expr_subplans(e, sub_fn, arg);
}

static cm_status subplans_tree(pl_binder *b, pl_node *n, subctx *sc)
{
	if (!n)
		return CM_OK;
	pl_node_exprs(n, expr_sub_fn, sc);
	if (sc->st != CM_OK)
		return CM_ERROR;
	if (subplans_tree(b, n->left, sc) != CM_OK)
		return CM_ERROR;
	return subplans_tree(b, n->right, sc);
}

static cm_status optimize_tree(pl_binder *b, pl_node **root, cm_error *err)
{
	pushdown(b->arena, root);
	choose_joins(b, root);
	if (pl_scan_paths(b, root, err) != CM_OK)
		return CM_ERROR;
	subctx sc = {b, err, CM_OK};
	return subplans_tree(b, *root, &sc);
}

cm_status pl_optimize_plan(pl_binder *b, pl_node **root, cm_error *err)
{
	return optimize_tree(b, root, err);
}
