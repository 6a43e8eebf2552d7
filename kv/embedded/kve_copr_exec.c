/*
 * kve_copr_exec.c -- the coprocessor's executors.
 *
 * A DAG request's executor list (leaf first) becomes a chain of
 * kve_copr_exec objects pulling batches of rows (arrays of sem_datum, one
 * per output column) from their child:
 *
 *   TableScan    MVCC scanner rows -> columns: handle from the key, the rest
 *                from row format v2 (v1 accepted) by column id; absent
 *                columns take ColumnInfo.default_val (else NULL)
 *   IndexScan    index key datums (+ int handle from the key suffix or the
 *                unique-index value)
 *   Selection    conditions AND-ed (sem_eval; NULL = false)
 *   Projection   expressions
 *   Aggregation  hash (and streamed: same code, groups in arrival order);
 *                count, sum, avg (count + sum), min, max, first_row; group
 *                by; output = aggregate columns, then group-by columns
 *   TopN         bounded max-heap on the sort keys (PostgreSQL null order:
 *                NULL sorts above every value, so ASC puts NULLs last and
 *                DESC first), ties in arrival order
 *   Limit        stops pulling once it has its rows
 *
 * Memory: each executor owns an output arena reset at the start of its
 * next(); aggregation and TopN keep their state in a store arena that is
 * compacted (live state copied to a fresh arena) when it grows past a
 * threshold, so garbage from replaced min/max values or evicted TopN rows
 * stays bounded.
 *
 * Expressions are compiled once per request by kv/copr/kv_copr_expr.c and
 * evaluated with sem_eval -- the project's one evaluator.
 *
 * Exported (kve_internal.h): kve_copr_build, kve_copr_exec_close,
 * kve_copr_now_us, kve_copr_check_deadline.
 */
#include "kv/embedded/kve_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv/codec/kv_tablecodec.h"
#include "kv/copr/kv_copr_dag.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_numeric.h"

#define STORE_COMPACT_BYTES (UINT64_C(64) << 20)

uint64_t
kve_copr_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

cm_status
kve_copr_check_deadline(kve_copr_cx *cx, cm_error *err)
{
	if (cx->deadline_us && kve_copr_now_us() > cx->deadline_us) {
		cx->fail = KVE_COPR_FAIL_OTHER;
		return cm_error_set(err, CM_E_QUERY_CANCELED,
							"coprocessor task terminated: deadline of %llu ms exceeded",
							(unsigned long long) cx->max_ms);
	}
	return CM_OK;
}

static cm_status
fail(kve_copr_cx *cx, kve_copr_fail kind)
{
	if (cx->fail == KVE_COPR_FAIL_NONE)
		cx->fail = kind;
	return CM_ERROR;
}

static cm_status
bad_request(kve_copr_cx *cx, cm_error *err, const char *msg)
{
	cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "coprocessor: %s", msg);
	return fail(cx, KVE_COPR_FAIL_OTHER);
}

static void
init_sem_ctx(sem_ctx *c, kve_copr_cx *cx, cm_arena *a)
{
	memset(c, 0, sizeof *c);
	c->arena = a;
	c->timezone = cx->timezone;
	c->extra_float_digits = 1;
}

static bool
is_var_oid(sem_oid o)
{
	return o == SEM_TEXTOID || o == SEM_VARCHAROID || o == SEM_BPCHAROID || o == SEM_NAMEOID ||
		   o == SEM_BYTEAOID || o == SEM_UNKNOWNOID;
}

/* Deep copy of a datum of type t into arena a. */
static void
datum_copy(cm_arena *a, sem_oid t, const sem_datum *in, sem_datum *out)
{
	*out = *in;
	if (in->isnull)
		return;
	if (is_var_oid(t)) {
		out->v.s.p = in->v.s.len ? cm_memdup(a, in->v.s.p, in->v.s.len) : "";
	} else if (t == SEM_NUMERICOID && in->v.num) {
		size_t sz = sizeof(sem_numeric) + sizeof(uint64_t) * (size_t) in->v.num->nlimbs;
		out->v.num = cm_memdup(a, in->v.num, sz);
	}
}

/* Row pointer array + datum storage for up to n rows of ncols in arena. */
static sem_datum **
alloc_rows(cm_arena *a, size_t n, size_t ncols)
{
	sem_datum **rows = cm_alloc(a, sizeof(sem_datum *) * (n ? n : 1));
	size_t cells = n * ncols;
	sem_datum *mem = cm_alloc(a, sizeof(sem_datum) * (cells ? cells : 1));
	for (size_t i = 0; i < n; i++)
		rows[i] = mem + i * ncols;
	return rows;
}

static cm_status
child_next(kve_copr_exec *x, size_t want, kve_copr_batch *b, cm_error *err)
{
	memset(b, 0, sizeof *b);
	cm_status rc = x->child->next(x->child, want, b, err);
	if (rc == CM_OK)
		x->child->produced += (int64_t) b->n;
	return rc;
}

/* ==== scans ==================================================================== */

typedef struct scan_col {
	int64_t id;
	bool handle;
	sem_type st;
	kv_datum_kind kind;
	sem_datum dflt;
} scan_col;

typedef struct x_scan {
	kve_copr_exec base;
	bool index;
	int64_t table_id;
	int64_t index_id;
	bool desc;
	scan_col *sc;
	size_t n;
	size_t n_idx;		/* index scans: index columns, in key order */
	size_t *idx_pos;	/* output position of index datum i */
	ssize_t handle_pos; /* -1: no handle column */
	int64_t *ids;		/* v1 decode */
	kv_datum_kind *kinds;
	kv_datum *v1out;
	kv_col_state *v1st;
	kve_copr_scanner *scanner;
	cm_arena *out;
	bool done;
} x_scan;

static kv_datum_kind
kind_of(sem_oid o)
{
	switch (o) {
	case SEM_BOOLOID:
	case SEM_INT2OID:
	case SEM_INT4OID:
	case SEM_INT8OID:
		return KV_DATUM_INT64;
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID:
		return KV_DATUM_FLOAT64;
	case SEM_NUMERICOID:
		return KV_DATUM_DECIMAL;
	case SEM_DATEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID:
		return KV_DATUM_UINT64;
	default:
		return KV_DATUM_BYTES;
	}
}

/* Undecodable keys / rows: other_error with the codec's XX001 text. */
static cm_status
scan_fail_data(x_scan *x, cm_error *err)
{
	(void) err;
	return fail(x->base.cx, KVE_COPR_FAIL_OTHER);
}

