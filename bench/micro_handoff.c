/*
 * micro_handoff.c -- cost of waking another thread, the reader -> executor
 * hand-off of DESIGN.md §7, measured as a ping-pong between two threads
 * (each side waits for the other's signal; one round trip = two wake-ups).
 *
 * Mechanisms:
 *   condvar      mutex + condition variable per direction (the StmtBuf today:
 *                signalled with the mutex held)
 *   condvar-out  the same, signalled after the unlock and only to a sleeper
 *   futex        FUTEX_WAIT / FUTEX_WAKE on a word, waking only a sleeper
 *   eventfd      write(2) / read(2) on an eventfd per direction
 *   spin+condvar spin up to SPIN_US on the shared word before sleeping
 * each with the two threads left to the scheduler, and pinned to one CPU
 * (PGKV_PIN's placement).
 *
 * Usage: micro_handoff [round_trips] [spin_us]     (bash bench/micro.sh)
 * Prints microseconds per round trip and the CPU time both threads used
 * per round trip (a spinning waiter burns CPU that other connections need).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef enum { M_CONDVAR, M_CONDVAR2, M_FUTEX, M_EVENTFD, M_SPIN } mech;

typedef struct chan {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_uint seq;		/* bumped by the sender */
	atomic_int sleeping;	/* futex / spin: the receiver is (about to be) asleep */
	int efd;
	unsigned seen;
} chan;

static mech g_mech;
static int g_spin_us;
static long g_iters;
static int g_pin = -1;
static chan g_ab, g_ba;

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static long
futex(atomic_uint *addr, int op, unsigned val)
{
	return syscall(SYS_futex, (unsigned *) addr, op, val, NULL, NULL, 0);
}

static void
chan_init(chan *c)
{
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	atomic_init(&c->seq, 0);
	atomic_init(&c->sleeping, 0);
	c->efd = eventfd(0, 0);
	c->seen = 0;
}

static void
chan_send(chan *c)
{
	switch (g_mech) {
	case M_CONDVAR:
	case M_SPIN:
		pthread_mutex_lock(&c->mu);
		atomic_fetch_add(&c->seq, 1);
		if (g_mech == M_CONDVAR || atomic_load(&c->sleeping))
			pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		break;
	case M_CONDVAR2: {
		pthread_mutex_lock(&c->mu);
		atomic_fetch_add(&c->seq, 1);
		int sl = atomic_load(&c->sleeping);
		pthread_mutex_unlock(&c->mu);
		if (sl)
			pthread_cond_signal(&c->cv);
		break;
	}
	case M_FUTEX:
		atomic_fetch_add(&c->seq, 1);
		if (atomic_load(&c->sleeping))
			futex(&c->seq, FUTEX_WAKE_PRIVATE, 1);
		break;
	case M_EVENTFD: {
		uint64_t one = 1;
		if (write(c->efd, &one, sizeof one) != sizeof one)
			abort();
		break;
	}
	}
}

static void
chan_recv(chan *c)
{
	unsigned want = c->seen + 1;
	switch (g_mech) {
	case M_SPIN: {
		double until = now_us() + g_spin_us;
		while (atomic_load_explicit(&c->seq, memory_order_acquire) < want && now_us() < until)
			__builtin_ia32_pause();
		if (atomic_load(&c->seq) >= want)
			break;
	}
		__attribute__((fallthrough)); /* sleep */
	case M_CONDVAR:
	case M_CONDVAR2:
		pthread_mutex_lock(&c->mu);
		atomic_store(&c->sleeping, 1);
		while (atomic_load(&c->seq) < want)
			pthread_cond_wait(&c->cv, &c->mu);
		atomic_store(&c->sleeping, 0);
		pthread_mutex_unlock(&c->mu);
		break;
	case M_FUTEX:
		for (;;) {
			unsigned v = atomic_load(&c->seq);
			if (v >= want)
				break;
			atomic_store(&c->sleeping, 1);
			if (atomic_load(&c->seq) < want)
				futex(&c->seq, FUTEX_WAIT_PRIVATE, v);
			atomic_store(&c->sleeping, 0);
		}
		break;
	case M_EVENTFD: {
		uint64_t v;
		if (read(c->efd, &v, sizeof v) != sizeof v)
			abort();
		break;
	}
	}
	c->seen = want;
}

static void
pin(void)
{
	if (g_pin < 0)
		return;
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(g_pin, &s);
	pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *
executor(void *arg)
{
	(void) arg;
	pin();
	for (long i = 0; i < g_iters; i++) {
		chan_recv(&g_ab);
		chan_send(&g_ba);
	}
	return NULL;
}

static double
cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void
run(const char *name, mech m, int pinned)
{
	g_mech = m;
	g_pin = pinned ? 0 : -1;
	chan_init(&g_ab);
	chan_init(&g_ba);
	pthread_t t;
	pthread_create(&t, NULL, executor, NULL);
	pin();
	double c0 = cpu_us(), t0 = now_us();
	for (long i = 0; i < g_iters; i++) {
		chan_send(&g_ab);
		chan_recv(&g_ba);
	}
	double t1 = now_us(), c1 = cpu_us();
	pthread_join(t, NULL);
	if (pinned) {	/* unpin the main thread again */
		cpu_set_t s;
		CPU_ZERO(&s);
		for (int i = 0; i < CPU_SETSIZE && i < (int) sysconf(_SC_NPROCESSORS_ONLN); i++)
			CPU_SET(i, &s);
		pthread_setaffinity_np(pthread_self(), sizeof s, &s);
	}
	printf("%-14s %-8s %10.2f %12.2f\n", name, pinned ? "1 CPU" : "free", (t1 - t0) / (double) g_iters,
		   (c1 - c0) / (double) g_iters);
	close(g_ab.efd);
	close(g_ba.efd);
}

int
main(int argc, char **argv)
{
	g_iters = argc > 1 ? atol(argv[1]) : 100000;
	g_spin_us = argc > 2 ? atoi(argv[2]) : 20;
	printf("# %ld round trips, spin %d us, %ld CPUs\n", g_iters, g_spin_us, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-14s %-8s %10s %12s\n", "mechanism", "threads", "us/rtt", "cpu us/rtt");
	for (int pinned = 0; pinned < 2; pinned++) {
		run("condvar", M_CONDVAR, pinned);
		run("condvar-out", M_CONDVAR2, pinned);
		run("futex", M_FUTEX, pinned);
		run("eventfd", M_EVENTFD, pinned);
		char label[32];
		snprintf(label, sizeof label, "spin%d+condvar", g_spin_us);
		run(label, M_SPIN, pinned);
	}
	return 0;
}
