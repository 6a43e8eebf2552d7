/*
 * plancache.c -- plan cache for simple-protocol statements (see plancache.h).
 *
 * Layout:
 *   shapes       sql_shape_scan() decodes pg_query_scan's protobuf output by
 *                hand (a few varints per token; protobuf-c's unpack would
 *                allocate a message per token) and builds the scan key.
 *   analysis     one walk over the parse tree (protobuf-c reflection) finds
 *                the A_Const nodes whose value the grammar and the binder
 *                treat as data: operands of A_Expr (and its IN / BETWEEN
 *                lists), FuncCall arguments, the argument of a postfix or
 *                CAST type cast, SELECT target-list values.  Everything else
 *                (LIMIT, ORDER BY / GROUP BY positions, typmods, VALUES,
 *                CASE, `type 'literal'`, negative numbers folded by the
 *                grammar) stays fixed and part of the key.  The same walk
 *                rewrites a copy of the tree, replacing those A_Consts with
 *                ParamRefs numbered in text order.
 *   shape set    the reader's memory of analysed shapes (scan key -> key and
 *                parameter flags); a small array with LRU replacement.
 *   plan cache   the executor's entries (key + settings -> a sql_prepared
 *                holding the generic plan), a small array with LRU
 *                replacement, one per executor thread (pthread key).
 *   parse cache  the same cache's second array: unnamed extended-protocol
 *                statements (Parse text + parameter types + settings +
 *                catalog version -> the sql_prepared a Parse made), so a
 *                client that sends Parse/Bind/Execute/Sync for every
 *                statement parses and plans each text once.
 *
 * Memory: shapes and shape sets are malloc'd and owned by their sql_parsed /
 * connection; cache entries are refcounted (the cache holds one reference,
 * every statement running a cached plan another, released by that
 * statement's arena), and hold one reference to their sql_prepared.
 */
#include "sql/plancache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sql/catalog/sql_catalog.h"
#include "sql/dml.h"
#include "sql/executor_internal.h"
#include "sql/sem/sem_io.h"

#define PC_MAX 128			/* plans per session */
#define PX_MAX 64			/* unnamed extended-protocol statements per session */
#define SHAPES_MAX 64		/* shapes per connection */

/* ---------- helpers ---------- */

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s ? s : "");
	char *p = xmalloc(n + 1);
	memcpy(p, s ? s : "", n + 1);
	return p;
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---------- scanning ---------- */

/* Read a base-128 varint; false at the end of the buffer. */
static bool
varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; *pp < end && shift < 64; shift += 7) {
		uint8_t b = *(*pp)++;
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Skip one field of wire type wt; false if malformed. */
static bool
skip_field(const uint8_t **pp, const uint8_t *end, int wt)
{
	uint64_t v;
	switch (wt) {
	case 0:
		return varint(pp, end, &v);
	case 1:
		if (end - *pp < 8)
			return false;
		*pp += 8;
		return true;
	case 2:
		if (!varint(pp, end, &v) || v > (uint64_t) (end - *pp))
			return false;
		*pp += v;
		return true;
	case 5:
		if (end - *pp < 4)
			return false;
		*pp += 4;
		return true;
	default:
		return false;
	}
}

typedef struct scan_tok {
	int32_t start, end, token;
} scan_tok;

/* One ScanToken message (start = 1, end = 2, token = 4). */
static bool
decode_token(const uint8_t *p, const uint8_t *end, scan_tok *t)
{
	t->start = t->end = t->token = 0;
	while (p < end) {
		uint64_t tag, v;
		if (!varint(&p, end, &tag))
			return false;
		int field = (int) (tag >> 3), wt = (int) (tag & 7);
		if (wt == 0 && (field == 1 || field == 2 || field == 4)) {
			if (!varint(&p, end, &v))
				return false;
			if (field == 1)
				t->start = (int32_t) v;
			else if (field == 2)
				t->end = (int32_t) v;
			else
				t->token = (int32_t) v;
		} else if (!skip_field(&p, end, wt))
			return false;
	}
	return true;
}

/* A plain '...' string whose inner quotes are all doubled: a parameter
 * candidate.  E'', U&'', $$ $$ and continued strings ('a'\n'b') are not. */
static bool
plain_string(const char *s, size_t n)
{
	if (n < 2 || s[0] != '\'' || s[n - 1] != '\'')
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] != '\'')
			continue;
		if (i + 2 < n && s[i + 1] == '\'')
			i++;
		else
			return false;
	}
	return true;
}

