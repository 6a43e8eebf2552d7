/*
 * test_extended.c -- extended query protocol through libpq and raw messages:
 * PQprepare with explicit and inferred parameter types, PQdescribePrepared,
 * PQexecPrepared/PQexecParams with text and binary parameters and results for
 * the common types (the binary formats are encoded and decoded here, by
 * hand), unnamed statements, Describe portal, Close/DEALLOCATE, and Bind
 * format-code forms sent as raw protocol messages.
 *
 * Every expectation is PostgreSQL 15's behaviour (passes with
 * PGKV_TARGET=postgres).
 */
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Type OIDs (pg_type.dat) */
#define BOOLOID 16
#define BYTEAOID 17
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define TEXTOID 25
#define FLOAT4OID 700
#define FLOAT8OID 701
#define DATEOID 1082
#define TIMESTAMPOID 1114
#define TIMESTAMPTZOID 1184
#define NUMERICOID 1700
#define UUIDOID 2950

#define BIN_MAX 128

/* ---- binary encoders and decoders (PostgreSQL's *send / *recv formats) ---- */

typedef struct bin {
	unsigned char b[BIN_MAX];
	int			len;
} bin;

static void
put_be(bin *o, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		o->b[o->len++] = (unsigned char) (v >> (8 * i));
}

static uint64_t
get_be(const unsigned char *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

#define PG_EPOCH_DAYS 10957		/* 2000-01-01 - 1970-01-01 */
#define USECS_PER_DAY INT64_C(86400000000)

/* "YYYY-MM-DD[ HH:MM:SS[.ffffff]][+00]" -> microseconds since 2000-01-01. */
static int64_t
parse_ts(const char *s)
{
	int			y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
	int64_t		frac = 0;
	int64_t		offset = 0;
	const char *dot;

	sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se);
	if ((dot = strchr(s, '.')) != NULL)
	{
		int			digits = 0;

		for (dot++; isdigit((unsigned char) *dot) && digits < 6; dot++, digits++)
			frac = frac * 10 + (*dot - '0');
		for (; digits < 6; digits++)
			frac *= 10;
	}
	/* a zone offset after the time of day: +HH[:MM] or -HH[:MM] */
	if (strlen(s) > 19)
	{
		const char *z = strpbrk(s + 19, "+-");

		if (z)
		{
			int			oh = 0, om = 0;

			sscanf(z + 1, "%d:%d", &oh, &om);
			offset = (int64_t) (oh * 3600 + om * 60) * 1000000 * (*z == '-' ? -1 : 1);
		}
	}
	return (days_from_civil(y, (unsigned) mo, (unsigned) d) - PG_EPOCH_DAYS) * USECS_PER_DAY +
		((int64_t) h * 3600 + mi * 60 + se) * 1000000 + frac - offset;
}

static void
format_ts(int64_t us, bool tz, char *out, size_t n)
{
	int64_t		days = us / USECS_PER_DAY;
	int64_t		rem = us % USECS_PER_DAY;
	int			y, m, d;
	int			len;

	if (rem < 0)
	{
		rem += USECS_PER_DAY;
		days--;
	}
	civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
	len = snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d,
				   (int) (rem / 3600000000), (int) (rem / 60000000 % 60),
				   (int) (rem / 1000000 % 60));
	if (rem % 1000000)
	{
		char		f[8];
		int			fl;

		snprintf(f, sizeof(f), "%06d", (int) (rem % 1000000));
		for (fl = 6; fl > 0 && f[fl - 1] == '0'; fl--)
			f[fl - 1] = '\0';
		len += snprintf(out + len, n - (size_t) len, ".%s", f);
	}
	if (tz)
		snprintf(out + len, n - (size_t) len, "+00");
}

/*
 * numeric: int16 ndigits, int16 weight, uint16 sign (0 pos, 0x4000 neg),
 * int16 dscale, then ndigits base-10000 digits; leading and trailing zero
 * digits stripped; zero is ndigits 0, weight 0.
 */
