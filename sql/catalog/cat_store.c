/*
 * cat_store.c -- the catalog in KV: keys, id allocation, the schema version,
 * DDL statement framing, view loading and the per-process view cache,
 * lookups, bootstrap, database checks for the startup packet.
 *
 * Concurrency: every DDL statement locks pgkv:ver (pessimistically) before
 * it reads the catalog and rewrites it last, so DDL of different
 * transactions is serialised and each sees the previous one's result; a
 * transaction whose snapshot predates a DDL committed meanwhile gets 40001.
 * The version value is "<counter> <start_ts of the writer>" (" p" appended
 * while a statement is in progress), so a value identifies one catalog
 * state everywhere: views are cached by it and never go stale.
 *
 * Exported: see sql_catalog.h and cat_internal.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_log.h"
#include "kv/codec/kv_codec.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/catalog/cat_internal.h"

#define META_VER "pgkv:ver"
#define META_NEXTID "pgkv:nextid"
#define META_BOOT "pgkv:boot"
#define META_OBJ "pgkv:obj"
#define META_SEQ "pgkv:seq"
#define META_ROWID "pgkv:rowid"

/* ---------- keys ---------- */

void cat_key_version(cm_buf *b) { kv_meta_string_key(b, META_VER, strlen(META_VER)); }
void cat_key_nextid(cm_buf *b) { kv_meta_string_key(b, META_NEXTID, strlen(META_NEXTID)); }
void cat_key_boot(cm_buf *b) { kv_meta_string_key(b, META_BOOT, strlen(META_BOOT)); }

static void
id_field(uint8_t f[8], int64_t id)
{
	kv_put_uint(f, (uint64_t) id);
}

void
cat_key_obj(cm_buf *b, int64_t id)
{
	uint8_t f[8];
	id_field(f, id);
	kv_meta_hash_key(b, META_OBJ, strlen(META_OBJ), f, 8);
}

void
cat_obj_range(cm_buf *start, cm_buf *end)
{
	kv_meta_hash_prefix(start, META_OBJ, strlen(META_OBJ));
	(void) kv_prefix_next(end, start->data, start->len);
}

void
cat_key_seqval(cm_buf *b, int64_t seq_id)
{
	uint8_t f[8];
	id_field(f, seq_id);
	kv_meta_hash_key(b, META_SEQ, strlen(META_SEQ), f, 8);
}

void
cat_key_rowid(cm_buf *b, int64_t table_id)
{
	uint8_t f[8];
	id_field(f, table_id);
	kv_meta_hash_key(b, META_ROWID, strlen(META_ROWID), f, 8);
}

/* ---------- small helpers ---------- */

static cm_status
kv_status(kv_err e)
{
	return e == KV_OK ? CM_OK : CM_ERROR;
}

static int64_t
parse_i64(const uint8_t *p, size_t len)
{
	char tmp[32];
	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return strtoll(tmp, NULL, 10);
}

/* Version value: counter and writer start_ts; pending marker. */
typedef struct verval {
	uint64_t n;
	uint64_t ts;
	bool pending;
} verval;

static void
parse_version(const kv_value *v, verval *out)
{
	memset(out, 0, sizeof *out);
	if (!v->found || v->len == 0)
		return;
	char tmp[64];
	size_t len = v->len < sizeof(tmp) - 1 ? v->len : sizeof(tmp) - 1;
	memcpy(tmp, v->data, len);
	tmp[len] = '\0';
	unsigned long long n = 0, ts = 0;
	char p = 0;
	int k = sscanf(tmp, "%llu %llu %c", &n, &ts, &p);
	out->n = n;
	out->ts = k >= 2 ? ts : 0;
	out->pending = k == 3 && p == 'p';
}

static char *
version_text(cm_arena *a, const kv_value *v)
{
	if (!v->found)
		return cm_strdup(a, "0");
	return cm_strndup(a, (const char *) v->data, v->len);
}

/* ---------- writes ---------- */

cm_status
cat_put_obj(kv_txn *t, cat_kind kind, int64_t id, const void *obj, cm_error *err)
{
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cat_key_obj(&k, id);
	cat_desc_encode(&v, kind, obj);
	kv_err e = kv_txn_set(t, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err);
	cm_buf_free(&k);
	cm_buf_free(&v);
	return kv_status(e);
}

cm_status
cat_del_obj(kv_txn *t, int64_t id, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_obj(&k, id);
	kv_err e = kv_txn_delete(t, (const uint8_t *) k.data, k.len, err);
	cm_buf_free(&k);
	return kv_status(e);
}

