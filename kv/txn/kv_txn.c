/*
 * kv_txn.c -- the transaction object: begin, statement timestamps, reads
 * merged with the write buffer, buffered writes, pessimistic locks and
 * savepoints.  Commit and rollback live in kv_commit.c.
 *
 * State machine (kv_txn_transition asserts legal moves):
 *   ACTIVE -> COMMITTING -> COMMITTED | ROLLED_BACK | UNDETERMINED
 *   ACTIVE -> ROLLED_BACK
 *
 * Pessimistic locks (facts §6.8): kv_txn_lock_keys sends
 * KvPessimisticLock at the statement's for_update_ts.  The first lock of
 * the txn fixes the primary (the smallest key of that call) and is sent
 * alone with is_first_lock; the txn then registers with the heartbeat
 * thread.  Waiting: the store waits at most its own cap per request
 * (TiKV's wait-for-lock-timeout); the client re-sends until its lock_timeout
 * / the statement deadline / cancel, resolving the holder's lock if the
 * holder died.  Deadlock -> KV_ERR_DEADLOCK; WriteConflict ->
 * KV_ERR_WRITE_CONFLICT.  On any failure the locks taken by the call are
 * rolled back (PessimisticRollback).
 *
 * Exported: kv_txn_options_init, kv_txn_begin, kv_txn_free, accessors,
 * kv_txn_stmt_begin, kv_txn_get, kv_txn_batch_get, kv_txn_iter,
 * kv_txn_set, kv_txn_delete, kv_txn_insert, kv_txn_lock_keys,
 * kv_txn_savepoint, kv_txn_rollback_to, kv_txn_release; internal:
 * kv_txn_transition, kv_txn_set_error_key, kv_txn_elapsed_ms,
 * kv_txn_pessimistic_rollback.
 */
#include "kv/txn/kv_txn_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Longest single PessimisticLock wait: the client re-sends after it, so a
 * cancel or a deadline is noticed within this time. */
#define LOCK_WAIT_SLICE_MS 250

static kv_err txn_check_active(kv_txn *t, cm_error *err);
static void txn_backoffer(kv_txn *t, kv_backoffer *bo, uint32_t budget);

/* ---- basics ------------------------------------------------------------------------- */

void
kv_txn_options_init(kv_txn_options *o)
{
	*o = (kv_txn_options){.mode = KV_TXN_OPTIMISTIC, .isolation = KV_ISO_SI};
}

void
kv_txn_transition(kv_txn *t, kv_txn_state to)
{
	bool ok = false;
	switch (t->state) {
	case KV_TXN_ACTIVE:
		ok = to == KV_TXN_COMMITTING || to == KV_TXN_ROLLED_BACK;
		break;
	case KV_TXN_COMMITTING:
		ok = to == KV_TXN_COMMITTED || to == KV_TXN_ROLLED_BACK || to == KV_TXN_UNDETERMINED;
		break;
	default:
		ok = false;
	}
	assert(ok && "illegal kv_txn state transition");
	(void) ok;
	t->state = to;
}

static kv_err
txn_check_active(kv_txn *t, cm_error *err)
{
	if (t->state != KV_TXN_ACTIVE)
		return kv_fail(err, KV_ERR_INTERNAL, "kv transaction is already finished");
	return KV_OK;
}

static void
txn_backoffer(kv_txn *t, kv_backoffer *bo, uint32_t budget)
{
	kv_backoffer_init(bo, budget, t->opts.cancel);
	kv_backoffer_set_deadline(bo, t->deadline_us);
}

uint64_t
kv_txn_elapsed_ms(const kv_txn *t)
{
	return (kv_now_us() - t->begin_us) / 1000u;
}

void
kv_txn_set_error_key(kv_txn *t, const uint8_t *key, size_t len)
{
	cm_buf_reset(&t->err_key);
	cm_buf_append(&t->err_key, key, len);
	t->has_err_key = true;
}

ProtobufCBinaryData
kv_txn_error_key(const kv_txn *t)
{
	if (!t->has_err_key)
		return (ProtobufCBinaryData){0, NULL};
	return (ProtobufCBinaryData){t->err_key.len, (uint8_t *) t->err_key.data};
}

