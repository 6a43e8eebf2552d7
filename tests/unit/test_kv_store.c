/*
 * test_kv_store.c -- the embedded KV store through the kv/store.h driver
 * interface: MVCC visibility, Percolator commands, 1PC, group commit, TSO,
 * lock resolution, pessimistic locks (waits, deadlocks), regions.
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

/* ---- fixture ---------------------------------------------------------------- */

static char g_dir[64];
static kv_store *g_s;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static kv_store *
open_store(uint64_t region_max, uint32_t wait_max_ms)
{
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	if (region_max)
		o.region_max_size = region_max;
	if (wait_max_ms)
		o.lock_wait_max_ms = wait_max_ms;
	kv_store *s = NULL;
	cm_error err = { 0 };
	cm_status st = kv_store_open_embedded(&o, &s, &err);
	cr_assert_eq(st, CM_OK, "open: %s", err.message ? err.message : "?");
	return s;
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_kvstore_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_s = open_store(0, 5000);
}

static void
teardown(void)
{
	kv_store_close(g_s);
	g_s = NULL;
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void
reopen(uint64_t region_max)
{
	kv_store_close(g_s);
	g_s = open_store(region_max, 5000);
}

/* ---- helpers ------------------------------------------------------------------ */

#define BIN(str) ((ProtobufCBinaryData){ strlen(str), (uint8_t *) (str) })
#define CHECK_OK(call)                                                            \
	do {                                                                          \
		cm_error e_ = { 0 };                                                      \
		cm_status s_ = (call);                                                    \
		cr_assert_eq(s_, CM_OK, "%s: %s", #call, e_.message ? e_.message : "?"); \
	} while (0)

static uint64_t
tso(void)
{
	uint64_t t;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_get_ts(g_s, 1, &t, &err), CM_OK);
	return t;
}

/* A context for the region holding key (storage owned by the caller). */
typedef struct tctx {
	Kvrpcpb__Context ctx;
	Metapb__RegionEpoch ep;
} tctx;

static Kvrpcpb__Context *
ctx_for(tctx *t, const char *key)
{
	Metapb__Region *r;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_region_by_key(g_s, (const uint8_t *) key, strlen(key), &r, &err), CM_OK);
	kvrpcpb__context__init(&t->ctx);
	kv_context_for_region(&t->ctx, &t->ep, r);
	kv_region_free(r);
	return &t->ctx;
}

typedef struct mut {
	Kvrpcpb__Op op;
	const char *k;
	const char *v;
} mut;

typedef struct pw_opts {
	uint64_t ttl;
	bool one_pc;
	bool async;
	uint64_t for_update_ts;
	bool pessimistic_check; /* DO_PESSIMISTIC_CHECK on every key */
} pw_opts;

static void
prewrite(uint64_t start, const char *primary, const mut *ms, size_t n, const pw_opts *po,
		 Kvrpcpb__PrewriteResponse *resp)
{
	tctx t;
	Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
	Kvrpcpb__Mutation mm[64];
	Kvrpcpb__Mutation *mp[64];
	Kvrpcpb__PrewriteRequest__PessimisticAction acts[64];
	cr_assert(n <= 64);
	for (size_t i = 0; i < n; i++) {
		kvrpcpb__mutation__init(&mm[i]);
		mm[i].op = ms[i].op;
		mm[i].key = BIN(ms[i].k);
		if (ms[i].v)
			mm[i].value = BIN(ms[i].v);
		mp[i] = &mm[i];
		acts[i] = po && po->pessimistic_check
					  ? KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_PESSIMISTIC_CHECK
					  : KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__SKIP_PESSIMISTIC_CHECK;
	}
	req.context = ctx_for(&t, ms[0].k);
	req.mutations = mp;
	req.n_mutations = n;
	req.primary_lock = BIN(primary);
	req.start_version = start;
	req.lock_ttl = po && po->ttl ? po->ttl : 3000;
	req.txn_size = n;
	req.min_commit_ts = start + 1;
	if (po) {
		req.try_one_pc = po->one_pc;
		req.use_async_commit = po->async;
		req.for_update_ts = po->for_update_ts;
		if (po->for_update_ts) {
			req.pessimistic_actions = acts;
			req.n_pessimistic_actions = n;
		}
	}
	CHECK_OK(kv_store_prewrite(g_s, &req, resp, &e_));
	cr_assert_null(resp->region_error, "prewrite region error");
}

static void
prewrite_ok(uint64_t start, const char *primary, const mut *ms, size_t n, const pw_opts *po)
{
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(start, primary, ms, n, po, &r);
	cr_assert_eq(r.n_errors, 0, "prewrite failed");
	kv_store_response_clear(&r.base);
}

static Kvrpcpb__KeyError *
commit_keys(uint64_t start, uint64_t commit_ts, const char **keys, size_t n)
{
	tctx t;
	ProtobufCBinaryData ks[64];
	for (size_t i = 0; i < n; i++)
		ks[i] = BIN(keys[i]);
	Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
	req.context = ctx_for(&t, keys[0]);
	req.start_version = start;
	req.keys = ks;
	req.n_keys = n;
	req.commit_version = commit_ts;
	Kvrpcpb__CommitResponse r = KVRPCPB__COMMIT_RESPONSE__INIT;
	CHECK_OK(kv_store_commit(g_s, &req, &r, &e_));
	cr_assert_null(r.region_error);
	Kvrpcpb__KeyError *ke = r.error;
	r.error = NULL;
	kv_store_response_clear(&r.base);
	return ke;
}

static void
commit_ok(uint64_t start, uint64_t commit_ts, const char **keys, size_t n)
{
	Kvrpcpb__KeyError *ke = commit_keys(start, commit_ts, keys, n);
	cr_assert_null(ke, "commit failed");
}

/* Full 2PC write of one key; returns the commit ts. */
static uint64_t
put(const char *k, const char *v)
{
	uint64_t start = tso();
	mut m = { v ? KVRPCPB__OP__Put : KVRPCPB__OP__Del, k, v };
	prewrite_ok(start, k, &m, 1, NULL);
	uint64_t c = tso();
	commit_ok(start, c, &k, 1);
	return c;
}

enum { R_FOUND, R_NOT_FOUND, R_LOCKED, R_OTHER };

