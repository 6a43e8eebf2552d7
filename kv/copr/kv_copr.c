/*
 * kv_copr.c -- the coprocessor client: region tasks on a worker pool,
 * bounded buffering, keep-order, region-error re-splits, lock resolution,
 * cancellation, and chunk decoding into column vectors.  See kv_copr.h.
 *
 * Structure:
 *   pool       fixed threads popping jobs (iterator, task) from one queue
 *   iterator   tasks (one per region at open time), a result queue per task
 *              (keep_order) or one shared queue, counters for in-flight
 *              tasks and buffered responses, the first error, a refcount
 *              (consumer + queued / running jobs) so that close never waits
 *              for a store call in flight
 *   run_task   send -> region error: on_error + re-split + recurse in key
 *              order / locked: resolve + retry / ok: decode + push
 *
 * Exported: kv_copr_pool_new / _free / _size, kv_copr_open / _next /
 * _close / _get_stats.
 */
#include "kv/copr/kv_copr.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv/codec/kv_chunk.h"
#include "kv/copr/kv_copr_dag.h"

#define COPR_REQ_DAG 103
#define COPR_POLL_MS 10
#define COPR_DEFAULT_EXEC_MS 60000u

/* ---- pool ------------------------------------------------------------------------ */

typedef struct copr_job {
	struct copr_job *next;
	kv_copr_iter *it;
	size_t task;
} copr_job;

struct kv_copr_pool {
	pthread_t *th;
	uint32_t n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	copr_job *head, *tail;
	bool stop;
};

static void run_job(kv_copr_iter *it, size_t task);

static void *
pool_main(void *arg)
{
	kv_copr_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->head && p->stop)
			break;
		copr_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		run_job(j->it, j->task);
		free(j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

kv_copr_pool *
kv_copr_pool_new(uint32_t n)
{
	if (n == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (uint32_t) c : 1;
	}
	kv_copr_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->th = calloc(n, sizeof(pthread_t));
	if (!p->th) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (uint32_t i = 0; i < n; i++) {
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 1 << 20);
		int rc = pthread_create(&p->th[i], &at, pool_main, p);
		pthread_attr_destroy(&at);
		if (rc != 0)
			break;
		p->n++;
	}
	if (p->n == 0) {
		kv_copr_pool_free(p);
		return NULL;
	}
	return p;
}

void
kv_copr_pool_free(kv_copr_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (uint32_t i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->th);
	free(p);
}

uint32_t
kv_copr_pool_size(const kv_copr_pool *p)
{
	return p->n;
}

static void
pool_submit(kv_copr_pool *p, kv_copr_iter *it, size_t task)
{
	copr_job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->it = it;
	j->task = task;
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* ---- iterator ----------------------------------------------------------------------- */

typedef struct copr_result {
	struct copr_result *next;
	cm_arena *a;
	kv_copr_chunk *chunks;
	size_t n;
} copr_result;

typedef struct copr_task {
	kv_region *region;		/* referenced (from the open-time split) */
	kv_key_range *ranges;	/* owned by the split array */
	size_t n;
	copr_result *head, *tail;
	bool done;
} copr_task;

struct kv_copr_iter {
	pthread_mutex_t mu;
	pthread_cond_t cv_consumer;
	pthread_cond_t cv_producer;
	int refs;

	kv_client *client;
	kv_copr_pool *pool;
	cm_arena *meta;				/* schema, request copy */
	uint8_t *dag_bytes;			/* malloc'd */
	size_t dag_len;
	kv_copr_col *cols;
	size_t ncols;
	uint64_t start_ts;
	bool keep_order;
	bool desc;
	atomic_int *cancel;
	uint64_t deadline_us;
	uint32_t max_exec_ms;

	kv_region_ranges *split;
	size_t n_split;
	copr_task *tasks;
	size_t n_tasks;
	size_t next_submit;
	size_t inflight;
	size_t max_inflight;
	size_t finished;
	size_t head;				/* keep_order: task the consumer reads */
	copr_result *qhead, *qtail;	/* unordered results */
	size_t buffered;
	size_t max_buffered;

	bool closing;
	bool failed;
	cm_error err;

	copr_result *cur;			/* consumer's current result */
	size_t cur_i;
	kv_copr_stats st;
};

static uint64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void
timed_wait(pthread_cond_t *cv, pthread_mutex_t *mu, unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long) ms * 1000000L;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_nsec -= 1000000000L;
		ts.tv_sec++;
	}
	(void) pthread_cond_timedwait(cv, mu, &ts);
}

