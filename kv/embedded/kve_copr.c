/*
 * kve_copr.c -- the embedded store's Coprocessor RPC: tipb DAG requests
 * (coprocessor.Request tp 103) run next to the data.
 *
 * One request = one region task, as in TiKV:
 *   1. check the request: tp 103, a parsable DAGRequest, Context against the
 *      region table (RegionNotFound / EpochNotMatch / KeyNotInRegion come
 *      back in Response.region_error) and each key range clipped to the
 *      region (kve_region_check_range);
 *   2. build the executor chain (kve_copr_exec.c), compiling expressions
 *      with kv/copr/kv_copr_expr.c into sql/sem trees;
 *   3. pull batches from the root and encode the columns named by
 *      DAGRequest.output_offsets into tipb.SelectResponse chunks:
 *      TypeChunk (kv/codec/kv_chunk.h) with the field types of the output
 *      schema, or TypeDefault when the request asks for it or an output
 *      field type has no chunk layout here (then SelectResponse.encode_type
 *      says TypeDefault and a warning explains why);
 *   4. answer.  Where each failure goes:
 *        region errors               Response.region_error
 *        a lock blocking start_ts    Response.locked (LockInfo)
 *        evaluation errors           SelectResponse.error {code, msg}
 *        bad / unsupported request,  Response.other_error
 *        deadline, corrupt data
 *        RocksDB I/O failure         CM_ERROR from the call (transport)
 *      Error texts are "<SQLSTATE>: <message>" (kv_copr_types.h), e.g.
 *      "22003: integer out of range", "57014: coprocessor task terminated:
 *      deadline of 50 ms exceeded".
 *
 * The read is a snapshot read at Request.start_ts (DAGRequest
 * start_ts_fallback if 0) with KvScan's visibility rules; paging
 * (paging_size) is not implemented: a task always returns its whole
 * result, and Response.range is left empty.
 *
 * Exported (kve_internal.h): kve_copr_handle.
 */
#include "kv/embedded/kve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KVE_COPR_REQ_DAG 103

static void
set_other_error(Coprocessor__Response *resp, const cm_error *e)
{
	/* proto3 strings start as protobuf_c_empty_string, which is not ours */
	if (resp->other_error && resp->other_error != protobuf_c_empty_string)
		free(resp->other_error);
	resp->other_error = kv_copr_error_text(e);
}

static void
other_error(Coprocessor__Response *resp, const char *code, const char *msg)
{
	cm_error e = {0};
	cm_error_set(&e, code, "%s", msg);
	set_other_error(resp, &e);
	cm_error_clear(&e);
}

static int
bounds_cmp(const void *a, const void *b)
{
	const kve_bounds *x = a, *y = b;
	return kve_cmp(x->start, x->start_n, y->start, y->start_n);
}

static void
dag_free(void *p)
{
	tipb__dagrequest__free_unpacked(p, NULL);
}

/* ---- output ---------------------------------------------------------------- */

typedef struct out_state {
	bool chunk;
	size_t n;				/* output columns */
	const kv_copr_col **cols;
	kv_chunk_writer *w;		/* chunk: one per column */
	cm_buf rows;			/* default: encoded rows of the open chunk */
	uint32_t open_rows;
	cm_buf *chunks;			/* finished rows_data */
	size_t n_chunks, cap_chunks;
	int64_t total;
} out_state;

static void
out_flush(out_state *o)
{
	if (o->open_rows == 0)
		return;
	if (o->n_chunks == o->cap_chunks) {
		o->cap_chunks = o->cap_chunks ? o->cap_chunks * 2 : 8;
		o->chunks = realloc(o->chunks, sizeof(cm_buf) * o->cap_chunks);
		if (!o->chunks)
			abort();
	}
	cm_buf *b = &o->chunks[o->n_chunks++];
	cm_buf_init(b);
	if (o->chunk) {
		for (size_t c = 0; c < o->n; c++) {
			kv_chunk_col_finish(&o->w[c], b);
			kv_chunk_writer_reset(&o->w[c]);
		}
	} else {
		cm_buf_append(b, o->rows.data, o->rows.len);
		cm_buf_reset(&o->rows);
	}
	o->open_rows = 0;
}

static cm_status
out_row(out_state *o, const sem_datum *row, const uint32_t *offs, cm_arena *a, cm_error *err)
{
	for (size_t c = 0; c < o->n; c++) {
		const kv_copr_col *col = o->cols[c];
		const sem_datum *d = &row[offs[c]];
		cm_status rc = o->chunk ? kv_copr_chunk_append(&o->w[c], &col->ft, col->st, d, a, err)
								: kv_copr_datum_encode(&o->rows, &col->ft, col->st, d, a, err);
		if (rc != CM_OK)
			return CM_ERROR;
	}
	o->total++;
	if (++o->open_rows >= KVE_COPR_BATCH)
		out_flush(o);
	return CM_OK;
}

