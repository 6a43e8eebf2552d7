/*
 * test_kv_codec_table.c -- TiDB keys, row format v2/v1 and index values.
 *
 * Vectors follow kv-protocol-facts.md 4.1, 4.5 and 4.8; row v2 bytes were
 * laid out by hand from the header table in 4.5.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_arena.h"
#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "kv/codec/kv_chunk.h"
#include "kv/codec/kv_codec.h"
#include "kv/codec/kv_tablecodec.h"

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

/* ---- keys ------------------------------------------------------------------- */

Test(kv_tablecodec, record_key_layout)
{
	cm_error err = {0};
	cm_buf b;
	cm_buf_init(&b);
	kv_record_key(&b, 1, 1);
	cr_assert_eq(b.len, KV_RECORD_KEY_LEN);
	cr_assert_eq(b.len, 19);
	cr_assert_str_eq(BUF_HEX(b), "74 80 00 00 00 00 00 00 01 5f 72 80 00 00 00 00 00 00 01");
	cr_assert_eq(b.data[0], 't');
	cr_assert_eq(b.data[9], '_');
	cr_assert_eq(b.data[10], 'r');
	uint8_t fixed[KV_RECORD_KEY_LEN];
	kv_record_key_fixed(fixed, 1, 1);
	cr_assert(memcmp(fixed, b.data, 19) == 0);

	int64_t tid, h;
	cr_assert(kv_key_is_record(U8(b), b.len));
	cr_assert_not(kv_key_is_index(U8(b), b.len));
	cr_assert_eq(kv_decode_record_key(U8(b), b.len, &tid, &h, &err), CM_OK);
	cr_assert_eq(tid, 1);
	cr_assert_eq(h, 1);

	cm_buf_reset(&b);
	kv_record_key(&b, 123456, -5);
	cr_assert_eq(kv_decode_record_key(U8(b), b.len, &tid, &h, &err), CM_OK);
	cr_assert_eq(tid, 123456);
	cr_assert_eq(h, -5);
	cr_assert_eq(kv_decode_table_id(U8(b), b.len, &tid, &err), CM_OK);
	cr_assert_eq(tid, 123456);

	/* handles order like integers */
	cm_buf a;
	cm_buf_init(&a);
	kv_record_key(&a, 123456, -6);
	cr_assert_lt(memcmp(a.data, b.data, 19), 0);

	/* wrong lengths and tags */
	expect_corrupt(kv_decode_record_key(U8(b), 18, &tid, &h, &err), &err);
	b.data[10] = 'i';
	expect_corrupt(kv_decode_record_key(U8(b), 19, &tid, &h, &err), &err);
	expect_corrupt(kv_decode_table_id((const uint8_t *) "t\x80", 2, &tid, &err), &err);
	cm_buf_free(&a);
	cm_buf_free(&b);
}

Test(kv_tablecodec, common_handle_record_key)
{
	cm_error err = {0};
	cm_buf b, h;
	cm_buf_init(&b);
	cm_buf_init(&h);
	kv_datum pk[2] = {kv_datum_bytes("ab", 2), kv_datum_int(7)};
	cr_assert_eq(kv_common_record_key(&b, 5, pk, 2, &err), CM_OK);
	cr_assert_eq(kv_encode_key(&h, pk, 2, &err), CM_OK);
	cr_assert_eq(b.len, KV_RECORD_PREFIX_LEN + h.len);
	const uint8_t *hp;
	size_t hl;
	int64_t tid;
	cr_assert_eq(kv_decode_record_key_common(U8(b), b.len, &tid, &hp, &hl, &err), CM_OK);
	cr_assert_eq(tid, 5);
	cr_assert_eq(hl, h.len);
	cr_assert(memcmp(hp, h.data, hl) == 0);
	cm_buf c;
	cm_buf_init(&c);
	kv_record_key_raw(&c, 5, h.data, h.len);
	cr_assert_str_eq(BUF_HEX(c), BUF_HEX(b));
	/* bad decimal leaves the buffer as it was */
	kv_datum bad = kv_datum_decimal("x", 1, 5, 0);
	size_t before = c.len;
	cr_assert_eq(kv_common_record_key(&c, 5, &bad, 1, &err), CM_ERROR);
	cm_error_clear(&err);
	cr_assert_eq(c.len, before);
	cm_buf_free(&b);
	cm_buf_free(&h);
	cm_buf_free(&c);
}

