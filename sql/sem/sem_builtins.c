/*
 * sem_builtins.c -- operators and math functions on bool, integers, floats,
 * numeric, bytea and uuid, with PostgreSQL 15's results and errors.
 *
 * Integer operators are written once per RESULT type (int2, int4, int8):
 * inputs of smaller types are already widened in sem_datum.v.i, so e.g.
 * int24pl and int4pl share one implementation that checks the int4 range.
 * Float operators check overflow/underflow as float.c does
 * ("value out of range: overflow").
 */
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sql/sem/sem_cast.h"
#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

static inline cm_status ret_i(sem_datum *out, int64_t v)
{
	out->isnull = false;
	out->v.i = v;
	return CM_OK;
}
static inline cm_status ret_f(sem_datum *out, double v)
{
	out->isnull = false;
	out->v.f = v;
	return CM_OK;
}
static inline cm_status ret_b(sem_datum *out, bool v)
{
	out->isnull = false;
	out->v.b = v;
	return CM_OK;
}
static inline cm_status ret_n(sem_datum *out, sem_numeric *n)
{
	out->isnull = false;
	out->v.num = n;
	return CM_OK;
}

/* ---- comparison ------------------------------------------------------------ */

static int cmp_float(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
	size_t n = la < lb ? la : lb;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

static size_t bpchar_len(const sem_datum *d)
{
	size_t n = d->v.s.len;
	while (n > 0 && d->v.s.p[n - 1] == ' ')
		n--;
	return n;
}

int sem_datum_compare(sem_oid oid, const sem_datum *a, const sem_datum *b)
{
	switch (oid) {
	case SEM_BOOLOID:
		return (int) a->v.b - (int) b->v.b;
	case SEM_INT2OID: case SEM_INT4OID: case SEM_INT8OID: case SEM_CHAROID:
		return a->v.i < b->v.i ? -1 : a->v.i > b->v.i ? 1 : 0;
	case SEM_OIDOID: case SEM_REGCLASSOID: case SEM_REGTYPEOID: case SEM_REGPROCOID:
	case SEM_REGNAMESPACEOID: case SEM_REGROLEOID: /* [vcat] */
		return (uint32_t) a->v.i < (uint32_t) b->v.i ? -1 : (uint32_t) a->v.i > (uint32_t) b->v.i ? 1 : 0;
	case SEM_FLOAT4OID: case SEM_FLOAT8OID:
		return cmp_float(a->v.f, b->v.f);
	case SEM_NUMERICOID:
		return sem_num_cmp(a->v.num, b->v.num);
	case SEM_BPCHAROID:
		return cmp_bytes(a->v.s.p, bpchar_len(a), b->v.s.p, bpchar_len(b));
	case SEM_UUIDOID:
		return cmp_bytes((const char *) a->v.uuid, 16, (const char *) b->v.uuid, 16);
	default:
		if (sem_dt_is_datetime(oid))
			return sem_dt_compare(oid, a, b);
		if (sem_array_elem_type(oid))
			return sem_array_compare(oid, a, b);
		return cmp_bytes(a->v.s.p, a->v.s.len, b->v.s.p, b->v.s.len);
	}
}

#define CMP_FAMILY(tag, expr)                                                   \
	static int tag##_cmp(const sem_datum *a, const sem_datum *b) { return expr; } \
	static cm_status tag##_eq(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) == 0); } \
	static cm_status tag##_ne(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) != 0); } \
	static cm_status tag##_lt(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) < 0); }  \
	static cm_status tag##_le(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) <= 0); } \
	static cm_status tag##_gt(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) > 0); }  \
	static cm_status tag##_ge(ARGS) { return ret_b(out, tag##_cmp(&args[0], &args[1]) >= 0); }

CMP_FAMILY(int, sem_datum_compare(SEM_INT8OID, a, b))
CMP_FAMILY(oid, sem_datum_compare(SEM_OIDOID, a, b))
CMP_FAMILY(flt, cmp_float(a->v.f, b->v.f))
CMP_FAMILY(num, sem_num_cmp(a->v.num, b->v.num))
CMP_FAMILY(bool, (int) a->v.b - (int) b->v.b)
CMP_FAMILY(txt, cmp_bytes(a->v.s.p, a->v.s.len, b->v.s.p, b->v.s.len))
CMP_FAMILY(bpc, sem_datum_compare(SEM_BPCHAROID, a, b))
CMP_FAMILY(uuid, sem_datum_compare(SEM_UUIDOID, a, b))

/* ---- integers ------------------------------------------------------------------ */

static cm_status int_result(int64_t v, sem_oid t, sem_datum *out, cm_error *err)
{
	if ((t == SEM_INT2OID && (v < INT16_MIN || v > INT16_MAX)) ||
		(t == SEM_INT4OID && (v < INT32_MIN || v > INT32_MAX)))
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range",
							t == SEM_INT2OID ? "smallint" : "integer");
	return ret_i(out, v);
}

static cm_status i8_ovf(cm_error *err)
{
	return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
}

