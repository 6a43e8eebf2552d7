/*
 * kv_copr_types.c -- tipb field types <-> sem types, and the value
 * conversions between sem datums and the KV encodings.  See kv_copr_types.h
 * for the mapping table and the conventions.
 *
 * Exported: everything declared in kv_copr_types.h.
 */
#include "kv/copr/kv_copr_types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_tablecodec.h"
#include "sql/sem/sem_numeric.h"

#define US_PER_DAY INT64_C(86400000000)
#define DAYS_1970_TO_2000 10957

static bool is_binary_coll(const kv_copr_ftype *ft)
{
	return ft->collate == KV_COLL_BINARY || ft->collate == -KV_COLL_BINARY ||
		   (ft->flag & KV_FT_BINARY) != 0;
}

kv_copr_ftype
kv_copr_ftype_from_pb(const Tipb__FieldType *pb)
{
	kv_copr_ftype ft = {0};
	if (pb) {
		ft.tp = pb->tp;
		ft.flag = pb->flag;
		ft.flen = pb->flen;
		ft.decimal = pb->decimal;
		ft.collate = pb->collate;
	}
	return ft;
}

kv_copr_ftype
kv_copr_ftype_from_column(const Tipb__ColumnInfo *ci)
{
	kv_copr_ftype ft = {0};
	ft.tp = ci->tp;
	ft.flag = (uint32_t) ci->flag;
	ft.flen = ci->columnlen;
	ft.decimal = ci->decimal;
	ft.collate = ci->collation;
	return ft;
}

void
kv_copr_ftype_to_pb(const kv_copr_ftype *ft, Tipb__FieldType *pb)
{
	pb->has_tp = pb->has_flag = pb->has_flen = pb->has_decimal = pb->has_collate = true;
	pb->tp = ft->tp;
	pb->flag = ft->flag;
	pb->flen = ft->flen;
	pb->decimal = ft->decimal;
	pb->collate = ft->collate;
}

cm_status
kv_copr_sem_type_of(const kv_copr_ftype *ft, sem_type *out, cm_error *err)
{
	out->typmod = -1;
	switch (ft->tp) {
	case KV_TP_TINY:
		out->oid = ft->flen == 1 ? SEM_BOOLOID : SEM_INT2OID;
		return CM_OK;
	case KV_TP_SHORT:
	case KV_TP_YEAR:
		out->oid = SEM_INT2OID;
		return CM_OK;
	case KV_TP_LONG:
	case KV_TP_INT24:
		out->oid = SEM_INT4OID;
		return CM_OK;
	case KV_TP_LONGLONG:
		out->oid = SEM_INT8OID;
		return CM_OK;
	case KV_TP_FLOAT:
		out->oid = SEM_FLOAT4OID;
		return CM_OK;
	case KV_TP_DOUBLE:
		out->oid = SEM_FLOAT8OID;
		return CM_OK;
	case KV_TP_NEWDECIMAL:
		out->oid = SEM_NUMERICOID;
		if (ft->flen > 0 && ft->flen <= 1000 && ft->decimal >= 0 && ft->decimal <= ft->flen)
			out->typmod = sem_num_typmod(ft->flen, ft->decimal);
		return CM_OK;
	case KV_TP_VARSTRING:
	case KV_TP_VARCHAR:
	case KV_TP_STRING:
	case KV_TP_BLOB:
	case KV_TP_TINYBLOB:
	case KV_TP_MEDIUMBLOB:
	case KV_TP_LONGBLOB:
		if (ft->collate != 0 && ft->collate != KV_COLL_UTF8MB4_BIN &&
			ft->collate != -KV_COLL_UTF8MB4_BIN && ft->collate != KV_COLL_BINARY &&
			ft->collate != -KV_COLL_BINARY && ft->collate != 83 && ft->collate != -83)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
								"coprocessor: collation %d is not supported (binary only)",
								ft->collate);
		if (is_binary_coll(ft)) {
			out->oid = SEM_BYTEAOID;
		} else if (ft->tp == KV_TP_VARCHAR) {
			out->oid = SEM_VARCHAROID;
			if (ft->flen > 0)
				out->typmod = ft->flen + 4;
		} else if (ft->tp == KV_TP_STRING) {
			out->oid = SEM_BPCHAROID;
			if (ft->flen > 0)
				out->typmod = ft->flen + 4;
		} else {
			out->oid = SEM_TEXTOID;
		}
		return CM_OK;
	case KV_TP_DATE:
	case KV_TP_NEWDATE:
		out->oid = SEM_DATEOID;
		return CM_OK;
	case KV_TP_DATETIME:
		out->oid = SEM_TIMESTAMPOID;
		if (ft->decimal >= 0 && ft->decimal < 6)
			out->typmod = ft->decimal;
		return CM_OK;
	case KV_TP_TIMESTAMP:
		out->oid = SEM_TIMESTAMPTZOID;
		if (ft->decimal >= 0 && ft->decimal < 6)
			out->typmod = ft->decimal;
		return CM_OK;
	default:
		out->oid = SEM_INVALIDOID;
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: unsupported field type %d", ft->tp);
	}
}