/* Get key at ts; value copied to buf (if found); lock start ts to *lock_ts. */
static int
get_ex(const char *k, uint64_t ts, char *buf, size_t bufn, uint64_t *lock_ts,
	   const uint64_t *resolved, size_t n_resolved)
{
	tctx t;
	Kvrpcpb__GetRequest req = KVRPCPB__GET_REQUEST__INIT;
	req.context = ctx_for(&t, k);
	req.context->resolved_locks = (uint64_t *) resolved;
	req.context->n_resolved_locks = n_resolved;
	req.key = BIN(k);
	req.version = ts;
	Kvrpcpb__GetResponse r = KVRPCPB__GET_RESPONSE__INIT;
	CHECK_OK(kv_store_get(g_s, &req, &r, &e_));
	cr_assert_null(r.region_error);
	int res;
	if (r.error) {
		res = r.error->locked ? R_LOCKED : R_OTHER;
		if (r.error->locked && lock_ts)
			*lock_ts = r.error->locked->lock_version;
	} else if (r.not_found)
		res = R_NOT_FOUND;
	else {
		res = R_FOUND;
		if (buf) {
			cr_assert(r.value.len < bufn);
			memcpy(buf, r.value.data, r.value.len);
			buf[r.value.len] = 0;
		}
	}
	kv_store_response_clear(&r.base);
	return res;
}

static int
get(const char *k, uint64_t ts, char *buf)
{
	return get_ex(k, ts, buf, 2048, NULL, NULL, 0);
}

static void
expect_value(const char *k, uint64_t ts, const char *want)
{
	char buf[2048];
	int r = get(k, ts, buf);
	if (!want) {
		cr_assert_eq(r, R_NOT_FOUND, "%s@%llu: expected not found, got %d", k,
					 (unsigned long long) ts, r);
		return;
	}
	cr_assert_eq(r, R_FOUND, "%s@%llu: expected %s, got %d", k, (unsigned long long) ts, want, r);
	cr_assert_str_eq(buf, want);
}

static size_t
count_locks(void)
{
	tctx t;
	Kvrpcpb__ScanLockRequest req = KVRPCPB__SCAN_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t, "");
	req.max_version = UINT64_MAX;
	Kvrpcpb__ScanLockResponse r = KVRPCPB__SCAN_LOCK_RESPONSE__INIT;
	CHECK_OK(kv_store_scan_lock(g_s, &req, &r, &e_));
	cr_assert_null(r.region_error);
	size_t n = r.n_locks;
	kv_store_response_clear(&r.base);
	return n;
}

