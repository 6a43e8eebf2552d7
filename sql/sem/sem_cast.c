/*
 * sem_cast.c -- pg_cast for pgkv's types and the conversion functions.
 *
 * The table below is PostgreSQL 15's pg_cast restricted to the types sql/sem
 * implements (queried from the reference server).  Conversions that are
 * not in pg_cast fall back to I/O conversion exactly as PostgreSQL's
 * find_coercion_pathway() does.  See sem_cast.h.
 */
#include "sql/sem/sem_cast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

/* ---- conversion functions ----------------------------------------------------- */

static cm_status int_range(int64_t v, sem_oid to, sem_datum *out, cm_error *err)
{
	switch (to) {
	case SEM_INT2OID:
		if (v < INT16_MIN || v > INT16_MAX)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "smallint out of range");
		break;
	case SEM_INT4OID:
		if (v < INT32_MIN || v > INT32_MAX)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range");
		break;
	default:
		break;
	}
	out->isnull = false;
	out->v.i = v;
	return CM_OK;
}

static cm_status c_to_int2(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	return int_range(in->v.i, SEM_INT2OID, out, err);
}
static cm_status c_to_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	return int_range(in->v.i, SEM_INT4OID, out, err);
}
static cm_status c_int_copy(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	*out = *in;
	return CM_OK;
}
static cm_status c_int_float4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.f = (float) in->v.i;
	return CM_OK;
}
static cm_status c_int_float8(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.f = (double) in->v.i;
	return CM_OK;
}
static cm_status c_int_numeric(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.num = sem_num_from_int(c->arena, in->v.i);
	return CM_OK;
}

cm_status sem_float_to_int(double d, sem_oid to, int64_t *out, cm_error *err)
{
	double r = rint(d);
	const char *msg = to == SEM_INT2OID ? "smallint out of range" : to == SEM_INT4OID ? "integer out of range" : "bigint out of range";
	bool ok;
	if (isnan(r))
		ok = false;
	else if (to == SEM_INT2OID)
		ok = r >= (double) INT16_MIN && r < -(double) INT16_MIN;
	else if (to == SEM_INT4OID)
		ok = r >= (double) INT32_MIN && r < -(double) INT32_MIN;
	else
		ok = r >= (double) INT64_MIN && r < -(double) INT64_MIN;
	if (!ok)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "%s", msg);
	*out = (int64_t) r;
	return CM_OK;
}

