/*
 * kve_internal.h -- private declarations of the embedded store (kv/embedded).
 *
 * The embedded store is a TiKV look-alike inside the process: RocksDB with
 * column families default / lock / write holding TiKV's MVCC layout, a
 * Percolator command layer with per-key latches, group commit, a timestamp
 * oracle, regions that split by size, and pessimistic-lock waits with
 * deadlock detection.  See README.md in this folder for the design.
 *
 * Module map (every file has the kve_ prefix):
 *   kve_codec.c        EncodeBytes (private copy), data keys, lock / write records
 *   kve_engine.c       RocksDB handles, write batches, group commit, latches,
 *                      in-memory locks for 1PC / async commit, lock-wait
 *                      generations, MVCC lookups shared by the commands
 *   kve_tso.c          timestamp oracle
 *   kve_region.c       region table, request checks, split
 *   kve_read.c         Get / BatchGet / Scan / ScanLock
 *   kve_txn.c          Prewrite / Commit / BatchRollback / Cleanup /
 *                      CheckTxnStatus / ResolveLock / TxnHeartBeat /
 *                      CheckSecondaryLocks
 *   kve_pessimistic.c  PessimisticLock (waits, deadlock detection) /
 *                      PessimisticRollback
 *   kve_shared.c       shared locks: the 'H' container and one txn's part
 *   kve_store.c        open / close, the vtable, Coprocessor stub
 *   kve_gc.c           MVCC garbage collection, reader registry, GC thread
 *   kv_store_msg.c     driver-independent helpers of kv/store.h
 */
#ifndef PGKV_KVE_INTERNAL_H
#define PGKV_KVE_INTERNAL_H

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "kv/embedded/kve.h"
#include "kv/store.h"

/* ---- constants ------------------------------------------------------------ */

enum { KVE_CF_DEFAULT = 0, KVE_CF_LOCK = 1, KVE_CF_WRITE = 2, KVE_CF_COUNT = 3 };

#define KVE_SHORT_VALUE_MAX 255		/* txn_types SHORT_VALUE_MAX_LEN */
#define KVE_LATCH_SLOTS 2048		/* hash-striped key latches */
#define KVE_WAIT_BUCKETS 1024		/* lock-release generations */
#define KVE_DATA_PREFIX 'z'			/* TiKV data-key prefix */
#define KVE_LOCAL_PREFIX 0x01		/* local (meta) keys, default CF */
#define KVE_GROUP_MAX_WRITERS 256	/* writers merged into one RocksDB write */
#define KVE_TSO_SAVE_AHEAD_MS 3000	/* TSO high-water mark lead */
#define KVE_DEFAULT_WAIT_MS 1000	/* wait_timeout 0 / cap */
#define KVE_DEFAULT_DEADLOCK_MS 1000	/* deadlock check delay (deadlock_timeout) */
#define KVE_WAIT_LINGER_MS 500		/* a wait survives this long between re-sends */

/* ---- small byte helpers --------------------------------------------------- */

typedef struct kve_slice {
	const uint8_t *p;
	size_t n;
} kve_slice;

static inline void kve_put_u64be(uint8_t *o, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		o[i] = (uint8_t) v;
		v >>= 8;
	}
}
static inline uint64_t kve_get_u64be(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
static inline int kve_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c;
	return an < bn ? -1 : an > bn ? 1 : 0;
}
uint64_t kve_hash(const uint8_t *p, size_t n);
/* Copy n bytes (n may be 0) into the arena; never NULL. */
static inline void *kve_dup(cm_arena *a, const void *p, size_t n)
{
	void *r = cm_alloc(a, n ? n : 1);
	if (n)
		memcpy(r, p, n);
	return r;
}

/* ---- codec (kve_codec.c) -------------------------------------------------- */

/* PRIVATE COPY of TiDB's EncodeBytes (memcomparable, 8-byte groups + marker),
 * to be replaced by kv/codec/kv_codec.h (kv_encode_bytes) once that module
 * settles.  out must have kve_enc_len(n) bytes; returns the bytes written. */
static inline size_t kve_enc_len(size_t n) { return (n / 8 + 1) * 9; }
size_t kve_enc_bytes(uint8_t *out, const uint8_t *in, size_t n);
/* Decode one EncodeBytes group sequence at in[0..n); *used = bytes read.
 * Returns false if malformed.  out (arena) gets the raw bytes. */
