/*
 * ddl.c -- DDL statements over the KV catalog (see ddl.h).
 *
 * Every statement: cat_ddl_begin (savepoint + schema-version lock + the
 * catalog view), work on deep copies of descriptors, write them with
 * cat_put_obj, then cat_ddl_finish (new version); any error rolls the KV
 * transaction back to the savepoint (cat_ddl_abort), so nothing is left
 * behind.  Error codes and texts are PostgreSQL 15's.
 *
 * Data changes of DDL (index backfill, DROP/TRUNCATE deleting a table's key
 * range, ADD COLUMN with a volatile default rewriting rows) run in the same
 * KV transaction: scans collect the work first and write afterwards (a
 * kv_txn iterator must not see writes while it is open).
 */
#include "sql/ddl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/catalog/cat_internal.h"
#include "sql/catalog/cat_rowcodec.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"
#include "sql/session.h"

#define NODE(n, what) ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##what)
#define E_DEPENDENT "2BP01"
#define E_INVALID_FK "42830"
#define E_INVALID_OBJECT_DEF "42P17"

typedef struct newname {
	int64_t schema_id;
	const char *name;
} newname;

typedef struct ddl_ctx {
	sql_executor *ex;
	sql_portal *po;
	cm_arena *a;
	kv_client *kv;
	kv_txn *txn;
	cat_ddl d;
	const sql_cat_view *v;
	const cat_database *db;
	sql_cat_search_path sp;
	const char *user;
	int64_t owner_id;
	const char *query;
	sem_ctx sem;
	newname *names;
	int nnames, capnames;
	/* tables modified by this statement (deep copies), written at the end */
	cat_table **mod;
	int nmod, capmod;
} ddl_ctx;

/* ---------- small helpers ---------- */

static bool
nonempty(const char *s)
{
	return s && s[0];
}

static const char *
str_node(const PgQuery__Node *n)
{
	return NODE(n, STRING) ? n->string->sval : NULL;
}

static cm_status
kvs(kv_err e)
{
	return e == KV_OK ? CM_OK : CM_ERROR;
}

static void
notice(ddl_ctx *dc, const char *code, const char *fmt, ...) CM_PRINTF(3, 4);

static void
notice(ddl_ctx *dc, const char *code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sql_executor_notice_sev(dc->ex, CM_SEV_NOTICE, code, "%s", buf);
}

static void
add_newname(ddl_ctx *dc, int64_t schema_id, const char *name)
{
	if (dc->nnames == dc->capnames) {
		dc->capnames = dc->capnames ? dc->capnames * 2 : 8;
		newname *n = cm_alloc(dc->a, sizeof(newname) * (size_t) dc->capnames);
		if (dc->nnames)
			memcpy(n, dc->names, sizeof(newname) * (size_t) dc->nnames);
		dc->names = n;
	}
	dc->names[dc->nnames].schema_id = schema_id;
	dc->names[dc->nnames].name = cm_strdup(dc->a, name);
	dc->nnames++;
}

/* Latest (modified) copy of a table in this statement, or NULL. */
static cat_table *
mod_find(ddl_ctx *dc, int64_t id)
{
	for (int i = 0; i < dc->nmod; i++)
		if (dc->mod[i]->id == id)
			return dc->mod[i];
	return NULL;
}

/* A modifiable copy of t (registered for writing at the end). */
static cat_table *
mod_table(ddl_ctx *dc, const cat_table *t)
{
	cat_table *m = mod_find(dc, t->id);
	if (m)
		return m;
	m = cat_table_clone(dc->a, t);
	if (dc->nmod == dc->capmod) {
		dc->capmod = dc->capmod ? dc->capmod * 2 : 4;
		cat_table **n = cm_alloc(dc->a, sizeof(cat_table *) * (size_t) dc->capmod);
		if (dc->nmod)
			memcpy(n, dc->mod, sizeof(cat_table *) * (size_t) dc->nmod);
		dc->mod = n;
	}
	dc->mod[dc->nmod++] = m;
	return m;
}

/* A table removed in this statement is marked by id < 0 in mod. */
static void
mod_forget(ddl_ctx *dc, int64_t id)
{
	for (int i = 0; i < dc->nmod; i++)
		if (dc->mod[i]->id == id) {
			dc->mod[i] = dc->mod[--dc->nmod];
			return;
		}
}

/* Is name taken in schema (catalog view or created by this statement)? */
static bool
name_taken(ddl_ctx *dc, int64_t schema_id, const char *name)
{
	for (int i = 0; i < dc->nnames; i++)
		if (dc->names[i].schema_id == schema_id && strcmp(dc->names[i].name, name) == 0)
			return true;
	cat_relation rel;
	if (!sql_cat_find_relation(dc->v, schema_id, name, &rel))
		return false;
	/* renamed or dropped by this statement? */
	if (rel.relkind == 'r') {
		cat_table *m = mod_find(dc, rel.table->id);
		if (m && strcmp(m->name, name) != 0)
			return false;
	}
	if (rel.relkind == 'i') {
		cat_table *m = mod_find(dc, rel.table->id);
		if (m) {
			bool still = false;
			for (int i = 0; i < m->nindexes; i++)
				if (strcmp(m->indexes[i].name, name) == 0)
					still = true;
			return still;
		}
	}
	return true;
}

/* PostgreSQL's ChooseRelationName: name1_name2_label, then label1, label2... */
static char *
choose_name(ddl_ctx *dc, int64_t schema_id, const char *n1, const char *n2, const char *label)
{
	char lbl[64];
	for (int i = 0;; i++) {
		if (i == 0)
			snprintf(lbl, sizeof lbl, "%s", label);
		else
			snprintf(lbl, sizeof lbl, "%s%d", label, i);
		char *nm = cat_make_object_name(dc->a, n1, n2, lbl);
		if (!name_taken(dc, schema_id, nm))
			return nm;
	}
}

static cm_status
alloc_id(ddl_ctx *dc, int64_t *id, cm_error *err)
{
	return cat_alloc_ids(dc->txn, 1, id, err);
}

/* ---------- expressions ---------- */

/* Text of an expression as PostgreSQL would deparse it ("a > 0"). */
static cm_status
deparse_expr(ddl_ctx *dc, PgQuery__Node *expr, char **out, cm_error *err)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	rt.val = expr;
	PgQuery__Node rtn = PG_QUERY__NODE__INIT;
	rtn.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn.res_target = &rt;
	PgQuery__Node *tl[1] = {&rtn};
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	sel.n_target_list = 1;
	sel.target_list = tl;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node seln = PG_QUERY__NODE__INIT;
	seln.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	seln.select_stmt = &sel;
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	raw.stmt = &seln;
	PgQuery__RawStmt *stmts[1] = {&raw};
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	pr.version = PG_VERSION_NUM;
	pr.n_stmts = 1;
	pr.stmts = stmts;
	size_t len = pg_query__parse_result__get_packed_size(&pr);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	pg_query__parse_result__pack(&pr, buf);
	PgQueryProtobuf pb = {.len = (unsigned int) len, .data = (char *) buf};
	PgQueryDeparseResult dr = pg_query_deparse_protobuf(pb);
	free(buf);
	cm_status st = CM_OK;
	if (dr.error || dr.query == NULL)
		st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "could not store expression: %s",
						  dr.error && dr.error->message ? dr.error->message : "deparse failed");
	else {
		const char *q = dr.query;
		if (strncmp(q, "SELECT ", 7) == 0)
			q += 7;
		*out = cm_strdup(dc->a, q);
	}
	pg_query_free_deparse_result(dr);
	return st;
}

/* Column references of CHECK expressions: the table's columns. */
typedef struct colref_env {
	cm_arena *a;
	const cat_table *t;
	const char *what;	/* for errors: "DEFAULT expression" or NULL (allowed) */
	int nrefs;
	int first_pos;
	bool multi;
} colref_env;

static cm_status
colref_cb(void *arg, const char *const *names, int n, int location, sem_expr **out, cm_error *err)
{
	colref_env *e = arg;
	const char *col = names[n - 1];
	if (e->what) {
		cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cannot use column reference in %s", e->what);
		if (location >= 0)
			cm_error_position(err, location + 1);
		return CM_ERROR;
	}
	int pos;
	const cat_column *c = sql_cat_find_column(e->t, col, &pos);
	if (c == NULL || (n >= 2 && strcmp(names[n - 2], e->t->name) != 0)) {
		cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", col);
		if (location >= 0)
			cm_error_position(err, location + 1);
		return CM_ERROR;
	}
	if (e->nrefs == 0)
		e->first_pos = pos;
	else if (e->first_pos != pos)
		e->multi = true;
	e->nrefs++;
	*out = sem_expr_column(e->a, pos, c->type, location);
	return CM_OK;
}

/* Bind expr against table t (NULL: no columns) with target type (oid 0 =
 * natural).  what: the context for "cannot use column reference in ...". */
static cm_status
bind_expr(ddl_ctx *dc, const cat_table *t, PgQuery__Node *expr, sem_type target, const char *what,
		  colref_env *envout, sem_expr **out, cm_error *err)
{
	colref_env ce = {.a = dc->a, .t = t, .what = what};
	sem_oid params[1] = {0};
	int np = 0;
	pl_bind_env env = {.params = params, .nparams = &np, .max_params = 0,
					   .colref = (t || what) ? colref_cb : NULL, .colref_arg = &ce};
	if (pl_bind_expr(dc->a, &dc->sem, expr, dc->query, &env, target, out, err) != CM_OK)
		return CM_ERROR;
	if (np > 0)
		return cm_error_set(err, CM_E_UNDEFINED_PARAMETER, "there is no parameter $%d", np);
	if (envout)
		*envout = ce;
	return CM_OK;
}

/* ---------- types ---------- */

typedef enum serial_kind { SERIAL_NONE = 0, SERIAL_2, SERIAL_4, SERIAL_8 } serial_kind;

static cm_status
resolve_type(ddl_ctx *dc, const PgQuery__TypeName *tn, sem_type *out, serial_kind *serial, cm_error *err)
{
	const char *names[4] = {0};
	int n = 0;
	for (size_t i = 0; i < tn->n_names && n < 4; i++)
		names[n++] = str_node(tn->names[i]) ? str_node(tn->names[i]) : "";
	*serial = SERIAL_NONE;
	if (n == 1 && tn->n_array_bounds == 0) {
		const char *s = names[0];
		if (!strcmp(s, "serial") || !strcmp(s, "serial4"))
			*serial = SERIAL_4;
		else if (!strcmp(s, "bigserial") || !strcmp(s, "serial8"))
			*serial = SERIAL_8;
		else if (!strcmp(s, "smallserial") || !strcmp(s, "serial2"))
			*serial = SERIAL_2;
		if (*serial) {
			out->oid = *serial == SERIAL_2 ? SEM_INT2OID : *serial == SERIAL_4 ? SEM_INT4OID : SEM_INT8OID;
			out->typmod = -1;
			return CM_OK;
		}
	}
	sem_oid oid = sem_type_lookup(names, n);
	if (oid == 0) {
		cm_buf b;
		cm_buf_init(&b);
		for (int i = 0; i < n; i++) {
			if (i)
				cm_buf_putc(&b, '.');
			cm_buf_puts(&b, names[i]);
		}
		cm_error_set(err, CM_E_UNDEFINED_OBJECT, "type \"%s\" does not exist", b.data ? b.data : "");
		cm_buf_free(&b);
		if (tn->location >= 0)
			cm_error_position(err, tn->location + 1);
		return CM_ERROR;
	}
	int32_t mods[8];
	int nm = 0;
	for (size_t i = 0; i < tn->n_typmods && nm < 8; i++) {
		PgQuery__Node *m = tn->typmods[i];
		if (NODE(m, A_CONST) && m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			mods[nm++] = m->a_const->ival->ival;
		else
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "type modifiers must be simple constants");
	}
	int32_t typmod = -1;
	if (nm > 0 && sem_type_typmod_in(oid, mods, nm, &typmod, err) != CM_OK)
		return CM_ERROR;
	/* bare "char" / "character" means character(1) */
	if (oid == SEM_BPCHAROID && nm == 0 && n >= 1 && (strcmp(names[n - 1], "bpchar") == 0 ||
													  strcmp(names[n - 1], "char") == 0 ||
													  strcmp(names[n - 1], "character") == 0))
		typmod = 1 + 4;
	if (tn->n_array_bounds > 0) {
		const sem_typeinfo *ti = sem_type_info(oid);
		if (ti == NULL || ti->array_oid == 0)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "could not find array type for data type %s",
								sem_type_name(oid));
		oid = ti->array_oid;
	}
	if (!cat_type_storable(oid))
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "columns of type %s are not supported",
							sem_type_name(oid));
	out->oid = oid;
	out->typmod = typmod;
	return CM_OK;
}

static bool
is_int_oid(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID;
}

/* ---------- resolving relations ---------- */

/* Resolve rv: *found false if missing (no error); 3F000 for a bad schema. */
static cm_status
resolve_rv(ddl_ctx *dc, const PgQuery__RangeVar *rv, cat_relation *rel, const cat_schema **schema, bool *found,
		   cm_error *err)
{
	const char *sch = nonempty(rv->schemaname) ? rv->schemaname : NULL;
	if (nonempty(rv->catalogname) && strcmp(rv->catalogname, dc->db->name) != 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cross-database references are not implemented: %s.%s.%s",
							rv->catalogname, sch ? sch : "", rv->relname);
	if (sql_cat_resolve_relation(dc->v, dc->db->id, &dc->sp, sch, rv->relname, rel, schema, found, err) != CM_OK)
		return CM_ERROR;
	if (*found && rel->relkind == 'r') {
		/* a table changed earlier in this statement: use the new copy */
		cat_table *m = mod_find(dc, rel->table->id);
		if (m)
			rel->table = m;
	}
	return CM_OK;
}

/* A table by RangeVar, 42P01 'relation "x" does not exist' when missing;
 * 42809 when it is not a table. */
