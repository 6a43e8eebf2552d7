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
 * Shared locks (SharedPessimisticLock mutations; kve_shared.c): an 'S'
 * sub-lock in the key's 'H' container.  Sharers are compatible; an
 * exclusive request waits for every sharer; a shared request waits for an
 * exclusive holder; a sharer's exclusive request replaces the container
 * with a plain 'S' lock when it is the only sharer (an upgrade), else it
 * waits for the others.  A shared request on a key the txn holds
 * exclusively keeps the exclusive lock.
 *
 * Waiting: wait_timeout < 0 answers KeyError.locked at once; 0 waits the
 * default (lock_wait_max_ms, 1 s); > 0 waits that long, capped at
 * lock_wait_max_ms (TiKV's wait-for-lock-timeout; the client re-sends).
 * The waiter records the wake-up generation of the key's bucket while it
 * still holds the key's latch, releases the latch and sleeps until a command
 * that removes a lock on a key of that bucket bumps the generation (commit,
 * rollback, resolve, pessimistic rollback), then retries the whole request.
 * On timeout it answers KeyError.locked with the holders' LockInfo.
 *
 * Deadlock detection, as PostgreSQL's: while waiting, a txn has one edge
 * waiter_start_ts -> {holders' start_ts} in the wait-for graph.  Once the
 * wait has lasted deadlock_timeout_ms (default 1 s) the waiter searches
 * once for a path from one of its holders back to itself; if there is one,
 * it gets KeyError.deadlock {lock_ts = that holder, lock_key,
 * deadlock_key_hash = hash of the key the last txn on the cycle waits for}.
 * Of two txns waiting for each other the one that began first is the
 * victim.  The edge outlives the request by KVE_WAIT_LINGER_MS so that the
 * client's re-send (after lock_wait_max_ms) continues the same wait: same
 * start time, check done or not.  A granted lock, another error, or a
 * PessimisticRollback of the txn forgets its lingering edges; an edge whose
 * request is waiting is only ever removed by that request.
 */
#include "kv/embedded/kve_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kve_wait_edge {
	uint64_t waiter;
	uint64_t key_hash;			/* the key waited for */
	uint64_t *holders;			/* its holders (malloc) */
	size_t n_holders;
	uint64_t since_ms;			/* CLOCK_REALTIME ms: the wait began */
	uint64_t linger_until_ms;	/* 0: a request is waiting; else kept
								 * between the client's re-sends until then */
	bool checked;				/* the deadlock check ran for this wait */
	kve_wait_edge *next;
};

#define MAX_DFS 4096

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void
ms_to_timespec(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t) (ms / 1000);
	ts->tv_nsec = (long) (ms % 1000) * 1000000L;
}

static bool
edge_live(const kve_wait_edge *e, uint64_t now)
{
	return e->linger_until_ms == 0 || e->linger_until_ms > now;
}

static void
edge_free(kve_wait_edge *e)
{
	free(e->holders);
	free(e);
}

/* Unlink and free the lingering edges of waiter, or with only_expired the
 * expired ones of anybody.  An edge whose request is waiting belongs to that
 * request and is never freed here.  Under wait_mu. */
static void
edges_drop(kve_store *s, uint64_t waiter, bool only_expired, uint64_t now)
{
	for (kve_wait_edge **pp = &s->edges; *pp;) {
		kve_wait_edge *e = *pp;
		bool drop = e->linger_until_ms != 0 &&
					(only_expired ? !edge_live(e, now) : e->waiter == waiter);
		if (drop) {
			*pp = e->next;
			edge_free(e);
			atomic_fetch_sub(&s->n_edges, 1);
		} else
			pp = &e->next;
	}
}

/* Forget waiter's waits (its request got the lock or failed for another
 * reason, or the txn rolled back). */
static void
waits_forget(kve_store *s, uint64_t waiter)
{
	if (atomic_load(&s->n_edges) == 0)
		return;
	pthread_mutex_lock(&s->wait_mu);
	edges_drop(s, waiter, false, 0);
	pthread_mutex_unlock(&s->wait_mu);
}

void
kve_waits_free(kve_store *s)
{
	while (s->edges) {
		kve_wait_edge *e = s->edges;
		s->edges = e->next;
		edge_free(e);
	}
}

/* The wait of waiter for key_hash, continued if the previous request of
 * the same wait is still remembered (the client re-sends every
 * lock_wait_max_ms; the wait start, and whether the deadlock check ran,
 * survive that), else a new one.  Under wait_mu. */