cm_status
kv_copr_ftype_of(sem_type t, kv_copr_ftype *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	switch (t.oid) {
	case SEM_BOOLOID:
		out->tp = KV_TP_TINY;
		out->flen = 1;
		break;
	case SEM_INT2OID:
		out->tp = KV_TP_SHORT;
		out->flen = 6;
		break;
	case SEM_INT4OID:
		out->tp = KV_TP_LONG;
		out->flen = 11;
		break;
	case SEM_INT8OID:
		out->tp = KV_TP_LONGLONG;
		out->flen = 20;
		break;
	case SEM_FLOAT4OID:
		out->tp = KV_TP_FLOAT;
		out->flen = 12;
		out->decimal = -1;
		break;
	case SEM_FLOAT8OID:
		out->tp = KV_TP_DOUBLE;
		out->flen = 22;
		out->decimal = -1;
		break;
	case SEM_NUMERICOID:
		out->tp = KV_TP_NEWDECIMAL;
		if (t.typmod >= 4) {
			out->flen = sem_num_typmod_precision(t.typmod);
			out->decimal = sem_num_typmod_scale(t.typmod);
		} else {
			out->flen = -1;
			out->decimal = -1;
		}
		break;
	case SEM_TEXTOID:
	case SEM_NAMEOID:
		out->tp = KV_TP_VARSTRING;
		out->flen = -1;
		out->collate = KV_COLL_UTF8MB4_BIN;
		break;
	case SEM_VARCHAROID:
		out->tp = KV_TP_VARCHAR;
		out->flen = t.typmod >= 4 ? t.typmod - 4 : -1;
		out->collate = KV_COLL_UTF8MB4_BIN;
		break;
	case SEM_BPCHAROID:
		out->tp = KV_TP_STRING;
		out->flen = t.typmod >= 4 ? t.typmod - 4 : -1;
		out->collate = KV_COLL_UTF8MB4_BIN;
		break;
	case SEM_BYTEAOID:
		out->tp = KV_TP_BLOB;
		out->flen = -1;
		out->flag = KV_FT_BINARY;
		out->collate = KV_COLL_BINARY;
		break;
	case SEM_DATEOID:
		out->tp = KV_TP_DATE;
		out->flen = 10;
		break;
	case SEM_TIMESTAMPOID:
		out->tp = KV_TP_DATETIME;
		out->decimal = t.typmod >= 0 && t.typmod <= 6 ? t.typmod : 6;
		break;
	case SEM_TIMESTAMPTZOID:
		out->tp = KV_TP_TIMESTAMP;
		out->decimal = t.typmod >= 0 && t.typmod <= 6 ? t.typmod : 6;
		break;
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: type oid %u has no coprocessor representation",
							(unsigned) t.oid);
	}
	if (out->collate == 0)
		out->collate = KV_COLL_BINARY;
	return CM_OK;
}