static cm_status
need_table(ddl_ctx *dc, const PgQuery__RangeVar *rv, const cat_table **out, const cat_schema **schema, cm_error *err)
{
	cat_relation rel;
	bool found;
	if (resolve_rv(dc, rv, &rel, schema, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found)
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", rv->relname);
	if (rel.relkind != 'r')
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a table", rv->relname);
	*out = rel.table;
	return CM_OK;
}

/* Creation schema of rv (explicit or first on the search path). */
static cm_status
creation_schema(ddl_ctx *dc, const PgQuery__RangeVar *rv, const cat_schema **out, cm_error *err)
{
	if (nonempty(rv->schemaname)) {
		const cat_schema *s = sql_cat_find_schema(dc->v, dc->db->id, rv->schemaname);
		if (s == NULL) {
			if (!strcmp(rv->schemaname, "pg_catalog") || !strcmp(rv->schemaname, "information_schema"))
				return cm_error_set(err, CM_E_INSUFFICIENT_PRIVILEGE,
									"permission denied to create \"%s.%s\"", rv->schemaname, rv->relname);
			return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist", rv->schemaname);
		}
		*out = s;
		return CM_OK;
	}
	return sql_cat_creation_schema(dc->v, dc->db->id, &dc->sp, out, err);
}

/* ---------- writing ---------- */

static cm_status
write_mods(ddl_ctx *dc, cm_error *err)
{
	for (int i = 0; i < dc->nmod; i++)
		if (cat_put_obj(dc->txn, CAT_KIND_TABLE, dc->mod[i]->id, dc->mod[i], err) != CM_OK)
			return CM_ERROR;
	return CM_OK;
}

/* Delete every key with the given prefix, in batches (txn-visible keys). */
static cm_status
delete_prefix(ddl_ctx *dc, const cm_buf *prefix, cm_error *err)
{
	cm_buf end;
	cm_buf_init(&end);
	(void) kv_prefix_next(&end, prefix->data, prefix->len);
	cm_status st = CM_OK;
	for (;;) {
		kv_iter_options o = {.start = (const uint8_t *) prefix->data, .start_len = prefix->len,
							 .end = (const uint8_t *) end.data, .end_len = end.len, .key_only = true};
		kv_iter *it = NULL;
		if (kv_txn_iter(dc->txn, &o, &it, err) != KV_OK) {
			st = CM_ERROR;
			break;
		}
		cm_buf keys;
		cm_buf_init(&keys);
		size_t *lens = malloc(sizeof(size_t) * 1024);
		if (!lens)
			abort();
		int n = 0;
		while (kv_iter_valid(it) && n < 1024) {
			size_t kl;
			const uint8_t *k = kv_iter_key(it, &kl);
			cm_buf_append(&keys, k, kl);
			lens[n++] = kl;
			if (kv_iter_next(it, err) != KV_OK) {
				st = CM_ERROR;
				break;
			}
		}
		kv_iter_close(it);
		size_t off = 0;
		for (int i = 0; st == CM_OK && i < n; i++) {
			st = kvs(kv_txn_delete(dc->txn, (const uint8_t *) keys.data + off, lens[i], err));
			off += lens[i];
		}
		cm_buf_free(&keys);
		free(lens);
		if (st != CM_OK || n < 1024)
			break;
	}
	cm_buf_free(&end);
	return st;
}

static cm_status
delete_table_data(ddl_ctx *dc, int64_t table_id, cm_error *err)
{
	cm_buf p;
	cm_buf_init(&p);
	kv_table_prefix(&p, table_id);
	cm_status st = delete_prefix(dc, &p, err);
	cm_buf_free(&p);
	return st;
}

static cm_status
delete_index_data(ddl_ctx *dc, int64_t table_id, int64_t index_id, cm_error *err)
{
	cm_buf p;
	cm_buf_init(&p);
	kv_index_prefix(&p, table_id, index_id);
	cm_status st = delete_prefix(dc, &p, err);
	cm_buf_free(&p);
	return st;
}

/* ---------- rows of a table (for backfill and validation) ---------- */

typedef struct rowset {
	int n, cap;
	sem_datum **rows;
	int64_t *handles;
} rowset;

/* Read every row of t (values in dc->a). */
static cm_status
read_rows(ddl_ctx *dc, const cat_table *t, rowset *rs, cm_error *err)
{
	memset(rs, 0, sizeof *rs);
	cat_scan *s;
	if (cat_scan_open(dc->txn, t, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	cm_status st = CM_OK;
	for (;;) {
		sem_datum *row = cm_new_array(dc->a, sem_datum, t->ncols ? t->ncols : 1);
		int64_t h;
		bool done;
		if (cat_scan_next(s, dc->a, row, &h, &done, err) != CM_OK) {
			st = CM_ERROR;
			break;
		}
		if (done)
			break;
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? rs->cap * 2 : 64;
			sem_datum **nr = cm_alloc(dc->a, sizeof(sem_datum *) * (size_t) rs->cap);
			int64_t *nh = cm_alloc(dc->a, sizeof(int64_t) * (size_t) rs->cap);
			if (rs->n) {
				memcpy(nr, rs->rows, sizeof(sem_datum *) * (size_t) rs->n);
				memcpy(nh, rs->handles, sizeof(int64_t) * (size_t) rs->n);
			}
			rs->rows = nr;
			rs->handles = nh;
		}
		rs->rows[rs->n] = row;
		rs->handles[rs->n] = h;
		rs->n++;
	}
	cat_scan_close(s);
	return st;
}

static bool
table_has_rows(ddl_ctx *dc, const cat_table *t, bool *has, cm_error *err)
{
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	kv_record_range(&s, &e, t->id);
	kv_iter_options o = {.start = (const uint8_t *) s.data, .start_len = s.len,
						 .end = (const uint8_t *) e.data, .end_len = e.len, .key_only = true, .batch = 1};
	kv_iter *it = NULL;
	cm_status st = kvs(kv_txn_iter(dc->txn, &o, &it, err));
	if (st == CM_OK) {
		*has = kv_iter_valid(it);
		kv_iter_close(it);
	}
	cm_buf_free(&s);
	cm_buf_free(&e);
	return st == CM_OK;
}

/* "(a, b)=(1, x)" of PostgreSQL's key detail. */
static void
key_detail(ddl_ctx *dc, const cat_table *t, int ncols, const int32_t *col_ids, const sem_datum *row, cm_buf *b)
{
	cm_buf_puts(b, "Key (");
	for (int i = 0; i < ncols; i++) {
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], NULL);
		if (i)
			cm_buf_puts(b, ", ");
		cm_buf_puts(b, c ? c->name : "?");
	}
	cm_buf_puts(b, ")=(");
	for (int i = 0; i < ncols; i++) {
		int pos;
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], &pos);
		if (i)
			cm_buf_puts(b, ", ");
		if (!c || row[pos].isnull)
			cm_buf_puts(b, "null");
		else
			sem_out_text(&dc->sem, c->type, &row[pos], b);
	}
	cm_buf_putc(b, ')');
}

/* Write the entries of a new index for every row; unique duplicates ->
 * 23505 'could not create unique index'. */
static cm_status
backfill_index(ddl_ctx *dc, const cat_table *t, const cat_index *ix, cm_error *err)
{
	if (t->handle_col >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id)
		return CM_OK; /* the record key is the index */
	rowset rs;
	if (read_rows(dc, t, &rs, err) != CM_OK)
		return CM_ERROR;
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_status st = CM_OK;
	for (int i = 0; st == CM_OK && i < rs.n; i++) {
		cm_buf_reset(&k);
		cm_buf_reset(&v);
		bool distinct;
		st = cat_index_entry(dc->a, t, ix, rs.rows[i], rs.handles[i], &k, &v, &distinct, err);
		if (st != CM_OK)
			break;
		kv_err e = distinct ? kv_txn_insert(dc->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err)
							: kv_txn_set(dc->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err);
		if (e == KV_ERR_KEY_EXISTS) {
			cm_error_clear(err);
			cm_error_set(err, CM_E_UNIQUE_VIOLATION, "could not create unique index \"%s\"", ix->name);
			cm_buf d;
			cm_buf_init(&d);
			key_detail(dc, t, ix->ncols, ix->col_ids, rs.rows[i], &d);
			cm_error_detail(err, "%s is duplicated.", d.data);
			cm_buf_free(&d);
			st = CM_ERROR;
		} else if (e != KV_OK)
			st = CM_ERROR;
	}
	cm_buf_free(&k);
	cm_buf_free(&v);
	return st;
}

/* Check existing rows against a CHECK expression. */
static cm_status
validate_check(ddl_ctx *dc, const cat_table *t, const cat_constraint *c, sem_expr *e, cm_error *err)
{
	rowset rs;
	if (read_rows(dc, t, &rs, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < rs.n; i++) {
		sem_datum r;
		if (sem_eval(&dc->sem, e, rs.rows[i], NULL, &r, err) != CM_OK)
			return CM_ERROR;
		if (!r.isnull && !r.v.b)
			return cm_error_set(err, CM_E_CHECK_VIOLATION, "check constraint \"%s\" of relation \"%s\" is violated by some row",
								c->name, t->name);
	}
	return CM_OK;
}

static cm_status
validate_not_null(ddl_ctx *dc, const cat_table *t, int pos, cm_error *err)
{
	rowset rs;
	if (read_rows(dc, t, &rs, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < rs.n; i++)
		if (rs.rows[i][pos].isnull)
			return cm_error_set(err, CM_E_NOT_NULL_VIOLATION, "column \"%s\" of relation \"%s\" contains null values",
								t->cols[pos].name, t->name);
	return CM_OK;
}

/* ---------- building descriptors ---------- */

static void *
grow_arr(cm_arena *a, void *arr, int n, size_t elem)
{
	void *na = cm_alloc0(a, elem * (size_t) (n + 1));
	if (n)
		memcpy(na, arr, elem * (size_t) n);
	return na;
}

static cat_column *
add_column(ddl_ctx *dc, cat_table *t, const char *name, sem_type type)
{
	t->cols = grow_arr(dc->a, t->cols, t->ncols, sizeof(cat_column));
	cat_column *c = &t->cols[t->ncols];
	c->id = t->next_col_id++;
	c->attnum = (int16_t) (t->ncols + 1);
	c->name = cm_strdup(dc->a, name);
	c->type = type;
	c->stat_ndistinct = -1;
	t->ncols++;
	return c;
}

static cm_status
add_index(ddl_ctx *dc, cat_table *t, const char *name, bool unique, bool primary, int ncols, const int32_t *ids,
		  cat_index **out, cm_error *err)
{
	int64_t oid_id;
	if (alloc_id(dc, &oid_id, err) != CM_OK)
		return CM_ERROR;
	t->indexes = grow_arr(dc->a, t->indexes, t->nindexes, sizeof(cat_index));
	cat_index *ix = &t->indexes[t->nindexes++];
	ix->id = t->next_index_id++;
	ix->oid = cat_oid_of(oid_id);
	ix->name = cm_strdup(dc->a, name);
	ix->unique = unique;
	ix->primary = primary;
	ix->ncols = ncols;
	ix->col_ids = cm_memdup(dc->a, ids, sizeof(int32_t) * (size_t) (ncols ? ncols : 1));
	add_newname(dc, t->schema_id, name);
	*out = ix;
	return CM_OK;
}

static cm_status
add_cons(ddl_ctx *dc, cat_table *t, const char *name, char type, cat_constraint **out, cm_error *err)
{
	int64_t oid_id;
	if (alloc_id(dc, &oid_id, err) != CM_OK)
		return CM_ERROR;
	t->cons = grow_arr(dc->a, t->cons, t->ncons, sizeof(cat_constraint));
	cat_constraint *c = &t->cons[t->ncons++];
	c->oid = cat_oid_of(oid_id);
	c->name = cm_strdup(dc->a, name);
	c->type = type;
	c->on_delete = c->on_update = 'a';
	c->match_type = 's';
	*out = c;
	return CM_OK;
}

static bool
cons_name_taken(ddl_ctx *dc, const cat_table *t, const char *name)
{
	for (int i = 0; i < t->ncons; i++)
		if (strcmp(t->cons[i].name, name) == 0)
			return true;
	return name_taken(dc, t->schema_id, name);
}

static char *
choose_cons_name(ddl_ctx *dc, const cat_table *t, const char *n2, const char *label)
{
	char lbl[64];
	for (int i = 0;; i++) {
		if (i == 0)
			snprintf(lbl, sizeof lbl, "%s", label);
		else
			snprintf(lbl, sizeof lbl, "%s%d", label, i);
		char *nm = cat_make_object_name(dc->a, t->name, n2, lbl);
		if (!cons_name_taken(dc, t, nm))
			return nm;
	}
}

/* Column ids of a key list (String nodes); 42703 '... named in key does not exist'. */
static cm_status
key_columns(ddl_ctx *dc, const cat_table *t, PgQuery__Node **keys, size_t n, int32_t **ids, char **joined,
			cm_error *err)
{
	*ids = cm_new_array(dc->a, int32_t, n ? n : 1);
	cm_buf b;
	cm_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		const char *nm = str_node(keys[i]);
		const cat_column *c = nm ? sql_cat_find_column(t, nm, NULL) : NULL;
		if (c == NULL) {
			cm_buf_free(&b);
			return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" named in key does not exist", nm ? nm : "?");
		}
		for (size_t j = 0; j < i; j++)
			if ((*ids)[j] == c->id) {
				cm_buf_free(&b);
				return cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" appears twice in primary key constraint",
									nm);
			}
		(*ids)[i] = c->id;
		if (i)
			cm_buf_putc(&b, '_');
		cm_buf_puts(&b, nm);
	}
	*joined = cm_strdup(dc->a, b.data ? b.data : "");
	cm_buf_free(&b);
	return CM_OK;
}

static cat_constraint *
find_cons(const cat_table *t, char type)
{
	for (int i = 0; i < t->ncons; i++)
		if (t->cons[i].type == type)
			return &t->cons[i];
	return NULL;
}

static bool
same_colset(int n1, const int32_t *a, int n2, const int32_t *b)
{
	if (n1 != n2)
		return false;
	for (int i = 0; i < n1; i++) {
		bool f = false;
		for (int j = 0; j < n2; j++)
			if (a[i] == b[j])
				f = true;
		if (!f)
			return false;
	}
	return true;
}

static char
fk_action(const char *s)
{
	return nonempty(s) ? s[0] : 'a';
}

/* Apply one table constraint (CREATE TABLE or ALTER TABLE ADD CONSTRAINT).
 * col: the column of a column constraint (NULL for table constraints).
 * creating: the table is new (no rows, no validation). */
