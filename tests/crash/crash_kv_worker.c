/*
 * crash_kv_worker.c -- the process the crash test kills.
 *
 *   crash_kv_worker DATA_DIR ACK_FILE ROUND
 *
 * Opens the embedded store (sync_wal on), creates the accounts on the first
 * run, then runs transfer transactions on 4 threads (2 pessimistic, 2
 * optimistic) until killed.  Each transfer moves a random amount between two
 * random accounts and inserts a marker key for its txn id in the same
 * transaction.  After kv_txn_commit returns KV_OK the worker appends
 * "id from to amount\n" to ACK_FILE with one write(2) (no fsync: the data
 * survives the death of the process, which is all the test kills).
 * A fifth thread splits regions at random keys now and then.
 *
 * Txn ids: ROUND * 10^9 + thread * 10^7 + counter, unique across rounds.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_kv_common.h"
#include "kv/embedded/kve.h"

#define THREADS 4

static kv_store *g_s;
static kv_client *g_c;
static int g_ack_fd;
static unsigned long long g_round;

static int
get_balance(kv_txn *t, cm_arena *a, const char *key, kv_err *k, cm_error *err)
{
	kv_value v;
	*k = kv_txn_get(t, a, (const uint8_t *) key, strlen(key), &v, err);
	if (*k != KV_OK)
		return 0;
	if (!v.found) {
		fprintf(stderr, "worker: account %s missing\n", key);
		exit(4);
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%.*s", (int) v.len, (const char *) v.data);
	return atoi(buf);
}

static void
init_accounts(void)
{
	cm_arena *a = cm_arena_create(0);
	for (;;) {
		kv_txn *t = NULL;
		cm_error err = {0};
		if (kv_txn_begin(g_c, NULL, &t, &err) != KV_OK) {
			fprintf(stderr, "worker: begin: %s\n", err.message);
			exit(4);
		}
		kv_value v;
		kv_err k = kv_txn_get(t, a, (const uint8_t *) "init", 4, &v, &err);
		if (k == KV_OK && v.found) {
			kv_txn_free(t);
			break;
		}
		for (int i = 0; k == KV_OK && i < CRASH_ACCOUNTS; i++) {
			char key[16], val[16];
			crash_account_key(key, sizeof key, i);
			snprintf(val, sizeof val, "%d", CRASH_INITIAL);
			k = kv_txn_set(t, (const uint8_t *) key, strlen(key), (const uint8_t *) val,
						   strlen(val), &err);
		}
		if (k == KV_OK)
			k = kv_txn_insert(t, (const uint8_t *) "init", 4, (const uint8_t *) "1", 1, &err);
		if (k == KV_OK)
			k = kv_txn_commit(t, &err);
		kv_txn_free(t);
		if (k == KV_OK)
			break;
		if (!kv_err_retriable(k) && k != KV_ERR_KEY_EXISTS) {
			fprintf(stderr, "worker: init: %s %s\n", kv_err_name(k), err.message);
			exit(4);
		}
		cm_error_clear(&err);
	}
	cm_arena_destroy(a);
}

static void *
transfer_thread(void *arg)
{
	int tid = (int) (intptr_t) arg;
	unsigned seed = (unsigned) (g_round * 977 + (unsigned long long) tid * 131 + (unsigned) getpid());
	kv_txn_mode mode = tid % 2 ? KV_TXN_OPTIMISTIC : KV_TXN_PESSIMISTIC;
	cm_arena *a = cm_arena_create(0);
	for (unsigned long long n = 0;; n++) {
		unsigned long long id = g_round * 1000000000ull + (unsigned long long) tid * 10000000ull + n;
		int from = rand_r(&seed) % CRASH_ACCOUNTS;
		int to = rand_r(&seed) % (CRASH_ACCOUNTS - 1);
		if (to >= from)
			to++;
		int amount = 1 + rand_r(&seed) % 50;
		char kf[16], kt[16], km[32], mv[64];
		crash_account_key(kf, sizeof kf, from);
		crash_account_key(kt, sizeof kt, to);
		crash_marker_key(km, sizeof km, id);
		snprintf(mv, sizeof mv, "%d %d %d", from, to, amount);
		for (;;) {
			kv_txn_options o;
			kv_txn_options_init(&o);
			o.mode = mode;
			kv_txn *t = NULL;
			cm_error err = {0};
			kv_err k = kv_txn_begin(g_c, &o, &t, &err);
			if (k == KV_OK)
				k = kv_txn_stmt_begin(t, &err);
			if (k == KV_OK && mode == KV_TXN_PESSIMISTIC) {
				ProtobufCBinaryData keys[2] = {{strlen(kf), (uint8_t *) kf},
											   {strlen(kt), (uint8_t *) kt}};
				kv_lock_options lo = {.wait_ms = 3000};
				k = kv_txn_lock_keys(t, NULL, keys, 2, &lo, NULL, &err);
			}
			int bf = 0, bt = 0;
			if (k == KV_OK)
				bf = get_balance(t, a, kf, &k, &err);
			if (k == KV_OK)
				bt = get_balance(t, a, kt, &k, &err);
			char v1[16], v2[16];
			snprintf(v1, sizeof v1, "%d", bf - amount);
			snprintf(v2, sizeof v2, "%d", bt + amount);
			if (k == KV_OK)
				k = kv_txn_set(t, (const uint8_t *) kf, strlen(kf), (const uint8_t *) v1,
							   strlen(v1), &err);
			if (k == KV_OK)
				k = kv_txn_set(t, (const uint8_t *) kt, strlen(kt), (const uint8_t *) v2,
							   strlen(v2), &err);
			if (k == KV_OK)
				k = kv_txn_insert(t, (const uint8_t *) km, strlen(km), (const uint8_t *) mv,
								  strlen(mv), &err);
			if (k == KV_OK)
				k = kv_txn_commit(t, &err);
			kv_txn_free(t);
			cm_arena_reset(a);
			if (k == KV_OK) {
				char line[96];
				int len = snprintf(line, sizeof line, "%llu %d %d %d\n", id, from, to, amount);
				if (write(g_ack_fd, line, (size_t) len) != len) {
					perror("worker: ack write");
					exit(4);
				}
				break;
			}
			if (k == KV_ERR_UNDETERMINED) {
				cm_error_clear(&err);
				break; /* never acknowledged; the id is not reused */
			}
			if (!kv_err_retriable(k) && k != KV_ERR_DEADLOCK && k != KV_ERR_LOCK_WAIT_TIMEOUT) {
				fprintf(stderr, "worker: transfer %llu: %s %s\n", id, kv_err_name(k),
						err.message ? err.message : "");
				exit(4);
			}
			cm_error_clear(&err);
		}
	}
	return NULL;
}

