/*
 * srv_config.c -- defaults, `pgkv start` flags and the configuration file.
 *
 * One table (settings[]) describes every setting: its name, how its value
 * is parsed, where it is stored in srv_config, its limits and its help line.
 * The flag parser, the file parser and the usage text all read that table,
 * so a new setting is one new row.
 *
 * Order of application: `start` arguments are scanned once to check the
 * flag names and collect their values; then the --config file (if any) is
 * loaded; then the collected flags are applied.  That is how flags override
 * the file "regardless of order".  Repeatable settings (hba, user) given as
 * flags replace the file's list rather than extend it.
 *
 * Exported: see srv_config.h.
 */
#include "server/srv_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "common/cm_duration.h"
#include "common/cm_log.h"

typedef enum setting_kind {
	K_STRING,     /* char *, non-empty */
	K_OPT_STRING, /* char *, "" stores NULL */
	K_HOSTPORT,   /* char *host + int port */
	K_BOOL,       /* bool */
	K_NEG_BOOL,   /* bool, stored inverted (--no-sync-wal) */
	K_INT,        /* int within [min, max] */
	K_DURATION,   /* int64_t milliseconds within [min, max] */
	K_BYTES,      /* int64_t bytes within [min, max] */
	K_LOG_LEVEL,  /* int (cm_log_level) */
	K_STORE,      /* char *, embedded:DIR or tikv://... */
	K_SOCKET_DIR, /* char *, "" stores NULL; length-checked */
	K_TIMEZONE,   /* char *, a zone name or offset */
	K_LIST_HBA,   /* appended to hba_lines */
	K_LIST_USER,  /* appended to user_lines */
	K_CONFIG,     /* --config: flag only */
} setting_kind;

typedef struct setting {
	const char *name; /* key with underscores; the flag uses dashes */
	setting_kind kind;
	size_t off;  /* offset of the field */
	size_t off2; /* K_HOSTPORT: offset of the port */
	int64_t min, max;
	bool flag_only, file_only, hidden_default;
	const char *metavar;
	const char *help;
} setting;

#define F(field) offsetof(srv_config, field)

