/*
 * test_pgw_codec.c -- the protocol codec over byte arrays: framing limits,
 * the bounds-checked reader, message builders, UTF-8 validation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pgwire/pgw_codec.h"

static size_t
frame(char *out, char type, const char *body, size_t len)
{
	out[0] = type;
	uint32_t n = (uint32_t) len + 4;
	out[1] = (char) (n >> 24);
	out[2] = (char) (n >> 16);
	out[3] = (char) (n >> 8);
	out[4] = (char) n;
	memcpy(out + 5, body, len);
	return len + 5;
}

Test(codec, frame_complete_incomplete_and_limits)
{
	char buf[64];
	size_t n = frame(buf, 'Q', "select 1", 9);
	uint8_t type;
	size_t body, total;
	for (size_t cut = 0; cut < n; cut++)
		cr_assert_eq(pgw_frame_check(buf, cut, 1024, &type, &body, &total), PGW_FRAME_INCOMPLETE, "cut %zu", cut);
	cr_assert_eq(pgw_frame_check(buf, n, 1024, &type, &body, &total), PGW_FRAME_READY);
	cr_assert_eq(type, 'Q');
	cr_assert_eq(body, 9);
	cr_assert_eq(total, 14);
	/* over the limit: reported before the body is there */
	cr_assert_eq(pgw_frame_check(buf, 5, 8, &type, &body, &total), PGW_FRAME_TOO_LONG);
	cr_assert_eq(body, 9);
	/* lengths below 4, including negative ones */
	const unsigned char bad[][5] = {{'Q', 0, 0, 0, 3}, {'Q', 0xff, 0xff, 0xff, 0xff}, {'Q', 0x80, 0, 0, 0}};
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(pgw_frame_check((const char *) bad[i], 5, 1024, &type, &body, &total), PGW_FRAME_BAD_LENGTH);
}

Test(codec, startup_frame_limits)
{
	unsigned char p[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}; /* SSLRequest */
	size_t body, total;
	cr_assert_eq(pgw_startup_frame_check((char *) p, 8, &body, &total), PGW_FRAME_READY);
	cr_assert_eq(body, 4);
	cr_assert_eq(pgw_startup_frame_check((char *) p, 7, &body, &total), PGW_FRAME_INCOMPLETE);
	unsigned char big[4] = {0, 0, 0x27, 0x11}; /* 10001 */
	cr_assert_eq(pgw_startup_frame_check((char *) big, 4, &body, &total), PGW_FRAME_TOO_LONG);
	unsigned char ok[4] = {0, 0, 0x27, 0x10}; /* exactly 10000 */
	cr_assert_eq(pgw_startup_frame_check((char *) ok, 4, &body, &total), PGW_FRAME_INCOMPLETE);
	unsigned char tiny[4] = {0, 0, 0, 7};
	cr_assert_eq(pgw_startup_frame_check((char *) tiny, 4, &body, &total), PGW_FRAME_BAD_LENGTH);
}

Test(codec, reader_bounds)
{
	const char body[] = "abc\0\x00\x01\xff\xfe";
	pgw_rd rd;
	pgw_rd_init(&rd, body, 8);
	const char *s;
	int16_t v16;
	cr_assert(pgw_rd_cstr(&rd, &s));
	cr_assert_str_eq(s, "abc");
	cr_assert(pgw_rd_i16(&rd, &v16));
	cr_assert_eq(v16, 1);
	cr_assert(pgw_rd_i16(&rd, &v16));
	cr_assert_eq(v16, -2);
	int32_t v32;
	cr_assert_not(pgw_rd_i32(&rd, &v32));
	cr_assert(rd.bad);
	/* a string without terminator */
	pgw_rd_init(&rd, "xyz", 3);
	cr_assert_not(pgw_rd_cstr(&rd, &s));
	const char *bytes;
	pgw_rd_init(&rd, "xyz", 3);
	cr_assert_not(pgw_rd_bytes(&rd, 4, &bytes));
}

