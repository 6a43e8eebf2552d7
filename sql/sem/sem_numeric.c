/*
 * sem_numeric.c -- numeric arithmetic on GMP integers with PostgreSQL 15's
 * scale and rounding rules.
 *
 * A value is coef * 10^-dscale.  Arithmetic loads the inline limbs as a
 * read-only mpz (mpz_roinit_n, no copy), computes in GMP temporaries
 * (malloc'd by GMP, cleared before return) and stores the result back into
 * the arena.  PostgreSQL's choices that depend on its base-10000 layout
 * (select_div_scale, the weight in the binary format) are recomputed from
 * the decimal digits, see num_nbase_weight().
 *
 * See sem_numeric.h for the exported routines.
 */
#include "sql/sem/sem_numeric.h"

#include <ctype.h>
#include <float.h>
#include <gmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(mp_limb_t) == sizeof(uint64_t), "64-bit GMP limbs expected");

#define NBASE 10000
#define DEC_DIGITS 4
#define NUMERIC_MAX_RESULT_SCALE (SEM_NUM_MAX_PRECISION * 2)

/* ---- loading and storing ------------------------------------------------ */

static void num_view(mpz_t v, const sem_numeric *n)
{
	mpz_roinit_n(v, (const mp_limb_t *) n->limbs, n->neg ? -n->nlimbs : n->nlimbs);
}

static sem_numeric *num_special(cm_arena *a, sem_num_kind kind)
{
	sem_numeric *n = cm_alloc0(a, sizeof(sem_numeric));
	n->kind = (uint8_t) kind;
	return n;
}

static sem_numeric *num_store(cm_arena *a, const mpz_t v, int dscale)
{
	size_t nl = mpz_size(v);
	sem_numeric *n = cm_alloc(a, sizeof(sem_numeric) + nl * sizeof(uint64_t));
	n->kind = SEM_NUM_FINITE;
	n->neg = mpz_sgn(v) < 0;
	if (dscale < 0)
		dscale = 0;
	if (dscale > SEM_NUM_MAX_DSCALE)
		dscale = SEM_NUM_MAX_DSCALE;
	n->dscale = (uint16_t) dscale;
	n->nlimbs = (int32_t) nl;
	if (nl)
		memcpy(n->limbs, mpz_limbs_read(v), nl * sizeof(uint64_t));
	return n;
}

static void mul_pow10(mpz_t r, const mpz_t v, unsigned long e)
{
	mpz_t p;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, e);
	mpz_mul(r, v, p);
	mpz_clear(p);
}

/* r = round_half_away(num / den) */
static void div_round(mpz_t r, const mpz_t num, const mpz_t den)
{
	mpz_t q, rem;
	mpz_inits(q, rem, NULL);
	mpz_tdiv_qr(q, rem, num, den);
	mpz_mul_2exp(rem, rem, 1);
	if (mpz_cmpabs(rem, den) >= 0) {
		if ((mpz_sgn(num) < 0) != (mpz_sgn(den) < 0))
			mpz_sub_ui(q, q, 1);
		else
			mpz_add_ui(q, q, 1);
	}
	mpz_set(r, q);
	mpz_clears(q, rem, NULL);
}

/* Rescale v (at scale from) to scale to, rounding half away or truncating. */
static void rescale(mpz_t r, const mpz_t v, int from, int to, bool round)
{
	if (to >= from) {
		mul_pow10(r, v, (unsigned long) (to - from));
		return;
	}
	mpz_t p;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, (unsigned long) (from - to));
	if (round)
		div_round(r, v, p);
	else
		mpz_tdiv_q(r, v, p);
	mpz_clear(p);
}

bool sem_num_is_zero(const sem_numeric *n)
{
	return n->kind == SEM_NUM_FINITE && n->nlimbs == 0;
}

/* Decimal exponent of the most significant digit of |v| (v != 0). */
static long dec_exponent(const mpz_t coef, int dscale)
{
	size_t nd = mpz_sizeinbase(coef, 10);	/* may be 1 too big */
	mpz_t p;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, nd - 1);
	if (mpz_cmpabs(coef, p) < 0)
		nd--;
	mpz_clear(p);
	return (long) nd - 1 - dscale;
}

static long floordiv(long a, long b)
{
	long q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* PostgreSQL's base-10000 weight and first NBASE digit of a nonzero value. */
static void num_nbase_weight(const mpz_t coef, int dscale, int *weight, int *firstdigit)
{
	long e = dec_exponent(coef, dscale);
	long w = floordiv(e, DEC_DIGITS);
	*weight = (int) w;
	/* first digit = floor(|v| / 10000^w) mod 10000 */
	mpz_t t;
	mpz_init(t);
	mpz_abs(t, coef);
	long shift = (long) dscale + w * DEC_DIGITS;	/* v/10^(4w) = coef / 10^(dscale+4w) */
	if (shift >= 0) {
		mpz_t p;
		mpz_init(p);
		mpz_ui_pow_ui(p, 10, (unsigned long) shift);
		mpz_tdiv_q(t, t, p);
		mpz_clear(p);
	} else
		mul_pow10(t, t, (unsigned long) -shift);
	*firstdigit = (int) mpz_fdiv_ui(t, NBASE);
	mpz_clear(t);
}

/* ---- text I/O ----------------------------------------------------------- */

static cm_status bad_syntax(cm_error *err, const char *s, size_t len)
{
	return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION,
						"invalid input syntax for type numeric: \"%.*s\"", (int) len, s);
}

static bool word_eq(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t) (end - p) < n || strncasecmp(p, w, n) != 0)
		return false;
	p += n;
	while (p < end && isspace((unsigned char) *p))
		p++;
	return p == end;
}