static uint64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t) ((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

TestSuite(kv_store, .init = setup, .fini = teardown, .timeout = 120);

/* ---- MVCC visibility ---------------------------------------------------------- */

Test(kv_store, mvcc_visibility)
{
	uint64_t t0 = tso();
	uint64_t c1 = put("k", "v1");
	uint64_t c2 = put("k", "v2");
	uint64_t c3 = put("k", NULL);
	uint64_t c4 = put("k", "v4");

	expect_value("k", t0, NULL);
	expect_value("k", c1 - 1, NULL);
	expect_value("k", c1, "v1");
	expect_value("k", c2 - 1, "v1");
	expect_value("k", c2, "v2");
	expect_value("k", c3, NULL);
	expect_value("k", c4, "v4");
	expect_value("k", tso(), "v4");

	/* a rolled-back txn is never visible */
	uint64_t rb = tso();
	mut m = { KVRPCPB__OP__Put, "k", "rolled-back" };
	prewrite_ok(rb, "k", &m, 1, NULL);
	tctx t;
	Kvrpcpb__BatchRollbackRequest rreq = KVRPCPB__BATCH_ROLLBACK_REQUEST__INIT;
	ProtobufCBinaryData kk = BIN("k");
	rreq.context = ctx_for(&t, "k");
	rreq.start_version = rb;
	rreq.keys = &kk;
	rreq.n_keys = 1;
	Kvrpcpb__BatchRollbackResponse rr = KVRPCPB__BATCH_ROLLBACK_RESPONSE__INIT;
	CHECK_OK(kv_store_batch_rollback(g_s, &rreq, &rr, &e_));
	cr_assert_null(rr.error);
	kv_store_response_clear(&rr.base);
	expect_value("k", tso(), "v4");
	cr_assert_eq(count_locks(), 0);

	/* an uncommitted lock: older readers see the old value, newer ones are blocked */
	uint64_t before = tso();
	uint64_t w = tso();
	m.v = "uncommitted";
	prewrite_ok(w, "k", &m, 1, NULL);
	expect_value("k", before, "v4");
	uint64_t lock_ts = 0;
	cr_assert_eq(get_ex("k", tso(), NULL, 0, &lock_ts, NULL, 0), R_LOCKED);
	cr_assert_eq(lock_ts, w);
	/* resolved_locks lets a reader bypass the lock */
	char buf[64];
	cr_assert_eq(get_ex("k", tso(), buf, sizeof buf, NULL, &w, 1), R_FOUND);
	cr_assert_str_eq(buf, "v4");
	uint64_t wc = tso();
	const char *k = "k";
	commit_ok(w, wc, &k, 1);
	expect_value("k", wc - 1, "v4");
	expect_value("k", wc, "uncommitted");

	/* Lock-type locks never block reads */
	uint64_t lt = tso();
	mut lm = { KVRPCPB__OP__Lock, "k", NULL };
	prewrite_ok(lt, "k", &lm, 1, NULL);
	expect_value("k", tso(), "uncommitted");
	commit_ok(lt, tso(), &k, 1);
	expect_value("k", tso(), "uncommitted"); /* Lock records are skipped */
}

Test(kv_store, long_values_and_batch_get)
{
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	uint64_t c = put("big", big);
	put("small", "s");
	expect_value("big", c, big);

	tctx t;
	ProtobufCBinaryData ks[3] = { BIN("big"), BIN("missing"), BIN("small") };
	Kvrpcpb__BatchGetRequest req = KVRPCPB__BATCH_GET_REQUEST__INIT;
	req.context = ctx_for(&t, "big");
	req.keys = ks;
	req.n_keys = 3;
	req.version = tso();
	Kvrpcpb__BatchGetResponse r = KVRPCPB__BATCH_GET_RESPONSE__INIT;
	CHECK_OK(kv_store_batch_get(g_s, &req, &r, &e_));
	cr_assert_eq(r.n_pairs, 2);
	cr_assert_eq(r.pairs[0]->value.len, strlen(big));
	cr_assert_eq(memcmp(r.pairs[1]->key.data, "small", 5), 0);
	kv_store_response_clear(&r.base);

	/* long value rolled back: gone */
	uint64_t s2 = tso();
	mut m = { KVRPCPB__OP__Put, "big2", big };
	prewrite_ok(s2, "big2", &m, 1, NULL);
	Kvrpcpb__CleanupRequest cr = KVRPCPB__CLEANUP_REQUEST__INIT;
	cr.context = ctx_for(&t, "big2");
	cr.key = BIN("big2");
	cr.start_version = s2;
	Kvrpcpb__CleanupResponse cres = KVRPCPB__CLEANUP_RESPONSE__INIT;
	CHECK_OK(kv_store_cleanup(g_s, &cr, &cres, &e_));
	cr_assert_null(cres.error);
	kv_store_response_clear(&cres.base);
	expect_value("big2", tso(), NULL);
}

/* ---- prewrite conflicts / commit / rollback ------------------------------------ */

Test(kv_store, prewrite_conflicts)
{
	uint64_t old_start = tso();
	put("a", "1"); /* committed after old_start */

	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	mut m = { KVRPCPB__OP__Put, "a", "2" };
	prewrite(old_start, "a", &m, 1, NULL, &r);
	cr_assert_eq(r.n_errors, 1);
	cr_assert_not_null(r.errors[0]->conflict);
	cr_assert_eq(r.errors[0]->conflict->start_ts, old_start);
	cr_assert_gt(r.errors[0]->conflict->conflict_commit_ts, old_start);
	cr_assert_eq(r.errors[0]->conflict->reason, KVRPCPB__WRITE_CONFLICT__REASON__Optimistic);
	kv_store_response_clear(&r.base);

	/* locked by another txn */
	uint64_t t1 = tso();
	m.v = "t1";
	prewrite_ok(t1, "a", &m, 1, NULL);
	uint64_t t2 = tso();
	m.v = "t2";
	prewrite(t2, "a", &m, 1, NULL, &r);
	cr_assert_eq(r.n_errors, 1);
	cr_assert_not_null(r.errors[0]->locked);
	cr_assert_eq(r.errors[0]->locked->lock_version, t1);
	cr_assert_eq(r.errors[0]->locked->key.len, 1);
	cr_assert_eq(r.errors[0]->locked->primary_lock.data[0], 'a');
	kv_store_response_clear(&r.base);
	/* prewrite is idempotent for the owner */
	m.v = "t1";
	prewrite_ok(t1, "a", &m, 1, NULL);
	const char *k = "a";
	commit_ok(t1, tso(), &k, 1);

	/* Insert on an existing key -> AlreadyExist; on a new key fine */
	uint64_t t3 = tso();
	mut ins[2] = { { KVRPCPB__OP__Insert, "a", "x" }, { KVRPCPB__OP__Insert, "b", "y" } };
	prewrite(t3, "a", ins, 2, NULL, &r);
	cr_assert_eq(r.n_errors, 1);
	cr_assert_not_null(r.errors[0]->already_exist);
	cr_assert_eq(memcmp(r.errors[0]->already_exist->key.data, "a", 1), 0);
	kv_store_response_clear(&r.base);
	cr_assert_eq(count_locks(), 0, "a failed prewrite writes nothing");
	prewrite_ok(t3, "b", &ins[1], 1, NULL);
}

Test(kv_store, commit_and_rollback_errors)
{
	const char *k = "c";
	/* commit without prewrite */
	uint64_t s = tso();
	Kvrpcpb__KeyError *ke = commit_keys(s, tso(), &k, 1);
	cr_assert_not_null(ke);
	cr_assert_not_null(ke->txn_lock_not_found);
	kvrpcpb__key_error__free_unpacked(ke, NULL);

	/* prewrite, roll back, then commit -> TxnLockNotFound; prewrite again -> SelfRolledBack */
	uint64_t s2 = tso();
	mut m = { KVRPCPB__OP__Put, "c", "v" };
	prewrite_ok(s2, "c", &m, 1, NULL);
	tctx t;
	ProtobufCBinaryData kk = BIN("c");
	Kvrpcpb__BatchRollbackRequest rreq = KVRPCPB__BATCH_ROLLBACK_REQUEST__INIT;
	rreq.context = ctx_for(&t, "c");
	rreq.start_version = s2;
	rreq.keys = &kk;
	rreq.n_keys = 1;
	Kvrpcpb__BatchRollbackResponse rr = KVRPCPB__BATCH_ROLLBACK_RESPONSE__INIT;
	CHECK_OK(kv_store_batch_rollback(g_s, &rreq, &rr, &e_));
	cr_assert_null(rr.error);
	kv_store_response_clear(&rr.base);
	ke = commit_keys(s2, tso(), &k, 1);
	cr_assert_not_null(ke);
	cr_assert_not_null(ke->txn_lock_not_found);
	kvrpcpb__key_error__free_unpacked(ke, NULL);
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(s2, "c", &m, 1, NULL, &r);
	cr_assert_eq(r.n_errors, 1);
	cr_assert_not_null(r.errors[0]->conflict);
	cr_assert_eq(r.errors[0]->conflict->reason, KVRPCPB__WRITE_CONFLICT__REASON__SelfRolledBack);
	kv_store_response_clear(&r.base);

	/* commit twice is fine; rollback after commit is refused */
	uint64_t s3 = tso();
	prewrite_ok(s3, "c", &m, 1, NULL);
	uint64_t c3 = tso();
	commit_ok(s3, c3, &k, 1);
	commit_ok(s3, c3, &k, 1);
	rreq.start_version = s3;
	CHECK_OK(kv_store_batch_rollback(g_s, &rreq, &rr, &e_));
	cr_assert_not_null(rr.error);
	cr_assert_not_null(rr.error->abort);
	kv_store_response_clear(&rr.base);
	expect_value("c", tso(), "v");
}

/* ---- 1PC and async commit ---------------------------------------------------- */

Test(kv_store, one_pc)
{
	uint64_t before = tso();
	uint64_t s = tso();
	mut ms[3] = { { KVRPCPB__OP__Put, "p1", "one" },
				  { KVRPCPB__OP__Put, "p2", "two" },
				  { KVRPCPB__OP__Del, "p3", NULL } };
	pw_opts po = { .one_pc = true };
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(s, "p1", ms, 3, &po, &r);
	cr_assert_eq(r.n_errors, 0);
	uint64_t c = r.one_pc_commit_ts;
	cr_assert_gt(c, s);
	kv_store_response_clear(&r.base);
	cr_assert_eq(count_locks(), 0, "1PC leaves no lock");
	expect_value("p1", before, NULL);
	expect_value("p1", c - 1, NULL);
	expect_value("p1", c, "one");
	expect_value("p2", tso(), "two");
	expect_value("p3", tso(), NULL);
}

Test(kv_store, async_commit_min_commit_ts)
{
	uint64_t s = tso();
	mut ms[2] = { { KVRPCPB__OP__Put, "x1", "a" }, { KVRPCPB__OP__Put, "x2", "b" } };
	pw_opts po = { .async = true };
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(s, "x1", ms, 2, &po, &r);
	cr_assert_eq(r.n_errors, 0);
	uint64_t min = r.min_commit_ts;
	cr_assert_gt(min, s);
	kv_store_response_clear(&r.base);
	/* committing below min_commit_ts is refused */
	const char *keys[2] = { "x1", "x2" };
	Kvrpcpb__KeyError *ke = commit_keys(s, min - 1, keys, 2);
	cr_assert_not_null(ke);
	cr_assert_not_null(ke->commit_ts_expired);
	cr_assert_eq(ke->commit_ts_expired->min_commit_ts, min);
	kvrpcpb__key_error__free_unpacked(ke, NULL);
	commit_ok(s, min, keys, 2);
	expect_value("x2", min, "b");
}

/* ---- scan --------------------------------------------------------------------- */

static size_t
scan(const char *start, const char *end, uint32_t limit, bool reverse, bool key_only,
	 uint64_t ts, char out[][32], size_t *n_locked)
{
	tctx t;
	Kvrpcpb__ScanRequest req = KVRPCPB__SCAN_REQUEST__INIT;
	req.context = ctx_for(&t, start);
	req.start_key = BIN(start);
	req.end_key = BIN(end);
	req.limit = limit;
	req.reverse = reverse;
	req.key_only = key_only;
	req.version = ts;
	Kvrpcpb__ScanResponse r = KVRPCPB__SCAN_RESPONSE__INIT;
	CHECK_OK(kv_store_scan(g_s, &req, &r, &e_));
	cr_assert_null(r.region_error);
	size_t n = r.n_pairs;
	if (n_locked)
		*n_locked = 0;
	for (size_t i = 0; i < n; i++) {
		Kvrpcpb__KvPair *p = r.pairs[i];
		if (p->error) {
			cr_assert_not_null(p->error->locked);
			if (n_locked)
				(*n_locked)++;
		}
		if (key_only)
			cr_assert_eq(p->value.len, 0);
		snprintf(out[i], 32, "%.*s=%.*s", (int) p->key.len, (char *) p->key.data,
				 (int) p->value.len, (char *) p->value.data);
	}
	kv_store_response_clear(&r.base);
	return n;
}

Test(kv_store, scan_forward_reverse_limit)
{
	put("s1", "1");
	put("s2", "2");
	put("s3", "3");
	put("s3", NULL);
	put("s4", "4");
	put("s5", "5");
	put("t", "outside");
	uint64_t ts = tso();
	char out[16][32];
	size_t n = scan("s", "t", 100, false, false, ts, out, NULL);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(out[0], "s1=1");
	cr_assert_str_eq(out[1], "s2=2");
	cr_assert_str_eq(out[2], "s4=4");
	cr_assert_str_eq(out[3], "s5=5");
	n = scan("s2", "s5", 100, false, true, ts, out, NULL);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(out[0], "s2=");
	n = scan("s", "t", 2, false, false, ts, out, NULL);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(out[1], "s2=2");
	/* reverse: start is the exclusive upper bound, end the inclusive lower */
	n = scan("s5", "s1", 100, true, false, ts, out, NULL);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(out[0], "s4=4");
	cr_assert_str_eq(out[1], "s2=2");
	cr_assert_str_eq(out[2], "s1=1");
	n = scan("", "", 2, true, false, ts, out, NULL);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(out[0], "t=outside");
	cr_assert_str_eq(out[1], "s5=5");

	/* a blocking lock comes back as a pair with error.locked */
	uint64_t w = tso();
	mut m = { KVRPCPB__OP__Put, "s2", "locked" };
	prewrite_ok(w, "s2", &m, 1, NULL);
	size_t nl;
	n = scan("s", "t", 100, false, false, tso(), out, &nl);
	cr_assert_eq(n, 4);
	cr_assert_eq(nl, 1);
	/* an older snapshot does not see it */
	n = scan("s", "t", 100, false, false, ts, out, &nl);
	cr_assert_eq(nl, 0);
	cr_assert_str_eq(out[1], "s2=2");
	/* a prewritten new key shows up only as a lock */
	mut m2 = { KVRPCPB__OP__Put, "s0", "new" };
	uint64_t w2 = tso();
	prewrite_ok(w2, "s0", &m2, 1, NULL);
	n = scan("t", "s", 100, true, false, tso(), out, &nl);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(out[0], "s5=5");
	cr_assert_str_eq(out[4], "s0=");
	cr_assert_eq(nl, 2);
}

/* ---- TSO ----------------------------------------------------------------------- */

Test(kv_store, tso_monotonic_across_reopen)
{
	uint64_t prev = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t t = tso();
		cr_assert_gt(t, prev);
		prev = t;
	}
	uint64_t big;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_get_ts(g_s, 100, &big, &err), CM_OK);
	cr_assert_geq(big - 99, prev + 1, "a batch starts above the previous ts");
	prev = big;
	for (int i = 0; i < 3; i++) {
		reopen(0);
		uint64_t t = tso();
		cr_assert_gt(t, prev, "ts after reopen %d must exceed the last one", i);
		prev = t;
	}
	/* physical part is wall-clock milliseconds */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t ms = (uint64_t) now.tv_sec * 1000 + (uint64_t) now.tv_nsec / 1000000;
	cr_assert_leq(kv_ts_physical(prev) > ms ? kv_ts_physical(prev) - ms : ms - kv_ts_physical(prev),
				  60000);
}