size_t
kv_copr_chunk_elem_size(const kv_copr_ftype *ft, bool *encodable)
{
	bool ok = true;
	size_t sz = 0;
	switch (ft->tp) {
	case KV_TP_TINY:
	case KV_TP_SHORT:
	case KV_TP_LONG:
	case KV_TP_INT24:
	case KV_TP_LONGLONG:
	case KV_TP_YEAR:
	case KV_TP_DOUBLE:
	case KV_TP_DURATION:
	case KV_TP_DATE:
	case KV_TP_NEWDATE:
	case KV_TP_DATETIME:
	case KV_TP_TIMESTAMP:
		sz = KV_CHUNK_I64;
		break;
	case KV_TP_FLOAT:
		sz = KV_CHUNK_F32;
		break;
	case KV_TP_NEWDECIMAL:
		sz = KV_CHUNK_DECIMAL;
		break;
	case KV_TP_VARSTRING:
	case KV_TP_VARCHAR:
	case KV_TP_STRING:
	case KV_TP_BLOB:
	case KV_TP_TINYBLOB:
	case KV_TP_MEDIUMBLOB:
	case KV_TP_LONGBLOB:
		sz = KV_CHUNK_VAR;
		break;
	default:
		ok = false;
	}
	if (encodable)
		*encodable = ok;
	return sz;
}

bool
kv_copr_chunk_encodable(const kv_copr_ftype *ft)
{
	bool ok;
	(void) kv_copr_chunk_elem_size(ft, &ok);
	return ok;
}

/* ---- dates ------------------------------------------------------------------ */

int64_t
kv_copr_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - DAYS_1970_TO_2000;
}

void
kv_copr_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + DAYS_1970_TO_2000 + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_dt(sem_oid o)
{
	return o == SEM_DATEOID || o == SEM_TIMESTAMPOID || o == SEM_TIMESTAMPTZOID;
}

/* sem date/timestamp value -> kv_time (22008 outside year 0..9999). */
static cm_status
sem_to_kvtime(sem_oid oid, const sem_datum *d, kv_time *t, cm_error *err)
{
	int64_t days, us = 0;
	if (oid == SEM_DATEOID) {
		if (d->v.i == INT32_MIN || d->v.i == INT32_MAX)
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
								"date out of range for the coprocessor");
		days = d->v.i;
	} else {
		if (d->v.i == INT64_MIN || d->v.i == INT64_MAX)
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
								"timestamp out of range for the coprocessor");
		days = d->v.i / US_PER_DAY;
		us = d->v.i % US_PER_DAY;
		if (us < 0) {
			us += US_PER_DAY;
			days--;
		}
	}
	int64_t y;
	kv_copr_civil_from_days(days, &y, &t->month, &t->day);
	if (y < 1 || y > 9999)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"%s out of range for the coprocessor",
							oid == SEM_DATEOID ? "date" : "timestamp");
	t->year = (int) y;
	t->hour = (int) (us / INT64_C(3600000000));
	t->minute = (int) (us / 60000000 % 60);
	t->second = (int) (us / 1000000 % 60);
	t->microsecond = (int) (us % 1000000);
	return CM_OK;
}

static cm_status
kvtime_to_sem(const kv_time *t, sem_oid oid, sem_datum *out, cm_error *err)
{
	if (t->month == 0 || t->day == 0)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"zero date is not a valid PostgreSQL date");
	int64_t days = kv_copr_days_from_civil(t->year, t->month, t->day);
	memset(out, 0, sizeof *out);
	if (oid == SEM_DATEOID)
		out->v.i = days;
	else
		out->v.i = days * US_PER_DAY + (int64_t) t->hour * INT64_C(3600000000) +
				   (int64_t) t->minute * 60000000 + (int64_t) t->second * 1000000 + t->microsecond;
	return CM_OK;
}

/* ---- numeric helpers ---------------------------------------------------------- */

