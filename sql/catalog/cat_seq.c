/*
 * cat_seq.c -- sequence values, hidden row ids, the per-session catalog
 * state and the sequence built-ins (nextval, currval, setval, lastval).
 *
 * Sequence values live in their own key (pgkv:seq, "<last_value> <is_called>")
 * and are changed in a short transaction of their own, so nextval is never
 * rolled back with the caller's transaction (PostgreSQL semantics).  A
 * missing key means (start, not called): CREATE SEQUENCE writes nothing, so a
 * nextval on a sequence created by a still-open transaction does not
 * conflict with that transaction's commit.
 *
 * Hidden row ids (tables without an integer primary key) come from a
 * per-table counter (pgkv:rowid) in batches of CAT_ROWID_BATCH per process.
 *
 * Exported: sql_cat_seq_nextval/setval/read, sql_cat_alloc_rowid,
 * sql_cat_session_*, sql_cat_sem_hooks, sql_cat_register_builtins.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/catalog/vcat.h"	/* [vcat] */
#include "sql/catalog/cat_internal.h"
#include "sql/sem/sem_func.h"

#define CAT_ROWID_BATCH 1000

/* ---------- one-key autonomous update ---------- */

typedef cm_status (*update_fn)(void *arg, const kv_value *old, cm_buf *newval, cm_error *err);

/* Read the latest committed value of key (locked), compute the new one,
 * commit; retried on write conflicts. */
static cm_status
autonomous_update(kv_client *c, const cm_buf *key, update_fn fn, void *arg, cm_error *err)
{
	for (int attempt = 0;; attempt++) {
		kv_txn_options o;
		kv_txn_options_init(&o);
		o.mode = KV_TXN_PESSIMISTIC;
		kv_txn *t = NULL;
		if (kv_txn_begin(c, &o, &t, err) != KV_OK)
			return CM_ERROR;
		cm_arena *a = cm_arena_create(256);
		ProtobufCBinaryData k = {key->len, (uint8_t *) key->data};
		kv_lock_options lo = {.wait_ms = 0, .return_values = true};
		kv_value v = {0};
		cm_buf nv;
		cm_buf_init(&nv);
		kv_err e = kv_txn_lock_keys(t, a, &k, 1, &lo, &v, err);
		cm_status st = e == KV_OK ? CM_OK : CM_ERROR;
		if (st == CM_OK)
			st = fn(arg, &v, &nv, err);
		if (st == CM_OK) {
			e = kv_txn_set(t, (const uint8_t *) key->data, key->len, (const uint8_t *) nv.data, nv.len, err);
			if (e == KV_OK)
				e = kv_txn_commit(t, err);
			st = e == KV_OK ? CM_OK : CM_ERROR;
		} else {
			cm_error e2 = {0};
			if (kv_txn_rollback(t, &e2) != KV_OK) { /* reported below */ }
			cm_error_clear(&e2);
		}
		kv_txn_free(t);
		cm_buf_free(&nv);
		cm_arena_destroy(a);
		if (st == CM_OK)
			return CM_OK;
		if (!(kv_err_retriable(e) && attempt < 20))
			return CM_ERROR;
		cm_error_clear(err);
	}
}

/* ---------- sequences ---------- */

typedef struct nextval_arg {
	const cat_sequence *s;
	int64_t result;
	/* setval */
	int64_t value;
	bool is_called;
} nextval_arg;

static cm_status
seq_current(const cat_sequence *s, const kv_value *v, int64_t *last, bool *called, cm_error *err)
{
	if (!v->found) {
		*last = s->start;
		*called = false;
		return CM_OK;
	}
	return cat_seq_value_decode(v->data, v->len, last, called, err);
}

static cm_status
nextval_fn(void *arg, const kv_value *old, cm_buf *nv, cm_error *err)
{
	nextval_arg *na = arg;
	const cat_sequence *s = na->s;
	int64_t last;
	bool called;
	if (seq_current(s, old, &last, &called, err) != CM_OK)
		return CM_ERROR;
	int64_t next = last;
	if (called) {
		int64_t inc = s->increment;
		if (inc > 0) {
			if ((s->max >= 0 && last > s->max - inc) || (s->max < 0 && last + inc > s->max)) {
				if (!s->cycle)
					return cm_error_set(err, "2200H", "nextval: reached maximum value of sequence \"%s\" (%" PRId64 ")",
										s->name, s->max);
				next = s->min;
			} else
				next = last + inc;
		} else {
			if ((s->min < 0 && last < s->min - inc) || (s->min >= 0 && last + inc < s->min)) {
				if (!s->cycle)
					return cm_error_set(err, "2200H", "nextval: reached minimum value of sequence \"%s\" (%" PRId64 ")",
										s->name, s->min);
				next = s->max;
			} else
				next = last + inc;
		}
	}
	na->result = next;
	cat_seq_value_encode(nv, next, true);
	return CM_OK;
}

