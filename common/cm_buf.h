/*
 * cm_buf.h -- growable byte buffer (malloc-backed).
 *
 * Used for protocol output, message bodies, text output of datums.  Grows
 * geometrically; cm_buf_reset keeps the allocation.  Data is always
 * NUL-terminated past `len` so a buffer of text can be used as a C string.
 *
 * Exported: cm_buf_init/free/reset/reserve, cm_buf_append, cm_buf_putc,
 * cm_buf_puts, cm_buf_printf, cm_buf_put_u16be/u32be/u64be, cm_buf_truncate,
 * cm_buf_consume (drop bytes from the front).
 */
#ifndef PGKV_CM_BUF_H
#define PGKV_CM_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "cm_status.h"

typedef struct cm_buf {
	char *data;
	size_t len;
	size_t cap;
} cm_buf;

void cm_buf_init(cm_buf *b);
void cm_buf_free(cm_buf *b);
static inline void cm_buf_reset(cm_buf *b) { b->len = 0; if (b->data) b->data[0] = '\0'; }
/* Make room for n more bytes (plus the terminator). */
void cm_buf_reserve(cm_buf *b, size_t n);
void cm_buf_append(cm_buf *b, const void *p, size_t n);
void cm_buf_putc(cm_buf *b, char c);
void cm_buf_puts(cm_buf *b, const char *s);
/* Appends s and its terminating NUL (a protocol "String"). */
void cm_buf_put_cstr(cm_buf *b, const char *s);
void cm_buf_printf(cm_buf *b, const char *fmt, ...) CM_PRINTF(2, 3);
void cm_buf_vprintf(cm_buf *b, const char *fmt, va_list ap);
void cm_buf_put_u16be(cm_buf *b, uint16_t v);
void cm_buf_put_u32be(cm_buf *b, uint32_t v);
void cm_buf_put_u64be(cm_buf *b, uint64_t v);
void cm_buf_truncate(cm_buf *b, size_t len);
/* Remove the first n bytes. */
void cm_buf_consume(cm_buf *b, size_t n);
/* Overwrite 4 bytes at offset with v in network order. */
void cm_buf_set_u32be(cm_buf *b, size_t off, uint32_t v);

#endif /* PGKV_CM_BUF_H */
