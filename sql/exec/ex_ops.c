/*
 * ex_ops.c -- streaming operators: values, project, filter, limit and the
 * set-returning functions (generate_series, unnest) in FROM or in the
 * target list (ProjectSet).  See exec.h.
 */
#include <string.h>

#include "sql/exec/exec.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_numeric.h"

/* ---- values ------------------------------------------------------------------------ */

typedef struct values_op {
	ex_op op;
	int nrows;
	sem_expr ***rows;
	int next;
} values_op;

static cm_status values_open(ex_op *op, cm_error *err)
{
	((values_op *) op)->next = 0;
	return CM_OK;
}

static cm_status values_next(ex_op *op, ex_batch **out, cm_error *err)
{
	values_op *v = (values_op *) op;
	if (v->next >= v->nrows)
		return CM_OK;
	int n = v->nrows - v->next;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, n);
	for (int r = 0; r < n; r++) {
		sem_datum *row = ex_row(b, r);
		for (int c = 0; c < op->ncols; c++)
			if (sem_eval(&op->ctx, v->rows[v->next + r][c], NULL, op->st->params, &row[c], err) != CM_OK)
				return CM_ERROR;
	}
	b->nrows = n;
	v->next += n;
	*out = b;
	return CM_OK;
}

static void noop_close(ex_op *op) {}

static const ex_op_vt values_vt = {"Values Scan", values_open, values_next, noop_close};

ex_op *ex_values_new(ex_state *st, int ncols, const sem_type *types, int nrows, sem_expr ***rows)
{
	values_op *v = cm_new(st->arena, values_op);
	ex_op_init(&v->op, &values_vt, st, ncols, types);
	v->nrows = nrows;
	v->rows = rows;
	return &v->op;
}

/* ---- project / filter -------------------------------------------------------------- */

typedef struct map_op {
	ex_op op;
	ex_op *child;
	int nexprs;
	sem_expr **exprs;
	sem_expr *pred;
} map_op;

static cm_status map_open(ex_op *op, cm_error *err)
{
	return ex_open(((map_op *) op)->child, err);
}

static void map_close(ex_op *op)
{
	ex_close(((map_op *) op)->child);
}

static cm_status project_next(ex_op *op, ex_batch **out, cm_error *err)
{
	map_op *m = (map_op *) op;
	ex_batch *in;
	if (ex_next(m->child, &in, err) != CM_OK)
		return CM_ERROR;
	if (!in)
		return CM_OK;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, in->nrows);
	for (int r = 0; r < in->nrows; r++) {
		const sem_datum *src = ex_row(in, r);
		sem_datum *dst = ex_row(b, r);
		for (int c = 0; c < m->nexprs; c++) {
			const sem_expr *e = m->exprs[c];
			if (e->kind == SEM_EXPR_COLUMN)
				dst[c] = src[e->u.colno];
			else if (sem_eval(&op->ctx, e, src, op->st->params, &dst[c], err) != CM_OK)
				return CM_ERROR;
		}
	}
	b->nrows = in->nrows;
	*out = b;
	return CM_OK;
}

static const ex_op_vt project_vt = {"Project", map_open, project_next, map_close};

ex_op *ex_project_new(ex_state *st, ex_op *child, int nexprs, sem_expr **exprs, const sem_type *types)
{
	map_op *m = cm_new(st->arena, map_op);
	ex_op_init(&m->op, &project_vt, st, nexprs, types);
	m->child = child;
	m->nexprs = nexprs;
	m->exprs = exprs;
	return &m->op;
}

static cm_status filter_next(ex_op *op, ex_batch **out, cm_error *err)
{
	map_op *m = (map_op *) op;
	for (;;) {
		ex_batch *in;
		if (ex_next(m->child, &in, err) != CM_OK)
			return CM_ERROR;
		if (!in)
			return CM_OK;
		/* compact passing rows in place: the child's batch is ours until its next call */
		int k = 0;
		for (int r = 0; r < in->nrows; r++) {
			sem_datum d;
			if (sem_eval(&op->ctx, m->pred, ex_row(in, r), op->st->params, &d, err) != CM_OK)
				return CM_ERROR;
			if (d.isnull || !d.v.b)
				continue;
			if (k != r)
				memcpy(ex_row(in, k), ex_row(in, r), sizeof(sem_datum) * (size_t) in->width);
			k++;
		}
		if (k > 0) {
			in->nrows = k;
			*out = in;
			return CM_OK;
		}
	}
}

static const ex_op_vt filter_vt = {"Filter", map_open, filter_next, map_close};

ex_op *ex_filter_new(ex_state *st, ex_op *child, sem_expr *pred)
{
	map_op *m = cm_new(st->arena, map_op);
	ex_op_init(&m->op, &filter_vt, st, child->ncols, child->types);
	m->child = child;
	m->pred = pred;
	return &m->op;
}

