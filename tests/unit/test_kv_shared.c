/*
 * test_kv_shared.c -- shared locks in the embedded store (kv/embedded,
 * kve_shared.c): the 'H' lock record with its 'h' sub-locks (encode /
 * decode), and what every command does with a sharer's part of a key:
 * PessimisticLock with SharedPessimisticLock (sharers together, exclusive
 * requests and upgrades wait), Prewrite with SharedLock (2PC and 1PC),
 * Commit (a Lock write record), BatchRollback, PessimisticRollback,
 * ResolveLock (listed keys and whole region), CheckTxnStatus and
 * TxnHeartBeat on a shared primary, ScanLock's shared_lock_infos.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/embedded/kve_internal.h"
#include "kv/store.h"

static kv_store *g_s;
static char g_dir[64];

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_kvshared_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.sync_wal = false;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK);
}

static void
teardown(void)
{
	kv_store_close(g_s);
	g_s = NULL;
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kv_shared, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------------ */

#define BIN(str) ((ProtobufCBinaryData){ strlen(str), (uint8_t *) (str) })
#define CHECK_OK(call)                                                            \
	do {                                                                          \
		cm_error e_ = { 0 };                                                      \
		cr_assert_eq((call), CM_OK, "%s: %s", #call, e_.message ? e_.message : "?"); \
	} while (0)

static uint64_t
tso(void)
{
	uint64_t t;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_get_ts(g_s, 1, &t, &err), CM_OK);
	return t;
}

typedef struct tctx {
	Kvrpcpb__Context ctx;
	Metapb__RegionEpoch ep;
} tctx;

static Kvrpcpb__Context *
ctx_for(tctx *t)
{
	Metapb__Region *r;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_region_by_key(g_s, (const uint8_t *) "", 0, &r, &err), CM_OK);
	kvrpcpb__context__init(&t->ctx);
	kv_context_for_region(&t->ctx, &t->ep, r);
	kv_region_free(r);
	return &t->ctx;
}

enum { OK = 0, LOCKED = 1, CONFLICT = 2, OTHER = 3 };

/* PessimisticLock of key by txn start (primary = key), no wait. */
static int
plock(const char *key, const char *primary, uint64_t start, uint64_t fut, bool shared, uint64_t ttl,
	  size_t *n_sharers)
{
	tctx t;
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT, *mp = &m;
	m.op = shared ? KVRPCPB__OP__SharedPessimisticLock : KVRPCPB__OP__PessimisticLock;
	m.key = BIN(key);
	Kvrpcpb__PessimisticLockRequest req = KVRPCPB__PESSIMISTIC_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = BIN(primary);
	req.start_version = start;
	req.for_update_ts = fut;
	req.lock_ttl = ttl;
	req.wait_timeout = -1;
	req.min_commit_ts = fut + 1;
	Kvrpcpb__PessimisticLockResponse r = KVRPCPB__PESSIMISTIC_LOCK_RESPONSE__INIT;
	CHECK_OK(kv_store_pessimistic_lock(g_s, &req, &r, &e_));
	int out = OK;
	if (r.n_errors) {
		const Kvrpcpb__KeyError *e = r.errors[0];
		out = e->locked ? LOCKED : e->conflict ? CONFLICT : OTHER;
		if (e->locked && n_sharers)
			*n_sharers = e->locked->lock_type == KVRPCPB__OP__SharedLock
							 ? e->locked->n_shared_lock_infos
							 : 0;
	}
	kv_store_response_clear(&r.base);
	return out;
}

/* Prewrite one mutation (pessimistic check when fut != 0); 1PC if one_pc.
 * Returns the number of key errors; *one_pc_ts the 1PC commit ts. */
static size_t
prewrite(const char *key, const char *primary, Kvrpcpb__Op op, uint64_t start, uint64_t fut,
		 bool one_pc, uint64_t *one_pc_ts)
{
	tctx t;
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT, *mp = &m;
	m.op = op;
	m.key = BIN(key);
	Kvrpcpb__PrewriteRequest__PessimisticAction act =
		fut ? KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__DO_PESSIMISTIC_CHECK
			: KVRPCPB__PREWRITE_REQUEST__PESSIMISTIC_ACTION__SKIP_PESSIMISTIC_CHECK;
	Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = BIN(primary);
	req.start_version = start;
	req.lock_ttl = 3000;
	req.txn_size = 1;
	req.for_update_ts = fut;
	if (fut) {
		req.pessimistic_actions = &act;
		req.n_pessimistic_actions = 1;
	}
	req.min_commit_ts = (fut > start ? fut : start) + 1;
	req.try_one_pc = one_pc;
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	CHECK_OK(kv_store_prewrite(g_s, &req, &r, &e_));
	size_t n = r.n_errors;
	if (one_pc_ts)
		*one_pc_ts = r.one_pc_commit_ts;
	kv_store_response_clear(&r.base);
	return n;
}

