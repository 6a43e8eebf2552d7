/*
 * pl_dml.c -- INSERT / UPDATE / DELETE binding: pl_plan_modify builds a
 * pl_modify (target, source rows, SET, defaults and CHECKs bound over slot
 * rows, RETURNING, ON CONFLICT) and its accessors.  The rest of the DML
 * path lives in pl_dml_check.c, pl_dml_write.c and pl_dml_exec.c (map in
 * pl_dml_internal.h).  See pl_dml.h.
 *
 * Rows here are "slot rows": one datum per slot of the table
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
#include "sql/plan/pl_dml_internal.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"
#include "sql/sem/sem_type.h"

#define NODE(n, what) ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##what)
#define PL_MAX_PARAMS 65535
#define E_GENERATED_ALWAYS "428C9"

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
cm_status pl_dml_bind_tabinfo(pl_binder *b, const sql_cat_view *v, const cat_table *t, const char *alias, tabinfo *ti,
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
	if (pl_dml_bind_tabinfo(b, pl_env_get() ? pl_env_get()->view : NULL, t, alias, &m->ti, err) != CM_OK)
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
	if (pl_dml_bind_tabinfo(b, pl_env_get() ? pl_env_get()->view : NULL, t, alias, &m->ti, err) != CM_OK)
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
