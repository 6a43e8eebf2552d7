/*
 * test_exec_ops.c -- executor operators driven directly (no SQL): batch
 * boundaries, hash join outer-join semantics, work_mem failures with
 * 53200, the external sort, rescans, and spill-file datum serialisation.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sql/exec/exec.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"

static const char *work_mem = "4MB";

static const char *settings(void *s, const char *name)
{
	return strcmp(name, "work_mem") == 0 ? work_mem : NULL;
}

static sem_ctx make_ctx(cm_arena *a)
{
	sem_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = a;
	ctx.timezone = "UTC";
	ctx.extra_float_digits = 1;
	ctx.get_setting = settings;
	return ctx;
}

static const sem_builtin *fn(const char *name, int nargs, sem_oid a0, sem_oid a1)
{
	const sem_builtin *c[64];
	size_t n = sem_func_candidates(name, nargs, c, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		if (c[i]->args[0] == a0 && (nargs < 2 || c[i]->args[1] == a1))
			return c[i];
	cr_assert_fail("no builtin %s", name);
	return NULL;
}

static sem_expr *i4(cm_arena *a, int64_t v)
{
	sem_datum d;
	memset(&d, 0, sizeof d);
	d.v.i = v;
	return sem_expr_const(a, (sem_type){SEM_INT4OID, -1}, &d, -1);
}

/* generate_series(lo, hi) as a Function Scan */
static ex_op *series(ex_state *st, int lo, int hi)
{
	sem_expr **args = cm_new_array(st->arena, sem_expr *, 2);
	args[0] = i4(st->arena, lo);
	args[1] = i4(st->arena, hi);
	sem_expr **f = cm_new_array(st->arena, sem_expr *, 1);
	f[0] = sem_expr_func(st->arena, fn("generate_series", 2, SEM_INT4OID, SEM_INT4OID), 2, args, -1);
	sem_type *t = cm_new_array(st->arena, sem_type, 1);
	t[0] = (sem_type){SEM_INT4OID, -1};
	return ex_srf_new(st, NULL, 1, f, t, false);
}

/* Drain op: count rows, sum column col (ints), remember first/last values. */
typedef struct drained {
	int64_t rows, sum, first, last, nulls;
	int batches;
} drained;

static cm_status drain(ex_op *op, int col, drained *d, cm_error *err)
{
	memset(d, 0, sizeof *d);
	if (ex_open(op, err) != CM_OK)
		return CM_ERROR;
	for (;;) {
		ex_batch *b;
		if (ex_next(op, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		cr_assert_leq(b->nrows, EX_BATCH_ROWS);
		d->batches++;
		for (int r = 0; r < b->nrows; r++) {
			sem_datum *v = &ex_row(b, r)[col];
			if (v->isnull) {
				d->nulls++;
				continue;
			}
			if (d->rows == 0)
				d->first = v->v.i;
			d->last = v->v.i;
			d->sum += v->v.i;
			d->rows++;
		}
	}
	ex_close(op);
	return CM_OK;
}

Test(exec, sort_limit_across_batches)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	ex_state *st = ex_state_new(&ctx, NULL, 0, 0);
	ex_op *s = series(st, 1, 5000);
	ex_sortkey *k = cm_new_array(a, ex_sortkey, 1);
	k[0].expr = sem_expr_column(a, 0, (sem_type){SEM_INT4OID, -1}, -1);
	k[0].desc = true;
	ex_op *sorted = ex_sort_new(st, s, 1, k);
	sem_datum off;
	memset(&off, 0, sizeof off);
	off.v.i = 1500;
	ex_op *lim = ex_limit_new(st, sorted, NULL, sem_expr_const(a, (sem_type){SEM_INT8OID, -1}, &off, -1));
	drained d;
	cm_error err = {0};
	cr_assert_eq(drain(lim, 0, &d, &err), CM_OK, "%s", err.message);
	cr_assert_eq(d.rows, 3500);
	cr_assert_eq(d.first, 3500);
	cr_assert_eq(d.last, 1);
	/* rescan gives the same answer */
	cr_assert_eq(drain(lim, 0, &d, &err), CM_OK);
	cr_assert_eq(d.rows, 3500);
	cm_arena_destroy(a);
}

Test(exec, external_sort_when_past_work_mem)
{
	work_mem = "64kB";
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	ex_state *st = ex_state_new(&ctx, NULL, 0, 0);
	cr_assert_eq(st->work_mem, 64 * 1024);
	ex_op *s = series(st, 1, 50000);
	ex_sortkey *k = cm_new_array(a, ex_sortkey, 1);
	k[0].expr = sem_expr_column(a, 0, (sem_type){SEM_INT4OID, -1}, -1);
	k[0].desc = true;
	ex_op *sorted = ex_sort_new(st, s, 1, k);
	cm_error err = {0};
	cr_assert_eq(ex_open(sorted, &err), CM_OK, "%s", err.message);
	int64_t prev = 1 << 30, n = 0, sum = 0;
	for (;;) {
		ex_batch *b;
		cr_assert_eq(ex_next(sorted, &b, &err), CM_OK);
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			int64_t v = ex_row(b, r)[0].v.i;
			cr_assert_lt(v, prev);
			prev = v;
			n++;
			sum += v;
		}
	}
	ex_close(sorted);
	cr_assert_eq(n, 50000);
	cr_assert_eq(sum, 50000LL * 50001 / 2);
	work_mem = "4MB";
	cm_arena_destroy(a);
}

