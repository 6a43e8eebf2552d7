/*
 * vcat_pgcat.c -- the pg_catalog relations generated from the user's
 * objects: pg_namespace, pg_class, pg_attribute, pg_index, pg_constraint,
 * pg_attrdef, pg_sequence, pg_description, pg_database, the role catalogs,
 * pg_settings, pg_stat_activity and the views pg_tables, pg_indexes,
 * pg_sequences.
 *
 * Each fill function appends one row per object of the statement's
 * catalog view (the session's database only, as PostgreSQL's catalogs are
 * per database; pg_database and the role catalogs are shared), values in
 * the column order of the relation's declaration in vcat_scan.c.
 *
 * Exported: the vc_fill_* functions named above (vcat_internal.h).
 */
#include <stdio.h>
#include <string.h>

#include "sql/catalog/vcat_internal.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

/* ---- iteration helpers --------------------------------------------------------------- */

static bool in_db(const vc_ctx *c, int64_t db_id)
{
	return c->view && c->db && c->db->id == db_id;
}

static int count_cons(const cat_table *t, char type)
{
	int n = 0;
	for (int i = 0; i < t->ncons; i++)
		n += t->cons[i].type == type;
	return n;
}

/* PostgreSQL implements foreign keys with triggers on both tables. */
static bool has_fk_triggers(const vc_ctx *c, const cat_table *t)
{
	if (count_cons(t, 'f') > 0)
		return true;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *o = c->view->tables[i];
		for (int k = 0; k < o->ncons; k++)
			if (o->cons[k].type == 'f' && o->cons[k].ref_table_id == t->id)
				return true;
	}
	return false;
}

static uint32_t type_collation(uint32_t oid)
{
	return sem_type_is_string(oid) ? (oid == SEM_NAMEOID ? VC_C_COLLATION_OID : VC_DEFAULT_COLLATION_OID) : 0;
}

/* attlen / attbyval / attalign / attstorage of a type. */
static void type_storage(uint32_t oid, int16_t *len, bool *byval, char *align, char *storage)
{
	const sem_typeinfo *ti = sem_type_info(oid);
	*len = ti ? ti->typlen : -1;
	*byval = ti ? ti->byval : false;
	if (*len == -1) {
		*align = oid == SEM_NUMERICOID || oid == SEM_BYTEAOID || oid == SEM_TEXTOID || oid == SEM_VARCHAROID ||
						 oid == SEM_BPCHAROID || oid == SEM_JSONOID || oid == SEM_JSONBOID
					 ? 'i'
					 : 'd';
		if (ti && ti->category == 'A')
			*align = 'i';
		*storage = oid == SEM_NUMERICOID ? 'm' : 'x';
		return;
	}
	*storage = 'p';
	switch (*len) {
	case 1: *align = 'c'; break;
	case 2: *align = 's'; break;
	case 4: *align = 'i'; break;
	case 64: *align = 'c'; break;	/* name */
	case 16: *align = oid == SEM_UUIDOID ? 'c' : 'd'; break;
	default: *align = 'd'; break;
	}
}

/* ---- pg_namespace ---------------------------------------------------------------------- */

static void nsp_row(vc_rows *r, uint32_t oid, const char *name, uint32_t owner)
{
	vc_row(r);
	vc_oid(r, oid);
	vc_str(r, name);
	vc_oid(r, owner);
	vc_null(r);
	vc_end(r);
}

void vc_fill_namespace(const vc_ctx *c, vc_rows *r)
{
	uint32_t su = vc_superuser_oid(c);
	nsp_row(r, SQL_CAT_PG_CATALOG_OID, "pg_catalog", su);
	nsp_row(r, VC_PG_TOAST_OID, "pg_toast", su);
	nsp_row(r, SQL_CAT_INFORMATION_SCHEMA_OID, "information_schema", su);
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nschemas; i++) {
		const cat_schema *s = c->view->schemas[i];
		if (in_db(c, s->db_id))
			nsp_row(r, s->oid, s->name, vc_role_oid(c, s->owner_id));
	}
}

/* ---- pg_class ------------------------------------------------------------------------- */

