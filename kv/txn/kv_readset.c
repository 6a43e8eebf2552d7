/*
 * kv_readset.c -- the read set of a SERIALIZABLE transaction and its
 * validation at commit.
 *
 * Snapshot isolation lets two transactions each read what the other writes
 * and both commit (write skew).  PostgreSQL's SERIALIZABLE refuses one of
 * them.  pgkv does it by read validation, as optimistic concurrency control
 * does (and CockroachDB's read refresh):
 *
 *   - every read a validate_reads txn answers from its snapshot is recorded:
 *     point keys (kv_txn_get / kv_txn_batch_get) and scanned ranges
 *     (kv_txn_iter, from its start to where the scan stopped; the
 *     coprocessor path records its ranges with kv_txn_record_range);
 *   - at commit, a txn that wrote something first takes a pessimistic lock
 *     on a fence key given by the SQL layer (one per store), then reads its
 *     read set at start_ts and at a fresh timestamp V and compares the two:
 *     any difference (a row inserted into a scanned range, a row updated or
 *     deleted) means another transaction committed, between our snapshot and
 *     now, something we read -> KV_ERR_WRITE_CONFLICT (40001) and rollback;
 *   - the fence lock is part of the commit (a Lock mutation), so validating
 *     commits are serialised: between V and our commit_ts no other
 *     validating transaction can commit.  Every read-write SERIALIZABLE
 *     transaction is therefore equivalent to running alone at its V, in the
 *     order of the fence: serializable among SERIALIZABLE transactions,
 *     which is PostgreSQL's guarantee.
 *
 * The txn's own pessimistic locks do not block readers, and its own writes
 * are not in the store yet, so the comparison sees only other commits.
 * Read-only transactions commit without validation (they read one
 * consistent snapshot).  Recording is conservative: rolled-back savepoints
 * keep their reads, a scan that stopped early records up to the last key it
 * looked at.
 *
 * Exported (kv_txn_internal.h): kv_rs_add_point, kv_rs_add_range,
 * kv_rs_validate, kv_rs_free; (kv_txn.h): kv_txn_record_range,
 * kv_txn_read_set_size.
 */
#include "kv/txn/kv_txn_internal.h"

#include <stdlib.h>
#include <string.h>

/* Keys per BatchGet during validation. */
#define RS_BATCH 256
/* Attempts to take the fence lock when it is contended (each attempt
 * waits for the holder; a newer commit of the fence is a WriteConflict
 * that a fresh for_update_ts cures). */
#define RS_FENCE_ATTEMPTS 1000

static kv_err rs_conflict(kv_txn *t, const uint8_t *key, size_t len, cm_error *err);

/* ---- recording ---------------------------------------------------------------------- */

void
kv_rs_add_point(kv_txn *t, const uint8_t *key, size_t len)
{
	kv_readset *rs = &t->rs;
	if (!rs->on)
		return;
	if (rs->n_points == rs->cap_points) {
		size_t nc = rs->cap_points ? rs->cap_points * 2 : 64;
		ProtobufCBinaryData *np = realloc(rs->points, nc * sizeof(*np));
		if (!np) {
			/* cannot remember the read: make validation fail safe by
			 * recording the whole key space instead */
			kv_rs_add_range(t, NULL, 0, NULL, 0, false);
			return;
		}
		rs->points = np;
		rs->cap_points = nc;
	}
	rs->points[rs->n_points++] = kv_bin_dup(t->arena, key, len);
}

