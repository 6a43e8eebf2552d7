/*
 * sem_regex.c -- POSIX-style regular expression operators and functions:
 * ~ !~ ~* !~* (text, name, bpchar against a text pattern), regexp_like,
 * regexp_match, regexp_matches, regexp_replace, regexp_split_to_table /
 * _array, regexp_count, regexp_instr, regexp_substr and substring(text from
 * pattern).
 *
 * Engine: ICU's uregex (libicu, already a dependency of sql/sem for
 * collations and time zones), over UTF-8 text without conversion (UText).
 * Why ICU rather than glibc's regcomp(REG_EXTENDED): PostgreSQL's
 * "advanced regular expressions" (ARE) are a superset of POSIX ERE with
 * Perl-style escapes (\d \s \w \D \S \W), non-greedy quantifiers (*? +?),
 * look-ahead, back references and \uXXXX escapes; ICU implements all of
 * those with the same spelling, glibc ERE none of them.  Differences that
 * remain (documented in docs/compatibility.md): ARE's word-boundary escapes
 * \m \M \y and [[:<:]] [[:>:]], embedded options (?b) (?e) (?q), and
 * ARE's leftmost-longest rule for alternations (ICU is leftmost-first).
 * PostgreSQL's '.' and bracket expressions match a newline by default, so
 * patterns are compiled with UREGEX_DOTALL.
 *
 * Compiled patterns are cached per thread (small LRU), since a catalog
 * query applies one pattern to every row.
 *
 * Exported: sem_regex_register_builtins(), sem_regex_match() (sem_catfuncs.h).
 */
#include "sql/sem/sem_catfuncs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uregex.h>
#include <unicode/utext.h>

#include "sql/sem/sem_array.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_io.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

/* ---- compiled pattern cache ------------------------------------------------------------ */

#define RX_CACHE 16

typedef struct rx_entry {
	char *pat;				/* malloc'ed copy */
	size_t len;
	uint32_t flags;
	URegularExpression *re;
	uint64_t used;
} rx_entry;

typedef struct rx_cache {
	rx_entry e[RX_CACHE];
	uint64_t tick;
} rx_cache;

static pthread_key_t rx_key;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void rx_cache_free(void *p)
{
	rx_cache *c = p;
	for (int i = 0; i < RX_CACHE; i++) {
		if (c->e[i].re)
			uregex_close(c->e[i].re);
		free(c->e[i].pat);
	}
	free(c);
}

static void rx_key_init(void)
{
	(void) pthread_key_create(&rx_key, rx_cache_free);
}

/* PostgreSQL's regerror() texts for the errors ICU can tell apart. */
static cm_status rx_error(cm_error *err, UErrorCode st)
{
	const char *m;
	switch (st) {
	case U_REGEX_MISMATCHED_PAREN: m = "parentheses () not balanced"; break;
	case U_REGEX_MISSING_CLOSE_BRACKET: m = "brackets [] not balanced"; break;
	case U_REGEX_BAD_INTERVAL:
	case U_REGEX_MAX_LT_MIN: m = "invalid repetition count(s)"; break;
	case U_REGEX_BAD_ESCAPE_SEQUENCE: m = "invalid escape \\ sequence"; break;
	case U_REGEX_RULE_SYNTAX: m = "quantifier operand invalid"; break;
	default: m = u_errorName(st); break;
	}
	return cm_error_set(err, CM_E_INVALID_REGULAR_EXPRESSION, "invalid regular expression: %s", m);
}

