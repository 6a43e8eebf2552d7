/*
 * test_plan_query.c -- the query binder and planner end to end: parameter
 * type inference in FROM/JOIN/GROUP/HAVING/LIMIT/window/subquery
 * positions, results with parameters bound, EXPLAIN shape, and the
 * table-resolver hook for storage row sources.
 *
 * Expected parameter types and rows come from PostgreSQL 15 (PREPARE +
 * pg_prepared_statements, and the same statements with the values
 * substituted).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "sql/exec/exec.h"
#include "sql/plan/plan.h"
#include "sql/sem/sem_array.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

static const char *settings(void *s, const char *name)
{
	return strcmp(name, "work_mem") == 0 ? "4MB" : NULL;
}

static void init_ctx(sem_ctx *ctx, cm_arena *a)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->arena = a;
	ctx->extra_float_digits = 1;
	ctx->timezone = "UTC";
	ctx->user = "postgres";
	ctx->database = "postgres";
	ctx->search_path_first = "public";
	ctx->get_setting = settings;
}

typedef struct parsed {
	PgQueryProtobufParseResult r;
	PgQuery__ParseResult *pr;
} parsed;

static const PgQuery__Node *parse(parsed *p, const char *q)
{
	p->r = pg_query_parse_protobuf(q);
	cr_assert_null(p->r.error, "parse error in %s", q);
	p->pr = pg_query__parse_result__unpack(NULL, p->r.parse_tree.len, (void *) p->r.parse_tree.data);
	return p->pr->stmts[0]->stmt;
}

static void unparse(parsed *p)
{
	pg_query__parse_result__free_unpacked(p->pr, NULL);
	pg_query_free_protobuf_parse_result(p->r);
}

/* Plan q, check the inferred parameter types, run with ptext values, render rows "a|b\n". */
static void check(const char *q, int nwant, const sem_oid *want, const char *const *ptext, const char *rows)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx;
	init_ctx(&ctx, a);
	parsed ps;
	const PgQuery__Node *stmt = parse(&ps, q);
	cm_error err = {0};
	pl_plan *p;
	cr_assert_eq(pl_plan_select(a, &ctx, stmt, q, 0, NULL, &p, &err), CM_OK, "%s: %s", q, err.message);
	cr_assert_eq(pl_plan_nparams(p), nwant, "%s: %d params", q, pl_plan_nparams(p));
	for (int i = 0; i < nwant; i++)
		cr_assert_eq(pl_plan_param_types(p)[i], want[i], "%s: $%d is %u", q, i + 1, pl_plan_param_types(p)[i]);
	sem_datum params[16];
	for (int i = 0; i < nwant; i++)
		cr_assert_eq(sem_in_text(&ctx, (sem_type){want[i], -1}, ptext[i], strlen(ptext[i]), &params[i], &err), CM_OK);
	pl_cursor *c;
	cr_assert_eq(pl_open(p, &ctx, params, &c, &err), CM_OK, "%s", err.message);
	cm_buf o;
	cm_buf_init(&o);
	int n = pl_plan_ncols(p);
	for (;;) {
		sem_datum row[16];
		bool done;
		cr_assert_eq(pl_next(c, row, &done, &err), CM_OK, "%s", err.message);
		if (done)
			break;
		for (int i = 0; i < n; i++) {
			if (i)
				cm_buf_putc(&o, '|');
			if (!row[i].isnull)
				sem_out_text(&ctx, pl_plan_cols(p)[i].type, &row[i], &o);
		}
		cm_buf_putc(&o, '\n');
	}
	cr_assert_str_eq(o.data ? o.data : "", rows, "%s", q);
	cm_buf_free(&o);
	unparse(&ps);
	cm_arena_destroy(a);
}

Test(plan_query, params_in_join_group_having_limit)
{
	static const sem_oid want[] = {SEM_INT4OID, SEM_INT4OID, SEM_INT4OID, SEM_INT8OID, SEM_INT8OID};
	static const char *const vals[] = {"5", "1", "0", "0", "10"};
	check("select g from generate_series(1, $1) g join (values (1), (2)) v(x) on g = x + $2 where g > $3 "
		  "group by g having count(*) > $4 order by g limit $5",
		  5, want, vals, "2\n3\n");
}

Test(plan_query, params_in_window_subquery_any)
{
	static const sem_oid want[] = {SEM_INT8OID, SEM_INT4OID, SEM_INT4OID, 1007};
	static const char *const vals[] = {"1", "5", "1", "{2,3}"};
	check("select sum(x) over (order by x rows between $1 preceding and current row), "
		  "(select max(y) from generate_series(1, $2) y where y < x) from generate_series(1, 3) x "
		  "where x in (select $3 + 1) and x = any($4)",
		  4, want, vals, "2|1\n");
}