kv_err
kv_txn_begin(kv_client *c, const kv_txn_options *opts, kv_txn **out, cm_error *err)
{
	*out = NULL;
	kv_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	t->client = c;
	if (opts)
		t->opts = *opts;
	else
		kv_txn_options_init(&t->opts);
	t->arena = cm_arena_create(0);
	cm_buf_init(&t->err_key);
	kv_mb_init(&t->mb, t->arena);
	if (t->opts.validate_reads && t->opts.fence_key && t->opts.fence_len) {
		/* SERIALIZABLE read set (kv_readset.c) */
		t->rs.on = true;
		t->rs.fence = cm_memdup(t->arena, t->opts.fence_key, t->opts.fence_len);
		t->rs.fence_len = t->opts.fence_len;
	}
	t->opts.fence_key = NULL; /* borrowed: not kept */
	t->begin_us = kv_now_us();
	if (t->opts.start_ts)
		t->start_ts = t->opts.start_ts;
	else {
		kv_backoffer bo;
		kv_backoffer_init(&bo, KV_BO_BUDGET_TSO_MS, t->opts.cancel);
		kv_err k = kv_client_ts(c, &bo, &t->start_ts, err);
		if (k != KV_OK) {
			kv_mb_free(&t->mb);
			cm_arena_destroy(t->arena);
			cm_buf_free(&t->err_key);
			free(t);
			return k;
		}
	}
	/* Keep GC away from everything this transaction may read. */
	if (kv_store_register_reader(c->store, t->start_ts, err) != CM_OK) {
		kv_mb_free(&t->mb);
		cm_arena_destroy(t->arena);
		cm_buf_free(&t->err_key);
		free(t);
		return cm_error_is(err, CM_E_SERIALIZATION_FAILURE) ? KV_ERR_TXN_ABORTED : KV_ERR_INTERNAL;
	}
	t->reader_registered = true;
	t->for_update_ts = t->max_for_update_ts = t->read_ts = t->start_ts;
	kv_snapshot_init(&t->snap, c, t->start_ts);
	t->snap.isolation = t->opts.isolation;
	t->snap.cancel = t->opts.cancel;
	t->state = KV_TXN_ACTIVE;
	*out = t;
	return KV_OK;
}

void
kv_txn_free(kv_txn *t)
{
	if (!t)
		return;
	if (t->state == KV_TXN_ACTIVE) {
		cm_error e = {0};
		if (kv_txn_rollback(t, &e) != KV_OK)
			cm_error_clear(&e); /* locks left behind expire by TTL */
		cm_error_clear(&e);
	}
	if (t->hb_registered)
		kv_hb_unregister(t->client, t->start_ts);
	if (t->reader_registered)
		kv_store_unregister_reader(t->client->store, t->start_ts);
	kv_snapshot_destroy(&t->snap);
	kv_rs_free(&t->rs);
	kv_mb_free(&t->mb);
	cm_arena_destroy(t->arena);
	cm_buf_free(&t->err_key);
	free(t);
}

uint64_t kv_txn_start_ts(const kv_txn *t) { return t->start_ts; }
uint64_t kv_txn_commit_ts(const kv_txn *t) { return t->commit_ts; }
uint64_t kv_txn_for_update_ts(const kv_txn *t) { return t->for_update_ts; }
uint64_t kv_txn_read_ts(const kv_txn *t) { return t->read_ts; }

bool
kv_txn_is_readonly(const kv_txn *t)
{
	for (kv_mb_node *n = kv_mb_first(&t->mb); n; n = kv_mb_next(n))
		if (n->op != KV_MB_NONE || (n->flags & KV_MB_F_PLOCKED))
			return false;
	return true;
}

/* [copr] see kv_txn.h */
bool
kv_txn_has_writes_in(const kv_txn *t, const uint8_t *start, size_t start_len, const uint8_t *end, size_t end_len)
{
	for (kv_mb_node *n = kv_mb_seek_ge(&t->mb, start, start_len); n; n = kv_mb_next(n)) {
		if (end_len && kv_key_cmp(n->key, n->klen, end, end_len) >= 0)
			break;
		if (n->op == KV_MB_PUT || n->op == KV_MB_DEL || n->op == KV_MB_INSERT)
			return true;
	}
	return false;
}

uint64_t kv_txn_deadline(const kv_txn *t) { return t->deadline_us; }

void
kv_txn_set_cancel(kv_txn *t, atomic_int *cancel)
{
	t->opts.cancel = cancel;
	t->snap.cancel = cancel;
}

void
kv_txn_set_deadline(kv_txn *t, uint64_t deadline_us)
{
	t->deadline_us = deadline_us;
	t->snap.deadline_us = deadline_us;
}

kv_err
kv_txn_stmt_begin(kv_txn *t, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	t->has_err_key = false;
	if (t->opts.mode != KV_TXN_PESSIMISTIC && t->opts.isolation != KV_ISO_RC)
		return KV_OK;
	kv_backoffer bo;
	txn_backoffer(t, &bo, KV_BO_BUDGET_TSO_MS);
	uint64_t ts;
	k = kv_client_ts(t->client, &bo, &ts, err);
	if (k != KV_OK)
		return k;
	if (t->opts.mode == KV_TXN_PESSIMISTIC) {
		t->for_update_ts = ts;
		if (ts > t->max_for_update_ts)
			t->max_for_update_ts = ts;
	}
	if (t->opts.isolation == KV_ISO_RC) {
		t->read_ts = ts;
		t->snap.ts = ts;
		/* resolved-lock lists are per read ts */
		t->snap.n_resolved = 0;
		t->snap.n_committed = 0;
	}
	return KV_OK;
}

/* ---- reads ------------------------------------------------------------------------- */

/* From the buffer: 1 = answered (out filled), 0 = ask the snapshot. */
static int
mb_read(kv_txn *t, cm_arena *a, const uint8_t *key, size_t len, kv_value *out)
{
	kv_mb_node *n = kv_mb_find(&t->mb, key, len);
	if (!n)
		return 0;
	switch (n->op) {
	case KV_MB_PUT:
	case KV_MB_INSERT:
		out->found = true;
		out->len = n->vlen;
		out->data = n->vlen ? cm_memdup(a, n->val, n->vlen) : NULL;
		return 1;
	case KV_MB_DEL:
		*out = (kv_value){0};
		return 1;
	default:
		return 0;
	}
}

