/*
 * test_stmtbuf.c -- the StmtBuf: batches, seek to next batch, rewind, trim,
 * close semantics and a concurrent producer.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "sql/stmtbuf.h"

static sql_cmd *
mk(sql_cmd_type t)
{
	return sql_cmd_new(t, 0);
}

static sql_cmd_type
cur_type(sql_stmtbuf *sb)
{
	sql_cmd *c = NULL;
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	return c->type;
}

Test(stmtbuf, positions_and_advance)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_PREPARE)), CM_OK);
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_BIND)), CM_OK);
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_SYNC)), CM_OK);
	sql_cmd *c;
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->pos, 0);
	cr_assert_eq(c->type, SQL_CMD_PREPARE);
	cr_assert_eq(sql_stmtbuf_advance(sb), 0);
	cr_assert_eq(cur_type(sb), SQL_CMD_BIND);
	cr_assert_eq(sql_stmtbuf_cur_pos(sb), 1);
	cr_assert_eq(sql_stmtbuf_len(sb), 3);
	cr_assert_eq(sql_stmtbuf_pending(sb), 2);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, seek_next_batch_lands_on_sync)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	sql_cmd_type seq[] = {SQL_CMD_PREPARE, SQL_CMD_BIND, SQL_CMD_EXEC_PORTAL, SQL_CMD_SYNC,
						  SQL_CMD_PREPARE, SQL_CMD_SYNC};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		cr_assert_eq(sql_stmtbuf_push(sb, mk(seq[i])), CM_OK);
	sql_stmtbuf_advance(sb); /* on Bind: pretend it failed */
	bool drained = true;
	cr_assert_eq(sql_stmtbuf_seek_next_batch(sb, &drained), CM_OK);
	cr_assert_not(drained);
	cr_assert_eq(sql_stmtbuf_cur_pos(sb), 3);
	cr_assert_eq(cur_type(sb), SQL_CMD_SYNC);
	/* starting on a Sync skips it and finds the following one */
	cr_assert_eq(sql_stmtbuf_seek_next_batch(sb, NULL), CM_OK);
	cr_assert_eq(sql_stmtbuf_cur_pos(sb), 5);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, rewind_and_trim)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	for (int i = 0; i < 10; i++)
		cr_assert_eq(sql_stmtbuf_push(sb, mk(i % 3 == 2 ? SQL_CMD_SYNC : SQL_CMD_EXEC_STMT)), CM_OK);
	for (int i = 0; i < 6; i++)
		sql_stmtbuf_advance(sb);
	sql_stmtbuf_rewind(sb, 2);
	sql_cmd *c;
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->pos, 2);
	sql_stmtbuf_ltrim(sb, 2);
	cr_assert_eq(sql_stmtbuf_len(sb), 8);
	/* positions are absolute: still 2 after trimming */
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->pos, 2);
	sql_stmtbuf_advance(sb);
	sql_stmtbuf_ltrim(sb, 3);
	cr_assert_eq(sql_stmtbuf_len(sb), 7);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, ring_grows_past_capacity)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_FLUSH)), CM_OK);
		if (i % 7 == 0) {
			sql_stmtbuf_advance(sb);
			sql_stmtbuf_ltrim(sb, sql_stmtbuf_cur_pos(sb));
		}
	}
	int64_t start = sql_stmtbuf_cur_pos(sb);
	for (int64_t p = start; p < 1000; p++) {
		sql_cmd *c;
		cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
		cr_assert_eq(c->pos, p);
		sql_stmtbuf_advance(sb);
	}
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, close_soft_runs_queued_then_closed)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_SEND_ERROR)), CM_OK);
	sql_stmtbuf_close(sb, false);
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_SYNC)), CM_CLOSED);
	sql_cmd *c;
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->type, SQL_CMD_SEND_ERROR);
	sql_stmtbuf_advance(sb);
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_CLOSED);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, close_discard_drops_unstarted)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_EXEC_STMT)), CM_OK);
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_SYNC)), CM_OK);
	sql_stmtbuf_close(sb, true);
	sql_cmd *c;
	/* the command at the cursor may be running: it stays, the rest goes */
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->type, SQL_CMD_EXEC_STMT);
	sql_stmtbuf_advance(sb);
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_CLOSED);
	cr_assert_eq(sql_stmtbuf_seek_next_batch(sb, NULL), CM_CLOSED);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, timed_wait_times_out)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	sql_cmd *c;
	cr_assert_eq(sql_stmtbuf_cur_timed(sb, 50, &c), CM_AGAIN);
	sql_stmtbuf_free(sb);
}

typedef struct producer_arg {
	sql_stmtbuf *sb;
	int n;
} producer_arg;

static void *
producer(void *arg)
{
	producer_arg *p = arg;
	for (int i = 0; i < p->n; i++) {
		if (sql_stmtbuf_push(p->sb, mk((i % 10) == 9 ? SQL_CMD_SYNC : SQL_CMD_EXEC_STMT)) != CM_OK)
			abort();
		if (i % 10 == 9)
			sql_stmtbuf_notify(p->sb);
		if (i % 1000 == 0)
			usleep(100);
	}
	sql_stmtbuf_close(p->sb, false);
	return NULL;
}

Test(stmtbuf, concurrent_push_consumer_sees_every_command_in_order)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	producer_arg pa = {sb, 20000};
	pthread_t t;
	pthread_create(&t, NULL, producer, &pa);
	int64_t expect = 0;
	for (;;) {
		sql_cmd *c;
		cm_status st = sql_stmtbuf_cur(sb, &c);
		if (st == CM_CLOSED)
			break;
		cr_assert_eq(st, CM_OK);
		cr_assert_eq(c->pos, expect);
		cr_assert_eq(c->type, (expect % 10) == 9 ? SQL_CMD_SYNC : SQL_CMD_EXEC_STMT);
		expect++;
		sql_stmtbuf_advance(sb);
		if (expect % 10 == 0)
			sql_stmtbuf_ltrim(sb, expect);
	}
	pthread_join(t, NULL);
	cr_assert_eq(expect, 20000);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, seek_blocks_until_sync_arrives)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	producer_arg pa = {sb, 30};
	cr_assert_eq(sql_stmtbuf_push(sb, mk(SQL_CMD_EXEC_STMT)), CM_OK);
	pthread_t t;
	pthread_create(&t, NULL, producer, &pa);
	cr_assert_eq(sql_stmtbuf_seek_next_batch(sb, NULL), CM_OK);
	sql_cmd *c;
	cr_assert_eq(sql_stmtbuf_cur(sb, &c), CM_OK);
	cr_assert_eq(c->type, SQL_CMD_SYNC);
	cr_assert_eq(c->pos, 10); /* first producer Sync: its 10th command, after our one */
	pthread_join(t, NULL);
	sql_stmtbuf_free(sb);
}

Test(stmtbuf, seek_reports_a_skipped_drain_request)
{
	sql_stmtbuf *sb = sql_stmtbuf_new();
	sql_cmd_type seq[] = {SQL_CMD_BIND, SQL_CMD_DRAIN, SQL_CMD_EXEC_PORTAL, SQL_CMD_SYNC};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		cr_assert_eq(sql_stmtbuf_push(sb, mk(seq[i])), CM_OK);
	bool drained = false;
	cr_assert_eq(sql_stmtbuf_seek_next_batch(sb, &drained), CM_OK);
	cr_assert(drained);
	cr_assert_eq(sql_stmtbuf_cur_pos(sb), 3);
	sql_stmtbuf_free(sb);
}