Test(kv_tablecodec, index_key)
{
	cm_error err = {0};
	cm_arena *arena = cm_arena_create(0);
	cm_buf b;
	cm_buf_init(&b);
	kv_datum vals[2] = {kv_datum_int(5), kv_datum_bytes("ab", 2)};
	kv_handle h = kv_handle_int(7);
	cr_assert_eq(kv_index_key(&b, 1, 2, vals, 2, &h, &err), CM_OK);
	cr_assert_str_eq(BUF_HEX(b), "74 80 00 00 00 00 00 00 01 5f 69 80 00 00 00 00 00 00 02"
								 " 03 80 00 00 00 00 00 00 05"
								 " 01 61 62 00 00 00 00 00 00 f9"
								 " 03 80 00 00 00 00 00 00 07");
	cr_assert(kv_key_is_index(U8(b), b.len));
	cr_assert_not(kv_key_is_record(U8(b), b.len));
	int64_t tid, iid, handle;
	const uint8_t *rest;
	size_t rest_len;
	cr_assert_eq(kv_decode_index_key(U8(b), b.len, &tid, &iid, &rest, &rest_len, &err), CM_OK);
	cr_assert_eq(tid, 1);
	cr_assert_eq(iid, 2);
	kv_datum out[2];
	const uint8_t *p = rest, *end = rest + rest_len;
	cr_assert_eq(kv_decode_index_datums(&p, end, 2, arena, out, &err), CM_OK);
	cr_assert_eq(out[0].kind, KV_DATUM_INT64);
	cr_assert_eq(out[0].i, 5);
	cr_assert_eq(out[1].kind, KV_DATUM_BYTES);
	cr_assert_eq(out[1].b.len, 2);
	cr_assert(memcmp(out[1].b.data, "ab", 2) == 0);
	cr_assert_eq(kv_decode_index_int_handle(p, (size_t) (end - p), &handle, &err), CM_OK);
	cr_assert_eq(handle, 7);
	expect_corrupt(kv_decode_index_int_handle(p, 8, &handle, &err), &err);

	/* unique index: no suffix; common handle suffix appended verbatim */
	cm_buf_reset(&b);
	cr_assert_eq(kv_index_key(&b, 1, 2, vals, 1, NULL, &err), CM_OK);
	cr_assert_eq(b.len, KV_INDEX_PREFIX_LEN + 9);
	cm_buf_reset(&b);
	kv_handle ch = kv_handle_common("\x01xyz", 4);
	cr_assert_eq(kv_index_key(&b, 1, 2, vals, 1, &ch, &err), CM_OK);
	cr_assert(memcmp(b.data + b.len - 4, "\x01xyz", 4) == 0);

	/* not an index key */
	expect_corrupt(kv_decode_index_key((const uint8_t *) "t", 1, &tid, &iid, &rest, &rest_len,
									   &err),
				   &err);
	cm_buf_free(&b);
	cm_arena_destroy(arena);
}

Test(kv_tablecodec, ranges_and_prefix_next)
{
	cm_buf s, e, t;
	cm_buf_init(&s);
	cm_buf_init(&e);
	cm_buf_init(&t);
	kv_record_range(&s, &e, 1);
	cr_assert_str_eq(BUF_HEX(s), "74 80 00 00 00 00 00 00 01 5f 72");
	cr_assert_str_eq(BUF_HEX(e), "74 80 00 00 00 00 00 00 01 5f 73");
	/* every record key of the table lies inside */
	kv_record_key(&t, 1, INT64_MAX);
	cr_assert_lt(memcmp(t.data, e.data, e.len), 0);
	cm_buf_reset(&t);
	kv_record_key(&t, 1, INT64_MIN);
	cr_assert_geq(memcmp(t.data, s.data, s.len), 0);

	cm_buf_reset(&s);
	cm_buf_reset(&e);
	kv_index_range(&s, &e, 1, 2);
	cr_assert_str_eq(BUF_HEX(s), "74 80 00 00 00 00 00 00 01 5f 69 80 00 00 00 00 00 00 02");
	cr_assert_str_eq(BUF_HEX(e), "74 80 00 00 00 00 00 00 01 5f 69 80 00 00 00 00 00 00 03");

	cm_buf_reset(&t);
	cr_assert_eq(kv_prefix_next(&t, "ab\xff\xff", 4), 2);
	cr_assert_str_eq(BUF_HEX(t), "61 63");
	cm_buf_reset(&t);
	cr_assert_eq(kv_prefix_next(&t, "a\x00", 2), 2);
	cr_assert_str_eq(BUF_HEX(t), "61 01");
	cm_buf_reset(&t);
	cr_assert_eq(kv_prefix_next(&t, "\xff\xff", 2), 0);
	cr_assert_eq(t.len, 0);
	cr_assert_eq(kv_prefix_next(&t, "", 0), 0);
	cm_buf_free(&s);
	cm_buf_free(&e);
	cm_buf_free(&t);
}