kv_err
kv_txn_get(kv_txn *t, cm_arena *a, const uint8_t *key, size_t len, kv_value *out, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	if (mb_read(t, a, key, len, out))
		return KV_OK;
	kv_rs_add_point(t, key, len);
	return kv_snapshot_get(&t->snap, a, key, len, out, err);
}

kv_err
kv_txn_batch_get(kv_txn *t, cm_arena *a, const ProtobufCBinaryData *keys, size_t n,
				 kv_value *out, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
	ProtobufCBinaryData *rest = malloc((n ? n : 1) * sizeof(*rest));
	kv_value *vals = malloc((n ? n : 1) * sizeof(*vals));
	if (!idx || !rest || !vals) {
		free(idx);
		free(rest);
		free(vals);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		if (!mb_read(t, a, keys[i].data, keys[i].len, &out[i])) {
			idx[nr] = i;
			rest[nr++] = keys[i];
			kv_rs_add_point(t, keys[i].data, keys[i].len);
		}
	}
	if (nr > 0) {
		k = kv_snapshot_batch_get(&t->snap, a, rest, nr, vals, err);
		if (k == KV_OK)
			for (size_t i = 0; i < nr; i++)
				out[idx[i]] = vals[i];
	}
	free(idx);
	free(rest);
	free(vals);
	return k;
}

/* ---- merged iterator --------------------------------------------------------------- */

typedef struct txn_iter {
	kv_iter base;
	kv_txn *txn;
	kv_iter *snap;				/* snapshot iterator */
	kv_mb_node *mb;				/* current buffer node (may be a hidden one) */
	bool reverse;
	bool key_only;
	cm_buf lower, upper;
	/* current entry */
	bool valid;
	bool from_mb;
} txn_iter;

static bool ti_valid(const kv_iter *it);
static const uint8_t *ti_key(const kv_iter *it, size_t *len);
static const uint8_t *ti_value(const kv_iter *it, size_t *len);
static kv_err ti_next(kv_iter *it, cm_error *err);
static void ti_close(kv_iter *it);
static const kv_iter_vt txn_iter_vt = {ti_valid, ti_key, ti_value, ti_next, ti_close};

static bool
ti_in_range(const txn_iter *ti, const kv_mb_node *n)
{
	if (ti->lower.len && kv_key_cmp(n->key, n->klen, (const uint8_t *) ti->lower.data,
									ti->lower.len) < 0)
		return false;
	if (ti->upper.len && kv_key_cmp(n->key, n->klen, (const uint8_t *) ti->upper.data,
									ti->upper.len) >= 0)
		return false;
	return true;
}

static void
ti_mb_step(txn_iter *ti)
{
	ti->mb = ti->reverse ? kv_mb_prev(&ti->txn->mb, ti->mb) : kv_mb_next(ti->mb);
	if (ti->mb && !ti_in_range(ti, ti->mb))
		ti->mb = NULL;
}

/* Position on the next visible entry, given both cursors. */
static kv_err
ti_settle(txn_iter *ti, cm_error *err)
{
	for (;;) {
		/* skip buffer nodes that have no effect on reads */
		while (ti->mb && (ti->mb->op == KV_MB_NONE || ti->mb->op == KV_MB_LOCK))
			ti_mb_step(ti);
		bool sv = kv_iter_valid(ti->snap);
		if (!ti->mb && !sv) {
			ti->valid = false;
			return KV_OK;
		}
		int c;
		if (!ti->mb)
			c = 1; /* snapshot first */
		else if (!sv)
			c = -1;
		else {
			size_t sl;
			const uint8_t *sk = kv_iter_key(ti->snap, &sl);
			c = kv_key_cmp(ti->mb->key, ti->mb->klen, sk, sl);
			if (ti->reverse)
				c = -c;
		}
		if (c <= 0) {
			if (c == 0) {
				/* the buffer shadows the snapshot's version */
				kv_err k = kv_iter_next(ti->snap, err);
				if (k != KV_OK)
					return k;
			}
			if (ti->mb->op == KV_MB_DEL) {
				ti_mb_step(ti);
				continue;
			}
			ti->from_mb = true;
			ti->valid = true;
			return KV_OK;
		}
		ti->from_mb = false;
		ti->valid = true;
		return KV_OK;
	}
}

static bool
ti_valid(const kv_iter *it)
{
	return ((const txn_iter *) it)->valid;
}

static const uint8_t *
ti_key(const kv_iter *it, size_t *len)
{
	const txn_iter *ti = (const txn_iter *) it;
	if (ti->from_mb) {
		*len = ti->mb->klen;
		return ti->mb->key;
	}
	return kv_iter_key(ti->snap, len);
}

static const uint8_t *
ti_value(const kv_iter *it, size_t *len)
{
	const txn_iter *ti = (const txn_iter *) it;
	if (ti->from_mb) {
		*len = ti->mb->vlen;
		return ti->mb->val;
	}
	return kv_iter_value(ti->snap, len);
}