/* Decode one table row into r. */
static cm_status
decode_table_row(x_scan *x, const kve_slice *key, const kve_slice *val, sem_datum *r, cm_error *err)
{
	int64_t tid, handle = 0;
	bool have_handle = false;
	for (size_t i = 0; i < x->n; i++) {
		scan_col *c = &x->sc[i];
		if (!c->handle)
			continue;
		if (!have_handle) {
			if (kv_decode_record_key(key->p, key->n, &tid, &handle, err) != CM_OK)
				return scan_fail_data(x, err);
			have_handle = true;
		}
		memset(&r[i], 0, sizeof r[i]);
		if (c->st.oid == SEM_BOOLOID)
			r[i].v.b = handle != 0;
		else
			r[i].v.i = handle;
	}
	if (val->n && val->p[0] == KV_ROW_V2) {
		kv_row_v2 row;
		if (kv_row_v2_parse(val->p, val->n, &row, err) != CM_OK)
			return scan_fail_data(x, err);
		for (size_t i = 0; i < x->n; i++) {
			scan_col *c = &x->sc[i];
			if (c->handle)
				continue;
			kv_row_cell cell = kv_row_v2_find(&row, c->id);
			if (cell.state == KV_COL_VALUE) {
				if (kv_copr_cell_to_sem(cell.data, cell.len, c->st, x->out, &r[i], err) != CM_OK)
					return scan_fail_data(x, err);
			} else if (cell.state == KV_COL_NULL) {
				memset(&r[i], 0, sizeof r[i]);
				r[i].isnull = true;
			} else {
				r[i] = c->dflt;
			}
		}
		return CM_OK;
	}
	/* row format v1 */
	size_t nv = 0;
	for (size_t i = 0; i < x->n; i++)
		if (!x->sc[i].handle) {
			x->ids[nv] = x->sc[i].id;
			x->kinds[nv] = x->sc[i].kind;
			nv++;
		}
	if (kv_row_decode(val->p, val->n, x->ids, x->kinds, nv, x->out, x->v1out, x->v1st, err) !=
		CM_OK)
		return scan_fail_data(x, err);
	nv = 0;
	for (size_t i = 0; i < x->n; i++) {
		scan_col *c = &x->sc[i];
		if (c->handle)
			continue;
		if (x->v1st[nv] == KV_COL_ABSENT)
			r[i] = c->dflt;
		else if (kv_copr_kvdatum_to_sem(&x->v1out[nv], c->st, x->out, &r[i], err) != CM_OK)
			return scan_fail_data(x, err);
		nv++;
	}
	return CM_OK;
}

static cm_status
decode_index_row(x_scan *x, const kve_slice *key, const kve_slice *val, sem_datum *r, cm_error *err)
{
	int64_t tid, iid;
	const uint8_t *rest;
	size_t rest_n;
	if (kv_decode_index_key(key->p, key->n, &tid, &iid, &rest, &rest_n, err) != CM_OK)
		return scan_fail_data(x, err);
	kv_datum kd[64];
	if (x->n_idx > 64)
		return bad_request(x->base.cx, err, "more than 64 index columns");
	const uint8_t *p = rest, *end = rest + rest_n;
	if (kv_decode_index_datums(&p, end, x->n_idx, x->out, kd, err) != CM_OK)
		return scan_fail_data(x, err);
	for (size_t i = 0; i < x->n_idx; i++) {
		size_t pos = x->idx_pos[i];
		if (kv_copr_kvdatum_to_sem(&kd[i], x->sc[pos].st, x->out, &r[pos], err) != CM_OK)
			return scan_fail_data(x, err);
	}
	if (x->handle_pos >= 0) {
		int64_t h;
		if (p < end) {
			if (kv_decode_index_int_handle(p, (size_t) (end - p), &h, err) != CM_OK)
				return scan_fail_data(x, err);
		} else {
			kv_index_value iv;
			if (kv_index_value_decode(val->p, val->n, &iv, err) != CM_OK)
				return scan_fail_data(x, err);
			if (!iv.has_int_handle) {
				cm_error_set(err, CM_E_DATA_CORRUPTED, "index entry without an int handle");
				return scan_fail_data(x, err);
			}
			h = iv.int_handle;
		}
		memset(&r[x->handle_pos], 0, sizeof(sem_datum));
		r[x->handle_pos].v.i = h;
	}
	return CM_OK;
}

static cm_status
scan_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_scan *x = (x_scan *) base;
	kve_copr_cx *cx = base->cx;
	cm_arena_reset(x->out);
	if (x->done) {
		out->end = true;
		return CM_OK;
	}
	if (!x->scanner)
		x->scanner = kve_copr_scanner_open(cx->s, cx->ctx, cx->start_ts, cx->ranges,
										   cx->n_ranges, x->desc);
	size_t cap = want && want < KVE_COPR_BATCH ? want : KVE_COPR_BATCH;
	out->rows = alloc_rows(x->out, cap, x->n);
	out->n = 0;
	while (out->n < cap) {
		if ((out->n & 255) == 255 && kve_copr_check_deadline(cx, err) != CM_OK)
			return CM_ERROR;
		kve_slice k, v;
		Kvrpcpb__LockInfo *li = NULL;
		kve_scan_rc rc = kve_copr_scanner_next(x->scanner, &k, &v, &li, err);
		if (rc == KVE_SCAN_END) {
			x->done = true;
			out->end = true;
			break;
		}
		if (rc == KVE_SCAN_LOCKED) {
			cx->locked = li;
			return fail(cx, KVE_COPR_FAIL_LOCKED);
		}
		if (rc == KVE_SCAN_ERROR)
			return fail(cx, cm_error_is(err, CM_E_DATA_CORRUPTED) ? KVE_COPR_FAIL_OTHER
																  : KVE_COPR_FAIL_IO);
		sem_datum *r = out->rows[out->n];
		cm_status st = x->index ? decode_index_row(x, &k, &v, r, err)
								: decode_table_row(x, &k, &v, r, err);
		if (st != CM_OK)
			return CM_ERROR;
		out->n++;
	}
	cx->scanned_keys = kve_copr_scanner_keys(x->scanner);
	return CM_OK;
}

static void
scan_close(kve_copr_exec *base)
{
	x_scan *x = (x_scan *) base;
	kve_copr_scanner_close(x->scanner);
	if (x->out)
		cm_arena_destroy(x->out);
}

