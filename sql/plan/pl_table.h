/*
 * pl_table.h -- tables of the KV catalog as row sources of the planner, and
 * the statement environment (transaction, catalog view) they read through.
 *
 * pl_env is what one statement runs against: the KV client, the SQL
 * transaction's kv_txn, one catalog view (held for the statement), the
 * database and search path.  The glue in sql/dml.c fills it; planning
 * reads it through a thread-local (pl_env_set: the resolver has no
 * argument for it), execution through ex_state.env (pl_open_env), so a
 * portal fetched by a later protocol message still reads its own.
 *
 * pl_tabref is one table reference of a plan: the descriptor the plan was
 * made with (the plan holds a reference to that catalog view) and the map
 * from the visible (not dropped) columns to the descriptor's slots.  At
 * execution the current descriptor is looked up by id; a changed column
 * list is 0A000 "cached plan must not change result type" (the glue
 * re-plans when the catalog version changed, so this is a last defence).
 *
 * Access paths (pl_scanspec, chosen by pl_optimize_scans from a Filter
 * directly above a scan; the Filter stays, so the access path only has to
 * return a superset of the qualifying rows):
 *   PL_ACC_FULL         every row, in handle order, through the txn iterator
 *   PL_ACC_POINT        handle = v [, v2 ...]  (integer primary key: point
 *                       get / batch point get)
 *   PL_ACC_RANGE        lo <= handle <= hi
 *   PL_ACC_UNIQUE       unique index columns = values (index, then row)
 *   PL_ACC_INDEX        leading index columns = values (index range scan,
 *                       then table lookups)
 *   PL_ACC_COPR         coprocessor scan (pl_copr.c) with pushed Selection /
 *                       partial Aggregation / TopN / Limit; falls back to
 *                       the original subtree when the transaction has
 *                       buffered writes (the store cannot see them)
 *
 * Exported: pl_env, pl_env_set/get, pl_tabref, pl_scanspec,
 * pl_table_install() (registers the resolver), pl_tabref_current(),
 * pl_scan_build(), pl_optimize_scans(), pl_scan_label(), pl_row_to_visible /
 * pl_visible_to_row.
 */
#ifndef PGKV_PL_TABLE_H
#define PGKV_PL_TABLE_H

#include <stdatomic.h>

#include "kv/txn/kv_txn.h"
#include "sql/catalog/cat_rowcodec.h"
#include "sql/catalog/sql_catalog.h"
#include "sql/plan/pl_logical.h"

typedef struct pl_env {
	kv_client *kv;
	kv_txn *txn;				/* execution: the SQL transaction's txn */
	sql_cat_view *view;			/* held by whoever filled the env */
	const cat_database *db;
	sql_cat_search_path sp;
	bool rc;					/* READ COMMITTED: lock conflicts re-read the row */
	atomic_int *cancel;
	bool allow_copr;			/* statement may read through the coprocessor */
	int nresolved;				/* tables resolved while planning */
	int64_t lock_wait_ms;		/* FOR UPDATE / DML lock wait: <0 NOWAIT, 0 forever */
} pl_env;

void pl_env_set(pl_env *env);
pl_env *pl_env_get(void);

typedef struct pl_tabref {
	int64_t table_id;
	const cat_table *t;			/* plan-time descriptor (view held by the plan arena) */
	const char *name;
	int nvis;					/* visible columns */
	int *vis;					/* visible column -> slot in t->cols */
	sem_type *types;			/* of the visible columns */
	const char **names;
} pl_tabref;

typedef enum pl_access {
	PL_ACC_FULL, PL_ACC_POINT, PL_ACC_RANGE, PL_ACC_UNIQUE, PL_ACC_INDEX, PL_ACC_COPR,
} pl_access;

struct pl_copr_spec;

typedef struct pl_scanspec {
	pl_tabref *ref;
	bool with_handle;			/* output one more column: the row handle (int8) */
	pl_access acc;
	int nvals;
	sem_expr **vals;			/* POINT: handles; UNIQUE/INDEX: leading index column values */
	sem_expr *lo, *hi;			/* RANGE (NULL = open) */
	bool lo_strict, hi_strict;
	int64_t index_id;
	const char *index_name;
	int lock;					/* 0 none, 1 FOR SHARE, 2 FOR UPDATE (SELECT locking) */
	int lock_wait;				/* 0 wait, 1 NOWAIT, 2 SKIP LOCKED */
	struct pl_copr_spec *copr;
	pl_node *fallback;			/* COPR: the gateway plan it replaces */
} pl_scanspec;

