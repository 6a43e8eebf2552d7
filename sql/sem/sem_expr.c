/*
 * sem_expr.c -- constructors and the tree-walking evaluator for sem_expr.
 *
 * Three-valued logic follows PostgreSQL: AND is false if any input is
 * false, else NULL if any is NULL; OR symmetric; strict built-ins return
 * NULL without being called when an input is NULL.  See sem_expr.h.
 */
#include "sql/sem/sem_expr.h"

#include <string.h>

#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"

typedef struct eval_state {
	sem_ctx *ctx;
	const sem_datum *row;
	const sem_datum *params;
	const sem_datum *casetest;
} eval_state;

static cm_status eval(eval_state *st, const sem_expr *e, sem_datum *out, cm_error *err);

sem_expr *sem_expr_new(cm_arena *a, sem_expr_kind kind, sem_type type, int location)
{
	sem_expr *e = cm_new(a, sem_expr);
	e->kind = kind;
	e->type = type;
	e->location = location;
	return e;
}

sem_expr *sem_expr_const(cm_arena *a, sem_type type, const sem_datum *v, int location)
{
	sem_expr *e = sem_expr_new(a, SEM_EXPR_CONST, type, location);
	e->u.constval = *v;
	return e;
}

sem_expr *sem_expr_null(cm_arena *a, sem_type type, int location)
{
	sem_datum d;
	memset(&d, 0, sizeof d);
	d.isnull = true;
	return sem_expr_const(a, type, &d, location);
}

sem_expr *sem_expr_param(cm_arena *a, int paramno, sem_type type, int location)
{
	sem_expr *e = sem_expr_new(a, SEM_EXPR_PARAM, type, location);
	e->u.paramno = paramno;
	return e;
}

sem_expr *sem_expr_column(cm_arena *a, int colno, sem_type type, int location)
{
	sem_expr *e = sem_expr_new(a, SEM_EXPR_COLUMN, type, location);
	e->u.colno = colno;
	return e;
}

sem_expr *sem_expr_func(cm_arena *a, const sem_builtin *fn, int nargs, sem_expr **args, int location)
{
	sem_expr *e = sem_expr_new(a, SEM_EXPR_FUNC, (sem_type){fn->result, -1}, location);
	e->u.func.fn = fn;
	e->u.func.nargs = nargs;
	e->u.func.args = args;
	return e;
}

static bool all_const(sem_expr **v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] && !sem_expr_is_const(v[i]))
			return false;
	return true;
}

bool sem_expr_is_const(const sem_expr *e)
{
	switch (e->kind) {
	case SEM_EXPR_CONST:
		return true;
	case SEM_EXPR_PARAM:
	case SEM_EXPR_COLUMN:
	case SEM_EXPR_CASETEST:
		return false;
	case SEM_EXPR_FUNC:
		if (e->u.func.fn->flags & (SEM_FN_VOLATILE | SEM_FN_STABLE))
			return false;
		return all_const(e->u.func.args, e->u.func.nargs);
	case SEM_EXPR_CAST:
		return sem_expr_is_const(e->u.cast.arg);
	case SEM_EXPR_OUTTEXT:
	case SEM_EXPR_NOT:
		return sem_expr_is_const(e->u.arg1);
	case SEM_EXPR_AND:
	case SEM_EXPR_OR:
	case SEM_EXPR_COALESCE:
		return all_const(e->u.list.items, e->u.list.n);
	case SEM_EXPR_NULLTEST:
	case SEM_EXPR_BOOLTEST:
		return sem_expr_is_const(e->u.test.arg);
	case SEM_EXPR_CASE:
		return false;
	case SEM_EXPR_MINMAX:
		return all_const(e->u.minmax.items, e->u.minmax.n);
	case SEM_EXPR_NULLIF:
	case SEM_EXPR_DISTINCT:
		return sem_expr_is_const(e->u.cmp.a) && sem_expr_is_const(e->u.cmp.b);
	case SEM_EXPR_IN:
		return sem_expr_is_const(e->u.in.lhs) && all_const(e->u.in.items, e->u.in.n);
	case SEM_EXPR_EXTERN:
		return e->u.ext.fn && !e->u.ext.volatile_ && all_const(e->u.ext.args, e->u.ext.nargs);
	}
	return false;
}

static void set_null(sem_datum *out)
{
	memset(out, 0, sizeof *out);
	out->isnull = true;
}

static void set_bool(sem_datum *out, bool b)
{
	memset(out, 0, sizeof *out);
	out->v.b = b;
}

