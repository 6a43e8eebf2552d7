/*
 * kve_region.c -- regions of the embedded store.
 *
 * The key space is cut into regions as in TiKV: id, [start, end) with
 * EncodeBytes-encoded boundaries (empty = unbounded), epoch (conf_ver,
 * version).  Metadata lives in the default CF under local keys
 * 0x01 'r' + BE(id) as packed metapb.Region, written with a synced write.
 * A fresh store has one region (id 1) covering everything.
 *
 * Every request's Context is checked as TiKV checks it: unknown region id
 * -> RegionNotFound; epoch differing from the current one -> EpochNotMatch
 * (current_regions = the region and its neighbours, enough for a client to
 * refresh its cache); a key outside the region -> KeyNotInRegion.
 *
 * Split: commands report written bytes per region; when a region's
 * approximate size passes region_max_size it is split at the user key in
 * the middle of its write-CF bytes (found by scanning).  The right half
 * keeps the id (TiKV's right-derive default), the left half gets a new id,
 * both get version + 1.  Approximate sizes are not persisted: after a
 * restart they start from zero.
 *
 * Region checks and data writes are not atomic with respect to a
 * concurrent split (there is no Raft log to order them); a write that
 * passed the check just before a split lands in whichever half owns the
 * key, which is the same RocksDB, so nothing is lost -- only the size
 * accounting goes to the old id.
 *
 * Exported: kve_regions_load/free, kve_region_check, kve_region_check_range,
 * kve_region_note_write, kve_region_split, kve_region_by_key/by_id,
 * kve_scan_regions, kve_split_region (kve.h).
 */
#include "kv/embedded/kve_internal.h"

#include <stdlib.h>
#include <string.h>

#define STORE_ID 1

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static uint8_t *
bytes_dup(const uint8_t *p, size_t n)
{
	uint8_t *r = xmalloc(n);
	if (n)
		memcpy(r, p, n);
	return r;
}

/* ---- conversions ------------------------------------------------------------ */

static Metapb__Region *
region_to_pb(const kve_region *r)
{
	Metapb__Region *m = xmalloc(sizeof *m);
	metapb__region__init(m);
	m->id = r->id;
	kve_bin_set(&m->start_key, r->start, r->start_n);
	kve_bin_set(&m->end_key, r->end, r->end_n);
	m->region_epoch = xmalloc(sizeof *m->region_epoch);
	metapb__region_epoch__init(m->region_epoch);
	m->region_epoch->conf_ver = r->conf_ver;
	m->region_epoch->version = r->version;
	m->peers = xmalloc(sizeof(Metapb__Peer *));
	m->peers[0] = xmalloc(sizeof(Metapb__Peer));
	metapb__peer__init(m->peers[0]);
	m->peers[0]->id = r->id;
	m->peers[0]->store_id = STORE_ID;
	m->n_peers = 1;
	return m;
}

static void
meta_key(uint8_t out[10], uint64_t id)
{
	out[0] = KVE_LOCAL_PREFIX;
	out[1] = 'r';
	kve_put_u64be(out + 2, id);
}

static void
batch_put_region(rocksdb_writebatch_t *wb, kve_store *s, const kve_region *r)
{
	Metapb__Region *m = region_to_pb(r);
	size_t n = metapb__region__get_packed_size(m);
	uint8_t *buf = xmalloc(n);
	metapb__region__pack(m, buf);
	uint8_t k[10];
	meta_key(k, r->id);
	rocksdb_writebatch_put_cf(wb, s->cf[KVE_CF_DEFAULT], (const char *) k, sizeof k,
							  (const char *) buf, n);
	free(buf);
	kv_region_free(m);
}

static cm_status
persist_regions(kve_store *s, kve_region **rs, size_t n, cm_error *err)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	for (size_t i = 0; i < n; i++)
		batch_put_region(wb, s, rs[i]);
	char *rerr = NULL;
	rocksdb_write(s->db, s->wo_sync, wb, &rerr);
	rocksdb_writebatch_destroy(wb);
	if (rerr)
		return kve_rocks_error(err, "persist region", rerr);
	return CM_OK;
}

static int
cmp_region(const void *a, const void *b)
{
	const kve_region *x = *(kve_region *const *) a, *y = *(kve_region *const *) b;
	return kve_cmp(x->start, x->start_n, y->start, y->start_n);
}

