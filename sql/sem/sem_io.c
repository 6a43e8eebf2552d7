/*
 * sem_io.c -- text and binary I/O of datums, PostgreSQL 15's formats.
 *
 * One in/out/recv/send group per type; sem_in_text() and friends dispatch
 * on the OID.  Date/time OIDs go to sem_datetime.c.  See sem_io.h for the
 * exported routines.
 */
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_catfuncs.h"
#include "sql/sem/sem_io.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

#define NAMEDATALEN 64

/* ---- UTF-8 ---------------------------------------------------------------- */

int sem_utf8_seqlen(unsigned char c)
{
	if (c < 0x80) return 1;
	if ((c & 0xE0) == 0xC0) return 2;
	if ((c & 0xF0) == 0xE0) return 3;
	if ((c & 0xF8) == 0xF0) return 4;
	return 1;
}

size_t sem_utf8_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; n++)
		i += (size_t) sem_utf8_seqlen((unsigned char) s[i]);
	return n;
}

size_t sem_utf8_offset(const char *s, size_t len, size_t nchars)
{
	size_t i = 0;
	while (nchars > 0 && i < len) {
		i += (size_t) sem_utf8_seqlen((unsigned char) s[i]);
		nchars--;
	}
	return i > len ? len : i;
}

cm_status sem_utf8_verify(const char *s, size_t len, cm_error *err)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		bool ok = n > 0 && c != 0 && i + (size_t) n <= len;
		if (ok && n == 2 && c < 0xC2)
			ok = false;
		for (int k = 1; ok && k < n; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				ok = false;
		if (ok && n == 3) {
			unsigned cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6);
			if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
				ok = false;
		}
		if (ok && n == 4) {
			unsigned cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12);
			if (cp < 0x10000 || cp > 0x10FFFF)
				ok = false;
		}
		if (!ok) {
			char hex[32];
			size_t m = n > 0 ? (size_t) n : 1;
			if (i + m > len)
				m = len - i;
			size_t o = 0;
			for (size_t k = 0; k < m; k++)
				o += (size_t) snprintf(hex + o, sizeof hex - o, "%s0x%02x", k ? " " : "", p[i + k]);
			return cm_error_set(err, CM_E_CHARACTER_NOT_IN_REPERTOIRE,
								"invalid byte sequence for encoding \"UTF8\": %s", hex);
		}
		i += (size_t) n;
	}
	return CM_OK;
}

/* ---- bool --------------------------------------------------------------- */

cm_status sem_bool_in(const char *s, size_t len, bool *out, cm_error *err)
{
	const char *p = s, *e = s + len;
	while (p < e && isspace((unsigned char) *p)) p++;
	while (e > p && isspace((unsigned char) e[-1])) e--;
	size_t n = (size_t) (e - p);
	if (n > 0) {
		switch (*p) {
		case 't': case 'T':
			if (n <= 4 && strncasecmp(p, "true", n) == 0) { *out = true; return CM_OK; }
			break;
		case 'f': case 'F':
			if (n <= 5 && strncasecmp(p, "false", n) == 0) { *out = false; return CM_OK; }
			break;
		case 'y': case 'Y':
			if (n <= 3 && strncasecmp(p, "yes", n) == 0) { *out = true; return CM_OK; }
			break;
		case 'n': case 'N':
			if (n <= 2 && strncasecmp(p, "no", n) == 0) { *out = false; return CM_OK; }
			break;
		case 'o': case 'O':
			if (n >= 2 && n <= 2 && strncasecmp(p, "on", 2) == 0) { *out = true; return CM_OK; }
			if (n >= 2 && n <= 3 && strncasecmp(p, "off", n) == 0) { *out = false; return CM_OK; }
			break;
		case '1':
			if (n == 1) { *out = true; return CM_OK; }
			break;
		case '0':
			if (n == 1) { *out = false; return CM_OK; }
			break;
		}
	}
	return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION,
						"invalid input syntax for type boolean: \"%.*s\"", (int) len, s);
}

/* ---- integers ------------------------------------------------------------ */

