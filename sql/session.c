/*
 * session.c -- settings, identity and transactional undo (see session.h).
 *
 * The settings table below is the one list of everything SET/SHOW knows.
 * Values are kept in PostgreSQL's canonical text form (what SHOW prints);
 * typed copies (ms, bools) are derived on assignment.
 */
#include "sql/session.h"

#include "common/cm_version.h"
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/sem/sem_datetime.h"

typedef enum setting_kind {
	K_STRING,
	K_BOOL,
	K_INT,
	K_MS,		/* integer milliseconds, shown with the largest exact unit */
	K_KB,		/* integer kilobytes, shown as kB/MB/GB */
	K_ENUM,
} setting_kind;

#define F_REPORT 0x01	/* sent as ParameterStatus */
#define F_READONLY 0x02	/* SET refused: 55P02 */
#define F_LIST 0x04		/* list of identifiers (search_path) */
#define F_NOSHOW 0x08	/* not listed by SHOW ALL */

struct sql_session;
typedef cm_status (*check_fn)(struct sql_session *s, const char *in, char **canon, cm_error *err);

typedef struct setting_def {
	const char *name;
	setting_kind kind;
	unsigned flags;
	const char *boot;			/* default; NULL = computed */
	const char *const *enum_values;
	check_fn check;
	const char *desc;
	int64_t min, max;
} setting_def;

static cm_status check_datestyle(struct sql_session *, const char *, char **, cm_error *);
static cm_status check_timezone(struct sql_session *, const char *, char **, cm_error *);
static cm_status check_encoding(struct sql_session *, const char *, char **, cm_error *);
static cm_status check_isolation(struct sql_session *, const char *, char **, cm_error *);
static cm_status check_scs(struct sql_session *, const char *, char **, cm_error *);

static const char *const intervalstyles[] = {"postgres", "postgres_verbose", "sql_standard", "iso_8601", NULL};
static const char *const msglevels[] = {"debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error", NULL};
static const char *const bytea_outputs[] = {"escape", "hex", NULL};
static const char *const sync_commit[] = {"local", "remote_write", "remote_apply", "on", "off", NULL};
static const char *const xmloptions[] = {"content", "document", NULL};
static const char *const plan_modes[] = {"auto", "force_generic_plan", "force_custom_plan", NULL};
static const char *const backslash_quote[] = {"safe_encoding", "on", "off", NULL};