static kv_err
ti_next(kv_iter *it, cm_error *err)
{
	txn_iter *ti = (txn_iter *) it;
	if (!ti->valid)
		return KV_OK;
	if (ti->from_mb)
		ti_mb_step(ti);
	else {
		kv_err k = kv_iter_next(ti->snap, err);
		if (k != KV_OK) {
			ti->valid = false;
			return k;
		}
	}
	kv_err k = ti_settle(ti, err);
	if (k != KV_OK)
		ti->valid = false;
	return k;
}

static void
ti_close(kv_iter *it)
{
	txn_iter *ti = (txn_iter *) it;
	if (ti->txn->rs.on) {
		/* SERIALIZABLE: the part of the range the scan looked at, up to and
		 * including the snapshot entry it stopped on */
		const uint8_t *lo = (const uint8_t *) ti->lower.data, *hi = (const uint8_t *) ti->upper.data;
		size_t ll = ti->lower.len, hl = ti->upper.len;
		uint8_t *stop = NULL;
		if (ti->snap && kv_iter_valid(ti->snap)) {
			size_t sl;
			const uint8_t *sk = kv_iter_key(ti->snap, &sl);
			stop = malloc(sl + 1);
			if (stop) {
				memcpy(stop, sk, sl);
				if (ti->reverse) {
					lo = stop;
					ll = sl;
				} else {
					stop[sl] = 0; /* the next key after sk */
					hi = stop;
					hl = sl + 1;
				}
			}
		}
		kv_rs_add_range(ti->txn, lo, ll, hi, hl, ti->key_only);
		free(stop);
	}
	kv_iter_close(ti->snap);
	cm_buf_free(&ti->lower);
	cm_buf_free(&ti->upper);
	free(ti);
}

kv_err
kv_txn_iter(kv_txn *t, const kv_iter_options *o, kv_iter **out, cm_error *err)
{
	*out = NULL;
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	txn_iter *ti = calloc(1, sizeof(*ti));
	if (!ti)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	ti->base.vt = &txn_iter_vt;
	ti->txn = t;
	ti->reverse = o->reverse;
	ti->key_only = o->key_only;
	cm_buf_init(&ti->lower);
	cm_buf_init(&ti->upper);
	if (o->start_len)
		cm_buf_append(&ti->lower, o->start, o->start_len);
	if (o->end_len)
		cm_buf_append(&ti->upper, o->end, o->end_len);
	k = kv_snapshot_iter(&t->snap, o, &ti->snap, err);
	if (k != KV_OK) {
		cm_buf_free(&ti->lower);
		cm_buf_free(&ti->upper);
		free(ti);
		return k;
	}
	if (!o->reverse)
		ti->mb = kv_mb_seek_ge(&t->mb, o->start, o->start_len);
	else
		ti->mb = kv_mb_seek_lt(&t->mb, o->end, o->end_len);
	if (ti->mb && !ti_in_range(ti, ti->mb))
		ti->mb = NULL;
	k = ti_settle(ti, err);
	if (k != KV_OK) {
		ti_close(&ti->base);
		return k;
	}
	*out = &ti->base;
	return KV_OK;
}

/* ---- writes --------------------------------------------------------------------------- */

kv_err
kv_txn_set(kv_txn *t, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
		   cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	kv_mb_node *n = kv_mb_find(&t->mb, key, klen);
	/* a put over an own insert keeps the must-not-exist check */
	uint8_t op = (n && n->op == KV_MB_INSERT) ? KV_MB_INSERT : KV_MB_PUT;
	kv_mb_update(&t->mb, key, klen, op, val, vlen, false);
	return KV_OK;
}

kv_err
kv_txn_delete(kv_txn *t, const uint8_t *key, size_t klen, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	kv_mb_node *n = kv_mb_find(&t->mb, key, klen);
	if (n && n->op == KV_MB_INSERT) {
		/* insert then delete: the key did not exist before, so nothing to
		 * write -- but keep a Lock-free no-op (NONE) rather than a Del */
		kv_mb_update(&t->mb, key, klen, KV_MB_NONE, NULL, 0, false);
		return KV_OK;
	}
	kv_mb_update(&t->mb, key, klen, KV_MB_DEL, NULL, 0, false);
	return KV_OK;
}

kv_err
kv_txn_insert(kv_txn *t, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			  cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	kv_mb_node *n = kv_mb_find(&t->mb, key, klen);
	if (n && (n->op == KV_MB_PUT || n->op == KV_MB_INSERT)) {
		kv_txn_set_error_key(t, key, klen);
		return kv_fail(err, KV_ERR_KEY_EXISTS, "duplicate key value violates unique constraint");
	}
	/* delete then insert: the key exists in the store, replace it */
	uint8_t op = (n && n->op == KV_MB_DEL) ? KV_MB_PUT : KV_MB_INSERT;
	kv_mb_update(&t->mb, key, klen, op, val, vlen, false);
	return KV_OK;
}

/* ---- pessimistic locks ------------------------------------------------------------- */

