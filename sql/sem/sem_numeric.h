/*
 * sem_numeric.h -- exact decimal numbers with PostgreSQL's numeric semantics.
 *
 * A numeric is  (-1)^neg * coef * 10^-dscale  where coef is an arbitrary
 * precision non-negative integer (GMP limbs stored inline, arena memory) and
 * dscale is PostgreSQL's display scale (digits after the decimal point,
 * trailing zeros included: 1.50 has dscale 2).  NaN and +/-Infinity are
 * separate kinds, as in PostgreSQL 15.  Zero is never negative.
 *
 * Result scales follow PostgreSQL 15 (numeric.c): add/sub max(dscale),
 * mul dscale1+dscale2, div select_div_scale(), mod max(dscale),
 * sqrt 16 significant digits or more; rounding is half away from zero.
 *
 * Exported:
 *   sem_num_in / sem_num_out             text form ("12.50", "NaN", "Infinity")
 *   sem_num_recv / sem_num_send          binary wire form (base-10000 digits)
 *   sem_num_apply_typmod                 numeric(p,s) coercion (22003 on overflow)
 *   sem_num_from_int / sem_num_to_int    int64 conversions (round half away)
 *   sem_num_from_double / sem_num_to_double   float conversions as PostgreSQL
 *   sem_num_add/sub/mul/div/mod/div_trunc/neg/abs/cmp/round/trunc/ceil/floor/sign/sqrt
 *   sem_num_power / sem_num_exp / sem_num_ln / sem_num_log10 / sem_num_log
 *   sem_num_is_* helpers, sem_num_typmod / _precision / _scale
 *
 * All results are allocated from the given arena; inputs are never modified.
 */
#ifndef PGKV_SEM_NUMERIC_H
#define PGKV_SEM_NUMERIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "sql/sem/sem_types.h"

typedef enum sem_num_kind {
	SEM_NUM_FINITE = 0,
	SEM_NUM_NAN = 1,
	SEM_NUM_PINF = 2,
	SEM_NUM_NINF = 3,
} sem_num_kind;

struct sem_numeric {
	uint8_t kind;		/* sem_num_kind */
	bool neg;			/* finite values only; false for zero */
	uint16_t dscale;	/* display scale, 0..16383 */
	int32_t nlimbs;		/* limbs of |coef|, normalised (no high zero limb) */
	uint64_t limbs[];	/* little-endian GMP limbs */
};

#define SEM_NUM_MAX_PRECISION 1000
#define SEM_NUM_MAX_DSCALE 16383
#define SEM_NUM_MAX_DISPLAY_SCALE 1000
#define SEM_NUM_MIN_SIG_DIGITS 16

/* numeric(p,s) typmod encoding, exactly as PostgreSQL (VARHDRSZ offset). */
static inline int32_t sem_num_typmod(int precision, int scale)
{
	return ((precision << 16) | (scale & 0x7ff)) + 4;
}
static inline int sem_num_typmod_precision(int32_t typmod) { return ((typmod - 4) >> 16) & 0xffff; }
static inline int sem_num_typmod_scale(int32_t typmod) { return (((typmod - 4) & 0x7ff) ^ 1024) - 1024; }

static inline bool sem_num_is_nan(const sem_numeric *n) { return n->kind == SEM_NUM_NAN; }
static inline bool sem_num_is_inf(const sem_numeric *n) { return n->kind == SEM_NUM_PINF || n->kind == SEM_NUM_NINF; }
static inline bool sem_num_is_special(const sem_numeric *n) { return n->kind != SEM_NUM_FINITE; }
bool sem_num_is_zero(const sem_numeric *n);

/* Parse PostgreSQL numeric text (typmod -1 = none).  22P02 on bad syntax,
 * 22003 on typmod overflow. */
CM_MUST_CHECK cm_status sem_num_in(cm_arena *a, const char *s, size_t len, int32_t typmod,
								   sem_numeric **out, cm_error *err);
void sem_num_out(const sem_numeric *n, cm_buf *out);
/* Text form as an arena string. */
char *sem_num_to_cstring(cm_arena *a, const sem_numeric *n);
CM_MUST_CHECK cm_status sem_num_recv(cm_arena *a, const char *p, size_t len, int32_t typmod,
									 sem_numeric **out, cm_error *err);
void sem_num_send(const sem_numeric *n, cm_buf *out);
CM_MUST_CHECK cm_status sem_num_apply_typmod(cm_arena *a, const sem_numeric *n, int32_t typmod,
											 sem_numeric **out, cm_error *err);

sem_numeric *sem_num_from_int(cm_arena *a, int64_t v);
/* Round to integer (half away from zero) and range-check into [min,max];
 * tname is "integer"/"smallint"/"bigint" for the error message. */
CM_MUST_CHECK cm_status sem_num_to_int(const sem_numeric *n, int64_t min, int64_t max,
									   const char *tname, int64_t *out, cm_error *err);
/* float8 -> numeric uses 15 significant digits, float4 6 (is_float4). */
CM_MUST_CHECK cm_status sem_num_from_double(cm_arena *a, double d, bool is_float4,
											sem_numeric **out, cm_error *err);
double sem_num_to_double(const sem_numeric *n);

/* Three-way compare with PostgreSQL's total order (NaN largest, NaN = NaN). */
int sem_num_cmp(const sem_numeric *x, const sem_numeric *y);

sem_numeric *sem_num_add(cm_arena *a, const sem_numeric *x, const sem_numeric *y);
sem_numeric *sem_num_sub(cm_arena *a, const sem_numeric *x, const sem_numeric *y);
sem_numeric *sem_num_mul(cm_arena *a, const sem_numeric *x, const sem_numeric *y);
CM_MUST_CHECK cm_status sem_num_div(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
									sem_numeric **out, cm_error *err);
CM_MUST_CHECK cm_status sem_num_mod(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
									sem_numeric **out, cm_error *err);
/* div(x, y): truncated integer quotient. */
CM_MUST_CHECK cm_status sem_num_div_trunc(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
										  sem_numeric **out, cm_error *err);
sem_numeric *sem_num_neg(cm_arena *a, const sem_numeric *x);
sem_numeric *sem_num_abs(cm_arena *a, const sem_numeric *x);
sem_numeric *sem_num_round(cm_arena *a, const sem_numeric *x, int scale);
sem_numeric *sem_num_trunc(cm_arena *a, const sem_numeric *x, int scale);
sem_numeric *sem_num_ceil(cm_arena *a, const sem_numeric *x);
sem_numeric *sem_num_floor(cm_arena *a, const sem_numeric *x);
sem_numeric *sem_num_sign(cm_arena *a, const sem_numeric *x);
int sem_num_scale(const sem_numeric *x);
CM_MUST_CHECK cm_status sem_num_sqrt(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err);
CM_MUST_CHECK cm_status sem_num_power(cm_arena *a, const sem_numeric *x, const sem_numeric *y,
									  sem_numeric **out, cm_error *err);
CM_MUST_CHECK cm_status sem_num_exp(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err);
CM_MUST_CHECK cm_status sem_num_ln(cm_arena *a, const sem_numeric *x, sem_numeric **out, cm_error *err);
CM_MUST_CHECK cm_status sem_num_log(cm_arena *a, const sem_numeric *base, const sem_numeric *x,
									sem_numeric **out, cm_error *err);

#endif /* PGKV_SEM_NUMERIC_H */