static void
regions_insert(kve_store *s, size_t at, kve_region *r)
{
	if (s->n_regions == s->cap_regions) {
		s->cap_regions = s->cap_regions ? s->cap_regions * 2 : 16;
		s->regions = realloc(s->regions, sizeof(kve_region *) * s->cap_regions);
		if (!s->regions)
			abort();
	}
	memmove(&s->regions[at + 1], &s->regions[at], sizeof(kve_region *) * (s->n_regions - at));
	s->regions[at] = r;
	s->n_regions++;
}

cm_status
kve_regions_load(kve_store *s, cm_error *err)
{
	static const uint8_t lo[] = { KVE_LOCAL_PREFIX, 'r' };
	static const uint8_t hi[] = { KVE_LOCAL_PREFIX, 's' };
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf[KVE_CF_DEFAULT]);
	s->next_region_id = 2;
	for (rocksdb_iter_seek(it, (const char *) lo, sizeof lo); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		if (kve_cmp((const uint8_t *) k, kn, hi, sizeof hi) >= 0)
			break;
		const char *v = rocksdb_iter_value(it, &vn);
		Metapb__Region *m = metapb__region__unpack(NULL, vn, (const uint8_t *) v);
		if (!m) {
			rocksdb_iter_destroy(it);
			return cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: bad region meta");
		}
		kve_region *r = calloc(1, sizeof *r);
		if (!r)
			abort();
		r->id = m->id;
		r->start = bytes_dup(m->start_key.data, m->start_key.len);
		r->start_n = m->start_key.len;
		r->end = bytes_dup(m->end_key.data, m->end_key.len);
		r->end_n = m->end_key.len;
		r->conf_ver = m->region_epoch ? m->region_epoch->conf_ver : 1;
		r->version = m->region_epoch ? m->region_epoch->version : 1;
		if (r->id >= s->next_region_id)
			s->next_region_id = r->id + 1;
		metapb__region__free_unpacked(m, NULL);
		regions_insert(s, s->n_regions, r);
	}
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	rocksdb_iter_destroy(it);
	if (rerr)
		return kve_rocks_error(err, "load regions", rerr);
	if (s->n_regions == 0) {
		kve_region *r = calloc(1, sizeof *r);
		if (!r)
			abort();
		r->id = 1;
		r->start = xmalloc(1);
		r->end = xmalloc(1);
		r->conf_ver = 1;
		r->version = 1;
		regions_insert(s, 0, r);
		if (persist_regions(s, &r, 1, err) != CM_OK)
			return CM_ERROR;
	}
	qsort(s->regions, s->n_regions, sizeof(kve_region *), cmp_region);
	return CM_OK;
}

void
kve_regions_free(kve_store *s)
{
	for (size_t i = 0; i < s->n_regions; i++) {
		free(s->regions[i]->start);
		free(s->regions[i]->end);
		free(s->regions[i]);
	}
	free(s->regions);
	s->regions = NULL;
	s->n_regions = 0;
}

/* ---- lookups (caller holds reg_mu) ------------------------------------------ */

static bool
region_contains(const kve_region *r, const uint8_t *ek, size_t en)
{
	if (r->start_n && kve_cmp(ek, en, r->start, r->start_n) < 0)
		return false;
	if (r->end_n && kve_cmp(ek, en, r->end, r->end_n) >= 0)
		return false;
	return true;
}