bool kve_dec_bytes(cm_arena *a, const uint8_t *in, size_t n, size_t *used, uint8_t **out,
				   size_t *out_n);
/* EncodeBytes(raw) in a fresh arena buffer. */
uint8_t *kve_enc(cm_arena *a, const uint8_t *raw, size_t n, size_t *out_n);
/* 'z' + EncodeBytes(raw) (lock CF key / prefix of versioned keys). */
uint8_t *kve_data_key(cm_arena *a, const uint8_t *raw, size_t n, size_t *out_n);
/* data_key + BE(~ts) (write CF / default CF key). */
uint8_t *kve_ts_key(cm_arena *a, const uint8_t *dk, size_t dkn, uint64_t ts, size_t *out_n);
/* Raw user key of a data key (with or without ts suffix); false if malformed. */
bool kve_raw_key(cm_arena *a, const uint8_t *dk, size_t dkn, uint8_t **raw, size_t *raw_n);

typedef struct kve_lock kve_lock;
struct kve_lock {
	char type;					/* 'P' 'D' 'L' 'S', 'H' shared (a container) */
	kve_slice primary;
	uint64_t start_ts;
	uint64_t ttl;
	bool has_short_value;
	kve_slice short_value;
	uint64_t for_update_ts;
	uint64_t txn_size;
	uint64_t min_commit_ts;
	bool use_async_commit;
	size_t n_secondaries;
	kve_slice *secondaries;
	/* 'H' only: one sub-lock per sharing txn ('S' pessimistic or 'L'
	 * prewritten), each a whole lock record of its own ('h' field).  The
	 * container's own primary is empty, ttl 0, start_ts the smallest 'L'
	 * sub-lock's start_ts and for_update_ts the smallest 'S' sub-lock's
	 * for_update_ts (UINT64_MAX when none), recomputed at every encode. */
	size_t n_shared;
	kve_lock *shared;
};

typedef struct kve_write {
	char type;					/* 'P' 'D' 'L' 'R' */
	uint64_t start_ts;
	bool has_short_value;
	kve_slice short_value;
	bool overlapped_rollback;
	uint64_t gc_fence;
} kve_write;

/* Decoders point into the input bytes (keep them alive); false = malformed. */
bool kve_lock_decode(cm_arena *a, const uint8_t *p, size_t n, kve_lock *l);
uint8_t *kve_lock_encode(cm_arena *a, const kve_lock *l, size_t *out_n);
bool kve_write_decode(const uint8_t *p, size_t n, kve_write *w);
uint8_t *kve_write_encode(cm_arena *a, const kve_write *w, size_t *out_n);
Kvrpcpb__Op kve_lock_type_op(char type);

/* ---- shared locks (kve_shared.c) -------------------------------------------
 * A key held in shared mode has one 'H' lock record whose sub-locks are the
 * sharers' own locks.  These helpers find, add and remove a txn's part. */

/* The lock txn start_ts holds on this key: the sub-lock of a container, the
 * lock itself when it is that txn's, else NULL.  Points into *l. */
kve_lock *kve_lock_mine(kve_lock *l, uint64_t start_ts);
/* An empty container. */
void kve_shared_init(kve_lock *l);
/* Add (or replace) sub's txn in container l; the sub is copied (arena a). */
void kve_shared_put(cm_arena *a, kve_lock *l, const kve_lock *sub);
/* Remove txn start_ts from container l (no-op if absent). */
void kve_shared_remove(kve_lock *l, uint64_t start_ts);
/* Is txn start_ts the only holder of the key (plain own lock, or the only
 * sharer)? */
bool kve_lock_sole_holder(const kve_lock *l, uint64_t start_ts);
/* Start timestamps of the holders of l other than except (arena a). */
size_t kve_lock_holders(cm_arena *a, const kve_lock *l, uint64_t except, uint64_t **out);
/* Oldest start_ts of a lock record (over sub-locks for a container). */
uint64_t kve_lock_min_start(const kve_lock *l);

/* ---- regions (kve_region.c) ----------------------------------------------- */

typedef struct kve_region {
	uint64_t id;
	uint8_t *start;				/* EncodeBytes(raw); n = 0: unbounded */
	size_t start_n;
	uint8_t *end;
	size_t end_n;
	uint64_t conf_ver;
	uint64_t version;
	_Atomic uint64_t approx_size;	/* bytes written since open / split */
} kve_region;

