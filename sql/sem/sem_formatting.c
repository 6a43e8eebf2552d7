/*
 * sem_formatting.c -- to_char, to_date, to_timestamp(text, text), to_number:
 * PostgreSQL's template formatting (formatting.c) for the common patterns.
 *
 * Date/time templates: HH HH12 HH24 MI SS MS US FF1-FF6 SSSS SSSSS AM PM A.M.
 * P.M. (either case) Y,YYY YYYY YYY YY Y IYYY IYY IY I BC AD B.C. A.D. MONTH
 * Month month MON Mon mon MM DAY Day day DY Dy dy DDD IDDD DD D ID W WW IW CC
 * J Q RM rm TZ tz TZH TZM OF, the FM prefix, the TH/th suffix, "quoted
 * text" and backslash escapes.  Number templates: 9 0 . , D G S MI PL SG PR
 * EEEE RN TH V and FM, with PostgreSQL's sign placement (a sign slot before
 * the number unless the template places it) and '#' fill on overflow.
 * Not supported: SP (spell mode), TM (translation: names are English), the
 * ISO-week and day-of-year fields as *input* of to_date/to_timestamp.
 *
 * Exported (sem_dt_internal.h): sem_fmt_register_builtins().
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sem/sem_dt_internal.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
									 "August", "September", "October", "November", "December"};
static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const rm_upper[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};

static cm_status ret_text(sem_ctx *ctx, sem_datum *out, cm_buf *b)
{
	memset(out, 0, sizeof *out);
	sem_set_str(ctx->arena, out, b->data ? b->data : "", b->len);
	cm_buf_free(b);
	return CM_OK;
}

/* ---- date/time templates ------------------------------------------------------------------ */

typedef enum {
	K_NONE, K_AD_DOT, K_AM_DOT, K_AD, K_AM, K_BC_DOT, K_PM_DOT, K_BC, K_PM, K_CC, K_DAY, K_DDD, K_DD, K_DY, K_D,
	K_FF1, K_FF2, K_FF3, K_FF4, K_FF5, K_FF6, K_FX, K_HH24, K_HH12, K_HH, K_IDDD, K_ID, K_IW, K_IYYY, K_IYY,
	K_IY, K_I, K_J, K_MI, K_MM, K_MONTH, K_MON, K_MS, K_OF, K_Q, K_RM, K_SSSSS, K_SSSS, K_SS, K_TZH, K_TZM,
	K_TZ, K_US, K_WW, K_W, K_Y_YYY, K_YYYY, K_YYY, K_YY, K_Y,
} dkey;

static const struct {
	const char *name;
	dkey k;
} dkeys[] = {
	{"A.D.", K_AD_DOT}, {"A.M.", K_AM_DOT}, {"AD", K_AD}, {"AM", K_AM}, {"B.C.", K_BC_DOT}, {"BC", K_BC},
	{"CC", K_CC}, {"DAY", K_DAY}, {"DDD", K_DDD}, {"DD", K_DD}, {"DY", K_DY}, {"D", K_D}, {"FF1", K_FF1},
	{"FF2", K_FF2}, {"FF3", K_FF3}, {"FF4", K_FF4}, {"FF5", K_FF5}, {"FF6", K_FF6}, {"FX", K_FX},
	{"HH24", K_HH24}, {"HH12", K_HH12}, {"HH", K_HH}, {"IDDD", K_IDDD}, {"ID", K_ID}, {"IW", K_IW},
	{"IYYY", K_IYYY}, {"IYY", K_IYY}, {"IY", K_IY}, {"I", K_I}, {"J", K_J}, {"MI", K_MI}, {"MM", K_MM},
	{"MONTH", K_MONTH}, {"MON", K_MON}, {"MS", K_MS}, {"OF", K_OF}, {"P.M.", K_PM_DOT}, {"PM", K_PM},
	{"Q", K_Q}, {"RM", K_RM}, {"SSSSS", K_SSSSS}, {"SSSS", K_SSSS}, {"SS", K_SS}, {"TZH", K_TZH},
	{"TZM", K_TZM}, {"TZ", K_TZ}, {"US", K_US}, {"WW", K_WW}, {"W", K_W}, {"Y,YYY", K_Y_YYY},
	{"YYYY", K_YYYY}, {"YYY", K_YYY}, {"YY", K_YY}, {"Y", K_Y},
};

/* Case style of a name keyword as written: 0 UPPER, 1 Capitalised, 2 lower. */
static int case_of(const char *p, size_t n)
{
	if (islower((unsigned char) p[0]))
		return 2;
	if (n > 1 && islower((unsigned char) p[1]))
		return 1;
	return 0;
}

/* Longest keyword at p (case-insensitive); 0 if none. */
static size_t match_key(const char *p, size_t n, dkey *k)
{
	size_t best = 0;
	for (size_t i = 0; i < sizeof dkeys / sizeof dkeys[0]; i++) {
		size_t l = strlen(dkeys[i].name);
		if (l > best && l <= n && strncasecmp(p, dkeys[i].name, l) == 0) {
			best = l;
			*k = dkeys[i].k;
		}
	}
	return best;
}

static void put_cased(cm_buf *b, const char *s, int style, int pad, bool fm)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (style == 0)
			c = (char) toupper((unsigned char) c);
		else if (style == 2 || i > 0)
			c = (char) tolower((unsigned char) c);
		cm_buf_putc(b, c);
	}
	if (!fm)
		for (int i = (int) n; i < pad; i++)
			cm_buf_putc(b, ' ');
}

static const char *ordinal(int64_t v, bool upper)
{
	int64_t a = v < 0 ? -v : v;
	const char *s = "th";
	if (a % 100 < 11 || a % 100 > 13) {
		if (a % 10 == 1)
			s = "st";
		else if (a % 10 == 2)
			s = "nd";
		else if (a % 10 == 3)
			s = "rd";
	}
	if (!upper)
		return s;
	return !strcmp(s, "st") ? "ST" : !strcmp(s, "nd") ? "ND" : !strcmp(s, "rd") ? "RD" : "TH";
}

