/*
 * pl_logical.h -- the logical plan tree the query binder produces and the
 * physical builder (pl_run.c) turns into executor operators.
 *
 * Every node produces rows of `ncols` columns of `types`; expressions in a
 * node are bound over its input row (the left child's row; for joins the
 * concatenation left ++ right).  Nodes:
 *   PL_RESULT     one empty row (SELECT without FROM)
 *   PL_VALUES     VALUES lists (rows of expressions without columns)
 *   PL_SRF        set-returning functions; with a child: ProjectSet
 *   PL_SCAN       a storage row source (pl_scan_provider, see plan.h)
 *   PL_PROJECT    exprs
 *   PL_FILTER     pred
 *   PL_JOIN       jt, equi keys (lkeys/rkeys/eqs) + residual pred; algo says how
 *                 it runs (pl_opt.c chooses): hash join (default; a nested loop
 *                 without keys), index lookup join (right: the table of
 *                 `lookup`, fetched by the left row's key values, rows passing
 *                 rfilter) or merge join (both inputs ordered on the keys)
 *   PL_AGG        group exprs ++ aggregates
 *   PL_SORT       sort keys
 *   PL_LIMIT      limit/offset
 *   PL_DISTINCT   hashed (n == 0) or DISTINCT ON keys over sorted input
 *   PL_SETOP      UNION/INTERSECT/EXCEPT [ALL]
 *   PL_WINDOW     partition exprs, order keys, window functions
 *   PL_RECURSIVE  WITH RECURSIVE (left: non-recursive term, right: recursive)
 *   PL_WORKTABLE  the recursive reference inside `right` of a PL_RECURSIVE
 *
 * Subqueries in expressions are SEM_EXPR_EXTERN nodes whose arg is a
 * pl_subplan (plan + kind); outer references are EXTERN nodes reading an
 * executor parameter (ex_state.xparams) that the enclosing subplan call
 * sets from its arguments.
 */
#ifndef PGKV_PL_LOGICAL_H
#define PGKV_PL_LOGICAL_H

#include "sql/exec/exec.h"
#include "sql/plan/pl_internal.h"

typedef enum pl_kind {
	PL_RESULT, PL_VALUES, PL_SRF, PL_SCAN, PL_PROJECT, PL_FILTER, PL_JOIN, PL_AGG, PL_SORT, PL_LIMIT,
	PL_DISTINCT, PL_SETOP, PL_WINDOW, PL_RECURSIVE, PL_WORKTABLE,
	PL_LOCKROWS,	/* FOR UPDATE/SHARE: scan (the table), n strength 1 share / 2 update,
					 * nkeys 0 wait / 1 NOWAIT / 2 SKIP LOCKED, pred re-checked */
} pl_kind;

typedef enum pl_joinalgo { PL_JOIN_HASH, PL_JOIN_LOOKUP, PL_JOIN_MERGE } pl_joinalgo;

struct pl_scanspec;

typedef struct pl_node pl_node;
struct pl_node {
	pl_kind kind;
	int ncols;
	sem_type *types;
	pl_node *left, *right;
	const char *label;			/* EXPLAIN: "on x", function name ... */
	int n;						/* PROJECT/SRF/AGG groups/DISTINCT keys/VALUES rows */
	sem_expr **exprs;
	sem_expr ***rows;			/* VALUES */
	sem_expr *pred;				/* FILTER, JOIN residual */
	sem_expr *limit, *offset;
	ex_jointype jt;
	int nkeys;
	sem_expr **lkeys, **rkeys;
	const sem_builtin **eqs;
	bool lateral;				/* JOIN: right side reruns per left row */
	pl_joinalgo algo;			/* JOIN */
	struct pl_scanspec *lookup;	/* LOOKUP: the right table, acc POINT (handle) or INDEX */
	int nlookup;				/* LOOKUP: index columns fetched by */
	int *lookup_keys;			/* ... lkeys[lookup_keys[i]] */
	sem_expr *rfilter;			/* LOOKUP: over the right row, or NULL */
	double est;					/* estimated rows (pl_opt.c), 0 = not estimated */
	int nlat;					/* its parameters: latargs over the left row -> xparams[latids] */
	sem_expr **latargs;
	int *latids;
	int naggs;
	ex_aggdesc *aggs;
	int nsort;
	ex_sortkey *sort;
	int npart;
	sem_expr **part;
	int nwin;
	ex_windesc *wins;
	ex_setopkind setop;
	bool all;
	bool ordinality;
	pl_node *rec;				/* WORKTABLE: its PL_RECURSIVE */
	const pl_scan_provider *scan;
};

typedef enum pl_sublink_kind { PL_SUB_EXISTS, PL_SUB_EXPR, PL_SUB_ANY, PL_SUB_ALL, PL_SUB_ARRAY } pl_sublink_kind;

typedef struct pl_subplan {
	int id;
	pl_sublink_kind kind;
	pl_node *plan;
	bool correlated;			/* depends on the enclosing row: rerun on every call */
	int nparams;				/* first nparams ext args set xparams[param_ids[i]] */
	int *param_ids;
	sem_expr *test;				/* ANY/ALL: over [lhs, subquery column] */
	bool optimized;				/* pl_optimize_plan has rewritten plan */
} pl_subplan;

/* Runtime callbacks (pl_run.c) stored in EXTERN nodes. */
cm_status pl_subplan_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err);
cm_status pl_xparam_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out, cm_error *err);

/* Logical rewrites, join algorithms, then access paths, for a bound tree
 * and the subquery plans in its expressions (pl_opt.c). */
CM_MUST_CHECK cm_status pl_optimize_plan(pl_binder *b, pl_node **root, cm_error *err);

/* Call fn on every expression slot of n (not of its children). */
typedef void (*pl_expr_fn)(sem_expr *e, void *arg);
void pl_node_exprs(const pl_node *n, pl_expr_fn fn, void *arg);
/* Call fn on every subquery plan in the expressions of e. */
void pl_expr_subplans(sem_expr *e, void (*fn)(pl_subplan *sp, void *arg), void *arg);

/* Executor operators of the join algorithms chosen in pl_opt.c. */
ex_op *pl_lookupjoin_new(ex_state *st, const pl_node *n, ex_op *left);

/* Build executor operators for a logical tree. */
CM_MUST_CHECK cm_status pl_build(ex_state *st, pl_node *n, ex_op **out, cm_error *err);

/* Bind a whole SELECT (pl_query.c).  Fills the counts of executor
 * parameters and subplans the plan needs. */
typedef struct pl_query_result {
	pl_node *node;
	int ncols;
	const char **names;
	sem_type *types;
	int nxparams;
	int nsubplans;
} pl_query_result;

CM_MUST_CHECK cm_status pl_bind_select(pl_binder *b, const PgQuery__SelectStmt *s, pl_query_result *out,
									   cm_error *err);

void pl_explain_node(const pl_node *n, int indent, cm_buf *out);

/* EXPLAIN ANALYZE: operators built per node (set ex_state.planner to one
 * before pl_build to collect them). */
typedef struct pl_opmap {
	int n, cap;
	const pl_node **nodes;
	ex_op **ops;
} pl_opmap;
void pl_explain_node_ex(const pl_node *n, int indent, const pl_opmap *map, cm_buf *out);
/* Extra lines under a scan (index condition, coprocessor request). */
void pl_scan_explain(const pl_scan_provider *p, int indent, const pl_opmap *map, cm_buf *out);

#endif /* PGKV_PL_LOGICAL_H */
