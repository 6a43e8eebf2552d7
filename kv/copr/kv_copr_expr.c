/*
 * kv_copr_expr.c -- compile tipb.Expr trees into sem_expr trees.
 *
 * The sig table below is the one place the tipb ScalarFuncSig -> sem
 * mapping lives (kv_copr_expr.h and docs/storage.md describe it).  Built-ins
 * are resolved by operator name against the sem registry with the compiled
 * argument types: an exact match first, then the candidate that needs the
 * fewest implicit casts (PostgreSQL's pg_cast 'i' entries), which get
 * inserted as SEM_EXPR_CAST nodes.
 *
 * Exported: kv_copr_expr_compile, kv_copr_expr_as_bool, kv_copr_sig_supported.
 */
#include "kv/copr/kv_copr_expr.h"

#include <stdio.h>
#include <string.h>

#include "kv/codec/kv_codec.h"
#include "sql/sem/sem_cast.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_numeric.h"

typedef enum sig_kind {
	SK_OP2,		 /* binary built-in by name */
	SK_OP1,		 /* unary built-in by name */
	SK_AND,
	SK_OR,
	SK_NOT,
	SK_XOR,
	SK_ISNULL,
	SK_ISTRUE,	 /* x IS TRUE (never NULL) */
	SK_ISFALSE,	 /* x IS FALSE (never NULL) */
	SK_TRUENULL, /* x <> 0 keeping NULL */
	SK_IN,
	SK_NULLEQ,
	SK_LIKE,
	SK_COALESCE,
	SK_IF,
	SK_CASEWHEN,
	SK_CAST,
} sig_kind;

typedef struct sig_map {
	int sig;
	sig_kind kind;
	const char *op;
} sig_map;

