/*
 * test_kv_txn.c -- the transaction client (kv/txn) against the embedded
 * store: backoff table and budget, region cache, MVCC / isolation through
 * the client, lock resolution of abandoned transactions, pessimistic waits
 * and deadlocks, savepoints, 1PC vs 2PC, iterators merging the buffer.
 *
 * Each test opens a store in its own temporary directory under /tmp
 * (fixture), removed afterwards.  Keys and values are C strings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv/embedded/kve.h"
#include "kv/store.h"
#include "kv/txn/kv_backoff.h"
#include "kv/txn/kv_region_cache.h"
#include "kv/txn/kv_txn.h"

/* ---- fixture ---------------------------------------------------------------- */

static char g_dir[64];
static kv_store *g_s;
static kv_client *g_c;
static cm_arena *g_a;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
open_all(const kv_client_options *co)
{
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.lock_wait_max_ms = 5000;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK, "open: %s",
				 err.message ? err.message : "?");
	cr_assert_eq(kv_client_new(g_s, co, &g_c, &err), KV_OK);
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_kvtxn_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	open_all(NULL);
	g_a = cm_arena_create(0);
}

static void
teardown(void)
{
	kv_client_free(g_c);
	g_c = NULL;
	kv_store_close(g_s);
	g_s = NULL;
	cm_arena_destroy(g_a);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Re-create the client with other options (store unchanged). */
static void
new_client(const kv_client_options *co)
{
	kv_client_free(g_c);
	cm_error err = {0};
	cr_assert_eq(kv_client_new(g_s, co, &g_c, &err), KV_OK);
}

TestSuite(kv_txn, .init = setup, .fini = teardown, .timeout = 60);

/* ---- helpers ------------------------------------------------------------------ */

#define K(str) ((const uint8_t *) (str)), strlen(str)
#define BIN(str) ((ProtobufCBinaryData){strlen(str), (uint8_t *) (str)})
static kv_txn *
begin(kv_txn_mode mode)
{
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.mode = mode;
	kv_txn *t = NULL;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	if (mode == KV_TXN_PESSIMISTIC)
		cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	return t;
}

static void
tset(kv_txn *t, const char *k, const char *v)
{
	cm_error err = {0};
	cr_assert_eq(kv_txn_set(t, K(k), (const uint8_t *) v, strlen(v), &err), KV_OK);
}

static kv_err
tcommit(kv_txn *t)
{
	cm_error err = {0};
	kv_err k = kv_txn_commit(t, &err);
	cm_error_clear(&err);
	return k;
}

/* committed put of one key */
static void
put(const char *k, const char *v)
{
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	tset(t, k, v);
	cr_assert_eq(tcommit(t), KV_OK);
	kv_txn_free(t);
}

/* value of k in txn t as a string ("<none>" if missing) */
static const char *
tget(kv_txn *t, const char *k)
{
	kv_value v;
	cm_error err = {0};
	kv_err r = kv_txn_get(t, g_a, K(k), &v, &err);
	cr_assert_eq(r, KV_OK, "get %s: %s %s", k, kv_err_name(r), err.message ? err.message : "");
	if (!v.found)
		return "<none>";
	char *s = cm_alloc(g_a, v.len + 1);
	memcpy(s, v.data, v.len);
	s[v.len] = 0;
	return s;
}

static const char *
sget(uint64_t ts, const char *k)
{
	kv_snapshot s;
	kv_snapshot_init(&s, g_c, ts);
	kv_value v;
	cm_error err = {0};
	kv_err r = kv_snapshot_get(&s, g_a, K(k), &v, &err);
	cr_assert_eq(r, KV_OK, "sget %s: %s %s", k, kv_err_name(r), err.message ? err.message : "");
	kv_snapshot_destroy(&s);
	if (!v.found)
		return "<none>";
	char *str = cm_alloc(g_a, v.len + 1);
	memcpy(str, v.data, v.len);
	str[v.len] = 0;
	return str;
}

static uint64_t
now_ts(void)
{
	uint64_t ts;
	cm_error err = {0};
	cr_assert_eq(kv_client_get_ts(g_c, NULL, &ts, &err), KV_OK);
	return ts;
}

static void
split_at(const char *k)
{
	cm_error err = {0};
	cr_assert_eq(kve_split_region(g_s, K(k), &err), CM_OK);
}

static uint64_t
ms_since(uint64_t us)
{
	return (kv_now_us() - us) / 1000u;
}

/* ---- backoff ------------------------------------------------------------------- */

Test(kv_txn, backoff_table_and_formula)
{
	const kv_backoff_config *c = kv_backoff_config_of(KV_BO_REGION_MISS);
	cr_assert_eq(c->base_ms, 2);
	cr_assert_eq(c->cap_ms, 500);
	cr_assert_eq(c->jitter, KV_BO_JITTER_NONE);
	cr_assert_str_eq(kv_backoff_kind_name(KV_BO_TXN_LOCK_FAST), "txnLockFast");
	cr_assert_eq(kv_backoff_config_of(KV_BO_TXN_LOCK_FAST)->base_ms, 10);
	cr_assert_eq(kv_backoff_config_of(KV_BO_TIKV_SERVER_BUSY)->cap_ms, 10000);
	cr_assert_eq(kv_backoff_config_of(KV_BO_PD_RPC)->base_ms, 500);
	uint64_t rng = 42;
	/* no jitter: exact doubling, capped */
	uint32_t want[] = {2, 4, 8, 16, 32, 64, 128, 256, 500, 500};
	for (uint32_t i = 0; i < 10; i++)
		cr_assert_eq(kv_backoff_sleep_for(KV_BO_REGION_MISS, i, &rng), want[i], "attempt %u", i);
	/* equal jitter: in [v/2, v] */
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t v = 100u << i;
		if (v > 3000)
			v = 3000;
		for (int r = 0; r < 50; r++) {
			uint32_t s = kv_backoff_sleep_for(KV_BO_TXN_LOCK, i, &rng);
			cr_assert(s >= v / 2 && s <= v, "attempt %u sleep %u of %u", i, s, v);
		}
	}
}