#define INT_OPS(sfx, T)                                                                           \
	static cm_status i##sfx##_pl(ARGS)                                                            \
	{                                                                                             \
		int64_t r;                                                                                \
		if (__builtin_add_overflow(args[0].v.i, args[1].v.i, &r)) return i8_ovf(err);            \
		return int_result(r, T, out, err);                                                        \
	}                                                                                             \
	static cm_status i##sfx##_mi(ARGS)                                                            \
	{                                                                                             \
		int64_t r;                                                                                \
		if (__builtin_sub_overflow(args[0].v.i, args[1].v.i, &r)) return i8_ovf(err);            \
		return int_result(r, T, out, err);                                                        \
	}                                                                                             \
	static cm_status i##sfx##_mul(ARGS)                                                           \
	{                                                                                             \
		int64_t r;                                                                                \
		if (__builtin_mul_overflow(args[0].v.i, args[1].v.i, &r)) return i8_ovf(err);            \
		return int_result(r, T, out, err);                                                        \
	}                                                                                             \
	static cm_status i##sfx##_div(ARGS)                                                           \
	{                                                                                             \
		if (args[1].v.i == 0)                                                                     \
			return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");                  \
		if (args[1].v.i == -1) {                                                                  \
			if (args[0].v.i == INT64_MIN) return i8_ovf(err);                                     \
			return int_result(-args[0].v.i, T, out, err);                                         \
		}                                                                                         \
		return int_result(args[0].v.i / args[1].v.i, T, out, err);                                \
	}                                                                                             \
	static cm_status i##sfx##_mod(ARGS)                                                           \
	{                                                                                             \
		if (args[1].v.i == 0)                                                                     \
			return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");                  \
		if (args[1].v.i == -1) return ret_i(out, 0);                                              \
		return ret_i(out, args[0].v.i % args[1].v.i);                                             \
	}                                                                                             \
	static cm_status i##sfx##_um(ARGS)                                                            \
	{                                                                                             \
		if (args[0].v.i == INT64_MIN) return i8_ovf(err);                                         \
		return int_result(-args[0].v.i, T, out, err);                                             \
	}                                                                                             \
	static cm_status i##sfx##_abs(ARGS)                                                           \
	{                                                                                             \
		if (args[0].v.i == INT64_MIN) return i8_ovf(err);                                         \
		return int_result(args[0].v.i < 0 ? -args[0].v.i : args[0].v.i, T, out, err);            \
	}                                                                                             \
	static cm_status i##sfx##_shl(ARGS)                                                           \
	{                                                                                             \
		int bits = T == SEM_INT2OID ? 16 : T == SEM_INT4OID ? 32 : 64;                            \
		uint64_t u = (uint64_t) args[0].v.i << (args[1].v.i & (bits - 1));                       \
		int64_t r = bits == 16 ? (int16_t) u : bits == 32 ? (int32_t) u : (int64_t) u;            \
		return ret_i(out, r);                                                                     \
	}                                                                                             \
	static cm_status i##sfx##_shr(ARGS)                                                           \
	{                                                                                             \
		int bits = T == SEM_INT2OID ? 16 : T == SEM_INT4OID ? 32 : 64;                            \
		return ret_i(out, args[0].v.i >> (args[1].v.i & (bits - 1)));                             \
	}

INT_OPS(2, SEM_INT2OID)
INT_OPS(4, SEM_INT4OID)
INT_OPS(8, SEM_INT8OID)

static cm_status int_and(ARGS) { return ret_i(out, args[0].v.i & args[1].v.i); }
static cm_status int_or(ARGS) { return ret_i(out, args[0].v.i | args[1].v.i); }
static cm_status int_xor(ARGS) { return ret_i(out, args[0].v.i ^ args[1].v.i); }
static cm_status int_not(ARGS) { return ret_i(out, ~args[0].v.i); }
static cm_status any_up(ARGS) { *out = args[0]; return CM_OK; }

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static cm_status int_gcd_common(ARGS, sem_oid t)
{
	int64_t a = args[0].v.i, b = args[1].v.i;
	int64_t g = (a == INT64_MIN || b == INT64_MIN) ? 0 : gcd64(a < 0 ? -a : a, b < 0 ? -b : b);
	if ((a == INT64_MIN || b == INT64_MIN)) {
		uint64_t ua = a == INT64_MIN ? (uint64_t) INT64_MAX + 1 : (uint64_t) (a < 0 ? -a : a);
		uint64_t ub = b == INT64_MIN ? (uint64_t) INT64_MAX + 1 : (uint64_t) (b < 0 ? -b : b);
		while (ub) { uint64_t tt = ua % ub; ua = ub; ub = tt; }
		if (ua > (uint64_t) INT64_MAX) return i8_ovf(err);
		g = (int64_t) ua;
	}
	return int_result(g, t, out, err);
}
static cm_status i4_gcd(ARGS) { return int_gcd_common(ctx, nargs, args, out, err, SEM_INT4OID); }
static cm_status i8_gcd(ARGS) { return int_gcd_common(ctx, nargs, args, out, err, SEM_INT8OID); }
static cm_status int_lcm_common(ARGS, sem_oid t)
{
	int64_t a = args[0].v.i, b = args[1].v.i;
	if (a == 0 || b == 0)
		return ret_i(out, 0);
	int64_t g = gcd64(a < 0 ? -a : a, b < 0 ? -b : b);
	int64_t r;
	if (__builtin_mul_overflow(a / g, b, &r) || r == INT64_MIN)
		return t == SEM_INT8OID ? i8_ovf(err) : int_result(INT64_MAX, t, out, err);
	return int_result(r < 0 ? -r : r, t, out, err);
}
static cm_status i4_lcm(ARGS) { return int_lcm_common(ctx, nargs, args, out, err, SEM_INT4OID); }
static cm_status i8_lcm(ARGS) { return int_lcm_common(ctx, nargs, args, out, err, SEM_INT8OID); }

