/*
 * kve_read.c -- snapshot reads of the embedded store: KvGet, KvBatchGet,
 * KvScan, KvScanLock.
 *
 * Reads take no latches.  Each read works on one RocksDB snapshot, so its
 * lock check and its version lookup see the same instant.  Visibility is
 * TiKV's (kv-protocol-facts §5.4):
 *   - a lock blocks a read at read_ts (KeyError.locked with LockInfo) only
 *     if lock.start_ts <= read_ts, it is a Put or Delete lock (Lock and
 *     pessimistic locks never block), lock.min_commit_ts <= read_ts, and
 *     its txn is not in Context.resolved_locks; reading at u64::MAX ignores
 *     the primary lock of a non-async txn; a txn in
 *     Context.committed_locks is read through its lock's value;
 *     RC isolation skips the lock check, RCCheckTS turns a blocking lock
 *     into a WriteConflict (RcCheckTs);
 *   - the value is the newest Put/Delete with commit_ts <= read_ts, Lock
 *     and Rollback records being skipped.
 * Before reading, a reader waits for in-flight 1PC / async-commit writes
 * whose commit ts is <= read_ts (kve_memlock_wait), so a commit ts chosen
 * before its write landed is never missed.
 *
 * Scan returns a locked key as a KvPair carrying error.locked (the pair
 * counts toward the limit), as TiKV does.  limit 0 returns nothing (TiKV's
 * behaviour).  sample_step is ignored.  ScanLock's empty start key is the
 * region's start.  Lock-CF iterators are bounded to the request's range
 * (kve_bounded_ro): resolved locks leave tombstones.
 */
#include "kv/embedded/kve_internal.h"

#include <stdlib.h>
#include <string.h>

enum { LOCK_NONE, LOCK_BLOCKS, LOCK_COMMITTED };

static bool
ts_in(const uint64_t *arr, size_t n, uint64_t ts)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == ts)
			return true;
	return false;
}

static int
lock_check(const kve_lock *l, uint64_t ts, const Kvrpcpb__Context *ctx, const uint8_t *raw,
		   size_t rawn)
{
	if (l->start_ts > ts)
		return LOCK_NONE;
	if (l->type != 'P' && l->type != 'D')
		return LOCK_NONE;
	if (l->min_commit_ts > ts)
		return LOCK_NONE;
	if (ts == UINT64_MAX && !l->use_async_commit &&
		kve_cmp(raw, rawn, l->primary.p, l->primary.n) == 0)
		return LOCK_NONE;
	if (ctx && ts_in(ctx->resolved_locks, ctx->n_resolved_locks, l->start_ts))
		return LOCK_NONE;
	if (ctx && ts_in(ctx->committed_locks, ctx->n_committed_locks, l->start_ts))
		return LOCK_COMMITTED;
	return LOCK_BLOCKS;
}

/* value of a lock whose txn is known committed: 1 found, 0 deleted, -1 error */
static int
lock_value(kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a, const kve_lock *l,
		   const uint8_t *dk, size_t dkn, kve_slice *val, cm_error *err)
{
	if (l->type == 'D')
		return 0;
	if (l->has_short_value) {
		*val = l->short_value;
		return 1;
	}
	size_t kn;
	uint8_t *k = kve_ts_key(a, dk, dkn, l->start_ts, &kn);
	return kve_get_cf(s, ro, KVE_CF_DEFAULT, a, k, kn, val, err);
}

static Kvrpcpb__IsolationLevel
isolation(const Kvrpcpb__Context *ctx)
{
	return ctx ? ctx->isolation_level : KVRPCPB__ISOLATION_LEVEL__SI;
}

/* The lock of dk decides the read: returns -1 error, 0 read versions,
 * 1 value from lock (val / found set), 2 key error (*ke). */