/* FCONST: an integer literal too big for int4 is int8 if it fits. */
static char
float_class(const char *s, size_t n)
{
	if (n == 0 || n > 19)
		return SQL_LIT_NUMERIC;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SQL_LIT_NUMERIC;
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	return v <= (uint64_t) INT64_MAX ? SQL_LIT_INT8 : SQL_LIT_NUMERIC;
}

/* query with each literal selected by sel (NULL: all) as "\0<class>". */
static char *
build_key(const char *query, size_t len, const sql_lit *lits, int nlits, bool all, size_t *out_len)
{
	char *k = xmalloc(len + 2 * (size_t) nlits + 1);	/* "1" -> "\0i" grows */
	size_t o = 0, pos = 0;
	for (int i = 0; i < nlits; i++) {
		if (!all && !lits[i].param)
			continue;
		memcpy(k + o, query + pos, (size_t) lits[i].start - pos);
		o += (size_t) lits[i].start - pos;
		k[o++] = '\0';
		k[o++] = lits[i].cls;
		pos = (size_t) lits[i].end;
	}
	memcpy(k + o, query + pos, len - pos);
	o += len - pos;
	*out_len = o;
	return k;
}

sql_shape *
sql_shape_scan(const char *query, size_t len)
{
	PgQueryScanResult r = pg_query_scan(query);
	if (r.error) {
		pg_query_free_scan_result(r);
		return NULL;
	}
	const uint8_t *p = (const uint8_t *) r.pbuf.data, *end = p + r.pbuf.len;
	sql_shape *s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	int cap = 0;
	bool ok = true, first = true;
	while (p < end && ok) {
		uint64_t tag, n;
		if (!varint(&p, end, &tag)) {
			ok = false;
			break;
		}
		if ((tag >> 3) != 2 || (tag & 7) != 2) {
			ok = skip_field(&p, end, (int) (tag & 7));
			continue;
		}
		if (!varint(&p, end, &n) || n > (uint64_t) (end - p)) {
			ok = false;
			break;
		}
		scan_tok t;
		ok = decode_token(p, p + n, &t);
		p += n;
		if (!ok || t.start < 0 || t.end < t.start || (size_t) t.end > len)
			break;
		if (t.token == PG_QUERY__TOKEN__PARAM) {
			ok = false;	/* $n of the client's own: not ours to number */
			break;
		}
		if (t.token == PG_QUERY__TOKEN__SQL_COMMENT || t.token == PG_QUERY__TOKEN__C_COMMENT)
			continue;
		if (first) {
			s->stmt_start = t.start;
			first = false;
		}
		if (t.token != ';')
			s->stmt_end = t.end;
		char cls = 0;
		if (t.token == PG_QUERY__TOKEN__ICONST)
			cls = SQL_LIT_INT4;
		else if (t.token == PG_QUERY__TOKEN__FCONST)
			cls = float_class(query + t.start, (size_t) (t.end - t.start));
		else if (t.token == PG_QUERY__TOKEN__SCONST && plain_string(query + t.start, (size_t) (t.end - t.start)))
			cls = SQL_LIT_STRING;
		if (!cls)
			continue;
		if (s->nlits == cap) {
			cap = cap ? cap * 2 : 8;
			sql_lit *nl = realloc(s->lits, sizeof(sql_lit) * (size_t) cap);
			if (nl == NULL)
				abort();
			s->lits = nl;
		}
		s->lits[s->nlits++] = (sql_lit){t.start, t.end, cls, false};
	}
	pg_query_free_scan_result(r);
	if (!ok) {
		sql_shape_free(s);
		return NULL;
	}
	s->scan_key = build_key(query, len, s->lits, s->nlits, true, &s->scan_key_len);
	s->scan_hash = fnv1a(s->scan_key, s->scan_key_len);
	return s;
}

void
sql_shape_free(sql_shape *s)
{
	if (s == NULL)
		return;
	free(s->scan_key);
	free(s->key);
	free(s->lits);
	free(s);
}

static void
shape_set_key(sql_shape *s, const char *query, size_t len)
{
	free(s->key);
	s->key = build_key(query, len, s->lits, s->nlits, false, &s->key_len);
	s->hash = fnv1a(s->key, s->key_len);
	s->analysed = true;
}

/* ---------- the tree walk ---------- */

typedef struct walk {
	sql_shape *s;
	bool rewrite;			/* replace the candidates (else: mark them) */
	bool strings;			/* rewrite: string literals too */
	const int *paramno;		/* rewrite: literal index -> $n (0 = stays) */
} walk;

