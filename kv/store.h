/*
 * store.h -- the KV store driver interface.
 *
 * Everything above this header (transaction client, lock resolver, region
 * cache, coprocessor iterator) talks to storage only through a kv_store.
 * A driver takes and returns exactly the protobuf-c messages TiKV's gRPC API
 * carries (kvrpcpb, coprocessor, metapb, errorpb): the embedded driver
 * (kv/embedded) receives the structs in process without serialising them, a
 * future tikv driver will pack them onto gRPC.  Above the interface nobody
 * can tell the two apart.
 *
 * Two kinds of failure, kept apart (as TiKV does):
 *   - Storage answers -- region errors (NotLeader, RegionNotFound,
 *     EpochNotMatch, KeyNotInRegion, ...) and transaction errors (KeyError:
 *     locked, write conflict, already exist, deadlock, txn not found, ...)
 *     come back INSIDE the response message, in its region_error / error /
 *     errors fields, exactly where TiKV puts them.  The call returns CM_OK.
 *   - Transport-level failure -- the store could not run the request at all
 *     (I/O error from RocksDB, store closed, out of memory, a gRPC failure
 *     whose outcome is unknown) -- is the return value: CM_ERROR with *err
 *     filled (SQLSTATE 58030 io_error / XX000 internal_error / 08006).
 *     The response must then be ignored (but still cleared).
 *
 * Memory and ownership:
 *   - Requests are owned by the caller; the driver never keeps a pointer into
 *     a request after the call returns.
 *   - Responses are caller-allocated structs, initialised by the caller with
 *     the generated initialiser (e.g. `Kvrpcpb__GetResponse r =
 *     KVRPCPB__GET_RESPONSE__INIT;`).  The driver fills them; every pointer
 *     reachable from a filled response (sub-messages, repeated arrays, bytes
 *     and strings) is allocated with malloc -- protobuf-c's default allocator
 *     -- and owned by the response.  Release it with
 *     kv_store_response_clear(&resp.base), which frees everything below the
 *     top-level struct and re-initialises it (the struct itself stays the
 *     caller's).  A caller may also "steal" a sub-message by setting the
 *     pointer to NULL before clearing, and later free it with
 *     protobuf_c_message_free_unpacked(sub, NULL).
 *   - metapb.Region values returned by the region functions are heap copies
 *     owned by the caller: free with kv_region_free / kv_regions_free.
 *
 * Keys: all keys in KV requests are raw user keys.  Region boundaries
 * (metapb.Region start_key/end_key, EpochNotMatch.current_regions,
 * KeyNotInRegion) are EncodeBytes-encoded, as PD/TiKV do in API V1
 * (kv-protocol-facts §4.2); an empty boundary means unbounded.
 *
 * Threads: a kv_store is fully thread-safe; any number of threads may call
 * any operation concurrently.  PessimisticLock may block its caller up to
 * the request's wait_timeout while waiting for another transaction's lock.
 *
 * Exported:
 *   kv_store_open_embedded()     open (or create) the embedded RocksDB store
 *   kv_store_close()             close any driver
 *   kv_store_get() ... kv_store_coprocessor()
 *                                one call per TiKV RPC (see the list below)
 *   kv_store_get_ts()            timestamp oracle (PD Tso)
 *   kv_store_region_by_key() / _by_id() / kv_store_scan_regions()
 *                                region lookup (PD GetRegion / ByID / Scan)
 *   kv_store_response_clear()    free a response's contents
 *   kv_region_free(), kv_regions_free()
 *   kv_ts_compose(), kv_ts_physical(), kv_ts_logical()  TSO arithmetic
 */
#ifndef PGKV_KV_STORE_H
#define PGKV_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_error.h"
#include "common/cm_status.h"
#include "coprocessor.pb-c.h"
#include "errorpb.pb-c.h"
#include "kvrpcpb.pb-c.h"
#include "metapb.pb-c.h"

typedef struct kv_store kv_store;

/* ---- timestamps --------------------------------------------------------- */

/* TS = physical_ms << 18 | logical (PD / client-go oracle). */
#define KV_TS_LOGICAL_BITS 18
#define KV_TS_LOGICAL_MASK ((UINT64_C(1) << KV_TS_LOGICAL_BITS) - 1)
#define KV_TS_MAX UINT64_MAX

