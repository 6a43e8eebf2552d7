/*
 * sem_dt_internal.h -- private contract between the sem_dt_*.c files.
 *
 * Not for use outside sql/sem: the public face of date/time support is
 * sem_datetime.h.  This header holds the broken-down time struct, the
 * calendar arithmetic (Julian day numbers), the range limits PostgreSQL
 * uses, and the time zone engine (sem_dt_tz.c).
 *
 * Conventions:
 *   - years are astronomical (0 = 1 BC, -1 = 2 BC); text I/O converts.
 *   - zone offsets are seconds EAST of UTC (ISO sense: +01 for Berlin).
 *   - dates are days since 2000-01-01, timestamps microseconds since then.
 */
#ifndef PGKV_SEM_DT_INTERNAL_H
#define PGKV_SEM_DT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "sql/sem/sem_types.h"

#define DT_USECS_PER_SEC INT64_C(1000000)
#define DT_USECS_PER_MIN INT64_C(60000000)
#define DT_USECS_PER_HOUR INT64_C(3600000000)
#define DT_USECS_PER_DAY INT64_C(86400000000)
#define DT_SECS_PER_DAY 86400
#define DT_DAYS_PER_MONTH 30
#define DT_MONTHS_PER_YEAR 12

#define DT_EPOCH_JD 2451545			/* Julian day of 2000-01-01 */
#define DT_UNIX_EPOCH_JD 2440588	/* Julian day of 1970-01-01 */
#define DT_UNIX_EPOCH_SECS (INT64_C(946684800))	/* 2000-01-01 in Unix seconds */

/* Valid ranges (PostgreSQL's): Julian day 0 is 4714-11-24 BC. */
#define DT_DATE_END_JD 2147483494	/* 5874898-01-01, exclusive */
#define DT_TS_END_JD 109203528		/* 294277-01-01, exclusive */
#define DT_MIN_TIMESTAMP INT64_C(-211813488000000000)
#define DT_END_TIMESTAMP INT64_C(9223371331200000000)

/* Infinite values as PostgreSQL stores them. */
#define DT_DATE_NOBEGIN ((int64_t) INT32_MIN)
#define DT_DATE_NOEND ((int64_t) INT32_MAX)
#define DT_TS_NOBEGIN INT64_MIN
#define DT_TS_NOEND INT64_MAX

static inline bool dt_date_finite(int64_t d) { return d != DT_DATE_NOBEGIN && d != DT_DATE_NOEND; }
static inline bool dt_ts_finite(int64_t t) { return t != DT_TS_NOBEGIN && t != DT_TS_NOEND; }
static inline bool dt_ts_valid(int64_t t) { return t >= DT_MIN_TIMESTAMP && t < DT_END_TIMESTAMP; }

/* Broken-down time. */
typedef struct dt_tm {
	int year;			/* astronomical */
	int mon;			/* 1..12 */
	int mday;			/* 1..31 */
	int hour, min, sec;
	int32_t usec;		/* 0..999999 */
	int gmtoff;			/* seconds east of UTC, for timestamptz */
	bool isdst;
	const char *abbrev;	/* zone abbreviation or NULL; static/zone memory */
} dt_tm;

/* ---- calendar (sem_datetime.c) ---- */
int64_t dt_date2j(int64_t y, int m, int d);
void dt_j2date(int64_t jd, int *y, int *m, int *d);
bool dt_isleap(int y);
int dt_days_in_month(int y, int m);
/* Day of week of a Julian day: 0 = Sunday. */
int dt_j2day(int64_t jd);
/* ISO 8601 week number / ISO year of a date. */
int dt_iso_week(int y, int m, int d);
int dt_iso_year(int y, int m, int d);
/* Julian day of the Monday of ISO week 1 of the ISO year. */
int64_t dt_iso_week1_j(int isoyear);

