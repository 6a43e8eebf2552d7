/*
 * exec.h -- the executor: batch-at-a-time operators over rows of datums.
 *
 * Operators form a tree; the consumer pulls batches with ex_next().  A batch
 * (ex_batch) holds up to EX_BATCH_ROWS rows of `width` datums each, stored
 * row-major (rows[r * width + c]).  Rows rather than column vectors because
 * the one expression evaluator (sem_eval, shared with the coprocessor)
 * evaluates an expression over a row; with row-major batches every
 * operator hands a row pointer to sem_eval without gathering, and a batch of
 * 1,024 rows still amortises the per-call overhead (virtual calls, cancel
 * checks, arena resets) that a row-at-a-time Volcano loop pays per row.  A
 * vectorised evaluator could later add column vectors beside the rows.
 *
 * Memory contract:
 *   - ex_state lives in the statement arena (pl_open's ctx->arena); so do
 *     the operators.
 *   - every operator owns a scratch arena that is reset at the start of
 *     each next() call: a batch returned by next() (and every datum it
 *     points to) stays valid until the following next()/close() of that
 *     operator.  Operators that keep rows across calls (sort, hash join,
 *     aggregation, window, set operations, materialisation) deep-copy them
 *     with ex_datum_copy() into their own arena and charge the bytes against
 *     the per-query work_mem budget (ex_mem_charge); exceeding it fails the
 *     query with 53200 naming work_mem instead of growing without bound.
 *   - operators are re-openable: close() then open() runs them again
 *     (rescans for correlated subqueries and recursive CTEs).
 *
 * Operator interface (ex_op_vt): open / next / close / explain.  A storage
 * scan (KV table scan, coprocessor scan) is just another ex_op: implement
 * the vtable, set ncols/types from the table descriptor, and fill batches
 * of EX_BATCH_ROWS decoded rows from next().  See sql/exec/README.md.
 *
 * Exported: ex_batch helpers, ex_op and its vtable, ex_state, memory
 * accounting, datum hashing/copying, and the operator constructors of
 * ex_ops.c, ex_sort.c, ex_agg.c, ex_join.c, ex_setop.c, ex_window.c.
 */
#ifndef PGKV_EX_EXEC_H
#define PGKV_EX_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "sql/sem/sem_expr.h"
#include "sql/sem/sem_types.h"

#define EX_BATCH_ROWS 1024

typedef struct ex_batch {
	int nrows;
	int width;
	int cap;				/* rows allocated */
	sem_datum *rows;		/* nrows * width */
} ex_batch;

static inline sem_datum *ex_row(const ex_batch *b, int r)
{
	return b->rows + (size_t) r * (size_t) b->width;
}

/* A batch with room for cap rows of width datums, in arena a. */
ex_batch *ex_batch_new(cm_arena *a, int width, int cap);

typedef struct ex_state ex_state;
typedef struct ex_op ex_op;

typedef struct ex_op_vt {
	const char *name;
	/* Prepare to produce rows (again).  Children are opened by the operator. */
	CM_MUST_CHECK cm_status (*open)(ex_op *op, cm_error *err);
	/* Next batch: *out = NULL at the end.  See the memory contract above. */
	CM_MUST_CHECK cm_status (*next)(ex_op *op, ex_batch **out, cm_error *err);
	/* Release resources (idempotent); children are closed by the operator. */
	void (*close)(ex_op *op);
} ex_op_vt;

struct ex_op {
	const ex_op_vt *vt;
	ex_state *st;
	int ncols;
	const sem_type *types;
	cm_arena *scratch;		/* reset by ex_next() before each next() */
	sem_ctx ctx;			/* statement context with arena = scratch, exec = st */
	int64_t rows_out;		/* rows produced (EXPLAIN ANALYZE) */
	int64_t loops;
	int64_t time_ns;		/* in open/next, children included (when st->timing) */
};

