/*
 * pl_lookup.c -- the index lookup join operator.
 *
 * For each batch of left rows the right table's rows are fetched by the
 * left rows' key values: a batch point get on the integer primary key, or
 * the index entries whose leading columns equal the keys and then a batch
 * point get of their rows.  Each fetched row must pass the right filter,
 * then every join key equality and the join condition are checked as in a
 * hash join (the lookup only narrows the candidates).  Left order is kept;
 * one left row's matches come in handle order.  Inner, left, semi and
 * anti joins (pl_opt.c chooses this operator only for those).
 *
 * Memory: the rows of one left batch's matches, in an arena reset when the
 * next left batch is read (output batches point into it until then).
 *
 * Exported: pl_lookupjoin_new (pl_logical.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_tablecodec.h"
#include "sql/exec/ex_internal.h"
#include "sql/plan/pl_table.h"

typedef struct lookup_op {
	ex_op op;
	const pl_node *n;
	const pl_scanspec *spec;
	ex_op *left;
	const cat_table *t;
	const cat_index *ix;		/* NULL: handle lookups */
	int rw;						/* right row width (visible columns [+ handle]) */
	cm_arena *barena;			/* per left batch */
	ex_batch *in;
	bool left_done;
	int li;						/* current left row */
	int mi;						/* its next candidate */
	bool matched;
	int *mstart, *mcount;		/* per left row: candidates mrows[mstart, +mcount) */
	sem_datum **mrows;
	sem_datum *comb;
	ex_mem mem;
} lookup_op;

typedef struct fetched {
	int64_t h;
	sem_datum *row;				/* NULL: missing or filtered out */
} fetched;

static int cmp_fetched(const void *a, const void *b)
{
	int64_t x = ((const fetched *) a)->h, y = ((const fetched *) b)->h;
	return x < y ? -1 : x > y;
}

