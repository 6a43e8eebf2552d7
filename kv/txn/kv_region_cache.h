/*
 * kv_region_cache.h -- which region holds a key, cached; reactions to region
 * errors.
 *
 * Every KV request is addressed to one region (kvrpcpb.Context: region_id,
 * region_epoch, peer).  The region cache answers "which region holds key K"
 * from memory and asks the store (PD's GetRegion for the tikv driver,
 * kv_store_region_by_key for both) only on a miss.  Entries are dropped when
 * a request comes back with a region error that says the cache is stale,
 * and EpochNotMatch's current_regions are inserted directly, as client-go's
 * internal/locate does (kv-protocol-facts §7.1-7.2).
 *
 * Boundaries: the store reports EncodeBytes-encoded boundaries (as PD does,
 * facts §4.2).  The cache decodes them once; every boundary in this API is a
 * RAW user key.  An empty start means "from the beginning", an empty end
 * means "to the end of the key space" (a raw empty key can never be an
 * exclusive end, so the convention is unambiguous).
 *
 * Entries: a kv_region is immutable once published and reference counted.
 * Lookups return a referenced region that stays valid (even if the cache
 * drops it meanwhile) until the caller calls kv_region_unref().  A dropped
 * region is simply stale: a request sent with its epoch gets a region error
 * and the caller re-locates.
 *
 * Concurrency: the cache is a sorted array of entries (by start key) under a
 * pthread rwlock; lookups take the read lock and binary-search, loads and
 * invalidations take the write lock briefly.  Store calls happen outside the
 * lock.  Idle entries expire after KV_REGION_CACHE_TTL_MS (client-go's
 * RegionCacheTTL 600 s, plus up to 60 s jitter).
 *
 * Retries: functions that may call the store take a kv_backoffer and retry a
 * transport failure with backoff kind pdRPC inside its budget.
 *
 * Exported:
 *   kv_region, kv_key_range, kv_region_group, kv_region_ranges
 *   kv_region_cache_new() / _free() / _store() / _clear()
 *   kv_region_cache_locate()        region holding a key
 *   kv_region_cache_locate_end()    region holding the keys just below an
 *                                   exclusive end (reverse scans)
 *   kv_region_cache_locate_id()     region by id
 *   kv_region_ref() / kv_region_unref() / kv_region_contains()
 *   kv_region_fill_context()        kvrpcpb.Context for a region
 *   kv_region_cache_invalidate()    drop an entry
 *   kv_region_cache_on_error()      react to an errorpb.Error (§7.2 table)
 *   kv_region_cache_group_keys()    keys -> one group per region
 *   kv_region_cache_split_ranges()  key ranges -> one task per region
 *   kv_region_groups_free() / kv_region_ranges_free()
 */
#ifndef PGKV_KV_REGION_CACHE_H
#define PGKV_KV_REGION_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_error.h"
#include "common/cm_status.h"
#include "kv/store.h"
#include "kv/txn/kv_backoff.h"

#define KV_REGION_CACHE_TTL_MS 600000u
#define KV_REGION_CACHE_TTL_JITTER_MS 60000u

typedef struct kv_region_cache kv_region_cache;

/* One region as the cache knows it.  All fields are read-only for users. */
typedef struct kv_region {
	uint64_t id;
	Metapb__RegionEpoch epoch;		/* conf_ver, version (a real message) */
	Metapb__Peer leader;			/* the peer requests go to (a real message) */
	ProtobufCBinaryData start;		/* raw start key, inclusive; len 0 = -inf */
	ProtobufCBinaryData end;		/* raw end key, exclusive;   len 0 = +inf */
	Metapb__Region *meta;			/* as the store returned it (encoded boundaries) */
	/* private */
	atomic_uint refs;
	_Atomic uint64_t last_access_ms;
	uint64_t ttl_ms;
} kv_region;

/* A key range [start, end), raw keys; end.len == 0 means +inf. */
typedef struct kv_key_range {
	ProtobufCBinaryData start;
	ProtobufCBinaryData end;
} kv_key_range;

/* Keys of one region, as indexes into the caller's key array (in the
 * caller's order). */
typedef struct kv_region_group {
	kv_region *region;				/* referenced; released by kv_region_groups_free */
	size_t *idx;
	size_t n;
} kv_region_group;

/* The part of a set of ranges that one region holds.  Range bytes are owned
 * by the kv_region_ranges (copies, clipped to the region). */
typedef struct kv_region_ranges {
	kv_region *region;				/* referenced */
	kv_key_range *ranges;
	size_t n;
} kv_region_ranges;

