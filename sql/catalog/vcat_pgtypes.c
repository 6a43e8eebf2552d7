/*
 * vcat_pgtypes.c -- pg_type, pg_proc, pg_am, pg_collation, pg_language and
 * pg_tablespace: the catalogs that describe built-in objects rather than
 * the user's.
 *
 * pg_type lists the built-in types pgkv knows (sql/sem/sem_type.c) and the
 * types its catalogs mention, with PostgreSQL 15's rows (the table below
 * was generated from the reference server: typlen, typbyval, typcategory,
 * typalign, typstorage, typcollation, I/O functions ...).
 *
 * pg_proc has two parts: the I/O, subscript and handler functions those
 * types and access methods name, with PostgreSQL's OIDs (so that
 * typinput = 'array_in'::regproc compares as in PostgreSQL), and every
 * function of pgkv's built-in registry (sem_func.h, operators excluded)
 * with a synthetic OID VC_PROC_OID_BASE + registry id.
 *
 * Exported: vc_fill_type, vc_fill_proc, vc_fill_am, vc_fill_collation,
 * vc_fill_language, vc_fill_tablespace, vc_proc_name, vc_proc_by_name,
 * vc_proc_signature (vcat_internal.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/catalog/vcat_internal.h"
#include "sql/sem/sem_catfuncs.h"
#include "sql/sem/sem_func.h"
#include "sql/sem/sem_type.h"

typedef struct vc_typerow {
	uint32_t oid;
	const char *typname;
	int16_t typlen;
	bool typbyval;
	char typtype, typcategory;
	bool typispreferred;
	char typdelim;
	uint32_t typrelid;
	const char *typsubscript;
	uint32_t typelem, typarray;
	const char *typinput, *typoutput, *typreceive, *typsend, *typmodin, *typmodout, *typanalyze;
	char typalign, typstorage;
	uint32_t typcollation;
} vc_typerow;

static const vc_typerow typerows[] = {
	{16, "bool", 1, true, 'b', 'B', true, ',', 0, "-", 0, 1000, "boolin", "boolout", "boolrecv", "boolsend", "-", "-", "-", 'c', 'p', 0},
	{17, "bytea", -1, false, 'b', 'U', false, ',', 0, "-", 0, 1001, "byteain", "byteaout", "bytearecv", "byteasend", "-", "-", "-", 'i', 'x', 0},
	{18, "char", 1, true, 'b', 'Z', false, ',', 0, "-", 0, 1002, "charin", "charout", "charrecv", "charsend", "-", "-", "-", 'c', 'p', 0},
	{19, "name", 64, false, 'b', 'S', false, ',', 0, "raw_array_subscript_handler", 18, 1003, "namein", "nameout", "namerecv", "namesend", "-", "-", "-", 'c', 'p', 950},
	{20, "int8", 8, true, 'b', 'N', false, ',', 0, "-", 0, 1016, "int8in", "int8out", "int8recv", "int8send", "-", "-", "-", 'd', 'p', 0},
	{21, "int2", 2, true, 'b', 'N', false, ',', 0, "-", 0, 1005, "int2in", "int2out", "int2recv", "int2send", "-", "-", "-", 's', 'p', 0},
	{22, "int2vector", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 21, 1006, "int2vectorin", "int2vectorout", "int2vectorrecv", "int2vectorsend", "-", "-", "-", 'i', 'p', 0},
	{23, "int4", 4, true, 'b', 'N', false, ',', 0, "-", 0, 1007, "int4in", "int4out", "int4recv", "int4send", "-", "-", "-", 'i', 'p', 0},
	{24, "regproc", 4, true, 'b', 'N', false, ',', 0, "-", 0, 1008, "regprocin", "regprocout", "regprocrecv", "regprocsend", "-", "-", "-", 'i', 'p', 0},
	{25, "text", -1, false, 'b', 'S', true, ',', 0, "-", 0, 1009, "textin", "textout", "textrecv", "textsend", "-", "-", "-", 'i', 'x', 100},
	{26, "oid", 4, true, 'b', 'N', true, ',', 0, "-", 0, 1028, "oidin", "oidout", "oidrecv", "oidsend", "-", "-", "-", 'i', 'p', 0},
	{28, "xid", 4, true, 'b', 'U', false, ',', 0, "-", 0, 1011, "xidin", "xidout", "xidrecv", "xidsend", "-", "-", "-", 'i', 'p', 0},
	{30, "oidvector", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 26, 1013, "oidvectorin", "oidvectorout", "oidvectorrecv", "oidvectorsend", "-", "-", "-", 'i', 'p', 0},
	{114, "json", -1, false, 'b', 'U', false, ',', 0, "-", 0, 199, "json_in", "json_out", "json_recv", "json_send", "-", "-", "-", 'i', 'x', 0},
	{194, "pg_node_tree", -1, false, 'b', 'Z', false, ',', 0, "-", 0, 0, "pg_node_tree_in", "pg_node_tree_out", "pg_node_tree_recv", "pg_node_tree_send", "-", "-", "-", 'i', 'x', 100},
	{199, "_json", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 114, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{700, "float4", 4, true, 'b', 'N', false, ',', 0, "-", 0, 1021, "float4in", "float4out", "float4recv", "float4send", "-", "-", "-", 'i', 'p', 0},
	{701, "float8", 8, true, 'b', 'N', true, ',', 0, "-", 0, 1022, "float8in", "float8out", "float8recv", "float8send", "-", "-", "-", 'd', 'p', 0},
	{705, "unknown", -2, false, 'p', 'X', false, ',', 0, "-", 0, 0, "unknownin", "unknownout", "unknownrecv", "unknownsend", "-", "-", "-", 'c', 'p', 0},
	{869, "inet", -1, false, 'b', 'I', true, ',', 0, "-", 0, 1041, "inet_in", "inet_out", "inet_recv", "inet_send", "-", "-", "-", 'i', 'm', 0},
	{1000, "_bool", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 16, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1001, "_bytea", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 17, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1002, "_char", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 18, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1003, "_name", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 19, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 950},
	{1005, "_int2", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 21, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1006, "_int2vector", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 22, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1007, "_int4", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 23, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1008, "_regproc", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 24, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1009, "_text", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 25, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 100},
	{1013, "_oidvector", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 30, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1014, "_bpchar", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1042, 0, "array_in", "array_out", "array_recv", "array_send", "bpchartypmodin", "bpchartypmodout", "array_typanalyze", 'i', 'x', 100},
	{1015, "_varchar", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1043, 0, "array_in", "array_out", "array_recv", "array_send", "varchartypmodin", "varchartypmodout", "array_typanalyze", 'i', 'x', 100},
	{1016, "_int8", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 20, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'd', 'x', 0},
	{1021, "_float4", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 700, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1022, "_float8", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 701, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'd', 'x', 0},
	{1028, "_oid", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 26, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1033, "aclitem", 12, false, 'b', 'U', false, ',', 0, "-", 0, 1034, "aclitemin", "aclitemout", "-", "-", "-", "-", "-", 'i', 'p', 0},
	{1034, "_aclitem", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1033, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1042, "bpchar", -1, false, 'b', 'S', false, ',', 0, "-", 0, 1014, "bpcharin", "bpcharout", "bpcharrecv", "bpcharsend", "bpchartypmodin", "bpchartypmodout", "-", 'i', 'x', 100},
	{1043, "varchar", -1, false, 'b', 'S', false, ',', 0, "-", 0, 1015, "varcharin", "varcharout", "varcharrecv", "varcharsend", "varchartypmodin", "varchartypmodout", "-", 'i', 'x', 100},
	{1082, "date", 4, true, 'b', 'D', false, ',', 0, "-", 0, 1182, "date_in", "date_out", "date_recv", "date_send", "-", "-", "-", 'i', 'p', 0},
	{1083, "time", 8, true, 'b', 'D', false, ',', 0, "-", 0, 1183, "time_in", "time_out", "time_recv", "time_send", "timetypmodin", "timetypmodout", "-", 'd', 'p', 0},
	{1114, "timestamp", 8, true, 'b', 'D', false, ',', 0, "-", 0, 1115, "timestamp_in", "timestamp_out", "timestamp_recv", "timestamp_send", "timestamptypmodin", "timestamptypmodout", "-", 'd', 'p', 0},
	{1115, "_timestamp", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1114, 0, "array_in", "array_out", "array_recv", "array_send", "timestamptypmodin", "timestamptypmodout", "array_typanalyze", 'd', 'x', 0},
	{1182, "_date", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1082, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1183, "_time", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1083, 0, "array_in", "array_out", "array_recv", "array_send", "timetypmodin", "timetypmodout", "array_typanalyze", 'd', 'x', 0},
	{1184, "timestamptz", 8, true, 'b', 'D', true, ',', 0, "-", 0, 1185, "timestamptz_in", "timestamptz_out", "timestamptz_recv", "timestamptz_send", "timestamptztypmodin", "timestamptztypmodout", "-", 'd', 'p', 0},
	{1185, "_timestamptz", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1184, 0, "array_in", "array_out", "array_recv", "array_send", "timestamptztypmodin", "timestamptztypmodout", "array_typanalyze", 'd', 'x', 0},
	{1186, "interval", 16, false, 'b', 'T', true, ',', 0, "-", 0, 1187, "interval_in", "interval_out", "interval_recv", "interval_send", "intervaltypmodin", "intervaltypmodout", "-", 'd', 'p', 0},
	{1187, "_interval", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1186, 0, "array_in", "array_out", "array_recv", "array_send", "intervaltypmodin", "intervaltypmodout", "array_typanalyze", 'd', 'x', 0},
	{1231, "_numeric", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 1700, 0, "array_in", "array_out", "array_recv", "array_send", "numerictypmodin", "numerictypmodout", "array_typanalyze", 'i', 'x', 0},
	{1263, "_cstring", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2275, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{1700, "numeric", -1, false, 'b', 'N', false, ',', 0, "-", 0, 1231, "numeric_in", "numeric_out", "numeric_recv", "numeric_send", "numerictypmodin", "numerictypmodout", "-", 'i', 'm', 0},
	{2205, "regclass", 4, true, 'b', 'N', false, ',', 0, "-", 0, 2210, "regclassin", "regclassout", "regclassrecv", "regclasssend", "-", "-", "-", 'i', 'p', 0},
	{2206, "regtype", 4, true, 'b', 'N', false, ',', 0, "-", 0, 2211, "regtypein", "regtypeout", "regtyperecv", "regtypesend", "-", "-", "-", 'i', 'p', 0},
	{2207, "_regprocedure", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2202, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{2208, "_regoper", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2203, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{2210, "_regclass", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2205, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{2211, "_regtype", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2206, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{2249, "record", -1, false, 'p', 'P', false, ',', 0, "-", 0, 2287, "record_in", "record_out", "record_recv", "record_send", "-", "-", "-", 'd', 'x', 0},
	{2276, "any", 4, true, 'p', 'P', false, ',', 0, "-", 0, 0, "any_in", "any_out", "-", "-", "-", "-", "-", 'i', 'p', 0},
	{2277, "anyarray", -1, false, 'p', 'P', false, ',', 0, "-", 0, 0, "anyarray_in", "anyarray_out", "anyarray_recv", "anyarray_send", "-", "-", "-", 'd', 'x', 0},
	{2278, "void", 4, true, 'p', 'P', false, ',', 0, "-", 0, 0, "void_in", "void_out", "void_recv", "void_send", "-", "-", "-", 'i', 'p', 0},
	{2283, "anyelement", 4, true, 'p', 'P', false, ',', 0, "-", 0, 0, "anyelement_in", "anyelement_out", "-", "-", "-", "-", "-", 'i', 'p', 0},
	{2287, "_record", -1, false, 'p', 'P', false, ',', 0, "array_subscript_handler", 2249, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'd', 'x', 0},
	{2776, "anynonarray", 4, true, 'p', 'P', false, ',', 0, "-", 0, 0, "anynonarray_in", "anynonarray_out", "-", "-", "-", "-", "-", 'i', 'p', 0},
	{2950, "uuid", 16, false, 'b', 'U', false, ',', 0, "-", 0, 2951, "uuid_in", "uuid_out", "uuid_recv", "uuid_send", "-", "-", "-", 'c', 'p', 0},
	{2951, "_uuid", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 2950, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{3802, "jsonb", -1, false, 'b', 'U', false, ',', 0, "jsonb_subscript_handler", 0, 3807, "jsonb_in", "jsonb_out", "jsonb_recv", "jsonb_send", "-", "-", "-", 'i', 'x', 0},
	{3807, "_jsonb", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 3802, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{4089, "regnamespace", 4, true, 'b', 'N', false, ',', 0, "-", 0, 4090, "regnamespacein", "regnamespaceout", "regnamespacerecv", "regnamespacesend", "-", "-", "-", 'i', 'p', 0},
	{4090, "_regnamespace", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 4089, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
	{4096, "regrole", 4, true, 'b', 'N', false, ',', 0, "-", 0, 4097, "regrolein", "regroleout", "regrolerecv", "regrolesend", "-", "-", "-", 'i', 'p', 0},
	{4097, "_regrole", -1, false, 'b', 'A', false, ',', 0, "array_subscript_handler", 4096, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
};

typedef struct vc_iofunc {
	uint32_t oid;
	const char *name;
	uint32_t rettype;
	const char *argtypes;	/* oidvector text */
	char volatility;
} vc_iofunc;