static cm_status call_fn(eval_state *st, const sem_builtin *fn, int nargs, sem_expr **args, sem_datum *out,
						 cm_error *err)
{
	sem_datum stackv[8];
	sem_datum *v = nargs <= 8 ? stackv : cm_alloc(st->ctx->arena, sizeof(sem_datum) * (size_t) nargs);
	for (int i = 0; i < nargs; i++) {
		if (eval(st, args[i], &v[i], err) != CM_OK)
			return CM_ERROR;
		if (v[i].isnull && (fn->flags & SEM_FN_STRICT)) {
			set_null(out);
			return CM_OK;
		}
	}
	memset(out, 0, sizeof *out);
	return fn->fn(st->ctx, nargs, v, out, err);
}

/* eq operator applied to two evaluated values: *res = -1 NULL, 0 false, 1 true */
static cm_status apply_eq(eval_state *st, const sem_builtin *eq, const sem_datum *a, const sem_datum *b, int *res,
						  cm_error *err)
{
	if (a->isnull || b->isnull) {
		*res = -1;
		return CM_OK;
	}
	sem_datum args[2] = {*a, *b}, r;
	memset(&r, 0, sizeof r);
	if (eq->fn(st->ctx, 2, args, &r, err) != CM_OK)
		return CM_ERROR;
	*res = r.isnull ? -1 : r.v.b ? 1 : 0;
	return CM_OK;
}