/* Per-execution state shared by all operators of one statement. */
struct ex_state {
	cm_arena *arena;			/* statement arena */
	sem_ctx ctx;				/* the caller's context (arena = statement arena) */
	const sem_datum *params;	/* $1.. */
	int64_t work_mem;			/* bytes per memory-hungry operator */
	int nxparams;				/* executor parameters (outer references) */
	sem_datum *xparams;
	int nsubplans;
	void **subplans;			/* per-subplan run state, owned by sql/plan */
	void *planner;				/* opaque pointer for the plan layer */
	void *env;					/* statement environment of table scans (sql/plan pl_env) */
	bool timing;				/* EXPLAIN ANALYZE: time every operator */
};

/* Initialise an ex_state from the session context (reads work_mem through
 * ctx->get_setting; default 4MB). */
ex_state *ex_state_new(sem_ctx *ctx, const sem_datum *params, int nxparams, int nsubplans);

/* Common operator set-up: type list, scratch arena (freed at statement end). */
void ex_op_init(ex_op *op, const ex_op_vt *vt, ex_state *st, int ncols, const sem_type *types);

CM_MUST_CHECK cm_status ex_open(ex_op *op, cm_error *err);
CM_MUST_CHECK cm_status ex_next(ex_op *op, ex_batch **out, cm_error *err);
void ex_close(ex_op *op);

/* ---- memory accounting --------------------------------------------------------- */

typedef struct ex_mem {
	int64_t used;
	int64_t limit;
	const char *what;		/* "sort", "hash join", ... for the error text */
} ex_mem;

void ex_mem_init(ex_mem *m, ex_state *st, const char *what);
/* Add n bytes; 53200 when the total passes work_mem. */
CM_MUST_CHECK cm_status ex_mem_charge(ex_mem *m, int64_t n, cm_error *err);

/* ---- datum helpers -------------------------------------------------------------- */

/* Deep copy of d (type t) into arena a; returns bytes copied out of line. */
size_t ex_datum_copy(cm_arena *a, sem_oid t, const sem_datum *in, sem_datum *out);
/* Copy a row of n datums (types[]) into a; returns out-of-line bytes. */
size_t ex_row_copy(cm_arena *a, int n, const sem_type *types, const sem_datum *in, sem_datum *out);
/* Serialise a datum (spill files): appended to out / parsed back into arena a.
 * ex_datum_read returns the position after the datum. */
void ex_datum_write(cm_buf *out, sem_oid t, const sem_datum *d);
const char *ex_datum_read(cm_arena *a, sem_oid t, const char *p, sem_datum *out);
/* Hash consistent with sem_datum_compare() == 0 (NULL hashes to a constant). */
uint64_t ex_datum_hash(sem_oid t, const sem_datum *d);
/* Grouping equality: NULL equals NULL. */
bool ex_datum_eq(sem_oid t, const sem_datum *a, const sem_datum *b);

/* Check the cancel flag (57014). */
CM_MUST_CHECK cm_status ex_check_cancel(ex_state *st, cm_error *err);

/* ---- row hash table (shared by aggregation, distinct, set operations, joins) ---- */

typedef struct ex_hentry {
	struct ex_hentry *next;
	uint64_t hash;
	sem_datum *key;			/* nkeys datums */
	void *payload;
} ex_hentry;

typedef struct ex_htab {
	cm_arena *arena;
	int nkeys;
	const sem_oid *keytypes;
	size_t nbuckets;
	size_t count;
	ex_hentry **buckets;
	ex_mem *mem;
} ex_htab;

void ex_htab_init(ex_htab *h, cm_arena *a, int nkeys, const sem_oid *keytypes, ex_mem *mem);
uint64_t ex_hash_key(int nkeys, const sem_oid *types, const sem_datum *key);
/* Find the entry for key; with create, insert a copy of key if absent
 * (*created set).  Returns NULL only when not found and !create. */
CM_MUST_CHECK cm_status ex_htab_lookup(ex_htab *h, const sem_datum *key, bool create, ex_hentry **out,
									   bool *created, cm_error *err);

/* ---- sort keys --------------------------------------------------------------------- */

typedef struct ex_sortkey {
	sem_expr *expr;			/* over the input row */
	bool desc;
	bool nulls_first;
} ex_sortkey;

/* Compare two key vectors by keys[]. */
int ex_sort_compare(int nkeys, const ex_sortkey *keys, const sem_datum *a, const sem_datum *b);

