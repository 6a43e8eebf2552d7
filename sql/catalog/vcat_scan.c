/*
 * vcat_scan.c -- the table of virtual catalog relations, their resolution
 * by the planner and the scan operator that produces their rows.
 *
 * The relation table lists every pg_catalog / information_schema relation
 * pgkv answers, with PostgreSQL 15's OID and column list (checked against
 * the reference server with \d pg_catalog.<name>).  Relations without a
 * fill function are always empty (pg_policy, pg_trigger, pg_inherits ...):
 * they exist so that client queries that join them succeed.
 *
 * The scan (vc_scan) builds all rows of its relation when first opened in
 * a statement execution, in the statement arena, from the statement's
 * catalog view (ex_state.env -> pl_env.view); rescans (correlated
 * subqueries) reuse them.  Filters above the scan do the selection.
 *
 * Exported: sql_vcat_resolve(), sql_vcat_is_virtual_schema() (vcat.h);
 * vc_rel_* lookups and the row builder (vcat_internal.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/catalog/vcat.h"
#include "sql/catalog/vcat_internal.h"
#include "sql/exec/exec.h"
#include "sql/plan/pl_table.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_io.h"

/* ---- the relations ----------------------------------------------------------------------- */

#define PGC "pg_catalog"
#define ISC "information_schema"

