/*
 * kv_codec.h -- memcomparable primitives, TiDB datums, decimals and packed
 *               times: the byte encodings shared by every part of kv/.
 *
 * Everything here follows TiDB's pkg/util/codec layout (see
 * ../shared/kv-protocol-facts.md section 4) so that keys and values written by
 * pgkv can be read by a real TiKV coprocessor and the other way round.  The
 * module knows nothing about SQL types: the SQL layer converts its own datums
 * into kv_datum (below) before encoding and back after decoding.
 *
 * Conventions
 *   - Encoders append to a cm_buf (which aborts on out-of-memory, so encoders
 *     that cannot reject their input return void).
 *   - Decoders take (const uint8_t **p, const uint8_t *end, ...): they read
 *     from *p, never past end, and on success advance *p past what they
 *     consumed.  On malformed input they return CM_ERROR with SQLSTATE XX001
 *     (data_corrupted) in *err and leave *p unspecified.
 *   - Every function returning cm_status is warn-unused-result.
 *
 * Exported
 *   primitives  kv_encode_{int,int_desc,uint,uint_desc,float,float_desc,
 *               bytes,bytes_desc,compact_bytes,varint,uvarint} and the
 *               matching kv_decode_*; kv_put_int/kv_get_int and friends work
 *               on raw 8-byte arrays; kv_encoded_bytes_len.
 *   datums      kv_datum (tagged value), kv_datum_* constructors,
 *               kv_encode_key (comparable), kv_encode_value (non-comparable),
 *               kv_decode_datum, kv_cut_datum, kv_datum_compare.
 *   decimals    kv_decimal_bin_size, kv_decimal_prec_frac,
 *               kv_encode_decimal_bin / kv_decode_decimal_bin (MySQL
 *               decimal2bin), kv_encode_decimal / kv_decode_decimal (with the
 *               precision and frac bytes), kv_mydecimal_encode/decode (the
 *               40-byte MyDecimal struct of TiDB chunks).
 *   times       kv_time, kv_time_pack / kv_time_unpack (ToPackedUint).
 *
 * Float policy (keys): -0.0 is encoded exactly like +0.0 (TiDB tests
 * `f >= 0`, and PostgreSQL treats them as equal), so a decoded key gives
 * +0.0.  Every NaN is canonicalised to one positive quiet NaN whose encoding
 * sorts above +Infinity, as PostgreSQL orders NaN above every number; TiDB
 * itself never stores NaN.
 *
 * Decimal text: [+-]digits[.digits] (".5" and "5." are accepted), no
 * exponent, no spaces.  Decoders write the canonical form: optional '-', the
 * integer part without leading zeros ("0" if empty), then '.' and exactly
 * frac digits when frac > 0.  Negative zero is written without a sign.
 */
#ifndef PGKV_KV_CODEC_H
#define PGKV_KV_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"

/* ---- datum flag bytes (facts 4.4) ---------------------------------------- */

#define KV_FLAG_NIL 0
#define KV_FLAG_BYTES 1
#define KV_FLAG_COMPACT_BYTES 2
#define KV_FLAG_INT 3
#define KV_FLAG_UINT 4
#define KV_FLAG_FLOAT 5
#define KV_FLAG_DECIMAL 6
#define KV_FLAG_DURATION 7
#define KV_FLAG_VARINT 8
#define KV_FLAG_UVARINT 9
#define KV_FLAG_JSON 10
#define KV_FLAG_MAX 250

/* ---- memcomparable primitives (facts 4.3) -------------------------------- */

/* Size of EncodeBytes output for an n-byte input: (n/8 + 1) * 9. */
static inline size_t
kv_encoded_bytes_len(size_t n)
{
	return (n / 8 + 1) * 9;
}

/* Raw 8-byte forms, for callers that build fixed-size keys on the stack.
 * kv_put_int writes EncodeInt(v) (big-endian of v with the sign bit flipped);
 * kv_put_uint writes v big-endian; the getters invert them. */
void kv_put_int(uint8_t out[8], int64_t v);
void kv_put_uint(uint8_t out[8], uint64_t v);
int64_t kv_get_int(const uint8_t in[8]);
uint64_t kv_get_uint(const uint8_t in[8]);
/* The order-preserving 64-bit image of a double (see the float policy). */
uint64_t kv_float_to_cmp(double f);
double kv_cmp_to_float(uint64_t u);