static cm_status to_hex(ARGS)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%llx", (unsigned long long) (uint64_t) args[0].v.i);
	sem_set_str(ctx->arena, out, buf, (size_t) n);
	return CM_OK;
}
static cm_status to_hex32(ARGS)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%x", (unsigned) (int32_t) args[0].v.i);
	sem_set_str(ctx->arena, out, buf, (size_t) n);
	return CM_OK;
}

/* ---- floats -------------------------------------------------------------------- */

static cm_status f_overflow(cm_error *err)
{
	return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
}
static cm_status f_underflow(cm_error *err)
{
	return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow");
}
static cm_status f_zerodiv(cm_error *err)
{
	return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
}

static cm_status f8_pl(ARGS)
{
	double a = args[0].v.f, b = args[1].v.f, r = a + b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	return ret_f(out, r);
}
static cm_status f8_mi(ARGS)
{
	double a = args[0].v.f, b = args[1].v.f, r = a - b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	return ret_f(out, r);
}
static cm_status f8_mul(ARGS)
{
	double a = args[0].v.f, b = args[1].v.f, r = a * b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	if (r == 0.0 && a != 0.0 && b != 0.0) return f_underflow(err);
	return ret_f(out, r);
}
static cm_status f8_div(ARGS)
{
	double a = args[0].v.f, b = args[1].v.f;
	if (b == 0.0 && !isnan(a)) return f_zerodiv(err);
	double r = a / b;
	if (isinf(r) && !isinf(a)) return f_overflow(err);
	if (r == 0.0 && a != 0.0 && !isinf(b)) return f_underflow(err);
	return ret_f(out, r);
}
static cm_status f4_pl(ARGS)
{
	float a = (float) args[0].v.f, b = (float) args[1].v.f, r = a + b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	return ret_f(out, r);
}
static cm_status f4_mi(ARGS)
{
	float a = (float) args[0].v.f, b = (float) args[1].v.f, r = a - b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	return ret_f(out, r);
}
static cm_status f4_mul(ARGS)
{
	float a = (float) args[0].v.f, b = (float) args[1].v.f, r = a * b;
	if (isinf(r) && !isinf(a) && !isinf(b)) return f_overflow(err);
	if (r == 0.0f && a != 0.0f && b != 0.0f) return f_underflow(err);
	return ret_f(out, r);
}
static cm_status f4_div(ARGS)
{
	float a = (float) args[0].v.f, b = (float) args[1].v.f;
	if (b == 0.0f && !isnan(a)) return f_zerodiv(err);
	float r = a / b;
	if (isinf(r) && !isinf(a)) return f_overflow(err);
	if (r == 0.0f && a != 0.0f && !isinf(b)) return f_underflow(err);
	return ret_f(out, r);
}
static cm_status f_um(ARGS) { return ret_f(out, -args[0].v.f); }
static cm_status f_abs(ARGS) { return ret_f(out, fabs(args[0].v.f)); }
static cm_status f_round(ARGS) { return ret_f(out, rint(args[0].v.f)); }
static cm_status f_trunc(ARGS) { return ret_f(out, trunc(args[0].v.f)); }
static cm_status f_ceil(ARGS) { return ret_f(out, ceil(args[0].v.f)); }
static cm_status f_floor(ARGS) { return ret_f(out, floor(args[0].v.f)); }
static cm_status f_sign(ARGS)
{
	double a = args[0].v.f;
	return ret_f(out, a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0);
}
static cm_status f_sqrt(ARGS)
{
	double a = args[0].v.f;
	if (a < 0)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION, "cannot take square root of a negative number");
	return ret_f(out, sqrt(a));
}
static cm_status f_cbrt(ARGS) { return ret_f(out, cbrt(args[0].v.f)); }
static cm_status f_exp(ARGS)
{
	double a = args[0].v.f, r;
	if (isnan(a)) r = a;
	else if (isinf(a)) r = a > 0 ? a : 0;
	else {
		r = exp(a);
		if (isinf(r)) return f_overflow(err);
		if (r == 0.0) return f_underflow(err);
	}
	return ret_f(out, r);
}
static cm_status f_log_common(ARGS, bool ten)
{
	double a = args[0].v.f;
	if (a == 0.0)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero");
	if (a < 0)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number");
	return ret_f(out, ten ? log10(a) : log(a));
}
static cm_status f_ln(ARGS) { return f_log_common(ctx, nargs, args, out, err, false); }
static cm_status f_log10(ARGS) { return f_log_common(ctx, nargs, args, out, err, true); }
static cm_status f_pow(ARGS)
{
	double a = args[0].v.f, b = args[1].v.f, r;
	if (isnan(a)) return ret_f(out, b == 0 ? 1.0 : a);
	if (isnan(b)) return ret_f(out, a == 1.0 ? 1.0 : b);
	if (a == 0 && b < 0)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION, "zero raised to a negative power is undefined");
	if (a < 0 && floor(b) != b && !isinf(b))
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
							"a negative number raised to a non-integer power yields a complex result");
	if (isinf(b)) {
		double aa = fabs(a);
		if (aa == 1.0) r = 1.0;
		else if (b > 0) r = aa > 1.0 ? b : 0.0;
		else r = aa > 1.0 ? 0.0 : -b;
	} else if (isinf(a)) {
		if (a > 0) r = b > 0 ? a : 0.0;
		else {
			bool odd = fmod(fabs(b), 2.0) == 1.0;
			if (b > 0) r = odd ? a : -a;
			else r = odd ? -0.0 : 0.0;
		}
	} else {
		r = pow(a, b);
		if (isinf(r)) return f_overflow(err);
		if (r == 0.0 && a != 0.0) return f_underflow(err);
	}
	return ret_f(out, r);
}
static cm_status f_pi(ARGS) { return ret_f(out, M_PI); }
static cm_status f_degrees(ARGS) { return ret_f(out, args[0].v.f * (180.0 / M_PI)); }
static cm_status f_radians(ARGS) { return ret_f(out, args[0].v.f * (M_PI / 180.0)); }
static cm_status f_sin(ARGS) { return ret_f(out, sin(args[0].v.f)); }
static cm_status f_cos(ARGS) { return ret_f(out, cos(args[0].v.f)); }
static cm_status f_tan(ARGS) { return ret_f(out, tan(args[0].v.f)); }
static cm_status f_atan(ARGS) { return ret_f(out, atan(args[0].v.f)); }
static cm_status f_atan2(ARGS) { return ret_f(out, atan2(args[0].v.f, args[1].v.f)); }

