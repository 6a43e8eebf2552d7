/*
 * sql_catalog.h -- the catalog: databases, schemas, tables, indexes,
 * constraints, sequences and roles as descriptors stored in KV.
 *
 * Storage (docs/catalog.md has the byte layouts):
 *   meta string  pgkv:ver      schema version "<n> <start_ts>[ p]", bumped by
 *                              every DDL statement (and locked by it, so DDL
 *                              statements of different transactions serialise)
 *   meta string  pgkv:nextid   the object id allocator (decimal ASCII)
 *   meta string  pgkv:boot     bootstrap marker
 *   meta hash    pgkv:obj      field = 8-byte BE id -> descriptor (every kind)
 *   meta hash    pgkv:seq      field = 8-byte BE sequence id -> current value
 *   meta hash    pgkv:rowid    field = 8-byte BE table id -> hidden row id counter
 * Object OIDs are SQL_CAT_OID_BASE + id.
 *
 * Reading: sql_cat_view_acquire() gives an immutable, reference-counted view
 * of the whole catalog as the given transaction sees it.  Views are cached
 * per process keyed by the version value, so the common case is one point
 * read of pgkv:ver per statement; a DDL committed through another gateway
 * changes the version and the next statement here loads the new view.
 *
 * Exported (this header):
 *   descriptor structs cat_database, cat_schema, cat_column, cat_index,
 *     cat_constraint, cat_table, cat_sequence, cat_role; sql_cat_view
 *   sql_cat_bootstrap(), sql_catalog_database_exists(), sql_cat_database_check()
 *   sql_cat_view_acquire() / _release(), lookups sql_cat_find_*(),
 *     sql_cat_resolve_relation(), sql_cat_search_path_parse()
 *   sql_cat_role_lookup()   credentials for pgwire
 *   sql_cat_alloc_rowid()   hidden row ids (per-table counter, batched)
 *   sequences: sql_cat_seq_nextval / _setval / _read; sessions
 *     sql_cat_session_new/free/fill_sem (currval/lastval state + sem hooks)
 * The write side (descriptor encode/put, id allocation) is in
 * cat_internal.h for sql/ddl.c; the row codec is cat_rowcodec.h.
 *
 * Memory: a view owns its descriptors (one arena); pointers handed out by
 * lookups are valid while the caller holds the view.
 */
#ifndef PGKV_SQL_CATALOG_H
#define PGKV_SQL_CATALOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "kv/txn/kv_txn.h"
#include "sql/sem/sem_types.h"

#define SQL_CAT_OID_BASE 16384u
/* pg_catalog / information_schema / pg_toast namespaces have PostgreSQL's fixed OIDs. */
#define SQL_CAT_PG_CATALOG_OID 11u
#define SQL_CAT_INFORMATION_SCHEMA_OID 13000u
#define SQL_CAT_NAMEDATALEN 64

typedef enum cat_kind {
	CAT_KIND_DATABASE = 1,
	CAT_KIND_SCHEMA = 2,
	CAT_KIND_TABLE = 3,
	CAT_KIND_SEQUENCE = 4,
	CAT_KIND_ROLE = 5,
} cat_kind;

typedef struct cat_database {
	int64_t id;
	uint32_t oid;
	char *name;
	int64_t owner_id;		/* role id */
	bool allow_conn;		/* false: template0 */
	bool is_template;
	char *comment;
} cat_database;

typedef struct cat_schema {
	int64_t id;
	uint32_t oid;
	int64_t db_id;
	char *name;
	int64_t owner_id;
	char *comment;
} cat_schema;

