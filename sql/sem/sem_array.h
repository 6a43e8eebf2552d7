/*
 * sem_array.h -- one-dimensional arrays of scalar types.
 *
 * An array datum (sem_datum.v.arr) is a lower-bound-1, one-dimensional
 * list of element datums of one element type; elements may be NULL.  The
 * array type OIDs are PostgreSQL's (int4[] = 1007, text[] = 1009 ...), and
 * sem_type.c lists them with category 'A'.  Text I/O is array_in/array_out
 * ('{1,2,NULL,"a b"}'); there is no binary form yet.
 *
 * Exported:
 *   sem_array                      the in-memory value (arena-owned)
 *   sem_array_elem_type()          array OID -> element OID (0: not an array)
 *   sem_array_type_of()            element OID -> array OID (0: none)
 *   sem_array_in / sem_array_out   text forms
 *   sem_array_compare()            btree order (element-wise, then length)
 *   sem_array_new()                allocate an array of n elements
 *   sem_array_construct_fn         SEM_EXPR_EXTERN callback for ARRAY[...]
 *   sem_array_any_fn               SEM_EXPR_EXTERN callback for x op ANY/ALL (array);
 *                                  e->u.ext.arg is a sem_array_anyop
 *   sem_array_register_builtins()  array functions/operators and the
 *                                  set-returning function signatures
 *                                  (generate_series, unnest) the planner
 *                                  turns into row sources
 */
#ifndef PGKV_SEM_ARRAY_H
#define PGKV_SEM_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include "sql/sem/sem_expr.h"
#include "sql/sem/sem_types.h"

/* The anyarray pseudo-type in built-in signatures: any array type; an
 * anyelement argument or result next to it is that array's element type
 * (resolved by the binder). */
#define SEM_ANYARRAYOID 2277

struct sem_array {
	sem_oid elemtype;
	int n;
	sem_datum *elems;		/* n entries */
};

typedef struct sem_array_anyop {
	const sem_builtin *op;	/* boolean operator elem_lhs op elem */
	bool all;				/* ALL instead of ANY */
} sem_array_anyop;

/* Element-wise conversion between array types (SEM_EXPR_EXTERN arg of
 * sem_array_coerce_fn). */
typedef struct sem_array_castinfo {
	sem_cast_path path;
	sem_oid from_elem, to_elem;
	int32_t typmod;
	bool is_explicit;
} sem_array_castinfo;

sem_oid sem_array_elem_type(sem_oid array_oid);
/* Array-to-array conversion path in cctx (false: none). */
bool sem_array_cast_find(sem_oid from, sem_oid to, sem_coerce_context cctx, sem_array_castinfo *out);
cm_status sem_array_coerce_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out,
							  cm_error *err);
sem_oid sem_array_type_of(sem_oid elem_oid);
sem_array *sem_array_new(cm_arena *a, sem_oid elemtype, int n);

CM_MUST_CHECK cm_status sem_array_in(sem_ctx *ctx, sem_oid array_oid, const char *s, size_t len,
									 sem_datum *out, cm_error *err);
void sem_array_out(sem_ctx *ctx, sem_oid array_oid, const sem_datum *d, cm_buf *out);
int sem_array_compare(sem_oid array_oid, const sem_datum *a, const sem_datum *b);

cm_status sem_array_construct_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out,
								 cm_error *err);
cm_status sem_array_any_fn(sem_ctx *ctx, const sem_expr *e, const sem_datum *args, sem_datum *out,
						   cm_error *err);

void sem_array_register_builtins(void);

#endif /* PGKV_SEM_ARRAY_H */