typedef struct class_vals {
	uint32_t oid;
	const char *name;
	uint32_t nsp, owner, am;
	int natts, checks;
	bool hasindex, hastriggers;
	char persistence, kind, replident;
	double tuples;
} class_vals;

static void class_row(vc_rows *r, const class_vals *v)
{
	vc_row(r);
	vc_oid(r, v->oid);
	vc_str(r, v->name);
	vc_oid(r, v->nsp);
	vc_oid(r, 0);					/* reltype */
	vc_oid(r, 0);					/* reloftype */
	vc_oid(r, v->owner);
	vc_oid(r, v->am);
	vc_oid(r, v->kind == 'v' ? 0 : v->oid);	/* relfilenode */
	vc_oid(r, 0);					/* reltablespace: the database's */
	vc_int(r, 0);					/* relpages */
	vc_float(r, v->tuples);
	vc_int(r, 0);					/* relallvisible */
	vc_oid(r, 0);					/* reltoastrelid */
	vc_bool(r, v->hasindex);
	vc_bool(r, false);				/* relisshared */
	vc_char(r, v->persistence);
	vc_char(r, v->kind);
	vc_int(r, v->natts);
	vc_int(r, v->checks);
	vc_bool(r, false);				/* relhasrules */
	vc_bool(r, v->hastriggers);
	vc_bool(r, false);				/* relhassubclass */
	vc_bool(r, false);				/* relrowsecurity */
	vc_bool(r, false);				/* relforcerowsecurity */
	vc_bool(r, true);				/* relispopulated */
	vc_char(r, v->replident);
	vc_bool(r, false);				/* relispartition */
	vc_oid(r, 0);					/* relrewrite */
	vc_oid(r, 0);					/* relfrozenxid */
	vc_oid(r, 0);					/* relminmxid */
	vc_null(r);						/* relacl */
	vc_null(r);						/* reloptions */
	vc_null(r);						/* relpartbound */
	vc_end(r);
}

void vc_fill_class(const vc_ctx *c, vc_rows *r)
{
	uint32_t su = vc_superuser_oid(c);
	for (int i = 0; i < vc_nrels(); i++) {
		const vc_rel *rel = vc_rel_at(i);
		class_vals v = {0};
		v.oid = rel->oid;
		v.name = rel->name;
		v.nsp = strcmp(rel->schema, "pg_catalog") == 0 ? SQL_CAT_PG_CATALOG_OID : SQL_CAT_INFORMATION_SCHEMA_OID;
		v.owner = su;
		v.am = rel->relkind == 'r' ? VC_HEAP_AM_OID : 0;
		v.natts = rel->ncols;
		v.persistence = 'p';
		v.kind = rel->relkind;
		v.replident = rel->relkind == 'r' ? 'd' : 'n';
		v.tuples = -1;
		class_row(r, &v);
	}
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		uint32_t nsp = vc_schema_oid(c, t->schema_id), owner = vc_role_oid(c, t->owner_id);
		class_vals v = {0};
		v.oid = t->oid;
		v.name = t->name;
		v.nsp = nsp;
		v.owner = owner;
		v.am = VC_HEAP_AM_OID;
		v.natts = t->ncols;
		v.checks = count_cons(t, 'c');
		v.hasindex = t->nindexes > 0;
		v.hastriggers = has_fk_triggers(c, t);
		v.persistence = t->persistence ? t->persistence : 'p';
		v.kind = 'r';
		v.replident = 'd';
		v.tuples = t->stat_rows >= 0 ? (double) t->stat_rows : -1;
		class_row(r, &v);
		for (int k = 0; k < t->nindexes; k++) {
			const cat_index *ix = &t->indexes[k];
			class_vals w = {0};
			w.oid = ix->oid;
			w.name = ix->name;
			w.nsp = nsp;
			w.owner = owner;
			w.am = VC_BTREE_AM_OID;
			w.natts = ix->ncols;
			w.persistence = v.persistence;
			w.kind = 'i';
			w.replident = 'n';
			w.tuples = v.tuples;
			class_row(r, &w);
		}
	}
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (!in_db(c, s->db_id))
			continue;
		class_vals v = {0};
		v.oid = s->oid;
		v.name = s->name;
		v.nsp = vc_schema_oid(c, s->schema_id);
		v.owner = vc_role_oid(c, s->owner_id);
		v.natts = 3;
		v.persistence = 'p';
		v.kind = 'S';
		v.replident = 'n';
		v.tuples = 1;
		class_row(r, &v);
	}
}

