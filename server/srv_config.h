/*
 * srv_config.h -- the server's settings: defaults, `pgkv start` flags and
 * the configuration file (postgresql.conf-like).
 *
 * Every setting has one name used three ways: as a flag (--max-connections),
 * as a config-file key (max_connections or max-connections) and as a field
 * of srv_config.  Flags always win over the file, whatever their order on
 * the command line.  docs/configuration.md lists them all.
 *
 * Exported:
 *   srv_config_defaults()     fill a config with the built-in defaults
 *   srv_config_parse_start()  `pgkv start` arguments (+ --config FILE)
 *   srv_config_load_file()    one configuration file on top of cfg
 *   srv_config_set()          one setting by key and text value
 *   srv_config_free()         release the strings a config owns
 *   srv_parse_hostport()      "HOST:PORT", "[v6]:PORT" -> host + port
 *   srv_parse_bool()          on/off, true/false, yes/no, 1/0
 *   srv_config_usage_start()  the `pgkv start --help` text
 *   srv_node_run()            (defined in srv_node.c) run the node
 *
 * Errors are returned in a cm_error (SQLSTATE 22023) whose message is one
 * line without the "pgkv: " prefix, for example
 *   unknown flag --foo
 *   invalid value for --max-connections: "abc"
 *   /etc/pgkv.conf:12: unknown setting "foo"
 */
#ifndef PGKV_SRV_CONFIG_H
#define PGKV_SRV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "common/cm_error.h"
#include "common/cm_status.h"

/* Defaults (DESIGN §8). */
#define SRV_DEFAULT_LISTEN_HOST "127.0.0.1"
#define SRV_DEFAULT_LISTEN_PORT 26257
#define SRV_DEFAULT_HTTP_HOST "127.0.0.1"
#define SRV_DEFAULT_HTTP_PORT 8080
#define SRV_DEFAULT_STORE "embedded:./pgkv-data"
#define SRV_DEFAULT_MAX_CONNECTIONS 100
#define SRV_DEFAULT_SOCKET_DIR "/tmp"
#define SRV_DEFAULT_DRAIN_WAIT_MS 5000
#define SRV_DEFAULT_CONNECTION_WAIT_MS 0
#define SRV_DEFAULT_QUERY_WAIT_MS 10000
#define SRV_DEFAULT_MAX_MESSAGE_SIZE (64LL << 20)
#define SRV_DEFAULT_REGION_MAX_SIZE (96LL << 20)
#define SRV_DEFAULT_RESULTS_BUFFER_SIZE (512LL << 10)

/* Limits checked by the parser (inclusive). */
#define SRV_MAX_CONNECTIONS_LIMIT 100000
#define SRV_MAX_DURATION_MS (10LL * 3600 * 1000) /* 10h, as CockroachDB */
#define SRV_MIN_MESSAGE_SIZE (1LL << 10)
#define SRV_MAX_MESSAGE_SIZE_LIMIT (1LL << 30) /* PostgreSQL's own cap */
#define SRV_MIN_REGION_SIZE (1LL << 20)
#define SRV_MAX_REGION_SIZE_LIMIT (1LL << 40)
#define SRV_MAX_RESULTS_BUFFER_SIZE (1LL << 30)

typedef struct srv_config {
	char *listen_host;   /* SQL listener; "" = every address */
	int listen_port;     /* 0 = pick a free port */
	char *http_host;     /* status HTTP listener; "" = every address */
	int http_port;       /* 0 = pick a free port */
	char *store;         /* "embedded:DIR" or "tikv://PD1[,PD2...]" */
	char *certs_dir;     /* NULL: no TLS */
	bool insecure;       /* trust authentication for every peer */
	int max_connections; /* SQL connections; more are refused (53300) */
	char *config_file;   /* the --config file read, or NULL */
	int log_level;       /* cm_log_level */
	char *socket_dir;    /* unix socket DIR/.s.PGSQL.<port>; NULL = none */
	int64_t drain_wait_ms;
	int64_t connection_wait_ms;
	int64_t query_wait_ms;
	bool reuseport;              /* SO_REUSEPORT on both listeners */
	int64_t max_message_size;    /* largest protocol message accepted */
	int64_t region_max_size;     /* embedded store: split regions above this */
	bool sync_wal;               /* embedded store: fsync the WAL on commit */
	int64_t results_buffer_size; /* result bytes buffered before flushing */
	char *admin_token;           /* bearer token for /_admin/drain; NULL = loopback only */
	char *timezone;              /* default session TimeZone; NULL = the system zone */
	char **hba_lines;            /* `hba =` lines in order, uninterpreted */
	int n_hba;
	char **user_lines; /* `user =` lines in order, uninterpreted */
	int n_users;
} srv_config;

/* Fill *cfg with the defaults above.  Any previous contents are forgotten,
 * not freed (call srv_config_free first when reusing a config). */
void srv_config_defaults(srv_config *cfg);

/*
 * Parse the arguments that follow "start" (argv[0] is the first flag, not
 * the program name).  When --config FILE is among them the file is loaded
 * first; then every flag is applied, so flags override the file.  cfg
 * should hold the defaults.  On CM_ERROR *err holds a one-line message and
 * cfg may be partly updated (free it either way).  If --help is present
 * *help is set to true and CM_OK returned without parsing anything else;
 * help may be NULL if the caller does not care.
 */
CM_MUST_CHECK cm_status srv_config_parse_start(srv_config *cfg, int argc, char **argv, bool *help,
                                               cm_error *err);

/* Read the configuration file at path and apply its settings on top of
 * *cfg.  `hba` and `user` lines are appended to the lists.  Errors name the
 * file and line ("PATH:LINE: ...") or the file alone if it cannot be read. */
CM_MUST_CHECK cm_status srv_config_load_file(srv_config *cfg, const char *path, cm_error *err);

/* Apply one setting by key (dashes or underscores, any case) and textual
 * value, as a config file line would.  Used by the parsers and by tests.
 * The error message is "invalid value for KEY: \"VALUE\"" or "unknown
 * setting \"KEY\"" without a location. */
CM_MUST_CHECK cm_status srv_config_set(srv_config *cfg, const char *key, const char *value,
                                       cm_error *err);

/* Free every string the config owns and zero it. */
void srv_config_free(srv_config *cfg);

/*
 * Split "HOST:PORT" into a malloc'd host and a port.  HOST may be an IPv4
 * address, a name, "[IPv6]" (brackets stripped in *host) or empty (every
 * address).  PORT is 0..65535, 0 meaning "pick one".  Returns CM_OK or
 * CM_ERROR (no message; the caller knows the context).  *host is set only
 * on success and is the caller's to free.
 */
CM_MUST_CHECK cm_status srv_parse_hostport(const char *s, char **host, int *port);

/* Parse a boolean: on/off, true/false, yes/no, 1/0 (any case). */
CM_MUST_CHECK cm_status srv_parse_bool(const char *s, bool *out);

/* Print the usage text of `pgkv start` (flags with their defaults). */
void srv_config_usage_start(FILE *f);

/*
 * Run the node with this configuration until it shuts down; returns the
 * process exit code.  Defined by server/srv_node.c, not by srv_config.c.
 */
int srv_node_run(const srv_config *cfg);

#endif /* PGKV_SRV_CONFIG_H */
