/*
 * test_kv_unresolved.c -- reads over a committed transaction whose
 * secondaries were never committed (their locks are left to lock
 * resolution, as when secondary commits run out of budget while regions
 * split under them).  Every read path must see every committed row --
 * resolving the locks (the primary is committed: roll the secondaries
 * forward) -- or fail; never miss rows silently.
 *
 * The transaction writes table 200 (h int8 handle = col 1, g int8 = col 2,
 * pad text = col 3; g = h % 100) and a non-unique index 1 on g, with the
 * fault switch kv_txn_options.test_leave_secondaries.  Read paths:
 * kv_snapshot_get / batch_get / iterator (both directions), and the
 * coprocessor: count(*), Selection g = 7, IndexScan g = 7, partial
 * aggregation grouped by g.  Variants: regions split after the commit
 * (stale region cache), many thousands of locks in one region (whole-region
 * ResolveLock), some secondaries committed and some not, a READ COMMITTED
 * txn's reads, and the store's whole-region ResolveLock / ScanLock on a
 * region that does not start at -inf.
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

#include "kv/codec/kv_tablecodec.h"
#include "kv/copr/kv_copr.h"
#include "kv/copr/kv_copr_dag.h"
#include "kv/embedded/kve.h"
#include "kv/store.h"
#include "kv/txn/kv_txn.h"

#define TID 200
#define SIG(x) TIPB__SCALAR_FUNC_SIG__##x
#define GMOD 100

static char g_dir[64];
static kv_store *g_s;
static kv_client *g_c;
static kv_copr_pool *g_pool;
static cm_arena *g_a;
static int64_t g_n;				/* rows written */

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb, (void) flag, (void) ftw;
	return remove(path);
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_unresolved_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.sync_wal = false;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK, "open: %s",
				 err.message ? err.message : "?");
	kv_client_options co;
	kv_client_options_init(&co);
	co.heartbeat_thread = false;
	co.txn_batch_bytes = 16 << 10;
	cr_assert_eq(kv_client_new(g_s, &co, &g_c, &err), KV_OK);
	g_pool = kv_copr_pool_new(2);
	cr_assert_not_null(g_pool);
	g_a = cm_arena_create(0);
	g_n = 0;
}

static void
teardown(void)
{
	kv_copr_pool_free(g_pool);
	kv_client_free(g_c);
	kv_store_close(g_s);
	cm_arena_destroy(g_a);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(unresolved, .init = setup, .fini = teardown, .timeout = 240);

static uint64_t
tso(void)
{
	uint64_t t;
	cm_error err = {0};
	cr_assert_eq(kv_store_get_ts(g_s, 1, &t, &err), CM_OK);
	return t;
}

static size_t
count_locks(void)
{
	kve_debug_counts dc;
	cm_error err = {0};
	cr_assert_eq(kve_debug_count(g_s, NULL, 0, &dc, &err), CM_OK);
	return (size_t) dc.locks;
}

/* ---- keys and rows ----------------------------------------------------------------- */

static void
row_key(cm_buf *b, int64_t h)
{
	cm_buf_reset(b);
	kv_record_key(b, TID, h);
}

static void
index_key(cm_buf *b, int64_t g, const int64_t *h)
{
	cm_buf_reset(b);
	kv_datum d = kv_datum_int(g);
	kv_handle hd = kv_handle_int(h ? *h : 0);
	cm_error err = {0};
	cr_assert_eq(kv_index_key(b, TID, 1, &d, 1, h ? &hd : NULL, &err), CM_OK);
}

static void
row_value(cm_buf *b, int64_t h)
{
	char pad[48];
	snprintf(pad, sizeof pad, "row-%08lld-padding-padding-padding", (long long) h);
	int64_t ids[2] = {2, 3};
	kv_datum d[2] = {kv_datum_int(h % GMOD), kv_datum_bytes(pad, strlen(pad))};
	cm_buf_reset(b);
	cm_error err = {0};
	cr_assert_eq(kv_row_encode(b, ids, d, 2, &err), CM_OK);
}

static void
split_row(int64_t h)
{
	cm_buf k;
	cm_buf_init(&k);
	row_key(&k, h);
	cm_error err = {0};
	cr_assert_eq(kve_split_region(g_s, (uint8_t *) k.data, k.len, &err), CM_OK);
	cm_buf_free(&k);
}

static void
split_index(int64_t g, int64_t h)
{
	cm_buf k;
	cm_buf_init(&k);
	index_key(&k, g, &h);
	cm_error err = {0};
	cr_assert_eq(kve_split_region(g_s, (uint8_t *) k.data, k.len, &err), CM_OK);
	cm_buf_free(&k);
}

/* One transaction writing rows [0, n) and their index entries; `leave` as
 * kv_txn_options.test_leave_secondaries. */
static void
load(int64_t n, uint32_t leave)
{
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.test_leave_secondaries = leave;
	kv_txn *t;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	for (int64_t h = 0; h < n; h++) {
		row_key(&k, h);
		row_value(&v, h);
		cr_assert_eq(kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err),
					 KV_OK);
		index_key(&k, h % GMOD, &h);
		cm_buf_reset(&v);
		kv_index_value_nonunique(&v);
		cr_assert_eq(kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err),
					 KV_OK);
	}
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK, "commit: %s", err.message ? err.message : "");
	cr_assert_gt(kv_txn_commit_ts(t), 0);
	kv_txn_free(t);
	cm_buf_free(&k);
	cm_buf_free(&v);
	g_n = n;
}