static void
out_free(out_state *o)
{
	if (o->w)
		for (size_t c = 0; c < o->n; c++)
			kv_chunk_writer_free(&o->w[c]);
	cm_buf_free(&o->rows);
	for (size_t i = 0; i < o->n_chunks; i++)
		cm_buf_free(&o->chunks[i]);
	free(o->chunks);
}

/* Pack sr into resp->data (malloc'd, owned by the response). */
static void
pack_select(Coprocessor__Response *resp, const Tipb__SelectResponse *sr)
{
	size_t n = tipb__select_response__get_packed_size(sr);
	resp->data.data = malloc(n ? n : 1);
	if (!resp->data.data)
		abort();
	resp->data.len = tipb__select_response__pack(sr, resp->data.data);
}

static void
select_error(Coprocessor__Response *resp, const cm_error *e)
{
	Tipb__SelectResponse sr = TIPB__SELECT_RESPONSE__INIT;
	Tipb__Error te = TIPB__ERROR__INIT;
	te.has_code = true;
	te.code = kv_copr_mysql_code(e->code);
	te.msg = kv_copr_error_text(e);
	sr.error = &te;
	pack_select(resp, &sr);
	free(te.msg);
}

/* ---- the RPC ------------------------------------------------------------------- */

static cm_status
run_dag(kve_copr_cx *cx, const Tipb__DAGRequest *dag, Coprocessor__Response *resp, cm_error *err)
{
	kve_copr_exec *root, **chain;
	size_t n_chain;
	if (kve_copr_build(cx, dag, &root, &chain, &n_chain, err) != CM_OK)
		return CM_ERROR;

	out_state o;
	memset(&o, 0, sizeof o);
	cm_buf_init(&o.rows);
	uint32_t *offs;
	if (dag->n_output_offsets) {
		o.n = dag->n_output_offsets;
		offs = dag->output_offsets;
		for (size_t i = 0; i < o.n; i++)
			if (offs[i] >= root->ncols) {
				kve_copr_exec_close(root);
				cx->fail = KVE_COPR_FAIL_OTHER;
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"coprocessor: output offset %u out of range (%zu columns)",
									offs[i], root->ncols);
			}
	} else {
		o.n = root->ncols;
		offs = cm_alloc(cx->a, sizeof(uint32_t) * (o.n ? o.n : 1));
		for (size_t i = 0; i < o.n; i++)
			offs[i] = (uint32_t) i;
	}
	o.cols = cm_alloc(cx->a, sizeof(kv_copr_col *) * (o.n ? o.n : 1));
	bool encodable = true;
	int bad_tp = 0;
	for (size_t i = 0; i < o.n; i++) {
		o.cols[i] = &root->cols[offs[i]];
		if (!kv_copr_chunk_encodable(&o.cols[i]->ft)) {
			encodable = false;
			bad_tp = o.cols[i]->ft.tp;
		}
	}
	bool want_chunk = dag->has_encode_type && dag->encode_type == TIPB__ENCODE_TYPE__TypeChunk;
	o.chunk = want_chunk && encodable;
	if (o.chunk) {
		o.w = cm_alloc(cx->a, sizeof(kv_chunk_writer) * (o.n ? o.n : 1));
		for (size_t i = 0; i < o.n; i++)
			kv_chunk_writer_init(&o.w[i], kv_copr_chunk_elem_size(&o.cols[i]->ft, NULL));
	}

	cm_status rc = CM_OK;
	for (;;) {
		kve_copr_batch b;
		memset(&b, 0, sizeof b);
		if (root->next(root, 0, &b, err) != CM_OK) {
			rc = CM_ERROR;
			break;
		}
		root->produced += (int64_t) b.n;
		for (size_t r = 0; r < b.n && rc == CM_OK; r++)
			if (out_row(&o, b.rows[r], offs, cx->a, err) != CM_OK) {
				cx->fail = KVE_COPR_FAIL_EVAL;
				rc = CM_ERROR;
			}
		if (rc != CM_OK || b.end)
			break;
	}
	if (rc == CM_OK) {
		out_flush(&o);
		Tipb__SelectResponse sr = TIPB__SELECT_RESPONSE__INIT;
		sr.has_encode_type = true;
		sr.encode_type = o.chunk ? TIPB__ENCODE_TYPE__TypeChunk : TIPB__ENCODE_TYPE__TypeDefault;
		Tipb__Chunk *chunks = cm_alloc(cx->a, sizeof(Tipb__Chunk) * (o.n_chunks + 1));
		Tipb__Chunk **cptr = cm_alloc(cx->a, sizeof(Tipb__Chunk *) * (o.n_chunks + 1));
		for (size_t i = 0; i < o.n_chunks; i++) {
			tipb__chunk__init(&chunks[i]);
			chunks[i].has_rows_data = true;
			chunks[i].rows_data.data = (uint8_t *) o.chunks[i].data;
			chunks[i].rows_data.len = o.chunks[i].len;
			cptr[i] = &chunks[i];
		}
		sr.chunks = cptr;
		sr.n_chunks = o.n_chunks;
		int64_t *counts = cm_alloc(cx->a, sizeof(int64_t) * n_chain);
		for (size_t i = 0; i < n_chain; i++)
			counts[i] = chain[i]->produced;
		sr.output_counts = counts;
		sr.n_output_counts = n_chain;
		Tipb__Error warn = TIPB__ERROR__INIT;
		Tipb__Error *warns[1] = {&warn};
		if (want_chunk && !o.chunk) {
			warn.has_code = true;
			warn.code = 1105;
			warn.msg = cm_asprintf(cx->a,
								   "01000: field type %d cannot be chunk-encoded, "
								   "answered with TypeDefault",
								   bad_tp);
			sr.warnings = warns;
			sr.n_warnings = 1;
			sr.has_warning_count = true;
			sr.warning_count = 1;
		}
		pack_select(resp, &sr);
	}
	out_free(&o);
	kve_copr_exec_close(root);
	return rc;
}

