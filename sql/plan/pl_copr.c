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
 * At execution (pl_copr_build, per execution; the request is made at
 * every open): the SQL transaction's read ts (RC: the statement's, else
 * start_ts), the session cancel flag and the statement deadline; the
 * gateway plan replaces the coprocessor when the transaction has its own
 * buffered writes in the table's record range (the store cannot see them,
 * pl_copr_usable), when a constant cannot be sent, or when the store
 * answers 0A000 / "cannot be sent through the coprocessor" before any row.
 *
 * Exported (pl_table.h): pl_copr_try, pl_copr_build, pl_copr_usable,
 * pl_copr_explain, pl_copr_pool.
 */
#include <pthread.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "kv/copr/kv_copr_dag.h"
#include "sql/exec/ex_copr.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

typedef struct pl_copr_spec {
	pl_tabref *ref;
	int nscan;
	int *scan_vis;				/* visible column of each scan column; -1 = hidden row id */
	int *vis_to_scan;			/* per visible column: scan offset or -1 */
	kv_copr_col *cols;			/* scan schema */
	int nconds;
	sem_expr **conds;			/* pushed Selection (over the visible row) */
	sem_expr *lo, *hi;			/* handle range (NULL = open) */
	bool lo_strict, hi_strict;
	bool agg;
	int ngroups;
	sem_expr **groups;
	int naggs;
	ex_aggdesc *aggs;
	ex_copr_aggspec *aspec;
	int *gcols;
	int ntopn;
	ex_sortkey *topn;
	bool *topn_nullable;
	sem_expr *limit, *offset;	/* TopN / Limit rows = limit + offset */
	bool push_limit;
	bool keep_order;
	int nout;
	sem_type *out_types;
	int *out_map;
	ex_copr_desc desc;
	const char *why_rest;		/* EXPLAIN: conjuncts kept in the gateway */
} pl_copr_spec;

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

/* ---- types -------------------------------------------------------------------------------- */

enum { C_INT, C_REAL, C_DEC, C_STR, C_TIME, C_NONE };

static int cls_of(sem_oid o)
{
	switch (o) {
	case SEM_BOOLOID:
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID: return C_INT;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID: return C_REAL;
	case SEM_NUMERICOID: return C_DEC;
	case SEM_TEXTOID:
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
	case SEM_BYTEAOID: return C_STR;
	default: return C_NONE;
	}
}

/* A column type the coprocessor reads as the catalog stores it. */
static bool col_type_ok(sem_type t)
{
	return cls_of(t.oid) != C_NONE;
}

/* ---- expression translation: sem -> tipb ------------------------------------------------ */

typedef struct tr_ctx {
	cm_arena *a;
	const pl_copr_spec *s;
	ex_state *st;				/* NULL at plan time: run-time constants become typed NULLs */
	cm_error *err;
	bool eval_failed;			/* st != NULL: a constant failed to evaluate (err set) */
} tr_ctx;

/* Fixed for one open of the scan: constants, $n, outer references,
 * non-volatile functions and casts of those. */
static bool run_const(const sem_expr *e)
{
	switch (e->kind) {
	case SEM_EXPR_CONST:
	case SEM_EXPR_PARAM:
		return true;
	case SEM_EXPR_EXTERN:
		return e->u.ext.fn == pl_xparam_fn;
	case SEM_EXPR_FUNC:
		if (e->u.func.fn->flags & SEM_FN_VOLATILE)
			return false;
		for (int i = 0; i < e->u.func.nargs; i++)
			if (!run_const(e->u.func.args[i]))
				return false;
		return true;
	case SEM_EXPR_CAST:
		return run_const(e->u.cast.arg);
	default:
		return false;
	}
}

static Tipb__Expr *tr_datum(tr_ctx *c, sem_type t, const sem_datum *d)
{
	kv_copr_ftype ft;
	cm_error ign = {0};
	if (cls_of(t.oid) == C_NONE || kv_copr_ftype_of(t, &ft, &ign) != CM_OK) {
		cm_error_clear(&ign);
		return NULL;
	}
	if (!d || d->isnull)
		return kv_copr_pb_null(c->a, &ft);
	switch (t.oid) {
	case SEM_BOOLOID: return kv_copr_pb_int(c->a, d->v.b ? 1 : 0, &ft);
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID: return kv_copr_pb_int(c->a, d->v.i, &ft);
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID: return kv_copr_pb_float(c->a, d->v.f, &ft);
	case SEM_NUMERICOID: {
		if (sem_num_is_special(d->v.num))
			return NULL;
		char *txt = sem_num_to_cstring(c->a, d->v.num);
		Tipb__Expr *e = kv_copr_pb_decimal(c->a, txt, &ign);
		cm_error_clear(&ign);
		return e;
	}
	case SEM_BYTEAOID: return kv_copr_pb_bytes(c->a, d->v.s.p, d->v.s.len);
	default: return kv_copr_pb_string(c->a, d->v.s.p, d->v.s.len, &ft);
	}
}

static const int sig_lt[] = {TIPB__SCALAR_FUNC_SIG__LTInt, TIPB__SCALAR_FUNC_SIG__LTReal,
							 TIPB__SCALAR_FUNC_SIG__LTDecimal, TIPB__SCALAR_FUNC_SIG__LTString,
							 TIPB__SCALAR_FUNC_SIG__LTTime};
static const int sig_le[] = {TIPB__SCALAR_FUNC_SIG__LEInt, TIPB__SCALAR_FUNC_SIG__LEReal,
							 TIPB__SCALAR_FUNC_SIG__LEDecimal, TIPB__SCALAR_FUNC_SIG__LEString,
							 TIPB__SCALAR_FUNC_SIG__LETime};
static const int sig_gt[] = {TIPB__SCALAR_FUNC_SIG__GTInt, TIPB__SCALAR_FUNC_SIG__GTReal,
							 TIPB__SCALAR_FUNC_SIG__GTDecimal, TIPB__SCALAR_FUNC_SIG__GTString,
							 TIPB__SCALAR_FUNC_SIG__GTTime};
