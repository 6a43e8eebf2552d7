/*
 * kve_shared.c -- shared locks of the embedded store: the 'H' lock record
 * and the helpers every command uses to find, add and remove one txn's part
 * of a key's lock.
 *
 * A key locked by SELECT ... FOR SHARE holds ONE lock record of type 'H'
 * (TiKV's shared lock).  It is a container: its 'h' field lists the sharers'
 * own lock records (sub-locks), each a complete lock with the sharer's
 * primary, start_ts, ttl, for_update_ts and min_commit_ts:
 *   'S'  a shared pessimistic lock (PessimisticLock with a
 *        SharedPessimisticLock mutation),
 *   'L'  a prewritten shared lock (Prewrite with a SharedLock mutation).
 * The container's own fields only summarise (kve_codec.c).  Sharers are
 * compatible with each other; an exclusive lock waits for every sharer
 * (kve_pessimistic.c), and a prewrite of Put / Delete / Lock meets the
 * container as KeyError.locked whose LockInfo lists the sharers in
 * shared_lock_infos.  Reads never see a shared lock.
 *
 * Everything that acts on one txn's lock (commit, rollback, resolve,
 * pessimistic rollback, CheckTxnStatus, heart-beat, CheckSecondaryLocks)
 * goes through kve_lock_mine(): for a plain lock it is the lock itself when
 * the txn owns it, for a container the txn's sub-lock.  Removing a sub-lock
 * rewrites the container, or deletes the record when it was the last one;
 * either way the key's waiters are woken (an exclusive waiter may be able
 * to go now).
 *
 * Exported: kve_lock_mine, kve_shared_init, kve_shared_put,
 * kve_shared_remove, kve_lock_sole_holder, kve_lock_holders,
 * kve_lock_min_start, kve_put_lock, kve_act_release.
 */
#include "kv/embedded/kve_internal.h"

#include <string.h>

kve_lock *
kve_lock_mine(kve_lock *l, uint64_t start_ts)
{
	if (l->type != 'H')
		return l->start_ts == start_ts ? l : NULL;
	for (size_t i = 0; i < l->n_shared; i++)
		if (l->shared[i].start_ts == start_ts)
			return &l->shared[i];
	return NULL;
}

void
kve_shared_init(kve_lock *l)
{
	memset(l, 0, sizeof *l);
	l->type = 'H';
	l->start_ts = UINT64_MAX;
	l->for_update_ts = UINT64_MAX;
}

void
kve_shared_put(cm_arena *a, kve_lock *l, const kve_lock *sub)
{
	for (size_t i = 0; i < l->n_shared; i++)
		if (l->shared[i].start_ts == sub->start_ts) {
			l->shared[i] = *sub;
			return;
		}
	kve_lock *n = cm_alloc(a, sizeof(kve_lock) * (l->n_shared + 1));
	if (l->n_shared)
		memcpy(n, l->shared, sizeof(kve_lock) * l->n_shared);
	n[l->n_shared++] = *sub;
	l->shared = n;
}

void
kve_shared_remove(kve_lock *l, uint64_t start_ts)
{
	for (size_t i = 0; i < l->n_shared; i++)
		if (l->shared[i].start_ts == start_ts) {
			memmove(&l->shared[i], &l->shared[i + 1], sizeof(kve_lock) * (l->n_shared - i - 1));
			l->n_shared--;
			return;
		}
}

bool
kve_lock_sole_holder(const kve_lock *l, uint64_t start_ts)
{
	if (l->type != 'H')
		return l->start_ts == start_ts;
	return l->n_shared == 1 && l->shared[0].start_ts == start_ts;
}

size_t
kve_lock_holders(cm_arena *a, const kve_lock *l, uint64_t except, uint64_t **out)
{
	size_t n = 0;
	uint64_t *h = cm_alloc(a, sizeof(uint64_t) * (l->n_shared + 1));
	if (l->type != 'H') {
		if (l->start_ts != except)
			h[n++] = l->start_ts;
	} else
		for (size_t i = 0; i < l->n_shared; i++)
			if (l->shared[i].start_ts != except)
				h[n++] = l->shared[i].start_ts;
	*out = h;
	return n;
}

uint64_t
kve_lock_min_start(const kve_lock *l)
{
	if (l->type != 'H')
		return l->start_ts;
	uint64_t m = UINT64_MAX;
	for (size_t i = 0; i < l->n_shared; i++)
		if (l->shared[i].start_ts < m)
			m = l->shared[i].start_ts;
	return m;
}

void
kve_put_lock(kve_cmd *c, const uint8_t *dk, size_t dkn, const kve_lock *l)
{
	if (l->type == 'H' && l->n_shared == 0) {
		kve_batch_del(c, KVE_CF_LOCK, dk, dkn);
		return;
	}
	size_t vn;
	uint8_t *v = kve_lock_encode(c->a, l, &vn);
	kve_batch_put(c, KVE_CF_LOCK, dk, dkn, v, vn);
}

void
kve_act_release(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk, size_t dkn,
				kve_lock *lock, uint64_t start_ts)
{
	if (lock->type == 'H') {
		kve_shared_remove(lock, start_ts);
		kve_put_lock(c, dk, dkn, lock);
	} else
		kve_batch_del(c, KVE_CF_LOCK, dk, dkn);
	kve_cmd_released(c, raw, rawn);
}
