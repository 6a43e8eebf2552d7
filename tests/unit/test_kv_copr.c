/*
 * test_kv_copr.c -- the coprocessor end to end: DAG requests built with
 * kv/copr/kv_copr_dag.h, run by the embedded store (kv/embedded/kve_copr*.c)
 * through the client iterator (kv/copr/kv_copr.c), compared with a naive
 * evaluation in plain C over the same random rows.
 *
 * Table 100: h int8 handle (col 1), c1 int4 (2), c2 int8 (3), c3 float8 (4),
 * c4 text (5), c5 numeric(10,2) (6), c6 date (7); every non-handle column is
 * NULL in about 1 row of 8.  Index 1 on c1 (non-unique).  Each test opens a
 * store in its own temporary directory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
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
#include "sql/sem/sem_numeric.h"

#define TID 100
#define SIG(x) TIPB__SCALAR_FUNC_SIG__##x

/* ---- fixture ------------------------------------------------------------------ */

static char g_dir[64];
static kv_store *g_s;
static kv_client *g_c;
static kv_copr_pool *g_pool;
static cm_arena *g_a;

typedef struct trow {
	int64_t h;
	bool n1, n2, n3, n4, n5, n6;
	int32_t c1;
	int64_t c2;
	double c3;
	char c4[12];
	int64_t c5; /* cents */
	int32_t c6; /* days since 2000-01-01 */
} trow;

static trow *g_rows;
static size_t g_n;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb, (void) flag, (void) ftw;
	return remove(path);
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_copr_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	o.sync_wal = false;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK);
	kv_client_options co;
	kv_client_options_init(&co);
	co.heartbeat_thread = false;
	cr_assert_eq(kv_client_new(g_s, &co, &g_c, &err), KV_OK);
	g_pool = kv_copr_pool_new(2);
	cr_assert_not_null(g_pool);
	g_a = cm_arena_create(0);
	g_rows = NULL;
	g_n = 0;
}

static void
teardown(void)
{
	kv_copr_pool_free(g_pool);
	kv_client_free(g_c);
	kv_store_close(g_s);
	cm_arena_destroy(g_a);
	free(g_rows);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t
tso(void)
{
	uint64_t t;
	cm_error err = {0};
	cr_assert_eq(kv_store_get_ts(g_s, 1, &t, &err), CM_OK);
	return t;
}

/* ---- types and data ------------------------------------------------------------ */

static kv_copr_ftype
ft_of(sem_oid oid, int32_t typmod)
{
	kv_copr_ftype ft;
	cm_error err = {0};
	sem_type t = {oid, typmod};
	cr_assert_eq(kv_copr_ftype_of(t, &ft, &err), CM_OK);
	return ft;
}

#define FT_I4 ft_of(SEM_INT4OID, -1)
#define FT_I8 ft_of(SEM_INT8OID, -1)
#define FT_F8 ft_of(SEM_FLOAT8OID, -1)
#define FT_TXT ft_of(SEM_TEXTOID, -1)
#define FT_NUM ft_of(SEM_NUMERICOID, sem_num_typmod(10, 2))
#define FT_DATE ft_of(SEM_DATEOID, -1)
#define FT_BOOL ft_of(SEM_BOOLOID, -1)

static uint64_t g_rng = 88172645463325252ull;
static uint64_t
rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

static void
gen_rows(size_t n, int64_t first)
{
	g_rows = realloc(g_rows, sizeof(trow) * (g_n + n));
	for (size_t i = 0; i < n; i++) {
		trow *r = &g_rows[g_n + i];
		memset(r, 0, sizeof *r);
		r->h = first + (int64_t) i;
		r->n1 = rnd() % 8 == 0;
		r->n2 = rnd() % 8 == 0;
		r->n3 = rnd() % 8 == 0;
		r->n4 = rnd() % 8 == 0;
		r->n5 = rnd() % 8 == 0;
		r->n6 = rnd() % 8 == 0;
		r->c1 = (int32_t) (rnd() % 2001) - 1000;
		r->c2 = (int64_t) (rnd() % 2000000000001ull) - 1000000000000ll;
		r->c3 = (double) ((int64_t) (rnd() % 200001) - 100000) / 16.0;
		int len = 1 + (int) (rnd() % 6);
		for (int k = 0; k < len; k++)
			r->c4[k] = (char) ('a' + rnd() % 4);
		r->c5 = (int64_t) (rnd() % 2000001) - 1000000;
		r->c6 = (int32_t) (rnd() % 20000) - 5000;
	}
	g_n += n;
}

static void
row_key(cm_buf *b, int64_t h)
{
	cm_buf_reset(b);
	kv_record_key(b, TID, h);
}

static void
encode_row(const trow *r, cm_buf *key, cm_buf *val)
{
	cm_error err = {0};
	row_key(key, r->h);
	cm_buf_reset(val);
	int64_t ids[6] = {2, 3, 4, 5, 6, 7};
	kv_datum d[6];
	d[0] = r->n1 ? kv_datum_null() : kv_datum_int(r->c1);
	d[1] = r->n2 ? kv_datum_null() : kv_datum_int(r->c2);
	d[2] = r->n3 ? kv_datum_null() : kv_datum_float(r->c3);
	d[3] = r->n4 ? kv_datum_null() : kv_datum_bytes(r->c4, strlen(r->c4));
	char num[32];
	snprintf(num, sizeof num, "%s%lld.%02lld", r->c5 < 0 ? "-" : "",
			 (long long) (llabs(r->c5) / 100), (long long) (llabs(r->c5) % 100));
	d[4] = r->n5 ? kv_datum_null() : kv_datum_decimal(num, strlen(num), 10, 2);
	sem_datum sd = {.isnull = r->n6};
	sd.v.i = r->c6;
	sem_type dt = {SEM_DATEOID, -1};
	cr_assert_eq(kv_copr_sem_to_kvdatum(dt, &sd, g_a, &d[5], &err), CM_OK);
	cr_assert_eq(kv_row_encode(val, ids, d, 6, &err), CM_OK, "%s", err.message);
}

/* Write rows [from, to) of g_rows (+ index 1 entries) in transactions. */
static void
write_rows(size_t from, size_t to, bool with_index)
{
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_error err = {0};
	for (size_t i = from; i < to;) {
		kv_txn *t;
		cr_assert_eq(kv_txn_begin(g_c, NULL, &t, &err), KV_OK);
		for (size_t j = 0; j < 500 && i < to; j++, i++) {
			encode_row(&g_rows[i], &k, &v);
			cr_assert_eq(kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len,
									&err),
						 KV_OK);
			if (with_index) {
				cm_buf_reset(&k);
				kv_datum d = g_rows[i].n1 ? kv_datum_null() : kv_datum_int(g_rows[i].c1);
				kv_handle h = kv_handle_int(g_rows[i].h);
				cr_assert_eq(kv_index_key(&k, TID, 1, &d, 1, &h, &err), CM_OK);
				cm_buf_reset(&v);
				kv_index_value_nonunique(&v);
				cr_assert_eq(kv_txn_set(t, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len,
										&err),
							 KV_OK);
			}
		}
		cr_assert_eq(kv_txn_commit(t, &err), KV_OK, "%s", err.message);
		kv_txn_free(t);
	}
	cm_buf_free(&k);
	cm_buf_free(&v);
}

