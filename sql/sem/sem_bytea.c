/*
 * sem_bytea.c -- binary-string functions: encode(bytea, format),
 * decode(text, format) for the formats hex, base64 and escape, and the
 * SHA-2 digests sha224/sha256/sha384/sha512 (bytea -> bytea).
 *
 * The encodings follow PostgreSQL's src/backend/utils/adt/encode.c byte for
 * byte (base64 breaks lines after 76 characters, whitespace is skipped
 * when decoding) including its error texts; the digests are FIPS 180-4,
 * written out here because sql/sem links no crypto library.
 *
 * Exported: sem_register_bytea_builtins() (sem_builtins.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

/* ---- hex ------------------------------------------------------------------------------ */

static void hex_enc(const unsigned char *s, size_t n, cm_buf *b)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		cm_buf_putc(b, hx[s[i] >> 4]);
		cm_buf_putc(b, hx[s[i] & 15]);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_b64_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static cm_status bad_char(cm_error *err, const char *fmt, const char *s, size_t left)
{
	int k = sem_utf8_seqlen((unsigned char) *s);
	if ((size_t) k > left)
		k = (int) left;
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, fmt, k, s);
}

static cm_status hex_dec(const char *s, size_t n, cm_buf *b, cm_error *err)
{
	for (size_t i = 0; i < n;) {
		if (is_b64_space(s[i])) {
			i++;
			continue;
		}
		int hi = hexval(s[i]);
		if (hi < 0)
			return bad_char(err, "invalid hexadecimal digit: \"%.*s\"", s + i, n - i);
		i++;
		if (i >= n)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid hexadecimal data: odd number of digits");
		int lo = hexval(s[i]);
		if (lo < 0)
			return bad_char(err, "invalid hexadecimal digit: \"%.*s\"", s + i, n - i);
		i++;
		cm_buf_putc(b, (char) (hi << 4 | lo));
	}
	return CM_OK;
}

/* ---- base64 --------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_enc(const unsigned char *s, size_t n, cm_buf *b)
{
	uint32_t buf = 0;
	int pos = 2;
	size_t linelen = 0;
	for (size_t i = 0; i < n; i++) {
		buf |= (uint32_t) s[i] << (pos << 3);
		pos--;
		if (pos < 0) {
			cm_buf_putc(b, b64[(buf >> 18) & 0x3f]);
			cm_buf_putc(b, b64[(buf >> 12) & 0x3f]);
			cm_buf_putc(b, b64[(buf >> 6) & 0x3f]);
			cm_buf_putc(b, b64[buf & 0x3f]);
			linelen += 4;
			pos = 2;
			buf = 0;
		}
		if (linelen >= 76) {	/* PostgreSQL checks after every input byte */
			cm_buf_putc(b, '\n');
			linelen = 0;
		}
	}
	if (pos != 2) {
		cm_buf_putc(b, b64[(buf >> 18) & 0x3f]);
		cm_buf_putc(b, b64[(buf >> 12) & 0x3f]);
		cm_buf_putc(b, pos == 0 ? b64[(buf >> 6) & 0x3f] : '=');
		cm_buf_putc(b, '=');
	}
}

static cm_status b64_dec(const char *s, size_t n, cm_buf *b, cm_error *err)
{
	uint32_t buf = 0;
	int pos = 0, end = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v;
		if (is_b64_space(c))
			continue;
		if (c == '=') {
			if (!end) {
				if (pos == 2)
					end = 1;
				else if (pos == 3)
					end = 2;
				else
					return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
										"unexpected \"=\" while decoding base64 sequence");
			}
			v = 0;
		} else {
			const char *q = c > 0 ? strchr(b64, c) : NULL;
			if (!q || c == '\0')
				return bad_char(err, "invalid symbol \"%.*s\" found while decoding base64 sequence", s + i, n - i);
			v = (int) (q - b64);
		}
		buf = (buf << 6) + (uint32_t) v;
		if (++pos == 4) {
			cm_buf_putc(b, (char) ((buf >> 16) & 255));
			if (end == 0 || end > 1)
				cm_buf_putc(b, (char) ((buf >> 8) & 255));
			if (end == 0 || end > 2)
				cm_buf_putc(b, (char) (buf & 255));
			buf = 0;
			pos = 0;
		}
	}
	if (pos != 0) {
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid base64 end sequence");
		cm_error_hint(err, "Input data is missing padding, is truncated, or is otherwise corrupted.");
		return CM_ERROR;
	}
	return CM_OK;
}

