/*
 * kve_codec.c -- byte layouts of the embedded store (TiKV's, exactly).
 *
 * Keys (kv-protocol-facts §5.1):
 *   lock CF     'z' + EncodeBytes(user_key)
 *   write CF    'z' + EncodeBytes(user_key) + BE(^commit_ts)   (Rollback: ^start_ts)
 *   default CF  'z' + EncodeBytes(user_key) + BE(^start_ts)    (long values only)
 * Lock and write records: §5.2 / §5.3, including the optional tagged fields;
 * parsers stop at the first tag they do not know.  A shared lock ('H') is a
 * container whose 'h' field holds the sharers' own lock records (compact
 * bytes each); kve_lock.shared has them decoded.
 *
 * EncodeBytes here is a PRIVATE COPY, to be replaced by kv/codec/kv_codec.h
 * (kv_encode_bytes / kv_decode_bytes) when that module is settled.
 *
 * Exported: kve_enc_bytes, kve_dec_bytes, kve_enc, kve_data_key, kve_ts_key,
 * kve_raw_key, kve_lock_encode/decode, kve_write_encode/decode,
 * kve_lock_type_op, kve_hash.
 */
#include "kv/embedded/kve_internal.h"

#include <string.h>

/* ---- EncodeBytes (private copy: replace with kv/codec/kv_codec.h) ---------- */

size_t
kve_enc_bytes(uint8_t *out, const uint8_t *in, size_t n)
{
	size_t i = 0, o = 0;
	for (;;) {
		size_t rem = n - i;
		if (rem >= 8) {
			memcpy(out + o, in + i, 8);
			out[o + 8] = 0xFF;
			o += 9;
			i += 8;
		} else {
			if (rem)
				memcpy(out + o, in + i, rem);
			memset(out + o + rem, 0, 8 - rem);
			out[o + 8] = (uint8_t) (0xFF - (8 - rem));
			return o + 9;
		}
	}
}

bool
kve_dec_bytes(cm_arena *a, const uint8_t *in, size_t n, size_t *used, uint8_t **out, size_t *out_n)
{
	size_t groups = 0;
	/* first pass: find the end and the length */
	size_t len = 0, off = 0;
	for (;;) {
		if (off + 9 > n)
			return false;
		uint8_t marker = in[off + 8];
		uint8_t pad = (uint8_t) (0xFF - marker);
		if (pad > 8)
			return false;
		for (int j = 8 - pad; j < 8; j++)
			if (in[off + (size_t) j] != 0)
				return false;
		len += (size_t) (8 - pad);
		off += 9;
		groups++;
		if (pad != 0)
			break;
	}
	uint8_t *o = cm_alloc(a, len ? len : 1);
	size_t w = 0;
	for (size_t g = 0; g < groups; g++) {
		uint8_t pad = (uint8_t) (0xFF - in[g * 9 + 8]);
		memcpy(o + w, in + g * 9, (size_t) (8 - pad));
		w += (size_t) (8 - pad);
	}
	*used = off;
	*out = o;
	*out_n = len;
	return true;
}

uint8_t *
kve_enc(cm_arena *a, const uint8_t *raw, size_t n, size_t *out_n)
{
	uint8_t *o = cm_alloc(a, kve_enc_len(n));
	*out_n = kve_enc_bytes(o, raw, n);
	return o;
}

uint8_t *
kve_data_key(cm_arena *a, const uint8_t *raw, size_t n, size_t *out_n)
{
	uint8_t *o = cm_alloc(a, 1 + kve_enc_len(n) + 8);
	o[0] = KVE_DATA_PREFIX;
	*out_n = 1 + kve_enc_bytes(o + 1, raw, n);
	return o;
}

uint8_t *
kve_ts_key(cm_arena *a, const uint8_t *dk, size_t dkn, uint64_t ts, size_t *out_n)
{
	uint8_t *o = cm_alloc(a, dkn + 8);
	memcpy(o, dk, dkn);
	kve_put_u64be(o + dkn, ~ts);
	*out_n = dkn + 8;
	return o;
}

bool
kve_raw_key(cm_arena *a, const uint8_t *dk, size_t dkn, uint8_t **raw, size_t *raw_n)
{
	size_t used;
	if (dkn < 1 || dk[0] != KVE_DATA_PREFIX)
		return false;
	return kve_dec_bytes(a, dk + 1, dkn - 1, &used, raw, raw_n);
}

uint64_t
kve_hash(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	h ^= h >> 29;
	return h;
}

/* ---- varints ---------------------------------------------------------------- */

