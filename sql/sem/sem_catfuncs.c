/*
 * sem_catfuncs.c -- built-ins of the system catalogs and the reg* types'
 * text I/O.  See sem_catfuncs.h.
 *
 * Functions that need the catalog forward to sem_ctx.catalog->catfunc
 * (sql/catalog/vcat_funcs.c) and otherwise answer as for an empty catalog.
 * Functions that need nothing but their arguments (format_type,
 * pg_size_pretty, quote_ident, array_upper ...) are computed here.
 *
 * Exported: sem_cat_register_builtins, sem_reg_in, sem_reg_out,
 * sem_func_returns_set.
 */
#include "sql/sem/sem_catfuncs.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

static bool have_catalog(const sem_ctx *ctx)
{
	return ctx && ctx->catalog && ctx->catalog->catfunc;
}

static cm_status catcall(sem_ctx *ctx, sem_catfn fn, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	return ctx->catalog->catfunc(ctx->catalog_arg, ctx, fn, nargs, args, out, err);
}

static void set_text(sem_ctx *ctx, sem_datum *out, const char *s)
{
	sem_set_str(ctx->arena, out, s, strlen(s));
}

static void set_null(sem_datum *out)
{
	memset(out, 0, sizeof *out);
	out->isnull = true;
}

static char *cstr(sem_ctx *ctx, const sem_datum *d)
{
	return cm_strndup(ctx->arena, d->v.s.p, d->v.s.len);
}

/* ---- reg* types ---------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return true;
}

int
sem_split_qualified_name(cm_arena *a, const char *s, size_t len, bool spaces_in_words, char **parts, int max)
{
	int n = 0;
	size_t i = 0;
	while (n < max) {
		cm_buf b;
		cm_buf_init(&b);
		while (i < len && isspace((unsigned char) s[i]))
			i++;
		if (i < len && s[i] == '"') {
			i++;
			while (i < len) {
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						cm_buf_putc(&b, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				cm_buf_putc(&b, s[i++]);
			}
		} else {
			while (i < len && s[i] != '.' && (spaces_in_words || !isspace((unsigned char) s[i])))
				cm_buf_putc(&b, (char) tolower((unsigned char) s[i++]));
			while (b.len > 0 && isspace((unsigned char) b.data[b.len - 1]))
				b.len--;
		}
		while (i < len && isspace((unsigned char) s[i]))
			i++;
		parts[n++] = cm_strndup(a, b.data ? b.data : "", b.len);
		cm_buf_free(&b);
		if (i < len && s[i] == '.')
			i++;
		else
			break;
	}
	if (n == 0 || i != len || parts[n - 1][0] == '\0')
		return -1;
	return n;
}

/* regtype input without a catalog: built-in type names, typmods, [] suffix. */
static cm_status regtype_in(sem_ctx *ctx, const char *s, size_t len, sem_datum *out, cm_error *err)
{
	char *t = cm_strndup(ctx->arena, s, len);
	char *e = t + strlen(t);
	while (e > t && isspace((unsigned char) e[-1]))
		*--e = '\0';
	while (*t && isspace((unsigned char) *t))
		t++;
	bool array = false;
	if (e - t > 2 && strcmp(e - 2, "[]") == 0) {
		array = true;
		e[-2] = '\0';
	}
	/* drop a typmod "(…)" -- regtype ignores it */
	char *paren = strchr(t, '(');
	if (paren) {
		char *close = strchr(paren, ')');
		if (close)
			memmove(paren, close + 1, strlen(close + 1) + 1);
	}
	char *parts[3];
	int np = sem_split_qualified_name(ctx->arena, t, strlen(t), true, parts, 3);
	sem_oid oid = 0;
	if (np == 1 || (np == 2 && strcmp(parts[0], "pg_catalog") == 0)) {
		const char *nm = parts[np - 1];
		oid = sem_type_lookup_name(nm);
		if (!oid && nm[0] == '_') {
			sem_oid el = sem_type_lookup_name(nm + 1);
			const sem_typeinfo *ti = el ? sem_type_info(el) : NULL;
			oid = ti ? ti->array_oid : 0;
		}
		if (!oid) {
			/* pseudo-types are valid regtype inputs */
			static const char *const pseudo[] = {"any", "anyelement", "anynonarray", "anyarray", "void", "record"};
			static const sem_oid poid[] = {2276, 2283, 2776, 2277, SEM_VOIDOID, SEM_RECORDOID};
			for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
				if (strcmp(nm, pseudo[i]) == 0)
					oid = poid[i];
		}
	}
	if (oid && array) {
		const sem_typeinfo *ti = sem_type_info(oid);
		oid = ti ? ti->array_oid : 0;
	}
	if (!oid)
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "type \"%.*s\" does not exist", (int) len, s);
	out->isnull = false;
	out->v.i = oid;
	return CM_OK;
}