static void
load(size_t n, bool with_index)
{
	gen_rows(n, 0);
	write_rows(0, n, with_index);
}

static void
split_at_handle(int64_t h)
{
	cm_buf k;
	cm_buf_init(&k);
	row_key(&k, h);
	cm_error err = {0};
	cr_assert_eq(kve_split_region(g_s, (uint8_t *) k.data, k.len, &err), CM_OK);
	cm_buf_free(&k);
}

/* ---- DAG pieces ------------------------------------------------------------------- */

static Tipb__ColumnInfo **
table_cols(void)
{
	Tipb__ColumnInfo **c = cm_alloc(g_a, sizeof(Tipb__ColumnInfo *) * 7);
	kv_copr_ftype f[7] = {FT_I8, FT_I4, FT_I8, FT_F8, FT_TXT, FT_NUM, FT_DATE};
	for (int i = 0; i < 7; i++)
		c[i] = kv_copr_pb_column(g_a, i + 1, &f[i], i == 0, NULL, 0);
	return c;
}

static void
dag_scan(kv_copr_dag *d, bool chunk, bool desc)
{
	kv_copr_dag_init(d, g_a, chunk);
	kv_copr_dag_table_scan(d, TID, table_cols(), 7, desc);
}

static Tipb__Expr *
col(int i, kv_copr_ftype ft)
{
	return kv_copr_pb_col(g_a, i, &ft);
}

/* ---- running ------------------------------------------------------------------------- */

typedef struct res {
	size_t n, ncols, cap;
	sem_datum *d;
	const kv_copr_col *cols;
} res;

static sem_datum *
cell(res *r, size_t row, size_t c)
{
	return &r->d[row * r->ncols + c];
}

static void
keep(res *r, const kv_copr_chunk *ch)
{
	if (!r->cols) {
		/* the schema belongs to the iterator: keep a copy */
		r->cols = cm_memdup(g_a, ch->cols, sizeof(kv_copr_col) * (ch->ncols ? ch->ncols : 1));
	}
	r->ncols = ch->ncols;
	for (size_t i = 0; i < ch->nrows; i++) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 256;
			sem_datum *nd = cm_alloc(g_a, sizeof(sem_datum) * r->cap * (r->ncols ? r->ncols : 1));
			if (r->n)
				memcpy(nd, r->d, sizeof(sem_datum) * r->n * r->ncols);
			r->d = nd;
		}
		for (size_t c = 0; c < ch->ncols; c++) {
			sem_datum v = ch->col[c][i];
			sem_oid t = ch->cols[c].st.oid;
			if (!v.isnull && (t == SEM_TEXTOID || t == SEM_BYTEAOID))
				v.v.s.p = cm_memdup(g_a, v.v.s.p, v.v.s.len ? v.v.s.len : 1);
			if (!v.isnull && t == SEM_NUMERICOID)
				v.v.num = cm_memdup(g_a, v.v.num,
									sizeof(sem_numeric) + 8 * (size_t) v.v.num->nlimbs);
			*cell(r, r->n, c) = v;
		}
		r->n++;
	}
}

static void
whole_table(kv_key_range *kr)
{
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	kv_record_range(&s, &e, TID);
	kr->start.data = cm_memdup(g_a, s.data, s.len);
	kr->start.len = s.len;
	kr->end.data = cm_memdup(g_a, e.data, e.len);
	kr->end.len = e.len;
	cm_buf_free(&s);
	cm_buf_free(&e);
}

static kv_copr_request
req_for(kv_copr_dag *d, kv_key_range *kr, bool keep_order)
{
	kv_copr_request q;
	memset(&q, 0, sizeof q);
	q.dag = &d->req;
	q.ranges = kr;
	q.n_ranges = 1;
	q.start_ts = tso();
	q.keep_order = keep_order;
	return q;
}