/* Register the catalog resolver with the binder (idempotent). */
void pl_table_install(void);

/* The descriptor of ref in env's view, checked against the plan's shape. */
CM_MUST_CHECK cm_status pl_tabref_current(const pl_tabref *ref, const pl_env *env, const cat_table **out,
										  cm_error *err);

/* A scan provider for spec (allocated in a), labelled for EXPLAIN. */
const pl_scan_provider *pl_scan_provider_new(cm_arena *a, pl_scanspec *spec);
pl_scanspec *pl_scan_spec(const pl_scan_provider *p);	/* NULL: not a catalog table */

/* Optimize a bound plan: pl_optimize_plan (pl_opt.c: predicate pushdown,
 * join algorithms), whose last step is pl_scan_paths: access paths of
 * catalog scans under root (point get, ranges, index lookups, coprocessor
 * pushdown). */
CM_MUST_CHECK cm_status pl_optimize_scans(pl_binder *b, pl_node **root, cm_error *err);
CM_MUST_CHECK cm_status pl_scan_paths(pl_binder *b, pl_node **root, cm_error *err);

/* Handles of the entries of index ix whose leading columns equal
 * vals[0..nvals), in index order, appended to *hs / *nh (grown in a). */
CM_MUST_CHECK cm_status pl_index_handles(cm_arena *a, kv_txn *txn, const cat_table *t, const cat_index *ix,
										 const sem_datum *vals, int nvals, int64_t **hs, int *nh, cm_error *err);

/* Evaluate a scan-time constant expression (params / executor params). */
CM_MUST_CHECK cm_status pl_eval_const(ex_state *st, cm_arena *a, const sem_expr *e, sem_datum *out, cm_error *err);

/* A full row (t->ncols slots) from the visible columns and back. */
void pl_visible_to_row(const pl_tabref *ref, const cat_table *t, const sem_datum *vis, sem_datum *row);
void pl_row_to_visible(const pl_tabref *ref, const sem_datum *row, sem_datum *vis);

/* LockRows: lock the rows of child (ctid at column ctid_col) at their
 * latest version, drop rows deleted meanwhile, replace changed rows and
 * re-check pred on them.  wait: 0 block, 1 NOWAIT, 2 SKIP LOCKED;
 * strength: 1 FOR [KEY] SHARE (shared locks), 2 FOR [NO KEY] UPDATE. */
ex_op *pl_lockrows_new(ex_state *st, ex_op *child, const pl_tabref *ref, int ctid_col, sem_expr *pred, int wait,
					   int strength);
/* Lock record keys of handles (READ COMMITTED: retried at a newer
 * for_update_ts after a write conflict); res[i] = the row as this
 * transaction now sees it. */
CM_MUST_CHECK cm_status pl_lock_rows(cm_arena *a, pl_env *env, const cat_table *t, const int64_t *handles, int n,
									 int wait, kv_value *res, cm_error *err);
/* The same with shared locks when shared (FOR SHARE / FOR KEY SHARE). */
CM_MUST_CHECK cm_status pl_lock_rows_mode(cm_arena *a, pl_env *env, const cat_table *t, const int64_t *handles,
										  int n, int wait, bool shared, kv_value *res, cm_error *err);

/* [copr] The access path choose_access() would take for a Filter on pred
 * over sp (sp->acc stays FULL when none applies). */
void pl_choose_access(pl_binder *b, pl_scanspec *sp, sem_expr *pred);

/* Coprocessor pushdown (pl_copr.c). */
struct kv_copr_pool;
CM_MUST_CHECK cm_status pl_copr_try(pl_binder *b, pl_node **np, bool *done, cm_error *err);
CM_MUST_CHECK cm_status pl_copr_build(const pl_scanspec *spec, ex_state *st, ex_op **out, cm_error *err);
/* [copr] May this execution read spec's table through the coprocessor?  No
 * when the statement does not allow it or the transaction has buffered
 * writes in the table's record range (the store cannot see them). */
bool pl_copr_usable(const pl_scanspec *spec, pl_env *env);
/* [copr] EXPLAIN lines under a coprocessor scan; map (EXPLAIN ANALYZE, may
 * be NULL) adds the region tasks, rows and wait time. */
void pl_copr_explain(const pl_scanspec *spec, int indent, const pl_opmap *map, cm_buf *out);
/* [copr] The process-wide coprocessor worker pool (one thread per CPU,
 * started on first use; NULL if no thread could be started). */
struct kv_copr_pool *pl_copr_pool(void);

#endif /* PGKV_PL_TABLE_H */
