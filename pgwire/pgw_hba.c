/*
 * pgw_hba.c -- pg_hba.conf-style rules: parsing and matching.
 *
 * A rule says, for a kind of connection (unix socket, TCP, TCP with or
 * without TLS), a set of databases, a set of users and a client address
 * range, which authentication method to run.  Rules are tried in the order
 * they were added and the first match wins; no match means reject.
 *
 * The accepted syntax is the subset of PostgreSQL's pg_hba.conf that makes
 * sense without OS users, groups or DNS (see pgw_auth_add_hba in
 * pgw_auth.h); anything outside it is refused with a clear 22023 error
 * rather than silently ignored, because a misread access rule is a security
 * problem.
 *
 * Exported (pgw_auth.h): pgw_auth_add_hba, pgw_auth_hba_count,
 * pgw_auth_match, pgw_auth_match_rule, pgw_auth_method_name;
 * (pgw_auth_internal.h): pgw_hba_rules_free.
 */
#include "pgwire/pgw_auth_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HBA_MAX_FIELDS 16

/* One whitespace-separated field of a line, quotes still in place. */
typedef struct hba_field {
	const char *start;
	size_t len;
} hba_field;

static cm_status hba_split_fields(const char *line, hba_field *fields, int *nfields, cm_error *err);
static cm_status hba_parse_names(const hba_field *f, bool is_db, pgw_hba_names *out, cm_error *err);
static cm_status hba_parse_address(const hba_field *fields, int nfields, int *pos,
                                   pgw_hba_rule *rule, cm_error *err);
static cm_status hba_parse_method(const hba_field *f, pgw_auth_method *out, cm_error *err);
static void hba_names_free(pgw_hba_names *n);
static void hba_rule_free(pgw_hba_rule *r);
static bool hba_field_is(const hba_field *f, const char *word);
static char *hba_field_dup(const hba_field *f);
static bool hba_names_match(const pgw_hba_names *n, const char *name, const char *user);
static bool hba_addr_match(const pgw_hba_rule *r, const struct sockaddr *peer);
static cm_status hba_error(cm_error *err, const char *line, const char *fmt, ...) CM_PRINTF(3, 4);

/* ---------------------------------------------------------------------
 * Parsing
 * --------------------------------------------------------------------- */

cm_status
pgw_auth_add_hba(pgw_auth_config *c, const char *line, cm_error *err)
{
	hba_field f[HBA_MAX_FIELDS];
	int nf = 0;
	int pos;
	pgw_hba_rule rule;

	if (line == NULL)
		line = "";
	if (hba_split_fields(line, f, &nf, err) != CM_OK)
		return CM_ERROR;
	if (nf == 0)
		return CM_OK; /* blank or comment */

	memset(&rule, 0, sizeof(rule));
	if (hba_field_is(&f[0], "local"))
		rule.type = PGW_HBA_LOCAL;
	else if (hba_field_is(&f[0], "host"))
		rule.type = PGW_HBA_HOST;
	else if (hba_field_is(&f[0], "hostssl"))
		rule.type = PGW_HBA_HOSTSSL;
	else if (hba_field_is(&f[0], "hostnossl"))
		rule.type = PGW_HBA_HOSTNOSSL;
	else if (hba_field_is(&f[0], "hostgssenc") || hba_field_is(&f[0], "hostnogssenc"))
		return hba_error(err, line, "connection type \"%.*s\" is not supported", (int)f[0].len,
		                 f[0].start);
	else
		return hba_error(err, line, "invalid connection type \"%.*s\"", (int)f[0].len, f[0].start);

	if (nf < 2)
		return hba_error(err, line, "end-of-line before database specification");
	if (nf < 3)
		return hba_error(err, line, "end-of-line before role specification");
	if (hba_parse_names(&f[1], true, &rule.databases, err) != CM_OK)
		goto fail_detail;
	if (hba_parse_names(&f[2], false, &rule.users, err) != CM_OK)
		goto fail_detail;

	pos = 3;
	if (rule.type != PGW_HBA_LOCAL) {
		if (nf <= pos) {
			hba_error(err, line, "end-of-line before IP address specification");
			goto fail;
		}
		if (hba_parse_address(f, nf, &pos, &rule, err) != CM_OK)
			goto fail_detail;
	}

	if (nf <= pos) {
		hba_error(err, line, "end-of-line before authentication method");
		goto fail;
	}
	if (hba_parse_method(&f[pos], &rule.method, err) != CM_OK)
		goto fail_detail;
	pos++;
	if (pos < nf) {
		hba_error(err, line, "authentication option \"%.*s\" is not supported", (int)f[pos].len,
		          f[pos].start);
		goto fail;
	}

	if (c->nrules == c->caprules) {
		int cap = c->caprules ? c->caprules * 2 : 8;
		pgw_hba_rule *p = realloc(c->rules, (size_t)cap * sizeof(*p));
		if (p == NULL)
			abort();
		c->rules = p;
		c->caprules = cap;
	}
	c->rules[c->nrules++] = rule;
	return CM_OK;

fail_detail:
	cm_error_detail(err, "pg_hba line: %s", line);
fail:
	hba_rule_free(&rule);
	return CM_ERROR;
}

