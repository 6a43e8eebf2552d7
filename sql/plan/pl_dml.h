/*
 * pl_dml.h -- INSERT / UPDATE / DELETE over catalog tables, the row writer
 * they share with COPY, and EXPLAIN [ANALYZE].
 *
 * pl_plan_modify() binds a statement into a pl_modify (in the caller's
 * arena, like pl_plan_select): the target table, the source rows (VALUES,
 * a SELECT, or for UPDATE/DELETE a SELECT over the target -- plus FROM /
 * USING -- that yields each qualifying row with its handle), SET
 * expressions, defaults, CHECK expressions, RETURNING and ON CONFLICT.
 *
 * pl_modify_exec() runs it inside env->txn: all source rows are read
 * first (a txn iterator must not see writes while it is open), then the
 * rows are written in batches.  UPDATE and DELETE lock the rows they change
 * (kv_txn_lock_keys returning the latest committed version); under READ
 * COMMITTED a row changed since the statement's snapshot is re-checked
 * against WHERE and its SET expressions re-evaluated on the new version
 * (PostgreSQL's EvalPlanQual), so concurrent "n = n + 1" never loses an
 * increment.  Constraint errors are PostgreSQL's (23502 / 23505 / 23514 /
 * 23503 with the same message and detail).
 *
 * pl_writer is the insert path (defaults, NOT NULL, CHECK, unique keys
 * checked by locking them with check_existence, index entries, foreign
 * keys), used by INSERT and COPY.
 */
#ifndef PGKV_PL_DML_H
#define PGKV_PL_DML_H

#include "sql/plan/pl_table.h"

typedef struct pl_modify pl_modify;

CM_MUST_CHECK cm_status pl_plan_modify(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *stmt, const char *query,
									   int nparams, const sem_oid *param_types, pl_modify **out, cm_error *err);
const char *pl_modify_verb(const pl_modify *m);			/* "INSERT", "UPDATE", "DELETE" */
int pl_modify_nparams(const pl_modify *m);
const sem_oid *pl_modify_param_types(const pl_modify *m);
int pl_modify_ncols(const pl_modify *m);					/* RETURNING columns */
const pl_column *pl_modify_cols(const pl_modify *m);
const char *pl_modify_catalog_version(const pl_modify *m);

/* Run m; RETURNING rows (ncols each) are materialised in out_arena. */
CM_MUST_CHECK cm_status pl_modify_exec(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env,
									   cm_arena *out_arena, sem_datum **rows, int *nrows, int64_t *count,
									   cm_error *err);

/* EXPLAIN [ANALYZE] text (one line per node, PostgreSQL style). */
CM_MUST_CHECK cm_status pl_modify_explain(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env,
										  bool analyze, cm_buf *out, cm_error *err);
CM_MUST_CHECK cm_status pl_explain_run(pl_plan *p, sem_ctx *ctx, const sem_datum *params, pl_env *env, bool analyze,
									   cm_buf *out, cm_error *err);

CM_MUST_CHECK cm_status pl_explain_analyze(pl_plan *p, sem_ctx *ctx, const sem_datum *params, pl_env *env,
											cm_buf *out, cm_error *err);

/* ---- the insert path (INSERT, COPY) ---- */

typedef struct pl_writer pl_writer;

/* A writer for table t (resolved in env->view; defaults and CHECKs bound
 * here).  Lives in arena a. */
CM_MUST_CHECK cm_status pl_writer_new(cm_arena *a, sem_ctx *ctx, pl_env *env, const cat_table *t, pl_writer **out,
									  cm_error *err);
/* Slot defaults for the columns with given[i] == false into row. */
CM_MUST_CHECK cm_status pl_writer_defaults(pl_writer *w, const bool *given, sem_datum *row, cm_error *err);
/* Queue one full row (t->ncols slots, copied); flushed every 1,024 rows. */
CM_MUST_CHECK cm_status pl_writer_add(pl_writer *w, const sem_datum *row, cm_error *err);
CM_MUST_CHECK cm_status pl_writer_flush(pl_writer *w, cm_error *err);
int64_t pl_writer_count(const pl_writer *w);

#endif /* PGKV_PL_DML_H */
