/*
 * kv_copr_dag.c -- tipb DAG builders and output-schema inference.
 *
 * Exported: everything declared in kv_copr_dag.h.
 */
#include "kv/copr/kv_copr_dag.h"

#include <string.h>

#include "kv/codec/kv_codec.h"

/* ---- expressions ------------------------------------------------------------- */

static Tipb__FieldType *
ft_pb(cm_arena *a, const kv_copr_ftype *ft)
{
	if (!ft)
		return NULL;
	Tipb__FieldType *pb = cm_new(a, Tipb__FieldType);
	tipb__field_type__init(pb);
	kv_copr_ftype_to_pb(ft, pb);
	return pb;
}

static Tipb__Expr *
expr_new(cm_arena *a, Tipb__ExprType tp, const kv_copr_ftype *ft)
{
	Tipb__Expr *e = cm_new(a, Tipb__Expr);
	tipb__expr__init(e);
	e->has_tp = true;
	e->tp = tp;
	e->field_type = ft_pb(a, ft);
	return e;
}

static void
set_val(cm_arena *a, Tipb__Expr *e, const void *p, size_t n)
{
	e->has_val = true;
	e->val.len = n;
	e->val.data = n ? cm_memdup(a, p, n) : (uint8_t *) cm_alloc(a, 1);
}

Tipb__Expr *
kv_copr_pb_col(cm_arena *a, int64_t offset, const kv_copr_ftype *ft)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__ColumnRef, ft);
	uint8_t b[8];
	kv_put_int(b, offset);
	set_val(a, e, b, 8);
	return e;
}

Tipb__Expr *
kv_copr_pb_int(cm_arena *a, int64_t v, const kv_copr_ftype *ft)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__Int64, ft);
	uint8_t b[8];
	kv_put_int(b, v);
	set_val(a, e, b, 8);
	return e;
}

Tipb__Expr *
kv_copr_pb_uint(cm_arena *a, uint64_t v)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__Uint64, NULL);
	uint8_t b[8];
	kv_put_uint(b, v);
	set_val(a, e, b, 8);
	return e;
}

Tipb__Expr *
kv_copr_pb_float(cm_arena *a, double v, const kv_copr_ftype *ft)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__Float64, ft);
	uint8_t b[8];
	kv_put_uint(b, kv_float_to_cmp(v));
	set_val(a, e, b, 8);
	return e;
}

Tipb__Expr *
kv_copr_pb_string(cm_arena *a, const void *p, size_t n, const kv_copr_ftype *ft)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__String, ft);
	set_val(a, e, p, n);
	return e;
}

Tipb__Expr *
kv_copr_pb_bytes(cm_arena *a, const void *p, size_t n)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__Bytes, NULL);
	set_val(a, e, p, n);
	return e;
}

Tipb__Expr *
kv_copr_pb_decimal(cm_arena *a, const char *text, cm_error *err)
{
	cm_buf b;
	cm_buf_init(&b);
	if (kv_encode_decimal(&b, text, strlen(text), 0, 0, err) != CM_OK) {
		cm_buf_free(&b);
		return NULL;
	}
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__MysqlDecimal, NULL);
	set_val(a, e, b.data, b.len);
	cm_buf_free(&b);
	return e;
}

Tipb__Expr *
kv_copr_pb_null(cm_arena *a, const kv_copr_ftype *ft)
{
	return expr_new(a, TIPB__EXPR_TYPE__Null, ft);
}

