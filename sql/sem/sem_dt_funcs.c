/*
 * sem_dt_funcs.c -- SQL operators and functions on the date/time types.
 *
 * Everything here is a sem_fn_impl registered through
 * sem_dt_register_builtins() (declared in sem_func.h): arithmetic
 * (date +/- int, date - date, date + time/interval, timestamp(tz) +/-
 * interval, timestamp - timestamp, interval + - * /), comparisons within
 * and across date/timestamp/timestamptz, the clock functions (now() and
 * friends), date_trunc, extract/date_part, age, make_*, to_timestamp,
 * justify_*, isfinite and timezone() (AT TIME ZONE).
 *
 * Results follow PostgreSQL 15 (timestamp.c / date.c semantics): month
 * arithmetic clamps to the month end, timestamptz month/day steps happen
 * in the session zone, interval * float8 cascades fractions down
 * (months -> days -> microseconds), extract returns numeric with
 * PostgreSQL's scales, date_part float8.
 *
 * Exported: sem_dt_register_builtins.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_dt_internal.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

#define D SEM_DATEOID
#define T SEM_TIMEOID
#define TS SEM_TIMESTAMPOID
#define TZ SEM_TIMESTAMPTZOID
#define IV SEM_INTERVALOID
#define I4 SEM_INT4OID
#define F8 SEM_FLOAT8OID
#define TX SEM_TEXTOID
#define BO SEM_BOOLOID
#define NU SEM_NUMERICOID

static const char *ctz(sem_ctx *ctx) { return ctx ? ctx->timezone : NULL; }

static cm_status ts_range(cm_error *err)
{
	return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
}

static cm_status iv_range(cm_error *err)
{
	return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "interval out of range");
}

static cm_status ret_i(sem_datum *out, int64_t v)
{
	memset(out, 0, sizeof(*out));
	out->v.i = v;
	return CM_OK;
}

static cm_status ret_iv(sem_datum *out, int64_t time, int64_t day, int64_t month, cm_error *err)
{
	if (day > INT32_MAX || day < INT32_MIN || month > INT32_MAX || month < INT32_MIN)
		return iv_range(err);
	memset(out, 0, sizeof(*out));
	out->v.iv.time = time;
	out->v.iv.day = (int32_t) day;
	out->v.iv.month = (int32_t) month;
	return CM_OK;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Lower-cased copy of a text argument (bounded). */
static void text_arg(const sem_datum *d, char *buf, size_t n)
{
	size_t l = d->v.s.len < n - 1 ? d->v.s.len : n - 1;
	for (size_t i = 0; i < l; i++)
		buf[i] = (char) (d->v.s.p[i] >= 'A' && d->v.s.p[i] <= 'Z' ? d->v.s.p[i] + 32 : d->v.s.p[i]);
	buf[l] = '\0';
}

/* ------------------------------------------------------------------ */
/* Arithmetic                                                           */
/* ------------------------------------------------------------------ */

static bool date_ok(int64_t d)
{
	return d + DT_EPOCH_JD >= 0 && d + DT_EPOCH_JD < DT_DATE_END_JD;
}

static cm_status date_pl_int(ARGS)
{
	int64_t d = args[0].v.i, n = args[1].v.i;
	if (!dt_date_finite(d))
		return ret_i(out, d);
	if (!date_ok(d + n))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range");
	return ret_i(out, d + n);
}

static cm_status int_pl_date(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return date_pl_int(ctx, 2, a, out, err);
}

static cm_status date_mi_int(ARGS)
{
	int64_t d = args[0].v.i, n = args[1].v.i;
	if (!dt_date_finite(d))
		return ret_i(out, d);
	if (!date_ok(d - n))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range");
	return ret_i(out, d - n);
}

static cm_status date_mi_date(ARGS)
{
	if (!dt_date_finite(args[0].v.i) || !dt_date_finite(args[1].v.i))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "cannot subtract infinite dates");
	return ret_i(out, args[0].v.i - args[1].v.i);
}

static cm_status date2ts(int64_t d, int64_t *ts, cm_error *err)
{
	sem_datum in, o;
	memset(&in, 0, sizeof in);
	in.v.i = d;
	if (sem_dt_cast(NULL, D, TS, -1, &in, &o, err) != CM_OK)
		return CM_ERROR;
	*ts = o.v.i;
	return CM_OK;
}

static cm_status date_pl_time(ARGS)
{
	int64_t ts;
	if (date2ts(args[0].v.i, &ts, err) != CM_OK)
		return CM_ERROR;
	if (dt_ts_finite(ts)) {
		ts += args[1].v.i;
		if (!dt_ts_valid(ts))
			return ts_range(err);
	}
	return ret_i(out, ts);
}

static cm_status time_pl_date(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return date_pl_time(ctx, 2, a, out, err);
}

static cm_status neg_iv(const sem_datum *in, sem_datum *out, cm_error *err)
{
	if (in->v.iv.time == INT64_MIN || in->v.iv.day == INT32_MIN || in->v.iv.month == INT32_MIN)
		return iv_range(err);
	*out = *in;
	out->v.iv.time = -in->v.iv.time;
	out->v.iv.day = -in->v.iv.day;
	out->v.iv.month = -in->v.iv.month;
	return CM_OK;
}

