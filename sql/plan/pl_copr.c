/*
 * pl_copr.c -- coprocessor pushdown (placeholder until the DAG planner lands).
 */
#include "sql/plan/pl_table.h"

cm_status pl_copr_try(pl_binder *b, pl_node **np, bool *done, cm_error *err)
{
	*done = false;
	return CM_OK;
}

cm_status pl_copr_build(const pl_scanspec *spec, ex_state *st, ex_op **out, cm_error *err)
{
	return pl_build(st, spec->fallback, out, err);
}

void pl_copr_explain(const pl_scanspec *spec, int indent, cm_buf *out)
{
}
