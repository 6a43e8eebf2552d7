/*
 * clientcomm.h -- how the connExecutor sends results to its client.
 *
 * The executor (sql/) must not know the wire format, and the wire front end
 * (pgwire/) depends on sql/, so sql/ declares this interface and pgwire/
 * implements it (pgw_clientcomm.c).  Results are buffered; nothing reaches
 * the client until flush(), which the executor calls at Sync, Flush, or when
 * the buffer passes results_buffer_size.  Unflushed output can be dropped
 * back to a command position with rtrim() — that is what makes automatic
 * transaction retries invisible to the client.
 *
 * All calls are made from the executor thread only.
 */
#ifndef PGKV_SQL_CLIENTCOMM_H
#define PGKV_SQL_CLIENTCOMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/cm_error.h"
#include "sql/sem/sem_types.h"

/* One column of a RowDescription. */
typedef struct sql_result_col {
	const char *name;
	uint32_t table_oid;		/* 0 when not a plain table column */
	int16_t attnum;
	sem_type type;
	int16_t format;			/* 0 text, 1 binary */
} sql_result_col;

typedef struct sql_clientcomm sql_clientcomm;

typedef struct sql_clientcomm_vt {
	/* Output produced from now on belongs to command `pos` (for rtrim). */
	void (*begin_cmd)(sql_clientcomm *c, int64_t pos);
	void (*row_description)(sql_clientcomm *c, int ncols, const sql_result_col *cols);
	/* One DataRow; each value encoded in its column's format.  Returns
	 * CM_ERROR (err filled) if a value cannot be encoded. */
	cm_status (*data_row)(sql_clientcomm *c, sem_ctx *ctx, int ncols, const sql_result_col *cols,
						  const sem_datum *vals, cm_error *err);
	void (*command_complete)(sql_clientcomm *c, const char *tag);
	void (*empty_query)(sql_clientcomm *c);
	void (*parse_complete)(sql_clientcomm *c);
	void (*bind_complete)(sql_clientcomm *c);
	void (*close_complete)(sql_clientcomm *c);
	void (*no_data)(sql_clientcomm *c);
	void (*portal_suspended)(sql_clientcomm *c);
	void (*parameter_description)(sql_clientcomm *c, int n, const sem_oid *types);
	void (*ready_for_query)(sql_clientcomm *c, char status);
	/* ErrorResponse (severity ERROR or FATAL) or NoticeResponse (lower
	 * severities).  query: text the byte position refers to, or NULL. */
	void (*error)(sql_clientcomm *c, const cm_error *err, const char *query, size_t query_len);
	void (*parameter_status)(sql_clientcomm *c, const char *name, const char *value);
	/* Write everything buffered.  Returns CM_ERROR if the connection is
	 * broken (the executor then stops). */
	cm_status (*flush)(sql_clientcomm *c);
	/* Drop buffered output of commands >= pos; false if some of it was
	 * already flushed (then nothing is dropped). */
	bool (*rtrim)(sql_clientcomm *c, int64_t pos);
	/* Bytes buffered and not yet flushed. */
	size_t (*buffered)(sql_clientcomm *c);
	/* Highest command position whose output has been flushed, -1 if none. */
	int64_t (*flushed_pos)(sql_clientcomm *c);
	/* COPY ... FROM STDIN: CopyInResponse (overall format 0 text / 1 binary,
	 * ncols column formats equal to it).  May be NULL (no COPY support). */
	void (*copy_in_response)(sql_clientcomm *c, int format, int ncols);
} sql_clientcomm_vt;

struct sql_clientcomm {
	const sql_clientcomm_vt *vt;
};

#endif /* PGKV_SQL_CLIENTCOMM_H */
