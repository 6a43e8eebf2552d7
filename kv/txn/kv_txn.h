/*
 * kv_txn.h -- the transaction client: Percolator over any kv_store driver.
 *
 * This is what the SQL layer uses to read and write.  It is written once
 * above kv/store.h and behaves the same against the embedded store and a
 * TiKV cluster (DESIGN §4, kv-protocol-facts §6-7):
 *
 *   kv_client    one per process (per store): region cache, lock-resolver
 *                status cache, heartbeat thread.  Thread-safe.
 *   kv_txn       one read-write transaction: start_ts from the TSO, a
 *                membuffer (sorted map key -> put / delete / insert /
 *                lock-only) with savepoints, snapshot reads merged with the
 *                buffer, pessimistic locks, and commit (1PC when every key is
 *                in one region, else 2PC: prewrite grouped by region and
 *                batched by size, primary first, then commit primary, then
 *                secondaries).  Used by one thread at a time.
 *   kv_snapshot  read-only view at a timestamp, no buffer (autocommit
 *                SELECT, catalog reads, the coprocessor's lock handling).
 *   kv_iter      a forward or reverse iterator over a key range, from a
 *                snapshot or from a txn (snapshot merged with the buffer).
 *
 * Reads that meet a lock resolve it (CheckTxnStatus on the lock's primary,
 * then ResolveLock / PessimisticRollback; facts §6.6), wait with txnLockFast
 * backoff while its owner is alive, and bypass a lock whose min_commit_ts was
 * pushed.  Region errors are handled by the region cache and retried with
 * backoff (kv_backoff.h) inside each operation's budget.
 *
 * Errors: every fallible call returns a kv_err and, unless KV_OK, fills
 * *err with a PostgreSQL-style error (SQLSTATE, lower-case message):
 *
 *   KV_ERR_WRITE_CONFLICT     40001  another txn committed a key we write
 *                                    (optimistic commit, RR lock check, or
 *                                    a pessimistic lock at an old
 *                                    for_update_ts): retry the statement or
 *                                    the transaction
 *   KV_ERR_TXN_ABORTED        40001  our locks were rolled back by someone
 *                                    else (TxnLockNotFound, pessimistic lock
 *                                    lost): retry the transaction
 *   KV_ERR_DEADLOCK           40P01  pessimistic lock wait closed a cycle
 *   KV_ERR_LOCK_WAIT_TIMEOUT  55P03  lock_timeout elapsed or NOWAIT
 *   KV_ERR_KEY_EXISTS         23505  an Insert met an existing key
 *                                    (kv_txn_error_key() names it, so the
 *                                    caller can name the constraint)
 *   KV_ERR_CANCELED           57014  cancel flag or statement deadline
 *   KV_ERR_UNDETERMINED       40003  the primary commit's outcome is unknown
 *   KV_ERR_INTERNAL           58030 / XX000  storage failure, out of memory,
 *                                    budget exhausted
 *
 * kv_err_retriable() says which ones the SQL layer may retry as 40001.
 * After any error other than KEY_EXISTS/LOCK_WAIT_TIMEOUT/DEADLOCK/CANCELED
 * from a statement-level call (get, lock), the transaction can still be
 * rolled back to a savepoint or rolled back; after a failed commit it is
 * finished (rolled back, or UNDETERMINED).
 *
 * Memory: values handed out by reads live in a caller-supplied cm_arena
 * (usually the statement arena) or, for iterators, until the next step.
 * Keys passed in are copied; the caller keeps ownership of its buffers.
 *
 * Heartbeat: the client runs ONE background thread.  A txn registers with it
 * once it holds locks (its first pessimistic lock, or the start of prewrite);
 * every heartbeat_interval_ms (default ManagedLockTTL/2 = 10 s) the thread
 * sends TxnHeartBeat(primary, start_ts, advise_lock_ttl = age + 20 s) for
 * every registered txn younger than 1 hour.  The thread copies what it needs
 * under the registry mutex, so a txn that finishes simply unregisters.
 *
 * Exported:
 *   kv_err, kv_err_retriable(), kv_err_name()
 *   kv_client_options_init(), kv_client_new(), kv_client_free(),
 *   kv_client_region_cache(), kv_client_store(), kv_client_get_ts()
 *   kv_txn_options_init(), kv_txn_begin(), kv_txn_free()
 *   kv_txn_start_ts(), kv_txn_commit_ts(), kv_txn_for_update_ts(),
 *   kv_txn_read_ts(), kv_txn_set_cancel(), kv_txn_set_deadline(),
 *   kv_txn_error_key(), kv_txn_is_readonly(), kv_txn_stmt_begin()
 *   kv_txn_get(), kv_txn_batch_get(), kv_txn_iter(), kv_txn_record_range(),
 *   kv_txn_read_set_size()
 *   kv_txn_set(), kv_txn_delete(), kv_txn_insert(), kv_txn_lock_keys()
 *   kv_txn_savepoint(), kv_txn_rollback_to(), kv_txn_release()
 *   kv_txn_commit(), kv_txn_rollback()
 *   kv_snapshot_init(), kv_snapshot_destroy(), kv_snapshot_get(),
 *   kv_snapshot_batch_get(), kv_snapshot_iter()
 *   kv_iter_valid(), kv_iter_key(), kv_iter_value(), kv_iter_next(),
 *   kv_iter_close()
 */