Test(exec, hash_agg_fails_cleanly_past_work_mem)
{
	work_mem = "64kB";
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	ex_state *st = ex_state_new(&ctx, NULL, 0, 0);
	ex_op *s = series(st, 1, 100000);
	sem_expr **g = cm_new_array(a, sem_expr *, 1);
	g[0] = sem_expr_column(a, 0, (sem_type){SEM_INT4OID, -1}, -1);
	ex_aggdesc *ad = cm_new_array(a, ex_aggdesc, 1);
	ad[0].kind = EX_AGG_COUNT_STAR;
	ad[0].result = (sem_type){SEM_INT8OID, -1};
	sem_type *t = cm_new_array(a, sem_type, 2);
	t[0] = g[0]->type;
	t[1] = ad[0].result;
	ex_op *agg = ex_agg_new(st, s, 1, g, 1, ad, t);
	drained d;
	cm_error err = {0};
	cr_assert_eq(drain(agg, 0, &d, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "53200");
	cr_assert_str_eq(err.message, "out of memory");
	cr_assert(strstr(err.detail, "work_mem (64 kB)") != NULL, "%s", err.detail);
	cm_error_clear(&err);
	work_mem = "4MB";
	cm_arena_destroy(a);
}

static cm_status join_count(ex_jointype jt, drained *left_col, drained *right_col, int64_t *rows)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	ex_state *st = ex_state_new(&ctx, NULL, 0, 0);
	ex_op *l = series(st, 1, 3000), *r = series(st, 2001, 6000);
	sem_expr **lk = cm_new_array(a, sem_expr *, 1), **rk = cm_new_array(a, sem_expr *, 1);
	lk[0] = sem_expr_column(a, 0, (sem_type){SEM_INT4OID, -1}, -1);
	rk[0] = sem_expr_column(a, 0, (sem_type){SEM_INT4OID, -1}, -1);
	const sem_builtin **eq = cm_new_array(a, const sem_builtin *, 1);
	eq[0] = fn("=", 2, SEM_INT4OID, SEM_INT4OID);
	sem_type *t = cm_new_array(a, sem_type, 2);
	t[0] = t[1] = (sem_type){SEM_INT4OID, -1};
	ex_op *j = ex_join_new(st, jt, l, r, 1, lk, rk, eq, NULL, t);
	cm_error err = {0};
	cm_status s = drain(j, 0, left_col, &err);
	if (s == CM_OK && jt != EX_JOIN_SEMI && jt != EX_JOIN_ANTI)
		s = drain(j, 1, right_col, &err);
	*rows = left_col->rows + left_col->nulls;
	cm_error_clear(&err);
	cm_arena_destroy(a);
	return s;
}