/* Send PessimisticRollback for keys (one request per region). */
kv_err
kv_txn_pessimistic_rollback(kv_txn *t, kv_backoffer *bo, const ProtobufCBinaryData *keys,
							size_t n, cm_error *err)
{
	kv_client *c = t->client;
	kv_err first = KV_OK;
	if (n == 0)
		return KV_OK;
	kv_region_group *groups = NULL;
	size_t ng = 0;
	if (kv_region_cache_group_keys(c->regions, bo, keys, n, &groups, &ng, err) != CM_OK)
		return kv_from_cm(err);
	for (size_t g = 0; g < ng; g++) {
		ProtobufCBinaryData *gk = malloc(groups[g].n * sizeof(*gk));
		if (!gk) {
			first = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			break;
		}
		for (size_t j = 0; j < groups[g].n; j++)
			gk[j] = keys[groups[g].idx[j]];
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(groups[g].region, &ctx);
		Kvrpcpb__PessimisticRollbackRequest req = KVRPCPB__PESSIMISTIC_ROLLBACK_REQUEST__INIT;
		req.context = &ctx;
		req.start_version = t->start_ts;
		req.for_update_ts = UINT64_MAX;
		req.keys = gk;
		req.n_keys = groups[g].n;
		Kvrpcpb__PessimisticRollbackResponse resp = KVRPCPB__PESSIMISTIC_ROLLBACK_RESPONSE__INIT;
		cm_status st = kv_store_pessimistic_rollback(c->store, &req, &resp, err);
		bool region_err = st == CM_OK && resp.region_error;
		if (region_err) {
			cm_status rs = kv_region_cache_on_error(c->regions, bo, groups[g].region,
													resp.region_error, false, err);
			kv_store_response_clear(&resp.base);
			if (rs == CM_OK) {
				/* redo this group's keys against fresh regions */
				kv_err k = kv_txn_pessimistic_rollback(t, bo, gk, groups[g].n, err);
				if (k != KV_OK && first == KV_OK)
					first = k;
			} else if (first == KV_OK)
				first = kv_from_cm(err);
		} else if (st != CM_OK) {
			if (first == KV_OK)
				first = KV_ERR_INTERNAL;
		} else if (resp.n_errors > 0 && resp.errors[0] && first == KV_OK) {
			first = kv_key_error(err, resp.errors[0]);
		}
		if (!region_err)
			kv_store_response_clear(&resp.base);
		free(gk);
	}
	kv_region_groups_free(groups, ng);
	return first;
}

typedef struct lock_call {
	kv_txn *t;
	const kv_lock_options *o;
	cm_arena *a;
	kv_value *results;
	const ProtobufCBinaryData *keys;	/* all keys of the call */
	uint64_t for_update_ts;
	int64_t wait_ms;
	uint64_t wait_deadline_us;		/* 0 = no lock_timeout */
} lock_call;

/* Lock the keys idx[0..n) of the call, all in region r's range or not (region
 * errors re-group).  On KV_OK every key is locked (or skipped because
 * lock_only_if_exists and missing). */
static kv_err lock_keys_once(lock_call *lc, kv_backoffer *bo, const size_t *idx, size_t n,
							 bool first_lock, cm_error *err);

