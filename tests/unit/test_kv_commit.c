/*
 * test_kv_commit.c -- large commits of the transaction client (kv_commit.c)
 * against the embedded store: prewrite and secondary commits of many
 * batches in several regions run in parallel, and a failure in any batch
 * (write conflict, key exists) aborts the whole transaction with nothing
 * left behind; pessimistic inserts are committed without a second
 * existence check; the write-buffer limit fails with 53200.
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
	strcpy(g_dir, "/tmp/pgkv_kvcommit_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.lock_wait_max_ms = 5000;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK, "open: %s", err.message ? err.message : "?");
	kv_client_options co;
	kv_client_options_init(&co);
	co.txn_batch_bytes = 512;	/* many batches per region */
	cr_assert_eq(kv_client_new(g_s, &co, &g_c, &err), KV_OK);
	g_a = cm_arena_create(0);
	/* four regions */
	const char *at[] = {"k0100", "k0200", "k0300"};
	for (int i = 0; i < 3; i++)
		cr_assert_eq(kve_split_region(g_s, (const uint8_t *) at[i], strlen(at[i]), &err), CM_OK);
}

static void
teardown(void)
{
	kv_client_free(g_c);
	kv_store_close(g_s);
	cm_arena_destroy(g_a);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(kv_commit, .init = setup, .fini = teardown, .timeout = 120);

#define NKEYS 400

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
key_of(int i, char *k, size_t n)
{
	snprintf(k, n, "k%04d", i);
}

/* committed value of key i at a fresh timestamp, or NULL */
static char *
get_now(int i)
{
	char k[16];
	key_of(i, k, sizeof k);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	kv_value v;
	cm_error err = {0};
	cr_assert_eq(kv_txn_get(t, g_a, (const uint8_t *) k, strlen(k), &v, &err), KV_OK);
	char *s = NULL;
	if (v.found) {
		s = cm_alloc(g_a, v.len + 1);
		memcpy(s, v.data, v.len);
		s[v.len] = 0;
	}
	kv_txn_free(t);
	return s;
}

static size_t
count_locks(void)
{
	kve_debug_counts dc;
	cm_error err = {0};
	cr_assert_eq(kve_debug_count(g_s, NULL, 0, &dc, &err), CM_OK);
	return (size_t) dc.locks;
}

static void
put_one(int i, const char *v)
{
	char k[16];
	key_of(i, k, sizeof k);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	cr_assert_eq(kv_txn_set(t, (const uint8_t *) k, strlen(k), (const uint8_t *) v, strlen(v), &err), KV_OK);
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK);
	kv_txn_free(t);
}

static void
write_all(kv_txn *t, bool insert, const char *val)
{
	char k[16];
	cm_error err = {0};
	for (int i = 0; i < NKEYS; i++) {
		key_of(i, k, sizeof k);
		kv_err e = insert ? kv_txn_insert(t, (const uint8_t *) k, strlen(k), (const uint8_t *) val, strlen(val), &err)
						  : kv_txn_set(t, (const uint8_t *) k, strlen(k), (const uint8_t *) val, strlen(val), &err);
		cr_assert_eq(e, KV_OK);
	}
}

Test(kv_commit, many_batches_commit_everything)
{
	kve_stats s0, s1;
	kve_get_stats(g_s, &s0);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	write_all(t, false, "v1");
	cm_error err = {0};
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK, "%s", err.message ? err.message : "");
	kv_txn_free(t);
	kve_get_stats(g_s, &s1);
	cr_assert_gt(s1.writes - s0.writes, 8, "expected many batches, got %llu writes",
				 (unsigned long long) (s1.writes - s0.writes));
	for (int i = 0; i < NKEYS; i++)
		cr_assert_str_eq(get_now(i), "v1", "key %d", i);
	cr_assert_eq(count_locks(), 0);
}

/* A commit after our start_ts on a key of a secondary batch: 40001, and
 * none of the other 399 keys may become visible or stay locked. */