/* identity: 0 none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT (pg_attribute.attidentity). */
typedef struct cat_column {
	int32_t id;				/* stable column id (row format v2 column id) */
	int16_t attnum;			/* PostgreSQL attnum: position + 1, dropped slots kept */
	char *name;				/* "........pg.dropped.N........" once dropped */
	sem_type type;
	bool not_null;
	bool dropped;
	char identity;
	char *default_expr;		/* source text of DEFAULT (re-bound at use), or NULL */
	int64_t seq_id;			/* owned sequence (serial / identity), 0 if none */
	/* Value old rows have for this column when their row value does not
	 * mention it (ADD COLUMN ... DEFAULT const): a row v2 cell payload. */
	bool has_missing;
	bool missing_null;
	uint8_t *missing;
	uint32_t missing_len;
	int64_t stat_ndistinct;	/* ANALYZE: distinct estimate, -1 unknown */
	char *comment;
} cat_column;

typedef struct cat_index {
	int64_t id;				/* TiDB index id within the table (1, 2, ...) */
	uint32_t oid;			/* relation OID of the index */
	char *name;
	bool unique;
	bool primary;
	int ncols;
	int32_t *col_ids;		/* column ids */
	char *comment;
} cat_index;

/* contype as pg_constraint: 'p' primary, 'u' unique, 'c' check, 'f' foreign key. */
typedef struct cat_constraint {
	uint32_t oid;
	char *name;
	char type;
	int ncols;
	int32_t *col_ids;
	int64_t index_id;		/* 'p'/'u': the index (0 for an int-handle primary key) */
	char *check_expr;		/* 'c': source text */
	int64_t ref_table_id;	/* 'f' */
	int nref;
	int32_t *ref_col_ids;
	char on_delete;			/* 'a' no action, 'r' restrict, 'c' cascade, 'n' set null, 'd' set default */
	char on_update;
	char match_type;		/* 's' simple, 'f' full */
	bool deferrable;
} cat_constraint;

typedef struct cat_table {
	int64_t id;				/* table id in record / index keys */
	uint32_t oid;
	int64_t db_id;
	int64_t schema_id;
	char *name;
	int64_t owner_id;
	char persistence;		/* 'p' permanent, 'u' unlogged */
	int ncols;				/* including dropped columns */
	cat_column *cols;
	int32_t next_col_id;
	int64_t next_index_id;
	/* Index into cols of the int2/int4/int8 single-column primary key that is
	 * the row handle, or -1: rows then use a hidden row id (_tidb_rowid). */
	int handle_col;
	int nindexes;
	cat_index *indexes;
	int ncons;
	cat_constraint *cons;
	int64_t stat_rows;		/* ANALYZE row count, -1 never analyzed */
	char *comment;
} cat_table;

typedef struct cat_sequence {
	int64_t id;
	uint32_t oid;
	int64_t db_id;
	int64_t schema_id;
	char *name;
	int64_t owner_id;
	sem_oid type;			/* int2 / int4 / int8 */
	int64_t start, increment, min, max, cache;
	bool cycle;
	int64_t owned_table_id;	/* OWNED BY table.column, 0 if none */
	int32_t owned_col_id;
	char *comment;
} cat_sequence;

typedef struct cat_role {
	int64_t id;
	uint32_t oid;
	char *name;
	bool superuser, login, inherit, createdb, createrole, replication, bypassrls;
	int32_t conn_limit;		/* -1 no limit */
	char *password;			/* SCRAM-SHA-256 verifier (or md5 verifier), NULL if none */
	char *valid_until;		/* text as given, NULL if none */
	char *comment;
} cat_role;

/* Relation kinds in one schema's relation namespace (pg_class.relkind). */
typedef struct cat_relation {
	char relkind;			/* 'r' table, 'i' index, 'S' sequence */
	const cat_table *table;	/* 'r', and the index's table for 'i' */
	const cat_index *index;	/* 'i' */
	const cat_sequence *seq;/* 'S' */
} cat_relation;

/* An immutable snapshot of the whole catalog. */
typedef struct sql_cat_view {
	atomic_int refs;
	cm_arena *arena;
	char *version;			/* the pgkv:ver value it was loaded at */
	int ndbs, nschemas, ntables, nseqs, nroles;
	cat_database **dbs;
	cat_schema **schemas;
	cat_table **tables;
	cat_sequence **seqs;
	cat_role **roles;
	int64_t next_id;		/* informational: pgkv:nextid when loaded (0 if unknown) */
	/* private: hash of relations by (schema id, name) and of objects by oid */
	struct cat_hash *rel_by_name;
	struct cat_hash *by_oid;
} sql_cat_view;