/* The compiled form of p[0..plen) with ICU flags (cached; owned by the cache). */
static cm_status rx_get(const char *p, size_t plen, uint32_t flags, URegularExpression **out, cm_error *err)
{
	pthread_once(&rx_once, rx_key_init);
	rx_cache *c = pthread_getspecific(rx_key);
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c)
			return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		(void) pthread_setspecific(rx_key, c);
	}
	c->tick++;
	int victim = 0;
	for (int i = 0; i < RX_CACHE; i++) {
		rx_entry *e = &c->e[i];
		if (e->re && e->flags == flags && e->len == plen && memcmp(e->pat, p, plen) == 0) {
			e->used = c->tick;
			*out = e->re;
			return CM_OK;
		}
		if (!e->re || e->used < c->e[victim].used)
			victim = i;
		if (!e->re)
			break;
	}
	UErrorCode st = U_ZERO_ERROR;
	UText ut = UTEXT_INITIALIZER;
	if (plen == 0)
		utext_openUTF8(&ut, "(?:)", 4, &st);	/* ICU rejects an empty pattern */
	else
		utext_openUTF8(&ut, p, (int64_t) plen, &st);
	UParseError pe;
	URegularExpression *re = U_SUCCESS(st) ? uregex_openUText(&ut, flags, &pe, &st) : NULL;
	utext_close(&ut);
	if (U_FAILURE(st) || !re)
		return rx_error(err, st);
	rx_entry *e = &c->e[victim];
	if (e->re)
		uregex_close(e->re);
	free(e->pat);
	e->pat = malloc(plen + 1);
	if (!e->pat) {
		uregex_close(re);
		e->re = NULL;
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	}
	memcpy(e->pat, p, plen);
	e->len = plen;
	e->flags = flags;
	e->re = re;
	e->used = c->tick;
	*out = re;
	return CM_OK;
}

/* A search over s: the regex is positioned on s (kept alive in *ut until rx_done). */
static cm_status rx_begin(URegularExpression *re, UText *ut, const char *s, size_t slen, cm_error *err)
{
	UErrorCode st = U_ZERO_ERROR;
	utext_openUTF8(ut, s, (int64_t) slen, &st);
	if (U_SUCCESS(st))
		uregex_setUText(re, ut, &st);
	if (U_FAILURE(st))
		return rx_error(err, st);
	return CM_OK;
}

static void rx_done(URegularExpression *re, UText *ut)
{
	UErrorCode st = U_ZERO_ERROR;
	static const UChar empty[1] = {0};
	uregex_setText(re, empty, 0, &st);
	utext_close(ut);
}

static uint32_t flags_of(bool icase)
{
	return UREGEX_DOTALL | (icase ? UREGEX_CASE_INSENSITIVE : 0);
}

cm_status sem_regex_match(const char *p, size_t plen, const char *s, size_t slen, bool icase, bool *match,
						  cm_error *err)
{
	URegularExpression *re;
	if (rx_get(p, plen, flags_of(icase), &re, err) != CM_OK)
		return CM_ERROR;
	UText ut = UTEXT_INITIALIZER;
	if (rx_begin(re, &ut, s, slen, err) != CM_OK)
		return CM_ERROR;
	UErrorCode st = U_ZERO_ERROR;
	*match = uregex_find(re, 0, &st);
	rx_done(re, &ut);
	if (U_FAILURE(st))
		return rx_error(err, st);
	return CM_OK;
}

/* PostgreSQL's flag string of regexp_* functions: i c g n (others rejected). */
static cm_status parse_flags(const sem_datum *f, bool *icase, bool *global, bool allow_g, const char *fn,
							 cm_error *err)
{
	*icase = false;
	*global = false;
	if (!f)
		return CM_OK;
	for (uint32_t i = 0; i < f->v.s.len; i++) {
		switch (f->v.s.p[i]) {
		case 'i': *icase = true; break;
		case 'c': *icase = false; break;
		case 'n': case 'p': case 'w': case 's': case 'x': break;
		case 'g':
			if (!allow_g) {
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s() does not support the \"global\" option", fn);
				cm_error_hint(err, "Use the regexp_matches function instead.");
				return CM_ERROR;
			}
			*global = true;
			break;
		default:
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid regular expression option: \"%c\"",
								f->v.s.p[i]);
		}
	}
	return CM_OK;
}

/* ---- operators -------------------------------------------------------------------------- */

static cm_status op_match(ARGS, bool icase, bool negate)
{
	bool m;
	uint32_t slen = args[0].v.s.len;
	if (sem_regex_match(args[1].v.s.p, args[1].v.s.len, args[0].v.s.p, slen, icase, &m, err) != CM_OK)
		return CM_ERROR;
	out->isnull = false;
	out->v.b = negate ? !m : m;
	return CM_OK;
}