static cm_status
apply_constraint(ddl_ctx *dc, cat_table *t, PgQuery__Constraint *c, const cat_column *col, bool creating,
				 cm_error *err)
{
	PgQuery__Node colkey_node = PG_QUERY__NODE__INIT;
	PgQuery__String colkey_str = PG_QUERY__STRING__INIT;
	PgQuery__Node *colkeys[1] = {&colkey_node};
	if (col) {
		colkey_str.sval = col->name;
		colkey_node.node_case = PG_QUERY__NODE__NODE_STRING;
		colkey_node.string = &colkey_str;
	}
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE: {
		bool primary = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
		if (primary && find_cons(t, 'p')) {
			cm_error_set(err, CM_E_INVALID_TABLE_DEFINITION, "multiple primary keys for table \"%s\" are not allowed",
						 t->name);
			if (creating && c->location >= 0)
				cm_error_position(err, c->location + 1);
			return CM_ERROR;
		}
		PgQuery__Node **keys = col ? colkeys : c->keys;
		size_t nk = col ? 1 : c->n_keys;
		int32_t *ids;
		char *joined;
		if (key_columns(dc, t, keys, nk, &ids, &joined, err) != CM_OK)
			return CM_ERROR;
		char *name = nonempty(c->conname) ? cm_strdup(dc->a, c->conname)
										  : primary ? choose_name(dc, t->schema_id, t->name, NULL, "pkey")
													: choose_name(dc, t->schema_id, t->name, joined, "key");
		if (name_taken(dc, t->schema_id, name))
			return cm_error_set(err, CM_E_DUPLICATE_TABLE, "relation \"%s\" already exists", name);
		bool was_empty = creating;
		if (!creating && primary) {
			bool has;
			if (!table_has_rows(dc, t, &has, err))
				return CM_ERROR;
			was_empty = !has;
		}
		if (primary) {
			for (size_t i = 0; i < nk; i++) {
				int pos;
				sql_cat_column_by_id(t, ids[i], &pos);
				if (!creating && !t->cols[pos].not_null && validate_not_null(dc, t, pos, err) != CM_OK)
					return CM_ERROR;
				t->cols[pos].not_null = true;
			}
			if (nk == 1 && was_empty && t->handle_col < 0) {
				int pos;
				const cat_column *hc = sql_cat_column_by_id(t, ids[0], &pos);
				if (is_int_oid(hc->type.oid))
					t->handle_col = pos;
			}
		}
		cat_index *ix;
		if (add_index(dc, t, name, true, primary, (int) nk, ids, &ix, err) != CM_OK)
			return CM_ERROR;
		cat_constraint *k;
		if (add_cons(dc, t, name, primary ? 'p' : 'u', &k, err) != CM_OK)
			return CM_ERROR;
		k->ncols = (int) nk;
		k->col_ids = ids;
		k->index_id = ix->id;
		k->deferrable = c->deferrable;
		if (!creating && backfill_index(dc, t, ix, err) != CM_OK)
			return CM_ERROR;
		return CM_OK;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: {
		colref_env ce;
		sem_expr *e;
		if (bind_expr(dc, t, c->raw_expr, (sem_type){0, -1}, NULL, &ce, &e, err) != CM_OK)
			return CM_ERROR;
		if (e->type.oid != SEM_BOOLOID && e->type.oid != SEM_UNKNOWNOID) {
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "argument of CHECK must be type boolean, not type %s",
						 sem_type_name(e->type.oid));
			if (c->raw_expr && c->location >= 0) {
				/* PostgreSQL points at the expression */
				int loc = -1;
				if (NODE(c->raw_expr, COLUMN_REF))
					loc = c->raw_expr->column_ref->location;
				else if (NODE(c->raw_expr, A_EXPR))
					loc = c->raw_expr->a_expr->location;
				else if (NODE(c->raw_expr, A_CONST))
					loc = c->raw_expr->a_const->location;
				if (loc >= 0)
					cm_error_position(err, loc + 1);
			}
			return CM_ERROR;
		}
		const char *n2 = NULL;
		if (col)
			n2 = col->name;
		else if (ce.nrefs > 0 && !ce.multi)
			n2 = t->cols[ce.first_pos].name;
		char *name = nonempty(c->conname) ? cm_strdup(dc->a, c->conname) : choose_cons_name(dc, t, n2, "check");
		for (int i = 0; i < t->ncons; i++)
			if (strcmp(t->cons[i].name, name) == 0)
				return cm_error_set(err, CM_E_DUPLICATE_OBJECT, "constraint \"%s\" for relation \"%s\" already exists",
									name, t->name);
		char *text;
		if (deparse_expr(dc, c->raw_expr, &text, err) != CM_OK)
			return CM_ERROR;
		cat_constraint *k;
		if (add_cons(dc, t, name, 'c', &k, err) != CM_OK)
			return CM_ERROR;
		k->check_expr = text;
		if (ce.nrefs > 0) {
			k->ncols = 1;
			k->col_ids = cm_new(dc->a, int32_t);
			k->col_ids[0] = t->cols[ce.first_pos].id;
		}
		if (!creating && validate_check(dc, t, k, e, err) != CM_OK)
			return CM_ERROR;
		return CM_OK;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: {
		PgQuery__Node **fkeys = col ? colkeys : c->fk_attrs;
		size_t nfk = col ? 1 : c->n_fk_attrs;
		int32_t *fids;
		char *fjoined;
		if (key_columns(dc, t, fkeys, nfk, &fids, &fjoined, err) != CM_OK)
			return CM_ERROR;
		/* referenced table: possibly the table itself */
		const cat_table *rt = NULL;
		bool self = false;
		if (!nonempty(c->pktable->schemaname) && strcmp(c->pktable->relname, t->name) == 0 &&
			mod_find(dc, t->id) == NULL) {
			rt = t;
			self = true;
		} else {
			cat_relation rel;
			bool found;
			if (resolve_rv(dc, c->pktable, &rel, NULL, &found, err) != CM_OK)
				return CM_ERROR;
			if (!found)
				return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", c->pktable->relname);
			if (rel.relkind != 'r')
				return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "referenced relation \"%s\" is not a table",
									c->pktable->relname);
			rt = rel.table;
			self = rt->id == t->id;
			if (self)
				rt = t;
		}
		int32_t *pids;
		int npk;
		if (c->n_pk_attrs == 0) {
			const cat_constraint *pk = find_cons(rt, 'p');
			if (pk == NULL)
				return cm_error_set(err, E_INVALID_FK, "there is no primary key for referenced table \"%s\"", rt->name);
			pids = pk->col_ids;
			npk = pk->ncols;
		} else {
			char *pj;
			npk = (int) c->n_pk_attrs;
			pids = cm_new_array(dc->a, int32_t, npk);
			for (int i = 0; i < npk; i++) {
				const char *nm = str_node(c->pk_attrs[i]);
				const cat_column *pc = nm ? sql_cat_find_column(rt, nm, NULL) : NULL;
				if (pc == NULL)
					return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" referenced in foreign key constraint does not exist",
										nm ? nm : "?");
				pids[i] = pc->id;
			}
			(void) pj;
			bool ok = false;
			for (int i = 0; i < rt->ncons; i++)
				if ((rt->cons[i].type == 'p' || rt->cons[i].type == 'u') &&
					same_colset(rt->cons[i].ncols, rt->cons[i].col_ids, npk, pids))
					ok = true;
			if (!ok)
				return cm_error_set(err, E_INVALID_FK, "there is no unique constraint matching given keys for referenced table \"%s\"",
									rt->name);
		}
		if ((int) nfk != npk)
			return cm_error_set(err, E_INVALID_FK, "number of referencing and referenced columns for foreign key disagree");
		char *name = nonempty(c->conname) ? cm_strdup(dc->a, c->conname) : choose_cons_name(dc, t, fjoined, "fkey");
		for (int i = 0; i < npk; i++) {
			const cat_column *fc = sql_cat_column_by_id(t, fids[i], NULL);
			const cat_column *pc = sql_cat_column_by_id(rt, pids[i], NULL);
			char c1 = sem_type_category(fc->type.oid), c2 = sem_type_category(pc->type.oid);
			if (c1 != c2) {
				cm_error_set(err, CM_E_DATATYPE_MISMATCH, "foreign key constraint \"%s\" cannot be implemented", name);
				char b1[64], b2[64];
				cm_error_detail(err, "Key columns \"%s\" and \"%s\" are of incompatible types: %s and %s.", fc->name,
								pc->name, sem_format_type_msg(fc->type.oid, fc->type.typmod, b1, sizeof b1),
								sem_format_type_msg(pc->type.oid, pc->type.typmod, b2, sizeof b2));
				return CM_ERROR;
			}
		}
		cat_constraint *k;
		if (add_cons(dc, t, name, 'f', &k, err) != CM_OK)
			return CM_ERROR;
		k->ncols = (int) nfk;
		k->col_ids = fids;
		k->ref_table_id = self ? t->id : rt->id;
		k->nref = npk;
		k->ref_col_ids = cm_memdup(dc->a, pids, sizeof(int32_t) * (size_t) npk);
		k->on_delete = fk_action(c->fk_del_action);
		k->on_update = fk_action(c->fk_upd_action);
		k->match_type = nonempty(c->fk_matchtype) ? c->fk_matchtype[0] : 's';
		k->deferrable = c->deferrable;
		if (!creating && !self) {
			/* validate existing rows */
			rowset rs;
			if (read_rows(dc, t, &rs, err) != CM_OK)
				return CM_ERROR;
			const cat_index *uix = NULL;
			bool by_handle = false;
			for (int i = 0; i < rt->nindexes; i++)
				if (rt->indexes[i].unique && same_colset(rt->indexes[i].ncols, rt->indexes[i].col_ids, npk, pids) &&
					rt->indexes[i].ncols == npk) {
					uix = &rt->indexes[i];
					if (rt->handle_col >= 0 && uix->primary && npk == 1 && pids[0] == rt->cols[rt->handle_col].id)
						by_handle = true;
				}
			for (int r = 0; uix && r < rs.n; r++) {
				sem_datum *vals = cm_new_array(dc->a, sem_datum, npk);
				bool anynull = false;
				for (int i = 0; i < npk; i++) {
					/* the index's column order */
					int fpos = -1;
					for (int j = 0; j < npk; j++)
						if (pids[j] == uix->col_ids[i])
							sql_cat_column_by_id(t, fids[j], &fpos);
					vals[i] = rs.rows[r][fpos];
					if (vals[i].isnull)
						anynull = true;
				}
				if (anynull)
					continue;
				bool found = false;
				int64_t h;
				if (by_handle) {
					sem_datum *prow = cm_new_array(dc->a, sem_datum, rt->ncols);
					if (cat_row_get(dc->txn, dc->a, rt, vals[0].v.i, prow, &found, err) != CM_OK)
						return CM_ERROR;
				} else if (cat_index_get_unique(dc->txn, dc->a, rt, uix, vals, &h, &found, err) != CM_OK)
					return CM_ERROR;
				if (!found) {
					cm_error_set(err, CM_E_FOREIGN_KEY_VIOLATION,
								 "insert or update on table \"%s\" violates foreign key constraint \"%s\"", t->name, name);
					cm_buf d;
					cm_buf_init(&d);
					key_detail(dc, t, (int) nfk, fids, rs.rows[r], &d);
					cm_error_detail(err, "%s is not present in table \"%s\".", d.data, rt->name);
					cm_buf_free(&d);
					return CM_ERROR;
				}
			}
		}
		return CM_OK;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "exclusion constraints are not supported");
	default:
		return CM_OK;
	}
}

/* ---------- sequences ---------- */

static cm_status
defel_int64(const PgQuery__DefElem *de, int64_t *out, cm_error *err)
{
	PgQuery__Node *a = de->arg;
	if (NODE(a, INTEGER)) {
		*out = a->integer->ival;
		return CM_OK;
	}
	if (NODE(a, FLOAT)) {
		char *end;
		errno = 0;
		long long v = strtoll(a->float_->fval, &end, 10);
		if (errno || *end)
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "%s requires an integer value", de->defname);
		*out = v;
		return CM_OK;
	}
	if (NODE(a, A_CONST)) {
		PgQuery__AConst *c = a->a_const;
		if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
			*out = c->ival->ival;
			return CM_OK;
		}
		if (c->val_case == PG_QUERY__A__CONST__VAL_FVAL) {
			*out = strtoll(c->fval->fval, NULL, 10);
			return CM_OK;
		}
	}
	return cm_error_set(err, CM_E_SYNTAX_ERROR, "%s requires a numeric value", de->defname);
}

static bool
defel_bool(const PgQuery__DefElem *de)
{
	PgQuery__Node *a = de->arg;
	if (a == NULL)
		return true;
	if (NODE(a, BOOLEAN))
		return a->boolean->boolval;
	if (NODE(a, INTEGER))
		return a->integer->ival != 0;
	if (NODE(a, A_CONST) && a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
		return a->a_const->boolval->boolval;
	return true;
}

static void
type_range(sem_oid t, int64_t *min, int64_t *max)
{
	if (t == SEM_INT2OID) {
		*min = INT16_MIN;
		*max = INT16_MAX;
	} else if (t == SEM_INT4OID) {
		*min = INT32_MIN;
		*max = INT32_MAX;
	} else {
		*min = INT64_MIN;
		*max = INT64_MAX;
	}
}

typedef struct seq_opts {
	bool restart;
	bool restart_given_value;
	int64_t restart_value;
	bool owned_by;
	PgQuery__Node *owned_list;
	size_t n_owned;
	PgQuery__Node **owned;
} seq_opts;

/* Apply sequence options to s (fresh: CREATE, else ALTER).  PostgreSQL's
 * init_params() rules and messages. */
static cm_status
seq_options(ddl_ctx *dc, cat_sequence *s, PgQuery__Node **opts, size_t n, bool fresh, seq_opts *so, cm_error *err)
{
	bool have_inc = false, have_min = false, have_max = false, have_start = false, have_cache = false,
		 have_cycle = false, have_as = false;
	bool min_null = false, max_null = false;
	int64_t inc = 1, min = 0, max = 0, start = 0, cache = 1;
	bool cycle = false;
	sem_oid type = s->type ? s->type : SEM_INT8OID;
	memset(so, 0, sizeof *so);
	for (size_t i = 0; i < n; i++) {
		if (!NODE(opts[i], DEF_ELEM))
			continue;
		PgQuery__DefElem *de = opts[i]->def_elem;
		const char *nm = de->defname;
		if (!strcmp(nm, "as")) {
			if (!NODE(de->arg, TYPE_NAME))
				continue;
			sem_type st;
			serial_kind sk;
			if (resolve_type(dc, de->arg->type_name, &st, &sk, err) != CM_OK)
				return CM_ERROR;
			if (!is_int_oid(st.oid))
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"sequence type must be smallint, integer, or bigint");
			type = st.oid;
			have_as = true;
		} else if (!strcmp(nm, "increment")) {
			if (defel_int64(de, &inc, err) != CM_OK)
				return CM_ERROR;
			have_inc = true;
		} else if (!strcmp(nm, "minvalue")) {
			have_min = true;
			if (de->arg == NULL)
				min_null = true;
			else if (defel_int64(de, &min, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(nm, "maxvalue")) {
			have_max = true;
			if (de->arg == NULL)
				max_null = true;
			else if (defel_int64(de, &max, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(nm, "start")) {
			if (defel_int64(de, &start, err) != CM_OK)
				return CM_ERROR;
			have_start = true;
		} else if (!strcmp(nm, "restart")) {
			so->restart = true;
			if (de->arg) {
				so->restart_given_value = true;
				if (defel_int64(de, &so->restart_value, err) != CM_OK)
					return CM_ERROR;
			}
		} else if (!strcmp(nm, "cache")) {
			if (defel_int64(de, &cache, err) != CM_OK)
				return CM_ERROR;
			have_cache = true;
		} else if (!strcmp(nm, "cycle")) {
			cycle = defel_bool(de);
			have_cycle = true;
		} else if (!strcmp(nm, "owned_by")) {
			so->owned_by = true;
			if (NODE(de->arg, LIST)) {
				so->n_owned = de->arg->list->n_items;
				so->owned = de->arg->list->items;
			}
		} else if (!strcmp(nm, "sequence_name")) {
			/* identity: handled by the caller */
		} else
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "option \"%s\" not recognized", nm);
	}
	int64_t tmin, tmax;
	type_range(type, &tmin, &tmax);
	s->type = type;
	if (have_inc) {
		if (inc == 0)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "INCREMENT must not be zero");
		s->increment = inc;
	} else if (fresh)
		s->increment = 1;
	if (have_cycle || fresh)
		s->cycle = cycle;
	bool reset_max = (have_max && max_null) || (fresh && !have_max) || (have_as && !have_max && !fresh &&
																		(s->max == INT16_MAX || s->max == INT32_MAX || s->max == INT64_MAX));
	bool reset_min = (have_min && min_null) || (fresh && !have_min) || (have_as && !have_min && !fresh &&
																		(s->min == INT16_MIN || s->min == INT32_MIN || s->min == INT64_MIN || s->min == 1));
	if (have_max && !max_null)
		s->max = max;
	else if (reset_max)
		s->max = s->increment > 0 ? tmax : -1;
	if (have_min && !min_null)
		s->min = min;
	else if (reset_min)
		s->min = s->increment > 0 ? 1 : tmin;
	if (s->max < tmin || s->max > tmax)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "MAXVALUE (%" PRId64 ") is out of range for sequence data type %s",
							s->max, sem_type_name(type));
	if (s->min < tmin || s->min > tmax)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "MINVALUE (%" PRId64 ") is out of range for sequence data type %s",
							s->min, sem_type_name(type));
	if (s->min >= s->max)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "MINVALUE (%" PRId64 ") must be less than MAXVALUE (%" PRId64 ")",
							s->min, s->max);
	if (have_start)
		s->start = start;
	else if (fresh)
		s->start = s->increment > 0 ? s->min : s->max;
	if (s->start < s->min)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "START value (%" PRId64 ") cannot be less than MINVALUE (%" PRId64 ")",
							s->start, s->min);
	if (s->start > s->max)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"START value (%" PRId64 ") cannot be greater than MAXVALUE (%" PRId64 ")", s->start, s->max);
	if (so->restart_given_value) {
		if (so->restart_value < s->min)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"RESTART value (%" PRId64 ") cannot be less than MINVALUE (%" PRId64 ")", so->restart_value, s->min);
		if (so->restart_value > s->max)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"RESTART value (%" PRId64 ") cannot be greater than MAXVALUE (%" PRId64 ")", so->restart_value, s->max);
	}
	if (have_cache) {
		if (cache <= 0)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "CACHE (%" PRId64 ") must be greater than zero", cache);
		s->cache = cache;
	} else if (fresh)
		s->cache = 1;
	return CM_OK;
}