static const vc_iofunc iofuncs[] = {
	{3, "heap_tableam_handler", 269, "2281", 'v'},
	{31, "byteaout", 2275, "17", 'i'},
	{33, "charout", 2275, "18", 'i'},
	{34, "namein", 19, "2275", 'i'},
	{35, "nameout", 2275, "19", 'i'},
	{38, "int2in", 21, "2275", 'i'},
	{39, "int2out", 2275, "21", 'i'},
	{40, "int2vectorin", 22, "2275", 'i'},
	{41, "int2vectorout", 2275, "22", 'i'},
	{42, "int4in", 23, "2275", 'i'},
	{43, "int4out", 2275, "23", 'i'},
	{44, "regprocin", 24, "2275", 's'},
	{45, "regprocout", 2275, "24", 's'},
	{46, "textin", 25, "2275", 'i'},
	{47, "textout", 2275, "25", 'i'},
	{50, "xidin", 28, "2275", 'i'},
	{51, "xidout", 2275, "28", 'i'},
	{54, "oidvectorin", 30, "2275", 'i'},
	{55, "oidvectorout", 2275, "30", 'i'},
	{109, "unknownin", 705, "2275", 'i'},
	{110, "unknownout", 2275, "705", 'i'},
	{195, "pg_node_tree_in", 194, "2275", 'i'},
	{196, "pg_node_tree_out", 2275, "194", 'i'},
	{197, "pg_node_tree_recv", 194, "2281", 's'},
	{198, "pg_node_tree_send", 17, "194", 's'},
	{200, "float4in", 700, "2275", 'i'},
	{201, "float4out", 2275, "700", 'i'},
	{214, "float8in", 701, "2275", 'i'},
	{215, "float8out", 2275, "701", 'i'},
	{321, "json_in", 114, "2275", 'i'},
	{322, "json_out", 2275, "114", 'i'},
	{323, "json_recv", 114, "2281", 'i'},
	{324, "json_send", 17, "114", 'i'},
	{330, "bthandler", 325, "2281", 'v'},
	{460, "int8in", 20, "2275", 'i'},
	{461, "int8out", 2275, "20", 'i'},
	{750, "array_in", 2277, "2275 26 23", 's'},
	{751, "array_out", 2275, "2277", 's'},
	{910, "inet_in", 869, "2275", 'i'},
	{911, "inet_out", 2275, "869", 'i'},
	{1031, "aclitemin", 1033, "2275", 's'},
	{1032, "aclitemout", 2275, "1033", 's'},
	{1044, "bpcharin", 1042, "2275 26 23", 'i'},
	{1045, "bpcharout", 2275, "1042", 'i'},
	{1046, "varcharin", 1043, "2275 26 23", 'i'},
	{1047, "varcharout", 2275, "1043", 'i'},
	{1084, "date_in", 1082, "2275", 's'},
	{1085, "date_out", 2275, "1082", 's'},
	{1143, "time_in", 1083, "2275 26 23", 's'},
	{1144, "time_out", 2275, "1083", 'i'},
	{1150, "timestamptz_in", 1184, "2275 26 23", 's'},
	{1151, "timestamptz_out", 2275, "1184", 's'},
	{1160, "interval_in", 1186, "2275 26 23", 's'},
	{1161, "interval_out", 2275, "1186", 's'},
	{1242, "boolin", 16, "2275", 'i'},
	{1243, "boolout", 2275, "16", 'i'},
	{1244, "byteain", 17, "2275", 'i'},
	{1245, "charin", 18, "2275", 'i'},
	{1312, "timestamp_in", 1114, "2275 26 23", 's'},
	{1313, "timestamp_out", 2275, "1114", 's'},
	{1701, "numeric_in", 1700, "2275 26 23", 'i'},
	{1702, "numeric_out", 2275, "1700", 'i'},
	{1798, "oidin", 26, "2275", 'i'},
	{1799, "oidout", 2275, "26", 'i'},
	{2218, "regclassin", 2205, "2275", 's'},
	{2219, "regclassout", 2275, "2205", 's'},
	{2220, "regtypein", 2206, "2275", 's'},
	{2221, "regtypeout", 2275, "2206", 's'},
	{2290, "record_in", 2249, "2275 26 23", 's'},
	{2291, "record_out", 2275, "2249", 's'},
	{2294, "any_in", 2276, "2275", 'i'},
	{2295, "any_out", 2275, "2276", 'i'},
	{2296, "anyarray_in", 2277, "2275", 'i'},
	{2297, "anyarray_out", 2275, "2277", 's'},
	{2298, "void_in", 2278, "2275", 'i'},
	{2299, "void_out", 2275, "2278", 'i'},
	{2312, "anyelement_in", 2283, "2275", 'i'},
	{2313, "anyelement_out", 2275, "2283", 'i'},
	{2400, "array_recv", 2277, "2281 26 23", 's'},
	{2401, "array_send", 17, "2277", 's'},
	{2402, "record_recv", 2249, "2281 26 23", 's'},
	{2403, "record_send", 17, "2249", 's'},
	{2404, "int2recv", 21, "2281", 'i'},
	{2405, "int2send", 17, "21", 'i'},
	{2406, "int4recv", 23, "2281", 'i'},
	{2407, "int4send", 17, "23", 'i'},
	{2408, "int8recv", 20, "2281", 'i'},
	{2409, "int8send", 17, "20", 'i'},
	{2410, "int2vectorrecv", 22, "2281", 'i'},
	{2411, "int2vectorsend", 17, "22", 'i'},
	{2412, "bytearecv", 17, "2281", 'i'},
	{2413, "byteasend", 17, "17", 'i'},
	{2414, "textrecv", 25, "2281", 's'},
	{2415, "textsend", 17, "25", 's'},
	{2416, "unknownrecv", 705, "2281", 'i'},
	{2417, "unknownsend", 17, "705", 'i'},
	{2418, "oidrecv", 26, "2281", 'i'},
	{2419, "oidsend", 17, "26", 'i'},
	{2420, "oidvectorrecv", 30, "2281", 'i'},
	{2421, "oidvectorsend", 17, "30", 'i'},
	{2422, "namerecv", 19, "2281", 's'},
	{2423, "namesend", 17, "19", 's'},
	{2424, "float4recv", 700, "2281", 'i'},
	{2425, "float4send", 17, "700", 'i'},
	{2426, "float8recv", 701, "2281", 'i'},
	{2427, "float8send", 17, "701", 'i'},
	{2430, "bpcharrecv", 1042, "2281 26 23", 's'},
	{2431, "bpcharsend", 17, "1042", 's'},
	{2432, "varcharrecv", 1043, "2281 26 23", 's'},
	{2433, "varcharsend", 17, "1043", 's'},
	{2434, "charrecv", 18, "2281", 'i'},
	{2435, "charsend", 17, "18", 'i'},
	{2436, "boolrecv", 16, "2281", 'i'},
	{2437, "boolsend", 17, "16", 'i'},
	{2440, "xidrecv", 28, "2281", 'i'},
	{2441, "xidsend", 17, "28", 'i'},
	{2444, "regprocrecv", 24, "2281", 'i'},
	{2445, "regprocsend", 17, "24", 'i'},
	{2452, "regclassrecv", 2205, "2281", 'i'},
	{2453, "regclasssend", 17, "2205", 'i'},
	{2454, "regtyperecv", 2206, "2281", 'i'},
	{2455, "regtypesend", 17, "2206", 'i'},
	{2460, "numeric_recv", 1700, "2281 26 23", 'i'},
	{2461, "numeric_send", 17, "1700", 'i'},
	{2468, "date_recv", 1082, "2281", 'i'},
	{2469, "date_send", 17, "1082", 'i'},
	{2470, "time_recv", 1083, "2281 26 23", 'i'},
	{2471, "time_send", 17, "1083", 'i'},
	{2474, "timestamp_recv", 1114, "2281 26 23", 'i'},
	{2475, "timestamp_send", 17, "1114", 'i'},
	{2476, "timestamptz_recv", 1184, "2281 26 23", 'i'},
	{2477, "timestamptz_send", 17, "1184", 'i'},
	{2478, "interval_recv", 1186, "2281 26 23", 'i'},
	{2479, "interval_send", 17, "1186", 'i'},
	{2496, "inet_recv", 869, "2281", 'i'},
	{2497, "inet_send", 17, "869", 'i'},
	{2502, "anyarray_recv", 2277, "2281", 's'},
	{2503, "anyarray_send", 17, "2277", 's'},
	{2777, "anynonarray_in", 2776, "2275", 'i'},
	{2778, "anynonarray_out", 2275, "2776", 'i'},
	{2903, "intervaltypmodin", 23, "1263", 'i'},
	{2904, "intervaltypmodout", 2275, "23", 'i'},
	{2905, "timestamptypmodin", 23, "1263", 'i'},
	{2906, "timestamptypmodout", 2275, "23", 'i'},
	{2907, "timestamptztypmodin", 23, "1263", 'i'},
	{2908, "timestamptztypmodout", 2275, "23", 'i'},
	{2909, "timetypmodin", 23, "1263", 'i'},
	{2910, "timetypmodout", 2275, "23", 'i'},
	{2913, "bpchartypmodin", 23, "1263", 'i'},
	{2914, "bpchartypmodout", 2275, "23", 'i'},
	{2915, "varchartypmodin", 23, "1263", 'i'},
	{2916, "varchartypmodout", 2275, "23", 'i'},
	{2917, "numerictypmodin", 23, "1263", 'i'},
	{2918, "numerictypmodout", 2275, "23", 'i'},
	{2952, "uuid_in", 2950, "2275", 'i'},
	{2953, "uuid_out", 2275, "2950", 'i'},
	{2961, "uuid_recv", 2950, "2281", 'i'},
	{2962, "uuid_send", 17, "2950", 'i'},
	{3120, "void_recv", 2278, "2281", 'i'},
	{3121, "void_send", 17, "2278", 'i'},
	{3803, "jsonb_send", 17, "3802", 'i'},
	{3804, "jsonb_out", 2275, "3802", 'i'},
	{3805, "jsonb_recv", 3802, "2281", 'i'},
	{3806, "jsonb_in", 3802, "2275", 'i'},
	{3816, "array_typanalyze", 16, "2281", 's'},
	{4084, "regnamespacein", 4089, "2275", 's'},
	{4085, "regnamespaceout", 2275, "4089", 's'},
	{4087, "regnamespacerecv", 4089, "2281", 'i'},
	{4088, "regnamespacesend", 17, "4089", 'i'},
	{4092, "regroleout", 2275, "4096", 's'},
	{4094, "regrolerecv", 4096, "2281", 'i'},
	{4095, "regrolesend", 17, "4096", 'i'},
	{4098, "regrolein", 4096, "2275", 's'},
	{6098, "jsonb_subscript_handler", 2281, "2281", 'i'},
	{6179, "array_subscript_handler", 2281, "2281", 'i'},
	{6180, "raw_array_subscript_handler", 2281, "2281", 'i'},
};