/* Bounds of a checked request, EncodeBytes-encoded (n = 0: unbounded). */
typedef struct kve_bounds {
	uint64_t region_id;
	uint8_t *start;
	size_t start_n;
	uint8_t *end;
	size_t end_n;
} kve_bounds;

/* ---- store ---------------------------------------------------------------- */

typedef struct kve_writer kve_writer;
typedef struct kve_memlock kve_memlock;
typedef struct kve_wait_edge kve_wait_edge;

typedef struct kve_store {
	kv_store base;
	kv_embedded_options opts;
	char *dir;

	rocksdb_t *db;
	rocksdb_options_t *dbopts;
	rocksdb_options_t *cfopts;
	rocksdb_column_family_handle_t *cf[KVE_CF_COUNT];
	rocksdb_writeoptions_t *wo_sync;
	rocksdb_writeoptions_t *wo_nosync;
	rocksdb_readoptions_t *ro;

	/* latches: one mutex per slot, taken in slot order */
	pthread_mutex_t latch[KVE_LATCH_SLOTS];

	/* group commit queue */
	pthread_mutex_t wq_mu;
	kve_writer *wq_head;
	kve_writer *wq_tail;
	bool wq_leader;
	_Atomic uint64_t st_writes;		/* batches submitted */
	_Atomic uint64_t st_rocks_writes;	/* RocksDB writes issued */
	_Atomic uint64_t st_syncs;		/* synced RocksDB writes */

	/* timestamp oracle */
	pthread_mutex_t tso_mu;
	uint64_t tso_physical;
	uint64_t tso_logical;
	uint64_t tso_high_water;		/* persisted: physical never reaches it */

	/* in-memory locks of 1PC / async-commit writes in flight */
	pthread_mutex_t mem_mu;
	pthread_cond_t mem_cv;
	kve_memlock *mem_head;
	_Atomic int n_mem;

	/* pessimistic lock waits */
	pthread_mutex_t wait_mu;
	pthread_cond_t wait_cv;
	uint64_t wait_gen[KVE_WAIT_BUCKETS];
	_Atomic int n_waiters;
	kve_wait_edge *edges;			/* wait-for graph (kve_pessimistic.c) */
	_Atomic int n_edges;

	/* regions, sorted by start key */
	pthread_rwlock_t reg_mu;
	kve_region **regions;
	size_t n_regions;
	size_t cap_regions;
	uint64_t next_region_id;
	pthread_mutex_t split_mu;

	/* GC (kve_gc.c): reader registry, safe point, background thread */
	struct kve_gc_state *gc;
} kve_store;

/* ---- write batches, group commit, latches (kve_engine.c) ------------------- */

typedef struct kve_op {
	uint8_t cf;
	bool del;
	const uint8_t *k;
	size_t kn;
	const uint8_t *v;
	size_t vn;
} kve_op;

typedef struct kve_batch {
	kve_op *ops;
	size_t n;
	size_t cap;
	bool sync;
	uint64_t bytes;
} kve_batch;

/* A write command in progress: arena, latches, pending batch, and the key
 * hashes whose locks it removes (lock waiters are woken after the write). */
typedef struct kve_cmd {
	kve_store *s;
	cm_arena *a;
	kve_batch b;
	uint32_t *slots;
	size_t n_slots;
	uint64_t *released;
	size_t n_released;
	size_t cap_released;
	bool latched;
	uint64_t note_region;	/* written bytes to account after the latches go */
	uint64_t note_bytes;
} kve_cmd;

void kve_cmd_init(kve_cmd *c, kve_store *s);
/* Take the latches of the given raw keys (sorted, deduplicated slots). */
void kve_cmd_latch(kve_cmd *c, const ProtobufCBinaryData *keys, size_t n);
void kve_cmd_latch_slices(kve_cmd *c, const kve_slice *keys, size_t n);
/* Write the pending batch through group commit (no-op when empty). */
CM_MUST_CHECK cm_status kve_cmd_write(kve_cmd *c, cm_error *err);
/* Release latches, wake lock waiters, account written bytes to the region
 * (which may split it -- outside the latches), free the arena. */
void kve_cmd_finish(kve_cmd *c);
/* Schedule a lock-released wake-up for raw key. */
void kve_cmd_released(kve_cmd *c, const uint8_t *raw, size_t n);