/* Create the sequence of a serial / identity column. */
static cm_status
create_owned_seq(ddl_ctx *dc, cat_table *t, cat_column *col, PgQuery__Node **opts, size_t nopts, cm_error *err)
{
	cat_sequence *s = cm_new(dc->a, cat_sequence);
	if (alloc_id(dc, &s->id, err) != CM_OK)
		return CM_ERROR;
	s->oid = cat_oid_of(s->id);
	s->db_id = t->db_id;
	s->schema_id = t->schema_id;
	s->owner_id = dc->owner_id;
	s->type = col->type.oid;
	const char *given = NULL;
	for (size_t i = 0; i < nopts; i++)
		if (NODE(opts[i], DEF_ELEM) && !strcmp(opts[i]->def_elem->defname, "sequence_name") &&
			NODE(opts[i]->def_elem->arg, LIST) && opts[i]->def_elem->arg->list->n_items > 0) {
			PgQuery__List *l = opts[i]->def_elem->arg->list;
			given = str_node(l->items[l->n_items - 1]);
		}
	s->name = given ? cm_strdup(dc->a, given) : choose_name(dc, t->schema_id, t->name, col->name, "seq");
	if (name_taken(dc, t->schema_id, s->name))
		return cm_error_set(err, CM_E_DUPLICATE_TABLE, "relation \"%s\" already exists", s->name);
	seq_opts so;
	if (seq_options(dc, s, opts, nopts, true, &so, err) != CM_OK)
		return CM_ERROR;
	s->owned_table_id = t->id;
	s->owned_col_id = col->id;
	add_newname(dc, t->schema_id, s->name);
	col->seq_id = s->id;
	return cat_put_obj(dc->txn, CAT_KIND_SEQUENCE, s->id, s, err);
}

/* nextval('name'::regclass) as PostgreSQL writes it (qualified when the
 * schema is not the first of the search path). */
static char *
serial_default(ddl_ctx *dc, const cat_table *t, const char *seqname)
{
	const cat_schema *sc = sql_cat_schema_by_id(dc->v, t->schema_id);
	bool first = sc && dc->sp.n > 0;
	if (first) {
		const cat_schema *fs = NULL;
		for (int i = 0; i < dc->sp.n && !fs; i++)
			fs = sql_cat_find_schema(dc->v, dc->db->id, dc->sp.names[i]);
		first = fs == sc;
	}
	cm_buf b;
	cm_buf_init(&b);
	cm_buf_puts(&b, "nextval('");
	if (!first && sc)
		cm_buf_printf(&b, "%s.", sc->name);
	for (const char *p = seqname; *p; p++) {
		if (*p == '\'')
			cm_buf_putc(&b, '\'');
		cm_buf_putc(&b, *p);
	}
	cm_buf_puts(&b, "'::regclass)");
	char *r = cm_strdup(dc->a, b.data);
	cm_buf_free(&b);
	return r;
}

/* ---------- columns ---------- */

typedef struct pending_cons {
	PgQuery__Constraint *c;
	int colpos;		/* -1 for table constraints */
} pending_cons;

typedef struct pending_list {
	pending_cons *items;
	int n, cap;
} pending_list;

static void
pending_add(ddl_ctx *dc, pending_list *pl, PgQuery__Constraint *c, int colpos)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 8;
		pending_cons *n = cm_alloc(dc->a, sizeof(pending_cons) * (size_t) pl->cap);
		if (pl->n)
			memcpy(n, pl->items, sizeof(pending_cons) * (size_t) pl->n);
		pl->items = n;
	}
	pl->items[pl->n].c = c;
	pl->items[pl->n].colpos = colpos;
	pl->n++;
}

/* Validate and deparse a DEFAULT expression for column type t. */
static cm_status
default_text(ddl_ctx *dc, PgQuery__Node *expr, sem_type type, char **text, sem_expr **bound, cm_error *err)
{
	sem_expr *e;
	if (bind_expr(dc, NULL, expr, type, "DEFAULT expression", NULL, &e, err) != CM_OK)
		return CM_ERROR;
	if (bound)
		*bound = e;
	return deparse_expr(dc, expr, text, err);
}

/* Add a column from a ColumnDef; column constraints other than NULL / NOT
 * NULL / DEFAULT / IDENTITY go to pl.  *dflt (may be NULL) receives the
 * raw DEFAULT node. */
static cm_status
column_def(ddl_ctx *dc, cat_table *t, PgQuery__ColumnDef *cd, pending_list *pl, PgQuery__Node **dflt,
		   cm_error *err)
{
	if (sql_cat_find_column(t, cd->colname, NULL))
		return cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" specified more than once", cd->colname);
	if (strlen(cd->colname) >= SQL_CAT_NAMEDATALEN)
		cd->colname[SQL_CAT_NAMEDATALEN - 1] = '\0';
	sem_type type;
	serial_kind serial;
	if (resolve_type(dc, cd->type_name, &type, &serial, err) != CM_OK)
		return CM_ERROR;
	cat_column *col = add_column(dc, t, cd->colname, type);
	int pos = t->ncols - 1;
	if (cd->is_not_null)
		col->not_null = true;
	PgQuery__Node *def = cd->raw_default;
	PgQuery__Constraint *identity = NULL;
	bool saw_null = false, saw_notnull = false;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		if (!NODE(cd->constraints[i], CONSTRAINT))
			continue;
		PgQuery__Constraint *c = cd->constraints[i]->constraint;
		switch (c->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
			if (saw_notnull)
				goto conflict;
			saw_null = true;
			t->cols[pos].not_null = false;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			if (saw_null)
				goto conflict;
			saw_notnull = true;
			t->cols[pos].not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			if (def)
				return cm_error_set(err, CM_E_SYNTAX_ERROR,
									"multiple default values specified for column \"%s\" of table \"%s\"", cd->colname,
									t->name);
			def = c->raw_expr;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			if (identity)
				return cm_error_set(err, CM_E_SYNTAX_ERROR,
									"multiple identity specifications for column \"%s\" of table \"%s\"", cd->colname,
									t->name);
			identity = c;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "generated columns are not supported");
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRED:
		case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_IMMEDIATE:
			break;
		default:
			pending_add(dc, pl, c, pos);
			break;
		}
	}
	col = &t->cols[pos];
	if (identity) {
		if (serial)
			return cm_error_set(err, CM_E_SYNTAX_ERROR,
								"both default and identity specified for column \"%s\" of table \"%s\"", cd->colname,
								t->name);
		if (def)
			return cm_error_set(err, CM_E_SYNTAX_ERROR,
								"both default and identity specified for column \"%s\" of table \"%s\"", cd->colname,
								t->name);
		if (!is_int_oid(type.oid))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"identity column type must be smallint, integer, or bigint");
		if (saw_null)
			return cm_error_set(err, CM_E_SYNTAX_ERROR,
								"conflicting NULL/NOT NULL declarations for column \"%s\" of table \"%s\"", cd->colname,
								t->name);
		col->identity = nonempty(identity->generated_when) ? identity->generated_when[0] : 'a';
		col->not_null = true;
		if (create_owned_seq(dc, t, col, identity->options, identity->n_options, err) != CM_OK)
			return CM_ERROR;
	} else if (serial) {
		if (def)
			return cm_error_set(err, CM_E_SYNTAX_ERROR,
								"multiple default values specified for column \"%s\" of table \"%s\"", cd->colname,
								t->name);
		col->not_null = true;
		if (create_owned_seq(dc, t, col, NULL, 0, err) != CM_OK)
			return CM_ERROR;
		const cat_sequence *dummy = NULL;
		(void) dummy;
		/* the sequence name chosen by create_owned_seq is the last newname */
		col->default_expr = serial_default(dc, t, dc->names[dc->nnames - 1].name);
	} else if (def) {
		if (default_text(dc, def, type, &col->default_expr, NULL, err) != CM_OK)
			return CM_ERROR;
	}
	if (dflt)
		*dflt = def;
	return CM_OK;
conflict:
	return cm_error_set(err, CM_E_SYNTAX_ERROR,
						"conflicting NULL/NOT NULL declarations for column \"%s\" of table \"%s\"", cd->colname, t->name);
}

/* ---------- CREATE TABLE ---------- */


/* A new relation may take `name` in schema_id: CM_OK when it is free; with
 * IF NOT EXISTS and the name taken, PostgreSQL's NOTICE and *skip = true;
 * otherwise 42P07. */
static cm_status
claim_relation_name(ddl_ctx *dc, int64_t schema_id, const char *name, bool if_not_exists, bool *skip,
					cm_error *err)
{
	*skip = false;
	if (!name_taken(dc, schema_id, name))
		return CM_OK;
	if (if_not_exists) {
		notice(dc, CM_E_DUPLICATE_TABLE, "relation \"%s\" already exists, skipping", name);
		*skip = true;
		return CM_OK;
	}
	return cm_error_set(err, CM_E_DUPLICATE_TABLE, "relation \"%s\" already exists", name);
}

static cm_status
exec_create_table(ddl_ctx *dc, PgQuery__CreateStmt *cs, cm_error *err)
{
	PgQuery__RangeVar *rv = cs->relation;
	if (nonempty(rv->relpersistence) && rv->relpersistence[0] == 't')
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "temporary tables are not supported");
	if (cs->n_inh_relations > 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "table inheritance is not supported");
	if (cs->partspec || cs->partbound)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "partitioned tables are not supported");
	if (cs->of_typename)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "typed tables are not supported");
	const cat_schema *sc;
	if (creation_schema(dc, rv, &sc, err) != CM_OK)
		return CM_ERROR;
	bool skip;
	if (claim_relation_name(dc, sc->id, rv->relname, cs->if_not_exists, &skip, err) != CM_OK || skip)
		return skip ? CM_OK : CM_ERROR;
	cat_table *t = cm_new(dc->a, cat_table);
	if (alloc_id(dc, &t->id, err) != CM_OK)
		return CM_ERROR;
	t->oid = cat_oid_of(t->id);
	t->db_id = dc->db->id;
	t->schema_id = sc->id;
	t->name = cm_strdup(dc->a, rv->relname);
	t->owner_id = dc->owner_id;
	t->persistence = nonempty(rv->relpersistence) && rv->relpersistence[0] == 'u' ? 'u' : 'p';
	t->next_col_id = 1;
	t->next_index_id = 1;
	t->handle_col = -1;
	t->stat_rows = -1;
	add_newname(dc, sc->id, t->name);
	pending_list pl = {0};
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		PgQuery__Node *e = cs->table_elts[i];
		if (NODE(e, COLUMN_DEF)) {
			if (column_def(dc, t, e->column_def, &pl, NULL, err) != CM_OK)
				return CM_ERROR;
		} else if (NODE(e, CONSTRAINT))
			pending_add(dc, &pl, e->constraint, -1);
		else if (NODE(e, TABLE_LIKE_CLAUSE))
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "CREATE TABLE ... LIKE is not supported");
	}
	if (t->ncols > 1600)
		return cm_error_set(err, CM_E_TOO_MANY_COLUMNS, "tables can have at most 1600 columns");
	/* primary keys first (PostgreSQL creates the pkey index first) */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < pl.n; i++) {
			bool is_pk = pl.items[i].c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
			if ((pass == 0) != is_pk)
				continue;
			const cat_column *col = pl.items[i].colpos >= 0 ? &t->cols[pl.items[i].colpos] : NULL;
			if (apply_constraint(dc, t, pl.items[i].c, col, true, err) != CM_OK)
				return CM_ERROR;
		}
	/* storage options (WITH (...)) are accepted and ignored */
	return cat_put_obj(dc->txn, CAT_KIND_TABLE, t->id, t, err);
}

/* ---------- DROP ---------- */

/* Names of an object in DropStmt.objects[i]: a List of String. */
static void
object_names(PgQuery__Node *o, const char **schema, const char **name)
{
	*schema = NULL;
	*name = "";
	if (NODE(o, LIST)) {
		PgQuery__List *l = o->list;
		if (l->n_items >= 1)
			*name = str_node(l->items[l->n_items - 1]) ? str_node(l->items[l->n_items - 1]) : "";
		if (l->n_items >= 2)
			*schema = str_node(l->items[l->n_items - 2]);
	} else if (NODE(o, STRING))
		*name = o->string->sval;
}

static const char *
qualified(ddl_ctx *dc, int64_t schema_id, const char *name)
{
	const cat_schema *s = sql_cat_schema_by_id(dc->v, schema_id);
	return cm_asprintf(dc->a, "%s%s%s", s && strcmp(s->name, "public") != 0 ? s->name : "",
					   s && strcmp(s->name, "public") != 0 ? "." : "", name);
}

/* Remove table t and everything it owns. cascade: drop FKs of other tables
 * that reference it (else 2BP01). dropping: ids of tables dropped by the
 * same statement. */