static int
apply_lock(kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a, const Kvrpcpb__Context *ctx,
		   const kve_lock *l, const uint8_t *raw, size_t rawn, const uint8_t *dk, size_t dkn,
		   uint64_t ts, kve_slice *val, bool *found, Kvrpcpb__KeyError **ke, cm_error *err)
{
	switch (lock_check(l, ts, ctx, raw, rawn)) {
	case LOCK_BLOCKS:
		if (isolation(ctx) == KVRPCPB__ISOLATION_LEVEL__RCCheckTS)
			*ke = kve_key_error_conflict(ts, l->start_ts, 0, raw, rawn, l->primary.p, l->primary.n,
										 KVRPCPB__WRITE_CONFLICT__REASON__RcCheckTs);
		else
			*ke = kve_key_error_locked(l, raw, rawn);
		return 2;
	case LOCK_COMMITTED: {
		int r = lock_value(s, ro, a, l, dk, dkn, val, err);
		if (r < 0)
			return -1;
		*found = r > 0;
		return 1;
	}
	default:
		return 0;
	}
}

/* returns -1 error, 0 not found, 1 found, 2 key error */
static int
read_key(kve_store *s, const rocksdb_readoptions_t *ro, kve_versions *v, cm_arena *a,
		 const Kvrpcpb__Context *ctx, const uint8_t *raw, size_t rawn, uint64_t ts, kve_slice *val,
		 uint64_t *cts, Kvrpcpb__KeyError **ke, cm_error *err)
{
	size_t dkn;
	uint8_t *dk = kve_data_key(a, raw, rawn, &dkn);
	*cts = 0;
	if (isolation(ctx) != KVRPCPB__ISOLATION_LEVEL__RC) {
		kve_lock l;
		int r = kve_load_lock(s, ro, a, dk, dkn, &l, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			bool found = false;
			int d = apply_lock(s, ro, a, ctx, &l, raw, rawn, dk, dkn, ts, val, &found, ke, err);
			if (d < 0)
				return -1;
			if (d == 2)
				return 2;
			if (d == 1)
				return found ? 1 : 0;
		}
	}
	return kve_mvcc_get(s, ro, v, dk, dkn, ts, val, cts, err);
}

typedef struct snap {
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
} snap;

static void
snap_open(kve_store *s, snap *sn)
{
	sn->snap = rocksdb_create_snapshot(s->db);
	sn->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(sn->ro, sn->snap);
}

static void
snap_close(kve_store *s, snap *sn)
{
	rocksdb_readoptions_destroy(sn->ro);
	rocksdb_release_snapshot(s->db, sn->snap);
}

static Kvrpcpb__KvPair *
pair_new(const uint8_t *raw, size_t rawn)
{
	Kvrpcpb__KvPair *p = malloc(sizeof *p);
	if (!p)
		abort();
	kvrpcpb__kv_pair__init(p);
	kve_bin_set(&p->key, raw, rawn);
	return p;
}

static void
pairs_push(Kvrpcpb__KvPair ***arr, size_t *n, size_t *cap, Kvrpcpb__KvPair *p)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*arr = realloc(*arr, sizeof(Kvrpcpb__KvPair *) * *cap);
		if (!*arr)
			abort();
	}
	(*arr)[(*n)++] = p;
}

/* ---- KvGet ------------------------------------------------------------------ */

cm_status
kve_get(kv_store *st, const Kvrpcpb__GetRequest *req, Kvrpcpb__GetResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	cm_status rc = CM_OK;
	resp->region_error = kve_region_check(s, a, req->context, &req->key, 1, NULL);
	if (!resp->region_error) {
		uint64_t h = kve_hash(req->key.data, req->key.len);
		kve_memlock_wait(s, &h, 1, req->version);
		snap sn;
		snap_open(s, &sn);
		kve_versions v;
		kve_versions_open(&v, s, sn.ro, a);
		kve_slice val;
		uint64_t cts;
		int r = read_key(s, sn.ro, &v, a, req->context, req->key.data, req->key.len, req->version,
						 &val, &cts, &resp->error, err);
		kve_versions_close(&v);
		snap_close(s, &sn);
		if (r < 0)
			rc = CM_ERROR;
		else if (r == 1) {
			kve_bin_set(&resp->value, val.p, val.n);
			if (req->need_commit_ts)
				resp->commit_ts = cts;
		} else if (r == 0)
			resp->not_found = true;
	}
	cm_arena_destroy(a);
	return rc;
}

/* ---- KvBatchGet ---------------------------------------------------------- */