#define NTYPES (sizeof typerows / sizeof typerows[0])
#define NIOFUNCS (sizeof iofuncs / sizeof iofuncs[0])

static uint32_t iofunc_oid(const char *name)
{
	if (!name || strcmp(name, "-") == 0)
		return 0;
	for (size_t i = 0; i < NIOFUNCS; i++)
		if (strcmp(iofuncs[i].name, name) == 0)
			return iofuncs[i].oid;
	return 0;
}

/* ---- pg_type --------------------------------------------------------------------------- */

void vc_fill_type(const vc_ctx *c, vc_rows *r)
{
	uint32_t owner = vc_superuser_oid(c);
	for (size_t i = 0; i < NTYPES; i++) {
		const vc_typerow *t = &typerows[i];
		vc_row(r);
		vc_oid(r, t->oid);
		vc_str(r, t->typname);
		vc_oid(r, SQL_CAT_PG_CATALOG_OID);
		vc_oid(r, owner);
		vc_int(r, t->typlen);
		vc_bool(r, t->typbyval);
		vc_char(r, t->typtype);
		vc_char(r, t->typcategory);
		vc_bool(r, t->typispreferred);
		vc_bool(r, true);				/* typisdefined */
		vc_char(r, t->typdelim);
		vc_oid(r, t->typrelid);
		vc_oid(r, iofunc_oid(t->typsubscript));
		vc_oid(r, t->typelem);
		vc_oid(r, t->typarray);
		vc_oid(r, iofunc_oid(t->typinput));
		vc_oid(r, iofunc_oid(t->typoutput));
		vc_oid(r, iofunc_oid(t->typreceive));
		vc_oid(r, iofunc_oid(t->typsend));
		vc_oid(r, iofunc_oid(t->typmodin));
		vc_oid(r, iofunc_oid(t->typmodout));
		vc_oid(r, iofunc_oid(t->typanalyze));
		vc_char(r, t->typalign);
		vc_char(r, t->typstorage);
		vc_bool(r, false);				/* typnotnull */
		vc_oid(r, 0);					/* typbasetype */
		vc_int(r, -1);					/* typtypmod */
		vc_int(r, 0);					/* typndims */
		vc_oid(r, t->typcollation);
		vc_null(r);						/* typdefaultbin */
		vc_null(r);						/* typdefault */
		vc_null(r);						/* typacl */
		vc_end(r);
	}
}