static cm_status
drop_table(ddl_ctx *dc, const cat_table *t, bool cascade, const int64_t *dropping, int ndropping, cm_error *err)
{
	for (int i = 0; i < dc->v->ntables; i++) {
		const cat_table *o = dc->v->tables[i];
		if (o->id == t->id)
			continue;
		bool also = false;
		for (int j = 0; j < ndropping; j++)
			if (dropping[j] == o->id)
				also = true;
		if (also)
			continue;
		cat_table *om = mod_find(dc, o->id);
		const cat_table *cur = om ? om : o;
		for (int k = 0; k < cur->ncons; k++) {
			if (cur->cons[k].type != 'f' || cur->cons[k].ref_table_id != t->id)
				continue;
			if (!cascade) {
				cm_error_set(err, E_DEPENDENT, "cannot drop table %s because other objects depend on it",
							 qualified(dc, t->schema_id, t->name));
				cm_error_detail(err, "constraint %s on table %s depends on table %s", cur->cons[k].name,
								qualified(dc, cur->schema_id, cur->name), qualified(dc, t->schema_id, t->name));
				cm_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
				return CM_ERROR;
			}
			notice(dc, "00000", "drop cascades to constraint %s on table %s", cur->cons[k].name,
				   qualified(dc, cur->schema_id, cur->name));
			cat_table *m = mod_table(dc, cur);
			m->cons[k] = m->cons[--m->ncons];
			k--;
			cur = m;
		}
	}
	if (delete_table_data(dc, t->id, err) != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < dc->v->nseqs; i++) {
		const cat_sequence *s = dc->v->seqs[i];
		if (s->owned_table_id == t->id) {
			if (cat_del_obj(dc->txn, s->id, err) != CM_OK || cat_seq_del_value(dc->txn, s->id, err) != CM_OK)
				return CM_ERROR;
		}
	}
	cm_buf k;
	cm_buf_init(&k);
	cat_key_rowid(&k, t->id);
	cm_status st = kvs(kv_txn_delete(dc->txn, (const uint8_t *) k.data, k.len, err));
	cm_buf_free(&k);
	mod_forget(dc, t->id);
	if (st == CM_OK)
		st = cat_del_obj(dc->txn, t->id, err);
	return st;
}

static cm_status
drop_sequence(ddl_ctx *dc, const cat_sequence *s, bool cascade, cm_error *err)
{
	for (int i = 0; i < dc->v->ntables; i++) {
		const cat_table *o = dc->v->tables[i];
		cat_table *om = mod_find(dc, o->id);
		const cat_table *cur = om ? om : o;
		for (int c = 0; c < cur->ncols; c++) {
			if (cur->cols[c].dropped || cur->cols[c].seq_id != s->id)
				continue;
			if (s->owned_table_id == cur->id && cur->cols[c].identity)
				continue;
			if (cur->cols[c].default_expr == NULL)
				continue;
			if (!cascade) {
				cm_error_set(err, E_DEPENDENT, "cannot drop sequence %s because other objects depend on it",
							 qualified(dc, s->schema_id, s->name));
				cm_error_detail(err, "default value for column %s of table %s depends on sequence %s", cur->cols[c].name,
								qualified(dc, cur->schema_id, cur->name), qualified(dc, s->schema_id, s->name));
				cm_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
				return CM_ERROR;
			}
			notice(dc, "00000", "drop cascades to default value for column %s of table %s", cur->cols[c].name,
				   qualified(dc, cur->schema_id, cur->name));
			cat_table *m = mod_table(dc, cur);
			m->cols[c].default_expr = NULL;
			m->cols[c].seq_id = 0;
			cur = m;
		}
	}
	if (cat_del_obj(dc->txn, s->id, err) != CM_OK)
		return CM_ERROR;
	return cat_seq_del_value(dc->txn, s->id, err);
}

static cm_status
drop_index(ddl_ctx *dc, const cat_table *t0, const cat_index *ix0, cm_error *err)
{
	for (int i = 0; i < t0->ncons; i++)
		if ((t0->cons[i].type == 'p' || t0->cons[i].type == 'u') && t0->cons[i].index_id == ix0->id) {
			cm_error_set(err, E_DEPENDENT, "cannot drop index %s because constraint %s on table %s requires it",
						 qualified(dc, t0->schema_id, ix0->name), t0->cons[i].name, qualified(dc, t0->schema_id, t0->name));
			cm_error_hint(err, "You can drop constraint %s on table %s instead.", t0->cons[i].name,
						  qualified(dc, t0->schema_id, t0->name));
			return CM_ERROR;
		}
	cat_table *t = mod_table(dc, t0);
	for (int i = 0; i < t->nindexes; i++)
		if (t->indexes[i].id == ix0->id) {
			t->indexes[i] = t->indexes[--t->nindexes];
			break;
		}
	return delete_index_data(dc, t->id, ix0->id, err);
}

static cm_status drop_schema(ddl_ctx *dc, const cat_schema *s, bool cascade, cm_error *err);

static cm_status
exec_drop(ddl_ctx *dc, PgQuery__DropStmt *ds, cm_error *err)
{
	bool cascade = ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	PgQuery__ObjectType ot = ds->remove_type;
	const char *kindword = ot == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ? "table"
						   : ot == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ? "index"
						   : ot == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ? "sequence"
						   : ot == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ? "view"
																	  : "schema";
	if (ot == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) {
		for (size_t i = 0; i < ds->n_objects; i++) {
			const char *name = str_node(ds->objects[i]);
			const cat_schema *s = name ? sql_cat_find_schema(dc->v, dc->db->id, name) : NULL;
			if (s == NULL) {
				if (name && (!strcmp(name, "pg_catalog") || !strcmp(name, "information_schema")))
					return cm_error_set(err, E_DEPENDENT, "cannot drop schema %s because it is required by the database system",
										name);
				if (ds->missing_ok) {
					notice(dc, "00000", "schema \"%s\" does not exist, skipping", name ? name : "");
					continue;
				}
				return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist", name ? name : "");
			}
			if (drop_schema(dc, s, cascade, err) != CM_OK)
				return CM_ERROR;
		}
		return CM_OK;
	}
	if (ot != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && ot != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX &&
		ot != PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "DROP %s is not supported", kindword);
	if (ds->concurrent && ot == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && dc->ex->txn != SQL_TXN_NONE && !dc->ex->implicit)
		return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION, "DROP INDEX CONCURRENTLY cannot run inside a transaction block");
	int64_t *dropping = cm_new_array(dc->a, int64_t, ds->n_objects + 1);
	int nd = 0;
	/* resolve everything first (PostgreSQL reports the first missing one) */
	cat_relation *rels = cm_new_array(dc->a, cat_relation, ds->n_objects + 1);
	bool *have = cm_new_array(dc->a, bool, ds->n_objects + 1);
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *schema, *name;
		object_names(ds->objects[i], &schema, &name);
		bool found;
		cm_error e2 = {0};
		if (sql_cat_resolve_relation(dc->v, dc->db->id, &dc->sp, schema, name, &rels[i], NULL, &found, &e2) != CM_OK) {
			cm_error_clear(&e2);
			found = false;
			if (!ds->missing_ok)
				return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist", schema);
		}
		if (!found) {
			if (ds->missing_ok) {
				if (schema && !sql_cat_find_schema(dc->v, dc->db->id, schema))
					notice(dc, "00000", "schema \"%s\" does not exist, skipping", schema);
				else
					notice(dc, "00000", "%s \"%s\" does not exist, skipping", kindword, name);
				continue;
			}
			return cm_error_set(err, ot == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ? CM_E_UNDEFINED_OBJECT : CM_E_UNDEFINED_TABLE,
								"%s \"%s\" does not exist", kindword, name);
		}
		char want = ot == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ? 'r' : ot == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ? 'i' : 'S';
		if (rels[i].relkind != want) {
			cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a%s %s", name, want == 'i' ? "n" : "", kindword);
			const char *h = rels[i].relkind == 'r' ? "DROP TABLE to remove a table"
							: rels[i].relkind == 'i' ? "DROP INDEX to remove an index"
													 : "DROP SEQUENCE to remove a sequence";
			cm_error_hint(err, "Use %s.", h);
			return CM_ERROR;
		}
		have[i] = true;
		if (want == 'r')
			dropping[nd++] = rels[i].table->id;
	}
	for (size_t i = 0; i < ds->n_objects; i++) {
		if (!have[i])
			continue;
		cm_status st;
		if (rels[i].relkind == 'r')
			st = drop_table(dc, rels[i].table, cascade, dropping, nd, err);
		else if (rels[i].relkind == 'S')
			st = drop_sequence(dc, rels[i].seq, cascade, err);
		else {
			cat_table *m = mod_find(dc, rels[i].table->id);
			st = drop_index(dc, m ? m : rels[i].table, rels[i].index, err);
		}
		if (st != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- CREATE INDEX ---------- */

static cm_status
exec_create_index(ddl_ctx *dc, PgQuery__IndexStmt *is, cm_error *err)
{
	if (is->concurrent && dc->ex->txn != SQL_TXN_NONE && !dc->ex->implicit)
		return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION,
							"CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
	const cat_table *t0;
	const cat_schema *sc;
	if (need_table(dc, is->relation, &t0, &sc, err) != CM_OK)
		return CM_ERROR;
	if (nonempty(is->access_method) && strcmp(is->access_method, "btree") != 0 && strcmp(is->access_method, "hash") != 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "access method \"%s\" is not supported", is->access_method);
	if (is->where_clause)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "partial indexes are not supported");
	if (is->n_index_including_params > 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "INCLUDE columns are not supported");
	int n = (int) is->n_index_params;
	int32_t *ids = cm_new_array(dc->a, int32_t, n ? n : 1);
	cm_buf joined;
	cm_buf_init(&joined);
	for (int i = 0; i < n; i++) {
		PgQuery__IndexElem *el = NODE(is->index_params[i], INDEX_ELEM) ? is->index_params[i]->index_elem : NULL;
		if (el == NULL || el->expr || !nonempty(el->name)) {
			cm_buf_free(&joined);
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "expression indexes are not supported");
		}
		const cat_column *c = sql_cat_find_column(t0, el->name, NULL);
		if (c == NULL) {
			cm_buf_free(&joined);
			return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", el->name);
		}
		ids[i] = c->id;
		if (i)
			cm_buf_putc(&joined, '_');
		cm_buf_puts(&joined, el->name);
	}
	char *name;
	if (nonempty(is->idxname)) {
		name = cm_strdup(dc->a, is->idxname);
		bool skip;
		if (claim_relation_name(dc, sc->id, name, is->if_not_exists, &skip, err) != CM_OK || skip) {
			cm_buf_free(&joined);
			return skip ? CM_OK : CM_ERROR;
		}
	} else
		name = choose_name(dc, sc->id, t0->name, joined.data ? joined.data : "", "idx");
	cm_buf_free(&joined);
	cat_table *t = mod_table(dc, t0);
	cat_index *ix;
	if (add_index(dc, t, name, is->unique, false, n, ids, &ix, err) != CM_OK)
		return CM_ERROR;
	return backfill_index(dc, t, ix, err);
}

/* ---------- ALTER TABLE ---------- */

/* Rewrite every row with a new value for column pos computed by e. */
static cm_status
rewrite_column(ddl_ctx *dc, cat_table *t, int pos, sem_expr *e, cm_error *err)
{
	rowset rs;
	/* read with the old shape: the new column decodes as NULL */
	if (read_rows(dc, t, &rs, err) != CM_OK)
		return CM_ERROR;
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_status st = CM_OK;
	for (int i = 0; st == CM_OK && i < rs.n; i++) {
		if ((st = sem_eval(&dc->sem, e, NULL, NULL, &rs.rows[i][pos], err)) != CM_OK)
			break;
		if (t->cols[pos].not_null && rs.rows[i][pos].isnull) {
			st = cm_error_set(err, CM_E_NOT_NULL_VIOLATION, "column \"%s\" of relation \"%s\" contains null values",
							  t->cols[pos].name, t->name);
			break;
		}
		cm_buf_reset(&k);
		cm_buf_reset(&v);
		cat_row_key(t, rs.handles[i], &k);
		if ((st = cat_row_encode(dc->a, t, rs.rows[i], &v, err)) == CM_OK)
			st = kvs(kv_txn_set(dc->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err));
	}
	cm_buf_free(&k);
	cm_buf_free(&v);
	return st;
}

static cm_status
at_add_column(ddl_ctx *dc, cat_table *t, PgQuery__AlterTableCmd *cmd, cm_error *err)
{
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	if (sql_cat_find_column(t, cd->colname, NULL)) {
		if (cmd->missing_ok) {
			notice(dc, CM_E_DUPLICATE_COLUMN, "column \"%s\" of relation \"%s\" already exists, skipping", cd->colname,
				   t->name);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" of relation \"%s\" already exists", cd->colname,
							t->name);
	}
	pending_list pl = {0};
	PgQuery__Node *def = NULL;
	if (column_def(dc, t, cd, &pl, &def, err) != CM_OK)
		return CM_ERROR;
	int pos = t->ncols - 1;
	cat_column *col = &t->cols[pos];
	bool has;
	if (!table_has_rows(dc, t, &has, err))
		return CM_ERROR;
	if (has) {
		sem_expr *e = NULL;
		if (col->identity || col->seq_id) {
			/* nextval() for every existing row */
			const char *txt = col->default_expr;
			if (txt == NULL) {
				const char *sn = dc->names[dc->nnames - 1].name;
				txt = serial_default(dc, t, sn);
			}
			char *q = cm_asprintf(dc->a, "SELECT %s", txt);
			PgQueryProtobufParseResult pr = pg_query_parse_protobuf(q);
			cm_status st = CM_OK;
			if (pr.error)
				st = cm_error_set(err, CM_E_INTERNAL_ERROR, "could not parse a default: %s", pr.error->message);
			else {
				PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len,
																			(const uint8_t *) pr.parse_tree.data);
				PgQuery__Node *expr = tree ? tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val : NULL;
				const char *saved = dc->query;
				dc->query = q;
				st = expr ? bind_expr(dc, NULL, expr, col->type, "DEFAULT expression", NULL, &e, err) : CM_ERROR;
				dc->query = saved;
				if (st == CM_OK)
					st = rewrite_column(dc, t, pos, e, err);
				if (tree)
					pg_query__parse_result__free_unpacked(tree, NULL);
			}
			pg_query_free_protobuf_parse_result(pr);
			if (st != CM_OK)
				return CM_ERROR;
		} else if (def) {
			if (bind_expr(dc, NULL, def, col->type, "DEFAULT expression", NULL, &e, err) != CM_OK)
				return CM_ERROR;
			if (sem_expr_is_const(e)) {
				sem_datum d;
				if (sem_eval(&dc->sem, e, NULL, NULL, &d, err) != CM_OK)
					return CM_ERROR;
				if (d.isnull) {
					if (col->not_null)
						return validate_not_null(dc, t, pos, err);
				} else {
					cm_buf cell;
					cm_buf_init(&cell);
					if (cat_cell_encode(dc->a, col->type, &d, &cell, err) != CM_OK) {
						cm_buf_free(&cell);
						return CM_ERROR;
					}
					col->has_missing = true;
					col->missing = cm_memdup(dc->a, cell.data ? cell.data : "", cell.len ? cell.len : 1);
					col->missing_len = (uint32_t) cell.len;
					cm_buf_free(&cell);
				}
			} else if (rewrite_column(dc, t, pos, e, err) != CM_OK)
				return CM_ERROR;
		} else if (col->not_null)
			return cm_error_set(err, CM_E_NOT_NULL_VIOLATION, "column \"%s\" of relation \"%s\" contains null values",
								col->name, t->name);
	}
	for (int i = 0; i < pl.n; i++)
		if (apply_constraint(dc, t, pl.items[i].c, &t->cols[pl.items[i].colpos], !has, err) != CM_OK)
			return CM_ERROR;
	return CM_OK;
}

