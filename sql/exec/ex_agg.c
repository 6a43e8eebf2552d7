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
 * variance/stddev follow PostgreSQL: Youngs-Cramer doubles for float input,
 * exact numeric sums of x and x*x otherwise.
 *
 * The hash aggregation operator groups its input by key expressions in an
 * ex_htab (work_mem-charged) and emits groups in first-seen order; with no
 * group keys it emits exactly one row, also for empty input.  Grouping sets
 * (ROLLUP / CUBE / GROUPING SETS) arrive as an operator without plain keys
 * whose first aggregates are EX_AGG_GSET_KEY (the keys) and one
 * EX_AGG_GSET_ID (the sets and the GROUPING() mask); see gset_open().
 */
#include <math.h>
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

static void set_null(sem_datum *out)
{
	memset(out, 0, sizeof *out);
	out->isnull = true;
}

/* Copy numeric r into the state-owned buffer *buf (grown to *cap limbs as needed). */
static cm_status keep_num(cm_arena *a, sem_numeric **buf, int32_t *cap, const sem_numeric *r, ex_mem *mem,
						  cm_error *err)
{
	int32_t nl = r->nlimbs > 0 ? r->nlimbs : 0;
	if (!*buf || nl > *cap) {
		int32_t nc = nl < 4 ? 4 : nl * 2;
		*buf = cm_alloc(a, sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) nc);
		*cap = nc;
		if (mem && ex_mem_charge(mem, (int64_t) (sizeof(sem_numeric) + 8 * (size_t) nc), err) != CM_OK)
			return CM_ERROR;
	}
	memcpy(*buf, r, sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) nl);
	return CM_OK;
}

static bool is_stat(ex_aggkind k)
{
	return k == EX_AGG_VAR_SAMP || k == EX_AGG_VAR_POP || k == EX_AGG_STDDEV_SAMP || k == EX_AGG_STDDEV_POP;
}

/* variance/stddev transition: floats as PostgreSQL's float8_accum (Youngs-Cramer),
 * everything else as numeric sums of x and x*x (numeric_accum). */
static cm_status stat_accum(sem_ctx *ctx, cm_arena *a, ex_aggstate *s, sem_oid t, const sem_datum *v, ex_mem *mem,
							cm_error *err)
{
	if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID) {
		double x = v->v.f, n0 = (double) s->count;
		s->count++;
		double n = (double) s->count;
		s->fsum += x;
		if (n0 > 0.0) {
			double tmp = x * n - s->fsum;
			s->fsum2 += tmp * tmp / (n * n0);
		} else
			s->fsum2 = isnan(x) || isinf(x) ? NAN : 0.0;
		s->have = true;
		return CM_OK;
	}
	sem_numeric *x = t == SEM_NUMERICOID ? v->v.num : sem_num_from_int(ctx->arena, v->v.i);
	if (sem_num_is_nan(x) || sem_num_is_inf(x))
		s->acc.v.b = true;	/* the result is NaN */
	else {
		sem_numeric *r1 = s->nsum ? sem_num_add(ctx->arena, s->nsum, x) : x;
		sem_numeric *sq = sem_num_mul(ctx->arena, x, x);
		sem_numeric *r2 = s->nsum2 ? sem_num_add(ctx->arena, s->nsum2, sq) : sq;
		if (keep_num(a, &s->nsum, &s->ncap, r1, mem, err) != CM_OK ||
			keep_num(a, &s->nsum2, &s->ncap2, r2, mem, err) != CM_OK)
			return CM_ERROR;
	}
	s->count++;
	s->have = true;
	return CM_OK;
}