/* ---- bootstrap and databases ------------------------------------------------ */

/*
 * Create the initial catalog if the store has none: databases defaultdb,
 * postgres, template1 and template0 (no connections), schema public in each,
 * superuser roles root and postgres.  One KV transaction; two gateways may
 * race (the marker key is locked, the loser sees it and does nothing).
 * Idempotent and cheap after the first success in this process.
 */
CM_MUST_CHECK cm_status sql_cat_bootstrap(kv_client *c, cm_error *err);

/* Bootstraps if needed, then answers from the latest committed catalog. */
CM_MUST_CHECK cm_status sql_catalog_database_exists(kv_client *c, const char *name, bool *exists,
													cm_error *err);
/* For the startup packet: CM_OK if a session may connect to database name;
 * else FATAL-worthy errors: 3D000 'database "x" does not exist', 55000
 * 'database "template0" is not currently accepting connections'. */
CM_MUST_CHECK cm_status sql_cat_database_check(kv_client *c, const char *name, cm_error *err);

/* ---- views -------------------------------------------------------------------- */

/*
 * The catalog as txn sees it (its snapshot plus its own writes); txn NULL =
 * the latest committed catalog (a fresh snapshot).  *out holds one reference.
 */
CM_MUST_CHECK cm_status sql_cat_view_acquire(kv_client *c, kv_txn *txn, sql_cat_view **out,
											 cm_error *err);
void sql_cat_view_retain(sql_cat_view *v);
void sql_cat_view_release(sql_cat_view *v);

const cat_database *sql_cat_find_database(const sql_cat_view *v, const char *name);
const cat_database *sql_cat_database_by_id(const sql_cat_view *v, int64_t id);
const cat_schema *sql_cat_find_schema(const sql_cat_view *v, int64_t db_id, const char *name);
const cat_schema *sql_cat_schema_by_id(const sql_cat_view *v, int64_t id);
/* A relation (table, index, sequence) of schema_id by name; false if none. */
bool sql_cat_find_relation(const sql_cat_view *v, int64_t schema_id, const char *name, cat_relation *out);
const cat_table *sql_cat_table_by_id(const sql_cat_view *v, int64_t id);
const cat_sequence *sql_cat_seq_by_id(const sql_cat_view *v, int64_t id);
const cat_role *sql_cat_find_role(const sql_cat_view *v, const char *name);
const cat_role *sql_cat_role_by_id(const sql_cat_view *v, int64_t id);
/* Any object by its OID: kind and pointer (NULL if none). */
const void *sql_cat_by_oid(const sql_cat_view *v, uint32_t oid, cat_kind *kind, cat_relation *rel);
/* Column by name (not dropped) or NULL; index into t->cols in *pos. */
const cat_column *sql_cat_find_column(const cat_table *t, const char *name, int *pos);
const cat_column *sql_cat_column_by_id(const cat_table *t, int32_t col_id, int *pos);
const cat_index *sql_cat_index_by_id(const cat_table *t, int64_t index_id);

/*
 * A search path: the schemas to try for unqualified names, as names
 * ("$user" already replaced by the user name; schemas that do not exist
 * are skipped at lookup time).  Parses the search_path setting text.
 */
typedef struct sql_cat_search_path {
	int n;
	const char *names[16];
} sql_cat_search_path;
void sql_cat_search_path_parse(cm_arena *a, const char *setting, const char *user, sql_cat_search_path *out);

/*
 * Resolve a relation name of database db_id: schema given -> that schema
 * only (3F000 if the schema does not exist); else the search path.
 * *found = false (CM_OK) when no relation has that name.  *schema_out (may
 * be NULL) receives the schema it was found in.
 */
