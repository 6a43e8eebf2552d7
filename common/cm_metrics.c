/*
 * cm_metrics.c -- process-wide metrics (see cm_metrics.h).
 *
 * Every value is an _Atomic int64_t in its own 64-byte cache line, updated
 * with relaxed atomics: counters from different threads never share a line,
 * so two busy executors do not bounce one line between CPUs more than the
 * counter itself requires.  Ordering between metrics does not matter to a
 * scraper, hence relaxed.
 *
 * Registered metrics live in a fixed array; registration fills an entry and
 * publishes it by a release store of the count, so the renderer (acquire
 * load) sees only complete entries without taking the registration mutex.
 */
#include "cm_metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#ifndef PGKV_VERSION
#define PGKV_VERSION "unknown"
#endif

#define CACHE_LINE 64

typedef struct padded_counter {
	_Alignas(CACHE_LINE) _Atomic int64_t v;
} padded_counter;

struct cm_metric {
	_Alignas(CACHE_LINE) _Atomic int64_t v;
	const char *name;
	const char *help;
	cm_metric_kind kind;
};

/* --- Built-in scalars ------------------------------------------------------ */

static const struct {
	const char *name;
	const char *help;
	cm_metric_kind kind;
} builtin_meta[CM_M__COUNT] = {
    [CM_M_CONNECTIONS_OPEN] = {"pgkv_sql_connections_open", "Open SQL client connections.",
                               CM_METRIC_GAUGE},
    [CM_M_CONNECTIONS_TOTAL] = {"pgkv_sql_connections_total",
                                "SQL client connections accepted since start.", CM_METRIC_COUNTER},
    [CM_M_QUERIES] = {"pgkv_sql_queries_total", "SQL statements executed, by statement type.",
                      CM_METRIC_COUNTER},
    [CM_M_TXN_RETRIES] = {"pgkv_sql_txn_retries_total",
                          "Transaction retries performed automatically by the server.",
                          CM_METRIC_COUNTER},
    [CM_M_TXN_CLIENT_RETRY_ERRORS] = {"pgkv_sql_txn_client_retry_errors_total",
                                      "Serialization failures (40001) returned to clients.",
                                      CM_METRIC_COUNTER},
    [CM_M_DRAINING] = {"pgkv_draining", "1 while the node is draining, else 0.", CM_METRIC_GAUGE},
    [CM_M_SESSIONS_REMAINING] = {"pgkv_sessions_remaining",
                                 "SQL sessions still open during a drain.", CM_METRIC_GAUGE},
};

static padded_counter scalars[CM_M__COUNT];
static padded_counter queries[CM_QT__COUNT];

static const char *const query_type_names[CM_QT__COUNT] = {
    "select", "insert", "update", "delete", "ddl", "tcl", "set", "show", "other",
};

/* --- Errors by SQLSTATE class ------------------------------------------------
 * Every class PostgreSQL defines (errcodes.txt), which covers sqlstates.def;
 * anything else counts as "other" (the last slot). */
static const char error_classes[][3] = {
    "00", "01", "02", "03", "08", "09", "0A", "0B", "0F", "0L", "0P", "0Z", "20", "21", "22",
    "23", "24", "25", "26", "27", "28", "2B", "2D", "2F", "34", "38", "39", "3B", "3D", "3F",
    "40", "42", "44", "53", "54", "55", "57", "58", "72", "F0", "HV", "P0", "XX",
};
#define N_ERROR_CLASSES (sizeof(error_classes) / sizeof(error_classes[0]))
static padded_counter errors[N_ERROR_CLASSES + 1]; /* + "other" */

/* --- Latency histogram --------------------------------------------------- */

static const int64_t latency_bounds_us[] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define N_LATENCY_BOUNDS (sizeof(latency_bounds_us) / sizeof(latency_bounds_us[0]))
static padded_counter latency_buckets[N_LATENCY_BOUNDS + 1]; /* non-cumulative; last = +Inf */
static padded_counter latency_sum_us;

/* --- Registered metrics ----------------------------------------------------- */

#define MAX_REGISTERED 64
static struct cm_metric registered[MAX_REGISTERED];
static _Atomic int n_registered;
static pthread_mutex_t register_lock = PTHREAD_MUTEX_INITIALIZER;

static bool valid_metric_name(const char *name);
static int error_class_slot(const char *sqlstate);
static void render_header(cm_buf *out, const char *name, const char *help, const char *type);

/* ------------------------------------------------------------------------- */

const char *
cm_query_type_name(cm_query_type t)
{
	if ((unsigned)t >= CM_QT__COUNT)
		return "other";
	return query_type_names[t];
}

