/*
 * pl_bind.c -- the expression binder: libpg_query nodes -> typed sem_expr.
 *
 * Mirrors PostgreSQL 15's parse analysis (parse_expr.c, parse_oper.c,
 * parse_func.c, parse_coerce.c) for the node kinds pgkv supports:
 *   - literals: integers int4/int8/numeric, decimals numeric, strings of
 *     type unknown that become a concrete type when context coerces them
 *     (the conversion runs now, so bad input errors point at the literal);
 *   - $n parameters: an unspecified type is inferred from the first
 *     coercion applied to it (variable_coerce_param_hook);
 *   - operators and functions: resolved against the sem_func registry with
 *     func_select_candidate()'s heuristics;
 *   - CASE/COALESCE/GREATEST/LEAST/IN/VALUES use select_common_type().
 * Nothing is constant-folded except literal coercions, so run-time errors
 * (1/0) surface at execution as in PostgreSQL.
 *
 * Exported (plan.h): pl_bind_expr, pl_figure_colname; internal
 * (pl_internal.h): pl_binder and helpers shared with pl_select.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/plan/pl_internal.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

#define MAX_CANDIDATES 256

static cm_status bind(pl_binder *b, const PgQuery__Node *n, sem_expr **out, cm_error *err);

static cm_status at(cm_error *err, int location)
{
	if (location >= 0 && err->position == 0)
		cm_error_position(err, location + 1);
	return CM_ERROR;
}

static const char *tname(sem_oid oid)
{
	return sem_type_name(oid);
}

static const char *node_str(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	return NULL;
}

/* ---- parameters --------------------------------------------------------------- */

static cm_status param_set_type(pl_binder *b, int paramno, sem_oid type, cm_error *err, int location)
{
	sem_oid cur = b->env->params[paramno - 1];
	if (cur == 0 || cur == SEM_UNKNOWNOID) {
		b->env->params[paramno - 1] = type;
		return CM_OK;
	}
	if (cur != type) {
		cm_error_set(err, CM_E_AMBIGUOUS_PARAMETER, "inconsistent types deduced for parameter $%d", paramno);
		cm_error_detail(err, "%s versus %s", tname(cur), tname(type));
		return at(err, location);
	}
	return CM_OK;
}

/* ---- coercion ----------------------------------------------------------------- */

static bool is_pseudo_any(sem_oid t)
{
	return t == SEM_ANYOID || t == SEM_ANYELEMENTOID || t == SEM_ANYNONARRAYOID || t == SEM_ANYARRAYOID;
}

cm_status pl_coerce(pl_binder *b, sem_expr **pe, sem_oid target, int32_t typmod, sem_coerce_context cctx,
					bool is_explicit, cm_error *err)
{
	sem_expr *e = *pe;
	if (is_pseudo_any(target))
		return CM_OK;
	if (e->type.oid == target) {
		if (typmod >= 0 && typmod != e->type.typmod) {
			if (e->kind == SEM_EXPR_CONST) {
				sem_datum d;
				if (sem_coerce_typmod(b->ctx, target, typmod, is_explicit, &e->u.constval, &d, err) != CM_OK)
					return CM_ERROR;
				*pe = sem_expr_const(b->arena, (sem_type){target, typmod}, &d, e->location);
				return CM_OK;
			}
			sem_expr *c = sem_expr_new(b->arena, SEM_EXPR_CAST, (sem_type){target, typmod}, e->location);
			c->u.cast.arg = e;
			c->u.cast.path.method = SEM_CAST_SAME;
			c->u.cast.path.context = 'i';
			c->u.cast.is_explicit = is_explicit;
			*pe = c;
		}
		return CM_OK;
	}
	if (e->kind == SEM_EXPR_CONST && e->type.oid == SEM_UNKNOWNOID) {
		sem_datum d;
		if (e->u.constval.isnull) {
			*pe = sem_expr_null(b->arena, (sem_type){target, typmod}, e->location);
			return CM_OK;
		}
		int32_t intm = target == SEM_INTERVALOID ? typmod : -1;
		if (sem_in_text(b->ctx, (sem_type){target, intm}, e->u.constval.v.s.p, e->u.constval.v.s.len, &d, err) !=
			CM_OK)
			return at(err, e->location);
		if (typmod >= 0 && target != SEM_INTERVALOID) {
			sem_datum d2;
			if (sem_coerce_typmod(b->ctx, target, typmod, is_explicit, &d, &d2, err) != CM_OK)
				return at(err, e->location);
			d = d2;
		}
		*pe = sem_expr_const(b->arena, (sem_type){target, typmod}, &d, e->location);
		return CM_OK;
	}
	if (e->kind == SEM_EXPR_PARAM && e->type.oid == SEM_UNKNOWNOID) {
		if (param_set_type(b, e->u.paramno, target, err, e->location) != CM_OK)
			return CM_ERROR;
		e->type = (sem_type){target, -1};
		if (typmod >= 0)
			return pl_coerce(b, pe, target, typmod, cctx, is_explicit, err);
		return CM_OK;
	}
	sem_array_castinfo aci;
	if (sem_array_cast_find(e->type.oid, target, cctx, &aci)) {
		sem_array_castinfo *ci = cm_memdup(b->arena, &aci, sizeof aci);
		sem_expr *c = sem_expr_new(b->arena, SEM_EXPR_EXTERN, (sem_type){target, -1}, e->location);
		c->u.ext.fn = sem_array_coerce_fn;
		c->u.ext.arg = ci;
		c->u.ext.nargs = 1;
		c->u.ext.args = cm_new_array(b->arena, sem_expr *, 1);
		c->u.ext.args[0] = e;
		*pe = c;
		return CM_OK;
	}
	sem_cast_path path;
	if (!sem_cast_find(e->type.oid, target, cctx, &path)) {
		cm_error_set(err, CM_E_CANNOT_COERCE, "cannot cast type %s to %s", tname(e->type.oid), tname(target));
		return at(err, e->location);
	}
	sem_expr *c = sem_expr_new(b->arena, SEM_EXPR_CAST, (sem_type){target, typmod}, e->location);
	c->u.cast.arg = e;
	c->u.cast.path = path;
	c->u.cast.is_explicit = is_explicit;
	*pe = c;
	return CM_OK;
}

cm_status pl_coerce_bool(pl_binder *b, sem_expr **pe, const char *construct, cm_error *err)
{
	sem_expr *e = *pe;
	if (e->type.oid == SEM_BOOLOID)
		return CM_OK;
	if (!sem_can_coerce(e->type.oid, SEM_BOOLOID, SEM_COERCE_IMPLICIT)) {
		cm_error_set(err, CM_E_DATATYPE_MISMATCH, "argument of %s must be type %s, not type %s", construct,
					 "boolean", tname(e->type.oid));
		return at(err, e->location);
	}
	return pl_coerce(b, pe, SEM_BOOLOID, -1, SEM_COERCE_IMPLICIT, false, err);
}

/* PostgreSQL's select_common_type(); *out receives the type. */
cm_status pl_common_type(pl_binder *b, sem_expr **v, int n, const char *context, sem_type *out, cm_error *err)
{
	sem_oid ptype = 0;
	char pcat = 0;
	bool ppref = false;
	int32_t tm = -2;
	for (int i = 0; i < n; i++) {
		sem_oid t = v[i]->type.oid;
		if (t == SEM_UNKNOWNOID)
			continue;
		if (ptype == 0) {
			ptype = t;
			pcat = sem_type_category(t);
			ppref = sem_type_is_preferred(t);
			continue;
		}
		if (t == ptype)
			continue;
		char ncat = sem_type_category(t);
		if (ncat != pcat) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "%s types %s and %s cannot be matched", context, tname(ptype),
						 tname(t));
			return at(err, v[i]->location);
		}
		if (!ppref && sem_can_coerce(ptype, t, SEM_COERCE_IMPLICIT) && !sem_can_coerce(t, ptype, SEM_COERCE_IMPLICIT)) {
			ptype = t;
			ppref = sem_type_is_preferred(t);
		}
	}
	if (ptype == 0)
		ptype = SEM_TEXTOID;
	/* common typmod: kept only if every input of the chosen type agrees */
	for (int i = 0; i < n; i++) {
		if (v[i]->type.oid != ptype) {
			tm = -1;
			break;
		}
		if (tm == -2)
			tm = v[i]->type.typmod;
		else if (tm != v[i]->type.typmod)
			tm = -1;
	}
	out->oid = ptype;
	out->typmod = tm == -2 ? -1 : tm;
	return CM_OK;
}

