/*
 * copy.c -- COPY table [(columns)] FROM STDIN (text and CSV formats).
 *
 * The statement runs inside sql_dispatch_start: it sends CopyInResponse,
 * flushes, then reads the CopyData / CopyDone / CopyFail commands the
 * reader thread queues, straight from the StmtBuf.  The reader queued the
 * Sync of the Query (and, with the extended protocol, the client's Sync)
 * before the data, so the loop steps over other commands and finally puts
 * the cursor back on the COPY statement: the executor then completes it
 * ("COPY n"), runs that Sync, and ignores the CopyData commands it meets
 * afterwards (PostgreSQL ignores them outside COPY mode too).
 *
 * Input is parsed record by record from a buffer that collects the
 * CopyData payloads (records may span messages); rows go through the
 * table's writer (pl_writer: defaults, constraints, unique keys, indexes)
 * in batches.  Errors are PostgreSQL's: 22P04 for malformed data, the
 * input functions' errors for bad values, 57014 "COPY from stdin failed:
 * <message>" on CopyFail.  After an error the rest of the input up to
 * CopyDone/CopyFail is consumed, so the session stays in step.
 *
 * Exported (dml.h): sql_copy_prepare, sql_copy_start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/dml.h"
#include "sql/plan/pl_dml.h"
#include "sql/session.h"
#include "sql/stmtbuf.h"
#include "sql/sem/sem_io.h"

#define NODE(n, what) ((n) && (n)->node_case == PG_QUERY__NODE__NODE_##what)
#define E_BAD_COPY "22P04"

typedef struct copy_opts {
	bool csv;
	bool header;
	char delim;
	const char *null_str;
	char quote;
	char escape;
} copy_opts;

static cm_status defel_str(PgQuery__DefElem *de, const char **out, cm_error *err)
{
	if (de->arg && NODE(de->arg, STRING)) {
		*out = de->arg->string->sval;
		return CM_OK;
	}
	if (de->arg && NODE(de->arg, A_CONST) && de->arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		*out = de->arg->a_const->sval->sval;
		return CM_OK;
	}
	return cm_error_set(err, CM_E_SYNTAX_ERROR, "%s requires a string value", de->defname);
}

static bool defel_bool(PgQuery__DefElem *de)
{
	if (!de->arg)
		return true;
	if (NODE(de->arg, BOOLEAN))
		return de->arg->boolean->boolval;
	if (NODE(de->arg, INTEGER))
		return de->arg->integer->ival != 0;
	if (NODE(de->arg, A_CONST)) {
		PgQuery__AConst *c = de->arg->a_const;
		if (c->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return c->boolval->boolval;
		if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			return c->ival->ival != 0;
		if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			return strcasecmp(c->sval->sval, "false") && strcasecmp(c->sval->sval, "off") &&
				   strcmp(c->sval->sval, "0");
	}
	if (NODE(de->arg, STRING))
		return strcasecmp(de->arg->string->sval, "false") && strcasecmp(de->arg->string->sval, "off");
	return true;
}

static cm_status parse_opts(PgQuery__CopyStmt *cs, copy_opts *o, cm_error *err)
{
	memset(o, 0, sizeof *o);
	o->delim = '\t';
	o->null_str = "\\N";
	const char *d = NULL, *q = NULL, *e = NULL, *nul = NULL;
	for (size_t i = 0; i < cs->n_options; i++) {
		PgQuery__DefElem *de = cs->options[i]->def_elem;
		if (!de)
			continue;
		const char *n = de->defname;
		if (!strcmp(n, "format")) {
			const char *f;
			if (defel_str(de, &f, err) != CM_OK)
				return CM_ERROR;
			if (!strcasecmp(f, "csv"))
				o->csv = true;
			else if (!strcasecmp(f, "binary"))
				return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY BINARY is not supported");
			else if (strcasecmp(f, "text"))
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "COPY format \"%s\" not recognized", f);
		} else if (!strcmp(n, "csv"))
			o->csv = true;
		else if (!strcmp(n, "binary"))
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY BINARY is not supported");
		else if (!strcmp(n, "header"))
			o->header = defel_bool(de);
		else if (!strcmp(n, "delimiter")) {
			if (defel_str(de, &d, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(n, "null")) {
			if (defel_str(de, &nul, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(n, "quote")) {
			if (defel_str(de, &q, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(n, "escape")) {
			if (defel_str(de, &e, err) != CM_OK)
				return CM_ERROR;
		} else if (!strcmp(n, "freeze") || !strcmp(n, "encoding") || !strcmp(n, "oids")) {
			/* accepted; FREEZE means nothing to an MVCC store */
		} else
			return cm_error_set(err, CM_E_SYNTAX_ERROR, "option \"%s\" not recognized", n);
	}
	if (o->csv) {
		o->delim = ',';
		o->null_str = "";
		o->quote = '"';
	}
	if (d) {
		if (strlen(d) != 1)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY delimiter must be a single one-byte character");
		o->delim = d[0];
	}
	if (nul)
		o->null_str = nul;
	if (q) {
		if (!o->csv)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY quote available only in CSV mode");
		if (strlen(q) != 1)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY quote must be a single one-byte character");
		o->quote = q[0];
	}
	o->escape = o->quote;
	if (e) {
		if (!o->csv)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY escape available only in CSV mode");
		if (strlen(e) != 1)
			return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY escape must be a single one-byte character");
		o->escape = e[0];
	}
	return CM_OK;
}

