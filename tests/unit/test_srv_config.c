/*
 * test_srv_config.c -- `pgkv start` flags, the configuration file, and the
 * duration / byte-size / HOST:PORT parsers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cm_duration.h"
#include "common/cm_log.h"
#include "server/srv_config.h"

/* ---- helpers --------------------------------------------------------- */

#define MAX_ARGS 32

/* Parse a NULL-terminated list of arguments on top of the defaults. */
static cm_status
parse_args(srv_config *cfg, cm_error *err, const char *first, ...)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < MAX_ARGS; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	srv_config_defaults(cfg);
	return srv_config_parse_start(cfg, argc, argv, NULL, err);
}

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/pgkv-test-conf-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	size_t n = strlen(text);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

/* ---- defaults ----------------------------------------------------------- */

Test(srv_config, defaults)
{
	srv_config c;
	srv_config_defaults(&c);
	cr_assert_str_eq(c.listen_host, "127.0.0.1");
	cr_assert_eq(c.listen_port, 26257);
	cr_assert_str_eq(c.http_host, "127.0.0.1");
	cr_assert_eq(c.http_port, 8080);
	cr_assert_str_eq(c.store, "embedded:./pgkv-data");
	cr_assert_null(c.certs_dir);
	cr_assert_eq(c.insecure, false);
	cr_assert_eq(c.max_connections, 100);
	cr_assert_null(c.config_file);
	cr_assert_eq(c.log_level, CM_LOG_INFO);
	cr_assert_str_eq(c.socket_dir, "/tmp");
	cr_assert_eq(c.drain_wait_ms, 5000);
	cr_assert_eq(c.connection_wait_ms, 0);
	cr_assert_eq(c.query_wait_ms, 10000);
	cr_assert_eq(c.reuseport, false);
	cr_assert_eq(c.max_message_size, 64LL << 20);
	cr_assert_eq(c.region_max_size, 96LL << 20);
	cr_assert_eq(c.sync_wal, true);
	cr_assert_eq(c.results_buffer_size, 512LL << 10);
	cr_assert_null(c.admin_token);
	cr_assert_null(c.timezone); /* the system zone, resolved by the node at start-up */
	cr_assert_eq(c.n_hba, 0);
	cr_assert_eq(c.n_users, 0);
	srv_config_free(&c);
}

Test(srv_config, no_arguments_keeps_defaults)
{
	srv_config c;
	cm_error err = {0};
	srv_config_defaults(&c);
	cr_assert_eq(srv_config_parse_start(&c, 0, NULL, NULL, &err), CM_OK);
	cr_assert_eq(c.listen_port, 26257);
	srv_config_free(&c);
}

/* ---- each flag ---------------------------------------------------------- */

Test(srv_config, every_flag_separate_value)
{
	srv_config c;
	cm_error err = {0};
	cm_status st = parse_args(&c, &err, "--listen", "0.0.0.0:5433", "--http", "[::1]:0", "--store",
	                          "tikv://pd1:2379,pd2:2379", "--certs-dir", "/etc/pgkv/certs",
	                          "--insecure", "--max-connections", "250", "--log-level", "debug",
	                          "--socket-dir", "/var/run/pgkv", "--drain-wait", "8s", NULL);
	cr_assert_eq(st, CM_OK, "%s", err.message);
	cr_assert_str_eq(c.listen_host, "0.0.0.0");
	cr_assert_eq(c.listen_port, 5433);
	cr_assert_str_eq(c.http_host, "::1");
	cr_assert_eq(c.http_port, 0);
	cr_assert_str_eq(c.store, "tikv://pd1:2379,pd2:2379");
	cr_assert_str_eq(c.certs_dir, "/etc/pgkv/certs");
	cr_assert(c.insecure);
	cr_assert_eq(c.max_connections, 250);
	cr_assert_eq(c.log_level, CM_LOG_DEBUG);
	cr_assert_str_eq(c.socket_dir, "/var/run/pgkv");
	cr_assert_eq(c.drain_wait_ms, 8000);
	srv_config_free(&c);

	st = parse_args(&c, &err, "--connection-wait", "1m", "--query-wait", "1500ms", "--reuseport",
	                "--max-message-size", "1MiB", "--region-max-size", "128MiB", "--no-sync-wal",
	                "--results-buffer-size", "16KiB", "--admin-token", "s3cret", "--timezone",
	                "Europe/Berlin", NULL);
	cr_assert_eq(st, CM_OK, "%s", err.message);
	cr_assert_eq(c.connection_wait_ms, 60000);
	cr_assert_eq(c.query_wait_ms, 1500);
	cr_assert(c.reuseport);
	cr_assert_eq(c.max_message_size, 1 << 20);
	cr_assert_eq(c.region_max_size, 128LL << 20);
	cr_assert_not(c.sync_wal);
	cr_assert_eq(c.results_buffer_size, 16 << 10);
	cr_assert_str_eq(c.admin_token, "s3cret");
	cr_assert_str_eq(c.timezone, "Europe/Berlin");
	srv_config_free(&c);
}

