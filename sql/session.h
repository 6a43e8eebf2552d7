/*
 * session.h -- per-connection session state: settings (SET / SHOW / RESET,
 * with PostgreSQL's transactional semantics), identity, prepared statements
 * and portals.
 *
 * Settings follow PostgreSQL's GUC rules: names are case-insensitive; a SET
 * inside a transaction is undone if the transaction rolls back; SET LOCAL
 * lasts until the end of the transaction; a few settings are reported to the
 * client with ParameterStatus whenever their value changes (at most once per
 * query, just before ReadyForQuery).
 *
 * Exported:
 *   sql_session_new/free
 *   sql_session_apply_startup()     startup packet parameters and "options"
 *   sql_session_set() / reset() / reset_all() / get() / show_name()
 *   sql_session_txn_begin() / txn_end() / savepoint() / rollback_to()
 *   sql_session_changed_reports()   settings to send as ParameterStatus
 *   sql_session_report_all()        every reported setting (startup)
 *   sql_session_foreach()           iterate settings (SHOW ALL)
 *   sql_session_prepared_* / sql_session_portal_*
 */
#ifndef PGKV_SQL_SESSION_H
#define PGKV_SQL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "common/cm_arena.h"
#include "common/cm_error.h"
#include "sql/sem/sem_types.h"

typedef struct sql_session sql_session;

typedef struct sql_session_params {
	const char *user;
	const char *database;
	bool superuser;
	int32_t backend_pid;
	const char *default_timezone;	/* server's TimeZone default, NULL = "UTC" */
	int64_t results_buffer_size;	/* server default for results_buffer_size */
} sql_session_params;

sql_session *sql_session_new(const sql_session_params *p);
void sql_session_free(sql_session *s);

const char *sql_session_user(const sql_session *s);
const char *sql_session_database(const sql_session *s);
bool sql_session_superuser(const sql_session *s);

/* Apply one startup packet parameter (name/value).  "options" is parsed as
 * command-line style "-c name=value" / "--name=value" switches.  Errors are
 * FATAL for the caller to report (42704 unknown parameter, 22023 bad value). */
CM_MUST_CHECK cm_status sql_session_apply_startup(sql_session *s, const char *name,
												  const char *value, cm_error *err);

/* SET name = value (value already flattened to PostgreSQL's text form).
 * is_local: SET LOCAL.  in_txn: inside an explicit or implicit transaction
 * (the change is undone if it rolls back). */
CM_MUST_CHECK cm_status sql_session_set(sql_session *s, const char *name, const char *value,
										bool is_local, cm_error *err);
CM_MUST_CHECK cm_status sql_session_reset(sql_session *s, const char *name, cm_error *err);
void sql_session_reset_all(sql_session *s);
/* Current value (NULL if the name is unknown).  Valid until the next SET. */
const char *sql_session_get(sql_session *s, const char *name);
/* Canonical name of a setting ("timezone" -> "TimeZone"), or NULL. */
const char *sql_session_show_name(sql_session *s, const char *name);
/* Is the setting list-valued (search_path): each element quoted as an identifier. */
bool sql_session_is_list(const char *name);

/* Transaction boundaries for settings undo. */
void sql_session_txn_begin(sql_session *s);
void sql_session_txn_end(sql_session *s, bool committed);
/* SAVEPOINT: a mark in the transaction's settings undo log.  ROLLBACK TO
 * the savepoint: every setting (built-in or custom x.y; SET, SET LOCAL,
 * RESET) changed since the mark gets its value at the mark back, as if it
 * had not been changed; RELEASE needs no call (the changes stay with the
 * transaction). */
size_t sql_session_savepoint(const sql_session *s);
void sql_session_rollback_to(sql_session *s, size_t mark);

/* Reported settings whose value differs from what the client last saw;
 * calls fn(name, value) for each and marks them reported. */
void sql_session_changed_reports(sql_session *s, void (*fn)(void *arg, const char *name, const char *value), void *arg);
void sql_session_report_all(sql_session *s, void (*fn)(void *arg, const char *name, const char *value), void *arg);
/* Every visible setting in name order (SHOW ALL). */
void sql_session_foreach(sql_session *s, void (*fn)(void *arg, const char *name, const char *value, const char *desc), void *arg);

/* Evaluation context fields derived from settings (timezone, DateStyle...). */
void sql_session_fill_sem(sql_session *s, sem_ctx *ctx);
int64_t sql_session_statement_timeout_ms(sql_session *s);
int64_t sql_session_idle_in_txn_timeout_ms(sql_session *s);
int64_t sql_session_results_buffer_size(sql_session *s);

/* Transaction characteristics (SET SESSION CHARACTERISTICS / default_transaction_*). */
typedef enum sql_isolation {
	SQL_ISO_READ_UNCOMMITTED = 0,
	SQL_ISO_READ_COMMITTED,
	SQL_ISO_REPEATABLE_READ,
	SQL_ISO_SERIALIZABLE,
} sql_isolation;
const char *sql_isolation_name(sql_isolation iso);
bool sql_isolation_parse(const char *s, sql_isolation *out);
/* Current transaction's characteristics, as SHOW transaction_isolation sees
 * them; the executor sets them at BEGIN / SET TRANSACTION. */
void sql_session_set_txn_chars(sql_session *s, sql_isolation iso, bool read_only, bool deferrable);

#endif /* PGKV_SQL_SESSION_H */
