/*
 * kv_backoff.c -- retry sleeps per error kind (see kv_backoff.h).
 *
 * The table is kv-protocol-facts §7.3 verbatim.  Sleeps are cut into slices
 * of KV_BO_CANCEL_SLICE_MS so that a cancel flag or a deadline ends a wait
 * promptly.
 *
 * Exported: kv_backoff_config_of, kv_backoff_kind_name, kv_backoff_sleep_for,
 * kv_backoffer_init/_set_deadline/_fork/_check, kv_backoff, kv_backoff_max,
 * kv_now_us.
 */
#include "kv/txn/kv_backoff.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>

static const kv_backoff_config bo_table[KV_BO__COUNT] = {
	[KV_BO_TIKV_RPC] = {"tikvRPC", 100, 2000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_TIFLASH_RPC] = {"tiflashRPC", 100, 2000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_TXN_LOCK] = {"txnLock", 100, 3000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_PD_RPC] = {"pdRPC", 500, 3000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_REGION_MISS] = {"regionMiss", 2, 500, KV_BO_JITTER_NONE, false},
	[KV_BO_REGION_SCHEDULING] = {"regionScheduling", 2, 500, KV_BO_JITTER_NONE, false},
	[KV_BO_TIKV_SERVER_BUSY] = {"tikvServerBusy", 2000, 10000, KV_BO_JITTER_EQUAL, true},
	[KV_BO_TIKV_DISK_FULL] = {"tikvDiskFull", 500, 5000, KV_BO_JITTER_NONE, false},
	[KV_BO_REGION_RECOVERY_IN_PROGRESS] = {"regionRecoveryInProgress", 100, 10000,
										   KV_BO_JITTER_EQUAL, false},
	[KV_BO_TIFLASH_SERVER_BUSY] = {"tiflashServerBusy", 2000, 10000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_TXN_NOT_FOUND] = {"txnNotFound", 2, 500, KV_BO_JITTER_NONE, false},
	[KV_BO_STALE_COMMAND] = {"staleCommand", 2, 1000, KV_BO_JITTER_NONE, false},
	[KV_BO_MAX_TS_NOT_SYNCED] = {"maxTsNotSynced", 2, 500, KV_BO_JITTER_NONE, false},
	[KV_BO_COMMIT_TS_LAG] = {"commitTSLag", 2, 500, KV_BO_JITTER_NONE, false},
	[KV_BO_REGION_NOT_INITIALIZED] = {"regionNotInitialized", 2, 1000, KV_BO_JITTER_NONE, false},
	[KV_BO_IS_WITNESS] = {"isWitness", 1000, 10000, KV_BO_JITTER_EQUAL, false},
	[KV_BO_TXN_LOCK_FAST] = {"txnLockFast", 10, 3000, KV_BO_JITTER_EQUAL, false},
};

/* Server-busy sleeps stop being free after this much (client-go: 10 min). */
#define BO_EXCLUDED_CAP_MS (10u * 60u * 1000u)

static uint64_t xorshift64(uint64_t *s);
static bool bo_is_lock_kind(kv_backoff_kind kind);
static cm_status bo_sleep(kv_backoffer *bo, uint32_t ms, cm_error *err);

const kv_backoff_config *
kv_backoff_config_of(kv_backoff_kind kind)
{
	if ((unsigned) kind >= KV_BO__COUNT)
		return &bo_table[KV_BO_REGION_MISS];
	return &bo_table[kind];
}

const char *
kv_backoff_kind_name(kv_backoff_kind kind)
{
	if ((unsigned) kind >= KV_BO__COUNT)
		return "unknown";
	return bo_table[kind].name;
}

uint64_t
kv_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s ? *s : UINT64_C(0x9E3779B97F4A7C15);
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

uint32_t
kv_backoff_sleep_for(kv_backoff_kind kind, uint32_t attempt, uint64_t *rng_state)
{
	const kv_backoff_config *cfg = kv_backoff_config_of(kind);
	uint64_t v = cfg->base_ms;
	/* base * 2^attempt, saturating at cap */
	for (uint32_t i = 0; i < attempt && v < cfg->cap_ms; i++)
		v *= 2;
	if (v > cfg->cap_ms)
		v = cfg->cap_ms;
	if (cfg->jitter == KV_BO_JITTER_EQUAL && v > 0) {
		uint64_t half = v / 2;
		v = half + (half ? xorshift64(rng_state) % (half + 1) : 0);
	}
	return (uint32_t) v;
}

