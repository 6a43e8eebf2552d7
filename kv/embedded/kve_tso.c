/*
 * kve_tso.c -- the embedded store's timestamp oracle (PD's TSO, in process).
 *
 * A timestamp is physical_ms << 18 | logical.  Timestamps are strictly
 * increasing for the life of the data directory, across restarts: the
 * store persists a high-water mark of the physical part (synced) AHEAD of
 * use -- now + 3 s -- and never hands out a physical value at or above the
 * persisted mark without first pushing the mark further.  After a restart
 * the physical part starts above the old mark, so every new timestamp is
 * larger than every timestamp handed out before (even if the wall clock
 * went backwards).  When the 2^18 logical values of one millisecond run out
 * the physical part moves to the next millisecond (it may run ahead of the
 * wall clock briefly, as PD's does).
 *
 * Exported: kve_tso_init (at open), kve_tso_get (count > 1 returns the
 * largest of the batch, as PD).
 */
#include "kv/embedded/kve_internal.h"

#include <string.h>
#include <time.h>

static const uint8_t TSO_KEY[] = { KVE_LOCAL_PREFIX, 't', 's', 'o' };

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static cm_status
save_high_water(kve_store *s, uint64_t hw, cm_error *err)
{
	uint8_t v[8];
	kve_put_u64be(v, hw);
	char *rerr = NULL;
	rocksdb_put_cf(s->db, s->wo_sync, s->cf[KVE_CF_DEFAULT], (const char *) TSO_KEY,
				   sizeof TSO_KEY, (const char *) v, sizeof v, &rerr);
	if (rerr)
		return kve_rocks_error(err, "persist tso", rerr);
	s->tso_high_water = hw;
	return CM_OK;
}

cm_status
kve_tso_init(kve_store *s, cm_error *err)
{
	cm_arena *a = cm_arena_create(0);
	kve_slice v;
	uint64_t saved = 0;
	int r = kve_get_cf(s, s->ro, KVE_CF_DEFAULT, a, TSO_KEY, sizeof TSO_KEY, &v, err);
	if (r < 0) {
		cm_arena_destroy(a);
		return CM_ERROR;
	}
	if (r > 0 && v.n == 8)
		saved = kve_get_u64be(v.p);
	cm_arena_destroy(a);

	uint64_t now = now_ms();
	s->tso_physical = now > saved ? now : saved + 1;
	s->tso_logical = 0;
	return save_high_water(s, s->tso_physical + KVE_TSO_SAVE_AHEAD_MS, err);
}

cm_status
kve_tso_get(kve_store *s, uint32_t count, uint64_t *ts, cm_error *err)
{
	if (count == 0)
		count = 1;
	if (count > (1u << KV_TS_LOGICAL_BITS))
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"tso: count %u exceeds the logical range", count);
	pthread_mutex_lock(&s->tso_mu);
	uint64_t now = now_ms();
	if (now > s->tso_physical) {
		s->tso_physical = now;
		s->tso_logical = 0;
	}
	if (s->tso_logical + count > (UINT64_C(1) << KV_TS_LOGICAL_BITS)) {
		s->tso_physical++;
		s->tso_logical = 0;
	}
	if (s->tso_physical + 1000 >= s->tso_high_water) {
		uint64_t base = s->tso_physical > now ? s->tso_physical : now;
		if (save_high_water(s, base + KVE_TSO_SAVE_AHEAD_MS, err) != CM_OK) {
			pthread_mutex_unlock(&s->tso_mu);
			return CM_ERROR;
		}
	}
	s->tso_logical += count;
	*ts = kv_ts_compose(s->tso_physical, s->tso_logical - 1);
	pthread_mutex_unlock(&s->tso_mu);
	return CM_OK;
}
