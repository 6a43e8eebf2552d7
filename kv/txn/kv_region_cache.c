/*
 * kv_region_cache.c -- key -> region cache (see kv_region_cache.h).
 *
 * Representation: `regions` is an array of referenced kv_region pointers
 * sorted by raw start key, non-overlapping (gaps allowed: a gap is simply a
 * miss).  The array holds one reference per entry.  Readers take the rwlock
 * shared, binary-search, take a reference, and leave; writers (loads,
 * invalidations, EpochNotMatch updates) take it exclusively for an
 * insertion or a removal only -- store calls are made without the lock.
 *
 * Exported: see the header.
 */
#include "kv/txn/kv_region_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_codec.h"

struct kv_region_cache {
	kv_store *store;
	pthread_rwlock_t lock;
	kv_region **regions;
	size_t n;
	size_t cap;
	atomic_uint_fast64_t seed;
};

/* ---- prototypes ------------------------------------------------------------ */

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
static int start_cmp(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b);
static bool end_after(const kv_region *r, const uint8_t *key, size_t len);
static uint64_t now_ms(void);
static bool dup_bytes(ProtobufCBinaryData *dst, const uint8_t *p, size_t n);
static cm_status decode_boundary(const ProtobufCBinaryData *enc, ProtobufCBinaryData *raw,
								 cm_error *err);
static kv_region *region_from_meta(kv_region_cache *c, const Metapb__Region *m, cm_error *err);
static kv_region *region_with_leader(const kv_region *r, const Metapb__Peer *leader);
static void region_free(kv_region *r);
static size_t find_le(kv_region_cache *c, const uint8_t *key, size_t len);
static kv_region *cache_lookup(kv_region_cache *c, const uint8_t *key, size_t len);
static kv_region *cache_lookup_end(kv_region_cache *c, const uint8_t *end, size_t len);
static void cache_insert(kv_region_cache *c, kv_region *r);
static void cache_remove_entry(kv_region_cache *c, const kv_region *r);
static cm_status load_by_key(kv_region_cache *c, kv_backoffer *bo, const uint8_t *key,
							 size_t len, kv_region **out, cm_error *err);

/* ---- helpers ----------------------------------------------------------------- */

static int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
start_cmp(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	return key_cmp(a->data, a->len, b->data, b->len);
}

/* key < r.end (end empty = +inf) */
static bool
end_after(const kv_region *r, const uint8_t *key, size_t len)
{
	return r->end.len == 0 || key_cmp(key, len, r->end.data, r->end.len) < 0;
}

static bool
dup_bytes(ProtobufCBinaryData *dst, const uint8_t *p, size_t n)
{
	dst->len = n;
	dst->data = NULL;
	if (n == 0)
		return true;
	dst->data = malloc(n);
	if (!dst->data)
		return false;
	memcpy(dst->data, p, n);
	return true;
}

static uint64_t
now_ms(void)
{
	return kv_now_us() / 1000u;
}

bool
kv_region_contains(const kv_region *r, const uint8_t *key, size_t len)
{
	return key_cmp(r->start.data, r->start.len, key, len) <= 0 && end_after(r, key, len);
}

static cm_status
decode_boundary(const ProtobufCBinaryData *enc, ProtobufCBinaryData *raw, cm_error *err)
{
	raw->len = 0;
	raw->data = NULL;
	if (enc->len == 0)
		return CM_OK;
	cm_buf b;
	cm_buf_init(&b);
	const uint8_t *p = enc->data;
	if (kv_decode_bytes(&p, enc->data + enc->len, &b, err) != CM_OK) {
		cm_buf_free(&b);
		cm_error_detail(err, "decoding a region boundary");
		return CM_ERROR;
	}
	raw->len = b.len;
	raw->data = malloc(b.len ? b.len : 1);
	if (!raw->data) {
		cm_buf_free(&b);
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
	}
	if (b.len)
		memcpy(raw->data, b.data, b.len);
	cm_buf_free(&b);
	return CM_OK;
}

static void
region_free(kv_region *r)
{
	if (!r)
		return;
	free(r->start.data);
	free(r->end.data);
	if (r->meta)
		protobuf_c_message_free_unpacked(&r->meta->base, NULL);
	free(r);
}

void
kv_region_unref(kv_region *r)
{
	if (!r)
		return;
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		region_free(r);
}

