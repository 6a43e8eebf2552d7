/*
 * sem_dt_tz.c -- time zones for the session TimeZone setting.
 *
 * PostgreSQL on Debian reads the system tzdata (/usr/share/zoneinfo), so we
 * read the same TZif files ourselves and get the same answers, including
 * LMT offsets before 1900 and the POSIX footer rule for times after the
 * last recorded transition.  Nothing here touches the process-wide TZ.
 *
 * A TimeZone value is resolved the way PostgreSQL's SET TimeZone does:
 *   1. "INTERVAL '...'"             fixed offset (ISO sense)
 *   2. a plain number of hours      fixed offset (ISO sense: -7 = UTC-7)
 *   3. a zone file name             case-insensitive ("america/new_york")
 *   4. a POSIX TZ string            "UTC+3" = 3 hours WEST, "EST5EDT4,M3.2.0,M11.1.0"
 * and then rejected if its offset at 2000-01-01 is not whole minutes (what
 * PostgreSQL takes as a sign of leap-second timekeeping).
 *
 * Zones are cached per thread (an LRU of 64 entries, freed at thread exit):
 * sessions run on their own threads, so no locking is needed.
 *
 * Exported (see sem_dt_internal.h / sem_datetime.h):
 *   dt_zone_get, dt_zone_lookup_literal, dt_zone_offset_utc,
 *   dt_zone_offset_local, dt_abbrev_lookup, dt_offset_zone_name,
 *   sem_dt_valid_timezone
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_dt_internal.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_CACHE_SIZE 64
#define TZ_NAME_MAX 255
#define TZ_MAX_FILE (1 << 20)

/* One POSIX transition rule: Jn, n or Mm.w.d plus a time of day. */
typedef struct tz_rule {
	char kind;			/* 'J', 'D' (zero-based day), 'M' */
	int day, week, mon;
	int32_t secs;		/* local time of day of the switch (may be < 0 or > 24h) */
} tz_rule;

typedef struct tz_posix {
	int std_off;		/* seconds east */
	int dst_off;
	bool has_dst;
	tz_rule start, end;
	char std_abbr[16], dst_abbr[16];
} tz_posix;

typedef struct tz_type {
	int32_t off;		/* seconds east */
	bool isdst;
	char abbr[16];
} tz_type;

struct dt_zone {
	char name[TZ_NAME_MAX + 1];	/* canonical spelling */
	int ntrans;
	int64_t *trans;			/* Unix seconds, ascending */
	uint8_t *tidx;			/* type index per transition */
	int ntypes;
	tz_type *types;
	bool has_footer;
	tz_posix footer;
};

typedef struct tz_cache_entry {
	char *key;				/* the name as asked for */
	bool literal;			/* resolved without the numeric-hours rule */
	dt_zone *zone;			/* NULL = known invalid */
	uint64_t used;
} tz_cache_entry;

typedef struct tz_cache {
	tz_cache_entry e[TZ_CACHE_SIZE];
	int n;
	uint64_t clock;
} tz_cache;

static pthread_key_t tz_key;
static pthread_once_t tz_once = PTHREAD_ONCE_INIT;

static void zone_free(dt_zone *z);
static dt_zone *zone_resolve(const char *name, bool literal);
static bool posix_parse(const char *s, tz_posix *p);

/* ------------------------------------------------------------------ */
/* Per-thread cache                                                     */
/* ------------------------------------------------------------------ */

static void tz_cache_destroy(void *arg)
{
	tz_cache *c = arg;
	for (int i = 0; i < c->n; i++) {
		free(c->e[i].key);
		zone_free(c->e[i].zone);
	}
	free(c);
}

static void tz_key_init(void)
{
	(void) pthread_key_create(&tz_key, tz_cache_destroy);
}

static tz_cache *tz_cache_get(void)
{
	pthread_once(&tz_once, tz_key_init);
	tz_cache *c = pthread_getspecific(tz_key);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		(void) pthread_setspecific(tz_key, c);
	}
	return c;
}