static kv_err
lock_group(lock_call *lc, kv_backoffer *bo, kv_region *r, const size_t *idx, size_t n,
		   bool first_lock, cm_error *err)
{
	kv_txn *t = lc->t;
	kv_client *c = t->client;
	Kvrpcpb__Mutation *muts = malloc(n * sizeof(*muts));
	Kvrpcpb__Mutation **mp = malloc(n * sizeof(*mp));
	if (!muts || !mp) {
		free(muts);
		free(mp);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		kvrpcpb__mutation__init(&muts[i]);
		muts[i].op = lc->o->shared ? KVRPCPB__OP__SharedPessimisticLock
								   : KVRPCPB__OP__PessimisticLock;
		muts[i].key = lc->keys[idx[i]];
		mp[i] = &muts[i];
	}
	kv_err result = KV_OK;
	bool resolved_some = false; /* last round cleaned a dead holder's lock */
	for (;;) {
		int64_t wait;
		if (lc->wait_ms < 0)
			wait = -1;
		else {
			uint64_t now = kv_now_us();
			uint64_t dl = lc->wait_deadline_us;
			if (t->deadline_us && (!dl || t->deadline_us < dl))
				dl = t->deadline_us;
			if (dl && now >= dl && resolved_some) {
				/* the holder was dead and its lock is gone: one last try */
				wait = -1;
			} else if (dl) {
				if (now >= dl) {
					result = (lc->wait_deadline_us && dl == lc->wait_deadline_us)
								 ? kv_fail(err, KV_ERR_LOCK_WAIT_TIMEOUT,
										   "canceling statement due to lock timeout")
								 : kv_fail(err, KV_ERR_CANCELED,
										   "canceling statement due to statement timeout");
					break;
				}
				wait = (int64_t) ((dl - now + 999) / 1000);
			} else
				wait = LOCK_WAIT_SLICE_MS;
			/* re-send at least every slice so that cancel is seen promptly */
			if (wait > LOCK_WAIT_SLICE_MS)
				wait = LOCK_WAIT_SLICE_MS;
		}
		if (kv_backoffer_check(bo, err) != CM_OK) {
			result = kv_from_cm(err);
			break;
		}
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__PessimisticLockRequest req = KVRPCPB__PESSIMISTIC_LOCK_REQUEST__INIT;
		req.context = &ctx;
		req.mutations = mp;
		req.n_mutations = n;
		req.primary_lock = (ProtobufCBinaryData){t->primary_len, t->primary};
		req.start_version = t->start_ts;
		req.for_update_ts = lc->for_update_ts;
		req.lock_ttl = kv_txn_elapsed_ms(t) + c->opts.managed_lock_ttl_ms;
		req.is_first_lock = first_lock;
		req.wait_timeout = wait;
		req.return_values = lc->o->return_values;
		req.check_existence = lc->o->check_existence || lc->o->lock_only_if_exists;
		req.lock_only_if_exists = lc->o->lock_only_if_exists;
		req.min_commit_ts = lc->for_update_ts + 1;
		Kvrpcpb__PessimisticLockResponse resp = KVRPCPB__PESSIMISTIC_LOCK_RESPONSE__INIT;
		cm_status st = kv_store_pessimistic_lock(c->store, &req, &resp, err);
		if (st != CM_OK) {
			kv_store_response_clear(&resp.base);
			result = KV_ERR_INTERNAL;
			break;
		}
		if (resp.region_error) {
			cm_status rs =
				kv_region_cache_on_error(c->regions, bo, r, resp.region_error, false, err);
			kv_store_response_clear(&resp.base);
			if (rs != CM_OK) {
				result = kv_from_cm(err);
				break;
			}
			result = lock_keys_once(lc, bo, idx, n, first_lock, err);
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
				if (ke->locked && !ke->deadlock) {
					if (locks)
						locks[nl++] = ke->locked;
					continue;
				}
				if (hard == KV_OK) {
					hard = kv_key_error(err, ke);
					if (ke->conflict)
						kv_txn_set_error_key(t, ke->conflict->key.data, ke->conflict->key.len);
					else if (ke->deadlock) {
						kv_txn_set_error_key(t, ke->deadlock->lock_key.data,
											 ke->deadlock->lock_key.len);
						/* as PostgreSQL words it, with start_ts for ids */
						cm_error_detail(err,
										"Transaction %llu waits for ShareLock on transaction %llu; "
										"blocked by transaction %llu.\nTransaction %llu waits, "
										"directly or not, for transaction %llu.",
										(unsigned long long) t->start_ts,
										(unsigned long long) ke->deadlock->lock_ts,
										(unsigned long long) ke->deadlock->lock_ts,
										(unsigned long long) ke->deadlock->lock_ts,
										(unsigned long long) t->start_ts);
						cm_error_hint(err, "See server log for query details.");
					}
				}
			}
			if (hard != KV_OK) {
				free(locks);
				kv_store_response_clear(&resp.base);
				result = hard;
				break;
			}
			if (!locks) {
				kv_store_response_clear(&resp.base);
				result = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
				break;
			}
			if (lc->wait_ms < 0) {
				/* NOWAIT: a dead holder's lock does not count -- resolve it
				 * and try once more; a live one fails the statement */
				uint64_t ms = 0;
				kv_err rk = resolved_some ? KV_OK
							: kv_resolve_locks(c, bo, t->start_ts, false, locks, nl, &ms, NULL,
											   err);
				if (rk == KV_OK && ms == 0 && !resolved_some) {
					resolved_some = true;
					free(locks);
					kv_store_response_clear(&resp.base);
					continue;
				}
				if (rk != KV_OK) {
					free(locks);
					kv_store_response_clear(&resp.base);
					result = rk;
					break;
				}
				kv_txn_set_error_key(t, locks[0]->key.data, locks[0]->key.len);
				free(locks);
				kv_store_response_clear(&resp.base);
				result = kv_fail(err, KV_ERR_LOCK_WAIT_TIMEOUT,
								 "could not obtain lock on row");
				break;
			}
			/* waited (up to the store's cap) and still locked: resolve a dead
			 * holder, else loop (the wait itself was the backoff) */
			uint64_t ms = 0;
			kv_err k = kv_resolve_locks(c, bo, t->start_ts, false, locks, nl, &ms, NULL, err);
			bool was_last = resolved_some;
			resolved_some = k == KV_OK && ms == 0;
			if (k == KV_OK && lc->wait_deadline_us && kv_now_us() >= lc->wait_deadline_us &&
				(!resolved_some || was_last)) {
				kv_txn_set_error_key(t, locks[0]->key.data, locks[0]->key.len);
				k = kv_fail(err, KV_ERR_LOCK_WAIT_TIMEOUT,
							"canceling statement due to lock timeout");
			}
			free(locks);
			kv_store_response_clear(&resp.base);
			if (k != KV_OK) {
				result = k;
				break;
			}
			continue;
		}
		/* success: record results and flags.  Drivers answer either with
		 * the legacy values / not_founds arrays or with results[]. */
		for (size_t i = 0; i < n; i++) {
			size_t oi = idx[i];
			bool found = true;
			ProtobufCBinaryData val = {0, NULL};
			if (i < resp.n_not_founds) {
				found = !resp.not_founds[i];
				if (i < resp.n_values)
					val = resp.values[i];
			} else if (i < resp.n_results && resp.results[i]) {
				const Kvrpcpb__PessimisticLockKeyResult *kr = resp.results[i];
				found = kr->existence || kr->value.len > 0;
				val = kr->value;
				if (kr->type == KVRPCPB__PESSIMISTIC_LOCK_KEY_RESULT_TYPE__LockResultFailed)
					found = false;
			} else if (i < resp.n_values) {
				val = resp.values[i];
				found = val.len > 0;
			}
			if (lc->results) {
				lc->results[oi].found = found;
				lc->results[oi].len = val.len;
				lc->results[oi].data =
					(val.len && lc->a) ? cm_memdup(lc->a, val.data, val.len) : NULL;
			}
			if (lc->o->lock_only_if_exists && !found)
				continue; /* the store did not lock it */
			kv_mb_node *nd = kv_mb_get_or_add(&t->mb, lc->keys[oi].data, lc->keys[oi].len);
			if (!(nd->flags & KV_MB_F_PLOCKED)) {
				kv_mb_set_flags(&t->mb, nd,
								nd->flags | KV_MB_F_PLOCKED | (lc->o->shared ? KV_MB_F_SHARED : 0));
				t->n_plocked++;
			} else if (!lc->o->shared && (nd->flags & KV_MB_F_SHARED))
				kv_mb_set_flags(&t->mb, nd, nd->flags & ~KV_MB_F_SHARED); /* upgraded */
		}
		kv_store_response_clear(&resp.base);
		break;
	}
	free(muts);
	free(mp);
	return result;
}