static size_t
put_uvarint(uint8_t *o, uint64_t v)
{
	size_t i = 0;
	while (v >= 0x80) {
		o[i++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	o[i++] = (uint8_t) v;
	return i;
}

static bool
get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t b = *(*p)++;
		r |= (uint64_t) (b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

/* compact bytes: zigzag varint length + bytes */
static size_t
put_compact(uint8_t *o, const uint8_t *p, size_t n)
{
	size_t i = put_uvarint(o, (uint64_t) n << 1);
	if (n)
		memcpy(o + i, p, n);
	return i + n;
}

static bool
get_compact(const uint8_t **p, const uint8_t *end, kve_slice *s)
{
	uint64_t zz;
	if (!get_uvarint(p, end, &zz))
		return false;
	int64_t len = (int64_t) (zz >> 1) ^ -(int64_t) (zz & 1);
	if (len < 0 || (uint64_t) len > (uint64_t) (end - *p))
		return false;
	s->p = *p;
	s->n = (size_t) len;
	*p += len;
	return true;
}

static bool
get_u64be(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (end - *p < 8)
		return false;
	*v = kve_get_u64be(*p);
	*p += 8;
	return true;
}

/* ---- lock record ---------------------------------------------------------- */

uint8_t *
kve_lock_encode(cm_arena *a, const kve_lock *l, size_t *out_n)
{
	/* a container: encode the sub-locks first; its own start_ts and
	 * for_update_ts summarise them (as TiKV's shared lock does) */
	kve_lock hdr;
	uint8_t **subs = NULL;
	size_t *sub_n = NULL;
	if (l->type == 'H') {
		hdr = *l;
		hdr.primary = (kve_slice){ NULL, 0 };
		hdr.ttl = 0;
		hdr.start_ts = UINT64_MAX;
		hdr.for_update_ts = UINT64_MAX;
		hdr.has_short_value = false;
		hdr.txn_size = 0;
		hdr.min_commit_ts = 0;
		hdr.use_async_commit = false;
		hdr.n_secondaries = 0;
		subs = cm_alloc(a, sizeof(uint8_t *) * (l->n_shared + 1));
		sub_n = cm_alloc(a, sizeof(size_t) * (l->n_shared + 1));
		for (size_t k = 0; k < l->n_shared; k++) {
			const kve_lock *sl = &l->shared[k];
			subs[k] = kve_lock_encode(a, sl, &sub_n[k]);
			if (sl->type == 'L' && sl->start_ts < hdr.start_ts)
				hdr.start_ts = sl->start_ts;
			if (sl->type == 'S' && sl->for_update_ts < hdr.for_update_ts)
				hdr.for_update_ts = sl->for_update_ts;
		}
		l = &hdr;
	}
	size_t cap = 1 + 10 + l->primary.n + 10 + 10 + 2 + l->short_value.n + 3 * 9 + 1 + 10 + 11;
	for (size_t i = 0; i < l->n_secondaries; i++)
		cap += 10 + l->secondaries[i].n;
	for (size_t k = 0; subs && k < l->n_shared; k++)
		cap += 10 + sub_n[k];
	uint8_t *o = cm_alloc(a, cap);
	size_t i = 0;
	o[i++] = (uint8_t) l->type;
	i += put_compact(o + i, l->primary.p, l->primary.n);
	i += put_uvarint(o + i, l->start_ts);
	i += put_uvarint(o + i, l->ttl);
	if (l->has_short_value) {
		o[i++] = 'v';
		o[i++] = (uint8_t) l->short_value.n;
		if (l->short_value.n)
			memcpy(o + i, l->short_value.p, l->short_value.n);
		i += l->short_value.n;
	}
	if (l->for_update_ts) {
		o[i++] = 'f';
		kve_put_u64be(o + i, l->for_update_ts);
		i += 8;
	}
	if (l->txn_size) {
		o[i++] = 't';
		kve_put_u64be(o + i, l->txn_size);
		i += 8;
	}
	if (l->min_commit_ts) {
		o[i++] = 'c';
		kve_put_u64be(o + i, l->min_commit_ts);
		i += 8;
	}
	if (l->use_async_commit) {
		o[i++] = 'a';
		i += put_uvarint(o + i, l->n_secondaries);
		for (size_t k = 0; k < l->n_secondaries; k++)
			i += put_compact(o + i, l->secondaries[k].p, l->secondaries[k].n);
	}
	if (subs) {
		o[i++] = 'h';
		i += put_uvarint(o + i, l->n_shared);
		for (size_t k = 0; k < l->n_shared; k++)
			i += put_compact(o + i, subs[k], sub_n[k]);
	}
	*out_n = i;
	return o;
}

bool
kve_lock_decode(cm_arena *a, const uint8_t *p, size_t n, kve_lock *l)
{
	const uint8_t *end = p + n;
	memset(l, 0, sizeof *l);
	if (n < 1)
		return false;
	l->type = (char) *p++;
	if (!l->type || !strchr("PDLSH", l->type) || !get_compact(&p, end, &l->primary) ||
		!get_uvarint(&p, end, &l->start_ts) || !get_uvarint(&p, end, &l->ttl))
		return false;
	while (p < end) {
		uint8_t tag = *p++;
		uint64_t tmp;
		switch (tag) {
		case 'v':
			if (p >= end || (size_t) (end - p) < (size_t) p[0] + 1)
				return false;
			l->has_short_value = true;
			l->short_value.n = p[0];
			l->short_value.p = p + 1;
			p += 1 + p[0];
			break;
		case 'f':
			if (!get_u64be(&p, end, &l->for_update_ts))
				return false;
			break;
		case 't':
			if (!get_u64be(&p, end, &l->txn_size))
				return false;
			break;
		case 'c':
			if (!get_u64be(&p, end, &l->min_commit_ts))
				return false;
			break;
		case 'a': {
			uint64_t cnt;
			if (!get_uvarint(&p, end, &cnt) || cnt > (uint64_t) (end - p))
				return false;
			l->use_async_commit = true;
			l->n_secondaries = (size_t) cnt;
			l->secondaries = cnt ? cm_alloc(a, sizeof(kve_slice) * (size_t) cnt) : NULL;
			for (uint64_t k = 0; k < cnt; k++)
				if (!get_compact(&p, end, &l->secondaries[k]))
					return false;
			break;
		}
		case 'r': {
			uint64_t cnt;
			if (!get_uvarint(&p, end, &cnt) || cnt > (uint64_t) (end - p) / 8)
				return false;
			p += cnt * 8;
			break;
		}
		case 'l':
			if (!get_u64be(&p, end, &tmp) || !get_uvarint(&p, end, &tmp))
				return false;
			break;
		case 's':
			if (!get_uvarint(&p, end, &tmp))
				return false;
			break;
		case 'F':
			break;
		case 'g':
			if (!get_u64be(&p, end, &tmp))
				return false;
			break;
		case 'h': {
			/* shared-lock txns: each a whole lock record (never nested) */
			uint64_t cnt;
			if (l->type != 'H' || !get_uvarint(&p, end, &cnt) || cnt > (uint64_t) (end - p))
				return false;
			l->n_shared = (size_t) cnt;
			l->shared = cm_alloc(a, sizeof(kve_lock) * ((size_t) cnt + 1));
			for (uint64_t k = 0; k < cnt; k++) {
				kve_slice sub;
				if (!get_compact(&p, end, &sub) ||
					!kve_lock_decode(a, sub.p, sub.n, &l->shared[k]) ||
					l->shared[k].type == 'H')
					return false;
			}
			break;
		}
		default:
			return true; /* unknown tag: newer format, stop */
		}
	}
	return true;
}

Kvrpcpb__Op
kve_lock_type_op(char type)
{
	switch (type) {
	case 'P':
		return KVRPCPB__OP__Put;
	case 'D':
		return KVRPCPB__OP__Del;
	case 'L':
		return KVRPCPB__OP__Lock;
	case 'S':
		return KVRPCPB__OP__PessimisticLock;
	case 'H':
		return KVRPCPB__OP__SharedLock;
	default:
		return KVRPCPB__OP__Put;
	}
}

/* ---- write record -------------------------------------------------------- */

uint8_t *
kve_write_encode(cm_arena *a, const kve_write *w, size_t *out_n)
{
	uint8_t *o = cm_alloc(a, 1 + 10 + 2 + w->short_value.n + 1 + 9);
	size_t i = 0;
	o[i++] = (uint8_t) w->type;
	i += put_uvarint(o + i, w->start_ts);
	if (w->has_short_value) {
		o[i++] = 'v';
		o[i++] = (uint8_t) w->short_value.n;
		if (w->short_value.n)
			memcpy(o + i, w->short_value.p, w->short_value.n);
		i += w->short_value.n;
	}
	if (w->overlapped_rollback)
		o[i++] = 'R';
	if (w->gc_fence) {
		o[i++] = 'F';
		kve_put_u64be(o + i, w->gc_fence);
		i += 8;
	}
	*out_n = i;
	return o;
}

bool
kve_write_decode(const uint8_t *p, size_t n, kve_write *w)
{
	const uint8_t *end = p + n;
	memset(w, 0, sizeof *w);
	if (n < 1)
		return false;
	w->type = (char) *p++;
	if (!w->type || !strchr("PDLR", w->type) || !get_uvarint(&p, end, &w->start_ts))
		return false;
	while (p < end) {
		uint8_t tag = *p++;
		uint64_t tmp;
		switch (tag) {
		case 'v':
			if (p >= end || (size_t) (end - p) < (size_t) p[0] + 1)
				return false;
			w->has_short_value = true;
			w->short_value.n = p[0];
			w->short_value.p = p + 1;
			p += 1 + p[0];
			break;
		case 'R':
			w->overlapped_rollback = true;
			break;
		case 'F':
			if (!get_u64be(&p, end, &w->gc_fence))
				return false;
			break;
		case 'l':
			if (!get_u64be(&p, end, &tmp) || !get_uvarint(&p, end, &tmp))
				return false;
			break;
		case 'S':
			if (!get_uvarint(&p, end, &tmp))
				return false;
			break;
		default:
			return true;
		}
	}
	return true;
}
