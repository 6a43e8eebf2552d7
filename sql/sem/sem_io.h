/*
 * sem_io.h -- text and binary input/output of datums (PostgreSQL's
 * typinput/typoutput/typreceive/typsend), dispatched by type OID.
 *
 * Text forms are exactly PostgreSQL 15's (bool t/f, shortest round-trip
 * floats, numeric without exponent, bytea hex, ...).  Binary forms are the
 * wire formats of PostgreSQL's send and recv functions.  Date/time types are routed to
 * sem_datetime.h.
 *
 * Exported:
 *   sem_in_text / sem_out_text / sem_out_cstring
 *   sem_in_binary / sem_out_binary
 *   sem_coerce_typmod     length/precision coercion (varchar(n), bpchar(n),
 *                         numeric(p,s), timestamp(p)) with cast or assignment
 *                         semantics
 *   sem_float_out         float4/float8 text output honouring extra_float_digits
 *   sem_utf8_*            UTF-8 helpers used by the string functions
 *
 * Memory: variable-length results point into ctx->arena (input bytes are
 * copied, never referenced).
 */
#ifndef PGKV_SEM_IO_H
#define PGKV_SEM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include "sql/sem/sem_types.h"

/*
 * Parse the text form s[0..len) (not NUL-terminated) of `type`.  A typmod
 * is applied with implicit-cast semantics (22001 for too long strings,
 * 22003 numeric field overflow).  Errors: 22P02 invalid input syntax,
 * 22003 out of range, 22021 bad UTF-8, 0A000 for a type without text input.
 * *out is never NULL-valued on success.
 */
CM_MUST_CHECK cm_status sem_in_text(sem_ctx *ctx, sem_type type, const char *s, size_t len,
									sem_datum *out, cm_error *err);

/* Append the text form of *d (must not be NULL) to out. */
void sem_out_text(sem_ctx *ctx, sem_type type, const sem_datum *d, cm_buf *out);

/* Text form as a NUL-terminated string in ctx->arena. */
char *sem_out_cstring(sem_ctx *ctx, sem_type type, const sem_datum *d);

/*
 * Parse the binary (recv) form.  A wrong length for a fixed-size type is
 * 22P03 "incorrect binary data format" (pgwire's Bind adds " in bind
 * parameter N"); invalid contents as PostgreSQL's recv functions.
 */
CM_MUST_CHECK cm_status sem_in_binary(sem_ctx *ctx, sem_type type, const char *p, size_t len,
									  sem_datum *out, cm_error *err);

/* Append the binary (send) form of *d (not NULL).  0A000 for types without
 * a binary form. */
CM_MUST_CHECK cm_status sem_out_binary(sem_ctx *ctx, sem_type type, const sem_datum *d,
									   cm_buf *out, cm_error *err);

/* True if the type has binary send/recv here. */
bool sem_has_binary(sem_oid oid);

/*
 * Apply `typmod` to a value of type `oid` (already of that type).
 * is_explicit: explicit cast semantics (varchar/bpchar silently truncate);
 * otherwise assignment semantics (22001 unless the excess is spaces).
 * typmod < 0 copies the value.
 */
CM_MUST_CHECK cm_status sem_coerce_typmod(sem_ctx *ctx, sem_oid oid, int32_t typmod, bool is_explicit,
										  const sem_datum *in, sem_datum *out, cm_error *err);

/* float text output, PostgreSQL's float4out/float8out for extra_float_digits efd. */
void sem_float_out(double v, bool is_float4, int efd, cm_buf *out);
CM_MUST_CHECK cm_status sem_float_in(const char *s, size_t len, bool is_float4, double *out, cm_error *err);
CM_MUST_CHECK cm_status sem_int_in(const char *s, size_t len, sem_oid oid, int64_t *out, cm_error *err);
CM_MUST_CHECK cm_status sem_bool_in(const char *s, size_t len, bool *out, cm_error *err);

/* Number of UTF-8 characters in s[0..len). */
size_t sem_utf8_len(const char *s, size_t len);
/* Byte offset of character index nchars (clamped to len). */
size_t sem_utf8_offset(const char *s, size_t len, size_t nchars);
/* Byte length of the UTF-8 sequence starting with lead byte c (1 for invalid). */
int sem_utf8_seqlen(unsigned char c);
/* Validate UTF-8 and reject NUL; 22021 with PostgreSQL's message on failure. */
CM_MUST_CHECK cm_status sem_utf8_verify(const char *s, size_t len, cm_error *err);

/* Store bytes as a string datum copied into the arena. */
static inline void sem_set_str(cm_arena *a, sem_datum *d, const char *p, size_t len)
{
	char *m = cm_alloc(a, len + 1);
	if (len)
		__builtin_memcpy(m, p, len);
	m[len] = '\0';
	d->isnull = false;
	d->v.s.p = m;
	d->v.s.len = (uint32_t) len;
}

#endif /* PGKV_SEM_IO_H */
