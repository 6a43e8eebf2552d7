/*
 * kv_codec.c -- memcomparable primitives, datum encodings and packed times.
 *
 * Implements the primitive and datum parts of kv_codec.h (decimals live in
 * kv_decimal.c).  Layouts are those of TiDB's pkg/util/codec as written down
 * in kv-protocol-facts.md section 4; the code is our own.
 *
 * Exported: see kv_codec.h (kv_encode_*, kv_decode_*, kv_put_* / kv_get_*,
 * kv_float_to_cmp, kv_encode_key, kv_encode_value, kv_decode_datum,
 * kv_cut_datum, kv_datum_compare, kv_time_pack, kv_time_unpack) and
 * kv_corrupt from kv_codec_internal.h.
 */
#include "kv/codec/kv_codec.h"

#include <math.h>
#include <string.h>

#include "kv/codec/kv_codec_internal.h"

#define SIGN_MASK UINT64_C(0x8000000000000000)
#define ENC_GROUP 8
#define ENC_MARKER 0xFF
#define ENC_PAD 0x00

static cm_status decode_bytes_impl(const uint8_t **p, const uint8_t *end, cm_buf *out, bool desc,
								   cm_error *err);
static cm_status need(const uint8_t *p, const uint8_t *end, size_t n, const char *what,
					  cm_error *err);
static void put_u64(cm_buf *b, uint64_t v);
static cm_status encode_one(cm_buf *b, const kv_datum *d, bool key, cm_error *err);
static int kind_rank(kv_datum_kind k);
static int cmp_u64(uint64_t a, uint64_t b);
static bool time_fields_ok(const kv_time *t);

cm_status
kv_corrupt(cm_error *err, const char *what)
{
	return cm_error_set(err, CM_E_DATA_CORRUPTED, "corrupt kv data: %s", what);
}

/* CM_OK if at least n bytes remain at p. */
static cm_status
need(const uint8_t *p, const uint8_t *end, size_t n, const char *what, cm_error *err)
{
	if (p > end || (size_t) (end - p) < n)
		return kv_corrupt(err, what);
	return CM_OK;
}

/* ---- fixed 8-byte forms ------------------------------------------------- */

void
kv_put_uint(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t) v;
		v >>= 8;
	}
}

