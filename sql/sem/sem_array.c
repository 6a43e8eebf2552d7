/*
 * sem_array.c -- one-dimensional arrays: text I/O, ordering, ARRAY[...],
 * op ANY/ALL (array), array functions and the set-returning function
 * signatures.  See sem_array.h.
 */
#include "sql/sem/sem_array.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

/* element OID, array OID: the arrays sem_type.c knows */
static const sem_oid array_map[][2] = {
	{SEM_BOOLOID, 1000}, {SEM_BYTEAOID, 1001}, {SEM_INT2OID, 1005}, {SEM_INT4OID, 1007},
	{SEM_TEXTOID, 1009}, {SEM_BPCHAROID, 1014}, {SEM_VARCHAROID, 1015}, {SEM_INT8OID, 1016},
	{SEM_FLOAT4OID, 1021}, {SEM_FLOAT8OID, 1022}, {SEM_OIDOID, 1028}, {SEM_TIMESTAMPOID, 1115},
	{SEM_DATEOID, 1182}, {SEM_TIMEOID, 1183}, {SEM_TIMESTAMPTZOID, 1185}, {SEM_INTERVALOID, 1187},
	{SEM_NUMERICOID, 1231}, {SEM_UUIDOID, 2951}, {SEM_NAMEOID, 1003},
};
#define NARRAYS (sizeof array_map / sizeof array_map[0])

sem_oid sem_array_elem_type(sem_oid array_oid)
{
	for (size_t i = 0; i < NARRAYS; i++)
		if (array_map[i][1] == array_oid)
			return array_map[i][0];
	return 0;
}

sem_oid sem_array_type_of(sem_oid elem_oid)
{
	for (size_t i = 0; i < NARRAYS; i++)
		if (array_map[i][0] == elem_oid)
			return array_map[i][1];
	return 0;
}

sem_array *sem_array_new(cm_arena *a, sem_oid elemtype, int n)
{
	sem_array *r = cm_new(a, sem_array);
	r->elemtype = elemtype;
	r->n = n;
	r->elems = cm_new_array(a, sem_datum, n > 0 ? n : 1);
	return r;
}

/* ---- text I/O ------------------------------------------------------------------- */

static cm_status malformed(cm_error *err, const char *s, size_t len, const char *detail)
{
	cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION, "malformed array literal: \"%.*s\"", (int) len, s);
	cm_error_detail(err, "%s", detail);
	return CM_ERROR;
}

cm_status sem_array_in(sem_ctx *ctx, sem_oid array_oid, const char *s, size_t len, sem_datum *out, cm_error *err)
{
	sem_oid et = sem_array_elem_type(array_oid);
	size_t i = 0;
	while (i < len && isspace((unsigned char) s[i]))
		i++;
	if (i < len && s[i] == '[')
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "array bounds are not supported");
	if (i >= len || s[i] != '{')
		return malformed(err, s, len, "Array value must start with \"{\" or dimension information.");
	i++;
	int cap = 8, n = 0;
	sem_datum *el = cm_new_array(ctx->arena, sem_datum, cap);
	cm_buf tok;
	cm_buf_init(&tok);
	bool first = true;
	cm_status st = CM_OK;
	for (;;) {
		while (i < len && isspace((unsigned char) s[i]))
			i++;
		if (i >= len) {
			st = malformed(err, s, len, "Unexpected end of input.");
			break;
		}
		if (s[i] == '}' && first) {
			i++;
			break;
		}
		if (s[i] == '{') {
			st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "multidimensional arrays are not supported");
			break;
		}
		tok.len = 0;
		bool quoted = false;
		if (s[i] == '"') {
			quoted = true;
			i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				cm_buf_putc(&tok, s[i]);
				i++;
			}
			if (i >= len) {
				st = malformed(err, s, len, "Unexpected end of input.");
				break;
			}
			i++;
		} else {
			size_t lastnon = 0;
			while (i < len && s[i] != ',' && s[i] != '}') {
				if (s[i] == '"' || s[i] == '{') {
					st = malformed(err, s, len, "Unexpected array element.");
					break;
				}
				if (s[i] == '\\' && i + 1 < len) {
					i++;
					cm_buf_putc(&tok, s[i++]);
					lastnon = tok.len;
					continue;
				}
				cm_buf_putc(&tok, s[i]);
				if (!isspace((unsigned char) s[i]))
					lastnon = tok.len;
				i++;
			}
			if (st != CM_OK)
				break;
			tok.len = lastnon;
			if (tok.len == 0) {
				st = malformed(err, s, len, "Unexpected \",\" character.");
				break;
			}
		}
		while (i < len && isspace((unsigned char) s[i]))
			i++;
		if (n == cap) {
			sem_datum *n2 = cm_new_array(ctx->arena, sem_datum, cap * 2);
			memcpy(n2, el, sizeof(sem_datum) * (size_t) cap);
			el = n2;
			cap *= 2;
		}
		if (!quoted && tok.len == 4 && strncasecmp(tok.data, "NULL", 4) == 0) {
			memset(&el[n], 0, sizeof el[n]);
			el[n].isnull = true;
		} else if (sem_in_text(ctx, (sem_type){et, -1}, tok.data ? tok.data : "", tok.len, &el[n], err) != CM_OK) {
			st = CM_ERROR;
			break;
		}
		n++;
		first = false;
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i < len && s[i] == '}') {
			i++;
			break;
		}
		st = malformed(err, s, len, "Unexpected array element.");
		break;
	}
	cm_buf_free(&tok);
	if (st != CM_OK)
		return CM_ERROR;
	while (i < len && isspace((unsigned char) s[i]))
		i++;
	if (i < len)
		return malformed(err, s, len, "Junk after closing right brace.");
	sem_array *a = sem_array_new(ctx->arena, et, n);
	memcpy(a->elems, el, sizeof(sem_datum) * (size_t) n);
	memset(out, 0, sizeof *out);
	out->v.arr = a;
	return CM_OK;
}