cm_status
cat_alloc_ids(kv_txn *t, int n, int64_t *first, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_nextid(&k);
	cm_arena *a = cm_arena_create(256);
	kv_value v;
	cm_status st = CM_ERROR;
	if (kv_txn_get(t, a, (const uint8_t *) k.data, k.len, &v, err) == KV_OK) {
		int64_t next = v.found ? parse_i64(v.data, v.len) : 1;
		if (next < 1)
			next = 1;
		*first = next;
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "%" PRId64, next + n);
		st = kv_status(kv_txn_set(t, (const uint8_t *) k.data, k.len, (const uint8_t *) buf, (size_t) len, err));
	}
	cm_arena_destroy(a);
	cm_buf_free(&k);
	return st;
}

void
cat_seq_value_encode(cm_buf *b, int64_t last_value, bool is_called)
{
	cm_buf_printf(b, "%" PRId64 " %d", last_value, is_called ? 1 : 0);
}

cm_status
cat_seq_value_decode(const uint8_t *p, size_t len, int64_t *last_value, bool *is_called, cm_error *err)
{
	char tmp[64];
	if (len >= sizeof(tmp))
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "sequence value is malformed");
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	long long v;
	int c;
	if (sscanf(tmp, "%lld %d", &v, &c) != 2)
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "sequence value is malformed");
	*last_value = v;
	*is_called = c != 0;
	return CM_OK;
}

cm_status
cat_seq_put_value(kv_txn *t, int64_t seq_id, int64_t last_value, bool is_called, cm_error *err)
{
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cat_key_seqval(&k, seq_id);
	cat_seq_value_encode(&v, last_value, is_called);
	kv_err e = kv_txn_set(t, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err);
	cm_buf_free(&k);
	cm_buf_free(&v);
	return kv_status(e);
}

cm_status
cat_seq_del_value(kv_txn *t, int64_t seq_id, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_seqval(&k, seq_id);
	kv_err e = kv_txn_delete(t, (const uint8_t *) k.data, k.len, err);
	cm_buf_free(&k);
	return kv_status(e);
}

/* ---------- object hash (view index) ---------- */

typedef struct cat_hent {
	const char *key;
	const void *val;
	int tag;
} cat_hent;

struct cat_hash {
	size_t cap;		/* power of two */
	size_t n;
	cat_hent *e;
};

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ull;
	return h;
}

static struct cat_hash *
hash_new(cm_arena *a, size_t n)
{
	struct cat_hash *h = cm_new(a, struct cat_hash);
	h->cap = 16;
	while (h->cap < n * 2 + 1)
		h->cap <<= 1;
	h->e = cm_new_array(a, cat_hent, h->cap);
	return h;
}

static void
hash_put(struct cat_hash *h, const char *key, const void *val, int tag)
{
	size_t i = fnv(key) & (h->cap - 1);
	while (h->e[i].key) {
		if (strcmp(h->e[i].key, key) == 0)
			return; /* first wins */
		i = (i + 1) & (h->cap - 1);
	}
	h->e[i].key = key;
	h->e[i].val = val;
	h->e[i].tag = tag;
	h->n++;
}

static const cat_hent *
hash_get(const struct cat_hash *h, const char *key)
{
	if (!h)
		return NULL;
	size_t i = fnv(key) & (h->cap - 1);
	while (h->e[i].key) {
		if (strcmp(h->e[i].key, key) == 0)
			return &h->e[i];
		i = (i + 1) & (h->cap - 1);
	}
	return NULL;
}

static void
rel_key(char *buf, size_t n, int64_t schema_id, const char *name)
{
	snprintf(buf, n, "%" PRId64 "\x1f%s", schema_id, name);
}

/* tags of the rel hash */
enum { TAG_TABLE = 1, TAG_INDEX, TAG_SEQ, TAG_DB, TAG_SCHEMA, TAG_ROLE };

typedef struct idx_ref {
	const cat_table *t;
	const cat_index *ix;
} idx_ref;

