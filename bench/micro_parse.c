/*
 * micro_parse.c -- what a plan-cache key costs: libpg_query's full parse
 * (protobuf + protobuf-c unpack, what sql_parse does) against
 * pg_query_scan (with the protobuf-c unpack, and alone: pgkv's plan-cache
 * key decodes the scan's protobuf by hand, sql/plancache.c) and
 * pg_query_normalize, for a few statements.
 *
 * Build and run: bash bench/micro.sh.  Prints nanoseconds per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>


static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static const char *const queries[] = {
	"select 1",
	"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;",
	"SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind IN ('r', 'v') AND n.nspname = 'public' ORDER BY 1 LIMIT 50",
};

int
main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 20000;
	printf("%-14s %10s %10s %10s %10s\n", "query", "parse+unp", "scan+unp", "scan only", "normalize");
	for (size_t qi = 0; qi < sizeof(queries) / sizeof(queries[0]); qi++) {
		const char *q = queries[qi];
		double t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			PgQueryProtobufParseResult r = pg_query_parse_protobuf(q);
			PgQuery__ParseResult *t =
				pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *) r.parse_tree.data);
			pg_query__parse_result__free_unpacked(t, NULL);
			pg_query_free_protobuf_parse_result(r);
		}
		double t1 = now_ns();
		for (int i = 0; i < iters; i++) {
			PgQueryScanResult r = pg_query_scan(q);
			PgQuery__ScanResult *s = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *) r.pbuf.data);
			pg_query__scan_result__free_unpacked(s, NULL);
			pg_query_free_scan_result(r);
		}
		double t2 = now_ns();
		for (int i = 0; i < iters; i++) {
			PgQueryScanResult r = pg_query_scan(q);
			pg_query_free_scan_result(r);
		}
		double t3 = now_ns();
		for (int i = 0; i < iters; i++) {
			PgQueryNormalizeResult r = pg_query_normalize(q);
			pg_query_free_normalize_result(r);
		}
		double t4 = now_ns();
		char label[15];
		snprintf(label, sizeof label, "%.13s", q);
		printf("%-14s %10.0f %10.0f %10.0f %10.0f\n", label, (t1 - t0) / iters, (t2 - t1) / iters,
			   (t3 - t2) / iters, (t4 - t3) / iters);
	}
	return 0;
}
