/*
 * pl_table.c -- catalog tables as planner row sources: the resolver, the
 * scan operators (full / handle range through the txn iterator, point and
 * batch point get, unique index lookup, index range scan then table
 * lookups) and the access-path choice from the predicates of a Filter
 * directly above a scan.  See pl_table.h.
 *
 * Every scan reads through the SQL transaction (kv_txn): its snapshot
 * merged with its own buffered writes.  Rows come out in handle order
 * (point gets: sorted, duplicates removed), as a heap scan would return
 * freshly loaded rows.
 *
 * Row locks (pl_lock_rows, LockRows) are in pl_lock.c.
 *
 * Exported: see pl_table.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/plan/pl_table.h"
#include "sql/catalog/vcat.h"	/* [vcat] */
#include "sql/exec/ex_internal.h"
#include "sql/sem/sem_builtins.h"

static __thread pl_env *tl_env;

void pl_env_set(pl_env *env) { tl_env = env; }
pl_env *pl_env_get(void) { return tl_env; }

/* ---- resolver ----------------------------------------------------------------------- */

static void view_release_cb(void *arg)
{
	sql_cat_view_release(arg);
}

static const char *acc_label(cm_arena *a, const pl_scanspec *s)
{
	const char *tn = s->ref->name;
	switch (s->acc) {
	case PL_ACC_FULL: return cm_asprintf(a, "Seq Scan on %s", tn);
	case PL_ACC_POINT:
		return s->nvals == 1 ? cm_asprintf(a, "Point Get on %s (handle)", tn)
							 : cm_asprintf(a, "Batch Point Get on %s (%d handles)", tn, s->nvals);
	case PL_ACC_RANGE: return cm_asprintf(a, "Handle Range Scan on %s", tn);
	case PL_ACC_UNIQUE: return cm_asprintf(a, "Unique Index Get using %s on %s", s->index_name, tn);
	case PL_ACC_INDEX: return cm_asprintf(a, "Index Scan using %s on %s", s->index_name, tn);
	case PL_ACC_COPR: return cm_asprintf(a, "Coprocessor Scan on %s", tn);
	}
	return tn;
}

static cm_status scan_build(const pl_scan_provider *self, ex_state *st, ex_op **out, cm_error *err);

const pl_scan_provider *pl_scan_provider_new(cm_arena *a, pl_scanspec *spec)
{
	pl_scan_provider *p = cm_new(a, pl_scan_provider);
	p->label = acc_label(a, spec);
	p->build = scan_build;
	p->arg = spec;
	return p;
}

pl_scanspec *pl_scan_spec(const pl_scan_provider *p)
{
	return p && p->build == scan_build ? p->arg : NULL;
}

static cm_status resolver(sem_ctx *ctx, cm_arena *arena, const char *schema, const char *name, const pl_table **out,
						  cm_error *err)
{
	pl_env *env = tl_env;
	*out = NULL;
	/* [vcat] pg_catalog / information_schema relations (and unqualified
	 * pg_catalog names: pg_catalog is implicitly first on search_path) */
	bool vcat_handled;
	if (sql_vcat_resolve(ctx, arena, schema, name, out, &vcat_handled, err) != CM_OK)
		return CM_ERROR;
	if (vcat_handled)
		return CM_OK;
	if (!env || !env->view || !env->db)
		return CM_OK;
	cat_relation rel;
	bool found = false;
	if (sql_cat_resolve_relation(env->view, env->db->id, &env->sp, schema, name, &rel, NULL, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found)
		return CM_OK;
	if (rel.relkind != 'r')
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a table", name);
	const cat_table *t = rel.table;
	pl_tabref *ref = cm_new(arena, pl_tabref);
	ref->table_id = t->id;
	ref->t = t;
	ref->name = cm_strdup(arena, t->name);
	ref->vis = cm_new_array(arena, int, t->ncols + 1);
	ref->types = cm_new_array(arena, sem_type, t->ncols + 1);
	ref->names = cm_new_array(arena, const char *, t->ncols + 1);
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].dropped)
			continue;
		ref->vis[ref->nvis] = i;
		ref->types[ref->nvis] = t->cols[i].type;
		ref->names[ref->nvis] = cm_strdup(arena, t->cols[i].name);
		ref->nvis++;
	}
	sql_cat_view_retain(env->view);
	cm_arena_on_reset(arena, view_release_cb, env->view);
	env->nresolved++;
	pl_scanspec *spec = cm_new(arena, pl_scanspec);
	spec->ref = ref;
	spec->acc = PL_ACC_FULL;
	pl_table *pt = cm_new(arena, pl_table);
	pt->name = ref->name;
	pt->oid = t->oid;
	pt->ncols = ref->nvis;
	pt->colnames = ref->names;
	pt->coltypes = ref->types;
	pt->scan = pl_scan_provider_new(arena, spec);
	pt->ref = ref;
	*out = pt;
	return CM_OK;
}

