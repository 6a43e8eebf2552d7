/*
 * kve_gc.c -- MVCC garbage collection of the embedded store.
 *
 * What a pass does.  Given a safe point SP, for every user key in the write
 * CF (newest version first, as the ^ts suffix sorts them):
 *   - versions with commit_ts > SP are kept;
 *   - among versions <= SP, walking down: Lock and Rollback records are
 *     dropped until the first Put or Delete (the "base": what a reader at SP
 *     sees); a base Put is kept, a base Delete is dropped; every version
 *     below the base is dropped, and a dropped Put without a short value
 *     takes its default-CF value (key + ^start_ts) with it.
 * This is TiKV's MvccTxn GC rule (Rollback records are dropped whether
 * protected or not: "protected" only matters for collapsing rollbacks).  A
 * reader at any ts >= SP sees exactly what it saw before.  A base Delete is
 * deleted in the same write batch as, or after, every older version, so an
 * interrupted pass never uncovers an older Put.
 *
 * The safe point.  min(requested, now - 1, oldest lock start_ts - 1,
 * oldest registered reader - 1), where requested is "now" minus
 * gc_life_time_ms for the background task ("now" being the earlier of the
 * TSO's physical time and the wall clock: a restarted TSO runs ahead).  Lock start_ts and reader
 * start_ts are excluded themselves so that a live transaction's own
 * Rollback record (written at its start_ts) survives: a late prewrite must
 * still find it.  The safe point is published under the registry mutex in
 * the same step that reads the oldest reader, and kve_register_reader
 * refuses a start_ts at or below the highest published safe point -- so a
 * transaction is either seen by the pass or told to restart (40001).
 * Locks in the lock CF are the backstop for transactions whose client did
 * not register (for example an abandoned one awaiting lock resolution).
 * In-flight 1PC / async-commit writes at or below SP are waited for before
 * the pass starts.
 *
 * How a pass runs, so that it does not stall foreground traffic.
 *   1. Scan (no latches): a RocksDB iterator over the write CF (fill_cache
 *      off) reads only the type byte of versions <= SP and notes the keys
 *      that have something to drop, up to KVE_GC_BATCH_KEYS keys or
 *      KVE_GC_SCAN_STEP records; then the iterator is dropped (so no
 *      snapshot or memtable stays pinned) and re-created after a pause,
 *      seeking past the last key scanned.
 *   2. Collect (latched): take the command latches of the noted keys (as
 *      every write command does), re-read their versions from a fresh
 *      iterator -- a write that landed since the scan is seen -- stage the
 *      deletions in one write batch (soft limit KVE_GC_BATCH_OPS; a key
 *      with more versions is finished in the next batch), write it without
 *      WAL sync (a lost GC delete is redone by the next pass), release.
 *   3. Pause between batches (1 ms in the background task, a sched_yield
 *      in kve_gc_run_once), checking for store close.
 * After a pass that dropped at least KVE_GC_COMPACT_MIN records, the range
 * of keys it touched is compacted in the write and default CFs so that the
 * tombstones and the dropped bytes go away.
 *
 * Exported (kve.h): kve_register_reader, kve_unregister_reader,
 * kve_gc_run_once, kve_gc_set_interval, kve_debug_count.
 * Internal (kve_internal.h): kve_gc_start, kve_gc_stop, kve_gc_fill_stats.
 */
#include "kv/embedded/kve_internal.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cm_log.h"

#define KVE_GC_BATCH_KEYS 256		/* keys latched per write batch */
#define KVE_GC_BATCH_OPS 4096		/* deletions per write batch (soft) */
#define KVE_GC_SCAN_STEP 4096		/* write records scanned between pauses */
#define KVE_GC_PAUSE_US 1000		/* background pause between batches */
#define KVE_GC_COMPACT_MIN 1024		/* dropped records that trigger compaction */

struct kve_gc_state {
	pthread_mutex_t mu;			/* readers, safe point, interval, thread control */
	pthread_cond_t cv;			/* wakes the thread: interval change, stop */
	uint64_t *readers;			/* registered start_ts, sorted (multiset) */
	size_t n_readers;
	size_t cap_readers;
	uint64_t safe_point;		/* highest safe point published */
	uint64_t interval_ms;		/* background period; 0 = off */
	uint64_t next_run_ms;		/* monotonic deadline of the next pass */
	bool thread_started;
	pthread_t thread;
	_Atomic bool stopping;		/* store closing: passes stop at a batch */