Test(exec, hash_join_types)
{
	drained l, r;
	int64_t rows;
	cr_assert_eq(join_count(EX_JOIN_INNER, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 1000);
	cr_assert_eq(l.sum, r.sum);
	cr_assert_eq(join_count(EX_JOIN_LEFT, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 3000);
	cr_assert_eq(r.nulls, 2000);
	cr_assert_eq(join_count(EX_JOIN_RIGHT, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 4000);
	cr_assert_eq(l.nulls, 3000);
	cr_assert_eq(join_count(EX_JOIN_FULL, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 6000);
	cr_assert_eq(join_count(EX_JOIN_SEMI, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 1000);
	cr_assert_eq(join_count(EX_JOIN_ANTI, &l, &r, &rows), CM_OK);
	cr_assert_eq(rows, 2000);
}

Test(exec, spill_serialisation_round_trip)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	cm_error err = {0};
	sem_datum in[5], out[5];
	sem_oid types[5] = {SEM_TEXTOID, SEM_NUMERICOID, 1009, SEM_INT8OID, SEM_INTERVALOID};
	const char *text[5] = {"héllo", "-12345678901234567890.125", "{a,NULL,\"b c\"}", "-42", "1 mon 2 days 03:04:05"};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(sem_in_text(&ctx, (sem_type){types[i], -1}, text[i], strlen(text[i]), &in[i], &err), CM_OK);
	cm_buf b;
	cm_buf_init(&b);
	for (int i = 0; i < 5; i++)
		ex_datum_write(&b, types[i], &in[i]);
	sem_datum null;
	memset(&null, 0, sizeof null);
	null.isnull = true;
	ex_datum_write(&b, SEM_TEXTOID, &null);
	const char *p = b.data;
	for (int i = 0; i < 5; i++) {
		p = ex_datum_read(a, types[i], p, &out[i]);
		cr_assert_str_eq(sem_out_cstring(&ctx, (sem_type){types[i], -1}, &out[i]), text[i]);
		cr_assert_eq(ex_datum_hash(types[i], &in[i]), ex_datum_hash(types[i], &out[i]));
	}
	sem_datum n2;
	p = ex_datum_read(a, SEM_TEXTOID, p, &n2);
	cr_assert(n2.isnull);
	cr_assert_eq((size_t) (p - b.data), b.len);
	cm_buf_free(&b);
	cm_arena_destroy(a);
}

Test(exec, hash_matches_equality)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx = make_ctx(a);
	cm_error err = {0};
	sem_datum x, y;
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_NUMERICOID, -1}, "1.50", 4, &x, &err), CM_OK);
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_NUMERICOID, -1}, "1.5", 3, &y, &err), CM_OK);
	cr_assert(ex_datum_eq(SEM_NUMERICOID, &x, &y));
	cr_assert_eq(ex_datum_hash(SEM_NUMERICOID, &x), ex_datum_hash(SEM_NUMERICOID, &y));
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_INTERVALOID, -1}, "1 day", 5, &x, &err), CM_OK);
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_INTERVALOID, -1}, "24 hours", 8, &y, &err), CM_OK);
	cr_assert(ex_datum_eq(SEM_INTERVALOID, &x, &y));
	cr_assert_eq(ex_datum_hash(SEM_INTERVALOID, &x), ex_datum_hash(SEM_INTERVALOID, &y));
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_BPCHAROID, -1}, "ab  ", 4, &x, &err), CM_OK);
	cr_assert_eq(sem_in_text(&ctx, (sem_type){SEM_BPCHAROID, -1}, "ab", 2, &y, &err), CM_OK);
	cr_assert_eq(ex_datum_hash(SEM_BPCHAROID, &x), ex_datum_hash(SEM_BPCHAROID, &y));
	cm_arena_destroy(a);
}
