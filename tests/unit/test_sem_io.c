/*
 * test_sem_io.c -- text and binary I/O of sql/sem datums.
 *
 * Expected strings and byte vectors come from PostgreSQL 15 (the reference
 * server: SELECT x::type, float8send(), numeric_send(), ...).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sql/sem/sem_io.h"
#include "sql/sem/sem_numeric.h"
#include "sql/sem/sem_type.h"

static cm_arena *arena;
static sem_ctx ctx;

static void setup(void)
{
	arena = cm_arena_create(0);
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = arena;
	ctx.extra_float_digits = 1;
}
static void teardown(void)
{
	cm_arena_destroy(arena);
}

TestSuite(sem_io, .init = setup, .fini = teardown);

/* text in -> text out */
static void roundtrip(sem_oid oid, int32_t typmod, const char *in, const char *want)
{
	sem_datum d;
	cm_error err = {0};
	cr_assert_eq(sem_in_text(&ctx, (sem_type){oid, typmod}, in, strlen(in), &d, &err), CM_OK,
				 "%s: %s", in, err.message ? err.message : "");
	char *s = sem_out_cstring(&ctx, (sem_type){oid, typmod}, &d);
	cr_expect_str_eq(s, want, "input %s as %s", in, sem_type_name(oid));
}

static void bad_input(sem_oid oid, int32_t typmod, const char *in, const char *code, const char *msg)
{
	sem_datum d;
	cm_error err = {0};
	cr_assert_eq(sem_in_text(&ctx, (sem_type){oid, typmod}, in, strlen(in), &d, &err), CM_ERROR, "%s", in);
	cr_expect_str_eq(err.code, code, "%s", in);
	cr_expect_str_eq(err.message, msg, "%s", in);
	cm_error_clear(&err);
}

