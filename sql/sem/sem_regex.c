/*
 * sem_regex.c -- POSIX-style regular expression operators and functions:
 * ~ !~ ~* !~* (text, name, bpchar against a text pattern), regexp_like,
 * regexp_match, regexp_replace and substring(text from pattern).
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

/* ---- registration ----------------------------------------------------------------------- */

#define S (SEM_FN_STRICT)
#define TX SEM_TEXTOID
#define NM SEM_NAMEOID
#define BP SEM_BPCHAROID
#define BO SEM_BOOLOID
#define TXARR 1009	/* text[] */

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
};

void sem_regex_register_builtins(void)
{
	sem_register_builtins(rx_rows, sizeof rx_rows / sizeof rx_rows[0]);
}