/* ---- escape --------------------------------------------------------------------------- */

static void esc_enc(const unsigned char *s, size_t n, cm_buf *b)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0 || s[i] >= 0x80) {
			char o[5];
			snprintf(o, sizeof o, "\\%03o", s[i]);
			cm_buf_append(b, o, 4);
		} else if (s[i] == '\\') {
			cm_buf_puts(b, "\\\\");
		} else
			cm_buf_putc(b, (char) s[i]);
	}
}

static cm_status esc_dec(const char *s, size_t n, cm_buf *b, cm_error *err)
{
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			cm_buf_putc(b, s[i++]);
		} else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
				   s[i + 3] >= '0' && s[i + 3] <= '7') {
			cm_buf_putc(b, (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0')));
			i += 4;
		} else if (i + 1 < n && s[i + 1] == '\\') {
			cm_buf_putc(b, '\\');
			i += 2;
		} else
			return cm_error_set(err, CM_E_INVALID_TEXT_REPRESENTATION, "invalid input syntax for type %s", "bytea");
	}
	return CM_OK;
}

typedef enum { ENC_HEX, ENC_BASE64, ENC_ESCAPE, ENC_NONE } enc_kind;

static enc_kind enc_of(const sem_datum *f)
{
	static const char *const names[] = {"hex", "base64", "escape"};
	for (int k = 0; k < 3; k++)
		if (strlen(names[k]) == f->v.s.len && strncasecmp(names[k], f->v.s.p, f->v.s.len) == 0)
			return (enc_kind) k;
	return ENC_NONE;
}

static cm_status bad_encoding(sem_ctx *ctx, const sem_datum *f, cm_error *err)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unrecognized encoding: \"%s\"",
						cm_strndup(ctx->arena, f->v.s.p, f->v.s.len));
}