static kv_err
lock_keys_once(lock_call *lc, kv_backoffer *bo, const size_t *idx, size_t n, bool first_lock,
			   cm_error *err)
{
	kv_client *c = lc->t->client;
	ProtobufCBinaryData *ks = malloc(n * sizeof(*ks));
	if (!ks)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++)
		ks[i] = lc->keys[idx[i]];
	kv_region_group *groups = NULL;
	size_t ng = 0;
	if (kv_region_cache_group_keys(c->regions, bo, ks, n, &groups, &ng, err) != CM_OK) {
		free(ks);
		return kv_from_cm(err);
	}
	free(ks);
	kv_err k = KV_OK;
	for (size_t g = 0; g < ng && k == KV_OK; g++) {
		size_t *gi = malloc(groups[g].n * sizeof(size_t));
		if (!gi) {
			k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			break;
		}
		for (size_t j = 0; j < groups[g].n; j++)
			gi[j] = idx[groups[g].idx[j]];
		k = lock_group(lc, bo, groups[g].region, gi, groups[g].n, first_lock, err);
		free(gi);
	}
	kv_region_groups_free(groups, ng);
	return k;
}

/* Undo hook for failed lock calls / savepoint rollbacks: collects keys. */
typedef struct unlock_list {
	kv_txn *t;
	ProtobufCBinaryData *keys;
	size_t n, cap;
} unlock_list;

static void
collect_unlock(void *arg, kv_mb_node *n)
{
	unlock_list *ul = arg;
	if (ul->n == ul->cap) {
		size_t nc = ul->cap ? ul->cap * 2 : 16;
		ProtobufCBinaryData *nk = realloc(ul->keys, nc * sizeof(*nk));
		if (!nk)
			return; /* the lock then expires by TTL */
		ul->keys = nk;
		ul->cap = nc;
	}
	ul->keys[ul->n++] = (ProtobufCBinaryData){n->klen, n->key};
	ul->t->n_plocked--;
}

/* After locks were released: if the primary is no longer locked (and nothing
 * else is), forget it so the next lock picks a new one. */
static void
maybe_reset_primary(kv_txn *t)
{
	if (t->n_plocked == 0 && t->primary) {
		t->primary = NULL;
		t->primary_len = 0;
		if (t->hb_registered) {
			kv_hb_unregister(t->client, t->start_ts);
			t->hb_registered = false;
		}
	}
}

