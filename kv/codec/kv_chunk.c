/*
 * kv_chunk.c -- chunk column writer/reader and CoreTime (see kv_chunk.h).
 *
 * Exported: kv_coretime_encode/decode, kv_chunk_writer_*, kv_chunk_append_*,
 * kv_chunk_col_finish, kv_chunk_col_read and the kv_chunk_col_* accessors.
 */
#include "kv/codec/kv_chunk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_codec_internal.h"

#define FSPTT_DATE 0xE
#define FSPTT_MASK 0xF
#define MAX_FSP 6

static void check_elem(const kv_chunk_writer *w, size_t want);
static void push_row(kv_chunk_writer *w, bool not_null);

/* ---- CoreTime ------------------------------------------------------------ */

cm_status
kv_coretime_encode(const kv_time *t, kv_time_type tp, int fsp, uint64_t *out, cm_error *err)
{
	uint64_t packed;
	/* kv_time_pack validates the same field ranges */
	if (kv_time_pack(t, &packed, err) != CM_OK)
		return CM_ERROR;
	uint64_t fsptt;
	if (tp == KV_TIME_DATE) {
		fsptt = FSPTT_DATE;
	} else {
		if (fsp < 0 || fsp > MAX_FSP || (tp != KV_TIME_DATETIME && tp != KV_TIME_TIMESTAMP))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"invalid time type %d or precision %d", (int) tp, fsp);
		fsptt = ((uint64_t) fsp << 1) | (tp == KV_TIME_TIMESTAMP ? 1 : 0);
	}
	*out = ((uint64_t) t->year << 50) | ((uint64_t) t->month << 46) | ((uint64_t) t->day << 41) |
		   ((uint64_t) t->hour << 36) | ((uint64_t) t->minute << 30) |
		   ((uint64_t) t->second << 24) | ((uint64_t) t->microsecond << 4) | fsptt;
	return CM_OK;
}

cm_status
kv_coretime_decode(uint64_t v, kv_time *t, kv_time_type *tp, int *fsp, cm_error *err)
{
	kv_time x;
	x.year = (int) (v >> 50);
	x.month = (int) ((v >> 46) & 0xF);
	x.day = (int) ((v >> 41) & 0x1F);
	x.hour = (int) ((v >> 36) & 0x1F);
	x.minute = (int) ((v >> 30) & 0x3F);
	x.second = (int) ((v >> 24) & 0x3F);
	x.microsecond = (int) ((v >> 4) & 0xFFFFF);
	unsigned fsptt = (unsigned) (v & FSPTT_MASK);
	uint64_t dummy;
	cm_error e = {0};
	if (kv_time_pack(&x, &dummy, &e) != CM_OK) {
		cm_error_clear(&e);
		return kv_corrupt(err, "chunk time field out of range");
	}
	if (fsptt == FSPTT_MASK)
		return kv_corrupt(err, "invalid chunk time fsp/type bits");
	if (fsptt == FSPTT_DATE) {
		if (tp)
			*tp = KV_TIME_DATE;
		if (fsp)
			*fsp = 0;
	} else {
		if (tp)
			*tp = (fsptt & 1) ? KV_TIME_TIMESTAMP : KV_TIME_DATETIME;
		if (fsp)
			*fsp = (int) (fsptt >> 1);
	}
	*t = x;
	return CM_OK;
}

/* ---- writer --------------------------------------------------------------- */

static void
check_elem(const kv_chunk_writer *w, size_t want)
{
	if (w->elem_size != want) {
		fprintf(stderr, "pgkv: chunk column of element size %zu appended with size %zu\n",
				w->elem_size, want);
		abort();
	}
}

void
kv_chunk_writer_init(kv_chunk_writer *w, size_t elem_size)
{
	w->elem_size = elem_size;
	w->length = 0;
	w->null_count = 0;
	cm_buf_init(&w->bitmap);
	cm_buf_init(&w->offsets);
	cm_buf_init(&w->data);
	if (elem_size == KV_CHUNK_VAR)
		kv_st_u64le(kv_buf_grow(&w->offsets, 8), 0);
}

void
kv_chunk_writer_free(kv_chunk_writer *w)
{
	cm_buf_free(&w->bitmap);
	cm_buf_free(&w->offsets);
	cm_buf_free(&w->data);
	w->length = w->null_count = 0;
}

