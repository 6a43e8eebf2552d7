/*
 * sem_arrfuncs.c -- array functions and operators beyond the basics of
 * sem_array.c: array_prepend, array_cat, anyarray || anyelement and
 * anyelement || anyarray, array_dims, array_positions, array_remove,
 * array_replace, trim_array, string_to_array and the containment operators
 * @> <@ &&.
 *
 * Arrays are one-dimensional with lower bound 1 (sem_array.h).  Elements
 * are compared with sem_datum_compare(), i.e. the element type's btree
 * equality, as PostgreSQL's array functions use the type's "=" operator.
 * A NULL element equals NULL in array_position(s)/remove/replace (they use
 * IS NOT DISTINCT FROM) but never matches in @> <@ && (PostgreSQL's
 * array_contain_compare).
 *
 * Exported: sem_register_arr_builtins() (sem_builtins.h).
 */
#include <stdio.h>
#include <string.h>

#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

#define INT4ARRAYOID 1007
#define TEXTARRAYOID 1009

static void set_null(sem_datum *out)
{
	memset(out, 0, sizeof *out);
	out->isnull = true;
}

static void ret_arr(sem_datum *out, sem_array *a)
{
	memset(out, 0, sizeof *out);
	out->v.arr = a;
}

/* IS NOT DISTINCT FROM for two elements of type t */
static bool not_distinct(sem_oid t, const sem_datum *a, const sem_datum *b)
{
	if (a->isnull || b->isnull)
		return a->isnull && b->isnull;
	return sem_datum_compare(t, a, b) == 0;
}

/* array_prepend(x, arr) and x || arr.  A NULL array gives NULL (its element
 * type is not known at run time; PostgreSQL gives {x}). */
static cm_status f_prepend(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[1].isnull) {
		set_null(out);
		return CM_OK;
	}
	const sem_array *x = args[1].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n + 1);
	a->elems[0] = args[0];
	if (x->n)
		memcpy(a->elems + 1, x->elems, sizeof(sem_datum) * (size_t) x->n);
	ret_arr(out, a);
	return CM_OK;
}

/* arr || x (array_append semantics) */
static cm_status f_append(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n + 1);
	if (x->n)
		memcpy(a->elems, x->elems, sizeof(sem_datum) * (size_t) x->n);
	a->elems[x->n] = args[1];
	ret_arr(out, a);
	return CM_OK;
}

/* array_cat(a, b): NULL operands are ignored (both NULL: NULL). */
static cm_status f_cat(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[0].isnull || args[1].isnull) {
		*out = args[0].isnull ? args[1] : args[0];
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr, *y = args[1].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n + y->n);
	if (x->n)
		memcpy(a->elems, x->elems, sizeof(sem_datum) * (size_t) x->n);
	if (y->n)
		memcpy(a->elems + x->n, y->elems, sizeof(sem_datum) * (size_t) y->n);
	ret_arr(out, a);
	return CM_OK;
}

/* array_dims(arr): '[1:n]', NULL for an empty array */
static cm_status f_dims(ARGS)
{
	(void) nargs;
	(void) err;
	const sem_array *a = args[0].v.arr;
	if (a->n == 0) {
		set_null(out);
		return CM_OK;
	}
	char buf[32];
	int k = snprintf(buf, sizeof buf, "[1:%d]", a->n);
	sem_set_str(ctx->arena, out, buf, (size_t) k);
	return CM_OK;
}

/* array_positions(arr, x): int4[] of every position of x (NULL finds NULLs) */
static cm_status f_positions(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	int k = 0;
	for (int i = 0; i < x->n; i++)
		if (not_distinct(x->elemtype, &x->elems[i], &args[1]))
			k++;
	sem_array *a = sem_array_new(ctx->arena, SEM_INT4OID, k);
	k = 0;
	for (int i = 0; i < x->n; i++)
		if (not_distinct(x->elemtype, &x->elems[i], &args[1])) {
			a->elems[k].isnull = false;
			a->elems[k++].v.i = i + 1;
		}
	ret_arr(out, a);
	return CM_OK;
}

/* array_remove(arr, x) / array_replace(arr, x, y) */
static cm_status f_remove(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n);
	int k = 0;
	for (int i = 0; i < x->n; i++)
		if (!not_distinct(x->elemtype, &x->elems[i], &args[1]))
			a->elems[k++] = x->elems[i];
	a->n = k;
	ret_arr(out, a);
	return CM_OK;
}

static cm_status f_replace(ARGS)
{
	(void) nargs;
	(void) err;
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	const sem_array *x = args[0].v.arr;
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n);
	for (int i = 0; i < x->n; i++)
		a->elems[i] = not_distinct(x->elemtype, &x->elems[i], &args[1]) ? args[2] : x->elems[i];
	ret_arr(out, a);
	return CM_OK;
}

/* trim_array(arr, n): drop the last n elements */
static cm_status f_trim_array(ARGS)
{
	(void) nargs;
	const sem_array *x = args[0].v.arr;
	int64_t n = args[1].v.i;
	if (n < 0 || n > x->n)
		return cm_error_set(err, "2202E" /* array_subscript_error */,
							"number of elements to trim must be between 0 and %d", x->n);
	sem_array *a = sem_array_new(ctx->arena, x->elemtype, x->n - (int) n);
	if (a->n)
		memcpy(a->elems, x->elems, sizeof(sem_datum) * (size_t) a->n);
	ret_arr(out, a);
	return CM_OK;
}