cm_status
sql_cat_seq_nextval(kv_client *c, const cat_sequence *s, int64_t *out, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_seqval(&k, s->id);
	nextval_arg na = {.s = s};
	cm_status st = autonomous_update(c, &k, nextval_fn, &na, err);
	cm_buf_free(&k);
	if (st == CM_OK)
		*out = na.result;
	return st;
}

static cm_status
setval_fn(void *arg, const kv_value *old, cm_buf *nv, cm_error *err)
{
	nextval_arg *na = arg;
	cat_seq_value_encode(nv, na->value, na->is_called);
	return CM_OK;
}

cm_status
sql_cat_seq_setval(kv_client *c, const cat_sequence *s, int64_t v, bool is_called, cm_error *err)
{
	if (v < s->min || v > s->max)
		return cm_error_set(err, CM_E_NUMERIC_VALUE_OUT_OF_RANGE,
							"setval: value %" PRId64 " is out of bounds for sequence \"%s\" (%" PRId64 "..%" PRId64 ")",
							v, s->name, s->min, s->max);
	cm_buf k;
	cm_buf_init(&k);
	cat_key_seqval(&k, s->id);
	nextval_arg na = {.s = s, .value = v, .is_called = is_called};
	cm_status st = autonomous_update(c, &k, setval_fn, &na, err);
	cm_buf_free(&k);
	return st;
}

cm_status
sql_cat_seq_read(kv_client *c, const cat_sequence *s, int64_t *last_value, bool *is_called, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_seqval(&k, s->id);
	cm_arena *a = cm_arena_create(256);
	uint64_t ts;
	kv_value v = {0};
	cm_status st = CM_ERROR;
	if (kv_client_get_ts(c, NULL, &ts, err) == KV_OK) {
		kv_snapshot snap;
		kv_snapshot_init(&snap, c, ts);
		if (kv_snapshot_get(&snap, a, (const uint8_t *) k.data, k.len, &v, err) == KV_OK)
			st = seq_current(s, &v, last_value, is_called, err);
		kv_snapshot_destroy(&snap);
	}
	cm_arena_destroy(a);
	cm_buf_free(&k);
	return st;
}

/* ---------- hidden row ids ---------- */

typedef struct rowid_range {
	kv_client *c;
	int64_t table_id;
	int64_t next, end;		/* [next, end) */
} rowid_range;

static pthread_mutex_t rowid_mu = PTHREAD_MUTEX_INITIALIZER;
static rowid_range rowid_cache[64];
static int rowid_victim;

typedef struct rowid_arg {
	int64_t first;
} rowid_arg;

static cm_status
rowid_fn(void *arg, const kv_value *old, cm_buf *nv, cm_error *err)
{
	rowid_arg *ra = arg;
	int64_t cur = 0;
	if (old->found) {
		char tmp[32];
		size_t n = old->len < sizeof tmp - 1 ? old->len : sizeof tmp - 1;
		memcpy(tmp, old->data, n);
		tmp[n] = '\0';
		cur = strtoll(tmp, NULL, 10);
	}
	ra->first = cur + 1;
	cm_buf_printf(nv, "%" PRId64, cur + CAT_ROWID_BATCH);
	return CM_OK;
}

