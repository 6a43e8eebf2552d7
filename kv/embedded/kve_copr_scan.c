/*
 * kve_copr_scan.c -- the coprocessor's MVCC range scanner.
 *
 * Walks a list of region-clipped key ranges (forward, or backward for desc
 * scans) on one RocksDB snapshot and yields, per user key, the value
 * visible at the read ts, with the same visibility rules as KvScan
 * (kve_read.c banner, kv-protocol-facts 5.4): a Put / Delete lock with
 * start_ts <= ts (and min_commit_ts <= ts) blocks the read unless its txn is
 * in Context.resolved_locks (ignored) or Context.committed_locks (read
 * through the lock's value); RC isolation skips lock checks; the value is
 * the newest Put / Delete with commit_ts <= ts, Lock and Rollback records
 * skipped, gc_fence honoured.
 *
 * Unlike KvScan it does not seek per key: the write-CF iterator walks the
 * versions of a key with Next and only seeks after KVE_SCAN_SEEK_BOUND
 * steps (TiKV's SEEK_BOUND idea), so a table with one version per row costs
 * one iterator step per row.  Keys and values are copied into buffers owned
 * by the scanner, valid until the next call.
 *
 * Exported (kve_internal.h): kve_copr_scanner_open / _next / _keys / _close.
 */
#include "kv/embedded/kve_internal.h"

#include <stdlib.h>
#include <string.h>

#define KVE_SCAN_SEEK_BOUND 8

typedef struct sbuf {
	uint8_t *p;
	size_t n;
	size_t cap;
} sbuf;

struct kve_copr_scanner {
	kve_store *s;
	const Kvrpcpb__Context *ctx;
	uint64_t ts;
	const kve_bounds *ranges;
	size_t n_ranges;
	bool desc;
	bool check_locks;

	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	rocksdb_readoptions_t *lro; /* lock CF: bounded by the ranges */
	rocksdb_iterator_t *w; /* write CF */
	rocksdb_iterator_t *l; /* lock CF (NULL under RC) */
	cm_arena *a;		   /* per-row scratch */

	size_t ri;		  /* current range */
	bool positioned;  /* iterators are positioned for range ri */
	sbuf lo, hi;	  /* data-key bounds of range ri: [lo, hi); hi.n 0 = none */
	sbuf dk;		  /* current data key */
	sbuf raw;		  /* its raw key */
	sbuf val;		  /* its value */
	sbuf llo, lhi;	  /* bounds of the lock iterator (referenced by lro) */
	uint64_t keys;
};