static vc_rel rels[] = {
	{PGC, "pg_namespace", 2615, 'r', "oid oid, nspname name, nspowner oid, nspacl aclitem[]", vc_fill_namespace},
	{PGC, "pg_class", 1259, 'r',
	 "oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, relam oid, "
	 "relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4, "
	 "reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence char, relkind char, "
	 "relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool, "
	 "relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident char, "
	 "relispartition bool, relrewrite oid, relfrozenxid xid, relminmxid xid, relacl aclitem[], "
	 "reloptions text[], relpartbound pg_node_tree",
	 vc_fill_class},
	{PGC, "pg_attribute", 1249, 'r',
	 "attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, "
	 "attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, attstorage char, "
	 "attcompression char, attnotnull bool, atthasdef bool, atthasmissing bool, attidentity char, "
	 "attgenerated char, attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, "
	 "attacl aclitem[], attoptions text[], attfdwoptions text[], attmissingval anyarray",
	 vc_fill_attribute},
	{PGC, "pg_type", 1247, 'r',
	 "oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, typtype char, "
	 "typcategory char, typispreferred bool, typisdefined bool, typdelim char, typrelid oid, "
	 "typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc, "
	 "typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc, "
	 "typalign char, typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, "
	 "typcollation oid, typdefaultbin pg_node_tree, typdefault text, typacl aclitem[]",
	 vc_fill_type},
	{PGC, "pg_index", 2610, 'r',
	 "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, "
	 "indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, "
	 "indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool, "
	 "indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector, "
	 "indoption int2vector, indexprs pg_node_tree, indpred pg_node_tree",
	 vc_fill_index},
	{PGC, "pg_constraint", 2606, 'r',
	 "oid oid, conname name, connamespace oid, contype char, condeferrable bool, condeferred bool, "
	 "convalidated bool, conrelid oid, contypid oid, conindid oid, conparentid oid, confrelid oid, "
	 "confupdtype char, confdeltype char, confmatchtype char, conislocal bool, coninhcount int4, "
	 "connoinherit bool, conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[], "
	 "conffeqop oid[], confdelsetcols int2[], conexclop oid[], conbin pg_node_tree",
	 vc_fill_constraint},
	{PGC, "pg_attrdef", 2604, 'r', "oid oid, adrelid oid, adnum int2, adbin pg_node_tree", vc_fill_attrdef},
	{PGC, "pg_database", 1262, 'r',
	 "oid oid, datname name, datdba oid, encoding int4, datlocprovider char, datistemplate bool, "
	 "datallowconn bool, datconnlimit int4, datfrozenxid xid, datminmxid xid, dattablespace oid, "
	 "datcollate text, datctype text, daticulocale text, datcollversion text, datacl aclitem[]",
	 vc_fill_database},
	{PGC, "pg_roles", 12000, 'v',
	 "rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, "
	 "rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, "
	 "rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text[], oid oid",
	 vc_fill_roles},
	{PGC, "pg_authid", 1260, 'r',
	 "oid oid, rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, "
	 "rolcanlogin bool, rolreplication bool, rolbypassrls bool, rolconnlimit int4, rolpassword text, "
	 "rolvaliduntil timestamptz",
	 vc_fill_authid},
	{PGC, "pg_user", 12014, 'v',
	 "usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, usebypassrls bool, "
	 "passwd text, valuntil timestamptz, useconfig text[]",
	 vc_fill_user},
	{PGC, "pg_auth_members", 1261, 'r', "roleid oid, member oid, grantor oid, admin_option bool", NULL},
	{PGC, "pg_am", 2601, 'r', "oid oid, amname name, amhandler regproc, amtype char", vc_fill_am},
	{PGC, "pg_collation", 3456, 'r',
	 "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, "
	 "collisdeterministic bool, collencoding int4, collcollate text, collctype text, "
	 "colliculocale text, collversion text",
	 vc_fill_collation},
	{PGC, "pg_proc", 1255, 'r',
	 "oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, "
	 "prorows float4, provariadic oid, prosupport regproc, prokind char, prosecdef bool, "
	 "proleakproof bool, proisstrict bool, proretset bool, provolatile char, proparallel char, "
	 "pronargs int2, pronargdefaults int2, prorettype oid, proargtypes oidvector, "
	 "proallargtypes oid[], proargmodes char[], proargnames text[], proargdefaults pg_node_tree, "
	 "protrftypes oid[], prosrc text, probin text, prosqlbody pg_node_tree, proconfig text[], "
	 "proacl aclitem[]",
	 vc_fill_proc},
	{PGC, "pg_description", 2609, 'r', "objoid oid, classoid oid, objsubid int4, description text",
	 vc_fill_description},
	{PGC, "pg_shdescription", 2396, 'r', "objoid oid, classoid oid, description text", NULL},
	{PGC, "pg_settings", 12104, 'v',
	 "name text, setting text, unit text, category text, short_desc text, extra_desc text, "
	 "context text, vartype text, source text, min_val text, max_val text, enumvals text[], "
	 "boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool",
	 vc_fill_settings},
	{PGC, "pg_sequence", 2224, 'r',
	 "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, seqmin int8, "
	 "seqcache int8, seqcycle bool",
	 vc_fill_sequence},
	{PGC, "pg_sequences", 12048, 'v',
	 "schemaname name, sequencename name, sequenceowner name, data_type regtype, start_value int8, "
	 "min_value int8, max_value int8, increment_by int8, cycle bool, cache_size int8, last_value int8",
	 vc_fill_sequences_view},
	{PGC, "pg_tables", 12033, 'v',
	 "schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool, "
	 "hasrules bool, hastriggers bool, rowsecurity bool",
	 vc_fill_tables_view},
	{PGC, "pg_indexes", 12043, 'v',
	 "schemaname name, tablename name, indexname name, tablespace name, indexdef text",
	 vc_fill_indexes_view},
	{PGC, "pg_views", 12028, 'v', "schemaname name, viewname name, viewowner name, definition text", NULL},
	{PGC, "pg_matviews", 12038, 'v',
	 "schemaname name, matviewname name, matviewowner name, tablespace name, hasindexes bool, "
	 "ispopulated bool, definition text",
	 NULL},
	{PGC, "pg_inherits", 2611, 'r', "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool", NULL},
	{PGC, "pg_partitioned_table", 3350, 'r',
	 "partrelid oid, partstrat char, partnatts int2, partdefid oid, partattrs int2vector, "
	 "partclass oidvector, partcollation oidvector, partexprs pg_node_tree",
	 NULL},
	{PGC, "pg_policy", 3256, 'r',
	 "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[], "
	 "polqual pg_node_tree, polwithcheck pg_node_tree",
	 NULL},
	{PGC, "pg_statistic_ext", 3381, 'r',
	 "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, stxstattarget int4, "
	 "stxkeys int2vector, stxkind char[], stxexprs pg_node_tree",
	 NULL},
	{PGC, "pg_publication", 6104, 'r',
	 "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, pubupdate bool, "
	 "pubdelete bool, pubtruncate bool, pubviaroot bool",
	 NULL},
	{PGC, "pg_publication_namespace", 6237, 'r', "oid oid, pnpubid oid, pnnspid oid", NULL},
	{PGC, "pg_publication_rel", 6106, 'r',
	 "oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector", NULL},
	{PGC, "pg_trigger", 2620, 'r',
	 "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, tgenabled char, "
	 "tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid, tgdeferrable bool, "
	 "tginitdeferred bool, tgnargs int2, tgattr int2vector, tgargs bytea, tgqual pg_node_tree, "
	 "tgoldtable name, tgnewtable name",
	 NULL},
	{PGC, "pg_rewrite", 2618, 'r',
	 "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, "
	 "ev_qual pg_node_tree, ev_action pg_node_tree",
	 NULL},
	{PGC, "pg_enum", 3501, 'r', "oid oid, enumtypid oid, enumsortorder float4, enumlabel name", NULL},
	{PGC, "pg_range", 3541, 'r',
	 "rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, rngsubopc oid, "
	 "rngcanonical regproc, rngsubdiff regproc",
	 NULL},
	{PGC, "pg_tablespace", 1213, 'r', "oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]",
	 vc_fill_tablespace},
	{PGC, "pg_extension", 3079, 'r',
	 "oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, extversion text, "
	 "extconfig oid[], extcondition text[]",
	 NULL},
	{PGC, "pg_language", 2612, 'r',
	 "oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool, lanplcallfoid oid, "
	 "laninline oid, lanvalidator oid, lanacl aclitem[]",
	 vc_fill_language},
	{PGC, "pg_depend", 2608, 'r',
	 "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, deptype char",
	 NULL},
	{PGC, "pg_foreign_table", 3118, 'r', "ftrelid oid, ftserver oid, ftoptions text[]", NULL},
	{PGC, "pg_event_trigger", 3466, 'r',
	 "oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char, evttags text[]", NULL},
	{PGC, "pg_init_privs", 3394, 'r', "objoid oid, classoid oid, objsubid int4, privtype char, initprivs aclitem[]",
	 NULL},
	{PGC, "pg_stat_activity", 12222, 'v',
	 "datid oid, datname name, pid int4, leader_pid int4, usesysid oid, usename name, "
	 "application_name text, client_addr inet, client_hostname text, client_port int4, "
	 "backend_start timestamptz, xact_start timestamptz, query_start timestamptz, "
	 "state_change timestamptz, wait_event_type text, wait_event text, state text, backend_xid xid, "
	 "backend_xmin xid, query_id int8, query text, backend_type text",
	 vc_fill_stat_activity},
	/* information_schema (sql_identifier -> name, character_data / yes_or_no -> varchar,
	 * cardinal_number -> int4: the domains' base types) */
	{ISC, "tables", 13425, 'v',
	 "table_catalog name, table_schema name, table_name name, table_type varchar, "
	 "self_referencing_column_name name, reference_generation varchar, user_defined_type_catalog name, "
	 "user_defined_type_schema name, user_defined_type_name name, is_insertable_into varchar, "
	 "is_typed varchar, commit_action varchar",
	 vc_fill_is_tables},
	{ISC, "columns", 13295, 'v',
	 "table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4, "
	 "column_default varchar, is_nullable varchar, data_type varchar, character_maximum_length int4, "
	 "character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, "
	 "numeric_scale int4, datetime_precision int4, interval_type varchar, interval_precision int4, "
	 "character_set_catalog name, character_set_schema name, character_set_name name, "
	 "collation_catalog name, collation_schema name, collation_name name, domain_catalog name, "
	 "domain_schema name, domain_name name, udt_catalog name, udt_schema name, udt_name name, "
	 "scope_catalog name, scope_schema name, scope_name name, maximum_cardinality int4, "
	 "dtd_identifier name, is_self_referencing varchar, is_identity varchar, identity_generation varchar, "
	 "identity_start varchar, identity_increment varchar, identity_maximum varchar, "
	 "identity_minimum varchar, identity_cycle varchar, is_generated varchar, "
	 "generation_expression varchar, is_updatable varchar",
	 vc_fill_is_columns},
	{ISC, "schemata", 13382, 'v',
	 "catalog_name name, schema_name name, schema_owner name, default_character_set_catalog name, "
	 "default_character_set_schema name, default_character_set_name name, sql_path varchar",
	 vc_fill_is_schemata},
	{ISC, "table_constraints", 13411, 'v',
	 "constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, "
	 "table_schema name, table_name name, constraint_type varchar, is_deferrable varchar, "
	 "initially_deferred varchar, enforced varchar, nulls_distinct varchar",
	 vc_fill_is_table_constraints},
	{ISC, "key_column_usage", 13329, 'v',
	 "constraint_catalog name, constraint_schema name, constraint_name name, table_catalog name, "
	 "table_schema name, table_name name, column_name name, ordinal_position int4, "
	 "position_in_unique_constraint int4",
	 vc_fill_is_key_column_usage},
	{ISC, "referential_constraints", 13339, 'v',
	 "constraint_catalog name, constraint_schema name, constraint_name name, "
	 "unique_constraint_catalog name, unique_constraint_schema name, unique_constraint_name name, "
	 "match_option varchar, update_rule varchar, delete_rule varchar",
	 vc_fill_is_referential_constraints},
	{ISC, "views", 13483, 'v',
	 "table_catalog name, table_schema name, table_name name, view_definition varchar, "
	 "check_option varchar, is_updatable varchar, is_insertable_into varchar, "
	 "is_trigger_updatable varchar, is_trigger_deletable varchar, is_trigger_insertable_into varchar",
	 NULL},
	{ISC, "sequences", 13386, 'v',
	 "sequence_catalog name, sequence_schema name, sequence_name name, data_type varchar, "
	 "numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, start_value varchar, "
	 "minimum_value varchar, maximum_value varchar, increment varchar, cycle_option varchar",
	 vc_fill_is_sequences},
};
#define NRELS (sizeof rels / sizeof rels[0])

