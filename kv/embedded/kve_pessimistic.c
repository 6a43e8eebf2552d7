/*
 * kve_pessimistic.c -- KvPessimisticLock and KVPessimisticRollback, with the
 * lock-wait queue and the deadlock detector.
 *
 * PessimisticLock writes 'S' locks (lock CF, same record format as TiKV)
 * carrying for_update_ts.  They are written WITHOUT a WAL sync: TiKV keeps
 * such locks in memory and loses them on restart, which clients handle (the
 * prewrite's pessimistic check fails and the statement retries); a later
 * synced write makes them durable anyway.
 *
 * Per key: another txn's lock -> wait (see below); own 'S' lock -> refresh
 * for_update_ts; a commit newer than for_update_ts -> WriteConflict
 * (PessimisticRetry); own rollback / commit record -> abort.  return_values
 * and check_existence read the latest committed value; lock_only_if_exists
 * skips missing keys.  wake_up_mode ForceLock is treated as Normal.
 *
 * Waiting: wait_timeout < 0 answers KeyError.locked at once; 0 waits the
 * default (lock_wait_max_ms, 1 s); > 0 waits that long, capped at
 * lock_wait_max_ms (TiKV's wait-for-lock-timeout; the client re-sends).
 * The waiter records the wake-up generation of the key's bucket while it
 * still holds the key's latch, releases the latch and sleeps until a command
 * that removes a lock on a key of that bucket bumps the generation (commit,
 * rollback, resolve, pessimistic rollback), then retries the whole request.
 * On timeout it answers KeyError.locked with the holder's LockInfo.
 *
 * Deadlock detection: while waiting, a txn has one edge waiter_start_ts ->
 * holder_start_ts in the wait-for graph.  Before sleeping, a depth-first
 * search from the holder looks for a path back to the waiter; if there is
 * one, the waiter (the txn that closes the cycle) gets KeyError.deadlock
 * {lock_ts = holder, lock_key, deadlock_key_hash = hash of the key the
 * last txn on the cycle waits for} and does not wait.
 */
#include "kv/embedded/kve_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kve_wait_edge {
	uint64_t waiter;
	uint64_t holder;
	uint64_t key_hash;
	kve_wait_edge *next;
};

#define MAX_DFS 4096

/* Is there a path from `from` to `target` in the wait-for graph?  On
 * success *hash = key hash of the last edge (the one that reaches target). */
static bool
path_exists(kve_store *s, uint64_t from, uint64_t target, uint64_t *hash)
{
	uint64_t stack[MAX_DFS];
	uint64_t seen[MAX_DFS];
	size_t sp = 0, ns = 0;
	stack[sp++] = from;
	while (sp) {
		uint64_t t = stack[--sp];
		bool dup = false;
		for (size_t i = 0; i < ns && !dup; i++)
			dup = seen[i] == t;
		if (dup)
			continue;
		if (ns < MAX_DFS)
			seen[ns++] = t;
		for (kve_wait_edge *e = s->edges; e; e = e->next) {
			if (e->waiter != t)
				continue;
			if (e->holder == target) {
				*hash = e->key_hash;
				return true;
			}
			if (sp < MAX_DFS)
				stack[sp++] = e->holder;
		}
	}
	return false;
}

static void
edge_remove(kve_store *s, kve_wait_edge *e)
{
	for (kve_wait_edge **pp = &s->edges; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			return;
		}
}

static Kvrpcpb__KeyError *
deadlock_error(uint64_t lock_ts, const uint8_t *key, size_t kn, uint64_t hash)
{
	Kvrpcpb__KeyError *e = kve_key_error_abort("deadlock");
	free(e->abort);
	e->abort = NULL;
	e->deadlock = malloc(sizeof *e->deadlock);
	if (!e->deadlock)
		abort();
	kvrpcpb__deadlock__init(e->deadlock);
	e->deadlock->lock_ts = lock_ts;
	kve_bin_set(&e->deadlock->lock_key, key, kn);
	e->deadlock->deadlock_key_hash = hash;
	return e;
}

static void
deadline_after(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t) (ms / 1000);
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void
push_bytes(ProtobufCBinaryData **arr, size_t *n, const void *p, size_t len)
{
	*arr = realloc(*arr, sizeof(ProtobufCBinaryData) * (*n + 1));
	if (!*arr)
		abort();
	kve_bin_set(&(*arr)[(*n)++], p, len);
}

static void
push_bool(protobuf_c_boolean **arr, size_t *n, bool v)
{
	*arr = realloc(*arr, sizeof(protobuf_c_boolean) * (*n + 1));
	if (!*arr)
		abort();
	(*arr)[(*n)++] = v;
}

