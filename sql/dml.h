/*
 * dml.h -- statements over tables, as dispatch.c sees them: SELECT planning
 * and opening with the catalog environment, INSERT / UPDATE / DELETE,
 * COPY and EXPLAIN.
 *
 *   sql_query_plan()    plan a SELECT (tables resolved through the catalog)
 *   sql_query_open()    open a SELECT portal's cursor (re-plans if the
 *                       catalog changed since it was planned)
 *   sql_dml_handles()   true for the statements sql_dml_prepare/start run
 *   sql_dml_prepare()   classify and plan INSERT/UPDATE/DELETE/COPY/EXPLAIN
 *   sql_dml_start()     run one: rows (RETURNING, EXPLAIN) are materialised
 *                       into the portal (po->rows / po->nmat, fetched like
 *                       SHOW rows), the tag gets its count ("INSERT 0 3")
 *   sql_copy_prepare/start()    COPY FROM STDIN (copy.c)
 *
 * Memory: plans live in the prepared statement's arena, everything of one
 * execution in the portal's arena; catalog views are reference-counted and
 * released by those arenas.
 */
#ifndef PGKV_SQL_DML_H
#define PGKV_SQL_DML_H

#include "sql/executor_internal.h"

CM_MUST_CHECK cm_status sql_query_plan(sql_executor *ex, sql_prepared *p, sem_ctx *ctx, cm_error *err);
CM_MUST_CHECK cm_status sql_query_open(sql_executor *ex, sql_portal *po, cm_error *err);

bool sql_dml_handles(const PgQuery__Node *n);
CM_MUST_CHECK cm_status sql_dml_prepare(sql_executor *ex, sql_prepared *p, cm_error *err);
CM_MUST_CHECK cm_status sql_dml_start(sql_executor *ex, sql_portal *po, cm_error *err);

/* The execution environment of portal po (pl_env, in po->arena). */
struct pl_env;
CM_MUST_CHECK cm_status sql_dml_env(sql_executor *ex, sql_portal *po, struct pl_env **out, cm_error *err);
/* COPY (copy.c): options checked at prepare; start runs the whole COPY. */
CM_MUST_CHECK cm_status sql_copy_prepare(sql_executor *ex, sql_prepared *p, cm_error *err);
CM_MUST_CHECK cm_status sql_copy_start(sql_executor *ex, sql_portal *po, cm_error *err);

#endif /* PGKV_SQL_DML_H */
