/*
 * cm_duration.h -- parsing and printing of durations and byte sizes as they
 * appear in flags and configuration files ("5s", "1m30s", "64MiB").
 *
 * Durations are one or more <number><unit> groups, Go style: "500ms", "5s",
 * "2m", "1h", "1m30s", "1.5s".  Units: us (or µs), ms, s, m, h.  A unit is
 * required, except for a bare "0".  Results are whole milliseconds
 * (fractions below 1ms are truncated); negative values are rejected.
 *
 * Byte sizes are a number with an optional unit, case-insensitive, with
 * optional blanks in between: plain bytes ("1048576", "512B"), binary units
 * KiB/MiB/GiB/TiB (powers of 1024) and decimal units KB/MB/GB/TB (powers of
 * 1000, as in CockroachDB and the SI; note that postgresql.conf reads "MB" as
 * 1024*1024 -- here it is 10^6).  A fraction is allowed with a unit ("1.5GiB")
 * and is truncated to whole bytes.
 *
 * Exported:
 *   cm_parse_duration_ms()   text -> milliseconds
 *   cm_parse_bytes()         text -> bytes
 *   cm_format_duration_ms()  milliseconds -> shortest text that parses back
 *   cm_format_bytes()        bytes -> "64MiB" style text that parses back
 */
#ifndef PGKV_CM_DURATION_H
#define PGKV_CM_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include "cm_status.h"

/* Parse a duration into *out (milliseconds).  Returns CM_OK, or CM_ERROR
 * (without touching *out) on a syntax error, a missing unit, a negative
 * value or an overflow of int64 milliseconds.  s may be NULL (error). */
CM_MUST_CHECK cm_status cm_parse_duration_ms(const char *s, int64_t *out);

/* Parse a byte size into *out.  Returns CM_OK, or CM_ERROR (without touching
 * *out) on a syntax error, an unknown unit, a negative value or overflow. */
CM_MUST_CHECK cm_status cm_parse_bytes(const char *s, int64_t *out);

/* Write ms as "0" or as its non-zero h/m/s/ms parts, largest first ("250ms",
 * "5s", "1h30m", "1s500ms"); the text parses back to ms.  Negative values
 * get a leading '-'.  Always NUL-terminates; returns buf.  64 bytes are
 * always enough. */
char *cm_format_duration_ms(int64_t ms, char *buf, size_t size);

/* Write n as "<k>TiB/GiB/MiB/KiB" when it is an exact multiple, else plain
 * bytes.  Always NUL-terminates; returns buf.  32 bytes are always enough. */
char *cm_format_bytes(int64_t n, char *buf, size_t size);

#endif /* PGKV_CM_DURATION_H */