typedef struct fmt_in {
	dt_tm tm;
	bool interval;
	bool has_zone;			/* timestamptz: TZ/OF print the zone */
	int64_t days_total;		/* interval: day field */
	int64_t hours_total;	/* interval: hours of the time part */
} fmt_in;

static void put_num(cm_buf *b, int64_t v, int width, bool fm, int th)
{
	if (fm || width <= 0)
		cm_buf_printf(b, "%lld", (long long) v);
	else if (v < 0)
		cm_buf_printf(b, "-%0*lld", width, (long long) -v);
	else
		cm_buf_printf(b, "%0*lld", width, (long long) v);
	if (th)
		cm_buf_puts(b, ordinal(v, th == 2));
}

static void dt_to_char(const fmt_in *in, const char *f, size_t fl, cm_buf *b)
{
	const dt_tm *tm = &in->tm;
	int year = tm->year;				/* astronomical */
	int dispyear = year > 0 ? year : 1 - year;
	int64_t jd = in->interval ? 0 : dt_date2j(tm->year, tm->mon, tm->mday);
	int dow = in->interval ? 0 : dt_j2day(jd);
	int doy = in->interval ? tm->mday : (int) (jd - dt_date2j(tm->year, 1, 1) + 1);
	for (size_t i = 0; i < fl;) {
		bool fm = false;
		if (i + 2 <= fl && strncasecmp(f + i, "FM", 2) == 0) {
			fm = true;
			i += 2;
		}
		if (i + 2 <= fl && strncasecmp(f + i, "TM", 2) == 0)
			i += 2;
		dkey k = K_NONE;
		size_t kl = i < fl ? match_key(f + i, fl - i, &k) : 0;
		if (!kl) {
			if (i >= fl)
				break;
			if (f[i] == '"') {
				for (i++; i < fl && f[i] != '"'; i++) {
					if (f[i] == '\\' && i + 1 < fl)
						i++;
					cm_buf_putc(b, f[i]);
				}
				i++;
				continue;
			}
			if (f[i] == '\\' && i + 1 < fl && f[i + 1] == '"') {
				cm_buf_putc(b, '"');
				i += 2;
				continue;
			}
			cm_buf_putc(b, f[i++]);
			continue;
		}
		const char *kp = f + i;
		i += kl;
		int th = 0;
		if (i + 2 <= fl && (strncmp(f + i, "TH", 2) == 0 || strncmp(f + i, "th", 2) == 0)) {
			th = f[i] == 'T' ? 2 : 1;
			i += 2;
		}
		int style = case_of(kp, kl);
		int h12 = tm->hour % 12 == 0 ? 12 : tm->hour % 12;
		switch (k) {
		case K_HH24: put_num(b, in->interval ? in->hours_total : tm->hour, 2, fm, th); break;
		case K_HH:
		case K_HH12: put_num(b, in->interval ? (in->hours_total % 12 == 0 ? 12 : in->hours_total % 12) : h12, 2, fm, th); break;
		case K_MI: put_num(b, tm->min, 2, fm, th); break;
		case K_SS: put_num(b, tm->sec, 2, fm, th); break;
		case K_MS: put_num(b, tm->usec / 1000, 3, fm, th); break;
		case K_US: put_num(b, tm->usec, 6, fm, th); break;
		case K_FF1: case K_FF2: case K_FF3: case K_FF4: case K_FF5: case K_FF6: {
			int n = (int) (k - K_FF1) + 1;
			int v = tm->usec;
			for (int d = n; d < 6; d++)
				v /= 10;
			put_num(b, v, n, fm, th);
			break;
		}
		case K_SSSS:
		case K_SSSSS: put_num(b, (int64_t) tm->hour * 3600 + tm->min * 60 + tm->sec, 0, true, th); break;
		case K_AM: case K_PM:
			cm_buf_puts(b, tm->hour >= 12 ? (style == 2 ? "pm" : "PM") : (style == 2 ? "am" : "AM"));
			break;
		case K_AM_DOT: case K_PM_DOT:
			cm_buf_puts(b, tm->hour >= 12 ? (style == 2 ? "p.m." : "P.M.") : (style == 2 ? "a.m." : "A.M."));
			break;
		case K_AD: case K_BC:
			cm_buf_puts(b, year <= 0 ? (style == 2 ? "bc" : "BC") : (style == 2 ? "ad" : "AD"));
			break;
		case K_AD_DOT: case K_BC_DOT:
			cm_buf_puts(b, year <= 0 ? (style == 2 ? "b.c." : "B.C.") : (style == 2 ? "a.d." : "A.D."));
			break;
		case K_Y_YYY: cm_buf_printf(b, "%d,%03d", dispyear / 1000, dispyear % 1000); break;
		case K_YYYY: put_num(b, in->interval ? tm->year : dispyear, 4, fm, th); break;
		case K_YYY: put_num(b, dispyear % 1000, 3, fm, th); break;
		case K_YY: put_num(b, dispyear % 100, 2, fm, th); break;
		case K_Y: put_num(b, dispyear % 10, 1, fm, th); break;
		case K_IYYY: case K_IYY: case K_IY: case K_I: {
			int iy = dt_iso_year(tm->year, tm->mon, tm->mday);
			int w = k == K_IYYY ? 4 : k == K_IYY ? 3 : k == K_IY ? 2 : 1;
			int mod = k == K_IYYY ? 0 : k == K_IYY ? 1000 : k == K_IY ? 100 : 10;
			put_num(b, mod ? iy % mod : iy, w, fm, th);
			break;
		}
		case K_MONTH:
			if (tm->mon >= 1 && tm->mon <= 12)
				put_cased(b, months[tm->mon - 1], style, 9, fm);
			break;
		case K_MON:
			if (tm->mon >= 1 && tm->mon <= 12) {
				char ab[4];
				memcpy(ab, months[tm->mon - 1], 3);
				ab[3] = '\0';
				put_cased(b, ab, style, 0, true);
			}
			break;
		case K_MM: put_num(b, tm->mon, 2, fm, th); break;
		case K_DAY: put_cased(b, days[dow], style, 9, fm); break;
		case K_DY: {
			char ab[4];
			memcpy(ab, days[dow], 3);
			ab[3] = '\0';
			put_cased(b, ab, style, 0, true);
			break;
		}
		case K_DDD: put_num(b, doy, 3, fm, th); break;
		case K_IDDD: {
			int iy = dt_iso_year(tm->year, tm->mon, tm->mday);
			put_num(b, jd - dt_iso_week1_j(iy) + 1, 3, fm, th);
			break;
		}
		case K_DD: put_num(b, in->interval ? in->days_total : tm->mday, 2, fm, th); break;
		case K_D: put_num(b, dow + 1, 0, true, th); break;
		case K_ID: put_num(b, dow == 0 ? 7 : dow, 0, true, th); break;
		case K_W: put_num(b, (tm->mday - 1) / 7 + 1, 0, true, th); break;
		case K_WW: put_num(b, (doy - 1) / 7 + 1, 2, fm, th); break;
		case K_IW: put_num(b, dt_iso_week(tm->year, tm->mon, tm->mday), 2, fm, th); break;
		case K_CC: {
			int cc = year > 0 ? (year + 99) / 100 : -((99 - (year - 1)) / 100);
			if (in->interval)
				cc = tm->year / 100;
			put_num(b, cc, 2, fm, th);
			break;
		}
		case K_J: put_num(b, jd, 0, true, th); break;
		case K_Q: put_num(b, (tm->mon - 1) / 3 + 1, 0, true, th); break;
		case K_RM:
			if (tm->mon >= 1 && tm->mon <= 12)
				put_cased(b, rm_upper[tm->mon - 1], style == 2 ? 2 : 0, 4, fm);
			break;
		case K_TZ:
			if (in->has_zone && tm->abbrev)
				put_cased(b, tm->abbrev, style == 2 ? 2 : 0, 0, true);
			else if (in->has_zone) {
				int off = tm->gmtoff;
				cm_buf_printf(b, "%c%02d", off < 0 ? '-' : '+', abs(off) / 3600);
				if (abs(off) % 3600)
					cm_buf_printf(b, "%02d", abs(off) % 3600 / 60);
			}
			break;
		case K_TZH:
			if (in->has_zone)
				cm_buf_printf(b, "%c%02d", tm->gmtoff < 0 ? '-' : '+', abs(tm->gmtoff) / 3600);
			break;
		case K_TZM:
			if (in->has_zone)
				cm_buf_printf(b, "%02d", abs(tm->gmtoff) % 3600 / 60);
			break;
		case K_OF:
			if (in->has_zone) {
				cm_buf_printf(b, "%c%02d", tm->gmtoff < 0 ? '-' : '+', abs(tm->gmtoff) / 3600);
				if (abs(tm->gmtoff) % 3600)
					cm_buf_printf(b, ":%02d", abs(tm->gmtoff) % 3600 / 60);
			}
			break;
		case K_FX:
		case K_NONE:
			break;
		}
	}
}

