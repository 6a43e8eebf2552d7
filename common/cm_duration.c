/*
 * cm_duration.c -- durations and byte sizes in flags and config files (see
 * cm_duration.h for the accepted syntax).
 *
 * Both parsers read "<digits>[.<digits>]" followed by a unit and compute in
 * 128-bit integers, so there is no floating point and overflow is detected
 * exactly.
 */
#include "cm_duration.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef unsigned __int128 u128;

typedef struct unit_def {
	const char *name;
	uint64_t mult;
} unit_def;

/* Longest names first where one is a prefix of another ("ms" before "m"). */
static const unit_def duration_units[] = {
    {"us", 1},    {"\xc2\xb5s", 1}, /* µs */
    {"ms", 1000}, {"s", 1000000},   {"m", 60ULL * 1000000}, {"h", 3600ULL * 1000000},
};

static const unit_def byte_units[] = {
    {"", 1},
    {"b", 1},
    {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},
    {"gib", 1ULL << 30},
    {"tib", 1ULL << 40},
    {"kb", 1000ULL},
    {"mb", 1000ULL * 1000},
    {"gb", 1000ULL * 1000 * 1000},
    {"tb", 1000ULL * 1000 * 1000 * 1000},
};

static bool read_number(const char **pp, u128 *whole, uint64_t *frac, uint64_t *frac_scale,
                        bool *has_frac);
static const char *skip_blanks(const char *p);

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Read "<digits>[.<digits>]" at *pp.  The whole part saturates past 2^64 (the
 * callers treat that as overflow); at most 9 fraction digits are kept.
 * Returns false when there is no digit at all.
 */
static bool
read_number(const char **pp, u128 *whole, uint64_t *frac, uint64_t *frac_scale, bool *has_frac)
{
	const char *p = *pp;
	u128 w = 0;
	uint64_t f = 0, scale = 1;
	bool any = false;

	while (isdigit((unsigned char)*p)) {
		if (w < ((u128)1 << 80))
			w = w * 10 + (u128)(*p - '0');
		p++;
		any = true;
	}
	*has_frac = false;
	if (*p == '.' && isdigit((unsigned char)p[1])) {
		p++;
		*has_frac = true;
		while (isdigit((unsigned char)*p)) {
			if (scale < 1000000000ULL) {
				f = f * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
			p++;
			any = true;
		}
	}
	if (!any)
		return false;
	*whole = w;
	*frac = f;
	*frac_scale = scale;
	*pp = p;
	return true;
}

cm_status
cm_parse_duration_ms(const char *s, int64_t *out)
{
	if (s == NULL)
		return CM_ERROR;
	const char *p = skip_blanks(s);
	const char *end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end)
		return CM_ERROR;
	/* A bare zero needs no unit. */
	if (end - p == 1 && *p == '0') {
		*out = 0;
		return CM_OK;
	}

	u128 total_us = 0;
	while (p < end) {
		u128 whole;
		uint64_t frac, scale;
		bool has_frac;
		if (!read_number(&p, &whole, &frac, &scale, &has_frac))
			return CM_ERROR;
		const unit_def *unit = NULL;
		size_t best = 0;
		for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			size_t n = strlen(duration_units[i].name);
			if (n > best && (size_t)(end - p) >= n && strncmp(p, duration_units[i].name, n) == 0) {
				unit = &duration_units[i];
				best = n;
			}
		}
		if (unit == NULL)
			return CM_ERROR; /* missing or unknown unit */
		p += best;
		total_us += whole * unit->mult + (u128)frac * unit->mult / scale;
		if (total_us > (u128)INT64_MAX)
			return CM_ERROR;
	}
	*out = (int64_t)(total_us / 1000);
	return CM_OK;
}

cm_status
cm_parse_bytes(const char *s, int64_t *out)
{
	if (s == NULL)
		return CM_ERROR;
	const char *p = skip_blanks(s);
	u128 whole;
	uint64_t frac, scale;
	bool has_frac;
	if (!read_number(&p, &whole, &frac, &scale, &has_frac))
		return CM_ERROR;
	p = skip_blanks(p);
	const char *unit_start = p;
	while (isalpha((unsigned char)*p))
		p++;
	size_t unit_len = (size_t)(p - unit_start);
	if (*skip_blanks(p) != '\0')
		return CM_ERROR;

	const unit_def *unit = NULL;
	for (size_t i = 0; i < sizeof(byte_units) / sizeof(byte_units[0]); i++)
		if (strlen(byte_units[i].name) == unit_len &&
		    strncasecmp(unit_start, byte_units[i].name, unit_len) == 0) {
			unit = &byte_units[i];
			break;
		}
	if (unit == NULL)
		return CM_ERROR;
	/* "1.5" bytes is meaningless; a fraction needs a unit larger than a byte. */
	if (has_frac && unit->mult == 1)
		return CM_ERROR;
	u128 v = whole * unit->mult + (u128)frac * unit->mult / scale;
	if (whole > (u128)INT64_MAX || v > (u128)INT64_MAX)
		return CM_ERROR;
	*out = (int64_t)v;
	return CM_OK;
}

char *
cm_format_duration_ms(int64_t ms, char *buf, size_t size)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} parts[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
	size_t used = 0;
	uint64_t v;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	if (ms < 0) {
		used += (size_t)snprintf(buf, size, "-");
		v = (uint64_t)0 - (uint64_t)ms;
	} else
		v = (uint64_t)ms;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && used < size; i++) {
		uint64_t n = v / parts[i].ms;
		v %= parts[i].ms;
		if (n != 0)
			used += (size_t)snprintf(buf + used, size - used, "%" PRIu64 "%s", n, parts[i].name);
	}
	return buf;
}

char *
cm_format_bytes(int64_t n, char *buf, size_t size)
{
	static const struct {
		const char *name;
		int shift;
	} units[] = {{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}};

	if (size == 0)
		return buf;
	if (n > 0)
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			int64_t m = (int64_t)1 << units[i].shift;
			if (n % m == 0) {
				snprintf(buf, size, "%" PRId64 "%s", n / m, units[i].name);
				return buf;
			}
		}
	snprintf(buf, size, "%" PRId64, n);
	return buf;
}
