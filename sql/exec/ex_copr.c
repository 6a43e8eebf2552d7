/*
 * ex_copr.c -- the coprocessor scan operator (see ex_copr.h).
 *
 * open() asks the planner's prepare() for the request and starts the
 * kv/copr iterator; next() turns chunks into batches.  Plain scans hand
 * chunk datums out without copying; aggregate scans merge the per-region
 * partial aggregates in a hash table first.  close() stops the iterator
 * (kv_copr_close never waits for a store call in flight).
 *
 * Exported: ex_copr_new, ex_copr_get_stats.
 */
#include "sql/exec/ex_copr.h"

#include <string.h>
#include <time.h>

#include "sql/exec/ex_internal.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_numeric.h"

typedef struct copr_aggstate {
	int64_t count;
	bool have;
	__int128 isum;
	sem_numeric *nsum;
	sem_datum v;				/* min / max */
} copr_aggstate;

typedef struct copr_op {
	ex_op op;
	const ex_copr_desc *d;
	cm_arena *req_arena;		/* per open: the request */
	kv_copr_iter *it;
	bool done;
	bool empty;
	/* plain */
	kv_copr_chunk chunk;
	size_t pos;
	/* aggregate */
	cm_arena *harena;
	ex_mem mem;
	ex_htab ht;
	sem_oid *gtypes;
	ex_hentry **order;			/* groups in first-seen order */
	int64_t ngroups, cap, emitted;
	bool merged;
	int64_t emitted_rows;		/* this open: rows handed out (no fallback after that) */
	ex_op *fb;					/* gateway plan, built on first need */
	bool use_fb;
	ex_copr_stats stats;
} copr_op;

static const ex_op_vt copr_vt;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void iter_stop(copr_op *c)
{
	if (c->it) {
		kv_copr_stats s;
		kv_copr_get_stats(c->it, &s);
		c->stats.tasks += (int64_t) s.tasks;
		c->stats.requests += (int64_t) s.requests;
		c->stats.region_retries += (int64_t) s.region_retries;
		c->stats.lock_retries += (int64_t) s.lock_retries;
		kv_copr_close(c->it);
		c->it = NULL;
	}
}

/* Next chunk into c->chunk; *end at the end. */
static cm_status pull(copr_op *c, bool *end, cm_error *err)
{
	*end = false;
	if (!c->it) {
		*end = true;
		return CM_OK;
	}
	int64_t t0 = now_ns();
	cm_status rc = kv_copr_next(c->it, &c->chunk, err);
	c->stats.wait_ns += now_ns() - t0;
	if (rc == CM_CLOSED) {
		iter_stop(c);
		*end = true;
		return CM_OK;
	}
	if (rc != CM_OK) {
		iter_stop(c);
		return CM_ERROR;
	}
	c->stats.store_rows += (int64_t) c->chunk.nrows;
	c->pos = 0;
	return CM_OK;
}

static cm_status start_fallback(copr_op *c, cm_error *err)
{
	iter_stop(c);
	if (!c->fb && c->d->fallback(c->d->arg, c->op.st, &c->fb, err) != CM_OK)
		return CM_ERROR;
	c->use_fb = true;
	c->stats.fallbacks++;
	return ex_open(c->fb, err);
}

/* An error that says the store cannot run or return this request (as
 * opposed to an error of the query itself, like division by zero). */
static bool not_expressible(const cm_error *e)
{
	if (!strcmp(e->code, CM_E_FEATURE_NOT_SUPPORTED))
		return true;
	return e->message && strstr(e->message, "through the coprocessor") != NULL;
}

