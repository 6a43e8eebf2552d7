/*
 * ex_setop.c -- UNION / INTERSECT / EXCEPT [ALL] and WITH RECURSIVE.
 *
 * UNION ALL streams both inputs; UNION streams them through a hash of the
 * rows seen.  INTERSECT and EXCEPT hash the right input with a count per
 * distinct row, then stream the left input: INTERSECT ALL emits a left row
 * while the right count lasts (min(m, n) copies), EXCEPT ALL once the right
 * count is used up (max(m - n, 0) copies); the distinct forms emit each row
 * once.
 *
 * The recursive union runs its non-recursive input, then its recursive
 * input over and over; worktable scans bound to it read the rows of the
 * previous round.  UNION (not ALL) discards rows already produced.
 */
#include <string.h>

#include "sql/exec/ex_internal.h"

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

typedef struct setop_op {
	ex_op op;
	ex_setopkind kind;
	bool all;
	ex_op *left, *right;
	sem_oid *types;
	cm_arena *harena;
	ex_mem mem;
	ex_htab seen;			/* UNION: rows emitted; INTERSECT/EXCEPT distinct: left rows emitted */
	ex_htab rcount;			/* INTERSECT/EXCEPT: right rows -> count */
	int side;				/* 0 left, 1 right, 2 done */
} setop_op;

static cm_status setop_open(ex_op *op, cm_error *err)
{
	setop_op *s = (setop_op *) op;
	cm_arena_reset(s->harena);
	ex_mem_init(&s->mem, op->st, s->kind == EX_UNION ? "UNION" : s->kind == EX_INTERSECT ? "INTERSECT" : "EXCEPT");
	ex_htab_init(&s->seen, s->harena, op->ncols, s->types, &s->mem);
	ex_htab_init(&s->rcount, s->harena, op->ncols, s->types, &s->mem);
	s->side = 0;
	if (s->kind != EX_UNION) {
		if (ex_open(s->right, err) != CM_OK)
			return CM_ERROR;
		for (;;) {
			ex_batch *b;
			if (ex_next(s->right, &b, err) != CM_OK)
				return CM_ERROR;
			if (!b)
				break;
			for (int r = 0; r < b->nrows; r++) {
				ex_hentry *e;
				bool created;
				if (ex_htab_lookup(&s->rcount, ex_row(b, r), true, &e, &created, err) != CM_OK)
					return CM_ERROR;
				e->payload = (void *) ((intptr_t) e->payload + 1);
			}
		}
		ex_close(s->right);
	}
	return ex_open(s->left, err);
}

