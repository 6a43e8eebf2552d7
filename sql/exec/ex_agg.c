/*
 * ex_agg.c -- aggregate functions and hash aggregation.
 *
 * Transition state per aggregate call (ex_aggstate) with PostgreSQL's
 * result types and NULL rules: sum/avg of integers accumulate exactly
 * (128-bit) and give int8 / numeric, sum(int8) and avg() give numeric,
 * float aggregates accumulate doubles; min/max keep a copy of the best
 * value; count(DISTINCT x) and aggregates with ORDER BY buffer their inputs
 * and sort/deduplicate them at the end.
 *
 * The hash aggregation operator groups its input by key expressions in an
 * ex_htab (work_mem-charged) and emits groups in first-seen order; with no
 * group keys it emits exactly one row, also for empty input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/exec/ex_internal.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_numeric.h"


ex_aggstate *ex_aggstate_new(cm_arena *a, const ex_aggdesc *d)
{
	return cm_new(a, ex_aggstate);
}

void ex_aggstate_reset(const ex_aggdesc *d, ex_aggstate *s)
{
	memset(s, 0, sizeof *s);
}

static bool is_int(sem_oid t)
{
	return t == SEM_INT2OID || t == SEM_INT4OID || t == SEM_INT8OID;
}

static sem_numeric *num_from_i128(cm_arena *a, __int128 v)
{
	char buf[64];
	int p = 63;
	buf[p] = '\0';
	bool neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128) (-(v + 1)) + 1 : (unsigned __int128) v;
	do {
		buf[--p] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u);
	if (neg)
		buf[--p] = '-';
	sem_numeric *n = NULL;
	cm_error e = {0};
	if (sem_num_in(a, buf + p, strlen(buf + p), -1, &n, &e) != CM_OK) {
		cm_error_clear(&e);
		return sem_num_from_int(a, 0);
	}
	return n;
}

static const sem_builtin *find_op(const char *name, sem_oid a, sem_oid b)
{
	const sem_builtin *all[128];
	size_t n = sem_func_candidates(name, 2, all, 128);
	for (size_t i = 0; i < n && i < 128; i++)
		if (all[i]->args[0] == a && all[i]->args[1] == b)
			return all[i];
	return NULL;
}

static cm_status accumulate(sem_ctx *ctx, cm_arena *a, const ex_aggdesc *d, ex_aggstate *s, const sem_datum *v,
							ex_mem *mem, cm_error *err)
{
	sem_oid t = d->argtype.oid;
	switch (d->kind) {
	case EX_AGG_COUNT_STAR:
		s->count++;
		return CM_OK;
	case EX_AGG_COUNT:
		if (!v[0].isnull)
			s->count++;
		return CM_OK;
	case EX_AGG_ARRAY_AGG:
		if (s->n == s->ecap) {
			int nc = s->ecap ? s->ecap * 2 : 16;
			sem_datum *ne = cm_alloc(a, sizeof(sem_datum) * (size_t) nc);
			if (s->n)
				memcpy(ne, s->elems, sizeof(sem_datum) * (size_t) s->n);
			s->elems = ne;
			s->ecap = nc;
			if (mem && ex_mem_charge(mem, (int64_t) (sizeof(sem_datum) * (size_t) nc), err) != CM_OK)
				return CM_ERROR;
		}
		{
			size_t sz = ex_datum_copy(a, t, &v[0], &s->elems[s->n++]);
			if (mem && ex_mem_charge(mem, (int64_t) sz, err) != CM_OK)
				return CM_ERROR;
		}
		s->have = true;
		return CM_OK;
	default:
		break;
	}
	if (v[0].isnull)
		return CM_OK;
	switch (d->kind) {
	case EX_AGG_SUM:
	case EX_AGG_AVG:
		s->count++;
		if (is_int(t))
			s->isum += v[0].v.i;
		else if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID) {
			s->fsum += v[0].v.f;
			if (t == SEM_FLOAT4OID && d->kind == EX_AGG_SUM)
				s->fsum = (float) s->fsum;
		} else if (t == SEM_NUMERICOID) {
			/* add in the per-batch arena, then copy into a buffer the state reuses */
			sem_numeric *r = s->nsum ? sem_num_add(ctx->arena, s->nsum, v[0].v.num) : v[0].v.num;
			int32_t nl = r->nlimbs > 0 ? r->nlimbs : 0;
			if (!s->nsum || nl > s->ncap) {
				int32_t nc = nl < 4 ? 4 : nl * 2;
				s->nsum = cm_alloc(a, sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) nc);
				s->ncap = nc;
				if (mem && ex_mem_charge(mem, (int64_t) (sizeof(sem_numeric) + 8 * (size_t) nc), err) != CM_OK)
					return CM_ERROR;
			}
			memcpy(s->nsum, r, sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) nl);
		} else if (t == SEM_INTERVALOID) {
			if (!s->have)
				s->acc = v[0];
			else {
				const sem_builtin *plus = find_op("+", SEM_INTERVALOID, SEM_INTERVALOID);
				sem_datum args[2] = {s->acc, v[0]}, r;
				memset(&r, 0, sizeof r);
				if (!plus || plus->fn(ctx, 2, args, &r, err) != CM_OK)
					return plus ? CM_ERROR : cm_error_set(err, CM_E_INTERNAL_ERROR, "no interval + operator");
				s->acc = r;
			}
		}
		s->have = true;
		return CM_OK;
	case EX_AGG_MIN:
	case EX_AGG_MAX: {
		int c = s->have ? sem_datum_compare(t, &v[0], &s->acc) : 0;
		if (!s->have || (d->kind == EX_AGG_MIN ? c < 0 : c > 0)) {
			size_t sz = ex_datum_copy(a, t, &v[0], &s->acc);
			if (mem && ex_mem_charge(mem, (int64_t) sz, err) != CM_OK)
				return CM_ERROR;
			s->have = true;
		}
		return CM_OK;
	}
	case EX_AGG_BOOL_AND:
		s->acc.v.b = s->have ? (s->acc.v.b && v[0].v.b) : v[0].v.b;
		s->have = true;
		return CM_OK;
	case EX_AGG_BOOL_OR:
		s->acc.v.b = s->have ? (s->acc.v.b || v[0].v.b) : v[0].v.b;
		s->have = true;
		return CM_OK;
	case EX_AGG_STRING_AGG: {
		size_t dl = s->have && !v[1].isnull ? v[1].v.s.len : 0;
		size_t need = s->len + dl + v[0].v.s.len;
		if (need + 1 > s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 64;
			while (nc < need + 1)
				nc *= 2;
			char *nb = cm_alloc(a, nc);
			if (s->len)
				memcpy(nb, s->buf, s->len);
			if (mem && ex_mem_charge(mem, (int64_t) nc, err) != CM_OK)
				return CM_ERROR;
			s->buf = nb;
			s->cap = nc;
		}
		if (dl)
			memcpy(s->buf + s->len, v[1].v.s.p, dl);
		s->len += dl;
		memcpy(s->buf + s->len, v[0].v.s.p, v[0].v.s.len);
		s->len += v[0].v.s.len;
		s->have = true;
		return CM_OK;
	}
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "aggregate kind %d is not an aggregate", (int) d->kind);
	}
}