Tipb__Expr *
kv_copr_pb_func(cm_arena *a, int sig, const kv_copr_ftype *ft, size_t n,
				Tipb__Expr *const *children)
{
	Tipb__Expr *e = expr_new(a, TIPB__EXPR_TYPE__ScalarFunc, ft);
	e->has_sig = true;
	e->sig = (Tipb__ScalarFuncSig) sig;
	e->n_children = n;
	e->children = cm_alloc(a, sizeof(Tipb__Expr *) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		e->children[i] = children[i];
	return e;
}

Tipb__Expr *
kv_copr_pb_func2(cm_arena *a, int sig, const kv_copr_ftype *ft, Tipb__Expr *x, Tipb__Expr *y)
{
	Tipb__Expr *c[2] = {x, y};
	return kv_copr_pb_func(a, sig, ft, 2, c);
}

Tipb__Expr *
kv_copr_pb_agg(cm_arena *a, int expr_tp, const kv_copr_ftype *ft, Tipb__Expr *arg)
{
	Tipb__Expr *e = expr_new(a, (Tipb__ExprType) expr_tp, ft);
	if (arg) {
		e->n_children = 1;
		e->children = cm_alloc(a, sizeof(Tipb__Expr *));
		e->children[0] = arg;
	}
	return e;
}

Tipb__ColumnInfo *
kv_copr_pb_column(cm_arena *a, int64_t column_id, const kv_copr_ftype *ft, bool pk_handle,
				  const void *default_val, size_t default_len)
{
	Tipb__ColumnInfo *c = cm_new(a, Tipb__ColumnInfo);
	tipb__column_info__init(c);
	c->has_column_id = c->has_tp = c->has_collation = c->has_columnlen = c->has_decimal =
		c->has_flag = c->has_pk_handle = true;
	c->column_id = column_id;
	c->tp = ft->tp;
	c->collation = ft->collate;
	c->columnlen = ft->flen;
	c->decimal = ft->decimal;
	c->flag = (int32_t) ft->flag;
	c->pk_handle = pk_handle;
	if (default_val) {
		c->has_default_val = true;
		c->default_val.len = default_len;
		c->default_val.data = cm_memdup(a, default_val, default_len ? default_len : 1);
	}
	return c;
}

/* ---- DAG --------------------------------------------------------------------- */

void
kv_copr_dag_init(kv_copr_dag *d, cm_arena *a, bool chunk)
{
	memset(d, 0, sizeof *d);
	d->a = a;
	tipb__dagrequest__init(&d->req);
	d->req.has_encode_type = true;
	d->req.encode_type = chunk ? TIPB__ENCODE_TYPE__TypeChunk : TIPB__ENCODE_TYPE__TypeDefault;
	d->req.time_zone_name = cm_strdup(a, "UTC");
	d->req.has_time_zone_offset = true;
	d->req.time_zone_offset = 0;
}

static Tipb__Executor *
push(kv_copr_dag *d, Tipb__ExecType tp)
{
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 8;
		Tipb__Executor **nx = cm_alloc(d->a, sizeof(Tipb__Executor *) * nc);
		if (d->n)
			memcpy(nx, d->ex, sizeof(Tipb__Executor *) * d->n);
		d->ex = nx;
		d->cap = nc;
	}
	Tipb__Executor *e = cm_new(d->a, Tipb__Executor);
	tipb__executor__init(e);
	e->has_tp = true;
	e->tp = tp;
	d->ex[d->n++] = e;
	d->req.executors = d->ex;
	d->req.n_executors = d->n;
	return e;
}

static Tipb__ColumnInfo **
copy_cols(cm_arena *a, Tipb__ColumnInfo **cols, size_t n)
{
	Tipb__ColumnInfo **c = cm_alloc(a, sizeof(Tipb__ColumnInfo *) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		c[i] = cols[i];
	return c;
}

static Tipb__Expr **
copy_exprs(cm_arena *a, Tipb__Expr **e, size_t n)
{
	Tipb__Expr **c = cm_alloc(a, sizeof(Tipb__Expr *) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		c[i] = e[i];
	return c;
}

void
kv_copr_dag_table_scan(kv_copr_dag *d, int64_t table_id, Tipb__ColumnInfo **cols, size_t n,
					   bool desc)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeTableScan);
	Tipb__TableScan *t = cm_new(d->a, Tipb__TableScan);
	tipb__table_scan__init(t);
	t->has_table_id = t->has_desc = true;
	t->table_id = table_id;
	t->desc = desc;
	t->columns = copy_cols(d->a, cols, n);
	t->n_columns = n;
	e->tbl_scan = t;
}