/*
 * Splits a line into fields on unquoted whitespace, stopping at an unquoted
 * '#'.  Quotes stay in the field text; hba_parse_names strips them.
 */
static cm_status
hba_split_fields(const char *line, hba_field *fields, int *nfields, cm_error *err)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == HBA_MAX_FIELDS)
			return hba_error(err, line, "too many fields in pg_hba line");
		const char *start = p;
		bool quoted = false;
		while (*p != '\0') {
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '#'))
				break;
			p++;
		}
		if (quoted)
			return hba_error(err, line, "unterminated quoted string");
		fields[n].start = start;
		fields[n].len = (size_t)(p - start);
		n++;
	}
	*nfields = n;
	return CM_OK;
}

/*
 * Parses a DATABASE or USER field: a comma list of keywords and names.
 * A quoted element is always a literal name; "" inside quotes is a quote.
 */
static cm_status
hba_parse_names(const hba_field *f, bool is_db, pgw_hba_names *out, cm_error *err)
{
	const char *p = f->start;
	const char *end = f->start + f->len;
	const char *what = is_db ? "database" : "role";

	memset(out, 0, sizeof(*out));
	for (;;) {
		/* One element, up to an unquoted comma. */
		char *elem = pgw_auth_xmalloc(f->len + 1);
		size_t n = 0;
		bool quoted = false, was_quoted = false;
		while (p < end) {
			if (*p == '"') {
				if (quoted && p + 1 < end && p[1] == '"') {
					elem[n++] = '"';
					p += 2;
					continue;
				}
				quoted = !quoted;
				was_quoted = true;
				p++;
				continue;
			}
			if (!quoted && *p == ',')
				break;
			elem[n++] = *p++;
		}
		elem[n] = '\0';

		if (n == 0 && !was_quoted) {
			free(elem);
			hba_names_free(out);
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "empty %s name in list \"%.*s\"",
			                    what, (int)f->len, f->start);
		}
		if (!was_quoted && strcmp(elem, "all") == 0) {
			out->all = true;
			free(elem);
		} else if (!was_quoted && is_db && strcmp(elem, "sameuser") == 0) {
			out->sameuser = true;
			free(elem);
		} else if (!was_quoted && is_db && strcmp(elem, "replication") == 0) {
			/* Matches only physical replication connections, which pgkv
			 * never accepts: the element matches nothing. */
			free(elem);
		} else if (!was_quoted &&
		           ((is_db && (strcmp(elem, "samerole") == 0 || strcmp(elem, "samegroup") == 0)) ||
		            elem[0] == '+' || elem[0] == '@')) {
			cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
			             "%s specification \"%s\" is not supported", what, elem);
			cm_error_hint(err, "Group membership (+name, samerole) and @file inclusion are not "
			                   "supported; list the names.");
			free(elem);
			hba_names_free(out);
			return CM_ERROR;
		} else {
			char **names = realloc(out->names, (size_t)(out->n + 1) * sizeof(char *));
			if (names == NULL)
				abort();
			out->names = names;
			out->names[out->n++] = elem;
		}

		if (p >= end)
			break;
		p++; /* the comma */
		if (p >= end) {
			hba_names_free(out);
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "empty %s name in list \"%.*s\"",
			                    what, (int)f->len, f->start);
		}
	}
	return CM_OK;
}