/* ---- pg_proc --------------------------------------------------------------------------- */

static bool is_operator_name(const char *n)
{
	return !(isalpha((unsigned char) n[0]) || n[0] == '_');
}

static char prokind_of(const char *n)
{
	static const char *const aggs[] = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every",
									   "string_agg", "array_agg"};
	static const char *const wins[] = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
									   "lag", "lead", "first_value", "last_value", "nth_value"};
	for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
		if (strcmp(n, aggs[i]) == 0)
			return 'a';
	for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++)
		if (strcmp(n, wins[i]) == 0)
			return 'w';
	return 'f';
}

static bool returns_set(const sem_builtin *b)
{
	return (b->flags & SEM_FN_SETOF) || strcmp(b->name, "generate_series") == 0 || strcmp(b->name, "unnest") == 0;
}

static void proc_row(const vc_ctx *c, vc_rows *r, uint32_t owner, uint32_t oid, const char *name, char kind,
					 bool strict, bool retset, char vol, int nargs, const int64_t *args, uint32_t rettype)
{
	vc_row(r);
	vc_oid(r, oid);
	vc_str(r, name);
	vc_oid(r, SQL_CAT_PG_CATALOG_OID);
	vc_oid(r, owner);
	vc_oid(r, 12);						/* prolang: internal */
	vc_float(r, 1);						/* procost */
	vc_float(r, retset ? 1000 : 0);		/* prorows */
	vc_oid(r, 0);						/* provariadic */
	vc_oid(r, 0);						/* prosupport */
	vc_char(r, kind);
	vc_bool(r, false);					/* prosecdef */
	vc_bool(r, false);					/* proleakproof */
	vc_bool(r, strict);
	vc_bool(r, retset);
	vc_char(r, vol);
	vc_char(r, 's');					/* proparallel */
	vc_int(r, nargs);
	vc_int(r, 0);						/* pronargdefaults */
	vc_oid(r, rettype);
	vc_int_array(r, SEM_OIDOID, args, nargs);
	vc_null(r);							/* proallargtypes */
	vc_null(r);							/* proargmodes */
	vc_null(r);							/* proargnames */
	vc_null(r);							/* proargdefaults */
	vc_null(r);							/* protrftypes */
	vc_str(r, name);					/* prosrc */
	vc_null(r);							/* probin */
	vc_null(r);							/* prosqlbody */
	vc_null(r);							/* proconfig */
	vc_null(r);							/* proacl */
	vc_end(r);
}