void
kv_copr_dag_index_scan(kv_copr_dag *d, int64_t table_id, int64_t index_id,
					   Tipb__ColumnInfo **cols, size_t n, bool desc, bool unique)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeIndexScan);
	Tipb__IndexScan *t = cm_new(d->a, Tipb__IndexScan);
	tipb__index_scan__init(t);
	t->has_table_id = t->has_index_id = t->has_desc = t->has_unique = true;
	t->table_id = table_id;
	t->index_id = index_id;
	t->desc = desc;
	t->unique = unique;
	t->columns = copy_cols(d->a, cols, n);
	t->n_columns = n;
	e->idx_scan = t;
}

void
kv_copr_dag_selection(kv_copr_dag *d, Tipb__Expr **conds, size_t n)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeSelection);
	Tipb__Selection *s = cm_new(d->a, Tipb__Selection);
	tipb__selection__init(s);
	s->conditions = copy_exprs(d->a, conds, n);
	s->n_conditions = n;
	e->selection = s;
}

void
kv_copr_dag_projection(kv_copr_dag *d, Tipb__Expr **exprs, size_t n)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeProjection);
	Tipb__Projection *p = cm_new(d->a, Tipb__Projection);
	tipb__projection__init(p);
	p->exprs = copy_exprs(d->a, exprs, n);
	p->n_exprs = n;
	e->projection = p;
}

void
kv_copr_dag_aggregation(kv_copr_dag *d, Tipb__Expr **group_by, size_t ng, Tipb__Expr **aggs,
						size_t na, bool streamed)
{
	Tipb__Executor *e =
		push(d, streamed ? TIPB__EXEC_TYPE__TypeStreamAgg : TIPB__EXEC_TYPE__TypeAggregation);
	Tipb__Aggregation *g = cm_new(d->a, Tipb__Aggregation);
	tipb__aggregation__init(g);
	g->group_by = copy_exprs(d->a, group_by, ng);
	g->n_group_by = ng;
	g->agg_func = copy_exprs(d->a, aggs, na);
	g->n_agg_func = na;
	g->has_streamed = true;
	g->streamed = streamed;
	e->aggregation = g;
}

void
kv_copr_dag_topn(kv_copr_dag *d, Tipb__Expr **keys, const bool *desc, size_t n, uint64_t limit)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeTopN);
	Tipb__TopN *t = cm_new(d->a, Tipb__TopN);
	tipb__top_n__init(t);
	t->has_limit = true;
	t->limit = limit;
	t->order_by = cm_alloc(d->a, sizeof(Tipb__ByItem *) * (n ? n : 1));
	t->n_order_by = n;
	for (size_t i = 0; i < n; i++) {
		Tipb__ByItem *b = cm_new(d->a, Tipb__ByItem);
		tipb__by_item__init(b);
		b->expr = keys[i];
		b->has_desc = true;
		b->desc = desc[i];
		t->order_by[i] = b;
	}
	e->topn = t;
}

void
kv_copr_dag_limit(kv_copr_dag *d, uint64_t limit)
{
	Tipb__Executor *e = push(d, TIPB__EXEC_TYPE__TypeLimit);
	Tipb__Limit *l = cm_new(d->a, Tipb__Limit);
	tipb__limit__init(l);
	l->has_limit = true;
	l->limit = limit;
	e->limit = l;
}

void
kv_copr_dag_output(kv_copr_dag *d, const uint32_t *offsets, size_t n)
{
	d->req.output_offsets = cm_alloc(d->a, sizeof(uint32_t) * (n ? n : 1));
	memcpy(d->req.output_offsets, offsets, sizeof(uint32_t) * n);
	d->req.n_output_offsets = n;
}

ProtobufCBinaryData
kv_copr_dag_pack(kv_copr_dag *d)
{
	ProtobufCBinaryData b;
	b.len = tipb__dagrequest__get_packed_size(&d->req);
	b.data = cm_alloc(d->a, b.len ? b.len : 1);
	tipb__dagrequest__pack(&d->req, b.data);
	return b;
}