static int
find_lit(const sql_shape *s, int32_t loc)
{
	int lo = 0, hi = s->nlits - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (s->lits[mid].start == loc)
			return mid;
		if (s->lits[mid].start < loc)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* A literal token whose A_Const has the matching value kind. */
static int
const_lit(const sql_shape *s, const PgQuery__AConst *c)
{
	if (c->isnull)
		return -1;
	int i = find_lit(s, c->location);
	if (i < 0)
		return -1;
	char cls = s->lits[i].cls;
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		return cls == SQL_LIT_INT4 ? i : -1;
	case PG_QUERY__A__CONST__VAL_FVAL:
		return cls == SQL_LIT_INT8 || cls == SQL_LIT_NUMERIC ? i : -1;
	case PG_QUERY__A__CONST__VAL_SVAL:
		return cls == SQL_LIT_STRING ? i : -1;
	default:
		return -1;
	}
}

static void walk_msg(walk *w, ProtobufCMessage *m);

/* Node slot *np, reached from a position where a constant is data (allowed)
 * or not; list_ok: a List here holds data too (A_Expr's IN / BETWEEN). */
static void
walk_node(walk *w, PgQuery__Node **np, bool allowed, bool list_ok)
{
	PgQuery__Node *n = *np;
	if (n == NULL)
		return;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		if (!allowed)
			return;
		int i = const_lit(w->s, n->a_const);
		if (i < 0)
			return;
		if (!w->rewrite) {
			w->s->lits[i].param = true;
			return;
		}
		if (w->paramno[i] == 0)
			return;
		PgQuery__ParamRef *pr = xmalloc(sizeof(*pr));
		pg_query__param_ref__init(pr);
		pr->number = w->paramno[i];
		pr->location = n->a_const->location;
		protobuf_c_message_free_unpacked(&n->a_const->base, NULL);
		n->node_case = PG_QUERY__NODE__NODE_PARAM_REF;
		n->param_ref = pr;
		return;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_LIST && list_ok) {
		PgQuery__List *l = n->list;
		for (size_t i = 0; i < l->n_items; i++)
			walk_node(w, &l->items[i], true, false);
		return;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_RES_TARGET && allowed) {
		/* a SELECT target-list entry (the caller said so): its value is data */
		PgQuery__ResTarget *rt = n->res_target;
		for (size_t i = 0; i < rt->n_indirection; i++)
			walk_node(w, &rt->indirection[i], false, false);
		walk_node(w, &rt->val, true, false);
		return;
	}
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, (unsigned) n->node_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return;
	ProtobufCMessage *inner = *(ProtobufCMessage **) ((char *) n + f->offset);
	if (inner)
		walk_msg(w, inner);
}

/* May a constant in field f of message m be a parameter? */
static bool
field_allows(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, bool *list_ok)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	*list_ok = false;
	if (d == &pg_query__a__expr__descriptor)
		return *list_ok = (strcmp(f->name, "lexpr") == 0 || strcmp(f->name, "rexpr") == 0);
	if (d == &pg_query__func_call__descriptor)
		return strcmp(f->name, "args") == 0;
	if (d == &pg_query__type_cast__descriptor && strcmp(f->name, "arg") == 0) {
		/* `'x'::t` and CAST('x' AS t), not `t 'x'` (typename first) */
		const PgQuery__TypeCast *tc = (const PgQuery__TypeCast *) m;
		return tc->type_name && tc->arg && tc->arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			   tc->type_name->location > tc->arg->a_const->location;
	}
	if (d == &pg_query__select_stmt__descriptor)
		return strcmp(f->name, "target_list") == 0;	/* ResTarget entries (walk_node) */
	return false;
}

static void
walk_msg(walk *w, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		bool list_ok, allowed = field_allows(m, f, &list_ok);
		bool is_node = f->descriptor == &pg_query__node__descriptor;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *) ((char *) m + f->quantifier_offset);
			ProtobufCMessage **v = *(ProtobufCMessage ***) ((char *) m + f->offset);
			for (size_t j = 0; j < n; j++) {
				if (is_node)
					walk_node(w, (PgQuery__Node **) &v[j], allowed, list_ok);
				else if (v[j])
					walk_msg(w, v[j]);
			}
		} else {
			ProtobufCMessage **slot = (ProtobufCMessage **) ((char *) m + f->offset);
			if (is_node)
				walk_node(w, (PgQuery__Node **) slot, allowed, list_ok);
			else if (*slot)
				walk_msg(w, *slot);
		}
	}
}

void
sql_shape_analyse(sql_shape *s, const char *query, const PgQuery__Node *stmt)
{
	for (int i = 0; i < s->nlits; i++)
		s->lits[i].param = false;
	walk w = {s, false, false, NULL};
	PgQuery__Node *n = (PgQuery__Node *) stmt;
	walk_node(&w, &n, false, false);
	shape_set_key(s, query, strlen(query));
}

/* ---------- the reader's shape set ---------- */