void vc_fill_proc(const vc_ctx *c, vc_rows *r)
{
	uint32_t owner = vc_superuser_oid(c);
	for (size_t i = 0; i < NIOFUNCS; i++) {
		const vc_iofunc *f = &iofuncs[i];
		int64_t args[8];
		int n = 0;
		for (const char *p = f->argtypes; *p && n < 8;) {
			char *end;
			args[n++] = strtoll(p, &end, 10);
			p = end;
			while (*p == ' ')
				p++;
		}
		proc_row(c, r, owner, f->oid, f->name, 'f', true, false, f->volatility, n, args, f->rettype);
	}
	const sem_builtin *b;
	for (int id = 0; (b = sem_func_by_id(id)) != NULL; id++) {
		if (is_operator_name(b->name))
			continue;
		int64_t args[SEM_FUNC_MAXARGS];
		for (int k = 0; k < b->nargs; k++)
			args[k] = b->args[k];
		char vol = (b->flags & SEM_FN_VOLATILE) ? 'v' : (b->flags & SEM_FN_STABLE) ? 's' : 'i';
		proc_row(c, r, owner, VC_PROC_OID_BASE + (uint32_t) id, b->name, prokind_of(b->name),
				 (b->flags & SEM_FN_STRICT) != 0, returns_set(b), vol, b->nargs, args, b->result);
	}
}