static cm_status copr_open(ex_op *op, cm_error *err)
{
	copr_op *c = (copr_op *) op;
	iter_stop(c);
	if (!c->req_arena) {
		c->req_arena = cm_arena_create(0);
		cm_arena_on_reset(op->st->arena, (cm_cleanup_fn) cm_arena_destroy, c->req_arena);
	} else
		cm_arena_reset(c->req_arena);
	c->done = false;
	c->empty = false;
	c->merged = false;
	c->pos = 0;
	memset(&c->chunk, 0, sizeof c->chunk);
	c->ngroups = c->cap = c->emitted = 0;
	c->order = NULL;
	kv_client *client = NULL;
	kv_copr_pool *pool = NULL;
	kv_copr_request req;
	memset(&req, 0, sizeof req);
	c->emitted_rows = 0;
	if (c->use_fb) {
		ex_close(c->fb);
		c->use_fb = false;
	}
	bool fb = false;
	if (c->d->prepare(c->d->arg, op->st, c->req_arena, &client, &pool, &req, &c->empty, &fb, err) != CM_OK)
		return CM_ERROR;
	c->stats.opens++;
	if (fb)
		return start_fallback(c, err);
	if (c->empty)
		return CM_OK;
	int64_t t0 = now_ns();
	cm_status rc = kv_copr_open(client, pool, &req, &c->it, err);
	c->stats.wait_ns += now_ns() - t0;
	return rc;
}

/* ---- plain rows ----------------------------------------------------------------------- */

static cm_status plain_next(copr_op *c, ex_batch **out, cm_error *err)
{
	ex_op *op = &c->op;
	while (!c->done && c->pos >= c->chunk.nrows) {
		bool end;
		if (pull(c, &end, err) != CM_OK)
			return CM_ERROR;
		if (end)
			c->done = true;
	}
	if (c->done)
		return CM_OK;
	size_t n = c->chunk.nrows - c->pos;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(op->scratch, op->ncols, (int) n);
	const int *map = c->d->map;
	for (size_t r = 0; r < n; r++) {
		sem_datum *row = ex_row(b, (int) r);
		for (int k = 0; k < op->ncols; k++) {
			if (map[k] >= 0)
				row[k] = c->chunk.col[map[k]][c->pos + r];
			else {
				memset(&row[k], 0, sizeof row[k]);
				row[k].isnull = true;
			}
		}
	}
	b->nrows = (int) n;
	c->pos += n;
	*out = b;
	return CM_OK;
}

/* ---- partial aggregate merge ---------------------------------------------------------- */

static cm_status merge_row(copr_op *c, size_t r, sem_datum *key, cm_error *err)
{
	const ex_copr_desc *d = c->d;
	sem_datum **col = c->chunk.col;
	for (int g = 0; g < d->ngroups; g++)
		key[g] = col[d->gcols[g]][r];
	ex_hentry *e;
	bool created;
	if (ex_htab_lookup(&c->ht, key, true, &e, &created, err) != CM_OK)
		return CM_ERROR;
	if (created) {
		copr_aggstate *s = cm_alloc0(c->harena, sizeof(copr_aggstate) * (size_t) (d->naggs ? d->naggs : 1));
		if (ex_mem_charge(&c->mem, (int64_t) (sizeof(copr_aggstate) * (size_t) d->naggs + sizeof(void *)), err) !=
			CM_OK)
			return CM_ERROR;
		e->payload = s;
		if (c->ngroups == c->cap) {
			int64_t nc = c->cap ? c->cap * 2 : 64;
			ex_hentry **no = cm_alloc(c->harena, sizeof(ex_hentry *) * (size_t) nc);
			if (c->ngroups)
				memcpy(no, c->order, sizeof(ex_hentry *) * (size_t) c->ngroups);
			c->order = no;
			c->cap = nc;
		}
		c->order[c->ngroups++] = e;
	}
	copr_aggstate *st = e->payload;
	for (int a = 0; a < d->naggs; a++) {
		const ex_copr_aggspec *ag = &d->aggs[a];
		copr_aggstate *s = &st[a];
		const sem_datum *v = &col[ag->pcol][r];
		switch (ag->kind) {
		case EX_AGG_COUNT_STAR:
		case EX_AGG_COUNT:
			if (!v->isnull)
				s->count += v->v.i;
			break;
		case EX_AGG_AVG:
			if (!v->isnull)
				s->count += v->v.i;
			v = &col[ag->pcol + 1][r];
			/* fallthrough */
		case EX_AGG_SUM:
			if (v->isnull)
				break;
			if (ag->kind == EX_AGG_SUM && (ag->argtype.oid == SEM_INT2OID || ag->argtype.oid == SEM_INT4OID))
				s->isum += v->v.i;		/* partial is int8 */
			else {
				/* numeric partial: add in scratch, keep a copy in the table arena */
				sem_numeric *sum = s->nsum ? sem_num_add(c->op.scratch, s->nsum, v->v.num) : v->v.num;
				sem_datum tmp = {.v.num = sum}, keep;
				size_t sz = ex_datum_copy(c->harena, SEM_NUMERICOID, &tmp, &keep);
				if (ex_mem_charge(&c->mem, (int64_t) sz, err) != CM_OK)
					return CM_ERROR;
				s->nsum = keep.v.num;
			}
			s->have = true;
			break;
		case EX_AGG_MIN:
		case EX_AGG_MAX: {
			if (v->isnull)
				break;
			int cmp = s->have ? sem_datum_compare(ag->argtype.oid, v, &s->v) : 0;
			if (!s->have || (ag->kind == EX_AGG_MIN ? cmp < 0 : cmp > 0)) {
				size_t sz = ex_datum_copy(c->harena, ag->argtype.oid, v, &s->v);
				if (ex_mem_charge(&c->mem, (int64_t) sz, err) != CM_OK)
					return CM_ERROR;
				s->have = true;
			}
			break;
		}
		default:
			return cm_error_set(err, CM_E_INTERNAL_ERROR, "coprocessor: aggregate kind %d cannot be merged",
								(int) ag->kind);
		}
	}
	return CM_OK;
}