Test(srv_config, equals_form)
{
	srv_config c;
	cm_error err = {0};
	cm_status st = parse_args(&c, &err, "--listen=localhost:0", "--max-connections=7",
	                          "--store=embedded:/data/x", "--insecure=false", "--reuseport=on",
	                          "--sync-wal=off", "--socket-dir=", "--log-level=WARN", NULL);
	cr_assert_eq(st, CM_OK, "%s", err.message);
	cr_assert_str_eq(c.listen_host, "localhost");
	cr_assert_eq(c.listen_port, 0);
	cr_assert_eq(c.max_connections, 7);
	cr_assert_str_eq(c.store, "embedded:/data/x");
	cr_assert_not(c.insecure);
	cr_assert(c.reuseport);
	cr_assert_not(c.sync_wal);
	cr_assert_null(c.socket_dir, "--socket-dir= disables the unix socket");
	cr_assert_eq(c.log_level, CM_LOG_WARN);
	srv_config_free(&c);
}

Test(srv_config, empty_socket_dir_as_separate_value)
{
	srv_config c;
	cm_error err = {0};
	cr_assert_eq(parse_args(&c, &err, "--socket-dir", "", NULL), CM_OK);
	cr_assert_null(c.socket_dir);
	srv_config_free(&c);
}

Test(srv_config, later_flag_wins)
{
	srv_config c;
	cm_error err = {0};
	cr_assert_eq(parse_args(&c, &err, "--max-connections", "5", "--max-connections=6", NULL),
	             CM_OK);
	cr_assert_eq(c.max_connections, 6);
	srv_config_free(&c);
}

Test(srv_config, help_flag)
{
	srv_config c;
	cm_error err = {0};
	bool help = false;
	char *argv[] = {"--bogus", "--help"};
	srv_config_defaults(&c);
	cr_assert_eq(srv_config_parse_start(&c, 2, argv, &help, &err), CM_OK);
	cr_assert(help);
	srv_config_free(&c);
}

/* ---- bad command lines: exact messages ------------------------------------ */

typedef struct bad_case {
	const char *args[4];
	const char *message;
} bad_case;

static const bad_case bad_cases[] = {
    {{"--foo"}, "unknown flag --foo"},
    {{"--foo=1"}, "unknown flag --foo"},
    {{"-x"}, "unknown flag -x"},
    {{"stray"}, "unexpected argument \"stray\""},
    {{"--listen"}, "missing value for --listen"},
    {{"--max-connections", "abc"}, "invalid value for --max-connections: \"abc\""},
    {{"--max-connections", "0"}, "invalid value for --max-connections: \"0\""},
    {{"--max-connections", "12x"}, "invalid value for --max-connections: \"12x\""},
    {{"--max-connections=-3"}, "invalid value for --max-connections: \"-3\""},
    {{"--listen", "26257"}, "invalid value for --listen: \"26257\""},
    {{"--listen", "host:70000"}, "invalid value for --listen: \"host:70000\""},
    {{"--listen", "::1:26257"}, "invalid value for --listen: \"::1:26257\""},
    {{"--listen", "[zz]:1"}, "invalid value for --listen: \"[zz]:1\""},
    {{"--http", "host:"}, "invalid value for --http: \"host:\""},
    {{"--store", "rocks:/x"}, "invalid value for --store: \"rocks:/x\""},
    {{"--store", "embedded:"}, "invalid value for --store: \"embedded:\""},
    {{"--store", "tikv://"}, "invalid value for --store: \"tikv://\""},
    {{"--store", "tikv://pd1"}, "invalid value for --store: \"tikv://pd1\""},
    {{"--log-level", "loud"}, "invalid value for --log-level: \"loud\""},
    {{"--drain-wait", "5"}, "invalid value for --drain-wait: \"5\""},
    {{"--drain-wait", "-5s"}, "invalid value for --drain-wait: \"-5s\""},
    {{"--query-wait", "11h"}, "invalid value for --query-wait: \"11h\""},
    {{"--max-message-size", "10"}, "invalid value for --max-message-size: \"10\""},
    {{"--max-message-size", "2GiB"}, "invalid value for --max-message-size: \"2GiB\""},
    {{"--region-max-size", "lots"}, "invalid value for --region-max-size: \"lots\""},
    {{"--insecure=maybe"}, "invalid value for --insecure: \"maybe\""},
    {{"--timezone", "Bad Zone"}, "invalid value for --timezone: \"Bad Zone\""},
    {{"--config"}, "missing value for --config"},
    {{"--config", "/nonexistent/pgkv.conf"},
     "could not open configuration file \"/nonexistent/pgkv.conf\": No such file or directory"},
    {{"--socket-dir",
      "/a/very/long/directory/name/that/does/not/fit/into/sun_path/because/sun_path/is/only/"
      "one/hundred/and/eight/bytes"},
     "invalid value for --socket-dir: \"/a/very/long/directory/name/that/does/not/fit/into/"
     "sun_path/because/sun_path/is/only/one/hundred/and/eight/bytes\""},
};