cm_status
sql_cat_alloc_rowid(kv_client *c, int64_t table_id, int64_t *out, cm_error *err)
{
	pthread_mutex_lock(&rowid_mu);
	for (int i = 0; i < 64; i++) {
		rowid_range *r = &rowid_cache[i];
		if (r->c == c && r->table_id == table_id && r->next < r->end) {
			*out = r->next++;
			pthread_mutex_unlock(&rowid_mu);
			return CM_OK;
		}
	}
	pthread_mutex_unlock(&rowid_mu);
	cm_buf k;
	cm_buf_init(&k);
	cat_key_rowid(&k, table_id);
	rowid_arg ra = {0};
	cm_status st = autonomous_update(c, &k, rowid_fn, &ra, err);
	cm_buf_free(&k);
	if (st != CM_OK)
		return CM_ERROR;
	pthread_mutex_lock(&rowid_mu);
	int slot = -1;
	for (int i = 0; i < 64; i++)
		if (rowid_cache[i].c == c && rowid_cache[i].table_id == table_id)
			slot = i;
	if (slot < 0) {
		slot = rowid_victim;
		rowid_victim = (rowid_victim + 1) % 64;
	}
	rowid_cache[slot].c = c;
	rowid_cache[slot].table_id = table_id;
	rowid_cache[slot].next = ra.first + 1;
	rowid_cache[slot].end = ra.first + CAT_ROWID_BATCH;
	pthread_mutex_unlock(&rowid_mu);
	*out = ra.first;
	return CM_OK;
}

/* ---------- sessions ---------- */

typedef struct seq_state {
	uint32_t oid;
	int64_t last;
} seq_state;

struct sql_cat_session {
	kv_client *client;
	char *database;
	char *user;
	char *search_path;
	sql_cat_txn_fn get_txn;
	void *txn_arg;
	seq_state *seqs;
	int nseqs, capseqs;
	bool have_last;
	int64_t lastval;
	uint32_t last_oid;
};

sql_cat_session *
sql_cat_session_new(kv_client *c, const char *database, const char *user, sql_cat_txn_fn get_txn, void *txn_arg)
{
	sql_cat_session *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->client = c;
	s->database = strdup(database ? database : "postgres");
	s->user = strdup(user ? user : "");
	s->search_path = strdup("\"$user\", public");
	if (!s->database || !s->user || !s->search_path)
		abort();
	s->get_txn = get_txn;
	s->txn_arg = txn_arg;
	return s;
}

void
sql_cat_session_free(sql_cat_session *s)
{
	if (!s)
		return;
	free(s->database);
	free(s->user);
	free(s->search_path);
	free(s->seqs);
	free(s);
}

void
sql_cat_session_set_search_path(sql_cat_session *s, const char *setting)
{
	char *n = strdup(setting ? setting : "");
	if (!n)
		abort();
	free(s->search_path);
	s->search_path = n;
}

void
sql_cat_session_fill_sem(sql_cat_session *s, sem_ctx *ctx)
{
	ctx->catalog = sql_cat_sem_hooks();
	ctx->catalog_arg = s;
}

static void
remember(sql_cat_session *s, uint32_t oid, int64_t v)
{
	for (int i = 0; i < s->nseqs; i++)
		if (s->seqs[i].oid == oid) {
			s->seqs[i].last = v;
			goto last;
		}
	if (s->nseqs == s->capseqs) {
		s->capseqs = s->capseqs ? s->capseqs * 2 : 8;
		seq_state *n = realloc(s->seqs, sizeof(seq_state) * (size_t) s->capseqs);
		if (!n)
			abort();
		s->seqs = n;
	}
	s->seqs[s->nseqs].oid = oid;
	s->seqs[s->nseqs].last = v;
	s->nseqs++;
last:
	s->have_last = true;
	s->lastval = v;
	s->last_oid = oid;
}

/* Split a possibly qualified, possibly quoted name ('a.b', '"A"'). */
static cm_status
split_name(cm_arena *a, const char *in, char **schema, char **name, cm_error *err)
{
	char *parts[3] = {0};
	int n = 0;
	const char *p = in;
	for (;;) {
		cm_buf b;
		cm_buf_init(&b);
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0') {
					cm_buf_free(&b);
					return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid name syntax");
				}
				if (*p == '"') {
					if (p[1] == '"') {
						cm_buf_putc(&b, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				cm_buf_putc(&b, *p++);
			}
		} else {
			while (*p && *p != '.' && !isspace((unsigned char) *p))
				cm_buf_putc(&b, (char) tolower((unsigned char) *p++));
		}
		while (isspace((unsigned char) *p))
			p++;
		if (b.len == 0 || n == 3) {
			cm_buf_free(&b);
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid name syntax");
		}
		parts[n++] = cm_strndup(a, b.data, b.len);
		cm_buf_free(&b);
		if (*p == '.') {
			p++;
			while (isspace((unsigned char) *p))
				p++;
			continue;
		}
		if (*p != '\0')
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid name syntax");
		break;
	}
	*schema = n >= 2 ? parts[n - 2] : NULL;
	*name = parts[n - 1];
	return CM_OK;
}

