/*
 * kv_membuf.c -- the transaction's write buffer: a skip list of keys in
 * byte order, each with an op (none / put / delete / insert / lock-only), a
 * value and flags (holds a pessimistic lock).
 *
 * Nodes are never unlinked: "removing" a key (undo of its first write) sets
 * its op back to NONE and readers skip NONE nodes.  All memory comes from
 * the txn arena, so freeing the txn frees the buffer in one call.
 *
 * Savepoints: kv_mb_mark pushes the current undo-log position.  While at
 * least one mark exists every change to a node records its previous (op,
 * value, flags) in the undo log; rollback_to replays the log backwards to
 * the mark.  With no mark open nothing is logged, so a txn without
 * savepoints pays nothing.
 *
 * Size: the whole write set of a transaction stays here until commit (a
 * Percolator client cannot send part of it early).  kv_txn_buffer_mem()
 * says how much memory the buffer holds (arena + undo log; about 110-150
 * bytes per row of a narrow table plus its keys and values), and
 * kv_txn_check_buffer() fails with 53200 once it passes
 * kv_txn_buffer_limit(): an eighth of the machine's memory (the commit
 * needs about as much again for its mutation arrays while it runs), at
 * least 256 MiB, or PGKV_TXN_BUFFER_LIMIT_MB.  Writers (the SQL insert path, UPDATE,
 * DELETE) call it between batches, so a too-large statement fails cleanly
 * instead of running the process out of memory.
 *
 * Exported (internal): kv_mb_*.  Public (kv_txn.h): kv_txn_buffer_mem,
 * kv_txn_buffer_limit, kv_txn_check_buffer.
 */
#include "kv/txn/kv_txn_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
random_level(kv_membuf *mb)
{
	uint64_t x = mb->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	mb->rng = x;
	int lvl = 1;
	while (lvl < KV_MB_MAX_LEVEL && (x & 3) == 0) {
		lvl++;
		x >>= 2;
	}
	return lvl;
}

static kv_mb_node *
node_new(cm_arena *a, int level, const uint8_t *key, size_t klen)
{
	kv_mb_node *n = cm_alloc0(a, sizeof(kv_mb_node) + (size_t) level * sizeof(kv_mb_node *));
	n->level = (uint8_t) level;
	n->klen = (uint32_t) klen;
	n->key = klen ? cm_memdup(a, key, klen) : NULL;
	return n;
}

void
kv_mb_init(kv_membuf *mb, cm_arena *a)
{
	*mb = (kv_membuf){0};
	mb->arena = a;
	mb->head = node_new(a, KV_MB_MAX_LEVEL, NULL, 0);
	mb->level = 1;
	mb->rng = UINT64_C(0x2545F4914F6CDD1D) ^ (uint64_t) (uintptr_t) mb;
}

void
kv_mb_free(kv_membuf *mb)
{
	free(mb->undo);
	free(mb->marks);
	mb->undo = NULL;
	mb->marks = NULL;
	mb->n_undo = mb->cap_undo = mb->n_marks = mb->cap_marks = 0;
}

/* Fill update[] with, per level, the last node whose key < key. */
static kv_mb_node *
find_ge(const kv_membuf *mb, const uint8_t *key, size_t len, kv_mb_node **update)
{
	kv_mb_node *x = mb->head;
	for (int i = mb->level - 1; i >= 0; i--) {
		while (x->next[i] && kv_key_cmp(x->next[i]->key, x->next[i]->klen, key, len) < 0)
			x = x->next[i];
		if (update)
			update[i] = x;
	}
	return x->next[0];
}

kv_mb_node *
kv_mb_find(const kv_membuf *mb, const uint8_t *key, size_t len)
{
	kv_mb_node *n = find_ge(mb, key, len, NULL);
	if (n && kv_key_cmp(n->key, n->klen, key, len) == 0)
		return n;
	return NULL;
}

kv_mb_node *
kv_mb_first(const kv_membuf *mb)
{
	return mb->head->next[0];
}

kv_mb_node *
kv_mb_seek_ge(const kv_membuf *mb, const uint8_t *key, size_t len)
{
	if (len == 0)
		return mb->head->next[0];
	return find_ge(mb, key, len, NULL);
}

kv_mb_node *
kv_mb_seek_lt(const kv_membuf *mb, const uint8_t *key, size_t len)
{
	kv_mb_node *x = mb->head;
	if (len == 0) {
		/* last node */
		for (int i = mb->level - 1; i >= 0; i--)
			while (x->next[i])
				x = x->next[i];
	} else {
		for (int i = mb->level - 1; i >= 0; i--)
			while (x->next[i] && kv_key_cmp(x->next[i]->key, x->next[i]->klen, key, len) < 0)
				x = x->next[i];
	}
	return x == mb->head ? NULL : x;
}

kv_mb_node *
kv_mb_prev(const kv_membuf *mb, kv_mb_node *n)
{
	return n->prev;
}

kv_mb_node *
kv_mb_get_or_add(kv_membuf *mb, const uint8_t *key, size_t klen)
{
	kv_mb_node *update[KV_MB_MAX_LEVEL];
	kv_mb_node *n = find_ge(mb, key, klen, update);
	if (n && kv_key_cmp(n->key, n->klen, key, klen) == 0)
		return n;
	int lvl = random_level(mb);
	if (lvl > mb->level) {
		for (int i = mb->level; i < lvl; i++)
			update[i] = mb->head;
		mb->level = lvl;
	}
	n = node_new(mb->arena, lvl, key, klen);
	for (int i = 0; i < lvl; i++) {
		n->next[i] = update[i]->next[i];
		update[i]->next[i] = n;
	}
	n->prev = update[0] == mb->head ? NULL : update[0];
	if (n->next[0])
		n->next[0]->prev = n;
	mb->count++;
	return n;
}

