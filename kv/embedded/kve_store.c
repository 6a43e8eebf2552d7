/*
 * kve_store.c -- the embedded store driver: open / close, the kv_store
 * vtable and stats.  GC lives in kve_gc.c; this file only starts and stops
 * its thread.
 *
 * RocksDB layout: column families "default", "lock" and "write" as TiKV
 * (kv-protocol-facts §5.1); local keys (region metadata, TSO high-water
 * mark) live in the default CF under the 0x01 prefix, below every data key
 * ('z' prefix).
 *
 * Exported: kv_embedded_options_init, kv_store_open_embedded (kv/store.h);
 * kve_get_stats (kv/embedded/kve.h).
 */
#include "kv/embedded/kve_internal.h"

#include <stdlib.h>
#include <string.h>

static void kve_close(kv_store *st);
static cm_status kve_get_ts(kv_store *st, uint32_t count, uint64_t *ts, cm_error *err);
static cm_status kve_coprocessor(kv_store *st, const Coprocessor__Request *req,
								 Coprocessor__Response *resp, cm_error *err);

static const kv_store_ops kve_ops = {
	.name = "embedded",
	.get = kve_get,
	.batch_get = kve_batch_get,
	.scan = kve_scan,
	.prewrite = kve_prewrite,
	.commit = kve_commit,
	.batch_rollback = kve_batch_rollback,
	.cleanup = kve_cleanup,
	.check_txn_status = kve_check_txn_status,
	.resolve_lock = kve_resolve_lock,
	.pessimistic_lock = kve_pessimistic_lock,
	.pessimistic_rollback = kve_pessimistic_rollback,
	.txn_heart_beat = kve_txn_heart_beat,
	.check_secondary_locks = kve_check_secondary_locks,
	.scan_lock = kve_scan_lock,
	.coprocessor = kve_coprocessor,
	.get_ts = kve_get_ts,
	.region_by_key = kve_region_by_key,
	.region_by_id = kve_region_by_id,
	.scan_regions = kve_scan_regions,
	.register_reader = kve_register_reader,
	.unregister_reader = kve_unregister_reader,
	.close = kve_close,
};

void
kv_embedded_options_init(kv_embedded_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->sync_wal = true;
	opts->region_max_size = KV_EMBEDDED_DEFAULT_REGION_MAX_SIZE;
	opts->gc_life_time_ms = KV_EMBEDDED_DEFAULT_GC_LIFE_TIME_MS;
	opts->lock_wait_max_ms = KVE_DEFAULT_WAIT_MS;
	opts->deadlock_timeout_ms = KVE_DEFAULT_DEADLOCK_MS;
}

static void
free_store(kve_store *s)
{
	kve_gc_stop(s); /* GC: before RocksDB goes away */
	for (int i = 0; i < KVE_CF_COUNT; i++)
		if (s->cf[i])
			rocksdb_column_family_handle_destroy(s->cf[i]);
	if (s->db)
		rocksdb_close(s->db);
	if (s->wo_sync)
		rocksdb_writeoptions_destroy(s->wo_sync);
	if (s->wo_nosync)
		rocksdb_writeoptions_destroy(s->wo_nosync);
	if (s->ro)
		rocksdb_readoptions_destroy(s->ro);
	if (s->dbopts)
		rocksdb_options_destroy(s->dbopts);
	kve_regions_free(s);
	for (int i = 0; i < KVE_LATCH_SLOTS; i++)
		pthread_mutex_destroy(&s->latch[i]);
	pthread_mutex_destroy(&s->wq_mu);
	pthread_mutex_destroy(&s->tso_mu);
	pthread_mutex_destroy(&s->mem_mu);
	pthread_cond_destroy(&s->mem_cv);
	kve_waits_free(s);
	pthread_mutex_destroy(&s->wait_mu);
	pthread_cond_destroy(&s->wait_cv);
	pthread_rwlock_destroy(&s->reg_mu);
	pthread_mutex_destroy(&s->split_mu);
	free(s->dir);
	free(s);
}