kv_err
kv_txn_lock_keys(kv_txn *t, cm_arena *a, const ProtobufCBinaryData *keys, size_t n,
				 const kv_lock_options *opts, kv_value *results, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	kv_lock_options defaults = {0};
	if (!opts)
		opts = &defaults;
	if (results)
		for (size_t i = 0; i < n; i++)
			results[i] = (kv_value){0};
	if (n == 0)
		return KV_OK;

	if (t->opts.mode != KV_TXN_PESSIMISTIC) {
		/* optimistic: lock-only marks, checked for conflicts at commit */
		for (size_t i = 0; i < n; i++) {
			kv_mb_node *nd = kv_mb_find(&t->mb, keys[i].data, keys[i].len);
			if (!nd || nd->op == KV_MB_NONE)
				kv_mb_update(&t->mb, keys[i].data, keys[i].len, KV_MB_LOCK, NULL, 0, false);
		}
		if (results && (opts->return_values || opts->check_existence)) {
			kv_value *v = malloc(n * sizeof(*v));
			if (!v)
				return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
			k = kv_txn_batch_get(t, a, keys, n, v, err);
			if (k == KV_OK)
				memcpy(results, v, n * sizeof(*v));
			free(v);
		}
		return k;
	}

	/* skip keys already locked by us (unless values are wanted) */
	size_t *idx = malloc(n * sizeof(size_t));
	if (!idx)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	size_t m = 0;
	bool want_results = results && (opts->return_values || opts->check_existence);
	for (size_t i = 0; i < n; i++) {
		kv_mb_node *nd = kv_mb_find(&t->mb, keys[i].data, keys[i].len);
		/* held already (a shared request is satisfied by any lock of ours;
		 * an exclusive one by an exclusive lock) */
		if (nd && (nd->flags & KV_MB_F_PLOCKED) &&
			(opts->shared || !(nd->flags & KV_MB_F_SHARED)) && !want_results &&
			!opts->snapshot_check)
			continue;
		idx[m++] = i;
	}
	if (m == 0) {
		free(idx);
		return KV_OK;
	}

	lock_call lc = {
		.t = t, .o = opts, .a = a, .results = results, .keys = keys,
		.for_update_ts = opts->snapshot_check ? t->start_ts : t->for_update_ts,
		.wait_ms = opts->wait_ms,
	};
	if (opts->wait_ms > 0)
		lc.wait_deadline_us = kv_now_us() + (uint64_t) opts->wait_ms * 1000u;
	kv_backoffer bo;
	txn_backoffer(t, &bo, 0); /* waits are bounded by lock_timeout / cancel */

	/* a savepoint around the call: on failure, release what it locked */
	uint32_t mark = kv_mb_mark(&t->mb);
	bool set_primary = false;
	if (!t->primary) {
		/* primary = smallest key of the call, locked alone first */
		size_t pi = 0;
		for (size_t i = 1; i < m; i++)
			if (kv_key_cmp(keys[idx[i]].data, keys[idx[i]].len, keys[idx[pi]].data,
						   keys[idx[pi]].len) < 0)
				pi = i;
		t->primary = cm_memdup(t->arena, keys[idx[pi]].data, keys[idx[pi]].len ? keys[idx[pi]].len : 1);
		t->primary_len = keys[idx[pi]].len;
		set_primary = true;
		size_t one = idx[pi];
		/* the primary is always locked, even when missing: other locks of
		 * the txn point at it */
		kv_lock_options po = *opts;
		po.check_existence = opts->check_existence || opts->lock_only_if_exists;
		po.lock_only_if_exists = false;
		lc.o = &po;
		k = lock_keys_once(&lc, &bo, &one, 1, true, err);
		lc.o = opts;
		if (k == KV_OK) {
			idx[pi] = idx[m - 1];
			m--;
			if (!t->hb_registered)
				t->hb_registered = kv_hb_register(t->client, t->start_ts, t->primary,
												  t->primary_len);
		}
	}
	if (k == KV_OK && m > 0)
		k = lock_keys_once(&lc, &bo, idx, m, false, err);
	free(idx);

	if (k != KV_OK) {
		unlock_list ul = {.t = t};
		kv_mb_rollback_to(&t->mb, mark, collect_unlock, &ul);
		kv_mb_release(&t->mb, mark);
		if (ul.n > 0) {
			kv_backoffer rb;
			kv_backoffer_init(&rb, KV_BO_BUDGET_PESSIMISTIC_ROLLBACK_MS, NULL);
			cm_error e2 = {0};
			if (kv_txn_pessimistic_rollback(t, &rb, ul.keys, ul.n, &e2) != KV_OK)
				cm_error_clear(&e2); /* they expire by TTL */
			cm_error_clear(&e2);
		}
		free(ul.keys);
		if (set_primary)
			maybe_reset_primary(t);
		return k;
	}
	kv_mb_release(&t->mb, mark);
	if (t->for_update_ts > t->max_for_update_ts)
		t->max_for_update_ts = t->for_update_ts;
	return KV_OK;
}

/* ---- savepoints ------------------------------------------------------------------- */

kv_savepoint
kv_txn_savepoint(kv_txn *t)
{
	return kv_mb_mark(&t->mb);
}

kv_err
kv_txn_rollback_to(kv_txn *t, kv_savepoint sp, cm_error *err)
{
	kv_err k = txn_check_active(t, err);
	if (k != KV_OK)
		return k;
	unlock_list ul = {.t = t};
	kv_mb_rollback_to(&t->mb, sp, collect_unlock, &ul);
	if (ul.n > 0) {
		kv_backoffer bo;
		kv_backoffer_init(&bo, KV_BO_BUDGET_PESSIMISTIC_ROLLBACK_MS, NULL);
		k = kv_txn_pessimistic_rollback(t, &bo, ul.keys, ul.n, err);
	}
	free(ul.keys);
	maybe_reset_primary(t);
	return k;
}

void
kv_txn_release(kv_txn *t, kv_savepoint sp)
{
	kv_mb_release(&t->mb, sp);
}
