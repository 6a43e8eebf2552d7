/*
 * vcat_funcs.c -- the catalog side of the system-catalog built-ins
 * (sem_catfuncs.h): pg_table_is_visible, pg_get_userbyid, pg_get_indexdef,
 * pg_get_constraintdef, pg_get_serial_sequence, current_schemas, comments,
 * and the reg* types' name <-> OID conversion; plus the text helpers the
 * fill functions share (index and constraint definitions, default
 * expressions, owners, schemas, visibility).
 *
 * Which catalog: the executing statement's environment (ctx->exec ->
 * ex_state.env), else the planning environment (pl_env_get(), for constant
 * folding), else the session's current view (reg* output while rows are
 * sent; one catalog version read).
 *
 * Exported: sql_vcat_catfunc (vcat.h); the vc_* helpers of vcat_internal.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sql/catalog/vcat.h"
#include "sql/catalog/vcat_internal.h"
#include "sql/exec/exec.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_catfuncs.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

/* 42602 invalid_name (not in common/sqlstates.def) */
#define VC_E_INVALID_NAME "42602"

/* ---- owners, schemas, visibility ---------------------------------------------------------- */

uint32_t vc_superuser_oid(const vc_ctx *c)
{
	if (c->view) {
		const cat_role *r = sql_cat_find_role(c->view, "postgres");
		if (r)
			return r->oid;
		for (int i = 0; i < c->view->nroles; i++)
			if (c->view->roles[i]->superuser)
				return c->view->roles[i]->oid;
	}
	return VC_BOOTSTRAP_SUPERUSER_OID;
}

uint32_t vc_role_oid(const vc_ctx *c, int64_t role_id)
{
	const cat_role *r = c->view ? sql_cat_role_by_id(c->view, role_id) : NULL;
	return r ? r->oid : vc_superuser_oid(c);
}

const char *vc_role_name(const vc_ctx *c, uint32_t oid)
{
	if (oid == VC_BOOTSTRAP_SUPERUSER_OID)
		oid = vc_superuser_oid(c);
	for (int i = 0; c->view && i < c->view->nroles; i++)
		if (c->view->roles[i]->oid == oid)
			return c->view->roles[i]->name;
	return oid == VC_BOOTSTRAP_SUPERUSER_OID ? "postgres" : NULL;
}

uint32_t vc_schema_oid(const vc_ctx *c, int64_t schema_id)
{
	const cat_schema *s = c->view ? sql_cat_schema_by_id(c->view, schema_id) : NULL;
	return s ? s->oid : 0;
}

const char *vc_schema_name(const vc_ctx *c, uint32_t nsp_oid)
{
	switch (nsp_oid) {
	case SQL_CAT_PG_CATALOG_OID: return "pg_catalog";
	case SQL_CAT_INFORMATION_SCHEMA_OID: return "information_schema";
	case VC_PG_TOAST_OID: return "pg_toast";
	default: break;
	}
	for (int i = 0; c->view && i < c->view->nschemas; i++)
		if (c->view->schemas[i]->oid == nsp_oid)
			return c->view->schemas[i]->name;
	return NULL;
}

static bool on_path(const vc_ctx *c, const char *schema)
{
	for (int i = 0; c->sp && i < c->sp->n; i++)
		if (strcmp(c->sp->names[i], schema) == 0)
			return true;
	return false;
}

/* A relation named relname in schema: visible when schema is on the path
 * and no schema before it (pg_catalog first) has a relation of that name. */
bool vc_schema_visible(const vc_ctx *c, const char *schema, const char *relname)
{
	if (strcmp(schema, "pg_catalog") == 0)
		return true;
	if (vc_rel_by_name("pg_catalog", relname))
		return false;
	for (int i = 0; c->sp && i < c->sp->n; i++) {
		const char *s = c->sp->names[i];
		if (strcmp(s, schema) == 0)
			return true;
		if (strcmp(s, "information_schema") == 0) {
			if (vc_rel_by_name(s, relname))
				return false;
			continue;
		}
		const cat_schema *sc = c->view && c->db ? sql_cat_find_schema(c->view, c->db->id, s) : NULL;
		cat_relation rel;
		if (sc && sql_cat_find_relation(c->view, sc->id, relname, &rel))
			return false;
	}
	return false;
}