static cm_status
run_req(kv_copr_request *q, res *out, cm_error *err, kv_copr_stats *st)
{
	memset(out, 0, sizeof *out);
	kv_copr_iter *it;
	if (kv_copr_open(g_c, g_pool, q, &it, err) != CM_OK)
		return CM_ERROR;
	cm_status rc;
	kv_copr_chunk ch;
	while ((rc = kv_copr_next(it, &ch, err)) == CM_OK)
		keep(out, &ch);
	if (st)
		kv_copr_get_stats(it, st);
	kv_copr_close(it);
	return rc == CM_CLOSED ? CM_OK : rc;
}

static void
run(kv_copr_dag *d, bool keep_order, res *out)
{
	kv_key_range kr;
	whole_table(&kr);
	kv_copr_request q = req_for(d, &kr, keep_order);
	q.desc = d->req.executors[0]->tbl_scan && d->req.executors[0]->tbl_scan->desc;
	cm_error err = {0};
	cr_assert_eq(run_req(&q, out, &err, NULL), CM_OK, "copr: %s %s", err.code,
				 err.message ? err.message : "");
}

static int64_t
num_cents(const sem_numeric *n)
{
	char *s = sem_num_to_cstring(g_a, n);
	bool neg = s[0] == '-';
	char *dot = strchr(s, '.');
	int64_t ip = llabs(strtoll(s, NULL, 10));
	int64_t fp = 0;
	if (dot) {
		char f[3] = {'0', '0', 0};
		for (int i = 0; i < 2 && dot[1 + i]; i++)
			f[i] = dot[1 + i];
		fp = strtoll(f, NULL, 10);
	}
	int64_t v = ip * 100 + fp;
	return neg ? -v : v;
}

static int64_t
num_int(const sem_numeric *n)
{
	return strtoll(sem_num_to_cstring(g_a, n), NULL, 10);
}

/* ---- tests ------------------------------------------------------------------------------ */

TestSuite(copr, .init = setup, .fini = teardown, .timeout = 120);

Test(copr, filter_matches_naive)
{
	load(3000, false);
	split_at_handle(1000);
	split_at_handle(2200);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_ftype bo = FT_BOOL;
	/* c1 > 100 AND c4 LIKE 'a%' ; OR-branch: c2 IN (..) OR c3 IS NULL */
	Tipb__Expr *like_args[3] = {col(4, FT_TXT), kv_copr_pb_string(g_a, "a%", 2, NULL),
								kv_copr_pb_int(g_a, '\\', NULL)};
	Tipb__Expr *c_and = kv_copr_pb_func2(
		g_a, SIG(LogicalAnd), &bo,
		kv_copr_pb_func2(g_a, SIG(GTInt), &bo, col(1, FT_I4), kv_copr_pb_int(g_a, 100, NULL)),
		kv_copr_pb_func(g_a, SIG(LikeSig), &bo, 3, like_args));
	Tipb__Expr *in_args[4] = {col(2, FT_I8), kv_copr_pb_int(g_a, g_rows[5].c2, NULL),
							  kv_copr_pb_int(g_a, g_rows[2500].c2, NULL),
							  kv_copr_pb_int(g_a, 7, NULL)};
	Tipb__Expr *c_or = kv_copr_pb_func2(
		g_a, SIG(LogicalOr), &bo, kv_copr_pb_func(g_a, SIG(InInt), &bo, 4, in_args),
		kv_copr_pb_func(g_a, SIG(RealIsNull), &bo, 1, (Tipb__Expr *[]){col(3, FT_F8)}));
	Tipb__Expr *conds[1] = {kv_copr_pb_func2(g_a, SIG(LogicalOr), &bo, c_and, c_or)};
	kv_copr_dag_selection(&d, conds, 1);
	uint32_t offs[2] = {0, 1};
	kv_copr_dag_output(&d, offs, 2);
	res r;
	run(&d, true, &r);
	size_t k = 0;
	for (size_t i = 0; i < g_n; i++) {
		trow *t = &g_rows[i];
		bool a = !t->n1 && t->c1 > 100 && !t->n4 && t->c4[0] == 'a';
		bool b = (!t->n2 && (t->c2 == g_rows[5].c2 || t->c2 == g_rows[2500].c2 || t->c2 == 7)) ||
				 t->n3;
		if (!(a || b))
			continue;
		cr_assert(k < r.n, "missing rows");
		cr_assert_eq(cell(&r, k, 0)->v.i, t->h, "row %zu: handle %lld want %lld", k,
					 (long long) cell(&r, k, 0)->v.i, (long long) t->h);
		cr_assert_eq(cell(&r, k, 1)->isnull, t->n1);
		if (!t->n1)
			cr_assert_eq(cell(&r, k, 1)->v.i, t->c1);
		k++;
	}
	cr_assert_eq(k, r.n, "expected %zu rows, got %zu", k, r.n);
	cr_assert(r.n > 0);
}

