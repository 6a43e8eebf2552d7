/*
 * bench_kv.c -- KV layer micro-benchmarks against the embedded store.
 *
 *   point get          kv_snapshot_get of random existing rows
 *   commit 1 key       kv_txn: one put, commit (1PC, one synced WAL write)
 *   commit 16 keys     kv_txn: 16 puts, commit
 *   full scan          kv_snapshot_iter over the whole table (KvScan batches)
 *   copr count(*)      coprocessor DAG TableScan + Aggregation(count) with a
 *                      pool of 1 and of 2 workers
 *   copr sum(c2)       same with sum(int8 column)
 *
 * The table (id 100) has rows (h int8 handle, c1 int4, c2 int8, c3 text) in
 * row format v2, loaded in 1000-row transactions and split into 16 regions
 * so that the coprocessor has region tasks to run in parallel.
 *
 * Usage: bench_kv [--rows N] [--dir PATH] [--seconds S] [--no-sync]
 * Prints one line per benchmark: name, operations, seconds, ops/s (rows/s
 * for scans).  Not a test: numbers only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv/codec/kv_tablecodec.h"
#include "kv/copr/kv_copr.h"
#include "kv/copr/kv_copr_dag.h"
#include "kv/embedded/kve.h"
#include "kv/store.h"
#include "kv/txn/kv_txn.h"

#define TID 100

static kv_store *g_s;
static kv_client *g_c;
static int64_t g_table_rows; /* rows in the table when the scans run */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die(const char *what, const cm_error *err)
{
	fprintf(stderr, "bench_kv: %s: %s %s\n", what, err->code, err->message ? err->message : "");
	exit(1);
}

static void
report(const char *name, double ops, double secs, const char *unit)
{
	printf("%-28s %12.0f %8.2f s %14.0f %s/s\n", name, ops, secs, ops / secs, unit);
	fflush(stdout);
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t
rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

static void
encode_row(int64_t h, cm_buf *k, cm_buf *v)
{
	cm_error err = {0};
	cm_buf_reset(k);
	kv_record_key(k, TID, h);
	cm_buf_reset(v);
	char txt[24];
	int n = snprintf(txt, sizeof txt, "row-%lld", (long long) h);
	int64_t ids[3] = {2, 3, 4};
	kv_datum d[3] = {kv_datum_int(h % 1000), kv_datum_int(h * 7), kv_datum_bytes(txt, (size_t) n)};
	if (kv_row_encode(v, ids, d, 3, &err) != CM_OK)
		die("encode", &err);
}

static void
load(int64_t rows)
{
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_error err = {0};
	double t0 = now_s();
	for (int64_t h = 0; h < rows;) {
		kv_txn *t;
		if (kv_txn_begin(g_c, NULL, &t, &err) != KV_OK)
			die("begin", &err);
		for (int i = 0; i < 1000 && h < rows; i++, h++) {
			encode_row(h, &k, &v);
			if (kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err) != KV_OK)
				die("set", &err);
		}
		if (kv_txn_commit(t, &err) != KV_OK)
			die("commit", &err);
		kv_txn_free(t);
	}
	report("load (1000-row txns)", (double) rows, now_s() - t0, "rows");
	for (int i = 1; i < 16; i++) {
		cm_buf_reset(&k);
		kv_record_key(&k, TID, rows * i / 16);
		if (kve_split_region(g_s, (uint8_t *) k.data, k.len, &err) != CM_OK)
			die("split", &err);
	}
	kv_region_cache_clear(kv_client_region_cache(g_c));
	cm_buf_free(&k);
	cm_buf_free(&v);
}

static uint64_t
ts_now(void)
{
	uint64_t ts;
	cm_error err = {0};
	if (kv_client_get_ts(g_c, NULL, &ts, &err) != KV_OK)
		die("tso", &err);
	return ts;
}