static cm_status f_re(ARGS) { return op_match(ctx, nargs, args, out, err, false, false); }
static cm_status f_nre(ARGS) { return op_match(ctx, nargs, args, out, err, false, true); }
static cm_status f_ire(ARGS) { return op_match(ctx, nargs, args, out, err, true, false); }
static cm_status f_inre(ARGS) { return op_match(ctx, nargs, args, out, err, true, true); }

/* bpchar: trailing blanks are not significant */
static sem_datum bp_trim(const sem_datum *d)
{
	sem_datum r = *d;
	while (r.v.s.len > 0 && r.v.s.p[r.v.s.len - 1] == ' ')
		r.v.s.len--;
	return r;
}

static cm_status bp_match(ARGS, bool icase, bool negate)
{
	sem_datum a[2] = {bp_trim(&args[0]), args[1]};
	return op_match(ctx, nargs, a, out, err, icase, negate);
}
static cm_status f_bre(ARGS) { return bp_match(ctx, nargs, args, out, err, false, false); }
static cm_status f_bnre(ARGS) { return bp_match(ctx, nargs, args, out, err, false, true); }
static cm_status f_bire(ARGS) { return bp_match(ctx, nargs, args, out, err, true, false); }
static cm_status f_binre(ARGS) { return bp_match(ctx, nargs, args, out, err, true, true); }

/* ---- functions ------------------------------------------------------------------------- */

static cm_status f_regexp_like(ARGS)
{
	bool icase, g;
	if (parse_flags(nargs > 2 ? &args[2] : NULL, &icase, &g, false, "regexp_like", err) != CM_OK)
		return CM_ERROR;
	return op_match(ctx, 2, args, out, err, icase, false);
}

/* First match of args[1] in args[0]: groups (or the whole match) into out as
 * text[] (want_array) or the first group / whole match as text. */
static cm_status first_match(sem_ctx *ctx, const sem_datum *s, const sem_datum *p, bool icase, bool want_array,
							 sem_datum *out, cm_error *err)
{
	URegularExpression *re;
	if (rx_get(p->v.s.p, p->v.s.len, flags_of(icase), &re, err) != CM_OK)
		return CM_ERROR;
	UText ut = UTEXT_INITIALIZER;
	if (rx_begin(re, &ut, s->v.s.p, s->v.s.len, err) != CM_OK)
		return CM_ERROR;
	UErrorCode st = U_ZERO_ERROR;
	memset(out, 0, sizeof *out);
	if (!uregex_find(re, 0, &st) || U_FAILURE(st)) {
		rx_done(re, &ut);
		if (U_FAILURE(st))
			return rx_error(err, st);
		out->isnull = true;
		return CM_OK;
	}
	int ng = uregex_groupCount(re, &st);
	int first = ng > 0 ? 1 : 0, n = ng > 0 ? ng : 1;
	if (!want_array)
		n = 1;
	sem_array *a = sem_array_new(ctx->arena, SEM_TEXTOID, n);
	for (int g = 0; g < n; g++) {
		int64_t b = uregex_start64(re, first + g, &st), e = uregex_end64(re, first + g, &st);
		if (b < 0 || U_FAILURE(st)) {
			a->elems[g].isnull = true;
			st = U_ZERO_ERROR;
			continue;
		}
		sem_set_str(ctx->arena, &a->elems[g], s->v.s.p + b, (size_t) (e - b));
	}
	rx_done(re, &ut);
	if (want_array) {
		out->v.arr = a;
		return CM_OK;
	}
	*out = a->elems[0];
	return CM_OK;
}

static cm_status f_regexp_match(ARGS)
{
	bool icase, g;
	if (parse_flags(nargs > 2 ? &args[2] : NULL, &icase, &g, false, "regexp_match", err) != CM_OK)
		return CM_ERROR;
	return first_match(ctx, &args[0], &args[1], icase, true, out, err);
}

/* substring(text from pattern): the first parenthesised group, else the match. */
static cm_status f_substring_re(ARGS)
{
	return first_match(ctx, &args[0], &args[1], false, false, out, err);
}

/*
 * similar_to_escape(pattern [, escape]): translate a SQL SIMILAR TO pattern
 * into an anchored regular expression, as PostgreSQL's similar_escape_internal
 * does (% -> .*, _ -> ., ( -> (?:, escape-double-quote separators ->
 * {1,1}? groups so substring() returns the middle part).
 */
