/*
 * kv_tablecodec.h -- TiDB table keys, row values and index values.
 *
 * The layout every table lives in (kv-protocol-facts.md 4.1, 4.5, 4.8):
 *
 *   record key   't' EncodeInt(table_id) '_' 'r' EncodeInt(handle)   19 bytes
 *                't' EncodeInt(table_id) '_' 'r' EncodeKey(pk datums) (clustered)
 *   index key    't' EncodeInt(table_id) '_' 'i' EncodeInt(index_id)
 *                EncodeKey(column datums) [handle suffix]
 *   meta keys    'm' EncodeBytes(key) EncodeUint('h') EncodeBytes(field)
 *                'm' EncodeBytes(key) EncodeUint('s')
 *   row value    format v2 (first byte 0x80) or v1 datum pairs (0x08 / 0x00)
 *   index value  old format: unique = 8-byte BE handle, non-unique = '0'
 *
 * Exported
 *   keys     kv_table_prefix, kv_record_prefix, kv_record_key,
 *            kv_record_key_fixed, kv_common_record_key, kv_record_key_raw,
 *            kv_index_prefix, kv_index_key, kv_record_range, kv_index_range,
 *            kv_prefix_next, kv_meta_string_key, kv_meta_hash_prefix,
 *            kv_meta_hash_key; decoders kv_key_is_record, kv_key_is_index,
 *            kv_decode_table_id, kv_decode_record_key,
 *            kv_decode_record_key_common, kv_decode_index_key,
 *            kv_decode_index_datums, kv_decode_index_int_handle,
 *            kv_decode_meta_hash_key.
 *   rows     kv_row_encode (v2), kv_row_v2_parse / kv_row_v2_find /
 *            kv_row_v2_lookup (raw cell bytes), kv_row_cell_{int,uint,float,
 *            decimal,datum} (typed cell payloads), kv_row_decode (v1 or v2 to
 *            typed datums).
 *   indexes  kv_index_value_unique, kv_index_value_nonunique,
 *            kv_index_value_decode.
 *
 * Memory: encoders append to the caller's cm_buf and, on error, truncate it
 * back to its length at the call.  Decoders return pointers into the input
 * (the caller keeps it alive) or into the arena they are given.
 */
#ifndef PGKV_KV_TABLECODEC_H
#define PGKV_KV_TABLECODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"
#include "kv/codec/kv_codec.h"

#define KV_TABLE_PREFIX_LEN 9	/* 't' + 8 */
#define KV_RECORD_PREFIX_LEN 11 /* 't' + 8 + "_r" */
#define KV_RECORD_KEY_LEN 19	/* record prefix + 8 */
#define KV_INDEX_PREFIX_LEN 19	/* 't' + 8 + "_i" + 8 */
/* DDL temporary index ids are TEMP_MASK | index_id. */
#define KV_TEMP_INDEX_ID_MASK INT64_C(0x7fff000000000000)

/* ---- keys ---------------------------------------------------------------- */

/* A row handle: an int64, or a clustered primary key already encoded with
 * kv_encode_key (enc is borrowed). */
typedef struct kv_handle {
	bool common;
	int64_t i;
	const uint8_t *enc;
	size_t len;
} kv_handle;

static inline kv_handle
kv_handle_int(int64_t v)
{
	kv_handle h = {.common = false, .i = v};
	return h;
}
static inline kv_handle
kv_handle_common(const void *enc, size_t len)
{
	kv_handle h = {.common = true, .enc = (const uint8_t *) enc, .len = len};
	return h;
}

/* Append 't' EncodeInt(table_id). */
void kv_table_prefix(cm_buf *b, int64_t table_id);
/* Append 't' EncodeInt(table_id) "_r". */
void kv_record_prefix(cm_buf *b, int64_t table_id);
/* Append the 19-byte record key of an int handle. */
void kv_record_key(cm_buf *b, int64_t table_id, int64_t handle);
/* Write the same 19 bytes into out (no allocation). */
void kv_record_key_fixed(uint8_t out[KV_RECORD_KEY_LEN], int64_t table_id, int64_t handle);
/* Append the record key of a clustered table: prefix + EncodeKey(pk).
 * Errors are those of kv_encode_key (bad decimals). */
CM_MUST_CHECK cm_status kv_common_record_key(cm_buf *b, int64_t table_id, const kv_datum *pk,
											 size_t n, cm_error *err);
/* Append prefix + an already encoded common handle. */
void kv_record_key_raw(cm_buf *b, int64_t table_id, const void *enc_handle, size_t len);
/* Append 't' EncodeInt(table_id) "_i" EncodeInt(index_id). */
void kv_index_prefix(cm_buf *b, int64_t table_id, int64_t index_id);
/* Append an index key: prefix + EncodeKey(vals) + handle suffix (0x03 +
 * EncodeInt for an int handle, the encoded bytes for a common one); handle
 * NULL = no suffix (unique index without NULLs).  Errors as kv_encode_key. */