static kve_wait_edge *
edge_claim(kve_store *s, uint64_t waiter, uint64_t key_hash, const uint64_t *holders, size_t nh,
		   uint64_t now)
{
	edges_drop(s, 0, true, now);
	kve_wait_edge *keep = NULL;
	for (kve_wait_edge **pp = &s->edges; *pp;) {
		kve_wait_edge *e = *pp;
		if (e->waiter == waiter && !keep && e->key_hash == key_hash && e->linger_until_ms) {
			keep = e;
			pp = &e->next;
		} else if (e->waiter == waiter && e->linger_until_ms) {
			*pp = e->next; /* an older wait of this txn on another key */
			edge_free(e);
			atomic_fetch_sub(&s->n_edges, 1);
		} else
			pp = &e->next;
	}
	if (!keep) {
		keep = calloc(1, sizeof *keep);
		if (!keep)
			abort();
		keep->waiter = waiter;
		keep->key_hash = key_hash;
		keep->since_ms = now;
		keep->next = s->edges;
		s->edges = keep;
		atomic_fetch_add(&s->n_edges, 1);
	}
	keep->linger_until_ms = 0;
	free(keep->holders);
	keep->holders = malloc(sizeof(uint64_t) * (nh ? nh : 1));
	if (!keep->holders)
		abort();
	if (nh)
		memcpy(keep->holders, holders, sizeof(uint64_t) * nh);
	keep->n_holders = nh;
	return keep;
}

/* Is there a path from `from` to `target` in the wait-for graph?  On
 * success *hash = key hash of the last edge (the one that reaches target). */
static bool
path_exists(kve_store *s, uint64_t from, uint64_t target, uint64_t now, uint64_t *hash)
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
			if (e->waiter != t || !edge_live(e, now))
				continue;
			for (size_t h = 0; h < e->n_holders; h++) {
				if (e->holders[h] == target) {
					*hash = e->key_hash;
					return true;
				}
				if (sp < MAX_DFS)
					stack[sp++] = e->holders[h];
			}
		}
	}
	return false;
}

/* The deadlock check of waiter e: does one of its holders wait, directly
 * or not, for it?  *lock_ts = that holder. */