cm_status
kve_batch_get(kv_store *st, const Kvrpcpb__BatchGetRequest *req, Kvrpcpb__BatchGetResponse *resp,
			  cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	cm_status rc = CM_OK;
	resp->region_error = kve_region_check(s, a, req->context, req->keys, req->n_keys, NULL);
	if (!resp->region_error) {
		uint64_t *hs = cm_alloc(a, sizeof(uint64_t) * (req->n_keys + 1));
		for (size_t i = 0; i < req->n_keys; i++)
			hs[i] = kve_hash(req->keys[i].data, req->keys[i].len);
		kve_memlock_wait(s, hs, req->n_keys, req->version);
		snap sn;
		snap_open(s, &sn);
		kve_versions v;
		kve_versions_open(&v, s, sn.ro, a);
		size_t cap = 0;
		for (size_t i = 0; i < req->n_keys; i++) {
			const ProtobufCBinaryData *k = &req->keys[i];
			kve_slice val;
			uint64_t cts;
			Kvrpcpb__KeyError *ke = NULL;
			int r = read_key(s, sn.ro, &v, a, req->context, k->data, k->len, req->version, &val,
							 &cts, &ke, err);
			if (r < 0) {
				rc = CM_ERROR;
				break;
			}
			if (r == 0)
				continue;
			Kvrpcpb__KvPair *p = pair_new(k->data, k->len);
			if (r == 2)
				p->error = ke;
			else {
				kve_bin_set(&p->value, val.p, val.n);
				if (req->need_commit_ts)
					p->commit_ts = cts;
			}
			pairs_push(&resp->pairs, &resp->n_pairs, &cap, p);
		}
		kve_versions_close(&v);
		snap_close(s, &sn);
	}
	cm_arena_destroy(a);
	return rc;
}

/* ---- KvScan ------------------------------------------------------------------ */

typedef struct cursor {
	rocksdb_iterator_t *it;
	bool versioned;		/* write CF: keys carry an 8-byte ts suffix */
} cursor;

/* current data key (without ts) if inside [lo, hi), else NULL */
static const uint8_t *
cursor_key(const cursor *c, const uint8_t *lo, size_t lon, const uint8_t *hi, size_t hin,
		   size_t *n)
{
	if (!c->it || !rocksdb_iter_valid(c->it))
		return NULL;
	size_t kn;
	const uint8_t *k = (const uint8_t *) rocksdb_iter_key(c->it, &kn);
	if (c->versioned) {
		if (kn < 8)
			return NULL;
		kn -= 8;
	}
	if (kve_cmp(k, kn, lo, lon) < 0 || kve_cmp(k, kn, hi, hin) >= 0)
		return NULL;
	*n = kn;
	return k;
}

static bool
cursor_error(const cursor *c, cm_error *err)
{
	char *rerr = NULL;
	if (c->it)
		rocksdb_iter_get_error(c->it, &rerr);
	if (rerr) {
		kve_rocks_error(err, "scan", rerr);
		return true;
	}
	return false;
}