static void
view_index(sql_cat_view *v)
{
	size_t nrel = (size_t) v->ntables + (size_t) v->nseqs;
	for (int i = 0; i < v->ntables; i++)
		nrel += (size_t) v->tables[i]->nindexes;
	v->rel_by_name = hash_new(v->arena, nrel);
	v->by_oid = hash_new(v->arena, nrel + (size_t) v->ndbs + (size_t) v->nschemas + (size_t) v->nroles);
	char kb[SQL_CAT_NAMEDATALEN + 32];
	for (int i = 0; i < v->ntables; i++) {
		cat_table *t = v->tables[i];
		rel_key(kb, sizeof kb, t->schema_id, t->name);
		hash_put(v->rel_by_name, cm_strdup(v->arena, kb), t, TAG_TABLE);
		hash_put(v->by_oid, cm_asprintf(v->arena, "%u", t->oid), t, TAG_TABLE);
		for (int j = 0; j < t->nindexes; j++) {
			idx_ref *r = cm_new(v->arena, idx_ref);
			r->t = t;
			r->ix = &t->indexes[j];
			if (t->indexes[j].oid == 0)
				continue; /* int-handle primary key: no index relation */
			rel_key(kb, sizeof kb, t->schema_id, t->indexes[j].name);
			hash_put(v->rel_by_name, cm_strdup(v->arena, kb), r, TAG_INDEX);
			hash_put(v->by_oid, cm_asprintf(v->arena, "%u", t->indexes[j].oid), r, TAG_INDEX);
		}
	}
	for (int i = 0; i < v->nseqs; i++) {
		cat_sequence *s = v->seqs[i];
		rel_key(kb, sizeof kb, s->schema_id, s->name);
		hash_put(v->rel_by_name, cm_strdup(v->arena, kb), s, TAG_SEQ);
		hash_put(v->by_oid, cm_asprintf(v->arena, "%u", s->oid), s, TAG_SEQ);
	}
	for (int i = 0; i < v->ndbs; i++)
		hash_put(v->by_oid, cm_asprintf(v->arena, "%u", v->dbs[i]->oid), v->dbs[i], TAG_DB);
	for (int i = 0; i < v->nschemas; i++)
		hash_put(v->by_oid, cm_asprintf(v->arena, "%u", v->schemas[i]->oid), v->schemas[i], TAG_SCHEMA);
	for (int i = 0; i < v->nroles; i++)
		hash_put(v->by_oid, cm_asprintf(v->arena, "%u", v->roles[i]->oid), v->roles[i], TAG_ROLE);
}

/* ---------- loading ---------- */

#define PUSH(v, arr, n, x)                                                       \
	do {                                                                         \
		__typeof__(arr) na_ = cm_alloc((v)->arena, sizeof(*(arr)) * (size_t) ((n) + 1)); \
		if (n)                                                                   \
			memcpy(na_, arr, sizeof(*(arr)) * (size_t) (n));                      \
		na_[n] = (x);                                                            \
		(arr) = na_;                                                             \
		(n)++;                                                                   \
	} while (0)

static int
cmp_by_id_table(const void *a, const void *b)
{
	int64_t x = (*(cat_table *const *) a)->id, y = (*(cat_table *const *) b)->id;
	return x < y ? -1 : x > y;
}

cm_status
cat_view_load(kv_client *c, kv_txn *txn, uint64_t ts, const char *version, sql_cat_view **out, cm_error *err)
{
	sql_cat_view *v = NULL;
	cm_arena *a = cm_arena_create(16384);
	v = cm_new(a, sql_cat_view);
	v->arena = a;
	atomic_init(&v->refs, 1);
	v->version = cm_strdup(a, version ? version : "");
	cm_buf s, e;
	cm_buf_init(&s);
	cm_buf_init(&e);
	cat_obj_range(&s, &e);
	kv_iter_options o = {.start = (const uint8_t *) s.data, .start_len = s.len,
						 .end = (const uint8_t *) e.data, .end_len = e.len};
	kv_iter *it = NULL;
	kv_snapshot snap;
	bool have_snap = false;
	kv_err ke;
	if (txn)
		ke = kv_txn_iter(txn, &o, &it, err);
	else {
		kv_snapshot_init(&snap, c, ts);
		have_snap = true;
		ke = kv_snapshot_iter(&snap, &o, &it, err);
	}
	cm_status st = kv_status(ke);
	while (st == CM_OK && kv_iter_valid(it)) {
		size_t vl;
		const uint8_t *vp = kv_iter_value(it, &vl);
		cat_kind kind;
		void *obj;
		if (cat_desc_decode(a, vp, vl, &kind, &obj, err) != CM_OK) {
			st = CM_ERROR;
			break;
		}
		switch (kind) {
		case CAT_KIND_DATABASE: PUSH(v, v->dbs, v->ndbs, (cat_database *) obj); break;
		case CAT_KIND_SCHEMA: PUSH(v, v->schemas, v->nschemas, (cat_schema *) obj); break;
		case CAT_KIND_TABLE: PUSH(v, v->tables, v->ntables, (cat_table *) obj); break;
		case CAT_KIND_SEQUENCE: PUSH(v, v->seqs, v->nseqs, (cat_sequence *) obj); break;
		case CAT_KIND_ROLE: PUSH(v, v->roles, v->nroles, (cat_role *) obj); break;
		}
		if (kv_iter_next(it, err) != KV_OK)
			st = CM_ERROR;
	}
	if (it)
		kv_iter_close(it);
	if (have_snap)
		kv_snapshot_destroy(&snap);
	cm_buf_free(&s);
	cm_buf_free(&e);
	if (st != CM_OK) {
		cm_arena_destroy(a);
		return CM_ERROR;
	}
	/* keys are ordered by id already; keep tables sorted defensively */
	if (v->ntables > 1)
		qsort(v->tables, (size_t) v->ntables, sizeof(cat_table *), cmp_by_id_table);
	view_index(v);
	*out = v;
	return CM_OK;
}