static const setting_def settings[] = {
	{"application_name", K_STRING, F_REPORT, "", NULL, NULL, "Sets the application name to be reported in statistics and logs."},
	{"auto_retry_limit", K_INT, 0, "10", NULL, NULL, "Sets how many times a transaction that failed with a serialization error is retried automatically before the error reaches the client.", 0, 1000},
	{"backslash_quote", K_ENUM, 0, "safe_encoding", backslash_quote, NULL, "Sets whether \"\\'\" is allowed in string literals."},
	{"block_size", K_INT, F_READONLY, "8192", NULL, NULL, "Shows the size of a disk block."},
	{"bytea_output", K_ENUM, 0, "hex", bytea_outputs, NULL, "Sets the output format for bytea."},
	{"check_function_bodies", K_BOOL, 0, "on", NULL, NULL, "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."},
	{"client_encoding", K_STRING, F_REPORT, "UTF8", NULL, check_encoding, "Sets the client's character set encoding."},
	{"client_min_messages", K_ENUM, 0, "notice", msglevels, NULL, "Sets the message levels that are sent to the client."},
	{"DateStyle", K_STRING, F_REPORT, "ISO, MDY", NULL, check_datestyle, "Sets the display format for date and time values."},
	{"deadlock_timeout", K_MS, 0, "1000", NULL, NULL, "Sets the time to wait on a lock before checking for deadlock.", 1, 2147483647},
	{"default_transaction_deferrable", K_BOOL, 0, "off", NULL, NULL, "Sets the default deferrable status of new transactions."},
	{"default_transaction_isolation", K_STRING, 0, "read committed", NULL, check_isolation, "Sets the transaction isolation level of each new transaction."},
	{"default_transaction_read_only", K_BOOL, F_REPORT, "off", NULL, NULL, "Sets the default read-only status of new transactions."},
	{"enable_hashjoin", K_BOOL, 0, "on", NULL, NULL, "Enables the planner's use of hash join plans."},
	{"enable_indexscan", K_BOOL, 0, "on", NULL, NULL, "Enables the planner's use of index-scan plans."},
	{"enable_mergejoin", K_BOOL, 0, "on", NULL, NULL, "Enables the planner's use of merge join plans."},
	{"enable_nestloop", K_BOOL, 0, "on", NULL, NULL, "Enables the planner's use of nested-loop join plans."},
	{"enable_seqscan", K_BOOL, 0, "on", NULL, NULL, "Enables the planner's use of sequential-scan plans."},
	{"escape_string_warning", K_BOOL, 0, "on", NULL, NULL, "Warn about backslash escapes in ordinary string literals."},
	{"extra_float_digits", K_INT, 0, "1", NULL, NULL, "Sets the number of digits displayed for floating-point values.", -15, 3},
	{"geqo", K_BOOL, 0, "on", NULL, NULL, "Enables genetic query optimization."},
	{"idle_in_transaction_session_timeout", K_MS, 0, "0", NULL, NULL, "Sets the maximum allowed idle time between queries, when in a transaction.", 0, 2147483647},
	{"in_hot_standby", K_BOOL, F_REPORT | F_READONLY, "off", NULL, NULL, "Shows whether hot standby is currently active."},
	{"integer_datetimes", K_BOOL, F_REPORT | F_READONLY, "on", NULL, NULL, "Shows whether datetimes are integer based."},
	{"IntervalStyle", K_ENUM, F_REPORT, "postgres", intervalstyles, NULL, "Sets the display format for interval values."},
	{"is_superuser", K_BOOL, F_REPORT | F_READONLY, NULL, NULL, NULL, "Shows whether the current user is a superuser."},
	{"jit", K_BOOL, 0, "on", NULL, NULL, "Allow JIT compilation."},
	{"lc_collate", K_STRING, F_READONLY, "C.UTF-8", NULL, NULL, "Shows the collation order locale."},
	{"lc_ctype", K_STRING, F_READONLY, "C.UTF-8", NULL, NULL, "Shows the character classification and case conversion locale."},
	{"lc_messages", K_STRING, 0, "C.UTF-8", NULL, NULL, "Sets the language in which messages are displayed."},
	{"lc_monetary", K_STRING, 0, "C.UTF-8", NULL, NULL, "Sets the locale for formatting monetary amounts."},
	{"lc_numeric", K_STRING, 0, "C.UTF-8", NULL, NULL, "Sets the locale for formatting numbers."},
	{"lc_time", K_STRING, 0, "C.UTF-8", NULL, NULL, "Sets the locale for formatting date and time values."},
	{"lock_timeout", K_MS, 0, "0", NULL, NULL, "Sets the maximum allowed duration of any wait for a lock.", 0, 2147483647},
	{"maintenance_work_mem", K_KB, 0, "65536", NULL, NULL, "Sets the maximum memory to be used for maintenance operations.", 1024, 2147483647},
	{"max_identifier_length", K_INT, F_READONLY, "63", NULL, NULL, "Shows the maximum identifier length."},
	{"plan_cache_mode", K_ENUM, 0, "auto", plan_modes, NULL, "Controls the planner's selection of custom or generic plan."},
	{"results_buffer_size", K_KB, 0, NULL, NULL, NULL, "Sets how many bytes of results are held before they are sent; transactions whose results were sent cannot be retried automatically.", 0, 2147483647},
	{"row_security", K_BOOL, 0, "on", NULL, NULL, "Enable row security."},
	{"search_path", K_STRING, F_LIST, "\"$user\", public", NULL, NULL, "Sets the schema search order for names that are not schema-qualified."},
	{"server_encoding", K_STRING, F_REPORT | F_READONLY, "UTF8", NULL, NULL, "Shows the server (database) character set encoding."},
	{"server_version", K_STRING, F_REPORT | F_READONLY, PGKV_PG_VERSION, NULL, NULL, "Shows the server version."},
	{"server_version_num", K_INT, F_READONLY, PGKV_PG_VERSION_NUM, NULL, NULL, "Shows the server version as an integer."},
	{"session_authorization", K_STRING, F_REPORT | F_READONLY, NULL, NULL, NULL, "Sets the session user name."},
	{"standard_conforming_strings", K_BOOL, F_REPORT, "on", NULL, check_scs, "Causes '...' strings to treat backslashes literally."},
	{"statement_timeout", K_MS, 0, "0", NULL, NULL, "Sets the maximum allowed duration of any statement.", 0, 2147483647},
	{"synchronous_commit", K_ENUM, 0, "on", sync_commit, NULL, "Sets the current transaction's synchronization level."},
	{"TimeZone", K_STRING, F_REPORT, NULL, NULL, check_timezone, "Sets the time zone for displaying and interpreting time stamps."},
	{"timezone_abbreviations", K_STRING, 0, "Default", NULL, NULL, "Selects a file of time zone abbreviations."},
	{"transaction_deferrable", K_BOOL, 0, "off", NULL, NULL, "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures."},
	{"transaction_isolation", K_STRING, 0, "read committed", NULL, check_isolation, "Sets the current transaction's isolation level."},
	{"transaction_read_only", K_BOOL, 0, "off", NULL, NULL, "Sets the current transaction's read-only status."},
	{"work_mem", K_KB, 0, "4096", NULL, NULL, "Sets the maximum memory to be used for query workspaces.", 64, 2147483647},
	{"xmloption", K_ENUM, 0, "content", xmloptions, NULL, "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments."},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Name aliases PostgreSQL accepts. */
static const struct { const char *alias, *name; } aliases[] = {
	{"time zone", "TimeZone"},
	{"names", "client_encoding"},
	{"seed", NULL},
};

typedef struct custom_setting {
	struct custom_setting *next;
	char *name;
	char *value;
} custom_setting;

typedef struct undo_rec {
	struct undo_rec *next;
	int idx;				/* index into settings, or -1 for custom */
	char *custom_name;
	char *old_value;		/* NULL: custom setting did not exist */
	bool is_local;
} undo_rec;

struct sql_session {
	char *user;
	char *database;
	bool superuser;
	int32_t pid;
	char *values[NSETTINGS];
	char *boot[NSETTINGS];		/* value RESET returns to (startup values included) */
	char *reported[NSETTINGS];	/* last value sent as ParameterStatus */
	custom_setting *custom;
	custom_setting *retired;	/* old TimeZone values set_config() replaced while a
								 * statement's sem_ctx may still point at them */
	undo_rec *undo;				/* newest first */
	size_t nundo;				/* records in undo (savepoint marks count them) */
	bool in_txn;
	/* derived */
	int64_t statement_timeout_ms;
	int64_t idle_in_txn_timeout_ms;
	int64_t results_buffer_size;
	int extra_float_digits;
	sem_datestyle datestyle;
	sem_dateorder dateorder;
	sem_intervalstyle intervalstyle;
};

/*
 * Name lookup: settings are looked up on every statement (TimeZone,
 * work_mem, search_path ...), so names go through a small open-addressing
 * hash of the lower-cased name, built once.
 */
#define NAME_HASH_SIZE 256		/* power of two, > 2 x (settings + aliases) */

typedef struct name_slot {
	const char *lower;			/* lower-cased name; NULL = empty slot */
	int index;					/* settings[] index, or -2 for an ignored alias */
} name_slot;

static name_slot name_hash[NAME_HASH_SIZE];
static pthread_once_t name_hash_once = PTHREAD_ONCE_INIT;

static uint32_t
name_hash_of(const char *lower)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	for (const unsigned char *p = (const unsigned char *) lower; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static void
name_hash_add(const char *name, int index)
{
	char *lower = strdup(name);
	if (lower == NULL)
		abort();
	for (char *p = lower; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	uint32_t h = name_hash_of(lower) & (NAME_HASH_SIZE - 1);
	while (name_hash[h].lower)
		h = (h + 1) & (NAME_HASH_SIZE - 1);
	name_hash[h].lower = lower;
	name_hash[h].index = index;
}

static void
name_hash_build(void)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		name_hash_add(settings[i].name, (int) i);
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		int idx = -2;
		if (aliases[i].name)
			for (size_t j = 0; j < NSETTINGS; j++)
				if (strcmp(aliases[i].name, settings[j].name) == 0)
					idx = (int) j;
		name_hash_add(aliases[i].alias, idx);
	}
}

/* settings[] index of name (case-insensitive, aliases included), -2 for an
 * alias that is accepted and ignored, -1 if unknown. */
static int
find_setting(const char *name)
{
	pthread_once(&name_hash_once, name_hash_build);
	char lower[64];
	size_t n = 0;
	for (; name[n]; n++) {
		if (n == sizeof(lower) - 1)
			return -1;	/* longer than any setting name */
		lower[n] = (char) tolower((unsigned char) name[n]);
	}
	lower[n] = '\0';
	uint32_t h = name_hash_of(lower) & (NAME_HASH_SIZE - 1);
	while (name_hash[h].lower) {
		if (strcmp(name_hash[h].lower, lower) == 0)
			return name_hash[h].index;
		h = (h + 1) & (NAME_HASH_SIZE - 1);
	}
	return -1;
}

static int
setting_index(const char *name)
{
	return find_setting(name);
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (p == NULL)
		abort();
	return p;
}

/* ---------- value parsing ---------- */

static bool
parse_bool(const char *in, bool *out)
{
	static const struct { const char *s; bool v; } t[] = {
		{"on", true}, {"off", false}, {"true", true}, {"false", false}, {"yes", true},
		{"no", false}, {"1", true}, {"0", false}, {"t", true}, {"f", false}, {"y", true}, {"n", false},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(in, t[i].s) == 0) {
			*out = t[i].v;
			return true;
		}
	/* PostgreSQL also accepts unique prefixes like "of"? It accepts "of" as ambiguous-error; keep strict. */
	return false;
}

static bool
parse_int64(const char *in, int64_t *out, const char **rest)
{
	while (isspace((unsigned char) *in))
		in++;
	char *end;
	errno = 0;
	double d = strtod(in, &end);
	if (end == in)
		return false;
	*out = (int64_t) (d < 0 ? d - 0.5 : d + 0.5);
	*rest = end;
	return true;
}

/* Units for K_MS and K_KB values. */
static bool
apply_unit(setting_kind kind, const char *unit, int64_t v, int64_t *out)
{
	while (isspace((unsigned char) *unit))
		unit++;
	char u[16];
	size_t n = 0;
	while (*unit && !isspace((unsigned char) *unit) && n < sizeof(u) - 1)
		u[n++] = *unit++;
	u[n] = '\0';
	while (isspace((unsigned char) *unit))
		unit++;
	if (*unit)
		return false;
	if (kind == K_MS) {
		static const struct { const char *u; int64_t mult; } t[] = {
			{"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000},
		};
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(u, t[i].u) == 0) {
				*out = v * t[i].mult;
				return true;
			}
		if (strcmp(u, "us") == 0) {
			*out = (v + 999) / 1000;
			return true;
		}
		return false;
	}
	static const struct { const char *u; int64_t mult; } t[] = {
		{"", 1}, {"kB", 1}, {"MB", 1024}, {"GB", 1024 * 1024}, {"TB", 1024LL * 1024 * 1024},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(u, t[i].u) == 0) {
			*out = v * t[i].mult;
			return true;
		}
	if (strcmp(u, "B") == 0) {
		*out = (v + 1023) / 1024;
		return true;
	}
	return false;
}

static char *
format_ms(int64_t v)
{
	char buf[64];
	if (v == 0 || v < 0)
		snprintf(buf, sizeof(buf), "%lld", (long long) v);
	else if (v % 86400000 == 0)
		snprintf(buf, sizeof(buf), "%lldd", (long long) (v / 86400000));
	else if (v % 3600000 == 0)
		snprintf(buf, sizeof(buf), "%lldh", (long long) (v / 3600000));
	else if (v % 60000 == 0)
		snprintf(buf, sizeof(buf), "%lldmin", (long long) (v / 60000));
	else if (v % 1000 == 0)
		snprintf(buf, sizeof(buf), "%llds", (long long) (v / 1000));
	else
		snprintf(buf, sizeof(buf), "%lldms", (long long) v);
	return xstrdup(buf);
}

static char *
format_kb(int64_t v)
{
	char buf[64];
	if (v != 0 && v % (1024LL * 1024 * 1024) == 0)
		snprintf(buf, sizeof(buf), "%lldTB", (long long) (v / (1024LL * 1024 * 1024)));
	else if (v != 0 && v % (1024 * 1024) == 0)
		snprintf(buf, sizeof(buf), "%lldGB", (long long) (v / (1024 * 1024)));
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, sizeof(buf), "%lldMB", (long long) (v / 1024));
	else
		snprintf(buf, sizeof(buf), "%lldkB", (long long) v);
	return xstrdup(buf);
}