/* Append encodings to b.  All are memcomparable except compact bytes and the
 * varints; the *_desc variants reverse the order (bitwise NOT). */
void kv_encode_int(cm_buf *b, int64_t v);
void kv_encode_int_desc(cm_buf *b, int64_t v);
void kv_encode_uint(cm_buf *b, uint64_t v);
void kv_encode_uint_desc(cm_buf *b, uint64_t v);
void kv_encode_float(cm_buf *b, double v);
void kv_encode_float_desc(cm_buf *b, double v);
/* 8-byte groups, each followed by marker 0xFF - padding (facts 4.3). */
void kv_encode_bytes(cm_buf *b, const void *data, size_t n);
void kv_encode_bytes_desc(cm_buf *b, const void *data, size_t n);
/* EncodeVarint(len) followed by the raw bytes; not memcomparable. */
void kv_encode_compact_bytes(cm_buf *b, const void *data, size_t n);
/* Go zigzag varint (LEB128 of the zigzag image). */
void kv_encode_varint(cm_buf *b, int64_t v);
/* LEB128, 7 bits per byte, high bit = more. */
void kv_encode_uvarint(cm_buf *b, uint64_t v);

/* Decoders: read one value at *p (see Conventions above). */
CM_MUST_CHECK cm_status kv_decode_int(const uint8_t **p, const uint8_t *end, int64_t *out,
									  cm_error *err);
CM_MUST_CHECK cm_status kv_decode_int_desc(const uint8_t **p, const uint8_t *end, int64_t *out,
										   cm_error *err);
CM_MUST_CHECK cm_status kv_decode_uint(const uint8_t **p, const uint8_t *end, uint64_t *out,
									   cm_error *err);
CM_MUST_CHECK cm_status kv_decode_uint_desc(const uint8_t **p, const uint8_t *end,
											uint64_t *out, cm_error *err);
CM_MUST_CHECK cm_status kv_decode_float(const uint8_t **p, const uint8_t *end, double *out,
										cm_error *err);
CM_MUST_CHECK cm_status kv_decode_float_desc(const uint8_t **p, const uint8_t *end,
											 double *out, cm_error *err);
/* Decode EncodeBytes / EncodeBytesDesc, appending the original bytes to out
 * (out->len grows by the decoded length; out is not reset, and on error it
 * may hold a partial result).  Rejects a marker below 0xF7, non-zero
 * padding, and truncated groups. */
CM_MUST_CHECK cm_status kv_decode_bytes(const uint8_t **p, const uint8_t *end, cm_buf *out,
										cm_error *err);
CM_MUST_CHECK cm_status kv_decode_bytes_desc(const uint8_t **p, const uint8_t *end,
											 cm_buf *out, cm_error *err);
/* Decode compact bytes without copying: *data points into the input (valid as
 * long as the input is), *len is its length. */
CM_MUST_CHECK cm_status kv_decode_compact_bytes(const uint8_t **p, const uint8_t *end,
												const uint8_t **data, size_t *len,
												cm_error *err);
/* Reject more than 10 bytes, a 10th byte above 1 (overflow) and truncation. */
CM_MUST_CHECK cm_status kv_decode_varint(const uint8_t **p, const uint8_t *end, int64_t *out,
										 cm_error *err);
CM_MUST_CHECK cm_status kv_decode_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out,
										  cm_error *err);

/* ---- datums (facts 4.4) -------------------------------------------------- */

typedef enum kv_datum_kind {
	KV_DATUM_NULL = 0,
	KV_DATUM_INT64,		   /* i */
	KV_DATUM_UINT64,	   /* u: also packed times, enum/set/bit values */
	KV_DATUM_FLOAT64,	   /* f */
	KV_DATUM_BYTES,		   /* b: raw bytes (strings: collation sort key in keys) */
	KV_DATUM_DECIMAL,	   /* b: decimal text; dec_prec/dec_frac */
	KV_DATUM_DURATION,	   /* i: nanoseconds */
	KV_DATUM_MIN_NOT_NULL, /* range bound: just bytesFlag, below every value */
	KV_DATUM_MAX,		   /* range bound: maxFlag, above every value */
} kv_datum_kind;