static void
bench_point_get(int64_t rows, double secs)
{
	kv_snapshot s;
	kv_snapshot_init(&s, g_c, ts_now());
	cm_arena *a = cm_arena_create(0);
	uint8_t key[KV_RECORD_KEY_LEN];
	cm_error err = {0};
	double t0 = now_s(), el;
	long n = 0;
	do {
		for (int i = 0; i < 256; i++, n++) {
			kv_record_key_fixed(key, TID, (int64_t) (rnd() % (uint64_t) rows));
			kv_value v;
			if (kv_snapshot_get(&s, a, key, sizeof key, &v, &err) != KV_OK || !v.found)
				die("get", &err);
			cm_arena_reset(a);
		}
		el = now_s() - t0;
	} while (el < secs);
	report("point get", (double) n, el, "ops");
	cm_arena_destroy(a);
	kv_snapshot_destroy(&s);
}

static void
bench_commit(int keys, double secs, int64_t base)
{
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_error err = {0};
	double t0 = now_s(), el;
	long n = 0;
	int64_t h = base;
	do {
		kv_txn *t;
		if (kv_txn_begin(g_c, NULL, &t, &err) != KV_OK)
			die("begin", &err);
		for (int i = 0; i < keys; i++) {
			encode_row(h++, &k, &v);
			if (kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err) != KV_OK)
				die("set", &err);
		}
		if (kv_txn_commit(t, &err) != KV_OK)
			die("commit", &err);
		kv_txn_free(t);
		n++;
		el = now_s() - t0;
	} while (el < secs);
	char name[32];
	snprintf(name, sizeof name, "commit %d key%s", keys, keys > 1 ? "s" : "");
	report(name, (double) n, el, "txn");
	cm_buf_free(&k);
	cm_buf_free(&v);
}

static void
table_range(cm_buf *s, cm_buf *e)
{
	cm_buf_init(s);
	cm_buf_init(e);
	kv_record_range(s, e, TID);
}

static void
bench_scan(int64_t rows)
{
	cm_buf s, e;
	table_range(&s, &e);
	kv_snapshot snap;
	kv_snapshot_init(&snap, g_c, ts_now());
	kv_iter_options o = {.start = (uint8_t *) s.data,
						 .start_len = s.len,
						 .end = (uint8_t *) e.data,
						 .end_len = e.len,
						 .batch = 1024};
	kv_iter *it;
	cm_error err = {0};
	double t0 = now_s();
	if (kv_snapshot_iter(&snap, &o, &it, &err) != KV_OK)
		die("iter", &err);
	long n = 0;
	while (kv_iter_valid(it)) {
		n++;
		if (kv_iter_next(it, &err) != KV_OK)
			die("next", &err);
	}
	double el = now_s() - t0;
	kv_iter_close(it);
	kv_snapshot_destroy(&snap);
	if (n < rows)
		fprintf(stderr, "bench_kv: scan saw %ld rows, expected %lld\n", n, (long long) rows);
	g_table_rows = n;
	report("full scan (KvScan)", (double) n, el, "rows");
	cm_buf_free(&s);
	cm_buf_free(&e);
}

