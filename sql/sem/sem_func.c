/*
 * sem_func.c -- the registry of built-in functions and operators.
 *
 * Core tables (sem_builtins.c, sem_strfuncs.c) and the date/time table
 * (sem_dt_register_builtins) are merged once into one array sorted by name;
 * lookups binary-search it.  Ids are indexes into that array and therefore
 * stable for the life of the process.  See sem_func.h.
 */
#include "sql/sem/sem_func.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sem/sem_array.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_catfuncs.h"

static sem_builtin *reg;
static size_t nreg, capreg;
static pthread_once_t once = PTHREAD_ONCE_INIT;

void sem_register_builtins(const sem_builtin *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* replace an existing row with the same signature */
		bool replaced = false;
		for (size_t j = 0; j < nreg; j++) {
			if (strcmp(reg[j].name, list[i].name) == 0 && reg[j].nargs == list[i].nargs &&
				memcmp(reg[j].args, list[i].args, sizeof reg[j].args) == 0 &&
				(reg[j].flags & SEM_FN_VARIADIC) == (list[i].flags & SEM_FN_VARIADIC)) {
				reg[j] = list[i];
				replaced = true;
				break;
			}
		}
		if (replaced)
			continue;
		if (nreg == capreg) {
			capreg = capreg ? capreg * 2 : 512;
			sem_builtin *n2 = realloc(reg, capreg * sizeof *reg);
			if (!n2)
				abort();
			reg = n2;
		}
		reg[nreg++] = list[i];
	}
}

static int cmp_name(const void *a, const void *b)
{
	const sem_builtin *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (x->nargs != y->nargs)
		return x->nargs - y->nargs;
	return memcmp(x->args, y->args, sizeof x->args);
}

static void do_init(void)
{
	sem_register_core_builtins();
	sem_dt_register_builtins();
	sem_array_register_builtins();
	sem_cat_register_builtins();	/* [vcat] system-catalog functions, regex (sem_catfuncs.h) */
	qsort(reg, nreg, sizeof *reg, cmp_name);
}

void sem_func_init(void)
{
	pthread_once(&once, do_init);
}

static size_t first_with_name(const char *name)
{
	size_t lo = 0, hi = nreg;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(reg[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t sem_func_candidates(const char *name, int nargs, const sem_builtin **out, size_t max)
{
	sem_func_init();
	size_t total = 0;
	for (size_t i = first_with_name(name); i < nreg && strcmp(reg[i].name, name) == 0; i++) {
		const sem_builtin *b = &reg[i];
		bool ok = (b->flags & SEM_FN_VARIADIC) ? nargs >= b->nargs : nargs == b->nargs;
		if (!ok)
			continue;
		if (total < max)
			out[total] = b;
		total++;
	}
	return total;
}

bool sem_func_name_exists(const char *name)
{
	sem_func_init();
	size_t i = first_with_name(name);
	return i < nreg && strcmp(reg[i].name, name) == 0;
}

int sem_func_id(const sem_builtin *b)
{
	sem_func_init();
	if (b < reg || b >= reg + nreg)
		return -1;
	return (int) (b - reg);
}

const sem_builtin *sem_func_by_id(int id)
{
	sem_func_init();
	if (id < 0 || (size_t) id >= nreg)
		return NULL;
	return &reg[id];
}