Test(kv_txn, backoff_budget_and_cancel)
{
	kv_backoffer bo;
	kv_backoffer_init(&bo, 20, NULL);
	cm_error err = {0};
	/* 2 + 4 + 8 = 14 fits, + 16 does not */
	cr_assert_eq(kv_backoff(&bo, KV_BO_REGION_MISS, &err), CM_OK);
	cr_assert_eq(kv_backoff(&bo, KV_BO_REGION_MISS, &err), CM_OK);
	cr_assert_eq(kv_backoff(&bo, KV_BO_REGION_MISS, &err), CM_OK);
	cr_assert_eq(kv_backoffer_total_ms(&bo), 14);
	cr_assert_eq(kv_backoff(&bo, KV_BO_REGION_MISS, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_IO_ERROR));
	cm_error_clear(&err);

	/* a lock kind exhausting its budget is 55P03 */
	kv_backoffer_init(&bo, 5, NULL);
	cr_assert_eq(kv_backoff(&bo, KV_BO_TXN_NOT_FOUND, &err), CM_OK);
	cr_assert_eq(kv_backoff(&bo, KV_BO_TXN_NOT_FOUND, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_LOCK_NOT_AVAILABLE));
	cm_error_clear(&err);

	/* cancellation stops a long sleep promptly */
	atomic_int cancel = 0;
	kv_backoffer_init(&bo, 0, &cancel);
	cr_assert_eq(kv_backoff(&bo, KV_BO_REGION_MISS, &err), CM_OK);
	atomic_store(&cancel, 1);
	uint64_t t0 = kv_now_us();
	cr_assert_eq(kv_backoff(&bo, KV_BO_TIKV_SERVER_BUSY, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_QUERY_CANCELED));
	cr_assert(ms_since(t0) < 50);
	cm_error_clear(&err);

	/* deadline */
	kv_backoffer_init(&bo, 0, NULL);
	kv_backoffer_set_deadline(&bo, kv_now_us() + 30000);
	t0 = kv_now_us();
	cr_assert_eq(kv_backoff(&bo, KV_BO_PD_RPC, &err), CM_ERROR); /* >= 250 ms sleep */
	cr_assert(cm_error_is(&err, CM_E_QUERY_CANCELED));
	cr_assert(ms_since(t0) < 200, "took %llu ms", (unsigned long long) ms_since(t0));
	cm_error_clear(&err);
}

static void *
cancel_later(void *arg)
{
	usleep(100 * 1000);
	atomic_store((atomic_int *) arg, 1);
	return NULL;
}

Test(kv_txn, backoff_cancel_from_other_thread)
{
	atomic_int cancel = 0;
	kv_backoffer bo;
	kv_backoffer_init(&bo, 0, &cancel);
	pthread_t th;
	pthread_create(&th, NULL, cancel_later, &cancel);
	cm_error err = {0};
	uint64_t t0 = kv_now_us();
	cm_status st = CM_OK;
	while (st == CM_OK)
		st = kv_backoff(&bo, KV_BO_TXN_LOCK, &err);
	pthread_join(th, NULL);
	cr_assert(cm_error_is(&err, CM_E_QUERY_CANCELED));
	uint64_t ms = ms_since(t0);
	cr_assert(ms >= 90 && ms < 200, "cancelled after %llu ms", (unsigned long long) ms);
	cm_error_clear(&err);
}

/* ---- region cache -------------------------------------------------------------- */

Test(kv_txn, region_cache_locate_split_group)
{
	kv_region_cache *rc = kv_client_region_cache(g_c);
	kv_backoffer bo;
	kv_backoffer_init(&bo, 5000, NULL);
	cm_error err = {0};
	kv_region *r = NULL;
	cr_assert_eq(kv_region_cache_locate(rc, &bo, K("k"), &r, &err), CM_OK);
	cr_assert_eq(r->start.len, 0);
	cr_assert_eq(r->end.len, 0);
	cr_assert(kv_region_contains(r, K("zzz")));
	uint64_t old_version = r->epoch.version;

	/* split: the cached region is now stale; a request with it gets a
	 * region error, and on_error brings the cache up to date */
	split_at("g");
	split_at("p");
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	kv_region_fill_context(r, &ctx);
	Kvrpcpb__GetRequest req = KVRPCPB__GET_REQUEST__INIT;
	req.context = &ctx;
	req.key = BIN("k");
	req.version = now_ts();
	Kvrpcpb__GetResponse resp = KVRPCPB__GET_RESPONSE__INIT;
	cr_assert_eq(kv_store_get(g_s, &req, &resp, &err), CM_OK);
	cr_assert_not_null(resp.region_error);
	cr_assert_eq(kv_region_cache_on_error(rc, &bo, r, resp.region_error, true, &err), CM_OK);
	kv_store_response_clear(&resp.base);
	kv_region_unref(r); /* still valid until here although dropped from the cache */

	kv_region *r2 = NULL;
	cr_assert_eq(kv_region_cache_locate(rc, &bo, K("k"), &r2, &err), CM_OK);
	cr_assert(r2->epoch.version > old_version);
	cr_assert_eq(r2->start.len, 1);
	cr_assert_eq(r2->start.data[0], 'g');
	cr_assert_eq(r2->end.len, 1);
	cr_assert_eq(r2->end.data[0], 'p');
	kv_region_unref(r2);

	/* locate_end: region holding keys just below an exclusive end */
	cr_assert_eq(kv_region_cache_locate_end(rc, &bo, K("g"), &r2, &err), CM_OK);
	cr_assert_eq(r2->start.len, 0);
	cr_assert_eq(r2->end.data[0], 'g');
	kv_region_unref(r2);
	cr_assert_eq(kv_region_cache_locate_end(rc, &bo, NULL, 0, &r2, &err), CM_OK);
	cr_assert_eq(r2->start.data[0], 'p');
	cr_assert_eq(r2->end.len, 0);
	kv_region_unref(r2);
	kv_region_cache_clear(rc); /* and again through the store */
	cr_assert_eq(kv_region_cache_locate_end(rc, &bo, K("p"), &r2, &err), CM_OK);
	cr_assert_eq(r2->start.data[0], 'g');
	kv_region_unref(r2);
	cr_assert_eq(kv_region_cache_locate_end(rc, &bo, NULL, 0, &r2, &err), CM_OK);
	cr_assert_eq(r2->start.data[0], 'p');
	kv_region_unref(r2);

	/* group keys */
	ProtobufCBinaryData keys[] = {BIN("q"), BIN("a"), BIN("h"), BIN("z"), BIN("b")};
	kv_region_group *g = NULL;
	size_t ng = 0;
	cr_assert_eq(kv_region_cache_group_keys(rc, &bo, keys, 5, &g, &ng, &err), CM_OK);
	cr_assert_eq(ng, 3);
	cr_assert_eq(g[0].n, 2); /* a, b */
	cr_assert_eq(g[0].idx[0], 1);
	cr_assert_eq(g[0].idx[1], 4);
	cr_assert_eq(g[1].n, 1);
	cr_assert_eq(g[1].idx[0], 2);
	cr_assert_eq(g[2].n, 2);
	kv_region_groups_free(g, ng);

	/* split ranges */
	kv_key_range rg[] = {{BIN("a"), BIN("c")}, {BIN("f"), BIN("q")}, {BIN("x"), {0, NULL}}};
	kv_region_ranges *tasks = NULL;
	size_t nt = 0;
	cr_assert_eq(kv_region_cache_split_ranges(rc, &bo, rg, 3, &tasks, &nt, &err), CM_OK);
	cr_assert_eq(nt, 3);
	cr_assert_eq(tasks[0].n, 2); /* [a,c) [f,g) */
	cr_assert_eq(tasks[0].ranges[1].end.data[0], 'g');
	cr_assert_eq(tasks[1].n, 1); /* [g,p) */
	cr_assert_eq(tasks[1].ranges[0].start.data[0], 'g');
	cr_assert_eq(tasks[1].ranges[0].end.data[0], 'p');
	cr_assert_eq(tasks[2].n, 2); /* [p,q) [x,inf) */
	cr_assert_eq(tasks[2].ranges[1].end.len, 0);
	kv_region_ranges_free(tasks, nt);
}

