/*
 * pl_dml_exec.c -- running a bound INSERT / UPDATE / DELETE
 * (pl_modify_exec): INSERT through the batched writer, ON CONFLICT row by
 * row (find_conflict locks the conflicting key first), UPDATE / DELETE
 * over the drained source with row locks and the READ COMMITTED re-check
 * of WHERE (PostgreSQL's EvalPlanQual), RETURNING; EXPLAIN [ANALYZE] of
 * DML.  Map of the DML files: pl_dml_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/plan/pl_dml_internal.h"
#include "sql/sem/sem_io.h"

/* ---- execution -------------------------------------------------------------------------- */

typedef struct retbuf {
	cm_arena *a;
	int ncols;
	int n, cap;
	sem_datum *rows;
} retbuf;

static cm_status ret_add(retbuf *rb, sem_ctx *ctx, const pl_modify *m, const sem_datum *row, const sem_datum *params,
						 cm_error *err)
{
	if (m->nret == 0)
		return CM_OK;
	if (rb->n == rb->cap) {
		int nc = rb->cap ? rb->cap * 2 : 16;
		sem_datum *nr = cm_new_array(rb->a, sem_datum, (size_t) nc * (size_t) m->nret);
		if (rb->n)
			memcpy(nr, rb->rows, sizeof(sem_datum) * (size_t) rb->n * (size_t) m->nret);
		rb->rows = nr;
		rb->cap = nc;
	}
	sem_datum *out = &rb->rows[(size_t) rb->n * (size_t) m->nret];
	for (int c = 0; c < m->nret; c++) {
		sem_datum d;
		if (sem_eval(ctx, m->ret[c], row, params, &d, err) != CM_OK)
			return CM_ERROR;
		ex_datum_copy(rb->a, m->ret[c]->type.oid, &d, &out[c]);
	}
	rb->n++;
	return CM_OK;
}

/* Pull every row of op into a row store (the source is read to the end
 * before anything is written). */
static cm_status drain(ex_op *op, ex_rowstore *rs, cm_error *err)
{
	if (ex_open(op, err) != CM_OK)
		return CM_ERROR;
	cm_status st = ex_rowstore_fill(rs, op, err);
	ex_close(op);
	return st;
}

static bool tree_reads_tables(const pl_node *n)
{
	if (!n)
		return false;
	if (n->kind == PL_SCAN)
		return true;
	return tree_reads_tables(n->left) || tree_reads_tables(n->right);
}

/* ON CONFLICT: the existing row a new row conflicts with (*h, row), if any. */
static cm_status find_conflict(cm_arena *a, pl_env *env, const pl_modify *m, const sem_datum *row, bool *found,
							   int64_t *h, sem_datum *existing, cm_error *err)
{
	const cat_table *t = m->t;
	*found = false;
	if (t->handle_col >= 0 && (m->oc_index == 0 || m->oc_index == -1) && !row[t->handle_col].isnull) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, row[t->handle_col].v.i);
		bool exists;
		if (pl_dml_lock_check(a, env, k, sizeof k, &exists, err) != CM_OK)
			return CM_ERROR;
		if (cat_row_get(env->txn, a, t, row[t->handle_col].v.i, existing, found, err) != CM_OK)
			return CM_ERROR;
		if (*found) {
			*h = row[t->handle_col].v.i;
			return CM_OK;
		}
	}
	for (int i = 0; i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (!ix->unique || pl_dml_is_handle_index(t, ix) || (m->oc_index > 0 && ix->id != m->oc_index) || m->oc_index == 0)
			continue;
		sem_datum *vals = cm_new_array(a, sem_datum, ix->ncols + 1);
		bool anynull = false;
		for (int k = 0; k < ix->ncols; k++) {
			int pos;
			sql_cat_column_by_id(t, ix->col_ids[k], &pos);
			vals[k] = row[pos];
			anynull |= row[pos].isnull;
		}
		if (anynull)
			continue;
		cm_buf kb;
		cm_buf_init(&kb);
		bool exists;
		cm_status st = cat_index_key_prefix(a, t, ix, vals, ix->ncols, &kb, err);
		if (st == CM_OK)
			st = pl_dml_lock_check(a, env, (const uint8_t *) kb.data, kb.len, &exists, err);
		cm_buf_free(&kb);
		if (st != CM_OK)
			return CM_ERROR;
		int64_t hh;
		bool f;
		if (cat_index_get_unique(env->txn, a, t, ix, vals, &hh, &f, err) != CM_OK)
			return CM_ERROR;
		if (f && cat_row_get(env->txn, a, t, hh, existing, found, err) != CM_OK)
			return CM_ERROR;
		if (*found) {
			*h = hh;
			return CM_OK;
		}
	}
	return CM_OK;
}

