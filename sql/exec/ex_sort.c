/*
 * ex_sort.c -- materialising row store, sort and distinct.
 *
 * Sort evaluates its key expressions once per row, stores (keys, row)
 * pairs in a work_mem-charged row store and sorts them with a stable merge
 * sort (so equal keys keep their input order, which DISTINCT ON relies on).
 * Past work_mem it writes sorted runs to temporary files (tmpfile(), gone
 * when closed) and merges them, taking the earliest run on ties so the
 * result stays stable.
 * Distinct is hashed (first occurrence wins) or, with key expressions over
 * sorted input, drops rows whose keys equal the previous row's (DISTINCT ON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/exec/ex_internal.h"

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

void ex_rowstore_init(ex_rowstore *rs, ex_state *st, int width, const sem_type *types, const char *what)
{
	memset(rs, 0, sizeof *rs);
	rs->arena = cm_arena_create(64 * 1024);
	cm_arena_on_reset(st->arena, destroy_arena, rs->arena);
	rs->width = width;
	rs->types = types;
	ex_mem_init(&rs->mem, st, what);
}

void ex_rowstore_reset(ex_rowstore *rs)
{
	cm_arena_reset(rs->arena);
	rs->n = rs->cap = 0;
	rs->rows = NULL;
	rs->mem.used = 0;
}

cm_status ex_rowstore_add(ex_rowstore *rs, const sem_datum *row, int extra, sem_datum **out, cm_error *err)
{
	if (rs->n == rs->cap) {
		int64_t nc = rs->cap ? rs->cap * 2 : 1024;
		sem_datum **nr = cm_alloc(rs->arena, sizeof(sem_datum *) * (size_t) nc);
		if (rs->n)
			memcpy(nr, rs->rows, sizeof(sem_datum *) * (size_t) rs->n);
		if (ex_mem_charge(&rs->mem, (int64_t) (sizeof(sem_datum *) * (size_t) nc), err) != CM_OK)
			return CM_ERROR;
		rs->rows = nr;
		rs->cap = nc;
	}
	int w = rs->width + extra;
	sem_datum *r = cm_alloc0(rs->arena, sizeof(sem_datum) * (size_t) (w > 0 ? w : 1));
	size_t sz = sizeof(sem_datum) * (size_t) w + ex_row_copy(rs->arena, rs->width, rs->types, row, r);
	if (ex_mem_charge(&rs->mem, (int64_t) sz, err) != CM_OK)
		return CM_ERROR;
	rs->rows[rs->n++] = r;
	if (out)
		*out = r;
	return CM_OK;
}

cm_status ex_rowstore_fill(ex_rowstore *rs, ex_op *child, cm_error *err)
{
	for (;;) {
		ex_batch *b;
		if (ex_next(child, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			return CM_OK;
		for (int r = 0; r < b->nrows; r++)
			if (ex_rowstore_add(rs, ex_row(b, r), 0, NULL, err) != CM_OK)
				return CM_ERROR;
	}
}

ex_batch *ex_rowstore_emit(ex_rowstore *rs, ex_op *op, int64_t *pos)
{
	if (*pos >= rs->n)
		return NULL;
	int64_t n = rs->n - *pos;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, (int) n);
	for (int64_t i = 0; i < n; i++)
		memcpy(ex_row(b, (int) i), rs->rows[*pos + i], sizeof(sem_datum) * (size_t) op->ncols);
	b->nrows = (int) n;
	*pos += n;
	return b;
}

/* ---- sort ------------------------------------------------------------------------- */

typedef struct sort_run {
	FILE *f;
	cm_arena *arena[2];		/* the head row lives in arena[flip] */
	int flip;
	sem_datum *head;		/* NULL: exhausted */
	cm_buf buf;
} sort_run;

typedef struct sort_op {
	ex_op op;
	ex_op *child;
	int nkeys;
	ex_sortkey *keys;
	sem_type *keytypes;
	ex_rowstore rs;			/* rows are [keys..., columns...] */
	int64_t pos;
	int64_t limit;			/* work_mem */
	int nruns, caprun;
	sort_run **runs;		/* spilled sorted runs (external merge) */
	int width;
} sort_op;

