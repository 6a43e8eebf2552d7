/*
 * cat_rowcodec.c -- rows and index entries of catalog tables (see
 * cat_rowcodec.h; the per-type encodings are tabled in docs/catalog.md).
 *
 * Row values (row format v2 cells):
 *   bool                    INT64 0/1
 *   int2/int4/int8/oid      INT64
 *   float4/float8           FLOAT64
 *   numeric                 DECIMAL (prec/frac derived from the value, frac =
 *                           display scale) when it has <= 65 digits and a
 *                           scale <= 30; else 0xFF + the text form (NaN,
 *                           Infinity, huge values) -- TiDB cannot read those
 *   text/varchar/bpchar/name/bytea  BYTES (raw)
 *   date                    INT64 days since 2000-01-01
 *   time                    INT64 microseconds since midnight
 *   timestamp/timestamptz   INT64 microseconds since 2000-01-01 (UTC)
 *   interval                BYTES 16: months i32 BE, days i32 BE, micros i64 BE
 *   uuid                    BYTES 16
 *   other (arrays)          BYTES holding the PostgreSQL text form
 * Index keys (memcomparable datums): ints, bool, date/time/timestamps as
 * INT64; floats FLOAT64; strings BYTES (bpchar without trailing spaces);
 * numeric, interval, uuid and the rest as BYTES of an order-preserving
 * image (numeric: class byte + exponent + digit nibbles; interval: its
 * 128-bit span in microseconds with 30-day months, as PostgreSQL compares).
 */
#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_tablecodec.h"
#include "sql/catalog/cat_rowcodec.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

#define NUM_TEXT_MARK 0xFF

/* ---------- type classes ---------- */

static bool
is_int_type(sem_oid t)
{
	switch (t) {
	case SEM_INT2OID: case SEM_INT4OID: case SEM_INT8OID: case SEM_OIDOID: case SEM_REGCLASSOID:
	case SEM_REGTYPEOID: case SEM_REGPROCOID: case SEM_CHAROID:
	case SEM_DATEOID: case SEM_TIMEOID: case SEM_TIMESTAMPOID: case SEM_TIMESTAMPTZOID:
		return true;
	default:
		return false;
	}
}

static bool
is_bytes_type(sem_oid t)
{
	return t == SEM_TEXTOID || t == SEM_VARCHAROID || t == SEM_BPCHAROID || t == SEM_NAMEOID || t == SEM_BYTEAOID;
}

bool
cat_type_storable(sem_oid t)
{
	if (is_int_type(t) || is_bytes_type(t))
		return true;
	switch (t) {
	case SEM_BOOLOID: case SEM_FLOAT4OID: case SEM_FLOAT8OID: case SEM_NUMERICOID: case SEM_INTERVALOID:
	case SEM_UUIDOID:
		return true;
	default:
		return sem_type_category(t) == SEM_TYPCAT_ARRAY;
	}
}

kv_datum_kind
cat_value_kind(sem_oid t)
{
	if (is_int_type(t) || t == SEM_BOOLOID)
		return KV_DATUM_INT64;
	if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID)
		return KV_DATUM_FLOAT64;
	if (t == SEM_NUMERICOID)
		return KV_DATUM_DECIMAL;
	return KV_DATUM_BYTES;
}

kv_datum_kind
cat_key_kind(sem_oid t)
{
	if (is_int_type(t) || t == SEM_BOOLOID)
		return KV_DATUM_INT64;
	if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID)
		return KV_DATUM_FLOAT64;
	return KV_DATUM_BYTES;
}

static void
mini_ctx(cm_arena *a, sem_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->arena = a;
	ctx->timezone = "UTC";
	ctx->extra_float_digits = 1;
}

/* ---------- numeric helpers ---------- */

/* Digits of a finite numeric's text: sign, significant digits (no leading or
 * trailing zeros), decimal exponent of the first digit, and the counts of
 * integer and fraction digits of the text. */