/* ---- schema -------------------------------------------------------------------- */

static sem_type
mk_type(sem_oid o)
{
	sem_type t = {o, -1};
	return t;
}

cm_status
kv_copr_agg_cols(const Tipb__Expr *agg, const kv_copr_col *arg, kv_copr_col out[2], size_t *n,
				 cm_error *err)
{
	bool has_ft = agg->field_type && agg->field_type->tp != 0;
	kv_copr_ftype ft = kv_copr_ftype_from_pb(agg->field_type);
	*n = 0;
	switch (agg->tp) {
	case TIPB__EXPR_TYPE__Count:
		if (!has_ft) {
			memset(&ft, 0, sizeof ft);
			ft.tp = KV_TP_LONGLONG;
			ft.flen = 21;
		}
		out[(*n)++] = (kv_copr_col){mk_type(SEM_INT8OID), ft};
		return CM_OK;
	case TIPB__EXPR_TYPE__Sum:
	case TIPB__EXPR_TYPE__Avg: {
		bool avg = agg->tp == TIPB__EXPR_TYPE__Avg;
		sem_oid at = arg ? arg->st.oid : SEM_INVALIDOID;
		bool is_int = at == SEM_INT2OID || at == SEM_INT4OID || at == SEM_INT8OID;
		bool is_float = at == SEM_FLOAT4OID || at == SEM_FLOAT8OID;
		if (!is_int && !is_float && at != SEM_NUMERICOID)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
								"coprocessor: sum / avg of type %u is not supported",
								(unsigned) at);
		sem_type res;
		if (has_ft) {
			if (kv_copr_sem_type_of(&ft, &res, err) != CM_OK)
				return CM_ERROR;
			if (res.oid != SEM_INT8OID && res.oid != SEM_NUMERICOID &&
				res.oid != SEM_FLOAT8OID && res.oid != SEM_FLOAT4OID)
				return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
									"coprocessor: sum / avg result field type %d", ft.tp);
		} else {
			if (is_int)
				res = mk_type(!avg && at != SEM_INT8OID ? SEM_INT8OID : SEM_NUMERICOID);
			else if (is_float)
				res = mk_type(avg ? SEM_FLOAT8OID : at);
			else
				res = mk_type(SEM_NUMERICOID);
			if (kv_copr_ftype_of(res, &ft, err) != CM_OK)
				return CM_ERROR;
		}
		if (avg) {
			kv_copr_ftype cft = {.tp = KV_TP_LONGLONG, .flag = KV_FT_UNSIGNED, .flen = 21};
			out[(*n)++] = (kv_copr_col){mk_type(SEM_INT8OID), cft};
		}
		out[(*n)++] = (kv_copr_col){res, ft};
		return CM_OK;
	}
	case TIPB__EXPR_TYPE__Min:
	case TIPB__EXPR_TYPE__Max:
	case TIPB__EXPR_TYPE__First:
		if (!arg)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"coprocessor: aggregate without an argument");
		out[(*n)++] = (kv_copr_col){arg->st, has_ft ? ft : arg->ft};
		return CM_OK;
	default:
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"coprocessor: unsupported aggregate function %d", (int) agg->tp);
	}
}

static cm_status
scan_cols(cm_arena *a, Tipb__ColumnInfo **ci, size_t n, kv_copr_col **cols, size_t *nc,
		  cm_error *err)
{
	kv_copr_col *c = cm_alloc(a, sizeof(kv_copr_col) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		c[i].ft = kv_copr_ftype_from_column(ci[i]);
		if (kv_copr_sem_type_of(&c[i].ft, &c[i].st, err) != CM_OK)
			return CM_ERROR;
	}
	*cols = c;
	*nc = n;
	return CM_OK;
}

