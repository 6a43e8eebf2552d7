/*
 * kv_decimal.c -- decimal text <-> MySQL decimal binary and MyDecimal struct.
 *
 * The binary form (decimal2bin, facts 4.6) is what TiDB stores after the
 * decimalFlag in keys and values and in row v2 cells: the integer part
 * (prec - frac digits) and the fraction part (frac digits) are cut into
 * 9-digit words of 4 bytes big-endian, with the integer leftover first and
 * the fraction leftover last using dig2bytes[k] bytes; the first byte's top
 * bit is flipped and a negative number has every byte inverted, which makes
 * the bytes memcomparable for a fixed (prec, frac).
 *
 * Worked example (also in the unit tests): 1234567890.1234 with prec 14,
 * frac 4.  Integer part is 10 digits: a 1-digit leftover "1" in
 * dig2bytes[1] = 1 byte (01) then the word 234567890 = 0x0DFB38D2; fraction
 * is 4 digits, a leftover "1234" in dig2bytes[4] = 2 bytes (04 D2).  Flip the
 * top bit: 81 0D FB 38 D2 04 D2.  The negative value inverts every byte of
 * 01 0D FB 38 D2 04 D2 and flips the top bit: 7E F2 04 C7 2D FB 2D.
 *
 * All arithmetic is on decimal digit arrays (kv_dec): no floating point, no
 * bignum library; values are at most 65 significant digits.
 *
 * Exported: kv_decimal_bin_size, kv_decimal_prec_frac, kv_encode_decimal_bin,
 * kv_decode_decimal_bin, kv_encode_decimal, kv_decode_decimal,
 * kv_mydecimal_encode, kv_mydecimal_decode (see kv_codec.h).
 */
#include "kv/codec/kv_codec.h"

#include <string.h>

#include "kv/codec/kv_codec_internal.h"

#define DIGITS_PER_WORD 9
#define WORD_BASE 1000000000u
#define MYDEC_WORDS 9

static const int dig2bytes[DIGITS_PER_WORD + 1] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
static const uint32_t pow10_tab[DIGITS_PER_WORD + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

static cm_status dec_parse(const char *text, size_t len, int target_frac, kv_dec *d,
						   cm_error *err);
static cm_status dec_to_bin(cm_buf *b, const kv_dec *d, int prec, int frac, cm_error *err);
static void dec_format(const kv_dec *d, cm_buf *out);
static bool prec_frac_ok(int prec, int frac);
static uint32_t digits_value(const uint8_t *dig, int n);
static void value_digits(uint32_t v, uint8_t *dig, int n);
static void put_be(uint8_t *dst, uint32_t v, int nbytes);
static uint32_t get_be(const uint8_t *src, int nbytes);

static bool
prec_frac_ok(int prec, int frac)
{
	return prec >= 1 && prec <= KV_DECIMAL_MAX_PREC && frac >= 0 && frac <= KV_DECIMAL_MAX_FRAC &&
		   frac <= prec;
}

size_t
kv_decimal_bin_size(int prec, int frac)
{
	if (!prec_frac_ok(prec, frac))
		return 0;
	int intg = prec - frac;
	return (size_t) (dig2bytes[intg % DIGITS_PER_WORD] + (intg / DIGITS_PER_WORD) * 4 +
					 (frac / DIGITS_PER_WORD) * 4 + dig2bytes[frac % DIGITS_PER_WORD]);
}

/*
 * Parse decimal text into d.  target_frac >= 0 rounds (half away from zero)
 * or zero-pads the fraction to exactly that many digits; -1 keeps the text's
 * scale, rounded to KV_DECIMAL_MAX_FRAC.  d->intg counts significant integer
 * digits only.  A zero result is never negative.
 */
static cm_status
dec_parse(const char *text, size_t len, int target_frac, kv_dec *d, cm_error *err)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (text[i] == '-' || text[i] == '+')) {
		neg = text[i] == '-';
		i++;
	}
	size_t is = i;
	while (i < len && text[i] >= '0' && text[i] <= '9')
		i++;
	size_t ie = i, fs = i, fe = i;
	if (i < len && text[i] == '.') {
		fs = ++i;
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++;
		fe = i;
	}
	if (i != len || (ie - is) + (fe - fs) == 0)
		return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION,
							"invalid input syntax for type numeric: \"%.*s\"",
							(int) (len > 80 ? 80 : len), text);
	while (is < ie && text[is] == '0')
		is++;
	size_t intg = ie - is, fl = fe - fs;
	if (intg > KV_DECIMAL_MAX_PREC)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
	size_t tf = target_frac >= 0 ? (size_t) target_frac
								  : (fl > KV_DECIMAL_MAX_FRAC ? KV_DECIMAL_MAX_FRAC : fl);
	if (intg + tf + 1 > KV_DEC_MAX_DIGITS)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");

	size_t n = 0;
	for (size_t k = is; k < ie; k++)
		d->dig[n++] = (uint8_t) (text[k] - '0');
	for (size_t k = 0; k < tf; k++)
		d->dig[n++] = k < fl ? (uint8_t) (text[fs + k] - '0') : 0;
	d->intg = (int) intg;
	d->frac = (int) tf;
	if (fl > tf && text[fs + tf] >= '5') {
		size_t k = n;
		bool carry = true;
		while (carry && k > 0) {
			k--;
			if (d->dig[k] == 9) {
				d->dig[k] = 0;
			} else {
				d->dig[k]++;
				carry = false;
			}
		}
		if (carry) {
			memmove(d->dig + 1, d->dig, n);
			d->dig[0] = 1;
			d->intg++;
			n++;
		}
	}
	bool zero = true;
	for (size_t k = 0; k < n; k++) {
		if (d->dig[k] != 0) {
			zero = false;
			break;
		}
	}
	d->neg = neg && !zero;
	return CM_OK;
}