void vc_quote_ident(const char *s, cm_buf *out)
{
	bool safe = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
	for (const char *p = s; safe && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			safe = false;
	if (safe) {
		static const char *const kw[] = {"all", "and", "any", "array", "as", "asc", "both", "case", "cast", "check",
										 "column", "constraint", "create", "default", "desc", "distinct", "do",
										 "else", "end", "except", "false", "for", "foreign", "from", "grant",
										 "group", "having", "in", "into", "is", "join", "leading", "limit", "not",
										 "null", "offset", "on", "only", "or", "order", "primary", "references",
										 "select", "table", "then", "to", "true", "union", "unique", "user",
										 "using", "when", "where", "with"};
		for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
			if (strcmp(s, kw[i]) == 0)
				safe = false;
	}
	if (safe) {
		cm_buf_puts(out, s);
		return;
	}
	cm_buf_putc(out, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			cm_buf_putc(out, '"');
		cm_buf_putc(out, *p);
	}
	cm_buf_putc(out, '"');
}

void vc_relname(const vc_ctx *c, int64_t schema_id, const char *name, cm_buf *out)
{
	const char *sn = vc_schema_name(c, vc_schema_oid(c, schema_id));
	if (sn && !vc_schema_visible(c, sn, name)) {
		vc_quote_ident(sn, out);
		cm_buf_putc(out, '.');
	}
	vc_quote_ident(name, out);
}

/* ---- definitions ------------------------------------------------------------------------ */

uint32_t vc_constraint_index_oid(const cat_table *t, const cat_constraint *k)
{
	if (k->index_id) {
		const cat_index *ix = sql_cat_index_by_id(t, k->index_id);
		if (ix)
			return ix->oid;
	}
	for (int i = 0; i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (k->type == 'p' ? ix->primary : strcmp(ix->name, k->name) == 0)
			return ix->oid;
	}
	return 0;
}

void vc_column_list(const cat_table *t, const int32_t *ids, int n, cm_buf *out)
{
	for (int i = 0; i < n; i++) {
		const cat_column *col = t ? sql_cat_column_by_id(t, ids[i], NULL) : NULL;
		if (i)
			cm_buf_puts(out, ", ");
		vc_quote_ident(col ? col->name : "?", out);
	}
}

void vc_indexdef(const vc_ctx *c, const cat_table *t, const cat_index *ix, int column, bool pretty, cm_buf *out)
{
	if (column > 0) {
		if (column <= ix->ncols) {
			const cat_column *col = sql_cat_column_by_id(t, ix->col_ids[column - 1], NULL);
			vc_quote_ident(col ? col->name : "?", out);
		}
		return;
	}
	cm_buf_printf(out, "CREATE %sINDEX ", ix->unique || ix->primary ? "UNIQUE " : "");
	vc_quote_ident(ix->name, out);
	cm_buf_puts(out, " ON ");
	/* always qualified, except in pretty mode when the table is visible */
	const char *sn = vc_schema_name(c, vc_schema_oid(c, t->schema_id));
	if (sn && (!pretty || !vc_schema_visible(c, sn, t->name))) {
		vc_quote_ident(sn, out);
		cm_buf_putc(out, '.');
	}
	vc_quote_ident(t->name, out);
	cm_buf_puts(out, " USING btree (");
	vc_column_list(t, ix->col_ids, ix->ncols, out);
	cm_buf_putc(out, ')');
}

static const char *fk_action(char a)
{
	switch (a) {
	case 'r': return "RESTRICT";
	case 'c': return "CASCADE";
	case 'n': return "SET NULL";
	case 'd': return "SET DEFAULT";
	default: return NULL;
	}
}

void vc_constraintdef(const vc_ctx *c, const cat_table *t, const cat_constraint *k, cm_buf *out)
{
	switch (k->type) {
	case 'p':
	case 'u':
		cm_buf_puts(out, k->type == 'p' ? "PRIMARY KEY (" : "UNIQUE (");
		vc_column_list(t, k->col_ids, k->ncols, out);
		cm_buf_putc(out, ')');
		break;
	case 'f': {
		const cat_table *rt = c->view ? sql_cat_table_by_id(c->view, k->ref_table_id) : NULL;
		cm_buf_puts(out, "FOREIGN KEY (");
		vc_column_list(t, k->col_ids, k->ncols, out);
		cm_buf_puts(out, ") REFERENCES ");
		if (rt)
			vc_relname(c, rt->schema_id, rt->name, out);
		cm_buf_putc(out, '(');
		vc_column_list(rt, k->ref_col_ids, k->nref, out);
		cm_buf_putc(out, ')');
		if (k->match_type == 'f')
			cm_buf_puts(out, " MATCH FULL");
		const char *a = fk_action(k->on_update);
		if (a)
			cm_buf_printf(out, " ON UPDATE %s", a);
		a = fk_action(k->on_delete);
		if (a)
			cm_buf_printf(out, " ON DELETE %s", a);
		break;
	}
	case 'c':
		cm_buf_printf(out, "CHECK (%s)", k->check_expr ? k->check_expr : "");
		break;
	default:
		break;
	}
	if (k->deferrable)
		cm_buf_puts(out, " DEFERRABLE");
}

/* Is s one single-quoted SQL literal ('…' with doubled quotes inside)? */
static bool is_string_literal(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || s[0] != '\'' || s[n - 1] != '\'')
		return false;
	for (size_t i = 1; i < n - 1; i++)
		if (s[i] == '\'') {
			if (s[i + 1] != '\'' || i + 1 == n - 1)
				return false;
			i++;
		}
	return true;
}

