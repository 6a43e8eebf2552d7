/*
 * ex_join.c -- hash join and nested-loop join.
 *
 * Both materialise the right input (work_mem-charged row store) and stream
 * the left one; output rows are left ++ right (SEMI/ANTI: left only).  The
 * hash join hashes the right key values once; a left row whose key is NULL
 * matches nothing (= is strict).  Matched flags on right rows give RIGHT and
 * FULL joins their NULL-extended rows after the left input ends.  The
 * residual qual is part of the join condition (not a filter above it), as
 * outer joins require.
 */
#include <string.h>

#include "sql/exec/ex_internal.h"

typedef struct join_op {
	ex_op op;
	ex_jointype jt;
	ex_op *left, *right;
	int nkeys;
	sem_expr **lkeys, **rkeys;
	const sem_builtin **eqs;
	sem_expr *qual;
	ex_rowstore rs;			/* right rows; [cols..., matched flag, keys...] */
	int rw;					/* right width */
	int64_t *heads;			/* hash buckets: index+1 of first row, 0 = none */
	int64_t *nexts;
	uint64_t *hashes;
	int64_t nbuckets;
	/* probe state */
	ex_batch *in;
	int li;
	bool row_active;
	int64_t cursor;			/* next right row to examine (chain index+1 or scan index) */
	bool matched;
	bool left_done;
	int64_t unmatched_pos;	/* RIGHT/FULL tail */
	sem_datum *lkv;
	sem_datum *comb;
	sem_oid *ktypes;
} join_op;

static bool keys_hashable(join_op *j)
{
	return j->nkeys > 0;
}