cm_status sem_reg_in(sem_ctx *ctx, sem_oid regtype, const char *s, size_t len, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	size_t b = 0, e = len;
	while (b < e && isspace((unsigned char) s[b]))
		b++;
	while (e > b && isspace((unsigned char) s[e - 1]))
		e--;
	if (all_digits(s + b, e - b))
		return sem_int_in(s, len, SEM_OIDOID, &out->v.i, err);
	if (e - b == 1 && s[b] == '-') {	/* '-' is the zero OID */
		out->v.i = 0;
		return CM_OK;
	}
	if (have_catalog(ctx)) {
		sem_datum a[2];
		memset(a, 0, sizeof a);
		a[0].v.i = regtype;
		a[1].v.s.p = s + b;
		a[1].v.s.len = (uint32_t) (e - b);
		if (regtype == SEM_REGTYPEOID && regtype_in(ctx, s + b, e - b, out, err) == CM_OK)
			return CM_OK;
		cm_error_clear(err);
		if (catcall(ctx, SEM_CATFN_REG_IN, 2, a, out, err) != CM_OK)
			return CM_ERROR;
		out->isnull = false;
		return CM_OK;
	}
	switch (regtype) {
	case SEM_REGTYPEOID:
		return regtype_in(ctx, s + b, e - b, out, err);
	case SEM_REGCLASSOID:
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%.*s\" does not exist", (int) (e - b), s + b);
	case SEM_REGPROCOID:
		return cm_error_set(err, CM_E_UNDEFINED_FUNCTION, "function \"%.*s\" does not exist", (int) (e - b), s + b);
	case SEM_REGNAMESPACEOID:
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "schema \"%.*s\" does not exist", (int) (e - b), s + b);
	default:
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "role \"%.*s\" does not exist", (int) (e - b), s + b);
	}
}

void sem_reg_out(sem_ctx *ctx, sem_oid regtype, const sem_datum *d, cm_buf *out)
{
	uint32_t oid = (uint32_t) d->v.i;
	if (oid == 0 && regtype != SEM_REGCLASSOID && regtype != SEM_REGTYPEOID) {
		cm_buf_putc(out, '-');
		return;
	}
	if (oid == 0) {
		cm_buf_putc(out, '-');
		return;
	}
	if (regtype == SEM_REGTYPEOID && sem_type_info(oid)) {
		cm_buf_puts(out, sem_type_name(oid));
		return;
	}
	if (have_catalog(ctx) && ctx->arena) {
		sem_datum a[2], r;
		memset(a, 0, sizeof a);
		a[0].v.i = regtype;
		a[1].v.i = oid;
		cm_error err = {0};
		if (catcall(ctx, SEM_CATFN_REG_OUT, 2, a, &r, &err) == CM_OK && !r.isnull) {
			cm_buf_append(out, r.v.s.p, r.v.s.len);
			return;
		}
		cm_error_clear(&err);
	}
	cm_buf_printf(out, "%u", (unsigned) oid);
}

/* ---- functions answered here ---------------------------------------------------------- */

static cm_status f_format_type(ARGS)
{
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	sem_oid oid = (sem_oid) args[0].v.i;
	int32_t typmod = args[1].isnull ? -1 : (int32_t) args[1].v.i;
	const sem_typeinfo *ti = sem_type_info(oid);
	char buf[128];
	if (!ti) {
		set_text(ctx, out, "???");
		return CM_OK;
	}
	sem_oid el = ti->category == 'A' ? sem_array_elem_type(oid) : 0;
	if (el) {
		sem_format_type(el, typmod, buf, sizeof buf - 2);
		strcat(buf, "[]");
	} else
		sem_format_type(oid, typmod, buf, sizeof buf);
	set_text(ctx, out, buf);
	return CM_OK;
}