static cm_status ts_pl_iv(ARGS)
{
	int64_t r;
	if (dt_ts_pl_interval(args[0].v.i, &args[1], false, NULL, &r, err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, r);
}

static cm_status iv_pl_ts(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return ts_pl_iv(ctx, 2, a, out, err);
}

static cm_status ts_mi_iv(ARGS)
{
	sem_datum a[2] = { args[0], args[1] };
	if (neg_iv(&args[1], &a[1], err) != CM_OK)
		return CM_ERROR;
	return ts_pl_iv(ctx, 2, a, out, err);
}

static cm_status tstz_pl_iv(ARGS)
{
	int64_t r;
	if (dt_ts_pl_interval(args[0].v.i, &args[1], true, ctz(ctx), &r, err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, r);
}

static cm_status iv_pl_tstz(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return tstz_pl_iv(ctx, 2, a, out, err);
}

static cm_status tstz_mi_iv(ARGS)
{
	sem_datum a[2] = { args[0], args[1] };
	if (neg_iv(&args[1], &a[1], err) != CM_OK)
		return CM_ERROR;
	return tstz_pl_iv(ctx, 2, a, out, err);
}

static cm_status date_pl_iv(ARGS)
{
	sem_datum a[2] = { args[0], args[1] };
	if (date2ts(args[0].v.i, &a[0].v.i, err) != CM_OK)
		return CM_ERROR;
	return ts_pl_iv(ctx, 2, a, out, err);
}

static cm_status iv_pl_date(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return date_pl_iv(ctx, 2, a, out, err);
}

static cm_status date_mi_iv(ARGS)
{
	sem_datum a[2] = { args[0], args[1] };
	if (date2ts(args[0].v.i, &a[0].v.i, err) != CM_OK)
		return CM_ERROR;
	return ts_mi_iv(ctx, 2, a, out, err);
}

/* interval_justify_hours as used by timestamp subtraction */
static void justify_hours_raw(int64_t *time, int64_t *day)
{
	int64_t whole = *time / DT_USECS_PER_DAY;
	*time -= whole * DT_USECS_PER_DAY;
	*day += whole;
	if (*day > 0 && *time < 0) {
		*time += DT_USECS_PER_DAY;
		(*day)--;
	} else if (*day < 0 && *time > 0) {
		*time -= DT_USECS_PER_DAY;
		(*day)++;
	}
}

static cm_status ts_mi_ts(ARGS)
{
	int64_t a = args[0].v.i, b = args[1].v.i, diff;
	if (!dt_ts_finite(a) || !dt_ts_finite(b))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "cannot subtract infinite timestamps");
	if (__builtin_sub_overflow(a, b, &diff))
		return iv_range(err);
	int64_t day = 0;
	justify_hours_raw(&diff, &day);
	return ret_iv(out, diff, day, 0, err);
}

static cm_status time_pl_iv(ARGS)
{
	int64_t t = (args[0].v.i + args[1].v.iv.time % DT_USECS_PER_DAY) % DT_USECS_PER_DAY;
	if (t < 0)
		t += DT_USECS_PER_DAY;
	return ret_i(out, t);
}

static cm_status iv_pl_time(ARGS)
{
	sem_datum a[2] = { args[1], args[0] };
	return time_pl_iv(ctx, 2, a, out, err);
}

static cm_status time_mi_iv(ARGS)
{
	int64_t t = (args[0].v.i - args[1].v.iv.time % DT_USECS_PER_DAY) % DT_USECS_PER_DAY;
	if (t < 0)
		t += DT_USECS_PER_DAY;
	return ret_i(out, t);
}

static cm_status time_mi_time(ARGS)
{
	return ret_iv(out, args[0].v.i - args[1].v.i, 0, 0, err);
}

static cm_status iv_pl_iv(ARGS)
{
	int64_t t;
	int32_t d, m;
	if (__builtin_add_overflow(args[0].v.iv.time, args[1].v.iv.time, &t) ||
		__builtin_add_overflow(args[0].v.iv.day, args[1].v.iv.day, &d) ||
		__builtin_add_overflow(args[0].v.iv.month, args[1].v.iv.month, &m))
		return iv_range(err);
	return ret_iv(out, t, d, m, err);
}

static cm_status iv_mi_iv(ARGS)
{
	int64_t t;
	int32_t d, m;
	if (__builtin_sub_overflow(args[0].v.iv.time, args[1].v.iv.time, &t) ||
		__builtin_sub_overflow(args[0].v.iv.day, args[1].v.iv.day, &d) ||
		__builtin_sub_overflow(args[0].v.iv.month, args[1].v.iv.month, &m))
		return iv_range(err);
	return ret_iv(out, t, d, m, err);
}

static cm_status iv_um(ARGS)
{
	return neg_iv(&args[0], out, err);
}

static double ts_round(double j)
{
	return rint(j * 1000000.0) / 1000000.0;
}

static bool fits_i32(double d)
{
	return !isnan(d) && d >= (double) INT32_MIN && d < -(double) INT32_MIN;
}

/*
 * interval * factor, PostgreSQL 15's way: whole months and days are
 * multiplied, fractional months cascade into days (30 per month) and
 * fractional days into microseconds; nothing cascades up.
 */
static cm_status iv_scale(const sem_datum *iv, double factor, bool divide, sem_datum *out,
						  cm_error *err)
{
	double m = divide ? iv->v.iv.month / factor : iv->v.iv.month * factor;
	double d = divide ? iv->v.iv.day / factor : iv->v.iv.day * factor;
	if (!fits_i32(m) || !fits_i32(d))
		return iv_range(err);
	int32_t rm = (int32_t) m, rd = (int32_t) d;
	double mrem = ts_round((m - rm) * DT_DAYS_PER_MONTH);
	double srem = ts_round((d - rd + mrem - (int) mrem) * DT_SECS_PER_DAY);
	if (fabs(srem) >= DT_SECS_PER_DAY) {
		rd += (int) (srem / DT_SECS_PER_DAY);
		srem -= (int) (srem / DT_SECS_PER_DAY) * DT_SECS_PER_DAY;
	}
	int64_t days = (int64_t) rd + (int) mrem;
	double t = rint((divide ? iv->v.iv.time / factor : iv->v.iv.time * factor) + srem * 1000000.0);
	if (isnan(t) || t < -9223372036854775808.0 || t >= 9223372036854775808.0)
		return iv_range(err);
	return ret_iv(out, (int64_t) t, days, rm, err);
}

static cm_status iv_mul(ARGS)
{
	return iv_scale(&args[0], args[1].v.f, false, out, err);
}

static cm_status mul_iv(ARGS)
{
	return iv_scale(&args[1], args[0].v.f, false, out, err);
}

static cm_status iv_div(ARGS)
{
	if (args[1].v.f == 0.0)
		return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
	return iv_scale(&args[0], args[1].v.f, true, out, err);
}

/* ------------------------------------------------------------------ */
/* Comparisons                                                          */
/* ------------------------------------------------------------------ */

/* Operator rows carry their argument types in the table; the impls below
 * are generated per (left type, right type, operator). */
#define CMP_FNS(NAME, TA, TB)                                                                    \
	static int NAME##_cmp(sem_ctx *ctx, const sem_datum *a)                                      \
	{                                                                                            \
		return sem_dt_compare_cross(ctx, TA, &a[0], TB, &a[1]);                                  \
	}                                                                                            \
	static cm_status NAME##_eq(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) == 0; return CM_OK; } \
	static cm_status NAME##_ne(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) != 0; return CM_OK; } \
	static cm_status NAME##_lt(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) < 0; return CM_OK; }  \
	static cm_status NAME##_le(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) <= 0; return CM_OK; } \
	static cm_status NAME##_gt(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) > 0; return CM_OK; }  \
	static cm_status NAME##_ge(ARGS) { out->isnull = false; out->v.b = NAME##_cmp(ctx, args) >= 0; return CM_OK; }

CMP_FNS(d_d, D, D)
CMP_FNS(t_t, T, T)
CMP_FNS(ts_ts, TS, TS)
CMP_FNS(tz_tz, TZ, TZ)
CMP_FNS(iv_iv, IV, IV)
CMP_FNS(d_ts, D, TS)
CMP_FNS(ts_d, TS, D)
CMP_FNS(d_tz, D, TZ)
CMP_FNS(tz_d, TZ, D)
CMP_FNS(ts_tz, TS, TZ)
CMP_FNS(tz_ts, TZ, TS)

/* ------------------------------------------------------------------ */
/* Clock                                                                */
/* ------------------------------------------------------------------ */

static int64_t txn_now(sem_ctx *ctx)
{
	return ctx && ctx->txn_timestamp ? ctx->txn_timestamp : sem_dt_now_us();
}

static int64_t local_now(sem_ctx *ctx)
{
	int64_t l, n = txn_now(ctx);
	if (!dt_utc2local(n, ctz(ctx), &l))
		l = n;
	return l;
}

static cm_status prec_arg(const sem_datum *a, int *prec, const char *tname, const char *suffix,
						  cm_error *err)
{
	int64_t p = a->v.i;
	if (p < 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"%s(%d)%s precision must not be negative", tname, (int) p, suffix);
	*prec = p > 6 ? 6 : (int) p;
	return CM_OK;
}

static cm_status fn_now(ARGS) { return ret_i(out, txn_now(ctx)); }

static cm_status fn_stmt_ts(ARGS)
{
	return ret_i(out, ctx && ctx->stmt_timestamp ? ctx->stmt_timestamp : txn_now(ctx));
}

static cm_status fn_clock_ts(ARGS) { return ret_i(out, sem_dt_now_us()); }

static cm_status fn_current_ts_p(ARGS)
{
	int p = 0;
	if (prec_arg(&args[0], &p, "TIMESTAMP", " WITH TIME ZONE", err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, dt_round_prec(txn_now(ctx), p));
}

static cm_status fn_localts(ARGS) { return ret_i(out, local_now(ctx)); }

static cm_status fn_localts_p(ARGS)
{
	int p = 0;
	if (prec_arg(&args[0], &p, "TIMESTAMP", "", err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, dt_round_prec(local_now(ctx), p));
}

static cm_status fn_current_date(ARGS)
{
	return ret_i(out, floordiv(local_now(ctx), DT_USECS_PER_DAY));
}

static int64_t tod(int64_t l)
{
	return l - floordiv(l, DT_USECS_PER_DAY) * DT_USECS_PER_DAY;
}

static cm_status fn_localtime(ARGS) { return ret_i(out, tod(local_now(ctx))); }

static cm_status fn_localtime_p(ARGS)
{
	int p = 0;
	if (prec_arg(&args[0], &p, "TIME", "", err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, dt_round_prec(tod(local_now(ctx)), p));
}

/* ------------------------------------------------------------------ */
/* Units (date_trunc, extract)                                          */
/* ------------------------------------------------------------------ */

typedef enum dunit {
	DU_NONE = 0, DU_USEC, DU_MSEC, DU_SEC, DU_MIN, DU_HOUR, DU_DAY, DU_WEEK, DU_MONTH,
	DU_QUARTER, DU_YEAR, DU_DECADE, DU_CENTURY, DU_MILLENNIUM,
	/* extract-only ("reserved" in PostgreSQL's table) */
	DU_EPOCH, DU_DOW, DU_ISODOW, DU_DOY, DU_ISOYEAR, DU_JULIAN, DU_TZ, DU_TZ_HOUR, DU_TZ_MINUTE,
} dunit;

#define DU_FIRST_RESERVED DU_EPOCH

static dunit unit_lookup(const char *w)
{
	static const struct { const char *w; dunit u; } tab[] = {
		{ "microsecond", DU_USEC }, { "microseconds", DU_USEC }, { "us", DU_USEC },
		{ "usec", DU_USEC }, { "usecs", DU_USEC }, { "useconds", DU_USEC },
		{ "millisecond", DU_MSEC }, { "milliseconds", DU_MSEC }, { "ms", DU_MSEC },
		{ "msec", DU_MSEC }, { "msecs", DU_MSEC }, { "mseconds", DU_MSEC },
		{ "second", DU_SEC }, { "seconds", DU_SEC }, { "s", DU_SEC }, { "sec", DU_SEC },
		{ "secs", DU_SEC },
		{ "minute", DU_MIN }, { "minutes", DU_MIN }, { "m", DU_MIN }, { "min", DU_MIN },
		{ "mins", DU_MIN },
		{ "hour", DU_HOUR }, { "hours", DU_HOUR }, { "h", DU_HOUR }, { "hr", DU_HOUR },
		{ "hrs", DU_HOUR },
		{ "day", DU_DAY }, { "days", DU_DAY }, { "d", DU_DAY },
		{ "week", DU_WEEK }, { "weeks", DU_WEEK }, { "w", DU_WEEK },
		{ "month", DU_MONTH }, { "months", DU_MONTH }, { "mon", DU_MONTH }, { "mons", DU_MONTH },
		{ "quarter", DU_QUARTER }, { "qtr", DU_QUARTER },
		{ "year", DU_YEAR }, { "years", DU_YEAR }, { "y", DU_YEAR }, { "yr", DU_YEAR },
		{ "yrs", DU_YEAR },
		{ "decade", DU_DECADE }, { "decades", DU_DECADE }, { "dec", DU_DECADE },
		{ "decs", DU_DECADE },
		{ "century", DU_CENTURY }, { "centuries", DU_CENTURY }, { "cent", DU_CENTURY },
		{ "c", DU_CENTURY },
		{ "millennium", DU_MILLENNIUM }, { "millennia", DU_MILLENNIUM }, { "mil", DU_MILLENNIUM },
		{ "mils", DU_MILLENNIUM },
		{ "epoch", DU_EPOCH }, { "dow", DU_DOW }, { "isodow", DU_ISODOW }, { "doy", DU_DOY },
		{ "isoyear", DU_ISOYEAR }, { "julian", DU_JULIAN }, { "j", DU_JULIAN },
		{ "timezone", DU_TZ }, { "timezone_h", DU_TZ_HOUR }, { "timezone_hour", DU_TZ_HOUR },
		{ "timezone_m", DU_TZ_MINUTE }, { "timezone_minute", DU_TZ_MINUTE },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tab[i].w, w) == 0)
			return tab[i].u;
	return DU_NONE;
}

static cm_status unit_not_recognized(const char *u, sem_oid t, cm_error *err)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unit \"%s\" not recognized for type %s", u,
						dt_type_name(t));
}

static cm_status unit_not_supported(const char *u, sem_oid t, cm_error *err)
{
	return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "unit \"%s\" not supported for type %s", u,
						dt_type_name(t));
}