static const setting settings[] = {
    {"listen", K_HOSTPORT, F(listen_host), F(listen_port), 0, 0, false, false, false, "HOST:PORT",
     "SQL (PostgreSQL protocol) address; port 0 picks a free port"},
    {"http", K_HOSTPORT, F(http_host), F(http_port), 0, 0, false, false, false, "HOST:PORT",
     "status HTTP address (/health, /metrics, /_admin/drain)"},
    {"store", K_STORE, F(store), 0, 0, 0, false, false, false, "STORE",
     "embedded:DIR (in-process store) or tikv://PD1[,PD2...]"},
    {"certs_dir", K_OPT_STRING, F(certs_dir), 0, 0, 0, false, false, false, "DIR",
     "directory with node.crt, node.key (and ca.crt) for TLS"},
    {"insecure", K_BOOL, F(insecure), 0, 0, 0, false, false, false, NULL,
     "allow trust authentication from every address, not just loopback"},
    {"max_connections", K_INT, F(max_connections), 0, 1, SRV_MAX_CONNECTIONS_LIMIT, false, false,
     false, "N", "maximum number of SQL connections"},
    {"config", K_CONFIG, F(config_file), 0, 0, 0, true, false, true, "FILE",
     "read settings from FILE first (key = value lines)"},
    {"log_level", K_LOG_LEVEL, F(log_level), 0, 0, 0, false, false, false, "LEVEL",
     "debug, info, warn, error or off"},
    {"socket_dir", K_SOCKET_DIR, F(socket_dir), 0, 0, 0, false, false, false, "DIR",
     "unix socket directory (DIR/.s.PGSQL.<port>); '' disables it"},
    {"drain_wait", K_DURATION, F(drain_wait_ms), 0, 0, SRV_MAX_DURATION_MS, false, false, false,
     "DUR", "on drain, stay up but unready this long so load balancers notice"},
    {"connection_wait", K_DURATION, F(connection_wait_ms), 0, 0, SRV_MAX_DURATION_MS, false, false,
     false, "DUR", "on drain, then wait up to this long for clients to disconnect"},
    {"query_wait", K_DURATION, F(query_wait_ms), 0, 0, SRV_MAX_DURATION_MS, false, false, false,
     "DUR", "on drain, then wait up to this long for transactions to finish"},
    {"reuseport", K_BOOL, F(reuseport), 0, 0, 0, false, false, false, NULL,
     "set SO_REUSEPORT on the listeners (start the new process before stopping the old)"},
    {"max_message_size", K_BYTES, F(max_message_size), 0, SRV_MIN_MESSAGE_SIZE,
     SRV_MAX_MESSAGE_SIZE_LIMIT, false, false, false, "BYTES",
     "largest protocol message accepted from a client"},
    {"region_max_size", K_BYTES, F(region_max_size), 0, SRV_MIN_REGION_SIZE,
     SRV_MAX_REGION_SIZE_LIMIT, false, false, false, "BYTES",
     "embedded store: split a region when it grows past this"},
    {"sync_wal", K_BOOL, F(sync_wal), 0, 0, 0, false, false, false, NULL,
     "embedded store: fsync the write-ahead log at each commit"},
    {"no_sync_wal", K_NEG_BOOL, F(sync_wal), 0, 0, 0, false, false, true, NULL,
     "embedded store: do not fsync the WAL (faster; loses recent commits on power loss)"},
    {"results_buffer_size", K_BYTES, F(results_buffer_size), 0, 0, SRV_MAX_RESULTS_BUFFER_SIZE,
     false, false, false, "BYTES", "result bytes buffered per connection before they are sent"},
    {"admin_token", K_OPT_STRING, F(admin_token), 0, 0, 0, false, false, false, "TOKEN",
     "bearer token required by POST /_admin/drain (unset: loopback only)"},
    {"timezone", K_TIMEZONE, F(timezone), 0, 0, 0, false, false, false, "ZONE",
     "default session TimeZone"},
    {"hba", K_LIST_HBA, 0, 0, 0, 0, false, false, true, "LINE",
     "a pg_hba.conf line (repeatable; flags replace the file's lines)"},
    {"user", K_LIST_USER, 0, 0, 0, 0, false, false, true, "SPEC",
     "a user: NAME [password=P|md5=H|scram=S] [superuser] (repeatable)"},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static const setting *find_setting(const char *key, size_t len);
static cm_status apply(srv_config *cfg, const setting *s, const char *value, const char *shown,
                       cm_error *err);
static cm_status invalid(cm_error *err, const char *shown, const char *value);
static cm_status set_string(char **field, const char *value, bool empty_is_null);
static cm_status append_line(char ***lines, int *n, const char *value);
static void free_lines(char ***lines, int *n);
static cm_status parse_line(const char *path, int lineno, const char *line, srv_config *cfg,
                            cm_error *err);
static cm_status prefix_error(cm_error *err, const char *path, int lineno);
static void format_value(const srv_config *cfg, const setting *s, char *buf, size_t size);

void
srv_config_defaults(srv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_host = strdup(SRV_DEFAULT_LISTEN_HOST);
	cfg->listen_port = SRV_DEFAULT_LISTEN_PORT;
	cfg->http_host = strdup(SRV_DEFAULT_HTTP_HOST);
	cfg->http_port = SRV_DEFAULT_HTTP_PORT;
	cfg->store = strdup(SRV_DEFAULT_STORE);
	cfg->max_connections = SRV_DEFAULT_MAX_CONNECTIONS;
	cfg->log_level = CM_LOG_INFO;
	cfg->socket_dir = strdup(SRV_DEFAULT_SOCKET_DIR);
	cfg->drain_wait_ms = SRV_DEFAULT_DRAIN_WAIT_MS;
	cfg->connection_wait_ms = SRV_DEFAULT_CONNECTION_WAIT_MS;
	cfg->query_wait_ms = SRV_DEFAULT_QUERY_WAIT_MS;
	cfg->max_message_size = SRV_DEFAULT_MAX_MESSAGE_SIZE;
	cfg->region_max_size = SRV_DEFAULT_REGION_MAX_SIZE;
	cfg->sync_wal = true;
	cfg->results_buffer_size = SRV_DEFAULT_RESULTS_BUFFER_SIZE;
	cfg->timezone = NULL; /* the system's zone, found at start-up (srv_node.c) */
}

void
srv_config_free(srv_config *cfg)
{
	free(cfg->listen_host);
	free(cfg->http_host);
	free(cfg->store);
	free(cfg->certs_dir);
	free(cfg->config_file);
	free(cfg->socket_dir);
	free(cfg->admin_token);
	free(cfg->timezone);
	free_lines(&cfg->hba_lines, &cfg->n_hba);
	free_lines(&cfg->user_lines, &cfg->n_users);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---------------------------------------------------------------------
 * Value parsers
 * --------------------------------------------------------------------- */

cm_status
srv_parse_hostport(const char *s, char **host, int *port)
{
	const char *colon;
	const char *h;
	size_t hlen;

	if (s == NULL)
		return CM_ERROR;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return CM_ERROR;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		char addr[INET6_ADDRSTRLEN + 1];
		size_t alen = hlen;
		const char *pct = memchr(h, '%', hlen); /* zone id: fe80::1%eth0 */
		if (pct != NULL)
			alen = (size_t)(pct - h);
		if (alen == 0 || alen >= sizeof(addr))
			return CM_ERROR;
		memcpy(addr, h, alen);
		addr[alen] = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return CM_ERROR;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return CM_ERROR;
		h = s;
		hlen = (size_t)(colon - s);
		for (size_t i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)h[i];
			/* A bare IPv6 address would be ambiguous: require brackets. */
			if (!(isalnum(c) || c == '.' || c == '-' || c == '_'))
				return CM_ERROR;
		}
	}
	const char *p = colon + 1;
	if (*p == '\0' || strlen(p) > 5)
		return CM_ERROR;
	long v = 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return CM_ERROR;
		v = v * 10 + (*p - '0');
	}
	if (v > 65535)
		return CM_ERROR;
	char *copy = strndup(h, hlen);
	if (copy == NULL)
		return CM_ERROR;
	*host = copy;
	*port = (int)v;
	return CM_OK;
}

