/*
 * pl_dml.c -- INSERT / UPDATE / DELETE: binding (pl_plan_modify), the row
 * writer shared with COPY (pl_writer_*), execution with row locks and
 * re-checks (pl_modify_exec), foreign keys.  See pl_dml.h.
 *
 * Rows inside this file are "slot rows": one datum per slot of the table
 * descriptor (dropped columns included, always NULL), the layout of the
 * row codec (cat_rowcodec.h).  Expressions bound here (defaults, CHECK,
 * SET, WHERE for re-checks, RETURNING, ON CONFLICT) read slot rows; ON
 * CONFLICT DO UPDATE reads the existing row followed by the EXCLUDED row.
 *
 * The source of UPDATE / DELETE is an ordinary SELECT bound by pl_query.c
 * over the target (its scan also yields the row handle, "ctid") plus the
 * FROM / USING items, with WHERE: its rows are [ctid, visible columns...,
 * SET values that need the FROM items...].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cm_buf.h"
#include "kv/codec/kv_tablecodec.h"
#include "sql/exec/ex_internal.h"
#include "sql/plan/pl_dml.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

#define NODE(n, what) ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##what)
#define PL_MAX_PARAMS 65535
#define WRITE_BATCH 1024
#define E_GENERATED_ALWAYS "428C9"

enum { MOD_INSERT, MOD_UPDATE, MOD_DELETE };
enum { OC_NONE, OC_NOTHING, OC_UPDATE };

/* Defaults and CHECK constraints of a table, bound over slot rows. */
typedef struct tabinfo {
	const cat_table *t;
	sem_expr **defaults;		/* per slot, NULL = no default */
	int nchecks;
	sem_expr **checks;
	const char **checknames;
} tabinfo;

struct pl_modify {
	int kind;
	const char *verb;
	pl_tabref *ref;
	const cat_table *t;
	tabinfo ti;
	int nparams;
	sem_oid *ptypes;
	const char *catver;
	pl_node *src;
	int nxparams, nsubplans;
	/* INSERT: source column i -> slot */
	int nsrc;
	int *src_slot;
	bool *given;
	/* UPDATE */
	int nset;
	int *set_slot;
	sem_expr **set_local;		/* over the slot row, or NULL: source column set_src[i] */
	int *set_src;
	sem_expr *where_local;		/* re-check over the slot row */
	bool recheck;				/* where_local (or no WHERE) is usable */
	/* RETURNING over the slot row */
	int nret;
	sem_expr **ret;
	pl_column *retcols;
	/* ON CONFLICT */
	int oc;
	int64_t oc_index;			/* -1 any unique key, 0 the handle, else an index id */
	int oc_nset;
	int *oc_set_slot;
	sem_expr **oc_set;			/* over existing ++ excluded slot rows */
	sem_expr *oc_where;
};

const char *pl_modify_verb(const pl_modify *m) { return m->verb; }
int pl_modify_nparams(const pl_modify *m) { return m->nparams; }
const sem_oid *pl_modify_param_types(const pl_modify *m) { return m->ptypes; }
int pl_modify_ncols(const pl_modify *m) { return m->nret; }
const pl_column *pl_modify_cols(const pl_modify *m) { return m->retcols; }
const char *pl_modify_catalog_version(const pl_modify *m) { return m->catver; }

/* ---- binding helpers ------------------------------------------------------------------ */

static cm_status at(cm_error *err, int loc)
{
	return pl_err_at(err, loc);
}

/* Column references over slot rows of t (alias or table name), optionally
 * followed by an EXCLUDED row. */
typedef struct slot_env {
	cm_arena *a;
	const cat_table *t;
	const char *alias;
	bool excluded;
} slot_env;

static cm_status slot_colref(void *arg, const char *const *names, int n, int location, sem_expr **out, cm_error *err)
{
	slot_env *e = arg;
	const char *col = names[n - 1];
	int off = 0;
	if (n >= 2) {
		const char *rel = names[n - 2];
		if (e->excluded && strcmp(rel, "excluded") == 0)
			off = e->t->ncols;
		else if (strcmp(rel, e->alias) != 0) {
			cm_error_set(err, CM_E_UNDEFINED_TABLE, "missing FROM-clause entry for table \"%s\"", rel);
			return at(err, location);
		}
	}
	int pos;
	const cat_column *c = sql_cat_find_column(e->t, col, &pos);
	if (!c) {
		if (n >= 2)
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column %s.%s does not exist", names[n - 2], col);
		else
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", col);
		return at(err, location);
	}
	*out = sem_expr_column(e->a, off + pos, c->type, location);
	return CM_OK;
}

/* Bind node over slot rows (colenv NULL: no column references) with
 * assignment coercion to target (oid 0: natural type). */
static cm_status bind_slot_expr(pl_binder *b, slot_env *colenv, const PgQuery__Node *node, sem_type target,
								const char *colname, sem_expr **out, cm_error *err)
{
	pl_colref_fn saved = b->env->colref;
	void *saved_arg = b->env->colref_arg;
	struct pl_scope *saved_scope = b->scope;
	b->scope = NULL;
	b->env->colref = colenv ? slot_colref : NULL;
	b->env->colref_arg = colenv;
	sem_expr *e;
	cm_status st = pl_bind_node(b, node, &e, err);
	b->env->colref = saved;
	b->env->colref_arg = saved_arg;
	b->scope = saved_scope;
	if (st != CM_OK)
		return CM_ERROR;
	if (target.oid == 0) {
		if (pl_resolve_unknown(b, &e, err) != CM_OK)
			return CM_ERROR;
	} else if (e->type.oid != target.oid || (target.typmod >= 0 && e->type.typmod != target.typmod)) {
		if (e->type.oid != SEM_UNKNOWNOID && !sem_can_coerce(e->type.oid, target.oid, SEM_COERCE_ASSIGNMENT)) {
			char b1[64], b2[64];
			cm_error_set(err, CM_E_DATATYPE_MISMATCH, "column \"%s\" is of type %s but expression is of type %s",
						 colname, sem_format_type_msg(target.oid, -1, b1, sizeof b1),
						 sem_format_type_msg(e->type.oid, -1, b2, sizeof b2));
			cm_error_hint(err, "You will need to rewrite or cast the expression.");
			return at(err, e->location);
		}
		if (pl_coerce(b, &e, target.oid, target.typmod, SEM_COERCE_ASSIGNMENT, false, err) != CM_OK)
			return CM_ERROR;
	}
	*out = e;
	return CM_OK;
}

static void free_parse(void *p)
{
	pg_query__parse_result__free_unpacked(p, NULL);
}

/* Parse "SELECT <text>" and return the expression node (tree freed with a). */
static cm_status parse_expr_text(cm_arena *a, const char *text, PgQuery__Node **out, cm_error *err)
{
	char *q = cm_asprintf(a, "SELECT %s", text);
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(q);
	if (pr.error) {
		cm_status st = cm_error_set(err, CM_E_INTERNAL_ERROR, "could not parse stored expression \"%s\"", text);
		pg_query_free_protobuf_parse_result(pr);
		return st;
	}
	PgQuery__ParseResult *res =
		pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (const uint8_t *) pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!res)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "could not unpack stored expression");
	cm_arena_on_reset(a, free_parse, res);
	if (res->n_stmts != 1 || !NODE(res->stmts[0]->stmt, SELECT_STMT) ||
		res->stmts[0]->stmt->select_stmt->n_target_list != 1)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "stored expression \"%s\" is not an expression", text);
	*out = res->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val;
	return CM_OK;
}

/* nextval() of the sequence that feeds a serial / identity column. */
static cm_status seq_default(pl_binder *b, const sql_cat_view *v, const cat_column *c, sem_expr **out, cm_error *err)
{
	const cat_sequence *seq = v ? sql_cat_seq_by_id(v, c->seq_id) : NULL;
	if (!seq)
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "sequence of column \"%s\" does not exist", c->name);
	sem_datum d = {0};
	d.v.i = seq->oid;
	sem_expr **args = cm_new_array(b->arena, sem_expr *, 1);
	args[0] = sem_expr_const(b->arena, (sem_type){SEM_REGCLASSOID, -1}, &d, -1);
	sem_expr *e;
	if (pl_call_named(b, "nextval", false, 1, args, -1, &e, err) != CM_OK)
		return CM_ERROR;
	if (e->type.oid != c->type.oid && pl_coerce(b, &e, c->type.oid, c->type.typmod, SEM_COERCE_ASSIGNMENT, false, err) != CM_OK)
		return CM_ERROR;
	*out = e;
	return CM_OK;
}

/* Bind the defaults and CHECK constraints of t. */
static cm_status bind_tabinfo(pl_binder *b, const sql_cat_view *v, const cat_table *t, const char *alias, tabinfo *ti,
							  cm_error *err)
{
	memset(ti, 0, sizeof *ti);
	ti->t = t;
	ti->defaults = cm_new_array(b->arena, sem_expr *, t->ncols + 1);
	const char *saved_q = b->query;
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *c = &t->cols[i];
		if (c->dropped)
			continue;
		if (c->seq_id && (c->identity || (c->default_expr && strstr(c->default_expr, "nextval(")))) {
			if (seq_default(b, v, c, &ti->defaults[i], err) != CM_OK)
				return CM_ERROR;
			continue;
		}
		if (!c->default_expr)
			continue;
		PgQuery__Node *n;
		if (parse_expr_text(b->arena, c->default_expr, &n, err) != CM_OK)
			return CM_ERROR;
		b->query = cm_asprintf(b->arena, "SELECT %s", c->default_expr);
		cm_status st = bind_slot_expr(b, NULL, n, c->type, c->name, &ti->defaults[i], err);
		b->query = saved_q;
		if (st != CM_OK)
			return CM_ERROR;
	}
	for (int i = 0; i < t->ncons; i++)
		if (t->cons[i].type == 'c')
			ti->nchecks++;
	ti->checks = cm_new_array(b->arena, sem_expr *, ti->nchecks + 1);
	ti->checknames = cm_new_array(b->arena, const char *, ti->nchecks + 1);
	slot_env se = {b->arena, t, alias ? alias : t->name, false};
	int k = 0;
	for (int i = 0; i < t->ncons; i++) {
		const cat_constraint *c = &t->cons[i];
		if (c->type != 'c')
			continue;
		PgQuery__Node *n;
		if (parse_expr_text(b->arena, c->check_expr, &n, err) != CM_OK)
			return CM_ERROR;
		b->query = cm_asprintf(b->arena, "SELECT %s", c->check_expr);
		se.alias = t->name;
		cm_status st = bind_slot_expr(b, &se, n, (sem_type){SEM_BOOLOID, -1}, "check", &ti->checks[k], err);
		b->query = saved_q;
		if (st != CM_OK)
			return CM_ERROR;
		ti->checknames[k++] = c->name;
	}
	return CM_OK;
}