#ifndef PGKV_KV_TXN_H
#define PGKV_KV_TXN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "kv/store.h"
#include "kv/txn/kv_backoff.h"
#include "kv/txn/kv_region_cache.h"

/* ---- errors ------------------------------------------------------------------ */

typedef enum kv_err {
	KV_OK = 0,
	KV_ERR_WRITE_CONFLICT,
	KV_ERR_TXN_ABORTED,
	KV_ERR_DEADLOCK,
	KV_ERR_LOCK_WAIT_TIMEOUT,
	KV_ERR_KEY_EXISTS,
	KV_ERR_CANCELED,
	KV_ERR_UNDETERMINED,
	KV_ERR_INTERNAL,
} kv_err;

/* WRITE_CONFLICT and TXN_ABORTED: the SQL layer may retry (SQLSTATE 40001). */
static inline bool kv_err_retriable(kv_err e)
{
	return e == KV_ERR_WRITE_CONFLICT || e == KV_ERR_TXN_ABORTED;
}
/* "write_conflict", ... for logs and tests. */
const char *kv_err_name(kv_err e);

/* ---- client ------------------------------------------------------------------ */

typedef struct kv_client kv_client;

typedef struct kv_client_options {
	bool try_one_pc;				/* 1PC when all keys are in one region (true) */
	uint32_t txn_batch_bytes;		/* prewrite / commit batch size (256 KiB) */
	uint32_t one_pc_max_bytes;		/* larger txns always use 2PC (1 MiB) */
	uint32_t lock_ttl_ms;			/* default prewrite TTL (3000) */
	uint32_t managed_lock_ttl_ms;	/* pessimistic lock TTL, heartbeat ttl (20000) */
	uint32_t heartbeat_interval_ms;	/* 0 = managed_lock_ttl_ms / 2; tests use less */
	uint32_t scan_batch;			/* pairs per KvScan request (256) */
	bool heartbeat_thread;			/* start the heartbeat thread (true) */
} kv_client_options;

void kv_client_options_init(kv_client_options *o);

/* Create a client over store s (borrowed; outlives the client).  opts NULL =
 * defaults.  Starts the heartbeat thread.  Returns KV_OK or KV_ERR_INTERNAL. */
CM_MUST_CHECK kv_err kv_client_new(kv_store *s, const kv_client_options *opts, kv_client **out,
								   cm_error *err);
/* Stop the heartbeat thread and free the client.  Every txn, snapshot and
 * iterator of the client must be finished first.  NULL is ignored. */
void kv_client_free(kv_client *c);
kv_region_cache *kv_client_region_cache(kv_client *c);
kv_store *kv_client_store(kv_client *c);
/* A fresh timestamp from the TSO (retried with pdRPC backoff, TSO budget). */
CM_MUST_CHECK kv_err kv_client_get_ts(kv_client *c, atomic_int *cancel, uint64_t *ts,
									  cm_error *err);

/* ---- reads: values and iterators --------------------------------------------- */

/* One read result.  data points into the arena passed to the read (or is
 * NULL when !found or the value is empty). */
typedef struct kv_value {
	const uint8_t *data;
	size_t len;
	bool found;
} kv_value;

typedef enum kv_isolation {
	KV_ISO_SI = 0,		/* every read at start_ts (snapshot / repeatable read) */
	KV_ISO_RC,			/* every statement reads at a fresh ts (read committed) */
} kv_isolation;