/* ------------------------------------------------------------------ */
/* date_trunc                                                           */
/* ------------------------------------------------------------------ */

static void trunc_tm(dt_tm *tm, dunit u)
{
	switch (u) {
	case DU_MILLENNIUM:
		if (tm->year > 0)
			tm->year = ((tm->year + 999) / 1000) * 1000 - 999;
		else
			tm->year = -((999 - (tm->year - 1)) / 1000) * 1000 + 1;
		/* fall through */
	case DU_CENTURY:
		if (u == DU_CENTURY) {
			if (tm->year > 0)
				tm->year = ((tm->year + 99) / 100) * 100 - 99;
			else
				tm->year = -((99 - (tm->year - 1)) / 100) * 100 + 1;
		}
		/* fall through */
	case DU_DECADE:
		if (u == DU_DECADE) {
			if (tm->year > 0)
				tm->year = (tm->year / 10) * 10;
			else
				tm->year = -((8 - (tm->year - 1)) / 10) * 10;
		}
		/* fall through */
	case DU_YEAR:
		tm->mon = 1;
		/* fall through */
	case DU_QUARTER:
		tm->mon = (3 * ((tm->mon - 1) / 3)) + 1;
		/* fall through */
	case DU_MONTH:
		tm->mday = 1;
		/* fall through */
	case DU_DAY:
		tm->hour = 0;
		/* fall through */
	case DU_HOUR:
		tm->min = 0;
		/* fall through */
	case DU_MIN:
		tm->sec = 0;
		/* fall through */
	case DU_SEC:
		tm->usec = 0;
		break;
	case DU_MSEC:
		tm->usec = (tm->usec / 1000) * 1000;
		break;
	default:
		break;
	}
}

static void trunc_week(dt_tm *tm)
{
	int64_t jd = dt_date2j(tm->year, tm->mon, tm->mday);
	int isodow = dt_j2day(jd);
	if (isodow == 0)
		isodow = 7;
	dt_j2date(jd - (isodow - 1), &tm->year, &tm->mon, &tm->mday);
	tm->hour = tm->min = tm->sec = 0;
	tm->usec = 0;
}

static cm_status trunc_common(sem_ctx *ctx, const sem_datum *unit, int64_t ts, sem_oid type,
							  const char *zone, sem_datum *out, cm_error *err)
{
	char u[64];
	text_arg(unit, u, sizeof u);
	dunit du = unit_lookup(u);
	if (du == DU_NONE || du >= DU_FIRST_RESERVED)
		return unit_not_recognized(u, type, err);
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	dt_tm tm;
	if (type == TS)
		dt_ts2tm(ts, &tm);
	else
		dt_tstz2tm(ts, zone, &tm);
	bool redo = du >= DU_DAY;
	if (du == DU_WEEK)
		trunc_week(&tm);
	else
		trunc_tm(&tm, du);
	int64_t r;
	if (type == TS) {
		if (!dt_tm2ts(&tm, &r))
			return ts_range(err);
	} else if (redo) {
		if (!dt_tm2tstz(&tm, zone, &r))
			return ts_range(err);
	} else {
		dt_tm t2 = tm;
		t2.gmtoff = 0;
		int64_t local;
		if (!dt_tm2ts(&t2, &local))
			return ts_range(err);
		r = local - tm.gmtoff * DT_USECS_PER_SEC;
		if (!dt_ts_valid(r))
			return ts_range(err);
	}
	return ret_i(out, r);
}

static cm_status fn_trunc_ts(ARGS)
{
	return trunc_common(ctx, &args[0], args[1].v.i, TS, NULL, out, err);
}

static cm_status fn_trunc_tstz(ARGS)
{
	return trunc_common(ctx, &args[0], args[1].v.i, TZ, ctz(ctx), out, err);
}

/* zone-name argument resolved once to a name dt_zone_get understands */
static cm_status zone_arg(const sem_datum *d, char *buf, size_t n, cm_error *err)
{
	size_t l = d->v.s.len < n - 1 ? d->v.s.len : n - 1;
	memcpy(buf, d->v.s.p, l);
	buf[l] = '\0';
	if (!dt_zone_lookup_text(buf, l))
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "time zone \"%s\" not recognized", buf);
	return CM_OK;
}

/* Offsets of a text zone, via the literal cache. */
static int text_zone_offset_utc(const char *name, int64_t ts)
{
	const dt_zone *z = dt_zone_lookup_text(name, strlen(name));
	return dt_zone_offset_utc(z, floordiv(ts, DT_USECS_PER_SEC) + DT_UNIX_EPOCH_SECS, NULL, NULL);
}

static int text_zone_offset_local(const char *name, int64_t local)
{
	const dt_zone *z = dt_zone_lookup_text(name, strlen(name));
	return dt_zone_offset_local(z, floordiv(local, DT_USECS_PER_SEC) + DT_UNIX_EPOCH_SECS, NULL);
}

static cm_status fn_trunc_tstz_zone(ARGS)
{
	char zone[256];
	if (zone_arg(&args[2], zone, sizeof zone, err) != CM_OK)
		return CM_ERROR;
	char u[64];
	text_arg(&args[0], u, sizeof u);
	dunit du = unit_lookup(u);
	if (du == DU_NONE || du >= DU_FIRST_RESERVED)
		return unit_not_recognized(u, TZ, err);
	int64_t ts = args[1].v.i;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	int off = text_zone_offset_utc(zone, ts);
	dt_tm tm;
	dt_ts2tm(ts + off * DT_USECS_PER_SEC, &tm);
	if (du == DU_WEEK)
		trunc_week(&tm);
	else
		trunc_tm(&tm, du);
	int64_t local;
	if (!dt_tm2ts(&tm, &local))
		return ts_range(err);
	if (du >= DU_DAY)
		off = text_zone_offset_local(zone, local);
	return ret_i(out, local - off * DT_USECS_PER_SEC);
}