static void
commit(const char *key, uint64_t start, uint64_t cts)
{
	tctx t;
	ProtobufCBinaryData k = BIN(key);
	Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.start_version = start;
	req.commit_version = cts;
	req.keys = &k;
	req.n_keys = 1;
	Kvrpcpb__CommitResponse r = KVRPCPB__COMMIT_RESPONSE__INIT;
	CHECK_OK(kv_store_commit(g_s, &req, &r, &e_));
	cr_assert_null(r.error, "commit of %s failed", key);
	kv_store_response_clear(&r.base);
}

/* The lock of key as ScanLock lists it: 0 none, else its type; *n_sharers
 * = shared_lock_infos of a shared lock. */
static int
lock_of(const char *key, size_t *n_sharers)
{
	tctx t;
	Kvrpcpb__ScanLockRequest req = KVRPCPB__SCAN_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.max_version = UINT64_MAX;
	req.start_key = BIN(key);
	Kvrpcpb__ScanLockResponse r = KVRPCPB__SCAN_LOCK_RESPONSE__INIT;
	CHECK_OK(kv_store_scan_lock(g_s, &req, &r, &e_));
	int type = -1;
	for (size_t i = 0; i < r.n_locks; i++)
		if (r.locks[i]->key.len == strlen(key) && !memcmp(r.locks[i]->key.data, key, strlen(key))) {
			type = (int) r.locks[i]->lock_type;
			if (n_sharers)
				*n_sharers = r.locks[i]->n_shared_lock_infos;
		}
	kv_store_response_clear(&r.base);
	return type;
}

static void
rollback(const char *key, uint64_t start)
{
	tctx t;
	ProtobufCBinaryData k = BIN(key);
	Kvrpcpb__BatchRollbackRequest req = KVRPCPB__BATCH_ROLLBACK_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.start_version = start;
	req.keys = &k;
	req.n_keys = 1;
	Kvrpcpb__BatchRollbackResponse r = KVRPCPB__BATCH_ROLLBACK_RESPONSE__INIT;
	CHECK_OK(kv_store_batch_rollback(g_s, &req, &r, &e_));
	cr_assert_null(r.error);
	kv_store_response_clear(&r.base);
}

static void
resolve(const char *key, uint64_t start, uint64_t cts)
{
	tctx t;
	ProtobufCBinaryData k = { 0, NULL };
	if (key)
		k = BIN(key);
	Kvrpcpb__ResolveLockRequest req = KVRPCPB__RESOLVE_LOCK_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.start_version = start;
	req.commit_version = cts;
	if (key) {
		req.keys = &k;
		req.n_keys = 1;
	}
	Kvrpcpb__ResolveLockResponse r = KVRPCPB__RESOLVE_LOCK_RESPONSE__INIT;
	CHECK_OK(kv_store_resolve_lock(g_s, &req, &r, &e_));
	cr_assert_null(r.error);
	kv_store_response_clear(&r.base);
}

static void
expect_value(const char *key, const char *want)
{
	tctx t;
	Kvrpcpb__GetRequest req = KVRPCPB__GET_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.key = BIN(key);
	req.version = tso();
	Kvrpcpb__GetResponse r = KVRPCPB__GET_RESPONSE__INIT;
	CHECK_OK(kv_store_get(g_s, &req, &r, &e_));
	cr_assert_null(r.error, "a read of %s is never blocked by a shared lock", key);
	if (want)
		cr_assert(r.value.len == strlen(want) && !memcmp(r.value.data, want, strlen(want)));
	else
		cr_assert(r.not_found);
	kv_store_response_clear(&r.base);
}

static void
put(const char *key, const char *val)
{
	uint64_t s = tso();
	tctx t;
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT, *mp = &m;
	m.op = KVRPCPB__OP__Put;
	m.key = BIN(key);
	m.value = BIN(val);
	Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
	req.context = ctx_for(&t);
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = BIN(key);
	req.start_version = s;
	req.lock_ttl = 3000;
	req.try_one_pc = true;
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	CHECK_OK(kv_store_prewrite(g_s, &req, &r, &e_));
	cr_assert_eq(r.n_errors, 0);
	cr_assert_gt(r.one_pc_commit_ts, 0);
	kv_store_response_clear(&r.base);
}