static cm_status similar_escape(sem_ctx *ctx, const sem_datum *pat, const char *esc, size_t esclen, sem_datum *out,
								cm_error *err)
{
	if (esc && esclen > 0) {
		/* exactly one character (of any byte length) */
		size_t clen = 1;
		unsigned char c0 = (unsigned char) esc[0];
		if (c0 >= 0xF0)
			clen = 4;
		else if (c0 >= 0xE0)
			clen = 3;
		else if (c0 >= 0xC0)
			clen = 2;
		if (clen != esclen) {
			cm_error_set(err, CM_E_INVALID_ESCAPE_SEQUENCE, "invalid escape string");
			cm_error_hint(err, "Escape string must be empty or one character.");
			return CM_ERROR;
		}
	}
	if (esc && esclen == 0)
		esc = NULL;
	cm_buf b;
	cm_buf_init(&b);
	cm_buf_puts(&b, "^(?:");
	const char *p = pat->v.s.p;
	size_t plen = pat->v.s.len;
	bool afterescape = false, incharclass = false;
	int nquotes = 0;
	for (size_t i = 0; i < plen;) {
		size_t clen = 1;
		unsigned char c0 = (unsigned char) p[i];
		if (c0 >= 0xF0)
			clen = 4;
		else if (c0 >= 0xE0)
			clen = 3;
		else if (c0 >= 0xC0)
			clen = 2;
		if (i + clen > plen)
			clen = plen - i;
		char pc = p[i];
		bool is_esc = esc && clen == esclen && memcmp(p + i, esc, clen) == 0;
		if (afterescape) {
			if (pc == '"' && !incharclass) {
				if (nquotes == 0)
					cm_buf_puts(&b, "){1,1}?(");
				else if (nquotes == 1)
					cm_buf_puts(&b, "){1,1}(?:");
				else {
					cm_buf_free(&b);
					return cm_error_set(err, "2200C" /* invalid_use_of_escape_character */,
										"SQL regular expression may not contain more than two escape-double-quote separators");
				}
				nquotes++;
			} else {
				cm_buf_putc(&b, '\\');
				cm_buf_append(&b, p + i, clen);
			}
			afterescape = false;
		} else if (is_esc) {
			afterescape = true;
		} else if (incharclass) {
			if (pc == '\\')
				cm_buf_putc(&b, '\\');
			cm_buf_append(&b, p + i, clen);
			if (pc == ']')
				incharclass = false;
		} else if (pc == '[') {
			cm_buf_putc(&b, '[');
			incharclass = true;
		} else if (pc == '%') {
			cm_buf_puts(&b, ".*");
		} else if (pc == '_') {
			cm_buf_putc(&b, '.');
		} else if (pc == '(') {
			cm_buf_puts(&b, "(?:");
		} else if (pc == '\\' || pc == '.' || pc == '^' || pc == '$') {
			cm_buf_putc(&b, '\\');
			cm_buf_putc(&b, pc);
		} else {
			cm_buf_append(&b, p + i, clen);
		}
		i += clen;
	}
	cm_buf_puts(&b, ")$");
	sem_set_str(ctx->arena, out, b.data, b.len);
	cm_buf_free(&b);
	return CM_OK;
}

static cm_status f_similar_to_escape(ARGS)
{
	if (nargs > 1)
		return similar_escape(ctx, &args[0], args[1].v.s.p, args[1].v.s.len, out, err);
	return similar_escape(ctx, &args[0], "\\", 1, out, err);
}

/* substring(text similar pattern escape esc) = substring(text from pattern for esc) */
static cm_status f_substring_similar(ARGS)
{
	sem_datum re;
	if (similar_escape(ctx, &args[1], args[2].v.s.p, args[2].v.s.len, &re, err) != CM_OK)
		return CM_ERROR;
	return first_match(ctx, &args[0], &re, false, false, out, err);
}