static bool
cancelled(const kv_copr_iter *it)
{
	return (it->cancel && atomic_load(it->cancel)) ||
		   (it->deadline_us && now_us() > it->deadline_us);
}

static void
result_free(copr_result *r)
{
	if (!r)
		return;
	cm_arena_destroy(r->a);
	free(r);
}

static void
iter_free(kv_copr_iter *it)
{
	for (size_t i = 0; i < it->n_tasks; i++) {
		copr_result *r = it->tasks[i].head;
		while (r) {
			copr_result *n = r->next;
			result_free(r);
			r = n;
		}
	}
	copr_result *r = it->qhead;
	while (r) {
		copr_result *n = r->next;
		result_free(r);
		r = n;
	}
	result_free(it->cur);
	kv_region_ranges_free(it->split, it->n_split);
	free(it->tasks);
	free(it->dag_bytes);
	cm_arena_destroy(it->meta);
	cm_error_clear(&it->err);
	pthread_mutex_destroy(&it->mu);
	pthread_cond_destroy(&it->cv_consumer);
	pthread_cond_destroy(&it->cv_producer);
	free(it);
}

/* Drop one reference (it->mu held); frees the iterator (and unlocks) when
 * it was the last.  Returns true if freed. */
static bool
unref_locked(kv_copr_iter *it)
{
	if (--it->refs == 0) {
		pthread_mutex_unlock(&it->mu);
		iter_free(it);
		return true;
	}
	return false;
}

/* Submit tasks while below the in-flight limit (it->mu held). */
static void
submit_more(kv_copr_iter *it)
{
	while (!it->closing && !it->failed && it->inflight < it->max_inflight &&
		   it->next_submit < it->n_tasks) {
		it->inflight++;
		it->refs++;
		pool_submit(it->pool, it, it->next_submit++);
	}
}

static void
set_failed(kv_copr_iter *it, cm_error *e)
{
	pthread_mutex_lock(&it->mu);
	if (!it->failed) {
		it->failed = true;
		cm_error_move(&it->err, e);
	}
	pthread_cond_broadcast(&it->cv_consumer);
	pthread_cond_broadcast(&it->cv_producer);
	pthread_mutex_unlock(&it->mu);
	cm_error_clear(e);
}

/* Hand a decoded response to the consumer, waiting for room. */
static bool
push_result(kv_copr_iter *it, size_t task, copr_result *r)
{
	pthread_mutex_lock(&it->mu);
	while (!it->closing && !it->failed && it->buffered >= it->max_buffered &&
		   !(it->keep_order && task == it->head)) {
		if (cancelled(it))
			break;
		timed_wait(&it->cv_producer, &it->mu, COPR_POLL_MS);
	}
	if (it->closing || it->failed || cancelled(it)) {
		pthread_mutex_unlock(&it->mu);
		result_free(r);
		return false;
	}
	if (it->keep_order) {
		copr_task *t = &it->tasks[task];
		if (t->tail)
			t->tail->next = r;
		else
			t->head = r;
		t->tail = r;
	} else {
		if (it->qtail)
			it->qtail->next = r;
		else
			it->qhead = r;
		it->qtail = r;
	}
	it->buffered++;
	pthread_cond_broadcast(&it->cv_consumer);
	pthread_mutex_unlock(&it->mu);
	return true;
}

/* ---- decoding ------------------------------------------------------------------------ */

static void
resp_cleanup(void *p)
{
	tipb__select_response__free_unpacked(p, NULL);
}