/* Range for iterators: [start, end) on raw keys; end_len 0 = to the end of
 * the key space, start_len 0 = from the beginning. */
typedef struct kv_iter_options {
	const uint8_t *start;
	size_t start_len;
	const uint8_t *end;
	size_t end_len;
	bool reverse;			/* descending key order */
	bool key_only;			/* values are not fetched (kv_iter_value gives len 0) */
	uint32_t batch;			/* pairs per request; 0 = client default */
} kv_iter_options;

typedef struct kv_iter kv_iter;

/* Is the iterator on an entry?  false at the end (or after an error). */
bool kv_iter_valid(const kv_iter *it);
/* Current key / value; valid until the next kv_iter_next or close. */
const uint8_t *kv_iter_key(const kv_iter *it, size_t *len);
const uint8_t *kv_iter_value(const kv_iter *it, size_t *len);
/* Step to the next entry (in the iterator's direction).  KV_OK also at the
 * end (then kv_iter_valid() is false). */
CM_MUST_CHECK kv_err kv_iter_next(kv_iter *it, cm_error *err);
void kv_iter_close(kv_iter *it);

/* ---- snapshot (read-only, no buffer) ----------------------------------------- */

/* Callers embed a kv_snapshot (stack or arena) and treat it as opaque apart
 * from the documented fields. */
typedef struct kv_snapshot {
	kv_client *client;
	uint64_t ts;				/* read timestamp */
	/* KV_ISO_RC only tells kv_txn that ts moves per statement: the store
	 * is always asked for snapshot isolation at ts (locks are checked), see
	 * kv_snapshot_context */
	kv_isolation isolation;
	atomic_int *cancel;			/* optional session cancel flag */
	uint64_t deadline_us;		/* optional CLOCK_MONOTONIC deadline, 0 = none */
	/* private: txns whose locks this reader may bypass / read through
	 * (min_commit_ts pushed; known committed), facts §6.6 step 7 */
	uint64_t *resolved;
	size_t n_resolved, cap_resolved;
	uint64_t *committed;
	size_t n_committed, cap_committed;
} kv_snapshot;

/* Initialise a snapshot reading at ts (use kv_client_get_ts for "now"). */
void kv_snapshot_init(kv_snapshot *s, kv_client *c, uint64_t ts);
void kv_snapshot_destroy(kv_snapshot *s);
/* Read one key; the value is copied into arena a. */
CM_MUST_CHECK kv_err kv_snapshot_get(kv_snapshot *s, cm_arena *a, const uint8_t *key,
									 size_t len, kv_value *out, cm_error *err);
/* Read n keys; out[i] answers keys[i] (values in arena a). */
CM_MUST_CHECK kv_err kv_snapshot_batch_get(kv_snapshot *s, cm_arena *a,
										   const ProtobufCBinaryData *keys, size_t n,
										   kv_value *out, cm_error *err);
/* Open an iterator positioned on the first entry (kv_iter_valid false if the
 * range is empty).  The snapshot must outlive the iterator. */
CM_MUST_CHECK kv_err kv_snapshot_iter(kv_snapshot *s, const kv_iter_options *o, kv_iter **out,
									  cm_error *err);

/* ---- transactions ------------------------------------------------------------ */

typedef struct kv_txn kv_txn;

typedef enum kv_txn_mode {
	KV_TXN_OPTIMISTIC = 0,		/* conflicts found at commit (WriteConflict) */
	KV_TXN_PESSIMISTIC,			/* kv_txn_lock_keys takes locks as statements run */
} kv_txn_mode;

typedef struct kv_txn_options {
	kv_txn_mode mode;
	kv_isolation isolation;
	atomic_int *cancel;			/* session cancel flag (borrowed), may be NULL */
	uint64_t start_ts;			/* 0 = take one from the TSO */
	/* SERIALIZABLE: record every read from the snapshot (point keys and
	 * scanned ranges) and validate them at commit: a txn that wrote
	 * something locks fence_key (copied at begin; required), then re-reads
	 * its read set at start_ts and at a fresh ts and fails with
	 * KV_ERR_WRITE_CONFLICT if anything differs.  Validating commits are
	 * serialised by the fence, so a commit that passed cannot be
	 * invalidated by another validating txn before it is durable.  Only
	 * meaningful with KV_ISO_SI.  Read-only txns are not validated. */
	bool validate_reads;
	const uint8_t *fence_key;
	size_t fence_len;
	/* Fault injection, tests only: once the primary has committed, leave
	 * secondaries uncommitted (their locks are left to readers' lock
	 * resolution, as when secondary commits run out of budget): 1 = every
	 * secondary, N > 1 = all but every Nth.  0 (the default) commits them
	 * all. */
	uint32_t test_leave_secondaries;
} kv_txn_options;