/* colspec type words -> pgkv types (see vcat.h for the substitutions). */
static const struct {
	const char *word;
	sem_oid oid;
} typewords[] = {
	{"oid", SEM_OIDOID}, {"name", SEM_NAMEOID}, {"char", SEM_CHAROID}, {"bool", SEM_BOOLOID},
	{"int2", SEM_INT2OID}, {"int4", SEM_INT4OID}, {"int8", SEM_INT8OID}, {"float4", SEM_FLOAT4OID},
	{"text", SEM_TEXTOID}, {"varchar", SEM_VARCHAROID}, {"regproc", SEM_REGPROCOID},
	{"regtype", SEM_REGTYPEOID}, {"regclass", SEM_REGCLASSOID}, {"timestamptz", SEM_TIMESTAMPTZOID},
	{"bytea", SEM_BYTEAOID}, {"int2[]", 1005}, {"oid[]", 1028}, {"text[]", 1009}, {"name[]", 1003},
	{"int2vector", 1005}, {"oidvector", 1028}, {"aclitem[]", 1009}, {"pg_node_tree", SEM_TEXTOID},
	{"xid", SEM_OIDOID}, {"char[]", 1009}, {"anyarray", SEM_TEXTOID}, {"inet", SEM_TEXTOID},
};

static pthread_once_t parse_once = PTHREAD_ONCE_INIT;

