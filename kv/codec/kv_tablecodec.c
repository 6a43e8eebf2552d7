/*
 * kv_tablecodec.c -- TiDB table/index/meta keys and index values.
 *
 * Row values are in kv_rowcodec.c.  Layouts: kv-protocol-facts.md 4.1 and
 * 4.8; see kv_tablecodec.h for the picture.
 *
 * Exported: the key and index-value functions of kv_tablecodec.h.
 */
#include "kv/codec/kv_tablecodec.h"

#include <string.h>

#include "kv/codec/kv_codec_internal.h"

#define TABLE_PREFIX 't'
#define META_PREFIX 'm'
#define SEP '_'
#define RECORD_SEP 'r'
#define INDEX_SEP 'i'
#define META_STRING_DATA 's'
#define META_HASH_DATA 'h'
#define IDX_VAL_NONUNIQUE '0'
#define IDX_VAL_UNTOUCHED '1'
#define IDX_OLD_MAX_LEN 9
#define IDX_VERSION_FLAG 0x7D
#define IDX_COMMON_HANDLE_FLAG 0x7F
#define IDX_PARTITION_FLAG 0x7E
#define IDX_RESTORE_FLAG 0x80

static cm_status decode_new_index_value(const uint8_t *v, size_t len, kv_index_value *out,
										cm_error *err);

/* ---- building keys -------------------------------------------------------- */

void
kv_table_prefix(cm_buf *b, int64_t table_id)
{
	uint8_t *p = kv_buf_grow(b, KV_TABLE_PREFIX_LEN);
	p[0] = TABLE_PREFIX;
	kv_put_int(p + 1, table_id);
}

void
kv_record_prefix(cm_buf *b, int64_t table_id)
{
	uint8_t *p = kv_buf_grow(b, KV_RECORD_PREFIX_LEN);
	p[0] = TABLE_PREFIX;
	kv_put_int(p + 1, table_id);
	p[9] = SEP;
	p[10] = RECORD_SEP;
}

void
kv_record_key_fixed(uint8_t out[KV_RECORD_KEY_LEN], int64_t table_id, int64_t handle)
{
	out[0] = TABLE_PREFIX;
	kv_put_int(out + 1, table_id);
	out[9] = SEP;
	out[10] = RECORD_SEP;
	kv_put_int(out + 11, handle);
}

void
kv_record_key(cm_buf *b, int64_t table_id, int64_t handle)
{
	kv_record_key_fixed(kv_buf_grow(b, KV_RECORD_KEY_LEN), table_id, handle);
}

cm_status
kv_common_record_key(cm_buf *b, int64_t table_id, const kv_datum *pk, size_t n, cm_error *err)
{
	size_t start = b->len;
	kv_record_prefix(b, table_id);
	if (kv_encode_key(b, pk, n, err) != CM_OK) {
		cm_buf_truncate(b, start);
		return CM_ERROR;
	}
	return CM_OK;
}

void
kv_record_key_raw(cm_buf *b, int64_t table_id, const void *enc_handle, size_t len)
{
	kv_record_prefix(b, table_id);
	cm_buf_append(b, enc_handle, len);
}

void
kv_index_prefix(cm_buf *b, int64_t table_id, int64_t index_id)
{
	uint8_t *p = kv_buf_grow(b, KV_INDEX_PREFIX_LEN);
	p[0] = TABLE_PREFIX;
	kv_put_int(p + 1, table_id);
	p[9] = SEP;
	p[10] = INDEX_SEP;
	kv_put_int(p + 11, index_id);
}

cm_status
kv_index_key(cm_buf *b, int64_t table_id, int64_t index_id, const kv_datum *vals, size_t n,
			 const kv_handle *handle, cm_error *err)
{
	size_t start = b->len;
	kv_index_prefix(b, table_id, index_id);
	if (kv_encode_key(b, vals, n, err) != CM_OK) {
		cm_buf_truncate(b, start);
		return CM_ERROR;
	}
	if (handle != NULL) {
		if (handle->common) {
			cm_buf_append(b, handle->enc, handle->len);
		} else {
			cm_buf_putc(b, KV_FLAG_INT);
			kv_encode_int(b, handle->i);
		}
	}
	return CM_OK;
}

size_t
kv_prefix_next(cm_buf *out, const void *prefix, size_t len)
{
	const uint8_t *p = prefix;
	size_t n = len;
	while (n > 0 && p[n - 1] == 0xFF)
		n--;
	if (n == 0)
		return 0;
	uint8_t *dst = kv_buf_grow(out, n);
	memcpy(dst, p, n);
	dst[n - 1]++;
	return n;
}