void pl_table_install(void)
{
	pl_set_table_resolver(resolver);
}

cm_status pl_tabref_current(const pl_tabref *ref, const pl_env *env, const cat_table **out, cm_error *err)
{
	const cat_table *t = env && env->view ? sql_cat_table_by_id(env->view, ref->table_id) : NULL;
	if (!t)
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", ref->name);
	int n = 0;
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].dropped)
			continue;
		if (n >= ref->nvis || ref->vis[n] != i || t->cols[i].type.oid != ref->types[n].oid ||
			t->cols[i].type.typmod != ref->types[n].typmod)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
		n++;
	}
	if (n != ref->nvis)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
	*out = t;
	return CM_OK;
}

void pl_visible_to_row(const pl_tabref *ref, const cat_table *t, const sem_datum *vis, sem_datum *row)
{
	for (int i = 0; i < t->ncols; i++) {
		memset(&row[i], 0, sizeof row[i]);
		row[i].isnull = true;
	}
	for (int c = 0; c < ref->nvis; c++)
		row[ref->vis[c]] = vis[c];
}

void pl_row_to_visible(const pl_tabref *ref, const sem_datum *row, sem_datum *vis)
{
	for (int c = 0; c < ref->nvis; c++)
		vis[c] = row[ref->vis[c]];
}

cm_status pl_eval_const(ex_state *st, cm_arena *a, const sem_expr *e, sem_datum *out, cm_error *err)
{
	sem_ctx ctx = st->ctx;
	ctx.arena = a;
	ctx.exec = st;
	return sem_eval(&ctx, e, NULL, st->params, out, err);
}

/* ---- scan operator ------------------------------------------------------------------ */

typedef struct scan_op {
	ex_op op;
	const pl_scanspec *spec;
	pl_env *env;
	const cat_table *t;
	int width;
	cm_arena *keep;			/* per open: handles */
	cat_scan *cs;
	bool done;
	int64_t *handles;
	int nh, pos;
	sem_datum *slots;
} scan_op;

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

static bool datum_int(sem_oid t, const sem_datum *d, int64_t *out)
{
	if (d->isnull)
		return false;
	switch (t) {
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID: *out = d->v.i; return true;
	default: return false;
	}
}

static void add_handle(scan_op *s, int64_t h, int *cap)
{
	if (s->nh == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		int64_t *n = cm_new_array(s->keep, int64_t, nc);
		if (s->nh)
			memcpy(n, s->handles, sizeof(int64_t) * (size_t) s->nh);
		s->handles = n;
		*cap = nc;
	}
	s->handles[s->nh++] = h;
}

/* The row handle of an index entry (key suffix or unique value). */
static cm_status index_entry_handle(cm_arena *a, const cat_index *ix, const uint8_t *k, size_t kl, const uint8_t *v,
									size_t vl, int64_t *h, cm_error *err)
{
	int64_t tid, iid;
	const uint8_t *rest;
	size_t rl;
	if (kv_decode_index_key(k, kl, &tid, &iid, &rest, &rl, err) != CM_OK)
		return CM_ERROR;
	const uint8_t *p = rest, *end = rest + rl;
	kv_datum *tmp = cm_new_array(a, kv_datum, ix->ncols + 1);
	if (kv_decode_index_datums(&p, end, (size_t) ix->ncols, a, tmp, err) != CM_OK)
		return CM_ERROR;
	if (p < end)
		return kv_decode_index_int_handle(p, (size_t) (end - p), h, err);
	kv_index_value iv;
	if (kv_index_value_decode(v, vl, &iv, err) != CM_OK)
		return CM_ERROR;
	if (!iv.has_int_handle)
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "index entry of \"%s\" has no handle", ix->name);
	*h = iv.int_handle;
	return CM_OK;
}

/* Handles of the index entries whose leading columns equal vals[0..nvals),
 * in index order, appended to *hs (grown in a). */
