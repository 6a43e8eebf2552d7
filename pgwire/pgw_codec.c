/*
 * pgw_codec.c -- PostgreSQL protocol v3 codec over byte buffers (see pgw_codec.h).
 */
#include "pgwire/pgw_codec.h"

#include <stdio.h>
#include <string.h>

static inline uint32_t
get_u32be(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;
	return ((uint32_t) u[0] << 24) | ((uint32_t) u[1] << 16) | ((uint32_t) u[2] << 8) | u[3];
}

bool
pgw_is_frontend_type(uint8_t type)
{
	switch (type) {
#define F(name, byte) case byte:
#define B(name, byte)
#include "pgw_msgtypes.def"
#undef F
#undef B
		return true;
	default:
		return false;
	}
}

pgw_frame
pgw_frame_check(const char *data, size_t len, size_t max_len, uint8_t *type, size_t *body_len,
				size_t *total)
{
	if (len < 5)
		return PGW_FRAME_INCOMPLETE;
	*type = (uint8_t) data[0];
	int32_t n = (int32_t) get_u32be(data + 1);
	if (n < 4)
		return PGW_FRAME_BAD_LENGTH;
	*body_len = (size_t) n - 4;
	if (*body_len > max_len)
		return PGW_FRAME_TOO_LONG;
	*total = 1 + (size_t) n;
	if (len < *total)
		return PGW_FRAME_INCOMPLETE;
	return PGW_FRAME_READY;
}

pgw_frame
pgw_startup_frame_check(const char *data, size_t len, size_t *body_len, size_t *total)
{
	if (len < 4)
		return PGW_FRAME_INCOMPLETE;
	int32_t n = (int32_t) get_u32be(data);
	/* The shortest legal packet is a CancelRequest/SSLRequest code: 8 bytes. */
	if (n < 8)
		return PGW_FRAME_BAD_LENGTH;
	if (n > PGW_MAX_STARTUP_PACKET)
		return PGW_FRAME_TOO_LONG;
	*body_len = (size_t) n - 4;
	*total = (size_t) n;
	if (len < *total)
		return PGW_FRAME_INCOMPLETE;
	return PGW_FRAME_READY;
}

bool
pgw_rd_u8(pgw_rd *rd, uint8_t *out)
{
	if (rd->bad || rd->end - rd->p < 1)
		return !(rd->bad = true);
	*out = (uint8_t) *rd->p++;
	return true;
}

bool
pgw_rd_i16(pgw_rd *rd, int16_t *out)
{
	if (rd->bad || rd->end - rd->p < 2)
		return !(rd->bad = true);
	const unsigned char *u = (const unsigned char *) rd->p;
	*out = (int16_t) ((u[0] << 8) | u[1]);
	rd->p += 2;
	return true;
}

bool
pgw_rd_i32(pgw_rd *rd, int32_t *out)
{
	if (rd->bad || rd->end - rd->p < 4)
		return !(rd->bad = true);
	*out = (int32_t) get_u32be(rd->p);
	rd->p += 4;
	return true;
}

bool
pgw_rd_cstr(pgw_rd *rd, const char **out)
{
	if (rd->bad)
		return false;
	const char *nul = memchr(rd->p, '\0', (size_t) (rd->end - rd->p));
	if (nul == NULL)
		return !(rd->bad = true);
	*out = rd->p;
	rd->p = nul + 1;
	return true;
}

bool
pgw_rd_bytes(pgw_rd *rd, size_t n, const char **out)
{
	if (rd->bad || (size_t) (rd->end - rd->p) < n)
		return !(rd->bad = true);
	*out = rd->p;
	rd->p += n;
	return true;
}

size_t
pgw_msg_begin(cm_buf *b, uint8_t type)
{
	cm_buf_putc(b, (char) type);
	size_t off = b->len;
	cm_buf_put_u32be(b, 0);
	return off;
}

void
pgw_msg_end(cm_buf *b, size_t len_off)
{
	cm_buf_set_u32be(b, len_off, (uint32_t) (b->len - len_off));
}

void
pgw_put_auth(cm_buf *b, int32_t code, const void *extra, size_t extra_len)
{
	size_t off = pgw_msg_begin(b, PGW_BE_AUTHENTICATION);
	cm_buf_put_u32be(b, (uint32_t) code);
	if (extra_len)
		cm_buf_append(b, extra, extra_len);
	pgw_msg_end(b, off);
}

void
pgw_put_parameter_status(cm_buf *b, const char *name, const char *value)
{
	size_t off = pgw_msg_begin(b, PGW_BE_PARAMETER_STATUS);
	cm_buf_put_cstr(b, name);
	cm_buf_put_cstr(b, value ? value : "");
	pgw_msg_end(b, off);
}

void
pgw_put_backend_key(cm_buf *b, int32_t pid, int32_t secret)
{
	size_t off = pgw_msg_begin(b, PGW_BE_BACKEND_KEY_DATA);
	cm_buf_put_u32be(b, (uint32_t) pid);
	cm_buf_put_u32be(b, (uint32_t) secret);
	pgw_msg_end(b, off);
}