cm_status
kve_copr_handle(kv_store *st, const Coprocessor__Request *req, Coprocessor__Response *resp,
				cm_error *err)
{
	kve_store *s = kve_of(st);
	if (req->tp != KVE_COPR_REQ_DAG) {
		char msg[96];
		snprintf(msg, sizeof msg, "coprocessor: request type %lld is not supported",
				 (long long) req->tp);
		other_error(resp, CM_E_FEATURE_NOT_SUPPORTED, msg);
		return CM_OK;
	}
	kve_copr_cx cx;
	memset(&cx, 0, sizeof cx);
	cx.s = s;
	cx.ctx = req->context;
	cx.a = cm_arena_create(0);
	if (req->context && req->context->max_execution_duration_ms) {
		cx.max_ms = req->context->max_execution_duration_ms;
		cx.deadline_us = kve_copr_now_us() + cx.max_ms * 1000u;
	}

	/* region and ranges */
	kve_bounds *bs = cm_alloc(cx.a, sizeof(kve_bounds) * (req->n_ranges + 1));
	size_t nb = 0;
	if (req->n_ranges == 0) {
		resp->region_error = kve_region_check(s, cx.a, req->context, NULL, 0, NULL);
	}
	for (size_t i = 0; i < req->n_ranges && !resp->region_error; i++) {
		const Coprocessor__KeyRange *r = req->ranges[i];
		resp->region_error =
			kve_region_check_range(s, cx.a, req->context, &r->start, &r->end, false, &bs[nb]);
		if (resp->region_error)
			break;
		/* an empty range after clipping is skipped */
		if (bs[nb].end_n && kve_cmp(bs[nb].start, bs[nb].start_n, bs[nb].end, bs[nb].end_n) >= 0)
			continue;
		nb++;
	}
	if (resp->region_error) {
		cm_arena_destroy(cx.a);
		return CM_OK;
	}
	qsort(bs, nb, sizeof *bs, bounds_cmp);
	cx.ranges = bs;
	cx.n_ranges = nb;

	Tipb__DAGRequest *dag = tipb__dagrequest__unpack(NULL, req->data.len, req->data.data);
	if (!dag) {
		other_error(resp, CM_E_PROTOCOL_VIOLATION, "coprocessor: malformed DAGRequest");
		cm_arena_destroy(cx.a);
		return CM_OK;
	}
	cm_arena_on_reset(cx.a, dag_free, dag);
	cx.start_ts = req->start_ts ? req->start_ts : dag->start_ts_fallback;
	cx.timezone = dag->time_zone_name && dag->time_zone_name[0] ? dag->time_zone_name : "UTC";

	cm_status rc = CM_OK;
	cm_error e = {0};
	if (run_dag(&cx, dag, resp, &e) != CM_OK) {
		switch (cx.fail) {
		case KVE_COPR_FAIL_LOCKED:
			resp->locked = cx.locked;
			cx.locked = NULL;
			break;
		case KVE_COPR_FAIL_EVAL:
			free(resp->data.data);
			resp->data.data = NULL;
			resp->data.len = 0;
			select_error(resp, &e);
			break;
		case KVE_COPR_FAIL_IO:
			cm_error_move(err, &e);
			rc = CM_ERROR;
			break;
		default:
			set_other_error(resp, &e);
			break;
		}
	}
	if (cx.locked)
		kvrpcpb__lock_info__free_unpacked(cx.locked, NULL);
	cm_error_clear(&e);
	cm_arena_destroy(cx.a);
	return rc;
}