Test(srv_config, bad_command_lines)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const bad_case *bc = &bad_cases[i];
		char *argv[4];
		int argc = 0;
		for (; argc < 4 && bc->args[argc] != NULL; argc++)
			argv[argc] = (char *)bc->args[argc];
		srv_config c;
		cm_error err = {0};
		srv_config_defaults(&c);
		cr_assert_eq(srv_config_parse_start(&c, argc, argv, NULL, &err), CM_ERROR, "case %zu (%s)",
		             i, bc->args[0]);
		cr_assert_str_eq(err.message, bc->message, "case %zu", i);
		cr_assert_str_eq(err.code, "22023");
		cm_error_clear(&err);
		srv_config_free(&c);
	}
}

/* ---- config file ------------------------------------------------------------ */

Test(srv_config, file_basic_quotes_comments_lists)
{
	char *path = write_temp("# pgkv configuration\n"
	                        "\n"
	                        "listen = 0.0.0.0:6000   # all interfaces\n"
	                        "http=127.0.0.1:0\n"
	                        "  max_connections 42\n"
	                        "store = 'embedded:/var/lib/pgkv data'\n"
	                        "socket-dir = ''\n"
	                        "admin_token = \"tok#en with \\\"quotes\\\"\"\n"
	                        "timezone = 'America/New_York'  # comment after quotes\n"
	                        "Log_Level = error\n"
	                        "drain_wait = 1m30s\n"
	                        "max_message_size = 96 MB\n"
	                        "sync_wal = off\n"
	                        "insecure = yes\n"
	                        "hba = host all all 127.0.0.1/32 trust\n"
	                        "hba = hostssl \"my db\" alice 10.0.0.0/8 scram-sha-256\n"
	                        "user = root superuser\n"
	                        "user = 'alice password=it''s#secret'\n"
	                        "hba = local all all trust\n");
	srv_config c;
	cm_error err = {0};
	srv_config_defaults(&c);
	cr_assert_eq(srv_config_load_file(&c, path, &err), CM_OK, "%s", err.message);
	cr_assert_str_eq(c.listen_host, "0.0.0.0");
	cr_assert_eq(c.listen_port, 6000);
	cr_assert_eq(c.http_port, 0);
	cr_assert_eq(c.max_connections, 42);
	cr_assert_str_eq(c.store, "embedded:/var/lib/pgkv data");
	cr_assert_null(c.socket_dir);
	cr_assert_str_eq(c.admin_token, "tok#en with \"quotes\"");
	cr_assert_str_eq(c.timezone, "America/New_York");
	cr_assert_eq(c.log_level, CM_LOG_ERROR);
	cr_assert_eq(c.drain_wait_ms, 90000);
	cr_assert_eq(c.max_message_size, 96000000);
	cr_assert_not(c.sync_wal);
	cr_assert(c.insecure);
	cr_assert_eq(c.n_hba, 3);
	cr_assert_str_eq(c.hba_lines[0], "host all all 127.0.0.1/32 trust");
	cr_assert_str_eq(c.hba_lines[1], "hostssl \"my db\" alice 10.0.0.0/8 scram-sha-256");
	cr_assert_str_eq(c.hba_lines[2], "local all all trust");
	cr_assert_eq(c.n_users, 2);
	cr_assert_str_eq(c.user_lines[0], "root superuser");
	cr_assert_str_eq(c.user_lines[1], "alice password=it's#secret");
	srv_config_free(&c);
	unlink(path);
	free(path);
}

