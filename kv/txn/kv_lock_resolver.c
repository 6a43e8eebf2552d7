/*
 * kv_lock_resolver.c -- what a reader or writer does when it meets another
 * transaction's lock (kv-protocol-facts §6.6).
 *
 * For each lock L:
 *   1. status of L's txn: the client's status cache, else CheckTxnStatus on
 *      L.primary (lock_ts = L.start_ts, caller_start_ts = reader's ts for a
 *      read, current_ts = fresh TSO or u64::MAX when L.ttl == 0,
 *      resolving_pessimistic_lock for 'S' locks, verify_is_primary).
 *      TxnNotFound: if L has expired by the TSO clock, ask again with
 *      rollback_if_not_exist; otherwise back off txnNotFound and ask again
 *      (the primary's prewrite may still be in flight).
 *   2. alive (lock_ttl > 0): remember the remaining TTL (the caller backs
 *      off txnLockFast up to it); a reader whose CheckTxnStatus pushed the
 *      min_commit_ts (MinCommitTSPushed) may bypass the lock instead.
 *   3. committed (commit_version > 0) / rolled back (both 0): cache the
 *      status, then clean L: PessimisticRollback for a pessimistic lock,
 *      else ResolveLock{start, commit} on L.key's region -- only L.key when
 *      L.txn_size < 512 ("lite"), the whole txn in the region otherwise
 *      (once per region per call).  L.key == L.primary needs nothing more:
 *      CheckTxnStatus already committed or rolled it back.
 *
 * A shared lock (lock_type SharedLock with shared_lock_infos) is resolved
 * sharer by sharer: each sub-lock carries its txn's primary, start_ts and
 * ttl and is treated as a lock of its own (SharedPessimisticLock as a
 * pessimistic lock).  The caller's own sub-lock is skipped.
 *
 * Async-commit locks are not resolved (pgkv never writes them); meeting one
 * whose primary has expired is reported as an internal error.
 *
 * Exported (internal): kv_resolve_locks, kv_resolve_and_wait.
 */
#include "kv/txn/kv_txn_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct txn_status {
	uint64_t ttl;			/* > 0: alive */
	uint64_t commit_ts;		/* > 0: committed */
	bool pushed;			/* min_commit_ts pushed above the reader */
} txn_status;

typedef struct resolved_region {
	uint64_t start_ts;
	uint64_t region_id;
} resolved_region;

static kv_err get_txn_status(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l,
							 uint64_t caller_ts, bool for_read, txn_status *out, cm_error *err);
static kv_err resolve_one(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l,
						  uint64_t commit_ts, resolved_region **done, size_t *n_done,
						  cm_error *err);
static kv_err pessimistic_rollback_one(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l,
									   cm_error *err);

static bool
lock_expired_at(const Kvrpcpb__LockInfo *l, uint64_t now_ts)
{
	return kv_ts_physical(now_ts) >= kv_ts_physical(l->lock_version) + l->lock_ttl;
}