/* Find a relation for a hook call: by name (search path) or by oid. */
static cm_status
hook_find(sql_cat_session *s, cm_arena *a, const char *name, uint32_t oid, sql_cat_view **vout, cat_relation *rel,
		  const char **shown, cm_error *err)
{
	kv_txn *txn = NULL;
	if (s->get_txn && s->get_txn(s->txn_arg, &txn, err) != CM_OK)
		return CM_ERROR;
	sql_cat_view *v;
	if (sql_cat_view_acquire(s->client, txn, &v, err) != CM_OK)
		return CM_ERROR;
	const cat_database *db = sql_cat_find_database(v, s->database);
	bool found = false;
	cm_status st = CM_OK;
	if (name) {
		char *schema, *rn;
		st = split_name(a, name, &schema, &rn, err);
		if (st == CM_OK) {
			sql_cat_search_path sp;
			sql_cat_search_path_parse(a, s->search_path, s->user, &sp);
			st = sql_cat_resolve_relation(v, db ? db->id : -1, &sp, schema, rn, rel, NULL, &found, err);
			*shown = rn;
			if (st == CM_OK && !found)
				st = cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", name);
		}
	} else {
		cat_kind k;
		const void *o = sql_cat_by_oid(v, oid, &k, rel);
		if (o == NULL || !(k == CAT_KIND_TABLE || k == CAT_KIND_SEQUENCE))
			st = cm_error_set(err, CM_E_UNDEFINED_TABLE, "could not open relation with OID %u", oid);
		else
			*shown = rel->relkind == 'S' ? rel->seq->name : rel->relkind == 'i' ? rel->index->name : rel->table->name;
	}
	if (st == CM_OK && rel->relkind != 'S')
		st = cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "\"%s\" is not a sequence", *shown);
	if (st != CM_OK) {
		sql_cat_view_release(v);
		return CM_ERROR;
	}
	*vout = v;
	return CM_OK;
}

static cm_status
hook_nextval(void *arg, const char *name, uint32_t oid, int64_t *out, cm_error *err)
{
	sql_cat_session *s = arg;
	cm_arena *a = cm_arena_create(512);
	sql_cat_view *v = NULL;
	cat_relation rel;
	const char *shown = NULL;
	cm_status st = hook_find(s, a, name, oid, &v, &rel, &shown, err);
	if (st == CM_OK) {
		st = sql_cat_seq_nextval(s->client, rel.seq, out, err);
		if (st == CM_OK)
			remember(s, rel.seq->oid, *out);
		sql_cat_view_release(v);
	}
	cm_arena_destroy(a);
	return st;
}

static cm_status
hook_currval(void *arg, const char *name, uint32_t oid, int64_t *out, cm_error *err)
{
	sql_cat_session *s = arg;
	cm_arena *a = cm_arena_create(512);
	sql_cat_view *v = NULL;
	cat_relation rel;
	const char *shown = NULL;
	cm_status st = hook_find(s, a, name, oid, &v, &rel, &shown, err);
	if (st == CM_OK) {
		bool found = false;
		for (int i = 0; i < s->nseqs; i++)
			if (s->seqs[i].oid == rel.seq->oid) {
				*out = s->seqs[i].last;
				found = true;
			}
		if (!found)
			st = cm_error_set(err, CM_E_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  "currval of sequence \"%s\" is not yet defined in this session", rel.seq->name);
		sql_cat_view_release(v);
	}
	cm_arena_destroy(a);
	return st;
}

static cm_status
hook_setval(void *arg, const char *name, uint32_t oid, int64_t value, bool is_called, cm_error *err)
{
	sql_cat_session *s = arg;
	cm_arena *a = cm_arena_create(512);
	sql_cat_view *v = NULL;
	cat_relation rel;
	const char *shown = NULL;
	cm_status st = hook_find(s, a, name, oid, &v, &rel, &shown, err);
	if (st == CM_OK) {
		st = sql_cat_seq_setval(s->client, rel.seq, value, is_called, err);
		if (st == CM_OK && is_called)
			remember(s, rel.seq->oid, value);
		sql_cat_view_release(v);
	}
	cm_arena_destroy(a);
	return st;
}