/* ---- operators (constructors; children are owned by the new operator) ---------- */

/* One row per entry of rows[r][0..ncols) (expressions without columns). */
ex_op *ex_values_new(ex_state *st, int ncols, const sem_type *types, int nrows, sem_expr ***rows);
/* Rows of child evaluated through exprs (a projection). */
ex_op *ex_project_new(ex_state *st, ex_op *child, int nexprs, sem_expr **exprs, const sem_type *types);
/* Rows of child for which pred is true. */
ex_op *ex_filter_new(ex_state *st, ex_op *child, sem_expr *pred);
/* OFFSET/LIMIT (expressions evaluated at open; NULL = none). */
ex_op *ex_limit_new(ex_state *st, ex_op *child, sem_expr *limit, sem_expr *offset);

/* Set-returning functions: generate_series / unnest over argument
 * expressions evaluated once per input row (ProjectSet semantics when
 * several run side by side).  srfs[i] is a SEM_EXPR_FUNC whose fn name is
 * "generate_series" or "unnest".  With child == NULL the functions run once
 * (FROM clause).  Output: child columns ++ one column per function
 * (+ ordinality if asked). */
ex_op *ex_srf_new(ex_state *st, ex_op *child, int nsrf, sem_expr **srfs, const sem_type *types, bool ordinality);

/* Sort by keys (evaluated over the child row).  Stable; when the rows
 * exceed work_mem, sorted runs are written to temporary files and merged. */
ex_op *ex_sort_new(ex_state *st, ex_op *child, int nkeys, ex_sortkey *keys);

/* Distinct: hashed over all columns (first occurrence kept), or, with
 * nkeys > 0 and sorted input, keep the first row of each run of equal keys
 * (DISTINCT ON). */
ex_op *ex_distinct_new(ex_state *st, ex_op *child, int nkeys, sem_expr **keys);

/* Aggregation. */
typedef enum ex_aggkind {
	EX_AGG_COUNT_STAR, EX_AGG_COUNT, EX_AGG_SUM, EX_AGG_AVG, EX_AGG_MIN, EX_AGG_MAX,
	EX_AGG_BOOL_AND, EX_AGG_BOOL_OR, EX_AGG_STRING_AGG, EX_AGG_ARRAY_AGG,
	/* window-only */
	EX_WIN_ROW_NUMBER, EX_WIN_RANK, EX_WIN_DENSE_RANK, EX_WIN_LAG, EX_WIN_LEAD, EX_WIN_FIRST_VALUE,
	EX_WIN_LAST_VALUE, EX_WIN_NTH_VALUE, EX_WIN_PERCENT_RANK, EX_WIN_CUME_DIST, EX_WIN_NTILE,
	/* statistics: var_samp/variance, var_pop, stddev_samp/stddev, stddev_pop */
	EX_AGG_VAR_SAMP, EX_AGG_VAR_POP, EX_AGG_STDDEV_SAMP, EX_AGG_STDDEV_POP,
	/* two-argument float8 statistics (Y, X): corr, covar_pop/samp, regr_* (the name tells which) */
	EX_AGG_REGR,
	/* grouping sets (ex_agg.c): group key k of the set being emitted (NULL when
	 * the set does not contain it), and the GROUPING() bit mask of that set */
	EX_AGG_GSET_KEY, EX_AGG_GSET_ID,
} ex_aggkind;

typedef struct ex_aggdesc {
	ex_aggkind kind;
	const char *name;		/* for EXPLAIN */
	int nargs;
	sem_expr **args;		/* over the input row */
	sem_type argtype;		/* of args[0] */
	sem_type result;
	bool distinct;
	sem_expr *filter;		/* FILTER (WHERE ...) or NULL */
	int norder;				/* ORDER BY inside the call (string_agg/array_agg) */
	ex_sortkey *order;
	int ngsets;				/* EX_AGG_GSET_ID: the grouping sets, as masks of */
	const uint64_t *gsets;	/* the EX_AGG_GSET_KEY aggregates (bit k: key k) */
} ex_aggdesc;

/* Hash aggregation: output = group keys ++ aggregate results.  ngroups == 0
 * gives exactly one row (plain aggregation). */