static cm_status fn_trunc_iv(ARGS)
{
	char u[64];
	text_arg(&args[0], u, sizeof u);
	dunit du = unit_lookup(u);
	if (du == DU_NONE || du >= DU_FIRST_RESERVED)
		return unit_not_recognized(u, IV, err);
	if (du == DU_WEEK)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"unit \"%s\" not supported for type interval", u);
	int64_t year = args[1].v.iv.month / 12, mon = args[1].v.iv.month % 12, day = args[1].v.iv.day;
	int64_t t = args[1].v.iv.time;
	int64_t hour = t / DT_USECS_PER_HOUR;
	t -= hour * DT_USECS_PER_HOUR;
	int64_t min = t / DT_USECS_PER_MIN;
	t -= min * DT_USECS_PER_MIN;
	int64_t sec = t / DT_USECS_PER_SEC;
	int64_t usec = t - sec * DT_USECS_PER_SEC;
	switch (du) {
	case DU_MILLENNIUM: year = (year / 1000) * 1000; mon = 0; day = 0; hour = min = sec = usec = 0; break;
	case DU_CENTURY: year = (year / 100) * 100; mon = 0; day = 0; hour = min = sec = usec = 0; break;
	case DU_DECADE: year = (year / 10) * 10; mon = 0; day = 0; hour = min = sec = usec = 0; break;
	case DU_YEAR: mon = 0; day = 0; hour = min = sec = usec = 0; break;
	case DU_QUARTER: mon = 3 * (mon / 3); day = 0; hour = min = sec = usec = 0; break;
	case DU_MONTH: day = 0; hour = min = sec = usec = 0; break;
	case DU_DAY: hour = min = sec = usec = 0; break;
	case DU_HOUR: min = sec = usec = 0; break;
	case DU_MIN: sec = usec = 0; break;
	case DU_SEC: usec = 0; break;
	case DU_MSEC: usec = (usec / 1000) * 1000; break;
	default: break;
	}
	return ret_iv(out, ((hour * 60 + min) * 60 + sec) * DT_USECS_PER_SEC + usec, day, year * 12 + mon,
				  err);
}

/* ------------------------------------------------------------------ */
/* extract / date_part                                                  */
/* ------------------------------------------------------------------ */

/*
 * A part value: exact decimal (v / 10^scale) for extract, plus the float8
 * PostgreSQL's date_part computes (its own double arithmetic).
 */
typedef struct part {
	int64_t v;
	int scale;
	double f;
	bool julian;		/* numeric needs a division: jd + us / 86400e6 */
	int64_t jd, jus;
	int inf;			/* +1/-1: +/-Infinity; 2: NULL */
} part;

static void part_int(part *p, int64_t v)
{
	p->v = v;
	p->scale = 0;
	p->f = (double) v;
}

static int64_t year_field(int y) { return y > 0 ? y : y - 1; }

static int64_t decade_of(int y) { return y >= 0 ? y / 10 : -((8 - (y - 1)) / 10); }

static int64_t century_of(int y) { return y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100); }

static int64_t millennium_of(int y) { return y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000); }

/* Date fields shared by date and timestamp(tz). false = not a date field. */
static bool date_part_of(const dt_tm *tm, dunit u, part *p)
{
	switch (u) {
	case DU_DAY: part_int(p, tm->mday); return true;
	case DU_MONTH: part_int(p, tm->mon); return true;
	case DU_QUARTER: part_int(p, (tm->mon - 1) / 3 + 1); return true;
	case DU_WEEK: part_int(p, dt_iso_week(tm->year, tm->mon, tm->mday)); return true;
	case DU_YEAR: part_int(p, year_field(tm->year)); return true;
	case DU_DECADE: part_int(p, decade_of(tm->year)); return true;
	case DU_CENTURY: part_int(p, century_of(tm->year)); return true;
	case DU_MILLENNIUM: part_int(p, millennium_of(tm->year)); return true;
	case DU_DOW: part_int(p, dt_j2day(dt_date2j(tm->year, tm->mon, tm->mday))); return true;
	case DU_ISODOW: {
		int d = dt_j2day(dt_date2j(tm->year, tm->mon, tm->mday));
		part_int(p, d == 0 ? 7 : d);
		return true;
	}
	case DU_DOY:
		part_int(p, dt_date2j(tm->year, tm->mon, tm->mday) - dt_date2j(tm->year, 1, 1) + 1);
		return true;
	case DU_ISOYEAR: {
		int iy = dt_iso_year(tm->year, tm->mon, tm->mday);
		part_int(p, iy > 0 ? iy : iy - 1);
		return true;
	}
	default:
		return false;
	}
}

/* Time-of-day fields (seconds with fraction). */
static bool time_part_of(int64_t hour, int64_t min, int64_t sec, int64_t usec, dunit u, part *p)
{
	switch (u) {
	case DU_USEC:
		part_int(p, sec * 1000000 + usec);
		return true;
	case DU_MSEC:
		p->v = sec * 1000000 + usec;
		p->scale = 3;
		p->f = sec * 1000.0 + usec / 1000.0;
		return true;
	case DU_SEC:
		p->v = sec * 1000000 + usec;
		p->scale = 6;
		p->f = sec + usec / 1000000.0;
		return true;
	case DU_MIN: part_int(p, min); return true;
	case DU_HOUR: part_int(p, hour); return true;
	default: return false;
	}
}

/* Which fields give +/-Infinity for infinite timestamps/dates (else NULL). */
static bool inf_field(dunit u)
{
	return u == DU_YEAR || u == DU_DECADE || u == DU_CENTURY || u == DU_MILLENNIUM ||
		   u == DU_JULIAN || u == DU_ISOYEAR || u == DU_EPOCH;
}