/* ---- the record ------------------------------------------------------------------- */

Test(kv_shared, record_encode_decode)
{
	cm_arena *a = cm_arena_create(0);
	kve_lock cont, sub1 = { .type = 'S', .primary = { (const uint8_t *) "p1", 2 },
							.start_ts = 100, .ttl = 20000, .for_update_ts = 110,
							.min_commit_ts = 111 };
	kve_lock sub2 = { .type = 'L', .primary = { (const uint8_t *) "p2", 2 },
					  .start_ts = 90, .ttl = 3000, .for_update_ts = 95, .txn_size = 3 };
	kve_shared_init(&cont);
	kve_shared_put(a, &cont, &sub1);
	kve_shared_put(a, &cont, &sub2);
	size_t n;
	uint8_t *b = kve_lock_encode(a, &cont, &n);
	cr_assert_eq(b[0], 'H');
	/* empty primary, start_ts = the smallest prewritten sharer's */
	cr_assert_eq(b[1], 0);
	kve_lock d;
	cr_assert(kve_lock_decode(a, b, n, &d));
	cr_assert_eq(d.type, 'H');
	cr_assert_eq(d.start_ts, 90);
	cr_assert_eq(d.for_update_ts, 110);
	cr_assert_eq(d.n_shared, 2);
	kve_lock *m1 = kve_lock_mine(&d, 100), *m2 = kve_lock_mine(&d, 90);
	cr_assert(m1 && m2);
	cr_assert_eq(m1->type, 'S');
	cr_assert(m1->primary.n == 2 && !memcmp(m1->primary.p, "p1", 2));
	cr_assert_eq(m1->ttl, 20000);
	cr_assert_eq(m1->for_update_ts, 110);
	cr_assert_eq(m1->min_commit_ts, 111);
	cr_assert_eq(m2->type, 'L');
	cr_assert_eq(m2->txn_size, 3);
	cr_assert_null(kve_lock_mine(&d, 95));
	cr_assert_not(kve_lock_sole_holder(&d, 100));
	cr_assert_eq(kve_lock_min_start(&d), 90);
	/* the 'h' field is the last: var count + compact-bytes sub-records */
	size_t s1n = 0;
	uint8_t *s1 = kve_lock_encode(a, &sub1, &s1n);
	bool found = false;
	for (size_t i = 0; i + s1n <= n && !found; i++)
		found = memcmp(b + i, s1, s1n) == 0;
	cr_assert(found, "a sub-lock is its own whole record");
	/* removing the sharers */
	kve_shared_remove(&d, 100);
	cr_assert(kve_lock_sole_holder(&d, 90));
	kve_shared_remove(&d, 90);
	cr_assert_eq(d.n_shared, 0);
	/* malformed: a truncated container, a nested container */
	cr_assert_not(kve_lock_decode(a, b, n - 1, &d));
	kve_lock nested;
	kve_shared_init(&nested);
	kve_shared_put(a, &nested, &cont);
	b = kve_lock_encode(a, &nested, &n);
	cr_assert_not(kve_lock_decode(a, b, n, &d));
	cm_arena_destroy(a);
}

/* ---- commands ------------------------------------------------------------------------- */

