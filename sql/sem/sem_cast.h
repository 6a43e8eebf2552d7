/*
 * sem_cast.h -- type conversions with PostgreSQL's pg_cast semantics.
 *
 * A cast from one type to another is found in a table copied from
 * PostgreSQL 15's pg_cast (context implicit / assignment / explicit, and a
 * conversion function or binary relabelling), plus PostgreSQL's automatic
 * I/O conversion casts: any type to a string type through its output
 * function (assignment), a string type to any type through its input
 * function (explicit).  The unknown type (an untyped literal or parameter)
 * converts implicitly to everything.
 *
 * Exported:
 *   sem_coerce_context        implicit / assignment / explicit
 *   sem_cast_path             how one conversion is done
 *   sem_cast_find()           the path for from -> to in a context
 *   sem_can_coerce()          PostgreSQL's can_coerce_type() for one type,
 *                             including pseudo types "any"/anyelement/anynonarray
 *   sem_cast_exec()           run a path, then the target typmod coercion
 *   sem_cast_datum()          find + exec in one call (explicit context)
 */
#ifndef PGKV_SEM_CAST_H
#define PGKV_SEM_CAST_H

#include <stdbool.h>
#include "sql/sem/sem_types.h"

typedef enum sem_coerce_context {
	SEM_COERCE_IMPLICIT = 0,
	SEM_COERCE_ASSIGNMENT = 1,
	SEM_COERCE_EXPLICIT = 2,
} sem_coerce_context;

typedef enum sem_cast_method {
	SEM_CAST_NONE = 0,		/* no conversion exists */
	SEM_CAST_SAME,			/* same type: only the typmod may change */
	SEM_CAST_RELABEL,		/* binary coercible (text -> varchar) */
	SEM_CAST_FUNC,			/* conversion function */
	SEM_CAST_IO_OUT,		/* to a string type via the output function */
	SEM_CAST_IO_IN,			/* from a string type (or unknown) via the input function */
	SEM_CAST_DATETIME,		/* handled by sem_dt_cast() */
} sem_cast_method;

typedef cm_status (*sem_cast_fn)(sem_ctx *ctx, const sem_datum *in, sem_datum *out, cm_error *err);

typedef struct sem_cast_path {
	sem_cast_method method;
	char context;			/* 'i', 'a', 'e' as in pg_cast.castcontext */
	sem_cast_fn fn;			/* SEM_CAST_FUNC only */
} sem_cast_path;

/* Find the conversion from -> to allowed in cctx.  Returns false (and
 * method NONE) if PostgreSQL would refuse it in that context. */
bool sem_cast_find(sem_oid from, sem_oid to, sem_coerce_context cctx, sem_cast_path *out);

/* PostgreSQL's can_coerce_type() for a single argument. */
bool sem_can_coerce(sem_oid from, sem_oid to, sem_coerce_context cctx);

/*
 * Convert *in (type from) to type `to` with typmod (-1 = none) along path.
 * is_explicit selects explicit-cast typmod semantics (silent truncation of
 * varchar/bpchar).  NULL stays NULL.  Results in ctx->arena.
 */
CM_MUST_CHECK cm_status sem_cast_exec(sem_ctx *ctx, const sem_cast_path *path, sem_oid from, sem_oid to,
									  int32_t typmod, bool is_explicit, const sem_datum *in,
									  sem_datum *out, cm_error *err);

/* Explicit cast of a datum: 42846 "cannot cast type X to Y" if none. */
CM_MUST_CHECK cm_status sem_cast_datum(sem_ctx *ctx, sem_oid from, sem_type to, const sem_datum *in,
									   sem_datum *out, cm_error *err);

/* Range-checked float results, shared with the operators. */
CM_MUST_CHECK cm_status sem_float_to_int(double d, sem_oid to, int64_t *out, cm_error *err);

#endif /* PGKV_SEM_CAST_H */