/* ---- pg_attribute ---------------------------------------------------------------------- */

static void att_row(vc_rows *r, uint32_t relid, const char *name, uint32_t typid, int32_t typmod, int attnum,
					bool notnull, bool hasdef, bool hasmissing, char identity, bool dropped)
{
	int16_t len;
	bool byval;
	char align, storage;
	type_storage(typid, &len, &byval, &align, &storage);
	const sem_typeinfo *ti = sem_type_info(typid);
	vc_row(r);
	vc_oid(r, relid);
	vc_str(r, name);
	vc_oid(r, dropped ? 0 : typid);
	vc_int(r, -1);					/* attstattarget */
	vc_int(r, len);
	vc_int(r, attnum);
	vc_int(r, ti && ti->category == 'A' ? 1 : 0);
	vc_int(r, -1);					/* attcacheoff */
	vc_int(r, typmod);
	vc_bool(r, byval);
	vc_char(r, align);
	vc_char(r, storage);
	vc_char(r, '\0');				/* attcompression */
	vc_bool(r, notnull);
	vc_bool(r, hasdef);
	vc_bool(r, hasmissing);
	vc_char(r, identity);
	vc_char(r, '\0');				/* attgenerated */
	vc_bool(r, dropped);
	vc_bool(r, true);				/* attislocal */
	vc_int(r, 0);					/* attinhcount */
	vc_oid(r, dropped ? 0 : type_collation(typid));
	vc_null(r);						/* attacl */
	vc_null(r);						/* attoptions */
	vc_null(r);						/* attfdwoptions */
	vc_null(r);						/* attmissingval */
	vc_end(r);
}

void vc_fill_attribute(const vc_ctx *c, vc_rows *r)
{
	for (int i = 0; i < vc_nrels(); i++) {
		const vc_rel *rel = vc_rel_at(i);
		for (int k = 0; k < rel->ncols; k++)
			att_row(r, rel->oid, rel->colnames[k], rel->coltypes[k].oid, -1, k + 1, false, false, false, '\0', false);
	}
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		for (int k = 0; k < t->ncols; k++) {
			const cat_column *col = &t->cols[k];
			att_row(r, t->oid, col->name, col->type.oid, col->type.typmod, col->attnum, col->not_null,
					col->default_expr != NULL, col->has_missing, col->identity, col->dropped);
		}
		for (int x = 0; x < t->nindexes; x++) {
			const cat_index *ix = &t->indexes[x];
			for (int k = 0; k < ix->ncols; k++) {
				const cat_column *col = sql_cat_column_by_id(t, ix->col_ids[k], NULL);
				if (col)
					att_row(r, ix->oid, col->name, col->type.oid, col->type.typmod, k + 1, false, false, false,
							'\0', false);
			}
		}
	}
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (!in_db(c, s->db_id))
			continue;
		att_row(r, s->oid, "last_value", SEM_INT8OID, -1, 1, true, false, false, '\0', false);
		att_row(r, s->oid, "log_cnt", SEM_INT8OID, -1, 2, true, false, false, '\0', false);
		att_row(r, s->oid, "is_called", SEM_BOOLOID, -1, 3, true, false, false, '\0', false);
	}
}

/* ---- pg_index ------------------------------------------------------------------------- */