/* Canonical text: no leading zeros, "0" for an empty integer part, exactly
 * d->frac fraction digits, no sign on zero. */
static void
dec_format(const kv_dec *d, cm_buf *out)
{
	int n = d->intg + d->frac;
	bool zero = true;
	for (int k = 0; k < n; k++) {
		if (d->dig[k] != 0) {
			zero = false;
			break;
		}
	}
	if (d->neg && !zero)
		cm_buf_putc(out, '-');
	int k = 0;
	while (k < d->intg && d->dig[k] == 0)
		k++;
	if (k == d->intg)
		cm_buf_putc(out, '0');
	for (; k < d->intg; k++)
		cm_buf_putc(out, (char) ('0' + d->dig[k]));
	if (d->frac > 0) {
		cm_buf_putc(out, '.');
		for (k = d->intg; k < n; k++)
			cm_buf_putc(out, (char) ('0' + d->dig[k]));
	}
}

static uint32_t
digits_value(const uint8_t *dig, int n)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + dig[i];
	return v;
}

static void
value_digits(uint32_t v, uint8_t *dig, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		dig[i] = (uint8_t) (v % 10);
		v /= 10;
	}
}

static void
put_be(uint8_t *dst, uint32_t v, int nbytes)
{
	for (int i = nbytes - 1; i >= 0; i--) {
		dst[i] = (uint8_t) v;
		v >>= 8;
	}
}

static uint32_t
get_be(const uint8_t *src, int nbytes)
{
	uint32_t v = 0;
	for (int i = 0; i < nbytes; i++)
		v = (v << 8) | src[i];
	return v;
}

/* d must already have exactly frac fraction digits. */
static cm_status
dec_to_bin(cm_buf *b, const kv_dec *d, int prec, int frac, cm_error *err)
{
	int room = prec - frac;
	if (d->intg > room) {
		cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
		if (room == 0)
			cm_error_detail(err,
							"A field with precision %d, scale %d must round to an absolute "
							"value less than 1.",
							prec, frac);
		else
			cm_error_detail(err,
							"A field with precision %d, scale %d must round to an absolute "
							"value less than 10^%d.",
							prec, frac, room);
		return CM_ERROR;
	}
	/* integer part left-padded to `room` digits, then the fraction */
	uint8_t all[KV_DECIMAL_MAX_PREC];
	int lead = room - d->intg;
	memset(all, 0, (size_t) lead);
	memcpy(all + lead, d->dig, (size_t) (d->intg + frac));

	size_t size = kv_decimal_bin_size(prec, frac);
	uint8_t *out = kv_buf_grow(b, size);
	uint8_t *o = out;
	const uint8_t *dg = all;
	int x = room % DIGITS_PER_WORD;
	if (x) {
		put_be(o, digits_value(dg, x), dig2bytes[x]);
		o += dig2bytes[x];
		dg += x;
	}
	for (int w = 0; w < room / DIGITS_PER_WORD + frac / DIGITS_PER_WORD; w++) {
		put_be(o, digits_value(dg, DIGITS_PER_WORD), 4);
		o += 4;
		dg += DIGITS_PER_WORD;
	}
	x = frac % DIGITS_PER_WORD;
	if (x) {
		put_be(o, digits_value(dg, x), dig2bytes[x]);
		o += dig2bytes[x];
	}
	if (d->neg) {
		for (size_t i = 0; i < size; i++)
			out[i] = (uint8_t) ~out[i];
	}
	out[0] ^= 0x80;
	return CM_OK;
}