void
sql_cat_view_retain(sql_cat_view *v)
{
	atomic_fetch_add(&v->refs, 1);
}

void
sql_cat_view_release(sql_cat_view *v)
{
	if (v && atomic_fetch_sub(&v->refs, 1) == 1)
		cm_arena_destroy(v->arena);
}

/* ---------- the view cache ---------- */

#define CACHE_SLOTS 8

typedef struct cache_slot {
	kv_client *client;
	sql_cat_view *view;
	uint64_t used;
} cache_slot;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_slot cache[CACHE_SLOTS];
static uint64_t cache_clock;
/* bootstrap done for these clients */
static kv_client *booted[16];

static sql_cat_view *
cache_get(kv_client *c, const char *version)
{
	sql_cat_view *v = NULL;
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].client == c && cache[i].view && strcmp(cache[i].view->version, version) == 0) {
			v = cache[i].view;
			sql_cat_view_retain(v);
			cache[i].used = ++cache_clock;
			break;
		}
	pthread_mutex_unlock(&cache_mu);
	return v;
}

static void
cache_put(kv_client *c, sql_cat_view *v)
{
	pthread_mutex_lock(&cache_mu);
	int victim = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].view == NULL) {
			victim = i;
			break;
		}
		if (cache[i].used < cache[victim].used)
			victim = i;
	}
	if (cache[victim].view)
		sql_cat_view_release(cache[victim].view);
	sql_cat_view_retain(v);
	cache[victim].client = c;
	cache[victim].view = v;
	cache[victim].used = ++cache_clock;
	pthread_mutex_unlock(&cache_mu);
}

void
sql_cat_forget_client(kv_client *c)
{
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].client == c) {
			sql_cat_view_release(cache[i].view);
			cache[i].view = NULL;
			cache[i].client = NULL;
		}
	for (int i = 0; i < 16; i++)
		if (booted[i] == c)
			booted[i] = NULL;
	pthread_mutex_unlock(&cache_mu);
}

cm_status
sql_cat_view_acquire(kv_client *c, kv_txn *txn, sql_cat_view **out, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_version(&k);
	cm_arena *a = cm_arena_create(256);
	kv_value v;
	kv_err e;
	uint64_t ts = 0;
	kv_snapshot snap;
	if (txn)
		e = kv_txn_get(txn, a, (const uint8_t *) k.data, k.len, &v, err);
	else {
		e = kv_client_get_ts(c, NULL, &ts, err);
		if (e == KV_OK) {
			kv_snapshot_init(&snap, c, ts);
			e = kv_snapshot_get(&snap, a, (const uint8_t *) k.data, k.len, &v, err);
			kv_snapshot_destroy(&snap);
		}
	}
	cm_buf_free(&k);
	if (e != KV_OK) {
		cm_arena_destroy(a);
		return CM_ERROR;
	}
	char *ver = version_text(a, &v);
	verval vv;
	parse_version(&v, &vv);
	sql_cat_view *view = vv.pending ? NULL : cache_get(c, ver);
	cm_status st = CM_OK;
	if (view == NULL) {
		st = cat_view_load(c, txn, ts, ver, &view, err);
		if (st == CM_OK && !vv.pending)
			cache_put(c, view);
	}
	cm_arena_destroy(a);
	if (st == CM_OK)
		*out = view;
	return st;
}

/* ---------- DDL framing ---------- */