/* ---- lock resolution -------------------------------------------------------------- */

static void
check_status(const char *primary, uint64_t lock_ts, uint64_t caller, uint64_t current,
			 bool rollback_if_not_exist, Kvrpcpb__CheckTxnStatusResponse *r)
{
	tctx t;
	Kvrpcpb__CheckTxnStatusRequest req = KVRPCPB__CHECK_TXN_STATUS_REQUEST__INIT;
	req.context = ctx_for(&t, primary);
	req.primary_key = BIN(primary);
	req.lock_ts = lock_ts;
	req.caller_start_ts = caller;
	req.current_ts = current;
	req.rollback_if_not_exist = rollback_if_not_exist;
	req.verify_is_primary = true;
	CHECK_OK(kv_store_check_txn_status(g_s, &req, r, &e_));
	cr_assert_null(r->region_error);
}

Test(kv_store, check_txn_status_paths)
{
	/* alive */
	uint64_t s1 = tso();
	mut m = { KVRPCPB__OP__Put, "pk", "v" };
	pw_opts po = { .ttl = 100000 };
	prewrite_ok(s1, "pk", &m, 1, &po);
	Kvrpcpb__CheckTxnStatusResponse r = KVRPCPB__CHECK_TXN_STATUS_RESPONSE__INIT;
	uint64_t caller = tso();
	check_status("pk", s1, caller, tso(), false, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.lock_ttl, 100000);
	cr_assert_eq(r.commit_version, 0);
	cr_assert_eq(r.action, KVRPCPB__ACTION__MinCommitTSPushed);
	cr_assert_gt(r.lock_info->min_commit_ts, caller);
	kv_store_response_clear(&r.base);
	/* the reader that pushed min_commit_ts is no longer blocked */
	expect_value("pk", caller, NULL);

	/* TTL expired -> rolled back */
	uint64_t s2 = tso();
	m.k = "pk2";
	pw_opts short_ttl = { .ttl = 10 };
	prewrite_ok(s2, "pk2", &m, 1, &short_ttl);
	uint64_t later = kv_ts_compose(kv_ts_physical(s2) + 11, 0);
	check_status("pk2", s2, tso(), later, false, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.lock_ttl, 0);
	cr_assert_eq(r.commit_version, 0);
	cr_assert_eq(r.action, KVRPCPB__ACTION__TTLExpireRollback);
	kv_store_response_clear(&r.base);
	expect_value("pk2", tso(), NULL);
	const char *k2 = "pk2";
	Kvrpcpb__KeyError *ke = commit_keys(s2, tso(), &k2, 1);
	cr_assert_not_null(ke); /* rolled back: cannot commit */
	kvrpcpb__key_error__free_unpacked(ke, NULL);

	/* committed -> commit_version */
	uint64_t s3 = tso();
	m.k = "pk3";
	prewrite_ok(s3, "pk3", &m, 1, NULL);
	uint64_t c3 = tso();
	const char *k3 = "pk3";
	commit_ok(s3, c3, &k3, 1);
	check_status("pk3", s3, tso(), tso(), false, &r);
	cr_assert_eq(r.commit_version, c3);
	cr_assert_eq(r.lock_ttl, 0);
	kv_store_response_clear(&r.base);

	/* unknown txn: TxnNotFound, or a rollback record when asked */
	uint64_t s4 = tso();
	check_status("pk4", s4, tso(), tso(), false, &r);
	cr_assert_not_null(r.error);
	cr_assert_not_null(r.error->txn_not_found);
	kv_store_response_clear(&r.base);
	check_status("pk4", s4, tso(), tso(), true, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.action, KVRPCPB__ACTION__LockNotExistRollback);
	kv_store_response_clear(&r.base);
	Kvrpcpb__PrewriteResponse pr = KVRPCPB__PREWRITE_RESPONSE__INIT;
	m.k = "pk4";
	prewrite(s4, "pk4", &m, 1, NULL, &pr);
	cr_assert_eq(pr.n_errors, 1, "prewrite after the rollback record must fail");
	kv_store_response_clear(&pr.base);
}