cm_status
srv_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"on", "true", "yes", "1"};
	static const char *no[] = {"off", "false", "no", "0"};
	if (s == NULL)
		return CM_ERROR;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return CM_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return CM_OK;
		}
	}
	return CM_ERROR;
}

static cm_status
parse_int_range(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return CM_ERROR;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return CM_ERROR;
	*out = v;
	return CM_OK;
}

static bool
valid_store(const char *s)
{
	if (strncmp(s, "embedded:", 9) == 0)
		return s[9] != '\0';
	if (strncmp(s, "tikv://", 7) == 0) {
		/* PD1[,PD2...], each HOST:PORT with a real port */
		const char *p = s + 7;
		if (*p == '\0')
			return false;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			char *one = strndup(p, n), *host = NULL;
			int port = 0;
			bool ok = one != NULL && srv_parse_hostport(one, &host, &port) == CM_OK &&
			          host[0] != '\0' && port != 0;
			free(one);
			free(host);
			if (!ok)
				return false;
			p += n;
			if (*p == ',') {
				p++;
				if (*p == '\0')
					return false;
			}
		}
		return true;
	}
	return false;
}

static bool
valid_timezone(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(isalnum(c) || c == '/' || c == '_' || c == '+' || c == '-' || c == ':' || c == '.'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Applying one setting
 * --------------------------------------------------------------------- */

static const setting *
find_setting(const char *key, size_t len)
{
	char norm[64];
	if (len == 0 || len >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i < len; i++)
		norm[i] = key[i] == '-' ? '_' : (char)tolower((unsigned char)key[i]);
	norm[len] = '\0';
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].name, norm) == 0)
			return &settings[i];
	return NULL;
}