static void parse_colspecs(void)
{
	for (size_t i = 0; i < NRELS; i++) {
		vc_rel *r = &rels[i];
		int n = 1;
		for (const char *p = r->colspec; *p; p++)
			if (*p == ',')
				n++;
		r->colnames = calloc((size_t) n, sizeof *r->colnames);
		r->coltypes = calloc((size_t) n, sizeof *r->coltypes);
		if (!r->colnames || !r->coltypes)
			abort();
		const char *p = r->colspec;
		for (int c = 0; c < n; c++) {
			while (*p == ' ' || *p == ',')
				p++;
			const char *sp = strchr(p, ' ');
			const char *end = strchr(p, ',');
			if (!end)
				end = p + strlen(p);
			r->colnames[c] = strndup(p, (size_t) (sp - p));
			size_t tl = (size_t) (end - sp - 1);
			sem_oid t = 0;
			for (size_t k = 0; k < sizeof typewords / sizeof typewords[0]; k++)
				if (strlen(typewords[k].word) == tl && strncmp(typewords[k].word, sp + 1, tl) == 0)
					t = typewords[k].oid;
			if (!t || !r->colnames[c])
				abort();	/* a typo in the table above */
			r->coltypes[c] = (sem_type){t, -1};
			p = end;
		}
		r->ncols = n;
	}
}