static const dt_zone *utc_zone(void);

static const dt_zone *zone_cached(const char *name, bool literal)
{
	tz_cache *c = tz_cache_get();
	for (int i = 0; i < c->n; i++) {
		if (c->e[i].literal == literal && strcmp(c->e[i].key, name) == 0) {
			c->e[i].used = ++c->clock;
			return c->e[i].zone;
		}
	}
	dt_zone *z = zone_resolve(name, literal);
	int slot;
	if (c->n < TZ_CACHE_SIZE) {
		slot = c->n++;
	} else {
		/* Evict the least recently used entry (never one just handed out). */
		slot = 0;
		for (int i = 1; i < c->n; i++)
			if (c->e[i].used < c->e[slot].used)
				slot = i;
		free(c->e[slot].key);
		zone_free(c->e[slot].zone);
	}
	c->e[slot].key = strdup(name);
	if (!c->e[slot].key)
		abort();
	c->e[slot].zone = z;
	c->e[slot].literal = literal;
	c->e[slot].used = ++c->clock;
	return z;
}

const dt_zone *dt_zone_get(const char *name)
{
	if (!name || !*name)
		return utc_zone();
	return zone_cached(name, false);
}

const dt_zone *dt_zone_lookup_literal(const char *name, size_t len)
{
	char buf[TZ_NAME_MAX + 1];
	if (len == 0 || len > TZ_NAME_MAX)
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	/* Inside literals only zone names and POSIX strings, never numbers. */
	if (isdigit((unsigned char) buf[0]) || buf[0] == '+' || buf[0] == '-' || buf[0] == '.')
		return NULL;
	return zone_cached(buf, true);
}

const dt_zone *dt_zone_lookup_text(const char *name, size_t len)
{
	char buf[TZ_NAME_MAX + 1];
	if (len == 0 || len > TZ_NAME_MAX)
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return zone_cached(buf, true);
}

/* The UTC zone, used when no TimeZone is set; one static instance. */
static const dt_zone *utc_zone(void)
{
	static dt_zone z;
	static tz_type t = { 0, false, "UTC" };
	if (!z.name[0]) {
		/* benign race: every thread writes the same bytes */
		z.ntypes = 1;
		z.types = &t;
		strcpy(z.name, "UTC");
	}
	return &z;
}

/* ------------------------------------------------------------------ */
/* TZif files                                                           */
/* ------------------------------------------------------------------ */

static void zone_free(dt_zone *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->tidx);
	free(z->types);
	free(z);
}

static const char *tz_dir(void)
{
	const char *d = getenv("PGKV_TZDIR");
	return (d && *d) ? d : TZ_DEFAULT_DIR;
}

/*
 * Find `name` under the tz directory, matching each path component
 * case-insensitively as PostgreSQL does.  On success fills path (absolute)
 * and canon (the name as spelled on disk).
 */