typedef struct shape_mem {
	char *scan_key;
	size_t scan_key_len;
	uint64_t scan_hash;
	char *key;
	size_t key_len;
	int nlits;
	bool *param;
	uint64_t used;
} shape_mem;

struct sql_shapeset {
	int n;
	uint64_t tick;
	shape_mem m[SHAPES_MAX];
};

sql_shapeset *
sql_shapeset_new(void)
{
	sql_shapeset *set = calloc(1, sizeof(*set));
	if (set == NULL)
		abort();
	return set;
}

static void
mem_clear(shape_mem *m)
{
	free(m->scan_key);
	free(m->key);
	free(m->param);
	memset(m, 0, sizeof(*m));
}

void
sql_shapeset_free(sql_shapeset *set)
{
	if (set == NULL)
		return;
	for (int i = 0; i < set->n; i++)
		mem_clear(&set->m[i]);
	free(set);
}

static shape_mem *
mem_find(sql_shapeset *set, const sql_shape *s)
{
	for (int i = 0; i < set->n; i++) {
		shape_mem *m = &set->m[i];
		if (m->scan_hash == s->scan_hash && m->scan_key_len == s->scan_key_len &&
			memcmp(m->scan_key, s->scan_key, s->scan_key_len) == 0)
			return m;
	}
	return NULL;
}

bool
sql_shapeset_match(sql_shapeset *set, sql_shape *s, const char *query)
{
	shape_mem *m = mem_find(set, s);
	if (m == NULL || m->nlits != s->nlits)
		return false;
	for (int i = 0; i < s->nlits; i++)
		s->lits[i].param = m->param[i];
	size_t len = strlen(query);
	size_t klen;
	char *key = build_key(query, len, s->lits, s->nlits, false, &klen);
	bool same = klen == m->key_len && memcmp(key, m->key, klen) == 0;
	free(key);
	if (!same) {
		for (int i = 0; i < s->nlits; i++)
			s->lits[i].param = false;
		return false;
	}
	shape_set_key(s, query, len);
	m->used = ++set->tick;
	return true;
}

void
sql_shapeset_add(sql_shapeset *set, const sql_shape *s)
{
	if (!s->analysed)
		return;
	shape_mem *m = mem_find(set, s);
	if (m == NULL && set->n < SHAPES_MAX)
		m = &set->m[set->n++];
	else if (m == NULL) {
		m = &set->m[0];
		for (int i = 1; i < set->n; i++)
			if (set->m[i].used < m->used)
				m = &set->m[i];
	}
	mem_clear(m);
	m->scan_key = xmalloc(s->scan_key_len);
	memcpy(m->scan_key, s->scan_key, s->scan_key_len);
	m->scan_key_len = s->scan_key_len;
	m->scan_hash = s->scan_hash;
	m->key = xmalloc(s->key_len);
	memcpy(m->key, s->key, s->key_len);
	m->key_len = s->key_len;
	m->nlits = s->nlits;
	m->param = xmalloc(sizeof(bool) * (size_t) (s->nlits ? s->nlits : 1));
	for (int i = 0; i < s->nlits; i++)
		m->param[i] = s->lits[i].param;
	m->used = ++set->tick;
}

/* ---------- the executor's cache ---------- */

/* Which literals a plan takes as parameters. */
enum { MODE_ALL = 0, MODE_NUMBERS, MODE_FIXED };

/* The settings a plan depends on besides its text (database and user are
 * the cache's). */
typedef struct pc_settings {
	char *search_path, *timezone;
	int datestyle, dateorder, intervalstyle;
} pc_settings;

typedef struct pc_entry {
	int refs;				/* the cache's + running statements' */
	bool stale;				/* a statement had to re-plan: drop at the next lookup */
	int mode;
	uint64_t hash;
	char *key;
	size_t key_len;
	pc_settings set;
	sql_prepared *prep;		/* one reference; its arena holds plan and tree */
	uint64_t used;
} pc_entry;

/* An unnamed extended-protocol statement (the parse cache). */
typedef struct px_entry {
	uint64_t hash;			/* of the text */
	char *query;
	size_t len;
	int nparams;
	uint32_t *oids;			/* the Parse message's parameter types */
	pc_settings set;
	char *catver;			/* catalog version read before it was planned */
	sql_prepared *prep;		/* one reference */
	uint64_t used;
} px_entry;

typedef struct pc_cache {
	const void *session;	/* the session it belongs to */
	char *database, *user;
	int n;
	uint64_t tick;
	pc_entry *e[PC_MAX];
	int nx;
	px_entry *x[PX_MAX];
} pc_cache;