cm_status ex_agg_advance(sem_ctx *ctx, cm_arena *a, const ex_aggdesc *d, ex_aggstate *s, const sem_datum *row,
						 ex_mem *mem, cm_error *err)
{
	if (d->filter) {
		sem_datum f;
		if (sem_eval(ctx, d->filter, row, ((ex_state *) ctx->exec)->params, &f, err) != CM_OK)
			return CM_ERROR;
		if (f.isnull || !f.v.b)
			return CM_OK;
	}
	sem_datum v[SEM_FUNC_MAXARGS + 1];
	const sem_datum *params = ctx->exec ? ((ex_state *) ctx->exec)->params : NULL;
	for (int i = 0; i < d->nargs && i < SEM_FUNC_MAXARGS; i++)
		if (sem_eval(ctx, d->args[i], row, params, &v[i], err) != CM_OK)
			return CM_ERROR;
	if (!d->distinct && d->norder == 0)
		return accumulate(ctx, a, d, s, v, mem, err);
	/* buffer [order keys..., args...] */
	if (d->distinct && d->kind != EX_AGG_ARRAY_AGG && d->nargs > 0 && v[0].isnull)
		return CM_OK;
	int w = d->norder + d->nargs;
	sem_datum *r = cm_alloc(a, sizeof(sem_datum) * (size_t) (w > 0 ? w : 1));
	size_t sz = sizeof(sem_datum) * (size_t) w;
	for (int k = 0; k < d->norder; k++) {
		sem_datum kv;
		if (sem_eval(ctx, d->order[k].expr, row, params, &kv, err) != CM_OK)
			return CM_ERROR;
		sz += ex_datum_copy(a, d->order[k].expr->type.oid, &kv, &r[k]);
	}
	for (int i = 0; i < d->nargs; i++)
		sz += ex_datum_copy(a, d->args[i]->type.oid, &v[i], &r[d->norder + i]);
	if (s->nb == s->bcap) {
		int64_t nc = s->bcap ? s->bcap * 2 : 16;
		sem_datum **nr = cm_alloc(a, sizeof(sem_datum *) * (size_t) nc);
		if (s->nb)
			memcpy(nr, s->brows, sizeof(sem_datum *) * (size_t) s->nb);
		s->brows = nr;
		s->bcap = nc;
		sz += sizeof(sem_datum *) * (size_t) nc;
	}
	s->brows[s->nb++] = r;
	if (mem && ex_mem_charge(mem, (int64_t) sz, err) != CM_OK)
		return CM_ERROR;
	return CM_OK;
}