static cm_status
build_scan_cols(kve_copr_cx *cx, x_scan *x, Tipb__ColumnInfo **cols, size_t n, cm_error *err)
{
	cm_arena *a = cx->a;
	x->n = n;
	x->sc = cm_new_array(a, scan_col, n ? n : 1);
	x->base.ncols = n;
	x->base.cols = cm_new_array(a, kv_copr_col, n ? n : 1);
	x->ids = cm_new_array(a, int64_t, n ? n : 1);
	x->kinds = cm_new_array(a, kv_datum_kind, n ? n : 1);
	x->v1out = cm_new_array(a, kv_datum, n ? n : 1);
	x->v1st = cm_new_array(a, kv_col_state, n ? n : 1);
	x->idx_pos = cm_new_array(a, size_t, n ? n : 1);
	x->handle_pos = -1;
	for (size_t i = 0; i < n; i++) {
		const Tipb__ColumnInfo *ci = cols[i];
		scan_col *c = &x->sc[i];
		c->id = ci->column_id;
		c->handle = ci->pk_handle || ci->column_id == -1;
		kv_copr_ftype ft = kv_copr_ftype_from_column(ci);
		if (kv_copr_sem_type_of(&ft, &c->st, err) != CM_OK)
			return fail(cx, KVE_COPR_FAIL_OTHER);
		if (c->handle && c->st.oid != SEM_INT2OID && c->st.oid != SEM_INT4OID &&
			c->st.oid != SEM_INT8OID && c->st.oid != SEM_BOOLOID)
			return bad_request(cx, err, "only integer handle columns are supported");
		c->kind = kind_of(c->st.oid);
		memset(&c->dflt, 0, sizeof c->dflt);
		c->dflt.isnull = true;
		if (ci->has_default_val && ci->default_val.len) {
			const uint8_t *p = ci->default_val.data;
			kv_datum kd;
			if (kv_decode_datum(&p, p + ci->default_val.len, a, &kd, err) != CM_OK ||
				kv_copr_kvdatum_to_sem(&kd, c->st, a, &c->dflt, err) != CM_OK)
				return fail(cx, KVE_COPR_FAIL_OTHER);
		}
		x->base.cols[i].st = c->st;
		x->base.cols[i].ft = ft;
		if (c->handle)
			x->handle_pos = (ssize_t) i;
		else
			x->idx_pos[x->n_idx++] = i;
	}
	return CM_OK;
}

static cm_status
build_table_scan(kve_copr_cx *cx, const Tipb__TableScan *ts, kve_copr_exec **out, cm_error *err)
{
	if (!ts)
		return bad_request(cx, err, "TableScan executor without tbl_scan");
	x_scan *x = cm_new(cx->a, x_scan);
	x->table_id = ts->table_id;
	x->desc = ts->desc;
	if (build_scan_cols(cx, x, ts->columns, ts->n_columns, err) != CM_OK)
		return CM_ERROR;
	x->base.next = scan_next;
	x->base.close = scan_close;
	x->out = cm_arena_create(64 * 1024);
	*out = &x->base;
	return CM_OK;
}

static cm_status
build_index_scan(kve_copr_cx *cx, const Tipb__IndexScan *is, kve_copr_exec **out, cm_error *err)
{
	if (!is)
		return bad_request(cx, err, "IndexScan executor without idx_scan");
	x_scan *x = cm_new(cx->a, x_scan);
	x->index = true;
	x->table_id = is->table_id;
	x->index_id = is->index_id;
	x->desc = is->desc;
	if (build_scan_cols(cx, x, is->columns, is->n_columns, err) != CM_OK)
		return CM_ERROR;
	x->base.next = scan_next;
	x->base.close = scan_close;
	x->out = cm_arena_create(64 * 1024);
	*out = &x->base;
	return CM_OK;
}

/* ==== selection ================================================================ */

typedef struct x_sel {
	kve_copr_exec base;
	sem_expr **conds;
	size_t n;
	cm_arena *eval;
	sem_ctx sctx;
} x_sel;

static cm_status
sel_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_sel *x = (x_sel *) base;
	for (;;) {
		cm_arena_reset(x->eval);
		if (child_next(base, want, out, err) != CM_OK)
			return CM_ERROR;
		size_t keep = 0;
		for (size_t i = 0; i < out->n; i++) {
			bool ok = true;
			for (size_t c = 0; c < x->n && ok; c++) {
				sem_datum v;
				if (sem_eval(&x->sctx, x->conds[c], out->rows[i], NULL, &v, err) != CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
				ok = !v.isnull && v.v.b;
			}
			if (ok)
				out->rows[keep++] = out->rows[i];
		}
		out->n = keep;
		if (keep || out->end)
			return CM_OK;
		if (kve_copr_check_deadline(base->cx, err) != CM_OK)
			return CM_ERROR;
	}
}

static void
sel_close(kve_copr_exec *base)
{
	cm_arena_destroy(((x_sel *) base)->eval);
}

static cm_status
build_selection(kve_copr_cx *cx, const Tipb__Selection *s, kve_copr_exec *child,
				kve_copr_exec **out, cm_error *err)
{
	if (!s)
		return bad_request(cx, err, "Selection executor without selection");
	x_sel *x = cm_new(cx->a, x_sel);
	x->base.child = child;
	x->base.cols = child->cols;
	x->base.ncols = child->ncols;
	x->n = s->n_conditions;
	x->conds = cm_new_array(cx->a, sem_expr *, x->n ? x->n : 1);
	for (size_t i = 0; i < x->n; i++)
		if (kv_copr_expr_compile(cx->a, s->conditions[i], child->cols, child->ncols, &x->conds[i],
								 NULL, err) != CM_OK ||
			kv_copr_expr_as_bool(cx->a, x->conds[i], &x->conds[i], err) != CM_OK)
			return fail(cx, KVE_COPR_FAIL_OTHER);
	x->eval = cm_arena_create(0);
	init_sem_ctx(&x->sctx, cx, x->eval);
	x->base.next = sel_next;
	x->base.close = sel_close;
	*out = &x->base;
	return CM_OK;
}

/* ==== projection =============================================================== */

typedef struct x_proj {
	kve_copr_exec base;
	sem_expr **exprs;
	cm_arena *out;
	sem_ctx sctx;
} x_proj;

static cm_status
proj_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_proj *x = (x_proj *) base;
	cm_arena_reset(x->out);
	kve_copr_batch in;
	if (child_next(base, want, &in, err) != CM_OK)
		return CM_ERROR;
	out->n = in.n;
	out->end = in.end;
	out->rows = alloc_rows(x->out, in.n, base->ncols);
	for (size_t i = 0; i < in.n; i++)
		for (size_t c = 0; c < base->ncols; c++)
			if (sem_eval(&x->sctx, x->exprs[c], in.rows[i], NULL, &out->rows[i][c], err) != CM_OK)
				return fail(base->cx, KVE_COPR_FAIL_EVAL);
	return CM_OK;
}

