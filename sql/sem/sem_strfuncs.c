/*
 * sem_strfuncs.c -- string functions, LIKE and concatenation.
 *
 * Strings are UTF-8; lengths and positions count characters as PostgreSQL
 * does in a UTF8 database.  Case mapping uses ICU's simple per-code-point
 * mapping (PostgreSQL under C.UTF-8 maps each wide character the same way);
 * comparison is bytewise (C collation).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_catfuncs.h"
#include "sql/sem/sem_io.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err
#define SP(d) (d).v.s.p
#define SL(d) ((size_t) (d).v.s.len)

static cm_status ret_s(sem_ctx *ctx, sem_datum *out, const char *p, size_t n)
{
	sem_set_str(ctx->arena, out, p, n);
	return CM_OK;
}
static cm_status ret_ref(sem_datum *out, const char *p, size_t n)
{
	out->isnull = false;
	out->v.s.p = p;
	out->v.s.len = (uint32_t) n;
	return CM_OK;
}
static cm_status ret_i(sem_datum *out, int64_t v)
{
	out->isnull = false;
	out->v.i = v;
	return CM_OK;
}
static cm_status ret_b(sem_datum *out, bool v)
{
	out->isnull = false;
	out->v.b = v;
	return CM_OK;
}

/* decode one code point; *n receives its byte length */
static int32_t u8_decode(const char *s, size_t len, size_t *n)
{
	const unsigned char *p = (const unsigned char *) s;
	int k = sem_utf8_seqlen(p[0]);
	if ((size_t) k > len)
		k = 1;
	*n = (size_t) k;
	switch (k) {
	case 1: return p[0];
	case 2: return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
	case 3: return ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
	default: return ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
	}
}

