/*
 * test_kv_codec_chunk.c -- TypeChunk column codec and CoreTime.
 *
 * Layout vectors follow kv-protocol-facts.md 7.5 (u32 length, u32 null count,
 * bitmap if any null, i64 offsets for var-length, data) and 4.7 (CoreTime).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "kv/codec/kv_chunk.h"
#include "kv/codec/kv_codec.h"

static const char *
hex(const void *p, size_t n)
{
	static char out[4096];
	const uint8_t *q = p;
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o + 4 < sizeof out; i++)
		o += (size_t) snprintf(out + o, sizeof out - o, i ? " %02x" : "%02x", q[i]);
	return out;
}

#define BUF_HEX(b) hex((b).data, (b).len)
#define U8(b) ((const uint8_t *) (b).data)

static void
expect_corrupt(cm_status st, cm_error *err)
{
	cr_assert_eq(st, CM_ERROR);
	cr_assert(cm_error_is(err, CM_E_DATA_CORRUPTED), "got %s: %s", err->code,
			  err->message ? err->message : "");
	cm_error_clear(err);
}

Test(kv_chunk, int_column_vector)
{
	cm_error err = {0};
	kv_chunk_writer w;
	cm_buf out;
	cm_buf_init(&out);
	kv_chunk_writer_init(&w, KV_CHUNK_I64);
	kv_chunk_append_i64(&w, 1);
	kv_chunk_append_null(&w);
	kv_chunk_append_i64(&w, -3);
	kv_chunk_col_finish(&w, &out);
	cr_assert_str_eq(BUF_HEX(out), "03 00 00 00 01 00 00 00 05"
								   " 01 00 00 00 00 00 00 00"
								   " 00 00 00 00 00 00 00 00"
								   " fd ff ff ff ff ff ff ff");
	const uint8_t *p = U8(out);
	kv_chunk_col c;
	cr_assert_eq(kv_chunk_col_read(&p, p + out.len, KV_CHUNK_I64, &c, &err), CM_OK);
	cr_assert_eq(p, U8(out) + out.len);
	cr_assert_eq(c.length, 3);
	cr_assert_eq(c.null_count, 1);
	cr_assert_not(kv_chunk_col_is_null(&c, 0));
	cr_assert(kv_chunk_col_is_null(&c, 1));
	cr_assert_eq(kv_chunk_col_i64(&c, 0), 1);
	cr_assert_eq(kv_chunk_col_i64(&c, 2), -3);

	/* no nulls: no bitmap */
	kv_chunk_writer_reset(&w);
	cm_buf_reset(&out);
	kv_chunk_append_i64(&w, 7);
	kv_chunk_col_finish(&w, &out);
	cr_assert_str_eq(BUF_HEX(out), "01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 00");
	kv_chunk_writer_free(&w);
	cm_buf_free(&out);
}