static cm_status
num_text(const sem_numeric *n, cm_buf *out, cm_error *err)
{
	if (sem_num_is_special(n))
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
							"numeric NaN or infinity cannot be sent through the coprocessor");
	sem_num_out(n, out);
	return CM_OK;
}

static cm_status
num_from_text(cm_arena *a, const char *p, size_t n, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	return sem_num_in(a, p, n, -1, &out->v.num, err);
}

/* Convert d (type st) into an integer value for integer-class columns. */
static cm_status
as_int(sem_type st, const sem_datum *d, int64_t *v, cm_error *err)
{
	switch (st.oid) {
	case SEM_BOOLOID:
		*v = d->v.b ? 1 : 0;
		return CM_OK;
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		*v = d->v.i;
		return CM_OK;
	case SEM_NUMERICOID:
		return sem_num_to_int(d->v.num, INT64_MIN, INT64_MAX, "bigint", v, err);
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR,
							"coprocessor: cannot write type %u to an integer column",
							(unsigned) st.oid);
	}
}

static cm_status
as_double(sem_type st, const sem_datum *d, double *v, cm_error *err)
{
	switch (st.oid) {
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		*v = d->v.f;
		return CM_OK;
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		*v = (double) d->v.i;
		return CM_OK;
	case SEM_NUMERICOID:
		*v = sem_num_to_double(d->v.num);
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR,
							"coprocessor: cannot write type %u to a float column",
							(unsigned) st.oid);
	}
}

/* Decimal text of d for decimal columns (into buf). */
static cm_status
as_decimal_text(sem_type st, const sem_datum *d, cm_buf *buf, cm_error *err)
{
	switch (st.oid) {
	case SEM_NUMERICOID:
		return num_text(d->v.num, buf, err);
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		cm_buf_printf(buf, "%lld", (long long) d->v.i);
		return CM_OK;
	case SEM_BOOLOID:
		cm_buf_puts(buf, d->v.b ? "1" : "0");
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR,
							"coprocessor: cannot write type %u to a decimal column",
							(unsigned) st.oid);
	}
}

static kv_time_type
time_type_of(int32_t tp)
{
	return tp == KV_TP_DATE || tp == KV_TP_NEWDATE ? KV_TIME_DATE
		   : tp == KV_TP_TIMESTAMP				   ? KV_TIME_TIMESTAMP
												   : KV_TIME_DATETIME;
}

static bool
is_int_tp(int32_t tp)
{
	return tp == KV_TP_TINY || tp == KV_TP_SHORT || tp == KV_TP_LONG || tp == KV_TP_INT24 ||
		   tp == KV_TP_LONGLONG || tp == KV_TP_YEAR;
}

static bool
is_str_tp(int32_t tp)
{
	return tp == KV_TP_VARSTRING || tp == KV_TP_VARCHAR || tp == KV_TP_STRING ||
		   tp == KV_TP_BLOB || tp == KV_TP_TINYBLOB || tp == KV_TP_MEDIUMBLOB ||
		   tp == KV_TP_LONGBLOB;
}

static bool
is_str_oid(sem_oid o)
{
	return o == SEM_TEXTOID || o == SEM_VARCHAROID || o == SEM_BPCHAROID || o == SEM_NAMEOID ||
		   o == SEM_BYTEAOID || o == SEM_UNKNOWNOID;
}

/* ---- chunks ------------------------------------------------------------------ */