static const int sig_ge[] = {TIPB__SCALAR_FUNC_SIG__GEInt, TIPB__SCALAR_FUNC_SIG__GEReal,
							 TIPB__SCALAR_FUNC_SIG__GEDecimal, TIPB__SCALAR_FUNC_SIG__GEString,
							 TIPB__SCALAR_FUNC_SIG__GETime};
static const int sig_eq[] = {TIPB__SCALAR_FUNC_SIG__EQInt, TIPB__SCALAR_FUNC_SIG__EQReal,
							 TIPB__SCALAR_FUNC_SIG__EQDecimal, TIPB__SCALAR_FUNC_SIG__EQString,
							 TIPB__SCALAR_FUNC_SIG__EQTime};
static const int sig_ne[] = {TIPB__SCALAR_FUNC_SIG__NEInt, TIPB__SCALAR_FUNC_SIG__NEReal,
							 TIPB__SCALAR_FUNC_SIG__NEDecimal, TIPB__SCALAR_FUNC_SIG__NEString,
							 TIPB__SCALAR_FUNC_SIG__NETime};
static const int sig_nulleq[] = {TIPB__SCALAR_FUNC_SIG__NullEQInt, TIPB__SCALAR_FUNC_SIG__NullEQReal,
								 TIPB__SCALAR_FUNC_SIG__NullEQDecimal, TIPB__SCALAR_FUNC_SIG__NullEQString,
								 TIPB__SCALAR_FUNC_SIG__NullEQTime};
static const int sig_isnull[] = {TIPB__SCALAR_FUNC_SIG__IntIsNull, TIPB__SCALAR_FUNC_SIG__RealIsNull,
								 TIPB__SCALAR_FUNC_SIG__DecimalIsNull, TIPB__SCALAR_FUNC_SIG__StringIsNull,
								 TIPB__SCALAR_FUNC_SIG__TimeIsNull};
static const int sig_in[] = {TIPB__SCALAR_FUNC_SIG__InInt, TIPB__SCALAR_FUNC_SIG__InReal,
							 TIPB__SCALAR_FUNC_SIG__InDecimal, TIPB__SCALAR_FUNC_SIG__InString,
							 TIPB__SCALAR_FUNC_SIG__InTime};
static const int sig_coalesce[] = {TIPB__SCALAR_FUNC_SIG__CoalesceInt, TIPB__SCALAR_FUNC_SIG__CoalesceReal,
								   TIPB__SCALAR_FUNC_SIG__CoalesceDecimal, TIPB__SCALAR_FUNC_SIG__CoalesceString,
								   TIPB__SCALAR_FUNC_SIG__CoalesceTime};
static const int sig_case[] = {TIPB__SCALAR_FUNC_SIG__CaseWhenInt, TIPB__SCALAR_FUNC_SIG__CaseWhenReal,
							   TIPB__SCALAR_FUNC_SIG__CaseWhenDecimal, TIPB__SCALAR_FUNC_SIG__CaseWhenString,
							   TIPB__SCALAR_FUNC_SIG__CaseWhenTime};
static const int sig_plus[] = {TIPB__SCALAR_FUNC_SIG__PlusInt, TIPB__SCALAR_FUNC_SIG__PlusReal,
							   TIPB__SCALAR_FUNC_SIG__PlusDecimal};
static const int sig_minus[] = {TIPB__SCALAR_FUNC_SIG__MinusInt, TIPB__SCALAR_FUNC_SIG__MinusReal,
								TIPB__SCALAR_FUNC_SIG__MinusDecimal};
static const int sig_mul[] = {TIPB__SCALAR_FUNC_SIG__MultiplyInt, TIPB__SCALAR_FUNC_SIG__MultiplyReal,
							  TIPB__SCALAR_FUNC_SIG__MultiplyDecimal};
static const int sig_div[] = {TIPB__SCALAR_FUNC_SIG__IntDivideInt, TIPB__SCALAR_FUNC_SIG__DivideReal,
							  TIPB__SCALAR_FUNC_SIG__DivideDecimal};
static const int sig_neg[] = {TIPB__SCALAR_FUNC_SIG__UnaryMinusInt, TIPB__SCALAR_FUNC_SIG__UnaryMinusReal,
							  TIPB__SCALAR_FUNC_SIG__UnaryMinusDecimal};
static const int sig_abs[] = {TIPB__SCALAR_FUNC_SIG__AbsInt, TIPB__SCALAR_FUNC_SIG__AbsReal,
							  TIPB__SCALAR_FUNC_SIG__AbsDecimal};
/* cast[from class][to class] for INT / REAL / DEC */
static const int sig_cast[3][3] = {
	{TIPB__SCALAR_FUNC_SIG__CastIntAsInt, TIPB__SCALAR_FUNC_SIG__CastIntAsReal, TIPB__SCALAR_FUNC_SIG__CastIntAsDecimal},
	{TIPB__SCALAR_FUNC_SIG__CastRealAsInt, TIPB__SCALAR_FUNC_SIG__CastRealAsReal,
	 TIPB__SCALAR_FUNC_SIG__CastRealAsDecimal},
	{TIPB__SCALAR_FUNC_SIG__CastDecimalAsInt, TIPB__SCALAR_FUNC_SIG__CastDecimalAsReal,
	 TIPB__SCALAR_FUNC_SIG__CastDecimalAsDecimal},
};

static Tipb__Expr *tr(tr_ctx *c, const sem_expr *e);

static const kv_copr_ftype *ft_of(tr_ctx *c, sem_type t)
{
	kv_copr_ftype *ft = cm_new(c->a, kv_copr_ftype);
	cm_error ign = {0};
	if (kv_copr_ftype_of(t, ft, &ign) != CM_OK) {
		cm_error_clear(&ign);
		return NULL;
	}
	return ft;
}

static Tipb__Expr *fn_n(tr_ctx *c, int sig, sem_type rt, int n, Tipb__Expr **kids)
{
	for (int i = 0; i < n; i++)
		if (!kids[i])
			return NULL;
	const kv_copr_ftype *ft = ft_of(c, rt);
	if (!ft)
		return NULL;
	return kv_copr_pb_func(c->a, sig, ft, (size_t) n, kids);
}

