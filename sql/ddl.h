/*
 * ddl.h -- DDL statement execution over the KV catalog (sql/catalog).
 *
 * Called by dispatch.c: sql_ddl_tag() classifies a statement node (NULL:
 * not a DDL statement handled here), sql_ddl_exec() runs it in the SQL
 * transaction's KV transaction.  Each statement runs under a KV savepoint,
 * so a failed statement leaves nothing behind; DDL in an explicit
 * transaction block is undone by ROLLBACK.  NOTICEs (IF [NOT] EXISTS) go
 * out through the executor.
 *
 * Handled: CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER TABLE (ADD/DROP
 * COLUMN, ADD/DROP CONSTRAINT, SET/DROP DEFAULT, SET/DROP NOT NULL, RENAME),
 * ALTER INDEX/SEQUENCE RENAME, TRUNCATE, CREATE/DROP DATABASE, CREATE/DROP
 * SCHEMA, CREATE/ALTER/DROP SEQUENCE, CREATE/ALTER/DROP ROLE|USER, COMMENT,
 * VACUUM, ANALYZE.
 */
#ifndef PGKV_SQL_DDL_H
#define PGKV_SQL_DDL_H

#include "sql/executor_internal.h"

/* Command tag of a DDL statement, or NULL when n is not one of ours. */
const char *sql_ddl_tag(const PgQuery__Node *n);

/* Run the DDL statement of portal po (its tag may be adjusted). */
CM_MUST_CHECK cm_status sql_ddl_exec(sql_executor *ex, sql_portal *po, cm_error *err);

#endif /* PGKV_SQL_DDL_H */