static cm_status find_target(pl_binder *b, const PgQuery__RangeVar *rv, const cat_table **out, cm_error *err)
{
	pl_env *env = pl_env_get();
	if (!env || !env->view || !env->db) {
		cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", rv->relname);
		return at(err, rv->location);
	}
	cat_relation rel;
	bool found;
	const char *sch = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	if (sql_cat_resolve_relation(env->view, env->db->id, &env->sp, sch, rv->relname, &rel, NULL, &found, err) != CM_OK)
		return at(err, rv->location);
	if (!found) {
		if (sch)
			cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s.%s\" does not exist", sch, rv->relname);
		else
			cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", rv->relname);
		return at(err, rv->location);
	}
	if (rel.relkind != 'r') {
		cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "cannot change relation \"%s\"", rv->relname);
		return CM_ERROR;
	}
	env->nresolved++;
	*out = rel.table;
	return CM_OK;
}

static PgQuery__Node *mk_colref(cm_arena *a, const char *rel, const char *col)
{
	PgQuery__Node *n = cm_new(a, PgQuery__Node);
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	n->column_ref = cm_new(a, PgQuery__ColumnRef);
	pg_query__column_ref__init(n->column_ref);
	n->column_ref->n_fields = 2;
	n->column_ref->fields = cm_new_array(a, PgQuery__Node *, 2);
	const char *parts[2] = {rel, col};
	for (int i = 0; i < 2; i++) {
		PgQuery__Node *s = cm_new(a, PgQuery__Node);
		pg_query__node__init(s);
		s->node_case = PG_QUERY__NODE__NODE_STRING;
		s->string = cm_new(a, PgQuery__String);
		pg_query__string__init(s->string);
		s->string->sval = (char *) parts[i];
		n->column_ref->fields[i] = s;
	}
	n->column_ref->location = -1;
	return n;
}

static PgQuery__Node *mk_restarget(cm_arena *a, PgQuery__Node *val)
{
	PgQuery__Node *n = cm_new(a, PgQuery__Node);
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	n->res_target = cm_new(a, PgQuery__ResTarget);
	pg_query__res_target__init(n->res_target);
	n->res_target->val = val;
	n->res_target->location = -1;
	return n;
}

/* RETURNING over slot rows (with * expansion). */
static cm_status bind_returning(pl_binder *b, pl_modify *m, PgQuery__Node **list, size_t n, const char *alias,
								cm_error *err)
{
	if (n == 0)
		return CM_OK;
	int cap = (int) n + m->t->ncols;
	m->ret = cm_new_array(b->arena, sem_expr *, cap);
	m->retcols = cm_new_array(b->arena, pl_column, cap);
	slot_env se = {b->arena, m->t, alias, false};
	for (size_t i = 0; i < n; i++) {
		const PgQuery__ResTarget *rt = list[i]->res_target;
		const PgQuery__Node *v = rt->val;
		if (NODE(v, COLUMN_REF) && v->column_ref->n_fields > 0 &&
			NODE(v->column_ref->fields[v->column_ref->n_fields - 1], A_STAR)) {
			for (int c = 0; c < m->t->ncols; c++) {
				if (m->t->cols[c].dropped)
					continue;
				m->ret[m->nret] = sem_expr_column(b->arena, c, m->t->cols[c].type, -1);
				m->retcols[m->nret].name = m->t->cols[c].name;
				m->retcols[m->nret].type = m->t->cols[c].type;
				m->nret++;
			}
			continue;
		}
		if (bind_slot_expr(b, &se, v, (sem_type){0, -1}, NULL, &m->ret[m->nret], err) != CM_OK)
			return CM_ERROR;
		m->retcols[m->nret].name = rt->name && rt->name[0] ? rt->name : pl_figure_colname(v);
		m->retcols[m->nret].type = m->ret[m->nret]->type;
		m->nret++;
	}
	return CM_OK;
}

/* ---- INSERT binding ------------------------------------------------------------------- */

static bool is_default(const PgQuery__Node *n)
{
	return NODE(n, SET_TO_DEFAULT);
}