static bool tz_find_file(const char *name, char *path, size_t pathlen, char *canon, size_t canonlen)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > TZ_NAME_MAX || name[0] == '/' || name[0] == '.')
		return false;
	/* no "..", no empty components */
	for (const char *p = name; *p; p++) {
		if (p[0] == '.' && p[1] == '.')
			return false;
		if (p[0] == '/' && (p[1] == '/' || p[1] == '\0'))
			return false;
	}
	int n = snprintf(path, pathlen, "%s", tz_dir());
	if (n < 0 || (size_t) n >= pathlen)
		return false;
	canon[0] = '\0';
	const char *comp = name;
	while (*comp) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t) (slash - comp) : strlen(comp);
		char want[TZ_NAME_MAX + 1];
		memcpy(want, comp, clen);
		want[clen] = '\0';
		DIR *dir = opendir(path);
		if (!dir)
			return false;
		struct dirent *de;
		bool found = false;
		char got[TZ_NAME_MAX + 1];
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, want) == 0) {
				snprintf(got, sizeof got, "%s", de->d_name);
				found = true;
				break;
			}
			if (!found && strcasecmp(de->d_name, want) == 0) {
				snprintf(got, sizeof got, "%s", de->d_name);
				found = true;	/* keep looking for an exact match */
			}
		}
		closedir(dir);
		if (!found)
			return false;
		size_t pl = strlen(path), cl = strlen(canon), gl = strlen(got);
		if (pl + 1 + gl + 1 > pathlen || cl + 1 + gl + 1 > canonlen)
			return false;
		path[pl] = '/';
		memcpy(path + pl + 1, got, gl + 1);
		if (cl) {
			canon[cl] = '/';
			memcpy(canon + cl + 1, got, gl + 1);
		} else {
			memcpy(canon, got, gl + 1);
		}
		comp = slash ? slash + 1 : comp + clen;
	}
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static uint32_t be32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t) (((uint64_t) be32(p) << 32) | be32(p + 4));
}

/* Parse a TZif image; false if malformed or if it uses leap seconds. */
static bool tzif_parse(const unsigned char *buf, size_t len, dt_zone *z)
{
	if (len < 44 || memcmp(buf, "TZif", 4) != 0)
		return false;
	int version = buf[4] ? buf[4] - '0' : 1;
	const unsigned char *h = buf;
	uint32_t cnt[6];
	for (int i = 0; i < 6; i++)
		cnt[i] = be32(h + 20 + 4 * i);
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	size_t v1len = (size_t) cnt[3] * 5 + (size_t) cnt[4] * 6 + cnt[5] + (size_t) cnt[2] * 8 + cnt[1] + cnt[0];
	int tsize = 4;
	const unsigned char *d = buf + 44;
	size_t left = len - 44;
	if (v1len > left)
		return false;
	if (version >= 2) {
		d += v1len;
		left -= v1len;
		if (left < 44 || memcmp(d, "TZif", 4) != 0)
			return false;
		for (int i = 0; i < 6; i++)
			cnt[i] = be32(d + 20 + 4 * i);
		d += 44;
		left -= 44;
		tsize = 8;
	}
	uint32_t timecnt = cnt[3], typecnt = cnt[4], charcnt = cnt[5], leapcnt = cnt[2];
	size_t need = (size_t) timecnt * (tsize + 1) + (size_t) typecnt * 6 + charcnt +
				  (size_t) leapcnt * (tsize + 4) + cnt[1] + cnt[0];
	if (need > left || typecnt == 0 || typecnt > 256)
		return false;
	if (leapcnt > 0)
		return false;	/* leap-second zones are not supported, as in PostgreSQL */
	z->ntrans = (int) timecnt;
	z->trans = calloc(timecnt ? timecnt : 1, sizeof(int64_t));
	z->tidx = calloc(timecnt ? timecnt : 1, 1);
	z->types = calloc(typecnt, sizeof(tz_type));
	if (!z->trans || !z->tidx || !z->types)
		abort();
	const unsigned char *p = d;
	for (uint32_t i = 0; i < timecnt; i++, p += tsize)
		z->trans[i] = tsize == 8 ? be64(p) : (int64_t) (int32_t) be32(p);
	for (uint32_t i = 0; i < timecnt; i++, p++) {
		if (*p >= typecnt)
			return false;
		z->tidx[i] = *p;
	}
	const unsigned char *types = p;
	const char *chars = (const char *) (p + typecnt * 6);
	z->ntypes = (int) typecnt;
	for (uint32_t i = 0; i < typecnt; i++) {
		z->types[i].off = (int32_t) be32(types + 6 * i);
		z->types[i].isdst = types[6 * i + 4] != 0;
		unsigned ai = types[6 * i + 5];
		if (ai < charcnt) {
			size_t k = 0;
			while (ai + k < charcnt && chars[ai + k] && k < sizeof z->types[i].abbr - 1) {
				z->types[i].abbr[k] = chars[ai + k];
				k++;
			}
		}
	}
	d += need;
	left -= need;
	if (version >= 2 && left >= 2 && d[0] == '\n') {
		const unsigned char *e = memchr(d + 1, '\n', left - 1);
		if (e && e > d + 1) {
			char tzs[128];
			size_t l = (size_t) (e - d - 1);
			if (l < sizeof tzs) {
				memcpy(tzs, d + 1, l);
				tzs[l] = '\0';
				if (posix_parse(tzs, &z->footer))
					z->has_footer = true;
			}
		}
	}
	return true;
}