/* ---- MVCC and isolation ----------------------------------------------------------- */

Test(kv_txn, snapshot_sees_exactly_committed_before)
{
	uint64_t t0 = now_ts();
	put("a", "1");
	uint64_t t1 = now_ts();
	put("a", "2");
	kv_txn *d = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	cr_assert_eq(kv_txn_delete(d, K("a"), &err), KV_OK);
	cr_assert_eq(tcommit(d), KV_OK);
	uint64_t t3 = now_ts();
	kv_txn_free(d);
	put("a", "4");
	cr_assert_str_eq(sget(t0, "a"), "<none>");
	cr_assert_str_eq(sget(t1, "a"), "1");
	cr_assert_str_eq(sget(t3, "a"), "<none>");
	cr_assert_str_eq(sget(now_ts(), "a"), "4");
}

Test(kv_txn, own_writes_visible_no_dirty_read)
{
	put("k", "old");
	kv_txn *w = begin(KV_TXN_OPTIMISTIC);
	tset(w, "k", "new");
	tset(w, "n", "fresh");
	cr_assert_str_eq(tget(w, "k"), "new");
	cr_assert_str_eq(tget(w, "n"), "fresh");
	/* another txn does not see the uncommitted writes */
	kv_txn *r = begin(KV_TXN_OPTIMISTIC);
	cr_assert_str_eq(tget(r, "k"), "old");
	cr_assert_str_eq(tget(r, "n"), "<none>");
	cr_assert_eq(tcommit(w), KV_OK);
	cr_assert_neq(kv_txn_commit_ts(w), 0);
	/* nor after commit: its snapshot predates it (no non-repeatable read) */
	cr_assert_str_eq(tget(r, "k"), "old");
	cr_assert_str_eq(tget(r, "n"), "<none>");
	kv_txn_free(r);
	kv_txn *r2 = begin(KV_TXN_OPTIMISTIC);
	cr_assert_str_eq(tget(r2, "k"), "new");
	kv_txn_free(r2);
	kv_txn_free(w);
}

Test(kv_txn, no_dirty_read_of_prewritten_data)
{
	/* a txn that has prewritten but not committed: a reader with a later
	 * ts waits for it (lock alive) and then sees the committed value */
	put("x", "v0");
	kv_txn *w = begin(KV_TXN_OPTIMISTIC);
	tset(w, "x", "v1");
	/* simulate "between prewrite and commit" with the store directly */
	uint64_t start = kv_txn_start_ts(w);
	kv_txn_free(w); /* nothing sent yet */
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, K("x"), &reg, &err), CM_OK);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	kv_context_for_region(&ctx, &ep, reg);
	kv_region_free(reg);
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT;
	m.op = KVRPCPB__OP__Put;
	m.key = BIN("x");
	m.value = BIN("dirty");
	Kvrpcpb__Mutation *mp = &m;
	Kvrpcpb__PrewriteRequest pw = KVRPCPB__PREWRITE_REQUEST__INIT;
	pw.context = &ctx;
	pw.mutations = &mp;
	pw.n_mutations = 1;
	pw.primary_lock = BIN("x");
	pw.start_version = start;
	pw.lock_ttl = 300;
	Kvrpcpb__PrewriteResponse pr = KVRPCPB__PREWRITE_RESPONSE__INIT;
	cr_assert_eq(kv_store_prewrite(g_s, &pw, &pr, &err), CM_OK);
	cr_assert_eq(pr.n_errors, 0);
	kv_store_response_clear(&pr.base);
	/* reader at a later ts: blocks until the TTL expires, then rolls the
	 * abandoned txn back and reads the old value -- never "dirty" */
	uint64_t t0 = kv_now_us();
	cr_assert_str_eq(sget(now_ts(), "x"), "v0");
	uint64_t ms = ms_since(t0);
	cr_assert(ms >= 150, "did not wait for the live lock (%llu ms)", (unsigned long long) ms);
}

Test(kv_txn, lost_update_prevented_optimistic)
{
	put("cnt", "0");
	kv_txn *a = begin(KV_TXN_OPTIMISTIC);
	kv_txn *b = begin(KV_TXN_OPTIMISTIC);
	cr_assert_str_eq(tget(a, "cnt"), "0");
	cr_assert_str_eq(tget(b, "cnt"), "0");
	tset(a, "cnt", "1");
	tset(b, "cnt", "1");
	cr_assert_eq(tcommit(a), KV_OK);
	cm_error err = {0};
	kv_err k = kv_txn_commit(b, &err);
	cr_assert_eq(k, KV_ERR_WRITE_CONFLICT);
	cr_assert(kv_err_retriable(k));
	cr_assert(cm_error_is(&err, CM_E_SERIALIZATION_FAILURE));
	ProtobufCBinaryData ek = kv_txn_error_key(b);
	cr_assert_eq(ek.len, 3);
	cm_error_clear(&err);
	kv_txn_free(a);
	kv_txn_free(b);
	cr_assert_str_eq(sget(now_ts(), "cnt"), "1");
}

