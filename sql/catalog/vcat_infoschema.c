/*
 * vcat_infoschema.c -- information_schema views: tables, columns,
 * schemata, table_constraints, key_column_usage, referential_constraints,
 * sequences (views is present and empty: pgkv has no views).
 *
 * Values follow PostgreSQL 15's view definitions (information_schema.sql):
 * data_type is format_type without typmod ('ARRAY' for arrays),
 * character_octet_length is 4 bytes per character (UTF8), numeric
 * precision of integer and float types is in bits (radix 2).  Differences:
 * NOT NULL columns do not appear as CHECK rows of table_constraints (their
 * PostgreSQL names embed OIDs), and every object is listed (pgkv does not
 * check privileges).
 *
 * Exported: vc_fill_is_* (vcat_internal.h).
 */
#include <stdio.h>
#include <string.h>

#include "sql/catalog/vcat_internal.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_type.h"

static const char *dbname(const vc_ctx *c)
{
	return c->db ? c->db->name : NULL;
}

static bool in_db(const vc_ctx *c, int64_t db_id)
{
	return c->view && c->db && c->db->id == db_id;
}

static const char *yes_no(bool b)
{
	return b ? "YES" : "NO";
}

/* ---- tables ----------------------------------------------------------------------------- */

static void table_row(const vc_ctx *c, vc_rows *r, const char *schema, const char *name, const char *type,
					  bool insertable)
{
	vc_row(r);
	vc_str(r, dbname(c));
	vc_str(r, schema);
	vc_str(r, name);
	vc_str(r, type);
	vc_null(r);
	vc_null(r);
	vc_null(r);
	vc_null(r);
	vc_null(r);
	vc_str(r, yes_no(insertable));
	vc_str(r, "NO");
	vc_null(r);
	vc_end(r);
}

void vc_fill_is_tables(const vc_ctx *c, vc_rows *r)
{
	for (int i = 0; i < vc_nrels(); i++) {
		const vc_rel *rel = vc_rel_at(i);
		table_row(c, r, rel->schema, rel->name, rel->relkind == 'r' ? "BASE TABLE" : "VIEW", rel->relkind == 'r');
	}
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (in_db(c, t->db_id))
			table_row(c, r, vc_schema_name(c, vc_schema_oid(c, t->schema_id)), t->name, "BASE TABLE", true);
	}
}

/* ---- columns ------------------------------------------------------------------------------ */

typedef struct col_info {
	const char *schema, *table, *name;
	int attnum;
	sem_type type;
	bool not_null;
	const char *def;
	char identity;
	const cat_sequence *seq;
} col_info;