Test(copr, aggregates_with_nulls)
{
	load(2500, false);
	split_at_handle(800);
	split_at_handle(1700);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	Tipb__Expr *aggs[8] = {
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, kv_copr_pb_int(g_a, 1, NULL)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, col(1, FT_I4)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Sum, NULL, col(1, FT_I4)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Sum, NULL, col(2, FT_I8)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Min, NULL, col(3, FT_F8)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Max, NULL, col(4, FT_TXT)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Avg, NULL, col(5, FT_NUM)),
		kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Min, NULL, col(6, FT_DATE)),
	};
	kv_copr_dag_aggregation(&d, NULL, 0, aggs, 8, false);
	res r;
	run(&d, false, &r);
	cr_assert_eq(r.ncols, 9);
	cr_assert_eq(r.n, 3, "one partial row per region, got %zu", r.n);
	cr_assert_eq(r.cols[2].st.oid, SEM_INT8OID, "sum(int4) is int8");
	cr_assert_eq(r.cols[3].st.oid, SEM_NUMERICOID, "sum(int8) is numeric");
	cr_assert_eq(r.cols[7].st.oid, SEM_NUMERICOID, "avg sum column");
	/* merge partials */
	int64_t cnt = 0, cnt1 = 0, sum1 = 0, sum2 = 0, avgc = 0, avgs = 0;
	bool has1 = false, has2 = false, hasmin = false, hasmax = false, hasd = false;
	double mn = 0;
	char mx[16] = "";
	int64_t mind = 0;
	for (size_t i = 0; i < r.n; i++) {
		cnt += cell(&r, i, 0)->v.i;
		cnt1 += cell(&r, i, 1)->v.i;
		if (!cell(&r, i, 2)->isnull)
			sum1 += cell(&r, i, 2)->v.i, has1 = true;
		if (!cell(&r, i, 3)->isnull)
			sum2 += num_int(cell(&r, i, 3)->v.num), has2 = true;
		if (!cell(&r, i, 4)->isnull && (!hasmin || cell(&r, i, 4)->v.f < mn))
			mn = cell(&r, i, 4)->v.f, hasmin = true;
		sem_datum *x = cell(&r, i, 5);
		if (!x->isnull) {
			char s[16];
			snprintf(s, sizeof s, "%.*s", (int) x->v.s.len, x->v.s.p);
			if (!hasmax || strcmp(s, mx) > 0)
				strcpy(mx, s), hasmax = true;
		}
		avgc += cell(&r, i, 6)->v.i;
		if (!cell(&r, i, 7)->isnull)
			avgs += num_cents(cell(&r, i, 7)->v.num);
		if (!cell(&r, i, 8)->isnull && (!hasd || cell(&r, i, 8)->v.i < mind))
			mind = cell(&r, i, 8)->v.i, hasd = true;
	}
	/* naive */
	int64_t e_cnt1 = 0, e_sum1 = 0, e_sum2 = 0, e_avgc = 0, e_avgs = 0, e_mind = INT64_MAX;
	double e_mn = INFINITY;
	char e_mx[16] = "";
	for (size_t i = 0; i < g_n; i++) {
		trow *t = &g_rows[i];
		if (!t->n1)
			e_cnt1++, e_sum1 += t->c1;
		if (!t->n2)
			e_sum2 += t->c2;
		if (!t->n3 && t->c3 < e_mn)
			e_mn = t->c3;
		if (!t->n4 && strcmp(t->c4, e_mx) > 0)
			strcpy(e_mx, t->c4);
		if (!t->n5)
			e_avgc++, e_avgs += t->c5;
		if (!t->n6 && t->c6 < e_mind)
			e_mind = t->c6;
	}
	cr_assert_eq(cnt, (int64_t) g_n);
	cr_assert_eq(cnt1, e_cnt1);
	cr_assert(has1 && has2 && hasmin && hasmax && hasd);
	cr_assert_eq(sum1, e_sum1);
	cr_assert_eq(sum2, e_sum2);
	cr_assert_eq(mn, e_mn);
	cr_assert_str_eq(mx, e_mx);
	cr_assert_eq(avgc, e_avgc);
	cr_assert_eq(avgs, e_avgs);
	cr_assert_eq(mind, e_mind);
}

Test(copr, aggregates_empty_input)
{
	load(10, false);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_ftype bo = FT_BOOL;
	Tipb__Expr *conds[1] = {kv_copr_pb_func2(g_a, SIG(LTInt), &bo, col(0, FT_I8),
											 kv_copr_pb_int(g_a, -5, NULL))};
	kv_copr_dag_selection(&d, conds, 1);
	Tipb__Expr *aggs[2] = {kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, NULL),
						   kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Sum, NULL, col(1, FT_I4))};
	kv_copr_dag_aggregation(&d, NULL, 0, aggs, 2, false);
	res r;
	run(&d, false, &r);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(cell(&r, 0, 0)->v.i, 0);
	cr_assert(cell(&r, 0, 1)->isnull, "sum of nothing is NULL");
}

typedef struct grp {
	bool null;
	int64_t key;
	int64_t cnt;
	int64_t sum2;
	bool has2;
	double max3;
	bool has3;
} grp;

static grp *
grp_find(grp *g, size_t *n, bool null, int64_t key)
{
	for (size_t i = 0; i < *n; i++)
		if (g[i].null == null && (null || g[i].key == key))
			return &g[i];
	memset(&g[*n], 0, sizeof g[*n]);
	g[*n].null = null;
	g[*n].key = key;
	return &g[(*n)++];
}

static void
group_by_case(bool streamed)
{
	load(2000, false);
	split_at_handle(700);
	split_at_handle(1400);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_ftype i4 = FT_I4;
	Tipb__Expr *gby[1] = {
		kv_copr_pb_func2(g_a, SIG(ModInt), &i4, col(1, FT_I4), kv_copr_pb_int(g_a, 7, &i4))};
	Tipb__Expr *aggs[3] = {kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Count, NULL, NULL),
						   kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Sum, NULL, col(2, FT_I8)),
						   kv_copr_pb_agg(g_a, TIPB__EXPR_TYPE__Max, NULL, col(3, FT_F8))};
	kv_copr_dag_aggregation(&d, gby, 1, aggs, 3, streamed);
	res r;
	run(&d, false, &r);
	cr_assert_eq(r.ncols, 4);
	grp got[64], want[64];
	size_t ng = 0, nw = 0;
	for (size_t i = 0; i < r.n; i++) {
		sem_datum *k = cell(&r, i, 3);
		grp *g = grp_find(got, &ng, k->isnull, k->isnull ? 0 : k->v.i);
		g->cnt += cell(&r, i, 0)->v.i;
		if (!cell(&r, i, 1)->isnull)
			g->sum2 += num_int(cell(&r, i, 1)->v.num), g->has2 = true;
		if (!cell(&r, i, 2)->isnull && (!g->has3 || cell(&r, i, 2)->v.f > g->max3))
			g->max3 = cell(&r, i, 2)->v.f, g->has3 = true;
	}
	for (size_t i = 0; i < g_n; i++) {
		trow *t = &g_rows[i];
		grp *g = grp_find(want, &nw, t->n1, t->n1 ? 0 : t->c1 % 7);
		g->cnt++;
		if (!t->n2)
			g->sum2 += t->c2, g->has2 = true;
		if (!t->n3 && (!g->has3 || t->c3 > g->max3))
			g->max3 = t->c3, g->has3 = true;
	}
	cr_assert_eq(ng, nw, "groups: got %zu want %zu", ng, nw);
	for (size_t i = 0; i < nw; i++) {
		grp *g = grp_find(got, &ng, want[i].null, want[i].key);
		cr_assert_eq(ng, nw, "group %lld missing", (long long) want[i].key);
		cr_assert_eq(g->cnt, want[i].cnt);
		cr_assert_eq(g->has2, want[i].has2);
		cr_assert_eq(g->sum2, want[i].sum2);
		cr_assert_eq(g->max3, want[i].max3);
	}
}