static void
proj_close(kve_copr_exec *base)
{
	cm_arena_destroy(((x_proj *) base)->out);
}

static cm_status
build_projection(kve_copr_cx *cx, const Tipb__Projection *p, kve_copr_exec *child,
				 kve_copr_exec **out, cm_error *err)
{
	if (!p)
		return bad_request(cx, err, "Projection executor without projection");
	x_proj *x = cm_new(cx->a, x_proj);
	x->base.child = child;
	x->base.ncols = p->n_exprs;
	x->base.cols = cm_new_array(cx->a, kv_copr_col, p->n_exprs ? p->n_exprs : 1);
	x->exprs = cm_new_array(cx->a, sem_expr *, p->n_exprs ? p->n_exprs : 1);
	for (size_t i = 0; i < p->n_exprs; i++)
		if (kv_copr_expr_compile(cx->a, p->exprs[i], child->cols, child->ncols, &x->exprs[i],
								 &x->base.cols[i], err) != CM_OK)
			return fail(cx, KVE_COPR_FAIL_OTHER);
	x->out = cm_arena_create(64 * 1024);
	init_sem_ctx(&x->sctx, cx, x->out);
	x->base.next = proj_next;
	x->base.close = proj_close;
	*out = &x->base;
	return CM_OK;
}

/* ==== limit ==================================================================== */

typedef struct x_limit {
	kve_copr_exec base;
	uint64_t limit;
	uint64_t seen;
} x_limit;

static cm_status
limit_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_limit *x = (x_limit *) base;
	if (x->seen >= x->limit) {
		memset(out, 0, sizeof *out);
		out->end = true;
		return CM_OK;
	}
	uint64_t left = x->limit - x->seen;
	size_t w = want && want < left ? want : (left < KVE_COPR_BATCH ? (size_t) left : 0);
	if (child_next(base, w, out, err) != CM_OK)
		return CM_ERROR;
	if (out->n > left)
		out->n = (size_t) left;
	x->seen += out->n;
	if (x->seen >= x->limit)
		out->end = true;
	return CM_OK;
}

static cm_status
build_limit(kve_copr_cx *cx, const Tipb__Limit *l, kve_copr_exec *child, kve_copr_exec **out,
			cm_error *err)
{
	if (!l)
		return bad_request(cx, err, "Limit executor without limit");
	x_limit *x = cm_new(cx->a, x_limit);
	x->base.child = child;
	x->base.cols = child->cols;
	x->base.ncols = child->ncols;
	x->limit = l->limit;
	x->base.next = limit_next;
	*out = &x->base;
	return CM_OK;
}

/* ==== aggregation ============================================================== */

typedef enum agg_kind { AG_COUNT, AG_SUM, AG_AVG, AG_MIN, AG_MAX, AG_FIRST } agg_kind;
typedef enum acc_kind { ACC_INT, ACC_FLOAT, ACC_NUM } acc_kind;

typedef struct agg_fn {
	agg_kind kind;
	sem_expr *arg;	 /* NULL: count(*) */
	sem_type arg_t;
	sem_type res_t;	 /* sum / avg: type of the sum column; min/max/first: arg type */
	acc_kind acc;
} agg_fn;

typedef struct agg_state {
	int64_t count;
	bool has;
	__int128 isum;
	double fsum;
	sem_numeric *nsum;
	sem_datum v; /* min / max / first */
} agg_state;

typedef struct agg_group {
	uint8_t *key;
	size_t keyn;
	uint64_t hash;
	sem_datum *gvals;
	agg_state *st;
} agg_group;

typedef struct x_agg {
	kve_copr_exec base;
	sem_expr **gby;
	sem_type *gby_t;
	size_t n_gby;
	agg_fn *fns;
	size_t n_fns;
	cm_arena *store; /* groups, keys, states */
	cm_arena *eval;	 /* per input batch */
	cm_arena *out;
	sem_ctx sctx;
	agg_group *groups;
	size_t n_groups, cap_groups;
	uint32_t *table; /* group index + 1; 0 = empty */
	size_t table_cap;
	uint64_t compact_at;
	bool consumed;
	size_t emitted;
	cm_buf key;
} x_agg;

static uint64_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* Canonical group-key bytes of one value: equal values (as PostgreSQL's "="
 * sees them) give equal bytes. */
static void
key_put(cm_buf *b, sem_oid t, const sem_datum *d)
{
	if (d->isnull) {
		cm_buf_putc(b, 0);
		return;
	}
	switch (t) {
	case SEM_FLOAT4OID:
	case SEM_FLOAT8OID: {
		double f = d->v.f == 0 ? 0.0 : d->v.f;
		if (f != f)
			f = __builtin_nan("");
		cm_buf_putc(b, 2);
		cm_buf_append(b, &f, sizeof f);
		return;
	}
	case SEM_NUMERICOID: {
		cm_buf_putc(b, 3);
		size_t at = b->len;
		sem_num_out(d->v.num, b);
		/* trim trailing fraction zeros (1.50 = 1.5) */
		char *s = b->data + at;
		size_t n = b->len - at;
		if (memchr(s, '.', n)) {
			while (n && s[n - 1] == '0')
				n--;
			if (n && s[n - 1] == '.')
				n--;
			cm_buf_truncate(b, at + n);
		}
		cm_buf_putc(b, 0);
		return;
	}
	default:
		if (is_var_oid(t)) {
			uint32_t n = d->v.s.len;
			if (t == SEM_BPCHAROID)
				while (n && d->v.s.p[n - 1] == ' ')
					n--;
			cm_buf_putc(b, 4);
			cm_buf_append(b, &n, sizeof n);
			cm_buf_append(b, d->v.s.p, n);
			return;
		}
		cm_buf_putc(b, 1);
		if (t == SEM_BOOLOID) {
			int64_t v = d->v.b;
			cm_buf_append(b, &v, sizeof v);
		} else
			cm_buf_append(b, &d->v.i, sizeof d->v.i);
	}
}