static bool
deadlock_check(kve_store *s, kve_wait_edge *e, uint64_t now, uint64_t *lock_ts, uint64_t *hash)
{
	e->checked = true;
	for (size_t h = 0; h < e->n_holders; h++)
		if (path_exists(s, e->holders[h], e->waiter, now, hash)) {
			*lock_ts = e->holders[h];
			return true;
		}
	return false;
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
	uint64_t dl_delay =
		s->opts.deadlock_timeout_ms ? s->opts.deadlock_timeout_ms : KVE_DEFAULT_DEADLOCK_MS;
	bool no_wait = req->wait_timeout < 0;
	uint64_t wait_ms = req->wait_timeout <= 0 ? cap_ms
					   : (uint64_t) req->wait_timeout < cap_ms ? (uint64_t) req->wait_timeout
															   : cap_ms;
	const uint64_t deadline_ms = now_ms() + wait_ms;
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
		uint64_t *holders = NULL, key_hash = 0;
		size_t n_holders = 0;
		const ProtobufCBinaryData *blocked_key = NULL;
		kve_versions v;
		kve_versions_open(&v, s, s->ro, c.a);
		for (size_t i = 0; i < n && !fatal && !locked; i++) {
			const ProtobufCBinaryData *key = &keys[i];
			bool shared = req->mutations[i]->op == KVRPCPB__OP__SharedPessimisticLock;
			size_t dkn;
			uint8_t *dk = kve_data_key(c.a, key->data, key->len, &dkn);
			kve_lock l;
			int r = kve_load_lock(s, s->ro, c.a, dk, dkn, &l, err);
			if (r < 0) {
				rc = CM_ERROR;
				break;
			}
			kve_lock *mine = r > 0 ? kve_lock_mine(&l, start) : NULL;
			/* sharers are compatible; an exclusive request needs the key to
			 * itself (an upgrade waits for the other sharers) */
			bool blocked = r > 0 && (l.type == 'H' ? !shared && !kve_lock_sole_holder(&l, start)
												   : !mine);
			if (blocked) {
				locked = kve_key_error_locked(&l, key->data, key->len);
				n_holders = kve_lock_holders(c.a, &l, start, &holders);
				key_hash = kve_hash(key->data, key->len);
				blocked_key = key;
				break;
			}
			bool upgrade = mine && l.type == 'H' && !shared;
			/* a refresh of our own lock needs no check: nobody could commit
			 * under it; a new lock, a new sub-lock or an upgrade (other
			 * sharers may have committed Lock records) does */
			if (!mine || upgrade) {
				uint64_t cts;
				kve_write w;
				int f = kve_versions_seek(&v, dk, dkn, UINT64_MAX, &cts, &w, err);
				if (f < 0) {
					rc = CM_ERROR;
					break;
				}
				if (f > 0 && cts >= start && !mine) {
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
			if (mine && !upgrade) {
				/* held already (a shared request under our exclusive lock
				 * keeps the exclusive one) */
				if (mine->type == 'S' && mine->for_update_ts < fut) {
					mine->for_update_ts = fut;
					kve_put_lock(&c, dk, dkn, &l);
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
			if (upgrade && mine->for_update_ts > nl.for_update_ts)
				nl.for_update_ts = mine->for_update_ts;
			if (shared) {
				kve_lock cont;
				if (r > 0)
					cont = l;
				else
					kve_shared_init(&cont);
				kve_shared_put(c.a, &cont, &nl);
				kve_put_lock(&c, dk, dkn, &cont);
			} else
				kve_put_lock(&c, dk, dkn, &nl); /* an upgrade replaces the container */
		}
		kve_versions_close(&v);
		if (rc != CM_OK || fatal) {
			if (fatal) {
				reset_values(resp);
				kve_push_key_error(&resp->errors, &resp->n_errors, fatal);
			}
			c.b.n = 0;
			kve_cmd_finish(&c);
			waits_forget(s, start);
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
			waits_forget(s, start);
			return rc;
		}

		/* blocked by other txns' locks */
		c.b.n = 0;
		reset_values(resp);
		if (no_wait) {
			kve_push_key_error(&resp->errors, &resp->n_errors, locked);
			kve_cmd_finish(&c);
			return CM_OK;
		}
		/* The deadlock check runs in the waiter once it has waited
		 * deadlock_timeout_ms (PostgreSQL's deadlock_timeout): of two txns
		 * waiting for each other, the one that began waiting first finds
		 * the cycle and fails, the other proceeds. */
		pthread_mutex_lock(&s->wait_mu);
		uint64_t now = now_ms();
		kve_wait_edge *edge = edge_claim(s, start, key_hash, holders, n_holders, now);
		atomic_fetch_add(&s->n_waiters, 1);
		uint64_t gen = kve_wait_gen(s, key_hash);
		pthread_mutex_unlock(&s->wait_mu);
		/* the blocked key lives in the command's arena: keep a copy for the
		 * deadlock error */
		size_t bk_len = blocked_key->len;
		uint8_t *bk = malloc(bk_len ? bk_len : 1);
		if (!bk)
			abort();
		memcpy(bk, blocked_key->data, bk_len);
		kve_cmd_finish(&c); /* releases the latches: the holders may now proceed */

		pthread_mutex_lock(&s->wait_mu);
		bool timed_out = false, dead = false;
		uint64_t dl_ts = 0, dl_hash = 0;
		for (;;) {
			now = now_ms();
			if (!edge->checked && now >= edge->since_ms + dl_delay &&
				deadlock_check(s, edge, now, &dl_ts, &dl_hash)) {
				dead = true;
				break;
			}
			if (kve_wait_gen(s, key_hash) != gen)
				break;
			if (now >= deadline_ms) {
				timed_out = true;
				break;
			}
			uint64_t wake = deadline_ms;
			if (!edge->checked && edge->since_ms + dl_delay < wake)
				wake = edge->since_ms + dl_delay;
			struct timespec ts;
			ms_to_timespec(wake, &ts);
			pthread_cond_timedwait(&s->wait_cv, &s->wait_mu, &ts);
		}
		atomic_fetch_sub(&s->n_waiters, 1);
		/* a victim's wait is over (expired at once); otherwise the wait is
		 * kept for the retry or the client's re-send */
		edge->linger_until_ms = dead ? 1 : now_ms() + KVE_WAIT_LINGER_MS;
		pthread_mutex_unlock(&s->wait_mu);
		if (dead) {
			kve_push_key_error(&resp->errors, &resp->n_errors, deadlock_error(dl_ts, bk, bk_len, dl_hash));
			free(bk);
			kvrpcpb__key_error__free_unpacked(locked, NULL);
			return CM_OK;
		}
		free(bk);
		if (timed_out) {
			kve_push_key_error(&resp->errors, &resp->n_errors, locked);
			return CM_OK;
		}
		kvrpcpb__key_error__free_unpacked(locked, NULL);
		/* a lock we waited for went away: run the request again */
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
		kve_lock *m = r > 0 ? kve_lock_mine(&l, req->start_version) : NULL;
		if (m && m->type == 'S' && m->for_update_ts <= req->for_update_ts)
			kve_act_release(&c, key->data, key->len, dk, dkn, &l, req->start_version);
	}
	rc = kve_cmd_write(&c, err);
	waits_forget(s, req->start_version); /* the txn gave up what it waited for */
out:
	kve_cmd_finish(&c);
	return rc;
}
