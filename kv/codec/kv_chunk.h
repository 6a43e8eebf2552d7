/*
 * kv_chunk.h -- TiDB chunk column codec (tipb EncodeType TypeChunk) and the
 *               chunk time layout (CoreTime).
 *
 * A chunk (SelectResponse.chunks[i].rows_data) is the concatenation of its
 * output columns, each (kv-protocol-facts.md 7.5):
 *
 *   u32 LE length (rows) | u32 LE null_count
 *   | null bitmap, (length+7)/8 bytes, only if null_count > 0
 *     (bit i of byte i/8 set = row i is NOT null)
 *   | offsets, (length+1) x i64 LE, only for var-length columns
 *   | data: fixed columns length x elem size (a null row holds zeros),
 *     var-length columns offsets[length] bytes
 *
 * Element sizes: 8 for integers, doubles, durations (ns) and times
 * (CoreTime); 4 for FLOAT (float32); 40 for DECIMAL (MyDecimal, see
 * kv_mydecimal_encode in kv_codec.h); 0 = var-length (strings, blobs).
 *
 * The writer keeps the three parts in separate buffers so that rows can be
 * appended one by one; kv_chunk_col_finish serialises them.  The reader
 * validates a column once (sizes, offsets, null count) so that the
 * per-row accessors need no error path.
 *
 * Exported
 *   writer  kv_chunk_writer, kv_chunk_writer_init/free/reset,
 *           kv_chunk_append_{null,i64,u64,f64,f32,bytes,fixed,decimal,time},
 *           kv_chunk_col_finish
 *   reader  kv_chunk_col, kv_chunk_col_read, kv_chunk_col_is_null,
 *           kv_chunk_col_{i64,u64,f64,f32,bytes,fixed,decimal,time}
 *   times   kv_time_type, kv_coretime_encode / kv_coretime_decode
 */
#ifndef PGKV_KV_CHUNK_H
#define PGKV_KV_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"
#include "kv/codec/kv_codec.h"

#define KV_CHUNK_VAR 0
#define KV_CHUNK_F32 4
#define KV_CHUNK_I64 8
#define KV_CHUNK_DECIMAL KV_MYDECIMAL_SIZE

/* ---- CoreTime (facts 4.7) ------------------------------------------------ */

typedef enum kv_time_type {
	KV_TIME_DATETIME = 0,
	KV_TIME_TIMESTAMP = 1,
	KV_TIME_DATE = 2,
} kv_time_type;

/* CoreTime: year<<50 | month<<46 | day<<41 | hour<<36 | minute<<30 |
 * second<<24 | microsecond<<4 | fspTt, where fspTt = fsp<<1 | (1 for
 * TIMESTAMP) and 0b1110 for DATE.  fsp 0..6 (ignored for DATE).  22008 if a
 * field is out of the kv_time ranges, 22023 for a bad fsp. */
CM_MUST_CHECK cm_status kv_coretime_encode(const kv_time *t, kv_time_type tp, int fsp,
										   uint64_t *out, cm_error *err);
/* Inverse; tp and fsp may be NULL.  XX001 on an invalid field or fspTt. */
CM_MUST_CHECK cm_status kv_coretime_decode(uint64_t v, kv_time *t, kv_time_type *tp, int *fsp,
										   cm_error *err);

/* ---- writer -------------------------------------------------------------- */

typedef struct kv_chunk_writer {
	size_t elem_size; /* KV_CHUNK_VAR or a fixed size */
	uint32_t length;
	uint32_t null_count;
	cm_buf bitmap;
	cm_buf offsets; /* var-length: i64 LE, starts with 0 */
	cm_buf data;
} kv_chunk_writer;

/* Start an empty column of elem_size (KV_CHUNK_VAR, 4, 8, 40 or any other
 * fixed width).  The writer owns its buffers until kv_chunk_writer_free. */