static cm_status join_open(ex_op *op, cm_error *err)
{
	join_op *j = (join_op *) op;
	ex_rowstore_reset(&j->rs);
	j->in = NULL;
	j->li = 0;
	j->row_active = false;
	j->left_done = false;
	j->unmatched_pos = 0;
	if (ex_open(j->right, err) != CM_OK)
		return CM_ERROR;
	int extra = 1 + j->nkeys;
	sem_datum *kv = cm_alloc(op->st->arena, sizeof(sem_datum) * (size_t) (j->nkeys + 1));
	for (;;) {
		ex_batch *b;
		if (ex_next(j->right, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			sem_datum *row = ex_row(b, r), *stored;
			for (int k = 0; k < j->nkeys; k++)
				if (sem_eval(&j->right->ctx, j->rkeys[k], row, op->st->params, &kv[k], err) != CM_OK)
					return CM_ERROR;
			if (ex_rowstore_add(&j->rs, row, extra, &stored, err) != CM_OK)
				return CM_ERROR;
			for (int k = 0; k < j->nkeys; k++)
				ex_datum_copy(j->rs.arena, j->rkeys[k]->type.oid, &kv[k], &stored[j->rw + 1 + k]);
		}
	}
	ex_close(j->right);
	if (keys_hashable(j)) {
		int64_t nb = 64;
		while (nb < j->rs.n * 2)
			nb *= 2;
		j->nbuckets = nb;
		size_t sz = sizeof(int64_t) * (size_t) nb + (sizeof(int64_t) + sizeof(uint64_t)) * (size_t) (j->rs.n + 1);
		if (ex_mem_charge(&j->rs.mem, (int64_t) sz, err) != CM_OK)
			return CM_ERROR;
		j->heads = cm_alloc0(j->rs.arena, sizeof(int64_t) * (size_t) nb);
		j->nexts = cm_alloc0(j->rs.arena, sizeof(int64_t) * (size_t) (j->rs.n + 1));
		j->hashes = cm_alloc0(j->rs.arena, sizeof(uint64_t) * (size_t) (j->rs.n + 1));
		for (int64_t i = j->rs.n - 1; i >= 0; i--) {
			sem_datum *k = j->rs.rows[i] + j->rw + 1;
			bool null = false;
			for (int q = 0; q < j->nkeys; q++)
				null |= k[q].isnull;
			if (null)
				continue;
			uint64_t h = ex_hash_key(j->nkeys, j->ktypes, k);
			j->hashes[i] = h;
			int64_t bkt = (int64_t) (h & (uint64_t) (nb - 1));
			j->nexts[i] = j->heads[bkt];
			j->heads[bkt] = i + 1;
		}
	}
	return ex_open(j->left, err);
}

/* Does right row ri match the current left row (keys via = and the qual)? */
static cm_status row_matches(join_op *j, const sem_datum *lrow, int64_t ri, bool *out, cm_error *err)
{
	sem_datum *rrow = j->rs.rows[ri];
	*out = false;
	for (int k = 0; k < j->nkeys; k++) {
		sem_datum args[2] = {j->lkv[k], rrow[j->rw + 1 + k]}, r;
		memset(&r, 0, sizeof r);
		if (j->eqs[k]->fn(&j->op.ctx, 2, args, &r, err) != CM_OK)
			return CM_ERROR;
		if (r.isnull || !r.v.b)
			return CM_OK;
	}
	if (j->qual) {
		int lw = j->left->ncols;
		memcpy(j->comb, lrow, sizeof(sem_datum) * (size_t) lw);
		memcpy(j->comb + lw, rrow, sizeof(sem_datum) * (size_t) j->rw);
		sem_datum d;
		if (sem_eval(&j->op.ctx, j->qual, j->comb, j->op.st->params, &d, err) != CM_OK)
			return CM_ERROR;
		if (d.isnull || !d.v.b)
			return CM_OK;
	}
	*out = true;
	return CM_OK;
}

static cm_status join_next(ex_op *op, ex_batch **out, cm_error *err)
{
	join_op *j = (join_op *) op;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	bool hashed = keys_hashable(j);
	while (b->nrows < EX_BATCH_ROWS) {
		if (j->left_done) {
			/* RIGHT/FULL: unmatched right rows */
			if (j->jt != EX_JOIN_RIGHT && j->jt != EX_JOIN_FULL)
				break;
			while (j->unmatched_pos < j->rs.n && b->nrows < EX_BATCH_ROWS) {
				sem_datum *rrow = j->rs.rows[j->unmatched_pos++];
				if (!rrow[j->rw].v.b)
					ex_join_emit(b, j->jt, NULL, j->left->ncols, rrow, j->rw);
			}
			break;
		}
		if (!j->row_active) {
			if (!j->in || j->li >= j->in->nrows) {
				if (b->nrows > 0)
					break;	/* rows in b reference the current left batch */
				if (ex_next(j->left, &j->in, err) != CM_OK)
					return CM_ERROR;
				j->li = 0;
				if (!j->in) {
					j->left_done = true;
					ex_close(j->left);
					continue;
				}
			}
			const sem_datum *lrow = ex_row(j->in, j->li);
			bool null = false;
			for (int k = 0; k < j->nkeys; k++) {
				if (sem_eval(&op->ctx, j->lkeys[k], lrow, op->st->params, &j->lkv[k], err) != CM_OK)
					return CM_ERROR;
				null |= j->lkv[k].isnull;
			}
			j->row_active = true;
			j->matched = false;
			if (hashed) {
				if (null)
					j->cursor = 0;
				else {
					uint64_t h = ex_hash_key(j->nkeys, j->ktypes, j->lkv);
					j->cursor = j->heads[h & (uint64_t) (j->nbuckets - 1)];
					j->hashes[j->rs.n] = h;	/* current probe hash */
				}
			} else
				j->cursor = j->rs.n > 0 ? 1 : 0;
		}
		const sem_datum *lrow = ex_row(j->in, j->li);
		bool stop_row = false;
		while (j->cursor > 0 && b->nrows < EX_BATCH_ROWS) {
			int64_t ri = j->cursor - 1;
			if (hashed)
				j->cursor = j->nexts[ri];
			else
				j->cursor = ri + 2 <= j->rs.n ? ri + 2 : 0;
			if (hashed && j->hashes[ri] != j->hashes[j->rs.n])
				continue;
			bool m;
			if (row_matches(j, lrow, ri, &m, err) != CM_OK)
				return CM_ERROR;
			if (!m)
				continue;
			j->matched = true;
			sem_datum *rrow = j->rs.rows[ri];
			rrow[j->rw].v.b = true;
			if (j->jt == EX_JOIN_ANTI) {
				stop_row = true;
				break;
			}
			ex_join_emit(b, j->jt, lrow, j->left->ncols, rrow, j->rw);
			if (j->jt == EX_JOIN_SEMI) {
				stop_row = true;
				break;
			}
		}
		if (j->cursor == 0 || stop_row) {
			if (!j->matched && (j->jt == EX_JOIN_LEFT || j->jt == EX_JOIN_FULL || j->jt == EX_JOIN_ANTI)) {
				if (b->nrows >= EX_BATCH_ROWS)
					break;
				ex_join_emit(b, j->jt, lrow, j->left->ncols, NULL, j->rw);
			}
			j->row_active = false;
			j->li++;
		}
	}
	if (b->nrows)
		*out = b;
	return CM_OK;
}

static void join_close(ex_op *op)
{
	join_op *j = (join_op *) op;
	ex_close(j->left);
	ex_close(j->right);
	ex_rowstore_reset(&j->rs);
}

static const ex_op_vt hashjoin_vt = {"Hash Join", join_open, join_next, join_close};
static const ex_op_vt nljoin_vt = {"Nested Loop", join_open, join_next, join_close};

ex_op *ex_join_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nkeys, sem_expr **lkeys,
				   sem_expr **rkeys, const sem_builtin **eqs, sem_expr *qual, const sem_type *types)
{
	join_op *j = cm_new(st->arena, join_op);
	int ncols = left->ncols + (jt == EX_JOIN_SEMI || jt == EX_JOIN_ANTI ? 0 : right->ncols);
	ex_op_init(&j->op, nkeys ? &hashjoin_vt : &nljoin_vt, st, ncols, types);
	j->jt = jt;
	j->left = left;
	j->right = right;
	j->nkeys = nkeys;
	j->lkeys = lkeys;
	j->rkeys = rkeys;
	j->eqs = eqs;
	j->qual = qual;
	j->rw = right->ncols;
	j->lkv = cm_new_array(st->arena, sem_datum, nkeys + 1);
	j->comb = cm_new_array(st->arena, sem_datum, left->ncols + right->ncols + 1);
	j->ktypes = cm_new_array(st->arena, sem_oid, nkeys + 1);
	/* hash both sides with the right key's type family (ints share v.i hashing) */
	for (int k = 0; k < nkeys; k++)
		j->ktypes[k] = rkeys[k]->type.oid;
	ex_rowstore_init(&j->rs, st, right->ncols, right->types, jt == EX_JOIN_INNER || !nkeys ? "join" : "hash join");
	if (nkeys)
		j->rs.mem.what = "hash join";
	else
		j->rs.mem.what = "nested loop join";
	return &j->op;
}

