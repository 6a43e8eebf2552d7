/*
 * sem_types.h -- SQL types and datums shared by the whole engine.
 *
 * sql/sem is a leaf library (it depends only on common/).  This header is the
 * contract between the wire front end, the executor, the planner and the
 * coprocessor: type OIDs exactly as PostgreSQL assigns them, the in-memory
 * datum, and the evaluation context that carries session state.
 *
 * Datum representation (sem_datum.v):
 *   bool                          b
 *   int2, int4, int8, oid         i   (int64)
 *   "char", regclass, regtype  i   (byte value 0..255 / oid)
 *   float4, float8                f   (double; float4 values are rounded
 *                                      to float precision when produced)
 *   text, varchar, bpchar, name,
 *   bytea, unknown (literal)      s   {p, len} -- not NUL-terminated,
 *                                      memory owned by an arena
 *   numeric                       num (pointer to arena memory, see sem_numeric.h)
 *   date                          i   days since 2000-01-01 (PostgreSQL's epoch)
 *   time                          i   microseconds since midnight
 *   timestamp, timestamptz        i   microseconds since 2000-01-01 00:00:00
 *                                      (timestamptz in UTC)
 *   interval                      iv  {time us, day, month}
 *   uuid                          uuid[16]
 *   arrays (int4[], text[], ...)  arr (pointer to arena memory, see sem_array.h)
 */
#ifndef PGKV_SEM_TYPES_H
#define PGKV_SEM_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"

typedef uint32_t sem_oid;

/* Type OIDs (PostgreSQL's pg_type.oid values). */
enum {
	SEM_INVALIDOID = 0,
	SEM_BOOLOID = 16,
	SEM_BYTEAOID = 17,
	SEM_CHAROID = 18,
	SEM_NAMEOID = 19,
	SEM_INT8OID = 20,
	SEM_INT2OID = 21,
	SEM_INT4OID = 23,
	SEM_REGPROCOID = 24,
	SEM_TEXTOID = 25,
	SEM_OIDOID = 26,
	SEM_JSONOID = 114,
	SEM_FLOAT4OID = 700,
	SEM_FLOAT8OID = 701,
	SEM_UNKNOWNOID = 705,
	SEM_BPCHAROID = 1042,
	SEM_VARCHAROID = 1043,
	SEM_DATEOID = 1082,
	SEM_TIMEOID = 1083,
	SEM_TIMESTAMPOID = 1114,
	SEM_TIMESTAMPTZOID = 1184,
	SEM_INTERVALOID = 1186,
	SEM_NUMERICOID = 1700,
	SEM_REGCLASSOID = 2205,
	SEM_REGTYPEOID = 2206,
	SEM_VOIDOID = 2278,
	SEM_RECORDOID = 2249,
	SEM_UUIDOID = 2950,
	SEM_JSONBOID = 3802,
	SEM_REGNAMESPACEOID = 4089,	/* [vcat] */
	SEM_REGROLEOID = 4096,		/* [vcat] */
};

/* A type as it appears in RowDescription: OID plus typmod (-1 = none). */
typedef struct sem_type {
	sem_oid oid;
	int32_t typmod;
} sem_type;

typedef struct sem_numeric sem_numeric;	/* defined in sem_numeric.h */
typedef struct sem_array sem_array;		/* defined in sem_array.h */

typedef struct sem_datum {
	bool isnull;
	union {
		bool b;
		int64_t i;
		double f;
		struct {
			const char *p;
			uint32_t len;
		} s;
		sem_numeric *num;
		sem_array *arr;		/* arrays (category 'A'), see sem_array.h */
		struct {
			int64_t time;
			int32_t day;
			int32_t month;
		} iv;
		uint8_t uuid[16];
	} v;
} sem_datum;

/* DateStyle output formats and orders (only ISO output is required now). */
typedef enum sem_datestyle { SEM_DATESTYLE_ISO = 0, SEM_DATESTYLE_POSTGRES, SEM_DATESTYLE_SQL, SEM_DATESTYLE_GERMAN } sem_datestyle;
typedef enum sem_dateorder { SEM_DATEORDER_MDY = 0, SEM_DATEORDER_DMY, SEM_DATEORDER_YMD } sem_dateorder;
typedef enum sem_intervalstyle { SEM_INTERVALSTYLE_POSTGRES = 0, SEM_INTERVALSTYLE_POSTGRES_VERBOSE, SEM_INTERVALSTYLE_SQL_STANDARD, SEM_INTERVALSTYLE_ISO_8601 } sem_intervalstyle;

