/*
 * kve.h -- embedded-store extras beyond the driver interface (kv/store.h).
 *
 * Things only the embedded store can do, for tests, the `pgkv kvserver`
 * admin paths and benchmarks.  Each takes a kv_store opened with
 * kv_store_open_embedded(); passing another driver's store is a bug.
 *
 * Exported:
 *   kve_split_region()   split the region containing a raw key at that key
 *   kve_get_stats()      write / group-commit / GC counters
 *   kve_register_reader(), kve_unregister_reader()
 *                        pin a running transaction's snapshot against GC
 *   kve_gc_run_once()    one synchronous MVCC garbage-collection pass
 *   kve_gc_set_interval() period of the background GC task (0 = off)
 *   kve_debug_count()    count raw records per column family (tests)
 */
#ifndef PGKV_KVE_H
#define PGKV_KVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/cm_error.h"
#include "kv/store.h"

/* Split the region containing raw key `key` so that a new region starts at
 * it (no-op, CM_OK, if a region already starts there).  Both halves get
 * region_epoch.version + 1; the right half keeps the old region id (TiKV's
 * right-derive default), the left half gets a new id.  Metadata is written
 * with a synced RocksDB write before returning. */
CM_MUST_CHECK cm_status kve_split_region(kv_store *s, const uint8_t *key, size_t len,
										 cm_error *err);

typedef struct kve_stats {
	uint64_t writes;		/* write batches submitted by commands */
	uint64_t rocks_writes;	/* RocksDB writes issued (after group commit) */
	uint64_t syncs;			/* of which synced */
	uint64_t regions;		/* current number of regions */
	/* GC (kve_gc.c) */
	uint64_t gc_runs;				/* passes completed */
	uint64_t gc_keys_scanned;		/* user keys looked at, all passes */
	uint64_t gc_versions_dropped;	/* write-CF records deleted, all passes */
	uint64_t gc_values_dropped;		/* default-CF values deleted, all passes */
	uint64_t gc_compactions;		/* RocksDB range compactions triggered */
	uint64_t gc_last_safe_point;	/* safe point of the last pass (0: none yet) */
	uint64_t gc_safe_point;			/* highest safe point ever used: transactions
									 * must start above it */
	uint64_t gc_readers;			/* registered running transactions */
} kve_stats;

void kve_get_stats(kv_store *s, kve_stats *out);

/* ---- GC ---------------------------------------------------------------------
 *
 * A background task (every 10 minutes by default, as TiDB's
 * tidb_gc_run_interval) computes a safe point and, key by key, keeps the
 * newest version at or below it that a reader at the safe point needs plus
 * every newer version, and deletes the rest (older Put / Delete / Lock /
 * Rollback records and their default-CF values).  The safe point is
 *     min(now - gc_life_time_ms, oldest registered reader - 1,
 *         oldest lock start_ts - 1, now - 1).
 * See kve_gc.c and docs/storage.md for the algorithm. */

/* Register a running transaction (its start_ts) so that GC keeps everything
 * it can read until kve_unregister_reader.  The same ts may be registered
 * several times (a multiset).  Fails with 40001 serialization_failure when
 * start_ts is at or below the highest safe point GC has used: the snapshot
 * may already be gone, so the caller must retry with a new start_ts. */
CM_MUST_CHECK cm_status kve_register_reader(kv_store *s, uint64_t start_ts, cm_error *err);

/* Remove one registration of start_ts (no-op if there is none). */
void kve_unregister_reader(kv_store *s, uint64_t start_ts);

/* Run one GC pass now, in the calling thread, at safe point
 * min(safe_point, the clamps above except the life time).  Waits for a
 * background pass in progress.  *used (may be NULL) gets the safe point
 * actually used (0 = nothing to do).  Returns CM_ERROR on a RocksDB error
 * or a corrupt record; what was deleted before the error stays deleted,
 * which is harmless. */
CM_MUST_CHECK cm_status kve_gc_run_once(kv_store *s, uint64_t safe_point, uint64_t *used,
										cm_error *err);

/* Set the period of the background GC task in milliseconds (0 stops it
 * until set again); the next pass starts one period from now. */
void kve_gc_set_interval(kv_store *s, uint64_t interval_ms);

/* Raw record counts, for tests and debugging.  key == NULL counts the whole
 * store, otherwise only the records of that raw user key.  Local keys
 * (region metadata, TSO) are not counted. */
typedef struct kve_debug_counts {
	uint64_t keys;				/* distinct user keys in the write CF */
	uint64_t write_records;		/* all write-CF records */
	uint64_t puts;				/* of which Put */
	uint64_t deletes;			/* Delete */
	uint64_t lock_records;		/* Lock (write type 'L') */
	uint64_t rollbacks;			/* Rollback */
	uint64_t values;			/* default-CF values (long values) */
	uint64_t locks;				/* lock-CF locks */
} kve_debug_counts;

CM_MUST_CHECK cm_status kve_debug_count(kv_store *s, const uint8_t *key, size_t len,
										kve_debug_counts *out, cm_error *err);

#endif /* PGKV_KVE_H */
