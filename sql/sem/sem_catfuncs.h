/*
 * sem_catfuncs.h -- built-ins of the system catalogs: the functions psql,
 * pgbench, drivers and ORMs call in their catalog queries (format_type,
 * pg_get_indexdef, pg_table_is_visible, pg_get_userbyid, ...), the reg*
 * types' text I/O (regclass, regtype, regproc, regnamespace, regrole) and
 * the regular-expression operators (sem_regex.c).
 *
 * sql/sem is a leaf library: everything that needs the catalog goes through
 * one hook, sem_ctx.catalog->catfunc(fn code, args), which sql/catalog
 * (vcat_funcs.c) implements over the statement's catalog view.  Without a
 * catalog (no session, unit tests) the functions answer as for an empty
 * catalog: NULL, false, the OID printed as a number.
 *
 * Exported:
 *   sem_catfn                 codes passed to the catfunc hook
 *   sem_cat_register_builtins()  registers this file's and sem_regex.c's rows
 *                             (called once by sem_func_init)
 *   sem_reg_in / sem_reg_out  reg* text input (name -> OID) and output
 *   sem_regex_register_builtins()  (sem_regex.c)
 *   sem_regex_match()         one regex match, for other built-ins
 *   sem_split_qualified_name()  "Schema"."name" text -> parts, as identifiers
 *   sem_func_returns_set()    true for set-returning built-in names
 *                             (SEM_FN_SETOF rows, generate_series, unnest)
 */
#ifndef PGKV_SEM_CATFUNCS_H
#define PGKV_SEM_CATFUNCS_H

#include <stdbool.h>
#include <stddef.h>
#include "sql/sem/sem_types.h"

/*
 * Codes of the catfunc hook.  Argument conventions (args[i] already have
 * the types of the registered signature; strict functions never see NULL):
 *   REG_IN        args[0] = regtype OID (int), args[1] = text: *out = OID
 *                 (42P01 / 42704 / 42883 / 3F000 errors as PostgreSQL)
 *   REG_OUT       args[0] = regtype OID, args[1] = OID: *out = text, or NULL
 *                 when the OID names nothing (the caller prints the number)
 *   the others    the SQL function of the same name with its SQL arguments
 */
/*
 * Split a possibly qualified name ('a.b', '"Foo".bar') into at most max
 * parts (strings in a): quoted parts keep their case and may contain
 * anything, unquoted parts are lower-cased.  spaces_in_words lets an
 * unquoted part contain spaces (type names: 'double precision').  Returns
 * the number of parts, or -1 if the text is not such a name (trailing
 * characters, an empty last part, more than max parts).
 */
int sem_split_qualified_name(cm_arena *a, const char *s, size_t len, bool spaces_in_words, char **parts, int max);

typedef enum sem_catfn {
	SEM_CATFN_REG_IN = 1,
	SEM_CATFN_REG_OUT,
	SEM_CATFN_TABLE_IS_VISIBLE,
	SEM_CATFN_TYPE_IS_VISIBLE,
	SEM_CATFN_FUNCTION_IS_VISIBLE,
	SEM_CATFN_GET_USERBYID,
	SEM_CATFN_GET_INDEXDEF,			/* (oid, int4 column, bool pretty) */
	SEM_CATFN_GET_CONSTRAINTDEF,	/* (oid, bool pretty) */
	SEM_CATFN_GET_SERIAL_SEQUENCE,	/* (text table, text column) */
	SEM_CATFN_PARTITION_ANCESTORS,	/* (regclass) -> regclass[] rows */
	SEM_CATFN_GET_FUNCTION_RESULT,	/* (oid) */
	SEM_CATFN_GET_FUNCTION_ARGUMENTS,	/* (oid) */
	SEM_CATFN_GET_STATISTICSOBJDEF_COLUMNS,
	SEM_CATFN_CURRENT_SCHEMAS,		/* (bool) -> name[] */
	SEM_CATFN_RELATION_SIZE,		/* (regclass) -> int8 estimate */
	SEM_CATFN_GET_VIEWDEF,
	SEM_CATFN_OBJ_DESCRIPTION,		/* (oid, name catalog) */
	SEM_CATFN_COL_DESCRIPTION,		/* (oid, int4) */
	SEM_CATFN_TABLESPACE_LOCATION,
	SEM_CATFN_HAS_PRIVILEGE,		/* (... , text priv): true for existing objects */
} sem_catfn;

void sem_cat_register_builtins(void);
void sem_regex_register_builtins(void);

/* reg* text input: a number is taken as the OID; otherwise the name is
 * looked up through the catalog hook (regtype without catalog: built-in
 * type names).  Errors as PostgreSQL's regclassin & co. */
CM_MUST_CHECK cm_status sem_reg_in(sem_ctx *ctx, sem_oid regtype, const char *s, size_t len, sem_datum *out,
								   cm_error *err);
/* reg* text output: the name (qualified when not visible), '-' for a zero
 * regproc, else the OID as a number.  ctx may be NULL. */
void sem_reg_out(sem_ctx *ctx, sem_oid regtype, const sem_datum *d, cm_buf *out);

/*
 * Match text s[0..slen) against pattern p[0..plen) (ICU regular
 * expressions, see sem_regex.c for how they relate to PostgreSQL's ARE).
 * icase: case-insensitive.  *match receives the result.  Compiled patterns
 * are cached per thread.  2201B for an invalid pattern.
 */
CM_MUST_CHECK cm_status sem_regex_match(const char *p, size_t plen, const char *s, size_t slen, bool icase,
										bool *match, cm_error *err);

/* quote_ident(): s[0..n) appended to b, double-quoted unless it is a
 * lower-case identifier that is not a reserved keyword. */
void sem_quote_ident(const char *s, size_t n, cm_buf *b);

/* True if name is a set-returning built-in (generate_series, unnest or a
 * SEM_FN_SETOF row): the planner makes it a row source. */
bool sem_func_returns_set(const char *name);

#endif /* PGKV_SEM_CATFUNCS_H */
