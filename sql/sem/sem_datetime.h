/*
 * sem_datetime.h -- date, time, timestamp, timestamptz and interval.
 *
 * Text and binary I/O, casts, comparison and the session time zone for the
 * PostgreSQL date/time types, with PostgreSQL 15's formats and rules
 * (DateStyle ISO output, MDY/DMY/YMD input order, all four IntervalStyles).
 * Datum layout is fixed by sem_types.h: date = days since 2000-01-01 in v.i
 * (INT32_MIN / INT32_MAX = -infinity / infinity), time = microseconds since
 * midnight, timestamp(tz) = microseconds since 2000-01-01 00:00 (timestamptz
 * in UTC; INT64_MIN / INT64_MAX = -infinity / infinity), interval = v.iv.
 *
 * The session TimeZone (ctx->timezone) is resolved from the system tzdata
 * by this module, per thread; the process-wide TZ is never used.
 *
 * Exported:
 *   sem_dt_is_datetime     true for the five date/time type OIDs
 *   sem_dt_in_text         parse text input of a date/time type
 *   sem_dt_out_text        append text output
 *   sem_dt_in_binary       PostgreSQL *_recv
 *   sem_dt_out_binary      PostgreSQL *_send
 *   sem_dt_cast            casts among date/time types, from/to text, typmods
 *   sem_dt_compare         three-way comparison within one type
 *   sem_dt_compare_cross   comparison across date/timestamp/timestamptz
 *   sem_dt_valid_timezone  validate (and canonicalise) a TimeZone value
 *   sem_dt_offset_timezone canonical TimeZone name for a fixed offset
 *   sem_dt_now_us          wall clock, microseconds since 2000-01-01 UTC
 *   (sem_dt_register_builtins, declared in sem_func.h, registers the
 *    operators and functions; implemented in sem_dt_funcs.c)
 */
#ifndef PGKV_SEM_DATETIME_H
#define PGKV_SEM_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "sql/sem/sem_types.h"

/* True for date, time, timestamp, timestamptz, interval. */
bool sem_dt_is_datetime(sem_oid oid);

/*
 * Parse text s[0..len) as type `type` (typmod honoured: precision of
 * time/timestamp(tz), fields and precision of interval).  Reads
 * ctx->timezone, ctx->dateorder, ctx->txn_timestamp ('now', 'today').
 * Errors as PostgreSQL: 22007 invalid syntax, 22008 field out of range or
 * value out of range, 22009 zone displacement, 22015 interval field, 22023
 * unknown zone.  *out is filled on CM_OK; no memory is allocated.
 */
cm_status sem_dt_in_text(sem_ctx *ctx, sem_type type, const char *s, size_t len,
						 sem_datum *out, cm_error *err) CM_MUST_CHECK;

/* Append the text form of *d (not NULL) to out, using ctx->timezone and
 * ctx->intervalstyle.  Date/time output is always DateStyle ISO. */
void sem_dt_out_text(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out);

/*
 * Binary input (PostgreSQL's recv): date int32 BE days; time, timestamp,
 * timestamptz int64 BE microseconds; interval int64 us + int32 days +
 * int32 months.  22P03 on a wrong length, 22008 on an out-of-range value.
 */
cm_status sem_dt_in_binary(sem_ctx *ctx, sem_type type, const char *p, size_t len,
						   sem_datum *out, cm_error *err) CM_MUST_CHECK;
/* Binary output (PostgreSQL's send), appended to out. */
cm_status sem_dt_out_binary(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out,
							cm_error *err) CM_MUST_CHECK;

/*
 * Cast *in of type `from` to type `to` with `typmod` (-1 = none).
 * Handles date<->timestamp<->timestamptz (through the session zone),
 * timestamp(tz)->time, time<->interval, text-like types (text, varchar,
 * bpchar, name, unknown) to and from every date/time type (text results
 * are allocated in ctx->arena), and same-type typmod rounding.
 * 42846 for a cast that PostgreSQL does not have; 22008 out of range.
 */
cm_status sem_dt_cast(sem_ctx *ctx, sem_oid from, sem_oid to, int32_t typmod,
					  const sem_datum *in, sem_datum *out, cm_error *err) CM_MUST_CHECK;

/* <0, 0, >0.  Both values of the same type, not NULL.  Intervals compare by
 * their span with months = 30 days and days = 24 hours, as PostgreSQL. */
int sem_dt_compare(sem_oid type, const sem_datum *a, const sem_datum *b);

/* Compare values of two (possibly different) types among date, timestamp
 * and timestamptz, converting as PostgreSQL's cross-type operators do
 * (session zone for timestamptz). */
int sem_dt_compare_cross(sem_ctx *ctx, sem_oid ta, const sem_datum *a, sem_oid tb,
						 const sem_datum *b);

/*
 * Validate a TimeZone setting value: a zone name (case-insensitive),
 * a POSIX TZ string ("UTC+3" is 3 hours WEST), a number of hours
 * ("-7" = UTC-7) or "INTERVAL '+05:30'".  On success, when canonical is
 * non-NULL, *canonical receives a malloc'd string the caller frees: the
 * name as SHOW TimeZone prints it ("America/New_York", "<-07>+07").
 * PostgreSQL's error for false: 22023 invalid value for parameter
 * "TimeZone": "Foo/Bar".  Thread-safe (per-thread zone cache).
 */
bool sem_dt_valid_timezone(const char *name, char **canonical);

/* TimeZone name for a fixed offset given in seconds east of UTC, as
 * SET TIME ZONE <number> / INTERVAL shows it: "<+05:30>-05:30".
 * Writes into buf (>= 32 bytes). */
void sem_dt_offset_timezone(int secs_east, char *buf, size_t buflen);

/* Current time: microseconds since 2000-01-01 00:00:00 UTC. */
int64_t sem_dt_now_us(void);

#endif /* PGKV_SEM_DATETIME_H */
