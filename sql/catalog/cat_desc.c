/*
 * cat_desc.c -- descriptor records: the bytes stored under pgkv:obj.
 *
 * A descriptor is a tagged record, protobuf-like so that fields can be added
 * without breaking old readers: a sequence of (key, value) where key =
 * uvarint(field << 3 | wire) and wire 0 = zigzag varint, wire 2 = compact
 * bytes (varint length + bytes).  Nested records (columns, indexes,
 * constraints) are wire-2 values holding a record.  Unknown fields are
 * skipped.  Field 1 of every top-level record is the kind (cat_kind) and
 * field 2 the format version (1).
 *
 * Exported: cat_desc_encode, cat_desc_decode, cat_*_clone.
 */
#include <stdlib.h>
#include <string.h>

#include "kv/codec/kv_codec.h"
#include "sql/catalog/cat_internal.h"

#define W_INT 0
#define W_BYTES 2

/* ---------- writer ---------- */

static void
put_int(cm_buf *b, int field, int64_t v)
{
	kv_encode_uvarint(b, ((uint64_t) field << 3) | W_INT);
	kv_encode_varint(b, v);
}

static void
put_bytes(cm_buf *b, int field, const void *p, size_t n)
{
	kv_encode_uvarint(b, ((uint64_t) field << 3) | W_BYTES);
	kv_encode_compact_bytes(b, p, n);
}

static void
put_str(cm_buf *b, int field, const char *s)
{
	if (s)
		put_bytes(b, field, s, strlen(s));
}

static void
put_ids(cm_buf *b, int field, const int32_t *ids, int n)
{
	for (int i = 0; i < n; i++)
		put_int(b, field, ids[i]);
}

static void
put_sub(cm_buf *b, int field, cm_buf *sub)
{
	put_bytes(b, field, sub->data, sub->len);
	cm_buf_reset(sub);
}

/* ---------- reader ---------- */

typedef struct rd {
	const uint8_t *p, *end;
	int field;
	int wire;
	int64_t i;
	const uint8_t *data;
	size_t len;
} rd;

/* Next field into r; *more false at the end. */
static cm_status
rd_next(rd *r, bool *more, cm_error *err)
{
	if (r->p >= r->end) {
		*more = false;
		return CM_OK;
	}
	uint64_t key;
	if (kv_decode_uvarint(&r->p, r->end, &key, err) != CM_OK)
		return CM_ERROR;
	r->field = (int) (key >> 3);
	r->wire = (int) (key & 7);
	if (r->wire == W_INT) {
		if (kv_decode_varint(&r->p, r->end, &r->i, err) != CM_OK)
			return CM_ERROR;
	} else if (r->wire == W_BYTES) {
		if (kv_decode_compact_bytes(&r->p, r->end, &r->data, &r->len, err) != CM_OK)
			return CM_ERROR;
	} else
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "catalog descriptor has an unknown wire type %d", r->wire);
	*more = true;
	return CM_OK;
}

static char *
rd_str(cm_arena *a, const rd *r)
{
	return cm_strndup(a, (const char *) r->data, r->len);
}

/* Growable int32 array in an arena (descriptors are small). */
static void
push_id(cm_arena *a, int32_t **arr, int *n, int32_t v)
{
	int32_t *na = cm_alloc(a, sizeof(int32_t) * (size_t) (*n + 1));
	if (*n)
		memcpy(na, *arr, sizeof(int32_t) * (size_t) *n);
	na[*n] = v;
	*arr = na;
	(*n)++;
}

/* ---------- per-kind fields ---------- */

enum { F_KIND = 1, F_VERSION = 2, F_ID = 3, F_NAME = 4, F_OWNER = 5, F_COMMENT = 6, F_DB = 7, F_SCHEMA = 8 };