static void
encode_numeric(const char *s, bin *o)
{
	bool		neg = false;
	char		ip[128] = "", fp[128] = "";
	size_t		il, fl;
	int			groups[64];
	int			ng = 0, weight, first, last;
	char		padded[260];
	size_t		pl;
	const char *dot;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	dot = strchr(s, '.');
	il = dot ? (size_t) (dot - s) : strlen(s);
	snprintf(ip, sizeof(ip), "%.*s", (int) il, s);
	if (dot)
		snprintf(fp, sizeof(fp), "%s", dot + 1);
	fl = strlen(fp);
	/* integer part left-padded, fraction right-padded, to multiples of 4 */
	pl = 0;
	for (size_t i = 0; i < (4 - il % 4) % 4; i++)
		padded[pl++] = '0';
	memcpy(padded + pl, ip, il);
	pl += il;
	weight = (int) (pl / 4) - 1;
	memcpy(padded + pl, fp, fl);
	pl += fl;
	while (pl % 4)
		padded[pl++] = '0';
	for (size_t i = 0; i < pl; i += 4)
		groups[ng++] = (padded[i] - '0') * 1000 + (padded[i + 1] - '0') * 100 +
			(padded[i + 2] - '0') * 10 + (padded[i + 3] - '0');
	first = 0;
	while (first < ng && groups[first] == 0)
	{
		first++;
		weight--;
	}
	last = ng;
	while (last > first && groups[last - 1] == 0)
		last--;
	o->len = 0;
	if (first == last)
	{
		put_be(o, 0, 2);
		put_be(o, 0, 2);
		put_be(o, 0, 2);
	}
	else
	{
		put_be(o, (uint64_t) (last - first), 2);
		put_be(o, (uint16_t) (int16_t) weight, 2);
		put_be(o, neg ? 0x4000 : 0, 2);
	}
	put_be(o, fl, 2);
	for (int i = first; i < last; i++)
		put_be(o, (uint64_t) groups[i], 2);
}

static void
decode_numeric(const unsigned char *p, int len, char *out, size_t n)
{
	int			ndigits = (int16_t) get_be(p, 2);
	int			weight = (int16_t) get_be(p + 2, 2);
	unsigned	sign = (unsigned) get_be(p + 4, 2);
	int			dscale = (int16_t) get_be(p + 6, 2);
	size_t		o = 0;

	if (len != 8 + 2 * ndigits)
	{
		snprintf(out, n, "<bad numeric length %d>", len);
		return;
	}
	if (sign == 0xC000)
	{
		snprintf(out, n, "NaN");
		return;
	}
	if (sign == 0x4000)
		out[o++] = '-';
	if (weight < 0)
		out[o++] = '0';
	for (int i = 0; i <= weight; i++)
	{
		int			dg = i < ndigits ? (int) get_be(p + 8 + 2 * i, 2) : 0;

		o += (size_t) snprintf(out + o, n - o, i == 0 ? "%d" : "%04d", dg);
	}
	if (dscale > 0)
	{
		int			emitted = 0;

		out[o++] = '.';
		for (int i = weight + 1; emitted < dscale; i++)
		{
			int			dg = (i >= 0 && i < ndigits) ? (int) get_be(p + 8 + 2 * i, 2) : 0;
			char		four[12];

			snprintf(four, sizeof(four), "%04d", dg);
			for (int k = 0; k < 4 && emitted < dscale; k++, emitted++)
				out[o++] = four[k];
		}
	}
	out[o] = '\0';
}

static int
hexval(char c)
{
	return isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10;
}