	pthread_mutex_t run_mu;		/* one pass at a time */
	rocksdb_readoptions_t *scan_ro;	/* no snapshot, fill_cache off */

	_Atomic uint64_t runs;
	_Atomic uint64_t keys_scanned;
	_Atomic uint64_t versions_dropped;
	_Atomic uint64_t values_dropped;
	_Atomic uint64_t compactions;
	_Atomic uint64_t last_safe_point;
};

typedef struct kve_gc_state kve_gc_state;

/* One pass in progress. */
typedef struct gc_pass {
	kve_store *s;
	kve_gc_state *g;
	uint64_t sp;
	bool background;
	cm_arena *a;				/* candidate keys, reset per batch */
	kve_slice *cands;			/* data keys ('z' + EncodeBytes) to collect */
	size_t n_cands;
	size_t cap_cands;
	uint64_t dropped;			/* this pass: write records deleted */
	uint8_t *lo;				/* malloc'd: lowest / highest data key with a drop */
	size_t lon;
	uint8_t *hi;
	size_t hin;
} gc_pass;

static void *gc_main(void *arg);
static cm_status gc_pass_run(kve_store *s, uint64_t requested, bool background, uint64_t *used,
							 cm_error *err);
static cm_status gc_choose_safe_point(kve_store *s, uint64_t requested, uint64_t *sp,
									  cm_error *err);
static int gc_min_lock(kve_store *s, uint64_t *min_ts, cm_error *err);
static cm_status gc_scan(gc_pass *p, cm_error *err);
static cm_status gc_collect(gc_pass *p, cm_error *err);
static int gc_key(gc_pass *p, kve_cmd *c, rocksdb_iterator_t *it, kve_slice dk, size_t *ops,
				  uint64_t *dropped, uint64_t *values, cm_error *err);
static void gc_pause(const gc_pass *p);
static void gc_compact(gc_pass *p);

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* the TSO's clock */
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void *
gc_xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n ? n : 1);
	if (!r)
		abort();
	return r;
}

/* Replace the malloc'd buffer *dst with a copy of src[0..n). */
static void
set_bytes(uint8_t **dst, size_t *dstn, const uint8_t *src, size_t n)
{
	*dst = gc_xrealloc(*dst, n);
	memcpy(*dst, src, n);
	*dstn = n;
}

static bool
same_key(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

/* A write-CF / default-CF data key: 'z' + EncodeBytes (>= 9 bytes) + 8. */
static bool
is_versioned_data_key(const char *k, size_t kn)
{
	return kn >= 1 + 9 + 8 && (uint8_t) k[0] == KVE_DATA_PREFIX;
}

static cm_status
iter_error(rocksdb_iterator_t *it, cm_error *err)
{
	char *rerr = NULL;
	rocksdb_iter_get_error(it, &rerr);
	if (rerr)
		return kve_rocks_error(err, "gc iterate", rerr);
	return CM_OK;
}

/* ---- start / stop / stats ------------------------------------------------------- */

cm_status
kve_gc_start(kve_store *s, cm_error *err)
{
	kve_gc_state *g = calloc(1, sizeof *g);
	if (!g)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&g->run_mu, NULL);
	g->scan_ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_fill_cache(g->scan_ro, 0);
	g->interval_ms = KVE_GC_DEFAULT_INTERVAL_MS;
	g->next_run_ms = mono_ms() + g->interval_ms;
	s->gc = g;
	if (pthread_create(&g->thread, NULL, gc_main, s) != 0) {
		kve_gc_stop(s);
		return cm_error_set(err, CM_E_INSUFFICIENT_RESOURCES,
							"embedded store: cannot start the gc thread");
	}
	g->thread_started = true;
	return CM_OK;
}

void
kve_gc_stop(kve_store *s)
{
	kve_gc_state *g = s->gc;
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	atomic_store(&g->stopping, true);
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->thread_started)
		pthread_join(g->thread, NULL);
	rocksdb_readoptions_destroy(g->scan_ro);
	pthread_mutex_destroy(&g->run_mu);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->readers);
	free(g);
	s->gc = NULL;
}

