/*
 * test_plancache.c -- the plan cache of simple-protocol statements
 * (sql/plancache.h): literal scanning and type classes, keys, which literals
 * become parameters, the reader's shape set, deferred parses; and, with a
 * real executor over an embedded store, hits and misses, literal type
 * classes, invalidation by DDL and by settings, correct results for other
 * literal values, errors at the literal's position, and syntax errors still
 * reported by the reader's parse.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/store.h"
#include "kv/txn/kv_txn.h"
#include "sql/catalog/sql_catalog.h"
#include "sql/conn_executor.h"
#include "sql/parser.h"
#include "sql/plancache.h"
#include "sql/sem/sem_io.h"
#include "sql/session.h"
#include "sql/stmtbuf.h"

/* ---------- shapes ---------- */

static sql_shape *
scan(const char *q)
{
	return sql_shape_scan(q, strlen(q));
}

Test(plancache_shape, literal_classes)
{
	const char *q = "select 1, 2147483648, 9223372036854775808, 1.5, 'a''b', E'x', $$y$$ from t";
	sql_shape *s = scan(q);
	cr_assert_not_null(s);
	cr_assert_eq(s->nlits, 5);
	cr_assert_eq(s->lits[0].cls, SQL_LIT_INT4);
	cr_assert_eq(s->lits[1].cls, SQL_LIT_INT8);
	cr_assert_eq(s->lits[2].cls, SQL_LIT_NUMERIC);
	cr_assert_eq(s->lits[3].cls, SQL_LIT_NUMERIC);
	cr_assert_eq(s->lits[4].cls, SQL_LIT_STRING);
	cr_assert_eq(strncmp(q + s->lits[4].start, "'a''b'", 6), 0);
	sql_shape_free(s);
}

Test(plancache_shape, not_cacheable)
{
	cr_assert_null(scan("select $1"));			/* the client's own parameters */
	cr_assert_null(scan("select 'unterminated"));	/* scanner error: the parse reports it */
}

Test(plancache_shape, scan_key_strips_values_keeps_class)
{
	sql_shape *a = scan("select * from t where id = 5"), *b = scan("select * from t where id = 77"),
			  *c = scan("select * from t where id = 5000000000"), *d = scan("select * from t where id = '5'");
	cr_assert_eq(a->scan_key_len, b->scan_key_len);
	cr_assert_eq(memcmp(a->scan_key, b->scan_key, a->scan_key_len), 0);
	cr_assert(a->scan_key_len != c->scan_key_len || memcmp(a->scan_key, c->scan_key, a->scan_key_len) != 0);
	cr_assert(a->scan_key_len != d->scan_key_len || memcmp(a->scan_key, d->scan_key, a->scan_key_len) != 0);
	sql_shape_free(a);
	sql_shape_free(b);
	sql_shape_free(c);
	sql_shape_free(d);
}

/* Parse q, analyse its shape, return the param flags as a string of 0/1. */
static void
analyse(const char *q, char *flags)
{
	sql_shape *s = scan(q);
	cr_assert_not_null(s);
	sql_parsed *p = NULL;
	cm_error err = {0};
	cr_assert_eq(sql_parse(q, strlen(q), &p, &err), CM_OK);
	sql_shape_analyse(s, q, sql_parsed_stmt(p, 0));
	for (int i = 0; i < s->nlits; i++)
		flags[i] = s->lits[i].param ? '1' : '0';
	flags[s->nlits] = '\0';
	sql_parsed_release(p);
	sql_shape_free(s);
}