static cm_status
invalid(cm_error *err, const char *shown, const char *value)
{
	return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for %s: \"%s\"", shown,
	                    value);
}

static cm_status
set_string(char **field, const char *value, bool empty_is_null)
{
	char *copy = NULL;
	if (!(empty_is_null && value[0] == '\0')) {
		copy = strdup(value);
		if (copy == NULL)
			return CM_ERROR;
	}
	free(*field);
	*field = copy;
	return CM_OK;
}

static cm_status
append_line(char ***lines, int *n, const char *value)
{
	char *copy = strdup(value);
	char **grown = realloc(*lines, sizeof(char *) * (size_t)(*n + 1));
	if (copy == NULL || grown == NULL) {
		free(copy);
		if (grown != NULL)
			*lines = grown;
		return CM_ERROR;
	}
	grown[*n] = copy;
	*lines = grown;
	(*n)++;
	return CM_OK;
}

static void
free_lines(char ***lines, int *n)
{
	for (int i = 0; i < *n; i++)
		free((*lines)[i]);
	free(*lines);
	*lines = NULL;
	*n = 0;
}

/*
 * Parse value for setting s and store it in cfg.  shown is the name used in
 * error messages ("--max-connections" or "max_connections").
 */
static cm_status
apply(srv_config *cfg, const setting *s, const char *value, const char *shown, cm_error *err)
{
	char *base = (char *)cfg;
	int64_t v;
	bool b;

	switch (s->kind) {
	case K_STRING:
		if (value[0] == '\0')
			return invalid(err, shown, value);
		/* fallthrough */
	case K_OPT_STRING:
	case K_CONFIG:
		if (set_string((char **)(base + s->off), value, s->kind == K_OPT_STRING) != CM_OK)
			goto oom;
		return CM_OK;
	case K_HOSTPORT: {
		char *host;
		int port;
		if (srv_parse_hostport(value, &host, &port) != CM_OK)
			return invalid(err, shown, value);
		free(*(char **)(base + s->off));
		*(char **)(base + s->off) = host;
		*(int *)(base + s->off2) = port;
		return CM_OK;
	}
	case K_BOOL:
	case K_NEG_BOOL:
		if (srv_parse_bool(value, &b) != CM_OK)
			return invalid(err, shown, value);
		*(bool *)(base + s->off) = s->kind == K_BOOL ? b : !b;
		return CM_OK;
	case K_INT:
		if (parse_int_range(value, s->min, s->max, &v) != CM_OK)
			return invalid(err, shown, value);
		*(int *)(base + s->off) = (int)v;
		return CM_OK;
	case K_DURATION:
		if (cm_parse_duration_ms(value, &v) != CM_OK || v < s->min || v > s->max)
			return invalid(err, shown, value);
		*(int64_t *)(base + s->off) = v;
		return CM_OK;
	case K_BYTES:
		if (cm_parse_bytes(value, &v) != CM_OK || v < s->min || v > s->max)
			return invalid(err, shown, value);
		*(int64_t *)(base + s->off) = v;
		return CM_OK;
	case K_LOG_LEVEL: {
		cm_log_level lvl;
		if (!cm_log_parse_level(value, &lvl))
			return invalid(err, shown, value);
		*(int *)(base + s->off) = (int)lvl;
		return CM_OK;
	}
	case K_STORE:
		if (!valid_store(value))
			return invalid(err, shown, value);
		if (set_string((char **)(base + s->off), value, false) != CM_OK)
			goto oom;
		return CM_OK;
	case K_SOCKET_DIR:
		/* DIR + "/.s.PGSQL.65535" must fit in sockaddr_un.sun_path. */
		if (strlen(value) + sizeof("/.s.PGSQL.65535") > sizeof(((struct sockaddr_un *)0)->sun_path))
			return invalid(err, shown, value);
		if (set_string((char **)(base + s->off), value, true) != CM_OK)
			goto oom;
		return CM_OK;
	case K_TIMEZONE:
		if (!valid_timezone(value))
			return invalid(err, shown, value);
		if (set_string((char **)(base + s->off), value, false) != CM_OK)
			goto oom;
		return CM_OK;
	case K_LIST_HBA:
	case K_LIST_USER: {
		const char *p = value;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return invalid(err, shown, value);
		cm_status st = s->kind == K_LIST_HBA ? append_line(&cfg->hba_lines, &cfg->n_hba, value)
		                                     : append_line(&cfg->user_lines, &cfg->n_users, value);
		if (st != CM_OK)
			goto oom;
		return CM_OK;
	}
	}
	return invalid(err, shown, value);
oom:
	return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
}