void
kve_gc_fill_stats(kve_store *s, kve_stats *out)
{
	kve_gc_state *g = s->gc;
	out->gc_runs = atomic_load(&g->runs);
	out->gc_keys_scanned = atomic_load(&g->keys_scanned);
	out->gc_versions_dropped = atomic_load(&g->versions_dropped);
	out->gc_values_dropped = atomic_load(&g->values_dropped);
	out->gc_compactions = atomic_load(&g->compactions);
	out->gc_last_safe_point = atomic_load(&g->last_safe_point);
	pthread_mutex_lock(&g->mu);
	out->gc_safe_point = g->safe_point;
	out->gc_readers = g->n_readers;
	pthread_mutex_unlock(&g->mu);
}

void
kve_gc_set_interval(kv_store *st, uint64_t interval_ms)
{
	kve_gc_state *g = kve_of(st)->gc;
	pthread_mutex_lock(&g->mu);
	g->interval_ms = interval_ms;
	g->next_run_ms = mono_ms() + interval_ms;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* ---- reader registry -------------------------------------------------------------- */

/* First index whose value is >= ts. */
static size_t
readers_lower_bound(const kve_gc_state *g, uint64_t ts)
{
	size_t lo = 0, hi = g->n_readers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->readers[mid] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

cm_status
kve_register_reader(kv_store *st, uint64_t start_ts, cm_error *err)
{
	kve_gc_state *g = kve_of(st)->gc;
	pthread_mutex_lock(&g->mu);
	if (start_ts <= g->safe_point) {
		uint64_t sp = g->safe_point;
		pthread_mutex_unlock(&g->mu);
		return cm_error_set(err, CM_E_SERIALIZATION_FAILURE,
							"transaction start ts %llu is at or below the gc safe point %llu",
							(unsigned long long) start_ts, (unsigned long long) sp);
	}
	if (g->n_readers == g->cap_readers) {
		g->cap_readers = g->cap_readers ? g->cap_readers * 2 : 64;
		g->readers = gc_xrealloc(g->readers, sizeof(uint64_t) * g->cap_readers);
	}
	/* start_ts values mostly arrive in increasing order: usually appends */
	size_t i = readers_lower_bound(g, start_ts + (start_ts < UINT64_MAX));
	memmove(&g->readers[i + 1], &g->readers[i], sizeof(uint64_t) * (g->n_readers - i));
	g->readers[i] = start_ts;
	g->n_readers++;
	pthread_mutex_unlock(&g->mu);
	return CM_OK;
}

void
kve_unregister_reader(kv_store *st, uint64_t start_ts)
{
	kve_gc_state *g = kve_of(st)->gc;
	pthread_mutex_lock(&g->mu);
	size_t i = readers_lower_bound(g, start_ts);
	if (i < g->n_readers && g->readers[i] == start_ts) {
		memmove(&g->readers[i], &g->readers[i + 1], sizeof(uint64_t) * (g->n_readers - i - 1));
		g->n_readers--;
	}
	pthread_mutex_unlock(&g->mu);
}

/* ---- background task ----------------------------------------------------------------- */

static void *
gc_main(void *arg)
{
	kve_store *s = arg;
	kve_gc_state *g = s->gc;
	pthread_mutex_lock(&g->mu);
	while (!atomic_load(&g->stopping)) {
		if (g->interval_ms == 0) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		uint64_t now = mono_ms();
		if (now < g->next_run_ms) {
			struct timespec dl;
			dl.tv_sec = (time_t) (g->next_run_ms / 1000);
			dl.tv_nsec = (long) (g->next_run_ms % 1000) * 1000000L;
			pthread_cond_timedwait(&g->cv, &g->mu, &dl);
			continue; /* re-check stop, interval and deadline */
		}
		g->next_run_ms = now + g->interval_ms;
		pthread_mutex_unlock(&g->mu);

		cm_error err = { 0 };
		uint64_t ts;
		if (kve_tso_get(s, 1, &ts, &err) == CM_OK) {
			/* TSO time, as TiDB's GC worker; but after a restart the TSO may
			 * run up to KVE_TSO_SAVE_AHEAD_MS ahead of the clock: take the
			 * earlier of the two, so that at least the life time is kept */
			uint64_t phys = kv_ts_physical(ts), wall = wall_ms();
			if (wall < phys)
				phys = wall;
			uint64_t life = s->opts.gc_life_time_ms;
			if (phys > life &&
				gc_pass_run(s, kv_ts_compose(phys - life, 0), true, NULL, &err) != CM_OK)
				CM_LOG(CM_LOG_WARN, "embedded store: gc pass failed: %s",
					   err.message ? err.message : "?");
		} else
			CM_LOG(CM_LOG_WARN, "embedded store: gc: %s", err.message ? err.message : "?");
		cm_error_clear(&err);

		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

cm_status
kve_gc_run_once(kv_store *st, uint64_t safe_point, uint64_t *used, cm_error *err)
{
	return gc_pass_run(kve_of(st), safe_point, false, used, err);
}

/* ---- a pass ----------------------------------------------------------------------------- */

static cm_status
gc_pass_run(kve_store *s, uint64_t requested, bool background, uint64_t *used, cm_error *err)
{
	kve_gc_state *g = s->gc;
	if (used)
		*used = 0;
	pthread_mutex_lock(&g->run_mu);
	uint64_t sp = 0;
	cm_status st = gc_choose_safe_point(s, requested, &sp, err);
	if (st != CM_OK || sp == 0) {
		pthread_mutex_unlock(&g->run_mu);
		return st;
	}
	gc_pass p = { .s = s, .g = g, .sp = sp, .background = background };
	p.a = cm_arena_create(0);
	st = gc_scan(&p, err);
	if (st == CM_OK && p.dropped >= KVE_GC_COMPACT_MIN && !atomic_load(&g->stopping))
		gc_compact(&p);
	if (st == CM_OK) {
		atomic_fetch_add(&g->runs, 1);
		atomic_store(&g->last_safe_point, sp);
		if (used)
			*used = sp;
	}
	cm_arena_destroy(p.a);
	free(p.lo);
	free(p.hi);
	pthread_mutex_unlock(&g->run_mu);
	return st;
}

static cm_status
gc_choose_safe_point(kve_store *s, uint64_t requested, uint64_t *out, cm_error *err)
{
	kve_gc_state *g = s->gc;
	*out = 0;
	uint64_t now;
	if (kve_tso_get(s, 1, &now, err) != CM_OK)
		return CM_ERROR;
	/* every commit from here on gets a commit ts above now */
	uint64_t sp = requested < now ? requested : now - 1;
	uint64_t min_lock = UINT64_MAX;
	if (gc_min_lock(s, &min_lock, err) < 0)
		return CM_ERROR;
	if (min_lock != UINT64_MAX) {
		uint64_t cap = min_lock ? min_lock - 1 : 0;
		if (cap < sp)
			sp = cap;
	}
	pthread_mutex_lock(&g->mu);
	if (g->n_readers) {
		uint64_t cap = g->readers[0] ? g->readers[0] - 1 : 0;
		if (cap < sp)
			sp = cap;
	}
	if (sp > g->safe_point)
		g->safe_point = sp; /* from now on, register refuses start_ts <= sp */
	pthread_mutex_unlock(&g->mu);
	if (sp == 0)
		return CM_OK;
	/* a 1PC / async-commit write whose commit ts (<= sp) was chosen before
	 * now lands before we look at its keys */
	kve_memlock_wait(s, NULL, 0, sp);
	*out = sp;
	return CM_OK;
}

/* Oldest start_ts among the locks in the lock CF (UINT64_MAX: none).
 * Returns 0 or -1 with err set. */
static int
gc_min_lock(kve_store *s, uint64_t *min_ts, cm_error *err)
{
	kve_gc_state *g = s->gc;
	cm_arena *a = cm_arena_create(0);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, g->scan_ro, s->cf[KVE_CF_LOCK]);
	const char z = (char) KVE_DATA_PREFIX;
	int rc = 0;
	size_t n = 0;
	for (rocksdb_iter_seek(it, &z, 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		if (kn < 1 || (uint8_t) k[0] != KVE_DATA_PREFIX)
			continue;
		const char *v = rocksdb_iter_value(it, &vn);
		kve_lock l;
		if (!kve_lock_decode(a, (const uint8_t *) v, vn, &l)) {
			cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: gc: malformed lock record");
			rc = -1;
			break;
		}
		uint64_t ls = kve_lock_min_start(&l); /* a shared lock: its oldest sharer */
		if (ls < *min_ts)
			*min_ts = ls;
		if (++n % 1024 == 0)
			cm_arena_reset(a);
	}
	if (rc == 0 && iter_error(it, err) != CM_OK)
		rc = -1;
	rocksdb_iter_destroy(it);
	cm_arena_destroy(a);
	return rc;
}

static void
add_candidate(gc_pass *p, const uint8_t *dk, size_t dkn)
{
	if (p->n_cands == p->cap_cands) {
		size_t ncap = p->cap_cands ? p->cap_cands * 2 : 64;
		kve_slice *n = cm_alloc(p->a, sizeof(kve_slice) * ncap);
		if (p->n_cands)
			memcpy(n, p->cands, sizeof(kve_slice) * p->n_cands);
		p->cands = n;
		p->cap_cands = ncap;
	}
	p->cands[p->n_cands++] = (kve_slice){ kve_dup(p->a, dk, dkn), dkn };
}

/* Phase 1: find keys with something to drop, batch by batch. */
static cm_status
gc_scan(gc_pass *p, cm_error *err)
{
	kve_store *s = p->s;
	uint8_t *resume = NULL;		/* last data key fully scanned (malloc'd) */
	size_t resume_n = 0;
	uint8_t *cur = NULL;		/* data key being scanned (malloc'd) */
	size_t cur_n = 0;
	cm_status st = CM_OK;
	bool end = false;

	while (!end && st == CM_OK) {
		if (atomic_load(&p->g->stopping))
			break;
		rocksdb_iterator_t *it =
			rocksdb_create_iterator_cf(s->db, p->g->scan_ro, s->cf[KVE_CF_WRITE]);
		if (resume) {
			/* the largest possible key of `resume` is its version at ts 0 */
			size_t ln;
			uint8_t *last = kve_ts_key(p->a, resume, resume_n, 0, &ln);
			rocksdb_iter_seek(it, (const char *) last, ln);
			if (rocksdb_iter_valid(it)) {
				size_t kn;
				const char *k = rocksdb_iter_key(it, &kn);
				if (kn == resume_n + 8 && memcmp(k, resume, resume_n) == 0)
					rocksdb_iter_next(it);
			}
		} else {
			const char z = (char) KVE_DATA_PREFIX;
			rocksdb_iter_seek(it, &z, 1);
		}

		bool have_cur = false, base = false, droppable = false;
		size_t steps = 0;
		uint64_t keys = 0;
		for (;; rocksdb_iter_next(it)) {
			if (!rocksdb_iter_valid(it)) {
				st = iter_error(it, err);
				end = true;
				break;
			}
			size_t kn, vn;
			const char *k = rocksdb_iter_key(it, &kn);
			if (!is_versioned_data_key(k, kn))
				continue;
			const uint8_t *dk = (const uint8_t *) k;
			size_t dkn = kn - 8;
			if (!have_cur || !same_key(dk, dkn, cur, cur_n)) {
				if (have_cur) {
					keys++;
					if (droppable)
						add_candidate(p, cur, cur_n);
					set_bytes(&resume, &resume_n, cur, cur_n);
					have_cur = false;
				}
				if (p->n_cands >= KVE_GC_BATCH_KEYS || steps >= KVE_GC_SCAN_STEP)
					break; /* batch full, at a key boundary */
				set_bytes(&cur, &cur_n, dk, dkn);
				have_cur = true;
				base = droppable = false;
			}
			steps++;
			uint64_t commit_ts = ~kve_get_u64be(dk + dkn);
			if (commit_ts > p->sp || droppable)
				continue;
			const char *v = rocksdb_iter_value(it, &vn);
			if (vn == 0) {
				st = cm_error_set(err, CM_E_DATA_CORRUPTED,
								  "embedded store: gc: empty write record");
				end = true;
				break;
			}
			if (base) {
				droppable = true; /* an older version below the base */
				continue;
			}
			switch (v[0]) {
			case 'P':
				base = true;
				break;
			case 'D':
				base = true;
				droppable = true;
				break;
			case 'L':
			case 'R':
				droppable = true;
				break;
			default:
				break; /* unknown type: keep it */
			}
		}
		if (end && st == CM_OK && have_cur) {
			keys++;
			if (droppable)
				add_candidate(p, cur, cur_n);
		}
		rocksdb_iter_destroy(it);
		atomic_fetch_add(&p->g->keys_scanned, keys);

		if (st == CM_OK && p->n_cands)
			st = gc_collect(p, err);
		p->n_cands = 0;
		p->cap_cands = 0;
		p->cands = NULL;
		cm_arena_reset(p->a);
		if (!end)
			gc_pause(p);
	}
	free(resume);
	free(cur);
	return st;
}

static void
note_range(gc_pass *p, kve_slice dk)
{
	if (!p->lo || kve_cmp(dk.p, dk.n, p->lo, p->lon) < 0)
		set_bytes(&p->lo, &p->lon, dk.p, dk.n);
	if (!p->hi || kve_cmp(dk.p, dk.n, p->hi, p->hin) > 0)
		set_bytes(&p->hi, &p->hin, dk.p, dk.n);
}

/* Phase 2: under the keys' latches, stage and write the deletions. */
static cm_status
gc_collect(gc_pass *p, cm_error *err)
{
	kve_store *s = p->s;
	size_t i = 0;
	while (i < p->n_cands) {
		kve_cmd c;
		kve_cmd_init(&c, s);
		c.b.sync = false; /* a lost GC delete is redone by the next pass */
		size_t m = p->n_cands - i;
		kve_slice *raws = cm_alloc(c.a, sizeof(kve_slice) * m);
		for (size_t j = 0; j < m; j++) {
			uint8_t *raw;
			size_t rawn;
			if (kve_raw_key(c.a, p->cands[i + j].p, p->cands[i + j].n, &raw, &rawn))
				raws[j] = (kve_slice){ raw, rawn };
			else
				raws[j] = p->cands[i + j]; /* malformed: any latch will do */
		}
		kve_cmd_latch_slices(&c, raws, m);

		/* the iterator's implicit snapshot is taken after the latches */
		rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf[KVE_CF_WRITE]);
		size_t ops = 0, j = i;
		uint64_t dropped = 0, values = 0;
		cm_status st = CM_OK;
		while (j < p->n_cands) {
			uint64_t d = 0;
			int r = gc_key(p, &c, it, p->cands[j], &ops, &d, &values, err);
			if (r < 0) {
				st = CM_ERROR;
				break;
			}
			if (d)
				note_range(p, p->cands[j]);
			dropped += d;
			if (r == 0)
				break; /* batch full: key j (re)starts in the next batch */
			j++;
		}
		rocksdb_iter_destroy(it);
		if (st == CM_OK)
			st = kve_cmd_write(&c, err);
		kve_cmd_finish(&c);
		if (st != CM_OK)
			return st;
		p->dropped += dropped;
		atomic_fetch_add(&p->g->versions_dropped, dropped);
		atomic_fetch_add(&p->g->values_dropped, values);
		i = j; /* progress: a batch always stages something of key j */
		if (i < p->n_cands) {
			if (atomic_load(&p->g->stopping))
				return CM_OK;
			gc_pause(p);
		}
	}
	return CM_OK;
}

/* Stage the deletions of one key.  Returns 1 when the key is done, 0 when
 * the batch is full (nothing or only part staged: redo the key in the next
 * batch), -1 on error.  *dropped / *values count the staged deletions. */
static int
gc_key(gc_pass *p, kve_cmd *c, rocksdb_iterator_t *it, kve_slice dk, size_t *ops,
	   uint64_t *dropped, uint64_t *values, cm_error *err)
{
	if (*ops >= KVE_GC_BATCH_OPS)
		return 0;
	size_t sn;
	uint8_t *seek = kve_ts_key(c->a, dk.p, dk.n, p->sp, &sn);
	bool base = false;
	const uint8_t *base_del = NULL; /* a base Delete: deleted last */
	size_t base_del_n = 0;
	for (rocksdb_iter_seek(it, (const char *) seek, sn);; rocksdb_iter_next(it)) {
		if (!rocksdb_iter_valid(it)) {
			if (iter_error(it, err) != CM_OK)
				return -1;
			break;
		}
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		if (kn != dk.n + 8 || memcmp(k, dk.p, dk.n) != 0)
			break;
		const char *v = rocksdb_iter_value(it, &vn);
		kve_write w;
		if (!kve_write_decode((const uint8_t *) v, vn, &w)) {
			cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: gc: malformed write record");
			return -1;
		}
		if (!base) {
			if (w.type == 'P') {
				base = true;
				continue; /* what a reader at the safe point sees: keep */
			}
			if (w.type == 'D') {
				base = true;
				base_del = kve_dup(c->a, k, kn);
				base_del_n = kn;
				continue;
			}
			if (w.type != 'L' && w.type != 'R')
				continue; /* unknown above the base: keep */
		}
		if (*ops >= KVE_GC_BATCH_OPS)
			return 0; /* the base Delete, if any, stays for the next batch */
		kve_batch_del(c, KVE_CF_WRITE, kve_dup(c->a, k, kn), kn);
		(*ops)++;
		(*dropped)++;
		if (w.type == 'P' && !w.has_short_value) {
			size_t vkn;
			uint8_t *vk = kve_ts_key(c->a, dk.p, dk.n, w.start_ts, &vkn);
			kve_batch_del(c, KVE_CF_DEFAULT, vk, vkn);
			(*ops)++;
			(*values)++;
		}
	}
	if (base_del) {
		/* every older version is in this batch or an earlier one */
		kve_batch_del(c, KVE_CF_WRITE, base_del, base_del_n);
		(*ops)++;
		(*dropped)++;
	}
	return 1;
}

static void
gc_pause(const gc_pass *p)
{
	if (p->background) {
		struct timespec ts = { 0, KVE_GC_PAUSE_US * 1000L };
		nanosleep(&ts, NULL);
	} else
		sched_yield();
}

/* Compact the touched key range in the write and default CFs, so that the
 * tombstones and the dropped bytes are gone from the SSTs. */
static void
gc_compact(gc_pass *p)
{
	if (!p->lo || !p->hi)
		return;
	kve_store *s = p->s;
	size_t hin;
	uint8_t *hi = kve_ts_key(p->a, p->hi, p->hin, 0, &hin); /* the last version of hi */
	rocksdb_compact_range_cf(s->db, s->cf[KVE_CF_WRITE], (const char *) p->lo, p->lon,
							 (const char *) hi, hin);
	rocksdb_compact_range_cf(s->db, s->cf[KVE_CF_DEFAULT], (const char *) p->lo, p->lon,
							 (const char *) hi, hin);
	atomic_fetch_add(&p->g->compactions, 1);
}

/* ---- debug counts ---------------------------------------------------------------------- */

static cm_status
count_cf(kve_store *s, int cf, const uint8_t *dk, size_t dkn, kve_debug_counts *out,
		 cm_error *err)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ro, s->cf[cf]);
	const char z = (char) KVE_DATA_PREFIX;
	if (dk)
		rocksdb_iter_seek(it, (const char *) dk, dkn);
	else
		rocksdb_iter_seek(it, &z, 1);
	uint8_t *last = NULL;
	size_t last_n = 0;
	for (; rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		if (kn < 1 || (uint8_t) k[0] != KVE_DATA_PREFIX)
			continue;
		size_t base_n = cf == KVE_CF_LOCK ? kn : kn - 8;
		if (cf != KVE_CF_LOCK && kn < 9)
			continue;
		if (dk && !same_key((const uint8_t *) k, base_n, dk, dkn))
			break;
		if (cf == KVE_CF_LOCK) {
			out->locks++;
			continue;
		}
		if (cf == KVE_CF_DEFAULT) {
			out->values++;
			continue;
		}
		const char *v = rocksdb_iter_value(it, &vn);
		out->write_records++;
		switch (vn ? v[0] : 0) {
		case 'P': out->puts++; break;
		case 'D': out->deletes++; break;
		case 'L': out->lock_records++; break;
		case 'R': out->rollbacks++; break;
		default: break;
		}
		if (!last || !same_key((const uint8_t *) k, base_n, last, last_n)) {
			out->keys++;
			set_bytes(&last, &last_n, (const uint8_t *) k, base_n);
		}
	}
	free(last);
	cm_status st = iter_error(it, err);
	rocksdb_iter_destroy(it);
	return st;
}

cm_status
kve_debug_count(kv_store *st, const uint8_t *key, size_t len, kve_debug_counts *out,
				cm_error *err)
{
	kve_store *s = kve_of(st);
	memset(out, 0, sizeof *out);
	cm_arena *a = cm_arena_create(0);
	const uint8_t *dk = NULL;
	size_t dkn = 0;
	if (key)
		dk = kve_data_key(a, key, len, &dkn);
	cm_status r = CM_OK;
	for (int cf = 0; cf < KVE_CF_COUNT && r == CM_OK; cf++)
		r = count_cf(s, cf, dk, dkn, out, err);
	cm_arena_destroy(a);
	return r;
}