static void
reset_values(Kvrpcpb__PessimisticLockResponse *resp)
{
	for (size_t i = 0; i < resp->n_values; i++)
		free(resp->values[i].data);
	free(resp->values);
	free(resp->not_founds);
	resp->values = NULL;
	resp->n_values = 0;
	resp->not_founds = NULL;
	resp->n_not_founds = 0;
}

cm_status
kve_pessimistic_lock(kv_store *st, const Kvrpcpb__PessimisticLockRequest *req,
					 Kvrpcpb__PessimisticLockResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	size_t n = req->n_mutations;
	const uint64_t start = req->start_version, fut = req->for_update_ts;
	uint64_t cap_ms = s->opts.lock_wait_max_ms ? s->opts.lock_wait_max_ms : KVE_DEFAULT_WAIT_MS;
	bool no_wait = req->wait_timeout < 0;
	uint64_t wait_ms = req->wait_timeout <= 0 ? cap_ms
					   : (uint64_t) req->wait_timeout < cap_ms ? (uint64_t) req->wait_timeout
															   : cap_ms;
	struct timespec deadline;
	deadline_after(&deadline, wait_ms);
	bool want_values = req->return_values;
	bool want_exist = req->return_values || req->check_existence || req->lock_only_if_exists;

	for (;;) {
		kve_cmd c;
		kve_cmd_init(&c, s);
		c.b.sync = false;
		cm_status rc = CM_OK;
		ProtobufCBinaryData *keys = cm_alloc(c.a, sizeof(ProtobufCBinaryData) * (n + 1));
		for (size_t i = 0; i < n; i++)
			keys[i] = req->mutations[i]->key;
		kve_bounds b;
		resp->region_error = kve_region_check(s, c.a, req->context, keys, n, &b);
		if (resp->region_error) {
			kve_cmd_finish(&c);
			return CM_OK;
		}
		kve_cmd_latch(&c, keys, n);
		Kvrpcpb__KeyError *fatal = NULL, *locked = NULL;
		uint64_t holder = 0, key_hash = 0;
		const ProtobufCBinaryData *blocked_key = NULL;
		kve_versions v;
		kve_versions_open(&v, s, s->ro, c.a);
		for (size_t i = 0; i < n && !fatal && !locked; i++) {
			const ProtobufCBinaryData *key = &keys[i];
			size_t dkn;
			uint8_t *dk = kve_data_key(c.a, key->data, key->len, &dkn);
			kve_lock l;
			int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
			if (r < 0) {
				rc = CM_ERROR;
				break;
			}
			if (r > 0 && l.start_ts != start) {
				locked = kve_key_error_locked(&l, key->data, key->len);
				holder = l.start_ts;
				key_hash = kve_hash(key->data, key->len);
				blocked_key = key;
				break;
			}
			bool own = r > 0;
			if (!own) {
				uint64_t cts;
				kve_write w;
				int f = kve_versions_seek(&v, dk, dkn, UINT64_MAX, &cts, &w, err);
				if (f < 0) {
					rc = CM_ERROR;
					break;
				}
				if (f > 0 && cts >= start) {
					uint64_t ocs;
					kve_write ow;
					int g = kve_find_txn_write(s, c.a, dk, dkn, start, &ocs, &ow, err);
					if (g < 0) {
						rc = CM_ERROR;
						break;
					}
					if (g > 0) {
						fatal = kve_key_error_abort(ow.type == 'R' ? "pessimistic lock rolled back"
																  : "txn already committed");
						break;
					}
				}
				if (f > 0 && cts > fut) {
					fatal = kve_key_error_conflict(start, w.start_ts, cts, key->data, key->len,
												   req->primary_lock.data, req->primary_lock.len,
												   KVRPCPB__WRITE_CONFLICT__REASON__PessimisticRetry);
					break;
				}
			}
			bool exists = false;
			kve_slice val = { 0 };
			if (want_exist) {
				uint64_t cts;
				int g = kve_mvcc_get(s, s->ro, &v, dk, dkn, UINT64_MAX, &val, &cts, err);
				if (g < 0) {
					rc = CM_ERROR;
					break;
				}
				exists = g > 0;
				if (want_values)
					push_bytes(&resp->values, &resp->n_values, val.p, exists ? val.n : 0);
				push_bool(&resp->not_founds, &resp->n_not_founds, !exists);
			}
			if (own) {
				if (l.type == 'S' && l.for_update_ts < fut) {
					l.for_update_ts = fut;
					size_t vn;
					uint8_t *lv = kve_lock_encode(c.a, &l, &vn);
					kve_batch_put(&c, KVE_CF_LOCK, dk, dkn, lv, vn);
				}
				continue;
			}
			if (req->lock_only_if_exists && !exists)
				continue;
			kve_lock nl = { .type = 'S',
							.primary = { req->primary_lock.data, req->primary_lock.len },
							.start_ts = start,
							.ttl = req->lock_ttl,
							.for_update_ts = fut,
							.min_commit_ts = req->min_commit_ts };
			size_t vn;
			uint8_t *lv = kve_lock_encode(c.a, &nl, &vn);
			kve_batch_put(&c, KVE_CF_LOCK, dk, dkn, lv, vn);
		}
		kve_versions_close(&v);
		if (rc != CM_OK || fatal) {
			if (fatal) {
				reset_values(resp);
				kve_push_key_error(&resp->errors, &resp->n_errors, fatal);
			}
			c.b.n = 0;
			kve_cmd_finish(&c);
			return rc;
		}
		if (!locked) {
			uint64_t bytes = c.b.bytes;
			rc = kve_cmd_write(&c, err);
			if (rc == CM_OK) {
				c.note_region = b.region_id;
				c.note_bytes = bytes;
			}
			kve_cmd_finish(&c);
			return rc;
		}

		/* blocked by another txn's lock */
		c.b.n = 0;
		reset_values(resp);
		if (no_wait) {
			kve_push_key_error(&resp->errors, &resp->n_errors, locked);
			kve_cmd_finish(&c);
			return CM_OK;
		}
		kve_wait_edge edge = { .waiter = start, .holder = holder, .key_hash = key_hash };
		pthread_mutex_lock(&s->wait_mu);
		uint64_t dl_hash = 0;
		if (path_exists(s, holder, start, &dl_hash)) {
			pthread_mutex_unlock(&s->wait_mu);
			kve_push_key_error(&resp->errors, &resp->n_errors,
							   deadlock_error(holder, blocked_key->data, blocked_key->len,
											  dl_hash));
			kvrpcpb__key_error__free_unpacked(locked, NULL);
			kve_cmd_finish(&c);
			return CM_OK;
		}
		edge.next = s->edges;
		s->edges = &edge;
		atomic_fetch_add(&s->n_waiters, 1);
		uint64_t gen = kve_wait_gen(s, key_hash);
		pthread_mutex_unlock(&s->wait_mu);
		kve_cmd_finish(&c); /* releases the latches: the holder may now proceed */

		pthread_mutex_lock(&s->wait_mu);
		bool timed_out = false;
		while (kve_wait_gen(s, key_hash) == gen) {
			int w = pthread_cond_timedwait(&s->wait_cv, &s->wait_mu, &deadline);
			if (w == ETIMEDOUT) {
				timed_out = kve_wait_gen(s, key_hash) == gen;
				break;
			}
		}
		edge_remove(s, &edge);
		atomic_fetch_sub(&s->n_waiters, 1);
		pthread_mutex_unlock(&s->wait_mu);
		if (timed_out) {
			kve_push_key_error(&resp->errors, &resp->n_errors, locked);
			return CM_OK;
		}
		kvrpcpb__key_error__free_unpacked(locked, NULL);
		/* the lock we waited for went away: run the request again */
	}
}

