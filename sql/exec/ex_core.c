/*
 * ex_core.c -- executor plumbing: batches, per-statement state, operator
 * wrappers, work_mem accounting, datum copy/hash/equality, the row hash
 * table and sort-key comparison.  See exec.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <math.h>

#include "sql/exec/ex_internal.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_datetime.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

ex_batch *ex_batch_new(cm_arena *a, int width, int cap)
{
	ex_batch *b = cm_new(a, ex_batch);
	b->width = width;
	b->cap = cap;
	b->rows = cm_alloc(a, sizeof(sem_datum) * (size_t) (width > 0 ? width : 1) * (size_t) cap);
	return b;
}

static void destroy_arena(void *p)
{
	cm_arena_destroy(p);
}

static int64_t parse_mem(const char *s)
{
	if (!s)
		return 4096 * 1024LL;
	char *end;
	double v = strtod(s, &end);
	while (*end == ' ')
		end++;
	int64_t mult = 1024;	/* no unit: kB */
	if (strncasecmp(end, "kB", 2) == 0)
		mult = 1024;
	else if (strncasecmp(end, "MB", 2) == 0)
		mult = 1024 * 1024;
	else if (strncasecmp(end, "GB", 2) == 0)
		mult = 1024LL * 1024 * 1024;
	else if (strncasecmp(end, "TB", 2) == 0)
		mult = 1024LL * 1024 * 1024 * 1024;
	else if (*end == 'B')
		mult = 1;
	int64_t r = (int64_t) (v * (double) mult);
	return r > 64 * 1024 ? r : 64 * 1024;
}

ex_state *ex_state_new(sem_ctx *ctx, const sem_datum *params, int nxparams, int nsubplans)
{
	ex_state *st = cm_new(ctx->arena, ex_state);
	st->arena = ctx->arena;
	st->ctx = *ctx;
	st->ctx.exec = st;
	st->params = params;
	const char *wm = ctx->get_setting ? ctx->get_setting(ctx->session, "work_mem") : NULL;
	st->work_mem = parse_mem(wm);
	st->nxparams = nxparams;
	st->xparams = cm_new_array(ctx->arena, sem_datum, nxparams > 0 ? nxparams : 1);
	for (int i = 0; i < nxparams; i++)
		st->xparams[i].isnull = true;
	st->nsubplans = nsubplans;
	st->subplans = cm_new_array(ctx->arena, void *, nsubplans > 0 ? nsubplans : 1);
	return st;
}

