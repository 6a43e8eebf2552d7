/*
 * sem_datetime.c -- calendar arithmetic, binary I/O, casts and comparison
 * for the date/time types; the entry points of sem_datetime.h.
 *
 * Text parsing lives in sem_dt_parse.c, text output in sem_dt_format.c,
 * time zones in sem_dt_tz.c and the SQL-callable operators and functions in
 * sem_dt_funcs.c.
 *
 * Exported: everything in sem_datetime.h except sem_dt_valid_timezone
 * (sem_dt_tz.c); the dt_* helpers of sem_dt_internal.h marked
 * "(sem_datetime.c)".
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_dt_internal.h"

/* ------------------------------------------------------------------ */
/* Calendar                                                             */
/* ------------------------------------------------------------------ */

/* Julian day number of a proleptic Gregorian date (astronomical year >= -4800). */
int64_t dt_date2j(int64_t y, int m, int d)
{
	int64_t a = (14 - m) / 12;
	int64_t yy = y + 4800 - a;
	int64_t mm = m + 12 * a - 3;
	return d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32045;
}

void dt_j2date(int64_t jd, int *y, int *m, int *d)
{
	int64_t a = jd + 32044;
	int64_t b = (4 * a + 3) / 146097;
	int64_t c = a - 146097 * b / 4;
	int64_t dd = (4 * c + 3) / 1461;
	int64_t e = c - 1461 * dd / 4;
	int64_t mm = (5 * e + 2) / 153;
	*d = (int) (e - (153 * mm + 2) / 5 + 1);
	*m = (int) (mm + 3 - 12 * (mm / 10));
	*y = (int) (100 * b + dd - 4800 + mm / 10);
}

bool dt_isleap(int y)
{
	return (y % 4 == 0) && ((y % 100 != 0) || (y % 400 == 0));
}

int dt_days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return (m == 2 && dt_isleap(y)) ? 29 : dim[m - 1];
}

int dt_j2day(int64_t jd)
{
	int64_t r = (jd + 1) % 7;
	return (int) (r < 0 ? r + 7 : r);
}

int64_t dt_iso_week1_j(int isoyear)
{
	int64_t j4 = dt_date2j(isoyear, 1, 4);
	int isodow = dt_j2day(j4);
	if (isodow == 0)
		isodow = 7;
	return j4 - (isodow - 1);
}

/* Julian day of the Thursday of the ISO week containing y-m-d. */
static int64_t iso_thursday(int y, int m, int d)
{
	int64_t jd = dt_date2j(y, m, d);
	int isodow = dt_j2day(jd);
	if (isodow == 0)
		isodow = 7;
	return jd - isodow + 4;
}

int dt_iso_year(int y, int m, int d)
{
	int ty, tm, td;
	dt_j2date(iso_thursday(y, m, d), &ty, &tm, &td);
	return ty;
}

