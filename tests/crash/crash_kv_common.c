/*
 * crash_kv_common.c -- shared helpers of the crash test (see the header).
 */
#include "crash_kv_common.h"

#include <stdio.h>
#include <stdlib.h>

void
crash_open(const char *dir, kv_store **s, kv_client **c)
{
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = dir;
	o.sync_wal = true;
	o.region_max_size = 64u << 10; /* splits happen while transfers run */
	o.lock_wait_max_ms = 500;
	cm_error err = {0};
	if (kv_store_open_embedded(&o, s, &err) != CM_OK) {
		fprintf(stderr, "crash: open %s: %s\n", dir, err.message ? err.message : "?");
		exit(3);
	}
	kv_client_options co;
	kv_client_options_init(&co);
	co.lock_ttl_ms = 500;
	co.managed_lock_ttl_ms = 1000;
	co.heartbeat_interval_ms = 300;
	if (kv_client_new(*s, &co, c, &err) != KV_OK) {
		fprintf(stderr, "crash: client: %s\n", err.message ? err.message : "?");
		exit(3);
	}
}

void
crash_close(kv_store *s, kv_client *c)
{
	kv_client_free(c);
	kv_store_close(s);
}

void
crash_account_key(char *buf, size_t n, int acc)
{
	snprintf(buf, n, "a/%03d", acc);
}

void
crash_marker_key(char *buf, size_t n, unsigned long long id)
{
	snprintf(buf, n, "m/%020llu", id);
}
