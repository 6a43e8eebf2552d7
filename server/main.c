/*
 * main.c -- the pgkv command: parse the command line and dispatch.
 *
 *   pgkv start [flags]     run a node (srv_node_run)
 *   pgkv drain [flags]     ask a running node to drain (POST /_admin/drain)
 *   pgkv version           print "pgkv <version>"
 *   pgkv help [start|drain], pgkv --help
 *
 * Exit codes: 0 success (and for help/version), 2 for a usage error (unknown
 * flag, bad value), 1 for a failure at run time; `start` returns whatever
 * srv_node_run returns.  This is the only file that calls exit() paths.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cm_buf.h"
#include "common/cm_duration.h"
#include "common/cm_error.h"
#include "common/cm_log.h"
#include "server/srv_config.h"
#include "server/srv_http.h"

#ifndef PGKV_VERSION
#define PGKV_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define DRAIN_DEFAULT_TIMEOUT_MS (10LL * 60 * 1000)
#define DRAIN_POLL_MS 200
#define DRAIN_REQUEST_TIMEOUT_MS 5000

static void usage(FILE *f);
static void usage_drain(FILE *f);
static int cmd_start(int argc, char **argv);
static int cmd_drain(int argc, char **argv);
static int usage_error(cm_error *err);

static void
usage(FILE *f)
{
	fprintf(f,
	        "pgkv %s -- PostgreSQL-wire SQL gateway over a TiKV-compatible store\n\n"
	        "Usage:\n"
	        "  pgkv start [flags]     run a node (SQL on 127.0.0.1:26257, HTTP on "
	        "127.0.0.1:8080)\n"
	        "  pgkv drain [flags]     drain a running node (its clients move elsewhere)\n"
	        "  pgkv version           print the version\n"
	        "  pgkv help [COMMAND]    show help (also: pgkv COMMAND --help)\n\n",
	        PGKV_VERSION);
	srv_config_usage_start(f);
	fprintf(f, "\n");
	usage_drain(f);
}

static void
usage_drain(FILE *f)
{
	fprintf(f, "Usage: pgkv drain [flags]\n\n"
	           "Ask the node whose status listener is at --http to drain: it stops being\n"
	           "ready, refuses new SQL connections, lets transactions finish, then exits.\n"
	           "Prints \"ok\" on stdout when done.\n\n"
	           "  --http HOST:PORT             the node's status address (default "
	           "127.0.0.1:8080)\n"
	           "  --token TOKEN                admin token (needed when the node sets "
	           "admin_token)\n"
	           "  --config FILE                take http and admin_token from the node's config "
	           "file\n"
	           "  --wait                       wait until the node has exited\n"
	           "  --timeout DUR                give up waiting after DUR (default 10m)\n"
	           "  --help                       show this text\n");
}

/* Print "pgkv: <message>" and return the usage exit code. */
static int
usage_error(cm_error *err)
{
	fprintf(stderr, "pgkv: %s\n", err->message ? err->message : "invalid arguments");
	cm_error_clear(err);
	return EXIT_USAGE;
}

static int
cmd_start(int argc, char **argv)
{
	srv_config cfg;
	cm_error err = {0};
	bool help = false;

	srv_config_defaults(&cfg);
	if (srv_config_parse_start(&cfg, argc, argv, &help, &err) != CM_OK) {
		srv_config_free(&cfg);
		return usage_error(&err);
	}
	if (help) {
		srv_config_usage_start(stdout);
		srv_config_free(&cfg);
		return 0;
	}
	cm_log_min_level = cfg.log_level;
	signal(SIGPIPE, SIG_IGN);
	int rc = srv_node_run(&cfg);
	srv_config_free(&cfg);
	return rc;
}

/* ---------------------------------------------------------------------
 * pgkv drain
 * --------------------------------------------------------------------- */

typedef struct drain_opts {
	char *host;
	int port;
	char *token;
	bool wait;
	int64_t timeout_ms;
} drain_opts;

static void
sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Value of an unlabelled sample "name N" in Prometheus text, or -1. */
static long long
metric_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

