/*
 * sem_builtins.h -- the core built-in tables and shared value helpers.
 *
 * sem_builtins.c holds the number, bool, bytea and uuid operators and the
 * math functions; sem_strfuncs.c the string functions and LIKE;
 * sem_sysfuncs.c the session/system functions (version(), current_user,
 * pg_sleep ...); sem_bytea.c encode/decode/sha*; sem_arrfuncs.c the array
 * functions beyond sem_array.c.  sem_register_core_builtins() registers all of them and is
 * called once by sem_func_init().
 *
 * Exported:
 *   sem_register_core_builtins()
 *   sem_datum_compare()     PostgreSQL's btree order for one type (C collation
 *                           for strings, bpchar ignoring trailing blanks,
 *                           NaN greatest for floats and numeric)
 *   sem_like_match()        LIKE / ILIKE matching (backslash escape)
 */
#ifndef PGKV_SEM_BUILTINS_H
#define PGKV_SEM_BUILTINS_H

#include <stdbool.h>
#include <stddef.h>
#include "sql/sem/sem_func.h"

void sem_register_core_builtins(void);
/* tables contributed by the other core files */
void sem_register_str_builtins(void);
void sem_register_sys_builtins(void);
void sem_register_bytea_builtins(void);	/* sem_bytea.c: encode/decode, sha2 */
void sem_register_arr_builtins(void);	/* sem_arrfuncs.c: array functions and operators */

/* Three-way compare of two non-NULL values of type oid.  Date/time types are
 * routed to sem_dt_compare(). */
int sem_datum_compare(sem_oid oid, const sem_datum *a, const sem_datum *b);

/* LIKE: 1 match, 0 no match; CM_ERROR (22025) for a pattern ending in the
 * escape character.  icase: ILIKE (case folded per code point). */
CM_MUST_CHECK cm_status sem_like_match(const char *s, size_t slen, const char *p, size_t plen,
									   bool icase, bool *match, cm_error *err);

#define SEM_BI_STRICT SEM_FN_STRICT

#endif /* PGKV_SEM_BUILTINS_H */