/* index of the region containing encoded key ek */
static size_t
find_index(kve_store *s, const uint8_t *ek, size_t en)
{
	size_t lo = 0, hi = s->n_regions;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (kve_cmp(s->regions[mid]->start, s->regions[mid]->start_n, ek, en) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static ssize_t
find_id(kve_store *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_regions; i++)
		if (s->regions[i]->id == id)
			return (ssize_t) i;
	return -1;
}

/* ---- region errors --------------------------------------------------------- */

static Errorpb__Error *
error_new(const char *msg)
{
	Errorpb__Error *e = xmalloc(sizeof *e);
	errorpb__error__init(e);
	e->message = kve_strdup(msg);
	return e;
}

static Errorpb__Error *
error_region_not_found(uint64_t id)
{
	Errorpb__Error *e = error_new("region not found");
	e->region_not_found = xmalloc(sizeof *e->region_not_found);
	errorpb__region_not_found__init(e->region_not_found);
	e->region_not_found->region_id = id;
	return e;
}

static Errorpb__Error *
error_epoch_not_match(kve_store *s, size_t idx)
{
	Errorpb__Error *e = error_new("epoch not match");
	Errorpb__EpochNotMatch *en = xmalloc(sizeof *en);
	errorpb__epoch_not_match__init(en);
	size_t lo = idx > 0 ? idx - 1 : idx, hi = idx + 1 < s->n_regions ? idx + 1 : idx;
	en->current_regions = xmalloc(sizeof(Metapb__Region *) * 3);
	/* the region itself first, then its neighbours */
	en->current_regions[en->n_current_regions++] = region_to_pb(s->regions[idx]);
	for (size_t i = lo; i <= hi; i++)
		if (i != idx)
			en->current_regions[en->n_current_regions++] = region_to_pb(s->regions[i]);
	e->epoch_not_match = en;
	return e;
}

static Errorpb__Error *
error_key_not_in_region(const kve_region *r, const uint8_t *ek, size_t en)
{
	Errorpb__Error *e = error_new("key not in region");
	Errorpb__KeyNotInRegion *k = xmalloc(sizeof *k);
	errorpb__key_not_in_region__init(k);
	kve_bin_set(&k->key, ek, en);
	k->region_id = r->id;
	kve_bin_set(&k->start_key, r->start, r->start_n);
	kve_bin_set(&k->end_key, r->end, r->end_n);
	e->key_not_in_region = k;
	return e;
}

static Errorpb__Error *
check_ctx(kve_store *s, const Kvrpcpb__Context *ctx, ssize_t *idx_out)
{
	uint64_t id = ctx ? ctx->region_id : 0;
	ssize_t idx = find_id(s, id);
	if (idx < 0)
		return error_region_not_found(id);
	const kve_region *r = s->regions[idx];
	const Metapb__RegionEpoch *ep = ctx->region_epoch;
	if (!ep || ep->conf_ver != r->conf_ver || ep->version != r->version)
		return error_epoch_not_match(s, (size_t) idx);
	*idx_out = idx;
	return NULL;
}

static void
fill_bounds(cm_arena *a, const kve_region *r, kve_bounds *b)
{
	b->region_id = r->id;
	b->start = kve_dup(a, r->start, r->start_n);
	b->start_n = r->start_n;
	b->end = kve_dup(a, r->end, r->end_n);
	b->end_n = r->end_n;
}

Errorpb__Error *
kve_region_check(kve_store *s, cm_arena *a, const Kvrpcpb__Context *ctx,
				 const ProtobufCBinaryData *keys, size_t n_keys, kve_bounds *bounds)
{
	ssize_t idx;
	pthread_rwlock_rdlock(&s->reg_mu);
	Errorpb__Error *e = check_ctx(s, ctx, &idx);
	if (!e) {
		const kve_region *r = s->regions[idx];
		for (size_t i = 0; i < n_keys && !e; i++) {
			size_t en;
			uint8_t *ek = kve_enc(a, keys[i].data, keys[i].len, &en);
			if (!region_contains(r, ek, en))
				e = error_key_not_in_region(r, ek, en);
		}
		if (!e && bounds)
			fill_bounds(a, r, bounds);
	}
	pthread_rwlock_unlock(&s->reg_mu);
	return e;
}

Errorpb__Error *
kve_region_check_range(kve_store *s, cm_arena *a, const Kvrpcpb__Context *ctx,
					   const ProtobufCBinaryData *start, const ProtobufCBinaryData *end,
					   bool reverse, kve_bounds *b)
{
	ssize_t idx;
	pthread_rwlock_rdlock(&s->reg_mu);
	Errorpb__Error *e = check_ctx(s, ctx, &idx);
	if (!e) {
		const kve_region *r = s->regions[idx];
		fill_bounds(a, r, b);
		/* lo = inclusive lower bound, hi = exclusive upper bound (raw) */
		const ProtobufCBinaryData *lo = reverse ? end : start;
		const ProtobufCBinaryData *hi = reverse ? start : end;
		size_t lon = 0, hin = 0;
		uint8_t *elo = NULL, *ehi = NULL;
		if (lo->len || !reverse) {
			/* forward: start must be inside the region (empty = -inf) */
			elo = kve_enc(a, lo->data, lo->len, &lon);
			if (lo->len == 0)
				lon = 0;
		}
		if (hi->len)
			ehi = kve_enc(a, hi->data, hi->len, &hin);
		if (!reverse) {
			if (lon == 0 ? r->start_n != 0 : !region_contains(r, elo, lon))
				e = error_key_not_in_region(r, elo ? elo : (uint8_t *) "", lon);
		} else if (hin) {
			/* reverse: the exclusive upper bound must be in (start, end] */
			if ((r->start_n && kve_cmp(ehi, hin, r->start, r->start_n) <= 0) ||
				(r->end_n && kve_cmp(ehi, hin, r->end, r->end_n) > 0))
				e = error_key_not_in_region(r, ehi, hin);
		} else if (r->end_n) {
			e = error_key_not_in_region(r, (const uint8_t *) "", 0);
		}
		if (!e) {
			/* clip to the region */
			if (lon && (b->start_n == 0 || kve_cmp(elo, lon, b->start, b->start_n) > 0)) {
				b->start = elo;
				b->start_n = lon;
			}
			if (hin && (b->end_n == 0 || kve_cmp(ehi, hin, b->end, b->end_n) < 0)) {
				b->end = ehi;
				b->end_n = hin;
			}
		}
	}
	pthread_rwlock_unlock(&s->reg_mu);
	return e;
}

/* ---- split ------------------------------------------------------------------ */

cm_status
kve_region_split(kve_store *s, const uint8_t *ek, size_t en, cm_error *err)
{
	if (en == 0)
		return CM_OK;
	pthread_rwlock_wrlock(&s->reg_mu);
	size_t idx = find_index(s, ek, en);
	kve_region *old = s->regions[idx];
	if (!region_contains(old, ek, en) ||
		(old->start_n && kve_cmp(old->start, old->start_n, ek, en) == 0)) {
		pthread_rwlock_unlock(&s->reg_mu);
		return CM_OK;
	}
	kve_region *left = calloc(1, sizeof *left);
	if (!left)
		abort();
	left->id = s->next_region_id++;
	left->start = old->start;
	left->start_n = old->start_n;
	left->end = bytes_dup(ek, en);
	left->end_n = en;
	left->conf_ver = old->conf_ver;
	left->version = old->version + 1;
	uint64_t half = atomic_load(&old->approx_size) / 2;
	atomic_store(&left->approx_size, half);

	/* stage the right half without touching old until persisted */
	kve_region right = { .id = old->id, .start = (uint8_t *) ek, .start_n = en, .end = old->end,
						 .end_n = old->end_n, .conf_ver = old->conf_ver,
						 .version = old->version + 1 };
	kve_region *pair[2] = { left, &right };
	if (persist_regions(s, pair, 2, err) != CM_OK) {
		s->next_region_id--;
		free(left->end);
		free(left);
		pthread_rwlock_unlock(&s->reg_mu);
		return CM_ERROR;
	}
	old->start = bytes_dup(ek, en);
	old->start_n = en;
	old->version++;
	atomic_store(&old->approx_size, half);
	regions_insert(s, idx, left);
	pthread_rwlock_unlock(&s->reg_mu);
	return CM_OK;
}

/* The user key (EncodeBytes form) around the middle of the region's
 * write-CF bytes; false if the region holds fewer than two user keys. */
static bool
middle_key(kve_store *s, cm_arena *a, const kve_bounds *b, uint8_t **out, size_t *out_n)
{
	size_t lon, hin;
	uint8_t *lo = cm_alloc(a, b->start_n + 1), *hi = cm_alloc(a, b->end_n + 1);
	lo[0] = KVE_DATA_PREFIX;
	memcpy(lo + 1, b->start, b->start_n);
	lon = b->start_n + 1;
	if (b->end_n) {
		hi[0] = KVE_DATA_PREFIX;
		memcpy(hi + 1, b->end, b->end_n);
		hin = b->end_n + 1;
	} else {
		hi[0] = KVE_DATA_PREFIX + 1;
		hin = 1;
	}
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) hi, hin);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, ro, s->cf[KVE_CF_WRITE]);
	uint64_t total = 0;
	for (rocksdb_iter_seek(it, (const char *) lo, lon); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it)) {
		size_t kn, vn;
		rocksdb_iter_key(it, &kn);
		rocksdb_iter_value(it, &vn);
		total += kn + vn;
	}
	bool found = false;
	uint64_t acc = 0;
	const uint8_t *first = NULL;
	size_t first_n = 0;
	for (rocksdb_iter_seek(it, (const char *) lo, lon); rocksdb_iter_valid(it);
		 rocksdb_iter_next(it)) {
		size_t kn, vn;
		const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &kn);
		rocksdb_iter_value(it, &vn);
		if (kn < 9 + 8)
			continue;
		const uint8_t *uk = k + 1;
		size_t ukn = kn - 1 - 8;
		if (!first) {
			first = cm_memdup(a, uk, ukn);
			first_n = ukn;
		}
		if (acc >= total / 2 && kve_cmp(uk, ukn, first, first_n) != 0) {
			*out = cm_memdup(a, uk, ukn);
			*out_n = ukn;
			found = true;
			break;
		}
		acc += kn + vn;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return found;
}