Test(plan_query, params_in_cte_and_setop)
{
	static const sem_oid want[] = {SEM_TEXTOID, SEM_INT4OID};
	static const char *const vals[] = {"q", "7"};
	check("with t as (select $1 || 'x' as s) select s, array[$2, 3] from t union all select 'a', array[1]", 2, want,
		  vals, "qx|{7,3}\na|{1}\n");
}

Test(plan_query, explain_shows_physical_choices)
{
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx;
	init_ctx(&ctx, a);
	parsed ps;
	const char *q = "select a, count(*) from generate_series(1, 10) a join generate_series(1, 10) b on a = b "
					"left join generate_series(1, 3) c on c < a group by a order by a limit 2";
	const PgQuery__Node *stmt = parse(&ps, q);
	cm_error err = {0};
	pl_plan *p;
	cr_assert_eq(pl_plan_select(a, &ctx, stmt, q, 0, NULL, &p, &err), CM_OK, "%s", err.message);
	cm_buf o;
	cm_buf_init(&o);
	pl_explain(p, &o);
	const char *want = "Limit\n"
					   "  ->  Project (2 columns)\n"
					   "        ->  Sort (1 keys)\n"
					   "              ->  HashAggregate (1 group keys, 1 aggregates)\n"
					   "                    ->  Nested Loop Left Join\n"
					   "                          ->  Hash Join (1 keys)\n"
					   "                                ->  Function Scan on generate_series\n"
					   "                                ->  Function Scan on generate_series\n"
					   "                          ->  Function Scan on generate_series\n";
	cr_assert_str_eq(o.data, want);
	cm_buf_free(&o);
	unparse(&ps);
	cm_arena_destroy(a);
}

/* ---- a storage row source through the table resolver ---------------------------- */

static const char *t_cols[] = {"id", "name"};
static const sem_type t_types[] = {{SEM_INT4OID, -1}, {SEM_TEXTOID, -1}};

static cm_status t_build(const pl_scan_provider *self, struct ex_state *st, struct ex_op **out, cm_error *err)
{
	/* a "table" of three rows, served by a VALUES operator */
	sem_expr ***rows = cm_new_array(st->arena, sem_expr **, 3);
	static const char *names[] = {"one", "two", "three"};
	for (int r = 0; r < 3; r++) {
		rows[r] = cm_new_array(st->arena, sem_expr *, 2);
		sem_datum d;
		memset(&d, 0, sizeof d);
		d.v.i = r + 1;
		rows[r][0] = sem_expr_const(st->arena, t_types[0], &d, -1);
		sem_set_str(st->arena, &d, names[r], strlen(names[r]));
		rows[r][1] = sem_expr_const(st->arena, t_types[1], &d, -1);
	}
	*out = ex_values_new(st, 2, t_types, 3, rows);
	return CM_OK;
}

static const pl_scan_provider t_scan = {"Seq Scan on t", t_build, NULL};
static const pl_table t_table = {"t", 16384, 2, t_cols, t_types, &t_scan};

static cm_status resolver(sem_ctx *ctx, cm_arena *arena, const char *schema, const char *name, const pl_table **out,
						  cm_error *err)
{
	*out = strcmp(name, "t") == 0 ? &t_table : NULL;
	return CM_OK;
}

Test(plan_query, table_resolver_plugs_in_a_scan)
{
	pl_set_table_resolver(resolver);
	check("select t.name, u.id from t join t u on t.id = u.id - 1 order by 1", 0, NULL, NULL, "one|2\ntwo|3\n");
	cm_arena *a = cm_arena_create(0);
	sem_ctx ctx;
	init_ctx(&ctx, a);
	parsed ps;
	const char *q = "select * from nosuch";
	const PgQuery__Node *stmt = parse(&ps, q);
	cm_error err = {0};
	pl_plan *p;
	cr_assert_eq(pl_plan_select(a, &ctx, stmt, q, 0, NULL, &p, &err), CM_ERROR);
	cr_assert_str_eq(err.code, "42P01");
	cr_assert_str_eq(err.message, "relation \"nosuch\" does not exist");
	cr_assert_eq(err.position, 15);
	cm_error_clear(&err);
	unparse(&ps);
	cm_arena_destroy(a);
	pl_set_table_resolver(NULL);
}