static cm_status
bad_value(cm_error *err, const char *name, const char *in)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for parameter \"%s\": \"%s\"", name, in);
}

/* Validate and canonicalise a value for setting i; *canon is malloc'd. */
static cm_status
canonicalize(sql_session *s, int i, const char *in, char **canon, cm_error *err)
{
	const setting_def *d = &settings[i];
	if (d->check)
		return d->check(s, in, canon, err);
	switch (d->kind) {
	case K_STRING:
		*canon = xstrdup(in);
		return CM_OK;
	case K_BOOL: {
		bool b;
		if (!parse_bool(in, &b))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"parameter \"%s\" requires a Boolean value", d->name);
		*canon = xstrdup(b ? "on" : "off");
		return CM_OK;
	}
	case K_INT:
	case K_MS:
	case K_KB: {
		int64_t v, scaled;
		const char *rest;
		if (!parse_int64(in, &v, &rest))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"invalid value for parameter \"%s\": \"%s\"", d->name, in);
		if (d->kind == K_INT) {
			while (isspace((unsigned char) *rest))
				rest++;
			if (*rest)
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
									"invalid value for parameter \"%s\": \"%s\"", d->name, in);
			scaled = v;
		} else if (!apply_unit(d->kind, rest, v, &scaled)) {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
						 "invalid value for parameter \"%s\": \"%s\"", d->name, in);
			cm_error_hint(err, d->kind == K_MS ? "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."
											   : "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".");
			return CM_ERROR;
		}
		if ((d->min || d->max) && (scaled < d->min || scaled > d->max))
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
								"%lld%s is outside the valid range for parameter \"%s\" (%lld .. %lld)",
								(long long) scaled, d->kind == K_MS ? " ms" : d->kind == K_KB ? " kB" : "",
								d->name, (long long) d->min, (long long) d->max);
		if (d->kind == K_MS)
			*canon = format_ms(scaled);
		else if (d->kind == K_KB)
			*canon = format_kb(scaled);
		else {
			char buf[32];
			snprintf(buf, sizeof(buf), "%lld", (long long) scaled);
			*canon = xstrdup(buf);
		}
		return CM_OK;
	}
	case K_ENUM:
		for (const char *const *e = d->enum_values; *e; e++)
			if (strcasecmp(in, *e) == 0) {
				*canon = xstrdup(*e);
				return CM_OK;
			}
		{
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
						 "invalid value for parameter \"%s\": \"%s\"", d->name, in);
			char hint[512] = "Available values: ";
			for (const char *const *e = d->enum_values; *e; e++) {
				strncat(hint, *e, sizeof(hint) - strlen(hint) - 4);
				strncat(hint, e[1] ? ", " : ".", sizeof(hint) - strlen(hint) - 1);
			}
			cm_error_hint(err, "%s", hint);
		}
		return CM_ERROR;
	}
	return CM_ERROR;
}