/* ---- numeric --------------------------------------------------------------------- */

static cm_status n_pl(ARGS) { return ret_n(out, sem_num_add(ctx->arena, args[0].v.num, args[1].v.num)); }
static cm_status n_mi(ARGS) { return ret_n(out, sem_num_sub(ctx->arena, args[0].v.num, args[1].v.num)); }
static cm_status n_mul(ARGS) { return ret_n(out, sem_num_mul(ctx->arena, args[0].v.num, args[1].v.num)); }
static cm_status n_div(ARGS)
{
	out->isnull = false;
	return sem_num_div(ctx->arena, args[0].v.num, args[1].v.num, &out->v.num, err);
}
static cm_status n_divtrunc(ARGS)
{
	out->isnull = false;
	return sem_num_div_trunc(ctx->arena, args[0].v.num, args[1].v.num, &out->v.num, err);
}
static cm_status n_mod(ARGS)
{
	out->isnull = false;
	return sem_num_mod(ctx->arena, args[0].v.num, args[1].v.num, &out->v.num, err);
}
static cm_status n_um(ARGS) { return ret_n(out, sem_num_neg(ctx->arena, args[0].v.num)); }
static cm_status n_abs(ARGS) { return ret_n(out, sem_num_abs(ctx->arena, args[0].v.num)); }
static cm_status n_round(ARGS) { return ret_n(out, sem_num_round(ctx->arena, args[0].v.num, nargs > 1 ? (int) args[1].v.i : 0)); }
static cm_status n_trunc(ARGS) { return ret_n(out, sem_num_trunc(ctx->arena, args[0].v.num, nargs > 1 ? (int) args[1].v.i : 0)); }
static cm_status n_ceil(ARGS) { return ret_n(out, sem_num_ceil(ctx->arena, args[0].v.num)); }
static cm_status n_floor(ARGS) { return ret_n(out, sem_num_floor(ctx->arena, args[0].v.num)); }
static cm_status n_sign(ARGS) { return ret_n(out, sem_num_sign(ctx->arena, args[0].v.num)); }
static cm_status n_scale(ARGS)
{
	if (sem_num_is_special(args[0].v.num)) {
		out->isnull = true;
		return CM_OK;
	}
	return ret_i(out, sem_num_scale(args[0].v.num));
}
static cm_status n_sqrt(ARGS)
{
	out->isnull = false;
	return sem_num_sqrt(ctx->arena, args[0].v.num, &out->v.num, err);
}
static cm_status n_exp(ARGS)
{
	out->isnull = false;
	return sem_num_exp(ctx->arena, args[0].v.num, &out->v.num, err);
}
static cm_status n_ln(ARGS)
{
	out->isnull = false;
	return sem_num_ln(ctx->arena, args[0].v.num, &out->v.num, err);
}
static cm_status n_log10(ARGS)
{
	out->isnull = false;
	return sem_num_log(ctx->arena, sem_num_from_int(ctx->arena, 10), args[0].v.num, &out->v.num, err);
}
static cm_status n_log(ARGS)
{
	out->isnull = false;
	return sem_num_log(ctx->arena, args[0].v.num, args[1].v.num, &out->v.num, err);
}
static cm_status n_pow(ARGS)
{
	out->isnull = false;
	return sem_num_power(ctx->arena, args[0].v.num, args[1].v.num, &out->v.num, err);
}
static cm_status n_gcd_lcm(ARGS, bool lcm)
{
	const sem_numeric *a = args[0].v.num, *b = args[1].v.num;
	if (sem_num_is_special(a) || sem_num_is_special(b)) {
		sem_datum d;
		if (sem_in_text(ctx, (sem_type){SEM_NUMERICOID, -1}, "NaN", 3, &d, err) != CM_OK)
			return CM_ERROR;
		return ret_n(out, d.v.num);
	}
	/* Euclid on exact values with remainders */
	sem_numeric *x = sem_num_abs(ctx->arena, a), *y = sem_num_abs(ctx->arena, b);
	int ds = a->dscale > b->dscale ? a->dscale : b->dscale;
	while (!sem_num_is_zero(y)) {
		sem_numeric *r;
		if (sem_num_mod(ctx->arena, x, y, &r, err) != CM_OK)
			return CM_ERROR;
		x = y;
		y = r;
	}
	sem_numeric *g = sem_num_round(ctx->arena, x, ds);
	if (!lcm)
		return ret_n(out, g);
	if (sem_num_is_zero(a) || sem_num_is_zero(b))
		return ret_n(out, sem_num_round(ctx->arena, sem_num_from_int(ctx->arena, 0), ds));
	sem_numeric *q;
	if (sem_num_div_trunc(ctx->arena, sem_num_abs(ctx->arena, a), g, &q, err) != CM_OK)
		return CM_ERROR;
	return ret_n(out, sem_num_round(ctx->arena, sem_num_mul(ctx->arena, q, sem_num_abs(ctx->arena, b)), ds));
}
static cm_status n_gcd(ARGS) { return n_gcd_lcm(ctx, nargs, args, out, err, false); }
static cm_status n_lcm(ARGS) { return n_gcd_lcm(ctx, nargs, args, out, err, true); }
static cm_status n_trim_scale(ARGS)
{
	const sem_numeric *n = args[0].v.num;
	if (sem_num_is_special(n))
		return ret_n(out, (sem_numeric *) n);
	int s = n->dscale;
	while (s > 0) {
		sem_numeric *t = sem_num_trunc(ctx->arena, n, s - 1);
		if (sem_num_cmp(t, n) != 0)
			break;
		s--;
	}
	return ret_n(out, sem_num_trunc(ctx->arena, n, s));
}
static cm_status n_min_scale(ARGS)
{
	const sem_numeric *n = args[0].v.num;
	if (sem_num_is_special(n)) {
		out->isnull = true;
		return CM_OK;
	}
	int s = n->dscale;
	while (s > 0 && sem_num_cmp(sem_num_trunc(ctx->arena, n, s - 1), n) == 0)
		s--;
	return ret_i(out, s);
}
static cm_status i8_factorial(ARGS)
{
	int64_t n = args[0].v.i;
	if (n < 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "factorial of a negative number is undefined");
	sem_numeric *r = sem_num_from_int(ctx->arena, 1);
	for (int64_t i = 2; i <= n; i++) {
		r = sem_num_mul(ctx->arena, r, sem_num_from_int(ctx->arena, i));
		if (ctx->cancel && *ctx->cancel)
			return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
		if (r->nlimbs > 2000)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
	}
	return ret_n(out, r);
}