static cm_status part_compute(sem_ctx *ctx, sem_oid type, const char *u, const sem_datum *x,
							  part *p, cm_error *err)
{
	memset(p, 0, sizeof(*p));
	dunit du = unit_lookup(u);
	if (du == DU_NONE)
		return unit_not_recognized(u, type, err);
	if (type == T) {
		int64_t t = x->v.i;
		if (du == DU_EPOCH) {
			p->v = t;
			p->scale = 6;
			p->f = t / 1000000.0;
			return CM_OK;
		}
		int64_t h = t / DT_USECS_PER_HOUR, m = (t / DT_USECS_PER_MIN) % 60;
		int64_t s = (t / DT_USECS_PER_SEC) % 60, us = t % DT_USECS_PER_SEC;
		if (!time_part_of(h, m, s, us, du, p))
			return unit_not_supported(u, type, err);
		return CM_OK;
	}
	if (type == IV) {
		int64_t mon = x->v.iv.month, t = x->v.iv.time;
		switch (du) {
		case DU_EPOCH: {
			int64_t secs = ((int64_t) (4 * 365.25) * (mon / 12) + (int64_t) (4 * 30) * (mon % 12) +
							(int64_t) 4 * x->v.iv.day) * (DT_SECS_PER_DAY / 4);
			/* exact: secs + t / 1e6 (scale 6) */
			__int128 v = (__int128) secs * 1000000 + t;
			if (v > INT64_MAX || v < INT64_MIN) {
				p->inf = 3;	/* too big for the int64 fast path; use double */
			} else {
				p->v = (int64_t) v;
			}
			p->scale = 6;
			p->f = t / 1000000.0 + (365.25 * DT_SECS_PER_DAY) * (mon / 12) +
				   ((double) DT_DAYS_PER_MONTH * DT_SECS_PER_DAY) * (mon % 12) +
				   (double) DT_SECS_PER_DAY * x->v.iv.day;
			return CM_OK;
		}
		case DU_MILLENNIUM: part_int(p, mon / 12 / 1000); return CM_OK;
		case DU_CENTURY: part_int(p, mon / 12 / 100); return CM_OK;
		case DU_DECADE: part_int(p, mon / 12 / 10); return CM_OK;
		case DU_YEAR: part_int(p, mon / 12); return CM_OK;
		case DU_QUARTER: part_int(p, (mon % 12) / 3 + 1); return CM_OK;
		case DU_MONTH: part_int(p, mon % 12); return CM_OK;
		case DU_DAY: part_int(p, x->v.iv.day); return CM_OK;
		default: {
			int64_t h = t / DT_USECS_PER_HOUR, m = (t / DT_USECS_PER_MIN) % 60;
			int64_t s = (t / DT_USECS_PER_SEC) % 60, us = t % DT_USECS_PER_SEC;
			if (!time_part_of(h, m, s, us, du, p))
				return unit_not_supported(u, type, err);
			return CM_OK;
		}
		}
	}
	if (type == D) {
		int64_t d = x->v.i;
		if (!dt_date_finite(d)) {
			if (du == DU_EPOCH || inf_field(du)) {
				p->inf = d == DT_DATE_NOEND ? 1 : -1;
				return CM_OK;
			}
			if (du <= DU_HOUR || du == DU_TZ || du == DU_TZ_HOUR || du == DU_TZ_MINUTE)
				return unit_not_supported(u, type, err);
			p->inf = 2;
			return CM_OK;
		}
		dt_tm tm;
		memset(&tm, 0, sizeof tm);
		dt_j2date(d + DT_EPOCH_JD, &tm.year, &tm.mon, &tm.mday);
		if (du == DU_EPOCH) {
			part_int(p, (d + DT_EPOCH_JD - DT_UNIX_EPOCH_JD) * DT_SECS_PER_DAY);
			return CM_OK;
		}
		if (du == DU_JULIAN) {
			part_int(p, d + DT_EPOCH_JD);
			return CM_OK;
		}
		if (!date_part_of(&tm, du, p))
			return unit_not_supported(u, type, err);
		return CM_OK;
	}
	/* timestamp / timestamptz */
	int64_t ts = x->v.i;
	if (!dt_ts_finite(ts)) {
		if ((du == DU_TZ || du == DU_TZ_HOUR || du == DU_TZ_MINUTE) && type == TS)
			return unit_not_supported(u, type, err);
		if (inf_field(du))
			p->inf = ts == DT_TS_NOEND ? 1 : -1;
		else
			p->inf = 2;
		return CM_OK;
	}
	dt_tm tm;
	if (type == TZ)
		dt_tstz2tm(ts, ctz(ctx), &tm);
	else
		dt_ts2tm(ts, &tm);
	if (date_part_of(&tm, du, p) || time_part_of(tm.hour, tm.min, tm.sec, tm.usec, du, p))
		return CM_OK;
	switch (du) {
	case DU_EPOCH: {
		int64_t e = ts - (int64_t) (DT_UNIX_EPOCH_JD - DT_EPOCH_JD) * DT_USECS_PER_DAY;
		p->v = e;
		p->scale = 6;
		p->f = e / 1000000.0;
		return CM_OK;
	}
	case DU_JULIAN: {
		int64_t jd = dt_date2j(tm.year, tm.mon, tm.mday);
		int64_t us = ((int64_t) (tm.hour * 60 + tm.min) * 60 + tm.sec) * 1000000 + tm.usec;
		p->julian = true;
		p->jd = jd;
		p->jus = us;
		p->f = jd + ((((tm.hour * 60) + tm.min) * 60) + tm.sec + (tm.usec / 1000000.0)) /
						(double) DT_SECS_PER_DAY;
		return CM_OK;
	}
	case DU_TZ:
	case DU_TZ_HOUR:
	case DU_TZ_MINUTE:
		if (type != TZ)
			return unit_not_supported(u, type, err);
		if (du == DU_TZ)
			part_int(p, tm.gmtoff);
		else if (du == DU_TZ_HOUR)
			part_int(p, tm.gmtoff / 3600);
		else
			part_int(p, (tm.gmtoff / 60) % 60);
		return CM_OK;
	default:
		return unit_not_supported(u, type, err);
	}
}

static cm_status part_numeric(sem_ctx *ctx, const part *p, sem_datum *out, cm_error *err)
{
	char buf[64];
	sem_numeric *n;
	memset(out, 0, sizeof(*out));
	if (p->inf == 2) {
		out->isnull = true;
		return CM_OK;
	}
	if (p->inf == 1 || p->inf == -1) {
		const char *s = p->inf > 0 ? "Infinity" : "-Infinity";
		if (sem_num_in(ctx->arena, s, strlen(s), -1, &n, err) != CM_OK)
			return CM_ERROR;
		out->v.num = n;
		return CM_OK;
	}
	if (p->julian) {
		sem_numeric *a = sem_num_from_int(ctx->arena, p->jus);
		sem_numeric *b = sem_num_from_int(ctx->arena, (int64_t) DT_SECS_PER_DAY * 1000000);
		sem_numeric *q;
		if (sem_num_div(ctx->arena, a, b, &q, err) != CM_OK)
			return CM_ERROR;
		out->v.num = sem_num_add(ctx->arena, sem_num_from_int(ctx->arena, p->jd), q);
		return CM_OK;
	}
	if (p->inf == 3) {
		/* only interval epoch of huge intervals: fall back to double text */
		snprintf(buf, sizeof buf, "%.6f", p->f);
	} else if (p->scale == 0) {
		snprintf(buf, sizeof buf, "%lld", (long long) p->v);
	} else {
		/* v is in units of 1e-6; print with `scale` digits (3 or 6) */
		int64_t v = p->v;
		bool neg = v < 0;
		uint64_t a = neg ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
		uint64_t ip = a / 1000000, fp = a % 1000000;
		if (p->scale == 3) {
			/* milliseconds: (sec*1e6+us)/1000 with 3 decimals */
			uint64_t ms = a / 1000, frac = a % 1000;
			snprintf(buf, sizeof buf, "%s%llu.%03llu", neg ? "-" : "", (unsigned long long) ms,
					 (unsigned long long) frac);
		} else {
			snprintf(buf, sizeof buf, "%s%llu.%06llu", neg ? "-" : "", (unsigned long long) ip,
					 (unsigned long long) fp);
		}
	}
	if (sem_num_in(ctx->arena, buf, strlen(buf), -1, &n, err) != CM_OK)
		return CM_ERROR;
	out->v.num = n;
	return CM_OK;
}

#define PART_FN(NAME, TYPE)                                                                        \
	CM_UNUSED static cm_status fn_extract_##NAME(ARGS)                                                       \
	{                                                                                              \
		char u[64];                                                                                \
		part p;                                                                                    \
		text_arg(&args[0], u, sizeof u);                                                           \
		if (part_compute(ctx, TYPE, u, &args[1], &p, err) != CM_OK)                                \
			return CM_ERROR;                                                                       \
		return part_numeric(ctx, &p, out, err);                                                    \
	}                                                                                              \
	CM_UNUSED static cm_status fn_date_part_##NAME(ARGS)                                                     \
	{                                                                                              \
		char u[64];                                                                                \
		part p;                                                                                    \
		text_arg(&args[0], u, sizeof u);                                                           \
		if (part_compute(ctx, TYPE, u, &args[1], &p, err) != CM_OK)                                \
			return CM_ERROR;                                                                       \
		memset(out, 0, sizeof(*out));                                                              \
		if (p.inf == 2)                                                                            \
			out->isnull = true;                                                                    \
		else if (p.inf == 1 || p.inf == -1)                                                        \
			out->v.f = p.inf * INFINITY;                                                           \
		else                                                                                       \
			out->v.f = p.f;                                                                        \
		return CM_OK;                                                                              \
	}

PART_FN(date, D)
PART_FN(time, T)
PART_FN(ts, TS)
PART_FN(tstz, TZ)
PART_FN(iv, IV)

/* date_part(text, date) is date_part(text, date::timestamp) in PostgreSQL */
static cm_status fn_date_part_date_ts(ARGS)
{
	sem_datum a[2] = { args[0], args[1] };
	if (date2ts(args[1].v.i, &a[1].v.i, err) != CM_OK)
		return CM_ERROR;
	return fn_date_part_ts(ctx, 2, a, out, err);
}

/* ------------------------------------------------------------------ */
/* age, justify_*, isfinite                                             */
/* ------------------------------------------------------------------ */