static cm_status f_encoding_to_char(ARGS)
{
	static const char *const enc[] = {"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8"};
	int64_t e = args[0].v.i;
	sem_set_str(ctx->arena, out, e >= 0 && e < 7 ? enc[e] : "", e >= 0 && e < 7 ? strlen(enc[e]) : 0);
	return CM_OK;
}

static cm_status f_char_to_encoding(ARGS)
{
	out->isnull = false;
	char *s = cstr(ctx, &args[0]);
	out->v.i = strcasecmp(s, "UTF8") == 0 || strcasecmp(s, "UTF-8") == 0 ? 6 : strcasecmp(s, "SQL_ASCII") == 0 ? 0 : -1;
	return CM_OK;
}

/* PostgreSQL 15's pg_size_pretty(bigint). */
static cm_status f_size_pretty(ARGS)
{
	static const struct {
		const char *name;
		int64_t limit;
		bool round;
		int bits;
	} units[] = {
		{"bytes", 10 * 1024, false, 0}, {"kB", 20 * 1024 - 1, true, 10}, {"MB", 20 * 1024 - 1, true, 20},
		{"GB", 20 * 1024 - 1, true, 30}, {"TB", 20 * 1024 - 1, true, 40}, {"PB", 20 * 1024 - 1, true, 50},
	};
	int64_t size = args[0].v.i;
	char buf[64];
	size_t nu = sizeof units / sizeof units[0];
	for (size_t u = 0; u < nu; u++) {
		int64_t abs = size < 0 ? -size : size;
		if (u + 1 == nu || abs < units[u].limit) {
			if (units[u].round)
				size = (size + (size < 0 ? -1 : 1)) / 2;
			snprintf(buf, sizeof buf, "%lld %s", (long long) size, units[u].name);
			break;
		}
		int bits = units[u + 1].bits - units[u].bits - (units[u + 1].round ? 1 : 0) + (units[u].round ? 1 : 0);
		size /= ((int64_t) 1) << bits;
	}
	set_text(ctx, out, buf);
	return CM_OK;
}

/* Reserved and column-name keywords that quote_ident must quote (PostgreSQL's
 * ScanKeywords minus the unreserved ones), the common subset. */
static const char *const reserved_kw[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
	"bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "coalesce",
	"collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
	"current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user",
	"dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
	"extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant", "greatest",
	"group", "grouping", "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect",
	"interval", "into", "is", "isnull", "join", "lateral", "leading", "least", "left", "like", "limit",
	"localtime", "localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull",
	"null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay",
	"placing", "position", "precision", "primary", "real", "references", "returning", "right", "row",
	"select", "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric", "system_user",
	"table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union",
	"unique", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where", "window", "with",
	"xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi",
	"xmlroot", "xmlserialize", "xmltable",
};

void sem_quote_ident(const char *s, size_t n, cm_buf *b)
{
	bool safe = n > 0 && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');
	for (size_t i = 0; safe && i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			safe = false;
	for (size_t i = 0; safe && i < sizeof reserved_kw / sizeof reserved_kw[0]; i++)
		if (strlen(reserved_kw[i]) == n && memcmp(s, reserved_kw[i], n) == 0)
			safe = false;
	if (safe) {
		cm_buf_append(b, s, n);
		return;
	}
	cm_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			cm_buf_putc(b, '"');
		cm_buf_putc(b, s[i]);
	}
	cm_buf_putc(b, '"');
}