static int cmp_nkeys;
static const ex_sortkey *cmp_keys;

static int buf_cmp(const void *x, const void *y)
{
	return ex_sort_compare(cmp_nkeys, cmp_keys, *(sem_datum *const *) x, *(sem_datum *const *) y);
}

static void set_null(sem_datum *out)
{
	memset(out, 0, sizeof *out);
	out->isnull = true;
}

cm_status ex_agg_final(sem_ctx *ctx, const ex_aggdesc *d, ex_aggstate *s, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (s->nb > 0 || ((d->distinct || d->norder) && s->nb == 0 && s->count == 0 && !s->have)) {
		if (s->nb > 0) {
			/* sort buffered rows: by ORDER BY keys, or (DISTINCT) by the arguments */
			int nk;
			ex_sortkey *keys;
			if (d->norder) {
				nk = d->norder;
				keys = d->order;
			} else {
				nk = d->nargs;
				keys = cm_new_array(ctx->arena, ex_sortkey, nk);
				for (int i = 0; i < nk; i++)
					keys[i].expr = d->args[i];
			}
			sem_datum **rows = s->brows;
			int64_t n = s->nb;
			if (!d->norder || !d->distinct) {
				cmp_nkeys = nk;
				cmp_keys = keys;
				/* qsort is not stable: ORDER BY ties keep arbitrary order, as PostgreSQL's sort */
				qsort(rows, (size_t) n, sizeof *rows, buf_cmp);
			} else {
				cmp_nkeys = nk;
				cmp_keys = keys;
				qsort(rows, (size_t) n, sizeof *rows, buf_cmp);
			}
			ex_aggstate tmp;
			memset(&tmp, 0, sizeof tmp);
			ex_aggdesc plain = *d;
			plain.distinct = false;
			plain.norder = 0;
			const sem_datum *prev = NULL;
			for (int64_t i = 0; i < n; i++) {
				const sem_datum *args = rows[i] + d->norder;
				if (d->distinct && prev) {
					bool same = true;
					for (int k = 0; k < d->nargs && same; k++)
						same = ex_datum_eq(d->args[k]->type.oid, &prev[k], &args[k]);
					if (same)
						continue;
				}
				prev = args;
				if (accumulate(ctx, ctx->arena, &plain, &tmp, args, NULL, err) != CM_OK)
					return CM_ERROR;
			}
			return ex_agg_final(ctx, &plain, &tmp, out, err);
		}
	}
	sem_oid t = d->argtype.oid;
	switch (d->kind) {
	case EX_AGG_COUNT_STAR:
	case EX_AGG_COUNT:
		out->v.i = s->count;
		return CM_OK;
	case EX_AGG_SUM:
		if (!s->have) {
			set_null(out);
			return CM_OK;
		}
		if (t == SEM_INT2OID || t == SEM_INT4OID) {
			if (s->isum > INT64_MAX || s->isum < INT64_MIN)
				return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
			out->v.i = (int64_t) s->isum;
		} else if (t == SEM_INT8OID)
			out->v.num = num_from_i128(ctx->arena, s->isum);
		else if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID)
			out->v.f = s->fsum;
		else if (t == SEM_NUMERICOID)
			out->v.num = s->nsum;
		else
			*out = s->acc;
		return CM_OK;
	case EX_AGG_AVG: {
		if (!s->have || s->count == 0) {
			set_null(out);
			return CM_OK;
		}
		if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID) {
			out->v.f = s->fsum / (double) s->count;
			return CM_OK;
		}
		if (t == SEM_INTERVALOID) {
			const sem_builtin *div = find_op("/", SEM_INTERVALOID, SEM_FLOAT8OID);
			sem_datum args[2];
			memset(args, 0, sizeof args);
			args[0] = s->acc;
			args[1].v.f = (double) s->count;
			if (!div)
				return cm_error_set(err, CM_E_INTERNAL_ERROR, "no interval / operator");
			return div->fn(ctx, 2, args, out, err);
		}
		sem_numeric *sum = t == SEM_NUMERICOID ? s->nsum : num_from_i128(ctx->arena, s->isum);
		return sem_num_div(ctx->arena, sum, sem_num_from_int(ctx->arena, s->count), &out->v.num, err);
	}
	case EX_AGG_MIN:
	case EX_AGG_MAX:
	case EX_AGG_BOOL_AND:
	case EX_AGG_BOOL_OR:
		if (!s->have)
			set_null(out);
		else
			*out = s->acc;
		return CM_OK;
	case EX_AGG_STRING_AGG:
		if (!s->have)
			set_null(out);
		else {
			out->v.s.p = s->buf;
			out->v.s.len = (uint32_t) s->len;
		}
		return CM_OK;
	case EX_AGG_ARRAY_AGG: {
		if (!s->have) {
			set_null(out);
			return CM_OK;
		}
		sem_array *arr = sem_array_new(ctx->arena, t, s->n);
		memcpy(arr->elems, s->elems, sizeof(sem_datum) * (size_t) s->n);
		out->v.arr = arr;
		return CM_OK;
	}
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "not an aggregate");
	}
}