static cm_status c_f_int2(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_float_to_int(in->v.f, SEM_INT2OID, &out->v.i, err);
}
static cm_status c_f_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_float_to_int(in->v.f, SEM_INT4OID, &out->v.i, err);
}
static cm_status c_f_int8(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_float_to_int(in->v.f, SEM_INT8OID, &out->v.i, err);
}
static cm_status c_f_f8(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	*out = *in;
	return CM_OK;
}
static cm_status c_f8_f4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	float f = (float) in->v.f;
	if (isinf(f) && !isinf(in->v.f))
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
	if (f == 0.0f && in->v.f != 0.0)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow");
	out->isnull = false;
	out->v.f = f;
	return CM_OK;
}
static cm_status c_f4_num(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_num_from_double(c->arena, in->v.f, true, &out->v.num, err);
}
static cm_status c_f8_num(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_num_from_double(c->arena, in->v.f, false, &out->v.num, err);
}
static cm_status c_num_int2(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_num_to_int(in->v.num, INT16_MIN, INT16_MAX, "smallint", &out->v.i, err);
}
static cm_status c_num_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_num_to_int(in->v.num, INT32_MIN, INT32_MAX, "integer", &out->v.i, err);
}
static cm_status c_num_int8(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	return sem_num_to_int(in->v.num, INT64_MIN, INT64_MAX, "bigint", &out->v.i, err);
}
static cm_status c_num_f8(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.f = sem_num_to_double(in->v.num);
	if (isinf(out->v.f) && !sem_num_is_inf(in->v.num)) {
		char *s = sem_num_to_cstring(c->arena, in->v.num);
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "\"%s\" is out of range for type double precision", s);
	}
	return CM_OK;
}
static cm_status c_num_f4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	char *s = sem_num_to_cstring(c->arena, in->v.num);
	out->isnull = false;
	return sem_float_in(s, strlen(s), true, &out->v.f, err);
}
static cm_status c_int4_bool(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.b = in->v.i != 0;
	return CM_OK;
}
static cm_status c_bool_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.i = in->v.b ? 1 : 0;
	return CM_OK;
}
static cm_status c_bool_text(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	const char *s = in->v.b ? "true" : "false";
	sem_set_str(c->arena, out, s, strlen(s));
	return CM_OK;
}
static cm_status c_int4_char(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	if (in->v.i < -128 || in->v.i > 127)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "\"char\" out of range");
	out->isnull = false;
	out->v.i = (uint8_t) (int8_t) in->v.i;
	return CM_OK;
}
static cm_status c_char_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.i = (int8_t) (uint8_t) in->v.i;
	return CM_OK;
}
static cm_status c_char_text(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	char ch = (char) (uint8_t) in->v.i;
	sem_set_str(c->arena, out, &ch, ch ? 1 : 0);
	return CM_OK;
}
static cm_status c_text_char(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.i = in->v.s.len ? (uint8_t) in->v.s.p[0] : 0;
	return CM_OK;
}
static cm_status c_bpchar_text(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	uint32_t n = in->v.s.len;
	while (n > 0 && in->v.s.p[n - 1] == ' ')
		n--;
	*out = *in;
	out->v.s.len = n;
	return CM_OK;
}
static cm_status c_text_name(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	return sem_in_text(c, (sem_type){SEM_NAMEOID, -1}, in->v.s.p, in->v.s.len, out, err);
}
static cm_status c_bpchar_name(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	sem_datum t;
	(void) c_bpchar_text(c, in, &t, err);
	return c_text_name(c, &t, out, err);
}
static cm_status c_int8_oid(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	if (in->v.i < 0 || in->v.i > UINT32_MAX)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "OID out of range");
	*out = *in;
	return CM_OK;
}
static cm_status c_int4_oid(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.i = (uint32_t) (int32_t) in->v.i;
	return CM_OK;
}
static cm_status c_oid_int4(sem_ctx *c, const sem_datum *in, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	out->v.i = (int32_t) (uint32_t) in->v.i;
	return CM_OK;
}

/* ---- the table ------------------------------------------------------------------- */

typedef struct cast_row {
	sem_oid from, to;
	char context;
	sem_cast_method method;
	sem_cast_fn fn;
} cast_row;

#define F(a, b, c, fn) {a, b, c, SEM_CAST_FUNC, fn}
#define B(a, b, c) {a, b, c, SEM_CAST_RELABEL, NULL}
#define D(a, b, c) {a, b, c, SEM_CAST_DATETIME, NULL}