void sem_array_out(sem_ctx *ctx, sem_oid array_oid, const sem_datum *d, cm_buf *out)
{
	const sem_array *a = d->v.arr;
	cm_buf eb;
	cm_buf_init(&eb);
	cm_buf_putc(out, '{');
	for (int i = 0; i < a->n; i++) {
		if (i)
			cm_buf_putc(out, ',');
		if (a->elems[i].isnull) {
			cm_buf_puts(out, "NULL");
			continue;
		}
		eb.len = 0;
		sem_out_text(ctx, (sem_type){a->elemtype, -1}, &a->elems[i], &eb);
		bool q = eb.len == 0 || (eb.len == 4 && strncasecmp(eb.data, "NULL", 4) == 0);
		for (size_t k = 0; k < eb.len && !q; k++) {
			char c = eb.data[k];
			q = c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || isspace((unsigned char) c);
		}
		if (!q) {
			cm_buf_append(out, eb.data, eb.len);
			continue;
		}
		cm_buf_putc(out, '"');
		for (size_t k = 0; k < eb.len; k++) {
			if (eb.data[k] == '"' || eb.data[k] == '\\')
				cm_buf_putc(out, '\\');
			cm_buf_putc(out, eb.data[k]);
		}
		cm_buf_putc(out, '"');
	}
	cm_buf_putc(out, '}');
	cm_buf_free(&eb);
}

int sem_array_compare(sem_oid array_oid, const sem_datum *a, const sem_datum *b)
{
	const sem_array *x = a->v.arr, *y = b->v.arr;
	int n = x->n < y->n ? x->n : y->n;
	for (int i = 0; i < n; i++) {
		bool xn = x->elems[i].isnull, yn = y->elems[i].isnull;
		if (xn || yn) {
			if (xn && yn)
				continue;
			return xn ? 1 : -1;	/* NULLs sort after non-NULLs */
		}
		int c = sem_datum_compare(x->elemtype, &x->elems[i], &y->elems[i]);
		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n ? 1 : 0;
}

/* ---- expression callbacks ----------------------------------------------------- */

cm_status sem_array_construct_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out,
								 cm_error *err)
{
	sem_array *a = sem_array_new(ctx->arena, sem_array_elem_type(e->type.oid), e->u.ext.nargs);
	memcpy(a->elems, args, sizeof(sem_datum) * (size_t) e->u.ext.nargs);
	out->isnull = false;
	out->v.arr = a;
	return CM_OK;
}

cm_status sem_array_any_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err)
{
	const sem_array_anyop *ao = e->u.ext.arg;
	out->isnull = false;
	if (args[1].isnull) {
		out->isnull = true;
		return CM_OK;
	}
	const sem_array *a = args[1].v.arr;
	if (a->n == 0) {
		out->v.b = ao->all;
		return CM_OK;
	}
	if (args[0].isnull && (ao->op->flags & SEM_FN_STRICT)) {
		out->isnull = true;
		return CM_OK;
	}
	bool anynull = false;
	for (int i = 0; i < a->n; i++) {
		sem_datum r;
		memset(&r, 0, sizeof r);
		if (a->elems[i].isnull && (ao->op->flags & SEM_FN_STRICT))
			r.isnull = true;
		else {
			sem_datum v[2] = {args[0], a->elems[i]};
			if (ao->op->fn(ctx, 2, v, &r, err) != CM_OK)
				return CM_ERROR;
		}
		if (r.isnull)
			anynull = true;
		else if (r.v.b != ao->all) {
			out->v.b = !ao->all;
			return CM_OK;
		}
	}
	if (anynull)
		out->isnull = true;
	else
		out->v.b = ao->all;
	return CM_OK;
}