static cm_status exec_insert(pl_modify *m, ex_state *st, pl_env *env, sem_ctx *ctx, retbuf *rb, int64_t *count,
							 cm_error *err)
{
	const cat_table *t = m->t;
	cm_arena *a = st->arena;
	ex_op *src;
	if (pl_build(st, m->src, &src, err) != CM_OK)
		return CM_ERROR;
	pl_writer *w = pl_dml_writer_for(a, ctx, env, &m->ti, st->params);
	sem_datum *row = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *both = cm_new_array(a, sem_datum, 2 * t->ncols + 1);
	cm_arena *rowa = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, rowa);
	sem_ctx rctx = *ctx;
	rctx.arena = rowa;
	rctx.exec = st;
	/* a source that reads tables is read completely before the first write */
	ex_rowstore rs;
	bool materialise = tree_reads_tables(m->src) || m->oc != OC_NONE;
	ex_rowstore_init(&rs, st, src->ncols, src->types, "INSERT source");
	if (materialise && drain(src, &rs, err) != CM_OK)
		return CM_ERROR;
	int64_t pos = 0;
	if (!materialise && ex_open(src, err) != CM_OK)
		return CM_ERROR;
	int64_t rowno = 0;
	for (;;) {
		ex_batch *b = NULL;
		int nb;
		if (materialise) {
			nb = (int) (rs.n - pos);
			if (nb > EX_BATCH_ROWS)
				nb = EX_BATCH_ROWS;
		} else {
			if (ex_next(src, &b, err) != CM_OK)
				return CM_ERROR;
			nb = b ? b->nrows : 0;
		}
		if (nb == 0)
			break;
		for (int r = 0; r < nb; r++) {
			const sem_datum *in = materialise ? rs.rows[pos + r] : ex_row(b, r);
			cm_arena_reset(rowa);
			/* source columns first: defaults of the others may not see them, as in PostgreSQL */
			for (int c = 0; c < m->nsrc; c++)
				row[m->src_slot[c]] = in[c];
			if (pl_writer_defaults(w, m->given, row, err) != CM_OK)
				return CM_ERROR;
			rowno++;
			if (m->oc == OC_NONE) {
				if (m->nret && pl_dml_check_row(&rctx, &m->ti, row, st->params, err) != CM_OK)
					return CM_ERROR;
				if (pl_writer_add(w, row, err) != CM_OK)
					return CM_ERROR;
				if (ret_add(rb, &rctx, m, row, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			/* ON CONFLICT: row by row */
			bool found;
			int64_t h = 0;
			sem_datum *existing = both;
			if (find_conflict(rowa, env, m, row, &found, &h, existing, err) != CM_OK)
				return CM_ERROR;
			if (!found) {
				if (pl_writer_add(w, row, err) != CM_OK || pl_writer_flush(w, err) != CM_OK)
					return CM_ERROR;
				if (ret_add(rb, &rctx, m, row, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			if (m->oc == OC_NOTHING)
				continue;
			memcpy(both + t->ncols, row, sizeof(sem_datum) * (size_t) t->ncols);
			if (m->oc_where) {
				sem_datum ok;
				if (sem_eval(&rctx, m->oc_where, both, st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			sem_datum *nr = cm_new_array(rowa, sem_datum, t->ncols + 1);
			memcpy(nr, existing, sizeof(sem_datum) * (size_t) t->ncols);
			for (int i = 0; i < m->oc_nset; i++)
				if (sem_eval(&rctx, m->oc_set[i], both, st->params, &nr[m->oc_set_slot[i]], err) != CM_OK)
					return CM_ERROR;
			int64_t nh;
			if (pl_dml_write_update(&rctx, rowa, env, &m->ti, h, existing, nr, st->params, true, &nh, err) != CM_OK)
				return CM_ERROR;
			(*count)++;
			if (ret_add(rb, &rctx, m, nr, st->params, err) != CM_OK)
				return CM_ERROR;
		}
		pos += nb;
	}
	if (!materialise)
		ex_close(src);
	if (pl_writer_flush(w, err) != CM_OK)
		return CM_ERROR;
	*count += pl_writer_count(w);
	return CM_OK;
}

static int cmp_handle_row(const void *a, const void *b)
{
	int64_t x = (*(sem_datum *const *) a)[0].v.i, y = (*(sem_datum *const *) b)[0].v.i;
	return x < y ? -1 : x > y;
}

static cm_status exec_update_delete(pl_modify *m, ex_state *st, pl_env *env, sem_ctx *ctx, retbuf *rb,
									int64_t *count, cm_error *err)
{
	const cat_table *t = m->t;
	cm_arena *a = st->arena;
	ex_op *src;
	if (pl_build(st, m->src, &src, err) != CM_OK)
		return CM_ERROR;
	ex_rowstore rs;
	ex_rowstore_init(&rs, st, src->ncols, src->types, m->verb);
	if (drain(src, &rs, err) != CM_OK)
		return CM_ERROR;
	if (rs.n == 0)
		return CM_OK;
	/* one change per row, in handle order */
	qsort(rs.rows, (size_t) rs.n, sizeof(sem_datum *), cmp_handle_row);
	int64_t nrows = 0;
	for (int64_t i = 0; i < rs.n; i++)
		if (nrows == 0 || rs.rows[i][0].v.i != rs.rows[nrows - 1][0].v.i)
			rs.rows[nrows++] = rs.rows[i];
	cm_arena *ba = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, ba);
	sem_ctx rctx = *ctx;
	rctx.exec = st;
	sem_datum *old = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *snap = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *nr = cm_new_array(a, sem_datum, t->ncols + 1);
	for (int64_t base = 0; base < nrows; base += WRITE_BATCH) {
		int n = (int) (nrows - base > WRITE_BATCH ? WRITE_BATCH : nrows - base);
		cm_arena_reset(ba);
		rctx.arena = ba;
		if (base > 0 && kv_txn_check_buffer(env->txn, err) != KV_OK)
			return CM_ERROR;	/* 53200: the write set stays in memory until commit */
		int64_t *hs = cm_new_array(ba, int64_t, n);
		for (int i = 0; i < n; i++)
			hs[i] = rs.rows[base + i][0].v.i;
		kv_value *res = cm_new_array(ba, kv_value, n);
		if (pl_lock_rows(ba, env, t, hs, n, 0, res, err) != CM_OK)
			return CM_ERROR;
		for (int i = 0; i < n; i++) {
			const sem_datum *src_row = rs.rows[base + i];
			if (!res[i].found)
				continue;		/* deleted concurrently */
			if (cat_row_decode(ba, t, res[i].data, res[i].len, hs[i], old, err) != CM_OK)
				return CM_ERROR;
			/* did the row change after our snapshot? */
			int vc = 1;
			bool changed = false;
			for (int c = 0; c < t->ncols; c++) {
				memset(&snap[c], 0, sizeof snap[c]);
				snap[c].isnull = true;
				if (t->cols[c].dropped)
					continue;
				snap[c] = src_row[vc++];
				if (!ex_datum_eq(t->cols[c].type.oid, &snap[c], &old[c]))
					changed = true;
			}
			if (changed && m->recheck && m->where_local) {
				sem_datum ok;
				if (sem_eval(&rctx, m->where_local, old, st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			if (m->kind == MOD_DELETE) {
				if (pl_dml_delete_row(&rctx, ba, env, t, hs[i], old, 0, err) != CM_OK)
					return CM_ERROR;
				(*count)++;
				if (ret_add(rb, &rctx, m, old, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			memcpy(nr, old, sizeof(sem_datum) * (size_t) t->ncols);
			for (int s = 0; s < m->nset; s++) {
				if (m->set_local[s]) {
					if (sem_eval(&rctx, m->set_local[s], old, st->params, &nr[m->set_slot[s]], err) != CM_OK)
						return CM_ERROR;
				} else
					nr[m->set_slot[s]] = src_row[m->set_src[s]];
			}
			int64_t nh;
			if (pl_dml_write_update(&rctx, ba, env, &m->ti, hs[i], old, nr, st->params, true, &nh, err) != CM_OK)
				return CM_ERROR;
			(*count)++;
			if (ret_add(rb, &rctx, m, nr, st->params, err) != CM_OK)
				return CM_ERROR;
		}
	}
	return CM_OK;
}

static ex_state *modify_state(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env)
{
	ex_state *st = ex_state_new(ctx, params, m->nxparams, m->nsubplans);
	st->env = env;
	return st;
}

cm_status pl_modify_exec(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env, cm_arena *out_arena,
						 sem_datum **rows, int *nrows, int64_t *count, cm_error *err)
{
	if (m->nparams > 0 && !params)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
							"bind message supplies 0 parameters, but prepared statement requires %d", m->nparams);
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "%s outside a transaction", m->verb);
	cm_arena *a = cm_arena_create(0);
	sem_ctx sctx = *ctx;
	sctx.arena = a;
	ex_state *st = modify_state(m, &sctx, params, env);
	retbuf rb = {out_arena, m->nret, 0, 0, NULL};
	*count = 0;
	kv_savepoint sp = kv_txn_savepoint(env->txn);
	cm_status s = m->kind == MOD_INSERT ? exec_insert(m, st, env, &st->ctx, &rb, count, err)
										: exec_update_delete(m, st, env, &st->ctx, &rb, count, err);
	if (s != CM_OK) {
		/* the statement leaves nothing behind */
		cm_error e2 = {0};
		if (kv_txn_rollback_to(env->txn, sp, &e2) != KV_OK)
			cm_error_clear(&e2);
	}
	kv_txn_release(env->txn, sp);
	cm_arena_destroy(a);
	*rows = rb.rows;
	*nrows = rb.n;
	return s;
}

/* ---- EXPLAIN -------------------------------------------------------------------------- */

cm_status pl_modify_explain(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env, bool analyze,
							cm_buf *out, cm_error *err)
{
	cm_buf_printf(out, "%s on %s\n", m->kind == MOD_INSERT ? "Insert" : m->kind == MOD_UPDATE ? "Update" : "Delete",
				  m->t->name);
	if (m->src && m->src->kind != PL_RESULT)
		pl_explain_node(m->src, 8, out);
	if (analyze) {
		sem_datum *rows;
		int nrows;
		int64_t count;
		if (pl_modify_exec(m, ctx, params, env, ctx->arena, &rows, &nrows, &count, err) != CM_OK)
			return CM_ERROR;
		cm_buf_printf(out, "Rows affected: %lld\n", (long long) count);
	}
	return CM_OK;
}

cm_status pl_explain_run(pl_plan *p, sem_ctx *ctx, const sem_datum *params, pl_env *env, bool analyze, cm_buf *out,
						 cm_error *err)
{
	if (!analyze) {
		pl_explain(p, out);
		return CM_OK;
	}
	return pl_explain_analyze(p, ctx, params, env, out, err);
}

