/*
 * test_kv_readset.c -- SERIALIZABLE read validation in the transaction
 * client (kv/txn/kv_readset.c) against the embedded store: what is
 * recorded (point reads, scanned ranges up to where a scan stopped, own
 * writes not), write skew refused, phantoms into a scanned range refused,
 * unrelated commits and read-only transactions accepted, the fence lock
 * released by commit and rollback.
 *
 * Each test opens a store in its own temporary directory under /tmp.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv/embedded/kve.h"
#include "kv/store.h"
#include "kv/txn/kv_txn.h"

static char g_dir[64];
static kv_store *g_s;
static kv_client *g_c;
static cm_arena *g_a;
static const uint8_t g_fence[] = "m_fence";

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
	strcpy(g_dir, "/tmp/pgkv_kvrs_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.lock_wait_max_ms = 2000;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK);
	cr_assert_eq(kv_client_new(g_s, NULL, &g_c, &err), KV_OK);
	g_a = cm_arena_create(0);
}

static void
teardown(void)
{
	kv_client_free(g_c);
	kv_store_close(g_s);
	cm_arena_destroy(g_a);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kv_readset, .init = setup, .fini = teardown, .timeout = 60);

#define K(str) ((const uint8_t *) (str)), strlen(str)
#define BIN(str) ((ProtobufCBinaryData){strlen(str), (uint8_t *) (str)})

/* A pessimistic SI txn; validating = SERIALIZABLE. */
static kv_txn *
begin(bool validating)
{
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.mode = KV_TXN_PESSIMISTIC;
	o.isolation = KV_ISO_SI;
	o.validate_reads = validating;
	o.fence_key = g_fence;
	o.fence_len = sizeof(g_fence) - 1;
	kv_txn *t = NULL;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	return t;
}

/* Write k = v with a pessimistic lock first (what the SQL layer does). */
static void
twrite(kv_txn *t, const char *k, const char *v)
{
	cm_error err = {0};
	ProtobufCBinaryData key = BIN(k);
	kv_lock_options lo = {.snapshot_check = true};
	cr_assert_eq(kv_txn_lock_keys(t, NULL, &key, 1, &lo, NULL, &err), KV_OK, "lock %s: %s", k,
				 err.message ? err.message : "");
	cr_assert_eq(kv_txn_set(t, K(k), (const uint8_t *) v, strlen(v), &err), KV_OK);
}

static kv_err
tcommit(kv_txn *t, char *msg, size_t n)
{
	cm_error err = {0};
	kv_err k = kv_txn_commit(t, &err);
	if (msg)
		snprintf(msg, n, "%s", err.message ? err.message : "");
	cm_error_clear(&err);
	return k;
}

static void
put(const char *k, const char *v)
{
	kv_txn *t = begin(false);
	twrite(t, k, v);
	cr_assert_eq(tcommit(t, NULL, 0), KV_OK);
	kv_txn_free(t);
}

static bool
tget_found(kv_txn *t, const char *k)
{
	kv_value v;
	cm_error err = {0};
	cr_assert_eq(kv_txn_get(t, g_a, K(k), &v, &err), KV_OK);
	return v.found;
}

/* Scan [lo, hi) and return the number of entries (stop after max, 0 = all). */
static int
tscan(kv_txn *t, const char *lo, const char *hi, int max)
{
	kv_iter_options o = {.start = (const uint8_t *) lo, .start_len = strlen(lo),
						 .end = (const uint8_t *) hi, .end_len = strlen(hi)};
	kv_iter *it = NULL;
	cm_error err = {0};
	cr_assert_eq(kv_txn_iter(t, &o, &it, &err), KV_OK);
	int n = 0;
	while (kv_iter_valid(it) && (max == 0 || n < max)) {
		n++;
		cr_assert_eq(kv_iter_next(it, &err), KV_OK);
	}
	kv_iter_close(it);
	return n;
}

Test(kv_readset, records_points_and_ranges)
{
	put("a1", "x");
	kv_txn *t = begin(true);
	size_t np, nr;
	tget_found(t, "a1");
	tget_found(t, "a2");
	twrite(t, "b1", "own");
	tget_found(t, "b1"); /* answered by the buffer: not recorded */
	tscan(t, "c", "d", 0);
	kv_txn_read_set_size(t, &np, &nr);
	cr_assert_eq(np, 2);
	cr_assert_eq(nr, 1);
	kv_txn_record_range(t, K("e"), K("f"), true);
	kv_txn_read_set_size(t, &np, &nr);
	cr_assert_eq(nr, 2);
	kv_txn_free(t);

	/* not validating: nothing recorded */
	t = begin(false);
	tget_found(t, "a1");
	tscan(t, "c", "d", 0);
	kv_txn_read_set_size(t, &np, &nr);
	cr_assert_eq(np + nr, 0);
	kv_txn_free(t);
}