Test(kv_store, resolve_lock_commit_and_rollback)
{
	/* txn A: 3 keys prewritten, primary committed, secondaries left */
	uint64_t a = tso();
	mut ma[3] = { { KVRPCPB__OP__Put, "ra", "A" },
				  { KVRPCPB__OP__Put, "rb", "A" },
				  { KVRPCPB__OP__Put, "rc", "A" } };
	prewrite_ok(a, "ra", ma, 3, NULL);
	uint64_t ca = tso();
	const char *pa = "ra";
	commit_ok(a, ca, &pa, 1);
	/* txn B: 2 keys, abandoned */
	uint64_t b = tso();
	mut mb[2] = { { KVRPCPB__OP__Put, "rd", "B" }, { KVRPCPB__OP__Put, "re", "B" } };
	prewrite_ok(b, "rd", mb, 2, NULL);
	cr_assert_eq(count_locks(), 4);

	tctx t;
	Kvrpcpb__ResolveLockRequest req = KVRPCPB__RESOLVE_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t, "ra");
	req.start_version = a;
	req.commit_version = ca; /* whole-region mode: every lock of txn A */
	Kvrpcpb__ResolveLockResponse r = KVRPCPB__RESOLVE_LOCK_RESPONSE__INIT;
	CHECK_OK(kv_store_resolve_lock(g_s, &req, &r, &e_));
	cr_assert_null(r.error);
	kv_store_response_clear(&r.base);
	cr_assert_eq(count_locks(), 2);
	expect_value("rb", ca, "A");
	expect_value("rc", tso(), "A");

	/* lite mode: roll back txn B key by key */
	ProtobufCBinaryData ks[2] = { BIN("rd"), BIN("re") };
	req.start_version = b;
	req.commit_version = 0;
	req.keys = ks;
	req.n_keys = 2;
	CHECK_OK(kv_store_resolve_lock(g_s, &req, &r, &e_));
	cr_assert_null(r.error);
	kv_store_response_clear(&r.base);
	cr_assert_eq(count_locks(), 0);
	expect_value("rd", tso(), NULL);
	Kvrpcpb__CheckTxnStatusResponse cs = KVRPCPB__CHECK_TXN_STATUS_RESPONSE__INIT;
	check_status("rd", b, tso(), tso(), false, &cs);
	cr_assert_null(cs.error);
	cr_assert_eq(cs.commit_version, 0);
	cr_assert_eq(cs.lock_ttl, 0);
	kv_store_response_clear(&cs.base);
}

Test(kv_store, heartbeat_and_secondary_locks)
{
	uint64_t s = tso();
	mut ms[2] = { { KVRPCPB__OP__Put, "h1", "x" }, { KVRPCPB__OP__Put, "h2", "y" } };
	pw_opts po = { .async = true };
	prewrite_ok(s, "h1", ms, 2, &po);

	tctx t;
	Kvrpcpb__TxnHeartBeatRequest hb = KVRPCPB__TXN_HEART_BEAT_REQUEST__INIT;
	hb.context = ctx_for(&t, "h1");
	hb.primary_lock = BIN("h1");
	hb.start_version = s;
	hb.advise_lock_ttl = 60000;
	Kvrpcpb__TxnHeartBeatResponse hr = KVRPCPB__TXN_HEART_BEAT_RESPONSE__INIT;
	CHECK_OK(kv_store_txn_heart_beat(g_s, &hb, &hr, &e_));
	cr_assert_null(hr.error);
	cr_assert_eq(hr.lock_ttl, 60000);
	kv_store_response_clear(&hr.base);

	ProtobufCBinaryData ks[3] = { BIN("h1"), BIN("h2"), BIN("h3") };
	Kvrpcpb__CheckSecondaryLocksRequest req = KVRPCPB__CHECK_SECONDARY_LOCKS_REQUEST__INIT;
	req.context = ctx_for(&t, "h1");
	req.keys = ks;
	req.n_keys = 2;
	req.start_version = s;
	Kvrpcpb__CheckSecondaryLocksResponse r = KVRPCPB__CHECK_SECONDARY_LOCKS_RESPONSE__INIT;
	CHECK_OK(kv_store_check_secondary_locks(g_s, &req, &r, &e_));
	cr_assert_eq(r.n_locks, 2);
	cr_assert(r.locks[0]->use_async_commit);
	kv_store_response_clear(&r.base);

	/* commit one key: the check now reports commit_ts */
	uint64_t c = tso();
	const char *k = "h1";
	commit_ok(s, c, &k, 1);
	CHECK_OK(kv_store_check_secondary_locks(g_s, &req, &r, &e_));
	cr_assert_eq(r.commit_ts, c);
	kv_store_response_clear(&r.base);

	/* a never-prewritten key gets a rollback record and is left out */
	uint64_t s2 = tso();
	mut m3 = { KVRPCPB__OP__Put, "h3", "z" };
	req.keys = &ks[2];
	req.n_keys = 1;
	req.start_version = s2;
	CHECK_OK(kv_store_check_secondary_locks(g_s, &req, &r, &e_));
	cr_assert_eq(r.n_locks, 0);
	cr_assert_eq(r.commit_ts, 0);
	kv_store_response_clear(&r.base);
	Kvrpcpb__PrewriteResponse pr = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(s2, "h3", &m3, 1, NULL, &pr);
	cr_assert_eq(pr.n_errors, 1);
	kv_store_response_clear(&pr.base);
}