static void
enc_column(cm_buf *b, const cat_column *c)
{
	put_int(b, 1, c->id);
	put_int(b, 2, c->attnum);
	put_str(b, 3, c->name);
	put_int(b, 4, c->type.oid);
	put_int(b, 5, c->type.typmod);
	put_int(b, 6, c->not_null);
	put_int(b, 7, c->dropped);
	put_int(b, 8, c->identity);
	put_str(b, 9, c->default_expr);
	put_int(b, 10, c->seq_id);
	put_int(b, 11, c->has_missing);
	put_int(b, 12, c->missing_null);
	if (c->has_missing && !c->missing_null)
		put_bytes(b, 13, c->missing, c->missing_len);
	put_int(b, 14, c->stat_ndistinct);
	put_str(b, 15, c->comment);
}

static cm_status
dec_column(cm_arena *a, const uint8_t *p, size_t len, cat_column *c, cm_error *err)
{
	rd r = {.p = p, .end = p + len};
	bool more;
	c->stat_ndistinct = -1;
	c->type.typmod = -1;
	for (;;) {
		if (rd_next(&r, &more, err) != CM_OK)
			return CM_ERROR;
		if (!more)
			break;
		switch (r.field) {
		case 1: c->id = (int32_t) r.i; break;
		case 2: c->attnum = (int16_t) r.i; break;
		case 3: c->name = rd_str(a, &r); break;
		case 4: c->type.oid = (sem_oid) r.i; break;
		case 5: c->type.typmod = (int32_t) r.i; break;
		case 6: c->not_null = r.i != 0; break;
		case 7: c->dropped = r.i != 0; break;
		case 8: c->identity = (char) r.i; break;
		case 9: c->default_expr = rd_str(a, &r); break;
		case 10: c->seq_id = r.i; break;
		case 11: c->has_missing = r.i != 0; break;
		case 12: c->missing_null = r.i != 0; break;
		case 13:
			c->missing = cm_memdup(a, r.data, r.len ? r.len : 1);
			c->missing_len = (uint32_t) r.len;
			break;
		case 14: c->stat_ndistinct = r.i; break;
		case 15: c->comment = rd_str(a, &r); break;
		default: break;
		}
	}
	return CM_OK;
}

static void
enc_index(cm_buf *b, const cat_index *x)
{
	put_int(b, 1, x->id);
	put_int(b, 2, x->oid);
	put_str(b, 3, x->name);
	put_int(b, 4, x->unique);
	put_int(b, 5, x->primary);
	put_ids(b, 6, x->col_ids, x->ncols);
	put_str(b, 7, x->comment);
}

static cm_status
dec_index(cm_arena *a, const uint8_t *p, size_t len, cat_index *x, cm_error *err)
{
	rd r = {.p = p, .end = p + len};
	bool more;
	for (;;) {
		if (rd_next(&r, &more, err) != CM_OK)
			return CM_ERROR;
		if (!more)
			break;
		switch (r.field) {
		case 1: x->id = r.i; break;
		case 2: x->oid = (uint32_t) r.i; break;
		case 3: x->name = rd_str(a, &r); break;
		case 4: x->unique = r.i != 0; break;
		case 5: x->primary = r.i != 0; break;
		case 6: push_id(a, &x->col_ids, &x->ncols, (int32_t) r.i); break;
		case 7: x->comment = rd_str(a, &r); break;
		default: break;
		}
	}
	return CM_OK;
}

static void
enc_constraint(cm_buf *b, const cat_constraint *c)
{
	put_int(b, 1, c->oid);
	put_str(b, 2, c->name);
	put_int(b, 3, c->type);
	put_ids(b, 4, c->col_ids, c->ncols);
	put_int(b, 5, c->index_id);
	put_str(b, 6, c->check_expr);
	put_int(b, 7, c->ref_table_id);
	put_ids(b, 8, c->ref_col_ids, c->nref);
	put_int(b, 9, c->on_delete);
	put_int(b, 10, c->on_update);
	put_int(b, 11, c->match_type);
	put_int(b, 12, c->deferrable);
}