Test(kv_chunk, var_column_vector)
{
	cm_error err = {0};
	kv_chunk_writer w;
	cm_buf out;
	cm_buf_init(&out);
	kv_chunk_writer_init(&w, KV_CHUNK_VAR);
	kv_chunk_append_bytes(&w, "a", 1);
	kv_chunk_append_null(&w);
	kv_chunk_append_bytes(&w, "bcd", 3);
	kv_chunk_append_bytes(&w, "", 0);
	kv_chunk_col_finish(&w, &out);
	cr_assert_str_eq(BUF_HEX(out), "04 00 00 00 01 00 00 00 0d"
								   " 00 00 00 00 00 00 00 00"
								   " 01 00 00 00 00 00 00 00"
								   " 01 00 00 00 00 00 00 00"
								   " 04 00 00 00 00 00 00 00"
								   " 04 00 00 00 00 00 00 00"
								   " 61 62 63 64");
	const uint8_t *p = U8(out);
	kv_chunk_col c;
	cr_assert_eq(kv_chunk_col_read(&p, p + out.len, KV_CHUNK_VAR, &c, &err), CM_OK);
	const uint8_t *s;
	size_t n;
	kv_chunk_col_bytes(&c, 0, &s, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(s[0], 'a');
	cr_assert(kv_chunk_col_is_null(&c, 1));
	kv_chunk_col_bytes(&c, 1, &s, &n);
	cr_assert_eq(n, 0);
	kv_chunk_col_bytes(&c, 2, &s, &n);
	cr_assert_eq(n, 3);
	cr_assert(memcmp(s, "bcd", 3) == 0);
	kv_chunk_col_bytes(&c, 3, &s, &n);
	cr_assert_eq(n, 0);
	cr_assert_not(kv_chunk_col_is_null(&c, 3));
	kv_chunk_writer_free(&w);
	cm_buf_free(&out);
}

/* A chunk of several columns of every kind, with nulls, read back in order. */
Test(kv_chunk, multi_column_roundtrip)
{
	cm_error err = {0};
	enum { ROWS = 1000 };
	kv_chunk_writer wi, wf, wf32, ws, wd, wt;
	kv_chunk_writer_init(&wi, KV_CHUNK_I64);
	kv_chunk_writer_init(&wf, KV_CHUNK_I64);
	kv_chunk_writer_init(&wf32, KV_CHUNK_F32);
	kv_chunk_writer_init(&ws, KV_CHUNK_VAR);
	kv_chunk_writer_init(&wd, KV_CHUNK_DECIMAL);
	kv_chunk_writer_init(&wt, KV_CHUNK_I64);
	char s[64];
	for (int r = 0; r < ROWS; r++) {
		bool null = r % 7 == 3;
		if (null) {
			kv_chunk_append_null(&wi);
			kv_chunk_append_null(&wf);
			kv_chunk_append_null(&wf32);
			kv_chunk_append_null(&ws);
			kv_chunk_append_null(&wd);
			kv_chunk_append_null(&wt);
			continue;
		}
		kv_chunk_append_i64(&wi, (int64_t) r * -1000003);
		kv_chunk_append_f64(&wf, r / 8.0);
		kv_chunk_append_f32(&wf32, (float) r / 4.0f);
		int n = snprintf(s, sizeof s, "row-%d", r);
		kv_chunk_append_bytes(&ws, s, (size_t) n);
		n = snprintf(s, sizeof s, "%s%d.%03d", r % 2 ? "-" : "", r * 1000, r);
		cr_assert_eq(kv_chunk_append_decimal(&wd, s, (size_t) n, &err), CM_OK);
		kv_time t = {1970 + r % 100, 1 + r % 12, 1 + r % 28, r % 24, r % 60, r % 60, r * 17};
		cr_assert_eq(kv_chunk_append_time(&wt, &t, KV_TIME_DATETIME, 6, &err), CM_OK);
	}
	cm_buf out;
	cm_buf_init(&out);
	kv_chunk_col_finish(&wi, &out);
	kv_chunk_col_finish(&wf, &out);
	kv_chunk_col_finish(&wf32, &out);
	kv_chunk_col_finish(&ws, &out);
	kv_chunk_col_finish(&wd, &out);
	kv_chunk_col_finish(&wt, &out);

	const uint8_t *p = U8(out), *end = p + out.len;
	kv_chunk_col ci, cf, cf32, cs, cd, ct;
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_I64, &ci, &err), CM_OK);
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_I64, &cf, &err), CM_OK);
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_F32, &cf32, &err), CM_OK);
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_VAR, &cs, &err), CM_OK);
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_DECIMAL, &cd, &err), CM_OK);
	cr_assert_eq(kv_chunk_col_read(&p, end, KV_CHUNK_I64, &ct, &err), CM_OK);
	cr_assert_eq(p, end);
	cm_buf t;
	cm_buf_init(&t);
	for (uint32_t r = 0; r < ROWS; r++) {
		bool null = r % 7 == 3;
		cr_assert_eq(kv_chunk_col_is_null(&ci, r), null);
		cr_assert_eq(kv_chunk_col_is_null(&cs, r), null);
		cr_assert_eq(kv_chunk_col_is_null(&cd, r), null);
		if (null)
			continue;
		cr_assert_eq(kv_chunk_col_i64(&ci, r), (int64_t) r * -1000003);
		cr_assert_eq(kv_chunk_col_f64(&cf, r), r / 8.0);
		cr_assert_eq(kv_chunk_col_f32(&cf32, r), (float) r / 4.0f);
		const uint8_t *sp;
		size_t sn;
		kv_chunk_col_bytes(&cs, r, &sp, &sn);
		int n = snprintf(s, sizeof s, "row-%u", r);
		cr_assert_eq(sn, (size_t) n);
		cr_assert(memcmp(sp, s, sn) == 0);
		cm_buf_reset(&t);
		cr_assert_eq(kv_chunk_col_decimal(&cd, r, &t, &err), CM_OK);
		snprintf(s, sizeof s, "%s%u.%03u", (r % 2 && r) ? "-" : "", r * 1000, r);
		cr_assert_str_eq(t.data, s);
		kv_time tm;
		kv_time_type tp;
		int fsp;
		cr_assert_eq(kv_chunk_col_time(&ct, r, &tm, &tp, &fsp, &err), CM_OK);
		kv_time want = {1970 + (int) r % 100, 1 + (int) r % 12, 1 + (int) r % 28, (int) r % 24,
						(int) r % 60,		  (int) r % 60,		  (int) r * 17};
		cr_assert(memcmp(&tm, &want, sizeof tm) == 0, "time row %u", r);
		cr_assert_eq(tp, KV_TIME_DATETIME);
		cr_assert_eq(fsp, 6);
	}
	cm_buf_free(&t);
	cm_buf_free(&out);
	kv_chunk_writer_free(&wi);
	kv_chunk_writer_free(&wf);
	kv_chunk_writer_free(&wf32);
	kv_chunk_writer_free(&ws);
	kv_chunk_writer_free(&wd);
	kv_chunk_writer_free(&wt);
}