/*
 * Catalog services for built-ins that need the session's catalog: the
 * sequence functions (nextval, currval, setval, lastval) and regclass
 * name <-> OID conversion.  Implemented by sql/catalog (sql_cat_session_fill_sem
 * sets sem_ctx.catalog / catalog_arg); NULL outside a session (the
 * functions then fail with 0A000).  name == NULL: the object is given by
 * oid.  Errors as PostgreSQL (42P01 relation does not exist, 55000 currval
 * not yet defined, 2200H sequence limits, 42809 not a sequence).
 */
typedef struct sem_ctx sem_ctx_fwd;		/* [vcat] sem_ctx, declared below */
typedef struct sem_catalog_hooks {
	cm_status (*nextval)(void *arg, const char *name, uint32_t oid, int64_t *out, cm_error *err);
	cm_status (*currval)(void *arg, const char *name, uint32_t oid, int64_t *out, cm_error *err);
	cm_status (*setval)(void *arg, const char *name, uint32_t oid, int64_t value, bool is_called,
						cm_error *err);
	cm_status (*lastval)(void *arg, int64_t *out, cm_error *err);
	/* 'name' or 'schema.name' -> relation OID (42P01 if none). */
	cm_status (*regclass_in)(void *arg, const char *name, uint32_t *oid, cm_error *err);
	/* Relation name for an OID (qualified when not on the search path);
	 * false if the OID is not a relation (print the number). */
	bool (*regclass_out)(void *arg, uint32_t oid, cm_buf *out);
	/* [vcat] System-catalog built-ins and reg* type I/O (sql/sem/sem_catfuncs.h,
	 * implemented by sql/catalog/vcat_funcs.c): computes function fn (a
	 * SEM_CATFN_* code) over args; NULL = not available (the built-ins then
	 * answer as if the catalog were empty). */
	cm_status (*catfunc)(void *arg, sem_ctx_fwd *ctx, int fn, int nargs, const sem_datum *args, sem_datum *out,
						 cm_error *err);
} sem_catalog_hooks;

/*
 * Evaluation context: everything an expression may read from its session.
 * Filled by the executor for each statement; the coprocessor fills the
 * parts it can (arena, timezone) and leaves the rest zero.
 */
typedef struct sem_ctx {
	cm_arena *arena;				/* results are allocated here */
	const char *timezone;			/* session TimeZone (IANA name or offset) */
	sem_datestyle datestyle;
	sem_dateorder dateorder;
	sem_intervalstyle intervalstyle;
	int extra_float_digits;			/* 1 (default) = shortest round-trip output */
	int64_t txn_timestamp;			/* now(): us since 2000-01-01 UTC */
	int64_t stmt_timestamp;			/* statement_timestamp() */
	const char *user;				/* current_user / session_user */
	const char *database;			/* current_database() */
	const char *search_path_first;	/* current_schema() */
	int32_t backend_pid;			/* pg_backend_pid() */
	volatile int *cancel;			/* non-zero: stop with 57014 as soon as possible */
	/* current_setting(name): returns the setting's text or NULL if unknown. */
	const char *(*get_setting)(void *session, const char *name);
	/* set_config(name, value, is_local): SET / SET LOCAL name = value (value
	 * NULL: RESET) with the session's rules and errors (42704 unknown name,
	 * 22023 bad value, 55P02 read-only); NULL outside a session. */
	cm_status (*set_setting)(void *session, const char *name, const char *value, bool is_local,
							 cm_error *err);
	void *session;
	void *exec;						/* executor state for SEM_EXPR_EXTERN nodes (sql/exec) */
	const sem_catalog_hooks *catalog;	/* sequence functions, regclass (sql/catalog); may be NULL */
	void *catalog_arg;
} sem_ctx;

#endif /* PGKV_SEM_TYPES_H */