void
kv_record_range(cm_buf *start, cm_buf *end, int64_t table_id)
{
	kv_record_prefix(start, table_id);
	uint8_t *p = kv_buf_grow(end, KV_RECORD_PREFIX_LEN);
	p[0] = TABLE_PREFIX;
	kv_put_int(p + 1, table_id);
	p[9] = SEP;
	p[10] = RECORD_SEP + 1; /* 's' */
}

void
kv_index_range(cm_buf *start, cm_buf *end, int64_t table_id, int64_t index_id)
{
	uint8_t pfx[KV_INDEX_PREFIX_LEN];
	pfx[0] = TABLE_PREFIX;
	kv_put_int(pfx + 1, table_id);
	pfx[9] = SEP;
	pfx[10] = INDEX_SEP;
	kv_put_int(pfx + 11, index_id);
	cm_buf_append(start, pfx, sizeof pfx);
	(void) kv_prefix_next(end, pfx, sizeof pfx);
}

/* ---- meta keys ------------------------------------------------------------ */

void
kv_meta_string_key(cm_buf *b, const void *key, size_t klen)
{
	cm_buf_putc(b, META_PREFIX);
	kv_encode_bytes(b, key, klen);
	kv_encode_uint(b, META_STRING_DATA);
}

void
kv_meta_hash_prefix(cm_buf *b, const void *key, size_t klen)
{
	cm_buf_putc(b, META_PREFIX);
	kv_encode_bytes(b, key, klen);
	kv_encode_uint(b, META_HASH_DATA);
}

void
kv_meta_hash_key(cm_buf *b, const void *key, size_t klen, const void *field, size_t flen)
{
	kv_meta_hash_prefix(b, key, klen);
	kv_encode_bytes(b, field, flen);
}

cm_status
kv_decode_meta_hash_key(const uint8_t *k, size_t len, cm_buf *key_out, cm_buf *field_out,
						cm_error *err)
{
	const uint8_t *p = k, *end = k + len;
	cm_buf scratch;
	uint64_t type;
	cm_status st = CM_ERROR;
	cm_buf_init(&scratch);
	if (len < 1 || k[0] != META_PREFIX) {
		kv_corrupt(err, "not a meta key");
		goto done;
	}
	p++;
	if (kv_decode_bytes(&p, end, key_out ? key_out : &scratch, err) != CM_OK)
		goto done;
	if (kv_decode_uint(&p, end, &type, err) != CM_OK)
		goto done;
	if (type != META_HASH_DATA) {
		kv_corrupt(err, "not a meta hash key");
		goto done;
	}
	if (kv_decode_bytes(&p, end, field_out ? field_out : &scratch, err) != CM_OK)
		goto done;
	if (p != end) {
		kv_corrupt(err, "trailing bytes after meta hash key");
		goto done;
	}
	st = CM_OK;
done:
	cm_buf_free(&scratch);
	return st;
}

/* ---- decoding keys -------------------------------------------------------- */

bool
kv_key_is_record(const uint8_t *key, size_t len)
{
	return len >= KV_RECORD_PREFIX_LEN && key[0] == TABLE_PREFIX && key[9] == SEP &&
		   key[10] == RECORD_SEP;
}

bool
kv_key_is_index(const uint8_t *key, size_t len)
{
	return len >= KV_INDEX_PREFIX_LEN && key[0] == TABLE_PREFIX && key[9] == SEP &&
		   key[10] == INDEX_SEP;
}

cm_status
kv_decode_table_id(const uint8_t *key, size_t len, int64_t *table_id, cm_error *err)
{
	if (len < KV_TABLE_PREFIX_LEN || key[0] != TABLE_PREFIX)
		return kv_corrupt(err, "not a table key");
	*table_id = kv_get_int(key + 1);
	return CM_OK;
}

cm_status
kv_decode_record_key(const uint8_t *key, size_t len, int64_t *table_id, int64_t *handle,
					 cm_error *err)
{
	if (len != KV_RECORD_KEY_LEN || !kv_key_is_record(key, len))
		return kv_corrupt(err, "not an int-handle record key");
	if (table_id)
		*table_id = kv_get_int(key + 1);
	if (handle)
		*handle = kv_get_int(key + KV_RECORD_PREFIX_LEN);
	return CM_OK;
}

cm_status
kv_decode_record_key_common(const uint8_t *key, size_t len, int64_t *table_id,
							const uint8_t **handle, size_t *hlen, cm_error *err)
{
	if (!kv_key_is_record(key, len) || len == KV_RECORD_PREFIX_LEN)
		return kv_corrupt(err, "not a record key");
	if (table_id)
		*table_id = kv_get_int(key + 1);
	*handle = key + KV_RECORD_PREFIX_LEN;
	*hlen = len - KV_RECORD_PREFIX_LEN;
	return CM_OK;
}

