/*
 * ex_copr.h -- the coprocessor scan operator: rows (or partial aggregates)
 * computed in the store, read through the kv/copr client.
 *
 * The operator knows nothing about SQL: the planner (sql/plan/pl_copr.c)
 * hands it a prepare() callback that builds the request (DAG, key ranges,
 * read timestamp) at every open -- constants, parameters and executor
 * parameters are evaluated then, so a prepared plan is reused unchanged --
 * and a description of how chunk columns become output rows:
 *
 *   plain      output column c = chunk column map[c], or NULL when
 *              map[c] < 0 (columns nobody above reads are not fetched);
 *              chunks are handed out without copying (a batch stays valid
 *              until the next ex_next, the chunk until the next
 *              kv_copr_next: the same moment)
 *   aggregate  the chunks hold partial aggregates per region (and group);
 *              the operator merges them in a hash table (work_mem charged)
 *              and emits group keys ++ final aggregates with PostgreSQL's
 *              result types: count = sum of counts, sum(int2/int4) int8
 *              (22003 "bigint out of range"), sum(int8 / numeric) numeric,
 *              avg = sum of sums / sum of counts (numeric division as
 *              ex_agg does it), min / max of the partials.  With no group
 *              keys exactly one row comes out, also for an empty table.
 *
 * Errors raised in the store arrive with their SQLSTATE (kv/copr parses
 * "22012: division by zero").  ex_copr_stats() gives EXPLAIN ANALYZE the
 * region tasks, requests, retries, rows and time spent waiting for the
 * store.
 *
 * Exported: ex_copr_aggspec, ex_copr_desc, ex_copr_stats, ex_copr_new(),
 * ex_copr_get_stats().
 */
#ifndef PGKV_EX_COPR_H
#define PGKV_EX_COPR_H

#include "kv/copr/kv_copr.h"
#include "sql/exec/exec.h"

/* One pushed aggregate: kind EX_AGG_COUNT_STAR / COUNT / SUM / AVG / MIN /
 * MAX, the original argument type, the final result type and the first
 * partial column in the chunk (AVG: count at pcol, sum at pcol + 1). */
typedef struct ex_copr_aggspec {
	ex_aggkind kind;
	sem_type argtype;
	sem_type result;
	int pcol;
} ex_copr_aggspec;

typedef struct ex_copr_desc {
	/*
	 * Build the request for one open: *client, *pool and *req (the DAG and
	 * ranges allocated in a, which lives until the next open or the end of
	 * the statement).  *empty = true: nothing can match (e.g. a NULL range
	 * bound); the operator then yields no rows (one row for a plain
	 * aggregate).  *fallback = true: the request cannot be expressed for
	 * these values (e.g. a constant the wire cannot carry); the operator
	 * then runs the gateway plan from fallback() instead.
	 */
	CM_MUST_CHECK cm_status (*prepare)(const void *arg, ex_state *st, cm_arena *a, kv_client **client,
									   kv_copr_pool **pool, kv_copr_request *req, bool *empty, bool *fallback,
									   cm_error *err);
	/* Build the equivalent gateway plan (called at most once per execution;
	 * also used when the store answers "cannot be sent through the
	 * coprocessor" / 0A000 before any row was returned). */
	CM_MUST_CHECK cm_status (*fallback)(const void *arg, ex_state *st, ex_op **out, cm_error *err);
	const void *arg;
	bool agg;
	/* plain: ncols entries */
	const int *map;
	/* aggregate: output = groups (chunk columns gcols[]) ++ aggs */
	int ngroups;
	const int *gcols;
	int naggs;
	const ex_copr_aggspec *aggs;
} ex_copr_desc;

typedef struct ex_copr_stats {
	int64_t opens;				/* requests started (rescans count) */
	int64_t tasks;				/* region tasks */
	int64_t requests;			/* coprocessor RPCs */
	int64_t region_retries, lock_retries;
	int64_t store_rows;			/* rows the store sent (chunk rows) */
	int64_t wait_ns;			/* time in kv_copr_open / kv_copr_next */
	int64_t fallbacks;			/* opens that ran the gateway plan instead */
} ex_copr_stats;

/* A coprocessor scan emitting ncols columns of types (d is borrowed: it
 * must live as long as the statement). */
ex_op *ex_copr_new(ex_state *st, int ncols, const sem_type *types, const ex_copr_desc *d);

/* Statistics of op if it is a coprocessor scan (false otherwise); *arg
 * receives the desc's arg so the planner can find its own node. */
bool ex_copr_get_stats(const ex_op *op, const void **arg, ex_copr_stats *out);

#endif /* PGKV_EX_COPR_H */