static cm_status age_tm(const dt_tm *t1, const dt_tm *t2, bool before, sem_datum *out, cm_error *err)
{
	int64_t usec = t1->usec - t2->usec;
	int64_t sec = t1->sec - t2->sec, min = t1->min - t2->min, hour = t1->hour - t2->hour;
	int64_t mday = t1->mday - t2->mday, mon = t1->mon - t2->mon, year = (int64_t) t1->year - t2->year;
	if (before) {
		usec = -usec; sec = -sec; min = -min; hour = -hour; mday = -mday; mon = -mon; year = -year;
	}
	while (usec < 0) { usec += 1000000; sec--; }
	while (sec < 0) { sec += 60; min--; }
	while (min < 0) { min += 60; hour--; }
	while (hour < 0) { hour += 24; mday--; }
	while (mday < 0) {
		const dt_tm *r = before ? t1 : t2;
		mday += dt_days_in_month(r->year, r->mon);
		mon--;
	}
	while (mon < 0) { mon += 12; year--; }
	if (before) {
		usec = -usec; sec = -sec; min = -min; hour = -hour; mday = -mday; mon = -mon; year = -year;
	}
	return ret_iv(out, ((hour * 60 + min) * 60 + sec) * 1000000 + usec, mday, year * 12 + mon, err);
}

static cm_status fn_age_ts(ARGS)
{
	int64_t a = args[0].v.i, b = args[1].v.i;
	if (!dt_ts_finite(a) || !dt_ts_finite(b))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	dt_tm t1, t2;
	dt_ts2tm(a, &t1);
	dt_ts2tm(b, &t2);
	return age_tm(&t1, &t2, a < b, out, err);
}

static cm_status fn_age_tstz(ARGS)
{
	int64_t a = args[0].v.i, b = args[1].v.i;
	if (!dt_ts_finite(a) || !dt_ts_finite(b))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	dt_tm t1, t2;
	dt_tstz2tm(a, ctz(ctx), &t1);
	dt_tstz2tm(b, ctz(ctx), &t2);
	return age_tm(&t1, &t2, a < b, out, err);
}

static cm_status fn_age1_ts(ARGS)
{
	sem_datum a[2] = { args[0], args[0] };
	a[0].v.i = floordiv(local_now(ctx), DT_USECS_PER_DAY) * DT_USECS_PER_DAY;
	a[1] = args[0];
	return fn_age_ts(ctx, 2, a, out, err);
}

static cm_status fn_age1_tstz(ARGS)
{
	sem_datum a[2] = { args[0], args[0] };
	int64_t midnight = floordiv(local_now(ctx), DT_USECS_PER_DAY) * DT_USECS_PER_DAY;
	if (!dt_local2utc(midnight, ctz(ctx), &a[0].v.i))
		return ts_range(err);
	return fn_age_tstz(ctx, 2, a, out, err);
}

static cm_status fn_justify_hours(ARGS)
{
	int64_t t = args[0].v.iv.time, d = args[0].v.iv.day;
	justify_hours_raw(&t, &d);
	return ret_iv(out, t, d, args[0].v.iv.month, err);
}

static cm_status fn_justify_days(ARGS)
{
	int64_t d = args[0].v.iv.day, m = args[0].v.iv.month;
	int64_t whole = d / DT_DAYS_PER_MONTH;
	d -= whole * DT_DAYS_PER_MONTH;
	m += whole;
	if (m > 0 && d < 0) {
		d += DT_DAYS_PER_MONTH;
		m--;
	} else if (m < 0 && d > 0) {
		d -= DT_DAYS_PER_MONTH;
		m++;
	}
	return ret_iv(out, args[0].v.iv.time, d, m, err);
}

static cm_status fn_justify_interval(ARGS)
{
	int64_t t = args[0].v.iv.time, d = args[0].v.iv.day, m = args[0].v.iv.month;
	int64_t wd = t / DT_USECS_PER_DAY;
	t -= wd * DT_USECS_PER_DAY;
	d += wd;
	int64_t wm = d / DT_DAYS_PER_MONTH;
	d -= wm * DT_DAYS_PER_MONTH;
	m += wm;
	if (m > 0 && (d < 0 || (d == 0 && t < 0))) {
		d += DT_DAYS_PER_MONTH;
		m--;
	} else if (m < 0 && (d > 0 || (d == 0 && t > 0))) {
		d -= DT_DAYS_PER_MONTH;
		m++;
	}
	if (d > 0 && t < 0) {
		t += DT_USECS_PER_DAY;
		d--;
	} else if (d < 0 && t > 0) {
		t -= DT_USECS_PER_DAY;
		d++;
	}
	return ret_iv(out, t, d, m, err);
}

static cm_status fn_isfinite_date(ARGS)
{
	memset(out, 0, sizeof(*out));
	out->v.b = dt_date_finite(args[0].v.i);
	return CM_OK;
}

static cm_status fn_isfinite_ts(ARGS)
{
	memset(out, 0, sizeof(*out));
	out->v.b = dt_ts_finite(args[0].v.i);
	return CM_OK;
}

static cm_status fn_isfinite_iv(ARGS)
{
	memset(out, 0, sizeof(*out));
	out->v.b = true;
	return CM_OK;
}

/* ------------------------------------------------------------------ */
/* make_*, to_timestamp, timezone()                                     */
/* ------------------------------------------------------------------ */

static cm_status make_date_jd(int64_t y, int64_t m, int64_t d, int64_t *jd, cm_error *err)
{
	int64_t ay = y < 0 ? y + 1 : y;
	if (y == 0 || m < 1 || m > 12 || d < 1 || y > 6000000 || y < -6000000 ||
		d > dt_days_in_month((int) ay, (int) m))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"date field value out of range: %d-%02d-%02d", (int) y, (int) m, (int) d);
	*jd = dt_date2j(ay, (int) m, (int) d);
	return CM_OK;
}

static cm_status fn_make_date(ARGS)
{
	int64_t jd;
	if (make_date_jd(args[0].v.i, args[1].v.i, args[2].v.i, &jd, err) != CM_OK)
		return CM_ERROR;
	if (jd < 0 || jd >= DT_DATE_END_JD)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range: %d-%02d-%02d",
							(int) args[0].v.i, (int) args[1].v.i, (int) args[2].v.i);
	return ret_i(out, jd - DT_EPOCH_JD);
}

static cm_status make_time_us(int64_t h, int64_t m, double sec, int64_t *us, cm_error *err)
{
	if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 60 || isnan(sec) || h > 24 ||
		(h * 3600 + m * 60) * 1.0 + sec > 86400.0)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"time field value out of range: %d:%02d:%02g", (int) h, (int) m, sec);
	*us = (h * 3600 + m * 60) * DT_USECS_PER_SEC + (int64_t) rint(sec * 1000000.0);
	return CM_OK;
}

static cm_status fn_make_time(ARGS)
{
	int64_t us;
	if (make_time_us(args[0].v.i, args[1].v.i, args[2].v.f, &us, err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, us);
}

static cm_status make_ts_local(const sem_datum *args, int64_t *local, cm_error *err)
{
	int64_t jd, us;
	if (make_date_jd(args[0].v.i, args[1].v.i, args[2].v.i, &jd, err) != CM_OK ||
		make_time_us(args[3].v.i, args[4].v.i, args[5].v.f, &us, err) != CM_OK)
		return CM_ERROR;
	int64_t r = (jd - DT_EPOCH_JD) * DT_USECS_PER_DAY + us;
	if (jd < 0 || jd > DT_TS_END_JD || !dt_ts_valid(r))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"timestamp out of range: %d-%02d-%02d %d:%02d:%02g", (int) args[0].v.i,
							(int) args[1].v.i, (int) args[2].v.i, (int) args[3].v.i, (int) args[4].v.i,
							args[5].v.f);
	*local = r;
	return CM_OK;
}

static cm_status fn_make_timestamp(ARGS)
{
	int64_t l;
	if (make_ts_local(args, &l, err) != CM_OK)
		return CM_ERROR;
	return ret_i(out, l);
}

static cm_status fn_make_timestamptz(ARGS)
{
	int64_t l, u;
	if (make_ts_local(args, &l, err) != CM_OK)
		return CM_ERROR;
	if (!dt_local2utc(l, ctz(ctx), &u))
		return ts_range(err);
	return ret_i(out, u);
}

static cm_status fn_to_timestamp(ARGS)
{
	double s = args[0].v.f;
	if (isnan(s))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp cannot be NaN");
	if (isinf(s))
		return ret_i(out, s > 0 ? DT_TS_NOEND : DT_TS_NOBEGIN);
	if (s < (double) DT_SECS_PER_DAY * (0 - DT_UNIX_EPOCH_JD) ||
		s >= (double) DT_SECS_PER_DAY * (DT_TS_END_JD - DT_UNIX_EPOCH_JD))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"%g\"", s);
	s -= (double) (DT_EPOCH_JD - DT_UNIX_EPOCH_JD) * DT_SECS_PER_DAY;
	double us = rint(s * 1000000.0);
	int64_t r = (int64_t) us;
	if (!dt_ts_valid(r))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"%g\"",
							args[0].v.f);
	return ret_i(out, r);
}

