/*
 * pl_copr_scan.c -- coprocessor pushdown: execution and EXPLAIN.
 *
 * A coprocessor scan is an ex_copr operator (sql/exec/ex_copr.c) whose
 * descriptor calls back here at every open: pl_copr_prepare() builds the
 * request (key range from the handle bounds, the DAG: TableScan with the
 * columns' defaults, Selection, partial Aggregation or TopN / Limit, with
 * this execution's constants), the read ts of the SQL transaction, its
 * cancel flag and deadline; pl_copr_fallback() builds the gateway plan
 * instead when the request cannot be expressed.  The request's key range
 * is recorded in the read set of a SERIALIZABLE transaction
 * (kv_txn_record_range), so commit-time validation covers what the
 * coprocessor read.  pl_copr_usable() says whether this execution may
 * use the coprocessor at all (not when the transaction has buffered
 * writes in the table).  pl_copr_explain()
 * prints the Store: lines of a coprocessor scan and, under EXPLAIN
 * ANALYZE, its statistics.
 *
 * Exported: pl_copr_usable, pl_copr_build, pl_copr_explain (pl_table.h);
 * pl_copr_prepare, pl_copr_fallback (pl_copr_internal.h).
 */
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/plan/pl_copr_internal.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

/* ---- execution ------------------------------------------------------------------------------ */

static void record_range(cm_arena *a, int64_t tid, cm_buf *lo, cm_buf *hi)
{
	cm_buf_init(lo);
	cm_buf_init(hi);
	kv_record_prefix(lo, tid);
	kv_prefix_next(hi, lo->data, lo->len);
}

bool pl_copr_usable(const pl_scanspec *sp, pl_env *env)
{
	if (!env || !env->allow_copr || !env->txn || !env->kv || !pl_copr_pool())
		return false;
	cm_buf lo, hi;
	record_range(NULL, sp->ref->table_id, &lo, &hi);
	bool w = kv_txn_has_writes_in(env->txn, (const uint8_t *) lo.data, lo.len, (const uint8_t *) hi.data, hi.len);
	cm_buf_free(&lo);
	cm_buf_free(&hi);
	return !w;
}

cm_status pl_copr_build(const pl_scanspec *spec, ex_state *st, ex_op **out, cm_error *err)
{
	const pl_copr_spec *s = spec->copr;
	*out = ex_copr_new(st, s->nout, s->out_types, &s->desc);
	return CM_OK;
}

cm_status pl_copr_fallback(const void *arg, ex_state *st, ex_op **out, cm_error *err)
{
	const pl_scanspec *sp = arg;
	return pl_build(st, sp->fallback, out, err);
}

/* An int8 run-time value of e (limit / offset / handle bound). */
static cm_status eval_int(ex_state *st, cm_arena *a, const sem_expr *e, bool *isnull, int64_t *v, cm_error *err)
{
	sem_datum d;
	if (pl_eval_const(st, a, e, &d, err) != CM_OK)
		return CM_ERROR;
	*isnull = d.isnull;
	if (!d.isnull)
		*v = e->type.oid == SEM_BOOLOID ? d.v.b : d.v.i;
	return CM_OK;
}

