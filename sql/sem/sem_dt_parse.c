/*
 * sem_dt_parse.c -- text input of date, time, timestamp(tz) and interval.
 *
 * Input is first cut into fields (numbers, dates such as 2024-01-02 or
 * 02-Jan-2024, times such as 03:04:05.5, signed zone displacements, words),
 * then the fields are interpreted with PostgreSQL's rules: DateStyle field
 * order for ambiguous numeric dates, two-digit years (< 70 -> 20xx), month
 * and weekday names, AM/PM, BC/AD, zone abbreviations and zone names,
 * the special words epoch/infinity/now/today/tomorrow/yesterday/allballs,
 * and ISO 8601 "T".  Interval input accepts PostgreSQL's unit syntax
 * ("1 day 2 hours", "1-2", "3 4:05:06", "@ 1 minute ago") and ISO 8601
 * ("P1Y2M3DT4H5M6S", "P0001-02-03T04:05:06").
 *
 * Errors carry PostgreSQL's SQLSTATEs and messages:
 *   22007 invalid input syntax for type T: "..."
 *   22008 date/time field value out of range: "..." (+ DateStyle hint)
 *   22008 date out of range / timestamp out of range: "..."
 *   22009 time zone displacement out of range: "..."
 *   22015 interval field value out of range: "..."
 *   22023 time zone "..." not recognized
 *
 * Exported (sem_dt_internal.h): dt_parse_datetime, dt_parse_interval.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_dt_internal.h"

#define MAX_FIELDS 32
#define MAX_INPUT 256

typedef enum ftype {
	F_NUMBER,	/* digits, maybe a fraction: 12, 2024, 12.5 */
	F_DATE,		/* 2024-01-02, 1/2/2024, 02-jan-2024, 2024.01.02 */
	F_TIME,		/* 03:04, 03:04:05.123 */
	F_SIGNED,	/* +05, -05:30, +0530, -4:05, -1.5 */
	F_WORD,		/* letters: jan, pm, bc, est, infinity, ago */
	F_ZONE,		/* america/new_york, gmt+3, est5edt, j2451545 */
} ftype;

typedef struct field {
	ftype t;
	const char *s;	/* into the lower-cased copy */
	int len;
} field;

typedef struct parsed {
	char buf[MAX_INPUT + 1];
	field f[MAX_FIELDS];
	int n;
} parsed;

/* ------------------------------------------------------------------ */
/* Lexer                                                                */
/* ------------------------------------------------------------------ */

static bool is_month_word(const char *s, int len);

/* Split into fields; false if the text has characters we never accept. */
static bool lex(const char *in, size_t inlen, parsed *p)
{
	if (inlen > MAX_INPUT)
		return false;
	for (size_t i = 0; i < inlen; i++) {
		if (in[i] == '\0')
			return false;
		p->buf[i] = (char) tolower((unsigned char) in[i]);
	}
	p->buf[inlen] = '\0';
	p->n = 0;
	char *c = p->buf;
	while (*c) {
		if (isspace((unsigned char) *c) || *c == ',') {
			c++;
			continue;
		}
		if (p->n == MAX_FIELDS)
			return false;
		field *f = &p->f[p->n];
		char *start = c;
		if (isdigit((unsigned char) *c)) {
			while (isdigit((unsigned char) *c))
				c++;
			if (*c == ':') {
				while (isdigit((unsigned char) *c) || *c == ':' || *c == '.')
					c++;
				f->t = F_TIME;
			} else if (*c == '-' || *c == '/' ||
					   (*c == '.' && isdigit((unsigned char) c[1]) && strchr(c + 1, '.') &&
						(strchr(c + 1, '.') < c + 1 + strspn(c + 1, "0123456789") + 1))) {
				char sep = *c;
				while (isalnum((unsigned char) *c) || *c == sep) {
					/* ISO 8601 "T" between date and time */
					if (*c == 't' && c > start && isdigit((unsigned char) c[-1]) &&
						isdigit((unsigned char) c[1]))
						break;
					c++;
				}
				f->t = F_DATE;
			} else if (*c == '.') {
				c++;
				while (isdigit((unsigned char) *c))
					c++;
				f->t = F_NUMBER;
			} else {
				f->t = F_NUMBER;
			}
			/* 20240102T030405 style: number, "t", time */
			if (f->t == F_NUMBER && *c == 't' && isdigit((unsigned char) c[1])) {
				f->s = start;
				f->len = (int) (c - start);
				p->n++;
				c++;
				continue;
			}
		} else if (*c == 't' && isdigit((unsigned char) c[1]) && p->n > 0) {
			c++;	/* ISO 8601 date/time separator */
			continue;
		} else if (isalpha((unsigned char) *c)) {
			while (isalpha((unsigned char) *c))
				c++;
			if ((*c == '-' || *c == '/') && isalnum((unsigned char) c[1]) &&
				is_month_word(start, (int) (c - start))) {
				char sep = *c;
				while (isalnum((unsigned char) *c) || *c == sep)
					c++;
				f->t = F_DATE;
			} else if (*c == '/' || *c == '_' || isdigit((unsigned char) *c) ||
					   ((*c == '+' || *c == '-') && isdigit((unsigned char) c[1]))) {
				while (isalnum((unsigned char) *c) || *c == '/' || *c == '_' || *c == '+' ||
					   *c == '-' || *c == ':' || *c == '.')
					c++;
				f->t = F_ZONE;
			} else {
				if (*c == '.')	/* "jan." / "a.m." style abbreviations */
					c++;
				f->t = F_WORD;
			}
		} else if ((*c == '+' || *c == '-') && isdigit((unsigned char) c[1])) {
			c++;
			while (isdigit((unsigned char) *c) || *c == ':' || *c == '.')
				c++;
			/* signed year-month "-1-2" (intervals) */
			if (*c == '-' && isdigit((unsigned char) c[1])) {
				c++;
				while (isdigit((unsigned char) *c))
					c++;
				f->t = F_DATE;
			} else {
				f->t = F_SIGNED;
			}
		} else if ((*c == '+' || *c == '-') && isalpha((unsigned char) c[1])) {
			c++;
			while (isalpha((unsigned char) *c))
				c++;
			f->t = F_WORD;
		} else if (*c == '.' && isdigit((unsigned char) c[1])) {
			c++;
			while (isdigit((unsigned char) *c))
				c++;
			f->t = F_NUMBER;
		} else if (*c == '@') {
			c++;
			continue;
		} else {
			return false;
		}
		f->s = start;
		f->len = (int) (c - start);
		p->n++;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Words                                                                */
/* ------------------------------------------------------------------ */

static bool word_is(const field *f, const char *w)
{
	size_t n = strlen(w);
	return (size_t) f->len == n && memcmp(f->s, w, n) == 0;
}

static int month_of(const char *s, int len)
{
	static const char *names[12] = { "january", "february", "march", "april", "may", "june",
									 "july", "august", "september", "october", "november",
									 "december" };
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len < 3)
		return 0;
	for (int i = 0; i < 12; i++) {
		if ((size_t) len <= strlen(names[i]) && memcmp(s, names[i], (size_t) len) == 0 &&
			(len == 3 || (size_t) len == strlen(names[i]) || (i == 8 && len == 4)))
			return i + 1;
	}
	return 0;
}

static bool is_month_word(const char *s, int len)
{
	return month_of(s, len) != 0;
}

static bool is_weekday(const char *s, int len)
{
	static const char *names[7] = { "sunday", "monday", "tuesday", "wednesday", "thursday",
									"friday", "saturday" };
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len < 3)
		return false;
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(names[i]);
		if ((size_t) len <= n && memcmp(s, names[i], (size_t) len) == 0 &&
			(len == 3 || (size_t) len == n || (len == 4 && (i == 2 || i == 4))))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

typedef enum dterr {
	DTE_OK = 0,
	DTE_BAD_FORMAT,
	DTE_FIELD_OVERFLOW,
	DTE_MD_FIELD_OVERFLOW,
	DTE_TZDISP_OVERFLOW,
	DTE_INTERVAL_OVERFLOW,
	DTE_BAD_ZONE,
	DTE_DATE_RANGE,
	DTE_TS_RANGE,
	DTE_IV_RANGE,
} dterr;

static const char *input_type_name(sem_oid t)
{
	switch (t) {
	case SEM_DATEOID: return "date";
	case SEM_TIMEOID: return "time";
	case SEM_TIMESTAMPOID: return "timestamp";
	case SEM_TIMESTAMPTZOID: return "timestamp with time zone";
	default: return "interval";
	}
}

static cm_status raise(dterr e, sem_oid type, const char *s, size_t len, const char *zone,
					   int zlen, cm_error *err)
{
	int n = (int) (len > 1000 ? 1000 : len);
	switch (e) {
	case DTE_FIELD_OVERFLOW:
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
							"date/time field value out of range: \"%.*s\"", n, s);
	case DTE_MD_FIELD_OVERFLOW:
		cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW,
					 "date/time field value out of range: \"%.*s\"", n, s);
		cm_error_hint(err, "Perhaps you need a different \"datestyle\" setting.");
		return CM_ERROR;
	case DTE_TZDISP_OVERFLOW:
		return cm_error_set(err, CM_E_INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
							"time zone displacement out of range: \"%.*s\"", n, s);
	case DTE_INTERVAL_OVERFLOW:
		return cm_error_set(err, CM_E_INTERVAL_FIELD_OVERFLOW,
							"interval field value out of range: \"%.*s\"", n, s);
	case DTE_BAD_ZONE:
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "time zone \"%.*s\" not recognized",
							zlen, zone);
	case DTE_DATE_RANGE:
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range: \"%.*s\"", n, s);
	case DTE_TS_RANGE:
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"%.*s\"",
							n, s);
	case DTE_IV_RANGE:
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "interval out of range");
	default:
		return cm_error_set(err, CM_E_INVALID_DATETIME_FORMAT,
							"invalid input syntax for type %s: \"%.*s\"", input_type_name(type), n, s);
	}
}