void
kv_backoffer_init(kv_backoffer *bo, uint32_t max_sleep_ms, atomic_int *cancel)
{
	*bo = (kv_backoffer){0};
	bo->max_sleep_ms = max_sleep_ms;
	bo->cancel = cancel;
	bo->rng = kv_now_us() ^ (uint64_t) (uintptr_t) bo ^ UINT64_C(0xA5A5A5A55A5A5A5A);
	bo->last_kind = KV_BO__COUNT;
}

void
kv_backoffer_set_deadline(kv_backoffer *bo, uint64_t deadline_us)
{
	bo->deadline_us = deadline_us;
}

void
kv_backoffer_fork(const kv_backoffer *parent, kv_backoffer *child, uint32_t max_sleep_ms)
{
	kv_backoffer_init(child, max_sleep_ms, parent->cancel);
	child->deadline_us = parent->deadline_us;
	child->rng ^= parent->rng;
}

cm_status
kv_backoffer_check(const kv_backoffer *bo, cm_error *err)
{
	if (bo->cancel && atomic_load_explicit(bo->cancel, memory_order_relaxed) != 0)
		return cm_error_set(err, CM_E_QUERY_CANCELED,
							"canceling statement due to user request");
	if (bo->deadline_us && kv_now_us() >= bo->deadline_us)
		return cm_error_set(err, CM_E_QUERY_CANCELED,
							"canceling statement due to statement timeout");
	return CM_OK;
}

static bool
bo_is_lock_kind(kv_backoff_kind kind)
{
	return kind == KV_BO_TXN_LOCK || kind == KV_BO_TXN_LOCK_FAST || kind == KV_BO_TXN_NOT_FOUND;
}

/* Sleep ms in slices, polling cancel and deadline. */
static cm_status
bo_sleep(kv_backoffer *bo, uint32_t ms, cm_error *err)
{
	uint64_t end = kv_now_us() + (uint64_t) ms * 1000u;
	for (;;) {
		if (kv_backoffer_check(bo, err) != CM_OK)
			return CM_ERROR;
		uint64_t now = kv_now_us();
		if (now >= end)
			return CM_OK;
		uint64_t left = end - now;
		uint64_t slice = (uint64_t) KV_BO_CANCEL_SLICE_MS * 1000u;
		if (left > slice)
			left = slice;
		if (bo->deadline_us && now + left > bo->deadline_us)
			left = bo->deadline_us > now ? bo->deadline_us - now : 0;
		struct timespec ts = {.tv_sec = (time_t) (left / 1000000u),
							  .tv_nsec = (long) (left % 1000000u) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

cm_status
kv_backoff_max(kv_backoffer *bo, kv_backoff_kind kind, uint32_t max_ms, cm_error *err)
{
	if ((unsigned) kind >= KV_BO__COUNT)
		kind = KV_BO_REGION_MISS;
	if (kv_backoffer_check(bo, err) != CM_OK)
		return CM_ERROR;
	const kv_backoff_config *cfg = &bo_table[kind];
	uint32_t ms = kv_backoff_sleep_for(kind, bo->attempts[kind], &bo->rng);
	if (ms > max_ms)
		ms = max_ms;
	bool excluded = cfg->excluded_from_budget && bo->excluded_sleep_ms + ms <= BO_EXCLUDED_CAP_MS;
	if (!excluded && bo->max_sleep_ms && bo->total_sleep_ms + ms > bo->max_sleep_ms) {
		return cm_error_set(err, bo_is_lock_kind(kind) ? CM_E_LOCK_NOT_AVAILABLE : CM_E_IO_ERROR,
							"kv backoff budget exhausted (%s, %llu ms)", cfg->name,
							(unsigned long long) (bo->total_sleep_ms + ms));
	}
	bo->attempts[kind]++;
	bo->last_kind = kind;
	if (excluded)
		bo->excluded_sleep_ms += ms;
	else
		bo->total_sleep_ms += ms;
	return bo_sleep(bo, ms, err);
}

cm_status
kv_backoff(kv_backoffer *bo, kv_backoff_kind kind, cm_error *err)
{
	return kv_backoff_max(bo, kind, UINT32_MAX, err);
}
