/*
 * kv_snapshot.c -- reads at one timestamp: KvGet, KvBatchGet and a
 * region-walking KvScan iterator, each with region-error retries and lock
 * resolution (facts §6.6, §7.2).
 *
 * A read that meets a lock calls kv_resolve_and_wait (resolve dead txns,
 * wait for live ones with txnLockFast backoff) and retries.  Txns whose
 * min_commit_ts the read pushed go to Context.resolved_locks of later
 * requests of the same snapshot, so the read does not wait for them.
 *
 * Scan iterator: fetches `batch` pairs at a time from the region holding the
 * current position, clipped to that region; a short answer means the region
 * is exhausted and the walk moves to the next (forward: region.end; reverse:
 * region.start).  A batch that contains a locked pair is refetched after the
 * lock is resolved.
 *
 * Exported: kv_snapshot_init/destroy/get/batch_get/iter, kv_snapshot_context
 * (internal), and the kv_iter_* dispatchers.
 */
#include "kv/txn/kv_txn_internal.h"

#include <stdlib.h>
#include <string.h>

static void snap_add_pushed(kv_snapshot *s, const kv_u64vec *pushed);
static void snap_backoffer(kv_snapshot *s, kv_backoffer *bo, uint32_t budget);

/* ---- iterator dispatch ----------------------------------------------------------- */

bool
kv_iter_valid(const kv_iter *it)
{
	return it->vt->valid(it);
}

const uint8_t *
kv_iter_key(const kv_iter *it, size_t *len)
{
	return it->vt->key(it, len);
}

const uint8_t *
kv_iter_value(const kv_iter *it, size_t *len)
{
	return it->vt->value(it, len);
}

kv_err
kv_iter_next(kv_iter *it, cm_error *err)
{
	return it->vt->next(it, err);
}

void
kv_iter_close(kv_iter *it)
{
	if (it)
		it->vt->close(it);
}

/* ---- snapshot ---------------------------------------------------------------------- */

void
kv_snapshot_init(kv_snapshot *s, kv_client *c, uint64_t ts)
{
	*s = (kv_snapshot){0};
	s->client = c;
	s->ts = ts;
	s->isolation = KV_ISO_SI;
}

void
kv_snapshot_destroy(kv_snapshot *s)
{
	free(s->resolved);
	free(s->committed);
	s->resolved = s->committed = NULL;
	s->n_resolved = s->cap_resolved = s->n_committed = s->cap_committed = 0;
}

static void
snap_add_pushed(kv_snapshot *s, const kv_u64vec *pushed)
{
	for (size_t i = 0; i < pushed->n; i++) {
		bool have = false;
		for (size_t k = 0; k < s->n_resolved && !have; k++)
			have = s->resolved[k] == pushed->v[i];
		if (have)
			continue;
		if (s->n_resolved == s->cap_resolved) {
			size_t nc = s->cap_resolved ? s->cap_resolved * 2 : 4;
			uint64_t *nv = realloc(s->resolved, nc * sizeof(*nv));
			if (!nv)
				return;
			s->resolved = nv;
			s->cap_resolved = nc;
		}
		s->resolved[s->n_resolved++] = pushed->v[i];
	}
}

static void
snap_backoffer(kv_snapshot *s, kv_backoffer *bo, uint32_t budget)
{
	kv_backoffer_init(bo, budget, s->cancel);
	kv_backoffer_set_deadline(bo, s->deadline_us);
}

void
kv_snapshot_context(kv_snapshot *s, kv_region *r, Kvrpcpb__Context *ctx)
{
	kv_region_fill_context(r, ctx);
	/* SI even for a READ COMMITTED txn (which reads at a statement ts):
	 * TiKV's RC level skips the lock check, so a row of a txn committed
	 * before ts whose secondary lock is not committed yet (or was left to
	 * lock resolution) would be silently missing, and a txn's rows could
	 * be seen in part.  PostgreSQL's READ COMMITTED sees every txn
	 * committed before the statement's snapshot, whole. */
	ctx->isolation_level = KVRPCPB__ISOLATION_LEVEL__SI;
	ctx->resolved_locks = s->resolved;
	ctx->n_resolved_locks = s->n_resolved;
	ctx->committed_locks = s->committed;
	ctx->n_committed_locks = s->n_committed;
}

