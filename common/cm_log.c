/*
 * cm_log.c -- process log (see cm_log.h).
 */
#include "cm_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

volatile int cm_log_min_level = CM_LOG_INFO;

bool
cm_log_parse_level(const char *s, cm_log_level *out)
{
	static const struct { const char *name; cm_log_level level; } names[] = {
		{"debug", CM_LOG_DEBUG}, {"info", CM_LOG_INFO}, {"warn", CM_LOG_WARN},
		{"warning", CM_LOG_WARN}, {"error", CM_LOG_ERROR}, {"off", CM_LOG_OFF},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return true;
		}
	return false;
}

void
cm_log_write(cm_log_level level, const char *fmt, ...)
{
	static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03ld %-5s ",
					 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
					 tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);	/* one write: lines from threads do not interleave */
}