Test(kv_txn, insert_duplicate_is_key_exists)
{
	put("u", "1");
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	cr_assert_eq(kv_txn_insert(t, K("u"), (const uint8_t *) "2", 1, &err), KV_OK);
	cr_assert_eq(kv_txn_insert(t, K("v"), (const uint8_t *) "2", 1, &err), KV_OK);
	/* second insert of v inside the txn fails at once */
	cr_assert_eq(kv_txn_insert(t, K("v"), (const uint8_t *) "3", 1, &err), KV_ERR_KEY_EXISTS);
	cr_assert(cm_error_is(&err, CM_E_UNIQUE_VIOLATION));
	cm_error_clear(&err);
	kv_err k = kv_txn_commit(t, &err);
	cr_assert_eq(k, KV_ERR_KEY_EXISTS);
	cr_assert(cm_error_is(&err, CM_E_UNIQUE_VIOLATION));
	ProtobufCBinaryData ek = kv_txn_error_key(t);
	cr_assert_eq(ek.len, 1);
	cr_assert_eq(ek.data[0], 'u');
	cm_error_clear(&err);
	kv_txn_free(t);
	cr_assert_str_eq(sget(now_ts(), "v"), "<none>"); /* rolled back */
	/* delete + insert of an existing key is a replace */
	kv_txn *t2 = begin(KV_TXN_OPTIMISTIC);
	cr_assert_eq(kv_txn_delete(t2, K("u"), &err), KV_OK);
	cr_assert_eq(kv_txn_insert(t2, K("u"), (const uint8_t *) "9", 1, &err), KV_OK);
	cr_assert_eq(tcommit(t2), KV_OK);
	kv_txn_free(t2);
	cr_assert_str_eq(sget(now_ts(), "u"), "9");
}

Test(kv_txn, read_committed_sees_new_commits_per_statement)
{
	put("r", "1");
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.isolation = KV_ISO_RC;
	kv_txn *t = NULL;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	cr_assert_str_eq(tget(t, "r"), "1");
	put("r", "2");
	cr_assert_str_eq(tget(t, "r"), "1"); /* same statement */
	cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	cr_assert_str_eq(tget(t, "r"), "2");
	kv_txn_free(t);
}

/* ---- lock resolution ---------------------------------------------------------------- */

/* Prewrite keys (first = primary) for start_ts with a TTL, via the store. */
static void
raw_prewrite(uint64_t start, const char **keys, const char **vals, size_t n, uint64_t ttl)
{
	for (size_t i = 0; i < n; i++) {
		Metapb__Region *reg;
		cm_error err = {0};
		cr_assert_eq(kv_store_region_by_key(g_s, K(keys[i]), &reg, &err), CM_OK);
		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		Metapb__RegionEpoch ep;
		kv_context_for_region(&ctx, &ep, reg);
		kv_region_free(reg);
		Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT;
		m.op = KVRPCPB__OP__Put;
		m.key = BIN(keys[i]);
		m.value = BIN(vals[i]);
		Kvrpcpb__Mutation *mp = &m;
		Kvrpcpb__PrewriteRequest pw = KVRPCPB__PREWRITE_REQUEST__INIT;
		pw.context = &ctx;
		pw.mutations = &mp;
		pw.n_mutations = 1;
		pw.primary_lock = BIN(keys[0]);
		pw.start_version = start;
		pw.lock_ttl = ttl;
		pw.txn_size = n;
		Kvrpcpb__PrewriteResponse pr = KVRPCPB__PREWRITE_RESPONSE__INIT;
		cr_assert_eq(kv_store_prewrite(g_s, &pw, &pr, &err), CM_OK);
		cr_assert_null(pr.region_error);
		cr_assert_eq(pr.n_errors, 0);
		kv_store_response_clear(&pr.base);
	}
}

static void
raw_commit(uint64_t start, uint64_t commit, const char *key)
{
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, K(key), &reg, &err), CM_OK);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	kv_context_for_region(&ctx, &ep, reg);
	kv_region_free(reg);
	Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
	req.context = &ctx;
	req.start_version = start;
	ProtobufCBinaryData k = BIN(key);
	req.keys = &k;
	req.n_keys = 1;
	req.commit_version = commit;
	Kvrpcpb__CommitResponse resp = KVRPCPB__COMMIT_RESPONSE__INIT;
	cr_assert_eq(kv_store_commit(g_s, &req, &resp, &err), CM_OK);
	cr_assert_null(resp.region_error);
	cr_assert_null(resp.error);
	kv_store_response_clear(&resp.base);
}

static size_t
count_locks(void)
{
	Kvrpcpb__ScanLockRequest req = KVRPCPB__SCAN_LOCK_REQUEST__INIT;
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, NULL, 0, &reg, &err), CM_OK);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	kv_context_for_region(&ctx, &ep, reg);
	kv_region_free(reg);
	req.context = &ctx;
	req.max_version = UINT64_MAX;
	req.limit = 1000;
	Kvrpcpb__ScanLockResponse resp = KVRPCPB__SCAN_LOCK_RESPONSE__INIT;
	cr_assert_eq(kv_store_scan_lock(g_s, &req, &resp, &err), CM_OK);
	size_t n = resp.n_locks;
	kv_store_response_clear(&resp.base);
	return n;
}

Test(kv_txn, resolve_committed_primary_rolls_forward)
{
	put("s1", "old1");
	put("s2", "old2");
	uint64_t start = now_ts();
	const char *keys[] = {"p", "s1", "s2"};
	const char *vals[] = {"pv", "new1", "new2"};
	raw_prewrite(start, keys, vals, 3, 100000); /* long TTL: alive */
	uint64_t commit = now_ts();
	raw_commit(start, commit, "p"); /* primary committed, then the client "died" */
	cr_assert_eq(count_locks(), 2);
	/* a reader meets the secondary locks: rolls them forward */
	kv_txn *r = begin(KV_TXN_OPTIMISTIC);
	cr_assert_str_eq(tget(r, "s1"), "new1");
	ProtobufCBinaryData ks[] = {BIN("s2"), BIN("s1"), BIN("p")};
	kv_value v[3];
	cm_error err = {0};
	cr_assert_eq(kv_txn_batch_get(r, g_a, ks, 3, v, &err), KV_OK);
	cr_assert(v[0].found && v[0].len == 4 && memcmp(v[0].data, "new2", 4) == 0);
	cr_assert(v[2].found);
	kv_txn_free(r);
	cr_assert_eq(count_locks(), 0);
	/* a reader at a ts before the commit still sees the old values */
	cr_assert_str_eq(sget(start, "s1"), "old1");
}