static Tipb__Expr *fn1(tr_ctx *c, int sig, sem_type rt, Tipb__Expr *x)
{
	return fn_n(c, sig, rt, 1, &x);
}

static const sem_type t_bool = {SEM_BOOLOID, -1};

static Tipb__Expr *not_of(tr_ctx *c, Tipb__Expr *x)
{
	return x ? fn1(c, TIPB__SCALAR_FUNC_SIG__UnaryNotInt, t_bool, x) : NULL;
}

/* AND / OR as a left-deep chain of binary calls (TiKV's LogicalAnd/Or are
 * binary). */
static Tipb__Expr *tr_andor(tr_ctx *c, const sem_expr *e, int sig)
{
	Tipb__Expr *acc = NULL;
	for (int i = 0; i < e->u.list.n; i++) {
		Tipb__Expr *x = tr(c, e->u.list.items[i]);
		if (!x)
			return NULL;
		if (!acc)
			acc = x;
		else {
			Tipb__Expr *k[2] = {acc, x};
			acc = fn_n(c, sig, t_bool, 2, k);
			if (!acc)
				return NULL;
		}
	}
	return acc;
}

static Tipb__Expr *tr_func(tr_ctx *c, const sem_expr *e)
{
	const char *nm = e->u.func.fn->name;
	int n = e->u.func.nargs;
	Tipb__Expr *k[3] = {NULL, NULL, NULL};
	if (n < 1 || n > 2)
		return NULL;
	for (int i = 0; i < n; i++)
		if (!(k[i] = tr(c, e->u.func.args[i])))
			return NULL;
	int ac = cls_of(e->u.func.args[0]->type.oid), rc = cls_of(e->type.oid);
	if (n == 2) {
		const int *fam = NULL;
		if (!strcmp(nm, "<")) fam = sig_lt;
		else if (!strcmp(nm, "<=")) fam = sig_le;
		else if (!strcmp(nm, ">")) fam = sig_gt;
		else if (!strcmp(nm, ">=")) fam = sig_ge;
		else if (!strcmp(nm, "=")) fam = sig_eq;
		else if (!strcmp(nm, "<>")) fam = sig_ne;
		if (fam)
			return ac <= C_STR ? fn_n(c, fam[ac], e->type, 2, k) : NULL;
		if (rc > C_DEC)
			fam = NULL;
		else if (!strcmp(nm, "+")) fam = sig_plus;
		else if (!strcmp(nm, "-")) fam = sig_minus;
		else if (!strcmp(nm, "*")) fam = sig_mul;
		else if (!strcmp(nm, "/")) fam = sig_div;
		else if (!strcmp(nm, "%")) {
			if (rc == C_INT)
				return fn_n(c, TIPB__SCALAR_FUNC_SIG__ModInt, e->type, 2, k);
			if (rc == C_DEC)
				return fn_n(c, TIPB__SCALAR_FUNC_SIG__ModDecimal, e->type, 2, k);
			return NULL;
		}
		if (fam)
			return fn_n(c, fam[rc], e->type, 2, k);
		if (!strcmp(nm, "~~") && ac == C_STR) {
			k[2] = kv_copr_pb_int(c->a, '\\', NULL);
			return fn_n(c, TIPB__SCALAR_FUNC_SIG__LikeSig, e->type, 3, k);
		}
		return NULL;
	}
	if (rc > C_DEC)
		return NULL;
	if (!strcmp(nm, "-"))
		return fn1(c, sig_neg[rc], e->type, k[0]);
	if (!strcmp(nm, "abs"))
		return fn1(c, sig_abs[rc], e->type, k[0]);
	return NULL;
}

