/*
 * test_kv_gc.c -- MVCC garbage collection of the embedded store
 * (kv/embedded/kve_gc.c).
 *
 * What must hold after GC at a safe point SP:
 *   - a reader at any ts >= SP sees exactly what it saw before (full scans
 *     compared at several timestamps);
 *   - older versions are gone (counted through kve_debug_count), rolled-back
 *     and Lock records below SP are gone, a key whose newest version <= SP
 *     is a Delete has no record left at all, long values go with their
 *     versions;
 *   - a registered reader or a lock pins the safe point below its start_ts,
 *     also for the background task driven by gc_life_time_ms;
 *   - writers and readers running during GC lose nothing.
 *
 * Each test opens a store in its own temporary directory under /tmp,
 * without WAL sync (durability is not what is tested here).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv/embedded/kve.h"
#include "kv/store.h"

/* ---- fixture ------------------------------------------------------------------ */

static char g_dir[64];
static kv_store *g_s;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static kv_store *
open_store(uint64_t gc_life_ms)
{
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.sync_wal = false;
	if (gc_life_ms)
		o.gc_life_time_ms = gc_life_ms;
	kv_store *s = NULL;
	cm_error err = { 0 };
	cm_status st = kv_store_open_embedded(&o, &s, &err);
	cr_assert_eq(st, CM_OK, "open: %s", err.message ? err.message : "?");
	return s;
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_kvgc_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_s = open_store(0);
}

