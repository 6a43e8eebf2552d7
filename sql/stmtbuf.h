/*
 * stmtbuf.h -- the queue of commands between a connection's reader thread
 * and its connExecutor (DESIGN.md §2).
 *
 * One writer (the reader thread; the drain orchestrator may also push a
 * DrainRequest) and one reader (the executor).  Every command gets an
 * absolute position counted from the start of the connection.  Executed
 * commands stay in the buffer until the executor trims them, so a
 * transaction can be replayed by rewinding the cursor (automatic retries).
 *
 * Batches: a Sync ends a batch.  After an error the executor calls
 * sql_stmtbuf_seek_next_batch(), which lands ON the next Sync; executing that
 * Sync emits ReadyForQuery.
 *
 * Wake-ups: the writer pushes commands with sql_stmtbuf_push() (no wake-up)
 * and calls sql_stmtbuf_notify() once per batch of input it read, so the
 * executor is woken once per read, not once per message.
 *
 * Exported:
 *   sql_stmtbuf_new/free, push, notify, close
 *   sql_stmtbuf_cur()           command at the cursor (blocks; CM_CLOSED at the end)
 *   sql_stmtbuf_cur_timed()     same with a timeout (CM_AGAIN when it expires)
 *   sql_stmtbuf_advance()       cursor + 1
 *   sql_stmtbuf_seek_next_batch()
 *   sql_stmtbuf_rewind(pos), sql_stmtbuf_ltrim(pos), sql_stmtbuf_len()
 *   sql_cmd_new/free            commands and their payloads
 *
 * Ownership: a pushed command belongs to the buffer; it is freed by ltrim or
 * by sql_stmtbuf_free.  Pointers returned by cur stay valid until the
 * command is trimmed.
 */
#ifndef PGKV_SQL_STMTBUF_H
#define PGKV_SQL_STMTBUF_H

#include <stdbool.h>
#include <stdint.h>
#include "common/cm_error.h"
#include "sql/parser.h"

typedef enum sql_cmd_type {
	SQL_CMD_EXEC_STMT = 0,	/* one statement of a simple Query */
	SQL_CMD_PREPARE,		/* Parse */
	SQL_CMD_BIND,			/* Bind */
	SQL_CMD_DESCRIBE,		/* Describe 'S' / 'P' */
	SQL_CMD_EXEC_PORTAL,	/* Execute */
	SQL_CMD_DELETE_PREPARED, /* Close 'S' / 'P' */
	SQL_CMD_SYNC,			/* client Sync, or synthesised after a Query */
	SQL_CMD_FLUSH,			/* Flush */
	SQL_CMD_COPY_DATA,
	SQL_CMD_COPY_DONE,
	SQL_CMD_COPY_FAIL,
	SQL_CMD_SEND_ERROR,		/* reader-side failure, reported in order */
	SQL_CMD_DRAIN,			/* server drain request */
} sql_cmd_type;

const char *sql_cmd_type_name(sql_cmd_type t);

/* Bind message contents (pointers into the command's payload). */
typedef struct sql_bind_args {
	const char *portal;
	const char *stmt;
	int nformats;
	int16_t *formats;		/* parameter format codes */
	int nparams;
	const char **values;	/* NULL entry = SQL NULL */
	int32_t *lengths;
	int nresult_formats;
	int16_t *result_formats;
} sql_bind_args;

typedef struct sql_cmd {
	sql_cmd_type type;
	int64_t pos;
	union {
		struct {
			sql_parsed *parsed;	/* shared by every statement of the Query (refcounted) */
			int index;			/* which statement */
			bool last_in_batch;
		} exec;
		struct {
			const char *name;
			const char *query;
			int nparams;
			uint32_t *param_oids;
		} prepare;
		sql_bind_args bind;
		struct {
			char kind;			/* 'S' statement, 'P' portal */
			const char *name;
		} describe;
		struct {
			const char *portal;
			int32_t max_rows;	/* 0 = all */
			bool followed_by_sync;
		} exec_portal;
		struct {
			const char *data;
			size_t len;
		} copy;
		struct {
			cm_error err;
			bool fatal_close;	/* close the connection after reporting */
		} send_error;
	} u;
	/* One allocation holds the command's payload (copied message body). */
	char *payload;
} sql_cmd;

/* A new command with `payload_len` bytes of owned payload space (zeroed). */
sql_cmd *sql_cmd_new(sql_cmd_type type, size_t payload_len);
void sql_cmd_free(sql_cmd *cmd);

typedef struct sql_stmtbuf sql_stmtbuf;

sql_stmtbuf *sql_stmtbuf_new(void);
void sql_stmtbuf_free(sql_stmtbuf *sb);
/* Append; returns CM_CLOSED (and frees cmd) if the buffer is closed. */
cm_status sql_stmtbuf_push(sql_stmtbuf *sb, sql_cmd *cmd);
/* Wake the executor if it waits for input. */
void sql_stmtbuf_notify(sql_stmtbuf *sb);
/* Close.  discard=true: commands after the cursor are dropped (the client is
 * gone; the one at the cursor may be running and stays); discard=false: the executor still runs what was queued, then sees
 * CM_CLOSED.  Idempotent. */
void sql_stmtbuf_close(sql_stmtbuf *sb, bool discard);
bool sql_stmtbuf_closed(sql_stmtbuf *sb);
/* Command at the cursor, blocking until one is there. CM_CLOSED when closed
 * and nothing is left to run. */
cm_status sql_stmtbuf_cur(sql_stmtbuf *sb, sql_cmd **cmd);
/* Same, waiting at most timeout_ms (< 0: forever); CM_AGAIN on timeout. */
cm_status sql_stmtbuf_cur_timed(sql_stmtbuf *sb, int64_t timeout_ms, sql_cmd **cmd);
/* Is a command available at the cursor right now (no blocking)? */
bool sql_stmtbuf_has_cur(sql_stmtbuf *sb);
/* Peek at the command after the cursor without blocking; NULL if none yet. */
sql_cmd *sql_stmtbuf_peek_next(sql_stmtbuf *sb);
int64_t sql_stmtbuf_advance(sql_stmtbuf *sb);
/* Move the cursor to the next Sync (blocking for input).  If the cursor is on
 * a Sync, that Sync is skipped and the following one is found.  CM_CLOSED if
 * the buffer closes first.  *skipped_drain (may be NULL) tells whether a
 * DrainRequest was among the skipped commands, so it is not lost. */
cm_status sql_stmtbuf_seek_next_batch(sql_stmtbuf *sb, bool *skipped_drain);
/* Cursor back to pos (>= start of the retained entries). */
void sql_stmtbuf_rewind(sql_stmtbuf *sb, int64_t pos);
/* Free every command before pos (pos <= cursor). */
void sql_stmtbuf_ltrim(sql_stmtbuf *sb, int64_t pos);
int64_t sql_stmtbuf_cur_pos(sql_stmtbuf *sb);
size_t sql_stmtbuf_len(sql_stmtbuf *sb);
/* Commands received but not started (for metrics). */
size_t sql_stmtbuf_pending(sql_stmtbuf *sb);

#endif /* PGKV_SQL_STMTBUF_H */