cm_status pl_coerce_common(pl_binder *b, sem_expr **v, int n, sem_type t, const char *context, cm_error *err)
{
	for (int i = 0; i < n; i++) {
		if (v[i]->type.oid == t.oid)
			continue;
		if (!sem_can_coerce(v[i]->type.oid, t.oid, SEM_COERCE_IMPLICIT)) {
			cm_error_set(err, CM_E_CANNOT_COERCE, "%s could not convert type %s to %s", context,
						 tname(v[i]->type.oid), tname(t.oid));
			return at(err, v[i]->location);
		}
		if (pl_coerce(b, &v[i], t.oid, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---- function and operator resolution -------------------------------------------- */

static sem_oid decl_type(const sem_builtin *c, int i)
{
	if (i < c->nargs)
		return c->args[i];
	return c->args[c->nargs - 1];
}

static void type_list(char *buf, size_t n, sem_expr **args, int nargs)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < nargs && o < n; i++)
		o += (size_t) snprintf(buf + o, n - o, "%s%s", i ? ", " : "", tname(args[i]->type.oid));
}

static cm_status no_match(const char *name, bool is_op, sem_expr **args, int nargs, int location, bool ambiguous,
						  cm_error *err)
{
	char buf[512];
	if (is_op) {
		const char *what = ambiguous ? "operator is not unique" : "operator does not exist";
		if (nargs == 2)
			cm_error_set(err, ambiguous ? CM_E_AMBIGUOUS_FUNCTION : CM_E_UNDEFINED_FUNCTION, "%s: %s %s %s", what,
						 tname(args[0]->type.oid), name, tname(args[1]->type.oid));
		else
			cm_error_set(err, ambiguous ? CM_E_AMBIGUOUS_FUNCTION : CM_E_UNDEFINED_FUNCTION, "%s: %s %s", what, name,
						 tname(args[0]->type.oid));
		cm_error_hint(err, ambiguous ? "Could not choose a best candidate operator. You might need to add explicit type casts."
									 : "No operator matches the given name and argument types. You might need to add explicit type casts.");
	} else {
		type_list(buf, sizeof buf, args, nargs);
		cm_error_set(err, ambiguous ? CM_E_AMBIGUOUS_FUNCTION : CM_E_UNDEFINED_FUNCTION, "function %s(%s) %s", name, buf,
					 ambiguous ? "is not unique" : "does not exist");
		cm_error_hint(err, ambiguous ? "Could not choose a best candidate function. You might need to add explicit type casts."
									 : "No function matches the given name and argument types. You might need to add explicit type casts.");
	}
	return at(err, location);
}

static bool can_coerce_all(const sem_builtin *c, const sem_oid *in, int nargs)
{
	bool has_arr = false;
	for (int i = 0; i < nargs; i++)
		has_arr |= decl_type(c, i) == SEM_ANYARRAYOID;
	sem_oid arrtype = 0;
	for (int i = 0; i < nargs; i++)
		if (decl_type(c, i) == SEM_ANYARRAYOID && in[i] != SEM_UNKNOWNOID) {
			if (!sem_array_elem_type(in[i]) || (arrtype && arrtype != in[i]))
				return false;
			arrtype = in[i];
		}
	for (int i = 0; i < nargs; i++) {
		sem_oid d = decl_type(c, i);
		if (d == SEM_ANYARRAYOID) {
			if (in[i] == SEM_UNKNOWNOID && !arrtype)
				return false;
			continue;
		}
		if (has_arr && d == SEM_ANYELEMENTOID) {
			if (!arrtype || (in[i] != SEM_UNKNOWNOID &&
							 !sem_can_coerce(in[i], sem_array_elem_type(arrtype), SEM_COERCE_IMPLICIT)))
				return false;
			continue;
		}
		if (!sem_can_coerce(in[i], d, SEM_COERCE_IMPLICIT))
			return false;
		if (d == SEM_ANYNONARRAYOID && sem_array_elem_type(in[i]))
			return false;	/* anynonarray rejects arrays */
		if (in[i] == SEM_UNKNOWNOID && (d == SEM_ANYNONARRAYOID || d == SEM_ANYELEMENTOID))
			return false;	/* polymorphic type cannot be resolved from unknown */
	}
	return true;
}

/* func_select_candidate(): returns the chosen candidate or NULL (ambiguous). */
static const sem_builtin *select_candidate(const sem_builtin **cand, int ncand, const sem_oid *in, int nargs)
{
	const sem_builtin *keep[MAX_CANDIDATES];
	int nkeep, best;
	char slotcat[SEM_FUNC_MAXARGS * 4 + 8];
	int nunknown = 0;
	if (nargs > (int) sizeof slotcat)
		return NULL;
	for (int i = 0; i < nargs; i++)
		nunknown += in[i] == SEM_UNKNOWNOID;

	/* 1: most exact matches */
	nkeep = 0;
	best = 0;
	for (int c = 0; c < ncand; c++) {
		int m = 0;
		for (int i = 0; i < nargs; i++)
			if (in[i] != SEM_UNKNOWNOID && decl_type(cand[c], i) == in[i])
				m++;
		if (m > best) {
			best = m;
			nkeep = 0;
		}
		if (m == best)
			keep[nkeep++] = cand[c];
	}
	if (nkeep == 1)
		return keep[0];
	cand = memcpy(alloca(sizeof(*cand) * (size_t) nkeep), keep, sizeof(*cand) * (size_t) nkeep);
	ncand = nkeep;

	/* 2: exact or preferred-in-category at positions needing coercion */
	for (int i = 0; i < nargs; i++)
		slotcat[i] = sem_type_category(in[i]);
	nkeep = 0;
	best = 0;
	for (int c = 0; c < ncand; c++) {
		int m = 0;
		for (int i = 0; i < nargs; i++) {
			if (in[i] == SEM_UNKNOWNOID)
				continue;
			sem_oid d = decl_type(cand[c], i);
			if (d == in[i] || (sem_type_is_preferred(d) && sem_type_category(d) == slotcat[i]))
				m++;
		}
		if (m > best) {
			best = m;
			nkeep = 0;
		}
		if (m == best)
			keep[nkeep++] = cand[c];
	}
	if (nkeep == 1)
		return keep[0];
	cand = memcpy(alloca(sizeof(*cand) * (size_t) nkeep), keep, sizeof(*cand) * (size_t) nkeep);
	ncand = nkeep;
	if (nunknown == 0)
		return NULL;

	/* 3: resolve unknown inputs by category (STRING wins) */
	bool resolved = true;
	bool slotpref[SEM_FUNC_MAXARGS * 4 + 8];
	for (int i = 0; i < nargs; i++) {
		if (in[i] != SEM_UNKNOWNOID)
			continue;
		slotcat[i] = 0;
		slotpref[i] = false;
		bool conflict = false;
		for (int c = 0; c < ncand; c++) {
			sem_oid d = decl_type(cand[c], i);
			char cat = sem_type_category(d);
			bool pref = sem_type_is_preferred(d);
			if (slotcat[i] == 0) {
				slotcat[i] = cat;
				slotpref[i] = pref;
			} else if (cat == slotcat[i])
				slotpref[i] |= pref;
			else if (cat == SEM_TYPCAT_STRING) {
				slotcat[i] = cat;
				slotpref[i] = pref;
			} else
				conflict = true;
		}
		if (conflict && slotcat[i] != SEM_TYPCAT_STRING) {
			resolved = false;
			break;
		}
	}
	if (resolved) {
		nkeep = 0;
		for (int c = 0; c < ncand; c++) {
			bool ok = true;
			for (int i = 0; i < nargs && ok; i++) {
				if (in[i] != SEM_UNKNOWNOID)
					continue;
				sem_oid d = decl_type(cand[c], i);
				if (sem_type_category(d) != slotcat[i] || (slotpref[i] && !sem_type_is_preferred(d)))
					ok = false;
			}
			if (ok)
				keep[nkeep++] = cand[c];
		}
		if (nkeep == 1)
			return keep[0];
		if (nkeep > 0) {
			cand = memcpy(alloca(sizeof(*cand) * (size_t) nkeep), keep, sizeof(*cand) * (size_t) nkeep);
			ncand = nkeep;
		}
	}

	/* 4: last gasp: unknowns take the single known type */
	if (nunknown < nargs) {
		sem_oid known = 0;
		for (int i = 0; i < nargs; i++) {
			if (in[i] == SEM_UNKNOWNOID)
				continue;
			if (known == 0)
				known = in[i];
			else if (known != in[i]) {
				known = 0;
				break;
			}
		}
		if (known) {
			sem_oid *tmp = alloca(sizeof(sem_oid) * (size_t) nargs);
			for (int i = 0; i < nargs; i++)
				tmp[i] = known;
			const sem_builtin *only = NULL;
			int cnt = 0;
			for (int c = 0; c < ncand; c++)
				if (can_coerce_all(cand[c], tmp, nargs)) {
					only = cand[c];
					cnt++;
				}
			if (cnt == 1)
				return only;
		}
	}
	return NULL;
}

cm_status pl_resolve_call(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args, int location,
						  const sem_builtin **out, cm_error *err)
{
	const sem_builtin *all[MAX_CANDIDATES];
	size_t nall = sem_func_candidates(name, nargs, all, MAX_CANDIDATES);
	if (nall > MAX_CANDIDATES)
		nall = MAX_CANDIDATES;
	sem_oid in[64];
	if (nargs > 64) {
		cm_error_set(err, CM_E_TOO_MANY_COLUMNS, "cannot pass more than %d arguments to a function", 100);
		return at(err, location);
	}
	for (int i = 0; i < nargs; i++)
		in[i] = args[i]->type.oid;

	/* exact match (binary operators: an unknown side takes the other side's type) */
	{
		sem_oid ex[64];
		memcpy(ex, in, sizeof(sem_oid) * (size_t) nargs);
		if (is_op && nargs == 2) {
			if (ex[0] == SEM_UNKNOWNOID && ex[1] != SEM_UNKNOWNOID)
				ex[0] = ex[1];
			else if (ex[1] == SEM_UNKNOWNOID && ex[0] != SEM_UNKNOWNOID)
				ex[1] = ex[0];
		}
		for (size_t c = 0; c < nall; c++) {
			if (all[c]->flags & SEM_FN_VARIADIC)
				continue;
			bool ok = true;
			for (int i = 0; i < nargs && ok; i++)
				ok = decl_type(all[c], i) == ex[i] && ex[i] != SEM_UNKNOWNOID;
			if (ok) {
				*out = all[c];
				return CM_OK;
			}
		}
	}
	const sem_builtin *cand[MAX_CANDIDATES];
	int ncand = 0;
	for (size_t c = 0; c < nall; c++)
		if (can_coerce_all(all[c], in, nargs))
			cand[ncand++] = all[c];
	if (ncand == 1) {
		*out = cand[0];
		return CM_OK;
	}
	if (ncand == 0)
		return no_match(name, is_op, args, nargs, location, false, err);
	const sem_builtin *c = select_candidate(cand, ncand, in, nargs);
	if (!c)
		return no_match(name, is_op, args, nargs, location, true, err);
	*out = c;
	return CM_OK;
}

/* Coerce the arguments to the chosen signature and build the call node. */
cm_status pl_make_call(pl_binder *b, const sem_builtin *fn, int nargs, sem_expr **args, int location,
					   sem_expr **out, cm_error *err)
{
	/* polymorphic arrays: anyarray args share one array type, anyelement is its element */
	sem_oid arrtype = 0;
	for (int i = 0; i < nargs; i++)
		if (decl_type(fn, i) == SEM_ANYARRAYOID && sem_array_elem_type(args[i]->type.oid)) {
			arrtype = args[i]->type.oid;
			break;
		}
	if (arrtype) {
		for (int i = 0; i < nargs; i++) {
			sem_oid d = decl_type(fn, i);
			sem_oid want = d == SEM_ANYARRAYOID ? arrtype : d == SEM_ANYELEMENTOID ? sem_array_elem_type(arrtype) : 0;
			if (want && args[i]->type.oid != want &&
				pl_coerce(b, &args[i], want, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
				return CM_ERROR;
		}
	}
	for (int i = 0; i < nargs; i++) {
		sem_oid d = decl_type(fn, i);
		if (is_pseudo_any(d)) {
			if ((fn->flags & SEM_FN_ANYTEXT)) {
				if (args[i]->type.oid == SEM_UNKNOWNOID) {
					if (pl_coerce(b, &args[i], SEM_TEXTOID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
						return CM_ERROR;
				} else if (d == SEM_ANYNONARRAYOID && args[i]->type.oid == SEM_BOOLOID) {
					/* anytextcat / textanycat are SQL functions doing $1::text:
					 * the bool -> text cast ("true"), not boolout ("t") */
					if (pl_coerce(b, &args[i], SEM_TEXTOID, -1, SEM_COERCE_EXPLICIT, true, err) != CM_OK)
						return CM_ERROR;
				} else if (!sem_type_is_string(args[i]->type.oid)) {
					sem_expr *o = sem_expr_new(b->arena, SEM_EXPR_OUTTEXT, (sem_type){SEM_TEXTOID, -1},
											   args[i]->location);
					o->u.arg1 = args[i];
					args[i] = o;
				}
			}
			continue;
		}
		if (pl_coerce(b, &args[i], d, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
			return CM_ERROR;
	}
	sem_expr *e = sem_expr_func(b->arena, fn, nargs, args, location);
	if (arrtype && fn->result == SEM_ANYARRAYOID)
		e->type = (sem_type){arrtype, -1};
	else if (arrtype && fn->result == SEM_ANYELEMENTOID)
		e->type = (sem_type){sem_array_elem_type(arrtype), -1};
	*out = e;
	return CM_OK;
}

cm_status pl_err_at(cm_error *err, int location)
{
	return at(err, location);
}

static cm_status call_named(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args, int location,
							sem_expr **out, cm_error *err);

cm_status pl_call_named(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args, int location,
						sem_expr **out, cm_error *err)
{
	return call_named(b, name, is_op, nargs, args, location, out, err);
}

static cm_status call_named(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args, int location,
							sem_expr **out, cm_error *err)
{
	const sem_builtin *fn;
	if (pl_resolve_call(b, name, is_op, nargs, args, location, &fn, err) != CM_OK)
		return CM_ERROR;
	return pl_make_call(b, fn, nargs, args, location, out, err);
}

/* ---- node binders ----------------------------------------------------------------- */

static cm_status bind_const(pl_binder *b, const PgQuery__AConst *c, sem_expr **out, cm_error *err)
{
	sem_datum d;
	memset(&d, 0, sizeof d);
	int loc = c->location;
	if (c->isnull) {
		*out = sem_expr_null(b->arena, (sem_type){SEM_UNKNOWNOID, -1}, loc);
		return CM_OK;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		d.v.i = c->ival->ival;
		*out = sem_expr_const(b->arena, (sem_type){SEM_INT4OID, -1}, &d, loc);
		return CM_OK;
	case PG_QUERY__A__CONST__VAL_FVAL: {
		const char *s = c->fval->fval;
		const char *p = s + (*s == '-' || *s == '+');
		bool digits = *p != '\0';
		for (const char *q = p; *q; q++)
			if (*q < '0' || *q > '9')
				digits = false;
		if (digits) {
			int64_t v;
			cm_error tmp = {0};
			if (sem_int_in(s, strlen(s), SEM_INT8OID, &v, &tmp) == CM_OK) {
				d.v.i = v;
				bool small = v >= INT32_MIN && v <= INT32_MAX;
				*out = sem_expr_const(b->arena, (sem_type){small ? SEM_INT4OID : SEM_INT8OID, -1}, &d, loc);
				return CM_OK;
			}
			cm_error_clear(&tmp);
		}
		if (sem_num_in(b->arena, s, strlen(s), -1, &d.v.num, err) != CM_OK)
			return at(err, loc);
		*out = sem_expr_const(b->arena, (sem_type){SEM_NUMERICOID, -1}, &d, loc);
		return CM_OK;
	}
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		d.v.b = c->boolval->boolval;
		*out = sem_expr_const(b->arena, (sem_type){SEM_BOOLOID, -1}, &d, loc);
		return CM_OK;
	case PG_QUERY__A__CONST__VAL_SVAL: {
		const char *s = c->sval->sval ? c->sval->sval : "";
		sem_set_str(b->arena, &d, s, strlen(s));
		*out = sem_expr_const(b->arena, (sem_type){SEM_UNKNOWNOID, -1}, &d, loc);
		return CM_OK;
	}
	default:
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "bit string constants are not supported");
		return at(err, loc);
	}
}

cm_status pl_typename(pl_binder *b, const PgQuery__TypeName *tn, sem_type *out, cm_error *err)
{
	const char *names[8] = {0};
	int n = 0;
	for (size_t i = 0; i < tn->n_names && n < 8; i++)
		names[n++] = node_str(tn->names[i]) ? node_str(tn->names[i]) : "";
	sem_oid oid = sem_type_lookup(names, n);
	if (oid == 0) {
		char full[256];
		size_t o = 0;
		full[0] = '\0';
		for (int i = 0; i < n && o < sizeof full; i++)
			o += (size_t) snprintf(full + o, sizeof full - o, "%s%s", i ? "." : "", names[i]);
		cm_error_set(err, CM_E_UNDEFINED_OBJECT, "type \"%s\" does not exist", full);
		return at(err, tn->location);
	}
	int32_t mods[4];
	int nm = 0;
	for (size_t i = 0; i < tn->n_typmods; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		if (nm >= 4 || m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
			m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "type modifiers must be simple constants or identifiers");
			return at(err, tn->location);
		}
		mods[nm++] = m->a_const->ival->ival;
	}
	int32_t typmod = -1;
	if (sem_type_typmod_in(oid, mods, nm, &typmod, err) != CM_OK)
		return at(err, tn->location);
	if (tn->n_array_bounds > 0) {
		sem_oid aoid = sem_array_type_of(oid);
		if (!aoid) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "arrays of type %s are not supported", tname(oid));
			return at(err, tn->location);
		}
		oid = aoid;
		typmod = -1;
	}
	out->oid = oid;
	out->typmod = typmod;
	return CM_OK;
}

static cm_status bind_array_expr(pl_binder *b, const PgQuery__AArrayExpr *ae, sem_type target, sem_expr **out,
								 cm_error *err);

static cm_status bind_typecast(pl_binder *b, const PgQuery__TypeCast *tc, sem_expr **out, cm_error *err)
{
	sem_expr *arg;
	sem_type t;
	if (pl_typename(b, tc->type_name, &t, err) != CM_OK)
		return CM_ERROR;
	if (tc->arg->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR && sem_array_elem_type(t.oid)) {
		if (bind_array_expr(b, tc->arg->a_array_expr, t, &arg, err) != CM_OK)
			return CM_ERROR;
	} else if (bind(b, tc->arg, &arg, err) != CM_OK)
		return CM_ERROR;
	sem_array_castinfo aci;
	if (!sem_can_coerce(arg->type.oid, t.oid, SEM_COERCE_EXPLICIT) &&
		!sem_array_cast_find(arg->type.oid, t.oid, SEM_COERCE_EXPLICIT, &aci)) {
		cm_error_set(err, CM_E_CANNOT_COERCE, "cannot cast type %s to %s", tname(arg->type.oid), tname(t.oid));
		return at(err, tc->location);
	}
	int loc = arg->location;
	if (pl_coerce(b, &arg, t.oid, t.typmod, SEM_COERCE_EXPLICIT, true, err) != CM_OK)
		return CM_ERROR;
	/* PostgreSQL reports the cast's location for the result */
	if (arg->kind == SEM_EXPR_CONST)
		arg->location = loc >= 0 ? loc : tc->location;
	*out = arg;
	return CM_OK;
}

static const char *op_name(const PgQuery__AExpr *a)
{
	/* OPERATOR(pg_catalog.+) gives two names; the last one is the symbol */
	if (a->n_name == 0)
		return "";
	return node_str(a->name[a->n_name - 1]);
}

static cm_status bind_op(pl_binder *b, const char *name, const PgQuery__Node *l, const PgQuery__Node *r, int location,
						 sem_expr **out, cm_error *err)
{
	sem_expr *args[2];
	int n = 0;
	if (l) {
		if (bind(b, l, &args[n++], err) != CM_OK)
			return CM_ERROR;
	}
	if (bind(b, r, &args[n++], err) != CM_OK)
		return CM_ERROR;
	sem_expr **v = cm_new_array(b->arena, sem_expr *, n);
	memcpy(v, args, sizeof(sem_expr *) * (size_t) n);
	return call_named(b, name, true, n, v, location, out, err);
}

static cm_status op_on(pl_binder *b, const char *name, sem_expr *l, sem_expr *r, int location, sem_expr **out,
					   cm_error *err);

cm_status pl_make_op(pl_binder *b, const char *name, sem_expr *l, sem_expr *r, int location, sem_expr **out,
					 cm_error *err)
{
	return op_on(b, name, l, r, location, out, err);
}

static cm_status op_on(pl_binder *b, const char *name, sem_expr *l, sem_expr *r, int location, sem_expr **out,
					   cm_error *err)
{
	sem_expr **v = cm_new_array(b->arena, sem_expr *, 2);
	v[0] = l;
	v[1] = r;
	return call_named(b, name, true, 2, v, location, out, err);
}

static sem_expr *bool_list(pl_binder *b, sem_expr_kind k, sem_expr *x, sem_expr *y, int location)
{
	sem_expr *e = sem_expr_new(b->arena, k, (sem_type){SEM_BOOLOID, -1}, location);
	e->u.list.n = 2;
	e->u.list.items = cm_new_array(b->arena, sem_expr *, 2);
	e->u.list.items[0] = x;
	e->u.list.items[1] = y;
	return e;
}

/* a BETWEEN x AND y  ->  a >= x AND a <= y (PostgreSQL 15 expands it the same way) */
static cm_status bind_between(pl_binder *b, const PgQuery__AExpr *a, sem_expr **out, cm_error *err)
{
	const PgQuery__List *l = a->rexpr->list;
	if (a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST || l->n_items != 2) {
		cm_error_set(err, CM_E_SYNTAX_ERROR, "syntax error in BETWEEN");
		return at(err, a->location);
	}
	sem_expr *x, *lo, *hi, *c1, *c2;
	if (bind(b, a->lexpr, &x, err) != CM_OK || bind(b, l->items[0], &lo, err) != CM_OK ||
		bind(b, l->items[1], &hi, err) != CM_OK)
		return CM_ERROR;
	bool neg = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
			   a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	bool sym = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
			   a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
	if (op_on(b, neg ? "<" : ">=", x, lo, a->location, &c1, err) != CM_OK ||
		op_on(b, neg ? ">" : "<=", x, hi, a->location, &c2, err) != CM_OK)
		return CM_ERROR;
	sem_expr *e = bool_list(b, neg ? SEM_EXPR_OR : SEM_EXPR_AND, c1, c2, a->location);
	if (sym) {
		sem_expr *d1, *d2;
		if (op_on(b, neg ? "<" : ">=", x, hi, a->location, &d1, err) != CM_OK ||
			op_on(b, neg ? ">" : "<=", x, lo, a->location, &d2, err) != CM_OK)
			return CM_ERROR;
		sem_expr *e2 = bool_list(b, neg ? SEM_EXPR_OR : SEM_EXPR_AND, d1, d2, a->location);
		e = bool_list(b, neg ? SEM_EXPR_AND : SEM_EXPR_OR, e, e2, a->location);
	}
	*out = e;
	return CM_OK;
}

static cm_status resolve_eq(pl_binder *b, sem_expr **l, sem_expr **r, int location, const sem_builtin **eq,
							cm_error *err)
{
	sem_expr *args[2] = {*l, *r};
	if (pl_resolve_call(b, "=", true, 2, args, location, eq, err) != CM_OK)
		return CM_ERROR;
	if ((*eq)->result != SEM_BOOLOID) {
		cm_error_set(err, CM_E_DATATYPE_MISMATCH, "operator = must return type boolean");
		return at(err, location);
	}
	if (pl_coerce(b, l, (*eq)->args[0], -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK ||
		pl_coerce(b, r, (*eq)->args[1], -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
		return CM_ERROR;
	return CM_OK;
}

static cm_status bind_in(pl_binder *b, const PgQuery__AExpr *a, sem_expr **out, cm_error *err)
{
	if (a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "IN (subquery) is not supported yet");
		return at(err, a->location);
	}
	const PgQuery__List *l = a->rexpr->list;
	int n = (int) l->n_items;
	sem_expr **all = cm_new_array(b->arena, sem_expr *, n + 1);
	if (bind(b, a->lexpr, &all[0], err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < n; i++)
		if (bind(b, l->items[i], &all[i + 1], err) != CM_OK)
			return CM_ERROR;
	sem_type t;
	if (pl_common_type(b, all, n + 1, "IN", &t, err) != CM_OK ||
		pl_coerce_common(b, all, n + 1, t, "IN", err) != CM_OK)
		return CM_ERROR;
	const sem_builtin *eq;
	sem_expr *l0 = all[0], *r0 = all[1];
	if (resolve_eq(b, &l0, &r0, a->location, &eq, err) != CM_OK)
		return CM_ERROR;
	const char *nm = op_name(a);
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_IN, (sem_type){SEM_BOOLOID, -1}, a->location);
	e->u.in.eq = eq;
	e->u.in.lhs = all[0];
	e->u.in.n = n;
	e->u.in.items = all + 1;
	e->u.in.negate = nm && strcmp(nm, "<>") == 0;
	*out = e;
	return CM_OK;
}

/* x op ANY/ALL (array): the operator is resolved for (x, element type) */
static cm_status bind_any_array(pl_binder *b, const PgQuery__AExpr *a, const char *name, bool all, sem_expr **out,
								cm_error *err)
{
	sem_expr *l, *r;
	if (bind(b, a->lexpr, &l, err) != CM_OK || bind(b, a->rexpr, &r, err) != CM_OK)
		return CM_ERROR;
	sem_oid et = sem_array_elem_type(r->type.oid);
	if (r->type.oid == SEM_UNKNOWNOID) {
		sem_oid lt = l->type.oid == SEM_UNKNOWNOID ? SEM_TEXTOID : l->type.oid;
		sem_oid at_ = sem_array_type_of(lt);
		if (!at_ || pl_coerce(b, &r, at_, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK) {
			if (!at_)
				cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "arrays of type %s are not supported", tname(lt));
			return at(err, a->location);
		}
		et = lt;
	}
	if (!et) {
		cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "op ANY/ALL (array) requires array on right side");
		return at(err, a->location);
	}
	sem_expr *ph_l = sem_expr_column(b->arena, 0, l->type, l->location);
	sem_expr *ph_r = sem_expr_column(b->arena, 1, (sem_type){et, -1}, r->location);
	const sem_builtin *fn;
	sem_expr *args[2] = {ph_l, ph_r};
	if (pl_resolve_call(b, name, true, 2, args, a->location, &fn, err) != CM_OK)
		return CM_ERROR;
	if (fn->result != SEM_BOOLOID) {
		cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "op ANY/ALL (array) requires operator to yield boolean");
		return at(err, a->location);
	}
	if (pl_coerce(b, &l, fn->args[0], -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
		return CM_ERROR;
	if (fn->args[1] != et) {
		sem_oid want = sem_array_type_of(fn->args[1]);
		if (!want || pl_coerce(b, &r, want, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK) {
			if (!want)
				cm_error_set(err, CM_E_UNDEFINED_FUNCTION, "operator does not exist: %s %s %s[]", tname(l->type.oid),
							 name, tname(et));
			return at(err, a->location);
		}
	}
	sem_array_anyop *ao = cm_new(b->arena, sem_array_anyop);
	ao->op = fn;
	ao->all = all;
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_EXTERN, (sem_type){SEM_BOOLOID, -1}, a->location);
	e->u.ext.fn = sem_array_any_fn;
	e->u.ext.arg = ao;
	e->u.ext.nargs = 2;
	e->u.ext.args = cm_new_array(b->arena, sem_expr *, 2);
	e->u.ext.args[0] = l;
	e->u.ext.args[1] = r;
	*out = e;
	return CM_OK;
}

/* ARRAY[a, b, ...] */
static cm_status bind_array_expr(pl_binder *b, const PgQuery__AArrayExpr *ae, sem_type target, sem_expr **out,
								 cm_error *err)
{
	int n = (int) ae->n_elements;
	sem_expr **v = cm_new_array(b->arena, sem_expr *, n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		if (ae->elements[i]->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "multidimensional arrays are not supported");
			return at(err, ae->location);
		}
		if (bind(b, ae->elements[i], &v[i], err) != CM_OK)
			return CM_ERROR;
	}
	sem_type t = {0, -1};
	if (n == 0) {
		if (!target.oid) {
			cm_error_set(err, CM_E_INDETERMINATE_DATATYPE, "cannot determine type of empty array");
			cm_error_hint(err, "Explicitly cast to the desired type, for example ARRAY[]::integer[].");
			return at(err, ae->location);
		}
		t.oid = sem_array_elem_type(target.oid);
	} else {
		if (pl_common_type(b, v, n, "ARRAY", &t, err) != CM_OK || pl_coerce_common(b, v, n, t, "ARRAY", err) != CM_OK)
			return CM_ERROR;
		for (int i = 0; i < n; i++)
			if (pl_resolve_unknown(b, &v[i], err) != CM_OK)
				return CM_ERROR;
		if (t.oid == SEM_UNKNOWNOID)
			t.oid = SEM_TEXTOID;
	}
	sem_oid aoid = sem_array_type_of(t.oid);
	if (!aoid) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "arrays of type %s are not supported", tname(t.oid));
		return at(err, ae->location);
	}
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_EXTERN, (sem_type){aoid, -1}, ae->location);
	e->u.ext.fn = sem_array_construct_fn;
	e->u.ext.nargs = n;
	e->u.ext.args = v;
	*out = e;
	return CM_OK;
}

/* The fields of a ROW(...) / (a, b) constructor, or NULL for other nodes. */
static const PgQuery__RowExpr *row_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_ROW_EXPR ? n->row_expr : NULL;
}

/*
 * Row comparison (a1, a2, ...) op (b1, b2, ...), expanded the way
 * PostgreSQL's make_row_comparison_op evaluates it: = is the AND of the
 * column equalities, <> their OR, and < <= > >= compare column by column
 * ((a1 < b1) OR (a1 = b1 AND (a2 < b2 ...))), the last column with op
 * itself; a NULL in the deciding pair gives NULL.
 */
static cm_status bind_row_compare(pl_binder *b, const char *name, const PgQuery__RowExpr *l,
								  const PgQuery__RowExpr *r, int location, sem_expr **out, cm_error *err)
{
	if (l->n_args != r->n_args) {
		cm_error_set(err, CM_E_SYNTAX_ERROR, "unequal number of entries in row expressions");
		return at(err, location);
	}
	int n = (int) l->n_args;
	if (n == 0) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cannot compare rows of zero length");
		return at(err, location);
	}
	bool eq = strcmp(name, "=") == 0, ne = strcmp(name, "<>") == 0;
	bool ord = !strcmp(name, "<") || !strcmp(name, "<=") || !strcmp(name, ">") || !strcmp(name, ">=");
	if (!eq && !ne && !ord) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "could not determine interpretation of row comparison operator %s",
					 name);
		cm_error_hint(err, "Row comparison operators must be associated with btree operator families.");
		return at(err, location);
	}
	sem_expr **lv = cm_new_array(b->arena, sem_expr *, n), **rv = cm_new_array(b->arena, sem_expr *, n);
	for (int i = 0; i < n; i++)
		if (bind(b, l->args[i], &lv[i], err) != CM_OK || bind(b, r->args[i], &rv[i], err) != CM_OK)
			return CM_ERROR;
	if (eq || ne) {
		sem_expr *acc = NULL;
		for (int i = 0; i < n; i++) {
			sem_expr *c;
			if (op_on(b, name, lv[i], rv[i], location, &c, err) != CM_OK || pl_coerce_bool(b, &c, "row comparison", err) != CM_OK)
				return CM_ERROR;
			acc = acc ? bool_list(b, eq ? SEM_EXPR_AND : SEM_EXPR_OR, acc, c, location) : c;
		}
		*out = acc;
		return CM_OK;
	}
	/* strict operator for the leading columns: "<=" -> "<", ">=" -> ">" */
	const char *strict = name[0] == '<' ? "<" : ">";
	sem_expr *acc;
	if (op_on(b, name, lv[n - 1], rv[n - 1], location, &acc, err) != CM_OK)
		return CM_ERROR;
	for (int i = n - 2; i >= 0; i--) {
		sem_expr *lt, *e;
		if (op_on(b, strict, lv[i], rv[i], location, &lt, err) != CM_OK ||
			op_on(b, "=", lv[i], rv[i], location, &e, err) != CM_OK)
			return CM_ERROR;
		acc = bool_list(b, SEM_EXPR_OR, lt, bool_list(b, SEM_EXPR_AND, e, acc, location), location);
	}
	*out = acc;
	return CM_OK;
}