Test(plancache_shape, which_literals_are_parameters)
{
	static const struct {
		const char *q, *flags;
	} cases[] = {
		{"select abalance from pgbench_accounts where aid = 48213", "1"},
		{"select a from t where a in (1, 2) and b between 3 and 4", "1111"},
		{"select 1, 'x', f(2), '3'::int, cast('4' as int)", "11111"},
		{"select a from t order by 1 limit 10 offset 2", "000"},		/* positions, LIMIT */
		{"select a from t group by 1", "0"},
		{"select a::varchar(10), interval '1 day', date '2020-01-01' from t", "000"}, /* typmod, `type 'x'` */
		{"select a from t where a = -5", "0"},							/* folded by the grammar */
		{"select case when a = 1 then 'y' else 'n' end from t", "100"},
		{"select * from (values (1, 'a')) v", "00"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char flags[32];
		analyse(cases[i].q, flags);
		cr_expect_str_eq(flags, cases[i].flags, "%s", cases[i].q);
	}
}

Test(plancache_shape, shapeset_matches_only_parameter_changes)
{
	sql_shapeset *set = sql_shapeset_new();
	const char *q1 = "select a from t where id = 1 limit 5";
	sql_shape *s = scan(q1);
	sql_parsed *p = NULL;
	cm_error err = {0};
	cr_assert_eq(sql_parse(q1, strlen(q1), &p, &err), CM_OK);
	sql_shape_analyse(s, q1, sql_parsed_stmt(p, 0));
	sql_shapeset_add(set, s);
	sql_parsed_release(p);

	sql_shape *s2 = scan("select a from t where id = 2 limit 5");
	cr_assert(sql_shapeset_match(set, s2, "select a from t where id = 2 limit 5"));
	cr_assert(s2->analysed);
	cr_assert_eq(s->key_len, s2->key_len);
	cr_assert_eq(memcmp(s->key, s2->key, s->key_len), 0);
	/* a fixed literal (LIMIT) differs: parse again */
	sql_shape *s3 = scan("select a from t where id = 2 limit 6");
	cr_assert_not(sql_shapeset_match(set, s3, "select a from t where id = 2 limit 6"));
	/* another type class: another shape */
	sql_shape *s4 = scan("select a from t where id = 2.5 limit 5");
	cr_assert_not(sql_shapeset_match(set, s4, "select a from t where id = 2.5 limit 5"));
	sql_shape_free(s);
	sql_shape_free(s2);
	sql_shape_free(s3);
	sql_shape_free(s4);
	sql_shapeset_free(set);
}

Test(plancache_shape, deferred_parse_materialises)
{
	const char *q = "  select a from t where id = 3;";
	sql_shape *s = scan(q);
	sql_parsed *p = sql_parsed_deferred(q, strlen(q), s);
	cr_assert(p->deferred);
	cr_assert_eq(sql_parsed_nstmts(p), 1);
	size_t n;
	const char *text = sql_parsed_stmt_text(p, 0, &n);
	cr_assert_eq(n, strlen("select a from t where id = 3"));
	cr_assert_eq(strncmp(text, "select a", 8), 0);
	cm_error err = {0};
	cr_assert_eq(sql_parsed_materialise(p, &err), CM_OK);
	cr_assert_not(p->deferred);
	cr_assert_eq(sql_parsed_stmt(p, 0)->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);
	cr_assert_eq(sql_parsed_stmt(p, 0)->select_stmt->n_target_list, 1);
	sql_parsed_release(p);
}

/* ---------- a real executor ---------- */

typedef struct fake_comm {
	sql_clientcomm base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;				/* ReadyForQuery count */
	cm_buf out;				/* rows "a|b\n", errors "ERROR code@pos\n" */
	int64_t pos;
} fake_comm;

static void fc_begin_cmd(sql_clientcomm *c, int64_t pos) { ((fake_comm *) c)->pos = pos; }
static void fc_rowdesc(sql_clientcomm *c, int n, const sql_result_col *cols) { (void) c; (void) n; (void) cols; }
static cm_status
fc_data_row(sql_clientcomm *c, sem_ctx *ctx, int n, const sql_result_col *cols, const sem_datum *v, cm_error *err)
{
	(void) err;
	fake_comm *f = (fake_comm *) c;
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < n; i++) {
		if (i)
			cm_buf_putc(&f->out, '|');
		if (v[i].isnull)
			cm_buf_puts(&f->out, "NULL");
		else
			sem_out_text(ctx, cols[i].type, &v[i], &f->out);
	}
	cm_buf_putc(&f->out, '\n');
	pthread_mutex_unlock(&f->mu);
	return CM_OK;
}
static void fc_void(sql_clientcomm *c) { (void) c; }
static void fc_tag(sql_clientcomm *c, const char *tag) { (void) c; (void) tag; }
static void fc_pdesc(sql_clientcomm *c, int n, const sem_oid *t) { (void) c; (void) n; (void) t; }
static void
fc_ready(sql_clientcomm *c, char st)
{
	(void) st;
	fake_comm *f = (fake_comm *) c;
	pthread_mutex_lock(&f->mu);
	f->ready++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}