const char *vc_proc_name(uint32_t oid)
{
	if (oid >= VC_PROC_OID_BASE) {
		const sem_builtin *b = sem_func_by_id((int) (oid - VC_PROC_OID_BASE));
		return b && !is_operator_name(b->name) ? b->name : NULL;
	}
	for (size_t i = 0; i < NIOFUNCS; i++)
		if (iofuncs[i].oid == oid)
			return iofuncs[i].name;
	return NULL;
}

uint32_t vc_proc_by_name(const char *name, bool *ambiguous)
{
	*ambiguous = false;
	uint32_t oid = iofunc_oid(name);
	if (oid)
		return oid;
	const sem_builtin *cand[4];
	uint32_t found = 0;
	int count = 0;
	for (int n = 0; n <= SEM_FUNC_MAXARGS; n++) {
		size_t k = sem_func_candidates(name, n, cand, 4);
		for (size_t i = 0; i < k && i < 4; i++) {
			if (cand[i]->nargs != n)
				continue;	/* variadic rows are listed under every count */
			found = VC_PROC_OID_BASE + (uint32_t) sem_func_id(cand[i]);
			count++;
		}
	}
	*ambiguous = count > 1;
	return found;
}

static void type_text(uint32_t oid, cm_buf *out)
{
	const sem_typeinfo *ti = sem_type_info(oid);
	if (ti) {
		cm_buf_puts(out, ti->sqlname);
		return;
	}
	for (size_t i = 0; i < NTYPES; i++)
		if (typerows[i].oid == oid) {
			cm_buf_puts(out, typerows[i].typname);
			return;
		}
	cm_buf_printf(out, "%u", (unsigned) oid);
}