/* ---- snapshot reads ------------------------------------------------------------------ */

static void
check_row(const uint8_t *val, size_t len, int64_t h)
{
	cm_buf want;
	cm_buf_init(&want);
	row_value(&want, h);
	cr_assert_eq(len, want.len, "row %lld: value length %zu want %zu", (long long) h, len,
				 want.len);
	cr_assert(memcmp(val, want.data, len) == 0, "row %lld: value differs", (long long) h);
	cm_buf_free(&want);
}

static int64_t
handle_of(const uint8_t *key, size_t len)
{
	cm_buf k;
	cm_buf_init(&k);
	kv_record_key(&k, TID, 0);
	cr_assert_eq(len, k.len);
	cm_buf_free(&k);
	/* the last 8 bytes: EncodeInt (sign bit flipped, big-endian) */
	uint64_t u = 0;
	for (size_t i = len - 8; i < len; i++)
		u = u << 8 | key[i];
	return (int64_t) (u ^ (UINT64_C(1) << 63));
}

/* Scan the table's rows in one direction: every row, once, in order. */
static void
scan_rows(bool reverse, uint32_t batch)
{
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	kv_record_range(&s, &e, TID);
	kv_snapshot snap;
	kv_snapshot_init(&snap, g_c, tso());
	kv_iter_options o = {(uint8_t *) s.data, s.len, (uint8_t *) e.data, e.len, reverse, false,
						 batch};
	kv_iter *it;
	cm_error err = {0};
	cr_assert_eq(kv_snapshot_iter(&snap, &o, &it, &err), KV_OK, "iter: %s",
				 err.message ? err.message : "");
	int64_t n = 0;
	while (kv_iter_valid(it)) {
		size_t kl, vl;
		const uint8_t *k = kv_iter_key(it, &kl);
		const uint8_t *v = kv_iter_value(it, &vl);
		int64_t want = reverse ? g_n - 1 - n : n;
		cr_assert_eq(handle_of(k, kl), want, "scan position %lld", (long long) n);
		check_row(v, vl, want);
		n++;
		cr_assert_eq(kv_iter_next(it, &err), KV_OK, "next: %s", err.message ? err.message : "");
	}
	kv_iter_close(it);
	kv_snapshot_destroy(&snap);
	cm_buf_free(&s);
	cm_buf_free(&e);
	cr_assert_eq(n, g_n, "scan saw %lld rows, want %lld", (long long) n, (long long) g_n);
}

/* ---- coprocessor ------------------------------------------------------------------------ */