/* ---- pessimistic locks --------------------------------------------------------------- */

typedef struct plock_args {
	const char *key;
	uint64_t start;
	uint64_t for_update_ts;
	int64_t wait_ms;
	/* results */
	int outcome; /* 0 ok, 1 locked, 2 conflict, 3 deadlock, 4 other */
	uint64_t took_ms;
	uint64_t deadlock_lock_ts;
	char value[64];	/* return_values: value of the key ("" if none) */
	int not_found;	/* -1 not reported */
} plock_args;

static void *
plock_run(void *arg)
{
	plock_args *a = arg;
	tctx t;
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT;
	Kvrpcpb__Mutation *mp = &m;
	m.op = KVRPCPB__OP__PessimisticLock;
	m.key = BIN(a->key);
	Kvrpcpb__PessimisticLockRequest req = KVRPCPB__PESSIMISTIC_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t, a->key);
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = BIN(a->key);
	req.start_version = a->start;
	req.for_update_ts = a->for_update_ts;
	req.lock_ttl = 20000;
	req.wait_timeout = a->wait_ms;
	req.return_values = true;
	req.min_commit_ts = a->for_update_ts + 1;
	Kvrpcpb__PessimisticLockResponse r = KVRPCPB__PESSIMISTIC_LOCK_RESPONSE__INIT;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cm_error err = { 0 };
	cr_assert_eq(kv_store_pessimistic_lock(g_s, &req, &r, &err), CM_OK);
	a->took_ms = elapsed_ms(&t0);
	a->not_found = r.n_not_founds ? r.not_founds[0] : -1;
	if (r.n_values == 1 && r.values[0].len < sizeof a->value) {
		if (r.values[0].len)
			memcpy(a->value, r.values[0].data, r.values[0].len);
		a->value[r.values[0].len] = 0;
	}
	if (r.n_errors == 0)
		a->outcome = 0;
	else if (r.errors[0]->locked)
		a->outcome = 1;
	else if (r.errors[0]->conflict)
		a->outcome = 2;
	else if (r.errors[0]->deadlock) {
		a->outcome = 3;
		a->deadlock_lock_ts = r.errors[0]->deadlock->lock_ts;
	} else
		a->outcome = 4;
	kv_store_response_clear(&r.base);
	return NULL;
}

static int
plock(const char *key, uint64_t start, uint64_t fut, int64_t wait_ms)
{
	plock_args a = { .key = key, .start = start, .for_update_ts = fut, .wait_ms = wait_ms };
	plock_run(&a);
	return a.outcome;
}

static void
prollback(const char *key, uint64_t start, uint64_t fut)
{
	tctx t;
	ProtobufCBinaryData k = BIN(key);
	Kvrpcpb__PessimisticRollbackRequest req = KVRPCPB__PESSIMISTIC_ROLLBACK_REQUEST__INIT;
	req.context = ctx_for(&t, key);
	req.start_version = start;
	req.for_update_ts = fut;
	req.keys = &k;
	req.n_keys = 1;
	Kvrpcpb__PessimisticRollbackResponse r = KVRPCPB__PESSIMISTIC_ROLLBACK_RESPONSE__INIT;
	CHECK_OK(kv_store_pessimistic_rollback(g_s, &req, &r, &e_));
	cr_assert_eq(r.n_errors, 0);
	kv_store_response_clear(&r.base);
}

Test(kv_store, pessimistic_lock_commit_flow)
{
	put("pl", "old");
	uint64_t s = tso();
	uint64_t fut = tso();
	plock_args pa = { .key = "pl", .start = s, .for_update_ts = fut, .wait_ms = -1 };
	plock_run(&pa);
	cr_assert_eq(pa.outcome, 0);
	cr_assert_str_eq(pa.value, "old", "return_values gives the latest value");
	cr_assert_eq(pa.not_found, 0);
	plock_args pb = { .key = "pl-missing", .start = s, .for_update_ts = fut, .wait_ms = -1 };
	plock_run(&pb);
	cr_assert_eq(pb.outcome, 0);
	cr_assert_eq(pb.not_found, 1);
	/* re-locking by the owner is fine; readers are not blocked by 'S' locks */
	cr_assert_eq(plock("pl", s, fut, -1), 0);
	expect_value("pl", tso(), "old");
	/* prewrite converts the pessimistic lock, commit makes it visible */
	mut m = { KVRPCPB__OP__Put, "pl", "new" };
	pw_opts po = { .for_update_ts = fut, .pessimistic_check = true };
	prewrite_ok(s, "pl", &m, 1, &po);
	uint64_t c = tso();
	const char *k = "pl";
	commit_ok(s, c, &k, 1);
	expect_value("pl", c, "new");
	/* a lock with an older for_update_ts meets a newer commit */
	uint64_t s2 = tso();
	put("pl", "newer");
	cr_assert_eq(plock("pl", s2, s2, -1), 2);
	/* DO_PESSIMISTIC_CHECK without the lock fails */
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	uint64_t s3 = tso();
	pw_opts po3 = { .for_update_ts = s3, .pessimistic_check = true };
	prewrite(s3, "pl", &m, 1, &po3, &r);
	cr_assert_eq(r.n_errors, 1);
	kv_store_response_clear(&r.base);
}

Test(kv_store, pessimistic_one_pc)
{
	uint64_t s = tso(), fut = tso();
	cr_assert_eq(plock("q1", s, fut, -1), 0);
	cr_assert_eq(plock("q2", s, fut, -1), 0);
	cr_assert_eq(count_locks(), 2);
	mut ms[2] = { { KVRPCPB__OP__Put, "q1", "one" }, { KVRPCPB__OP__Put, "q2", "two" } };
	pw_opts po = { .for_update_ts = fut, .pessimistic_check = true, .one_pc = true };
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	prewrite(s, "q1", ms, 2, &po, &r);
	cr_assert_eq(r.n_errors, 0);
	uint64_t c = r.one_pc_commit_ts;
	cr_assert_gt(c, fut);
	kv_store_response_clear(&r.base);
	cr_assert_eq(count_locks(), 0, "1PC converts and removes the pessimistic locks");
	expect_value("q1", c, "one");
	expect_value("q2", c, "two");
}

