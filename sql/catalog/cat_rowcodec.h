/*
 * cat_rowcodec.h -- table rows and index entries of a table descriptor in
 * TiDB's key/value layout (docs/catalog.md "Row and index encodings").
 *
 *   record key   t{table id}_r{handle}            (kv_record_key)
 *   row value    row format v2, column ids = cat_column.id; the int
 *                primary-key handle column is not stored (it is the key)
 *   unique index t{id}_i{index id}{datums}        value: 8-byte BE handle
 *                (+ handle suffix when a key column is NULL)
 *   other index  t{id}_i{index id}{datums}{0x03 handle}   value: '0'
 *
 * A row in memory is an array of sem_datum with one entry per slot of
 * t->cols (dropped columns included: always NULL), in attnum order.
 *
 * Exported:
 *   cat_value_kind / cat_key_kind     kv kind a column type is stored as
 *   cat_datum_to_value / cat_datum_from_cell    one column, row value form
 *   cat_datum_to_key                  one column, index key form
 *   cat_row_handle                    the handle of a row (int PK) or -1
 *   cat_row_key, cat_row_encode, cat_row_decode
 *   cat_index_key, cat_index_value, cat_index_entry
 *   cat_scan_open / cat_scan_next / cat_scan_close   table scan over a txn
 *   cat_row_get                       point lookup by handle
 *   cat_index_get_unique              point lookup by unique index values
 *
 * Memory: decoded datums point into the arena passed (strings, numerics);
 * encoders append to caller buffers.
 */
#ifndef PGKV_SQL_CAT_ROWCODEC_H
#define PGKV_SQL_CAT_ROWCODEC_H

#include "common/cm_buf.h"
#include "kv/codec/kv_codec.h"
#include "kv/txn/kv_txn.h"
#include "sql/catalog/sql_catalog.h"

/* Kind a column type is stored as in row values / index keys. */
kv_datum_kind cat_value_kind(sem_oid type);
kv_datum_kind cat_key_kind(sem_oid type);
/* True when the type can be a table column. */
bool cat_type_storable(sem_oid type);

/* One column value -> kv datum for a row value (payload memory in a). */
CM_MUST_CHECK cm_status cat_datum_to_value(cm_arena *a, sem_type t, const sem_datum *d, kv_datum *out,
										   cm_error *err);
/* One column value -> kv datum for an index key (memcomparable and equal
 * for values PostgreSQL's = calls equal). */
CM_MUST_CHECK cm_status cat_datum_to_key(cm_arena *a, sem_type t, const sem_datum *d, kv_datum *out,
										 cm_error *err);
/* A row v2 cell payload of a column back into a datum (allocations in a). */
CM_MUST_CHECK cm_status cat_datum_from_cell(cm_arena *a, sem_type t, const uint8_t *p, size_t len,
											sem_datum *out, cm_error *err);
/* Encode one value as a row v2 cell payload (for cat_column.missing). */
CM_MUST_CHECK cm_status cat_cell_encode(cm_arena *a, sem_type t, const sem_datum *d, cm_buf *out, cm_error *err);

/* The int handle a row has when the table has an integer primary key. */
static inline bool cat_table_int_handle(const cat_table *t) { return t->handle_col >= 0; }

/* Append the record key of handle. */
void cat_row_key(const cat_table *t, int64_t handle, cm_buf *key);
/* Append the row value of row (ncols = t->ncols datums). */
CM_MUST_CHECK cm_status cat_row_encode(cm_arena *a, const cat_table *t, const sem_datum *row, cm_buf *val,
									   cm_error *err);
/* Decode a row value; absent columns get their missing value or NULL; the
 * int-PK column gets the handle. */
CM_MUST_CHECK cm_status cat_row_decode(cm_arena *a, const cat_table *t, const uint8_t *val, size_t len,
									   int64_t handle, sem_datum *row, cm_error *err);

/* Index key of row for ix; *has_null tells a unique key got the handle suffix. */
CM_MUST_CHECK cm_status cat_index_key(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *row,
									  int64_t handle, cm_buf *key, bool *has_null, cm_error *err);
/* Index key prefix from index column values only (vals[i] for ix->col_ids[i],
 * n <= ix->ncols): for lookups and range starts. */
CM_MUST_CHECK cm_status cat_index_key_prefix(cm_arena *a, const cat_table *t, const cat_index *ix,
											 const sem_datum *vals, int n, cm_buf *key, cm_error *err);
/* Value of an index entry: unique without NULL -> 8-byte handle, else '0'. */
void cat_index_value(const cat_index *ix, bool has_null, int64_t handle, cm_buf *val);
/* Key and value of row's entry in ix. */
CM_MUST_CHECK cm_status cat_index_entry(cm_arena *a, const cat_table *t, const cat_index *ix, const sem_datum *row,
										int64_t handle, cm_buf *key, cm_buf *val, bool *unique_checked,
										cm_error *err);

/* ---- scans ---- */

/* A handle range [lo, hi] (inclusive). */
typedef struct cat_handle_range {
	int64_t lo;
	int64_t hi;
} cat_handle_range;

typedef struct cat_scan cat_scan;

/*
 * Scan the rows of t in txn (its snapshot and own writes), in handle order,
 * over nranges handle ranges (0 = the whole table).  The scan keeps
 * pointers to t and ranges' copies; the txn must not be written while the
 * scan is open (kv_txn_iter rule).
 */
CM_MUST_CHECK cm_status cat_scan_open(kv_txn *txn, const cat_table *t, const cat_handle_range *ranges, int nranges,
									  cat_scan **out, cm_error *err);
/* Next row into row[0..t->ncols) (memory in a) and *handle; *done at the end. */
CM_MUST_CHECK cm_status cat_scan_next(cat_scan *s, cm_arena *a, sem_datum *row, int64_t *handle, bool *done,
									  cm_error *err);
void cat_scan_close(cat_scan *s);

/* Point lookup: *found false when no row has this handle. */
CM_MUST_CHECK cm_status cat_row_get(kv_txn *txn, cm_arena *a, const cat_table *t, int64_t handle, sem_datum *row,
									bool *found, cm_error *err);
/* Handle of the row whose unique index ix has values vals (ix->ncols,
 * none NULL); *found false if none. */
CM_MUST_CHECK cm_status cat_index_get_unique(kv_txn *txn, cm_arena *a, const cat_table *t, const cat_index *ix,
											 const sem_datum *vals, int64_t *handle, bool *found, cm_error *err);

#endif /* PGKV_SQL_CAT_ROWCODEC_H */
