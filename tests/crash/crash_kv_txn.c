/*
 * crash_kv_txn.c -- crash test driver for the transaction client and the
 * embedded store.
 *
 *   crash_kv_txn WORKER_BINARY [ROUNDS]
 *
 * Per round: fork + exec the worker on a shared data directory, let it run
 * a random 150..900 ms, SIGKILL it, then open the store here and check
 *   1. every acknowledged commit (a complete line of the ack file) is
 *      present: its marker key exists with the logged "from to amount";
 *   2. no partial transaction is visible: every balance equals the initial
 *      balance plus the effect of exactly the markers present (a marker
 *      without its updates, or updates without their marker, break this);
 *   3. the sum of balances is unchanged.
 * Reading also resolves the locks the killed worker left (its TTLs are
 * short).  Exit status 0 when every round passes; the data directory is
 * removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash_kv_common.h"

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

#define FAIL(...)                                  \
	do {                                           \
		fprintf(stderr, "crash_kv_txn: FAIL: ");   \
		fprintf(stderr, __VA_ARGS__);              \
		fprintf(stderr, "\n");                     \
		return false;                              \
	} while (0)

/* Scan [start, end) at ts, calling fn for each pair. */
static bool
scan(kv_snapshot *s, const char *start, const char *end,
	 bool (*fn)(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl), void *arg)
{
	kv_iter_options io = {0};
	io.start = (const uint8_t *) start;
	io.start_len = strlen(start);
	io.end = (const uint8_t *) end;
	io.end_len = strlen(end);
	kv_iter *it = NULL;
	cm_error err = {0};
	kv_err k = kv_snapshot_iter(s, &io, &it, &err);
	while (k == KV_OK && kv_iter_valid(it)) {
		size_t kl, vl;
		const uint8_t *kk = kv_iter_key(it, &kl);
		const uint8_t *vv = kv_iter_value(it, &vl);
		if (!fn(arg, kk, kl, vv, vl)) {
			kv_iter_close(it);
			return false;
		}
		k = kv_iter_next(it, &err);
	}
	kv_iter_close(it);
	if (k != KV_OK)
		FAIL("scan: %s %s", kv_err_name(k), err.message ? err.message : "");
	return true;
}

typedef struct state {
	long long balance[CRASH_ACCOUNTS];
	long long expect[CRASH_ACCOUNTS];
	size_t n_markers;
	int n_accounts;
} state;

static bool
on_account(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	state *st = arg;
	char buf[32];
	snprintf(buf, sizeof buf, "%.*s", (int) kl, (const char *) k);
	int acc = atoi(buf + 2);
	if (acc < 0 || acc >= CRASH_ACCOUNTS)
		FAIL("bad account key %s", buf);
	snprintf(buf, sizeof buf, "%.*s", (int) vl, (const char *) v);
	st->balance[acc] = atoll(buf);
	st->n_accounts++;
	return true;
}

static bool
on_marker(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	state *st = arg;
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int) vl, (const char *) v);
	int from, to, amount;
	if (sscanf(buf, "%d %d %d", &from, &to, &amount) != 3 || from < 0 ||
		from >= CRASH_ACCOUNTS || to < 0 || to >= CRASH_ACCOUNTS)
		FAIL("bad marker value '%s'", buf);
	st->expect[from] -= amount;
	st->expect[to] += amount;
	st->n_markers++;
	return true;
}

