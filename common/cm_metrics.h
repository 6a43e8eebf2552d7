/*
 * cm_metrics.h -- process-wide metrics registry, rendered as Prometheus text.
 *
 * Updates come from every thread (readers, executors, the event loop), so the
 * hot path is one relaxed C11 atomic add on a cache-line-aligned counter: no
 * lock, no allocation.  Reading (cm_metrics_render, from the status HTTP
 * thread) takes no lock either; each value is read atomically, the set as a
 * whole is not a snapshot (a histogram's _count is computed from the same
 * bucket reads it prints, so it always equals the +Inf bucket).
 *
 * Built-in metrics (fixed at compile time):
 *   pgkv_sql_connections_open                       gauge
 *   pgkv_sql_connections_total                      counter
 *   pgkv_sql_queries_total{type="select|..."}       counter per cm_query_type
 *   pgkv_sql_errors_total{class="42"}               counter per SQLSTATE class
 *   pgkv_sql_query_latency_seconds                  histogram (100us .. 10s)
 *   pgkv_sql_txn_retries_total                      counter
 *   pgkv_sql_txn_client_retry_errors_total          counter
 *   pgkv_draining                                   gauge (0/1)
 *   pgkv_sessions_remaining                         gauge
 *   pgkv_build_info{version="..."}                  gauge, always 1
 * Other modules may register their own counters and gauges at start-up with
 * cm_metrics_register() and update them through the returned handle.
 *
 * Exported:
 *   cm_query_type, cm_query_type_name()
 *   cm_metric_id, cm_metrics_inc/add/get(), cm_metrics_gauge_set/add()
 *   cm_metrics_query(), cm_metrics_error(), cm_metrics_error_count()
 *   cm_metrics_observe_latency_us()
 *   cm_metrics_register(), cm_metric_add/set/value()
 *   cm_metrics_render(), cm_metrics_reset()
 */
#ifndef PGKV_CM_METRICS_H
#define PGKV_CM_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "cm_buf.h"
#include "cm_status.h"

/* Statement kinds counted by pgkv_sql_queries_total. */
typedef enum cm_query_type {
	CM_QT_SELECT = 0,
	CM_QT_INSERT,
	CM_QT_UPDATE,
	CM_QT_DELETE,
	CM_QT_DDL,   /* CREATE, ALTER, DROP, TRUNCATE, ... */
	CM_QT_TCL,   /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ... */
	CM_QT_SET,   /* SET, RESET */
	CM_QT_SHOW,  /* SHOW */
	CM_QT_OTHER, /* everything else */
	CM_QT__COUNT
} cm_query_type;

/* "select", "insert", ...; "other" for an out-of-range value. */
const char *cm_query_type_name(cm_query_type t);

/* Built-in scalar metrics.  CM_M_QUERIES is labelled by cm_query_type; the
 * others take label 0. */
typedef enum cm_metric_id {
	CM_M_CONNECTIONS_OPEN = 0,    /* gauge */
	CM_M_CONNECTIONS_TOTAL,       /* counter */
	CM_M_QUERIES,                 /* counter, label = cm_query_type */
	CM_M_TXN_RETRIES,             /* counter: automatic retries done by the server */
	CM_M_TXN_CLIENT_RETRY_ERRORS, /* counter: 40001 errors sent to clients */
	CM_M_DRAINING,                /* gauge: 1 while draining */
	CM_M_SESSIONS_REMAINING,      /* gauge: sessions left during a drain */
	CM_M__COUNT
} cm_metric_id;

/* Add 1 / n to a built-in metric.  label is the cm_query_type for
 * CM_M_QUERIES and 0 otherwise; an out-of-range id or label is ignored
 * (label clamps to "other" for CM_M_QUERIES). */
void cm_metrics_inc(cm_metric_id id, int label);
void cm_metrics_add(cm_metric_id id, int label, int64_t n);
/* Current value (tests, drain progress). */
int64_t cm_metrics_get(cm_metric_id id, int label);
/* Gauges: set to v / add delta (may be negative).  Label 0. */
void cm_metrics_gauge_set(cm_metric_id id, int64_t v);
void cm_metrics_gauge_add(cm_metric_id id, int64_t delta);

/* Shorthand for cm_metrics_inc(CM_M_QUERIES, t). */
static inline void
cm_metrics_query(cm_query_type t)
{
	cm_metrics_inc(CM_M_QUERIES, (int)t);
}

/* Count an error sent to a client by its SQLSTATE (5 characters; only the
 * first two, the class, are used).  Unknown classes count as "other". */
void cm_metrics_error(const char *sqlstate);
/* Errors counted for a class ("42", or "other"). */
int64_t cm_metrics_error_count(const char *cls);

/* Record one statement's latency in microseconds (negative counts as 0). */
void cm_metrics_observe_latency_us(int64_t us);
/* Number of observations so far, and how many fell at or below le_us
 * (le_us must be one of the bucket bounds, else returns -1). */
int64_t cm_metrics_latency_count(void);
int64_t cm_metrics_latency_bucket(int64_t le_us);

/* --- Metrics registered by other modules --------------------------------- */

typedef struct cm_metric cm_metric; /* opaque; lives as long as the process */

typedef enum cm_metric_kind {
	CM_METRIC_COUNTER,
	CM_METRIC_GAUGE,
} cm_metric_kind;

/*
 * Register a metric named name (Prometheus syntax [a-zA-Z_:][a-zA-Z0-9_:]*;
 * counters should end in _total) with a one-line help text.  Both strings
 * must live as long as the process (string literals).  Registering a name
 * twice with the same kind returns the same handle.  Meant for start-up;
 * safe from any thread (a mutex serialises registration only).  Returns
 * CM_ERROR if the name is invalid, taken by a metric of another kind or a
 * built-in, or the registry (64 entries) is full.
 */
CM_MUST_CHECK cm_status cm_metrics_register(const char *name, const char *help, cm_metric_kind kind,
                                            cm_metric **out);
/* Lock-free updates and read of a registered metric. */
void cm_metric_add(cm_metric *m, int64_t n);
void cm_metric_set(cm_metric *m, int64_t v);
int64_t cm_metric_value(const cm_metric *m);

/* --- Output --------------------------------------------------------------- */

/* Append every metric in Prometheus text exposition format 0.0.4 (# HELP and
 * # TYPE lines, one sample per line, newline-terminated) to out.  Error
 * classes are listed once they have counted something. */
void cm_metrics_render(cm_buf *out);

/* Zero every value (built-in and registered; registrations stay).  For
 * tests; not atomic with respect to concurrent updates. */
void cm_metrics_reset(void);

#endif /* PGKV_CM_METRICS_H */