static cm_status
hook_lastval(void *arg, int64_t *out, cm_error *err)
{
	sql_cat_session *s = arg;
	if (!s->have_last)
		return cm_error_set(err, CM_E_OBJECT_NOT_IN_PREREQUISITE_STATE, "lastval is not yet defined in this session");
	*out = s->lastval;
	return CM_OK;
}

static cm_status
hook_regclass_in(void *arg, const char *name, uint32_t *oid, cm_error *err)
{
	sql_cat_session *s = arg;
	cm_arena *a = cm_arena_create(512);
	kv_txn *txn = NULL;
	cm_status st = CM_OK;
	if (s->get_txn)
		st = s->get_txn(s->txn_arg, &txn, err);
	sql_cat_view *v = NULL;
	if (st == CM_OK)
		st = sql_cat_view_acquire(s->client, txn, &v, err);
	if (st == CM_OK) {
		const cat_database *db = sql_cat_find_database(v, s->database);
		char *schema, *rn;
		bool found = false;
		cat_relation rel;
		st = split_name(a, name, &schema, &rn, err);
		if (st == CM_OK) {
			sql_cat_search_path sp;
			sql_cat_search_path_parse(a, s->search_path, s->user, &sp);
			st = sql_cat_resolve_relation(v, db ? db->id : -1, &sp, schema, rn, &rel, NULL, &found, err);
		}
		if (st == CM_OK && !found)
			st = cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", name);
		if (st == CM_OK)
			*oid = rel.relkind == 'S' ? rel.seq->oid : rel.relkind == 'i' ? rel.index->oid : rel.table->oid;
		sql_cat_view_release(v);
	}
	cm_arena_destroy(a);
	return st;
}

static bool
hook_regclass_out(void *arg, uint32_t oid, cm_buf *out)
{
	sql_cat_session *s = arg;
	kv_txn *txn = NULL;
	cm_error err = {0};
	if (s->get_txn && s->get_txn(s->txn_arg, &txn, &err) != CM_OK) {
		cm_error_clear(&err);
		return false;
	}
	sql_cat_view *v;
	if (sql_cat_view_acquire(s->client, txn, &v, &err) != CM_OK) {
		cm_error_clear(&err);
		return false;
	}
	cat_kind k;
	cat_relation rel;
	bool ok = false;
	const void *o = sql_cat_by_oid(v, oid, &k, &rel);
	if (o && (k == CAT_KIND_TABLE || k == CAT_KIND_SEQUENCE)) {
		const char *nm = rel.relkind == 'S' ? rel.seq->name : rel.relkind == 'i' ? rel.index->name : rel.table->name;
		int64_t schema_id = rel.relkind == 'S' ? rel.seq->schema_id : rel.table->schema_id;
		const cat_schema *sc = sql_cat_schema_by_id(v, schema_id);
		/* qualify unless the schema is the first existing one of the path */
		cm_arena *a = cm_arena_create(256);
		sql_cat_search_path sp;
		sql_cat_search_path_parse(a, s->search_path, s->user, &sp);
		bool visible = false;
		for (int i = 0; i < sp.n && sc; i++)
			if (strcmp(sp.names[i], sc->name) == 0) {
				visible = true;
				break;
			}
		cm_arena_destroy(a);
		if (!visible && sc)
			cm_buf_printf(out, "%s.", sc->name);
		cm_buf_puts(out, nm);
		ok = true;
	}
	sql_cat_view_release(v);
	return ok;
}

static const sem_catalog_hooks hooks = {
	.nextval = hook_nextval,
	.currval = hook_currval,
	.setval = hook_setval,
	.lastval = hook_lastval,
	.regclass_in = hook_regclass_in,
	.regclass_out = hook_regclass_out,
	.catfunc = sql_vcat_catfunc,	/* [vcat] system-catalog functions, reg* I/O (vcat_funcs.c) */
};

/* [vcat] The catalog view the session's transaction sees (one reference,
 * release with sql_cat_view_release), with the session's database, user and
 * search_path setting: for catalog functions evaluated outside a statement
 * environment (e.g. reg* output while rows are sent). */