/* What sql_plancache_bind needs, in the statement's arena. */
typedef struct sql_pc_args {
	const sql_shape *shape;
	int mode;
	int n;
} sql_pc_args;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static atomic_llong st_hits, st_misses, st_generic, st_fixed, st_stale, st_evicted;
static atomic_llong st_parse_hits, st_parse_misses, st_parse_stale;

static void
settings_free(pc_settings *s)
{
	free(s->search_path);
	free(s->timezone);
}

static void
entry_release(pc_entry *e)
{
	if (e == NULL || --e->refs > 0)
		return;
	sql_prepared_release(e->prep);
	free(e->key);
	settings_free(&e->set);
	free(e);
}

static void
px_free(px_entry *x)
{
	sql_prepared_release(x->prep);
	free(x->query);
	free(x->oids);
	settings_free(&x->set);
	free(x->catver);
	free(x);
}

static void
cache_clear(pc_cache *c)
{
	for (int i = 0; i < c->n; i++)
		entry_release(c->e[i]);
	c->n = 0;
	for (int i = 0; i < c->nx; i++)
		px_free(c->x[i]);
	c->nx = 0;
}

static void
cache_free(void *arg)
{
	pc_cache *c = arg;
	if (c == NULL)
		return;
	cache_clear(c);
	free(c->database);
	free(c->user);
	free(c);
}

static void
cache_key_init(void)
{
	(void) pthread_key_create(&cache_key, cache_free);
}

/* The cache of ex's session on this thread (a new session starts empty). */
static pc_cache *
get_cache(sql_executor *ex)
{
	pthread_once(&cache_once, cache_key_init);
	pc_cache *c = pthread_getspecific(cache_key);
	const char *db = sql_session_database(ex->session), *user = sql_session_user(ex->session);
	if (c && (c->session != ex->session || strcmp(c->database, db) != 0 || strcmp(c->user, user) != 0)) {
		cache_free(c);
		c = NULL;
		(void) pthread_setspecific(cache_key, NULL);
	}
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			abort();
		c->session = ex->session;
		c->database = xstrdup(db);
		c->user = xstrdup(user);
		(void) pthread_setspecific(cache_key, c);
	}
	return c;
}

static void
cache_remove(pc_cache *c, int i)
{
	entry_release(c->e[i]);
	c->e[i] = c->e[--c->n];
}

static bool
settings_match(const pc_settings *e, const char *sp, const sem_ctx *ctx)
{
	return strcmp(e->search_path, sp) == 0 && strcmp(e->timezone, ctx->timezone ? ctx->timezone : "") == 0 &&
		   e->datestyle == (int) ctx->datestyle && e->dateorder == (int) ctx->dateorder &&
		   e->intervalstyle == (int) ctx->intervalstyle;
}

static void
settings_set(pc_settings *e, const char *sp, const sem_ctx *ctx)
{
	e->search_path = xstrdup(sp);
	e->timezone = xstrdup(ctx->timezone);
	e->datestyle = (int) ctx->datestyle;
	e->dateorder = (int) ctx->dateorder;
	e->intervalstyle = (int) ctx->intervalstyle;
}

static bool
takes(int mode, const sql_lit *l)
{
	return l->param && (mode == MODE_ALL || (mode == MODE_NUMBERS && l->cls != SQL_LIT_STRING));
}

/* Running statement p uses entry e: keep e alive until p's arena goes, and
 * notice there whether p had to be re-planned (the catalog changed). */
typedef struct pc_use {
	pc_entry *e;
	sql_prepared *p;
	const pl_plan *plan;
} pc_use;

static void
use_end(void *arg)
{
	pc_use *u = arg;
	if (u->p->plan != u->plan && !u->e->stale) {
		u->e->stale = true;
		atomic_fetch_add_explicit(&st_stale, 1, memory_order_relaxed);
	}
	entry_release(u->e);
}

static void
use_entry(sql_prepared *p, pc_entry *e)
{
	pc_use *u = cm_new(p->arena, pc_use);
	u->e = e;
	u->p = p;
	u->plan = p->plan;
	e->refs++;
	cm_arena_on_reset(p->arena, use_end, u);
}

static void
set_args(sql_prepared *p, const sql_shape *s, int mode)
{
	int n = 0;
	for (int i = 0; i < s->nlits; i++)
		n += takes(mode, &s->lits[i]);
	if (n == 0) {
		p->pc_args = NULL;
		return;
	}
	sql_pc_args *a = cm_new(p->arena, sql_pc_args);
	a->shape = s;
	a->mode = mode;
	a->n = n;
	p->pc_args = a;
}

static void
tree_free(void *arg)
{
	pg_query__parse_result__free_unpacked(arg, NULL);
}