static dt_zone *tzif_load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	unsigned char *buf = malloc(TZ_MAX_FILE);
	if (!buf)
		abort();
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, TZ_MAX_FILE - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t) r;
		if (len == TZ_MAX_FILE)
			break;
	}
	close(fd);
	dt_zone *z = calloc(1, sizeof(*z));
	if (!z)
		abort();
	if (!tzif_parse(buf, len, z)) {
		zone_free(z);
		z = NULL;
	}
	free(buf);
	return z;
}

/* ------------------------------------------------------------------ */
/* POSIX TZ strings                                                     */
/* ------------------------------------------------------------------ */

/* Zone abbreviation: "<...>" or a run of letters (possibly empty). */
static const char *posix_name(const char *s, char *out, size_t outlen, bool allow_empty)
{
	size_t n = 0;
	if (*s == '<') {
		s++;
		while (*s && *s != '>') {
			if (n < outlen - 1)
				out[n++] = *s;
			s++;
		}
		if (*s != '>')
			return NULL;
		s++;
	} else {
		while (*s && !isdigit((unsigned char) *s) && *s != ',' && *s != '-' && *s != '+') {
			if (n < outlen - 1)
				out[n++] = *s;
			s++;
		}
		if (n == 0 && !allow_empty)
			return NULL;
	}
	out[n] = '\0';
	return s;
}

/* hh[:mm[:ss]] with hh <= 167; returns seconds. */
static const char *posix_secs(const char *s, int32_t *secs)
{
	int h = 0, m = 0, sec = 0, nd = 0;
	if (!isdigit((unsigned char) *s))
		return NULL;
	while (isdigit((unsigned char) *s)) {
		h = h * 10 + (*s++ - '0');
		if (++nd > 3 || h > 167)
			return NULL;
	}
	if (*s == ':') {
		s++;
		if (!isdigit((unsigned char) *s))
			return NULL;
		nd = 0;
		while (isdigit((unsigned char) *s)) {
			m = m * 10 + (*s++ - '0');
			if (++nd > 2 || m > 59)
				return NULL;
		}
		if (*s == ':') {
			s++;
			if (!isdigit((unsigned char) *s))
				return NULL;
			nd = 0;
			while (isdigit((unsigned char) *s)) {
				sec = sec * 10 + (*s++ - '0');
				if (++nd > 2 || sec > 60)
					return NULL;
			}
		}
	}
	*secs = h * 3600 + m * 60 + sec;
	return s;
}

/* [+-]hh[:mm[:ss]], POSIX sense (positive = west); returns seconds west. */
static const char *posix_offset(const char *s, int32_t *west)
{
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	s = posix_secs(s, west);
	if (s && neg)
		*west = -*west;
	return s;
}

