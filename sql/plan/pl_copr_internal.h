/*
 * pl_copr_internal.h -- private contract between the files of coprocessor
 * pushdown:
 *   pl_copr.c        the plan rewrite (pl_copr_try) and the worker pool
 *   pl_copr_expr.c   sem expressions -> tipb, and the check that the store
 *                    compiles the tipb back into the same sem tree
 *   pl_copr_scan.c   the request built at every open of a coprocessor scan,
 *                    its gateway fallback, and EXPLAIN
 *
 * pl_copr_spec is what the rewrite decided for one coprocessor scan; it
 * lives in the plan's arena and is read (never written) at execution.
 */
#ifndef PGKV_PL_COPR_INTERNAL_H
#define PGKV_PL_COPR_INTERNAL_H

#include "kv/copr/kv_copr_dag.h"
#include "sql/exec/ex_copr.h"
#include "sql/plan/pl_table.h"


typedef struct pl_copr_spec {
	pl_tabref *ref;
	int nscan;
	int *scan_vis;				/* visible column of each scan column; -1 = hidden row id */
	int *vis_to_scan;			/* per visible column: scan offset or -1 */
	kv_copr_col *cols;			/* scan schema */
	int nconds;
	sem_expr **conds;			/* pushed Selection (over the visible row) */
	sem_expr *lo, *hi;			/* handle range (NULL = open) */
	bool lo_strict, hi_strict;
	bool agg;
	int ngroups;
	sem_expr **groups;
	int naggs;
	ex_aggdesc *aggs;
	ex_copr_aggspec *aspec;
	int *gcols;
	int ntopn;
	ex_sortkey *topn;
	bool *topn_nullable;
	sem_expr *limit, *offset;	/* TopN / Limit rows = limit + offset */
	bool push_limit;
	bool keep_order;
	int nout;
	sem_type *out_types;
	int *out_map;
	ex_copr_desc desc;
	const char *why_rest;		/* EXPLAIN: conjuncts kept in the gateway */
} pl_copr_spec;

/* Value classes of the tipb signature families (pl_copr_cls). */
enum { C_INT, C_REAL, C_DEC, C_STR, C_TIME, C_NONE };

/* The class of a type: which signature family the store uses for it;
 * C_NONE = the coprocessor does not read or compute it. */
int pl_copr_cls(sem_oid o);
/* A column type the coprocessor reads as the catalog stores it. */
bool pl_copr_col_type_ok(sem_type t);
/* Fixed for one open of the scan (constants, $n, outer references and
 * non-volatile functions and casts of those): sent as a constant. */
bool pl_copr_run_const(const sem_expr *e);
/* Can the store evaluate e over s's scan columns exactly as the gateway
 * would?  Scratch memory from a. */
bool pl_copr_pushable(const pl_copr_spec *s, cm_arena *a, const sem_expr *e);

/* One translation of sem expressions into tipb. */
typedef struct tr_ctx {
	cm_arena *a;
	const pl_copr_spec *s;
	ex_state *st;				/* NULL at plan time: run-time constants become typed NULLs */
	cm_error *err;
	bool eval_failed;			/* st != NULL: a constant failed to evaluate (err set) */
} tr_ctx;

/* e as a tipb expression over c->s's scan columns, allocated in c->a;
 * NULL when it cannot be expressed (or, st set, a constant failed to
 * evaluate: c->eval_failed, c->err). */
Tipb__Expr *pl_copr_tr(tr_ctx *c, const sem_expr *e);
/* "e IS NULL" as tipb (e of a class other than C_NONE); NULL as above. */
Tipb__Expr *pl_copr_tr_isnull(tr_ctx *c, const sem_expr *e);

/* ex_copr_desc callbacks (pl_copr_scan.c); arg is the pl_scanspec. */
CM_MUST_CHECK cm_status pl_copr_prepare(const void *arg, ex_state *st, cm_arena *a, kv_client **client,
										kv_copr_pool **pool, kv_copr_request *req, bool *empty, bool *fallback,
										cm_error *err);
CM_MUST_CHECK cm_status pl_copr_fallback(const void *arg, ex_state *st, ex_op **out, cm_error *err);

#endif
