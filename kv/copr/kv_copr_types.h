/*
 * kv_copr_types.h -- the coprocessor's type contract: tipb field types <->
 *                    sql/sem types, value conversions between sem datums and
 *                    the KV encodings (row cells, key datums, chunk columns,
 *                    TypeDefault datums), and the error-text convention.
 *
 * Both ends of a coprocessor request use this header: the embedded store
 * (kv/embedded/kve_copr*.c) to read rows into sem datums and write result
 * chunks, the coprocessor client (kv_copr.h) to decode chunks for the SQL
 * layer, and the SQL planner to describe the columns and expressions it
 * pushes down.  One mapping, written down once (docs/storage.md,
 * "## Coprocessor"):
 *
 *   tipb FieldType (tp, flag, flen, decimal, collate)   sem type
 *   ------------------------------------------------    -----------------------
 *   Tiny, flen 1                                        bool   (0 / 1)
 *   Tiny (other flen), Short, Year                      int2
 *   Long, Int24                                         int4
 *   Longlong (UNSIGNED allowed; values > INT64_MAX      int8
 *     are 22003)
 *   Float                                               float4
 *   Double                                              float8
 *   NewDecimal (flen = precision, decimal = scale;      numeric(p,s) / numeric
 *     flen <= 0 or decimal < 0: unconstrained)
 *   VarString                                           text
 *   Varchar (flen > 0: varchar(flen))                   varchar
 *   String (CHAR, flen > 0: bpchar(flen))               bpchar
 *   Blob / Tiny/Medium/LongBlob                         text
 *   any string tp with collate +-63 (binary) or the     bytea
 *     BINARY flag
 *   Date, NewDate                                       date
 *   Datetime (decimal = fsp 0..6)                       timestamp(fsp)
 *   Timestamp (stored in UTC)                           timestamptz
 *   everything else (Duration, Bit, Enum, Set, JSON..)  0A000 not supported
 *
 * kv_copr_ftype_of() is the inverse the planner uses (bool -> Tiny flen 1,
 * int2 -> Short, int4 -> Long, int8 -> Longlong, float4 -> Float, float8 ->
 * Double, numeric(p,s) -> NewDecimal(p,s), numeric -> NewDecimal(-1,-1),
 * text/name -> VarString utf8mb4_bin, varchar(n) -> Varchar, bpchar(n) ->
 * String, bytea -> Blob binary, date -> Date, timestamp(p) -> Datetime,
 * timestamptz -> Timestamp).
 *
 * Storage encodings of sem values (row format v2 cells and index key
 * datums, TiDB's layout): bool/int2/int4/int8 as int; float4/float8 as
 * float (the float4 value widened); numeric as decimal (precision <= 65,
 * scale <= 30); text-like and bytea as bytes; date/timestamp/timestamptz as
 * the packed uint64 (ToPackedUint; timestamptz in UTC).  Chunk columns:
 * integers and bools i64, float4 f32, float8 f64, numeric MyDecimal (40
 * bytes; at most 81 digits and scale <= 30, NaN / Infinity are 22003),
 * strings raw, dates and times CoreTime.
 *
 * Error text convention (SelectResponse.error.msg and Response.other_error):
 *   "<SQLSTATE>: <message>"       e.g. "22003: integer out of range"
 * kv_copr_error_text() writes it, kv_copr_error_parse() reads it back into a
 * cm_error (text without a SQLSTATE prefix becomes XX000).
 * SelectResponse.error.code carries a MySQL error number for TiDB-style
 * readers (1690 out of range, 1365 division by zero, 1105 otherwise).
 *
 * Exported
 *   KV_TP_* / KV_FT_* / KV_COLL_*   MySQL type codes, flags, collations
 *   kv_copr_ftype                   the five fields that matter
 *   kv_copr_ftype_from_pb / _from_column / _to_pb
 *   kv_copr_sem_type_of             ftype -> sem type (0A000 if none)
 *   kv_copr_ftype_of                sem type -> ftype (0A000 if none)
 *   kv_copr_chunk_elem_size / kv_copr_chunk_encodable
 *   kv_copr_chunk_append            sem datum -> one chunk row
 *   kv_copr_chunk_get               one chunk row -> sem datum
 *   kv_copr_datum_encode / _decode  TypeDefault datums
 *   kv_copr_cell_to_sem             row v2 cell -> sem datum
 *   kv_copr_kvdatum_to_sem          kv_datum (key / v1 / default) -> sem datum
 *   kv_copr_sem_to_kvdatum          sem datum -> kv_datum (row writers)
 *   kv_copr_error_text / _parse / kv_copr_mysql_code
 *
 * Memory: every sem datum produced here lives in the arena passed in (or
 * points into the input bytes where stated); nothing is kept between calls.
 */