/* Handles of the index entries in [start, end), appended to *hs. */
static cm_status range_handles(cm_arena *a, kv_txn *txn, const cat_index *ix, const cm_buf *start, const cm_buf *end,
							   int64_t **hs, int *nh, cm_error *err)
{
	int cap = *nh;
	kv_iter *it = NULL;
	kv_iter_options o = {.start = (const uint8_t *) start->data, .start_len = start->len,
						 .end = (const uint8_t *) end->data, .end_len = end->len};
	cm_status st = kv_txn_iter(txn, &o, &it, err) == KV_OK ? CM_OK : CM_ERROR;
	while (st == CM_OK && kv_iter_valid(it)) {
		size_t kl, vl;
		const uint8_t *k = kv_iter_key(it, &kl);
		const uint8_t *v = kv_iter_value(it, &vl);
		int64_t h;
		if (index_entry_handle(a, ix, k, kl, v, vl, &h, err) != CM_OK) {
			st = CM_ERROR;
			break;
		}
		if (*nh == cap) {
			int nc = cap ? cap * 2 : 8;
			int64_t *n = cm_new_array(a, int64_t, nc);
			if (*nh)
				memcpy(n, *hs, sizeof(int64_t) * (size_t) *nh);
			*hs = n;
			cap = nc;
		}
		(*hs)[(*nh)++] = h;
		if (kv_iter_next(it, err) != KV_OK)
			st = CM_ERROR;
	}
	if (it)
		kv_iter_close(it);
	return st;
}

cm_status pl_index_handles(cm_arena *a, kv_txn *txn, const cat_table *t, const cat_index *ix, const sem_datum *vals,
						   int nvals, int64_t **hs, int *nh, cm_error *err)
{
	cm_buf start, end;
	cm_buf_init(&start);
	cm_buf_init(&end);
	cm_status st = cat_index_key_prefix(a, t, ix, vals, nvals, &start, err);
	if (st == CM_OK) {
		kv_prefix_next(&end, start.data, start.len);
		st = range_handles(a, txn, ix, &start, &end, hs, nh, err);
	}
	cm_buf_free(&start);
	cm_buf_free(&end);
	return st;
}

/* Handles of the entries of ix with leading columns vals[0..nvals) and the
 * next column within the bounds lo / hi (NULL: open; NULLs excluded). */
static cm_status index_range_handles(cm_arena *a, kv_txn *txn, const cat_table *t, const cat_index *ix,
									 sem_datum *vals, int nvals, const sem_datum *lo, bool lo_strict,
									 const sem_datum *hi, bool hi_strict, int64_t **hs, int *nh, cm_error *err)
{
	cm_buf start, end, k;
	cm_buf_init(&start);
	cm_buf_init(&end);
	cm_buf_init(&k);
	cm_status st = CM_OK;
	if (lo) {
		vals[nvals] = *lo;
		st = cat_index_key_prefix(a, t, ix, vals, nvals + 1, &k, err);
		if (st == CM_OK && lo_strict)
			kv_prefix_next(&start, k.data, k.len);
		else if (st == CM_OK)
			cm_buf_append(&start, k.data, k.len);
	} else {
		st = cat_index_key_prefix(a, t, ix, vals, nvals, &start, err);
		cm_buf_putc(&start, KV_FLAG_NIL + 1);	/* past the NULLs */
	}
	cm_buf_reset(&k);
	if (st == CM_OK && hi) {
		vals[nvals] = *hi;
		st = cat_index_key_prefix(a, t, ix, vals, nvals + 1, &k, err);
		if (st == CM_OK && hi_strict)
			cm_buf_append(&end, k.data, k.len);
		else if (st == CM_OK)
			kv_prefix_next(&end, k.data, k.len);
	} else if (st == CM_OK) {
		st = cat_index_key_prefix(a, t, ix, vals, nvals, &k, err);
		if (st == CM_OK)
			kv_prefix_next(&end, k.data, k.len);
	}
	if (st == CM_OK && (start.len < end.len ? memcmp(start.data, end.data, start.len) <= 0
											 : memcmp(start.data, end.data, end.len) < 0))
		st = range_handles(a, txn, ix, &start, &end, hs, nh, err);
	cm_buf_free(&start);
	cm_buf_free(&end);
	cm_buf_free(&k);
	return st;
}