cm_status sem_num_in(cm_arena *a, const char *s, size_t len, int32_t typmod,
					 sem_numeric **out, cm_error *err)
{
	const char *p = s, *end = s + len;
	while (p < end && isspace((unsigned char) *p))
		p++;
	if (word_eq(p, end, "nan")) {
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	{
		const char *q = p;
		bool neg = false;
		if (q < end && (*q == '+' || *q == '-')) {
			neg = *q == '-';
			q++;
		}
		if (word_eq(q, end, "infinity") || word_eq(q, end, "inf")) {
			sem_numeric *n = num_special(a, neg ? SEM_NUM_NINF : SEM_NUM_PINF);
			return sem_num_apply_typmod(a, n, typmod, out, err);
		}
	}
	bool neg = false;
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	char *digits = cm_alloc(a, len + 1);
	size_t nd = 0;
	int dscale = 0;
	bool seen_point = false, have_digit = false;
	while (p < end) {
		if (isdigit((unsigned char) *p)) {
			digits[nd++] = *p;
			have_digit = true;
			if (seen_point)
				dscale++;
		} else if (*p == '.' && !seen_point)
			seen_point = true;
		else
			break;
		p++;
	}
	if (!have_digit)
		return bad_syntax(err, s, len);
	long exponent = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = false;
		if (p < end && (*p == '+' || *p == '-')) {
			eneg = *p == '-';
			p++;
		}
		if (p >= end || !isdigit((unsigned char) *p))
			return bad_syntax(err, s, len);
		while (p < end && isdigit((unsigned char) *p)) {
			exponent = exponent * 10 + (*p - '0');
			if (exponent > SEM_NUM_MAX_PRECISION)
				return bad_syntax(err, s, len);
			p++;
		}
		if (eneg)
			exponent = -exponent;
	}
	while (p < end && isspace((unsigned char) *p))
		p++;
	if (p != end)
		return bad_syntax(err, s, len);
	digits[nd] = '\0';
	mpz_t v;
	mpz_init_set_str(v, digits, 10);
	long ds = (long) dscale - exponent;
	if (ds < 0) {
		mul_pow10(v, v, (unsigned long) -ds);
		ds = 0;
	}
	if (neg)
		mpz_neg(v, v);
	if (ds > SEM_NUM_MAX_DSCALE) {
		mpz_clear(v);
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
	}
	sem_numeric *n = num_store(a, v, (int) ds);
	mpz_clear(v);
	return sem_num_apply_typmod(a, n, typmod, out, err);
}

void sem_num_out(const sem_numeric *n, cm_buf *out)
{
	switch (n->kind) {
	case SEM_NUM_NAN:
		cm_buf_puts(out, "NaN");
		return;
	case SEM_NUM_PINF:
		cm_buf_puts(out, "Infinity");
		return;
	case SEM_NUM_NINF:
		cm_buf_puts(out, "-Infinity");
		return;
	default:
		break;
	}
	mpz_t v;
	num_view(v, n);
	char *str = mpz_get_str(NULL, 10, v);
	const char *d = str;
	if (*d == '-') {
		cm_buf_putc(out, '-');
		d++;
	}
	size_t nd = strlen(d);
	size_t ds = n->dscale;
	if (nd <= ds) {
		cm_buf_putc(out, '0');
		if (ds > 0) {
			cm_buf_putc(out, '.');
			for (size_t i = nd; i < ds; i++)
				cm_buf_putc(out, '0');
			cm_buf_append(out, d, nd);
		}
	} else {
		cm_buf_append(out, d, nd - ds);
		if (ds > 0) {
			cm_buf_putc(out, '.');
			cm_buf_append(out, d + nd - ds, ds);
		}
	}
	void (*freefn)(void *, size_t);
	mp_get_memory_functions(NULL, NULL, &freefn);
	freefn(str, strlen(str) + 1);
}

char *sem_num_to_cstring(cm_arena *a, const sem_numeric *n)
{
	cm_buf b;
	cm_buf_init(&b);
	sem_num_out(n, &b);
	char *r = cm_strndup(a, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return r;
}

/* ---- typmod --------------------------------------------------------------- */

cm_status sem_num_apply_typmod(cm_arena *a, const sem_numeric *n, int32_t typmod,
							   sem_numeric **out, cm_error *err)
{
	if (typmod < 4) {
		*out = (sem_numeric *) n;
		return CM_OK;
	}
	int precision = sem_num_typmod_precision(typmod);
	int scale = sem_num_typmod_scale(typmod);
	int maxdigits = precision - scale;
	if (n->kind == SEM_NUM_NAN) {
		*out = (sem_numeric *) n;
		return CM_OK;
	}
	if (n->kind != SEM_NUM_FINITE) {
		cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
		cm_error_detail(err, "A field with precision %d, scale %d cannot hold an infinite value.",
						precision, scale);
		return CM_ERROR;
	}
	mpz_t v, r;
	num_view(v, n);
	mpz_init(r);
	rescale(r, v, n->dscale, scale, true);
	int rscale = scale;
	if (mpz_sgn(r) != 0) {
		/* |value| must be < 10^maxdigits, i.e. |r| < 10^(maxdigits+scale) */
		long e = dec_exponent(r, rscale);
		if (e >= maxdigits) {
			mpz_clear(r);
			cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
			cm_error_detail(err, "A field with precision %d, scale %d must round to an absolute value less than %s%d.",
							precision, scale, maxdigits ? "10^" : "", maxdigits ? maxdigits : 1);
			return CM_ERROR;
		}
	}
	if (rscale < 0) {
		mul_pow10(r, r, (unsigned long) -rscale);
		rscale = 0;
	}
	*out = num_store(a, r, rscale);
	mpz_clear(r);
	return CM_OK;
}

/* ---- binary I/O ----------------------------------------------------------- */

#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_NAN 0xC000
#define NUMERIC_PINF 0xD000
#define NUMERIC_NINF 0xF000

void sem_num_send(const sem_numeric *n, cm_buf *out)
{
	if (n->kind != SEM_NUM_FINITE) {
		uint16_t sign = n->kind == SEM_NUM_NAN ? NUMERIC_NAN : n->kind == SEM_NUM_PINF ? NUMERIC_PINF : NUMERIC_NINF;
		cm_buf_put_u16be(out, 0);
		cm_buf_put_u16be(out, 0);
		cm_buf_put_u16be(out, sign);
		/* PostgreSQL reads the dscale bits of the special header: 0 for NaN, 32 for inf */
		cm_buf_put_u16be(out, n->kind == SEM_NUM_NAN ? 0 : 32);
		return;
	}
	mpz_t v;
	num_view(v, n);
	if (mpz_sgn(v) == 0) {
		cm_buf_put_u16be(out, 0);
		cm_buf_put_u16be(out, 0);
		cm_buf_put_u16be(out, NUMERIC_POS);
		cm_buf_put_u16be(out, n->dscale);
		return;
	}
	/* Align to a multiple of DEC_DIGITS fractional digits: coef' = |coef| * 10^pad */
	int ds = n->dscale;
	int fracd = ((ds + DEC_DIGITS - 1) / DEC_DIGITS) * DEC_DIGITS;
	mpz_t t;
	mpz_init(t);
	mpz_abs(t, v);
	mul_pow10(t, t, (unsigned long) (fracd - ds));
	/* base-10000 digits, least significant first */
	size_t cap = mpz_sizeinbase(t, 10) / DEC_DIGITS + 2;
	uint16_t *dg = malloc(cap * sizeof(uint16_t));
	size_t nd = 0;
	while (mpz_sgn(t) != 0)
		dg[nd++] = (uint16_t) mpz_fdiv_q_ui(t, t, NBASE);
	mpz_clear(t);
	int weight = (int) nd - 1 - fracd / DEC_DIGITS;
	/* strip trailing (least significant) zero digits */
	size_t lo = 0;
	while (lo < nd && dg[lo] == 0)
		lo++;
	cm_buf_put_u16be(out, (uint16_t) (nd - lo));
	cm_buf_put_u16be(out, (uint16_t) (int16_t) weight);
	cm_buf_put_u16be(out, n->neg ? NUMERIC_NEG : NUMERIC_POS);
	cm_buf_put_u16be(out, n->dscale);
	for (size_t i = nd; i > lo; i--)
		cm_buf_put_u16be(out, dg[i - 1]);
	free(dg);
}

static uint16_t rd16(const char *p)
{
	return (uint16_t) (((uint8_t) p[0] << 8) | (uint8_t) p[1]);
}

cm_status sem_num_recv(cm_arena *a, const char *p, size_t len, int32_t typmod,
					   sem_numeric **out, cm_error *err)
{
	if (len < 8)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "insufficient data left in message");
	int ndigits = rd16(p);
	int weight = (int16_t) rd16(p + 2);
	int sign = rd16(p + 4);
	int dscale = rd16(p + 6);
	if (len < 8 + 2 * (size_t) ndigits)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "insufficient data left in message");
	if (len > 8 + 2 * (size_t) ndigits)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION,
							"incorrect binary data format in bind parameter");
	if (sign != NUMERIC_POS && sign != NUMERIC_NEG && sign != NUMERIC_NAN &&
		sign != NUMERIC_PINF && sign != NUMERIC_NINF)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "invalid sign in external \"numeric\" value");
	if ((dscale & 0x3FFF) != dscale)
		return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "invalid scale in external \"numeric\" value");
	mpz_t v;
	mpz_init(v);
	for (int i = 0; i < ndigits; i++) {
		int d = rd16(p + 8 + 2 * i);
		if (d >= NBASE) {
			mpz_clear(v);
			return cm_error_set(err, CM_E_INVALID_BINARY_REPRESENTATION, "invalid digit in external \"numeric\" value");
		}
		mpz_mul_ui(v, v, NBASE);
		mpz_add_ui(v, v, (unsigned long) d);
	}
	if (sign == NUMERIC_NAN || sign == NUMERIC_PINF || sign == NUMERIC_NINF) {
		mpz_clear(v);
		sem_numeric *n = num_special(a, sign == NUMERIC_NAN ? SEM_NUM_NAN : sign == NUMERIC_PINF ? SEM_NUM_PINF : SEM_NUM_NINF);
		return sem_num_apply_typmod(a, n, typmod, out, err);
	}
	/* value = v * 10000^(weight - ndigits + 1); scale of v = -4*(weight-ndigits+1) */
	long vscale = -(long) DEC_DIGITS * (weight - ndigits + 1);
	mpz_t r;
	mpz_init(r);
	if (ndigits == 0)
		vscale = dscale;
	rescale(r, v, (int) vscale, dscale, false);		/* trunc_var to dscale */
	if (sign == NUMERIC_NEG)
		mpz_neg(r, r);
	sem_numeric *n = num_store(a, r, dscale);
	mpz_clears(v, r, NULL);
	return sem_num_apply_typmod(a, n, typmod, out, err);
}