static sem_datum *find_row(fetched *f, int n, int64_t h)
{
	int lo = 0, hi = n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (f[mid].h == h)
			return f[mid].row;
		if (f[mid].h < h)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Fetch the rows of handles f[0..n) (sorted, distinct) into f[i].row. */
static cm_status fetch_rows(lookup_op *l, sem_ctx *ctx, fetched *f, int n, cm_error *err)
{
	ex_state *st = l->op.st;
	pl_env *env = st->env;
	const pl_tabref *ref = l->spec->ref;
	sem_datum *slots = cm_new_array(l->barena, sem_datum, l->t->ncols + 1);
	for (int base = 0; base < n; base += EX_BATCH_ROWS) {
		int m = n - base < EX_BATCH_ROWS ? n - base : EX_BATCH_ROWS;
		ProtobufCBinaryData *keys = cm_new_array(l->barena, ProtobufCBinaryData, m);
		kv_value *vals = cm_new_array(l->barena, kv_value, m);
		for (int i = 0; i < m; i++) {
			uint8_t *k = cm_alloc(l->barena, KV_RECORD_KEY_LEN);
			kv_record_key_fixed(k, l->t->id, f[base + i].h);
			keys[i].data = k;
			keys[i].len = KV_RECORD_KEY_LEN;
		}
		kv_err e = m == 1 ? kv_txn_get(env->txn, l->barena, keys[0].data, keys[0].len, &vals[0], err)
						  : kv_txn_batch_get(env->txn, l->barena, keys, (size_t) m, vals, err);
		if (e != KV_OK)
			return CM_ERROR;
		for (int i = 0; i < m; i++) {
			fetched *fe = &f[base + i];
			fe->row = NULL;
			if (!vals[i].found)
				continue;
			if (cat_row_decode(l->barena, l->t, vals[i].data, vals[i].len, fe->h, slots, err) != CM_OK)
				return CM_ERROR;
			sem_datum *row = cm_new_array(l->barena, sem_datum, l->rw + 1);
			pl_row_to_visible(ref, slots, row);
			if (l->spec->with_handle) {
				memset(&row[ref->nvis], 0, sizeof(sem_datum));
				row[ref->nvis].v.i = fe->h;
			}
			if (l->n->rfilter) {
				sem_datum ok;
				if (sem_eval(ctx, l->n->rfilter, row, st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			fe->row = row;
		}
	}
	return CM_OK;
}

/* Read the next left batch and fetch its candidates. */
static cm_status load_batch(lookup_op *l, cm_error *err)
{
	ex_state *st = l->op.st;
	pl_env *env = st->env;
	cm_arena_reset(l->barena);
	l->mem.used = 0;
	if (ex_next(l->left, &l->in, err) != CM_OK)
		return CM_ERROR;
	l->li = 0;
	l->mi = 0;
	if (!l->in) {
		l->left_done = true;
		return CM_OK;
	}
	int n = l->in->nrows, nk = l->n->nlookup;
	sem_ctx ctx = st->ctx;
	ctx.arena = l->barena;
	l->mstart = cm_new_array(l->barena, int, n + 1);
	l->mcount = cm_new_array(l->barena, int, n + 1);
	int64_t **hs = cm_new_array(l->barena, int64_t *, n + 1);
	int *nh = cm_new_array(l->barena, int, n + 1);
	sem_datum *vals = cm_new_array(l->barena, sem_datum, nk + 1);
	int total = 0;
	for (int i = 0; i < n; i++) {
		const sem_datum *lrow = ex_row(l->in, i);
		bool null = false;
		for (int k = 0; k < nk; k++) {
			if (sem_eval(&ctx, l->n->lkeys[l->n->lookup_keys[k]], lrow, st->params, &vals[k], err) != CM_OK)
				return CM_ERROR;
			null |= vals[k].isnull;
		}
		if (null)
			continue;
		if (!l->ix) {
			hs[i] = cm_new(l->barena, int64_t);
			hs[i][0] = vals[0].v.i;
			nh[i] = 1;
		} else if (pl_index_handles(l->barena, env->txn, l->t, l->ix, vals, nk, &hs[i], &nh[i], err) != CM_OK)
			return CM_ERROR;
		total += nh[i];
	}
	if (ex_mem_charge(&l->mem, (int64_t) total * (int64_t) (sizeof(fetched) + sizeof(sem_datum) * (size_t) l->rw),
					  err) != CM_OK)
		return CM_ERROR;
	/* distinct handles, fetched once */
	fetched *f = cm_new_array(l->barena, fetched, total + 1);
	int nf = 0;
	for (int i = 0; i < n; i++)
		for (int q = 0; q < nh[i]; q++)
			f[nf++].h = hs[i][q];
	qsort(f, (size_t) nf, sizeof(fetched), cmp_fetched);
	int u = 0;
	for (int i = 0; i < nf; i++)
		if (u == 0 || f[i].h != f[u - 1].h)
			f[u++] = f[i];
	if (u > 0 && fetch_rows(l, &ctx, f, u, err) != CM_OK)
		return CM_ERROR;
	l->mrows = cm_new_array(l->barena, sem_datum *, total + 1);
	int pos = 0;
	for (int i = 0; i < n; i++) {
		l->mstart[i] = pos;
		for (int q = 0; q < nh[i]; q++) {
			sem_datum *r = find_row(f, u, hs[i][q]);
			if (r)
				l->mrows[pos++] = r;
		}
		l->mcount[i] = pos - l->mstart[i];
	}
	return CM_OK;
}

static cm_status lookup_open(ex_op *op, cm_error *err)
{
	lookup_op *l = (lookup_op *) op;
	pl_env *env = op->st->env;
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "table scan outside a transaction");
	if (pl_tabref_current(l->spec->ref, env, &l->t, err) != CM_OK)
		return CM_ERROR;
	l->ix = NULL;
	if (l->spec->acc != PL_ACC_POINT) {
		l->ix = sql_cat_index_by_id(l->t, l->spec->index_id);
		if (!l->ix)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
	}
	if (!l->barena) {
		l->barena = cm_arena_create(0);
		cm_arena_on_reset(op->st->arena, (cm_cleanup_fn) cm_arena_destroy, l->barena);
	}
	l->in = NULL;
	l->left_done = false;
	l->li = l->mi = 0;
	l->matched = false;
	return ex_open(l->left, err);
}

static cm_status lookup_next(ex_op *op, ex_batch **out, cm_error *err)
{
	lookup_op *l = (lookup_op *) op;
	ex_jointype jt = l->n->jt;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	*out = NULL;
	while (b->nrows < EX_BATCH_ROWS && !l->left_done) {
		if (!l->in || l->li >= l->in->nrows) {
			if (b->nrows > 0)
				break;	/* b points into this batch's rows */
			if (load_batch(l, err) != CM_OK)
				return CM_ERROR;
			l->matched = false;
			continue;
		}
		const sem_datum *lrow = ex_row(l->in, l->li);
		bool row_done = false;
		while (l->mi < l->mcount[l->li] && b->nrows < EX_BATCH_ROWS) {
			const sem_datum *r = l->mrows[l->mstart[l->li] + l->mi++];
			bool m;
			if (ex_join_pair_ok(op, 0, l->n->nkeys, l->n->lkeys, l->n->rkeys, l->n->eqs, l->n->pred, l->comb, lrow,
								 l->left->ncols, r, l->rw, &m, err) != CM_OK)
				return CM_ERROR;
			if (!m)
				continue;
			l->matched = true;
			if (jt == EX_JOIN_ANTI || jt == EX_JOIN_SEMI) {
				if (jt == EX_JOIN_SEMI)
					ex_join_emit(b, jt, lrow, l->left->ncols, NULL, l->rw);
				row_done = true;
				break;
			}
			ex_join_emit(b, jt, lrow, l->left->ncols, r, l->rw);
		}
		if (!row_done && l->mi < l->mcount[l->li])
			break;	/* b is full */
		if (!l->matched && (jt == EX_JOIN_LEFT || jt == EX_JOIN_ANTI)) {
			if (b->nrows >= EX_BATCH_ROWS)
				break;
			ex_join_emit(b, jt, lrow, l->left->ncols, NULL, l->rw);
		}
		l->li++;
		l->mi = 0;
		l->matched = false;
	}
	if (b->nrows)
		*out = b;
	return CM_OK;
}

static void lookup_close(ex_op *op)
{
	lookup_op *l = (lookup_op *) op;
	ex_close(l->left);
	if (l->barena)
		cm_arena_reset(l->barena);
	l->mem.used = 0;
}

static const ex_op_vt lookup_vt = {"Index Lookup Join", lookup_open, lookup_next, lookup_close};

ex_op *pl_lookupjoin_new(ex_state *st, const pl_node *n, ex_op *left)
{
	lookup_op *l = cm_new(st->arena, lookup_op);
	ex_op_init(&l->op, &lookup_vt, st, n->ncols, n->types);
	l->n = n;
	l->spec = n->lookup;
	l->left = left;
	l->rw = n->lookup->ref->nvis + (n->lookup->with_handle ? 1 : 0);
	l->comb = cm_new_array(st->arena, sem_datum, left->ncols + l->rw + 1);
	ex_mem_init(&l->mem, st, "index lookup join");
	return &l->op;
}