Test(copr, group_by_hash)
{
	group_by_case(false);
}

Test(copr, group_by_stream)
{
	group_by_case(true);
}

/* PostgreSQL order: c3 DESC (NULLs first), h ASC */
static int
topn_cmp(const void *a, const void *b)
{
	const trow *x = a, *y = b;
	if (x->n3 != y->n3)
		return x->n3 ? -1 : 1;
	if (!x->n3 && x->c3 != y->c3)
		return x->c3 > y->c3 ? -1 : 1;
	return x->h < y->h ? -1 : x->h > y->h;
}

Test(copr, topn_matches_naive)
{
	load(3000, false);
	split_at_handle(1000);
	split_at_handle(2000);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	Tipb__Expr *keys[2] = {col(3, FT_F8), col(0, FT_I8)};
	bool desc[2] = {true, false};
	kv_copr_dag_topn(&d, keys, desc, 2, 15);
	uint32_t offs[2] = {0, 3};
	kv_copr_dag_output(&d, offs, 2);
	res r;
	run(&d, false, &r);
	cr_assert_eq(r.n, 45, "15 per region");
	trow *got = calloc(r.n, sizeof(trow));
	for (size_t i = 0; i < r.n; i++) {
		got[i].h = cell(&r, i, 0)->v.i;
		got[i].n3 = cell(&r, i, 1)->isnull;
		got[i].c3 = cell(&r, i, 1)->v.f;
	}
	qsort(got, r.n, sizeof(trow), topn_cmp);
	trow *all = malloc(sizeof(trow) * g_n);
	memcpy(all, g_rows, sizeof(trow) * g_n);
	qsort(all, g_n, sizeof(trow), topn_cmp);
	for (int i = 0; i < 15; i++)
		cr_assert_eq(got[i].h, all[i].h, "rank %d: %lld want %lld", i, (long long) got[i].h,
					 (long long) all[i].h);
	cr_assert(all[0].n3, "NULLs sort first in DESC");
	free(got);
	free(all);
}

Test(copr, limit_and_keep_order)
{
	load(1500, false);
	split_at_handle(300);
	split_at_handle(600);
	split_at_handle(900);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_dag_limit(&d, 7);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	res r;
	run(&d, true, &r);
	cr_assert_eq(r.n, 28, "7 per region task");
	for (int i = 0; i < 7; i++)
		cr_assert_eq(cell(&r, (size_t) i, 0)->v.i, i);
	for (size_t i = 1; i < r.n; i++)
		cr_assert(cell(&r, i, 0)->v.i > cell(&r, i - 1, 0)->v.i, "keep_order");
}

static void
check_order(bool desc, bool chunk)
{
	load(2000, false);
	for (int h = 100; h < 2000; h += 150)
		split_at_handle(h);
	kv_copr_dag d;
	dag_scan(&d, chunk, desc);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	res r;
	run(&d, true, &r);
	cr_assert_eq(r.n, g_n);
	for (size_t i = 0; i < r.n; i++)
		cr_assert_eq(cell(&r, i, 0)->v.i, desc ? (int64_t) (g_n - 1 - i) : (int64_t) i,
					 "position %zu", i);
}

Test(copr, keep_order_asc)
{
	check_order(false, true);
}

Test(copr, keep_order_desc)
{
	check_order(true, true);
}

Test(copr, unordered_covers_everything)
{
	load(2000, false);
	for (int h = 100; h < 2000; h += 150)
		split_at_handle(h);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	res r;
	run(&d, false, &r);
	cr_assert_eq(r.n, g_n);
	char *seen = calloc(g_n, 1);
	for (size_t i = 0; i < r.n; i++) {
		int64_t h = cell(&r, i, 0)->v.i;
		cr_assert(h >= 0 && (size_t) h < g_n && !seen[h]);
		seen[h] = 1;
	}
	free(seen);
}