/* (a, b) IN ((1, 2), (3, 4)): OR of row equalities (NOT IN: AND of <>). */
static cm_status bind_row_in(pl_binder *b, const PgQuery__AExpr *a, bool negate, sem_expr **out, cm_error *err)
{
	const PgQuery__List *l = a->rexpr->list;
	sem_expr *acc = NULL;
	for (size_t i = 0; i < l->n_items; i++) {
		const PgQuery__RowExpr *r = row_of(l->items[i]);
		sem_expr *c;
		if (!r) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "unequal number of entries in row expressions");
			return at(err, a->location);
		}
		if (bind_row_compare(b, negate ? "<>" : "=", row_of(a->lexpr), r, a->location, &c, err) != CM_OK)
			return CM_ERROR;
		acc = acc ? bool_list(b, negate ? SEM_EXPR_AND : SEM_EXPR_OR, acc, c, a->location) : c;
	}
	*out = acc;
	return CM_OK;
}

static cm_status bind_aexpr(pl_binder *b, const PgQuery__AExpr *a, sem_expr **out, cm_error *err)
{
	const char *name = op_name(a);
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && row_of(a->lexpr) && row_of(a->rexpr))
		return bind_row_compare(b, name, row_of(a->lexpr), row_of(a->rexpr), a->location, out, err);
	if ((a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT || a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT) &&
		row_of(a->lexpr) && row_of(a->rexpr)) {
		/* rows are distinct when any pair of fields is */
		const PgQuery__RowExpr *l = row_of(a->lexpr), *r = row_of(a->rexpr);
		if (l->n_args != r->n_args || l->n_args == 0) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "unequal number of entries in row expressions");
			return at(err, a->location);
		}
		bool neg = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
		sem_expr *acc = NULL;
		for (size_t i = 0; i < l->n_args; i++) {
			PgQuery__AExpr pair = *a;
			pair.lexpr = l->args[i];
			pair.rexpr = r->args[i];
			sem_expr *c;
			if (bind_aexpr(b, &pair, &c, err) != CM_OK)
				return CM_ERROR;
			acc = acc ? bool_list(b, neg ? SEM_EXPR_AND : SEM_EXPR_OR, acc, c, a->location) : c;
		}
		*out = acc;
		return CM_OK;
	}
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && row_of(a->lexpr) &&
		a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST)
		return bind_row_in(b, a, name && strcmp(name, "<>") == 0, out, err);
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:	/* x ~ similar_to_escape(pattern) */
		return bind_op(b, name, a->lexpr, a->rexpr, a->location, out, err);
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF: {
		sem_expr *l, *r;
		if (bind(b, a->lexpr, &l, err) != CM_OK || bind(b, a->rexpr, &r, err) != CM_OK)
			return CM_ERROR;
		const sem_builtin *eq;
		if (resolve_eq(b, &l, &r, a->location, &eq, err) != CM_OK)
			return CM_ERROR;
		bool nullif = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF;
		sem_expr *e = sem_expr_new(b->arena, nullif ? SEM_EXPR_NULLIF : SEM_EXPR_DISTINCT,
								   nullif ? l->type : (sem_type){SEM_BOOLOID, -1}, a->location);
		e->u.cmp.eq = eq;
		e->u.cmp.a = l;
		e->u.cmp.b = r;
		e->u.cmp.negate = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
		*out = e;
		return CM_OK;
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
		return bind_in(b, a, out, err);
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
		return bind_any_array(b, a, name, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL, out, err);
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
		return bind_between(b, a, out, err);
	default:
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this kind of expression is not supported yet");
		return at(err, a->location);
	}
}

