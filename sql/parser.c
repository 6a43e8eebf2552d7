/*
 * parser.c -- libpg_query wrapper (see parser.h).
 *
 * pg_query_parse_protobuf returns the tree as protobuf bytes; we unpack it
 * with protobuf-c into structs the binder walks directly.  A deferred parse
 * (parser.h) carries a placeholder tree in one block (deferred_tree) until
 * sql_parsed_materialise() swaps in the real one.
 */
#include "sql/parser.h"

#include <stdlib.h>
#include <string.h>

#include "sql/plancache.h"

/* Placeholder tree of a deferred parse: one RawStmt around an empty
 * SelectStmt, allocated in one block with the ParseResult. */
typedef struct deferred_tree {
	PgQuery__ParseResult res;
	PgQuery__RawStmt *stmtv[1];
	PgQuery__RawStmt raw;
	PgQuery__Node node;
	PgQuery__SelectStmt sel;
} deferred_tree;

/* libpg_query reports cursorpos in characters; turn it into bytes. */
static int
chars_to_bytes(const char *q, size_t len, int char_pos)
{
	int chars = 0;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char) q[i] & 0xC0) != 0x80) {
			chars++;
			if (chars == char_pos)
				return (int) i + 1;
		}
	}
	return (int) len + 1;
}

int
sql_position_to_chars(const char *query, size_t query_len, int byte_pos)
{
	if (byte_pos <= 0 || query == NULL)
		return byte_pos;
	size_t n = (size_t) byte_pos - 1;
	if (n > query_len)
		n = query_len;
	int chars = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char) query[i] & 0xC0) != 0x80)
			chars++;
	return chars + 1;
}

static cm_status
parse_tree(const char *query, size_t len, PgQuery__ParseResult **out, cm_error *err)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(query);
	if (r.error) {
		cm_error_set(err, CM_E_SYNTAX_ERROR, "%s", r.error->message);
		if (r.error->cursorpos > 0)
			cm_error_position(err, chars_to_bytes(query, len, r.error->cursorpos));
		pg_query_free_protobuf_parse_result(r);
		return CM_ERROR;
	}
	PgQuery__ParseResult *tree =
		pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *) r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	if (tree == NULL)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not decode parse tree");
	*out = tree;
	return CM_OK;
}

cm_status
sql_parse(const char *query, size_t len, sql_parsed **out, cm_error *err)
{
	PgQuery__ParseResult *tree;
	if (parse_tree(query, len, &tree, err) != CM_OK)
		return CM_ERROR;
	sql_parsed *p = calloc(1, sizeof(*p));
	if (p == NULL)
		abort();
	atomic_init(&p->refs, 1);
	p->query = malloc(len + 1);
	if (p->query == NULL)
		abort();
	memcpy(p->query, query, len);
	p->query[len] = '\0';
	p->query_len = len;
	p->tree = tree;
	*out = p;
	return CM_OK;
}

void
sql_parsed_retain(sql_parsed *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
}

sql_parsed *
sql_parsed_deferred(const char *query, size_t len, struct sql_shape *shape)
{
	sql_parsed *p = calloc(1, sizeof(*p));
	deferred_tree *t = calloc(1, sizeof(*t));
	if (p == NULL || t == NULL)
		abort();
	pg_query__parse_result__init(&t->res);
	pg_query__raw_stmt__init(&t->raw);
	pg_query__node__init(&t->node);
	pg_query__select_stmt__init(&t->sel);
	t->node.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	t->node.select_stmt = &t->sel;
	t->raw.stmt = &t->node;
	t->raw.stmt_location = shape->stmt_start;
	t->raw.stmt_len = shape->stmt_end - shape->stmt_start;
	t->stmtv[0] = &t->raw;
	t->res.n_stmts = 1;
	t->res.stmts = t->stmtv;
	atomic_init(&p->refs, 1);
	p->query = malloc(len + 1);
	if (p->query == NULL)
		abort();
	memcpy(p->query, query, len);
	p->query[len] = '\0';
	p->query_len = len;
	p->tree = &t->res;
	p->shape = shape;
	p->deferred = true;
	return p;
}

cm_status
sql_parsed_materialise(sql_parsed *p, cm_error *err)
{
	if (!p->deferred)
		return CM_OK;
	PgQuery__ParseResult *tree;
	if (parse_tree(p->query, p->query_len, &tree, err) != CM_OK)
		return CM_ERROR;
	free(p->tree);	/* the deferred_tree block */
	p->tree = tree;
	p->deferred = false;
	return CM_OK;
}

void
sql_parsed_release(sql_parsed *p)
{
	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	if (p->deferred)
		free(p->tree);
	else
		pg_query__parse_result__free_unpacked(p->tree, NULL);
	sql_shape_free(p->shape);
	free(p->query);
	free(p);
}

PgQuery__Node *
sql_parsed_stmt(const sql_parsed *p, int i)
{
	return p->tree->stmts[i]->stmt;
}

const char *
sql_parsed_stmt_text(const sql_parsed *p, int i, size_t *len)
{
	PgQuery__RawStmt *rs = p->tree->stmts[i];
	size_t loc = (size_t) rs->stmt_location;
	size_t n = rs->stmt_len ? (size_t) rs->stmt_len : p->query_len - loc;
	if (loc > p->query_len)
		loc = p->query_len;
	if (loc + n > p->query_len)
		n = p->query_len - loc;
	/* skip leading whitespace the grammar includes after a previous ';' */
	while (n > 0 && (p->query[loc] == ' ' || p->query[loc] == '\n' || p->query[loc] == '\t' ||
					 p->query[loc] == '\r')) {
		loc++;
		n--;
	}
	*len = n;
	return p->query + loc;
}