/* Parses ADDRESS[/LEN] or ADDRESS NETMASK at fields[*pos]; advances *pos. */
static cm_status
hba_parse_address(const hba_field *fields, int nfields, int *pos, pgw_hba_rule *rule, cm_error *err)
{
	char *text = hba_field_dup(&fields[*pos]);
	char *slash;
	int bits = -1;
	size_t alen;

	(*pos)++;
	if (strcmp(text, "all") == 0) {
		rule->addr_all = true;
		free(text);
		return CM_OK;
	}
	if (strcmp(text, "samehost") == 0 || strcmp(text, "samenet") == 0) {
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "address \"%s\" is not supported", text);
		cm_error_hint(err, "Write the addresses as CIDR ranges.");
		free(text);
		return CM_ERROR;
	}

	slash = strchr(text, '/');
	if (slash != NULL) {
		char *endp;
		long v;

		*slash = '\0';
		if (!isdigit((unsigned char)slash[1]))
			goto bad_cidr;
		v = strtol(slash + 1, &endp, 10);
		if (*endp != '\0' || v < 0 || v > 128)
			goto bad_cidr;
		bits = (int)v;
	}

	if (inet_pton(AF_INET, text, rule->addr) == 1) {
		rule->family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, text, rule->addr) == 1) {
		rule->family = AF_INET6;
		alen = 16;
	} else {
		if (slash != NULL)
			*slash = '/';
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid IP address \"%s\"", text);
		cm_error_hint(err, "Host names, samehost and samenet are not supported; use an IP address "
		                   "with a CIDR mask, or all.");
		free(text);
		return CM_ERROR;
	}

	if (slash != NULL) {
		if ((size_t)bits > alen * 8) {
			*slash = '/';
			goto bad_cidr;
		}
		memset(rule->mask, 0, sizeof(rule->mask));
		for (size_t i = 0; i < alen; i++) {
			int b = bits - (int)(i * 8);
			rule->mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		}
	} else {
		/* A separate netmask field of the same family. */
		uint8_t m[16];
		char *mtext;
		int fam = rule->family;

		if (*pos >= nfields) {
			free(text);
			return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
			                    "end-of-line before netmask specification");
		}
		mtext = hba_field_dup(&fields[*pos]);
		(*pos)++;
		if (inet_pton(fam, mtext, m) != 1) {
			int other = fam == AF_INET ? AF_INET6 : AF_INET;
			if (inet_pton(other, mtext, m) == 1)
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "IP address and mask do not match");
			else
				cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid IP mask \"%s\"", mtext);
			cm_error_hint(err, "Write ADDRESS/LENGTH or ADDRESS NETMASK.");
			free(mtext);
			free(text);
			return CM_ERROR;
		}
		free(mtext);
		memset(rule->mask, 0, sizeof(rule->mask));
		memcpy(rule->mask, m, alen);
	}
	for (size_t i = 0; i < alen; i++)
		rule->addr[i] &= rule->mask[i];
	free(text);
	return CM_OK;

bad_cidr:
	if (slash != NULL)
		*slash = '/';
	cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid CIDR mask in address \"%s\"", text);
	free(text);
	return CM_ERROR;
}

static cm_status
hba_parse_method(const hba_field *f, pgw_auth_method *out, cm_error *err)
{
	static const char *const unsupported[] = {
	    "ident", "peer", "gss", "sspi", "pam", "ldap", "radius", "cert", "bsd", "krb5", "crypt",
	};

	if (hba_field_is(f, "trust"))
		*out = PGW_AUTH_TRUST;
	else if (hba_field_is(f, "reject"))
		*out = PGW_AUTH_REJECT;
	else if (hba_field_is(f, "password"))
		*out = PGW_AUTH_PASSWORD;
	else if (hba_field_is(f, "md5"))
		*out = PGW_AUTH_MD5;
	else if (hba_field_is(f, "scram-sha-256"))
		*out = PGW_AUTH_SCRAM;
	else {
		for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
			if (hba_field_is(f, unsupported[i]))
				return cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE,
				                    "authentication method \"%s\" is not supported",
				                    unsupported[i]);
		}
		cm_error_set(err, CM_E_INVALID_PARAMETER_VALUE, "invalid authentication method \"%.*s\"",
		             (int)f->len, f->start);
		cm_error_hint(err, "Use trust, reject, password, md5 or scram-sha-256.");
		return CM_ERROR;
	}
	return CM_OK;
}

static cm_status
hba_error(cm_error *err, const char *line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cm_error_vset(err, CM_SEV_ERROR, CM_E_INVALID_PARAMETER_VALUE, fmt, ap);
	va_end(ap);
	cm_error_detail(err, "pg_hba line: %s", line);
	return CM_ERROR;
}

