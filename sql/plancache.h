/*
 * plancache.h -- plans of simple-protocol statements, cached by the
 * statement's text with its literals stripped (PostgreSQL's generic plan,
 * made for Query messages).  docs/performance.md has the design and numbers.
 *
 * Two halves, one per thread of a connection:
 *
 *  reader (pgwire/pgw_conn.c): sql_shape_scan() runs libpg_query's scanner
 *    (pg_query_scan, ~1 us, against ~11 us for a full parse) and locates the
 *    literals: integer (int4 / int8 / numeric by value, PostgreSQL's rules),
 *    decimal (numeric) and plain '...' string (type unknown) tokens.  A
 *    statement that parsed before as one SELECT is remembered in a per-
 *    connection sql_shapeset together with which literals sit where the
 *    grammar ignores their value (operands of operators, IN lists, function
 *    arguments, target-list entries, `x::type` casts).  The next statement
 *    that differs only in such literals cannot be a syntax error, so the
 *    reader skips the parse and pushes a deferred sql_parsed (parser.h);
 *    anything else is parsed as before, so a syntax error is still reported
 *    by the reader, with its position, before anything of the string runs.
 *
 *  executor (sql/dispatch.c's SELECT prepare hook): sql_plancache_plan()
 *    looks the statement up in the session's cache, keyed by the text with
 *    the parameter literals replaced by their type class, plus search_path,
 *    TimeZone, DateStyle and IntervalStyle; the database and user are the
 *    session's.  A hit reuses the cached plan: the literal values become the
 *    plan's parameters (sql_plancache_bind, from sql_dispatch_bind).  A miss
 *    parses if the parse was deferred, rewrites a copy of the tree with a
 *    ParamRef for each literal (int4/int8/numeric parameters; string
 *    literals as parameters of unspecified type, inferred from context the
 *    way PostgreSQL resolves an unknown literal) and plans that; if the
 *    generic plan cannot be made (a literal whose context needs its value at
 *    plan time), it tries again without string parameters, then with every
 *    literal fixed (part of the key).  A literal of another type class
 *    (5 versus 5000000000 versus 5.0) is another key, so another plan.
 *
 * Invalidation: a plan records the catalog version it was made against;
 *    sql_query_open() re-plans a portal whose plan is older than the
 *    catalog it runs against, and the cache then drops the entry (it is
 *    marked stale when the statement ends), so after DDL the next execution
 *    makes a fresh plan.  A settings change is a different key.
 *
 * The cache is per session (executor thread), bounded (LRU, PC_MAX
 * entries) and lock-free; the reader's shape set is per connection.
 *
 * Extended protocol (sql/conn_executor.c's Parse): drivers (JDBC, psycopg,
 *    node-postgres, pgx, `pgbench -M extended`) send Parse of an unnamed
 *    statement before every Bind/Execute.  sql_plancache_parse_lookup()
 *    finds the sql_prepared an earlier Parse of the same text with the same
 *    parameter types made, if it was planned under the same search_path,
 *    TimeZone, DateStyle and IntervalStyle (database and user: the
 *    session's) against the catalog version the session sees now; the
 *    unnamed statement then shares it (no parse, no plan).  After a miss,
 *    sql_plancache_parse_store() keeps the new statement (SELECT, INSERT,
 *    UPDATE, DELETE: those with a plan) with the catalog version read
 *    before it was planned.  So any DDL, a settings change or another
 *    database or user means a fresh parse and plan, and the result type
 *    always follows the catalog.  A statement shared this way is what a
 *    named prepared statement is: portals hold references; a re-plan at
 *    open (DDL between Parse and Execute) works as for named ones.
 *
 * Exported:
 *   sql_shape_scan / sql_shape_free / sql_shape_analyse
 *   sql_shapeset_new / _free / _match / _add
 *   sql_plancache_plan / sql_plancache_bind / sql_plancache_counters
 *   sql_plancache_parse_lookup / sql_plancache_parse_store
 */
#ifndef PGKV_SQL_PLANCACHE_H
#define PGKV_SQL_PLANCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "common/cm_error.h"

/* Literal type classes (PostgreSQL's make_const: an integer literal is int4
 * if it fits, else int8 if it fits, else numeric; a decimal is numeric; a
 * quoted string is unknown until context decides). */
#define SQL_LIT_INT4 'i'
#define SQL_LIT_INT8 'l'
#define SQL_LIT_NUMERIC 'n'
#define SQL_LIT_STRING 's'