static void merge_sort(sem_datum **a, sem_datum **tmp, int64_t n, int nkeys, const ex_sortkey *keys)
{
	if (n < 2)
		return;
	if (n <= 16) {
		for (int64_t i = 1; i < n; i++) {
			sem_datum *x = a[i];
			int64_t j = i;
			while (j > 0 && ex_sort_compare(nkeys, keys, a[j - 1], x) > 0) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
		return;
	}
	int64_t h = n / 2;
	merge_sort(a, tmp, h, nkeys, keys);
	merge_sort(a + h, tmp, n - h, nkeys, keys);
	if (ex_sort_compare(nkeys, keys, a[h - 1], a[h]) <= 0)
		return;
	memcpy(tmp, a, sizeof(sem_datum *) * (size_t) h);
	int64_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (ex_sort_compare(nkeys, keys, a[j], tmp[i]) < 0)
			a[k++] = a[j++];
		else
			a[k++] = tmp[i++];
	}
	while (i < h)
		a[k++] = tmp[i++];
}

static void close_run(void *p)
{
	sort_run *r = p;
	if (r->f)
		fclose(r->f);
	r->f = NULL;
	cm_buf_free(&r->buf);
}

static void sort_rows(sort_op *s)
{
	sem_datum **tmp = cm_alloc(s->rs.arena, sizeof(sem_datum *) * (size_t) (s->rs.n / 2 + 1));
	merge_sort(s->rs.rows, tmp, s->rs.n, s->nkeys, s->keys);
}

/* Write the in-memory rows as one sorted run and empty the row store. */
static cm_status spill(sort_op *s, cm_error *err)
{
	sort_rows(s);
	if (s->nruns == s->caprun) {
		int nc = s->caprun ? s->caprun * 2 : 8;
		sort_run **nr = cm_new_array(s->op.st->arena, sort_run *, nc);
		if (s->nruns)
			memcpy(nr, s->runs, sizeof(sort_run *) * (size_t) s->nruns);
		for (int i = s->caprun; i < nc; i++) {
			nr[i] = cm_new(s->op.st->arena, sort_run);
			cm_buf_init(&nr[i]->buf);
			cm_arena_on_reset(s->op.st->arena, close_run, nr[i]);
		}
		s->runs = nr;
		s->caprun = nc;
	}
	sort_run *r = s->runs[s->nruns];
	if (r->f)
		fclose(r->f);
	r->f = tmpfile();
	r->head = NULL;
	if (!r->f)
		return cm_error_set(err, CM_E_DISK_FULL, "could not create temporary file for sort: %m");
	s->nruns++;
	cm_buf rec;
	cm_buf_init(&rec);
	for (int64_t i = 0; i < s->rs.n; i++) {
		rec.len = 0;
		cm_buf_append(&rec, "\0\0\0\0", 4);
		for (int c = 0; c < s->width; c++)
			ex_datum_write(&rec, s->rs.types[c].oid, &s->rs.rows[i][c]);
		uint32_t len = (uint32_t) (rec.len - 4);
		memcpy(rec.data, &len, 4);
		if (fwrite(rec.data, 1, rec.len, r->f) != rec.len) {
			cm_buf_free(&rec);
			return cm_error_set(err, CM_E_DISK_FULL, "could not write to temporary file for sort: %m");
		}
	}
	cm_buf_free(&rec);
	ex_rowstore_reset(&s->rs);
	return CM_OK;
}

static cm_status run_advance(sort_op *s, sort_run *r, cm_error *err)
{
	uint32_t len;
	r->head = NULL;
	if (fread(&len, 1, 4, r->f) != 4)
		return CM_OK;
	r->flip ^= 1;
	cm_arena_reset(r->arena[r->flip]);
	char *p = cm_alloc(r->arena[r->flip], len + 1);
	if (fread(p, 1, len, r->f) != len)
		return cm_error_set(err, CM_E_IO_ERROR, "could not read temporary file for sort: %m");
	sem_datum *row = cm_alloc(r->arena[r->flip], sizeof(sem_datum) * (size_t) s->width);
	const char *q = p;
	for (int c = 0; c < s->width; c++)
		q = ex_datum_read(r->arena[r->flip], s->rs.types[c].oid, q, &row[c]);
	r->head = row;
	return CM_OK;
}

