/*
 * pl_internal.h -- private contract between pl_bind.c and pl_select.c.
 *
 * pl_binder carries one binding pass: the arena for nodes, the session
 * context (used to convert literals), the query text and the parameter
 * environment.  The helpers are PostgreSQL's coerce_type(),
 * coerce_to_boolean(), select_common_type(), coerce_to_common_type() and
 * func_get_detail() for sem_expr trees.
 */
#ifndef PGKV_PL_INTERNAL_H
#define PGKV_PL_INTERNAL_H

#include "sql/plan/plan.h"

struct pl_scope;

typedef struct pl_binder {
	cm_arena *arena;
	sem_ctx *ctx;
	const char *query;
	pl_bind_env *env;
	int depth;
	struct pl_scope *scope;		/* query binder state (pl_query.c), NULL for bare expressions */
	/* DML: the target table's RangeVar (its scan also yields the row handle,
	 * named "ctid" and hidden from *), and what it resolved to */
	const PgQuery__RangeVar *dml_target;
	const pl_table *dml_table;
} pl_binder;

/* Hooks into pl_query.c for nodes that need the query context. */
CM_MUST_CHECK cm_status pl_q_funccall(pl_binder *b, const PgQuery__FuncCall *fc, bool *handled, sem_expr **out,
									  cm_error *err);
CM_MUST_CHECK cm_status pl_q_sublink(pl_binder *b, const PgQuery__SubLink *sl, sem_expr **out, cm_error *err);
/* GROUPING(a, b, ...) (pl_query.c) */
CM_MUST_CHECK cm_status pl_q_grouping(pl_binder *b, const PgQuery__GroupingFunc *gf, sem_expr **out, cm_error *err);
/* Resolve and build a function/operator call (exported from pl_bind.c). */
CM_MUST_CHECK cm_status pl_call_named(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args,
									  int location, sem_expr **out, cm_error *err);
CM_MUST_CHECK cm_status pl_make_op(pl_binder *b, const char *name, sem_expr *l, sem_expr *r, int location,
								   sem_expr **out, cm_error *err);
cm_status pl_err_at(cm_error *err, int location);

CM_MUST_CHECK cm_status pl_bind_node(pl_binder *b, const PgQuery__Node *n, sem_expr **out, cm_error *err);
CM_MUST_CHECK cm_status pl_coerce(pl_binder *b, sem_expr **pe, sem_oid target, int32_t typmod,
								  sem_coerce_context cctx, bool is_explicit, cm_error *err);
CM_MUST_CHECK cm_status pl_coerce_bool(pl_binder *b, sem_expr **pe, const char *construct, cm_error *err);
CM_MUST_CHECK cm_status pl_common_type(pl_binder *b, sem_expr **v, int n, const char *context, sem_type *out,
									   cm_error *err);
CM_MUST_CHECK cm_status pl_coerce_common(pl_binder *b, sem_expr **v, int n, sem_type t, const char *context,
										 cm_error *err);
CM_MUST_CHECK cm_status pl_resolve_unknown(pl_binder *b, sem_expr **pe, cm_error *err);
CM_MUST_CHECK cm_status pl_resolve_call(pl_binder *b, const char *name, bool is_op, int nargs, sem_expr **args,
										int location, const sem_builtin **out, cm_error *err);
CM_MUST_CHECK cm_status pl_make_call(pl_binder *b, const sem_builtin *fn, int nargs, sem_expr **args, int location,
									 sem_expr **out, cm_error *err);
CM_MUST_CHECK cm_status pl_typename(pl_binder *b, const PgQuery__TypeName *tn, sem_type *out, cm_error *err);
/* [perf] Room the parameter-type array of one statement needs: the larger of
 * nparams and the highest $n written in query (a ParamRef comes only from a
 * $n token), the latter capped at limit; at least 1.  Replaces a 64K-entry zeroed array
 * per plan (pl_select.c). */
int pl_param_capacity(const char *query, int nparams, int limit);

#endif /* PGKV_PL_INTERNAL_H */