void
kv_chunk_writer_reset(kv_chunk_writer *w)
{
	cm_buf_reset(&w->bitmap);
	cm_buf_reset(&w->offsets);
	cm_buf_reset(&w->data);
	w->length = w->null_count = 0;
	if (w->elem_size == KV_CHUNK_VAR)
		kv_st_u64le(kv_buf_grow(&w->offsets, 8), 0);
}

/* Record the null bit of the next row and count it. */
static void
push_row(kv_chunk_writer *w, bool not_null)
{
	uint32_t row = w->length;
	if ((row & 7) == 0)
		cm_buf_putc(&w->bitmap, 0);
	if (not_null)
		w->bitmap.data[row >> 3] |= (char) (1u << (row & 7));
	else
		w->null_count++;
	w->length++;
	if (w->elem_size == KV_CHUNK_VAR)
		kv_st_u64le(kv_buf_grow(&w->offsets, 8), (uint64_t) w->data.len);
}

void
kv_chunk_append_null(kv_chunk_writer *w)
{
	if (w->elem_size != KV_CHUNK_VAR)
		memset(kv_buf_grow(&w->data, w->elem_size), 0, w->elem_size);
	push_row(w, false);
}

void
kv_chunk_append_u64(kv_chunk_writer *w, uint64_t v)
{
	check_elem(w, 8);
	kv_st_u64le(kv_buf_grow(&w->data, 8), v);
	push_row(w, true);
}

void
kv_chunk_append_i64(kv_chunk_writer *w, int64_t v)
{
	kv_chunk_append_u64(w, (uint64_t) v);
}

void
kv_chunk_append_f64(kv_chunk_writer *w, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	kv_chunk_append_u64(w, u);
}

void
kv_chunk_append_f32(kv_chunk_writer *w, float v)
{
	uint32_t u;
	check_elem(w, 4);
	memcpy(&u, &v, 4);
	kv_st_u32le(kv_buf_grow(&w->data, 4), u);
	push_row(w, true);
}

void
kv_chunk_append_bytes(kv_chunk_writer *w, const void *p, size_t n)
{
	check_elem(w, KV_CHUNK_VAR);
	cm_buf_append(&w->data, p, n);
	push_row(w, true);
}

void
kv_chunk_append_fixed(kv_chunk_writer *w, const void *elem)
{
	if (w->elem_size == KV_CHUNK_VAR)
		check_elem(w, 1); /* aborts */
	cm_buf_append(&w->data, elem, w->elem_size);
	push_row(w, true);
}

cm_status
kv_chunk_append_decimal(kv_chunk_writer *w, const char *text, size_t len, cm_error *err)
{
	uint8_t dec[KV_MYDECIMAL_SIZE];
	check_elem(w, KV_CHUNK_DECIMAL);
	if (kv_mydecimal_encode(text, len, dec, err) != CM_OK)
		return CM_ERROR;
	cm_buf_append(&w->data, dec, sizeof dec);
	push_row(w, true);
	return CM_OK;
}

cm_status
kv_chunk_append_time(kv_chunk_writer *w, const kv_time *t, kv_time_type tp, int fsp,
					 cm_error *err)
{
	uint64_t v;
	check_elem(w, 8);
	if (kv_coretime_encode(t, tp, fsp, &v, err) != CM_OK)
		return CM_ERROR;
	kv_chunk_append_u64(w, v);
	return CM_OK;
}

void
kv_chunk_col_finish(const kv_chunk_writer *w, cm_buf *out)
{
	uint8_t *h = kv_buf_grow(out, 8);
	kv_st_u32le(h, w->length);
	kv_st_u32le(h + 4, w->null_count);
	if (w->null_count > 0)
		cm_buf_append(out, w->bitmap.data, (w->length + 7) / 8);
	if (w->elem_size == KV_CHUNK_VAR)
		cm_buf_append(out, w->offsets.data, w->offsets.len);
	cm_buf_append(out, w->data.data, w->data.len);
}

/* ---- reader --------------------------------------------------------------- */