/* ---- limit ------------------------------------------------------------------------ */

typedef struct limit_op {
	ex_op op;
	ex_op *child;
	sem_expr *limit, *offset;
	int64_t skip, left;		/* left -1 = unlimited */
} limit_op;

static cm_status eval_count(ex_op *op, sem_expr *e, bool is_limit, int64_t *out, cm_error *err)
{
	sem_datum d;
	if (sem_eval(&op->ctx, e, NULL, op->st->params, &d, err) != CM_OK)
		return CM_ERROR;
	if (d.isnull) {
		*out = -1;
		return CM_OK;
	}
	if (d.v.i < 0)
		return cm_error_set(err, is_limit ? CM_E_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE
										  : CM_E_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
							"%s must not be negative", is_limit ? "LIMIT" : "OFFSET");
	*out = d.v.i;
	return CM_OK;
}

static cm_status limit_open(ex_op *op, cm_error *err)
{
	limit_op *l = (limit_op *) op;
	l->skip = 0;
	l->left = -1;
	if (l->limit && eval_count(op, l->limit, true, &l->left, err) != CM_OK)
		return CM_ERROR;
	if (l->offset) {
		if (eval_count(op, l->offset, false, &l->skip, err) != CM_OK)
			return CM_ERROR;
		if (l->skip < 0)
			l->skip = 0;
	}
	if (l->left == 0)
		return CM_OK;	/* LIMIT 0 does not run the input */
	return ex_open(l->child, err);
}

static cm_status limit_next(ex_op *op, ex_batch **out, cm_error *err)
{
	limit_op *l = (limit_op *) op;
	while (l->left != 0) {
		ex_batch *in;
		if (ex_next(l->child, &in, err) != CM_OK)
			return CM_ERROR;
		if (!in)
			return CM_OK;
		int start = 0;
		if (l->skip > 0) {
			if (l->skip >= in->nrows) {
				l->skip -= in->nrows;
				continue;
			}
			start = (int) l->skip;
			l->skip = 0;
		}
		int n = in->nrows - start;
		if (l->left >= 0 && n > l->left)
			n = (int) l->left;
		if (l->left > 0)
			l->left -= n;
		if (start > 0)
			memmove(in->rows, ex_row(in, start), sizeof(sem_datum) * (size_t) in->width * (size_t) n);
		in->nrows = n;
		*out = in;
		return CM_OK;
	}
	return CM_OK;
}

static void limit_close(ex_op *op)
{
	ex_close(((limit_op *) op)->child);
}

static const ex_op_vt limit_vt = {"Limit", limit_open, limit_next, limit_close};

ex_op *ex_limit_new(ex_state *st, ex_op *child, sem_expr *limit, sem_expr *offset)
{
	limit_op *l = cm_new(st->arena, limit_op);
	ex_op_init(&l->op, &limit_vt, st, child->ncols, child->types);
	l->child = child;
	l->limit = limit;
	l->offset = offset;
	return &l->op;
}

/* ---- set-returning functions --------------------------------------------------------- */

typedef enum srf_kind { SRF_SERIES_INT, SRF_SERIES_NUM, SRF_SERIES_TS, SRF_UNNEST } srf_kind;

typedef struct srf_run {
	srf_kind kind;
	bool done;
	int64_t cur, stop, step;		/* integer series */
	sem_numeric *ncur, *nstop, *nstep;
	int64_t tcur, tstop;			/* timestamps */
	sem_datum tstep;				/* interval */
	sem_oid tsoid;
	const sem_array *arr;
	int idx;
} srf_run;

typedef struct srf_op {
	ex_op op;
	ex_op *child;
	int nsrf;
	sem_expr **srfs;
	bool ordinality;
	srf_run *runs;
	ex_batch *in;			/* current input batch (child) */
	int inrow;
	bool row_started;
	bool child_done;
	int64_t ord;
	cm_arena *rowarena;		/* argument values of the current input row */
	bool once_done;
} srf_op;

static srf_kind srf_kind_of(const sem_expr *e)
{
	/* [vcat] SEM_FN_SETOF built-ins return their rows as an array: unnest it */
	if (strcmp(e->u.func.fn->name, "unnest") == 0 || (e->u.func.fn->flags & SEM_FN_SETOF))
		return SRF_UNNEST;
	switch (e->type.oid) {
	case SEM_NUMERICOID: return SRF_SERIES_NUM;
	case SEM_TIMESTAMPOID: case SEM_TIMESTAMPTZOID: return SRF_SERIES_TS;
	default: return SRF_SERIES_INT;
	}
}

