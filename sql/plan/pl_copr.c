/*
 * pl_copr.c -- coprocessor pushdown: the planner side.
 *
 * pl_copr_try() looks at a plan node (pl_optimize_scans calls it top-down
 * before choosing access paths) and rewrites these shapes over a catalog
 * table scan (S = Scan, optionally under a Filter F):
 *
 *   Agg(F(S))                    -> CoprScan[Selection, partial Aggregation]
 *                                   merged in the gateway (ex_copr.c)
 *   Limit([Project]([Sort](F(S)))) -> Limit(Project(Sort(CoprScan[Selection,
 *                                   TopN n / Limit n])))  (n = limit + offset)
 *   Project([Sort](F(S))), F(S), S -> CoprScan[Selection] (+ gateway Filter
 *                                   for the conjuncts the store cannot run)
 *
 * What is pushed, and when:
 *   - columns: only those read above the scan are fetched (the others come
 *     out NULL); every fetched column must have a tipb field type whose
 *     stored encoding the coprocessor reads like the catalog writes it:
 *     bool, int2/4/8, float4/8, numeric, text, varchar, bpchar, bytea.
 *     (date / timestamp / timestamptz are stored by the catalog as int64
 *     days / microseconds, not TiDB's packed time, so they stay in the
 *     gateway; so do interval, uuid, time and arrays.)
 *   - expressions: a conjunct, group key, aggregate argument or sort key is
 *     pushed only if it translates into tipb (sig table of kv_copr_expr)
 *     AND compiling that tipb back with kv_copr_expr_compile -- exactly
 *     what the store does -- gives the same sem tree: the same built-in
 *     for every operator, the same casts, the same types.  So the store
 *     evaluates what the gateway would, with the same errors.  Constants,
 *     $n and outer references (and non-volatile functions of them) are
 *     evaluated in the gateway at every open and sent as constants.
 *   - aggregates: count(*), count(x), sum(x) and avg(x) of int2/int4/int8/
 *     numeric, min/max; no DISTINCT, FILTER or ORDER BY; all WHERE
 *     conjuncts must be pushed.  Float sums stay in the gateway (partial
 *     float sums would round differently from one sequential sum).
 *   - TopN: every sort key pushable; a nullable key gets a leading
 *     "key IS NULL" key so that the store's NULL order (TiKV: NULL lowest;
 *     the embedded store: PostgreSQL's) never matters; the gateway Sort +
 *     Limit merge the per-region top n.  Limit: without ORDER BY, with
 *     keep-order, the gateway Limit still applies.
 *   - not when a point get, batch point get or index path exists for the
 *     WHERE clause (those stay); a handle range becomes the request's key
 *     range.
 *
 * At execution (pl_copr_scan.c; the request is made at
 * every open): the SQL transaction's read ts (RC: the statement's, else
 * start_ts), the session cancel flag and the statement deadline; the
 * gateway plan replaces the coprocessor when the transaction has its own
 * buffered writes in the table's record range (the store cannot see them,
 * pl_copr_usable), when a constant cannot be sent, or when the store
 * answers 0A000 / "cannot be sent through the coprocessor" before any row.
 *
 * This file holds the plan rewrite and the worker pool; the translation
 * of expressions into tipb is pl_copr_expr.c, the request made at every
 * open and EXPLAIN are pl_copr_scan.c (pl_copr_internal.h joins them).
 *
 * Exported (pl_table.h): pl_copr_try, pl_copr_pool.
 */
#include <pthread.h>
#include <pthread.h>
#include <string.h>

#include "sql/plan/pl_copr_internal.h"

static const sem_type t_bool = {SEM_BOOLOID, -1};

/* ---- worker pool ------------------------------------------------------------------------ */

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static kv_copr_pool *g_pool;

static void pool_init(void)
{
	g_pool = kv_copr_pool_new(0);
}

kv_copr_pool *pl_copr_pool(void)
{
	pthread_once(&pool_once, pool_init);
	return g_pool;
}

/* ---- column usage ------------------------------------------------------------------------ */

