/*
 * ex_window.c -- window functions over input sorted by (PARTITION BY,
 * ORDER BY).
 *
 * The operator materialises its input (work_mem-charged), evaluating the
 * partition and order keys once per row, then walks each partition:
 * ranking functions from peer groups, lag/lead/first_value/last_value/
 * nth_value by position, aggregates over the frame.  Frames: the default
 * RANGE UNBOUNDED PRECEDING .. CURRENT ROW (peers included; the whole
 * partition without ORDER BY) and ROWS / RANGE frames with UNBOUNDED /
 * CURRENT ROW bounds and ROWS n PRECEDING / FOLLOWING.  A frame starting at
 * UNBOUNDED PRECEDING is aggregated incrementally; other frames are
 * re-aggregated per row.
 */
#include <string.h>

#include "sql/exec/ex_internal.h"

typedef struct win_op {
	ex_op op;
	ex_op *child;
	int npart, norder, nfuncs;
	sem_expr **part;
	ex_sortkey *order;
	ex_windesc *funcs;
	ex_rowstore rs;			/* [cols..., pkeys..., okeys..., results...] */
	int cw;					/* child width */
	int64_t pos;
	cm_arena *tmp;
} win_op;

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

static bool same_keys(const sem_datum *a, const sem_datum *b, int n, sem_expr **exprs, const ex_sortkey *keys)
{
	for (int i = 0; i < n; i++) {
		sem_oid t = exprs ? exprs[i]->type.oid : keys[i].expr->type.oid;
		if (!ex_datum_eq(t, &a[i], &b[i]))
			return false;
	}
	return true;
}

static cm_status eval_offset(win_op *w, sem_expr *e, const sem_datum *row, int64_t *out, cm_error *err)
{
	sem_datum d;
	if (sem_eval(&w->op.ctx, e, row, w->op.st->params, &d, err) != CM_OK)
		return CM_ERROR;
	if (d.isnull)
		return cm_error_set(err, CM_E_NULL_VALUE_NOT_ALLOWED, "frame starting offset must not be null");
	if (d.v.i < 0)
		return cm_error_set(err, CM_E_INVALID_PRECEDING_OR_FOLLOWING_SIZE, "frame starting offset must not be negative");
	*out = d.v.i;
	return CM_OK;
}