/* A tagged value.  Payload pointers are borrowed: whoever builds a datum
 * keeps the bytes alive; decoders point into their input or into the arena
 * they were given. */
typedef struct kv_datum {
	kv_datum_kind kind;
	uint8_t dec_prec; /* DECIMAL: precision 1..65, or 0 = derive from the text */
	uint8_t dec_frac; /* DECIMAL: digits after the point (ignored if prec 0) */
	union {
		int64_t i;
		uint64_t u;
		double f;
		struct {
			const uint8_t *data;
			size_t len;
		} b;
	};
} kv_datum;

static inline kv_datum
kv_datum_null(void)
{
	kv_datum d = {.kind = KV_DATUM_NULL};
	return d;
}
static inline kv_datum
kv_datum_int(int64_t v)
{
	kv_datum d = {.kind = KV_DATUM_INT64, .i = v};
	return d;
}
static inline kv_datum
kv_datum_uint(uint64_t v)
{
	kv_datum d = {.kind = KV_DATUM_UINT64, .u = v};
	return d;
}
static inline kv_datum
kv_datum_float(double v)
{
	kv_datum d = {.kind = KV_DATUM_FLOAT64, .f = v};
	return d;
}
static inline kv_datum
kv_datum_bytes(const void *p, size_t n)
{
	kv_datum d = {.kind = KV_DATUM_BYTES, .b = {(const uint8_t *) p, n}};
	return d;
}
/* text as described in the banner; prec 0 = derive precision and frac. */
static inline kv_datum
kv_datum_decimal(const char *text, size_t len, int prec, int frac)
{
	kv_datum d = {.kind = KV_DATUM_DECIMAL,
				  .dec_prec = (uint8_t) prec,
				  .dec_frac = (uint8_t) frac,
				  .b = {(const uint8_t *) text, len}};
	return d;
}
static inline kv_datum
kv_datum_duration(int64_t nanos)
{
	kv_datum d = {.kind = KV_DATUM_DURATION, .i = nanos};
	return d;
}
static inline kv_datum
kv_datum_max(void)
{
	kv_datum d = {.kind = KV_DATUM_MAX};
	return d;
}
static inline kv_datum
kv_datum_min_not_null(void)
{
	kv_datum d = {.kind = KV_DATUM_MIN_NOT_NULL};
	return d;
}

/* Append the comparable (key) encoding of n datums: NULL 00, BYTES 01+
 * EncodeBytes, INT64 03+EncodeInt, UINT64 04+EncodeUint, FLOAT64 05+
 * EncodeFloat, DECIMAL 06+prec+frac+bin, DURATION 07+EncodeInt, MIN_NOT_NULL
 * 01 alone, MAX FA.  Fails (22P02 / 22003 / 22023) only on a bad decimal; b
 * may then hold a partial encoding past its old length. */
CM_MUST_CHECK cm_status kv_encode_key(cm_buf *b, const kv_datum *d, size_t n, cm_error *err);
/* Append the non-comparable (value) encoding: INT64 08+varint, UINT64
 * 09+uvarint, BYTES 02+compact bytes, DURATION 07+EncodeInt, the rest as in
 * keys.  Row v1 writers that want TiDB parity pass durations as INT64. */
CM_MUST_CHECK cm_status kv_encode_value(cm_buf *b, const kv_datum *d, size_t n, cm_error *err);
/* Decode one datum of either encoding (any flag above except JSON, which is
 * reported as 0A000).  BYTES from flag 01 and DECIMAL text are copied into
 * arena; BYTES from flag 02 point into the input.  Flag 08 gives INT64 and
 * flag 09 UINT64.  A bare 01 at the end of input decodes as MIN_NOT_NULL. */
CM_MUST_CHECK cm_status kv_decode_datum(const uint8_t **p, const uint8_t *end, cm_arena *arena,
										kv_datum *out, cm_error *err);
/* Advance *p past one encoded datum without decoding it (validates the
 * framing: byte groups, varint ends, decimal sizes). */
CM_MUST_CHECK cm_status kv_cut_datum(const uint8_t **p, const uint8_t *end, cm_error *err);
/* Order of two datums of the same kind as their key encodings order them
 * (<0, 0, >0); NULL < MIN_NOT_NULL < values < MAX.  Different value kinds
 * compare by flag byte.  Decimals compare numerically.  Meant for tests and
 * in-memory merges; returns 0 for two unparsable decimals. */