typedef struct sql_lit {
	int32_t start, end;		/* byte offsets of the token in the query */
	char cls;				/* SQL_LIT_* */
	bool param;				/* a parameter of the generic plan; else fixed (in the key) */
} sql_lit;

typedef struct sql_shape {
	char *scan_key;			/* query with every literal as "\0<class>" */
	size_t scan_key_len;
	uint64_t scan_hash;
	char *key;				/* query with the parameter literals as "\0<class>" (analysed) */
	size_t key_len;
	uint64_t hash;
	int nlits;
	sql_lit *lits;			/* in text order */
	int32_t stmt_start, stmt_end;	/* first token .. end of the last token before a trailing ';' */
	bool analysed;			/* lits[].param and key are set */
} sql_shape;

/* Scan query[0..len) (NUL-terminated).  NULL when the text cannot be cached:
 * the scanner reports an error (the full parse will report it), or the text
 * holds $n parameters. */
sql_shape *sql_shape_scan(const char *query, size_t len);
void sql_shape_free(sql_shape *s);
/* After a successful parse of the same text into exactly one SELECT (stmt):
 * mark the literals that may be parameters and compute the key. */
void sql_shape_analyse(sql_shape *s, const char *query, const PgQuery__Node *stmt);

/* The reader's set of statement shapes known to parse as one SELECT. */
typedef struct sql_shapeset sql_shapeset;
sql_shapeset *sql_shapeset_new(void);
void sql_shapeset_free(sql_shapeset *set);
/* Does s (scanned, not analysed) differ from a remembered statement only in
 * parameter literals?  If so s is analysed from it and true is returned. */
bool sql_shapeset_match(sql_shapeset *set, sql_shape *s, const char *query);
/* Remember an analysed shape (bounded: the least recently used goes). */
void sql_shapeset_add(sql_shapeset *set, const sql_shape *s);

/* Executor side (sql/dispatch.c). */
struct sql_executor;
struct sql_prepared;
struct sql_portal;
struct sem_ctx;
/* Called for every SELECT being prepared.  For a simple-protocol statement
 * with a shape: on a hit, p->stmt/p->plan come from the cache and *planned is
 * set; on a miss, the generic plan is made (*planned) and cached.  Otherwise
 * (or when no generic plan can be made and the plain plan is left to the
 * caller) *planned is false and p->stmt is a real parse tree.  CM_ERROR only
 * for a parse or plan error of the statement itself (err set). */
CM_MUST_CHECK cm_status sql_plancache_plan(struct sql_executor *ex, struct sql_prepared *p, struct sem_ctx *ctx,
										   bool *planned, cm_error *err);
/* Fill po->params from the literal values of p's text (p->pc_args set).
 * Conversion errors carry the literal's position, as PostgreSQL's do. */
CM_MUST_CHECK cm_status sql_plancache_bind(struct sql_prepared *p, struct sql_portal *po, cm_error *err);

/* An unnamed extended-protocol Parse (the parse cache). */
typedef struct sql_parse_key {
	const char *query;		/* the Parse text (caller's memory) */
	size_t len;
	int nparams;			/* parameter types given in the Parse message */
	const uint32_t *oids;
	/* filled by sql_plancache_parse_lookup */
	char catver[64];		/* catalog version before planning */
	bool cacheable;
} sql_parse_key;
/* Look k up: *hit is a new reference to a cached sql_prepared (the caller
 * owns it) or NULL (miss: prepare as usual, then call
 * sql_plancache_parse_store with the same k).  CM_ERROR only when the
 * catalog version cannot be read (err set). */
CM_MUST_CHECK cm_status sql_plancache_parse_lookup(struct sql_executor *ex, sql_parse_key *k,
												   struct sql_prepared **hit, cm_error *err);
/* Keep p (successfully prepared from k's text after a miss) for the next
 * Parse of the same text; takes its own reference.  Only statements with a
 * plan are kept. */
void sql_plancache_parse_store(struct sql_executor *ex, const sql_parse_key *k, struct sql_prepared *p);

typedef struct sql_plancache_stats {
	int64_t hits, misses, generic, fixed, stale, evicted;
	int64_t parse_hits, parse_misses, parse_stale;	/* the parse cache */
} sql_plancache_stats;
/* Process-wide counters (tests, docs/performance.md). */
void sql_plancache_counters(sql_plancache_stats *out);

#endif /* PGKV_SQL_PLANCACHE_H */