cm_status
kv_decode_index_key(const uint8_t *key, size_t len, int64_t *table_id, int64_t *index_id,
					const uint8_t **rest, size_t *rest_len, cm_error *err)
{
	if (!kv_key_is_index(key, len))
		return kv_corrupt(err, "not an index key");
	if (table_id)
		*table_id = kv_get_int(key + 1);
	if (index_id)
		*index_id = kv_get_int(key + 11);
	if (rest)
		*rest = key + KV_INDEX_PREFIX_LEN;
	if (rest_len)
		*rest_len = len - KV_INDEX_PREFIX_LEN;
	return CM_OK;
}

cm_status
kv_decode_index_datums(const uint8_t **p, const uint8_t *end, size_t n, cm_arena *arena,
					   kv_datum *out, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (kv_decode_datum(p, end, arena, &out[i], err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status
kv_decode_index_int_handle(const uint8_t *suffix, size_t len, int64_t *handle, cm_error *err)
{
	if (len != 9 || suffix[0] != KV_FLAG_INT)
		return kv_corrupt(err, "bad int handle suffix in index key");
	*handle = kv_get_int(suffix + 1);
	return CM_OK;
}

/* ---- index values --------------------------------------------------------- */

void
kv_index_value_unique(cm_buf *b, int64_t handle)
{
	kv_encode_uint(b, (uint64_t) handle);
}

void
kv_index_value_nonunique(cm_buf *b)
{
	cm_buf_putc(b, IDX_VAL_NONUNIQUE);
}

/*
 * New formats: tailLen | [0x7D version] | options | tail, where tail =
 * [int handle 8] + padding or untouched flag.  The int handle is the first 8
 * bytes of the tail, which is where TiDB's decoder reads it.
 */
static cm_status
decode_new_index_value(const uint8_t *v, size_t len, kv_index_value *out, cm_error *err)
{
	size_t tail = v[0];
	if (tail > len - 1)
		return kv_corrupt(err, "index value tail longer than the value");
	const uint8_t *p = v + 1, *opt_end = v + len - tail;
	if (opt_end - p >= 2 && p[0] == IDX_VERSION_FLAG) {
		out->version = p[1];
		p += 2;
	}
	while (p < opt_end) {
		if (*p == IDX_COMMON_HANDLE_FLAG) {
			if (opt_end - p < 3)
				return kv_corrupt(err, "truncated common handle in index value");
			size_t hl = ((size_t) p[1] << 8) | p[2];
			p += 3;
			if ((size_t) (opt_end - p) < hl)
				return kv_corrupt(err, "truncated common handle in index value");
			out->common = p;
			out->common_len = hl;
			p += hl;
		} else if (*p == IDX_PARTITION_FLAG) {
			if (opt_end - p < 9)
				return kv_corrupt(err, "truncated partition id in index value");
			out->has_partition = true;
			out->partition_id = kv_get_int(p + 1);
			p += 9;
		} else if (*p == IDX_RESTORE_FLAG) {
			out->restore = p;
			out->restore_len = (size_t) (opt_end - p);
			p = opt_end;
		} else {
			return kv_corrupt(err, "unknown option in index value");
		}
	}
	const uint8_t *t = opt_end;
	if (tail >= 8) {
		out->has_int_handle = true;
		out->int_handle = (int64_t) kv_get_uint(t);
	}
	if ((tail == 1 || tail == 9) && v[len - 1] == IDX_VAL_UNTOUCHED)
		out->untouched = true;
	return CM_OK;
}

cm_status
kv_index_value_decode(const uint8_t *v, size_t len, kv_index_value *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (len == 0)
		return kv_corrupt(err, "empty index value");
	if (len > IDX_OLD_MAX_LEN)
		return decode_new_index_value(v, len, out, err);
	switch (len) {
	case 1:
		if (v[0] == IDX_VAL_UNTOUCHED)
			out->untouched = true;
		else if (v[0] != IDX_VAL_NONUNIQUE)
			return kv_corrupt(err, "bad non-unique index value");
		return CM_OK;
	case 9:
		if (v[8] != IDX_VAL_UNTOUCHED)
			return kv_corrupt(err, "bad untouched flag in index value");
		out->untouched = true;
		/* fall through */
	case 8:
		out->has_int_handle = true;
		out->int_handle = (int64_t) kv_get_uint(v);
		return CM_OK;
	default:
		return kv_corrupt(err, "bad index value length");
	}
}
