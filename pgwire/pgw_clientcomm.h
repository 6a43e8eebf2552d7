/*
 * pgw_clientcomm.h -- the wire implementation of sql/clientcomm.h.
 *
 * Buffers protocol messages for one connection and writes them through its
 * transport on flush.  Remembers where each command's output starts so
 * unflushed output can be dropped (rtrim) when a transaction is retried.
 */
#ifndef PGKV_PGW_CLIENTCOMM_H
#define PGKV_PGW_CLIENTCOMM_H

#include "common/cm_buf.h"
#include "pgwire/pgw_transport.h"
#include "sql/clientcomm.h"

typedef struct pgw_mark {
	int64_t pos;
	size_t off;
} pgw_mark;

typedef struct pgw_comm {
	sql_clientcomm base;
	pgw_transport *tr;
	cm_buf out;
	int64_t cur_pos;
	int64_t flushed_pos;
	pgw_mark *marks;
	size_t nmarks, cap_marks;
} pgw_comm;

void pgw_comm_init(pgw_comm *c, pgw_transport *tr);
void pgw_comm_free(pgw_comm *c);

#endif /* PGKV_PGW_CLIENTCOMM_H */