static void mark_cols(const sem_expr *e, bool *used, int n)
{
	if (!e)
		return;
	switch (e->kind) {
	case SEM_EXPR_COLUMN:
		if (e->u.colno >= 0 && e->u.colno < n)
			used[e->u.colno] = true;
		return;
	case SEM_EXPR_FUNC:
		for (int i = 0; i < e->u.func.nargs; i++)
			mark_cols(e->u.func.args[i], used, n);
		return;
	case SEM_EXPR_CAST: mark_cols(e->u.cast.arg, used, n); return;
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT: mark_cols(e->u.arg1, used, n); return;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE:
		for (int i = 0; i < e->u.list.n; i++)
			mark_cols(e->u.list.items[i], used, n);
		return;
	case SEM_EXPR_NULLTEST:
	case SEM_EXPR_BOOLTEST: mark_cols(e->u.test.arg, used, n); return;
	case SEM_EXPR_CASE:
		mark_cols(e->u.case_.operand, used, n);
		for (int i = 0; i < e->u.case_.nwhen; i++) {
			mark_cols(e->u.case_.conds[i], used, n);
			mark_cols(e->u.case_.results[i], used, n);
		}
		mark_cols(e->u.case_.defresult, used, n);
		return;
	case SEM_EXPR_MINMAX:
		for (int i = 0; i < e->u.minmax.n; i++)
			mark_cols(e->u.minmax.items[i], used, n);
		return;
	case SEM_EXPR_NULLIF:
	case SEM_EXPR_DISTINCT:
		mark_cols(e->u.cmp.a, used, n);
		mark_cols(e->u.cmp.b, used, n);
		return;
	case SEM_EXPR_IN:
		mark_cols(e->u.in.lhs, used, n);
		for (int i = 0; i < e->u.in.n; i++)
			mark_cols(e->u.in.items[i], used, n);
		return;
	case SEM_EXPR_EXTERN:
		for (int i = 0; i < e->u.ext.nargs; i++)
			mark_cols(e->u.ext.args[i], used, n);
		return;
	default:
		return;
	}
}

static void mark_aggs(const pl_node *agg, bool *used, int n)
{
	for (int i = 0; i < agg->n; i++)
		mark_cols(agg->exprs[i], used, n);
	for (int a = 0; a < agg->naggs; a++) {
		const ex_aggdesc *d = &agg->aggs[a];
		for (int i = 0; i < d->nargs; i++)
			mark_cols(d->args[i], used, n);
		mark_cols(d->filter, used, n);
		for (int k = 0; k < d->norder; k++)
			mark_cols(d->order[k].expr, used, n);
	}
}

/* ---- building the rewritten plan -------------------------------------------------------- */

typedef struct base_t {
	pl_node *filter;			/* NULL: the scan alone */
	pl_node *scan;
	pl_scanspec *sp;
	pl_scanspec range;			/* access path chosen for the filter (FULL or RANGE) */
} base_t;

static void add_conj(sem_expr *e, sem_expr **v, int *n, int cap)
{
	if (e->kind == SEM_EXPR_AND) {
		for (int i = 0; i < e->u.list.n; i++)
			add_conj(e->u.list.items[i], v, n, cap);
		return;
	}
	if (*n < cap)
		v[*n] = e;
	(*n)++;
}

/* n is F(S) or S over a catalog table, and no better access path exists. */
static bool get_base(pl_binder *b, pl_node *n, base_t *out)
{
	memset(out, 0, sizeof *out);
	if (n && n->kind == PL_FILTER) {
		out->filter = n;
		n = n->left;
	}
	if (!n || n->kind != PL_SCAN)
		return false;
	pl_scanspec *sp = pl_scan_spec(n->scan);
	if (!sp || sp->acc != PL_ACC_FULL || sp->with_handle || sp->lock)
		return false;
	out->scan = n;
	out->sp = sp;
	out->range = *sp;
	if (out->filter) {
		pl_choose_access(b, &out->range, out->filter->pred);
		if (out->range.acc != PL_ACC_FULL && out->range.acc != PL_ACC_RANGE)
			return false;
	}
	return true;
}

static pl_node *node_new(cm_arena *a, pl_kind k, int ncols, sem_type *types, pl_node *left)
{
	pl_node *n = cm_new(a, pl_node);
	n->kind = k;
	n->ncols = ncols;
	n->types = types;
	n->left = left;
	return n;
}

static sem_expr *and_of(cm_arena *a, sem_expr **v, int n)
{
	if (n == 1)
		return v[0];
	sem_expr *e = sem_expr_new(a, SEM_EXPR_AND, t_bool, -1);
	e->u.list.n = n;
	e->u.list.items = cm_memdup(a, v, sizeof(sem_expr *) * (size_t) n);
	return e;
}