Test(codec, builders_backfill_lengths)
{
	cm_buf b;
	cm_buf_init(&b);
	pgw_put_ready(&b, 'I');
	const unsigned char rfq[] = {'Z', 0, 0, 0, 5, 'I'};
	cr_assert_eq(b.len, sizeof(rfq));
	cr_assert_arr_eq(b.data, rfq, sizeof(rfq));
	cm_buf_reset(&b);
	pgw_put_command_complete(&b, "SELECT 1");
	cr_assert_eq(b.len, 1 + 4 + 9);
	cr_assert_eq((unsigned char) b.data[4], 13);
	cm_buf_reset(&b);
	pgw_put_parameter_status(&b, "client_encoding", "UTF8");
	cr_assert_eq(b.data[0], 'S');
	cr_assert_eq((unsigned char) b.data[4], 4 + 16 + 5);
	cm_buf_reset(&b);
	pgw_put_backend_key(&b, 0x01020304, -1);
	const unsigned char k[] = {'K', 0, 0, 0, 12, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff};
	cr_assert_arr_eq(b.data, k, sizeof(k));
	cm_buf_free(&b);
}

Test(codec, error_response_fields)
{
	cm_error e = {0};
	cm_error_set(&e, CM_E_SYNTAX_ERROR, "syntax error at or near \"%s\"", "selec");
	cm_error_hint(&e, "check it");
	cm_error_position(&e, 7);
	cm_buf b;
	cm_buf_init(&b);
	pgw_put_error(&b, PGW_BE_ERROR_RESPONSE, &e, 0);
	cr_assert_eq(b.data[0], 'E');
	uint32_t len = ((uint32_t) (unsigned char) b.data[1] << 24) | ((uint32_t) (unsigned char) b.data[2] << 16) |
				   ((uint32_t) (unsigned char) b.data[3] << 8) | (unsigned char) b.data[4];
	cr_assert_eq(len + 1, b.len);
	/* walk the fields */
	const char *p = b.data + 5;
	char seen[16] = "";
	while (*p) {
		char code = *p++;
		strncat(seen, &code, 1);
		if (code == 'C')
			cr_assert_str_eq(p, "42601");
		if (code == 'S' || code == 'V')
			cr_assert_str_eq(p, "ERROR");
		if (code == 'P')
			cr_assert_str_eq(p, "7");
		if (code == 'M')
			cr_assert_str_eq(p, "syntax error at or near \"selec\"");
		p += strlen(p) + 1;
	}
	cr_assert_str_eq(seen, "SVCMHP");
	cr_assert_eq((size_t) (p - b.data) + 1, b.len);
	cm_buf_free(&b);
	cm_error_clear(&e);
}

Test(codec, utf8_validation)
{
	size_t bad;
	cr_assert(pgw_utf8_valid("héllo ✓ 𝄞", strlen("héllo ✓ 𝄞"), &bad));
	const struct { const char *s; size_t len; size_t off; } cases[] = {
		{"ab\xff", 3, 2},
		{"\xc3", 1, 0},				 /* truncated */
		{"\xc0\xaf", 2, 0},			 /* overlong */
		{"\xed\xa0\x80", 3, 0},		 /* surrogate */
		{"x\xf4\x90\x80\x80", 5, 1}, /* beyond U+10FFFF */
		{"a\0b", 3, 1},				 /* NUL */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_not(pgw_utf8_valid(cases[i].s, cases[i].len, &bad), "case %zu", i);
		cr_assert_eq(bad, cases[i].off, "case %zu", i);
	}
	cm_error e = {0};
	pgw_utf8_error(&e, "\xff\xfe", 2, 0);
	cr_assert_str_eq(e.code, "22021");
	cr_assert_str_eq(e.message, "invalid byte sequence for encoding \"UTF8\": 0xff");
	cm_error_clear(&e);
	cr_assert_eq(pgw_utf8_chars("héllo", 6), 5);
}

Test(codec, frontend_types)
{
	const char ok[] = "BCdcfDEHFPpQSX";
	for (const char *p = ok; *p; p++)
		cr_assert(pgw_is_frontend_type((uint8_t) *p), "%c", *p);
	cr_assert_not(pgw_is_frontend_type('Z'));
	cr_assert_not(pgw_is_frontend_type(0));
}
