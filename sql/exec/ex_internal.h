/*
 * ex_internal.h -- helpers shared by the executor's materialising operators.
 *
 * ex_rowstore: rows deep-copied into an arena of its own, charged against
 * work_mem, addressed by index; reset in one call (rescans).
 */
#ifndef PGKV_EX_INTERNAL_H
#define PGKV_EX_INTERNAL_H

#include "sql/exec/exec.h"

typedef struct ex_rowstore {
	cm_arena *arena;
	int width;
	const sem_type *types;
	int64_t n, cap;
	sem_datum **rows;
	ex_mem mem;
} ex_rowstore;

void ex_rowstore_init(ex_rowstore *rs, ex_state *st, int width, const sem_type *types, const char *what);
/* Append a copy of row (width datums) plus `extra` zeroed trailing datums;
 * returns the stored row through *out (may be NULL). */
CM_MUST_CHECK cm_status ex_rowstore_add(ex_rowstore *rs, const sem_datum *row, int extra, sem_datum **out,
										cm_error *err);
void ex_rowstore_reset(ex_rowstore *rs);

/* Pull every row of child into rs (child is opened by the caller). */
CM_MUST_CHECK cm_status ex_rowstore_fill(ex_rowstore *rs, ex_op *child, cm_error *err);

/* Emit rows [*pos, n) of rs as batches of at most EX_BATCH_ROWS into op's scratch. */
ex_batch *ex_rowstore_emit(ex_rowstore *rs, ex_op *op, int64_t *pos);

/* ---- join helpers (hash, merge and index lookup joins) ---------------------------- */

/* Append left ++ right to b (NULL side: NULLs); SEMI / ANTI rows are the
 * left row only. */
void ex_join_emit(ex_batch *b, ex_jointype jt, const sem_datum *lrow, int lw, const sem_datum *rrow, int rw);
/* Do lrow and rrow satisfy keys [k0, nkeys) (lkeys over lrow, rkeys over
 * rrow, eqs; a NULL never matches) and qual over lrow ++ rrow (built in
 * comb, lw + rw datums)? */
CM_MUST_CHECK cm_status ex_join_pair_ok(ex_op *op, int k0, int nkeys, sem_expr **lkeys, sem_expr **rkeys,
										const sem_builtin **eqs, sem_expr *qual, sem_datum *comb,
										const sem_datum *lrow, int lw, const sem_datum *rrow, int rw, bool *out,
										cm_error *err);

/* Aggregate transition state (ex_agg.c); public here so windows can keep one on the stack. */
struct ex_aggstate {
	int64_t count;
	bool have;
	__int128 isum;
	double fsum;
	sem_numeric *nsum;		/* own buffer of ncap limbs */
	int32_t ncap;
	sem_numeric *nsum2;		/* variance/stddev: sum of squares (own buffer of ncap2 limbs) */
	int32_t ncap2;
	double fsum2;			/* variance/stddev of floats: Youngs-Cramer Sxx */
	double sy, syy, sxy;	/* EX_AGG_REGR: Sy, Syy, Sxy (Sx, Sxx in fsum, fsum2) */
	sem_datum acc;			/* min/max/bool/interval sum */
	char *buf;				/* string_agg */
	size_t len, cap;
	sem_datum *elems;		/* array_agg */
	int n, ecap;
	/* buffered input (DISTINCT / ORDER BY): rows of [order keys..., args...] */
	sem_datum **brows;
	int64_t nb, bcap;
};

#endif /* PGKV_EX_INTERNAL_H */