/* Copy every live group into a fresh store arena. */
static void
agg_compact(x_agg *x)
{
	cm_arena *na = cm_arena_create(1 << 20);
	agg_group *ng = cm_alloc(na, sizeof(agg_group) * (x->cap_groups ? x->cap_groups : 1));
	for (size_t g = 0; g < x->n_groups; g++) {
		agg_group *o = &x->groups[g], *n = &ng[g];
		*n = *o;
		n->key = o->keyn ? cm_memdup(na, o->key, o->keyn) : cm_alloc(na, 1);
		n->gvals = cm_alloc(na, sizeof(sem_datum) * (x->n_gby ? x->n_gby : 1));
		for (size_t i = 0; i < x->n_gby; i++)
			datum_copy(na, x->gby_t[i].oid, &o->gvals[i], &n->gvals[i]);
		n->st = cm_alloc(na, sizeof(agg_state) * (x->n_fns ? x->n_fns : 1));
		for (size_t f = 0; f < x->n_fns; f++) {
			n->st[f] = o->st[f];
			if (o->st[f].nsum) {
				sem_datum d = {.v.num = o->st[f].nsum}, c;
				datum_copy(na, SEM_NUMERICOID, &d, &c);
				n->st[f].nsum = c.v.num;
			}
			datum_copy(na, x->fns[f].arg_t.oid, &o->st[f].v, &n->st[f].v);
		}
	}
	cm_arena_destroy(x->store);
	x->store = na;
	x->groups = ng;
	uint64_t used = cm_arena_bytes(na);
	x->compact_at = used * 2 > STORE_COMPACT_BYTES ? used * 2 : STORE_COMPACT_BYTES;
}

static agg_group *
agg_group_for(x_agg *x, const sem_datum *row, const sem_datum *gv)
{
	(void) row;
	cm_buf_reset(&x->key);
	for (size_t i = 0; i < x->n_gby; i++)
		key_put(&x->key, x->gby_t[i].oid, &gv[i]);
	uint64_t h = hash_bytes((const uint8_t *) x->key.data, x->key.len);
	if ((x->n_groups + 1) * 2 > x->table_cap) {
		size_t nc = x->table_cap ? x->table_cap * 2 : 1024;
		uint32_t *nt = calloc(nc, sizeof(uint32_t));
		if (!nt)
			abort();
		for (size_t g = 0; g < x->n_groups; g++) {
			size_t j = x->groups[g].hash & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = (uint32_t) (g + 1);
		}
		free(x->table);
		x->table = nt;
		x->table_cap = nc;
	}
	size_t j = h & (x->table_cap - 1);
	while (x->table[j]) {
		agg_group *g = &x->groups[x->table[j] - 1];
		if (g->hash == h && g->keyn == x->key.len &&
			(g->keyn == 0 || memcmp(g->key, x->key.data, g->keyn) == 0))
			return g;
		j = (j + 1) & (x->table_cap - 1);
	}
	if (x->n_groups == x->cap_groups) {
		size_t nc = x->cap_groups ? x->cap_groups * 2 : 64;
		agg_group *ng = cm_alloc(x->store, sizeof(agg_group) * nc);
		if (x->n_groups)
			memcpy(ng, x->groups, sizeof(agg_group) * x->n_groups);
		x->groups = ng;
		x->cap_groups = nc;
	}
	agg_group *g = &x->groups[x->n_groups];
	x->table[j] = (uint32_t) ++x->n_groups;
	g->hash = h;
	g->keyn = x->key.len;
	g->key = x->key.len ? cm_memdup(x->store, x->key.data, x->key.len) : cm_alloc(x->store, 1);
	g->gvals = cm_alloc(x->store, sizeof(sem_datum) * (x->n_gby ? x->n_gby : 1));
	for (size_t i = 0; i < x->n_gby; i++)
		datum_copy(x->store, x->gby_t[i].oid, &gv[i], &g->gvals[i]);
	g->st = cm_alloc0(x->store, sizeof(agg_state) * (x->n_fns ? x->n_fns : 1));
	for (size_t f = 0; f < x->n_fns; f++)
		g->st[f].v.isnull = true;
	return g;
}

static cm_status
agg_update(x_agg *x, agg_state *s, const agg_fn *fn, const sem_datum *v, cm_error *err)
{
	switch (fn->kind) {
	case AG_COUNT:
		if (!v || !v->isnull)
			s->count++;
		return CM_OK;
	case AG_SUM:
	case AG_AVG:
		if (v->isnull)
			return CM_OK;
		s->count++;
		s->has = true;
		switch (fn->acc) {
		case ACC_INT:
			s->isum += fn->arg_t.oid == SEM_BOOLOID ? (int64_t) v->v.b : v->v.i;
			break;
		case ACC_FLOAT:
			s->fsum += v->v.f;
			if (fn->res_t.oid == SEM_FLOAT4OID)
				s->fsum = (double) (float) s->fsum;
			break;
		case ACC_NUM:
			if (s->nsum)
				s->nsum = sem_num_add(x->store, s->nsum, v->v.num);
			else {
				sem_datum c;
				datum_copy(x->store, SEM_NUMERICOID, v, &c);
				s->nsum = c.v.num;
			}
			break;
		}
		return CM_OK;
	case AG_MIN:
	case AG_MAX:
		if (v->isnull)
			return CM_OK;
		if (s->v.isnull) {
			datum_copy(x->store, fn->arg_t.oid, v, &s->v);
			return CM_OK;
		} else {
			int c = sem_datum_compare(fn->arg_t.oid, v, &s->v);
			if ((fn->kind == AG_MIN && c < 0) || (fn->kind == AG_MAX && c > 0))
				datum_copy(x->store, fn->arg_t.oid, v, &s->v);
		}
		return CM_OK;
	case AG_FIRST:
		if (!s->has) {
			s->has = true;
			datum_copy(x->store, fn->arg_t.oid, v, &s->v);
		}
		return CM_OK;
	}
	(void) err;
	return CM_OK;
}

