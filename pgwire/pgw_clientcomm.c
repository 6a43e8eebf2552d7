/*
 * pgw_clientcomm.c -- ClientComm over a pgwire connection (see pgw_clientcomm.h).
 */
#include "pgwire/pgw_clientcomm.h"

#include <stdlib.h>
#include <string.h>

#include "pgwire/pgw_codec.h"
#include "sql/parser.h"
#include "sql/sem/sem_io.h"

#define C(x) ((pgw_comm *) (x))

static void
begin_cmd(sql_clientcomm *cc, int64_t pos)
{
	pgw_comm *c = C(cc);
	c->cur_pos = pos;
	if (c->nmarks && c->marks[c->nmarks - 1].pos == pos)
		return;
	if (c->nmarks == c->cap_marks) {
		c->cap_marks = c->cap_marks ? c->cap_marks * 2 : 64;
		c->marks = realloc(c->marks, c->cap_marks * sizeof(pgw_mark));
		if (c->marks == NULL)
			abort();
	}
	c->marks[c->nmarks].pos = pos;
	c->marks[c->nmarks].off = c->out.len;
	c->nmarks++;
}

/* Type length as RowDescription reports it (pg_type.typlen). */
static int16_t
typlen(sem_oid oid)
{
	switch (oid) {
	case SEM_BOOLOID:
	case SEM_CHAROID:
		return 1;
	case SEM_INT2OID:
		return 2;
	case SEM_INT4OID:
	case SEM_OIDOID:
	case SEM_FLOAT4OID:
	case SEM_DATEOID:
	case SEM_REGCLASSOID:
	case SEM_REGTYPEOID:
	case SEM_REGPROCOID:
		return 4;
	case SEM_INT8OID:
	case SEM_FLOAT8OID:
	case SEM_TIMEOID:
	case SEM_TIMESTAMPOID:
	case SEM_TIMESTAMPTZOID:
		return 8;
	case SEM_INTERVALOID:
	case SEM_UUIDOID:
		return 16;
	case SEM_NAMEOID:
		return 64;
	case SEM_UNKNOWNOID:
		return -2;
	case SEM_VOIDOID:
		return 4;
	default:
		return -1;
	}
}

static void
row_description(sql_clientcomm *cc, int ncols, const sql_result_col *cols)
{
	cm_buf *b = &C(cc)->out;
	size_t off = pgw_msg_begin(b, PGW_BE_ROW_DESCRIPTION);
	cm_buf_put_u16be(b, (uint16_t) ncols);
	for (int i = 0; i < ncols; i++) {
		cm_buf_put_cstr(b, cols[i].name ? cols[i].name : "?column?");
		cm_buf_put_u32be(b, cols[i].table_oid);
		cm_buf_put_u16be(b, (uint16_t) cols[i].attnum);
		cm_buf_put_u32be(b, cols[i].type.oid);
		cm_buf_put_u16be(b, (uint16_t) typlen(cols[i].type.oid));
		cm_buf_put_u32be(b, (uint32_t) cols[i].type.typmod);
		cm_buf_put_u16be(b, (uint16_t) cols[i].format);
	}
	pgw_msg_end(b, off);
}

static cm_status
data_row(sql_clientcomm *cc, sem_ctx *ctx, int ncols, const sql_result_col *cols, const sem_datum *vals,
		 cm_error *err)
{
	cm_buf *b = &C(cc)->out;
	size_t start = b->len;
	size_t off = pgw_msg_begin(b, PGW_BE_DATA_ROW);
	cm_buf_put_u16be(b, (uint16_t) ncols);
	for (int i = 0; i < ncols; i++) {
		if (vals[i].isnull) {
			cm_buf_put_u32be(b, 0xFFFFFFFFu);
			continue;
		}
		size_t lenoff = b->len;
		cm_buf_put_u32be(b, 0);
		if (cols[i].format == 1) {
			if (sem_out_binary(ctx, cols[i].type, &vals[i], b, err) != CM_OK) {
				cm_buf_truncate(b, start);
				return CM_ERROR;
			}
		} else
			sem_out_text(ctx, cols[i].type, &vals[i], b);
		cm_buf_set_u32be(b, lenoff, (uint32_t) (b->len - lenoff - 4));
	}
	pgw_msg_end(b, off);
	return CM_OK;
}

static void
command_complete(sql_clientcomm *cc, const char *tag)
{
	pgw_put_command_complete(&C(cc)->out, tag);
}