static kv_copr_ftype
ft_i8(void)
{
	kv_copr_ftype ft;
	cm_error err = {0};
	sem_type t = {SEM_INT8OID, -1};
	cr_assert_eq(kv_copr_ftype_of(t, &ft, &err), CM_OK);
	return ft;
}

static kv_copr_ftype
ft_txt(void)
{
	kv_copr_ftype ft;
	cm_error err = {0};
	sem_type t = {SEM_TEXTOID, -1};
	cr_assert_eq(kv_copr_ftype_of(t, &ft, &err), CM_OK);
	return ft;
}

static void
dag_table(kv_copr_dag *d)
{
	kv_copr_ftype i8 = ft_i8(), tx = ft_txt();
	Tipb__ColumnInfo **c = cm_alloc(g_a, sizeof(Tipb__ColumnInfo *) * 3);
	c[0] = kv_copr_pb_column(g_a, 1, &i8, true, NULL, 0);
	c[1] = kv_copr_pb_column(g_a, 2, &i8, false, NULL, 0);
	c[2] = kv_copr_pb_column(g_a, 3, &tx, false, NULL, 0);
	kv_copr_dag_init(d, g_a, true);
	kv_copr_dag_table_scan(d, TID, c, 3, false);
}

static kv_key_range
table_range(void)
{
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	kv_record_range(&s, &e, TID);
	kv_key_range kr = {{s.len, cm_memdup(g_a, s.data, s.len)},
					   {e.len, cm_memdup(g_a, e.data, e.len)}};
	cm_buf_free(&s);
	cm_buf_free(&e);
	return kr;
}

static kv_key_range
index_range_g(int64_t g)
{
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	index_key(&s, g, NULL);
	index_key(&e, g + 1, NULL);
	kv_key_range kr = {{s.len, cm_memdup(g_a, s.data, s.len)},
					   {e.len, cm_memdup(g_a, e.data, e.len)}};
	cm_buf_free(&s);
	cm_buf_free(&e);
	return kr;
}

typedef struct copr_out {
	int64_t rows;
	int64_t sum0;			/* sum of column 0 over all rows */
	char *seen;				/* column 0 as a handle: seen once */
	int64_t dup;
	kv_copr_stats st;
} copr_out;

static cm_status
copr_run(kv_copr_dag *d, kv_key_range *kr, size_t nkr, bool keep_order, bool handles,
		 copr_out *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (handles) {
		out->seen = cm_alloc(g_a, (size_t) g_n + 1);
		memset(out->seen, 0, (size_t) g_n + 1);
	}
	kv_copr_request q;
	memset(&q, 0, sizeof q);
	q.dag = &d->req;
	q.ranges = kr;
	q.n_ranges = nkr;
	q.start_ts = tso();
	q.keep_order = keep_order;
	kv_copr_iter *it;
	if (kv_copr_open(g_c, g_pool, &q, &it, err) != CM_OK)
		return CM_ERROR;
	kv_copr_chunk ch;
	cm_status rc;
	while ((rc = kv_copr_next(it, &ch, err)) == CM_OK) {
		for (size_t r = 0; r < ch.nrows; r++) {
			int64_t v = ch.col[0][r].v.i;
			out->sum0 += v;
			if (handles) {
				cr_assert(v >= 0 && v < g_n, "handle %lld out of range", (long long) v);
				if (out->seen[v])
					out->dup++;
				out->seen[v] = 1;
			}
		}
		out->rows += (int64_t) ch.nrows;
	}
	kv_copr_get_stats(it, &out->st);
	kv_copr_close(it);
	return rc == CM_CLOSED ? CM_OK : rc;
}

/* count(*) over the table through the coprocessor (partials summed). */
static int64_t
copr_count(kv_copr_stats *st)
{
	kv_copr_dag d;
	dag_table(&d);
	Tipb__Expr *aggs[1] = {kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, NULL)};
	kv_copr_dag_aggregation(&d, NULL, 0, aggs, 1, false);
	kv_key_range kr = table_range();
	copr_out o;
	cm_error err = {0};
	cr_assert_eq(copr_run(&d, &kr, 1, false, false, &o, &err), CM_OK, "count(*): %s",
				 err.message ? err.message : "");
	if (st)
		*st = o.st;
	return o.sum0;
}