uint64_t
kv_get_uint(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

void
kv_put_int(uint8_t out[8], int64_t v)
{
	kv_put_uint(out, (uint64_t) v ^ SIGN_MASK);
}

int64_t
kv_get_int(const uint8_t in[8])
{
	return (int64_t) (kv_get_uint(in) ^ SIGN_MASK);
}

uint64_t
kv_float_to_cmp(double f)
{
	uint64_t u;
	if (isnan(f))
		return UINT64_C(0x7FF8000000000000) | SIGN_MASK; /* above +Inf */
	if (f == 0)
		f = 0.0; /* -0.0 -> +0.0 */
	memcpy(&u, &f, sizeof u);
	if (u & SIGN_MASK)
		return ~u;
	return u | SIGN_MASK;
}

double
kv_cmp_to_float(uint64_t u)
{
	double f;
	if (u & SIGN_MASK)
		u &= ~SIGN_MASK;
	else
		u = ~u;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* ---- encoders ----------------------------------------------------------- */

static void
put_u64(cm_buf *b, uint64_t v)
{
	kv_put_uint(kv_buf_grow(b, 8), v);
}

void
kv_encode_int(cm_buf *b, int64_t v)
{
	put_u64(b, (uint64_t) v ^ SIGN_MASK);
}

void
kv_encode_int_desc(cm_buf *b, int64_t v)
{
	put_u64(b, ~((uint64_t) v ^ SIGN_MASK));
}

void
kv_encode_uint(cm_buf *b, uint64_t v)
{
	put_u64(b, v);
}

void
kv_encode_uint_desc(cm_buf *b, uint64_t v)
{
	put_u64(b, ~v);
}

void
kv_encode_float(cm_buf *b, double v)
{
	put_u64(b, kv_float_to_cmp(v));
}

void
kv_encode_float_desc(cm_buf *b, double v)
{
	put_u64(b, ~kv_float_to_cmp(v));
}

void
kv_encode_bytes(cm_buf *b, const void *data, size_t n)
{
	const uint8_t *src = data;
	uint8_t *dst = kv_buf_grow(b, kv_encoded_bytes_len(n));
	for (size_t i = 0;; i += ENC_GROUP) {
		size_t rem = n - i;
		if (rem >= ENC_GROUP) {
			memcpy(dst, src + i, ENC_GROUP);
			dst[ENC_GROUP] = ENC_MARKER;
			dst += ENC_GROUP + 1;
			continue;
		}
		/* the last group: rem real bytes, 8 - rem pads (rem may be 0) */
		if (rem)
			memcpy(dst, src + i, rem);
		memset(dst + rem, ENC_PAD, ENC_GROUP - rem);
		dst[ENC_GROUP] = (uint8_t) (ENC_MARKER - (ENC_GROUP - rem));
		break;
	}
}

void
kv_encode_bytes_desc(cm_buf *b, const void *data, size_t n)
{
	size_t start = b->len;
	kv_encode_bytes(b, data, n);
	uint8_t *q = (uint8_t *) b->data;
	for (size_t i = start; i < b->len; i++)
		q[i] = (uint8_t) ~q[i];
}

void
kv_encode_uvarint(cm_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t) v;
	cm_buf_append(b, tmp, n);
}

void
kv_encode_varint(cm_buf *b, int64_t v)
{
	uint64_t ux = (uint64_t) v << 1;
	if (v < 0)
		ux = ~ux;
	kv_encode_uvarint(b, ux);
}

void
kv_encode_compact_bytes(cm_buf *b, const void *data, size_t n)
{
	kv_encode_varint(b, (int64_t) n);
	cm_buf_append(b, data, n);
}

/* ---- decoders ----------------------------------------------------------- */

cm_status
kv_decode_uint(const uint8_t **p, const uint8_t *end, uint64_t *out, cm_error *err)
{
	if (need(*p, end, 8, "truncated 8-byte integer", err) != CM_OK)
		return CM_ERROR;
	*out = kv_get_uint(*p);
	*p += 8;
	return CM_OK;
}

cm_status
kv_decode_uint_desc(const uint8_t **p, const uint8_t *end, uint64_t *out, cm_error *err)
{
	uint64_t v;
	if (kv_decode_uint(p, end, &v, err) != CM_OK)
		return CM_ERROR;
	*out = ~v;
	return CM_OK;
}

cm_status
kv_decode_int(const uint8_t **p, const uint8_t *end, int64_t *out, cm_error *err)
{
	uint64_t v;
	if (kv_decode_uint(p, end, &v, err) != CM_OK)
		return CM_ERROR;
	*out = (int64_t) (v ^ SIGN_MASK);
	return CM_OK;
}

cm_status
kv_decode_int_desc(const uint8_t **p, const uint8_t *end, int64_t *out, cm_error *err)
{
	uint64_t v;
	if (kv_decode_uint(p, end, &v, err) != CM_OK)
		return CM_ERROR;
	*out = (int64_t) (~v ^ SIGN_MASK);
	return CM_OK;
}

cm_status
kv_decode_float(const uint8_t **p, const uint8_t *end, double *out, cm_error *err)
{
	uint64_t v;
	if (kv_decode_uint(p, end, &v, err) != CM_OK)
		return CM_ERROR;
	*out = kv_cmp_to_float(v);
	return CM_OK;
}

cm_status
kv_decode_float_desc(const uint8_t **p, const uint8_t *end, double *out, cm_error *err)
{
	uint64_t v;
	if (kv_decode_uint(p, end, &v, err) != CM_OK)
		return CM_ERROR;
	*out = kv_cmp_to_float(~v);
	return CM_OK;
}

/*
 * Groups of 9 bytes; the marker (after un-inverting for desc) says how many
 * of the 8 bytes are padding: 0xFF - marker.  0xFF means a full group that is
 * followed by another; anything else ends the value.  Padding must be zero
 * (0xFF before inversion for desc) so that each value has one encoding.
 */
static cm_status
decode_bytes_impl(const uint8_t **p, const uint8_t *end, cm_buf *out, bool desc,
				  cm_error *err)
{
	const uint8_t *q = *p;
	uint8_t flip = desc ? 0xFF : 0x00;
	for (;;) {
		if (need(q, end, ENC_GROUP + 1, "truncated memcomparable bytes", err) != CM_OK)
			return CM_ERROR;
		uint8_t marker = q[ENC_GROUP] ^ flip;
		unsigned pad = (unsigned) (ENC_MARKER - marker);
		if (pad > ENC_GROUP)
			return kv_corrupt(err, "bad memcomparable bytes group marker");
		size_t real = ENC_GROUP - pad;
		uint8_t *dst = kv_buf_grow(out, real);
		for (size_t i = 0; i < real; i++)
			dst[i] = q[i] ^ flip;
		for (size_t i = real; i < ENC_GROUP; i++) {
			if ((q[i] ^ flip) != ENC_PAD)
				return kv_corrupt(err, "non-zero padding in memcomparable bytes");
		}
		q += ENC_GROUP + 1;
		if (pad != 0)
			break;
	}
	*p = q;
	return CM_OK;
}

cm_status
kv_decode_bytes(const uint8_t **p, const uint8_t *end, cm_buf *out, cm_error *err)
{
	return decode_bytes_impl(p, end, out, false, err);
}

cm_status
kv_decode_bytes_desc(const uint8_t **p, const uint8_t *end, cm_buf *out, cm_error *err)
{
	return decode_bytes_impl(p, end, out, true, err);
}

cm_status
kv_decode_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out, cm_error *err)
{
	const uint8_t *q = *p;
	uint64_t v = 0;
	for (unsigned i = 0;; i++) {
		if (q >= end)
			return kv_corrupt(err, "truncated varint");
		if (i == 10)
			return kv_corrupt(err, "varint overflows 64 bits");
		uint8_t c = *q++;
		if (c < 0x80) {
			if (i == 9 && c > 1)
				return kv_corrupt(err, "varint overflows 64 bits");
			v |= (uint64_t) c << (7 * i);
			break;
		}
		v |= (uint64_t) (c & 0x7F) << (7 * i);
	}
	*out = v;
	*p = q;
	return CM_OK;
}