void
cm_metrics_add(cm_metric_id id, int label, int64_t n)
{
	if ((unsigned)id >= CM_M__COUNT)
		return;
	if (id == CM_M_QUERIES) {
		if ((unsigned)label >= CM_QT__COUNT)
			label = CM_QT_OTHER;
		atomic_fetch_add_explicit(&queries[label].v, n, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&scalars[id].v, n, memory_order_relaxed);
}

void
cm_metrics_inc(cm_metric_id id, int label)
{
	cm_metrics_add(id, label, 1);
}

int64_t
cm_metrics_get(cm_metric_id id, int label)
{
	if ((unsigned)id >= CM_M__COUNT)
		return 0;
	if (id == CM_M_QUERIES) {
		if ((unsigned)label >= CM_QT__COUNT)
			return 0;
		return atomic_load_explicit(&queries[label].v, memory_order_relaxed);
	}
	return atomic_load_explicit(&scalars[id].v, memory_order_relaxed);
}

void
cm_metrics_gauge_set(cm_metric_id id, int64_t v)
{
	if ((unsigned)id >= CM_M__COUNT || id == CM_M_QUERIES)
		return;
	atomic_store_explicit(&scalars[id].v, v, memory_order_relaxed);
}

void
cm_metrics_gauge_add(cm_metric_id id, int64_t delta)
{
	cm_metrics_add(id, 0, delta);
}

/* Slot of a SQLSTATE's class in errors[]; N_ERROR_CLASSES means "other". */
static int
error_class_slot(const char *sqlstate)
{
	if (sqlstate == NULL || sqlstate[0] == '\0' || sqlstate[1] == '\0')
		return (int)N_ERROR_CLASSES;
	for (size_t i = 0; i < N_ERROR_CLASSES; i++)
		if (error_classes[i][0] == sqlstate[0] && error_classes[i][1] == sqlstate[1])
			return (int)i;
	return (int)N_ERROR_CLASSES;
}

void
cm_metrics_error(const char *sqlstate)
{
	atomic_fetch_add_explicit(&errors[error_class_slot(sqlstate)].v, 1, memory_order_relaxed);
}

int64_t
cm_metrics_error_count(const char *cls)
{
	int slot =
	    (cls != NULL && strcmp(cls, "other") == 0) ? (int)N_ERROR_CLASSES : error_class_slot(cls);
	return atomic_load_explicit(&errors[slot].v, memory_order_relaxed);
}

void
cm_metrics_observe_latency_us(int64_t us)
{
	size_t i = 0;
	if (us < 0)
		us = 0;
	while (i < N_LATENCY_BOUNDS && us > latency_bounds_us[i])
		i++;
	atomic_fetch_add_explicit(&latency_buckets[i].v, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum_us.v, us, memory_order_relaxed);
}

int64_t
cm_metrics_latency_count(void)
{
	int64_t n = 0;
	for (size_t i = 0; i <= N_LATENCY_BOUNDS; i++)
		n += atomic_load_explicit(&latency_buckets[i].v, memory_order_relaxed);
	return n;
}

int64_t
cm_metrics_latency_bucket(int64_t le_us)
{
	int64_t n = 0;
	for (size_t i = 0; i < N_LATENCY_BOUNDS; i++) {
		n += atomic_load_explicit(&latency_buckets[i].v, memory_order_relaxed);
		if (latency_bounds_us[i] == le_us)
			return n;
	}
	return -1;
}

/* --- Registration ----------------------------------------------------------- */

static bool
valid_metric_name(const char *name)
{
	if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':'))
			return false;
	}
	return true;
}

