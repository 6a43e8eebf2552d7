/*
 * vcat_internal.h -- private interface of the virtual system catalogs
 * (vcat_*.c).  See vcat.h for what the module is for.
 *
 * A virtual relation is a vc_rel: schema, name, PostgreSQL's OID for it,
 * its column list (names and types, PostgreSQL 15's order) and a fill
 * function that appends every row to a vc_rows builder from the statement's
 * catalog view.  Rows are built when a scan opens (once per statement
 * execution; rescans reuse them), so a query sees exactly the catalog its
 * transaction sees.
 *
 * Row builder: vc_row() starts a row; the put functions fill the next
 * column in order (the fill code lists values in the same order as the
 * column declaration next to it); vc_end() checks the count.
 *
 * Exported to the other vcat files:
 *   vc_ctx, vc_rows, vc_rel, vc_col and the put helpers
 *   vc_rels() / vc_nrels()      the table of virtual relations (vcat_scan.c)
 *   vc_rel_by_name/by_oid       lookups
 *   vc_fill_* (vcat_pgcat.c, vcat_pgtypes.c, vcat_infoschema.c)
 *   vc_proc_* (vcat_pgtypes.c)  the pg_proc table: built-ins and I/O functions
 *   helpers shared with vcat_funcs.c: owner, visibility, index/constraint text
 */
#ifndef PGKV_VCAT_INTERNAL_H
#define PGKV_VCAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "sql/catalog/sql_catalog.h"
#include "sql/sem/sem_types.h"

/* PostgreSQL's fixed OIDs used by the catalogs. */
#define VC_PG_TOAST_OID 99u
#define VC_BOOTSTRAP_SUPERUSER_OID 10u
#define VC_HEAP_AM_OID 2u
#define VC_BTREE_AM_OID 403u
#define VC_DEFAULT_COLLATION_OID 100u
#define VC_C_COLLATION_OID 950u
#define VC_POSIX_COLLATION_OID 951u
#define VC_PG_DEFAULT_TABLESPACE 1663u
#define VC_PG_GLOBAL_TABLESPACE 1664u
#define VC_PG_CLASS_OID 1259u
#define VC_PG_TYPE_OID 1247u
#define VC_PG_PROC_OID 1255u
#define VC_PG_NAMESPACE_OID 2615u
#define VC_PG_CONSTRAINT_OID 2606u
#define VC_PG_DATABASE_OID 1262u
#define VC_PG_AUTHID_OID 1260u

/* Synthetic OIDs (outside the 16384 + id range of catalog objects). */
#define VC_ATTRDEF_OID(table_oid, attnum) (0x40000000u | (((table_oid) - SQL_CAT_OID_BASE) << 11) | (uint32_t) (attnum))
#define VC_PROC_OID_BASE 0x60000000u

/* The statement's view of the catalog. */
typedef struct vc_ctx {
	const sql_cat_view *view;	/* may be NULL: no store (empty catalogs) */
	const cat_database *db;		/* the session's database (may be NULL) */
	const sql_cat_search_path *sp;
	const char *user;
	sem_ctx *sem;				/* settings (pg_settings), may be NULL */
	cm_arena *arena;
} vc_ctx;

typedef struct vc_rows {
	cm_arena *arena;
	int ncols;
	const sem_type *types;
	int n, cap;
	sem_datum *data;			/* n * ncols */
	sem_datum *cur;				/* row being filled */
	int col;					/* next column of cur */
} vc_rows;

typedef void (*vc_fill_fn)(const vc_ctx *c, vc_rows *r);

typedef struct vc_rel {
	const char *schema;			/* "pg_catalog" or "information_schema" */
	const char *name;
	uint32_t oid;
	char relkind;				/* 'r' catalog table, 'v' view */
	const char *colspec;		/* "name type, name type, ..." */
	vc_fill_fn fill;			/* NULL: always empty */
	/* parsed colspec (vcat_scan.c, once) */
	int ncols;
	const char **colnames;
	sem_type *coltypes;
} vc_rel;

/* ---- row builder ---------------------------------------------------------------------- */
void vc_row(vc_rows *r);
void vc_end(vc_rows *r);
void vc_null(vc_rows *r);
void vc_oid(vc_rows *r, uint32_t v);	/* also int2/int4/int8/"char"/reg* (integer datums) */
void vc_int(vc_rows *r, int64_t v);
void vc_char(vc_rows *r, char c);		/* "char"; '\0' = empty */
void vc_bool(vc_rows *r, bool v);
void vc_float(vc_rows *r, double v);
void vc_str(vc_rows *r, const char *s);	/* text/name/varchar; NULL -> SQL NULL */
void vc_strf(vc_rows *r, const char *fmt, ...) CM_PRINTF(2, 3);
/* int2[] / oid[] / text[] / name[] from n values (NULL array when n < 0) */
void vc_int_array(vc_rows *r, sem_oid elemtype, const int64_t *v, int n);
void vc_str_array(vc_rows *r, sem_oid elemtype, const char *const *v, int n);