void
kv_rs_add_range(kv_txn *t, const uint8_t *start, size_t slen, const uint8_t *end, size_t elen,
				bool key_only)
{
	kv_readset *rs = &t->rs;
	if (!rs->on)
		return;
	/* the same scan opened again (the inner side of a nested loop, a
	 * correlated subquery) records nothing new */
	if (rs->n_ranges > 0) {
		const kv_rs_range *l = &rs->ranges[rs->n_ranges - 1];
		if (l->key_only == key_only && l->start_len == slen && l->end_len == elen &&
			(slen == 0 || memcmp(l->start, start, slen) == 0) && (elen == 0 || memcmp(l->end, end, elen) == 0))
			return;
	}
	if (rs->n_ranges == rs->cap_ranges) {
		size_t nc = rs->cap_ranges ? rs->cap_ranges * 2 : 16;
		kv_rs_range *nr = realloc(rs->ranges, nc * sizeof(*nr));
		if (!nr) {
			/* out of memory: widen the last range to everything */
			if (rs->n_ranges > 0)
				rs->ranges[rs->n_ranges - 1] = (kv_rs_range){0};
			return;
		}
		rs->ranges = nr;
		rs->cap_ranges = nc;
	}
	kv_rs_range *r = &rs->ranges[rs->n_ranges++];
	*r = (kv_rs_range){.key_only = key_only, .start_len = slen, .end_len = elen};
	r->start = slen ? cm_memdup(t->arena, start, slen) : NULL;
	r->end = elen ? cm_memdup(t->arena, end, elen) : NULL;
}

void
kv_txn_record_range(kv_txn *t, const uint8_t *start, size_t slen, const uint8_t *end, size_t elen,
					bool key_only)
{
	kv_rs_add_range(t, start, slen, end, elen, key_only);
}

void
kv_txn_read_set_size(const kv_txn *t, size_t *points, size_t *ranges)
{
	*points = t->rs.n_points;
	*ranges = t->rs.n_ranges;
}

void
kv_rs_free(kv_readset *rs)
{
	free(rs->points);
	free(rs->ranges);
	rs->points = NULL;
	rs->ranges = NULL;
	rs->n_points = rs->cap_points = rs->n_ranges = rs->cap_ranges = 0;
}

/* ---- validation --------------------------------------------------------------------- */

static int
bin_cmp(const void *a, const void *b)
{
	const ProtobufCBinaryData *x = a, *y = b;
	return kv_key_cmp(x->data, x->len, y->data, y->len);
}

static kv_err
rs_conflict(kv_txn *t, const uint8_t *key, size_t len, cm_error *err)
{
	if (key)
		kv_txn_set_error_key(t, key, len);
	kv_fail(err, KV_ERR_WRITE_CONFLICT,
			"could not serialize access due to read/write dependencies among transactions");
	cm_error_detail(err, "Reason code: Canceled on identification as a pivot, during commit attempt.");
	cm_error_hint(err, "The transaction might succeed if retried.");
	return KV_ERR_WRITE_CONFLICT;
}