static const cast_row casts[] = {
	F(SEM_CHAROID, SEM_BPCHAROID, 'a', c_char_text),
	F(SEM_CHAROID, SEM_VARCHAROID, 'a', c_char_text),
	F(SEM_CHAROID, SEM_INT4OID, 'e', c_char_int4),
	F(SEM_CHAROID, SEM_TEXTOID, 'i', c_char_text),
	F(SEM_INT8OID, SEM_FLOAT8OID, 'i', c_int_float8),
	F(SEM_INT8OID, SEM_INT4OID, 'a', c_to_int4),
	F(SEM_INT8OID, SEM_NUMERICOID, 'i', c_int_numeric),
	F(SEM_INT8OID, SEM_OIDOID, 'i', c_int8_oid),
	F(SEM_INT8OID, SEM_FLOAT4OID, 'i', c_int_float4),
	F(SEM_INT8OID, SEM_INT2OID, 'a', c_to_int2),
	F(SEM_BOOLOID, SEM_BPCHAROID, 'a', c_bool_text),
	F(SEM_BOOLOID, SEM_VARCHAROID, 'a', c_bool_text),
	F(SEM_BOOLOID, SEM_INT4OID, 'e', c_bool_int4),
	F(SEM_BOOLOID, SEM_TEXTOID, 'a', c_bool_text),
	F(SEM_BPCHAROID, SEM_CHAROID, 'a', c_text_char),
	F(SEM_BPCHAROID, SEM_BPCHAROID, 'i', NULL),
	F(SEM_BPCHAROID, SEM_VARCHAROID, 'i', c_bpchar_text),
	F(SEM_BPCHAROID, SEM_NAMEOID, 'i', c_bpchar_name),
	F(SEM_BPCHAROID, SEM_TEXTOID, 'i', c_bpchar_text),
	F(SEM_VARCHAROID, SEM_CHAROID, 'a', c_text_char),
	B(SEM_VARCHAROID, SEM_BPCHAROID, 'i'),
	F(SEM_VARCHAROID, SEM_VARCHAROID, 'i', NULL),
	F(SEM_VARCHAROID, SEM_NAMEOID, 'i', c_text_name),
	B(SEM_VARCHAROID, SEM_TEXTOID, 'i'),
	D(SEM_DATEOID, SEM_TIMESTAMPTZOID, 'i'),
	D(SEM_DATEOID, SEM_TIMESTAMPOID, 'i'),
	F(SEM_FLOAT8OID, SEM_INT8OID, 'a', c_f_int8),
	F(SEM_FLOAT8OID, SEM_INT4OID, 'a', c_f_int4),
	F(SEM_FLOAT8OID, SEM_NUMERICOID, 'a', c_f8_num),
	F(SEM_FLOAT8OID, SEM_FLOAT4OID, 'a', c_f8_f4),
	F(SEM_FLOAT8OID, SEM_INT2OID, 'a', c_f_int2),
	F(SEM_INT4OID, SEM_CHAROID, 'e', c_int4_char),
	F(SEM_INT4OID, SEM_INT8OID, 'i', c_int_copy),
	F(SEM_INT4OID, SEM_BOOLOID, 'e', c_int4_bool),
	F(SEM_INT4OID, SEM_FLOAT8OID, 'i', c_int_float8),
	F(SEM_INT4OID, SEM_NUMERICOID, 'i', c_int_numeric),
	F(SEM_INT4OID, SEM_OIDOID, 'i', c_int4_oid),
	F(SEM_INT4OID, SEM_FLOAT4OID, 'i', c_int_float4),
	F(SEM_INT4OID, SEM_INT2OID, 'a', c_to_int2),
	D(SEM_INTERVALOID, SEM_INTERVALOID, 'i'),
	D(SEM_INTERVALOID, SEM_TIMEOID, 'a'),
	F(SEM_NAMEOID, SEM_BPCHAROID, 'a', c_int_copy),
	F(SEM_NAMEOID, SEM_VARCHAROID, 'a', c_int_copy),
	F(SEM_NAMEOID, SEM_TEXTOID, 'i', c_int_copy),
	F(SEM_NUMERICOID, SEM_INT8OID, 'a', c_num_int8),
	F(SEM_NUMERICOID, SEM_FLOAT8OID, 'i', c_num_f8),
	F(SEM_NUMERICOID, SEM_INT4OID, 'a', c_num_int4),
	F(SEM_NUMERICOID, SEM_NUMERICOID, 'i', NULL),
	F(SEM_NUMERICOID, SEM_FLOAT4OID, 'i', c_num_f4),
	F(SEM_NUMERICOID, SEM_INT2OID, 'a', c_num_int2),
	F(SEM_OIDOID, SEM_INT8OID, 'a', c_int_copy),
	F(SEM_OIDOID, SEM_INT4OID, 'a', c_oid_int4),
	F(SEM_FLOAT4OID, SEM_INT8OID, 'a', c_f_int8),
	F(SEM_FLOAT4OID, SEM_FLOAT8OID, 'i', c_f_f8),
	F(SEM_FLOAT4OID, SEM_INT4OID, 'a', c_f_int4),
	F(SEM_FLOAT4OID, SEM_NUMERICOID, 'a', c_f4_num),
	F(SEM_FLOAT4OID, SEM_INT2OID, 'a', c_f_int2),
	F(SEM_INT2OID, SEM_INT8OID, 'i', c_int_copy),
	F(SEM_INT2OID, SEM_FLOAT8OID, 'i', c_int_float8),
	F(SEM_INT2OID, SEM_INT4OID, 'i', c_int_copy),
	F(SEM_INT2OID, SEM_NUMERICOID, 'i', c_int_numeric),
	F(SEM_INT2OID, SEM_OIDOID, 'i', c_int_copy),
	F(SEM_INT2OID, SEM_FLOAT4OID, 'i', c_int_float4),
	F(SEM_TEXTOID, SEM_CHAROID, 'a', c_text_char),
	B(SEM_TEXTOID, SEM_BPCHAROID, 'i'),
	B(SEM_TEXTOID, SEM_VARCHAROID, 'i'),
	F(SEM_TEXTOID, SEM_NAMEOID, 'i', c_text_name),
	D(SEM_TIMEOID, SEM_INTERVALOID, 'i'),
	D(SEM_TIMEOID, SEM_TIMEOID, 'i'),
	D(SEM_TIMESTAMPTZOID, SEM_DATEOID, 'a'),
	D(SEM_TIMESTAMPTZOID, SEM_TIMEOID, 'a'),
	D(SEM_TIMESTAMPTZOID, SEM_TIMESTAMPTZOID, 'i'),
	D(SEM_TIMESTAMPTZOID, SEM_TIMESTAMPOID, 'a'),
	D(SEM_TIMESTAMPOID, SEM_DATEOID, 'a'),
	D(SEM_TIMESTAMPOID, SEM_TIMEOID, 'a'),
	D(SEM_TIMESTAMPOID, SEM_TIMESTAMPTZOID, 'i'),
	D(SEM_TIMESTAMPOID, SEM_TIMESTAMPOID, 'i'),
	/* reg* types behave as oid */
	B(SEM_OIDOID, SEM_REGCLASSOID, 'i'),
	B(SEM_REGCLASSOID, SEM_OIDOID, 'i'),
	B(SEM_OIDOID, SEM_REGTYPEOID, 'i'),
	B(SEM_REGTYPEOID, SEM_OIDOID, 'i'),
	B(SEM_OIDOID, SEM_REGPROCOID, 'i'),
	B(SEM_REGPROCOID, SEM_OIDOID, 'i'),
	F(SEM_INT8OID, SEM_REGCLASSOID, 'i', c_int8_oid),
	F(SEM_INT4OID, SEM_REGCLASSOID, 'i', c_int4_oid),
	F(SEM_INT8OID, SEM_REGTYPEOID, 'i', c_int8_oid),
	F(SEM_INT4OID, SEM_REGTYPEOID, 'i', c_int4_oid),
	/* [vcat] the other reg* types and regproc from integers, as pg_cast */
	B(SEM_OIDOID, SEM_REGNAMESPACEOID, 'i'),
	B(SEM_REGNAMESPACEOID, SEM_OIDOID, 'i'),
	B(SEM_OIDOID, SEM_REGROLEOID, 'i'),
	B(SEM_REGROLEOID, SEM_OIDOID, 'i'),
	F(SEM_INT8OID, SEM_REGPROCOID, 'i', c_int8_oid),
	F(SEM_INT4OID, SEM_REGPROCOID, 'i', c_int4_oid),
	F(SEM_INT8OID, SEM_REGNAMESPACEOID, 'i', c_int8_oid),
	F(SEM_INT4OID, SEM_REGNAMESPACEOID, 'i', c_int4_oid),
	F(SEM_INT8OID, SEM_REGROLEOID, 'i', c_int8_oid),
	F(SEM_INT4OID, SEM_REGROLEOID, 'i', c_int4_oid),
	B(SEM_JSONOID, SEM_JSONBOID, 'a'),
	B(SEM_JSONBOID, SEM_JSONOID, 'a'),
};