static void column_row(const vc_ctx *c, vc_rows *r, const col_info *ci)
{
	sem_oid oid = ci->type.oid;
	int32_t tm = ci->type.typmod;
	const sem_typeinfo *ti = sem_type_info(oid);
	bool is_array = ti && ti->category == 'A';
	vc_row(r);
	vc_str(r, dbname(c));
	vc_str(r, ci->schema);
	vc_str(r, ci->table);
	vc_str(r, ci->name);
	vc_int(r, ci->attnum);
	vc_str(r, ci->identity ? NULL : ci->def);
	vc_str(r, yes_no(!ci->not_null));
	if (is_array)
		vc_str(r, "ARRAY");
	else
		vc_str(r, sem_type_name(oid));
	/* character_maximum_length, character_octet_length */
	bool chr = oid == SEM_VARCHAROID || oid == SEM_BPCHAROID || oid == SEM_TEXTOID;
	if ((oid == SEM_VARCHAROID || oid == SEM_BPCHAROID) && tm >= 4)
		vc_int(r, tm - 4);
	else
		vc_null(r);
	if (chr)
		vc_int(r, (oid != SEM_TEXTOID && tm >= 4) ? (int64_t) (tm - 4) * 4 : 1073741824);
	else
		vc_null(r);
	/* numeric_precision, _radix, _scale */
	switch (oid) {
	case SEM_INT2OID: vc_int(r, 16); vc_int(r, 2); vc_int(r, 0); break;
	case SEM_INT4OID: vc_int(r, 32); vc_int(r, 2); vc_int(r, 0); break;
	case SEM_INT8OID: vc_int(r, 64); vc_int(r, 2); vc_int(r, 0); break;
	case SEM_FLOAT4OID: vc_int(r, 24); vc_int(r, 2); vc_null(r); break;
	case SEM_FLOAT8OID: vc_int(r, 53); vc_int(r, 2); vc_null(r); break;
	case SEM_NUMERICOID:
		if (tm >= 4) {
			vc_int(r, ((tm - 4) >> 16) & 0xffff);
			vc_int(r, 10);
			vc_int(r, (((tm - 4) & 0x7ff) ^ 1024) - 1024);
		} else {
			vc_null(r);
			vc_int(r, 10);
			vc_null(r);
		}
		break;
	default: vc_null(r); vc_null(r); vc_null(r); break;
	}
	/* datetime_precision */
	if (oid == SEM_DATEOID)
		vc_int(r, 0);
	else if (oid == SEM_TIMEOID || oid == SEM_TIMESTAMPOID || oid == SEM_TIMESTAMPTZOID)
		vc_int(r, tm >= 0 ? tm : 6);
	else if (oid == SEM_INTERVALOID)
		vc_int(r, tm >= 0 && (tm & 0xffff) != 0xffff ? (tm & 0xffff) : 6);
	else
		vc_null(r);
	vc_null(r);						/* interval_type */
	vc_null(r);						/* interval_precision */
	for (int i = 0; i < 6; i++)		/* character_set_*, collation_* */
		vc_null(r);
	for (int i = 0; i < 3; i++)		/* domain_* */
		vc_null(r);
	vc_str(r, dbname(c));			/* udt_catalog */
	vc_str(r, "pg_catalog");
	vc_str(r, ti ? ti->typname : NULL);
	for (int i = 0; i < 3; i++)		/* scope_* */
		vc_null(r);
	vc_null(r);						/* maximum_cardinality */
	vc_strf(r, "%d", ci->attnum);	/* dtd_identifier */
	vc_str(r, "NO");				/* is_self_referencing */
	vc_str(r, yes_no(ci->identity != 0));
	vc_str(r, ci->identity == 'a' ? "ALWAYS" : ci->identity == 'd' ? "BY DEFAULT" : NULL);
	if (ci->identity && ci->seq) {
		vc_strf(r, "%lld", (long long) ci->seq->start);
		vc_strf(r, "%lld", (long long) ci->seq->increment);
		vc_strf(r, "%lld", (long long) ci->seq->max);
		vc_strf(r, "%lld", (long long) ci->seq->min);
		vc_str(r, yes_no(ci->seq->cycle));
	} else {
		vc_null(r);
		vc_null(r);
		vc_null(r);
		vc_null(r);
		vc_str(r, "NO");
	}
	vc_str(r, "NEVER");				/* is_generated */
	vc_null(r);						/* generation_expression */
	vc_str(r, "YES");				/* is_updatable */
	vc_end(r);
}

void vc_fill_is_columns(const vc_ctx *c, vc_rows *r)
{
	for (int i = 0; i < vc_nrels(); i++) {
		const vc_rel *rel = vc_rel_at(i);
		for (int k = 0; k < rel->ncols; k++) {
			col_info ci = {rel->schema, rel->name, rel->colnames[k], k + 1, rel->coltypes[k], false, NULL, 0, NULL};
			column_row(c, r, &ci);
		}
	}
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		const char *sn = vc_schema_name(c, vc_schema_oid(c, t->schema_id));
		for (int k = 0; k < t->ncols; k++) {
			const cat_column *col = &t->cols[k];
			if (col->dropped)
				continue;
			col_info ci = {sn, t->name, col->name, col->attnum, col->type, col->not_null,
						   col->default_expr ? vc_default_text(c, t, col) : NULL, col->identity,
						   col->seq_id ? sql_cat_seq_by_id(c->view, col->seq_id) : NULL};
			column_row(c, r, &ci);
		}
	}
}

/* ---- schemata --------------------------------------------------------------------------- */

static void schema_row(const vc_ctx *c, vc_rows *r, const char *name, uint32_t owner)
{
	vc_row(r);
	vc_str(r, dbname(c));
	vc_str(r, name);
	vc_str(r, vc_role_name(c, owner));
	vc_null(r);
	vc_null(r);
	vc_null(r);
	vc_null(r);
	vc_end(r);
}

void vc_fill_is_schemata(const vc_ctx *c, vc_rows *r)
{
	uint32_t su = vc_superuser_oid(c);
	schema_row(c, r, "pg_catalog", su);
	schema_row(c, r, "pg_toast", su);
	schema_row(c, r, "information_schema", su);
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nschemas; i++) {
		const cat_schema *s = c->view->schemas[i];
		if (in_db(c, s->db_id))
			schema_row(c, r, s->name, vc_role_oid(c, s->owner_id));
	}
}

/* ---- constraints ------------------------------------------------------------------------- */

static const char *constraint_type(char t)
{
	switch (t) {
	case 'p': return "PRIMARY KEY";
	case 'u': return "UNIQUE";
	case 'f': return "FOREIGN KEY";
	case 'c': return "CHECK";
	default: return NULL;
	}
}

