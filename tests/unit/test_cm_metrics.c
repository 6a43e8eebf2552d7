/*
 * test_cm_metrics.c -- the metrics registry: concurrent updates add up, the
 * Prometheus text is well-formed, histogram buckets are cumulative.
 * (Criterion runs each test in its own process, so every test starts from
 * zeroed metrics.)
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "common/cm_error.h"
#include "common/cm_metrics.h"

#define N_THREADS 8
#define N_ITER 50000

static cm_metric *shared_custom;

static void *
hammer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < N_ITER; i++) {
		cm_metrics_query((cm_query_type)(i % CM_QT__COUNT));
		cm_metrics_inc(CM_M_CONNECTIONS_TOTAL, 0);
		cm_metrics_gauge_add(CM_M_CONNECTIONS_OPEN, 1);
		cm_metrics_gauge_add(CM_M_CONNECTIONS_OPEN, -1);
		cm_metrics_observe_latency_us((int64_t)(i % 1000) * 37 + id);
		if (i % 10 == 0)
			cm_metrics_error(i % 20 == 0 ? "42601" : "40001");
		cm_metric_add(shared_custom, 2);
	}
	return NULL;
}

static char *
render(void)
{
	cm_buf b;
	cm_buf_init(&b);
	cm_metrics_render(&b);
	return b.data; /* caller frees */
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

Test(cm_metrics, eight_threads_add_up)
{
	pthread_t th[N_THREADS];
	cr_assert_eq(cm_metrics_register("pgkv_test_custom_total", "A test counter.", CM_METRIC_COUNTER,
	                                 &shared_custom),
	             CM_OK);
	for (long i = 0; i < N_THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);

	int64_t total = 0;
	for (int t = 0; t < CM_QT__COUNT; t++)
		total += cm_metrics_get(CM_M_QUERIES, t);
	cr_assert_eq(total, (int64_t)N_THREADS * N_ITER);
	/* 50000 = 5555 * 9 + 5: types 0..4 got one more */
	cr_assert_eq(cm_metrics_get(CM_M_QUERIES, CM_QT_SELECT), N_THREADS * (N_ITER / 9 + 1));
	cr_assert_eq(cm_metrics_get(CM_M_QUERIES, CM_QT_OTHER), N_THREADS * (N_ITER / 9));
	cr_assert_eq(cm_metrics_get(CM_M_CONNECTIONS_TOTAL, 0), (int64_t)N_THREADS * N_ITER);
	cr_assert_eq(cm_metrics_get(CM_M_CONNECTIONS_OPEN, 0), 0);
	cr_assert_eq(cm_metrics_latency_count(), (int64_t)N_THREADS * N_ITER);
	cr_assert_eq(cm_metrics_error_count("42"), N_THREADS * (N_ITER / 20));
	cr_assert_eq(cm_metrics_error_count("40"), N_THREADS * (N_ITER / 20));
	cr_assert_eq(cm_metric_value(shared_custom), 2LL * N_THREADS * N_ITER);

	char *text = render();
	char line[128];
	snprintf(line, sizeof(line), "pgkv_sql_connections_total %d", N_THREADS * N_ITER);
	cr_assert(has_line(text, line), "%s", line);
	snprintf(line, sizeof(line), "pgkv_sql_query_latency_seconds_count %d", N_THREADS * N_ITER);
	cr_assert(has_line(text, line), "%s", line);
	snprintf(line, sizeof(line), "pgkv_test_custom_total %d", 2 * N_THREADS * N_ITER);
	cr_assert(has_line(text, line), "%s", line);
	free(text);
}