CM_MUST_CHECK cm_status kv_index_key(cm_buf *b, int64_t table_id, int64_t index_id,
									 const kv_datum *vals, size_t n, const kv_handle *handle,
									 cm_error *err);
/* Append [t{id}_r, t{id}_s) to start and end. */
void kv_record_range(cm_buf *start, cm_buf *end, int64_t table_id);
/* Append [t{id}_i{idx}, prefix_next(t{id}_i{idx})) -- the same set of keys as
 * TiDB's [prefix, prefix + 0xFF) since no index datum starts with 0xFF. */
void kv_index_range(cm_buf *start, cm_buf *end, int64_t table_id, int64_t index_id);
/* Append the smallest key greater than every key that starts with prefix:
 * the prefix with trailing 0xFF bytes dropped and its last byte incremented.
 * Appends nothing when there is none (empty or all-0xFF prefix): an empty
 * end key means "unbounded" in KV ranges.  Returns the appended length. */
size_t kv_prefix_next(cm_buf *out, const void *prefix, size_t len);

/* Append 'm' EncodeBytes(key) EncodeUint('s'). */
void kv_meta_string_key(cm_buf *b, const void *key, size_t klen);
/* Append 'm' EncodeBytes(key) EncodeUint('h'): the prefix of every field. */
void kv_meta_hash_prefix(cm_buf *b, const void *key, size_t klen);
/* Append 'm' EncodeBytes(key) EncodeUint('h') EncodeBytes(field). */
void kv_meta_hash_key(cm_buf *b, const void *key, size_t klen, const void *field, size_t flen);
/* Split a meta hash key, appending its key and field to key_out/field_out
 * (either may be NULL).  XX001 if it is not exactly such a key. */
CM_MUST_CHECK cm_status kv_decode_meta_hash_key(const uint8_t *k, size_t len, cm_buf *key_out,
												cm_buf *field_out, cm_error *err);

/* 't' <8> '_' 'r' ... with at least the record prefix. */
bool kv_key_is_record(const uint8_t *key, size_t len);
/* 't' <8> '_' 'i' <8> ... */
bool kv_key_is_index(const uint8_t *key, size_t len);
/* Table id of any 't' key of at least 9 bytes. */
CM_MUST_CHECK cm_status kv_decode_table_id(const uint8_t *key, size_t len, int64_t *table_id,
										   cm_error *err);
/* Table id and int handle of a 19-byte record key (either output may be
 * NULL); XX001 for any other key. */
CM_MUST_CHECK cm_status kv_decode_record_key(const uint8_t *key, size_t len, int64_t *table_id,
											 int64_t *handle, cm_error *err);
/* Table id and the encoded common handle (pointer into key) of a record key. */
CM_MUST_CHECK cm_status kv_decode_record_key_common(const uint8_t *key, size_t len,
													int64_t *table_id, const uint8_t **handle,
													size_t *hlen, cm_error *err);
/* Table id, index id and the bytes after the index prefix (datums and any
 * handle suffix; pointer into key). */
CM_MUST_CHECK cm_status kv_decode_index_key(const uint8_t *key, size_t len, int64_t *table_id,
											int64_t *index_id, const uint8_t **rest,
											size_t *rest_len, cm_error *err);
/* Decode n column datums from *p (as kv_decode_datum); *p is left at the
 * handle suffix (== end when there is none). */
CM_MUST_CHECK cm_status kv_decode_index_datums(const uint8_t **p, const uint8_t *end, size_t n,
											   cm_arena *arena, kv_datum *out, cm_error *err);
/* The int handle of a suffix that is exactly 0x03 + EncodeInt. */
CM_MUST_CHECK cm_status kv_decode_index_int_handle(const uint8_t *suffix, size_t len,
												   int64_t *handle, cm_error *err);

/* ---- row values ---------------------------------------------------------- */

#define KV_ROW_V2 0x80
#define KV_ROW_FLAG_LARGE 0x01
#define KV_ROW_FLAG_CHECKSUM 0x02

/* Append a row in format v2 holding col_ids[i] = vals[i].  Ids need not be
 * sorted but must be distinct and in 0..UINT32_MAX.  NULL datums go to the
 * null-id list; the large form is used if an id exceeds 255 or the data
 * exceeds 65535 bytes.  Cell payloads: INT64/DURATION smallest of 1/2/4/8
 * bytes LE signed, UINT64 the same unsigned, FLOAT64 EncodeFloat (8 BE),
 * BYTES raw, DECIMAL prec + frac + bin.  Errors: XX000 for duplicate or
 * out-of-range ids and for MIN_NOT_NULL / MAX datums, 54000 for more than
 * 65535 columns of one list or 4 GiB of data, decimal errors. */
