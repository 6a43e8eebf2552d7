/*
 * kve.h -- embedded-store extras beyond the driver interface (kv/store.h).
 *
 * Things only the embedded store can do, for tests, the `pgkv kvserver`
 * admin paths and benchmarks.  Each takes a kv_store opened with
 * kv_store_open_embedded(); passing another driver's store is a bug.
 *
 * Exported:
 *   kve_split_region()   split the region containing a raw key at that key
 *   kve_get_stats()      write / group-commit counters
 *   kve_gc()             MVCC garbage collection (TODO: not implemented yet)
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
} kve_stats;

void kve_get_stats(kv_store *s, kve_stats *out);

/* TODO(gc): MVCC garbage collection at safe_point (drop versions older than
 * the newest one at or below safe_point, and Rollback / Lock records).  Not
 * implemented yet: returns CM_ERROR 0A000 feature_not_supported. */
CM_MUST_CHECK cm_status kve_gc(kv_store *s, uint64_t safe_point, cm_error *err);

#endif /* PGKV_KVE_H */