cm_status
srv_config_set(srv_config *cfg, const char *key, const char *value, cm_error *err)
{
	const setting *s = find_setting(key, strlen(key));
	if (s == NULL || s->flag_only)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unknown setting \"%s\"", key);
	return apply(cfg, s, value, key, err);
}

/* ---------------------------------------------------------------------
 * Configuration file
 * --------------------------------------------------------------------- */

/* Turn err's message into "PATH:LINE: message". */
static cm_status
prefix_error(cm_error *err, const char *path, int lineno)
{
	char *msg = err->message;
	err->message = NULL;
	cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s:%d: %s", path, lineno, msg ? msg : "error");
	free(msg);
	return CM_ERROR;
}

/*
 * One line: [blanks] KEY [blanks] [= [blanks]] VALUE [# comment].  A value
 * that starts with a quote runs to the matching quote; inside, the quote
 * doubled or backslash-escaped stands for itself.  Otherwise the value is
 * the rest of the line before any '#', blanks trimmed, so pg_hba.conf lines
 * need no quoting.
 */
static cm_status
parse_line(const char *path, int lineno, const char *line, srv_config *cfg, cm_error *err)
{
	const char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return CM_OK;

	const char *key = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
		p++;
	size_t keylen = (size_t)(p - key);
	if (keylen == 0 || !(isspace((unsigned char)*p) || *p == '=' || *p == '\0')) {
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "syntax error");
		return prefix_error(err, path, lineno);
	}
	char *keystr = strndup(key, keylen);
	if (keystr == NULL)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;

	char *value = NULL;
	cm_status st = CM_OK;
	if (*p == '\'' || *p == '"') {
		char q = *p++;
		size_t cap = strlen(p) + 1, n = 0;
		value = malloc(cap);
		if (value == NULL) {
			free(keystr);
			return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		}
		bool closed = false;
		while (*p) {
			if (*p == '\\' && p[1] != '\0') {
				value[n++] = p[1];
				p += 2;
			} else if (*p == q && p[1] == q) {
				value[n++] = q;
				p += 2;
			} else if (*p == q) {
				p++;
				closed = true;
				break;
			} else
				value[n++] = *p++;
		}
		value[n] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!closed) {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unterminated quoted string");
			st = CM_ERROR;
		} else if (*p != '\0' && *p != '#') {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
			             "unexpected text after quoted value for %s", keystr);
			st = CM_ERROR;
		}
	} else {
		const char *end = strchr(p, '#');
		if (end == NULL)
			end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		value = strndup(p, (size_t)(end - p));
		if (value == NULL) {
			free(keystr);
			return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		}
	}
	if (st == CM_OK)
		st = srv_config_set(cfg, keystr, value, err);
	free(keystr);
	free(value);
	if (st != CM_OK)
		return prefix_error(err, path, lineno);
	return CM_OK;
}