void ex_op_init(ex_op *op, const ex_op_vt *vt, ex_state *st, int ncols, const sem_type *types)
{
	op->vt = vt;
	op->st = st;
	op->ncols = ncols;
	op->types = types;
	op->scratch = cm_arena_create(0);
	cm_arena_on_reset(st->arena, destroy_arena, op->scratch);
	op->ctx = st->ctx;
	op->ctx.arena = op->scratch;
	op->ctx.exec = st;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

cm_status ex_open(ex_op *op, cm_error *err)
{
	op->loops++;
	cm_arena_reset(op->scratch);
	if (!op->st->timing)
		return op->vt->open(op, err);
	int64_t t0 = now_ns();
	cm_status st = op->vt->open(op, err);
	op->time_ns += now_ns() - t0;
	return st;
}

cm_status ex_next(ex_op *op, ex_batch **out, cm_error *err)
{
	if (op->st->ctx.cancel && *op->st->ctx.cancel)
		return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
	cm_arena_reset(op->scratch);
	*out = NULL;
	int64_t t0 = op->st->timing ? now_ns() : 0;
	cm_status st = op->vt->next(op, out, err);
	if (op->st->timing)
		op->time_ns += now_ns() - t0;
	if (st != CM_OK)
		return CM_ERROR;
	if (*out && (*out)->nrows == 0)
		*out = NULL;
	if (*out)
		op->rows_out += (*out)->nrows;
	return CM_OK;
}

void ex_close(ex_op *op)
{
	if (op)
		op->vt->close(op);
}

cm_status ex_check_cancel(ex_state *st, cm_error *err)
{
	if (st->ctx.cancel && *st->ctx.cancel)
		return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
	return CM_OK;
}

/* ---- memory ------------------------------------------------------------------------ */

void ex_mem_init(ex_mem *m, ex_state *st, const char *what)
{
	m->used = 0;
	m->limit = st->work_mem;
	m->what = what;
}

cm_status ex_mem_charge(ex_mem *m, int64_t n, cm_error *err)
{
	m->used += n;
	if (m->used > m->limit) {
		cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		cm_error_detail(err, "%s needs more than work_mem (%lld kB) and spilling to disk is not supported yet",
						m->what, (long long) (m->limit / 1024));
		cm_error_hint(err, "Increase work_mem or reduce the data the query has to hold in memory.");
		return CM_ERROR;
	}
	return CM_OK;
}

/* ---- datums ------------------------------------------------------------------------ */

static bool is_varlen_string(sem_oid t)
{
	switch (t) {
	case SEM_TEXTOID: case SEM_VARCHAROID: case SEM_BPCHAROID: case SEM_NAMEOID: case SEM_BYTEAOID:
	case SEM_UNKNOWNOID: case SEM_JSONOID: case SEM_JSONBOID:
		return true;
	default:
		return false;
	}
}

size_t ex_datum_copy(cm_arena *a, sem_oid t, const sem_datum *in, sem_datum *out)
{
	*out = *in;
	if (in->isnull)
		return 0;
	if (is_varlen_string(t)) {
		char *p = cm_alloc(a, in->v.s.len + 1);
		if (in->v.s.len)
			memcpy(p, in->v.s.p, in->v.s.len);
		p[in->v.s.len] = '\0';
		out->v.s.p = p;
		return in->v.s.len + 1;
	}
	if (t == SEM_NUMERICOID) {
		size_t sz = sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) (in->v.num->nlimbs > 0 ? in->v.num->nlimbs : 0);
		out->v.num = cm_memdup(a, in->v.num, sz);
		return sz;
	}
	sem_oid et = sem_array_elem_type(t);
	if (et) {
		const sem_array *x = in->v.arr;
		sem_array *y = sem_array_new(a, et, x->n);
		size_t sz = sizeof(sem_array) + sizeof(sem_datum) * (size_t) x->n;
		for (int i = 0; i < x->n; i++)
			sz += ex_datum_copy(a, et, &x->elems[i], &y->elems[i]);
		out->v.arr = y;
		return sz;
	}
	return 0;
}

size_t ex_row_copy(cm_arena *a, int n, const sem_type *types, const sem_datum *in, sem_datum *out)
{
	size_t sz = 0;
	for (int i = 0; i < n; i++)
		sz += ex_datum_copy(a, types[i].oid, &in[i], &out[i]);
	return sz;
}

void ex_datum_write(cm_buf *out, sem_oid t, const sem_datum *d)
{
	cm_buf_putc(out, d->isnull ? 1 : 0);
	if (d->isnull)
		return;
	if (is_varlen_string(t)) {
		uint32_t n = d->v.s.len;
		cm_buf_append(out, (const char *) &n, 4);
		cm_buf_append(out, d->v.s.p, n);
		return;
	}
	if (t == SEM_NUMERICOID) {
		uint32_t n = (uint32_t) (sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) (d->v.num->nlimbs > 0 ? d->v.num->nlimbs : 0));
		cm_buf_append(out, (const char *) &n, 4);
		cm_buf_append(out, (const char *) d->v.num, n);
		return;
	}
	sem_oid et = sem_array_elem_type(t);
	if (et) {
		uint32_t n = (uint32_t) d->v.arr->n;
		cm_buf_append(out, (const char *) &n, 4);
		for (uint32_t i = 0; i < n; i++)
			ex_datum_write(out, et, &d->v.arr->elems[i]);
		return;
	}
	cm_buf_append(out, (const char *) &d->v, sizeof d->v);
}

const char *ex_datum_read(cm_arena *a, sem_oid t, const char *p, sem_datum *out)
{
	memset(out, 0, sizeof *out);
	if (*p++) {
		out->isnull = true;
		return p;
	}
	uint32_t n;
	if (is_varlen_string(t)) {
		memcpy(&n, p, 4);
		p += 4;
		char *s = cm_alloc(a, n + 1);
		memcpy(s, p, n);
		s[n] = '\0';
		out->v.s.p = s;
		out->v.s.len = n;
		return p + n;
	}
	if (t == SEM_NUMERICOID) {
		memcpy(&n, p, 4);
		p += 4;
		out->v.num = cm_memdup(a, p, n);
		return p + n;
	}
	sem_oid et = sem_array_elem_type(t);
	if (et) {
		memcpy(&n, p, 4);
		p += 4;
		sem_array *arr = sem_array_new(a, et, (int) n);
		for (uint32_t i = 0; i < n; i++)
			p = ex_datum_read(a, et, p, &arr->elems[i]);
		out->v.arr = arr;
		return p;
	}
	memcpy(&out->v, p, sizeof out->v);
	return p + sizeof out->v;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return mix(h);
}

