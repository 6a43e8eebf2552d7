/*
 * cat_internal.h -- the catalog's write side and private helpers, for
 * sql/catalog and sql/ddl.c only.
 *
 *   keys         cat_key_* (meta keys of docs/catalog.md)
 *   descriptors  cat_desc_encode / cat_desc_decode (tagged binary records),
 *                cat_*_clone (deep copies for modification)
 *   writes       cat_put_*, cat_del_obj, cat_alloc_ids
 *   DDL framing  cat_ddl_begin / cat_ddl_finish / cat_ddl_abort: a savepoint,
 *                the schema-version lock, the view the statement works on
 *   loading      cat_view_load (no cache)
 */
#ifndef PGKV_SQL_CAT_INTERNAL_H
#define PGKV_SQL_CAT_INTERNAL_H

#include "common/cm_buf.h"
#include "sql/catalog/sql_catalog.h"

/* ---- keys ---- */
void cat_key_version(cm_buf *b);
void cat_key_nextid(cm_buf *b);
void cat_key_boot(cm_buf *b);
void cat_key_obj(cm_buf *b, int64_t id);
void cat_obj_range(cm_buf *start, cm_buf *end);
void cat_key_seqval(cm_buf *b, int64_t seq_id);
void cat_key_rowid(cm_buf *b, int64_t table_id);

/* ---- descriptors ---- */
void cat_desc_encode(cm_buf *b, cat_kind kind, const void *obj);
/* Decode into arena a; *obj points to a cat_database / cat_schema / ... */
CM_MUST_CHECK cm_status cat_desc_decode(cm_arena *a, const uint8_t *p, size_t len, cat_kind *kind, void **obj,
										cm_error *err);
cat_table *cat_table_clone(cm_arena *a, const cat_table *t);
cat_sequence *cat_seq_clone(cm_arena *a, const cat_sequence *s);
cat_role *cat_role_clone(cm_arena *a, const cat_role *r);
cat_database *cat_database_clone(cm_arena *a, const cat_database *d);
cat_schema *cat_schema_clone(cm_arena *a, const cat_schema *s);

/* ---- writes (in the caller's transaction) ---- */
CM_MUST_CHECK cm_status cat_put_obj(kv_txn *t, cat_kind kind, int64_t id, const void *obj, cm_error *err);
CM_MUST_CHECK cm_status cat_del_obj(kv_txn *t, int64_t id, cm_error *err);
/* n consecutive ids from pgkv:nextid; *first is the first. */
CM_MUST_CHECK cm_status cat_alloc_ids(kv_txn *t, int n, int64_t *first, cm_error *err);
/* Set a sequence's value key (CREATE / ALTER RESTART / TRUNCATE RESTART IDENTITY). */
CM_MUST_CHECK cm_status cat_seq_put_value(kv_txn *t, int64_t seq_id, int64_t last_value, bool is_called,
										  cm_error *err);
CM_MUST_CHECK cm_status cat_seq_del_value(kv_txn *t, int64_t seq_id, cm_error *err);
/* Encode/decode a sequence value "last_value is_called". */
void cat_seq_value_encode(cm_buf *b, int64_t last_value, bool is_called);
CM_MUST_CHECK cm_status cat_seq_value_decode(const uint8_t *p, size_t len, int64_t *last_value, bool *is_called,
											 cm_error *err);

static inline uint32_t cat_oid_of(int64_t id) { return SQL_CAT_OID_BASE + (uint32_t) id; }

/* ---- DDL statement framing ---- */
typedef struct cat_ddl {
	kv_client *client;
	kv_txn *txn;
	kv_savepoint sp;
	sql_cat_view *view;		/* the catalog as the statement starts (own reference) */
	uint64_t version;		/* counter read at begin */
	bool active;
} cat_ddl;

/*
 * Start a DDL statement in txn: take a savepoint, lock pgkv:ver (DDL of
 * other transactions waits; 40001 if another committed one since our
 * snapshot), mark the version pending and load the view from the txn.
 */
CM_MUST_CHECK cm_status cat_ddl_begin(kv_client *c, kv_txn *txn, cat_ddl *d, cm_error *err);
/* Write the new version, keep the statement's writes. */
CM_MUST_CHECK cm_status cat_ddl_finish(cat_ddl *d, cm_error *err);
/* Undo the statement's writes (rollback to the savepoint). */
void cat_ddl_abort(cat_ddl *d);

/* ---- loading ---- */
/* Load the catalog from txn (or, txn NULL, from a snapshot of c at ts). */
CM_MUST_CHECK cm_status cat_view_load(kv_client *c, kv_txn *txn, uint64_t ts, const char *version,
									  sql_cat_view **out, cm_error *err);

/* PostgreSQL's ChooseRelationName-style names (truncated to 63 bytes). */
char *cat_make_object_name(cm_arena *a, const char *name1, const char *name2, const char *label);

#endif /* PGKV_SQL_CAT_INTERNAL_H */