static cm_status
check_datestyle(sql_session *s, const char *in, char **canon, cm_error *err)
{
	const char *style = NULL, *order = NULL;
	char *copy = xstrdup(in), *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (strcasecmp(tok, "ISO") == 0)
			style = "ISO";
		else if (strcasecmp(tok, "SQL") == 0)
			style = "SQL";
		else if (strncasecmp(tok, "POSTGRES", 8) == 0)
			style = "Postgres";
		else if (strcasecmp(tok, "GERMAN") == 0) {
			style = "German";
			if (!order)
				order = "DMY";
		} else if (strcasecmp(tok, "YMD") == 0)
			order = "YMD";
		else if (strcasecmp(tok, "DMY") == 0 || strncasecmp(tok, "EURO", 4) == 0)
			order = "DMY";
		else if (strcasecmp(tok, "MDY") == 0 || strcasecmp(tok, "US") == 0 ||
				 strncasecmp(tok, "NONEURO", 7) == 0)
			order = "MDY";
		else if (strcasecmp(tok, "DEFAULT") == 0) {
			style = "ISO";
			order = "MDY";
		} else {
			free(copy);
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
						 "invalid value for parameter \"DateStyle\": \"%s\"", in);
			cm_error_detail(err, "Unrecognized key word: \"%s\".", tok);
			return CM_ERROR;
		}
	}
	free(copy);
	const char *cur = s->values[setting_index("DateStyle")];
	char cur_style[16] = "ISO", cur_order[8] = "MDY";
	if (cur)
		sscanf(cur, "%15[^,], %7s", cur_style, cur_order);
	char buf[64];
	snprintf(buf, sizeof(buf), "%s, %s", style ? style : cur_style, order ? order : cur_order);
	*canon = xstrdup(buf);
	return CM_OK;
}

