/*
 * sem_dt_format.c -- text output of the date/time types.
 *
 * DateStyle ISO (the only output style pgkv offers): 2024-01-02,
 * 03:04:05.123456, 2024-01-02 03:04:05+01, "+05:30" / "+05:53:28" zone
 * offsets, " BC" after everything for years <= 0, "infinity" / "-infinity".
 * Intervals in all four IntervalStyles (postgres, postgres_verbose,
 * sql_standard, iso_8601), matching PostgreSQL 15's output byte for byte.
 *
 * Exported (sem_dt_internal.h): dt_format_date, dt_format_time,
 * dt_format_timestamp, dt_format_interval, dt_append_frac.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/sem/sem_dt_internal.h"

void dt_append_frac(cm_buf *out, int32_t usec)
{
	if (usec < 0)
		usec = -usec;
	if (usec == 0)
		return;
	char d[16];
	snprintf(d, sizeof d, "%06d", (int) usec);
	int n = 6;
	while (n > 0 && d[n - 1] == '0')
		n--;
	cm_buf_putc(out, '.');
	cm_buf_append(out, d, (size_t) n);
}

static void put_ymd(cm_buf *out, int y, int m, int d)
{
	cm_buf_printf(out, "%04d-%02d-%02d", y > 0 ? y : 1 - y, m, d);
}

void dt_format_date(int64_t d, cm_buf *out)
{
	if (d == DT_DATE_NOBEGIN) {
		cm_buf_puts(out, "-infinity");
		return;
	}
	if (d == DT_DATE_NOEND) {
		cm_buf_puts(out, "infinity");
		return;
	}
	int y, m, dd;
	dt_j2date(d + DT_EPOCH_JD, &y, &m, &dd);
	put_ymd(out, y, m, dd);
	if (y <= 0)
		cm_buf_puts(out, " BC");
}

void dt_format_time(int64_t t, cm_buf *out)
{
	int64_t h = t / DT_USECS_PER_HOUR;
	t -= h * DT_USECS_PER_HOUR;
	int64_t m = t / DT_USECS_PER_MIN;
	t -= m * DT_USECS_PER_MIN;
	int64_t s = t / DT_USECS_PER_SEC;
	cm_buf_printf(out, "%02d:%02d:%02d", (int) h, (int) m, (int) s);
	dt_append_frac(out, (int32_t) (t - s * DT_USECS_PER_SEC));
}

/* "+01", "+05:30", "-03:30", "+05:53:28" */
static void put_offset(cm_buf *out, int east)
{
	int a = abs(east);
	cm_buf_printf(out, "%c%02d", east < 0 ? '-' : '+', a / 3600);
	if (a % 3600 != 0) {
		cm_buf_printf(out, ":%02d", (a / 60) % 60);
		if (a % 60 != 0)
			cm_buf_printf(out, ":%02d", a % 60);
	}
}

void dt_format_timestamp(int64_t ts, const char *tz, bool withtz, cm_buf *out)
{
	if (ts == DT_TS_NOBEGIN) {
		cm_buf_puts(out, "-infinity");
		return;
	}
	if (ts == DT_TS_NOEND) {
		cm_buf_puts(out, "infinity");
		return;
	}
	dt_tm tm;
	if (withtz)
		dt_tstz2tm(ts, tz, &tm);
	else
		dt_ts2tm(ts, &tm);
	put_ymd(out, tm.year, tm.mon, tm.mday);
	cm_buf_printf(out, " %02d:%02d:%02d", tm.hour, tm.min, tm.sec);
	dt_append_frac(out, tm.usec);
	if (withtz)
		put_offset(out, tm.gmtoff);
	if (tm.year <= 0)
		cm_buf_puts(out, " BC");
}

/* Interval broken into signed fields, each with the sign of its source. */
typedef struct iv_fields {
	int32_t year, mon, day;
	int64_t hour, min, sec;
	int32_t usec;
} iv_fields;

