/*
 * kv_codec_internal.h -- helpers shared by the kv/codec source files only.
 *
 * Not part of the public interface: nothing outside kv/codec includes this.
 * Holds the corrupt-data error constructor and little-endian load/store
 * helpers used by the row and chunk codecs.
 */
#ifndef PGKV_KV_CODEC_INTERNAL_H
#define PGKV_KV_CODEC_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "kv/codec/kv_codec.h"

/* Set XX001 "corrupt kv data: <what>" in err; returns CM_ERROR. */
cm_status kv_corrupt(cm_error *err, const char *what);

static inline uint8_t *
kv_buf_grow(cm_buf *b, size_t n)
{
	cm_buf_reserve(b, n);
	uint8_t *p = (uint8_t *) b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return p;
}

static inline uint16_t
kv_ld_u16le(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}
static inline uint32_t
kv_ld_u32le(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) |
		   ((uint32_t) p[3] << 24);
}
static inline uint64_t
kv_ld_u64le(const uint8_t *p)
{
	return (uint64_t) kv_ld_u32le(p) | ((uint64_t) kv_ld_u32le(p + 4) << 32);
}
static inline void
kv_st_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}
static inline void
kv_st_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}
static inline void
kv_st_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* Decimal digits parsed from text, or read from a binary form. */
#define KV_DEC_MAX_DIGITS 200
typedef struct kv_dec {
	bool neg;
	int intg;						/* integer digits in dig[0..intg) */
	int frac;						/* fraction digits in dig[intg..intg+frac) */
	uint8_t dig[KV_DEC_MAX_DIGITS]; /* values 0..9 */
} kv_dec;

#endif /* PGKV_KV_CODEC_INTERNAL_H */
