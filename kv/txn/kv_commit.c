/*
 * kv_commit.c -- commit (1PC / 2PC) and rollback of a kv_txn
 * (kv-protocol-facts §6.2-6.4, 6.7).
 *
 * Mutations come from the buffer in key order: put, insert (put that must
 * not exist), delete, lock-only (optimistic FOR UPDATE, or a pessimistic
 * lock without a write).  Keys that hold a pessimistic lock are prewritten
 * with DO_PESSIMISTIC_CHECK, the rest with SKIP_PESSIMISTIC_CHECK.
 *
 * Primary: the first pessimistic lock's key, else the smallest mutation key.
 *
 * 1PC: when try_one_pc is on, every mutation lives in one region and the
 * txn is at most one_pc_max_bytes, ONE PrewriteRequest with try_one_pc is
 * sent.  one_pc_commit_ts != 0 means committed (no locks left); 0 means the
 * store fell back to a normal prewrite, so the 2PC commit phase follows.  A
 * region error (e.g. a split in between) switches to plain 2PC.
 *
 * 2PC: mutations are grouped by region and cut into batches of at most
 * txn_batch_bytes; the batch holding the primary is prewritten first, then
 * the others, in parallel on up to commit_workers() short-lived threads
 * when there are several (each with its own backoffer forked from the
 * commit's, so cancel and deadline still apply; the first failure stops
 * the others from taking new batches and fails the prewrite).  A batch
 * that meets locks resolves them (waiting for live owners) and is re-sent;
 * a region error re-groups the batch's keys (inside that worker, without
 * nesting).  Then commit_ts = a fresh TSO; the primary is committed
 * (CommitTsExpired -> new TSO; TxnLockNotFound -> aborted; transport error ->
 * UNDETERMINED); once it is, the txn is committed, and the secondaries are
 * committed before kv_txn_commit returns, their batches in parallel the
 * same way, failures being left to readers' lock resolution.  (Tests make
 * that happen on purpose with kv_txn_options.test_leave_secondaries.)
 *
 * Keys that hold a pessimistic lock taken by this txn are prewritten as Put
 * even when buffered as Insert: whoever locked them checked existence
 * under the lock (the SQL layer locks unique keys with check_existence),
 * and TiKV skips the constraint check of pessimistic mutations anyway
 * (only DO_CONSTRAINT_CHECK asks for it), so the store need not look again.
 *
 * Failure before the primary commit: BatchRollback of every mutation key
 * (which also removes pessimistic locks), then ROLLED_BACK.
 *
 * Exported: kv_txn_commit, kv_txn_rollback.
 */
#include "kv/txn/kv_txn_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct commit_ctx {
	kv_txn *t;
	Kvrpcpb__Mutation *muts;		/* n mutations in key order */
	Kvrpcpb__PrewriteRequest__PessimisticAction *acts;
	ProtobufCBinaryData *keys;		/* keys of muts */
	size_t n;
	size_t primary;					/* index of the primary mutation */
	uint64_t lock_ttl;
	uint64_t one_pc_ts;
	bool redo_2pc;					/* 1PC attempt met a region error */
	bool pessimistic;
	pthread_mutex_t mu;				/* error key while batches run in parallel */
	bool error_key_set;
} commit_ctx;

static kv_err prewrite_keys(commit_ctx *cc, kv_backoffer *bo, const size_t *idx, size_t n,
							bool try_one_pc, bool parallel, cm_error *err);
static kv_err prewrite_batch(commit_ctx *cc, kv_backoffer *bo, kv_region *r, const size_t *idx,
							 size_t n, uint64_t txn_size, bool try_one_pc, cm_error *err);
static kv_err commit_primary(commit_ctx *cc, kv_backoffer *bo, cm_error *err);
static void commit_secondaries(commit_ctx *cc);
static void rollback_keys(kv_txn *t, const ProtobufCBinaryData *keys, size_t n);

static uint64_t
isqrt(uint64_t v)
{
	uint64_t r = 0, b = UINT64_C(1) << 62;
	while (b > v)
		b >>= 2;
	while (b) {
		if (v >= r + b) {
			v -= r + b;
			r = (r >> 1) + b;
		} else
			r >>= 1;
		b >>= 2;
	}
	return r;
}

/* client-go's txnLockTTL: 3 s, or 6 s * sqrt(MiB) for large txns (capped at
 * ManagedLockTTL), plus the time the txn has already been running. */