cm_status
cat_ddl_begin(kv_client *c, kv_txn *txn, cat_ddl *d, cm_error *err)
{
	memset(d, 0, sizeof *d);
	d->client = c;
	d->txn = txn;
	d->sp = kv_txn_savepoint(txn);
	d->active = true;
	cm_buf k;
	cm_buf_init(&k);
	cat_key_version(&k);
	cm_arena *a = cm_arena_create(512);
	ProtobufCBinaryData key = {k.len, (uint8_t *) k.data};
	kv_lock_options lo = {.wait_ms = 0, .return_values = true};
	kv_value latest = {0}, mine = {0};
	cm_status st = kv_status(kv_txn_lock_keys(txn, a, &key, 1, &lo, &latest, err));
	if (st == CM_OK)
		st = kv_status(kv_txn_get(txn, a, (const uint8_t *) k.data, k.len, &mine, err));
	verval lv, mv;
	if (st == CM_OK) {
		parse_version(&latest, &lv);
		parse_version(&mine, &mv);
		bool own = mine.found && mv.ts == kv_txn_start_ts(txn);
		if (!own && latest.found &&
			(!mine.found || latest.len != mine.len || memcmp(latest.data, mine.data, mine.len) != 0)) {
			st = cm_error_set(err, CM_E_SERIALIZATION_FAILURE,
							  "could not serialize access due to concurrent catalog change");
			cm_error_hint(err, "Retry the transaction.");
		}
	}
	if (st == CM_OK) {
		d->version = mv.n;
		st = sql_cat_view_acquire(c, txn, &d->view, err);
	}
	if (st == CM_OK) {
		/* mark in progress: views loaded until finish are never cached */
		char buf[64];
		int n = snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64 " p", d->version + 1, kv_txn_start_ts(txn));
		st = kv_status(kv_txn_set(txn, (const uint8_t *) k.data, k.len, (const uint8_t *) buf, (size_t) n, err));
	}
	cm_arena_destroy(a);
	cm_buf_free(&k);
	if (st != CM_OK) {
		cat_ddl_abort(d);
		return CM_ERROR;
	}
	return CM_OK;
}

cm_status
cat_ddl_finish(cat_ddl *d, cm_error *err)
{
	cm_buf k;
	cm_buf_init(&k);
	cat_key_version(&k);
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64, d->version + 1, kv_txn_start_ts(d->txn));
	cm_status st = kv_status(kv_txn_set(d->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) buf, (size_t) n, err));
	cm_buf_free(&k);
	if (st != CM_OK) {
		cat_ddl_abort(d);
		return CM_ERROR;
	}
	kv_txn_release(d->txn, d->sp);
	sql_cat_view_release(d->view);
	d->view = NULL;
	d->active = false;
	return CM_OK;
}

void
cat_ddl_abort(cat_ddl *d)
{
	if (!d->active)
		return;
	cm_error e2 = {0};
	if (kv_txn_rollback_to(d->txn, d->sp, &e2) != KV_OK)
		CM_LOG(CM_LOG_WARN, "catalog: rollback to savepoint failed: %s", e2.message ? e2.message : "?");
	cm_error_clear(&e2);
	kv_txn_release(d->txn, d->sp);
	if (d->view)
		sql_cat_view_release(d->view);
	d->view = NULL;
	d->active = false;
}

/* ---------- lookups ---------- */

const cat_database *
sql_cat_find_database(const sql_cat_view *v, const char *name)
{
	for (int i = 0; i < v->ndbs; i++)
		if (strcmp(v->dbs[i]->name, name) == 0)
			return v->dbs[i];
	return NULL;
}

const cat_database *
sql_cat_database_by_id(const sql_cat_view *v, int64_t id)
{
	for (int i = 0; i < v->ndbs; i++)
		if (v->dbs[i]->id == id)
			return v->dbs[i];
	return NULL;
}

const cat_schema *
sql_cat_find_schema(const sql_cat_view *v, int64_t db_id, const char *name)
{
	for (int i = 0; i < v->nschemas; i++)
		if (v->schemas[i]->db_id == db_id && strcmp(v->schemas[i]->name, name) == 0)
			return v->schemas[i];
	return NULL;
}

const cat_schema *
sql_cat_schema_by_id(const sql_cat_view *v, int64_t id)
{
	for (int i = 0; i < v->nschemas; i++)
		if (v->schemas[i]->id == id)
			return v->schemas[i];
	return NULL;
}

static void
fill_rel(const cat_hent *h, cat_relation *out)
{
	memset(out, 0, sizeof *out);
	switch (h->tag) {
	case TAG_TABLE:
		out->relkind = 'r';
		out->table = h->val;
		break;
	case TAG_INDEX: {
		const idx_ref *r = h->val;
		out->relkind = 'i';
		out->table = r->t;
		out->index = r->ix;
		break;
	}
	case TAG_SEQ:
		out->relkind = 'S';
		out->seq = h->val;
		break;
	}
}