int dt_iso_week(int y, int m, int d)
{
	int64_t th = iso_thursday(y, m, d);
	int ty, tm, td;
	dt_j2date(th, &ty, &tm, &td);
	return (int) ((th - dt_date2j(ty, 1, 1)) / 7 + 1);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

void dt_ts2tm(int64_t ts, dt_tm *tm)
{
	int64_t days = floor_div(ts, DT_USECS_PER_DAY);
	int64_t t = ts - days * DT_USECS_PER_DAY;
	memset(tm, 0, sizeof(*tm));
	dt_j2date(days + DT_EPOCH_JD, &tm->year, &tm->mon, &tm->mday);
	tm->hour = (int) (t / DT_USECS_PER_HOUR);
	t -= tm->hour * DT_USECS_PER_HOUR;
	tm->min = (int) (t / DT_USECS_PER_MIN);
	t -= tm->min * DT_USECS_PER_MIN;
	tm->sec = (int) (t / DT_USECS_PER_SEC);
	tm->usec = (int32_t) (t - tm->sec * DT_USECS_PER_SEC);
}

bool dt_tm2ts(const dt_tm *tm, int64_t *ts)
{
	int64_t jd = dt_date2j(tm->year, tm->mon, tm->mday);
	if (jd < 0 || jd >= DT_TS_END_JD + 2)
		return false;
	int64_t days = jd - DT_EPOCH_JD;
	int64_t t = ((int64_t) tm->hour * 3600 + (int64_t) tm->min * 60 + tm->sec) * DT_USECS_PER_SEC + tm->usec;
	int64_t r = days * DT_USECS_PER_DAY + t;
	if (!dt_ts_valid(r))
		return false;
	*ts = r;
	return true;
}

static int64_t ts_unix_secs(int64_t ts)
{
	return floor_div(ts, DT_USECS_PER_SEC) + DT_UNIX_EPOCH_SECS;
}

bool dt_utc2local(int64_t utc, const char *tz, int64_t *local)
{
	if (!dt_ts_finite(utc)) {
		*local = utc;
		return true;
	}
	int off = dt_zone_offset_utc(dt_zone_get(tz), ts_unix_secs(utc), NULL, NULL);
	int64_t r = utc + off * DT_USECS_PER_SEC;
	if (!dt_ts_valid(r))
		return false;
	*local = r;
	return true;
}

bool dt_local2utc(int64_t local, const char *tz, int64_t *utc)
{
	if (!dt_ts_finite(local)) {
		*utc = local;
		return true;
	}
	int off = dt_zone_offset_local(dt_zone_get(tz), ts_unix_secs(local), NULL);
	int64_t r = local - off * DT_USECS_PER_SEC;
	if (!dt_ts_valid(r))
		return false;
	*utc = r;
	return true;
}

void dt_tstz2tm(int64_t ts, const char *tz, dt_tm *tm)
{
	bool isdst = false;
	const char *abbr = NULL;
	int off = dt_zone_offset_utc(dt_zone_get(tz), ts_unix_secs(ts), &isdst, &abbr);
	dt_ts2tm(ts + off * DT_USECS_PER_SEC, tm);
	tm->gmtoff = off;
	tm->isdst = isdst;
	tm->abbrev = abbr;
}

bool dt_tm2tstz(const dt_tm *tm, const char *tz, int64_t *ts)
{
	int64_t local;
	dt_tm t = *tm;
	int64_t jd = dt_date2j(t.year, t.mon, t.mday);
	if (jd < 0 || jd >= DT_TS_END_JD + 2)
		return false;
	local = (jd - DT_EPOCH_JD) * DT_USECS_PER_DAY +
			((int64_t) t.hour * 3600 + (int64_t) t.min * 60 + t.sec) * DT_USECS_PER_SEC + t.usec;
	int off = dt_zone_offset_local(dt_zone_get(tz), ts_unix_secs(local), NULL);
	int64_t r = local - off * DT_USECS_PER_SEC;
	if (!dt_ts_valid(r))
		return false;
	*ts = r;
	return true;
}

/* ------------------------------------------------------------------ */
/* Typmods                                                              */
/* ------------------------------------------------------------------ */

int64_t dt_round_prec(int64_t us, int prec)
{
	static const int64_t scale[7] = { 1000000, 100000, 10000, 1000, 100, 10, 1 };
	if (prec < 0 || prec >= 6)
		return us;
	int64_t s = scale[prec], h = s / 2;
	if (us >= 0)
		return ((us + h) / s) * s;
	return -(((-us + h) / s) * s);
}

/* Interval typmod range bits (PostgreSQL's). */
#define IV_MONTH (1 << 1)
#define IV_YEAR (1 << 2)
#define IV_DAY (1 << 3)
#define IV_HOUR (1 << 10)
#define IV_MINUTE (1 << 11)
#define IV_SECOND (1 << 12)
#define IV_FULL_RANGE 0x7FFF
#define IV_FULL_PREC 0xFFFF

bool dt_interval_typmod(sem_datum *iv, int32_t typmod)
{
	if (typmod < 0)
		return true;
	int range = (typmod >> 16) & 0x7FFF;
	int prec = typmod & 0xFFFF;
	if (range != IV_FULL_RANGE) {
		if (range == IV_YEAR) {
			iv->v.iv.month = (iv->v.iv.month / 12) * 12;
			iv->v.iv.day = 0;
			iv->v.iv.time = 0;
		} else if (range == IV_MONTH || range == (IV_YEAR | IV_MONTH)) {
			iv->v.iv.day = 0;
			iv->v.iv.time = 0;
		} else if (range == IV_DAY) {
			iv->v.iv.time = 0;
		} else if (range == IV_HOUR || range == (IV_DAY | IV_HOUR)) {
			iv->v.iv.time = (iv->v.iv.time / DT_USECS_PER_HOUR) * DT_USECS_PER_HOUR;
		} else if (range == IV_MINUTE || range == (IV_HOUR | IV_MINUTE) ||
				   range == (IV_DAY | IV_HOUR | IV_MINUTE)) {
			iv->v.iv.time = (iv->v.iv.time / DT_USECS_PER_MIN) * DT_USECS_PER_MIN;
		}
	}
	if (prec != IV_FULL_PREC && prec <= 6)
		iv->v.iv.time = dt_round_prec(iv->v.iv.time, prec);
	return true;
}

/* Apply a time/timestamp precision typmod; false when rounding overflows. */
static bool ts_typmod(sem_oid type, int64_t *v, int32_t typmod)
{
	if (typmod < 0 || typmod >= 6)
		return true;
	if (type == SEM_TIMEOID) {
		*v = dt_round_prec(*v, typmod);
		return true;
	}
	if (!dt_ts_finite(*v))
		return true;
	int64_t r = dt_round_prec(*v, typmod);
	if (!dt_ts_valid(r))
		return false;
	*v = r;
	return true;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */
/* ------------------------------------------------------------------ */

bool sem_dt_is_datetime(sem_oid oid)
{
	return oid == SEM_DATEOID || oid == SEM_TIMEOID || oid == SEM_TIMESTAMPOID ||
		   oid == SEM_TIMESTAMPTZOID || oid == SEM_INTERVALOID;
}

const char *dt_type_name(sem_oid oid)
{
	switch (oid) {
	case SEM_DATEOID: return "date";
	case SEM_TIMEOID: return "time without time zone";
	case SEM_TIMESTAMPOID: return "timestamp without time zone";
	case SEM_TIMESTAMPTZOID: return "timestamp with time zone";
	case SEM_INTERVALOID: return "interval";
	case SEM_TEXTOID: return "text";
	case SEM_VARCHAROID: return "character varying";
	case SEM_BPCHAROID: return "character";
	case SEM_NAMEOID: return "name";
	case SEM_UNKNOWNOID: return "unknown";
	case SEM_INT4OID: return "integer";
	case SEM_INT8OID: return "bigint";
	case SEM_FLOAT8OID: return "double precision";
	default: return "???";
	}
}

cm_status sem_dt_in_text(sem_ctx *ctx, sem_type type, const char *s, size_t len,
						 sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof(*out));
	if (type.oid == SEM_INTERVALOID)
		return dt_parse_interval(ctx, s, len, type.typmod, out, err);
	if (!sem_dt_is_datetime(type.oid))
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "type %u is not a date/time type", type.oid);
	if (dt_parse_datetime(ctx, type.oid, s, len, &out->v.i, err) != CM_OK)
		return CM_ERROR;
	if (type.oid != SEM_DATEOID && !ts_typmod(type.oid, &out->v.i, type.typmod))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	return CM_OK;
}