static Tipb__Expr *tr(tr_ctx *c, const sem_expr *e)
{
	if (c->eval_failed)
		return NULL;
	if (run_const(e)) {
		if (e->kind == SEM_EXPR_CONST)
			return tr_datum(c, e->type, &e->u.constval);
		if (!c->st)
			return tr_datum(c, e->type, NULL);	/* plan time: a typed placeholder */
		sem_datum d;
		if (pl_eval_const(c->st, c->a, e, &d, c->err) != CM_OK) {
			c->eval_failed = true;
			return NULL;
		}
		return tr_datum(c, e->type, &d);
	}
	switch (e->kind) {
	case SEM_EXPR_COLUMN: {
		if (e->u.colno < 0 || e->u.colno >= c->s->ref->nvis)
			return NULL;
		int off = c->s->vis_to_scan[e->u.colno];
		if (off < 0)
			return NULL;
		return kv_copr_pb_col(c->a, off, &c->s->cols[off].ft);
	}
	case SEM_EXPR_FUNC:
		return tr_func(c, e);
	case SEM_EXPR_CAST: {
		int fc = cls_of(e->u.cast.arg->type.oid), tc = cls_of(e->type.oid);
		if (fc == C_NONE || tc == C_NONE)
			return NULL;
		Tipb__Expr *x = tr(c, e->u.cast.arg);
		if (fc == C_STR && tc == C_STR)
			return fn1(c, TIPB__SCALAR_FUNC_SIG__CastStringAsString, e->type, x);
		if (fc > C_DEC || tc > C_DEC)
			return NULL;
		return fn1(c, sig_cast[fc][tc], e->type, x);
	}
	case SEM_EXPR_AND:
		return tr_andor(c, e, TIPB__SCALAR_FUNC_SIG__LogicalAnd);
	case SEM_EXPR_OR:
		return tr_andor(c, e, TIPB__SCALAR_FUNC_SIG__LogicalOr);
	case SEM_EXPR_NOT:
		return not_of(c, tr(c, e->u.arg1));
	case SEM_EXPR_NULLTEST: {
		int ac = cls_of(e->u.test.arg->type.oid);
		if (ac > C_STR)
			return NULL;
		Tipb__Expr *x = fn1(c, sig_isnull[ac], t_bool, tr(c, e->u.test.arg));
		return e->u.test.op == 0 ? x : not_of(c, x);
	}
	case SEM_EXPR_BOOLTEST: {
		if (e->u.test.arg->type.oid != SEM_BOOLOID)
			return NULL;
		Tipb__Expr *x = tr(c, e->u.test.arg);
		switch (e->u.test.op) {
		case SEM_IS_TRUE: return fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsTrue, t_bool, x);
		case SEM_IS_NOT_TRUE: return not_of(c, fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsTrue, t_bool, x));
		case SEM_IS_FALSE: return fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsFalse, t_bool, x);
		case SEM_IS_NOT_FALSE: return not_of(c, fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsFalse, t_bool, x));
		case SEM_IS_UNKNOWN: return fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsNull, t_bool, x);
		default: return not_of(c, fn1(c, TIPB__SCALAR_FUNC_SIG__IntIsNull, t_bool, x));
		}
	}
	case SEM_EXPR_IN: {
		int ac = cls_of(e->u.in.lhs->type.oid);
		if (ac > C_STR || e->u.in.n < 1)
			return NULL;
		int n = e->u.in.n + 1;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, n);
		k[0] = tr(c, e->u.in.lhs);
		for (int i = 0; i < e->u.in.n; i++)
			k[i + 1] = tr(c, e->u.in.items[i]);
		Tipb__Expr *x = fn_n(c, sig_in[ac], t_bool, n, k);
		return e->u.in.negate ? not_of(c, x) : x;
	}
	case SEM_EXPR_DISTINCT: {
		int ac = cls_of(e->u.cmp.a->type.oid);
		if (ac > C_STR)
			return NULL;
		Tipb__Expr *k[2] = {tr(c, e->u.cmp.a), tr(c, e->u.cmp.b)};
		Tipb__Expr *x = fn_n(c, sig_nulleq[ac], t_bool, 2, k);
		return e->u.cmp.negate ? x : not_of(c, x);
	}
	case SEM_EXPR_COALESCE: {
		int rc = cls_of(e->type.oid);
		if (rc > C_STR)
			return NULL;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, e->u.list.n + 1);
		for (int i = 0; i < e->u.list.n; i++)
			k[i] = tr(c, e->u.list.items[i]);
		return fn_n(c, sig_coalesce[rc], e->type, e->u.list.n, k);
	}
	case SEM_EXPR_CASE: {
		int rc = cls_of(e->type.oid);
		if (rc > C_STR || e->u.case_.operand)
			return NULL;
		int nw = e->u.case_.nwhen, n = 2 * nw + 1;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, n);
		for (int i = 0; i < nw; i++) {
			k[2 * i] = tr(c, e->u.case_.conds[i]);
			k[2 * i + 1] = tr(c, e->u.case_.results[i]);
		}
		k[n - 1] = tr(c, e->u.case_.defresult);
		return fn_n(c, sig_case[rc], e->type, n, k);
	}
	default:
		return NULL;
	}
}

/* ---- verification: the store compiles the tipb back into the same tree -------------------- */

static int flatten(const sem_expr *e, sem_expr_kind k, const sem_expr **out, int n, int cap)
{
	if (e->kind == k) {
		for (int i = 0; i < e->u.list.n; i++)
			n = flatten(e->u.list.items[i], k, out, n, cap);
		return n;
	}
	if (n < cap)
		out[n] = e;
	return n + 1;
}

static bool same(const pl_copr_spec *s, const sem_expr *o, const sem_expr *c);

static bool same_list(const pl_copr_spec *s, sem_expr *const *a, sem_expr *const *b, int n)
{
	for (int i = 0; i < n; i++)
		if (!same(s, a[i], b[i]))
			return false;
	return true;
}

/* c is NOT(x) with x of kind k: returns x. */
static const sem_expr *under_not(const sem_expr *c, sem_expr_kind k)
{
	return c->kind == SEM_EXPR_NOT && c->u.arg1->kind == k ? c->u.arg1 : NULL;
}

