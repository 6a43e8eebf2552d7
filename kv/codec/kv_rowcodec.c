/*
 * kv_rowcodec.c -- row values: TiDB row format v2 (write and read) and the
 *                  old v1 format (read).
 *
 * v2 layout (facts 4.5): 0x80 | flags | u16 LE not-null count | u16 LE null
 * count | not-null ids ascending, null ids ascending (u8, or u32 LE when
 * large) | end offset per not-null column (u16 LE, or u32 LE when large) |
 * cell data | optional checksum.  v1 is a sequence of value-encoded datum
 * pairs (column id, value).
 *
 * The encoder writes the header in its small size first and moves the data
 * only when the cell data turns out to exceed 65535 bytes, so a row costs
 * one pass and, for up to STACK_COLS columns, no heap allocation.
 *
 * Exported: kv_row_encode, kv_row_v2_parse, kv_row_v2_find,
 * kv_row_v2_lookup, kv_row_cell_{int,uint,float,decimal,datum},
 * kv_row_decode (see kv_tablecodec.h).
 */
#include "kv/codec/kv_tablecodec.h"

#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_codec_internal.h"

#define HDR_FIXED 6
#define SMALL_MAX_ID 255
#define SMALL_MAX_DATA 65535
#define MAX_LIST_COLS 65535
#define STACK_COLS 64

typedef struct col_ent {
	int64_t id;
	uint32_t idx; /* position in the caller's arrays */
	uint32_t end; /* end offset of a not-null cell */
} col_ent;

static int col_ent_cmp(const void *a, const void *b);
static size_t header_size(bool large, size_t nn, size_t nnull);
static void put_le(cm_buf *b, uint64_t v, size_t n);
static cm_status encode_cell(cm_buf *b, const kv_datum *d, cm_error *err);
static long search_ids(const kv_row_v2 *r, size_t lo, size_t hi, int64_t id);
static cm_status convert_v1(kv_datum *d, kv_datum_kind want, cm_error *err);
static cm_status decode_v1(const uint8_t *row, size_t len, const int64_t *ids,
						   const kv_datum_kind *kinds, size_t n, cm_arena *arena, kv_datum *out,
						   kv_col_state *states, cm_error *err);