void
kve_region_note_write(kve_store *s, uint64_t region_id, uint64_t bytes)
{
	bool want = false;
	cm_arena *a = NULL;
	kve_bounds b;
	pthread_rwlock_rdlock(&s->reg_mu);
	ssize_t idx = find_id(s, region_id);
	if (idx >= 0) {
		kve_region *r = s->regions[idx];
		uint64_t sz = atomic_fetch_add(&r->approx_size, bytes) + bytes;
		if (sz > s->opts.region_max_size) {
			want = true;
			a = cm_arena_create(0);
			fill_bounds(a, r, &b);
		}
	}
	pthread_rwlock_unlock(&s->reg_mu);
	if (!want)
		return;
	if (pthread_mutex_trylock(&s->split_mu) == 0) {
		uint8_t *mk;
		size_t mkn;
		if (middle_key(s, a, &b, &mk, &mkn)) {
			cm_error err = { 0 };
			if (kve_region_split(s, mk, mkn, &err) != CM_OK)
				cm_error_clear(&err); /* retried on a later write */
		} else {
			/* nothing to split on (one hot key): stop re-scanning for a while */
			pthread_rwlock_rdlock(&s->reg_mu);
			ssize_t i = find_id(s, region_id);
			if (i >= 0)
				atomic_store(&s->regions[i]->approx_size, 0);
			pthread_rwlock_unlock(&s->reg_mu);
		}
		pthread_mutex_unlock(&s->split_mu);
	}
	cm_arena_destroy(a);
}