/* Transport failure of a read: retry (reads are idempotent) a few times. */
static kv_err
read_transport_retry(kv_backoffer *bo, kv_region_cache *rc, kv_region *r, cm_error *err)
{
	if (bo->attempts[KV_BO_TIKV_RPC] >= 3)
		return KV_ERR_INTERNAL;
	kv_region_cache_invalidate(rc, r);
	cm_error keep = {0};
	cm_error_move(&keep, err);
	if (kv_backoff(bo, KV_BO_TIKV_RPC, err) != CM_OK) {
		kv_err k = kv_from_cm(err);
		if (k != KV_ERR_CANCELED)
			cm_error_move(err, &keep);
		cm_error_clear(&keep);
		return k == KV_ERR_CANCELED ? k : KV_ERR_INTERNAL;
	}
	cm_error_clear(&keep);
	return KV_OK;
}

kv_err
kv_snapshot_get(kv_snapshot *s, cm_arena *a, const uint8_t *key, size_t len, kv_value *out,
				cm_error *err)
{
	kv_client *c = s->client;
	kv_backoffer bo;
	snap_backoffer(s, &bo, KV_BO_BUDGET_GET_MS);
	*out = (kv_value){0};
	for (;;) {
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, &bo, key, len, &r, err) != CM_OK)
			return kv_from_cm(err);
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_snapshot_context(s, r, &ctx);
		Kvrpcpb__GetRequest req = KVRPCPB__GET_REQUEST__INIT;
		req.context = &ctx;
		req.key = (ProtobufCBinaryData){len, (uint8_t *) key};
		req.version = s->ts;
		Kvrpcpb__GetResponse resp = KVRPCPB__GET_RESPONSE__INIT;
		if (kv_store_get(c->store, &req, &resp, err) != CM_OK) {
			kv_store_response_clear(&resp.base);
			kv_err k = read_transport_retry(&bo, c->regions, r, err);
			kv_region_unref(r);
			if (k != KV_OK)
				return k;
			continue;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, &bo, r, resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK)
				return kv_from_cm(err);
			continue;
		}
		kv_region_unref(r);
		if (resp.error) {
			if (resp.error->locked) {
				kv_u64vec pushed = {0};
				Kvrpcpb__LockInfo *l = resp.error->locked;
				kv_err k = kv_resolve_and_wait(c, &bo, s->ts, true, &l, 1, &pushed, err);
				snap_add_pushed(s, &pushed);
				kv_u64vec_free(&pushed);
				kv_store_response_clear(&resp.base);
				if (k != KV_OK)
					return k;
				continue;
			}
			kv_err k = kv_key_error(err, resp.error);
			kv_store_response_clear(&resp.base);
			return k;
		}
		if (!resp.not_found) {
			out->found = true;
			out->len = resp.value.len;
			out->data = resp.value.len ? cm_memdup(a, resp.value.data, resp.value.len) : NULL;
		}
		kv_store_response_clear(&resp.base);
		return KV_OK;
	}
}

/* ---- batch get ------------------------------------------------------------------------ */