cm_status
sql_cat_session_view(sql_cat_session *s, sql_cat_view **out, const char **database, const char **user,
					 const char **search_path, cm_error *err)
{
	kv_txn *txn = NULL;
	if (s->get_txn && s->get_txn(s->txn_arg, &txn, err) != CM_OK)
		return CM_ERROR;
	if (sql_cat_view_acquire(s->client, txn, out, err) != CM_OK)
		return CM_ERROR;
	*database = s->database;
	*user = s->user;
	*search_path = s->search_path;
	return CM_OK;
}

const sem_catalog_hooks *
sql_cat_sem_hooks(void)
{
	return &hooks;
}

/* ---------- built-ins ---------- */

static cm_status
no_catalog(cm_error *err, const char *fn)
{
	return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "%s() is not available here", fn);
}

/* The name argument of the text variants, NUL-terminated. */
static const char *
arg_name(sem_ctx *ctx, const sem_datum *d)
{
	return cm_strndup(ctx->arena, d->v.s.p, d->v.s.len);
}

static cm_status
f_nextval_text(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "nextval");
	out->isnull = false;
	return ctx->catalog->nextval(ctx->catalog_arg, arg_name(ctx, &args[0]), 0, &out->v.i, err);
}

static cm_status
f_nextval_oid(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "nextval");
	out->isnull = false;
	return ctx->catalog->nextval(ctx->catalog_arg, NULL, (uint32_t) args[0].v.i, &out->v.i, err);
}

static cm_status
f_currval_text(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "currval");
	out->isnull = false;
	return ctx->catalog->currval(ctx->catalog_arg, arg_name(ctx, &args[0]), 0, &out->v.i, err);
}

static cm_status
f_currval_oid(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "currval");
	out->isnull = false;
	return ctx->catalog->currval(ctx->catalog_arg, NULL, (uint32_t) args[0].v.i, &out->v.i, err);
}

static cm_status
setval_common(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, bool by_name, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "setval");
	bool called = nargs < 3 ? true : args[2].v.b;
	out->isnull = false;
	out->v.i = args[1].v.i;
	return ctx->catalog->setval(ctx->catalog_arg, by_name ? arg_name(ctx, &args[0]) : NULL,
								by_name ? 0 : (uint32_t) args[0].v.i, args[1].v.i, called, err);
}

static cm_status
f_setval_text(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	return setval_common(ctx, nargs, args, out, true, err);
}

static cm_status
f_setval_oid(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	return setval_common(ctx, nargs, args, out, false, err);
}

static cm_status
f_lastval(sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err)
{
	if (!ctx->catalog)
		return no_catalog(err, "lastval");
	out->isnull = false;
	return ctx->catalog->lastval(ctx->catalog_arg, &out->v.i, err);
}

#define VOL (SEM_FN_STRICT | SEM_FN_VOLATILE)
static const sem_builtin seq_builtins[] = {
	{"nextval", 1, {SEM_TEXTOID}, SEM_INT8OID, VOL, f_nextval_text},
	{"nextval", 1, {SEM_REGCLASSOID}, SEM_INT8OID, VOL, f_nextval_oid},
	{"currval", 1, {SEM_TEXTOID}, SEM_INT8OID, VOL, f_currval_text},
	{"currval", 1, {SEM_REGCLASSOID}, SEM_INT8OID, VOL, f_currval_oid},
	{"setval", 2, {SEM_TEXTOID, SEM_INT8OID}, SEM_INT8OID, VOL, f_setval_text},
	{"setval", 2, {SEM_REGCLASSOID, SEM_INT8OID}, SEM_INT8OID, VOL, f_setval_oid},
	{"setval", 3, {SEM_TEXTOID, SEM_INT8OID, SEM_BOOLOID}, SEM_INT8OID, VOL, f_setval_text},
	{"setval", 3, {SEM_REGCLASSOID, SEM_INT8OID, SEM_BOOLOID}, SEM_INT8OID, VOL, f_setval_oid},
	{"lastval", 0, {0}, SEM_INT8OID, SEM_FN_VOLATILE, f_lastval},
};

static void
register_seq_builtins(void)
{
	sem_register_builtins(seq_builtins, sizeof seq_builtins / sizeof seq_builtins[0]);
}

void
sql_cat_register_builtins(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_seq_builtins);
}