Test(kv_tablecodec, meta_keys)
{
	cm_error err = {0};
	cm_buf b, k, f;
	cm_buf_init(&b);
	cm_buf_init(&k);
	cm_buf_init(&f);
	kv_meta_hash_key(&b, "DBs", 3, "DB:1", 4);
	cr_assert_str_eq(BUF_HEX(b), "6d 44 42 73 00 00 00 00 00 fa"
								 " 00 00 00 00 00 00 00 68"
								 " 44 42 3a 31 00 00 00 00 fb");
	cr_assert_eq(kv_decode_meta_hash_key(U8(b), b.len, &k, &f, &err), CM_OK);
	cr_assert_str_eq(k.data, "DBs");
	cr_assert_str_eq(f.data, "DB:1");
	cm_buf p;
	cm_buf_init(&p);
	kv_meta_hash_prefix(&p, "DBs", 3);
	cr_assert(p.len < b.len && memcmp(p.data, b.data, p.len) == 0);
	cm_buf_reset(&b);
	kv_meta_string_key(&b, "NextGlobalID", 12);
	cr_assert_str_eq(BUF_HEX(b), "6d 4e 65 78 74 47 6c 6f 62 ff 61 6c 49 44 00 00 00 00 fb"
								 " 00 00 00 00 00 00 00 73");
	expect_corrupt(kv_decode_meta_hash_key(U8(b), b.len, NULL, NULL, &err), &err);
	expect_corrupt(kv_decode_meta_hash_key(U8(p), p.len, NULL, NULL, &err), &err);
	cm_buf_free(&b);
	cm_buf_free(&k);
	cm_buf_free(&f);
	cm_buf_free(&p);
}

/* ---- rows --------------------------------------------------------------------- */

Test(kv_tablecodec, row_v2_small_vector)
{
	cm_error err = {0};
	cm_buf b;
	cm_buf_init(&b);
	/* given out of order: ids 3 (NULL), 2 ("abc"), 1 (int 1) */
	int64_t ids[] = {3, 2, 1};
	kv_datum vals[] = {kv_datum_null(), kv_datum_bytes("abc", 3), kv_datum_int(1)};
	cr_assert_eq(kv_row_encode(&b, ids, vals, 3, &err), CM_OK);
	/* 80 | flags 0 | nn 2 | null 1 | ids 01 02, null id 03 | ends 1, 4 | 01 "abc" */
	cr_assert_str_eq(BUF_HEX(b), "80 00 02 00 01 00 01 02 03 01 00 04 00 01 61 62 63");

	int64_t want[] = {1, 2, 3, 4};
	kv_row_cell c[4];
	cr_assert_eq(kv_row_v2_lookup(U8(b), b.len, want, 4, c, &err), CM_OK);
	cr_assert_eq(c[0].state, KV_COL_VALUE);
	cr_assert_eq(c[0].len, 1);
	cr_assert_eq(c[0].data[0], 1);
	cr_assert_eq(c[1].state, KV_COL_VALUE);
	cr_assert_eq(c[1].len, 3);
	cr_assert(memcmp(c[1].data, "abc", 3) == 0);
	cr_assert_eq(c[2].state, KV_COL_NULL);
	cr_assert_eq(c[3].state, KV_COL_ABSENT);
	cm_buf_free(&b);
}

Test(kv_tablecodec, row_v2_payloads)
{
	cm_error err = {0};
	cm_arena *arena = cm_arena_create(0);
	cm_buf b;
	cm_buf_init(&b);
	int64_t ids[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	kv_datum vals[] = {
		kv_datum_int(-1),			 /* 1 byte ff */
		kv_datum_int(300),			 /* 2 bytes 2c 01 */
		kv_datum_int(-70000),		 /* 4 bytes */
		kv_datum_int(INT64_MIN),	 /* 8 bytes */
		kv_datum_uint(255),			 /* 1 byte */
		kv_datum_uint(65536),		 /* 4 bytes */
		kv_datum_uint(UINT64_MAX),	 /* 8 bytes */
		kv_datum_float(1.0),		 /* bf f0 00 .. */
		kv_datum_decimal("-0.5", 4, 3, 2),
		kv_datum_duration(-1000),	 /* 2 bytes */
		kv_datum_bytes("", 0),		 /* empty but not null */
	};
	size_t n = sizeof ids / sizeof ids[0];
	cr_assert_eq(kv_row_encode(&b, ids, vals, n, &err), CM_OK);
	kv_row_cell c[11];
	cr_assert_eq(kv_row_v2_lookup(U8(b), b.len, ids, n, c, &err), CM_OK);
	size_t lens[] = {1, 2, 4, 8, 1, 4, 8, 8, 4, 2, 0};
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(c[i].state, KV_COL_VALUE, "col %zu", i);
		cr_assert_eq(c[i].len, lens[i], "len of col %zu", i);
	}
	cr_assert_str_eq(hex(c[1].data, 2), "2c 01");
	cr_assert_str_eq(hex(c[7].data, 8), "bf f0 00 00 00 00 00 00");
	cr_assert_str_eq(hex(c[8].data, 4), "03 02 7f cd");

	kv_datum_kind kinds[] = {KV_DATUM_INT64,  KV_DATUM_INT64,	KV_DATUM_INT64,
							 KV_DATUM_INT64,  KV_DATUM_UINT64,	KV_DATUM_UINT64,
							 KV_DATUM_UINT64, KV_DATUM_FLOAT64, KV_DATUM_DECIMAL,
							 KV_DATUM_DURATION, KV_DATUM_BYTES};
	kv_datum out[11];
	kv_col_state st[11];
	cr_assert_eq(kv_row_decode(U8(b), b.len, ids, kinds, n, arena, out, st, &err), CM_OK);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(st[i], KV_COL_VALUE);
		cr_assert_eq(out[i].kind, kinds[i]);
		cr_assert_eq(kv_datum_compare(&out[i], &vals[i]), 0, "col %zu", i);
	}
	cr_assert_str_eq((const char *) out[8].b.data, "-0.50");
	cm_buf_free(&b);
	cm_arena_destroy(arena);
}

