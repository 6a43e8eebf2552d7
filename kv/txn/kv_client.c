/*
 * kv_client.c -- the transaction client object: options, TSO access, the
 * lock resolver's status cache, the heartbeat thread, and the mapping of
 * KV errors to kv_err + PostgreSQL errors.
 *
 * Heartbeat: one thread per client wakes every heartbeat_interval_ms and
 * sends TxnHeartBeat for each registered txn (copying primary and start_ts
 * under hb_mu, sending without it).  A txn registers once it holds locks and
 * unregisters when it finishes; a heartbeat for a finished txn is harmless
 * (TiKV answers TxnNotFound / lock not found, which is ignored).
 *
 * Exported: kv_err_name, kv_client_options_init, kv_client_new,
 * kv_client_free, kv_client_region_cache, kv_client_store, kv_client_get_ts;
 * internal: kv_fail, kv_from_cm, kv_key_error, kv_client_ts,
 * kv_status_cache_get/put, kv_hb_register/unregister, kv_u64vec_*,
 * kv_key_cmp.
 */
#include "kv/txn/kv_txn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *hb_main(void *arg);
static void hb_send_one(kv_client *c, const kv_hb_entry *e, uint64_t now_ms);

/* ---- small helpers ------------------------------------------------------------ */

int
kv_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

bool
kv_u64vec_push(kv_u64vec *v, uint64_t x)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 8;
		uint64_t *nv = realloc(v->v, nc * sizeof(*nv));
		if (!nv)
			return false;
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = x;
	return true;
}

bool
kv_u64vec_has(const kv_u64vec *v, uint64_t x)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] == x)
			return true;
	return false;
}

void
kv_u64vec_free(kv_u64vec *v)
{
	free(v->v);
	*v = (kv_u64vec){0};
}

/* ---- errors ------------------------------------------------------------------------ */

const char *
kv_err_name(kv_err e)
{
	switch (e) {
	case KV_OK: return "ok";
	case KV_ERR_WRITE_CONFLICT: return "write_conflict";
	case KV_ERR_TXN_ABORTED: return "txn_aborted";
	case KV_ERR_DEADLOCK: return "deadlock";
	case KV_ERR_LOCK_WAIT_TIMEOUT: return "lock_wait_timeout";
	case KV_ERR_KEY_EXISTS: return "key_exists";
	case KV_ERR_CANCELED: return "canceled";
	case KV_ERR_UNDETERMINED: return "undetermined";
	case KV_ERR_INTERNAL: return "internal";
	}
	return "unknown";
}

static const char *
kv_err_code(kv_err e)
{
	switch (e) {
	case KV_ERR_WRITE_CONFLICT:
	case KV_ERR_TXN_ABORTED: return CM_E_SERIALIZATION_FAILURE;
	case KV_ERR_DEADLOCK: return CM_E_T_R_DEADLOCK_DETECTED;
	case KV_ERR_LOCK_WAIT_TIMEOUT: return CM_E_LOCK_NOT_AVAILABLE;
	case KV_ERR_KEY_EXISTS: return CM_E_UNIQUE_VIOLATION;
	case KV_ERR_CANCELED: return CM_E_QUERY_CANCELED;
	case KV_ERR_UNDETERMINED: return CM_E_STATEMENT_COMPLETION_UNKNOWN;
	default: return CM_E_INTERNAL_ERROR;
	}
}

kv_err
kv_fail(cm_error *err, kv_err kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cm_error_vset(err, CM_SEV_ERROR, kv_err_code(kind), fmt, ap);
	va_end(ap);
	return kind;
}

kv_err
kv_from_cm(const cm_error *err)
{
	if (cm_error_is(err, CM_E_QUERY_CANCELED))
		return KV_ERR_CANCELED;
	if (cm_error_is(err, CM_E_LOCK_NOT_AVAILABLE))
		return KV_ERR_LOCK_WAIT_TIMEOUT;
	if (cm_error_is(err, CM_E_STATEMENT_COMPLETION_UNKNOWN))
		return KV_ERR_UNDETERMINED;
	if (cm_error_is(err, CM_E_SERIALIZATION_FAILURE))
		return KV_ERR_WRITE_CONFLICT;
	return KV_ERR_INTERNAL;
}

