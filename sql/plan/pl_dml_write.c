/*
 * pl_dml_write.c -- writing rows into the transaction's buffer: delete a
 * row (pl_dml_delete_row), update one (pl_dml_write_update: the row, its
 * index entries, a moved primary key), and the batched insert writer that
 * INSERT and COPY share (pl_writer_*: defaults, checks, unique keys locked
 * with check_existence, index entries).  Map of the DML files:
 * pl_dml_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/plan/pl_dml_internal.h"
#include "sql/sem/sem_io.h"

static cm_status kvs(kv_err e)
{
	return e == KV_OK ? CM_OK : CM_ERROR;
}

/* ---- writing rows ----------------------------------------------------------------------- */

/* Remove row h of t: record and index entries; FK actions first. */
cm_status pl_dml_delete_row(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, int64_t h,
							const sem_datum *row, int depth, cm_error *err)
{
	if (pl_dml_has_fk_refs(env->view, t) && pl_dml_fk_check_parent(ctx, a, env, t, row, NULL, depth, err) != CM_OK)
		return CM_ERROR;
	uint8_t k[KV_RECORD_KEY_LEN];
	kv_record_key_fixed(k, t->id, h);
	if (kv_txn_delete(env->txn, k, sizeof k, err) != KV_OK)
		return CM_ERROR;
	cm_buf ik, iv;
	cm_buf_init(&ik);
	cm_buf_init(&iv);
	cm_status st = CM_OK;
	for (int i = 0; st == CM_OK && i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (t->handle_col >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id)
			continue;
		cm_buf_reset(&ik);
		cm_buf_reset(&iv);
		bool uq;
		if ((st = cat_index_entry(a, t, ix, row, h, &ik, &iv, &uq, err)) != CM_OK)
			break;
		st = kvs(kv_txn_delete(env->txn, (const uint8_t *) ik.data, ik.len, err));
	}
	cm_buf_free(&ik);
	cm_buf_free(&iv);
	return st;
}

bool pl_dml_is_handle_index(const cat_table *t, const cat_index *ix)
{
	return t->handle_col >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id;
}

/* Lock key with check_existence: *exists when a committed row has it. */
cm_status pl_dml_lock_check(cm_arena *a, pl_env *env, const uint8_t *k, size_t kl, bool *exists, cm_error *err)
{
	ProtobufCBinaryData key = {kl, (uint8_t *) k};
	kv_lock_options lo = {.wait_ms = env->lock_wait_ms, .check_existence = true, .snapshot_check = !env->rc};
	kv_value res;
	if (kv_txn_lock_keys(env->txn, a, &key, 1, &lo, &res, err) != KV_OK)
		return CM_ERROR;
	*exists = res.found;
	return CM_OK;
}

/* Write an updated row (old at handle h -> row).  check: NOT NULL/CHECK/FK. */
cm_status pl_dml_write_update(sem_ctx *ctx, cm_arena *a, pl_env *env, const tabinfo *ti, int64_t h,
							  const sem_datum *old, sem_datum *row, const sem_datum *params, bool check,
							  int64_t *newh, cm_error *err)
{
	const cat_table *t = ti->t;
	if (check && pl_dml_check_row(ctx, ti, row, params, err) != CM_OK)
		return CM_ERROR;
	if (check && pl_dml_has_fk(t) && pl_dml_fk_check_child(ctx, a, env, t, row, old, err) != CM_OK)
		return CM_ERROR;
	if (pl_dml_has_fk_refs(env->view, t) && pl_dml_fk_check_parent(ctx, a, env, t, old, row, 0, err) != CM_OK)
		return CM_ERROR;
	int64_t nh = h;
	if (t->handle_col >= 0)
		nh = row[t->handle_col].v.i;
	cm_buf val, ok, ov, nk, nv;
	cm_buf_init(&val);
	cm_buf_init(&ok);
	cm_buf_init(&ov);
	cm_buf_init(&nk);
	cm_buf_init(&nv);
	cm_status st = cat_row_encode(a, t, row, &val, err);
	if (st == CM_OK && nh != h) {
		/* the primary key moves the row */
		uint8_t k[KV_RECORD_KEY_LEN], k2[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, h);
		kv_record_key_fixed(k2, t->id, nh);
		bool exists = false;
		st = kvs(kv_txn_delete(env->txn, k, sizeof k, err));
		if (st == CM_OK)
			st = pl_dml_lock_check(a, env, k2, sizeof k2, &exists, err);
		if (st == CM_OK && exists)
			st = pl_dml_dup_error(ctx, t, 0, row, err);
		if (st == CM_OK) {
			kv_err e = kv_txn_insert(env->txn, k2, sizeof k2, (const uint8_t *) val.data, val.len, err);
			if (e == KV_ERR_KEY_EXISTS)
				st = pl_dml_dup_error(ctx, t, 0, row, err);
			else
				st = kvs(e);
		}
	} else if (st == CM_OK) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, h);
		st = kvs(kv_txn_set(env->txn, k, sizeof k, (const uint8_t *) val.data, val.len, err));
	}
	for (int i = 0; st == CM_OK && i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (pl_dml_is_handle_index(t, ix))
			continue;
		cm_buf_reset(&ok);
		cm_buf_reset(&ov);
		cm_buf_reset(&nk);
		cm_buf_reset(&nv);
		bool ouq, nuq;
		if ((st = cat_index_entry(a, t, ix, old, h, &ok, &ov, &ouq, err)) != CM_OK ||
			(st = cat_index_entry(a, t, ix, row, nh, &nk, &nv, &nuq, err)) != CM_OK)
			break;
		bool same_key = ok.len == nk.len && memcmp(ok.data, nk.data, ok.len) == 0;
		bool same_val = ov.len == nv.len && memcmp(ov.data, nv.data, ov.len) == 0;
		if (same_key && same_val)
			continue;
		if (same_key) {
			st = kvs(kv_txn_set(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err));
			continue;
		}
		if ((st = kvs(kv_txn_delete(env->txn, (const uint8_t *) ok.data, ok.len, err))) != CM_OK)
			break;
		if (nuq) {
			bool exists;
			if ((st = pl_dml_lock_check(a, env, (const uint8_t *) nk.data, nk.len, &exists, err)) != CM_OK)
				break;
			if (exists) {
				st = pl_dml_dup_error(ctx, t, ix->id, row, err);
				break;
			}
			kv_err e = kv_txn_insert(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err);
			st = e == KV_ERR_KEY_EXISTS ? pl_dml_dup_error(ctx, t, ix->id, row, err) : kvs(e);
		} else
			st = kvs(kv_txn_set(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err));
	}
	cm_buf_free(&val);
	cm_buf_free(&ok);
	cm_buf_free(&ov);
	cm_buf_free(&nk);
	cm_buf_free(&nv);
	*newh = nh;
	return st;
}