static bool is_int_type(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

cm_status pl_copr_prepare(const void *arg, ex_state *st, cm_arena *a, kv_client **client, kv_copr_pool **pool,
							  kv_copr_request *req, bool *empty, bool *fallback, cm_error *err)
{
	const pl_scanspec *sp = arg;
	const pl_copr_spec *s = sp->copr;
	pl_env *env = st->env;
	*empty = false;
	*fallback = false;
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "table scan outside a transaction");
	const cat_table *t;
	if (pl_tabref_current(s->ref, env, &t, err) != CM_OK)
		return CM_ERROR;
	*client = env->kv;
	*pool = pl_copr_pool();
	/* key range */
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	bool isnull;
	int64_t v;
	if (s->lo) {
		if (eval_int(st, a, s->lo, &isnull, &v, err) != CM_OK)
			return CM_ERROR;
		if (isnull || (s->lo_strict && v == INT64_MAX)) {
			*empty = true;
			return CM_OK;
		}
		lo = s->lo_strict ? v + 1 : v;
	}
	if (s->hi) {
		if (eval_int(st, a, s->hi, &isnull, &v, err) != CM_OK)
			return CM_ERROR;
		if (isnull || (s->hi_strict && v == INT64_MIN)) {
			*empty = true;
			return CM_OK;
		}
		hi = s->hi_strict ? v - 1 : v;
	}
	if (lo > hi) {
		*empty = true;
		return CM_OK;
	}
	kv_key_range *r = cm_new(a, kv_key_range);
	cm_buf b1, b2;
	record_range(a, t->id, &b1, &b2);
	if (lo != INT64_MIN) {
		uint8_t *k = cm_alloc(a, KV_RECORD_KEY_LEN);
		kv_record_key_fixed(k, t->id, lo);
		r->start.data = k;
		r->start.len = KV_RECORD_KEY_LEN;
	} else {
		r->start.data = cm_memdup(a, b1.data, b1.len);
		r->start.len = b1.len;
	}
	if (hi != INT64_MAX) {
		uint8_t *k = cm_alloc(a, KV_RECORD_KEY_LEN + 1);
		kv_record_key_fixed(k, t->id, hi);
		k[KV_RECORD_KEY_LEN] = 0;		/* just past the key of hi */
		r->end.data = k;
		r->end.len = KV_RECORD_KEY_LEN + 1;
	} else {
		r->end.data = cm_memdup(a, b2.data, b2.len);
		r->end.len = b2.len;
	}
	cm_buf_free(&b1);
	cm_buf_free(&b2);
	/* the DAG */
	kv_copr_dag *dp = cm_new(a, kv_copr_dag);		/* outlives this call: req->dag */
	kv_copr_dag_init(dp, a, true);
	Tipb__ColumnInfo **ci = cm_new_array(a, Tipb__ColumnInfo *, s->nscan);
	for (int i = 0; i < s->nscan; i++) {
		int vc = s->scan_vis[i];
		if (vc < 0) {
			ci[i] = kv_copr_pb_column(a, -1, &s->cols[i].ft, true, NULL, 0);
			continue;
		}
		const cat_column *col = &t->cols[s->ref->vis[vc]];
		bool handle = s->ref->vis[vc] == t->handle_col;
		const void *dv = NULL;
		size_t dl = 0;
		if (col->has_missing && !col->missing_null && !handle) {
			sem_datum md;
			kv_datum kd;
			cm_buf enc;
			cm_buf_init(&enc);
			if (cat_datum_from_cell(a, col->type, col->missing, col->missing_len, &md, err) != CM_OK ||
				kv_copr_sem_to_kvdatum(col->type, &md, a, &kd, err) != CM_OK ||
				kv_encode_value(&enc, &kd, 1, err) != CM_OK) {
				cm_buf_free(&enc);
				cm_error_clear(err);
				*fallback = true;
				return CM_OK;
			}
			dv = cm_memdup(a, enc.data, enc.len);
			dl = enc.len;
			cm_buf_free(&enc);
		}
		ci[i] = kv_copr_pb_column(a, col->id, &s->cols[i].ft, handle, dv, dl);
	}
	kv_copr_dag_table_scan(dp, t->id, ci, (size_t) s->nscan, false);
	tr_ctx c = {.a = a, .s = s, .st = st, .err = err};
	if (s->nconds) {
		Tipb__Expr **conds = cm_new_array(a, Tipb__Expr *, s->nconds);
		for (int i = 0; i < s->nconds; i++)
			if (!(conds[i] = pl_copr_tr(&c, s->conds[i])))
				goto untranslatable;
		kv_copr_dag_selection(dp, conds, (size_t) s->nconds);
	}
	if (s->agg) {
		Tipb__Expr **g = cm_new_array(a, Tipb__Expr *, s->ngroups + 1);
		Tipb__Expr **f = cm_new_array(a, Tipb__Expr *, s->naggs + 1);
		for (int i = 0; i < s->ngroups; i++)
			if (!(g[i] = pl_copr_tr(&c, s->groups[i])))
				goto untranslatable;
		for (int i = 0; i < s->naggs; i++) {
			const ex_aggdesc *ad = &s->aggs[i];
			Tipb__Expr *x = NULL;
			if (ad->nargs == 1 && !(x = pl_copr_tr(&c, ad->args[0])))
				goto untranslatable;
			int tp;
			switch (ad->kind) {
			case EX_AGG_COUNT_STAR:
			case EX_AGG_COUNT: tp = TIPB__EXPR_TYPE__Count; break;
			case EX_AGG_SUM: tp = TIPB__EXPR_TYPE__Sum; break;
			case EX_AGG_AVG: tp = TIPB__EXPR_TYPE__Avg; break;
			case EX_AGG_MIN: tp = TIPB__EXPR_TYPE__Min; break;
			default: tp = TIPB__EXPR_TYPE__Max; break;
			}
			f[i] = kv_copr_pb_agg(a, tp, NULL, x);
		}
		kv_copr_dag_aggregation(dp, g, (size_t) s->ngroups, f, (size_t) s->naggs, false);
	} else if (s->push_limit) {
		int64_t lim = 0, off = 0;
		if (eval_int(st, a, s->limit, &isnull, &lim, err) != CM_OK)
			return CM_ERROR;
		bool ok = !isnull && lim >= 0;
		if (ok && s->offset) {
			if (eval_int(st, a, s->offset, &isnull, &off, err) != CM_OK)
				return CM_ERROR;
			ok = off >= 0;
			if (isnull)
				off = 0;
		}
		if (ok && is_int_type(s->limit->type.oid)) {
			uint64_t n = (uint64_t) lim + (uint64_t) off;
			if (s->ntopn) {
				int nk = 0;
				Tipb__Expr **k = cm_new_array(a, Tipb__Expr *, 2 * s->ntopn);
				bool *desc = cm_new_array(a, bool, 2 * s->ntopn);
				for (int i = 0; i < s->ntopn; i++) {
					Tipb__Expr *x = pl_copr_tr(&c, s->topn[i].expr);
					if (!x)
						goto untranslatable;
					if (s->topn_nullable[i]) {
						k[nk] = pl_copr_tr_isnull(&c, s->topn[i].expr);
						if (!k[nk])
							goto untranslatable;
						desc[nk++] = s->topn[i].nulls_first;
					}
					k[nk] = x;
					desc[nk++] = s->topn[i].desc;
				}
				kv_copr_dag_topn(dp, k, desc, (size_t) nk, n);
			} else
				kv_copr_dag_limit(dp, n);
		}
	}
	memset(req, 0, sizeof *req);
	req->dag = &dp->req;
	req->ranges = r;
	req->n_ranges = 1;
	req->start_ts = kv_txn_read_ts(env->txn);
	req->keep_order = s->keep_order;
	req->cancel = env->cancel;
	req->deadline_us = kv_txn_deadline(env->txn);
	/* [serializable] the request's key range joins the read set of a
	 * SERIALIZABLE transaction (no-op otherwise), validated at commit like
	 * the ranges of kv_txn_iter: every region task of the request reads a
	 * part of it.  Recorded whole, values included, also when a pushed
	 * Limit lets the scan stop early (conservative: more conflicts, never
	 * fewer). */
	kv_txn_record_range(env->txn, r->start.data, r->start.len, r->end.data, r->end.len, false);
	return CM_OK;

untranslatable:
	if (c.eval_failed)
		return CM_ERROR;
	*fallback = true;
	return CM_OK;
}