static cm_status bind_boolexpr(pl_binder *b, const PgQuery__BoolExpr *be, sem_expr **out, cm_error *err)
{
	const char *what = be->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? "AND"
					 : be->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? "OR" : "NOT";
	int n = (int) be->n_args;
	sem_expr **v = cm_new_array(b->arena, sem_expr *, n);
	for (int i = 0; i < n; i++) {
		if (bind(b, be->args[i], &v[i], err) != CM_OK || pl_coerce_bool(b, &v[i], what, err) != CM_OK)
			return CM_ERROR;
	}
	if (be->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR) {
		sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_NOT, (sem_type){SEM_BOOLOID, -1}, be->location);
		e->u.arg1 = v[0];
		*out = e;
		return CM_OK;
	}
	sem_expr *e = sem_expr_new(b->arena, be->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? SEM_EXPR_AND : SEM_EXPR_OR,
							   (sem_type){SEM_BOOLOID, -1}, be->location);
	e->u.list.n = n;
	e->u.list.items = v;
	*out = e;
	return CM_OK;
}

static cm_status bind_case(pl_binder *b, const PgQuery__CaseExpr *ce, sem_expr **out, cm_error *err)
{
	sem_expr *operand = NULL;
	if (ce->arg) {
		if (bind(b, ce->arg, &operand, err) != CM_OK)
			return CM_ERROR;
		if (operand->type.oid == SEM_UNKNOWNOID &&
			pl_coerce(b, &operand, SEM_TEXTOID, -1, SEM_COERCE_IMPLICIT, false, err) != CM_OK)
			return CM_ERROR;
	}
	int n = (int) ce->n_args;
	sem_expr **conds = cm_new_array(b->arena, sem_expr *, n);
	sem_expr **res = cm_new_array(b->arena, sem_expr *, n + 1);	/* res[0] = default */
	for (int i = 0; i < n; i++) {
		const PgQuery__CaseWhen *w = ce->args[i]->case_when;
		sem_expr *c;
		if (bind(b, w->expr, &c, err) != CM_OK)
			return CM_ERROR;
		if (operand) {
			sem_expr *ph = sem_expr_new(b->arena, SEM_EXPR_CASETEST, operand->type, operand->location);
			if (op_on(b, "=", ph, c, w->location, &c, err) != CM_OK)
				return CM_ERROR;
		}
		if (pl_coerce_bool(b, &c, "CASE/WHEN", err) != CM_OK)
			return CM_ERROR;
		conds[i] = c;
		if (bind(b, w->result, &res[i + 1], err) != CM_OK)
			return CM_ERROR;
	}
	if (ce->defresult) {
		if (bind(b, ce->defresult, &res[0], err) != CM_OK)
			return CM_ERROR;
	} else
		res[0] = sem_expr_null(b->arena, (sem_type){SEM_UNKNOWNOID, -1}, -1);
	sem_type t;
	if (pl_common_type(b, res, n + 1, "CASE", &t, err) != CM_OK ||
		pl_coerce_common(b, res, n + 1, t, "CASE", err) != CM_OK)
		return CM_ERROR;
	sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_CASE, t, ce->location);
	e->u.case_.operand = operand;
	e->u.case_.nwhen = n;
	e->u.case_.conds = conds;
	e->u.case_.results = res + 1;
	e->u.case_.defresult = res[0];
	*out = e;
	return CM_OK;
}