cm_status
kv_decimal_prec_frac(const char *text, size_t len, int *prec, int *frac, cm_error *err)
{
	kv_dec d;
	if (dec_parse(text, len, -1, &d, err) != CM_OK)
		return CM_ERROR;
	int p = d.intg + d.frac;
	if (p > KV_DECIMAL_MAX_PREC)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
	*prec = p < 1 ? 1 : p;
	*frac = d.frac;
	return CM_OK;
}

cm_status
kv_encode_decimal_bin(cm_buf *b, const char *text, size_t len, int prec, int frac,
					  cm_error *err)
{
	kv_dec d;
	if (!prec_frac_ok(prec, frac))
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"invalid decimal precision %d or scale %d", prec, frac);
	if (dec_parse(text, len, frac, &d, err) != CM_OK)
		return CM_ERROR;
	return dec_to_bin(b, &d, prec, frac, err);
}

cm_status
kv_encode_decimal(cm_buf *b, const char *text, size_t len, int prec, int frac, cm_error *err)
{
	kv_dec d;
	if (prec == 0) {
		if (dec_parse(text, len, -1, &d, err) != CM_OK)
			return CM_ERROR;
		frac = d.frac;
		prec = d.intg + d.frac;
		if (prec > KV_DECIMAL_MAX_PREC)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow");
		if (prec < 1)
			prec = 1;
	} else {
		if (!prec_frac_ok(prec, frac))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"invalid decimal precision %d or scale %d", prec, frac);
		if (dec_parse(text, len, frac, &d, err) != CM_OK)
			return CM_ERROR;
	}
	uint8_t hdr[2] = {(uint8_t) prec, (uint8_t) frac};
	cm_buf_append(b, hdr, 2);
	return dec_to_bin(b, &d, prec, frac, err);
}

cm_status
kv_decode_decimal_bin(const uint8_t **p, const uint8_t *end, int prec, int frac, cm_buf *out,
					  cm_error *err)
{
	size_t size = kv_decimal_bin_size(prec, frac);
	if (size == 0)
		return kv_corrupt(err, "bad decimal precision or scale");
	if (*p > end || (size_t) (end - *p) < size)
		return kv_corrupt(err, "truncated decimal");
	uint8_t buf[40];
	/* a stored positive number has the top bit of its first byte set */
	bool neg = ((*p)[0] & 0x80) == 0;
	memcpy(buf, *p, size);
	buf[0] ^= 0x80;
	if (neg) {
		for (size_t i = 0; i < size; i++)
			buf[i] = (uint8_t) ~buf[i];
	}
	kv_dec d;
	int room = prec - frac;
	d.neg = neg;
	d.intg = room;
	d.frac = frac;
	const uint8_t *s = buf;
	uint8_t *dg = d.dig;
	int x = room % DIGITS_PER_WORD;
	if (x) {
		uint32_t v = get_be(s, dig2bytes[x]);
		if (v >= pow10_tab[x])
			return kv_corrupt(err, "decimal digit group out of range");
		value_digits(v, dg, x);
		s += dig2bytes[x];
		dg += x;
	}
	for (int w = 0; w < room / DIGITS_PER_WORD + frac / DIGITS_PER_WORD; w++) {
		uint32_t v = get_be(s, 4);
		if (v >= WORD_BASE)
			return kv_corrupt(err, "decimal digit group out of range");
		value_digits(v, dg, DIGITS_PER_WORD);
		s += 4;
		dg += DIGITS_PER_WORD;
	}
	x = frac % DIGITS_PER_WORD;
	if (x) {
		uint32_t v = get_be(s, dig2bytes[x]);
		if (v >= pow10_tab[x])
			return kv_corrupt(err, "decimal digit group out of range");
		value_digits(v, dg, x);
	}
	dec_format(&d, out);
	*p += size;
	return CM_OK;
}