void kve_batch_put(kve_cmd *c, int cf, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn);
void kve_batch_del(kve_cmd *c, int cf, const uint8_t *k, size_t kn);

/* Submit a batch to the group-commit queue and wait for it to be written. */
CM_MUST_CHECK cm_status kve_group_write(kve_store *s, kve_batch *b, cm_error *err);

/* In-memory locks: a 1PC or async-commit write whose commit ts (or
 * min_commit_ts) is `ts` is in flight on these keys; readers at ts >= `ts`
 * of the same keys wait until it lands. */
kve_memlock *kve_memlock_add(kve_store *s, const uint64_t *hashes, size_t n, uint64_t ts);
void kve_memlock_remove(kve_store *s, kve_memlock *m);
/* Set the ts of a registered in-memory lock (register with 0 = block every
 * reader of the keys, choose the ts, then narrow it). */
void kve_memlock_set_ts(kve_store *s, kve_memlock *m, uint64_t ts);
/* Wait until no in-flight write with ts <= read_ts covers any of the hashes
 * (all in-flight writes when hashes is NULL). */
void kve_memlock_wait(kve_store *s, const uint64_t *hashes, size_t n, uint64_t read_ts);

/* ---- MVCC lookups (kve_engine.c) -------------------------------------------- */

/* RocksDB error string -> CM_ERROR 58030 (frees the string). */
cm_status kve_rocks_error(cm_error *err, const char *what, char *rerr);
/* Get the value at (cf, key) into the arena; returns 1 found, 0 absent, or
 * -1 with err set. */
int kve_get_cf(kve_store *s, const rocksdb_readoptions_t *ro, int cf, cm_arena *a,
			   const uint8_t *k, size_t kn, kve_slice *out, cm_error *err);
/* Read options for an iterator over the data keys [lo, hi) (hi_n 0 = no
 * upper bound) on snap (NULL = the latest state): RocksDB then stops at
 * the bounds instead of walking every tombstone up to the next live key
 * -- the lock CF holds one for each lock ever resolved.  The bounds are
 * NOT copied (RocksDB keeps pointers): they must outlive the options and
 * every iterator made with them; release with rocksdb_readoptions_destroy. */
rocksdb_readoptions_t *kve_bounded_ro(const rocksdb_snapshot_t *snap, const uint8_t *lo,
									  size_t lo_n, const uint8_t *hi, size_t hi_n);
/* Lock of data key dk: 1 found (*l decoded), 0 none, -1 error. */
int kve_load_lock(kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a, const uint8_t *dk,
				  size_t dkn, kve_lock *l, cm_error *err);

/* A write-CF cursor over the versions of one data key. */
typedef struct kve_versions {
	kve_store *s;
	rocksdb_iterator_t *it;
	const uint8_t *dk;
	size_t dkn;
	cm_arena *a;
} kve_versions;

void kve_versions_open(kve_versions *v, kve_store *s, const rocksdb_readoptions_t *ro, cm_arena *a);
void kve_versions_close(kve_versions *v);
/* Position on the newest version of dk with commit_ts <= ts; then step with
 * kve_versions_next.  Each returns 1 (filled), 0 (no more), -1 (error). */
int kve_versions_seek(kve_versions *v, const uint8_t *dk, size_t dkn, uint64_t ts,
					  uint64_t *commit_ts, kve_write *w, cm_error *err);
int kve_versions_next(kve_versions *v, uint64_t *commit_ts, kve_write *w, cm_error *err);

/* Value visible at ts (Put found: 1; Delete / nothing: 0; error -1).
 * *commit_ts is the version's commit ts. */
int kve_mvcc_get(kve_store *s, const rocksdb_readoptions_t *ro, kve_versions *v, const uint8_t *dk,
				 size_t dkn, uint64_t ts, kve_slice *value, uint64_t *commit_ts, cm_error *err);
/* Record of txn start_ts on dk (commit or rollback): 1 found, 0 none, -1 err. */
int kve_find_txn_write(kve_store *s, cm_arena *a, const uint8_t *dk, size_t dkn, uint64_t start_ts,
					   uint64_t *commit_ts, kve_write *w, cm_error *err);

/* Free the wait-for graph (store close; no request in flight). */
void kve_waits_free(kve_store *s);
/* Wake lock waiters of these key hashes. */
void kve_waits_wake(kve_store *s, const uint64_t *hashes, size_t n);
uint64_t kve_wait_gen(kve_store *s, uint64_t hash);