cm_status
kve_scan(kv_store *st, const Kvrpcpb__ScanRequest *req, Kvrpcpb__ScanResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	cm_status rc = CM_OK;
	kve_bounds b;
	resp->region_error = kve_region_check_range(s, a, req->context, &req->start_key,
												&req->end_key, req->reverse, &b);
	if (resp->region_error || req->limit == 0) {
		cm_arena_destroy(a);
		return CM_OK;
	}
	/* data-key bounds [lo, hi) */
	size_t lon = b.start_n + 1, hin = b.end_n ? b.end_n + 1 : 1;
	uint8_t *lo = cm_alloc(a, lon), *hi = cm_alloc(a, hin);
	lo[0] = KVE_DATA_PREFIX;
	memcpy(lo + 1, b.start, b.start_n);
	if (b.end_n) {
		hi[0] = KVE_DATA_PREFIX;
		memcpy(hi + 1, b.end, b.end_n);
	} else
		hi[0] = KVE_DATA_PREFIX + 1;

	kve_memlock_wait(s, NULL, 0, req->version);
	snap sn;
	snap_open(s, &sn);
	kve_versions v;
	kve_versions_open(&v, s, sn.ro, a);
	cursor w = { rocksdb_create_iterator_cf(s->db, sn.ro, s->cf[KVE_CF_WRITE]), true };
	cursor l = { NULL, false };
	rocksdb_readoptions_t *lro = NULL;
	if (isolation(req->context) != KVRPCPB__ISOLATION_LEVEL__RC) {
		lro = kve_bounded_ro(sn.snap, lo, lon, hi, hin);
		l.it = rocksdb_create_iterator_cf(s->db, lro, s->cf[KVE_CF_LOCK]);
	}
	if (!req->reverse) {
		rocksdb_iter_seek(w.it, (const char *) lo, lon);
		if (l.it)
			rocksdb_iter_seek(l.it, (const char *) lo, lon);
	} else {
		rocksdb_iter_seek_for_prev(w.it, (const char *) hi, hin);
		if (l.it) {
			rocksdb_iter_seek_for_prev(l.it, (const char *) hi, hin);
			size_t kn;
			if (rocksdb_iter_valid(l.it)) {
				const char *k = rocksdb_iter_key(l.it, &kn);
				if (kve_cmp((const uint8_t *) k, kn, hi, hin) == 0)
					rocksdb_iter_prev(l.it);
			}
		}
	}
	size_t cap = 0, count = 0;
	while (count < req->limit) {
		size_t wn = 0, ln = 0;
		const uint8_t *wk = cursor_key(&w, lo, lon, hi, hin, &wn);
		const uint8_t *lk = cursor_key(&l, lo, lon, hi, hin, &ln);
		if (!wk && !lk)
			break;
		const uint8_t *k;
		size_t kn;
		if (!wk)
			k = lk, kn = ln;
		else if (!lk)
			k = wk, kn = wn;
		else {
			int c = kve_cmp(wk, wn, lk, ln);
			bool take_w = req->reverse ? c >= 0 : c <= 0;
			k = take_w ? wk : lk;
			kn = take_w ? wn : ln;
		}
		uint8_t *dk = cm_memdup(a, k, kn);
		bool at_w = wk && kve_cmp(wk, wn, dk, kn) == 0;
		bool at_l = lk && kve_cmp(lk, ln, dk, kn) == 0;
		uint8_t *raw;
		size_t rawn;
		if (!kve_raw_key(a, dk, kn, &raw, &rawn)) {
			rc = cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed data key");
			break;
		}
		int decided = 0;
		bool found = false;
		kve_slice val = { 0 };
		uint64_t cts = 0;
		Kvrpcpb__KeyError *ke = NULL;
		if (at_l) {
			size_t vn;
			const char *vp = rocksdb_iter_value(l.it, &vn);
			uint8_t *lv = kve_dup(a, vp, vn);
			kve_lock lock;
			if (!kve_lock_decode(a, lv, vn, &lock)) {
				rc = cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed lock");
				break;
			}
			decided = apply_lock(s, sn.ro, a, req->context, &lock, raw, rawn, dk, kn,
								 req->version, &val, &found, &ke, err);
			if (decided < 0) {
				rc = CM_ERROR;
				break;
			}
		}
		if (decided == 0) {
			int r = kve_mvcc_get(s, sn.ro, &v, dk, kn, req->version, &val, &cts, err);
			if (r < 0) {
				rc = CM_ERROR;
				break;
			}
			found = r > 0;
		}
		if (decided == 2 || found) {
			Kvrpcpb__KvPair *p = pair_new(raw, rawn);
			if (decided == 2)
				p->error = ke;
			else if (!req->key_only)
				kve_bin_set(&p->value, val.p, val.n);
			pairs_push(&resp->pairs, &resp->n_pairs, &cap, p);
			count++;
		}
		/* step past dk */
		if (at_w) {
			if (!req->reverse) {
				size_t sk;
				uint8_t *seek = kve_ts_key(a, dk, kn, 0, &sk); /* dk + FF*8: last version */
				rocksdb_iter_seek(w.it, (const char *) seek, sk);
				if (rocksdb_iter_valid(w.it)) {
					size_t cn;
					const char *ck = rocksdb_iter_key(w.it, &cn);
					if (kve_cmp((const uint8_t *) ck, cn, seek, sk) == 0)
						rocksdb_iter_next(w.it);
				}
			} else
				rocksdb_iter_seek_for_prev(w.it, (const char *) dk, kn);
		}
		if (at_l) {
			if (!req->reverse)
				rocksdb_iter_next(l.it);
			else
				rocksdb_iter_prev(l.it);
		}
	}
	if (rc == CM_OK && (cursor_error(&w, err) || cursor_error(&l, err)))
		rc = CM_ERROR;
	rocksdb_iter_destroy(w.it);
	if (l.it)
		rocksdb_iter_destroy(l.it);
	if (lro)
		rocksdb_readoptions_destroy(lro);
	kve_versions_close(&v);
	snap_close(s, &sn);
	cm_arena_destroy(a);
	return rc;
}