static int
col_ent_cmp(const void *a, const void *b)
{
	const col_ent *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static size_t
header_size(bool large, size_t nn, size_t nnull)
{
	return HDR_FIXED + (nn + nnull) * (large ? 4 : 1) + nn * (large ? 4 : 2);
}

static void
put_le(cm_buf *b, uint64_t v, size_t n)
{
	uint8_t *p = kv_buf_grow(b, n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* Append the v2 cell payload of one not-null datum. */
static cm_status
encode_cell(cm_buf *b, const kv_datum *d, cm_error *err)
{
	switch (d->kind) {
	case KV_DATUM_INT64:
	case KV_DATUM_DURATION: {
		int64_t v = d->i;
		size_t n = (v >= INT8_MIN && v <= INT8_MAX)	  ? 1
				   : (v >= INT16_MIN && v <= INT16_MAX) ? 2
				   : (v >= INT32_MIN && v <= INT32_MAX) ? 4
														: 8;
		put_le(b, (uint64_t) v, n);
		return CM_OK;
	}
	case KV_DATUM_UINT64: {
		uint64_t v = d->u;
		size_t n = v <= UINT8_MAX ? 1 : v <= UINT16_MAX ? 2 : v <= UINT32_MAX ? 4 : 8;
		put_le(b, v, n);
		return CM_OK;
	}
	case KV_DATUM_FLOAT64:
		kv_encode_float(b, d->f);
		return CM_OK;
	case KV_DATUM_BYTES:
		cm_buf_append(b, d->b.data, d->b.len);
		return CM_OK;
	case KV_DATUM_DECIMAL:
		return kv_encode_decimal(b, (const char *) d->b.data, d->b.len, d->dec_prec, d->dec_frac,
								 err);
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR,
							"datum kind %d cannot be stored in a row", (int) d->kind);
	}
}

cm_status
kv_row_encode(cm_buf *b, const int64_t *col_ids, const kv_datum *vals, size_t n, cm_error *err)
{
	col_ent stack_ents[STACK_COLS];
	col_ent *ents = stack_ents;
	size_t start = b->len;
	size_t nn = 0, nnull = 0;
	bool large = false;
	cm_status st = CM_ERROR;

	if (n > STACK_COLS) {
		ents = malloc(n * sizeof *ents);
		if (ents == NULL)
			return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory encoding a row");
	}
	/* not-null columns first, then null ones; each group sorted by id */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			bool is_null = vals[i].kind == KV_DATUM_NULL;
			if (is_null != (pass == 1))
				continue;
			if (col_ids[i] < 0 || col_ids[i] > (int64_t) UINT32_MAX) {
				cm_error_set(err, CM_E_INTERNAL_ERROR,
							 "column id %lld out of range for row format v2",
							 (long long) col_ids[i]);
				goto out;
			}
			if (col_ids[i] > SMALL_MAX_ID)
				large = true;
			col_ent *e = &ents[nn + nnull];
			e->id = col_ids[i];
			e->idx = (uint32_t) i;
			e->end = 0;
			if (is_null)
				nnull++;
			else
				nn++;
		}
	}
	if (nn > MAX_LIST_COLS || nnull > MAX_LIST_COLS) {
		cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "too many columns in a row");
		goto out;
	}
	qsort(ents, nn, sizeof *ents, col_ent_cmp);
	qsort(ents + nn, nnull, sizeof *ents, col_ent_cmp);
	/* ids must be distinct across both lists */
	for (size_t i = 0; i + 1 < nn; i++) {
		if (ents[i].id == ents[i + 1].id)
			goto dup;
	}
	for (size_t i = nn; i + 1 < nn + nnull; i++) {
		if (ents[i].id == ents[i + 1].id)
			goto dup;
	}
	for (size_t i = 0, j = nn; i < nn && j < nn + nnull;) {
		if (ents[i].id == ents[j].id)
			goto dup;
		if (ents[i].id < ents[j].id)
			i++;
		else
			j++;
	}

	size_t hdr = header_size(large, nn, nnull);
	(void) kv_buf_grow(b, hdr);
	size_t data_start = b->len;
	for (size_t i = 0; i < nn; i++) {
		if (encode_cell(b, &vals[ents[i].idx], err) != CM_OK)
			goto out;
		size_t end = b->len - data_start;
		if (end > UINT32_MAX) {
			cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "row data too large");
			goto out;
		}
		ents[i].end = (uint32_t) end;
	}
	size_t data_len = b->len - data_start;
	if (!large && data_len > SMALL_MAX_DATA) {
		size_t big = header_size(true, nn, nnull);
		(void) kv_buf_grow(b, big - hdr);
		memmove(b->data + start + big, b->data + start + hdr, data_len);
		large = true;
	}

	uint8_t *h = (uint8_t *) b->data + start;
	h[0] = KV_ROW_V2;
	h[1] = large ? KV_ROW_FLAG_LARGE : 0;
	kv_st_u16le(h + 2, (uint16_t) nn);
	kv_st_u16le(h + 4, (uint16_t) nnull);
	uint8_t *q = h + HDR_FIXED;
	for (size_t i = 0; i < nn + nnull; i++) {
		if (large) {
			kv_st_u32le(q, (uint32_t) ents[i].id);
			q += 4;
		} else {
			*q++ = (uint8_t) ents[i].id;
		}
	}
	for (size_t i = 0; i < nn; i++) {
		if (large) {
			kv_st_u32le(q, ents[i].end);
			q += 4;
		} else {
			kv_st_u16le(q, (uint16_t) ents[i].end);
			q += 2;
		}
	}
	st = CM_OK;
	goto out;
dup:
	cm_error_set(err, CM_E_INTERNAL_ERROR, "duplicate column id in row");
out:
	if (st != CM_OK)
		cm_buf_truncate(b, start);
	if (ents != stack_ents)
		free(ents);
	return st;
}

/* ---- v2 reading ------------------------------------------------------------ */

static inline uint32_t
row_id(const kv_row_v2 *r, size_t i)
{
	return r->large ? kv_ld_u32le(r->ids + 4 * i) : r->ids[i];
}

static inline uint32_t
row_end(const kv_row_v2 *r, size_t i)
{
	return r->large ? kv_ld_u32le(r->offsets + 4 * i) : kv_ld_u16le(r->offsets + 2 * i);
}