static cm_status merge_all(copr_op *c, cm_error *err)
{
	const ex_copr_desc *d = c->d;
	ex_state *st = c->op.st;
	if (!c->harena) {
		c->harena = cm_arena_create(0);
		cm_arena_on_reset(st->arena, (cm_cleanup_fn) cm_arena_destroy, c->harena);
	} else
		cm_arena_reset(c->harena);
	ex_mem_init(&c->mem, st, "coprocessor aggregate merge");
	ex_htab_init(&c->ht, c->harena, d->ngroups, c->gtypes, &c->mem);
	sem_datum *key = cm_alloc(c->harena, sizeof(sem_datum) * (size_t) (d->ngroups ? d->ngroups : 1));
	for (;;) {
		bool end;
		if (pull(c, &end, err) != CM_OK)
			return CM_ERROR;
		if (end)
			break;
		for (size_t r = 0; r < c->chunk.nrows; r++)
			if (merge_row(c, r, key, err) != CM_OK)
				return CM_ERROR;
		if (ex_check_cancel(st, err) != CM_OK)
			return CM_ERROR;
	}
	if (d->ngroups == 0 && c->ngroups == 0) {
		/* plain aggregate over nothing (or an empty range): one row of initial states */
		ex_hentry *e;
		bool created;
		if (ex_htab_lookup(&c->ht, key, true, &e, &created, err) != CM_OK)
			return CM_ERROR;
		e->payload = cm_alloc0(c->harena, sizeof(copr_aggstate) * (size_t) (d->naggs ? d->naggs : 1));
		c->order = cm_alloc(c->harena, sizeof(ex_hentry *));
		c->order[0] = e;
		c->ngroups = 1;
	}
	c->merged = true;
	return CM_OK;
}

static cm_status final_value(copr_op *c, const ex_copr_aggspec *ag, copr_aggstate *s, sem_datum *out, cm_error *err)
{
	cm_arena *a = c->op.scratch;
	memset(out, 0, sizeof *out);
	switch (ag->kind) {
	case EX_AGG_COUNT_STAR:
	case EX_AGG_COUNT:
		out->v.i = s->count;
		return CM_OK;
	case EX_AGG_SUM:
		if (!s->have) {
			out->isnull = true;
			return CM_OK;
		}
		if (ag->argtype.oid == SEM_INT2OID || ag->argtype.oid == SEM_INT4OID) {
			if (s->isum > INT64_MAX || s->isum < INT64_MIN)
				return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
			out->v.i = (int64_t) s->isum;
			return CM_OK;
		}
		out->v.num = s->nsum;
		return CM_OK;
	case EX_AGG_AVG:
		if (!s->have || s->count == 0) {
			out->isnull = true;
			return CM_OK;
		}
		return sem_num_div(a, s->nsum, sem_num_from_int(a, s->count), &out->v.num, err);
	case EX_AGG_MIN:
	case EX_AGG_MAX:
		if (!s->have)
			out->isnull = true;
		else
			*out = s->v;
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "coprocessor: aggregate kind %d cannot be merged",
							(int) ag->kind);
	}
}

