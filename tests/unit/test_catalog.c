/*
 * test_catalog.c -- sql/catalog against a temporary embedded store:
 * descriptor round trips, id allocation, bootstrap idempotence (and two
 * racing bootstraps), views and the version cache, DDL framing (abort
 * leaves nothing), sequences and hidden row ids, SCRAM verifiers, the row
 * codec for every type (NULLs, absent columns with missing values, large
 * values), index key ordering, table scans and point lookups.
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

#include "kv/codec/kv_tablecodec.h"
#include "kv/store.h"
#include "kv/txn/kv_txn.h"
#include "sql/catalog/cat_internal.h"
#include "sql/catalog/cat_rowcodec.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"

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
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_cat_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK, "open: %s", err.message ? err.message : "?");
	cr_assert_eq(kv_client_new(g_s, NULL, &g_c, &err), KV_OK);
	g_a = cm_arena_create(0);
}

static void
teardown(void)
{
	sql_cat_forget_client(g_c);
	kv_client_free(g_c);
	kv_store_close(g_s);
	cm_arena_destroy(g_a);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static kv_txn *
begin(void)
{
	kv_txn_options o;
	kv_txn_options_init(&o);
	o.mode = KV_TXN_PESSIMISTIC;
	kv_txn *t;
	cm_error err = {0};
	cr_assert_eq(kv_txn_begin(g_c, &o, &t, &err), KV_OK);
	return t;
}

static void
commit(kv_txn *t)
{
	cm_error err = {0};
	cr_assert_eq(kv_txn_commit(t, &err), KV_OK, "commit: %s", err.message ? err.message : "");
	kv_txn_free(t);
}

static sql_cat_view *
view(kv_txn *t)
{
	sql_cat_view *v;
	cm_error err = {0};
	cr_assert_eq(sql_cat_view_acquire(g_c, t, &v, &err), CM_OK, "%s", err.message ? err.message : "");
	return v;
}

/* A table with one column of each stored type plus an int handle column. */
static cat_table *
sample_table(cm_arena *a, int64_t id)
{
	static const sem_oid types[] = {SEM_INT8OID, SEM_BOOLOID, SEM_INT2OID, SEM_INT4OID, SEM_FLOAT4OID,
									SEM_FLOAT8OID, SEM_NUMERICOID, SEM_TEXTOID, SEM_VARCHAROID, SEM_BPCHAROID,
									SEM_BYTEAOID, SEM_DATEOID, SEM_TIMEOID, SEM_TIMESTAMPOID, SEM_TIMESTAMPTZOID,
									SEM_INTERVALOID, SEM_UUIDOID};
	int n = (int) (sizeof types / sizeof types[0]);
	cat_table *t = cm_new(a, cat_table);
	t->id = id;
	t->name = "sample";
	t->db_id = 1;
	t->schema_id = 2;
	t->ncols = n;
	t->cols = cm_new_array(a, cat_column, n);
	for (int i = 0; i < n; i++) {
		t->cols[i].id = i + 1;
		t->cols[i].attnum = (int16_t) (i + 1);
		t->cols[i].name = cm_asprintf(a, "c%d", i);
		t->cols[i].type = (sem_type){types[i], -1};
		t->cols[i].stat_ndistinct = -1;
	}
	t->handle_col = 0;
	t->next_col_id = n + 1;
	t->next_index_id = 1;
	t->stat_rows = -1;
	return t;
}

TestSuite(catalog, .init = setup, .fini = teardown);