typedef struct file_error_case {
	const char *text;
	const char *suffix; /* message after "PATH:" */
} file_error_case;

static const file_error_case file_errors[] = {
    {"listen = 127.0.0.1:1\nfoo = bar\n", "2: unknown setting \"foo\""},
    {"\n\n# c\nmax_connections = abc\n", "4: invalid value for max_connections: \"abc\""},
    {"store = 'embedded:/x\n", "1: unterminated quoted string"},
    {"store = 'embedded:/x' trailing\n", "1: unexpected text after quoted value for store"},
    {"= 5\n", "1: syntax error"},
    {"max.connections = 5\n", "1: syntax error"},
    {"config = /etc/other.conf\n", "1: unknown setting \"config\""},
    {"hba =\n", "1: invalid value for hba: \"\""},
    {"listen =\n", "1: invalid value for listen: \"\""},
    {"drain-wait = 10\n", "1: invalid value for drain-wait: \"10\""},
};

Test(srv_config, file_errors_name_file_and_line)
{
	for (size_t i = 0; i < sizeof(file_errors) / sizeof(file_errors[0]); i++) {
		char *path = write_temp(file_errors[i].text);
		char expect[512];
		snprintf(expect, sizeof(expect), "%s:%s", path, file_errors[i].suffix);
		srv_config c;
		cm_error err = {0};
		srv_config_defaults(&c);
		cr_assert_eq(srv_config_load_file(&c, path, &err), CM_ERROR, "case %zu", i);
		cr_assert_str_eq(err.message, expect, "case %zu", i);
		cm_error_clear(&err);
		srv_config_free(&c);
		unlink(path);
		free(path);
	}
}

Test(srv_config, flags_override_file_regardless_of_order)
{
	char *path = write_temp("max_connections = 7\nquery_wait = 3s\nhba = local all all trust\n"
	                        "user = bob\n");
	srv_config c;
	cm_error err = {0};
	/* flag before --config */
	cm_status st = parse_args(&c, &err, "--max-connections", "5", "--config", path,
	                          "--hba=host all all ::1/128 md5", NULL);
	cr_assert_eq(st, CM_OK, "%s", err.message);
	cr_assert_eq(c.max_connections, 5);
	cr_assert_eq(c.query_wait_ms, 3000, "file value kept where no flag");
	cr_assert_str_eq(c.config_file, path);
	cr_assert_eq(c.n_hba, 1, "flag list replaces the file's");
	cr_assert_str_eq(c.hba_lines[0], "host all all ::1/128 md5");
	cr_assert_eq(c.n_users, 1);
	cr_assert_str_eq(c.user_lines[0], "bob");
	srv_config_free(&c);

	/* flag after --config */
	char *cfgarg;
	cr_assert(asprintf(&cfgarg, "--config=%s", path) > 0);
	st = parse_args(&c, &err, cfgarg, "--max-connections=9", NULL);
	cr_assert_eq(st, CM_OK, "%s", err.message);
	cr_assert_eq(c.max_connections, 9);
	srv_config_free(&c);
	free(cfgarg);
	unlink(path);
	free(path);
}

Test(srv_config, file_error_reported_through_start)
{
	char *path = write_temp("bogus = 1\n");
	srv_config c;
	cm_error err = {0};
	char expect[256];
	snprintf(expect, sizeof(expect), "%s:1: unknown setting \"bogus\"", path);
	cr_assert_eq(parse_args(&c, &err, "--config", path, NULL), CM_ERROR);
	cr_assert_str_eq(err.message, expect);
	cm_error_clear(&err);
	srv_config_free(&c);
	unlink(path);
	free(path);
}

/* ---- value parsers ------------------------------------------------------------ */

typedef struct dur_case {
	const char *in;
	bool ok;
	int64_t ms;
} dur_case;