cm_status
kv_copr_dag_schema(const Tipb__DAGRequest *dag, cm_arena *a, kv_copr_col **cols, size_t *n,
				   cm_error *err)
{
	kv_copr_col *cur = NULL;
	size_t nc = 0;
	if (dag->n_executors == 0)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "coprocessor: DAG without executors");
	for (size_t i = 0; i < dag->n_executors; i++) {
		const Tipb__Executor *e = dag->executors[i];
		switch (e->tp) {
		case TIPB__EXEC_TYPE__TypeTableScan:
			if (!e->tbl_scan ||
				scan_cols(a, e->tbl_scan->columns, e->tbl_scan->n_columns, &cur, &nc, err) != CM_OK)
				return e->tbl_scan ? CM_ERROR
								   : cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
												  "coprocessor: TableScan without tbl_scan");
			break;
		case TIPB__EXEC_TYPE__TypeIndexScan:
			if (!e->idx_scan ||
				scan_cols(a, e->idx_scan->columns, e->idx_scan->n_columns, &cur, &nc, err) != CM_OK)
				return e->idx_scan ? CM_ERROR
								   : cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
												  "coprocessor: IndexScan without idx_scan");
			break;
		case TIPB__EXEC_TYPE__TypeSelection:
		case TIPB__EXEC_TYPE__TypeTopN:
		case TIPB__EXEC_TYPE__TypeLimit:
			break;
		case TIPB__EXEC_TYPE__TypeProjection: {
			const Tipb__Projection *p = e->projection;
			if (!p)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"coprocessor: Projection without projection");
			kv_copr_col *nx = cm_alloc(a, sizeof(kv_copr_col) * (p->n_exprs ? p->n_exprs : 1));
			for (size_t j = 0; j < p->n_exprs; j++) {
				sem_expr *se;
				if (kv_copr_expr_compile(a, p->exprs[j], cur, nc, &se, &nx[j], err) != CM_OK)
					return CM_ERROR;
			}
			cur = nx;
			nc = p->n_exprs;
			break;
		}
		case TIPB__EXEC_TYPE__TypeAggregation:
		case TIPB__EXEC_TYPE__TypeStreamAgg: {
			const Tipb__Aggregation *g = e->aggregation;
			if (!g)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"coprocessor: Aggregation without aggregation");
			size_t max = 2 * g->n_agg_func + g->n_group_by;
			kv_copr_col *nx = cm_alloc(a, sizeof(kv_copr_col) * (max ? max : 1));
			size_t k = 0;
			for (size_t j = 0; j < g->n_agg_func; j++) {
				const Tipb__Expr *ag = g->agg_func[j];
				kv_copr_col argc, *argp = NULL, res[2];
				size_t nr;
				if (ag->n_children == 1) {
					sem_expr *se;
					if (kv_copr_expr_compile(a, ag->children[0], cur, nc, &se, &argc, err) != CM_OK)
						return CM_ERROR;
					argp = &argc;
				}
				if (kv_copr_agg_cols(ag, argp, res, &nr, err) != CM_OK)
					return CM_ERROR;
				for (size_t r = 0; r < nr; r++)
					nx[k++] = res[r];
			}
			for (size_t j = 0; j < g->n_group_by; j++) {
				sem_expr *se;
				if (kv_copr_expr_compile(a, g->group_by[j], cur, nc, &se, &nx[k++], err) != CM_OK)
					return CM_ERROR;
			}
			cur = nx;
			nc = k;
			break;
		}
		default:
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
								"coprocessor: unsupported executor type %d", (int) e->tp);
		}
	}
	if (dag->n_output_offsets) {
		kv_copr_col *o = cm_alloc(a, sizeof(kv_copr_col) * dag->n_output_offsets);
		for (size_t i = 0; i < dag->n_output_offsets; i++) {
			if (dag->output_offsets[i] >= nc)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"coprocessor: output offset %u out of range",
									dag->output_offsets[i]);
			o[i] = cur[dag->output_offsets[i]];
		}
		cur = o;
		nc = dag->n_output_offsets;
	}
	*cols = cur;
	*n = nc;
	return CM_OK;
}