static kv_err
get_txn_status(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l, uint64_t caller_ts,
			   bool for_read, txn_status *out, cm_error *err)
{
	*out = (txn_status){0};
	uint64_t cached;
	if (kv_status_cache_get(c, l->lock_version, &cached)) {
		out->commit_ts = cached;
		return KV_OK;
	}
	bool rollback_if_not_exist = false;
	for (;;) {
		uint64_t current_ts = UINT64_MAX;
		if (l->lock_ttl != 0) {
			kv_err k = kv_client_ts(c, bo, &current_ts, err);
			if (k != KV_OK)
				return k;
		}
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, bo, l->primary_lock.data, l->primary_lock.len, &r,
								   err) != CM_OK)
			return kv_from_cm(err);
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__CheckTxnStatusRequest req = KVRPCPB__CHECK_TXN_STATUS_REQUEST__INIT;
		req.context = &ctx;
		req.primary_key = l->primary_lock;
		req.lock_ts = l->lock_version;
		req.caller_start_ts = for_read ? caller_ts : 0;
		req.current_ts = current_ts;
		req.rollback_if_not_exist = rollback_if_not_exist;
		req.resolving_pessimistic_lock = l->lock_type == KVRPCPB__OP__PessimisticLock ||
										 l->lock_type == KVRPCPB__OP__SharedPessimisticLock;
		req.verify_is_primary = true;
		Kvrpcpb__CheckTxnStatusResponse resp = KVRPCPB__CHECK_TXN_STATUS_RESPONSE__INIT;
		cm_status st = kv_store_check_txn_status(c->store, &req, &resp, err);
		if (st != CM_OK) {
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			return KV_ERR_INTERNAL;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK)
				return kv_from_cm(err);
			continue;
		}
		kv_region_unref(r);
		if (resp.error) {
			if (resp.error->txn_not_found) {
				kv_store_response_clear(&resp.base);
				if (current_ts != UINT64_MAX && lock_expired_at(l, current_ts)) {
					rollback_if_not_exist = true;
					continue;
				}
				if (current_ts == UINT64_MAX) {
					rollback_if_not_exist = true;
					continue;
				}
				if (kv_backoff(bo, KV_BO_TXN_NOT_FOUND, err) != CM_OK)
					return kv_from_cm(err);
				continue;
			}
			kv_err k = kv_key_error(err, resp.error);
			kv_store_response_clear(&resp.base);
			return k;
		}
		if (resp.lock_ttl > 0) {
			if (resp.lock_info && resp.lock_info->use_async_commit) {
				bool expired = current_ts != UINT64_MAX &&
							   kv_ts_physical(current_ts) >=
								   kv_ts_physical(l->lock_version) + resp.lock_ttl;
				kv_store_response_clear(&resp.base);
				if (expired)
					return kv_fail(err, KV_ERR_INTERNAL,
								   "resolving an async-commit lock is not supported");
				out->ttl = 1;
				return KV_OK;
			}
			/* remaining ms by the TSO clock */
			uint64_t now_ms = current_ts == UINT64_MAX ? 0 : kv_ts_physical(current_ts);
			uint64_t exp_ms = kv_ts_physical(l->lock_version) + resp.lock_ttl;
			out->ttl = exp_ms > now_ms ? exp_ms - now_ms : 1;
			out->pushed = resp.action == KVRPCPB__ACTION__MinCommitTSPushed ||
						  (for_read && resp.lock_info &&
						   resp.lock_info->min_commit_ts > caller_ts);
			kv_store_response_clear(&resp.base);
			return KV_OK;
		}
		out->commit_ts = resp.commit_version;
		kv_store_response_clear(&resp.base);
		kv_status_cache_put(c, l->lock_version, out->commit_ts);
		return KV_OK;
	}
}

static kv_err
pessimistic_rollback_one(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l,
						 cm_error *err)
{
	for (;;) {
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, bo, l->key.data, l->key.len, &r, err) != CM_OK)
			return kv_from_cm(err);
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__PessimisticRollbackRequest req = KVRPCPB__PESSIMISTIC_ROLLBACK_REQUEST__INIT;
		req.context = &ctx;
		req.start_version = l->lock_version;
		req.for_update_ts = l->lock_for_update_ts ? l->lock_for_update_ts : UINT64_MAX;
		ProtobufCBinaryData key = l->key;
		req.keys = &key;
		req.n_keys = 1;
		Kvrpcpb__PessimisticRollbackResponse resp = KVRPCPB__PESSIMISTIC_ROLLBACK_RESPONSE__INIT;
		cm_status st = kv_store_pessimistic_rollback(c->store, &req, &resp, err);
		if (st != CM_OK) {
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			return KV_ERR_INTERNAL;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK)
				return kv_from_cm(err);
			continue;
		}
		kv_region_unref(r);
		kv_err k = KV_OK;
		if (resp.n_errors > 0 && resp.errors[0])
			k = kv_key_error(err, resp.errors[0]);
		kv_store_response_clear(&resp.base);
		return k;
	}
}

