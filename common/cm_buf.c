/*
 * cm_buf.c -- growable byte buffer (see cm_buf.h).
 */
#include "cm_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cm_buf_init(cm_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
cm_buf_free(cm_buf *b)
{
	free(b->data);
	cm_buf_init(b);
}

void
cm_buf_reserve(cm_buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		fprintf(stderr, "pgkv: out of memory growing buffer to %zu bytes\n", cap);
		abort();
	}
	b->data = p;
	b->cap = cap;
}

void
cm_buf_append(cm_buf *b, const void *p, size_t n)
{
	cm_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cm_buf_putc(cm_buf *b, char c)
{
	cm_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
cm_buf_puts(cm_buf *b, const char *s)
{
	cm_buf_append(b, s, strlen(s));
}

void
cm_buf_put_cstr(cm_buf *b, const char *s)
{
	cm_buf_append(b, s, strlen(s) + 1);
}

void
cm_buf_vprintf(cm_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t) n < sizeof(tmp))
		cm_buf_append(b, tmp, (size_t) n);
	else {
		cm_buf_reserve(b, (size_t) n);
		vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap2);
		b->len += (size_t) n;
	}
	va_end(ap2);
}

void
cm_buf_printf(cm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cm_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
cm_buf_put_u16be(cm_buf *b, uint16_t v)
{
	unsigned char x[2] = {(unsigned char) (v >> 8), (unsigned char) v};
	cm_buf_append(b, x, 2);
}

void
cm_buf_put_u32be(cm_buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
						  (unsigned char) (v >> 8), (unsigned char) v};
	cm_buf_append(b, x, 4);
}

void
cm_buf_put_u64be(cm_buf *b, uint64_t v)
{
	cm_buf_put_u32be(b, (uint32_t) (v >> 32));
	cm_buf_put_u32be(b, (uint32_t) v);
}

void
cm_buf_set_u32be(cm_buf *b, size_t off, uint32_t v)
{
	unsigned char *p = (unsigned char *) b->data + off;
	p[0] = (unsigned char) (v >> 24);
	p[1] = (unsigned char) (v >> 16);
	p[2] = (unsigned char) (v >> 8);
	p[3] = (unsigned char) v;
}

void
cm_buf_truncate(cm_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

void
cm_buf_consume(cm_buf *b, size_t n)
{
	if (n >= b->len) {
		cm_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
