/*
 * sem_func.h -- the table of built-in functions and operators.
 *
 * Every function and operator the evaluator can call is one sem_builtin row:
 * name, argument type OIDs, result type OID, flags and a C implementation.
 * Operators are rows whose name is the operator symbol ("+", "-", "<", "=",
 * "||", "~~" for LIKE ...); a prefix operator (unary minus) has nargs 1.
 * The binder (sql/plan) resolves a call against this table with
 * PostgreSQL's rules (exact match, then implicit coercions, unknown literals,
 * preferred types); the evaluator and the coprocessor call rows by pointer
 * or by id, so the table is the one place a function's semantics live.
 *
 * Exported:
 *   sem_builtin             one built-in (public so other sem files and
 *                           sem_datetime.c can declare static tables)
 *   sem_register_builtins() add a table of built-ins (during start-up only)
 *   sem_dt_register_builtins() hook implemented by sem_datetime.c
 *   sem_func_init()         build the registry once (thread-safe, idempotent)
 *   sem_func_candidates()   all rows with a name and argument count
 *   sem_func_by_id()/sem_func_id()  stable small integer ids for the coprocessor
 *
 * Ownership: registered tables must stay valid for the life of the process
 * (use static const arrays).  Implementations allocate results from
 * ctx->arena and never keep pointers into args beyond the call unless the
 * argument memory is also arena memory of the same or longer life (it is,
 * for every caller in this project).
 *
 * Implementation contract for sem_fn_impl:
 *   - args[0..nargs-1] already have exactly the declared argument types
 *     (the binder inserted casts); for SEM_FN_STRICT rows no argument is NULL.
 *   - set *out (including out->isnull) and return CM_OK, or fill *err and
 *     return CM_ERROR with PostgreSQL's SQLSTATE and message.
 *   - a datum of a type with typmod (varchar(n), numeric(p,s), timestamp(p))
 *     produced by a function has typmod -1; the binder adds length/precision
 *     coercions where SQL requires them.
 */
#ifndef PGKV_SEM_FUNC_H
#define PGKV_SEM_FUNC_H

#include <stddef.h>
#include <stdint.h>
#include "sql/sem/sem_types.h"

/* Pseudo-type OIDs usable in sem_builtin.args (PostgreSQL's values). */
enum {
	SEM_ANYOID = 2276,			/* "any": argument passed as is (any type) */
	SEM_ANYELEMENTOID = 2283,	/* all anyelement args share one type */
	SEM_ANYNONARRAYOID = 2776,	/* any non-array type (anynonarray || text) */
};

#define SEM_FUNC_MAXARGS 7

typedef cm_status (*sem_fn_impl)(sem_ctx *ctx, int nargs, const sem_datum *args,
								 sem_datum *out, cm_error *err);

enum sem_fn_flags {
	SEM_FN_STRICT = 1u << 0,	/* any NULL argument -> NULL result, fn not called */
	SEM_FN_VOLATILE = 1u << 1,	/* random(), clock_timestamp(): never fold */
	SEM_FN_STABLE = 1u << 2,	/* now(), current_setting(): fixed per statement */
	SEM_FN_VARIADIC = 1u << 3,	/* last declared arg repeats 0..n more times */
	SEM_FN_PUSHDOWN = 1u << 4,	/* same semantics in TiKV's evaluator: may push down */
	SEM_FN_ANYTEXT = 1u << 5,	/* "any"/anynonarray args reach fn as text: the binder
								 * wraps them in their output function (concat) */
	/* [vcat] set-returning function outside generate_series/unnest: fn returns
	 * an array of the declared result type whose elements are the rows (the
	 * planner and executor treat the call like unnest of that array). */
	SEM_FN_SETOF = 1u << 8,
};

typedef struct sem_builtin {
	const char *name;		/* lower-case function name or operator symbol */
	int nargs;				/* declared arguments (min count if VARIADIC) */
	sem_oid args[SEM_FUNC_MAXARGS];
	sem_oid result;
	uint32_t flags;			/* enum sem_fn_flags */
	sem_fn_impl fn;
} sem_builtin;

/*
 * Add n built-ins to the registry.  Call only from sem_func_init() time
 * (i.e. from sem_dt_register_builtins() or before the first query); the
 * registry is read without locks afterwards.  A row with the same name and
 * argument types as an earlier one replaces it.
 */
void sem_register_builtins(const sem_builtin *list, size_t n);

/*
 * Implemented by sql/sem/sem_datetime.c: registers the date/time operators
 * and functions with sem_register_builtins().  sem_func_init() calls it
 * exactly once.
 *
 * Names the binder looks up for date/time syntax:
 *   CURRENT_DATE -> "current_date"()           CURRENT_TIMESTAMP -> "now"()
 *   CURRENT_TIMESTAMP(p) -> "current_timestamp"(int4)
 *   CURRENT_TIME -> "current_time"(), CURRENT_TIME(p) -> "current_time"(int4)
 *   LOCALTIME[(p)] -> "localtime"([int4]), LOCALTIMESTAMP[(p)] -> "localtimestamp"([int4])
 *   EXTRACT(f FROM x) -> "extract"(text, x)    (libpg_query's FuncCall form)
 *   date_part, date_trunc, age, now, clock_timestamp, statement_timestamp,
 *   transaction_timestamp, make_date ... ordinary function rows.
 * Operators: "+", "-", "*", "/" and comparisons "=", "<>", "<", "<=", ">",
 * ">=" per type pair, exactly as in pg_operator (e.g. date + int4 -> date,
 * timestamp - timestamp -> interval, date = date -> bool).
 */
void sem_dt_register_builtins(void);

/* Build the registry (core tables + sem_dt_register_builtins()); idempotent
 * and thread-safe.  Every lookup function calls it. */
void sem_func_init(void);

/*
 * Candidates for a call: fills *out with up to max pointers to rows named
 * `name` that accept nargs arguments (VARIADIC rows included), returns the
 * total number of such rows.
 */
size_t sem_func_candidates(const char *name, int nargs, const sem_builtin **out, size_t max);

/* True if any row has this name (for "function does not exist" vs arg mismatch). */
bool sem_func_name_exists(const char *name);

/* Stable (per process) ids: index into the registry. -1 if not registered. */
int sem_func_id(const sem_builtin *b);
const sem_builtin *sem_func_by_id(int id);

#endif /* PGKV_SEM_FUNC_H */