static void
fc_error(sql_clientcomm *c, const cm_error *err, const char *q, size_t qlen)
{
	(void) q;
	(void) qlen;
	fake_comm *f = (fake_comm *) c;
	if (err->severity < CM_SEV_ERROR)
		return;
	pthread_mutex_lock(&f->mu);
	cm_buf_printf(&f->out, "ERROR %s@%d\n", err->code, err->position);
	pthread_mutex_unlock(&f->mu);
}
static void fc_pstatus(sql_clientcomm *c, const char *n, const char *v) { (void) c; (void) n; (void) v; }
static cm_status fc_flush(sql_clientcomm *c) { (void) c; return CM_OK; }
static bool fc_rtrim(sql_clientcomm *c, int64_t pos) { (void) c; (void) pos; return true; }
static size_t fc_buffered(sql_clientcomm *c) { (void) c; return 0; }
static int64_t fc_flushed(sql_clientcomm *c) { return ((fake_comm *) c)->pos; }

static const sql_clientcomm_vt fc_vt = {
	.begin_cmd = fc_begin_cmd, .row_description = fc_rowdesc, .data_row = fc_data_row,
	.command_complete = fc_tag, .empty_query = fc_void, .parse_complete = fc_void, .bind_complete = fc_void,
	.close_complete = fc_void, .no_data = fc_void, .portal_suspended = fc_void,
	.parameter_description = fc_pdesc, .ready_for_query = fc_ready, .error = fc_error,
	.parameter_status = fc_pstatus, .flush = fc_flush, .rtrim = fc_rtrim, .buffered = fc_buffered,
	.flushed_pos = fc_flushed,
};

static char g_dir[64];
static kv_store *g_s;
static kv_client *g_c;
static fake_comm g_fc;
static sql_stmtbuf *g_sb;
static sql_session *g_sess;
static sql_shapeset *g_shapes;
static atomic_int g_cancel;
static pthread_t g_exec;
static sql_executor_config g_cfg;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void) sb;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static void *
exec_main(void *arg)
{
	(void) arg;
	(void) sql_executor_run(&g_cfg);
	return NULL;
}