static inline uint64_t kv_ts_compose(uint64_t physical_ms, uint64_t logical)
{
	return (physical_ms << KV_TS_LOGICAL_BITS) | (logical & KV_TS_LOGICAL_MASK);
}
static inline uint64_t kv_ts_physical(uint64_t ts) { return ts >> KV_TS_LOGICAL_BITS; }
static inline uint64_t kv_ts_logical(uint64_t ts) { return ts & KV_TS_LOGICAL_MASK; }

/* ---- the driver vtable --------------------------------------------------- */

/*
 * Every KV operation has the same shape:
 *   cm_status op(kv_store *s, const Req *req, Resp *resp, cm_error *err)
 * req: caller-owned request; resp: caller-allocated, initialised response
 * that the driver fills (see "Memory and ownership" above).
 * Returns CM_OK when the store answered (look at resp->region_error and the
 * KeyError fields), CM_ERROR on transport failure (err filled).
 */
#define KV_STORE_OP(name, Req, Resp) \
	cm_status (*name)(kv_store *s, const Req *req, Resp *resp, cm_error *err)

typedef struct kv_store_ops {
	const char *name; /* "embedded", "tikv" */

	KV_STORE_OP(get, Kvrpcpb__GetRequest, Kvrpcpb__GetResponse);
	KV_STORE_OP(batch_get, Kvrpcpb__BatchGetRequest, Kvrpcpb__BatchGetResponse);
	KV_STORE_OP(scan, Kvrpcpb__ScanRequest, Kvrpcpb__ScanResponse);
	KV_STORE_OP(prewrite, Kvrpcpb__PrewriteRequest, Kvrpcpb__PrewriteResponse);
	KV_STORE_OP(commit, Kvrpcpb__CommitRequest, Kvrpcpb__CommitResponse);
	KV_STORE_OP(batch_rollback, Kvrpcpb__BatchRollbackRequest, Kvrpcpb__BatchRollbackResponse);
	KV_STORE_OP(cleanup, Kvrpcpb__CleanupRequest, Kvrpcpb__CleanupResponse);
	KV_STORE_OP(check_txn_status, Kvrpcpb__CheckTxnStatusRequest, Kvrpcpb__CheckTxnStatusResponse);
	KV_STORE_OP(resolve_lock, Kvrpcpb__ResolveLockRequest, Kvrpcpb__ResolveLockResponse);
	KV_STORE_OP(pessimistic_lock, Kvrpcpb__PessimisticLockRequest, Kvrpcpb__PessimisticLockResponse);
	KV_STORE_OP(pessimistic_rollback, Kvrpcpb__PessimisticRollbackRequest,
				Kvrpcpb__PessimisticRollbackResponse);
	KV_STORE_OP(txn_heart_beat, Kvrpcpb__TxnHeartBeatRequest, Kvrpcpb__TxnHeartBeatResponse);
	KV_STORE_OP(check_secondary_locks, Kvrpcpb__CheckSecondaryLocksRequest,
				Kvrpcpb__CheckSecondaryLocksResponse);
	KV_STORE_OP(scan_lock, Kvrpcpb__ScanLockRequest, Kvrpcpb__ScanLockResponse);
	KV_STORE_OP(coprocessor, Coprocessor__Request, Coprocessor__Response);

	/* Allocate `count` (>= 1; 0 means 1) consecutive timestamps; *ts = the
	 * LARGEST, as PD answers a TsoRequest: the batch is ts-count+1 .. ts. */
	cm_status (*get_ts)(kv_store *s, uint32_t count, uint64_t *ts, cm_error *err);
	/* Region containing the raw key (empty key = first region).  *out is a
	 * heap copy owned by the caller (kv_region_free). */
	cm_status (*region_by_key)(kv_store *s, const uint8_t *key, size_t len,
							   Metapb__Region **out, cm_error *err);
	/* Region by id; *out = NULL (and CM_OK) if there is no such region. */
	cm_status (*region_by_id)(kv_store *s, uint64_t id, Metapb__Region **out, cm_error *err);
	/* Regions overlapping raw [start, end) in key order (end empty = to the
	 * end of the key space), at most `limit` (0 = no limit).  *out is a heap
	 * array of heap copies (kv_regions_free). */
	cm_status (*scan_regions)(kv_store *s, const uint8_t *start, size_t start_len,
							  const uint8_t *end, size_t end_len, size_t limit,
							  Metapb__Region ***out, size_t *n_out, cm_error *err);
	/* GC protection (optional, NULL if the driver has none): a transaction
	 * reading at start_ts registers it so that garbage collection keeps every
	 * version it can read, and unregisters when it ends.  Registering a ts at
	 * or below the store's safe point fails with 40001 (start again with a new
	 * timestamp).  A TiKV cluster is protected through PD's service safe point
	 * instead. */
	cm_status (*register_reader)(kv_store *s, uint64_t start_ts, cm_error *err);
	void (*unregister_reader)(kv_store *s, uint64_t start_ts);
	/* Release everything; the store pointer is invalid afterwards.  The caller
	 * guarantees no call is in flight. */
	void (*close)(kv_store *s);
} kv_store_ops;