Test(kv_tablecodec, row_v2_large_forms)
{
	cm_error err = {0};
	cm_buf b;
	cm_buf_init(&b);
	/* large because an id exceeds 255 */
	int64_t ids[] = {300, 2};
	kv_datum vals[] = {kv_datum_int(-1), kv_datum_null()};
	cr_assert_eq(kv_row_encode(&b, ids, vals, 2, &err), CM_OK);
	cr_assert_str_eq(BUF_HEX(b), "80 01 01 00 01 00 2c 01 00 00 02 00 00 00 01 00 00 00 ff");
	kv_row_cell c[2];
	cr_assert_eq(kv_row_v2_lookup(U8(b), b.len, ids, 2, c, &err), CM_OK);
	cr_assert_eq(c[0].state, KV_COL_VALUE);
	cr_assert_eq(c[0].data[0], 0xff);
	cr_assert_eq(c[1].state, KV_COL_NULL);

	/* large because the data exceeds 65535 bytes; ids all small */
	size_t big = 70000;
	char *blob = malloc(big);
	for (size_t i = 0; i < big; i++)
		blob[i] = (char) (i * 7);
	int64_t ids2[] = {3, 1, 2};
	kv_datum vals2[] = {kv_datum_int(9), kv_datum_bytes(blob, big), kv_datum_bytes("x", 1)};
	cm_buf_reset(&b);
	cm_buf_putc(&b, 'Z'); /* the encoder appends: existing bytes stay */
	cr_assert_eq(kv_row_encode(&b, ids2, vals2, 3, &err), CM_OK);
	cr_assert_eq(b.data[0], 'Z');
	const uint8_t *row = U8(b) + 1;
	size_t rlen = b.len - 1;
	cr_assert_eq(row[0], 0x80);
	cr_assert_eq(row[1], KV_ROW_FLAG_LARGE);
	cr_assert_eq(rlen, 6 + 3 * 4 + 3 * 4 + big + 1 + 1);
	kv_row_v2 r;
	cr_assert_eq(kv_row_v2_parse(row, rlen, &r, &err), CM_OK);
	cr_assert(r.large);
	cr_assert_eq(r.n_notnull, 3);
	kv_row_cell x = kv_row_v2_find(&r, 1);
	cr_assert_eq(x.state, KV_COL_VALUE);
	cr_assert_eq(x.len, big);
	cr_assert(memcmp(x.data, blob, big) == 0);
	x = kv_row_v2_find(&r, 2);
	cr_assert_eq(x.len, 1);
	cr_assert_eq(x.data[0], 'x');
	x = kv_row_v2_find(&r, 3);
	cr_assert_eq(x.len, 1);
	cr_assert_eq(x.data[0], 9);
	cr_assert_eq(kv_row_v2_find(&r, 4).state, KV_COL_ABSENT);
	free(blob);

	/* many columns (heap path), random order */
	enum { N = 500 };
	int64_t mids[N];
	kv_datum mvals[N];
	for (int i = 0; i < N; i++) {
		mids[i] = (int64_t) ((i * 7919) % N) + 1;
		mvals[i] = mids[i] % 5 == 0 ? kv_datum_null() : kv_datum_int(mids[i] * 1000);
	}
	cm_buf_reset(&b);
	cr_assert_eq(kv_row_encode(&b, mids, mvals, N, &err), CM_OK);
	cr_assert_eq(kv_row_v2_parse(U8(b), b.len, &r, &err), CM_OK);
	cr_assert_eq(r.n_notnull + r.n_null, N);
	for (int64_t id = 1; id <= N; id++) {
		kv_row_cell cell = kv_row_v2_find(&r, id);
		if (id % 5 == 0) {
			cr_assert_eq(cell.state, KV_COL_NULL);
			continue;
		}
		int64_t v;
		cr_assert_eq(cell.state, KV_COL_VALUE);
		cr_assert_eq(kv_row_cell_int(cell.data, cell.len, &v, &err), CM_OK);
		cr_assert_eq(v, id * 1000);
	}
	cm_buf_free(&b);
}