/* ------------------------------------------------------------------ */
/* Number helpers                                                       */
/* ------------------------------------------------------------------ */

/* Unsigned decimal integer of exactly len digits; false if not all digits
 * or larger than INT32_MAX. */
static bool parse_uint(const char *s, int len, int64_t *v)
{
	int64_t r = 0;
	if (len <= 0)
		return false;
	for (int i = 0; i < len; i++) {
		if (!isdigit((unsigned char) s[i]))
			return false;
		r = r * 10 + (s[i] - '0');
		if (r > INT32_MAX)
			return false;
	}
	*v = r;
	return true;
}

/* ".123456789" -> microseconds, rounded as PostgreSQL (strtod + rint). */
static bool parse_frac(const char *s, int len, int32_t *usec)
{
	char tmp[64];
	if (len <= 0 || len >= (int) sizeof tmp || s[0] != '.')
		return false;
	for (int i = 1; i < len; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	memcpy(tmp, s, (size_t) len);
	tmp[len] = '\0';
	double d = strtod(tmp, NULL);
	*usec = (int32_t) rint(d * 1000000.0);
	return true;
}

/* "h:m[:s[.f]]" (or "m:s.f" when minsec); all parts non-negative. */
static dterr parse_time_field(const char *s, int len, bool minsec_ok, int64_t *h, int64_t *m,
							  int64_t *sec, int32_t *usec)
{
	int64_t part[3] = { 0, 0, 0 };
	int np = 0;
	int i = 0;
	*usec = 0;
	while (i < len) {
		int st = i;
		while (i < len && isdigit((unsigned char) s[i]))
			i++;
		if (np == 3 || !parse_uint(s + st, i - st, &part[np]))
			return DTE_BAD_FORMAT;
		np++;
		if (i < len && s[i] == '.') {
			int fs = i;
			i++;
			while (i < len && isdigit((unsigned char) s[i]))
				i++;
			if (i != len || np < 2 || !parse_frac(s + fs, i - fs, usec))
				return DTE_BAD_FORMAT;
			if (np == 2) {
				/* "mm:ss.fff" */
				part[2] = part[1];
				part[1] = part[0];
				part[0] = 0;
				np = 3;
			}
			break;
		}
		if (i < len) {
			if (s[i] != ':')
				return DTE_BAD_FORMAT;
			i++;
			if (i == len)
				return DTE_BAD_FORMAT;
		}
	}
	if (np < 2)
		return DTE_BAD_FORMAT;
	if (np == 2 && minsec_ok) {
		part[2] = part[1];
		part[1] = part[0];
		part[0] = 0;
	}
	*h = part[0];
	*m = part[1];
	*sec = part[2];
	return DTE_OK;
}

/* Zone displacement "+hh", "+hhmm", "+hh:mm[:ss]"; seconds east. */
static dterr parse_tzdisp(const char *s, int len, int *east)
{
	bool neg = s[0] == '-';
	int64_t h = 0, m = 0, sec = 0;
	s++;
	len--;
	const char *colon = memchr(s, ':', (size_t) len);
	if (memchr(s, '.', (size_t) len))
		return DTE_BAD_FORMAT;
	if (colon) {
		int hl = (int) (colon - s);
		if (!parse_uint(s, hl, &h))
			return DTE_BAD_FORMAT;
		const char *r = colon + 1;
		int rl = len - hl - 1;
		const char *c2 = memchr(r, ':', (size_t) rl);
		if (c2) {
			if (!parse_uint(r, (int) (c2 - r), &m) ||
				!parse_uint(c2 + 1, rl - (int) (c2 - r) - 1, &sec))
				return DTE_BAD_FORMAT;
		} else if (!parse_uint(r, rl, &m)) {
			return DTE_BAD_FORMAT;
		}
	} else {
		int64_t v;
		if (!parse_uint(s, len, &v))
			return DTE_BAD_FORMAT;
		if (len <= 2) {
			h = v;
		} else if (len <= 4) {
			h = v / 100;
			m = v % 100;
		} else if (len <= 6) {
			h = v / 10000;
			m = (v / 100) % 100;
			sec = v % 100;
		} else {
			return DTE_BAD_FORMAT;
		}
	}
	if (h > 15)
		return DTE_TZDISP_OVERFLOW;
	if (m >= 60 || sec >= 60)
		return DTE_TZDISP_OVERFLOW;
	int v = (int) (h * 3600 + m * 60 + sec);
	*east = neg ? -v : v;
	return DTE_OK;
}

/* ------------------------------------------------------------------ */
/* Date/time interpretation                                             */
/* ------------------------------------------------------------------ */

typedef enum special {
	SP_NONE = 0,
	SP_EPOCH,
	SP_INFINITY,
	SP_NINFINITY,
	SP_NOW,
	SP_TODAY,
	SP_TOMORROW,
	SP_YESTERDAY,
} special;

typedef struct dtstate {
	int64_t year, mon, day;
	bool have_year, have_mon, have_day;
	int year_digits;
	bool textmonth;
	bool have_date;		/* a complete date field was given */
	bool have_time;
	int64_t hour, min, sec;
	int32_t usec;
	int ampm;			/* 0 none, 1 am, 2 pm */
	bool bc, era;
	bool have_tz;
	int tz_east;
	const dt_zone *zone;
	special sp;
	bool allballs;
	bool julian;
	int64_t jd;
	/* bare numbers waiting for a role */
	int64_t num[4];
	int numdig[4];
	int nnum;
} dtstate;

/* Interpret "a<sep>b<sep>c" date fields. */
static dterr decode_date(dtstate *st, const char *s, int len, sem_dateorder order)
{
	const char *part[3];
	int plen[3], np = 0;
	char sep = 0;
	for (int i = 0; i < len; i++) {
		if (s[i] == '-' || s[i] == '/' || s[i] == '.') {
			sep = s[i];
			break;
		}
	}
	int i = 0;
	while (i <= len && np < 4) {
		int stt = i;
		while (i < len && s[i] != sep)
			i++;
		if (np == 3)
			return DTE_BAD_FORMAT;
		part[np] = s + stt;
		plen[np] = i - stt;
		if (plen[np] == 0)
			return DTE_BAD_FORMAT;
		np++;
		i++;
	}
	if (np != 3 || st->have_date || st->have_mon || st->have_year || st->have_day)
		return DTE_BAD_FORMAT;
	int64_t v[3];
	bool num[3];
	int mpos = -1;
	for (int k = 0; k < 3; k++) {
		num[k] = parse_uint(part[k], plen[k], &v[k]);
		if (!num[k]) {
			int m = month_of(part[k], plen[k]);
			if (!m || mpos >= 0)
				return DTE_BAD_FORMAT;
			mpos = k;
			v[k] = m;
		}
	}
	int yi, mi, di;
	if (mpos >= 0) {
		int o[2], no = 0;
		for (int k = 0; k < 3; k++)
			if (k != mpos)
				o[no++] = k;
		mi = mpos;
		if (plen[o[0]] >= 3 || (order == SEM_DATEORDER_YMD && mpos != 0 && plen[o[1]] < 3)) {
			yi = o[0];
			di = o[1];
		} else {
			di = o[0];
			yi = o[1];
		}
		st->textmonth = true;
	} else if (plen[0] >= 3) {
		yi = 0;
		mi = 1;
		di = 2;
	} else if (order == SEM_DATEORDER_DMY) {
		di = 0;
		mi = 1;
		yi = 2;
	} else if (order == SEM_DATEORDER_YMD) {
		yi = 0;
		mi = 1;
		di = 2;
	} else {
		mi = 0;
		di = 1;
		yi = 2;
	}
	st->year = v[yi];
	st->year_digits = plen[yi];
	st->mon = v[mi];
	st->day = v[di];
	st->have_year = st->have_mon = st->have_day = true;
	st->have_date = true;
	return DTE_OK;
}

static dterr decode_fields(sem_ctx *ctx, parsed *p, dtstate *st)
{
	sem_dateorder order = ctx ? ctx->dateorder : SEM_DATEORDER_MDY;
	for (int i = 0; i < p->n; i++) {
		field *f = &p->f[i];
		dterr e;
		switch (f->t) {
		case F_DATE:
			if ((e = decode_date(st, f->s, f->len, order)) != DTE_OK)
				return e;
			break;
		case F_TIME:
			if (st->have_time)
				return DTE_BAD_FORMAT;
			if ((e = parse_time_field(f->s, f->len, false, &st->hour, &st->min, &st->sec,
									  &st->usec)) != DTE_OK)
				return e;
			st->have_time = true;
			break;
		case F_SIGNED: {
			if (st->have_tz)
				return DTE_BAD_FORMAT;
			if ((e = parse_tzdisp(f->s, f->len, &st->tz_east)) != DTE_OK)
				return e;
			st->have_tz = true;
			break;
		}
		case F_NUMBER: {
			int64_t v;
			const char *dot = memchr(f->s, '.', (size_t) f->len);
			if (dot) {
				/* seconds fraction after "hh:mm ss"? not supported: */
				return DTE_BAD_FORMAT;
			}
			if (!parse_uint(f->s, f->len, &v))
				return DTE_FIELD_OVERFLOW;
			if (!st->have_date && !st->have_year && !st->have_mon && st->nnum == 0 &&
				(f->len == 8 || f->len == 6)) {
				/* YYYYMMDD or YYMMDD */
				int yl = f->len - 4;
				st->year = v / 10000;
				st->mon = (v / 100) % 100;
				st->day = v % 100;
				st->year_digits = yl;
				st->have_year = st->have_mon = st->have_day = st->have_date = true;
				break;
			}
			if (st->have_date && !st->have_time && (f->len == 6 || f->len == 4)) {
				/* hhmmss / hhmm after the date */
				if (f->len == 6) {
					st->hour = v / 10000;
					st->min = (v / 100) % 100;
					st->sec = v % 100;
				} else {
					st->hour = v / 100;
					st->min = v % 100;
				}
				st->have_time = true;
				break;
			}
			if (st->nnum == 4)
				return DTE_BAD_FORMAT;
			st->num[st->nnum] = v;
			st->numdig[st->nnum] = f->len;
			st->nnum++;
			break;
		}
		case F_WORD: {
			int m;
			int off;
			bool dst;
			if (word_is(f, "epoch"))
				st->sp = SP_EPOCH;
			else if (word_is(f, "infinity") || word_is(f, "+infinity"))
				st->sp = SP_INFINITY;
			else if (word_is(f, "-infinity"))
				st->sp = SP_NINFINITY;
			else if (word_is(f, "now"))
				st->sp = SP_NOW;
			else if (word_is(f, "today"))
				st->sp = SP_TODAY;
			else if (word_is(f, "tomorrow"))
				st->sp = SP_TOMORROW;
			else if (word_is(f, "yesterday"))
				st->sp = SP_YESTERDAY;
			else if (word_is(f, "allballs")) {
				st->allballs = true;
				st->have_time = true;
				st->hour = st->min = st->sec = 0;
				st->have_tz = true;
				st->tz_east = 0;
			} else if (word_is(f, "am") || word_is(f, "a.m.") || word_is(f, "am.")) {
				if (st->ampm)
					return DTE_BAD_FORMAT;
				st->ampm = 1;
			} else if (word_is(f, "pm") || word_is(f, "p.m.") || word_is(f, "pm.")) {
				if (st->ampm)
					return DTE_BAD_FORMAT;
				st->ampm = 2;
			} else if (word_is(f, "bc") || word_is(f, "b.c.")) {
				if (st->era)
					return DTE_BAD_FORMAT;
				st->era = st->bc = true;
			} else if (word_is(f, "ad") || word_is(f, "a.d.")) {
				if (st->era)
					return DTE_BAD_FORMAT;
				st->era = true;
			} else if (word_is(f, "t")) {
				/* ISO 8601 separator: a time must follow */
				if (i + 1 >= p->n || (p->f[i + 1].t != F_TIME && p->f[i + 1].t != F_NUMBER))
					return DTE_BAD_FORMAT;
			} else if (word_is(f, "at") || word_is(f, "on")) {
				/* noise words */
			} else if ((m = month_of(f->s, f->len)) != 0) {
				if (st->have_mon)
					return DTE_BAD_FORMAT;
				st->mon = m;
				st->have_mon = true;
				st->textmonth = true;
			} else if (is_weekday(f->s, f->len)) {
				/* ignored, as PostgreSQL does */
			} else if (dt_abbrev_lookup(f->s, (size_t) f->len, &off, &dst)) {
				if (st->have_tz || st->zone)
					return DTE_BAD_FORMAT;
				st->have_tz = true;
				st->tz_east = off;
			} else {
				const dt_zone *z = dt_zone_lookup_literal(f->s, (size_t) f->len);
				if (!z || st->have_tz || st->zone)
					return DTE_BAD_FORMAT;
				st->zone = z;
			}
			break;
		}
		case F_ZONE: {
			if (f->s[0] == 'j' && f->len > 1) {
				int64_t v;
				if (parse_uint(f->s + 1, f->len - 1, &v)) {
					if (st->have_date)
						return DTE_BAD_FORMAT;
					st->julian = true;
					st->jd = v;
					st->have_date = true;
					break;
				}
			}
			if (st->have_tz || st->zone)
				return DTE_BAD_FORMAT;
			const dt_zone *z = dt_zone_lookup_literal(f->s, (size_t) f->len);
			if (!z)
				return memchr(f->s, '/', (size_t) f->len) ? DTE_BAD_ZONE : DTE_BAD_FORMAT;
			st->zone = z;
			break;
		}
		}
	}
	return DTE_OK;
}

/* Give the bare numbers their roles (year / month / day). */
static dterr assign_numbers(dtstate *st, sem_dateorder order)
{
	int n = st->nnum;
	if (n == 0)
		return DTE_OK;
	if (st->have_date)
		return DTE_BAD_FORMAT;
	if (st->textmonth) {
		for (int k = 0; k < n; k++) {
			int64_t v = st->num[k];
			int dg = st->numdig[k];
			if (dg >= 3 && !st->have_year) {
				st->year = v;
				st->year_digits = dg;
				st->have_year = true;
			} else if (!st->have_day && (order != SEM_DATEORDER_YMD || st->have_year || k > 0 || n == 1)) {
				st->day = v;
				st->have_day = true;
			} else if (!st->have_year) {
				st->year = v;
				st->year_digits = dg;
				st->have_year = true;
			} else {
				return DTE_BAD_FORMAT;
			}
		}
		return DTE_OK;
	}
	if (n == 3) {
		int yi, mi, di;
		if (st->numdig[0] >= 3 || order == SEM_DATEORDER_YMD) {
			yi = 0; mi = 1; di = 2;
		} else if (order == SEM_DATEORDER_DMY) {
			di = 0; mi = 1; yi = 2;
		} else {
			mi = 0; di = 1; yi = 2;
		}
		st->year = st->num[yi];
		st->year_digits = st->numdig[yi];
		st->mon = st->num[mi];
		st->day = st->num[di];
		st->have_year = st->have_mon = st->have_day = true;
		return DTE_OK;
	}
	return DTE_BAD_FORMAT;
}

/* Local midnight of today in the session zone, as a local timestamp. */
static int64_t today_local(sem_ctx *ctx)
{
	int64_t now = ctx && ctx->txn_timestamp ? ctx->txn_timestamp : sem_dt_now_us();
	int64_t local;
	if (!dt_utc2local(now, ctx ? ctx->timezone : NULL, &local))
		local = now;
	int64_t d = local / DT_USECS_PER_DAY;
	if (local < 0 && local % DT_USECS_PER_DAY)
		d--;
	return d * DT_USECS_PER_DAY;
}

cm_status dt_parse_datetime(sem_ctx *ctx, sem_oid type, const char *s, size_t len, int64_t *out,
							cm_error *err)
{
	parsed p;
	dtstate st;
	memset(&st, 0, sizeof st);
	if (!lex(s, len, &p) || p.n == 0)
		return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
	dterr e = decode_fields(ctx, &p, &st);
	if (e == DTE_BAD_ZONE) {
		for (int i = 0; i < p.n; i++)
			if (p.f[i].t == F_ZONE && memchr(p.f[i].s, '/', (size_t) p.f[i].len) &&
				!dt_zone_lookup_literal(p.f[i].s, (size_t) p.f[i].len))
				return raise(e, type, s, len, p.f[i].s, p.f[i].len, err);
	}
	if (e == DTE_OK)
		e = assign_numbers(&st, ctx ? ctx->dateorder : SEM_DATEORDER_MDY);
	if (e != DTE_OK)
		return raise(e, type, s, len, NULL, 0, err);

	const char *tz = ctx ? ctx->timezone : NULL;

	/* Special words. */
	if (st.sp != SP_NONE) {
		bool only = !st.have_year && !st.have_mon && !st.have_day && !st.have_date;
		if (!only)
			return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		if (st.sp == SP_INFINITY || st.sp == SP_NINFINITY) {
			if (st.have_time || st.have_tz || st.zone || type == SEM_TIMEOID)
				return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
			if (type == SEM_DATEOID)
				*out = st.sp == SP_INFINITY ? DT_DATE_NOEND : DT_DATE_NOBEGIN;
			else
				*out = st.sp == SP_INFINITY ? DT_TS_NOEND : DT_TS_NOBEGIN;
			return CM_OK;
		}
		if (st.sp == SP_EPOCH) {
			if (st.have_time || type == SEM_TIMEOID)
				return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
			int64_t e70 = (int64_t) (DT_UNIX_EPOCH_JD - DT_EPOCH_JD);
			*out = type == SEM_DATEOID ? e70 : e70 * DT_USECS_PER_DAY;
			return CM_OK;
		}
		if (st.sp == SP_NOW) {
			if (st.have_time)
				return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
			int64_t now = ctx && ctx->txn_timestamp ? ctx->txn_timestamp : sem_dt_now_us();
			if (type == SEM_TIMESTAMPTZOID) {
				*out = now;
				return CM_OK;
			}
			int64_t local;
			const char *ztz = tz;
			if (!dt_utc2local(now, ztz, &local))
				local = now;
			if (type == SEM_TIMESTAMPOID)
				*out = local;
			else if (type == SEM_DATEOID)
				*out = (local - (((local % DT_USECS_PER_DAY) + DT_USECS_PER_DAY) % DT_USECS_PER_DAY)) /
					   DT_USECS_PER_DAY;
			else
				*out = ((local % DT_USECS_PER_DAY) + DT_USECS_PER_DAY) % DT_USECS_PER_DAY;
			return CM_OK;
		}
		/* today / tomorrow / yesterday (may carry a time) */
		if (type == SEM_TIMEOID)
			return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		int64_t day0 = today_local(ctx) / DT_USECS_PER_DAY;
		day0 += st.sp == SP_TOMORROW ? 1 : st.sp == SP_YESTERDAY ? -1 : 0;
		int y, m, d;
		dt_j2date(day0 + DT_EPOCH_JD, &y, &m, &d);
		st.year = y;
		st.mon = m;
		st.day = d;
		st.have_year = st.have_mon = st.have_day = true;
		st.year_digits = 4;
		st.era = false;
	}

	/* Time fields. */
	if (st.ampm) {
		if (!st.have_time || st.hour > 12)
			return raise(st.have_time ? DTE_FIELD_OVERFLOW : DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		if (st.ampm == 1 && st.hour == 12)
			st.hour = 0;
		else if (st.ampm == 2 && st.hour != 12)
			st.hour += 12;
	}
	if (st.have_time) {
		if (st.hour > 24 || st.min > 59 || st.sec > 60 ||
			(st.hour == 24 && (st.min > 0 || st.sec > 0 || st.usec > 0)))
			return raise(DTE_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
	}
	int64_t tod = ((st.hour * 60 + st.min) * 60 + st.sec) * DT_USECS_PER_SEC + st.usec;

	if (type == SEM_TIMEOID) {
		if (!st.have_time)
			return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		if (st.have_year && !(st.have_mon && st.have_day))
			return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		if (tod > DT_USECS_PER_DAY)
			return raise(DTE_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
		*out = tod;
		return CM_OK;
	}

	/* Date fields. */
	int64_t jd;
	if (st.julian) {
		jd = st.jd;
	} else {
		if (!(st.have_year && st.have_mon && st.have_day))
			return raise(DTE_BAD_FORMAT, type, s, len, NULL, 0, err);
		int64_t y = st.year;
		if (st.bc) {
			if (y <= 0)
				return raise(DTE_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
			y = 1 - y;
		} else if (st.year_digits <= 2) {
			y += y < 70 ? 2000 : 1900;
		} else if (y == 0) {
			return raise(DTE_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
		}
		if (st.mon < 1 || st.mon > 12)
			return raise(DTE_MD_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
		if (st.day < 1 || st.day > 31)
			return raise(DTE_MD_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
		if (y > 6000000)
			return raise(type == SEM_DATEOID ? DTE_DATE_RANGE : DTE_TS_RANGE, type, s, len, NULL, 0, err);
		if (st.day > dt_days_in_month((int) y, (int) st.mon))
			return raise(DTE_FIELD_OVERFLOW, type, s, len, NULL, 0, err);
		if (y < -4713 || (y == -4713 && st.mon < 11) || (y == -4713 && st.mon == 11 && st.day < 24))
			return raise(type == SEM_DATEOID ? DTE_DATE_RANGE : DTE_TS_RANGE, type, s, len, NULL, 0, err);
		jd = dt_date2j(y, (int) st.mon, (int) st.day);
	}
	if (type == SEM_DATEOID) {
		if (jd < 0 || jd >= DT_DATE_END_JD)
			return raise(DTE_DATE_RANGE, type, s, len, NULL, 0, err);
		*out = jd - DT_EPOCH_JD;
		return CM_OK;
	}
	if (jd < 0 || jd >= DT_TS_END_JD + 1)
		return raise(DTE_TS_RANGE, type, s, len, NULL, 0, err);
	int64_t local = (jd - DT_EPOCH_JD) * DT_USECS_PER_DAY + tod;
	if (type == SEM_TIMESTAMPOID) {
		if (!dt_ts_valid(local))
			return raise(DTE_TS_RANGE, type, s, len, NULL, 0, err);
		*out = local;
		return CM_OK;
	}
	/* timestamptz */
	int64_t utc;
	if (st.have_tz) {
		utc = local - st.tz_east * DT_USECS_PER_SEC;
	} else {
		const dt_zone *z = st.zone ? st.zone : dt_zone_get(tz);
		int64_t secs = local / DT_USECS_PER_SEC - (local < 0 && local % DT_USECS_PER_SEC ? 1 : 0);
		int off = dt_zone_offset_local(z, secs + DT_UNIX_EPOCH_SECS, NULL);
		utc = local - off * DT_USECS_PER_SEC;
	}
	if (!dt_ts_valid(utc))
		return raise(DTE_TS_RANGE, type, s, len, NULL, 0, err);
	*out = utc;
	return CM_OK;
}

/* ------------------------------------------------------------------ */
/* Intervals                                                            */
/* ------------------------------------------------------------------ */

typedef enum iunit {
	U_NONE = 0,
	U_USEC, U_MSEC, U_SEC, U_MIN, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_YEAR, U_DECADE,
	U_CENTURY, U_MILLENNIUM,
} iunit;

static iunit unit_of(const field *f)
{
	static const struct { const char *w; iunit u; } units[] = {
		{ "microsecond", U_USEC }, { "microseconds", U_USEC }, { "us", U_USEC },
		{ "usec", U_USEC }, { "usecs", U_USEC }, { "useconds", U_USEC },
		{ "millisecond", U_MSEC }, { "milliseconds", U_MSEC }, { "ms", U_MSEC },
		{ "msec", U_MSEC }, { "msecs", U_MSEC }, { "mseconds", U_MSEC },
		{ "second", U_SEC }, { "seconds", U_SEC }, { "s", U_SEC }, { "sec", U_SEC },
		{ "secs", U_SEC },
		{ "minute", U_MIN }, { "minutes", U_MIN }, { "m", U_MIN }, { "min", U_MIN },
		{ "mins", U_MIN },
		{ "hour", U_HOUR }, { "hours", U_HOUR }, { "h", U_HOUR }, { "hr", U_HOUR },
		{ "hrs", U_HOUR },
		{ "day", U_DAY }, { "days", U_DAY }, { "d", U_DAY },
		{ "week", U_WEEK }, { "weeks", U_WEEK }, { "w", U_WEEK },
		{ "month", U_MONTH }, { "months", U_MONTH }, { "mon", U_MONTH }, { "mons", U_MONTH },
		{ "year", U_YEAR }, { "years", U_YEAR }, { "y", U_YEAR }, { "yr", U_YEAR },
		{ "yrs", U_YEAR },
		{ "decade", U_DECADE }, { "decades", U_DECADE }, { "dec", U_DECADE }, { "decs", U_DECADE },
		{ "century", U_CENTURY }, { "centuries", U_CENTURY }, { "cent", U_CENTURY },
		{ "c", U_CENTURY },
		{ "millennium", U_MILLENNIUM }, { "millennia", U_MILLENNIUM }, { "mil", U_MILLENNIUM },
		{ "mils", U_MILLENNIUM },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (word_is(f, units[i].w))
			return units[i].u;
	return U_NONE;
}

/* Interval accumulator in wide integers; checked at the end. */
typedef struct ivacc {
	int64_t year;		/* months from year-like units and y-m fields */
	int64_t month, day;
	int64_t usec;		/* time from units (bucket per unit for sign flips) */
	int64_t hour_us, min_us, sec_us;
	unsigned mask;		/* units seen (bit per iunit) */
	bool overflow;		/* a single field overflowed int32 */
} ivacc;

static void add_frac_usec(ivacc *a, double frac, int64_t scale)
{
	if (frac != 0)
		a->usec += (int64_t) rint(frac * (double) scale);
}

static void add_frac_days(ivacc *a, double frac, int scale)
{
	if (frac == 0)
		return;
	frac *= scale;
	int64_t extra = (int64_t) frac;
	a->day += extra;
	frac -= (double) extra;
	add_frac_usec(a, frac, DT_USECS_PER_DAY);
}

/* Add value ival + frac (same sign) in `unit`. */
static bool iv_add(ivacc *a, iunit u, int64_t ival, double frac)
{
	if (ival > INT32_MAX || ival < -(int64_t) INT32_MAX - 1) {
		a->overflow = true;
		return false;
	}
	switch (u) {
	case U_USEC:
		a->sec_us += ival;
		add_frac_usec(a, frac, 1);
		break;
	case U_MSEC:
		a->sec_us += ival * 1000;
		add_frac_usec(a, frac, 1000);
		break;
	case U_SEC:
		a->sec_us += ival * DT_USECS_PER_SEC;
		add_frac_usec(a, frac, DT_USECS_PER_SEC);
		break;
	case U_MIN:
		a->min_us += ival * DT_USECS_PER_MIN;
		add_frac_usec(a, frac, DT_USECS_PER_MIN);
		break;
	case U_HOUR:
		a->hour_us += ival * DT_USECS_PER_HOUR;
		add_frac_usec(a, frac, DT_USECS_PER_HOUR);
		break;
	case U_DAY:
		a->day += ival;
		add_frac_usec(a, frac, DT_USECS_PER_DAY);
		break;
	case U_WEEK:
		a->day += ival * 7;
		add_frac_days(a, frac, 7);
		break;
	case U_MONTH:
		a->month += ival;
		add_frac_days(a, frac, DT_DAYS_PER_MONTH);
		break;
	case U_YEAR:
		a->year += ival * 12;
		a->month += (int64_t) rint(frac * 12);
		break;
	case U_DECADE:
		a->year += ival * 120;
		a->month += (int64_t) rint(frac * 120);
		break;
	case U_CENTURY:
		a->year += ival * 1200;
		a->month += (int64_t) rint(frac * 1200);
		break;
	case U_MILLENNIUM:
		a->year += ival * 12000;
		a->month += (int64_t) rint(frac * 12000);
		break;
	default:
		return false;
	}
	return true;
}

/* Signed decimal "[+-]digits[.digits]" -> integer part and fraction (same sign). */
static bool parse_signed_num(const char *s, int len, int64_t *ival, double *frac)
{
	bool neg = false;
	int i = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int ds = i;
	int64_t v = 0;
	bool big = false;
	while (i < len && isdigit((unsigned char) s[i])) {
		if (v > INT64_MAX / 100)
			big = true;
		else
			v = v * 10 + (s[i] - '0');
		i++;
	}
	int nd = i - ds;
	double f = 0;
	if (i < len && s[i] == '.') {
		char tmp[64];
		int fs = i++;
		while (i < len && isdigit((unsigned char) s[i]))
			i++;
		if (i - fs >= (int) sizeof tmp)
			return false;
		memcpy(tmp, s + fs, (size_t) (i - fs));
		tmp[i - fs] = '\0';
		f = i - fs > 1 ? strtod(tmp, NULL) : 0;
		if (nd == 0 && i - fs == 1)
			return false;
	} else if (nd == 0) {
		return false;
	}
	if (i != len)
		return false;
	*ival = big ? INT64_MAX : (neg ? -v : v);
	*frac = neg ? -f : f;
	return true;
}

#define IV_MONTH_BIT (1 << 1)
#define IV_YEAR_BIT (1 << 2)
#define IV_DAY_BIT (1 << 3)
#define IV_HOUR_BIT (1 << 10)
#define IV_MINUTE_BIT (1 << 11)
#define IV_SECOND_BIT (1 << 12)

/* Unit of a bare number at the right end, from the typmod's field range. */
static iunit default_unit(int32_t typmod)
{
	if (typmod < 0)
		return U_SEC;
	int range = (typmod >> 16) & 0x7FFF;
	if (range == IV_YEAR_BIT)
		return U_YEAR;
	if (range == IV_MONTH_BIT || range == (IV_YEAR_BIT | IV_MONTH_BIT))
		return U_MONTH;
	if (range == IV_DAY_BIT)
		return U_DAY;
	if (range == IV_HOUR_BIT || range == (IV_DAY_BIT | IV_HOUR_BIT))
		return U_HOUR;
	if (range == IV_MINUTE_BIT || range == (IV_HOUR_BIT | IV_MINUTE_BIT) ||
		range == (IV_DAY_BIT | IV_HOUR_BIT | IV_MINUTE_BIT))
		return U_MIN;
	return U_SEC;
}

static dterr iso8601_interval(const char *s, int len, ivacc *a)
{
	int i = 1;	/* after 'p' */
	bool in_time = false;
	if (i >= len)
		return DTE_BAD_FORMAT;
	/* Alternative format: P0001-02-03T04:05:06 */
	int k = i;
	while (k < len && isdigit((unsigned char) s[k]))
		k++;
	if (k < len && k > i && s[k] == '-' ) {
		int64_t y, m, d;
		const char *p = s + i;
		int rest = len - i;
		const char *tpos = memchr(p, 't', (size_t) rest);
		int dlen = tpos ? (int) (tpos - p) : rest;
		const char *d1 = memchr(p, '-', (size_t) dlen);
		const char *d2 = d1 ? memchr(d1 + 1, '-', (size_t) (dlen - (d1 + 1 - p))) : NULL;
		if (!d1 || !d2 || !parse_uint(p, (int) (d1 - p), &y) ||
			!parse_uint(d1 + 1, (int) (d2 - d1 - 1), &m) ||
			!parse_uint(d2 + 1, dlen - (int) (d2 + 1 - p), &d))
			return DTE_BAD_FORMAT;
		a->year += y * 12;
		a->month += m;
		a->day += d;
		if (tpos) {
			int64_t h, mi, sec;
			int32_t us;
			if (parse_time_field(tpos + 1, rest - dlen - 1, false, &h, &mi, &sec, &us) != DTE_OK)
				return DTE_BAD_FORMAT;
			a->usec += h * DT_USECS_PER_HOUR + mi * DT_USECS_PER_MIN + sec * DT_USECS_PER_SEC + us;
		}
		return DTE_OK;
	}
	while (i < len) {
		if (s[i] == 't') {
			if (in_time)
				return DTE_BAD_FORMAT;
			in_time = true;
			i++;
			continue;
		}
		int st = i;
		if (s[i] == '+' || s[i] == '-')
			i++;
		while (i < len && (isdigit((unsigned char) s[i]) || s[i] == '.'))
			i++;
		if (i == st)
			return DTE_BAD_FORMAT;
		int64_t iv;
		double fr;
		if (!parse_signed_num(s + st, i - st, &iv, &fr))
			return DTE_BAD_FORMAT;
		if (i >= len && !in_time) {
			/* a trailing number without designator counts as years */
			if (!iv_add(a, U_YEAR, iv, fr))
				return DTE_INTERVAL_OVERFLOW;
			break;
		}
		if (i >= len)
			return DTE_BAD_FORMAT;
		char u = s[i++];
		iunit unit;
		if (!in_time) {
			unit = u == 'y' ? U_YEAR : u == 'm' ? U_MONTH : u == 'w' ? U_WEEK : u == 'd' ? U_DAY : U_NONE;
		} else {
			unit = u == 'h' ? U_HOUR : u == 'm' ? U_MIN : u == 's' ? U_SEC : U_NONE;
		}
		if (unit == U_NONE)
			return DTE_BAD_FORMAT;
		if (!iv_add(a, unit, iv, fr))
			return DTE_INTERVAL_OVERFLOW;
	}
	return DTE_OK;
}

static dterr decode_interval(parsed *p, int32_t typmod, ivacc *a, bool sqlstd)
{
	/* ISO 8601 */
	if (p->n == 1 && p->f[0].t == F_ZONE && p->f[0].s[0] == 'p')
		return iso8601_interval(p->f[0].s, p->f[0].len, a);
	if (p->n == 1 && p->f[0].t == F_WORD && p->f[0].s[0] == 'p' && p->f[0].len > 1)
		return iso8601_interval(p->f[0].s, p->f[0].len, a);
	bool ago = false;
	int n = 0;
	for (int i = 0; i < p->n; i++) {
		if (word_is(&p->f[i], "ago"))
			ago = true;
		else
			p->f[n++] = p->f[i];
	}
	if (n == 0)
		return DTE_BAD_FORMAT;
	iunit pending = U_NONE;	/* unit set by a word to the right */
	iunit deflt = default_unit(typmod);
	int range = typmod >= 0 ? (typmod >> 16) & 0x7FFF : 0x7FFF;
	bool minsec = range == (IV_MINUTE_BIT | IV_SECOND_BIT);
	for (int i = n - 1; i >= 0; i--) {
		field *f = &p->f[i];
		switch (f->t) {
		case F_WORD: {
			iunit u = unit_of(f);
			if (u == U_NONE)
				return DTE_BAD_FORMAT;
			/* a unit word sets the unit of every number to its left until
			 * the next unit word (a unit with no number is ignored) */
			pending = u;
			break;
		}
		case F_TIME:
		case F_SIGNED:
			if (f->t == F_SIGNED || f->t == F_TIME) {
				const char *colon = memchr(f->s, ':', (size_t) f->len);
				if (colon) {
					bool neg = f->s[0] == '-';
					int off = (f->s[0] == '-' || f->s[0] == '+') ? 1 : 0;
					int64_t h, m, sec;
					int32_t us;
					if (parse_time_field(f->s + off, f->len - off, minsec, &h, &m, &sec, &us) != DTE_OK)
						return DTE_BAD_FORMAT;
					if (m > 59 || sec > 60)
						return DTE_FIELD_OVERFLOW;
					unsigned tm = (1u << U_HOUR) | (1u << U_MIN) | (1u << U_SEC);
					if (us != 0)
						tm |= (1u << U_MSEC) | (1u << U_USEC);
					if (a->mask & tm)
						return DTE_BAD_FORMAT;
					a->mask |= tm;
					int64_t sg = neg ? -1 : 1;
					a->hour_us += sg * h * DT_USECS_PER_HOUR;
					a->min_us += sg * m * DT_USECS_PER_MIN;
					a->sec_us += sg * (sec * DT_USECS_PER_SEC + us);
					pending = U_DAY;
					break;
				}
			}
			/* a signed number */
			/* fall through */
		case F_NUMBER: {
			int64_t iv;
			double fr;
			if (!parse_signed_num(f->s, f->len, &iv, &fr))
				return DTE_BAD_FORMAT;
			iunit u = pending != U_NONE ? pending : deflt;
			unsigned um = 1u << u;
			if (u == U_SEC && memchr(f->s, '.', (size_t) f->len))
				um |= (1u << U_MSEC) | (1u << U_USEC);
			if (a->mask & um)
				return DTE_BAD_FORMAT;
			a->mask |= um;
			if (!iv_add(a, u, iv, fr))
				return DTE_INTERVAL_OVERFLOW;
			if (u == U_HOUR)
				pending = U_DAY;
			break;
		}
		case F_DATE: {
			/* year-month "1-2" or "-1-2" */
			bool neg = f->s[0] == '-';
			int off = (f->s[0] == '-' || f->s[0] == '+') ? 1 : 0;
			const char *dash = memchr(f->s + off, '-', (size_t) (f->len - off));
			int64_t y, m;
			if (!dash || !parse_uint(f->s + off, (int) (dash - f->s - off), &y) ||
				!parse_uint(dash + 1, f->len - (int) (dash + 1 - f->s), &m))
				return DTE_BAD_FORMAT;
			if (m > 11)
				return DTE_FIELD_OVERFLOW;
			if (a->mask & ((1u << U_YEAR) | (1u << U_MONTH)))
				return DTE_BAD_FORMAT;
			a->mask |= (1u << U_YEAR) | (1u << U_MONTH);
			a->year += neg ? -y * 12 : y * 12;
			a->month += neg ? -m : m;
			break;
		}
		default:
			return DTE_BAD_FORMAT;
		}
	}
	if (a->mask == 0)
		return DTE_BAD_FORMAT;	/* only unit words */
	/* SQL-standard style: a leading '-' applies to every unsigned field. */
	if (sqlstd && p->f[0].s[0] == '-') {
		bool more = false;
		for (int i = 1; i < n; i++)
			if (p->f[i].s[0] == '-' || p->f[i].s[0] == '+')
				more = true;
		if (!more) {
			int64_t *b[7] = { &a->year, &a->month, &a->day, &a->hour_us, &a->min_us, &a->sec_us,
							  &a->usec };
			for (int k = 0; k < 7; k++)
				if (*b[k] > 0)
					*b[k] = -*b[k];
		}
	}
	if (ago) {
		a->year = -a->year;
		a->month = -a->month;
		a->day = -a->day;
		a->usec = -a->usec;
		a->hour_us = -a->hour_us;
		a->min_us = -a->min_us;
		a->sec_us = -a->sec_us;
	}
	return DTE_OK;
}

cm_status dt_parse_interval(sem_ctx *ctx, const char *s, size_t len, int32_t typmod,
							sem_datum *out, cm_error *err)
{
	parsed p;
	ivacc a;
	char tmp[MAX_INPUT + 1];
	memset(&a, 0, sizeof a);
	memset(out, 0, sizeof(*out));
	if (len > MAX_INPUT)
		return raise(DTE_BAD_FORMAT, SEM_INTERVALOID, s, len, NULL, 0, err);
	/* "- 1 day": glue a lone leading sign to the number after it */
	size_t k = 0, j = 0;
	while (j < len && isspace((unsigned char) s[j]))
		j++;
	if (j + 1 < len && (s[j] == '-' || s[j] == '+') && isspace((unsigned char) s[j + 1])) {
		tmp[k++] = s[j++];
		while (j < len && isspace((unsigned char) s[j]))
			j++;
	}
	memcpy(tmp + k, s + j, len - j);
	k += len - j;
	if (!lex(tmp, k, &p) || p.n == 0)
		return raise(DTE_BAD_FORMAT, SEM_INTERVALOID, s, len, NULL, 0, err);
	dterr e = decode_interval(&p, typmod, &a,
							  ctx && ctx->intervalstyle == SEM_INTERVALSTYLE_SQL_STANDARD);
	if (e == DTE_FIELD_OVERFLOW)
		e = DTE_INTERVAL_OVERFLOW;
	if (e == DTE_OK && a.overflow)
		e = DTE_INTERVAL_OVERFLOW;
	if (e != DTE_OK)
		return raise(e, SEM_INTERVALOID, s, len, NULL, 0, err);
	int64_t month = a.year + a.month;
	int64_t usec = a.usec + a.hour_us + a.min_us + a.sec_us;
	if (month > INT32_MAX || month < INT32_MIN || a.day > INT32_MAX || a.day < INT32_MIN)
		return raise(DTE_IV_RANGE, SEM_INTERVALOID, s, len, NULL, 0, err);
	out->v.iv.month = (int32_t) month;
	out->v.iv.day = (int32_t) a.day;
	out->v.iv.time = usec;
	dt_interval_typmod(out, typmod);
	return CM_OK;
}