static void
setup(void)
{
	strcpy(g_dir, "/tmp/pgkv_pc_XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	kv_embedded_options o;
	kv_embedded_options_init(&o);
	o.data_dir = g_dir;
	cm_error err = {0};
	cr_assert_eq(kv_store_open_embedded(&o, &g_s, &err), CM_OK);
	cr_assert_eq(kv_client_new(g_s, NULL, &g_c, &err), KV_OK);
	cr_assert_eq(sql_cat_bootstrap(g_c, &err), CM_OK);
	memset(&g_fc, 0, sizeof g_fc);
	g_fc.base.vt = &fc_vt;
	pthread_mutex_init(&g_fc.mu, NULL);
	pthread_cond_init(&g_fc.cv, NULL);
	cm_buf_init(&g_fc.out);
	sql_session_params sp = {.user = "root", .database = "postgres", .superuser = true, .backend_pid = 1};
	g_sess = sql_session_new(&sp);
	g_sb = sql_stmtbuf_new();
	g_shapes = sql_shapeset_new();
	atomic_init(&g_cancel, 0);
	g_cfg = (sql_executor_config){.stmtbuf = g_sb, .comm = &g_fc.base, .session = g_sess, .kv = g_c,
								  .cancel = &g_cancel};
	cr_assert_eq(pthread_create(&g_exec, NULL, exec_main, NULL), 0);
}

static void
teardown(void)
{
	sql_stmtbuf_close(g_sb, false);
	pthread_join(g_exec, NULL);
	sql_stmtbuf_free(g_sb);
	sql_shapeset_free(g_shapes);
	sql_session_free(g_sess);
	cm_buf_free(&g_fc.out);
	sql_cat_forget_client(g_c);
	kv_client_free(g_c);
	kv_store_close(g_s);
	nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the reader does with a Query (pgwire/pgw_conn.c on_query), then wait
 * for ReadyForQuery; returns the output (rows / errors) of this query. */
static char *
query(const char *q)
{
	size_t len = strlen(q);
	sql_shape *s = sql_shape_scan(q, len);
	sql_parsed *p = NULL;
	cm_error err = {0};
	pthread_mutex_lock(&g_fc.mu);
	int want = g_fc.ready + 1;
	size_t mark = g_fc.out.len;
	pthread_mutex_unlock(&g_fc.mu);
	if (s && sql_shapeset_match(g_shapes, s, q)) {
		p = sql_parsed_deferred(q, len, s);
	} else if (sql_parse(q, len, &p, &err) != CM_OK) {
		sql_shape_free(s);
		sql_cmd *c = sql_cmd_new(SQL_CMD_SEND_ERROR, 0);
		cm_error_move(&c->u.send_error.err, &err);
		cr_assert_eq(sql_stmtbuf_push(g_sb, c), CM_OK);
		p = NULL;
	} else if (s && sql_parsed_nstmts(p) == 1 &&
			   sql_parsed_stmt(p, 0)->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		sql_shape_analyse(s, q, sql_parsed_stmt(p, 0));
		sql_shapeset_add(g_shapes, s);
		p->shape = s;
	} else
		sql_shape_free(s);
	if (p) {
		int n = sql_parsed_nstmts(p);
		for (int i = 0; i < n; i++) {
			sql_cmd *c = sql_cmd_new(SQL_CMD_EXEC_STMT, 0);
			if (i > 0)
				sql_parsed_retain(p);
			c->u.exec.parsed = p;
			c->u.exec.index = i;
			c->u.exec.last_in_batch = i == n - 1;
			cr_assert_eq(sql_stmtbuf_push(g_sb, c), CM_OK);
		}
	}
	cr_assert_eq(sql_stmtbuf_push(g_sb, sql_cmd_new(SQL_CMD_SYNC, 0)), CM_OK);
	sql_stmtbuf_notify(g_sb);
	pthread_mutex_lock(&g_fc.mu);
	while (g_fc.ready < want)
		pthread_cond_wait(&g_fc.cv, &g_fc.mu);
	char *r = strndup(g_fc.out.data ? g_fc.out.data + mark : "", g_fc.out.len - mark);
	pthread_mutex_unlock(&g_fc.mu);
	return r;
}

static void
expect(const char *q, const char *want)
{
	char *got = query(q);
	cr_expect_str_eq(got, want, "%s: got [%s] want [%s]", q, got, want);
	free(got);
}

static sql_plancache_stats
stats(void)
{
	sql_plancache_stats s;
	sql_plancache_counters(&s);
	return s;
}

TestSuite(plancache, .init = setup, .fini = teardown, .timeout = 120);

Test(plancache, hits_and_correct_results)
{
	expect("create table t (id int primary key, name text, v numeric)", "");
	expect("insert into t values (1, 'a', 1.5), (2, 'b''c', 2.25), (3, 'c', 3)", "");
	sql_plancache_stats s0 = stats();
	expect("select name from t where id = 1", "a\n");
	sql_plancache_stats s1 = stats();
	cr_assert_eq(s1.misses, s0.misses + 1);
	cr_assert_eq(s1.generic, s0.generic + 1);
	expect("select name from t where id = 2", "b'c\n");
	expect("select name from t where id = 3", "c\n");
	expect("select name from t where id = 4", "");
	sql_plancache_stats s2 = stats();
	cr_assert_eq(s2.hits, s1.hits + 3);
	cr_assert_eq(s2.misses, s1.misses);
	/* strings and numerics as parameters */
	expect("select id from t where name = 'b''c'", "2\n");
	expect("select id from t where name = 'c'", "3\n");
	expect("select id, v + 1.25 from t where v = 2.25", "2|3.50\n");
	expect("select id, v + 1.5 from t where v = 3", "3|4.5\n");
	expect("select id from t where id in (1, 3) order by id", "1\n3\n");
	expect("select id from t where id in (2, 3) order by id", "2\n3\n");
	/* target-list literals keep their types */
	expect("select 1, 'x', 2.50", "1|x|2.50\n");
	expect("select 7, 'yz', 3.0", "7|yz|3.0\n");
}

Test(plancache, literal_type_class_changes_miss)
{
	expect("create table t (id int8 primary key)", "");
	expect("insert into t values (1), (5000000000)", "");
	expect("select id from t where id = 1", "1\n");
	sql_plancache_stats s0 = stats();
	expect("select id from t where id = 5000000000", "5000000000\n");	/* int8: another plan */
	expect("select id from t where id = 1.0", "1\n");					/* numeric: another plan */
	sql_plancache_stats s1 = stats();
	cr_assert_eq(s1.misses, s0.misses + 2);
	expect("select id from t where id = 2", "");	/* int4 again: hit */
	cr_assert_eq(stats().hits, s1.hits + 1);
}

Test(plancache, ddl_invalidates)
{
	expect("create table t (id int primary key, a int)", "");
	expect("insert into t values (1, 10)", "");
	expect("select * from t where id = 1", "1|10\n");
	expect("select * from t where id = 1", "1|10\n");
	expect("alter table t add column b text", "");
	expect("update t set b = 'x'", "");
	/* the cached plan is older than the catalog: dropped and planned again,
	 * so `select *` shows the new column */
	sql_plancache_stats s0 = stats();
	expect("select * from t where id = 1", "1|10|x\n");
	sql_plancache_stats s1 = stats();
	cr_assert_eq(s1.misses, s0.misses + 1, "a stale entry is planned again");
	cr_assert_eq(s1.stale, s0.stale + 1);
	expect("select * from t where id = 1", "1|10|x\n");
	cr_assert_eq(stats().hits, s1.hits + 1);
	expect("drop table t", "");
	expect("select * from t where id = 1", "ERROR 42P01@15\n");
	expect("create table t (id int primary key, z int)", "");
	expect("insert into t values (1, 99)", "");
	expect("select * from t where id = 1", "1|99\n");
}

Test(plancache, settings_are_part_of_the_key)
{
	expect("create schema s1", "");
	expect("create table s1.t (id int primary key, w text)", "");
	expect("create table t (id int primary key, w text)", "");
	expect("insert into s1.t values (1, 'in s1')", "");
	expect("insert into t values (1, 'in public')", "");
	expect("select w from t where id = 1", "in public\n");
	expect("set search_path = s1, public", "");
	expect("select w from t where id = 1", "in s1\n");
	expect("reset search_path", "");
	expect("select w from t where id = 1", "in public\n");
}

Test(plancache, errors_keep_their_positions)
{
	expect("create table t (id int primary key)", "");
	expect("select id from t where id = '1'", "");
	/* same shape, a value the plan's parameter type cannot take */
	expect("select id from t where id = 'x'", "ERROR 22P02@29\n");
	/* syntax errors are the reader's, before anything runs */
	expect("select id from t where id = 1", "");
	expect("select id frm t where id = 1", "ERROR 42601@15\n");
	expect("select 1 from;", "ERROR 42601@14\n");
	/* a generic plan that cannot be made: every literal fixed, still right */
	expect("select 'a' || 'b'", "ab\n");
	expect("select 'c' || 'd'", "cd\n");
}