kv_err
kv_key_error(cm_error *err, const Kvrpcpb__KeyError *ke)
{
	if (ke->conflict) {
		kv_fail(err, KV_ERR_WRITE_CONFLICT,
				"could not serialize access due to concurrent update");
		cm_error_detail(err, "write conflict: txn %llu, conflicting txn %llu committed at %llu",
						(unsigned long long) ke->conflict->start_ts,
						(unsigned long long) ke->conflict->conflict_ts,
						(unsigned long long) ke->conflict->conflict_commit_ts);
		return KV_ERR_WRITE_CONFLICT;
	}
	if (ke->already_exist)
		return kv_fail(err, KV_ERR_KEY_EXISTS,
					   "duplicate key value violates unique constraint");
	if (ke->deadlock) {
		kv_fail(err, KV_ERR_DEADLOCK, "deadlock detected");
		cm_error_detail(err, "waiting for a lock held by transaction %llu",
						(unsigned long long) ke->deadlock->lock_ts);
		return KV_ERR_DEADLOCK;
	}
	if (ke->txn_lock_not_found || ke->txn_not_found)
		return kv_fail(err, KV_ERR_TXN_ABORTED,
					   "could not serialize access: transaction was rolled back by a concurrent "
					   "reader");
	if (ke->commit_ts_expired)
		return kv_fail(err, KV_ERR_INTERNAL, "commit timestamp expired");
	if (ke->retryable && ke->retryable[0])
		return kv_fail(err, KV_ERR_WRITE_CONFLICT,
					   "could not serialize access due to concurrent update: %s", ke->retryable);
	if (ke->abort && ke->abort[0]) {
		if (strstr(ke->abort, "pessimistic lock not found") ||
			strstr(ke->abort, "rolled back") || strstr(ke->abort, "TxnLockNotFound"))
			return kv_fail(err, KV_ERR_TXN_ABORTED,
						   "could not serialize access: transaction was aborted (%s)", ke->abort);
		return kv_fail(err, KV_ERR_INTERNAL, "kv transaction aborted: %s", ke->abort);
	}
	if (ke->assertion_failed)
		return kv_fail(err, KV_ERR_INTERNAL, "kv assertion failed");
	if (ke->primary_mismatch)
		return kv_fail(err, KV_ERR_INTERNAL, "kv lock primary mismatch");
	if (ke->commit_ts_too_large)
		return kv_fail(err, KV_ERR_INTERNAL, "kv commit timestamp too large");
	return kv_fail(err, KV_ERR_INTERNAL, "unexpected kv key error");
}

/* ---- client ------------------------------------------------------------------------ */

void
kv_client_options_init(kv_client_options *o)
{
	*o = (kv_client_options){
		.try_one_pc = true,
		.txn_batch_bytes = 256u << 10,	/* [copr] batches go out one after another, each
										 * a store write with its own WAL sync: large
										 * ones keep bulk loads from being fsync-bound */
		.one_pc_max_bytes = 1u << 20,
		.lock_ttl_ms = 3000,
		.managed_lock_ttl_ms = 20000,
		.heartbeat_interval_ms = 0,
		.scan_batch = 256,
		.heartbeat_thread = true,
	};
}