static cm_status bind_list_common(pl_binder *b, PgQuery__Node **items, size_t n, const char *ctxname,
								  sem_expr ***out_items, sem_type *t, cm_error *err)
{
	sem_expr **v = cm_new_array(b->arena, sem_expr *, n);
	for (size_t i = 0; i < n; i++)
		if (bind(b, items[i], &v[i], err) != CM_OK)
			return CM_ERROR;
	if (pl_common_type(b, v, (int) n, ctxname, t, err) != CM_OK ||
		pl_coerce_common(b, v, (int) n, *t, ctxname, err) != CM_OK)
		return CM_ERROR;
	*out_items = v;
	return CM_OK;
}

static cm_status bind_funccall(pl_binder *b, const PgQuery__FuncCall *fc, sem_expr **out, cm_error *err)
{
	const char *name = NULL;
	if (fc->n_funcname == 2 && node_str(fc->funcname[0]) && strcmp(node_str(fc->funcname[0]), "pg_catalog") == 0)
		name = node_str(fc->funcname[1]);
	else if (fc->n_funcname == 1)
		name = node_str(fc->funcname[0]);
	if (!name) {
		cm_error_set(err, CM_E_UNDEFINED_FUNCTION, "function does not exist");
		return at(err, fc->location);
	}
	if (b->scope) {
		bool handled = false;
		if (pl_q_funccall(b, fc, &handled, out, err) != CM_OK)
			return CM_ERROR;
		if (handled)
			return CM_OK;
	}
	if (fc->agg_star || fc->agg_distinct || fc->over || fc->agg_filter || fc->n_agg_order || fc->agg_within_group) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "aggregate and window functions are not supported yet");
		return at(err, fc->location);
	}
	if (fc->func_variadic) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "VARIADIC arguments are not supported yet");
		return at(err, fc->location);
	}
	int n = (int) fc->n_args;
	sem_expr **v = cm_new_array(b->arena, sem_expr *, n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		if (fc->args[i]->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
			cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "named arguments are not supported yet");
			return at(err, fc->location);
		}
		if (bind(b, fc->args[i], &v[i], err) != CM_OK)
			return CM_ERROR;
	}
	/* pg_typeof("any") needs the argument's type: a constant regtype */
	if (strcmp(name, "pg_typeof") == 0 && n == 1) {
		sem_datum d;
		memset(&d, 0, sizeof d);
		d.v.i = v[0]->type.oid;
		*out = sem_expr_const(b->arena, (sem_type){SEM_REGTYPEOID, -1}, &d, fc->location);
		return CM_OK;
	}
	return call_named(b, name, false, n, v, fc->location, out, err);
}