Test(kv_chunk, coretime)
{
	cm_error err = {0};
	/* 2024-02-29 13:45:59.123456, DATETIME fsp 6: fspTt = 6<<1 = 0xc */
	kv_time t = {2024, 2, 29, 13, 45, 59, 123456};
	uint64_t v;
	cr_assert_eq(kv_coretime_encode(&t, KV_TIME_DATETIME, 6, &v, &err), CM_OK);
	cr_assert_eq(v, 0x1fa0badb7b1e240cull);
	kv_time d = {2024, 2, 29, 0, 0, 0, 0};
	cr_assert_eq(kv_coretime_encode(&d, KV_TIME_DATE, 0, &v, &err), CM_OK);
	cr_assert_eq(v, 0x1fa0ba000000000eull);
	kv_time back;
	kv_time_type tp;
	int fsp;
	cr_assert_eq(kv_coretime_decode(v, &back, &tp, &fsp, &err), CM_OK);
	cr_assert_eq(tp, KV_TIME_DATE);
	cr_assert(memcmp(&back, &d, sizeof d) == 0);
	cr_assert_eq(kv_coretime_encode(&t, KV_TIME_TIMESTAMP, 3, &v, &err), CM_OK);
	cr_assert_eq(v & 0xF, 0x7);
	cr_assert_eq(kv_coretime_decode(v, &back, &tp, &fsp, &err), CM_OK);
	cr_assert_eq(tp, KV_TIME_TIMESTAMP);
	cr_assert_eq(fsp, 3);
	cr_assert(memcmp(&back, &t, sizeof t) == 0);
	/* errors */
	cr_assert_eq(kv_coretime_encode(&t, KV_TIME_DATETIME, 7, &v, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INVALID_PARAMETER_VALUE));
	cm_error_clear(&err);
	kv_time bad = {2024, 2, 29, 24, 0, 0, 0};
	cr_assert_eq(kv_coretime_encode(&bad, KV_TIME_DATETIME, 0, &v, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_DATETIME_FIELD_OVERFLOW));
	cm_error_clear(&err);
	expect_corrupt(kv_coretime_decode(0x1fa0ba000000000full, &back, &tp, &fsp, &err), &err);
	expect_corrupt(kv_coretime_decode((uint64_t) 13 << 46, &back, &tp, &fsp, &err), &err);
}

Test(kv_chunk, corrupt_columns)
{
	cm_error err = {0};
	kv_chunk_col c;
	const uint8_t *p;
	/* header truncated */
	const uint8_t h[] = {1, 0, 0, 0, 0, 0, 0};
	p = h;
	expect_corrupt(kv_chunk_col_read(&p, h + sizeof h, KV_CHUNK_I64, &c, &err), &err);
	/* null count above length */
	const uint8_t nc[] = {1, 0, 0, 0, 2, 0, 0, 0, 0};
	p = nc;
	expect_corrupt(kv_chunk_col_read(&p, nc + sizeof nc, KV_CHUNK_I64, &c, &err), &err);
	/* null count does not match bitmap (bitmap says not null) */
	const uint8_t bm[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	p = bm;
	expect_corrupt(kv_chunk_col_read(&p, bm + sizeof bm, KV_CHUNK_I64, &c, &err), &err);
	/* fixed data truncated */
	const uint8_t fd[] = {2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
	p = fd;
	expect_corrupt(kv_chunk_col_read(&p, fd + sizeof fd, KV_CHUNK_I64, &c, &err), &err);
	/* offsets decreasing, first offset non-zero, past the data */
	uint8_t vo[8 + 3 * 8 + 2] = {2, 0, 0, 0, 0, 0, 0, 0};
	vo[8] = 0;
	vo[16] = 2;
	vo[24] = 1;
	p = vo;
	expect_corrupt(kv_chunk_col_read(&p, vo + sizeof vo, KV_CHUNK_VAR, &c, &err), &err);
	vo[8] = 1;
	vo[16] = 1;
	vo[24] = 2;
	p = vo;
	expect_corrupt(kv_chunk_col_read(&p, vo + sizeof vo, KV_CHUNK_VAR, &c, &err), &err);
	vo[8] = 0;
	vo[24] = 3;
	p = vo;
	expect_corrupt(kv_chunk_col_read(&p, vo + sizeof vo, KV_CHUNK_VAR, &c, &err), &err);
	vo[24] = 2;
	p = vo;
	cr_assert_eq(kv_chunk_col_read(&p, vo + sizeof vo, KV_CHUNK_VAR, &c, &err), CM_OK);
	/* negative offset (high bit) */
	vo[31] = 0x80;
	p = vo;
	expect_corrupt(kv_chunk_col_read(&p, vo + sizeof vo, KV_CHUNK_VAR, &c, &err), &err);
	/* a decimal element with a bad word */
	uint8_t dec[8 + KV_MYDECIMAL_SIZE] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F};
	p = dec;
	cr_assert_eq(kv_chunk_col_read(&p, dec + sizeof dec, KV_CHUNK_DECIMAL, &c, &err), CM_OK);
	cm_buf t;
	cm_buf_init(&t);
	expect_corrupt(kv_chunk_col_decimal(&c, 0, &t, &err), &err);
	cm_buf_free(&t);
}