/* ---- hash aggregation --------------------------------------------------------------- */

typedef struct agg_group {
	struct agg_group *next;
	ex_hentry *he;
	ex_aggstate **states;
} agg_group;

typedef struct agg_op {
	ex_op op;
	ex_op *child;
	int ngroups;
	sem_expr **groups;
	sem_oid *gtypes;
	int naggs;
	ex_aggdesc *aggs;
	cm_arena *harena;
	ex_mem mem;
	ex_htab ht;
	agg_group *first, *last, *cur;
	bool emitted;
} agg_op;

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

static agg_group *new_group(agg_op *g, cm_error *err)
{
	agg_group *gr = cm_new(g->harena, agg_group);
	gr->states = cm_new_array(g->harena, ex_aggstate *, g->naggs > 0 ? g->naggs : 1);
	for (int i = 0; i < g->naggs; i++)
		gr->states[i] = ex_aggstate_new(g->harena, &g->aggs[i]);
	if (g->last)
		g->last->next = gr;
	else
		g->first = gr;
	g->last = gr;
	return gr;
}

static cm_status agg_open(ex_op *op, cm_error *err)
{
	agg_op *g = (agg_op *) op;
	cm_arena_reset(g->harena);
	ex_mem_init(&g->mem, op->st, "hash aggregation");
	ex_htab_init(&g->ht, g->harena, g->ngroups, g->gtypes, &g->mem);
	g->first = g->last = g->cur = NULL;
	g->emitted = false;
	if (ex_open(g->child, err) != CM_OK)
		return CM_ERROR;
	if (g->ngroups == 0)
		new_group(g, err);
	sem_datum key[64];
	for (;;) {
		ex_batch *b;
		if (ex_next(g->child, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			const sem_datum *row = ex_row(b, r);
			agg_group *gr = g->first;
			if (g->ngroups > 0) {
				for (int k = 0; k < g->ngroups; k++)
					if (sem_eval(&g->child->ctx, g->groups[k], row, op->st->params, &key[k], err) != CM_OK)
						return CM_ERROR;
				ex_hentry *e;
				bool created;
				if (ex_htab_lookup(&g->ht, key, true, &e, &created, err) != CM_OK)
					return CM_ERROR;
				if (created) {
					gr = new_group(g, err);
					gr->he = e;
					e->payload = gr;
					if (ex_mem_charge(&g->mem, (int64_t) (sizeof *gr + (size_t) g->naggs * 200), err) != CM_OK)
						return CM_ERROR;
				} else
					gr = e->payload;
			}
			for (int i = 0; i < g->naggs; i++)
				if (ex_agg_advance(&g->child->ctx, g->harena, &g->aggs[i], gr->states[i], row, &g->mem, err) !=
					CM_OK)
					return CM_ERROR;
		}
	}
	ex_close(g->child);
	g->cur = g->first;
	return CM_OK;
}

static cm_status agg_next(ex_op *op, ex_batch **out, cm_error *err)
{
	agg_op *g = (agg_op *) op;
	if (!g->cur)
		return CM_OK;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	while (g->cur && b->nrows < EX_BATCH_ROWS) {
		sem_datum *row = ex_row(b, b->nrows);
		for (int k = 0; k < g->ngroups; k++)
			row[k] = g->cur->he->key[k];
		for (int i = 0; i < g->naggs; i++)
			if (ex_agg_final(&op->ctx, &g->aggs[i], g->cur->states[i], &row[g->ngroups + i], err) != CM_OK)
				return CM_ERROR;
		b->nrows++;
		g->cur = g->cur->next;
	}
	*out = b;
	return CM_OK;
}

static void agg_close(ex_op *op)
{
	agg_op *g = (agg_op *) op;
	ex_close(g->child);
	cm_arena_reset(g->harena);
	g->first = g->last = g->cur = NULL;
}

static const ex_op_vt agg_vt = {"HashAggregate", agg_open, agg_next, agg_close};
static const ex_op_vt plainagg_vt = {"Aggregate", agg_open, agg_next, agg_close};

ex_op *ex_agg_new(ex_state *st, ex_op *child, int ngroups, sem_expr **groups, int naggs, ex_aggdesc *aggs,
				  const sem_type *types)
{
	agg_op *g = cm_new(st->arena, agg_op);
	ex_op_init(&g->op, ngroups ? &agg_vt : &plainagg_vt, st, ngroups + naggs, types);
	g->child = child;
	g->ngroups = ngroups > 64 ? 64 : ngroups;
	g->groups = groups;
	g->gtypes = cm_new_array(st->arena, sem_oid, ngroups + 1);
	for (int k = 0; k < ngroups; k++)
		g->gtypes[k] = groups[k]->type.oid;
	g->naggs = naggs;
	g->aggs = aggs;
	g->harena = cm_arena_create(64 * 1024);
	cm_arena_on_reset(st->arena, destroy_arena, g->harena);
	return &g->op;
}