static const dur_case dur_cases[] = {
    {"0", true, 0},         {"0s", true, 0},
    {"5s", true, 5000},     {"500ms", true, 500},
    {"2m", true, 120000},   {"1h", true, 3600000},
    {"1m30s", true, 90000}, {"1.5s", true, 1500},
    {"250us", true, 0},     {"1500us", true, 1},
    {" 5s ", true, 5000},   {"10h", true, 36000000},
    {"5", false, 0},        {"", false, 0},
    {"s", false, 0},        {"-1s", false, 0},
    {"5 s", false, 0},      {"5sec", false, 0},
    {"5min", false, 0},     {"1d", false, 0},
    {"1.s", false, 0},      {"99999999999999999999h", false, 0},
    {"00", false, 0},
};

Test(cm_duration, parse_duration_table)
{
	for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		int64_t v = -7;
		cm_status st = cm_parse_duration_ms(dur_cases[i].in, &v);
		cr_assert_eq(st == CM_OK, dur_cases[i].ok, "\"%s\"", dur_cases[i].in);
		if (dur_cases[i].ok)
			cr_assert_eq(v, dur_cases[i].ms, "\"%s\" -> %lld", dur_cases[i].in, (long long)v);
		else
			cr_assert_eq(v, -7, "output untouched on error");
	}
	int64_t v;
	cr_assert_eq(cm_parse_duration_ms(NULL, &v), CM_ERROR);
}

typedef struct bytes_case {
	const char *in;
	bool ok;
	int64_t n;
} bytes_case;

static const bytes_case bytes_cases[] = {
    {"1048576", true, 1048576},
    {"0", true, 0},
    {"512B", true, 512},
    {"512KiB", true, 512 * 1024},
    {"64MiB", true, 64LL << 20},
    {"64mib", true, 64LL << 20},
    {"1GiB", true, 1LL << 30},
    {"2TiB", true, 2LL << 40},
    {"96MB", true, 96000000},
    {"1kb", true, 1000},
    {"3GB", true, 3000000000LL},
    {"1.5GiB", true, 3LL << 29},
    {"64 MiB", true, 64LL << 20},
    {"0.5KiB", true, 512},
    {"1.5", false, 0},
    {"", false, 0},
    {"MiB", false, 0},
    {"-1", false, 0},
    {"12XB", false, 0},
    {"12 MiB x", false, 0},
    {"9223372036854775807", true, INT64_MAX},
    {"9223372036854775808", false, 0},
    {"9999999TiB", false, 0},
};

Test(cm_duration, parse_bytes_table)
{
	for (size_t i = 0; i < sizeof(bytes_cases) / sizeof(bytes_cases[0]); i++) {
		int64_t v = -7;
		cm_status st = cm_parse_bytes(bytes_cases[i].in, &v);
		cr_assert_eq(st == CM_OK, bytes_cases[i].ok, "\"%s\"", bytes_cases[i].in);
		if (bytes_cases[i].ok)
			cr_assert_eq(v, bytes_cases[i].n, "\"%s\" -> %lld", bytes_cases[i].in, (long long)v);
		else
			cr_assert_eq(v, -7);
	}
}

Test(cm_duration, format_round_trips)
{
	static const int64_t ms[] = {0, 1, 500, 1000, 1500, 60000, 90000, 3600000, 3723004, 36000000};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		char buf[64];
		int64_t back = -1;
		cm_format_duration_ms(ms[i], buf, sizeof(buf));
		cr_assert_eq(cm_parse_duration_ms(buf, &back), CM_OK, "%s", buf);
		cr_assert_eq(back, ms[i], "%s", buf);
	}
	char buf[64];
	cr_assert_str_eq(cm_format_duration_ms(5000, buf, sizeof(buf)), "5s");
	cr_assert_str_eq(cm_format_duration_ms(3723004, buf, sizeof(buf)), "1h2m3s4ms");
	cr_assert_str_eq(cm_format_bytes(64LL << 20, buf, sizeof(buf)), "64MiB");
	cr_assert_str_eq(cm_format_bytes(512LL << 10, buf, sizeof(buf)), "512KiB");
	cr_assert_str_eq(cm_format_bytes(1000, buf, sizeof(buf)), "1000");
	cr_assert_str_eq(cm_format_bytes(0, buf, sizeof(buf)), "0");
}