bool vc_proc_signature(uint32_t oid, cm_buf *result, cm_buf *args)
{
	if (oid >= VC_PROC_OID_BASE) {
		const sem_builtin *b = sem_func_by_id((int) (oid - VC_PROC_OID_BASE));
		if (!b || is_operator_name(b->name))
			return false;
		if (result) {
			if (returns_set(b))
				cm_buf_puts(result, "SETOF ");
			type_text(b->result, result);
		}
		for (int k = 0; args && k < b->nargs; k++) {
			if (k)
				cm_buf_puts(args, ", ");
			if ((b->flags & SEM_FN_VARIADIC) && k == b->nargs - 1)
				cm_buf_puts(args, "VARIADIC ");
			type_text(b->args[k], args);
		}
		return true;
	}
	for (size_t i = 0; i < NIOFUNCS; i++) {
		const vc_iofunc *f = &iofuncs[i];
		if (f->oid != oid)
			continue;
		if (result)
			type_text(f->rettype, result);
		int k = 0;
		for (const char *p = f->argtypes; args && *p;) {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (k++)
				cm_buf_puts(args, ", ");
			type_text((uint32_t) v, args);
			p = end;
			while (*p == ' ')
				p++;
		}
		return true;
	}
	return false;
}

/* ---- small fixed catalogs --------------------------------------------------------------- */