/* Create a cache over store s (borrowed; must outlive the cache).  Returns
 * NULL only on out-of-memory. */
kv_region_cache *kv_region_cache_new(kv_store *s);
/* Free the cache; regions still referenced by callers stay valid until their
 * last kv_region_unref.  NULL is ignored. */
void kv_region_cache_free(kv_region_cache *c);
kv_store *kv_region_cache_store(kv_region_cache *c);
/* Drop every entry (tests; after a store restart). */
void kv_region_cache_clear(kv_region_cache *c);

/* Region holding raw key (len 0 = the first region).  On CM_OK *out is a
 * referenced region with start <= key < end.  CM_ERROR when the store keeps
 * failing within bo's budget, or bo is cancelled (57014). */
CM_MUST_CHECK cm_status kv_region_cache_locate(kv_region_cache *c, kv_backoffer *bo,
											   const uint8_t *key, size_t len, kv_region **out,
											   cm_error *err);
/* Region holding the keys immediately below the exclusive bound `end`
 * (len 0 = +inf, i.e. the last region): start < end <= region.end.  Used to
 * walk a range backwards. */
CM_MUST_CHECK cm_status kv_region_cache_locate_end(kv_region_cache *c, kv_backoffer *bo,
												   const uint8_t *end, size_t len,
												   kv_region **out, cm_error *err);
/* Region by id, from the cache or the store.  *out = NULL (CM_OK) if the
 * store knows no such region. */
CM_MUST_CHECK cm_status kv_region_cache_locate_id(kv_region_cache *c, kv_backoffer *bo,
												  uint64_t id, kv_region **out, cm_error *err);

static inline kv_region *kv_region_ref(kv_region *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}
/* Drop a reference; frees the region when it was the last.  NULL ignored. */
void kv_region_unref(kv_region *r);
/* start <= key < end (raw key). */
bool kv_region_contains(const kv_region *r, const uint8_t *key, size_t len);

/* Address a request to region r: sets ctx->region_id, ctx->region_epoch =
 * &r->epoch and ctx->peer = &r->leader.  The context then points into r: keep
 * r referenced while the request is in use, and never free the context with
 * protobuf_c_message_free_unpacked.  Other context fields are untouched. */
void kv_region_fill_context(kv_region *r, Kvrpcpb__Context *ctx);

/* Drop the cached entry of r (if the cache still holds that same entry). */
void kv_region_cache_invalidate(kv_region_cache *c, const kv_region *r);

/* React to region error e met by a request sent to r, following
 * kv-protocol-facts §7.2: update or drop cache entries (NotLeader with a
 * leader, EpochNotMatch's current_regions), and sleep on bo where the table
 * says so (RegionMiss, ServerIsBusy, StaleCommand, ...).  "Return to caller"
 * cases also back off regionMiss unless skip_epoch_backoff is set and the
 * error is a genuine EpochNotMatch (2PC re-splits at once).
 * Returns CM_OK when the caller should re-locate its keys and retry;
 * CM_ERROR when it must give up: budget exhausted / cancelled (see
 * kv_backoff), or a non-retriable error (raft_entry_too_large, flashback:
 * XX000; undetermined_result: 40003 statement_completion_unknown). */
CM_MUST_CHECK cm_status kv_region_cache_on_error(kv_region_cache *c, kv_backoffer *bo,
												 kv_region *r, const Errorpb__Error *e,
												 bool skip_epoch_backoff, cm_error *err);

/* Group n raw keys by region.  *out is a malloc'd array of *n_out groups in
 * region (key) order; each group lists the indexes of its keys in input
 * order.  Keys need not be sorted.  Free with kv_region_groups_free. */
CM_MUST_CHECK cm_status kv_region_cache_group_keys(kv_region_cache *c, kv_backoffer *bo,
												   const ProtobufCBinaryData *keys, size_t n,
												   kv_region_group **out, size_t *n_out,
												   cm_error *err);
void kv_region_groups_free(kv_region_group *g, size_t n);

/* Cut sorted, non-overlapping ranges at region boundaries: *out lists one
 * entry per region touched, in key order, with the ranges clipped to it.
 * Free with kv_region_ranges_free. */
CM_MUST_CHECK cm_status kv_region_cache_split_ranges(kv_region_cache *c, kv_backoffer *bo,
													 const kv_key_range *ranges, size_t n,
													 kv_region_ranges **out, size_t *n_out,
													 cm_error *err);
void kv_region_ranges_free(kv_region_ranges *r, size_t n);

#endif /* PGKV_KV_REGION_CACHE_H */