/* The gateway plan of base with only the conjuncts in v (the fallback). */
static pl_node *gateway_base(pl_binder *b, const base_t *base, sem_expr **v, int n)
{
	pl_node *scan = base->scan;
	if (base->range.acc == PL_ACC_RANGE) {
		pl_scanspec *c = cm_new(b->arena, pl_scanspec);
		*c = base->range;
		scan = node_new(b->arena, PL_SCAN, base->scan->ncols, base->scan->types, NULL);
		scan->label = base->scan->label;
		scan->scan = pl_scan_provider_new(b->arena, c);
	}
	if (n == 0)
		return scan;
	pl_node *f = node_new(b->arena, PL_FILTER, scan->ncols, scan->types, scan);
	f->pred = and_of(b->arena, v, n);
	return f;
}

/*
 * Start a spec for base reading the columns in used[] (NULL = all) plus
 * those of the WHERE conjuncts; splits the conjuncts into pushed (spec)
 * and kept (*rest / *nrest).  NULL when a needed column cannot be read by
 * the store.
 */
static pl_copr_spec *spec_start(pl_binder *b, const base_t *base, const bool *used_in, sem_expr ***rest, int *nrest)
{
	cm_arena *a = b->arena;
	pl_tabref *ref = base->sp->ref;
	int nv = ref->nvis;
	bool *used = cm_new_array(a, bool, nv + 1);
	for (int c = 0; c < nv; c++)
		used[c] = used_in ? used_in[c] : true;
	sem_expr *conj[128];
	int nc = 0;
	if (base->filter)
		add_conj(base->filter->pred, conj, &nc, 128);
	if (nc > 128)
		return NULL;
	for (int i = 0; i < nc; i++)
		mark_cols(conj[i], used, nv);
	pl_copr_spec *s = cm_new(a, pl_copr_spec);
	s->ref = ref;
	s->vis_to_scan = cm_new_array(a, int, nv + 1);
	s->scan_vis = cm_new_array(a, int, nv + 1);
	s->cols = cm_new_array(a, kv_copr_col, nv + 1);
	const cat_table *t = ref->t;
	for (int c = 0; c < nv; c++) {
		s->vis_to_scan[c] = -1;
		if (!used[c])
			continue;
		if (!pl_copr_col_type_ok(ref->types[c]))
			return NULL;
		cm_error ign = {0};
		if (kv_copr_ftype_of(ref->types[c], &s->cols[s->nscan].ft, &ign) != CM_OK) {
			cm_error_clear(&ign);
			return NULL;
		}
		s->cols[s->nscan].st = ref->types[c];
		s->vis_to_scan[c] = s->nscan;
		s->scan_vis[s->nscan++] = c;
	}
	if (s->nscan == 0) {
		/* nothing read (count(*)): the handle, which comes from the key */
		int hc = -1;
		for (int c = 0; c < nv && t->handle_col >= 0; c++)
			if (ref->vis[c] == t->handle_col)
				hc = c;
		sem_type ht = hc >= 0 ? ref->types[hc] : (sem_type){SEM_INT8OID, -1};
		cm_error ign = {0};
		if (kv_copr_ftype_of(ht, &s->cols[0].ft, &ign) != CM_OK) {
			cm_error_clear(&ign);
			return NULL;
		}
		s->cols[0].st = ht;
		s->scan_vis[0] = hc;
		if (hc >= 0)
			s->vis_to_scan[hc] = 0;
		s->nscan = 1;
	}
	s->conds = cm_new_array(a, sem_expr *, nc + 1);
	*rest = cm_new_array(a, sem_expr *, nc + 1);
	*nrest = 0;
	for (int i = 0; i < nc; i++) {
		if (pl_copr_pushable(s, a, conj[i]))
			s->conds[s->nconds++] = conj[i];
		else
			(*rest)[(*nrest)++] = conj[i];
	}
	if (base->range.acc == PL_ACC_RANGE) {
		s->lo = base->range.lo;
		s->hi = base->range.hi;
		s->lo_strict = base->range.lo_strict;
		s->hi_strict = base->range.hi_strict;
	}
	return s;
}

static void plain_output(cm_arena *a, pl_copr_spec *s, const pl_node *scan)
{
	int nv = s->ref->nvis;
	s->nout = nv;
	s->out_types = scan->types;
	s->out_map = cm_new_array(a, int, nv + 1);
	for (int c = 0; c < nv; c++)
		s->out_map[c] = s->vis_to_scan[c];
}