Test(kv_tablecodec, row_encode_errors)
{
	cm_error err = {0};
	cm_buf b;
	cm_buf_init(&b);
	cm_buf_puts(&b, "keep");
	int64_t dup[] = {1, 1};
	kv_datum v2[] = {kv_datum_int(1), kv_datum_null()};
	cr_assert_eq(kv_row_encode(&b, dup, v2, 2, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INTERNAL_ERROR));
	cm_error_clear(&err);
	int64_t neg[] = {-1};
	cr_assert_eq(kv_row_encode(&b, neg, v2, 1, &err), CM_ERROR);
	cm_error_clear(&err);
	int64_t one[] = {1};
	kv_datum mx = kv_datum_max();
	cr_assert_eq(kv_row_encode(&b, one, &mx, 1, &err), CM_ERROR);
	cm_error_clear(&err);
	kv_datum bad = kv_datum_decimal("1.2.3", 5, 5, 1);
	cr_assert_eq(kv_row_encode(&b, one, &bad, 1, &err), CM_ERROR);
	cr_assert(cm_error_is(&err, CM_E_INVALID_TEXT_REPRESENTATION));
	cm_error_clear(&err);
	cr_assert_eq(b.len, 4);
	cr_assert_str_eq(b.data, "keep");
	/* an empty row is just the header */
	cm_buf_reset(&b);
	cr_assert_eq(kv_row_encode(&b, NULL, NULL, 0, &err), CM_OK);
	cr_assert_str_eq(BUF_HEX(b), "80 00 00 00 00 00");
	cm_buf_free(&b);
}

Test(kv_tablecodec, row_v2_corrupt)
{
	cm_error err = {0};
	kv_row_v2 r;
	int64_t id = 1;
	kv_row_cell c;
	const uint8_t notv2[] = {0x81, 0, 0, 0, 0, 0};
	expect_corrupt(kv_row_v2_parse(notv2, sizeof notv2, &r, &err), &err);
	const uint8_t shorthdr[] = {0x80, 0, 2, 0};
	expect_corrupt(kv_row_v2_parse(shorthdr, sizeof shorthdr, &r, &err), &err);
	/* says 2 not-null columns but has room for 1 id */
	const uint8_t trunc[] = {0x80, 0, 2, 0, 0, 0, 1};
	expect_corrupt(kv_row_v2_parse(trunc, sizeof trunc, &r, &err), &err);
	/* offset past the data */
	const uint8_t past[] = {0x80, 0, 1, 0, 0, 0, 1, 5, 0, 'a'};
	expect_corrupt(kv_row_v2_lookup(past, sizeof past, &id, 1, &c, &err), &err);
	/* decreasing offsets */
	const uint8_t dec[] = {0x80, 0, 2, 0, 0, 0, 1, 2, 2, 0, 1, 0, 'a', 'b'};
	expect_corrupt(kv_row_v2_parse(dec, sizeof dec, &r, &err), &err);
	/* ids not ascending */
	const uint8_t unsorted[] = {0x80, 0, 2, 0, 0, 0, 2, 1, 1, 0, 2, 0, 'a', 'b'};
	expect_corrupt(kv_row_v2_parse(unsorted, sizeof unsorted, &r, &err), &err);
	/* a checksum tail after the data is tolerated */
	const uint8_t cks[] = {0x80, KV_ROW_FLAG_CHECKSUM, 1, 0, 0, 0, 1, 1, 0, 7, 0, 1, 2, 3, 4};
	cr_assert_eq(kv_row_v2_lookup(cks, sizeof cks, &id, 1, &c, &err), CM_OK);
	cr_assert_eq(c.len, 1);
	cr_assert_eq(c.data[0], 7);
	/* typed cells of impossible sizes */
	int64_t v;
	uint64_t u;
	double d;
	expect_corrupt(kv_row_cell_int(cks, 3, &v, &err), &err);
	expect_corrupt(kv_row_cell_uint(cks, 5, &u, &err), &err);
	expect_corrupt(kv_row_cell_float(cks, 4, &d, &err), &err);
	cm_buf t;
	cm_buf_init(&t);
	const uint8_t dcell[] = {3, 2, 0x7f, 0xcd, 0x00};
	expect_corrupt(kv_row_cell_decimal(dcell, sizeof dcell, &t, NULL, NULL, &err), &err);
	cm_buf_free(&t);
}