/* ---- conversions ------------------------------------------------------------ */

sem_numeric *sem_num_from_int(cm_arena *a, int64_t iv)
{
	mpz_t v;
	mpz_init(v);
	if (iv < 0) {
		mpz_set_ui(v, (unsigned long) (-(iv + 1)) + 1UL);
		mpz_neg(v, v);
	} else
		mpz_set_ui(v, (unsigned long) iv);
	sem_numeric *n = num_store(a, v, 0);
	mpz_clear(v);
	return n;
}

cm_status sem_num_to_int(const sem_numeric *n, int64_t min, int64_t max, const char *tname,
						 int64_t *out, cm_error *err)
{
	if (n->kind == SEM_NUM_NAN)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cannot convert NaN to %s", tname);
	if (n->kind != SEM_NUM_FINITE)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "cannot convert infinity to %s", tname);
	mpz_t v, r;
	num_view(v, n);
	mpz_init(r);
	rescale(r, v, n->dscale, 0, true);
	bool ok = mpz_fits_slong_p(r);
	long l = ok ? mpz_get_si(r) : 0;
	mpz_clear(r);
	if (!ok || l < min || l > max)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "%s out of range", tname);
	*out = l;
	return CM_OK;
}

cm_status sem_num_from_double(cm_arena *a, double d, bool is_float4, sem_numeric **out, cm_error *err)
{
	if (isnan(d)) {
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	if (isinf(d)) {
		*out = num_special(a, d > 0 ? SEM_NUM_PINF : SEM_NUM_NINF);
		return CM_OK;
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%.*g", is_float4 ? FLT_DIG : DBL_DIG, d);
	return sem_num_in(a, buf, strlen(buf), -1, out, err);
}

double sem_num_to_double(const sem_numeric *n)
{
	switch (n->kind) {
	case SEM_NUM_NAN:
		return NAN;
	case SEM_NUM_PINF:
		return INFINITY;
	case SEM_NUM_NINF:
		return -INFINITY;
	default:
		break;
	}
	cm_buf b;
	cm_buf_init(&b);
	sem_num_out(n, &b);
	double d = strtod(b.data, NULL);
	cm_buf_free(&b);
	return d;
}

/* ---- comparison -------------------------------------------------------------- */

static int kind_rank(const sem_numeric *n)
{
	switch (n->kind) {
	case SEM_NUM_NINF: return -1;
	case SEM_NUM_PINF: return 1;
	case SEM_NUM_NAN: return 2;
	default: return 0;
	}
}

int sem_num_cmp(const sem_numeric *x, const sem_numeric *y)
{
	int kx = kind_rank(x), ky = kind_rank(y);
	if (kx != 0 || ky != 0)
		return kx < ky ? -1 : kx > ky ? 1 : 0;
	mpz_t a, b;
	num_view(a, x);
	num_view(b, y);
	if (x->dscale == y->dscale)
		return mpz_cmp(a, b) < 0 ? -1 : mpz_cmp(a, b) > 0 ? 1 : 0;
	mpz_t t;
	mpz_init(t);
	int c;
	if (x->dscale < y->dscale) {
		mul_pow10(t, a, y->dscale - x->dscale);
		c = mpz_cmp(t, b);
	} else {
		mul_pow10(t, b, x->dscale - y->dscale);
		c = mpz_cmp(a, t);
	}
	mpz_clear(t);
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* ---- arithmetic ---------------------------------------------------------------- */

static int sign_of(const sem_numeric *n)
{
	if (n->kind == SEM_NUM_PINF) return 1;
	if (n->kind == SEM_NUM_NINF) return -1;
	if (n->nlimbs == 0) return 0;
	return n->neg ? -1 : 1;
}

static sem_numeric *addsub(cm_arena *a, const sem_numeric *x, const sem_numeric *y, bool sub)
{
	if (x->kind == SEM_NUM_NAN || y->kind == SEM_NUM_NAN)
		return num_special(a, SEM_NUM_NAN);
	if (sem_num_is_inf(x) || sem_num_is_inf(y)) {
		int sx = sem_num_is_inf(x) ? sign_of(x) : 0;
		int sy = sem_num_is_inf(y) ? sign_of(y) : 0;
		if (sub)
			sy = -sy;
		if (sx && sy && sx != sy)
			return num_special(a, SEM_NUM_NAN);
		int s = sx ? sx : sy;
		return num_special(a, s > 0 ? SEM_NUM_PINF : SEM_NUM_NINF);
	}
	mpz_t u, v, r, t;
	num_view(u, x);
	num_view(v, y);
	mpz_inits(r, t, NULL);
	int ds = x->dscale > y->dscale ? x->dscale : y->dscale;
	if (x->dscale < ds) {
		mul_pow10(t, u, ds - x->dscale);
		if (sub) mpz_sub(r, t, v); else mpz_add(r, t, v);
	} else if (y->dscale < ds) {
		mul_pow10(t, v, ds - y->dscale);
		if (sub) mpz_sub(r, u, t); else mpz_add(r, u, t);
	} else {
		if (sub) mpz_sub(r, u, v); else mpz_add(r, u, v);
	}
	sem_numeric *n = num_store(a, r, ds);
	mpz_clears(r, t, NULL);
	return n;
}

sem_numeric *sem_num_add(cm_arena *a, const sem_numeric *x, const sem_numeric *y)
{
	return addsub(a, x, y, false);
}

sem_numeric *sem_num_sub(cm_arena *a, const sem_numeric *x, const sem_numeric *y)
{
	return addsub(a, x, y, true);
}

sem_numeric *sem_num_mul(cm_arena *a, const sem_numeric *x, const sem_numeric *y)
{
	if (x->kind == SEM_NUM_NAN || y->kind == SEM_NUM_NAN)
		return num_special(a, SEM_NUM_NAN);
	if (sem_num_is_inf(x) || sem_num_is_inf(y)) {
		int s = sign_of(x) * sign_of(y);
		if (s == 0)
			return num_special(a, SEM_NUM_NAN);
		return num_special(a, s > 0 ? SEM_NUM_PINF : SEM_NUM_NINF);
	}
	mpz_t u, v, r;
	num_view(u, x);
	num_view(v, y);
	mpz_init(r);
	mpz_mul(r, u, v);
	int ds = x->dscale + y->dscale;
	sem_numeric *n;
	if (ds > SEM_NUM_MAX_DSCALE) {
		mpz_t q;
		mpz_init(q);
		rescale(q, r, ds, SEM_NUM_MAX_DSCALE, true);
		n = num_store(a, q, SEM_NUM_MAX_DSCALE);
		mpz_clear(q);
	} else
		n = num_store(a, r, ds);
	mpz_clear(r);
	return n;
}

/* PostgreSQL's select_div_scale(). */
static int select_div_scale(const sem_numeric *x, const sem_numeric *y)
{
	int w1 = 0, f1 = 0, w2 = 0, f2 = 0;
	mpz_t u, v;
	num_view(u, x);
	num_view(v, y);
	if (mpz_sgn(u) != 0)
		num_nbase_weight(u, x->dscale, &w1, &f1);
	if (mpz_sgn(v) != 0)
		num_nbase_weight(v, y->dscale, &w2, &f2);
	int qweight = w1 - w2;
	if (f1 <= f2)
		qweight--;
	int rscale = SEM_NUM_MIN_SIG_DIGITS - qweight * DEC_DIGITS;
	if (rscale < x->dscale) rscale = x->dscale;
	if (rscale < y->dscale) rscale = y->dscale;
	if (rscale < 0) rscale = 0;
	if (rscale > SEM_NUM_MAX_DISPLAY_SCALE) rscale = SEM_NUM_MAX_DISPLAY_SCALE;
	return rscale;
}

/* r = x / y at scale rscale (rounded or truncated); y finite nonzero. */
static void div_at_scale(mpz_t r, const sem_numeric *x, const sem_numeric *y, int rscale, bool round)
{
	mpz_t u, v, num, den;
	num_view(u, x);
	num_view(v, y);
	mpz_inits(num, den, NULL);
	/* x/y = (u/10^d1)/(v/10^d2);  r = x/y*10^rscale = u*10^(rscale+d2) / (v*10^d1) */
	mul_pow10(num, u, (unsigned long) (rscale + y->dscale));
	mul_pow10(den, v, x->dscale);
	if (round)
		div_round(r, num, den);
	else
		mpz_tdiv_q(r, num, den);
	mpz_clears(num, den, NULL);
}

static cm_status div_special(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
							 bool trunc, sem_numeric **out, cm_error *err, bool *done)
{
	*done = true;
	if (x->kind == SEM_NUM_NAN || y->kind == SEM_NUM_NAN) {
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	if (sem_num_is_inf(x)) {
		if (sem_num_is_inf(y)) {
			*out = num_special(a, SEM_NUM_NAN);
			return CM_OK;
		}
		int s = sign_of(y);
		if (s == 0)
			return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
		*out = num_special(a, s * sign_of(x) > 0 ? SEM_NUM_PINF : SEM_NUM_NINF);
		return CM_OK;
	}
	if (sem_num_is_inf(y)) {
		*out = sem_num_from_int(a, 0);
		return CM_OK;
	}
	if (sem_num_is_zero(y))
		return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
	*done = false;
	return CM_OK;
}

cm_status sem_num_div(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
					  sem_numeric **out, cm_error *err)
{
	bool done;
	if (div_special(a, x, y, false, out, err, &done) != CM_OK)
		return CM_ERROR;
	if (done)
		return CM_OK;
	int rscale = select_div_scale(x, y);
	mpz_t r;
	mpz_init(r);
	div_at_scale(r, x, y, rscale, true);
	*out = num_store(a, r, rscale);
	mpz_clear(r);
	return CM_OK;
}

cm_status sem_num_div_trunc(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
							sem_numeric **out, cm_error *err)
{
	bool done;
	if (div_special(a, x, y, true, out, err, &done) != CM_OK)
		return CM_ERROR;
	if (done) {
		/* div(): infinite quotients stay, others truncate to integers */
		return CM_OK;
	}
	mpz_t r;
	mpz_init(r);
	div_at_scale(r, x, y, 0, false);
	*out = num_store(a, r, 0);
	mpz_clear(r);
	return CM_OK;
}

cm_status sem_num_mod(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
					  sem_numeric **out, cm_error *err)
{
	if (x->kind == SEM_NUM_NAN || y->kind == SEM_NUM_NAN) {
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	if (sem_num_is_inf(x)) {
		if (sem_num_is_zero(y))
			return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	if (sem_num_is_inf(y)) {
		*out = (sem_numeric *) x;
		return CM_OK;
	}
	if (sem_num_is_zero(y))
		return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
	mpz_t u, v, uu, vv, r;
	num_view(u, x);
	num_view(v, y);
	mpz_inits(uu, vv, r, NULL);
	int ds = x->dscale > y->dscale ? x->dscale : y->dscale;
	mul_pow10(uu, u, ds - x->dscale);
	mul_pow10(vv, v, ds - y->dscale);
	mpz_tdiv_r(r, uu, vv);
	*out = num_store(a, r, ds);
	mpz_clears(uu, vv, r, NULL);
	return CM_OK;
}

sem_numeric *sem_num_neg(cm_arena *a, const sem_numeric *x)
{
	if (x->kind == SEM_NUM_PINF)
		return num_special(a, SEM_NUM_NINF);
	if (x->kind == SEM_NUM_NINF)
		return num_special(a, SEM_NUM_PINF);
	if (x->kind == SEM_NUM_NAN)
		return (sem_numeric *) x;
	sem_numeric *n = cm_memdup(a, x, sizeof(sem_numeric) + (size_t) x->nlimbs * sizeof(uint64_t));
	n->neg = x->nlimbs ? !x->neg : false;
	return n;
}

sem_numeric *sem_num_abs(cm_arena *a, const sem_numeric *x)
{
	if (x->kind == SEM_NUM_NINF)
		return num_special(a, SEM_NUM_PINF);
	if (x->kind != SEM_NUM_FINITE || !x->neg)
		return (sem_numeric *) x;
	return sem_num_neg(a, x);
}

static sem_numeric *round_or_trunc(cm_arena *a, const sem_numeric *x, int scale, bool round)
{
	if (x->kind != SEM_NUM_FINITE)
		return (sem_numeric *) x;
	if (scale > NUMERIC_MAX_RESULT_SCALE) scale = NUMERIC_MAX_RESULT_SCALE;
	if (scale < -NUMERIC_MAX_RESULT_SCALE) scale = -NUMERIC_MAX_RESULT_SCALE;
	mpz_t v, r;
	num_view(v, x);
	mpz_init(r);
	int ds;
	if (scale >= x->dscale) {
		mul_pow10(r, v, (unsigned long) (scale - x->dscale));
		ds = scale;
	} else {
		rescale(r, v, x->dscale, scale, round);
		ds = scale;
		if (scale < 0) {
			mul_pow10(r, r, (unsigned long) -scale);
			ds = 0;
		}
	}
	sem_numeric *n = num_store(a, r, ds);
	mpz_clear(r);
	return n;
}

sem_numeric *sem_num_round(cm_arena *a, const sem_numeric *x, int scale)
{
	return round_or_trunc(a, x, scale, true);
}

sem_numeric *sem_num_trunc(cm_arena *a, const sem_numeric *x, int scale)
{
	return round_or_trunc(a, x, scale, false);
}

static sem_numeric *ceil_floor(cm_arena *a, const sem_numeric *x, bool ceil)
{
	if (x->kind != SEM_NUM_FINITE)
		return (sem_numeric *) x;
	mpz_t v, p, r;
	num_view(v, x);
	mpz_inits(p, r, NULL);
	mpz_ui_pow_ui(p, 10, x->dscale);
	if (ceil)
		mpz_cdiv_q(r, v, p);
	else
		mpz_fdiv_q(r, v, p);
	sem_numeric *n = num_store(a, r, 0);
	mpz_clears(p, r, NULL);
	return n;
}

sem_numeric *sem_num_ceil(cm_arena *a, const sem_numeric *x) { return ceil_floor(a, x, true); }
sem_numeric *sem_num_floor(cm_arena *a, const sem_numeric *x) { return ceil_floor(a, x, false); }

sem_numeric *sem_num_sign(cm_arena *a, const sem_numeric *x)
{
	if (x->kind == SEM_NUM_NAN)
		return (sem_numeric *) x;
	return sem_num_from_int(a, sign_of(x));
}

int sem_num_scale(const sem_numeric *x)
{
	return x->dscale;
}

/* ---- sqrt, ln, exp, power ------------------------------------------------------
 *
 * Transcendental functions run in fixed point: an mpz F stands for F*10^-W.
 * The working scale W carries enough guard digits that rounding the result
 * to PostgreSQL's rscale gives its digits.
 */

static long estimate_ln_dweight(const sem_numeric *x)
{
	if (x->kind != SEM_NUM_FINITE || x->neg || x->nlimbs == 0)
		return 0;
	mpz_t v;
	num_view(v, x);
	/* 0.9 <= x <= 1.1 : dweight of x - 1 */
	mpz_t p, lo, hi, d;
	mpz_inits(p, lo, hi, d, NULL);
	mpz_ui_pow_ui(p, 10, x->dscale);
	long res = 0;
	if (x->dscale >= 1) {
		mpz_ui_pow_ui(lo, 10, x->dscale - 1);
		mpz_mul_ui(hi, lo, 11);
		mpz_mul_ui(lo, lo, 9);
	} else {
		mpz_set_ui(lo, 1);		/* integers: only 1 itself is in range */
		mpz_set_ui(hi, 1);
	}
	if (mpz_cmp(v, lo) >= 0 && mpz_cmp(v, hi) <= 0) {
		mpz_sub(d, v, p);
		if (mpz_sgn(d) != 0)
			res = dec_exponent(d, x->dscale);
		else
			res = 0;
	} else {
		/* PostgreSQL: up to 8 leading digits in two NBASE digits */
		int w, fd;
		num_nbase_weight(v, x->dscale, &w, &fd);
		/* digits of |v| / 10000^(w-1), truncated */
		mpz_t t;
		mpz_init(t);
		long shift = (long) x->dscale + (long) (w - 1) * DEC_DIGITS;
		if (shift >= 0) {
			mpz_ui_pow_ui(d, 10, (unsigned long) shift);
			mpz_tdiv_q(t, v, d);
		} else
			mul_pow10(t, v, (unsigned long) -shift);
		double digits;
		long dweight;
		{
			/* ndigits > 1 iff value is not first-digit * 10000^w exactly */
			mpz_t first, back;
			mpz_inits(first, back, NULL);
			mpz_set_ui(first, (unsigned long) fd);
			long sh = (long) x->dscale + (long) w * DEC_DIGITS;
			if (sh >= 0)
				mul_pow10(back, first, (unsigned long) sh);
			else {
				mpz_ui_pow_ui(d, 10, (unsigned long) -sh);
				mpz_tdiv_q(back, first, d);
			}
			bool single = mpz_cmp(back, v) == 0;
			mpz_clears(first, back, NULL);
			if (single) {
				digits = fd;
				dweight = (long) w * DEC_DIGITS;
			} else {
				digits = (double) mpz_fdiv_ui(t, (unsigned long) NBASE * NBASE);
				dweight = (long) (w - 1) * DEC_DIGITS;
			}
		}
		mpz_clear(t);
		double lnv = log(digits) + (double) dweight * 2.302585092994046;
		res = (long) log10(fabs(lnv));
	}
	mpz_clears(p, lo, hi, d, NULL);
	return res;
}

/* F = x at fixed scale W (truncated) */
static void to_fixed(mpz_t f, const sem_numeric *x, long W)
{
	mpz_t v;
	num_view(v, x);
	rescale(f, v, x->dscale, (int) W, false);
}

/* fixed-point multiply: r = a*b / 10^W */
static void fx_mul(mpz_t r, const mpz_t a, const mpz_t b, const mpz_t one)
{
	mpz_mul(r, a, b);
	mpz_tdiv_q(r, r, one);
}

/* ln of a positive fixed-point value F (scale W) into R (scale W). */
static void fx_ln(mpz_t R, const mpz_t F, long W)
{
	mpz_t one, x, t, num, den, y, y2, term, sum;
	mpz_inits(one, x, t, num, den, y, y2, term, sum, NULL);
	mpz_ui_pow_ui(one, 10, (unsigned long) W);
	mpz_set(x, F);
	/* bring x into [0.5, 2] by powers of 2 (k) */
	long k = 0;
	mpz_mul_2exp(t, one, 1);
	while (mpz_cmp(x, t) > 0) {
		mpz_tdiv_q_2exp(x, x, 1);
		k++;
	}
	mpz_tdiv_q_2exp(t, one, 1);
	while (mpz_cmp(x, t) < 0) {
		mpz_mul_2exp(x, x, 1);
		k--;
	}
	/* square roots until |x-1| < 0.01 */
	int nsq = 0;
	mpz_tdiv_q_ui(t, one, 100);
	for (;;) {
		mpz_sub(num, x, one);
		if (mpz_cmpabs(num, t) < 0)
			break;
		mpz_mul(y, x, one);
		mpz_sqrt(x, y);
		nsq++;
	}
	/* ln(x) = 2 atanh(y), y = (x-1)/(x+1) */
	mpz_sub(num, x, one);
	mpz_add(den, x, one);
	mpz_mul(y, num, one);
	mpz_tdiv_q(y, y, den);
	fx_mul(y2, y, y, one);
	mpz_set(term, y);
	mpz_set(sum, y);
	for (unsigned long n = 3;; n += 2) {
		fx_mul(term, term, y2, one);
		if (mpz_sgn(term) == 0)
			break;
		mpz_tdiv_q_ui(t, term, n);
		if (mpz_sgn(t) == 0)
			break;
		mpz_add(sum, sum, t);
	}
	mpz_mul_2exp(sum, sum, (unsigned long) nsq + 1);
	mpz_set(R, sum);
	if (k != 0) {
		/* + k*ln 2 */
		mpz_t ln2, two;
		mpz_inits(ln2, two, NULL);
		mpz_mul_2exp(two, one, 1);
		fx_ln(ln2, two, W);
		mpz_mul_si(ln2, ln2, k);
		mpz_add(R, R, ln2);
		mpz_clears(ln2, two, NULL);
	}
	mpz_clears(one, x, t, num, den, y, y2, term, sum, NULL);
}

/* exp of fixed-point Y (scale W) into R (scale W). */
static void fx_exp(mpz_t R, const mpz_t Y, long W)
{
	mpz_t one, x, term, sum, t;
	mpz_inits(one, x, term, sum, t, NULL);
	mpz_ui_pow_ui(one, 10, (unsigned long) W);
	mpz_set(x, Y);
	int k = 0;
	mpz_tdiv_q_ui(t, one, 100);
	while (mpz_cmpabs(x, t) > 0) {
		mpz_tdiv_q_2exp(x, x, 1);
		k++;
	}
	mpz_set(sum, one);
	mpz_set(term, one);
	for (unsigned long n = 1;; n++) {
		fx_mul(term, term, x, one);
		mpz_tdiv_q_ui(term, term, n);
		if (mpz_sgn(term) == 0)
			break;
		mpz_add(sum, sum, term);
	}
	for (int i = 0; i < k; i++)
		fx_mul(sum, sum, sum, one);
	mpz_set(R, sum);
	mpz_clears(one, x, term, sum, t, NULL);
}

static sem_numeric *fixed_result(cm_arena *a, const mpz_t F, long W, int rscale)
{
	mpz_t r;
	mpz_init(r);
	rescale(r, F, (int) W, rscale, true);
	sem_numeric *n = num_store(a, r, rscale);
	mpz_clear(r);
	return n;
}

static int clamp_rscale(long rscale, int d1, int d2)
{
	if (rscale < d1) rscale = d1;
	if (rscale < d2) rscale = d2;
	if (rscale < 0) rscale = 0;
	if (rscale > SEM_NUM_MAX_DISPLAY_SCALE) rscale = SEM_NUM_MAX_DISPLAY_SCALE;
	return (int) rscale;
}

cm_status sem_num_sqrt(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err)
{
	if (x->kind == SEM_NUM_NAN || x->kind == SEM_NUM_PINF) {
		*out = (sem_numeric *) x;
		return CM_OK;
	}
	if (x->kind == SEM_NUM_NINF || (x->neg && x->nlimbs))
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
							"cannot take square root of a negative number");
	mpz_t v;
	num_view(v, x);
	int weight = 0, fd;
	if (mpz_sgn(v) != 0)
		num_nbase_weight(v, x->dscale, &weight, &fd);
	int sweight = (weight + 1) * DEC_DIGITS / 2 - 1;
	int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS - sweight, x->dscale, 0);
	/* X = v * 10^(2 rscale) = coef * 10^(2rscale - dscale) */
	mpz_t X, s, t;
	mpz_inits(X, s, t, NULL);
	mul_pow10(X, v, (unsigned long) (2 * rscale - x->dscale));
	mpz_sqrt(s, X);
	/* round half up: if 4X >= (2s+1)^2 then s+1 */
	mpz_mul_2exp(t, s, 1);
	mpz_add_ui(t, t, 1);
	mpz_mul(t, t, t);
	mpz_mul_2exp(X, X, 2);
	if (mpz_cmp(X, t) >= 0)
		mpz_add_ui(s, s, 1);
	*out = num_store(a, s, rscale);
	mpz_clears(X, s, t, NULL);
	return CM_OK;
}

cm_status sem_num_ln(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err)
{
	if (x->kind == SEM_NUM_NAN || x->kind == SEM_NUM_PINF) {
		*out = (sem_numeric *) x;
		return CM_OK;
	}
	if (x->kind == SEM_NUM_NINF || x->neg)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number");
	if (x->nlimbs == 0)
		return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero");
	long dw = estimate_ln_dweight(x);
	int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS - dw, x->dscale, 0);
	long W = rscale + 20;
	mpz_t v;
	num_view(v, x);
	long e = dec_exponent(v, x->dscale);
	if (e < 0)
		W += -e;
	mpz_t F, R;
	mpz_inits(F, R, NULL);
	to_fixed(F, x, W);
	fx_ln(R, F, W);
	*out = fixed_result(a, R, W, rscale);
	mpz_clears(F, R, NULL);
	return CM_OK;
}

cm_status sem_num_log(cm_arena *a, const sem_numeric *base, const sem_numeric *x,
					  sem_numeric **out, cm_error *err)
{
	if (base->kind == SEM_NUM_NAN || x->kind == SEM_NUM_NAN) {
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	const sem_numeric *chk[2] = {base, x};
	for (int i = 0; i < 2; i++) {
		if (chk[i]->kind == SEM_NUM_NINF || (chk[i]->kind == SEM_NUM_FINITE && chk[i]->neg))
			return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of a negative number");
		if (sem_num_is_zero(chk[i]))
			return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero");
	}
	if (base->kind == SEM_NUM_PINF) {
		if (x->kind == SEM_NUM_PINF) {
			*out = num_special(a, SEM_NUM_NAN);
			return CM_OK;
		}
		*out = sem_num_from_int(a, 0);
		return CM_OK;
	}
	if (x->kind == SEM_NUM_PINF) {
		*out = (sem_numeric *) x;
		return CM_OK;
	}
	long rdw = estimate_ln_dweight(x) - estimate_ln_dweight(base);
	int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS - rdw, base->dscale, x->dscale);
	mpz_t v1, v2;
	num_view(v1, base);
	num_view(v2, x);
	long W = rscale + 30;
	long e1 = dec_exponent(v1, base->dscale), e2 = dec_exponent(v2, x->dscale);
	if (e1 < 0) W += -e1;
	if (e2 < 0) W += -e2;
	mpz_t F1, F2, L1, L2, R;
	mpz_inits(F1, F2, L1, L2, R, NULL);
	to_fixed(F1, base, W);
	to_fixed(F2, x, W);
	fx_ln(L1, F1, W);
	fx_ln(L2, F2, W);
	if (mpz_sgn(L1) == 0) {
		mpz_clears(F1, F2, L1, L2, R, NULL);
		return cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
	}
	/* R = L2/L1 at scale W */
	mpz_ui_pow_ui(R, 10, (unsigned long) W);
	mpz_mul(L2, L2, R);
	div_round(R, L2, L1);
	*out = fixed_result(a, R, W, rscale);
	mpz_clears(F1, F2, L1, L2, R, NULL);
	return CM_OK;
}

cm_status sem_num_exp(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err)
{
	if (x->kind == SEM_NUM_NAN || x->kind == SEM_NUM_PINF) {
		*out = (sem_numeric *) x;
		return CM_OK;
	}
	if (x->kind == SEM_NUM_NINF) {
		*out = sem_num_from_int(a, 0);
		return CM_OK;
	}
	double val = sem_num_to_double(x) * 0.434294481903252;
	if (val > NUMERIC_MAX_RESULT_SCALE) val = NUMERIC_MAX_RESULT_SCALE;
	if (val < -NUMERIC_MAX_RESULT_SCALE) val = -NUMERIC_MAX_RESULT_SCALE;
	if (val >= NUMERIC_MAX_RESULT_SCALE * 3 / 2)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
	int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS - (int) val, x->dscale, 0);
	long W = rscale + 30 + (val > 0 ? (long) val : 0);
	mpz_t Y, R;
	mpz_inits(Y, R, NULL);
	to_fixed(Y, x, W);
	fx_exp(R, Y, W);
	*out = fixed_result(a, R, W, rscale);
	mpz_clears(Y, R, NULL);
	return CM_OK;
}

/* base^n for integer n at result scale rscale. */
static sem_numeric *power_int(cm_arena *a, const sem_numeric *base, long n, int rscale, cm_error *err, bool *fail)
{
	mpz_t v, num, den, r;
	num_view(v, base);
	mpz_inits(num, den, r, NULL);
	unsigned long un = (unsigned long) (n < 0 ? -n : n);
	mpz_pow_ui(num, v, un);				/* scale dscale*un */
	mpz_ui_pow_ui(den, 10, (unsigned long) base->dscale * un);
	sem_numeric *res;
	if (n >= 0) {
		/* value = num / den ; r = value*10^rscale */
		mpz_t t;
		mpz_init(t);
		mul_pow10(t, num, (unsigned long) rscale);
		div_round(r, t, den);
		mpz_clear(t);
	} else {
		if (mpz_sgn(num) == 0) {
			*fail = true;
			mpz_clears(num, den, r, NULL);
			cm_error_set(err, CM_E_DIVISION_BY_ZERO, "division by zero");
			return NULL;
		}
		/* value = den / num */
		mpz_t t;
		mpz_init(t);
		mul_pow10(t, den, (unsigned long) rscale);
		div_round(r, t, num);
		mpz_clear(t);
	}
	res = num_store(a, r, rscale);
	mpz_clears(num, den, r, NULL);
	return res;
}

static bool num_is_integral(const sem_numeric *x, long *out)
{
	mpz_t v, p, q, r;
	num_view(v, x);
	mpz_inits(p, q, r, NULL);
	mpz_ui_pow_ui(p, 10, x->dscale);
	mpz_tdiv_qr(q, r, v, p);
	bool ok = mpz_sgn(r) == 0;
	bool fits = ok && mpz_fits_slong_p(q);
	if (fits)
		*out = mpz_get_si(q);
	mpz_clears(p, q, r, NULL);
	return ok && fits;
}

cm_status sem_num_power(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
						sem_numeric **out, cm_error *err)
{
	/* special values, as numeric_power() in PostgreSQL 15 */
	if (x->kind == SEM_NUM_NAN || y->kind == SEM_NUM_NAN) {
		if (x->kind == SEM_NUM_NAN && y->kind == SEM_NUM_FINITE && y->nlimbs == 0) {
			*out = sem_num_from_int(a, 1);
			return CM_OK;
		}
		if (y->kind == SEM_NUM_NAN && x->kind == SEM_NUM_FINITE && x->nlimbs == 1 && !x->neg) {
			mpz_t v;
			num_view(v, x);
			mpz_t p;
			mpz_init(p);
			mpz_ui_pow_ui(p, 10, x->dscale);
			bool one = mpz_cmp(v, p) == 0;
			mpz_clear(p);
			if (one) {
				*out = sem_num_from_int(a, 1);
				return CM_OK;
			}
		}
		*out = num_special(a, SEM_NUM_NAN);
		return CM_OK;
	}
	if (x->kind == SEM_NUM_FINITE && y->kind == SEM_NUM_FINITE) {
		if (x->nlimbs == 0 && y->neg && y->nlimbs)
			return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
								"zero raised to a negative power is undefined");
		long n;
		bool yint = num_is_integral(y, &n);
		if (x->neg && x->nlimbs && !yint) {
			mpz_t v;
			num_view(v, y);
			/* integral but huge exponents are allowed by PostgreSQL; treat as non-int only if fractional */
			mpz_t p, r;
			mpz_inits(p, r, NULL);
			mpz_ui_pow_ui(p, 10, y->dscale);
			mpz_tdiv_r(r, v, p);
			bool frac = mpz_sgn(r) != 0;
			mpz_clears(p, r, NULL);
			if (frac)
				return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
									"a negative number raised to a non-integer power yields a complex result");
		}
		if (yint && n >= INT32_MIN && n <= INT32_MAX) {
			double f = 0;
			if (x->nlimbs) {
				double bx = fabs(sem_num_to_double(x));
				f = (double) n * log10(bx);
				if (!isfinite(bx) || bx == 0) {
					/* extreme magnitudes: recompute from the decimal exponent */
					mpz_t v;
					num_view(v, x);
					f = (double) n * (double) dec_exponent(v, x->dscale);
				}
			}
			if (f > (32767 + 1) * DEC_DIGITS)
				return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
			if (f + 1 < -SEM_NUM_MAX_DISPLAY_SCALE) {
				mpz_t z;
				mpz_init(z);
				*out = num_store(a, z, SEM_NUM_MAX_DISPLAY_SCALE);
				mpz_clear(z);
				return CM_OK;
			}
			/* PostgreSQL 15 power_var(): integer exponents use max(16, base dscale) */
			int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS, x->dscale, 0);
			if (n == 0) {
				mpz_t one;
				mpz_init(one);
				mpz_ui_pow_ui(one, 10, (unsigned long) rscale);
				*out = num_store(a, one, rscale);
				mpz_clear(one);
				return CM_OK;
			}
			bool fail = false;
			sem_numeric *r = power_int(a, x, n, rscale, err, &fail);
			if (fail)
				return CM_ERROR;
			*out = r;
			return CM_OK;
		}
		if (x->nlimbs == 0) {
			mpz_t z;
			mpz_init(z);
			*out = num_store(a, z, SEM_NUM_MIN_SIG_DIGITS);
			mpz_clear(z);
			return CM_OK;
		}
		/* general case: exp(y * ln|x|) */
		sem_numeric *ax = sem_num_abs(a, x);
		long lndw = estimate_ln_dweight(ax);
		double val = log(fabs(sem_num_to_double(x))) * sem_num_to_double(y);
		if (!isfinite(val) || fabs(val) > NUMERIC_MAX_RESULT_SCALE * 3.01) {
			if (val > 0 || isnan(val))
				return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format");
			mpz_t z;
			mpz_init(z);
			*out = num_store(a, z, SEM_NUM_MAX_DISPLAY_SCALE);
			mpz_clear(z);
			return CM_OK;
		}
		(void) lndw;
		val *= 0.434294481903252;
		int rscale = clamp_rscale(SEM_NUM_MIN_SIG_DIGITS - (int) val, x->dscale, y->dscale);
		long W = rscale + 40 + (val > 0 ? (long) val : 0);
		mpz_t v;
		num_view(v, ax);
		long e = dec_exponent(v, ax->dscale);
		if (e < 0)
			W += -e;
		mpz_t F, L, Y, P, R, one;
		mpz_inits(F, L, Y, P, R, one, NULL);
		mpz_ui_pow_ui(one, 10, (unsigned long) W);
		to_fixed(F, ax, W);
		fx_ln(L, F, W);
		to_fixed(Y, y, W);
		fx_mul(P, L, Y, one);
		fx_exp(R, P, W);
		if (x->neg && (n & 1))
			mpz_neg(R, R);
		*out = fixed_result(a, R, W, rscale);
		mpz_clears(F, L, Y, P, R, one, NULL);
		return CM_OK;
	}
	/* infinities (PostgreSQL 15 numeric_power) */
	int sx = sign_of(x);
	if (y->kind == SEM_NUM_FINITE && y->nlimbs == 0) {
		*out = sem_num_from_int(a, 1);
		return CM_OK;
	}
	if (x->kind == SEM_NUM_FINITE) {
		/* finite ^ +-inf */
		if (sx == 0) {
			if (y->kind == SEM_NUM_NINF)
				return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
									"zero raised to a negative power is undefined");
			*out = sem_num_from_int(a, 0);
			return CM_OK;
		}
		sem_numeric *one = sem_num_from_int(a, 1);
		sem_numeric *ax = sem_num_abs(a, x);
		int c = sem_num_cmp(ax, one);
		if (c == 0) {
			if (sx < 0) {
				/* (-1)^inf = 1 */
			}
			*out = one;
			return CM_OK;
		}
		bool big = c > 0;
		if ((y->kind == SEM_NUM_PINF) == big)
			*out = num_special(a, SEM_NUM_PINF);
		else
			*out = sem_num_from_int(a, 0);
		return CM_OK;
	}
	/* x infinite */
	if (x->kind == SEM_NUM_PINF) {
		if (sign_of(y) < 0)
			*out = sem_num_from_int(a, 0);
		else
			*out = num_special(a, SEM_NUM_PINF);
		return CM_OK;
	}
	/* -inf ^ y */
	if (sign_of(y) < 0) {
		*out = sem_num_from_int(a, 0);
		return CM_OK;
	}
	if (y->kind == SEM_NUM_PINF) {
		*out = num_special(a, SEM_NUM_PINF);
		return CM_OK;
	}
	long n;
	if (num_is_integral(y, &n)) {
		*out = num_special(a, (n & 1) ? SEM_NUM_NINF : SEM_NUM_PINF);
		return CM_OK;
	}
	return cm_error_set(err, CM_E_INVALID_ARGUMENT_FOR_POWER_FUNCTION,
						"a negative number raised to a non-integer power yields a complex result");
}