cm_status
kv_decode_varint(const uint8_t **p, const uint8_t *end, int64_t *out, cm_error *err)
{
	uint64_t ux;
	if (kv_decode_uvarint(p, end, &ux, err) != CM_OK)
		return CM_ERROR;
	uint64_t x = ux >> 1;
	if (ux & 1)
		x = ~x;
	*out = (int64_t) x;
	return CM_OK;
}

cm_status
kv_decode_compact_bytes(const uint8_t **p, const uint8_t *end, const uint8_t **data,
						size_t *len, cm_error *err)
{
	int64_t n;
	const uint8_t *q = *p;
	if (kv_decode_varint(&q, end, &n, err) != CM_OK)
		return CM_ERROR;
	if (n < 0)
		return kv_corrupt(err, "negative compact bytes length");
	if (need(q, end, (uint64_t) n, "truncated compact bytes", err) != CM_OK)
		return CM_ERROR;
	*data = q;
	*len = (size_t) n;
	*p = q + n;
	return CM_OK;
}

/* ---- datums ------------------------------------------------------------- */

static cm_status
encode_one(cm_buf *b, const kv_datum *d, bool key, cm_error *err)
{
	switch (d->kind) {
	case KV_DATUM_NULL:
		cm_buf_putc(b, KV_FLAG_NIL);
		return CM_OK;
	case KV_DATUM_INT64:
		if (key) {
			cm_buf_putc(b, KV_FLAG_INT);
			kv_encode_int(b, d->i);
		} else {
			cm_buf_putc(b, KV_FLAG_VARINT);
			kv_encode_varint(b, d->i);
		}
		return CM_OK;
	case KV_DATUM_UINT64:
		if (key) {
			cm_buf_putc(b, KV_FLAG_UINT);
			kv_encode_uint(b, d->u);
		} else {
			cm_buf_putc(b, KV_FLAG_UVARINT);
			kv_encode_uvarint(b, d->u);
		}
		return CM_OK;
	case KV_DATUM_FLOAT64:
		cm_buf_putc(b, KV_FLAG_FLOAT);
		kv_encode_float(b, d->f);
		return CM_OK;
	case KV_DATUM_BYTES:
		if (key) {
			cm_buf_putc(b, KV_FLAG_BYTES);
			kv_encode_bytes(b, d->b.data, d->b.len);
		} else {
			cm_buf_putc(b, KV_FLAG_COMPACT_BYTES);
			kv_encode_compact_bytes(b, d->b.data, d->b.len);
		}
		return CM_OK;
	case KV_DATUM_DECIMAL:
		cm_buf_putc(b, KV_FLAG_DECIMAL);
		return kv_encode_decimal(b, (const char *) d->b.data, d->b.len, d->dec_prec,
								 d->dec_frac, err);
	case KV_DATUM_DURATION:
		cm_buf_putc(b, KV_FLAG_DURATION);
		kv_encode_int(b, d->i);
		return CM_OK;
	case KV_DATUM_MIN_NOT_NULL:
		cm_buf_putc(b, KV_FLAG_BYTES);
		return CM_OK;
	case KV_DATUM_MAX:
		cm_buf_putc(b, (char) KV_FLAG_MAX);
		return CM_OK;
	}
	return cm_error_set(err, CM_E_INTERNAL_ERROR, "unknown kv datum kind %d", (int) d->kind);
}