cm_status sql_copy_prepare(sql_executor *ex, sql_prepared *p, cm_error *err)
{
	PgQuery__CopyStmt *cs = p->stmt->copy_stmt;
	p->kind = SQL_SK_SHOW;
	p->tag = "COPY";
	p->ncols = 0;
	if (!cs->is_from)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY TO is not supported yet");
	if (cs->is_program || (cs->filename && cs->filename[0]))
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY from a file or program is not supported; use COPY FROM STDIN");
	if (!cs->relation)
		return cm_error_set(err, CM_E_SYNTAX_ERROR, "COPY FROM requires a table");
	if (cs->where_clause)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY FROM ... WHERE is not supported");
	copy_opts o;
	return parse_opts(cs, &o, err);
}

/* ---- record parsing ---- */

typedef struct copy_state {
	sql_executor *ex;
	copy_opts o;
	const cat_table *t;
	pl_writer *w;
	sem_ctx ctx;
	cm_arena *rowa;
	int ncols;
	int *slots;				/* input field i -> slot */
	bool *given;
	sem_datum *row;
	cm_buf pending;
	cm_buf field;
	int64_t line;
	bool header_done;
	bool eof;				/* saw \. */
	int nfields, capfields;
	char **fields;			/* NULL = SQL NULL */
	size_t *flens;
} copy_state;