typedef struct numparts {
	bool neg;
	bool zero;
	char *digits;
	int ndigits;
	int exp;		/* value = 0.d1d2... * 10^exp */
	int intdigits;	/* digits before the point in the text (without leading zeros) */
	int fracdigits;	/* digits after the point in the text */
} numparts;

static void
num_parts(cm_arena *a, const char *s, numparts *p)
{
	memset(p, 0, sizeof *p);
	if (*s == '-') {
		p->neg = true;
		s++;
	}
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t) (dot - s) : strlen(s);
	const char *frac = dot ? dot + 1 : "";
	size_t flen = strlen(frac);
	p->fracdigits = (int) flen;
	/* all digits, integer then fraction */
	char *all = cm_alloc(a, ilen + flen + 1);
	memcpy(all, s, ilen);
	memcpy(all + ilen, frac, flen);
	all[ilen + flen] = '\0';
	size_t lead = 0, n = ilen + flen;
	while (lead < n && all[lead] == '0')
		lead++;
	p->intdigits = lead < ilen ? (int) (ilen - lead) : 0;
	size_t end = n;
	while (end > lead && all[end - 1] == '0')
		end--;
	if (end == lead) {
		p->zero = true;
		p->neg = false;
		p->digits = all + n;
		return;
	}
	p->digits = all + lead;
	p->ndigits = (int) (end - lead);
	p->digits[p->ndigits] = '\0';
	p->exp = (int) ilen - (int) lead;
}

/* Order-preserving image of a numeric for index keys. */
static void
num_key(cm_arena *a, const sem_numeric *n, cm_buf *out)
{
	switch (n->kind) {
	case SEM_NUM_NINF: cm_buf_putc(out, 0x01); return;
	case SEM_NUM_PINF: cm_buf_putc(out, 0x05); return;
	case SEM_NUM_NAN: cm_buf_putc(out, 0x06); return;
	default: break;
	}
	char *txt = sem_num_to_cstring(a, n);
	numparts p;
	num_parts(a, txt, &p);
	if (p.zero) {
		cm_buf_putc(out, 0x03);
		return;
	}
	cm_buf_putc(out, p.neg ? 0x02 : 0x04);
	size_t start = out->len;
	uint32_t e = (uint32_t) p.exp ^ 0x80000000u;
	cm_buf_put_u32be(out, e);
	for (int i = 0; i < p.ndigits; i += 2) {
		int hi = p.digits[i] - '0' + 1;
		int lo = i + 1 < p.ndigits ? p.digits[i + 1] - '0' + 1 : 0;
		cm_buf_putc(out, (char) (hi << 4 | lo));
	}
	if (p.ndigits % 2 == 0)
		cm_buf_putc(out, 0);
	if (p.neg)
		for (size_t i = start; i < out->len; i++)
			out->data[i] = (char) ~out->data[i];
}

/* ---------- column values ---------- */

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24); p[1] = (uint8_t) (v >> 16); p[2] = (uint8_t) (v >> 8); p[3] = (uint8_t) v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t) v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