/* Append replacement text rep with \1..\9 and \& substituted from the current match. */
static void add_replacement(URegularExpression *re, const char *src, const sem_datum *rep, cm_buf *b)
{
	UErrorCode st = U_ZERO_ERROR;
	int ng = uregex_groupCount(re, &st);
	const char *r = rep->v.s.p;
	uint32_t n = rep->v.s.len;
	for (uint32_t i = 0; i < n; i++) {
		if (r[i] == '\\' && i + 1 < n) {
			int g = -1;
			if (r[i + 1] >= '1' && r[i + 1] <= '9')
				g = r[i + 1] - '0';
			else if (r[i + 1] == '&')
				g = 0;
			if (g >= 0) {
				i++;
				if (g <= ng) {
					st = U_ZERO_ERROR;
					int64_t s0 = uregex_start64(re, g, &st), e0 = uregex_end64(re, g, &st);
					if (U_SUCCESS(st) && s0 >= 0)
						cm_buf_append(b, src + s0, (size_t) (e0 - s0));
				}
				continue;
			}
			if (r[i + 1] == '\\') {
				cm_buf_putc(b, '\\');
				i++;
				continue;
			}
		}
		cm_buf_putc(b, r[i]);
	}
}

static cm_status f_regexp_replace(ARGS)
{
	bool icase, global;
	if (parse_flags(nargs > 3 ? &args[3] : NULL, &icase, &global, true, "regexp_replace", err) != CM_OK)
		return CM_ERROR;
	URegularExpression *re;
	if (rx_get(args[1].v.s.p, args[1].v.s.len, flags_of(icase), &re, err) != CM_OK)
		return CM_ERROR;
	const char *s = args[0].v.s.p;
	size_t slen = args[0].v.s.len;
	UText ut = UTEXT_INITIALIZER;
	if (rx_begin(re, &ut, s, slen, err) != CM_OK)
		return CM_ERROR;
	cm_buf b;
	cm_buf_init(&b);
	int64_t pos = 0;
	UErrorCode st = U_ZERO_ERROR;
	bool found = uregex_find(re, 0, &st);
	while (found && U_SUCCESS(st)) {
		int64_t ms = uregex_start64(re, 0, &st), me = uregex_end64(re, 0, &st);
		cm_buf_append(&b, s + pos, (size_t) (ms - pos));
		add_replacement(re, s, &args[2], &b);
		pos = me;
		if (!global)
			break;
		found = uregex_findNext(re, &st);
	}
	rx_done(re, &ut);
	if (U_FAILURE(st)) {
		cm_buf_free(&b);
		return rx_error(err, st);
	}
	cm_buf_append(&b, s + pos, slen - (size_t) pos);
	sem_set_str(ctx->arena, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

/* ---- all matches: regexp_matches, regexp_split_*, regexp_count/instr/substr --------------- */

/* Every match of the pattern in s (searching from byte offset from), as
 * byte offsets: locs[k * 2 * (1 + ng) ...] = start/end of the match, then
 * of each group (-1: group did not participate).  global: all matches,
 * else the first.  degenerate_ok false: skip empty matches at the very
 * start / end or right after the previous match (regexp_split_*). */
typedef struct rx_all {
	int ng;					/* capture groups */
	int nmatch;
	int64_t *locs;
} rx_all;

static cm_status rx_find_all(sem_ctx *ctx, const sem_datum *s, const sem_datum *p, bool icase, bool global,
							 int64_t from, bool degenerate_ok, rx_all *r, cm_error *err)
{
	URegularExpression *re;
	if (rx_get(p->v.s.p, p->v.s.len, flags_of(icase), &re, err) != CM_OK)
		return CM_ERROR;
	UText ut = UTEXT_INITIALIZER;
	if (rx_begin(re, &ut, s->v.s.p, s->v.s.len, err) != CM_OK)
		return CM_ERROR;
	UErrorCode st = U_ZERO_ERROR;
	r->ng = uregex_groupCount(re, &st);
	r->nmatch = 0;
	int cap = 8, per = 2 * (1 + r->ng);
	r->locs = cm_alloc(ctx->arena, sizeof(int64_t) * (size_t) (cap * per));
	int64_t prev_end = 0, slen = s->v.s.len;
	bool found = from <= slen && uregex_find64(re, from, &st);
	while (found && U_SUCCESS(st)) {
		int64_t ms = uregex_start64(re, 0, &st), me = uregex_end64(re, 0, &st);
		if (degenerate_ok || (ms < slen && me > prev_end)) {
			if (r->nmatch == cap) {
				int64_t *nl = cm_alloc(ctx->arena, sizeof(int64_t) * (size_t) (2 * cap * per));
				memcpy(nl, r->locs, sizeof(int64_t) * (size_t) (cap * per));
				r->locs = nl;
				cap *= 2;
			}
			int64_t *l = r->locs + (size_t) r->nmatch * (size_t) per;
			for (int g = 0; g <= r->ng; g++) {
				l[2 * g] = uregex_start64(re, g, &st);
				l[2 * g + 1] = uregex_end64(re, g, &st);
			}
			r->nmatch++;
		}
		prev_end = me;
		if (!global)
			break;
		found = uregex_findNext(re, &st);
	}
	rx_done(re, &ut);
	if (U_FAILURE(st))
		return rx_error(err, st);
	return CM_OK;
}

/* one capture as a text datum (NULL if the group did not participate) */
static void rx_piece(sem_ctx *ctx, const sem_datum *s, int64_t b, int64_t e, sem_datum *out)
{
	memset(out, 0, sizeof *out);
	if (b < 0) {
		out->isnull = true;
		return;
	}
	sem_set_str(ctx->arena, out, s->v.s.p + b, (size_t) (e - b));
}

/* regexp_matches(s, p [, flags]): SETOF text[] (rows as an array of arrays) */
static cm_status f_regexp_matches(ARGS)
{
	bool icase, global;
	if (parse_flags(nargs > 2 ? &args[2] : NULL, &icase, &global, true, "regexp_matches", err) != CM_OK)
		return CM_ERROR;
	rx_all r;
	if (rx_find_all(ctx, &args[0], &args[1], icase, global, 0, true, &r, err) != CM_OK)
		return CM_ERROR;
	sem_array *rows = sem_array_new(ctx->arena, 1009 /* text[] */, r.nmatch);
	int per = 2 * (1 + r.ng), first = r.ng > 0 ? 1 : 0, n = r.ng > 0 ? r.ng : 1;
	for (int m = 0; m < r.nmatch; m++) {
		const int64_t *l = r.locs + (size_t) m * (size_t) per;
		sem_array *a = sem_array_new(ctx->arena, SEM_TEXTOID, n);
		for (int g = 0; g < n; g++)
			rx_piece(ctx, &args[0], l[2 * (first + g)], l[2 * (first + g) + 1], &a->elems[g]);
		memset(&rows->elems[m], 0, sizeof rows->elems[m]);
		rows->elems[m].v.arr = a;
	}
	memset(out, 0, sizeof *out);
	out->v.arr = rows;
	return CM_OK;
}

/* the pieces between matches (regexp_split_to_table / _array) */
static cm_status split_common(ARGS, const char *fn)
{
	bool icase, global;
	if (parse_flags(nargs > 2 ? &args[2] : NULL, &icase, &global, true, fn, err) != CM_OK)
		return CM_ERROR;
	if (global)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s() does not support the \"global\" option", fn);
	rx_all r;
	if (rx_find_all(ctx, &args[0], &args[1], icase, true, 0, false, &r, err) != CM_OK)
		return CM_ERROR;
	sem_array *a = sem_array_new(ctx->arena, SEM_TEXTOID, r.nmatch + 1);
	int per = 2 * (1 + r.ng);
	int64_t pos = 0;
	for (int m = 0; m < r.nmatch; m++) {
		const int64_t *l = r.locs + (size_t) m * (size_t) per;
		rx_piece(ctx, &args[0], pos, l[0], &a->elems[m]);
		pos = l[1];
	}
	rx_piece(ctx, &args[0], pos, args[0].v.s.len, &a->elems[r.nmatch]);
	memset(out, 0, sizeof *out);
	out->v.arr = a;
	return CM_OK;
}
static cm_status f_regexp_split_to_array(ARGS) { return split_common(ctx, nargs, args, out, err, "regexp_split_to_array"); }
static cm_status f_regexp_split_to_table(ARGS) { return split_common(ctx, nargs, args, out, err, "regexp_split_to_table"); }

static cm_status bad_param(cm_error *err, const char *name, int64_t v)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for parameter \"%s\": %d", name, (int) v);
}

