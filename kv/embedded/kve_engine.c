/*
 * kve_engine.c -- the machinery under the embedded store's commands.
 *
 * - Write commands (kve_cmd): an arena for the command's temporary bytes,
 *   per-key latches (hash-striped mutexes taken in slot order, so two
 *   commands never deadlock on them), a pending write batch, and the list of
 *   keys whose locks the command removes.  Latches are held until the batch
 *   is in RocksDB, so the next command on a key sees this one's effects --
 *   the serialisation TiKV's scheduler gives.  Reads take no latches.
 * - Group commit (kve_group_write): writers queue up; the writer at the head
 *   becomes leader, takes every queued batch (up to KVE_GROUP_MAX_WRITERS),
 *   writes them as ONE RocksDB write batch with one WAL sync, marks them
 *   done and hands leadership to the next head.  Concurrent commits thus
 *   share an fsync; a lone commit costs exactly one.
 * - In-memory locks (kve_memlock_*): a 1PC commit or an async-commit
 *   prewrite chooses its commit ts (min_commit_ts) before its write lands;
 *   readers at or above that ts wait for the write, as TiKV's concurrency
 *   manager makes them.
 * - MVCC lookups shared by reads and commands: lock load, version cursor,
 *   visible value, txn commit-record search.
 * - Lock-wait wake-ups (kve_waits_wake) and KeyError / LockInfo builders.
 */
#include "kv/embedded/kve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kve_writer {
	kve_batch *b;
	pthread_cond_t cv;
	bool done;
	bool failed;
	char msg[256];
	kve_writer *next;
};

struct kve_memlock {
	uint64_t ts;
	size_t n;
	uint64_t *hashes;
	kve_memlock *next;
	kve_memlock *prev;
};

/* ---- errors and point reads ------------------------------------------------ */

cm_status
kve_rocks_error(cm_error *err, const char *what, char *rerr)
{
	cm_error_set(err, CM_E_IO_ERROR, "embedded store: %s: %s", what, rerr ? rerr : "unknown error");
	if (rerr)
		rocksdb_free(rerr);
	return CM_ERROR;
}

int
kve_get_cf(kve_store *s, const rocksdb_readoptions_t *ro, int cf, cm_arena *a, const uint8_t *k,
		   size_t kn, kve_slice *out, cm_error *err)
{
	char *rerr = NULL;
	rocksdb_pinnableslice_t *ps =
		rocksdb_get_pinned_cf(s->db, ro, s->cf[cf], (const char *) k, kn, &rerr);
	if (rerr) {
		kve_rocks_error(err, "get", rerr);
		return -1;
	}
	if (!ps)
		return 0;
	size_t vn;
	const char *v = rocksdb_pinnableslice_value(ps, &vn);
	if (!v) {
		rocksdb_pinnableslice_destroy(ps);
		return 0;
	}
	out->p = kve_dup(a, v, vn);
	out->n = vn;
	rocksdb_pinnableslice_destroy(ps);
	return 1;
}

rocksdb_readoptions_t *
kve_bounded_ro(const rocksdb_snapshot_t *snap, const uint8_t *lo, size_t lo_n, const uint8_t *hi,
			   size_t hi_n)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	if (snap)
		rocksdb_readoptions_set_snapshot(ro, snap);
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *) lo, lo_n);
	if (hi_n)
		rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *) hi, hi_n);
	return ro;
}

int
kve_load_lock(kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a, const uint8_t *dk,
			  size_t dkn, kve_lock *l, cm_error *err)
{
	kve_slice v;
	int r = kve_get_cf(s, ro, KVE_CF_LOCK, a, dk, dkn, &v, err);
	if (r <= 0)
		return r;
	if (!kve_lock_decode(a, v.p, v.n, l)) {
		cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed lock record");
		return -1;
	}
	return 1;
}

/* ---- version cursor ------------------------------------------------------- */

void
kve_versions_open(kve_versions *v, kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a)
{
	memset(v, 0, sizeof *v);
	v->s = s;
	v->a = a;
	v->it = rocksdb_create_iterator_cf(s->db, ro, s->cf[KVE_CF_WRITE]);
}

void
kve_versions_close(kve_versions *v)
{
	if (v->it)
		rocksdb_iter_destroy(v->it);
	v->it = NULL;
}