static uint64_t
compute_lock_ttl(kv_txn *t, size_t bytes)
{
	kv_client_options *o = &t->client->opts;
	uint64_t ttl = o->lock_ttl_ms;
	if (bytes >= (16u << 10)) {
		/* 6000 * sqrt(bytes / MiB) = 6000 * sqrt(bytes) / 1024 */
		uint64_t v = 6000u * isqrt(bytes) / 1024u;
		if (v < o->lock_ttl_ms)
			v = o->lock_ttl_ms;
		if (v > o->managed_lock_ttl_ms)
			v = o->managed_lock_ttl_ms;
		ttl = v;
	}
	return ttl + kv_txn_elapsed_ms(t);
}

/* ---- parallel batches ------------------------------------------------------------------ */

/* Workers for the batches of one commit: 2 per CPU, 2 to KV_COMMIT_MAX_WORKERS.
 * Against the embedded store the work is CPU (RocksDB) plus WAL syncs that
 * group commit shares between concurrent batches; against TiKV it is
 * round trips, so more than one per CPU pays. */
#define KV_COMMIT_MAX_WORKERS 8

static size_t
commit_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	size_t w = n > 0 ? (size_t) n * 2 : 2;
	return w < 2 ? 2 : w > KV_COMMIT_MAX_WORKERS ? KV_COMMIT_MAX_WORKERS : w;
}

typedef struct par_run par_run;
/* Run item i with a worker's own backoffer; KV_OK or the error (in err). */
typedef kv_err (*par_fn)(par_run *pr, size_t i, kv_backoffer *bo, cm_error *err);

struct par_run {
	par_fn fn;
	void *arg;
	size_t n;						/* items */
	const kv_backoffer *parent;		/* forked per worker: cancel flag, deadline */
	uint32_t budget_ms;
	atomic_size_t next;				/* next item to take */
	atomic_bool stop;				/* an item failed: take no more */
	pthread_mutex_t mu;
	kv_err first;					/* first failure, its text in err */
	cm_error err;
};

static void *
par_worker(void *arg)
{
	par_run *pr = arg;
	kv_backoffer bo;
	kv_backoffer_fork(pr->parent, &bo, pr->budget_ms);
	cm_error err = {0};
	while (!atomic_load(&pr->stop)) {
		size_t i = atomic_fetch_add(&pr->next, 1);
		if (i >= pr->n)
			break;
		kv_err k = kv_backoffer_check(&bo, &err) == CM_OK ? pr->fn(pr, i, &bo, &err) : kv_from_cm(&err);
		if (k == KV_OK)
			continue;
		pthread_mutex_lock(&pr->mu);
		if (pr->first == KV_OK) {
			pr->first = k;
			cm_error_move(&pr->err, &err);
		}
		pthread_mutex_unlock(&pr->mu);
		cm_error_clear(&err);
		atomic_store(&pr->stop, true);
	}
	return NULL;
}

/* Run items 0..n) of fn on up to commit_workers() threads, the caller being
 * one of them; returns when every started item has finished.  KV_OK, or the
 * first failure (moved into err); after a failure no new item starts. */
static kv_err
par_execute(par_fn fn, void *arg, size_t n, const kv_backoffer *parent, uint32_t budget_ms,
			cm_error *err)
{
	par_run pr = {.fn = fn, .arg = arg, .n = n, .parent = parent, .budget_ms = budget_ms,
				  .first = KV_OK};
	atomic_init(&pr.next, 0);
	atomic_init(&pr.stop, false);
	pthread_mutex_init(&pr.mu, NULL);
	size_t nw = commit_workers();
	if (nw > n)
		nw = n;
	pthread_t th[KV_COMMIT_MAX_WORKERS];
	size_t started = 0;
	for (size_t i = 1; i < nw; i++)
		if (pthread_create(&th[started], NULL, par_worker, &pr) == 0)
			started++;			/* fewer threads is only slower */
	par_worker(&pr);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&pr.mu);
	if (pr.first != KV_OK)
		cm_error_move(err, &pr.err);
	return pr.first;
}

/* ---- prewrite ------------------------------------------------------------------------- */