/* Common part of regexp_count/instr/substr: matches from character
 * position start (1-based), flags without 'g'. */
static cm_status find_from(ARGS, int64_t start, const sem_datum *flags, const char *fn, rx_all *r)
{
	(void) nargs;
	bool icase, global;
	if (parse_flags(flags, &icase, &global, true, fn, err) != CM_OK)
		return CM_ERROR;
	if (global)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s() does not support the \"global\" option", fn);
	size_t from = sem_utf8_offset(args[0].v.s.p, args[0].v.s.len, (size_t) (start - 1));
	if (sem_utf8_len(args[0].v.s.p, args[0].v.s.len) < (size_t) (start - 1)) {
		r->ng = 0;
		r->nmatch = 0;
		r->locs = NULL;
		return CM_OK;
	}
	(void) out;
	return rx_find_all(ctx, &args[0], &args[1], icase, true, (int64_t) from, true, r, err);
}

/* regexp_count(s, p [, start [, flags]]) */
static cm_status f_regexp_count(ARGS)
{
	int64_t start = nargs > 2 ? args[2].v.i : 1;
	if (start <= 0)
		return bad_param(err, "start", start);
	rx_all r;
	if (find_from(ctx, nargs, args, out, err, start, nargs > 3 ? &args[3] : NULL, "regexp_count", &r) != CM_OK)
		return CM_ERROR;
	memset(out, 0, sizeof *out);
	out->v.i = r.nmatch;
	return CM_OK;
}

