/*
 * conn_executor.h -- the per-connection executor (DESIGN.md §1-2).
 *
 * Runs on its own thread: takes commands from the StmtBuf, executes them,
 * and writes results through ClientComm.  It owns the transaction state
 * machine (NoTxn, Open implicit/explicit, Aborted, CommitWait), prepared
 * statements and portals.  It never reads the socket.
 *
 * Exported:
 *   sql_executor_run()   the executor loop; returns why it stopped
 */
#ifndef PGKV_SQL_CONN_EXECUTOR_H
#define PGKV_SQL_CONN_EXECUTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include "sql/clientcomm.h"
#include "sql/session.h"
#include "sql/stmtbuf.h"

typedef enum sql_exit_reason {
	SQL_EXIT_CLIENT_CLOSED = 0,	/* StmtBuf closed: Terminate or EOF */
	SQL_EXIT_DRAINED,			/* drain request honoured; 57P01 already sent */
	SQL_EXIT_FATAL,				/* a FATAL error was sent to the client */
	SQL_EXIT_IO_ERROR,			/* writing to the client failed */
} sql_exit_reason;

enum {
	SQL_CANCEL_NONE = 0,
	SQL_CANCEL_REQUEST = 1,		/* CancelRequest: 57014 */
	SQL_CANCEL_DRAIN = 2,		/* drain deadline: FATAL 57P01, session ends */
	SQL_CANCEL_CLIENT_GONE = 3,	/* the client disconnected */
	SQL_CANCEL_TIMEOUT = 4,		/* statement_timeout: 57014 */
};

typedef struct sql_executor_config {
	sql_stmtbuf *stmtbuf;
	sql_clientcomm *comm;
	sql_session *session;
	struct kv_client *kv;		/* the store, through the transaction client */
	/* Non-zero cancels the running statement: SQL_CANCEL_REQUEST, _DRAIN or
	 * _CLIENT_GONE.  The executor clears it when a statement starts. */
	atomic_int *cancel;
	/* Called after each statement with its command tag and latency, and with
	 * each error sent (NULL-safe hooks for metrics). */
	void (*on_statement)(void *arg, const char *tag, int64_t latency_us);
	void (*on_error)(void *arg, const cm_error *err);
	void *hook_arg;
} sql_executor_config;

sql_exit_reason sql_executor_run(const sql_executor_config *cfg);

#endif /* PGKV_SQL_CONN_EXECUTOR_H */