Test(cm_metrics, render_expected_lines)
{
	cm_metrics_inc(CM_M_CONNECTIONS_TOTAL, 0);
	cm_metrics_gauge_set(CM_M_CONNECTIONS_OPEN, 3);
	cm_metrics_query(CM_QT_INSERT);
	cm_metrics_query(CM_QT_INSERT);
	cm_metrics_inc(CM_M_QUERIES, 999); /* out of range: counts as other */
	cm_metrics_inc(CM_M_TXN_RETRIES, 0);
	cm_metrics_add(CM_M_TXN_CLIENT_RETRY_ERRORS, 0, 4);
	cm_metrics_gauge_set(CM_M_DRAINING, 1);
	cm_metrics_gauge_set(CM_M_SESSIONS_REMAINING, 12);
	cm_metrics_error(CM_E_SYNTAX_ERROR);
	cm_metrics_error("ZZ999");
	cm_metrics_error(NULL);

	char *text = render();
	static const char *lines[] = {
	    "# HELP pgkv_sql_connections_open Open SQL client connections.",
	    "# TYPE pgkv_sql_connections_open gauge",
	    "pgkv_sql_connections_open 3",
	    "# TYPE pgkv_sql_connections_total counter",
	    "pgkv_sql_connections_total 1",
	    "# TYPE pgkv_sql_queries_total counter",
	    "pgkv_sql_queries_total{type=\"select\"} 0",
	    "pgkv_sql_queries_total{type=\"insert\"} 2",
	    "pgkv_sql_queries_total{type=\"update\"} 0",
	    "pgkv_sql_queries_total{type=\"delete\"} 0",
	    "pgkv_sql_queries_total{type=\"ddl\"} 0",
	    "pgkv_sql_queries_total{type=\"tcl\"} 0",
	    "pgkv_sql_queries_total{type=\"set\"} 0",
	    "pgkv_sql_queries_total{type=\"show\"} 0",
	    "pgkv_sql_queries_total{type=\"other\"} 1",
	    "pgkv_sql_txn_retries_total 1",
	    "pgkv_sql_txn_client_retry_errors_total 4",
	    "# TYPE pgkv_draining gauge",
	    "pgkv_draining 1",
	    "pgkv_sessions_remaining 12",
	    "# TYPE pgkv_sql_errors_total counter",
	    "pgkv_sql_errors_total{class=\"42\"} 1",
	    "pgkv_sql_errors_total{class=\"other\"} 2",
	    "# TYPE pgkv_sql_query_latency_seconds histogram",
	    "pgkv_sql_query_latency_seconds_bucket{le=\"+Inf\"} 0",
	    "pgkv_sql_query_latency_seconds_sum 0.000000",
	    "pgkv_sql_query_latency_seconds_count 0",
	    "pgkv_build_info{version=\"" PGKV_VERSION "\"} 1",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert(has_line(text, lines[i]), "missing line: %s\n--- output ---\n%s", lines[i], text);
	cr_assert_null(strstr(text, "class=\"22\""), "classes with no errors are not listed");
	free(text);
}

/* Every sample line is NAME[{k="v",...}] VALUE and belongs to a family whose
 * # HELP and # TYPE came before it. */
Test(cm_metrics, exposition_format_is_valid)
{
	cm_metric *g;
	cr_assert_eq(cm_metrics_register("pgkv_test_gauge", "A gauge.", CM_METRIC_GAUGE, &g), CM_OK);
	cm_metric_set(g, -5);
	cm_metrics_observe_latency_us(1234);
	cm_metrics_error("23505");
	char *text = render();
	cr_assert(text[strlen(text) - 1] == '\n');

	regex_t sample, comment;
	cr_assert_eq(regcomp(&sample,
	                     "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\""
	                     "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})? -?[0-9]+(\\.[0-9]+)?$",
	                     REG_EXTENDED),
	             0);
	cr_assert_eq(regcomp(&comment,
	                     "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
	                     "(counter|gauge|histogram))$",
	                     REG_EXTENDED),
	             0);
	char family[128] = "";
	bool saw_help = false, saw_type = false;
	char *save = NULL;
	for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#') {
			cr_assert_eq(regexec(&comment, ln, 0, NULL, 0), 0, "bad comment line: %s", ln);
			char kind[8], name[128];
			cr_assert_eq(sscanf(ln, "# %7s %127s", kind, name), 2);
			if (strcmp(kind, "HELP") == 0) {
				snprintf(family, sizeof(family), "%s", name);
				saw_help = true;
				saw_type = false;
			} else {
				cr_assert_str_eq(name, family, "TYPE follows its HELP");
				saw_type = true;
			}
			continue;
		}
		regmatch_t m[2];
		cr_assert_eq(regexec(&sample, ln, 2, m, 0), 0, "bad sample line: %s", ln);
		cr_assert(saw_help && saw_type, "sample before HELP/TYPE: %s", ln);
		size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
		cr_assert(strncmp(ln, family, strlen(family)) == 0 && n >= strlen(family),
		          "sample %s outside family %s", ln, family);
	}
	regfree(&sample);
	regfree(&comment);
	free(text);
}

