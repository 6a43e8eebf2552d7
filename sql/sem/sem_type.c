/*
 * sem_type.c -- the built-in type table and type name resolution.
 *
 * Values copied from PostgreSQL 15's pg_type (checked against the reference
 * server: typlen, typbyval, typcategory, typispreferred).
 */
#include "sql/sem/sem_type.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const sem_typeinfo types[] = {
	{SEM_BOOLOID, "bool", "boolean", 1, true, 'B', true, 1000},
	{SEM_BYTEAOID, "bytea", "bytea", -1, false, 'U', false, 1001},
	{SEM_CHAROID, "char", "\"char\"", 1, true, 'Z', false, 1002},
	{SEM_NAMEOID, "name", "name", 64, false, 'S', false, 1003},
	{SEM_INT8OID, "int8", "bigint", 8, true, 'N', false, 1016},
	{SEM_INT2OID, "int2", "smallint", 2, true, 'N', false, 1005},
	{SEM_INT4OID, "int4", "integer", 4, true, 'N', false, 1007},
	{SEM_REGPROCOID, "regproc", "regproc", 4, true, 'N', false, 1008},
	{SEM_TEXTOID, "text", "text", -1, false, 'S', true, 1009},
	{SEM_OIDOID, "oid", "oid", 4, true, 'N', true, 1028},
	{SEM_JSONOID, "json", "json", -1, false, 'U', false, 199},
	{SEM_FLOAT4OID, "float4", "real", 4, true, 'N', false, 1021},
	{SEM_FLOAT8OID, "float8", "double precision", 8, true, 'N', true, 1022},
	{SEM_UNKNOWNOID, "unknown", "unknown", -2, false, 'X', false, 0},
	{SEM_BPCHAROID, "bpchar", "character", -1, false, 'S', false, 1014},
	{SEM_VARCHAROID, "varchar", "character varying", -1, false, 'S', false, 1015},
	{SEM_DATEOID, "date", "date", 4, true, 'D', false, 1182},
	{SEM_TIMEOID, "time", "time without time zone", 8, true, 'D', false, 1183},
	{SEM_TIMESTAMPOID, "timestamp", "timestamp without time zone", 8, true, 'D', false, 1115},
	{SEM_TIMESTAMPTZOID, "timestamptz", "timestamp with time zone", 8, true, 'D', true, 1185},
	{SEM_INTERVALOID, "interval", "interval", 16, false, 'T', true, 1187},
	{SEM_NUMERICOID, "numeric", "numeric", -1, false, 'N', false, 1231},
	{SEM_REGCLASSOID, "regclass", "regclass", 4, true, 'N', false, 2210},
	{SEM_REGTYPEOID, "regtype", "regtype", 4, true, 'N', false, 2211},
	/* [vcat] reg* types of the system catalogs (I/O in sem_catfuncs.c) */
	{SEM_REGNAMESPACEOID, "regnamespace", "regnamespace", 4, true, 'N', false, 4090},
	{SEM_REGROLEOID, "regrole", "regrole", 4, true, 'N', false, 4097},
	{SEM_VOIDOID, "void", "void", 4, true, 'P', false, 0},
	{SEM_RECORDOID, "record", "record", -1, false, 'P', false, 2287},
	{SEM_UUIDOID, "uuid", "uuid", 16, false, 'U', false, 2951},
	{SEM_JSONBOID, "jsonb", "jsonb", -1, false, 'U', false, 3807},
	/* 1-D arrays (sem_array.h) */
	{1000, "_bool", "boolean[]", -1, false, 'A', false, 0},
	{1001, "_bytea", "bytea[]", -1, false, 'A', false, 0},
	{1005, "_int2", "smallint[]", -1, false, 'A', false, 0},
	{1007, "_int4", "integer[]", -1, false, 'A', false, 0},
	{1009, "_text", "text[]", -1, false, 'A', false, 0},
	{1014, "_bpchar", "character[]", -1, false, 'A', false, 0},
	{1015, "_varchar", "character varying[]", -1, false, 'A', false, 0},
	{1016, "_int8", "bigint[]", -1, false, 'A', false, 0},
	{1021, "_float4", "real[]", -1, false, 'A', false, 0},
	{1022, "_float8", "double precision[]", -1, false, 'A', false, 0},
	{1028, "_oid", "oid[]", -1, false, 'A', false, 0},
	{1115, "_timestamp", "timestamp without time zone[]", -1, false, 'A', false, 0},
	{1182, "_date", "date[]", -1, false, 'A', false, 0},
	{1183, "_time", "time without time zone[]", -1, false, 'A', false, 0},
	{1185, "_timestamptz", "timestamp with time zone[]", -1, false, 'A', false, 0},
	{1187, "_interval", "interval[]", -1, false, 'A', false, 0},
	{1231, "_numeric", "numeric[]", -1, false, 'A', false, 0},
	{2951, "_uuid", "uuid[]", -1, false, 'A', false, 0},
	{1003, "_name", "name[]", -1, false, 'A', false, 0},
	{2276, "any", "\"any\"", 4, true, 'P', false, 0},
	{2283, "anyelement", "anyelement", 4, true, 'P', false, 0},
	{2776, "anynonarray", "anynonarray", 4, true, 'P', false, 0},
};