static cm_status bind_on_conflict(pl_binder *b, pl_modify *m, const PgQuery__OnConflictClause *oc, const char *alias,
								  cm_error *err)
{
	const cat_table *t = m->t;
	m->oc = oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING ? OC_NOTHING : OC_UPDATE;
	m->oc_index = -1;
	if (oc->infer) {
		if (oc->infer->conname && oc->infer->conname[0]) {
			bool ok = false;
			for (int i = 0; i < t->ncons && !ok; i++)
				if ((t->cons[i].type == 'p' || t->cons[i].type == 'u') && strcmp(t->cons[i].name, oc->infer->conname) == 0) {
					m->oc_index = t->cons[i].index_id;
					ok = true;
				}
			if (!ok)
				return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "constraint \"%s\" for table \"%s\" does not exist",
									oc->infer->conname, t->name);
		} else {
			int n = (int) oc->infer->n_index_elems;
			int32_t ids[32];
			for (int i = 0; i < n && i < 32; i++) {
				const PgQuery__IndexElem *ie = oc->infer->index_elems[i]->index_elem;
				const cat_column *c = ie && ie->name ? sql_cat_find_column(t, ie->name, NULL) : NULL;
				if (!c) {
					cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" does not exist", ie && ie->name ? ie->name : "?");
					return CM_ERROR;
				}
				ids[i] = c->id;
			}
			bool ok = false;
			if (n == 1 && t->handle_col >= 0 && ids[0] == t->cols[t->handle_col].id) {
				m->oc_index = 0;
				ok = true;
			}
			for (int i = 0; i < t->nindexes && !ok; i++) {
				const cat_index *ix = &t->indexes[i];
				if (!ix->unique || ix->ncols != n)
					continue;
				bool same = true;
				for (int k = 0; k < n && same; k++) {
					bool hit = false;
					for (int j = 0; j < n; j++)
						hit |= ix->col_ids[k] == ids[j];
					same = hit;
				}
				if (same) {
					m->oc_index = ix->id;
					ok = true;
				}
			}
			if (!ok)
				return cm_error_set(err, CM_E_INVALID_COLUMN_REFERENCE,
									"there is no unique or exclusion constraint matching the ON CONFLICT specification");
		}
	} else if (m->oc == OC_UPDATE) {
		cm_error_set(err, CM_E_SYNTAX_ERROR, "ON CONFLICT DO UPDATE requires inference specification or constraint name");
		cm_error_hint(err, "For example, ON CONFLICT (column_name).");
		return at(err, oc->location);
	}
	if (m->oc != OC_UPDATE)
		return CM_OK;
	slot_env se = {b->arena, t, alias, true};
	m->oc_nset = (int) oc->n_target_list;
	m->oc_set_slot = cm_new_array(b->arena, int, m->oc_nset + 1);
	m->oc_set = cm_new_array(b->arena, sem_expr *, m->oc_nset + 1);
	for (int i = 0; i < m->oc_nset; i++) {
		const PgQuery__ResTarget *rt = oc->target_list[i]->res_target;
		int pos;
		const cat_column *c = sql_cat_find_column(t, rt->name, &pos);
		if (!c) {
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", rt->name, t->name);
			return at(err, rt->location);
		}
		m->oc_set_slot[i] = pos;
		if (is_default(rt->val))
			m->oc_set[i] = m->ti.defaults[pos] ? m->ti.defaults[pos] : sem_expr_null(b->arena, c->type, -1);
		else if (bind_slot_expr(b, &se, rt->val, c->type, c->name, &m->oc_set[i], err) != CM_OK)
			return CM_ERROR;
	}
	if (oc->where_clause) {
		if (bind_slot_expr(b, &se, oc->where_clause, (sem_type){SEM_BOOLOID, -1}, "WHERE", &m->oc_where, err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

static cm_status identity_check(const cat_column *c, int loc, cm_error *err)
{
	if (c->identity == 'a') {
		cm_error_set(err, E_GENERATED_ALWAYS, "cannot insert a non-DEFAULT value into column \"%s\"", c->name);
		cm_error_detail(err, "Column \"%s\" is an identity column defined as GENERATED ALWAYS.", c->name);
		cm_error_hint(err, "Use OVERRIDING SYSTEM VALUE to override.");
		return CM_ERROR;
	}
	return CM_OK;
}

static cm_status plan_insert(pl_binder *b, pl_modify *m, const PgQuery__InsertStmt *is, cm_error *err)
{
	const cat_table *t = m->t;
	const char *alias = is->relation->alias && is->relation->alias->aliasname ? is->relation->alias->aliasname : t->name;
	if (bind_tabinfo(b, pl_env_get() ? pl_env_get()->view : NULL, t, alias, &m->ti, err) != CM_OK)
		return CM_ERROR;
	/* target columns */
	int ncols = 0;
	int *slots = cm_new_array(b->arena, int, t->ncols + (int) is->n_cols + 1);
	if (is->n_cols) {
		for (size_t i = 0; i < is->n_cols; i++) {
			const PgQuery__ResTarget *rt = is->cols[i]->res_target;
			int pos;
			if (!sql_cat_find_column(t, rt->name, &pos)) {
				cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", rt->name, t->name);
				return at(err, rt->location);
			}
			if (rt->n_indirection)
				return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "assignment to a subfield or element is not supported");
			for (int k = 0; k < ncols; k++)
				if (slots[k] == pos) {
					cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" specified more than once", rt->name);
					return at(err, rt->location);
				}
			slots[ncols++] = pos;
		}
	} else {
		for (int i = 0; i < t->ncols; i++)
			if (!t->cols[i].dropped)
				slots[ncols++] = i;
	}
	bool overriding = is->override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE;
	const PgQuery__SelectStmt *sel = is->select_stmt ? is->select_stmt->select_stmt : NULL;
	if (!sel) {
		/* DEFAULT VALUES */
		m->nsrc = 0;
		pl_node *r = cm_new(b->arena, pl_node);
		r->kind = PL_RESULT;
		r->types = cm_new_array(b->arena, sem_type, 1);
		m->src = r;
	} else if (sel->n_values_lists > 0 && sel->n_sort_clause == 0 && !sel->limit_count && !sel->limit_offset &&
			   !sel->with_clause) {
		size_t nrows = sel->n_values_lists;
		int width = (int) sel->values_lists[0]->list->n_items;
		for (size_t r = 0; r < nrows; r++) {
			int w = (int) sel->values_lists[r]->list->n_items;
			if (w > ncols) {
				cm_error_set(err, CM_E_SYNTAX_ERROR, "INSERT has more expressions than target columns");
				return at(err, pl_figure_colname(sel->values_lists[r]->list->items[ncols]) ? -1 : -1);
			}
			if (w < ncols && is->n_cols) {
				cm_error_set(err, CM_E_SYNTAX_ERROR, "INSERT has more target columns than expressions");
				return CM_ERROR;
			}
			if (w != width)
				return cm_error_set(err, CM_E_SYNTAX_ERROR, "VALUES lists must all be the same length");
		}
		ncols = width;
		pl_node *v = cm_new(b->arena, pl_node);
		v->kind = PL_VALUES;
		v->ncols = ncols;
		v->n = (int) nrows;
		v->types = cm_new_array(b->arena, sem_type, ncols + 1);
		v->rows = cm_new_array(b->arena, sem_expr **, nrows);
		for (int c = 0; c < ncols; c++)
			v->types[c] = t->cols[slots[c]].type;
		for (size_t r = 0; r < nrows; r++) {
			v->rows[r] = cm_new_array(b->arena, sem_expr *, ncols + 1);
			PgQuery__Node **items = sel->values_lists[r]->list->items;
			for (int c = 0; c < ncols; c++) {
				const cat_column *col = &t->cols[slots[c]];
				if (is_default(items[c])) {
					v->rows[r][c] = m->ti.defaults[slots[c]] ? m->ti.defaults[slots[c]] : sem_expr_null(b->arena, col->type, -1);
					continue;
				}
				if (!overriding && identity_check(col, -1, err) != CM_OK)
					return CM_ERROR;
				if (bind_slot_expr(b, NULL, items[c], col->type, col->name, &v->rows[r][c], err) != CM_OK)
					return CM_ERROR;
			}
		}
		m->src = v;
		m->nsrc = ncols;
	} else {
		pl_query_result r;
		pl_binder sb = *b;
		sb.scope = NULL;
		if (pl_bind_select(&sb, sel, &r, err) != CM_OK)
			return CM_ERROR;
		b->env->colref = NULL;
		if (r.ncols > ncols)
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "INSERT has more expressions than target columns");
		if (r.ncols < ncols && is->n_cols)
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "INSERT has more target columns than expressions");
		ncols = r.ncols;
		pl_node *p = cm_new(b->arena, pl_node);
		p->kind = PL_PROJECT;
		p->left = r.node;
		p->ncols = p->n = ncols;
		p->types = cm_new_array(b->arena, sem_type, ncols + 1);
		p->exprs = cm_new_array(b->arena, sem_expr *, ncols + 1);
		for (int c = 0; c < ncols; c++) {
			const cat_column *col = &t->cols[slots[c]];
			if (!overriding && identity_check(col, -1, err) != CM_OK)
				return CM_ERROR;
			sem_expr *e = sem_expr_column(b->arena, c, r.types[c], -1);
			if (e->type.oid != col->type.oid || (col->type.typmod >= 0 && e->type.typmod != col->type.typmod)) {
				if (!sem_can_coerce(e->type.oid, col->type.oid, SEM_COERCE_ASSIGNMENT)) {
					char b1[64], b2[64];
					cm_error_set(err, CM_E_DATATYPE_MISMATCH, "column \"%s\" is of type %s but expression is of type %s",
								 col->name, sem_format_type_msg(col->type.oid, -1, b1, sizeof b1),
								 sem_format_type_msg(e->type.oid, -1, b2, sizeof b2));
					cm_error_hint(err, "You will need to rewrite or cast the expression.");
					return CM_ERROR;
				}
				if (pl_coerce(b, &e, col->type.oid, col->type.typmod, SEM_COERCE_ASSIGNMENT, false, err) != CM_OK)
					return CM_ERROR;
			}
			p->exprs[c] = e;
			p->types[c] = e->type;
		}
		m->src = p;
		m->nsrc = ncols;
		m->nxparams = r.nxparams;
		m->nsubplans = r.nsubplans;
	}
	m->src_slot = slots;
	m->given = cm_new_array(b->arena, bool, t->ncols + 1);
	for (int c = 0; c < m->nsrc; c++)
		m->given[slots[c]] = true;
	if (is->on_conflict_clause && bind_on_conflict(b, m, is->on_conflict_clause, alias, err) != CM_OK)
		return CM_ERROR;
	return bind_returning(b, m, is->returning_list, is->n_returning_list, alias, err);
}

/* ---- UPDATE / DELETE binding ---------------------------------------------------------- */

static cm_status plan_update_delete(pl_binder *b, pl_modify *m, PgQuery__RangeVar *rv, PgQuery__Node **targets,
									size_t ntargets, PgQuery__Node *where, PgQuery__Node **from, size_t nfrom,
									PgQuery__Node **returning, size_t nret, PgQuery__WithClause *with, cm_error *err)
{
	const cat_table *t = m->t;
	const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : t->name;
	if (bind_tabinfo(b, pl_env_get() ? pl_env_get()->view : NULL, t, alias, &m->ti, err) != CM_OK)
		return CM_ERROR;
	slot_env se = {b->arena, t, alias, false};
	/* SET: bound over the target row where possible, else in the source query */
	m->nset = (int) ntargets;
	m->set_slot = cm_new_array(b->arena, int, m->nset + 1);
	m->set_local = cm_new_array(b->arena, sem_expr *, m->nset + 1);
	m->set_src = cm_new_array(b->arena, int, m->nset + 1);
	PgQuery__Node **extra = cm_new_array(b->arena, PgQuery__Node *, m->nset + 1);
	int nextra = 0;
	int nvis = 0;
	for (int i = 0; i < t->ncols; i++)
		nvis += !t->cols[i].dropped;
	for (int i = 0; i < m->nset; i++) {
		const PgQuery__ResTarget *rt = targets[i]->res_target;
		if (NODE(rt->val, MULTI_ASSIGN_REF))
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "multiple-column UPDATE SET is not supported yet");
		if (rt->n_indirection)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "assignment to a subfield or element is not supported");
		int pos;
		const cat_column *c = sql_cat_find_column(t, rt->name, &pos);
		if (!c) {
			cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", rt->name, t->name);
			return at(err, rt->location);
		}
		for (int k = 0; k < i; k++)
			if (m->set_slot[k] == pos) {
				cm_error_set(err, CM_E_SYNTAX_ERROR, "multiple assignments to same column \"%s\"", rt->name);
				return CM_ERROR;
			}
		if (c->identity == 'a' && !is_default(rt->val)) {
			cm_error_set(err, E_GENERATED_ALWAYS, "column \"%s\" can only be updated to DEFAULT", c->name);
			cm_error_detail(err, "Column \"%s\" is an identity column defined as GENERATED ALWAYS.", c->name);
			return CM_ERROR;
		}
		m->set_slot[i] = pos;
		m->set_src[i] = -1;
		if (is_default(rt->val)) {
			m->set_local[i] = m->ti.defaults[pos] ? m->ti.defaults[pos] : sem_expr_null(b->arena, c->type, -1);
			continue;
		}
		cm_error e2 = {0};
		if (bind_slot_expr(b, &se, rt->val, c->type, c->name, &m->set_local[i], &e2) == CM_OK)
			continue;
		/* needs FROM items or a subquery: computed by the source query */
		if (nfrom == 0 && !cm_error_is(&e2, CM_E_FEATURE_NOT_SUPPORTED) && !cm_error_is(&e2, CM_E_UNDEFINED_COLUMN) &&
			!cm_error_is(&e2, CM_E_UNDEFINED_TABLE)) {
			cm_error_move(err, &e2);
			return CM_ERROR;
		}
		cm_error_clear(&e2);
		m->set_local[i] = NULL;
		m->set_src[i] = 1 + nvis + nextra;
		extra[nextra++] = rt->val;
	}
	/* WHERE over the target row alone: the re-check of a row changed concurrently */
	m->recheck = true;
	if (where) {
		cm_error e2 = {0};
		if (nfrom > 0 || bind_slot_expr(b, &se, where, (sem_type){SEM_BOOLOID, -1}, "WHERE", &m->where_local, &e2) != CM_OK) {
			cm_error_clear(&e2);
			m->where_local = NULL;
			m->recheck = false;
		}
	}
	/* the source query: SELECT ctid, cols..., extra FROM target, from... WHERE where */
	PgQuery__SelectStmt *s = cm_new(b->arena, PgQuery__SelectStmt);
	pg_query__select_stmt__init(s);
	s->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	s->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	s->with_clause = with;
	s->n_from_clause = 1 + nfrom;
	s->from_clause = cm_new_array(b->arena, PgQuery__Node *, s->n_from_clause);
	PgQuery__Node *rvn = cm_new(b->arena, PgQuery__Node);
	pg_query__node__init(rvn);
	rvn->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	rvn->range_var = rv;
	s->from_clause[0] = rvn;
	for (size_t i = 0; i < nfrom; i++)
		s->from_clause[1 + i] = from[i];
	s->where_clause = where;
	s->n_target_list = (size_t) (1 + nvis + nextra);
	s->target_list = cm_new_array(b->arena, PgQuery__Node *, s->n_target_list);
	int k = 0;
	s->target_list[k++] = mk_restarget(b->arena, mk_colref(b->arena, alias, "ctid"));
	for (int i = 0; i < t->ncols; i++)
		if (!t->cols[i].dropped)
			s->target_list[k++] = mk_restarget(b->arena, mk_colref(b->arena, alias, t->cols[i].name));
	for (int i = 0; i < nextra; i++)
		s->target_list[k++] = mk_restarget(b->arena, extra[i]);
	pl_binder sb = *b;
	sb.scope = NULL;
	sb.dml_target = rv;
	pl_query_result r;
	if (pl_bind_select(&sb, s, &r, err) != CM_OK)
		return CM_ERROR;
	b->env->colref = NULL;
	/* coerce the extra SET values to their columns */
	for (int i = 0; i < m->nset; i++) {
		if (m->set_src[i] < 0)
			continue;
		const cat_column *c = &t->cols[m->set_slot[i]];
		int sc = m->set_src[i];
		if (r.types[sc].oid != c->type.oid || (c->type.typmod >= 0 && r.types[sc].typmod != c->type.typmod)) {
			pl_node *p = r.node;
			if (p->kind != PL_PROJECT)
				return cm_error_set(err, CM_E_INTERNAL_ERROR, "UPDATE source is not a projection");
			sem_expr *e = p->exprs[sc];
			if (!sem_can_coerce(e->type.oid, c->type.oid, SEM_COERCE_ASSIGNMENT)) {
				char b1[64], b2[64];
				cm_error_set(err, CM_E_DATATYPE_MISMATCH, "column \"%s\" is of type %s but expression is of type %s",
							 c->name, sem_format_type_msg(c->type.oid, -1, b1, sizeof b1),
							 sem_format_type_msg(e->type.oid, -1, b2, sizeof b2));
				cm_error_hint(err, "You will need to rewrite or cast the expression.");
				return CM_ERROR;
			}
			if (pl_coerce(b, &p->exprs[sc], c->type.oid, c->type.typmod, SEM_COERCE_ASSIGNMENT, false, err) != CM_OK)
				return CM_ERROR;
			p->types[sc] = p->exprs[sc]->type;
		}
	}
	m->src = r.node;
	m->nsrc = r.ncols;
	m->nxparams = r.nxparams;
	m->nsubplans = r.nsubplans;
	if (pl_optimize_scans(b, &m->src, err) != CM_OK)
		return CM_ERROR;
	return bind_returning(b, m, returning, nret, alias, err);
}