static cm_status f_quote_ident(ARGS)
{
	cm_buf b;
	cm_buf_init(&b);
	sem_quote_ident(args[0].v.s.p, args[0].v.s.len, &b);
	sem_set_str(ctx->arena, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

/* ---- arrays ----------------------------------------------------------------------------- */

static cm_status f_array_upper(ARGS)
{
	const sem_array *a = args[0].v.arr;
	if (args[1].v.i != 1 || !a || a->n == 0) {
		set_null(out);
		return CM_OK;
	}
	out->isnull = false;
	out->v.i = a->n;
	return CM_OK;
}

static cm_status f_array_lower(ARGS)
{
	const sem_array *a = args[0].v.arr;
	if (args[1].v.i != 1 || !a || a->n == 0) {
		set_null(out);
		return CM_OK;
	}
	out->isnull = false;
	out->v.i = 1;
	return CM_OK;
}

static cm_status f_array_ndims(ARGS)
{
	const sem_array *a = args[0].v.arr;
	if (!a || a->n == 0) {
		set_null(out);
		return CM_OK;
	}
	out->isnull = false;
	out->v.i = 1;
	return CM_OK;
}

/* array_position(anyarray, anyelement [, int4 start]): IS NOT DISTINCT FROM. */
static cm_status f_array_position(ARGS)
{
	set_null(out);
	if (args[0].isnull)
		return CM_OK;
	const sem_array *a = args[0].v.arr;
	int start = 1;
	if (nargs > 2) {
		if (args[2].isnull)
			return cm_error_set(err, CM_E_NULL_VALUE_NOT_ALLOWED, "initial position must not be null");
		start = (int) args[2].v.i;
	}
	for (int i = start < 1 ? 0 : start - 1; i < a->n; i++) {
		const sem_datum *e = &a->elems[i];
		bool eq = e->isnull || args[1].isnull ? e->isnull && args[1].isnull
											  : sem_datum_compare(a->elemtype, e, &args[1]) == 0;
		if (eq) {
			out->isnull = false;
			out->v.i = i + 1;
			return CM_OK;
		}
	}
	return CM_OK;
}

/* a[i]: the binder's translation of a subscript (NULL out of bounds). */
static cm_status f_array_subscript(ARGS)
{
	const sem_array *a = args[0].v.arr;
	int64_t i = args[1].v.i;
	if (!a || i < 1 || i > a->n) {
		set_null(out);
		return CM_OK;
	}
	*out = a->elems[i - 1];
	return CM_OK;
}

/* generate_subscripts(anyarray, int4 [, bool reverse]): SETOF int4, as an array of rows. */
static cm_status f_generate_subscripts(ARGS)
{
	const sem_array *a = args[0].v.arr;
	int n = args[1].v.i == 1 && a ? a->n : 0;
	bool rev = nargs > 2 && args[2].v.b;
	sem_array *r = sem_array_new(ctx->arena, SEM_INT4OID, n);
	for (int i = 0; i < n; i++)
		r->elems[i].v.i = rev ? n - i : i + 1;
	out->isnull = false;
	out->v.arr = r;
	return CM_OK;
}

/* ---- forwarded to the catalog ----------------------------------------------------------- */

static cm_status fwd_or_false(ARGS, sem_catfn fn)
{
	if (have_catalog(ctx))
		return catcall(ctx, fn, nargs, args, out, err);
	out->isnull = false;
	out->v.b = false;
	return CM_OK;
}

static cm_status fwd_or_null(ARGS, sem_catfn fn)
{
	if (have_catalog(ctx))
		return catcall(ctx, fn, nargs, args, out, err);
	set_null(out);
	return CM_OK;
}

static cm_status f_table_is_visible(ARGS) { return fwd_or_false(ctx, nargs, args, out, err, SEM_CATFN_TABLE_IS_VISIBLE); }
static cm_status f_type_is_visible(ARGS)
{
	if (!have_catalog(ctx)) {
		out->isnull = false;
		out->v.b = sem_type_info((sem_oid) args[0].v.i) != NULL;
		return CM_OK;
	}
	return catcall(ctx, SEM_CATFN_TYPE_IS_VISIBLE, nargs, args, out, err);
}
static cm_status f_function_is_visible(ARGS) { return fwd_or_false(ctx, nargs, args, out, err, SEM_CATFN_FUNCTION_IS_VISIBLE); }

static cm_status f_get_userbyid(ARGS)
{
	if (have_catalog(ctx))
		return catcall(ctx, SEM_CATFN_GET_USERBYID, nargs, args, out, err);
	char buf[64];
	snprintf(buf, sizeof buf, "unknown (OID=%u)", (unsigned) args[0].v.i);
	set_text(ctx, out, buf);
	return CM_OK;
}

static cm_status f_get_indexdef(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_GET_INDEXDEF); }
static cm_status f_get_constraintdef(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_GET_CONSTRAINTDEF); }
static cm_status f_get_serial_sequence(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_GET_SERIAL_SEQUENCE); }
static cm_status f_get_function_result(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_GET_FUNCTION_RESULT); }
static cm_status f_get_function_arguments(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_GET_FUNCTION_ARGUMENTS); }
static cm_status f_obj_description(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_OBJ_DESCRIPTION); }
static cm_status f_col_description(ARGS) { return fwd_or_null(ctx, nargs, args, out, err, SEM_CATFN_COL_DESCRIPTION); }

