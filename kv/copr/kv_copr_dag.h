/*
 * kv_copr_dag.h -- building tipb DAG requests, and their output schema.
 *
 * The SQL planner (and the tests and benchmarks) describe a pushed-down plan
 * with these builders instead of filling protobuf-c structs by hand.  Every
 * message is allocated in the arena given to the builder (nothing to free
 * but the arena; never call protobuf_c_message_free_unpacked on them).
 * Every scalar a reader relies on is set explicitly (proto2 has_ flags), as
 * kv-protocol-facts 3 asks.
 *
 * Schema rules shared by the embedded coprocessor and the client decoder:
 *   TableScan / IndexScan   the ColumnInfos, in order
 *   Selection, TopN, Limit  the child's schema
 *   Projection              one column per expression
 *   Aggregation             aggregate result columns in agg_func order (Avg
 *                           gives two: count Longlong UNSIGNED, then sum),
 *                           then the group-by columns
 *   output                  DAGRequest.output_offsets of the last executor
 *                           (all columns when empty)
 * Aggregate result types (kv_copr_agg_cols): count int8; sum / avg sum
 * column the Expr's field_type when set, else PostgreSQL's result type
 * (sum(int2/int4) int8, sum(int8) numeric, avg(int*) numeric, sum(float4)
 * float4, avg(float4) float8, float8 float8, numeric numeric); min, max,
 * first_row the argument's type.
 *
 * Exported:
 *   kv_copr_pb_col / _int / _uint / _float / _string / _bytes / _decimal /
 *   _null / _func / _func2 / _agg / _column      expression and column makers
 *   kv_copr_dag + kv_copr_dag_init / _table_scan / _index_scan / _selection /
 *   _projection / _aggregation / _topn / _limit / _output / _pack
 *   kv_copr_agg_cols()     result columns of one aggregate
 *   kv_copr_dag_schema()   output columns of a whole DAG
 */
#ifndef PGKV_KV_COPR_DAG_H
#define PGKV_KV_COPR_DAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "executor.pb-c.h"
#include "expression.pb-c.h"
#include "kv/copr/kv_copr_expr.h"
#include "kv/copr/kv_copr_types.h"
#include "select.pb-c.h"

/* ---- expressions (ft may be NULL: no field_type) ---------------------------- */

Tipb__Expr *kv_copr_pb_col(cm_arena *a, int64_t offset, const kv_copr_ftype *ft);
Tipb__Expr *kv_copr_pb_int(cm_arena *a, int64_t v, const kv_copr_ftype *ft);
Tipb__Expr *kv_copr_pb_uint(cm_arena *a, uint64_t v);
Tipb__Expr *kv_copr_pb_float(cm_arena *a, double v, const kv_copr_ftype *ft);
Tipb__Expr *kv_copr_pb_string(cm_arena *a, const void *p, size_t n, const kv_copr_ftype *ft);
Tipb__Expr *kv_copr_pb_bytes(cm_arena *a, const void *p, size_t n);
/* Decimal constant from text (prec/frac derived); NULL on bad text (err). */
Tipb__Expr *kv_copr_pb_decimal(cm_arena *a, const char *text, cm_error *err);
Tipb__Expr *kv_copr_pb_null(cm_arena *a, const kv_copr_ftype *ft);
/* ScalarFunc with sig and children (copied array). */
Tipb__Expr *kv_copr_pb_func(cm_arena *a, int sig, const kv_copr_ftype *ft, size_t n,
							Tipb__Expr *const *children);
Tipb__Expr *kv_copr_pb_func2(cm_arena *a, int sig, const kv_copr_ftype *ft, Tipb__Expr *x,
							 Tipb__Expr *y);
/* Aggregate: expr_tp TIPB__EXPR_TYPE__Count / Sum / Avg / Min / Max / First;
 * arg NULL = count(*) (no children). */
Tipb__Expr *kv_copr_pb_agg(cm_arena *a, int expr_tp, const kv_copr_ftype *ft, Tipb__Expr *arg);
/* A ColumnInfo; default_val (may be NULL) is a datum in value encoding. */
Tipb__ColumnInfo *kv_copr_pb_column(cm_arena *a, int64_t column_id, const kv_copr_ftype *ft,
									bool pk_handle, const void *default_val, size_t default_len);

/* ---- DAG requests ------------------------------------------------------------ */

typedef struct kv_copr_dag {
	cm_arena *a;
	Tipb__DAGRequest req;
	Tipb__Executor **ex;
	size_t n, cap;
} kv_copr_dag;

/* Start an empty DAG: encode_type TypeChunk (chunk) or TypeDefault, time
 * zone "UTC". */
void kv_copr_dag_init(kv_copr_dag *d, cm_arena *a, bool chunk);
void kv_copr_dag_table_scan(kv_copr_dag *d, int64_t table_id, Tipb__ColumnInfo **cols, size_t n,
							bool desc);
void kv_copr_dag_index_scan(kv_copr_dag *d, int64_t table_id, int64_t index_id,
							Tipb__ColumnInfo **cols, size_t n, bool desc, bool unique);
void kv_copr_dag_selection(kv_copr_dag *d, Tipb__Expr **conds, size_t n);
void kv_copr_dag_projection(kv_copr_dag *d, Tipb__Expr **exprs, size_t n);
void kv_copr_dag_aggregation(kv_copr_dag *d, Tipb__Expr **group_by, size_t ng, Tipb__Expr **aggs,
							 size_t na, bool streamed);
/* TopN on keys[i] (desc[i]) keeping limit rows. */
void kv_copr_dag_topn(kv_copr_dag *d, Tipb__Expr **keys, const bool *desc, size_t n,
					  uint64_t limit);
void kv_copr_dag_limit(kv_copr_dag *d, uint64_t limit);
void kv_copr_dag_output(kv_copr_dag *d, const uint32_t *offsets, size_t n);
/* Serialise into arena memory. */
ProtobufCBinaryData kv_copr_dag_pack(kv_copr_dag *d);

/* ---- schema -------------------------------------------------------------------- */

/* Result columns of aggregate agg whose compiled argument column is arg
 * (NULL for count(*)): out[0..*n), *n = 2 for Avg.  0A000 for other
 * aggregates and non-numeric sum / avg. */
CM_MUST_CHECK cm_status kv_copr_agg_cols(const Tipb__Expr *agg, const kv_copr_col *arg,
										 kv_copr_col out[2], size_t *n, cm_error *err);
/* Output columns of dag (after output_offsets), in arena. */
CM_MUST_CHECK cm_status kv_copr_dag_schema(const Tipb__DAGRequest *dag, cm_arena *a,
										   kv_copr_col **cols, size_t *n, cm_error *err);

#endif /* PGKV_KV_COPR_DAG_H */
