/*
 * pl_copr_expr.c -- coprocessor pushdown: sem expressions as tipb.
 *
 * pl_copr_tr() translates a sem expression (a WHERE conjunct, group key,
 * aggregate argument or sort key) into a tipb expression over the scan
 * columns of a pl_copr_spec, using TiKV's scalar-function signatures by
 * value class (pl_copr_cls: int, real, decimal, string, time).  Constants,
 * $n and outer references are sent as constants: typed NULL placeholders
 * at plan time, their values at every open.
 *
 * pl_copr_pushable() decides what may be pushed: the tipb form must
 * compile back, with the store's own kv_copr_expr_compile, into the same
 * sem tree (same built-ins, casts and types), so the store evaluates what
 * the gateway would, with the same errors.
 *
 * Exported (pl_copr_internal.h): pl_copr_cls, pl_copr_col_type_ok,
 * pl_copr_run_const, pl_copr_tr, pl_copr_tr_isnull, pl_copr_pushable.
 */
#include <string.h>

#include "sql/plan/pl_copr_internal.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

/* ---- types -------------------------------------------------------------------------------- */

int pl_copr_cls(sem_oid o)
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
bool pl_copr_col_type_ok(sem_type t)
{
	return pl_copr_cls(t.oid) != C_NONE;
}
/* ---- expression translation: sem -> tipb ------------------------------------------------ */

/* Fixed for one open of the scan: constants, $n, outer references,
 * non-volatile functions and casts of those. */
bool pl_copr_run_const(const sem_expr *e)
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
			if (!pl_copr_run_const(e->u.func.args[i]))
				return false;
		return true;
	case SEM_EXPR_CAST:
		return pl_copr_run_const(e->u.cast.arg);
	default:
		return false;
	}
}

static Tipb__Expr *tr_datum(tr_ctx *c, sem_type t, const sem_datum *d)
{
	kv_copr_ftype ft;
	cm_error ign = {0};
	if (pl_copr_cls(t.oid) == C_NONE || kv_copr_ftype_of(t, &ft, &ign) != CM_OK) {
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
		Tipb__Expr *x = pl_copr_tr(c, e->u.list.items[i]);
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
		if (!(k[i] = pl_copr_tr(c, e->u.func.args[i])))
			return NULL;
	int ac = pl_copr_cls(e->u.func.args[0]->type.oid), rc = pl_copr_cls(e->type.oid);
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

Tipb__Expr *pl_copr_tr(tr_ctx *c, const sem_expr *e)
{
	if (c->eval_failed)
		return NULL;
	if (pl_copr_run_const(e)) {
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
		int fc = pl_copr_cls(e->u.cast.arg->type.oid), tc = pl_copr_cls(e->type.oid);
		if (fc == C_NONE || tc == C_NONE)
			return NULL;
		Tipb__Expr *x = pl_copr_tr(c, e->u.cast.arg);
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
		return not_of(c, pl_copr_tr(c, e->u.arg1));
	case SEM_EXPR_NULLTEST: {
		int ac = pl_copr_cls(e->u.test.arg->type.oid);
		if (ac > C_STR)
			return NULL;
		Tipb__Expr *x = fn1(c, sig_isnull[ac], t_bool, pl_copr_tr(c, e->u.test.arg));
		return e->u.test.op == 0 ? x : not_of(c, x);
	}
	case SEM_EXPR_BOOLTEST: {
		if (e->u.test.arg->type.oid != SEM_BOOLOID)
			return NULL;
		Tipb__Expr *x = pl_copr_tr(c, e->u.test.arg);
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
		int ac = pl_copr_cls(e->u.in.lhs->type.oid);
		if (ac > C_STR || e->u.in.n < 1)
			return NULL;
		int n = e->u.in.n + 1;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, n);
		k[0] = pl_copr_tr(c, e->u.in.lhs);
		for (int i = 0; i < e->u.in.n; i++)
			k[i + 1] = pl_copr_tr(c, e->u.in.items[i]);
		Tipb__Expr *x = fn_n(c, sig_in[ac], t_bool, n, k);
		return e->u.in.negate ? not_of(c, x) : x;
	}
	case SEM_EXPR_DISTINCT: {
		int ac = pl_copr_cls(e->u.cmp.a->type.oid);
		if (ac > C_STR)
			return NULL;
		Tipb__Expr *k[2] = {pl_copr_tr(c, e->u.cmp.a), pl_copr_tr(c, e->u.cmp.b)};
		Tipb__Expr *x = fn_n(c, sig_nulleq[ac], t_bool, 2, k);
		return e->u.cmp.negate ? x : not_of(c, x);
	}
	case SEM_EXPR_COALESCE: {
		int rc = pl_copr_cls(e->type.oid);
		if (rc > C_STR)
			return NULL;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, e->u.list.n + 1);
		for (int i = 0; i < e->u.list.n; i++)
			k[i] = pl_copr_tr(c, e->u.list.items[i]);
		return fn_n(c, sig_coalesce[rc], e->type, e->u.list.n, k);
	}
	case SEM_EXPR_CASE: {
		int rc = pl_copr_cls(e->type.oid);
		if (rc > C_STR || e->u.case_.operand)
			return NULL;
		int nw = e->u.case_.nwhen, n = 2 * nw + 1;
		Tipb__Expr **k = cm_new_array(c->a, Tipb__Expr *, n);
		for (int i = 0; i < nw; i++) {
			k[2 * i] = pl_copr_tr(c, e->u.case_.conds[i]);
			k[2 * i + 1] = pl_copr_tr(c, e->u.case_.results[i]);
		}
		k[n - 1] = pl_copr_tr(c, e->u.case_.defresult);
		return fn_n(c, sig_case[rc], e->type, n, k);
	}
	default:
		return NULL;
	}
}

/* "e IS NULL" (e of a class the store compares). */
Tipb__Expr *pl_copr_tr_isnull(tr_ctx *c, const sem_expr *e)
{
	return fn1(c, sig_isnull[pl_copr_cls(e->type.oid)], t_bool, pl_copr_tr(c, e));
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
	if (pl_copr_run_const(o))
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
		if (pl_copr_cls(o->type.oid) == C_STR && c->u.cast.is_explicit != o->u.cast.is_explicit)
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
bool pl_copr_pushable(const pl_copr_spec *s, cm_arena *a, const sem_expr *e)
{
	tr_ctx c = {.a = a, .s = s};
	Tipb__Expr *pb = pl_copr_tr(&c, e);
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