cm_status
kv_decode_decimal(const uint8_t **p, const uint8_t *end, cm_buf *out, int *prec, int *frac,
				  cm_error *err)
{
	const uint8_t *q = *p;
	if (q > end || end - q < 2)
		return kv_corrupt(err, "truncated decimal header");
	int pr = q[0], fr = q[1];
	q += 2;
	if (kv_decode_decimal_bin(&q, end, pr, fr, out, err) != CM_OK)
		return CM_ERROR;
	if (prec)
		*prec = pr;
	if (frac)
		*frac = fr;
	*p = q;
	return CM_OK;
}

/* ---- MyDecimal (chunk) ---------------------------------------------------- */

cm_status
kv_mydecimal_encode(const char *text, size_t len, uint8_t out[KV_MYDECIMAL_SIZE], cm_error *err)
{
	kv_dec d;
	if (dec_parse(text, len, -1, &d, err) != CM_OK)
		return CM_ERROR;
	/* at least one integer digit, as TiDB's parser leaves "0.5" */
	if (d.intg == 0) {
		memmove(d.dig + 1, d.dig, (size_t) d.frac);
		d.dig[0] = 0;
		d.intg = 1;
	}
	int wi = (d.intg + DIGITS_PER_WORD - 1) / DIGITS_PER_WORD;
	int wf = (d.frac + DIGITS_PER_WORD - 1) / DIGITS_PER_WORD;
	if (wi + wf > MYDEC_WORDS)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
							"decimal value has too many digits for a chunk");
	memset(out, 0, KV_MYDECIMAL_SIZE);
	out[0] = (uint8_t) d.intg;
	out[1] = (uint8_t) d.frac;
	out[2] = (uint8_t) d.frac;
	out[3] = d.neg ? 1 : 0;
	int w = 0;
	const uint8_t *dg = d.dig;
	int first = d.intg - (wi - 1) * DIGITS_PER_WORD;
	for (int k = 0; k < wi; k++) {
		int n = k == 0 ? first : DIGITS_PER_WORD;
		kv_st_u32le(out + 4 + 4 * w++, digits_value(dg, n));
		dg += n;
	}
	for (int k = 0; k < wf; k++) {
		int n = d.frac - k * DIGITS_PER_WORD;
		if (n > DIGITS_PER_WORD)
			n = DIGITS_PER_WORD;
		/* fraction words are left-aligned: "5" is 500000000 */
		kv_st_u32le(out + 4 + 4 * w++, digits_value(dg, n) * pow10_tab[DIGITS_PER_WORD - n]);
		dg += n;
	}
	return CM_OK;
}

cm_status
kv_mydecimal_decode(const uint8_t in[KV_MYDECIMAL_SIZE], cm_buf *out, cm_error *err)
{
	int intg = (int8_t) in[0];
	int frac = (int8_t) in[1];
	if (intg < 0 || frac < 0 || in[3] > 1)
		return kv_corrupt(err, "bad MyDecimal header");
	int wi = (intg + DIGITS_PER_WORD - 1) / DIGITS_PER_WORD;
	int wf = (frac + DIGITS_PER_WORD - 1) / DIGITS_PER_WORD;
	if (wi + wf > MYDEC_WORDS)
		return kv_corrupt(err, "MyDecimal digit counts exceed its word buffer");
	kv_dec d;
	d.neg = in[3] == 1;
	d.intg = intg;
	d.frac = frac;
	uint8_t *dg = d.dig;
	int w = 0;
	int first = intg - (wi - 1) * DIGITS_PER_WORD;
	for (int k = 0; k < wi; k++) {
		int n = k == 0 ? first : DIGITS_PER_WORD;
		uint32_t v = kv_ld_u32le(in + 4 + 4 * w++);
		if (v >= pow10_tab[n])
			return kv_corrupt(err, "MyDecimal word out of range");
		value_digits(v, dg, n);
		dg += n;
	}
	for (int k = 0; k < wf; k++) {
		int n = frac - k * DIGITS_PER_WORD;
		if (n > DIGITS_PER_WORD)
			n = DIGITS_PER_WORD;
		uint32_t v = kv_ld_u32le(in + 4 + 4 * w++);
		if (v >= WORD_BASE)
			return kv_corrupt(err, "MyDecimal word out of range");
		value_digits(v / pow10_tab[DIGITS_PER_WORD - n], dg, n);
		dg += n;
	}
	dec_format(&d, out);
	return CM_OK;
}