/* Compute the results of function f for rows [ps, pe) of one partition. */
static cm_status compute(win_op *w, int f, int64_t ps, int64_t pe, cm_error *err)
{
	ex_windesc *wd = &w->funcs[f];
	ex_aggdesc *ad = &wd->agg;
	int pk = w->cw, ok = w->cw + w->npart, rk = w->cw + w->npart + w->norder + f;
	sem_datum **rows = w->rs.rows;
	sem_ctx ctx = w->op.ctx;
	ctx.arena = w->rs.arena;
	(void) pk;
	/* peer group boundaries */
	int64_t peer_start = ps, peer_end = ps, rank = 0, dense = 0;
	ex_aggstate st;
	ex_aggstate_reset(ad, &st);
	int64_t agg_end = ps;	/* rows [ps, agg_end) accumulated (incremental mode) */
	for (int64_t i = ps; i < pe; i++) {
		if (i >= peer_end) {
			peer_start = i;
			peer_end = i + 1;
			while (peer_end < pe && (w->norder == 0 || same_keys(rows[peer_end] + ok, rows[i] + ok, w->norder, NULL, w->order)))
				peer_end++;
			rank = i - ps + 1;
			dense++;
		}
		sem_datum *res = &rows[i][rk];
		memset(res, 0, sizeof *res);
		const sem_datum *params = w->op.st->params;
		switch (ad->kind) {
		case EX_WIN_ROW_NUMBER:
			res->v.i = i - ps + 1;
			continue;
		case EX_WIN_RANK:
			res->v.i = rank;
			continue;
		case EX_WIN_DENSE_RANK:
			res->v.i = dense;
			continue;
		case EX_WIN_PERCENT_RANK:
			res->v.f = pe - ps > 1 ? (double) (rank - 1) / (double) (pe - ps - 1) : 0;
			continue;
		case EX_WIN_CUME_DIST:
			res->v.f = (double) (peer_end - ps) / (double) (pe - ps);
			continue;
		case EX_WIN_NTILE: {
			sem_datum nb;
			if (sem_eval(&ctx, ad->args[0], rows[i], params, &nb, err) != CM_OK)
				return CM_ERROR;
			if (nb.isnull) {
				res->isnull = true;
				continue;
			}
			if (nb.v.i <= 0)
				return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_NTILE_FUNCTION, "argument of ntile must be greater than zero");
			int64_t n = pe - ps, b = nb.v.i, idx = i - ps;
			int64_t per = n / b, extra = n % b;
			/* the first `extra` buckets have per+1 rows */
			int64_t big = extra * (per + 1);
			res->v.i = idx < big ? idx / (per + 1) + 1 : extra + (per ? (idx - big) / per : 0) + 1;
			continue;
		}
		case EX_WIN_LAG:
		case EX_WIN_LEAD: {
			int64_t off = 1;
			if (ad->nargs > 1) {
				sem_datum o;
				if (sem_eval(&ctx, ad->args[1], rows[i], params, &o, err) != CM_OK)
					return CM_ERROR;
				if (o.isnull) {
					res->isnull = true;
					continue;
				}
				off = o.v.i;
			}
			int64_t t = ad->kind == EX_WIN_LAG ? i - off : i + off;
			if (t >= ps && t < pe) {
				if (sem_eval(&ctx, ad->args[0], rows[t], params, res, err) != CM_OK)
					return CM_ERROR;
			} else if (ad->nargs > 2) {
				if (sem_eval(&ctx, ad->args[2], rows[i], params, res, err) != CM_OK)
					return CM_ERROR;
			} else
				res->isnull = true;
			continue;
		}
		default:
			break;
		}
		/* frame-based functions */
		int64_t fs, fe;	/* [fs, fe) */
		ex_winframe *fr = &wd->frame;
		switch (fr->start) {
		case EX_FB_UNBOUNDED_PRECEDING: fs = ps; break;
		case EX_FB_CURRENT: fs = fr->rows ? i : peer_start; break;
		case EX_FB_PRECEDING: {
			int64_t o;
			if (eval_offset(w, fr->start_off, rows[i], &o, err) != CM_OK)
				return CM_ERROR;
			fs = i - o < ps ? ps : i - o;
			break;
		}
		case EX_FB_FOLLOWING: {
			int64_t o;
			if (eval_offset(w, fr->start_off, rows[i], &o, err) != CM_OK)
				return CM_ERROR;
			fs = i + o > pe ? pe : i + o;
			break;
		}
		default: fs = pe; break;
		}
		switch (fr->end) {
		case EX_FB_UNBOUNDED_FOLLOWING: fe = pe; break;
		case EX_FB_CURRENT: fe = fr->rows ? i + 1 : peer_end; break;
		case EX_FB_PRECEDING: {
			int64_t o;
			if (eval_offset(w, fr->end_off, rows[i], &o, err) != CM_OK)
				return CM_ERROR;
			fe = i - o + 1 < ps ? ps : i - o + 1;
			break;
		}
		case EX_FB_FOLLOWING: {
			int64_t o;
			if (eval_offset(w, fr->end_off, rows[i], &o, err) != CM_OK)
				return CM_ERROR;
			fe = i + o + 1 > pe ? pe : i + o + 1;
			break;
		}
		default: fe = ps; break;
		}
		if (fe < fs)
			fe = fs;
		switch (ad->kind) {
		case EX_WIN_FIRST_VALUE:
		case EX_WIN_LAST_VALUE:
		case EX_WIN_NTH_VALUE: {
			int64_t t;
			if (ad->kind == EX_WIN_FIRST_VALUE)
				t = fs;
			else if (ad->kind == EX_WIN_LAST_VALUE)
				t = fe - 1;
			else {
				sem_datum nv;
				if (sem_eval(&ctx, ad->args[1], rows[i], params, &nv, err) != CM_OK)
					return CM_ERROR;
				if (nv.isnull) {
					res->isnull = true;
					continue;
				}
				if (nv.v.i <= 0)
					return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_NTH_VALUE_FUNCTION, "argument of nth_value must be greater than zero");
				t = fs + nv.v.i - 1;
			}
			if (t >= fs && t < fe) {
				if (sem_eval(&ctx, ad->args[0], rows[t], params, res, err) != CM_OK)
					return CM_ERROR;
			} else
				res->isnull = true;
			continue;
		}
		default:
			break;
		}
		if (fr->start == EX_FB_UNBOUNDED_PRECEDING) {
			if (fe < agg_end) {
				ex_aggstate_reset(ad, &st);
				agg_end = ps;
			}
			while (agg_end < fe) {
				if (ex_agg_advance(&ctx, w->rs.arena, ad, &st, rows[agg_end], &w->rs.mem, err) != CM_OK)
					return CM_ERROR;
				agg_end++;
			}
			if (ex_agg_final(&ctx, ad, &st, res, err) != CM_OK)
				return CM_ERROR;
		} else {
			ex_aggstate s2;
			ex_aggstate_reset(ad, &s2);
			cm_arena_reset(w->tmp);
			sem_ctx c2 = ctx;
			c2.arena = w->tmp;
			for (int64_t k = fs; k < fe; k++)
				if (ex_agg_advance(&c2, w->tmp, ad, &s2, rows[k], NULL, err) != CM_OK)
					return CM_ERROR;
			sem_datum r;
			if (ex_agg_final(&c2, ad, &s2, &r, err) != CM_OK)
				return CM_ERROR;
			ex_datum_copy(w->rs.arena, ad->result.oid, &r, res);
		}
	}
	return CM_OK;
}