static cm_status
check_timezone(sql_session *s, const char *in, char **canon, cm_error *err)
{
	char *c = NULL;
	if (strcasecmp(in, "local") == 0 || strcasecmp(in, "default") == 0) {
		*canon = xstrdup(s->boot[setting_index("TimeZone")]);
		return CM_OK;
	}
	if (!sem_dt_valid_timezone(in, &c))
		return bad_value(err, "TimeZone", in);
	*canon = c ? c : xstrdup(in);
	return CM_OK;
}

static cm_status
check_encoding(sql_session *s, const char *in, char **canon, cm_error *err)
{
	/* Only UTF-8 is supported; accept its aliases as PostgreSQL spells them. */
	char norm[32];
	size_t n = 0;
	for (const char *p = in; *p && n < sizeof(norm) - 1; p++)
		if (isalnum((unsigned char) *p))
			norm[n++] = (char) tolower((unsigned char) *p);
	norm[n] = '\0';
	if (strcmp(norm, "utf8") == 0 || strcmp(norm, "unicode") == 0) {
		*canon = xstrdup("UTF8");
		return CM_OK;
	}
	cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for parameter \"client_encoding\": \"%s\"", in);
	cm_error_detail(err, "pgkv supports only the UTF8 client encoding.");
	return CM_ERROR;
}

static cm_status
check_scs(sql_session *s, const char *in, char **canon, cm_error *err)
{
	bool b;
	if (!parse_bool(in, &b))
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
							"parameter \"standard_conforming_strings\" requires a Boolean value");
	if (!b)
		return cm_error_set(err, CM_E_FEATURE_NOT_SUPPORTED,
							"non-standard string literals are not supported");
	*canon = xstrdup("on");
	return CM_OK;
}

const char *
sql_isolation_name(sql_isolation iso)
{
	switch (iso) {
	case SQL_ISO_READ_UNCOMMITTED: return "read uncommitted";
	case SQL_ISO_READ_COMMITTED: return "read committed";
	case SQL_ISO_REPEATABLE_READ: return "repeatable read";
	case SQL_ISO_SERIALIZABLE: return "serializable";
	}
	return "read committed";
}

bool
sql_isolation_parse(const char *in, sql_isolation *out)
{
	for (int i = 0; i <= SQL_ISO_SERIALIZABLE; i++)
		if (strcasecmp(in, sql_isolation_name((sql_isolation) i)) == 0) {
			*out = (sql_isolation) i;
			return true;
		}
	return false;
}

static cm_status
check_isolation(sql_session *s, const char *in, char **canon, cm_error *err)
{
	sql_isolation iso;
	if (!sql_isolation_parse(in, &iso)) {
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
					 "invalid value for parameter \"default_transaction_isolation\": \"%s\"", in);
		cm_error_hint(err, "Available values: serializable, repeatable read, read committed, read uncommitted.");
		return CM_ERROR;
	}
	*canon = xstrdup(sql_isolation_name(iso));
	return CM_OK;
}

/* ---------- derived state ---------- */

static int64_t
ms_value(const char *v)
{
	int64_t n, out = 0;
	const char *rest;
	if (!parse_int64(v, &n, &rest) || !apply_unit(K_MS, rest, n, &out))
		return 0;
	return out;
}

static void
derive(sql_session *s)
{
	s->statement_timeout_ms = ms_value(s->values[setting_index("statement_timeout")]);
	s->idle_in_txn_timeout_ms = ms_value(s->values[setting_index("idle_in_transaction_session_timeout")]);
	{
		int64_t n, kb = 512;
		const char *rest;
		if (parse_int64(s->values[setting_index("results_buffer_size")], &n, &rest))
			apply_unit(K_KB, rest, n, &kb);
		s->results_buffer_size = kb * 1024;
	}
	s->extra_float_digits = atoi(s->values[setting_index("extra_float_digits")]);
	const char *ds = s->values[setting_index("DateStyle")];
	s->datestyle = strncmp(ds, "ISO", 3) == 0 ? SEM_DATESTYLE_ISO
				   : strncmp(ds, "SQL", 3) == 0 ? SEM_DATESTYLE_SQL
				   : strncmp(ds, "Postgres", 8) == 0 ? SEM_DATESTYLE_POSTGRES
													 : SEM_DATESTYLE_GERMAN;
	s->dateorder = strstr(ds, "DMY") ? SEM_DATEORDER_DMY : strstr(ds, "YMD") ? SEM_DATEORDER_YMD : SEM_DATEORDER_MDY;
	const char *is = s->values[setting_index("IntervalStyle")];
	s->intervalstyle = strcmp(is, "postgres_verbose") == 0 ? SEM_INTERVALSTYLE_POSTGRES_VERBOSE
					   : strcmp(is, "sql_standard") == 0 ? SEM_INTERVALSTYLE_SQL_STANDARD
					   : strcmp(is, "iso_8601") == 0 ? SEM_INTERVALSTYLE_ISO_8601
													 : SEM_INTERVALSTYLE_POSTGRES;
}

