/*
 * plan.h -- binder and planner for SELECT: the entry points sql/dispatch.c uses.
 *
 * pl_bind_expr() turns one libpg_query expression into a typed sem_expr
 * with PostgreSQL 15's rules: literal typing (integers int4/int8/numeric,
 * decimals numeric, quoted strings unknown until context decides), operator
 * and function resolution (exact match, implicit coercions, unknown
 * literals, preferred types), select_common_type for CASE/COALESCE/IN/
 * GREATEST/VALUES, parameter type inference for $n.
 *
 * pl_plan_select() plans SELECT without FROM (target list, WHERE, LIMIT/
 * OFFSET) and VALUES lists; pl_open()/pl_next() run the plan.
 *
 * Ownership: plans, cursors and every expression are allocated in the
 * arena given to pl_plan_select(); result datums of pl_next() in
 * ctx->arena.  A plan may be opened any number of times (prepared
 * statements) as long as its arena lives.
 *
 * Errors carry cm_error.position = byte offset of the offending node + 1
 * (PostgreSQL counts characters; the error writer converts when the query
 * text is not ASCII).
 */
#ifndef PGKV_PL_PLAN_H
#define PGKV_PL_PLAN_H

#include <stdbool.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "sql/sem/sem_expr.h"
#include "sql/sem/sem_types.h"

typedef struct pl_column {
	const char *name;
	sem_type type;
} pl_column;

typedef struct pl_plan pl_plan;		/* arena-owned */
typedef struct pl_cursor pl_cursor;	/* arena-owned (ctx->arena of pl_open) */

/*
 * Plan a SELECT/VALUES statement.  stmt is the RawStmt's stmt node; query
 * is the whole query string (node locations are byte offsets into it).
 * param_types has nparams entries (0 = unspecified, to be inferred); the
 * planner may see more $n than nparams.
 */
CM_MUST_CHECK cm_status pl_plan_select(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *stmt,
									   const char *query, int nparams, const sem_oid *param_types,
									   pl_plan **out, cm_error *err);

int pl_plan_ncols(const pl_plan *p);
const pl_column *pl_plan_cols(const pl_plan *p);

/* Parameter types after inference (unresolvable -> 42P18 'could not
 * determine data type of parameter $1' at plan time); nparams is the max
 * $n referenced or the given count, whichever is larger. */
int pl_plan_nparams(const pl_plan *p);
const sem_oid *pl_plan_param_types(const pl_plan *p);

/* Start executing; params[0..nparams-1] hold values of the planned types
 * (NULL allowed if the plan has no parameters).  The cursor lives in
 * ctx->arena. */
CM_MUST_CHECK cm_status pl_open(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, pl_cursor **out,
								cm_error *err);

/* pl_open with a statement environment (pl_table.h pl_env: transaction and
 * catalog view the table scans read through); pl_open uses none. */
struct pl_env;
CM_MUST_CHECK cm_status pl_open_env(pl_plan *plan, sem_ctx *ctx, const sem_datum *params, struct pl_env *env,
									pl_cursor **out, cm_error *err);

/* Catalog version the plan was made against (NULL: it reads no table). */
const char *pl_plan_catalog_version(const pl_plan *p);

/* Fills row[0..ncols-1]; *done=true when exhausted (row untouched). */
CM_MUST_CHECK cm_status pl_next(pl_cursor *c, sem_datum *row, bool *done, cm_error *err);

/*
 * Binding environment for pl_bind_expr().
 *   params / nparams: parameter types, in and out: entries 0 are inferred
 *       and written back; *nparams grows to the highest $n seen (params
 *       must have room for max_params entries).
 *   colref: resolves a column reference (names[0..n)), or NULL: then any
 *       column reference is 42703 'column "x" does not exist'.
 */
typedef cm_status (*pl_colref_fn)(void *arg, const char *const *names, int nnames, int location,
								  sem_expr **out, cm_error *err);

typedef struct pl_bind_env {
	sem_oid *params;
	int *nparams;
	int max_params;
	pl_colref_fn colref;
	void *colref_arg;
} pl_bind_env;

/*
 * Bind one expression.  target.oid == 0: the result keeps its natural type
 * (an unknown literal becomes text); otherwise it is coerced to target with
 * assignment semantics (as INSERT/SET/DEFAULT do), 42804 if impossible.
 * Unresolved parameters are left 0 in env->params (the caller decides
 * whether that is an error).
 */
CM_MUST_CHECK cm_status pl_bind_expr(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *node,
									 const char *query, pl_bind_env *env, sem_type target,
									 sem_expr **out, cm_error *err);

/* PostgreSQL's FigureColname() for a target expression ("?column?" default). */
const char *pl_figure_colname(const PgQuery__Node *node);

/*
 * EXPLAIN: the plan tree as text, one operator per line, PostgreSQL style
 * ("->  " children indented), without costs.
 */
void pl_explain(const pl_plan *p, cm_buf *out);

/*
 * Storage row sources (table scans).  The catalog registers a resolver;
 * the binder calls it for every FROM-clause table name that is not a CTE.
 * A resolved table brings its columns and a scan provider whose build()
 * returns an executor operator (sql/exec/exec.h ex_op) producing rows of
 * exactly those columns.  See sql/exec/README.md.
 */
struct ex_state;
struct ex_op;
typedef struct pl_scan_provider {
	const char *label;		/* EXPLAIN: "Seq Scan on t" */
	CM_MUST_CHECK cm_status (*build)(const struct pl_scan_provider *self, struct ex_state *st, struct ex_op **out,
									 cm_error *err);
	void *arg;
} pl_scan_provider;

typedef struct pl_table {
	const char *name;
	uint32_t oid;
	int ncols;
	const char **colnames;
	const sem_type *coltypes;
	const pl_scan_provider *scan;
	void *ref;				/* catalog tables: their pl_tabref (pl_table.h), else NULL */
} pl_table;

/* *out = NULL: no such table (the binder reports 42P01). */
typedef cm_status (*pl_table_resolver)(sem_ctx *ctx, cm_arena *arena, const char *schema, const char *name,
									   const pl_table **out, cm_error *err);
/* Install the process-wide resolver (call once at start-up). */
void pl_set_table_resolver(pl_table_resolver fn);

#endif /* PGKV_PL_PLAN_H */