/* Parse drain flags.  Returns 0, or an exit code to return at once. */
static int
parse_drain(int argc, char **argv, drain_opts *o)
{
	cm_error err = {0};
	const char *http = NULL, *config = NULL;
	const char *token = NULL, *timeout = NULL;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage_drain(stdout);
			return -1;
		}
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
		const char **slot = NULL;
		if (strncmp(arg, "--wait", n) == 0 && n == 6) {
			if (eq && srv_parse_bool(eq + 1, &o->wait) != CM_OK) {
				cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for --wait: \"%s\"",
				             eq + 1);
				return usage_error(&err);
			}
			if (!eq)
				o->wait = true;
			continue;
		}
		if (n == 6 && strncmp(arg, "--http", 6) == 0)
			slot = &http;
		else if (n == 7 && strncmp(arg, "--token", 7) == 0)
			slot = &token;
		else if (n == 8 && strncmp(arg, "--config", 8) == 0)
			slot = &config;
		else if (n == 9 && strncmp(arg, "--timeout", 9) == 0)
			slot = &timeout;
		else {
			if (arg[0] == '-')
				cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "unknown flag %.*s", (int)n, arg);
			else
				cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "unexpected argument \"%s\"", arg);
			return usage_error(&err);
		}
		if (eq)
			*slot = eq + 1;
		else if (i + 1 < argc)
			*slot = argv[++i];
		else {
			cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "missing value for %s", arg);
			return usage_error(&err);
		}
	}

	/* The node's config file gives the defaults; flags override. */
	srv_config cfg;
	srv_config_defaults(&cfg);
	if (config != NULL && srv_config_load_file(&cfg, config, &err) != CM_OK) {
		srv_config_free(&cfg);
		return usage_error(&err);
	}
	o->host = cfg.http_host;
	o->port = cfg.http_port;
	o->token = cfg.admin_token;
	cfg.http_host = cfg.admin_token = NULL;
	srv_config_free(&cfg);

	if (http != NULL) {
		char *host;
		int port;
		if (srv_parse_hostport(http, &host, &port) != CM_OK || port == 0) {
			cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for --http: \"%s\"",
			             http);
			return usage_error(&err);
		}
		free(o->host);
		o->host = host;
		o->port = port;
	}
	if (token != NULL) {
		free(o->token);
		o->token = token[0] ? strdup(token) : NULL;
	}
	if (timeout != NULL && cm_parse_duration_ms(timeout, &o->timeout_ms) != CM_OK) {
		cm_error_set(&err, CM_E_INVALID_PARAMETER_VALUE, "invalid value for --timeout: \"%s\"",
		             timeout);
		return usage_error(&err);
	}
	/* A wildcard listen address is reached over loopback. */
	if (strcmp(o->host, "0.0.0.0") == 0 || strcmp(o->host, "::") == 0 || o->host[0] == '\0') {
		free(o->host);
		o->host = strdup("127.0.0.1");
	}
	return 0;
}

static int
cmd_drain(int argc, char **argv)
{
	drain_opts o = {.timeout_ms = DRAIN_DEFAULT_TIMEOUT_MS};
	cm_error err = {0};
	cm_buf body;
	int status = 0, rc = 1;

	int prc = parse_drain(argc, argv, &o);
	if (prc != 0) {
		free(o.host);
		free(o.token);
		return prc < 0 ? 0 : prc;
	}
	const char *shown_fmt = strchr(o.host, ':') ? "[%s]:%d" : "%s:%d";
	char where[300];
	snprintf(where, sizeof(where), shown_fmt, o.host, o.port);

	cm_buf_init(&body);
	cm_status st = srv_http_request(o.host, o.port, "POST", "/_admin/drain", o.token,
	                                DRAIN_REQUEST_TIMEOUT_MS, &status, &body, &err);
	if (st == CM_CLOSED) {
		fprintf(stderr, "pgkv: could not connect to %s: connection refused\n", where);
		goto out;
	}
	if (st != CM_OK) {
		fprintf(stderr, "pgkv: %s\n", err.message ? err.message : "request failed");
		goto out;
	}
	if (status != 202) {
		while (body.len > 0 && (body.data[body.len - 1] == '\n' || body.data[body.len - 1] == '\r'))
			cm_buf_truncate(&body, body.len - 1);
		fprintf(stderr, "pgkv: drain refused by %s: HTTP %d %s\n", where, status,
		        body.data ? body.data : "");
		goto out;
	}
	fprintf(stderr, "node is draining...\n");
	if (!o.wait) {
		printf("ok\n");
		rc = 0;
		goto out;
	}

	/* Wait until nobody answers at the status address any more. */
	int64_t deadline = mono_ms() + o.timeout_ms;
	long long last_remaining = -2;
	for (;;) {
		cm_buf_reset(&body);
		cm_error_clear(&err);
		st = srv_http_request(o.host, o.port, "GET", "/metrics", NULL, DRAIN_REQUEST_TIMEOUT_MS,
		                      &status, &body, &err);
		if (st == CM_CLOSED) {
			printf("ok\n");
			rc = 0;
			break;
		}
		if (st == CM_OK && status == 200) {
			long long remaining = metric_value(body.data, "pgkv_sessions_remaining");
			if (remaining >= 0 && remaining != last_remaining)
				fprintf(stderr, "remaining: %lld\n", remaining);
			last_remaining = remaining;
		}
		if (mono_ms() >= deadline) {
			char d[64];
			fprintf(stderr,
			        "pgkv: drain timeout after %s: %s is still up; rerun to keep waiting or "
			        "raise --timeout\n",
			        cm_format_duration_ms(o.timeout_ms, d, sizeof(d)), where);
			break;
		}
		sleep_ms(DRAIN_POLL_MS);
	}
out:
	cm_error_clear(&err);
	cm_buf_free(&body);
	free(o.host);
	free(o.token);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "start") == 0)
		return cmd_start(argc - 2, argv + 2);
	if (strcmp(cmd, "drain") == 0) {
		signal(SIGPIPE, SIG_IGN);
		return cmd_drain(argc - 2, argv + 2);
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("pgkv %s\n", PGKV_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc >= 3 && strcmp(argv[2], "start") == 0)
			srv_config_usage_start(stdout);
		else if (argc >= 3 && strcmp(argv[2], "drain") == 0)
			usage_drain(stdout);
		else
			usage(stdout);
		return 0;
	}
	fprintf(stderr, "pgkv: unknown command \"%s\"\nTry \"pgkv help\".\n", cmd);
	return EXIT_USAGE;
}
