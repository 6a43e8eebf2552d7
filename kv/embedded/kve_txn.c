/*
 * kve_txn.c -- Percolator write commands of the embedded store:
 * KvPrewrite (with 1PC and async commit), KvCommit, KvBatchRollback,
 * KvCleanup, KvCheckTxnStatus, KvResolveLock, KvTxnHeartBeat,
 * KvCheckSecondaryLocks.  Effects follow TiKV (kv-protocol-facts §5.5).
 *
 * Every command: check the region (error -> response.region_error), latch
 * its keys, read the current lock / write records, stage a write batch,
 * write it through group commit (one synced WAL write, shared with
 * concurrent commands), release the latches.  A command that answers with
 * a KeyError writes nothing (the client retries or resolves and re-sends).
 *
 * Exported: the kve_* command functions and the shared actions
 * kve_act_rollback / kve_act_commit_lock (kve_internal.h).
 */
#include "kv/embedded/kve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared actions ------------------------------------------------------- */

static bool
lock_expired(const kve_lock *l, uint64_t current_ts)
{
	return kv_ts_physical(current_ts) >= kv_ts_physical(l->start_ts) + l->ttl;
}

static void
put_write(kve_cmd *c, const uint8_t *dk, size_t dkn, uint64_t ts, const kve_write *w)
{
	size_t kn, vn;
	uint8_t *k = kve_ts_key(c->a, dk, dkn, ts, &kn);
	uint8_t *v = kve_write_encode(c->a, w, &vn);
	kve_batch_put(c, KVE_CF_WRITE, k, kn, v, vn);
}

cm_status
kve_act_rollback(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk, size_t dkn,
				 uint64_t start_ts, kve_lock *lock, cm_error *err)
{
	if (lock && lock->type == 'H') {
		kve_act_release(c, raw, rawn, dk, dkn, lock, start_ts); /* sub-locks have no value */
	} else if (lock) {
		kve_batch_del(c, KVE_CF_LOCK, dk, dkn);
		if (lock->type == 'P' && !lock->has_short_value) {
			size_t kn;
			uint8_t *k = kve_ts_key(c->a, dk, dkn, start_ts, &kn);
			kve_batch_del(c, KVE_CF_DEFAULT, k, kn);
		}
		kve_cmd_released(c, raw, rawn);
	}
	/* a record at exactly (key, start_ts): ours already, or another txn's
	 * commit at our start_ts (then flag it instead of overwriting) */
	size_t kn;
	uint8_t *k = kve_ts_key(c->a, dk, dkn, start_ts, &kn);
	kve_slice cur;
	int r = kve_get_cf(c->s, c->s->ro, KVE_CF_WRITE, c->a, k, kn, &cur, err);
	if (r < 0)
		return CM_ERROR;
	if (r > 0) {
		kve_write w;
		if (!kve_write_decode(cur.p, cur.n, &w))
			return cm_error_set(err, CM_E_DATA_CORRUPTED, "embedded store: bad write record");
		if (w.start_ts == start_ts || w.overlapped_rollback)
			return CM_OK;
		w.overlapped_rollback = true;
		put_write(c, dk, dkn, start_ts, &w);
		return CM_OK;
	}
	/* protected rollback: short value "p" keeps it from being collapsed */
	kve_write w = { .type = 'R', .start_ts = start_ts, .has_short_value = true,
					.short_value = { (const uint8_t *) "p", 1 } };
	put_write(c, dk, dkn, start_ts, &w);
	return CM_OK;
}

void
kve_act_commit_lock(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk, size_t dkn,
					kve_lock *lock, uint64_t start_ts, uint64_t commit_ts)
{
	const kve_lock *mine = kve_lock_mine(lock, start_ts);
	if (!mine)
		return;
	/* a shared lock commits as a Lock record, as any lock-only key: a later
	 * exclusive locker at an older for_update_ts sees it as a conflict */
	kve_write w = { .type = mine->type, .start_ts = start_ts };
	if (mine->type == 'P' && mine->has_short_value) {
		w.has_short_value = true;
		w.short_value = mine->short_value;
	}
	put_write(c, dk, dkn, commit_ts, &w);
	kve_act_release(c, raw, rawn, dk, dkn, lock, start_ts);
}

static void
put_lock(kve_cmd *c, const uint8_t *dk, size_t dkn, const kve_lock *l)
{
	kve_put_lock(c, dk, dkn, l);
}

/* Write the staged batch and account it to the region. */
static cm_status
finish_write(kve_cmd *c, uint64_t region_id, cm_error *err)
{
	uint64_t bytes = c->b.bytes;
	if (kve_cmd_write(c, err) != CM_OK)
		return CM_ERROR;
	c->note_region = region_id;
	c->note_bytes += bytes;
	return CM_OK;
}

