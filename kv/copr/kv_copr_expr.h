/*
 * kv_copr_expr.h -- tipb.Expr trees -> sql/sem expressions.
 *
 * The coprocessor evaluates pushed-down expressions with the project's one
 * evaluator (sql/sem).  This module turns a tipb.Expr (ColumnRef, constants,
 * ScalarFunc with a ScalarFuncSig) into a sem_expr over the child
 * executor's output schema, resolving every sig to a sem built-in by
 * operator name and the sem types of its (compiled) arguments.  The sem
 * argument types come from the child schema and the constants' field types
 * (kv_copr_types.h), so int4 + int4 is PostgreSQL's int4 "+" (error 22003
 * "integer out of range" past 2^31), int8 + int8 the int8 one, and so on:
 * the semantics are PostgreSQL's, and the SQL planner pushes down only what
 * a real TiKV evaluates identically.
 *
 * Sig mapping (the full table is in docs/storage.md "## Coprocessor"):
 *   LT/LE/GT/GE/EQ/NE {Int,Real,Decimal,String,Time}  "<" "<=" ">" ">=" "=" "<>"
 *   NullEQ{Int,Real,Decimal,String,Time}              IS NOT DISTINCT FROM ("=")
 *   Plus/Minus/Multiply{Int,Real,Decimal}             "+" "-" "*"
 *   DivideReal, DivideDecimal, IntDivideInt           "/"
 *   IntDivideDecimal                                  div(numeric, numeric)
 *   ModInt, ModDecimal                                "%"
 *   UnaryMinus{Int,Real,Decimal}                      unary "-"
 *   Abs{Int,Real,Decimal}                             abs()
 *   LogicalAnd / LogicalOr / UnaryNot{Int,Real,Decimal}   AND / OR / NOT
 *   LogicalXor                                        a <> b on booleans
 *   {Int,Real,Decimal,String,Time}IsNull              IS NULL
 *   IntIsTrue / RealIsTrue / DecimalIsTrue            x IS TRUE  (x <> 0)
 *   IntIsFalse                                        x IS FALSE
 *   IntIsTrueWithNull                                 x <> 0
 *   In{Int,Real,Decimal,String,Time}                  x IN (list) with "="
 *   IfNull*, Coalesce*                                COALESCE
 *   If{Int,Real,String}                               CASE WHEN c THEN a ELSE b END
 *   CaseWhen*                                         searched CASE
 *   LikeSig (escape must be '\\' = 92)                "~~" (LIKE)
 *   CastIntAsInt/Real/Decimal, CastRealAs*, CastDecimalAs*,
 *   CastStringAsString                                sem cast to the field type
 * Everything else (JSON, Duration, string casts that format numbers,
 * regexp, unsigned variants) is 0A000 "coprocessor: unsupported function
 * sig N".  Integer and real operands used as conditions are read as
 * "<> 0", as TiDB does.
 *
 * Exported:
 *   kv_copr_col               one column of an executor's output schema
 *   kv_copr_expr_compile()    tipb.Expr -> sem_expr
 *   kv_copr_expr_as_bool()    wrap a non-bool condition into "<> 0"
 *   kv_copr_sig_supported()   for the planner's pushdown decision
 */
#ifndef PGKV_KV_COPR_EXPR_H
#define PGKV_KV_COPR_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "expression.pb-c.h"
#include "kv/copr/kv_copr_types.h"
#include "sql/sem/sem_expr.h"

/* One output column of an executor: its sem type and the field type that
 * goes on the wire. */
typedef struct kv_copr_col {
	sem_type st;
	kv_copr_ftype ft;
} kv_copr_col;

/*
 * Compile e over the child schema cols[0..ncols) into *out (allocated in
 * arena, which must outlive the expression).  *col (may be NULL) receives
 * the result column: the sem type of the compiled expression and e's
 * field_type (or the default field type of the sem type when e has none).
 * Errors: 0A000 unsupported expression / sig / type, 42883 no sem built-in
 * for the argument types, 22023 malformed constant or column offset.
 */
CM_MUST_CHECK cm_status kv_copr_expr_compile(cm_arena *arena, const Tipb__Expr *e,
											 const kv_copr_col *cols, size_t ncols,
											 sem_expr **out, kv_copr_col *col, cm_error *err);

/* A condition: bool as is; integer / float / numeric wrapped in "<> 0";
 * anything else 42804. */
CM_MUST_CHECK cm_status kv_copr_expr_as_bool(cm_arena *arena, sem_expr *e, sem_expr **out,
											 cm_error *err);

/* True if kv_copr_expr_compile maps this sig. */
bool kv_copr_sig_supported(int sig);

#endif /* PGKV_KV_COPR_EXPR_H */