Test(catalog, descriptor_round_trip)
{
	cat_table *t = sample_table(g_a, 42);
	t->cols[3].default_expr = "(1 + 2)";
	t->cols[3].has_missing = true;
	t->cols[3].missing = (uint8_t *) "\x03";
	t->cols[3].missing_len = 1;
	t->cols[2].dropped = true;
	t->nindexes = 1;
	t->indexes = cm_new(g_a, cat_index);
	t->indexes[0] = (cat_index){.id = 1, .oid = 20000, .name = "ix", .unique = true, .ncols = 2,
								.col_ids = (int32_t[]){8, 9}};
	t->ncons = 1;
	t->cons = cm_new(g_a, cat_constraint);
	t->cons[0] = (cat_constraint){.oid = 20001, .name = "fk", .type = 'f', .ncols = 1, .col_ids = (int32_t[]){4},
								  .ref_table_id = 7, .nref = 1, .ref_col_ids = (int32_t[]){1}, .on_delete = 'c',
								  .on_update = 'a', .match_type = 's'};
	cat_table *c = cat_table_clone(g_a, t);
	cr_assert_eq(c->id, 42);
	cr_assert_eq(c->oid, SQL_CAT_OID_BASE + 42);
	cr_assert_eq(c->ncols, t->ncols);
	cr_assert_str_eq(c->cols[3].default_expr, "(1 + 2)");
	cr_assert(c->cols[3].has_missing && c->cols[3].missing_len == 1 && c->cols[3].missing[0] == 3);
	cr_assert(c->cols[2].dropped);
	cr_assert_eq(c->cols[16].type.oid, SEM_UUIDOID);
	cr_assert_eq(c->nindexes, 1);
	cr_assert_eq(c->indexes[0].ncols, 2);
	cr_assert_eq(c->indexes[0].col_ids[1], 9);
	cr_assert_eq(c->ncons, 1);
	cr_assert_eq(c->cons[0].ref_col_ids[0], 1);
	cr_assert_eq(c->cons[0].on_delete, 'c');
	cr_assert_eq(c->handle_col, 0);

	cat_sequence s = {.id = 9, .name = "sq", .type = SEM_INT4OID, .start = 1, .increment = -5, .min = INT32_MIN,
					  .max = -1, .cache = 1, .cycle = true, .owned_table_id = 42, .owned_col_id = 1};
	cat_sequence *s2 = cat_seq_clone(g_a, &s);
	cr_assert_eq(s2->increment, -5);
	cr_assert_eq(s2->min, INT32_MIN);
	cr_assert(s2->cycle);
	cat_role r = {.id = 3, .name = "bob", .login = true, .password = "SCRAM-SHA-256$x", .conn_limit = 5};
	cat_role *r2 = cat_role_clone(g_a, &r);
	cr_assert_str_eq(r2->password, "SCRAM-SHA-256$x");
	cr_assert_eq(r2->conn_limit, 5);
	cr_assert(!r2->superuser);
}

Test(catalog, bootstrap_idempotent_and_lookups)
{
	cm_error err = {0};
	cr_assert_eq(sql_cat_bootstrap(g_c, &err), CM_OK);
	sql_cat_forget_client(g_c); /* forget the in-process "done" flag */
	cr_assert_eq(sql_cat_bootstrap(g_c, &err), CM_OK);
	sql_cat_view *v = view(NULL);
	cr_assert_eq(v->ndbs, 4);
	cr_assert_eq(v->nschemas, 4);
	cr_assert_eq(v->nroles, 2);
	const cat_database *pg = sql_cat_find_database(v, "postgres");
	cr_assert_not_null(pg);
	cr_assert_not_null(sql_cat_find_database(v, "defaultdb"));
	cr_assert_not_null(sql_cat_find_schema(v, pg->id, "public"));
	cr_assert(sql_cat_find_role(v, "root")->superuser);
	cr_assert(!sql_cat_find_database(v, "template0")->allow_conn);
	cr_assert_eq(sql_cat_by_oid(v, pg->oid, NULL, NULL), pg);
	sql_cat_view_release(v);
	bool ex;
	cr_assert_eq(sql_catalog_database_exists(g_c, "postgres", &ex, &err), CM_OK);
	cr_assert(ex);
	cr_assert_eq(sql_catalog_database_exists(g_c, "nope", &ex, &err), CM_OK);
	cr_assert(!ex);
	cr_assert_eq(sql_cat_database_check(g_c, "nope", &err), CM_ERROR);
	cr_assert_str_eq(err.code, "3D000");
	cr_assert_eq(err.severity, CM_SEV_FATAL);
	cm_error_clear(&err);
	cr_assert_eq(sql_cat_database_check(g_c, "template0", &err), CM_ERROR);
	cr_assert_str_eq(err.code, "55000");
	cm_error_clear(&err);
	sql_cat_role_info ri;
	cr_assert_eq(sql_cat_role_lookup(g_c, "postgres", &ri, &err), CM_OK);
	cr_assert(ri.exists && ri.superuser && ri.login);
}

static void *
boot_thread(void *arg)
{
	cm_error err = {0};
	intptr_t ok = sql_cat_bootstrap(g_c, &err) == CM_OK;
	cm_error_clear(&err);
	return (void *) ok;
}