CM_MUST_CHECK cm_status sql_cat_resolve_relation(const sql_cat_view *v, int64_t db_id,
												 const sql_cat_search_path *sp, const char *schema,
												 const char *name, cat_relation *out,
												 const cat_schema **schema_out, bool *found,
												 cm_error *err);
/* First existing schema of the search path (CREATE without a schema):
 * 3F000 'no schema has been selected to create in' if none. */
CM_MUST_CHECK cm_status sql_cat_creation_schema(const sql_cat_view *v, int64_t db_id,
												const sql_cat_search_path *sp, const cat_schema **out,
												cm_error *err);

/* ---- roles (pgwire) ----------------------------------------------------------- */

typedef struct sql_cat_role_info {
	bool exists;
	bool superuser;
	bool login;
	char password[512];		/* verifier text, "" if none */
} sql_cat_role_info;

/* Look a role up in the latest committed catalog (bootstraps if needed). */
CM_MUST_CHECK cm_status sql_cat_role_lookup(kv_client *c, const char *name, sql_cat_role_info *out,
											cm_error *err);
/* "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>" for password (random
 * salt); malloc'ed string in *out. */
CM_MUST_CHECK cm_status sql_cat_scram_verifier(const char *password, char **out, cm_error *err);

/* ---- hidden row ids and sequences --------------------------------------------- */

/* A new hidden row id for table_id (outside the caller's transaction: ids
 * are never reused; allocated in batches per process). */
CM_MUST_CHECK cm_status sql_cat_alloc_rowid(kv_client *c, int64_t table_id, int64_t *out, cm_error *err);

/* nextval on sequence s: updates its value key in an own short transaction
 * (never rolled back, as PostgreSQL).  22000-class errors as PostgreSQL
 * ('nextval: reached maximum value of sequence "s" (N)'). */
CM_MUST_CHECK cm_status sql_cat_seq_nextval(kv_client *c, const cat_sequence *s, int64_t *out, cm_error *err);
/* setval(s, v, is_called). */
CM_MUST_CHECK cm_status sql_cat_seq_setval(kv_client *c, const cat_sequence *s, int64_t v, bool is_called,
										   cm_error *err);
/* Current (last_value, is_called) of s. */
CM_MUST_CHECK cm_status sql_cat_seq_read(kv_client *c, const cat_sequence *s, int64_t *last_value,
										 bool *is_called, cm_error *err);

/* ---- per-session state (sequence functions) ---------------------------------- */

typedef struct sql_cat_session sql_cat_session;
/* The session's current KV transaction (begun on demand). */
typedef cm_status (*sql_cat_txn_fn)(void *arg, kv_txn **out, cm_error *err);

/* New session state for database db as user.  get_txn/arg give the
 * session's transaction (may be NULL: reads use the latest committed
 * catalog).  Never NULL (aborts on OOM). */
sql_cat_session *sql_cat_session_new(kv_client *c, const char *database, const char *user,
									 sql_cat_txn_fn get_txn, void *txn_arg);
void sql_cat_session_free(sql_cat_session *s);
/* search_path setting text for name resolution of nextval('name'). */
void sql_cat_session_set_search_path(sql_cat_session *s, const char *setting);
/* Point ctx->catalog / ctx->catalog_arg at this session. */
void sql_cat_session_fill_sem(sql_cat_session *s, sem_ctx *ctx);
/* [vcat] The view the session's transaction sees (+ database, user and
 * search_path setting); release the view with sql_cat_view_release(). */
CM_MUST_CHECK cm_status sql_cat_session_view(sql_cat_session *s, sql_cat_view **out, const char **database,
											 const char **user, const char **search_path, cm_error *err);
/* The hook table the session installs (for tests). */
const sem_catalog_hooks *sql_cat_sem_hooks(void);

/* Register nextval/currval/setval/lastval as sem built-ins (idempotent;
 * call before sem_func_init() completes, e.g. at process start). */
void sql_cat_register_builtins(void);

/* Forget cached views and bootstrap state of a client (before freeing it). */
void sql_cat_forget_client(kv_client *c);

#endif /* PGKV_SQL_CATALOG_H */
