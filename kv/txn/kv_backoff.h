/*
 * kv_backoff.h -- retry sleeps per error kind, with a budget and cancellation.
 *
 * Every request the transaction client and the coprocessor client send may
 * meet a condition that goes away by itself (a region that just split, a lock
 * whose owner is still running, a busy store).  The caller then sleeps a
 * little and retries.  How long is decided per kind of condition, exactly as
 * client-go does it (kv-protocol-facts §7.3):
 *
 *     sleep(attempt) = min(cap, base * 2^attempt)          attempt = 0, 1, ...
 *     EqualJitter:     v/2 + rand(0 .. v/2)
 *     NoJitter:        v
 *
 * where `attempt` counts the earlier sleeps of the SAME kind on this
 * backoffer.  A kv_backoffer belongs to one logical operation (one Get, one
 * prewrite, one cop task) and carries its total sleep budget (max_sleep_ms,
 * the "Budgets" line of §7.3).  When the next sleep would exceed the budget
 * the operation gives up.
 *
 * Cancellation: a backoffer may point at the session's cancel flag (the
 * atomic_int set by CancelRequest / drain / client gone, see
 * sql/conn_executor.h).  Sleeps are cut into slices of at most
 * KV_BO_CANCEL_SLICE_MS so a cancelled statement stops within ~10 ms, and
 * kv_backoff() returns CM_ERROR with 57014 query_canceled.  A deadline
 * (statement_timeout) works the same way with the same SQLSTATE.
 *
 * Exported:
 *   kv_backoff_kind, kv_backoff_jitter, kv_backoff_config
 *   kv_backoff_config_of()     the table row for a kind
 *   kv_backoff_kind_name()     "regionMiss", ... (for logs and errors)
 *   kv_backoff_sleep_for()     the pure formula (tests, callers that sleep
 *                              elsewhere)
 *   KV_BO_BUDGET_*             budgets from §7.3
 *   kv_backoffer_init()        budget + cancel flag
 *   kv_backoffer_set_deadline()
 *   kv_backoffer_fork()        fresh budget, same cancel flag and deadline
 *   kv_backoff()               sleep for one retry of a kind
 *   kv_backoff_max()           same, but never longer than max_ms
 *   kv_backoffer_check()       cancelled / past deadline?  (no sleep)
 *   kv_backoffer_total_ms()
 *
 * Threads: a kv_backoffer is used by one thread at a time; the table is
 * constant.  No allocation anywhere in this module.
 */
#ifndef PGKV_KV_BACKOFF_H
#define PGKV_KV_BACKOFF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cm_error.h"
#include "common/cm_status.h"

typedef enum kv_backoff_kind {
	KV_BO_TIKV_RPC = 0,			/* 100 / 2000 Equal */
	KV_BO_TIFLASH_RPC,			/* 100 / 2000 Equal */
	KV_BO_TXN_LOCK,				/* 100 / 3000 Equal */
	KV_BO_PD_RPC,				/* 500 / 3000 Equal */
	KV_BO_REGION_MISS,			/* 2 / 500 None */
	KV_BO_REGION_SCHEDULING,	/* 2 / 500 None */
	KV_BO_TIKV_SERVER_BUSY,		/* 2000 / 10000 Equal, excluded from the budget */
	KV_BO_TIKV_DISK_FULL,		/* 500 / 5000 None */
	KV_BO_REGION_RECOVERY_IN_PROGRESS, /* 100 / 10000 Equal */
	KV_BO_TIFLASH_SERVER_BUSY,	/* 2000 / 10000 Equal */
	KV_BO_TXN_NOT_FOUND,		/* 2 / 500 None */
	KV_BO_STALE_COMMAND,		/* 2 / 1000 None */
	KV_BO_MAX_TS_NOT_SYNCED,	/* 2 / 500 None */
	KV_BO_COMMIT_TS_LAG,		/* 2 / 500 None */
	KV_BO_REGION_NOT_INITIALIZED, /* 2 / 1000 None */
	KV_BO_IS_WITNESS,			/* 1000 / 10000 Equal */
	KV_BO_TXN_LOCK_FAST,		/* 10 / 3000 Equal */
	KV_BO__COUNT
} kv_backoff_kind;

typedef enum kv_backoff_jitter {
	KV_BO_JITTER_NONE = 0,
	KV_BO_JITTER_EQUAL,
} kv_backoff_jitter;

typedef struct kv_backoff_config {
	const char *name;			/* client-go's name, e.g. "regionMiss" */
	uint32_t base_ms;
	uint32_t cap_ms;
	kv_backoff_jitter jitter;
	bool excluded_from_budget;	/* tikvServerBusy: does not count (up to 10 min) */
} kv_backoff_config;

