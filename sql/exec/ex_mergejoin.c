/*
 * ex_mergejoin.c -- merge join over two inputs ordered ascending on the
 * join keys (NULLs last).
 *
 * The right input is read one group at a time (the rows sharing one key
 * value, copied into a work_mem-charged row store with a matched flag);
 * each left row advances the groups until the group key is not below its
 * own key and joins the group when the keys are equal.  Keys beyond the
 * first nmerge and the residual condition are checked per pair, as in the
 * hash join.  A key with a NULL never matches.  RIGHT and FULL joins emit
 * a group's unmatched rows when the group is left behind.  Memory is one
 * right group, whatever the input sizes.
 *
 * Output batches point into the current left batch and right group, so
 * neither is replaced while a non-empty batch is being filled.
 */
#include <string.h>

#include "sql/exec/ex_internal.h"
#include "sql/sem/sem_builtins.h"

typedef enum mstate { M_LEFT, M_ADVANCE, M_MATCH, M_FLUSH, M_TAIL, M_DONE } mstate;

typedef struct merge_op {
	ex_op op;
	ex_jointype jt;
	ex_op *left, *right;
	int nkeys, nmerge;
	sem_expr **lkeys, **rkeys;
	const sem_builtin **eqs;
	sem_expr *qual;
	int lw, rw;
	sem_oid *kt;
	mstate state, after_flush;
	/* left */
	ex_batch *in;
	int li;
	bool lk_valid;
	sem_datum *lk;
	bool lmatched;
	/* right */
	ex_batch *rb;
	int ri;
	bool rdone;
	const sem_datum *pend;		/* first row of the next group (in rb) */
	ex_rowstore grp;			/* [cols..., matched, merge keys...] */
	bool have_grp;
	int64_t gi, flush_pos;
	sem_datum *tmpk;
	sem_datum *comb;
} merge_op;