/* The coprocessor scan node replacing `replaced` (its fallback). */
static pl_node *copr_node(pl_binder *b, pl_copr_spec *s, const base_t *base, pl_node *fallback)
{
	cm_arena *a = b->arena;
	pl_scanspec *sp = cm_new(a, pl_scanspec);
	*sp = *base->sp;
	sp->acc = PL_ACC_COPR;
	sp->copr = s;
	sp->fallback = fallback;
	s->desc.prepare = pl_copr_prepare;
	s->desc.fallback = pl_copr_fallback;
	s->desc.arg = sp;
	s->desc.agg = s->agg;
	s->desc.map = s->out_map;
	s->desc.ngroups = s->ngroups;
	s->desc.gcols = s->gcols;
	s->desc.naggs = s->naggs;
	s->desc.aggs = s->aspec;
	pl_node *n = node_new(a, PL_SCAN, s->nout, s->out_types, NULL);
	n->label = base->scan->label;
	n->scan = pl_scan_provider_new(a, sp);
	return n;
}

/* Plain pushdown of base (Selection only) for consumers reading used[]. */
static pl_node *push_plain(pl_binder *b, const base_t *base, const bool *used, bool keep_order, pl_copr_spec **out)
{
	sem_expr **rest;
	int nrest;
	pl_copr_spec *s = spec_start(b, base, used, &rest, &nrest);
	*out = s;
	if (!s)
		return NULL;
	s->keep_order = keep_order;
	plain_output(b->arena, s, base->scan);
	pl_node *cn = copr_node(b, s, base, gateway_base(b, base, s->conds, s->nconds));
	if (nrest == 0)
		return cn;
	pl_node *f = node_new(b->arena, PL_FILTER, cn->ncols, cn->types, cn);
	f->pred = and_of(b->arena, rest, nrest);
	return f;
}

static bool agg_kind_ok(const ex_aggdesc *d)
{
	if (d->distinct || d->filter || d->norder)
		return false;
	sem_oid t = d->argtype.oid;
	switch (d->kind) {
	case EX_AGG_COUNT_STAR: return true;
	case EX_AGG_COUNT: return d->nargs == 1;
	case EX_AGG_SUM:
	case EX_AGG_AVG:
		return d->nargs == 1 && (t == SEM_INT2OID || t == SEM_INT4OID || t == SEM_INT8OID || t == SEM_NUMERICOID);
	case EX_AGG_MIN:
	case EX_AGG_MAX: return d->nargs == 1 && pl_copr_cls(t) != C_NONE;
	default: return false;
	}
}

/* Agg(F(S)) -> CoprScan[Selection, Aggregation] (merged in the gateway). */
static cm_status try_agg(pl_binder *b, pl_node **np, bool *done)
{
	pl_node *agg = *np;
	base_t base;
	if (!get_base(b, agg->left, &base))
		return CM_OK;
	int nv = base.sp->ref->nvis;
	bool *used = cm_new_array(b->arena, bool, nv + 1);
	mark_aggs(agg, used, nv);
	sem_expr **rest;
	int nrest;
	pl_copr_spec *s = spec_start(b, &base, used, &rest, &nrest);
	if (!s)
		return CM_OK;
	bool ok = nrest == 0;
	for (int i = 0; ok && i < agg->n; i++)
		ok = pl_copr_cls(agg->exprs[i]->type.oid) != C_NONE && pl_copr_pushable(s, b->arena, agg->exprs[i]);
	for (int i = 0; ok && i < agg->naggs; i++) {
		const ex_aggdesc *d = &agg->aggs[i];
		ok = agg_kind_ok(d) && (d->nargs == 0 || pl_copr_pushable(s, b->arena, d->args[0]));
	}
	if (!ok) {
		/* aggregate in the gateway over a pushed scan + selection */
		pl_copr_spec *ps;
		pl_node *pn = push_plain(b, &base, used, false, &ps);
		if (!pn)
			return CM_OK;
		agg->left = pn;
		*done = true;
		return CM_OK;
	}
	s->agg = true;
	s->ngroups = agg->n;
	s->groups = agg->exprs;
	s->naggs = agg->naggs;
	s->aggs = agg->aggs;
	s->aspec = cm_new_array(b->arena, ex_copr_aggspec, agg->naggs + 1);
	int pc = 0;
	for (int i = 0; i < agg->naggs; i++) {
		const ex_aggdesc *d = &agg->aggs[i];
		s->aspec[i].kind = d->kind;
		s->aspec[i].argtype = d->argtype;
		s->aspec[i].result = d->result;
		s->aspec[i].pcol = pc;
		pc += d->kind == EX_AGG_AVG ? 2 : 1;
	}
	s->gcols = cm_new_array(b->arena, int, agg->n + 1);
	for (int g = 0; g < agg->n; g++)
		s->gcols[g] = pc + g;
	s->nout = agg->ncols;
	s->out_types = agg->types;
	pl_node *fb = node_new(b->arena, PL_AGG, agg->ncols, agg->types, NULL);
	*fb = *agg;
	fb->left = gateway_base(b, &base, s->conds, s->nconds);
	*np = copr_node(b, s, &base, fb);
	*done = true;
	return CM_OK;
}