static cm_status
decode_chunk(kv_copr_iter *it, cm_arena *a, const Tipb__Chunk *ch, bool chunk_enc,
			 kv_copr_chunk *out, cm_error *err)
{
	const uint8_t *p = ch->rows_data.data, *end = p + ch->rows_data.len;
	memset(out, 0, sizeof *out);
	out->ncols = it->ncols;
	out->cols = it->cols;
	out->col = cm_alloc(a, sizeof(sem_datum *) * (it->ncols ? it->ncols : 1));
	if (chunk_enc) {
		for (size_t c = 0; c < it->ncols; c++) {
			kv_chunk_col col;
			size_t es = kv_copr_chunk_elem_size(&it->cols[c].ft, NULL);
			if (kv_chunk_col_read(&p, end, es, &col, err) != CM_OK)
				return CM_ERROR;
			if (c == 0)
				out->nrows = col.length;
			else if (col.length != out->nrows)
				return cm_error_set(err, CM_E_DATA_CORRUPTED,
									"coprocessor: chunk columns of different lengths");
			out->col[c] = cm_alloc(a, sizeof(sem_datum) * (col.length ? col.length : 1));
			for (uint32_t r = 0; r < col.length; r++)
				if (kv_copr_chunk_get(&col, r, &it->cols[c].ft, it->cols[c].st, a, &out->col[c][r],
									  err) != CM_OK)
					return CM_ERROR;
		}
		return CM_OK;
	}
	/* TypeDefault: rows of datums; count the rows first */
	size_t cap = 64, n = 0;
	for (size_t c = 0; c < it->ncols; c++)
		out->col[c] = cm_alloc(a, sizeof(sem_datum) * cap);
	while (p < end && it->ncols) {
		if (n == cap) {
			for (size_t c = 0; c < it->ncols; c++) {
				sem_datum *nc = cm_alloc(a, sizeof(sem_datum) * cap * 2);
				memcpy(nc, out->col[c], sizeof(sem_datum) * cap);
				out->col[c] = nc;
			}
			cap *= 2;
		}
		for (size_t c = 0; c < it->ncols; c++)
			if (kv_copr_datum_decode(&p, end, &it->cols[c].ft, it->cols[c].st, a, &out->col[c][n],
									 err) != CM_OK)
				return CM_ERROR;
		n++;
	}
	out->nrows = n;
	return CM_OK;
}

/* Decode a successful Response into a result (NULL if it has no rows). */
static cm_status
decode_response(kv_copr_iter *it, const Coprocessor__Response *resp, copr_result **out,
				cm_error *err)
{
	*out = NULL;
	Tipb__SelectResponse *sr =
		tipb__select_response__unpack(NULL, resp->data.len, resp->data.data);
	if (!sr)
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "coprocessor: malformed SelectResponse");
	if (sr->error) {
		const char *m = sr->error->msg ? sr->error->msg : "unknown error";
		kv_copr_error_parse(m, strlen(m), err);
		tipb__select_response__free_unpacked(sr, NULL);
		return CM_ERROR;
	}
	bool chunk_enc = sr->has_encode_type && sr->encode_type == TIPB__ENCODE_TYPE__TypeChunk;
	copr_result *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->a = cm_arena_create(64 * 1024);
	cm_arena_on_reset(r->a, resp_cleanup, sr);
	r->chunks = cm_alloc(r->a, sizeof(kv_copr_chunk) * (sr->n_chunks ? sr->n_chunks : 1));
	for (size_t i = 0; i < sr->n_chunks; i++) {
		kv_copr_chunk *c = &r->chunks[r->n];
		if (decode_chunk(it, r->a, sr->chunks[i], chunk_enc, c, err) != CM_OK) {
			result_free(r);
			return CM_ERROR;
		}
		if (c->nrows)
			r->n++;
	}
	if (r->n == 0) {
		result_free(r);
		return CM_OK;
	}
	*out = r;
	return CM_OK;
}

/* ---- running a task ---------------------------------------------------------------------- */

typedef struct task_ctx {
	kv_copr_iter *it;
	size_t task;
	kv_backoffer bo;
	kv_snapshot snap;
	cm_arena *a;
} task_ctx;