static bool
same_value(const kv_value *a, const kv_value *b)
{
	if (a->found != b->found)
		return false;
	if (!a->found)
		return true;
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Take the fence lock at a fresh for_update_ts (waits for the holder). */
static kv_err
rs_lock_fence(kv_txn *t, cm_error *err)
{
	ProtobufCBinaryData key = {t->rs.fence_len, t->rs.fence};
	kv_lock_options lo = {.wait_ms = 0};
	for (int attempt = 0;; attempt++) {
		kv_err k = kv_txn_stmt_begin(t, err);
		if (k != KV_OK)
			return k;
		k = kv_txn_lock_keys(t, NULL, &key, 1, &lo, NULL, err);
		if (k != KV_ERR_WRITE_CONFLICT || attempt >= RS_FENCE_ATTEMPTS)
			return k;
		/* the previous holder committed after our for_update_ts: again */
		cm_error_clear(err);
	}
}

static kv_err
rs_check_points(kv_txn *t, kv_snapshot *old, kv_snapshot *now, cm_error *err)
{
	kv_readset *rs = &t->rs;
	if (rs->n_points == 0)
		return KV_OK;
	qsort(rs->points, rs->n_points, sizeof(*rs->points), bin_cmp);
	size_t n = 0;
	for (size_t i = 0; i < rs->n_points; i++)
		if (n == 0 || bin_cmp(&rs->points[n - 1], &rs->points[i]) != 0)
			rs->points[n++] = rs->points[i];
	rs->n_points = n;
	kv_value *a = malloc(RS_BATCH * sizeof(*a));
	kv_value *b = malloc(RS_BATCH * sizeof(*b));
	cm_arena *ar = cm_arena_create(0);
	kv_err k = KV_OK;
	if (!a || !b || !ar)
		k = kv_fail(err, KV_ERR_INTERNAL, "out of memory");
	for (size_t off = 0; k == KV_OK && off < n; off += RS_BATCH) {
		size_t m = n - off < RS_BATCH ? n - off : RS_BATCH;
		k = kv_snapshot_batch_get(old, ar, &rs->points[off], m, a, err);
		if (k == KV_OK)
			k = kv_snapshot_batch_get(now, ar, &rs->points[off], m, b, err);
		for (size_t i = 0; k == KV_OK && i < m; i++)
			if (!same_value(&a[i], &b[i]))
				k = rs_conflict(t, rs->points[off + i].data, rs->points[off + i].len, err);
		cm_arena_reset(ar);
	}
	free(a);
	free(b);
	if (ar)
		cm_arena_destroy(ar);
	return k;
}

static kv_err
rs_check_range(kv_txn *t, const kv_rs_range *r, kv_snapshot *old, kv_snapshot *now,
			   cm_error *err)
{
	kv_iter_options o = {.start = r->start, .start_len = r->start_len, .end = r->end,
						 .end_len = r->end_len, .key_only = r->key_only};
	kv_iter *ia = NULL, *ib = NULL;
	kv_err k = kv_snapshot_iter(old, &o, &ia, err);
	if (k == KV_OK)
		k = kv_snapshot_iter(now, &o, &ib, err);
	while (k == KV_OK) {
		bool va = kv_iter_valid(ia), vb = kv_iter_valid(ib);
		if (!va && !vb)
			break;
		size_t la = 0, lb = 0;
		const uint8_t *ka = va ? kv_iter_key(ia, &la) : NULL;
		const uint8_t *kb = vb ? kv_iter_key(ib, &lb) : NULL;
		if (va != vb || kv_key_cmp(ka, la, kb, lb) != 0) {
			/* a key appeared or disappeared: name the smaller one */
			bool a_first = va && (!vb || kv_key_cmp(ka, la, kb, lb) < 0);
			k = a_first ? rs_conflict(t, ka, la, err) : rs_conflict(t, kb, lb, err);
			break;
		}
		if (!r->key_only) {
			size_t wa, wb;
			const uint8_t *xa = kv_iter_value(ia, &wa);
			const uint8_t *xb = kv_iter_value(ib, &wb);
			if (wa != wb || (wa && memcmp(xa, xb, wa) != 0)) {
				k = rs_conflict(t, ka, la, err);
				break;
			}
		}
		k = kv_iter_next(ia, err);
		if (k == KV_OK)
			k = kv_iter_next(ib, err);
	}
	if (ia)
		kv_iter_close(ia);
	if (ib)
		kv_iter_close(ib);
	return k;
}

kv_err
kv_rs_validate(kv_txn *t, cm_error *err)
{
	kv_readset *rs = &t->rs;
	if (!rs->on || (rs->n_points == 0 && rs->n_ranges == 0) || kv_txn_is_readonly(t))
		return KV_OK;
	/* no more recording: the validation's own reads are not the txn's */
	rs->on = false;
	kv_err k = rs_lock_fence(t, err);
	if (k != KV_OK)
		return k;
	uint64_t v;
	k = kv_client_get_ts(t->client, t->opts.cancel, &v, err);
	if (k != KV_OK)
		return k;
	kv_snapshot old, now;
	kv_snapshot_init(&old, t->client, t->start_ts);
	kv_snapshot_init(&now, t->client, v);
	old.cancel = now.cancel = t->opts.cancel;
	old.deadline_us = now.deadline_us = t->deadline_us;
	k = rs_check_points(t, &old, &now, err);
	for (size_t i = 0; k == KV_OK && i < rs->n_ranges; i++)
		k = rs_check_range(t, &rs->ranges[i], &old, &now, err);
	kv_snapshot_destroy(&old);
	kv_snapshot_destroy(&now);
	return k;
}