kv_err
kv_client_new(kv_store *s, const kv_client_options *opts, kv_client **out, cm_error *err)
{
	*out = NULL;
	kv_client *c = calloc(1, sizeof(*c));
	if (!c)
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	c->store = s;
	if (opts)
		c->opts = *opts;
	else
		kv_client_options_init(&c->opts);
	if (!c->opts.txn_batch_bytes)
		c->opts.txn_batch_bytes = 256u << 10;
	if (!c->opts.lock_ttl_ms)
		c->opts.lock_ttl_ms = 3000;
	if (!c->opts.managed_lock_ttl_ms)
		c->opts.managed_lock_ttl_ms = 20000;
	if (!c->opts.heartbeat_interval_ms)
		c->opts.heartbeat_interval_ms = c->opts.managed_lock_ttl_ms / 2;
	if (!c->opts.scan_batch)
		c->opts.scan_batch = 256;
	c->regions = kv_region_cache_new(s);
	if (!c->regions) {
		free(c);
		return kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	}
	pthread_mutex_init(&c->status_mu, NULL);
	pthread_mutex_init(&c->hb_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->hb_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (c->opts.heartbeat_thread) {
		if (pthread_create(&c->hb_thread, NULL, hb_main, c) != 0) {
			kv_region_cache_free(c->regions);
			pthread_mutex_destroy(&c->status_mu);
			pthread_mutex_destroy(&c->hb_mu);
			pthread_cond_destroy(&c->hb_cv);
			free(c);
			return kv_fail(err, KV_ERR_INTERNAL, "could not start the heartbeat thread");
		}
		c->hb_running = true;
	}
	*out = c;
	return KV_OK;
}

void
kv_client_free(kv_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->hb_mu);
	c->hb_stop = true;
	pthread_cond_broadcast(&c->hb_cv);
	pthread_mutex_unlock(&c->hb_mu);
	if (c->hb_running)
		pthread_join(c->hb_thread, NULL);
	while (c->hb_list) {
		kv_hb_entry *e = c->hb_list;
		c->hb_list = e->next;
		free(e->primary);
		free(e);
	}
	kv_region_cache_free(c->regions);
	pthread_mutex_destroy(&c->status_mu);
	pthread_mutex_destroy(&c->hb_mu);
	pthread_cond_destroy(&c->hb_cv);
	free(c);
}

kv_region_cache *
kv_client_region_cache(kv_client *c)
{
	return c->regions;
}

kv_store *
kv_client_store(kv_client *c)
{
	return c->store;
}

kv_err
kv_client_ts(kv_client *c, kv_backoffer *bo, uint64_t *ts, cm_error *err)
{
	for (;;) {
		cm_error e = {0};
		if (kv_store_get_ts(c->store, 1, ts, &e) == CM_OK)
			return KV_OK;
		if (kv_backoff(bo, KV_BO_PD_RPC, err) != CM_OK) {
			kv_err k = kv_from_cm(err);
			if (k == KV_ERR_CANCELED) {
				cm_error_clear(&e);
				return k;
			}
			cm_error_move(err, &e);
			return KV_ERR_INTERNAL;
		}
		cm_error_clear(&e);
	}
}

kv_err
kv_client_get_ts(kv_client *c, atomic_int *cancel, uint64_t *ts, cm_error *err)
{
	kv_backoffer bo;
	kv_backoffer_init(&bo, KV_BO_BUDGET_TSO_MS, cancel);
	return kv_client_ts(c, &bo, ts, err);
}

/* ---- status cache ---------------------------------------------------------------- */

static size_t
status_slot(uint64_t start_ts)
{
	uint64_t h = start_ts * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t) (h >> 32) % KV_STATUS_CACHE_SIZE;
}

bool
kv_status_cache_get(kv_client *c, uint64_t start_ts, uint64_t *commit_ts)
{
	bool hit = false;
	size_t i = status_slot(start_ts);
	pthread_mutex_lock(&c->status_mu);
	if (c->status[i].start_ts == start_ts) {
		*commit_ts = c->status[i].commit_ts;
		hit = true;
	}
	pthread_mutex_unlock(&c->status_mu);
	return hit;
}

void
kv_status_cache_put(kv_client *c, uint64_t start_ts, uint64_t commit_ts)
{
	size_t i = status_slot(start_ts);
	pthread_mutex_lock(&c->status_mu);
	c->status[i].start_ts = start_ts;
	c->status[i].commit_ts = commit_ts;
	pthread_mutex_unlock(&c->status_mu);
}

/* ---- heartbeat ---------------------------------------------------------------------- */

bool
kv_hb_register(kv_client *c, uint64_t start_ts, const uint8_t *primary, size_t len)
{
	kv_hb_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return false;
	e->primary = malloc(len ? len : 1);
	if (!e->primary) {
		free(e);
		return false;
	}
	if (len)
		memcpy(e->primary, primary, len);
	e->primary_len = len;
	e->start_ts = start_ts;
	e->begin_ms = kv_ts_physical(start_ts);
	pthread_mutex_lock(&c->hb_mu);
	e->next = c->hb_list;
	c->hb_list = e;
	pthread_mutex_unlock(&c->hb_mu);
	return true;
}