static void add_field(copy_state *c, const char *p, size_t n, bool isnull)
{
	if (c->nfields == c->capfields) {
		c->capfields = c->capfields ? c->capfields * 2 : 16;
		c->fields = realloc(c->fields, sizeof(char *) * (size_t) c->capfields);
		c->flens = realloc(c->flens, sizeof(size_t) * (size_t) c->capfields);
		if (!c->fields || !c->flens)
			abort();
	}
	c->fields[c->nfields] = isnull ? NULL : cm_strndup(c->rowa, p, n);
	c->flens[c->nfields] = n;
	c->nfields++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

/* Split one text-format line (without its newline) into fields. */
static void split_text(copy_state *c, const char *s, size_t n)
{
	size_t nl = strlen(c->o.null_str);
	size_t i = 0;
	for (;;) {
		cm_buf_reset(&c->field);
		size_t start = i;
		bool raw_null = false;
		while (i < n && s[i] != c->o.delim) {
			char ch = s[i];
			if (ch == '\\' && i + 1 < n) {
				char e = s[++i];
				switch (e) {
				case 'b': cm_buf_putc(&c->field, '\b'); break;
				case 'f': cm_buf_putc(&c->field, '\f'); break;
				case 'n': cm_buf_putc(&c->field, '\n'); break;
				case 'r': cm_buf_putc(&c->field, '\r'); break;
				case 't': cm_buf_putc(&c->field, '\t'); break;
				case 'v': cm_buf_putc(&c->field, '\v'); break;
				case 'x': {
					int v = 0, k = 0;
					while (k < 2 && i + 1 < n && hexval(s[i + 1]) >= 0) {
						v = v * 16 + hexval(s[++i]);
						k++;
					}
					if (k == 0)
						cm_buf_putc(&c->field, 'x');
					else
						cm_buf_putc(&c->field, (char) v);
					break;
				}
				default:
					if (e >= '0' && e <= '7') {
						int v = e - '0', k = 1;
						while (k < 3 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7') {
							v = v * 8 + (s[++i] - '0');
							k++;
						}
						cm_buf_putc(&c->field, (char) v);
					} else
						cm_buf_putc(&c->field, e);
				}
				i++;
				continue;
			}
			cm_buf_putc(&c->field, ch);
			i++;
		}
		/* NULL is matched against the raw (unescaped) text */
		raw_null = i - start == nl && memcmp(s + start, c->o.null_str, nl) == 0;
		add_field(c, c->field.data ? c->field.data : "", c->field.len, raw_null);
		if (i >= n)
			break;
		i++;	/* delimiter */
	}
}

/* Split one CSV record (quotes may hold delimiters and newlines). */
static void split_csv(copy_state *c, const char *s, size_t n)
{
	size_t nl = strlen(c->o.null_str);
	size_t i = 0;
	for (;;) {
		cm_buf_reset(&c->field);
		bool quoted = false;
		size_t start = i;
		while (i < n && s[i] != c->o.delim) {
			if (s[i] == c->o.quote) {
				quoted = true;
				i++;
				while (i < n) {
					if (s[i] == c->o.escape && i + 1 < n && s[i + 1] == c->o.quote) {
						cm_buf_putc(&c->field, c->o.quote);
						i += 2;
						continue;
					}
					if (s[i] == c->o.quote) {
						i++;
						break;
					}
					cm_buf_putc(&c->field, s[i++]);
				}
				continue;
			}
			cm_buf_putc(&c->field, s[i++]);
		}
		bool isnull = !quoted && i - start == nl && memcmp(s + start, c->o.null_str, nl) == 0;
		add_field(c, c->field.data ? c->field.data : "", c->field.len, isnull);
		if (i >= n)
			break;
		i++;
	}
}

/* Length of the next complete record in s[0..n) (excluding its line end)
 * and the bytes to consume; false if incomplete. */
static bool next_record(const copy_state *c, const char *s, size_t n, size_t *len, size_t *consume, bool final)
{
	bool inq = false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (c->o.csv && ch == c->o.quote)
			inq = !inq;
		else if (!c->o.csv && ch == '\\' && i + 1 < n) {
			i++;
			continue;
		} else if (!inq && (ch == '\n' || ch == '\r')) {
			*len = i;
			*consume = i + 1;
			if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
				*consume = i + 2;
			return true;
		}
	}
	if (final && n > 0) {
		*len = n;
		*consume = n;
		return true;
	}
	return false;
}