static kv_err
prewrite_batch(commit_ctx *cc, kv_backoffer *bo, kv_region *r, const size_t *idx, size_t n,
			   uint64_t txn_size, bool try_one_pc, cm_error *err)
{
	kv_txn *t = cc->t;
	kv_client *c = t->client;
	Kvrpcpb__Mutation **mp = malloc(n * sizeof(*mp));
	Kvrpcpb__PrewriteRequest__PessimisticAction *acts =
		cc->pessimistic ? malloc(n * sizeof(*acts)) : NULL;
	if (!mp || (cc->pessimistic && !acts)) {
		free(mp);
		free(acts);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		mp[i] = &cc->muts[idx[i]];
		if (acts)
			acts[i] = cc->acts[idx[i]];
	}
	kv_err result = KV_OK;
	for (;;) {
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
		req.context = &ctx;
		req.mutations = mp;
		req.n_mutations = n;
		req.primary_lock = cc->keys[cc->primary];
		req.start_version = t->start_ts;
		req.lock_ttl = cc->lock_ttl;
		req.txn_size = txn_size;
		if (cc->pessimistic) {
			req.for_update_ts = t->max_for_update_ts;
			req.pessimistic_actions = acts;
			req.n_pessimistic_actions = n;
		}
		uint64_t base = t->start_ts > t->max_for_update_ts ? t->start_ts : t->max_for_update_ts;
		req.min_commit_ts = base + 1;
		req.try_one_pc = try_one_pc;
		Kvrpcpb__PrewriteResponse resp = KVRPCPB__PREWRITE_RESPONSE__INIT;
		if (kv_store_prewrite(c->store, &req, &resp, err) != CM_OK) {
			kv_store_response_clear(&resp.base);
			/* a prewrite that may or may not have landed is safe to treat as
			 * failed: the rollback that follows cleans either way */
			result = KV_ERR_INTERNAL;
			break;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, true, err);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK) {
				result = kv_from_cm(err);
				break;
			}
			if (try_one_pc) {
				cc->redo_2pc = true; /* nothing was written: switch to 2PC */
				break;
			}
			result = prewrite_keys(cc, bo, idx, n, false, false, err);
			break;
		}
		if (resp.n_errors > 0) {
			Kvrpcpb__LockInfo **locks = malloc(resp.n_errors * sizeof(*locks));
			size_t nl = 0;
			kv_err hard = KV_OK;
			for (size_t i = 0; i < resp.n_errors; i++) {
				Kvrpcpb__KeyError *ke = resp.errors[i];
				if (!ke)
					continue;
				if (ke->locked) {
					if (locks)
						locks[nl++] = ke->locked;
					continue;
				}
				if (hard == KV_OK) {
					hard = kv_key_error(err, ke);
					/* the txn arena is not thread-safe; the first key wins */
					pthread_mutex_lock(&cc->mu);
					if (!cc->error_key_set && (ke->already_exist || ke->conflict)) {
						cc->error_key_set = true;
						if (ke->already_exist)
							kv_txn_set_error_key(t, ke->already_exist->key.data,
												 ke->already_exist->key.len);
						else
							kv_txn_set_error_key(t, ke->conflict->key.data, ke->conflict->key.len);
					}
					pthread_mutex_unlock(&cc->mu);
				}
			}
			if (hard == KV_OK && !locks)
				hard = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			if (hard != KV_OK) {
				free(locks);
				kv_store_response_clear(&resp.base);
				result = hard;
				break;
			}
			kv_err k = kv_resolve_and_wait(c, bo, t->start_ts, false, locks, nl, NULL, err);
			free(locks);
			kv_store_response_clear(&resp.base);
			if (k != KV_OK) {
				result = k;
				break;
			}
			continue;
		}
		if (try_one_pc)
			cc->one_pc_ts = resp.one_pc_commit_ts;
		kv_store_response_clear(&resp.base);
		break;
	}
	free(mp);
	free(acts);
	return result;
}

typedef struct pw_batch {
	kv_region *region;
	const size_t *idx;
	size_t count;
	uint64_t txn_size;
} pw_batch;

typedef struct pw_par {
	commit_ctx *cc;
	const pw_batch *bs;
} pw_par;

static kv_err
pw_item(par_run *pr, size_t i, kv_backoffer *bo, cm_error *err)
{
	const pw_par *pp = pr->arg;
	const pw_batch *b = &pp->bs[i];
	return prewrite_batch(pp->cc, bo, b->region, b->idx, b->count, b->txn_size, false, err);
}

/* Prewrite mutations idx[0..n): group by region, batch by size, the batch
 * holding the primary first; the rest in parallel when parallel is set
 * (not inside a worker: a region error's re-grouping stays in its thread). */