static cm_status
agg_consume(x_agg *x, cm_error *err)
{
	kve_copr_exec *base = &x->base;
	sem_datum *gv = cm_alloc(base->cx->a, sizeof(sem_datum) * (x->n_gby ? x->n_gby : 1));
	sem_datum *av = cm_alloc(base->cx->a, sizeof(sem_datum) * (x->n_fns ? x->n_fns : 1));
	for (;;) {
		kve_copr_batch in;
		cm_arena_reset(x->eval);
		if (child_next(base, 0, &in, err) != CM_OK)
			return CM_ERROR;
		for (size_t i = 0; i < in.n; i++) {
			const sem_datum *row = in.rows[i];
			for (size_t g = 0; g < x->n_gby; g++)
				if (sem_eval(&x->sctx, x->gby[g], row, NULL, &gv[g], err) != CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
			for (size_t f = 0; f < x->n_fns; f++)
				if (x->fns[f].arg &&
					sem_eval(&x->sctx, x->fns[f].arg, row, NULL, &av[f], err) != CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
			agg_group *g = agg_group_for(x, row, gv);
			for (size_t f = 0; f < x->n_fns; f++)
				if (agg_update(x, &g->st[f], &x->fns[f], x->fns[f].arg ? &av[f] : NULL, err) !=
					CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
		}
		if (cm_arena_bytes(x->store) > x->compact_at)
			agg_compact(x);
		if (in.end)
			break;
		if (kve_copr_check_deadline(base->cx, err) != CM_OK)
			return CM_ERROR;
	}
	if (x->n_gby == 0 && x->n_groups == 0)
		(void) agg_group_for(x, NULL, gv);
	return CM_OK;
}

static cm_status
int128_to_num(cm_arena *a, __int128 v, sem_numeric **out, cm_error *err)
{
	char buf[48];
	int i = (int) sizeof buf;
	bool neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128) (-(v + 1)) + 1 : (unsigned __int128) v;
	buf[--i] = 0;
	do {
		buf[--i] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u);
	if (neg)
		buf[--i] = '-';
	return sem_num_in(a, buf + i, strlen(buf + i), -1, out, err);
}

/* Final value of a sum accumulator as fn->res_t. */
static cm_status
sum_result(x_agg *x, const agg_fn *fn, const agg_state *s, sem_datum *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (!s->has) {
		out->isnull = true;
		return CM_OK;
	}
	sem_oid r = fn->res_t.oid;
	cm_arena *a = x->out;
	switch (fn->acc) {
	case ACC_INT:
		if (r == SEM_NUMERICOID)
			return int128_to_num(a, s->isum, &out->v.num, err);
		if (r == SEM_FLOAT8OID || r == SEM_FLOAT4OID) {
			out->v.f = (double) s->isum;
			return CM_OK;
		}
		if (s->isum > INT64_MAX || s->isum < INT64_MIN)
			return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
		out->v.i = (int64_t) s->isum;
		return CM_OK;
	case ACC_FLOAT:
		if (r == SEM_NUMERICOID)
			return sem_num_from_double(a, s->fsum, false, &out->v.num, err);
		out->v.f = s->fsum;
		return CM_OK;
	case ACC_NUM:
		if (r == SEM_FLOAT8OID || r == SEM_FLOAT4OID) {
			out->v.f = sem_num_to_double(s->nsum);
			return CM_OK;
		}
		if (r == SEM_INT8OID)
			return sem_num_to_int(s->nsum, INT64_MIN, INT64_MAX, "bigint", &out->v.i, err);
		out->v.num = s->nsum;
		return CM_OK;
	}
	return CM_OK;
}

static cm_status
agg_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_agg *x = (x_agg *) base;
	(void) want;
	cm_arena_reset(x->out);
	if (!x->consumed) {
		if (agg_consume(x, err) != CM_OK)
			return CM_ERROR;
		x->consumed = true;
	}
	size_t n = x->n_groups - x->emitted;
	if (n > KVE_COPR_BATCH)
		n = KVE_COPR_BATCH;
	out->rows = alloc_rows(x->out, n, base->ncols);
	out->n = n;
	for (size_t r = 0; r < n; r++) {
		agg_group *g = &x->groups[x->emitted + r];
		sem_datum *row = out->rows[r];
		size_t c = 0;
		for (size_t f = 0; f < x->n_fns; f++) {
			const agg_fn *fn = &x->fns[f];
			const agg_state *s = &g->st[f];
			switch (fn->kind) {
			case AG_COUNT:
				memset(&row[c], 0, sizeof row[c]);
				row[c++].v.i = s->count;
				break;
			case AG_AVG:
				memset(&row[c], 0, sizeof row[c]);
				row[c++].v.i = s->count;
				/* fallthrough */
			case AG_SUM:
				if (sum_result(x, fn, s, &row[c++], err) != CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
				break;
			default:
				row[c++] = s->v;
				break;
			}
		}
		for (size_t i = 0; i < x->n_gby; i++)
			row[c++] = g->gvals[i];
	}
	x->emitted += n;
	out->end = x->emitted >= x->n_groups;
	return CM_OK;
}

static void
agg_close(kve_copr_exec *base)
{
	x_agg *x = (x_agg *) base;
	cm_arena_destroy(x->store);
	cm_arena_destroy(x->eval);
	cm_arena_destroy(x->out);
	free(x->table);
	cm_buf_free(&x->key);
}

static bool
is_int_oid(sem_oid o)
{
	return o == SEM_INT2OID || o == SEM_INT4OID || o == SEM_INT8OID || o == SEM_BOOLOID;
}

static cm_status
build_agg_fn(kve_copr_cx *cx, x_agg *x, const Tipb__Expr *e, agg_fn *fn, kv_copr_col *cols,
			 size_t *nc, cm_error *err)
{
	kve_copr_exec *child = x->base.child;
	switch (e->tp) {
	case TIPB__EXPR_TYPE__Count: fn->kind = AG_COUNT; break;
	case TIPB__EXPR_TYPE__Sum: fn->kind = AG_SUM; break;
	case TIPB__EXPR_TYPE__Avg: fn->kind = AG_AVG; break;
	case TIPB__EXPR_TYPE__Min: fn->kind = AG_MIN; break;
	case TIPB__EXPR_TYPE__Max: fn->kind = AG_MAX; break;
	case TIPB__EXPR_TYPE__First: fn->kind = AG_FIRST; break;
	default:
		return bad_request(cx, err, "unsupported aggregate function");
	}
	if (e->has_distinct)
		return bad_request(cx, err, "DISTINCT aggregates are not supported");
	if (e->n_children > 1)
		return bad_request(cx, err, "aggregate with more than one argument");
	kv_copr_col argc = {0};
	if (e->n_children == 1) {
		const Tipb__Expr *c0 = e->children[0];
		bool const_nonnull = fn->kind == AG_COUNT && c0->tp != TIPB__EXPR_TYPE__Null &&
							 c0->tp != TIPB__EXPR_TYPE__ColumnRef &&
							 c0->tp != TIPB__EXPR_TYPE__ScalarFunc;
		if (!const_nonnull) {
			if (kv_copr_expr_compile(cx->a, c0, child->cols, child->ncols, &fn->arg, &argc, err) !=
				CM_OK)
				return fail(cx, KVE_COPR_FAIL_OTHER);
			fn->arg_t = argc.st;
		}
	} else if (fn->kind != AG_COUNT)
		return bad_request(cx, err, "aggregate without an argument");

	kv_copr_col res[2];
	size_t nr;
	if (kv_copr_agg_cols(e, fn->arg || fn->kind != AG_COUNT ? &argc : NULL, res, &nr, err) !=
		CM_OK)
		return fail(cx, KVE_COPR_FAIL_OTHER);
	for (size_t r = 0; r < nr; r++)
		cols[(*nc)++] = res[r];
	fn->res_t = res[nr - 1].st;
	sem_oid at = fn->arg_t.oid;
	if (fn->kind == AG_SUM || fn->kind == AG_AVG) {
		if (is_int_oid(at))
			fn->acc = ACC_INT;
		else if (at == SEM_FLOAT4OID || at == SEM_FLOAT8OID)
			fn->acc = ACC_FLOAT;
		else
			fn->acc = ACC_NUM;
	}
	return CM_OK;
}

static cm_status
build_agg(kve_copr_cx *cx, const Tipb__Aggregation *ag, kve_copr_exec *child, kve_copr_exec **out,
		  cm_error *err)
{
	if (!ag)
		return bad_request(cx, err, "Aggregation executor without aggregation");
	x_agg *x = cm_new(cx->a, x_agg);
	x->base.child = child;
	x->n_gby = ag->n_group_by;
	x->n_fns = ag->n_agg_func;
	size_t maxc = 2 * x->n_fns + x->n_gby;
	x->base.cols = cm_new_array(cx->a, kv_copr_col, maxc ? maxc : 1);
	x->fns = cm_new_array(cx->a, agg_fn, x->n_fns ? x->n_fns : 1);
	x->gby = cm_new_array(cx->a, sem_expr *, x->n_gby ? x->n_gby : 1);
	x->gby_t = cm_new_array(cx->a, sem_type, x->n_gby ? x->n_gby : 1);
	size_t nc = 0;
	for (size_t f = 0; f < x->n_fns; f++)
		if (build_agg_fn(cx, x, ag->agg_func[f], &x->fns[f], x->base.cols, &nc, err) != CM_OK)
			return CM_ERROR;
	for (size_t g = 0; g < x->n_gby; g++) {
		kv_copr_col c;
		if (kv_copr_expr_compile(cx->a, ag->group_by[g], child->cols, child->ncols, &x->gby[g], &c,
								 err) != CM_OK)
			return fail(cx, KVE_COPR_FAIL_OTHER);
		x->gby_t[g] = c.st;
		x->base.cols[nc++] = c;
	}
	x->base.ncols = nc;
	x->store = cm_arena_create(1 << 20);
	x->eval = cm_arena_create(0);
	x->out = cm_arena_create(64 * 1024);
	x->compact_at = STORE_COMPACT_BYTES;
	cm_buf_init(&x->key);
	init_sem_ctx(&x->sctx, cx, x->eval);
	x->base.next = agg_next;
	x->base.close = agg_close;
	*out = &x->base;
	return CM_OK;
}

/* ==== TopN ===================================================================== */

typedef struct topn_row {
	sem_datum *keys;
	sem_datum *row;
	uint64_t seq;
} topn_row;

typedef struct x_topn {
	kve_copr_exec base;
	sem_expr **keys;
	sem_type *kt;
	bool *desc;
	size_t nk;
	uint64_t limit;
	topn_row *heap;
	size_t n;
	uint64_t seq;
	cm_arena *store;
	cm_arena *eval;
	sem_ctx sctx;
	uint64_t compact_at;
	bool consumed;
	size_t emitted;
} x_topn;

/* <0: a sorts before b. */
static int
topn_cmp(const x_topn *x, const sem_datum *ak, uint64_t aseq, const sem_datum *bk, uint64_t bseq)
{
	for (size_t i = 0; i < x->nk; i++) {
		int r;
		if (ak[i].isnull || bk[i].isnull)
			r = ak[i].isnull == bk[i].isnull ? 0 : ak[i].isnull ? 1 : -1;
		else
			r = sem_datum_compare(x->kt[i].oid, &ak[i], &bk[i]);
		if (x->desc[i])
			r = -r;
		if (r)
			return r;
	}
	return aseq < bseq ? -1 : aseq > bseq ? 1 : 0;
}

static void
topn_sift_down(x_topn *x, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < x->n && topn_cmp(x, x->heap[l].keys, x->heap[l].seq, x->heap[m].keys,
								 x->heap[m].seq) > 0)
			m = l;
		if (r < x->n && topn_cmp(x, x->heap[r].keys, x->heap[r].seq, x->heap[m].keys,
								 x->heap[m].seq) > 0)
			m = r;
		if (m == i)
			return;
		topn_row t = x->heap[i];
		x->heap[i] = x->heap[m];
		x->heap[m] = t;
		i = m;
	}
}

