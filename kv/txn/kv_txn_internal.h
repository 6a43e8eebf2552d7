/*
 * kv_txn_internal.h -- private structures shared by the files of kv/txn:
 *
 *   kv_client.c         client object, TSO, status cache, heartbeat thread,
 *                       error helpers
 *   kv_lock_resolver.c  CheckTxnStatus + ResolveLock / PessimisticRollback
 *   kv_snapshot.c       snapshot Get / BatchGet / Scan iterator
 *   kv_membuf.c         the transaction's sorted write buffer + undo log
 *   kv_txn.c            txn object, reads merged with the buffer, writes,
 *                       pessimistic locks, savepoints
 *   kv_commit.c         1PC / 2PC commit and rollback
 *
 * Nothing here is for use outside kv/txn.
 */
#ifndef PGKV_KV_TXN_INTERNAL_H
#define PGKV_KV_TXN_INTERNAL_H

#include <pthread.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "kv/txn/kv_txn.h"

/* ---- constants (client-go) -------------------------------------------------- */

#define KV_MAX_TXN_TTL_MS (60u * 60u * 1000u)	/* heartbeats stop after 1 h */
#define KV_RESOLVE_LITE_THRESHOLD 512u		/* txn_size below: resolve only the key */
#define KV_STATUS_CACHE_SIZE 2048u
#define KV_TTL_REFRESH_BYTES (32u << 20)

/* ---- small vectors ---------------------------------------------------------- */

typedef struct kv_u64vec {
	uint64_t *v;
	size_t n, cap;
} kv_u64vec;

bool kv_u64vec_push(kv_u64vec *v, uint64_t x);
bool kv_u64vec_has(const kv_u64vec *v, uint64_t x);
void kv_u64vec_free(kv_u64vec *v);

/* ---- client ------------------------------------------------------------------ */

typedef struct kv_status_entry {
	uint64_t start_ts;		/* 0 = empty slot */
	uint64_t commit_ts;		/* 0 = rolled back */
} kv_status_entry;

/* One txn known to the heartbeat thread. */
typedef struct kv_hb_entry {
	struct kv_hb_entry *next;
	uint64_t start_ts;
	uint64_t begin_ms;		/* physical ms of start_ts */
	uint8_t *primary;
	size_t primary_len;
} kv_hb_entry;

struct kv_client {
	kv_store *store;
	kv_region_cache *regions;
	kv_client_options opts;

	pthread_mutex_t status_mu;
	kv_status_entry status[KV_STATUS_CACHE_SIZE];

	pthread_mutex_t hb_mu;
	pthread_cond_t hb_cv;
	kv_hb_entry *hb_list;
	bool hb_stop;
	bool hb_running;
	pthread_t hb_thread;
	_Atomic uint64_t hb_sent;		/* heartbeats sent (tests) */
};

/* Error helpers: fill err with the SQLSTATE of kind and return kind. */
kv_err kv_fail(cm_error *err, kv_err kind, const char *fmt, ...) CM_PRINTF(3, 4);
/* Map a cm_error already in err (from the backoffer / store) to a kv_err:
 * 57014 -> CANCELED, 55P03 -> LOCK_WAIT_TIMEOUT, 40003 -> UNDETERMINED,
 * anything else -> INTERNAL. */
kv_err kv_from_cm(const cm_error *err);
/* Map a KeyError that is not `locked` to a kv_err (+ err text). */
kv_err kv_key_error(cm_error *err, const Kvrpcpb__KeyError *ke);

CM_MUST_CHECK kv_err kv_client_ts(kv_client *c, kv_backoffer *bo, uint64_t *ts, cm_error *err);

bool kv_status_cache_get(kv_client *c, uint64_t start_ts, uint64_t *commit_ts);
void kv_status_cache_put(kv_client *c, uint64_t start_ts, uint64_t commit_ts);

/* Register / unregister a txn with the heartbeat thread (idempotent
 * unregister).  register returns false on OOM (the txn then just relies on
 * its TTL). */
bool kv_hb_register(kv_client *c, uint64_t start_ts, const uint8_t *primary, size_t len);
void kv_hb_unregister(kv_client *c, uint64_t start_ts);

/* Copy bytes into a ProtobufCBinaryData allocated in arena a. */
static inline ProtobufCBinaryData kv_bin_dup(cm_arena *a, const uint8_t *p, size_t n)
{
	ProtobufCBinaryData b = {n, NULL};
	if (n)
		b.data = cm_memdup(a, p, n);
	return b;
}
int kv_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- lock resolver -------------------------------------------------------------- */