Test(sem_io, text_roundtrips)
{
	roundtrip(SEM_BOOLOID, -1, "yes", "t");
	roundtrip(SEM_BOOLOID, -1, " OFF ", "f");
	roundtrip(SEM_BOOLOID, -1, "tr", "t");
	roundtrip(SEM_INT2OID, -1, "-32768", "-32768");
	roundtrip(SEM_INT4OID, -1, "  +42  ", "42");
	roundtrip(SEM_INT8OID, -1, "-9223372036854775808", "-9223372036854775808");
	roundtrip(SEM_OIDOID, -1, "-1", "4294967295");
	roundtrip(SEM_FLOAT8OID, -1, "1e15", "1e+15");
	roundtrip(SEM_FLOAT8OID, -1, "1e14", "100000000000000");
	roundtrip(SEM_FLOAT8OID, -1, "123456789012345678", "1.2345678901234568e+17");
	roundtrip(SEM_FLOAT8OID, -1, "0.0001", "0.0001");
	roundtrip(SEM_FLOAT8OID, -1, "0.00001", "1e-05");
	roundtrip(SEM_FLOAT8OID, -1, "-0", "-0");
	roundtrip(SEM_FLOAT8OID, -1, "inf", "Infinity");
	roundtrip(SEM_FLOAT8OID, -1, "-Infinity", "-Infinity");
	roundtrip(SEM_FLOAT8OID, -1, "nan", "NaN");
	roundtrip(SEM_FLOAT4OID, -1, "1e6", "1e+06");
	roundtrip(SEM_FLOAT4OID, -1, "123456", "123456");
	roundtrip(SEM_FLOAT4OID, -1, "1234567", "1.234567e+06");
	roundtrip(SEM_FLOAT4OID, -1, "0.1", "0.1");
	roundtrip(SEM_NUMERICOID, -1, "123.456e2", "12345.6");
	roundtrip(SEM_NUMERICOID, -1, ".5", "0.5");
	roundtrip(SEM_NUMERICOID, -1, "-0.00", "0.00");
	roundtrip(SEM_NUMERICOID, -1, "1e-3", "0.001");
	roundtrip(SEM_NUMERICOID, -1, "-inf", "-Infinity");
	roundtrip(SEM_NUMERICOID, -1, "NaN", "NaN");
	roundtrip(SEM_NUMERICOID, sem_num_typmod(5, 2), "1.239", "1.24");
	roundtrip(SEM_TEXTOID, -1, "héllo", "héllo");
	roundtrip(SEM_VARCHAROID, 5 + 4, "ab   ", "ab   ");
	roundtrip(SEM_VARCHAROID, 2 + 4, "ab   ", "ab");
	roundtrip(SEM_BPCHAROID, 5 + 4, "ab", "ab   ");
	roundtrip(SEM_BYTEAOID, -1, "\\x0102", "\\x0102");
	roundtrip(SEM_BYTEAOID, -1, "a\\\\b", "\\x615c62");
	roundtrip(SEM_BYTEAOID, -1, "\\001abc", "\\x01616263");
	roundtrip(SEM_UUIDOID, -1, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	roundtrip(SEM_UUIDOID, -1, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	roundtrip(SEM_CHAROID, -1, "xyz", "x");
	roundtrip(SEM_CHAROID, -1, "\\377", "\\377");
}

Test(sem_io, text_errors)
{
	bad_input(SEM_INT4OID, -1, "abc", "22P02", "invalid input syntax for type integer: \"abc\"");
	bad_input(SEM_INT4OID, -1, "", "22P02", "invalid input syntax for type integer: \"\"");
	bad_input(SEM_INT2OID, -1, "99999", "22003", "value \"99999\" is out of range for type smallint");
	bad_input(SEM_INT8OID, -1, "9223372036854775808", "22003",
			  "value \"9223372036854775808\" is out of range for type bigint");
	bad_input(SEM_BOOLOID, -1, "o", "22P02", "invalid input syntax for type boolean: \"o\"");
	bad_input(SEM_FLOAT4OID, -1, "1e39", "22003", "\"1e39\" is out of range for type real");
	bad_input(SEM_FLOAT8OID, -1, "1e-400", "22003", "\"1e-400\" is out of range for type double precision");
	bad_input(SEM_FLOAT8OID, -1, "x1", "22P02", "invalid input syntax for type double precision: \"x1\"");
	bad_input(SEM_NUMERICOID, -1, "abc", "22P02", "invalid input syntax for type numeric: \"abc\"");
	bad_input(SEM_NUMERICOID, sem_num_typmod(5, 2), "999.999", "22003", "numeric field overflow");
	bad_input(SEM_VARCHAROID, 3 + 4, "abcdef", "22001", "value too long for type character varying(3)");
	bad_input(SEM_BPCHAROID, 3 + 4, "abcdef", "22001", "value too long for type character(3)");
	bad_input(SEM_BYTEAOID, -1, "\\x1", "22023", "invalid hexadecimal data: odd number of digits");
	bad_input(SEM_BYTEAOID, -1, "\\xzz", "22023", "invalid hexadecimal digit: \"z\"");
	bad_input(SEM_BYTEAOID, -1, "a\\", "22P02", "invalid input syntax for type bytea");
	bad_input(SEM_UUIDOID, -1, "xyz", "22P02", "invalid input syntax for type uuid: \"xyz\"");
	bad_input(SEM_TEXTOID, -1, "\xff", "22021", "invalid byte sequence for encoding \"UTF8\": 0xff");
}

static void hex(const cm_buf *b, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < b->len; i++) {
		out[2 * i] = hx[(uint8_t) b->data[i] >> 4];
		out[2 * i + 1] = hx[(uint8_t) b->data[i] & 15];
	}
	out[2 * b->len] = '\0';
}

static void unhex(const char *h, char *out, size_t *n)
{
	*n = strlen(h) / 2;
	for (size_t i = 0; i < *n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (char) v;
	}
}

/* text -> binary send must equal PostgreSQL's *send(); recv of it must give the text back */
static void binary(sem_oid oid, const char *text, const char *want_hex, const char *back)
{
	sem_datum d, d2;
	cm_error err = {0};
	cr_assert_eq(sem_in_text(&ctx, (sem_type){oid, -1}, text, strlen(text), &d, &err), CM_OK, "%s", text);
	cm_buf b;
	cm_buf_init(&b);
	cr_assert_eq(sem_out_binary(&ctx, (sem_type){oid, -1}, &d, &b, &err), CM_OK);
	char h[256];
	hex(&b, h);
	cr_expect_str_eq(h, want_hex, "send of %s", text);
	cr_assert_eq(sem_in_binary(&ctx, (sem_type){oid, -1}, b.data, b.len, &d2, &err), CM_OK, "%s",
				 err.message ? err.message : "");
	cr_expect_str_eq(sem_out_cstring(&ctx, (sem_type){oid, -1}, &d2), back, "recv of %s", text);
	cm_buf_free(&b);
}

Test(sem_io, binary_formats)
{
	binary(SEM_FLOAT8OID, "0.1", "3fb999999999999a", "0.1");
	binary(SEM_FLOAT8OID, "-0", "8000000000000000", "-0");
	binary(SEM_FLOAT4OID, "1.5", "3fc00000", "1.5");
	binary(SEM_FLOAT4OID, "nan", "7fc00000", "NaN");
	binary(SEM_INT8OID, "-2", "fffffffffffffffe", "-2");
	binary(SEM_INT2OID, "-2", "fffe", "-2");
	binary(SEM_INT4OID, "258", "00000102", "258");
	binary(SEM_BOOLOID, "true", "01", "t");
	binary(SEM_UUIDOID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
		   "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	binary(SEM_NUMERICOID, "0.00", "0000000000000002", "0.00");
	binary(SEM_NUMERICOID, "12345.678", "0003000100000003000109291a7c", "12345.678");
	binary(SEM_NUMERICOID, "-0.0001", "0001ffff400000040001", "-0.0001");
	binary(SEM_NUMERICOID, "NaN", "00000000c0000000", "NaN");
	binary(SEM_NUMERICOID, "Infinity", "00000000d0000020", "Infinity");
	binary(SEM_NUMERICOID, "-123456789.0123456789", "000600024000000a000109291a85007b11d722c4",
		   "-123456789.0123456789");
	binary(SEM_NUMERICOID, "1e20", "00010005000000000001", "100000000000000000000");
	binary(SEM_NUMERICOID, "0.500", "0001ffff000000031388", "0.500");
	binary(SEM_TEXTOID, "héllo", "68c3a96c6c6f", "héllo");
	binary(SEM_BYTEAOID, "\\x00ff", "00ff", "\\x00ff");
}

Test(sem_io, binary_errors)
{
	sem_datum d;
	cm_error err = {0};
	cr_expect_eq(sem_in_binary(&ctx, (sem_type){SEM_INT4OID, -1}, "\0\1", 2, &d, &err), CM_ERROR);
	cr_expect_str_eq(err.code, "22P03");
	cm_error_clear(&err);
	char buf[16];
	size_t n;
	unhex("0001000000000000ffff", buf, &n);	/* digit 65535 >= NBASE */
	cr_expect_eq(sem_in_binary(&ctx, (sem_type){SEM_NUMERICOID, -1}, buf, n, &d, &err), CM_ERROR);
	cr_expect_str_eq(err.message, "invalid digit in external \"numeric\" value");
	cm_error_clear(&err);
	unhex("0000000012340000", buf, &n);
	cr_expect_eq(sem_in_binary(&ctx, (sem_type){SEM_NUMERICOID, -1}, buf, n, &d, &err), CM_ERROR);
	cr_expect_str_eq(err.message, "invalid sign in external \"numeric\" value");
	cm_error_clear(&err);
	cr_expect_eq(sem_in_binary(&ctx, (sem_type){SEM_TEXTOID, -1}, "\xc3", 1, &d, &err), CM_ERROR);
	cr_expect_str_eq(err.code, "22021");
	cm_error_clear(&err);
}

/* float output under extra_float_digits (PostgreSQL 15 reference values) */
static void fout(double v, bool f4, int efd, const char *want)
{
	cm_buf b;
	cm_buf_init(&b);
	sem_float_out(f4 ? (double) (float) v : v, f4, efd, &b);
	cr_expect_str_eq(b.data, want, "%.17g efd %d", v, efd);
	cm_buf_free(&b);
}

Test(sem_io, float_output)
{
	fout(0.1 + 0.2, false, 1, "0.30000000000000004");
	fout(0.1 + 0.2, false, 0, "0.3");
	fout(1e100, false, 0, "1e+100");
	fout(1.0 / 3, false, 0, "0.333333333333333");
	fout(1.0 / 3, false, 3, "0.3333333333333333");
	fout(1.0 / 3, false, -3, "0.333333333333");
	fout(1.0 / 3, false, -15, "0.3");
	fout(123.456, false, -15, "1e+02");
	fout(0.1, true, 0, "0.1");
	fout(0.1, true, -15, "0.1");
	fout((double) ((float) 1.1 * (float) 1.1), true, 0, "1.21");
	fout(123456789, true, 0, "1.23457e+08");
	fout(1e-5, false, 0, "1e-05");
	fout(1e301, false, 1, "1e+301");
	fout(3.399999952144364e+39, false, 1, "3.399999952144364e+39");
	fout(-0.0, false, 1, "-0");
	fout(INFINITY, true, 1, "Infinity");
}

Test(sem_io, type_names)
{
	char b[64];
	cr_expect_str_eq(sem_type_name(SEM_INT4OID), "integer");
	cr_expect_str_eq(sem_type_name(SEM_VARCHAROID), "character varying");
	cr_expect_str_eq(sem_type_name(SEM_BOOLOID), "boolean");
	cr_expect_str_eq(sem_type_name(SEM_FLOAT8OID), "double precision");
	cr_expect_str_eq(sem_format_type(SEM_VARCHAROID, 9, b, sizeof b), "character varying(5)");
	cr_expect_str_eq(sem_format_type(SEM_NUMERICOID, sem_num_typmod(5, 2), b, sizeof b), "numeric(5,2)");
	cr_expect_str_eq(sem_format_type(SEM_BPCHAROID, -1, b, sizeof b), "bpchar");
	cr_expect_str_eq(sem_format_type(SEM_TIMESTAMPTZOID, 3, b, sizeof b), "timestamp(3) with time zone");
	const char *q[] = {"pg_catalog", "int4"};
	cr_expect_eq(sem_type_lookup(q, 2), SEM_INT4OID);
	cr_expect_eq(sem_type_lookup_name("integer"), SEM_INT4OID);
	cr_expect_eq(sem_type_lookup_name("double precision"), SEM_FLOAT8OID);
	cr_expect_eq(sem_type_lookup_name("character varying"), SEM_VARCHAROID);
	cr_expect_eq(sem_type_lookup_name("decimal"), SEM_NUMERICOID);
	cr_expect_eq(sem_type_lookup_name("bool"), SEM_BOOLOID);
	cr_expect_eq(sem_type_lookup_name("date"), SEM_DATEOID);
	cr_expect_eq(sem_type_lookup_name("nosuchtype"), 0);
}