void kv_txn_options_init(kv_txn_options *o);

/* Begin a transaction.  *out is owned by the caller and released by
 * kv_txn_commit / kv_txn_rollback followed by kv_txn_free. */
CM_MUST_CHECK kv_err kv_txn_begin(kv_client *c, const kv_txn_options *opts, kv_txn **out,
								  cm_error *err);
/* Free a txn.  An open txn (neither committed nor rolled back) is rolled
 * back first (errors ignored).  NULL is ignored. */
void kv_txn_free(kv_txn *t);

uint64_t kv_txn_start_ts(const kv_txn *t);
/* commit_ts after a successful kv_txn_commit that wrote something, else 0. */
uint64_t kv_txn_commit_ts(const kv_txn *t);
/* Current statement's for_update_ts (pessimistic) -- start_ts until the
 * first kv_txn_stmt_begin. */
uint64_t kv_txn_for_update_ts(const kv_txn *t);
/* Timestamp reads use now: start_ts (SI) or the statement's ts (RC). */
uint64_t kv_txn_read_ts(const kv_txn *t);
/* Nothing buffered and no lock taken. */
bool kv_txn_is_readonly(const kv_txn *t);
/* Write buffer size (kv_membuf.c): memory held now, the limit (an eighth of
 * RAM, at least 256 MiB, or PGKV_TXN_BUFFER_LIMIT_MB), and a check that
 * fails with 53200 out_of_memory (KV_ERR_INTERNAL) past the limit; writers
 * of many rows call it between batches. */
size_t kv_txn_buffer_mem(const kv_txn *t);
size_t kv_txn_buffer_limit(void);
CM_MUST_CHECK kv_err kv_txn_check_buffer(const kv_txn *t, cm_error *err);
/* [copr] True if the buffer holds a write (put / delete / insert, not a
 * lock-only entry) with a key in [start, end) (end_len 0 = no end): a
 * reader that bypasses the buffer (the coprocessor) would miss it.  Cost:
 * one skip-list seek plus the buffered entries inside the range. */
bool kv_txn_has_writes_in(const kv_txn *t, const uint8_t *start, size_t start_len, const uint8_t *end,
						  size_t end_len);
/* [copr] The statement deadline set by kv_txn_set_deadline (0 = none). */
uint64_t kv_txn_deadline(const kv_txn *t);
void kv_txn_set_cancel(kv_txn *t, atomic_int *cancel);
/* Statement deadline (CLOCK_MONOTONIC µs, 0 = none): waits end with
 * KV_ERR_CANCELED (57014, statement timeout). */
void kv_txn_set_deadline(kv_txn *t, uint64_t deadline_us);
/* Key of the last KV_ERR_KEY_EXISTS / WRITE_CONFLICT / DEADLOCK /
 * LOCK_WAIT_TIMEOUT (len 0 if none); owned by the txn, valid until the next
 * call on it. */
ProtobufCBinaryData kv_txn_error_key(const kv_txn *t);

/* Start a statement: pessimistic txns take a fresh for_update_ts from the
 * TSO; RC txns take a fresh read ts.  Cheap (no-op) otherwise. */
CM_MUST_CHECK kv_err kv_txn_stmt_begin(kv_txn *t, cm_error *err);

/* Reads see the txn's own buffered writes, then the snapshot at
 * kv_txn_read_ts().  Values are copied into arena a. */
CM_MUST_CHECK kv_err kv_txn_get(kv_txn *t, cm_arena *a, const uint8_t *key, size_t len,
								kv_value *out, cm_error *err);
CM_MUST_CHECK kv_err kv_txn_batch_get(kv_txn *t, cm_arena *a, const ProtobufCBinaryData *keys,
									  size_t n, kv_value *out, cm_error *err);
/* Iterator over the snapshot merged with the buffer (deletes hidden, own
 * puts shown).  The txn must not be written while the iterator is open. */
CM_MUST_CHECK kv_err kv_txn_iter(kv_txn *t, const kv_iter_options *o, kv_iter **out,
								 cm_error *err);