static void
projection_case(bool chunk)
{
	load(1200, false);
	split_at_handle(600);
	kv_copr_dag d;
	dag_scan(&d, chunk, false);
	kv_copr_ftype i8 = FT_I8, f8 = FT_F8, num = ft_of(SEM_NUMERICOID, -1), bo = FT_BOOL;
	Tipb__Expr *ex[6] = {
		col(0, FT_I8),
		kv_copr_pb_func2(g_a, SIG(PlusInt), &i8, col(1, FT_I4), col(2, FT_I8)),
		kv_copr_pb_func2(g_a, SIG(MultiplyReal), &f8, col(3, FT_F8), kv_copr_pb_float(g_a, 2.0, NULL)),
		kv_copr_pb_func2(g_a, SIG(PlusDecimal), &num, col(5, FT_NUM), col(5, FT_NUM)),
		kv_copr_pb_func(g_a, SIG(StringIsNull), &bo, 1, (Tipb__Expr *[]){col(4, FT_TXT)}),
		col(6, FT_DATE),
	};
	kv_copr_dag_projection(&d, ex, 6);
	res r;
	run(&d, true, &r);
	cr_assert_eq(r.n, g_n);
	cr_assert_eq(r.cols[4].st.oid, SEM_BOOLOID);
	for (size_t i = 0; i < r.n; i++) {
		trow *t = &g_rows[i];
		cr_assert_eq(cell(&r, i, 0)->v.i, t->h);
		cr_assert_eq(cell(&r, i, 1)->isnull, t->n1 || t->n2);
		if (!t->n1 && !t->n2)
			cr_assert_eq(cell(&r, i, 1)->v.i, t->c1 + t->c2);
		cr_assert_eq(cell(&r, i, 2)->isnull, t->n3);
		if (!t->n3)
			cr_assert_eq(cell(&r, i, 2)->v.f, t->c3 * 2.0);
		cr_assert_eq(cell(&r, i, 3)->isnull, t->n5);
		if (!t->n5)
			cr_assert_eq(num_cents(cell(&r, i, 3)->v.num), 2 * t->c5);
		cr_assert_eq(cell(&r, i, 4)->v.b, t->n4);
		cr_assert_eq(cell(&r, i, 5)->isnull, t->n6);
		if (!t->n6)
			cr_assert_eq(cell(&r, i, 5)->v.i, t->c6);
	}
}

Test(copr, projection_chunk)
{
	projection_case(true);
}

Test(copr, projection_type_default)
{
	projection_case(false);
}

Test(copr, index_scan)
{
	load(1000, true);
	kv_copr_dag d;
	kv_copr_dag_init(&d, g_a, true);
	kv_copr_ftype i4 = FT_I4, i8 = FT_I8;
	Tipb__ColumnInfo *cols[2] = {kv_copr_pb_column(g_a, 2, &i4, false, NULL, 0),
								 kv_copr_pb_column(g_a, 1, &i8, true, NULL, 0)};
	kv_copr_dag_index_scan(&d, TID, 1, cols, 2, false, false);
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	kv_index_range(&s, &e, TID, 1);
	kv_key_range kr = {{s.len, (uint8_t *) s.data}, {e.len, (uint8_t *) e.data}};
	kv_copr_request q = req_for(&d, &kr, true);
	res r;
	cm_error err = {0};
	cr_assert_eq(run_req(&q, &r, &err, NULL), CM_OK, "%s", err.message);
	cm_buf_free(&s);
	cm_buf_free(&e);
	cr_assert_eq(r.n, g_n);
	char *seen = calloc(g_n, 1);
	for (size_t i = 0; i < r.n; i++) {
		int64_t h = cell(&r, i, 1)->v.i;
		trow *t = &g_rows[h];
		cr_assert(!seen[h]);
		seen[h] = 1;
		cr_assert_eq(cell(&r, i, 0)->isnull, t->n1);
		if (!t->n1)
			cr_assert_eq(cell(&r, i, 0)->v.i, t->c1);
		if (i > 0) {
			sem_datum *p = cell(&r, i - 1, 0), *c = cell(&r, i, 0);
			cr_assert(p->isnull || (!c->isnull && p->v.i <= c->v.i), "index order");
		}
	}
	free(seen);
}

Test(copr, region_splits_during_scan)
{
	load(6000, false);
	split_at_handle(1000);
	split_at_handle(2000);
	split_at_handle(4000);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	kv_key_range kr;
	whole_table(&kr);
	kv_copr_request q = req_for(&d, &kr, true);
	q.concurrency = 1;
	q.max_buffered = 1;
	kv_copr_iter *it;
	cm_error err = {0};
	cr_assert_eq(kv_copr_open(g_c, g_pool, &q, &it, &err), CM_OK);
	res r;
	memset(&r, 0, sizeof r);
	kv_copr_chunk ch;
	cr_assert_eq(kv_copr_next(it, &ch, &err), CM_OK);
	keep(&r, &ch);
	/* split regions the iterator has not reached yet (and one it has) */
	split_at_handle(500);
	split_at_handle(2500);
	split_at_handle(3000);
	split_at_handle(3500);
	split_at_handle(5000);
	cm_status rc;
	int n = 0;
	while ((rc = kv_copr_next(it, &ch, &err)) == CM_OK) {
		keep(&r, &ch);
		if (++n == 2) {
			split_at_handle(5500);
			split_at_handle(4500);
		}
	}
	cr_assert_eq(rc, CM_CLOSED, "%s", err.message);
	kv_copr_stats st;
	kv_copr_get_stats(it, &st);
	kv_copr_close(it);
	cr_assert_eq(r.n, g_n, "rows %zu want %zu", r.n, g_n);
	for (size_t i = 0; i < r.n; i++)
		cr_assert_eq(cell(&r, i, 0)->v.i, (int64_t) i, "row %zu", i);
	cr_assert(st.region_retries > 0, "the scan met a stale epoch (retries %llu)",
			  (unsigned long long) st.region_retries);
}

/* ---- locks, deadline, cancel, errors ---------------------------------------------------- */