static cm_status f_encode(ARGS)
{
	(void) nargs;
	const unsigned char *s = (const unsigned char *) args[0].v.s.p;
	size_t n = args[0].v.s.len;
	cm_buf b;
	cm_buf_init(&b);
	switch (enc_of(&args[1])) {
	case ENC_HEX: hex_enc(s, n, &b); break;
	case ENC_BASE64: b64_enc(s, n, &b); break;
	case ENC_ESCAPE: esc_enc(s, n, &b); break;
	default: cm_buf_free(&b); return bad_encoding(ctx, &args[1], err);
	}
	sem_set_str(ctx->arena, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return CM_OK;
}

static cm_status f_decode(ARGS)
{
	(void) nargs;
	const char *s = args[0].v.s.p;
	size_t n = args[0].v.s.len;
	cm_buf b;
	cm_buf_init(&b);
	cm_status st;
	switch (enc_of(&args[1])) {
	case ENC_HEX: st = hex_dec(s, n, &b, err); break;
	case ENC_BASE64: st = b64_dec(s, n, &b, err); break;
	case ENC_ESCAPE: st = esc_dec(s, n, &b, err); break;
	default: cm_buf_free(&b); return bad_encoding(ctx, &args[1], err);
	}
	if (st == CM_OK)
		sem_set_str(ctx->arena, out, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return st;
}

/* ---- SHA-2 (FIPS 180-4) ------------------------------------------------------------------ */

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint64_t k512[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define ROR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + k256[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha512_block(uint64_t h[8], const unsigned char *p)
{
	uint64_t w[80];
	for (int i = 0; i < 16; i++) {
		w[i] = 0;
		for (int k = 0; k < 8; k++)
			w[i] = w[i] << 8 | p[8 * i + k];
	}
	for (int i = 16; i < 80; i++) {
		uint64_t s0 = ROR64(w[i - 15], 1) ^ ROR64(w[i - 15], 8) ^ (w[i - 15] >> 7);
		uint64_t s1 = ROR64(w[i - 2], 19) ^ ROR64(w[i - 2], 61) ^ (w[i - 2] >> 6);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 80; i++) {
		uint64_t t1 = hh + (ROR64(e, 14) ^ ROR64(e, 18) ^ ROR64(e, 41)) + ((e & f) ^ (~e & g)) + k512[i] + w[i];
		uint64_t t2 = (ROR64(a, 28) ^ ROR64(a, 34) ^ ROR64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* Pad and hash s[0..n) with a 64-byte (wide=false) or 128-byte block; the
 * state words are written big-endian to dig. */
static void sha2(const unsigned char *s, size_t n, bool wide, const void *iv, unsigned char *dig, size_t diglen)
{
	size_t bs = wide ? 128 : 64, lenbytes = wide ? 16 : 8;
	uint32_t h32[8];
	uint64_t h64[8];
	if (wide)
		memcpy(h64, iv, sizeof h64);
	else
		memcpy(h32, iv, sizeof h32);
	size_t full = n / bs;
	for (size_t i = 0; i < full; i++) {
		if (wide)
			sha512_block(h64, s + i * bs);
		else
			sha256_block(h32, s + i * bs);
	}
	unsigned char tail[256];
	size_t rest = n - full * bs;
	memset(tail, 0, sizeof tail);
	memcpy(tail, s + full * bs, rest);
	tail[rest] = 0x80;
	size_t tl = rest + 1 + lenbytes <= bs ? bs : 2 * bs;
	uint64_t bits = (uint64_t) n * 8;
	for (int k = 0; k < 8; k++)
		tail[tl - 1 - (size_t) k] = (unsigned char) (bits >> (8 * k));
	for (size_t off = 0; off < tl; off += bs) {
		if (wide)
			sha512_block(h64, tail + off);
		else
			sha256_block(h32, tail + off);
	}
	for (size_t i = 0; i < diglen; i++)
		dig[i] = wide ? (unsigned char) (h64[i / 8] >> (56 - 8 * (i % 8)))
					  : (unsigned char) (h32[i / 4] >> (24 - 8 * (i % 4)));
}

static const uint32_t iv224[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
								  0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
static const uint32_t iv256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
								  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
static const uint64_t iv384[8] = {0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL,
								  0x152fecd8f70e5939ULL, 0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
								  0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL};
static const uint64_t iv512[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
								  0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
								  0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static cm_status sha_common(sem_ctx *ctx, const sem_datum *in, sem_datum *out, bool wide, const void *iv,
							size_t diglen)
{
	unsigned char dig[64];
	sha2((const unsigned char *) in->v.s.p, in->v.s.len, wide, iv, dig, diglen);
	sem_set_str(ctx->arena, out, (const char *) dig, diglen);
	return CM_OK;
}

static cm_status f_sha224(ARGS) { (void) nargs; (void) err; return sha_common(ctx, &args[0], out, false, iv224, 28); }
static cm_status f_sha256(ARGS) { (void) nargs; (void) err; return sha_common(ctx, &args[0], out, false, iv256, 32); }
static cm_status f_sha384(ARGS) { (void) nargs; (void) err; return sha_common(ctx, &args[0], out, true, iv384, 48); }
static cm_status f_sha512(ARGS) { (void) nargs; (void) err; return sha_common(ctx, &args[0], out, true, iv512, 64); }

#define S SEM_FN_STRICT
#define BY SEM_BYTEAOID
#define TX SEM_TEXTOID

static const sem_builtin bytea_rows[] = {
	{"encode", 2, {BY, TX}, TX, S, f_encode},
	{"decode", 2, {TX, TX}, BY, S, f_decode},
	{"sha224", 1, {BY}, BY, S, f_sha224},
	{"sha256", 1, {BY}, BY, S, f_sha256},
	{"sha384", 1, {BY}, BY, S, f_sha384},
	{"sha512", 1, {BY}, BY, S, f_sha512},
};

void sem_register_bytea_builtins(void)
{
	sem_register_builtins(bytea_rows, sizeof bytea_rows / sizeof bytea_rows[0]);
}