static cm_status stat_final(sem_ctx *ctx, const ex_aggdesc *d, ex_aggstate *s, sem_datum *out, cm_error *err)
{
	bool samp = d->kind == EX_AGG_VAR_SAMP || d->kind == EX_AGG_STDDEV_SAMP;
	bool sd = d->kind == EX_AGG_STDDEV_SAMP || d->kind == EX_AGG_STDDEV_POP;
	sem_oid t = d->argtype.oid;
	if (s->count == 0 || (samp && s->count == 1)) {
		set_null(out);
		return CM_OK;
	}
	if (t == SEM_FLOAT4OID || t == SEM_FLOAT8OID) {
		double v = s->fsum2 / (samp ? (double) s->count - 1.0 : (double) s->count);
		out->v.f = sd ? sqrt(v) : v;
		return CM_OK;
	}
	if (s->acc.v.b) {
		cm_error e0 = {0};
		if (sem_num_in(ctx->arena, "NaN", 3, -1, &out->v.num, &e0) != CM_OK) {
			cm_error_clear(&e0);
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "cannot make NaN");
		}
		return CM_OK;
	}
	sem_numeric *n = sem_num_from_int(ctx->arena, s->count);
	sem_numeric *num = sem_num_sub(ctx->arena, sem_num_mul(ctx->arena, n, s->nsum2),
								   sem_num_mul(ctx->arena, s->nsum, s->nsum));
	if (sem_num_cmp(num, sem_num_from_int(ctx->arena, 0)) <= 0) {
		out->v.num = sem_num_from_int(ctx->arena, 0);
		return CM_OK;
	}
	sem_numeric *den = sem_num_mul(ctx->arena, n, samp ? sem_num_from_int(ctx->arena, s->count - 1) : n);
	sem_numeric *var;
	if (sem_num_div(ctx->arena, num, den, &var, err) != CM_OK)
		return CM_ERROR;
	if (!sd) {
		out->v.num = var;
		return CM_OK;
	}
	/* PostgreSQL takes the square root at the scale of the quotient */
	sem_numeric *r;
	if (sem_num_sqrt(ctx->arena, var, &r, err) != CM_OK)
		return CM_ERROR;
	out->v.num = sem_num_round(ctx->arena, r, sem_num_scale(var));
	return CM_OK;
}

/* corr / covar / regr_* transition: PostgreSQL's float8_regr_accum
 * (Youngs-Cramer) over (Y, X); rows with a NULL are skipped. */
static cm_status regr_accum(ex_aggstate *s, const sem_datum *v, cm_error *err)
{
	if (v[0].isnull || v[1].isnull)
		return CM_OK;
	double y = v[0].v.f, x = v[1].v.f, n0 = (double) s->count;
	double osx = s->fsum, osy = s->sy, osxx = s->fsum2, osyy = s->syy, osxy = s->sxy;
	s->count++;
	double n = (double) s->count;
	s->fsum += x;
	s->sy += y;
	if (n0 > 0.0) {
		double tx = x * n - s->fsum, ty = y * n - s->sy, scale = 1.0 / (n * n0);
		s->fsum2 += tx * tx * scale;
		s->syy += ty * ty * scale;
		s->sxy += tx * ty * scale;
		if (isinf(s->fsum) || isinf(s->fsum2) || isinf(s->sy) || isinf(s->syy) || isinf(s->sxy)) {
			if (((isinf(s->fsum) || isinf(s->fsum2)) && !isinf(osx) && !isinf(x)) ||
				((isinf(s->sy) || isinf(s->syy)) && !isinf(osy) && !isinf(y)) ||
				(isinf(s->sxy) && !isinf(osx) && !isinf(x) && !isinf(osy) && !isinf(y)))
				return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
			if (isinf(s->fsum2))
				s->fsum2 = NAN;
			if (isinf(s->syy))
				s->syy = NAN;
			if (isinf(s->sxy))
				s->sxy = NAN;
		}
		(void) osxx; (void) osyy; (void) osxy;
	} else {
		if (isnan(x) || isinf(x))
			s->fsum2 = s->sxy = NAN;
		if (isnan(y) || isinf(y))
			s->syy = s->sxy = NAN;
	}
	return CM_OK;
}