static void empty_query(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_EMPTY_QUERY_RESPONSE); }
static void parse_complete(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_PARSE_COMPLETE); }
static void bind_complete(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_BIND_COMPLETE); }
static void close_complete(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_CLOSE_COMPLETE); }
static void no_data(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_NO_DATA); }
static void portal_suspended(sql_clientcomm *cc) { pgw_put_empty(&C(cc)->out, PGW_BE_PORTAL_SUSPENDED); }

static void
parameter_description(sql_clientcomm *cc, int n, const sem_oid *types)
{
	cm_buf *b = &C(cc)->out;
	size_t off = pgw_msg_begin(b, PGW_BE_PARAMETER_DESCRIPTION);
	cm_buf_put_u16be(b, (uint16_t) n);
	for (int i = 0; i < n; i++)
		cm_buf_put_u32be(b, types[i]);
	pgw_msg_end(b, off);
}

static void
ready_for_query(sql_clientcomm *cc, char status)
{
	pgw_put_ready(&C(cc)->out, status);
}

static void
error(sql_clientcomm *cc, const cm_error *err, const char *query, size_t query_len)
{
	int pos = 0;
	if (err->position > 0 && query)
		pos = sql_position_to_chars(query, query_len, err->position);
	pgw_put_error(&C(cc)->out, err->severity >= CM_SEV_ERROR || err->severity == CM_SEV_NONE
								   ? PGW_BE_ERROR_RESPONSE
								   : PGW_BE_NOTICE_RESPONSE,
				  err, pos);
}

static void
parameter_status(sql_clientcomm *cc, const char *name, const char *value)
{
	pgw_put_parameter_status(&C(cc)->out, name, value);
}

static cm_status
flush(sql_clientcomm *cc)
{
	pgw_comm *c = C(cc);
	cm_status st = CM_OK;
	if (c->out.len)
		st = pgw_tr_write_all(c->tr, c->out.data, c->out.len);
	c->flushed_pos = c->cur_pos;
	c->nmarks = 0;
	cm_buf_reset(&c->out);
	/* Do not keep a huge buffer around after a big result. */
	if (c->out.cap > (1u << 20)) {
		cm_buf_free(&c->out);
		cm_buf_init(&c->out);
	}
	return st;
}

static bool
rtrim(sql_clientcomm *cc, int64_t pos)
{
	pgw_comm *c = C(cc);
	if (pos <= c->flushed_pos)
		return false;
	for (size_t i = 0; i < c->nmarks; i++)
		if (c->marks[i].pos >= pos) {
			cm_buf_truncate(&c->out, c->marks[i].off);
			c->nmarks = i;
			return true;
		}
	return true;
}

static void
copy_in_response(sql_clientcomm *cc, int format, int ncols)
{
	cm_buf *b = &C(cc)->out;
	size_t off = pgw_msg_begin(b, PGW_BE_COPY_IN_RESPONSE);
	cm_buf_putc(b, (char) format);
	cm_buf_put_u16be(b, (uint16_t) ncols);
	for (int i = 0; i < ncols; i++)
		cm_buf_put_u16be(b, (uint16_t) format);
	pgw_msg_end(b, off);
}

static size_t buffered(sql_clientcomm *cc) { return C(cc)->out.len; }
static int64_t flushed_pos(sql_clientcomm *cc) { return C(cc)->flushed_pos; }

static const sql_clientcomm_vt pgw_comm_vt = {
	.begin_cmd = begin_cmd,
	.row_description = row_description,
	.data_row = data_row,
	.command_complete = command_complete,
	.empty_query = empty_query,
	.parse_complete = parse_complete,
	.bind_complete = bind_complete,
	.close_complete = close_complete,
	.no_data = no_data,
	.portal_suspended = portal_suspended,
	.parameter_description = parameter_description,
	.ready_for_query = ready_for_query,
	.error = error,
	.parameter_status = parameter_status,
	.flush = flush,
	.rtrim = rtrim,
	.buffered = buffered,
	.flushed_pos = flushed_pos,
	.copy_in_response = copy_in_response,
};

void
pgw_comm_init(pgw_comm *c, pgw_transport *tr)
{
	memset(c, 0, sizeof(*c));
	c->base.vt = &pgw_comm_vt;
	c->tr = tr;
	c->flushed_pos = -1;
	cm_buf_init(&c->out);
}

void
pgw_comm_free(pgw_comm *c)
{
	cm_buf_free(&c->out);
	free(c->marks);
}