static cm_status agg_next(copr_op *c, ex_batch **out, cm_error *err)
{
	const ex_copr_desc *d = c->d;
	if (!c->merged && merge_all(c, err) != CM_OK)
		return CM_ERROR;
	int64_t n = c->ngroups - c->emitted;
	if (n <= 0)
		return CM_OK;
	if (n > EX_BATCH_ROWS)
		n = EX_BATCH_ROWS;
	ex_batch *b = ex_batch_new(c->op.scratch, c->op.ncols, (int) n);
	for (int64_t r = 0; r < n; r++) {
		ex_hentry *e = c->order[c->emitted + r];
		sem_datum *row = ex_row(b, (int) r);
		for (int g = 0; g < d->ngroups; g++)
			row[g] = e->key[g];
		copr_aggstate *s = e->payload;
		for (int a = 0; a < d->naggs; a++)
			if (final_value(c, &d->aggs[a], &s[a], &row[d->ngroups + a], err) != CM_OK)
				return CM_ERROR;
	}
	b->nrows = (int) n;
	c->emitted += n;
	*out = b;
	return CM_OK;
}

static cm_status copr_next(ex_op *op, ex_batch **out, cm_error *err)
{
	copr_op *c = (copr_op *) op;
	*out = NULL;
	if (c->use_fb)
		return ex_next(c->fb, out, err);
	if (c->empty && !c->d->agg)
		return CM_OK;
	cm_status rc = c->d->agg ? agg_next(c, out, err) : plain_next(c, out, err);
	if (rc != CM_OK && c->emitted_rows == 0 && not_expressible(err)) {
		cm_error_clear(err);
		if (start_fallback(c, err) != CM_OK)
			return CM_ERROR;
		return ex_next(c->fb, out, err);
	}
	if (rc == CM_OK && *out)
		c->emitted_rows += (*out)->nrows;
	return rc;
}

static void copr_close(ex_op *op)
{
	copr_op *c = (copr_op *) op;
	iter_stop(c);
	if (c->use_fb)
		ex_close(c->fb);
}

static const ex_op_vt copr_vt = {"CoprocessorScan", copr_open, copr_next, copr_close};

static void copr_cleanup(void *arg)
{
	iter_stop(arg);
}

ex_op *ex_copr_new(ex_state *st, int ncols, const sem_type *types, const ex_copr_desc *d)
{
	copr_op *c = cm_new(st->arena, copr_op);
	ex_op_init(&c->op, &copr_vt, st, ncols, types);
	c->d = d;
	if (d->agg) {
		c->gtypes = cm_new_array(st->arena, sem_oid, d->ngroups + 1);
		for (int g = 0; g < d->ngroups; g++)
			c->gtypes[g] = types[g].oid;
	}
	cm_arena_on_reset(st->arena, copr_cleanup, c);
	return &c->op;
}

bool ex_copr_get_stats(const ex_op *op, const void **arg, ex_copr_stats *out)
{
	if (!op || op->vt != &copr_vt)
		return false;
	const copr_op *c = (const copr_op *) op;
	if (arg)
		*arg = c->d->arg;
	*out = c->stats;
	if (c->it) {
		kv_copr_stats s;
		kv_copr_get_stats(c->it, &s);
		out->tasks += (int64_t) s.tasks;
		out->requests += (int64_t) s.requests;
		out->region_retries += (int64_t) s.region_retries;
		out->lock_retries += (int64_t) s.lock_retries;
	}
	return true;
}