/* the final functions of the EX_AGG_REGR family, by name */
static cm_status regr_final(const ex_aggdesc *d, const ex_aggstate *s, sem_datum *out)
{
	const char *nm = d->name;
	double n = (double) s->count, sx = s->fsum, sxx = s->fsum2, sy = s->sy, syy = s->syy, sxy = s->sxy, r;
	memset(out, 0, sizeof *out);
	if (strcmp(nm, "regr_count") == 0) {
		out->v.i = s->count;
		return CM_OK;
	}
	out->isnull = true;
	if (n < 1.0)
		return CM_OK;
	if (strcmp(nm, "covar_samp") == 0) {
		if (n < 2.0)
			return CM_OK;
		r = sxy / (n - 1.0);
	} else if (strcmp(nm, "covar_pop") == 0)
		r = sxy / n;
	else if (strcmp(nm, "regr_sxx") == 0)
		r = sxx;
	else if (strcmp(nm, "regr_syy") == 0)
		r = syy;
	else if (strcmp(nm, "regr_sxy") == 0)
		r = sxy;
	else if (strcmp(nm, "regr_avgx") == 0)
		r = sx / n;
	else if (strcmp(nm, "regr_avgy") == 0)
		r = sy / n;
	else if (strcmp(nm, "corr") == 0) {
		if (sxx == 0 || syy == 0)
			return CM_OK;
		r = sxy / sqrt(sxx * syy);
	} else if (strcmp(nm, "regr_r2") == 0) {
		if (sxx == 0)
			return CM_OK;
		r = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
	} else if (strcmp(nm, "regr_slope") == 0) {
		if (sxx == 0)
			return CM_OK;
		r = sxy / sxx;
	} else {	/* regr_intercept */
		if (sxx == 0)
			return CM_OK;
		r = (sy - sx * sxy / sxx) / n;
	}
	out->isnull = false;
	out->v.f = r;
	return CM_OK;
}

