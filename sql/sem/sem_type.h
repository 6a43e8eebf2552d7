/*
 * sem_type.h -- the type catalogue: names, sizes, categories, typmods.
 *
 * A static table of the built-in types pgkv knows, with pg_type's
 * typname, typlen, typbyval, typcategory and typispreferred, and the
 * routines that turn SQL type names (as libpg_query hands them over) into
 * sem_type and back into PostgreSQL's format_type() text.
 *
 * Exported:
 *   sem_typeinfo / sem_type_info()   per-OID facts (NULL if unknown OID)
 *   sem_type_name()                  format_type_be(): "integer", "character varying"
 *   sem_format_type()                format_type(oid, typmod): "character varying(5)"
 *   sem_type_lookup()                "int4", "integer", "pg_catalog.varchar" ... -> OID
 *   sem_type_typmod_in()             typmod from TypeName's integer modifiers
 *   sem_type_is_string()             category 'S' (text, varchar, bpchar, name)
 */
#ifndef PGKV_SEM_TYPE_H
#define PGKV_SEM_TYPE_H

#include <stdbool.h>
#include <stdint.h>
#include "sql/sem/sem_types.h"

/* PostgreSQL's typcategory letters. */
#define SEM_TYPCAT_ARRAY 'A'
#define SEM_TYPCAT_BOOL 'B'
#define SEM_TYPCAT_DATETIME 'D'
#define SEM_TYPCAT_NUMERIC 'N'
#define SEM_TYPCAT_PSEUDO 'P'
#define SEM_TYPCAT_STRING 'S'
#define SEM_TYPCAT_TIMESPAN 'T'
#define SEM_TYPCAT_USER 'U'
#define SEM_TYPCAT_UNKNOWN 'X'
#define SEM_TYPCAT_INTERNAL 'Z'

typedef struct sem_typeinfo {
	sem_oid oid;
	const char *typname;	/* pg_type.typname ("int4") */
	const char *sqlname;	/* format_type_be() ("integer") */
	int16_t typlen;			/* -1 varlena, -2 cstring-like */
	bool byval;
	char category;
	bool preferred;
	sem_oid array_oid;		/* 0 if none */
} sem_typeinfo;

/* Facts about a type OID, or NULL if pgkv does not know it. */
const sem_typeinfo *sem_type_info(sem_oid oid);

/* PostgreSQL's format_type_be(): name without typmod; "???" if unknown. */
const char *sem_type_name(sem_oid oid);

/* PostgreSQL's format_type(oid, typmod) into buf (>= 64 bytes); returns buf.
 * typmod -1 prints bpchar as "bpchar", as PostgreSQL does. */
const char *sem_format_type(sem_oid oid, int32_t typmod, char *buf, size_t buflen);
/* Name with typmod as error messages print it ("character varying(5)",
 * "character" for bpchar without typmod). */
const char *sem_format_type_msg(sem_oid oid, int32_t typmod, char *buf, size_t buflen);

/*
 * Resolve a (possibly pg_catalog-qualified) type name.  names[0..n) are the
 * dotted parts as libpg_query gives them.  Returns the OID or 0 if unknown.
 * Accepts pg_type names and the SQL spellings ("integer", "double precision",
 * "character varying", "timestamp with time zone", ...).
 */
sem_oid sem_type_lookup(const char *const *names, int n);
sem_oid sem_type_lookup_name(const char *name);

/*
 * typmod from a type's integer modifiers (varchar(n), numeric(p,s),
 * timestamp(p), interval fields/precision).  mods[0..nmods) are the
 * values.  Errors as PostgreSQL (22023 for bad lengths, 42601 for types
 * that take no modifiers).
 */
CM_MUST_CHECK cm_status sem_type_typmod_in(sem_oid oid, const int32_t *mods, int nmods,
										   int32_t *typmod, cm_error *err);

static inline bool sem_type_is_string(sem_oid oid)
{
	return oid == SEM_TEXTOID || oid == SEM_VARCHAROID || oid == SEM_BPCHAROID || oid == SEM_NAMEOID;
}
char sem_type_category(sem_oid oid);
bool sem_type_is_preferred(sem_oid oid);

#endif /* PGKV_SEM_TYPE_H */
