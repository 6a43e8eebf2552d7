/*
 * kv_copr.h -- the coprocessor client: one DAG request over many regions.
 *
 * kv_copr_open() takes a DAG request template, sorted key ranges, a read
 * timestamp, keep-order and a cancel flag; it cuts the ranges at region
 * boundaries (kv/txn region cache) into one task per region and runs the
 * tasks on a fixed worker pool.  kv_copr_next() hands the results back as
 * column vectors of sem datums, one tipb chunk at a time; kv_copr_close()
 * stops everything (TiDB's copIterator, kv-protocol-facts 7.4-7.5):
 *
 *   - at most opts.concurrency tasks of one iterator run at once (default:
 *     the pool size; 2x that with keep_order) and at most max_buffered
 *     decoded responses wait for the consumer: a worker whose response
 *     would exceed that blocks (back-pressure) -- except, with keep_order,
 *     the worker of the task the consumer is waiting for, so ordered
 *     iteration can never deadlock;
 *   - keep_order: results come back in task (= key) order, reversed for
 *     desc scans; otherwise in completion order;
 *   - region errors (EpochNotMatch after a split, NotLeader, ...) go
 *     through kv_region_cache_on_error, then the task's ranges are split
 *     again and the pieces run in order within the same task, so no row is
 *     lost or duplicated and keep_order still holds;
 *   - Response.locked: the lock is resolved through a kv_snapshot read of
 *     the locked key (CheckTxnStatus / ResolveLock, waiting with txnLockFast
 *     backoff while the owner is alive), then the task is retried with the
 *     snapshot's resolved / committed txn lists in the Context;
 *   - other_error and SelectResponse.error are parsed back into PostgreSQL
 *     errors ("22003: integer out of range" -> SQLSTATE 22003,
 *     kv_copr_error_parse);
 *   - every task has its own backoffer (20 s budget, cop per-region) sharing
 *     the cancel flag and deadline; a set cancel flag makes kv_copr_next
 *     return 57014 within about 10 ms, and workers stop at their next
 *     request or backoff slice.
 *
 * Worker pool: kv_copr_pool_new(n) starts n threads (0 = one per online
 * CPU) that any number of iterators share.  The pool must outlive its
 * iterators.
 *
 * Memory: a chunk returned by kv_copr_next (its column vectors, strings and
 * numerics) is valid until the next kv_copr_next / kv_copr_close on that
 * iterator.  The request (DAG, ranges) is copied by kv_copr_open.
 *
 * Threads: an iterator is used by one consumer thread; pools are
 * thread-safe.
 *
 * Exported:
 *   kv_copr_pool_new / _free / _size
 *   kv_copr_request, kv_copr_chunk, kv_copr_stats
 *   kv_copr_open / kv_copr_next / kv_copr_close / kv_copr_get_stats
 */
#ifndef PGKV_KV_COPR_H
#define PGKV_KV_COPR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "kv/copr/kv_copr_expr.h"
#include "kv/txn/kv_region_cache.h"
#include "kv/txn/kv_txn.h"
#include "select.pb-c.h"

typedef struct kv_copr_pool kv_copr_pool;
typedef struct kv_copr_iter kv_copr_iter;

/* Start a pool of n worker threads (0 = one per online CPU).  NULL if no
 * thread could be started. */
kv_copr_pool *kv_copr_pool_new(uint32_t n);
/* Stop and join the workers.  No iterator may be open on the pool. */
void kv_copr_pool_free(kv_copr_pool *p);
uint32_t kv_copr_pool_size(const kv_copr_pool *p);

typedef struct kv_copr_request {
	const Tipb__DAGRequest *dag;	/* the template every task sends */
	const kv_key_range *ranges;		/* sorted, non-overlapping raw ranges */
	size_t n_ranges;
	uint64_t start_ts;				/* snapshot read ts */
	bool keep_order;
	bool desc;						/* the scan is desc: tasks run last region first */
	atomic_int *cancel;				/* session cancel flag (may be NULL) */
	uint64_t deadline_us;			/* CLOCK_MONOTONIC deadline, 0 = none */
	uint32_t max_execution_ms;		/* Context.max_execution_duration_ms (0 = 60000) */
	uint32_t concurrency;			/* tasks in flight (0 = pool size, x2 keep_order) */
	uint32_t max_buffered;			/* decoded responses held (0 = concurrency + 2) */
} kv_copr_request;

/* One tipb chunk as column vectors: col[c][r] for c < ncols, r < nrows. */
typedef struct kv_copr_chunk {
	size_t ncols;
	size_t nrows;
	const kv_copr_col *cols;		/* output schema (kv_copr_dag_schema) */
	sem_datum **col;
} kv_copr_chunk;

typedef struct kv_copr_stats {
	uint64_t tasks;					/* region tasks built at open */
	uint64_t requests;				/* coprocessor RPCs sent */
	uint64_t region_retries;		/* re-splits after region errors */
	uint64_t lock_retries;			/* retries after Response.locked */
	uint64_t rows;					/* rows handed to the consumer */
} kv_copr_stats;

/*
 * Start a coprocessor read through client c (region cache, store, lock
 * resolution) on pool p.  The output schema is derived from the DAG
 * (kv_copr_dag_schema).  Errors: the DAG's schema errors (0A000 / 22023),
 * region lookup failures, 57014 when cancelled while locating.
 */
CM_MUST_CHECK cm_status kv_copr_open(kv_client *c, kv_copr_pool *p, const kv_copr_request *req,
									 kv_copr_iter **out, cm_error *err);

/* Next chunk: CM_OK with *out filled (nrows > 0), CM_CLOSED at the end,
 * CM_ERROR with err (the first task error, or 57014 on cancel / deadline).
 * After CM_ERROR or CM_CLOSED only kv_copr_close may be called. */
CM_MUST_CHECK cm_status kv_copr_next(kv_copr_iter *it, kv_copr_chunk *out, cm_error *err);
/* Stop all tasks and release the iterator (does not wait for a store call
 * in flight: the last worker to finish frees the remains).  NULL ignored. */
void kv_copr_close(kv_copr_iter *it);
void kv_copr_get_stats(const kv_copr_iter *it, kv_copr_stats *out);

#endif /* PGKV_KV_COPR_H */