static kv_err
prewrite_keys(commit_ctx *cc, kv_backoffer *bo, const size_t *idx, size_t n, bool try_one_pc,
			  bool parallel, cm_error *err)
{
	kv_txn *t = cc->t;
	kv_client *c = t->client;
	ProtobufCBinaryData *ks = malloc(n * sizeof(*ks));
	if (!ks)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++)
		ks[i] = cc->keys[idx[i]];
	kv_region_group *groups = NULL;
	size_t ng = 0;
	cm_status gs = kv_region_cache_group_keys(c->regions, bo, ks, n, &groups, &ng, err);
	free(ks);
	if (gs != CM_OK)
		return kv_from_cm(err);
	if (try_one_pc && ng != 1) {
		/* the keys no longer share a region (split since the check): a
		 * 1PC request per region would not be atomic -- use 2PC */
		kv_region_groups_free(groups, ng);
		cc->redo_2pc = true;
		return KV_OK;
	}

	/* batches: (group, first, count) */
	typedef struct batch {
		size_t g, first, count;
		bool has_primary;
	} batch;
	size_t nb = 0, capb = 0;
	batch *bs = NULL;
	size_t *gidx = NULL; /* per group, mutation indexes in key order */
	size_t *goff = calloc(ng + 1, sizeof(size_t));
	gidx = malloc(n * sizeof(size_t));
	kv_err k = KV_OK;
	if (!goff || !gidx) {
		k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
		goto out;
	}
	size_t pos = 0;
	for (size_t g = 0; g < ng; g++) {
		goff[g] = pos;
		for (size_t j = 0; j < groups[g].n; j++)
			gidx[pos++] = idx[groups[g].idx[j]];
		/* cut into batches by size */
		size_t start = goff[g], bytes = 0;
		for (size_t j = goff[g]; j < pos; j++) {
			const Kvrpcpb__Mutation *m = &cc->muts[gidx[j]];
			size_t sz = m->key.len + m->value.len;
			if (!try_one_pc && j > start && bytes + sz > c->opts.txn_batch_bytes) {
				if (nb == capb) {
					capb = capb ? capb * 2 : 8;
					batch *nbs = realloc(bs, capb * sizeof(*nbs));
					if (!nbs) {
						k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
						goto out;
					}
					bs = nbs;
				}
				bs[nb++] = (batch){g, start, j - start, false};
				start = j;
				bytes = 0;
			}
			bytes += sz;
		}
		if (nb == capb) {
			capb = capb ? capb * 2 : 8;
			batch *nbs = realloc(bs, capb * sizeof(*nbs));
			if (!nbs) {
				k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
				goto out;
			}
			bs = nbs;
		}
		bs[nb++] = (batch){g, start, pos - start, false};
	}
	goff[ng] = pos;
	/* primary batch first */
	for (size_t b = 0; b < nb; b++)
		for (size_t j = 0; j < bs[b].count; j++)
			if (gidx[bs[b].first + j] == cc->primary)
				bs[b].has_primary = true;
	for (size_t b = 0; b < nb && k == KV_OK; b++)
		if (bs[b].has_primary)
			k = prewrite_batch(cc, bo, groups[bs[b].g].region, &gidx[bs[b].first], bs[b].count,
							   groups[bs[b].g].n, try_one_pc, err);
	size_t nsec = 0;
	for (size_t b = 0; b < nb; b++)
		nsec += !bs[b].has_primary;
	if (k == KV_OK && parallel && !try_one_pc && nsec > 1) {
		pw_batch *pb = malloc(nsec * sizeof(*pb));
		if (!pb) {
			k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			goto out;
		}
		size_t np = 0;
		for (size_t b = 0; b < nb; b++)
			if (!bs[b].has_primary)
				pb[np++] = (pw_batch){groups[bs[b].g].region, &gidx[bs[b].first], bs[b].count,
									  groups[bs[b].g].n};
		pw_par pp = {cc, pb};
		k = par_execute(pw_item, &pp, np, bo, KV_BO_BUDGET_PREWRITE_MS, err);
		free(pb);
		goto out;
	}
	for (size_t b = 0; b < nb && k == KV_OK; b++)
		if (!bs[b].has_primary)
			k = prewrite_batch(cc, bo, groups[bs[b].g].region, &gidx[bs[b].first], bs[b].count,
							   groups[bs[b].g].n, try_one_pc, err);
out:
	free(bs);
	free(gidx);
	free(goff);
	kv_region_groups_free(groups, ng);
	return k;
}

/* ---- commit ------------------------------------------------------------------------------ */