Test(cm_metrics, histogram_buckets_cumulative)
{
	static const int64_t obs[] = {0,     50,      100,     101,      900,      1000,     7000,
	                              60000, 2000000, 9999999, 10000000, 10000001, 50000000, -5};
	int64_t sum = 0;
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
		cm_metrics_observe_latency_us(obs[i]);
		sum += obs[i] < 0 ? 0 : obs[i];
	}
	cr_assert_eq(cm_metrics_latency_bucket(100), 4, "0, 50, 100 and -5 (as 0) are <= 100us");
	cr_assert_eq(cm_metrics_latency_bucket(1000), 7);
	cr_assert_eq(cm_metrics_latency_bucket(10000000), 12);
	cr_assert_eq(cm_metrics_latency_bucket(12345), -1);
	cr_assert_eq(cm_metrics_latency_count(), 14);

	char *text = render();
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_bucket{le=\"0.0001\"} 4"));
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_bucket{le=\"0.00025\"} 5"));
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_bucket{le=\"0.001\"} 7"));
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_bucket{le=\"10\"} 12"));
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_bucket{le=\"+Inf\"} 14"));
	cr_assert(has_line(text, "pgkv_sql_query_latency_seconds_count 14"));
	char sumline[96];
	snprintf(sumline, sizeof(sumline), "pgkv_sql_query_latency_seconds_sum %lld.%06lld",
	         (long long)(sum / 1000000), (long long)(sum % 1000000));
	cr_assert(has_line(text, sumline), "%s", sumline);

	/* Walk all bucket lines: le increasing, counts non-decreasing. */
	long long prev = -1;
	double prev_le = -1;
	int nb = 0;
	for (const char *p = strstr(text, "pgkv_sql_query_latency_seconds_bucket"); p != NULL;
	     p = strstr(p + 1, "pgkv_sql_query_latency_seconds_bucket")) {
		char le[32];
		long long v;
		cr_assert_eq(
		    sscanf(p, "pgkv_sql_query_latency_seconds_bucket{le=\"%31[^\"]\"} %lld", le, &v), 2);
		double lev = strcmp(le, "+Inf") == 0 ? 1e300 : strtod(le, NULL);
		cr_assert_gt(lev, prev_le);
		cr_assert_geq(v, prev);
		prev_le = lev;
		prev = v;
		nb++;
	}
	cr_assert_eq(nb, 17, "16 bounds (100us..10s) and +Inf");
	free(text);
}

Test(cm_metrics, every_known_sqlstate_has_its_class)
{
	static const char *codes[] = {
#define X(name, code, cname) code,
#include "common/sqlstates.def"
#undef X
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char cls[3] = {codes[i][0], codes[i][1], 0};
		int64_t before = cm_metrics_error_count(cls);
		cm_metrics_error(codes[i]);
		cr_assert_eq(cm_metrics_error_count(cls), before + 1, "class of %s", codes[i]);
	}
	cr_assert_eq(cm_metrics_error_count("other"), 0);
}

Test(cm_metrics, register_rules)
{
	cm_metric *a, *b, *c;
	cr_assert_eq(cm_metrics_register("pgkv_kv_retries_total", "KV retries.", CM_METRIC_COUNTER, &a),
	             CM_OK);
	cr_assert_eq(cm_metrics_register("pgkv_kv_retries_total", "KV retries.", CM_METRIC_COUNTER, &b),
	             CM_OK);
	cr_assert_eq(a, b, "same name, same handle");
	cr_assert_eq(cm_metrics_register("pgkv_kv_retries_total", "x", CM_METRIC_GAUGE, &c), CM_ERROR);
	cr_assert_eq(cm_metrics_register("pgkv_draining", "x", CM_METRIC_GAUGE, &c), CM_ERROR);
	cr_assert_eq(cm_metrics_register("pgkv_sql_errors_total", "x", CM_METRIC_COUNTER, &c),
	             CM_ERROR);
	cr_assert_eq(cm_metrics_register("9bad", "x", CM_METRIC_GAUGE, &c), CM_ERROR);
	cr_assert_eq(cm_metrics_register("bad-name", "x", CM_METRIC_GAUGE, &c), CM_ERROR);
	cr_assert_eq(cm_metrics_register("", "x", CM_METRIC_GAUGE, &c), CM_ERROR);

	/* The registry holds 64 entries. */
	static char names[80][32];
	int ok = 1;
	for (int i = 0; i < 80; i++) {
		snprintf(names[i], sizeof(names[i]), "pgkv_fill_%d", i);
		if (cm_metrics_register(names[i], "fill", CM_METRIC_GAUGE, &c) == CM_OK)
			ok++;
	}
	cr_assert_eq(ok, 64);

	cm_metric_add(a, 5);
	cm_metrics_inc(CM_M_CONNECTIONS_TOTAL, 0);
	cm_metrics_reset();
	cr_assert_eq(cm_metric_value(a), 0);
	cr_assert_eq(cm_metrics_get(CM_M_CONNECTIONS_TOTAL, 0), 0);
}

Test(cm_metrics, query_type_names)
{
	static const char *want[] = {"select", "insert", "update", "delete", "ddl",
	                             "tcl",    "set",    "show",   "other"};
	for (int t = 0; t < CM_QT__COUNT; t++)
		cr_assert_str_eq(cm_query_type_name((cm_query_type)t), want[t]);
	cr_assert_str_eq(cm_query_type_name((cm_query_type)42), "other");
	cr_assert_str_eq(cm_query_type_name((cm_query_type)-1), "other");
}