/* ---- EXPLAIN ------------------------------------------------------------------------------- */

static void expr_text(cm_buf *o, const pl_copr_spec *s, const sem_expr *e);

static void list_text(cm_buf *o, const pl_copr_spec *s, sem_expr *const *v, int n, const char *sep)
{
	for (int i = 0; i < n; i++) {
		if (i)
			cm_buf_puts(o, sep);
		expr_text(o, s, v[i]);
	}
}

static void expr_text(cm_buf *o, const pl_copr_spec *s, const sem_expr *e)
{
	switch (e->kind) {
	case SEM_EXPR_COLUMN:
		if (e->u.colno >= 0 && e->u.colno < s->ref->nvis)
			cm_buf_puts(o, s->ref->names[e->u.colno]);
		else
			cm_buf_puts(o, "?");
		return;
	case SEM_EXPR_CONST: {
		if (e->u.constval.isnull) {
			cm_buf_puts(o, "NULL");
			return;
		}
		sem_ctx ctx;
		memset(&ctx, 0, sizeof ctx);
		cm_arena *a = cm_arena_create(0);
		ctx.arena = a;
		ctx.timezone = "UTC";
		ctx.extra_float_digits = 1;
		char *txt = sem_out_cstring(&ctx, e->type, &e->u.constval);
		bool q = pl_copr_cls(e->type.oid) == C_STR;
		cm_buf_printf(o, q ? "'%s'" : "%s", txt ? txt : "?");
		cm_arena_destroy(a);
		return;
	}
	case SEM_EXPR_PARAM: cm_buf_printf(o, "$%d", e->u.paramno); return;
	case SEM_EXPR_FUNC: {
		const char *nm = e->u.func.fn->name;
		bool op = nm[0] && !((nm[0] >= 'a' && nm[0] <= 'z') || nm[0] == '_');
		if (op && e->u.func.nargs == 2) {
			cm_buf_putc(o, '(');
			expr_text(o, s, e->u.func.args[0]);
			cm_buf_printf(o, " %s ", nm);
			expr_text(o, s, e->u.func.args[1]);
			cm_buf_putc(o, ')');
		} else if (op && e->u.func.nargs == 1) {
			cm_buf_puts(o, nm);
			expr_text(o, s, e->u.func.args[0]);
		} else {
			cm_buf_printf(o, "%s(", nm);
			list_text(o, s, e->u.func.args, e->u.func.nargs, ", ");
			cm_buf_putc(o, ')');
		}
		return;
	}
	case SEM_EXPR_CAST:
		expr_text(o, s, e->u.cast.arg);
		cm_buf_printf(o, "::%s", sem_type_name(e->type.oid));
		return;
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
		cm_buf_putc(o, '(');
		list_text(o, s, e->u.list.items, e->u.list.n, e->kind == SEM_EXPR_AND ? " AND " : " OR ");
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_NOT:
		cm_buf_puts(o, "NOT ");
		expr_text(o, s, e->u.arg1);
		return;
	case SEM_EXPR_NULLTEST:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.test.arg);
		cm_buf_puts(o, e->u.test.op ? " IS NOT NULL)" : " IS NULL)");
		return;
	case SEM_EXPR_IN:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.in.lhs);
		cm_buf_puts(o, e->u.in.negate ? " NOT IN (" : " IN (");
		list_text(o, s, e->u.in.items, e->u.in.n, ", ");
		cm_buf_puts(o, "))");
		return;
	case SEM_EXPR_COALESCE:
		cm_buf_puts(o, "COALESCE(");
		list_text(o, s, e->u.list.items, e->u.list.n, ", ");
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_CASE: cm_buf_puts(o, "CASE ... END"); return;
	case SEM_EXPR_DISTINCT:
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.cmp.a);
		cm_buf_puts(o, e->u.cmp.negate ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
		expr_text(o, s, e->u.cmp.b);
		cm_buf_putc(o, ')');
		return;
	case SEM_EXPR_BOOLTEST: {
		static const char *const t[] = {" IS TRUE", " IS NOT TRUE", " IS FALSE", " IS NOT FALSE", " IS UNKNOWN",
										" IS NOT UNKNOWN"};
		cm_buf_putc(o, '(');
		expr_text(o, s, e->u.test.arg);
		cm_buf_printf(o, "%s)", e->u.test.op >= 0 && e->u.test.op < 6 ? t[e->u.test.op] : "");
		return;
	}
	default: cm_buf_puts(o, "..."); return;
	}
}