cm_status
kv_store_open_embedded(const kv_embedded_options *opts, kv_store **out, cm_error *err)
{
	*out = NULL;
	if (!opts || !opts->data_dir || !opts->data_dir[0])
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"embedded store: data directory is required");
	kve_store *s = calloc(1, sizeof *s);
	if (!s)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	s->base.ops = &kve_ops;
	s->opts = *opts;
	if (!s->opts.region_max_size)
		s->opts.region_max_size = KV_EMBEDDED_DEFAULT_REGION_MAX_SIZE;
	if (!s->opts.lock_wait_max_ms)
		s->opts.lock_wait_max_ms = KVE_DEFAULT_WAIT_MS;
	if (!s->opts.deadlock_timeout_ms)
		s->opts.deadlock_timeout_ms = KVE_DEFAULT_DEADLOCK_MS;
	if (!s->opts.gc_life_time_ms) /* GC: 0 = the default, as the other knobs */
		s->opts.gc_life_time_ms = KV_EMBEDDED_DEFAULT_GC_LIFE_TIME_MS;
	s->dir = strdup(opts->data_dir);
	s->opts.data_dir = s->dir;
	for (int i = 0; i < KVE_LATCH_SLOTS; i++)
		pthread_mutex_init(&s->latch[i], NULL);
	pthread_mutex_init(&s->wq_mu, NULL);
	pthread_mutex_init(&s->tso_mu, NULL);
	pthread_mutex_init(&s->mem_mu, NULL);
	pthread_cond_init(&s->mem_cv, NULL);
	pthread_mutex_init(&s->wait_mu, NULL);
	pthread_cond_init(&s->wait_cv, NULL);
	pthread_rwlock_init(&s->reg_mu, NULL);
	pthread_mutex_init(&s->split_mu, NULL);

	s->dbopts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(s->dbopts, 1);
	rocksdb_options_set_create_missing_column_families(s->dbopts, 1);
	rocksdb_options_set_max_background_jobs(s->dbopts, 2);
	const char *names[KVE_CF_COUNT] = { "default", "lock", "write" };
	const rocksdb_options_t *cfopts[KVE_CF_COUNT] = { s->dbopts, s->dbopts, s->dbopts };
	char *rerr = NULL;
	s->db = rocksdb_open_column_families(s->dbopts, s->dir, KVE_CF_COUNT, names, cfopts, s->cf,
										 &rerr);
	if (rerr) {
		memset(s->cf, 0, sizeof s->cf);
		s->db = NULL;
		kve_rocks_error(err, "open", rerr);
		free_store(s);
		return CM_ERROR;
	}
	s->wo_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wo_sync, 1);
	s->wo_nosync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wo_nosync, 0);
	s->ro = rocksdb_readoptions_create();

	if (kve_regions_load(s, err) != CM_OK || kve_tso_init(s, err) != CM_OK ||
		kve_gc_start(s, err) != CM_OK) {
		free_store(s);
		return CM_ERROR;
	}
	*out = &s->base;
	return CM_OK;
}

static void
kve_close(kv_store *st)
{
	free_store(kve_of(st));
}

static cm_status
kve_get_ts(kv_store *st, uint32_t count, uint64_t *ts, cm_error *err)
{
	return kve_tso_get(kve_of(st), count, ts, err);
}

static cm_status
kve_coprocessor(kv_store *st, const Coprocessor__Request *req, Coprocessor__Response *resp,
				cm_error *err)
{
	/* tipb DAG requests run in kve_copr.c */
	return kve_copr_handle(st, req, resp, err);
}

void
kve_get_stats(kv_store *st, kve_stats *out)
{
	kve_store *s = kve_of(st);
	out->writes = atomic_load(&s->st_writes);
	out->rocks_writes = atomic_load(&s->st_rocks_writes);
	out->syncs = atomic_load(&s->st_syncs);
	pthread_rwlock_rdlock(&s->reg_mu);
	out->regions = s->n_regions;
	pthread_rwlock_unlock(&s->reg_mu);
	kve_gc_fill_stats(s, out); /* GC counters */
}