static bool
verify(const char *dir, const char *ack_path, int round, size_t *acked_total)
{
	kv_store *s;
	kv_client *c;
	crash_open(dir, &s, &c);
	bool ok = true;
	uint64_t ts;
	cm_error err = {0};
	if (kv_client_get_ts(c, NULL, &ts, &err) != KV_OK) {
		fprintf(stderr, "crash_kv_txn: tso: %s\n", err.message);
		crash_close(s, c);
		return false;
	}
	kv_snapshot snap;
	kv_snapshot_init(&snap, c, ts);
	static state st;
	memset(&st, 0, sizeof st);
	for (int i = 0; i < CRASH_ACCOUNTS; i++)
		st.expect[i] = CRASH_INITIAL;
	cm_arena *a = cm_arena_create(0);
	kv_value init;
	kv_err k = kv_snapshot_get(&snap, a, (const uint8_t *) "init", 4, &init, &err);
	if (k != KV_OK) {
		fprintf(stderr, "crash_kv_txn: get init: %s\n", err.message);
		ok = false;
	}
	bool initialised = ok && init.found;
	if (ok && initialised)
		ok = scan(&snap, "a/", "a0", on_account, &st) && scan(&snap, "m/", "m0", on_marker, &st);
	if (ok && initialised) {
		long long sum = 0;
		if (st.n_accounts != CRASH_ACCOUNTS) {
			fprintf(stderr, "crash_kv_txn: FAIL: %d accounts\n", st.n_accounts);
			ok = false;
		}
		for (int i = 0; i < CRASH_ACCOUNTS; i++) {
			sum += st.balance[i];
			if (st.balance[i] != st.expect[i]) {
				fprintf(stderr,
						"crash_kv_txn: FAIL: round %d: account %d balance %lld, markers say "
						"%lld (partial transaction)\n",
						round, i, st.balance[i], st.expect[i]);
				ok = false;
			}
		}
		if (sum != (long long) CRASH_ACCOUNTS * CRASH_INITIAL) {
			fprintf(stderr, "crash_kv_txn: FAIL: round %d: sum %lld\n", round, sum);
			ok = false;
		}
	}
	/* every acknowledged commit is present */
	FILE *f = fopen(ack_path, "r");
	size_t acked = 0;
	if (f) {
		char line[128];
		while (ok && fgets(line, sizeof line, f)) {
			size_t len = strlen(line);
			if (len == 0 || line[len - 1] != '\n')
				break; /* torn last line: the ack was never complete */
			unsigned long long id;
			int from, to, amount;
			if (sscanf(line, "%llu %d %d %d", &id, &from, &to, &amount) != 4) {
				fprintf(stderr, "crash_kv_txn: FAIL: bad ack line '%s'\n", line);
				ok = false;
				break;
			}
			if (!initialised) {
				fprintf(stderr, "crash_kv_txn: FAIL: ack without accounts\n");
				ok = false;
				break;
			}
			char km[32], want[64];
			crash_marker_key(km, sizeof km, id);
			snprintf(want, sizeof want, "%d %d %d", from, to, amount);
			kv_value v;
			k = kv_snapshot_get(&snap, a, (const uint8_t *) km, strlen(km), &v, &err);
			if (k != KV_OK || !v.found || v.len != strlen(want) || memcmp(v.data, want, v.len)) {
				fprintf(stderr, "crash_kv_txn: FAIL: round %d: acknowledged txn %llu lost (%s)\n",
						round, id, k != KV_OK ? kv_err_name(k) : "marker missing or wrong");
				ok = false;
			}
			acked++;
			cm_arena_reset(a);
		}
		fclose(f);
	}
	printf("round %2d: %zu acknowledged commits, %zu markers, balances %s\n", round, acked,
		   st.n_markers, ok ? "consistent" : "BROKEN");
	fflush(stdout);
	*acked_total = acked;
	cm_error_clear(&err);
	cm_arena_destroy(a);
	kv_snapshot_destroy(&snap);
	crash_close(s, c);
	return ok;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s WORKER [ROUNDS]\n", argv[0]);
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 16;
	char dir[64] = "/tmp/pgkv_crash_XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	char data[128], ack[128];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(ack, sizeof ack, "%s/acks", dir);
	unsigned seed = (unsigned) time(NULL) ^ (unsigned) getpid();
	printf("crash_kv_txn: %d rounds in %s (seed %u)\n", rounds, dir, seed);
	bool ok = true;
	size_t acked = 0;
	for (int r = 1; r <= rounds && ok; r++) {
		char round_arg[16];
		snprintf(round_arg, sizeof round_arg, "%d", r);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			ok = false;
			break;
		}
		if (pid == 0) {
			execl(argv[1], argv[1], data, ack, round_arg, (char *) NULL);
			perror("exec worker");
			_exit(127);
		}
		unsigned ms = 150 + rand_r(&seed) % 750;
		usleep(ms * 1000u);
		int status = 0;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			fprintf(stderr, "crash_kv_txn: FAIL: worker exited early (status %d)\n", status);
			ok = false;
			break;
		}
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			fprintf(stderr, "crash_kv_txn: FAIL: worker ended with status %d\n", status);
			ok = false;
			break;
		}
		ok = verify(data, ack, r, &acked);
	}
	if (ok && acked == 0) {
		fprintf(stderr, "crash_kv_txn: FAIL: no transaction was ever acknowledged\n");
		ok = false;
	}
	if (ok)
		nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "crash_kv_txn: data kept in %s\n", dir);
	printf("crash_kv_txn: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