static cm_status f_to_char_ts(ARGS)
{
	int64_t ts = args[0].v.i;
	if (!dt_ts_finite(ts)) {
		memset(out, 0, sizeof *out);
		out->isnull = true;
		return CM_OK;
	}
	fmt_in in;
	memset(&in, 0, sizeof in);
	dt_ts2tm(ts, &in.tm);
	cm_buf b;
	cm_buf_init(&b);
	dt_to_char(&in, args[1].v.s.p, args[1].v.s.len, &b);
	return ret_text(ctx, out, &b);
}

static cm_status f_to_char_tstz(ARGS)
{
	int64_t ts = args[0].v.i;
	if (!dt_ts_finite(ts)) {
		memset(out, 0, sizeof *out);
		out->isnull = true;
		return CM_OK;
	}
	fmt_in in;
	memset(&in, 0, sizeof in);
	dt_tstz2tm(ts, ctx->timezone, &in.tm);
	in.has_zone = true;
	cm_buf b;
	cm_buf_init(&b);
	dt_to_char(&in, args[1].v.s.p, args[1].v.s.len, &b);
	return ret_text(ctx, out, &b);
}

static cm_status f_to_char_iv(ARGS)
{
	fmt_in in;
	memset(&in, 0, sizeof in);
	in.interval = true;
	int64_t t = args[0].v.iv.time;
	in.tm.year = args[0].v.iv.month / 12;
	in.tm.mon = args[0].v.iv.month % 12;
	in.tm.mday = args[0].v.iv.day;
	in.days_total = args[0].v.iv.day;
	in.hours_total = t / DT_USECS_PER_HOUR;
	t -= in.hours_total * DT_USECS_PER_HOUR;
	in.tm.hour = (int) (in.hours_total % 24);
	in.tm.min = (int) (t / DT_USECS_PER_MIN);
	t -= (int64_t) in.tm.min * DT_USECS_PER_MIN;
	in.tm.sec = (int) (t / DT_USECS_PER_SEC);
	in.tm.usec = (int32_t) (t % DT_USECS_PER_SEC);
	cm_buf b;
	cm_buf_init(&b);
	dt_to_char(&in, args[1].v.s.p, args[1].v.s.len, &b);
	return ret_text(ctx, out, &b);
}

/* ---- to_date / to_timestamp ---------------------------------------------------------------- */

typedef struct parsed {
	int year, mon, mday, hour, min, sec;
	int32_t usec;
	int pm;					/* -1 none, 0 AM, 1 PM */
	bool bc, has_tz, has_hour12;
	int tzoff;				/* seconds east */
	int64_t jd;				/* J given, else -1 */
	int doy;				/* DDD given, else 0 */
	bool yy;				/* two-digit year given */
} parsed;

static cm_status bad_value(cm_error *err, const char *v, size_t vl, const char *key)
{
	cm_error_set(err, CM_E_INVALID_DATETIME_FORMAT, "invalid value \"%.*s\" for \"%s\"", (int) vl, v, key);
	return CM_ERROR;
}