Test(kv_store, pessimistic_wait_and_nowait)
{
	uint64_t s1 = tso(), f1 = tso();
	cr_assert_eq(plock("w", s1, f1, -1), 0);
	uint64_t s2 = tso(), f2 = tso();

	/* NOWAIT answers at once */
	plock_args nw = { .key = "w", .start = s2, .for_update_ts = f2, .wait_ms = -1 };
	plock_run(&nw);
	cr_assert_eq(nw.outcome, 1);
	cr_assert_lt(nw.took_ms, 100);

	/* a bounded wait times out with Locked */
	plock_args to = { .key = "w", .start = s2, .for_update_ts = f2, .wait_ms = 200 };
	plock_run(&to);
	cr_assert_eq(to.outcome, 1);
	cr_assert_geq(to.took_ms, 150);

	/* a waiter proceeds once the holder rolls back its lock */
	plock_args w = { .key = "w", .start = s2, .for_update_ts = f2, .wait_ms = 4000 };
	pthread_t th;
	pthread_create(&th, NULL, plock_run, &w);
	usleep(200 * 1000);
	prollback("w", s1, f1);
	pthread_join(th, NULL);
	cr_assert_eq(w.outcome, 0, "waiter should get the lock, got %d", w.outcome);
	cr_assert_geq(w.took_ms, 150);
	cr_assert_lt(w.took_ms, 3000);

	/* a waiter behind a committing holder wakes up and sees the conflict */
	uint64_t s3 = tso(), f3 = tso();
	plock_args w3 = { .key = "w", .start = s3, .for_update_ts = f3, .wait_ms = 4000 };
	pthread_create(&th, NULL, plock_run, &w3);
	usleep(200 * 1000);
	mut m = { KVRPCPB__OP__Put, "w", "by-s2" };
	pw_opts po = { .for_update_ts = f2, .pessimistic_check = true };
	prewrite_ok(s2, "w", &m, 1, &po);
	const char *k = "w";
	commit_ok(s2, tso(), &k, 1);
	pthread_join(th, NULL);
	cr_assert_eq(w3.outcome, 2, "expected WriteConflict after the holder committed, got %d",
				 w3.outcome);
	cr_assert_geq(w3.took_ms, 150);
	cr_assert_lt(w3.took_ms, 3000);
}

Test(kv_store, deadlock_detection)
{
	uint64_t t1 = tso(), t2 = tso();
	cr_assert_eq(plock("da", t1, t1, -1), 0);
	cr_assert_eq(plock("db", t2, t2, -1), 0);
	/* t1 waits for db (held by t2) in another thread */
	plock_args w1 = { .key = "db", .start = t1, .for_update_ts = t1, .wait_ms = 4000 };
	pthread_t th1, th2;
	pthread_create(&th1, NULL, plock_run, &w1);
	usleep(200 * 1000);
	/* t2 waits for da (held by t1): a cycle.  As in PostgreSQL the check runs
	 * in a waiter once it has waited deadlock_timeout (1 s), so t1, which
	 * began waiting first, finds it; t2 keeps waiting */
	plock_args w2 = { .key = "da", .start = t2, .for_update_ts = t2, .wait_ms = 4000 };
	pthread_create(&th2, NULL, plock_run, &w2);
	pthread_join(th1, NULL);
	cr_assert_eq(w1.outcome, 3, "expected deadlock for the first waiter, got %d", w1.outcome);
	cr_assert_eq(w1.deadlock_lock_ts, t2);
	cr_assert_geq(w1.took_ms, 900);
	cr_assert_lt(w1.took_ms, 2500);
	/* the victim gives up its lock; t2 proceeds */
	prollback("da", t1, t1);
	pthread_join(th2, NULL);
	cr_assert_eq(w2.outcome, 0, "the other waiter gets the lock, got %d", w2.outcome);
}

/* The client re-sends a wait every lock_wait_max_ms: the wait start (and so
 * the deadlock check's timing) survives the re-sends. */
static void *
plock_resend(void *arg)
{
	plock_args *a = arg;
	do
		plock_run(a);
	while (a->outcome == 1);
	return NULL;
}