cm_status
kv_copr_chunk_append(kv_chunk_writer *w, const kv_copr_ftype *ft, sem_type st,
					 const sem_datum *d, cm_arena *scratch, cm_error *err)
{
	if (d->isnull) {
		kv_chunk_append_null(w);
		return CM_OK;
	}
	int32_t tp = ft->tp;
	if (is_int_tp(tp)) {
		int64_t v;
		if (as_int(st, d, &v, err) != CM_OK)
			return CM_ERROR;
		kv_chunk_append_i64(w, v);
		return CM_OK;
	}
	switch (tp) {
	case KV_TP_DOUBLE:
	case KV_TP_FLOAT: {
		double v;
		if (as_double(st, d, &v, err) != CM_OK)
			return CM_ERROR;
		if (tp == KV_TP_FLOAT)
			kv_chunk_append_f32(w, (float) v);
		else
			kv_chunk_append_f64(w, v);
		return CM_OK;
	}
	case KV_TP_NEWDECIMAL: {
		cm_buf b;
		cm_buf_init(&b);
		cm_status rc = as_decimal_text(st, d, &b, err);
		if (rc == CM_OK) {
			const char *dot = memchr(b.data, '.', b.len);
			if (dot && b.len - (size_t) (dot - b.data) - 1 > KV_DECIMAL_MAX_FRAC)
				rc = cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
								  "numeric scale above %d cannot be sent through the coprocessor",
								  KV_DECIMAL_MAX_FRAC);
			else
				rc = kv_chunk_append_decimal(w, b.data, b.len, err);
		}
		cm_buf_free(&b);
		return rc;
	}
	case KV_TP_DATE:
	case KV_TP_NEWDATE:
	case KV_TP_DATETIME:
	case KV_TP_TIMESTAMP: {
		if (!is_dt(st.oid))
			break;
		kv_time t;
		if (sem_to_kvtime(st.oid, d, &t, err) != CM_OK)
			return CM_ERROR;
		kv_time_type tt = time_type_of(tp);
		int fsp = ft->decimal >= 0 && ft->decimal <= 6 ? ft->decimal : 6;
		if (tt == KV_TIME_DATE)
			t.hour = t.minute = t.second = t.microsecond = 0;
		return kv_chunk_append_time(w, &t, tt, fsp, err);
	}
	default:
		if (is_str_tp(tp) && is_str_oid(st.oid)) {
			kv_chunk_append_bytes(w, d->v.s.p, d->v.s.len);
			return CM_OK;
		}
		break;
	}
	(void) scratch;
	return cm_error_set(err, CM_E_INTERNAL_ERROR,
						"coprocessor: cannot write type %u to a column of field type %d",
						(unsigned) st.oid, tp);
}

cm_status
kv_copr_chunk_get(const kv_chunk_col *col, uint32_t row, const kv_copr_ftype *ft, sem_type st,
				  cm_arena *arena, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (kv_chunk_col_is_null(col, row)) {
		out->isnull = true;
		return CM_OK;
	}
	int32_t tp = ft->tp;
	if (is_int_tp(tp)) {
		int64_t v = kv_chunk_col_i64(col, row);
		if ((ft->flag & KV_FT_UNSIGNED) && v < 0 && st.oid != SEM_NUMERICOID)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
		switch (st.oid) {
		case SEM_BOOLOID:
			out->v.b = v != 0;
			return CM_OK;
		case SEM_NUMERICOID:
			if ((ft->flag & KV_FT_UNSIGNED) && v < 0) {
				char buf[32];
				int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long) v);
				return sem_num_in(arena, buf, (size_t) n, -1, &out->v.num, err);
			}
			out->v.num = sem_num_from_int(arena, v);
			return CM_OK;
		case SEM_FLOAT4OID:
		case SEM_FLOAT8OID:
			out->v.f = (double) v;
			return CM_OK;
		default:
			out->v.i = v;
			return CM_OK;
		}
	}
	switch (tp) {
	case KV_TP_FLOAT:
		out->v.f = (double) kv_chunk_col_f32(col, row);
		return CM_OK;
	case KV_TP_DOUBLE:
		out->v.f = kv_chunk_col_f64(col, row);
		if (st.oid == SEM_FLOAT4OID)
			out->v.f = (double) (float) out->v.f;
		return CM_OK;
	case KV_TP_NEWDECIMAL: {
		cm_buf b;
		cm_buf_init(&b);
		cm_status rc = kv_chunk_col_decimal(col, row, &b, err);
		if (rc == CM_OK) {
			if (st.oid == SEM_FLOAT8OID || st.oid == SEM_FLOAT4OID)
				out->v.f = strtod(b.data, NULL);
			else
				rc = num_from_text(arena, b.data, b.len, out, err);
		}
		cm_buf_free(&b);
		return rc;
	}
	case KV_TP_DATE:
	case KV_TP_NEWDATE:
	case KV_TP_DATETIME:
	case KV_TP_TIMESTAMP: {
		kv_time t;
		if (kv_chunk_col_time(col, row, &t, NULL, NULL, err) != CM_OK)
			return CM_ERROR;
		return kvtime_to_sem(&t, st.oid == SEM_DATEOID ? SEM_DATEOID : SEM_TIMESTAMPOID, out, err);
	}
	default:
		if (is_str_tp(tp)) {
			const uint8_t *p;
			size_t n;
			kv_chunk_col_bytes(col, row, &p, &n);
			out->v.s.p = (const char *) p;
			out->v.s.len = (uint32_t) n;
			return CM_OK;
		}
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: unsupported field type %d", tp);
	}
}