static bool same(const pl_copr_spec *s, const sem_expr *o, const sem_expr *c)
{
	if (o->type.oid != c->type.oid)
		return false;
	if (run_const(o))
		return c->kind == SEM_EXPR_CONST;
	switch (o->kind) {
	case SEM_EXPR_COLUMN:
		return c->kind == SEM_EXPR_COLUMN && c->u.colno == s->vis_to_scan[o->u.colno];
	case SEM_EXPR_FUNC:
		return c->kind == SEM_EXPR_FUNC && c->u.func.fn == o->u.func.fn && c->u.func.nargs == o->u.func.nargs &&
			   same_list(s, o->u.func.args, c->u.func.args, o->u.func.nargs);
	case SEM_EXPR_CAST: {
		if (c->kind != SEM_EXPR_CAST || c->type.typmod != o->type.typmod ||
			c->u.cast.path.method != o->u.cast.path.method || c->u.cast.path.fn != o->u.cast.path.fn)
			return false;
		/* explicit and implicit casts differ only for strings (varchar(n) truncation) */
		if (cls_of(o->type.oid) == C_STR && c->u.cast.is_explicit != o->u.cast.is_explicit)
			return false;
		return same(s, o->u.cast.arg, c->u.cast.arg);
	}
	case SEM_EXPR_AND:
	case SEM_EXPR_OR: {
		const sem_expr *x[64], *y[64];
		int nx = flatten(o, o->kind, x, 0, 64), ny = flatten(c, o->kind, y, 0, 64);
		if (nx != ny || nx > 64)
			return false;
		for (int i = 0; i < nx; i++)
			if (!same(s, x[i], y[i]))
				return false;
		return true;
	}
	case SEM_EXPR_NOT:
		return c->kind == SEM_EXPR_NOT && same(s, o->u.arg1, c->u.arg1);
	case SEM_EXPR_NULLTEST: {
		const sem_expr *t = o->u.test.op == 0 ? c : under_not(c, SEM_EXPR_NULLTEST);
		return t && t->kind == SEM_EXPR_NULLTEST && t->u.test.op == 0 && same(s, o->u.test.arg, t->u.test.arg);
	}
	case SEM_EXPR_BOOLTEST: {
		int op = o->u.test.op;
		bool neg = op == SEM_IS_NOT_TRUE || op == SEM_IS_NOT_FALSE || op == SEM_IS_NOT_UNKNOWN;
		const sem_expr *t = neg ? (c->kind == SEM_EXPR_NOT ? c->u.arg1 : NULL) : c;
		if (!t)
			return false;
		if (op == SEM_IS_UNKNOWN || op == SEM_IS_NOT_UNKNOWN)
			return t->kind == SEM_EXPR_NULLTEST && t->u.test.op == 0 && same(s, o->u.test.arg, t->u.test.arg);
		int want = op == SEM_IS_TRUE || op == SEM_IS_NOT_TRUE ? SEM_IS_TRUE : SEM_IS_FALSE;
		return t->kind == SEM_EXPR_BOOLTEST && t->u.test.op == want && same(s, o->u.test.arg, t->u.test.arg);
	}
	case SEM_EXPR_IN: {
		const sem_expr *t = o->u.in.negate ? under_not(c, SEM_EXPR_IN) : c;
		return t && t->kind == SEM_EXPR_IN && !t->u.in.negate && t->u.in.eq == o->u.in.eq &&
			   t->u.in.n == o->u.in.n && same(s, o->u.in.lhs, t->u.in.lhs) &&
			   same_list(s, o->u.in.items, t->u.in.items, o->u.in.n);
	}
	case SEM_EXPR_DISTINCT: {
		const sem_expr *t = o->u.cmp.negate ? c : under_not(c, SEM_EXPR_DISTINCT);
		return t && t->kind == SEM_EXPR_DISTINCT && t->u.cmp.negate && t->u.cmp.eq == o->u.cmp.eq &&
			   same(s, o->u.cmp.a, t->u.cmp.a) && same(s, o->u.cmp.b, t->u.cmp.b);
	}
	case SEM_EXPR_COALESCE:
		return c->kind == SEM_EXPR_COALESCE && c->u.list.n == o->u.list.n &&
			   same_list(s, o->u.list.items, c->u.list.items, o->u.list.n);
	case SEM_EXPR_CASE:
		return c->kind == SEM_EXPR_CASE && !c->u.case_.operand && c->u.case_.nwhen == o->u.case_.nwhen &&
			   same_list(s, o->u.case_.conds, c->u.case_.conds, o->u.case_.nwhen) &&
			   same_list(s, o->u.case_.results, c->u.case_.results, o->u.case_.nwhen) &&
			   same(s, o->u.case_.defresult, c->u.case_.defresult);
	default:
		return false;
	}
}

