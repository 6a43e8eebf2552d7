/*
 * test_kv_proto.c -- the project's TiKV protocol messages (the proto/ files,
 * compiled by protoc-c): pack / unpack round trips, wire bytes of a few
 * fields checked by hand against the upstream field numbers, and the
 * coexistence of our protobuf-c code with libpg_query's own copy of the
 * protobuf-c runtime in one binary.
 */
#include <criterion/criterion.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>
#include <string.h>

#include "coprocessor.pb-c.h"
#include "errorpb.pb-c.h"
#include "kvrpcpb.pb-c.h"
#include "metapb.pb-c.h"
#include "pdpb.pb-c.h"
#include "select.pb-c.h"
#include "tikvpb.pb-c.h"
#include "kv/store.h"

#define BIN(str) ((ProtobufCBinaryData){ strlen(str), (uint8_t *) (str) })

static Kvrpcpb__PrewriteRequest *
roundtrip_prewrite(const Kvrpcpb__PrewriteRequest *req, uint8_t **wire, size_t *n)
{
	*n = kvrpcpb__prewrite_request__get_packed_size(req);
	*wire = malloc(*n);
	cr_assert_eq(kvrpcpb__prewrite_request__pack(req, *wire), *n);
	return kvrpcpb__prewrite_request__unpack(NULL, *n, *wire);
}

static void
fill_prewrite(Kvrpcpb__PrewriteRequest *req, Kvrpcpb__Context *ctx, Metapb__RegionEpoch *ep,
			  Kvrpcpb__Mutation *m, Kvrpcpb__Mutation **mp)
{
	kvrpcpb__context__init(ctx);
	metapb__region_epoch__init(ep);
	ep->conf_ver = 1;
	ep->version = 7;
	ctx->region_id = 42;
	ctx->region_epoch = ep;
	kvrpcpb__mutation__init(&m[0]);
	m[0].op = KVRPCPB__OP__Put;
	m[0].key = BIN("k1");
	m[0].value = BIN("v1");
	kvrpcpb__mutation__init(&m[1]);
	m[1].op = KVRPCPB__OP__Insert;
	m[1].key = BIN("k2");
	m[1].value = BIN("value two");
	m[1].assertion = KVRPCPB__ASSERTION__NotExist;
	mp[0] = &m[0];
	mp[1] = &m[1];
	kvrpcpb__prewrite_request__init(req);
	req->context = ctx;
	req->mutations = mp;
	req->n_mutations = 2;
	req->primary_lock = BIN("k1");
	req->start_version = 400000000000ULL;
	req->lock_ttl = 3000;
	req->try_one_pc = true;
	req->min_commit_ts = 400000000001ULL;
}

Test(kv_proto, prewrite_roundtrip)
{
	Kvrpcpb__PrewriteRequest req;
	Kvrpcpb__Context ctx;
	Metapb__RegionEpoch ep;
	Kvrpcpb__Mutation m[2], *mp[2];
	fill_prewrite(&req, &ctx, &ep, m, mp);
	uint8_t *wire;
	size_t n;
	Kvrpcpb__PrewriteRequest *u = roundtrip_prewrite(&req, &wire, &n);
	cr_assert_not_null(u);
	cr_assert_eq(u->context->region_id, 42);
	cr_assert_eq(u->context->region_epoch->version, 7);
	cr_assert_eq(u->n_mutations, 2);
	cr_assert_eq(u->mutations[1]->op, KVRPCPB__OP__Insert);
	cr_assert_eq(u->mutations[1]->assertion, KVRPCPB__ASSERTION__NotExist);
	cr_assert_eq(u->mutations[1]->value.len, 9);
	cr_assert_eq(memcmp(u->primary_lock.data, "k1", 2), 0);
	cr_assert_eq(u->start_version, 400000000000ULL);
	cr_assert(u->try_one_pc);
	/* field 1 (context) is the first thing on the wire: tag 0x0A */
	cr_assert_eq(wire[0], 0x0A);
	/* try_one_pc = field 13, varint: tag (13 << 3) = 0x68 followed by 1 */
	bool found = false;
	for (size_t i = 0; i + 1 < n; i++)
		if (wire[i] == 0x68 && wire[i + 1] == 0x01)
			found = true;
	cr_assert(found, "try_one_pc must be field 13");
	kvrpcpb__prewrite_request__free_unpacked(u, NULL);
	free(wire);
}

Test(kv_proto, responses_and_errors_roundtrip)
{
	/* a GetResponse carrying a KeyError.locked and a region error */
	Kvrpcpb__GetResponse r = KVRPCPB__GET_RESPONSE__INIT;
	Kvrpcpb__KeyError ke = KVRPCPB__KEY_ERROR__INIT;
	Kvrpcpb__LockInfo li = KVRPCPB__LOCK_INFO__INIT;
	li.primary_lock = BIN("p");
	li.lock_version = 99;
	li.key = BIN("k");
	li.lock_ttl = 3000;
	li.lock_type = KVRPCPB__OP__Put;
	ke.locked = &li;
	r.error = &ke;
	Errorpb__Error re = ERRORPB__ERROR__INIT;
	Errorpb__EpochNotMatch en = ERRORPB__EPOCH_NOT_MATCH__INIT;
	Metapb__Region reg = METAPB__REGION__INIT, *regs[1] = { &reg };
	reg.id = 5;
	reg.end_key = BIN("zz");
	en.current_regions = regs;
	en.n_current_regions = 1;
	re.epoch_not_match = &en;
	re.message = "epoch not match";
	r.region_error = &re;
	r.commit_ts = 123;
	size_t n = kvrpcpb__get_response__get_packed_size(&r);
	uint8_t *buf = malloc(n);
	kvrpcpb__get_response__pack(&r, buf);
	Kvrpcpb__GetResponse *u = kvrpcpb__get_response__unpack(NULL, n, buf);
	cr_assert_not_null(u);
	cr_assert_eq(u->error->locked->lock_version, 99);
	cr_assert_eq(u->region_error->epoch_not_match->current_regions[0]->id, 5);
	cr_assert_str_eq(u->region_error->message, "epoch not match");
	cr_assert_eq(u->commit_ts, 123);
	/* the store's clear helper frees everything below a heap message too */
	Kvrpcpb__GetResponse copy = *u;
	free(u);
	kv_store_response_clear(&copy.base);
	cr_assert_null(copy.error);
	cr_assert_null(copy.region_error);
	free(buf);

	/* kv_message_dup deep-copies */
	Metapb__Region *d = (Metapb__Region *) kv_message_dup(&reg.base);
	cr_assert_eq(d->id, 5);
	cr_assert_eq(d->end_key.len, 2);
	kv_region_free(d);
}