/* A copy of parsed's tree with the literals taken by mode as ParamRefs;
 * owned by arena a.  *types gets the parameter types (0 = infer). */
static PgQuery__Node *
param_tree(cm_arena *a, const sql_parsed *parsed, const sql_shape *s, int mode, int *nparams, uint32_t **types)
{
	size_t len = pg_query__parse_result__get_packed_size(parsed->tree);
	uint8_t *buf = xmalloc(len);
	pg_query__parse_result__pack(parsed->tree, buf);
	PgQuery__ParseResult *copy = pg_query__parse_result__unpack(NULL, len, buf);
	free(buf);
	if (copy == NULL || copy->n_stmts != 1) {
		if (copy)
			pg_query__parse_result__free_unpacked(copy, NULL);
		return NULL;
	}
	cm_arena_on_reset(a, tree_free, copy);
	int *no = cm_new_array(a, int, s->nlits ? s->nlits : 1);
	uint32_t *t = cm_new_array(a, uint32_t, s->nlits ? s->nlits : 1);
	int n = 0;
	for (int i = 0; i < s->nlits; i++) {
		if (!takes(mode, &s->lits[i]))
			continue;
		no[i] = ++n;
		switch (s->lits[i].cls) {
		case SQL_LIT_INT4: t[n - 1] = SEM_INT4OID; break;
		case SQL_LIT_INT8: t[n - 1] = SEM_INT8OID; break;
		case SQL_LIT_NUMERIC: t[n - 1] = SEM_NUMERICOID; break;
		default: t[n - 1] = 0; break;	/* unknown: inferred from context */
		}
	}
	walk w = {(sql_shape *) s, true, mode == MODE_ALL, no};
	walk_node(&w, &copy->stmts[0]->stmt, false, false);
	*nparams = n;
	*types = t;
	return copy->stmts[0]->stmt;
}