void sem_dt_out_text(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out)
{
	switch (type.oid) {
	case SEM_DATEOID:
		dt_format_date(d->v.i, out);
		break;
	case SEM_TIMEOID:
		dt_format_time(d->v.i, out);
		break;
	case SEM_TIMESTAMPOID:
		dt_format_timestamp(d->v.i, NULL, false, out);
		break;
	case SEM_TIMESTAMPTZOID:
		dt_format_timestamp(d->v.i, ctx ? ctx->timezone : NULL, true, out);
		break;
	case SEM_INTERVALOID:
		dt_format_interval(ctx ? ctx->intervalstyle : SEM_INTERVALSTYLE_POSTGRES, d, out);
		break;
	default:
		break;
	}
}

static uint32_t rd32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;
	return ((uint32_t) u[0] << 24) | ((uint32_t) u[1] << 16) | ((uint32_t) u[2] << 8) | u[3];
}

static int64_t rd64(const char *p)
{
	return (int64_t) (((uint64_t) rd32(p) << 32) | rd32(p + 4));
}

cm_status sem_dt_in_binary(sem_ctx *ctx, sem_type type, const char *p, size_t len,
						   sem_datum *out, cm_error *err)
{
	size_t want = type.oid == SEM_DATEOID ? 4 : type.oid == SEM_INTERVALOID ? 16 : 8;
	memset(out, 0, sizeof(*out));
	if (!sem_dt_is_datetime(type.oid))
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "type %u is not a date/time type", type.oid);
	if (len != want)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION,
							"incorrect binary data format");
	switch (type.oid) {
	case SEM_DATEOID: {
		int64_t d = (int32_t) rd32(p);
		if (dt_date_finite(d) && (d + DT_EPOCH_JD < 0 || d + DT_EPOCH_JD >= DT_DATE_END_JD))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range");
		out->v.i = d;
		break;
	}
	case SEM_TIMEOID: {
		int64_t t = rd64(p);
		if (t < 0 || t > DT_USECS_PER_DAY)
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "time out of range");
		if (!ts_typmod(type.oid, &t, type.typmod))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "time out of range");
		out->v.i = t;
		break;
	}
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID: {
		int64_t t = rd64(p);
		if (dt_ts_finite(t) && !dt_ts_valid(t))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		if (!ts_typmod(type.oid, &t, type.typmod))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		out->v.i = t;
		break;
	}
	case SEM_INTERVALOID:
		out->v.iv.time = rd64(p);
		out->v.iv.day = (int32_t) rd32(p + 8);
		out->v.iv.month = (int32_t) rd32(p + 12);
		dt_interval_typmod(out, type.typmod);
		break;
	}
	return CM_OK;
}

