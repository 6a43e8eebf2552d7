/*
 * pgw_codec.h -- PostgreSQL protocol v3 codec over byte buffers.
 *
 * pgwire/ is a codec: it reads and writes byte buffers and never touches a
 * socket, so unit tests feed it byte arrays.  Framing checks the type byte
 * and caps the length before any body is allocated; writers build a whole
 * message, then back-fill its length.
 *
 * Exported:
 *   PGW_FE_* / PGW_BE_*        message type bytes (from pgw_msgtypes.def)
 *   PGW_CODE_*                 codes of untyped first packets
 *   pgw_frame_check()          is a complete typed message at the front of a buffer?
 *   pgw_startup_frame_check()  same for the untyped startup packet
 *   pgw_rd_*                   bounds-checked body reader
 *   pgw_msg_begin/end          start a message, back-fill its length
 *   pgw_put_*                  builders for every backend message
 */
#ifndef PGKV_PGW_CODEC_H
#define PGKV_PGW_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/cm_buf.h"
#include "common/cm_error.h"

enum {
#define F(name, byte) PGW_FE_##name = byte,
#define B(name, byte)
#include "pgw_msgtypes.def"
#undef F
#undef B
};
enum {
#define F(name, byte)
#define B(name, byte) PGW_BE_##name = byte,
#include "pgw_msgtypes.def"
#undef F
#undef B
};

#define PGW_PROTOCOL_3_0 196608			/* 3 << 16 */
#define PGW_CODE_CANCEL 80877102		/* 1234 << 16 | 5678 */
#define PGW_CODE_SSL 80877103
#define PGW_CODE_GSSENC 80877104
#define PGW_MAX_STARTUP_PACKET 10000	/* PostgreSQL's MAX_STARTUP_PACKET_LENGTH */

/* Authentication request subtypes. */
enum {
	PGW_AUTHREQ_OK = 0,
	PGW_AUTHREQ_CLEARTEXT = 3,
	PGW_AUTHREQ_MD5 = 5,
	PGW_AUTHREQ_SASL = 10,
	PGW_AUTHREQ_SASL_CONTINUE = 11,
	PGW_AUTHREQ_SASL_FINAL = 12,
};

/* Is the byte a frontend message type the server understands? */
bool pgw_is_frontend_type(uint8_t type);

typedef enum pgw_frame {
	PGW_FRAME_INCOMPLETE = 0,	/* need more bytes */
	PGW_FRAME_READY,			/* type and body_len describe the message at the front */
	PGW_FRAME_BAD_LENGTH,		/* length < 4: stream cannot be trusted */
	PGW_FRAME_TOO_LONG,			/* length > max */
} pgw_frame;

/* Examine the front of data[0..len): a typed message is 1 type byte + int32
 * length (counting itself) + body.  On READY, *total is the whole frame size
 * (5 + body), *body_len the body size.  On TOO_LONG *body_len is the
 * announced body size so the caller can report it. */
pgw_frame pgw_frame_check(const char *data, size_t len, size_t max_len, uint8_t *type,
						  size_t *body_len, size_t *total);
/* Same for an untyped startup-phase packet (int32 length + body). */
pgw_frame pgw_startup_frame_check(const char *data, size_t len, size_t *body_len, size_t *total);

/* Bounds-checked reader over a message body.  Every getter returns false
 * (and sets rd->bad) when the body is too short; callers check rd->bad once
 * at the end or each result as convenient. */
typedef struct pgw_rd {
	const char *p;
	const char *end;
	bool bad;
} pgw_rd;

static inline void pgw_rd_init(pgw_rd *rd, const char *p, size_t len) { rd->p = p; rd->end = p + len; rd->bad = false; }
static inline size_t pgw_rd_left(const pgw_rd *rd) { return (size_t) (rd->end - rd->p); }
bool pgw_rd_u8(pgw_rd *rd, uint8_t *out);
bool pgw_rd_i16(pgw_rd *rd, int16_t *out);
bool pgw_rd_i32(pgw_rd *rd, int32_t *out);
/* NUL-terminated string inside the body; *out points into the body. */
bool pgw_rd_cstr(pgw_rd *rd, const char **out);
/* n raw bytes; *out points into the body. */
bool pgw_rd_bytes(pgw_rd *rd, size_t n, const char **out);

/* Message writers.  pgw_msg_begin appends the type byte and a placeholder
 * length and returns the offset of the length; pgw_msg_end back-fills it. */
size_t pgw_msg_begin(cm_buf *b, uint8_t type);
void pgw_msg_end(cm_buf *b, size_t len_off);

void pgw_put_auth(cm_buf *b, int32_t code, const void *extra, size_t extra_len);
void pgw_put_parameter_status(cm_buf *b, const char *name, const char *value);
void pgw_put_backend_key(cm_buf *b, int32_t pid, int32_t secret);
void pgw_put_ready(cm_buf *b, char status);
void pgw_put_command_complete(cm_buf *b, const char *tag);
void pgw_put_empty(cm_buf *b, uint8_t type);	/* messages with no body: '1','2','3','n','s','I','c' */
/* ErrorResponse ('E') or NoticeResponse ('N') from the error value.
 * position_chars overrides err->position when > 0 (already converted to a
 * character offset by the caller). */
void pgw_put_error(cm_buf *b, uint8_t type, const cm_error *err, int position_chars);
void pgw_put_negotiate_version(cm_buf *b, int32_t newest_minor, int n_unrecognized,
							   const char *const *unrecognized);

/* Number of UTF-8 characters in s[0..nbytes) (bytes of a truncated character count once). */
int pgw_utf8_chars(const char *s, size_t nbytes);
/* Does s[0..len) hold valid UTF-8 without NUL bytes?  On failure *bad_off is
 * the offset of the first invalid byte. */
bool pgw_utf8_valid(const char *s, size_t len, size_t *bad_off);
/* PostgreSQL's message for invalid UTF-8 at s (22021): fills err. */
cm_status pgw_utf8_error(cm_error *err, const char *s, size_t len, size_t bad_off);

#endif /* PGKV_PGW_CODEC_H */