void vc_fill_index(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		for (int x = 0; x < t->nindexes; x++) {
			const cat_index *ix = &t->indexes[x];
			int64_t keys[64], colls[64], zeros[64];
			int n = ix->ncols < 64 ? ix->ncols : 64;
			for (int k = 0; k < n; k++) {
				const cat_column *col = sql_cat_column_by_id(t, ix->col_ids[k], NULL);
				keys[k] = col ? col->attnum : 0;
				colls[k] = col ? type_collation(col->type.oid) : 0;
				zeros[k] = 0;
			}
			vc_row(r);
			vc_oid(r, ix->oid);
			vc_oid(r, t->oid);
			vc_int(r, n);
			vc_int(r, n);
			vc_bool(r, ix->unique || ix->primary);
			vc_bool(r, false);			/* indnullsnotdistinct */
			vc_bool(r, ix->primary);
			vc_bool(r, false);			/* indisexclusion */
			vc_bool(r, true);			/* indimmediate */
			vc_bool(r, false);			/* indisclustered */
			vc_bool(r, true);			/* indisvalid */
			vc_bool(r, false);			/* indcheckxmin */
			vc_bool(r, true);			/* indisready */
			vc_bool(r, true);			/* indislive */
			vc_bool(r, false);			/* indisreplident */
			vc_int_array(r, SEM_INT2OID, keys, n);
			vc_int_array(r, SEM_OIDOID, colls, n);
			vc_int_array(r, SEM_OIDOID, zeros, n);
			vc_int_array(r, SEM_INT2OID, zeros, n);
			vc_null(r);					/* indexprs */
			vc_null(r);					/* indpred */
			vc_end(r);
		}
	}
}

/* ---- pg_constraint --------------------------------------------------------------------- */

static void attnums(const cat_table *t, const int32_t *ids, int n, int64_t *out)
{
	for (int k = 0; k < n; k++) {
		const cat_column *col = t ? sql_cat_column_by_id(t, ids[k], NULL) : NULL;
		out[k] = col ? col->attnum : 0;
	}
}

void vc_fill_constraint(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		uint32_t nsp = vc_schema_oid(c, t->schema_id);
		for (int x = 0; x < t->ncons; x++) {
			const cat_constraint *k = &t->cons[x];
			bool fk = k->type == 'f';
			const cat_table *rt = fk ? sql_cat_table_by_id(c->view, k->ref_table_id) : NULL;
			int64_t key[64], fkey[64];
			int n = k->ncols < 64 ? k->ncols : 64, nf = k->nref < 64 ? k->nref : 64;
			attnums(t, k->col_ids, n, key);
			if (fk)
				attnums(rt, k->ref_col_ids, nf, fkey);
			uint32_t indid = 0;
			if (k->type == 'p' || k->type == 'u')
				indid = vc_constraint_index_oid(t, k);
			else if (fk && rt) {
				/* the referenced table's unique index on exactly the referenced columns */
				for (int q = 0; q < rt->ncons && !indid; q++) {
					const cat_constraint *u = &rt->cons[q];
					if ((u->type == 'p' || u->type == 'u') && u->ncols == k->nref &&
						memcmp(u->col_ids, k->ref_col_ids, sizeof(int32_t) * (size_t) k->nref) == 0)
						indid = vc_constraint_index_oid(rt, u);
				}
			}
			vc_row(r);
			vc_oid(r, k->oid);
			vc_str(r, k->name);
			vc_oid(r, nsp);
			vc_char(r, k->type);
			vc_bool(r, k->deferrable);
			vc_bool(r, false);			/* condeferred */
			vc_bool(r, true);			/* convalidated */
			vc_oid(r, t->oid);
			vc_oid(r, 0);				/* contypid */
			vc_oid(r, indid);
			vc_oid(r, 0);				/* conparentid */
			vc_oid(r, rt ? rt->oid : 0);
			vc_char(r, fk ? k->on_update : ' ');
			vc_char(r, fk ? k->on_delete : ' ');
			vc_char(r, fk ? (k->match_type ? k->match_type : 's') : ' ');
			vc_bool(r, true);			/* conislocal */
			vc_int(r, 0);				/* coninhcount */
			vc_bool(r, false);			/* connoinherit */
			vc_int_array(r, SEM_INT2OID, key, k->type == 'c' && n == 0 ? -1 : n);
			vc_int_array(r, SEM_INT2OID, fkey, fk ? nf : -1);
			vc_null(r);					/* conpfeqop */
			vc_null(r);					/* conppeqop */
			vc_null(r);					/* conffeqop */
			vc_null(r);					/* confdelsetcols */
			vc_null(r);					/* conexclop */
			vc_str(r, k->type == 'c' ? k->check_expr : NULL);
			vc_end(r);
		}
	}
}