cm_status
sql_plancache_plan(sql_executor *ex, sql_prepared *p, sem_ctx *ctx, bool *planned, cm_error *err)
{
	*planned = false;
	sql_parsed *pp = p->parsed;
	if (pp == NULL || pp->shape == NULL || !pp->shape->analysed || p->name[0] != '\0' ||
		sql_parsed_nstmts(pp) != 1 || p->stmt != sql_parsed_stmt(pp, 0) || p->given_nparams != 0) {
		/* not a simple-protocol statement of ours; a deferred parse cannot
		 * reach here unless it is (the reader defers only such statements) */
		if (pp && pp->deferred && p->stmt == sql_parsed_stmt(pp, 0)) {
			if (sql_parsed_materialise(pp, err) != CM_OK)
				return CM_ERROR;
			p->stmt = sql_parsed_stmt(pp, 0);
		}
		return CM_OK;
	}
	const sql_shape *s = pp->shape;
	pc_cache *c = get_cache(ex);
	const char *sp = sql_session_get(ex->session, "search_path");
	if (sp == NULL)
		sp = "";
	for (int i = 0; i < c->n; i++) {
		pc_entry *e = c->e[i];
		if (e->hash != s->hash || e->key_len != s->key_len || memcmp(e->key, s->key, s->key_len) != 0)
			continue;
		if (e->stale || !settings_match(&e->set, sp, ctx)) {
			cache_remove(c, i);
			break;
		}
		/* A plan over tables must match the catalog the statement will see:
		 * `select *` after ALTER TABLE has other columns, which a re-plan at
		 * open could not change any more (the columns are fixed here).  One
		 * read of the version key, as planning does. */
		const char *cv = pl_plan_catalog_version(e->prep->plan);
		if (cv && ex->cfg->kv) {
			sql_cat_view *v = NULL;
			if (sql_cat_view_acquire(ex->cfg->kv, ex->kvtxn, &v, err) != CM_OK)
				return CM_ERROR;
			bool same = strcmp(v->version, cv) == 0;
			sql_cat_view_release(v);
			if (!same) {
				atomic_fetch_add_explicit(&st_stale, 1, memory_order_relaxed);
				cache_remove(c, i);
				break;
			}
		}
		/* hit */
		e->used = ++c->tick;
		p->stmt = e->prep->stmt;
		p->plan = e->prep->plan;
		set_args(p, s, e->mode);
		use_entry(p, e);
		atomic_fetch_add_explicit(&st_hits, 1, memory_order_relaxed);
		*planned = true;
		return CM_OK;
	}
	atomic_fetch_add_explicit(&st_misses, 1, memory_order_relaxed);
	if (sql_parsed_materialise(pp, err) != CM_OK)
		return CM_ERROR;
	PgQuery__Node *orig = sql_parsed_stmt(pp, 0);
	p->stmt = orig;
	if (orig == NULL || orig->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return CM_OK;
	/* generic plan with every candidate literal as a parameter; failing
	 * that without the string ones; failing that, every literal fixed */
	bool has_str = false, has_num = false;
	for (int i = 0; i < s->nlits; i++)
		if (s->lits[i].param) {
			if (s->lits[i].cls == SQL_LIT_STRING)
				has_str = true;
			else
				has_num = true;
		}
	int tries[2], ntries = 0;
	if (has_str || has_num)
		tries[ntries++] = MODE_ALL;
	if (has_str && has_num)
		tries[ntries++] = MODE_NUMBERS;
	int mode = MODE_FIXED;
	for (int t = 0; t < ntries && mode == MODE_FIXED; t++) {
		int np = 0;
		uint32_t *types = NULL;
		PgQuery__Node *pt = param_tree(p->arena, pp, s, tries[t], &np, &types);
		if (pt == NULL)
			break;
		p->stmt = pt;
		p->given_nparams = np;
		p->given_param_oids = types;
		p->plan = NULL;
		if (sql_query_plan(ex, p, ctx, err) == CM_OK) {
			mode = tries[t];
			break;
		}
		cm_error_clear(err);
		p->stmt = orig;
		p->given_nparams = 0;
		p->given_param_oids = NULL;
		p->plan = NULL;
	}
	if (mode == MODE_FIXED) {
		if (sql_query_plan(ex, p, ctx, err) != CM_OK)
			return CM_ERROR;	/* the statement's own error, as without the cache */
		atomic_fetch_add_explicit(&st_fixed, 1, memory_order_relaxed);
	} else
		atomic_fetch_add_explicit(&st_generic, 1, memory_order_relaxed);
	set_args(p, s, mode);
	*planned = true;
	/* remember it */
	pc_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort();
	e->refs = 1;
	e->mode = mode;
	e->hash = s->hash;
	e->key = xmalloc(s->key_len);
	memcpy(e->key, s->key, s->key_len);
	e->key_len = s->key_len;
	settings_set(&e->set, sp, ctx);
	e->prep = p;
	p->refs++;
	e->used = ++c->tick;
	if (c->n == PC_MAX) {
		int lru = 0;
		for (int i = 1; i < c->n; i++)
			if (c->e[i]->used < c->e[lru]->used)
				lru = i;
		cache_remove(c, lru);
		atomic_fetch_add_explicit(&st_evicted, 1, memory_order_relaxed);
	}
	c->e[c->n++] = e;
	return CM_OK;
}

/* ---------- the parse cache (extended protocol) ---------- */

static bool
px_same(const px_entry *x, uint64_t h, const sql_parse_key *k)
{
	if (x->hash != h || x->len != k->len || x->nparams != k->nparams || memcmp(x->query, k->query, k->len) != 0)
		return false;
	for (int i = 0; i < k->nparams; i++)
		if (x->oids[i] != k->oids[i])
			return false;
	return true;
}

static void
px_remove(pc_cache *c, int i)
{
	px_free(c->x[i]);
	c->x[i] = c->x[--c->nx];
}

cm_status
sql_plancache_parse_lookup(sql_executor *ex, sql_parse_key *k, sql_prepared **hit, cm_error *err)
{
	*hit = NULL;
	k->catver[0] = '\0';
	k->cacheable = false;
	if (ex->cfg->kv == NULL || k->nparams < 0)
		return CM_OK;
	/* The catalog version this session would plan against now: a hit must
	 * have been planned against it, a miss is stored with it (read before
	 * planning, so a DDL committed meanwhile makes the entry stale, never
	 * wrongly fresh). */
	sql_cat_view *v = NULL;
	if (sql_cat_view_acquire(ex->cfg->kv, ex->kvtxn, &v, err) != CM_OK)
		return CM_ERROR;
	size_t vl = strlen(v->version);
	if (vl < sizeof(k->catver)) {
		memcpy(k->catver, v->version, vl + 1);
		k->cacheable = true;
	}
	sql_cat_view_release(v);
	if (!k->cacheable)
		return CM_OK;
	pc_cache *c = get_cache(ex);
	sem_ctx ctx = {0};
	sql_executor_fill_sem(ex, &ctx);
	const char *sp = sql_session_get(ex->session, "search_path");
	if (sp == NULL)
		sp = "";
	uint64_t h = fnv1a(k->query, k->len);
	for (int i = 0; i < c->nx; i++) {
		px_entry *x = c->x[i];
		if (!px_same(x, h, k))
			continue;
		if (strcmp(x->catver, k->catver) != 0 || !settings_match(&x->set, sp, &ctx)) {
			atomic_fetch_add_explicit(&st_parse_stale, 1, memory_order_relaxed);
			px_remove(c, i);
			break;
		}
		x->used = ++c->tick;
		x->prep->refs++;
		*hit = x->prep;
		atomic_fetch_add_explicit(&st_parse_hits, 1, memory_order_relaxed);
		return CM_OK;
	}
	atomic_fetch_add_explicit(&st_parse_misses, 1, memory_order_relaxed);
	return CM_OK;
}

/* Statements whose prepared form is worth keeping: those with a plan. */
static bool
px_kind_ok(const sql_prepared *p)
{
	if (p->stmt == NULL || p->pc_args != NULL)
		return false;
	switch (p->stmt->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return p->kind == SQL_SK_QUERY;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return true;
	default:
		return false;
	}
}

void
sql_plancache_parse_store(sql_executor *ex, const sql_parse_key *k, sql_prepared *p)
{
	if (!k->cacheable || !px_kind_ok(p))
		return;
	pc_cache *c = get_cache(ex);
	sem_ctx ctx = {0};
	sql_executor_fill_sem(ex, &ctx);
	const char *sp = sql_session_get(ex->session, "search_path");
	px_entry *x = calloc(1, sizeof(*x));
	if (x == NULL)
		abort();
	x->hash = fnv1a(k->query, k->len);
	x->query = xmalloc(k->len + 1);
	memcpy(x->query, k->query, k->len);
	x->query[k->len] = '\0';
	x->len = k->len;
	x->nparams = k->nparams;
	x->oids = xmalloc(sizeof(uint32_t) * (size_t) (k->nparams ? k->nparams : 1));
	if (k->nparams)
		memcpy(x->oids, k->oids, sizeof(uint32_t) * (size_t) k->nparams);
	settings_set(&x->set, sp ? sp : "", &ctx);
	x->catver = xstrdup(k->catver);
	x->prep = p;
	p->refs++;
	x->used = ++c->tick;
	if (c->nx == PX_MAX) {
		int lru = 0;
		for (int i = 1; i < c->nx; i++)
			if (c->x[i]->used < c->x[lru]->used)
				lru = i;
		px_remove(c, lru);
		atomic_fetch_add_explicit(&st_evicted, 1, memory_order_relaxed);
	}
	c->x[c->nx++] = x;
}

/* The text of literal l, unquoted (strings: '' -> '), NUL-terminated. */
static const char *
lit_text(cm_arena *a, const char *query, const sql_lit *l, size_t *len)
{
	const char *s = query + l->start;
	size_t n = (size_t) (l->end - l->start);
	if (l->cls != SQL_LIT_STRING) {
		*len = n;
		return cm_strndup(a, s, n);
	}
	char *out = cm_alloc(a, n);
	size_t o = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		out[o++] = s[i];
		if (s[i] == '\'')
			i++;	/* '' */
	}
	out[o] = '\0';
	*len = o;
	return out;
}