static bool is_int(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

/* Ascending order, NULLs last; *null when either side has a NULL key. */
static int cmp_keys(const merge_op *m, const sem_datum *a, const sem_datum *b, bool *null)
{
	*null = false;
	for (int k = 0; k < m->nmerge; k++) {
		if (a[k].isnull || b[k].isnull) {
			*null = true;
			if (a[k].isnull && b[k].isnull)
				continue;
			return a[k].isnull ? 1 : -1;
		}
		int c;
		if (is_int(m->kt[k]))
			c = a[k].v.i < b[k].v.i ? -1 : a[k].v.i > b[k].v.i;
		else
			c = sem_datum_compare(m->kt[k], &a[k], &b[k]);
		if (c)
			return c;
	}
	return 0;
}

static cm_status eval_keys(merge_op *m, sem_expr **keys, const sem_datum *row, sem_datum *out, cm_error *err)
{
	for (int k = 0; k < m->nmerge; k++)
		if (sem_eval(&m->op.ctx, keys[k], row, m->op.st->params, &out[k], err) != CM_OK)
			return CM_ERROR;
	return CM_OK;
}

/* Next right row (pointer into the right batch) or NULL at the end. */
static cm_status right_row(merge_op *m, const sem_datum **out, cm_error *err)
{
	*out = NULL;
	while (!m->rdone && (!m->rb || m->ri >= m->rb->nrows)) {
		if (ex_next(m->right, &m->rb, err) != CM_OK)
			return CM_ERROR;
		m->ri = 0;
		if (!m->rb) {
			m->rdone = true;
			ex_close(m->right);
		}
	}
	if (!m->rdone)
		*out = ex_row(m->rb, m->ri++);
	return CM_OK;
}

static cm_status group_add(merge_op *m, const sem_datum *row, const sem_datum *keys, cm_error *err)
{
	sem_datum *stored;
	if (ex_rowstore_add(&m->grp, row, 1 + m->nmerge, &stored, err) != CM_OK)
		return CM_ERROR;
	stored[m->rw].isnull = false;
	stored[m->rw].v.b = false;
	for (int k = 0; k < m->nmerge; k++)
		ex_datum_copy(m->grp.arena, m->kt[k], &keys[k], &stored[m->rw + 1 + k]);
	return CM_OK;
}

/* Replace the group by the next one (none at the end of the right input). */
static cm_status load_group(merge_op *m, cm_error *err)
{
	ex_rowstore_reset(&m->grp);
	m->have_grp = false;
	const sem_datum *r = m->pend;
	m->pend = NULL;
	if (!r && right_row(m, &r, err) != CM_OK)
		return CM_ERROR;
	if (!r)
		return CM_OK;
	if (eval_keys(m, m->rkeys, r, m->tmpk, err) != CM_OK || group_add(m, r, m->tmpk, err) != CM_OK)
		return CM_ERROR;
	m->have_grp = true;
	const sem_datum *gkey = m->grp.rows[0] + m->rw + 1;
	for (;;) {
		if (right_row(m, &r, err) != CM_OK)
			return CM_ERROR;
		if (!r)
			break;
		if (eval_keys(m, m->rkeys, r, m->tmpk, err) != CM_OK)
			return CM_ERROR;
		bool null;
		if (cmp_keys(m, m->tmpk, gkey, &null) != 0 || null) {
			m->pend = r;
			break;
		}
		if (group_add(m, r, m->tmpk, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

static cm_status merge_open(ex_op *op, cm_error *err)
{
	merge_op *m = (merge_op *) op;
	ex_rowstore_reset(&m->grp);
	m->state = M_LEFT;
	m->in = NULL;
	m->li = 0;
	m->rb = NULL;
	m->ri = 0;
	m->rdone = false;
	m->pend = NULL;
	m->have_grp = false;
	if (ex_open(m->right, err) != CM_OK)
		return CM_ERROR;
	return ex_open(m->left, err);
}

static bool keeps_right(ex_jointype jt)
{
	return jt == EX_JOIN_RIGHT || jt == EX_JOIN_FULL;
}

static cm_status merge_next(ex_op *op, ex_batch **out, cm_error *err)
{
	merge_op *m = (merge_op *) op;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	*out = NULL;
	m->lk_valid = false;	/* the left keys lived in the scratch arena */
	while (b->nrows < EX_BATCH_ROWS && m->state != M_DONE) {
		switch (m->state) {
		case M_LEFT:
			if (!m->in || m->li >= m->in->nrows) {
				if (b->nrows > 0)
					goto done;
				if (ex_next(m->left, &m->in, err) != CM_OK)
					return CM_ERROR;
				m->li = 0;
				if (!m->in) {
					ex_close(m->left);
					m->state = M_TAIL;
					continue;
				}
			}
			m->lk_valid = false;
			m->state = M_ADVANCE;
			continue;
		case M_ADVANCE: {
			const sem_datum *lrow = ex_row(m->in, m->li);
			if (!m->lk_valid) {
				if (eval_keys(m, m->lkeys, lrow, m->lk, err) != CM_OK)
					return CM_ERROR;
				m->lk_valid = true;
			}
			if (!m->have_grp && (!m->rdone || m->pend)) {
				if (b->nrows > 0)
					goto done;
				if (load_group(m, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			bool null;
			if (m->have_grp && cmp_keys(m, m->grp.rows[0] + m->rw + 1, m->lk, &null) < 0) {
				/* the group is behind this left row: leave it */
				if (keeps_right(m->jt)) {
					m->flush_pos = 0;
					m->after_flush = M_ADVANCE;
					m->state = M_FLUSH;
					continue;
				}
				if (b->nrows > 0)
					goto done;
				m->have_grp = false;
				if (m->rdone && !m->pend) {
					ex_rowstore_reset(&m->grp);
					continue;
				}
				if (load_group(m, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			m->gi = 0;
			m->lmatched = false;
			m->state = M_MATCH;
			continue;
		}
		case M_MATCH: {
			const sem_datum *lrow = ex_row(m->in, m->li);
			if (!m->lk_valid) {
				if (eval_keys(m, m->lkeys, lrow, m->lk, err) != CM_OK)
					return CM_ERROR;
				m->lk_valid = true;
			}
			bool null = true;
			if (m->have_grp && cmp_keys(m, m->grp.rows[0] + m->rw + 1, m->lk, &null) == 0 && !null) {
				while (m->gi < m->grp.n && b->nrows < EX_BATCH_ROWS) {
					sem_datum *rrow = m->grp.rows[m->gi++];
					bool ok;
					if (ex_join_pair_ok(op, m->nmerge, m->nkeys, m->lkeys, m->rkeys, m->eqs, m->qual, m->comb, lrow, m->lw,
										rrow, m->rw, &ok, err) != CM_OK)
						return CM_ERROR;
					if (!ok)
						continue;
					m->lmatched = true;
					rrow[m->rw].v.b = true;
					if (m->jt == EX_JOIN_SEMI || m->jt == EX_JOIN_ANTI) {
						if (m->jt == EX_JOIN_SEMI)
							ex_join_emit(b, m->jt, lrow, m->lw, NULL, m->rw);
						m->gi = m->grp.n;
						m->lmatched = true;
						goto row_end;
					}
					ex_join_emit(b, m->jt, lrow, m->lw, rrow, m->rw);
				}
				if (m->gi < m->grp.n)
					goto done;
			}
		row_end:
			if (!m->lmatched && (m->jt == EX_JOIN_LEFT || m->jt == EX_JOIN_FULL || m->jt == EX_JOIN_ANTI)) {
				if (b->nrows >= EX_BATCH_ROWS)
					goto done;
				ex_join_emit(b, m->jt, lrow, m->lw, NULL, m->rw);
			}
			m->li++;
			m->state = M_LEFT;
			continue;
		}
		case M_FLUSH:
			while (m->flush_pos < m->grp.n && b->nrows < EX_BATCH_ROWS) {
				sem_datum *rrow = m->grp.rows[m->flush_pos++];
				if (!rrow[m->rw].v.b)
					ex_join_emit(b, m->jt, NULL, m->lw, rrow, m->rw);
			}
			if (m->flush_pos < m->grp.n || b->nrows > 0)
				goto done;
			m->have_grp = false;
			if (m->rdone && !m->pend)
				ex_rowstore_reset(&m->grp);
			else if (load_group(m, err) != CM_OK)
				return CM_ERROR;
			m->state = m->after_flush;
			continue;
		case M_TAIL:
			if (!keeps_right(m->jt)) {
				m->state = M_DONE;
				continue;
			}
			if (!m->have_grp) {
				if (m->rdone && !m->pend) {
					m->state = M_DONE;
					continue;
				}
				if (b->nrows > 0)
					goto done;
				if (load_group(m, err) != CM_OK)
					return CM_ERROR;
				if (!m->have_grp) {
					m->state = M_DONE;
					continue;
				}
			}
			m->flush_pos = 0;
			m->after_flush = M_TAIL;
			m->state = M_FLUSH;
			continue;
		case M_DONE:
			break;
		}
	}
done:
	if (b->nrows)
		*out = b;
	return CM_OK;
}

static void merge_close(ex_op *op)
{
	merge_op *m = (merge_op *) op;
	ex_close(m->left);
	ex_close(m->right);
	ex_rowstore_reset(&m->grp);
}

static const ex_op_vt merge_vt = {"Merge Join", merge_open, merge_next, merge_close};

ex_op *ex_mergejoin_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nkeys, int nmerge,
						sem_expr **lkeys, sem_expr **rkeys, const sem_builtin **eqs, sem_expr *qual,
						const sem_type *types)
{
	merge_op *m = cm_new(st->arena, merge_op);
	int ncols = left->ncols + (jt == EX_JOIN_SEMI || jt == EX_JOIN_ANTI ? 0 : right->ncols);
	ex_op_init(&m->op, &merge_vt, st, ncols, types);
	m->jt = jt;
	m->left = left;
	m->right = right;
	m->nkeys = nkeys;
	m->nmerge = nmerge > 0 && nmerge <= nkeys ? nmerge : nkeys;
	m->lkeys = lkeys;
	m->rkeys = rkeys;
	m->eqs = eqs;
	m->qual = qual;
	m->lw = left->ncols;
	m->rw = right->ncols;
	m->kt = cm_new_array(st->arena, sem_oid, nkeys + 1);
	for (int k = 0; k < nkeys; k++)
		m->kt[k] = rkeys[k]->type.oid;
	m->lk = cm_new_array(st->arena, sem_datum, nkeys + 1);
	m->tmpk = cm_new_array(st->arena, sem_datum, nkeys + 1);
	m->comb = cm_new_array(st->arena, sem_datum, left->ncols + right->ncols + 1);
	ex_rowstore_init(&m->grp, st, right->ncols, right->types, "merge join");
	return &m->op;
}