/* Timestamp (no zone) <-> broken-down.  ts2tm never fails for finite ts. */
void dt_ts2tm(int64_t ts, dt_tm *tm);
/* Returns false when the result is out of the timestamp range. */
bool dt_tm2ts(const dt_tm *tm, int64_t *ts);
/* timestamptz <-> local broken-down time in zone `tz`. */
void dt_tstz2tm(int64_t ts, const char *tz, dt_tm *tm);
bool dt_tm2tstz(const dt_tm *tm, const char *tz, int64_t *ts);
/* Local timestamp (no zone) -> UTC timestamptz in zone tz (PostgreSQL's
 * gap/overlap rule).  Returns false when out of range. */
bool dt_local2utc(int64_t local, const char *tz, int64_t *utc);
/* UTC -> local timestamp in zone tz. */
bool dt_utc2local(int64_t utc, const char *tz, int64_t *local);

/* ---- time zones (sem_dt_tz.c) ---- */
typedef struct dt_zone dt_zone;
/* Per-thread cached zone for a TimeZone setting value (name, POSIX string,
 * numeric-offset form); NULL if invalid.  NULL/empty name = UTC. */
const dt_zone *dt_zone_get(const char *name);
/* Zone for a name as it appears inside a date/time literal ("America/New_York"). */
const dt_zone *dt_zone_lookup_literal(const char *name, size_t len);
/* Zone for a text argument (AT TIME ZONE, date_trunc's zone): abbreviation
 * (fixed), zone name, POSIX string ('+05' = 5 hours WEST); NULL if unknown. */
const dt_zone *dt_zone_lookup_text(const char *name, size_t len);
/* Offset (seconds east) in effect at Unix time t; isdst/abbrev optional. */
int dt_zone_offset_utc(const dt_zone *z, int64_t t, bool *isdst, const char **abbrev);
/* Offset (seconds east) to use for local Unix-like time `local`
 * (seconds since 1970 of the wall clock), PostgreSQL's rule for gaps/overlaps. */
int dt_zone_offset_local(const dt_zone *z, int64_t local, bool *isdst);
/* Fixed-offset abbreviation table lookup (UTC, EST, CEST...): returns true and
 * the offset (seconds east) and dst flag. Case-insensitive. */
bool dt_abbrev_lookup(const char *s, size_t len, int *off, bool *isdst);
/* Format a zone name for a fixed offset the way PostgreSQL shows SET TIME
 * ZONE <number>: "<+05:30>-05:30".  buf >= 32 bytes. */
void dt_offset_zone_name(int secs_east, char *buf, size_t buflen);

/* ---- text parsing (sem_dt_parse.c) ---- */
cm_status dt_parse_datetime(sem_ctx *ctx, sem_oid type, const char *s, size_t len,
							int64_t *out, cm_error *err) CM_MUST_CHECK;
cm_status dt_parse_interval(sem_ctx *ctx, const char *s, size_t len, int32_t typmod,
							sem_datum *out, cm_error *err) CM_MUST_CHECK;

/* ---- text output (sem_dt_format.c) ---- */
void dt_format_date(int64_t d, cm_buf *out);
void dt_format_time(int64_t t, cm_buf *out);
void dt_format_timestamp(int64_t ts, const char *tz, bool withtz, cm_buf *out);
void dt_format_interval(sem_intervalstyle style, const sem_datum *iv, cm_buf *out);
/* Append fractional seconds ".ffffff" with trailing zeros trimmed (nothing if 0). */
void dt_append_frac(cm_buf *out, int32_t usec);

/* ---- shared helpers (sem_datetime.c) ---- */
/* Apply interval typmod (fields + precision); false on overflow. */
bool dt_interval_typmod(sem_datum *iv, int32_t typmod);
/* Round microseconds to `prec` digits (half away from zero). */
int64_t dt_round_prec(int64_t us, int prec);
/* Interval span in microseconds as 128-bit (months = 30 days). */
__int128 dt_interval_span(const sem_datum *iv);
/* timestamp + interval; withtz uses zone tz for the month/day steps. */
cm_status dt_ts_pl_interval(int64_t ts, const sem_datum *iv, bool withtz, const char *tz,
							int64_t *out, cm_error *err) CM_MUST_CHECK;
const char *dt_type_name(sem_oid oid);

/* ---- to_char / to_date / to_timestamp / to_number (sem_formatting.c) ---- */
void sem_fmt_register_builtins(void);

#endif /* PGKV_SEM_DT_INTERNAL_H */