static void
sbuf_set(sbuf *b, const void *p, size_t n)
{
	if (n + 1 > b->cap) {
		b->cap = (n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p, p, n);
	b->n = n;
}

static void
sbuf_free(sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* 'z' + EncodeBytes(raw) -> raw into out; false if malformed. */
static bool
decode_dk(const uint8_t *dk, size_t n, sbuf *out)
{
	if (n < 10 || dk[0] != KVE_DATA_PREFIX || (n - 1) % 9 != 0)
		return false;
	if ((n - 1) / 9 * 8 + 1 > out->cap) {
		out->cap = (n - 1) / 9 * 8 + 16;
		out->p = realloc(out->p, out->cap);
		if (!out->p)
			abort();
	}
	size_t w = 0;
	for (size_t off = 1; off + 9 <= n; off += 9) {
		uint8_t pad = (uint8_t) (0xFF - dk[off + 8]);
		if (pad > 8)
			return false;
		memcpy(out->p + w, dk + off, 8u - pad);
		w += 8u - pad;
		if (pad) {
			if (off + 9 != n)
				return false;
			break;
		}
	}
	out->n = w;
	return true;
}

kve_copr_scanner *
kve_copr_scanner_open(kve_store *s, const Kvrpcpb__Context *ctx, uint64_t ts,
					  const kve_bounds *ranges, size_t n, bool desc)
{
	kve_copr_scanner *sc = calloc(1, sizeof *sc);
	if (!sc)
		abort();
	sc->s = s;
	sc->ctx = ctx;
	sc->ts = ts;
	sc->ranges = ranges;
	sc->n_ranges = n;
	sc->desc = desc;
	sc->check_locks = !ctx || ctx->isolation_level != KVRPCPB__ISOLATION_LEVEL__RC;
	kve_memlock_wait(s, NULL, 0, ts);
	sc->snap = rocksdb_create_snapshot(s->db);
	sc->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(sc->ro, sc->snap);
	sc->w = rocksdb_create_iterator_cf(s->db, sc->ro, s->cf[KVE_CF_WRITE]);
	sc->a = cm_arena_create(0);
	if (sc->check_locks && n > 0) {
		/* bounds [smallest start, largest end) of the ranges: resolved
		 * locks leave tombstones that an unbounded seek would walk through */
		const kve_bounds *f = &ranges[0], *l = NULL;
		for (size_t i = 0; i < n; i++) {
			if (kve_cmp(ranges[i].start, ranges[i].start_n, f->start, f->start_n) < 0)
				f = &ranges[i];
			if (!l || (l->end_n && (ranges[i].end_n == 0 ||
									kve_cmp(ranges[i].end, ranges[i].end_n, l->end, l->end_n) > 0)))
				l = &ranges[i];
		}
		uint8_t *lo = cm_alloc(sc->a, f->start_n + 1), *hi = cm_alloc(sc->a, l->end_n + 1);
		lo[0] = KVE_DATA_PREFIX;
		if (f->start_n)
			memcpy(lo + 1, f->start, f->start_n);
		hi[0] = l->end_n ? KVE_DATA_PREFIX : KVE_DATA_PREFIX + 1;
		if (l->end_n)
			memcpy(hi + 1, l->end, l->end_n);
		/* sc->a is reset per row: the bounds live in the scanner */
		sbuf_set(&sc->llo, lo, f->start_n + 1);
		sbuf_set(&sc->lhi, hi, l->end_n + 1);
		sc->lro = kve_bounded_ro(sc->snap, sc->llo.p, sc->llo.n, sc->lhi.p, sc->lhi.n);
		sc->l = rocksdb_create_iterator_cf(s->db, sc->lro, s->cf[KVE_CF_LOCK]);
	}
	sc->ri = desc ? n : 0;
	return sc;
}

void
kve_copr_scanner_close(kve_copr_scanner *sc)
{
	if (!sc)
		return;
	rocksdb_iter_destroy(sc->w);
	if (sc->l)
		rocksdb_iter_destroy(sc->l);
	if (sc->lro)
		rocksdb_readoptions_destroy(sc->lro);
	rocksdb_readoptions_destroy(sc->ro);
	rocksdb_release_snapshot(sc->s->db, sc->snap);
	cm_arena_destroy(sc->a);
	sbuf_free(&sc->lo);
	sbuf_free(&sc->hi);
	sbuf_free(&sc->dk);
	sbuf_free(&sc->raw);
	sbuf_free(&sc->val);
	sbuf_free(&sc->llo);
	sbuf_free(&sc->lhi);
	free(sc);
}

uint64_t
kve_copr_scanner_keys(const kve_copr_scanner *sc)
{
	return sc->keys;
}

/* Data key (ts stripped for the write CF) at it if inside [lo, hi). */
static const uint8_t *
cur_key(const kve_copr_scanner *sc, rocksdb_iterator_t *it, bool versioned, size_t *n)
{
	if (!it || !rocksdb_iter_valid(it))
		return NULL;
	size_t kn;
	const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &kn);
	if (versioned) {
		if (kn < 9)
			return NULL;
		kn -= 8;
	}
	if (kve_cmp(k, kn, sc->lo.p, sc->lo.n) < 0)
		return NULL;
	if (sc->hi.n && kve_cmp(k, kn, sc->hi.p, sc->hi.n) >= 0)
		return NULL;
	*n = kn;
	return k;
}

static void
position_range(kve_copr_scanner *sc)
{
	const kve_bounds *b = &sc->ranges[sc->ri];
	/* lo = 'z' + start, hi = 'z' + end (or 'z' + 1: the end of the data keys) */
	uint8_t *tmp = cm_alloc(sc->a, b->start_n + b->end_n + 2);
	tmp[0] = KVE_DATA_PREFIX;
	if (b->start_n)
		memcpy(tmp + 1, b->start, b->start_n);
	sbuf_set(&sc->lo, tmp, b->start_n + 1);
	if (b->end_n) {
		tmp[0] = KVE_DATA_PREFIX;
		memcpy(tmp + 1, b->end, b->end_n);
		sbuf_set(&sc->hi, tmp, b->end_n + 1);
	} else {
		uint8_t z1 = KVE_DATA_PREFIX + 1;
		sbuf_set(&sc->hi, &z1, 1);
	}
	if (!sc->desc) {
		rocksdb_iter_seek(sc->w, (const char *) sc->lo.p, sc->lo.n);
		if (sc->l)
			rocksdb_iter_seek(sc->l, (const char *) sc->lo.p, sc->lo.n);
	} else {
		rocksdb_iter_seek_for_prev(sc->w, (const char *) sc->hi.p, sc->hi.n);
		if (sc->l) {
			rocksdb_iter_seek_for_prev(sc->l, (const char *) sc->hi.p, sc->hi.n);
			if (rocksdb_iter_valid(sc->l)) {
				size_t kn;
				const char *k = rocksdb_iter_key(sc->l, &kn);
				if (kve_cmp((const uint8_t *) k, kn, sc->hi.p, sc->hi.n) == 0)
					rocksdb_iter_prev(sc->l);
			}
		}
	}
	sc->positioned = true;
}

static bool
ts_in(const uint64_t *arr, size_t n, uint64_t ts)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == ts)
			return true;
	return false;
}