void vc_fill_am(const vc_ctx *c, vc_rows *r)
{
	vc_row(r);
	vc_oid(r, VC_HEAP_AM_OID);
	vc_str(r, "heap");
	vc_oid(r, iofunc_oid("heap_tableam_handler"));
	vc_char(r, 't');
	vc_end(r);
	vc_row(r);
	vc_oid(r, VC_BTREE_AM_OID);
	vc_str(r, "btree");
	vc_oid(r, iofunc_oid("bthandler"));
	vc_char(r, 'i');
	vc_end(r);
}

void vc_fill_collation(const vc_ctx *c, vc_rows *r)
{
	static const struct {
		uint32_t oid;
		const char *name;
		char provider;
		int encoding;
		const char *coll;
	} rows[] = {
		{VC_DEFAULT_COLLATION_OID, "default", 'd', -1, NULL},
		{VC_C_COLLATION_OID, "C", 'c', -1, "C"},
		{VC_POSIX_COLLATION_OID, "POSIX", 'c', -1, "POSIX"},
	};
	uint32_t owner = vc_superuser_oid(c);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		vc_row(r);
		vc_oid(r, rows[i].oid);
		vc_str(r, rows[i].name);
		vc_oid(r, SQL_CAT_PG_CATALOG_OID);
		vc_oid(r, owner);
		vc_char(r, rows[i].provider);
		vc_bool(r, true);
		vc_int(r, rows[i].encoding);
		vc_str(r, rows[i].coll);
		vc_str(r, rows[i].coll);
		vc_null(r);
		vc_null(r);
		vc_end(r);
	}
}

void vc_fill_language(const vc_ctx *c, vc_rows *r)
{
	static const struct {
		uint32_t oid;
		const char *name;
	} rows[] = {{12, "internal"}, {13, "c"}, {14, "sql"}};
	uint32_t owner = vc_superuser_oid(c);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		vc_row(r);
		vc_oid(r, rows[i].oid);
		vc_str(r, rows[i].name);
		vc_oid(r, owner);
		vc_bool(r, false);
		vc_bool(r, rows[i].oid == 14);
		vc_oid(r, 0);
		vc_oid(r, 0);
		vc_oid(r, 0);
		vc_null(r);
		vc_end(r);
	}
}

void vc_fill_tablespace(const vc_ctx *c, vc_rows *r)
{
	uint32_t owner = vc_superuser_oid(c);
	vc_row(r);
	vc_oid(r, VC_PG_DEFAULT_TABLESPACE);
	vc_str(r, "pg_default");
	vc_oid(r, owner);
	vc_end(r);
	vc_row(r);
	vc_oid(r, VC_PG_GLOBAL_TABLESPACE);
	vc_str(r, "pg_global");
	vc_oid(r, owner);
	vc_end(r);
}