/* Read up to maxd digits (more when the field is the last or FM) as an integer. */
static cm_status read_int(const char **sp, const char *end, int maxd, bool greedy, const char *key, int64_t *v,
						  cm_error *err)
{
	const char *s = *sp;
	while (s < end && *s == ' ')
		s++;
	bool neg = false;
	if (s < end && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
	}
	const char *d0 = s;
	int64_t r = 0;
	while (s < end && isdigit((unsigned char) *s) && (greedy || s - d0 < maxd)) {
		r = r * 10 + (*s - '0');
		s++;
		if (r > INT32_MAX)
			break;
	}
	if (s == d0) {
		size_t l = (size_t) (end - d0);
		if (l > (size_t) maxd)
			l = (size_t) maxd;
		bad_value(err, d0, l ? l : 0, key);
		cm_error_detail(err, "Value must be an integer.");
		return CM_ERROR;
	}
	*v = neg ? -r : r;
	*sp = s;
	return CM_OK;
}

static int match_name(const char *s, const char *end, const char *const *names, int n, bool abbrev, size_t *len)
{
	for (int i = 0; i < n; i++) {
		size_t l = abbrev ? 3 : strlen(names[i]);
		if ((size_t) (end - s) >= l && strncasecmp(s, names[i], l) == 0) {
			*len = l;
			return i;
		}
	}
	return -1;
}