static cm_status f_null(ARGS)
{
	set_null(out);
	return CM_OK;
}

static cm_status f_false(ARGS)
{
	out->isnull = false;
	out->v.b = false;
	return CM_OK;
}

static cm_status f_true(ARGS)
{
	out->isnull = false;
	out->v.b = true;
	return CM_OK;
}

static cm_status f_empty_text(ARGS)
{
	set_text(ctx, out, "");
	return CM_OK;
}

static cm_status f_relation_size(ARGS)
{
	if (have_catalog(ctx))
		return catcall(ctx, SEM_CATFN_RELATION_SIZE, nargs, args, out, err);
	out->isnull = false;
	out->v.i = 0;
	return CM_OK;
}

/* pg_get_expr(expr, relid [, pretty]): pgkv stores expressions as their
 * source text (pg_attrdef.adbin, pg_constraint.conbin), so this returns it. */
static cm_status f_get_expr(ARGS)
{
	if (args[0].isnull) {
		set_null(out);
		return CM_OK;
	}
	*out = args[0];
	return CM_OK;
}

/* pg_partition_ancestors(regclass): pgkv has no partitions, so no rows (a
 * plain table has no ancestors in PostgreSQL either). */
static cm_status f_partition_ancestors(ARGS)
{
	out->isnull = false;
	out->v.arr = sem_array_new(ctx->arena, SEM_REGCLASSOID, 0);
	return CM_OK;
}

static cm_status f_current_schemas(ARGS)
{
	if (have_catalog(ctx))
		return catcall(ctx, SEM_CATFN_CURRENT_SCHEMAS, nargs, args, out, err);
	/* no catalog: pg_catalog (when asked) then the first search_path schema */
	sem_array *a = sem_array_new(ctx->arena, SEM_NAMEOID, 2);
	a->n = 0;
	if (args[0].v.b)
		sem_set_str(ctx->arena, &a->elems[a->n++], "pg_catalog", 10);
	if (ctx->search_path_first)
		sem_set_str(ctx->arena, &a->elems[a->n++], ctx->search_path_first, strlen(ctx->search_path_first));
	out->isnull = false;
	out->v.arr = a;
	return CM_OK;
}

/* to_regclass(text) & co.: the reg* input, NULL instead of an error. */
static cm_status to_reg(sem_ctx *ctx, sem_oid t, const sem_datum *arg, sem_datum *out)
{
	cm_error e = {0};
	if (sem_reg_in(ctx, t, arg->v.s.p, arg->v.s.len, out, &e) != CM_OK) {
		cm_error_clear(&e);
		set_null(out);
	}
	return CM_OK;
}
static cm_status f_to_regclass(ARGS) { return to_reg(ctx, SEM_REGCLASSOID, &args[0], out); }
static cm_status f_to_regtype(ARGS) { return to_reg(ctx, SEM_REGTYPEOID, &args[0], out); }
static cm_status f_to_regproc(ARGS) { return to_reg(ctx, SEM_REGPROCOID, &args[0], out); }
static cm_status f_to_regnamespace(ARGS) { return to_reg(ctx, SEM_REGNAMESPACEOID, &args[0], out); }
static cm_status f_to_regrole(ARGS) { return to_reg(ctx, SEM_REGROLEOID, &args[0], out); }

/* txid_current(): a 64-bit number fixed for the transaction (pgkv has no
 * xids; derived from the transaction's start time, so it grows). */
static cm_status f_txid_current(ARGS)
{
	out->isnull = false;
	out->v.i = (ctx->txn_timestamp / 1000) & INT64_C(0x7fffffffffff);
	return CM_OK;
}

static int64_t start_time_us;

static void note_start_time(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* microseconds since 2000-01-01 00:00:00 UTC */
	start_time_us = ((int64_t) ts.tv_sec - INT64_C(946684800)) * 1000000 + ts.tv_nsec / 1000;
}

static cm_status f_postmaster_start_time(ARGS)
{
	out->isnull = false;
	out->v.i = start_time_us;
	return CM_OK;
}

/* ---- registration ----------------------------------------------------------------------- */