static void pad(cm_buf *o, int indent)
{
	for (int i = 0; i < indent - 2; i++)
		cm_buf_putc(o, ' ');
}

static const char *agg_name(ex_aggkind k)
{
	switch (k) {
	case EX_AGG_COUNT_STAR:
	case EX_AGG_COUNT: return "count";
	case EX_AGG_SUM: return "sum";
	case EX_AGG_AVG: return "avg";
	case EX_AGG_MIN: return "min";
	default: return "max";
	}
}

static bool subtree_ran(const pl_node *n, const pl_opmap *map)
{
	if (!n || !map)
		return false;
	for (int i = 0; i < map->n; i++)
		if (map->nodes[i] == n)
			return true;
	return subtree_ran(n->left, map) || subtree_ran(n->right, map);
}

void pl_copr_explain(const pl_scanspec *sp, int indent, const pl_opmap *map, cm_buf *o)
{
	const pl_copr_spec *s = sp->copr;
	if (!s)
		return;
	pad(o, indent);
	cm_buf_printf(o, "Store: TableScan on %s columns (", s->ref->name);
	for (int i = 0; i < s->nscan; i++)
		cm_buf_printf(o, "%s%s", i ? ", " : "", s->scan_vis[i] >= 0 ? s->ref->names[s->scan_vis[i]] : "_rowid");
	cm_buf_puts(o, ")");
	if (s->lo || s->hi) {
		cm_buf_puts(o, " range ");
		cm_buf_puts(o, s->lo ? (s->lo_strict ? "(" : "[") : "(");
		if (s->lo)
			expr_text(o, s, s->lo);
		else
			cm_buf_puts(o, "-inf");
		cm_buf_puts(o, ", ");
		if (s->hi)
			expr_text(o, s, s->hi);
		else
			cm_buf_puts(o, "+inf");
		cm_buf_puts(o, s->hi ? (s->hi_strict ? ")" : "]") : ")");
	} else
		cm_buf_puts(o, " range: full table");
	cm_buf_putc(o, '\n');
	if (s->nconds) {
		pad(o, indent);
		cm_buf_puts(o, "Store: Selection ");
		list_text(o, s, s->conds, s->nconds, " AND ");
		cm_buf_putc(o, '\n');
	}
	if (s->agg) {
		pad(o, indent);
		cm_buf_puts(o, "Store: Partial Aggregation ");
		for (int i = 0; i < s->naggs; i++) {
			cm_buf_printf(o, "%s%s(", i ? ", " : "", agg_name(s->aggs[i].kind));
			if (s->aggs[i].nargs)
				expr_text(o, s, s->aggs[i].args[0]);
			else
				cm_buf_putc(o, '*');
			cm_buf_putc(o, ')');
		}
		if (s->ngroups) {
			cm_buf_puts(o, " group by ");
			list_text(o, s, s->groups, s->ngroups, ", ");
		}
		cm_buf_putc(o, '\n');
		pad(o, indent);
		cm_buf_puts(o, "Gateway: Final Aggregation (merge of per-region partials)\n");
	} else if (s->push_limit) {
		pad(o, indent);
		if (s->ntopn) {
			cm_buf_puts(o, "Store: TopN ");
			expr_text(o, s, s->limit);
			if (s->offset) {
				cm_buf_puts(o, " + ");
				expr_text(o, s, s->offset);
			}
			cm_buf_puts(o, " by ");
			for (int i = 0; i < s->ntopn; i++) {
				if (i)
					cm_buf_puts(o, ", ");
				expr_text(o, s, s->topn[i].expr);
				cm_buf_printf(o, "%s%s", s->topn[i].desc ? " DESC" : "",
							  s->topn_nullable[i] ? (s->topn[i].nulls_first ? " NULLS FIRST" : " NULLS LAST") : "");
			}
		} else {
			cm_buf_puts(o, "Store: Limit ");
			expr_text(o, s, s->limit);
			if (s->offset) {
				cm_buf_puts(o, " + ");
				expr_text(o, s, s->offset);
			}
		}
		cm_buf_putc(o, '\n');
	}
	if (!map)
		return;
	for (int i = 0; i < map->n; i++) {
		const void *arg;
		ex_copr_stats st;
		if (!ex_copr_get_stats(map->ops[i], &arg, &st) || arg != sp)
			continue;
		pad(o, indent);
		cm_buf_printf(o,
					  "Coprocessor: region tasks=%lld requests=%lld store rows=%lld wait=%.3f ms"
					  " region retries=%lld lock retries=%lld\n",
					  (long long) st.tasks, (long long) st.requests, (long long) st.store_rows,
					  (double) st.wait_ns / 1e6, (long long) st.region_retries, (long long) st.lock_retries);
		if (st.fallbacks) {
			pad(o, indent);
			cm_buf_puts(o, "Gateway fallback (request not expressible):\n");
			pl_explain_node_ex(sp->fallback, indent + 4, map, o);
		}
		return;
	}
	if (subtree_ran(sp->fallback, map)) {
		pad(o, indent);
		cm_buf_puts(o, "Gateway fallback (the transaction has writes in this table):\n");
		pl_explain_node_ex(sp->fallback, indent + 4, map, o);
	}
}