const char *vc_default_text(const vc_ctx *c, const cat_table *t, const cat_column *col)
{
	const char *d = col->default_expr;
	if (!d || !is_string_literal(d))
		return d;
	/* PostgreSQL stores the literal coerced to the column type and prints
	 * it back as 'x'::type (strings, dates ...) or bare (numbers) */
	sem_oid oid = col->type.oid;
	char cat = sem_type_category(oid);
	if (cat == 'N' && oid != SEM_OIDOID) {
		size_t n = strlen(d);
		const char *v = cm_strndup(c->arena, d + 1, n - 2);
		bool plain = v[0] && v[0] != '-';
		for (const char *p = v; *p && plain; p++)
			if (!isdigit((unsigned char) *p) && *p != '.')
				plain = false;
		if (plain)
			return v;
	}
	if (cat == 'B') {
		if (strcasecmp(d, "'t'") == 0 || strcasecmp(d, "'true'") == 0)
			return "true";
		if (strcasecmp(d, "'f'") == 0 || strcasecmp(d, "'false'") == 0)
			return "false";
	}
	const char *tn = oid == SEM_BPCHAROID ? "bpchar" : sem_type_name(oid);
	return cm_asprintf(c->arena, "%s::%s", d, tn);
}

/* ---- the statement's catalog ------------------------------------------------------------ */

typedef struct fn_env {
	vc_ctx c;
	sql_cat_search_path sp;
	sql_cat_view *held;			/* released at the end of the call */
} fn_env;

static cm_status env_open(void *arg, sem_ctx *ctx, fn_env *fe, cm_error *err)
{
	memset(fe, 0, sizeof *fe);
	fe->c.arena = ctx->arena;
	fe->c.sem = ctx;
	fe->c.user = ctx->user;
	pl_env *env = NULL;
	if (ctx->exec)
		env = ((ex_state *) ctx->exec)->env;
	if (!env || !env->view)
		env = pl_env_get();
	if (env && env->view) {
		fe->c.view = env->view;
		fe->c.db = env->db;
		fe->c.sp = &env->sp;
		return CM_OK;
	}
	if (!arg)
		return CM_OK;
	const char *db, *user, *path;
	if (sql_cat_session_view(arg, &fe->held, &db, &user, &path, err) != CM_OK)
		return CM_ERROR;
	fe->c.view = fe->held;
	fe->c.db = sql_cat_find_database(fe->held, db);
	sql_cat_search_path_parse(ctx->arena, path, user, &fe->sp);
	fe->c.sp = &fe->sp;
	if (!fe->c.user)
		fe->c.user = user;
	return CM_OK;
}

static void env_close(fn_env *fe)
{
	if (fe->held)
		sql_cat_view_release(fe->held);
	fe->held = NULL;
}

/* ---- name parsing ----------------------------------------------------------------------- */