/* Handles of rows with g = 7 by a table scan with a pushed Selection. */
static void
copr_select_g7(copr_out *o)
{
	kv_copr_dag d;
	dag_table(&d);
	kv_copr_ftype i8 = ft_i8(), bo;
	cm_error err = {0};
	sem_type bt = {SEM_BOOLOID, -1};
	cr_assert_eq(kv_copr_ftype_of(bt, &bo, &err), CM_OK);
	Tipb__Expr *conds[1] = {kv_copr_pb_func2(g_a, SIG(EQInt), &bo, kv_copr_pb_col(g_a, 1, &i8),
											 kv_copr_pb_int(g_a, 7, NULL))};
	kv_copr_dag_selection(&d, conds, 1);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	kv_key_range kr = table_range();
	cr_assert_eq(copr_run(&d, &kr, 1, true, true, o, &err), CM_OK, "selection: %s",
				 err.message ? err.message : "");
}

/* Handles of rows with g = 7 by an IndexScan of [g=7, g=8). */
static void
copr_index_g7(copr_out *o)
{
	kv_copr_dag d;
	kv_copr_dag_init(&d, g_a, true);
	kv_copr_ftype i8 = ft_i8();
	Tipb__ColumnInfo *cols[2] = {kv_copr_pb_column(g_a, 2, &i8, false, NULL, 0),
								 kv_copr_pb_column(g_a, 1, &i8, true, NULL, 0)};
	kv_copr_dag_index_scan(&d, TID, 1, cols, 2, false, false);
	uint32_t offs[1] = {1};
	kv_copr_dag_output(&d, offs, 1);
	kv_key_range kr = index_range_g(7);
	cm_error err = {0};
	cr_assert_eq(copr_run(&d, &kr, 1, true, true, o, &err), CM_OK, "index scan: %s",
				 err.message ? err.message : "");
}

static void
expect_g7(const copr_out *o, const char *what)
{
	int64_t want = 0;
	for (int64_t h = 7; h < g_n; h += GMOD)
		want++;
	cr_assert_eq(o->dup, 0, "%s: %lld rows twice", what, (long long) o->dup);
	cr_assert_eq(o->rows, want, "%s: %lld rows, want %lld", what, (long long) o->rows,
				 (long long) want);
	for (int64_t h = 7; h < g_n; h += GMOD)
		cr_assert(o->seen[h], "%s: row %lld missing", what, (long long) h);
}

/* count(*) grouped by g: every group has its rows. */
static void
copr_group_by_g(void)
{
	kv_copr_dag d;
	dag_table(&d);
	kv_copr_ftype i8 = ft_i8();
	Tipb__Expr *aggs[1] = {kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, NULL)};
	Tipb__Expr *gb[1] = {kv_copr_pb_col(g_a, 1, &i8)};
	kv_copr_dag_aggregation(&d, gb, 1, aggs, 1, false);
	kv_key_range kr = table_range();
	kv_copr_request q;
	memset(&q, 0, sizeof q);
	q.dag = &d.req;
	q.ranges = &kr;
	q.n_ranges = 1;
	q.start_ts = tso();
	kv_copr_iter *it;
	cm_error err = {0};
	cr_assert_eq(kv_copr_open(g_c, g_pool, &q, &it, &err), CM_OK);
	int64_t per[GMOD] = {0};
	kv_copr_chunk ch;
	cm_status rc;
	while ((rc = kv_copr_next(it, &ch, &err)) == CM_OK)
		for (size_t r = 0; r < ch.nrows; r++) {
			int64_t g = ch.col[1][r].v.i;
			cr_assert(g >= 0 && g < GMOD);
			per[g] += ch.col[0][r].v.i;
		}
	kv_copr_close(it);
	cr_assert_eq(rc, CM_CLOSED, "group by: %s", err.message ? err.message : "");
	for (int g = 0; g < GMOD; g++) {
		int64_t want = g_n / GMOD + (g < g_n % GMOD ? 1 : 0);
		cr_assert_eq(per[g], want, "group %d: %lld rows, want %lld", g, (long long) per[g],
					 (long long) want);
	}
}