static const char *int_type_name(sem_oid oid)
{
	return oid == SEM_INT2OID ? "smallint" : oid == SEM_INT4OID ? "integer" : oid == SEM_OIDOID ? "oid" : "bigint";
}

cm_status sem_int_in(const char *s, size_t len, sem_oid oid, int64_t *out, cm_error *err)
{
	const char *p = s, *e = s + len;
	while (p < e && isspace((unsigned char) *p)) p++;
	bool neg = false;
	if (p < e && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p >= e || !isdigit((unsigned char) *p))
		goto syntax;
	uint64_t v = 0;
	bool ovf = false;
	while (p < e && isdigit((unsigned char) *p)) {
		unsigned d = (unsigned) (*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			ovf = true;
		else
			v = v * 10 + d;
		p++;
	}
	while (p < e && isspace((unsigned char) *p)) p++;
	if (p != e)
		goto syntax;
	int64_t min, max;
	switch (oid) {
	case SEM_INT2OID: min = INT16_MIN; max = INT16_MAX; break;
	case SEM_INT4OID: min = INT32_MIN; max = INT32_MAX; break;
	case SEM_OIDOID: min = INT32_MIN; max = UINT32_MAX; break;
	default: min = INT64_MIN; max = INT64_MAX; break;
	}
	if (ovf)
		goto range;
	if (neg) {
		if (v > (uint64_t) INT64_MAX + 1 || -(int64_t) (v - 1) - 1 < min)
			goto range;
		*out = -(int64_t) (v - 1) - 1;
		if (v == 0)
			*out = 0;
	} else {
		if (v > (uint64_t) INT64_MAX || (int64_t) v > max)
			goto range;
		*out = (int64_t) v;
	}
	if (oid == SEM_OIDOID && *out < 0)
		*out = (int64_t) (uint32_t) (int32_t) *out;
	return CM_OK;
range:
	return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
						"value \"%.*s\" is out of range for type %s", (int) len, s, int_type_name(oid));
syntax:
	return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION,
						"invalid input syntax for type %s: \"%.*s\"", int_type_name(oid), (int) len, s);
}

/* ---- floats -------------------------------------------------------------- */

cm_status sem_float_in(const char *s, size_t len, bool is4, double *out, cm_error *err)
{
	const char *tname = is4 ? "real" : "double precision";
	char stackbuf[128];
	char *buf = len < sizeof stackbuf ? stackbuf : malloc(len + 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	cm_status st = CM_OK;
	const char *num = buf;
	char *end;
	double val;
	while (*num && isspace((unsigned char) *num)) num++;
	if (*num == '\0' || strlen(buf) != len)
		goto syntax;
	errno = 0;
	if (is4)
		val = strtof(num, &end);
	else
		val = strtod(num, &end);
	if (end == num || errno != 0) {
		int save = errno;
		if (strncasecmp(num, "NaN", 3) == 0) { val = NAN; end = (char *) num + 3; }
		else if (strncasecmp(num, "Infinity", 8) == 0) { val = INFINITY; end = (char *) num + 8; }
		else if (strncasecmp(num, "+Infinity", 9) == 0) { val = INFINITY; end = (char *) num + 9; }
		else if (strncasecmp(num, "-Infinity", 9) == 0) { val = -INFINITY; end = (char *) num + 9; }
		else if (strncasecmp(num, "inf", 3) == 0) { val = INFINITY; end = (char *) num + 3; }
		else if (strncasecmp(num, "+inf", 4) == 0) { val = INFINITY; end = (char *) num + 4; }
		else if (strncasecmp(num, "-inf", 4) == 0) { val = -INFINITY; end = (char *) num + 4; }
		else if (save == ERANGE) {
			if (val == 0.0 || isinf(val)) {
				st = cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
								  "\"%.*s\" is out of range for type %s", (int) (end - num), num, tname);
				goto done;
			}
		} else
			goto syntax;
	}
	while (*end && isspace((unsigned char) *end)) end++;
	if (*end != '\0')
		goto syntax;
	*out = is4 ? (double) (float) val : val;
	goto done;
syntax:
	st = cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION,
					  "invalid input syntax for type %s: \"%.*s\"", tname, (int) len, s);
