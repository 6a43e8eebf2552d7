/*
 * pl_lock.c -- row locks: pl_lock_rows (lock the record keys of a set of
 * handles, READ COMMITTED re-reads after a write conflict, NOWAIT and SKIP
 * LOCKED) and the LockRows operator of SELECT ... FOR UPDATE / SHARE.
 *
 * Lock strengths: the store has two lock modes, shared and exclusive.
 * FOR SHARE and FOR KEY SHARE take shared locks (sharers do not block each
 * other), FOR UPDATE and FOR NO KEY UPDATE exclusive ones, as do UPDATE and
 * DELETE.  PostgreSQL's four strengths are coarsened to these two, so the
 * one difference is that FOR KEY SHARE also conflicts with FOR NO KEY UPDATE
 * (and with an UPDATE that changes no key column): see docs/transactions.md.
 *
 * Exported: pl_lock_rows(), pl_lock_rows_mode(), pl_lockrows_new() (see
 * pl_table.h).
 */
#include <string.h>

#include "kv/codec/kv_tablecodec.h"
#include "sql/exec/ex_internal.h"
#include "sql/plan/pl_table.h"

/* ---- row locks ------------------------------------------------------------------------ */

cm_status pl_lock_rows(cm_arena *a, pl_env *env, const cat_table *t, const int64_t *handles, int n, int wait,
					   kv_value *res, cm_error *err)
{
	return pl_lock_rows_mode(a, env, t, handles, n, wait, false, res, err);
}

cm_status pl_lock_rows_mode(cm_arena *a, pl_env *env, const cat_table *t, const int64_t *handles, int n, int wait,
							bool shared, kv_value *res, cm_error *err)
{
	ProtobufCBinaryData *keys = cm_new_array(a, ProtobufCBinaryData, n + 1);
	for (int i = 0; i < n; i++) {
		uint8_t *k = cm_alloc(a, KV_RECORD_KEY_LEN);
		kv_record_key_fixed(k, t->id, handles[i]);
		keys[i].data = k;
		keys[i].len = KV_RECORD_KEY_LEN;
	}
	kv_lock_options lo = {.wait_ms = wait ? -1 : env->lock_wait_ms, .return_values = true, .check_existence = true,
						  .snapshot_check = !env->rc, .shared = shared};
	if (wait == 2) {
		/* SKIP LOCKED: one key at a time, skipping those held by others */
		for (int i = 0; i < n; i++) {
			kv_err e;
			for (int attempt = 0;; attempt++) {
				e = kv_txn_lock_keys(env->txn, a, &keys[i], 1, &lo, &res[i], err);
				if (e != KV_ERR_WRITE_CONFLICT || !env->rc || attempt >= 100)
					break;
				cm_error_clear(err);
				if (kv_txn_stmt_begin(env->txn, err) != KV_OK)
					return CM_ERROR;
			}
			if (e == KV_ERR_LOCK_WAIT_TIMEOUT) {
				cm_error_clear(err);
				res[i].found = false;
				res[i].data = NULL;
				continue;
			}
			if (e != KV_OK)
				return CM_ERROR;
			kv_value own;
			if (kv_txn_get(env->txn, a, keys[i].data, keys[i].len, &own, err) != KV_OK)
				return CM_ERROR;
			res[i] = own;
		}
		return CM_OK;
	}
	for (int attempt = 0;; attempt++) {
		kv_err e = kv_txn_lock_keys(env->txn, a, keys, (size_t) n, &lo, res, err);
		if (e == KV_OK)
			break;
		if (e == KV_ERR_LOCK_WAIT_TIMEOUT && wait == 1) {
			cm_error_clear(err);
			return cm_error_set(err, CM_E_LOCK_NOT_AVAILABLE, "could not obtain lock on row in relation \"%s\"", t->name);
		}
		if (e != KV_ERR_WRITE_CONFLICT || !env->rc || attempt >= 100)
			return CM_ERROR;
		cm_error_clear(err);
		if (kv_txn_stmt_begin(env->txn, err) != KV_OK)
			return CM_ERROR;
	}
	/* rows this transaction wrote itself: its own version is the latest */
	for (int i = 0; i < n; i++) {
		kv_value own;
		if (kv_txn_get(env->txn, a, keys[i].data, keys[i].len, &own, err) != KV_OK)
			return CM_ERROR;
		res[i] = own;
	}
	return CM_OK;
}

