/*
 * pl_dml_check.c -- constraint checks of the DML path and their
 * PostgreSQL error texts: NOT NULL and CHECK (pl_dml_check_row, 23502 /
 * 23514), unique violations (pl_dml_dup_error, 23505, "Key (a)=(1) already
 * exists."), foreign keys as child (pl_dml_fk_check_child: the parent row
 * must exist) and as parent (pl_dml_fk_check_parent: ON DELETE / ON UPDATE
 * NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT on the referencing
 * rows).  Map of the DML files: pl_dml_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/plan/pl_dml_internal.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"

/* ---- errors --------------------------------------------------------------------------- */

static void row_text(sem_ctx *ctx, const cat_table *t, const sem_datum *row, cm_buf *b)
{
	cm_buf_putc(b, '(');
	bool first = true;
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].dropped)
			continue;
		if (!first)
			cm_buf_puts(b, ", ");
		first = false;
		if (row[i].isnull)
			cm_buf_puts(b, "null");
		else
			sem_out_text(ctx, t->cols[i].type, &row[i], b);
	}
	cm_buf_putc(b, ')');
}

static void failing_row(sem_ctx *ctx, const cat_table *t, const sem_datum *row, cm_error *err)
{
	cm_buf b;
	cm_buf_init(&b);
	row_text(ctx, t, row, &b);
	cm_error_detail(err, "Failing row contains %s.", b.data);
	cm_buf_free(&b);
}

/* "(a, b)=(1, x)" */
static void key_text(sem_ctx *ctx, const cat_table *t, int n, const int32_t *col_ids, const sem_datum *row,
					 bool by_pos, cm_buf *b)
{
	cm_buf_putc(b, '(');
	for (int i = 0; i < n; i++) {
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], NULL);
		cm_buf_puts(b, i ? ", " : "");
		cm_buf_puts(b, c ? c->name : "?");
	}
	cm_buf_puts(b, ")=(");
	for (int i = 0; i < n; i++) {
		int pos;
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], &pos);
		cm_buf_puts(b, i ? ", " : "");
		const sem_datum *d = by_pos ? &row[i] : &row[pos];
		if (!c || d->isnull)
			cm_buf_puts(b, "null");
		else
			sem_out_text(ctx, c->type, d, b);
	}
	cm_buf_putc(b, ')');
}