void
kv_hb_unregister(kv_client *c, uint64_t start_ts)
{
	pthread_mutex_lock(&c->hb_mu);
	for (kv_hb_entry **pp = &c->hb_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->start_ts == start_ts) {
			kv_hb_entry *e = *pp;
			*pp = e->next;
			free(e->primary);
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&c->hb_mu);
}

static void
hb_send_one(kv_client *c, const kv_hb_entry *e, uint64_t now_ms)
{
	kv_backoffer bo;
	kv_backoffer_init(&bo, 2000, NULL); /* short: the next round retries anyway */
	uint64_t age = now_ms > e->begin_ms ? now_ms - e->begin_ms : 0;
	for (int attempt = 0; attempt < 5; attempt++) {
		cm_error err = {0};
		kv_region *r = NULL;
		if (kv_region_cache_locate(c->regions, &bo, e->primary, e->primary_len, &r, &err) !=
			CM_OK) {
			cm_error_clear(&err);
			return;
		}
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		Kvrpcpb__TxnHeartBeatRequest req = KVRPCPB__TXN_HEART_BEAT_REQUEST__INIT;
		req.context = &ctx;
		req.primary_lock = (ProtobufCBinaryData){e->primary_len, e->primary};
		req.start_version = e->start_ts;
		req.advise_lock_ttl = age + c->opts.managed_lock_ttl_ms;
		Kvrpcpb__TxnHeartBeatResponse resp = KVRPCPB__TXN_HEART_BEAT_RESPONSE__INIT;
		cm_status st = kv_store_txn_heart_beat(c->store, &req, &resp, &err);
		bool retry = false;
		if (st == CM_OK && resp.region_error) {
			retry = kv_region_cache_on_error(c->regions, &bo, r, resp.region_error, false,
											 &err) == CM_OK;
		} else if (st == CM_OK) {
			atomic_fetch_add(&c->hb_sent, 1);
		}
		kv_store_response_clear(&resp.base);
		kv_region_unref(r);
		cm_error_clear(&err);
		if (!retry)
			return;
	}
}

static void *
hb_main(void *arg)
{
	kv_client *c = arg;
	pthread_mutex_lock(&c->hb_mu);
	while (!c->hb_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t ns = (uint64_t) ts.tv_nsec + (uint64_t) c->opts.heartbeat_interval_ms * 1000000u;
		ts.tv_sec += (time_t) (ns / 1000000000u);
		ts.tv_nsec = (long) (ns % 1000000000u);
		while (!c->hb_stop && pthread_cond_timedwait(&c->hb_cv, &c->hb_mu, &ts) != ETIMEDOUT)
			;
		if (c->hb_stop)
			break;
		/* copy the work list, then send without the mutex */
		size_t n = 0;
		for (kv_hb_entry *e = c->hb_list; e; e = e->next)
			n++;
		if (n == 0)
			continue;
		kv_hb_entry *copy = calloc(n, sizeof(*copy));
		if (!copy)
			continue;
		size_t k = 0;
		for (kv_hb_entry *e = c->hb_list; e; e = e->next) {
			copy[k] = *e;
			copy[k].primary = malloc(e->primary_len ? e->primary_len : 1);
			if (!copy[k].primary)
				continue;
			if (e->primary_len)
				memcpy(copy[k].primary, e->primary, e->primary_len);
			k++;
		}
		pthread_mutex_unlock(&c->hb_mu);
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t now = (uint64_t) rt.tv_sec * 1000u + (uint64_t) rt.tv_nsec / 1000000u;
		for (size_t i = 0; i < k; i++) {
			if (now < copy[i].begin_ms + KV_MAX_TXN_TTL_MS)
				hb_send_one(c, &copy[i], now);
			free(copy[i].primary);
		}
		free(copy);
		pthread_mutex_lock(&c->hb_mu);
	}
	pthread_mutex_unlock(&c->hb_mu);
	return NULL;
}