/* regexp_instr(s, p [, start [, n [, endoption [, flags [, subexpr]]]]]) */
static cm_status f_regexp_instr(ARGS)
{
	int64_t start = nargs > 2 ? args[2].v.i : 1, n = nargs > 3 ? args[3].v.i : 1;
	int64_t endopt = nargs > 4 ? args[4].v.i : 0, subexpr = nargs > 6 ? args[6].v.i : 0;
	if (start <= 0)
		return bad_param(err, "start", start);
	if (n <= 0)
		return bad_param(err, "n", n);
	if (endopt != 0 && endopt != 1)
		return bad_param(err, "endoption", endopt);
	if (subexpr < 0)
		return bad_param(err, "subexpr", subexpr);
	rx_all r;
	if (find_from(ctx, nargs, args, out, err, start, nargs > 5 ? &args[5] : NULL, "regexp_instr", &r) != CM_OK)
		return CM_ERROR;
	memset(out, 0, sizeof *out);
	if (n > r.nmatch || subexpr > r.ng)
		return CM_OK;
	const int64_t *l = r.locs + (size_t) (n - 1) * (size_t) (2 * (1 + r.ng));
	int64_t b = l[2 * subexpr + (int) endopt];
	out->v.i = b < 0 ? 0 : (int64_t) sem_utf8_len(args[0].v.s.p, (size_t) b) + 1;
	return CM_OK;
}

/* regexp_substr(s, p [, start [, n [, flags [, subexpr]]]]) */
static cm_status f_regexp_substr(ARGS)
{
	int64_t start = nargs > 2 ? args[2].v.i : 1, n = nargs > 3 ? args[3].v.i : 1;
	int64_t subexpr = nargs > 5 ? args[5].v.i : 0;
	if (start <= 0)
		return bad_param(err, "start", start);
	if (n <= 0)
		return bad_param(err, "n", n);
	if (subexpr < 0)
		return bad_param(err, "subexpr", subexpr);
	rx_all r;
	if (find_from(ctx, nargs, args, out, err, start, nargs > 4 ? &args[4] : NULL, "regexp_substr", &r) != CM_OK)
		return CM_ERROR;
	memset(out, 0, sizeof *out);
	if (n > r.nmatch || subexpr > r.ng) {
		out->isnull = true;
		return CM_OK;
	}
	const int64_t *l = r.locs + (size_t) (n - 1) * (size_t) (2 * (1 + r.ng));
	rx_piece(ctx, &args[0], l[2 * subexpr], l[2 * subexpr + 1], out);
	return CM_OK;
}

/* ---- registration ----------------------------------------------------------------------- */

#define S (SEM_FN_STRICT)
#define TX SEM_TEXTOID
#define NM SEM_NAMEOID
#define BP SEM_BPCHAROID
#define BO SEM_BOOLOID
#define TXARR 1009	/* text[] */
#define I4 SEM_INT4OID