Test(kv_readset, write_skew_refused)
{
	put("doc1", "on");
	put("doc2", "on");
	kv_txn *t1 = begin(true), *t2 = begin(true);
	cr_assert_eq(tscan(t1, "doc", "doe", 0), 2);
	cr_assert_eq(tscan(t2, "doc", "doe", 0), 2);
	twrite(t1, "doc1", "off");
	twrite(t2, "doc2", "off");
	char msg[256];
	cr_assert_eq(tcommit(t1, msg, sizeof msg), KV_OK, "%s", msg);
	cr_assert_eq(tcommit(t2, msg, sizeof msg), KV_ERR_WRITE_CONFLICT);
	cr_assert_str_eq(msg, "could not serialize access due to read/write dependencies among transactions");
	kv_txn_free(t1);
	kv_txn_free(t2);
	/* t2 was rolled back: doc2 still on, and not locked */
	kv_txn *t = begin(false);
	twrite(t, "doc2", "on2");
	cr_assert_eq(tcommit(t, NULL, 0), KV_OK);
	kv_txn_free(t);
}

Test(kv_readset, snapshot_isolation_allows_write_skew)
{
	put("doc1", "on");
	put("doc2", "on");
	kv_txn *t1 = begin(false), *t2 = begin(false);
	tscan(t1, "doc", "doe", 0);
	tscan(t2, "doc", "doe", 0);
	twrite(t1, "doc1", "off");
	twrite(t2, "doc2", "off");
	cr_assert_eq(tcommit(t1, NULL, 0), KV_OK);
	cr_assert_eq(tcommit(t2, NULL, 0), KV_OK);
	kv_txn_free(t1);
	kv_txn_free(t2);
}

Test(kv_readset, phantom_and_point_read_refused)
{
	put("r1", "1");
	kv_txn *t1 = begin(true);
	cr_assert_eq(tscan(t1, "r", "s", 0), 1);
	twrite(t1, "w1", "x");
	put("r5", "new"); /* an insert into the scanned range, committed */
	cr_assert_eq(tcommit(t1, NULL, 0), KV_ERR_WRITE_CONFLICT);
	kv_txn_free(t1);

	kv_txn *t2 = begin(true);
	cr_assert(!tget_found(t2, "p1"));
	twrite(t2, "w2", "x");
	put("p1", "appeared"); /* the key read as missing now exists */
	cr_assert_eq(tcommit(t2, NULL, 0), KV_ERR_WRITE_CONFLICT);
	kv_txn_free(t2);
}

Test(kv_readset, unrelated_and_readonly_commit)
{
	put("r1", "1");
	put("r2", "2");
	put("z9", "9");
	/* a scan stopped after one entry records only up to it */
	kv_txn *t1 = begin(true);
	cr_assert_eq(tscan(t1, "r", "s", 1), 1);
	twrite(t1, "w1", "x");
	put("z9", "changed"); /* outside the read set */
	put("r3", "3");		  /* past where the scan stopped */
	char msg[256];
	cr_assert_eq(tcommit(t1, msg, sizeof msg), KV_OK, "%s", msg);
	kv_txn_free(t1);

	/* read-only: no validation even though its reads changed */
	kv_txn *t2 = begin(true);
	tscan(t2, "r", "s", 0);
	put("r1", "changed");
	cr_assert_eq(tcommit(t2, NULL, 0), KV_OK);
	kv_txn_free(t2);
}

Test(kv_readset, fence_released)
{
	/* two validating commits one after the other: the first one's fence
	 * lock is gone (committed / rolled back) before the second needs it */
	for (int i = 0; i < 3; i++) {
		kv_txn *t = begin(true);
		tget_found(t, "q");
		twrite(t, "q", "v");
		cr_assert_eq(tcommit(t, NULL, 0), KV_OK);
		kv_txn_free(t);
	}
	kv_txn *t = begin(true);
	tget_found(t, "q");
	twrite(t, "q2", "v");
	put("q", "other");
	cr_assert_eq(tcommit(t, NULL, 0), KV_ERR_WRITE_CONFLICT);
	kv_txn_free(t);
	t = begin(true);
	tget_found(t, "q");
	twrite(t, "q3", "v");
	cr_assert_eq(tcommit(t, NULL, 0), KV_OK);
	kv_txn_free(t);
}