static void
bench_copr(bool sum, uint32_t workers)
{
	cm_arena *a = cm_arena_create(0);
	cm_error err = {0};
	kv_copr_ftype i8 = {.tp = KV_TP_LONGLONG, .flen = 20, .collate = KV_COLL_BINARY};
	kv_copr_ftype i4 = {.tp = KV_TP_LONG, .flen = 11, .collate = KV_COLL_BINARY};
	kv_copr_ftype tx = {.tp = KV_TP_VARSTRING, .flen = -1, .collate = KV_COLL_UTF8MB4_BIN};
	Tipb__ColumnInfo *cols[4] = {kv_copr_pb_column(a, 1, &i8, true, NULL, 0),
								 kv_copr_pb_column(a, 2, &i4, false, NULL, 0),
								 kv_copr_pb_column(a, 3, &i8, false, NULL, 0),
								 kv_copr_pb_column(a, 4, &tx, false, NULL, 0)};
	kv_copr_dag d;
	kv_copr_dag_init(&d, a, true);
	kv_copr_dag_table_scan(&d, TID, cols, 4, false);
	Tipb__Expr *agg = sum ? kv_copr_pb_agg(a, TIPB__EXPR_TYPE__Sum, NULL, kv_copr_pb_col(a, 2, &i8))
						  : kv_copr_pb_agg(a, TIPB__EXPR_TYPE__Count, NULL, NULL);
	kv_copr_dag_aggregation(&d, NULL, 0, &agg, 1, false);
	cm_buf s, e;
	table_range(&s, &e);
	kv_key_range kr = {{s.len, (uint8_t *) s.data}, {e.len, (uint8_t *) e.data}};
	kv_copr_pool *pool = kv_copr_pool_new(workers);
	kv_copr_request q = {.dag = &d.req, .ranges = &kr, .n_ranges = 1, .start_ts = ts_now()};
	double t0 = now_s();
	kv_copr_iter *it;
	if (kv_copr_open(g_c, pool, &q, &it, &err) != CM_OK)
		die("copr open", &err);
	int64_t count = 0;
	kv_copr_chunk ch;
	cm_status rc;
	while ((rc = kv_copr_next(it, &ch, &err)) == CM_OK)
		for (size_t r = 0; r < ch.nrows; r++)
			if (!sum)
				count += ch.col[0][r].v.i;
	if (rc != CM_CLOSED)
		die("copr next", &err);
	double el = now_s() - t0;
	kv_copr_close(it);
	kv_copr_pool_free(pool);
	if (!sum && count != g_table_rows)
		fprintf(stderr, "bench_kv: count(*) = %lld, the scan saw %lld\n", (long long) count,
				(long long) g_table_rows);
	char name[48];
	snprintf(name, sizeof name, "copr %s, %u worker%s", sum ? "sum(c2)" : "count(*)", workers,
			 workers > 1 ? "s" : "");
	report(name, (double) g_table_rows, el, "rows");
	cm_buf_free(&s);
	cm_buf_free(&e);
	cm_arena_destroy(a);
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb, (void) flag, (void) ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	int64_t rows = 1000000;
	double secs = 3;
	bool sync = true;
	char dir[256] = "";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rows") && i + 1 < argc)
			rows = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			snprintf(dir, sizeof dir, "%s", argv[++i]);
		else if (!strcmp(argv[i], "--no-sync"))
			sync = false;
		else {
			fprintf(stderr, "usage: bench_kv [--rows N] [--seconds S] [--dir PATH] [--no-sync]\n");
			return 2;
		}
	}
	bool tmp = !dir[0];
	if (tmp) {
		snprintf(dir, sizeof dir, "/tmp/pgkv_bench_kv_XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = dir;
	o.sync_wal = sync;
	cm_error err = {0};
	if (kv_store_open_embedded(&o, &g_s, &err) != CM_OK)
		die("open", &err);
	if (kv_client_new(g_s, NULL, &g_c, &err) != KV_OK)
		die("client", &err);
	printf("# bench_kv: %lld rows, sync_wal=%s, %ld CPUs, store %s\n", (long long) rows,
		   sync ? "on" : "off", sysconf(_SC_NPROCESSORS_ONLN), dir);
	printf("%-28s %12s %10s %14s\n", "benchmark", "ops/rows", "time", "rate");
	load(rows);
	bench_point_get(rows, secs);
	bench_commit(1, secs, rows + 10);
	bench_commit(16, secs, rows + 10000000);
	bench_scan(rows);
	bench_copr(false, 1);
	bench_copr(false, 2);
	bench_copr(true, 1);
	bench_copr(true, 2);
	kv_client_free(g_c);
	kv_store_close(g_s);
	if (tmp)
		nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