static size_t u8_encode(int32_t c, char *o)
{
	if (c < 0x80) { o[0] = (char) c; return 1; }
	if (c < 0x800) { o[0] = (char) (0xC0 | (c >> 6)); o[1] = (char) (0x80 | (c & 0x3F)); return 2; }
	if (c < 0x10000) {
		o[0] = (char) (0xE0 | (c >> 12)); o[1] = (char) (0x80 | ((c >> 6) & 0x3F)); o[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char) (0xF0 | (c >> 18)); o[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	o[2] = (char) (0x80 | ((c >> 6) & 0x3F)); o[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

typedef enum { CASE_UPPER, CASE_LOWER, CASE_INITCAP } case_op;

static char *case_map(cm_arena *a, const char *s, size_t len, case_op op, size_t *olen)
{
	char *o = cm_alloc(a, len * 2 + 8);
	size_t j = 0;
	bool wasalnum = false;
	for (size_t i = 0; i < len;) {
		size_t n;
		int32_t c = u8_decode(s + i, len - i, &n);
		int32_t m;
		if (op == CASE_UPPER)
			m = u_toupper(c);
		else if (op == CASE_LOWER)
			m = u_tolower(c);
		else {
			m = wasalnum ? u_tolower(c) : u_toupper(c);
			wasalnum = u_isalnum(c);
		}
		if (n == 1 && (unsigned char) s[i] >= 0x80) {
			o[j++] = s[i];		/* invalid byte: keep */
		} else
			j += u8_encode(m, o + j);
		i += n;
	}
	o[j] = '\0';
	*olen = j;
	return o;
}

static cm_status f_upper(ARGS)
{
	size_t n;
	char *r = case_map(ctx->arena, SP(args[0]), SL(args[0]), CASE_UPPER, &n);
	return ret_ref(out, r, n);
}
static cm_status f_lower(ARGS)
{
	size_t n;
	char *r = case_map(ctx->arena, SP(args[0]), SL(args[0]), CASE_LOWER, &n);
	return ret_ref(out, r, n);
}
static cm_status f_initcap(ARGS)
{
	size_t n;
	char *r = case_map(ctx->arena, SP(args[0]), SL(args[0]), CASE_INITCAP, &n);
	return ret_ref(out, r, n);
}

static size_t bp_len(const sem_datum *d)
{
	size_t n = d->v.s.len;
	while (n > 0 && d->v.s.p[n - 1] == ' ')
		n--;
	return n;
}

static cm_status f_length(ARGS) { return ret_i(out, (int64_t) sem_utf8_len(SP(args[0]), SL(args[0]))); }
static cm_status f_bplength(ARGS) { return ret_i(out, (int64_t) sem_utf8_len(SP(args[0]), bp_len(&args[0]))); }
static cm_status f_octlen(ARGS) { return ret_i(out, (int64_t) SL(args[0])); }
static cm_status f_bitlen(ARGS) { return ret_i(out, (int64_t) SL(args[0]) * 8); }

static cm_status textcat(ARGS)
{
	size_t n = SL(args[0]) + SL(args[1]);
	char *m = cm_alloc(ctx->arena, n + 1);
	memcpy(m, SP(args[0]), SL(args[0]));
	memcpy(m + SL(args[0]), SP(args[1]), SL(args[1]));
	m[n] = '\0';
	return ret_ref(out, m, n);
}

/* substring with PostgreSQL's start/length rules; unit is chars or bytes */
static cm_status substr_common(ARGS, bool bytes)
{
	const char *s = SP(args[0]);
	size_t len = SL(args[0]);
	int64_t start = args[1].v.i;
	int64_t total = bytes ? (int64_t) len : (int64_t) sem_utf8_len(s, len);
	int64_t end;			/* exclusive, 1-based */
	if (nargs > 2) {
		int64_t l = args[2].v.i;
		if (l < 0)
			return cm_error_set(err, CM_E_SUBSTRING_ERROR, "negative substring length not allowed");
		if (__builtin_add_overflow(start, l, &end))
			end = INT64_MAX;
	} else
		end = INT64_MAX;
	int64_t s1 = start < 1 ? 1 : start;
	if (end > total + 1)
		end = total + 1;
	if (s1 >= end)
		return ret_ref(out, "", 0);
	if (bytes)
		return ret_ref(out, s + s1 - 1, (size_t) (end - s1));
	size_t b0 = sem_utf8_offset(s, len, (size_t) (s1 - 1));
	size_t b1 = sem_utf8_offset(s, len, (size_t) (end - 1));
	return ret_ref(out, s + b0, b1 - b0);
}
static cm_status f_substr(ARGS) { return substr_common(ctx, nargs, args, out, err, false); }
static cm_status f_bysubstr(ARGS) { return substr_common(ctx, nargs, args, out, err, true); }

static const char *find_bytes(const char *h, size_t hl, const char *n, size_t nl)
{
	if (nl == 0)
		return h;
	if (nl > hl)
		return NULL;
	return memmem(h, hl, n, nl);
}

static cm_status f_strpos(ARGS)
{
	const char *h = SP(args[0]), *n = SP(args[1]);
	const char *f = find_bytes(h, SL(args[0]), n, SL(args[1]));
	if (!f)
		return ret_i(out, 0);
	return ret_i(out, (int64_t) sem_utf8_len(h, (size_t) (f - h)) + 1);
}
static cm_status f_bypos(ARGS)
{
	const char *h = SP(args[0]);
	const char *f = find_bytes(h, SL(args[0]), SP(args[1]), SL(args[1]));
	return ret_i(out, f ? (f - h) + 1 : 0);
}
static cm_status f_starts_with(ARGS)
{
	return ret_b(out, SL(args[0]) >= SL(args[1]) && memcmp(SP(args[0]), SP(args[1]), SL(args[1])) == 0);
}

static cm_status f_replace(ARGS)
{
	const char *s = SP(args[0]), *from = SP(args[1]), *to = SP(args[2]);
	size_t sl = SL(args[0]), fl = SL(args[1]), tl = SL(args[2]);
	if (fl == 0 || sl == 0)
		return ret_ref(out, s, sl);
	cm_buf b;
	cm_buf_init(&b);
	size_t i = 0;
	for (;;) {
		const char *f = find_bytes(s + i, sl - i, from, fl);
		if (!f)
			break;
		cm_buf_append(&b, s + i, (size_t) (f - (s + i)));
		cm_buf_append(&b, to, tl);
		i = (size_t) (f - s) + fl;
	}
	cm_buf_append(&b, s + i, sl - i);
	ret_s(ctx, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

/* trim: mode 1 = left, 2 = right, 3 = both */
static bool in_set(const char *c, size_t n, const char *set, size_t setl)
{
	for (size_t i = 0; i < setl;) {
		size_t k = (size_t) sem_utf8_seqlen((unsigned char) set[i]);
		if (k == n && memcmp(set + i, c, n) == 0)
			return true;
		i += k;
	}
	return false;
}

static cm_status trim_common(ARGS, int mode)
{
	const char *s = SP(args[0]);
	size_t len = SL(args[0]);
	const char *set = nargs > 1 ? SP(args[1]) : " ";
	size_t setl = nargs > 1 ? SL(args[1]) : 1;
	size_t b = 0, e = len;
	if (mode & 1) {
		while (b < e) {
			size_t k = (size_t) sem_utf8_seqlen((unsigned char) s[b]);
			if (!in_set(s + b, k, set, setl))
				break;
			b += k;
		}
	}
	if (mode & 2) {
		while (e > b) {
			size_t st = e - 1;
			while (st > b && ((unsigned char) s[st] & 0xC0) == 0x80)
				st--;
			if (!in_set(s + st, e - st, set, setl))
				break;
			e = st;
		}
	}
	return ret_ref(out, s + b, e - b);
}
static cm_status f_btrim(ARGS) { return trim_common(ctx, nargs, args, out, err, 3); }
static cm_status f_ltrim(ARGS) { return trim_common(ctx, nargs, args, out, err, 1); }
static cm_status f_rtrim(ARGS) { return trim_common(ctx, nargs, args, out, err, 2); }

static cm_status pad_common(ARGS, bool left)
{
	const char *s = SP(args[0]);
	size_t sl = SL(args[0]);
	int64_t want = args[1].v.i;
	const char *fill = nargs > 2 ? SP(args[2]) : " ";
	size_t fl = nargs > 2 ? SL(args[2]) : 1;
	if (want <= 0)
		return ret_ref(out, "", 0);
	if (want > 10485760)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "requested length too large");
	size_t have = sem_utf8_len(s, sl);
	if ((int64_t) have >= want || fl == 0) {
		size_t cut = sem_utf8_offset(s, sl, (size_t) want);
		return ret_ref(out, s, cut);
	}
	size_t need = (size_t) want - have;
	cm_buf b;
	cm_buf_init(&b);
	if (!left)
		cm_buf_append(&b, s, sl);
	size_t fi = 0;
	for (size_t k = 0; k < need; k++) {
		size_t n = (size_t) sem_utf8_seqlen((unsigned char) fill[fi]);
		cm_buf_append(&b, fill + fi, n);
		fi += n;
		if (fi >= fl)
			fi = 0;
	}
	if (left)
		cm_buf_append(&b, s, sl);
	ret_s(ctx, out, b.data, b.len);
	cm_buf_free(&b);
	return CM_OK;
}
static cm_status f_lpad(ARGS) { return pad_common(ctx, nargs, args, out, err, true); }
static cm_status f_rpad(ARGS) { return pad_common(ctx, nargs, args, out, err, false); }

static cm_status f_split_part(ARGS)
{
	const char *s = SP(args[0]), *d = SP(args[1]);
	size_t sl = SL(args[0]), dl = SL(args[1]);
	int64_t n = args[2].v.i;
	if (n == 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "field position must not be zero");
	if (sl == 0)
		return ret_ref(out, "", 0);
	if (dl == 0)
		return (n == 1 || n == -1) ? ret_ref(out, s, sl) : ret_ref(out, "", 0);
	/* collect field boundaries */
	size_t nf = 1;
	for (size_t i = 0; i + dl <= sl;) {
		const char *f = find_bytes(s + i, sl - i, d, dl);
		if (!f)
			break;
		nf++;
		i = (size_t) (f - s) + dl;
	}
	int64_t want = n > 0 ? n : (int64_t) nf + n + 1;
	if (want < 1 || want > (int64_t) nf)
		return ret_ref(out, "", 0);
	size_t i = 0;
	for (int64_t k = 1; k < want; k++) {
		const char *f = find_bytes(s + i, sl - i, d, dl);
		i = (size_t) (f - s) + dl;
	}
	const char *f = find_bytes(s + i, sl - i, d, dl);
	size_t e = f ? (size_t) (f - s) : sl;
	return ret_ref(out, s + i, e - i);
}

/* concat / concat_ws: "any" args arrive as text (SEM_FN_ANYTEXT) */
static cm_status f_concat(ARGS)
{
	cm_buf b;
	cm_buf_init(&b);
	for (int i = 0; i < nargs; i++)
		if (!args[i].isnull)
			cm_buf_append(&b, SP(args[i]), SL(args[i]));
	ret_s(ctx, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}
static cm_status f_concat_ws(ARGS)
{
	if (args[0].isnull) {
		out->isnull = true;
		return CM_OK;
	}
	cm_buf b;
	cm_buf_init(&b);
	bool first = true;
	for (int i = 1; i < nargs; i++) {
		if (args[i].isnull)
			continue;
		if (!first)
			cm_buf_append(&b, SP(args[0]), SL(args[0]));
		first = false;
		cm_buf_append(&b, SP(args[i]), SL(args[i]));
	}
	ret_s(ctx, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

static cm_status f_left(ARGS)
{
	const char *s = SP(args[0]);
	size_t sl = SL(args[0]), nch = sem_utf8_len(s, sl);
	int64_t n = args[1].v.i;
	size_t keep = n >= 0 ? ((size_t) n > nch ? nch : (size_t) n) : ((size_t) -n >= nch ? 0 : nch - (size_t) -n);
	return ret_ref(out, s, sem_utf8_offset(s, sl, keep));
}
static cm_status f_right(ARGS)
{
	const char *s = SP(args[0]);
	size_t sl = SL(args[0]), nch = sem_utf8_len(s, sl);
	int64_t n = args[1].v.i;
	size_t keep = n >= 0 ? ((size_t) n > nch ? nch : (size_t) n) : ((size_t) -n >= nch ? 0 : nch - (size_t) -n);
	size_t off = sem_utf8_offset(s, sl, nch - keep);
	return ret_ref(out, s + off, sl - off);
}
static cm_status f_repeat(ARGS)
{
	int64_t n = args[1].v.i;
	size_t sl = SL(args[0]);
	if (n <= 0 || sl == 0)
		return ret_ref(out, "", 0);
	if ((uint64_t) n * sl > 1073741823u)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "requested length too large");
	size_t tot = (size_t) n * sl;
	char *m = cm_alloc(ctx->arena, tot + 1);
	for (int64_t i = 0; i < n; i++)
		memcpy(m + (size_t) i * sl, SP(args[0]), sl);
	m[tot] = '\0';
	return ret_ref(out, m, tot);
}
static cm_status f_reverse(ARGS)
{
	const char *s = SP(args[0]);
	size_t sl = SL(args[0]);
	char *m = cm_alloc(ctx->arena, sl + 1);
	size_t j = sl;
	for (size_t i = 0; i < sl;) {
		size_t k = (size_t) sem_utf8_seqlen((unsigned char) s[i]);
		if (i + k > sl) k = sl - i;
		j -= k;
		memcpy(m + j, s + i, k);
		i += k;
	}
	m[sl] = '\0';
	return ret_ref(out, m, sl);
}
static cm_status f_ascii(ARGS)
{
	if (SL(args[0]) == 0)
		return ret_i(out, 0);
	size_t n;
	return ret_i(out, u8_decode(SP(args[0]), SL(args[0]), &n));
}
static cm_status f_chr(ARGS)
{
	int64_t c = args[0].v.i;
	if (c == 0)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "null character not permitted");
	if (c < 0)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "character number must be positive");
	if (c > 0x10FFFF)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "requested character too large for encoding: %lld",
							(long long) c);
	if (c >= 0xD800 && c <= 0xDFFF)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "requested character not valid for encoding: %lld",
							(long long) c);
	char b[4];
	size_t n = u8_encode((int32_t) c, b);
	return ret_s(ctx, out, b, n);
}
static cm_status f_translate(ARGS)
{
	const char *s = SP(args[0]), *from = SP(args[1]), *to = SP(args[2]);
	size_t sl = SL(args[0]), fl = SL(args[1]), tl = SL(args[2]);
	cm_buf b;
	cm_buf_init(&b);
	for (size_t i = 0; i < sl;) {
		size_t k = (size_t) sem_utf8_seqlen((unsigned char) s[i]);
		/* find position of this char in from */
		size_t pos = 0, fi = 0;
		bool found = false;
		while (fi < fl) {
			size_t fk = (size_t) sem_utf8_seqlen((unsigned char) from[fi]);
			if (fk == k && memcmp(from + fi, s + i, k) == 0) {
				found = true;
				break;
			}
			fi += fk;
			pos++;
		}
		if (!found)
			cm_buf_append(&b, s + i, k);
		else {
			size_t to0 = sem_utf8_offset(to, tl, pos);
			if (to0 < tl)
				cm_buf_append(&b, to + to0, (size_t) sem_utf8_seqlen((unsigned char) to[to0]));
		}
		i += k;
	}
	ret_s(ctx, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}
static cm_status f_quote_literal(ARGS)
{
	const char *s = SP(args[0]);
	size_t sl = SL(args[0]);
	cm_buf b;
	cm_buf_init(&b);
	if (memchr(s, '\\', sl))
		cm_buf_putc(&b, 'E');
	cm_buf_putc(&b, '\'');
	for (size_t i = 0; i < sl; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			cm_buf_putc(&b, s[i]);
		cm_buf_putc(&b, s[i]);
	}
	cm_buf_putc(&b, '\'');
	ret_s(ctx, out, b.data, b.len);
	cm_buf_free(&b);
	return CM_OK;
}

/* quote_nullable(text): 'NULL' for NULL, else quote_literal */
static cm_status f_quote_nullable(ARGS)
{
	if (args[0].isnull)
		return ret_s(ctx, out, "NULL", 4);
	return f_quote_literal(ctx, nargs, args, out, err);
}

/*
 * overlay(s placing r from start [for count]) = substring(s, 1, start - 1)
 * || r || substring(s, start + count); count defaults to length(r).
 * bytes: bytea (positions count bytes), else characters.
 */
static cm_status overlay_common(ARGS, bool bytes)
{
	const char *s = SP(args[0]), *r = SP(args[1]);
	size_t sl = SL(args[0]), rl = SL(args[1]);
	int64_t sp = args[2].v.i;
	int64_t cnt = nargs > 3 ? args[3].v.i : (int64_t) (bytes ? rl : sem_utf8_len(r, rl));
	int64_t end = sp + cnt;
	if (end > INT32_MAX || end < INT32_MIN)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range");
	if (sp - 1 < 0)
		return cm_error_set(err, "22011" /* substring_error */, "negative substring length not allowed");
	size_t nch = bytes ? sl : sem_utf8_len(s, sl);
	size_t head = (size_t) (sp - 1) < nch ? (size_t) (sp - 1) : nch;
	size_t tail = end < 1 ? 0 : (size_t) (end - 1) < nch ? (size_t) (end - 1) : nch;
	size_t hb = bytes ? head : sem_utf8_offset(s, sl, head);
	size_t tb = bytes ? tail : sem_utf8_offset(s, sl, tail);
	char *o = cm_alloc(ctx->arena, hb + rl + (sl - tb) + 1);
	memcpy(o, s, hb);
	memcpy(o + hb, r, rl);
	memcpy(o + hb + rl, s + tb, sl - tb);
	o[hb + rl + sl - tb] = '\0';
	return ret_ref(out, o, hb + rl + sl - tb);
}
static cm_status f_overlay(ARGS) { return overlay_common(ctx, nargs, args, out, err, false); }
static cm_status f_byoverlay(ARGS) { return overlay_common(ctx, nargs, args, out, err, true); }

/*
 * format(fmt, args...): PostgreSQL's text_format.  Conversions
 * %[n$][-][width]{s|I|L} with width a number, * or *n$; %% is a percent
 * sign.  Arguments reach us as text (SEM_FN_ANYTEXT).
 */
static cm_status fmt_error(cm_error *err, const char *m)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s", m);
}

/* digits at *p (bounded by e): value into *v; false if none */
static bool fmt_num(const char **p, const char *e, int *v, cm_error *err, bool *overflow)
{
	const char *q = *p;
	int64_t n = 0;
	*overflow = false;
	while (q < e && *q >= '0' && *q <= '9') {
		n = n * 10 + (*q - '0');
		if (n > INT32_MAX)
			*overflow = true;
		q++;
	}
	(void) err;
	if (q == *p)
		return false;
	*p = q;
	*v = (int) n;
	return true;
}

static cm_status f_format(ARGS)
{
	if (args[0].isnull) {
		out->isnull = true;
		return CM_OK;
	}
	const char *p = SP(args[0]), *e = p + SL(args[0]);
	int nvals = nargs - 1, next = 0;
	cm_buf b;
	cm_buf_init(&b);
	cm_status st = CM_OK;
#define FAIL(m) do { st = fmt_error(err, m); goto done; } while (0)
	while (p < e) {
		if (*p != '%') {
			cm_buf_putc(&b, *p++);
			continue;
		}
		p++;
		if (p >= e)
			FAIL("unterminated format() type specifier");
		if (*p == '%') {
			cm_buf_putc(&b, '%');
			p++;
			continue;
		}
		/* [argpos$] [-] [width | * | *n$] type */
		int argpos = -1, width = 0, v;
		bool left = false, ovf;
		const char *save = p;
		if (fmt_num(&p, e, &v, err, &ovf)) {
			if (ovf)
				FAIL("number is out of range");
			if (p < e && *p == '$') {
				if (v == 0)
					FAIL("format specifies argument 0, but arguments are numbered from 1");
				argpos = v - 1;
				p++;
			} else
				p = save;	/* it was the width */
		}
		if (p < e && *p == '-') {
			left = true;
			p++;
		}
		if (p >= e)
			FAIL("unterminated format() type specifier");
		if (*p == '*') {
			p++;
			int wpos = next;
			if (fmt_num(&p, e, &v, err, &ovf)) {
				if (ovf)
					FAIL("number is out of range");
				if (p >= e || *p != '$')
					FAIL("unterminated format() type specifier");
				if (v == 0)
					FAIL("format specifies argument 0, but arguments are numbered from 1");
				wpos = v - 1;
				p++;
			} else
				next++;
			if (wpos >= nvals)
				FAIL("too few arguments for format()");
			const sem_datum *w = &args[1 + wpos];
			next = wpos + 1;
			if (!w->isnull) {
				char *ws = cm_strndup(ctx->arena, w->v.s.p, w->v.s.len);
				long long wl = strtoll(ws, NULL, 10);
				if (wl < 0) {
					left = true;
					wl = -wl;
				}
				width = (int) wl;
			}
		} else if (fmt_num(&p, e, &v, err, &ovf)) {
			if (ovf)
				FAIL("number is out of range");
			width = v;
		}
		if (p >= e)
			FAIL("unterminated format() type specifier");
		char type = *p;
		if (type != 's' && type != 'I' && type != 'L') {
			int k = sem_utf8_seqlen((unsigned char) *p);
			if (p + k > e)
				k = (int) (e - p);
			st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unrecognized format() type specifier \"%.*s\"",
							  k, p);
			cm_error_hint(err, "For a single \"%%\" use \"%%%%\".");
			goto done;
		}
		p++;
		int ap = argpos >= 0 ? argpos : next;
		if (ap >= nvals)
			FAIL("too few arguments for format()");
		next = ap + 1;
		const sem_datum *a = &args[1 + ap];
		cm_buf piece;
		cm_buf_init(&piece);
		if (type == 's') {
			if (!a->isnull)
				cm_buf_append(&piece, a->v.s.p, a->v.s.len);
		} else if (type == 'I') {
			if (a->isnull) {
				cm_buf_free(&piece);
				st = cm_error_set(err, CM_E_NULL_VALUE_NOT_ALLOWED, "null values cannot be formatted as an SQL identifier");
				goto done;
			}
			sem_quote_ident(a->v.s.p, a->v.s.len, &piece);
		} else {
			if (a->isnull)
				cm_buf_puts(&piece, "NULL");
			else {
				sem_datum q;
				if (f_quote_literal(ctx, 1, a, &q, err) != CM_OK) {
					cm_buf_free(&piece);
					st = CM_ERROR;
					goto done;
				}
				cm_buf_append(&piece, q.v.s.p, q.v.s.len);
			}
		}
		size_t chars = sem_utf8_len(piece.data ? piece.data : "", piece.len);
		size_t pad = (size_t) width > chars ? (size_t) width - chars : 0;
		if (!left)
			for (size_t k = 0; k < pad; k++)
				cm_buf_putc(&b, ' ');
		if (piece.len)
			cm_buf_append(&b, piece.data, piece.len);
		if (left)
			for (size_t k = 0; k < pad; k++)
				cm_buf_putc(&b, ' ');
		cm_buf_free(&piece);
	}
#undef FAIL
	ret_s(ctx, out, b.data ? b.data : "", b.len);
done:
	cm_buf_free(&b);
	return st;
}

/* ---- md5 (RFC 1321) ------------------------------------------------------------- */

typedef struct { uint32_t a, b, c, d; } md5_st;

static void md5_block(md5_st *st, const unsigned char *p)
{
	static const uint32_t K[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
		0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
		0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
		0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
		0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
		0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
		0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
	static const int R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
							  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
							  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
							  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
	uint32_t M[16];
	for (int i = 0; i < 16; i++)
		M[i] = (uint32_t) p[i * 4] | ((uint32_t) p[i * 4 + 1] << 8) | ((uint32_t) p[i * 4 + 2] << 16) |
			   ((uint32_t) p[i * 4 + 3] << 24);
	uint32_t a = st->a, b = st->b, c = st->c, d = st->d;
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g;
		if (i < 16) { f = (b & c) | (~b & d); g = i; }
		else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
		else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
		else { f = c ^ (b | ~d); g = (7 * i) % 16; }
		uint32_t t = d;
		d = c;
		c = b;
		uint32_t x = a + f + K[i] + M[g];
		b = b + ((x << R[i]) | (x >> (32 - R[i])));
		a = t;
	}
	st->a += a; st->b += b; st->c += c; st->d += d;
}

static void md5_hex(const char *data, size_t len, char *hex)
{
	md5_st st = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	size_t i = 0;
	for (; i + 64 <= len; i += 64)
		md5_block(&st, (const unsigned char *) data + i);
	unsigned char tail[128];
	size_t r = len - i;
	memcpy(tail, data + i, r);
	tail[r] = 0x80;
	size_t tl = r + 1 <= 56 ? 64 : 128;
	memset(tail + r + 1, 0, tl - r - 1);
	uint64_t bits = (uint64_t) len * 8;
	for (int k = 0; k < 8; k++)
		tail[tl - 8 + k] = (unsigned char) (bits >> (8 * k));
	md5_block(&st, tail);
	if (tl == 128)
		md5_block(&st, tail + 64);
	uint32_t w[4] = {st.a, st.b, st.c, st.d};
	for (int k = 0; k < 16; k++)
		snprintf(hex + 2 * k, 3, "%02x", (w[k / 4] >> (8 * (k % 4))) & 0xff);
}

static cm_status f_md5(ARGS)
{
	char hex[33];
	md5_hex(SP(args[0]), SL(args[0]), hex);
	return ret_s(ctx, out, hex, 32);
}

/* ---- LIKE ---------------------------------------------------------------------- */

enum { LIKE_TRUE = 1, LIKE_FALSE = 0, LIKE_ABORT = -1, LIKE_ERROR = -2 };

static size_t ch1(const char *p, size_t n)
{
	size_t k = (size_t) sem_utf8_seqlen((unsigned char) *p);
	return k > n ? n : k;
}

static int like_rec(const char *t, size_t tl, const char *p, size_t pl, int depth)
{
	if (depth > 10000)
		return LIKE_ERROR;
	while (tl > 0 && pl > 0) {
		if (*p == '\\') {
			p++;
			pl--;
			if (pl == 0)
				return LIKE_ERROR;
			size_t k = ch1(p, pl), m = ch1(t, tl);
			if (k != m || memcmp(p, t, k) != 0)
				return LIKE_FALSE;
			p += k; pl -= k; t += m; tl -= m;
		} else if (*p == '%') {
			while (pl > 0) {
				if (*p == '%') {
					p++; pl--;
				} else if (*p == '_') {
					if (tl == 0)
						return LIKE_ABORT;
					size_t m = ch1(t, tl);
					t += m; tl -= m;
					p++; pl--;
				} else
					break;
			}
			if (pl == 0)
				return LIKE_TRUE;
			const char *fc = p;
			size_t fcl = pl;
			if (*p == '\\') {
				if (pl < 2)
					return LIKE_ERROR;
				fc = p + 1;
				fcl = pl - 1;
			}
			size_t fk = ch1(fc, fcl);
			while (tl > 0) {
				size_t m = ch1(t, tl);
				if (m == fk && memcmp(t, fc, fk) == 0) {
					int r = like_rec(t, tl, p, pl, depth + 1);
					if (r != LIKE_FALSE)
						return r;
				}
				t += m; tl -= m;
			}
			return LIKE_ABORT;
		} else if (*p == '_') {
			size_t m = ch1(t, tl);
			t += m; tl -= m;
			p++; pl--;
		} else {
			size_t k = ch1(p, pl), m = ch1(t, tl);
			if (k != m || memcmp(p, t, k) != 0)
				return LIKE_FALSE;
			p += k; pl -= k; t += m; tl -= m;
		}
	}
	if (tl > 0)
		return LIKE_FALSE;
	while (pl > 0 && *p == '%') {
		p++; pl--;
	}
	if (pl == 0)
		return LIKE_TRUE;
	/* a trailing lone escape is an error even here */
	if (*p == '\\' && pl == 1)
		return LIKE_ERROR;
	return LIKE_ABORT;
}

cm_status sem_like_match(const char *s, size_t slen, const char *p, size_t plen, bool icase, bool *match,
						 cm_error *err)
{
	cm_arena *tmp = NULL;
	if (icase) {
		tmp = cm_arena_create(0);
		size_t n1, n2;
		s = case_map(tmp, s, slen, CASE_LOWER, &n1);
		p = case_map(tmp, p, plen, CASE_LOWER, &n2);
		slen = n1;
		plen = n2;
	}
	int r = like_rec(s, slen, p, plen, 0);
	if (tmp)
		cm_arena_destroy(tmp);
	if (r == LIKE_ERROR)
		return cm_error_set(err, CM_E_INVALID_ESCAPE_SEQUENCE, "LIKE pattern must not end with escape character");
	*match = r == LIKE_TRUE;
	return CM_OK;
}

static cm_status like_impl(ARGS, bool icase, bool neg, bool bpchar)
{
	bool m;
	size_t sl = bpchar ? SL(args[0]) : SL(args[0]);
	if (sem_like_match(SP(args[0]), sl, SP(args[1]), SL(args[1]), icase, &m, err) != CM_OK)
		return CM_ERROR;
	return ret_b(out, neg ? !m : m);
}
static cm_status f_like(ARGS) { return like_impl(ctx, nargs, args, out, err, false, false, false); }
static cm_status f_nlike(ARGS) { return like_impl(ctx, nargs, args, out, err, false, true, false); }
static cm_status f_ilike(ARGS) { return like_impl(ctx, nargs, args, out, err, true, false, false); }
static cm_status f_nilike(ARGS) { return like_impl(ctx, nargs, args, out, err, true, true, false); }

/* like_escape(pattern, escape): rewrite to the backslash convention */
static cm_status f_like_escape(ARGS)
{
	const char *p = SP(args[0]), *e = SP(args[1]);
	size_t pl = SL(args[0]), el = SL(args[1]);
	cm_buf b;
	cm_buf_init(&b);
	if (el == 0) {
		for (size_t i = 0; i < pl; i++) {
			if (p[i] == '\\')
				cm_buf_putc(&b, '\\');
			cm_buf_putc(&b, p[i]);
		}
	} else {
		size_t ek = ch1(e, el);
		if (sem_utf8_len(e, el) != 1) {
			cm_buf_free(&b);
			cm_error_set(err, CM_E_INVALID_ESCAPE_SEQUENCE, "invalid escape string");
			cm_error_hint(err, "Escape string must be empty or one character.");
			return CM_ERROR;
		}
		bool afterescape = false;
		for (size_t i = 0; i < pl;) {
			size_t k = ch1(p + i, pl - i);
			if (afterescape) {
				if (k == 1 && p[i] == '\\')
					cm_buf_putc(&b, '\\');	/* escaped backslash must stay literal */
				cm_buf_append(&b, p + i, k);
				afterescape = false;
			} else if (k == ek && memcmp(p + i, e, ek) == 0) {
				cm_buf_putc(&b, '\\');
				afterescape = true;
			} else if (k == 1 && p[i] == '\\') {
				cm_buf_puts(&b, "\\\\");
			} else
				cm_buf_append(&b, p + i, k);
			i += k;
		}
	}
	ret_s(ctx, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

#define TX SEM_TEXTOID
#define BP SEM_BPCHAROID
#define NM SEM_NAMEOID
#define BY SEM_BYTEAOID
#define I4 SEM_INT4OID
#define BO SEM_BOOLOID
#define S SEM_FN_STRICT

static const sem_builtin strfuncs[] = {
	{"||", 2, {TX, TX}, TX, S, textcat},
	{"||", 2, {SEM_ANYNONARRAYOID, TX}, TX, S | SEM_FN_ANYTEXT, textcat},
	{"||", 2, {TX, SEM_ANYNONARRAYOID}, TX, S | SEM_FN_ANYTEXT, textcat},
	{"length", 1, {TX}, I4, S, f_length}, {"length", 1, {BP}, I4, S, f_bplength}, {"length", 1, {BY}, I4, S, f_octlen},
	{"char_length", 1, {TX}, I4, S, f_length}, {"char_length", 1, {BP}, I4, S, f_bplength},
	{"character_length", 1, {TX}, I4, S, f_length}, {"character_length", 1, {BP}, I4, S, f_bplength},
	{"octet_length", 1, {TX}, I4, S, f_octlen}, {"octet_length", 1, {BP}, I4, S, f_octlen},
	{"octet_length", 1, {BY}, I4, S, f_octlen},
	{"bit_length", 1, {TX}, I4, S, f_bitlen}, {"bit_length", 1, {BY}, I4, S, f_bitlen},
	{"substr", 2, {TX, I4}, TX, S, f_substr}, {"substr", 3, {TX, I4, I4}, TX, S, f_substr},
	{"substring", 2, {TX, I4}, TX, S, f_substr}, {"substring", 3, {TX, I4, I4}, TX, S, f_substr},
	{"substr", 2, {BY, I4}, BY, S, f_bysubstr}, {"substr", 3, {BY, I4, I4}, BY, S, f_bysubstr},
	{"substring", 2, {BY, I4}, BY, S, f_bysubstr}, {"substring", 3, {BY, I4, I4}, BY, S, f_bysubstr},
	{"strpos", 2, {TX, TX}, I4, S, f_strpos}, {"position", 2, {TX, TX}, I4, S, f_strpos},
	{"position", 2, {BY, BY}, I4, S, f_bypos}, {"starts_with", 2, {TX, TX}, BO, S, f_starts_with},
	{"^@", 2, {TX, TX}, BO, S, f_starts_with},
	{"replace", 3, {TX, TX, TX}, TX, S, f_replace},
	{"upper", 1, {TX}, TX, S, f_upper}, {"lower", 1, {TX}, TX, S, f_lower}, {"initcap", 1, {TX}, TX, S, f_initcap},
	{"btrim", 1, {TX}, TX, S, f_btrim}, {"btrim", 2, {TX, TX}, TX, S, f_btrim},
	{"ltrim", 1, {TX}, TX, S, f_ltrim}, {"ltrim", 2, {TX, TX}, TX, S, f_ltrim},
	{"rtrim", 1, {TX}, TX, S, f_rtrim}, {"rtrim", 2, {TX, TX}, TX, S, f_rtrim},
	{"lpad", 2, {TX, I4}, TX, S, f_lpad}, {"lpad", 3, {TX, I4, TX}, TX, S, f_lpad},
	{"rpad", 2, {TX, I4}, TX, S, f_rpad}, {"rpad", 3, {TX, I4, TX}, TX, S, f_rpad},
	{"split_part", 3, {TX, TX, I4}, TX, S, f_split_part},
	{"concat", 1, {SEM_ANYOID}, TX, SEM_FN_VARIADIC | SEM_FN_ANYTEXT | SEM_FN_STABLE, f_concat},
	{"concat_ws", 2, {TX, SEM_ANYOID}, TX, SEM_FN_VARIADIC | SEM_FN_ANYTEXT | SEM_FN_STABLE, f_concat_ws},
	{"left", 2, {TX, I4}, TX, S, f_left}, {"right", 2, {TX, I4}, TX, S, f_right},
	{"repeat", 2, {TX, I4}, TX, S, f_repeat}, {"reverse", 1, {TX}, TX, S, f_reverse},
	{"ascii", 1, {TX}, I4, S, f_ascii}, {"chr", 1, {I4}, TX, S, f_chr},
	{"translate", 3, {TX, TX, TX}, TX, S, f_translate},
	{"quote_literal", 1, {TX}, TX, S, f_quote_literal},
	{"quote_nullable", 1, {TX}, TX, 0, f_quote_nullable},
	{"quote_literal", 1, {SEM_ANYNONARRAYOID}, TX, S | SEM_FN_ANYTEXT | SEM_FN_STABLE, f_quote_literal},
	{"quote_nullable", 1, {SEM_ANYNONARRAYOID}, TX, SEM_FN_ANYTEXT | SEM_FN_STABLE, f_quote_nullable},
	{"overlay", 3, {TX, TX, I4}, TX, S, f_overlay}, {"overlay", 4, {TX, TX, I4, I4}, TX, S, f_overlay},
	{"overlay", 3, {BY, BY, I4}, BY, S, f_byoverlay}, {"overlay", 4, {BY, BY, I4, I4}, BY, S, f_byoverlay},
	{"format", 1, {TX}, TX, SEM_FN_STABLE, f_format},
	{"format", 2, {TX, SEM_ANYOID}, TX, SEM_FN_VARIADIC | SEM_FN_ANYTEXT | SEM_FN_STABLE, f_format},
	{"md5", 1, {TX}, TX, S, f_md5}, {"md5", 1, {BY}, TX, S, f_md5},
	{"~~", 2, {TX, TX}, BO, S, f_like}, {"!~~", 2, {TX, TX}, BO, S, f_nlike},
	{"~~*", 2, {TX, TX}, BO, S, f_ilike}, {"!~~*", 2, {TX, TX}, BO, S, f_nilike},
	{"~~", 2, {BP, TX}, BO, S, f_like}, {"!~~", 2, {BP, TX}, BO, S, f_nlike},
	{"~~*", 2, {BP, TX}, BO, S, f_ilike}, {"!~~*", 2, {BP, TX}, BO, S, f_nilike},
	{"~~", 2, {NM, TX}, BO, S, f_like}, {"!~~", 2, {NM, TX}, BO, S, f_nlike},
	{"~~*", 2, {NM, TX}, BO, S, f_ilike}, {"!~~*", 2, {NM, TX}, BO, S, f_nilike},
	{"~~", 2, {BY, BY}, BO, S, f_like}, {"!~~", 2, {BY, BY}, BO, S, f_nlike},
	{"like_escape", 2, {TX, TX}, TX, S, f_like_escape},
	{"like", 2, {TX, TX}, BO, S, f_like}, {"notlike", 2, {TX, TX}, BO, S, f_nlike},
};

void sem_register_str_builtins(void)
{
	sem_register_builtins(strfuncs, sizeof strfuncs / sizeof strfuncs[0]);
}