#define CMP_ROW(fam, op)                                                     \
	{TIPB__SCALAR_FUNC_SIG__##fam##Int, SK_OP2, op},                         \
		{TIPB__SCALAR_FUNC_SIG__##fam##Real, SK_OP2, op},                    \
		{TIPB__SCALAR_FUNC_SIG__##fam##Decimal, SK_OP2, op},                 \
		{TIPB__SCALAR_FUNC_SIG__##fam##String, SK_OP2, op},                  \
	{                                                                        \
		TIPB__SCALAR_FUNC_SIG__##fam##Time, SK_OP2, op                       \
	}

static const sig_map sigs[] = {
	CMP_ROW(LT, "<"),
	CMP_ROW(LE, "<="),
	CMP_ROW(GT, ">"),
	CMP_ROW(GE, ">="),
	CMP_ROW(EQ, "="),
	CMP_ROW(NE, "<>"),
	{TIPB__SCALAR_FUNC_SIG__NullEQInt, SK_NULLEQ, "="},
	{TIPB__SCALAR_FUNC_SIG__NullEQReal, SK_NULLEQ, "="},
	{TIPB__SCALAR_FUNC_SIG__NullEQDecimal, SK_NULLEQ, "="},
	{TIPB__SCALAR_FUNC_SIG__NullEQString, SK_NULLEQ, "="},
	{TIPB__SCALAR_FUNC_SIG__NullEQTime, SK_NULLEQ, "="},
	{TIPB__SCALAR_FUNC_SIG__PlusInt, SK_OP2, "+"},
	{TIPB__SCALAR_FUNC_SIG__PlusReal, SK_OP2, "+"},
	{TIPB__SCALAR_FUNC_SIG__PlusDecimal, SK_OP2, "+"},
	{TIPB__SCALAR_FUNC_SIG__MinusInt, SK_OP2, "-"},
	{TIPB__SCALAR_FUNC_SIG__MinusReal, SK_OP2, "-"},
	{TIPB__SCALAR_FUNC_SIG__MinusDecimal, SK_OP2, "-"},
	{TIPB__SCALAR_FUNC_SIG__MultiplyInt, SK_OP2, "*"},
	{TIPB__SCALAR_FUNC_SIG__MultiplyReal, SK_OP2, "*"},
	{TIPB__SCALAR_FUNC_SIG__MultiplyDecimal, SK_OP2, "*"},
	{TIPB__SCALAR_FUNC_SIG__DivideReal, SK_OP2, "/"},
	{TIPB__SCALAR_FUNC_SIG__DivideDecimal, SK_OP2, "/"},
	{TIPB__SCALAR_FUNC_SIG__IntDivideInt, SK_OP2, "/"},
	{TIPB__SCALAR_FUNC_SIG__IntDivideDecimal, SK_OP2, "div"},
	{TIPB__SCALAR_FUNC_SIG__ModInt, SK_OP2, "%"},
	{TIPB__SCALAR_FUNC_SIG__ModDecimal, SK_OP2, "%"},
	{TIPB__SCALAR_FUNC_SIG__UnaryMinusInt, SK_OP1, "-"},
	{TIPB__SCALAR_FUNC_SIG__UnaryMinusReal, SK_OP1, "-"},
	{TIPB__SCALAR_FUNC_SIG__UnaryMinusDecimal, SK_OP1, "-"},
	{TIPB__SCALAR_FUNC_SIG__AbsInt, SK_OP1, "abs"},
	{TIPB__SCALAR_FUNC_SIG__AbsReal, SK_OP1, "abs"},
	{TIPB__SCALAR_FUNC_SIG__AbsDecimal, SK_OP1, "abs"},
	{TIPB__SCALAR_FUNC_SIG__LogicalAnd, SK_AND, NULL},
	{TIPB__SCALAR_FUNC_SIG__LogicalOr, SK_OR, NULL},
	{TIPB__SCALAR_FUNC_SIG__LogicalXor, SK_XOR, NULL},
	{TIPB__SCALAR_FUNC_SIG__UnaryNotInt, SK_NOT, NULL},
	{TIPB__SCALAR_FUNC_SIG__UnaryNotReal, SK_NOT, NULL},
	{TIPB__SCALAR_FUNC_SIG__UnaryNotDecimal, SK_NOT, NULL},
	{TIPB__SCALAR_FUNC_SIG__IntIsNull, SK_ISNULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__RealIsNull, SK_ISNULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__DecimalIsNull, SK_ISNULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__StringIsNull, SK_ISNULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__TimeIsNull, SK_ISNULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__IntIsTrue, SK_ISTRUE, NULL},
	{TIPB__SCALAR_FUNC_SIG__RealIsTrue, SK_ISTRUE, NULL},
	{TIPB__SCALAR_FUNC_SIG__DecimalIsTrue, SK_ISTRUE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IntIsFalse, SK_ISFALSE, NULL},
	{TIPB__SCALAR_FUNC_SIG__RealIsFalse, SK_ISFALSE, NULL},
	{TIPB__SCALAR_FUNC_SIG__DecimalIsFalse, SK_ISFALSE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IntIsTrueWithNull, SK_TRUENULL, NULL},
	{TIPB__SCALAR_FUNC_SIG__InInt, SK_IN, "="},
	{TIPB__SCALAR_FUNC_SIG__InReal, SK_IN, "="},
	{TIPB__SCALAR_FUNC_SIG__InDecimal, SK_IN, "="},
	{TIPB__SCALAR_FUNC_SIG__InString, SK_IN, "="},
	{TIPB__SCALAR_FUNC_SIG__InTime, SK_IN, "="},
	{TIPB__SCALAR_FUNC_SIG__IfNullInt, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfNullReal, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfNullDecimal, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfNullString, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfNullTime, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__CoalesceInt, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__CoalesceReal, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__CoalesceDecimal, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__CoalesceString, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__CoalesceTime, SK_COALESCE, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfInt, SK_IF, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfReal, SK_IF, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfDecimal, SK_IF, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfString, SK_IF, NULL},
	{TIPB__SCALAR_FUNC_SIG__IfTime, SK_IF, NULL},
	{TIPB__SCALAR_FUNC_SIG__CaseWhenInt, SK_CASEWHEN, NULL},
	{TIPB__SCALAR_FUNC_SIG__CaseWhenReal, SK_CASEWHEN, NULL},
	{TIPB__SCALAR_FUNC_SIG__CaseWhenDecimal, SK_CASEWHEN, NULL},
	{TIPB__SCALAR_FUNC_SIG__CaseWhenString, SK_CASEWHEN, NULL},
	{TIPB__SCALAR_FUNC_SIG__CaseWhenTime, SK_CASEWHEN, NULL},
	{TIPB__SCALAR_FUNC_SIG__LikeSig, SK_LIKE, "~~"},
	{TIPB__SCALAR_FUNC_SIG__CastIntAsInt, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastIntAsReal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastIntAsDecimal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastRealAsInt, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastRealAsReal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastRealAsDecimal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastDecimalAsInt, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastDecimalAsReal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastDecimalAsDecimal, SK_CAST, NULL},
	{TIPB__SCALAR_FUNC_SIG__CastStringAsString, SK_CAST, NULL},
};

static const sig_map *
find_sig(int sig)
{
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigs[i].sig == sig)
			return &sigs[i];
	return NULL;
}

bool
kv_copr_sig_supported(int sig)
{
	return find_sig(sig) != NULL;
}

/* ---- helpers ---------------------------------------------------------------- */

static sem_type
mk_type(sem_oid oid, int32_t typmod)
{
	sem_type t = {oid, typmod};
	return t;
}

static sem_expr *
mk_cast(cm_arena *a, sem_expr *arg, sem_type to, const sem_cast_path *path, bool is_explicit)
{
	sem_expr *c = sem_expr_new(a, SEM_EXPR_CAST, to, -1);
	c->u.cast.arg = arg;
	c->u.cast.path = *path;
	c->u.cast.is_explicit = is_explicit;
	return c;
}

/* varchar / name arguments reach text built-ins by relabelling. */
static sem_oid
canon_oid(sem_oid o)
{
	return o == SEM_VARCHAROID ? SEM_TEXTOID : o;
}

/* Resolve name(args) to a built-in, inserting implicit casts into args. */
static cm_status
resolve(cm_arena *a, const char *name, int nargs, sem_expr **args, const sem_builtin **out,
		cm_error *err)
{
	const sem_builtin *cands[64];
	size_t n = sem_func_candidates(name, nargs, cands, 64);
	if (n > 64)
		n = 64;
	const sem_builtin *best = NULL;
	int best_casts = 1 << 20;
	for (size_t i = 0; i < n; i++) {
		const sem_builtin *b = cands[i];
		int casts = 0;
		bool ok = true;
		for (int j = 0; j < nargs && ok; j++) {
			sem_oid want = b->args[j], have = args[j]->type.oid;
			if (want == have || canon_oid(have) == want)
				continue;
			if (!sem_can_coerce(have, want, SEM_COERCE_IMPLICIT))
				ok = false;
			else
				casts++;
		}
		if (ok && casts < best_casts) {
			best = b;
			best_casts = casts;
		}
	}
	if (!best) {
		char t0[8] = "", t1[8] = "";
		if (nargs > 0)
			(void) snprintf(t0, sizeof t0, "%u", (unsigned) args[0]->type.oid);
		if (nargs > 1)
			(void) snprintf(t1, sizeof t1, "%u", (unsigned) args[1]->type.oid);
		return cm_error_set(err, CM_E_UNDEFINED_FUNCTION,
							"coprocessor: no built-in %s for argument types (%s%s%s)", name, t0,
							nargs > 1 ? ", " : "", t1);
	}
	for (int j = 0; j < nargs; j++) {
		sem_oid want = best->args[j], have = args[j]->type.oid;
		if (want == have)
			continue;
		sem_cast_path path;
		if (!sem_cast_find(have, want, SEM_COERCE_IMPLICIT, &path))
			return cm_error_set(err, CM_E_UNDEFINED_FUNCTION,
								"coprocessor: cannot coerce type %u to %u", (unsigned) have,
								(unsigned) want);
		args[j] = mk_cast(a, args[j], mk_type(want, -1), &path, false);
	}
	*out = best;
	return CM_OK;
}

static sem_expr *
mk_func(cm_arena *a, const sem_builtin *fn, int nargs, sem_expr **args)
{
	sem_expr **copy = cm_alloc(a, sizeof(sem_expr *) * (size_t) (nargs ? nargs : 1));
	for (int i = 0; i < nargs; i++)
		copy[i] = args[i];
	return sem_expr_func(a, fn, nargs, copy, -1);
}

static cm_status
zero_const(cm_arena *a, sem_type t, sem_expr **out, cm_error *err)
{
	sem_datum z;
	memset(&z, 0, sizeof z);
	switch (t.oid) {
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		z.v.i = 0;
		break;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		z.v.f = 0;
		break;
	case SEM_NUMERICOID:
		z.v.num = sem_num_from_int(a, 0);
		break;
	default:
		return cm_error_set(err, CM_E_DATATYPE_MISMATCH,
							"coprocessor: a condition must be boolean or numeric, not type %u",
							(unsigned) t.oid);
	}
	*out = sem_expr_const(a, mk_type(t.oid, -1), &z, -1);
	return CM_OK;
}

cm_status
kv_copr_expr_as_bool(cm_arena *a, sem_expr *e, sem_expr **out, cm_error *err)
{
	if (e->type.oid == SEM_BOOLOID) {
		*out = e;
		return CM_OK;
	}
	if (e->type.oid == SEM_UNKNOWNOID && e->kind == SEM_EXPR_CONST && e->u.constval.isnull) {
		*out = sem_expr_null(a, mk_type(SEM_BOOLOID, -1), -1);
		return CM_OK;
	}
	sem_expr *args[2] = {e, NULL};
	if (zero_const(a, e->type, &args[1], err) != CM_OK)
		return CM_ERROR;
	const sem_builtin *ne;
	if (resolve(a, "<>", 2, args, &ne, err) != CM_OK)
		return CM_ERROR;
	*out = mk_func(a, ne, 2, args);
	return CM_OK;
}

/* ---- constants ------------------------------------------------------------------ */

static bool
has_ft(const Tipb__Expr *e)
{
	return e->field_type && e->field_type->tp != 0;
}

/* The sem type a constant takes: its field type if that has the same class,
 * else dflt. */
static sem_type
const_type(const Tipb__Expr *e, sem_oid dflt, bool (*same_class)(sem_oid))
{
	if (has_ft(e)) {
		kv_copr_ftype ft = kv_copr_ftype_from_pb(e->field_type);
		sem_type t;
		cm_error ign = {0};
		if (kv_copr_sem_type_of(&ft, &t, &ign) == CM_OK && same_class(t.oid))
			return t;
		cm_error_clear(&ign);
	}
	return mk_type(dflt, -1);
}

static bool
int_class(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID || o == SEM_BOOLOID;
}
static bool
float_class(sem_oid o)
{
	return o == SEM_FLOAT4OID || o == SEM_FLOAT8OID;
}
static bool
str_class(sem_oid o)
{
	return o == SEM_TEXTOID || o == SEM_VARCHAROID || o == SEM_BPCHAROID || o == SEM_BYTEAOID;
}
static bool
dt_class(sem_oid o)
{
	return o == SEM_DATEOID || o == SEM_TIMESTAMPOID || o == SEM_TIMESTAMPTZOID;
}
static bool
num_class(sem_oid o)
{
	return o == SEM_NUMERICOID;
}

static cm_status
bad_const(cm_error *err, const char *what)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "coprocessor: malformed %s constant",
						what);
}

static cm_status
compile_const(cm_arena *a, const Tipb__Expr *e, sem_expr **out, cm_error *err)
{
	sem_datum d;
	memset(&d, 0, sizeof d);
	const uint8_t *v = e->val.data;
	size_t n = e->val.len;
	sem_type t;
	switch (e->tp) {
	case TIPB__EXPR_TYPE__Null: {
		if (has_ft(e)) {
			kv_copr_ftype ft = kv_copr_ftype_from_pb(e->field_type);
			if (kv_copr_sem_type_of(&ft, &t, err) != CM_OK)
				return CM_ERROR;
		} else
			t = mk_type(SEM_UNKNOWNOID, -1);
		*out = sem_expr_null(a, t, -1);
		return CM_OK;
	}
	case TIPB__EXPR_TYPE__Int64:
	case TIPB__EXPR_TYPE__Uint64: {
		if (n != 8)
			return bad_const(err, "integer");
		bool is_u = e->tp == TIPB__EXPR_TYPE__Uint64;
		if (is_u && kv_get_uint(v) > (uint64_t) INT64_MAX) {
			char buf[32];
			int len = snprintf(buf, sizeof buf, "%llu", (unsigned long long) kv_get_uint(v));
			if (sem_num_in(a, buf, (size_t) len, -1, &d.v.num, err) != CM_OK)
				return CM_ERROR;
			t = mk_type(SEM_NUMERICOID, -1);
			break;
		}
		int64_t iv = is_u ? (int64_t) kv_get_uint(v) : kv_get_int(v);
		t = const_type(e, SEM_INT8OID, int_class);
		if ((t.oid == SEM_INT2OID && (iv < INT16_MIN || iv > INT16_MAX)) ||
			(t.oid == SEM_INT4OID && (iv < INT32_MIN || iv > INT32_MAX)))
			t = mk_type(SEM_INT8OID, -1);
		if (t.oid == SEM_BOOLOID)
			d.v.b = iv != 0;
		else
			d.v.i = iv;
		break;
	}
	case TIPB__EXPR_TYPE__Float32:
	case TIPB__EXPR_TYPE__Float64:
		if (n != 8)
			return bad_const(err, "float");
		d.v.f = kv_cmp_to_float(kv_get_uint(v));
		t = const_type(e, e->tp == TIPB__EXPR_TYPE__Float32 ? SEM_FLOAT4OID : SEM_FLOAT8OID,
					   float_class);
		if (t.oid == SEM_FLOAT4OID)
			d.v.f = (double) (float) d.v.f;
		break;
	case TIPB__EXPR_TYPE__String:
	case TIPB__EXPR_TYPE__Bytes:
		t = const_type(e, e->tp == TIPB__EXPR_TYPE__String ? SEM_TEXTOID : SEM_BYTEAOID,
					   str_class);
		d.v.s.p = n ? cm_memdup(a, v, n) : "";
		d.v.s.len = (uint32_t) n;
		break;
	case TIPB__EXPR_TYPE__MysqlDecimal: {
		cm_buf b;
		cm_buf_init(&b);
		const uint8_t *p = v;
		cm_status rc = kv_decode_decimal(&p, v + n, &b, NULL, NULL, err);
		if (rc == CM_OK)
			rc = sem_num_in(a, b.data, b.len, -1, &d.v.num, err);
		cm_buf_free(&b);
		if (rc != CM_OK)
			return CM_ERROR;
		t = const_type(e, SEM_NUMERICOID, num_class);
		t.typmod = -1;
		break;
	}
	case TIPB__EXPR_TYPE__MysqlTime: {
		if (n != 8)
			return bad_const(err, "time");
		t = const_type(e, SEM_TIMESTAMPOID, dt_class);
		kv_datum kd = kv_datum_uint(kv_get_uint(v));
		if (kv_copr_kvdatum_to_sem(&kd, t, a, &d, err) != CM_OK)
			return CM_ERROR;
		break;
	}
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: unsupported expression type %d", (int) e->tp);
	}
	*out = sem_expr_const(a, t, &d, -1);
	return CM_OK;
}

/* ---- scalar functions -------------------------------------------------------- */

static cm_status compile(cm_arena *a, const Tipb__Expr *e, const kv_copr_col *cols, size_t ncols,
						 sem_expr **out, cm_error *err);

static cm_status
compile_children(cm_arena *a, const Tipb__Expr *e, const kv_copr_col *cols, size_t ncols,
				 sem_expr ***out, cm_error *err)
{
	sem_expr **args = cm_alloc(a, sizeof(sem_expr *) * (e->n_children ? e->n_children : 1));
	for (size_t i = 0; i < e->n_children; i++)
		if (compile(a, e->children[i], cols, ncols, &args[i], err) != CM_OK)
			return CM_ERROR;
	*out = args;
	return CM_OK;
}

static cm_status
want_children(const Tipb__Expr *e, size_t lo, size_t hi, cm_error *err)
{
	if (e->n_children < lo || e->n_children > hi)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"coprocessor: function sig %d with %zu arguments", (int) e->sig,
							e->n_children);
	return CM_OK;
}