Test(kv_txn, resolve_expired_uncommitted_rolls_back)
{
	put("e1", "old1");
	uint64_t start = now_ts();
	const char *keys[] = {"ep", "e1", "e2"};
	const char *vals[] = {"pv", "new1", "new2"};
	raw_prewrite(start, keys, vals, 3, 20); /* 20 ms TTL */
	usleep(60 * 1000);
	kv_txn *r = begin(KV_TXN_OPTIMISTIC);
	/* scan meets the locks: rolled back, old values visible */
	kv_iter_options io = {0};
	io.start = (const uint8_t *) "e";
	io.start_len = 1;
	io.end = (const uint8_t *) "f";
	io.end_len = 1;
	kv_iter *it = NULL;
	cm_error err = {0};
	cr_assert_eq(kv_txn_iter(r, &io, &it, &err), KV_OK);
	int n = 0;
	while (kv_iter_valid(it)) {
		size_t kl, vl;
		const uint8_t *k = kv_iter_key(it, &kl);
		const uint8_t *v = kv_iter_value(it, &vl);
		cr_assert(kl == 2 && memcmp(k, "e1", 2) == 0);
		cr_assert(vl == 4 && memcmp(v, "old1", 4) == 0);
		n++;
		cr_assert_eq(kv_iter_next(it, &err), KV_OK);
	}
	kv_iter_close(it);
	cr_assert_eq(n, 1);
	kv_txn_free(r);
	/* the abandoned txn can no longer commit its primary */
	cr_assert_str_eq(sget(now_ts(), "ep"), "<none>");
	cr_assert_eq(count_locks(), 0);
}

/* ---- writes across regions: 1PC vs 2PC --------------------------------------------- */

Test(kv_txn, one_pc_when_one_region)
{
	kve_stats s0, s1;
	kve_get_stats(g_s, &s0);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	tset(t, "a1", "1");
	tset(t, "a2", "2");
	tset(t, "a3", "3");
	cr_assert_eq(tcommit(t), KV_OK);
	kve_get_stats(g_s, &s1);
	cr_assert_eq(s1.writes - s0.writes, 1, "1PC is one write, got %llu",
				 (unsigned long long) (s1.writes - s0.writes));
	cr_assert_eq(count_locks(), 0);
	kv_txn_free(t);

	/* with 1PC off (or across regions) it takes prewrite + commit */
	kv_client_options co;
	kv_client_options_init(&co);
	co.try_one_pc = false;
	new_client(&co);
	kve_get_stats(g_s, &s0);
	t = begin(KV_TXN_OPTIMISTIC);
	tset(t, "a1", "x");
	tset(t, "a2", "y");
	cr_assert_eq(tcommit(t), KV_OK);
	kve_get_stats(g_s, &s1);
	cr_assert(s1.writes - s0.writes >= 2);
	kv_txn_free(t);
	cr_assert_str_eq(sget(now_ts(), "a2"), "y");
}

Test(kv_txn, two_pc_across_regions_no_row_lost_or_duplicated)
{
	kv_client_options co;
	kv_client_options_init(&co);
	co.txn_batch_bytes = 256; /* many batches */
	co.scan_batch = 7;		  /* scans cross batches and regions */
	new_client(&co);
	char k[32], v[32];
	/* write 300 rows in one txn, splitting regions while it is buffered */
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	for (int i = 0; i < 300; i++) {
		snprintf(k, sizeof k, "row%04d", i);
		snprintf(v, sizeof v, "val%d", i);
		tset(t, k, v);
	}
	split_at("row0050");
	split_at("row0100");
	split_at("row0299");
	kve_stats s0, s1;
	kve_get_stats(g_s, &s0);
	cr_assert_eq(tcommit(t), KV_OK);
	kve_get_stats(g_s, &s1);
	cr_assert(s1.writes - s0.writes > 4);
	kv_txn_free(t);
	cr_assert_eq(count_locks(), 0);

	/* more splits after the cache was filled: scans must cope */
	split_at("row0150");
	split_at("row0151");
	split_at("row0200");
	uint64_t ts = now_ts();
	for (int rev = 0; rev < 2; rev++) {
		kv_snapshot s;
		kv_snapshot_init(&s, g_c, ts);
		kv_iter_options io = {0};
		io.reverse = rev;
		kv_iter *it = NULL;
		cm_error err = {0};
		cr_assert_eq(kv_snapshot_iter(&s, &io, &it, &err), KV_OK);
		int n = 0;
		while (kv_iter_valid(it)) {
			size_t kl;
			const uint8_t *kk = kv_iter_key(it, &kl);
			int want = rev ? 299 - n : n;
			snprintf(k, sizeof k, "row%04d", want);
			cr_assert(kl == strlen(k) && memcmp(kk, k, kl) == 0, "row %d", n);
			n++;
			cr_assert_eq(kv_iter_next(it, &err), KV_OK);
		}
		kv_iter_close(it);
		cr_assert_eq(n, 300, "reverse=%d rows %d", rev, n);
		/* bounded range */
		io.start = (const uint8_t *) "row0140";
		io.start_len = 7;
		io.end = (const uint8_t *) "row0210";
		io.end_len = 7;
		cr_assert_eq(kv_snapshot_iter(&s, &io, &it, &err), KV_OK);
		n = 0;
		while (kv_iter_valid(it)) {
			n++;
			cr_assert_eq(kv_iter_next(it, &err), KV_OK);
		}
		kv_iter_close(it);
		cr_assert_eq(n, 70);
		kv_snapshot_destroy(&s);
	}
	/* batch get across regions */
	ProtobufCBinaryData keys[4] = {BIN("row0299"), BIN("row0000"), BIN("row0150"),
								   BIN("nope")};
	kv_value vals[4];
	kv_snapshot s;
	kv_snapshot_init(&s, g_c, now_ts());
	cm_error err = {0};
	cr_assert_eq(kv_snapshot_batch_get(&s, g_a, keys, 4, vals, &err), KV_OK);
	cr_assert(vals[0].found && vals[1].found && vals[2].found && !vals[3].found);
	cr_assert(vals[2].len == 6 && memcmp(vals[2].data, "val150", 6) == 0);
	kv_snapshot_destroy(&s);
}

Test(kv_txn, iterator_merges_buffer)
{
	put("b", "B");
	put("d", "D");
	put("f", "F");
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	tset(t, "a", "a*");
	tset(t, "d", "d*");
	cr_assert_eq(kv_txn_delete(t, K("f"), &err), KV_OK);
	tset(t, "g", "g*");
	cr_assert_eq(kv_txn_delete(t, K("zz"), &err), KV_OK); /* delete of a missing key */
	const char *fwd[] = {"a=a*", "b=B", "d=d*", "g=g*"};
	for (int rev = 0; rev < 2; rev++) {
		kv_iter_options io = {0};
		io.reverse = rev;
		kv_iter *it = NULL;
		cr_assert_eq(kv_txn_iter(t, &io, &it, &err), KV_OK);
		int n = 0;
		while (kv_iter_valid(it)) {
			size_t kl, vl;
			const uint8_t *k = kv_iter_key(it, &kl);
			const uint8_t *v = kv_iter_value(it, &vl);
			char buf[32];
			snprintf(buf, sizeof buf, "%.*s=%.*s", (int) kl, k, (int) vl, v);
			cr_assert(n < 4);
			cr_assert_str_eq(buf, fwd[rev ? 3 - n : n]);
			n++;
			cr_assert_eq(kv_iter_next(it, &err), KV_OK);
		}
		cr_assert_eq(n, 4);
		kv_iter_close(it);
	}
	kv_txn_free(t);
}