/* ---- layouts -------------------------------------------------------------------------- */

/* Rows in four regions, the index in two (split before the load). */
static void
split_before(int64_t n)
{
	split_row(n / 4);
	split_row(n / 2);
	split_row(3 * n / 4);
	split_index(GMOD / 2, 0);
}

/* Cut every region again after the commit: the client's cache is stale. */
static void
split_after(int64_t n)
{
	for (int i = 1; i < 16; i += 2)
		split_row(n * i / 16);
	split_index(7, 7 + GMOD * (n / GMOD / 2));
	split_index(3, 3);
	split_index(GMOD - 10, GMOD - 10);
}

#define N_SMALL 12000

static void
load_unresolved(int64_t n, bool splits_after)
{
	split_before(n);
	/* warm the region cache so that later splits make it stale */
	(void) count_locks();
	load(n, 1);
	cr_assert_eq(count_locks(), (size_t) (2 * n - 1), "every secondary left locked");
	if (splits_after)
		split_after(n);
}

/* ---- tests: one read path each, on a fresh unresolved transaction ------------------------- */

Test(unresolved, snapshot_get)
{
	load_unresolved(N_SMALL, false);
	kv_snapshot snap;
	kv_snapshot_init(&snap, g_c, tso());
	cm_buf k;
	cm_buf_init(&k);
	cm_error err = {0};
	for (int64_t h = 0; h < g_n; h += 7) {
		row_key(&k, h);
		kv_value v;
		cr_assert_eq(kv_snapshot_get(&snap, g_a, (uint8_t *) k.data, k.len, &v, &err), KV_OK,
					 "get %lld: %s", (long long) h, err.message ? err.message : "");
		cr_assert(v.found, "row %lld not found", (long long) h);
		check_row(v.data, v.len, h);
	}
	cm_buf_free(&k);
	kv_snapshot_destroy(&snap);
}

static void
batch_get_all(void)
{
	kv_snapshot snap;
	kv_snapshot_init(&snap, g_c, tso());
	ProtobufCBinaryData *keys = cm_alloc(g_a, sizeof(*keys) * (size_t) g_n);
	cm_buf k;
	cm_buf_init(&k);
	for (int64_t h = 0; h < g_n; h++) {
		row_key(&k, h);
		keys[h] = (ProtobufCBinaryData){k.len, cm_memdup(g_a, k.data, k.len)};
	}
	cm_buf_free(&k);
	kv_value *vals = cm_alloc(g_a, sizeof(*vals) * (size_t) g_n);
	cm_error err = {0};
	cr_assert_eq(kv_snapshot_batch_get(&snap, g_a, keys, (size_t) g_n, vals, &err), KV_OK,
				 "batch get: %s", err.message ? err.message : "");
	for (int64_t h = 0; h < g_n; h++) {
		cr_assert(vals[h].found, "row %lld not found", (long long) h);
		check_row(vals[h].data, vals[h].len, h);
	}
	kv_snapshot_destroy(&snap);
}

Test(unresolved, snapshot_batch_get)
{
	load_unresolved(N_SMALL, false);
	batch_get_all();
}

Test(unresolved, snapshot_batch_get_after_splits)
{
	load_unresolved(N_SMALL, true);
	batch_get_all();
}

Test(unresolved, scan_forward)
{
	load_unresolved(N_SMALL, false);
	scan_rows(false, 0);
}

Test(unresolved, scan_reverse)
{
	load_unresolved(N_SMALL, false);
	scan_rows(true, 0);
}

Test(unresolved, scan_after_splits)
{
	load_unresolved(N_SMALL, true);
	scan_rows(false, 1000);
	scan_rows(true, 0);
}

Test(unresolved, copr_count)
{
	load_unresolved(N_SMALL, false);
	kv_copr_stats st;
	int64_t n = copr_count(&st);
	cr_assert_eq(n, g_n, "count(*) = %lld, want %lld", (long long) n, (long long) g_n);
}