/* Split 'a.b' (quotes respected, unquoted parts lower-cased). false if malformed. */
static bool split_qualified(cm_arena *a, const char *s, size_t len, const char **schema, const char **name)
{
	char *parts[3];
	int n = sem_split_qualified_name(a, s, len, false, parts, 3);
	if (n < 1)
		return false;
	*schema = n >= 2 ? parts[n - 2] : NULL;
	*name = parts[n - 1];
	return true;
}

/* Relation OID by (schema, name): virtual catalogs first. */
static cm_status rel_lookup(const vc_ctx *c, const char *schema, const char *name, uint32_t *oid, bool *found,
							cm_error *err)
{
	*found = false;
	if (sql_vcat_is_virtual_schema(schema) || !schema) {
		const vc_rel *r = vc_rel_by_name(schema ? schema : "pg_catalog", name);
		if (!r && !schema && on_path(c, "information_schema"))
			r = vc_rel_by_name("information_schema", name);
		if (r) {
			*oid = r->oid;
			*found = true;
			return CM_OK;
		}
		if (schema)
			return CM_OK;
	}
	if (!c->view || !c->db)
		return CM_OK;
	cat_relation rel;
	if (sql_cat_resolve_relation(c->view, c->db->id, c->sp, schema, name, &rel, NULL, found, err) != CM_OK)
		return CM_ERROR;
	if (*found)
		*oid = rel.relkind == 'S' ? rel.seq->oid : rel.relkind == 'i' ? rel.index->oid : rel.table->oid;
	return CM_OK;
}

/* ---- reg* ------------------------------------------------------------------------------- */

static cm_status reg_in(const vc_ctx *c, sem_oid regtype, const char *s, size_t len, sem_datum *out, cm_error *err)
{
	const char *schema, *name;
	out->isnull = false;
	switch (regtype) {
	case SEM_REGCLASSOID: {
		if (!split_qualified(c->arena, s, len, &schema, &name))
			return cm_error_set(err, VC_E_INVALID_NAME, "invalid name syntax");
		uint32_t oid = 0;
		bool found;
		if (rel_lookup(c, schema, name, &oid, &found, err) != CM_OK)
			return CM_ERROR;
		if (!found)
			return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%.*s\" does not exist", (int) len, s);
		out->v.i = oid;
		return CM_OK;
	}
	case SEM_REGPROCOID: {
		if (!split_qualified(c->arena, s, len, &schema, &name))
			return cm_error_set(err, VC_E_INVALID_NAME, "invalid name syntax");
		bool amb = false;
		uint32_t oid = schema && strcmp(schema, "pg_catalog") != 0 ? 0 : vc_proc_by_name(name, &amb);
		if (amb)
			return cm_error_set(err, CM_E_AMBIGUOUS_FUNCTION, "more than one function named \"%.*s\"", (int) len, s);
		if (!oid)
			return cm_error_set(err, CM_E_UNDEFINED_FUNCTION, "function \"%.*s\" does not exist", (int) len, s);
		out->v.i = oid;
		return CM_OK;
	}
	case SEM_REGNAMESPACEOID: {
		if (!split_qualified(c->arena, s, len, &schema, &name) || schema)
			return cm_error_set(err, VC_E_INVALID_NAME, "invalid name syntax");
		uint32_t oid = strcmp(name, "pg_catalog") == 0			? SQL_CAT_PG_CATALOG_OID
					   : strcmp(name, "information_schema") == 0 ? SQL_CAT_INFORMATION_SCHEMA_OID
					   : strcmp(name, "pg_toast") == 0			? VC_PG_TOAST_OID
																: 0;
		if (!oid && c->view && c->db) {
			const cat_schema *sc = sql_cat_find_schema(c->view, c->db->id, name);
			oid = sc ? sc->oid : 0;
		}
		if (!oid)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "schema \"%s\" does not exist", name);
		out->v.i = oid;
		return CM_OK;
	}
	case SEM_REGROLEOID: {
		if (!split_qualified(c->arena, s, len, &schema, &name) || schema)
			return cm_error_set(err, VC_E_INVALID_NAME, "invalid name syntax");
		const cat_role *r = c->view ? sql_cat_find_role(c->view, name) : NULL;
		if (!r)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "role \"%s\" does not exist", name);
		out->v.i = r->oid;
		return CM_OK;
	}
	default:
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "type \"%.*s\" does not exist", (int) len, s);
	}
}