const sem_typeinfo *sem_type_info(sem_oid oid)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].oid == oid)
			return &types[i];
	return NULL;
}

const char *sem_type_name(sem_oid oid)
{
	const sem_typeinfo *t = sem_type_info(oid);
	return t ? t->sqlname : "???";
}

char sem_type_category(sem_oid oid)
{
	const sem_typeinfo *t = sem_type_info(oid);
	return t ? t->category : 'U';
}

bool sem_type_is_preferred(sem_oid oid)
{
	const sem_typeinfo *t = sem_type_info(oid);
	return t && t->preferred;
}

static const char *format_impl(sem_oid oid, int32_t typmod, bool msg, char *buf, size_t n)
{
	switch (oid) {
	case SEM_BPCHAROID:
		if (typmod >= 4)
			snprintf(buf, n, "character(%d)", typmod - 4);
		else
			snprintf(buf, n, "%s", msg ? "character" : "bpchar");
		return buf;
	case SEM_VARCHAROID:
		if (typmod >= 4)
			snprintf(buf, n, "character varying(%d)", typmod - 4);
		else
			snprintf(buf, n, "character varying");
		return buf;
	case SEM_NUMERICOID:
		if (typmod >= 4)
			snprintf(buf, n, "numeric(%d,%d)", ((typmod - 4) >> 16) & 0xffff,
					 (((typmod - 4) & 0x7ff) ^ 1024) - 1024);
		else
			snprintf(buf, n, "numeric");
		return buf;
	case SEM_TIMEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID: {
		const char *base = oid == SEM_TIMEOID ? "time" : "timestamp";
		const char *tz = oid == SEM_TIMESTAMPTZOID ? "with" : "without";
		if (typmod >= 0)
			snprintf(buf, n, "%s(%d) %s time zone", base, typmod, tz);
		else
			snprintf(buf, n, "%s %s time zone", base, tz);
		return buf;
	}
	case SEM_INTERVALOID:
		if (typmod >= 0 && (typmod & 0xffff) != 0xffff)
			snprintf(buf, n, "interval(%d)", typmod & 0xffff);
		else
			snprintf(buf, n, "interval");
		return buf;
	default:
		snprintf(buf, n, "%s", sem_type_name(oid));
		return buf;
	}
}

const char *sem_format_type(sem_oid oid, int32_t typmod, char *buf, size_t buflen)
{
	return format_impl(oid, typmod, false, buf, buflen);
}

const char *sem_format_type_msg(sem_oid oid, int32_t typmod, char *buf, size_t buflen)
{
	return format_impl(oid, typmod, true, buf, buflen);
}