/* ---- bytea ------------------------------------------------------------------------ */

static cm_status bytea_cat(ARGS)
{
	size_t n = (size_t) args[0].v.s.len + args[1].v.s.len;
	char *m = cm_alloc(ctx->arena, n + 1);
	memcpy(m, args[0].v.s.p, args[0].v.s.len);
	memcpy(m + args[0].v.s.len, args[1].v.s.p, args[1].v.s.len);
	m[n] = '\0';
	out->isnull = false;
	out->v.s.p = m;
	out->v.s.len = (uint32_t) n;
	return CM_OK;
}

/* ---- the tables --------------------------------------------------------------------- */

/* ---- width_bucket ---------------------------------------------------------------------- */

#define E_WIDTH_BUCKET "2201G"	/* invalid_argument_for_width_bucket_function */

static cm_status wb_result(int64_t r, sem_datum *out, cm_error *err)
{
	if (r > INT32_MAX)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range");
	out->isnull = false;
	out->v.i = r;
	return CM_OK;
}

/* width_bucket(operand, low, high, count) for float8, as PostgreSQL 15 */
static cm_status f8_width_bucket(ARGS)
{
	(void) ctx; (void) nargs;
	double op = args[0].v.f, b1 = args[1].v.f, b2 = args[2].v.f;
	int64_t count = args[3].v.i, r;
	if (count <= 0)
		return cm_error_set(err, E_WIDTH_BUCKET, "count must be greater than zero");
	if (isnan(op) || isnan(b1) || isnan(b2))
		return cm_error_set(err, E_WIDTH_BUCKET, "operand, lower bound, and upper bound cannot be NaN");
	if (isinf(b1) || isinf(b2))
		return cm_error_set(err, E_WIDTH_BUCKET, "lower and upper bounds must be finite");
	if (b1 < b2) {
		if (op < b1)
			r = 0;
		else if (op >= b2)
			r = count + 1;
		else {
			double q = !isinf(b2 - b1) ? ((op - b1) * (double) count) / (b2 - b1)
									   : ((op / 4 - b1 / 4) * (double) count) / (b2 / 4 - b1 / 4);
			r = (int64_t) q;
			if (r >= count)
				r = count - 1;
			r++;
		}
	} else if (b1 > b2) {
		if (op > b1)
			r = 0;
		else if (op <= b2)
			r = count + 1;
		else {
			double q = !isinf(b1 - b2) ? ((b1 - op) * (double) count) / (b1 - b2)
									   : ((b1 / 4 - op / 4) * (double) count) / (b1 / 4 - b2 / 4);
			r = (int64_t) q;
			if (r >= count)
				r = count - 1;
			r++;
		}
	} else
		return cm_error_set(err, E_WIDTH_BUCKET, "lower bound cannot equal upper bound");
	return wb_result(r, out, err);
}