#undef KV_STORE_OP

/* Drivers embed this as the first member of their own struct.  Users treat
 * kv_store as opaque and go through the wrappers below. */
struct kv_store {
	const kv_store_ops *ops;
};

/* ---- the embedded driver ------------------------------------------------- */

typedef struct kv_embedded_options {
	const char *data_dir;		/* RocksDB directory, created if missing (required) */
	bool sync_wal;				/* fsync the WAL before acknowledging a write */
	uint64_t region_max_size;	/* split a region when its approximate size passes this */
	uint64_t gc_life_time_ms;	/* MVCC versions younger than this are kept by GC */
	uint32_t lock_wait_max_ms;	/* cap on PessimisticLock wait_timeout (TiKV's
								 * wait-for-lock-timeout); 0 = 1000 */
	uint32_t deadlock_timeout_ms;	/* a lock waiter runs the deadlock check once
									 * it has waited this long (PostgreSQL's
									 * deadlock_timeout); 0 = 1000 */
} kv_embedded_options;

#define KV_EMBEDDED_DEFAULT_REGION_MAX_SIZE (UINT64_C(96) << 20)
#define KV_EMBEDDED_DEFAULT_GC_LIFE_TIME_MS (UINT64_C(10) * 60 * 1000)

/* Fill *opts with the defaults: data_dir NULL, sync_wal true, region_max_size
 * 96 MiB, gc_life_time 10 min, lock_wait_max_ms 1000, deadlock_timeout_ms
 * 1000. */
void kv_embedded_options_init(kv_embedded_options *opts);

/* Open (or create) the embedded store in opts->data_dir.  On success *out is
 * a store the caller closes with kv_store_close.  Returns CM_ERROR (58030
 * io_error with RocksDB's message) when the directory cannot be opened, e.g.
 * because another process holds it. */
CM_MUST_CHECK cm_status kv_store_open_embedded(const kv_embedded_options *opts, kv_store **out,
											   cm_error *err);

/* ---- wrappers -------------------------------------------------------------- */

static inline cm_status
kv_store_register_reader(kv_store *s, uint64_t start_ts, cm_error *err)
{
	return s->ops->register_reader ? s->ops->register_reader(s, start_ts, err) : CM_OK;
}
static inline void
kv_store_unregister_reader(kv_store *s, uint64_t start_ts)
{
	if (s->ops->unregister_reader)
		s->ops->unregister_reader(s, start_ts);
}
static inline void kv_store_close(kv_store *s)
{
	if (s)
		s->ops->close(s);
}

#define KV_STORE_WRAP(fn, op, Req, Resp)                                              \
	static inline CM_MUST_CHECK cm_status fn(kv_store *s, const Req *req, Resp *resp, \
											 cm_error *err)                          \
	{                                                                                 \
		return s->ops->op(s, req, resp, err);                                         \
	}

/* KvGet: value of req->key at req->version. */
KV_STORE_WRAP(kv_store_get, get, Kvrpcpb__GetRequest, Kvrpcpb__GetResponse)
/* KvBatchGet: pairs only for keys that exist (or carry an error). */
KV_STORE_WRAP(kv_store_batch_get, batch_get, Kvrpcpb__BatchGetRequest, Kvrpcpb__BatchGetResponse)
/* KvScan: forward [start, end) or, with reverse, (end .. start) exclusive of
 * start; a locked key comes back as a KvPair carrying error.locked. */
KV_STORE_WRAP(kv_store_scan, scan, Kvrpcpb__ScanRequest, Kvrpcpb__ScanResponse)
KV_STORE_WRAP(kv_store_prewrite, prewrite, Kvrpcpb__PrewriteRequest, Kvrpcpb__PrewriteResponse)
KV_STORE_WRAP(kv_store_commit, commit, Kvrpcpb__CommitRequest, Kvrpcpb__CommitResponse)
KV_STORE_WRAP(kv_store_batch_rollback, batch_rollback, Kvrpcpb__BatchRollbackRequest,
			  Kvrpcpb__BatchRollbackResponse)