/* Does every non-NULL-matching element of a occur in b?  (any: some element) */
static bool contains(const sem_array *a, const sem_array *b, bool any)
{
	for (int i = 0; i < a->n; i++) {
		bool found = false;
		if (!a->elems[i].isnull)
			for (int j = 0; j < b->n && !found; j++)
				found = !b->elems[j].isnull && sem_datum_compare(a->elemtype, &a->elems[i], &b->elems[j]) == 0;
		if (any && found)
			return true;
		if (!any && !found)
			return false;
	}
	return !any;
}

static cm_status ret_b(sem_datum *out, bool v)
{
	memset(out, 0, sizeof *out);
	out->v.b = v;
	return CM_OK;
}

static cm_status f_contains(ARGS)
{
	(void) ctx; (void) nargs; (void) err;
	return ret_b(out, contains(args[1].v.arr, args[0].v.arr, false));
}
static cm_status f_contained(ARGS)
{
	(void) ctx; (void) nargs; (void) err;
	return ret_b(out, contains(args[0].v.arr, args[1].v.arr, false));
}
static cm_status f_overlap(ARGS)
{
	(void) ctx; (void) nargs; (void) err;
	return ret_b(out, contains(args[0].v.arr, args[1].v.arr, true));
}

/*
 * string_to_array(str, delim [, null_string]): split at every occurrence
 * of delim; a NULL delim splits into characters, an empty one gives the
 * whole string; an empty str gives {}.  Fields equal to null_string become
 * NULL.
 */
static cm_status f_string_to_array(ARGS)
{
	(void) err;
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	const char *s = args[0].v.s.p;
	size_t n = args[0].v.s.len;
	bool ends_with_delim = false;
	const sem_datum *nullstr = nargs > 2 && !args[2].isnull ? &args[2] : NULL;
	/* fields: at most one per byte, plus one */
	sem_datum *v = cm_alloc(ctx->arena, sizeof(sem_datum) * (n + 1));
	int k = 0;
	size_t i = 0;
	while (i < n || (k > 0 && i == n && !args[1].isnull && args[1].v.s.len > 0 && ends_with_delim)) {
		size_t flen, next;
		if (args[1].isnull) {
			flen = (size_t) sem_utf8_seqlen((unsigned char) s[i]);
			if (i + flen > n)
				flen = n - i;
			next = i + flen;
		} else if (args[1].v.s.len == 0) {
			flen = n;
			next = n;
		} else {
			const char *d = args[1].v.s.p;
			size_t dl = args[1].v.s.len, j = i;
			while (j + dl <= n && memcmp(s + j, d, dl) != 0)
				j += (size_t) sem_utf8_seqlen((unsigned char) s[j]);
			if (j + dl > n) {
				flen = n - i;
				next = n;
				ends_with_delim = false;
			} else {
				flen = j - i;
				next = j + dl;
				ends_with_delim = next == n;
			}
		}
		if (nullstr && nullstr->v.s.len == flen && memcmp(nullstr->v.s.p, s + i, flen) == 0) {
			memset(&v[k], 0, sizeof v[k]);
			v[k].isnull = true;
		} else
			sem_set_str(ctx->arena, &v[k], s + i, flen);
		k++;
		if (i == n)
			break;	/* the empty field after a trailing delimiter */
		i = next;
	}
	sem_array *a = sem_array_new(ctx->arena, SEM_TEXTOID, k);
	if (k)
		memcpy(a->elems, v, sizeof(sem_datum) * (size_t) k);
	ret_arr(out, a);
	return CM_OK;
}

#define S SEM_FN_STRICT
#define ANYARR SEM_ANYARRAYOID
#define ANYEL SEM_ANYELEMENTOID
#define TX SEM_TEXTOID
#define BO SEM_BOOLOID

static const sem_builtin arrfunc_rows[] = {
	{"array_prepend", 2, {ANYEL, ANYARR}, ANYARR, 0, f_prepend},
	{"array_cat", 2, {ANYARR, ANYARR}, ANYARR, 0, f_cat},
	{"||", 2, {ANYARR, ANYEL}, ANYARR, 0, f_append},
	{"||", 2, {ANYEL, ANYARR}, ANYARR, 0, f_prepend},
	{"array_dims", 1, {ANYARR}, TX, S, f_dims},
	{"array_positions", 2, {ANYARR, ANYEL}, INT4ARRAYOID, 0, f_positions},
	{"array_remove", 2, {ANYARR, ANYEL}, ANYARR, 0, f_remove},
	{"array_replace", 3, {ANYARR, ANYEL, ANYEL}, ANYARR, 0, f_replace},
	{"trim_array", 2, {ANYARR, SEM_INT4OID}, ANYARR, S, f_trim_array},
	{"@>", 2, {ANYARR, ANYARR}, BO, S, f_contains},
	{"<@", 2, {ANYARR, ANYARR}, BO, S, f_contained},
	{"&&", 2, {ANYARR, ANYARR}, BO, S, f_overlap},
	{"string_to_array", 2, {TX, TX}, TEXTARRAYOID, 0, f_string_to_array},
	{"string_to_array", 3, {TX, TX, TX}, TEXTARRAYOID, 0, f_string_to_array},
};

void sem_register_arr_builtins(void)
{
	sem_register_builtins(arrfunc_rows, sizeof arrfunc_rows / sizeof arrfunc_rows[0]);
}