bool
sql_cat_find_relation(const sql_cat_view *v, int64_t schema_id, const char *name, cat_relation *out)
{
	char kb[SQL_CAT_NAMEDATALEN + 32 + 256];
	rel_key(kb, sizeof kb, schema_id, name);
	const cat_hent *h = hash_get(v->rel_by_name, kb);
	if (!h)
		return false;
	if (out)
		fill_rel(h, out);
	return true;
}

const cat_table *
sql_cat_table_by_id(const sql_cat_view *v, int64_t id)
{
	int lo = 0, hi = v->ntables - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (v->tables[mid]->id == id)
			return v->tables[mid];
		if (v->tables[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

const cat_sequence *
sql_cat_seq_by_id(const sql_cat_view *v, int64_t id)
{
	for (int i = 0; i < v->nseqs; i++)
		if (v->seqs[i]->id == id)
			return v->seqs[i];
	return NULL;
}

const cat_role *
sql_cat_find_role(const sql_cat_view *v, const char *name)
{
	for (int i = 0; i < v->nroles; i++)
		if (strcmp(v->roles[i]->name, name) == 0)
			return v->roles[i];
	return NULL;
}

const cat_role *
sql_cat_role_by_id(const sql_cat_view *v, int64_t id)
{
	for (int i = 0; i < v->nroles; i++)
		if (v->roles[i]->id == id)
			return v->roles[i];
	return NULL;
}

const void *
sql_cat_by_oid(const sql_cat_view *v, uint32_t oid, cat_kind *kind, cat_relation *rel)
{
	char kb[16];
	snprintf(kb, sizeof kb, "%u", oid);
	const cat_hent *h = hash_get(v->by_oid, kb);
	if (!h)
		return NULL;
	cat_kind k;
	switch (h->tag) {
	case TAG_DB: k = CAT_KIND_DATABASE; break;
	case TAG_SCHEMA: k = CAT_KIND_SCHEMA; break;
	case TAG_ROLE: k = CAT_KIND_ROLE; break;
	case TAG_SEQ: k = CAT_KIND_SEQUENCE; break;
	default: k = CAT_KIND_TABLE; break;
	}
	if (kind)
		*kind = k;
	if (rel && (h->tag == TAG_TABLE || h->tag == TAG_INDEX || h->tag == TAG_SEQ))
		fill_rel(h, rel);
	return h->val;
}

const cat_column *
sql_cat_find_column(const cat_table *t, const char *name, int *pos)
{
	for (int i = 0; i < t->ncols; i++)
		if (!t->cols[i].dropped && strcmp(t->cols[i].name, name) == 0) {
			if (pos)
				*pos = i;
			return &t->cols[i];
		}
	return NULL;
}

const cat_column *
sql_cat_column_by_id(const cat_table *t, int32_t col_id, int *pos)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].id == col_id) {
			if (pos)
				*pos = i;
			return &t->cols[i];
		}
	return NULL;
}

const cat_index *
sql_cat_index_by_id(const cat_table *t, int64_t index_id)
{
	for (int i = 0; i < t->nindexes; i++)
		if (t->indexes[i].id == index_id)
			return &t->indexes[i];
	return NULL;
}

/* ---------- search path ---------- */

void
sql_cat_search_path_parse(cm_arena *a, const char *setting, const char *user, sql_cat_search_path *out)
{
	out->n = 0;
	if (setting == NULL)
		setting = "\"$user\", public";
	const char *p = setting;
	while (*p && out->n < (int) (sizeof(out->names) / sizeof(out->names[0]))) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		cm_buf b;
		cm_buf_init(&b);
		if (*p == '"') {
			p++;
			while (*p) {
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
			while (*p && *p != ',' && *p != ' ' && *p != '\t')
				cm_buf_putc(&b, (char) tolower((unsigned char) *p++));
		}
		const char *name = b.data ? b.data : "";
		if (strcmp(name, "$user") == 0)
			name = user ? user : "";
		if (name[0])
			out->names[out->n++] = cm_strdup(a, name);
		cm_buf_free(&b);
	}
}