/* ---------- public ---------- */

sql_session *
sql_session_new(const sql_session_params *p)
{
	sql_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->user = xstrdup(p->user);
	s->database = xstrdup(p->database);
	s->superuser = p->superuser;
	s->pid = p->backend_pid;
	char rbs[32];
	snprintf(rbs, sizeof(rbs), "%lld", (long long) ((p->results_buffer_size > 0 ? p->results_buffer_size : 512 * 1024) / 1024));
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = settings[i].boot;
		if (strcmp(settings[i].name, "TimeZone") == 0)
			v = p->default_timezone ? p->default_timezone : "UTC";
		else if (strcmp(settings[i].name, "is_superuser") == 0)
			v = p->superuser ? "on" : "off";
		else if (strcmp(settings[i].name, "session_authorization") == 0)
			v = p->user;
		else if (strcmp(settings[i].name, "results_buffer_size") == 0)
			v = rbs;
		char *canon = NULL;
		cm_error err = {0};
		if (settings[i].kind == K_KB || settings[i].kind == K_MS) {
			if (canonicalize(s, (int) i, v, &canon, &err) != CM_OK) {
				cm_error_clear(&err);
				canon = xstrdup(v);
			}
		} else
			canon = xstrdup(v);
		s->values[i] = canon;
		s->boot[i] = xstrdup(canon);
	}
	derive(s);
	return s;
}

static void
free_retired(sql_session *s)
{
	while (s->retired) {
		custom_setting *c = s->retired;
		s->retired = c->next;
		free(c->value);
		free(c);
	}
}

void
sql_session_free(sql_session *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < NSETTINGS; i++) {
		free(s->values[i]);
		free(s->boot[i]);
		free(s->reported[i]);
	}
	while (s->custom) {
		custom_setting *c = s->custom;
		s->custom = c->next;
		free(c->name);
		free(c->value);
		free(c);
	}
	while (s->undo) {
		undo_rec *u = s->undo;
		s->undo = u->next;
		free(u->custom_name);
		free(u->old_value);
		free(u);
	}
	free_retired(s);
	free(s->user);
	free(s->database);
	free(s);
}

const char *sql_session_user(const sql_session *s) { return s->user; }
const char *sql_session_database(const sql_session *s) { return s->database; }
bool sql_session_superuser(const sql_session *s) { return s->superuser; }

static custom_setting *
find_custom(sql_session *s, const char *name)
{
	for (custom_setting *c = s->custom; c; c = c->next)
		if (strcasecmp(c->name, name) == 0)
			return c;
	return NULL;
}

static bool
valid_custom_name(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot != NULL && dot != name && dot[1] != '\0';
}

static void
push_undo(sql_session *s, int idx, const char *custom_name, const char *old, bool is_local)
{
	if (!s->in_txn)
		return;
	undo_rec *u = calloc(1, sizeof(*u));
	if (u == NULL)
		abort();
	u->idx = idx;
	u->custom_name = custom_name ? xstrdup(custom_name) : NULL;
	u->old_value = old ? xstrdup(old) : NULL;
	u->is_local = is_local;
	u->next = s->undo;
	s->undo = u;
	s->nundo++;
}

cm_status
sql_session_set(sql_session *s, const char *name, const char *value, bool is_local, cm_error *err)
{
	int i = setting_index(name);
	if (i == -2)
		return CM_OK;	/* accepted and ignored (SET seed) */
	if (i < 0) {
		if (!valid_custom_name(name))
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "unrecognized configuration parameter \"%s\"", name);
		custom_setting *c = find_custom(s, name);
		push_undo(s, -1, name, c ? c->value : NULL, is_local);
		if (c == NULL) {
			c = calloc(1, sizeof(*c));
			if (c == NULL)
				abort();
			c->name = xstrdup(name);
			c->next = s->custom;
			s->custom = c;
		} else
			free(c->value);
		c->value = xstrdup(value);
		return CM_OK;
	}
	const setting_def *d = &settings[i];
	if (d->flags & F_READONLY)
		return cm_error_set(err, CM_E_CANT_CHANGE_RUNTIME_PARAM, "parameter \"%s\" cannot be changed", d->name);
	char *canon = NULL;
	if (canonicalize(s, i, value, &canon, err) != CM_OK)
		return CM_ERROR;
	push_undo(s, i, NULL, s->values[i], is_local);
	free(s->values[i]);
	s->values[i] = canon;
	derive(s);
	return CM_OK;
}

cm_status
sql_session_reset(sql_session *s, const char *name, cm_error *err)
{
	int i = setting_index(name);
	if (i == -2)
		return CM_OK;
	if (i < 0) {
		custom_setting *c = find_custom(s, name);
		if (c == NULL && !valid_custom_name(name))
			return cm_error_set(err, CM_E_UNDEFINED_OBJECT, "unrecognized configuration parameter \"%s\"", name);
		if (c) {
			push_undo(s, -1, name, c->value, false);
			free(c->value);
			c->value = xstrdup("");
		}
		return CM_OK;
	}
	if (settings[i].flags & F_READONLY)
		return cm_error_set(err, CM_E_CANT_CHANGE_RUNTIME_PARAM, "parameter \"%s\" cannot be changed", settings[i].name);
	push_undo(s, i, NULL, s->values[i], false);
	free(s->values[i]);
	s->values[i] = xstrdup(s->boot[i]);
	derive(s);
	return CM_OK;
}