Test(unresolved, copr_count_after_splits)
{
	load_unresolved(N_SMALL, true);
	kv_copr_stats st;
	int64_t n = copr_count(&st);
	cr_assert_eq(n, g_n, "count(*) = %lld, want %lld", (long long) n, (long long) g_n);
	cr_assert(st.region_retries > 0, "the count met stale regions");
}

Test(unresolved, copr_selection)
{
	load_unresolved(N_SMALL, false);
	copr_out o;
	copr_select_g7(&o);
	expect_g7(&o, "selection g = 7");
}

Test(unresolved, copr_index_scan)
{
	load_unresolved(N_SMALL, false);
	copr_out o;
	copr_index_g7(&o);
	expect_g7(&o, "index scan g = 7");
}

Test(unresolved, copr_index_scan_after_splits)
{
	load_unresolved(N_SMALL, true);
	copr_out o;
	copr_index_g7(&o);
	expect_g7(&o, "index scan g = 7");
}

Test(unresolved, copr_group_by)
{
	load_unresolved(N_SMALL, true);
	copr_group_by_g();
}

/* Many thousands of locks in one region: no splits at all. */
Test(unresolved, many_locks_one_region)
{
	load(40000, 1);
	cr_assert_eq(count_locks(), (size_t) (2 * g_n - 1));
	int64_t n = copr_count(NULL);
	cr_assert_eq(n, g_n, "count(*) = %lld, want %lld", (long long) n, (long long) g_n);
	copr_out o;
	copr_index_g7(&o);
	expect_g7(&o, "index scan g = 7");
	scan_rows(false, 0);
}

/* Many locks in one region that is not the first one. */
Test(unresolved, many_locks_inner_region)
{
	split_row(0);
	load(40000, 1);
	cr_assert_eq(count_locks(), (size_t) (2 * g_n - 1));
	int64_t n = copr_count(NULL);
	cr_assert_eq(n, g_n, "count(*) = %lld, want %lld", (long long) n, (long long) g_n);
}

/* Every third secondary committed by the writer, the rest left locked. */
Test(unresolved, leave_some)
{
	split_before(N_SMALL);
	load(N_SMALL, 3);
	size_t locks = count_locks();
	cr_assert(locks > 0 && locks < (size_t) (2 * N_SMALL - 1), "locks %zu", locks);
	split_after(N_SMALL);
	cr_assert_eq(copr_count(NULL), g_n);
	copr_out o;
	copr_index_g7(&o);
	expect_g7(&o, "index scan g = 7");
	copr_select_g7(&o);
	expect_g7(&o, "selection g = 7");
	scan_rows(true, 100);
	batch_get_all();
}

/* ---- READ COMMITTED transactions ------------------------------------------------------ */

/* A READ COMMITTED txn reads at its statement's ts: it must check locks as
 * a snapshot read does (the store's RC level would skip them and miss every
 * row still locked). */