/* ---- response building ------------------------------------------------------ */

void kve_bin_set(ProtobufCBinaryData *d, const void *p, size_t n);
char *kve_strdup(const char *s);
Kvrpcpb__LockInfo *kve_lock_info(const kve_lock *l, const uint8_t *raw, size_t rawn);
Kvrpcpb__KeyError *kve_key_error_locked(const kve_lock *l, const uint8_t *raw, size_t rawn);
Kvrpcpb__KeyError *kve_key_error_abort(const char *msg);
Kvrpcpb__KeyError *kve_key_error_conflict(uint64_t start_ts, uint64_t conflict_ts,
										  uint64_t conflict_commit_ts, const uint8_t *raw,
										  size_t rawn, const uint8_t *primary, size_t pn,
										  Kvrpcpb__WriteConflict__Reason reason);
Kvrpcpb__KeyError *kve_key_error_txn_not_found(uint64_t start_ts, const uint8_t *pk, size_t pkn);
Kvrpcpb__KeyError *kve_key_error_lock_not_found(const uint8_t *raw, size_t rawn);
void kve_push_key_error(Kvrpcpb__KeyError ***arr, size_t *n, Kvrpcpb__KeyError *e);

/* ---- regions ---------------------------------------------------------------- */

CM_MUST_CHECK cm_status kve_regions_load(kve_store *s, cm_error *err);
void kve_regions_free(kve_store *s);
/* Check ctx against the region table and that every raw key lies in it.
 * Returns NULL when fine (bounds filled if non-NULL), else a malloc'd region
 * error to put in the response. */
Errorpb__Error *kve_region_check(kve_store *s, cm_arena *a, const Kvrpcpb__Context *ctx,
								 const ProtobufCBinaryData *keys, size_t n_keys,
								 kve_bounds *bounds);
/* Same for a key range [start, end) (raw; end empty = to region end); the
 * bounds are clipped to the region.  reverse: start is the exclusive upper
 * bound, end the inclusive lower bound (TiKV reverse scan). */
Errorpb__Error *kve_region_check_range(kve_store *s, cm_arena *a, const Kvrpcpb__Context *ctx,
									   const ProtobufCBinaryData *start,
									   const ProtobufCBinaryData *end, bool reverse,
									   kve_bounds *bounds);
/* Account written bytes to a region and split it when it is too big. */
void kve_region_note_write(kve_store *s, uint64_t region_id, uint64_t bytes);
cm_status kve_region_split(kve_store *s, const uint8_t *enc_key, size_t enc_n, cm_error *err);
/* vtable region lookups (kv/store.h contracts) */
cm_status kve_region_by_key(kv_store *st, const uint8_t *key, size_t len, Metapb__Region **out,
							cm_error *err);
cm_status kve_region_by_id(kv_store *st, uint64_t id, Metapb__Region **out, cm_error *err);
cm_status kve_scan_regions(kv_store *st, const uint8_t *start, size_t start_len,
						   const uint8_t *end, size_t end_len, size_t limit, Metapb__Region ***out,
						   size_t *n_out, cm_error *err);

/* ---- TSO (kve_tso.c) ------------------------------------------------------ */

CM_MUST_CHECK cm_status kve_tso_init(kve_store *s, cm_error *err);
CM_MUST_CHECK cm_status kve_tso_get(kve_store *s, uint32_t count, uint64_t *ts, cm_error *err);

/* ---- GC (kve_gc.c) ---------------------------------------------------------- */

#define KVE_GC_DEFAULT_INTERVAL_MS (UINT64_C(10) * 60 * 1000) /* tidb_gc_run_interval */

/* Allocate the GC state and start the background thread (at open, once
 * RocksDB, regions and TSO are up). */
CM_MUST_CHECK cm_status kve_gc_start(kve_store *s, cm_error *err);
/* Stop and join the GC thread (a pass in progress stops at its next batch)
 * and free the state; safe on a store whose GC never started. */
void kve_gc_stop(kve_store *s);
void kve_gc_fill_stats(kve_store *s, kve_stats *out);

/* ---- commands --------------------------------------------------------------- */

#define KVE_CMD(name, Req, Resp) \
	cm_status name(kv_store *st, const Req *req, Resp *resp, cm_error *err)