/* ---- pg_attrdef ----------------------------------------------------------------------- */

void vc_fill_attrdef(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		for (int k = 0; k < t->ncols; k++) {
			const cat_column *col = &t->cols[k];
			if (!col->default_expr || col->dropped)
				continue;
			vc_row(r);
			vc_oid(r, VC_ATTRDEF_OID(t->oid, col->attnum));
			vc_oid(r, t->oid);
			vc_int(r, col->attnum);
			vc_str(r, vc_default_text(c, t, col));
			vc_end(r);
		}
	}
}

/* ---- sequences ------------------------------------------------------------------------ */

void vc_fill_sequence(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (!in_db(c, s->db_id))
			continue;
		vc_row(r);
		vc_oid(r, s->oid);
		vc_oid(r, s->type ? s->type : SEM_INT8OID);
		vc_int(r, s->start);
		vc_int(r, s->increment);
		vc_int(r, s->max);
		vc_int(r, s->min);
		vc_int(r, s->cache);
		vc_bool(r, s->cycle);
		vc_end(r);
	}
}

void vc_fill_sequences_view(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (!in_db(c, s->db_id))
			continue;
		vc_row(r);
		vc_str(r, vc_schema_name(c, vc_schema_oid(c, s->schema_id)));
		vc_str(r, s->name);
		vc_str(r, vc_role_name(c, vc_role_oid(c, s->owner_id)));
		vc_oid(r, s->type ? s->type : SEM_INT8OID);
		vc_int(r, s->start);
		vc_int(r, s->min);
		vc_int(r, s->max);
		vc_int(r, s->increment);
		vc_bool(r, s->cycle);
		vc_int(r, s->cache);
		vc_null(r);						/* last_value: not read from the store here */
		vc_end(r);
	}
}

/* ---- pg_description ------------------------------------------------------------------- */

static void desc_row(vc_rows *r, uint32_t objoid, uint32_t classoid, int subid, const char *text)
{
	vc_row(r);
	vc_oid(r, objoid);
	vc_oid(r, classoid);
	vc_int(r, subid);
	vc_str(r, text);
	vc_end(r);
}

void vc_fill_description(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nschemas; i++) {
		const cat_schema *s = c->view->schemas[i];
		if (in_db(c, s->db_id) && s->comment)
			desc_row(r, s->oid, VC_PG_NAMESPACE_OID, 0, s->comment);
	}
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		if (t->comment)
			desc_row(r, t->oid, VC_PG_CLASS_OID, 0, t->comment);
		for (int k = 0; k < t->ncols; k++)
			if (t->cols[k].comment && !t->cols[k].dropped)
				desc_row(r, t->oid, VC_PG_CLASS_OID, t->cols[k].attnum, t->cols[k].comment);
		for (int k = 0; k < t->nindexes; k++)
			if (t->indexes[k].comment)
				desc_row(r, t->indexes[k].oid, VC_PG_CLASS_OID, 0, t->indexes[k].comment);
	}
	for (int i = 0; i < c->view->nseqs; i++) {
		const cat_sequence *s = c->view->seqs[i];
		if (in_db(c, s->db_id) && s->comment)
			desc_row(r, s->oid, VC_PG_CLASS_OID, 0, s->comment);
	}
}

/* ---- pg_database ----------------------------------------------------------------------- */

void vc_fill_database(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ndbs; i++) {
		const cat_database *d = c->view->dbs[i];
		vc_row(r);
		vc_oid(r, d->oid);
		vc_str(r, d->name);
		vc_oid(r, vc_role_oid(c, d->owner_id));
		vc_int(r, 6);					/* UTF8 */
		vc_char(r, 'c');				/* datlocprovider: libc */
		vc_bool(r, d->is_template);
		vc_bool(r, d->allow_conn);
		vc_int(r, -1);					/* datconnlimit */
		vc_oid(r, 0);					/* datfrozenxid */
		vc_oid(r, 0);					/* datminmxid */
		vc_oid(r, VC_PG_DEFAULT_TABLESPACE);
		/* text compares as bytes (code points), which is what C.UTF-8 does */
		vc_str(r, "C.UTF-8");
		vc_str(r, "C.UTF-8");
		vc_null(r);						/* daticulocale */
		vc_null(r);						/* datcollversion */
		vc_null(r);						/* datacl */
		vc_end(r);
	}
}