/* Start function i over row (NULL in FROM without input). */
static cm_status srf_start(srf_op *s, int i, const sem_datum *row, cm_error *err)
{
	const sem_expr *e = s->srfs[i];
	srf_run *r = &s->runs[i];
	memset(r, 0, sizeof *r);
	r->kind = srf_kind_of(e);
	sem_datum a[SEM_FUNC_MAXARGS];	/* [vcat] was 3 */
	sem_ctx ctx = s->op.ctx;
	ctx.arena = s->rowarena;
	for (int k = 0; k < e->u.func.nargs; k++) {
		if (sem_eval(&ctx, e->u.func.args[k], row, s->op.st->params, &a[k], err) != CM_OK)
			return CM_ERROR;
		if (a[k].isnull) {
			r->done = true;	/* strict: no rows */
			return CM_OK;
		}
	}
	switch (r->kind) {
	case SRF_UNNEST:
		if (e->u.func.fn->flags & SEM_FN_SETOF) {	/* [vcat] the function computes the rows */
			sem_datum res;
			if (e->u.func.fn->fn(&ctx, e->u.func.nargs, a, &res, err) != CM_OK)
				return CM_ERROR;
			if (res.isnull) {
				r->done = true;
				break;
			}
			a[0] = res;
		}
		r->arr = a[0].v.arr;
		r->done = r->arr->n == 0;
		break;
	case SRF_SERIES_INT:
		r->cur = a[0].v.i;
		r->stop = a[1].v.i;
		r->step = e->u.func.nargs > 2 ? a[2].v.i : 1;
		if (r->step == 0)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "step size cannot equal zero");
		r->done = r->step > 0 ? r->cur > r->stop : r->cur < r->stop;
		break;
	case SRF_SERIES_NUM: {
		r->ncur = a[0].v.num;
		r->nstop = a[1].v.num;
		r->nstep = e->u.func.nargs > 2 ? a[2].v.num : sem_num_from_int(s->rowarena, 1);
		if (sem_num_is_nan(r->ncur))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "start value cannot be NaN");
		if (sem_num_is_nan(r->nstop))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "stop value cannot be NaN");
		if (sem_num_is_nan(r->nstep))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "step size cannot be NaN");
		if (sem_num_is_inf(r->ncur))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "start value cannot be infinity");
		if (sem_num_is_inf(r->nstop))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "stop value cannot be infinity");
		if (sem_num_is_inf(r->nstep))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "step size cannot be infinity");
		if (sem_num_is_zero(r->nstep))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "step size cannot equal zero");
		int c = sem_num_cmp(r->ncur, r->nstop);
		r->done = r->nstep->neg ? c < 0 : c > 0;
		break;
	}
	case SRF_SERIES_TS: {
		r->tsoid = e->type.oid;
		r->tcur = a[0].v.i;
		r->tstop = a[1].v.i;
		r->tstep = a[2];
		if (a[2].v.iv.time == 0 && a[2].v.iv.day == 0 && a[2].v.iv.month == 0)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "step size cannot equal zero");
		/* direction from the interval's sign as PostgreSQL: compare start+step with start */
		r->done = false;
		break;
	}
	}
	return CM_OK;
}

static bool ts_step_positive(const srf_run *r)
{
	__int128 span = (__int128) r->tstep.v.iv.time + (__int128) r->tstep.v.iv.day * 86400000000LL +
					(__int128) r->tstep.v.iv.month * 30 * 86400000000LL;
	return span > 0;
}

/* Produce the next value of run i into *out; *got false when exhausted. */
static cm_status srf_step(srf_op *s, int i, sem_datum *out, bool *got, cm_error *err)
{
	srf_run *r = &s->runs[i];
	memset(out, 0, sizeof *out);
	*got = false;
	if (r->done)
		return CM_OK;
	switch (r->kind) {
	case SRF_UNNEST:
		*out = r->arr->elems[r->idx++];
		if (r->idx >= r->arr->n)
			r->done = true;
		break;
	case SRF_SERIES_INT: {
		out->v.i = r->cur;
		int64_t nx;
		if (__builtin_add_overflow(r->cur, r->step, &nx) ||
			(s->srfs[i]->type.oid == SEM_INT4OID && (nx > INT32_MAX || nx < INT32_MIN)))
			r->done = true;
		else {
			r->cur = nx;
			r->done = r->step > 0 ? r->cur > r->stop : r->cur < r->stop;
		}
		break;
	}
	case SRF_SERIES_NUM: {
		out->v.num = r->ncur;
		r->ncur = sem_num_add(s->rowarena, r->ncur, r->nstep);
		int c = sem_num_cmp(r->ncur, r->nstop);
		r->done = r->nstep->neg ? c < 0 : c > 0;
		break;
	}
	case SRF_SERIES_TS: {
		bool pos = ts_step_positive(r);
		if (pos ? r->tcur > r->tstop : r->tcur < r->tstop) {
			r->done = true;
			return CM_OK;
		}
		out->v.i = r->tcur;
		/* timestamp + interval through the registry's operator */
		sem_datum args[2];
		memset(args, 0, sizeof args);
		args[0].v.i = r->tcur;
		args[1] = r->tstep;
		sem_datum res;
		memset(&res, 0, sizeof res);
		const sem_builtin *plus = NULL;
		const sem_builtin *all[64];
		size_t na = sem_func_candidates("+", 2, all, 64);
		for (size_t k = 0; k < na && k < 64; k++)
			if (all[k]->args[0] == r->tsoid && all[k]->args[1] == SEM_INTERVALOID)
				plus = all[k];
		if (!plus)
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "no timestamp + interval operator");
		sem_ctx ctx = s->op.ctx;
		ctx.arena = s->rowarena;
		if (plus->fn(&ctx, 2, args, &res, err) != CM_OK)
			return CM_ERROR;
		r->tcur = res.v.i;
		break;
	}
	}
	*got = true;
	return CM_OK;
}