done:
	if (buf != stackbuf)
		free(buf);
	return st;
}

void sem_float_out(double v, bool is4, int efd, cm_buf *out)
{
	if (isnan(v)) {
		cm_buf_puts(out, "NaN");
		return;
	}
	if (isinf(v)) {
		cm_buf_puts(out, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	char buf[64];
	if (efd <= 0) {
		int ndig = (is4 ? FLT_DIG : DBL_DIG) + efd;
		if (ndig < 1)
			ndig = 1;
		snprintf(buf, sizeof buf, "%.*g", ndig, v);
		cm_buf_puts(out, buf);
		return;
	}
	if (v == 0) {
		cm_buf_puts(out, signbit(v) ? "-0" : "0");
		return;
	}
	/* shortest digits that read back to the same value */
	int maxp = is4 ? 9 : 17;
	int p;
	for (p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, v);
		if (is4 ? (strtof(buf, NULL) == (float) v) : (strtod(buf, NULL) == v))
			break;
	}
	/* buf: [-]d[.ddd]e[+-]XX */
	const char *q = buf;
	bool neg = false;
	if (*q == '-') { neg = true; q++; }
	char digits[32];
	int nd = 0;
	for (; *q && *q != 'e'; q++)
		if (isdigit((unsigned char) *q))
			digits[nd++] = *q;
	int exp10 = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		cm_buf_putc(out, '-');
	int hi = is4 ? 6 : 15;
	if (exp10 < -4 || exp10 >= hi) {
		cm_buf_putc(out, digits[0]);
		if (nd > 1) {
			cm_buf_putc(out, '.');
			cm_buf_append(out, digits + 1, (size_t) nd - 1);
		}
		cm_buf_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		return;
	}
	if (exp10 < 0) {
		cm_buf_puts(out, "0.");
		for (int i = -1; i > exp10; i--)
			cm_buf_putc(out, '0');
		cm_buf_append(out, digits, (size_t) nd);
		return;
	}
	/* exp10 >= 0: integer part has exp10+1 digits */
	for (int i = 0; i <= exp10; i++)
		cm_buf_putc(out, i < nd ? digits[i] : '0');
	if (nd > exp10 + 1) {
		cm_buf_putc(out, '.');
		cm_buf_append(out, digits + exp10 + 1, (size_t) (nd - exp10 - 1));
	}
}

/* ---- bytea ----------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static cm_status bytea_in(cm_arena *a, const char *s, size_t len, sem_datum *out, cm_error *err)
{
	if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
		char *r = cm_alloc(a, (len - 2) / 2 + 1);
		size_t n = 0;
		size_t i = 2;
		while (i < len) {
			if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
				i++;
				continue;
			}
			int h = hexval(s[i]);
			if (h < 0)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid hexadecimal digit: \"%.*s\"",
									sem_utf8_seqlen((unsigned char) s[i]), s + i);
			if (i + 1 >= len)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"invalid hexadecimal data: odd number of digits");
			int l = hexval(s[i + 1]);
			if (l < 0)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid hexadecimal digit: \"%.*s\"",
									sem_utf8_seqlen((unsigned char) s[i + 1]), s + i + 1);
			r[n++] = (char) (h * 16 + l);
			i += 2;
		}
		out->isnull = false;
		out->v.s.p = r;
		out->v.s.len = (uint32_t) n;
		return CM_OK;
	}
	char *r = cm_alloc(a, len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] != '\\') {
			r[n++] = s[i++];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\') {
			r[n++] = '\\';
			i += 2;
		} else if (i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
				   s[i + 3] >= '0' && s[i + 3] <= '7') {
			r[n++] = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
			i += 4;
		} else
			return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type %s", "bytea");
	}
	out->isnull = false;
	out->v.s.p = r;
	out->v.s.len = (uint32_t) n;
	return CM_OK;
}

static void bytea_out(sem_ctx *ctx, const sem_datum *d, cm_buf *out)
{
	const char *mode = NULL;
	if (ctx && ctx->get_setting)
		mode = ctx->get_setting(ctx->session, "bytea_output");
	const unsigned char *p = (const unsigned char *) d->v.s.p;
	if (mode && strcmp(mode, "escape") == 0) {
		for (uint32_t i = 0; i < d->v.s.len; i++) {
			if (p[i] == '\\')
				cm_buf_puts(out, "\\\\");
			else if (p[i] < 0x20 || p[i] > 0x7e)
				cm_buf_printf(out, "\\%03o", p[i]);
			else
				cm_buf_putc(out, (char) p[i]);
		}
		return;
	}
	static const char hx[] = "0123456789abcdef";
	cm_buf_reserve(out, 2 + 2 * (size_t) d->v.s.len);
	cm_buf_puts(out, "\\x");
	for (uint32_t i = 0; i < d->v.s.len; i++) {
		char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
		cm_buf_append(out, two, 2);
	}
}

/* ---- uuid ------------------------------------------------------------------- */

static cm_status uuid_in(const char *s, size_t len, uint8_t *u, cm_error *err)
{
	size_t i = 0;
	bool braces = false;
	if (len > 0 && s[0] == '{') {
		braces = true;
		i++;
	}
	for (int k = 0; k < 16; k++) {
		if (i + 2 > len)
			goto bad;
		int h = hexval(s[i]), l = hexval(s[i + 1]);
		if (h < 0 || l < 0)
			goto bad;
		u[k] = (uint8_t) (h * 16 + l);
		i += 2;
		if (i < len && s[i] == '-' && (k % 2) == 1 && k < 15)
			i++;
	}
	if (braces) {
		if (i >= len || s[i] != '}')
			goto bad;
		i++;
	}
	if (i != len)
		goto bad;
	return CM_OK;
bad:
	return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type %s: \"%.*s\"",
						"uuid", (int) len, s);
}

