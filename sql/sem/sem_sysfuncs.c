/*
 * sem_sysfuncs.c -- session and system functions: version(),
 * current_database(), current_user, current_setting(), set_config(), pg_backend_pid(),
 * pg_sleep(), random(), gen_random_uuid(), num_nulls() ...
 *
 * Values come from the sem_ctx the executor filled for the statement;
 * nothing here reads process-global state except the clock and the random
 * generator (per thread).
 */
#include <math.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/cm_version.h"
#include "sql/sem/sem_builtins.h"
#include "sql/sem/sem_io.h"

#ifndef PGKV_VERSION
#define PGKV_VERSION "0.1.0"
#endif

#define ARGS sem_ctx *ctx, int nargs, const sem_datum *args, sem_datum *out, cm_error *err

static cm_status ret_cstr(sem_ctx *ctx, sem_datum *out, const char *s)
{
	if (!s) {
		out->isnull = true;
		return CM_OK;
	}
	sem_set_str(ctx->arena, out, s, strlen(s));
	return CM_OK;
}

static cm_status f_version(ARGS)
{
	return ret_cstr(ctx, out, "PostgreSQL " PGKV_PG_VERSION " (pgkv " PGKV_VERSION ") on x86_64-pc-linux-gnu, compiled by gcc, 64-bit");
}
static cm_status f_current_database(ARGS) { return ret_cstr(ctx, out, ctx->database ? ctx->database : "postgres"); }
static cm_status f_current_schema(ARGS) { return ret_cstr(ctx, out, ctx->search_path_first); }
static cm_status f_current_user(ARGS) { return ret_cstr(ctx, out, ctx->user ? ctx->user : "postgres"); }
static cm_status f_backend_pid(ARGS)
{
	out->isnull = false;
	out->v.i = ctx->backend_pid;
	return CM_OK;
}

static cm_status setting_common(ARGS, bool missing_ok)
{
	char *name = cm_strndup(ctx->arena, args[0].v.s.p, args[0].v.s.len);
	const char *v = ctx->get_setting ? ctx->get_setting(ctx->session, name) : NULL;
	if (!v) {
		if (missing_ok) {
			out->isnull = true;
			return CM_OK;
		}
		return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "unrecognized configuration parameter \"%s\"", name);
	}
	return ret_cstr(ctx, out, v);
}
static cm_status f_current_setting(ARGS) { return setting_common(ctx, nargs, args, out, err, false); }
static cm_status f_current_setting2(ARGS) { return setting_common(ctx, nargs, args, out, err, args[1].v.b); }

/* set_config(name, value, is_local): SET [LOCAL] name = value (RESET when
 * value is NULL) and the new current value.  Not strict: a NULL is_local
 * means false, as in PostgreSQL. */
static cm_status f_set_config(ARGS)
{
	(void) nargs;
	if (args[0].isnull)
		return cm_error_set(err, CM_E_NULL_VALUE_NOT_ALLOWED, "SET requires parameter name");
	if (!ctx->set_setting)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED, "set_config is not available here");
	char *name = cm_strndup(ctx->arena, args[0].v.s.p, args[0].v.s.len);
	char *value = args[1].isnull ? NULL : cm_strndup(ctx->arena, args[1].v.s.p, args[1].v.s.len);
	bool is_local = !args[2].isnull && args[2].v.b;
	if (ctx->set_setting(ctx->session, name, value, is_local, err) != CM_OK)
		return CM_ERROR;
	return ret_cstr(ctx, out, ctx->get_setting ? ctx->get_setting(ctx->session, name) : value);
}

static cm_status f_pg_sleep(ARGS)
{
	double secs = args[0].v.f;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (ctx->cancel && *ctx->cancel)
			return cm_error_set(err, CM_E_QUERY_CANCELED, "canceling statement due to user request");
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double) (now.tv_sec - start.tv_sec) + (double) (now.tv_nsec - start.tv_nsec) / 1e9;
		double left = secs - el;
		if (!(left > 0))
			break;
		double slice = left < 0.01 ? left : 0.01;
		struct timespec ts = {(time_t) slice, (long) ((slice - (double) (time_t) slice) * 1e9)};
		nanosleep(&ts, NULL);
	}
	out->isnull = false;
	out->v.i = 0;
	return CM_OK;
}