static void
raw_prewrite(const cm_buf *key, const cm_buf *val, uint64_t start_ts, uint64_t ttl)
{
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, (uint8_t *) key->data, key->len, &reg, &err), CM_OK);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	metapb__region_epoch__init(&ep);
	kv_context_for_region(&ctx, &ep, reg);
	kv_region_free(reg);
	Kvrpcpb__Mutation m = KVRPCPB__MUTATION__INIT;
	m.op = KVRPCPB__OP__Put;
	m.key = (ProtobufCBinaryData){key->len, (uint8_t *) key->data};
	m.value = (ProtobufCBinaryData){val->len, (uint8_t *) val->data};
	Kvrpcpb__Mutation *mp = &m;
	Kvrpcpb__PrewriteRequest req = KVRPCPB__PREWRITE_REQUEST__INIT;
	req.context = &ctx;
	req.mutations = &mp;
	req.n_mutations = 1;
	req.primary_lock = m.key;
	req.start_version = start_ts;
	req.lock_ttl = ttl;
	Kvrpcpb__PrewriteResponse resp = KVRPCPB__PREWRITE_RESPONSE__INIT;
	cr_assert_eq(kv_store_prewrite(g_s, &req, &resp, &err), CM_OK);
	cr_assert_null(resp.region_error);
	cr_assert_eq(resp.n_errors, 0);
	kv_store_response_clear(&resp.base);
}

/* Send d directly to the store for the whole table. */
static void
direct(kv_copr_dag *d, uint64_t ts, uint64_t max_ms, const uint64_t *resolved, size_t nres,
	   Coprocessor__Response *resp)
{
	kv_key_range kr;
	whole_table(&kr);
	Metapb__Region *reg;
	cm_error err = {0};
	cr_assert_eq(kv_store_region_by_key(g_s, kr.start.data, kr.start.len, &reg, &err), CM_OK);
	Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
	Metapb__RegionEpoch ep;
	metapb__region_epoch__init(&ep);
	kv_context_for_region(&ctx, &ep, reg);
	kv_region_free(reg);
	ctx.max_execution_duration_ms = max_ms;
	ctx.resolved_locks = (uint64_t *) resolved;
	ctx.n_resolved_locks = nres;
	Coprocessor__KeyRange r = COPROCESSOR__KEY_RANGE__INIT;
	r.start = kr.start;
	r.end = kr.end;
	Coprocessor__KeyRange *rp = &r;
	Coprocessor__Request req = COPROCESSOR__REQUEST__INIT;
	req.context = &ctx;
	req.tp = 103;
	req.data = kv_copr_dag_pack(d);
	req.ranges = &rp;
	req.n_ranges = 1;
	req.start_ts = ts;
	cr_assert_eq(kv_store_coprocessor(g_s, &req, resp, &err), CM_OK);
}

Test(copr, lock_below_start_ts_is_reported)
{
	load(100, false);
	gen_rows(1, 5000);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	encode_row(&g_rows[g_n - 1], &k, &v);
	uint64_t lts = tso();
	raw_prewrite(&k, &v, lts, 60000);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	Coprocessor__Response resp = COPROCESSOR__RESPONSE__INIT;
	direct(&d, tso(), 0, NULL, 0, &resp);
	cr_assert_not_null(resp.locked, "lock reported");
	cr_assert_eq(resp.locked->lock_version, lts);
	cr_assert_eq(resp.locked->key.len, k.len);
	cr_assert(memcmp(resp.locked->key.data, k.data, k.len) == 0);
	kv_store_response_clear(&resp.base);
	/* a lock above start_ts does not block */
	direct(&d, lts - 1, 0, NULL, 0, &resp);
	cr_assert_null(resp.locked);
	cr_assert(resp.data.len > 0);
	kv_store_response_clear(&resp.base);
	/* resolved_locks lets the reader bypass it */
	direct(&d, tso(), 0, &lts, 1, &resp);
	cr_assert_null(resp.locked);
	kv_store_response_clear(&resp.base);
	cm_buf_free(&k);
	cm_buf_free(&v);
}

Test(copr, client_resolves_expired_lock)
{
	load(300, false);
	gen_rows(1, 5000);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	encode_row(&g_rows[g_n - 1], &k, &v);
	raw_prewrite(&k, &v, tso(), 1);
	usleep(30000);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	uint32_t offs[1] = {0};
	kv_copr_dag_output(&d, offs, 1);
	kv_key_range kr;
	whole_table(&kr);
	kv_copr_request q = req_for(&d, &kr, true);
	res r;
	cm_error err = {0};
	kv_copr_stats st;
	cr_assert_eq(run_req(&q, &r, &err, &st), CM_OK, "%s", err.message);
	cr_assert_eq(r.n, 300, "the abandoned row is rolled back");
	cr_assert(st.lock_retries >= 1);
	cm_buf_free(&k);
	cm_buf_free(&v);
}