/* ---- KvScanLock ------------------------------------------------------------ */

cm_status
kve_scan_lock(kv_store *st, const Kvrpcpb__ScanLockRequest *req, Kvrpcpb__ScanLockResponse *resp,
			  cm_error *err)
{
	kve_store *s = kve_of(st);
	cm_arena *a = cm_arena_create(0);
	cm_status rc = CM_OK;
	kve_bounds b;
	/* an empty start key is the region's start (TiKV), not -inf */
	resp->region_error =
		req->start_key.len
			? kve_region_check_range(s, a, req->context, &req->start_key, &req->end_key, false, &b)
			: kve_region_check(s, a, req->context, NULL, 0, &b);
	if (!resp->region_error && !req->start_key.len && req->end_key.len) {
		/* clip the end to the request's */
		size_t en;
		uint8_t *ee = kve_enc(a, req->end_key.data, req->end_key.len, &en);
		if (b.end_n == 0 || kve_cmp(ee, en, b.end, b.end_n) < 0) {
			b.end = ee;
			b.end_n = en;
		}
	}
	if (resp->region_error) {
		cm_arena_destroy(a);
		return CM_OK;
	}
	size_t lon = b.start_n + 1, hin = b.end_n ? b.end_n + 1 : 1;
	uint8_t *lo = cm_alloc(a, lon), *hi = cm_alloc(a, hin);
	lo[0] = KVE_DATA_PREFIX;
	memcpy(lo + 1, b.start, b.start_n);
	if (b.end_n) {
		hi[0] = KVE_DATA_PREFIX;
		memcpy(hi + 1, b.end, b.end_n);
	} else
		hi[0] = KVE_DATA_PREFIX + 1;
	rocksdb_readoptions_t *lro = kve_bounded_ro(NULL, lo, lon, hi, hin);
	cursor l = { rocksdb_create_iterator_cf(s->db, lro, s->cf[KVE_CF_LOCK]), false };
	size_t cap = 0;
	for (rocksdb_iter_seek(l.it, (const char *) lo, lon);
		 req->limit == 0 || resp->n_locks < req->limit; rocksdb_iter_next(l.it)) {
		size_t kn, vn;
		const uint8_t *k = cursor_key(&l, lo, lon, hi, hin, &kn);
		if (!k)
			break;
		uint8_t *dk = cm_memdup(a, k, kn);
		const char *vp = rocksdb_iter_value(l.it, &vn);
		uint8_t *lv = kve_dup(a, vp, vn);
		kve_lock lock;
		uint8_t *raw;
		size_t rawn;
		if (!kve_lock_decode(a, lv, vn, &lock) || !kve_raw_key(a, dk, kn, &raw, &rawn)) {
			rc = cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed lock");
			break;
		}
		if (kve_lock_min_start(&lock) > req->max_version)
			continue; /* a shared lock is listed whole (shared_lock_infos) */
		if (resp->n_locks == cap) {
			cap = cap ? cap * 2 : 16;
			resp->locks = realloc(resp->locks, sizeof(Kvrpcpb__LockInfo *) * cap);
			if (!resp->locks)
				abort();
		}
		resp->locks[resp->n_locks++] = kve_lock_info(&lock, raw, rawn);
	}
	if (rc == CM_OK && cursor_error(&l, err))
		rc = CM_ERROR;
	rocksdb_iter_destroy(l.it);
	rocksdb_readoptions_destroy(lro);
	cm_arena_destroy(a);
	return rc;
}