KVE_CMD(kve_get, Kvrpcpb__GetRequest, Kvrpcpb__GetResponse);
KVE_CMD(kve_batch_get, Kvrpcpb__BatchGetRequest, Kvrpcpb__BatchGetResponse);
KVE_CMD(kve_scan, Kvrpcpb__ScanRequest, Kvrpcpb__ScanResponse);
KVE_CMD(kve_scan_lock, Kvrpcpb__ScanLockRequest, Kvrpcpb__ScanLockResponse);
KVE_CMD(kve_prewrite, Kvrpcpb__PrewriteRequest, Kvrpcpb__PrewriteResponse);
KVE_CMD(kve_commit, Kvrpcpb__CommitRequest, Kvrpcpb__CommitResponse);
KVE_CMD(kve_batch_rollback, Kvrpcpb__BatchRollbackRequest, Kvrpcpb__BatchRollbackResponse);
KVE_CMD(kve_cleanup, Kvrpcpb__CleanupRequest, Kvrpcpb__CleanupResponse);
KVE_CMD(kve_check_txn_status, Kvrpcpb__CheckTxnStatusRequest, Kvrpcpb__CheckTxnStatusResponse);
KVE_CMD(kve_resolve_lock, Kvrpcpb__ResolveLockRequest, Kvrpcpb__ResolveLockResponse);
KVE_CMD(kve_txn_heart_beat, Kvrpcpb__TxnHeartBeatRequest, Kvrpcpb__TxnHeartBeatResponse);
KVE_CMD(kve_check_secondary_locks, Kvrpcpb__CheckSecondaryLocksRequest,
		Kvrpcpb__CheckSecondaryLocksResponse);
KVE_CMD(kve_pessimistic_lock, Kvrpcpb__PessimisticLockRequest, Kvrpcpb__PessimisticLockResponse);
KVE_CMD(kve_pessimistic_rollback, Kvrpcpb__PessimisticRollbackRequest,
		Kvrpcpb__PessimisticRollbackResponse);

/* Shared transaction actions (kve_txn.c, kve_shared.c), run inside a
 * latched command.  `lock` is the key's lock record as loaded (a container
 * for a shared key: then only txn start_ts's sub-lock is touched, and *lock
 * is updated so that several actions on one key can follow each other). */
/* Roll back txn start_ts on key (lock may be NULL if none is held by that
 * txn): delete its lock and long value, write a protected Rollback record. */
cm_status kve_act_rollback(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk,
						   size_t dkn, uint64_t start_ts, kve_lock *lock, cm_error *err);
/* Commit txn start_ts on key at commit_ts from its lock (a shared lock
 * leaves a Lock write record). */
void kve_act_commit_lock(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk,
						 size_t dkn, kve_lock *lock, uint64_t start_ts, uint64_t commit_ts);
/* Remove txn start_ts's lock from the key without a record (pessimistic
 * rollback); wakes the key's waiters. */
void kve_act_release(kve_cmd *c, const uint8_t *raw, size_t rawn, const uint8_t *dk, size_t dkn,
					 kve_lock *lock, uint64_t start_ts);
/* Stage the lock record l for dk (a container without sub-locks: delete). */
void kve_put_lock(kve_cmd *c, const uint8_t *dk, size_t dkn, const kve_lock *l);

static inline kve_store *kve_of(kv_store *s) { return (kve_store *) s; }

/* ==== coprocessor (kve_copr*.c) ==============================================
 * Section owned by the coprocessor files; see kve_copr.c for the design.
 *   kve_copr.c        Coprocessor entry: request checks, DAG build, output
 *   kve_copr_scan.c   MVCC range scanner (snapshot at start_ts, locks)
 *   kve_copr_exec.c   executors: table/index scan decode, selection,
 *                     projection, hash/stream aggregation, TopN, limit
 */

/* Coprocessor RPC (the vtable's .coprocessor). */
cm_status kve_copr_handle(kv_store *st, const Coprocessor__Request *req,
						  Coprocessor__Response *resp, cm_error *err);

/* A visible-version cursor over sorted, region-clipped key ranges at a read
 * ts, on one RocksDB snapshot, applying the read visibility rules of
 * kve_read.c (locks, resolved / committed locks, isolation level). */
typedef struct kve_copr_scanner kve_copr_scanner;