bool sem_array_cast_find(sem_oid from, sem_oid to, sem_coerce_context cctx, sem_array_castinfo *out)
{
	memset(out, 0, sizeof *out);
	out->from_elem = sem_array_elem_type(from);
	out->to_elem = sem_array_elem_type(to);
	if (!out->from_elem || !out->to_elem)
		return false;
	out->typmod = -1;
	out->is_explicit = cctx == SEM_COERCE_EXPLICIT;
	return sem_cast_find(out->from_elem, out->to_elem, cctx, &out->path);
}

cm_status sem_array_coerce_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err)
{
	const sem_array_castinfo *ci = e->u.ext.arg;
	if (args[0].isnull) {
		out->isnull = true;
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	sem_array *y = sem_array_new(ctx->arena, ci->to_elem, x->n);
	for (int i = 0; i < x->n; i++) {
		if (x->elems[i].isnull) {
			y->elems[i].isnull = true;
			continue;
		}
		if (sem_cast_exec(ctx, &ci->path, ci->from_elem, ci->to_elem, ci->typmod, ci->is_explicit, &x->elems[i],
						  &y->elems[i], err) != CM_OK)
			return CM_ERROR;
	}
	out->v.arr = y;
	return CM_OK;
}

/* ---- built-ins ------------------------------------------------------------------ */

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

static cm_status arr_eq(ARGS)
{
	out->v.b = args[0].v.arr->n == args[1].v.arr->n &&
			   sem_array_compare(0, &args[0], &args[1]) == 0;
	return CM_OK;
}
static cm_status arr_ne(ARGS)
{
	cm_status st = arr_eq(ctx, nargs, args, out, err);
	out->v.b = !out->v.b;
	return st;
}
static cm_status arr_lt(ARGS) { out->v.b = sem_array_compare(0, &args[0], &args[1]) < 0; return CM_OK; }
static cm_status arr_le(ARGS) { out->v.b = sem_array_compare(0, &args[0], &args[1]) <= 0; return CM_OK; }
static cm_status arr_gt(ARGS) { out->v.b = sem_array_compare(0, &args[0], &args[1]) > 0; return CM_OK; }
static cm_status arr_ge(ARGS) { out->v.b = sem_array_compare(0, &args[0], &args[1]) >= 0; return CM_OK; }

static cm_status arr_length(ARGS)
{
	if (args[1].v.i != 1 || args[0].v.arr->n == 0) {
		out->isnull = true;
		return CM_OK;
	}
	out->v.i = args[0].v.arr->n;
	return CM_OK;
}
static cm_status arr_cardinality(ARGS) { out->v.i = args[0].v.arr->n; return CM_OK; }

static cm_status arr_to_string(ARGS)
{
	if (args[0].isnull || args[1].isnull) {
		out->isnull = true;
		return CM_OK;
	}
	const sem_array *a = args[0].v.arr;
	cm_buf b;
	cm_buf_init(&b);
	bool any = false;
	for (int i = 0; i < a->n; i++) {
		const sem_datum *e = &a->elems[i];
		if (e->isnull) {
			if (nargs < 3 || args[2].isnull)
				continue;
			if (any)
				cm_buf_append(&b, args[1].v.s.p, args[1].v.s.len);
			cm_buf_append(&b, args[2].v.s.p, args[2].v.s.len);
			any = true;
			continue;
		}
		if (any)
			cm_buf_append(&b, args[1].v.s.p, args[1].v.s.len);
		sem_out_text(ctx, (sem_type){a->elemtype, -1}, e, &b);
		any = true;
	}
	sem_set_str(ctx->arena, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

static cm_status arr_append(ARGS)
{
	if (args[0].isnull) {
		out->isnull = true;	/* element type unknown at run time; PostgreSQL gives {x} */
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	int n = x ? x->n : 0;
	sem_array *a = sem_array_new(ctx->arena, x ? x->elemtype : 0, n + 1);
	if (n)
		memcpy(a->elems, x->elems, sizeof(sem_datum) * (size_t) n);
	a->elems[n] = args[1];
	out->v.arr = a;
	return CM_OK;
}

static cm_status arr_cat(ARGS)
{
	if (args[0].isnull || args[1].isnull) {
		*out = args[0].isnull ? args[1] : args[0];
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr, *y = args[1].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n + y->n);
	memcpy(a->elems, x->elems, sizeof(sem_datum) * (size_t) x->n);
	memcpy(a->elems + x->n, y->elems, sizeof(sem_datum) * (size_t) y->n);
	out->v.arr = a;
	return CM_OK;
}

static cm_status srf_stub(ARGS)
{
	return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "set-valued function called in context that cannot accept a set");
}

static void sem_array_register_aggregates(void);

#define ANYARR SEM_ANYARRAYOID
static const sem_builtin arr_rows[] = {
	{"=", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_eq},
	{"<>", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_ne},
	{"<", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_lt},
	{"<=", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_le},
	{">", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_gt},
	{">=", 2, {ANYARR, ANYARR}, SEM_BOOLOID, SEM_FN_STRICT, arr_ge},
	{"array_length", 2, {ANYARR, SEM_INT4OID}, SEM_INT4OID, SEM_FN_STRICT, arr_length},
	{"cardinality", 1, {ANYARR}, SEM_INT4OID, SEM_FN_STRICT, arr_cardinality},
	{"array_to_string", 2, {ANYARR, SEM_TEXTOID}, SEM_TEXTOID, SEM_FN_STRICT, arr_to_string},
	{"array_to_string", 3, {ANYARR, SEM_TEXTOID, SEM_TEXTOID}, SEM_TEXTOID, 0, arr_to_string},
	{"array_append", 2, {ANYARR, SEM_ANYELEMENTOID}, ANYARR, 0, arr_append},
	{"||", 2, {ANYARR, ANYARR}, ANYARR, 0, arr_cat},
	{"unnest", 1, {ANYARR}, SEM_ANYELEMENTOID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
};

void sem_array_register_builtins(void)
{
	sem_register_builtins(arr_rows, sizeof arr_rows / sizeof arr_rows[0]);
	static const sem_builtin srfs[] = {
		{"generate_series", 2, {SEM_INT4OID, SEM_INT4OID}, SEM_INT4OID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 3, {SEM_INT4OID, SEM_INT4OID, SEM_INT4OID}, SEM_INT4OID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 2, {SEM_INT8OID, SEM_INT8OID}, SEM_INT8OID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 3, {SEM_INT8OID, SEM_INT8OID, SEM_INT8OID}, SEM_INT8OID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 2, {SEM_NUMERICOID, SEM_NUMERICOID}, SEM_NUMERICOID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 3, {SEM_NUMERICOID, SEM_NUMERICOID, SEM_NUMERICOID}, SEM_NUMERICOID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 3, {SEM_TIMESTAMPOID, SEM_TIMESTAMPOID, SEM_INTERVALOID}, SEM_TIMESTAMPOID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
		{"generate_series", 3, {SEM_TIMESTAMPTZOID, SEM_TIMESTAMPTZOID, SEM_INTERVALOID}, SEM_TIMESTAMPTZOID, SEM_FN_STRICT | SEM_FN_VOLATILE, srf_stub},
	};
	sem_register_builtins(srfs, sizeof srfs / sizeof srfs[0]);
	sem_array_register_aggregates();
}

/* ---- aggregate and window function signatures ------------------------------------
 * Resolved by the planner (sql/plan) with the ordinary function rules; the
 * executor computes them (sql/exec/ex_agg.c).  Called as plain functions
 * they fail.
 */
static cm_status agg_stub(ARGS)
{
	return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "aggregate function calls are not allowed here");
}

#define AGG(n, a, r) {n, 1, {a}, r, SEM_FN_VOLATILE, agg_stub}
static const sem_builtin agg_rows[] = {
	AGG("count", SEM_ANYOID, SEM_INT8OID),
	AGG("sum", SEM_INT2OID, SEM_INT8OID), AGG("sum", SEM_INT4OID, SEM_INT8OID), AGG("sum", SEM_INT8OID, SEM_NUMERICOID),
	AGG("sum", SEM_FLOAT4OID, SEM_FLOAT4OID), AGG("sum", SEM_FLOAT8OID, SEM_FLOAT8OID),
	AGG("sum", SEM_NUMERICOID, SEM_NUMERICOID), AGG("sum", SEM_INTERVALOID, SEM_INTERVALOID),
	AGG("avg", SEM_INT2OID, SEM_NUMERICOID), AGG("avg", SEM_INT4OID, SEM_NUMERICOID), AGG("avg", SEM_INT8OID, SEM_NUMERICOID),
	AGG("avg", SEM_FLOAT4OID, SEM_FLOAT8OID), AGG("avg", SEM_FLOAT8OID, SEM_FLOAT8OID),
	AGG("avg", SEM_NUMERICOID, SEM_NUMERICOID), AGG("avg", SEM_INTERVALOID, SEM_INTERVALOID),
#define MM(t) AGG("min", t, t), AGG("max", t, t)
	MM(SEM_INT2OID), MM(SEM_INT4OID), MM(SEM_INT8OID), MM(SEM_FLOAT4OID), MM(SEM_FLOAT8OID), MM(SEM_NUMERICOID),
	MM(SEM_TEXTOID), MM(SEM_BPCHAROID), MM(SEM_DATEOID), MM(SEM_TIMEOID), MM(SEM_TIMESTAMPOID),
	MM(SEM_TIMESTAMPTZOID), MM(SEM_INTERVALOID), MM(SEM_OIDOID),
#define STAT(n) AGG(n, SEM_INT2OID, SEM_NUMERICOID), AGG(n, SEM_INT4OID, SEM_NUMERICOID), \
	AGG(n, SEM_INT8OID, SEM_NUMERICOID), AGG(n, SEM_NUMERICOID, SEM_NUMERICOID), \
	AGG(n, SEM_FLOAT4OID, SEM_FLOAT8OID), AGG(n, SEM_FLOAT8OID, SEM_FLOAT8OID)
	STAT("stddev"), STAT("stddev_samp"), STAT("stddev_pop"), STAT("variance"), STAT("var_samp"), STAT("var_pop"),
	AGG("bool_and", SEM_BOOLOID, SEM_BOOLOID), AGG("bool_or", SEM_BOOLOID, SEM_BOOLOID),
	AGG("every", SEM_BOOLOID, SEM_BOOLOID),
	{"string_agg", 2, {SEM_TEXTOID, SEM_TEXTOID}, SEM_TEXTOID, SEM_FN_VOLATILE, agg_stub},
#define REGR(n, r) {n, 2, {SEM_FLOAT8OID, SEM_FLOAT8OID}, r, SEM_FN_VOLATILE, agg_stub}
	REGR("corr", SEM_FLOAT8OID), REGR("covar_pop", SEM_FLOAT8OID), REGR("covar_samp", SEM_FLOAT8OID),
	REGR("regr_avgx", SEM_FLOAT8OID), REGR("regr_avgy", SEM_FLOAT8OID), REGR("regr_count", SEM_INT8OID),
	REGR("regr_intercept", SEM_FLOAT8OID), REGR("regr_r2", SEM_FLOAT8OID), REGR("regr_slope", SEM_FLOAT8OID),
	REGR("regr_sxx", SEM_FLOAT8OID), REGR("regr_sxy", SEM_FLOAT8OID), REGR("regr_syy", SEM_FLOAT8OID),
#undef REGR
	{"string_agg", 2, {SEM_BYTEAOID, SEM_BYTEAOID}, SEM_BYTEAOID, SEM_FN_VOLATILE, agg_stub},
	{"row_number", 0, {0}, SEM_INT8OID, SEM_FN_VOLATILE, agg_stub},
	{"rank", 0, {0}, SEM_INT8OID, SEM_FN_VOLATILE, agg_stub},
	{"dense_rank", 0, {0}, SEM_INT8OID, SEM_FN_VOLATILE, agg_stub},
	{"percent_rank", 0, {0}, SEM_FLOAT8OID, SEM_FN_VOLATILE, agg_stub},
	{"cume_dist", 0, {0}, SEM_FLOAT8OID, SEM_FN_VOLATILE, agg_stub},
	{"ntile", 1, {SEM_INT4OID}, SEM_INT4OID, SEM_FN_VOLATILE, agg_stub},
};

static sem_builtin arrayagg_rows[NARRAYS];

static void sem_array_register_aggregates(void)
{
	sem_register_builtins(agg_rows, sizeof agg_rows / sizeof agg_rows[0]);
	for (size_t i = 0; i < NARRAYS; i++) {
		sem_builtin r = {"array_agg", 1, {array_map[i][0]}, array_map[i][1], SEM_FN_VOLATILE, agg_stub};
		arrayagg_rows[i] = r;
	}
	sem_register_builtins(arrayagg_rows, NARRAYS);
}