static cm_status scan_open(ex_op *op, cm_error *err)
{
	scan_op *s = (scan_op *) op;
	const pl_scanspec *sp = s->spec;
	if (s->cs) {
		cat_scan_close(s->cs);
		s->cs = NULL;
	}
	if (!s->keep) {
		s->keep = cm_arena_create(0);
		cm_arena_on_reset(op->st->arena, (cm_cleanup_fn) cm_arena_destroy, s->keep);
	} else
		cm_arena_reset(s->keep);
	s->done = false;
	s->nh = s->pos = 0;
	s->handles = NULL;
	if (!s->env || !s->env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "table scan outside a transaction");
	if (pl_tabref_current(sp->ref, s->env, &s->t, err) != CM_OK)
		return CM_ERROR;
	const cat_table *t = s->t;
	if (!s->slots)
		s->slots = cm_new_array(op->st->arena, sem_datum, t->ncols + 1);
	kv_txn *txn = s->env->txn;
	int cap = 0;
	switch (sp->acc) {
	case PL_ACC_FULL:
	case PL_ACC_COPR:
		return cat_scan_open(txn, t, NULL, 0, &s->cs, err);
	case PL_ACC_RANGE: {
		cat_handle_range r = {INT64_MIN, INT64_MAX};
		sem_datum d;
		if (sp->lo) {
			if (pl_eval_const(op->st, s->keep, sp->lo, &d, err) != CM_OK)
				return CM_ERROR;
			if (d.isnull) {
				s->done = true;
				return CM_OK;
			}
			r.lo = d.v.i;
			if (sp->lo_strict) {
				if (r.lo == INT64_MAX) {
					s->done = true;
					return CM_OK;
				}
				r.lo++;
			}
		}
		if (sp->hi) {
			if (pl_eval_const(op->st, s->keep, sp->hi, &d, err) != CM_OK)
				return CM_ERROR;
			if (d.isnull) {
				s->done = true;
				return CM_OK;
			}
			r.hi = d.v.i;
			if (sp->hi_strict) {
				if (r.hi == INT64_MIN) {
					s->done = true;
					return CM_OK;
				}
				r.hi--;
			}
		}
		if (r.lo > r.hi) {
			s->done = true;
			return CM_OK;
		}
		return cat_scan_open(txn, t, &r, 1, &s->cs, err);
	}
	case PL_ACC_POINT:
		for (int i = 0; i < sp->nvals; i++) {
			sem_datum d;
			int64_t h;
			if (pl_eval_const(op->st, s->keep, sp->vals[i], &d, err) != CM_OK)
				return CM_ERROR;
			if (datum_int(sp->vals[i]->type.oid, &d, &h))
				add_handle(s, h, &cap);
		}
		if (s->nh > 1) {
			qsort(s->handles, (size_t) s->nh, sizeof(int64_t), cmp_i64);
			int k = 1;
			for (int i = 1; i < s->nh; i++)
				if (s->handles[i] != s->handles[k - 1])
					s->handles[k++] = s->handles[i];
			s->nh = k;
		}
		return CM_OK;
	case PL_ACC_UNIQUE:
	case PL_ACC_INDEX: {
		const cat_index *ix = sql_cat_index_by_id(t, sp->index_id);
		if (!ix)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cached plan must not change result type");
		sem_datum *vals = cm_new_array(s->keep, sem_datum, sp->nvals + 1);
		for (int i = 0; i < sp->nvals; i++) {
			if (pl_eval_const(op->st, s->keep, sp->vals[i], &vals[i], err) != CM_OK)
				return CM_ERROR;
			if (vals[i].isnull) {
				s->done = true;
				return CM_OK;
			}
		}
		if (sp->acc == PL_ACC_UNIQUE) {
			int64_t h;
			bool found;
			if (cat_index_get_unique(txn, s->keep, t, ix, vals, &h, &found, err) != CM_OK)
				return CM_ERROR;
			if (found)
				add_handle(s, h, &cap);
			return CM_OK;
		}
		int64_t *hs = NULL;
		int nh = 0;
		cm_status st;
		if (sp->lo || sp->hi) {
			sem_datum lo, hi;
			if ((sp->lo && pl_eval_const(op->st, s->keep, sp->lo, &lo, err) != CM_OK) ||
				(sp->hi && pl_eval_const(op->st, s->keep, sp->hi, &hi, err) != CM_OK))
				return CM_ERROR;
			if ((sp->lo && lo.isnull) || (sp->hi && hi.isnull)) {
				s->done = true;
				return CM_OK;
			}
			st = index_range_handles(s->keep, txn, t, ix, vals, sp->nvals, sp->lo ? &lo : NULL, sp->lo_strict,
									 sp->hi ? &hi : NULL, sp->hi_strict, &hs, &nh, err);
		} else
			st = pl_index_handles(s->keep, txn, t, ix, vals, sp->nvals, &hs, &nh, err);
		for (int i = 0; st == CM_OK && i < nh; i++)
			add_handle(s, hs[i], &cap);
		if (st == CM_OK && s->nh > 1)
			qsort(s->handles, (size_t) s->nh, sizeof(int64_t), cmp_i64);
		return st;
	}
	}
	return CM_OK;
}

