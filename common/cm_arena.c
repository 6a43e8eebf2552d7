/*
 * cm_arena.c -- region allocator (see cm_arena.h).
 *
 * Blocks form a singly linked list, newest first.  Requests larger than a
 * quarter of the block size get a block of their own so that a big value
 * does not waste the rest of the current block.
 */
#include "cm_arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define DEFAULT_BLOCK 8192

typedef struct block {
	struct block *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
} block;

typedef struct cleanup {
	struct cleanup *next;
	cm_cleanup_fn fn;
	void *arg;
} cleanup;

struct cm_arena {
	block *head;
	block *first;		/* the one block kept across resets */
	cleanup *cleanups;
	size_t block_size;
	size_t bytes;
};

#define BLOCK_HDR ((sizeof(block) + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1))

static block *
block_new(size_t size)
{
	block *b = malloc(BLOCK_HDR + size);
	if (b == NULL) {
		fprintf(stderr, "pgkv: out of memory allocating %zu bytes\n", size);
		abort();
	}
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

cm_arena *
cm_arena_create(size_t block_size)
{
	cm_arena *a = calloc(1, sizeof(*a));
	if (a == NULL)
		abort();
	a->block_size = block_size ? block_size : DEFAULT_BLOCK;
	a->first = a->head = block_new(a->block_size);
	return a;
}

static void
run_cleanups(cm_arena *a)
{
	while (a->cleanups) {
		cleanup *c = a->cleanups;
		a->cleanups = c->next;	/* a cleanup may not touch this arena's list */
		c->fn(c->arg);
	}
}

void
cm_arena_reset(cm_arena *a)
{
	if (a == NULL)
		return;
	run_cleanups(a);
	block *b = a->head;
	while (b != NULL) {
		block *next = b->next;
		if (b != a->first)
			free(b);
		b = next;
	}
	a->head = a->first;
	a->first->next = NULL;
	a->first->used = 0;
	a->bytes = 0;
}

void
cm_arena_destroy(cm_arena *a)
{
	if (a == NULL)
		return;
	cm_arena_reset(a);
	free(a->first);
	free(a);
}

void *
cm_alloc(cm_arena *a, size_t size)
{
	size = (size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	a->bytes += size;
	block *h = a->head;
	if (h->size - h->used >= size) {
		void *p = (char *) h + BLOCK_HDR + h->used;
		h->used += size;
		return p;
	}
	if (size > a->block_size / 4) {
		/* Dedicated block, linked behind the head so the head keeps serving. */
		block *b = block_new(size);
		b->used = size;
		b->next = h->next;
		h->next = b;
		return (char *) b + BLOCK_HDR;
	}
	block *b = block_new(a->block_size);
	b->next = a->head;
	a->head = b;
	b->used = size;
	return (char *) b + BLOCK_HDR;
}

void *
cm_alloc0(cm_arena *a, size_t size)
{
	void *p = cm_alloc(a, size);
	memset(p, 0, size);
	return p;
}

char *
cm_strndup(cm_arena *a, const char *s, size_t n)
{
	char *p = cm_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
cm_strdup(cm_arena *a, const char *s)
{
	return s ? cm_strndup(a, s, strlen(s)) : NULL;
}

void *
cm_memdup(cm_arena *a, const void *src, size_t n)
{
	void *p = cm_alloc(a, n ? n : 1);
	if (n)
		memcpy(p, src, n);
	return p;
}

char *
cm_asprintf(cm_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = cm_alloc(a, (size_t) n + 1);
	vsnprintf(p, (size_t) n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void
cm_arena_on_reset(cm_arena *a, cm_cleanup_fn fn, void *arg)
{
	cleanup *c = cm_alloc(a, sizeof(*c));
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

size_t
cm_arena_bytes(const cm_arena *a)
{
	return a->bytes;
}