static void
topn_sift_up(x_topn *x, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (topn_cmp(x, x->heap[i].keys, x->heap[i].seq, x->heap[p].keys, x->heap[p].seq) <= 0)
			return;
		topn_row t = x->heap[i];
		x->heap[i] = x->heap[p];
		x->heap[p] = t;
		i = p;
	}
}

static void
topn_store(x_topn *x, cm_arena *a, topn_row *dst, const sem_datum *keys, const sem_datum *row,
		   uint64_t seq)
{
	size_t nc = x->base.ncols;
	dst->keys = cm_alloc(a, sizeof(sem_datum) * (x->nk ? x->nk : 1));
	dst->row = cm_alloc(a, sizeof(sem_datum) * (nc ? nc : 1));
	dst->seq = seq;
	for (size_t i = 0; i < x->nk; i++)
		datum_copy(a, x->kt[i].oid, &keys[i], &dst->keys[i]);
	for (size_t i = 0; i < nc; i++)
		datum_copy(a, x->base.cols[i].st.oid, &row[i], &dst->row[i]);
}

static void
topn_compact(x_topn *x)
{
	cm_arena *na = cm_arena_create(1 << 20);
	topn_row *nh = cm_alloc(na, sizeof(topn_row) * (size_t) (x->limit ? x->limit : 1));
	for (size_t i = 0; i < x->n; i++)
		topn_store(x, na, &nh[i], x->heap[i].keys, x->heap[i].row, x->heap[i].seq);
	cm_arena_destroy(x->store);
	x->store = na;
	x->heap = nh;
	uint64_t used = cm_arena_bytes(na);
	x->compact_at = used * 2 > STORE_COMPACT_BYTES ? used * 2 : STORE_COMPACT_BYTES;
}