static kv_err
resolve_one(kv_client *c, kv_backoffer *bo, const Kvrpcpb__LockInfo *l, uint64_t commit_ts,
			resolved_region **done, size_t *n_done, cm_error *err)
{
	for (;;) {
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, bo, l->key.data, l->key.len, &r, err) != CM_OK)
			return kv_from_cm(err);
		bool lite = l->txn_size < KV_RESOLVE_LITE_THRESHOLD;
		if (!lite) {
			for (size_t i = 0; i < *n_done; i++) {
				if ((*done)[i].start_ts == l->lock_version && (*done)[i].region_id == r->id) {
					kv_region_unref(r);
					return KV_OK;
				}
			}
		}
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__ResolveLockRequest req = KVRPCPB__RESOLVE_LOCK_REQUEST__INIT;
		req.context = &ctx;
		req.start_version = l->lock_version;
		req.commit_version = commit_ts;
		ProtobufCBinaryData key = l->key;
		if (lite) {
			req.keys = &key;
			req.n_keys = 1;
		}
		Kvrpcpb__ResolveLockResponse resp = KVRPCPB__RESOLVE_LOCK_RESPONSE__INIT;
		cm_status st = kv_store_resolve_lock(c->store, &req, &resp, err);
		if (st != CM_OK) {
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			return KV_ERR_INTERNAL;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, false, err);
			kv_region_unref(r);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK)
				return kv_from_cm(err);
			continue;
		}
		kv_err k = KV_OK;
		if (resp.error)
			k = kv_key_error(err, resp.error);
		kv_store_response_clear(&resp.base);
		if (k == KV_OK && !lite) {
			resolved_region *nd = realloc(*done, (*n_done + 1) * sizeof(*nd));
			if (nd) {
				*done = nd;
				nd[(*n_done)++] = (resolved_region){l->lock_version, r->id};
			}
		}
		kv_region_unref(r);
		return k;
	}
}

/* Resolve one lock (a plain lock or one sharer of a shared lock). */
static kv_err
resolve_lock_info(kv_client *c, kv_backoffer *bo, uint64_t caller_ts, bool for_read,
				  const Kvrpcpb__LockInfo *l, uint64_t *ms_before_expired, kv_u64vec *pushed,
				  resolved_region **done, size_t *n_done, cm_error *err)
{
	txn_status ts;
	kv_err k = get_txn_status(c, bo, l, caller_ts, for_read, &ts, err);
	if (k != KV_OK)
		return k;
	if (ts.ttl > 0) {
		if (for_read && ts.pushed && pushed) {
			if (!kv_u64vec_has(pushed, l->lock_version))
				kv_u64vec_push(pushed, l->lock_version);
			return KV_OK;
		}
		if (*ms_before_expired == 0 || ts.ttl < *ms_before_expired)
			*ms_before_expired = ts.ttl;
		return KV_OK;
	}
	if (l->lock_type == KVRPCPB__OP__PessimisticLock ||
		l->lock_type == KVRPCPB__OP__SharedPessimisticLock)
		return pessimistic_rollback_one(c, bo, l, err);
	if (kv_key_cmp(l->key.data, l->key.len, l->primary_lock.data, l->primary_lock.len) == 0)
		return KV_OK; /* CheckTxnStatus already cleaned the primary */
	return resolve_one(c, bo, l, ts.commit_ts, done, n_done, err);
}

kv_err
kv_resolve_locks(kv_client *c, kv_backoffer *bo, uint64_t caller_ts, bool for_read,
				 Kvrpcpb__LockInfo *const *locks, size_t n, uint64_t *ms_before_expired,
				 kv_u64vec *pushed, cm_error *err)
{
	*ms_before_expired = 0;
	resolved_region *done = NULL;
	size_t n_done = 0;
	kv_err k = KV_OK;
	for (size_t i = 0; i < n && k == KV_OK; i++) {
		const Kvrpcpb__LockInfo *l = locks[i];
		if (!l)
			continue;
		if (l->lock_type == KVRPCPB__OP__SharedLock && l->n_shared_lock_infos > 0) {
			for (size_t j = 0; j < l->n_shared_lock_infos && k == KV_OK; j++) {
				const Kvrpcpb__LockInfo *sl = l->shared_lock_infos[j];
				if (sl && sl->lock_version != caller_ts)
					k = resolve_lock_info(c, bo, caller_ts, for_read, sl, ms_before_expired,
										  pushed, &done, &n_done, err);
			}
			continue;
		}
		k = resolve_lock_info(c, bo, caller_ts, for_read, l, ms_before_expired, pushed, &done,
							  &n_done, err);
	}
	free(done);
	return k;
}

kv_err
kv_resolve_and_wait(kv_client *c, kv_backoffer *bo, uint64_t caller_ts, bool for_read,
					Kvrpcpb__LockInfo *const *locks, size_t n, kv_u64vec *pushed, cm_error *err)
{
	uint64_t ms = 0;
	kv_err k = kv_resolve_locks(c, bo, caller_ts, for_read, locks, n, &ms, pushed, err);
	if (k != KV_OK)
		return k;
	if (ms > 0) {
		if (kv_backoff_max(bo, KV_BO_TXN_LOCK_FAST, (uint32_t) (ms > UINT32_MAX ? UINT32_MAX : ms),
						   err) != CM_OK)
			return kv_from_cm(err);
	}
	return KV_OK;
}