static int
versions_cur(kve_versions *v, uint64_t *commit_ts, kve_write *w, cm_error *err)
{
	if (!rocksdb_iter_valid(v->it)) {
		char *rerr = NULL;
		rocksdb_iter_get_error(v->it, &rerr);
		if (rerr) {
			kve_rocks_error(err, "iterate", rerr);
			return -1;
		}
		return 0;
	}
	size_t kn, vn;
	const char *k = rocksdb_iter_key(v->it, &kn);
	if (kn != v->dkn + 8 || memcmp(k, v->dk, v->dkn) != 0)
		return 0;
	*commit_ts = ~kve_get_u64be((const uint8_t *) k + v->dkn);
	const char *val = rocksdb_iter_value(v->it, &vn);
	const uint8_t *copy = kve_dup(v->a, val, vn);
	if (!kve_write_decode(copy, vn, w)) {
		cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: malformed write record");
		return -1;
	}
	return 1;
}

int
kve_versions_seek(kve_versions *v, const uint8_t *dk, size_t dkn, uint64_t ts, uint64_t *commit_ts,
				  kve_write *w, cm_error *err)
{
	size_t kn;
	uint8_t *k = kve_ts_key(v->a, dk, dkn, ts, &kn);
	v->dk = dk;
	v->dkn = dkn;
	rocksdb_iter_seek(v->it, (const char *) k, kn);
	return versions_cur(v, commit_ts, w, err);
}

int
kve_versions_next(kve_versions *v, uint64_t *commit_ts, kve_write *w, cm_error *err)
{
	rocksdb_iter_next(v->it);
	return versions_cur(v, commit_ts, w, err);
}

int
kve_mvcc_get(kve_store *s, const rocksdb_readoptions_t *ro, kve_versions *v, const uint8_t *dk,
			 size_t dkn, uint64_t ts, kve_slice *value, uint64_t *commit_ts, cm_error *err)
{
	kve_write w;
	int r = kve_versions_seek(v, dk, dkn, ts, commit_ts, &w, err);
	while (r > 0) {
		if (w.type == 'P' || w.type == 'D') {
			if (w.gc_fence && w.gc_fence <= ts)
				return 0;
			if (w.type == 'D')
				return 0;
			if (w.has_short_value) {
				*value = w.short_value;
				return 1;
			}
			size_t kn;
			uint8_t *k = kve_ts_key(v->a, dk, dkn, w.start_ts, &kn);
			int g = kve_get_cf(s, ro, KVE_CF_DEFAULT, v->a, k, kn, value, err);
			if (g == 0) {
				cm_error_set(err, CM_E_DATA_CORRUPTED,
							 "embedded store: value of committed version not found");
				return -1;
			}
			return g;
		}
		r = kve_versions_next(v, commit_ts, &w, err);
	}
	return r;
}

int
kve_find_txn_write(kve_store *s, cm_arena *a, const uint8_t *dk, size_t dkn, uint64_t start_ts,
				   uint64_t *commit_ts, kve_write *w, cm_error *err)
{
	kve_versions v;
	kve_versions_open(&v, s, s->ro, a);
	int r = kve_versions_seek(&v, dk, dkn, UINT64_MAX, commit_ts, w, err);
	while (r > 0 && *commit_ts >= start_ts) {
		if (w->start_ts == start_ts)
			break;
		if (*commit_ts == start_ts && w->overlapped_rollback) {
			/* another txn committed at our start_ts; our rollback rides on it */
			w->type = 'R';
			w->start_ts = start_ts;
			break;
		}
		r = kve_versions_next(&v, commit_ts, w, err);
	}
	if (r > 0 && *commit_ts < start_ts)
		r = 0;
	kve_versions_close(&v);
	return r;
}

/* ---- write batches and commands -------------------------------------------- */

static void
batch_add(kve_cmd *c, int cf, bool del, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
	kve_batch *b = &c->b;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		kve_op *n = cm_alloc(c->a, sizeof(kve_op) * ncap);
		if (b->n)
			memcpy(n, b->ops, sizeof(kve_op) * b->n);
		b->ops = n;
		b->cap = ncap;
	}
	b->ops[b->n++] = (kve_op){ .cf = (uint8_t) cf, .del = del, .k = k, .kn = kn, .v = v, .vn = vn };
	b->bytes += kn + vn;
}

void
kve_batch_put(kve_cmd *c, int cf, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
	batch_add(c, cf, false, k, kn, v, vn);
}

void
kve_batch_del(kve_cmd *c, int cf, const uint8_t *k, size_t kn)
{
	batch_add(c, cf, true, k, kn, NULL, 0);
}

void
kve_cmd_init(kve_cmd *c, kve_store *s)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->a = cm_arena_create(0);
	c->b.sync = true;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
	return x < y ? -1 : x > y;
}