static cm_status
dec_constraint(cm_arena *a, const uint8_t *p, size_t len, cat_constraint *c, cm_error *err)
{
	rd r = {.p = p, .end = p + len};
	bool more;
	for (;;) {
		if (rd_next(&r, &more, err) != CM_OK)
			return CM_ERROR;
		if (!more)
			break;
		switch (r.field) {
		case 1: c->oid = (uint32_t) r.i; break;
		case 2: c->name = rd_str(a, &r); break;
		case 3: c->type = (char) r.i; break;
		case 4: push_id(a, &c->col_ids, &c->ncols, (int32_t) r.i); break;
		case 5: c->index_id = r.i; break;
		case 6: c->check_expr = rd_str(a, &r); break;
		case 7: c->ref_table_id = r.i; break;
		case 8: push_id(a, &c->ref_col_ids, &c->nref, (int32_t) r.i); break;
		case 9: c->on_delete = (char) r.i; break;
		case 10: c->on_update = (char) r.i; break;
		case 11: c->match_type = (char) r.i; break;
		case 12: c->deferrable = r.i != 0; break;
		default: break;
		}
	}
	return CM_OK;
}

void
cat_desc_encode(cm_buf *b, cat_kind kind, const void *obj)
{
	put_int(b, F_KIND, kind);
	put_int(b, F_VERSION, 1);
	cm_buf sub;
	cm_buf_init(&sub);
	switch (kind) {
	case CAT_KIND_DATABASE: {
		const cat_database *d = obj;
		put_int(b, F_ID, d->id);
		put_str(b, F_NAME, d->name);
		put_int(b, F_OWNER, d->owner_id);
		put_str(b, F_COMMENT, d->comment);
		put_int(b, 20, d->allow_conn);
		put_int(b, 21, d->is_template);
		break;
	}
	case CAT_KIND_SCHEMA: {
		const cat_schema *s = obj;
		put_int(b, F_ID, s->id);
		put_str(b, F_NAME, s->name);
		put_int(b, F_OWNER, s->owner_id);
		put_str(b, F_COMMENT, s->comment);
		put_int(b, F_DB, s->db_id);
		break;
	}
	case CAT_KIND_TABLE: {
		const cat_table *t = obj;
		put_int(b, F_ID, t->id);
		put_str(b, F_NAME, t->name);
		put_int(b, F_OWNER, t->owner_id);
		put_str(b, F_COMMENT, t->comment);
		put_int(b, F_DB, t->db_id);
		put_int(b, F_SCHEMA, t->schema_id);
		put_int(b, 20, t->persistence);
		put_int(b, 21, t->next_col_id);
		put_int(b, 22, t->next_index_id);
		put_int(b, 23, t->handle_col);
		put_int(b, 24, t->stat_rows);
		for (int i = 0; i < t->ncols; i++) {
			enc_column(&sub, &t->cols[i]);
			put_sub(b, 30, &sub);
		}
		for (int i = 0; i < t->nindexes; i++) {
			enc_index(&sub, &t->indexes[i]);
			put_sub(b, 31, &sub);
		}
		for (int i = 0; i < t->ncons; i++) {
			enc_constraint(&sub, &t->cons[i]);
			put_sub(b, 32, &sub);
		}
		break;
	}
	case CAT_KIND_SEQUENCE: {
		const cat_sequence *s = obj;
		put_int(b, F_ID, s->id);
		put_str(b, F_NAME, s->name);
		put_int(b, F_OWNER, s->owner_id);
		put_str(b, F_COMMENT, s->comment);
		put_int(b, F_DB, s->db_id);
		put_int(b, F_SCHEMA, s->schema_id);
		put_int(b, 20, s->type);
		put_int(b, 21, s->start);
		put_int(b, 22, s->increment);
		put_int(b, 23, s->min);
		put_int(b, 24, s->max);
		put_int(b, 25, s->cache);
		put_int(b, 26, s->cycle);
		put_int(b, 27, s->owned_table_id);
		put_int(b, 28, s->owned_col_id);
		break;
	}
	case CAT_KIND_ROLE: {
		const cat_role *r = obj;
		put_int(b, F_ID, r->id);
		put_str(b, F_NAME, r->name);
		put_str(b, F_COMMENT, r->comment);
		put_int(b, 20, r->superuser);
		put_int(b, 21, r->login);
		put_int(b, 22, r->inherit);
		put_int(b, 23, r->createdb);
		put_int(b, 24, r->createrole);
		put_int(b, 25, r->replication);
		put_int(b, 26, r->bypassrls);
		put_int(b, 27, r->conn_limit);
		put_str(b, 28, r->password);
		put_str(b, 29, r->valid_until);
		break;
	}
	}
	cm_buf_free(&sub);
}