typedef struct hp_case {
	const char *in;
	bool ok;
	const char *host;
	int port;
} hp_case;

static const hp_case hp_cases[] = {
    {"127.0.0.1:26257", true, "127.0.0.1", 26257},
    {"localhost:0", true, "localhost", 0},
    {"[::1]:8080", true, "::1", 8080},
    {"[fe80::1%eth0]:80", true, "fe80::1%eth0", 80},
    {"[::]:1", true, "::", 1},
    {":5432", true, "", 5432},
    {"db-1.example.com:65535", true, "db-1.example.com", 65535},
    {"host:65536", false, NULL, 0},
    {"host", false, NULL, 0},
    {"host:", false, NULL, 0},
    {"host:-1", false, NULL, 0},
    {"host:12ab", false, NULL, 0},
    {"::1:80", false, NULL, 0},
    {"[::1]80", false, NULL, 0},
    {"[::1", false, NULL, 0},
    {"[]:80", false, NULL, 0},
    {"bad host:80", false, NULL, 0},
    {"host:0000080", false, NULL, 0},
};

Test(srv_config, hostport_table)
{
	for (size_t i = 0; i < sizeof(hp_cases) / sizeof(hp_cases[0]); i++) {
		char *host = NULL;
		int port = -1;
		cm_status st = srv_parse_hostport(hp_cases[i].in, &host, &port);
		cr_assert_eq(st == CM_OK, hp_cases[i].ok, "\"%s\"", hp_cases[i].in);
		if (hp_cases[i].ok) {
			cr_assert_str_eq(host, hp_cases[i].host);
			cr_assert_eq(port, hp_cases[i].port);
		}
		free(host);
	}
}

Test(srv_config, bool_values)
{
	static const char *yes[] = {"on", "TRUE", "yes", "1"};
	static const char *no[] = {"off", "false", "No", "0"};
	for (int i = 0; i < 4; i++) {
		bool b = false;
		cr_assert_eq(srv_parse_bool(yes[i], &b), CM_OK);
		cr_assert(b);
		cr_assert_eq(srv_parse_bool(no[i], &b), CM_OK);
		cr_assert_not(b);
	}
	bool b;
	cr_assert_eq(srv_parse_bool("2", &b), CM_ERROR);
	cr_assert_eq(srv_parse_bool("", &b), CM_ERROR);
}

Test(srv_config, usage_lists_every_flag_with_defaults)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	srv_config_usage_start(f);
	fclose(f);
	static const char *expect[] = {
	    "--listen HOST:PORT",
	    "(default 127.0.0.1:26257)",
	    "--http HOST:PORT",
	    "(default 127.0.0.1:8080)",
	    "--store STORE",
	    "(default embedded:./pgkv-data)",
	    "--certs-dir DIR",
	    "--insecure",
	    "--max-connections N",
	    "(default 100)",
	    "--config FILE",
	    "--log-level LEVEL",
	    "(default info)",
	    "--socket-dir DIR",
	    "(default /tmp)",
	    "--drain-wait DUR",
	    "(default 5s)",
	    "--connection-wait DUR",
	    "(default 0)",
	    "--query-wait DUR",
	    "(default 10s)",
	    "--reuseport",
	    "--max-message-size BYTES",
	    "(default 64MiB)",
	    "--region-max-size BYTES",
	    "(default 96MiB)",
	    "--sync-wal",
	    "--no-sync-wal",
	    "--results-buffer-size BYTES",
	    "(default 512KiB)",
	    "--admin-token TOKEN",
	    "--timezone ZONE",
	    "(default the system's zone)",
	    "--hba LINE",
	    "--user SPEC",
	    "--help",
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		cr_assert(strstr(text, expect[i]) != NULL, "usage lacks %s", expect[i]);
	free(text);
}

Test(srv_config, set_by_key)
{
	srv_config c;
	cm_error err = {0};
	srv_config_defaults(&c);
	cr_assert_eq(srv_config_set(&c, "QUERY-WAIT", "2s", &err), CM_OK);
	cr_assert_eq(c.query_wait_ms, 2000);
	cr_assert_eq(srv_config_set(&c, "nope", "2s", &err), CM_ERROR);
	cr_assert_str_eq(err.message, "unknown setting \"nope\"");
	cm_error_clear(&err);
	srv_config_free(&c);
}