/* Relation name for a regclass OID into out; false if none. */
static bool regclass_name(const vc_ctx *c, uint32_t oid, cm_buf *out)
{
	const vc_rel *vr = vc_rel_by_oid(oid);
	if (vr) {
		if (!vc_schema_visible(c, vr->schema, vr->name)) {
			cm_buf_puts(out, vr->schema);
			cm_buf_putc(out, '.');
		}
		cm_buf_puts(out, vr->name);
		return true;
	}
	if (!c->view)
		return false;
	cat_kind k;
	cat_relation rel;
	const void *o = sql_cat_by_oid(c->view, oid, &k, &rel);
	if (!o || (k != CAT_KIND_TABLE && k != CAT_KIND_SEQUENCE))
		return false;
	if (rel.relkind == 'S')
		vc_relname(c, rel.seq->schema_id, rel.seq->name, out);
	else
		vc_relname(c, rel.table->schema_id, rel.relkind == 'i' ? rel.index->name : rel.table->name, out);
	return true;
}

static bool reg_out(const vc_ctx *c, sem_oid regtype, uint32_t oid, cm_buf *out)
{
	switch (regtype) {
	case SEM_REGCLASSOID:
		return regclass_name(c, oid, out);
	case SEM_REGPROCOID: {
		const char *n = vc_proc_name(oid);
		if (n)
			cm_buf_puts(out, n);
		return n != NULL;
	}
	case SEM_REGNAMESPACEOID: {
		const char *n = vc_schema_name(c, oid);
		if (n)
			vc_quote_ident(n, out);
		return n != NULL;
	}
	case SEM_REGROLEOID: {
		const char *n = vc_role_name(c, oid);
		if (n)
			vc_quote_ident(n, out);
		return n != NULL;
	}
	default:
		return false;
	}
}

/* ---- lookups by OID ------------------------------------------------------------------- */

static bool table_of_index(const vc_ctx *c, uint32_t oid, const cat_table **t, const cat_index **ix)
{
	cat_kind k;
	cat_relation rel;
	if (!c->view || !sql_cat_by_oid(c->view, oid, &k, &rel) || k != CAT_KIND_TABLE || rel.relkind != 'i')
		return false;
	*t = rel.table;
	*ix = rel.index;
	return true;
}

static bool constraint_by_oid(const vc_ctx *c, uint32_t oid, const cat_table **t, const cat_constraint **k)
{
	for (int i = 0; c->view && i < c->view->ntables; i++) {
		const cat_table *x = c->view->tables[i];
		for (int j = 0; j < x->ncons; j++)
			if (x->cons[j].oid == oid) {
				*t = x;
				*k = &x->cons[j];
				return true;
			}
	}
	return false;
}

static void set_buf(const vc_ctx *c, sem_datum *out, cm_buf *b)
{
	sem_set_str(c->arena, out, b->data ? b->data : "", b->len);
}

static void set_cstr(const vc_ctx *c, sem_datum *out, const char *s)
{
	if (!s) {
		out->isnull = true;
		return;
	}
	sem_set_str(c->arena, out, s, strlen(s));
}

/* obj_description(oid [, catalog]) and shobj_description. */
static const char *object_comment(const vc_ctx *c, uint32_t oid, const char *catalog)
{
	if (!c->view)
		return NULL;
	bool any = !catalog;
	if (any || strcmp(catalog, "pg_class") == 0) {
		cat_kind k;
		cat_relation rel;
		if (sql_cat_by_oid(c->view, oid, &k, &rel)) {
			if (k == CAT_KIND_SEQUENCE || rel.relkind == 'S')
				return rel.seq ? rel.seq->comment : NULL;
			if (k == CAT_KIND_TABLE)
				return rel.relkind == 'i' ? rel.index->comment : rel.table->comment;
		}
	}
	if (any || strcmp(catalog, "pg_namespace") == 0)
		for (int i = 0; i < c->view->nschemas; i++)
			if (c->view->schemas[i]->oid == oid)
				return c->view->schemas[i]->comment;
	if (any || strcmp(catalog, "pg_database") == 0)
		for (int i = 0; i < c->view->ndbs; i++)
			if (c->view->dbs[i]->oid == oid)
				return c->view->dbs[i]->comment;
	if (any || strcmp(catalog, "pg_authid") == 0)
		for (int i = 0; i < c->view->nroles; i++)
			if (c->view->roles[i]->oid == oid)
				return c->view->roles[i]->comment;
	return NULL;
}