static void
stat_add(kv_copr_iter *it, uint64_t *field)
{
	pthread_mutex_lock(&it->mu);
	(*field)++;
	pthread_mutex_unlock(&it->mu);
}

static cm_status run_ranges(task_ctx *tc, const kv_key_range *ranges, size_t n, cm_error *err);

/* One request to region r for ranges; retries locks and transport errors
 * in place, re-splits on region errors. */
static cm_status
run_region(task_ctx *tc, kv_region *r, const kv_key_range *ranges, size_t n, cm_error *err)
{
	kv_copr_iter *it = tc->it;
	kv_region_cache *rc = kv_client_region_cache(it->client);
	for (;;) {
		if (cancelled(it))
			return cm_error_set(err, CM_E_QUERY_CANCELED,
								"canceling statement due to user request");
		pthread_mutex_lock(&it->mu);
		bool stop = it->closing || it->failed;
		it->st.requests++;
		pthread_mutex_unlock(&it->mu);
		if (stop)
			return CM_CLOSED;

		Kvrpcpb__Context ctx = KVRPCPB__CONTEXT__INIT;
		kv_region_fill_context(r, &ctx);
		ctx.max_execution_duration_ms = it->max_exec_ms;
		ctx.resolved_locks = tc->snap.resolved;
		ctx.n_resolved_locks = tc->snap.n_resolved;
		ctx.committed_locks = tc->snap.committed;
		ctx.n_committed_locks = tc->snap.n_committed;
		Coprocessor__Request req = COPROCESSOR__REQUEST__INIT;
		req.context = &ctx;
		req.tp = COPR_REQ_DAG;
		req.data.data = it->dag_bytes;
		req.data.len = it->dag_len;
		req.start_ts = it->start_ts;
		Coprocessor__KeyRange *kr = cm_alloc(tc->a, sizeof(Coprocessor__KeyRange) * (n ? n : 1));
		Coprocessor__KeyRange **krp = cm_alloc(tc->a, sizeof(Coprocessor__KeyRange *) * (n ? n : 1));
		for (size_t i = 0; i < n; i++) {
			coprocessor__key_range__init(&kr[i]);
			kr[i].start = ranges[i].start;
			kr[i].end = ranges[i].end;
			krp[i] = &kr[i];
		}
		req.ranges = krp;
		req.n_ranges = n;

		Coprocessor__Response resp = COPROCESSOR__RESPONSE__INIT;
		if (kv_store_coprocessor(kv_client_store(it->client), &req, &resp, err) != CM_OK) {
			kv_store_response_clear(&resp.base);
			kv_region_cache_invalidate(rc, r);
			cm_error e2 = {0};
			if (kv_backoff(&tc->bo, KV_BO_TIKV_RPC, &e2) != CM_OK) {
				cm_error_clear(&e2);
				return CM_ERROR; /* keep the transport error */
			}
			cm_error_clear(err);
			/* the region may have changed: locate again */
			return run_ranges(tc, ranges, n, err);
		}
		if (resp.region_error) {
			cm_status s = kv_region_cache_on_error(rc, &tc->bo, r, resp.region_error, false, err);
			kv_store_response_clear(&resp.base);
			if (s != CM_OK)
				return CM_ERROR;
			stat_add(it, &it->st.region_retries);
			return run_ranges(tc, ranges, n, err);
		}
		if (resp.locked) {
			kv_value v;
			cm_arena_reset(tc->a);
			kv_err k = kv_snapshot_get(&tc->snap, tc->a, resp.locked->key.data,
									   resp.locked->key.len, &v, err);
			kv_store_response_clear(&resp.base);
			if (k != KV_OK)
				return CM_ERROR;
			stat_add(it, &it->st.lock_retries);
			continue;
		}
		if (resp.other_error && resp.other_error[0]) {
			kv_copr_error_parse(resp.other_error, strlen(resp.other_error), err);
			kv_store_response_clear(&resp.base);
			return CM_ERROR;
		}
		copr_result *res;
		cm_status s = decode_response(it, &resp, &res, err);
		kv_store_response_clear(&resp.base);
		if (s != CM_OK)
			return CM_ERROR;
		if (res && !push_result(it, tc->task, res))
			return CM_CLOSED;
		return CM_OK;
	}
}