/*
 * Resolve the n locks met by a request of a txn (or reader) at caller_ts.
 * for_read: caller_ts is a read ts and CheckTxnStatus may push the lock's
 * min_commit_ts; such txns are appended to *pushed (NULL allowed for
 * writers) and the reader may bypass them.  Committed / rolled back txns
 * have their lock resolved (ResolveLock, or PessimisticRollback for a
 * pessimistic lock).  *ms_before_expired = 0 when every lock is gone or
 * bypassable, else the smallest remaining TTL among live locks: back off
 * txnLockFast up to that.
 */
CM_MUST_CHECK kv_err kv_resolve_locks(kv_client *c, kv_backoffer *bo, uint64_t caller_ts,
									  bool for_read, Kvrpcpb__LockInfo *const *locks, size_t n,
									  uint64_t *ms_before_expired, kv_u64vec *pushed,
									  cm_error *err);

/* Resolve, then (if some lock is alive) sleep txnLockFast capped at its TTL. */
CM_MUST_CHECK kv_err kv_resolve_and_wait(kv_client *c, kv_backoffer *bo, uint64_t caller_ts,
										 bool for_read, Kvrpcpb__LockInfo *const *locks,
										 size_t n, kv_u64vec *pushed, cm_error *err);

/* ---- snapshot internals ---------------------------------------------------------- */

/* Fill a request context for region r and the snapshot's read options. */
void kv_snapshot_context(kv_snapshot *s, kv_region *r, Kvrpcpb__Context *ctx);

/* Iterator interface shared by snapshot and txn iterators. */
typedef struct kv_iter_vt {
	bool (*valid)(const kv_iter *it);
	const uint8_t *(*key)(const kv_iter *it, size_t *len);
	const uint8_t *(*value)(const kv_iter *it, size_t *len);
	kv_err (*next)(kv_iter *it, cm_error *err);
	void (*close)(kv_iter *it);
} kv_iter_vt;

struct kv_iter {
	const kv_iter_vt *vt;
};

/* ---- membuffer ------------------------------------------------------------------ */

enum {
	KV_MB_NONE = 0,		/* no write (possibly locked) */
	KV_MB_PUT,
	KV_MB_DEL,
	KV_MB_INSERT,		/* put + must-not-exist */
	KV_MB_LOCK,			/* lock-only (optimistic SELECT FOR UPDATE) */
};

#define KV_MB_F_PLOCKED 0x01	/* holds a pessimistic lock in the store */
#define KV_MB_F_SHARED 0x02		/* ... a shared one (with PLOCKED) */

#define KV_MB_MAX_LEVEL 20

typedef struct kv_mb_node {
	uint8_t *key;
	uint32_t klen;
	uint32_t vlen;
	uint8_t *val;
	uint8_t op;
	uint8_t flags;
	uint8_t level;
	struct kv_mb_node *prev;		/* level-0 predecessor (NULL = head) */
	struct kv_mb_node *next[];		/* level entries */
} kv_mb_node;

typedef struct kv_mb_undo {
	kv_mb_node *node;
	uint8_t *val;
	uint32_t vlen;
	uint8_t op;
	uint8_t flags;
} kv_mb_undo;

typedef struct kv_membuf {
	cm_arena *arena;
	kv_mb_node *head;			/* sentinel with KV_MB_MAX_LEVEL levels */
	int level;
	size_t count;				/* nodes (including NONE ones) */
	size_t bytes;				/* key + value bytes of live writes (approx.) */
	uint64_t rng;
	kv_mb_undo *undo;
	size_t n_undo, cap_undo;
	size_t *marks;				/* savepoint stack: undo positions */
	size_t n_marks, cap_marks;
} kv_membuf;

void kv_mb_init(kv_membuf *mb, cm_arena *a);
void kv_mb_free(kv_membuf *mb);
kv_mb_node *kv_mb_find(const kv_membuf *mb, const uint8_t *key, size_t len);
/* First node with key >= key (len 0 = first node); NULL at the end. */
kv_mb_node *kv_mb_seek_ge(const kv_membuf *mb, const uint8_t *key, size_t len);
/* Last node with key < key (len 0 = last node); NULL before the start. */
kv_mb_node *kv_mb_seek_lt(const kv_membuf *mb, const uint8_t *key, size_t len);
static inline kv_mb_node *kv_mb_next(kv_mb_node *n) { return n->next[0]; }
kv_mb_node *kv_mb_prev(const kv_membuf *mb, kv_mb_node *n);
kv_mb_node *kv_mb_first(const kv_membuf *mb);
/* Set a node's op / value / flags, recording undo if a savepoint is open. */
void kv_mb_update(kv_membuf *mb, const uint8_t *key, size_t klen, uint8_t op,
				  const uint8_t *val, size_t vlen, bool keep_value);