cm_status
kve_split_region(kv_store *st, const uint8_t *key, size_t len, cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	size_t en;
	uint8_t *ek = kve_enc(a, key, len, &en);
	pthread_mutex_lock(&s->split_mu);
	cm_status st2 = len ? kve_region_split(s, ek, en, err) : CM_OK;
	pthread_mutex_unlock(&s->split_mu);
	cm_arena_destroy(a);
	return st2;
}

/* ---- vtable lookups ---------------------------------------------------------- */

cm_status
kve_region_by_key(kv_store *st, const uint8_t *key, size_t len, Metapb__Region **out, cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	size_t en = 0;
	uint8_t *ek = len ? kve_enc(a, key, len, &en) : (uint8_t *) "";
	pthread_rwlock_rdlock(&s->reg_mu);
	*out = region_to_pb(s->regions[find_index(s, ek, en)]);
	pthread_rwlock_unlock(&s->reg_mu);
	cm_arena_destroy(a);
	return CM_OK;
}

cm_status
kve_region_by_id(kv_store *st, uint64_t id, Metapb__Region **out, cm_error *err)
{
	kve_store *s = kve_of(st);
	pthread_rwlock_rdlock(&s->reg_mu);
	ssize_t i = find_id(s, id);
	*out = i >= 0 ? region_to_pb(s->regions[i]) : NULL;
	pthread_rwlock_unlock(&s->reg_mu);
	return CM_OK;
}

cm_status
kve_scan_regions(kv_store *st, const uint8_t *start, size_t start_len, const uint8_t *end,
				 size_t end_len, size_t limit, Metapb__Region ***out, size_t *n_out, cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	size_t sn = 0, en = 0;
	uint8_t *es = start_len ? kve_enc(a, start, start_len, &sn) : (uint8_t *) "";
	uint8_t *ee = end_len ? kve_enc(a, end, end_len, &en) : NULL;
	pthread_rwlock_rdlock(&s->reg_mu);
	size_t i = find_index(s, es, sn);
	Metapb__Region **rs = xmalloc(sizeof(Metapb__Region *) * (s->n_regions - i));
	size_t n = 0;
	for (; i < s->n_regions && (limit == 0 || n < limit); i++) {
		kve_region *r = s->regions[i];
		if (ee && kve_cmp(r->start, r->start_n, ee, en) >= 0 && r->start_n)
			break;
		rs[n++] = region_to_pb(r);
	}
	pthread_rwlock_unlock(&s->reg_mu);
	cm_arena_destroy(a);
	*out = rs;
	*n_out = n;
	return CM_OK;
}