static const char *posix_rule(const char *s, tz_rule *r)
{
	int v = 0, nd = 0;
	if (*s == 'J' || isdigit((unsigned char) *s)) {
		r->kind = *s == 'J' ? 'J' : 'D';
		if (*s == 'J')
			s++;
		if (!isdigit((unsigned char) *s))
			return NULL;
		while (isdigit((unsigned char) *s)) {
			v = v * 10 + (*s++ - '0');
			if (++nd > 3)
				return NULL;
		}
		if ((r->kind == 'J' && (v < 1 || v > 365)) || (r->kind == 'D' && v > 365))
			return NULL;
		r->day = v;
	} else if (*s == 'M') {
		int f[3] = { 0, 0, 0 };
		s++;
		for (int i = 0; i < 3; i++) {
			if (i > 0) {
				if (*s != '.')
					return NULL;
				s++;
			}
			if (!isdigit((unsigned char) *s))
				return NULL;
			nd = 0;
			while (isdigit((unsigned char) *s)) {
				f[i] = f[i] * 10 + (*s++ - '0');
				if (++nd > 2)
					return NULL;
			}
		}
		if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 5 || f[2] > 6)
			return NULL;
		r->kind = 'M';
		r->mon = f[0];
		r->week = f[1];
		r->day = f[2];
	} else {
		return NULL;
	}
	r->secs = 7200;
	if (*s == '/') {
		s++;
		s = posix_offset(s, &r->secs);	/* a signed time, sign as written */
		if (!s)
			return NULL;
	}
	return s;
}

static bool posix_parse(const char *s, tz_posix *p)
{
	memset(p, 0, sizeof(*p));
	int32_t west;
	s = posix_name(s, p->std_abbr, sizeof p->std_abbr, true);
	if (!s || !*s)
		return false;
	s = posix_offset(s, &west);
	if (!s)
		return false;
	p->std_off = -west;
	if (*s == '\0')
		return true;
	s = posix_name(s, p->dst_abbr, sizeof p->dst_abbr, false);
	if (!s)
		return false;
	p->has_dst = true;
	p->dst_off = p->std_off + 3600;
	if (*s && *s != ',' && *s != ';') {
		s = posix_offset(s, &west);
		if (!s)
			return false;
		p->dst_off = -west;
	}
	if (*s == '\0') {
		/* No rules: the US rules PostgreSQL takes from "posixrules". */
		p->start = (tz_rule) { 'M', 0, 2, 3, 7200 };
		p->end = (tz_rule) { 'M', 0, 1, 11, 7200 };
		return true;
	}
	if (*s != ',' && *s != ';')
		return false;
	s = posix_rule(s + 1, &p->start);
	if (!s || (*s != ',' && *s != ';'))
		return false;
	s = posix_rule(s + 1, &p->end);
	return s && *s == '\0';
}

/* Unix day number of year-month-day. */
static int64_t unix_day(int64_t y, int m, int d)
{
	return dt_date2j(y, m, d) - DT_UNIX_EPOCH_JD;
}