typedef enum kve_scan_rc {
	KVE_SCAN_ROW = 0,	/* *key / *val filled (valid until the next call) */
	KVE_SCAN_END,		/* no more rows */
	KVE_SCAN_LOCKED,	/* *locked: a lock blocks the read (malloc'd LockInfo) */
	KVE_SCAN_ERROR,		/* err filled (RocksDB error, corrupt record) */
} kve_scan_rc;

/* ranges: n data-key bounds (EncodeBytes-encoded as kve_bounds, end_n 0 =
 * unbounded), ascending and non-overlapping; desc walks them backwards.
 * ctx may be NULL.  The scanner keeps pointers to ranges and ctx. */
kve_copr_scanner *kve_copr_scanner_open(kve_store *s, const Kvrpcpb__Context *ctx, uint64_t ts,
										const kve_bounds *ranges, size_t n, bool desc);
kve_scan_rc kve_copr_scanner_next(kve_copr_scanner *sc, kve_slice *key, kve_slice *val,
								  Kvrpcpb__LockInfo **locked, cm_error *err);
/* Keys read so far (versions and locks looked at count once per user key). */
uint64_t kve_copr_scanner_keys(const kve_copr_scanner *sc);
void kve_copr_scanner_close(kve_copr_scanner *sc);


/* Executors (kve_copr_exec.c), driven by kve_copr.c.  Batches are row
 * pointers; a batch returned by next() stays valid until the next call on
 * the same executor. */
#include "kv/copr/kv_copr_expr.h"
#include "select.pb-c.h"

#define KVE_COPR_BATCH 1024			/* rows per batch and per output chunk */

typedef enum kve_copr_fail {
	KVE_COPR_FAIL_NONE = 0,
	KVE_COPR_FAIL_EVAL,		/* expression / conversion error -> SelectResponse.error */
	KVE_COPR_FAIL_OTHER,	/* bad request, unsupported, deadline, corrupt data -> other_error */
	KVE_COPR_FAIL_IO,		/* RocksDB failure -> CM_ERROR of the RPC */
	KVE_COPR_FAIL_LOCKED,	/* a lock blocks the read -> Response.locked */
} kve_copr_fail;

typedef struct kve_copr_cx {
	kve_store *s;
	const Kvrpcpb__Context *ctx;
	cm_arena *a;				/* request lifetime (plans, constants) */
	const kve_bounds *ranges;	/* region-checked, clipped, ascending */
	size_t n_ranges;
	uint64_t start_ts;
	uint64_t deadline_us;		/* CLOCK_MONOTONIC; 0 = none */
	uint64_t max_ms;
	const char *timezone;
	kve_copr_fail fail;
	Kvrpcpb__LockInfo *locked;	/* FAIL_LOCKED: malloc'd, moved to the response */
	uint64_t scanned_keys;
} kve_copr_cx;

typedef struct kve_copr_batch {
	size_t n;
	sem_datum **rows;
	bool end;					/* no rows after these */
} kve_copr_batch;

typedef struct kve_copr_exec kve_copr_exec;
struct kve_copr_exec {
	/* Next batch of at most `want` rows (a hint; 0 = any).  CM_ERROR with
	 * cx->fail set on failure. */
	cm_status (*next)(kve_copr_exec *x, size_t want, kve_copr_batch *out, cm_error *err);
	void (*close)(kve_copr_exec *x);
	kve_copr_exec *child;
	kve_copr_cx *cx;
	kv_copr_col *cols;			/* output schema */
	size_t ncols;
	int64_t produced;			/* rows output so far (output_counts) */
};

/* Build the executor chain of dag (leaf first in dag->executors); *root is
 * the last one.  On error cx->fail is FAIL_OTHER and err says why. */
cm_status kve_copr_build(kve_copr_cx *cx, const Tipb__DAGRequest *dag, kve_copr_exec **root,
						 kve_copr_exec ***chain, size_t *n_chain, cm_error *err);
/* Close a chain built by kve_copr_build (root first). */
void kve_copr_exec_close(kve_copr_exec *root);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t kve_copr_now_us(void);
/* CM_ERROR (57014, cx->fail OTHER) when the deadline has passed. */
cm_status kve_copr_check_deadline(kve_copr_cx *cx, cm_error *err);

/* ==== end of coprocessor section ============================================ */

#endif /* PGKV_KVE_INTERNAL_H */