/* Cast every item to type t (implicitly) unless it already has it. */
static cm_status
unify(cm_arena *a, sem_expr **items, int n, sem_type t, cm_error *err)
{
	for (int i = 0; i < n; i++) {
		sem_oid have = items[i]->type.oid;
		if (have == t.oid || (have == SEM_UNKNOWNOID && items[i]->kind == SEM_EXPR_CONST &&
							  items[i]->u.constval.isnull)) {
			if (have == SEM_UNKNOWNOID)
				items[i] = sem_expr_null(a, t, -1);
			continue;
		}
		sem_cast_path path;
		if (!sem_cast_find(have, t.oid, SEM_COERCE_IMPLICIT, &path))
			return cm_error_set(err, CM_E_DATATYPE_MISMATCH,
								"coprocessor: cannot coerce type %u to %u", (unsigned) have,
								(unsigned) t.oid);
		items[i] = mk_cast(a, items[i], mk_type(t.oid, -1), &path, false);
	}
	return CM_OK;
}

/* The common type of value-producing arguments (COALESCE, IF, CASE): the
 * first non-unknown type, widened to one every other argument coerces to. */
static sem_type
common_type(sem_expr **items, int n)
{
	sem_type t = mk_type(SEM_UNKNOWNOID, -1);
	for (int i = 0; i < n; i++) {
		sem_oid o = items[i]->type.oid;
		if (o == SEM_UNKNOWNOID)
			continue;
		if (t.oid == SEM_UNKNOWNOID || sem_can_coerce(t.oid, o, SEM_COERCE_IMPLICIT))
			t = mk_type(o, -1);
	}
	return t;
}