#define S SEM_FN_STRICT
#define ST (SEM_FN_STRICT | SEM_FN_STABLE)
#define OID SEM_OIDOID
#define TX SEM_TEXTOID
#define I4 SEM_INT4OID
#define I8 SEM_INT8OID
#define BO SEM_BOOLOID
#define NM SEM_NAMEOID
#define RC SEM_REGCLASSOID
#define ANYARR SEM_ANYARRAYOID
#define ANYEL SEM_ANYELEMENTOID
#define NAMEARR 1003	/* name[] */

static const sem_builtin cat_rows[] = {
	{"format_type", 2, {OID, I4}, TX, SEM_FN_STABLE, f_format_type},
	{"pg_encoding_to_char", 1, {I4}, NM, S, f_encoding_to_char},
	{"pg_char_to_encoding", 1, {NM}, I4, S, f_char_to_encoding},
	{"pg_size_pretty", 1, {I8}, TX, S, f_size_pretty},
	{"quote_ident", 1, {TX}, TX, S, f_quote_ident},
	{"array_upper", 2, {ANYARR, I4}, I4, S, f_array_upper},
	{"array_lower", 2, {ANYARR, I4}, I4, S, f_array_lower},
	{"array_ndims", 1, {ANYARR}, I4, S, f_array_ndims},
	{"array_subscript", 2, {ANYARR, I4}, ANYEL, S, f_array_subscript},
	{"array_position", 2, {ANYARR, ANYEL}, I4, 0, f_array_position},
	{"array_position", 3, {ANYARR, ANYEL, I4}, I4, 0, f_array_position},
	{"generate_subscripts", 2, {ANYARR, I4}, I4, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_generate_subscripts},
	{"generate_subscripts", 3, {ANYARR, I4, BO}, I4, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_generate_subscripts},
	{"pg_partition_ancestors", 1, {RC}, RC, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_partition_ancestors},
	{"pg_table_is_visible", 1, {OID}, BO, ST, f_table_is_visible},
	{"pg_type_is_visible", 1, {OID}, BO, ST, f_type_is_visible},
	{"pg_function_is_visible", 1, {OID}, BO, ST, f_function_is_visible},
	{"pg_get_userbyid", 1, {OID}, NM, ST, f_get_userbyid},
	{"pg_get_indexdef", 1, {OID}, TX, ST, f_get_indexdef},
	{"pg_get_indexdef", 3, {OID, I4, BO}, TX, ST, f_get_indexdef},
	{"pg_get_constraintdef", 1, {OID}, TX, ST, f_get_constraintdef},
	{"pg_get_constraintdef", 2, {OID, BO}, TX, ST, f_get_constraintdef},
	{"pg_get_serial_sequence", 2, {TX, TX}, TX, ST, f_get_serial_sequence},
	{"pg_get_function_result", 1, {OID}, TX, ST, f_get_function_result},
	{"pg_get_function_arguments", 1, {OID}, TX, ST, f_get_function_arguments},
	{"pg_get_function_identity_arguments", 1, {OID}, TX, ST, f_get_function_arguments},
	{"pg_get_expr", 2, {TX, OID}, TX, ST, f_get_expr},
	{"pg_get_expr", 3, {TX, OID, BO}, TX, ST, f_get_expr},
	{"pg_get_triggerdef", 1, {OID}, TX, ST, f_null},
	{"pg_get_triggerdef", 2, {OID, BO}, TX, ST, f_null},
	{"pg_get_viewdef", 1, {OID}, TX, ST, f_null},
	{"pg_get_viewdef", 2, {OID, BO}, TX, ST, f_null},
	{"pg_get_ruledef", 1, {OID}, TX, ST, f_null},
	{"pg_get_ruledef", 2, {OID, BO}, TX, ST, f_null},
	{"pg_get_partkeydef", 1, {OID}, TX, ST, f_null},
	{"pg_get_statisticsobjdef_columns", 1, {OID}, TX, ST, f_null},
	{"pg_relation_is_publishable", 1, {RC}, BO, ST, f_false},
	{"obj_description", 1, {OID}, TX, ST, f_obj_description},
	{"obj_description", 2, {OID, NM}, TX, ST, f_obj_description},
	{"col_description", 2, {OID, I4}, TX, ST, f_col_description},
	{"shobj_description", 2, {OID, NM}, TX, ST, f_obj_description},
	{"pg_tablespace_location", 1, {OID}, TX, ST, f_empty_text},
	{"pg_table_size", 1, {RC}, I8, ST, f_relation_size},
	{"pg_relation_size", 1, {RC}, I8, ST, f_relation_size},
	{"pg_relation_size", 2, {RC, TX}, I8, ST, f_relation_size},
	{"pg_total_relation_size", 1, {RC}, I8, ST, f_relation_size},
	{"pg_indexes_size", 1, {RC}, I8, ST, f_relation_size},
	{"pg_database_size", 1, {NM}, I8, ST, f_relation_size},
	{"pg_database_size", 1, {OID}, I8, ST, f_relation_size},
	{"current_schemas", 1, {BO}, NAMEARR, ST, f_current_schemas},
	{"to_regclass", 1, {TX}, RC, ST, f_to_regclass},
	{"to_regtype", 1, {TX}, SEM_REGTYPEOID, ST, f_to_regtype},
	{"to_regproc", 1, {TX}, SEM_REGPROCOID, ST, f_to_regproc},
	{"to_regnamespace", 1, {TX}, SEM_REGNAMESPACEOID, ST, f_to_regnamespace},
	{"to_regrole", 1, {TX}, SEM_REGROLEOID, ST, f_to_regrole},
	{"pg_is_in_recovery", 0, {0}, BO, SEM_FN_VOLATILE, f_false},
	{"txid_current", 0, {0}, I8, SEM_FN_STABLE, f_txid_current},
	{"pg_postmaster_start_time", 0, {0}, SEM_TIMESTAMPTZOID, SEM_FN_STABLE, f_postmaster_start_time},
	{"inet_server_addr", 0, {0}, TX, SEM_FN_STABLE, f_null},
	{"inet_server_port", 0, {0}, I4, SEM_FN_STABLE, f_null},
	{"inet_client_addr", 0, {0}, TX, SEM_FN_STABLE, f_null},
	{"inet_client_port", 0, {0}, I4, SEM_FN_STABLE, f_null},
	/* privileges: pgkv does not check object privileges (every role may
	 * use every object), so every question is answered true */
	{"has_table_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_table_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"has_table_privilege", 3, {NM, TX, TX}, BO, ST, f_true},
	{"has_table_privilege", 3, {NM, OID, TX}, BO, ST, f_true},
	{"has_table_privilege", 3, {OID, OID, TX}, BO, ST, f_true},
	{"has_schema_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_schema_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"has_schema_privilege", 3, {NM, TX, TX}, BO, ST, f_true},
	{"has_schema_privilege", 3, {NM, OID, TX}, BO, ST, f_true},
	{"has_database_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_database_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"has_database_privilege", 3, {NM, TX, TX}, BO, ST, f_true},
	{"has_sequence_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_sequence_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"has_sequence_privilege", 3, {NM, TX, TX}, BO, ST, f_true},
	{"has_function_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_function_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"has_column_privilege", 3, {TX, TX, TX}, BO, ST, f_true},
	{"has_column_privilege", 3, {OID, TX, TX}, BO, ST, f_true},
	{"has_column_privilege", 3, {OID, SEM_INT2OID, TX}, BO, ST, f_true},
	{"has_any_column_privilege", 2, {TX, TX}, BO, ST, f_true},
	{"has_any_column_privilege", 2, {OID, TX}, BO, ST, f_true},
	{"pg_has_role", 2, {NM, TX}, BO, ST, f_true},
	{"pg_has_role", 2, {OID, TX}, BO, ST, f_true},
	{"pg_has_role", 3, {NM, NM, TX}, BO, ST, f_true},
	{"pg_has_role", 3, {OID, OID, TX}, BO, ST, f_true},
};

static pthread_once_t start_once = PTHREAD_ONCE_INIT;

void sem_cat_register_builtins(void)
{
	pthread_once(&start_once, note_start_time);
	sem_register_builtins(cat_rows, sizeof cat_rows / sizeof cat_rows[0]);
	sem_regex_register_builtins();
}

bool sem_func_returns_set(const char *name)
{
	if (strcmp(name, "generate_series") == 0 || strcmp(name, "unnest") == 0)
		return true;
	const sem_builtin *c[8];
	for (int n = 0; n <= SEM_FUNC_MAXARGS; n++) {
		size_t k = sem_func_candidates(name, n, c, 8);
		for (size_t i = 0; i < k && i < 8; i++)
			if (c[i]->flags & SEM_FN_SETOF)
				return true;
	}
	return false;
}