cm_status
sql_plancache_bind(sql_prepared *p, sql_portal *po, cm_error *err)
{
	const sql_pc_args *a = p->pc_args;
	const sql_shape *s = a->shape;
	const char *query = p->parsed->query;
	int k = 0;
	for (int i = 0; i < s->nlits && k < a->n && k < p->nparams; i++) {
		const sql_lit *l = &s->lits[i];
		if (!takes(a->mode, l))
			continue;
		sem_datum *d = &po->params[k];
		sem_oid t = p->param_types[k++];
		d->isnull = false;
		if (l->cls == SQL_LIT_INT4 && t == SEM_INT4OID) {
			int64_t v = 0;	/* an ICONST is decimal digits that fit in int4 */
			for (int32_t j = l->start; j < l->end; j++)
				v = v * 10 + (query[j] - '0');
			d->v.i = v;
			continue;
		}
		size_t len;
		const char *txt = lit_text(po->arena, query, l, &len);
		if (sem_in_text(&po->sem, (sem_type){t, -1}, txt, len, d, err) != CM_OK) {
			if (err->position <= 0)
				cm_error_position(err, l->start + 1);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

void
sql_plancache_counters(sql_plancache_stats *out)
{
	out->hits = atomic_load(&st_hits);
	out->misses = atomic_load(&st_misses);
	out->generic = atomic_load(&st_generic);
	out->fixed = atomic_load(&st_fixed);
	out->stale = atomic_load(&st_stale);
	out->evicted = atomic_load(&st_evicted);
	out->parse_hits = atomic_load(&st_parse_hits);
	out->parse_misses = atomic_load(&st_parse_misses);
	out->parse_stale = atomic_load(&st_parse_stale);
}