static void
latch_slots(kve_cmd *c, uint32_t *slots, size_t n)
{
	qsort(slots, n, sizeof *slots, cmp_u32);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || slots[m - 1] != slots[i])
			slots[m++] = slots[i];
	for (size_t i = 0; i < m; i++)
		pthread_mutex_lock(&c->s->latch[slots[i]]);
	c->slots = slots;
	c->n_slots = m;
	c->latched = true;
}

void
kve_cmd_latch(kve_cmd *c, const ProtobufCBinaryData *keys, size_t n)
{
	uint32_t *slots = cm_alloc(c->a, sizeof(uint32_t) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		slots[i] = (uint32_t) (kve_hash(keys[i].data, keys[i].len) % KVE_LATCH_SLOTS);
	latch_slots(c, slots, n);
}

void
kve_cmd_latch_slices(kve_cmd *c, const kve_slice *keys, size_t n)
{
	uint32_t *slots = cm_alloc(c->a, sizeof(uint32_t) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		slots[i] = (uint32_t) (kve_hash(keys[i].p, keys[i].n) % KVE_LATCH_SLOTS);
	latch_slots(c, slots, n);
}

cm_status
kve_cmd_write(kve_cmd *c, cm_error *err)
{
	if (c->b.n == 0)
		return CM_OK;
	cm_status st = kve_group_write(c->s, &c->b, err);
	c->b.n = 0;
	c->b.bytes = 0;
	return st;
}

void
kve_cmd_released(kve_cmd *c, const uint8_t *raw, size_t n)
{
	if (c->n_released == c->cap_released) {
		size_t ncap = c->cap_released ? c->cap_released * 2 : 8;
		uint64_t *nr = cm_alloc(c->a, sizeof(uint64_t) * ncap);
		if (c->n_released)
			memcpy(nr, c->released, sizeof(uint64_t) * c->n_released);
		c->released = nr;
		c->cap_released = ncap;
	}
	c->released[c->n_released++] = kve_hash(raw, n);
}

void
kve_cmd_finish(kve_cmd *c)
{
	if (c->latched) {
		for (size_t i = c->n_slots; i > 0; i--)
			pthread_mutex_unlock(&c->s->latch[c->slots[i - 1]]);
		c->latched = false;
	}
	if (c->n_released)
		kve_waits_wake(c->s, c->released, c->n_released);
	if (c->note_bytes)
		kve_region_note_write(c->s, c->note_region, c->note_bytes);
	cm_arena_destroy(c->a);
	c->a = NULL;
}

/* ---- group commit ---------------------------------------------------------- */

cm_status
kve_group_write(kve_store *s, kve_batch *b, cm_error *err)
{
	if (b->n == 0)
		return CM_OK;
	kve_writer w;
	memset(&w, 0, sizeof w);
	w.b = b;
	pthread_cond_init(&w.cv, NULL);
	atomic_fetch_add(&s->st_writes, 1);

	pthread_mutex_lock(&s->wq_mu);
	if (s->wq_tail)
		s->wq_tail->next = &w;
	else
		s->wq_head = &w;
	s->wq_tail = &w;
	while (!w.done && (s->wq_leader || s->wq_head != &w))
		pthread_cond_wait(&w.cv, &s->wq_mu);
	if (!w.done) {
		/* leader: take the queue */
		s->wq_leader = true;
		kve_writer *group = s->wq_head, *last = group;
		int cnt = 1;
		while (last->next && cnt < KVE_GROUP_MAX_WRITERS) {
			last = last->next;
			cnt++;
		}
		s->wq_head = last->next;
		if (!s->wq_head)
			s->wq_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&s->wq_mu);

		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		bool sync = false;
		for (kve_writer *x = group; x; x = x->next) {
			sync |= x->b->sync;
			for (size_t i = 0; i < x->b->n; i++) {
				const kve_op *op = &x->b->ops[i];
				if (op->del)
					rocksdb_writebatch_delete_cf(wb, s->cf[op->cf], (const char *) op->k, op->kn);
				else
					rocksdb_writebatch_put_cf(wb, s->cf[op->cf], (const char *) op->k, op->kn,
											  (const char *) op->v, op->vn);
			}
		}
		sync = sync && s->opts.sync_wal;
		char *rerr = NULL;
		rocksdb_write(s->db, sync ? s->wo_sync : s->wo_nosync, wb, &rerr);
		rocksdb_writebatch_destroy(wb);
		atomic_fetch_add(&s->st_rocks_writes, 1);
		if (sync)
			atomic_fetch_add(&s->st_syncs, 1);

		pthread_mutex_lock(&s->wq_mu);
		for (kve_writer *x = group, *next; x; x = next) {
			next = x->next;
			if (rerr) {
				x->failed = true;
				snprintf(x->msg, sizeof x->msg, "%s", rerr);
			}
			x->done = true;
			if (x != &w)
				pthread_cond_signal(&x->cv);
		}
		if (rerr)
			rocksdb_free(rerr);
		s->wq_leader = false;
		if (s->wq_head)
			pthread_cond_signal(&s->wq_head->cv);
	}
	pthread_mutex_unlock(&s->wq_mu);
	pthread_cond_destroy(&w.cv);
	if (w.failed)
		return cm_error_set(err, CM_E_IO_ERROR, "embedded store: write: %s", w.msg);
	return CM_OK;
}

/* ---- in-memory locks -------------------------------------------------------- */

kve_memlock *
kve_memlock_add(kve_store *s, const uint64_t *hashes, size_t n, uint64_t ts)
{
	kve_memlock *m = calloc(1, sizeof *m);
	if (!m)
		abort();
	m->ts = ts;
	m->n = n;
	m->hashes = malloc(sizeof(uint64_t) * (n ? n : 1));
	if (!m->hashes)
		abort();
	if (n)
		memcpy(m->hashes, hashes, sizeof(uint64_t) * n);
	pthread_mutex_lock(&s->mem_mu);
	m->next = s->mem_head;
	if (s->mem_head)
		s->mem_head->prev = m;
	s->mem_head = m;
	atomic_fetch_add(&s->n_mem, 1);
	pthread_mutex_unlock(&s->mem_mu);
	return m;
}

void
kve_memlock_remove(kve_store *s, kve_memlock *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&s->mem_mu);
	if (m->prev)
		m->prev->next = m->next;
	else
		s->mem_head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	atomic_fetch_sub(&s->n_mem, 1);
	pthread_cond_broadcast(&s->mem_cv);
	pthread_mutex_unlock(&s->mem_mu);
	free(m->hashes);
	free(m);
}

