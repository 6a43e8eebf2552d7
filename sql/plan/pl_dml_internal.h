/*
 * pl_dml_internal.h -- what the files of INSERT / UPDATE / DELETE share
 * (not for use outside sql/plan/pl_dml*.c; the public interface is
 * pl_dml.h).
 *
 *   pl_dml.c         binding: pl_plan_modify, defaults and CHECKs (tabinfo)
 *   pl_dml_check.c   NOT NULL / CHECK, unique-violation texts, foreign keys
 *   pl_dml_write.c   writing rows: delete, update, the batched insert
 *                    writer shared with COPY (pl_writer_*)
 *   pl_dml_exec.c    pl_modify_exec (INSERT incl. ON CONFLICT, UPDATE,
 *                    DELETE with re-checks), EXPLAIN
 *
 * Rows are "slot rows": one datum per slot of the table descriptor
 * (dropped columns included, always NULL), the layout of the row codec
 * (cat_rowcodec.h).
 */
#ifndef PGKV_PL_DML_INTERNAL_H
#define PGKV_PL_DML_INTERNAL_H

#include "sql/exec/ex_internal.h"
#include "sql/plan/pl_dml.h"

#define WRITE_BATCH 1024		/* rows per insert-writer flush and per UPDATE/DELETE lock batch */

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

/* ---- pl_dml.c ---- */

/* Bind the defaults and CHECK constraints of t into ti (b->arena). */
CM_MUST_CHECK cm_status pl_dml_bind_tabinfo(pl_binder *b, const sql_cat_view *v, const cat_table *t, const char *alias,
											tabinfo *ti, cm_error *err);

/* ---- pl_dml_check.c ---- */

/* NOT NULL and CHECK constraints of ti over row: 23502 / 23514. */
CM_MUST_CHECK cm_status pl_dml_check_row(sem_ctx *ctx, const tabinfo *ti, const sem_datum *row,
										 const sem_datum *params, cm_error *err);
/* Set 23505 for row on the unique key index_id (0 = the int handle);
 * returns CM_ERROR. */
cm_status pl_dml_dup_error(sem_ctx *ctx, const cat_table *t, int64_t index_id, const sem_datum *row, cm_error *err);
/* FKs of t (as child) for a new row (old NULL) or a changed one: 23503. */
CM_MUST_CHECK cm_status pl_dml_fk_check_child(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t,
											  const sem_datum *row, const sem_datum *old, cm_error *err);
/* t's row old goes away (newrow NULL) or changes: ON DELETE / ON UPDATE
 * actions on the referencing rows, or 23503. */
CM_MUST_CHECK cm_status pl_dml_fk_check_parent(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t,
											   const sem_datum *old, const sem_datum *newrow, int depth, cm_error *err);
bool pl_dml_has_fk_refs(const sql_cat_view *v, const cat_table *t);	/* some FK points at t */
bool pl_dml_has_fk(const cat_table *t);								/* t has an FK */

/* ---- pl_dml_write.c ---- */

bool pl_dml_is_handle_index(const cat_table *t, const cat_index *ix);	/* the PK that is the int handle */
/* Lock key with check_existence: *exists when a committed row has it. */
CM_MUST_CHECK cm_status pl_dml_lock_check(cm_arena *a, pl_env *env, const uint8_t *k, size_t kl, bool *exists,
										  cm_error *err);
/* Remove row h of t (record and index entries; FK actions first). */
CM_MUST_CHECK cm_status pl_dml_delete_row(sem_ctx *ctx, cm_arena *a, pl_env *env, const cat_table *t, int64_t h,
										  const sem_datum *row, int depth, cm_error *err);
/* Write an updated row (old at handle h -> row); check: NOT NULL / CHECK /
 * FK.  *newh is the row's handle afterwards. */
CM_MUST_CHECK cm_status pl_dml_write_update(sem_ctx *ctx, cm_arena *a, pl_env *env, const tabinfo *ti, int64_t h,
											const sem_datum *old, sem_datum *row, const sem_datum *params, bool check,
											int64_t *newh, cm_error *err);
/* An insert writer over an already bound tabinfo (INSERT's own). */
pl_writer *pl_dml_writer_for(cm_arena *a, sem_ctx *ctx, pl_env *env, const tabinfo *ti, const sem_datum *params);

#endif /* PGKV_PL_DML_INTERNAL_H */