Test(catalog, bootstrap_race)
{
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, boot_thread, NULL);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		cr_assert(r != NULL, "bootstrap %d failed", i);
	}
	sql_cat_view *v = view(NULL);
	cr_assert_eq(v->ndbs, 4, "exactly one bootstrap wrote");
	sql_cat_view_release(v);
}

Test(catalog, id_allocation_and_ddl_framing)
{
	cm_error err = {0};
	cr_assert_eq(sql_cat_bootstrap(g_c, &err), CM_OK);
	kv_txn *t = begin();
	int64_t a, b;
	cr_assert_eq(cat_alloc_ids(t, 3, &a, &err), CM_OK);
	cr_assert_eq(cat_alloc_ids(t, 1, &b, &err), CM_OK);
	cr_assert_eq(b, a + 3);
	commit(t);

	/* a DDL statement that commits */
	sql_cat_view *v0 = view(NULL);
	t = begin();
	cat_ddl d;
	cr_assert_eq(cat_ddl_begin(g_c, t, &d, &err), CM_OK, "%s", err.message ? err.message : "");
	cat_table *tab = sample_table(g_a, 0);
	cr_assert_eq(cat_alloc_ids(t, 1, &tab->id, &err), CM_OK);
	cr_assert_gt(tab->id, b);
	cr_assert_eq(cat_put_obj(t, CAT_KIND_TABLE, tab->id, tab, &err), CM_OK);
	cr_assert_eq(cat_ddl_finish(&d, &err), CM_OK);
	/* the own transaction sees it, others do not yet */
	sql_cat_view *vt = view(t);
	cr_assert_not_null(sql_cat_table_by_id(vt, tab->id));
	cat_relation rel;
	cr_assert(sql_cat_find_relation(vt, 2, "sample", &rel));
	cr_assert_eq(rel.relkind, 'r');
	sql_cat_view_release(vt);
	sql_cat_view *vo = view(NULL);
	cr_assert_null(sql_cat_table_by_id(vo, tab->id));
	cr_assert_str_eq(vo->version, v0->version);
	sql_cat_view_release(vo);
	commit(t);
	sql_cat_view *v1 = view(NULL);
	cr_assert_not_null(sql_cat_table_by_id(v1, tab->id));
	cr_assert_str_neq(v1->version, v0->version);

	/* a DDL statement that aborts leaves nothing */
	t = begin();
	cr_assert_eq(cat_ddl_begin(g_c, t, &d, &err), CM_OK);
	cr_assert_eq(cat_del_obj(t, tab->id, &err), CM_OK);
	cat_ddl_abort(&d);
	sql_cat_view *v2 = view(t);
	cr_assert_not_null(sql_cat_table_by_id(v2, tab->id));
	cr_assert_str_eq(v2->version, v1->version);
	sql_cat_view_release(v2);
	commit(t);
	sql_cat_view_release(v1);
	sql_cat_view_release(v0);

	/* a transaction whose snapshot predates a committed DDL gets 40001 */
	kv_txn *old = begin();
	t = begin();
	cr_assert_eq(cat_ddl_begin(g_c, t, &d, &err), CM_OK);
	cr_assert_eq(cat_ddl_finish(&d, &err), CM_OK);
	commit(t);
	kv_txn_options o;
	kv_txn_options_init(&o);
	cr_assert_eq(cat_ddl_begin(g_c, old, &d, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "40001");
	cm_error_clear(&err);
	kv_txn_free(old);
}

Test(catalog, sequences_and_rowids)
{
	cm_error err = {0};
	cat_sequence s = {.id = 77, .name = "sq", .type = SEM_INT8OID, .start = 5, .increment = 5, .min = 1, .max = 15,
					  .cache = 1};
	int64_t v;
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_OK);
	cr_assert_eq(v, 5);
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_OK);
	cr_assert_eq(v, 10);
	/* not rolled back with a transaction */
	kv_txn *t = begin();
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_OK);
	cr_assert_eq(v, 15);
	kv_txn_free(t);
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "2200H");
	cr_assert_str_eq(err.message, "nextval: reached maximum value of sequence \"sq\" (15)");
	cm_error_clear(&err);
	cr_assert_eq(sql_cat_seq_setval(g_c, &s, 99, true, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "22003");
	cm_error_clear(&err);
	cr_assert_eq(sql_cat_seq_setval(g_c, &s, 3, false, &err), CM_OK);
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_OK);
	cr_assert_eq(v, 3);
	s.cycle = true;
	cr_assert_eq(sql_cat_seq_setval(g_c, &s, 15, true, &err), CM_OK);
	cr_assert_eq(sql_cat_seq_nextval(g_c, &s, &v, &err), CM_OK);
	cr_assert_eq(v, 1);
	bool called;
	cr_assert_eq(sql_cat_seq_read(g_c, &s, &v, &called, &err), CM_OK);
	cr_assert(v == 1 && called);

	int64_t prev = 0;
	for (int i = 0; i < 2500; i++) {
		cr_assert_eq(sql_cat_alloc_rowid(g_c, 500, &v, &err), CM_OK);
		cr_assert_gt(v, prev);
		prev = v;
	}
	cr_assert_eq(sql_cat_alloc_rowid(g_c, 501, &v, &err), CM_OK);
	cr_assert_eq(v, 1);
}

