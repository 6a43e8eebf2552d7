/*
 * cm_arena.h -- region allocator (PostgreSQL memory contexts are the model).
 *
 * An arena hands out memory from large blocks and frees everything in one
 * call.  Foreign resources (libpg_query results, protobuf-c messages,
 * RocksDB iterators) register a cleanup callback that runs on reset/destroy,
 * newest first.  Sessions, transactions, statements and messages each own
 * one arena.
 *
 * Exported:
 *   cm_arena_create(block_size)  new arena (block_size 0 = 8 KiB)
 *   cm_arena_destroy(a)          run cleanups, free all memory and the arena
 *   cm_arena_reset(a)            run cleanups, free all but the first block
 *   cm_alloc / cm_alloc0         aligned (16) memory, never NULL (aborts on OOM)
 *   cm_strdup / cm_strndup / cm_memdup / cm_asprintf
 *   cm_arena_on_reset(a, fn, arg) register a cleanup
 *   cm_arena_bytes(a)            bytes handed out since the last reset
 *
 * Arenas are not thread-safe: one owner thread at a time.
 */
#ifndef PGKV_CM_ARENA_H
#define PGKV_CM_ARENA_H

#include <stddef.h>
#include "cm_status.h"

typedef struct cm_arena cm_arena;
typedef void (*cm_cleanup_fn)(void *arg);

cm_arena *cm_arena_create(size_t block_size);
void cm_arena_destroy(cm_arena *a);
void cm_arena_reset(cm_arena *a);
void *cm_alloc(cm_arena *a, size_t size);
void *cm_alloc0(cm_arena *a, size_t size);
char *cm_strdup(cm_arena *a, const char *s);
char *cm_strndup(cm_arena *a, const char *s, size_t n);
void *cm_memdup(cm_arena *a, const void *p, size_t n);
char *cm_asprintf(cm_arena *a, const char *fmt, ...) CM_PRINTF(2, 3);
void cm_arena_on_reset(cm_arena *a, cm_cleanup_fn fn, void *arg);
size_t cm_arena_bytes(const cm_arena *a);

#define cm_new(a, T) ((T *) cm_alloc0((a), sizeof(T)))
#define cm_new_array(a, T, n) ((T *) cm_alloc0((a), sizeof(T) * (size_t) (n)))

#endif /* PGKV_CM_ARENA_H */