static cm_status copy_row(copy_state *c, const char *s, size_t n, cm_error *err)
{
	c->line++;
	if (n == 2 && s[0] == '\\' && s[1] == '.') {
		c->eof = true;
		return CM_OK;
	}
	if (c->o.header && !c->header_done) {
		c->header_done = true;
		return CM_OK;
	}
	cm_arena_reset(c->rowa);
	c->ctx.arena = c->rowa;
	c->nfields = 0;
	if (c->o.csv)
		split_csv(c, s, n);
	else
		split_text(c, s, n);
	if (c->ncols == 0 && c->nfields == 1 && c->fields[0] && c->flens[0] == 0)
		c->nfields = 0;
	if (c->nfields > c->ncols)
		return cm_error_set(err, E_BAD_COPY, "extra data after last expected column");
	if (c->nfields < c->ncols)
		return cm_error_set(err, E_BAD_COPY, "missing data for column \"%s\"", c->t->cols[c->slots[c->nfields]].name);
	for (int i = 0; i < c->ncols; i++) {
		sem_datum *d = &c->row[c->slots[i]];
		memset(d, 0, sizeof *d);
		if (!c->fields[i]) {
			d->isnull = true;
			continue;
		}
		if (sem_in_text(&c->ctx, c->t->cols[c->slots[i]].type, c->fields[i], c->flens[i], d, err) != CM_OK)
			return CM_ERROR;
	}
	if (pl_writer_defaults(c->w, c->given, c->row, err) != CM_OK)
		return CM_ERROR;
	return pl_writer_add(c->w, c->row, err);
}

static cm_status copy_feed(copy_state *c, bool final, cm_error *err)
{
	size_t off = 0;
	while (!c->eof) {
		size_t len, consume;
		const char *base = c->pending.data + off;
		if (!next_record(c, base, c->pending.len - off, &len, &consume, final))
			break;
		if (copy_row(c, base, len, err) != CM_OK)
			return CM_ERROR;
		off += consume;
	}
	if (off)
		cm_buf_consume(&c->pending, off);
	return CM_OK;
}

/* Consume commands up to CopyDone / CopyFail (or the end of the session). */
static void skip_rest(sql_executor *ex, bool *closed)
{
	for (;;) {
		sql_cmd *cmd;
		(void) sql_stmtbuf_advance(ex->stmtbuf);
		if (sql_stmtbuf_cur(ex->stmtbuf, &cmd) != CM_OK) {
			*closed = true;
			return;
		}
		if (cmd->type == SQL_CMD_COPY_DONE || cmd->type == SQL_CMD_COPY_FAIL)
			return;
	}
}