static void ensure_parsed(void)
{
	pthread_once(&parse_once, parse_colspecs);
}

const vc_rel *vc_rel_by_name(const char *schema, const char *name)
{
	ensure_parsed();
	for (size_t i = 0; i < NRELS; i++)
		if (strcmp(rels[i].name, name) == 0 && strcmp(rels[i].schema, schema) == 0)
			return &rels[i];
	return NULL;
}

const vc_rel *vc_rel_by_oid(uint32_t oid)
{
	ensure_parsed();
	for (size_t i = 0; i < NRELS; i++)
		if (rels[i].oid == oid)
			return &rels[i];
	return NULL;
}

int vc_nrels(void)
{
	ensure_parsed();
	return (int) NRELS;
}

const vc_rel *vc_rel_at(int i)
{
	ensure_parsed();
	return i >= 0 && (size_t) i < NRELS ? &rels[i] : NULL;
}

bool sql_vcat_is_virtual_schema(const char *schema)
{
	return schema && (strcmp(schema, PGC) == 0 || strcmp(schema, ISC) == 0);
}

/* ---- row builder ----------------------------------------------------------------------- */

void vc_row(vc_rows *r)
{
	if (r->n == r->cap) {
		int nc = r->cap ? r->cap * 2 : 64;
		sem_datum *d = cm_new_array(r->arena, sem_datum, (size_t) nc * (size_t) r->ncols);
		if (r->n)
			memcpy(d, r->data, sizeof(sem_datum) * (size_t) r->n * (size_t) r->ncols);
		r->data = d;
		r->cap = nc;
	}
	r->cur = r->data + (size_t) r->n * (size_t) r->ncols;
	memset(r->cur, 0, sizeof(sem_datum) * (size_t) r->ncols);
	r->col = 0;
	r->n++;
}

void vc_end(vc_rows *r)
{
	/* columns not given are NULL (a fill function may stop early on purpose) */
	for (; r->col < r->ncols; r->col++)
		r->cur[r->col].isnull = true;
}

static sem_datum *next_cell(vc_rows *r)
{
	if (r->col >= r->ncols)
		abort();	/* more values than columns: a bug in a fill function */
	return &r->cur[r->col++];
}

void vc_null(vc_rows *r)
{
	next_cell(r)->isnull = true;
}

void vc_oid(vc_rows *r, uint32_t v)
{
	next_cell(r)->v.i = v;
}

void vc_int(vc_rows *r, int64_t v)
{
	next_cell(r)->v.i = v;
}

void vc_char(vc_rows *r, char c)
{
	next_cell(r)->v.i = (unsigned char) c;
}

void vc_bool(vc_rows *r, bool v)
{
	next_cell(r)->v.b = v;
}

void vc_float(vc_rows *r, double v)
{
	next_cell(r)->v.f = v;
}

void vc_str(vc_rows *r, const char *s)
{
	sem_datum *d = next_cell(r);
	if (!s) {
		d->isnull = true;
		return;
	}
	d->v.s.p = s;
	d->v.s.len = (uint32_t) strlen(s);
}

void vc_strf(vc_rows *r, const char *fmt, ...)
{
	cm_buf b;
	cm_buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	cm_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	vc_str(r, cm_strndup(r->arena, b.data ? b.data : "", b.len));
	cm_buf_free(&b);
}

void vc_int_array(vc_rows *r, sem_oid elemtype, const int64_t *v, int n)
{
	sem_datum *d = next_cell(r);
	if (n < 0) {
		d->isnull = true;
		return;
	}
	sem_array *a = sem_array_new(r->arena, elemtype, n);
	for (int i = 0; i < n; i++)
		a->elems[i].v.i = v[i];
	d->v.arr = a;
}