enum { LK_NONE, LK_BLOCKS, LK_COMMITTED };

static int
lock_check(const kve_copr_scanner *sc, const kve_lock *l)
{
	uint64_t ts = sc->ts;
	if (l->start_ts > ts || (l->type != 'P' && l->type != 'D') || l->min_commit_ts > ts)
		return LK_NONE;
	if (ts == UINT64_MAX && !l->use_async_commit &&
		kve_cmp(sc->raw.p, sc->raw.n, l->primary.p, l->primary.n) == 0)
		return LK_NONE;
	if (sc->ctx && ts_in(sc->ctx->resolved_locks, sc->ctx->n_resolved_locks, l->start_ts))
		return LK_NONE;
	if (sc->ctx && ts_in(sc->ctx->committed_locks, sc->ctx->n_committed_locks, l->start_ts))
		return LK_COMMITTED;
	return LK_BLOCKS;
}

static kve_scan_rc
rocks_err(rocksdb_iterator_t *it, cm_error *err)
{
	char *rerr = NULL;
	if (it)
		rocksdb_iter_get_error(it, &rerr);
	if (rerr) {
		kve_rocks_error(err, "coprocessor scan", rerr);
		return KVE_SCAN_ERROR;
	}
	return KVE_SCAN_END;
}

static kve_scan_rc
corrupt(cm_error *err, const char *what)
{
	cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed %s", what);
	return KVE_SCAN_ERROR;
}

/* Load the value of version (start_ts, w) of the current key into sc->val. */
static kve_scan_rc
load_value(kve_copr_scanner *sc, uint64_t start_ts, const kve_slice *shortv, cm_error *err)
{
	if (shortv) {
		sbuf_set(&sc->val, shortv->p, shortv->n);
		return KVE_SCAN_ROW;
	}
	size_t kn;
	uint8_t *k = kve_ts_key(sc->a, sc->dk.p, sc->dk.n, start_ts, &kn);
	kve_slice v;
	int g = kve_get_cf(sc->s, sc->ro, KVE_CF_DEFAULT, sc->a, k, kn, &v, err);
	if (g < 0)
		return KVE_SCAN_ERROR;
	if (g == 0)
		return corrupt(err, "version: value of committed version not found");
	sbuf_set(&sc->val, v.p, v.n);
	return KVE_SCAN_ROW;
}