cm_status pl_plan_modify(cm_arena *arena, sem_ctx *ctx, const PgQuery__Node *stmt, const char *query, int nparams,
						 const sem_oid *param_types, pl_modify **out, cm_error *err)
{
	pl_modify *m = cm_new(arena, pl_modify);
	/* [perf] sized from the text (pl_param_capacity), not 64K zeroed entries */
	int cap = pl_param_capacity(query, nparams, PL_MAX_PARAMS);
	sem_oid *ptypes = cm_alloc(arena, sizeof(sem_oid) * (size_t) cap);
	for (int i = 0; i < nparams; i++)
		ptypes[i] = param_types ? param_types[i] : 0;
	int np = nparams;
	pl_bind_env env = {ptypes, &np, cap, NULL, NULL};
	pl_binder b = {arena, ctx, query, &env, 0, NULL, NULL, NULL};
	PgQuery__RangeVar *rv;
	cm_status st;
	if (NODE(stmt, INSERT_STMT)) {
		m->kind = MOD_INSERT;
		m->verb = "INSERT";
		rv = stmt->insert_stmt->relation;
		if (stmt->insert_stmt->with_clause)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "WITH in INSERT is not supported yet");
		if (find_target(&b, rv, &m->t, err) != CM_OK)
			return CM_ERROR;
		st = plan_insert(&b, m, stmt->insert_stmt, err);
	} else if (NODE(stmt, UPDATE_STMT)) {
		const PgQuery__UpdateStmt *u = stmt->update_stmt;
		m->kind = MOD_UPDATE;
		m->verb = "UPDATE";
		rv = u->relation;
		if (find_target(&b, rv, &m->t, err) != CM_OK)
			return CM_ERROR;
		st = plan_update_delete(&b, m, rv, u->target_list, u->n_target_list, u->where_clause, u->from_clause,
								u->n_from_clause, u->returning_list, u->n_returning_list, u->with_clause, err);
	} else if (NODE(stmt, DELETE_STMT)) {
		const PgQuery__DeleteStmt *d = stmt->delete_stmt;
		m->kind = MOD_DELETE;
		m->verb = "DELETE";
		rv = d->relation;
		if (find_target(&b, rv, &m->t, err) != CM_OK)
			return CM_ERROR;
		st = plan_update_delete(&b, m, rv, NULL, 0, d->where_clause, d->using_clause, d->n_using_clause,
								d->returning_list, d->n_returning_list, d->with_clause, err);
	} else
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "statement is not INSERT, UPDATE or DELETE");
	if (st != CM_OK)
		return CM_ERROR;
	for (int i = 0; i < np; i++)
		if (ptypes[i] == 0 || ptypes[i] == SEM_UNKNOWNOID)
			return cm_error_set(err, CM_E_INDETERMINATE_DATATYPE, "could not determine data type of parameter $%d", i + 1);
	m->nparams = np;
	m->ptypes = cm_memdup(arena, ptypes, sizeof(sem_oid) * (size_t) (np > 0 ? np : 1));
	pl_env *penv = pl_env_get();
	if (penv && penv->view)
		m->catver = cm_strdup(arena, penv->view->version);
	/* the view the descriptors belong to lives as long as the plan */
	if (penv && penv->view) {
		sql_cat_view_retain(penv->view);
		cm_arena_on_reset(arena, (cm_cleanup_fn) sql_cat_view_release, penv->view);
	}
	m->retcols = m->retcols ? m->retcols : cm_new_array(arena, pl_column, 1);
	*out = m;
	return CM_OK;
}

/* ---- errors --------------------------------------------------------------------------- */

static void row_text(sem_ctx *ctx, const cat_table *t, const sem_datum *row, cm_buf *b)
{
	cm_buf_putc(b, '(');
	bool first = true;
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].dropped)
			continue;
		if (!first)
			cm_buf_puts(b, ", ");
		first = false;
		if (row[i].isnull)
			cm_buf_puts(b, "null");
		else
			sem_out_text(ctx, t->cols[i].type, &row[i], b);
	}
	cm_buf_putc(b, ')');
}

static void failing_row(sem_ctx *ctx, const cat_table *t, const sem_datum *row, cm_error *err)
{
	cm_buf b;
	cm_buf_init(&b);
	row_text(ctx, t, row, &b);
	cm_error_detail(err, "Failing row contains %s.", b.data);
	cm_buf_free(&b);
}

/* "(a, b)=(1, x)" */
static void key_text(sem_ctx *ctx, const cat_table *t, int n, const int32_t *col_ids, const sem_datum *row,
					 bool by_pos, cm_buf *b)
{
	cm_buf_putc(b, '(');
	for (int i = 0; i < n; i++) {
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], NULL);
		cm_buf_puts(b, i ? ", " : "");
		cm_buf_puts(b, c ? c->name : "?");
	}
	cm_buf_puts(b, ")=(");
	for (int i = 0; i < n; i++) {
		int pos;
		const cat_column *c = sql_cat_column_by_id(t, col_ids[i], &pos);
		cm_buf_puts(b, i ? ", " : "");
		const sem_datum *d = by_pos ? &row[i] : &row[pos];
		if (!c || d->isnull)
			cm_buf_puts(b, "null");
		else
			sem_out_text(ctx, c->type, d, b);
	}
	cm_buf_putc(b, ')');
}