/* Split ranges by the current region cache and run each piece in key order
 * (reverse order for desc). */
static cm_status
run_ranges(task_ctx *tc, const kv_key_range *ranges, size_t n, cm_error *err)
{
	kv_copr_iter *it = tc->it;
	kv_region_ranges *sp;
	size_t nsp;
	if (kv_region_cache_split_ranges(kv_client_region_cache(it->client), &tc->bo, ranges, n, &sp,
									 &nsp, err) != CM_OK)
		return CM_ERROR;
	cm_status rc = CM_OK;
	for (size_t k = 0; k < nsp && rc == CM_OK; k++) {
		size_t i = it->desc ? nsp - 1 - k : k;
		rc = run_region(tc, sp[i].region, sp[i].ranges, sp[i].n, err);
	}
	kv_region_ranges_free(sp, nsp);
	return rc;
}

static void
run_job(kv_copr_iter *it, size_t task)
{
	copr_task *t = &it->tasks[task];
	pthread_mutex_lock(&it->mu);
	bool skip = it->closing || it->failed;
	pthread_mutex_unlock(&it->mu);
	cm_error err = {0};
	if (!skip) {
		task_ctx tc;
		tc.it = it;
		tc.task = task;
		kv_backoffer_init(&tc.bo, KV_BO_BUDGET_COP_TASK_MS, it->cancel);
		if (it->deadline_us)
			kv_backoffer_set_deadline(&tc.bo, it->deadline_us);
		kv_snapshot_init(&tc.snap, it->client, it->start_ts);
		tc.snap.cancel = it->cancel;
		tc.snap.deadline_us = it->deadline_us;
		tc.a = cm_arena_create(0);
		cm_status rc = run_region(&tc, t->region, t->ranges, t->n, &err);
		kv_snapshot_destroy(&tc.snap);
		cm_arena_destroy(tc.a);
		if (rc == CM_ERROR)
			set_failed(it, &err);
	}
	cm_error_clear(&err);
	pthread_mutex_lock(&it->mu);
	t->done = true;
	it->finished++;
	it->inflight--;
	submit_more(it);
	pthread_cond_broadcast(&it->cv_consumer);
	if (!unref_locked(it))
		pthread_mutex_unlock(&it->mu);
}

/* ---- API -------------------------------------------------------------------------------- */

cm_status
kv_copr_open(kv_client *c, kv_copr_pool *p, const kv_copr_request *req, kv_copr_iter **out,
			 cm_error *err)
{
	*out = NULL;
	kv_copr_iter *it = calloc(1, sizeof *it);
	if (!it)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	pthread_mutex_init(&it->mu, NULL);
	pthread_cond_init(&it->cv_consumer, NULL);
	pthread_cond_init(&it->cv_producer, NULL);
	it->refs = 1;
	it->client = c;
	it->pool = p;
	it->meta = cm_arena_create(0);
	it->start_ts = req->start_ts;
	it->keep_order = req->keep_order;
	it->desc = req->desc;
	it->cancel = req->cancel;
	it->deadline_us = req->deadline_us;
	it->max_exec_ms = req->max_execution_ms ? req->max_execution_ms : COPR_DEFAULT_EXEC_MS;
	uint32_t conc = req->concurrency ? req->concurrency
									 : kv_copr_pool_size(p) * (req->keep_order ? 2u : 1u);
	it->max_inflight = conc ? conc : 1;
	it->max_buffered = req->max_buffered ? req->max_buffered : it->max_inflight + 2;

	if (kv_copr_dag_schema(req->dag, it->meta, &it->cols, &it->ncols, err) != CM_OK) {
		iter_free(it);
		return CM_ERROR;
	}
	it->dag_len = tipb__dagrequest__get_packed_size(req->dag);
	it->dag_bytes = malloc(it->dag_len ? it->dag_len : 1);
	if (!it->dag_bytes) {
		iter_free(it);
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	}
	tipb__dagrequest__pack(req->dag, it->dag_bytes);

	kv_backoffer bo;
	kv_backoffer_init(&bo, KV_BO_BUDGET_COP_BUILD_MS, req->cancel);
	if (req->deadline_us)
		kv_backoffer_set_deadline(&bo, req->deadline_us);
	if (kv_region_cache_split_ranges(kv_client_region_cache(c), &bo, req->ranges, req->n_ranges,
									 &it->split, &it->n_split, err) != CM_OK) {
		iter_free(it);
		return CM_ERROR;
	}
	it->n_tasks = it->n_split;
	it->tasks = calloc(it->n_tasks ? it->n_tasks : 1, sizeof(copr_task));
	if (!it->tasks) {
		iter_free(it);
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	}
	for (size_t i = 0; i < it->n_tasks; i++) {
		size_t s = it->desc ? it->n_split - 1 - i : i;
		it->tasks[i].region = it->split[s].region;
		it->tasks[i].ranges = it->split[s].ranges;
		it->tasks[i].n = it->split[s].n;
	}
	it->st.tasks = it->n_tasks;
	pthread_mutex_lock(&it->mu);
	submit_more(it);
	pthread_mutex_unlock(&it->mu);
	*out = it;
	return CM_OK;
}