/* xoshiro256** per thread, seeded from the kernel */
static __thread uint64_t rng[4];
static __thread bool rng_seeded;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(void)
{
	if (!rng_seeded) {
		if (getrandom(rng, sizeof rng, 0) != (ssize_t) sizeof rng) {
			rng[0] = (uint64_t) time(NULL) ^ 0x9E3779B97F4A7C15ull;
			rng[1] = (uint64_t) (uintptr_t) &rng_seeded;
			rng[2] = 0x1234567;
			rng[3] = 0x89abcdef;
		}
		rng_seeded = true;
	}
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return r;
}

static cm_status f_random(ARGS)
{
	out->isnull = false;
	out->v.f = (double) (rng_next() >> 11) * 0x1.0p-53;
	return CM_OK;
}

static cm_status f_gen_random_uuid(ARGS)
{
	out->isnull = false;
	uint64_t a = rng_next(), b = rng_next();
	memcpy(out->v.uuid, &a, 8);
	memcpy(out->v.uuid + 8, &b, 8);
	out->v.uuid[6] = (uint8_t) ((out->v.uuid[6] & 0x0f) | 0x40);
	out->v.uuid[8] = (uint8_t) ((out->v.uuid[8] & 0x3f) | 0x80);
	return CM_OK;
}

static cm_status f_num_nulls(ARGS)
{
	int n = 0;
	for (int i = 0; i < nargs; i++)
		n += args[i].isnull;
	out->isnull = false;
	out->v.i = n;
	return CM_OK;
}
static cm_status f_num_nonnulls(ARGS)
{
	int n = 0;
	for (int i = 0; i < nargs; i++)
		n += !args[i].isnull;
	out->isnull = false;
	out->v.i = n;
	return CM_OK;
}

#define S SEM_FN_STRICT
#define ST SEM_FN_STABLE
#define V SEM_FN_VOLATILE

static const sem_builtin sysfuncs[] = {
	{"version", 0, {0}, SEM_TEXTOID, S | ST, f_version},
	{"current_database", 0, {0}, SEM_NAMEOID, S | ST, f_current_database},
	{"current_catalog", 0, {0}, SEM_NAMEOID, S | ST, f_current_database},
	{"current_schema", 0, {0}, SEM_NAMEOID, S | ST, f_current_schema},
	{"current_user", 0, {0}, SEM_NAMEOID, S | ST, f_current_user},
	{"current_role", 0, {0}, SEM_NAMEOID, S | ST, f_current_user},
	{"session_user", 0, {0}, SEM_NAMEOID, S | ST, f_current_user},
	{"user", 0, {0}, SEM_NAMEOID, S | ST, f_current_user},
	{"current_setting", 1, {SEM_TEXTOID}, SEM_TEXTOID, S | ST, f_current_setting},
	{"current_setting", 2, {SEM_TEXTOID, SEM_BOOLOID}, SEM_TEXTOID, S | ST, f_current_setting2},
	{"set_config", 3, {SEM_TEXTOID, SEM_TEXTOID, SEM_BOOLOID}, SEM_TEXTOID, V, f_set_config},
	{"pg_backend_pid", 0, {0}, SEM_INT4OID, S | ST, f_backend_pid},
	{"pg_sleep", 1, {SEM_FLOAT8OID}, SEM_VOIDOID, S | V, f_pg_sleep},
	{"random", 0, {0}, SEM_FLOAT8OID, S | V, f_random},
	{"gen_random_uuid", 0, {0}, SEM_UUIDOID, S | V, f_gen_random_uuid},
	{"num_nulls", 1, {SEM_ANYOID}, SEM_INT4OID, SEM_FN_VARIADIC, f_num_nulls},
	{"num_nonnulls", 1, {SEM_ANYOID}, SEM_INT4OID, SEM_FN_VARIADIC, f_num_nonnulls},
};

void sem_register_sys_builtins(void)
{
	sem_register_builtins(sysfuncs, sizeof sysfuncs / sizeof sysfuncs[0]);
}