/* ---- the writer (INSERT / COPY) ------------------------------------------------------- */

struct pl_writer {
	cm_arena *a;			/* batch memory, reset per flush */
	sem_ctx ctx;
	pl_env *env;
	const tabinfo *ti;
	tabinfo own;
	const sem_datum *params;
	int n;
	sem_datum **rows;
	int64_t count;
	bool fk;
};

cm_status pl_writer_new(cm_arena *a, sem_ctx *ctx, pl_env *env, const cat_table *t, pl_writer **out, cm_error *err)
{
	pl_writer *w = cm_new(a, pl_writer);
	w->a = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, w->a);
	w->ctx = *ctx;
	w->ctx.arena = w->a;
	w->env = env;
	sem_oid params[1] = {0};
	int np = 0;
	pl_bind_env benv = {params, &np, 0, NULL, NULL};
	pl_binder b = {a, ctx, "", &benv, 0, NULL, NULL, NULL};
	if (pl_dml_bind_tabinfo(&b, env->view, t, t->name, &w->own, err) != CM_OK)
		return CM_ERROR;
	w->ti = &w->own;
	w->rows = cm_new_array(a, sem_datum *, WRITE_BATCH);
	w->fk = pl_dml_has_fk(t);
	*out = w;
	return CM_OK;
}

pl_writer *pl_dml_writer_for(cm_arena *a, sem_ctx *ctx, pl_env *env, const tabinfo *ti, const sem_datum *params)
{
	pl_writer *w = cm_new(a, pl_writer);
	w->a = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, w->a);
	w->ctx = *ctx;
	w->ctx.arena = w->a;
	w->env = env;
	w->ti = ti;
	w->params = params;
	w->rows = cm_new_array(a, sem_datum *, WRITE_BATCH);
	w->fk = pl_dml_has_fk(ti->t);
	return w;
}

int64_t pl_writer_count(const pl_writer *w) { return w->count; }

