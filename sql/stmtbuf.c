/*
 * stmtbuf.c -- command queue between reader and executor (see stmtbuf.h).
 *
 * Entries live in a growable ring indexed by absolute position:
 * entries[(pos - start) ...] hold positions start .. last.  One mutex and one
 * condition variable; the executor sleeps only when the cursor is past the
 * last entry.  The writer wakes it with one signal per batch of input,
 * sent after the unlock (see sql_stmtbuf_notify); no spinning: on two CPUs
 * shared by many connections a spinning executor takes the CPU its own
 * reader needs (docs/performance.md has the measurements).
 */
#include "sql/stmtbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sql_stmtbuf {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sql_cmd **ring;
	size_t cap;			/* power of two */
	size_t head;		/* ring index of position `start` */
	int64_t start;		/* oldest retained position */
	int64_t end;		/* one past the newest position */
	int64_t cur;		/* cursor */
	bool closed;
	bool waiting;		/* executor asleep in cur() */
};

static const char *cmd_names[] = {
	"ExecStmt", "PrepareStmt", "BindStmt", "DescribeStmt", "ExecPortal", "DeletePreparedStmt",
	"Sync", "Flush", "CopyData", "CopyDone", "CopyFail", "SendError", "DrainRequest",
};

const char *
sql_cmd_type_name(sql_cmd_type t)
{
	return (size_t) t < sizeof(cmd_names) / sizeof(cmd_names[0]) ? cmd_names[t] : "?";
}

sql_cmd *
sql_cmd_new(sql_cmd_type type, size_t payload_len)
{
	sql_cmd *c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->type = type;
	if (payload_len) {
		c->payload = calloc(1, payload_len);
		if (c->payload == NULL)
			abort();
	}
	return c;
}

void
sql_cmd_free(sql_cmd *c)
{
	if (c == NULL)
		return;
	switch (c->type) {
	case SQL_CMD_EXEC_STMT:
		sql_parsed_release(c->u.exec.parsed);
		break;
	case SQL_CMD_SEND_ERROR:
		cm_error_clear(&c->u.send_error.err);
		break;
	case SQL_CMD_PREPARE:
		free(c->u.prepare.param_oids);
		break;
	default:
		break;
	}
	free(c->payload);
	free(c);
}

sql_stmtbuf *
sql_stmtbuf_new(void)
{
	sql_stmtbuf *sb = calloc(1, sizeof(*sb));
	if (sb == NULL)
		abort();
	pthread_mutex_init(&sb->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sb->cv, &ca);
	pthread_condattr_destroy(&ca);
	sb->cap = 64;
	sb->ring = calloc(sb->cap, sizeof(sql_cmd *));
	if (sb->ring == NULL)
		abort();
	return sb;
}

static inline sql_cmd **
slot(sql_stmtbuf *sb, int64_t pos)
{
	return &sb->ring[(sb->head + (size_t) (pos - sb->start)) & (sb->cap - 1)];
}

void
sql_stmtbuf_free(sql_stmtbuf *sb)
{
	if (sb == NULL)
		return;
	for (int64_t p = sb->start; p < sb->end; p++)
		sql_cmd_free(*slot(sb, p));
	free(sb->ring);
	pthread_mutex_destroy(&sb->mu);
	pthread_cond_destroy(&sb->cv);
	free(sb);
}