static cm_status bind_sqlvalue(pl_binder *b, const PgQuery__SQLValueFunction *sv, sem_expr **out, cm_error *err)
{
	const char *name = NULL;
	bool prec = false;
	switch (sv->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE: name = "current_date"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME: name = "current_time"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N: name = "current_time"; prec = true; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP: name = "now"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N: name = "current_timestamp"; prec = true; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME: name = "localtime"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N: name = "localtime"; prec = true; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP: name = "localtimestamp"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N: name = "localtimestamp"; prec = true; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE: name = "current_role"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER: name = "current_user"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER: name = "user"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER: name = "session_user"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG: name = "current_catalog"; break;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA: name = "current_schema"; break;
	default:
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "SQL value function not supported");
		return at(err, sv->location);
	}
	int n = 0;
	sem_expr **v = cm_new_array(b->arena, sem_expr *, 1);
	if (prec) {
		sem_datum d;
		memset(&d, 0, sizeof d);
		d.v.i = sv->typmod;
		v[0] = sem_expr_const(b->arena, (sem_type){SEM_INT4OID, -1}, &d, sv->location);
		n = 1;
	}
	return call_named(b, name, false, n, v, sv->location, out, err);
}

static cm_status bind_columnref(pl_binder *b, const PgQuery__ColumnRef *cr, sem_expr **out, cm_error *err)
{
	const char *names[8];
	int n = 0;
	for (size_t i = 0; i < cr->n_fields && n < 8; i++) {
		if (cr->fields[i]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
			cm_error_set(err, CM_E_SYNTAX_ERROR, "SELECT * with no tables specified is not valid");
			return at(err, cr->location);
		}
		names[n++] = node_str(cr->fields[i]) ? node_str(cr->fields[i]) : "";
	}
	if (b->env->colref)
		return b->env->colref(b->env->colref_arg, names, n, cr->location, out, err);
	char full[256];
	size_t o = 0;
	full[0] = '\0';
	for (int i = 0; i < n && o < sizeof full; i++)
		o += (size_t) snprintf(full + o, sizeof full - o, "%s%s", i ? "." : "", names[i]);
	if (n > 1) {
		cm_error_set(err, CM_E_UNDEFINED_TABLE, "missing FROM-clause entry for table \"%s\"", names[0]);
		return at(err, cr->location);
	}
	cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", full);
	return at(err, cr->location);
}