Test(catalog, scram_verifier)
{
	cm_error err = {0};
	char *v;
	cr_assert_eq(sql_cat_scram_verifier("secret", &v, &err), CM_OK);
	cr_assert(strncmp(v, "SCRAM-SHA-256$4096:", 19) == 0, "%s", v);
	cr_assert_not_null(strchr(v + 19, '$'));
	free(v);
}

Test(catalog, search_path)
{
	sql_cat_search_path sp;
	sql_cat_search_path_parse(g_a, "\"$user\", public, \"My Schema\"", "bob", &sp);
	cr_assert_eq(sp.n, 3);
	cr_assert_str_eq(sp.names[0], "bob");
	cr_assert_str_eq(sp.names[1], "public");
	cr_assert_str_eq(sp.names[2], "My Schema");
	cr_assert_str_eq(cat_make_object_name(g_a, "t", "a_b", "key"), "t_a_b_key");
	char *longname = cat_make_object_name(g_a, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
										  "b", "pkey");
	cr_assert_eq(strlen(longname), 63);
}

/* ---- row codec ---- */

static sem_ctx g_ctx;

static sem_datum
in(sem_oid t, const char *s)
{
	g_ctx.arena = g_a;
	g_ctx.timezone = "UTC";
	sem_datum d;
	cm_error err = {0};
	cr_assert_eq(sem_in_text(&g_ctx, (sem_type){t, -1}, s, strlen(s), &d, &err), CM_OK, "%s: %s", s,
				 err.message ? err.message : "");
	return d;
}

static char *
out(sem_oid t, const sem_datum *d)
{
	if (d->isnull)
		return "NULL";
	return sem_out_cstring(&g_ctx, (sem_type){t, -1}, d);
}

static const char *const sample_vals[] = {
	"42", "t", "-32768", "2147483647", "1.5", "-2.5e-300", "12345678901234567890.123456789",
	"hello", "vc", "ab ", "\\x00ff10", "2024-02-29", "23:59:59.999999", "1999-12-31 23:59:59.5",
	"2000-01-01 00:00:00+00", "1 year 2 mons -3 days 04:05:06.7", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
};

Test(catalog, row_round_trip_all_types)
{
	cat_table *t = sample_table(g_a, 100);
	int n = t->ncols;
	sem_datum *row = cm_new_array(g_a, sem_datum, n);
	for (int i = 0; i < n; i++)
		row[i] = in(t->cols[i].type.oid, sample_vals[i]);
	cm_error err = {0};
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cat_row_key(t, row[0].v.i, &k);
	cr_assert_eq(k.len, KV_RECORD_KEY_LEN);
	cr_assert_eq(cat_row_encode(g_a, t, row, &v, &err), CM_OK, "%s", err.message ? err.message : "");
	cr_assert_eq((uint8_t) v.data[0], 0x80);
	sem_datum *back = cm_new_array(g_a, sem_datum, n);
	cr_assert_eq(cat_row_decode(g_a, t, (const uint8_t *) v.data, v.len, 42, back, &err), CM_OK, "%s",
				 err.message ? err.message : "");
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(out(t->cols[i].type.oid, &back[i]), out(t->cols[i].type.oid, &row[i]), "column %d", i);
	/* NULLs */
	for (int i = 1; i < n; i++)
		row[i].isnull = true;
	cm_buf_reset(&v);
	cr_assert_eq(cat_row_encode(g_a, t, row, &v, &err), CM_OK);
	cr_assert_eq(cat_row_decode(g_a, t, (const uint8_t *) v.data, v.len, 42, back, &err), CM_OK);
	for (int i = 1; i < n; i++)
		cr_assert(back[i].isnull, "column %d null", i);
	cm_buf_free(&k);
	cm_buf_free(&v);
}