static cm_status win_open(ex_op *op, cm_error *err)
{
	win_op *w = (win_op *) op;
	ex_rowstore_reset(&w->rs);
	w->pos = 0;
	if (ex_open(w->child, err) != CM_OK)
		return CM_ERROR;
	int extra = w->npart + w->norder + w->nfuncs;
	for (;;) {
		ex_batch *b;
		if (ex_next(w->child, &b, err) != CM_OK)
			return CM_ERROR;
		if (!b)
			break;
		for (int r = 0; r < b->nrows; r++) {
			sem_datum *row = ex_row(b, r), *stored;
			if (ex_rowstore_add(&w->rs, row, extra, &stored, err) != CM_OK)
				return CM_ERROR;
			for (int k = 0; k < w->npart; k++) {
				sem_datum v;
				if (sem_eval(&w->child->ctx, w->part[k], row, op->st->params, &v, err) != CM_OK)
					return CM_ERROR;
				ex_datum_copy(w->rs.arena, w->part[k]->type.oid, &v, &stored[w->cw + k]);
			}
			for (int k = 0; k < w->norder; k++) {
				sem_datum v;
				if (sem_eval(&w->child->ctx, w->order[k].expr, row, op->st->params, &v, err) != CM_OK)
					return CM_ERROR;
				ex_datum_copy(w->rs.arena, w->order[k].expr->type.oid, &v, &stored[w->cw + w->npart + k]);
			}
		}
	}
	ex_close(w->child);
	int64_t ps = 0;
	while (ps < w->rs.n) {
		int64_t pe = ps + 1;
		while (pe < w->rs.n && same_keys(w->rs.rows[pe] + w->cw, w->rs.rows[ps] + w->cw, w->npart, w->part, NULL))
			pe++;
		for (int f = 0; f < w->nfuncs; f++)
			if (compute(w, f, ps, pe, err) != CM_OK)
				return CM_ERROR;
		if (ex_check_cancel(op->st, err) != CM_OK)
			return CM_ERROR;
		ps = pe;
	}
	return CM_OK;
}

static cm_status win_next(ex_op *op, ex_batch **out, cm_error *err)
{
	win_op *w = (win_op *) op;
	if (w->pos >= w->rs.n)
		return CM_OK;
	int64_t n = w->rs.n - w->pos;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, (int) n);
	int rk = w->cw + w->npart + w->norder;
	for (int64_t i = 0; i < n; i++) {
		sem_datum *src = w->rs.rows[w->pos + i], *dst = ex_row(b, (int) i);
		memcpy(dst, src, sizeof(sem_datum) * (size_t) w->cw);
		memcpy(dst + w->cw, src + rk, sizeof(sem_datum) * (size_t) w->nfuncs);
	}
	b->nrows = (int) n;
	w->pos += n;
	*out = b;
	return CM_OK;
}

static void win_close(ex_op *op)
{
	win_op *w = (win_op *) op;
	ex_close(w->child);
	ex_rowstore_reset(&w->rs);
}

static const ex_op_vt win_vt = {"WindowAgg", win_open, win_next, win_close};

ex_op *ex_window_new(ex_state *st, ex_op *child, int npart, sem_expr **part, int norder, ex_sortkey *order,
					 int nfuncs, ex_windesc *funcs, const sem_type *types)
{
	win_op *w = cm_new(st->arena, win_op);
	ex_op_init(&w->op, &win_vt, st, child->ncols + nfuncs, types);
	w->child = child;
	w->npart = npart;
	w->part = part;
	w->norder = norder;
	w->order = order;
	w->nfuncs = nfuncs;
	w->funcs = funcs;
	w->cw = child->ncols;
	ex_rowstore_init(&w->rs, st, child->ncols, child->types, "window");
	w->tmp = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, w->tmp);
	return &w->op;
}