cm_status
kv_row_v2_parse(const uint8_t *row, size_t len, kv_row_v2 *r, cm_error *err)
{
	if (len < HDR_FIXED || row[0] != KV_ROW_V2)
		return kv_corrupt(err, "bad row v2 header");
	r->large = (row[1] & KV_ROW_FLAG_LARGE) != 0;
	r->n_notnull = kv_ld_u16le(row + 2);
	r->n_null = kv_ld_u16le(row + 4);
	size_t hdr = header_size(r->large, r->n_notnull, r->n_null);
	if (hdr > len)
		return kv_corrupt(err, "truncated row v2 header");
	r->ids = row + HDR_FIXED;
	r->offsets = r->ids + (size_t) (r->n_notnull + r->n_null) * (r->large ? 4 : 1);
	r->data = row + hdr;
	size_t avail = len - hdr;
	uint32_t prev = 0;
	for (uint32_t i = 0; i < r->n_notnull; i++) {
		uint32_t e = row_end(r, i);
		if (e < prev || e > avail)
			return kv_corrupt(err, "bad row v2 cell offset");
		prev = e;
	}
	r->data_len = prev;
	for (uint32_t i = 1; i < r->n_notnull; i++) {
		if (row_id(r, i - 1) >= row_id(r, i))
			return kv_corrupt(err, "row v2 column ids not ascending");
	}
	for (uint32_t i = 1; i < r->n_null; i++) {
		if (row_id(r, r->n_notnull + i - 1) >= row_id(r, r->n_notnull + i))
			return kv_corrupt(err, "row v2 null column ids not ascending");
	}
	return CM_OK;
}

/* Index of id in ids[lo, hi), or -1. */
static long
search_ids(const kv_row_v2 *r, size_t lo, size_t hi, int64_t id)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t m = row_id(r, mid);
		if (m == id)
			return (long) mid;
		if (m < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

kv_row_cell
kv_row_v2_find(const kv_row_v2 *r, int64_t col_id)
{
	kv_row_cell c = {KV_COL_ABSENT, NULL, 0};
	if (col_id < 0 || col_id > (int64_t) UINT32_MAX)
		return c;
	long i = search_ids(r, 0, r->n_notnull, col_id);
	if (i >= 0) {
		uint32_t s = i == 0 ? 0 : row_end(r, (size_t) i - 1);
		c.state = KV_COL_VALUE;
		c.data = r->data + s;
		c.len = row_end(r, (size_t) i) - s;
		return c;
	}
	if (search_ids(r, r->n_notnull, (size_t) r->n_notnull + r->n_null, col_id) >= 0)
		c.state = KV_COL_NULL;
	return c;
}

cm_status
kv_row_v2_lookup(const uint8_t *row, size_t len, const int64_t *ids, size_t n, kv_row_cell *out,
				 cm_error *err)
{
	kv_row_v2 r;
	if (kv_row_v2_parse(row, len, &r, err) != CM_OK)
		return CM_ERROR;
	for (size_t i = 0; i < n; i++)
		out[i] = kv_row_v2_find(&r, ids[i]);
	return CM_OK;
}

/* ---- typed cells ------------------------------------------------------------ */

cm_status
kv_row_cell_int(const uint8_t *p, size_t len, int64_t *out, cm_error *err)
{
	switch (len) {
	case 1:
		*out = (int8_t) p[0];
		return CM_OK;
	case 2:
		*out = (int16_t) kv_ld_u16le(p);
		return CM_OK;
	case 4:
		*out = (int32_t) kv_ld_u32le(p);
		return CM_OK;
	case 8:
		*out = (int64_t) kv_ld_u64le(p);
		return CM_OK;
	default:
		return kv_corrupt(err, "bad integer cell length");
	}
}

cm_status
kv_row_cell_uint(const uint8_t *p, size_t len, uint64_t *out, cm_error *err)
{
	switch (len) {
	case 1:
		*out = p[0];
		return CM_OK;
	case 2:
		*out = kv_ld_u16le(p);
		return CM_OK;
	case 4:
		*out = kv_ld_u32le(p);
		return CM_OK;
	case 8:
		*out = kv_ld_u64le(p);
		return CM_OK;
	default:
		return kv_corrupt(err, "bad unsigned integer cell length");
	}
}

cm_status
kv_row_cell_float(const uint8_t *p, size_t len, double *out, cm_error *err)
{
	if (len != 8)
		return kv_corrupt(err, "bad float cell length");
	*out = kv_cmp_to_float(kv_get_uint(p));
	return CM_OK;
}

cm_status
kv_row_cell_decimal(const uint8_t *p, size_t len, cm_buf *out, int *prec, int *frac,
					cm_error *err)
{
	const uint8_t *q = p;
	if (kv_decode_decimal(&q, p + len, out, prec, frac, err) != CM_OK)
		return CM_ERROR;
	if (q != p + len)
		return kv_corrupt(err, "trailing bytes in decimal cell");
	return CM_OK;
}

cm_status
kv_row_cell_datum(const uint8_t *p, size_t len, kv_datum_kind kind, cm_arena *arena,
				  kv_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	switch (kind) {
	case KV_DATUM_INT64:
	case KV_DATUM_DURATION:
		return kv_row_cell_int(p, len, &out->i, err);
	case KV_DATUM_UINT64:
		return kv_row_cell_uint(p, len, &out->u, err);
	case KV_DATUM_FLOAT64:
		return kv_row_cell_float(p, len, &out->f, err);
	case KV_DATUM_BYTES:
		out->b.data = p;
		out->b.len = len;
		return CM_OK;
	case KV_DATUM_DECIMAL: {
		cm_buf tmp;
		int prec, frac;
		cm_buf_init(&tmp);
		cm_status st = kv_row_cell_decimal(p, len, &tmp, &prec, &frac, err);
		if (st == CM_OK) {
			out->dec_prec = (uint8_t) prec;
			out->dec_frac = (uint8_t) frac;
			out->b.len = tmp.len;
			out->b.data = cm_memdup(arena, tmp.data, tmp.len + 1);
		}
		cm_buf_free(&tmp);
		return st;
	}
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR,
							"datum kind %d cannot be read from a row", (int) kind);
	}
}