cm_status
srv_config_load_file(srv_config *cfg, const char *path, cm_error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
		                    "could not open configuration file \"%s\": %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	cm_status st = CM_OK;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "%s:%d: NUL byte in line", path,
			             lineno);
			st = CM_ERROR;
			break;
		}
		if ((st = parse_line(path, lineno, line, cfg, err)) != CM_OK)
			break;
	}
	if (st == CM_OK && ferror(f))
		st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
		                  "could not read configuration file \"%s\": %s", path, strerror(errno));
	free(line);
	fclose(f);
	return st;
}

/* ---------------------------------------------------------------------
 * Command line
 * --------------------------------------------------------------------- */

typedef struct pending_flag {
	const setting *s;
	const char *value; /* points into argv or a literal */
	char shown[72];    /* "--name" as the user wrote it */
} pending_flag;

cm_status
srv_config_parse_start(srv_config *cfg, int argc, char **argv, bool *help, cm_error *err)
{
	if (help != NULL)
		*help = false;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			if (help != NULL)
				*help = true;
			return CM_OK;
		}

	pending_flag *flags = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*flags));
	if (flags == NULL)
		return cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
	int nflags = 0;
	const char *config_path = NULL;
	cm_status st = CM_OK;

	/* Pass 1: names and values, no parsing of values yet. */
	for (int i = 0; i < argc && st == CM_OK; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (arg[0] == '-')
				st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unknown flag %s", arg);
			else
				st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unexpected argument \"%s\"",
				                  arg);
			break;
		}
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t namelen = eq ? (size_t)(eq - name) : strlen(name);
		const setting *s = find_setting(name, namelen);
		if (s == NULL || s->file_only) {
			st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "unknown flag --%.*s",
			                  (int)namelen, name);
			break;
		}
		pending_flag *pf = &flags[nflags++];
		pf->s = s;
		snprintf(pf->shown, sizeof(pf->shown), "--%.*s", (int)namelen, name);
		if (eq != NULL)
			pf->value = eq + 1;
		else if (s->kind == K_BOOL || s->kind == K_NEG_BOOL)
			pf->value = "true";
		else if (i + 1 < argc)
			pf->value = argv[++i];
		else
			st = cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "missing value for %s", pf->shown);
		if (st == CM_OK && s->kind == K_CONFIG) {
			if (pf->value[0] == '\0')
				st = invalid(err, pf->shown, pf->value);
			config_path = pf->value;
		}
	}

	/* The file first, so that flags override it. */
	if (st == CM_OK && config_path != NULL) {
		if (set_string(&cfg->config_file, config_path, false) != CM_OK)
			st = cm_error_set(err, CM_E_OUT_OF_MEMORY, "out of memory");
		else
			st = srv_config_load_file(cfg, config_path, err);
	}

	/* Pass 2: the flags.  Lists given as flags replace the file's. */
	bool hba_reset = false, users_reset = false;
	for (int i = 0; i < nflags && st == CM_OK; i++) {
		const pending_flag *pf = &flags[i];
		if (pf->s->kind == K_CONFIG)
			continue;
		if (pf->s->kind == K_LIST_HBA && !hba_reset) {
			free_lines(&cfg->hba_lines, &cfg->n_hba);
			hba_reset = true;
		}
		if (pf->s->kind == K_LIST_USER && !users_reset) {
			free_lines(&cfg->user_lines, &cfg->n_users);
			users_reset = true;
		}
		st = apply(cfg, pf->s, pf->value, pf->shown, err);
	}
	free(flags);
	return st;
}

/* ---------------------------------------------------------------------
 * Usage
 * --------------------------------------------------------------------- */