Test(kv_commit, conflict_in_one_batch_aborts_all)
{
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	write_all(t, false, "mine");
	put_one(333, "theirs");
	cm_error err = {0};
	kv_err k = kv_txn_commit(t, &err);
	cr_assert_eq(k, KV_ERR_WRITE_CONFLICT, "got %d: %s", (int) k, err.message ? err.message : "");
	cr_assert(cm_error_is(&err, CM_E_SERIALIZATION_FAILURE));
	cm_error_clear(&err);
	kv_txn_free(t);
	for (int i = 0; i < NKEYS; i++) {
		char *v = get_now(i);
		if (i == 333)
			cr_assert_str_eq(v, "theirs");
		else
			cr_assert_null(v, "key %d leaked: %s", i, v);
	}
	cr_assert_eq(count_locks(), 0);
}

/* Insert over a committed key in a late batch: 23505 names that key. */
Test(kv_commit, key_exists_in_one_batch_aborts_all)
{
	put_one(250, "old");
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	char k[16];
	cm_error err = {0};
	for (int i = 0; i < NKEYS; i++) {
		key_of(i, k, sizeof k);
		cr_assert_eq(kv_txn_insert(t, (const uint8_t *) k, strlen(k), (const uint8_t *) "new", 3, &err), KV_OK);
	}
	kv_err e = kv_txn_commit(t, &err);
	cr_assert_eq(e, KV_ERR_KEY_EXISTS);
	cr_assert(cm_error_is(&err, CM_E_UNIQUE_VIOLATION));
	cm_error_clear(&err);
	ProtobufCBinaryData ek = kv_txn_error_key(t);
	cr_assert(ek.len == 5 && memcmp(ek.data, "k0250", 5) == 0);
	kv_txn_free(t);
	for (int i = 0; i < NKEYS; i++) {
		char *v = get_now(i);
		if (i == 250)
			cr_assert_str_eq(v, "old");
		else
			cr_assert_null(v, "key %d leaked", i);
	}
	cr_assert_eq(count_locks(), 0);
}

/* Pessimistic: keys locked with check_existence, then inserted (the SQL
 * insert path); the commit writes every one. */
Test(kv_commit, pessimistic_inserts_commit)
{
	kv_txn *t = begin(KV_TXN_PESSIMISTIC);
	ProtobufCBinaryData keys[NKEYS];
	char kb[NKEYS][16];
	for (int i = 0; i < NKEYS; i++) {
		key_of(i, kb[i], sizeof kb[i]);
		keys[i] = (ProtobufCBinaryData){strlen(kb[i]), (uint8_t *) kb[i]};
	}
	kv_value res[NKEYS];
	kv_lock_options lo = {.check_existence = true};
	cm_error err = {0};
	cr_assert_eq(kv_txn_lock_keys(t, g_a, keys, NKEYS, &lo, res, &err), KV_OK);
	for (int i = 0; i < NKEYS; i++)
		cr_assert(!res[i].found);
	write_all(t, true, "p");
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK, "%s", err.message ? err.message : "");
	kv_txn_free(t);
	for (int i = 0; i < NKEYS; i++)
		cr_assert_str_eq(get_now(i), "p", "key %d", i);
	cr_assert_eq(count_locks(), 0);
}

Test(kv_commit, buffer_limit_is_53200)
{
	setenv("PGKV_TXN_BUFFER_LIMIT_MB", "1", 1);
	cr_assert_eq(kv_txn_buffer_limit(), (size_t) 1 << 20);
	kv_txn *t = begin(KV_TXN_OPTIMISTIC);
	cm_error err = {0};
	cr_assert_eq(kv_txn_check_buffer(t, &err), KV_OK);
	char k[32], v[256];
	memset(v, 'x', sizeof v);
	for (int i = 0; i < 8000; i++) {
		snprintf(k, sizeof k, "big%06d", i);
		cr_assert_eq(kv_txn_set(t, (const uint8_t *) k, strlen(k), (const uint8_t *) v, sizeof v, &err), KV_OK);
	}
	cr_assert_gt(kv_txn_buffer_mem(t), (size_t) 2 << 20);
	cr_assert_eq(kv_txn_check_buffer(t, &err), KV_ERR_INTERNAL);
	cr_assert(cm_error_is(&err, CM_E_OUT_OF_MEMORY));
	cr_assert_str_eq(err.message, "out of memory");
	cm_error_clear(&err);
	cr_assert_eq(kv_txn_rollback(t, &err), KV_OK);
	kv_txn_free(t);
}
