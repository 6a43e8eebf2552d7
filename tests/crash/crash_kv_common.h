/*
 * crash_kv_common.h -- what the crash test's parent and worker share: the
 * key layout, store options, and opening the store + client.
 *
 * Keys: "a/NNN" = balance of account NNN (decimal text), "m/<id 20 digits>"
 * = "from to amount" marker written in the same txn as the two balance
 * updates.  "init" marks that the accounts were created.
 */
#ifndef PGKV_CRASH_KV_COMMON_H
#define PGKV_CRASH_KV_COMMON_H

#include "kv/store.h"
#include "kv/txn/kv_txn.h"

#define CRASH_ACCOUNTS 100
#define CRASH_INITIAL 1000

/* Open the embedded store in dir (sync_wal on, small regions) and a client
 * with short TTLs (so a killed worker's locks expire quickly).  Exits the
 * process on failure. */
void crash_open(const char *dir, kv_store **s, kv_client **c);
void crash_close(kv_store *s, kv_client *c);
void crash_account_key(char *buf, size_t n, int acc);
void crash_marker_key(char *buf, size_t n, unsigned long long id);

#endif
