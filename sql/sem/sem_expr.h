/*
 * sem_expr.h -- typed expression trees and their evaluator.
 *
 * A sem_expr is what the binder (sql/plan) produces from a parse tree once
 * every type is resolved: constants, parameters, column references by
 * index, calls of registry built-ins (functions and operators alike),
 * casts, boolean connectives with three-valued logic, null/boolean tests,
 * CASE, COALESCE, NULLIF, GREATEST/LEAST, IN lists and IS DISTINCT FROM.
 * The same trees are evaluated by the executor and by the embedded
 * coprocessor, so the evaluator has no SQL-level dependencies.
 *
 * Exported:
 *   sem_expr, sem_expr_kind           the node type (arena-owned trees)
 *   sem_expr_const/param/column/func/cast/...   constructors
 *   sem_eval()                        evaluate one expression
 *   sem_expr_is_const()               no params/columns/volatile calls below
 *
 * Ownership: nodes and the datums they hold live in the arena given to the
 * constructors; sem_eval() allocates its results in ctx->arena.
 */
#ifndef PGKV_SEM_EXPR_H
#define PGKV_SEM_EXPR_H

#include <stdbool.h>
#include "sql/sem/sem_cast.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_types.h"

typedef enum sem_expr_kind {
	SEM_EXPR_CONST,		/* u.constval */
	SEM_EXPR_PARAM,		/* u.paramno (1-based) */
	SEM_EXPR_COLUMN,	/* u.colno (0-based index into the row) */
	SEM_EXPR_FUNC,		/* u.func: built-in function or operator */
	SEM_EXPR_CAST,		/* u.cast: conversion + typmod coercion */
	SEM_EXPR_OUTTEXT,	/* u.arg1: output function to text (concat of "any") */
	SEM_EXPR_AND,		/* u.list */
	SEM_EXPR_OR,		/* u.list */
	SEM_EXPR_NOT,		/* u.arg1 */
	SEM_EXPR_NULLTEST,	/* u.test: IS [NOT] NULL */
	SEM_EXPR_BOOLTEST,	/* u.test: IS [NOT] TRUE/FALSE/UNKNOWN */
	SEM_EXPR_CASE,		/* u.case_ */
	SEM_EXPR_CASETEST,	/* the CASE operand inside WHEN comparisons */
	SEM_EXPR_COALESCE,	/* u.list */
	SEM_EXPR_MINMAX,	/* u.minmax: GREATEST / LEAST */
	SEM_EXPR_NULLIF,	/* u.cmp: NULLIF(a, b) with the = operator */
	SEM_EXPR_DISTINCT,	/* u.cmp: IS [NOT] DISTINCT FROM with the = operator */
	SEM_EXPR_IN,		/* u.in: a [NOT] IN (list) with the = operator */
	SEM_EXPR_EXTERN,	/* u.ext: args evaluated here, result computed by a callback
						 * (arrays, subplans and outer references of sql/exec) */
} sem_expr_kind;

typedef enum sem_booltest {
	SEM_IS_TRUE, SEM_IS_NOT_TRUE, SEM_IS_FALSE, SEM_IS_NOT_FALSE, SEM_IS_UNKNOWN, SEM_IS_NOT_UNKNOWN,
} sem_booltest;

typedef struct sem_expr sem_expr;

/*
 * Callback of a SEM_EXPR_EXTERN node: args[0..e->u.ext.nargs) are the
 * evaluated arguments (NULLs included); set *out.  fn == NULL marks a
 * planner placeholder (aggregate/window/SRF call) that must be replaced
 * before evaluation.
 */
typedef cm_status (*sem_extern_fn)(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out,
								   cm_error *err);

struct sem_expr {
	sem_expr_kind kind;
	sem_type type;			/* result type */
	int location;			/* byte offset in the query text, -1 if none */
	union {
		sem_datum constval;
		int paramno;
		int colno;
		sem_expr *arg1;
		struct {
			const sem_builtin *fn;
			int nargs;
			sem_expr **args;
		} func;
		struct {
			sem_expr *arg;
			sem_cast_path path;
			bool is_explicit;
		} cast;
		struct {
			int n;
			sem_expr **items;
		} list;
		struct {
			sem_expr *arg;
			int op;				/* NULLTEST: 0 IS NULL, 1 IS NOT NULL; BOOLTEST: sem_booltest */
		} test;
		struct {
			sem_expr *operand;	/* NULL for searched CASE */
			int nwhen;
			sem_expr **conds;	/* bool; may contain CASETEST */
			sem_expr **results;
			sem_expr *defresult;	/* never NULL (NULL constant if absent) */
		} case_;
		struct {
			bool greatest;
			int n;
			sem_expr **items;
		} minmax;
		struct {
			const sem_builtin *eq;
			sem_expr *a, *b;
			bool negate;		/* DISTINCT: false = IS DISTINCT FROM, true = IS NOT DISTINCT FROM */
		} cmp;
		struct {
			const sem_builtin *eq;
			sem_expr *lhs;
			int n;
			sem_expr **items;
			bool negate;		/* NOT IN */
		} in;
		struct {
			sem_extern_fn fn;
			void *arg;			/* callback data (plan-time, read-only) */
			int nargs;
			sem_expr **args;
			bool volatile_;		/* never treat as constant */
		} ext;
	} u;
};

sem_expr *sem_expr_new(cm_arena *a, sem_expr_kind kind, sem_type type, int location);
sem_expr *sem_expr_const(cm_arena *a, sem_type type, const sem_datum *v, int location);
sem_expr *sem_expr_null(cm_arena *a, sem_type type, int location);
sem_expr *sem_expr_param(cm_arena *a, int paramno, sem_type type, int location);
sem_expr *sem_expr_column(cm_arena *a, int colno, sem_type type, int location);
sem_expr *sem_expr_func(cm_arena *a, const sem_builtin *fn, int nargs, sem_expr **args, int location);

/* True if the tree has no params, columns, CASETEST or volatile/stable calls. */
bool sem_expr_is_const(const sem_expr *e);

/*
 * Evaluate e.  row: column values (NULL if the expression has none);
 * params: $1.. values as params[0..] (already of the planned types).
 * The result is allocated in ctx->arena.  Runtime errors carry no cursor
 * position, as in PostgreSQL.  Checks *ctx->cancel between nodes of large
 * lists (57014).
 */
CM_MUST_CHECK cm_status sem_eval(sem_ctx *ctx, const sem_expr *e, const sem_datum *row,
								 const sem_datum *params, sem_datum *out, cm_error *err);

#endif /* PGKV_SEM_EXPR_H */