static cm_status
at_drop_column(ddl_ctx *dc, cat_table *t, PgQuery__AlterTableCmd *cmd, cm_error *err)
{
	int pos;
	cat_column *c = (cat_column *) sql_cat_find_column(t, cmd->name, &pos);
	if (c == NULL) {
		if (cmd->missing_ok) {
			notice(dc, "00000", "column \"%s\" of relation \"%s\" does not exist, skipping", cmd->name, t->name);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", cmd->name,
							t->name);
	}
	/* foreign keys of other tables referencing this column */
	for (int i = 0; i < dc->v->ntables; i++) {
		const cat_table *o = dc->v->tables[i];
		if (o->id == t->id)
			continue;
		for (int k = 0; k < o->ncons; k++)
			if (o->cons[k].type == 'f' && o->cons[k].ref_table_id == t->id)
				for (int j = 0; j < o->cons[k].nref; j++)
					if (o->cons[k].ref_col_ids[j] == c->id) {
						if (cmd->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
							cm_error_set(err, E_DEPENDENT, "cannot drop column %s of table %s because other objects depend on it",
										 c->name, t->name);
							cm_error_detail(err, "constraint %s on table %s depends on column %s of table %s", o->cons[k].name,
											o->name, c->name, t->name);
							cm_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
							return CM_ERROR;
						}
						cat_table *m = mod_table(dc, o);
						for (int q = 0; q < m->ncons; q++)
							if (m->cons[q].oid == o->cons[k].oid)
								m->cons[q] = m->cons[--m->ncons];
					}
	}
	/* indexes and constraints of this table that use it go too */
	for (int i = 0; i < t->nindexes; i++) {
		bool uses = false;
		for (int j = 0; j < t->indexes[i].ncols; j++)
			if (t->indexes[i].col_ids[j] == c->id)
				uses = true;
		if (uses) {
			if (delete_index_data(dc, t->id, t->indexes[i].id, err) != CM_OK)
				return CM_ERROR;
			t->indexes[i] = t->indexes[--t->nindexes];
			i--;
		}
	}
	for (int i = 0; i < t->ncons; i++) {
		bool uses = false;
		for (int j = 0; j < t->cons[i].ncols; j++)
			if (t->cons[i].col_ids[j] == c->id)
				uses = true;
		if (uses) {
			t->cons[i] = t->cons[--t->ncons];
			i--;
		}
	}
	if (c->seq_id) {
		const cat_sequence *s = sql_cat_seq_by_id(dc->v, c->seq_id);
		if (s && s->owned_table_id == t->id && s->owned_col_id == c->id)
			if (cat_del_obj(dc->txn, s->id, err) != CM_OK || cat_seq_del_value(dc->txn, s->id, err) != CM_OK)
				return CM_ERROR;
	}
	if (pos == t->handle_col) {
		/* rows keep their handles; new rows take hidden ids above them */
		cm_buf s, e;
		cm_buf_init(&s);
		cm_buf_init(&e);
		kv_record_range(&s, &e, t->id);
		kv_iter_options o = {.start = (const uint8_t *) s.data, .start_len = s.len,
							 .end = (const uint8_t *) e.data, .end_len = e.len, .reverse = true, .key_only = true, .batch = 1};
		kv_iter *it = NULL;
		cm_status st = kvs(kv_txn_iter(dc->txn, &o, &it, err));
		int64_t maxh = 0;
		if (st == CM_OK && kv_iter_valid(it)) {
			size_t kl;
			const uint8_t *k = kv_iter_key(it, &kl);
			st = kv_decode_record_key(k, kl, NULL, &maxh, err);
		}
		if (it)
			kv_iter_close(it);
		cm_buf_free(&s);
		cm_buf_free(&e);
		if (st != CM_OK)
			return CM_ERROR;
		cm_buf key;
		cm_buf_init(&key);
		cat_key_rowid(&key, t->id);
		char buf[32];
		int n = snprintf(buf, sizeof buf, "%" PRId64, maxh > 0 ? maxh : 0);
		st = kvs(kv_txn_set(dc->txn, (const uint8_t *) key.data, key.len, (const uint8_t *) buf, (size_t) n, err));
		cm_buf_free(&key);
		if (st != CM_OK)
			return CM_ERROR;
		/* the rewritten rows must hold every column: rewrite them without the handle column */
		rowset rs;
		if (read_rows(dc, t, &rs, err) != CM_OK)
			return CM_ERROR;
		t->handle_col = -1;
		c->dropped = true;
		cm_buf k2, v2;
		cm_buf_init(&k2);
		cm_buf_init(&v2);
		for (int i = 0; st == CM_OK && i < rs.n; i++) {
			cm_buf_reset(&k2);
			cm_buf_reset(&v2);
			cat_row_key(t, rs.handles[i], &k2);
			if ((st = cat_row_encode(dc->a, t, rs.rows[i], &v2, err)) == CM_OK)
				st = kvs(kv_txn_set(dc->txn, (const uint8_t *) k2.data, k2.len, (const uint8_t *) v2.data, v2.len, err));
		}
		cm_buf_free(&k2);
		cm_buf_free(&v2);
		if (st != CM_OK)
			return CM_ERROR;
	}
	c->dropped = true;
	c->not_null = false;
	c->default_expr = NULL;
	c->seq_id = 0;
	c->identity = 0;
	c->name = cm_asprintf(dc->a, "........pg.dropped.%d........", c->attnum);
	return CM_OK;
}

static cm_status
exec_alter_table(ddl_ctx *dc, PgQuery__AlterTableStmt *as, cm_error *err)
{
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this form of ALTER is not supported");
	cat_relation rel;
	bool found;
	const cat_schema *sc;
	if (resolve_rv(dc, as->relation, &rel, &sc, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found) {
		if (as->missing_ok) {
			notice(dc, "00000", "relation \"%s\" does not exist, skipping", as->relation->relname);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", as->relation->relname);
	}
	if (rel.relkind != 'r')
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a table", as->relation->relname);
	cat_table *t = mod_table(dc, rel.table);
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (!NODE(as->cmds[i], ALTER_TABLE_CMD))
			continue;
		PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		cm_status st = CM_OK;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			st = at_add_column(dc, t, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			st = at_drop_column(dc, t, cmd, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			st = apply_constraint(dc, t, cmd->def->constraint, NULL, false, err);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint: {
			int k = -1;
			for (int j = 0; j < t->ncons; j++)
				if (strcmp(t->cons[j].name, cmd->name) == 0)
					k = j;
			if (k < 0) {
				if (cmd->missing_ok) {
					notice(dc, "00000", "constraint \"%s\" of relation \"%s\" does not exist, skipping", cmd->name, t->name);
					break;
				}
				st = cm_error_set(err, CM_E_UNDEFINED_OBJECT, "constraint \"%s\" of relation \"%s\" does not exist",
								  cmd->name, t->name);
				break;
			}
			cat_constraint c = t->cons[k];
			if (c.type == 'p' || c.type == 'u') {
				for (int j = 0; j < t->nindexes; j++)
					if (t->indexes[j].id == c.index_id) {
						if (!(t->handle_col >= 0 && c.type == 'p') &&
							delete_index_data(dc, t->id, c.index_id, err) != CM_OK)
							return CM_ERROR;
						t->indexes[j] = t->indexes[--t->nindexes];
						break;
					}
			}
			t->cons[k] = t->cons[--t->ncons];
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault: {
			cat_column *c = (cat_column *) sql_cat_find_column(t, cmd->name, NULL);
			if (c == NULL) {
				st = cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", cmd->name,
								  t->name);
				break;
			}
			if (cmd->def == NULL)
				c->default_expr = NULL;
			else
				st = default_text(dc, cmd->def, c->type, &c->default_expr, NULL, err);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull: {
			int pos;
			cat_column *c = (cat_column *) sql_cat_find_column(t, cmd->name, &pos);
			if (c == NULL) {
				st = cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", cmd->name,
								  t->name);
				break;
			}
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull) {
				if (!c->not_null)
					st = validate_not_null(dc, t, pos, err);
				c->not_null = true;
			} else {
				const cat_constraint *pk = find_cons(t, 'p');
				for (int j = 0; pk && j < pk->ncols; j++)
					if (pk->col_ids[j] == c->id)
						return cm_error_set(err, CM_E_INVALID_TABLE_DEFINITION, "column \"%s\" is in a primary key",
											c->name);
				if (c->identity)
					return cm_error_set(err, CM_E_INVALID_TABLE_DEFINITION,
										"column \"%s\" of relation \"%s\" is an identity column", c->name, t->name);
				c->not_null = false;
			}
			break;
		}
		default:
			st = cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "this form of ALTER TABLE is not supported");
			break;
		}
		if (st != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- RENAME ---------- */

static cm_status
exec_rename(ddl_ctx *dc, PgQuery__RenameStmt *rs, cm_error *err)
{
	PgQuery__ObjectType rt = rs->rename_type;
	if (rt == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) {
		const cat_schema *s = sql_cat_find_schema(dc->v, dc->db->id, rs->subname);
		if (!s)
			return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist", rs->subname);
		if (sql_cat_find_schema(dc->v, dc->db->id, rs->newname))
			return cm_error_set(err, CM_E_DUPLICATE_SCHEMA, "schema \"%s\" already exists", rs->newname);
		cat_schema *m = cat_schema_clone(dc->a, s);
		m->name = rs->newname;
		return cat_put_obj(dc->txn, CAT_KIND_SCHEMA, m->id, m, err);
	}
	if (rt == PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE) {
		const cat_database *d = sql_cat_find_database(dc->v, rs->subname);
		if (!d)
			return cm_error_set(err, CM_E_INVALID_CATALOG_NAME, "database \"%s\" does not exist", rs->subname);
		if (d->id == dc->db->id)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "current database cannot be renamed");
		if (sql_cat_find_database(dc->v, rs->newname))
			return cm_error_set(err, CM_E_DUPLICATE_DATABASE, "database \"%s\" already exists", rs->newname);
		cat_database *m = cat_database_clone(dc->a, d);
		m->name = rs->newname;
		return cat_put_obj(dc->txn, CAT_KIND_DATABASE, m->id, m, err);
	}
	if (rt == PG_QUERY__OBJECT_TYPE__OBJECT_ROLE) {
		const cat_role *r = sql_cat_find_role(dc->v, rs->subname);
		if (!r)
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "role \"%s\" does not exist", rs->subname);
		if (sql_cat_find_role(dc->v, rs->newname))
			return cm_error_set(err, CM_E_DUPLICATE_OBJECT, "role \"%s\" already exists", rs->newname);
		cat_role *m = cat_role_clone(dc->a, r);
		m->name = rs->newname;
		return cat_put_obj(dc->txn, CAT_KIND_ROLE, m->id, m, err);
	}
	cat_relation rel;
	bool found;
	const cat_schema *sc;
	if (resolve_rv(dc, rs->relation, &rel, &sc, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found) {
		if (rs->missing_ok) {
			notice(dc, "00000", "relation \"%s\" does not exist, skipping", rs->relation->relname);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", rs->relation->relname);
	}
	if (rt == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		if (rel.relkind != 'r')
			return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a table", rs->relation->relname);
		cat_table *t = mod_table(dc, rel.table);
		cat_column *c = (cat_column *) sql_cat_find_column(t, rs->subname, NULL);
		if (!c)
			return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", rs->subname);
		if (sql_cat_find_column(t, rs->newname, NULL))
			return cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" of relation \"%s\" already exists", rs->newname,
								t->name);
		c->name = cm_strdup(dc->a, rs->newname);
		return CM_OK;
	}
	if (rt == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
		if (rel.relkind != 'r')
			return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a table", rs->relation->relname);
		cat_table *t = mod_table(dc, rel.table);
		for (int i = 0; i < t->ncons; i++)
			if (strcmp(t->cons[i].name, rs->subname) == 0) {
				if (cons_name_taken(dc, t, rs->newname))
					return cm_error_set(err, CM_E_DUPLICATE_OBJECT, "constraint \"%s\" for relation \"%s\" already exists",
										rs->newname, t->name);
				t->cons[i].name = cm_strdup(dc->a, rs->newname);
				for (int j = 0; j < t->nindexes; j++)
					if ((t->cons[i].type == 'p' || t->cons[i].type == 'u') && t->indexes[j].id == t->cons[i].index_id)
						t->indexes[j].name = t->cons[i].name;
				return CM_OK;
			}
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "constraint \"%s\" for table \"%s\" does not exist", rs->subname,
							t->name);
	}
	/* RENAME TO of a table, index or sequence */
	if (name_taken(dc, sc->id, rs->newname))
		return cm_error_set(err, CM_E_DUPLICATE_TABLE, "relation \"%s\" already exists", rs->newname);
	if (rel.relkind == 'r') {
		cat_table *t = mod_table(dc, rel.table);
		t->name = cm_strdup(dc->a, rs->newname);
	} else if (rel.relkind == 'i') {
		cat_table *t = mod_table(dc, rel.table);
		for (int j = 0; j < t->nindexes; j++)
			if (t->indexes[j].id == rel.index->id) {
				for (int k = 0; k < t->ncons; k++)
					if ((t->cons[k].type == 'p' || t->cons[k].type == 'u') && t->cons[k].index_id == rel.index->id)
						t->cons[k].name = cm_strdup(dc->a, rs->newname);
				t->indexes[j].name = cm_strdup(dc->a, rs->newname);
			}
	} else {
		cat_sequence *s = cat_seq_clone(dc->a, rel.seq);
		char *oldd = serial_default(dc, &(cat_table){.schema_id = s->schema_id}, s->name);
		s->name = cm_strdup(dc->a, rs->newname);
		char *newd = serial_default(dc, &(cat_table){.schema_id = s->schema_id}, s->name);
		/* column defaults name the sequence: follow the rename */
		for (int i = 0; i < dc->v->ntables; i++)
			for (int c = 0; c < dc->v->tables[i]->ncols; c++)
				if (dc->v->tables[i]->cols[c].seq_id == s->id && dc->v->tables[i]->cols[c].default_expr &&
					strcmp(dc->v->tables[i]->cols[c].default_expr, oldd) == 0) {
					cat_table *m = mod_table(dc, dc->v->tables[i]);
					m->cols[c].default_expr = newd;
				}
		if (cat_put_obj(dc->txn, CAT_KIND_SEQUENCE, s->id, s, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- TRUNCATE ---------- */

static cm_status
exec_truncate(ddl_ctx *dc, PgQuery__TruncateStmt *ts, cm_error *err)
{
	bool cascade = ts->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	int n = (int) ts->n_relations;
	const cat_table **tabs = cm_new_array(dc->a, const cat_table *, n + 1);
	int nt = 0;
	for (int i = 0; i < n; i++) {
		if (!NODE(ts->relations[i], RANGE_VAR))
			continue;
		const cat_table *t;
		if (need_table(dc, ts->relations[i]->range_var, &t, NULL, err) != CM_OK)
			return CM_ERROR;
		tabs[nt++] = t;
	}
	/* referencing tables must be truncated too (or CASCADE) */
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < dc->v->ntables; i++) {
			const cat_table *o = dc->v->tables[i];
			bool in = false;
			for (int j = 0; j < nt; j++)
				if (tabs[j]->id == o->id)
					in = true;
			if (in)
				continue;
			for (int k = 0; k < o->ncons && !in; k++) {
				if (o->cons[k].type != 'f')
					continue;
				for (int j = 0; j < nt; j++)
					if (o->cons[k].ref_table_id == tabs[j]->id) {
						if (!cascade) {
							cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
										 "cannot truncate a table referenced in a foreign key constraint");
							cm_error_detail(err, "Table \"%s\" references \"%s\".", o->name, tabs[j]->name);
							cm_error_hint(err, "Truncate table \"%s\" at the same time, or use TRUNCATE ... CASCADE.",
										  o->name);
							return CM_ERROR;
						}
						notice(dc, "00000", "truncate cascades to table \"%s\"", o->name);
						tabs = (const cat_table **) grow_arr(dc->a, tabs, nt, sizeof(*tabs));
						tabs[nt++] = o;
						in = true;
						changed = 1;
						break;
					}
			}
		}
	}
	for (int i = 0; i < nt; i++) {
		const cat_table *t = tabs[i];
		if (delete_table_data(dc, t->id, err) != CM_OK)
			return CM_ERROR;
		if (ts->restart_seqs)
			for (int c = 0; c < t->ncols; c++)
				if (!t->cols[c].dropped && t->cols[c].seq_id) {
					const cat_sequence *s = sql_cat_seq_by_id(dc->v, t->cols[c].seq_id);
					if (s && s->owned_table_id == t->id && cat_seq_del_value(dc->txn, s->id, err) != CM_OK)
						return CM_ERROR;
				}
	}
	return CM_OK;
}

/* ---------- schemas and databases ---------- */

static cm_status
drop_schema(ddl_ctx *dc, const cat_schema *s, bool cascade, cm_error *err)
{
	cm_buf deps;
	cm_buf_init(&deps);
	int ndeps = 0;
	for (int i = 0; i < dc->v->ntables; i++)
		if (dc->v->tables[i]->schema_id == s->id) {
			cm_buf_printf(&deps, "%stable %s.%s", ndeps ? "\n" : "", s->name, dc->v->tables[i]->name);
			ndeps++;
		}
	for (int i = 0; i < dc->v->nseqs; i++)
		if (dc->v->seqs[i]->schema_id == s->id) {
			const cat_sequence *q = dc->v->seqs[i];
			bool owned = false;
			for (int j = 0; j < dc->v->ntables; j++)
				if (dc->v->tables[j]->id == q->owned_table_id && dc->v->tables[j]->schema_id == s->id)
					owned = true;
			if (owned)
				continue;
			cm_buf_printf(&deps, "%ssequence %s.%s", ndeps ? "\n" : "", s->name, q->name);
			ndeps++;
		}
	if (ndeps && !cascade) {
		cm_error_set(err, E_DEPENDENT, "cannot drop schema %s because other objects depend on it", s->name);
		cm_error_detail(err, "%s depends on schema %s", deps.data, s->name);
		cm_error_hint(err, "Use DROP ... CASCADE to drop the dependent objects too.");
		cm_buf_free(&deps);
		return CM_ERROR;
	}
	if (ndeps == 1)
		notice(dc, "00000", "drop cascades to %s", deps.data);
	else if (ndeps > 1) {
		sql_executor_notice_sev(dc->ex, CM_SEV_NOTICE, "00000", "drop cascades to %d other objects", ndeps);
	}
	cm_buf_free(&deps);
	int64_t *ids = cm_new_array(dc->a, int64_t, dc->v->ntables + 1);
	int n = 0;
	for (int i = 0; i < dc->v->ntables; i++)
		if (dc->v->tables[i]->schema_id == s->id)
			ids[n++] = dc->v->tables[i]->id;
	for (int i = 0; i < dc->v->ntables; i++)
		if (dc->v->tables[i]->schema_id == s->id && drop_table(dc, dc->v->tables[i], true, ids, n, err) != CM_OK)
			return CM_ERROR;
	for (int i = 0; i < dc->v->nseqs; i++)
		if (dc->v->seqs[i]->schema_id == s->id) {
			if (cat_del_obj(dc->txn, dc->v->seqs[i]->id, err) != CM_OK ||
				cat_seq_del_value(dc->txn, dc->v->seqs[i]->id, err) != CM_OK)
				return CM_ERROR;
		}
	return cat_del_obj(dc->txn, s->id, err);
}

static cm_status
exec_create_schema(ddl_ctx *dc, PgQuery__CreateSchemaStmt *cs, cm_error *err)
{
	const char *name = cs->schemaname;
	if (!nonempty(name)) {
		if (cs->authrole && nonempty(cs->authrole->rolename))
			name = cs->authrole->rolename;
		else
			name = dc->user;
	}
	if (cs->n_schema_elts > 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "CREATE SCHEMA with elements is not supported");
	if (strncmp(name, "pg_", 3) == 0) {
		cm_error_set(err, "42939", "unacceptable schema name \"%s\"", name);
		cm_error_detail(err, "The prefix \"pg_\" is reserved for system schemas.");
		return CM_ERROR;
	}
	if (sql_cat_find_schema(dc->v, dc->db->id, name) || !strcmp(name, "information_schema")) {
		if (cs->if_not_exists) {
			notice(dc, CM_E_DUPLICATE_SCHEMA, "schema \"%s\" already exists, skipping", name);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_DUPLICATE_SCHEMA, "schema \"%s\" already exists", name);
	}
	cat_schema s = {.db_id = dc->db->id, .name = (char *) name, .owner_id = dc->owner_id};
	if (alloc_id(dc, &s.id, err) != CM_OK)
		return CM_ERROR;
	return cat_put_obj(dc->txn, CAT_KIND_SCHEMA, s.id, &s, err);
}

static bool
in_txn_block(ddl_ctx *dc)
{
	return dc->ex->txn != SQL_TXN_NONE && !dc->ex->implicit;
}

static cm_status
exec_createdb(ddl_ctx *dc, PgQuery__CreatedbStmt *cs, cm_error *err)
{
	if (in_txn_block(dc))
		return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION, "CREATE DATABASE cannot run inside a transaction block");
	if (sql_cat_find_database(dc->v, cs->dbname))
		return cm_error_set(err, CM_E_DUPLICATE_DATABASE, "database \"%s\" already exists", cs->dbname);
	for (size_t i = 0; i < cs->n_options; i++) {
		if (!NODE(cs->options[i], DEF_ELEM))
			continue;
		const char *o = cs->options[i]->def_elem->defname;
		if (strcmp(o, "template") && strcmp(o, "encoding") && strcmp(o, "owner") && strcmp(o, "lc_collate") &&
			strcmp(o, "lc_ctype") && strcmp(o, "locale") && strcmp(o, "connection_limit") && strcmp(o, "is_template") &&
			strcmp(o, "allow_connections") && strcmp(o, "tablespace") && strcmp(o, "strategy") &&
			strcmp(o, "icu_locale") && strcmp(o, "locale_provider") && strcmp(o, "collation_version"))
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "option \"%s\" not recognized", o);
	}
	cat_database d = {.name = cs->dbname, .owner_id = dc->owner_id, .allow_conn = true};
	if (alloc_id(dc, &d.id, err) != CM_OK)
		return CM_ERROR;
	cat_schema s = {.db_id = d.id, .name = "public", .owner_id = dc->owner_id, .comment = "standard public schema"};
	if (alloc_id(dc, &s.id, err) != CM_OK)
		return CM_ERROR;
	if (cat_put_obj(dc->txn, CAT_KIND_DATABASE, d.id, &d, err) != CM_OK)
		return CM_ERROR;
	return cat_put_obj(dc->txn, CAT_KIND_SCHEMA, s.id, &s, err);
}