void kv_chunk_writer_init(kv_chunk_writer *w, size_t elem_size);
void kv_chunk_writer_free(kv_chunk_writer *w);
/* Drop all rows, keep the allocations. */
void kv_chunk_writer_reset(kv_chunk_writer *w);

/* Appenders.  Each adds one row; the typed ones require a matching
 * elem_size (8 for i64/u64/f64/time, 4 for f32, 40 for decimal, VAR for
 * bytes; fixed takes elem_size raw bytes) and abort on a mismatch, which is
 * a programming error. */
void kv_chunk_append_null(kv_chunk_writer *w);
void kv_chunk_append_i64(kv_chunk_writer *w, int64_t v);
void kv_chunk_append_u64(kv_chunk_writer *w, uint64_t v);
void kv_chunk_append_f64(kv_chunk_writer *w, double v);
void kv_chunk_append_f32(kv_chunk_writer *w, float v);
void kv_chunk_append_bytes(kv_chunk_writer *w, const void *p, size_t n);
void kv_chunk_append_fixed(kv_chunk_writer *w, const void *elem);
/* Decimal text to MyDecimal; errors as kv_mydecimal_encode (row not added). */
CM_MUST_CHECK cm_status kv_chunk_append_decimal(kv_chunk_writer *w, const char *text,
												size_t len, cm_error *err);
/* Time as CoreTime; errors as kv_coretime_encode (row not added). */
CM_MUST_CHECK cm_status kv_chunk_append_time(kv_chunk_writer *w, const kv_time *t,
											 kv_time_type tp, int fsp, cm_error *err);
/* Append the serialised column to out.  The writer is unchanged. */
void kv_chunk_col_finish(const kv_chunk_writer *w, cm_buf *out);

/* ---- reader -------------------------------------------------------------- */

/* One decoded column; pointers into the chunk bytes. */
typedef struct kv_chunk_col {
	size_t elem_size;
	uint32_t length;
	uint32_t null_count;
	const uint8_t *bitmap;	/* NULL when null_count == 0 */
	const uint8_t *offsets; /* var-length only: (length+1) i64 LE */
	const uint8_t *data;
	size_t data_len;
} kv_chunk_col;

/* Read one column of elem_size at *p, validating the layout, and advance
 * *p past it.  XX001 on truncation, a null count above the row count or not
 * matching the bitmap, or offsets that are negative, decreasing or past the
 * data. */
CM_MUST_CHECK cm_status kv_chunk_col_read(const uint8_t **p, const uint8_t *end,
										  size_t elem_size, kv_chunk_col *col, cm_error *err);
/* Row accessors; row < col->length.  A null row reads as zero / empty; an
 * accessor of the wrong element size or a row out of range reads as zero. */
bool kv_chunk_col_is_null(const kv_chunk_col *col, uint32_t row);
int64_t kv_chunk_col_i64(const kv_chunk_col *col, uint32_t row);
uint64_t kv_chunk_col_u64(const kv_chunk_col *col, uint32_t row);
double kv_chunk_col_f64(const kv_chunk_col *col, uint32_t row);
float kv_chunk_col_f32(const kv_chunk_col *col, uint32_t row);
/* Var-length value (pointer into the chunk). */
void kv_chunk_col_bytes(const kv_chunk_col *col, uint32_t row, const uint8_t **p, size_t *len);
/* Fixed element (elem_size bytes, pointer into the chunk). */
const uint8_t *kv_chunk_col_fixed(const kv_chunk_col *col, uint32_t row);
/* Append the decimal text of a 40-byte element to out; XX001 if malformed. */
CM_MUST_CHECK cm_status kv_chunk_col_decimal(const kv_chunk_col *col, uint32_t row, cm_buf *out,
											 cm_error *err);
/* Decode a CoreTime element; tp/fsp may be NULL. */
CM_MUST_CHECK cm_status kv_chunk_col_time(const kv_chunk_col *col, uint32_t row, kv_time *t,
										  kv_time_type *tp, int *fsp, cm_error *err);

#endif /* PGKV_KV_CHUNK_H */