static const struct {
	const char *name;
	sem_oid oid;
} aliases[] = {
	{"int", SEM_INT4OID},
	{"integer", SEM_INT4OID},
	{"smallint", SEM_INT2OID},
	{"bigint", SEM_INT8OID},
	{"real", SEM_FLOAT4OID},
	{"float", SEM_FLOAT8OID},
	{"double precision", SEM_FLOAT8OID},
	{"boolean", SEM_BOOLOID},
	{"character varying", SEM_VARCHAROID},
	{"character", SEM_BPCHAROID},
	{"decimal", SEM_NUMERICOID},
	{"dec", SEM_NUMERICOID},
	{"timestamp without time zone", SEM_TIMESTAMPOID},
	{"timestamp with time zone", SEM_TIMESTAMPTZOID},
	{"time without time zone", SEM_TIMEOID},
	{"\"char\"", SEM_CHAROID},
};

sem_oid sem_type_lookup_name(const char *name)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].typname, name) == 0 && types[i].category != 'P')
			return types[i].oid;
	if (strcmp(name, "void") == 0)
		return SEM_VOIDOID;
	if (strcmp(name, "record") == 0)
		return SEM_RECORDOID;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(aliases[i].name, name) == 0)
			return aliases[i].oid;
	return 0;
}

sem_oid sem_type_lookup(const char *const *names, int n)
{
	if (n == 2 && strcmp(names[0], "pg_catalog") == 0)
		return sem_type_lookup_name(names[1]);
	if (n == 1)
		return sem_type_lookup_name(names[0]);
	return 0;
}

cm_status sem_type_typmod_in(sem_oid oid, const int32_t *mods, int nmods, int32_t *typmod,
							 cm_error *err)
{
	*typmod = -1;
	if (nmods == 0)
		return CM_OK;
	switch (oid) {
	case SEM_VARCHAROID:
	case SEM_BPCHAROID: {
		const char *tn = oid == SEM_VARCHAROID ? "varchar" : "char";
		if (nmods != 1)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid type modifier");
		if (mods[0] < 1)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"length for type %s must be at least 1", tn);
		if (mods[0] > 10485760)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"length for type %s cannot exceed %d", tn, 10485760);
		*typmod = mods[0] + 4;
		return CM_OK;
	}
	case SEM_NUMERICOID: {
		int p = mods[0], s = nmods > 1 ? mods[1] : 0;
		if (nmods > 2)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid NUMERIC type modifier");
		if (p < 1 || p > 1000)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"NUMERIC precision %d must be between 1 and %d", p, 1000);
		if (s < -1000 || s > 1000)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"NUMERIC scale %d must be between %d and %d", s, -1000, 1000);
		*typmod = ((p << 16) | (s & 0x7ff)) + 4;
		return CM_OK;
	}
	case SEM_TIMEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID: {
		const char *tn = oid == SEM_TIMEOID ? "TIME" : oid == SEM_TIMESTAMPOID ? "TIMESTAMP" : "TIMESTAMP(%d) WITH TIME ZONE";
		if (nmods != 1)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid type modifier");
		if (mods[0] < 0) {
			if (oid == SEM_TIMESTAMPTZOID)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"TIMESTAMP(%d) WITH TIME ZONE precision must not be negative", mods[0]);
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"%s(%d) precision must not be negative", tn, mods[0]);
		}
		*typmod = mods[0] > 6 ? 6 : mods[0];
		return CM_OK;
	}
	case SEM_INTERVALOID: {
		int range = mods[0];
		if (nmods == 1) {
			*typmod = range == 0x7FFF ? -1 : ((range & 0x7FFF) << 16) | 0xFFFF;
			return CM_OK;
		}
		int prec = mods[1];
		if (prec < 0)
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"INTERVAL(%d) precision must not be negative", prec);
		if (prec > 6)
			prec = 6;
		*typmod = ((range & 0x7FFF) << 16) | (prec & 0xFFFF);
		return CM_OK;
	}
	default:
		return cm_error_set(err, CM_E_SYNTAX_ERROR, "type modifier is not allowed for type \"%s\"",
							sem_type_info(oid) ? sem_type_info(oid)->typname : "???");
	}
}