/* Record a range [start, end) read outside kv_txn_iter (the coprocessor
 * path) in the read set of a validate_reads txn; no-op otherwise.
 * key_only: only the set of keys matters, not their values. */
void kv_txn_record_range(kv_txn *t, const uint8_t *start, size_t slen, const uint8_t *end,
						 size_t elen, bool key_only);
/* Number of recorded point reads and ranges (tests, EXPLAIN). */
void kv_txn_read_set_size(const kv_txn *t, size_t *points, size_t *ranges);

/* Buffer a write (no I/O).  Only KV_ERR_KEY_EXISTS (insert over an own
 * put/insert) or KV_ERR_INTERNAL (txn finished) can come back. */
CM_MUST_CHECK kv_err kv_txn_set(kv_txn *t, const uint8_t *key, size_t klen, const uint8_t *val,
								size_t vlen, cm_error *err);
CM_MUST_CHECK kv_err kv_txn_delete(kv_txn *t, const uint8_t *key, size_t klen, cm_error *err);
/* Put that requires the key not to exist: checked against the own buffer now
 * and against committed data at commit (AlreadyExist -> KV_ERR_KEY_EXISTS,
 * or earlier if the caller locks the key with check_existence). */
CM_MUST_CHECK kv_err kv_txn_insert(kv_txn *t, const uint8_t *key, size_t klen,
								   const uint8_t *val, size_t vlen, cm_error *err);

/* How kv_txn_lock_keys waits and what it returns. */
typedef struct kv_lock_options {
	int64_t wait_ms;			/* < 0 NOWAIT; 0 wait until cancel/deadline;
								 * > 0 lock_timeout in ms */
	bool return_values;			/* fill results[i].value (latest committed) */
	bool check_existence;		/* fill results[i].found */
	bool lock_only_if_exists;	/* do not lock missing keys */
	bool snapshot_check;		/* lock at for_update_ts = start_ts: a commit
								 * after start_ts is a WRITE_CONFLICT
								 * (PostgreSQL REPEATABLE READ semantics) */
	bool shared;				/* a shared lock (SELECT ... FOR SHARE): other
								 * sharers are let in, exclusive lockers wait;
								 * a key we already hold is kept as it is, and
								 * a later exclusive lock upgrades it (waiting
								 * for the other sharers).  Committed as a
								 * SharedLock unless the key was written. */
} kv_lock_options;

/* Pessimistic: lock keys at the statement's for_update_ts, waiting for other
 * holders as opts says; the first lock of the txn becomes its primary.  On
 * error no lock taken by this call is kept.  results (may be NULL) has n
 * entries, values in arena a (may be NULL when no values are wanted).
 * Optimistic txns: no I/O; the keys are marked lock-only so that commit
 * checks them for write conflicts (SELECT ... FOR UPDATE semantics). */
CM_MUST_CHECK kv_err kv_txn_lock_keys(kv_txn *t, cm_arena *a, const ProtobufCBinaryData *keys,
									  size_t n, const kv_lock_options *opts, kv_value *results,
									  cm_error *err);

/* Savepoints: a handle for the current buffer state (nested, LIFO).
 * rollback_to restores the buffer and releases (PessimisticRollback) the
 * locks taken since the savepoint; the savepoint itself stays valid.
 * release forgets the savepoint and every one taken after it. */
typedef uint32_t kv_savepoint;
kv_savepoint kv_txn_savepoint(kv_txn *t);
CM_MUST_CHECK kv_err kv_txn_rollback_to(kv_txn *t, kv_savepoint sp, cm_error *err);
void kv_txn_release(kv_txn *t, kv_savepoint sp);

/* Commit: nothing buffered -> KV_OK, no I/O (locks only: released).
 * Else 1PC or 2PC; on KV_OK the txn is durable (kv_txn_commit_ts()).  On
 * any error except KV_ERR_UNDETERMINED the txn has been rolled back. */
CM_MUST_CHECK kv_err kv_txn_commit(kv_txn *t, cm_error *err);
/* Roll back: release pessimistic locks and any prewritten lock.  Always
 * finishes the txn; storage errors are reported but leave only locks that
 * readers will resolve once their TTL expires. */
CM_MUST_CHECK kv_err kv_txn_rollback(kv_txn *t, cm_error *err);

#endif /* PGKV_KV_TXN_H */