Test(kv_tablecodec, row_v1_decode)
{
	cm_error err = {0};
	cm_arena *arena = cm_arena_create(0);
	cm_buf b;
	cm_buf_init(&b);
	/* v1: (1, 42) (2, "hi") (3, NULL) (5, duration flattened to int) */
	kv_datum pairs[] = {kv_datum_int(1), kv_datum_int(42),		   kv_datum_int(2),
						kv_datum_bytes("hi", 2), kv_datum_int(3), kv_datum_null(),
						kv_datum_int(5), kv_datum_int(-1000)};
	cr_assert_eq(kv_encode_value(&b, pairs, 8, &err), CM_OK);
	cr_assert_eq((uint8_t) b.data[0], KV_FLAG_VARINT);
	int64_t ids[] = {2, 1, 3, 4, 5};
	kv_datum_kind kinds[] = {KV_DATUM_BYTES, KV_DATUM_UINT64, KV_DATUM_INT64, KV_DATUM_INT64,
							 KV_DATUM_DURATION};
	kv_datum out[5];
	kv_col_state st[5];
	cr_assert_eq(kv_row_decode(U8(b), b.len, ids, kinds, 5, arena, out, st, &err), CM_OK);
	cr_assert_eq(st[0], KV_COL_VALUE);
	cr_assert_eq(out[0].b.len, 2);
	cr_assert(memcmp(out[0].b.data, "hi", 2) == 0);
	cr_assert_eq(st[1], KV_COL_VALUE);
	cr_assert_eq(out[1].kind, KV_DATUM_UINT64);
	cr_assert_eq(out[1].u, 42);
	cr_assert_eq(st[2], KV_COL_NULL);
	cr_assert_eq(out[2].kind, KV_DATUM_NULL);
	cr_assert_eq(st[3], KV_COL_ABSENT);
	cr_assert_eq(st[4], KV_COL_VALUE);
	cr_assert_eq(out[4].kind, KV_DATUM_DURATION);
	cr_assert_eq(out[4].i, -1000);

	/* the empty v1 row */
	const uint8_t empty[] = {0x00};
	cr_assert_eq(kv_row_decode(empty, 1, ids, kinds, 5, arena, out, st, &err), CM_OK);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(st[i], KV_COL_ABSENT);
	/* type mismatch and truncation */
	kv_datum_kind wrong[] = {KV_DATUM_FLOAT64};
	expect_corrupt(kv_row_decode(U8(b), b.len, ids, wrong, 1, arena, out, st, &err), &err);
	expect_corrupt(kv_row_decode(U8(b), b.len - 1, ids, kinds, 5, arena, out, st, &err), &err);
	const uint8_t badid[] = {KV_FLAG_COMPACT_BYTES, 0x02, 'a', 0x00};
	expect_corrupt(kv_row_decode(badid, sizeof badid, ids, kinds, 1, arena, out, NULL, &err),
				   &err);
	cm_buf_free(&b);
	cm_arena_destroy(arena);
}

/* ---- index values --------------------------------------------------------------- */