static void *
split_thread(void *arg)
{
	unsigned seed = (unsigned) g_round * 31u + 7u;
	for (int i = 0; i < 4; i++) {
		usleep((useconds_t) (20000 + rand_r(&seed) % 100000));
		char key[32];
		if (rand_r(&seed) % 2)
			crash_account_key(key, sizeof key, rand_r(&seed) % CRASH_ACCOUNTS);
		else
			crash_marker_key(key, sizeof key,
							 g_round * 1000000000ull +
								 (unsigned long long) (rand_r(&seed) % THREADS) * 10000000ull +
								 (unsigned long long) (rand_r(&seed) % 200));
		cm_error err = {0};
		if (kve_split_region(g_s, (const uint8_t *) key, strlen(key), &err) != CM_OK)
			cm_error_clear(&err);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DATA_DIR ACK_FILE ROUND\n", argv[0]);
		return 2;
	}
	g_round = strtoull(argv[3], NULL, 10);
	g_ack_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (g_ack_fd < 0) {
		perror("worker: open ack file");
		return 2;
	}
	crash_open(argv[1], &g_s, &g_c);
	init_accounts();
	pthread_t th[THREADS + 1];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, transfer_thread, (void *) (intptr_t) i);
	pthread_create(&th[THREADS], NULL, split_thread, NULL);
	for (int i = 0; i <= THREADS; i++)
		pthread_join(th[i], NULL); /* transfer threads never end: killed */
	return 0;
}