Test(copr, deadline_expiry)
{
	load(30000, false);
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_ftype bo = FT_BOOL;
	Tipb__Expr *conds[1] = {kv_copr_pb_func2(g_a, SIG(GTReal), &bo, col(3, FT_F8),
											 kv_copr_pb_float(g_a, 1e300, NULL))};
	kv_copr_dag_selection(&d, conds, 1);
	Coprocessor__Response resp = COPROCESSOR__RESPONSE__INIT;
	direct(&d, tso(), 1, NULL, 0, &resp);
	cr_assert_not_null(resp.other_error);
	cr_assert(strncmp(resp.other_error, "57014: ", 7) == 0, "%s", resp.other_error);
	kv_store_response_clear(&resp.base);
	/* without a deadline the same request succeeds */
	direct(&d, tso(), 0, NULL, 0, &resp);
	cr_assert(resp.other_error == NULL || resp.other_error[0] == 0);
	kv_store_response_clear(&resp.base);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

Test(copr, cancel_stops_promptly)
{
	load(8000, false);
	for (int h = 200; h < 8000; h += 200)
		split_at_handle(h);
	kv_region_cache_clear(kv_client_region_cache(g_c)); /* one task per region */
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_key_range kr;
	whole_table(&kr);
	kv_copr_request q = req_for(&d, &kr, true);
	atomic_int cancel = 0;
	q.cancel = &cancel;
	q.concurrency = 2;
	q.max_buffered = 2;
	kv_copr_iter *it;
	cm_error err = {0};
	cr_assert_eq(kv_copr_open(g_c, g_pool, &q, &it, &err), CM_OK);
	kv_copr_chunk ch;
	cr_assert_eq(kv_copr_next(it, &ch, &err), CM_OK);
	atomic_store(&cancel, 1);
	uint64_t t0 = mono_ms();
	cm_status rc;
	size_t more = 0;
	while ((rc = kv_copr_next(it, &ch, &err)) == CM_OK)
		more++;
	uint64_t el = mono_ms() - t0;
	cr_assert_eq(rc, CM_ERROR);
	cr_assert_str_eq(err.code, "57014");
	cm_error_clear(&err);
	cr_assert(el < 200, "cancel took %llu ms", (unsigned long long) el);
	cr_assert(more < 5, "%zu more chunks after cancel", more);
	kv_copr_stats st;
	kv_copr_get_stats(it, &st);
	kv_copr_close(it);
	cr_assert(st.requests < st.tasks, "not every task ran (%llu of %llu)",
			  (unsigned long long) st.requests, (unsigned long long) st.tasks);
}

static void
expect_eval_error(Tipb__Expr *e, const char *code)
{
	kv_copr_dag d;
	dag_scan(&d, true, false);
	kv_copr_dag_projection(&d, &e, 1);
	kv_key_range kr;
	whole_table(&kr);
	kv_copr_request q = req_for(&d, &kr, false);
	res r;
	cm_error err = {0};
	cr_assert_eq(run_req(&q, &r, &err, NULL), CM_ERROR);
	cr_assert_str_eq(err.code, code, "%s: %s", err.code, err.message);
	cm_error_clear(&err);
}

Test(copr, evaluation_errors_carry_sqlstate)
{
	load(200, false);
	kv_copr_ftype i4 = FT_I4, i8 = FT_I8;
	expect_eval_error(kv_copr_pb_func2(g_a, SIG(PlusInt), &i4, col(1, FT_I4),
									   kv_copr_pb_int(g_a, 2147483647, &i4)),
					  "22003");
	expect_eval_error(kv_copr_pb_func2(g_a, SIG(MultiplyInt), &i8, col(2, FT_I8),
									   kv_copr_pb_int(g_a, INT64_MAX / 2, NULL)),
					  "22003");
	expect_eval_error(kv_copr_pb_func2(g_a, SIG(IntDivideInt), &i4, col(1, FT_I4),
									   kv_copr_pb_int(g_a, 0, &i4)),
					  "22012");
	/* unsupported sig: other_error 0A000 */
	expect_eval_error(kv_copr_pb_func2(g_a, SIG(LTJson), NULL, col(1, FT_I4), col(1, FT_I4)),
					  "0A000");
}

Test(copr, error_text_round_trip)
{
	cm_error e = {0}, back = {0};
	cm_error_set(&e, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range");
	char *t = kv_copr_error_text(&e);
	cr_assert_str_eq(t, "22003: integer out of range");
	cr_assert_eq(kv_copr_error_parse(t, strlen(t), &back), CM_ERROR);
	cr_assert_str_eq(back.code, "22003");
	cr_assert_str_eq(back.message, "integer out of range");
	cm_error_clear(&back);
	cr_assert_eq(kv_copr_error_parse("boom", 4, &back), CM_ERROR);
	cr_assert_str_eq(back.code, "XX000");
	free(t);
	cm_error_clear(&e);
	cm_error_clear(&back);
}

Test(copr, type_mapping)
{
	struct {
		sem_oid oid;
		int32_t typmod;
	} cases[] = {{SEM_BOOLOID, -1},	   {SEM_INT2OID, -1},	 {SEM_INT4OID, -1},
				 {SEM_INT8OID, -1},	   {SEM_FLOAT4OID, -1},	 {SEM_FLOAT8OID, -1},
				 {SEM_NUMERICOID, -1}, {SEM_TEXTOID, -1},	 {SEM_BYTEAOID, -1},
				 {SEM_DATEOID, -1},	   {SEM_TIMESTAMPOID, 3}, {SEM_TIMESTAMPTZOID, -1},
				 {SEM_VARCHAROID, 14}, {SEM_BPCHAROID, 9}};
	cm_error err = {0};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sem_type t = {cases[i].oid, cases[i].typmod}, back;
		kv_copr_ftype ft;
		cr_assert_eq(kv_copr_ftype_of(t, &ft, &err), CM_OK);
		cr_assert_eq(kv_copr_sem_type_of(&ft, &back, &err), CM_OK);
		cr_assert_eq(back.oid, t.oid, "oid %u -> tp %d -> %u", t.oid, ft.tp, back.oid);
		cr_assert(kv_copr_chunk_encodable(&ft));
	}
	kv_copr_ftype json = {.tp = KV_TP_JSON};
	sem_type t;
	cr_assert_eq(kv_copr_sem_type_of(&json, &t, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "0A000");
	cm_error_clear(&err);
	int64_t y;
	int m, dd;
	kv_copr_civil_from_days(0, &y, &m, &dd);
	cr_assert(y == 2000 && m == 1 && dd == 1);
	cr_assert_eq(kv_copr_days_from_civil(1999, 12, 31), -1);
	cr_assert_eq(kv_copr_days_from_civil(2024, 3, 1) - kv_copr_days_from_civil(2024, 2, 28), 2);
}