CM_MUST_CHECK cm_status kv_row_encode(cm_buf *b, const int64_t *col_ids, const kv_datum *vals,
									  size_t n, cm_error *err);

typedef enum kv_col_state {
	KV_COL_ABSENT = 0, /* in neither list: the column's default applies */
	KV_COL_NULL,
	KV_COL_VALUE,
} kv_col_state;

/* A parsed v2 header; pointers into the row. */
typedef struct kv_row_v2 {
	bool large;
	uint32_t n_notnull;
	uint32_t n_null;
	const uint8_t *ids;		/* n_notnull + n_null ids of 1 or 4 bytes */
	const uint8_t *offsets; /* n_notnull end offsets of 2 or 4 bytes */
	const uint8_t *data;
	size_t data_len;
} kv_row_v2;

/* Raw bytes of one cell (pointer into the row). */
typedef struct kv_row_cell {
	kv_col_state state;
	const uint8_t *data;
	size_t len;
} kv_row_cell;

/* Parse and validate a v2 header (version byte, sizes, ascending ids,
 * monotonic offsets within the row).  A trailing checksum is not verified. */
CM_MUST_CHECK cm_status kv_row_v2_parse(const uint8_t *row, size_t len, kv_row_v2 *r,
										cm_error *err);
/* Look one column up in a parsed row (binary search). */
kv_row_cell kv_row_v2_find(const kv_row_v2 *r, int64_t col_id);
/* Parse a v2 row and look up n columns: out[i] describes ids[i]. */
CM_MUST_CHECK cm_status kv_row_v2_lookup(const uint8_t *row, size_t len, const int64_t *ids,
										 size_t n, kv_row_cell *out, cm_error *err);

/* Typed v2 cell payloads; XX001 on a length that cannot hold the type. */
CM_MUST_CHECK cm_status kv_row_cell_int(const uint8_t *p, size_t len, int64_t *out,
										cm_error *err);
CM_MUST_CHECK cm_status kv_row_cell_uint(const uint8_t *p, size_t len, uint64_t *out,
										 cm_error *err);
CM_MUST_CHECK cm_status kv_row_cell_float(const uint8_t *p, size_t len, double *out,
										  cm_error *err);
/* Appends the decimal text to out; prec/frac may be NULL. */
CM_MUST_CHECK cm_status kv_row_cell_decimal(const uint8_t *p, size_t len, cm_buf *out,
											int *prec, int *frac, cm_error *err);
/* Cell bytes to a datum of the given kind (BYTES points into p; DECIMAL text
 * is copied into arena). */
CM_MUST_CHECK cm_status kv_row_cell_datum(const uint8_t *p, size_t len, kv_datum_kind kind,
										  cm_arena *arena, kv_datum *out, cm_error *err);

/* Decode n wanted columns of a row in either format (first byte 0x80: v2;
 * otherwise v1 datum pairs, where an empty value or a single 0x00 is a row
 * with no columns).  kinds[i] is the kind the caller expects for ids[i]; v1
 * values are converted when lossless (int <-> uint, int -> duration).  out[i]
 * is NULL for null and absent columns; states (may be NULL) tells them
 * apart.  XX001 on malformed rows or a value of an unexpected kind. */
CM_MUST_CHECK cm_status kv_row_decode(const uint8_t *row, size_t len, const int64_t *ids,
									  const kv_datum_kind *kinds, size_t n, cm_arena *arena,
									  kv_datum *out, kv_col_state *states, cm_error *err);

/* ---- index values -------------------------------------------------------- */

/* Append the old-format value of a unique index entry: 8-byte BE handle. */
void kv_index_value_unique(cm_buf *b, int64_t handle);
/* Append the old-format value of a non-unique index entry: '0'. */
void kv_index_value_nonunique(cm_buf *b);

typedef struct kv_index_value {
	int version;		   /* 0: old or new version 0; 1: clustered version 1 */
	bool has_int_handle;   /* int handle stored in the value (unique index) */
	int64_t int_handle;	   /* 8 bytes BE, not sign-flipped */
	const uint8_t *common; /* common handle segment, NULL if none */
	size_t common_len;
	bool has_partition;
	int64_t partition_id;
	const uint8_t *restore; /* restore data (a v2 row), NULL if none */
	size_t restore_len;
	bool untouched; /* trailing '1' (UnCommitIndexKVFlag) */
} kv_index_value;

/* Parse an index value of any of the formats of facts 4.8 (pointers into
 * v).  XX001 on malformed input. */
CM_MUST_CHECK cm_status kv_index_value_decode(const uint8_t *v, size_t len, kv_index_value *out,
											  cm_error *err);

#endif /* PGKV_KV_TABLECODEC_H */