static void
drop_current(kv_copr_iter *it)
{
	if (it->cur) {
		result_free(it->cur);
		it->cur = NULL;
		it->buffered--;
		pthread_cond_broadcast(&it->cv_producer);
	}
}

cm_status
kv_copr_next(kv_copr_iter *it, kv_copr_chunk *out, cm_error *err)
{
	pthread_mutex_lock(&it->mu);
	for (;;) {
		if (it->cur && it->cur_i < it->cur->n) {
			*out = it->cur->chunks[it->cur_i++];
			it->st.rows += out->nrows;
			pthread_mutex_unlock(&it->mu);
			return CM_OK;
		}
		drop_current(it);
		if (it->failed) {
			cm_error_set(err, it->err.code, "%s", it->err.message ? it->err.message : "error");
			pthread_mutex_unlock(&it->mu);
			return CM_ERROR;
		}
		if (cancelled(it)) {
			it->closing = true;
			pthread_cond_broadcast(&it->cv_producer);
			pthread_mutex_unlock(&it->mu);
			if (it->cancel && atomic_load(it->cancel))
				return cm_error_set(err, CM_E_QUERY_CANCELED,
									"canceling statement due to user request");
			return cm_error_set(err, CM_E_QUERY_CANCELED,
								"canceling statement due to statement timeout");
		}
		if (it->keep_order) {
			if (it->head >= it->n_tasks) {
				pthread_mutex_unlock(&it->mu);
				return CM_CLOSED;
			}
			copr_task *t = &it->tasks[it->head];
			if (t->head) {
				it->cur = t->head;
				t->head = t->head->next;
				if (!t->head)
					t->tail = NULL;
				it->cur_i = 0;
				continue;
			}
			if (t->done) {
				it->head++;
				pthread_cond_broadcast(&it->cv_producer);
				continue;
			}
		} else {
			if (it->qhead) {
				it->cur = it->qhead;
				it->qhead = it->qhead->next;
				if (!it->qhead)
					it->qtail = NULL;
				it->cur_i = 0;
				continue;
			}
			if (it->finished >= it->n_tasks) {
				pthread_mutex_unlock(&it->mu);
				return CM_CLOSED;
			}
		}
		timed_wait(&it->cv_consumer, &it->mu, COPR_POLL_MS);
	}
}

void
kv_copr_close(kv_copr_iter *it)
{
	if (!it)
		return;
	pthread_mutex_lock(&it->mu);
	it->closing = true;
	pthread_cond_broadcast(&it->cv_producer);
	pthread_cond_broadcast(&it->cv_consumer);
	if (!unref_locked(it))
		pthread_mutex_unlock(&it->mu);
}

void
kv_copr_get_stats(const kv_copr_iter *it, kv_copr_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *) &it->mu);
	*out = it->st;
	pthread_mutex_unlock((pthread_mutex_t *) &it->mu);
}