/* timezone(zone, timestamptz) -> timestamp: AT TIME ZONE on a timestamptz. */
static cm_status fn_timezone_tstz(ARGS)
{
	char zone[256];
	if (zone_arg(&args[0], zone, sizeof zone, err) != CM_OK)
		return CM_ERROR;
	int64_t ts = args[1].v.i;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	int64_t r = ts + text_zone_offset_utc(zone, ts) * DT_USECS_PER_SEC;
	if (!dt_ts_valid(r))
		return ts_range(err);
	return ret_i(out, r);
}

/* timezone(zone, timestamp) -> timestamptz: AT TIME ZONE on a timestamp. */
static cm_status fn_timezone_ts(ARGS)
{
	char zone[256];
	if (zone_arg(&args[0], zone, sizeof zone, err) != CM_OK)
		return CM_ERROR;
	int64_t ts = args[1].v.i;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	int64_t r = ts - text_zone_offset_local(zone, ts) * DT_USECS_PER_SEC;
	if (!dt_ts_valid(r))
		return ts_range(err);
	return ret_i(out, r);
}

/* timezone(interval, timestamptz) -> timestamp */
static cm_status fn_timezone_iv_tstz(ARGS)
{
	if (args[0].v.iv.month != 0 || args[0].v.iv.day != 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"interval time zone \"%s\" must not include months or days", "interval");
	int64_t ts = args[1].v.i;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	int64_t r = ts + args[0].v.iv.time;
	if (!dt_ts_valid(r))
		return ts_range(err);
	return ret_i(out, r);
}

static cm_status fn_timezone_iv_ts(ARGS)
{
	if (args[0].v.iv.month != 0 || args[0].v.iv.day != 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"interval time zone \"%s\" must not include months or days", "interval");
	int64_t ts = args[1].v.i;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	int64_t r = ts - args[0].v.iv.time;
	if (!dt_ts_valid(r))
		return ts_range(err);
	return ret_i(out, r);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */
/* ------------------------------------------------------------------ */

#define S SEM_FN_STRICT
#define ST (SEM_FN_STRICT | SEM_FN_STABLE)
#define VO (SEM_FN_STRICT | SEM_FN_VOLATILE)

/* ---- timeofday, date_bin, OVERLAPS -------------------------------------------------- */

static cm_status ret_b(sem_datum *out, bool v)
{
	out->isnull = false;
	out->v.b = v;
	return CM_OK;
}

/* timeofday(): the wall clock as text, 'Mon Jan 06 12:34:56.123456 2025 UTC' */
static cm_status fn_timeofday(ARGS)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
									   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	(void) nargs; (void) args; (void) err;
	dt_tm tm;
	dt_tstz2tm(sem_dt_now_us(), ctz(ctx), &tm);
	int wd = dt_j2day(dt_date2j(tm.year, tm.mon, tm.mday));
	char zone[16];
	if (tm.abbrev)
		snprintf(zone, sizeof zone, "%s", tm.abbrev);
	else
		dt_offset_zone_name(tm.gmtoff, zone, sizeof zone);
	char buf[96];
	int k = snprintf(buf, sizeof buf, "%s %s %02d %02d:%02d:%02d.%06d %d %s", days[wd], mons[tm.mon - 1], tm.mday,
					 tm.hour, tm.min, tm.sec, (int) tm.usec, tm.year, zone);
	sem_set_str(ctx->arena, out, buf, (size_t) k);
	return CM_OK;
}

/* date_bin(stride, source, origin) for timestamp and timestamptz (UTC
 * arithmetic, so the same code serves both) */
static cm_status fn_date_bin(ARGS)
{
	(void) ctx; (void) nargs;
	const sem_datum *iv = &args[0];
	int64_t ts = args[1].v.i, origin = args[2].v.i, stride, diff;
	if (!dt_ts_finite(ts))
		return ret_i(out, ts);
	if (!dt_ts_finite(origin))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "origin out of range");
	if (iv->v.iv.month != 0)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"timestamps cannot be binned into intervals containing months or years");
	if (__builtin_mul_overflow((int64_t) iv->v.iv.day, DT_USECS_PER_DAY, &stride) ||
		__builtin_add_overflow(stride, iv->v.iv.time, &stride))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "interval out of range");
	if (stride <= 0)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "stride must be greater than zero");
	if (__builtin_sub_overflow(ts, origin, &diff))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "interval out of range");
	int64_t delta = diff - diff % stride, r;
	if (diff < 0 && diff % stride != 0)
		delta -= stride;	/* round towards -infinity */
	if (__builtin_add_overflow(origin, delta, &r) || !dt_ts_valid(r))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	return ret_i(out, r);
}

/* (s1, e1) OVERLAPS (s2, e2) over comparable int64 values (PostgreSQL's
 * overlaps_timestamp, NULL rules included).  kind: 0 all four points,
 * bit 1: e1 is an interval, bit 2: e2 is an interval; the end point is
 * then start + interval.  Points are timestamps (tz: timestamptz) or times. */
static cm_status overlaps_common(sem_ctx *ctx, const sem_datum *args, sem_datum *out, cm_error *err, sem_oid t,
								 int kind)
{
	sem_datum p[4];
	memcpy(p, args, sizeof p);
	for (int side = 0; side < 2; side++) {
		if (!(kind & (1 << side)))
			continue;
		sem_datum *st = &p[2 * side], *en = &p[2 * side + 1];
		if (st->isnull || en->isnull) {
			en->isnull = true;
			continue;
		}
		int64_t r;
		if (t == T) {
			r = (st->v.i + en->v.iv.time % DT_USECS_PER_DAY) % DT_USECS_PER_DAY;
			if (r < 0)
				r += DT_USECS_PER_DAY;
		} else if (dt_ts_pl_interval(st->v.i, en, t == TZ, ctz(ctx), &r, err) != CM_OK)
			return CM_ERROR;
		en->isnull = false;
		en->v.i = r;
	}
	bool n1 = p[0].isnull, m1 = p[1].isnull, n2 = p[2].isnull, m2 = p[3].isnull;
	int64_t s1 = p[0].v.i, e1 = p[1].v.i, s2 = p[2].v.i, e2 = p[3].v.i;
	memset(out, 0, sizeof *out);
	out->isnull = true;
	if (n1) {
		if (m1)
			return CM_OK;
		s1 = e1;
		m1 = true;
	} else if (!m1 && s1 > e1) {
		int64_t x = s1; s1 = e1; e1 = x;
	}
	if (n2) {
		if (m2)
			return CM_OK;
		s2 = e2;
		m2 = true;
	} else if (!m2 && s2 > e2) {
		int64_t x = s2; s2 = e2; e2 = x;
	}
	if (s1 > s2) {
		if (m2)
			return CM_OK;
		if (s1 < e2)
			return ret_b(out, true);
		if (m1)
			return CM_OK;
		return ret_b(out, false);
	}
	if (s1 < s2) {
		if (m1)
			return CM_OK;
		if (s2 < e1)
			return ret_b(out, true);
		if (m2)
			return CM_OK;
		return ret_b(out, false);
	}
	if (m1 || m2)
		return CM_OK;
	return ret_b(out, true);
}

#define OVL(tag, t, kind) \
	static cm_status fn_overlaps_##tag(ARGS) { (void) nargs; return overlaps_common(ctx, args, out, err, t, kind); }
OVL(ts, TS, 0) OVL(ts_i1, TS, 1) OVL(ts_i2, TS, 2) OVL(ts_ii, TS, 3)
OVL(tz, TZ, 0) OVL(tz_i1, TZ, 1) OVL(tz_i2, TZ, 2) OVL(tz_ii, TZ, 3)
OVL(t, T, 0) OVL(t_i1, T, 1) OVL(t_i2, T, 2) OVL(t_ii, T, 3)
#undef OVL