static bool ctx_allows(char c, sem_coerce_context cctx)
{
	switch (c) {
	case 'i': return true;
	case 'a': return cctx >= SEM_COERCE_ASSIGNMENT;
	default: return cctx == SEM_COERCE_EXPLICIT;
	}
}

bool sem_cast_find(sem_oid from, sem_oid to, sem_coerce_context cctx, sem_cast_path *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof casts / sizeof casts[0]; i++) {
		if (casts[i].from == from && casts[i].to == to) {
			if (!ctx_allows(casts[i].context, cctx))
				return false;
			out->context = casts[i].context;
			out->method = casts[i].method;
			out->fn = casts[i].fn;
			if (out->method == SEM_CAST_FUNC && out->fn == NULL)
				out->method = SEM_CAST_SAME;
			return true;
		}
	}
	if (from == to) {
		out->method = SEM_CAST_SAME;
		out->context = 'i';
		return true;
	}
	if (from == SEM_UNKNOWNOID) {
		out->method = SEM_CAST_IO_IN;
		out->context = 'i';
		return true;
	}
	/* automatic I/O conversion casts (find_coercion_pathway) */
	if (sem_type_category(to) == SEM_TYPCAT_STRING && sem_type_info(from) != NULL &&
		sem_type_category(from) != SEM_TYPCAT_PSEUDO) {
		if (!ctx_allows('a', cctx))
			return false;
		out->method = SEM_CAST_IO_OUT;
		out->context = 'a';
		return true;
	}
	if (sem_type_category(from) == SEM_TYPCAT_STRING && sem_type_info(to) != NULL &&
		sem_type_category(to) != SEM_TYPCAT_PSEUDO) {
		if (!ctx_allows('e', cctx))
			return false;
		out->method = SEM_CAST_IO_IN;
		out->context = 'e';
		return true;
	}
	return false;
}

