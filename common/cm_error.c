/*
 * cm_error.c -- the error value (see cm_error.h).
 */
#include "cm_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X(name, code, cname) const char CM_E_##name[6] = code;
#include "sqlstates.def"
#undef X

static const struct {
	const char *code;
	const char *name;
} sqlstate_names[] = {
#define X(name, code, cname) {code, cname},
#include "sqlstates.def"
#undef X
};

static char *
vformat(const char *fmt, va_list ap)
{
	char *out = NULL;
	if (vasprintf(&out, fmt, ap) < 0)
		return NULL;
	return out;
}

cm_status
cm_error_vset(cm_error *err, cm_severity sev, const char *code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return CM_ERROR;
	cm_error_clear(err);
	err->severity = sev;
	memcpy(err->code, code, 5);
	err->code[5] = '\0';
	err->message = vformat(fmt, ap);
	return CM_ERROR;
}

cm_status
cm_error_set(cm_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cm_error_vset(err, CM_SEV_ERROR, code, fmt, ap);
	va_end(ap);
	return CM_ERROR;
}

cm_status
cm_error_setf_sev(cm_error *err, cm_severity sev, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cm_error_vset(err, sev, code, fmt, ap);
	va_end(ap);
	return CM_ERROR;
}

void
cm_error_detail(cm_error *err, const char *fmt, ...)
{
	va_list ap;
	if (err == NULL)
		return;
	free(err->detail);
	va_start(ap, fmt);
	err->detail = vformat(fmt, ap);
	va_end(ap);
}

void
cm_error_hint(cm_error *err, const char *fmt, ...)
{
	va_list ap;
	if (err == NULL)
		return;
	free(err->hint);
	va_start(ap, fmt);
	err->hint = vformat(fmt, ap);
	va_end(ap);
}

void
cm_error_position(cm_error *err, int position)
{
	if (err != NULL)
		err->position = position;
}

void
cm_error_clear(cm_error *err)
{
	if (err == NULL)
		return;
	free(err->message);
	free(err->detail);
	free(err->hint);
	memset(err, 0, sizeof(*err));
}

void
cm_error_move(cm_error *dst, cm_error *src)
{
	cm_error_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

const char *
cm_sqlstate_name(const char *code)
{
	for (size_t i = 0; i < sizeof(sqlstate_names) / sizeof(sqlstate_names[0]); i++)
		if (strncmp(sqlstate_names[i].code, code, 5) == 0)
			return sqlstate_names[i].name;
	return NULL;
}

const char *
cm_severity_name(cm_severity sev)
{
	switch (sev) {
	case CM_SEV_DEBUG: return "DEBUG";
	case CM_SEV_LOG: return "LOG";
	case CM_SEV_INFO: return "INFO";
	case CM_SEV_NOTICE: return "NOTICE";
	case CM_SEV_WARNING: return "WARNING";
	case CM_SEV_ERROR: return "ERROR";
	case CM_SEV_FATAL: return "FATAL";
	case CM_SEV_PANIC: return "PANIC";
	case CM_SEV_NONE: break;
	}
	return "ERROR";
}