static void uuid_out(const uint8_t *u, cm_buf *out)
{
	static const char hx[] = "0123456789abcdef";
	char b[37];
	int o = 0;
	for (int k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			b[o++] = '-';
		b[o++] = hx[u[k] >> 4];
		b[o++] = hx[u[k] & 15];
	}
	cm_buf_append(out, b, 36);
}

/* ---- strings with typmod ------------------------------------------------------ */

static cm_status string_typmod(sem_ctx *ctx, sem_oid oid, int32_t typmod, bool is_explicit,
							   const char *p, size_t len, sem_datum *out, cm_error *err)
{
	if (typmod < 4 || (oid != SEM_VARCHAROID && oid != SEM_BPCHAROID)) {
		sem_set_str(ctx->arena, out, p, len);
		return CM_OK;
	}
	size_t maxlen = (size_t) typmod - 4;
	size_t nch = sem_utf8_len(p, len);
	if (nch > maxlen) {
		size_t cut = sem_utf8_offset(p, len, maxlen);
		if (!is_explicit) {
			for (size_t i = cut; i < len; i++)
				if (p[i] != ' ') {
					char tn[64];
					return cm_error_set(err, CM_E_STRING_DATA_RIGHT_TRUNCATION, "value too long for type %s",
										sem_format_type_msg(oid, typmod, tn, sizeof tn));
				}
		}
		len = cut;
		nch = maxlen;
	}
	if (oid == SEM_BPCHAROID && nch < maxlen) {
		size_t pad = maxlen - nch;
		char *m = cm_alloc(ctx->arena, len + pad + 1);
		memcpy(m, p, len);
		memset(m + len, ' ', pad);
		m[len + pad] = '\0';
		out->isnull = false;
		out->v.s.p = m;
		out->v.s.len = (uint32_t) (len + pad);
		return CM_OK;
	}
	sem_set_str(ctx->arena, out, p, len);
	return CM_OK;
}