cm_status pl_writer_defaults(pl_writer *w, const bool *given, sem_datum *row, cm_error *err)
{
	const cat_table *t = w->ti->t;
	for (int i = 0; i < t->ncols; i++) {
		if (given && given[i])
			continue;
		memset(&row[i], 0, sizeof row[i]);
		row[i].isnull = true;
		if (t->cols[i].dropped || !w->ti->defaults[i])
			continue;
		if (sem_eval(&w->ctx, w->ti->defaults[i], row, w->params, &row[i], err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status pl_writer_add(pl_writer *w, const sem_datum *row, cm_error *err)
{
	const cat_table *t = w->ti->t;
	sem_datum *r = cm_new_array(w->a, sem_datum, t->ncols + 1);
	for (int i = 0; i < t->ncols; i++)
		ex_datum_copy(w->a, t->cols[i].type.oid, &row[i], &r[i]);
	w->rows[w->n++] = r;
	if (w->n == WRITE_BATCH)
		return pl_writer_flush(w, err);
	return CM_OK;
}

typedef struct ukey {
	uint8_t *k;
	size_t kl;
	int row;
	int64_t index_id;		/* 0 = record key of an int handle */
} ukey;

cm_status pl_writer_flush(pl_writer *w, cm_error *err)
{
	const cat_table *t = w->ti->t;
	pl_env *env = w->env;
	cm_arena *a = w->a;
	int n = w->n;
	if (n == 0)
		return CM_OK;
	int64_t *handles = cm_new_array(a, int64_t, n);
	int nidx = t->nindexes;
	int nuk = 0, capuk = n * (nidx + 1);
	ukey *uk = cm_new_array(a, ukey, capuk);
	cm_buf *vals = cm_new_array(a, cm_buf, n);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_status st = CM_OK;
	/* checks, handles, encodings, unique keys */
	for (int r = 0; st == CM_OK && r < n; r++) {
		sem_datum *row = w->rows[r];
		if ((st = pl_dml_check_row(&w->ctx, w->ti, row, w->params, err)) != CM_OK)
			break;
		if (w->fk && (st = pl_dml_fk_check_child(&w->ctx, a, env, t, row, NULL, err)) != CM_OK)
			break;
		if (t->handle_col >= 0)
			handles[r] = row[t->handle_col].v.i;
		else if ((st = sql_cat_alloc_rowid(env->kv, t->id, &handles[r], err)) != CM_OK)
			break;
		cm_buf_init(&vals[r]);
		if ((st = cat_row_encode(a, t, row, &vals[r], err)) != CM_OK)
			break;
		if (t->handle_col >= 0) {
			uint8_t *rk = cm_alloc(a, KV_RECORD_KEY_LEN);
			kv_record_key_fixed(rk, t->id, handles[r]);
			uk[nuk++] = (ukey){rk, KV_RECORD_KEY_LEN, r, 0};
		}
		for (int i = 0; i < nidx; i++) {
			const cat_index *ix = &t->indexes[i];
			if (pl_dml_is_handle_index(t, ix) || !ix->unique)
				continue;
			cm_buf_reset(&k);
			cm_buf_reset(&v);
			bool uq;
			if ((st = cat_index_entry(a, t, ix, row, handles[r], &k, &v, &uq, err)) != CM_OK)
				break;
			if (!uq)
				continue;
			uk[nuk++] = (ukey){cm_memdup(a, k.data, k.len), k.len, r, ix->id};
		}
	}
	/* unique keys: lock them and see whether committed rows hold them */
	if (st == CM_OK && nuk > 0) {
		ProtobufCBinaryData *keys = cm_new_array(a, ProtobufCBinaryData, nuk);
		kv_value *res = cm_new_array(a, kv_value, nuk);
		for (int i = 0; i < nuk; i++) {
			keys[i].data = uk[i].k;
			keys[i].len = uk[i].kl;
		}
		kv_lock_options lo = {.wait_ms = env->lock_wait_ms, .check_existence = true, .snapshot_check = !env->rc};
		if (kv_txn_lock_keys(env->txn, a, keys, (size_t) nuk, &lo, res, err) != KV_OK)
			st = CM_ERROR;
		for (int i = 0; st == CM_OK && i < nuk; i++)
			if (res[i].found) {
				/* committed, but maybe deleted by this transaction */
				kv_value cur;
				if (kv_txn_get(env->txn, a, uk[i].k, uk[i].kl, &cur, err) != KV_OK) {
					st = CM_ERROR;
					break;
				}
				if (cur.found)
					st = pl_dml_dup_error(&w->ctx, t, uk[i].index_id, w->rows[uk[i].row], err);
			}
	}
	/* write */
	for (int r = 0; st == CM_OK && r < n; r++) {
		sem_datum *row = w->rows[r];
		uint8_t rk[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(rk, t->id, handles[r]);
		kv_err e = t->handle_col >= 0
					   ? kv_txn_insert(env->txn, rk, sizeof rk, (const uint8_t *) vals[r].data, vals[r].len, err)
					   : kv_txn_set(env->txn, rk, sizeof rk, (const uint8_t *) vals[r].data, vals[r].len, err);
		if (e == KV_ERR_KEY_EXISTS) {
			st = pl_dml_dup_error(&w->ctx, t, 0, row, err);
			break;
		}
		if (e != KV_OK) {
			st = CM_ERROR;
			break;
		}
		for (int i = 0; i < nidx; i++) {
			const cat_index *ix = &t->indexes[i];
			if (pl_dml_is_handle_index(t, ix))
				continue;
			cm_buf_reset(&k);
			cm_buf_reset(&v);
			bool uq;
			if ((st = cat_index_entry(a, t, ix, row, handles[r], &k, &v, &uq, err)) != CM_OK)
				break;
			e = uq ? kv_txn_insert(env->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err)
				   : kv_txn_set(env->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err);
			if (e == KV_ERR_KEY_EXISTS) {
				st = pl_dml_dup_error(&w->ctx, t, ix->id, row, err);
				break;
			}
			if (e != KV_OK) {
				st = CM_ERROR;
				break;
			}
		}
		w->count++;
	}
	/* the write set stays in memory until commit: fail cleanly (53200) past the limit */
	if (st == CM_OK && kv_txn_check_buffer(env->txn, err) != KV_OK)
		st = CM_ERROR;
	for (int r = 0; r < n; r++)
		cm_buf_free(&vals[r]);
	cm_buf_free(&k);
	cm_buf_free(&v);
	w->n = 0;
	cm_arena_reset(a);
	return st;
}