cm_status
sql_cat_resolve_relation(const sql_cat_view *v, int64_t db_id, const sql_cat_search_path *sp, const char *schema,
						 const char *name, cat_relation *out, const cat_schema **schema_out, bool *found,
						 cm_error *err)
{
	*found = false;
	if (schema && schema[0]) {
		const cat_schema *s = sql_cat_find_schema(v, db_id, schema);
		if (s == NULL) {
			if (strcmp(schema, "pg_catalog") == 0 || strcmp(schema, "information_schema") == 0)
				return CM_OK;
			return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist", schema);
		}
		*found = sql_cat_find_relation(v, s->id, name, out);
		if (*found && schema_out)
			*schema_out = s;
		return CM_OK;
	}
	for (int i = 0; sp && i < sp->n; i++) {
		const cat_schema *s = sql_cat_find_schema(v, db_id, sp->names[i]);
		if (s && sql_cat_find_relation(v, s->id, name, out)) {
			*found = true;
			if (schema_out)
				*schema_out = s;
			return CM_OK;
		}
	}
	return CM_OK;
}

cm_status
sql_cat_creation_schema(const sql_cat_view *v, int64_t db_id, const sql_cat_search_path *sp,
						const cat_schema **out, cm_error *err)
{
	for (int i = 0; sp && i < sp->n; i++) {
		const cat_schema *s = sql_cat_find_schema(v, db_id, sp->names[i]);
		if (s) {
			*out = s;
			return CM_OK;
		}
	}
	return cm_error_set(err, CM_E_INVALID_SCHEMA_NAME, "no schema has been selected to create in");
}

/* ---------- names ---------- */

char *
cat_make_object_name(cm_arena *a, const char *name1, const char *name2, const char *label)
{
	/* PostgreSQL's makeObjectName: truncate name1/name2 so that the whole
	 * fits in NAMEDATALEN-1 bytes, taking from the longer one first. */
	size_t l1 = strlen(name1), l2 = name2 ? strlen(name2) : 0, ll = label ? strlen(label) : 0;
	size_t overhead = (name2 ? 1 : 0) + (label ? ll + 1 : 0);
	size_t avail = SQL_CAT_NAMEDATALEN - 1 - overhead;
	while (l1 + l2 > avail) {
		if (l1 > l2)
			l1--;
		else
			l2--;
	}
	/* do not cut a UTF-8 sequence in two */
	while (l1 > 0 && ((unsigned char) name1[l1] & 0xC0) == 0x80)
		l1--;
	while (name2 && l2 > 0 && ((unsigned char) name2[l2] & 0xC0) == 0x80)
		l2--;
	cm_buf b;
	cm_buf_init(&b);
	cm_buf_append(&b, name1, l1);
	if (name2) {
		cm_buf_putc(&b, '_');
		cm_buf_append(&b, name2, l2);
	}
	if (label) {
		cm_buf_putc(&b, '_');
		cm_buf_puts(&b, label);
	}
	char *r = cm_strndup(a, b.data ? b.data : "", b.len);
	cm_buf_free(&b);
	return r;
}

/* ---------- bootstrap ---------- */

static bool
is_booted(kv_client *c)
{
	bool r = false;
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < 16; i++)
		if (booted[i] == c)
			r = true;
	pthread_mutex_unlock(&cache_mu);
	return r;
}

static void
mark_booted(kv_client *c)
{
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < 16; i++)
		if (booted[i] == NULL || booted[i] == c) {
			booted[i] = c;
			break;
		}
	pthread_mutex_unlock(&cache_mu);
}

static cm_status
boot_write(kv_txn *t, cm_error *err)
{
	cm_arena *a = cm_arena_create(4096);
	int64_t id;
	static const char *const dbs[] = {"template1", "template0", "postgres", "defaultdb"};
	static const char *const roles[] = {"root", "postgres"};
	cm_status st = cat_alloc_ids(t, 2 + 4 * 2, &id, err);
	int64_t root_id = id;
	for (int i = 0; st == CM_OK && i < 2; i++) {
		cat_role r = {.id = id++, .name = (char *) roles[i], .superuser = true, .login = true, .inherit = true,
					  .createdb = true, .createrole = true, .replication = true, .bypassrls = true, .conn_limit = -1};
		st = cat_put_obj(t, CAT_KIND_ROLE, r.id, &r, err);
	}
	for (int i = 0; st == CM_OK && i < 4; i++) {
		cat_database d = {.id = id++, .name = (char *) dbs[i], .owner_id = root_id,
						  .allow_conn = strcmp(dbs[i], "template0") != 0,
						  .is_template = strncmp(dbs[i], "template", 8) == 0};
		st = cat_put_obj(t, CAT_KIND_DATABASE, d.id, &d, err);
		cat_schema s = {.id = id++, .db_id = d.id, .name = "public", .owner_id = root_id,
						.comment = "standard public schema"};
		if (st == CM_OK)
			st = cat_put_obj(t, CAT_KIND_SCHEMA, s.id, &s, err);
	}
	cm_buf k;
	cm_buf_init(&k);
	if (st == CM_OK) {
		cat_key_version(&k);
		char buf[64];
		int n = snprintf(buf, sizeof buf, "1 %" PRIu64, kv_txn_start_ts(t));
		st = kv_status(kv_txn_set(t, (const uint8_t *) k.data, k.len, (const uint8_t *) buf, (size_t) n, err));
	}
	if (st == CM_OK) {
		cm_buf_reset(&k);
		cat_key_boot(&k);
		st = kv_status(kv_txn_set(t, (const uint8_t *) k.data, k.len, (const uint8_t *) "1", 1, err));
	}
	cm_buf_free(&k);
	cm_arena_destroy(a);
	return st;
}