static void name_truncate(const char *p, size_t *len)
{
	if (*len < NAMEDATALEN)
		return;
	size_t i = 0;
	while (i < *len) {
		size_t n = (size_t) sem_utf8_seqlen((unsigned char) p[i]);
		if (i + n > NAMEDATALEN - 1)
			break;
		i += n;
	}
	*len = i;
}

/* ---- "char" ------------------------------------------------------------------ */

static void char_out(int64_t c, cm_buf *out)
{
	unsigned char ch = (unsigned char) c;
	if (ch == 0)
		return;
	if (ch & 0x80)
		cm_buf_printf(out, "\\%03o", ch);
	else
		cm_buf_putc(out, (char) ch);
}

static int64_t char_in(const char *s, size_t len)
{
	if (len == 4 && s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		s[3] >= '0' && s[3] <= '7')
		return ((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0');
	return len ? (unsigned char) s[0] : 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

cm_status sem_in_text(sem_ctx *ctx, sem_type type, const char *s, size_t len, sem_datum *out,
					  cm_error *err)
{
	memset(out, 0, sizeof *out);
	switch (type.oid) {
	case SEM_BOOLOID:
		return sem_bool_in(s, len, &out->v.b, err);
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
	case SEM_OIDOID:
		return sem_int_in(s, len, type.oid == SEM_INT2OID || type.oid == SEM_INT4OID || type.oid == SEM_INT8OID ? type.oid : SEM_OIDOID,
						  &out->v.i, err);
	case SEM_REGPROCOID:
	case SEM_REGCLASSOID:
	case SEM_REGTYPEOID:
	case SEM_REGNAMESPACEOID:
	case SEM_REGROLEOID:
		return sem_reg_in(ctx, type.oid, s, len, out, err);	/* [vcat] names -> OIDs */
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		return sem_float_in(s, len, type.oid == SEM_FLOAT4OID, &out->v.f, err);
	case SEM_NUMERICOID:
		return sem_num_in(ctx->arena, s, len, type.typmod, &out->v.num, err);
	case SEM_TEXTOID:
	case SEM_UNKNOWNOID:
	case SEM_JSONOID:
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
		if (sem_utf8_verify(s, len, err) != CM_OK)
			return CM_ERROR;
		return string_typmod(ctx, type.oid, type.typmod, false, s, len, out, err);
	case SEM_NAMEOID:
		if (sem_utf8_verify(s, len, err) != CM_OK)
			return CM_ERROR;
		name_truncate(s, &len);
		sem_set_str(ctx->arena, out, s, len);
		return CM_OK;
	case SEM_CHAROID:
		out->v.i = char_in(s, len);
		return CM_OK;
	case SEM_BYTEAOID:
		return bytea_in(ctx->arena, s, len, out, err);
	case SEM_UUIDOID:
		return uuid_in(s, len, out->v.uuid, err);
	case SEM_VOIDOID:
		return CM_OK;
	default:
		if (sem_dt_is_datetime(type.oid))
			return sem_dt_in_text(ctx, type, s, len, out, err);
		if (sem_array_elem_type(type.oid))
			return sem_array_in(ctx, type.oid, s, len, out, err);
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "type %s is not supported", sem_type_name(type.oid));
	}
}

void sem_out_text(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out)
{
	switch (type.oid) {
	case SEM_BOOLOID:
		cm_buf_putc(out, d->v.b ? 't' : 'f');
		return;
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		cm_buf_printf(out, "%lld", (long long) d->v.i);
		return;
	case SEM_REGTYPEOID:
	case SEM_REGPROCOID:
	case SEM_REGCLASSOID:
	case SEM_REGNAMESPACEOID:
	case SEM_REGROLEOID:
		sem_reg_out(ctx, type.oid, d, out);	/* [vcat] OIDs -> names */
		return;
	case SEM_OIDOID:
		cm_buf_printf(out, "%u", (unsigned) (uint32_t) d->v.i);
		return;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		sem_float_out(d->v.f, type.oid == SEM_FLOAT4OID, ctx ? ctx->extra_float_digits : 1, out);
		return;
	case SEM_NUMERICOID:
		sem_num_out(d->v.num, out);
		return;
	case SEM_TEXTOID:
	case SEM_UNKNOWNOID:
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
	case SEM_NAMEOID:
	case SEM_JSONOID:
		cm_buf_append(out, d->v.s.p, d->v.s.len);
		return;
	case SEM_CHAROID:
		char_out(d->v.i, out);
		return;
	case SEM_BYTEAOID:
		bytea_out(ctx, d, out);
		return;
	case SEM_UUIDOID:
		uuid_out(d->v.uuid, out);
		return;
	case SEM_VOIDOID:
		return;
	default:
		if (sem_dt_is_datetime(type.oid)) {
			sem_dt_out_text(ctx, type, d, out);
			return;
		}
		if (sem_array_elem_type(type.oid)) {
			sem_array_out(ctx, type.oid, d, out);
			return;
		}
		cm_buf_puts(out, "???");
		return;
	}
}

char *sem_out_cstring(sem_ctx *ctx, sem_type type, const sem_datum *d)
{
	cm_buf b;
	cm_buf_init(&b);
	sem_out_text(ctx, type, d, &b);
	char *r = cm_strndup(ctx->arena, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return r;
}

bool sem_has_binary(sem_oid oid)
{
	switch (oid) {
	case SEM_BOOLOID: case SEM_INT2OID: case SEM_INT4OID: case SEM_INT8OID: case SEM_OIDOID:
	case SEM_FLOAT4OID: case SEM_FLOAT8OID: case SEM_NUMERICOID: case SEM_TEXTOID:
	case SEM_UNKNOWNOID: case SEM_VARCHAROID: case SEM_BPCHAROID: case SEM_NAMEOID:
	case SEM_CHAROID: case SEM_BYTEAOID: case SEM_UUIDOID: case SEM_VOIDOID: case SEM_JSONOID:
	case SEM_REGPROCOID: case SEM_REGCLASSOID: case SEM_REGTYPEOID:
	case SEM_REGNAMESPACEOID: case SEM_REGROLEOID: /* [vcat] */
		return true;
	default:
		return sem_dt_is_datetime(oid);
	}
}

static uint64_t rd_be(const char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | (uint8_t) p[i];
	return v;
}

static cm_status bad_len(cm_error *err)
{
	return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "incorrect binary data format");
}

cm_status sem_in_binary(sem_ctx *ctx, sem_type type, const char *p, size_t len, sem_datum *out,
						cm_error *err)
{
	memset(out, 0, sizeof *out);
	switch (type.oid) {
	case SEM_BOOLOID:
		if (len != 1) return bad_len(err);
		out->v.b = p[0] != 0;
		return CM_OK;
	case SEM_CHAROID:
		if (len != 1) return bad_len(err);
		out->v.i = (uint8_t) p[0];
		return CM_OK;
	case SEM_INT2OID:
		if (len != 2) return bad_len(err);
		out->v.i = (int16_t) rd_be(p, 2);
		return CM_OK;
	case SEM_INT4OID:
		if (len != 4) return bad_len(err);
		out->v.i = (int32_t) rd_be(p, 4);
		return CM_OK;
	case SEM_OIDOID:
	case SEM_REGPROCOID:
	case SEM_REGCLASSOID:
	case SEM_REGTYPEOID:
	case SEM_REGNAMESPACEOID:	/* [vcat] */
	case SEM_REGROLEOID:
		if (len != 4) return bad_len(err);
		out->v.i = (uint32_t) rd_be(p, 4);
		return CM_OK;
	case SEM_INT8OID:
		if (len != 8) return bad_len(err);
		out->v.i = (int64_t) rd_be(p, 8);
		return CM_OK;
	case SEM_FLOAT4OID: {
		if (len != 4) return bad_len(err);
		uint32_t u = (uint32_t) rd_be(p, 4);
		float f;
		memcpy(&f, &u, 4);
		out->v.f = f;
		return CM_OK;
	}
	case SEM_FLOAT8OID: {
		if (len != 8) return bad_len(err);
		uint64_t u = rd_be(p, 8);
		memcpy(&out->v.f, &u, 8);
		return CM_OK;
	}
	case SEM_NUMERICOID:
		return sem_num_recv(ctx->arena, p, len, type.typmod, &out->v.num, err);
	case SEM_TEXTOID:
	case SEM_UNKNOWNOID:
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
	case SEM_NAMEOID:
	case SEM_JSONOID:
		return sem_in_text(ctx, type, p, len, out, err);
	case SEM_BYTEAOID:
		sem_set_str(ctx->arena, out, p, len);
		return CM_OK;
	case SEM_UUIDOID:
		if (len != 16) return bad_len(err);
		memcpy(out->v.uuid, p, 16);
		return CM_OK;
	case SEM_VOIDOID:
		return CM_OK;
	default:
		if (sem_dt_is_datetime(type.oid))
			return sem_dt_in_binary(ctx, type, p, len, out, err);
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "no binary input function available for type %s",
							sem_type_name(type.oid));
	}
}

cm_status sem_out_binary(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out, cm_error *err)
{
	switch (type.oid) {
	case SEM_BOOLOID:
		cm_buf_putc(out, d->v.b ? 1 : 0);
		return CM_OK;
	case SEM_CHAROID:
		cm_buf_putc(out, (char) (uint8_t) d->v.i);
		return CM_OK;
	case SEM_INT2OID:
		cm_buf_put_u16be(out, (uint16_t) (int16_t) d->v.i);
		return CM_OK;
	case SEM_INT4OID:
	case SEM_OIDOID:
	case SEM_REGPROCOID:
	case SEM_REGCLASSOID:
	case SEM_REGTYPEOID:
	case SEM_REGNAMESPACEOID:	/* [vcat] */
	case SEM_REGROLEOID:
		cm_buf_put_u32be(out, (uint32_t) d->v.i);
		return CM_OK;
	case SEM_INT8OID:
		cm_buf_put_u64be(out, (uint64_t) d->v.i);
		return CM_OK;
	case SEM_FLOAT4OID: {
		float f = (float) d->v.f;
		uint32_t u;
		memcpy(&u, &f, 4);
		cm_buf_put_u32be(out, u);
		return CM_OK;
	}
	case SEM_FLOAT8OID: {
		uint64_t u;
		memcpy(&u, &d->v.f, 8);
		cm_buf_put_u64be(out, u);
		return CM_OK;
	}
	case SEM_NUMERICOID:
		sem_num_send(d->v.num, out);
		return CM_OK;
	case SEM_TEXTOID:
	case SEM_UNKNOWNOID:
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
	case SEM_NAMEOID:
	case SEM_BYTEAOID:
	case SEM_JSONOID:
		cm_buf_append(out, d->v.s.p, d->v.s.len);
		return CM_OK;
	case SEM_UUIDOID:
		cm_buf_append(out, d->v.uuid, 16);
		return CM_OK;
	case SEM_VOIDOID:
		return CM_OK;
	default:
		if (sem_dt_is_datetime(type.oid))
			return sem_dt_out_binary(ctx, type, d, out, err);
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "no binary output function available for type %s",
							sem_type_name(type.oid));
	}
}

cm_status sem_coerce_typmod(sem_ctx *ctx, sem_oid oid, int32_t typmod, bool is_explicit,
							const sem_datum *in, sem_datum *out, cm_error *err)
{
	if (in->isnull || typmod < 0) {
		*out = *in;
		return CM_OK;
	}
	switch (oid) {
	case SEM_VARCHAROID:
	case SEM_BPCHAROID:
		return string_typmod(ctx, oid, typmod, is_explicit, in->v.s.p, in->v.s.len, out, err);
	case SEM_NUMERICOID:
		out->isnull = false;
		return sem_num_apply_typmod(ctx->arena, in->v.num, typmod, &out->v.num, err);
	default:
		if (sem_dt_is_datetime(oid))
			return sem_dt_cast(ctx, oid, oid, typmod, in, out, err);
		*out = *in;
		return CM_OK;
	}
}