static cm_status eval(eval_state *st, const sem_expr *e, sem_datum *out, cm_error *err)
{
	switch (e->kind) {
	case SEM_EXPR_CONST:
		*out = e->u.constval;
		return CM_OK;
	case SEM_EXPR_PARAM:
		if (!st->params) {
			return cm_error_set(err, CM_E_UNDEFINED_PARAMETER, "there is no parameter $%d", e->u.paramno);
		}
		*out = st->params[e->u.paramno - 1];
		return CM_OK;
	case SEM_EXPR_COLUMN:
		if (!st->row)
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "column reference without a row");
		*out = st->row[e->u.colno];
		return CM_OK;
	case SEM_EXPR_CASETEST:
		if (!st->casetest)
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "CASE operand outside CASE");
		*out = *st->casetest;
		return CM_OK;
	case SEM_EXPR_FUNC:
		return call_fn(st, e->u.func.fn, e->u.func.nargs, e->u.func.args, out, err);
	case SEM_EXPR_CAST: {
		sem_datum in;
		if (eval(st, e->u.cast.arg, &in, err) != CM_OK)
			return CM_ERROR;
		return sem_cast_exec(st->ctx, &e->u.cast.path, e->u.cast.arg->type.oid, e->type.oid, e->type.typmod,
							 e->u.cast.is_explicit, &in, out, err);
	}
	case SEM_EXPR_OUTTEXT: {
		sem_datum in;
		if (eval(st, e->u.arg1, &in, err) != CM_OK)
			return CM_ERROR;
		if (in.isnull) {
			set_null(out);
			return CM_OK;
		}
		char *s = sem_out_cstring(st->ctx, e->u.arg1->type, &in);
		memset(out, 0, sizeof *out);
		out->v.s.p = s;
		out->v.s.len = (uint32_t) strlen(s);
		return CM_OK;
	}
	case SEM_EXPR_AND:
	case SEM_EXPR_OR: {
		bool is_and = e->kind == SEM_EXPR_AND;
		bool anynull = false;
		for (int i = 0; i < e->u.list.n; i++) {
			sem_datum v;
			if (eval(st, e->u.list.items[i], &v, err) != CM_OK)
				return CM_ERROR;
			if (v.isnull)
				anynull = true;
			else if (v.v.b != is_and) {
				set_bool(out, !is_and);
				return CM_OK;
			}
		}
		if (anynull)
			set_null(out);
		else
			set_bool(out, is_and);
		return CM_OK;
	}
	case SEM_EXPR_NOT: {
		sem_datum v;
		if (eval(st, e->u.arg1, &v, err) != CM_OK)
			return CM_ERROR;
		if (v.isnull)
			set_null(out);
		else
			set_bool(out, !v.v.b);
		return CM_OK;
	}
	case SEM_EXPR_NULLTEST: {
		sem_datum v;
		if (eval(st, e->u.test.arg, &v, err) != CM_OK)
			return CM_ERROR;
		set_bool(out, e->u.test.op == 0 ? v.isnull : !v.isnull);
		return CM_OK;
	}
	case SEM_EXPR_BOOLTEST: {
		sem_datum v;
		if (eval(st, e->u.test.arg, &v, err) != CM_OK)
			return CM_ERROR;
		bool r = false;
		switch ((sem_booltest) e->u.test.op) {
		case SEM_IS_TRUE: r = !v.isnull && v.v.b; break;
		case SEM_IS_NOT_TRUE: r = v.isnull || !v.v.b; break;
		case SEM_IS_FALSE: r = !v.isnull && !v.v.b; break;
		case SEM_IS_NOT_FALSE: r = v.isnull || v.v.b; break;
		case SEM_IS_UNKNOWN: r = v.isnull; break;
		case SEM_IS_NOT_UNKNOWN: r = !v.isnull; break;
		}
		set_bool(out, r);
		return CM_OK;
	}
	case SEM_EXPR_CASE: {
		sem_datum operand;
		const sem_datum *saved = st->casetest;
		if (e->u.case_.operand) {
			if (eval(st, e->u.case_.operand, &operand, err) != CM_OK)
				return CM_ERROR;
			st->casetest = &operand;
		}
		for (int i = 0; i < e->u.case_.nwhen; i++) {
			sem_datum c;
			if (eval(st, e->u.case_.conds[i], &c, err) != CM_OK) {
				st->casetest = saved;
				return CM_ERROR;
			}
			if (!c.isnull && c.v.b) {
				st->casetest = saved;
				return eval(st, e->u.case_.results[i], out, err);
			}
		}
		st->casetest = saved;
		return eval(st, e->u.case_.defresult, out, err);
	}
	case SEM_EXPR_COALESCE:
		for (int i = 0; i < e->u.list.n; i++) {
			if (eval(st, e->u.list.items[i], out, err) != CM_OK)
				return CM_ERROR;
			if (!out->isnull)
				return CM_OK;
		}
		set_null(out);
		return CM_OK;
	case SEM_EXPR_MINMAX: {
		bool have = false;
		sem_datum best;
		set_null(&best);
		for (int i = 0; i < e->u.minmax.n; i++) {
			sem_datum v;
			if (eval(st, e->u.minmax.items[i], &v, err) != CM_OK)
				return CM_ERROR;
			if (v.isnull)
				continue;
			if (!have) {
				best = v;
				have = true;
				continue;
			}
			int c = sem_datum_compare(e->type.oid, &v, &best);
			if (e->u.minmax.greatest ? c > 0 : c < 0)
				best = v;
		}
		*out = best;
		return CM_OK;
	}
	case SEM_EXPR_NULLIF: {
		sem_datum a, b;
		if (eval(st, e->u.cmp.a, &a, err) != CM_OK || eval(st, e->u.cmp.b, &b, err) != CM_OK)
			return CM_ERROR;
		int r;
		if (apply_eq(st, e->u.cmp.eq, &a, &b, &r, err) != CM_OK)
			return CM_ERROR;
		if (r == 1)
			set_null(out);
		else
			*out = a;
		return CM_OK;
	}
	case SEM_EXPR_DISTINCT: {
		sem_datum a, b;
		if (eval(st, e->u.cmp.a, &a, err) != CM_OK || eval(st, e->u.cmp.b, &b, err) != CM_OK)
			return CM_ERROR;
		bool distinct;
		if (a.isnull || b.isnull)
			distinct = a.isnull != b.isnull;
		else {
			int r;
			if (apply_eq(st, e->u.cmp.eq, &a, &b, &r, err) != CM_OK)
				return CM_ERROR;
			distinct = r != 1;
		}
		set_bool(out, e->u.cmp.negate ? !distinct : distinct);
		return CM_OK;
	}
	case SEM_EXPR_IN: {
		sem_datum l;
		if (eval(st, e->u.in.lhs, &l, err) != CM_OK)
			return CM_ERROR;
		if (l.isnull) {
			set_null(out);
			return CM_OK;
		}
		bool anynull = false;
		for (int i = 0; i < e->u.in.n; i++) {
			sem_datum v;
			if (eval(st, e->u.in.items[i], &v, err) != CM_OK)
				return CM_ERROR;
			int r;
			if (apply_eq(st, e->u.in.eq, &l, &v, &r, err) != CM_OK)
				return CM_ERROR;
			if (r == 1) {
				set_bool(out, !e->u.in.negate);
				return CM_OK;
			}
			if (r < 0)
				anynull = true;
			if ((i & 1023) == 1023 && st->ctx->cancel && *st->ctx->cancel)
				return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
		}
		if (anynull)
			set_null(out);
		else
			set_bool(out, e->u.in.negate);
		return CM_OK;
	}
	case SEM_EXPR_EXTERN: {
		if (!e->u.ext.fn)
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "unplanned placeholder expression");
		int n = e->u.ext.nargs;
		sem_datum stackv[8];
		sem_datum *v = n <= 8 ? stackv : cm_alloc(st->ctx->arena, sizeof(sem_datum) * (size_t) n);
		for (int i = 0; i < n; i++)
			if (eval(st, e->u.ext.args[i], &v[i], err) != CM_OK)
				return CM_ERROR;
		memset(out, 0, sizeof *out);
		return e->u.ext.fn(st->ctx, e, v, out, err);
	}
	}
	return cm_error_set(err, CM_E_INTERNAL_ERROR, "unrecognized expression node %d", (int) e->kind);
}

cm_status sem_eval(sem_ctx *ctx, const sem_expr *e, const sem_datum *row, const sem_datum *params,
				   sem_datum *out, cm_error *err)
{
	eval_state st = {ctx, row, params, NULL};
	return eval(&st, e, out, err);
}