static uint64_t hash_double(double d)
{
	if (d == 0)
		d = 0;	/* -0 == 0 */
	if (isnan(d))
		return 0x7ff8dead;
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return mix(u);
}

uint64_t ex_datum_hash(sem_oid t, const sem_datum *d)
{
	if (d->isnull)
		return 0x9e3779b97f4a7c15ULL;
	switch (t) {
	case SEM_BOOLOID:
		return mix(d->v.b ? 2 : 1);
	case SEM_FLOAT4OID: case SEM_FLOAT8OID:
		return hash_double(d->v.f);
	case SEM_NUMERICOID:
		if (sem_num_is_nan(d->v.num))
			return 0x7ff8dead;
		return hash_double(sem_num_to_double(d->v.num));
	case SEM_BPCHAROID: {
		size_t n = d->v.s.len;
		while (n > 0 && d->v.s.p[n - 1] == ' ')
			n--;
		return hash_bytes(d->v.s.p, n);
	}
	case SEM_UUIDOID:
		return hash_bytes(d->v.uuid, 16);
	case SEM_INTERVALOID: {
		/* intervals compare by total span: 1 day = 24 hours, 1 month = 30 days */
		__int128 span = (__int128) d->v.iv.time + (__int128) d->v.iv.day * 86400000000LL +
						(__int128) d->v.iv.month * 30 * 86400000000LL;
		return mix((uint64_t) span ^ (uint64_t) (span >> 64));
	}
	default:
		break;
	}
	if (is_varlen_string(t))
		return hash_bytes(d->v.s.p, d->v.s.len);
	sem_oid et = sem_array_elem_type(t);
	if (et) {
		uint64_t h = 17;
		for (int i = 0; i < d->v.arr->n; i++)
			h = mix(h * 31 + ex_datum_hash(et, &d->v.arr->elems[i]));
		return h;
	}
	/* integers, dates, times, timestamps, oids: v.i */
	return mix((uint64_t) d->v.i);
}

bool ex_datum_eq(sem_oid t, const sem_datum *a, const sem_datum *b)
{
	if (a->isnull || b->isnull)
		return a->isnull && b->isnull;
	return sem_datum_compare(t, a, b) == 0;
}

/* ---- hash table ------------------------------------------------------------------ */

void ex_htab_init(ex_htab *h, cm_arena *a, int nkeys, const sem_oid *keytypes, ex_mem *mem)
{
	memset(h, 0, sizeof *h);
	h->arena = a;
	h->nkeys = nkeys;
	h->keytypes = keytypes;
	h->nbuckets = 256;
	h->buckets = cm_new_array(a, ex_hentry *, h->nbuckets);
	h->mem = mem;
}

uint64_t ex_hash_key(int nkeys, const sem_oid *types, const sem_datum *key)
{
	uint64_t h = 0x12345;
	for (int i = 0; i < nkeys; i++)
		h = mix(h * 0x100000001b3ULL + ex_datum_hash(types[i], &key[i]));
	return h;
}

static void grow(ex_htab *h)
{
	size_t nb = h->nbuckets * 2;
	ex_hentry **b = cm_new_array(h->arena, ex_hentry *, nb);
	for (size_t i = 0; i < h->nbuckets; i++) {
		ex_hentry *e = h->buckets[i];
		while (e) {
			ex_hentry *n = e->next;
			size_t k = e->hash & (nb - 1);
			e->next = b[k];
			b[k] = e;
			e = n;
		}
	}
	h->buckets = b;
	h->nbuckets = nb;
}