/* ---- LATERAL nested loop ----------------------------------------------------------- */

typedef struct lat_op {
	ex_op op;
	ex_jointype jt;
	ex_op *left, *right;
	int nargs;
	sem_expr **args;
	const int *ids;
	sem_expr *qual;
	cm_arena *argarena;
	ex_batch *in;
	int li;
	bool row_active, matched, left_done;
	ex_batch *rb;			/* current right batch */
	int ri;
	sem_datum *comb;
} lat_op;

static void lat_destroy(void *p)
{
	cm_arena_destroy(p);
}

static cm_status lat_open(ex_op *op, cm_error *err)
{
	lat_op *l = (lat_op *) op;
	l->in = NULL;
	l->li = 0;
	l->row_active = false;
	l->left_done = false;
	return ex_open(l->left, err);
}

static cm_status lat_next(ex_op *op, ex_batch **out, cm_error *err)
{
	lat_op *l = (lat_op *) op;
	int lw = l->left->ncols, rw = l->right->ncols;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	while (b->nrows < EX_BATCH_ROWS && !l->left_done) {
		if (!l->row_active) {
			if (!l->in || l->li >= l->in->nrows) {
				if (b->nrows > 0)
					break;
				if (ex_next(l->left, &l->in, err) != CM_OK)
					return CM_ERROR;
				l->li = 0;
				if (!l->in) {
					l->left_done = true;
					break;
				}
			}
			const sem_datum *lrow = ex_row(l->in, l->li);
			cm_arena_reset(l->argarena);
			for (int i = 0; i < l->nargs; i++) {
				sem_datum v;
				if (sem_eval(&op->ctx, l->args[i], lrow, op->st->params, &v, err) != CM_OK)
					return CM_ERROR;
				ex_datum_copy(l->argarena, l->args[i]->type.oid, &v, &op->st->xparams[l->ids[i]]);
			}
			ex_close(l->right);
			if (ex_open(l->right, err) != CM_OK)
				return CM_ERROR;
			l->row_active = true;
			l->matched = false;
			l->rb = NULL;
			l->ri = 0;
		}
		const sem_datum *lrow = ex_row(l->in, l->li);
		bool right_done = false;
		while (b->nrows < EX_BATCH_ROWS) {
			if (!l->rb || l->ri >= l->rb->nrows) {
				/* rows in b point into the right batch: hand them out first */
				if (l->rb && b->nrows > 0)
					break;
				if (ex_next(l->right, &l->rb, err) != CM_OK)
					return CM_ERROR;
				l->ri = 0;
				if (!l->rb) {
					right_done = true;
					break;
				}
			}
			const sem_datum *rrow = ex_row(l->rb, l->ri++);
			memcpy(l->comb, lrow, sizeof(sem_datum) * (size_t) lw);
			memcpy(l->comb + lw, rrow, sizeof(sem_datum) * (size_t) rw);
			if (l->qual) {
				sem_datum d;
				if (sem_eval(&op->ctx, l->qual, l->comb, op->st->params, &d, err) != CM_OK)
					return CM_ERROR;
				if (d.isnull || !d.v.b)
					continue;
			}
			l->matched = true;
			sem_datum *dst = ex_row(b, b->nrows++);
			/* right values live in the right operator's scratch until its next call: copy */
			memcpy(dst, lrow, sizeof(sem_datum) * (size_t) lw);
			ex_row_copy(op->scratch, rw, l->right->types, rrow, dst + lw);
		}
		if (!right_done)
			break;
		if (!l->matched && l->jt == EX_JOIN_LEFT) {
			sem_datum *dst = ex_row(b, b->nrows++);
			memcpy(dst, lrow, sizeof(sem_datum) * (size_t) lw);
			for (int i = 0; i < rw; i++) {
				memset(&dst[lw + i], 0, sizeof(sem_datum));
				dst[lw + i].isnull = true;
			}
		}
		l->row_active = false;
		l->li++;
	}
	if (b->nrows)
		*out = b;
	return CM_OK;
}

static void lat_close(ex_op *op)
{
	lat_op *l = (lat_op *) op;
	ex_close(l->left);
	ex_close(l->right);
}

static const ex_op_vt lat_vt = {"Nested Loop (lateral)", lat_open, lat_next, lat_close};

ex_op *ex_lateral_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nargs, sem_expr **args,
					  const int *ids, sem_expr *qual, const sem_type *types)
{
	lat_op *l = cm_new(st->arena, lat_op);
	ex_op_init(&l->op, &lat_vt, st, left->ncols + right->ncols, types);
	l->jt = jt;
	l->left = left;
	l->right = right;
	l->nargs = nargs;
	l->args = args;
	l->ids = ids;
	l->qual = qual;
	l->comb = cm_new_array(st->arena, sem_datum, left->ncols + right->ncols + 1);
	l->argarena = cm_arena_create(0);
	cm_arena_on_reset(st->arena, lat_destroy, l->argarena);
	return &l->op;
}