Test(kv_tablecodec, index_values)
{
	cm_error err = {0};
	cm_buf b;
	cm_buf_init(&b);
	kv_index_value iv;
	kv_index_value_unique(&b, -2);
	cr_assert_str_eq(BUF_HEX(b), "ff ff ff ff ff ff ff fe"); /* not sign-flipped */
	cr_assert_eq(kv_index_value_decode(U8(b), b.len, &iv, &err), CM_OK);
	cr_assert(iv.has_int_handle);
	cr_assert_eq(iv.int_handle, -2);
	cr_assert_not(iv.untouched);
	cm_buf_putc(&b, '1');
	cr_assert_eq(kv_index_value_decode(U8(b), b.len, &iv, &err), CM_OK);
	cr_assert(iv.untouched);
	cr_assert_eq(iv.int_handle, -2);

	cm_buf_reset(&b);
	kv_index_value_nonunique(&b);
	cr_assert_str_eq(BUF_HEX(b), "30");
	cr_assert_eq(kv_index_value_decode(U8(b), b.len, &iv, &err), CM_OK);
	cr_assert_not(iv.has_int_handle);
	cr_assert_not(iv.untouched);
	cr_assert_eq(kv_index_value_decode((const uint8_t *) "1", 1, &iv, &err), CM_OK);
	cr_assert(iv.untouched);

	/* version 0 new format, common handle 01 02, 4 bytes of padding */
	const uint8_t common[] = {0x04, 0x7F, 0x00, 0x02, 0x01, 0x02, 0, 0, 0, 0};
	cr_assert_eq(kv_index_value_decode(common, sizeof common, &iv, &err), CM_OK);
	cr_assert_not(iv.has_int_handle);
	cr_assert_eq(iv.common_len, 2);
	cr_assert_eq(iv.common, common + 4);
	/* restore data (an empty v2 row) + int handle 42 */
	const uint8_t restore[] = {0x08, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2A};
	cr_assert_eq(kv_index_value_decode(restore, sizeof restore, &iv, &err), CM_OK);
	cr_assert(iv.has_int_handle);
	cr_assert_eq(iv.int_handle, 42);
	cr_assert_eq(iv.restore, restore + 1);
	cr_assert_eq(iv.restore_len, 6);
	/* global index partition 5, handle 7, untouched */
	cm_buf_reset(&b);
	cm_buf_putc(&b, 9);
	cm_buf_putc(&b, 0x7E);
	kv_encode_int(&b, 5);
	kv_index_value_unique(&b, 7);
	cm_buf_putc(&b, '1');
	cr_assert_eq(kv_index_value_decode(U8(b), b.len, &iv, &err), CM_OK);
	cr_assert(iv.has_partition);
	cr_assert_eq(iv.partition_id, 5);
	cr_assert_eq(iv.int_handle, 7);
	cr_assert(iv.untouched);
	/* clustered version 1 with restore data and the untouched flag */
	const uint8_t v1[] = {0x01, 0x7D, 0x01, 0x80, 0, 0, 0, 0, 0, '1'};
	cr_assert_eq(kv_index_value_decode(v1, sizeof v1, &iv, &err), CM_OK);
	cr_assert_eq(iv.version, 1);
	cr_assert_eq(iv.restore_len, 6);
	cr_assert(iv.untouched);
	cr_assert_not(iv.has_int_handle);

	/* corrupt */
	expect_corrupt(kv_index_value_decode(U8(b), 0, &iv, &err), &err);
	expect_corrupt(kv_index_value_decode((const uint8_t *) "abcde", 5, &iv, &err), &err);
	expect_corrupt(kv_index_value_decode((const uint8_t *) "2", 1, &iv, &err), &err);
	expect_corrupt(kv_index_value_decode((const uint8_t *) "abcdefgh2", 9, &iv, &err), &err);
	const uint8_t longtail[] = {0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	expect_corrupt(kv_index_value_decode(longtail, sizeof longtail, &iv, &err), &err);
	const uint8_t badopt[] = {0x00, 0x55, 0, 0, 0, 0, 0, 0, 0, 0};
	expect_corrupt(kv_index_value_decode(badopt, sizeof badopt, &iv, &err), &err);
	const uint8_t shortch[] = {0x00, 0x7F, 0x00, 0x30, 0, 0, 0, 0, 0, 0};
	expect_corrupt(kv_index_value_decode(shortch, sizeof shortch, &iv, &err), &err);
	cm_buf_free(&b);
}

/* ---- robustness: mutated and truncated inputs ------------------------------------ */

static uint64_t fz_state = 0xC0FFEE123456789ull;

static uint64_t
fz(void)
{
	fz_state ^= fz_state << 13;
	fz_state ^= fz_state >> 7;
	fz_state ^= fz_state << 17;
	return fz_state;
}

/* A decoder outcome on arbitrary input: success, or a corrupt-data (or
 * unsupported json) error -- never any other failure. */
static void
ok_or_corrupt(cm_status st, cm_error *err)
{
	if (st != CM_OK)
		cr_assert(cm_error_is(err, CM_E_DATA_CORRUPTED) ||
					  cm_error_is(err, CM_E_FEATURE_NOT_SUPPORTED),
				  "unexpected %s: %s", err->code, err->message ? err->message : "");
	cm_error_clear(err);
}

/* Every decoder must either succeed or report an error, never read outside
 * [p, p+len).  Inputs live in exact-size heap blocks so ASan sees overreads. */
static void
feed_all(const uint8_t *src, size_t len, cm_arena *arena)
{
	cm_error err = {0};
	uint8_t *p = malloc(len ? len : 1);
	if (len)
		memcpy(p, src, len);
	const uint8_t *q, *end = p + len;
	kv_datum d[4];
	kv_col_state st[4];
	cm_buf tmp;
	cm_buf_init(&tmp);

	cm_status rc = CM_OK;
	for (q = p; q < end && rc == CM_OK;)
		rc = kv_decode_datum(&q, end, arena, &d[0], &err);
	ok_or_corrupt(rc, &err);
	rc = CM_OK;
	for (q = p; q < end && rc == CM_OK;)
		rc = kv_cut_datum(&q, end, &err);
	ok_or_corrupt(rc, &err);
	int64_t ids[4] = {1, 2, 3, 300};
	kv_datum_kind kinds[4] = {KV_DATUM_INT64, KV_DATUM_BYTES, KV_DATUM_DECIMAL, KV_DATUM_FLOAT64};
	ok_or_corrupt(kv_row_decode(p, len, ids, kinds, 4, arena, d, st, &err), &err);
	kv_index_value iv;
	ok_or_corrupt(kv_index_value_decode(p, len, &iv, &err), &err);
	ok_or_corrupt(kv_decode_meta_hash_key(p, len, &tmp, &tmp, &err), &err);
	q = p;
	ok_or_corrupt(kv_decode_decimal(&q, end, &tmp, NULL, NULL, &err), &err);
	if (len >= KV_MYDECIMAL_SIZE) {
		ok_or_corrupt(kv_mydecimal_decode(p, &tmp, &err), &err);
	}
	size_t sizes[] = {KV_CHUNK_VAR, KV_CHUNK_F32, KV_CHUNK_I64, KV_CHUNK_DECIMAL};
	for (size_t s = 0; s < 4; s++) {
		kv_chunk_col c;
		q = p;
		rc = kv_chunk_col_read(&q, end, sizes[s], &c, &err);
		if (rc == CM_OK) {
			for (uint32_t r = 0; r < c.length; r++) {
				const uint8_t *bp;
				size_t bn;
				(void) kv_chunk_col_is_null(&c, r);
				kv_chunk_col_bytes(&c, r, &bp, &bn);
				(void) kv_chunk_col_i64(&c, r);
				(void) kv_chunk_col_f32(&c, r);
				if (sizes[s] == KV_CHUNK_DECIMAL)
					ok_or_corrupt(kv_chunk_col_decimal(&c, r, &tmp, &err), &err);
			}
		}
		ok_or_corrupt(rc, &err);
	}
	cm_buf_free(&tmp);
	free(p);
}

Test(kv_tablecodec, mutated_inputs_are_rejected_safely)
{
	cm_error err = {0};
	cm_arena *arena = cm_arena_create(0);
	cm_buf seeds[6];
	for (int i = 0; i < 6; i++)
		cm_buf_init(&seeds[i]);
	kv_datum vals[] = {kv_datum_int(-7), kv_datum_bytes("abcdefghijk", 11),
					   kv_datum_decimal("-12.345", 7, 8, 3), kv_datum_float(2.5),
					   kv_datum_uint(99), kv_datum_null()};
	cr_assert_eq(kv_encode_key(&seeds[0], vals, 6, &err), CM_OK);
	cr_assert_eq(kv_encode_value(&seeds[1], vals, 6, &err), CM_OK);
	int64_t ids[] = {1, 2, 3, 300, 5, 6};
	cr_assert_eq(kv_row_encode(&seeds[2], ids, vals, 6, &err), CM_OK);
	ids[3] = 4;
	cr_assert_eq(kv_row_encode(&seeds[3], ids, vals, 6, &err), CM_OK);
	kv_meta_hash_key(&seeds[4], "DB:1", 4, "Table:77", 8);
	kv_chunk_writer w;
	kv_chunk_writer_init(&w, KV_CHUNK_VAR);
	kv_chunk_append_bytes(&w, "xy", 2);
	kv_chunk_append_null(&w);
	kv_chunk_append_bytes(&w, "z", 1);
	kv_chunk_col_finish(&w, &seeds[5]);
	kv_chunk_writer_free(&w);

	uint8_t buf[256];
	for (int iter = 0; iter < 20000; iter++) {
		cm_buf *s = &seeds[fz() % 6];
		size_t len = s->len;
		memcpy(buf, s->data, len);
		switch (fz() % 3) {
		case 0: /* truncate */
			len = (size_t) (fz() % (len + 1));
			break;
		case 1: /* flip bytes */
			for (int k = 0; k < 1 + (int) (fz() % 3); k++)
				buf[fz() % len] ^= (uint8_t) (1u << (fz() % 8));
			break;
		default: /* random garbage */
			len = (size_t) (fz() % 64);
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t) fz();
			break;
		}
		feed_all(buf, len, arena);
		if (iter % 1000 == 0)
			cm_arena_reset(arena);
	}
	for (int i = 0; i < 6; i++)
		cm_buf_free(&seeds[i]);
	cm_arena_destroy(arena);
}