cm_status ex_htab_lookup(ex_htab *h, const sem_datum *key, bool create, ex_hentry **out, bool *created,
						 cm_error *err)
{
	uint64_t hv = ex_hash_key(h->nkeys, h->keytypes, key);
	if (created)
		*created = false;
	for (ex_hentry *e = h->buckets[hv & (h->nbuckets - 1)]; e; e = e->next) {
		if (e->hash != hv)
			continue;
		bool eq = true;
		for (int i = 0; i < h->nkeys && eq; i++)
			eq = ex_datum_eq(h->keytypes[i], &e->key[i], &key[i]);
		if (eq) {
			*out = e;
			return CM_OK;
		}
	}
	*out = NULL;
	if (!create)
		return CM_OK;
	if (h->count >= h->nbuckets) {
		if (h->mem && ex_mem_charge(h->mem, (int64_t) (h->nbuckets * sizeof(void *)), err) != CM_OK)
			return CM_ERROR;
		grow(h);
	}
	ex_hentry *e = cm_new(h->arena, ex_hentry);
	e->hash = hv;
	e->key = cm_alloc(h->arena, sizeof(sem_datum) * (size_t) (h->nkeys > 0 ? h->nkeys : 1));
	size_t sz = sizeof *e + sizeof(sem_datum) * (size_t) h->nkeys;
	for (int i = 0; i < h->nkeys; i++)
		sz += ex_datum_copy(h->arena, h->keytypes[i], &key[i], &e->key[i]);
	if (h->mem && ex_mem_charge(h->mem, (int64_t) sz, err) != CM_OK)
		return CM_ERROR;
	size_t k = hv & (h->nbuckets - 1);
	e->next = h->buckets[k];
	h->buckets[k] = e;
	h->count++;
	*out = e;
	if (created)
		*created = true;
	return CM_OK;
}

int ex_sort_compare(int nkeys, const ex_sortkey *keys, const sem_datum *a, const sem_datum *b)
{
	for (int i = 0; i < nkeys; i++) {
		const sem_datum *x = &a[i], *y = &b[i];
		int c;
		if (x->isnull || y->isnull) {
			if (x->isnull && y->isnull)
				continue;
			/* NULL is larger than everything unless NULLS FIRST */
			c = x->isnull ? 1 : -1;
			if (keys[i].nulls_first)
				c = -c;
			return c;
		}
		c = sem_datum_compare(keys[i].expr->type.oid, x, y);
		if (c) {
			if (keys[i].desc)
				c = -c;
			return c < 0 ? -1 : 1;
		}
	}
	return 0;
}

/* ---- join helpers --------------------------------------------------------------------- */

static void set_nulls(sem_datum *d, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&d[i], 0, sizeof(sem_datum));
		d[i].isnull = true;
	}
}

void ex_join_emit(ex_batch *b, ex_jointype jt, const sem_datum *lrow, int lw, const sem_datum *rrow, int rw)
{
	sem_datum *dst = ex_row(b, b->nrows++);
	if (lrow)
		memcpy(dst, lrow, sizeof(sem_datum) * (size_t) lw);
	else
		set_nulls(dst, lw);
	if (jt == EX_JOIN_SEMI || jt == EX_JOIN_ANTI)
		return;
	if (rrow)
		memcpy(dst + lw, rrow, sizeof(sem_datum) * (size_t) rw);
	else
		set_nulls(dst + lw, rw);
}

cm_status ex_join_pair_ok(ex_op *op, int k0, int nkeys, sem_expr **lkeys, sem_expr **rkeys, const sem_builtin **eqs,
						  sem_expr *qual, sem_datum *comb, const sem_datum *lrow, int lw, const sem_datum *rrow,
						  int rw, bool *out, cm_error *err)
{
	*out = false;
	for (int k = k0; k < nkeys; k++) {
		sem_datum args[2], r;
		if (sem_eval(&op->ctx, lkeys[k], lrow, op->st->params, &args[0], err) != CM_OK ||
			sem_eval(&op->ctx, rkeys[k], rrow, op->st->params, &args[1], err) != CM_OK)
			return CM_ERROR;
		if (args[0].isnull || args[1].isnull)
			return CM_OK;
		memset(&r, 0, sizeof r);
		if (eqs[k]->fn(&op->ctx, 2, args, &r, err) != CM_OK)
			return CM_ERROR;
		if (r.isnull || !r.v.b)
			return CM_OK;
	}
	if (qual) {
		memcpy(comb, lrow, sizeof(sem_datum) * (size_t) lw);
		memcpy(comb + lw, rrow, sizeof(sem_datum) * (size_t) rw);
		sem_datum d;
		if (sem_eval(&op->ctx, qual, comb, op->st->params, &d, err) != CM_OK)
			return CM_ERROR;
		if (d.isnull || !d.v.b)
			return CM_OK;
	}
	*out = true;
	return CM_OK;
}