void
sql_session_reset_all(sql_session *s)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (settings[i].flags & F_READONLY)
			continue;
		if (strcmp(settings[i].name, "transaction_isolation") == 0 ||
			strcmp(settings[i].name, "transaction_read_only") == 0 ||
			strcmp(settings[i].name, "transaction_deferrable") == 0)
			continue;
		push_undo(s, (int) i, NULL, s->values[i], false);
		free(s->values[i]);
		s->values[i] = xstrdup(s->boot[i]);
	}
	for (custom_setting *c = s->custom; c; c = c->next) {
		push_undo(s, -1, c->name, c->value, false);
		free(c->value);
		c->value = xstrdup("");
	}
	derive(s);
}

const char *
sql_session_get(sql_session *s, const char *name)
{
	int i = setting_index(name);
	if (i >= 0)
		return s->values[i];
	custom_setting *c = find_custom(s, name);
	return c ? c->value : NULL;
}

const char *
sql_session_show_name(sql_session *s, const char *name)
{
	int i = setting_index(name);
	if (i >= 0)
		return settings[i].name;
	custom_setting *c = find_custom(s, name);
	return c ? c->name : NULL;
}

bool
sql_session_is_list(const char *name)
{
	int i = setting_index(name);
	return i >= 0 && (settings[i].flags & F_LIST);
}

void
sql_session_txn_begin(sql_session *s)
{
	s->in_txn = true;
}

static void
restore(sql_session *s, undo_rec *u)
{
	if (u->idx >= 0) {
		free(s->values[u->idx]);
		s->values[u->idx] = xstrdup(u->old_value);
		return;
	}
	custom_setting *c = find_custom(s, u->custom_name);
	if (c == NULL)
		return;
	free(c->value);
	c->value = xstrdup(u->old_value ? u->old_value : "");
}

void
sql_session_txn_end(sql_session *s, bool committed)
{
	/* Undo newest first.  On commit only SET LOCAL changes are undone: for a
	 * setting changed by SET LOCAL, its oldest LOCAL record holds the value to
	 * restore, unless a later plain SET superseded it (then the plain SET's
	 * value stands, as PostgreSQL does). */
	if (committed) {
		/* Walk oldest -> newest to find, per setting, what survives. */
		size_t n = 0;
		for (undo_rec *u = s->undo; u; u = u->next)
			n++;
		undo_rec **v = calloc(n ? n : 1, sizeof(*v));
		if (v == NULL)
			abort();
		size_t k = n;
		for (undo_rec *u = s->undo; u; u = u->next)
			v[--k] = u;
		for (size_t a = 0; a < n; a++) {
			if (!v[a]->is_local)
				continue;
			/* first LOCAL change of this setting since the last plain SET */
			bool later_plain = false;
			for (size_t b = a + 1; b < n; b++)
				if (v[b]->idx == v[a]->idx &&
					(v[a]->idx >= 0 || strcasecmp(v[b]->custom_name, v[a]->custom_name) == 0) &&
					!v[b]->is_local)
					later_plain = true;
			bool earlier_local = false;
			for (size_t b = 0; b < a; b++)
				if (v[b]->idx == v[a]->idx &&
					(v[a]->idx >= 0 || strcasecmp(v[b]->custom_name, v[a]->custom_name) == 0) &&
					v[b]->is_local)
					earlier_local = true;
			if (!later_plain && !earlier_local)
				restore(s, v[a]);
		}
		free(v);
	} else {
		for (undo_rec *u = s->undo; u; u = u->next)
			restore(s, u);
	}
	while (s->undo) {
		undo_rec *u = s->undo;
		s->undo = u->next;
		free(u->custom_name);
		free(u->old_value);
		free(u);
	}
	s->nundo = 0;
	s->in_txn = false;
	free_retired(s);
	derive(s);
}

/*
 * Savepoints.  PostgreSQL keeps one stack of saved values per
 * (sub)transaction nesting level: RELEASE merges a level into its parent,
 * ROLLBACK TO restores every setting -- built-in or custom, SET, SET LOCAL
 * or RESET -- to its value at the savepoint, and forgets that it was
 * changed (so a SET LOCAL made before the savepoint still ends with the
 * transaction).  Here the undo log is that stack: a savepoint is a mark
 * (its length), RELEASE leaves the records to the enclosing level, and
 * ROLLBACK TO undoes and drops the records after the mark, newest first.
 */
size_t
sql_session_savepoint(const sql_session *s)
{
	return s->nundo;
}

void
sql_session_rollback_to(sql_session *s, size_t mark)
{
	while (s->undo && s->nundo > mark) {
		undo_rec *u = s->undo;
		s->undo = u->next;
		s->nundo--;
		restore(s, u);
		free(u->custom_name);
		free(u->old_value);
		free(u);
	}
	derive(s);
}

void
sql_session_changed_reports(sql_session *s, void (*fn)(void *, const char *, const char *), void *arg)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (!(settings[i].flags & F_REPORT))
			continue;
		if (s->reported[i] && strcmp(s->reported[i], s->values[i]) == 0)
			continue;
		free(s->reported[i]);
		s->reported[i] = xstrdup(s->values[i]);
		fn(arg, settings[i].name, s->values[i]);
	}
}