cm_status
cat_datum_to_value(cm_arena *a, sem_type t, const sem_datum *d, kv_datum *out, cm_error *err)
{
	if (d->isnull) {
		*out = kv_datum_null();
		return CM_OK;
	}
	sem_oid o = t.oid;
	if (o == SEM_BOOLOID) {
		*out = kv_datum_int(d->v.b ? 1 : 0);
		return CM_OK;
	}
	if (is_int_type(o)) {
		*out = kv_datum_int(d->v.i);
		return CM_OK;
	}
	if (o == SEM_FLOAT4OID || o == SEM_FLOAT8OID) {
		*out = kv_datum_float(d->v.f);
		return CM_OK;
	}
	if (is_bytes_type(o)) {
		*out = kv_datum_bytes(d->v.s.p, d->v.s.len);
		return CM_OK;
	}
	if (o == SEM_NUMERICOID) {
		const sem_numeric *n = d->v.num;
		char *txt = sem_num_to_cstring(a, n);
		if (!sem_num_is_special(n)) {
			numparts p;
			num_parts(a, txt, &p);
			int intd = p.intdigits;
			if (p.fracdigits <= KV_DECIMAL_MAX_FRAC && intd + p.fracdigits <= KV_DECIMAL_MAX_PREC) {
				*out = kv_datum_decimal(txt, strlen(txt), 0, 0);
				return CM_OK;
			}
		}
		size_t len = strlen(txt);
		uint8_t *b = cm_alloc(a, len + 1);
		b[0] = NUM_TEXT_MARK;
		memcpy(b + 1, txt, len);
		*out = kv_datum_bytes(b, len + 1);
		return CM_OK;
	}
	if (o == SEM_INTERVALOID) {
		uint8_t *b = cm_alloc(a, 16);
		put_be32(b, (uint32_t) d->v.iv.month);
		put_be32(b + 4, (uint32_t) d->v.iv.day);
		put_be64(b + 8, (uint64_t) d->v.iv.time);
		*out = kv_datum_bytes(b, 16);
		return CM_OK;
	}
	if (o == SEM_UUIDOID) {
		*out = kv_datum_bytes(cm_memdup(a, d->v.uuid, 16), 16);
		return CM_OK;
	}
	/* generic: the text form */
	sem_ctx ctx;
	mini_ctx(a, &ctx);
	char *s = sem_out_cstring(&ctx, t, d);
	*out = kv_datum_bytes(s, strlen(s));
	(void) err;
	return CM_OK;
}

cm_status
cat_datum_to_key(cm_arena *a, sem_type t, const sem_datum *d, kv_datum *out, cm_error *err)
{
	if (d->isnull) {
		*out = kv_datum_null();
		return CM_OK;
	}
	sem_oid o = t.oid;
	if (o == SEM_BOOLOID || is_int_type(o) || o == SEM_FLOAT4OID || o == SEM_FLOAT8OID ||
		(is_bytes_type(o) && o != SEM_BPCHAROID))
		return cat_datum_to_value(a, t, d, out, err);
	if (o == SEM_BPCHAROID) {
		uint32_t len = d->v.s.len;
		while (len > 0 && d->v.s.p[len - 1] == ' ')
			len--;
		*out = kv_datum_bytes(d->v.s.p, len);
		return CM_OK;
	}
	cm_buf b;
	cm_buf_init(&b);
	if (o == SEM_NUMERICOID)
		num_key(a, d->v.num, &b);
	else if (o == SEM_INTERVALOID) {
		__int128 span = (__int128) d->v.iv.time +
						((__int128) d->v.iv.day + (__int128) d->v.iv.month * 30) * (__int128) 86400000000LL;
		unsigned __int128 u = (unsigned __int128) span ^ ((unsigned __int128) 1 << 127);
		uint8_t buf[16];
		put_be64(buf, (uint64_t) (u >> 64));
		put_be64(buf + 8, (uint64_t) u);
		cm_buf_append(&b, buf, 16);
	} else if (o == SEM_UUIDOID)
		cm_buf_append(&b, d->v.uuid, 16);
	else {
		kv_datum v;
		if (cat_datum_to_value(a, t, d, &v, err) != CM_OK) {
			cm_buf_free(&b);
			return CM_ERROR;
		}
		cm_buf_append(&b, v.b.data, v.b.len);
	}
	*out = kv_datum_bytes(cm_memdup(a, b.data ? b.data : "", b.len ? b.len : 1), b.len);
	cm_buf_free(&b);
	return CM_OK;
}