Test(kv_proto, tipb_and_pd_messages)
{
	Tipb__DAGRequest dag = TIPB__DAGREQUEST__INIT;
	Tipb__Executor ex = TIPB__EXECUTOR__INIT, *exs[1] = { &ex };
	Tipb__TableScan ts = TIPB__TABLE_SCAN__INIT;
	ts.has_table_id = true;
	ts.table_id = 77;
	ex.has_tp = true;
	ex.tp = TIPB__EXEC_TYPE__TypeTableScan;
	ex.tbl_scan = &ts;
	dag.executors = exs;
	dag.n_executors = 1;
	dag.has_encode_type = true;
	dag.encode_type = TIPB__ENCODE_TYPE__TypeChunk;
	uint32_t offs[1] = { 0 };
	dag.output_offsets = offs;
	dag.n_output_offsets = 1;
	size_t n = tipb__dagrequest__get_packed_size(&dag);
	uint8_t *buf = malloc(n);
	tipb__dagrequest__pack(&dag, buf);
	Tipb__DAGRequest *u = tipb__dagrequest__unpack(NULL, n, buf);
	cr_assert_not_null(u);
	cr_assert_eq(u->executors[0]->tbl_scan->table_id, 77);
	cr_assert_eq(u->encode_type, TIPB__ENCODE_TYPE__TypeChunk);
	tipb__dagrequest__free_unpacked(u, NULL);
	free(buf);
	cr_assert_eq(TIPB__SCALAR_FUNC_SIG__GTInt, 120);
	cr_assert_eq(TIPB__SCALAR_FUNC_SIG__CastIntAsInt, 0);
	cr_assert_eq(TIPB__SCALAR_FUNC_SIG__LikeSig, 4310);
	cr_assert_eq(TIPB__EXPR_TYPE__ColumnRef, 201);

	Pdpb__TsoResponse tr = PDPB__TSO_RESPONSE__INIT;
	Pdpb__Timestamp t = PDPB__TIMESTAMP__INIT;
	t.physical = 1700000000000LL;
	t.logical = 5;
	tr.timestamp = &t;
	tr.count = 3;
	n = pdpb__tso_response__get_packed_size(&tr);
	buf = malloc(n);
	pdpb__tso_response__pack(&tr, buf);
	Pdpb__TsoResponse *tu = pdpb__tso_response__unpack(NULL, n, buf);
	cr_assert_eq(tu->timestamp->physical, 1700000000000LL);
	cr_assert_eq(tu->count, 3);
	pdpb__tso_response__free_unpacked(tu, NULL);
	free(buf);

	/* the Tikv service descriptor documents the method names */
	cr_assert_str_eq(tikvpb__tikv__descriptor.name, "tikvpb.Tikv");
	bool has = false;
	for (unsigned i = 0; i < tikvpb__tikv__descriptor.n_methods; i++)
		if (strcmp(tikvpb__tikv__descriptor.methods[i].name, "KVPessimisticRollback") == 0)
			has = true;
	cr_assert(has);
}

Test(kv_proto, coexists_with_pg_query)
{
	/* libpg_query's parse tree through its protobuf-c runtime ... */
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf("select 1");
	cr_assert_null(pr.error);
	PgQuery__ParseResult *tree =
		pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (const uint8_t *) pr.parse_tree.data);
	cr_assert_not_null(tree);
	cr_assert_eq(tree->n_stmts, 1);
	cr_assert_not_null(tree->stmts[0]->stmt->select_stmt);

	/* ... and ours, in the same binary, interleaved */
	Kvrpcpb__PrewriteRequest req;
	Kvrpcpb__Context ctx;
	Metapb__RegionEpoch ep;
	Kvrpcpb__Mutation m[2], *mp[2];
	fill_prewrite(&req, &ctx, &ep, m, mp);
	uint8_t *wire;
	size_t n;
	Kvrpcpb__PrewriteRequest *u = roundtrip_prewrite(&req, &wire, &n);
	cr_assert_not_null(u);
	cr_assert_eq(u->n_mutations, 2);
	cr_assert_eq(memcmp(u->mutations[0]->value.data, "v1", 2), 0);

	/* repack the parse tree after using our code: the runtime is shared */
	size_t tn = pg_query__parse_result__get_packed_size(tree);
	cr_assert_eq(tn, pr.parse_tree.len);
	uint8_t *tb = malloc(tn);
	pg_query__parse_result__pack(tree, tb);
	cr_assert_eq(memcmp(tb, pr.parse_tree.data, tn), 0);
	free(tb);

	kvrpcpb__prewrite_request__free_unpacked(u, NULL);
	free(wire);
	pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(pr);
}