/* ---- TypeDefault datums --------------------------------------------------------- */

cm_status
kv_copr_datum_encode(cm_buf *b, const kv_copr_ftype *ft, sem_type st, const sem_datum *d,
					 cm_arena *scratch, cm_error *err)
{
	if (d->isnull) {
		cm_buf_putc(b, KV_FLAG_NIL);
		return CM_OK;
	}
	int32_t tp = ft->tp;
	kv_datum kd;
	if (is_int_tp(tp)) {
		int64_t v;
		if (as_int(st, d, &v, err) != CM_OK)
			return CM_ERROR;
		kd = (ft->flag & KV_FT_UNSIGNED) ? kv_datum_uint((uint64_t) v) : kv_datum_int(v);
		return kv_encode_key(b, &kd, 1, err);
	}
	switch (tp) {
	case KV_TP_FLOAT:
	case KV_TP_DOUBLE: {
		double v;
		if (as_double(st, d, &v, err) != CM_OK)
			return CM_ERROR;
		kd = kv_datum_float(v);
		return kv_encode_key(b, &kd, 1, err);
	}
	case KV_TP_NEWDECIMAL: {
		cm_buf t;
		cm_buf_init(&t);
		cm_status rc = as_decimal_text(st, d, &t, err);
		if (rc == CM_OK) {
			kd = kv_datum_decimal(t.data, t.len, 0, 0);
			rc = kv_encode_key(b, &kd, 1, err);
		}
		cm_buf_free(&t);
		return rc;
	}
	case KV_TP_DATE:
	case KV_TP_NEWDATE:
	case KV_TP_DATETIME:
	case KV_TP_TIMESTAMP: {
		if (!is_dt(st.oid))
			break;
		kv_time t;
		uint64_t packed;
		if (sem_to_kvtime(st.oid, d, &t, err) != CM_OK)
			return CM_ERROR;
		if (time_type_of(tp) == KV_TIME_DATE)
			t.hour = t.minute = t.second = t.microsecond = 0;
		if (kv_time_pack(&t, &packed, err) != CM_OK)
			return CM_ERROR;
		kd = kv_datum_uint(packed);
		return kv_encode_key(b, &kd, 1, err);
	}
	default:
		if (is_str_tp(tp) && is_str_oid(st.oid)) {
			cm_buf_putc(b, KV_FLAG_COMPACT_BYTES);
			kv_encode_compact_bytes(b, d->v.s.p, d->v.s.len);
			return CM_OK;
		}
		break;
	}
	(void) scratch;
	return cm_error_set(err, CM_E_INTERNAL_ERROR,
						"coprocessor: cannot encode type %u as field type %d", (unsigned) st.oid,
						tp);
}

cm_status
kv_copr_datum_decode(const uint8_t **p, const uint8_t *end, const kv_copr_ftype *ft,
					 sem_type st, cm_arena *arena, sem_datum *out, cm_error *err)
{
	kv_datum kd;
	if (kv_decode_datum(p, end, arena, &kd, err) != CM_OK)
		return CM_ERROR;
	(void) ft;
	return kv_copr_kvdatum_to_sem(&kd, st, arena, out, err);
}

