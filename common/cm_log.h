/*
 * cm_log.h -- process log (stderr), level-checked before formatting.
 *
 * CM_LOG(level, fmt, ...) formats only when the level is enabled.  Lines
 * carry a UTC timestamp, the level and, by convention, the connection tag
 * ("conn=12 user=root db=defaultdb peer=127.0.0.1:5555") as the first words.
 */
#ifndef PGKV_CM_LOG_H
#define PGKV_CM_LOG_H

#include <stdbool.h>
#include "cm_status.h"

typedef enum cm_log_level {
	CM_LOG_DEBUG = 0,
	CM_LOG_INFO = 1,
	CM_LOG_WARN = 2,
	CM_LOG_ERROR = 3,
	CM_LOG_OFF = 4,
} cm_log_level;

extern volatile int cm_log_min_level;

/* Parse "debug" / "info" / "warn" / "warning" / "error" / "off"; false if unknown. */
bool cm_log_parse_level(const char *s, cm_log_level *out);
void cm_log_write(cm_log_level level, const char *fmt, ...) CM_PRINTF(2, 3);

#define CM_LOG(level, ...) \
	do { \
		if ((int) (level) >= cm_log_min_level) \
			cm_log_write((level), __VA_ARGS__); \
	} while (0)

#endif /* PGKV_CM_LOG_H */