cm_status sem_dt_out_binary(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out,
							cm_error *err)
{
	switch (type.oid) {
	case SEM_DATEOID:
		cm_buf_put_u32be(out, (uint32_t) (int32_t) d->v.i);
		return CM_OK;
	case SEM_TIMEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID:
		cm_buf_put_u64be(out, (uint64_t) d->v.i);
		return CM_OK;
	case SEM_INTERVALOID:
		cm_buf_put_u64be(out, (uint64_t) d->v.iv.time);
		cm_buf_put_u32be(out, (uint32_t) d->v.iv.day);
		cm_buf_put_u32be(out, (uint32_t) d->v.iv.month);
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "type %u is not a date/time type", type.oid);
	}
}

int64_t sem_dt_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec - DT_UNIX_EPOCH_SECS) * DT_USECS_PER_SEC + ts.tv_nsec / 1000;
}

void sem_dt_offset_timezone(int secs_east, char *buf, size_t buflen)
{
	dt_offset_zone_name(secs_east, buf, buflen);
}

/* ------------------------------------------------------------------ */
/* Comparison                                                           */
/* ------------------------------------------------------------------ */

__int128 dt_interval_span(const sem_datum *iv)
{
	return (__int128) iv->v.iv.time + (__int128) iv->v.iv.day * DT_USECS_PER_DAY +
		   (__int128) iv->v.iv.month * (30 * DT_USECS_PER_DAY);
}

int sem_dt_compare(sem_oid type, const sem_datum *a, const sem_datum *b)
{
	if (type == SEM_INTERVALOID) {
		__int128 x = dt_interval_span(a), y = dt_interval_span(b);
		return x < y ? -1 : x > y ? 1 : 0;
	}
	return a->v.i < b->v.i ? -1 : a->v.i > b->v.i ? 1 : 0;
}

/*
 * Date -> timestamp for comparison: out-of-range dates compare as
 * +/- infinity would (PostgreSQL 15 clamps in cross-type comparison).
 */
static int64_t date_as_ts(int64_t d)
{
	if (d == DT_DATE_NOBEGIN)
		return DT_TS_NOBEGIN;
	if (d == DT_DATE_NOEND)
		return DT_TS_NOEND;
	if (d + DT_EPOCH_JD >= DT_TS_END_JD)
		return DT_TS_NOEND;
	return d * DT_USECS_PER_DAY;
}

static int64_t as_tstz(sem_ctx *ctx, sem_oid t, const sem_datum *d)
{
	int64_t v = d->v.i, r;
	if (t == SEM_DATEOID)
		v = date_as_ts(v);
	if (t == SEM_TIMESTAMPTZOID || !dt_ts_finite(v))
		return v;
	if (!dt_local2utc(v, ctx ? ctx->timezone : NULL, &r))
		return v < 0 ? DT_TS_NOBEGIN : DT_TS_NOEND;
	return r;
}