static cm_status sort_open(ex_op *op, cm_error *err)
{
	sort_op *s = (sort_op *) op;
	ex_rowstore_reset(&s->rs);
	for (int i = 0; i < s->nruns; i++)
		close_run(s->runs[i]);
	s->nruns = 0;
	s->pos = 0;
	if (ex_open(s->child, err) != CM_OK)
		return CM_ERROR;
	int w = s->nkeys + op->ncols;
	sem_datum *tmprow = cm_alloc(op->st->arena, sizeof(sem_datum) * (size_t) w);
	for (;;) {
		ex_batch *b;
		if (ex_next(s->child, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			const sem_datum *row = ex_row(b, r);
			for (int k = 0; k < s->nkeys; k++) {
				const sem_expr *e = s->keys[k].expr;
				if (e->kind == SEM_EXPR_COLUMN)
					tmprow[k] = row[e->u.colno];
				else if (sem_eval(&s->child->ctx, e, row, op->st->params, &tmprow[k], err) != CM_OK)
					return CM_ERROR;
			}
			memcpy(tmprow + s->nkeys, row, sizeof(sem_datum) * (size_t) op->ncols);
			if (ex_rowstore_add(&s->rs, tmprow, 0, NULL, err) != CM_OK)
				return CM_ERROR;
			if (s->rs.mem.used + (int64_t) sizeof(sem_datum *) * (s->rs.n / 2 + 1) > s->limit &&
				spill(s, err) != CM_OK)
				return CM_ERROR;
		}
	}
	ex_close(s->child);
	if (s->nruns == 0) {
		sort_rows(s);
		return CM_OK;
	}
	/* external merge: the remainder becomes the last run, then read every run's head */
	if (s->rs.n > 0 && spill(s, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < s->nruns; i++) {
		sort_run *r = s->runs[i];
		fflush(r->f);
		rewind(r->f);
		if (!r->arena[0]) {
			for (int k = 0; k < 2; k++) {
				r->arena[k] = cm_arena_create(0);
				cm_arena_on_reset(op->st->arena, destroy_arena, r->arena[k]);
			}
		}
		if (run_advance(s, r, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

static cm_status merge_next(sort_op *s, ex_batch **out, cm_error *err)
{
	ex_op *op = &s->op;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	while (b->nrows < EX_BATCH_ROWS) {
		int best = -1;
		for (int i = 0; i < s->nruns; i++)
			if (s->runs[i]->head &&
				(best < 0 || ex_sort_compare(s->nkeys, s->keys, s->runs[i]->head, s->runs[best]->head) < 0))
				best = i;
		if (best < 0)
			break;
		sem_datum *dst = ex_row(b, b->nrows++);
		ex_row_copy(op->scratch, op->ncols, op->types, s->runs[best]->head + s->nkeys, dst);
		if (run_advance(s, s->runs[best], err) != CM_OK)
			return CM_ERROR;
	}
	if (b->nrows)
		*out = b;
	return CM_OK;
}

static cm_status sort_next(ex_op *op, ex_batch **out, cm_error *err)
{
	sort_op *s = (sort_op *) op;
	if (s->nruns > 0)
		return merge_next(s, out, err);
	if (s->pos >= s->rs.n)
		return CM_OK;
	int64_t n = s->rs.n - s->pos;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, (int) n);
	for (int64_t i = 0; i < n; i++)
		memcpy(ex_row(b, (int) i), s->rs.rows[s->pos + i] + s->nkeys, sizeof(sem_datum) * (size_t) op->ncols);
	b->nrows = (int) n;
	s->pos += n;
	*out = b;
	return CM_OK;
}

static void sort_close(ex_op *op)
{
	sort_op *s = (sort_op *) op;
	ex_close(s->child);
	ex_rowstore_reset(&s->rs);
	for (int i = 0; i < s->nruns; i++)
		close_run(s->runs[i]);
	s->nruns = 0;
}

static const ex_op_vt sort_vt = {"Sort", sort_open, sort_next, sort_close};

ex_op *ex_sort_new(ex_state *st, ex_op *child, int nkeys, ex_sortkey *keys)
{
	sort_op *s = cm_new(st->arena, sort_op);
	ex_op_init(&s->op, &sort_vt, st, child->ncols, child->types);
	s->child = child;
	s->nkeys = nkeys;
	s->keys = keys;
	sem_type *t = cm_new_array(st->arena, sem_type, nkeys + child->ncols);
	for (int k = 0; k < nkeys; k++)
		t[k] = keys[k].expr->type;
	memcpy(t + nkeys, child->types, sizeof(sem_type) * (size_t) child->ncols);
	ex_rowstore_init(&s->rs, st, nkeys + child->ncols, t, "sort");
	s->limit = s->rs.mem.limit;
	s->rs.mem.limit = INT64_MAX;	/* the sort spills instead of failing */
	s->width = nkeys + child->ncols;
	return &s->op;
}

/* ---- distinct ---------------------------------------------------------------------- */

typedef struct distinct_op {
	ex_op op;
	ex_op *child;
	int nkeys;				/* 0: hashed over all columns */
	sem_expr **keys;
	sem_oid *htypes;
	ex_htab ht;
	cm_arena *harena;
	ex_mem mem;
	sem_datum *prev;		/* previous keys (DISTINCT ON) */
	bool have_prev;
	sem_type *keytypes;
} distinct_op;

static cm_status distinct_open(ex_op *op, cm_error *err)
{
	distinct_op *d = (distinct_op *) op;
	cm_arena_reset(d->harena);
	ex_mem_init(&d->mem, op->st, "DISTINCT");
	ex_htab_init(&d->ht, d->harena, op->ncols, d->htypes, &d->mem);
	d->have_prev = false;
	return ex_open(d->child, err);
}

static cm_status distinct_next(ex_op *op, ex_batch **out, cm_error *err)
{
	distinct_op *d = (distinct_op *) op;
	for (;;) {
		ex_batch *in;
		if (ex_next(d->child, &in, err) != CM_OK)
			return CM_ERROR;
		if (!in)
			return CM_OK;
		int k = 0;
		for (int r = 0; r < in->nrows; r++) {
			sem_datum *row = ex_row(in, r);
			bool keep;
			if (d->nkeys == 0) {
				ex_hentry *e;
				bool created;
				if (ex_htab_lookup(&d->ht, row, true, &e, &created, err) != CM_OK)
					return CM_ERROR;
				keep = created;
			} else {
				sem_datum kv[64];
				for (int i = 0; i < d->nkeys; i++)
					if (sem_eval(&op->ctx, d->keys[i], row, op->st->params, &kv[i], err) != CM_OK)
						return CM_ERROR;
				keep = !d->have_prev;
				for (int i = 0; i < d->nkeys && !keep; i++)
					keep = !ex_datum_eq(d->keys[i]->type.oid, &kv[i], &d->prev[i]);
				if (keep) {
					cm_arena_reset(d->harena);
					d->prev = cm_alloc(d->harena, sizeof(sem_datum) * (size_t) d->nkeys);
					ex_row_copy(d->harena, d->nkeys, d->keytypes, kv, d->prev);
					d->have_prev = true;
				}
			}
			if (!keep)
				continue;
			if (k != r)
				memcpy(ex_row(in, k), row, sizeof(sem_datum) * (size_t) in->width);
			k++;
		}
		if (k) {
			in->nrows = k;
			*out = in;
			return CM_OK;
		}
	}
}

static void distinct_close(ex_op *op)
{
	distinct_op *d = (distinct_op *) op;
	ex_close(d->child);
	cm_arena_reset(d->harena);
}

static const ex_op_vt distinct_vt = {"HashAggregate (distinct)", distinct_open, distinct_next, distinct_close};
static const ex_op_vt unique_vt = {"Unique", distinct_open, distinct_next, distinct_close};

ex_op *ex_distinct_new(ex_state *st, ex_op *child, int nkeys, sem_expr **keys)
{
	distinct_op *d = cm_new(st->arena, distinct_op);
	ex_op_init(&d->op, nkeys ? &unique_vt : &distinct_vt, st, child->ncols, child->types);
	d->child = child;
	d->nkeys = nkeys > 64 ? 64 : nkeys;
	d->keys = keys;
	d->htypes = cm_new_array(st->arena, sem_oid, child->ncols + 1);
	for (int i = 0; i < child->ncols; i++)
		d->htypes[i] = child->types[i].oid;
	d->keytypes = cm_new_array(st->arena, sem_type, nkeys + 1);
	for (int i = 0; i < nkeys; i++)
		d->keytypes[i] = keys[i]->type;
	d->harena = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, d->harena);
	return &d->op;
}
