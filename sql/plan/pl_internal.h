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

typedef struct pl_binder {
	cm_arena *arena;
	sem_ctx *ctx;
	const char *query;
	pl_bind_env *env;
	int depth;
} pl_binder;

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

#endif /* PGKV_PL_INTERNAL_H */