static cm_status
exec_dropdb(ddl_ctx *dc, PgQuery__DropdbStmt *ds, cm_error *err)
{
	if (in_txn_block(dc))
		return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION, "DROP DATABASE cannot run inside a transaction block");
	const cat_database *d = sql_cat_find_database(dc->v, ds->dbname);
	if (d == NULL) {
		if (ds->missing_ok) {
			notice(dc, "00000", "database \"%s\" does not exist, skipping", ds->dbname);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_INVALID_CATALOG_NAME, "database \"%s\" does not exist", ds->dbname);
	}
	if (d->id == dc->db->id)
		return cm_error_set(err, CM_E_OBJECT_IN_USE, "cannot drop the currently open database");
	if (d->is_template)
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "cannot drop a template database");
	for (int i = 0; i < dc->v->ntables; i++)
		if (dc->v->tables[i]->db_id == d->id) {
			if (delete_table_data(dc, dc->v->tables[i]->id, err) != CM_OK ||
				cat_del_obj(dc->txn, dc->v->tables[i]->id, err) != CM_OK)
				return CM_ERROR;
		}
	for (int i = 0; i < dc->v->nseqs; i++)
		if (dc->v->seqs[i]->db_id == d->id) {
			if (cat_del_obj(dc->txn, dc->v->seqs[i]->id, err) != CM_OK ||
				cat_seq_del_value(dc->txn, dc->v->seqs[i]->id, err) != CM_OK)
				return CM_ERROR;
		}
	for (int i = 0; i < dc->v->nschemas; i++)
		if (dc->v->schemas[i]->db_id == d->id && cat_del_obj(dc->txn, dc->v->schemas[i]->id, err) != CM_OK)
			return CM_ERROR;
	return cat_del_obj(dc->txn, d->id, err);
}

/* ---------- sequences ---------- */

static cm_status
apply_owned_by(ddl_ctx *dc, cat_sequence *s, const seq_opts *so, cm_error *err)
{
	if (!so->owned_by)
		return CM_OK;
	if (so->n_owned == 1 && str_node(so->owned[0]) && !strcmp(str_node(so->owned[0]), "none")) {
		s->owned_table_id = 0;
		s->owned_col_id = 0;
		return CM_OK;
	}
	if (so->n_owned < 2)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid OWNED BY option");
	PgQuery__RangeVar rv = PG_QUERY__RANGE_VAR__INIT;
	rv.relname = (char *) str_node(so->owned[so->n_owned - 2]);
	rv.schemaname = so->n_owned >= 3 ? (char *) str_node(so->owned[so->n_owned - 3]) : "";
	rv.catalogname = "";
	const cat_table *t;
	const cat_schema *sc;
	if (need_table(dc, &rv, &t, &sc, err) != CM_OK)
		return CM_ERROR;
	if (sc->id != s->schema_id)
		return cm_error_set(err, CM_E_OBJECT_NOT_IN_PREREQUISITE_STATE,
							"sequence must be in same schema as table it is linked to");
	const char *cn = str_node(so->owned[so->n_owned - 1]);
	const cat_column *c = sql_cat_find_column(t, cn, NULL);
	if (!c)
		return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", cn, t->name);
	s->owned_table_id = t->id;
	s->owned_col_id = c->id;
	return CM_OK;
}

static cm_status
exec_create_seq(ddl_ctx *dc, PgQuery__CreateSeqStmt *cs, cm_error *err)
{
	PgQuery__RangeVar *rv = cs->sequence;
	if (nonempty(rv->relpersistence) && rv->relpersistence[0] == 't')
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "temporary sequences are not supported");
	const cat_schema *sc;
	if (creation_schema(dc, rv, &sc, err) != CM_OK)
		return CM_ERROR;
	bool skip;
	if (claim_relation_name(dc, sc->id, rv->relname, cs->if_not_exists, &skip, err) != CM_OK || skip)
		return skip ? CM_OK : CM_ERROR;
	cat_sequence *s = cm_new(dc->a, cat_sequence);
	s->db_id = dc->db->id;
	s->schema_id = sc->id;
	s->name = rv->relname;
	s->owner_id = dc->owner_id;
	seq_opts so;
	if (seq_options(dc, s, cs->options, cs->n_options, true, &so, err) != CM_OK)
		return CM_ERROR;
	if (apply_owned_by(dc, s, &so, err) != CM_OK)
		return CM_ERROR;
	if (alloc_id(dc, &s->id, err) != CM_OK)
		return CM_ERROR;
	return cat_put_obj(dc->txn, CAT_KIND_SEQUENCE, s->id, s, err);
}

static cm_status
exec_alter_seq(ddl_ctx *dc, PgQuery__AlterSeqStmt *as, cm_error *err)
{
	cat_relation rel;
	bool found;
	if (resolve_rv(dc, as->sequence, &rel, NULL, &found, err) != CM_OK)
		return CM_ERROR;
	if (!found) {
		if (as->missing_ok) {
			notice(dc, "00000", "relation \"%s\" does not exist, skipping", as->sequence->relname);
			return CM_OK;
		}
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", as->sequence->relname);
	}
	if (rel.relkind != 'S')
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a sequence", as->sequence->relname);
	cat_sequence *s = cat_seq_clone(dc->a, rel.seq);
	seq_opts so;
	if (seq_options(dc, s, as->options, as->n_options, false, &so, err) != CM_OK)
		return CM_ERROR;
	if (apply_owned_by(dc, s, &so, err) != CM_OK)
		return CM_ERROR;
	if (so.restart) {
		int64_t v = so.restart_given_value ? so.restart_value : s->start;
		if (cat_seq_put_value(dc->txn, s->id, v, false, err) != CM_OK)
			return CM_ERROR;
	}
	return cat_put_obj(dc->txn, CAT_KIND_SEQUENCE, s->id, s, err);
}

/* ---------- roles ---------- */

static cm_status
role_options(ddl_ctx *dc, cat_role *r, PgQuery__Node **opts, size_t n, cm_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!NODE(opts[i], DEF_ELEM))
			continue;
		PgQuery__DefElem *de = opts[i]->def_elem;
		const char *o = de->defname;
		if (!strcmp(o, "password")) {
			const char *pw = str_node(de->arg);
			if (pw == NULL)
				r->password = NULL;
			else if (!strncmp(pw, "SCRAM-SHA-256$", 14) || (!strncmp(pw, "md5", 3) && strlen(pw) == 35))
				r->password = cm_strdup(dc->a, pw);
			else if (pw[0] == '\0') {
				notice(dc, "00000", "empty string is not a valid password, clearing password");
				r->password = NULL;
			} else {
				char *v;
				if (sql_cat_scram_verifier(pw, &v, err) != CM_OK)
					return CM_ERROR;
				r->password = cm_strdup(dc->a, v);
				free(v);
			}
		} else if (!strcmp(o, "superuser"))
			r->superuser = defel_bool(de);
		else if (!strcmp(o, "canlogin"))
			r->login = defel_bool(de);
		else if (!strcmp(o, "createdb"))
			r->createdb = defel_bool(de);
		else if (!strcmp(o, "createrole"))
			r->createrole = defel_bool(de);
		else if (!strcmp(o, "inherit"))
			r->inherit = defel_bool(de);
		else if (!strcmp(o, "isreplication"))
			r->replication = defel_bool(de);
		else if (!strcmp(o, "bypassrls"))
			r->bypassrls = defel_bool(de);
		else if (!strcmp(o, "connectionlimit")) {
			int64_t v;
			if (defel_int64(de, &v, err) != CM_OK)
				return CM_ERROR;
			if (v < -1)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid connection limit: %" PRId64, v);
			r->conn_limit = (int32_t) v;
		} else if (!strcmp(o, "validUntil"))
			r->valid_until = str_node(de->arg) ? cm_strdup(dc->a, str_node(de->arg)) : NULL;
		else if (!strcmp(o, "rolemembers") || !strcmp(o, "addroleto") || !strcmp(o, "adminmembers"))
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "role membership is not supported");
	}
	return CM_OK;
}