static cm_status serial_sequence(const vc_ctx *c, const sem_datum *tab, const sem_datum *colname, sem_datum *out,
								 cm_error *err)
{
	const char *schema, *name;
	out->isnull = true;
	if (!split_qualified(c->arena, tab->v.s.p, tab->v.s.len, &schema, &name))
		return cm_error_set(err, VC_E_INVALID_NAME, "invalid name syntax");
	cat_relation rel;
	bool found = false;
	if (c->view && c->db &&
		sql_cat_resolve_relation(c->view, c->db->id, c->sp, schema, name, &rel, NULL, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found || rel.relkind != 'r')
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%.*s\" does not exist", (int) tab->v.s.len,
							tab->v.s.p);
	char *cn = cm_strndup(c->arena, colname->v.s.p, colname->v.s.len);
	const cat_column *col = sql_cat_find_column(rel.table, cn, NULL);
	if (!col)
		return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", cn,
							rel.table->name);
	const cat_sequence *s = col->seq_id ? sql_cat_seq_by_id(c->view, col->seq_id) : NULL;
	if (!s)
		return CM_OK;
	cm_buf b;
	cm_buf_init(&b);
	const char *sn = vc_schema_name(c, vc_schema_oid(c, s->schema_id));
	if (sn) {
		vc_quote_ident(sn, &b);
		cm_buf_putc(&b, '.');
	}
	vc_quote_ident(s->name, &b);
	out->isnull = false;
	set_buf(c, out, &b);
	cm_buf_free(&b);
	return CM_OK;
}

static void current_schemas(const vc_ctx *c, bool implicit, sem_datum *out)
{
	int n = c->sp ? c->sp->n : 0;
	sem_array *a = sem_array_new(c->arena, SEM_NAMEOID, n + 1);
	a->n = 0;
	if (implicit)
		sem_set_str(c->arena, &a->elems[a->n++], "pg_catalog", 10);
	for (int i = 0; i < n; i++) {
		const char *s = c->sp->names[i];
		bool exists = strcmp(s, "information_schema") == 0 ||
					  (c->view && c->db && sql_cat_find_schema(c->view, c->db->id, s) != NULL);
		if (strcmp(s, "pg_catalog") == 0)
			exists = !implicit;
		if (exists)
			sem_set_str(c->arena, &a->elems[a->n++], s, strlen(s));
	}
	out->isnull = false;
	out->v.arr = a;
}

/* ---- the hook ---------------------------------------------------------------------------- */