/* Can the store evaluate e exactly as the gateway would? */
static bool pushable(const pl_copr_spec *s, cm_arena *a, const sem_expr *e)
{
	tr_ctx c = {.a = a, .s = s};
	Tipb__Expr *pb = tr(&c, e);
	if (!pb)
		return false;
	sem_expr *comp;
	cm_error err = {0};
	if (kv_copr_expr_compile(a, pb, s->cols, (size_t) s->nscan, &comp, NULL, &err) != CM_OK) {
		cm_error_clear(&err);
		return false;
	}
	return same(s, e, comp);
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
		if (!col_type_ok(ref->types[c]))
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
		if (pushable(s, a, conj[i]))
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

static cm_status copr_prepare(const void *arg, ex_state *st, cm_arena *a, kv_client **client, kv_copr_pool **pool,
							  kv_copr_request *req, bool *empty, bool *fallback, cm_error *err);
static cm_status copr_fallback(const void *arg, ex_state *st, ex_op **out, cm_error *err);

/* The coprocessor scan node replacing `replaced` (its fallback). */
static pl_node *copr_node(pl_binder *b, pl_copr_spec *s, const base_t *base, pl_node *fallback)
{
	cm_arena *a = b->arena;
	pl_scanspec *sp = cm_new(a, pl_scanspec);
	*sp = *base->sp;
	sp->acc = PL_ACC_COPR;
	sp->copr = s;
	sp->fallback = fallback;
	s->desc.prepare = copr_prepare;
	s->desc.fallback = copr_fallback;
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
	case EX_AGG_MAX: return d->nargs == 1 && cls_of(t) != C_NONE;
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
		ok = cls_of(agg->exprs[i]->type.oid) != C_NONE && pushable(s, b->arena, agg->exprs[i]);
	for (int i = 0; ok && i < agg->naggs; i++) {
		const ex_aggdesc *d = &agg->aggs[i];
		ok = agg_kind_ok(d) && (d->nargs == 0 || pushable(s, b->arena, d->args[0]));
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
	bool ok = pn->kind == PL_SCAN && lim->limit && run_const(lim->limit) && (!lim->offset || run_const(lim->offset));
	for (int k = 0; ok && sort && k < sort->nsort; k++)
		ok = cls_of(sort->sort[k].expr->type.oid) != C_NONE && pushable(s, b->arena, sort->sort[k].expr);
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

/* ---- execution ------------------------------------------------------------------------------ */

static void record_range(cm_arena *a, int64_t tid, cm_buf *lo, cm_buf *hi)
{
	cm_buf_init(lo);
	cm_buf_init(hi);
	kv_record_prefix(lo, tid);
	kv_prefix_next(hi, lo->data, lo->len);
}

bool pl_copr_usable(const pl_scanspec *sp, pl_env *env)
{
	if (!env || !env->allow_copr || !env->txn || !env->kv || !pl_copr_pool())
		return false;
	cm_buf lo, hi;
	record_range(NULL, sp->ref->table_id, &lo, &hi);
	bool w = kv_txn_has_writes_in(env->txn, (const uint8_t *) lo.data, lo.len, (const uint8_t *) hi.data, hi.len);
	cm_buf_free(&lo);
	cm_buf_free(&hi);
	return !w;
}

cm_status pl_copr_build(const pl_scanspec *spec, ex_state *st, ex_op **out, cm_error *err)
{
	const pl_copr_spec *s = spec->copr;
	*out = ex_copr_new(st, s->nout, s->out_types, &s->desc);
	return CM_OK;
}

static cm_status copr_fallback(const void *arg, ex_state *st, ex_op **out, cm_error *err)
{
	const pl_scanspec *sp = arg;
	return pl_build(st, sp->fallback, out, err);
}

/* An int8 run-time value of e (limit / offset / handle bound). */
static cm_status eval_int(ex_state *st, cm_arena *a, const sem_expr *e, bool *isnull, int64_t *v, cm_error *err)
{
	sem_datum d;
	if (pl_eval_const(st, a, e, &d, err) != CM_OK)
		return CM_ERROR;
	*isnull = d.isnull;
	if (!d.isnull)
		*v = e->type.oid == SEM_BOOLOID ? d.v.b : d.v.i;
	return CM_OK;
}

static bool is_int_type(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

static cm_status copr_prepare(const void *arg, ex_state *st, cm_arena *a, kv_client **client, kv_copr_pool **pool,
							  kv_copr_request *req, bool *empty, bool *fallback, cm_error *err)
{
	const pl_scanspec *sp = arg;
	const pl_copr_spec *s = sp->copr;
	pl_env *env = st->env;
	*empty = false;
	*fallback = false;
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "table scan outside a transaction");
	const cat_table *t;
	if (pl_tabref_current(s->ref, env, &t, err) != CM_OK)
		return CM_ERROR;
	*client = env->kv;
	*pool = pl_copr_pool();
	/* key range */
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	bool isnull;
	int64_t v;
	if (s->lo) {
		if (eval_int(st, a, s->lo, &isnull, &v, err) != CM_OK)
			return CM_ERROR;
		if (isnull || (s->lo_strict && v == INT64_MAX)) {
			*empty = true;
			return CM_OK;
		}
		lo = s->lo_strict ? v + 1 : v;
	}
	if (s->hi) {
		if (eval_int(st, a, s->hi, &isnull, &v, err) != CM_OK)
			return CM_ERROR;
		if (isnull || (s->hi_strict && v == INT64_MIN)) {
			*empty = true;
			return CM_OK;
		}
		hi = s->hi_strict ? v - 1 : v;
	}
	if (lo > hi) {
		*empty = true;
		return CM_OK;
	}
	kv_key_range *r = cm_new(a, kv_key_range);
	cm_buf b1, b2;
	record_range(a, t->id, &b1, &b2);
	if (lo != INT64_MIN) {
		uint8_t *k = cm_alloc(a, KV_RECORD_KEY_LEN);
		kv_record_key_fixed(k, t->id, lo);
		r->start.data = k;
		r->start.len = KV_RECORD_KEY_LEN;
	} else {
		r->start.data = cm_memdup(a, b1.data, b1.len);
		r->start.len = b1.len;
	}
	if (hi != INT64_MAX) {
		uint8_t *k = cm_alloc(a, KV_RECORD_KEY_LEN + 1);
		kv_record_key_fixed(k, t->id, hi);
		k[KV_RECORD_KEY_LEN] = 0;		/* just past the key of hi */
		r->end.data = k;
		r->end.len = KV_RECORD_KEY_LEN + 1;
	} else {
		r->end.data = cm_memdup(a, b2.data, b2.len);
		r->end.len = b2.len;
	}
	cm_buf_free(&b1);
	cm_buf_free(&b2);
	/* the DAG */
	kv_copr_dag *dp = cm_new(a, kv_copr_dag);		/* outlives this call: req->dag */
	kv_copr_dag_init(dp, a, true);
	Tipb__ColumnInfo **ci = cm_new_array(a, Tipb__ColumnInfo *, s->nscan);
	for (int i = 0; i < s->nscan; i++) {
		int vc = s->scan_vis[i];
		if (vc < 0) {
			ci[i] = kv_copr_pb_column(a, -1, &s->cols[i].ft, true, NULL, 0);
			continue;
		}
		const cat_column *col = &t->cols[s->ref->vis[vc]];
		bool handle = s->ref->vis[vc] == t->handle_col;
		const void *dv = NULL;
		size_t dl = 0;
		if (col->has_missing && !col->missing_null && !handle) {
			sem_datum md;
			kv_datum kd;
			cm_buf enc;
			cm_buf_init(&enc);
			if (cat_datum_from_cell(a, col->type, col->missing, col->missing_len, &md, err) != CM_OK ||
				kv_copr_sem_to_kvdatum(col->type, &md, a, &kd, err) != CM_OK ||
				kv_encode_value(&enc, &kd, 1, err) != CM_OK) {
				cm_buf_free(&enc);
				cm_error_clear(err);
				*fallback = true;
				return CM_OK;
			}
			dv = cm_memdup(a, enc.data, enc.len);
			dl = enc.len;
			cm_buf_free(&enc);
		}
		ci[i] = kv_copr_pb_column(a, col->id, &s->cols[i].ft, handle, dv, dl);
	}
	kv_copr_dag_table_scan(dp, t->id, ci, (size_t) s->nscan, false);
	tr_ctx c = {.a = a, .s = s, .st = st, .err = err};
	if (s->nconds) {
		Tipb__Expr **conds = cm_new_array(a, Tipb__Expr *, s->nconds);
		for (int i = 0; i < s->nconds; i++)
			if (!(conds[i] = tr(&c, s->conds[i])))
				goto untranslatable;
		kv_copr_dag_selection(dp, conds, (size_t) s->nconds);
	}
	if (s->agg) {
		Tipb__Expr **g = cm_new_array(a, Tipb__Expr *, s->ngroups + 1);
		Tipb__Expr **f = cm_new_array(a, Tipb__Expr *, s->naggs + 1);
		for (int i = 0; i < s->ngroups; i++)
			if (!(g[i] = tr(&c, s->groups[i])))
				goto untranslatable;
		for (int i = 0; i < s->naggs; i++) {
			const ex_aggdesc *ad = &s->aggs[i];
			Tipb__Expr *x = NULL;
			if (ad->nargs == 1 && !(x = tr(&c, ad->args[0])))
				goto untranslatable;
			int tp;
			switch (ad->kind) {
			case EX_AGG_COUNT_STAR:
			case EX_AGG_COUNT: tp = TIPB__EXPR_TYPE__Count; break;
			case EX_AGG_SUM: tp = TIPB__EXPR_TYPE__Sum; break;
			case EX_AGG_AVG: tp = TIPB__EXPR_TYPE__Avg; break;
			case EX_AGG_MIN: tp = TIPB__EXPR_TYPE__Min; break;
			default: tp = TIPB__EXPR_TYPE__Max; break;
			}
			f[i] = kv_copr_pb_agg(a, tp, NULL, x);
		}
		kv_copr_dag_aggregation(dp, g, (size_t) s->ngroups, f, (size_t) s->naggs, false);
	} else if (s->push_limit) {
		int64_t lim = 0, off = 0;
		if (eval_int(st, a, s->limit, &isnull, &lim, err) != CM_OK)
			return CM_ERROR;
		bool ok = !isnull && lim >= 0;
		if (ok && s->offset) {
			if (eval_int(st, a, s->offset, &isnull, &off, err) != CM_OK)
				return CM_ERROR;
			ok = off >= 0;
			if (isnull)
				off = 0;
		}
		if (ok && is_int_type(s->limit->type.oid)) {
			uint64_t n = (uint64_t) lim + (uint64_t) off;
			if (s->ntopn) {
				int nk = 0;
				Tipb__Expr **k = cm_new_array(a, Tipb__Expr *, 2 * s->ntopn);
				bool *desc = cm_new_array(a, bool, 2 * s->ntopn);
				for (int i = 0; i < s->ntopn; i++) {
					Tipb__Expr *x = tr(&c, s->topn[i].expr);
					if (!x)
						goto untranslatable;
					if (s->topn_nullable[i]) {
						int kc = cls_of(s->topn[i].expr->type.oid);
						k[nk] = fn1(&c, sig_isnull[kc], t_bool, tr(&c, s->topn[i].expr));
						if (!k[nk])
							goto untranslatable;
						desc[nk++] = s->topn[i].nulls_first;
					}
					k[nk] = x;
					desc[nk++] = s->topn[i].desc;
				}
				kv_copr_dag_topn(dp, k, desc, (size_t) nk, n);
			} else
				kv_copr_dag_limit(dp, n);
		}
	}
	memset(req, 0, sizeof *req);
	req->dag = &dp->req;
	req->ranges = r;
	req->n_ranges = 1;
	req->start_ts = kv_txn_read_ts(env->txn);
	req->keep_order = s->keep_order;
	req->cancel = env->cancel;
	req->deadline_us = kv_txn_deadline(env->txn);
	return CM_OK;

untranslatable:
	if (c.eval_failed)
		return CM_ERROR;
	*fallback = true;
	return CM_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------------------- */

static void expr_text(cm_buf *o, const pl_copr_spec *s, const sem_expr *e);

static void list_text(cm_buf *o, const pl_copr_spec *s, sem_expr *const *v, int n, const char *sep)
{
	for (int i = 0; i < n; i++) {
		if (i)
			cm_buf_puts(o, sep);
		expr_text(o, s, v[i]);
	}
}

static void expr_text(cm_buf *o, const pl_copr_spec *s, const sem_expr *e)
{
	switch (e->kind) {
	case SEM_EXPR_COLUMN:
		if (e->u.colno >= 0 && e->u.colno < s->ref->nvis)
			cm_buf_puts(o, s->ref->names[e->u.colno]);
		else
			cm_buf_puts(o, "?");
		return;
	case SEM_EXPR_CONST: {
		if (e->u.constval.isnull) {
			cm_buf_puts(o, "NULL");
			return;
		}
		sem_ctx ctx;
		memset(&ctx, 0, sizeof ctx);
		cm_arena *a = cm_arena_create(0);
		ctx.arena = a;
		ctx.timezone = "UTC";
		ctx.extra_float_digits = 1;
		char *txt = sem_out_cstring(&ctx, e->type, &e->u.constval);
		bool q = cls_of(e->type.oid) == C_STR;
		cm_buf_printf(o, q ? "'%s'" : "%s", txt ? txt : "?");
		cm_arena_destroy(a);
		return;
	}
	case SEM_EXPR_PARAM: cm_buf_printf(o, "$%d", e->u.paramno); return;
	case SEM_EXPR_FUNC: {
		const char *nm = e->u.func.fn->name;
		bool op = nm[0] && !((nm[0] >= 'a' && nm[0] <= 'z') || nm[0] == '_');
		if (op && e->u.func.nargs == 2) {
			cm_buf_putc(o, '(');
			expr_text(o, s, e->u.func.args[0]);
			cm_buf_printf(o, " %s ", nm);
			expr_text(o, s, e->u.func.args[1]);
			cm_buf_putc(o, ')');
		} else if (op && e->u.func.nargs == 1) {
			cm_buf_puts(o, nm);
			expr_text(o, s, e->u.func.args[0]);
		} else {
			cm_buf_printf(o, "%s(", nm);
			list_text(o, s, e->u.func.args, e->u.func.nargs, ", ");
			cm_buf_putc(o, ')');
		}
		return;
	}
	case SEM_EXPR_CAST:
		expr_text(o, s, e->u.cast.arg);
		cm_buf_printf(o, "::%s", sem_type_name(e->type.oid));
		return;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
		cm_buf_putc(o, '(');
		list_text(o, s, e->u.list.items, e->u.list.n, e->kind == SEM_EXPR_AND ? " AND " : " OR ");
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_NOT:
		cm_buf_puts(o, "NOT ");
		expr_text(o, s, e->u.arg1);
		return;
	case SEM_EXPR_NULLTEST:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.test.arg);
		cm_buf_puts(o, e->u.test.op ? " IS NOT NULL)" : " IS NULL)");
		return;
	case SEM_EXPR_IN:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.in.lhs);
		cm_buf_puts(o, e->u.in.negate ? " NOT IN (" : " IN (");
		list_text(o, s, e->u.in.items, e->u.in.n, ", ");
		cm_buf_puts(o, "))");
		return;
	case SEM_EXPR_COALESCE:
		cm_buf_puts(o, "COALESCE(");
		list_text(o, s, e->u.list.items, e->u.list.n, ", ");
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_CASE: cm_buf_puts(o, "CASE ... END"); return;
	case SEM_EXPR_DISTINCT:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.cmp.a);
		cm_buf_puts(o, e->u.cmp.negate ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
		expr_text(o, s, e->u.cmp.b);
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_BOOLTEST: {
		static const char *const t[] = {" IS TRUE", " IS NOT TRUE", " IS FALSE", " IS NOT FALSE", " IS UNKNOWN",
										" IS NOT UNKNOWN"};
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.test.arg);
		cm_buf_printf(o, "%s)", e->u.test.op >= 0 && e->u.test.op < 6 ? t[e->u.test.op] : "");
		return;
	}
	default: cm_buf_puts(o, "..."); return;
	}
}

static void pad(cm_buf *o, int indent)
{
	for (int i = 0; i < indent - 2; i++)
		cm_buf_putc(o, ' ');
}

static const char *agg_name(ex_aggkind k)
{
	switch (k) {
	case EX_AGG_COUNT_STAR:
	case EX_AGG_COUNT: return "count";
	case EX_AGG_SUM: return "sum";
	case EX_AGG_AVG: return "avg";
	case EX_AGG_MIN: return "min";
	default: return "max";
	}
}

static bool subtree_ran(const pl_node *n, const pl_opmap *map)
{
	if (!n || !map)
		return false;
	for (int i = 0; i < map->n; i++)
		if (map->nodes[i] == n)
			return true;
	return subtree_ran(n->left, map) || subtree_ran(n->right, map);
}

void pl_copr_explain(const pl_scanspec *sp, int indent, const pl_opmap *map, cm_buf *o)
{
	const pl_copr_spec *s = sp->copr;
	if (!s)
		return;
	pad(o, indent);
	cm_buf_printf(o, "Store: TableScan on %s columns (", s->ref->name);
	for (int i = 0; i < s->nscan; i++)
		cm_buf_printf(o, "%s%s", i ? ", " : "", s->scan_vis[i] >= 0 ? s->ref->names[s->scan_vis[i]] : "_rowid");
	cm_buf_puts(o, ")");
	if (s->lo || s->hi) {
		cm_buf_puts(o, " range ");
		cm_buf_puts(o, s->lo ? (s->lo_strict ? "(" : "[") : "(");
		if (s->lo)
			expr_text(o, s, s->lo);
		else
			cm_buf_puts(o, "-inf");
		cm_buf_puts(o, ", ");
		if (s->hi)
			expr_text(o, s, s->hi);
		else
			cm_buf_puts(o, "+inf");
		cm_buf_puts(o, s->hi ? (s->hi_strict ? ")" : "]") : ")");
	} else
		cm_buf_puts(o, " range: full table");
	cm_buf_putc(o, '\n');
	if (s->nconds) {
		pad(o, indent);
		cm_buf_puts(o, "Store: Selection ");
		list_text(o, s, s->conds, s->nconds, " AND ");
		cm_buf_putc(o, '\n');
	}
	if (s->agg) {
		pad(o, indent);
		cm_buf_puts(o, "Store: Partial Aggregation ");
		for (int i = 0; i < s->naggs; i++) {
			cm_buf_printf(o, "%s%s(", i ? ", " : "", agg_name(s->aggs[i].kind));
			if (s->aggs[i].nargs)
				expr_text(o, s, s->aggs[i].args[0]);
			else
				cm_buf_putc(o, '*');
			cm_buf_putc(o, ')');
		}
		if (s->ngroups) {
			cm_buf_puts(o, " group by ");
			list_text(o, s, s->groups, s->ngroups, ", ");
		}
		cm_buf_putc(o, '\n');
		pad(o, indent);
		cm_buf_puts(o, "Gateway: Final Aggregation (merge of per-region partials)\n");
	} else if (s->push_limit) {
		pad(o, indent);
		if (s->ntopn) {
			cm_buf_puts(o, "Store: TopN ");
			expr_text(o, s, s->limit);
			if (s->offset) {
				cm_buf_puts(o, " + ");
				expr_text(o, s, s->offset);
			}
			cm_buf_puts(o, " by ");
			for (int i = 0; i < s->ntopn; i++) {
				if (i)
					cm_buf_puts(o, ", ");
				expr_text(o, s, s->topn[i].expr);
				cm_buf_printf(o, "%s%s", s->topn[i].desc ? " DESC" : "",
							  s->topn_nullable[i] ? (s->topn[i].nulls_first ? " NULLS FIRST" : " NULLS LAST") : "");
			}
		} else {
			cm_buf_puts(o, "Store: Limit ");
			expr_text(o, s, s->limit);
			if (s->offset) {
				cm_buf_puts(o, " + ");
				expr_text(o, s, s->offset);
			}
		}
		cm_buf_putc(o, '\n');
	}
	if (!map)
		return;
	for (int i = 0; i < map->n; i++) {
		const void *arg;
		ex_copr_stats st;
		if (!ex_copr_get_stats(map->ops[i], &arg, &st) || arg != sp)
			continue;
		pad(o, indent);
		cm_buf_printf(o,
					  "Coprocessor: region tasks=%lld requests=%lld store rows=%lld wait=%.3f ms"
					  " region retries=%lld lock retries=%lld\n",
					  (long long) st.tasks, (long long) st.requests, (long long) st.store_rows,
					  (double) st.wait_ns / 1e6, (long long) st.region_retries, (long long) st.lock_retries);
		if (st.fallbacks) {
			pad(o, indent);
			cm_buf_puts(o, "Gateway fallback (request not expressible):\n");
			pl_explain_node_ex(sp->fallback, indent + 4, map, o);
		}
		return;
	}
	if (subtree_ran(sp->fallback, map)) {
		pad(o, indent);
		cm_buf_puts(o, "Gateway fallback (the transaction has writes in this table):\n");
		pl_explain_node_ex(sp->fallback, indent + 4, map, o);
	}
}