cm_status
kve_pessimistic_rollback(kv_store *st, const Kvrpcpb__PessimisticRollbackRequest *req,
						 Kvrpcpb__PessimisticRollbackResponse *resp, cm_error *err)
{
	kve_store *s = kve_of(st);
	kve_cmd c;
	kve_cmd_init(&c, s);
	c.b.sync = false;
	cm_status rc = CM_OK;
	resp->region_error = kve_region_check(s, c.a, req->context, req->keys, req->n_keys, NULL);
	if (resp->region_error)
		goto out;
	kve_cmd_latch(&c, req->keys, req->n_keys);
	for (size_t i = 0; i < req->n_keys; i++) {
		const ProtobufCBinaryData *key = &req->keys[i];
		size_t dkn;
		uint8_t *dk = kve_data_key(c.a, key->data, key->len, &dkn);
		kve_lock l;
		int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
		if (r < 0) {
			rc = CM_ERROR;
			goto out;
		}
		if (r > 0 && l.type == 'S' && l.start_ts == req->start_version &&
			l.for_update_ts <= req->for_update_ts) {
			kve_batch_del(&c, KVE_CF_LOCK, dk, dkn);
			kve_cmd_released(&c, key->data, key->len);
		}
	}
	rc = kve_cmd_write(&c, err);
out:
	kve_cmd_finish(&c);
	return rc;
}
