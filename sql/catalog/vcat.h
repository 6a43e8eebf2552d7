/*
 * vcat.h -- the virtual system catalogs: pg_catalog and information_schema
 * relations that clients (psql's \d family, pgbench, JDBC, psycopg,
 * SQLAlchemy, knex ...) query, generated from the statement's catalog view.
 *
 * Nothing is stored: a scan of pg_class builds its rows from the
 * sql_cat_view the statement reads through (pl_env.view), so the rows are
 * consistent with the transaction's snapshot, own DDL included.  Column
 * names, types and order are PostgreSQL 15's, except where pgkv has no
 * such type (documented in docs/compatibility.md "System catalogs"):
 * aclitem[] -> text[] (always NULL), pg_node_tree -> text (the expression's
 * source text), xid -> oid, int2vector -> int2[], oidvector -> oid[],
 * "char"[] -> text[], anyarray -> text, inet -> text.
 *
 * Exported:
 *   sql_vcat_resolve()   the planner's table resolver asks this first
 *   sql_vcat_catfunc()   sem_catalog_hooks.catfunc: catalog functions and
 *                        reg* I/O (sql/sem/sem_catfuncs.h)
 *   sql_vcat_is_virtual_schema()
 */
#ifndef PGKV_SQL_VCAT_H
#define PGKV_SQL_VCAT_H

#include <stdbool.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "sql/plan/plan.h"
#include "sql/sem/sem_types.h"

/*
 * Resolve a FROM-clause relation name against the virtual catalogs.
 * schema "pg_catalog" / "information_schema": *handled = true and *out is
 * the relation or NULL (the binder reports 42P01).  No schema: handled when
 * name is a pg_catalog relation (pg_catalog is implicitly first on the
 * search path, as in PostgreSQL).  Otherwise *handled = false and the
 * caller resolves the name itself.  The table is allocated in arena.
 */
CM_MUST_CHECK cm_status sql_vcat_resolve(sem_ctx *ctx, cm_arena *arena, const char *schema, const char *name,
										 const pl_table **out, bool *handled, cm_error *err);

/* True for "pg_catalog" and "information_schema". */
bool sql_vcat_is_virtual_schema(const char *schema);

/*
 * The catfunc hook (sem_catalog_hooks.catfunc): arg is the session's
 * sql_cat_session.  Uses the executing statement's environment when there
 * is one (ctx->exec, or the planning environment), else the session's
 * current catalog view.
 */
CM_MUST_CHECK cm_status sql_vcat_catfunc(void *arg, sem_ctx *ctx, int fn, int nargs, const sem_datum *args,
										 sem_datum *out, cm_error *err);

#endif /* PGKV_SQL_VCAT_H */