static bool
hba_field_is(const hba_field *f, const char *word)
{
	return strlen(word) == f->len && memcmp(f->start, word, f->len) == 0;
}

static char *
hba_field_dup(const hba_field *f)
{
	char *s = pgw_auth_xmalloc(f->len + 1);
	memcpy(s, f->start, f->len);
	s[f->len] = '\0';
	return s;
}

static void
hba_names_free(pgw_hba_names *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->names[i]);
	free(n->names);
	memset(n, 0, sizeof(*n));
}

static void
hba_rule_free(pgw_hba_rule *r)
{
	hba_names_free(&r->databases);
	hba_names_free(&r->users);
}

void
pgw_hba_rules_free(pgw_auth_config *c)
{
	for (int i = 0; i < c->nrules; i++)
		hba_rule_free(&c->rules[i]);
	free(c->rules);
	c->rules = NULL;
	c->nrules = c->caprules = 0;
}

int
pgw_auth_hba_count(const pgw_auth_config *c)
{
	return c->nrules;
}

/* ---------------------------------------------------------------------
 * Matching
 * --------------------------------------------------------------------- */

pgw_auth_method
pgw_auth_match(const pgw_auth_config *c, bool local_socket, bool ssl, const struct sockaddr *peer,
               const char *database, const char *user)
{
	return pgw_auth_match_rule(c, local_socket, ssl, peer, database, user, NULL);
}

pgw_auth_method
pgw_auth_match_rule(const pgw_auth_config *c, bool local_socket, bool ssl,
                    const struct sockaddr *peer, const char *database, const char *user,
                    int *rule_line)
{
	if (rule_line != NULL)
		*rule_line = 0;
	if (database == NULL || user == NULL)
		return PGW_AUTH_REJECT;

	for (int i = 0; i < c->nrules; i++) {
		const pgw_hba_rule *r = &c->rules[i];

		switch (r->type) {
		case PGW_HBA_LOCAL:
			if (!local_socket)
				continue;
			break;
		case PGW_HBA_HOST:
			if (local_socket)
				continue;
			break;
		case PGW_HBA_HOSTSSL:
			if (local_socket || !ssl)
				continue;
			break;
		case PGW_HBA_HOSTNOSSL:
			if (local_socket || ssl)
				continue;
			break;
		}
		if (r->type != PGW_HBA_LOCAL && !hba_addr_match(r, peer))
			continue;
		if (!hba_names_match(&r->databases, database, user))
			continue;
		if (!hba_names_match(&r->users, user, NULL))
			continue;
		if (rule_line != NULL)
			*rule_line = i + 1;
		return r->method;
	}
	return PGW_AUTH_REJECT;
}

/* user is given for the database field (sameuser), NULL for the user field. */
static bool
hba_names_match(const pgw_hba_names *n, const char *name, const char *user)
{
	if (n->all)
		return true;
	if (n->sameuser && user != NULL && strcmp(name, user) == 0)
		return true;
	for (int i = 0; i < n->n; i++) {
		if (strcmp(n->names[i], name) == 0)
			return true;
	}
	return false;
}

static bool
hba_addr_match(const pgw_hba_rule *r, const struct sockaddr *peer)
{
	const uint8_t *a;
	size_t alen;

	if (r->addr_all)
		return true;
	if (peer == NULL)
		return false;
	if (peer->sa_family == AF_INET) {
		if (r->family != AF_INET)
			return false;
		a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
		alen = 4;
	} else if (peer->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		if (r->family == AF_INET6) {
			a = a6->s6_addr;
			alen = 16;
		} else if (IN6_IS_ADDR_V4MAPPED(a6)) {
			/* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
			a = a6->s6_addr + 12;
			alen = 4;
		} else
			return false;
	} else
		return false;

	for (size_t i = 0; i < alen; i++) {
		if ((a[i] & r->mask[i]) != r->addr[i])
			return false;
	}
	return true;
}

const char *
pgw_auth_method_name(pgw_auth_method m)
{
	switch (m) {
	case PGW_AUTH_REJECT:
		return "reject";
	case PGW_AUTH_TRUST:
		return "trust";
	case PGW_AUTH_PASSWORD:
		return "password";
	case PGW_AUTH_MD5:
		return "md5";
	case PGW_AUTH_SCRAM:
		return "scram-sha-256";
	}
	return "unknown";
}