int kv_datum_compare(const kv_datum *a, const kv_datum *b);

/* ---- decimals (facts 4.6) ------------------------------------------------ */

#define KV_DECIMAL_MAX_PREC 65
#define KV_DECIMAL_MAX_FRAC 30
#define KV_MYDECIMAL_SIZE 40

/* Bytes of decimal2bin output for (prec, frac); 0 if prec/frac are outside
 * 1 <= prec <= 65, 0 <= frac <= min(prec, 30). */
size_t kv_decimal_bin_size(int prec, int frac);
/* Precision and frac TiDB would derive from a value: frac = digits after the
 * point (rounded to at most 30), prec = significant integer digits + frac, at
 * least 1.  Errors: 22P02 bad text, 22003 more than 65 digits. */
CM_MUST_CHECK cm_status kv_decimal_prec_frac(const char *text, size_t len, int *prec, int *frac,
											 cm_error *err);
/* Append decimal2bin of text for (prec, frac), without the prec/frac bytes.
 * Extra fraction digits are rounded half away from zero.  Errors: 22P02 bad
 * text, 22023 bad prec/frac, 22003 integer part wider than prec - frac. */
CM_MUST_CHECK cm_status kv_encode_decimal_bin(cm_buf *b, const char *text, size_t len, int prec,
											  int frac, cm_error *err);
/* Read kv_decimal_bin_size(prec, frac) bytes and append the canonical text to
 * out.  XX001 on a bad prec/frac, truncation or a digit group out of range. */
CM_MUST_CHECK cm_status kv_decode_decimal_bin(const uint8_t **p, const uint8_t *end, int prec,
											  int frac, cm_buf *out, cm_error *err);
/* prec byte, frac byte, bin.  prec 0 = derive both (kv_decimal_prec_frac). */
CM_MUST_CHECK cm_status kv_encode_decimal(cm_buf *b, const char *text, size_t len, int prec,
										  int frac, cm_error *err);
/* Inverse of kv_encode_decimal; prec/frac outputs may be NULL. */
CM_MUST_CHECK cm_status kv_decode_decimal(const uint8_t **p, const uint8_t *end, cm_buf *out,
										  int *prec, int *frac, cm_error *err);
/* The 40-byte MyDecimal struct used in chunks: digitsInt, digitsFrac,
 * resultFrac (int8 each), negative (bool), wordBuf[9] int32 LE.  The value
 * keeps the text's scale (rounded to 30); significant integer digits only.
 * Errors as kv_encode_decimal_bin, plus 22003 if more than 9 words needed. */
CM_MUST_CHECK cm_status kv_mydecimal_encode(const char *text, size_t len,
											uint8_t out[KV_MYDECIMAL_SIZE], cm_error *err);
/* Append the canonical text (digitsFrac fraction digits) of a MyDecimal. */
CM_MUST_CHECK cm_status kv_mydecimal_decode(const uint8_t in[KV_MYDECIMAL_SIZE], cm_buf *out,
											cm_error *err);

/* ---- packed times (facts 4.7) -------------------------------------------- */

/* A broken-down DATE / DATETIME / TIMESTAMP (TIMESTAMP already in UTC).
 * All zero is MySQL's zero date. */
typedef struct kv_time {
	int year;		 /* 0..9999 */
	int month;		 /* 0..12 */
	int day;		 /* 0..31 */
	int hour;		 /* 0..23 */
	int minute;		 /* 0..59 */
	int second;		 /* 0..59 */
	int microsecond; /* 0..999999 */
} kv_time;

/* ToPackedUint: ((((year*13+month)<<5|day) << 17 | hour<<12|minute<<6|second)
 * << 24) | microsecond.  22008 if a field is outside the ranges above. */
CM_MUST_CHECK cm_status kv_time_pack(const kv_time *t, uint64_t *out, cm_error *err);
/* Inverse; XX001 if a field decodes outside the ranges above. */
CM_MUST_CHECK cm_status kv_time_unpack(uint64_t packed, kv_time *t, cm_error *err);

#endif /* PGKV_KV_CODEC_H */