Test(unresolved, read_committed_reads)
{
	load_unresolved(N_SMALL, true);
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.isolation = KV_ISO_RC;
	o.mode = KV_TXN_PESSIMISTIC;
	kv_txn *t;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	cm_buf k;
	cm_buf_init(&k);
	/* point reads */
	for (int64_t h = 1; h < g_n; h += 501) {
		row_key(&k, h);
		kv_value v;
		cr_assert_eq(kv_txn_get(t, g_a, (uint8_t *) k.data, k.len, &v, &err), KV_OK, "get: %s",
					 err.message ? err.message : "");
		cr_assert(v.found, "READ COMMITTED get of row %lld: not found", (long long) h);
		check_row(v.data, v.len, h);
	}
	/* index range g = 7, then the rows */
	cr_assert_eq(kv_txn_stmt_begin(t, &err), KV_OK);
	kv_key_range kr = index_range_g(7);
	kv_iter_options io = {kr.start.data, kr.start.len, kr.end.data, kr.end.len, false, true, 0};
	kv_iter *it;
	cr_assert_eq(kv_txn_iter(t, &io, &it, &err), KV_OK, "iter: %s", err.message ? err.message : "");
	int64_t n = 0;
	while (kv_iter_valid(it)) {
		n++;
		cr_assert_eq(kv_iter_next(it, &err), KV_OK, "next: %s", err.message ? err.message : "");
	}
	kv_iter_close(it);
	int64_t want = (g_n - 7 + GMOD - 1) / GMOD;
	cr_assert_eq(n, want, "READ COMMITTED index scan g = 7: %lld entries, want %lld",
				 (long long) n, (long long) want);
	ProtobufCBinaryData keys[64];
	kv_value vals[64];
	for (int i = 0; i < 64; i++) {
		row_key(&k, 7 + GMOD * i);
		keys[i] = (ProtobufCBinaryData){k.len, cm_memdup(g_a, k.data, k.len)};
	}
	cr_assert_eq(kv_txn_batch_get(t, g_a, keys, 64, vals, &err), KV_OK, "batch get: %s",
				 err.message ? err.message : "");
	for (int i = 0; i < 64; i++) {
		cr_assert(vals[i].found, "READ COMMITTED batch get of row %d: not found", 7 + GMOD * i);
		check_row(vals[i].data, vals[i].len, 7 + GMOD * i);
	}
	cm_buf_free(&k);
	cr_assert_eq(kv_txn_rollback(t, &err), KV_OK);
	kv_txn_free(t);
}

/* ---- the store: whole-region requests on a region that is not the first -------------- */

static void
ctx_for(const cm_buf *key, Kvrpcpb__Context *ctx, Metapb__RegionEpoch *ep)
{
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, (uint8_t *) key->data, key->len, &reg, &err), CM_OK);
	cr_assert(reg->start_key.len > 0, "an inner region");
	kv_context_for_region(ctx, ep, reg);
	kv_region_free(reg);
}

/* ResolveLock without keys resolves the txn's locks of the whole region,
 * and ScanLock with an empty start key scans from the region's start: both
 * on a region that does not start at -inf. */
Test(unresolved, store_whole_region_requests)
{
	split_row(100);
	split_row(200);
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.test_leave_secondaries = 1;
	kv_txn *t;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	for (int64_t h = 0; h < 300; h++) {
		row_key(&k, h);
		row_value(&v, h);
		cr_assert_eq(kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err),
					 KV_OK);
	}
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK);
	uint64_t start = kv_txn_start_ts(t), commit = kv_txn_commit_ts(t);
	kv_txn_free(t);
	cr_assert_eq(count_locks(), 299);

	row_key(&k, 150);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	metapb__region_epoch__init(&ep);
	ctx_for(&k, &ctx, &ep);
	Kvrpcpb__ScanLockRequest sl = KVRPCPB__SCAN_LOCK_REQUEST__INIT;
	sl.context = &ctx;
	sl.max_version = commit;
	Kvrpcpb__ScanLockResponse slr = KVRPCPB__SCAN_LOCK_RESPONSE__INIT;
	cr_assert_eq(kv_store_scan_lock(g_s, &sl, &slr, &err), CM_OK);
	cr_assert_null(slr.region_error, "ScanLock: %s", slr.region_error->message);
	cr_assert_eq(slr.n_locks, 100, "ScanLock of the region: %zu locks", slr.n_locks);
	kv_store_response_clear(&slr.base);

	Kvrpcpb__ResolveLockRequest rl = KVRPCPB__RESOLVE_LOCK_REQUEST__INIT;
	rl.context = &ctx;
	rl.start_version = start;
	rl.commit_version = commit;
	Kvrpcpb__ResolveLockResponse rlr = KVRPCPB__RESOLVE_LOCK_RESPONSE__INIT;
	cr_assert_eq(kv_store_resolve_lock(g_s, &rl, &rlr, &err), CM_OK);
	cr_assert_null(rlr.region_error, "ResolveLock: %s", rlr.region_error->message);
	cr_assert_null(rlr.error);
	kv_store_response_clear(&rlr.base);
	cr_assert_eq(count_locks(), 199, "the region's 100 locks are committed");
	cm_buf_free(&k);
	cm_buf_free(&v);
}