/* Is the sort key expression never NULL (a NOT NULL column)? */
static bool key_not_null(const pl_tabref *ref, const sem_expr *e)
{
	if (e->kind != SEM_EXPR_COLUMN || e->u.colno < 0 || e->u.colno >= ref->nvis)
		return false;
	int slot = ref->vis[e->u.colno];
	return ref->t->cols[slot].not_null || slot == ref->t->handle_col;
}

/* Limit([Project]([Sort](F(S)))): TopN / Limit in the store. */
static cm_status try_limit(pl_binder *b, pl_node **np, bool *done)
{
	pl_node *lim = *np, *proj = NULL, *sort = NULL, *n = lim->left;
	if (n && n->kind == PL_PROJECT) {
		proj = n;
		n = n->left;
	}
	if (n && n->kind == PL_SORT) {
		sort = n;
		n = n->left;
	}
	base_t base;
	if (!get_base(b, n, &base))
		return CM_OK;
	if (!proj && !sort)
		return CM_OK;			/* a bare Limit over the scan: every column is read above */
	int nv = base.sp->ref->nvis;
	bool *used = cm_new_array(b->arena, bool, nv + 1);
	if (proj)
		for (int i = 0; i < proj->n; i++)
			mark_cols(proj->exprs[i], used, nv);
	else
		for (int c = 0; c < nv; c++)
			used[c] = true;
	if (sort)
		for (int k = 0; k < sort->nsort; k++)
			mark_cols(sort->sort[k].expr, used, nv);
	pl_copr_spec *s;
	pl_node *pn = push_plain(b, &base, used, !sort, &s);
	if (!pn)
		return CM_OK;
	bool ok = pn->kind == PL_SCAN && lim->limit && pl_copr_run_const(lim->limit) && (!lim->offset || pl_copr_run_const(lim->offset));
	for (int k = 0; ok && sort && k < sort->nsort; k++)
		ok = pl_copr_cls(sort->sort[k].expr->type.oid) != C_NONE && pl_copr_pushable(s, b->arena, sort->sort[k].expr);
	if (ok) {
		s->push_limit = true;
		s->limit = lim->limit;
		s->offset = lim->offset;
		if (sort) {
			s->ntopn = sort->nsort;
			s->topn = sort->sort;
			s->topn_nullable = cm_new_array(b->arena, bool, sort->nsort + 1);
			for (int k = 0; k < sort->nsort; k++)
				s->topn_nullable[k] = !key_not_null(s->ref, sort->sort[k].expr);
		}
	}
	if (sort)
		sort->left = pn;
	else
		proj->left = pn;
	*done = true;
	return CM_OK;
}

cm_status pl_copr_try(pl_binder *b, pl_node **np, bool *done, cm_error *err)
{
	*done = false;
	pl_node *n = *np;
	if (!n)
		return CM_OK;
	switch (n->kind) {
	case PL_AGG:
		return try_agg(b, np, done);
	case PL_LIMIT:
		return try_limit(b, np, done);
	case PL_PROJECT: {
		pl_node *sort = NULL, *c = n->left;
		if (c && c->kind == PL_SORT) {
			sort = c;
			c = c->left;
		}
		base_t base;
		if (!get_base(b, c, &base))
			return CM_OK;
		int nv = base.sp->ref->nvis;
		bool *used = cm_new_array(b->arena, bool, nv + 1);
		for (int i = 0; i < n->n; i++)
			mark_cols(n->exprs[i], used, nv);
		if (sort)
			for (int k = 0; k < sort->nsort; k++)
				mark_cols(sort->sort[k].expr, used, nv);
		pl_copr_spec *s;
		pl_node *pn = push_plain(b, &base, used, true, &s);
		if (!pn)
			return CM_OK;
		if (sort)
			sort->left = pn;
		else
			n->left = pn;
		*done = true;
		return CM_OK;
	}
	case PL_FILTER:
	case PL_SCAN: {
		base_t base;
		if (!get_base(b, n, &base))
			return CM_OK;
		pl_copr_spec *s;
		pl_node *pn = push_plain(b, &base, NULL, true, &s);
		if (!pn)
			return CM_OK;
		*np = pn;
		*done = true;
		return CM_OK;
	}
	default:
		return CM_OK;
	}
}