/* Local (wall clock) Unix seconds at which rule r fires in year y. */
static int64_t rule_local_time(const tz_rule *r, int64_t y)
{
	int64_t day;
	switch (r->kind) {
	case 'J':
		day = unix_day(y, 1, 1) + r->day - 1;
		if (dt_isleap((int) y) && r->day >= 60)
			day++;
		break;
	case 'D':
		day = unix_day(y, 1, 1) + r->day;
		break;
	default: {
		int64_t first = unix_day(y, r->mon, 1);
		int dow1 = (int) (((first + 4) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday */
		int dom = 1 + (r->day - dow1 + 7) % 7 + 7 * (r->week - 1);
		int dim = dt_days_in_month((int) y, r->mon);
		while (dom > dim)
			dom -= 7;
		day = first + dom - 1;
		break;
	}
	}
	return day * DT_SECS_PER_DAY + r->secs;
}

/* DST start / end of year y in UTC seconds. */
static void rule_year(const tz_posix *p, int64_t y, int64_t *start, int64_t *end)
{
	*start = rule_local_time(&p->start, y) - p->std_off;
	*end = rule_local_time(&p->end, y) - p->dst_off;
}

static int64_t year_of_unix(int64_t t)
{
	int64_t days = t >= 0 ? t / DT_SECS_PER_DAY : -((-t + DT_SECS_PER_DAY - 1) / DT_SECS_PER_DAY);
	int y, m, d;
	dt_j2date(days + DT_UNIX_EPOCH_JD, &y, &m, &d);
	return y;
}

static bool posix_isdst_at(const tz_posix *p, int64_t t)
{
	if (!p->has_dst)
		return false;
	int64_t y = year_of_unix(t);
	int64_t s, e;
	rule_year(p, y, &s, &e);
	if (s < e)
		return t >= s && t < e;
	/* southern hemisphere: DST spans the new year */
	return !(t >= e && t < s);
}

/* First rule transition strictly after t. */
static bool posix_next(const tz_posix *p, int64_t t, int64_t *next)
{
	if (!p->has_dst)
		return false;
	int64_t y = year_of_unix(t), best = INT64_MAX;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		int64_t s, e;
		rule_year(p, k, &s, &e);
		if (s > t && s < best)
			best = s;
		if (e > t && e < best)
			best = e;
	}
	*next = best;
	return best != INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* Offsets                                                              */
/* ------------------------------------------------------------------ */

int dt_zone_offset_utc(const dt_zone *z, int64_t t, bool *isdst, const char **abbrev)
{
	const tz_type *ty;
	if (!z)
		z = utc_zone();
	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_footer && (z->ntrans == 0 || t >= z->trans[z->ntrans - 1])) {
			bool dst = posix_isdst_at(&z->footer, t);
			if (isdst)
				*isdst = dst;
			if (abbrev)
				*abbrev = dst ? z->footer.dst_abbr : z->footer.std_abbr;
			return dst ? z->footer.dst_off : z->footer.std_off;
		}
		ty = &z->types[z->ntrans ? z->tidx[z->ntrans - 1] : 0];
	} else if (t < z->trans[0]) {
		ty = &z->types[0];
	} else {
		int lo = 0, hi = z->ntrans - 1;	/* trans[lo] <= t < trans[hi] */
		while (hi - lo > 1) {
			int mid = lo + (hi - lo) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &z->types[z->tidx[lo]];
	}
	if (isdst)
		*isdst = ty->isdst;
	if (abbrev)
		*abbrev = ty->abbr;
	return ty->off;
}

/* First transition strictly after t (file or footer rule). */
static bool zone_next_transition(const dt_zone *z, int64_t t, int64_t *next)
{
	if (z->ntrans > 0 && t < z->trans[z->ntrans - 1]) {
		int lo = 0, hi = z->ntrans - 1;
		if (t < z->trans[0]) {
			*next = z->trans[0];
			return true;
		}
		while (hi - lo > 1) {
			int mid = lo + (hi - lo) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		*next = z->trans[hi];
		return true;
	}
	if (z->has_footer)
		return posix_next(&z->footer, t, next);
	return false;
}

int dt_zone_offset_local(const dt_zone *z, int64_t local, bool *isdst)
{
	if (!z)
		z = utc_zone();
	/*
	 * PostgreSQL's rule: look at the first transition after local - 1 day.
	 * If the local time maps to the same side of it under both the offset
	 * before and the offset after, use that side; in a gap (spring forward)
	 * use the offset before, in an overlap (fall back) the offset after.
	 */
	int64_t prev = local - DT_SECS_PER_DAY;
	bool bdst, adst;
	int before = dt_zone_offset_utc(z, prev, &bdst, NULL);
	int64_t boundary;
	if (!zone_next_transition(z, prev, &boundary)) {
		if (isdst)
			*isdst = bdst;
		return before;
	}
	int after = dt_zone_offset_utc(z, boundary, &adst, NULL);
	int64_t bt = local - before, at = local - after;
	bool usebefore;
	if (bt < boundary && at < boundary)
		usebefore = true;
	else if (bt >= boundary && at >= boundary)
		usebefore = false;
	else
		usebefore = bt > at;
	if (isdst)
		*isdst = usebefore ? bdst : adst;
	return usebefore ? before : after;
}

/* ------------------------------------------------------------------ */
/* Resolution of a TimeZone value                                       */
/* ------------------------------------------------------------------ */

void dt_offset_zone_name(int secs_east, char *buf, size_t buflen)
{
	int a = secs_east < 0 ? -secs_east : secs_east;
	char o[24];
	if (a % 60 != 0)
		snprintf(o, sizeof o, "%02d:%02d:%02d", a / 3600, (a / 60) % 60, a % 60);
	else if (a % 3600 != 0)
		snprintf(o, sizeof o, "%02d:%02d", a / 3600, (a / 60) % 60);
	else
		snprintf(o, sizeof o, "%02d", a / 3600);
	if (secs_east < 0)
		snprintf(buf, buflen, "<-%s>+%s", o, o);
	else
		snprintf(buf, buflen, "<+%s>-%s", o, o);
}

static dt_zone *fixed_zone(int secs_east, const char *name)
{
	dt_zone *z = calloc(1, sizeof(*z));
	if (!z)
		abort();
	z->types = calloc(1, sizeof(tz_type));
	if (!z->types)
		abort();
	z->ntypes = 1;
	z->types[0].off = secs_east;
	snprintf(z->name, sizeof z->name, "%s", name);
	return z;
}

/* "INTERVAL '...'" as produced for SET TIME ZONE INTERVAL '...'. */
static dt_zone *interval_zone(const char *name)
{
	const char *q = strchr(name, '\'');
	if (!q)
		return NULL;
	const char *e = strchr(q + 1, '\'');
	if (!e)
		return NULL;
	for (const char *r = e + 1; *r; r++)
		if (!isspace((unsigned char) *r) && !isalpha((unsigned char) *r))
			return NULL;
	sem_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	sem_datum iv;
	cm_error err = { 0 };
	if (dt_parse_interval(&ctx, q + 1, (size_t) (e - q - 1), -1, &iv, &err) != CM_OK) {
		cm_error_clear(&err);
		return NULL;
	}
	if (iv.v.iv.month != 0 || iv.v.iv.day != 0)
		return NULL;
	int64_t secs = iv.v.iv.time / DT_USECS_PER_SEC;
	if (secs > 167 * 3600 || secs < -167 * 3600)
		return NULL;
	char nm[64];
	dt_offset_zone_name((int) secs, nm, sizeof nm);
	return fixed_zone((int) secs, nm);
}

static dt_zone *zone_resolve(const char *name, bool literal)
{
	size_t len = strlen(name);
	if (len == 0 || len > TZ_NAME_MAX)
		return NULL;
	dt_zone *z = NULL;
	if (literal) {
		int off;
		if (dt_abbrev_lookup(name, len, &off, NULL)) {
			z = fixed_zone(off, name);
			snprintf(z->types[0].abbr, sizeof z->types[0].abbr, "%s", name);
			return z;
		}
	}
	if (!literal && strncasecmp(name, "interval", 8) == 0 && (isspace((unsigned char) name[8]) || name[8] == '\'')) {
		z = interval_zone(name);
	} else {
		char *end;
		errno = 0;
		double hours = strtod(name, &end);
		if (!literal && end != name && *end == '\0') {
			if (!isfinite(hours) || fabs(hours) > 167.0)
				return NULL;
			int secs = (int) (hours * 3600.0);
			char nm[64];
			dt_offset_zone_name(secs, nm, sizeof nm);
			z = fixed_zone(secs, nm);
		} else {
			char path[4096];
			char canon[TZ_NAME_MAX + 1];
			if (tz_find_file(name, path, sizeof path, canon, sizeof canon)) {
				z = tzif_load(path);
				if (z)
					snprintf(z->name, sizeof z->name, "%s", canon);
			}
			if (!z && name[0] != ':') {
				tz_posix p;
				if (posix_parse(name, &p)) {
					z = calloc(1, sizeof(*z));
					if (!z)
						abort();
					z->types = calloc(1, sizeof(tz_type));
					if (!z->types)
						abort();
					z->ntypes = 1;
					z->types[0].off = p.std_off;
					snprintf(z->types[0].abbr, sizeof z->types[0].abbr, "%s", p.std_abbr);
					z->footer = p;
					z->has_footer = true;
					for (size_t i = 0; i <= len && i < sizeof z->name; i++)
						z->name[i] = (char) toupper((unsigned char) name[i]);
				}
			}
		}
	}
	if (!z)
		return NULL;
	/* PostgreSQL rejects zones whose offset at 2000-01-01 has seconds. */
	int off = dt_zone_offset_utc(z, DT_UNIX_EPOCH_SECS, NULL, NULL);
	if (off % 60 != 0) {
		zone_free(z);
		return NULL;
	}
	return z;
}

bool sem_dt_valid_timezone(const char *name, char **canonical)
{
	if (canonical)
		*canonical = NULL;
	if (!name || !*name)
		return false;
	const dt_zone *z = dt_zone_get(name);
	if (!z)
		return false;
	if (canonical) {
		*canonical = strdup(z->name);
		if (!*canonical)
			abort();
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Abbreviations accepted inside literals (fixed offsets, a subset of   */
/* PostgreSQL's "Default" timezone_abbreviations set).                  */
/* ------------------------------------------------------------------ */

typedef struct tz_abbrev {
	const char *name;
	int off;		/* seconds east */
	bool dst;
} tz_abbrev;

static const tz_abbrev tz_abbrevs[] = {
	{ "ACDT", 37800, true }, { "ACST", 34200, false }, { "ADT", -10800, true },
	{ "AEDT", 39600, true }, { "AEST", 36000, false }, { "AKDT", -28800, true },
	{ "AKST", -32400, false }, { "AST", -14400, false }, { "AWST", 28800, false },
	{ "BST", 3600, true }, { "CAT", 7200, false }, { "CDT", -18000, true },
	{ "CEST", 7200, true }, { "CET", 3600, false }, { "CST", -21600, false },
	{ "EAT", 10800, false }, { "EDT", -14400, true }, { "EEST", 10800, true },
	{ "EET", 7200, false }, { "EST", -18000, false }, { "GMT", 0, false },
	{ "HDT", -32400, true }, { "HKT", 28800, false }, { "HST", -36000, false },
	{ "IDT", 10800, true }, { "IST", 7200, false }, { "JST", 32400, false },
	{ "KST", 32400, false }, { "MDT", -21600, true }, { "MEST", 7200, true },
	{ "MET", 3600, false }, { "MSK", 10800, false }, { "MST", -25200, false },
	{ "NDT", -9000, true }, { "NST", -12600, false }, { "NZDT", 46800, true },
	{ "NZST", 43200, false }, { "PDT", -25200, true }, { "PST", -28800, false },
	{ "SAST", 7200, false }, { "SGT", 28800, false }, { "UCT", 0, false },
	{ "UT", 0, false }, { "UTC", 0, false }, { "WAT", 3600, false },
	{ "WEST", 3600, true }, { "WET", 0, false }, { "Z", 0, false },
	{ "ZULU", 0, false },
};

bool dt_abbrev_lookup(const char *s, size_t len, int *off, bool *isdst)
{
	for (size_t i = 0; i < sizeof tz_abbrevs / sizeof tz_abbrevs[0]; i++) {
		const tz_abbrev *a = &tz_abbrevs[i];
		if (strlen(a->name) == len && strncasecmp(a->name, s, len) == 0) {
			*off = a->off;
			if (isdst)
				*isdst = a->dst;
			return true;
		}
	}
	return false;
}