int sem_dt_compare_cross(sem_ctx *ctx, sem_oid ta, const sem_datum *a, sem_oid tb,
						 const sem_datum *b)
{
	int64_t x, y;
	if (ta == tb && ta != SEM_DATEOID)
		return sem_dt_compare(ta, a, b);
	if (ta == SEM_DATEOID && tb == SEM_DATEOID)
		return sem_dt_compare(ta, a, b);
	if (ta == SEM_TIMESTAMPTZOID || tb == SEM_TIMESTAMPTZOID) {
		x = as_tstz(ctx, ta, a);
		y = as_tstz(ctx, tb, b);
	} else {
		x = ta == SEM_DATEOID ? date_as_ts(a->v.i) : a->v.i;
		y = tb == SEM_DATEOID ? date_as_ts(b->v.i) : b->v.i;
	}
	return x < y ? -1 : x > y ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Arithmetic core                                                      */
/* ------------------------------------------------------------------ */

cm_status dt_ts_pl_interval(int64_t ts, const sem_datum *iv, bool withtz, const char *tz,
							int64_t *out, cm_error *err)
{
	if (!dt_ts_finite(ts)) {
		*out = ts;
		return CM_OK;
	}
	if (iv->v.iv.month != 0) {
		dt_tm tm;
		if (withtz)
			dt_tstz2tm(ts, tz, &tm);
		else
			dt_ts2tm(ts, &tm);
		int64_t m = (int64_t) tm.year * 12 + (tm.mon - 1) + iv->v.iv.month;
		tm.year = (int) floor_div(m, 12);
		tm.mon = (int) (m - (int64_t) tm.year * 12) + 1;
		int dim = dt_days_in_month(tm.year, tm.mon);
		if (tm.mday > dim)
			tm.mday = dim;
		if (withtz ? !dt_tm2tstz(&tm, tz, &ts) : !dt_tm2ts(&tm, &ts))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	}
	if (iv->v.iv.day != 0) {
		dt_tm tm;
		if (withtz)
			dt_tstz2tm(ts, tz, &tm);
		else
			dt_ts2tm(ts, &tm);
		int64_t jd = dt_date2j(tm.year, tm.mon, tm.mday) + iv->v.iv.day;
		if (jd < 0 || jd >= DT_TS_END_JD + 2)
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		dt_j2date(jd, &tm.year, &tm.mon, &tm.mday);
		if (withtz ? !dt_tm2tstz(&tm, tz, &ts) : !dt_tm2ts(&tm, &ts))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	}
	int64_t r;
	if (__builtin_add_overflow(ts, iv->v.iv.time, &r) || !dt_ts_valid(r))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	*out = r;
	return CM_OK;
}

/* ------------------------------------------------------------------ */
/* Casts                                                                */
/* ------------------------------------------------------------------ */

static bool is_textlike(sem_oid t)
{
	return t == SEM_TEXTOID || t == SEM_VARCHAROID || t == SEM_BPCHAROID || t == SEM_NAMEOID ||
		   t == SEM_UNKNOWNOID;
}

static cm_status date_to_ts(int64_t d, int64_t *out, cm_error *err)
{
	if (!dt_date_finite(d)) {
		*out = d == DT_DATE_NOBEGIN ? DT_TS_NOBEGIN : DT_TS_NOEND;
		return CM_OK;
	}
	if (d + DT_EPOCH_JD >= DT_TS_END_JD)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range for timestamp");
	*out = d * DT_USECS_PER_DAY;
	return CM_OK;
}

static int64_t ts_to_date(int64_t ts)
{
	if (ts == DT_TS_NOBEGIN)
		return DT_DATE_NOBEGIN;
	if (ts == DT_TS_NOEND)
		return DT_DATE_NOEND;
	return floor_div(ts, DT_USECS_PER_DAY);
}

cm_status sem_dt_cast(sem_ctx *ctx, sem_oid from, sem_oid to, int32_t typmod,
					  const sem_datum *in, sem_datum *out, cm_error *err)
{
	const char *tz = ctx ? ctx->timezone : NULL;
	sem_datum r;
	memset(&r, 0, sizeof r);
	if (in->isnull) {
		*out = r;
		out->isnull = true;
		return CM_OK;
	}
	if (is_textlike(from) && sem_dt_is_datetime(to)) {
		sem_type t = { to, typmod };
		if (sem_dt_in_text(ctx, t, in->v.s.p, in->v.s.len, &r, err) != CM_OK)
			return CM_ERROR;
		*out = r;
		return CM_OK;
	}
	if (sem_dt_is_datetime(from) && is_textlike(to)) {
		cm_buf b;
		cm_buf_init(&b);
		sem_type t = { from, -1 };
		sem_dt_out_text(ctx, t, in, &b);
		size_t n = b.len;
		if (to == SEM_VARCHAROID && typmod >= 4 && n > (size_t) (typmod - 4))
			n = (size_t) (typmod - 4);
		r.v.s.p = cm_memdup(ctx->arena, b.data ? b.data : "", n);
		r.v.s.len = (uint32_t) n;
		cm_buf_free(&b);
		*out = r;
		return CM_OK;
	}
	int64_t v = in->v.i;
	switch (to) {
	case SEM_DATEOID:
		if (from == SEM_DATEOID) {
			r.v.i = v;
		} else if (from == SEM_TIMESTAMPOID) {
			r.v.i = ts_to_date(v);
		} else if (from == SEM_TIMESTAMPTZOID) {
			int64_t l;
			if (!dt_utc2local(v, tz, &l))
				return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
			r.v.i = ts_to_date(l);
		} else {
			goto nocast;
		}
		break;
	case SEM_TIMEOID:
		if (from == SEM_TIMEOID) {
			r.v.i = v;
		} else if (from == SEM_TIMESTAMPOID || from == SEM_TIMESTAMPTZOID) {
			if (!dt_ts_finite(v)) {
				out->isnull = true;	/* PostgreSQL returns NULL for infinite input */
				return CM_OK;
			}
			int64_t l = v;
			if (from == SEM_TIMESTAMPTZOID && !dt_utc2local(v, tz, &l))
				return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
			r.v.i = l - floor_div(l, DT_USECS_PER_DAY) * DT_USECS_PER_DAY;
		} else if (from == SEM_INTERVALOID) {
			int64_t t = in->v.iv.time % DT_USECS_PER_DAY;
			if (t < 0)
				t += DT_USECS_PER_DAY;
			r.v.i = t;
		} else {
			goto nocast;
		}
		if (!ts_typmod(SEM_TIMEOID, &r.v.i, typmod))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "time out of range");
		break;
	case SEM_TIMESTAMPOID:
		if (from == SEM_TIMESTAMPOID) {
			r.v.i = v;
		} else if (from == SEM_DATEOID) {
			if (date_to_ts(v, &r.v.i, err) != CM_OK)
				return CM_ERROR;
		} else if (from == SEM_TIMESTAMPTZOID) {
			if (!dt_utc2local(v, tz, &r.v.i))
				return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		} else {
			goto nocast;
		}
		if (!ts_typmod(to, &r.v.i, typmod))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		break;
	case SEM_TIMESTAMPTZOID:
		if (from == SEM_TIMESTAMPTZOID) {
			r.v.i = v;
		} else if (from == SEM_DATEOID || from == SEM_TIMESTAMPOID) {
			int64_t l = v;
			if (from == SEM_DATEOID && date_to_ts(v, &l, err) != CM_OK)
				return CM_ERROR;
			if (!dt_local2utc(l, tz, &r.v.i))
				return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		} else {
			goto nocast;
		}
		if (!ts_typmod(to, &r.v.i, typmod))
			return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
		break;
	case SEM_INTERVALOID:
		if (from == SEM_INTERVALOID) {
			r.v.iv = in->v.iv;
		} else if (from == SEM_TIMEOID) {
			r.v.iv.time = v;
		} else {
			goto nocast;
		}
		dt_interval_typmod(&r, typmod);
		break;
	default:
		goto nocast;
	}
	*out = r;
	return CM_OK;
nocast:
	return cm_error_set(err, CM_E_CANNOT_COERCE, "cannot cast type %s to %s", dt_type_name(from),
						dt_type_name(to));
}