static void emit_row(scan_op *s, ex_batch *b, int64_t h)
{
	sem_datum *r = ex_row(b, b->nrows++);
	pl_row_to_visible(s->spec->ref, s->slots, r);
	if (s->spec->with_handle) {
		memset(&r[s->spec->ref->nvis], 0, sizeof(sem_datum));
		r[s->spec->ref->nvis].v.i = h;
	}
}

static cm_status scan_next(ex_op *op, ex_batch **out, cm_error *err)
{
	scan_op *s = (scan_op *) op;
	*out = NULL;
	if (s->done)
		return CM_OK;
	ex_batch *b = ex_batch_new(op->scratch, s->width, EX_BATCH_ROWS);
	if (s->cs) {
		while (b->nrows < EX_BATCH_ROWS) {
			int64_t h;
			bool done;
			if (cat_scan_next(s->cs, op->scratch, s->slots, &h, &done, err) != CM_OK)
				return CM_ERROR;
			if (done) {
				s->done = true;
				cat_scan_close(s->cs);
				s->cs = NULL;
				break;
			}
			emit_row(s, b, h);
		}
	} else {
		int n = s->nh - s->pos;
		if (n > EX_BATCH_ROWS)
			n = EX_BATCH_ROWS;
		if (n > 0) {
			ProtobufCBinaryData *keys = cm_new_array(op->scratch, ProtobufCBinaryData, n);
			kv_value *vals = cm_new_array(op->scratch, kv_value, n);
			for (int i = 0; i < n; i++) {
				uint8_t *k = cm_alloc(op->scratch, KV_RECORD_KEY_LEN);
				kv_record_key_fixed(k, s->t->id, s->handles[s->pos + i]);
				keys[i].data = k;
				keys[i].len = KV_RECORD_KEY_LEN;
			}
			kv_err e = n == 1 ? kv_txn_get(s->env->txn, op->scratch, keys[0].data, keys[0].len, &vals[0], err)
							  : kv_txn_batch_get(s->env->txn, op->scratch, keys, (size_t) n, vals, err);
			if (e != KV_OK)
				return CM_ERROR;
			for (int i = 0; i < n; i++) {
				if (!vals[i].found)
					continue;
				int64_t h = s->handles[s->pos + i];
				if (cat_row_decode(op->scratch, s->t, vals[i].data, vals[i].len, h, s->slots, err) != CM_OK)
					return CM_ERROR;
				emit_row(s, b, h);
			}
			s->pos += n;
		}
		if (s->pos >= s->nh)
			s->done = true;
	}
	if (b->nrows == 0 && s->done)
		return CM_OK;
	*out = b;
	return CM_OK;
}

static void scan_close(ex_op *op)
{
	scan_op *s = (scan_op *) op;
	if (s->cs) {
		cat_scan_close(s->cs);
		s->cs = NULL;
	}
}

static const ex_op_vt scan_vt = {"TableScan", scan_open, scan_next, scan_close};

static void scan_cleanup(void *arg)
{
	scan_close(arg);
}

static cm_status scan_build(const pl_scan_provider *self, ex_state *st, ex_op **out, cm_error *err)
{
	const pl_scanspec *sp = self->arg;
	pl_env *env = st->env;
	if (sp->acc == PL_ACC_COPR) {
		/* [copr] coprocessor unless the txn has own writes in the table */
		if (pl_copr_usable(sp, env))
			return pl_copr_build(sp, st, out, err);
		return pl_build(st, sp->fallback, out, err);
	}
	scan_op *s = cm_new(st->arena, scan_op);
	s->spec = sp;
	s->env = env;
	s->width = sp->ref->nvis + (sp->with_handle ? 1 : 0);
	sem_type *types = cm_new_array(st->arena, sem_type, s->width + 1);
	memcpy(types, sp->ref->types, sizeof(sem_type) * (size_t) sp->ref->nvis);
	if (sp->with_handle)
		types[sp->ref->nvis] = (sem_type){SEM_INT8OID, -1};
	ex_op_init(&s->op, &scan_vt, st, s->width, types);
	cm_arena_on_reset(st->arena, scan_cleanup, s);
	*out = &s->op;
	return CM_OK;
}