void
pgw_put_ready(cm_buf *b, char status)
{
	size_t off = pgw_msg_begin(b, PGW_BE_READY_FOR_QUERY);
	cm_buf_putc(b, status);
	pgw_msg_end(b, off);
}

void
pgw_put_command_complete(cm_buf *b, const char *tag)
{
	size_t off = pgw_msg_begin(b, PGW_BE_COMMAND_COMPLETE);
	cm_buf_put_cstr(b, tag);
	pgw_msg_end(b, off);
}

void
pgw_put_empty(cm_buf *b, uint8_t type)
{
	cm_buf_putc(b, (char) type);
	cm_buf_put_u32be(b, 4);
}

static void
put_field(cm_buf *b, char code, const char *value)
{
	if (value == NULL)
		return;
	cm_buf_putc(b, code);
	cm_buf_put_cstr(b, value);
}

void
pgw_put_error(cm_buf *b, uint8_t type, const cm_error *err, int position_chars)
{
	size_t off = pgw_msg_begin(b, type);
	const char *sev = cm_severity_name(err->severity == CM_SEV_NONE ? CM_SEV_ERROR : err->severity);
	put_field(b, 'S', sev);
	put_field(b, 'V', sev);
	put_field(b, 'C', err->code[0] ? err->code : CM_E_INTERNAL_ERROR);
	put_field(b, 'M', err->message ? err->message : "unknown error");
	put_field(b, 'D', err->detail);
	put_field(b, 'H', err->hint);
	int pos = position_chars > 0 ? position_chars : err->position;
	if (pos > 0) {
		char tmp[16];
		snprintf(tmp, sizeof(tmp), "%d", pos);
		put_field(b, 'P', tmp);
	}
	cm_buf_putc(b, '\0');
	pgw_msg_end(b, off);
}

void
pgw_put_negotiate_version(cm_buf *b, int32_t newest_minor, int n_unrecognized,
						  const char *const *unrecognized)
{
	size_t off = pgw_msg_begin(b, PGW_BE_NEGOTIATE_PROTOCOL_VERSION);
	cm_buf_put_u32be(b, (uint32_t) (3 << 16 | newest_minor));
	cm_buf_put_u32be(b, (uint32_t) n_unrecognized);
	for (int i = 0; i < n_unrecognized; i++)
		cm_buf_put_cstr(b, unrecognized[i]);
	pgw_msg_end(b, off);
}

int
pgw_utf8_chars(const char *s, size_t nbytes)
{
	int n = 0;
	for (size_t i = 0; i < nbytes; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Length of the UTF-8 sequence starting at s (1..4), or 0 if invalid. */
static int
utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	int n;
	uint32_t cp;
	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if ((size_t) n > left)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		(cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n;
}

bool
pgw_utf8_valid(const char *s, size_t len, size_t *bad_off)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t i = 0;
	while (i < len) {
		if (u[i] < 0x80 && u[i] != 0) {
			i++;
			continue;
		}
		int n = utf8_seq_len(u + i, len - i);
		if (n == 0) {
			*bad_off = i;
			return false;
		}
		i += (size_t) n;
	}
	return true;
}

cm_status
pgw_utf8_error(cm_error *err, const char *s, size_t len, size_t bad_off)
{
	/* PostgreSQL prints the offending bytes: as many as the lead byte claims
	 * (at least one), each as 0xNN separated by spaces. */
	const unsigned char *u = (const unsigned char *) s + bad_off;
	size_t left = len - bad_off;
	size_t want = 1;
	if ((u[0] & 0xE0) == 0xC0)
		want = 2;
	else if ((u[0] & 0xF0) == 0xE0)
		want = 3;
	else if ((u[0] & 0xF8) == 0xF0)
		want = 4;
	if (want > left)
		want = left;
	if (u[0] == 0)
		return cm_error_set(err, CM_E_CHARACTER_NOT_IN_REPERTOIRE,
							"invalid byte sequence for encoding \"UTF8\": 0x00");
	char hex[32] = "";
	size_t o = 0;
	for (size_t i = 0; i < want; i++)
		o += (size_t) snprintf(hex + o, sizeof(hex) - o, "%s0x%02x", i ? " " : "", u[i]);
	if (want < ((u[0] & 0xF8) == 0xF0 ? 4u : (u[0] & 0xF0) == 0xE0 ? 3u : (u[0] & 0xE0) == 0xC0 ? 2u : 1u) &&
		want == left)
		return cm_error_set(err, CM_E_CHARACTER_NOT_IN_REPERTOIRE,
							"incomplete multibyte character for encoding \"UTF8\": %s", hex);
	return cm_error_set(err, CM_E_CHARACTER_NOT_IN_REPERTOIRE,
						"invalid byte sequence for encoding \"UTF8\": %s", hex);
}