/* ---- storage values ------------------------------------------------------------- */

cm_status
kv_copr_cell_to_sem(const uint8_t *p, size_t len, sem_type st, cm_arena *arena, sem_datum *out,
					cm_error *err)
{
	memset(out, 0, sizeof *out);
	switch (st.oid) {
	case SEM_BOOLOID: {
		int64_t v;
		if (kv_row_cell_int(p, len, &v, err) != CM_OK)
			return CM_ERROR;
		out->v.b = v != 0;
		return CM_OK;
	}
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		return kv_row_cell_int(p, len, &out->v.i, err);
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		if (kv_row_cell_float(p, len, &out->v.f, err) != CM_OK)
			return CM_ERROR;
		if (st.oid == SEM_FLOAT4OID)
			out->v.f = (double) (float) out->v.f;
		return CM_OK;
	case SEM_NUMERICOID: {
		/* the SQL catalog stores values TiDB's decimal cannot hold (NaN,
		 * Infinity, > 65 digits, scale > 30) as 0xFF + text; a decimal cell
		 * starts with its precision (<= 65), so the mark is unambiguous */
		if (len > 0 && p[0] == 0xFF)
			return num_from_text(arena, (const char *) p + 1, len - 1, out, err);
		cm_buf b;
		cm_buf_init(&b);
		cm_status rc = kv_row_cell_decimal(p, len, &b, NULL, NULL, err);
		if (rc == CM_OK)
			rc = num_from_text(arena, b.data, b.len, out, err);
		cm_buf_free(&b);
		return rc;
	}
	case SEM_DATEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID: {
		uint64_t packed;
		kv_time t;
		if (kv_row_cell_uint(p, len, &packed, err) != CM_OK ||
			kv_time_unpack(packed, &t, err) != CM_OK)
			return CM_ERROR;
		return kvtime_to_sem(&t, st.oid, out, err);
	}
	default:
		if (is_str_oid(st.oid)) {
			out->v.s.p = len ? cm_memdup(arena, p, len) : "";
			out->v.s.len = (uint32_t) len;
			return CM_OK;
		}
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: cannot read columns of type %u", (unsigned) st.oid);
	}
}

cm_status
kv_copr_kvdatum_to_sem(const kv_datum *kd, sem_type st, cm_arena *arena, sem_datum *out,
					   cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (kd->kind == KV_DATUM_NULL) {
		out->isnull = true;
		return CM_OK;
	}
	int64_t iv = 0;
	bool have_int = false;
	double fv = 0;
	bool have_f = false;
	switch (kd->kind) {
	case KV_DATUM_INT64:
	case KV_DATUM_DURATION:
		iv = kd->i;
		have_int = true;
		break;
	case KV_DATUM_UINT64:
		if (is_dt(st.oid)) {
			kv_time t;
			if (kv_time_unpack(kd->u, &t, err) != CM_OK)
				return CM_ERROR;
			return kvtime_to_sem(&t, st.oid, out, err);
		}
		if (kd->u > (uint64_t) INT64_MAX && st.oid != SEM_NUMERICOID)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
		iv = (int64_t) kd->u;
		have_int = true;
		break;
	case KV_DATUM_FLOAT64:
		fv = kd->f;
		have_f = true;
		break;
	default:
		break;
	}
	switch (st.oid) {
	case SEM_BOOLOID:
		if (!have_int)
			break;
		out->v.b = iv != 0;
		return CM_OK;
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		if (!have_int)
			break;
		out->v.i = iv;
		return CM_OK;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		if (have_int)
			fv = (double) iv;
		else if (!have_f)
			break;
		out->v.f = st.oid == SEM_FLOAT4OID ? (double) (float) fv : fv;
		return CM_OK;
	case SEM_NUMERICOID:
		if (kd->kind == KV_DATUM_DECIMAL)
			return num_from_text(arena, (const char *) kd->b.data, kd->b.len, out, err);
		if (kd->kind == KV_DATUM_UINT64) {
			char buf[32];
			int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long) kd->u);
			return num_from_text(arena, buf, (size_t) n, out, err);
		}
		if (have_int) {
			out->v.num = sem_num_from_int(arena, iv);
			return CM_OK;
		}
		break;
	default:
		if (is_str_oid(st.oid) && kd->kind == KV_DATUM_BYTES) {
			out->v.s.p = kd->b.len ? cm_memdup(arena, kd->b.data, kd->b.len) : "";
			out->v.s.len = (uint32_t) kd->b.len;
			return CM_OK;
		}
		break;
	}
	return cm_error_set(err, CM_E_DATA_CORRUPTED,
						"coprocessor: stored datum of kind %d does not match type %u",
						(int) kd->kind, (unsigned) st.oid);
}