static cm_status srf_open(ex_op *op, cm_error *err)
{
	srf_op *s = (srf_op *) op;
	s->in = NULL;
	s->inrow = 0;
	s->row_started = false;
	s->child_done = false;
	s->once_done = false;
	s->ord = 0;
	cm_arena_reset(s->rowarena);
	if (s->child)
		return ex_open(s->child, err);
	return CM_OK;
}

static cm_status srf_next(ex_op *op, ex_batch **out, cm_error *err)
{
	srf_op *s = (srf_op *) op;
	int inw = s->child ? s->child->ncols : 0;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, EX_BATCH_ROWS);
	while (b->nrows < EX_BATCH_ROWS) {
		if (!s->row_started) {
			const sem_datum *row = NULL;
			if (s->child) {
				if (!s->in || s->inrow >= s->in->nrows) {
					if (s->child_done)
						break;
					/* rows already in b point into the child's current batch */
					if (b->nrows > 0)
						break;
					ex_batch *in;
					if (ex_next(s->child, &in, err) != CM_OK)
						return CM_ERROR;
					if (!in) {
						s->child_done = true;
						break;
					}
					s->in = in;
					s->inrow = 0;
				}
				row = ex_row(s->in, s->inrow);
			} else if (s->once_done)
				break;
			cm_arena_reset(s->rowarena);
			for (int i = 0; i < s->nsrf; i++)
				if (srf_start(s, i, row, err) != CM_OK)
					return CM_ERROR;
			s->row_started = true;
			s->ord = 0;
		}
		sem_datum *dst = ex_row(b, b->nrows);
		bool any = false;
		for (int i = 0; i < s->nsrf; i++) {
			bool got;
			if (srf_step(s, i, &dst[inw + i], &got, err) != CM_OK)
				return CM_ERROR;
			if (got)
				any = true;
			else {
				memset(&dst[inw + i], 0, sizeof(sem_datum));
				dst[inw + i].isnull = true;
			}
		}
		if (!any) {
			s->row_started = false;
			if (s->child)
				s->inrow++;
			else
				s->once_done = true;
			continue;
		}
		if (s->child)
			memcpy(dst, ex_row(s->in, s->inrow), sizeof(sem_datum) * (size_t) inw);
		if (s->ordinality) {
			memset(&dst[inw + s->nsrf], 0, sizeof(sem_datum));
			dst[inw + s->nsrf].v.i = ++s->ord;
		}
		/* values point into rowarena, which is reset per input row: copy to scratch */
		for (int i = 0; i < s->nsrf; i++)
			ex_datum_copy(op->scratch, op->types[inw + i].oid, &dst[inw + i], &dst[inw + i]);
		b->nrows++;
	}
	if (b->nrows == 0)
		return CM_OK;
	*out = b;
	return CM_OK;
}

static void srf_close(ex_op *op)
{
	srf_op *s = (srf_op *) op;
	if (s->child)
		ex_close(s->child);
}

static const ex_op_vt srf_vt = {"Function Scan", srf_open, srf_next, srf_close};
static const ex_op_vt projset_vt = {"ProjectSet", srf_open, srf_next, srf_close};

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

ex_op *ex_srf_new(ex_state *st, ex_op *child, int nsrf, sem_expr **srfs, const sem_type *types, bool ordinality)
{
	srf_op *s = cm_new(st->arena, srf_op);
	int ncols = (child ? child->ncols : 0) + nsrf + (ordinality ? 1 : 0);
	ex_op_init(&s->op, child ? &projset_vt : &srf_vt, st, ncols, types);
	s->child = child;
	s->nsrf = nsrf;
	s->srfs = srfs;
	s->ordinality = ordinality;
	s->runs = cm_new_array(st->arena, srf_run, nsrf);
	s->rowarena = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, s->rowarena);
	return &s->op;
}
