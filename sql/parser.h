/*
 * parser.h -- SQL text to parse trees, through libpg_query (the PostgreSQL
 * 15 grammar).
 *
 * A Query string is parsed once, by the reader thread; every statement in it
 * becomes one ExecStmt command sharing the refcounted sql_parsed.  Parse
 * errors are 42601 with the position of the offending token.
 *
 * Positions: inside pgkv, cm_error.position is a 1-based BYTE offset into the
 * query string; the wire writer converts it to characters when it sends the
 * ErrorResponse (sql_position_to_chars).
 *
 * Deferred parses (the plan cache, sql/plancache.h): when the reader has
 * seen a statement of the same shape (same text but for literal values in
 * positions where the grammar ignores the value) parse as one SELECT, it
 * skips libpg_query and pushes a deferred sql_parsed: its tree is a
 * placeholder (one empty SelectStmt covering the statement's text) and
 * `shape` maps the literals.  Only sql/plancache.c looks at such a tree: on a
 * plan-cache hit it never parses; on a miss it calls
 * sql_parsed_materialise() on the executor thread.
 *
 * Exported:
 *   sql_parse()              parse a NUL-terminated query string
 *   sql_parsed_deferred()    a deferred parse (see above)
 *   sql_parsed_materialise() parse a deferred one now
 *   sql_parsed_retain/release
 *   sql_parsed_nstmts/stmt/stmt_text
 *   sql_position_to_chars()
 *
 * libpg_query keeps a memory context per thread and frees it itself (a
 * thread-specific-data destructor) when the thread exits.
 */
#ifndef PGKV_SQL_PARSER_H
#define PGKV_SQL_PARSER_H

#include <stdatomic.h>
#include <stddef.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "common/cm_error.h"

struct sql_shape;

typedef struct sql_parsed {
	atomic_int refs;
	char *query;				/* owned copy, NUL-terminated */
	size_t query_len;
	PgQuery__ParseResult *tree;	/* unpacked protobuf-c tree (placeholder if deferred) */
	struct sql_shape *shape;	/* literal map of a one-SELECT query (owned), or NULL */
	bool deferred;				/* tree is a placeholder: see above */
} sql_parsed;

/* Parse query[0..len) (query[len] must be NUL).  On success *out has one
 * reference.  An empty or all-comment string gives zero statements. */
CM_MUST_CHECK cm_status sql_parse(const char *query, size_t len, sql_parsed **out, cm_error *err);
/* A deferred parse of query[0..len) (query[len] must be NUL); takes
 * ownership of shape.  One reference. */
sql_parsed *sql_parsed_deferred(const char *query, size_t len, struct sql_shape *shape);
/* Parse a deferred p now (no-op otherwise); the placeholder is replaced.
 * Executor thread only.  A failure (which the shape rules out) is the parse
 * error with its position, as sql_parse reports it. */
CM_MUST_CHECK cm_status sql_parsed_materialise(sql_parsed *p, cm_error *err);
void sql_parsed_retain(sql_parsed *p);
void sql_parsed_release(sql_parsed *p);
static inline int sql_parsed_nstmts(const sql_parsed *p) { return (int) p->tree->n_stmts; }
/* The statement node (RawStmt.stmt) of statement i. */
PgQuery__Node *sql_parsed_stmt(const sql_parsed *p, int i);
/* Text of statement i (without the trailing semicolon): pointer into p->query. */
const char *sql_parsed_stmt_text(const sql_parsed *p, int i, size_t *len);
/* 1-based byte position -> 1-based character position in query. */
int sql_position_to_chars(const char *query, size_t query_len, int byte_pos);

#endif /* PGKV_SQL_PARSER_H */