void vc_fill_is_table_constraints(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		const char *sn = vc_schema_name(c, vc_schema_oid(c, t->schema_id));
		for (int k = 0; k < t->ncons; k++) {
			const cat_constraint *x = &t->cons[k];
			vc_row(r);
			vc_str(r, dbname(c));
			vc_str(r, sn);
			vc_str(r, x->name);
			vc_str(r, dbname(c));
			vc_str(r, sn);
			vc_str(r, t->name);
			vc_str(r, constraint_type(x->type));
			vc_str(r, yes_no(x->deferrable));
			vc_str(r, "NO");
			vc_str(r, "YES");
			vc_str(r, x->type == 'p' || x->type == 'u' ? "YES" : NULL);
			vc_end(r);
		}
	}
}

/* The primary key / unique constraint of rt whose columns are ids (NULL if none). */
static const cat_constraint *unique_on(const cat_table *rt, const int32_t *ids, int n)
{
	for (int q = 0; rt && q < rt->ncons; q++) {
		const cat_constraint *u = &rt->cons[q];
		if ((u->type == 'p' || u->type == 'u') && u->ncols == n &&
			memcmp(u->col_ids, ids, sizeof(int32_t) * (size_t) n) == 0)
			return u;
	}
	return NULL;
}

void vc_fill_is_key_column_usage(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		const char *sn = vc_schema_name(c, vc_schema_oid(c, t->schema_id));
		for (int k = 0; k < t->ncons; k++) {
			const cat_constraint *x = &t->cons[k];
			if (x->type != 'p' && x->type != 'u' && x->type != 'f')
				continue;
			const cat_table *rt = x->type == 'f' ? sql_cat_table_by_id(c->view, x->ref_table_id) : NULL;
			const cat_constraint *u = rt ? unique_on(rt, x->ref_col_ids, x->nref) : NULL;
			for (int p = 0; p < x->ncols; p++) {
				const cat_column *col = sql_cat_column_by_id(t, x->col_ids[p], NULL);
				vc_row(r);
				vc_str(r, dbname(c));
				vc_str(r, sn);
				vc_str(r, x->name);
				vc_str(r, dbname(c));
				vc_str(r, sn);
				vc_str(r, t->name);
				vc_str(r, col ? col->name : NULL);
				vc_int(r, p + 1);
				if (u) {
					int pos = 0;
					for (int q = 0; q < u->ncols; q++)
						if (p < x->nref && u->col_ids[q] == x->ref_col_ids[p])
							pos = q + 1;
					vc_int(r, pos);
				} else
					vc_null(r);
				vc_end(r);
			}
		}
	}
}

static const char *rule_text(char a)
{
	switch (a) {
	case 'r': return "RESTRICT";
	case 'c': return "CASCADE";
	case 'n': return "SET NULL";
	case 'd': return "SET DEFAULT";
	default: return "NO ACTION";
	}
}

void vc_fill_is_referential_constraints(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		const char *sn = vc_schema_name(c, vc_schema_oid(c, t->schema_id));
		for (int k = 0; k < t->ncons; k++) {
			const cat_constraint *x = &t->cons[k];
			if (x->type != 'f')
				continue;
			const cat_table *rt = sql_cat_table_by_id(c->view, x->ref_table_id);
			const cat_constraint *u = rt ? unique_on(rt, x->ref_col_ids, x->nref) : NULL;
			vc_row(r);
			vc_str(r, dbname(c));
			vc_str(r, sn);
			vc_str(r, x->name);
			vc_str(r, u ? dbname(c) : NULL);
			vc_str(r, u ? vc_schema_name(c, vc_schema_oid(c, rt->schema_id)) : NULL);
			vc_str(r, u ? u->name : NULL);
			vc_str(r, x->match_type == 'f' ? "FULL" : "NONE");
			vc_str(r, rule_text(x->on_update));
			vc_str(r, rule_text(x->on_delete));
			vc_end(r);
		}
	}
}

/* ---- sequences ---------------------------------------------------------------------------- */

void vc_fill_is_sequences(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (!in_db(c, s->db_id))
			continue;
		sem_oid t = s->type ? s->type : SEM_INT8OID;
		vc_row(r);
		vc_str(r, dbname(c));
		vc_str(r, vc_schema_name(c, vc_schema_oid(c, s->schema_id)));
		vc_str(r, s->name);
		vc_str(r, sem_type_name(t));
		vc_int(r, t == SEM_INT2OID ? 16 : t == SEM_INT4OID ? 32 : 64);
		vc_int(r, 2);
		vc_int(r, 0);
		vc_strf(r, "%lld", (long long) s->start);
		vc_strf(r, "%lld", (long long) s->min);
		vc_strf(r, "%lld", (long long) s->max);
		vc_strf(r, "%lld", (long long) s->increment);
		vc_str(r, yes_no(s->cycle));
		vc_end(r);
	}
}