cm_status
cm_metrics_register(const char *name, const char *help, cm_metric_kind kind, cm_metric **out)
{
	cm_status st = CM_ERROR;

	if (!valid_metric_name(name) || help == NULL)
		return CM_ERROR;
	for (size_t i = 0; i < CM_M__COUNT; i++)
		if (strcmp(builtin_meta[i].name, name) == 0)
			return CM_ERROR;
	if (strcmp(name, "pgkv_sql_errors_total") == 0 ||
	    strncmp(name, "pgkv_sql_query_latency_seconds", 30) == 0 ||
	    strcmp(name, "pgkv_build_info") == 0)
		return CM_ERROR;

	pthread_mutex_lock(&register_lock);
	int n = atomic_load_explicit(&n_registered, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (strcmp(registered[i].name, name) == 0) {
			if (registered[i].kind == kind) {
				*out = &registered[i];
				st = CM_OK;
			}
			goto done;
		}
	if (n < MAX_REGISTERED) {
		cm_metric *m = &registered[n];
		atomic_store_explicit(&m->v, 0, memory_order_relaxed);
		m->name = name;
		m->help = help;
		m->kind = kind;
		atomic_store_explicit(&n_registered, n + 1, memory_order_release);
		*out = m;
		st = CM_OK;
	}
done:
	pthread_mutex_unlock(&register_lock);
	return st;
}

void
cm_metric_add(cm_metric *m, int64_t n)
{
	atomic_fetch_add_explicit(&m->v, n, memory_order_relaxed);
}

void
cm_metric_set(cm_metric *m, int64_t v)
{
	atomic_store_explicit(&m->v, v, memory_order_relaxed);
}

int64_t
cm_metric_value(const cm_metric *m)
{
	return atomic_load_explicit(&((cm_metric *)m)->v, memory_order_relaxed);
}

/* --- Output ----------------------------------------------------------------- */

static void
render_header(cm_buf *out, const char *name, const char *help, const char *type)
{
	cm_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *
kind_name(cm_metric_kind k)
{
	return k == CM_METRIC_GAUGE ? "gauge" : "counter";
}

void
cm_metrics_render(cm_buf *out)
{
	for (int id = 0; id < CM_M__COUNT; id++) {
		render_header(out, builtin_meta[id].name, builtin_meta[id].help,
		              kind_name(builtin_meta[id].kind));
		if (id == CM_M_QUERIES) {
			for (int t = 0; t < CM_QT__COUNT; t++)
				cm_buf_printf(out, "%s{type=\"%s\"} %" PRId64 "\n", builtin_meta[id].name,
				              query_type_names[t],
				              atomic_load_explicit(&queries[t].v, memory_order_relaxed));
		} else
			cm_buf_printf(out, "%s %" PRId64 "\n", builtin_meta[id].name,
			              atomic_load_explicit(&scalars[id].v, memory_order_relaxed));
	}

	render_header(out, "pgkv_sql_errors_total",
	              "Errors returned to SQL clients, by SQLSTATE class.", "counter");
	for (size_t i = 0; i <= N_ERROR_CLASSES; i++) {
		int64_t v = atomic_load_explicit(&errors[i].v, memory_order_relaxed);
		if (v != 0)
			cm_buf_printf(out, "pgkv_sql_errors_total{class=\"%s\"} %" PRId64 "\n",
			              i < N_ERROR_CLASSES ? error_classes[i] : "other", v);
	}

	/* Histogram: buckets are stored per interval, printed cumulatively; _count
	 * is the +Inf bucket by construction. */
	render_header(out, "pgkv_sql_query_latency_seconds", "Statement execution latency in seconds.",
	              "histogram");
	int64_t cum = 0;
	for (size_t i = 0; i <= N_LATENCY_BOUNDS; i++) {
		cum += atomic_load_explicit(&latency_buckets[i].v, memory_order_relaxed);
		if (i < N_LATENCY_BOUNDS)
			cm_buf_printf(out, "pgkv_sql_query_latency_seconds_bucket{le=\"%g\"} %" PRId64 "\n",
			              (double)latency_bounds_us[i] / 1e6, cum);
		else
			cm_buf_printf(out, "pgkv_sql_query_latency_seconds_bucket{le=\"+Inf\"} %" PRId64 "\n",
			              cum);
	}
	int64_t sum_us = atomic_load_explicit(&latency_sum_us.v, memory_order_relaxed);
	cm_buf_printf(out, "pgkv_sql_query_latency_seconds_sum %" PRId64 ".%06" PRId64 "\n",
	              sum_us / 1000000, sum_us % 1000000);
	cm_buf_printf(out, "pgkv_sql_query_latency_seconds_count %" PRId64 "\n", cum);

	render_header(out, "pgkv_build_info", "Build information; the value is always 1.", "gauge");
	cm_buf_printf(out, "pgkv_build_info{version=\"%s\"} 1\n", PGKV_VERSION);

	int n = atomic_load_explicit(&n_registered, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		render_header(out, registered[i].name, registered[i].help, kind_name(registered[i].kind));
		cm_buf_printf(out, "%s %" PRId64 "\n", registered[i].name,
		              atomic_load_explicit(&registered[i].v, memory_order_relaxed));
	}
}

void
cm_metrics_reset(void)
{
	for (size_t i = 0; i < CM_M__COUNT; i++)
		atomic_store_explicit(&scalars[i].v, 0, memory_order_relaxed);
	for (size_t i = 0; i < CM_QT__COUNT; i++)
		atomic_store_explicit(&queries[i].v, 0, memory_order_relaxed);
	for (size_t i = 0; i <= N_ERROR_CLASSES; i++)
		atomic_store_explicit(&errors[i].v, 0, memory_order_relaxed);
	for (size_t i = 0; i <= N_LATENCY_BOUNDS; i++)
		atomic_store_explicit(&latency_buckets[i].v, 0, memory_order_relaxed);
	atomic_store_explicit(&latency_sum_us.v, 0, memory_order_relaxed);
	int n = atomic_load_explicit(&n_registered, memory_order_acquire);
	for (int i = 0; i < n; i++)
		atomic_store_explicit(&registered[i].v, 0, memory_order_relaxed);
}