typedef struct lock_op {
	ex_op op;
	ex_op *child;
	const pl_tabref *ref;
	int ctid_col;
	sem_expr *pred;
	int wait;
	bool shared;
	ex_rowstore rows;
	int64_t pos;
	cm_arena *keep;
} lock_op;

static cm_status lock_open(ex_op *op, cm_error *err)
{
	lock_op *l = (lock_op *) op;
	pl_env *env = op->st->env;
	ex_rowstore_reset(&l->rows);
	l->pos = 0;
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "row locks outside a transaction");
	const cat_table *t;
	if (pl_tabref_current(l->ref, env, &t, err) != CM_OK)
		return CM_ERROR;
	/* read every qualifying row first: the scan's iterator must be closed before locking */
	ex_rowstore all;
	ex_rowstore_init(&all, op->st, l->child->ncols, l->child->types, "LockRows");
	if (ex_open(l->child, err) != CM_OK)
		return CM_ERROR;
	cm_status st = ex_rowstore_fill(&all, l->child, err);
	ex_close(l->child);
	if (st != CM_OK)
		return CM_ERROR;
	if (!l->keep) {
		l->keep = cm_arena_create(0);
		cm_arena_on_reset(op->st->arena, (cm_cleanup_fn) cm_arena_destroy, l->keep);
	}
	sem_datum *slots = cm_new_array(l->keep, sem_datum, t->ncols + 1);
	sem_ctx ctx = op->st->ctx;
	for (int64_t base = 0; base < all.n; base += 1024) {
		int n = (int) (all.n - base > 1024 ? 1024 : all.n - base);
		cm_arena_reset(l->keep);
		slots = cm_new_array(l->keep, sem_datum, t->ncols + 1);
		ctx.arena = l->keep;
		int64_t *hs = cm_new_array(l->keep, int64_t, n);
		kv_value *res = cm_new_array(l->keep, kv_value, n);
		for (int i = 0; i < n; i++)
			hs[i] = all.rows[base + i][l->ctid_col].v.i;
		if (pl_lock_rows_mode(l->keep, env, t, hs, n, l->wait, l->shared, res, err) != CM_OK)
			return CM_ERROR;
		for (int i = 0; i < n; i++) {
			if (!res[i].found)
				continue;
			sem_datum *row = all.rows[base + i];
			if (cat_row_decode(l->keep, t, res[i].data, res[i].len, hs[i], slots, err) != CM_OK)
				return CM_ERROR;
			bool changed = false;
			for (int c = 0; c < l->ref->nvis; c++)
				if (!ex_datum_eq(l->ref->types[c].oid, &row[c], &slots[l->ref->vis[c]])) {
					changed = true;
					row[c] = slots[l->ref->vis[c]];
				}
			if (changed && l->pred) {
				sem_datum ok;
				if (sem_eval(&ctx, l->pred, row, op->st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			if (ex_rowstore_add(&l->rows, row, 0, NULL, err) != CM_OK)
				return CM_ERROR;
		}
	}
	return CM_OK;
}

static cm_status lock_next(ex_op *op, ex_batch **out, cm_error *err)
{
	lock_op *l = (lock_op *) op;
	*out = ex_rowstore_emit(&l->rows, op, &l->pos);
	return CM_OK;
}

static void lock_close(ex_op *op)
{
	lock_op *l = (lock_op *) op;
	ex_close(l->child);
}

static const ex_op_vt lock_vt = {"LockRows", lock_open, lock_next, lock_close};

ex_op *pl_lockrows_new(ex_state *st, ex_op *child, const pl_tabref *ref, int ctid_col, sem_expr *pred, int wait,
					   int strength)
{
	lock_op *l = cm_new(st->arena, lock_op);
	ex_op_init(&l->op, &lock_vt, st, child->ncols, child->types);
	l->child = child;
	l->ref = ref;
	l->ctid_col = ctid_col;
	l->pred = pred;
	l->wait = wait;
	l->shared = strength == 1;
	ex_rowstore_init(&l->rows, st, child->ncols, child->types, "LockRows");
	return &l->op;
}