cm_status
cat_datum_from_cell(cm_arena *a, sem_type t, const uint8_t *p, size_t len, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	sem_oid o = t.oid;
	if (o == SEM_BOOLOID || is_int_type(o)) {
		int64_t v;
		if (kv_row_cell_int(p, len, &v, err) != CM_OK)
			return CM_ERROR;
		if (o == SEM_BOOLOID)
			out->v.b = v != 0;
		else
			out->v.i = v;
		return CM_OK;
	}
	if (o == SEM_FLOAT4OID || o == SEM_FLOAT8OID)
		return kv_row_cell_float(p, len, &out->v.f, err);
	if (is_bytes_type(o)) {
		char *s = cm_alloc(a, len + 1);
		if (len)
			memcpy(s, p, len);
		s[len] = '\0';
		out->v.s.p = s;
		out->v.s.len = (uint32_t) len;
		return CM_OK;
	}
	if (o == SEM_NUMERICOID) {
		if (len > 0 && p[0] == NUM_TEXT_MARK)
			return sem_num_in(a, (const char *) p + 1, len - 1, -1, &out->v.num, err);
		cm_buf txt;
		cm_buf_init(&txt);
		cm_status st = kv_row_cell_decimal(p, len, &txt, NULL, NULL, err);
		if (st == CM_OK)
			st = sem_num_in(a, txt.data ? txt.data : "0", txt.len, -1, &out->v.num, err);
		cm_buf_free(&txt);
		return st;
	}
	if (o == SEM_INTERVALOID) {
		if (len != 16)
			return cm_error_set(err, CM_E_DATA_CORRUPTED, "interval cell has %zu bytes", len);
		out->v.iv.month = (int32_t) get_be32(p);
		out->v.iv.day = (int32_t) get_be32(p + 4);
		out->v.iv.time = (int64_t) get_be64(p + 8);
		return CM_OK;
	}
	if (o == SEM_UUIDOID) {
		if (len != 16)
			return cm_error_set(err, CM_E_DATA_CORRUPTED, "uuid cell has %zu bytes", len);
		memcpy(out->v.uuid, p, 16);
		return CM_OK;
	}
	sem_ctx ctx;
	mini_ctx(a, &ctx);
	char *s = cm_strndup(a, (const char *) p, len);
	return sem_in_text(&ctx, (sem_type){o, -1}, s, len, out, err);
}

cm_status
cat_cell_encode(cm_arena *a, sem_type t, const sem_datum *d, cm_buf *out, cm_error *err)
{
	/* Encode a one-column row and cut the cell out of it. */
	kv_datum v;
	if (cat_datum_to_value(a, t, d, &v, err) != CM_OK)
		return CM_ERROR;
	cm_buf row;
	cm_buf_init(&row);
	int64_t id = 1;
	cm_status st = kv_row_encode(&row, &id, &v, 1, err);
	if (st == CM_OK) {
		kv_row_cell cell;
		st = kv_row_v2_lookup((const uint8_t *) row.data, row.len, &id, 1, &cell, err);
		if (st == CM_OK && cell.state == KV_COL_VALUE)
			cm_buf_append(out, cell.data, cell.len);
	}
	cm_buf_free(&row);
	return st;
}

/* ---------- rows ---------- */

void
cat_row_key(const cat_table *t, int64_t handle, cm_buf *key)
{
	kv_record_key(key, t->id, handle);
}

cm_status
cat_row_encode(cm_arena *a, const cat_table *t, const sem_datum *row, cm_buf *val, cm_error *err)
{
	int64_t *ids = cm_alloc(a, sizeof(int64_t) * (size_t) (t->ncols + 1));
	kv_datum *vals = cm_alloc(a, sizeof(kv_datum) * (size_t) (t->ncols + 1));
	size_t n = 0;
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *c = &t->cols[i];
		if (c->dropped || i == t->handle_col)
			continue;
		if (cat_datum_to_value(a, c->type, &row[i], &vals[n], err) != CM_OK)
			return CM_ERROR;
		ids[n++] = c->id;
	}
	return kv_row_encode(val, ids, vals, n, err);
}