/* Budgets (total sleep per operation, ms), kv-protocol-facts §7.3. */
#define KV_BO_BUDGET_PREWRITE_MS 40000u
#define KV_BO_BUDGET_COMMIT_MS 40000u
#define KV_BO_BUDGET_COMMIT_SECONDARY_MS 41000u
#define KV_BO_BUDGET_GET_MS 20000u
#define KV_BO_BUDGET_BATCH_GET_MS 20000u
#define KV_BO_BUDGET_SCAN_MS 20000u
#define KV_BO_BUDGET_CLEANUP_MS 20000u
#define KV_BO_BUDGET_PESSIMISTIC_LOCK_MS 20000u
#define KV_BO_BUDGET_PESSIMISTIC_ROLLBACK_MS 20000u
#define KV_BO_BUDGET_TSO_MS 15000u
#define KV_BO_BUDGET_HEARTBEAT_MS 20000u
#define KV_BO_BUDGET_TXN_STATUS_MS 20000u
#define KV_BO_BUDGET_ASYNC_RESOLVE_MS 40000u
#define KV_BO_BUDGET_COP_BUILD_MS 5000u
#define KV_BO_BUDGET_COP_TASK_MS 20000u
#define KV_BO_BUDGET_GC_RESOLVE_MS 100000u

/* Longest single uninterrupted sleep; the cancel flag is polled between. */
#define KV_BO_CANCEL_SLICE_MS 10u

/* Row of the §7.3 table for kind (never NULL for a valid kind). */
const kv_backoff_config *kv_backoff_config_of(kv_backoff_kind kind);
/* client-go's name of the kind ("txnLockFast"); "unknown" if out of range. */
const char *kv_backoff_kind_name(kv_backoff_kind kind);

/* The formula alone: sleep in ms for the attempt-th (0-based) retry of kind,
 * with jitter drawn from *rng_state (a xorshift state, any non-zero seed;
 * updated).  Pure apart from *rng_state. */
uint32_t kv_backoff_sleep_for(kv_backoff_kind kind, uint32_t attempt, uint64_t *rng_state);

typedef struct kv_backoffer {
	uint32_t max_sleep_ms;			/* budget; 0 = no budget (retry forever) */
	uint64_t total_sleep_ms;		/* counted against the budget */
	uint64_t excluded_sleep_ms;		/* server-busy sleeps, not counted */
	uint32_t attempts[KV_BO__COUNT];
	atomic_int *cancel;				/* non-zero = cancelled; may be NULL */
	uint64_t deadline_us;			/* CLOCK_MONOTONIC µs; 0 = none */
	uint64_t rng;
	kv_backoff_kind last_kind;
} kv_backoffer;

/* Start a backoffer with a budget (ms; 0 = unlimited) and an optional cancel
 * flag (borrowed; must outlive the backoffer). */
void kv_backoffer_init(kv_backoffer *bo, uint32_t max_sleep_ms, atomic_int *cancel);
/* Absolute deadline on CLOCK_MONOTONIC in µs (0 clears it); sleeps stop at
 * the deadline and the operation fails with 57014 ("canceling statement due
 * to statement timeout"). */
void kv_backoffer_set_deadline(kv_backoffer *bo, uint64_t deadline_us);
/* Initialise *child as a fresh backoffer with its own budget that shares the
 * parent's cancel flag and deadline (client-go's Fork / per-region cop
 * backoffers). */
void kv_backoffer_fork(const kv_backoffer *parent, kv_backoffer *child, uint32_t max_sleep_ms);

/* Sleep before retrying after a condition of `kind`.  Returns CM_OK after the
 * sleep, or CM_ERROR without sleeping further when
 *   - the cancel flag is (or becomes) set, or the deadline passes:
 *     57014 query_canceled (checked before and during the sleep);
 *   - the sleep would take the total past the budget: 55P03
 *     lock_not_available for the lock kinds (txnLock, txnLockFast,
 *     txnNotFound), 58030 io_error otherwise, with the text
 *     "kv backoff budget exhausted (regionMiss, 20001 ms)".  The caller may
 *     replace it with a more specific error of its own. */
CM_MUST_CHECK cm_status kv_backoff(kv_backoffer *bo, kv_backoff_kind kind, cm_error *err);
/* As kv_backoff, but the sleep is min(formula, max_ms) (client-go's
 * BackoffWithMaxSleep: txnLockFast capped at the lock's remaining TTL). */
CM_MUST_CHECK cm_status kv_backoff_max(kv_backoffer *bo, kv_backoff_kind kind, uint32_t max_ms,
									   cm_error *err);
/* CM_ERROR (57014) if cancelled or past the deadline, else CM_OK.  Cheap;
 * long-running loops call it between requests. */
CM_MUST_CHECK cm_status kv_backoffer_check(const kv_backoffer *bo, cm_error *err);
static inline uint64_t kv_backoffer_total_ms(const kv_backoffer *bo) { return bo->total_sleep_ms; }

/* Monotonic clock in µs (helper shared by kv/txn). */
uint64_t kv_now_us(void);

#endif /* PGKV_KV_BACKOFF_H */