kv_err
kv_snapshot_batch_get(kv_snapshot *s, cm_arena *a, const ProtobufCBinaryData *keys, size_t n,
					  kv_value *out, cm_error *err)
{
	kv_client *c = s->client;
	kv_backoffer bo;
	snap_backoffer(s, &bo, KV_BO_BUDGET_BATCH_GET_MS);
	for (size_t i = 0; i < n; i++)
		out[i] = (kv_value){0};
	if (n == 0)
		return KV_OK;

	/* pending: indexes still to read */
	size_t *pending = malloc(n * sizeof(size_t));
	ProtobufCBinaryData *pkeys = malloc(n * sizeof(ProtobufCBinaryData));
	bool *done = calloc(n, sizeof(bool));
	if (!pending || !pkeys || !done) {
		free(pending);
		free(pkeys);
		free(done);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	size_t np = n;
	for (size_t i = 0; i < n; i++)
		pending[i] = i;
	kv_err k = KV_OK;

	while (np > 0 && k == KV_OK) {
		for (size_t i = 0; i < np; i++)
			pkeys[i] = keys[pending[i]];
		kv_region_group *groups = NULL;
		size_t ng = 0;
		if (kv_region_cache_group_keys(c->regions, &bo, pkeys, np, &groups, &ng, err) != CM_OK) {
			k = kv_from_cm(err);
			break;
		}
		size_t nlocks = 0, caplocks = 0;
		Kvrpcpb__LockInfo **locks = NULL;
		Kvrpcpb__BatchGetResponse *resps = calloc(ng, sizeof(*resps));
		if (!resps) {
			kv_region_groups_free(groups, ng);
			k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			break;
		}
		for (size_t g = 0; g < ng && k == KV_OK; g++) {
			kv_region_group *grp = &groups[g];
			ProtobufCBinaryData *gk = malloc(grp->n * sizeof(*gk));
			if (!gk) {
				k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
				break;
			}
			for (size_t j = 0; j < grp->n; j++)
				gk[j] = pkeys[grp->idx[j]];
			Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
			kv_snapshot_context(s, grp->region, &ctx);
			Kvrpcpb__BatchGetRequest req = KVRPCPB__BATCH_GET_REQUEST__INIT;
			req.context = &ctx;
			req.keys = gk;
			req.n_keys = grp->n;
			req.version = s->ts;
			Kvrpcpb__BatchGetResponse *resp = &resps[g];
			kvrpcpb__batch_get_response__init(resp);
			if (kv_store_batch_get(c->store, &req, resp, err) != CM_OK) {
				free(gk);
				kv_store_response_clear(&resp->base);
				k = read_transport_retry(&bo, c->regions, grp->region, err);
				continue;
			}
			free(gk);
			if (resp->region_error) {
				if (kv_region_cache_on_error(c->regions, &bo, grp->region, resp->region_error,
											 false, err) != CM_OK)
					k = kv_from_cm(err);
				continue;
			}
			if (resp->error) {
				if (resp->error->locked) {
						if (nlocks == caplocks) {
						caplocks = caplocks ? caplocks * 2 : 8;
						Kvrpcpb__LockInfo **nl = realloc(locks, caplocks * sizeof(*nl));
						if (!nl) {
							k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
							break;
						}
						locks = nl;
					}
					locks[nlocks++] = resp->error->locked;
					continue;
				}
				k = kv_key_error(err, resp->error);
				break;
			}
			/* map pairs back to indexes: keys of a group are few; match by
			 * binary search over the group's keys sorted by key */
			for (size_t p = 0; p < resp->n_pairs; p++) {
				const Kvrpcpb__KvPair *kp = resp->pairs[p];
				if (kp->error && kp->error->locked) {
						if (nlocks == caplocks) {
						caplocks = caplocks ? caplocks * 2 : 8;
						Kvrpcpb__LockInfo **nl = realloc(locks, caplocks * sizeof(*nl));
						if (!nl) {
							k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
							break;
						}
						locks = nl;
					}
					locks[nlocks++] = kp->error->locked;
					continue;
				}
				if (kp->error) {
					k = kv_key_error(err, kp->error);
					break;
				}
				for (size_t j = 0; j < grp->n; j++) {
					size_t oi = pending[grp->idx[j]];
					if (!done[oi] && kv_key_cmp(keys[oi].data, keys[oi].len, kp->key.data,
												kp->key.len) == 0) {
						out[oi].found = true;
						out[oi].len = kp->value.len;
						out[oi].data =
							kp->value.len ? cm_memdup(a, kp->value.data, kp->value.len) : NULL;
					}
				}
			}
			if (k != KV_OK)
				break;
			/* the whole group is answered unless a pair was locked */
			bool group_locked = false;
			for (size_t p = 0; p < resp->n_pairs; p++)
				if (resp->pairs[p]->error)
					group_locked = true;
			if (!group_locked)
				for (size_t j = 0; j < grp->n; j++)
					done[pending[grp->idx[j]]] = true;
			else {
				/* keep values read; the locked ones stay pending */
				for (size_t j = 0; j < grp->n; j++) {
					size_t oi = pending[grp->idx[j]];
					bool is_locked = false;
					for (size_t p = 0; p < resp->n_pairs; p++) {
						const Kvrpcpb__KvPair *kp = resp->pairs[p];
						if (kp->error && kp->error->locked &&
							kv_key_cmp(keys[oi].data, keys[oi].len, kp->error->locked->key.data,
									   kp->error->locked->key.len) == 0)
							is_locked = true;
					}
					if (!is_locked)
						done[oi] = true;
				}
			}
		}
		if (k == KV_OK && nlocks > 0) {
			kv_u64vec pushed = {0};
			k = kv_resolve_and_wait(c, &bo, s->ts, true, locks, nlocks, &pushed, err);
			snap_add_pushed(s, &pushed);
			kv_u64vec_free(&pushed);
		}
		free(locks);
		for (size_t g = 0; g < ng; g++)
			kv_store_response_clear(&resps[g].base);
		free(resps);
		kv_region_groups_free(groups, ng);
		if (k != KV_OK)
			break;
		/* compact pending */
		size_t w = 0;
		for (size_t i = 0; i < np; i++)
			if (!done[pending[i]])
				pending[w++] = pending[i];
		np = w;
	}
	free(pending);
	free(pkeys);
	free(done);
	return k;
}

/* ---- scan iterator ---------------------------------------------------------------------- */

typedef struct snap_iter {
	kv_iter base;
	kv_snapshot *snap;
	kv_iter_options o;
	cm_buf lower;				/* inclusive lower bound (len 0 = -inf) */
	cm_buf upper;				/* exclusive upper bound (len 0 = +inf) */
	cm_buf pos;					/* forward: next start; reverse: next exclusive end */
	bool pos_inf;				/* reverse: pos is +inf */
	bool exhausted;				/* no more requests needed */
	Kvrpcpb__ScanResponse resp;	/* current batch */
	size_t idx;					/* position in resp.pairs */
	bool valid;
	kv_backoffer bo;
} snap_iter;

static bool si_valid(const kv_iter *it);
static const uint8_t *si_key(const kv_iter *it, size_t *len);
static const uint8_t *si_value(const kv_iter *it, size_t *len);
static kv_err si_next(kv_iter *it, cm_error *err);
static void si_close(kv_iter *it);
static kv_err si_fetch(snap_iter *si, cm_error *err);

static const kv_iter_vt snap_iter_vt = {si_valid, si_key, si_value, si_next, si_close};

static bool
si_valid(const kv_iter *it)
{
	return ((const snap_iter *) it)->valid;
}

static const uint8_t *
si_key(const kv_iter *it, size_t *len)
{
	const snap_iter *si = (const snap_iter *) it;
	const Kvrpcpb__KvPair *p = si->resp.pairs[si->idx];
	*len = p->key.len;
	return p->key.data;
}

static const uint8_t *
si_value(const kv_iter *it, size_t *len)
{
	const snap_iter *si = (const snap_iter *) it;
	const Kvrpcpb__KvPair *p = si->resp.pairs[si->idx];
	*len = p->value.len;
	return p->value.data;
}

static void
si_close(kv_iter *it)
{
	snap_iter *si = (snap_iter *) it;
	kv_store_response_clear(&si->resp.base);
	cm_buf_free(&si->lower);
	cm_buf_free(&si->upper);
	cm_buf_free(&si->pos);
	free(si);
}

/* Fetch the next non-empty batch into si->resp (or mark the end). */
static kv_err
si_fetch(snap_iter *si, cm_error *err)
{
	kv_snapshot *s = si->snap;
	kv_client *c = s->client;
	kv_store_response_clear(&si->resp.base);
	si->idx = 0;
	si->valid = false;
	uint32_t limit = si->o.batch ? si->o.batch : c->opts.scan_batch;
	/* a new backoffer budget per batch, as client-go's "Scan next" */
	snap_backoffer(s, &si->bo, KV_BO_BUDGET_SCAN_MS);

	while (!si->exhausted) {
		if (kv_backoffer_check(&si->bo, err) != CM_OK)
			return kv_from_cm(err);
		kv_region *r = NULL;
		cm_status ls;
		if (!si->o.reverse)
			ls = kv_region_cache_locate(c->regions, &si->bo, (const uint8_t *) si->pos.data,
										si->pos.len, &r, err);
		else
			ls = kv_region_cache_locate_end(c->regions, &si->bo, (const uint8_t *) si->pos.data,
											si->pos_inf ? 0 : si->pos.len, &r, err);
		if (ls != CM_OK)
			return kv_from_cm(err);

		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_snapshot_context(s, r, &ctx);
		Kvrpcpb__ScanRequest req = KVRPCPB__SCAN_REQUEST__INIT;
		req.context = &ctx;
		req.version = s->ts;
		req.limit = limit;
		req.key_only = si->o.key_only;
		bool region_last; /* does this region reach the end of our range? */
		if (!si->o.reverse) {
			req.start_key = (ProtobufCBinaryData){si->pos.len, (uint8_t *) si->pos.data};
			/* end = min(upper, region.end) */
			if (r->end.len == 0 ||
				(si->upper.len != 0 && kv_key_cmp((const uint8_t *) si->upper.data,
												  si->upper.len, r->end.data, r->end.len) <= 0)) {
				req.end_key = (ProtobufCBinaryData){si->upper.len, (uint8_t *) si->upper.data};
				region_last = true;
			} else {
				req.end_key = r->end;
				region_last = false;
			}
		} else {
			req.reverse = true;
			req.start_key = si->pos_inf ? (ProtobufCBinaryData){0, NULL}
										: (ProtobufCBinaryData){si->pos.len,
																(uint8_t *) si->pos.data};
			/* lower = max(lower, region.start) */
			if (kv_key_cmp((const uint8_t *) si->lower.data, si->lower.len, r->start.data,
						   r->start.len) >= 0) {
				req.end_key = (ProtobufCBinaryData){si->lower.len, (uint8_t *) si->lower.data};
				region_last = true;
			} else {
				req.end_key = r->start;
				region_last = false;
			}
		}
		cm_status st = kv_store_scan(c->store, &req, &si->resp, err);
		if (st != CM_OK) {
			kv_store_response_clear(&si->resp.base);
			kv_err k = read_transport_retry(&si->bo, c->regions, r, err);
			kv_region_unref(r);
			if (k != KV_OK)
				return k;
			continue;
		}
		if (si->resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, &si->bo, r, si->resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&si->resp.base);
			if (rs != CM_OK)
				return kv_from_cm(err);
			continue;
		}
		/* locks: whole-response error or per pair */
		size_t nl = 0;
		Kvrpcpb__LockInfo **locks = NULL;
		if (si->resp.error && !si->resp.error->locked) {
			kv_region_unref(r);
			kv_err k = kv_key_error(err, si->resp.error);
			kv_store_response_clear(&si->resp.base);
			return k;
		}
		size_t maxl = si->resp.n_pairs + 1;
		locks = malloc(maxl * sizeof(*locks));
		if (!locks) {
			kv_region_unref(r);
			return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
		}
		if (si->resp.error && si->resp.error->locked)
			locks[nl++] = si->resp.error->locked;
		for (size_t i = 0; i < si->resp.n_pairs; i++) {
			const Kvrpcpb__KvPair *p = si->resp.pairs[i];
			if (p->error && p->error->locked)
				locks[nl++] = p->error->locked;
			else if (p->error) {
				free(locks);
				kv_region_unref(r);
				kv_err k = kv_key_error(err, p->error);
				kv_store_response_clear(&si->resp.base);
				return k;
			}
		}
		if (nl > 0) {
			kv_u64vec pushed = {0};
			kv_err k = kv_resolve_and_wait(c, &si->bo, s->ts, true, locks, nl, &pushed, err);
			snap_add_pushed(s, &pushed);
			kv_u64vec_free(&pushed);
			free(locks);
			kv_region_unref(r);
			kv_store_response_clear(&si->resp.base);
			if (k != KV_OK)
				return k;
			continue; /* refetch the same batch */
		}
		free(locks);

		/* advance the position */
		if (si->resp.n_pairs >= limit) {
			const Kvrpcpb__KvPair *last = si->resp.pairs[si->resp.n_pairs - 1];
			cm_buf_reset(&si->pos);
			cm_buf_append(&si->pos, last->key.data, last->key.len);
			if (!si->o.reverse)
				cm_buf_putc(&si->pos, '\0'); /* next key after last */
			else
				si->pos_inf = false;		 /* exclusive end = last key */
		} else if (region_last) {
			si->exhausted = true;
		} else if (!si->o.reverse) {
			cm_buf_reset(&si->pos);
			cm_buf_append(&si->pos, r->end.data, r->end.len);
		} else {
			cm_buf_reset(&si->pos);
			cm_buf_append(&si->pos, r->start.data, r->start.len);
			si->pos_inf = false;
		}
		kv_region_unref(r);
		if (si->resp.n_pairs > 0) {
			si->valid = true;
			return KV_OK;
		}
		kv_store_response_clear(&si->resp.base);
	}
	return KV_OK;
}