void
kve_memlock_set_ts(kve_store *s, kve_memlock *m, uint64_t ts)
{
	pthread_mutex_lock(&s->mem_mu);
	m->ts = ts;
	pthread_cond_broadcast(&s->mem_cv);
	pthread_mutex_unlock(&s->mem_mu);
}

static bool
memlock_blocks(const kve_memlock *m, const uint64_t *hashes, size_t n, uint64_t read_ts)
{
	if (m->ts > read_ts)
		return false;
	if (!hashes)
		return true;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m->n; j++)
			if (hashes[i] == m->hashes[j])
				return true;
	return false;
}

void
kve_memlock_wait(kve_store *s, const uint64_t *hashes, size_t n, uint64_t read_ts)
{
	if (atomic_load(&s->n_mem) == 0)
		return;
	pthread_mutex_lock(&s->mem_mu);
	for (;;) {
		bool blocked = false;
		for (kve_memlock *m = s->mem_head; m && !blocked; m = m->next)
			blocked = memlock_blocks(m, hashes, n, read_ts);
		if (!blocked)
			break;
		pthread_cond_wait(&s->mem_cv, &s->mem_mu);
	}
	pthread_mutex_unlock(&s->mem_mu);
}

/* ---- lock-wait wake-ups --------------------------------------------------- */

void
kve_waits_wake(kve_store *s, const uint64_t *hashes, size_t n)
{
	if (atomic_load(&s->n_waiters) == 0)
		return;
	pthread_mutex_lock(&s->wait_mu);
	for (size_t i = 0; i < n; i++)
		s->wait_gen[hashes[i] % KVE_WAIT_BUCKETS]++;
	pthread_cond_broadcast(&s->wait_cv);
	pthread_mutex_unlock(&s->wait_mu);
}

uint64_t
kve_wait_gen(kve_store *s, uint64_t hash)
{
	return s->wait_gen[hash % KVE_WAIT_BUCKETS];
}

/* ---- response builders (malloc: owned by the response) -------------------- */

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	return p;
}

void
kve_bin_set(ProtobufCBinaryData *d, const void *p, size_t n)
{
	if (n == 0) {
		d->data = NULL;
		d->len = 0;
		return;
	}
	d->data = malloc(n);
	if (!d->data)
		abort();
	memcpy(d->data, p, n);
	d->len = n;
}

char *
kve_strdup(const char *s)
{
	char *r = strdup(s);
	if (!r)
		abort();
	return r;
}