static cm_status
exec_create_role(ddl_ctx *dc, PgQuery__CreateRoleStmt *cs, cm_error *err)
{
	const char *name = cs->role;
	if (!strcmp(name, "public") || !strcmp(name, "none"))
		return cm_error_set(err, "42939", "role name \"%s\" is reserved", name);
	if (!strncmp(name, "pg_", 3)) {
		cm_error_set(err, "42939", "role name \"%s\" is reserved", name);
		cm_error_detail(err, "Role names starting with \"pg_\" are reserved.");
		return CM_ERROR;
	}
	if (sql_cat_find_role(dc->v, name))
		return cm_error_set(err, CM_E_DUPLICATE_OBJECT, "role \"%s\" already exists", name);
	cat_role *r = cm_new(dc->a, cat_role);
	r->name = cm_strdup(dc->a, name);
	r->inherit = true;
	r->conn_limit = -1;
	r->login = cs->stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER;
	if (role_options(dc, r, cs->options, cs->n_options, err) != CM_OK)
		return CM_ERROR;
	if (alloc_id(dc, &r->id, err) != CM_OK)
		return CM_ERROR;
	return cat_put_obj(dc->txn, CAT_KIND_ROLE, r->id, r, err);
}

static cm_status
exec_alter_role(ddl_ctx *dc, PgQuery__AlterRoleStmt *as, cm_error *err)
{
	const char *name = as->role && nonempty(as->role->rolename) ? as->role->rolename : dc->user;
	const cat_role *r0 = sql_cat_find_role(dc->v, name);
	if (!r0)
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "role \"%s\" does not exist", name);
	cat_role *r = cat_role_clone(dc->a, r0);
	if (role_options(dc, r, as->options, as->n_options, err) != CM_OK)
		return CM_ERROR;
	return cat_put_obj(dc->txn, CAT_KIND_ROLE, r->id, r, err);
}

static cm_status
exec_drop_role(ddl_ctx *dc, PgQuery__DropRoleStmt *ds, cm_error *err)
{
	for (size_t i = 0; i < ds->n_roles; i++) {
		if (!NODE(ds->roles[i], ROLE_SPEC))
			continue;
		const char *name = ds->roles[i]->role_spec->rolename;
		const cat_role *r = sql_cat_find_role(dc->v, name);
		if (!r) {
			if (ds->missing_ok) {
				notice(dc, "00000", "role \"%s\" does not exist, skipping", name);
				continue;
			}
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "role \"%s\" does not exist", name);
		}
		if (!strcmp(name, dc->user))
			return cm_error_set(err, CM_E_OBJECT_IN_USE, "current user cannot be dropped");
		int nown = 0;
		for (int t = 0; t < dc->v->ntables; t++)
			if (dc->v->tables[t]->owner_id == r->id)
				nown++;
		for (int d = 0; d < dc->v->ndbs; d++)
			if (dc->v->dbs[d]->owner_id == r->id)
				nown++;
		if (nown) {
			cm_error_set(err, E_DEPENDENT, "role \"%s\" cannot be dropped because some objects depend on it", name);
			cm_error_detail(err, "owner of %d objects", nown);
			return CM_ERROR;
		}
		if (cat_del_obj(dc->txn, r->id, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- COMMENT ---------- */

static cm_status
exec_comment(ddl_ctx *dc, PgQuery__CommentStmt *cs, cm_error *err)
{
	const char *txt = nonempty(cs->comment) ? cs->comment : NULL;
	PgQuery__ObjectType ot = cs->objtype;
	if (ot == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || ot == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		PgQuery__List *l = NODE(cs->object, LIST) ? cs->object->list : NULL;
		if (!l || l->n_items < 1)
			return CM_OK;
		size_t n = l->n_items;
		const char *col = NULL;
		if (ot == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
			if (n < 2)
				return cm_error_set(err, CM_E_SYNTAX_ERROR, "column name must be qualified");
			col = str_node(l->items[n - 1]);
			n--;
		}
		PgQuery__RangeVar rv = PG_QUERY__RANGE_VAR__INIT;
		rv.relname = (char *) str_node(l->items[n - 1]);
		rv.schemaname = n >= 2 ? (char *) str_node(l->items[n - 2]) : "";
		rv.catalogname = "";
		const cat_table *t0;
		if (need_table(dc, &rv, &t0, NULL, err) != CM_OK)
			return CM_ERROR;
		cat_table *t = mod_table(dc, t0);
		if (col) {
			cat_column *c = (cat_column *) sql_cat_find_column(t, col, NULL);
			if (!c)
				return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", col,
									t->name);
			c->comment = txt ? cm_strdup(dc->a, txt) : NULL;
		} else
			t->comment = txt ? cm_strdup(dc->a, txt) : NULL;
	}
	/* other objects: accepted, not stored */
	return CM_OK;
}

/* ---------- ANALYZE ---------- */

static int
cmp_buf(const void *a, const void *b)
{
	const cm_buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->data, y->data, n);
	return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

#define ANALYZE_SAMPLE 30000

static cm_status
analyze_table(ddl_ctx *dc, const cat_table *t0, cm_error *err)
{
	cat_table *t = mod_table(dc, t0);
	cat_scan *s;
	if (cat_scan_open(dc->txn, t, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	int64_t rows = 0;
	int ns = 0;
	cm_buf *keys = calloc((size_t) t->ncols * ANALYZE_SAMPLE + 1, sizeof(cm_buf));
	if (!keys)
		abort();
	cm_arena *ra = cm_arena_create(0);
	sem_datum *row = cm_new_array(dc->a, sem_datum, t->ncols + 1);
	cm_status st = CM_OK;
	for (;;) {
		int64_t h;
		bool done;
		cm_arena_reset(ra);
		if ((st = cat_scan_next(s, ra, row, &h, &done, err)) != CM_OK || done)
			break;
		rows++;
		if (ns < ANALYZE_SAMPLE) {
			for (int c = 0; c < t->ncols; c++) {
				cm_buf *k = &keys[(size_t) c * ANALYZE_SAMPLE + (size_t) ns];
				cm_buf_init(k);
				kv_datum kd;
				if (!t->cols[c].dropped && (st = cat_datum_to_key(ra, t->cols[c].type, &row[c], &kd, err)) == CM_OK)
					st = kv_encode_key(k, &kd, 1, err);
				if (st != CM_OK)
					break;
			}
			if (st != CM_OK)
				break;
			ns++;
		}
	}
	cat_scan_close(s);
	cm_arena_destroy(ra);
	if (st == CM_OK) {
		t->stat_rows = rows;
		for (int c = 0; c < t->ncols; c++) {
			cm_buf *col = &keys[(size_t) c * ANALYZE_SAMPLE];
			qsort(col, (size_t) ns, sizeof(cm_buf), cmp_buf);
			int64_t d = 0;
			for (int i = 0; i < ns; i++)
				if (i == 0 || cmp_buf(&col[i], &col[i - 1]) != 0)
					d++;
			/* the sample is the table unless the table is larger: scale when
			 * nearly every sampled value was distinct */
			if (rows > ns && ns > 0 && d > ns * 9 / 10)
				d = d * rows / ns;
			t->cols[c].stat_ndistinct = d;
		}
	}
	for (size_t i = 0; i < (size_t) t->ncols * ANALYZE_SAMPLE; i++)
		cm_buf_free(&keys[i]);
	free(keys);
	return st;
}

static cm_status
exec_vacuum(ddl_ctx *dc, PgQuery__VacuumStmt *vs, cm_error *err)
{
	if (vs->is_vacuumcmd) {
		if (in_txn_block(dc))
			return cm_error_set(err, CM_E_ACTIVE_SQL_TRANSACTION, "VACUUM cannot run inside a transaction block");
	}
	bool analyze = !vs->is_vacuumcmd;
	for (size_t i = 0; i < vs->n_options; i++)
		if (NODE(vs->options[i], DEF_ELEM) && !strcmp(vs->options[i]->def_elem->defname, "analyze"))
			analyze = defel_bool(vs->options[i]->def_elem);
	if (vs->n_rels == 0) {
		if (!analyze)
			return CM_OK;
		for (int i = 0; i < dc->v->ntables; i++)
			if (dc->v->tables[i]->db_id == dc->db->id && analyze_table(dc, dc->v->tables[i], err) != CM_OK)
				return CM_ERROR;
		return CM_OK;
	}
	for (size_t i = 0; i < vs->n_rels; i++) {
		if (!NODE(vs->rels[i], VACUUM_RELATION))
			continue;
		const cat_table *t;
		if (need_table(dc, vs->rels[i]->vacuum_relation->relation, &t, NULL, err) != CM_OK)
			return CM_ERROR;
		if (analyze && analyze_table(dc, t, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

/* ---------- classification and entry point ---------- */

static const char *
drop_tag(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: return "DROP TABLE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: return "DROP INDEX";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "DROP SEQUENCE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: return "DROP SCHEMA";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW: return "DROP VIEW";
	default: return "DROP";
	}
}

const char *
sql_ddl_tag(const PgQuery__Node *n)
{
	if (n == NULL)
		return NULL;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: return "CREATE TABLE";
	case PG_QUERY__NODE__NODE_DROP_STMT: return drop_tag(n->drop_stmt->remove_type);
	case PG_QUERY__NODE__NODE_INDEX_STMT: return "CREATE INDEX";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return n->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ? "ALTER INDEX"
			   : n->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ? "ALTER SEQUENCE"
																						  : "ALTER TABLE";
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		switch (n->rename_stmt->rename_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: return "ALTER INDEX";
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "ALTER SEQUENCE";
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: return "ALTER SCHEMA";
		case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE: return "ALTER DATABASE";
		case PG_QUERY__OBJECT_TYPE__OBJECT_ROLE: return "ALTER ROLE";
		default: return "ALTER TABLE";
		}
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: return "TRUNCATE TABLE";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT: return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_DROPDB_STMT: return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: return "CREATE SCHEMA";
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: return "CREATE SEQUENCE";
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT: return "ALTER SEQUENCE";
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT: return "CREATE ROLE";
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT: return "ALTER ROLE";
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT: return "DROP ROLE";
	case PG_QUERY__NODE__NODE_COMMENT_STMT: return "COMMENT";
	case PG_QUERY__NODE__NODE_VACUUM_STMT: return n->vacuum_stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE";
	default: return NULL;
	}
}

static cm_status
run(ddl_ctx *dc, PgQuery__Node *n, cm_error *err)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: return exec_create_table(dc, n->create_stmt, err);
	case PG_QUERY__NODE__NODE_DROP_STMT: return exec_drop(dc, n->drop_stmt, err);
	case PG_QUERY__NODE__NODE_INDEX_STMT: return exec_create_index(dc, n->index_stmt, err);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: return exec_alter_table(dc, n->alter_table_stmt, err);
	case PG_QUERY__NODE__NODE_RENAME_STMT: return exec_rename(dc, n->rename_stmt, err);
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: return exec_truncate(dc, n->truncate_stmt, err);
	case PG_QUERY__NODE__NODE_CREATEDB_STMT: return exec_createdb(dc, n->createdb_stmt, err);
	case PG_QUERY__NODE__NODE_DROPDB_STMT: return exec_dropdb(dc, n->dropdb_stmt, err);
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: return exec_create_schema(dc, n->create_schema_stmt, err);
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: return exec_create_seq(dc, n->create_seq_stmt, err);
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT: return exec_alter_seq(dc, n->alter_seq_stmt, err);
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT: return exec_create_role(dc, n->create_role_stmt, err);
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT: return exec_alter_role(dc, n->alter_role_stmt, err);
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT: return exec_drop_role(dc, n->drop_role_stmt, err);
	case PG_QUERY__NODE__NODE_COMMENT_STMT: return exec_comment(dc, n->comment_stmt, err);
	case PG_QUERY__NODE__NODE_VACUUM_STMT: return exec_vacuum(dc, n->vacuum_stmt, err);
	default: return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "statement is not supported");
	}
}

cm_status
sql_ddl_exec(sql_executor *ex, sql_portal *po, cm_error *err)
{
	PgQuery__Node *n = po->prep->stmt;
	if (ex->txn_read_only && ex->txn != SQL_TXN_NONE)
		return cm_error_set(err, CM_E_READ_ONLY_SQL_TRANSACTION, "cannot execute %s in a read-only transaction",
							po->prep->tag);
	ddl_ctx dc;
	memset(&dc, 0, sizeof dc);
	dc.ex = ex;
	dc.po = po;
	dc.a = cm_arena_create(0);
	dc.kv = ex->cfg->kv;
	dc.query = po->prep->text ? po->prep->text : "";
	dc.user = sql_session_user(ex->session);
	dc.sem.arena = dc.a;
	sql_executor_fill_sem(ex, &dc.sem);
	dc.sem.catalog = po->sem.catalog;
	dc.sem.catalog_arg = po->sem.catalog_arg;
	cm_status st = CM_OK;
	if (dc.kv == NULL)
		st = cm_error_set(err, CM_E_CANNOT_CONNECT_NOW, "the store is not open");
	if (st == CM_OK)
		st = sql_cat_bootstrap(dc.kv, err);
	if (st == CM_OK)
		st = sql_executor_kv_txn(ex, &dc.txn, err);
	if (st == CM_OK)
		st = cat_ddl_begin(dc.kv, dc.txn, &dc.d, err);
	if (st != CM_OK) {
		cm_arena_destroy(dc.a);
		return CM_ERROR;
	}
	dc.v = dc.d.view;
	dc.db = sql_cat_find_database(dc.v, sql_session_database(ex->session));
	if (dc.db == NULL)
		st = cm_error_set(err, CM_E_INVALID_CATALOG_NAME, "database \"%s\" does not exist",
						  sql_session_database(ex->session));
	if (st == CM_OK) {
		const cat_role *r = sql_cat_find_role(dc.v, dc.user);
		dc.owner_id = r ? r->id : 0;
		sql_cat_search_path_parse(dc.a, sql_session_get(ex->session, "search_path"), dc.user, &dc.sp);
		st = run(&dc, n, err);
	}
	if (st == CM_OK)
		st = write_mods(&dc, err);
	if (st == CM_OK)
		st = cat_ddl_finish(&dc.d, err);
	else
		cat_ddl_abort(&dc.d);
	cm_arena_destroy(dc.a);
	return st;
}