void kv_mb_set_flags(kv_membuf *mb, kv_mb_node *n, uint8_t flags);
kv_mb_node *kv_mb_get_or_add(kv_membuf *mb, const uint8_t *key, size_t klen);
uint32_t kv_mb_mark(kv_membuf *mb);
/* Undo back to mark m; calls on_unlock(arg, node) for every node whose
 * PLOCKED flag is cleared by the undo.  Marks above m are dropped. */
void kv_mb_rollback_to(kv_membuf *mb, uint32_t m, void (*on_unlock)(void *, kv_mb_node *),
					   void *arg);
void kv_mb_release(kv_membuf *mb, uint32_t m);

/* ---- read set (SERIALIZABLE validation, kv_readset.c) ---------------------------- */

typedef struct kv_rs_range {
	uint8_t *start, *end;		/* [start, end); len 0 = unbounded */
	size_t start_len, end_len;
	bool key_only;
} kv_rs_range;

typedef struct kv_readset {
	bool on;					/* opts.validate_reads */
	uint8_t *fence;				/* the key every validating commit locks */
	size_t fence_len;
	ProtobufCBinaryData *points;	/* keys read from the snapshot (arena copies) */
	size_t n_points, cap_points;
	kv_rs_range *ranges;
	size_t n_ranges, cap_ranges;
} kv_readset;

struct kv_txn;
/* Record a point read / a scanned range (keys copied into the txn arena).
 * No-op unless the read set is on. */
void kv_rs_add_point(struct kv_txn *t, const uint8_t *key, size_t len);
void kv_rs_add_range(struct kv_txn *t, const uint8_t *start, size_t slen, const uint8_t *end,
					 size_t elen, bool key_only);
/* At commit, before prewrite: lock the fence, then compare every recorded
 * read at start_ts with the same read at a fresh timestamp.  KV_OK when
 * nothing changed (or nothing to check); KV_ERR_WRITE_CONFLICT (40001
 * "could not serialize access due to read/write dependencies among
 * transactions") when something did.  The caller rolls back on error. */
CM_MUST_CHECK kv_err kv_rs_validate(struct kv_txn *t, cm_error *err);
void kv_rs_free(kv_readset *rs);

/* ---- txn ---------------------------------------------------------------------- */

typedef enum kv_txn_state {
	KV_TXN_ACTIVE = 0,
	KV_TXN_COMMITTING,
	KV_TXN_COMMITTED,
	KV_TXN_ROLLED_BACK,
	KV_TXN_UNDETERMINED,
} kv_txn_state;

struct kv_txn {
	kv_client *client;
	kv_txn_options opts;
	kv_txn_state state;
	uint64_t start_ts;
	uint64_t begin_us;			/* local monotonic clock at begin (TTL arithmetic) */
	uint64_t for_update_ts;		/* current statement's */
	uint64_t max_for_update_ts;	/* largest used: prewrite's for_update_ts */
	uint64_t read_ts;
	uint64_t commit_ts;
	uint64_t deadline_us;
	cm_arena *arena;			/* txn lifetime: membuffer, primary, error key */
	kv_membuf mb;
	uint8_t *primary;			/* fixed at the first pessimistic lock */
	size_t primary_len;
	size_t n_plocked;			/* keys with KV_MB_F_PLOCKED */
	bool hb_registered;
	bool reader_registered;	/* start_ts registered with the store for GC */
	kv_snapshot snap;			/* reads at read_ts */
	cm_buf err_key;
	bool has_err_key;
	kv_readset rs;				/* SERIALIZABLE: what was read (kv_readset.c) */
};

void kv_txn_set_error_key(kv_txn *t, const uint8_t *key, size_t len);
/* Move to state `to`, asserting the transition is legal. */
void kv_txn_transition(kv_txn *t, kv_txn_state to);
uint64_t kv_txn_elapsed_ms(const kv_txn *t);
/* PessimisticRollback of keys (grouped by region) at for_update_ts (0 =
 * u64::MAX); errors are reported but the locks expire anyway. */
CM_MUST_CHECK kv_err kv_txn_pessimistic_rollback(kv_txn *t, kv_backoffer *bo,
												 const ProtobufCBinaryData *keys, size_t n,
												 cm_error *err);

#endif /* PGKV_KV_TXN_INTERNAL_H */