static kv_err
commit_primary(commit_ctx *cc, kv_backoffer *bo, cm_error *err)
{
	kv_txn *t = cc->t;
	kv_client *c = t->client;
	const ProtobufCBinaryData *pk = &cc->keys[cc->primary];
	for (;;) {
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, bo, pk->data, pk->len, &r, err) != CM_OK)
			return kv_from_cm(err);
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
		req.context = &ctx;
		req.start_version = t->start_ts;
		ProtobufCBinaryData key = *pk;
		req.keys = &key;
		req.n_keys = 1;
		req.commit_version = t->commit_ts;
		req.commit_role = KVRPCPB__COMMIT_ROLE__Primary;
		req.primary_key = *pk;
		Kvrpcpb__CommitResponse resp = KVRPCPB__COMMIT_RESPONSE__INIT;
		if (kv_store_commit(c->store, &req, &resp, err) != CM_OK) {
			kv_store_response_clear(&resp.base);
			kv_region_unref(r);
			cm_error keep = {0};
			cm_error_move(&keep, err);
			kv_fail(err, KV_ERR_UNDETERMINED,
					"the result of the commit is unknown: %s",
					keep.message ? keep.message : "store failure");
			cm_error_clear(&keep);
			return KV_ERR_UNDETERMINED;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK) {
				kv_err k = kv_from_cm(err);
				return k;
			}
			continue;
		}
		kv_region_unref(r);
		if (resp.error) {
			if (resp.error->commit_ts_expired) {
				uint64_t min_ts = resp.error->commit_ts_expired->min_commit_ts;
				kv_store_response_clear(&resp.base);
				uint64_t ts;
				kv_err k = kv_client_ts(c, bo, &ts, err);
				if (k != KV_OK)
					return k;
				if (ts <= min_ts) {
					if (kv_backoff(bo, KV_BO_COMMIT_TS_LAG, err) != CM_OK)
						return kv_from_cm(err);
					continue;
				}
				t->commit_ts = ts;
				continue;
			}
			kv_err k = kv_key_error(err, resp.error);
			if (resp.error->txn_lock_not_found)
				k = kv_fail(err, KV_ERR_TXN_ABORTED,
							"could not serialize access: transaction was rolled back by a "
							"concurrent reader");
			kv_store_response_clear(&resp.base);
			return k;
		}
		kv_store_response_clear(&resp.base);
		return KV_OK;
	}
}

/* One round of secondary commits: the batches of every region group. */
typedef struct cs_batch {
	size_t g, start, end;			/* groups[g].idx[start..end) */
} cs_batch;

typedef struct cs_round {
	commit_ctx *cc;
	const ProtobufCBinaryData *pend;
	kv_region_group *groups;
	const cs_batch *bs;
	bool *retry;					/* per pending key; each batch writes its own */
	atomic_bool *stale;				/* per group: a batch met a region error */
	atomic_bool any_retry;
} cs_round;

static kv_err
cs_item(par_run *pr, size_t i, kv_backoffer *bo, cm_error *unused)
{
	(void) unused;
	cs_round *r = pr->arg;
	kv_txn *t = r->cc->t;
	kv_client *c = t->client;
	const cs_batch *b = &r->bs[i];
	const kv_region_group *g = &r->groups[b->g];
	size_t cnt = b->end - b->start;
	if (atomic_load(&r->stale[b->g])) {
		/* the region changed (a split): every batch of the group would meet
		 * the same error -- straight to the next round, regrouped */
		for (size_t j = 0; j < cnt; j++)
			r->retry[g->idx[b->start + j]] = true;
		atomic_store(&r->any_retry, true);
		return KV_OK;
	}
	ProtobufCBinaryData *bk = malloc(cnt * sizeof(*bk));
	if (!bk)
		return KV_OK;	/* left to lock resolution */
	for (size_t j = 0; j < cnt; j++)
		bk[j] = r->pend[g->idx[b->start + j]];
	cm_error err = {0};
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	kv_region_fill_context(g->region, &ctx);
	Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
	req.context = &ctx;
	req.start_version = t->start_ts;
	req.keys = bk;
	req.n_keys = cnt;
	req.commit_version = t->commit_ts;
	req.commit_role = KVRPCPB__COMMIT_ROLE__Secondary;
	req.primary_key = r->cc->keys[r->cc->primary];
	Kvrpcpb__CommitResponse resp = KVRPCPB__COMMIT_RESPONSE__INIT;
	cm_status st = kv_store_commit(c->store, &req, &resp, &err);
	/* EpochNotMatch carries the new regions: no sleep (as prewrite) --
	 * a regionMiss backoff per stale batch made a commit after a split sleep
	 * up to 500 ms for each of its batches */
	if (st == CM_OK && resp.region_error &&
		kv_region_cache_on_error(c->regions, bo, g->region, resp.region_error, true, &err) == CM_OK) {
		atomic_store(&r->stale[b->g], true);
		for (size_t j = 0; j < cnt; j++)
			r->retry[g->idx[b->start + j]] = true;
		atomic_store(&r->any_retry, true);
	}
	/* other failures: left to lock resolution by readers */
	kv_store_response_clear(&resp.base);
	cm_error_clear(&err);
	free(bk);
	return KV_OK;
}