/* ---- relations -------------------------------------------------------------------------- */
const vc_rel *vc_rel_by_name(const char *schema, const char *name);
const vc_rel *vc_rel_by_oid(uint32_t oid);
int vc_nrels(void);
const vc_rel *vc_rel_at(int i);

/* ---- shared helpers (vcat_funcs.c) ----------------------------------------------------- */
uint32_t vc_role_oid(const vc_ctx *c, int64_t role_id);	/* owner OID; bootstrap superuser if unknown */
uint32_t vc_superuser_oid(const vc_ctx *c);
const char *vc_role_name(const vc_ctx *c, uint32_t oid);	/* NULL if none */
uint32_t vc_schema_oid(const vc_ctx *c, int64_t schema_id);
const char *vc_schema_name(const vc_ctx *c, uint32_t nsp_oid);	/* NULL if none */
bool vc_schema_visible(const vc_ctx *c, const char *schema, const char *relname);
/* The index OID that backs constraint k of t (0 if none). */
uint32_t vc_constraint_index_oid(const cat_table *t, const cat_constraint *k);
/* Column list text "a, b" of column ids. */
void vc_column_list(const cat_table *t, const int32_t *ids, int n, cm_buf *out);
/* pg_get_indexdef / pg_get_constraintdef text. */
void vc_indexdef(const vc_ctx *c, const cat_table *t, const cat_index *ix, int column, bool pretty,
				 cm_buf *out);
void vc_constraintdef(const vc_ctx *c, const cat_table *t, const cat_constraint *k, cm_buf *out);
/* A default expression as pg_get_expr prints it. */
const char *vc_default_text(const vc_ctx *c, const cat_table *t, const cat_column *col);
/* Qualified name "schema.rel" when its schema is not first on the path. */
void vc_relname(const vc_ctx *c, int64_t schema_id, const char *name, cm_buf *out);
/* Quote an identifier as PostgreSQL's quote_identifier. */
void vc_quote_ident(const char *s, cm_buf *out);

/* ---- fill functions ------------------------------------------------------------------- */
void vc_fill_namespace(const vc_ctx *c, vc_rows *r);
void vc_fill_class(const vc_ctx *c, vc_rows *r);
void vc_fill_attribute(const vc_ctx *c, vc_rows *r);
void vc_fill_index(const vc_ctx *c, vc_rows *r);
void vc_fill_constraint(const vc_ctx *c, vc_rows *r);
void vc_fill_attrdef(const vc_ctx *c, vc_rows *r);
void vc_fill_database(const vc_ctx *c, vc_rows *r);
void vc_fill_roles(const vc_ctx *c, vc_rows *r);
void vc_fill_authid(const vc_ctx *c, vc_rows *r);
void vc_fill_user(const vc_ctx *c, vc_rows *r);
void vc_fill_am(const vc_ctx *c, vc_rows *r);
void vc_fill_collation(const vc_ctx *c, vc_rows *r);
void vc_fill_settings(const vc_ctx *c, vc_rows *r);
void vc_fill_sequence(const vc_ctx *c, vc_rows *r);
void vc_fill_sequences_view(const vc_ctx *c, vc_rows *r);
void vc_fill_tablespace(const vc_ctx *c, vc_rows *r);
void vc_fill_description(const vc_ctx *c, vc_rows *r);
void vc_fill_tables_view(const vc_ctx *c, vc_rows *r);
void vc_fill_indexes_view(const vc_ctx *c, vc_rows *r);
void vc_fill_stat_activity(const vc_ctx *c, vc_rows *r);
void vc_fill_language(const vc_ctx *c, vc_rows *r);
void vc_fill_type(const vc_ctx *c, vc_rows *r);
void vc_fill_proc(const vc_ctx *c, vc_rows *r);
void vc_fill_is_tables(const vc_ctx *c, vc_rows *r);
void vc_fill_is_columns(const vc_ctx *c, vc_rows *r);
void vc_fill_is_schemata(const vc_ctx *c, vc_rows *r);
void vc_fill_is_table_constraints(const vc_ctx *c, vc_rows *r);
void vc_fill_is_key_column_usage(const vc_ctx *c, vc_rows *r);
void vc_fill_is_referential_constraints(const vc_ctx *c, vc_rows *r);
void vc_fill_is_sequences(const vc_ctx *c, vc_rows *r);

/* ---- pg_proc / pg_type facts (vcat_pgtypes.c) ----------------------------------------- */
/* Name of a pg_proc OID (NULL if none) and the other way round (0 if none;
 * *ambiguous when several functions share the name). */
const char *vc_proc_name(uint32_t oid);
uint32_t vc_proc_by_name(const char *name, bool *ambiguous);
/* pg_get_function_result / _arguments text of a pg_proc OID (false if none). */
bool vc_proc_signature(uint32_t oid, cm_buf *result, cm_buf *args);

#endif /* PGKV_VCAT_INTERNAL_H */