bool sem_can_coerce(sem_oid from, sem_oid to, sem_coerce_context cctx)
{
	if (from == to)
		return true;
	if (to == SEM_ANYOID || to == SEM_ANYELEMENTOID || to == 2776 /* anynonarray */)
		return from != SEM_VOIDOID;
	if (from == SEM_UNKNOWNOID)
		return true;
	sem_cast_path p;
	return sem_cast_find(from, to, cctx, &p);
}

cm_status sem_cast_exec(sem_ctx *ctx, const sem_cast_path *path, sem_oid from, sem_oid to, int32_t typmod,
						bool is_explicit, const sem_datum *in, sem_datum *out, cm_error *err)
{
	if (in->isnull) {
		memset(out, 0, sizeof *out);
		out->isnull = true;
		return CM_OK;
	}
	sem_datum tmp;
	memset(&tmp, 0, sizeof tmp);
	switch (path->method) {
	case SEM_CAST_NONE:
		return cm_error_set(err, CM_E_CANNOT_COERCE, "cannot cast type %s to %s", sem_type_name(from),
							sem_type_name(to));
	case SEM_CAST_SAME:
	case SEM_CAST_RELABEL:
		tmp = *in;
		break;
	case SEM_CAST_FUNC:
		if (path->fn(ctx, in, &tmp, err) != CM_OK)
			return CM_ERROR;
		break;
	case SEM_CAST_IO_OUT: {
		cm_buf b;
		cm_buf_init(&b);
		sem_out_text(ctx, (sem_type){from, -1}, in, &b);
		cm_status st = sem_in_text(ctx, (sem_type){to, -1}, b.data ? b.data : "", b.len, &tmp, err);
		cm_buf_free(&b);
		if (st != CM_OK)
			return CM_ERROR;
		break;
	}
	case SEM_CAST_IO_IN: {
		/* interval is the one type whose input needs the typmod (SQL-spec fields) */
		int32_t tm = to == SEM_INTERVALOID ? typmod : -1;
		if (sem_in_text(ctx, (sem_type){to, tm}, in->v.s.p, in->v.s.len, &tmp, err) != CM_OK)
			return CM_ERROR;
		break;
	}
	case SEM_CAST_DATETIME:
		if (sem_dt_cast(ctx, from, to, typmod, in, out, err) != CM_OK)
			return CM_ERROR;
		return CM_OK;
	}
	tmp.isnull = false;
	return sem_coerce_typmod(ctx, to, typmod, is_explicit, &tmp, out, err);
}

cm_status sem_cast_datum(sem_ctx *ctx, sem_oid from, sem_type to, const sem_datum *in, sem_datum *out,
						 cm_error *err)
{
	sem_cast_path p;
	if (!sem_cast_find(from, to.oid, SEM_COERCE_EXPLICIT, &p))
		return cm_error_set(err, CM_E_CANNOT_COERCE, "cannot cast type %s to %s", sem_type_name(from),
							sem_type_name(to.oid));
	return sem_cast_exec(ctx, &p, from, to.oid, to.typmod, true, in, out, err);
}