/* ---- savepoints ---------------------------------------------------------------------- */

Test(kv_txn, savepoint_restores_buffer)
{
	put("s", "0");
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	tset(t, "s", "1");
	kv_savepoint sp1 = kv_txn_savepoint(t);
	tset(t, "s", "2");
	tset(t, "t", "new");
	kv_savepoint sp2 = kv_txn_savepoint(t);
	cr_assert_eq(kv_txn_delete(t, K("s"), &err), KV_OK);
	cr_assert_str_eq(tget(t, "s"), "<none>");
	cr_assert_eq(kv_txn_rollback_to(t, sp2, &err), KV_OK);
	cr_assert_str_eq(tget(t, "s"), "2");
	cr_assert_eq(kv_txn_rollback_to(t, sp1, &err), KV_OK);
	cr_assert_str_eq(tget(t, "s"), "1");
	cr_assert_str_eq(tget(t, "t"), "<none>");
	/* the savepoint stays usable */
	tset(t, "t", "again");
	cr_assert_eq(kv_txn_rollback_to(t, sp1, &err), KV_OK);
	cr_assert_str_eq(tget(t, "t"), "<none>");
	kv_txn_release(t, sp1);
	cr_assert_eq(tcommit(t), KV_OK);
	kv_txn_free(t);
	cr_assert_str_eq(sget(now_ts(), "s"), "1");
	cr_assert_str_eq(sget(now_ts(), "t"), "<none>");
}

Test(kv_txn, savepoint_releases_pessimistic_locks)
{
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	kv_txn *b = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	kv_lock_options lo = {.wait_ms = -1};
	ProtobufCBinaryData k1 = BIN("l1"), k2 = BIN("l2");
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k1, 1, &lo, NULL, &err), KV_OK);
	kv_savepoint sp = kv_txn_savepoint(a);
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k2, 1, &lo, NULL, &err), KV_OK);
	tset(a, "l2", "a");
	/* b cannot lock l2 (NOWAIT) */
	kv_err k = kv_txn_lock_keys(b, NULL, &k2, 1, &lo, NULL, &err);
	cr_assert_eq(k, KV_ERR_LOCK_WAIT_TIMEOUT);
	cr_assert(cm_error_is(&err, CM_E_LOCK_NOT_AVAILABLE));
	cm_error_clear(&err);
	/* after rollback to the savepoint, l2 is free; l1 (taken before) is not */
	cr_assert_eq(kv_txn_rollback_to(a, sp, &err), KV_OK);
	cr_assert_str_eq(tget(a, "l2"), "<none>");
	cr_assert_eq(kv_txn_lock_keys(b, NULL, &k2, 1, &lo, NULL, &err), KV_OK);
	k = kv_txn_lock_keys(b, NULL, &k1, 1, &lo, NULL, &err);
	cr_assert_eq(k, KV_ERR_LOCK_WAIT_TIMEOUT);
	cm_error_clear(&err);
	tset(a, "l1", "from a");
	cr_assert_eq(tcommit(a), KV_OK);
	tset(b, "l2", "from b");
	cr_assert_eq(tcommit(b), KV_OK);
	kv_txn_free(a);
	kv_txn_free(b);
	cr_assert_str_eq(sget(now_ts(), "l1"), "from a");
	cr_assert_str_eq(sget(now_ts(), "l2"), "from b");
	cr_assert_eq(count_locks(), 0);
}

/* ---- pessimistic waits and deadlocks ---------------------------------------------------- */

typedef struct locker {
	kv_txn *t;
	const char *key;
	int64_t wait_ms;
	kv_err result;
	uint64_t waited_ms;
	atomic_int finished;
	cm_error err;
} locker;

static void *
lock_thread(void *arg)
{
	locker *l = arg;
	ProtobufCBinaryData k = BIN(l->key);
	kv_lock_options lo = {.wait_ms = l->wait_ms};
	uint64_t t0 = kv_now_us();
	l->result = kv_txn_lock_keys(l->t, NULL, &k, 1, &lo, NULL, &l->err);
	l->waited_ms = ms_since(t0);
	atomic_store(&l->finished, 1);
	return NULL;
}

Test(kv_txn, pessimistic_lock_wait_then_acquire)
{
	put("w", "0");
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	kv_txn *b = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	kv_lock_options lo = {.wait_ms = 0};
	ProtobufCBinaryData k = BIN("w");
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	locker l = {.t = b, .key = "w", .wait_ms = 5000};
	pthread_t th;
	pthread_create(&th, NULL, lock_thread, &l);
	usleep(300 * 1000);
	/* a rolls back: b gets the lock */
	cr_assert_eq(kv_txn_rollback(a, &err), KV_OK);
	pthread_join(th, NULL);
	cr_assert_eq(l.result, KV_OK, "%s", l.err.message ? l.err.message : "");
	cr_assert(l.waited_ms >= 250, "waited %llu", (unsigned long long) l.waited_ms);
	tset(b, "w", "b");
	cr_assert_eq(tcommit(b), KV_OK);
	kv_txn_free(a);
	kv_txn_free(b);

	/* a commit by the holder makes the waiter's lock a write conflict
	 * (its for_update_ts is older than the commit): retry the statement */
	a = begin(KV_TXN_PESSIMISTIC);
	b = begin(KV_TXN_PESSIMISTIC);
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	l = (locker){.t = b, .key = "w", .wait_ms = 5000};
	pthread_create(&th, NULL, lock_thread, &l);
	usleep(200 * 1000);
	tset(a, "w", "a");
	cr_assert_eq(tcommit(a), KV_OK);
	pthread_join(th, NULL);
	cr_assert_eq(l.result, KV_ERR_WRITE_CONFLICT, "%s", kv_err_name(l.result));
	cm_error_clear(&l.err);
	/* the retried statement (new for_update_ts) succeeds and sees a's value */
	cr_assert_eq(kv_txn_stmt_begin(b, &err), KV_OK);
	kv_value v;
	lo.return_values = true;
	cr_assert_eq(kv_txn_lock_keys(b, g_a, &k, 1, &lo, &v, &err), KV_OK);
	cr_assert(v.found && v.len == 1 && v.data[0] == 'a');
	cr_assert_eq(kv_txn_rollback(b, &err), KV_OK);
	kv_txn_free(a);
	kv_txn_free(b);
}

