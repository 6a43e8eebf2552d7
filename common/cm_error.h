/*
 * cm_error.h -- the one error value that travels up by return value.
 *
 * A cm_error carries what PostgreSQL's ErrorResponse carries: severity,
 * SQLSTATE, message (lower case, no trailing period), detail, hint and the
 * 1-based cursor position.  Functions that fail return CM_ERROR and fill the
 * caller's cm_error; pgwire turns it into a wire message in exactly one place
 * (pgw_write_error).
 *
 * Exported:
 *   CM_E_<NAME>            SQLSTATE code strings, generated from sqlstates.def
 *   cm_error_set()         set severity ERROR, code and formatted message
 *   cm_error_setf_sev()    same with an explicit severity
 *   cm_error_detail()/hint()/position()
 *   cm_error_clear()       free strings, back to "no error"
 *   cm_error_move()        hand an error over to another holder
 *   cm_sqlstate_name()     "42601" -> "syntax_error"
 *
 * Ownership: the strings are malloc'd and owned by the cm_error; clear frees
 * them.  A zero-initialised cm_error is "no error".
 */
#ifndef PGKV_CM_ERROR_H
#define PGKV_CM_ERROR_H

#include <stdbool.h>
#include <stdarg.h>
#include "cm_status.h"

#define X(name, code, cname) extern const char CM_E_##name[6];
#include "sqlstates.def"
#undef X

typedef enum cm_severity {
	CM_SEV_NONE = 0,
	CM_SEV_DEBUG,
	CM_SEV_LOG,
	CM_SEV_INFO,
	CM_SEV_NOTICE,
	CM_SEV_WARNING,
	CM_SEV_ERROR,
	CM_SEV_FATAL,
	CM_SEV_PANIC,
} cm_severity;

typedef struct cm_error {
	cm_severity severity;	/* CM_SEV_NONE: no error recorded */
	char code[6];			/* SQLSTATE, NUL-terminated */
	char *message;
	char *detail;
	char *hint;
	int position;			/* 1-based character position, 0 = none */
} cm_error;

/* Record an ERROR with code and printf-style message; returns CM_ERROR so a
 * caller can write `return cm_error_set(err, ...)`.  A previous error in
 * *err is replaced. */
cm_status cm_error_set(cm_error *err, const char *code, const char *fmt, ...)
	CM_PRINTF(3, 4);
cm_status cm_error_setf_sev(cm_error *err, cm_severity sev, const char *code,
							const char *fmt, ...) CM_PRINTF(4, 5);
cm_status cm_error_vset(cm_error *err, cm_severity sev, const char *code,
						const char *fmt, va_list ap);
void cm_error_detail(cm_error *err, const char *fmt, ...) CM_PRINTF(2, 3);
void cm_error_hint(cm_error *err, const char *fmt, ...) CM_PRINTF(2, 3);
void cm_error_position(cm_error *err, int position);
void cm_error_clear(cm_error *err);
/* Move *src into *dst (dst is cleared first); src becomes empty. */
void cm_error_move(cm_error *dst, cm_error *src);
static inline bool cm_error_is_set(const cm_error *err) { return err->severity != CM_SEV_NONE; }
static inline bool cm_error_is(const cm_error *err, const char *code)
{
	return err->code[0] == code[0] && err->code[1] == code[1] && err->code[2] == code[2] &&
		   err->code[3] == code[3] && err->code[4] == code[4];
}
/* Condition name of a SQLSTATE ("syntax_error"), or NULL if unknown. */
const char *cm_sqlstate_name(const char *code);
/* Upper-case severity word as PostgreSQL sends it ("ERROR", "FATAL", ...). */
const char *cm_severity_name(cm_severity sev);

#endif /* PGKV_CM_ERROR_H */