Test(kv_store, deadlock_check_survives_resends)
{
	uint64_t t1 = tso(), t2 = tso();
	cr_assert_eq(plock("ra", t1, t1, -1), 0);
	cr_assert_eq(plock("rb", t2, t2, -1), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	plock_args w1 = { .key = "rb", .start = t1, .for_update_ts = t1, .wait_ms = 300 };
	pthread_t th1, th2;
	pthread_create(&th1, NULL, plock_resend, &w1);
	usleep(200 * 1000);
	plock_args w2 = { .key = "ra", .start = t2, .for_update_ts = t2, .wait_ms = 300 };
	pthread_create(&th2, NULL, plock_resend, &w2);
	pthread_join(th1, NULL);
	uint64_t took = elapsed_ms(&t0);
	cr_assert_eq(w1.outcome, 3, "the first waiter is the victim, got %d", w1.outcome);
	cr_assert_geq(took, 900, "checked after deadlock_timeout of waiting, not per request");
	cr_assert_lt(took, 2500);
	prollback("ra", t1, t1);
	pthread_join(th2, NULL);
	cr_assert_eq(w2.outcome, 0);
}

/* ---- regions ----------------------------------------------------------------------- */

Test(kv_store, region_errors_and_split)
{
	tctx t;
	Kvrpcpb__Context *ctx = ctx_for(&t, "a");
	uint64_t rid = ctx->region_id;
	Metapb__RegionEpoch old_ep = t.ep;
	put("a", "1");
	put("z", "2");

	/* unknown region id */
	Kvrpcpb__GetRequest g = KVRPCPB__GET_REQUEST__INIT;
	Kvrpcpb__Context bad = KVRPCPB__CONTEXT__INIT;
	bad.region_id = 9999;
	bad.region_epoch = &old_ep;
	g.context = &bad;
	g.key = BIN("a");
	g.version = tso();
	Kvrpcpb__GetResponse gr = KVRPCPB__GET_RESPONSE__INIT;
	CHECK_OK(kv_store_get(g_s, &g, &gr, &e_));
	cr_assert_not_null(gr.region_error);
	cr_assert_not_null(gr.region_error->region_not_found);
	kv_store_response_clear(&gr.base);

	/* forced split at "m" */
	cm_error err = { 0 };
	cr_assert_eq(kve_split_region(g_s, (const uint8_t *) "m", 1, &err), CM_OK);
	Metapb__Region *rm, *ra;
	cr_assert_eq(kv_store_region_by_key(g_s, (const uint8_t *) "m", 1, &rm, &err), CM_OK);
	cr_assert_eq(kv_store_region_by_key(g_s, (const uint8_t *) "a", 1, &ra, &err), CM_OK);
	cr_assert_neq(rm->id, ra->id);
	/* boundaries are EncodeBytes("m") */
	static const uint8_t enc_m[9] = { 'm', 0, 0, 0, 0, 0, 0, 0, 0xF8 };
	cr_assert_eq(rm->start_key.len, 9);
	cr_assert_eq(memcmp(rm->start_key.data, enc_m, 9), 0);
	cr_assert_eq(ra->end_key.len, 9);
	cr_assert_eq(memcmp(ra->end_key.data, enc_m, 9), 0);
	cr_assert_eq(rm->id, rid, "right half keeps the id");
	cr_assert_gt(rm->region_epoch->version, old_ep.version);

	/* the old epoch is stale */
	g.context = ctx;
	ctx->region_epoch = &old_ep;
	g.key = BIN("z");
	CHECK_OK(kv_store_get(g_s, &g, &gr, &e_));
	cr_assert_not_null(gr.region_error);
	cr_assert_not_null(gr.region_error->epoch_not_match);
	cr_assert_geq(gr.region_error->epoch_not_match->n_current_regions, 2);
	kv_store_response_clear(&gr.base);

	/* a key outside the addressed region */
	Kvrpcpb__Context cm = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch epm;
	kv_context_for_region(&cm, &epm, rm);
	g.context = &cm;
	g.key = BIN("a");
	CHECK_OK(kv_store_get(g_s, &g, &gr, &e_));
	cr_assert_not_null(gr.region_error);
	cr_assert_not_null(gr.region_error->key_not_in_region);
	cr_assert_eq(gr.region_error->key_not_in_region->region_id, rm->id);
	kv_store_response_clear(&gr.base);
	/* and the right region serves its key */
	g.key = BIN("z");
	CHECK_OK(kv_store_get(g_s, &g, &gr, &e_));
	cr_assert_null(gr.region_error);
	cr_assert_eq(gr.value.len, 1);
	kv_store_response_clear(&gr.base);
	kv_region_free(rm);
	kv_region_free(ra);

	/* regions survive a restart */
	reopen(0);
	Metapb__Region **rs;
	size_t n;
	cr_assert_eq(kv_store_scan_regions(g_s, NULL, 0, NULL, 0, 0, &rs, &n, &err), CM_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(rs[0]->start_key.len, 0);
	cr_assert_eq(rs[1]->end_key.len, 0);
	kv_regions_free(rs, n);
	expect_value("a", tso(), "1");
	expect_value("z", tso(), "2");
}

Test(kv_store, split_by_size)
{
	reopen(4096);
	char k[32], v[64];
	memset(v, 'v', sizeof v - 1);
	v[sizeof v - 1] = 0;
	for (int i = 0; i < 400; i++) {
		snprintf(k, sizeof k, "key%05d", i);
		uint64_t s = tso();
		mut m = { KVRPCPB__OP__Put, k, v };
		pw_opts po = { .one_pc = true };
		Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
		prewrite(s, k, &m, 1, &po, &r);
		cr_assert_eq(r.n_errors, 0);
		cr_assert_neq(r.one_pc_commit_ts, 0);
		kv_store_response_clear(&r.base);
	}
	kve_stats st;
	kve_get_stats(g_s, &st);
	cr_assert_gt(st.regions, 3, "expected splits, have %llu regions",
				 (unsigned long long) st.regions);
	/* the regions tile the key space and every key reads back through its region */
	Metapb__Region **rs;
	size_t n;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_scan_regions(g_s, NULL, 0, NULL, 0, 0, &rs, &n, &err), CM_OK);
	cr_assert_eq(n, st.regions);
	for (size_t i = 1; i < n; i++) {
		cr_assert_eq(rs[i - 1]->end_key.len, rs[i]->start_key.len);
		cr_assert_eq(memcmp(rs[i - 1]->end_key.data, rs[i]->start_key.data, rs[i]->start_key.len),
					 0);
	}
	kv_regions_free(rs, n);
	uint64_t ts = tso();
	for (int i = 0; i < 400; i += 7) {
		snprintf(k, sizeof k, "key%05d", i);
		expect_value(k, ts, v);
	}
}

/* ---- group commit -------------------------------------------------------------- */

#define GC_THREADS 8
#define GC_TXNS 40

static void *
gc_worker(void *arg)
{
	int id = (int) (intptr_t) arg;
	for (int i = 0; i < GC_TXNS; i++) {
		char k1[32], k2[32], v[32];
		snprintf(k1, sizeof k1, "g%d_%03d_a", id, i);
		snprintf(k2, sizeof k2, "g%d_%03d_b", id, i);
		snprintf(v, sizeof v, "v%d_%d", id, i);
		uint64_t s = tso();
		mut ms[2] = { { KVRPCPB__OP__Put, k1, v }, { KVRPCPB__OP__Put, k2, v } };
		prewrite_ok(s, k1, ms, 2, NULL);
		const char *keys[2] = { k1, k2 };
		commit_ok(s, tso(), keys, 2);
	}
	return NULL;
}

Test(kv_store, group_commit_concurrent)
{
	pthread_t th[GC_THREADS];
	for (int i = 0; i < GC_THREADS; i++)
		pthread_create(&th[i], NULL, gc_worker, (void *) (intptr_t) i);
	for (int i = 0; i < GC_THREADS; i++)
		pthread_join(th[i], NULL);
	kve_stats st;
	kve_get_stats(g_s, &st);
	cr_assert_geq(st.writes, GC_THREADS * GC_TXNS * 2);
	cr_assert_leq(st.rocks_writes, st.writes);
	cr_log_info("group commit: %llu batches in %llu RocksDB writes (%llu synced)",
				(unsigned long long) st.writes, (unsigned long long) st.rocks_writes,
				(unsigned long long) st.syncs);
	reopen(0);
	uint64_t ts = tso();
	char k[32], v[32];
	for (int id = 0; id < GC_THREADS; id++)
		for (int i = 0; i < GC_TXNS; i++) {
			snprintf(v, sizeof v, "v%d_%d", id, i);
			snprintf(k, sizeof k, "g%d_%03d_a", id, i);
			expect_value(k, ts, v);
			snprintf(k, sizeof k, "g%d_%03d_b", id, i);
			expect_value(k, ts, v);
		}
	cr_assert_eq(count_locks(), 0);
}

Test(kv_store, coprocessor_rejects_an_empty_dag)
{
	tctx t;
	Coprocessor__Request req = COPROCESSOR__REQUEST__INIT;
	req.context = ctx_for(&t, "");
	req.tp = 103;
	Coprocessor__Response r = COPROCESSOR__RESPONSE__INIT;
	CHECK_OK(kv_store_coprocessor(g_s, &req, &r, &e_));
	/* a DAG request without executors is refused with a SQLSTATE-prefixed text */
	cr_assert(strncmp(r.other_error, "0A000: ", 7) == 0, "%s", r.other_error);
	kv_store_response_clear(&r.base);
	cr_assert_str_eq(r.other_error, "");
}