static void
teardown(void)
{
	kv_store_close(g_s);
	g_s = NULL;
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kv_gc, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers (no Criterion asserts: also used from threads) -------------------------- */

#define BIN(str) ((ProtobufCBinaryData){ strlen(str), (uint8_t *) (str) })

static uint64_t
tso(void)
{
	uint64_t t = 0;
	cm_error err = { 0 };
	if (kv_store_get_ts(g_s, 1, &t, &err) != CM_OK)
		abort();
	return t;
}

typedef struct tctx {
	Kvrpcpb__Context ctx;
	Metapb__RegionEpoch ep;
} tctx;

static Kvrpcpb__Context *
ctx_for(tctx *t, const char *key)
{
	Metapb__Region *r;
	cm_error err = { 0 };
	if (kv_store_region_by_key(g_s, (const uint8_t *) key, strlen(key), &r, &err) != CM_OK)
		abort();
	kvrpcpb__context__init(&t->ctx);
	kv_context_for_region(&t->ctx, &t->ep, r);
	kv_region_free(r);
	return &t->ctx;
}

/* Prewrite one key (op Put / Del / Lock); true if it succeeded. */
static bool
try_prewrite(uint64_t start, Kvrpcpb__Op op, const char *k, const char *v)
{
	tctx t;
	Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT;
	Kvrpcpb__Mutation *mp = &m;
	m.op = op;
	m.key = BIN(k);
	if (v)
		m.value = BIN(v);
	req.context = ctx_for(&t, k);
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = BIN(k);
	req.start_version = start;
	req.lock_ttl = 3000;
	req.txn_size = 1;
	Kvrpcpb__PrewriteResponse r = KVRPCPB__PREWRITE_RESPONSE__INIT;
	cm_error err = { 0 };
	bool ok = kv_store_prewrite(g_s, &req, &r, &err) == CM_OK && !r.region_error &&
			  r.n_errors == 0;
	cm_error_clear(&err);
	kv_store_response_clear(&r.base);
	return ok;
}

static bool
try_commit(uint64_t start, uint64_t commit_ts, const char *k)
{
	tctx t;
	ProtobufCBinaryData kk = BIN(k);
	Kvrpcpb__CommitRequest req = KVRPCPB__COMMIT_REQUEST__INIT;
	req.context = ctx_for(&t, k);
	req.start_version = start;
	req.keys = &kk;
	req.n_keys = 1;
	req.commit_version = commit_ts;
	Kvrpcpb__CommitResponse r = KVRPCPB__COMMIT_RESPONSE__INIT;
	cm_error err = { 0 };
	bool ok = kv_store_commit(g_s, &req, &r, &err) == CM_OK && !r.region_error && !r.error;
	cm_error_clear(&err);
	kv_store_response_clear(&r.base);
	return ok;
}

static bool
try_rollback(uint64_t start, const char *k)
{
	tctx t;
	ProtobufCBinaryData kk = BIN(k);
	Kvrpcpb__BatchRollbackRequest req = KVRPCPB__BATCH_ROLLBACK_REQUEST__INIT;
	req.context = ctx_for(&t, k);
	req.start_version = start;
	req.keys = &kk;
	req.n_keys = 1;
	Kvrpcpb__BatchRollbackResponse r = KVRPCPB__BATCH_ROLLBACK_RESPONSE__INIT;
	cm_error err = { 0 };
	bool ok =
		kv_store_batch_rollback(g_s, &req, &r, &err) == CM_OK && !r.region_error && !r.error;
	cm_error_clear(&err);
	kv_store_response_clear(&r.base);
	return ok;
}

/* 2PC write of one key (v NULL: delete; op Lock with lock = true); 0 on failure,
 * else the commit ts. */
static uint64_t
try_write(const char *k, const char *v, bool lock)
{
	uint64_t start = tso();
	Kvrpcpb__Op op = lock ? KVRPCPB__OP__Lock : v ? KVRPCPB__OP__Put : KVRPCPB__OP__Del;
	if (!try_prewrite(start, op, k, v))
		return 0;
	uint64_t c = tso();
	return try_commit(start, c, k) ? c : 0;
}

static uint64_t
put(const char *k, const char *v)
{
	uint64_t c = try_write(k, v, false);
	cr_assert_neq(c, 0, "write of %s failed", k);
	return c;
}

static void
rollback_write(const char *k, const char *v)
{
	uint64_t start = tso();
	cr_assert(try_prewrite(start, KVRPCPB__OP__Put, k, v));
	cr_assert(try_rollback(start, k));
}

/* Value of k at ts into buf (NUL-terminated); 1 found, 0 not found, -2 locked,
 * -1 other. */
static int
try_get(const char *k, uint64_t ts, char *buf, size_t bufn)
{
	tctx t;
	Kvrpcpb__GetRequest req = KVRPCPB__GET_REQUEST__INIT;
	req.context = ctx_for(&t, k);
	req.key = BIN(k);
	req.version = ts;
	Kvrpcpb__GetResponse r = KVRPCPB__GET_RESPONSE__INIT;
	cm_error err = { 0 };
	int res = -1;
	if (kv_store_get(g_s, &req, &r, &err) != CM_OK || r.region_error)
		res = -1;
	else if (r.error)
		res = r.error->locked ? -2 : -1;
	else if (r.not_found)
		res = 0;
	else if (r.value.len < bufn) {
		memcpy(buf, r.value.data, r.value.len);
		buf[r.value.len] = 0;
		res = 1;
	}
	cm_error_clear(&err);
	kv_store_response_clear(&r.base);
	return res;
}

static void
expect_value(const char *k, uint64_t ts, const char *want)
{
	char buf[4096];
	int r = try_get(k, ts, buf, sizeof buf);
	if (!want) {
		cr_assert_eq(r, 0, "%s@%llu: expected not found, got %d", k, (unsigned long long) ts, r);
		return;
	}
	cr_assert_eq(r, 1, "%s@%llu: expected a value, got %d", k, (unsigned long long) ts, r);
	cr_assert_str_eq(buf, want);
}

/* Full scan at ts as one malloc'd string "key=value\n..." (caller frees). */
static char *
scan_all(uint64_t ts)
{
	tctx t;
	Kvrpcpb__ScanRequest req = KVRPCPB__SCAN_REQUEST__INIT;
	req.context = ctx_for(&t, "");
	req.version = ts;
	req.limit = 1000000;
	Kvrpcpb__ScanResponse r = KVRPCPB__SCAN_RESPONSE__INIT;
	cm_error err = { 0 };
	cr_assert_eq(kv_store_scan(g_s, &req, &r, &err), CM_OK, "scan: %s",
				 err.message ? err.message : "?");
	cr_assert_null(r.region_error);
	cr_assert_null(r.error);
	char *out = NULL;
	size_t outn = 0;
	FILE *f = open_memstream(&out, &outn);
	for (size_t i = 0; i < r.n_pairs; i++) {
		cr_assert_null(r.pairs[i]->error, "scan met a lock");
		fprintf(f, "%.*s=%.*s\n", (int) r.pairs[i]->key.len, (const char *) r.pairs[i]->key.data,
				(int) r.pairs[i]->value.len, (const char *) r.pairs[i]->value.data);
	}
	fclose(f);
	kv_store_response_clear(&r.base);
	return out;
}

static kve_debug_counts
counts(const char *key)
{
	kve_debug_counts c;
	cm_error err = { 0 };
	cr_assert_eq(kve_debug_count(g_s, (const uint8_t *) key, key ? strlen(key) : 0, &c, &err),
				 CM_OK);
	return c;
}

static kve_stats
stats(void)
{
	kve_stats st;
	kve_get_stats(g_s, &st);
	return st;
}

static uint64_t
gc(uint64_t safe_point)
{
	uint64_t used = 0;
	cm_error err = { 0 };
	cr_assert_eq(kve_gc_run_once(g_s, safe_point, &used, &err), CM_OK, "gc: %s",
				 err.message ? err.message : "?");
	return used;
}

/* A value of n bytes derived from (key, round): long values (> 255) live in
 * the default CF. */
static void
make_value(char *buf, size_t n, int key, int round)
{
	snprintf(buf, n, "k%d-r%d-", key, round);
	size_t l = strlen(buf);
	while (l < n - 1) {
		buf[l] = (char) ('a' + (l + (size_t) round) % 26);
		l++;
	}
	buf[n - 1] = 0;
}

static void
key_name(char *buf, size_t n, int i)
{
	snprintf(buf, n, "key%04d", i);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- drop old versions, keep every snapshot at or above the safe point ------------- */

#define NKEYS 40
#define NROUNDS 12

Test(kv_gc, overwrites_and_deletes_keep_snapshots)
{
	char k[32], v[600];
	uint64_t marks[NROUNDS];
	/* round r: every key is written (short or long value), every 3rd one
	 * deleted in some rounds, some rollbacks and Lock records sprinkled in */
	for (int r = 0; r < NROUNDS; r++) {
		for (int i = 0; i < NKEYS; i++) {
			key_name(k, sizeof k, i);
			if ((i + r) % 3 == 0 && r % 2 == 1) {
				put(k, NULL);
				continue;
			}
			make_value(v, (i % 4 == 0) ? 500 : 20, i, r);
			put(k, v);
			if (i % 7 == r % 7)
				rollback_write(k, "rolled-back");
			if (i % 5 == r % 5)
				cr_assert_neq(try_write(k, NULL, true), 0);
		}
		marks[r] = tso();
	}
	/* keys deleted for good in the middle of the history */
	for (int i = 0; i < 5; i++) {
		key_name(k, sizeof k, 1000 + i);
		put(k, "short-lived");
		put(k, NULL);
	}
	uint64_t after_dead = tso();
	put("key0000", "final");
	uint64_t last = tso();

	char *before[NROUNDS + 2];
	for (int r = 0; r < NROUNDS; r++)
		before[r] = scan_all(marks[r]);
	before[NROUNDS] = scan_all(after_dead);
	before[NROUNDS + 1] = scan_all(last);
	kve_debug_counts c0 = counts(NULL);
	cr_assert_gt(c0.rollbacks, 0);
	cr_assert_gt(c0.lock_records, 0);
	cr_assert_gt(c0.values, 0);

	/* GC at the middle of the history */
	int mid = NROUNDS / 2;
	uint64_t sp = marks[mid];
	cr_assert_eq(gc(sp), sp);
	kve_debug_counts c1 = counts(NULL);
	kve_stats st = stats();
	cr_assert_lt(c1.write_records, c0.write_records);
	cr_assert_lt(c1.values, c0.values);
	cr_assert_eq(st.gc_versions_dropped, c0.write_records - c1.write_records);
	cr_assert_eq(st.gc_values_dropped, c0.values - c1.values);
	cr_assert_eq(st.gc_last_safe_point, sp);
	cr_assert_eq(st.gc_safe_point, sp);
	cr_assert_eq(st.gc_runs, 1);
	cr_assert_geq(st.gc_keys_scanned, NKEYS);
	for (int r = mid; r < NROUNDS; r++) {
		char *now = scan_all(marks[r]);
		cr_assert_str_eq(now, before[r], "snapshot at round %d changed", r);
		free(now);
	}
	for (int r = NROUNDS; r < NROUNDS + 2; r++) {
		char *now = scan_all(r == NROUNDS ? after_dead : last);
		cr_assert_str_eq(now, before[r]);
		free(now);
	}
	/* per key: the rounds after sp wrote at most 3 records each (write,
	 * rollback, lock); at most one record at or below sp is left */
	for (int i = 0; i < NKEYS; i++) {
		key_name(k, sizeof k, i);
		kve_debug_counts kc = counts(k);
		cr_assert_leq(kc.write_records, (uint64_t) (3 * (NROUNDS - 1 - mid) + 1 + (i == 0)));
	}

	/* a second pass at the same safe point finds nothing to do */
	cr_assert_eq(gc(sp), sp);
	kve_debug_counts c2 = counts(NULL);
	cr_assert_eq(c2.write_records, c1.write_records);

	/* GC at "now": one Put per live key, nothing for deleted keys */
	uint64_t sp2 = gc(UINT64_MAX);
	cr_assert_gt(sp2, last);
	kve_debug_counts c3 = counts(NULL);
	size_t live = 0, live_long = 0;
	char *snap = scan_all(last);
	for (char *p = snap; *p; p = strchr(p, '\n') + 1) {
		live++;
		char *eq = strchr(p, '='), *nl = strchr(p, '\n');
		if (nl - eq - 1 > 255)
			live_long++;
	}
	cr_assert_eq(c3.keys, live);
	cr_assert_eq(c3.write_records, live);
	cr_assert_eq(c3.puts, live);
	cr_assert_eq(c3.deletes + c3.rollbacks + c3.lock_records, 0);
	cr_assert_eq(c3.values, live_long);
	for (int i = 0; i < 5; i++) {
		key_name(k, sizeof k, 1000 + i);
		kve_debug_counts kc = counts(k);
		cr_assert_eq(kc.write_records + kc.values, 0, "%s still has records", k);
	}
	char *now = scan_all(last);
	cr_assert_str_eq(now, before[NROUNDS + 1]);
	free(now);
	free(snap);
	for (int r = 0; r < NROUNDS + 2; r++)
		free(before[r]);
}

Test(kv_gc, newest_delete_removes_key_entirely)
{
	char big[400];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = 0;
	put("gone", "v1");
	put("gone", big);
	put("gone", "v3");
	put("gone", NULL);
	put("kept", "x");
	uint64_t c = put("kept", NULL);
	put("kept", big); /* newest version is a Put again */
	uint64_t mid = tso();
	put("late", "1");
	uint64_t late_del = put("late", NULL); /* delete above the safe point */

	cr_assert_eq(counts("gone").write_records, 4);
	cr_assert_eq(counts("gone").values, 1);
	cr_assert_eq(gc(mid), mid);

	kve_debug_counts g = counts("gone");
	cr_assert_eq(g.write_records + g.values + g.locks, 0);
	kve_debug_counts k = counts("kept");
	cr_assert_eq(k.write_records, 1);
	cr_assert_eq(k.puts, 1);
	cr_assert_eq(k.values, 1);
	expect_value("kept", mid, big);
	expect_value("kept", c - 1, NULL); /* below the safe point: history is gone */
	/* versions above the safe point are untouched, deletes included */
	kve_debug_counts l = counts("late");
	cr_assert_eq(l.write_records, 2);
	expect_value("late", late_del - 1, "1");
	expect_value("late", late_del, NULL);
	expect_value("gone", mid, NULL);
}

Test(kv_gc, rolled_back_and_lock_records_disappear)
{
	put("r", "committed");
	rollback_write("r", "no");
	rollback_write("r", "no again");
	char big[300];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = 0;
	rollback_write("r", big); /* its long value is removed by the rollback */
	cr_assert_neq(try_write("r", NULL, true), 0);
	rollback_write("only-rollbacks", "x");
	kve_debug_counts c = counts("r");
	cr_assert_eq(c.rollbacks, 3);
	cr_assert_eq(c.lock_records, 1);
	cr_assert_eq(c.values, 0);
	cr_assert_eq(counts("only-rollbacks").rollbacks, 1);

	uint64_t sp = gc(UINT64_MAX);
	cr_assert_neq(sp, 0);
	c = counts("r");
	cr_assert_eq(c.rollbacks, 0);
	cr_assert_eq(c.lock_records, 0);
	cr_assert_eq(c.write_records, 1);
	expect_value("r", tso(), "committed");
	cr_assert_eq(counts("only-rollbacks").write_records, 0);

	/* rollbacks above the safe point stay */
	uint64_t sp2 = tso();
	rollback_write("r", "after");
	cr_assert_eq(gc(sp2), sp2);
	cr_assert_eq(counts("r").rollbacks, 1);
}

/* ---- what pins the safe point ---------------------------------------------------------- */

Test(kv_gc, registered_reader_pins_its_snapshot)
{
	cm_error err = { 0 };
	put("a", "a1");
	put("b", "b1");
	uint64_t reader = tso();
	cr_assert_eq(kve_register_reader(g_s, reader, &err), CM_OK);
	cr_assert_eq(kve_register_reader(g_s, reader, &err), CM_OK); /* multiset */
	char *snap = scan_all(reader);
	put("a", "a2");
	put("b", NULL);
	put("c", "c1");
	put("a", "a3");

	cr_assert_eq(gc(UINT64_MAX), reader - 1);
	char *now = scan_all(reader);
	cr_assert_str_eq(now, snap);
	free(now);
	cr_assert_eq(stats().gc_readers, 2);

	kve_unregister_reader(g_s, reader);
	cr_assert_eq(gc(UINT64_MAX), reader - 1); /* still registered once */
	now = scan_all(reader);
	cr_assert_str_eq(now, snap);
	free(now);

	kve_unregister_reader(g_s, reader);
	kve_unregister_reader(g_s, reader); /* not registered: no-op */
	cr_assert_eq(stats().gc_readers, 0);
	uint64_t sp = gc(UINT64_MAX);
	cr_assert_gt(sp, reader);
	cr_assert_eq(counts("a").write_records, 1);
	cr_assert_eq(counts("b").write_records, 0);
	expect_value("a", sp, "a3");

	/* a transaction that starts at or below a used safe point is refused */
	cr_assert_eq(kve_register_reader(g_s, reader, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "40001");
	cm_error_clear(&err);
	cr_assert_eq(kve_register_reader(g_s, sp, &err), CM_ERROR);
	cm_error_clear(&err);
	uint64_t fresh = tso();
	cr_assert_eq(kve_register_reader(g_s, fresh, &err), CM_OK);
	kve_unregister_reader(g_s, fresh);
	free(snap);
}

Test(kv_gc, oldest_lock_pins_the_safe_point)
{
	put("x", "x1");
	uint64_t s = tso();
	cr_assert(try_prewrite(s, KVRPCPB__OP__Put, "y", "pending"));
	put("x", "x2");
	put("x", "x3");
	cr_assert_eq(gc(UINT64_MAX), s - 1);
	expect_value("x", s, "x1");
	cr_assert(try_commit(s, tso(), "y"));
	uint64_t sp = gc(UINT64_MAX);
	cr_assert_gt(sp, s);
	cr_assert_eq(counts("x").write_records, 1);
	expect_value("y", sp, "pending");
}

Test(kv_gc, background_task_honours_life_time_and_readers)
{
	/* a fresh directory: a reopened store's TSO runs up to 3 s ahead of the
	 * clock, which would hold the life-time safe point back */
	teardown();
	strcpy(g_dir, "/tmp/pgkv_kvgc_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_s = open_store(300); /* 300 ms of history */
	cm_error err = { 0 };
	put("k", "v1");
	uint64_t reader = tso();
	cr_assert_eq(kve_register_reader(g_s, reader, &err), CM_OK);
	for (int i = 2; i <= 20; i++) {
		char v[16];
		snprintf(v, sizeof v, "v%d", i);
		put("k", v);
	}
	uint64_t recent = tso();
	kve_gc_set_interval(g_s, 20);
	sleep_ms(400);
	kve_stats st = stats();
	cr_assert_gt(st.gc_runs, 0);
	cr_assert_lt(st.gc_last_safe_point, reader, "the reader's snapshot must stay");
	expect_value("k", reader, "v1");
	expect_value("k", recent, "v20");
	cr_assert_eq(counts("k").write_records, 20);

	/* without the reader, versions older than the life time go */
	kve_unregister_reader(g_s, reader);
	sleep_ms(500);
	st = stats();
	cr_assert_gt(st.gc_last_safe_point, recent);
	cr_assert_eq(counts("k").write_records, 1);
	expect_value("k", tso(), "v20");

	/* and versions younger than the life time stay */
	uint64_t young = put("k", "v21");
	put("k", "v22");
	sleep_ms(60);
	cr_assert_lt(stats().gc_last_safe_point, young);
	cr_assert_eq(counts("k").write_records, 3);
	kve_gc_set_interval(g_s, 0);
}

/* ---- batching ------------------------------------------------------------------------------- */

Test(kv_gc, hot_key_spans_batches_then_delete_removes_it)
{
	char v[32];
	uint64_t c = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(v, sizeof v, "v%d", i);
		c = put("hot", v);
		if (i % 1000 == 0)
			put("cold", v);
	}
	cr_assert_eq(counts("hot").write_records, 5000);
	uint64_t sp = gc(c);
	cr_assert_eq(sp, c);
	cr_assert_eq(counts("hot").write_records, 1);
	cr_assert_eq(counts("cold").write_records, 1);
	expect_value("hot", sp, "v4999");
	expect_value("cold", sp, "v4000");
	kve_stats st = stats();
	cr_assert_eq(st.gc_versions_dropped, 4999 + 4);
	cr_assert_eq(st.gc_compactions, 1);

	for (int i = 0; i < 5000; i++) {
		snprintf(v, sizeof v, "w%d", i);
		put("hot", v);
	}
	put("hot", NULL);
	gc(UINT64_MAX);
	cr_assert_eq(counts("hot").write_records, 0);
	expect_value("hot", tso(), NULL);
	expect_value("cold", tso(), "v4000");
}

/* ---- concurrency --------------------------------------------------------------------------- */

#define NWRITERS 4
#define WRITER_KEYS 8
#define WRITER_TXNS 600

typedef struct writer_arg {
	int id;
	int last[WRITER_KEYS];		/* last committed counter per key (-1: deleted) */
	int failures;
} writer_arg;

static atomic_bool g_stop;

/* Each writer owns its keys: each transaction registers its start_ts as the
 * transaction client does, and overwrites or deletes one key. */
static void *
writer_main(void *p)
{
	writer_arg *w = p;
	for (int i = 0; i < WRITER_KEYS; i++)
		w->last[i] = -2; /* never written */
	for (int n = 0; n < WRITER_TXNS; n++) {
		int key = n % WRITER_KEYS;
		char k[32], v[320];
		snprintf(k, sizeof k, "w%d-%d", w->id, key);
		bool del = n % 5 == 4;
		make_value(v, n % 2 ? 300 : 16, w->id * 1000 + key, n);
		uint64_t start = tso();
		cm_error err = { 0 };
		if (kve_register_reader(g_s, start, &err) != CM_OK) {
			cm_error_clear(&err); /* GC passed our start_ts: retry */
			n--;
			continue;
		}
		bool ok = try_prewrite(start, del ? KVRPCPB__OP__Del : KVRPCPB__OP__Put, k,
							   del ? NULL : v) &&
				  try_commit(start, tso(), k);
		kve_unregister_reader(g_s, start);
		if (!ok) {
			w->failures++;
			continue;
		}
		w->last[key] = del ? -1 : n;
	}
	return NULL;
}

typedef struct reader_arg {
	int mismatches;
	int rounds;
} reader_arg;

/* A registered reader's snapshot must not change while GC runs. */
static void *
reader_main(void *p)
{
	reader_arg *r = p;
	while (!atomic_load(&g_stop)) {
		uint64_t ts = tso();
		cm_error err = { 0 };
		if (kve_register_reader(g_s, ts, &err) != CM_OK) {
			cm_error_clear(&err);
			continue;
		}
		char a[400], b[400];
		for (int i = 0; i < NWRITERS * WRITER_KEYS; i++) {
			char k[32];
			snprintf(k, sizeof k, "w%d-%d", i / WRITER_KEYS, i % WRITER_KEYS);
			int x = try_get(k, ts, a, sizeof a);
			sleep_ms(1);
			int y = try_get(k, ts, b, sizeof b);
			if (x == -2 || y == -2)
				continue; /* a writer's lock at or below ts: nothing to compare */
			if (x < 0 || x != y || (x == 1 && strcmp(a, b) != 0))
				r->mismatches++;
		}
		kve_unregister_reader(g_s, ts);
		r->rounds++;
	}
	return NULL;
}

Test(kv_gc, concurrent_writers_and_readers_lose_nothing)
{
	pthread_t wt[NWRITERS], rt;
	writer_arg wa[NWRITERS];
	reader_arg ra = { 0 };
	atomic_store(&g_stop, false);
	memset(wa, 0, sizeof wa);
	for (int i = 0; i < NWRITERS; i++) {
		wa[i].id = i;
		cr_assert_eq(pthread_create(&wt[i], NULL, writer_main, &wa[i]), 0);
	}
	cr_assert_eq(pthread_create(&rt, NULL, reader_main, &ra), 0);
	kve_gc_set_interval(g_s, 0);
	int passes = 0;
	bool joined[NWRITERS] = { false };
	for (int left = NWRITERS; left > 0; passes++) {
		gc(UINT64_MAX);
		for (int i = 0; i < NWRITERS; i++)
			if (!joined[i] && pthread_tryjoin_np(wt[i], NULL) == 0) {
				joined[i] = true;
				left--;
			}
	}
	atomic_store(&g_stop, true);
	pthread_join(rt, NULL);
	cr_assert_gt(passes, 1);
	cr_assert_gt(ra.rounds, 0);
	cr_assert_gt(stats().gc_versions_dropped, 0, "GC never overlapped the writers");
	cr_assert_eq(ra.mismatches, 0, "a reader's snapshot changed under GC");

	uint64_t now = tso();
	for (int i = 0; i < NWRITERS; i++) {
		cr_assert_eq(wa[i].failures, 0, "writer %d had failed transactions", i);
		for (int key = 0; key < WRITER_KEYS; key++) {
			char k[32], v[320];
			snprintf(k, sizeof k, "w%d-%d", i, key);
			if (wa[i].last[key] < 0) {
				expect_value(k, now, NULL);
				continue;
			}
			int n = wa[i].last[key];
			make_value(v, n % 2 ? 300 : 16, i * 1000 + key, n);
			expect_value(k, now, v);
		}
	}
	/* and a final pass leaves one version per live key */
	gc(UINT64_MAX);
	kve_debug_counts c = counts(NULL);
	cr_assert_eq(c.write_records, c.puts);
	cr_assert_eq(c.keys, c.puts);
	cr_assert_eq(c.locks, 0);
}