/* ---- roles --------------------------------------------------------------------------- */

static void valid_until(const vc_ctx *c, vc_rows *r, const char *text)
{
	if (!text || !c->sem) {
		vc_null(r);
		return;
	}
	sem_ctx ctx = *c->sem;
	ctx.arena = c->arena;
	sem_datum d;
	cm_error err = {0};
	if (sem_in_text(&ctx, (sem_type){SEM_TIMESTAMPTZOID, -1}, text, strlen(text), &d, &err) != CM_OK) {
		cm_error_clear(&err);
		vc_null(r);
		return;
	}
	vc_int(r, d.v.i);
}

void vc_fill_roles(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nroles; i++) {
		const cat_role *o = c->view->roles[i];
		vc_row(r);
		vc_str(r, o->name);
		vc_bool(r, o->superuser);
		vc_bool(r, o->inherit);
		vc_bool(r, o->createrole);
		vc_bool(r, o->createdb);
		vc_bool(r, o->login);
		vc_bool(r, o->replication);
		vc_int(r, o->conn_limit);
		vc_str(r, "********");
		valid_until(c, r, o->valid_until);
		vc_bool(r, o->bypassrls);
		vc_null(r);						/* rolconfig */
		vc_oid(r, o->oid);
		vc_end(r);
	}
}

void vc_fill_authid(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nroles; i++) {
		const cat_role *o = c->view->roles[i];
		vc_row(r);
		vc_oid(r, o->oid);
		vc_str(r, o->name);
		vc_bool(r, o->superuser);
		vc_bool(r, o->inherit);
		vc_bool(r, o->createrole);
		vc_bool(r, o->createdb);
		vc_bool(r, o->login);
		vc_bool(r, o->replication);
		vc_bool(r, o->bypassrls);
		vc_int(r, o->conn_limit);
		vc_str(r, o->password);
		valid_until(c, r, o->valid_until);
		vc_end(r);
	}
}

void vc_fill_user(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->nroles; i++) {
		const cat_role *o = c->view->roles[i];
		if (!o->login)
			continue;
		vc_row(r);
		vc_str(r, o->name);
		vc_oid(r, o->oid);
		vc_bool(r, o->createdb);
		vc_bool(r, o->superuser);
		vc_bool(r, o->replication);
		vc_bool(r, o->bypassrls);
		vc_str(r, "********");
		valid_until(c, r, o->valid_until);
		vc_null(r);
		vc_end(r);
	}
}

/* ---- pg_settings ----------------------------------------------------------------------- */

void vc_fill_settings(const vc_ctx *c, vc_rows *r)
{
	static const char *const names[] = {
		"application_name", "backslash_quote", "block_size", "bytea_output", "check_function_bodies",
		"client_encoding", "client_min_messages", "DateStyle", "default_transaction_deferrable",
		"default_transaction_isolation", "default_transaction_read_only", "enable_hashjoin", "enable_indexscan",
		"enable_mergejoin", "enable_nestloop", "enable_seqscan", "escape_string_warning", "extra_float_digits",
		"geqo", "idle_in_transaction_session_timeout", "in_hot_standby", "integer_datetimes", "IntervalStyle",
		"is_superuser", "jit", "lc_collate", "lc_ctype", "lc_messages", "lc_monetary", "lc_numeric", "lc_time",
		"lock_timeout", "maintenance_work_mem", "max_identifier_length", "plan_cache_mode", "row_security",
		"search_path", "server_encoding", "server_version", "server_version_num", "session_authorization",
		"standard_conforming_strings", "statement_timeout", "synchronous_commit", "TimeZone",
		"timezone_abbreviations", "transaction_deferrable", "transaction_isolation", "transaction_read_only",
		"work_mem", "xmloption",
	};
	if (!c->sem || !c->sem->get_setting)
		return;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = c->sem->get_setting(c->sem->session, names[i]);
		if (!v)
			continue;
		vc_row(r);
		vc_str(r, names[i]);
		vc_str(r, v);
		vc_null(r);						/* unit */
		vc_str(r, "");					/* category */
		vc_str(r, "");					/* short_desc */
		vc_null(r);						/* extra_desc */
		vc_str(r, "user");				/* context */
		vc_str(r, "string");			/* vartype */
		vc_str(r, "session");			/* source */
		vc_null(r);
		vc_null(r);
		vc_null(r);						/* enumvals */
		vc_str(r, v);					/* boot_val */
		vc_str(r, v);					/* reset_val */
		vc_null(r);
		vc_null(r);
		vc_bool(r, false);
		vc_end(r);
	}
}