static void
commit_secondaries(commit_ctx *cc)
{
	kv_txn *t = cc->t;
	kv_client *c = t->client;
	if (cc->n <= 1)
		return;
	kv_backoffer bo;
	kv_backoffer_init(&bo, KV_BO_BUDGET_COMMIT_SECONDARY_MS, NULL);
	/* pending secondaries */
	size_t np = 0;
	ProtobufCBinaryData *pend = malloc(cc->n * sizeof(*pend));
	if (!pend)
		return;
	uint32_t leave = t->opts.test_leave_secondaries;
	for (size_t i = 0, j = 0; i < cc->n; i++) {
		if (i == cc->primary)
			continue;
		bool left = leave == 1 || (leave > 1 && j % leave != 0);
		j++;
		if (!left)
			pend[np++] = cc->keys[i];
	}
	int rounds = 0;
	while (np > 0 && rounds++ < 64) {
		cm_error err = {0};
		kv_region_group *groups = NULL;
		size_t ng = 0;
		if (kv_region_cache_group_keys(c->regions, &bo, pend, np, &groups, &ng, &err) != CM_OK) {
			cm_error_clear(&err);
			break;
		}
		bool *retry = calloc(np, sizeof(bool));
		cs_batch *bs = malloc(np * sizeof(*bs));	/* at most one batch per key */
		atomic_bool *stale = malloc((ng ? ng : 1) * sizeof(*stale));
		if (!retry || !bs || !stale) {
			free(retry);
			free(bs);
			free(stale);
			kv_region_groups_free(groups, ng);
			break;
		}
		for (size_t g = 0; g < ng; g++)
			atomic_init(&stale[g], false);
		/* batch by size within each group */
		size_t nb = 0;
		for (size_t g = 0; g < ng; g++) {
			size_t start = 0;
			while (start < groups[g].n) {
				size_t end = start, bytes = 0;
				while (end < groups[g].n &&
					   (end == start || bytes + pend[groups[g].idx[end]].len <=
											c->opts.txn_batch_bytes)) {
					bytes += pend[groups[g].idx[end]].len;
					end++;
				}
				bs[nb++] = (cs_batch){g, start, end};
				start = end;
			}
		}
		cs_round round = {.cc = cc, .pend = pend, .groups = groups, .bs = bs, .retry = retry,
						  .stale = stale};
		atomic_init(&round.any_retry, false);
		if (par_execute(cs_item, &round, nb, &bo, KV_BO_BUDGET_COMMIT_SECONDARY_MS, &err) != KV_OK)
			cm_error_clear(&err);	/* cs_item never fails */
		kv_region_groups_free(groups, ng);
		free(bs);
		free(stale);
		size_t w = 0;
		for (size_t i = 0; i < np; i++)
			if (retry[i])
				pend[w++] = pend[i];
		np = atomic_load(&round.any_retry) ? w : 0;
		free(retry);
	}
	free(pend);
}

/* BatchRollback of keys, grouped by region (best effort). */
static void
rollback_keys(kv_txn *t, const ProtobufCBinaryData *keys, size_t n)
{
	kv_client *c = t->client;
	kv_backoffer bo;
	kv_backoffer_init(&bo, KV_BO_BUDGET_CLEANUP_MS, NULL);
	size_t np = n;
	ProtobufCBinaryData *pend = malloc((n ? n : 1) * sizeof(*pend));
	if (!pend)
		return;
	memcpy(pend, keys, n * sizeof(*pend));
	int rounds = 0;
	while (np > 0 && rounds++ < 64) {
		cm_error err = {0};
		kv_region_group *groups = NULL;
		size_t ng = 0;
		if (kv_region_cache_group_keys(c->regions, &bo, pend, np, &groups, &ng, &err) != CM_OK) {
			cm_error_clear(&err);
			break;
		}
		bool *retry = calloc(np, sizeof(bool));
		if (!retry) {
			kv_region_groups_free(groups, ng);
			break;
		}
		bool any_retry = false;
		for (size_t g = 0; g < ng; g++) {
			ProtobufCBinaryData *gk = malloc(groups[g].n * sizeof(*gk));
			if (!gk)
				continue;
			for (size_t j = 0; j < groups[g].n; j++)
				gk[j] = pend[groups[g].idx[j]];
			Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
			kv_region_fill_context(groups[g].region, &ctx);
			Kvrpcpb__BatchRollbackRequest req = KVRPCPB__BATCH_ROLLBACK_REQUEST__INIT;
			req.context = &ctx;
			req.start_version = t->start_ts;
			req.keys = gk;
			req.n_keys = groups[g].n;
			Kvrpcpb__BatchRollbackResponse resp = KVRPCPB__BATCH_ROLLBACK_RESPONSE__INIT;
			cm_status st = kv_store_batch_rollback(c->store, &req, &resp, &err);
			if (st == CM_OK && resp.region_error &&
				kv_region_cache_on_error(c->regions, &bo, groups[g].region, resp.region_error,
										 false, &err) == CM_OK) {
				for (size_t j = 0; j < groups[g].n; j++)
					retry[groups[g].idx[j]] = true;
				any_retry = true;
			}
			kv_store_response_clear(&resp.base);
			cm_error_clear(&err);
			free(gk);
		}
		kv_region_groups_free(groups, ng);
		size_t w = 0;
		for (size_t i = 0; i < np; i++)
			if (retry[i])
				pend[w++] = pend[i];
		np = any_retry ? w : 0;
		free(retry);
	}
	free(pend);
}