/* Append one element to a growable array of T in the arena (n grows). */
static void *
grow(cm_arena *a, void *arr, int n, size_t elem)
{
	void *na = cm_alloc0(a, elem * (size_t) (n + 1));
	if (n)
		memcpy(na, arr, elem * (size_t) n);
	return na;
}

cm_status
cat_desc_decode(cm_arena *a, const uint8_t *p, size_t len, cat_kind *kind_out, void **obj, cm_error *err)
{
	rd r = {.p = p, .end = p + len};
	bool more;
	if (rd_next(&r, &more, err) != CM_OK)
		return CM_ERROR;
	if (!more || r.field != F_KIND || r.wire != W_INT || r.i < CAT_KIND_DATABASE || r.i > CAT_KIND_ROLE)
		return cm_error_set(err, CM_E_DATA_CORRUPTED, "catalog descriptor without a valid kind");
	cat_kind kind = (cat_kind) r.i;
	*kind_out = kind;
	cat_database *d = NULL;
	cat_schema *s = NULL;
	cat_table *t = NULL;
	cat_sequence *q = NULL;
	cat_role *ro = NULL;
	switch (kind) {
	case CAT_KIND_DATABASE: d = cm_new(a, cat_database); d->allow_conn = true; *obj = d; break;
	case CAT_KIND_SCHEMA: s = cm_new(a, cat_schema); *obj = s; break;
	case CAT_KIND_TABLE:
		t = cm_new(a, cat_table);
		t->handle_col = -1;
		t->stat_rows = -1;
		t->persistence = 'p';
		*obj = t;
		break;
	case CAT_KIND_SEQUENCE: q = cm_new(a, cat_sequence); *obj = q; break;
	case CAT_KIND_ROLE: ro = cm_new(a, cat_role); ro->conn_limit = -1; *obj = ro; break;
	}
	for (;;) {
		if (rd_next(&r, &more, err) != CM_OK)
			return CM_ERROR;
		if (!more)
			break;
		int f = r.field;
		switch (kind) {
		case CAT_KIND_DATABASE:
			if (f == F_ID) d->id = r.i;
			else if (f == F_NAME) d->name = rd_str(a, &r);
			else if (f == F_OWNER) d->owner_id = r.i;
			else if (f == F_COMMENT) d->comment = rd_str(a, &r);
			else if (f == 20) d->allow_conn = r.i != 0;
			else if (f == 21) d->is_template = r.i != 0;
			break;
		case CAT_KIND_SCHEMA:
			if (f == F_ID) s->id = r.i;
			else if (f == F_NAME) s->name = rd_str(a, &r);
			else if (f == F_OWNER) s->owner_id = r.i;
			else if (f == F_COMMENT) s->comment = rd_str(a, &r);
			else if (f == F_DB) s->db_id = r.i;
			break;
		case CAT_KIND_TABLE:
			if (f == F_ID) t->id = r.i;
			else if (f == F_NAME) t->name = rd_str(a, &r);
			else if (f == F_OWNER) t->owner_id = r.i;
			else if (f == F_COMMENT) t->comment = rd_str(a, &r);
			else if (f == F_DB) t->db_id = r.i;
			else if (f == F_SCHEMA) t->schema_id = r.i;
			else if (f == 20) t->persistence = (char) r.i;
			else if (f == 21) t->next_col_id = (int32_t) r.i;
			else if (f == 22) t->next_index_id = r.i;
			else if (f == 23) t->handle_col = (int) r.i;
			else if (f == 24) t->stat_rows = r.i;
			else if (f == 30 && r.wire == W_BYTES) {
				t->cols = grow(a, t->cols, t->ncols, sizeof(cat_column));
				if (dec_column(a, r.data, r.len, &t->cols[t->ncols], err) != CM_OK)
					return CM_ERROR;
				t->ncols++;
			} else if (f == 31 && r.wire == W_BYTES) {
				t->indexes = grow(a, t->indexes, t->nindexes, sizeof(cat_index));
				if (dec_index(a, r.data, r.len, &t->indexes[t->nindexes], err) != CM_OK)
					return CM_ERROR;
				t->nindexes++;
			} else if (f == 32 && r.wire == W_BYTES) {
				t->cons = grow(a, t->cons, t->ncons, sizeof(cat_constraint));
				if (dec_constraint(a, r.data, r.len, &t->cons[t->ncons], err) != CM_OK)
					return CM_ERROR;
				t->ncons++;
			}
			break;
		case CAT_KIND_SEQUENCE:
			if (f == F_ID) q->id = r.i;
			else if (f == F_NAME) q->name = rd_str(a, &r);
			else if (f == F_OWNER) q->owner_id = r.i;
			else if (f == F_COMMENT) q->comment = rd_str(a, &r);
			else if (f == F_DB) q->db_id = r.i;
			else if (f == F_SCHEMA) q->schema_id = r.i;
			else if (f == 20) q->type = (sem_oid) r.i;
			else if (f == 21) q->start = r.i;
			else if (f == 22) q->increment = r.i;
			else if (f == 23) q->min = r.i;
			else if (f == 24) q->max = r.i;
			else if (f == 25) q->cache = r.i;
			else if (f == 26) q->cycle = r.i != 0;
			else if (f == 27) q->owned_table_id = r.i;
			else if (f == 28) q->owned_col_id = (int32_t) r.i;
			break;
		case CAT_KIND_ROLE:
			if (f == F_ID) ro->id = r.i;
			else if (f == F_NAME) ro->name = rd_str(a, &r);
			else if (f == F_COMMENT) ro->comment = rd_str(a, &r);
			else if (f == 20) ro->superuser = r.i != 0;
			else if (f == 21) ro->login = r.i != 0;
			else if (f == 22) ro->inherit = r.i != 0;
			else if (f == 23) ro->createdb = r.i != 0;
			else if (f == 24) ro->createrole = r.i != 0;
			else if (f == 25) ro->replication = r.i != 0;
			else if (f == 26) ro->bypassrls = r.i != 0;
			else if (f == 27) ro->conn_limit = (int32_t) r.i;
			else if (f == 28) ro->password = rd_str(a, &r);
			else if (f == 29) ro->valid_until = rd_str(a, &r);
			break;
		}
	}
	/* derived fields */
	if (d) d->oid = cat_oid_of(d->id);
	if (s) s->oid = cat_oid_of(s->id);
	if (t) t->oid = cat_oid_of(t->id);
	if (q) q->oid = cat_oid_of(q->id);
	if (ro) ro->oid = cat_oid_of(ro->id);
	return CM_OK;
}

/* Deep copy through the codec: simple and always complete. */
static void *
clone_via(cm_arena *a, cat_kind kind, const void *obj)
{
	cm_buf b;
	cm_buf_init(&b);
	cat_desc_encode(&b, kind, obj);
	cat_kind k;
	void *out = NULL;
	cm_error err = {0};
	if (cat_desc_decode(a, (const uint8_t *) b.data, b.len, &k, &out, &err) != CM_OK)
		abort(); /* our own encoding: cannot fail */
	cm_buf_free(&b);
	return out;
}

cat_table *cat_table_clone(cm_arena *a, const cat_table *t) { return clone_via(a, CAT_KIND_TABLE, t); }
cat_sequence *cat_seq_clone(cm_arena *a, const cat_sequence *s) { return clone_via(a, CAT_KIND_SEQUENCE, s); }
cat_role *cat_role_clone(cm_arena *a, const cat_role *r) { return clone_via(a, CAT_KIND_ROLE, r); }
cat_database *cat_database_clone(cm_arena *a, const cat_database *d) { return clone_via(a, CAT_KIND_DATABASE, d); }
cat_schema *cat_schema_clone(cm_arena *a, const cat_schema *s) { return clone_via(a, CAT_KIND_SCHEMA, s); }