void
sql_session_report_all(sql_session *s, void (*fn)(void *, const char *, const char *), void *arg)
{
	/* Same loop: nothing has been reported yet at startup. */
	sql_session_changed_reports(s, fn, arg);
}

void
sql_session_foreach(sql_session *s, void (*fn)(void *, const char *, const char *, const char *), void *arg)
{
	/* settings[] is in case-insensitive name order already */
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!(settings[i].flags & F_NOSHOW))
			fn(arg, settings[i].name, s->values[i], settings[i].desc);
}

static const char *
get_setting_cb(void *session, const char *name)
{
	return sql_session_get(session, name);
}

/* set_config(): SET / SET LOCAL / RESET from inside a statement.  The
 * statement's sem_ctx (and copies of it) hold the TimeZone string, so the
 * value being replaced is kept until the transaction ends. */
static cm_status
set_setting_cb(void *session, const char *name, const char *value, bool is_local, cm_error *err)
{
	sql_session *s = session;
	int tz = setting_index("TimeZone");
	custom_setting *keep = calloc(1, sizeof(*keep));
	if (keep == NULL)
		abort();
	keep->value = s->values[tz];
	s->values[tz] = xstrdup(keep->value);
	keep->next = s->retired;
	s->retired = keep;
	if (value == NULL)
		return sql_session_reset(s, name, err);
	return sql_session_set(s, name, value, is_local, err);
}

void
sql_session_fill_sem(sql_session *s, sem_ctx *ctx)
{
	ctx->get_setting = get_setting_cb;
	ctx->set_setting = set_setting_cb;
	ctx->session = s;
	ctx->timezone = s->values[setting_index("TimeZone")];
	ctx->datestyle = s->datestyle;
	ctx->dateorder = s->dateorder;
	ctx->intervalstyle = s->intervalstyle;
	ctx->extra_float_digits = s->extra_float_digits;
	ctx->user = s->user;
	ctx->database = s->database;
	ctx->search_path_first = "public";
	ctx->backend_pid = s->pid;
}

int64_t sql_session_statement_timeout_ms(sql_session *s) { return s->statement_timeout_ms; }
int64_t sql_session_idle_in_txn_timeout_ms(sql_session *s) { return s->idle_in_txn_timeout_ms; }
int64_t sql_session_results_buffer_size(sql_session *s) { return s->results_buffer_size; }

void
sql_session_set_txn_chars(sql_session *s, sql_isolation iso, bool read_only, bool deferrable)
{
	int i = setting_index("transaction_isolation");
	free(s->values[i]);
	s->values[i] = xstrdup(sql_isolation_name(iso));
	i = setting_index("transaction_read_only");
	free(s->values[i]);
	s->values[i] = xstrdup(read_only ? "on" : "off");
	i = setting_index("transaction_deferrable");
	free(s->values[i]);
	s->values[i] = xstrdup(deferrable ? "on" : "off");
}

cm_status
sql_session_apply_startup(sql_session *s, const char *name, const char *value, cm_error *err)
{
	if (strcmp(name, "options") == 0) {
		/* -c name=value / --name=value, separated by whitespace; backslash escapes a space */
		char *copy = xstrdup(value);
		char *p = copy;
		cm_status st = CM_OK;
		bool expect_c_arg = false;
		while (*p && st == CM_OK) {
			while (isspace((unsigned char) *p))
				p++;
			if (!*p)
				break;
			char tok[1024];
			size_t n = 0;
			while (*p && !isspace((unsigned char) *p) && n < sizeof(tok) - 1) {
				if (*p == '\\' && p[1])
					p++;
				tok[n++] = *p++;
			}
			tok[n] = '\0';
			const char *assign = NULL;
			if (expect_c_arg) {
				assign = tok;
				expect_c_arg = false;
			} else if (strcmp(tok, "-c") == 0) {
				expect_c_arg = true;
				continue;
			} else if (strncmp(tok, "-c", 2) == 0)
				assign = tok + 2;
			else if (strncmp(tok, "--", 2) == 0)
				assign = tok + 2;
			else {
				st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid command-line argument for server process: %s", tok);
				cm_error_hint(err, "Try \"postgres --help\" for more information.");
				break;
			}
			char *eq = strchr(assign, '=');
			if (eq == NULL) {
				st = cm_error_set(err, CM_E_SYNTAX_ERROR, "--%s requires a value", assign);
				break;
			}
			*eq = '\0';
			for (char *q = (char *) assign; *q; q++)
				if (*q == '-')
					*q = '_';
			st = sql_session_apply_startup(s, assign, eq + 1, err);
		}
		free(copy);
		return st;
	}
	int i = setting_index(name);
	if (i >= 0 && (settings[i].flags & F_READONLY)) {
		/* drivers sometimes send read-only settings; accept matching values */
		if (strcasecmp(s->values[i], value) == 0)
			return CM_OK;
		return cm_error_set(err, CM_E_CANT_CHANGE_RUNTIME_PARAM, "parameter \"%s\" cannot be changed", settings[i].name);
	}
	if (sql_session_set(s, name, value, false, err) != CM_OK)
		return CM_ERROR;
	/* Startup values become what RESET returns to. */
	if (i >= 0) {
		free(s->boot[i]);
		s->boot[i] = xstrdup(s->values[i]);
	}
	return CM_OK;
}