Test(catalog, numeric_values_beyond_tidb_limits)
{
	static const char *const nums[] = {"NaN", "Infinity", "-Infinity", "0.00", "-0.5", "1.50",
									   "123456789012345678901234567890123456789012345678901234567890123456789",
									   "0.0000000000000000000000000000000000001"};
	cm_error err = {0};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		sem_datum d = in(SEM_NUMERICOID, nums[i]);
		cm_buf cell;
		cm_buf_init(&cell);
		cr_assert_eq(cat_cell_encode(g_a, (sem_type){SEM_NUMERICOID, -1}, &d, &cell, &err), CM_OK);
		sem_datum b;
		cr_assert_eq(cat_datum_from_cell(g_a, (sem_type){SEM_NUMERICOID, -1}, (const uint8_t *) cell.data, cell.len,
										 &b, &err),
					 CM_OK, "%s", nums[i]);
		cr_assert_str_eq(out(SEM_NUMERICOID, &b), out(SEM_NUMERICOID, &d));
		cm_buf_free(&cell);
	}
}

Test(catalog, absent_columns_and_large_values)
{
	cat_table *t = sample_table(g_a, 101);
	cm_error err = {0};
	/* a row written before columns 7 (text) and 3 (int4) existed */
	int64_t ids[1] = {1};
	kv_datum kd = kv_datum_int(5);
	cm_buf v;
	cm_buf_init(&v);
	cr_assert_eq(kv_row_encode(&v, ids, &kd, 0, &err), CM_OK);
	sem_datum seven = in(SEM_INT4OID, "7");
	cm_buf cell;
	cm_buf_init(&cell);
	cr_assert_eq(cat_cell_encode(g_a, t->cols[3].type, &seven, &cell, &err), CM_OK);
	t->cols[3].has_missing = true;
	t->cols[3].missing = (uint8_t *) cell.data;
	t->cols[3].missing_len = (uint32_t) cell.len;
	sem_datum *row = cm_new_array(g_a, sem_datum, t->ncols);
	cr_assert_eq(cat_row_decode(g_a, t, (const uint8_t *) v.data, v.len, 9, row, &err), CM_OK);
	cr_assert_eq(row[0].v.i, 9);
	cr_assert_eq(row[3].v.i, 7);
	cr_assert(row[7].isnull);
	/* an explicit NULL is not replaced by the missing value */
	for (int i = 0; i < t->ncols; i++)
		row[i].isnull = i != 0;
	cm_buf_reset(&v);
	cr_assert_eq(cat_row_encode(g_a, t, row, &v, &err), CM_OK);
	cr_assert_eq(cat_row_decode(g_a, t, (const uint8_t *) v.data, v.len, 9, row, &err), CM_OK);
	cr_assert(row[3].isnull);
	/* a 1 MiB text value (large row form) */
	size_t big = 1 << 20;
	char *s = cm_alloc(g_a, big + 1);
	memset(s, 'x', big);
	s[big] = '\0';
	for (int i = 0; i < t->ncols; i++)
		row[i].isnull = true;
	row[0].isnull = false;
	row[7].isnull = false;
	row[7].v.s.p = s;
	row[7].v.s.len = (uint32_t) big;
	cm_buf_reset(&v);
	cr_assert_eq(cat_row_encode(g_a, t, row, &v, &err), CM_OK);
	cr_assert_eq(v.data[1] & KV_ROW_FLAG_LARGE, KV_ROW_FLAG_LARGE);
	sem_datum *back = cm_new_array(g_a, sem_datum, t->ncols);
	cr_assert_eq(cat_row_decode(g_a, t, (const uint8_t *) v.data, v.len, 9, back, &err), CM_OK);
	cr_assert_eq(back[7].v.s.len, big);
	cr_assert_eq(memcmp(back[7].v.s.p, s, big), 0);
	cm_buf_free(&v);
	cm_buf_free(&cell);
}

/* Index keys order as the values (ascending text inputs), equal values
 * (1.0 = 1.00, 'ab' = 'ab  ' for bpchar, '1 mon' = '30 days') equal. */