static bool
w_at_dk(const kve_copr_scanner *sc, const uint8_t **k, size_t *kn)
{
	if (!rocksdb_iter_valid(sc->w))
		return false;
	*k = (const uint8_t *) rocksdb_iter_key(sc->w, kn);
	return *kn == sc->dk.n + 8 && memcmp(*k, sc->dk.p, sc->dk.n) == 0;
}

/* Forward: the write iterator is at the first (newest) version of dk.
 * Find the visible version (found: 1 Put, 0 none) and leave the iterator
 * on the first key after dk. */
static kve_scan_rc
versions_fwd(kve_copr_scanner *sc, bool want_value, int *found, cm_error *err)
{
	*found = 0;
	bool decided = !want_value;
	int steps = 0;
	const uint8_t *k;
	size_t kn;
	while (w_at_dk(sc, &k, &kn)) {
		if (!decided) {
			uint64_t cts = ~kve_get_u64be(k + sc->dk.n);
			if (cts > sc->ts) {
				if (++steps > KVE_SCAN_SEEK_BOUND) {
					size_t sk;
					uint8_t *seek = kve_ts_key(sc->a, sc->dk.p, sc->dk.n, sc->ts, &sk);
					rocksdb_iter_seek(sc->w, (const char *) seek, sk);
					steps = 0;
				} else
					rocksdb_iter_next(sc->w);
				continue;
			}
			size_t vn;
			const uint8_t *vp = (const uint8_t *) rocksdb_iter_value(sc->w, &vn);
			kve_write wr;
			if (!kve_write_decode(vp, vn, &wr))
				return corrupt(err, "write record");
			if (wr.type == 'P' || wr.type == 'D') {
				decided = true;
				if (wr.type == 'P' && !(wr.gc_fence && wr.gc_fence <= sc->ts)) {
					kve_scan_rc rc = load_value(sc, wr.start_ts,
												wr.has_short_value ? &wr.short_value : NULL, err);
					if (rc != KVE_SCAN_ROW)
						return rc;
					*found = 1;
				}
			}
		}
		/* step past dk: a few Nexts, then a seek */
		if (++steps > KVE_SCAN_SEEK_BOUND) {
			size_t sk;
			uint8_t *seek = kve_ts_key(sc->a, sc->dk.p, sc->dk.n, 0, &sk);
			rocksdb_iter_seek(sc->w, (const char *) seek, sk);
			if (rocksdb_iter_valid(sc->w)) {
				size_t cn;
				const char *ck = rocksdb_iter_key(sc->w, &cn);
				if (kve_cmp((const uint8_t *) ck, cn, seek, sk) == 0)
					rocksdb_iter_next(sc->w);
			}
			break;
		}
		rocksdb_iter_next(sc->w);
	}
	return KVE_SCAN_END;
}

/* Backward: seek to dk@ts, read forward for the visible version, then
 * position the iterator on the last version of the previous key. */
static kve_scan_rc
versions_bwd(kve_copr_scanner *sc, bool want_value, int *found, cm_error *err)
{
	*found = 0;
	if (want_value) {
		size_t sk;
		uint8_t *seek = kve_ts_key(sc->a, sc->dk.p, sc->dk.n, sc->ts, &sk);
		rocksdb_iter_seek(sc->w, (const char *) seek, sk);
		const uint8_t *k;
		size_t kn;
		while (w_at_dk(sc, &k, &kn)) {
			size_t vn;
			const uint8_t *vp = (const uint8_t *) rocksdb_iter_value(sc->w, &vn);
			kve_write wr;
			if (!kve_write_decode(vp, vn, &wr))
				return corrupt(err, "write record");
			if (wr.type == 'P' || wr.type == 'D') {
				if (wr.type == 'P' && !(wr.gc_fence && wr.gc_fence <= sc->ts)) {
					kve_scan_rc rc = load_value(sc, wr.start_ts,
												wr.has_short_value ? &wr.short_value : NULL, err);
					if (rc != KVE_SCAN_ROW)
						return rc;
					*found = 1;
				}
				break;
			}
			rocksdb_iter_next(sc->w);
		}
	}
	rocksdb_iter_seek_for_prev(sc->w, (const char *) sc->dk.p, sc->dk.n);
	return KVE_SCAN_END;
}