/* Binary form of the text value in of type oid. */
static void
encode_value(Oid oid, const char *in, bin *o)
{
	o->len = 0;
	switch (oid)
	{
		case BOOLOID:
			put_be(o, in[0] == 't', 1);
			break;
		case INT2OID:
			put_be(o, (uint16_t) (int16_t) atoi(in), 2);
			break;
		case INT4OID:
			put_be(o, (uint32_t) (int32_t) atol(in), 4);
			break;
		case INT8OID:
			put_be(o, (uint64_t) strtoll(in, NULL, 10), 8);
			break;
		case FLOAT4OID:
			{
				float		f = strtof(in, NULL);
				uint32_t	u;

				memcpy(&u, &f, 4);
				put_be(o, u, 4);
				break;
			}
		case FLOAT8OID:
			{
				double		f = strtod(in, NULL);
				uint64_t	u;

				memcpy(&u, &f, 8);
				put_be(o, u, 8);
				break;
			}
		case TEXTOID:
			o->len = (int) strlen(in);
			memcpy(o->b, in, (size_t) o->len);
			break;
		case BYTEAOID:			/* hex format \x... */
			for (const char *p = in + 2; p[0] && p[1]; p += 2)
				o->b[o->len++] = (unsigned char) (hexval(p[0]) * 16 + hexval(p[1]));
			break;
		case NUMERICOID:
			encode_numeric(in, o);
			break;
		case UUIDOID:
			for (const char *p = in; *p;)
			{
				if (*p == '-')
				{
					p++;
					continue;
				}
				o->b[o->len++] = (unsigned char) (hexval(p[0]) * 16 + hexval(p[1]));
				p += 2;
			}
			break;
		case DATEOID:
			{
				int			y, m, d;

				sscanf(in, "%d-%d-%d", &y, &m, &d);
				put_be(o, (uint32_t) (int32_t) (days_from_civil(y, (unsigned) m, (unsigned) d) -
												PG_EPOCH_DAYS), 4);
				break;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			put_be(o, (uint64_t) parse_ts(in), 8);
			break;
		default:
			h_fail_now("no encoder for type %u", oid);
	}
}

/* Text form (as PostgreSQL prints it) of a binary value of type oid. */
static void
decode_value(Oid oid, const unsigned char *p, int len, char *out, size_t n)
{
	switch (oid)
	{
		case BOOLOID:
			snprintf(out, n, "%s", len == 1 && p[0] ? "t" : "f");
			break;
		case INT2OID:
			snprintf(out, n, "%d", (int16_t) get_be(p, 2));
			break;
		case INT4OID:
			snprintf(out, n, "%d", (int32_t) get_be(p, 4));
			break;
		case INT8OID:
			snprintf(out, n, "%lld", (long long) (int64_t) get_be(p, 8));
			break;
		case FLOAT4OID:
			{
				uint32_t	u = (uint32_t) get_be(p, 4);
				float		f;

				memcpy(&f, &u, 4);
				snprintf(out, n, "%g", (double) f);
				break;
			}
		case FLOAT8OID:
			{
				uint64_t	u = get_be(p, 8);
				double		f;

				memcpy(&f, &u, 8);
				snprintf(out, n, "%.17g", f);
				break;
			}
		case TEXTOID:
			snprintf(out, n, "%.*s", len, (const char *) p);
			break;
		case BYTEAOID:
			{
				size_t		o = (size_t) snprintf(out, n, "\\x");

				for (int i = 0; i < len && o + 3 < n; i++)
					o += (size_t) snprintf(out + o, n - o, "%02x", p[i]);
				break;
			}
		case NUMERICOID:
			decode_numeric(p, len, out, n);
			break;
		case UUIDOID:
			{
				size_t		o = 0;

				for (int i = 0; i < len && o + 3 < n; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						out[o++] = '-';
					o += (size_t) snprintf(out + o, n - o, "%02x", p[i]);
				}
				out[o] = '\0';
				break;
			}
		case DATEOID:
			{
				int			y, m, d;

				civil_from_days((int32_t) get_be(p, 4) + PG_EPOCH_DAYS, &y, &m, &d);
				snprintf(out, n, "%04d-%02d-%02d", y, m, d);
				break;
			}
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			format_ts((int64_t) get_be(p, 8), oid == TIMESTAMPTZOID, out, n);
			break;
		default:
			snprintf(out, n, "<no decoder for %u>", oid);
	}
}

static char *
hexdump(const unsigned char *p, int len)
{
	char	   *s = malloc((size_t) len * 2 + 1);

	for (int i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

static bool
check_bytes(const unsigned char *got, int glen, const bin *want, const char *what)
{
	bool		ok = glen == want->len && memcmp(got, want->b, (size_t) glen) == 0;
	char	   *g = hexdump(got, glen);
	char	   *w = hexdump(want->b, want->len);

	H_CHECK(ok, "%s: bytes %s, want %s", what, g, w);
	free(g);
	free(w);
	return ok;
}

/* ---- value table ---- */

typedef struct vcase {
	Oid			oid;
	const char *in;				/* text input */
	const char *out;			/* text output (NULL: same as in) */
} vcase;

static const vcase cases[] = {
	{BOOLOID, "t", NULL},
	{BOOLOID, "f", NULL},
	{INT2OID, "-2", NULL},
	{INT2OID, "32767", NULL},
	{INT4OID, "123456", NULL},
	{INT4OID, "-2147483648", NULL},
	{INT8OID, "-9007199254740993", NULL},
	{INT8OID, "9223372036854775807", NULL},
	{FLOAT4OID, "1.5", NULL},
	{FLOAT4OID, "-0.25", NULL},
	{FLOAT8OID, "-2.25", NULL},
	{FLOAT8OID, "1e+100", NULL},
	{TEXTOID, "h\xc3\xa9llo, world", NULL},
	{TEXTOID, "", NULL},
	{BYTEAOID, "\\x00ff10", NULL},
	{BYTEAOID, "\\x", NULL},
	{NUMERICOID, "-12345.678", NULL},
	{NUMERICOID, "0", NULL},
	{NUMERICOID, "0.000", NULL},
	{NUMERICOID, "0.0001", NULL},
	{NUMERICOID, "-0.5", NULL},
	{NUMERICOID, "100", NULL},
	{NUMERICOID, "123456789012345678901234567890.123456789", NULL},
	{UUIDOID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", NULL},
	{DATEOID, "2024-02-29", NULL},
	{DATEOID, "1999-12-31", NULL},
	{DATEOID, "1970-01-01", NULL},
	{TIMESTAMPOID, "2024-02-29 13:14:15.123456", NULL},
	{TIMESTAMPOID, "1999-12-31 23:59:59.5", NULL},
	{TIMESTAMPOID, "2000-01-01 00:00:00", NULL},
	{TIMESTAMPTZOID, "2024-02-29 13:14:15.123456+00", NULL},
	{TIMESTAMPTZOID, "2024-02-29 08:14:15-05", "2024-02-29 13:14:15+00"},
};

static void
test_values(PGconn *c)
{
	const int	bin_fmt = 1;

	h_section("text and binary parameters and results");
	h_exec_ok(c, "SET TimeZone = 'UTC'");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const vcase *v = &cases[i];
		const char *out = v->out ? v->out : v->in;
		bin			want, in_bin;
		char		what[160], dec[256];
		PGresult   *r;
		const char *pv;
		int			plen;

		encode_value(v->oid, out, &want);
		encode_value(v->oid, v->in, &in_bin);

		/* text parameter, binary result */
		snprintf(what, sizeof(what), "type %u '%s' text->binary", v->oid, v->in);
		pv = v->in;
		r = PQexecParams(c, "select $1", 1, &v->oid, &pv, NULL, NULL, 1);
		if (h_expect_status(r, PGRES_TUPLES_OK, what))
		{
			H_CHECK_EQ_INT(PQftype(r, 0), v->oid, "result type");
			H_CHECK_EQ_INT(PQfformat(r, 0), 1, "result format");
			check_bytes((const unsigned char *) PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0),
						&want, what);
			decode_value(v->oid, (const unsigned char *) PQgetvalue(r, 0, 0),
						 PQgetlength(r, 0, 0), dec, sizeof(dec));
			if (v->oid == FLOAT8OID || v->oid == FLOAT4OID)
			{
				char		exp[64];

				snprintf(exp, sizeof(exp), v->oid == FLOAT4OID ? "%g" : "%.17g",
						 strtod(out, NULL));
				H_CHECK_EQ_STR(dec, exp, "decoded binary float");
			}
			else
				H_CHECK_EQ_STR(dec, out, "decoded binary value");
		}
		PQclear(r);

		/* binary parameter, text result */
		snprintf(what, sizeof(what), "type %u '%s' binary->text", v->oid, v->in);
		pv = (const char *) in_bin.b;
		plen = in_bin.len;
		r = PQexecParams(c, "select $1", 1, &v->oid, &pv, &plen, &bin_fmt, 0);
		if (h_expect_status(r, PGRES_TUPLES_OK, what))
		{
			H_CHECK_EQ_INT(PQfformat(r, 0), 0, "result format");
			H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), out, what);
		}
		PQclear(r);

		/* binary parameter, binary result */
		snprintf(what, sizeof(what), "type %u '%s' binary->binary", v->oid, v->in);
		r = PQexecParams(c, "select $1", 1, &v->oid, &pv, &plen, &bin_fmt, 1);
		if (h_expect_status(r, PGRES_TUPLES_OK, what))
			check_bytes((const unsigned char *) PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0),
						&want, what);
		PQclear(r);
	}

	/* binary results of expressions, not only of parameters */
	{
		PGresult   *r = PQexecParams(c,
									 "select 1::int2, 2::int4, 3::int8, true, 'x'::text, "
									 "1.25::float8, 12.5::numeric(6,2), '2000-01-02'::date",
									 0, NULL, NULL, NULL, NULL, 1);

		if (h_expect_status(r, PGRES_TUPLES_OK, "binary results of constants"))
		{
			static const Oid t[] = {INT2OID, INT4OID, INT8OID, BOOLOID, TEXTOID, FLOAT8OID,
			NUMERICOID, DATEOID};
			static const char *const want[] = {"1", "2", "3", "t", "x", "1.25", "12.50",
			"2000-01-02"};

			for (int i = 0; i < 8; i++)
			{
				char		dec[64];

				H_CHECK_EQ_INT(PQftype(r, i), t[i], "type");
				decode_value(t[i], (const unsigned char *) PQgetvalue(r, 0, i),
							 PQgetlength(r, 0, i), dec, sizeof(dec));
				H_CHECK_EQ_STR(dec, want[i], "decoded constant");
			}
		}
		PQclear(r);
	}
	/* NULL parameter */
	{
		const Oid	t = INT4OID;
		const char *pv = NULL;
		PGresult   *r = PQexecParams(c, "select $1", 1, &t, &pv, NULL, NULL, 1);

		if (h_expect_status(r, PGRES_TUPLES_OK, "NULL parameter"))
			H_CHECK(PQgetisnull(r, 0, 0), "NULL parameter comes back NULL");
		PQclear(r);
	}
	h_exec_ok(c, "RESET TimeZone");
}