static cm_status num_width_bucket(ARGS)
{
	(void) nargs;
	const sem_numeric *op = args[0].v.num, *b1 = args[1].v.num, *b2 = args[2].v.num;
	int64_t count = args[3].v.i, r;
	if (count <= 0)
		return cm_error_set(err, E_WIDTH_BUCKET, "count must be greater than zero");
	if (sem_num_is_nan(op) || sem_num_is_nan(b1) || sem_num_is_nan(b2))
		return cm_error_set(err, E_WIDTH_BUCKET, "operand, lower bound, and upper bound cannot be NaN");
	if (sem_num_is_inf(b1) || sem_num_is_inf(b2))
		return cm_error_set(err, E_WIDTH_BUCKET, "lower and upper bounds must be finite");
	int c = sem_num_cmp(b1, b2);
	if (c == 0)
		return cm_error_set(err, E_WIDTH_BUCKET, "lower bound cannot equal upper bound");
	if (c < 0 ? sem_num_cmp(op, b1) < 0 : sem_num_cmp(op, b1) > 0)
		r = 0;
	else if (c < 0 ? sem_num_cmp(op, b2) >= 0 : sem_num_cmp(op, b2) <= 0)
		r = count + 1;
	else {
		cm_arena *a = ctx->arena;
		sem_numeric *num = c < 0 ? sem_num_sub(a, op, b1) : sem_num_sub(a, b1, op);
		sem_numeric *den = c < 0 ? sem_num_sub(a, b2, b1) : sem_num_sub(a, b1, b2);
		sem_numeric *q;
		num = sem_num_mul(a, num, sem_num_from_int(a, count));
		if (sem_num_div_trunc(a, num, den, &q, err) != CM_OK ||
			sem_num_to_int(q, INT64_MIN, INT64_MAX, "bigint", &r, err) != CM_OK)
			return CM_ERROR;
		if (r >= count)
			r = count - 1;
		r++;
	}
	return wb_result(r, out, err);
}


#define I2 SEM_INT2OID
#define I4 SEM_INT4OID
#define I8 SEM_INT8OID
#define F4 SEM_FLOAT4OID
#define F8 SEM_FLOAT8OID
#define NU SEM_NUMERICOID
#define BO SEM_BOOLOID
#define TX SEM_TEXTOID
#define BP SEM_BPCHAROID
#define NM SEM_NAMEOID
#define BY SEM_BYTEAOID
#define UU SEM_UUIDOID
#define CH SEM_CHAROID
#define OI SEM_OIDOID
#define S SEM_FN_STRICT
#define P SEM_FN_PUSHDOWN