static cm_status setop_next(ex_op *op, ex_batch **out, cm_error *err)
{
	setop_op *s = (setop_op *) op;
	while (s->side < 2) {
		ex_op *in_op = s->side == 0 ? s->left : s->right;
		ex_batch *in;
		if (ex_next(in_op, &in, err) != CM_OK)
			return CM_ERROR;
		if (!in) {
			ex_close(in_op);
			s->side++;
			if (s->side == 1 && s->kind == EX_UNION) {
				if (ex_open(s->right, err) != CM_OK)
					return CM_ERROR;
			} else
				s->side = 2;
			continue;
		}
		if (s->kind == EX_UNION && s->all) {
			*out = in;
			return CM_OK;
		}
		int k = 0;
		for (int r = 0; r < in->nrows; r++) {
			sem_datum *row = ex_row(in, r);
			bool keep;
			ex_hentry *e;
			bool created;
			if (s->kind == EX_UNION) {
				if (ex_htab_lookup(&s->seen, row, true, &e, &created, err) != CM_OK)
					return CM_ERROR;
				keep = created;
			} else {
				if (ex_htab_lookup(&s->rcount, row, false, &e, NULL, err) != CM_OK)
					return CM_ERROR;
				intptr_t cnt = e ? (intptr_t) e->payload : 0;
				if (s->all) {
					if (s->kind == EX_INTERSECT) {
						keep = cnt > 0;
						if (keep)
							e->payload = (void *) (cnt - 1);
					} else {
						keep = cnt == 0;
						if (!keep)
							e->payload = (void *) (cnt - 1);
					}
				} else {
					keep = s->kind == EX_INTERSECT ? cnt > 0 : cnt == 0;
					if (keep) {
						ex_hentry *e2;
						if (ex_htab_lookup(&s->seen, row, true, &e2, &created, err) != CM_OK)
							return CM_ERROR;
						keep = created;
					}
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
	return CM_OK;
}

static void setop_close(ex_op *op)
{
	setop_op *s = (setop_op *) op;
	ex_close(s->left);
	ex_close(s->right);
	cm_arena_reset(s->harena);
}

static const ex_op_vt append_vt = {"Append", setop_open, setop_next, setop_close};
static const ex_op_vt union_vt = {"HashSetOp Union", setop_open, setop_next, setop_close};
static const ex_op_vt intersect_vt = {"HashSetOp Intersect", setop_open, setop_next, setop_close};
static const ex_op_vt except_vt = {"HashSetOp Except", setop_open, setop_next, setop_close};

ex_op *ex_setop_new(ex_state *st, ex_setopkind k, bool all, ex_op *left, ex_op *right)
{
	setop_op *s = cm_new(st->arena, setop_op);
	const ex_op_vt *vt = k == EX_UNION ? (all ? &append_vt : &union_vt) : k == EX_INTERSECT ? &intersect_vt : &except_vt;
	ex_op_init(&s->op, vt, st, left->ncols, left->types);
	s->kind = k;
	s->all = all;
	s->left = left;
	s->right = right;
	s->types = cm_new_array(st->arena, sem_oid, left->ncols + 1);
	for (int i = 0; i < left->ncols; i++)
		s->types[i] = left->types[i].oid;
	s->harena = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, s->harena);
	return &s->op;
}

/* ---- recursive union ---------------------------------------------------------------- */

typedef struct rec_op {
	ex_op op;
	ex_op *init, *rec;
	bool dedup;
	sem_oid *types;
	cm_arena *harena;
	ex_mem mem;
	ex_htab seen;
	ex_rowstore stores[2];
	ex_rowstore *work, *next;	/* work: read by worktable scans; next: this round's rows */
	int state;					/* 0 init, 1 recursive, 2 done */
} rec_op;

static cm_status rec_open(ex_op *op, cm_error *err)
{
	rec_op *r = (rec_op *) op;
	cm_arena_reset(r->harena);
	ex_mem_init(&r->mem, op->st, "recursive query");
	ex_htab_init(&r->seen, r->harena, op->ncols, r->types, &r->mem);
	ex_rowstore_reset(&r->stores[0]);
	ex_rowstore_reset(&r->stores[1]);
	r->work = &r->stores[0];
	r->next = &r->stores[1];
	r->state = 0;
	return ex_open(r->init, err);
}

static cm_status rec_next(ex_op *op, ex_batch **out, cm_error *err)
{
	rec_op *r = (rec_op *) op;
	while (r->state < 2) {
		ex_op *in_op = r->state == 0 ? r->init : r->rec;
		ex_batch *in;
		if (ex_next(in_op, &in, err) != CM_OK)
			return CM_ERROR;
		if (!in) {
			ex_close(in_op);
			if (r->next->n == 0) {
				r->state = 2;
				break;
			}
			ex_rowstore *t = r->work;
			r->work = r->next;
			r->next = t;
			ex_rowstore_reset(r->next);
			r->state = 1;
			if (ex_open(r->rec, err) != CM_OK)
				return CM_ERROR;
			continue;
		}
		int k = 0;
		for (int i = 0; i < in->nrows; i++) {
			sem_datum *row = ex_row(in, i);
			if (r->dedup) {
				ex_hentry *e;
				bool created;
				if (ex_htab_lookup(&r->seen, row, true, &e, &created, err) != CM_OK)
					return CM_ERROR;
				if (!created)
					continue;
			}
			if (ex_rowstore_add(r->next, row, 0, NULL, err) != CM_OK)
				return CM_ERROR;
			if (k != i)
				memcpy(ex_row(in, k), row, sizeof(sem_datum) * (size_t) in->width);
			k++;
		}
		if (k) {
			in->nrows = k;
			*out = in;
			return CM_OK;
		}
	}
	return CM_OK;
}

static void rec_close(ex_op *op)
{
	rec_op *r = (rec_op *) op;
	ex_close(r->init);
	if (r->rec)
		ex_close(r->rec);
	cm_arena_reset(r->harena);
	ex_rowstore_reset(&r->stores[0]);
	ex_rowstore_reset(&r->stores[1]);
}

static const ex_op_vt rec_vt = {"Recursive Union", rec_open, rec_next, rec_close};

ex_op *ex_recursive_new(ex_state *st, ex_op *init, bool dedup)
{
	rec_op *r = cm_new(st->arena, rec_op);
	ex_op_init(&r->op, &rec_vt, st, init->ncols, init->types);
	r->init = init;
	r->dedup = dedup;
	r->types = cm_new_array(st->arena, sem_oid, init->ncols + 1);
	for (int i = 0; i < init->ncols; i++)
		r->types[i] = init->types[i].oid;
	r->harena = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, r->harena);
	ex_rowstore_init(&r->stores[0], st, init->ncols, init->types, "recursive query");
	ex_rowstore_init(&r->stores[1], st, init->ncols, init->types, "recursive query");
	r->work = &r->stores[0];
	r->next = &r->stores[1];
	return &r->op;
}

void ex_recursive_set_rec(ex_op *ru, ex_op *rec)
{
	((rec_op *) ru)->rec = rec;
}

typedef struct wt_op {
	ex_op op;
	rec_op *ru;
	int64_t pos;
} wt_op;

static cm_status wt_open(ex_op *op, cm_error *err)
{
	((wt_op *) op)->pos = 0;
	return CM_OK;
}

static cm_status wt_next(ex_op *op, ex_batch **out, cm_error *err)
{
	wt_op *w = (wt_op *) op;
	*out = ex_rowstore_emit(w->ru->work, op, &w->pos);
	return CM_OK;
}

static void wt_close(ex_op *op) {}

static const ex_op_vt wt_vt = {"WorkTable Scan", wt_open, wt_next, wt_close};

ex_op *ex_worktable_new(ex_state *st, ex_op *ru)
{
	wt_op *w = cm_new(st->arena, wt_op);
	ex_op_init(&w->op, &wt_vt, st, ru->ncols, ru->types);
	w->ru = (rec_op *) ru;
	return &w->op;
}