static kv_err
si_next(kv_iter *it, cm_error *err)
{
	snap_iter *si = (snap_iter *) it;
	if (!si->valid)
		return KV_OK;
	if (si->idx + 1 < si->resp.n_pairs) {
		si->idx++;
		return KV_OK;
	}
	kv_err k = si_fetch(si, err);
	if (k != KV_OK)
		si->valid = false;
	return k;
}

kv_err
kv_snapshot_iter(kv_snapshot *s, const kv_iter_options *o, kv_iter **out, cm_error *err)
{
	*out = NULL;
	snap_iter *si = calloc(1, sizeof(*si));
	if (!si)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	si->base.vt = &snap_iter_vt;
	si->snap = s;
	si->o = *o;
	kvrpcpb__scan_response__init(&si->resp);
	cm_buf_init(&si->lower);
	cm_buf_init(&si->upper);
	cm_buf_init(&si->pos);
	cm_buf_reserve(&si->lower, 1);
	cm_buf_reserve(&si->upper, 1);
	cm_buf_reserve(&si->pos, 1);
	if (o->start_len)
		cm_buf_append(&si->lower, o->start, o->start_len);
	if (o->end_len)
		cm_buf_append(&si->upper, o->end, o->end_len);
	si->o.start = NULL;
	si->o.end = NULL;
	if (!o->reverse) {
		cm_buf_append(&si->pos, si->lower.data, si->lower.len);
	} else {
		si->pos_inf = si->upper.len == 0;
		cm_buf_append(&si->pos, si->upper.data, si->upper.len);
	}
	if (si->upper.len != 0 && kv_key_cmp((const uint8_t *) si->lower.data, si->lower.len,
										 (const uint8_t *) si->upper.data, si->upper.len) >= 0)
		si->exhausted = true;
	kv_err k = si_fetch(si, err);
	if (k != KV_OK) {
		si_close(&si->base);
		return k;
	}
	*out = &si->base;
	return KV_OK;
}