#ifndef PGKV_KV_COPR_TYPES_H
#define PGKV_KV_COPR_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_status.h"
#include "expression.pb-c.h"
#include "kv/codec/kv_chunk.h"
#include "kv/codec/kv_codec.h"
#include "schema.pb-c.h"
#include "sql/sem/sem_types.h"

/* MySQL type codes (kv-protocol-facts 3.7). */
enum {
	KV_TP_TINY = 1,
	KV_TP_SHORT = 2,
	KV_TP_LONG = 3,
	KV_TP_FLOAT = 4,
	KV_TP_DOUBLE = 5,
	KV_TP_NULL = 6,
	KV_TP_TIMESTAMP = 7,
	KV_TP_LONGLONG = 8,
	KV_TP_INT24 = 9,
	KV_TP_DATE = 10,
	KV_TP_DURATION = 11,
	KV_TP_DATETIME = 12,
	KV_TP_YEAR = 13,
	KV_TP_NEWDATE = 14,
	KV_TP_VARCHAR = 15,
	KV_TP_BIT = 16,
	KV_TP_JSON = 0xf5,
	KV_TP_NEWDECIMAL = 0xf6,
	KV_TP_ENUM = 0xf7,
	KV_TP_SET = 0xf8,
	KV_TP_TINYBLOB = 0xf9,
	KV_TP_MEDIUMBLOB = 0xfa,
	KV_TP_LONGBLOB = 0xfb,
	KV_TP_BLOB = 0xfc,
	KV_TP_VARSTRING = 0xfd,
	KV_TP_STRING = 0xfe,
};

/* Column flags. */
#define KV_FT_NOT_NULL 1u
#define KV_FT_PRI_KEY 2u
#define KV_FT_UNSIGNED 32u
#define KV_FT_BINARY 128u

/* Collations (TiDB sends -id with new collations; both are accepted). */
#define KV_COLL_UTF8MB4_BIN 46
#define KV_COLL_BINARY 63

typedef struct kv_copr_ftype {
	int32_t tp;
	uint32_t flag;
	int32_t flen;
	int32_t decimal;
	int32_t collate;
} kv_copr_ftype;

/* From a tipb.FieldType (NULL -> all zero: tp Unspecified). */
kv_copr_ftype kv_copr_ftype_from_pb(const Tipb__FieldType *pb);
/* From a tipb.ColumnInfo (tp, flag, columnLen, decimal, collation). */
kv_copr_ftype kv_copr_ftype_from_column(const Tipb__ColumnInfo *ci);
/* Fill an initialised tipb.FieldType (sets every has_ flag). */
void kv_copr_ftype_to_pb(const kv_copr_ftype *ft, Tipb__FieldType *pb);

/* The sem type of a field type, per the table in the banner.  0A000
 * "coprocessor: unsupported field type N" for the rest. */
CM_MUST_CHECK cm_status kv_copr_sem_type_of(const kv_copr_ftype *ft, sem_type *out,
											cm_error *err);
/* The field type the planner sends for a sem type.  0A000 if the type has
 * no coprocessor representation. */
CM_MUST_CHECK cm_status kv_copr_ftype_of(sem_type t, kv_copr_ftype *out, cm_error *err);