static cm_status accumulate(sem_ctx *ctx, cm_arena *a, const ex_aggdesc *d, ex_aggstate *s, const sem_datum *v,
							ex_mem *mem, cm_error *err)
{
	sem_oid t = d->argtype.oid;
	switch (d->kind) {
	case EX_AGG_REGR:
		return regr_accum(s, v, err);
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
	if (is_stat(d->kind))
		return stat_accum(ctx, a, s, t, &v[0], mem, err);
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
	if (d->kind == EX_AGG_GSET_KEY || d->kind == EX_AGG_GSET_ID)
		return CM_OK;	/* filled in by the aggregation operator */
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
	if (is_stat(d->kind))
		return stat_final(ctx, d, s, out, err);
	if (d->kind == EX_AGG_REGR)
		return regr_final(d, s, out);
	switch (d->kind) {
	case EX_AGG_GSET_ID:
		out->v.i = 0;	/* plain GROUP BY: every key is grouped */
		return CM_OK;
	case EX_AGG_GSET_KEY:
		set_null(out);
		return CM_OK;
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
	int set;					/* grouping-set mode: index of its set */
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
	/* grouping-set mode (aggs hold EX_AGG_GSET_KEY / EX_AGG_GSET_ID): the hash
	 * key is [set index, key values with NULL for keys outside the set] */
	bool gset;
	int nkeys;					/* EX_AGG_GSET_KEY aggregates: aggs[0..nkeys) */
	int ngsets;
	const uint64_t *gsets;
	sem_oid *htypes;
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

/* The group of set si for key values kv (NULL outside the set), created if new. */
static cm_status gset_group(agg_op *g, int si, const sem_datum *kv, agg_group **out, cm_error *err)
{
	sem_datum key[65];
	memset(key, 0, sizeof(sem_datum) * (size_t) (g->nkeys + 1));
	key[0].v.i = si;
	for (int k = 0; k < g->nkeys; k++) {
		if (kv && (g->gsets[si] >> k) & 1)
			key[1 + k] = kv[k];
		else
			key[1 + k].isnull = true;
	}
	ex_hentry *e;
	bool created;
	if (ex_htab_lookup(&g->ht, key, true, &e, &created, err) != CM_OK)
		return CM_ERROR;
	if (created) {
		agg_group *gr = new_group(g, err);
		gr->he = e;
		gr->set = si;
		e->payload = gr;
		if (ex_mem_charge(&g->mem, (int64_t) (sizeof *gr + (size_t) g->naggs * 200), err) != CM_OK)
			return CM_ERROR;
	}
	*out = e->payload;
	return CM_OK;
}

/* Grouping sets: every input row goes into one group of every set; the
 * empty set has its group even for empty input.  Groups are emitted set by
 * set, each set's in first-seen order. */
static cm_status gset_open(agg_op *g, cm_error *err)
{
	ex_op *op = &g->op;
	ex_htab_init(&g->ht, g->harena, g->nkeys + 1, g->htypes, &g->mem);
	if (ex_open(g->child, err) != CM_OK)
		return CM_ERROR;
	agg_group *gr;
	for (int si = 0; si < g->ngsets; si++)
		if (g->gsets[si] == 0 && gset_group(g, si, NULL, &gr, err) != CM_OK)
			return CM_ERROR;
	sem_datum kv[64];
	for (;;) {
		ex_batch *b;
		if (ex_next(g->child, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			const sem_datum *row = ex_row(b, r);
			for (int k = 0; k < g->nkeys; k++)
				if (sem_eval(&g->child->ctx, g->aggs[k].args[0], row, op->st->params, &kv[k], err) != CM_OK)
					return CM_ERROR;
			for (int si = 0; si < g->ngsets; si++) {
				if (gset_group(g, si, kv, &gr, err) != CM_OK)
					return CM_ERROR;
				for (int i = g->nkeys; i < g->naggs; i++)
					if (ex_agg_advance(&g->child->ctx, g->harena, &g->aggs[i], gr->states[i], row, &g->mem, err) !=
						CM_OK)
						return CM_ERROR;
			}
		}
	}
	ex_close(g->child);
	/* order by set */
	agg_group **heads = cm_new_array(g->harena, agg_group *, g->ngsets), **tails = cm_new_array(g->harena, agg_group *, g->ngsets);
	for (agg_group *x = g->first, *nx; x; x = nx) {
		nx = x->next;
		x->next = NULL;
		if (tails[x->set])
			tails[x->set]->next = x;
		else
			heads[x->set] = x;
		tails[x->set] = x;
	}
	/* the empty set (the grand total) first, then the others last to first,
	 * which is the order PostgreSQL's MixedAggregate emits them in the
	 * common cases */
	g->first = g->last = NULL;
	/* (aggregates with DISTINCT / ORDER BY make PostgreSQL sort instead: the
	 * sets then come in their written order, the grand total last) */
	bool sorted = false;
	for (int i = g->nkeys; i < g->naggs; i++)
		sorted = sorted || g->aggs[i].distinct || g->aggs[i].norder > 0;
	int e0 = -1;
	for (int x = 0; x < g->ngsets && e0 < 0 && !sorted; x++)
		if (g->gsets[x] == 0)
			e0 = x;
	for (int j = -1; j < g->ngsets; j++) {
		int si = j < 0 ? e0 : sorted ? j : g->ngsets - 1 - j;
		if (si < 0 || (j >= 0 && si == e0) || !heads[si])
			continue;
		if (g->last)
			g->last->next = heads[si];
		else
			g->first = heads[si];
		g->last = tails[si];
	}
	g->cur = g->first;
	return CM_OK;
}

static cm_status agg_open(ex_op *op, cm_error *err)
{
	agg_op *g = (agg_op *) op;
	cm_arena_reset(g->harena);
	ex_mem_init(&g->mem, op->st, "hash aggregation");
	g->first = g->last = g->cur = NULL;
	g->emitted = false;
	if (g->gset)
		return gset_open(g, err);
	ex_htab_init(&g->ht, g->harena, g->ngroups, g->gtypes, &g->mem);
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
		if (g->gset) {
			uint64_t all = g->nkeys >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << g->nkeys) - 1;
			for (int i = 0; i < g->naggs; i++) {
				if (g->aggs[i].kind == EX_AGG_GSET_KEY)
					row[i] = g->cur->he->key[1 + i];
				else if (g->aggs[i].kind == EX_AGG_GSET_ID) {
					memset(&row[i], 0, sizeof row[i]);
					row[i].v.i = (int64_t) (~g->gsets[g->cur->set] & all);
				} else if (ex_agg_final(&op->ctx, &g->aggs[i], g->cur->states[i], &row[i], err) != CM_OK)
					return CM_ERROR;
			}
			b->nrows++;
			g->cur = g->cur->next;
			continue;
		}
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
	for (int i = 0; i < naggs; i++) {
		if (aggs[i].kind == EX_AGG_GSET_KEY && i == g->nkeys && i < 64)
			g->nkeys++;
		if (aggs[i].kind == EX_AGG_GSET_ID && aggs[i].ngsets > 0) {
			g->gset = true;
			g->ngsets = aggs[i].ngsets;
			g->gsets = aggs[i].gsets;
		}
	}
	if (g->gset) {
		g->htypes = cm_new_array(st->arena, sem_oid, g->nkeys + 1);
		g->htypes[0] = SEM_INT8OID;
		for (int k = 0; k < g->nkeys; k++)
			g->htypes[1 + k] = aggs[k].argtype.oid;
	}
	g->harena = cm_arena_create(64 * 1024);
	cm_arena_on_reset(st->arena, destroy_arena, g->harena);
	return &g->op;
}