static void
check_order(sem_oid t, const char *const *vals, int n)
{
	cat_table *tab = sample_table(g_a, 5);
	cm_error err = {0};
	cm_buf prev;
	cm_buf_init(&prev);
	for (int i = 0; i < n; i++) {
		sem_datum d = in(t, vals[i]);
		kv_datum kd;
		cr_assert_eq(cat_datum_to_key(g_a, (sem_type){t, -1}, &d, &kd, &err), CM_OK);
		cm_buf k;
		cm_buf_init(&k);
		cr_assert_eq(kv_encode_key(&k, &kd, 1, &err), CM_OK);
		if (i > 0) {
			size_t m = k.len < prev.len ? k.len : prev.len;
			int c = memcmp(prev.data, k.data, m);
			if (c == 0)
				c = prev.len < k.len ? -1 : prev.len > k.len;
			cr_assert_lt(c, 0, "%s < %s (type %u)", vals[i - 1], vals[i], t);
		}
		cm_buf_reset(&prev);
		cm_buf_append(&prev, k.data, k.len);
		cm_buf_free(&k);
	}
	cm_buf_free(&prev);
	(void) tab;
}

static void
check_equal(sem_oid t, const char *a, const char *b)
{
	cm_error err = {0};
	sem_datum x = in(t, a), y = in(t, b);
	kv_datum kx, ky;
	cr_assert_eq(cat_datum_to_key(g_a, (sem_type){t, -1}, &x, &kx, &err), CM_OK);
	cr_assert_eq(cat_datum_to_key(g_a, (sem_type){t, -1}, &y, &ky, &err), CM_OK);
	cm_buf k1, k2;
	cm_buf_init(&k1);
	cm_buf_init(&k2);
	cr_assert_eq(kv_encode_key(&k1, &kx, 1, &err), CM_OK);
	cr_assert_eq(kv_encode_key(&k2, &ky, 1, &err), CM_OK);
	cr_assert(k1.len == k2.len && memcmp(k1.data, k2.data, k1.len) == 0, "%s = %s", a, b);
	cm_buf_free(&k1);
	cm_buf_free(&k2);
}

Test(catalog, index_key_ordering)
{
	static const char *const ints[] = {"-9223372036854775808", "-1", "0", "1", "9223372036854775807"};
	check_order(SEM_INT8OID, ints, 5);
	static const char *const floats[] = {"-Infinity", "-1e300", "-1", "0", "1e-300", "2.5", "Infinity", "NaN"};
	check_order(SEM_FLOAT8OID, floats, 8);
	static const char *const nums[] = {"-Infinity", "-1000", "-999.5", "-1.5", "-1", "-0.001", "0", "0.001",
									   "0.5", "1", "1.05", "1.5", "9.99", "10", "99999999999999999999999999999999999999999",
									   "Infinity", "NaN"};
	check_order(SEM_NUMERICOID, nums, 17);
	static const char *const texts[] = {"", "a", "ab", "abc", "b", "ba"};
	check_order(SEM_TEXTOID, texts, 6);
	static const char *const dates[] = {"-infinity", "0001-01-01 BC", "1999-12-31", "2000-01-01", "2024-02-29", "infinity"};
	check_order(SEM_DATEOID, dates, 6);
	static const char *const tss[] = {"1970-01-01 00:00:00", "2000-01-01 00:00:00", "2000-01-01 00:00:00.000001"};
	check_order(SEM_TIMESTAMPOID, tss, 3);
	static const char *const ivs[] = {"-1 year", "-1 day", "0", "1 second", "1 day", "1 mon 1 second", "1 year"};
	check_order(SEM_INTERVALOID, ivs, 7);
	static const char *const bools[] = {"f", "t"};
	check_order(SEM_BOOLOID, bools, 2);
	check_equal(SEM_NUMERICOID, "1.0", "1.00");
	check_equal(SEM_NUMERICOID, "-0.0", "0");
	check_equal(SEM_BPCHAROID, "ab", "ab  ");
	check_equal(SEM_INTERVALOID, "1 mon", "30 days");
	check_equal(SEM_FLOAT8OID, "-0", "0");
}