void vc_str_array(vc_rows *r, sem_oid elemtype, const char *const *v, int n)
{
	sem_datum *d = next_cell(r);
	if (n < 0) {
		d->isnull = true;
		return;
	}
	sem_array *a = sem_array_new(r->arena, elemtype, n);
	for (int i = 0; i < n; i++) {
		a->elems[i].v.s.p = v[i];
		a->elems[i].v.s.len = (uint32_t) strlen(v[i]);
	}
	d->v.arr = a;
}

/* ---- scan operator --------------------------------------------------------------------- */

typedef struct vscan_op {
	ex_op op;
	const vc_rel *rel;
	bool built;
	vc_rows rows;
	int pos;
} vscan_op;

static cm_status vscan_open(ex_op *op, cm_error *err)
{
	vscan_op *s = (vscan_op *) op;
	s->pos = 0;
	if (s->built)
		return CM_OK;
	ex_state *st = op->st;
	pl_env *env = st->env;
	s->rows.arena = st->arena;
	s->rows.ncols = s->rel->ncols;
	s->rows.types = s->rel->coltypes;
	if (s->rel->fill) {
		vc_ctx c = {0};
		c.view = env ? env->view : NULL;
		c.db = env ? env->db : NULL;
		c.sp = env ? &env->sp : NULL;
		c.user = st->ctx.user;
		c.sem = &st->ctx;
		c.arena = st->arena;
		s->rel->fill(&c, &s->rows);
	}
	s->built = true;
	return CM_OK;
}

static cm_status vscan_next(ex_op *op, ex_batch **out, cm_error *err)
{
	vscan_op *s = (vscan_op *) op;
	if (ex_check_cancel(op->st, err) != CM_OK)
		return CM_ERROR;
	if (s->pos >= s->rows.n)
		return CM_OK;
	int n = s->rows.n - s->pos;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, n);
	memcpy(b->rows, s->rows.data + (size_t) s->pos * (size_t) op->ncols,
		   sizeof(sem_datum) * (size_t) n * (size_t) op->ncols);
	b->nrows = n;
	s->pos += n;
	*out = b;
	return CM_OK;
}

static void vscan_close(ex_op *op) {}

static const ex_op_vt vscan_vt = {"Virtual Catalog Scan", vscan_open, vscan_next, vscan_close};

static cm_status vscan_build(const pl_scan_provider *self, ex_state *st, ex_op **out, cm_error *err)
{
	const vc_rel *rel = self->arg;
	vscan_op *s = cm_new(st->arena, vscan_op);
	ex_op_init(&s->op, &vscan_vt, st, rel->ncols, rel->coltypes);
	s->rel = rel;
	*out = &s->op;
	return CM_OK;
}

/* ---- resolution --------------------------------------------------------------------------- */

cm_status sql_vcat_resolve(sem_ctx *ctx, cm_arena *arena, const char *schema, const char *name,
						   const pl_table **out, bool *handled, cm_error *err)
{
	*out = NULL;
	*handled = false;
	const vc_rel *rel;
	if (schema) {
		if (!sql_vcat_is_virtual_schema(schema))
			return CM_OK;
		*handled = true;
		rel = vc_rel_by_name(schema, name);
	} else {
		rel = vc_rel_by_name(PGC, name);
		if (!rel) {
			/* information_schema relations when it is on the search path */
			pl_env *env = pl_env_get();
			for (int i = 0; env && i < env->sp.n; i++)
				if (strcmp(env->sp.names[i], ISC) == 0) {
					rel = vc_rel_by_name(ISC, name);
					break;
				}
		}
		if (!rel)
			return CM_OK;
		*handled = true;
	}
	if (!rel)
		return CM_OK;
	pl_env *env = pl_env_get();
	if (env)
		env->nresolved++;	/* the plan reads the catalog: executions get an environment */
	pl_scan_provider *sp = cm_new(arena, pl_scan_provider);
	sp->label = cm_asprintf(arena, "Virtual Catalog Scan on %s", rel->name);
	sp->build = vscan_build;
	sp->arg = (void *) rel;
	pl_table *t = cm_new(arena, pl_table);
	t->name = rel->name;
	t->oid = rel->oid;
	t->ncols = rel->ncols;
	t->colnames = rel->colnames;
	t->coltypes = rel->coltypes;
	t->scan = sp;
	*out = t;
	return CM_OK;
}