static void
check_described(PGconn *c, const char *name, int nparams, const Oid *ptypes, int nfields,
				const Oid *ftypes)
{
	PGresult   *d = PQdescribePrepared(c, name);
	char		what[128];

	snprintf(what, sizeof(what), "describe statement \"%s\"", name);
	if (!h_expect_status(d, PGRES_COMMAND_OK, what))
	{
		PQclear(d);
		return;
	}
	H_CHECK_EQ_INT(PQnparams(d), nparams, "number of parameters");
	for (int i = 0; i < nparams && i < PQnparams(d); i++)
		H_CHECK_EQ_INT(PQparamtype(d, i), ptypes[i], "parameter type");
	H_CHECK_EQ_INT(PQnfields(d), nfields, "number of result columns");
	for (int i = 0; i < nfields && i < PQnfields(d); i++)
		H_CHECK_EQ_INT(PQftype(d, i), ftypes[i], "result column type");
	PQclear(d);
}

static void
test_prepare(PGconn *c)
{
	PGresult   *r;

	h_section("PQprepare, PQdescribePrepared, PQexecPrepared");
	r = PQprepare(c, "s_int8", "select $1::int8 + 1", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare s_int8");
	PQclear(r);
	check_described(c, "s_int8", 1, (Oid[]) {INT8OID}, 1, (Oid[]) {INT8OID});

	r = PQprepare(c, "s_infer", "select $1 + 1", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare s_infer");
	PQclear(r);
	check_described(c, "s_infer", 1, (Oid[]) {INT4OID}, 1, (Oid[]) {INT4OID});

	r = PQprepare(c, "s_explicit", "select $1 + 1", 1, (Oid[]) {INT8OID});
	h_expect_status(r, PGRES_COMMAND_OK, "prepare s_explicit with int8");
	PQclear(r);
	check_described(c, "s_explicit", 1, (Oid[]) {INT8OID}, 1, (Oid[]) {INT8OID});

	/* a zero OID in the list means "unspecified" */
	r = PQprepare(c, "s_two", "select $1::text as t, $2 * 2 as n", 2, (Oid[]) {0, 0});
	h_expect_status(r, PGRES_COMMAND_OK, "prepare s_two");
	PQclear(r);
	check_described(c, "s_two", 2, (Oid[]) {TEXTOID, INT4OID}, 2, (Oid[]) {TEXTOID, INT4OID});
	{
		PGresult   *d = PQdescribePrepared(c, "s_two");

		if (PQresultStatus(d) == PGRES_COMMAND_OK && PQnfields(d) == 2)
		{
			H_CHECK_EQ_STR(PQfname(d, 0), "t", "described column name");
			H_CHECK_EQ_STR(PQfname(d, 1), "n", "described column name");
		}
		PQclear(d);
	}

	/* a statement without a result: NoData */
	r = PQprepare(c, "s_set", "set application_name = 'prepared'", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare s_set");
	PQclear(r);
	check_described(c, "s_set", 0, NULL, 0, NULL);
	r = PQexecPrepared(c, "s_set", 0, NULL, NULL, NULL, 0);
	if (h_expect_status(r, PGRES_COMMAND_OK, "execute s_set"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "SET", "tag");
	PQclear(r);
	H_CHECK_EQ_STR(PQparameterStatus(c, "application_name"), "prepared",
				   "ParameterStatus after prepared SET");
	h_exec_ok(c, "RESET application_name");

	/* text parameter, text result */
	r = PQexecPrepared(c, "s_int8", 1, (const char *[]) {"41"}, NULL, NULL, 0);
	if (h_expect_status(r, PGRES_TUPLES_OK, "execute s_int8 text"))
	{
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "42", "41 + 1");
		H_CHECK_EQ_STR(PQcmdStatus(r), "SELECT 1", "tag");
	}
	PQclear(r);
	/* binary parameter, binary result */
	{
		bin			p, want;
		const char *pv;
		int			plen, fmt = 1;

		encode_value(INT8OID, "-5000000000", &p);
		encode_value(INT8OID, "-4999999999", &want);
		pv = (const char *) p.b;
		plen = p.len;
		r = PQexecPrepared(c, "s_int8", 1, &pv, &plen, &fmt, 1);
		if (h_expect_status(r, PGRES_TUPLES_OK, "execute s_int8 binary"))
			check_bytes((const unsigned char *) PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0),
						&want, "binary int8 result");
		PQclear(r);
	}
	/* mixed formats per parameter */
	{
		bin			p;
		const char *pv[2];
		int			plen[2], fmt[2] = {0, 1};

		encode_value(INT4OID, "21", &p);
		pv[0] = "abc";
		pv[1] = (const char *) p.b;
		plen[0] = 0;
		plen[1] = p.len;
		r = PQexecPrepared(c, "s_two", 2, pv, plen, fmt, 0);
		if (h_expect_status(r, PGRES_TUPLES_OK, "execute s_two text+binary"))
		{
			H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "abc", "text parameter");
			H_CHECK_EQ_STR(PQgetvalue(r, 0, 1), "42", "binary parameter * 2");
		}
		PQclear(r);
	}
	/* the same statement many times */
	for (int i = 0; i < 50; i++)
	{
		char		in[16], out[16];
		const char *pv = in;

		snprintf(in, sizeof(in), "%d", i * 1000);
		snprintf(out, sizeof(out), "%d", i * 1000 + 1);
		r = PQexecPrepared(c, "s_infer", 1, &pv, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), out) != 0)
		{
			H_CHECK(false, "repeated execute %d: %s %s", i, PQresStatus(PQresultStatus(r)),
					PQresultErrorMessage(r));
			PQclear(r);
			break;
		}
		PQclear(r);
	}
	H_CHECK(true, "50 repeated executions");

	h_section("errors in the extended protocol");
	r = PQprepare(c, "s_int8", "select 2", 0, NULL);
	h_expect_status(r, PGRES_FATAL_ERROR, "prepare a duplicate name");
	H_CHECK_EQ_STR(h_sqlstate(r), "42P05", "SQLSTATE of a duplicate statement");
	PQclear(r);
	r = PQprepare(c, "s_bad", "selec 1", 0, NULL);
	h_expect_status(r, PGRES_FATAL_ERROR, "prepare a syntax error");
	H_CHECK_EQ_STR(h_sqlstate(r), "42601", "SQLSTATE of a syntax error in Parse");
	PQclear(r);
	r = PQexecPrepared(c, "s_int8", 0, NULL, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "execute with too few parameters");
	H_CHECK_EQ_STR(h_sqlstate(r), "08P01", "SQLSTATE of a parameter count mismatch");
	PQclear(r);
	r = PQexecPrepared(c, "s_int8", 1, (const char *[]) {"abc"}, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "execute with a bad int8 text");
	H_CHECK_EQ_STR(h_sqlstate(r), "22P02", "SQLSTATE of invalid int8 text");
	PQclear(r);
	{
		/* 8 bytes for an int4: trailing data -> 22P03 */
		bin			p;
		const char *pv;
		int			plen, fmt = 1;

		encode_value(INT8OID, "1", &p);
		pv = (const char *) p.b;
		plen = p.len;
		r = PQexecParams(c, "select $1", 1, (Oid[]) {INT4OID}, &pv, &plen, &fmt, 0);
		h_expect_status(r, PGRES_FATAL_ERROR, "binary int4 parameter of 8 bytes");
		H_CHECK_EQ_STR(h_sqlstate(r), "22P03", "SQLSTATE of a bad binary parameter");
		PQclear(r);
	}
	r = PQexecPrepared(c, "s_infer", 1, (const char *[]) {"2147483647"}, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "overflow at execution");
	H_CHECK_EQ_STR(h_sqlstate(r), "22003", "SQLSTATE of int4 overflow");
	PQclear(r);
	H_CHECK(PQtransactionStatus(c) == PQTRANS_IDLE, "idle after extended errors");
	h_expect_value(c, "select 'ok after errors'", "ok after errors");

	h_section("unnamed statements");
	r = PQprepare(c, "", "select $1::int4 * 3", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare unnamed");
	PQclear(r);
	check_described(c, "", 1, (Oid[]) {INT4OID}, 1, (Oid[]) {INT4OID});
	r = PQexecPrepared(c, "", 1, (const char *[]) {"14"}, NULL, NULL, 0);
	if (h_expect_status(r, PGRES_TUPLES_OK, "execute unnamed"))
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "42", "14 * 3");
	PQclear(r);
	r = PQexecParams(c, "select $1::text || $2::text", 2, NULL,
					 (const char *[]) {"foo", "bar"}, NULL, NULL, 0);
	if (h_expect_status(r, PGRES_TUPLES_OK, "PQexecParams without types"))
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "foobar", "concatenation");
	PQclear(r);
	/* PQexecParams replaced the unnamed statement */
	check_described(c, "", 2, (Oid[]) {TEXTOID, TEXTOID}, 1, (Oid[]) {TEXTOID});

	h_section("prepared statements and transactions");
	h_exec_ok(c, "BEGIN");
	r = PQprepare(c, "s_txn", "select 'kept'::text", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare inside a transaction");
	PQclear(r);
	h_exec_ok(c, "ROLLBACK");
	r = PQexecPrepared(c, "s_txn", 0, NULL, NULL, NULL, 0);
	if (h_expect_status(r, PGRES_TUPLES_OK, "statement survives ROLLBACK"))
		H_CHECK_EQ_STR(PQgetvalue(r, 0, 0), "kept", "value");
	PQclear(r);
	h_exec_ok(c, "BEGIN");
	h_expect_error(c, "select 1/0", "22012");
	r = PQexecPrepared(c, "s_txn", 0, NULL, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "execute in an aborted transaction");
	H_CHECK_EQ_STR(h_sqlstate(r), "25P02", "SQLSTATE in an aborted transaction");
	PQclear(r);
	h_exec_ok(c, "ROLLBACK");

	h_section("DEALLOCATE");
	r = PQexec(c, "DEALLOCATE s_int8");
	if (h_expect_status(r, PGRES_COMMAND_OK, "DEALLOCATE s_int8"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "DEALLOCATE", "tag of DEALLOCATE");
	PQclear(r);
	r = PQexecPrepared(c, "s_int8", 1, (const char *[]) {"1"}, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "execute a deallocated statement");
	H_CHECK_EQ_STR(h_sqlstate(r), "26000", "SQLSTATE of a missing statement");
	PQclear(r);
	r = PQdescribePrepared(c, "no_such_statement");
	h_expect_status(r, PGRES_FATAL_ERROR, "describe a missing statement");
	H_CHECK_EQ_STR(h_sqlstate(r), "26000", "SQLSTATE of describing a missing statement");
	PQclear(r);
	h_expect_error(c, "DEALLOCATE no_such_statement", "26000");
	r = PQexec(c, "DEALLOCATE ALL");
	if (h_expect_status(r, PGRES_COMMAND_OK, "DEALLOCATE ALL"))
		H_CHECK_EQ_STR(PQcmdStatus(r), "DEALLOCATE ALL", "tag of DEALLOCATE ALL");
	PQclear(r);
	r = PQexecPrepared(c, "s_infer", 1, (const char *[]) {"1"}, NULL, NULL, 0);
	h_expect_status(r, PGRES_FATAL_ERROR, "execute after DEALLOCATE ALL");
	H_CHECK_EQ_STR(h_sqlstate(r), "26000", "SQLSTATE after DEALLOCATE ALL");
	PQclear(r);
	/* the name is free again */
	r = PQprepare(c, "s_int8", "select 3", 0, NULL);
	h_expect_status(r, PGRES_COMMAND_OK, "prepare a reused name");
	PQclear(r);
}

static void
test_describe_portal(PGconn *c)
{
	PGresult   *r;

	h_section("Describe portal (a cursor)");
	h_exec_ok(c, "BEGIN");
	h_exec_ok(c, "DECLARE cur CURSOR FOR select 1::int4 as x, 'a'::text as y");
	r = PQdescribePortal(c, "cur");
	if (h_expect_status(r, PGRES_COMMAND_OK, "describe portal cur"))
	{
		H_CHECK_EQ_INT(PQnfields(r), 2, "portal columns");
		if (PQnfields(r) == 2)
		{
			H_CHECK_EQ_STR(PQfname(r, 0), "x", "portal column 0");
			H_CHECK_EQ_STR(PQfname(r, 1), "y", "portal column 1");
			H_CHECK_EQ_INT(PQftype(r, 0), INT4OID, "portal column 0 type");
			H_CHECK_EQ_INT(PQftype(r, 1), TEXTOID, "portal column 1 type");
		}
	}
	PQclear(r);
	r = PQdescribePortal(c, "no_such_portal");
	h_expect_status(r, PGRES_FATAL_ERROR, "describe a missing portal");
	H_CHECK_EQ_STR(h_sqlstate(r), "34000", "SQLSTATE of a missing portal");
	PQclear(r);
	h_exec_ok(c, "ROLLBACK");
}

/* Raw: Parse/Bind/Describe/Execute/Close with format-code forms libpq
 * never sends. */
static void
test_raw(void)
{
	int			fd;
	h_msg		m = {0};
	char		types[64] = "";
	char		state[6] = "";
	h_raw_msg	msg;

	h_section("raw extended protocol");
	fd = h_raw_connect();
	if (fd < 0 || !h_raw_login(fd))
	{
		H_CHECK(false, "raw login");
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Parse named, Describe S: ParameterDescription + RowDescription */
	h_msg_begin(&m, 'P');
	h_msg_str(&m, "raw1");
	h_msg_str(&m, "select $1::int4 + $2::int4 as v");
	h_msg_int16(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'D');
	h_msg_int8(&m, 'S');
	h_msg_str(&m, "raw1");
	h_msg_end(&m);
	/* Bind with ONE format code (binary) for both parameters and one result
	 * format code (binary) for all columns */
	h_msg_begin(&m, 'B');
	h_msg_str(&m, "");
	h_msg_str(&m, "raw1");
	h_msg_int16(&m, 1);
	h_msg_int16(&m, 1);
	h_msg_int16(&m, 2);
	h_msg_int32(&m, 4);
	h_msg_int32(&m, 40);
	h_msg_int32(&m, 4);
	h_msg_int32(&m, 2);
	h_msg_int16(&m, 1);
	h_msg_int16(&m, 1);
	h_msg_end(&m);
	h_msg_begin(&m, 'D');
	h_msg_int8(&m, 'P');
	h_msg_str(&m, "");
	h_msg_end(&m);
	h_msg_begin(&m, 'E');
	h_msg_str(&m, "");
	h_msg_int32(&m, 0);
	h_msg_end(&m);
	/* Close the statement and the portal */
	h_msg_begin(&m, 'C');
	h_msg_int8(&m, 'S');
	h_msg_str(&m, "raw1");
	h_msg_end(&m);
	h_msg_begin(&m, 'C');
	h_msg_int8(&m, 'P');
	h_msg_str(&m, "");
	h_msg_end(&m);
	h_msg_begin(&m, 'S');
	h_msg_end(&m);
	H_CHECK(h_raw_send(fd, m.data, m.len), "send batch 1");
	h_msg_reset(&m);

	{
		static const char want[] = "1tT2TDC33Z";
		int			i = 0;

		for (i = 0; i < (int) sizeof(want) - 1; i++)
		{
			if (h_raw_read(fd, &msg, 5000) != H_RAW_MSG)
				break;
			if (msg.type != want[i])
			{
				H_CHECK(false, "raw batch 1: message %d is '%c', want '%c' (%s)", i, msg.type,
						want[i], msg.type == 'E' ? h_raw_err_field(&msg, 'M') : "");
				break;
			}
			if (msg.type == 't')
			{
				H_CHECK(msg.len == 10 && get_be(msg.body, 2) == 2 &&
						get_be(msg.body + 2, 4) == INT4OID && get_be(msg.body + 6, 4) == INT4OID,
						"ParameterDescription: 2 x int4");
			}
			if (msg.type == 'T' && i == 4)
			{
				/* portal description: one field "v", int4, binary */
				H_CHECK(get_be(msg.body, 2) == 1 && strcmp((char *) msg.body + 2, "v") == 0,
						"portal RowDescription names v");
				H_CHECK(msg.len == 2 + 2 + 18 && get_be(msg.body + 4 + 6, 4) == INT4OID &&
						get_be(msg.body + 20, 2) == 1,
						"portal RowDescription: int4, binary format");
			}
			if (msg.type == 'D')
				H_CHECK(msg.len == 2 + 4 + 4 && get_be(msg.body + 2, 4) == 4 &&
						get_be(msg.body + 6, 4) == 42, "binary DataRow 40 + 2 = 42");
			if (msg.type == 'C')
				H_CHECK_EQ_STR((char *) msg.body, "SELECT 1", "tag");
			if (msg.type == 'Z')
				H_CHECK(msg.len == 1 && msg.body[0] == 'I', "ReadyForQuery I");
		}
		H_CHECK(i == (int) sizeof(want) - 1, "raw batch 1 gave %s", want);
	}

	/* Bind to the closed statement: 26000, then everything up to Sync is
	 * skipped and Sync answers ReadyForQuery */
	h_msg_begin(&m, 'B');
	h_msg_str(&m, "");
	h_msg_str(&m, "raw1");
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'E');
	h_msg_str(&m, "");
	h_msg_int32(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'S');
	h_msg_end(&m);
	H_CHECK(h_raw_send(fd, m.data, m.len), "send batch 2");
	h_msg_reset(&m);
	types[0] = '\0';
	state[0] = '\0';
	H_CHECK(h_raw_until_ready(fd, types, sizeof(types), state, 5000) == H_RAW_MSG,
			"ReadyForQuery after the failed Bind");
	H_CHECK_EQ_STR(types, "EZ", "messages after Bind to a closed statement");
	H_CHECK_EQ_STR(state, "26000", "SQLSTATE of Bind to a closed statement");

	/* Bind with N result format codes: text, binary */
	h_msg_begin(&m, 'P');
	h_msg_str(&m, "");
	h_msg_str(&m, "select 7::int4 as a, 8::int4 as b");
	h_msg_int16(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'B');
	h_msg_str(&m, "");
	h_msg_str(&m, "");
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 2);
	h_msg_int16(&m, 0);
	h_msg_int16(&m, 1);
	h_msg_end(&m);
	h_msg_begin(&m, 'E');
	h_msg_str(&m, "");
	h_msg_int32(&m, 0);
	h_msg_end(&m);
	h_msg_begin(&m, 'S');
	h_msg_end(&m);
	H_CHECK(h_raw_send(fd, m.data, m.len), "send batch 3");
	h_msg_reset(&m);
	{
		static const char want[] = "12DCZ";
		int			i;

		for (i = 0; i < (int) sizeof(want) - 1; i++)
		{
			if (h_raw_read(fd, &msg, 5000) != H_RAW_MSG || msg.type != want[i])
				break;
			if (msg.type == 'D')
				H_CHECK(msg.len == 2 + 4 + 1 + 4 + 4 && get_be(msg.body + 2, 4) == 1 &&
						msg.body[6] == '7' && get_be(msg.body + 7, 4) == 4 &&
						get_be(msg.body + 11, 4) == 8,
						"DataRow: text '7' then binary 8");
		}
		H_CHECK(i == (int) sizeof(want) - 1, "batch 3 gave %s", want);
	}
	/* Terminate */
	h_msg_begin(&m, 'X');
	h_msg_end(&m);
	h_raw_send(fd, m.data, m.len);
	H_CHECK(h_raw_drain_to_close(fd, 5000) == H_RAW_CLOSED, "server closes after Terminate");
	close(fd);
	h_msg_free(&m);
}

int
main(void)
{
	PGconn	   *c;

	h_start(NULL);
	c = h_connect(NULL);
	test_values(c);
	test_prepare(c);
	test_describe_portal(c);
	test_raw();
	h_expect_value(c, "select 'done'", "done");
	PQfinish(c);
	return h_done();
}