Test(catalog, index_entries_scan_and_lookups)
{
	cm_error err = {0};
	cat_table *t = cm_new(g_a, cat_table);
	t->id = 300;
	t->name = "r";
	t->ncols = 3;
	t->cols = cm_new_array(g_a, cat_column, 3);
	t->cols[0] = (cat_column){.id = 1, .attnum = 1, .name = "id", .type = {SEM_INT4OID, -1}};
	t->cols[1] = (cat_column){.id = 2, .attnum = 2, .name = "k", .type = {SEM_TEXTOID, -1}};
	t->cols[2] = (cat_column){.id = 3, .attnum = 3, .name = "n", .type = {SEM_INT8OID, -1}};
	t->handle_col = -1; /* hidden row ids */
	cat_index uix = {.id = 1, .name = "r_k_key", .unique = true, .ncols = 1, .col_ids = (int32_t[]){2}};
	cat_index nix = {.id = 2, .name = "r_n_idx", .ncols = 1, .col_ids = (int32_t[]){3}};
	kv_txn *tx = begin();
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	for (int i = 1; i <= 50; i++) {
		sem_datum row[3] = {{.v.i = i}, {.v.s = {cm_asprintf(g_a, "key%03d", i), 6}}, {.v.i = i % 5}};
		if (i == 50)
			row[1].isnull = true;
		int64_t h;
		cr_assert_eq(sql_cat_alloc_rowid(g_c, t->id, &h, &err), CM_OK);
		cm_buf_reset(&k);
		cm_buf_reset(&v);
		cat_row_key(t, h, &k);
		cr_assert_eq(cat_row_encode(g_a, t, row, &v, &err), CM_OK);
		cr_assert_eq(kv_txn_insert(tx, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err), KV_OK);
		bool distinct;
		cm_buf_reset(&k);
		cm_buf_reset(&v);
		cr_assert_eq(cat_index_entry(g_a, t, &uix, row, h, &k, &v, &distinct, &err), CM_OK);
		cr_assert_eq(distinct, i != 50);
		cr_assert_eq(v.len, distinct ? 8u : 1u);
		cr_assert_eq(kv_txn_insert(tx, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err), KV_OK);
		cm_buf_reset(&k);
		cm_buf_reset(&v);
		cr_assert_eq(cat_index_entry(g_a, t, &nix, row, h, &k, &v, &distinct, &err), CM_OK);
		cr_assert(!distinct);
		cr_assert_eq(kv_txn_set(tx, (uint8_t *) k.data, k.len, (uint8_t *) v.data, v.len, &err), KV_OK);
	}
	commit(tx);
	tx = begin();
	cat_scan *s;
	cr_assert_eq(cat_scan_open(tx, t, NULL, 0, &s, &err), CM_OK);
	int n = 0;
	int64_t last = 0;
	for (;;) {
		sem_datum row[3];
		int64_t h;
		bool done;
		cr_assert_eq(cat_scan_next(s, g_a, row, &h, &done, &err), CM_OK);
		if (done)
			break;
		cr_assert_gt(h, last);
		last = h;
		n++;
		cr_assert_eq(row[0].v.i, n);
	}
	cat_scan_close(s);
	cr_assert_eq(n, 50);
	cat_handle_range rg[2] = {{3, 5}, {10, 10}};
	cr_assert_eq(cat_scan_open(tx, t, rg, 2, &s, &err), CM_OK);
	n = 0;
	for (;;) {
		sem_datum row[3];
		int64_t h;
		bool done;
		cr_assert_eq(cat_scan_next(s, g_a, row, &h, &done, &err), CM_OK);
		if (done)
			break;
		n++;
	}
	cat_scan_close(s);
	cr_assert_eq(n, 4);
	sem_datum key = {.v.s = {"key007", 6}};
	int64_t h;
	bool found;
	cr_assert_eq(cat_index_get_unique(tx, g_a, t, &uix, &key, &h, &found, &err), CM_OK);
	cr_assert(found);
	sem_datum row[3];
	cr_assert_eq(cat_row_get(tx, g_a, t, h, row, &found, &err), CM_OK);
	cr_assert(found);
	cr_assert_eq(row[0].v.i, 7);
	cr_assert_eq(cat_row_get(tx, g_a, t, 100000, row, &found, &err), CM_OK);
	cr_assert(!found);
	key.v.s.p = "nokey";
	key.v.s.len = 5;
	cr_assert_eq(cat_index_get_unique(tx, g_a, t, &uix, &key, &h, &found, &err), CM_OK);
	cr_assert(!found);
	kv_txn_free(tx);
	cm_buf_free(&k);
	cm_buf_free(&v);
}