cm_status
kv_chunk_col_read(const uint8_t **p, const uint8_t *end, size_t elem_size, kv_chunk_col *col,
				  cm_error *err)
{
	const uint8_t *q = *p;
	if (q > end || end - q < 8)
		return kv_corrupt(err, "truncated chunk column header");
	memset(col, 0, sizeof *col);
	col->elem_size = elem_size;
	col->length = kv_ld_u32le(q);
	col->null_count = kv_ld_u32le(q + 4);
	q += 8;
	if (col->null_count > col->length)
		return kv_corrupt(err, "chunk null count exceeds row count");
	size_t remain = (size_t) (end - q);
	if (col->null_count > 0) {
		size_t nb = ((size_t) col->length + 7) / 8;
		if (remain < nb)
			return kv_corrupt(err, "truncated chunk null bitmap");
		col->bitmap = q;
		size_t ones = 0;
		for (uint32_t r = 0; r < col->length; r++)
			ones += (q[r >> 3] >> (r & 7)) & 1;
		if (col->length - ones != col->null_count)
			return kv_corrupt(err, "chunk null count does not match its bitmap");
		q += nb;
		remain -= nb;
	}
	if (elem_size == KV_CHUNK_VAR) {
		size_t no = ((size_t) col->length + 1) * 8;
		if (remain < no)
			return kv_corrupt(err, "truncated chunk offsets");
		col->offsets = q;
		q += no;
		remain -= no;
		int64_t prev = 0;
		for (uint32_t r = 0; r <= col->length; r++) {
			int64_t o = (int64_t) kv_ld_u64le(col->offsets + 8 * (size_t) r);
			if (o < prev || (r == 0 && o != 0) || (uint64_t) o > remain)
				return kv_corrupt(err, "bad chunk offsets");
			prev = o;
		}
		col->data_len = (size_t) prev;
	} else {
		if (elem_size != 0 && col->length > SIZE_MAX / elem_size)
			return kv_corrupt(err, "chunk column too large");
		col->data_len = (size_t) col->length * elem_size;
		if (remain < col->data_len)
			return kv_corrupt(err, "truncated chunk data");
	}
	col->data = q;
	*p = q + col->data_len;
	return CM_OK;
}

bool
kv_chunk_col_is_null(const kv_chunk_col *col, uint32_t row)
{
	if (col->bitmap == NULL || row >= col->length)
		return false;
	return ((col->bitmap[row >> 3] >> (row & 7)) & 1) == 0;
}

const uint8_t *
kv_chunk_col_fixed(const kv_chunk_col *col, uint32_t row)
{
	if (col->elem_size == KV_CHUNK_VAR || row >= col->length)
		return NULL;
	return col->data + (size_t) row * col->elem_size;
}

uint64_t
kv_chunk_col_u64(const kv_chunk_col *col, uint32_t row)
{
	if (col->elem_size != 8 || row >= col->length)
		return 0;
	return kv_ld_u64le(col->data + (size_t) row * 8);
}

int64_t
kv_chunk_col_i64(const kv_chunk_col *col, uint32_t row)
{
	return (int64_t) kv_chunk_col_u64(col, row);
}

double
kv_chunk_col_f64(const kv_chunk_col *col, uint32_t row)
{
	uint64_t u = kv_chunk_col_u64(col, row);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

float
kv_chunk_col_f32(const kv_chunk_col *col, uint32_t row)
{
	if (col->elem_size != 4 || row >= col->length)
		return 0;
	uint32_t u = kv_ld_u32le(col->data + (size_t) row * 4);
	float f;
	memcpy(&f, &u, 4);
	return f;
}

void
kv_chunk_col_bytes(const kv_chunk_col *col, uint32_t row, const uint8_t **p, size_t *len)
{
	if (col->elem_size != KV_CHUNK_VAR || row >= col->length) {
		*p = col->data;
		*len = 0;
		return;
	}
	uint64_t s = kv_ld_u64le(col->offsets + 8 * (size_t) row);
	uint64_t e = kv_ld_u64le(col->offsets + 8 * ((size_t) row + 1));
	*p = col->data + s;
	*len = (size_t) (e - s);
}

cm_status
kv_chunk_col_decimal(const kv_chunk_col *col, uint32_t row, cm_buf *out, cm_error *err)
{
	if (col->elem_size != KV_CHUNK_DECIMAL || row >= col->length)
		return kv_corrupt(err, "not a decimal chunk element");
	return kv_mydecimal_decode(col->data + (size_t) row * KV_CHUNK_DECIMAL, out, err);
}

cm_status
kv_chunk_col_time(const kv_chunk_col *col, uint32_t row, kv_time *t, kv_time_type *tp,
				  int *fsp, cm_error *err)
{
	if (col->elem_size != 8 || row >= col->length)
		return kv_corrupt(err, "not a time chunk element");
	return kv_coretime_decode(kv_chunk_col_u64(col, row), t, tp, fsp, err);
}