kve_scan_rc
kve_copr_scanner_next(kve_copr_scanner *sc, kve_slice *key, kve_slice *val,
					  Kvrpcpb__LockInfo **locked, cm_error *err)
{
	for (;;) {
		cm_arena_reset(sc->a);
		if (!sc->positioned) {
			if (sc->desc) {
				if (sc->ri == 0)
					return KVE_SCAN_END;
				sc->ri--;
			} else if (sc->ri >= sc->n_ranges)
				return KVE_SCAN_END;
			position_range(sc);
		}
		size_t wn = 0, ln = 0;
		const uint8_t *wk = cur_key(sc, sc->w, true, &wn);
		const uint8_t *lk = cur_key(sc, sc->l, false, &ln);
		if (!wk && !lk) {
			kve_scan_rc rc = rocks_err(sc->w, err);
			if (rc == KVE_SCAN_END)
				rc = rocks_err(sc->l, err);
			if (rc != KVE_SCAN_END)
				return rc;
			sc->positioned = false;
			if (!sc->desc)
				sc->ri++;
			continue;
		}
		bool take_w;
		if (!wk)
			take_w = false;
		else if (!lk)
			take_w = true;
		else {
			int c = kve_cmp(wk, wn, lk, ln);
			take_w = sc->desc ? c >= 0 : c <= 0;
		}
		sbuf_set(&sc->dk, take_w ? wk : lk, take_w ? wn : ln);
		bool at_w = wk && wn == sc->dk.n && memcmp(wk, sc->dk.p, wn) == 0;
		bool at_l = lk && ln == sc->dk.n && memcmp(lk, sc->dk.p, ln) == 0;
		if (!decode_dk(sc->dk.p, sc->dk.n, &sc->raw))
			return corrupt(err, "data key");
		sc->keys++;

		int lock_decision = LK_NONE;
		kve_lock lock;
		if (at_l) {
			size_t vn;
			const char *vp = rocksdb_iter_value(sc->l, &vn);
			uint8_t *lv = kve_dup(sc->a, vp, vn);
			if (!kve_lock_decode(sc->a, lv, vn, &lock))
				return corrupt(err, "lock");
			lock_decision = lock_check(sc, &lock);
			if (lock_decision == LK_BLOCKS) {
				*locked = kve_lock_info(&lock, sc->raw.p, sc->raw.n);
				return KVE_SCAN_LOCKED;
			}
			if (sc->desc)
				rocksdb_iter_prev(sc->l);
			else
				rocksdb_iter_next(sc->l);
		}
		int found = 0;
		if (lock_decision == LK_COMMITTED) {
			if (lock.type == 'P') {
				kve_scan_rc rc =
					load_value(sc, lock.start_ts, lock.has_short_value ? &lock.short_value : NULL,
							   err);
				if (rc != KVE_SCAN_ROW)
					return rc;
				found = 1;
			}
		}
		if (at_w) {
			kve_scan_rc rc = sc->desc ? versions_bwd(sc, lock_decision != LK_COMMITTED, &found, err)
									  : versions_fwd(sc, lock_decision != LK_COMMITTED, &found, err);
			if (rc == KVE_SCAN_ERROR)
				return rc;
			if (lock_decision == LK_COMMITTED)
				found = lock.type == 'P';
		}
		if (found) {
			key->p = sc->raw.p;
			key->n = sc->raw.n;
			val->p = sc->val.p;
			val->n = sc->val.n;
			return KVE_SCAN_ROW;
		}
	}
}