static void
txn_finish(kv_txn *t, kv_txn_state to)
{
	kv_txn_transition(t, to);
	if (t->hb_registered) {
		kv_hb_unregister(t->client, t->start_ts);
		t->hb_registered = false;
	}
}

kv_err
kv_txn_commit(kv_txn *t, cm_error *err)
{
	if (t->state != KV_TXN_ACTIVE)
		return kv_fail(err, KV_ERR_INTERNAL, "kv transaction is already finished");
	if (t->rs.on) {
		/* SERIALIZABLE: validate the read set first (kv_readset.c) */
		kv_err vk = kv_rs_validate(t, err);
		if (vk != KV_OK) {
			cm_error e2 = {0};
			if (kv_txn_rollback(t, &e2) != KV_OK)
				cm_error_clear(&e2); /* locks left behind expire by TTL */
			cm_error_clear(&e2);
			return vk;
		}
	}
	kv_client *c = t->client;
	kv_txn_transition(t, KV_TXN_COMMITTING);

	commit_ctx cc = {.t = t, .pessimistic = t->opts.mode == KV_TXN_PESSIMISTIC};
	pthread_mutex_init(&cc.mu, NULL);
	size_t cap = t->mb.count ? t->mb.count : 1;
	cc.muts = malloc(cap * sizeof(*cc.muts));
	cc.keys = malloc(cap * sizeof(*cc.keys));
	cc.acts = malloc(cap * sizeof(*cc.acts));
	size_t *all = malloc(cap * sizeof(size_t));
	if (!cc.muts || !cc.keys || !cc.acts || !all) {
		free(cc.muts);
		free(cc.keys);
		free(cc.acts);
		free(all);
		pthread_mutex_destroy(&cc.mu);
		txn_finish(t, KV_TXN_ROLLED_BACK);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	size_t bytes = 0;
	bool have_primary = false;
	for (kv_mb_node *nd = kv_mb_first(&t->mb); nd; nd = kv_mb_next(nd)) {
		Kvrpcpb__Op op;
		bool locked = nd->flags & KV_MB_F_PLOCKED;
		switch (nd->op) {
		case KV_MB_PUT: op = KVRPCPB__OP__Put; break;
		case KV_MB_INSERT: op = locked ? KVRPCPB__OP__Put : KVRPCPB__OP__Insert; break; /* see the banner */
		case KV_MB_DEL: op = KVRPCPB__OP__Del; break;
		case KV_MB_LOCK: op = KVRPCPB__OP__Lock; break;
		default:
			if (!locked)
				continue;
			/* lock-only: a shared lock stays shared */
			op = (nd->flags & KV_MB_F_SHARED) ? KVRPCPB__OP__SharedLock : KVRPCPB__OP__Lock;
		}
		Kvrpcpb__Mutation *m = &cc.muts[cc.n];
		kvrpcpb__mutation__init(m);
		m->op = op;
		m->key = (ProtobufCBinaryData){nd->klen, nd->key};
		if (op == KVRPCPB__OP__Put || op == KVRPCPB__OP__Insert)
			m->value = (ProtobufCBinaryData){nd->vlen, nd->val};
		cc.keys[cc.n] = m->key;
		cc.acts[cc.n] = locked ? KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_PESSIMISTIC_CHECK
							   : KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__SKIP_PESSIMISTIC_CHECK;
		if (t->primary &&
			kv_key_cmp(nd->key, nd->klen, t->primary, t->primary_len) == 0) {
			cc.primary = cc.n;
			have_primary = true;
		}
		all[cc.n] = cc.n;
		bytes += nd->klen + (size_t) m->value.len;
		cc.n++;
	}
	kv_err k = KV_OK;
	if (cc.n == 0) {
		/* read-only: nothing to do */
		t->commit_ts = 0;
		txn_finish(t, KV_TXN_COMMITTED);
		goto out;
	}
	if (!have_primary)
		cc.primary = 0; /* smallest key */
	cc.lock_ttl = compute_lock_ttl(t, bytes);

	kv_backoffer bo;
	kv_backoffer_init(&bo, KV_BO_BUDGET_PREWRITE_MS, t->opts.cancel);
	kv_backoffer_set_deadline(&bo, t->deadline_us);

	bool done_1pc = false;
	bool tried_1pc = false;
	if (c->opts.try_one_pc && bytes <= c->opts.one_pc_max_bytes) {
		kv_region_group *groups = NULL;
		size_t ng = 0;
		if (kv_region_cache_group_keys(c->regions, &bo, cc.keys, cc.n, &groups, &ng, err) !=
			CM_OK) {
			k = kv_from_cm(err);
			goto fail;
		}
		kv_region_groups_free(groups, ng);
		if (ng == 1) {
			tried_1pc = true;
			k = prewrite_keys(&cc, &bo, all, cc.n, true, false, err);
			if (k == KV_OK && cc.redo_2pc) {
				cm_error_clear(err);
				tried_1pc = false;
			} else if (k != KV_OK)
				goto fail;
			else if (cc.one_pc_ts != 0) {
				t->commit_ts = cc.one_pc_ts;
				done_1pc = true;
			}
		}
	}
	if (done_1pc) {
		txn_finish(t, KV_TXN_COMMITTED);
		goto out;
	}
	if (!t->hb_registered)
		t->hb_registered = kv_hb_register(c, t->start_ts, cc.keys[cc.primary].data,
										  cc.keys[cc.primary].len);
	if (!tried_1pc) {
		k = prewrite_keys(&cc, &bo, all, cc.n, false, true, err);
		if (k != KV_OK)
			goto fail;
	}

	/* commit phase */
	{
		kv_backoffer cbo;
		kv_backoffer_init(&cbo, KV_BO_BUDGET_COMMIT_MS, NULL);
		k = kv_client_ts(c, &cbo, &t->commit_ts, err);
		if (k != KV_OK)
			goto fail;
		k = commit_primary(&cc, &cbo, err);
		if (k == KV_ERR_UNDETERMINED) {
			txn_finish(t, KV_TXN_UNDETERMINED);
			goto out;
		}
		if (k != KV_OK)
			goto fail;
		txn_finish(t, KV_TXN_COMMITTED);
		commit_secondaries(&cc);
		goto out;
	}

fail:
	rollback_keys(t, cc.keys, cc.n);
	t->commit_ts = 0;
	txn_finish(t, KV_TXN_ROLLED_BACK);
out:
	free(cc.muts);
	free(cc.keys);
	free(cc.acts);
	free(all);
	pthread_mutex_destroy(&cc.mu);
	return k;
}

kv_err
kv_txn_rollback(kv_txn *t, cm_error *err)
{
	if (t->state != KV_TXN_ACTIVE)
		return t->state == KV_TXN_ROLLED_BACK
				   ? KV_OK
				   : kv_fail(err, KV_ERR_INTERNAL, "kv transaction is already finished");
	kv_err k = KV_OK;
	if (t->n_plocked > 0) {
		size_t cap = t->n_plocked, n = 0;
		ProtobufCBinaryData *keys = malloc(cap * sizeof(*keys));
		if (keys) {
			for (kv_mb_node *nd = kv_mb_first(&t->mb); nd && n < cap; nd = kv_mb_next(nd))
				if (nd->flags & KV_MB_F_PLOCKED)
					keys[n++] = (ProtobufCBinaryData){nd->klen, nd->key};
			kv_backoffer bo;
			kv_backoffer_init(&bo, KV_BO_BUDGET_PESSIMISTIC_ROLLBACK_MS, NULL);
			k = kv_txn_pessimistic_rollback(t, &bo, keys, n, err);
			free(keys);
		}
	}
	kv_txn_transition(t, KV_TXN_ROLLED_BACK);
	if (t->hb_registered) {
		kv_hb_unregister(t->client, t->start_ts);
		t->hb_registered = false;
	}
	return k;
}