KV_STORE_WRAP(kv_store_cleanup, cleanup, Kvrpcpb__CleanupRequest, Kvrpcpb__CleanupResponse)
KV_STORE_WRAP(kv_store_check_txn_status, check_txn_status, Kvrpcpb__CheckTxnStatusRequest,
			  Kvrpcpb__CheckTxnStatusResponse)
KV_STORE_WRAP(kv_store_resolve_lock, resolve_lock, Kvrpcpb__ResolveLockRequest,
			  Kvrpcpb__ResolveLockResponse)
KV_STORE_WRAP(kv_store_pessimistic_lock, pessimistic_lock, Kvrpcpb__PessimisticLockRequest,
			  Kvrpcpb__PessimisticLockResponse)
KV_STORE_WRAP(kv_store_pessimistic_rollback, pessimistic_rollback,
			  Kvrpcpb__PessimisticRollbackRequest, Kvrpcpb__PessimisticRollbackResponse)
KV_STORE_WRAP(kv_store_txn_heart_beat, txn_heart_beat, Kvrpcpb__TxnHeartBeatRequest,
			  Kvrpcpb__TxnHeartBeatResponse)
KV_STORE_WRAP(kv_store_check_secondary_locks, check_secondary_locks,
			  Kvrpcpb__CheckSecondaryLocksRequest, Kvrpcpb__CheckSecondaryLocksResponse)
KV_STORE_WRAP(kv_store_scan_lock, scan_lock, Kvrpcpb__ScanLockRequest, Kvrpcpb__ScanLockResponse)
/* Coprocessor: tp 103 = a tipb DAG request over the request's ranges (see
 * docs/storage.md "Coprocessor"); errors in other_error are "SQLSTATE: text". */
KV_STORE_WRAP(kv_store_coprocessor, coprocessor, Coprocessor__Request, Coprocessor__Response)

#undef KV_STORE_WRAP

static inline CM_MUST_CHECK cm_status kv_store_get_ts(kv_store *s, uint32_t count, uint64_t *ts,
													  cm_error *err)
{
	return s->ops->get_ts(s, count, ts, err);
}

static inline CM_MUST_CHECK cm_status kv_store_region_by_key(kv_store *s, const uint8_t *key,
															 size_t len, Metapb__Region **out,
															 cm_error *err)
{
	return s->ops->region_by_key(s, key, len, out, err);
}

static inline CM_MUST_CHECK cm_status kv_store_region_by_id(kv_store *s, uint64_t id,
															Metapb__Region **out, cm_error *err)
{
	return s->ops->region_by_id(s, id, out, err);
}

static inline CM_MUST_CHECK cm_status kv_store_scan_regions(kv_store *s, const uint8_t *start,
															size_t start_len, const uint8_t *end,
															size_t end_len, size_t limit,
															Metapb__Region ***out, size_t *n_out,
															cm_error *err)
{
	return s->ops->scan_regions(s, start, start_len, end, end_len, limit, out, n_out, err);
}

/* ---- message helpers (driver-independent) -------------------------------- */

/* Free everything a driver attached to *msg (sub-messages, repeated arrays,
 * bytes, strings) and re-initialise *msg with its descriptor's initialiser.
 * The top-level struct itself is not freed.  Safe on a response that was
 * only initialised.  NULL is ignored. */
void kv_store_response_clear(ProtobufCMessage *msg);

/* Free a region copy / an array of n region copies (NULL is ignored). */
void kv_region_free(Metapb__Region *r);
void kv_regions_free(Metapb__Region **rs, size_t n);

/* Deep copy of any protobuf-c message with malloc (for callers that keep a
 * region or lock info beyond the response).  Returns NULL on OOM. */
ProtobufCMessage *kv_message_dup(const ProtobufCMessage *msg);

/* Fill ctx (already initialised with KVRPCPB__CONTEXT__INIT) to address
 * region r: region_id, and region_epoch = epoch_storage (caller-owned,
 * filled with a copy of r's epoch; it must outlive ctx).  r may be freed
 * afterwards.  Convenience for callers and tests. */
void kv_context_for_region(Kvrpcpb__Context *ctx, Metapb__RegionEpoch *epoch_storage,
						   const Metapb__Region *r);

#endif /* PGKV_KV_STORE_H */