static cm_status dispatch(const vc_ctx *c, int fn, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	out->isnull = false;
	switch ((sem_catfn) fn) {
	case SEM_CATFN_REG_IN:
		return reg_in(c, (sem_oid) args[0].v.i, args[1].v.s.p, args[1].v.s.len, out, err);
	case SEM_CATFN_REG_OUT: {
		cm_buf b;
		cm_buf_init(&b);
		if (reg_out(c, (sem_oid) args[0].v.i, (uint32_t) args[1].v.i, &b))
			set_buf(c, out, &b);
		else
			out->isnull = true;
		cm_buf_free(&b);
		return CM_OK;
	}
	case SEM_CATFN_TABLE_IS_VISIBLE: {
		uint32_t oid = (uint32_t) args[0].v.i;
		const vc_rel *vr = vc_rel_by_oid(oid);
		if (vr) {
			out->v.b = vc_schema_visible(c, vr->schema, vr->name);
			return CM_OK;
		}
		cat_kind k;
		cat_relation rel;
		out->v.b = false;
		if (c->view && sql_cat_by_oid(c->view, oid, &k, &rel) && (k == CAT_KIND_TABLE || k == CAT_KIND_SEQUENCE)) {
			int64_t sid = rel.relkind == 'S' ? rel.seq->schema_id : rel.table->schema_id;
			const char *nm = rel.relkind == 'S' ? rel.seq->name : rel.relkind == 'i' ? rel.index->name : rel.table->name;
			const char *sn = vc_schema_name(c, vc_schema_oid(c, sid));
			out->v.b = sn && vc_schema_visible(c, sn, nm);
		}
		return CM_OK;
	}
	case SEM_CATFN_TYPE_IS_VISIBLE:
		out->v.b = (uint32_t) args[0].v.i < SQL_CAT_OID_BASE;
		return CM_OK;
	case SEM_CATFN_FUNCTION_IS_VISIBLE:
		out->v.b = vc_proc_name((uint32_t) args[0].v.i) != NULL;
		return CM_OK;
	case SEM_CATFN_GET_USERBYID: {
		const char *n = vc_role_name(c, (uint32_t) args[0].v.i);
		if (n)
			set_cstr(c, out, n);
		else
			set_cstr(c, out, cm_asprintf(c->arena, "unknown (OID=%u)", (unsigned) args[0].v.i));
		return CM_OK;
	}
	case SEM_CATFN_GET_INDEXDEF: {
		const cat_table *t;
		const cat_index *ix;
		if (!table_of_index(c, (uint32_t) args[0].v.i, &t, &ix)) {
			out->isnull = true;
			return CM_OK;
		}
		cm_buf b;
		cm_buf_init(&b);
		vc_indexdef(c, t, ix, nargs > 1 && !args[1].isnull ? (int) args[1].v.i : 0,
					nargs > 2 && !args[2].isnull && args[2].v.b, &b);
		set_buf(c, out, &b);
		cm_buf_free(&b);
		return CM_OK;
	}
	case SEM_CATFN_GET_CONSTRAINTDEF: {
		const cat_table *t;
		const cat_constraint *k;
		if (!constraint_by_oid(c, (uint32_t) args[0].v.i, &t, &k)) {
			out->isnull = true;
			return CM_OK;
		}
		cm_buf b;
		cm_buf_init(&b);
		vc_constraintdef(c, t, k, &b);
		set_buf(c, out, &b);
		cm_buf_free(&b);
		return CM_OK;
	}
	case SEM_CATFN_GET_SERIAL_SEQUENCE:
		return serial_sequence(c, &args[0], &args[1], out, err);
	case SEM_CATFN_GET_FUNCTION_RESULT:
	case SEM_CATFN_GET_FUNCTION_ARGUMENTS: {
		cm_buf b;
		cm_buf_init(&b);
		bool ok = vc_proc_signature((uint32_t) args[0].v.i, fn == SEM_CATFN_GET_FUNCTION_RESULT ? &b : NULL,
									fn == SEM_CATFN_GET_FUNCTION_ARGUMENTS ? &b : NULL);
		if (ok)
			set_buf(c, out, &b);
		else
			out->isnull = true;
		cm_buf_free(&b);
		return CM_OK;
	}
	case SEM_CATFN_CURRENT_SCHEMAS:
		current_schemas(c, args[0].v.b, out);
		return CM_OK;
	case SEM_CATFN_OBJ_DESCRIPTION: {
		const char *cat = nargs > 1 ? cm_strndup(c->arena, args[1].v.s.p, args[1].v.s.len) : NULL;
		set_cstr(c, out, object_comment(c, (uint32_t) args[0].v.i, cat));
		return CM_OK;
	}
	case SEM_CATFN_COL_DESCRIPTION: {
		cat_kind k;
		cat_relation rel;
		out->isnull = true;
		if (c->view && sql_cat_by_oid(c->view, (uint32_t) args[0].v.i, &k, &rel) && k == CAT_KIND_TABLE &&
			rel.relkind == 'r')
			for (int i = 0; i < rel.table->ncols; i++)
				if (rel.table->cols[i].attnum == args[1].v.i && rel.table->cols[i].comment) {
					out->isnull = false;
					set_cstr(c, out, rel.table->cols[i].comment);
				}
		return CM_OK;
	}
	case SEM_CATFN_RELATION_SIZE:
		out->v.i = 0;
		return CM_OK;
	default:
		out->isnull = true;
		return CM_OK;
	}
}

cm_status sql_vcat_catfunc(void *arg, sem_ctx *ctx, int fn, int nargs, const sem_datum *args, sem_datum *out,
						   cm_error *err)
{
	fn_env fe;
	if (env_open(arg, ctx, &fe, err) != CM_OK)
		return CM_ERROR;
	memset(out, 0, sizeof *out);
	cm_status st = dispatch(&fe.c, fn, nargs, args, out, err);
	env_close(&fe);
	return st;
}
