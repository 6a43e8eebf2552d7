/*
 * dispatch.h -- what each kind of statement does (the statement dispatch the
 * SQL engine extends).  Called by conn_executor.c; see executor_internal.h.
 *
 *   sql_dispatch_prepare()   classify a statement, plan it, describe params/columns
 *   sql_dispatch_bind()      decode parameters, choose result formats
 *   sql_dispatch_start()     run a utility statement / open a query cursor
 *   sql_dispatch_fetch()     send up to max_rows rows (CM_AGAIN: suspended)
 *   sql_dispatch_commit/rollback()  end the KV transaction (no-op until the KV layer)
 */
#ifndef PGKV_SQL_DISPATCH_H
#define PGKV_SQL_DISPATCH_H

#include "sql/executor_internal.h"

CM_MUST_CHECK cm_status sql_dispatch_prepare(sql_executor *ex, sql_prepared *p, cm_error *err);
bool sql_dispatch_is_txn_control(const sql_prepared *p);
bool sql_dispatch_allowed_in_aborted(const sql_prepared *p);
bool sql_dispatch_node_allowed_in_aborted(const PgQuery__Node *n);
/* bind NULL: no parameters, all results in text (simple protocol). */
CM_MUST_CHECK cm_status sql_dispatch_bind(sql_executor *ex, sql_portal *po, const sql_bind_args *bind, cm_error *err);
CM_MUST_CHECK cm_status sql_dispatch_start(sql_executor *ex, sql_portal *po, cm_error *err);
cm_status sql_dispatch_fetch(sql_executor *ex, sql_portal *po, int32_t max_rows, cm_error *err);
CM_MUST_CHECK cm_status sql_dispatch_commit(sql_executor *ex, cm_error *err);
cm_status sql_dispatch_rollback(sql_executor *ex, cm_error *err);

#endif /* PGKV_SQL_DISPATCH_H */