Kvrpcpb__LockInfo *
kve_lock_info(const kve_lock *l, const uint8_t *raw, size_t rawn)
{
	Kvrpcpb__LockInfo *li = xcalloc(1, sizeof *li);
	kvrpcpb__lock_info__init(li);
	kve_bin_set(&li->primary_lock, l->primary.p, l->primary.n);
	li->lock_version = l->start_ts;
	kve_bin_set(&li->key, raw, rawn);
	li->lock_ttl = l->ttl;
	li->txn_size = l->txn_size;
	li->lock_type = kve_lock_type_op(l->type);
	li->lock_for_update_ts = l->for_update_ts;
	li->use_async_commit = l->use_async_commit;
	li->min_commit_ts = l->min_commit_ts;
	if (l->n_secondaries) {
		li->secondaries = xcalloc(l->n_secondaries, sizeof(ProtobufCBinaryData));
		li->n_secondaries = l->n_secondaries;
		for (size_t i = 0; i < l->n_secondaries; i++)
			kve_bin_set(&li->secondaries[i], l->secondaries[i].p, l->secondaries[i].n);
	}
	if (l->type == 'H') {
		/* a shared lock: the sharers, each with its own primary and ttl */
		li->shared_lock_infos = xcalloc(l->n_shared, sizeof(Kvrpcpb__LockInfo *));
		li->n_shared_lock_infos = l->n_shared;
		for (size_t i = 0; i < l->n_shared; i++) {
			Kvrpcpb__LockInfo *sub = kve_lock_info(&l->shared[i], raw, rawn);
			sub->lock_type = l->shared[i].type == 'S' ? KVRPCPB__OP__SharedPessimisticLock
													  : KVRPCPB__OP__SharedLock;
			li->shared_lock_infos[i] = sub;
		}
	}
	return li;
}

static Kvrpcpb__KeyError *
key_error_new(void)
{
	Kvrpcpb__KeyError *e = xcalloc(1, sizeof *e);
	kvrpcpb__key_error__init(e);
	return e;
}

Kvrpcpb__KeyError *
kve_key_error_locked(const kve_lock *l, const uint8_t *raw, size_t rawn)
{
	Kvrpcpb__KeyError *e = key_error_new();
	e->locked = kve_lock_info(l, raw, rawn);
	return e;
}

Kvrpcpb__KeyError *
kve_key_error_abort(const char *msg)
{
	Kvrpcpb__KeyError *e = key_error_new();
	e->abort = kve_strdup(msg);
	return e;
}

Kvrpcpb__KeyError *
kve_key_error_conflict(uint64_t start_ts, uint64_t conflict_ts, uint64_t conflict_commit_ts,
					   const uint8_t *raw, size_t rawn, const uint8_t *primary, size_t pn,
					   Kvrpcpb__WriteConflict__Reason reason)
{
	Kvrpcpb__KeyError *e = key_error_new();
	Kvrpcpb__WriteConflict *wc = xcalloc(1, sizeof *wc);
	kvrpcpb__write_conflict__init(wc);
	wc->start_ts = start_ts;
	wc->conflict_ts = conflict_ts;
	wc->conflict_commit_ts = conflict_commit_ts;
	kve_bin_set(&wc->key, raw, rawn);
	kve_bin_set(&wc->primary, primary, pn);
	wc->reason = reason;
	e->conflict = wc;
	return e;
}

Kvrpcpb__KeyError *
kve_key_error_txn_not_found(uint64_t start_ts, const uint8_t *pk, size_t pkn)
{
	Kvrpcpb__KeyError *e = key_error_new();
	Kvrpcpb__TxnNotFound *t = xcalloc(1, sizeof *t);
	kvrpcpb__txn_not_found__init(t);
	t->start_ts = start_ts;
	kve_bin_set(&t->primary_key, pk, pkn);
	e->txn_not_found = t;
	return e;
}

Kvrpcpb__KeyError *
kve_key_error_lock_not_found(const uint8_t *raw, size_t rawn)
{
	Kvrpcpb__KeyError *e = key_error_new();
	Kvrpcpb__TxnLockNotFound *t = xcalloc(1, sizeof *t);
	kvrpcpb__txn_lock_not_found__init(t);
	kve_bin_set(&t->key, raw, rawn);
	e->txn_lock_not_found = t;
	return e;
}

void
kve_push_key_error(Kvrpcpb__KeyError ***arr, size_t *n, Kvrpcpb__KeyError *e)
{
	Kvrpcpb__KeyError **na = realloc(*arr, sizeof(*na) * (*n + 1));
	if (!na)
		abort();
	na[(*n)++] = e;
	*arr = na;
}