cm_status
sql_cat_bootstrap(kv_client *c, cm_error *err)
{
	if (is_booted(c))
		return CM_OK;
	cm_buf k;
	cm_buf_init(&k);
	cat_key_boot(&k);
	cm_status st = CM_ERROR;
	for (int attempt = 0; attempt < 10; attempt++) {
		kv_txn_options o;
		kv_txn_options_init(&o);
		o.mode = KV_TXN_PESSIMISTIC;
		kv_txn *t = NULL;
		if (kv_txn_begin(c, &o, &t, err) != KV_OK)
			break;
		cm_arena *a = cm_arena_create(256);
		ProtobufCBinaryData key = {k.len, (uint8_t *) k.data};
		kv_lock_options lo = {.wait_ms = 0, .return_values = true};
		kv_value v = {0};
		kv_err e = kv_txn_lock_keys(t, a, &key, 1, &lo, &v, err);
		if (e == KV_OK && v.found) {
			e = kv_txn_rollback(t, err);
			kv_txn_free(t);
			cm_arena_destroy(a);
			st = kv_status(e);
			break;
		}
		if (e == KV_OK)
			e = boot_write(t, err) == CM_OK ? kv_txn_commit(t, err) : KV_ERR_INTERNAL;
		else {
			cm_error e2 = {0};
			if (kv_txn_rollback(t, &e2) != KV_OK) { /* reported below */ }
			cm_error_clear(&e2);
		}
		kv_txn_free(t);
		cm_arena_destroy(a);
		if (e == KV_OK) {
			CM_LOG(CM_LOG_INFO, "catalog bootstrapped");
			st = CM_OK;
			break;
		}
		if (!kv_err_retriable(e))
			break;
		cm_error_clear(err);
	}
	cm_buf_free(&k);
	if (st == CM_OK)
		mark_booted(c);
	return st;
}

cm_status
sql_catalog_database_exists(kv_client *c, const char *name, bool *exists, cm_error *err)
{
	if (sql_cat_bootstrap(c, err) != CM_OK)
		return CM_ERROR;
	sql_cat_view *v;
	if (sql_cat_view_acquire(c, NULL, &v, err) != CM_OK)
		return CM_ERROR;
	*exists = sql_cat_find_database(v, name) != NULL;
	sql_cat_view_release(v);
	return CM_OK;
}

cm_status
sql_cat_database_check(kv_client *c, const char *name, cm_error *err)
{
	if (sql_cat_bootstrap(c, err) != CM_OK)
		return CM_ERROR;
	sql_cat_view *v;
	if (sql_cat_view_acquire(c, NULL, &v, err) != CM_OK)
		return CM_ERROR;
	const cat_database *d = sql_cat_find_database(v, name);
	cm_status st = CM_OK;
	if (d == NULL)
		st = cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_INVALID_CATALOG_NAME, "database \"%s\" does not exist", name);
	else if (!d->allow_conn)
		st = cm_error_setf_sev(err, CM_SEV_FATAL, CM_E_OBJECT_NOT_IN_PREREQUISITE_STATE,
							   "database \"%s\" is not currently accepting connections", name);
	sql_cat_view_release(v);
	return st;
}

cm_status
sql_cat_role_lookup(kv_client *c, const char *name, sql_cat_role_info *out, cm_error *err)
{
	memset(out, 0, sizeof *out);
	if (sql_cat_bootstrap(c, err) != CM_OK)
		return CM_ERROR;
	sql_cat_view *v;
	if (sql_cat_view_acquire(c, NULL, &v, err) != CM_OK)
		return CM_ERROR;
	const cat_role *r = sql_cat_find_role(v, name);
	if (r) {
		out->exists = true;
		out->superuser = r->superuser;
		out->login = r->login;
		if (r->password)
			snprintf(out->password, sizeof out->password, "%s", r->password);
	}
	sql_cat_view_release(v);
	return CM_OK;
}