cm_status pl_dml_check_row(sem_ctx *ctx, const tabinfo *ti, const sem_datum *row, const sem_datum *params,
						   cm_error *err)
{
	const cat_table *t = ti->t;
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *c = &t->cols[i];
		if (!c->dropped && c->not_null && row[i].isnull) {
			cm_error_set(err, CM_E_NOT_NULL_VIOLATION, "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
						 c->name, t->name);
			failing_row(ctx, t, row, err);
			return CM_ERROR;
		}
	}
	for (int k = 0; k < ti->nchecks; k++) {
		sem_datum r;
		if (sem_eval(ctx, ti->checks[k], row, params, &r, err) != CM_OK)
			return CM_ERROR;
		if (!r.isnull && !r.v.b) {
			cm_error_set(err, CM_E_CHECK_VIOLATION, "new row for relation \"%s\" violates check constraint \"%s\"", t->name,
						 ti->checknames[k]);
			failing_row(ctx, t, row, err);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

static const char *pk_name(const cat_table *t)
{
	for (int i = 0; i < t->ncons; i++)
		if (t->cons[i].type == 'p')
			return t->cons[i].name;
	for (int i = 0; i < t->nindexes; i++)
		if (t->indexes[i].primary)
			return t->indexes[i].name;
	return "?";
}

cm_status pl_dml_dup_error(sem_ctx *ctx, const cat_table *t, int64_t index_id, const sem_datum *row, cm_error *err)
{
	cm_error_clear(err);
	cm_buf b;
	cm_buf_init(&b);
	if (index_id == 0) {
		int32_t id = t->cols[t->handle_col].id;
		cm_error_set(err, CM_E_UNIQUE_VIOLATION, "duplicate key value violates unique constraint \"%s\"", pk_name(t));
		key_text(ctx, t, 1, &id, row, false, &b);
	} else {
		const cat_index *ix = sql_cat_index_by_id(t, index_id);
		cm_error_set(err, CM_E_UNIQUE_VIOLATION, "duplicate key value violates unique constraint \"%s\"",
					 ix ? ix->name : "?");
		if (ix)
			key_text(ctx, t, ix->ncols, ix->col_ids, row, false, &b);
	}
	cm_error_detail(err, "Key %s already exists.", b.data ? b.data : "");
	cm_buf_free(&b);
	return CM_ERROR;
}

/* ---- foreign keys --------------------------------------------------------------------- */

/* The unique key of the referenced table that an FK points at: 0 = the
 * int handle, else an index id; -1 if none matches. */
static int64_t fk_ref_key(const cat_table *rt, const cat_constraint *fk)
{
	if (fk->nref == 1 && rt->handle_col >= 0 && fk->ref_col_ids[0] == rt->cols[rt->handle_col].id)
		return 0;
	for (int i = 0; i < rt->nindexes; i++) {
		const cat_index *ix = &rt->indexes[i];
		if (!ix->unique || ix->ncols != fk->nref)
			continue;
		bool same = true;
		for (int k = 0; k < ix->ncols && same; k++)
			same = ix->col_ids[k] == fk->ref_col_ids[k];
		if (same)
			return ix->id;
	}
	return -1;
}

/* Lock key (shared) and read it as this transaction now sees it: the latest
 * committed version, then its own writes.  READ COMMITTED: a write conflict
 * (the key changed after the statement's for_update_ts) is retried at a
 * newer one, as pl_lock_rows does. */
static cm_status fk_lock_key(cm_arena *a, pl_env *env, const uint8_t *k, size_t kl, bool want_value, kv_value *v,
							 cm_error *err)
{
	ProtobufCBinaryData key = {kl, (uint8_t *) k};
	kv_lock_options lo = {.wait_ms = env->lock_wait_ms, .return_values = want_value, .check_existence = true,
						  .snapshot_check = !env->rc, .shared = true};
	for (int attempt = 0;; attempt++) {
		kv_err e = kv_txn_lock_keys(env->txn, a, &key, 1, &lo, v, err);
		if (e == KV_OK)
			break;
		if (e != KV_ERR_WRITE_CONFLICT || !env->rc || attempt >= 100)
			return CM_ERROR;
		cm_error_clear(err);
		if (kv_txn_stmt_begin(env->txn, err) != KV_OK)
			return CM_ERROR;
	}
	return kv_txn_get(env->txn, a, k, kl, v, err) == KV_OK ? CM_OK : CM_ERROR;
}

/* Does the referenced table contain a row with vals (fk->nref values, in
 * ref column order)?  As PostgreSQL's RI check (SELECT ... FOR KEY SHARE of
 * the parent row), the parent is locked in shared mode and its existence
 * decided from its latest committed version: a concurrent DELETE of the
 * parent waits for this transaction, and this check waits for a DELETE in
 * progress.  Integer-handle parents: the record key.  Other unique keys: the
 * index key, then the record key of the row it points at (DELETE and UPDATE
 * lock the record key). */
static cm_status fk_parent_exists(cm_arena *a, pl_env *env, const cat_table *rt, const cat_constraint *fk,
								  const sem_datum *vals, bool *found, cm_error *err)
{
	kv_txn *txn = env->txn;
	int64_t key = fk_ref_key(rt, fk);
	*found = false;
	if (key == 0) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, rt->id, vals[0].v.i);
		kv_value v;
		if (fk_lock_key(a, env, k, sizeof k, false, &v, err) != CM_OK)
			return CM_ERROR;
		*found = v.found;
		return CM_OK;
	}
	if (key > 0) {
		const cat_index *ix = sql_cat_index_by_id(rt, key);
		/* index column order may differ from the FK's: reorder */
		sem_datum *iv = cm_new_array(a, sem_datum, ix->ncols + 1);
		for (int i = 0; i < ix->ncols; i++)
			for (int k = 0; k < fk->nref; k++)
				if (fk->ref_col_ids[k] == ix->col_ids[i])
					iv[i] = vals[k];
		cm_buf ik;
		cm_buf_init(&ik);
		kv_value v = {0};
		cm_status st = cat_index_key_prefix(a, rt, ix, iv, ix->ncols, &ik, err);
		if (st == CM_OK)
			st = fk_lock_key(a, env, (const uint8_t *) ik.data, ik.len, true, &v, err);
		cm_buf_free(&ik);
		if (st != CM_OK || !v.found)
			return st;
		kv_index_value ixv;
		if (kv_index_value_decode(v.data, v.len, &ixv, err) != CM_OK)
			return CM_ERROR;
		if (!ixv.has_int_handle)
			return cm_error_set(err, CM_E_DATA_CORRUPTED, "unique index entry of \"%s\" has no handle", ix->name);
		uint8_t rk[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(rk, rt->id, ixv.int_handle);
		if (fk_lock_key(a, env, rk, sizeof rk, false, &v, err) != CM_OK)
			return CM_ERROR;
		*found = v.found;
		return CM_OK;
	}
	/* no matching key: scan */
	cat_scan *s;
	if (cat_scan_open(txn, rt, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	sem_datum *row = cm_new_array(a, sem_datum, rt->ncols + 1);
	cm_status st = CM_OK;
	for (;;) {
		int64_t h;
		bool done;
		if ((st = cat_scan_next(s, a, row, &h, &done, err)) != CM_OK || done)
			break;
		bool eq = true;
		for (int k = 0; k < fk->nref && eq; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(rt, fk->ref_col_ids[k], &pos);
			eq = c && !row[pos].isnull && sem_datum_compare(c->type.oid, &row[pos], &vals[k]) == 0;
		}
		if (eq) {
			*found = true;
			break;
		}
	}
	cat_scan_close(s);
	return st;
}

/* FKs of t (as child) for a new / changed row. */
cm_status pl_dml_fk_check_child(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, const sem_datum *row,
								const sem_datum *old, cm_error *err)
{
	for (int i = 0; i < t->ncons; i++) {
		const cat_constraint *fk = &t->cons[i];
		if (fk->type != 'f')
			continue;
		sem_datum *vals = cm_new_array(a, sem_datum, fk->ncols + 1);
		bool anynull = false, changed = old == NULL;
		for (int k = 0; k < fk->ncols; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(t, fk->col_ids[k], &pos);
			vals[k] = row[pos];
			anynull |= row[pos].isnull;
			if (old && !ex_datum_eq(c->type.oid, &old[pos], &row[pos]))
				changed = true;
		}
		if (anynull || !changed)
			continue;
		const cat_table *rt = sql_cat_table_by_id(env->view, fk->ref_table_id);
		if (!rt)
			continue;
		bool found;
		if (fk_parent_exists(a, env, rt, fk, vals, &found, err) != CM_OK)
			return CM_ERROR;
		if (!found) {
			cm_error_set(err, CM_E_FOREIGN_KEY_VIOLATION, "insert or update on table \"%s\" violates foreign key constraint \"%s\"",
						 t->name, fk->name);
			cm_buf b;
			cm_buf_init(&b);
			key_text(ctx, t, fk->ncols, fk->col_ids, row, false, &b);
			cm_error_detail(err, "Key %s is not present in table \"%s\".", b.data, rt->name);
			cm_buf_free(&b);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

/* Rows of child table ct whose FK columns equal the parent's key values. */
static cm_status fk_children(cm_arena *a, kv_txn *txn, const cat_table *ct, const cat_constraint *fk,
							 const sem_datum *pvals, int *n, int64_t **handles, sem_datum ***rows, cm_error *err)
{
	cat_scan *s;
	*n = 0;
	if (cat_scan_open(txn, ct, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	int cap = 0;
	cm_status st = CM_OK;
	for (;;) {
		sem_datum *row = cm_new_array(a, sem_datum, ct->ncols + 1);
		int64_t h;
		bool done;
		if ((st = cat_scan_next(s, a, row, &h, &done, err)) != CM_OK || done)
			break;
		bool eq = true;
		for (int k = 0; k < fk->ncols && eq; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(ct, fk->col_ids[k], &pos);
			eq = c && !row[pos].isnull && sem_datum_compare(c->type.oid, &row[pos], &pvals[k]) == 0;
		}
		if (!eq)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			int64_t *nh = cm_new_array(a, int64_t, cap);
			sem_datum **nr = cm_new_array(a, sem_datum *, cap);
			if (*n) {
				memcpy(nh, *handles, sizeof(int64_t) * (size_t) *n);
				memcpy(nr, *rows, sizeof(sem_datum *) * (size_t) *n);
			}
			*handles = nh;
			*rows = nr;
		}
		(*handles)[*n] = h;
		(*rows)[*n] = row;
		(*n)++;
	}
	cat_scan_close(s);
	return st;
}

/* t's row (old) goes away or changes its referenced key: act on the
 * referencing rows of every FK pointing at t. */
cm_status pl_dml_fk_check_parent(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, const sem_datum *old,
								 const sem_datum *newrow, int depth, cm_error *err)
{
	if (depth > 32)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "foreign key cascade too deep");
	const sql_cat_view *v = env->view;
	for (int ti = 0; ti < v->ntables; ti++) {
		const cat_table *ct = v->tables[ti];
		for (int ci = 0; ci < ct->ncons; ci++) {
			const cat_constraint *fk = &ct->cons[ci];
			if (fk->type != 'f' || fk->ref_table_id != t->id)
				continue;
			sem_datum *pvals = cm_new_array(a, sem_datum, fk->nref + 1);
			bool anynull = false, changed = newrow == NULL;
			for (int k = 0; k < fk->nref; k++) {
				int pos;
				const cat_column *c = sql_cat_column_by_id(t, fk->ref_col_ids[k], &pos);
				pvals[k] = old[pos];
				anynull |= old[pos].isnull;
				if (newrow && !ex_datum_eq(c->type.oid, &old[pos], &newrow[pos]))
					changed = true;
			}
			if (anynull || !changed)
				continue;
			int n;
			int64_t *hs = NULL;
			sem_datum **rows = NULL;
			if (fk_children(a, env->txn, ct, fk, pvals, &n, &hs, &rows, err) != CM_OK)
				return CM_ERROR;
			if (n == 0)
				continue;
			char action = newrow ? fk->on_update : fk->on_delete;
			if (action == 'c' && !newrow) {
				for (int r = 0; r < n; r++)
					if (pl_dml_delete_row(ctx, a, env, ct, hs[r], rows[r], depth + 1, err) != CM_OK)
						return CM_ERROR;
				continue;
			}
			if ((action == 'n' || action == 'd' || (action == 'c' && newrow))) {
				tabinfo cti = {ct, NULL, 0, NULL, NULL};
				for (int r = 0; r < n; r++) {
					sem_datum *nr = cm_new_array(a, sem_datum, ct->ncols + 1);
					memcpy(nr, rows[r], sizeof(sem_datum) * (size_t) ct->ncols);
					for (int k = 0; k < fk->ncols; k++) {
						int pos;
						sql_cat_column_by_id(ct, fk->col_ids[k], &pos);
						if (action == 'c') {
							int ppos;
							sql_cat_column_by_id(t, fk->ref_col_ids[k], &ppos);
							nr[pos] = newrow[ppos];
						} else {
							memset(&nr[pos], 0, sizeof nr[pos]);
							nr[pos].isnull = true;
						}
					}
					int64_t nh;
					if (pl_dml_write_update(ctx, a, env, &cti, hs[r], rows[r], nr, NULL, false, &nh, err) != CM_OK)
						return CM_ERROR;
				}
				continue;
			}
			cm_error_set(err, CM_E_FOREIGN_KEY_VIOLATION,
						 "update or delete on table \"%s\" violates foreign key constraint \"%s\" on table \"%s\"", t->name,
						 fk->name, ct->name);
			cm_buf b;
			cm_buf_init(&b);
			key_text(ctx, t, fk->nref, fk->ref_col_ids, old, false, &b);
			cm_error_detail(err, "Key %s is still referenced from table \"%s\".", b.data, ct->name);
			cm_buf_free(&b);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

bool pl_dml_has_fk_refs(const sql_cat_view *v, const cat_table *t)
{
	for (int ti = 0; ti < v->ntables; ti++)
		for (int ci = 0; ci < v->tables[ti]->ncons; ci++)
			if (v->tables[ti]->cons[ci].type == 'f' && v->tables[ti]->cons[ci].ref_table_id == t->id)
				return true;
	return false;
}

bool pl_dml_has_fk(const cat_table *t)
{
	for (int ci = 0; ci < t->ncons; ci++)
		if (t->cons[ci].type == 'f')
			return true;
	return false;
}