static cm_status check_row(sem_ctx *ctx, const tabinfo *ti, const sem_datum *row, const sem_datum *params,
						   cm_error *err)
{
	const cat_table *t = ti->t;
	for (int i = 0; i < t->ncols; i++) {
		const cat_column *c = &t->cols[i];
		if (!c->dropped && c->not_null && row[i].isnull) {
			cm_error_set(err, CM_E_NOT_NULL_VIOLATION, "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
						 c->name, t->name);
			failing_row(ctx, t, row, err);
			return CM_ERROR;
		}
	}
	for (int k = 0; k < ti->nchecks; k++) {
		sem_datum r;
		if (sem_eval(ctx, ti->checks[k], row, params, &r, err) != CM_OK)
			return CM_ERROR;
		if (!r.isnull && !r.v.b) {
			cm_error_set(err, CM_E_CHECK_VIOLATION, "new row for relation \"%s\" violates check constraint \"%s\"", t->name,
						 ti->checknames[k]);
			failing_row(ctx, t, row, err);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

static const char *pk_name(const cat_table *t)
{
	for (int i = 0; i < t->ncons; i++)
		if (t->cons[i].type == 'p')
			return t->cons[i].name;
	for (int i = 0; i < t->nindexes; i++)
		if (t->indexes[i].primary)
			return t->indexes[i].name;
	return "?";
}

static cm_status dup_error(sem_ctx *ctx, const cat_table *t, int64_t index_id, const sem_datum *row, cm_error *err)
{
	cm_error_clear(err);
	cm_buf b;
	cm_buf_init(&b);
	if (index_id == 0) {
		int32_t id = t->cols[t->handle_col].id;
		cm_error_set(err, CM_E_UNIQUE_VIOLATION, "duplicate key value violates unique constraint \"%s\"", pk_name(t));
		key_text(ctx, t, 1, &id, row, false, &b);
	} else {
		const cat_index *ix = sql_cat_index_by_id(t, index_id);
		cm_error_set(err, CM_E_UNIQUE_VIOLATION, "duplicate key value violates unique constraint \"%s\"",
					 ix ? ix->name : "?");
		if (ix)
			key_text(ctx, t, ix->ncols, ix->col_ids, row, false, &b);
	}
	cm_error_detail(err, "Key %s already exists.", b.data ? b.data : "");
	cm_buf_free(&b);
	return CM_ERROR;
}

static cm_status kvs(kv_err e)
{
	return e == KV_OK ? CM_OK : CM_ERROR;
}

/* ---- foreign keys --------------------------------------------------------------------- */

/* The unique key of the referenced table that an FK points at: 0 = the
 * int handle, else an index id; -1 if none matches. */
static int64_t fk_ref_key(const cat_table *rt, const cat_constraint *fk)
{
	if (fk->nref == 1 && rt->handle_col >= 0 && fk->ref_col_ids[0] == rt->cols[rt->handle_col].id)
		return 0;
	for (int i = 0; i < rt->nindexes; i++) {
		const cat_index *ix = &rt->indexes[i];
		if (!ix->unique || ix->ncols != fk->nref)
			continue;
		bool same = true;
		for (int k = 0; k < ix->ncols && same; k++)
			same = ix->col_ids[k] == fk->ref_col_ids[k];
		if (same)
			return ix->id;
	}
	return -1;
}

/* Does the referenced table contain a row with vals (fk->nref values, in
 * ref column order)? */
static cm_status fk_parent_exists(cm_arena *a, kv_txn *txn, const cat_table *rt, const cat_constraint *fk,
								  const sem_datum *vals, bool *found, cm_error *err)
{
	int64_t key = fk_ref_key(rt, fk);
	*found = false;
	if (key == 0) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, rt->id, vals[0].v.i);
		kv_value v;
		if (kv_txn_get(txn, a, k, sizeof k, &v, err) != KV_OK)
			return CM_ERROR;
		*found = v.found;
		return CM_OK;
	}
	if (key > 0) {
		const cat_index *ix = sql_cat_index_by_id(rt, key);
		/* index column order may differ from the FK's: reorder */
		sem_datum *iv = cm_new_array(a, sem_datum, ix->ncols + 1);
		for (int i = 0; i < ix->ncols; i++)
			for (int k = 0; k < fk->nref; k++)
				if (fk->ref_col_ids[k] == ix->col_ids[i])
					iv[i] = vals[k];
		int64_t h;
		return cat_index_get_unique(txn, a, rt, ix, iv, &h, found, err);
	}
	/* no matching key: scan */
	cat_scan *s;
	if (cat_scan_open(txn, rt, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	sem_datum *row = cm_new_array(a, sem_datum, rt->ncols + 1);
	cm_status st = CM_OK;
	for (;;) {
		int64_t h;
		bool done;
		if ((st = cat_scan_next(s, a, row, &h, &done, err)) != CM_OK || done)
			break;
		bool eq = true;
		for (int k = 0; k < fk->nref && eq; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(rt, fk->ref_col_ids[k], &pos);
			eq = c && !row[pos].isnull && sem_datum_compare(c->type.oid, &row[pos], &vals[k]) == 0;
		}
		if (eq) {
			*found = true;
			break;
		}
	}
	cat_scan_close(s);
	return st;
}

/* FKs of t (as child) for a new / changed row. */
static cm_status fk_check_child(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, const sem_datum *row,
								const sem_datum *old, cm_error *err)
{
	for (int i = 0; i < t->ncons; i++) {
		const cat_constraint *fk = &t->cons[i];
		if (fk->type != 'f')
			continue;
		sem_datum *vals = cm_new_array(a, sem_datum, fk->ncols + 1);
		bool anynull = false, changed = old == NULL;
		for (int k = 0; k < fk->ncols; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(t, fk->col_ids[k], &pos);
			vals[k] = row[pos];
			anynull |= row[pos].isnull;
			if (old && !ex_datum_eq(c->type.oid, &old[pos], &row[pos]))
				changed = true;
		}
		if (anynull || !changed)
			continue;
		const cat_table *rt = sql_cat_table_by_id(env->view, fk->ref_table_id);
		if (!rt)
			continue;
		bool found;
		if (fk_parent_exists(a, env->txn, rt, fk, vals, &found, err) != CM_OK)
			return CM_ERROR;
		if (!found) {
			cm_error_set(err, CM_E_FOREIGN_KEY_VIOLATION, "insert or update on table \"%s\" violates foreign key constraint \"%s\"",
						 t->name, fk->name);
			cm_buf b;
			cm_buf_init(&b);
			key_text(ctx, t, fk->ncols, fk->col_ids, row, false, &b);
			cm_error_detail(err, "Key %s is not present in table \"%s\".", b.data, rt->name);
			cm_buf_free(&b);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

static cm_status delete_row(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, int64_t h,
							const sem_datum *row, int depth, cm_error *err);
static cm_status write_update(sem_ctx *ctx, cm_arena *a, pl_env *env, const tabinfo *ti, int64_t h,
							  const sem_datum *old, sem_datum *row, const sem_datum *params, bool check,
							  int64_t *newh, cm_error *err);

/* Rows of child table ct whose FK columns equal the parent's key values. */
static cm_status fk_children(cm_arena *a, kv_txn *txn, const cat_table *ct, const cat_constraint *fk,
							 const sem_datum *pvals, int *n, int64_t **handles, sem_datum ***rows, cm_error *err)
{
	cat_scan *s;
	*n = 0;
	if (cat_scan_open(txn, ct, NULL, 0, &s, err) != CM_OK)
		return CM_ERROR;
	int cap = 0;
	cm_status st = CM_OK;
	for (;;) {
		sem_datum *row = cm_new_array(a, sem_datum, ct->ncols + 1);
		int64_t h;
		bool done;
		if ((st = cat_scan_next(s, a, row, &h, &done, err)) != CM_OK || done)
			break;
		bool eq = true;
		for (int k = 0; k < fk->ncols && eq; k++) {
			int pos;
			const cat_column *c = sql_cat_column_by_id(ct, fk->col_ids[k], &pos);
			eq = c && !row[pos].isnull && sem_datum_compare(c->type.oid, &row[pos], &pvals[k]) == 0;
		}
		if (!eq)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			int64_t *nh = cm_new_array(a, int64_t, cap);
			sem_datum **nr = cm_new_array(a, sem_datum *, cap);
			if (*n) {
				memcpy(nh, *handles, sizeof(int64_t) * (size_t) *n);
				memcpy(nr, *rows, sizeof(sem_datum *) * (size_t) *n);
			}
			*handles = nh;
			*rows = nr;
		}
		(*handles)[*n] = h;
		(*rows)[*n] = row;
		(*n)++;
	}
	cat_scan_close(s);
	return st;
}

/* t's row (old) goes away or changes its referenced key: act on the
 * referencing rows of every FK pointing at t. */
static cm_status fk_check_parent(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, const sem_datum *old,
								 const sem_datum *newrow, int depth, cm_error *err)
{
	if (depth > 32)
		return cm_error_set(err, CM_E_PROGRAM_LIMIT_EXCEEDED, "foreign key cascade too deep");
	const sql_cat_view *v = env->view;
	for (int ti = 0; ti < v->ntables; ti++) {
		const cat_table *ct = v->tables[ti];
		for (int ci = 0; ci < ct->ncons; ci++) {
			const cat_constraint *fk = &ct->cons[ci];
			if (fk->type != 'f' || fk->ref_table_id != t->id)
				continue;
			sem_datum *pvals = cm_new_array(a, sem_datum, fk->nref + 1);
			bool anynull = false, changed = newrow == NULL;
			for (int k = 0; k < fk->nref; k++) {
				int pos;
				const cat_column *c = sql_cat_column_by_id(t, fk->ref_col_ids[k], &pos);
				pvals[k] = old[pos];
				anynull |= old[pos].isnull;
				if (newrow && !ex_datum_eq(c->type.oid, &old[pos], &newrow[pos]))
					changed = true;
			}
			if (anynull || !changed)
				continue;
			int n;
			int64_t *hs = NULL;
			sem_datum **rows = NULL;
			if (fk_children(a, env->txn, ct, fk, pvals, &n, &hs, &rows, err) != CM_OK)
				return CM_ERROR;
			if (n == 0)
				continue;
			char action = newrow ? fk->on_update : fk->on_delete;
			if (action == 'c' && !newrow) {
				for (int r = 0; r < n; r++)
					if (delete_row(ctx, a, env, ct, hs[r], rows[r], depth + 1, err) != CM_OK)
						return CM_ERROR;
				continue;
			}
			if ((action == 'n' || action == 'd' || (action == 'c' && newrow))) {
				tabinfo cti = {ct, NULL, 0, NULL, NULL};
				for (int r = 0; r < n; r++) {
					sem_datum *nr = cm_new_array(a, sem_datum, ct->ncols + 1);
					memcpy(nr, rows[r], sizeof(sem_datum) * (size_t) ct->ncols);
					for (int k = 0; k < fk->ncols; k++) {
						int pos;
						sql_cat_column_by_id(ct, fk->col_ids[k], &pos);
						if (action == 'c') {
							int ppos;
							sql_cat_column_by_id(t, fk->ref_col_ids[k], &ppos);
							nr[pos] = newrow[ppos];
						} else {
							memset(&nr[pos], 0, sizeof nr[pos]);
							nr[pos].isnull = true;
						}
					}
					int64_t nh;
					if (write_update(ctx, a, env, &cti, hs[r], rows[r], nr, NULL, false, &nh, err) != CM_OK)
						return CM_ERROR;
				}
				continue;
			}
			cm_error_set(err, CM_E_FOREIGN_KEY_VIOLATION,
						 "update or delete on table \"%s\" violates foreign key constraint \"%s\" on table \"%s\"", t->name,
						 fk->name, ct->name);
			cm_buf b;
			cm_buf_init(&b);
			key_text(ctx, t, fk->nref, fk->ref_col_ids, old, false, &b);
			cm_error_detail(err, "Key %s is still referenced from table \"%s\".", b.data, ct->name);
			cm_buf_free(&b);
			return CM_ERROR;
		}
	}
	return CM_OK;
}

static bool has_fk_refs(const sql_cat_view *v, const cat_table *t)
{
	for (int ti = 0; ti < v->ntables; ti++)
		for (int ci = 0; ci < v->tables[ti]->ncons; ci++)
			if (v->tables[ti]->cons[ci].type == 'f' && v->tables[ti]->cons[ci].ref_table_id == t->id)
				return true;
	return false;
}

static bool has_fk(const cat_table *t)
{
	for (int ci = 0; ci < t->ncons; ci++)
		if (t->cons[ci].type == 'f')
			return true;
	return false;
}

/* ---- writing rows ----------------------------------------------------------------------- */

/* Remove row h of t: record and index entries; FK actions first. */
static cm_status delete_row(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, int64_t h,
							const sem_datum *row, int depth, cm_error *err)
{
	if (has_fk_refs(env->view, t) && fk_check_parent(ctx, a, env, t, row, NULL, depth, err) != CM_OK)
		return CM_ERROR;
	uint8_t k[KV_RECORD_KEY_LEN];
	kv_record_key_fixed(k, t->id, h);
	if (kv_txn_delete(env->txn, k, sizeof k, err) != KV_OK)
		return CM_ERROR;
	cm_buf ik, iv;
	cm_buf_init(&ik);
	cm_buf_init(&iv);
	cm_status st = CM_OK;
	for (int i = 0; st == CM_OK && i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (t->handle_col >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id)
			continue;
		cm_buf_reset(&ik);
		cm_buf_reset(&iv);
		bool uq;
		if ((st = cat_index_entry(a, t, ix, row, h, &ik, &iv, &uq, err)) != CM_OK)
			break;
		st = kvs(kv_txn_delete(env->txn, (const uint8_t *) ik.data, ik.len, err));
	}
	cm_buf_free(&ik);
	cm_buf_free(&iv);
	return st;
}

static bool is_handle_index(const cat_table *t, const cat_index *ix)
{
	return t->handle_col >= 0 && ix->primary && ix->ncols == 1 && ix->col_ids[0] == t->cols[t->handle_col].id;
}

/* Lock key with check_existence: *exists when a committed row has it. */
static cm_status lock_check(cm_arena *a, pl_env *env, const uint8_t *k, size_t kl, bool *exists, cm_error *err)
{
	ProtobufCBinaryData key = {kl, (uint8_t *) k};
	kv_lock_options lo = {.wait_ms = env->lock_wait_ms, .check_existence = true, .snapshot_check = !env->rc};
	kv_value res;
	if (kv_txn_lock_keys(env->txn, a, &key, 1, &lo, &res, err) != KV_OK)
		return CM_ERROR;
	*exists = res.found;
	return CM_OK;
}

/* Write an updated row (old at handle h -> row).  check: NOT NULL/CHECK/FK. */
static cm_status write_update(sem_ctx *ctx, cm_arena *a, pl_env *env, const tabinfo *ti, int64_t h,
							  const sem_datum *old, sem_datum *row, const sem_datum *params, bool check,
							  int64_t *newh, cm_error *err)
{
	const cat_table *t = ti->t;
	if (check && check_row(ctx, ti, row, params, err) != CM_OK)
		return CM_ERROR;
	if (check && has_fk(t) && fk_check_child(ctx, a, env, t, row, old, err) != CM_OK)
		return CM_ERROR;
	if (has_fk_refs(env->view, t) && fk_check_parent(ctx, a, env, t, old, row, 0, err) != CM_OK)
		return CM_ERROR;
	int64_t nh = h;
	if (t->handle_col >= 0)
		nh = row[t->handle_col].v.i;
	cm_buf val, ok, ov, nk, nv;
	cm_buf_init(&val);
	cm_buf_init(&ok);
	cm_buf_init(&ov);
	cm_buf_init(&nk);
	cm_buf_init(&nv);
	cm_status st = cat_row_encode(a, t, row, &val, err);
	if (st == CM_OK && nh != h) {
		/* the primary key moves the row */
		uint8_t k[KV_RECORD_KEY_LEN], k2[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, h);
		kv_record_key_fixed(k2, t->id, nh);
		bool exists = false;
		st = kvs(kv_txn_delete(env->txn, k, sizeof k, err));
		if (st == CM_OK)
			st = lock_check(a, env, k2, sizeof k2, &exists, err);
		if (st == CM_OK && exists)
			st = dup_error(ctx, t, 0, row, err);
		if (st == CM_OK) {
			kv_err e = kv_txn_insert(env->txn, k2, sizeof k2, (const uint8_t *) val.data, val.len, err);
			if (e == KV_ERR_KEY_EXISTS)
				st = dup_error(ctx, t, 0, row, err);
			else
				st = kvs(e);
		}
	} else if (st == CM_OK) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, h);
		st = kvs(kv_txn_set(env->txn, k, sizeof k, (const uint8_t *) val.data, val.len, err));
	}
	for (int i = 0; st == CM_OK && i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (is_handle_index(t, ix))
			continue;
		cm_buf_reset(&ok);
		cm_buf_reset(&ov);
		cm_buf_reset(&nk);
		cm_buf_reset(&nv);
		bool ouq, nuq;
		if ((st = cat_index_entry(a, t, ix, old, h, &ok, &ov, &ouq, err)) != CM_OK ||
			(st = cat_index_entry(a, t, ix, row, nh, &nk, &nv, &nuq, err)) != CM_OK)
			break;
		bool same_key = ok.len == nk.len && memcmp(ok.data, nk.data, ok.len) == 0;
		bool same_val = ov.len == nv.len && memcmp(ov.data, nv.data, ov.len) == 0;
		if (same_key && same_val)
			continue;
		if (same_key) {
			st = kvs(kv_txn_set(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err));
			continue;
		}
		if ((st = kvs(kv_txn_delete(env->txn, (const uint8_t *) ok.data, ok.len, err))) != CM_OK)
			break;
		if (nuq) {
			bool exists;
			if ((st = lock_check(a, env, (const uint8_t *) nk.data, nk.len, &exists, err)) != CM_OK)
				break;
			if (exists) {
				st = dup_error(ctx, t, ix->id, row, err);
				break;
			}
			kv_err e = kv_txn_insert(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err);
			st = e == KV_ERR_KEY_EXISTS ? dup_error(ctx, t, ix->id, row, err) : kvs(e);
		} else
			st = kvs(kv_txn_set(env->txn, (const uint8_t *) nk.data, nk.len, (const uint8_t *) nv.data, nv.len, err));
	}
	cm_buf_free(&val);
	cm_buf_free(&ok);
	cm_buf_free(&ov);
	cm_buf_free(&nk);
	cm_buf_free(&nv);
	*newh = nh;
	return st;
}

/* ---- the writer (INSERT / COPY) ------------------------------------------------------- */

struct pl_writer {
	cm_arena *a;			/* batch memory, reset per flush */
	sem_ctx ctx;
	pl_env *env;
	const tabinfo *ti;
	tabinfo own;
	const sem_datum *params;
	int n;
	sem_datum **rows;
	int64_t count;
	bool fk;
};

cm_status pl_writer_new(cm_arena *a, sem_ctx *ctx, pl_env *env, const cat_table *t, pl_writer **out, cm_error *err)
{
	pl_writer *w = cm_new(a, pl_writer);
	w->a = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, w->a);
	w->ctx = *ctx;
	w->ctx.arena = w->a;
	w->env = env;
	sem_oid params[1] = {0};
	int np = 0;
	pl_bind_env benv = {params, &np, 0, NULL, NULL};
	pl_binder b = {a, ctx, "", &benv, 0, NULL, NULL, NULL};
	if (bind_tabinfo(&b, env->view, t, t->name, &w->own, err) != CM_OK)
		return CM_ERROR;
	w->ti = &w->own;
	w->rows = cm_new_array(a, sem_datum *, WRITE_BATCH);
	w->fk = has_fk(t);
	*out = w;
	return CM_OK;
}

static pl_writer *writer_for(cm_arena *a, sem_ctx *ctx, pl_env *env, const tabinfo *ti, const sem_datum *params)
{
	pl_writer *w = cm_new(a, pl_writer);
	w->a = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, w->a);
	w->ctx = *ctx;
	w->ctx.arena = w->a;
	w->env = env;
	w->ti = ti;
	w->params = params;
	w->rows = cm_new_array(a, sem_datum *, WRITE_BATCH);
	w->fk = has_fk(ti->t);
	return w;
}

int64_t pl_writer_count(const pl_writer *w) { return w->count; }

cm_status pl_writer_defaults(pl_writer *w, const bool *given, sem_datum *row, cm_error *err)
{
	const cat_table *t = w->ti->t;
	for (int i = 0; i < t->ncols; i++) {
		if (given && given[i])
			continue;
		memset(&row[i], 0, sizeof row[i]);
		row[i].isnull = true;
		if (t->cols[i].dropped || !w->ti->defaults[i])
			continue;
		if (sem_eval(&w->ctx, w->ti->defaults[i], row, w->params, &row[i], err) != CM_OK)
			return CM_ERROR;
	}
	return CM_OK;
}

cm_status pl_writer_add(pl_writer *w, const sem_datum *row, cm_error *err)
{
	const cat_table *t = w->ti->t;
	sem_datum *r = cm_new_array(w->a, sem_datum, t->ncols + 1);
	for (int i = 0; i < t->ncols; i++)
		ex_datum_copy(w->a, t->cols[i].type.oid, &row[i], &r[i]);
	w->rows[w->n++] = r;
	if (w->n == WRITE_BATCH)
		return pl_writer_flush(w, err);
	return CM_OK;
}

typedef struct ukey {
	uint8_t *k;
	size_t kl;
	int row;
	int64_t index_id;		/* 0 = record key of an int handle */
} ukey;

cm_status pl_writer_flush(pl_writer *w, cm_error *err)
{
	const cat_table *t = w->ti->t;
	pl_env *env = w->env;
	cm_arena *a = w->a;
	int n = w->n;
	if (n == 0)
		return CM_OK;
	int64_t *handles = cm_new_array(a, int64_t, n);
	int nidx = t->nindexes;
	int nuk = 0, capuk = n * (nidx + 1);
	ukey *uk = cm_new_array(a, ukey, capuk);
	cm_buf *vals = cm_new_array(a, cm_buf, n);
	cm_buf k, v;
	cm_buf_init(&k);
	cm_buf_init(&v);
	cm_status st = CM_OK;
	/* checks, handles, encodings, unique keys */
	for (int r = 0; st == CM_OK && r < n; r++) {
		sem_datum *row = w->rows[r];
		if ((st = check_row(&w->ctx, w->ti, row, w->params, err)) != CM_OK)
			break;
		if (w->fk && (st = fk_check_child(&w->ctx, a, env, t, row, NULL, err)) != CM_OK)
			break;
		if (t->handle_col >= 0)
			handles[r] = row[t->handle_col].v.i;
		else if ((st = sql_cat_alloc_rowid(env->kv, t->id, &handles[r], err)) != CM_OK)
			break;
		cm_buf_init(&vals[r]);
		if ((st = cat_row_encode(a, t, row, &vals[r], err)) != CM_OK)
			break;
		if (t->handle_col >= 0) {
			uint8_t *rk = cm_alloc(a, KV_RECORD_KEY_LEN);
			kv_record_key_fixed(rk, t->id, handles[r]);
			uk[nuk++] = (ukey){rk, KV_RECORD_KEY_LEN, r, 0};
		}
		for (int i = 0; i < nidx; i++) {
			const cat_index *ix = &t->indexes[i];
			if (is_handle_index(t, ix) || !ix->unique)
				continue;
			cm_buf_reset(&k);
			cm_buf_reset(&v);
			bool uq;
			if ((st = cat_index_entry(a, t, ix, row, handles[r], &k, &v, &uq, err)) != CM_OK)
				break;
			if (!uq)
				continue;
			uk[nuk++] = (ukey){cm_memdup(a, k.data, k.len), k.len, r, ix->id};
		}
	}
	/* unique keys: lock them and see whether committed rows hold them */
	if (st == CM_OK && nuk > 0) {
		ProtobufCBinaryData *keys = cm_new_array(a, ProtobufCBinaryData, nuk);
		kv_value *res = cm_new_array(a, kv_value, nuk);
		for (int i = 0; i < nuk; i++) {
			keys[i].data = uk[i].k;
			keys[i].len = uk[i].kl;
		}
		kv_lock_options lo = {.wait_ms = env->lock_wait_ms, .check_existence = true, .snapshot_check = !env->rc};
		if (kv_txn_lock_keys(env->txn, a, keys, (size_t) nuk, &lo, res, err) != KV_OK)
			st = CM_ERROR;
		for (int i = 0; st == CM_OK && i < nuk; i++)
			if (res[i].found) {
				/* committed, but maybe deleted by this transaction */
				kv_value cur;
				if (kv_txn_get(env->txn, a, uk[i].k, uk[i].kl, &cur, err) != KV_OK) {
					st = CM_ERROR;
					break;
				}
				if (cur.found)
					st = dup_error(&w->ctx, t, uk[i].index_id, w->rows[uk[i].row], err);
			}
	}
	/* write */
	for (int r = 0; st == CM_OK && r < n; r++) {
		sem_datum *row = w->rows[r];
		uint8_t rk[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(rk, t->id, handles[r]);
		kv_err e = t->handle_col >= 0
					   ? kv_txn_insert(env->txn, rk, sizeof rk, (const uint8_t *) vals[r].data, vals[r].len, err)
					   : kv_txn_set(env->txn, rk, sizeof rk, (const uint8_t *) vals[r].data, vals[r].len, err);
		if (e == KV_ERR_KEY_EXISTS) {
			st = dup_error(&w->ctx, t, 0, row, err);
			break;
		}
		if (e != KV_OK) {
			st = CM_ERROR;
			break;
		}
		for (int i = 0; i < nidx; i++) {
			const cat_index *ix = &t->indexes[i];
			if (is_handle_index(t, ix))
				continue;
			cm_buf_reset(&k);
			cm_buf_reset(&v);
			bool uq;
			if ((st = cat_index_entry(a, t, ix, row, handles[r], &k, &v, &uq, err)) != CM_OK)
				break;
			e = uq ? kv_txn_insert(env->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err)
				   : kv_txn_set(env->txn, (const uint8_t *) k.data, k.len, (const uint8_t *) v.data, v.len, err);
			if (e == KV_ERR_KEY_EXISTS) {
				st = dup_error(&w->ctx, t, ix->id, row, err);
				break;
			}
			if (e != KV_OK) {
				st = CM_ERROR;
				break;
			}
		}
		w->count++;
	}
	for (int r = 0; r < n; r++)
		cm_buf_free(&vals[r]);
	cm_buf_free(&k);
	cm_buf_free(&v);
	w->n = 0;
	cm_arena_reset(a);
	return st;
}

/* ---- execution -------------------------------------------------------------------------- */

typedef struct retbuf {
	cm_arena *a;
	int ncols;
	int n, cap;
	sem_datum *rows;
} retbuf;

static cm_status ret_add(retbuf *rb, sem_ctx *ctx, const pl_modify *m, const sem_datum *row, const sem_datum *params,
						 cm_error *err)
{
	if (m->nret == 0)
		return CM_OK;
	if (rb->n == rb->cap) {
		int nc = rb->cap ? rb->cap * 2 : 16;
		sem_datum *nr = cm_new_array(rb->a, sem_datum, (size_t) nc * (size_t) m->nret);
		if (rb->n)
			memcpy(nr, rb->rows, sizeof(sem_datum) * (size_t) rb->n * (size_t) m->nret);
		rb->rows = nr;
		rb->cap = nc;
	}
	sem_datum *out = &rb->rows[(size_t) rb->n * (size_t) m->nret];
	for (int c = 0; c < m->nret; c++) {
		sem_datum d;
		if (sem_eval(ctx, m->ret[c], row, params, &d, err) != CM_OK)
			return CM_ERROR;
		ex_datum_copy(rb->a, m->ret[c]->type.oid, &d, &out[c]);
	}
	rb->n++;
	return CM_OK;
}

/* Pull every row of op into a row store (the source is read to the end
 * before anything is written). */
static cm_status drain(ex_op *op, ex_rowstore *rs, cm_error *err)
{
	if (ex_open(op, err) != CM_OK)
		return CM_ERROR;
	cm_status st = ex_rowstore_fill(rs, op, err);
	ex_close(op);
	return st;
}

static bool tree_reads_tables(const pl_node *n)
{
	if (!n)
		return false;
	if (n->kind == PL_SCAN)
		return true;
	return tree_reads_tables(n->left) || tree_reads_tables(n->right);
}

/* ON CONFLICT: the existing row a new row conflicts with (*h, row), if any. */
static cm_status find_conflict(cm_arena *a, pl_env *env, const pl_modify *m, const sem_datum *row, bool *found,
							   int64_t *h, sem_datum *existing, cm_error *err)
{
	const cat_table *t = m->t;
	*found = false;
	if (t->handle_col >= 0 && (m->oc_index == 0 || m->oc_index == -1) && !row[t->handle_col].isnull) {
		uint8_t k[KV_RECORD_KEY_LEN];
		kv_record_key_fixed(k, t->id, row[t->handle_col].v.i);
		bool exists;
		if (lock_check(a, env, k, sizeof k, &exists, err) != CM_OK)
			return CM_ERROR;
		if (cat_row_get(env->txn, a, t, row[t->handle_col].v.i, existing, found, err) != CM_OK)
			return CM_ERROR;
		if (*found) {
			*h = row[t->handle_col].v.i;
			return CM_OK;
		}
	}
	for (int i = 0; i < t->nindexes; i++) {
		const cat_index *ix = &t->indexes[i];
		if (!ix->unique || is_handle_index(t, ix) || (m->oc_index > 0 && ix->id != m->oc_index) || m->oc_index == 0)
			continue;
		sem_datum *vals = cm_new_array(a, sem_datum, ix->ncols + 1);
		bool anynull = false;
		for (int k = 0; k < ix->ncols; k++) {
			int pos;
			sql_cat_column_by_id(t, ix->col_ids[k], &pos);
			vals[k] = row[pos];
			anynull |= row[pos].isnull;
		}
		if (anynull)
			continue;
		cm_buf kb;
		cm_buf_init(&kb);
		bool exists;
		cm_status st = cat_index_key_prefix(a, t, ix, vals, ix->ncols, &kb, err);
		if (st == CM_OK)
			st = lock_check(a, env, (const uint8_t *) kb.data, kb.len, &exists, err);
		cm_buf_free(&kb);
		if (st != CM_OK)
			return CM_ERROR;
		int64_t hh;
		bool f;
		if (cat_index_get_unique(env->txn, a, t, ix, vals, &hh, &f, err) != CM_OK)
			return CM_ERROR;
		if (f && cat_row_get(env->txn, a, t, hh, existing, found, err) != CM_OK)
			return CM_ERROR;
		if (*found) {
			*h = hh;
			return CM_OK;
		}
	}
	return CM_OK;
}

static cm_status exec_insert(pl_modify *m, ex_state *st, pl_env *env, sem_ctx *ctx, retbuf *rb, int64_t *count,
							 cm_error *err)
{
	const cat_table *t = m->t;
	cm_arena *a = st->arena;
	ex_op *src;
	if (pl_build(st, m->src, &src, err) != CM_OK)
		return CM_ERROR;
	pl_writer *w = writer_for(a, ctx, env, &m->ti, st->params);
	sem_datum *row = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *both = cm_new_array(a, sem_datum, 2 * t->ncols + 1);
	cm_arena *rowa = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, rowa);
	sem_ctx rctx = *ctx;
	rctx.arena = rowa;
	rctx.exec = st;
	/* a source that reads tables is read completely before the first write */
	ex_rowstore rs;
	bool materialise = tree_reads_tables(m->src) || m->oc != OC_NONE;
	ex_rowstore_init(&rs, st, src->ncols, src->types, "INSERT source");
	if (materialise && drain(src, &rs, err) != CM_OK)
		return CM_ERROR;
	int64_t pos = 0;
	if (!materialise && ex_open(src, err) != CM_OK)
		return CM_ERROR;
	int64_t rowno = 0;
	for (;;) {
		ex_batch *b = NULL;
		int nb;
		if (materialise) {
			nb = (int) (rs.n - pos);
			if (nb > EX_BATCH_ROWS)
				nb = EX_BATCH_ROWS;
		} else {
			if (ex_next(src, &b, err) != CM_OK)
				return CM_ERROR;
			nb = b ? b->nrows : 0;
		}
		if (nb == 0)
			break;
		for (int r = 0; r < nb; r++) {
			const sem_datum *in = materialise ? rs.rows[pos + r] : ex_row(b, r);
			cm_arena_reset(rowa);
			/* source columns first: defaults of the others may not see them, as in PostgreSQL */
			for (int c = 0; c < m->nsrc; c++)
				row[m->src_slot[c]] = in[c];
			if (pl_writer_defaults(w, m->given, row, err) != CM_OK)
				return CM_ERROR;
			rowno++;
			if (m->oc == OC_NONE) {
				if (m->nret && check_row(&rctx, &m->ti, row, st->params, err) != CM_OK)
					return CM_ERROR;
				if (pl_writer_add(w, row, err) != CM_OK)
					return CM_ERROR;
				if (ret_add(rb, &rctx, m, row, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			/* ON CONFLICT: row by row */
			bool found;
			int64_t h = 0;
			sem_datum *existing = both;
			if (find_conflict(rowa, env, m, row, &found, &h, existing, err) != CM_OK)
				return CM_ERROR;
			if (!found) {
				if (pl_writer_add(w, row, err) != CM_OK || pl_writer_flush(w, err) != CM_OK)
					return CM_ERROR;
				if (ret_add(rb, &rctx, m, row, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			if (m->oc == OC_NOTHING)
				continue;
			memcpy(both + t->ncols, row, sizeof(sem_datum) * (size_t) t->ncols);
			if (m->oc_where) {
				sem_datum ok;
				if (sem_eval(&rctx, m->oc_where, both, st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			sem_datum *nr = cm_new_array(rowa, sem_datum, t->ncols + 1);
			memcpy(nr, existing, sizeof(sem_datum) * (size_t) t->ncols);
			for (int i = 0; i < m->oc_nset; i++)
				if (sem_eval(&rctx, m->oc_set[i], both, st->params, &nr[m->oc_set_slot[i]], err) != CM_OK)
					return CM_ERROR;
			int64_t nh;
			if (write_update(&rctx, rowa, env, &m->ti, h, existing, nr, st->params, true, &nh, err) != CM_OK)
				return CM_ERROR;
			(*count)++;
			if (ret_add(rb, &rctx, m, nr, st->params, err) != CM_OK)
				return CM_ERROR;
		}
		pos += nb;
	}
	if (!materialise)
		ex_close(src);
	if (pl_writer_flush(w, err) != CM_OK)
		return CM_ERROR;
	*count += pl_writer_count(w);
	return CM_OK;
}

static int cmp_handle_row(const void *a, const void *b)
{
	int64_t x = (*(sem_datum *const *) a)[0].v.i, y = (*(sem_datum *const *) b)[0].v.i;
	return x < y ? -1 : x > y;
}

static cm_status exec_update_delete(pl_modify *m, ex_state *st, pl_env *env, sem_ctx *ctx, retbuf *rb,
									int64_t *count, cm_error *err)
{
	const cat_table *t = m->t;
	cm_arena *a = st->arena;
	ex_op *src;
	if (pl_build(st, m->src, &src, err) != CM_OK)
		return CM_ERROR;
	ex_rowstore rs;
	ex_rowstore_init(&rs, st, src->ncols, src->types, m->verb);
	if (drain(src, &rs, err) != CM_OK)
		return CM_ERROR;
	if (rs.n == 0)
		return CM_OK;
	/* one change per row, in handle order */
	qsort(rs.rows, (size_t) rs.n, sizeof(sem_datum *), cmp_handle_row);
	int64_t nrows = 0;
	for (int64_t i = 0; i < rs.n; i++)
		if (nrows == 0 || rs.rows[i][0].v.i != rs.rows[nrows - 1][0].v.i)
			rs.rows[nrows++] = rs.rows[i];
	cm_arena *ba = cm_arena_create(0);
	cm_arena_on_reset(a, (cm_cleanup_fn) cm_arena_destroy, ba);
	sem_ctx rctx = *ctx;
	rctx.exec = st;
	sem_datum *old = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *snap = cm_new_array(a, sem_datum, t->ncols + 1);
	sem_datum *nr = cm_new_array(a, sem_datum, t->ncols + 1);
	for (int64_t base = 0; base < nrows; base += WRITE_BATCH) {
		int n = (int) (nrows - base > WRITE_BATCH ? WRITE_BATCH : nrows - base);
		cm_arena_reset(ba);
		rctx.arena = ba;
		int64_t *hs = cm_new_array(ba, int64_t, n);
		for (int i = 0; i < n; i++)
			hs[i] = rs.rows[base + i][0].v.i;
		kv_value *res = cm_new_array(ba, kv_value, n);
		if (pl_lock_rows(ba, env, t, hs, n, 0, res, err) != CM_OK)
			return CM_ERROR;
		for (int i = 0; i < n; i++) {
			const sem_datum *src_row = rs.rows[base + i];
			if (!res[i].found)
				continue;		/* deleted concurrently */
			if (cat_row_decode(ba, t, res[i].data, res[i].len, hs[i], old, err) != CM_OK)
				return CM_ERROR;
			/* did the row change after our snapshot? */
			int vc = 1;
			bool changed = false;
			for (int c = 0; c < t->ncols; c++) {
				memset(&snap[c], 0, sizeof snap[c]);
				snap[c].isnull = true;
				if (t->cols[c].dropped)
					continue;
				snap[c] = src_row[vc++];
				if (!ex_datum_eq(t->cols[c].type.oid, &snap[c], &old[c]))
					changed = true;
			}
			if (changed && m->recheck && m->where_local) {
				sem_datum ok;
				if (sem_eval(&rctx, m->where_local, old, st->params, &ok, err) != CM_OK)
					return CM_ERROR;
				if (ok.isnull || !ok.v.b)
					continue;
			}
			if (m->kind == MOD_DELETE) {
				if (delete_row(&rctx, ba, env, t, hs[i], old, 0, err) != CM_OK)
					return CM_ERROR;
				(*count)++;
				if (ret_add(rb, &rctx, m, old, st->params, err) != CM_OK)
					return CM_ERROR;
				continue;
			}
			memcpy(nr, old, sizeof(sem_datum) * (size_t) t->ncols);
			for (int s = 0; s < m->nset; s++) {
				if (m->set_local[s]) {
					if (sem_eval(&rctx, m->set_local[s], old, st->params, &nr[m->set_slot[s]], err) != CM_OK)
						return CM_ERROR;
				} else
					nr[m->set_slot[s]] = src_row[m->set_src[s]];
			}
			int64_t nh;
			if (write_update(&rctx, ba, env, &m->ti, hs[i], old, nr, st->params, true, &nh, err) != CM_OK)
				return CM_ERROR;
			(*count)++;
			if (ret_add(rb, &rctx, m, nr, st->params, err) != CM_OK)
				return CM_ERROR;
		}
	}
	return CM_OK;
}

static ex_state *modify_state(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env)
{
	ex_state *st = ex_state_new(ctx, params, m->nxparams, m->nsubplans);
	st->env = env;
	return st;
}

cm_status pl_modify_exec(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env, cm_arena *out_arena,
						 sem_datum **rows, int *nrows, int64_t *count, cm_error *err)
{
	if (m->nparams > 0 && !params)
		return cm_error_set(err, CM_E_PROTOCOL_VIOLATION,
							"bind message supplies 0 parameters, but prepared statement requires %d", m->nparams);
	if (!env || !env->txn)
		return cm_error_set(err, CM_E_INTERNAL_ERROR, "%s outside a transaction", m->verb);
	cm_arena *a = cm_arena_create(0);
	sem_ctx sctx = *ctx;
	sctx.arena = a;
	ex_state *st = modify_state(m, &sctx, params, env);
	retbuf rb = {out_arena, m->nret, 0, 0, NULL};
	*count = 0;
	kv_savepoint sp = kv_txn_savepoint(env->txn);
	cm_status s = m->kind == MOD_INSERT ? exec_insert(m, st, env, &st->ctx, &rb, count, err)
										: exec_update_delete(m, st, env, &st->ctx, &rb, count, err);
	if (s != CM_OK) {
		/* the statement leaves nothing behind */
		cm_error e2 = {0};
		if (kv_txn_rollback_to(env->txn, sp, &e2) != KV_OK)
			cm_error_clear(&e2);
	}
	kv_txn_release(env->txn, sp);
	cm_arena_destroy(a);
	*rows = rb.rows;
	*nrows = rb.n;
	return s;
}

/* ---- EXPLAIN -------------------------------------------------------------------------- */

cm_status pl_modify_explain(pl_modify *m, sem_ctx *ctx, const sem_datum *params, pl_env *env, bool analyze,
							cm_buf *out, cm_error *err)
{
	cm_buf_printf(out, "%s on %s\n", m->kind == MOD_INSERT ? "Insert" : m->kind == MOD_UPDATE ? "Update" : "Delete",
				  m->t->name);
	if (m->src && m->src->kind != PL_RESULT)
		pl_explain_node(m->src, 8, out);
	if (analyze) {
		sem_datum *rows;
		int nrows;
		int64_t count;
		if (pl_modify_exec(m, ctx, params, env, ctx->arena, &rows, &nrows, &count, err) != CM_OK)
			return CM_ERROR;
		cm_buf_printf(out, "Rows affected: %lld\n", (long long) count);
	}
	return CM_OK;
}

cm_status pl_explain_run(pl_plan *p, sem_ctx *ctx, const sem_datum *params, pl_env *env, bool analyze, cm_buf *out,
						 cm_error *err)
{
	if (!analyze) {
		pl_explain(p, out);
		return CM_OK;
	}
	return pl_explain_analyze(p, ctx, params, env, out, err);
}