cm_status
kv_copr_sem_to_kvdatum(sem_type st, const sem_datum *d, cm_arena *arena, kv_datum *out,
					   cm_error *err)
{
	if (d->isnull) {
		*out = kv_datum_null();
		return CM_OK;
	}
	switch (st.oid) {
	case SEM_BOOLOID:
		*out = kv_datum_int(d->v.b ? 1 : 0);
		return CM_OK;
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		*out = kv_datum_int(d->v.i);
		return CM_OK;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		*out = kv_datum_float(d->v.f);
		return CM_OK;
	case SEM_NUMERICOID: {
		cm_buf b;
		cm_buf_init(&b);
		cm_status rc = num_text(d->v.num, &b, err);
		if (rc == CM_OK) {
			char *t = cm_memdup(arena, b.data, b.len + 1);
			*out = kv_datum_decimal(t, b.len, 0, 0);
		}
		cm_buf_free(&b);
		return rc;
	}
	case SEM_DATEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID: {
		kv_time t;
		uint64_t packed;
		if (sem_to_kvtime(st.oid, d, &t, err) != CM_OK || kv_time_pack(&t, &packed, err) != CM_OK)
			return CM_ERROR;
		*out = kv_datum_uint(packed);
		return CM_OK;
	}
	default:
		if (is_str_oid(st.oid)) {
			*out = kv_datum_bytes(d->v.s.p, d->v.s.len);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: type %u cannot be stored", (unsigned) st.oid);
	}
}

/* ---- errors ------------------------------------------------------------------- */

char *
kv_copr_error_text(const cm_error *err)
{
	const char *code = err->code[0] ? err->code : "XX000";
	const char *msg = err->message ? err->message : "unknown error";
	size_t n = strlen(msg) + 8;
	char *s = malloc(n);
	if (!s)
		abort();
	snprintf(s, n, "%.5s: %s", code, msg);
	return s;
}

static bool
is_sqlstate_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

cm_status
kv_copr_error_parse(const char *text, size_t len, cm_error *err)
{
	if (len >= 7 && is_sqlstate_char(text[0]) && is_sqlstate_char(text[1]) &&
		is_sqlstate_char(text[2]) && is_sqlstate_char(text[3]) && is_sqlstate_char(text[4]) &&
		text[5] == ':' && text[6] == ' ') {
		char code[6];
		memcpy(code, text, 5);
		code[5] = 0;
		return cm_error_set(err, code, "%.*s", (int) (len - 7), text + 7);
	}
	return cm_error_set(err, CM_E_INTERNAL_ERROR, "coprocessor: %.*s", (int) len, text);
}

int32_t
kv_copr_mysql_code(const char *sqlstate)
{
	if (strncmp(sqlstate, "22003", 5) == 0)
		return 1690; /* ER_DATA_OUT_OF_RANGE */
	if (strncmp(sqlstate, "22012", 5) == 0)
		return 1365; /* ER_DIVISION_BY_ZERO */
	return 1105;	 /* ER_UNKNOWN_ERROR */
}