static cm_status bind_param(pl_binder *b, const PgQuery__ParamRef *pr, sem_expr **out, cm_error *err)
{
	int no = pr->number;
	if (no < 1 || no > b->env->max_params) {
		cm_error_set(err, CM_E_UNDEFINED_PARAMETER, "there is no parameter $%d", no);
		return at(err, pr->location);
	}
	if (no > *b->env->nparams) {
		for (int i = *b->env->nparams; i < no; i++)
			b->env->params[i] = 0;
		*b->env->nparams = no;
	}
	sem_oid t = b->env->params[no - 1];
	*out = sem_expr_param(b->arena, no, (sem_type){t ? t : SEM_UNKNOWNOID, -1}, pr->location);
	return CM_OK;
}

static cm_status bind(pl_binder *b, const PgQuery__Node *n, sem_expr **out, cm_error *err)
{
	if (b->ctx->cancel && *b->ctx->cancel)
		return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
	if (++b->depth > 1000) {
		cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "stack depth limit exceeded");
		cm_error_hint(err, "Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.");
		return CM_ERROR;
	}
	cm_status st;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		st = bind_const(b, n->a_const, out, err);
		break;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		st = bind_typecast(b, n->type_cast, out, err);
		break;
	case PG_QUERY__NODE__NODE_A_EXPR:
		st = bind_aexpr(b, n->a_expr, out, err);
		break;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		st = bind_boolexpr(b, n->bool_expr, out, err);
		break;
	case PG_QUERY__NODE__NODE_NULL_TEST: {
		sem_expr *a;
		const PgQuery__RowExpr *row = row_of(n->null_test->arg);
		if (row && row->n_args > 0) {
			/* ROW(...) IS [NOT] NULL: every field is [not] NULL */
			bool isnull = n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL;
			sem_expr *acc = NULL;
			st = CM_OK;
			for (size_t i = 0; i < row->n_args && st == CM_OK; i++) {
				st = bind(b, row->args[i], &a, err);
				if (st != CM_OK)
					break;
				sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_NULLTEST, (sem_type){SEM_BOOLOID, -1}, n->null_test->location);
				e->u.test.arg = a;
				e->u.test.op = isnull ? 0 : 1;
				acc = acc ? bool_list(b, SEM_EXPR_AND, acc, e, n->null_test->location) : e;
			}
			if (st == CM_OK)
				*out = acc;
			break;
		}
		st = bind(b, n->null_test->arg, &a, err);
		if (st == CM_OK) {
			sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_NULLTEST, (sem_type){SEM_BOOLOID, -1}, n->null_test->location);
			e->u.test.arg = a;
			e->u.test.op = n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL ? 0 : 1;
			*out = e;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST: {
		static const char *names[] = {"", "IS TRUE", "IS NOT TRUE", "IS FALSE", "IS NOT FALSE", "IS UNKNOWN", "IS NOT UNKNOWN"};
		const PgQuery__BooleanTest *bt = n->boolean_test;
		sem_expr *a;
		int k = bt->booltesttype >= 1 && bt->booltesttype <= 6 ? (int) bt->booltesttype : 1;
		st = bind(b, bt->arg, &a, err);
		if (st == CM_OK)
			st = pl_coerce_bool(b, &a, names[k], err);
		if (st == CM_OK) {
			sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_BOOLTEST, (sem_type){SEM_BOOLOID, -1}, bt->location);
			e->u.test.arg = a;
			e->u.test.op = k - 1;
			*out = e;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		st = bind_case(b, n->case_expr, out, err);
		break;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR: {
		sem_expr **v;
		sem_type t;
		st = bind_list_common(b, n->coalesce_expr->args, n->coalesce_expr->n_args, "COALESCE", &v, &t, err);
		if (st == CM_OK) {
			sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_COALESCE, t, n->coalesce_expr->location);
			e->u.list.n = (int) n->coalesce_expr->n_args;
			e->u.list.items = v;
			*out = e;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR: {
		const PgQuery__MinMaxExpr *mm = n->min_max_expr;
		bool greatest = mm->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST;
		sem_expr **v;
		sem_type t;
		st = bind_list_common(b, mm->args, mm->n_args, greatest ? "GREATEST" : "LEAST", &v, &t, err);
		if (st == CM_OK) {
			sem_expr *e = sem_expr_new(b->arena, SEM_EXPR_MINMAX, t, mm->location);
			e->u.minmax.greatest = greatest;
			e->u.minmax.n = (int) mm->n_args;
			e->u.minmax.items = v;
			*out = e;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		st = bind_funccall(b, n->func_call, out, err);
		break;
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		st = bind_sqlvalue(b, n->sqlvalue_function, out, err);
		break;
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		st = bind_columnref(b, n->column_ref, out, err);
		break;
	case PG_QUERY__NODE__NODE_PARAM_REF:
		st = bind_param(b, n->param_ref, out, err);
		break;
	case PG_QUERY__NODE__NODE_SUB_LINK:
		if (b->scope) {
			st = pl_q_sublink(b, n->sub_link, out, err);
			break;
		}
		st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "subqueries are not supported here");
		at(err, n->sub_link->location);
		break;
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		st = pl_q_grouping(b, n->grouping_func, out, err);
		break;
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		st = bind_array_expr(b, n->a_array_expr, (sem_type){0, -1}, out, err);
		break;
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "row expressions are not supported yet");
		at(err, n->row_expr->location);
		break;
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {
		/* [vcat] array subscripts a[i] (one dimension, no slices): the
		 * built-in array_subscript(anyarray, int4) (sem_catfuncs.c) */
		const PgQuery__AIndirection *ai = n->a_indirection;
		sem_expr *cur;
		st = bind(b, ai->arg, &cur, err);
		for (size_t i = 0; st == CM_OK && i < ai->n_indirection; i++) {
			const PgQuery__Node *ind = ai->indirection[i];
			if (ind->node_case != PG_QUERY__NODE__NODE_A_INDICES || ind->a_indices->is_slice || !ind->a_indices->uidx) {
				st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this kind of indirection is not supported yet");
				break;
			}
			sem_expr **args = cm_new_array(b->arena, sem_expr *, 2);
			args[0] = cur;
			st = bind(b, ind->a_indices->uidx, &args[1], err);
			if (st == CM_OK)
				st = call_named(b, "array_subscript", false, 2, args, -1, &cur, err);
		}
		if (st == CM_OK)
			*out = cur;
		break;
	}
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE: {
		/* [vcat] COLLATE "default" / "C" / "POSIX" (optionally pg_catalog.):
		 * text compares by code point in pgkv, which is what all three mean
		 * here (psql's \d patterns use COLLATE pg_catalog.default) */
		const PgQuery__CollateClause *cc = n->collate_clause;
		const char *cn = cc->n_collname > 0 ? node_str(cc->collname[cc->n_collname - 1]) : NULL;
		bool qual_ok = cc->n_collname == 1 ||
					   (cc->n_collname == 2 && node_str(cc->collname[0]) && !strcmp(node_str(cc->collname[0]), "pg_catalog"));
		if (!cn || !qual_ok || (strcmp(cn, "default") && strcmp(cn, "C") && strcmp(cn, "POSIX"))) {
			st = cm_error_set(err, CM_E_UNDEFINED_OBJECT, "collation \"%s\" for encoding \"UTF8\" does not exist",
							  cn ? cn : "");
			at(err, cc->location);
			break;
		}
		st = bind(b, cc->arg, out, err);
		break;
	}
	default:
		st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "expression type %d is not supported yet",
						  (int) n->node_case);
		break;
	}
	b->depth--;
	return st;
}