ex_op *ex_agg_new(ex_state *st, ex_op *child, int ngroups, sem_expr **groups, int naggs, ex_aggdesc *aggs,
				  const sem_type *types);

/* Joins.  Output = left columns ++ right columns.  qual is evaluated over
 * that combined row.  Hash join when nkeys > 0 (lkeys over the left row,
 * rkeys over the right row, eqs the = operators), nested loop otherwise. */
typedef enum ex_jointype { EX_JOIN_INNER, EX_JOIN_LEFT, EX_JOIN_RIGHT, EX_JOIN_FULL, EX_JOIN_SEMI, EX_JOIN_ANTI } ex_jointype;
ex_op *ex_join_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nkeys, sem_expr **lkeys,
				   sem_expr **rkeys, const sem_builtin **eqs, sem_expr *qual, const sem_type *types);

/* LATERAL nested loop (INNER or LEFT): for every left row, args (over the
 * left row) are stored into st->xparams[ids[i]] and the right input is
 * re-opened; qual over left ++ right. */
/* Merge join (ex_mergejoin.c): both inputs ordered ascending (NULLs last)
 * on the first nmerge keys; the other keys and qual are checked per pair. */
ex_op *ex_mergejoin_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nkeys, int nmerge,
						sem_expr **lkeys, sem_expr **rkeys, const sem_builtin **eqs, sem_expr *qual,
						const sem_type *types);
ex_op *ex_lateral_new(ex_state *st, ex_jointype jt, ex_op *left, ex_op *right, int nargs, sem_expr **args,
					  const int *ids, sem_expr *qual, const sem_type *types);

/* Set operations over two inputs of the same column types. */
typedef enum ex_setopkind { EX_UNION, EX_INTERSECT, EX_EXCEPT } ex_setopkind;
ex_op *ex_setop_new(ex_state *st, ex_setopkind k, bool all, ex_op *left, ex_op *right);

/* WITH RECURSIVE: run `init`, then `rec` repeatedly over the rows the
 * previous round produced (read by ex_worktable_new scans bound to this
 * operator) until a round yields nothing.  dedup: UNION (not ALL). */
ex_op *ex_recursive_new(ex_state *st, ex_op *init, bool dedup);
void ex_recursive_set_rec(ex_op *ru, ex_op *rec);
ex_op *ex_worktable_new(ex_state *st, ex_op *ru);

/* Windows: input sorted by partition keys then order keys; appends one
 * column per function. */
typedef enum ex_frame_bound { EX_FB_UNBOUNDED_PRECEDING, EX_FB_PRECEDING, EX_FB_CURRENT, EX_FB_FOLLOWING, EX_FB_UNBOUNDED_FOLLOWING } ex_frame_bound;
typedef struct ex_winframe {
	bool rows;				/* ROWS (true) or RANGE (false: peers) */
	ex_frame_bound start, end;
	sem_expr *start_off, *end_off;	/* int8 offsets for PRECEDING/FOLLOWING */
} ex_winframe;
typedef struct ex_windesc {
	ex_aggdesc agg;			/* kind, args, result */
	ex_winframe frame;
} ex_windesc;
ex_op *ex_window_new(ex_state *st, ex_op *child, int npart, sem_expr **part, int norder, ex_sortkey *order,
					 int nfuncs, ex_windesc *funcs, const sem_type *types);

/* ---- aggregate transition machinery (ex_agg.c, used by windows too) ----------- */

typedef struct ex_aggstate ex_aggstate;
ex_aggstate *ex_aggstate_new(cm_arena *a, const ex_aggdesc *d);
CM_MUST_CHECK cm_status ex_agg_advance(sem_ctx *ctx, cm_arena *a, const ex_aggdesc *d, ex_aggstate *s,
									   const sem_datum *row, ex_mem *mem, cm_error *err);
CM_MUST_CHECK cm_status ex_agg_final(sem_ctx *ctx, const ex_aggdesc *d, ex_aggstate *s, sem_datum *out,
									 cm_error *err);
void ex_aggstate_reset(const ex_aggdesc *d, ex_aggstate *s);

#endif /* PGKV_EX_EXEC_H */