static void
grow(sql_stmtbuf *sb)
{
	size_t n = (size_t) (sb->end - sb->start);
	sql_cmd **ring = calloc(sb->cap * 2, sizeof(sql_cmd *));
	if (ring == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		ring[i] = sb->ring[(sb->head + i) & (sb->cap - 1)];
	free(sb->ring);
	sb->ring = ring;
	sb->head = 0;
	sb->cap *= 2;
}

cm_status
sql_stmtbuf_push(sql_stmtbuf *sb, sql_cmd *cmd)
{
	pthread_mutex_lock(&sb->mu);
	if (sb->closed) {
		pthread_mutex_unlock(&sb->mu);
		sql_cmd_free(cmd);
		return CM_CLOSED;
	}
	if ((size_t) (sb->end - sb->start) == sb->cap)
		grow(sb);
	cmd->pos = sb->end;
	*slot(sb, sb->end) = cmd;
	sb->end++;
	pthread_mutex_unlock(&sb->mu);
	return CM_OK;
}

/*
 * The signal goes out after the unlock: signalling with the mutex held makes
 * the woken executor block again on that mutex, which doubled the cost of a
 * hand-off here (bench/micro_handoff.c: ~11 us per round trip with the lock
 * held, ~5 us after the unlock; docs/performance.md).  No wake-up is lost:
 * `waiting` is set under the mutex by an executor that stays registered on
 * the condition variable from before it releases the mutex, so a true value
 * read here means it is (or is about to be) asleep and the signal reaches it;
 * a stale true only costs one spurious wake-up, which cur() tolerates.  The
 * buffer outlives this call: only the reader frees it, after the executor
 * has been joined (the drain orchestrator notifies under the registry lock).
 */
void
sql_stmtbuf_notify(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	bool wake = sb->waiting;
	pthread_mutex_unlock(&sb->mu);
	if (wake)
		pthread_cond_signal(&sb->cv);
}

void
sql_stmtbuf_close(sql_stmtbuf *sb, bool discard)
{
	pthread_mutex_lock(&sb->mu);
	sb->closed = true;
	if (discard) {
		/* Drop what was never started.  The command at the cursor stays: the
		 * executor may be running it right now. */
		while (sb->end > sb->cur + 1 && sb->end > sb->start) {
			sb->end--;
			sql_cmd_free(*slot(sb, sb->end));
			*slot(sb, sb->end) = NULL;
		}
	}
	pthread_cond_broadcast(&sb->cv);
	pthread_mutex_unlock(&sb->mu);
}

bool
sql_stmtbuf_closed(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	bool c = sb->closed;
	pthread_mutex_unlock(&sb->mu);
	return c;
}

cm_status
sql_stmtbuf_cur_timed(sql_stmtbuf *sb, int64_t timeout_ms, sql_cmd **cmd)
{
	struct timespec deadline;
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&sb->mu);
	while (sb->cur >= sb->end) {
		if (sb->closed) {
			pthread_mutex_unlock(&sb->mu);
			return CM_CLOSED;
		}
		sb->waiting = true;
		if (timeout_ms < 0)
			pthread_cond_wait(&sb->cv, &sb->mu);
		else if (pthread_cond_timedwait(&sb->cv, &sb->mu, &deadline) == ETIMEDOUT &&
				 sb->cur >= sb->end && !sb->closed) {
			sb->waiting = false;
			pthread_mutex_unlock(&sb->mu);
			return CM_AGAIN;
		}
		sb->waiting = false;
	}
	*cmd = *slot(sb, sb->cur);
	pthread_mutex_unlock(&sb->mu);
	return CM_OK;
}

cm_status
sql_stmtbuf_cur(sql_stmtbuf *sb, sql_cmd **cmd)
{
	return sql_stmtbuf_cur_timed(sb, -1, cmd);
}

bool
sql_stmtbuf_has_cur(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	bool r = sb->cur < sb->end;
	pthread_mutex_unlock(&sb->mu);
	return r;
}

sql_cmd *
sql_stmtbuf_peek_next(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	sql_cmd *c = (sb->cur + 1 < sb->end) ? *slot(sb, sb->cur + 1) : NULL;
	pthread_mutex_unlock(&sb->mu);
	return c;
}

int64_t
sql_stmtbuf_advance(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	int64_t prev = sb->cur++;
	pthread_mutex_unlock(&sb->mu);
	return prev;
}

cm_status
sql_stmtbuf_seek_next_batch(sql_stmtbuf *sb, bool *skipped_drain)
{
	pthread_mutex_lock(&sb->mu);
	bool first = true;
	if (skipped_drain)
		*skipped_drain = false;
	for (;;) {
		while (sb->cur >= sb->end) {
			if (sb->closed) {
				pthread_mutex_unlock(&sb->mu);
				return CM_CLOSED;
			}
			sb->waiting = true;
			pthread_cond_wait(&sb->cv, &sb->mu);
			sb->waiting = false;
		}
		sql_cmd *c = *slot(sb, sb->cur);
		if (c->type == SQL_CMD_SYNC && !first)
			break;
		if (c->type == SQL_CMD_DRAIN && skipped_drain)
			*skipped_drain = true;
		/* A Sync at the starting point is skipped: look for the next one. */
		first = false;
		sb->cur++;
	}
	pthread_mutex_unlock(&sb->mu);
	return CM_OK;
}

void
sql_stmtbuf_rewind(sql_stmtbuf *sb, int64_t pos)
{
	pthread_mutex_lock(&sb->mu);
	if (pos < sb->start)
		abort();	/* the executor trimmed history it still needed: a bug */
	sb->cur = pos;
	pthread_mutex_unlock(&sb->mu);
}

void
sql_stmtbuf_ltrim(sql_stmtbuf *sb, int64_t pos)
{
	pthread_mutex_lock(&sb->mu);
	if (pos > sb->cur || pos < sb->start) {
		pthread_mutex_unlock(&sb->mu);
		abort();
	}
	while (sb->start < pos) {
		sql_cmd **s = slot(sb, sb->start);
		sql_cmd_free(*s);
		*s = NULL;
		sb->head = (sb->head + 1) & (sb->cap - 1);
		sb->start++;
	}
	pthread_mutex_unlock(&sb->mu);
}

int64_t
sql_stmtbuf_cur_pos(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	int64_t p = sb->cur;
	pthread_mutex_unlock(&sb->mu);
	return p;
}

size_t
sql_stmtbuf_len(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	size_t n = (size_t) (sb->end - sb->start);
	pthread_mutex_unlock(&sb->mu);
	return n;
}

size_t
sql_stmtbuf_pending(sql_stmtbuf *sb)
{
	pthread_mutex_lock(&sb->mu);
	size_t n = sb->end > sb->cur ? (size_t) (sb->end - sb->cur) : 0;
	pthread_mutex_unlock(&sb->mu);
	return n;
}