static void
discard(kve_cmd *c)
{
	c->b.n = 0;
	c->b.bytes = 0;
	c->n_released = 0;
}

static uint8_t *
dkey(kve_cmd *c, const ProtobufCBinaryData *k, size_t *dkn)
{
	return kve_data_key(c->a, k->data, k->len, dkn);
}

/* ---- KvPrewrite --------------------------------------------------------------- */

typedef struct pending {
	const ProtobufCBinaryData *key;
	uint8_t *dk;
	size_t dkn;
	kve_lock lock;
	const ProtobufCBinaryData *value;
	bool had_lock;	/* own pessimistic lock being converted */
	bool drop_only;	/* CheckNotExists on an own pessimistic lock */
	bool shared;	/* SharedLock: lock is a sub-lock of container cont */
	kve_lock cont;
} pending;

cm_status
kve_prewrite(kv_store *st, const Kvrpcpb__PrewriteRequest *req, Kvrpcpb__PrewriteResponse *resp,
			 cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	size_t n = req->n_mutations;
	ProtobufCBinaryData *keys = cm_alloc(c.a, sizeof(ProtobufCBinaryData) * (n + 1));
	for (size_t i = 0; i < n; i++)
		keys[i] = req->mutations[i]->key;
	kve_bounds b;
	resp->region_error = kve_region_check(s, c.a, req->context, keys, n, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, keys, n);

	const uint64_t start = req->start_version;
	const bool pessimistic = req->for_update_ts > 0;
	pending *pend = cm_alloc(c.a, sizeof(pending) * (n + 1));
	size_t np = 0;
	Kvrpcpb__KeyError *fatal = NULL;
	kve_versions v;
	kve_versions_open(&v, s, s->ro, c.a);

	for (size_t i = 0; i < n && !fatal; i++) {
		const Kvrpcpb__Mutation *m = req->mutations[i];
		const ProtobufCBinaryData *key = &m->key;
		Kvrpcpb__PrewriteRequest__PessimisticAction act =
			pessimistic && i < req->n_pessimistic_actions
				? req->pessimistic_actions[i]
				: KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__SKIP_PESSIMISTIC_CHECK;
		size_t dkn;
		uint8_t *dk = dkey(&c, key, &dkn);
		kve_lock cur;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &cur, err);
		if (r < 0) {
			rc = CM_ERROR;
			break;
		}
		bool converting = false;
		bool shared_op = m->op == KVRPCPB__OP__SharedLock;
		kve_lock *mine = r > 0 ? kve_lock_mine(&cur, start) : NULL;
		if (r > 0 && cur.type == 'H') {
			/* shared: compatible with a SharedLock; anything else needs us
			 * to be the only sharer (an upgrade) */
			if (!shared_op && !(mine && cur.n_shared == 1)) {
				kve_push_key_error(&resp->errors, &resp->n_errors,
								   kve_key_error_locked(&cur, key->data, key->len));
				continue;
			}
		} else if (r > 0 && !mine) {
			kve_push_key_error(&resp->errors, &resp->n_errors,
							   kve_key_error_locked(&cur, key->data, key->len));
			continue;
		} else if (r > 0 && shared_op)
			shared_op = false; /* we hold it exclusively: prewrite a plain Lock */
		if (mine) {
			if (mine->type != 'S')
				continue; /* already prewritten: idempotent */
			converting = true;
		} else if (act == KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_PESSIMISTIC_CHECK) {
			uint64_t cts;
			kve_write w;
			int f = kve_find_txn_write(s, c.a, dk, dkn, start, &cts, &w, err);
			if (f < 0) {
				rc = CM_ERROR;
				break;
			}
			if (f > 0 && w.type != 'R')
				continue; /* committed already: a retried prewrite */
			fatal = kve_key_error_abort("pessimistic lock not found");
			break;
		}
		if (!converting) {
			uint64_t cts;
			kve_write w;
			int f = kve_versions_seek(&v, dk, dkn, UINT64_MAX, &cts, &w, err);
			if (f < 0) {
				rc = CM_ERROR;
				break;
			}
			if (f > 0 && cts >= start) {
				uint64_t own_cts;
				kve_write own;
				int g = kve_find_txn_write(s, c.a, dk, dkn, start, &own_cts, &own, err);
				if (g < 0) {
					rc = CM_ERROR;
					break;
				}
				if (g > 0 && own.type == 'R') {
					fatal = kve_key_error_conflict(start, start, 0, key->data, key->len,
												   req->primary_lock.data, req->primary_lock.len,
												   KVRPCPB__WRITE_CONFLICT__REASON__SelfRolledBack);
					break;
				}
				if (g > 0)
					continue; /* committed already */
				uint64_t limit = pessimistic ? req->for_update_ts : start;
				if (cts > limit) {
					Kvrpcpb__WriteConflict__Reason reason =
						!pessimistic ? KVRPCPB__WRITE_CONFLICT__REASON__Optimistic
						: act == KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_CONSTRAINT_CHECK
							? KVRPCPB__WRITE_CONFLICT__REASON__LazyUniquenessCheck
							: KVRPCPB__WRITE_CONFLICT__REASON__PessimisticRetry;
					fatal = kve_key_error_conflict(start, w.start_ts, cts, key->data, key->len,
												   req->primary_lock.data, req->primary_lock.len,
												   reason);
					break;
				}
			}
		}
		bool check_exists =
			(m->op == KVRPCPB__OP__Insert || m->op == KVRPCPB__OP__CheckNotExists) &&
			(!req->skip_constraint_check ||
			 act == KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_CONSTRAINT_CHECK);
		if (check_exists) {
			kve_slice val;
			uint64_t cts;
			int g = kve_mvcc_get(s, s->ro, &v, dk, dkn, UINT64_MAX, &val, &cts, err);
			if (g < 0) {
				rc = CM_ERROR;
				break;
			}
			if (g > 0) {
				Kvrpcpb__KeyError *e = kve_key_error_abort("key already exists");
				free(e->abort);
				e->abort = NULL;
				e->already_exist = malloc(sizeof *e->already_exist);
				if (!e->already_exist)
					abort();
				kvrpcpb__already_exist__init(e->already_exist);
				kve_bin_set(&e->already_exist->key, key->data, key->len);
				fatal = e;
				break;
			}
		}
		if (m->op == KVRPCPB__OP__CheckNotExists) {
			if (converting) {
				/* nothing to write; a 1PC commit drops the pessimistic lock, 2PC
				 * leaves it to the txn's commit / rollback (as TiKV) */
				pending *p = &pend[np++];
				memset(p, 0, sizeof *p);
				p->key = key;
				p->dk = dk;
				p->dkn = dkn;
				p->had_lock = true;
				p->drop_only = true;
				p->cont = cur;
			}
			continue;
		}
		char type;
		switch (m->op) {
		case KVRPCPB__OP__Put:
		case KVRPCPB__OP__Insert:
			type = 'P';
			break;
		case KVRPCPB__OP__Del:
			type = 'D';
			break;
		case KVRPCPB__OP__Lock:
		case KVRPCPB__OP__SharedLock:
			type = 'L';
			break;
		default: {
			char msg[64];
			snprintf(msg, sizeof msg, "unsupported mutation op %d in prewrite", (int) m->op);
			fatal = kve_key_error_abort(msg);
			continue;
		}
		}
		if (shared_op && req->use_async_commit) {
			fatal = kve_key_error_abort("shared locks cannot use async commit");
			continue;
		}
		pending *p = &pend[np++];
		memset(p, 0, sizeof *p);
		p->key = key;
		p->dk = dk;
		p->dkn = dkn;
		p->had_lock = converting;
		p->value = &m->value;
		p->shared = shared_op;
		if (shared_op) {
			if (r > 0)
				p->cont = cur;
			else
				kve_shared_init(&p->cont);
		}
		kve_lock *l = &p->lock;
		l->type = type;
		l->primary = (kve_slice){ req->primary_lock.data, req->primary_lock.len };
		l->start_ts = start;
		l->ttl = req->lock_ttl;
		l->for_update_ts = pessimistic ? req->for_update_ts : 0;
		l->txn_size = req->txn_size;
		l->min_commit_ts = req->min_commit_ts;
		if (type == 'P' && m->value.len <= KVE_SHORT_VALUE_MAX) {
			l->has_short_value = true;
			l->short_value = (kve_slice){ m->value.data, m->value.len };
		}
		if (req->use_async_commit) {
			l->use_async_commit = true;
			if (kve_cmp(key->data, key->len, req->primary_lock.data, req->primary_lock.len) == 0) {
				l->n_secondaries = req->n_secondaries;
				l->secondaries = cm_alloc(c.a, sizeof(kve_slice) * (req->n_secondaries + 1));
				for (size_t k = 0; k < req->n_secondaries; k++)
					l->secondaries[k] = (kve_slice){ req->secondaries[k].data,
													 req->secondaries[k].len };
			}
		}
	}
	kve_versions_close(&v);
	if (rc != CM_OK)
		goto out;
	if (fatal) {
		for (size_t i = 0; i < resp->n_errors; i++)
			kvrpcpb__key_error__free_unpacked(resp->errors[i], NULL);
		free(resp->errors);
		resp->errors = NULL;
		resp->n_errors = 0;
		kve_push_key_error(&resp->errors, &resp->n_errors, fatal);
		goto out;
	}
	if (resp->n_errors)
		goto out;

	/* choose the commit ts for 1PC / min_commit_ts for async commit; readers
	 * of these keys are held off (in-memory lock) until the write lands */
	kve_memlock *ml = NULL;
	uint64_t one_pc_ts = 0, async_min = 0;
	if ((req->try_one_pc || req->use_async_commit) && np > 0) {
		uint64_t *hs = cm_alloc(c.a, sizeof(uint64_t) * np);
		for (size_t i = 0; i < np; i++)
			hs[i] = kve_hash(pend[i].key->data, pend[i].key->len);
		ml = kve_memlock_add(s, hs, np, 0);
		uint64_t ts;
		if (kve_tso_get(s, 1, &ts, err) != CM_OK) {
			kve_memlock_remove(s, ml);
			rc = CM_ERROR;
			goto out;
		}
		if (ts < req->min_commit_ts)
			ts = req->min_commit_ts;
		if (req->max_commit_ts && ts > req->max_commit_ts) {
			/* cannot commit in time: fall back to ordinary 2PC */
			kve_memlock_remove(s, ml);
			ml = NULL;
		} else if (req->try_one_pc) {
			one_pc_ts = ts;
		} else {
			async_min = ts;
		}
		if (ml)
			kve_memlock_set_ts(s, ml, ts);
	}
	for (size_t i = 0; i < np; i++) {
		pending *p = &pend[i];
		if (p->drop_only) {
			if (one_pc_ts)
				kve_act_release(&c, p->key->data, p->key->len, p->dk, p->dkn, &p->cont, start);
			continue;
		}
		if (p->shared) {
			/* a sub-lock of the key's container: committed at once (1PC,
			 * leaving the others' sub-locks) or added / converted */
			if (one_pc_ts) {
				kve_write w = { .type = 'L', .start_ts = start };
				put_write(&c, p->dk, p->dkn, one_pc_ts, &w);
				if (p->had_lock)
					kve_act_release(&c, p->key->data, p->key->len, p->dk, p->dkn, &p->cont,
									start);
			} else {
				kve_shared_put(c.a, &p->cont, &p->lock);
				kve_put_lock(&c, p->dk, p->dkn, &p->cont);
			}
			continue;
		}
		bool long_value = p->lock.type == 'P' && !p->lock.has_short_value;
		if (long_value) {
			size_t kn;
			uint8_t *k = kve_ts_key(c.a, p->dk, p->dkn, start, &kn);
			kve_batch_put(&c, KVE_CF_DEFAULT, k, kn, p->value->data, p->value->len);
		}
		if (one_pc_ts) {
			if (p->had_lock) /* the container we were the only sharer of goes too */
				kve_act_commit_lock(&c, p->key->data, p->key->len, p->dk, p->dkn, &p->lock,
									start, one_pc_ts);
			else {
				kve_write w = { .type = p->lock.type, .start_ts = start };
				if (p->lock.has_short_value) {
					w.has_short_value = true;
					w.short_value = p->lock.short_value;
				}
				put_write(&c, p->dk, p->dkn, one_pc_ts, &w);
			}
		} else {
			if (async_min)
				p->lock.min_commit_ts = async_min;
			else if (req->use_async_commit) {
				p->lock.use_async_commit = false; /* fell back */
				p->lock.n_secondaries = 0;
			}
			put_lock(&c, p->dk, p->dkn, &p->lock);
		}
	}
	rc = finish_write(&c, b.region_id, err);
	if (ml)
		kve_memlock_remove(s, ml);
	if (rc == CM_OK) {
		resp->one_pc_commit_ts = one_pc_ts;
		resp->min_commit_ts = async_min;
	}
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvCommit -------------------------------------------------------------- */