/* Chunk element size of a field type: KV_CHUNK_VAR, 4, 8 or 40; 0 with
 * *encodable false for types the chunk format does not carry here. */
size_t kv_copr_chunk_elem_size(const kv_copr_ftype *ft, bool *encodable);
bool kv_copr_chunk_encodable(const kv_copr_ftype *ft);

/*
 * Append one value of sem type st to a chunk column of field type ft (the
 * writer was initialised with kv_copr_chunk_elem_size(ft)).  Values are
 * converted where the classes agree (bool/int -> integer columns, int ->
 * decimal, float4 <-> float8, date <-> timestamp); anything else is XX000.
 * Errors: 22003 (numeric too wide for MyDecimal, NaN, infinity, unsigned
 * column with a negative value), 22008 (date/time outside 0..9999 years).
 */
CM_MUST_CHECK cm_status kv_copr_chunk_append(kv_chunk_writer *w, const kv_copr_ftype *ft,
											 sem_type st, const sem_datum *d, cm_arena *scratch,
											 cm_error *err);
/* Read row `row` of a decoded chunk column of field type ft as sem type st
 * (normally kv_copr_sem_type_of(ft)).  Strings point into the chunk bytes;
 * numerics are allocated in arena. */
CM_MUST_CHECK cm_status kv_copr_chunk_get(const kv_chunk_col *col, uint32_t row,
										  const kv_copr_ftype *ft, sem_type st, cm_arena *arena,
										  sem_datum *out, cm_error *err);

/* TypeDefault: append one datum (facts 7.5: 00 NULL, 03 int, 04 uint/time,
 * 05 float, 06 decimal, 02 bytes). */
CM_MUST_CHECK cm_status kv_copr_datum_encode(cm_buf *b, const kv_copr_ftype *ft, sem_type st,
											 const sem_datum *d, cm_arena *scratch,
											 cm_error *err);
/* TypeDefault: read one datum at *p (advanced) as sem type st. */
CM_MUST_CHECK cm_status kv_copr_datum_decode(const uint8_t **p, const uint8_t *end,
											 const kv_copr_ftype *ft, sem_type st,
											 cm_arena *arena, sem_datum *out, cm_error *err);

/* A row format v2 cell (kv_row_cell payload, not NULL) as sem type st.
 * Strings are copied into arena (cells point into transient store memory). */
CM_MUST_CHECK cm_status kv_copr_cell_to_sem(const uint8_t *p, size_t len, sem_type st,
											cm_arena *arena, sem_datum *out, cm_error *err);
/* A decoded kv_datum (index key datum, v1 row value, column default) as sem
 * type st; KV_DATUM_NULL gives NULL.  Strings are copied into arena. */
CM_MUST_CHECK cm_status kv_copr_kvdatum_to_sem(const kv_datum *kd, sem_type st, cm_arena *arena,
											   sem_datum *out, cm_error *err);
/* The storage kv_datum of a sem value (for row and index writers: the SQL
 * layer, tests, benchmarks).  Decimal text and string bytes live in arena /
 * the datum. */
CM_MUST_CHECK cm_status kv_copr_sem_to_kvdatum(sem_type st, const sem_datum *d, cm_arena *arena,
											   kv_datum *out, cm_error *err);

/* "<SQLSTATE>: <message>" for err (malloc'd; never NULL). */
char *kv_copr_error_text(const cm_error *err);
/* Inverse: fills err from a coprocessor error text; returns CM_ERROR. */
cm_status kv_copr_error_parse(const char *text, size_t len, cm_error *err);
/* MySQL error number for SelectResponse.error.code. */
int32_t kv_copr_mysql_code(const char *sqlstate);

/* Date helpers (PostgreSQL epoch 2000-01-01): days <-> civil date. */
int64_t kv_copr_days_from_civil(int64_t y, int m, int d);
void kv_copr_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif /* PGKV_KV_COPR_TYPES_H */