Test(kv_shared, sharers_exclusive_and_upgrade)
{
	put("k", "v0");
	uint64_t t1 = tso(), t2 = tso(), t3 = tso(), f = tso();
	size_t ns = 0;
	cr_assert_eq(plock("k", "k", t1, f, true, 20000, NULL), OK);
	cr_assert_eq(plock("k", "k2", t2, f, true, 20000, NULL), OK, "sharers are compatible");
	cr_assert_eq(plock("k", "k", t1, f, true, 20000, NULL), OK, "re-locking is idempotent");
	cr_assert_eq(lock_of("k", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 2);
	expect_value("k", "v0");
	/* an exclusive request meets both sharers */
	cr_assert_eq(plock("k", "k3", t3, f, false, 20000, &ns), LOCKED);
	cr_assert_eq(ns, 2, "the LockInfo lists the sharers");
	/* an upgrade waits for the other sharer */
	cr_assert_eq(plock("k", "k", t1, f, false, 20000, &ns), LOCKED);
	/* t2 rolls back its pessimistic lock: t1 is the only sharer, and upgrades */
	tctx t;
	ProtobufCBinaryData k = BIN("k");
	Kvrpcpb__PessimisticRollbackRequest pr = KVRPCPB__PESSIMISTIC_ROLLBACK_REQUEST__INIT;
	pr.context = ctx_for(&t);
	pr.start_version = t2;
	pr.for_update_ts = UINT64_MAX;
	pr.keys = &k;
	pr.n_keys = 1;
	Kvrpcpb__PessimisticRollbackResponse prr = KVRPCPB__PESSIMISTIC_ROLLBACK_RESPONSE__INIT;
	CHECK_OK(kv_store_pessimistic_rollback(g_s, &pr, &prr, &e_));
	kv_store_response_clear(&prr.base);
	cr_assert_eq(lock_of("k", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1);
	cr_assert_eq(plock("k", "k", t1, tso(), false, 20000, NULL), OK);
	cr_assert_eq(lock_of("k", NULL), KVRPCPB__OP__PessimisticLock, "upgraded to exclusive");
	/* a shared request of another txn now waits; t1's own is satisfied */
	cr_assert_eq(plock("k", "k3", t3, tso(), true, 20000, NULL), LOCKED);
	cr_assert_eq(plock("k", "k", t1, tso(), true, 20000, NULL), OK);
	cr_assert_eq(lock_of("k", NULL), KVRPCPB__OP__PessimisticLock);
}

Test(kv_shared, commit_leaves_lock_record_and_rollback)
{
	put("c", "v0");
	uint64_t t1 = tso(), t2 = tso(), f = tso();
	cr_assert_eq(plock("c", "c", t1, f, true, 20000, NULL), OK);
	cr_assert_eq(plock("c", "c", t2, f, true, 20000, NULL), OK);
	/* t1 prewrites and commits its shared lock (primary: this key) */
	cr_assert_eq(prewrite("c", "c", KVRPCPB__OP__SharedLock, t1, f, false, NULL), 0);
	cr_assert_eq(prewrite("c", "c", KVRPCPB__OP__SharedLock, t1, f, false, NULL), 0,
				 "a retried prewrite is idempotent");
	size_t ns = 0;
	cr_assert_eq(lock_of("c", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 2);
	/* a Put prewrite of another txn meets the shared lock */
	uint64_t t3 = tso();
	cr_assert_eq(prewrite("c", "c", KVRPCPB__OP__Put, t3, 0, false, NULL), 1);
	uint64_t c1 = tso();
	commit("c", t1, c1);
	cr_assert_eq(lock_of("c", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1, "t2 still shares the key");
	/* t2 rolls back: the lock is gone */
	rollback("c", t2);
	cr_assert_eq(lock_of("c", NULL), -1);
	expect_value("c", "v0");
	/* the committed shared lock is a Lock record: an exclusive lock at an
	 * older for_update_ts is a write conflict, a newer one is not */
	uint64_t t4 = tso();
	cr_assert_eq(plock("c", "c", t4, f, false, 20000, NULL), CONFLICT);
	cr_assert_eq(plock("c", "c", t4, tso(), false, 20000, NULL), OK);
	/* t2's rollback left a rollback record: its late prewrite fails */
	cr_assert_eq(prewrite("c", "c", KVRPCPB__OP__SharedLock, t2, f, false, NULL), 1);
}

Test(kv_shared, one_pc_and_optimistic)
{
	put("o", "v0");
	uint64_t t1 = tso(), t2 = tso(), f = tso();
	cr_assert_eq(plock("o", "o", t1, f, true, 20000, NULL), OK);
	cr_assert_eq(plock("o", "o", t2, f, true, 20000, NULL), OK);
	uint64_t c = 0;
	cr_assert_eq(prewrite("o", "o", KVRPCPB__OP__SharedLock, t1, f, true, &c), 0);
	cr_assert_gt(c, f, "1PC committed t1's shared lock");
	size_t ns = 0;
	cr_assert_eq(lock_of("o", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1, "only t1's part went");
	/* an optimistic shared lock of a third txn joins t2 */
	uint64_t t3 = tso();
	cr_assert_eq(prewrite("o", "o", KVRPCPB__OP__SharedLock, t3, 0, false, NULL), 0);
	cr_assert_eq(lock_of("o", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 2);
	/* a pessimistic-check prewrite without the lock fails */
	uint64_t t5 = tso();
	cr_assert_eq(prewrite("o", "o", KVRPCPB__OP__SharedLock, t5, tso(), false, NULL), 1);
}

Test(kv_shared, resolve_and_check_txn_status)
{
	uint64_t t1 = tso(), t2 = tso(), f = tso();
	/* t1's primary is this shared key, with a short TTL */
	cr_assert_eq(plock("r", "r", t1, f, true, 100, NULL), OK);
	cr_assert_eq(plock("r", "other", t2, f, true, 20000, NULL), OK);
	/* heart-beat and CheckTxnStatus find t1's sub-lock */
	tctx t;
	Kvrpcpb__TxnHeartBeatRequest hb = KVRPCPB__TXN_HEART_BEAT_REQUEST__INIT;
	hb.context = ctx_for(&t);
	hb.primary_lock = BIN("r");
	hb.start_version = t1;
	hb.advise_lock_ttl = 200;
	Kvrpcpb__TxnHeartBeatResponse hr = KVRPCPB__TXN_HEART_BEAT_RESPONSE__INIT;
	CHECK_OK(kv_store_txn_heart_beat(g_s, &hb, &hr, &e_));
	cr_assert_null(hr.error);
	cr_assert_eq(hr.lock_ttl, 200);
	kv_store_response_clear(&hr.base);
	Kvrpcpb__CheckTxnStatusRequest cs = KVRPCPB__CHECK_TXN_STATUS_REQUEST__INIT;
	cs.context = ctx_for(&t);
	cs.primary_key = BIN("r");
	cs.lock_ts = t1;
	cs.current_ts = tso();
	cs.resolving_pessimistic_lock = true;
	cs.verify_is_primary = true;
	Kvrpcpb__CheckTxnStatusResponse cr = KVRPCPB__CHECK_TXN_STATUS_RESPONSE__INIT;
	CHECK_OK(kv_store_check_txn_status(g_s, &cs, &cr, &e_));
	cr_assert_null(cr.error);
	cr_assert_eq(cr.lock_ttl, 200, "alive");
	kv_store_response_clear(&cr.base);
	/* expired: only t1's part is dropped */
	cs.current_ts = kv_ts_compose(kv_ts_physical(t1) + 10000, 0);
	CHECK_OK(kv_store_check_txn_status(g_s, &cs, &cr, &e_));
	cr_assert_eq(cr.action, KVRPCPB__ACTION__TTLExpirePessimisticRollback);
	kv_store_response_clear(&cr.base);
	size_t ns = 0;
	cr_assert_eq(lock_of("r", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1);

	/* ResolveLock: a listed key (t2 rolled back), then the whole region (t3
	 * committed) */
	uint64_t t3 = tso(), f3 = tso();
	cr_assert_eq(plock("r", "r", t3, f3, true, 20000, NULL), OK);
	cr_assert_eq(prewrite("r", "r", KVRPCPB__OP__SharedLock, t3, f3, false, NULL), 0);
	resolve("r", t2, 0);
	cr_assert_eq(lock_of("r", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1, "t2's part was rolled back, t3's stays");
	uint64_t c3 = tso();
	resolve(NULL, t3, c3);
	cr_assert_eq(lock_of("r", NULL), -1);
	cr_assert_eq(plock("r", "r", tso(), f3, false, 20000, NULL), CONFLICT,
				 "t3 committed a Lock record after f3");
	/* CheckSecondaryLocks: a never-prewritten shared part is rolled back */
	uint64_t t4 = tso(), t5 = tso();
	cr_assert_eq(plock("s2", "p4", t4, tso(), true, 20000, NULL), OK);
	cr_assert_eq(plock("s2", "p5", t5, tso(), true, 20000, NULL), OK);
	ProtobufCBinaryData k2 = BIN("s2");
	Kvrpcpb__CheckSecondaryLocksRequest sl = KVRPCPB__CHECK_SECONDARY_LOCKS_REQUEST__INIT;
	sl.context = ctx_for(&t);
	sl.keys = &k2;
	sl.n_keys = 1;
	sl.start_version = t4;
	Kvrpcpb__CheckSecondaryLocksResponse slr = KVRPCPB__CHECK_SECONDARY_LOCKS_RESPONSE__INIT;
	CHECK_OK(kv_store_check_secondary_locks(g_s, &sl, &slr, &e_));
	cr_assert_eq(slr.n_locks, 0);
	cr_assert_eq(slr.commit_ts, 0);
	kv_store_response_clear(&slr.base);
	cr_assert_eq(lock_of("s2", &ns), KVRPCPB__OP__SharedLock);
	cr_assert_eq(ns, 1);
}