/* ---- v1 and the generic decoder ----------------------------------------------- */

/* Convert a v1 value datum to the wanted kind when that loses nothing. */
static cm_status
convert_v1(kv_datum *d, kv_datum_kind want, cm_error *err)
{
	if (d->kind == want)
		return CM_OK;
	switch (want) {
	case KV_DATUM_INT64:
		if (d->kind == KV_DATUM_UINT64 && d->u <= (uint64_t) INT64_MAX) {
			d->i = (int64_t) d->u;
			d->kind = want;
			return CM_OK;
		}
		break;
	case KV_DATUM_UINT64:
		if (d->kind == KV_DATUM_INT64 && d->i >= 0) {
			d->u = (uint64_t) d->i;
			d->kind = want;
			return CM_OK;
		}
		break;
	case KV_DATUM_DURATION:
		if (d->kind == KV_DATUM_INT64) {
			d->kind = want;
			return CM_OK;
		}
		break;
	default:
		break;
	}
	return kv_corrupt(err, "row column value has an unexpected type");
}

static cm_status
decode_v1(const uint8_t *row, size_t len, const int64_t *ids, const kv_datum_kind *kinds,
		  size_t n, cm_arena *arena, kv_datum *out, kv_col_state *states, cm_error *err)
{
	const uint8_t *p = row, *end = row + len;
	if (len == 0 || (len == 1 && row[0] == KV_FLAG_NIL))
		return CM_OK;
	while (p < end) {
		kv_datum id;
		if (kv_decode_datum(&p, end, arena, &id, err) != CM_OK)
			return CM_ERROR;
		if (id.kind != KV_DATUM_INT64)
			return kv_corrupt(err, "row v1 column id is not an integer");
		const uint8_t *vstart = p;
		if (kv_cut_datum(&p, end, err) != CM_OK)
			return CM_ERROR;
		for (size_t i = 0; i < n; i++) {
			if (ids[i] != id.i)
				continue;
			const uint8_t *v = vstart;
			if (kv_decode_datum(&v, p, arena, &out[i], err) != CM_OK)
				return CM_ERROR;
			if (out[i].kind == KV_DATUM_NULL) {
				if (states)
					states[i] = KV_COL_NULL;
				continue;
			}
			if (convert_v1(&out[i], kinds[i], err) != CM_OK)
				return CM_ERROR;
			if (states)
				states[i] = KV_COL_VALUE;
		}
	}
	return CM_OK;
}

cm_status
kv_row_decode(const uint8_t *row, size_t len, const int64_t *ids, const kv_datum_kind *kinds,
			  size_t n, cm_arena *arena, kv_datum *out, kv_col_state *states, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = kv_datum_null();
		if (states)
			states[i] = KV_COL_ABSENT;
	}
	if (len == 0 || row[0] != KV_ROW_V2)
		return decode_v1(row, len, ids, kinds, n, arena, out, states, err);

	kv_row_v2 r;
	if (kv_row_v2_parse(row, len, &r, err) != CM_OK)
		return CM_ERROR;
	for (size_t i = 0; i < n; i++) {
		kv_row_cell c = kv_row_v2_find(&r, ids[i]);
		if (states)
			states[i] = c.state;
		if (c.state != KV_COL_VALUE)
			continue;
		if (kv_row_cell_datum(c.data, c.len, kinds[i], arena, &out[i], err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}