cm_status
kve_commit(kv_store *st, const Kvrpcpb__CommitRequest *req, Kvrpcpb__CommitResponse *resp,
		   cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	resp->region_error = kve_region_check(s, c.a, req->context, req->keys, req->n_keys, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, req->keys, req->n_keys);
	for (size_t i = 0; i < req->n_keys && !resp->error; i++) {
		const ProtobufCBinaryData *key = &req->keys[i];
		size_t dkn;
		uint8_t *dk = dkey(&c, key, &dkn);
		kve_lock l;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
		if (r < 0) {
			rc = CM_ERROR;
			goto out;
		}
		const kve_lock *mine = r > 0 ? kve_lock_mine(&l, req->start_version) : NULL;
		if (mine && mine->type != 'S') {
			if (req->commit_version < mine->min_commit_ts) {
				Kvrpcpb__KeyError *e = kve_key_error_abort("commit ts expired");
				free(e->abort);
				e->abort = NULL;
				e->commit_ts_expired = malloc(sizeof *e->commit_ts_expired);
				if (!e->commit_ts_expired)
					abort();
				kvrpcpb__commit_ts_expired__init(e->commit_ts_expired);
				e->commit_ts_expired->start_ts = req->start_version;
				e->commit_ts_expired->attempted_commit_ts = req->commit_version;
				kve_bin_set(&e->commit_ts_expired->key, key->data, key->len);
				e->commit_ts_expired->min_commit_ts = mine->min_commit_ts;
				resp->error = e;
				break;
			}
			kve_act_commit_lock(&c, key->data, key->len, dk, dkn, &l, req->start_version,
								req->commit_version);
			continue;
		}
		uint64_t cts;
		kve_write w;
		int f = kve_find_txn_write(s, c.a, dk, dkn, req->start_version, &cts, &w, err);
		if (f < 0) {
			rc = CM_ERROR;
			goto out;
		}
		if (f > 0 && w.type != 'R')
			continue; /* already committed */
		resp->error = kve_key_error_lock_not_found(key->data, key->len);
	}
	if (resp->error)
		discard(&c);
	else {
		rc = finish_write(&c, b.region_id, err);
		resp->commit_version = req->commit_version;
	}
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvBatchRollback / KvCleanup ---------------------------------------------- */

static Kvrpcpb__KeyError *
committed_error(uint64_t commit_ts)
{
	char msg[96];
	snprintf(msg, sizeof msg, "txn already committed at %llu", (unsigned long long) commit_ts);
	return kve_key_error_abort(msg);
}

cm_status
kve_batch_rollback(kv_store *st, const Kvrpcpb__BatchRollbackRequest *req,
				   Kvrpcpb__BatchRollbackResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	resp->region_error = kve_region_check(s, c.a, req->context, req->keys, req->n_keys, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, req->keys, req->n_keys);
	for (size_t i = 0; i < req->n_keys && !resp->error; i++) {
		const ProtobufCBinaryData *key = &req->keys[i];
		size_t dkn;
		uint8_t *dk = dkey(&c, key, &dkn);
		kve_lock l;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
		if (r < 0) {
			rc = CM_ERROR;
			goto out;
		}
		bool own = r > 0 && kve_lock_mine(&l, req->start_version);
		if (!own) {
			uint64_t cts;
			kve_write w;
			int f = kve_find_txn_write(s, c.a, dk, dkn, req->start_version, &cts, &w, err);
			if (f < 0) {
				rc = CM_ERROR;
				goto out;
			}
			if (f > 0 && w.type != 'R') {
				resp->error = committed_error(cts);
				break;
			}
			if (f > 0)
				continue; /* already rolled back */
		}
		if (kve_act_rollback(&c, key->data, key->len, dk, dkn, req->start_version,
							 own ? &l : NULL, err) != CM_OK) {
			rc = CM_ERROR;
			goto out;
		}
	}
	if (resp->error)
		discard(&c);
	else
		rc = finish_write(&c, b.region_id, err);
out:
	kve_cmd_finish(&c);
	return rc;
}

cm_status
kve_cleanup(kv_store *st, const Kvrpcpb__CleanupRequest *req, Kvrpcpb__CleanupResponse *resp,
			cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	resp->region_error = kve_region_check(s, c.a, req->context, &req->key, 1, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, &req->key, 1);
	size_t dkn;
	uint8_t *dk = dkey(&c, &req->key, &dkn);
	kve_lock l;
	int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
	if (r < 0) {
		rc = CM_ERROR;
		goto out;
	}
	const kve_lock *cmine = r > 0 ? kve_lock_mine(&l, req->start_version) : NULL;
	if (cmine) {
		if (req->current_ts != 0 && !lock_expired(cmine, req->current_ts)) {
			resp->error = kve_key_error_locked(cmine, req->key.data, req->key.len);
			goto out;
		}
		if (kve_act_rollback(&c, req->key.data, req->key.len, dk, dkn, req->start_version, &l,
							 err) != CM_OK) {
			rc = CM_ERROR;
			goto out;
		}
	} else {
		uint64_t cts;
		kve_write w;
		int f = kve_find_txn_write(s, c.a, dk, dkn, req->start_version, &cts, &w, err);
		if (f < 0) {
			rc = CM_ERROR;
			goto out;
		}
		if (f > 0 && w.type != 'R') {
			resp->commit_version = cts;
			goto out;
		}
		if (f == 0 && kve_act_rollback(&c, req->key.data, req->key.len, dk, dkn,
									   req->start_version, NULL, err) != CM_OK) {
			rc = CM_ERROR;
			goto out;
		}
	}
	rc = finish_write(&c, b.region_id, err);
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvCheckTxnStatus ------------------------------------------------------- */

cm_status
kve_check_txn_status(kv_store *st, const Kvrpcpb__CheckTxnStatusRequest *req,
					 Kvrpcpb__CheckTxnStatusResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	const ProtobufCBinaryData *pk = &req->primary_key;
	resp->region_error = kve_region_check(s, c.a, req->context, pk, 1, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, pk, 1);
	size_t dkn;
	uint8_t *dk = dkey(&c, pk, &dkn);
	kve_lock l;
	int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
	if (r < 0) {
		rc = CM_ERROR;
		goto out;
	}
	kve_lock *m = r > 0 ? kve_lock_mine(&l, req->lock_ts) : NULL;
	if (m) {
		/* m: the txn's lock, or its sub-lock when the primary is shared */
		if (req->verify_is_primary && kve_cmp(m->primary.p, m->primary.n, pk->data, pk->len) != 0) {
			Kvrpcpb__KeyError *e = kve_key_error_abort("primary mismatch");
			free(e->abort);
			e->abort = NULL;
			e->primary_mismatch = malloc(sizeof *e->primary_mismatch);
			if (!e->primary_mismatch)
				abort();
			kvrpcpb__primary_mismatch__init(e->primary_mismatch);
			e->primary_mismatch->lock_info = kve_lock_info(m, pk->data, pk->len);
			resp->error = e;
			goto out;
		}
		if (lock_expired(m, req->current_ts)) {
			if (m->type == 'S' && req->resolving_pessimistic_lock) {
				kve_act_release(&c, pk->data, pk->len, dk, dkn, &l, req->lock_ts);
				resp->action = KVRPCPB__ACTION__TTLExpirePessimisticRollback;
			} else {
				if (kve_act_rollback(&c, pk->data, pk->len, dk, dkn, req->lock_ts, &l, err) !=
					CM_OK) {
					rc = CM_ERROR;
					goto out;
				}
				resp->action = KVRPCPB__ACTION__TTLExpireRollback;
			}
			rc = finish_write(&c, b.region_id, err);
			goto out;
		}
		/* alive */
		resp->lock_ttl = m->ttl;
		if (m->use_async_commit && !req->force_sync_commit) {
			resp->lock_info = kve_lock_info(m, pk->data, pk->len);
			goto out;
		}
		if (m->min_commit_ts != 0 && req->caller_start_ts != UINT64_MAX &&
			m->min_commit_ts <= req->caller_start_ts) {
			m->min_commit_ts = req->caller_start_ts + 1;
			if (m->min_commit_ts < req->current_ts)
				m->min_commit_ts = req->current_ts;
			put_lock(&c, dk, dkn, &l);
			resp->action = KVRPCPB__ACTION__MinCommitTSPushed;
			rc = finish_write(&c, b.region_id, err);
		}
		resp->lock_info = kve_lock_info(m, pk->data, pk->len);
		goto out;
	}
	/* no lock of that txn: look for its commit / rollback record */
	uint64_t cts;
	kve_write w;
	int f = kve_find_txn_write(s, c.a, dk, dkn, req->lock_ts, &cts, &w, err);
	if (f < 0) {
		rc = CM_ERROR;
		goto out;
	}
	if (f > 0) {
		if (w.type != 'R')
			resp->commit_version = cts;
		goto out;
	}
	if (!req->rollback_if_not_exist) {
		resp->error = kve_key_error_txn_not_found(req->lock_ts, pk->data, pk->len);
		goto out;
	}
	if (req->resolving_pessimistic_lock) {
		resp->action = KVRPCPB__ACTION__LockNotExistDoNothing;
		goto out;
	}
	if (kve_act_rollback(&c, pk->data, pk->len, dk, dkn, req->lock_ts, NULL, err) != CM_OK) {
		rc = CM_ERROR;
		goto out;
	}
	resp->action = KVRPCPB__ACTION__LockNotExistRollback;
	rc = finish_write(&c, b.region_id, err);
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvResolveLock --------------------------------------------------------- */

typedef struct txn_status {
	uint64_t start_ts;
	uint64_t commit_ts;
} txn_status;

/* Does lock l (or one of its sub-locks) belong to one of the txns? */
static bool
lock_of_txns(kve_lock *l, const txn_status *ts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kve_lock_mine(l, ts[i].start_ts))
			return true;
	return false;
}

cm_status
kve_resolve_lock(kv_store *st, const Kvrpcpb__ResolveLockRequest *req,
				 Kvrpcpb__ResolveLockResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	size_t nt = req->n_txn_infos ? req->n_txn_infos : 1;
	txn_status *txns = cm_alloc(c.a, sizeof(txn_status) * nt);
	if (req->n_txn_infos)
		for (size_t i = 0; i < nt; i++)
			txns[i] = (txn_status){ req->txn_infos[i]->txn, req->txn_infos[i]->status };
	else
		txns[0] = (txn_status){ req->start_version, req->commit_version };

	kve_bounds b;
	kve_slice *keys;
	size_t nk = 0;
	if (req->n_keys) {
		resp->region_error = kve_region_check(s, c.a, req->context, req->keys, req->n_keys, &b);
		if (resp->region_error)
			goto out;
		keys = cm_alloc(c.a, sizeof(kve_slice) * req->n_keys);
		for (size_t i = 0; i < req->n_keys; i++)
			keys[nk++] = (kve_slice){ req->keys[i].data, req->keys[i].len };
	} else {
		/* whole region: find the txns' locks first, then latch them.  The
		 * bounds are the region's own (a range check would take the empty
		 * start key for -inf and refuse every region but the first) */
		resp->region_error = kve_region_check(s, c.a, req->context, NULL, 0, &b);
		if (resp->region_error)
			goto out;
		size_t lon = b.start_n + 1, hin = b.end_n ? b.end_n + 1 : 1, cap = 64;
		uint8_t *lo = cm_alloc(c.a, lon), *hi = cm_alloc(c.a, hin);
		lo[0] = KVE_DATA_PREFIX;
		memcpy(lo + 1, b.start, b.start_n);
		if (b.end_n) {
			hi[0] = KVE_DATA_PREFIX;
			memcpy(hi + 1, b.end, b.end_n);
		} else
			hi[0] = KVE_DATA_PREFIX + 1;
		keys = cm_alloc(c.a, sizeof(kve_slice) * cap);
		rocksdb_readoptions_t *lro = kve_bounded_ro(NULL, lo, lon, hi, hin);
		rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, lro, s->cf[KVE_CF_LOCK]);
		for (rocksdb_iter_seek(it, (const char *) lo, lon); rocksdb_iter_valid(it);
			 rocksdb_iter_next(it)) {
			size_t kn, vn;
			const uint8_t *k = (const uint8_t *) rocksdb_iter_key(it, &kn);
			if (kve_cmp(k, kn, hi, hin) >= 0)
				break;
			const uint8_t *vp = (const uint8_t *) rocksdb_iter_value(it, &vn);
			kve_lock l;
			uint8_t *raw;
			size_t rawn;
			if (!kve_lock_decode(c.a, kve_dup(c.a, vp, vn), vn, &l) ||
				!lock_of_txns(&l, txns, nt) || !kve_raw_key(c.a, k, kn, &raw, &rawn))
				continue;
			if (nk == cap) {
				kve_slice *nkeys = cm_alloc(c.a, sizeof(kve_slice) * cap * 2);
				memcpy(nkeys, keys, sizeof(kve_slice) * nk);
				keys = nkeys;
				cap *= 2;
			}
			keys[nk++] = (kve_slice){ raw, rawn };
		}
		char *rerr = NULL;
		rocksdb_iter_get_error(it, &rerr);
		rocksdb_iter_destroy(it);
		rocksdb_readoptions_destroy(lro);
		if (rerr) {
			rc = kve_rocks_error(err, "scan locks", rerr);
			goto out;
		}
	}
	kve_cmd_latch_slices(&c, keys, nk);
	for (size_t i = 0; i < nk; i++) {
		const uint8_t *raw = keys[i].p;
		size_t rawn = keys[i].n, dkn;
		uint8_t *dk = kve_data_key(c.a, raw, rawn, &dkn);
		kve_lock l;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
		if (r < 0) {
			rc = CM_ERROR;
			goto out;
		}
		/* every listed txn holding (a part of) this key's lock */
		bool any = false;
		for (size_t ti = 0; r > 0 && ti < nt; ti++) {
			const txn_status *t = &txns[ti];
			kve_lock *mine = kve_lock_mine(&l, t->start_ts);
			if (!mine)
				continue;
			any = true;
			if (t->commit_ts == 0) {
				if (kve_act_rollback(&c, raw, rawn, dk, dkn, t->start_ts, &l, err) != CM_OK) {
					rc = CM_ERROR;
					goto out;
				}
			} else if (mine->type == 'S')
				kve_act_release(&c, raw, rawn, dk, dkn, &l, t->start_ts);
			else
				kve_act_commit_lock(&c, raw, rawn, dk, dkn, &l, t->start_ts, t->commit_ts);
			if (l.type != 'H')
				break;
		}
		if (any)
			continue;
		if (!req->n_keys || nt != 1 || txns[0].commit_ts != 0)
			continue;
		/* lite rollback of a key without the lock: leave a rollback record
		 * unless the txn already has one (or committed) */
		uint64_t cts;
		kve_write w;
		int f = kve_find_txn_write(s, c.a, dk, dkn, txns[0].start_ts, &cts, &w, err);
		if (f < 0) {
			rc = CM_ERROR;
			goto out;
		}
		if (f == 0 &&
			kve_act_rollback(&c, raw, rawn, dk, dkn, txns[0].start_ts, NULL, err) != CM_OK) {
			rc = CM_ERROR;
			goto out;
		}
	}
	rc = finish_write(&c, b.region_id, err);
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvTxnHeartBeat ----------------------------------------------------------- */

cm_status
kve_txn_heart_beat(kv_store *st, const Kvrpcpb__TxnHeartBeatRequest *req,
				   Kvrpcpb__TxnHeartBeatResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	const ProtobufCBinaryData *pk = &req->primary_lock;
	resp->region_error = kve_region_check(s, c.a, req->context, pk, 1, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, pk, 1);
	size_t dkn;
	uint8_t *dk = dkey(&c, pk, &dkn);
	kve_lock l;
	int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
	if (r < 0) {
		rc = CM_ERROR;
		goto out;
	}
	kve_lock *hm = r > 0 ? kve_lock_mine(&l, req->start_version) : NULL;
	if (!hm) {
		resp->error = kve_key_error_txn_not_found(req->start_version, pk->data, pk->len);
		goto out;
	}
	if (req->advise_lock_ttl > hm->ttl) {
		hm->ttl = req->advise_lock_ttl;
		put_lock(&c, dk, dkn, &l);
		c.b.sync = false; /* a lost TTL bump only shortens the lock's life */
		rc = finish_write(&c, b.region_id, err);
	}
	resp->lock_ttl = hm->ttl;
out:
	kve_cmd_finish(&c);
	return rc;
}

/* ---- KvCheckSecondaryLocks ------------------------------------------------------ */

cm_status
kve_check_secondary_locks(kv_store *st, const Kvrpcpb__CheckSecondaryLocksRequest *req,
						  Kvrpcpb__CheckSecondaryLocksResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	cm_status rc = CM_OK;
	kve_bounds b;
	resp->region_error = kve_region_check(s, c.a, req->context, req->keys, req->n_keys, &b);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, req->keys, req->n_keys);
	Kvrpcpb__LockInfo **locks = calloc(req->n_keys + 1, sizeof *locks);
	if (!locks)
		abort();
	size_t nl = 0;
	uint64_t committed = 0;
	for (size_t i = 0; i < req->n_keys && !committed; i++) {
		const ProtobufCBinaryData *key = &req->keys[i];
		size_t dkn;
		uint8_t *dk = dkey(&c, key, &dkn);
		kve_lock l;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
		if (r < 0) {
			rc = CM_ERROR;
			break;
		}
		kve_lock *sm = r > 0 ? kve_lock_mine(&l, req->start_version) : NULL;
		if (sm) {
			if (sm->type == 'S') {
				/* never prewritten: the txn cannot commit -- roll it back */
				if (kve_act_rollback(&c, key->data, key->len, dk, dkn, req->start_version, &l,
									 err) != CM_OK) {
					rc = CM_ERROR;
					break;
				}
			} else {
				locks[nl] = kve_lock_info(sm, key->data, key->len);
				if (l.type == 'H')
					locks[nl]->lock_type = KVRPCPB__OP__SharedLock;
				nl++;
			}
			continue;
		}
		uint64_t cts;
		kve_write w;
		int f = kve_find_txn_write(s, c.a, dk, dkn, req->start_version, &cts, &w, err);
		if (f < 0) {
			rc = CM_ERROR;
			break;
		}
		if (f > 0 && w.type != 'R') {
			committed = cts;
			break;
		}
		if (f == 0 &&
			kve_act_rollback(&c, key->data, key->len, dk, dkn, req->start_version, NULL, err) !=
				CM_OK) {
			rc = CM_ERROR;
			break;
		}
	}
	if (rc != CM_OK || committed) {
		for (size_t i = 0; i < nl; i++)
			kvrpcpb__lock_info__free_unpacked(locks[i], NULL);
		free(locks);
		discard(&c);
		if (committed)
			resp->commit_ts = committed;
		goto out;
	}
	resp->locks = locks;
	resp->n_locks = nl;
	rc = finish_write(&c, b.region_id, err);
out:
	kve_cmd_finish(&c);
	return rc;
}