cm_status
kv_encode_key(cm_buf *b, const kv_datum *d, size_t n, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (encode_one(b, &d[i], true, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status
kv_encode_value(cm_buf *b, const kv_datum *d, size_t n, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (encode_one(b, &d[i], false, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status
kv_decode_datum(const uint8_t **p, const uint8_t *end, cm_arena *arena, kv_datum *out,
				cm_error *err)
{
	const uint8_t *q = *p;
	if (q >= end)
		return kv_corrupt(err, "missing datum flag");
	uint8_t flag = *q++;
	memset(out, 0, sizeof *out);
	switch (flag) {
	case KV_FLAG_NIL:
		out->kind = KV_DATUM_NULL;
		break;
	case KV_FLAG_BYTES: {
		if (q == end) { /* a bare bytesFlag: the MinNotNull range bound */
			out->kind = KV_DATUM_MIN_NOT_NULL;
			break;
		}
		cm_buf tmp;
		cm_buf_init(&tmp);
		cm_status st = kv_decode_bytes(&q, end, &tmp, err);
		if (st == CM_OK) {
			out->kind = KV_DATUM_BYTES;
			out->b.len = tmp.len;
			out->b.data = tmp.len ? cm_memdup(arena, tmp.data, tmp.len) : (const uint8_t *) "";
		}
		cm_buf_free(&tmp);
		if (st != CM_OK)
			return CM_ERROR;
		break;
	}
	case KV_FLAG_COMPACT_BYTES:
		out->kind = KV_DATUM_BYTES;
		if (kv_decode_compact_bytes(&q, end, &out->b.data, &out->b.len, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_INT:
		out->kind = KV_DATUM_INT64;
		if (kv_decode_int(&q, end, &out->i, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_UINT:
		out->kind = KV_DATUM_UINT64;
		if (kv_decode_uint(&q, end, &out->u, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_FLOAT:
		out->kind = KV_DATUM_FLOAT64;
		if (kv_decode_float(&q, end, &out->f, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_DECIMAL: {
		cm_buf tmp;
		int prec, frac;
		cm_buf_init(&tmp);
		cm_status st = kv_decode_decimal(&q, end, &tmp, &prec, &frac, err);
		if (st == CM_OK) {
			out->kind = KV_DATUM_DECIMAL;
			out->dec_prec = (uint8_t) prec;
			out->dec_frac = (uint8_t) frac;
			out->b.len = tmp.len;
			out->b.data = cm_memdup(arena, tmp.data, tmp.len + 1); /* keep the NUL */
		}
		cm_buf_free(&tmp);
		if (st != CM_OK)
			return CM_ERROR;
		break;
	}
	case KV_FLAG_DURATION:
		out->kind = KV_DATUM_DURATION;
		if (kv_decode_int(&q, end, &out->i, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_VARINT:
		out->kind = KV_DATUM_INT64;
		if (kv_decode_varint(&q, end, &out->i, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_UVARINT:
		out->kind = KV_DATUM_UINT64;
		if (kv_decode_uvarint(&q, end, &out->u, err) != CM_OK)
			return CM_ERROR;
		break;
	case KV_FLAG_JSON:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"json datums are not supported by the kv codec");
	case KV_FLAG_MAX:
		out->kind = KV_DATUM_MAX;
		break;
	default:
		return kv_corrupt(err, "unknown datum flag");
	}
	*p = q;
	return CM_OK;
}

cm_status
kv_cut_datum(const uint8_t **p, const uint8_t *end, cm_error *err)
{
	const uint8_t *q = *p;
	if (q >= end)
		return kv_corrupt(err, "missing datum flag");
	uint8_t flag = *q++;
	switch (flag) {
	case KV_FLAG_NIL:
	case KV_FLAG_MAX:
		break;
	case KV_FLAG_BYTES:
		/* walk the groups without copying */
		while (q != end) {
			if (need(q, end, ENC_GROUP + 1, "truncated memcomparable bytes", err) != CM_OK)
				return CM_ERROR;
			uint8_t marker = q[ENC_GROUP];
			q += ENC_GROUP + 1;
			if (marker < ENC_MARKER - ENC_GROUP)
				return kv_corrupt(err, "bad memcomparable bytes group marker");
			if (marker != ENC_MARKER)
				break;
		}
		break;
	case KV_FLAG_COMPACT_BYTES: {
		const uint8_t *data;
		size_t len;
		if (kv_decode_compact_bytes(&q, end, &data, &len, err) != CM_OK)
			return CM_ERROR;
		break;
	}
	case KV_FLAG_INT:
	case KV_FLAG_UINT:
	case KV_FLAG_FLOAT:
	case KV_FLAG_DURATION:
		if (need(q, end, 8, "truncated 8-byte datum", err) != CM_OK)
			return CM_ERROR;
		q += 8;
		break;
	case KV_FLAG_DECIMAL: {
		if (need(q, end, 2, "truncated decimal header", err) != CM_OK)
			return CM_ERROR;
		size_t sz = kv_decimal_bin_size(q[0], q[1]);
		if (sz == 0)
			return kv_corrupt(err, "bad decimal precision or scale");
		q += 2;
		if (need(q, end, sz, "truncated decimal", err) != CM_OK)
			return CM_ERROR;
		q += sz;
		break;
	}
	case KV_FLAG_VARINT:
	case KV_FLAG_UVARINT: {
		uint64_t v;
		if (kv_decode_uvarint(&q, end, &v, err) != CM_OK)
			return CM_ERROR;
		break;
	}
	case KV_FLAG_JSON:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"json datums are not supported by the kv codec");
	default:
		return kv_corrupt(err, "unknown datum flag");
	}
	*p = q;
	return CM_OK;
}

/* Rank of a datum kind in key order: its flag byte, MIN_NOT_NULL right after
 * NULL (a bare bytesFlag sorts below every encoded value). */
static int
kind_rank(kv_datum_kind k)
{
	switch (k) {
	case KV_DATUM_NULL:
		return 0;
	case KV_DATUM_MIN_NOT_NULL:
		return 1;
	case KV_DATUM_BYTES:
		return 2;
	case KV_DATUM_INT64:
		return 3;
	case KV_DATUM_UINT64:
		return 4;
	case KV_DATUM_FLOAT64:
		return 5;
	case KV_DATUM_DECIMAL:
		return 6;
	case KV_DATUM_DURATION:
		return 7;
	case KV_DATUM_MAX:
		return 250;
	}
	return 255;
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int
kv_datum_compare(const kv_datum *a, const kv_datum *b)
{
	int ra = kind_rank(a->kind), rb = kind_rank(b->kind);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a->kind) {
	case KV_DATUM_INT64:
	case KV_DATUM_DURATION:
		return a->i < b->i ? -1 : a->i > b->i;
	case KV_DATUM_UINT64:
		return cmp_u64(a->u, b->u);
	case KV_DATUM_FLOAT64:
		return cmp_u64(kv_float_to_cmp(a->f), kv_float_to_cmp(b->f));
	case KV_DATUM_BYTES: {
		size_t n = a->b.len < b->b.len ? a->b.len : b->b.len;
		int c = n ? memcmp(a->b.data, b->b.data, n) : 0;
		if (c != 0)
			return c < 0 ? -1 : 1;
		return cmp_u64(a->b.len, b->b.len);
	}
	case KV_DATUM_DECIMAL: {
		/* compare numerically through a common (65, 30)-free encoding */
		int pa, fa, pb, fb;
		cm_error e = {0};
		if (kv_decimal_prec_frac((const char *) a->b.data, a->b.len, &pa, &fa, &e) != CM_OK ||
			kv_decimal_prec_frac((const char *) b->b.data, b->b.len, &pb, &fb, &e) != CM_OK) {
			cm_error_clear(&e);
			return 0;
		}
		int fr = fa > fb ? fa : fb;
		int ig = (pa - fa) > (pb - fb) ? (pa - fa) : (pb - fb);
		if (ig + fr > KV_DECIMAL_MAX_PREC)
			ig = KV_DECIMAL_MAX_PREC - fr;
		if (ig + fr < 1)
			ig = 1;
		cm_buf ea, eb;
		cm_buf_init(&ea);
		cm_buf_init(&eb);
		int c = 0;
		if (kv_encode_decimal_bin(&ea, (const char *) a->b.data, a->b.len, ig + fr, fr, &e) ==
				CM_OK &&
			kv_encode_decimal_bin(&eb, (const char *) b->b.data, b->b.len, ig + fr, fr, &e) ==
				CM_OK) {
			c = memcmp(ea.data, eb.data, ea.len);
			c = c < 0 ? -1 : c > 0;
		}
		cm_error_clear(&e);
		cm_buf_free(&ea);
		cm_buf_free(&eb);
		return c;
	}
	default:
		return 0;
	}
}

/* ---- packed time -------------------------------------------------------- */

static bool
time_fields_ok(const kv_time *t)
{
	return t->year >= 0 && t->year <= 9999 && t->month >= 0 && t->month <= 12 && t->day >= 0 &&
		   t->day <= 31 && t->hour >= 0 && t->hour <= 23 && t->minute >= 0 && t->minute <= 59 &&
		   t->second >= 0 && t->second <= 59 && t->microsecond >= 0 &&
		   t->microsecond <= 999999;
}

cm_status
kv_time_pack(const kv_time *t, uint64_t *out, cm_error *err)
{
	if (!time_fields_ok(t))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"date/time value out of range for storage");
	uint64_t ymd = (((uint64_t) t->year * 13 + (uint64_t) t->month) << 5) | (uint64_t) t->day;
	uint64_t hms = ((uint64_t) t->hour << 12) | ((uint64_t) t->minute << 6) | (uint64_t) t->second;
	*out = (((ymd << 17) | hms) << 24) | (uint64_t) t->microsecond;
	return CM_OK;
}

cm_status
kv_time_unpack(uint64_t packed, kv_time *t, cm_error *err)
{
	uint64_t ymdhms = packed >> 24;
	uint64_t ymd = ymdhms >> 17;
	uint64_t ym = ymd >> 5;
	uint64_t hms = ymdhms & ((1u << 17) - 1);
	if (ym / 13 > 9999)
		return kv_corrupt(err, "packed time year out of range");
	t->microsecond = (int) (packed & ((1u << 24) - 1));
	t->day = (int) (ymd & 31);
	t->month = (int) (ym % 13);
	t->year = (int) (ym / 13);
	t->second = (int) (hms & 63);
	t->minute = (int) ((hms >> 6) & 63);
	t->hour = (int) (hms >> 12);
	if (!time_fields_ok(t))
		return kv_corrupt(err, "packed time field out of range");
	return CM_OK;
}