static void
log_undo(kv_membuf *mb, kv_mb_node *n)
{
	if (mb->n_marks == 0)
		return;
	if (mb->n_undo == mb->cap_undo) {
		size_t nc = mb->cap_undo ? mb->cap_undo * 2 : 64;
		kv_mb_undo *nu = realloc(mb->undo, nc * sizeof(*nu));
		if (!nu)
			abort(); /* like cm_alloc: OOM is fatal here */
		mb->undo = nu;
		mb->cap_undo = nc;
	}
	mb->undo[mb->n_undo++] = (kv_mb_undo){n, n->val, n->vlen, n->op, n->flags};
}

void
kv_mb_update(kv_membuf *mb, const uint8_t *key, size_t klen, uint8_t op, const uint8_t *val,
			 size_t vlen, bool keep_value)
{
	kv_mb_node *n = kv_mb_get_or_add(mb, key, klen);
	log_undo(mb, n);
	if (n->op == KV_MB_PUT || n->op == KV_MB_INSERT)
		mb->bytes -= n->vlen;
	if (n->op == KV_MB_NONE)
		mb->bytes += klen;
	n->op = op;
	if (!keep_value) {
		n->vlen = (uint32_t) vlen;
		n->val = vlen ? cm_memdup(mb->arena, val, vlen) : NULL;
	}
	if (op == KV_MB_PUT || op == KV_MB_INSERT)
		mb->bytes += n->vlen;
}

void
kv_mb_set_flags(kv_membuf *mb, kv_mb_node *n, uint8_t flags)
{
	if (n->flags == flags)
		return;
	log_undo(mb, n);
	n->flags = flags;
}

uint32_t
kv_mb_mark(kv_membuf *mb)
{
	if (mb->n_marks == mb->cap_marks) {
		size_t nc = mb->cap_marks ? mb->cap_marks * 2 : 8;
		size_t *nm = realloc(mb->marks, nc * sizeof(*nm));
		if (!nm)
			abort();
		mb->marks = nm;
		mb->cap_marks = nc;
	}
	mb->marks[mb->n_marks] = mb->n_undo;
	return (uint32_t) mb->n_marks++;
}

void
kv_mb_rollback_to(kv_membuf *mb, uint32_t m, void (*on_unlock)(void *, kv_mb_node *), void *arg)
{
	if (m >= mb->n_marks)
		return;
	size_t pos = mb->marks[m];
	while (mb->n_undo > pos) {
		kv_mb_undo *u = &mb->undo[--mb->n_undo];
		kv_mb_node *n = u->node;
		bool was_locked = n->flags & KV_MB_F_PLOCKED;
		if (n->op == KV_MB_PUT || n->op == KV_MB_INSERT)
			mb->bytes -= n->vlen;
		if (n->op != KV_MB_NONE && u->op == KV_MB_NONE)
			mb->bytes -= n->klen;
		if (n->op == KV_MB_NONE && u->op != KV_MB_NONE)
			mb->bytes += n->klen;
		n->op = u->op;
		n->val = u->val;
		n->vlen = u->vlen;
		n->flags = u->flags;
		if (n->op == KV_MB_PUT || n->op == KV_MB_INSERT)
			mb->bytes += n->vlen;
		if (was_locked && !(n->flags & KV_MB_F_PLOCKED) && on_unlock)
			on_unlock(arg, n);
	}
	mb->n_marks = m + 1; /* the savepoint itself stays */
}

void
kv_mb_release(kv_membuf *mb, uint32_t m)
{
	if (m >= mb->n_marks)
		return;
	mb->n_marks = m;
	if (mb->n_marks == 0)
		mb->n_undo = 0;
}

/* ---- size limit ------------------------------------------------------------------------ */

/* Bytes held: the arena (nodes, keys, values; shared with the txn's few
 * other allocations) and the undo log. */
static size_t
kv_mb_mem(const kv_membuf *mb)
{
	return cm_arena_bytes(mb->arena) + mb->cap_undo * sizeof(kv_mb_undo) +
		   mb->cap_marks * sizeof(size_t);
}

size_t
kv_txn_buffer_mem(const kv_txn *t)
{
	return kv_mb_mem(&t->mb);
}

static size_t buffer_limit;
static pthread_once_t buffer_limit_once = PTHREAD_ONCE_INIT;

static void
buffer_limit_init(void)
{
	const char *env = getenv("PGKV_TXN_BUFFER_LIMIT_MB");
	long long mb = env ? atoll(env) : 0;
	if (mb > 0) {
		buffer_limit = (size_t) mb << 20;
		return;
	}
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	size_t eighth = pages > 0 && psz > 0 ? (size_t) pages * (size_t) psz / 8 : 0;
	buffer_limit = eighth > ((size_t) 256 << 20) ? eighth : (size_t) 256 << 20;
}

size_t
kv_txn_buffer_limit(void)
{
	pthread_once(&buffer_limit_once, buffer_limit_init);
	return buffer_limit;
}

kv_err
kv_txn_check_buffer(const kv_txn *t, cm_error *err)
{
	size_t used = kv_txn_buffer_mem(t), limit = kv_txn_buffer_limit();
	if (used <= limit)
		return KV_OK;
	cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	cm_error_detail(err,
					"The write set of the transaction has reached %zu MB, over its limit of %zu MB: "
					"it is kept in memory until the transaction commits.",
					(used + ((size_t) 1 << 20) - 1) >> 20, limit >> 20);
	cm_error_hint(err, "Write the data in several transactions, for example COPY or "
					   "INSERT ... SELECT in parts of a few million rows.");
	return KV_ERR_INTERNAL;
}