static const sem_builtin rx_rows[] = {
	{"~", 2, {TX, TX}, BO, S, f_re}, {"!~", 2, {TX, TX}, BO, S, f_nre},
	{"~*", 2, {TX, TX}, BO, S, f_ire}, {"!~*", 2, {TX, TX}, BO, S, f_inre},
	{"~", 2, {NM, TX}, BO, S, f_re}, {"!~", 2, {NM, TX}, BO, S, f_nre},
	{"~*", 2, {NM, TX}, BO, S, f_ire}, {"!~*", 2, {NM, TX}, BO, S, f_inre},
	{"~", 2, {BP, TX}, BO, S, f_bre}, {"!~", 2, {BP, TX}, BO, S, f_bnre},
	{"~*", 2, {BP, TX}, BO, S, f_bire}, {"!~*", 2, {BP, TX}, BO, S, f_binre},
	{"regexp_like", 2, {TX, TX}, BO, S, f_regexp_like},
	{"regexp_like", 3, {TX, TX, TX}, BO, S, f_regexp_like},
	{"regexp_match", 2, {TX, TX}, TXARR, S, f_regexp_match},
	{"regexp_match", 3, {TX, TX, TX}, TXARR, S, f_regexp_match},
	{"regexp_replace", 3, {TX, TX, TX}, TX, S, f_regexp_replace},
	{"regexp_replace", 4, {TX, TX, TX, TX}, TX, S, f_regexp_replace},
	{"substring", 2, {TX, TX}, TX, S, f_substring_re},
	{"substring", 3, {TX, TX, TX}, TX, S, f_substring_similar},
	{"regexp_matches", 2, {TX, TX}, TXARR, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_regexp_matches},
	{"regexp_matches", 3, {TX, TX, TX}, TXARR, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_regexp_matches},
	{"regexp_split_to_table", 2, {TX, TX}, TX, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_regexp_split_to_table},
	{"regexp_split_to_table", 3, {TX, TX, TX}, TX, S | SEM_FN_SETOF | SEM_FN_VOLATILE, f_regexp_split_to_table},
	{"regexp_split_to_array", 2, {TX, TX}, TXARR, S, f_regexp_split_to_array},
	{"regexp_split_to_array", 3, {TX, TX, TX}, TXARR, S, f_regexp_split_to_array},
	{"regexp_count", 2, {TX, TX}, I4, S, f_regexp_count},
	{"regexp_count", 3, {TX, TX, I4}, I4, S, f_regexp_count},
	{"regexp_count", 4, {TX, TX, I4, TX}, I4, S, f_regexp_count},
	{"regexp_instr", 2, {TX, TX}, I4, S, f_regexp_instr},
	{"regexp_instr", 3, {TX, TX, I4}, I4, S, f_regexp_instr},
	{"regexp_instr", 4, {TX, TX, I4, I4}, I4, S, f_regexp_instr},
	{"regexp_instr", 5, {TX, TX, I4, I4, I4}, I4, S, f_regexp_instr},
	{"regexp_instr", 6, {TX, TX, I4, I4, I4, TX}, I4, S, f_regexp_instr},
	{"regexp_instr", 7, {TX, TX, I4, I4, I4, TX, I4}, I4, S, f_regexp_instr},
	{"regexp_substr", 2, {TX, TX}, TX, S, f_regexp_substr},
	{"regexp_substr", 3, {TX, TX, I4}, TX, S, f_regexp_substr},
	{"regexp_substr", 4, {TX, TX, I4, I4}, TX, S, f_regexp_substr},
	{"regexp_substr", 5, {TX, TX, I4, I4, TX}, TX, S, f_regexp_substr},
	{"regexp_substr", 6, {TX, TX, I4, I4, TX, I4}, TX, S, f_regexp_substr},
	{"similar_to_escape", 1, {TX}, TX, S, f_similar_to_escape},
	{"similar_to_escape", 2, {TX, TX}, TX, S, f_similar_to_escape},
};

void sem_regex_register_builtins(void)
{
	sem_register_builtins(rx_rows, sizeof rx_rows / sizeof rx_rows[0]);
}