cm_status sql_copy_start(sql_executor *ex, sql_portal *po, cm_error *err)
{
	PgQuery__CopyStmt *cs = po->prep->stmt->copy_stmt;
	if (ex->txn_read_only && ex->txn != SQL_TXN_NONE)
		return cm_error_set(err, CM_E_READ_ONLY_SQL_TRANSACTION, "cannot execute COPY FROM in a read-only transaction");
	if (!ex->comm->vt->copy_in_response)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "COPY FROM STDIN is not supported by this connection");
	copy_state c;
	memset(&c, 0, sizeof c);
	c.ex = ex;
	if (parse_opts(cs, &c.o, err) != CM_OK)
		return CM_ERROR;
	pl_env *env;
	if (sql_dml_env(ex, po, &env, err) != CM_OK)
		return CM_ERROR;
	cat_relation rel;
	bool found = false;
	const char *sch = cs->relation->schemaname && cs->relation->schemaname[0] ? cs->relation->schemaname : NULL;
	if (env->db && sql_cat_resolve_relation(env->view, env->db->id, &env->sp, sch, cs->relation->relname, &rel, NULL,
											&found, err) != CM_OK)
		return CM_ERROR;
	if (!found)
		return cm_error_set(err, CM_E_UNDEFINED_TABLE, "relation \"%s\" does not exist", cs->relation->relname);
	if (rel.relkind != 'r')
		return cm_error_set(err, CM_E_WRONG_OBJECT_TYPE, "cannot copy to non-table relation \"%s\"", cs->relation->relname);
	const cat_table *t = c.t = rel.table;
	c.ctx = po->sem;
	c.rowa = cm_arena_create(0);
	cm_arena_on_reset(po->arena, (cm_cleanup_fn) cm_arena_destroy, c.rowa);
	c.slots = cm_new_array(po->arena, int, t->ncols + (int) cs->n_attlist + 1);
	c.given = cm_new_array(po->arena, bool, t->ncols + 1);
	c.row = cm_new_array(po->arena, sem_datum, t->ncols + 1);
	if (cs->n_attlist) {
		for (size_t i = 0; i < cs->n_attlist; i++) {
			const char *name = NODE(cs->attlist[i], STRING) ? cs->attlist[i]->string->sval : "";
			int pos;
			if (!sql_cat_find_column(t, name, &pos))
				return cm_error_set(err, CM_E_UNDEFINED_COLUMN, "column \"%s\" of relation \"%s\" does not exist", name,
									t->name);
			if (c.given[pos])
				return cm_error_set(err, CM_E_DUPLICATE_COLUMN, "column \"%s\" specified more than once", name);
			c.given[pos] = true;
			c.slots[c.ncols++] = pos;
		}
	} else
		for (int i = 0; i < t->ncols; i++)
			if (!t->cols[i].dropped) {
				c.given[i] = true;
				c.slots[c.ncols++] = i;
			}
	if (pl_writer_new(po->arena, &po->sem, env, t, &c.w, err) != CM_OK)
		return CM_ERROR;
	kv_savepoint sp = kv_txn_savepoint(env->txn);
	cm_buf_init(&c.pending);
	cm_buf_init(&c.field);

	ex->comm->vt->copy_in_response(ex->comm, 0, c.ncols);
	if (ex->comm->vt->flush(ex->comm) != CM_OK) {
		cm_buf_free(&c.pending);
		cm_buf_free(&c.field);
		return cm_error_set(err, CM_E_CONNECTION_FAILURE, "could not send data to client");
	}
	int64_t home = sql_stmtbuf_cur_pos(ex->stmtbuf);
	cm_status st = CM_OK;
	bool closed = false, done = false;
	while (!done) {
		sql_cmd *cmd;
		(void) sql_stmtbuf_advance(ex->stmtbuf);
		if (sql_stmtbuf_cur(ex->stmtbuf, &cmd) != CM_OK) {
			closed = true;
			st = cm_error_set(err, CM_E_CONNECTION_FAILURE, "unexpected EOF on client connection with an open transaction");
			break;
		}
		switch (cmd->type) {
		case SQL_CMD_COPY_DATA:
			if (c.eof)
				break;
			cm_buf_append(&c.pending, cmd->u.copy.data, cmd->u.copy.len);
			st = copy_feed(&c, false, err);
			break;
		case SQL_CMD_COPY_DONE:
			st = copy_feed(&c, true, err);
			if (st == CM_OK)
				st = pl_writer_flush(c.w, err);
			done = true;
			break;
		case SQL_CMD_COPY_FAIL:
			st = cm_error_set(err, CM_E_QUERY_CANCELED, "COPY from stdin failed: %s", cmd->u.copy.data ? cmd->u.copy.data : "");
			done = true;
			break;
		default:
			/* Sync / Flush during COPY IN: ignored, as PostgreSQL does */
			break;
		}
		if (st != CM_OK) {
			if (!done)
				skip_rest(ex, &closed);
			break;
		}
	}
	free(c.fields);
	free(c.flens);
	cm_buf_free(&c.pending);
	cm_buf_free(&c.field);
	if (!closed)
		sql_stmtbuf_rewind(ex->stmtbuf, home);
	if (st != CM_OK) {
		cm_error e2 = {0};
		if (kv_txn_rollback_to(env->txn, sp, &e2) != KV_OK)
			cm_error_clear(&e2);
		kv_txn_release(env->txn, sp);
		return CM_ERROR;
	}
	kv_txn_release(env->txn, sp);
	snprintf(po->tag, sizeof(po->tag), "COPY %lld", (long long) pl_writer_count(c.w));
	return CM_OK;
}