/* New region entry (refs = 1) from a store-returned region (copied). */
static kv_region *
region_from_meta(kv_region_cache *c, const Metapb__Region *m, cm_error *err)
{
	kv_region *r = calloc(1, sizeof(*r));
	if (!r) {
		cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	r->meta = (Metapb__Region *) kv_message_dup(&m->base);
	if (!r->meta) {
		free(r);
		cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	if (decode_boundary(&m->start_key, &r->start, err) != CM_OK ||
		decode_boundary(&m->end_key, &r->end, err) != CM_OK) {
		region_free(r);
		return NULL;
	}
	r->id = m->id;
	metapb__region_epoch__init(&r->epoch);
	if (m->region_epoch) {
		r->epoch.conf_ver = m->region_epoch->conf_ver;
		r->epoch.version = m->region_epoch->version;
	}
	metapb__peer__init(&r->leader);
	if (m->n_peers > 0 && m->peers[0]) {
		r->leader.id = m->peers[0]->id;
		r->leader.store_id = m->peers[0]->store_id;
		r->leader.role = m->peers[0]->role;
	}
	atomic_init(&r->refs, 1);
	atomic_init(&r->last_access_ms, now_ms());
	uint64_t s = atomic_fetch_add(&c->seed, UINT64_C(0x9E3779B97F4A7C15));
	s ^= s >> 29;
	r->ttl_ms = KV_REGION_CACHE_TTL_MS + s % (KV_REGION_CACHE_TTL_JITTER_MS + 1);
	return r;
}

/* Copy of r with another leader (NotLeader with a leader). */
static kv_region *
region_with_leader(const kv_region *r, const Metapb__Peer *leader)
{
	kv_region *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->meta = (Metapb__Region *) kv_message_dup(&r->meta->base);
	if (!n->meta || !dup_bytes(&n->start, r->start.data, r->start.len) ||
		!dup_bytes(&n->end, r->end.data, r->end.len)) {
		region_free(n);
		return NULL;
	}
	n->id = r->id;
	n->epoch = r->epoch;
	metapb__peer__init(&n->leader);
	n->leader.id = leader->id;
	n->leader.store_id = leader->store_id;
	n->leader.role = leader->role;
	atomic_init(&n->refs, 1);
	atomic_init(&n->last_access_ms, now_ms());
	n->ttl_ms = r->ttl_ms;
	return n;
}

void
kv_region_fill_context(kv_region *r, Kvrpcpb__Context *ctx)
{
	ctx->region_id = r->id;
	ctx->region_epoch = &r->epoch;
	ctx->peer = &r->leader;
}

/* ---- the cache array ------------------------------------------------------- */

kv_region_cache *
kv_region_cache_new(kv_store *s)
{
	kv_region_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->store = s;
	if (pthread_rwlock_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	atomic_init(&c->seed, kv_now_us());
	return c;
}

void
kv_region_cache_free(kv_region_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		kv_region_unref(c->regions[i]);
	free(c->regions);
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

kv_store *
kv_region_cache_store(kv_region_cache *c)
{
	return c->store;
}

void
kv_region_cache_clear(kv_region_cache *c)
{
	pthread_rwlock_wrlock(&c->lock);
	for (size_t i = 0; i < c->n; i++)
		kv_region_unref(c->regions[i]);
	c->n = 0;
	pthread_rwlock_unlock(&c->lock);
}

/* Index of the last entry with start <= key, or c->n if none.  Lock held. */
static size_t
find_le(kv_region_cache *c, const uint8_t *key, size_t len)
{
	size_t lo = 0, hi = c->n; /* answer in [lo, hi) is the first with start > key */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const kv_region *r = c->regions[mid];
		if (key_cmp(r->start.data, r->start.len, key, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? c->n : lo - 1;
}

static bool
entry_fresh(kv_region *r, uint64_t now)
{
	uint64_t last = atomic_load_explicit(&r->last_access_ms, memory_order_relaxed);
	if (now > last && now - last > r->ttl_ms)
		return false;
	atomic_store_explicit(&r->last_access_ms, now, memory_order_relaxed);
	return true;
}

static kv_region *
cache_lookup(kv_region_cache *c, const uint8_t *key, size_t len)
{
	kv_region *hit = NULL;
	uint64_t now = now_ms();
	pthread_rwlock_rdlock(&c->lock);
	size_t i = find_le(c, key, len);
	if (i < c->n && end_after(c->regions[i], key, len) && entry_fresh(c->regions[i], now))
		hit = kv_region_ref(c->regions[i]);
	pthread_rwlock_unlock(&c->lock);
	return hit;
}

/* Entry with start < end <= entry.end (end len 0 = +inf). */
static kv_region *
cache_lookup_end(kv_region_cache *c, const uint8_t *end, size_t len)
{
	kv_region *hit = NULL;
	uint64_t now = now_ms();
	pthread_rwlock_rdlock(&c->lock);
	if (c->n > 0) {
		kv_region *r = NULL;
		if (len == 0) {
			r = c->regions[c->n - 1];
			if (r->end.len != 0)
				r = NULL;
		} else {
			size_t i = find_le(c, end, len);
			if (i < c->n) {
				r = c->regions[i];
				if (key_cmp(r->start.data, r->start.len, end, len) == 0)
					r = i > 0 ? c->regions[i - 1] : NULL;
				if (r && !(r->end.len == 0 ||
						   key_cmp(end, len, r->end.data, r->end.len) <= 0))
					r = NULL;
				/* the region must start strictly below end */
				if (r && key_cmp(r->start.data, r->start.len, end, len) >= 0)
					r = NULL;
			}
		}
		if (r && entry_fresh(r, now))
			hit = kv_region_ref(r);
	}
	pthread_rwlock_unlock(&c->lock);
	return hit;
}

/* Insert r (taking over the caller's reference), dropping every entry that
 * overlaps it -- unless an overlapping entry with the same id has a newer
 * epoch, in which case r is stale and dropped instead. */
static void
cache_insert(kv_region_cache *c, kv_region *r)
{
	pthread_rwlock_wrlock(&c->lock);
	/* first candidate that may overlap: the entry containing r.start, or the
	 * first entry after it */
	size_t i = find_le(c, r->start.data, r->start.len);
	size_t lo = (i == c->n) ? 0 : i;
	if (lo < c->n && !end_after(c->regions[lo], r->start.data, r->start.len))
		lo++;
	size_t hi = lo;
	while (hi < c->n) {
		const kv_region *e = c->regions[hi];
		/* e overlaps r iff e.start < r.end */
		if (r->end.len != 0 && key_cmp(e->start.data, e->start.len, r->end.data, r->end.len) >= 0)
			break;
		hi++;
	}
	for (size_t k = lo; k < hi; k++) {
		const kv_region *e = c->regions[k];
		if (e->id == r->id && e->epoch.version > r->epoch.version) {
			pthread_rwlock_unlock(&c->lock);
			kv_region_unref(r);
			return;
		}
	}
	for (size_t k = lo; k < hi; k++)
		kv_region_unref(c->regions[k]);
	size_t removed = hi - lo;
	if (removed == 0 && c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		kv_region **nr = realloc(c->regions, ncap * sizeof(*nr));
		if (!nr) {
			/* out of memory: just do not cache */
			pthread_rwlock_unlock(&c->lock);
			kv_region_unref(r);
			return;
		}
		c->regions = nr;
		c->cap = ncap;
	}
	if (removed == 0) {
		memmove(&c->regions[lo + 1], &c->regions[lo], (c->n - lo) * sizeof(*c->regions));
		c->n++;
	} else if (removed > 1) {
		memmove(&c->regions[lo + 1], &c->regions[hi], (c->n - hi) * sizeof(*c->regions));
		c->n -= removed - 1;
	}
	c->regions[lo] = r;
	pthread_rwlock_unlock(&c->lock);
}

static void
cache_remove_entry(kv_region_cache *c, const kv_region *r)
{
	pthread_rwlock_wrlock(&c->lock);
	size_t i = find_le(c, r->start.data, r->start.len);
	if (i < c->n && c->regions[i] == r) {
		kv_region_unref(c->regions[i]);
		memmove(&c->regions[i], &c->regions[i + 1], (c->n - i - 1) * sizeof(*c->regions));
		c->n--;
	}
	pthread_rwlock_unlock(&c->lock);
}

void
kv_region_cache_invalidate(kv_region_cache *c, const kv_region *r)
{
	if (r)
		cache_remove_entry(c, r);
}

/* Replace entry old (if still cached) by nr (taking its reference). */
static void
cache_replace(kv_region_cache *c, const kv_region *old, kv_region *nr)
{
	pthread_rwlock_wrlock(&c->lock);
	size_t i = find_le(c, old->start.data, old->start.len);
	if (i < c->n && c->regions[i] == old) {
		kv_region_unref(c->regions[i]);
		c->regions[i] = nr;
		nr = NULL;
	}
	pthread_rwlock_unlock(&c->lock);
	kv_region_unref(nr);
}

/* ---- loading ------------------------------------------------------------------ */

static cm_status
load_by_key(kv_region_cache *c, kv_backoffer *bo, const uint8_t *key, size_t len,
			kv_region **out, cm_error *err)
{
	for (;;) {
		Metapb__Region *m = NULL;
		cm_error e = {0};
		if (kv_store_region_by_key(c->store, key, len, &m, &e) == CM_OK && m) {
			kv_region *r = region_from_meta(c, m, err);
			kv_region_free(m);
			if (!r)
				return CM_ERROR;
			if (!kv_region_contains(r, key, len)) {
				kv_region_unref(r);
				if (kv_backoff(bo, KV_BO_REGION_MISS, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			cache_insert(c, kv_region_ref(r));
			*out = r;
			return CM_OK;
		}
		kv_region_free(m);
		if (!cm_error_is_set(&e))
			cm_error_set(&e, CM_E_INTERNAL_ERROR, "region lookup returned no region");
		if (kv_backoff(bo, KV_BO_PD_RPC, err) != CM_OK) {
			cm_error_move(err, &e);
			return CM_ERROR;
		}
		cm_error_clear(&e);
	}
}

cm_status
kv_region_cache_locate(kv_region_cache *c, kv_backoffer *bo, const uint8_t *key, size_t len,
					   kv_region **out, cm_error *err)
{
	kv_region *r = cache_lookup(c, key, len);
	if (r) {
		*out = r;
		return CM_OK;
	}
	return load_by_key(c, bo, key, len, out, err);
}

cm_status
kv_region_cache_locate_end(kv_region_cache *c, kv_backoffer *bo, const uint8_t *end, size_t len,
						   kv_region **out, cm_error *err)
{
	kv_region *r = cache_lookup_end(c, end, len);
	if (r) {
		*out = r;
		return CM_OK;
	}
	/*
	 * Miss.  Find a key K < end close to end, locate it, then walk right
	 * while the region ends before `end`.  For end = +inf, K = 16 x 0xFF.
	 * Otherwise K = end with its last byte dropped (if it is 0x00: the
	 * immediate predecessor) or decremented (smaller than end, and every
	 * key between K and end shares its prefix, so the walk is short).
	 */
	uint8_t kbuf[256];
	uint8_t *k = kbuf;
	size_t klen;
	if (len == 0) {
		klen = 16;
		memset(kbuf, 0xFF, klen);
	} else {
		if (len > sizeof(kbuf)) {
			k = malloc(len);
			if (!k)
				return cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
		}
		memcpy(k, end, len);
		klen = len;
		if (k[klen - 1] == 0)
			klen--;
		else
			k[klen - 1]--;
	}
	cm_status st = load_by_key(c, bo, k, klen, &r, err);
	while (st == CM_OK) {
		bool covers = r->end.len == 0 ||
					  (len != 0 && key_cmp(end, len, r->end.data, r->end.len) <= 0);
		if (covers)
			break;
		kv_region *next = NULL;
		st = load_by_key(c, bo, r->end.data, r->end.len, &next, err);
		kv_region_unref(r);
		r = next;
	}
	if (k != kbuf)
		free(k);
	if (st != CM_OK)
		return CM_ERROR;
	*out = r;
	return CM_OK;
}

cm_status
kv_region_cache_locate_id(kv_region_cache *c, kv_backoffer *bo, uint64_t id, kv_region **out,
						  cm_error *err)
{
	*out = NULL;
	uint64_t now = now_ms();
	pthread_rwlock_rdlock(&c->lock);
	for (size_t i = 0; i < c->n; i++) {
		if (c->regions[i]->id == id && entry_fresh(c->regions[i], now)) {
			*out = kv_region_ref(c->regions[i]);
			break;
		}
	}
	pthread_rwlock_unlock(&c->lock);
	if (*out)
		return CM_OK;
	for (;;) {
		Metapb__Region *m = NULL;
		cm_error e = {0};
		if (kv_store_region_by_id(c->store, id, &m, &e) == CM_OK) {
			if (!m)
				return CM_OK;
			kv_region *r = region_from_meta(c, m, err);
			kv_region_free(m);
			if (!r)
				return CM_ERROR;
			cache_insert(c, kv_region_ref(r));
			*out = r;
			return CM_OK;
		}
		if (kv_backoff(bo, KV_BO_PD_RPC, err) != CM_OK) {
			cm_error_move(err, &e);
			return CM_ERROR;
		}
		cm_error_clear(&e);
	}
}

/* ---- region errors ------------------------------------------------------------ */

cm_status
kv_region_cache_on_error(kv_region_cache *c, kv_backoffer *bo, kv_region *r,
						 const Errorpb__Error *e, bool skip_epoch_backoff, cm_error *err)
{
	const char *msg = (e->message && e->message[0]) ? e->message : "region error";

	if (e->not_leader) {
		const Metapb__Peer *l = e->not_leader->leader;
		if (l && l->store_id != 0 && r) {
			kv_region *nr = region_with_leader(r, l);
			if (nr)
				cache_replace(c, r, nr);
			else
				kv_region_cache_invalidate(c, r);
			return CM_OK;
		}
		kv_region_cache_invalidate(c, r);
		return kv_backoff(bo, KV_BO_REGION_SCHEDULING, err);
	}
	if (e->disk_full)
		return kv_backoff(bo, KV_BO_TIKV_DISK_FULL, err);
	if (e->recoveryinprogress) {
		kv_region_cache_invalidate(c, r);
		return kv_backoff(bo, KV_BO_REGION_RECOVERY_IN_PROGRESS, err);
	}
	if (e->is_witness) {
		kv_region_cache_invalidate(c, r);
		return kv_backoff(bo, KV_BO_IS_WITNESS, err);
	}
	if (e->flashbackinprogress || e->flashbacknotprepared)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "region is in flashback: %s", msg);
	if (e->epoch_not_match) {
		const Errorpb__EpochNotMatch *en = e->epoch_not_match;
		if (en->n_current_regions == 0) {
			kv_region_cache_invalidate(c, r);
			return kv_backoff(bo, KV_BO_REGION_MISS, err);
		}
		/* the store is behind us: same id, older epoch -> wait and retry */
		for (size_t i = 0; r && i < en->n_current_regions; i++) {
			const Metapb__Region *m = en->current_regions[i];
			if (m && m->id == r->id && m->region_epoch &&
				(m->region_epoch->version < r->epoch.version ||
				 m->region_epoch->conf_ver < r->epoch.conf_ver))
				return kv_backoff(bo, KV_BO_REGION_MISS, err);
		}
		kv_region_cache_invalidate(c, r);
		for (size_t i = 0; i < en->n_current_regions; i++) {
			if (!en->current_regions[i])
				continue;
			cm_error ign = {0};
			kv_region *nr = region_from_meta(c, en->current_regions[i], &ign);
			cm_error_clear(&ign);
			if (nr)
				cache_insert(c, nr);
		}
		if (skip_epoch_backoff)
			return kv_backoffer_check(bo, err);
		return kv_backoff(bo, KV_BO_REGION_MISS, err);
	}
	if (e->server_is_busy)
		return kv_backoff(bo, KV_BO_TIKV_SERVER_BUSY, err);
	if (e->stale_command)
		return kv_backoff(bo, KV_BO_STALE_COMMAND, err);
	if (e->raft_entry_too_large)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "raft entry too large: %s", msg);
	if (e->max_timestamp_not_synced)
		return kv_backoff(bo, KV_BO_MAX_TS_NOT_SYNCED, err);
	if (e->region_not_initialized)
		return kv_backoff(bo, KV_BO_REGION_NOT_INITIALIZED, err);
	if (e->read_index_not_ready || e->proposal_in_merging_mode)
		return kv_backoff(bo, KV_BO_REGION_SCHEDULING, err);
	if (e->data_is_not_ready)
		return kv_backoffer_check(bo, err);
	if (e->undetermined_result)
		return cm_error_set(err, CM_E_STATEMENT_COMPLETION_UNKNOWN,
							"result of the write is undetermined: %s", msg);
	if (e->bucket_version_not_match)
		return kv_backoffer_check(bo, err);
	/* region_not_found, key_not_in_region, store_not_match, mismatch_peer_id
	 * and anything else: drop the entry, back off regionMiss, re-locate */
	kv_region_cache_invalidate(c, r);
	return kv_backoff(bo, KV_BO_REGION_MISS, err);
}

/* ---- grouping ------------------------------------------------------------------ */

void
kv_region_groups_free(kv_region_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		kv_region_unref(g[i].region);
		free(g[i].idx);
	}
	free(g);
}

typedef struct sort_item {
	const ProtobufCBinaryData *key;
	size_t idx;
} sort_item;

static int
sort_item_cmp(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	int c = start_cmp(x->key, y->key);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
size_t_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *) a, y = *(const size_t *) b;
	return x < y ? -1 : x > y;
}

cm_status
kv_region_cache_group_keys(kv_region_cache *c, kv_backoffer *bo, const ProtobufCBinaryData *keys,
						   size_t n, kv_region_group **out, size_t *n_out, cm_error *err)
{
	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return CM_OK;
	sort_item *items = malloc(n * sizeof(*items));
	kv_region_group *groups = calloc(n, sizeof(*groups));
	if (!items || !groups) {
		free(items);
		free(groups);
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		items[i] = (sort_item){&keys[i], i};
	qsort(items, n, sizeof(*items), sort_item_cmp);

	size_t ng = 0;
	for (size_t i = 0; i < n;) {
		kv_region *r;
		if (kv_region_cache_locate(c, bo, items[i].key->data, items[i].key->len, &r, err) !=
			CM_OK) {
			free(items);
			kv_region_groups_free(groups, ng);
			return CM_ERROR;
		}
		size_t j = i;
		while (j < n && end_after(r, items[j].key->data, items[j].key->len))
			j++;
		kv_region_group *g = &groups[ng++];
		g->region = r;
		g->n = j - i;
		g->idx = malloc(g->n * sizeof(size_t));
		if (!g->idx) {
			free(items);
			kv_region_groups_free(groups, ng);
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
		}
		for (size_t k = i; k < j; k++)
			g->idx[k - i] = items[k].idx;
		qsort(g->idx, g->n, sizeof(size_t), size_t_cmp);
		i = j;
	}
	free(items);
	*out = groups;
	*n_out = ng;
	return CM_OK;
}

/* ---- range splitting ----------------------------------------------------------- */

void
kv_region_ranges_free(kv_region_ranges *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < r[i].n; k++) {
			free(r[i].ranges[k].start.data);
			free(r[i].ranges[k].end.data);
		}
		free(r[i].ranges);
		kv_region_unref(r[i].region);
	}
	free(r);
}

static bool
task_add(kv_region_ranges *t, const uint8_t *s, size_t slen, const uint8_t *e, size_t elen)
{
	kv_key_range *nr = realloc(t->ranges, (t->n + 1) * sizeof(*nr));
	if (!nr)
		return false;
	t->ranges = nr;
	kv_key_range *kr = &t->ranges[t->n];
	if (!dup_bytes(&kr->start, s, slen))
		return false;
	if (!dup_bytes(&kr->end, e, elen)) {
		free(kr->start.data);
		return false;
	}
	t->n++;
	return true;
}

cm_status
kv_region_cache_split_ranges(kv_region_cache *c, kv_backoffer *bo, const kv_key_range *ranges,
							 size_t n, kv_region_ranges **out, size_t *n_out, cm_error *err)
{
	kv_region_ranges *tasks = NULL;
	size_t nt = 0, cap = 0;
	*out = NULL;
	*n_out = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = ranges[i].start.data;
		size_t slen = ranges[i].start.len;
		const uint8_t *e = ranges[i].end.data;
		size_t elen = ranges[i].end.len;
		for (;;) {
			/* empty range (start >= end, end finite) contributes nothing */
			if (elen != 0 && key_cmp(s, slen, e, elen) >= 0)
				break;
			kv_region *r;
			if (kv_region_cache_locate(c, bo, s, slen, &r, err) != CM_OK)
				goto fail;
			kv_region_ranges *t;
			if (nt > 0 && tasks[nt - 1].region->id == r->id &&
				tasks[nt - 1].region->epoch.version == r->epoch.version) {
				t = &tasks[nt - 1];
				kv_region_unref(r);
				r = t->region;
			} else {
				if (nt == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					kv_region_ranges *nt2 = realloc(tasks, ncap * sizeof(*nt2));
					if (!nt2) {
						kv_region_unref(r);
						goto oom;
					}
					tasks = nt2;
					cap = ncap;
				}
				t = &tasks[nt++];
				*t = (kv_region_ranges){.region = r};
			}
			/* clip the end to the region */
			bool last = r->end.len == 0 ||
						(elen != 0 && key_cmp(e, elen, r->end.data, r->end.len) <= 0);
			const uint8_t *ce = last ? e : r->end.data;
			size_t celen = last ? elen : r->end.len;
			if (!task_add(t, s, slen, ce, celen))
				goto oom;
			if (last)
				break;
			s = r->end.data;
			slen = r->end.len;
		}
	}
	*out = tasks;
	*n_out = nt;
	return CM_OK;
oom:
	cm_error_set(err, CM_E_INTERNAL_ERROR, "out of memory");
fail:
	kv_region_ranges_free(tasks, nt);
	return CM_ERROR;
}