static cm_status parse_dt(sem_ctx *ctx, const char *s, size_t sl, const char *f, size_t fl, parsed *p, cm_error *err)
{
	(void) ctx;
	const char *end = s + sl;
	memset(p, 0, sizeof *p);
	p->year = 1;
	p->mon = 1;
	p->mday = 1;
	p->pm = -1;
	p->jd = -1;
	for (size_t i = 0; i < fl;) {
		if (i + 2 <= fl && (strncasecmp(f + i, "FM", 2) == 0 || strncasecmp(f + i, "TM", 2) == 0))
			i += 2;
		dkey k = K_NONE;
		size_t kl = i < fl ? match_key(f + i, fl - i, &k) : 0;
		if (!kl) {
			if (i >= fl)
				break;
			if (f[i] == '"') {
				for (i++; i < fl && f[i] != '"'; i++)
					if (s < end)
						s++;
				i++;
				continue;
			}
			if (f[i] == ' ') {
				while (s < end && *s == ' ')
					s++;
				i++;
				continue;
			}
			/* a separator in the template skips one non-alphanumeric input char */
			if (s < end && !isalnum((unsigned char) *s))
				s++;
			i++;
			continue;
		}
		char key[8];
		snprintf(key, sizeof key, "%.*s", (int) kl, f + i);
		i += kl;
		if (i + 2 <= fl && strncasecmp(f + i, "TH", 2) == 0)
			i += 2;
		/* greedy digits when the next template char is not a digit field */
		bool greedy = i >= fl || !isalpha((unsigned char) f[i]);
		int64_t v = 0;
		size_t nl;
		while (s < end && *s == ' ' && k != K_NONE)
			s++;
		switch (k) {
		case K_YYYY: case K_IYYY:
			if (read_int(&s, end, 4, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->year = (int) v;
			break;
		case K_Y_YYY: {
			int64_t th;
			if (read_int(&s, end, 1, true, key, &th, err) != CM_OK)
				return CM_ERROR;
			if (s < end && *s == ',')
				s++;
			if (read_int(&s, end, 3, false, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->year = (int) (th * 1000 + v);
			break;
		}
		case K_YYY: case K_IYY:
			if (read_int(&s, end, 3, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->year = (int) (v < 100 ? v + 2000 : v + 1000);
			break;
		case K_YY: case K_IY:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->year = (int) (v < 70 ? v + 2000 : v + 1900);
			break;
		case K_Y: case K_I:
			if (read_int(&s, end, 1, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->year = (int) (v + 2000);
			break;
		case K_MM:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->mon = (int) v;
			break;
		case K_DD:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->mday = (int) v;
			break;
		case K_DDD:
			if (read_int(&s, end, 3, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->doy = (int) v;
			break;
		case K_J:
			if (read_int(&s, end, 9, true, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->jd = v;
			break;
		case K_HH24:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->hour = (int) v;
			break;
		case K_HH: case K_HH12:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			if (v < 1 || v > 12) {
				cm_error_set(err, CM_E_INVALID_DATETIME_FORMAT, "hour \"%d\" is invalid for the 12-hour clock", (int) v);
				cm_error_hint(err, "Use the 24-hour clock, or give an hour between 1 and 12.");
				return CM_ERROR;
			}
			p->hour = (int) v;
			p->has_hour12 = true;
			break;
		case K_MI:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->min = (int) v;
			break;
		case K_SS:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->sec = (int) v;
			break;
		case K_MS: case K_US: case K_FF1: case K_FF2: case K_FF3: case K_FF4: case K_FF5: case K_FF6: {
			const char *d0 = s;
			int maxd = k == K_MS ? 3 : k == K_US ? 6 : (int) (k - K_FF1) + 1;
			if (read_int(&s, end, maxd, false, key, &v, err) != CM_OK)
				return CM_ERROR;
			int nd = (int) (s - d0);
			/* MS/FFn digits are fractions: "5" is .5 s */
			for (int d = nd; d < 6; d++)
				v *= 10;
			p->usec = (int32_t) v;
			break;
		}
		case K_SSSS: case K_SSSSS:
			if (read_int(&s, end, 5, true, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->hour = (int) (v / 3600);
			p->min = (int) (v / 60 % 60);
			p->sec = (int) (v % 60);
			break;
		case K_AM: case K_PM: case K_AM_DOT: case K_PM_DOT: {
			bool dot = k == K_AM_DOT || k == K_PM_DOT;
			size_t l = dot ? 4 : 2;
			if ((size_t) (end - s) < l)
				return bad_value(err, s, (size_t) (end - s), key);
			if (strncasecmp(s, dot ? "a.m." : "am", l) == 0)
				p->pm = 0;
			else if (strncasecmp(s, dot ? "p.m." : "pm", l) == 0)
				p->pm = 1;
			else
				return bad_value(err, s, l, key);
			s += l;
			break;
		}
		case K_AD: case K_BC: case K_AD_DOT: case K_BC_DOT: {
			bool dot = k == K_AD_DOT || k == K_BC_DOT;
			size_t l = dot ? 4 : 2;
			if ((size_t) (end - s) >= l && strncasecmp(s, dot ? "b.c." : "bc", l) == 0)
				p->bc = true;
			s += (size_t) (end - s) >= l ? l : (size_t) (end - s);
			break;
		}
		case K_MONTH: case K_MON: {
			int m = match_name(s, end, months, 12, k == K_MON, &nl);
			if (m < 0) {
				cm_error_set(err, CM_E_INVALID_DATETIME_FORMAT, "invalid value \"%.*s\" for \"%s\"",
							 (int) ((size_t) (end - s) < 9 ? (size_t) (end - s) : 9), s, key);
				cm_error_detail(err, "The given value did not match any of the allowed values for this field.");
				return CM_ERROR;
			}
			p->mon = m + 1;
			s += nl;
			break;
		}
		case K_DAY: case K_DY: {
			int d = match_name(s, end, days, 7, k == K_DY, &nl);
			if (d < 0) {
				cm_error_set(err, CM_E_INVALID_DATETIME_FORMAT, "invalid value \"%.*s\" for \"%s\"",
							 (int) ((size_t) (end - s) < 9 ? (size_t) (end - s) : 9), s, key);
				cm_error_detail(err, "The given value did not match any of the allowed values for this field.");
				return CM_ERROR;
			}
			s += nl;
			break;
		}
		case K_RM: {
			int m = -1;
			size_t best = 0;
			for (int r = 0; r < 12; r++) {
				size_t l = strlen(rm_upper[r]);
				if (l > best && (size_t) (end - s) >= l && strncasecmp(s, rm_upper[r], l) == 0) {
					best = l;
					m = r;
				}
			}
			if (m < 0)
				return bad_value(err, s, (size_t) (end - s), key);
			p->mon = m + 1;
			s += best;
			break;
		}
		case K_TZH:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->has_tz = true;
			p->tzoff = (int) v * 3600;
			break;
		case K_TZM:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			p->has_tz = true;
			p->tzoff += (p->tzoff < 0 ? -1 : 1) * (int) v * 60;
			break;
		case K_D: case K_ID: case K_Q: case K_W: case K_WW: case K_IW: case K_CC: case K_IDDD:
			if (read_int(&s, end, 2, greedy, key, &v, err) != CM_OK)
				return CM_ERROR;
			break;
		case K_TZ: case K_OF:
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "formatting field \"%s\" is only supported in to_char",
								key);
		case K_FX: case K_NONE:
			break;
		}
	}
	if (p->bc)
		p->year = 1 - p->year;
	if (p->pm >= 0 || p->has_hour12) {
		if (p->pm == 1 && p->hour < 12)
			p->hour += 12;
		else if (p->pm == 0 && p->hour == 12)
			p->hour = 0;
	}
	return CM_OK;
}

static cm_status range_err(cm_error *err, const sem_datum *s)
{
	return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date/time field value out of range: \"%.*s\"",
						(int) s->v.s.len, s->v.s.p);
}

/* Julian day of the parsed date (22008 when a field is out of range). */
static cm_status parsed_jd(const parsed *p, const sem_datum *src, int64_t *jd, cm_error *err)
{
	if (p->jd >= 0) {
		*jd = p->jd;
		return CM_OK;
	}
	if (p->doy > 0) {
		if (p->doy > (dt_isleap(p->year) ? 366 : 365))
			return range_err(err, src);
		*jd = dt_date2j(p->year, 1, 1) + p->doy - 1;
		return CM_OK;
	}
	if (p->mon < 1 || p->mon > 12 || p->mday < 1 || p->mday > dt_days_in_month(p->year, p->mon))
		return range_err(err, src);
	*jd = dt_date2j(p->year, p->mon, p->mday);
	return CM_OK;
}

static cm_status f_to_date(ARGS)
{
	parsed p;
	if (parse_dt(ctx, args[0].v.s.p, args[0].v.s.len, args[1].v.s.p, args[1].v.s.len, &p, err) != CM_OK)
		return CM_ERROR;
	int64_t jd;
	if (parsed_jd(&p, &args[0], &jd, err) != CM_OK)
		return CM_ERROR;
	if (jd < 0 || jd >= DT_DATE_END_JD)
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "date out of range: \"%.*s\"", (int) args[0].v.s.len,
							args[0].v.s.p);
	memset(out, 0, sizeof *out);
	out->v.i = jd - DT_EPOCH_JD;
	return CM_OK;
}

static cm_status f_to_timestamp_fmt(ARGS)
{
	parsed p;
	if (parse_dt(ctx, args[0].v.s.p, args[0].v.s.len, args[1].v.s.p, args[1].v.s.len, &p, err) != CM_OK)
		return CM_ERROR;
	int64_t jd;
	if (parsed_jd(&p, &args[0], &jd, err) != CM_OK)
		return CM_ERROR;
	if (p.hour < 0 || p.hour > 24 || p.min < 0 || p.min > 59 || p.sec < 0 || p.sec > 60 ||
		(p.hour == 24 && (p.min || p.sec || p.usec)))
		return range_err(err, &args[0]);
	int64_t local = (jd - DT_EPOCH_JD) * DT_USECS_PER_DAY + (int64_t) p.hour * DT_USECS_PER_HOUR +
					(int64_t) p.min * DT_USECS_PER_MIN + (int64_t) p.sec * DT_USECS_PER_SEC + p.usec;
	int64_t utc;
	if (p.has_tz)
		utc = local - (int64_t) p.tzoff * DT_USECS_PER_SEC;
	else if (!dt_local2utc(local, ctx->timezone, &utc))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	if (!dt_ts_valid(utc))
		return cm_error_set(err, CM_E_DATETIME_FIELD_OVERFLOW, "timestamp out of range");
	memset(out, 0, sizeof *out);
	out->v.i = utc;
	return CM_OK;
}

/* ---- number templates ---------------------------------------------------------------------- */

typedef struct numfmt {
	int pre, post;			/* digit positions before / after the decimal point */
	int zero_start;			/* index (0-based among pre digits) of the first '0', or -1 */
	bool fm, has_dec, eeee, rn, th_upper, th, pr, sign_explicit;
	int multi;				/* V: digits shifted */
} numfmt;

static void num_scan(const char *f, size_t fl, numfmt *n)
{
	memset(n, 0, sizeof *n);
	n->zero_start = -1;
	for (size_t i = 0; i < fl; i++) {
		char c = f[i];
		if (c == '9' || c == '0') {
			if (n->has_dec)
				n->post++;
			else {
				if (c == '0' && n->zero_start < 0)
					n->zero_start = n->pre;
				n->pre++;
			}
		} else if (c == '.' || c == 'D' || c == 'd') {
			n->has_dec = true;
		} else if ((c == 'F' || c == 'f') && i + 1 < fl && (f[i + 1] == 'M' || f[i + 1] == 'm')) {
			n->fm = true;
			i++;
		} else if ((c == 'E' || c == 'e') && i + 3 < fl && strncasecmp(f + i, "EEEE", 4) == 0) {
			n->eeee = true;
			i += 3;
		} else if ((c == 'R' || c == 'r') && i + 1 < fl && (f[i + 1] == 'N' || f[i + 1] == 'n')) {
			n->rn = true;
			i++;
		} else if ((c == 'P' || c == 'p') && i + 1 < fl && (f[i + 1] == 'R' || f[i + 1] == 'r')) {
			n->pr = true;
			i++;
		} else if ((c == 'T' || c == 't') && i + 1 < fl && (f[i + 1] == 'H' || f[i + 1] == 'h')) {
			n->th = true;
			n->th_upper = c == 'T';
			i++;
		} else if ((c == 'P' || c == 'p') && i + 1 < fl && (f[i + 1] == 'L' || f[i + 1] == 'l')) {
			i++;	/* PL adds a '+' and keeps the sign slot */
		} else if (c == 'S' || c == 's' || ((c == 'M' || c == 'm') && i + 1 < fl && (f[i + 1] == 'I' || f[i + 1] == 'i')) ||
				   ((c == 'S' || c == 's') && i + 1 < fl && (f[i + 1] == 'G' || f[i + 1] == 'g'))) {
			n->sign_explicit = true;
			if (c != 'S' && c != 's')
				i++;
			else if (i + 1 < fl && (f[i + 1] == 'G' || f[i + 1] == 'g'))
				i++;
		} else if (c == 'V' || c == 'v') {
			for (size_t j = i + 1; j < fl && (f[j] == '9' || f[j] == '0'); j++)
				n->multi++;
		}
	}
}

static void roman(int v, cm_buf *b, bool lower, bool fm)
{
	static const int vals[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
	static const char *const sy[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};
	char tmp[32];
	size_t n = 0;
	tmp[0] = '\0';
	for (int i = 0; i < 13; i++)
		while (v >= vals[i]) {
			size_t l = strlen(sy[i]);
			memcpy(tmp + n, sy[i], l);
			n += l;
			v -= vals[i];
		}
	tmp[n] = '\0';
	if (!fm)
		for (size_t i = n; i < 15; i++)
			cm_buf_putc(b, ' ');
	for (size_t i = 0; i < n; i++)
		cm_buf_putc(b, lower ? (char) tolower((unsigned char) tmp[i]) : tmp[i]);
}

/*
 * Lay out digits: ip/fp are the integer and fraction digit strings of the
 * absolute value (fp already rounded to n->post digits, ip "0" for zero).
 */
static void num_layout(const char *f, size_t fl, const numfmt *n, bool neg, const char *ip, const char *fp,
					   const char *expo, int64_t thval, cm_buf *b)
{
	int il = (int) strlen(ip);
	bool overflow = il > n->pre;
	bool zero_int = strcmp(ip, "0") == 0;
	/* the first integer position that prints a digit */
	int first = n->pre - il;
	if (zero_int && !overflow && n->post > 0)
		first = n->pre;	/* 0.5 with 9.99: nothing before the point */
	if (n->zero_start >= 0 && n->zero_start < first)
		first = n->zero_start;
	if (zero_int && n->zero_start >= 0 && !overflow)
		first = n->zero_start < n->pre ? n->zero_start : n->pre;
	/* with a zero integer part and a last '0' before the point, that 0 prints */
	int pos = 0, fpos = 0, fl_len = (int) strlen(fp);
	bool sign_done = n->sign_explicit, in_frac = false, digit_seen = false;
	/* FM: trailing '9' positions after the point that hold zeros are dropped */
	int keep_frac = n->post;
	if (n->fm) {
		/* trim '9' positions from the right while the digit there is '0' */
		char fmt_post[64];
		int np = 0;
		bool dec = false;
		for (size_t i = 0; i < fl && np < 64; i++) {
			if (f[i] == '.' || f[i] == 'D' || f[i] == 'd')
				dec = true;
			else if (dec && (f[i] == '9' || f[i] == '0'))
				fmt_post[np++] = f[i];
		}
		if (keep_frac > np)
			keep_frac = np;
		while (keep_frac > 0 && fmt_post[keep_frac - 1] == '9' && (keep_frac - 1 >= fl_len || fp[keep_frac - 1] == '0'))
			keep_frac--;
	}
	if (n->fm && zero_int && !overflow && keep_frac == 0 && first >= n->pre && n->pre > 0)
		first = n->pre - 1;	/* FM9.99 of 0 is "0." */
	char signc = neg ? '-' : (n->fm ? 0 : ' ');
	if (n->pr && !neg && !n->fm)
		signc = ' ';
	for (size_t i = 0; i < fl; i++) {
		char c = f[i];
		if ((c == 'F' || c == 'f') && i + 1 < fl && (f[i + 1] == 'M' || f[i + 1] == 'm')) {
			i++;
			continue;
		}
		if (c == '9' || c == '0') {
			if (!in_frac) {
				if (overflow) {
					if (!sign_done && !n->pr) {
						if (signc)
							cm_buf_putc(b, signc);
						sign_done = true;
					}
					cm_buf_putc(b, '#');
				} else if (pos < first) {
					if (!n->fm)
						cm_buf_putc(b, ' ');
				} else {
					if (!sign_done) {
						if (signc)
							cm_buf_putc(b, n->pr ? (neg ? '<' : ' ') : signc);
						sign_done = true;
					}
					int di = pos - (n->pre - il);
					cm_buf_putc(b, di >= 0 && di < il ? ip[di] : '0');
					digit_seen = true;
				}
				pos++;
			} else {
				if (overflow)
					cm_buf_putc(b, '#');
				else if (fpos < keep_frac)
					cm_buf_putc(b, fpos < fl_len ? fp[fpos] : '0');
				fpos++;
			}
			continue;
		}
		if (c == '.' || c == 'D' || c == 'd') {
			if (!sign_done) {
				if (signc)
					cm_buf_putc(b, n->pr ? (neg ? '<' : ' ') : signc);
				sign_done = true;
			}
			cm_buf_putc(b, '.');
			in_frac = true;
			continue;
		}
		if (c == ',' || c == 'G' || c == 'g') {
			if (overflow || digit_seen)
				cm_buf_putc(b, ',');
			else if (!n->fm)
				cm_buf_putc(b, ' ');
			continue;
		}
		if ((c == 'E' || c == 'e') && i + 3 < fl && strncasecmp(f + i, "EEEE", 4) == 0) {
			cm_buf_puts(b, expo ? expo : "");
			i += 3;
			continue;
		}
		if ((c == 'P' || c == 'p') && i + 1 < fl && (f[i + 1] == 'R' || f[i + 1] == 'r')) {
			cm_buf_putc(b, neg ? '>' : (n->fm ? 0 : ' '));
			if (!neg && n->fm)
				b->len--;
			i++;
			continue;
		}
		if ((c == 'M' || c == 'm') && i + 1 < fl && (f[i + 1] == 'I' || f[i + 1] == 'i')) {
			if (neg)
				cm_buf_putc(b, '-');
			else if (!n->fm)
				cm_buf_putc(b, ' ');
			i++;
			continue;
		}
		if ((c == 'P' || c == 'p') && i + 1 < fl && (f[i + 1] == 'L' || f[i + 1] == 'l')) {
			if (!neg)
				cm_buf_putc(b, '+');
			else if (!n->fm)
				cm_buf_putc(b, ' ');
			i++;
			continue;
		}
		if ((c == 'S' || c == 's') && i + 1 < fl && (f[i + 1] == 'G' || f[i + 1] == 'g')) {
			cm_buf_putc(b, neg ? '-' : '+');
			i++;
			continue;
		}
		if (c == 'S' || c == 's') {
			/* S next to the digits: before the first printed character, or after the number */
			bool at_end = true;
			for (size_t j = i + 1; j < fl; j++)
				if (f[j] == '9' || f[j] == '0' || f[j] == '.' || f[j] == 'D')
					at_end = false;
			if (at_end)
				cm_buf_putc(b, neg ? '-' : '+');
			else {
				signc = neg ? '-' : '+';
				sign_done = false;
			}
			continue;
		}
		if ((c == 'T' || c == 't') && i + 1 < fl && (f[i + 1] == 'H' || f[i + 1] == 'h')) {
			cm_buf_puts(b, ordinal(thval, c == 'T'));
			i++;
			continue;
		}
		if (c == 'V' || c == 'v')
			continue;
		if ((c == 'R' || c == 'r') && i + 1 < fl && (f[i + 1] == 'N' || f[i + 1] == 'n')) {
			i++;
			continue;
		}
		if (c == '"') {
			for (i++; i < fl && f[i] != '"'; i++)
				cm_buf_putc(b, f[i]);
			continue;
		}
		cm_buf_putc(b, c);
	}
}

/* Format the decimal text `digits` (no sign, may contain '.') per template. */
static cm_status num_to_char(sem_ctx *ctx, const char *f, size_t fl, bool neg, const char *txt, double dv,
							 sem_datum *out)
{
	numfmt n;
	num_scan(f, fl, &n);
	cm_buf b;
	cm_buf_init(&b);
	if (n.rn) {
		double r = rint(fabs(dv));
		if (r < 1 || r > 3999) {
			for (int i = 0; i < 15; i++)
				cm_buf_putc(&b, '#');
		} else {
			bool lower = false;
			for (size_t i = 0; i + 1 < fl; i++)
				if ((f[i] == 'r' || f[i] == 'R') && (f[i + 1] == 'n' || f[i + 1] == 'N'))
					lower = f[i] == 'r';
			roman((int) r, &b, lower, n.fm);
		}
		return ret_text(ctx, out, &b);
	}
	const char *dot = strchr(txt, '.');
	size_t il = dot ? (size_t) (dot - txt) : strlen(txt);
	char *ip = cm_alloc(ctx->arena, il + 2);
	memcpy(ip, txt, il);
	ip[il] = '\0';
	while (ip[0] == '0' && ip[1])
		memmove(ip, ip + 1, strlen(ip));
	if (!ip[0])
		strcpy(ip, "0");
	const char *fp = dot ? dot + 1 : "";
	int64_t thval = (int64_t) fabs(dv);
	num_layout(f, fl, &n, neg, ip, fp, NULL, thval, &b);
	return ret_text(ctx, out, &b);
}

/* EEEE: d.ddde+XX with n.post digits. */
static cm_status num_to_char_eeee(sem_ctx *ctx, const char *f, size_t fl, double v, sem_datum *out)
{
	numfmt n;
	num_scan(f, fl, &n);
	char buf[64];
	snprintf(buf, sizeof buf, "%.*e", n.post, fabs(v));
	char *e = strchr(buf, 'e');
	char expo[16];
	int ex = e ? atoi(e + 1) : 0;
	snprintf(expo, sizeof expo, "e%c%02d", ex < 0 ? '-' : '+', abs(ex));
	if (e)
		*e = '\0';
	const char *dot = strchr(buf, '.');
	char ip[8];
	snprintf(ip, sizeof ip, "%.*s", (int) (dot ? dot - buf : (long) strlen(buf)), buf);
	cm_buf b;
	cm_buf_init(&b);
	numfmt one = n;
	one.pre = 1;
	num_layout(f, fl, &one, v < 0, ip, dot ? dot + 1 : "", expo, 0, &b);
	return ret_text(ctx, out, &b);
}

static cm_status f_to_char_int(ARGS)
{
	(void) nargs;
	(void) err;
	numfmt n;
	num_scan(args[1].v.s.p, args[1].v.s.len, &n);
	int64_t v = args[0].v.i;
	if (n.eeee)
		return num_to_char_eeee(ctx, args[1].v.s.p, args[1].v.s.len, (double) v, out);
	char buf[64];
	unsigned long long a = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
	if (n.multi) {
		snprintf(buf, sizeof buf, "%llu", a);
		size_t l = strlen(buf);
		for (int i = 0; i < n.multi && l + 1 < sizeof buf; i++)
			buf[l++] = '0';
		buf[l] = '\0';
	} else
		snprintf(buf, sizeof buf, "%llu", a);
	return num_to_char(ctx, args[1].v.s.p, args[1].v.s.len, v < 0, buf, (double) v, out);
}

static cm_status f_to_char_num(ARGS)
{
	(void) nargs;
	numfmt n;
	num_scan(args[1].v.s.p, args[1].v.s.len, &n);
	const sem_numeric *x = args[0].v.num;
	double dv = sem_num_to_double(x);
	if (n.eeee)
		return num_to_char_eeee(ctx, args[1].v.s.p, args[1].v.s.len, dv, out);
	if (n.multi) {
		sem_numeric *p10 = sem_num_from_int(ctx->arena, 1);
		for (int i = 0; i < n.multi; i++)
			p10 = sem_num_mul(ctx->arena, p10, sem_num_from_int(ctx->arena, 10));
		x = sem_num_mul(ctx->arena, x, p10);
	}
	sem_numeric *r = sem_num_round(ctx->arena, sem_num_abs(ctx->arena, x), n.post);
	(void) err;
	char *txt = sem_num_to_cstring(ctx->arena, r);
	bool neg = sem_num_cmp(x, sem_num_from_int(ctx->arena, 0)) < 0 && !sem_num_is_zero(r);
	return num_to_char(ctx, args[1].v.s.p, args[1].v.s.len, neg, txt, dv, out);
}

static cm_status f_to_char_float(ARGS, bool is4)
{
	(void) nargs;
	(void) err;
	numfmt n;
	num_scan(args[1].v.s.p, args[1].v.s.len, &n);
	double v = args[0].v.f;
	if (n.eeee)
		return num_to_char_eeee(ctx, args[1].v.s.p, args[1].v.s.len, v, out);
	for (int i = 0; i < n.multi; i++)
		v *= 10;
	/* PostgreSQL keeps DBL_DIG / FLT_DIG significant digits */
	int digs = is4 ? 6 : 15;
	char buf[400];
	snprintf(buf, sizeof buf, "%.0f", fabs(v));
	int il = (int) strlen(buf);
	int post = n.post;
	if (il >= digs)
		post = 0;
	else if (post + il > digs)
		post = digs - il;
	snprintf(buf, sizeof buf, "%.*f", post, fabs(v));
	bool neg = v < 0 && strspn(buf, "0.") != strlen(buf);
	return num_to_char(ctx, args[1].v.s.p, args[1].v.s.len, neg, buf, v, out);
}

static cm_status f_to_char_f8(ARGS) { return f_to_char_float(ctx, nargs, args, out, err, false); }
static cm_status f_to_char_f4(ARGS) { return f_to_char_float(ctx, nargs, args, out, err, true); }

/* to_number(text, template): digits, the decimal point, a sign ('-', S, MI,
 * PR's angle brackets); group separators and other template text skipped. */
static cm_status f_to_number(ARGS)
{
	(void) nargs;
	const char *s = args[0].v.s.p, *end = s + args[0].v.s.len;
	const char *f = args[1].v.s.p;
	size_t fl = args[1].v.s.len;
	numfmt n;
	num_scan(f, fl, &n);
	cm_buf b;
	cm_buf_init(&b);
	bool neg = false, dec = false;
	int post = 0;
	for (; s < end; s++) {
		char c = *s;
		if (isdigit((unsigned char) c)) {
			if (dec && post >= n.post)
				continue;
			cm_buf_putc(&b, c);
			if (dec)
				post++;
		} else if (c == '.' && !dec && n.has_dec) {
			cm_buf_putc(&b, '.');
			dec = true;
		} else if (c == '-' || c == '<')
			neg = true;
	}
	if (b.len == 0 || (b.len == 1 && dec)) {
		cm_buf_free(&b);
		return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type numeric: \" \"");
	}
	sem_numeric *r;
	cm_status st = sem_num_in(ctx->arena, b.data, b.len, -1, &r, err);
	cm_buf_free(&b);
	if (st != CM_OK)
		return CM_ERROR;
	memset(out, 0, sizeof *out);
	out->v.num = neg ? sem_num_neg(ctx->arena, r) : r;
	return CM_OK;
}

#define S SEM_FN_STRICT
#define ST (SEM_FN_STRICT | SEM_FN_STABLE)
static const sem_builtin fmt_rows[] = {
	{"to_char", 2, {SEM_TIMESTAMPOID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_ts},
	{"to_char", 2, {SEM_TIMESTAMPTZOID, SEM_TEXTOID}, SEM_TEXTOID, ST, f_to_char_tstz},
	{"to_char", 2, {SEM_INTERVALOID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_iv},
	{"to_char", 2, {SEM_INT4OID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_int},
	{"to_char", 2, {SEM_INT8OID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_int},
	{"to_char", 2, {SEM_NUMERICOID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_num},
	{"to_char", 2, {SEM_FLOAT4OID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_f4},
	{"to_char", 2, {SEM_FLOAT8OID, SEM_TEXTOID}, SEM_TEXTOID, S, f_to_char_f8},
	{"to_date", 2, {SEM_TEXTOID, SEM_TEXTOID}, SEM_DATEOID, ST, f_to_date},
	{"to_timestamp", 2, {SEM_TEXTOID, SEM_TEXTOID}, SEM_TIMESTAMPTZOID, ST, f_to_timestamp_fmt},
	{"to_number", 2, {SEM_TEXTOID, SEM_TEXTOID}, SEM_NUMERICOID, ST, f_to_number},
};

void sem_fmt_register_builtins(void)
{
	sem_register_builtins(fmt_rows, sizeof fmt_rows / sizeof fmt_rows[0]);
}