/* ---- views over tables ----------------------------------------------------------------- */

void vc_fill_tables_view(const vc_ctx *c, vc_rows *r)
{
	for (int i = 0; i < vc_nrels(); i++) {
		const vc_rel *rel = vc_rel_at(i);
		if (rel->relkind != 'r')
			continue;
		vc_row(r);
		vc_str(r, rel->schema);
		vc_str(r, rel->name);
		vc_str(r, vc_role_name(c, vc_superuser_oid(c)));
		vc_null(r);
		vc_bool(r, false);
		vc_bool(r, false);
		vc_bool(r, false);
		vc_bool(r, false);
		vc_end(r);
	}
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		vc_row(r);
		vc_str(r, vc_schema_name(c, vc_schema_oid(c, t->schema_id)));
		vc_str(r, t->name);
		vc_str(r, vc_role_name(c, vc_role_oid(c, t->owner_id)));
		vc_null(r);
		vc_bool(r, t->nindexes > 0);
		vc_bool(r, false);
		vc_bool(r, has_fk_triggers(c, t));
		vc_bool(r, false);
		vc_end(r);
	}
}

void vc_fill_indexes_view(const vc_ctx *c, vc_rows *r)
{
	if (!c->view)
		return;
	for (int i = 0; i < c->view->ntables; i++) {
		const cat_table *t = c->view->tables[i];
		if (!in_db(c, t->db_id))
			continue;
		for (int k = 0; k < t->nindexes; k++) {
			cm_buf b;
			cm_buf_init(&b);
			vc_indexdef(c, t, &t->indexes[k], 0, false, &b);
			vc_row(r);
			vc_str(r, vc_schema_name(c, vc_schema_oid(c, t->schema_id)));
			vc_str(r, t->name);
			vc_str(r, t->indexes[k].name);
			vc_null(r);
			vc_str(r, cm_strndup(c->arena, b.data ? b.data : "", b.len));
			vc_end(r);
			cm_buf_free(&b);
		}
	}
}

/* ---- pg_stat_activity: this session ------------------------------------------------------ */

void vc_fill_stat_activity(const vc_ctx *c, vc_rows *r)
{
	const sem_ctx *s = c->sem;
	vc_row(r);
	vc_oid(r, c->db ? c->db->oid : 0);
	vc_str(r, c->db ? c->db->name : NULL);
	vc_int(r, s ? s->backend_pid : 0);
	vc_null(r);						/* leader_pid */
	const cat_role *role = c->view && c->user ? sql_cat_find_role(c->view, c->user) : NULL;
	vc_oid(r, role ? role->oid : 0);
	vc_str(r, c->user);
	vc_str(r, s && s->get_setting ? s->get_setting(s->session, "application_name") : NULL);
	vc_null(r);						/* client_addr */
	vc_null(r);						/* client_hostname */
	vc_null(r);						/* client_port */
	vc_null(r);						/* backend_start */
	if (s) {
		vc_int(r, s->txn_timestamp);
		vc_int(r, s->stmt_timestamp);
		vc_int(r, s->stmt_timestamp);
	} else {
		vc_null(r);
		vc_null(r);
		vc_null(r);
	}
	vc_null(r);						/* wait_event_type */
	vc_null(r);						/* wait_event */
	vc_str(r, "active");
	vc_null(r);
	vc_null(r);
	vc_null(r);						/* query_id */
	vc_null(r);						/* query */
	vc_str(r, "client backend");
	vc_end(r);
}