#define CMP6(a, b, tag, fl)                                 \
	{"=", 2, {a, b}, BO, S | (fl), tag##_eq},               \
	{"<>", 2, {a, b}, BO, S | (fl), tag##_ne},              \
	{"<", 2, {a, b}, BO, S | (fl), tag##_lt},               \
	{"<=", 2, {a, b}, BO, S | (fl), tag##_le},              \
	{">", 2, {a, b}, BO, S | (fl), tag##_gt},               \
	{">=", 2, {a, b}, BO, S | (fl), tag##_ge}

static const sem_builtin core[] = {
	/* integer arithmetic: result type is the wider input */
#define IARITH(a, b, sfx, R)                                   \
	{"+", 2, {a, b}, R, S | P, i##sfx##_pl},                   \
	{"-", 2, {a, b}, R, S | P, i##sfx##_mi},                   \
	{"*", 2, {a, b}, R, S | P, i##sfx##_mul},                  \
	{"/", 2, {a, b}, R, S | P, i##sfx##_div}
	IARITH(I2, I2, 2, I2), IARITH(I2, I4, 4, I4), IARITH(I4, I2, 4, I4), IARITH(I4, I4, 4, I4),
	IARITH(I2, I8, 8, I8), IARITH(I8, I2, 8, I8), IARITH(I4, I8, 8, I8), IARITH(I8, I4, 8, I8),
	IARITH(I8, I8, 8, I8),
	{"%", 2, {I2, I2}, I2, S | P, i2_mod}, {"%", 2, {I4, I4}, I4, S | P, i4_mod}, {"%", 2, {I8, I8}, I8, S | P, i8_mod},
	{"mod", 2, {I2, I2}, I2, S, i2_mod}, {"mod", 2, {I4, I4}, I4, S, i4_mod}, {"mod", 2, {I8, I8}, I8, S, i8_mod},
	{"-", 1, {I2}, I2, S | P, i2_um}, {"-", 1, {I4}, I4, S | P, i4_um}, {"-", 1, {I8}, I8, S | P, i8_um},
	{"+", 1, {I2}, I2, S, any_up}, {"+", 1, {I4}, I4, S, any_up}, {"+", 1, {I8}, I8, S, any_up},
	{"@", 1, {I2}, I2, S, i2_abs}, {"@", 1, {I4}, I4, S, i4_abs}, {"@", 1, {I8}, I8, S, i8_abs},
	{"abs", 1, {I2}, I2, S, i2_abs}, {"abs", 1, {I4}, I4, S, i4_abs}, {"abs", 1, {I8}, I8, S, i8_abs},
	{"&", 2, {I2, I2}, I2, S, int_and}, {"&", 2, {I4, I4}, I4, S, int_and}, {"&", 2, {I8, I8}, I8, S, int_and},
	{"|", 2, {I2, I2}, I2, S, int_or}, {"|", 2, {I4, I4}, I4, S, int_or}, {"|", 2, {I8, I8}, I8, S, int_or},
	{"#", 2, {I2, I2}, I2, S, int_xor}, {"#", 2, {I4, I4}, I4, S, int_xor}, {"#", 2, {I8, I8}, I8, S, int_xor},
	{"~", 1, {I2}, I2, S, int_not}, {"~", 1, {I4}, I4, S, int_not}, {"~", 1, {I8}, I8, S, int_not},
	{"<<", 2, {I2, I4}, I2, S, i2_shl}, {"<<", 2, {I4, I4}, I4, S, i4_shl}, {"<<", 2, {I8, I4}, I8, S, i8_shl},
	{">>", 2, {I2, I4}, I2, S, i2_shr}, {">>", 2, {I4, I4}, I4, S, i4_shr}, {">>", 2, {I8, I4}, I8, S, i8_shr},
	{"gcd", 2, {I4, I4}, I4, S, i4_gcd}, {"gcd", 2, {I8, I8}, I8, S, i8_gcd}, {"gcd", 2, {NU, NU}, NU, S, n_gcd},
	{"lcm", 2, {I4, I4}, I4, S, i4_lcm}, {"lcm", 2, {I8, I8}, I8, S, i8_lcm}, {"lcm", 2, {NU, NU}, NU, S, n_lcm},
	{"to_hex", 1, {I4}, TX, S, to_hex32}, {"to_hex", 1, {I8}, TX, S, to_hex},
	{"factorial", 1, {I8}, NU, S, i8_factorial},
	{"width_bucket", 4, {F8, F8, F8, I4}, I4, S, f8_width_bucket},
	{"width_bucket", 4, {NU, NU, NU, I4}, I4, S, num_width_bucket},
	/* integer comparisons, all pairs */
	CMP6(I2, I2, int, P), CMP6(I2, I4, int, P), CMP6(I2, I8, int, P), CMP6(I4, I2, int, P), CMP6(I4, I4, int, P),
	CMP6(I4, I8, int, P), CMP6(I8, I2, int, P), CMP6(I8, I4, int, P), CMP6(I8, I8, int, P),
	CMP6(OI, OI, oid, P),
	/* floats */
	{"+", 2, {F4, F4}, F4, S, f4_pl}, {"-", 2, {F4, F4}, F4, S, f4_mi}, {"*", 2, {F4, F4}, F4, S, f4_mul}, {"/", 2, {F4, F4}, F4, S, f4_div},
	{"+", 2, {F8, F8}, F8, S, f8_pl}, {"-", 2, {F8, F8}, F8, S, f8_mi}, {"*", 2, {F8, F8}, F8, S, f8_mul}, {"/", 2, {F8, F8}, F8, S, f8_div},
	{"+", 2, {F4, F8}, F8, S, f8_pl}, {"-", 2, {F4, F8}, F8, S, f8_mi}, {"*", 2, {F4, F8}, F8, S, f8_mul}, {"/", 2, {F4, F8}, F8, S, f8_div},
	{"+", 2, {F8, F4}, F8, S, f8_pl}, {"-", 2, {F8, F4}, F8, S, f8_mi}, {"*", 2, {F8, F4}, F8, S, f8_mul}, {"/", 2, {F8, F4}, F8, S, f8_div},
	{"-", 1, {F4}, F4, S, f_um}, {"-", 1, {F8}, F8, S, f_um}, {"+", 1, {F4}, F4, S, any_up}, {"+", 1, {F8}, F8, S, any_up},
	{"@", 1, {F4}, F4, S, f_abs}, {"@", 1, {F8}, F8, S, f_abs}, {"abs", 1, {F4}, F4, S, f_abs}, {"abs", 1, {F8}, F8, S, f_abs},
	CMP6(F4, F4, flt, 0), CMP6(F4, F8, flt, 0), CMP6(F8, F4, flt, 0), CMP6(F8, F8, flt, 0),
	{"^", 2, {F8, F8}, F8, S, f_pow}, {"power", 2, {F8, F8}, F8, S, f_pow}, {"pow", 2, {F8, F8}, F8, S, f_pow},
	{"|/", 1, {F8}, F8, S, f_sqrt}, {"sqrt", 1, {F8}, F8, S, f_sqrt}, {"||/", 1, {F8}, F8, S, f_cbrt}, {"cbrt", 1, {F8}, F8, S, f_cbrt},
	{"exp", 1, {F8}, F8, S, f_exp}, {"ln", 1, {F8}, F8, S, f_ln}, {"log", 1, {F8}, F8, S, f_log10}, {"log10", 1, {F8}, F8, S, f_log10},
	{"round", 1, {F8}, F8, S, f_round}, {"trunc", 1, {F8}, F8, S, f_trunc}, {"ceil", 1, {F8}, F8, S, f_ceil},
	{"ceiling", 1, {F8}, F8, S, f_ceil}, {"floor", 1, {F8}, F8, S, f_floor}, {"sign", 1, {F8}, F8, S, f_sign},
	{"pi", 0, {0}, F8, S, f_pi}, {"degrees", 1, {F8}, F8, S, f_degrees}, {"radians", 1, {F8}, F8, S, f_radians},
	{"sin", 1, {F8}, F8, S, f_sin}, {"cos", 1, {F8}, F8, S, f_cos}, {"tan", 1, {F8}, F8, S, f_tan},
	{"atan", 1, {F8}, F8, S, f_atan}, {"atan2", 2, {F8, F8}, F8, S, f_atan2},
	/* numeric */
	{"+", 2, {NU, NU}, NU, S, n_pl}, {"-", 2, {NU, NU}, NU, S, n_mi}, {"*", 2, {NU, NU}, NU, S, n_mul},
	{"/", 2, {NU, NU}, NU, S, n_div}, {"%", 2, {NU, NU}, NU, S, n_mod}, {"mod", 2, {NU, NU}, NU, S, n_mod},
	{"div", 2, {NU, NU}, NU, S, n_divtrunc}, {"-", 1, {NU}, NU, S, n_um}, {"+", 1, {NU}, NU, S, any_up},
	{"@", 1, {NU}, NU, S, n_abs}, {"abs", 1, {NU}, NU, S, n_abs},
	{"round", 1, {NU}, NU, S, n_round}, {"round", 2, {NU, I4}, NU, S, n_round},
	{"trunc", 1, {NU}, NU, S, n_trunc}, {"trunc", 2, {NU, I4}, NU, S, n_trunc},
	{"ceil", 1, {NU}, NU, S, n_ceil}, {"ceiling", 1, {NU}, NU, S, n_ceil}, {"floor", 1, {NU}, NU, S, n_floor},
	{"sign", 1, {NU}, NU, S, n_sign}, {"scale", 1, {NU}, I4, S, n_scale}, {"sqrt", 1, {NU}, NU, S, n_sqrt},
	{"exp", 1, {NU}, NU, S, n_exp}, {"ln", 1, {NU}, NU, S, n_ln}, {"log", 1, {NU}, NU, S, n_log10},
	{"log10", 1, {NU}, NU, S, n_log10}, {"log", 2, {NU, NU}, NU, S, n_log},
	{"^", 2, {NU, NU}, NU, S, n_pow}, {"power", 2, {NU, NU}, NU, S, n_pow}, {"pow", 2, {NU, NU}, NU, S, n_pow},
	{"trim_scale", 1, {NU}, NU, S, n_trim_scale}, {"min_scale", 1, {NU}, I4, S, n_min_scale},
	CMP6(NU, NU, num, 0),
	/* bool, bytea, uuid, "char", strings */
	CMP6(BO, BO, bool, P),
	CMP6(BY, BY, txt, 0),
	{"||", 2, {BY, BY}, BY, S, bytea_cat},
	CMP6(UU, UU, uuid, 0),
	CMP6(CH, CH, int, 0),
	CMP6(TX, TX, txt, 0),
	CMP6(BP, BP, bpc, 0),
	CMP6(NM, NM, txt, 0),
	CMP6(NM, TX, txt, 0),
	CMP6(TX, NM, txt, 0),
};

void sem_register_core_builtins(void)
{
	sem_register_builtins(core, sizeof core / sizeof core[0]);
	sem_register_str_builtins();
	sem_register_sys_builtins();
	sem_register_bytea_builtins();
	sem_register_arr_builtins();
}