static cm_status
compile_func(cm_arena *a, const Tipb__Expr *e, const kv_copr_col *cols, size_t ncols,
			 sem_expr **out, cm_error *err)
{
	const sig_map *m = find_sig(e->sig);
	if (!m)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: unsupported function sig %d", (int) e->sig);
	sem_expr **args;
	if (compile_children(a, e, cols, ncols, &args, err) != CM_OK)
		return CM_ERROR;
	int n = (int) e->n_children;
	const sem_builtin *fn;
	sem_type boolt = mk_type(SEM_BOOLOID, -1);

	switch (m->kind) {
	case SK_OP2:
		if (want_children(e, 2, 2, err) != CM_OK || resolve(a, m->op, 2, args, &fn, err) != CM_OK)
			return CM_ERROR;
		*out = mk_func(a, fn, 2, args);
		return CM_OK;
	case SK_OP1:
		if (want_children(e, 1, 1, err) != CM_OK || resolve(a, m->op, 1, args, &fn, err) != CM_OK)
			return CM_ERROR;
		*out = mk_func(a, fn, 1, args);
		return CM_OK;
	case SK_AND:
	case SK_OR: {
		if (want_children(e, 1, 1u << 16, err) != CM_OK)
			return CM_ERROR;
		for (int i = 0; i < n; i++)
			if (kv_copr_expr_as_bool(a, args[i], &args[i], err) != CM_OK)
				return CM_ERROR;
		sem_expr *r = sem_expr_new(a, m->kind == SK_AND ? SEM_EXPR_AND : SEM_EXPR_OR, boolt, -1);
		r->u.list.n = n;
		r->u.list.items = args;
		*out = r;
		return CM_OK;
	}
	case SK_NOT: {
		if (want_children(e, 1, 1, err) != CM_OK ||
			kv_copr_expr_as_bool(a, args[0], &args[0], err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_NOT, boolt, -1);
		r->u.arg1 = args[0];
		*out = r;
		return CM_OK;
	}
	case SK_XOR: {
		if (want_children(e, 2, 2, err) != CM_OK ||
			kv_copr_expr_as_bool(a, args[0], &args[0], err) != CM_OK ||
			kv_copr_expr_as_bool(a, args[1], &args[1], err) != CM_OK ||
			resolve(a, "<>", 2, args, &fn, err) != CM_OK)
			return CM_ERROR;
		*out = mk_func(a, fn, 2, args);
		return CM_OK;
	}
	case SK_ISNULL: {
		if (want_children(e, 1, 1, err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_NULLTEST, boolt, -1);
		r->u.test.arg = args[0];
		r->u.test.op = 0;
		*out = r;
		return CM_OK;
	}
	case SK_ISTRUE:
	case SK_ISFALSE:
	case SK_TRUENULL: {
		if (want_children(e, 1, 1, err) != CM_OK ||
			kv_copr_expr_as_bool(a, args[0], &args[0], err) != CM_OK)
			return CM_ERROR;
		if (m->kind == SK_TRUENULL) {
			*out = args[0];
			return CM_OK;
		}
		sem_expr *r = sem_expr_new(a, SEM_EXPR_BOOLTEST, boolt, -1);
		r->u.test.arg = args[0];
		r->u.test.op = m->kind == SK_ISTRUE ? SEM_IS_TRUE : SEM_IS_FALSE;
		*out = r;
		return CM_OK;
	}
	case SK_NULLEQ: {
		if (want_children(e, 2, 2, err) != CM_OK || resolve(a, "=", 2, args, &fn, err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_DISTINCT, boolt, -1);
		r->u.cmp.eq = fn;
		r->u.cmp.a = args[0];
		r->u.cmp.b = args[1];
		r->u.cmp.negate = true;
		*out = r;
		return CM_OK;
	}
	case SK_IN: {
		if (want_children(e, 2, 1u << 20, err) != CM_OK)
			return CM_ERROR;
		sem_expr *pair[2] = {args[0], args[1]};
		if (resolve(a, "=", 2, pair, &fn, err) != CM_OK)
			return CM_ERROR;
		sem_type item_t = mk_type(fn->args[1], -1);
		sem_expr *lhs = pair[0];
		if (unify(a, args + 1, n - 1, item_t, err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_IN, boolt, -1);
		r->u.in.eq = fn;
		r->u.in.lhs = lhs;
		r->u.in.n = n - 1;
		r->u.in.items = args + 1;
		r->u.in.negate = false;
		*out = r;
		return CM_OK;
	}
	case SK_LIKE: {
		if (want_children(e, 2, 3, err) != CM_OK)
			return CM_ERROR;
		if (n == 3) {
			const Tipb__Expr *esc = e->children[2];
			if (esc->tp != TIPB__EXPR_TYPE__Int64 || esc->val.len != 8 ||
				kv_get_int(esc->val.data) != '\\')
				return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
									"coprocessor: LIKE with an escape other than '\\\\'");
		}
		if (resolve(a, m->op, 2, args, &fn, err) != CM_OK)
			return CM_ERROR;
		*out = mk_func(a, fn, 2, args);
		return CM_OK;
	}
	case SK_COALESCE: {
		if (want_children(e, 1, 1u << 16, err) != CM_OK)
			return CM_ERROR;
		sem_type t = common_type(args, n);
		if (unify(a, args, n, t, err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_COALESCE, t, -1);
		r->u.list.n = n;
		r->u.list.items = args;
		*out = r;
		return CM_OK;
	}
	case SK_IF:
	case SK_CASEWHEN: {
		/* IF: (cond, then, else); CASE WHEN: cond1, res1, ..., [else] */
		if (m->kind == SK_IF ? want_children(e, 3, 3, err) : want_children(e, 1, 1u << 16, err))
			return CM_ERROR;
		int nwhen = n / 2;
		bool has_else = n % 2 == 1;
		sem_expr **results = cm_alloc(a, sizeof(sem_expr *) * (size_t) (nwhen + 1));
		sem_expr **conds = cm_alloc(a, sizeof(sem_expr *) * (size_t) (nwhen + 1));
		for (int i = 0; i < nwhen; i++) {
			conds[i] = args[2 * i];
			results[i] = args[2 * i + 1];
			if (kv_copr_expr_as_bool(a, conds[i], &conds[i], err) != CM_OK)
				return CM_ERROR;
		}
		results[nwhen] = has_else ? args[n - 1] : NULL;
		int nres = nwhen + (has_else ? 1 : 0);
		sem_type t = common_type(results, nres);
		if (unify(a, results, nres, t, err) != CM_OK)
			return CM_ERROR;
		sem_expr *r = sem_expr_new(a, SEM_EXPR_CASE, t, -1);
		r->u.case_.operand = NULL;
		r->u.case_.nwhen = nwhen;
		r->u.case_.conds = conds;
		r->u.case_.results = results;
		r->u.case_.defresult = has_else ? results[nwhen] : sem_expr_null(a, t, -1);
		*out = r;
		return CM_OK;
	}
	case SK_CAST: {
		if (want_children(e, 1, 1, err) != CM_OK)
			return CM_ERROR;
		if (!has_ft(e))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"coprocessor: cast without a field type");
		kv_copr_ftype ft = kv_copr_ftype_from_pb(e->field_type);
		sem_type to;
		if (kv_copr_sem_type_of(&ft, &to, err) != CM_OK)
			return CM_ERROR;
		sem_oid from = args[0]->type.oid;
		if (from == to.oid && to.typmod < 0) {
			*out = args[0];
			return CM_OK;
		}
		sem_cast_path path;
		if (!sem_cast_find(from, to.oid, SEM_COERCE_EXPLICIT, &path))
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
								"coprocessor: no cast from type %u to %u", (unsigned) from,
								(unsigned) to.oid);
		*out = mk_cast(a, args[0], to, &path, false);
		return CM_OK;
	}
	}
	return cm_error_set(err, CM_E_INTERNAL_ERROR, "coprocessor: bad sig kind");
}

static cm_status
compile(cm_arena *a, const Tipb__Expr *e, const kv_copr_col *cols, size_t ncols, sem_expr **out,
		cm_error *err)
{
	if (!e)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "coprocessor: missing expression");
	if (e->tp == TIPB__EXPR_TYPE__ColumnRef) {
		if (e->val.len != 8)
			return bad_const(err, "column reference");
		int64_t off = kv_get_int(e->val.data);
		if (off < 0 || (size_t) off >= ncols)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"coprocessor: column offset %lld out of range (%zu columns)",
								(long long) off, ncols);
		*out = sem_expr_column(a, (int) off, cols[off].st, -1);
		return CM_OK;
	}
	if (e->tp == TIPB__EXPR_TYPE__ScalarFunc)
		return compile_func(a, e, cols, ncols, out, err);
	return compile_const(a, e, out, err);
}

cm_status
kv_copr_expr_compile(cm_arena *arena, const Tipb__Expr *e, const kv_copr_col *cols, size_t ncols,
					 sem_expr **out, kv_copr_col *col, cm_error *err)
{
	if (compile(arena, e, cols, ncols, out, err) != CM_OK)
		return CM_ERROR;
	if (col) {
		col->st = (*out)->type;
		if (e->tp == TIPB__EXPR_TYPE__ColumnRef) {
			col->ft = cols[kv_get_int(e->val.data)].ft;
		} else if (has_ft(e)) {
			col->ft = kv_copr_ftype_from_pb(e->field_type);
		} else {
			if (col->st.oid == SEM_UNKNOWNOID)
				col->st = mk_type(SEM_TEXTOID, -1);
			if (kv_copr_ftype_of(col->st, &col->ft, err) != CM_OK)
				return CM_ERROR;
		}
	}
	return CM_OK;
}