cm_status pl_bind_node(pl_binder *b, const PgQuery__Node *n, sem_expr **out, cm_error *err)
{
	return bind(b, n, out, err);
}

/* unknown-typed outputs become text (resolveTargetListUnknowns) */
cm_status pl_resolve_unknown(pl_binder *b, sem_expr **pe, cm_error *err)
{
	if ((*pe)->type.oid != SEM_UNKNOWNOID)
		return CM_OK;
	return pl_coerce(b, pe, SEM_TEXTOID, -1, SEM_COERCE_IMPLICIT, false, err);
}

cm_status pl_bind_expr(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *node, const char *query,
					   pl_bind_env *env, sem_type target, sem_expr **out, cm_error *err)
{
	pl_binder b = {arena, ctx, query, env, 0};
	sem_expr *e;
	if (bind(&b, node, &e, err) != CM_OK)
		return CM_ERROR;
	if (target.oid == 0) {
		if (pl_resolve_unknown(&b, &e, err) != CM_OK)
			return CM_ERROR;
	} else if (e->type.oid != target.oid || (target.typmod >= 0 && e->type.typmod != target.typmod)) {
		if (!sem_can_coerce(e->type.oid, target.oid, SEM_COERCE_ASSIGNMENT)) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "expression is of type %s but target is of type %s",
						 tname(e->type.oid), tname(target.oid));
			cm_error_hint(err, "You will need to rewrite or cast the expression.");
			return at(err, e->location);
		}
		if (pl_coerce(&b, &e, target.oid, target.typmod, SEM_COERCE_ASSIGNMENT, false, err) != CM_OK)
			return CM_ERROR;
	}
	*out = e;
	return CM_OK;
}

/* ---- FigureColname ---------------------------------------------------------------- */

static int figure(const PgQuery__Node *n, const char **name)
{
	if (!n)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF: {
		const PgQuery__ColumnRef *c = n->column_ref;
		for (size_t i = c->n_fields; i > 0; i--) {
			const char *s = node_str(c->fields[i - 1]);
			if (s) {
				*name = s;
				return 2;
			}
		}
		return 0;
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const PgQuery__FuncCall *f = n->func_call;
		if (f->n_funcname > 0 && node_str(f->funcname[f->n_funcname - 1])) {
			*name = node_str(f->funcname[f->n_funcname - 1]);
			return 2;
		}
		return 0;
	}
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		*name = "grouping";
		return 2;
	case PG_QUERY__NODE__NODE_A_EXPR:
		if (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF) {
			*name = "nullif";
			return 2;
		}
		return 0;
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {	/* [vcat] a[i]: the name of a (fields: the last one) */
		const PgQuery__AIndirection *ai = n->a_indirection;
		for (size_t i = ai->n_indirection; i > 0; i--)
			if (node_str(ai->indirection[i - 1])) {
				*name = node_str(ai->indirection[i - 1]);
				return 2;
			}
		return figure(ai->arg, name);
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		int s = figure(n->type_cast->arg, name);
		if (s <= 1 && n->type_cast->type_name && n->type_cast->type_name->n_names > 0) {
			const PgQuery__TypeName *t = n->type_cast->type_name;
			const char *last = node_str(t->names[t->n_names - 1]);
			if (last) {
				*name = last;
				return 1;
			}
		}
		return s;
	}
	case PG_QUERY__NODE__NODE_CASE_EXPR: {
		int s = figure(n->case_expr->defresult, name);
		if (s <= 1) {
			*name = "case";
			return 1;
		}
		return s;
	}
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		*name = "array";
		return 2;
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		*name = "row";
		return 2;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		*name = "coalesce";
		return 2;
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		*name = n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "greatest" : "least";
		return 2;
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		switch (n->sqlvalue_function->op) {
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE: *name = "current_date"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME_N: *name = "current_time"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N: *name = "current_timestamp"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME_N: *name = "localtime"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N: *name = "localtimestamp"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE: *name = "current_role"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER: *name = "current_user"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER: *name = "user"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER: *name = "session_user"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG: *name = "current_catalog"; break;
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA: *name = "current_schema"; break;
		default: return 0;
		}
		return 2;
	case PG_QUERY__NODE__NODE_SUB_LINK:
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) {
			*name = "exists";
			return 2;
		}
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK) {
			*name = "array";
			return 2;
		}
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK && n->sub_link->subselect &&
			n->sub_link->subselect->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
			/* the subquery's output column name */
			const PgQuery__SelectStmt *q = n->sub_link->subselect->select_stmt;
			while (q->larg && q->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
				q = q->larg;
			if (q->n_values_lists > 0) {
				*name = "column1";
				return 2;
			}
			if (q->n_target_list > 0) {
				const PgQuery__ResTarget *rt = q->target_list[0]->res_target;
				*name = rt->name && rt->name[0] ? rt->name : pl_figure_colname(rt->val);
				return 2;
			}
		}
		return 0;
	default:
		return 0;
	}
}

const char *pl_figure_colname(const PgQuery__Node *node)
{
	const char *name = NULL;
	if (figure(node, &name) && name)
		return name;
	return "?column?";
}