static cm_status
topn_consume(x_topn *x, cm_error *err)
{
	kve_copr_exec *base = &x->base;
	sem_datum *keys = cm_alloc(base->cx->a, sizeof(sem_datum) * (x->nk ? x->nk : 1));
	for (;;) {
		kve_copr_batch in;
		cm_arena_reset(x->eval);
		if (child_next(base, 0, &in, err) != CM_OK)
			return CM_ERROR;
		for (size_t i = 0; i < in.n; i++) {
			for (size_t k = 0; k < x->nk; k++)
				if (sem_eval(&x->sctx, x->keys[k], in.rows[i], NULL, &keys[k], err) != CM_OK)
					return fail(base->cx, KVE_COPR_FAIL_EVAL);
			uint64_t seq = x->seq++;
			if (x->n < x->limit) {
				topn_store(x, x->store, &x->heap[x->n], keys, in.rows[i], seq);
				x->n++;
				topn_sift_up(x, x->n - 1);
			} else if (topn_cmp(x, keys, seq, x->heap[0].keys, x->heap[0].seq) < 0) {
				topn_store(x, x->store, &x->heap[0], keys, in.rows[i], seq);
				topn_sift_down(x, 0);
			}
		}
		if (cm_arena_bytes(x->store) > x->compact_at)
			topn_compact(x);
		if (in.end)
			break;
		if (kve_copr_check_deadline(base->cx, err) != CM_OK)
			return CM_ERROR;
	}
	/* heap sort: pop the max to the end */
	size_t total = x->n;
	while (x->n > 1) {
		topn_row t = x->heap[0];
		x->heap[0] = x->heap[x->n - 1];
		x->heap[x->n - 1] = t;
		x->n--;
		topn_sift_down(x, 0);
	}
	x->n = total;
	return CM_OK;
}

static cm_status
topn_next(kve_copr_exec *base, size_t want, kve_copr_batch *out, cm_error *err)
{
	x_topn *x = (x_topn *) base;
	(void) want;
	if (!x->consumed) {
		if (x->limit && topn_consume(x, err) != CM_OK)
			return CM_ERROR;
		x->consumed = true;
	}
	size_t n = x->n - x->emitted;
	if (n > KVE_COPR_BATCH)
		n = KVE_COPR_BATCH;
	out->rows = cm_alloc(x->eval, sizeof(sem_datum *) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		out->rows[i] = x->heap[x->emitted + i].row;
	out->n = n;
	x->emitted += n;
	out->end = x->emitted >= x->n;
	return CM_OK;
}

static void
topn_close(kve_copr_exec *base)
{
	x_topn *x = (x_topn *) base;
	cm_arena_destroy(x->store);
	cm_arena_destroy(x->eval);
}

static cm_status
build_topn(kve_copr_cx *cx, const Tipb__TopN *t, kve_copr_exec *child, kve_copr_exec **out,
		   cm_error *err)
{
	if (!t)
		return bad_request(cx, err, "TopN executor without topN");
	if (t->limit > (UINT64_C(1) << 24))
		return bad_request(cx, err, "TopN limit above 16777216");
	x_topn *x = cm_new(cx->a, x_topn);
	x->base.child = child;
	x->base.cols = child->cols;
	x->base.ncols = child->ncols;
	x->limit = t->limit;
	x->nk = t->n_order_by;
	x->keys = cm_new_array(cx->a, sem_expr *, x->nk ? x->nk : 1);
	x->kt = cm_new_array(cx->a, sem_type, x->nk ? x->nk : 1);
	x->desc = cm_new_array(cx->a, bool, x->nk ? x->nk : 1);
	for (size_t i = 0; i < x->nk; i++) {
		const Tipb__ByItem *b = t->order_by[i];
		kv_copr_col c;
		if (!b || kv_copr_expr_compile(cx->a, b->expr, child->cols, child->ncols, &x->keys[i], &c,
									   err) != CM_OK)
			return fail(cx, KVE_COPR_FAIL_OTHER);
		x->kt[i] = c.st;
		x->desc[i] = b->desc;
	}
	x->store = cm_arena_create(1 << 20);
	x->eval = cm_arena_create(0);
	x->heap = cm_alloc(x->store, sizeof(topn_row) * (size_t) (x->limit ? x->limit : 1));
	x->compact_at = STORE_COMPACT_BYTES;
	init_sem_ctx(&x->sctx, cx, x->eval);
	x->base.next = topn_next;
	x->base.close = topn_close;
	*out = &x->base;
	return CM_OK;
}

/* ==== build ==================================================================== */

cm_status
kve_copr_build(kve_copr_cx *cx, const Tipb__DAGRequest *dag, kve_copr_exec **root,
			   kve_copr_exec ***chain, size_t *n_chain, cm_error *err)
{
	*root = NULL;
	if (dag->root_executor)
		return bad_request(cx, err, "tree-form DAG (root_executor) is not supported");
	if (dag->n_executors == 0)
		return bad_request(cx, err, "DAG without executors");
	kve_copr_exec **xs = cm_new_array(cx->a, kve_copr_exec *, dag->n_executors);
	kve_copr_exec *cur = NULL;
	for (size_t i = 0; i < dag->n_executors; i++) {
		const Tipb__Executor *e = dag->executors[i];
		kve_copr_exec *x = NULL;
		cm_status rc;
		if (i == 0) {
			if (e->tp == TIPB__EXEC_TYPE__TypeTableScan)
				rc = build_table_scan(cx, e->tbl_scan, &x, err);
			else if (e->tp == TIPB__EXEC_TYPE__TypeIndexScan)
				rc = build_index_scan(cx, e->idx_scan, &x, err);
			else
				rc = bad_request(cx, err, "the first executor must be TableScan or IndexScan");
		} else {
			switch (e->tp) {
			case TIPB__EXEC_TYPE__TypeSelection:
				rc = build_selection(cx, e->selection, cur, &x, err);
				break;
			case TIPB__EXEC_TYPE__TypeProjection:
				rc = build_projection(cx, e->projection, cur, &x, err);
				break;
			case TIPB__EXEC_TYPE__TypeAggregation:
			case TIPB__EXEC_TYPE__TypeStreamAgg:
				rc = build_agg(cx, e->aggregation, cur, &x, err);
				break;
			case TIPB__EXEC_TYPE__TypeTopN:
				rc = build_topn(cx, e->topn, cur, &x, err);
				break;
			case TIPB__EXEC_TYPE__TypeLimit:
				rc = build_limit(cx, e->limit, cur, &x, err);
				break;
			default:
				rc = bad_request(cx, err, "unsupported executor type");
				break;
			}
		}
		if (rc != CM_OK) {
			kve_copr_exec_close(cur);
			return CM_ERROR;
		}
		x->cx = cx;
		xs[i] = x;
		cur = x;
	}
	*root = cur;
	*chain = xs;
	*n_chain = dag->n_executors;
	return CM_OK;
}

void
kve_copr_exec_close(kve_copr_exec *x)
{
	while (x) {
		kve_copr_exec *c = x->child;
		if (x->close)
			x->close(x);
		x = c;
	}
}