/* ---- access path choice --------------------------------------------------------------- */

/* An expression whose value is fixed for one scan: constants, $n, outer
 * references, non-volatile functions and casts of those. */
static bool scan_const(const sem_expr *e)
{
	switch (e->kind) {
	case SEM_EXPR_CONST:
	case SEM_EXPR_PARAM:
		return true;
	case SEM_EXPR_EXTERN:
		if (e->u.ext.fn != pl_xparam_fn)
			return false;
		return true;
	case SEM_EXPR_FUNC:
		if (e->u.func.fn->flags & SEM_FN_VOLATILE)
			return false;
		for (int i = 0; i < e->u.func.nargs; i++)
			if (!scan_const(e->u.func.args[i]))
				return false;
		return true;
	case SEM_EXPR_CAST:
		return scan_const(e->u.cast.arg);
	default:
		return false;
	}
}

static bool is_int(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

/* Types whose index key order is PostgreSQL's order (C collation for text):
 * range bounds on them may become index key ranges. */
static bool range_type(sem_oid o)
{
	switch (o) {
	case SEM_INT2OID: case SEM_INT4OID: case SEM_INT8OID:
	case SEM_TEXTOID: case SEM_VARCHAROID:
	case SEM_DATEOID: case SEM_TIMESTAMPOID: case SEM_TIMESTAMPTZOID:
		return true;
	default:
		return false;
	}
}

typedef struct colpred {
	sem_expr *eq;			/* col = v */
	int nin;
	sem_expr **in;			/* col IN (...) */
	sem_expr *lo, *hi;
	bool lo_strict, hi_strict;
} colpred;

static void add_conjuncts(sem_expr *e, sem_expr **v, int *n, int cap)
{
	if (e->kind == SEM_EXPR_AND) {
		for (int i = 0; i < e->u.list.n; i++)
			add_conjuncts(e->u.list.items[i], v, n, cap);
		return;
	}
	if (*n < cap)
		v[(*n)++] = e;
}

static const char *flip_op(const char *op)
{
	if (!strcmp(op, "<")) return ">";
	if (!strcmp(op, ">")) return "<";
	if (!strcmp(op, "<=")) return ">=";
	if (!strcmp(op, ">=")) return "<=";
	return op;
}

/* Record a conjunct on a scan column in preds[]. */
static void match_conjunct(const pl_tabref *ref, sem_expr *e, colpred *preds)
{
	if (e->kind == SEM_EXPR_IN && !e->u.in.negate && e->u.in.lhs->kind == SEM_EXPR_COLUMN) {
		int c = e->u.in.lhs->u.colno;
		if (c < 0 || c >= ref->nvis)
			return;
		for (int i = 0; i < e->u.in.n; i++)
			if (!scan_const(e->u.in.items[i]) || e->u.in.items[i]->type.oid != ref->types[c].oid)
				return;
		preds[c].nin = e->u.in.n;
		preds[c].in = e->u.in.items;
		return;
	}
	if (e->kind != SEM_EXPR_FUNC || e->u.func.nargs != 2)
		return;
	const char *op = e->u.func.fn->name;
	sem_expr *l = e->u.func.args[0], *r = e->u.func.args[1];
	if (r->kind == SEM_EXPR_COLUMN && l->kind != SEM_EXPR_COLUMN) {
		sem_expr *t = l;
		l = r;
		r = t;
		op = flip_op(op);
	}
	if (l->kind != SEM_EXPR_COLUMN || !scan_const(r))
		return;
	int c = l->u.colno;
	if (c < 0 || c >= ref->nvis)
		return;
	bool same = r->type.oid == ref->types[c].oid;
	bool ints = is_int(r->type.oid) && is_int(ref->types[c].oid);
	if (!same && !ints)
		return;
	if (!strcmp(op, "=")) {
		if (same || ints)
			preds[c].eq = r;
	} else if ((ints || (same && range_type(r->type.oid))) && (!strcmp(op, ">") || !strcmp(op, ">="))) {
		preds[c].lo = r;
		preds[c].lo_strict = op[1] == '\0';
	} else if ((ints || (same && range_type(r->type.oid))) && (!strcmp(op, "<") || !strcmp(op, "<="))) {
		preds[c].hi = r;
		preds[c].hi_strict = op[1] == '\0';
	}
}

/* Visible column of slot, or -1. */
static int vis_of_slot(const pl_tabref *ref, int slot)
{
	for (int c = 0; c < ref->nvis; c++)
		if (ref->vis[c] == slot)
			return c;
	return -1;
}

/* Does ANALYZE say the closed integer range p on column slot holds 5% of
 * the rows or more (distinct values taken as dense)?  Then a scan beats
 * index entries plus row lookups. */
static bool wide_range(const cat_table *t, int slot, const colpred *p)
{
	int64_t nd = t->cols[slot].stat_ndistinct;
	if (t->stat_rows <= 1000 || nd <= 0 || p->lo->kind != SEM_EXPR_CONST || p->hi->kind != SEM_EXPR_CONST ||
		!is_int(p->lo->type.oid) || !is_int(p->hi->type.oid) || p->lo->u.constval.isnull ||
		p->hi->u.constval.isnull)
		return false;
	double span = (double) p->hi->u.constval.v.i - (double) p->lo->u.constval.v.i + 1;
	return span / (double) nd >= 0.05;
}

/* The scan's key range from the bounds of one column. */
static void set_bounds(pl_scanspec *sp, const colpred *p)
{
	sp->lo = p->lo;
	sp->hi = p->hi;
	sp->lo_strict = p->lo_strict;
	sp->hi_strict = p->hi_strict;
}

/* Choose an access path for the scan under a Filter on pred. */
static void choose_access(pl_binder *b, pl_scanspec *sp, sem_expr *pred)
{
	const pl_tabref *ref = sp->ref;
	const cat_table *t = ref->t;
	sem_expr *conj[64];
	int nc = 0;
	add_conjuncts(pred, conj, &nc, 64);
	colpred *preds = cm_new_array(b->arena, colpred, ref->nvis + 1);
	for (int i = 0; i < nc; i++)
		match_conjunct(ref, conj[i], preds);
	/* 1. integer primary key (the handle) */
	int hc = t->handle_col >= 0 ? vis_of_slot(ref, t->handle_col) : -1;
	if (hc >= 0) {
		colpred *p = &preds[hc];
		if (p->eq && is_int(p->eq->type.oid)) {
			sp->acc = PL_ACC_POINT;
			sp->nvals = 1;
			sp->vals = cm_new_array(b->arena, sem_expr *, 1);
			sp->vals[0] = p->eq;
			return;
		}
		if (p->nin > 0 && is_int(p->in[0]->type.oid)) {
			sp->acc = PL_ACC_POINT;
			sp->nvals = p->nin;
			sp->vals = p->in;
			return;
		}
	}
	/* 2. unique index, every column equal */
	const cat_index *best = NULL;
	int bestn = 0;
	for (int i = 0; i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (hc >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id)
			continue;
		int n = 0;
		for (int k = 0; k < ix->ncols; k++) {
			int pos;
			if (!sql_cat_column_by_id(t, ix->col_ids[k], &pos))
				break;
			int c = vis_of_slot(ref, pos);
			if (c < 0 || !preds[c].eq || preds[c].eq->type.oid != ref->types[c].oid)
				break;
			n++;
		}
		if (n == 0)
			continue;
		bool full_unique = ix->unique && n == ix->ncols;
		bool best_unique = best && best->unique && bestn == best->ncols;
		if (!best || (full_unique && !best_unique) || (full_unique == best_unique && n > bestn)) {
			best = ix;
			bestn = n;
		}
	}
	if (best && !(best->unique && bestn == best->ncols) && t->stat_rows > 1000) {
		/* ANALYZE says the entries would be a large part of the table: a
		 * scan (through the coprocessor) reads less than index + lookups */
		double est = (double) t->stat_rows;
		for (int k = 0; k < bestn; k++) {
			int pos;
			sql_cat_column_by_id(t, best->col_ids[k], &pos);
			if (t->cols[pos].stat_ndistinct > 0)
				est /= (double) t->cols[pos].stat_ndistinct;
			else
				est *= 0.005;
		}
		if (est >= 0.05 * (double) t->stat_rows)
			best = NULL;
	}
	if (!best && !(hc >= 0 && (preds[hc].lo || preds[hc].hi))) {
		/* a closed range on the first column of an index: no equal
		 * leading columns, the range below is on column 0 */
		bestn = 0;
		for (int i = 0; i < t->nindexes && !best; i++) {
			const cat_index *ix = &t->indexes[i];
			int pos;
			if (!sql_cat_column_by_id(t, ix->col_ids[0], &pos))
				continue;
			int c = vis_of_slot(ref, pos);
			if (c >= 0 && preds[c].lo && preds[c].hi && !wide_range(t, pos, &preds[c]))
				best = ix;
		}
	}
	if (best) {
		sp->acc = best->unique && bestn == best->ncols ? PL_ACC_UNIQUE : PL_ACC_INDEX;
		if (sp->acc == PL_ACC_INDEX && bestn < best->ncols) {
			/* equal leading columns, then a range on the next one */
			int pos;
			int c = sql_cat_column_by_id(t, best->col_ids[bestn], &pos) ? vis_of_slot(ref, pos) : -1;
			if (c >= 0 && (preds[c].lo || preds[c].hi))
				set_bounds(sp, &preds[c]);
		}
		sp->index_id = best->id;
		sp->index_name = cm_strdup(b->arena, best->name);
		sp->nvals = bestn;
		sp->vals = cm_new_array(b->arena, sem_expr *, bestn > 0 ? bestn : 1);
		for (int k = 0; k < bestn; k++) {
			int pos;
			sql_cat_column_by_id(t, best->col_ids[k], &pos);
			sp->vals[k] = preds[vis_of_slot(ref, pos)].eq;
		}
		return;
	}
	/* 3. handle range */
	if (hc >= 0 && (preds[hc].lo || preds[hc].hi)) {
		sp->acc = PL_ACC_RANGE;
		set_bounds(sp, &preds[hc]);
	}
}

/* [copr] exported for the coprocessor planner */
void pl_choose_access(pl_binder *b, pl_scanspec *sp, sem_expr *pred)
{
	choose_access(b, sp, pred);
}

static cm_status optimize(pl_binder *b, pl_node **np, cm_error *err)
{
	pl_node *n = *np;
	if (!n)
		return CM_OK;
	/* coprocessor pushdown first: it may absorb Agg / Limit / Sort / Filter above a scan */
	bool done = false;
	if (pl_copr_try(b, np, &done, err) != CM_OK)
		return CM_ERROR;
	if (done)
		return CM_OK;
	n = *np;
	if (n->kind == PL_FILTER && n->left && n->left->kind == PL_SCAN) {
		pl_scanspec *sp = pl_scan_spec(n->left->scan);
		if (sp && sp->acc == PL_ACC_FULL) {
			pl_scanspec *c = cm_new(b->arena, pl_scanspec);
			*c = *sp;
			choose_access(b, c, n->pred);
			if (c->acc != PL_ACC_FULL)
				n->left->scan = pl_scan_provider_new(b->arena, c);
		}
		return CM_OK;
	}
	if (optimize(b, &n->left, err) != CM_OK)
		return CM_ERROR;
	if (n->kind == PL_JOIN && n->algo == PL_JOIN_LOOKUP)
		return CM_OK;	/* right: the lookup's table, read by the join itself */
	if (n->kind != PL_RECURSIVE && optimize(b, &n->right, err) != CM_OK)
		return CM_ERROR;
	return CM_OK;
}

cm_status pl_scan_paths(pl_binder *b, pl_node **root, cm_error *err)
{
	return optimize(b, root, err);
}

cm_status pl_optimize_scans(pl_binder *b, pl_node **root, cm_error *err)
{
	return pl_optimize_plan(b, root, err);
}

void pl_scan_explain(const pl_scan_provider *p, int indent, const pl_opmap *map, cm_buf *out)
{
	const pl_scanspec *sp = pl_scan_spec(p);
	if (!sp)
		return;
	if (sp->acc == PL_ACC_COPR)
		pl_copr_explain(sp, indent, map, out);	/* [copr] map: EXPLAIN ANALYZE figures */
	if (sp->lock) {
		for (int i = 0; i < indent - 2; i++)
			cm_buf_putc(out, ' ');
		cm_buf_printf(out, "Lock Rows: FOR %s%s\n", sp->lock == 2 ? "UPDATE" : "SHARE",
					  sp->lock_wait == 1 ? " NOWAIT" : sp->lock_wait == 2 ? " SKIP LOCKED" : "");
	}
}