cm_status
cat_row_decode(cm_arena *a, const cat_table *t, const uint8_t *val, size_t len, int64_t handle, sem_datum *row,
			   cm_error *err)
{
	kv_row_v2 r;
	if (kv_row_v2_parse(val, len, &r, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *c = &t->cols[i];
		sem_datum *d = &row[i];
		memset(d, 0, sizeof *d);
		if (c->dropped) {
			d->isnull = true;
			continue;
		}
		if (i == t->handle_col) {
			d->v.i = handle;
			continue;
		}
		kv_row_cell cell = kv_row_v2_find(&r, c->id);
		if (cell.state == KV_COL_VALUE) {
			if (cat_datum_from_cell(a, c->type, cell.data, cell.len, d, err) != CM_OK)
				return CM_ERROR;
		} else if (cell.state == KV_COL_ABSENT && c->has_missing && !c->missing_null) {
			if (cat_datum_from_cell(a, c->type, c->missing, c->missing_len, d, err) != CM_OK)
				return CM_ERROR;
		} else
			d->isnull = true;
	}
	return CM_OK;
}

/* ---------- indexes ---------- */

static cm_status
index_datums(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *vals, int n, bool by_row,
			 kv_datum *out, bool *has_null, cm_error *err)
{
	*has_null = false;
	for (int i = 0; i < n; i++) {
		int pos;
		const cat_column *c = sql_cat_column_by_id(t, ix->col_ids[i], &pos);
		if (c == NULL)
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "index \"%s\" names a missing column", ix->name);
		const sem_datum *d = by_row ? &vals[pos] : &vals[i];
		if (d->isnull)
			*has_null = true;
		if (cat_datum_to_key(a, c->type, d, &out[i], err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status
cat_index_key(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *row, int64_t handle,
			  cm_buf *key, bool *has_null, cm_error *err)
{
	kv_datum *d = cm_alloc(a, sizeof(kv_datum) * (size_t) (ix->ncols + 1));
	if (index_datums(a, t, ix, row, ix->ncols, true, d, has_null, err) != CM_OK)
		return CM_ERROR;
	kv_handle h = kv_handle_int(handle);
	bool suffix = !ix->unique || *has_null;
	return kv_index_key(key, t->id, ix->id, d, (size_t) ix->ncols, suffix ? &h : NULL, err);
}

cm_status
cat_index_key_prefix(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *vals, int n,
					 cm_buf *key, cm_error *err)
{
	kv_datum *d = cm_alloc(a, sizeof(kv_datum) * (size_t) (n + 1));
	bool has_null;
	if (index_datums(a, t, ix, vals, n, false, d, &has_null, err) != CM_OK)
		return CM_ERROR;
	return kv_index_key(key, t->id, ix->id, d, (size_t) n, NULL, err);
}

void
cat_index_value(const cat_index *ix, bool has_null, int64_t handle, cm_buf *val)
{
	if (ix->unique && !has_null)
		kv_index_value_unique(val, handle);
	else
		kv_index_value_nonunique(val);
}

cm_status
cat_index_entry(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *row, int64_t handle,
				cm_buf *key, cm_buf *val, bool *distinct, cm_error *err)
{
	bool has_null;
	if (cat_index_key(a, t, ix, row, handle, key, &has_null, err) != CM_OK)
		return CM_ERROR;
	cat_index_value(ix, has_null, handle, val);
	if (distinct)
		*distinct = ix->unique && !has_null;
	return CM_OK;
}

/* ---------- scans and point reads ---------- */

struct cat_scan {
	kv_txn *txn;
	const cat_table *t;
	cat_handle_range *ranges;
	int nranges;
	int cur;
	kv_iter *it;
	bool whole;
};

static cm_status
scan_open_range(cat_scan *s, cm_error *err)
{
	cm_buf st, en;
	cm_buf_init(&st);
	cm_buf_init(&en);
	if (s->whole)
		kv_record_range(&st, &en, s->t->id);
	else {
		kv_record_key(&st, s->t->id, s->ranges[s->cur].lo);
		cm_buf tmp;
		cm_buf_init(&tmp);
		kv_record_key(&tmp, s->t->id, s->ranges[s->cur].hi);
		(void) kv_prefix_next(&en, tmp.data, tmp.len);
		cm_buf_free(&tmp);
	}
	kv_iter_options o = {.start = (const uint8_t *) st.data, .start_len = st.len,
						 .end = (const uint8_t *) en.data, .end_len = en.len};
	kv_err e = kv_txn_iter(s->txn, &o, &s->it, err);
	cm_buf_free(&st);
	cm_buf_free(&en);
	return e == KV_OK ? CM_OK : CM_ERROR;
}

cm_status
cat_scan_open(kv_txn *txn, const cat_table *t, const cat_handle_range *ranges, int nranges, cat_scan **out,
			  cm_error *err)
{
	cat_scan *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->txn = txn;
	s->t = t;
	s->whole = nranges <= 0;
	if (!s->whole) {
		s->ranges = malloc(sizeof(cat_handle_range) * (size_t) nranges);
		if (!s->ranges)
			abort();
		memcpy(s->ranges, ranges, sizeof(cat_handle_range) * (size_t) nranges);
		s->nranges = nranges;
		/* skip empty ranges */
		while (s->cur < s->nranges && s->ranges[s->cur].lo > s->ranges[s->cur].hi)
			s->cur++;
		if (s->cur == s->nranges) {
			*out = s;
			return CM_OK;
		}
	}
	if (scan_open_range(s, err) != CM_OK) {
		cat_scan_close(s);
		return CM_ERROR;
	}
	*out = s;
	return CM_OK;
}

cm_status
cat_scan_next(cat_scan *s, cm_arena *a, sem_datum *row, int64_t *handle, bool *done, cm_error *err)
{
	for (;;) {
		if (s->it && kv_iter_valid(s->it)) {
			size_t kl, vl;
			const uint8_t *k = kv_iter_key(s->it, &kl);
			const uint8_t *v = kv_iter_value(s->it, &vl);
			int64_t h;
			if (kv_decode_record_key(k, kl, NULL, &h, err) != CM_OK)
				return CM_ERROR;
			if (cat_row_decode(a, s->t, v, vl, h, row, err) != CM_OK)
				return CM_ERROR;
			*handle = h;
			*done = false;
			if (kv_iter_next(s->it, err) != KV_OK)
				return CM_ERROR;
			return CM_OK;
		}
		if (s->it) {
			kv_iter_close(s->it);
			s->it = NULL;
		}
		if (s->whole || ++s->cur >= s->nranges) {
			*done = true;
			return CM_OK;
		}
		if (s->ranges[s->cur].lo > s->ranges[s->cur].hi)
			continue;
		if (scan_open_range(s, err) != CM_OK)
			return CM_ERROR;
	}
}

void
cat_scan_close(cat_scan *s)
{
	if (!s)
		return;
	if (s->it)
		kv_iter_close(s->it);
	free(s->ranges);
	free(s);
}

cm_status
cat_row_get(kv_txn *txn, cm_arena *a, const cat_table *t, int64_t handle, sem_datum *row, bool *found, cm_error *err)
{
	uint8_t key[KV_RECORD_KEY_LEN];
	kv_record_key_fixed(key, t->id, handle);
	kv_value v;
	if (kv_txn_get(txn, a, key, sizeof key, &v, err) != KV_OK)
		return CM_ERROR;
	*found = v.found;
	if (!v.found)
		return CM_OK;
	return cat_row_decode(a, t, v.data, v.len, handle, row, err);
}

cm_status
cat_index_get_unique(kv_txn *txn, cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *vals,
					 int64_t *handle, bool *found, cm_error *err)
{
	*found = false;
	for (int i = 0; i < ix->ncols; i++)
		if (vals[i].isnull)
			return CM_OK;
	cm_buf k;
	cm_buf_init(&k);
	cm_status st = cat_index_key_prefix(a, t, ix, vals, ix->ncols, &k, err);
	kv_value v;
	if (st == CM_OK && kv_txn_get(txn, a, (const uint8_t *) k.data, k.len, &v, err) != KV_OK)
		st = CM_ERROR;
	cm_buf_free(&k);
	if (st != CM_OK || !v.found)
		return st;
	kv_index_value iv;
	if (kv_index_value_decode(v.data, v.len, &iv, err) != CM_OK)
		return CM_ERROR;
	if (!iv.has_int_handle)
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "unique index entry of \"%s\" has no handle", ix->name);
	*handle = iv.int_handle;
	*found = true;
	return CM_OK;
}