Test(kv_txn, pessimistic_lock_timeout_and_cancel)
{
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	kv_txn *b = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	ProtobufCBinaryData k = BIN("to");
	kv_lock_options lo = {.wait_ms = 0};
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	/* lock_timeout 300 ms */
	locker l = {.t = b, .key = "to", .wait_ms = 300};
	lock_thread(&l);
	cr_assert_eq(l.result, KV_ERR_LOCK_WAIT_TIMEOUT, "%s", kv_err_name(l.result));
	cr_assert(cm_error_is(&l.err, CM_E_LOCK_NOT_AVAILABLE));
	cr_assert(l.waited_ms >= 280 && l.waited_ms < 1500, "waited %llu",
			  (unsigned long long) l.waited_ms);
	cm_error_clear(&l.err);
	/* wait forever, cancelled from another thread after 150 ms */
	atomic_int cancel = 0;
	kv_txn_set_cancel(b, &cancel);
	l = (locker){.t = b, .key = "to", .wait_ms = 0};
	pthread_t th;
	pthread_create(&th, NULL, cancel_later, &cancel);
	lock_thread(&l);
	pthread_join(th, NULL);
	cr_assert_eq(l.result, KV_ERR_CANCELED, "%s", kv_err_name(l.result));
	cr_assert(cm_error_is(&l.err, CM_E_QUERY_CANCELED));
	cr_assert(l.waited_ms < 800, "cancel took %llu ms", (unsigned long long) l.waited_ms);
	cm_error_clear(&l.err);
	kv_txn_free(a);
	kv_txn_free(b);
	cr_assert_eq(count_locks(), 0);
}

Test(kv_txn, pessimistic_deadlock_detected)
{
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	kv_txn *b = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	kv_lock_options lo = {.wait_ms = 0};
	ProtobufCBinaryData k1 = BIN("d1"), k2 = BIN("d2");
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k1, 1, &lo, NULL, &err), KV_OK);
	cr_assert_eq(kv_txn_lock_keys(b, NULL, &k2, 1, &lo, NULL, &err), KV_OK);
	locker la = {.t = a, .key = "d2", .wait_ms = 10000};
	locker lb = {.t = b, .key = "d1", .wait_ms = 10000};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, lock_thread, &la);
	usleep(100 * 1000);
	pthread_create(&tb, NULL, lock_thread, &lb);
	/* one of them gets the deadlock error; the victim rolls back, the other
	 * then gets its lock */
	for (;;) {
		usleep(20 * 1000);
		if (atomic_load(&la.finished) || atomic_load(&lb.finished))
			break;
	}
	locker *victim = atomic_load(&la.finished) ? &la : &lb;
	locker *winner = victim == &la ? &lb : &la;
	cr_assert_eq(victim->result, KV_ERR_DEADLOCK, "%s", kv_err_name(victim->result));
	cr_assert(cm_error_is(&victim->err, CM_E_T_R_DEADLOCK_DETECTED));
	cr_assert(victim->waited_ms < 3000);
	cr_assert_eq(kv_txn_rollback(victim->t, &err), KV_OK);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_assert_eq(winner->result, KV_OK, "%s", kv_err_name(winner->result));
	cr_assert_eq(tcommit(winner->t), KV_OK);
	cm_error_clear(&la.err);
	cm_error_clear(&lb.err);
	kv_txn_free(a);
	kv_txn_free(b);
}

Test(kv_txn, pessimistic_commit_and_heartbeat)
{
	/* short managed TTL + frequent heartbeat: the lock outlives its TTL */
	kv_client_options co;
	kv_client_options_init(&co);
	co.managed_lock_ttl_ms = 300;
	co.heartbeat_interval_ms = 100;
	new_client(&co);
	put("hb", "0");
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	ProtobufCBinaryData k = BIN("hb");
	kv_lock_options lo = {0};
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	usleep(900 * 1000);
	/* another txn still cannot take it: the holder is alive (heartbeats);
	 * without them the lock would have expired and been rolled back */
	kv_txn *b = begin(KV_TXN_PESSIMISTIC);
	kv_lock_options nowait = {.wait_ms = 200};
	kv_err kr = kv_txn_lock_keys(b, NULL, &k, 1, &nowait, NULL, &err);
	cr_assert_eq(kr, KV_ERR_LOCK_WAIT_TIMEOUT, "%s", kv_err_name(kr));
	cm_error_clear(&err);
	tset(a, "hb", "1");
	cr_assert_eq(tcommit(a), KV_OK);
	cr_assert_str_eq(sget(now_ts(), "hb"), "1");
	kv_txn_free(a);
	kv_txn_free(b);

	/* same without heartbeats: the lock expires and a waiter takes over */
	co.heartbeat_thread = false;
	new_client(&co);
	a = begin(KV_TXN_PESSIMISTIC);
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	usleep(500 * 1000);
	b = begin(KV_TXN_PESSIMISTIC);
	kr = kv_txn_lock_keys(b, NULL, &k, 1, &nowait, NULL, &err);
	cr_assert_eq(kr, KV_OK, "%s %s", kv_err_name(kr), err.message ? err.message : "");
	tset(b, "hb", "2");
	cr_assert_eq(tcommit(b), KV_OK);
	/* the expired txn's commit fails (its lock is gone) */
	tset(a, "hb", "3");
	kr = kv_txn_commit(a, &err);
	cr_assert(kr == KV_ERR_TXN_ABORTED || kr == KV_ERR_WRITE_CONFLICT, "%s", kv_err_name(kr));
	cr_assert(kv_err_retriable(kr));
	cm_error_clear(&err);
	kv_txn_free(a);
	kv_txn_free(b);
	cr_assert_str_eq(sget(now_ts(), "hb"), "2");
}

Test(kv_txn, pessimistic_snapshot_check)
{
	/* PostgreSQL REPEATABLE READ: locking a row changed after start_ts fails */
	put("rr", "0");
	kv_txn *a = begin(KV_TXN_PESSIMISTIC);
	put("rr", "1");
	cm_error err = {0};
	ProtobufCBinaryData k = BIN("rr");
	kv_lock_options lo = {.snapshot_check = true};
	kv_err kr = kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err);
	cr_assert_eq(kr, KV_ERR_WRITE_CONFLICT, "%s", kv_err_name(kr));
	cm_error_clear(&err);
	/* without the check (TiDB semantics) it locks at the new for_update_ts */
	lo.snapshot_check = false;
	cr_assert_eq(kv_txn_stmt_begin(a, &err), KV_OK);
	cr_assert_eq(kv_txn_lock_keys(a, NULL, &k, 1, &lo, NULL, &err), KV_OK);
	tset(a, "rr", "2");
	cr_assert_eq(tcommit(a), KV_OK);
	kv_txn_free(a);
	cr_assert_str_eq(sget(now_ts(), "rr"), "2");
}