#define CMP_ROWS(NAME, TA, TB)                                                                   \
	{ "=", 2, { TA, TB }, BO, ST, NAME##_eq }, { "<>", 2, { TA, TB }, BO, ST, NAME##_ne },        \
	{ "<", 2, { TA, TB }, BO, ST, NAME##_lt }, { "<=", 2, { TA, TB }, BO, ST, NAME##_le },        \
	{ ">", 2, { TA, TB }, BO, ST, NAME##_gt }, { ">=", 2, { TA, TB }, BO, ST, NAME##_ge }

static const sem_builtin dt_builtins[] = {
	/* arithmetic */
	{ "+", 2, { D, I4 }, D, S, date_pl_int },
	{ "+", 2, { I4, D }, D, S, int_pl_date },
	{ "-", 2, { D, I4 }, D, S, date_mi_int },
	{ "-", 2, { D, D }, I4, S, date_mi_date },
	{ "+", 2, { D, T }, TS, S, date_pl_time },
	{ "+", 2, { T, D }, TS, S, time_pl_date },
	{ "+", 2, { D, IV }, TS, S, date_pl_iv },
	{ "+", 2, { IV, D }, TS, S, iv_pl_date },
	{ "-", 2, { D, IV }, TS, S, date_mi_iv },
	{ "+", 2, { TS, IV }, TS, S, ts_pl_iv },
	{ "+", 2, { IV, TS }, TS, S, iv_pl_ts },
	{ "-", 2, { TS, IV }, TS, S, ts_mi_iv },
	{ "-", 2, { TS, TS }, IV, S, ts_mi_ts },
	{ "+", 2, { TZ, IV }, TZ, ST, tstz_pl_iv },
	{ "+", 2, { IV, TZ }, TZ, ST, iv_pl_tstz },
	{ "-", 2, { TZ, IV }, TZ, ST, tstz_mi_iv },
	{ "-", 2, { TZ, TZ }, IV, S, ts_mi_ts },
	{ "+", 2, { T, IV }, T, S, time_pl_iv },
	{ "+", 2, { IV, T }, T, S, iv_pl_time },
	{ "-", 2, { T, IV }, T, S, time_mi_iv },
	{ "-", 2, { T, T }, IV, S, time_mi_time },
	{ "+", 2, { IV, IV }, IV, S, iv_pl_iv },
	{ "-", 2, { IV, IV }, IV, S, iv_mi_iv },
	{ "-", 1, { IV }, IV, S, iv_um },
	{ "*", 2, { IV, F8 }, IV, S, iv_mul },
	{ "*", 2, { F8, IV }, IV, S, mul_iv },
	{ "/", 2, { IV, F8 }, IV, S, iv_div },
	/* comparisons */
	CMP_ROWS(d_d, D, D),
	CMP_ROWS(t_t, T, T),
	CMP_ROWS(ts_ts, TS, TS),
	CMP_ROWS(tz_tz, TZ, TZ),
	CMP_ROWS(iv_iv, IV, IV),
	CMP_ROWS(d_ts, D, TS),
	CMP_ROWS(ts_d, TS, D),
	CMP_ROWS(d_tz, D, TZ),
	CMP_ROWS(tz_d, TZ, D),
	CMP_ROWS(ts_tz, TS, TZ),
	CMP_ROWS(tz_ts, TZ, TS),
	/* clock */
	{ "now", 0, { 0 }, TZ, ST, fn_now },
	{ "transaction_timestamp", 0, { 0 }, TZ, ST, fn_now },
	{ "current_timestamp", 0, { 0 }, TZ, ST, fn_now },
	{ "current_timestamp", 1, { I4 }, TZ, ST, fn_current_ts_p },
	{ "statement_timestamp", 0, { 0 }, TZ, ST, fn_stmt_ts },
	{ "clock_timestamp", 0, { 0 }, TZ, VO, fn_clock_ts },
	{ "localtimestamp", 0, { 0 }, TS, ST, fn_localts },
	{ "localtimestamp", 1, { I4 }, TS, ST, fn_localts_p },
	{ "current_date", 0, { 0 }, D, ST, fn_current_date },
	{ "localtime", 0, { 0 }, T, ST, fn_localtime },
	{ "localtime", 1, { I4 }, T, ST, fn_localtime_p },
	/* current_time is timetz in PostgreSQL; without timetz we give local time */
	{ "current_time", 0, { 0 }, T, ST, fn_localtime },
	{ "current_time", 1, { I4 }, T, ST, fn_localtime_p },
	/* date_trunc */
	{ "date_trunc", 2, { TX, TS }, TS, S, fn_trunc_ts },
	{ "date_trunc", 2, { TX, TZ }, TZ, ST, fn_trunc_tstz },
	{ "date_trunc", 3, { TX, TZ, TX }, TZ, S, fn_trunc_tstz_zone },
	{ "date_trunc", 2, { TX, IV }, IV, S, fn_trunc_iv },
	/* extract / date_part */
	{ "extract", 2, { TX, D }, NU, S, fn_extract_date },
	{ "extract", 2, { TX, T }, NU, S, fn_extract_time },
	{ "extract", 2, { TX, TS }, NU, S, fn_extract_ts },
	{ "extract", 2, { TX, TZ }, NU, ST, fn_extract_tstz },
	{ "extract", 2, { TX, IV }, NU, S, fn_extract_iv },
	{ "date_part", 2, { TX, D }, F8, S, fn_date_part_date_ts },
	{ "date_part", 2, { TX, T }, F8, S, fn_date_part_time },
	{ "date_part", 2, { TX, TS }, F8, S, fn_date_part_ts },
	{ "date_part", 2, { TX, TZ }, F8, ST, fn_date_part_tstz },
	{ "date_part", 2, { TX, IV }, F8, S, fn_date_part_iv },
	/* age, justify, isfinite */
	{ "age", 2, { TS, TS }, IV, S, fn_age_ts },
	{ "age", 2, { TZ, TZ }, IV, ST, fn_age_tstz },
	{ "age", 1, { TS }, IV, ST, fn_age1_ts },
	{ "age", 1, { TZ }, IV, ST, fn_age1_tstz },
	{ "justify_hours", 1, { IV }, IV, S, fn_justify_hours },
	{ "justify_days", 1, { IV }, IV, S, fn_justify_days },
	{ "justify_interval", 1, { IV }, IV, S, fn_justify_interval },
	{ "isfinite", 1, { D }, BO, S, fn_isfinite_date },
	{ "isfinite", 1, { TS }, BO, S, fn_isfinite_ts },
	{ "isfinite", 1, { TZ }, BO, S, fn_isfinite_ts },
	{ "isfinite", 1, { IV }, BO, S, fn_isfinite_iv },
	/* constructors */
	{ "make_date", 3, { I4, I4, I4 }, D, S, fn_make_date },
	{ "make_time", 3, { I4, I4, F8 }, T, S, fn_make_time },
	{ "make_timestamp", 6, { I4, I4, I4, I4, I4, F8 }, TS, S, fn_make_timestamp },
	{ "make_timestamptz", 6, { I4, I4, I4, I4, I4, F8 }, TZ, ST, fn_make_timestamptz },
	{ "to_timestamp", 1, { F8 }, TZ, S, fn_to_timestamp },
	/* timeofday, date_bin, OVERLAPS (not strict: NULL rules of their own) */
	{ "timeofday", 0, { 0 }, TX, VO, fn_timeofday },
	{ "date_bin", 3, { IV, TS, TS }, TS, S, fn_date_bin },
	{ "date_bin", 3, { IV, TZ, TZ }, TZ, S, fn_date_bin },
#define OVROWS(X, tag) \
	{ "overlaps", 4, { X, X, X, X }, BO, 0, fn_overlaps_##tag }, \
	{ "overlaps", 4, { X, IV, X, IV }, BO, 0, fn_overlaps_##tag##_ii }, \
	{ "overlaps", 4, { X, IV, X, X }, BO, 0, fn_overlaps_##tag##_i1 }, \
	{ "overlaps", 4, { X, X, X, IV }, BO, 0, fn_overlaps_##tag##_i2 }
	OVROWS(TS, ts), OVROWS(TZ, tz), OVROWS(T, t),
#undef OVROWS
	/* AT TIME ZONE */
	{ "timezone", 2, { TX, TZ }, TS, S, fn_timezone_tstz },
	{ "timezone", 2, { TX, TS }, TZ, S, fn_timezone_ts },
	{ "timezone", 2, { IV, TZ }, TS, S, fn_timezone_iv_tstz },
	{ "timezone", 2, { IV, TS }, TZ, S, fn_timezone_iv_ts },
};

void sem_dt_register_builtins(void)
{
	sem_register_builtins(dt_builtins, sizeof dt_builtins / sizeof dt_builtins[0]);
	sem_fmt_register_builtins();	/* to_char / to_date / to_timestamp / to_number */
}