static void
format_value(const srv_config *cfg, const setting *s, char *buf, size_t size)
{
	const char *base = (const char *)cfg;
	const char *str;

	switch (s->kind) {
	case K_HOSTPORT: {
		const char *host = *(char *const *)(base + s->off);
		int port = *(const int *)(base + s->off2);
		snprintf(buf, size, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
		return;
	}
	case K_BOOL:
		snprintf(buf, size, "%s", *(const bool *)(base + s->off) ? "on" : "off");
		return;
	case K_NEG_BOOL:
		snprintf(buf, size, "%s", *(const bool *)(base + s->off) ? "off" : "on");
		return;
	case K_INT:
		snprintf(buf, size, "%d", *(const int *)(base + s->off));
		return;
	case K_DURATION:
		cm_format_duration_ms(*(const int64_t *)(base + s->off), buf, size);
		return;
	case K_BYTES:
		cm_format_bytes(*(const int64_t *)(base + s->off), buf, size);
		return;
	case K_LOG_LEVEL: {
		static const char *names[] = {"debug", "info", "warn", "error", "off"};
		int l = *(const int *)(base + s->off);
		snprintf(buf, size, "%s", l >= 0 && l <= 4 ? names[l] : "?");
		return;
	}
	case K_STRING:
	case K_OPT_STRING:
	case K_CONFIG:
	case K_STORE:
	case K_SOCKET_DIR:
		str = *(char *const *)(base + s->off);
		snprintf(buf, size, "%s", str ? str : "none");
		return;
	case K_TIMEZONE:
		str = *(char *const *)(base + s->off);
		snprintf(buf, size, "%s", str ? str : "the system's zone");
		return;
	case K_LIST_HBA:
	case K_LIST_USER:
		snprintf(buf, size, "none");
		return;
	}
	buf[0] = '\0';
}

void
srv_config_usage_start(FILE *f)
{
	srv_config def;
	srv_config_defaults(&def);
	fprintf(f, "Usage: pgkv start [flags]\n\n"
	           "Start a node: a PostgreSQL-protocol SQL listener and a status HTTP listener\n"
	           "over the store.  SIGTERM (or `pgkv drain`) drains connections, then exits.\n\n"
	           "Flags take a value as --flag VALUE or --flag=VALUE; on/off flags take no\n"
	           "value (--flag=false turns one off).  Flags override the --config file.\n"
	           "DUR is e.g. 500ms, 5s, 2m, 1h (a unit is required except for 0); BYTES is\n"
	           "e.g. 1048576, 512KiB, 64MiB, 1GiB (KiB/MiB/GiB = 1024^n, KB/MB/GB = 1000^n).\n\n");
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const setting *s = &settings[i];
		char flag[64], val[96];
		if (s->file_only)
			continue;
		int n = snprintf(flag, sizeof(flag), "--");
		for (const char *p = s->name; *p && n < (int)sizeof(flag) - 1; p++)
			flag[n++] = *p == '_' ? '-' : *p;
		flag[n] = '\0';
		if (s->metavar != NULL)
			snprintf(flag + n, sizeof(flag) - (size_t)n, " %s", s->metavar);
		format_value(&def, s, val, sizeof(val));
		if (s->hidden_default)
			fprintf(f, "  %-28s %s\n", flag, s->help);
		else if (31 + strlen(s->help) + strlen(val) + 11 <= 100)
			fprintf(f, "  %-28s %s (default %s)\n", flag, s->help, val);
		else
			fprintf(f, "  %-28s %s\n  %-28s (default %s)\n", flag, s->help, "", val);
	}
	fprintf(f, "  %-28s %s\n", "--help", "show this text");
	fprintf(f, "\n--hba and --user may be repeated; usually they are `hba =` and `user =` lines\n"
	           "of the config file.  Every flag is also a config key (dashes or underscores).\n"
	           "See docs/configuration.md.\n");
	srv_config_free(&def);
}