/* ---- concurrency: transfers with pessimistic and optimistic txns ------------------------ */

#define NACC 10

typedef struct xfer_arg {
	int id;
	kv_txn_mode mode;
	int done;
	int retries;
} xfer_arg;

static int
get_int(kv_txn *t, const char *k, kv_err *res)
{
	kv_value v;
	cm_error err = {0};
	*res = kv_txn_get(t, g_a, K(k), &v, &err);
	cm_error_clear(&err);
	if (*res != KV_OK || !v.found)
		return 0;
	char buf[32];
	snprintf(buf, sizeof buf, "%.*s", (int) v.len, v.data);
	return atoi(buf);
}

static void *
xfer_thread(void *arg)
{
	xfer_arg *x = arg;
	unsigned seed = (unsigned) x->id * 7919u;
	cm_arena *a = cm_arena_create(0);
	while (x->done < 40) {
		int from = rand_r(&seed) % NACC, to = rand_r(&seed) % NACC;
		if (from == to)
			continue;
		kv_txn_options o;
		kv_txn_options_init(&o);
		o.mode = x->mode;
		kv_txn *t = NULL;
		cm_error err = {0};
		if (kv_txn_begin(g_c, &o, &t, &err) != KV_OK)
			break;
		kv_err k = kv_txn_stmt_begin(t, &err);
		char kf[16], kt[16];
		snprintf(kf, sizeof kf, "acc%02d", from);
		snprintf(kt, sizeof kt, "acc%02d", to);
		if (k == KV_OK && x->mode == KV_TXN_PESSIMISTIC) {
			ProtobufCBinaryData ks[2] = {BIN(kf), BIN(kt)};
			kv_lock_options lo = {.wait_ms = 5000};
			k = kv_txn_lock_keys(t, NULL, ks, 2, &lo, NULL, &err);
		}
		int bf = 0, bt = 0;
		if (k == KV_OK)
			bf = get_int(t, kf, &k);
		if (k == KV_OK)
			bt = get_int(t, kt, &k);
		if (k == KV_OK) {
			char v[16];
			snprintf(v, sizeof v, "%d", bf - 1);
			k = kv_txn_set(t, (const uint8_t *) kf, strlen(kf), (const uint8_t *) v, strlen(v),
						   &err);
			snprintf(v, sizeof v, "%d", bt + 1);
			if (k == KV_OK)
				k = kv_txn_set(t, (const uint8_t *) kt, strlen(kt), (const uint8_t *) v,
							   strlen(v), &err);
		}
		if (k == KV_OK)
			k = kv_txn_commit(t, &err);
		if (k == KV_OK)
			x->done++;
		else {
			x->retries++;
			if (!kv_err_retriable(k) && k != KV_ERR_DEADLOCK && k != KV_ERR_LOCK_WAIT_TIMEOUT) {
				fprintf(stderr, "xfer: %s %s\n", kv_err_name(k), err.message ? err.message : "");
				x->done = -1000;
			}
		}
		cm_error_clear(&err);
		kv_txn_free(t);
		cm_arena_reset(a);
	}
	cm_arena_destroy(a);
	return NULL;
}

Test(kv_txn, concurrent_transfers_keep_sum)
{
	char k[16];
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	for (int i = 0; i < NACC; i++) {
		snprintf(k, sizeof k, "acc%02d", i);
		tset(t, k, "100");
	}
	cr_assert_eq(tcommit(t), KV_OK);
	kv_txn_free(t);
	split_at("acc05"); /* transfers span two regions: 2PC */
	xfer_arg xs[4] = {{1, KV_TXN_PESSIMISTIC}, {2, KV_TXN_PESSIMISTIC}, {3, KV_TXN_OPTIMISTIC},
					  {4, KV_TXN_OPTIMISTIC}};
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, xfer_thread, &xs[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(xs[i].done, 40, "thread %d done %d", i, xs[i].done);
	int sum = 0;
	uint64_t ts = now_ts();
	for (int i = 0; i < NACC; i++) {
		snprintf(k, sizeof k, "acc%02d", i);
		sum += atoi(sget(ts, k));
	}
	cr_assert_eq(sum, 100 * NACC);
	cr_assert_eq(count_locks(), 0);
}

Test(kv_txn, commit_resolves_dead_lock_and_lock_only_if_exists)
{
	/* a writer's prewrite meets a dead txn's lock: resolved, then commits */
	uint64_t start = now_ts();
	const char *keys[] = {"wk", "wk2"};
	const char *vals[] = {"dead", "dead2"};
	raw_prewrite(start, keys, vals, 2, 20);
	usleep(60 * 1000);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	tset(t, "wk2", "alive");
	cr_assert_eq(tcommit(t), KV_OK);
	kv_txn_free(t);
	cr_assert_str_eq(sget(now_ts(), "wk2"), "alive");
	cr_assert_str_eq(sget(now_ts(), "wk"), "<none>");

	/* lock_only_if_exists: missing keys are not locked (but reported) */
	put("ex", "1");
	t = begin(KV_TXN_PESSIMISTIC);
	cm_error err = {0};
	ProtobufCBinaryData ks[2] = {BIN("ex"), BIN("missing")};
	kv_value res[2];
	kv_lock_options lo = {.lock_only_if_exists = true, .return_values = true};
	cr_assert_eq(kv_txn_lock_keys(t, g_a, ks, 2, &lo, res, &err), KV_OK);
	cr_assert(res[0].found && res[0].len == 1 && res[0].data[0] == '1');
	cr_assert(!res[1].found);
	/* another txn can lock "missing" but not "ex" */
	kv_txn *u = begin(KV_TXN_PESSIMISTIC);
	kv_lock_options nw = {.wait_ms = -1};
	cr_assert_eq(kv_txn_lock_keys(u, NULL, &ks[1], 1, &nw, NULL, &err), KV_OK);
	cr_assert_eq(kv_txn_lock_keys(u, NULL, &ks[0], 1, &nw, NULL, &err), KV_ERR_LOCK_WAIT_TIMEOUT);
	cm_error_clear(&err);
	cr_assert_eq(kv_txn_rollback(u, &err), KV_OK);
	cr_assert_eq(tcommit(t), KV_OK); /* lock-only commit: nothing changes */
	kv_txn_free(t);
	kv_txn_free(u);
	cr_assert_str_eq(sget(now_ts(), "ex"), "1");
	cr_assert_eq(count_locks(), 0);
}