static void iv_split(const sem_datum *d, iv_fields *f)
{
	f->year = d->v.iv.month / 12;
	f->mon = d->v.iv.month % 12;
	f->day = d->v.iv.day;
	int64_t t = d->v.iv.time;
	f->hour = t / DT_USECS_PER_HOUR;
	t -= f->hour * DT_USECS_PER_HOUR;
	f->min = t / DT_USECS_PER_MIN;
	t -= f->min * DT_USECS_PER_MIN;
	f->sec = t / DT_USECS_PER_SEC;
	f->usec = (int32_t) (t - f->sec * DT_USECS_PER_SEC);
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Seconds as |sec|[.frac], zero-padded to two digits if pad. */
static void put_secs(cm_buf *out, int64_t sec, int32_t usec, bool pad)
{
	cm_buf_printf(out, pad ? "%02" PRId64 : "%" PRId64, abs64(sec));
	dt_append_frac(out, usec);
}

static void pg_part(cm_buf *out, int64_t v, const char *unit, bool *zero, bool *before)
{
	if (v == 0)
		return;
	cm_buf_printf(out, "%s%s%" PRId64 " %s%s", *zero ? "" : " ", (*before && v > 0) ? "+" : "", v,
				  unit, v != 1 ? "s" : "");
	*before = v < 0;
	*zero = false;
}

static void verbose_part(cm_buf *out, int64_t v, const char *unit, bool *zero, bool *before)
{
	if (v == 0)
		return;
	if (*zero) {
		*before = v < 0;
		v = abs64(v);
	} else if (*before) {
		v = -v;
	}
	cm_buf_printf(out, " %" PRId64 " %s%s", v, unit, v == 1 ? "" : "s");
	*zero = false;
}

static void iso_part(cm_buf *out, int64_t v, char unit)
{
	if (v != 0)
		cm_buf_printf(out, "%" PRId64 "%c", v, unit);
}

void dt_format_interval(sem_intervalstyle style, const sem_datum *d, cm_buf *out)
{
	iv_fields f;
	iv_split(d, &f);
	bool zero = true, before = false;
	switch (style) {
	case SEM_INTERVALSTYLE_ISO_8601:
		if (f.year == 0 && f.mon == 0 && f.day == 0 && f.hour == 0 && f.min == 0 && f.sec == 0 &&
			f.usec == 0) {
			cm_buf_puts(out, "PT0S");
			return;
		}
		cm_buf_putc(out, 'P');
		iso_part(out, f.year, 'Y');
		iso_part(out, f.mon, 'M');
		iso_part(out, f.day, 'D');
		if (f.hour != 0 || f.min != 0 || f.sec != 0 || f.usec != 0)
			cm_buf_putc(out, 'T');
		iso_part(out, f.hour, 'H');
		iso_part(out, f.min, 'M');
		if (f.sec != 0 || f.usec != 0) {
			if (f.sec < 0 || f.usec < 0)
				cm_buf_putc(out, '-');
			put_secs(out, f.sec, f.usec, false);
			cm_buf_putc(out, 'S');
		}
		return;
	case SEM_INTERVALSTYLE_SQL_STANDARD: {
		bool neg = f.year < 0 || f.mon < 0 || f.day < 0 || f.hour < 0 || f.min < 0 || f.sec < 0 ||
				   f.usec < 0;
		bool pos = f.year > 0 || f.mon > 0 || f.day > 0 || f.hour > 0 || f.min > 0 || f.sec > 0 ||
				   f.usec > 0;
		bool ym = f.year != 0 || f.mon != 0;
		bool dtime = f.day != 0 || f.hour != 0 || f.min != 0 || f.sec != 0 || f.usec != 0;
		bool standard = !(neg && pos) && !(ym && dtime);
		if (!neg && !pos) {
			cm_buf_putc(out, '0');
			return;
		}
		if (!standard) {
			cm_buf_printf(out, "%c%" PRId64 "-%" PRId64 " %c%" PRId64 " %c%" PRId64 ":%02" PRId64 ":",
						  (f.year < 0 || f.mon < 0) ? '-' : '+', abs64(f.year), abs64(f.mon),
						  f.day < 0 ? '-' : '+', abs64(f.day),
						  (f.hour < 0 || f.min < 0 || f.sec < 0 || f.usec < 0) ? '-' : '+',
						  abs64(f.hour), abs64(f.min));
			put_secs(out, f.sec, f.usec, true);
			return;
		}
		if (neg)
			cm_buf_putc(out, '-');
		if (ym)
			cm_buf_printf(out, "%" PRId64 "-%" PRId64, abs64(f.year), abs64(f.mon));
		else if (f.day != 0) {
			cm_buf_printf(out, "%" PRId64 " %" PRId64 ":%02" PRId64 ":", abs64(f.day), abs64(f.hour),
						  abs64(f.min));
			put_secs(out, f.sec, f.usec, true);
		} else {
			cm_buf_printf(out, "%" PRId64 ":%02" PRId64 ":", abs64(f.hour), abs64(f.min));
			put_secs(out, f.sec, f.usec, true);
		}
		return;
	}
	case SEM_INTERVALSTYLE_POSTGRES_VERBOSE:
		cm_buf_putc(out, '@');
		verbose_part(out, f.year, "year", &zero, &before);
		verbose_part(out, f.mon, "mon", &zero, &before);
		verbose_part(out, f.day, "day", &zero, &before);
		verbose_part(out, f.hour, "hour", &zero, &before);
		verbose_part(out, f.min, "min", &zero, &before);
		if (f.sec != 0 || f.usec != 0) {
			cm_buf_putc(out, ' ');
			if (f.sec < 0 || (f.sec == 0 && f.usec < 0)) {
				if (zero)
					before = true;
				else if (!before)
					cm_buf_putc(out, '-');
			} else if (before) {
				cm_buf_putc(out, '-');
			}
			put_secs(out, f.sec, f.usec, false);
			cm_buf_printf(out, " sec%s", (abs64(f.sec) != 1 || f.usec != 0) ? "s" : "");
			zero = false;
		}
		if (zero)
			cm_buf_puts(out, " 0");
		if (before)
			cm_buf_puts(out, " ago");
		return;
	case SEM_INTERVALSTYLE_POSTGRES:
	default:
		pg_part(out, f.year, "year", &zero, &before);
		pg_part(out, f.mon, "mon", &zero, &before);
		pg_part(out, f.day, "day", &zero, &before);
		if (zero || f.hour != 0 || f.min != 0 || f.sec != 0 || f.usec != 0) {
			bool minus = f.hour < 0 || f.min < 0 || f.sec < 0 || f.usec < 0;
			cm_buf_printf(out, "%s%s%02" PRId64 ":%02" PRId64 ":", zero ? "" : " ",
						  minus ? "-" : (before ? "+" : ""), abs64(f.hour), abs64(f.min));
			put_secs(out, f.sec, f.usec, true);
		}
		return;
	}
}
