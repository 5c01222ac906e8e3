/* Table tests of campaign.c: the CSV reader, templates, names, zones and the sending window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "check.h"

/* --- CSV ---------------------------------------------------------------- */

struct csv_case {
	const char	*what;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	char		 sep;
	/* The records expected: fields joined by '|', or "!reason" for a bad one, "@N " line prefix. */
	const char	*want[8];
};

static const struct csv_case csv_cases[] = {
	{ "plain, comma", "phone,name\n+4915112340001,Ann\n", 0, ',',
	    { "@1 phone|name", "@2 +4915112340001|Ann" } },
	{ "semicolon from the header", "phone;name;city\n1;A,B;C\n", 0, ';',
	    { "@1 phone|name|city", "@2 1|A,B|C" } },
	{ "BOM skipped, CRLF", "\xef\xbb\xbfphone,name\r\n1,x\r\n", 0, ',',
	    { "@1 phone|name", "@2 1|x" } },
	{ "quoted comma, doubled quote, newline inside",
	    "phone,note\n1,\"a, \"\"b\"\"\nc\"\n2,d\n", 0, ',',
	    { "@1 phone|note", "@2 1|a, \"b\"\nc", "@4 2|d" } },
	{ "blank lines skipped, last line without newline",
	    "phone\n\n1\n\r\n2", 0, ',',
	    { "@1 phone", "@3 1", "@5 2" } },
	{ "empty fields", "phone,a,b\n1,,\n", 0, ',',
	    { "@1 phone|a|b", "@2 1||" } },
	{ "a quote left open", "phone,n\n1,\"abc\n", 0, ',',
	    { "@1 phone|n", "@2 !bad CSV: a quote is not closed" } },
	{ "text after a closing quote", "phone,n\n1,\"a\"b\n2,c\n", 0, ',',
	    { "@1 phone|n", "@2 !bad CSV: text after a closing quote",
	    "@3 2|c" } },
	{ "invalid UTF-8 rejects the line only", "phone,n\n1,\xff\xfe\n2,ok\n",
	    0, ',', { "@1 phone|n", "@2 !not UTF-8 text", "@3 2|ok" } },
	{ "NUL byte", "phone,n\n1,a\0b\n2,c\n", 17, ',',
	    { "@1 phone|n", "@2 !bad CSV: a NUL byte", "@3 2|c" } },
	{ "hostile text is data", "phone,n\n1,<script>'; DROP TABLE x;--\n",
	    0, ',', { "@1 phone|n", "@2 1|<script>'; DROP TABLE x;--" } },
	{ "UTF-8 kept", "phone,n\n1,Zo\xc3\xab \xe2\x82\xac\n", 0, ',',
	    { "@1 phone|n", "@2 1|Zo\xc3\xab \xe2\x82\xac" } },
	{ "not a BOM at the start", "\xef\xbbx,phone\n", 0, ',',
	    { "@1 !not UTF-8 text" } },
};

/* Joins a record as the table writes it. */
static void
record_text(const struct csv_record *r, char *buf, size_t bufsz)
{
	size_t	 i, n;

	n = (size_t)snprintf(buf, bufsz, "@%llu ", (unsigned long long)r->line);
	if (r->error != NULL) {
		snprintf(buf + n, bufsz - n, "!%s", r->error);
		return;
	}
	for (i = 0; i < r->n && n < bufsz; i++)
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%s", i ? "|" : "",
		    r->field[i]);
}

static void
test_csv(void)
{
	const struct csv_case	*c;
	struct csv_record	 rec;
	struct csv		*csv;
	FILE			*f;
	char			 got[512];
	size_t			 i, k;
	int			 rc;

	for (i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
		c = &csv_cases[i];
		f = fmemopen((void *)c->in, c->inlen ? c->inlen : strlen(c->in),
		    "r");
		csv = csv_open(f);
		for (k = 0; (rc = csv_read(csv, &rec)) > 0; k++) {
			record_text(&rec, got, sizeof(got));
			if (k < 8 && c->want[k] != NULL)
				CHECK_STR(got, c->want[k], "%s: record %zu",
				    c->what, k);
			else
				CHECK(0, "%s: unexpected record %s", c->what,
				    got);
		}
		CHECK(rc == 0, "%s: ends cleanly", c->what);
		CHECK(k == 8 || c->want[k] == NULL, "%s: %zu records, more"
		    " expected", c->what, k);
		CHECK(csv_separator(csv) == c->sep, "%s: separator '%c'",
		    c->what, csv_separator(csv));
		CHECK(csv_bytes(csv) == (c->inlen ? c->inlen : strlen(c->in)),
		    "%s: bytes counted", c->what);
		csv_close(csv);
		fclose(f);
	}
}

/* A record over 64 KiB is rejected, and the reader goes on after it. */
static void
test_csv_long(void)
{
	struct csv_record	 rec;
	struct csv		*csv;
	FILE			*f;
	char			*in;
	size_t			 n = 200 * 1024, len;

	in = malloc(n + 64);
	len = (size_t)snprintf(in, 64, "phone,n\n1,\"");
	memset(in + len, 'x', n);
	len += n;
	memcpy(in + len, "\"\n2,ok\n", 7);
	len += 7;
	f = fmemopen(in, len, "r");
	csv = csv_open(f);
	CHECK(csv_read(csv, &rec) == 1 && rec.error == NULL, "long: header");
	CHECK(csv_read(csv, &rec) == 1 && rec.error != NULL &&
	    strstr(rec.error, "longer than 64 KiB") != NULL && rec.line == 2,
	    "long: the long record is rejected");
	CHECK(csv_read(csv, &rec) == 1 && rec.error == NULL && rec.n == 2 &&
	    strcmp(rec.field[1], "ok") == 0 && rec.line == 3,
	    "long: the next record is read");
	CHECK(csv_read(csv, &rec) == 0, "long: then the end");
	csv_close(csv);
	fclose(f);
	free(in);
}

/* --- Templates ------------------------------------------------------------ */

static const char *
lookup(const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "name") == 0)
		return "Ann";
	if (strcmp(name, "city") == 0)
		return "Z\xc3\xbcrich";
	if (strcmp(name, "empty") == 0)
		return "";
	if (strcmp(name, "html") == 0)
		return "<b>{{name}}</b>";
	return NULL;
}

static const struct {
	const char	*tmpl;
	int		 ok;		/* template_check */
	int		 rc;		/* render */
	const char	*want;		/* rendered, or the missing field */
} tmpl_cases[] = {
	{ "Hi {{name}}!", 1, 1, "Hi Ann!" },
	{ "Hi {{ name }} from {{city}}", 1, 1, "Hi Ann from Z\xc3\xbcrich" },
	{ "no placeholders", 1, 1, "no placeholders" },
	{ "", 1, 1, "" },
	{ "{{name}}{{name}}", 1, 1, "AnnAnn" },
	{ "single { braces } are text", 1, 1, "single { braces } are text" },
	{ "values are not templates: {{html}}", 1, 1,
	    "values are not templates: <b>{{name}}</b>" },
	{ "Hi {{missing}}", 1, 0, "missing" },
	{ "Hi {{empty}}", 1, 0, "empty" },
	{ "Hi {{}}", 0, 0, NULL },
	{ "Hi {{name", 0, 0, NULL },
	{ "Hi {{na me}}", 0, 0, NULL },
	{ "Hi {{name!}}", 0, 0, NULL },
	{ "Hi {{n}} {{<b>}}", 0, 0, NULL },
	{ "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
	    0, 0, NULL },
};

static void
test_templates(void)
{
	char	 why[128], missing[80], *out;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(tmpl_cases) / sizeof(tmpl_cases[0]); i++) {
		rc = campaign_template_check(tmpl_cases[i].tmpl, why,
		    sizeof(why));
		CHECK(rc == tmpl_cases[i].ok, "check \"%s\": %d",
		    tmpl_cases[i].tmpl, rc);
		if (!rc) {
			CHECK(strncmp(why, "unknown placeholder: {{", 23) == 0,
			    "check \"%s\": says why (%s)", tmpl_cases[i].tmpl,
			    why);
			continue;
		}
		rc = campaign_render(tmpl_cases[i].tmpl, lookup, NULL, &out,
		    missing, sizeof(missing));
		CHECK(rc == tmpl_cases[i].rc, "render \"%s\": %d",
		    tmpl_cases[i].tmpl, rc);
		if (rc > 0)
			CHECK_STR(out, tmpl_cases[i].want, "render \"%s\"",
			    tmpl_cases[i].tmpl);
		else
			CHECK_STR(missing, tmpl_cases[i].want, "missing in"
			    " \"%s\"", tmpl_cases[i].tmpl);
		free(out);
	}
}

/* --- Names, zones, windows -------------------------------------------------- */

static void
test_names(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "SPRING_OFFER", 1 }, { "A", 1 }, { "X2026_1", 1 },
		{ "", 0 }, { "spring", 0 }, { "SPRING OFFER", 0 },
		{ "SPRING-OFFER", 0 }, { "<B>", 0 }, { "\xc3\x84", 0 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(campaign_name_valid(cases[i].s) == cases[i].ok,
		    "name \"%s\"", cases[i].s);
}

static void
test_zones(void)
{
	static const struct {
		const char	*tz;
		int		 ok;
	} cases[] = {
		{ "UTC", 1 }, { "Europe/Berlin", 1 }, { "America/New_York", 1 },
		{ "Asia/Kolkata", 1 }, { "Etc/GMT+5", 1 },
		{ "", 0 }, { "Mars/Olympus", 0 }, { "../etc/passwd", 0 },
		{ "/etc/passwd", 0 }, { "Europe/../../etc/passwd", 0 },
		{ "Europe", 0 }, { "Europe/Berlin ", 0 }, { "europe berlin", 0 },
	};
	struct tm	 tm;
	time_t		 t;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(campaign_tz_valid(cases[i].tz) == cases[i].ok, "zone"
		    " \"%s\"", cases[i].tz);
	/* 2026-07-01 12:00 UTC: summer time in Berlin and New York. */
	t = 1782907200;
	CHECK(campaign_localtime("Europe/Berlin", t, &tm) &&
	    tm.tm_hour == 14 && tm.tm_min == 0, "Berlin in summer: %02d:%02d",
	    tm.tm_hour, tm.tm_min);
	CHECK(campaign_localtime("America/New_York", t, &tm) &&
	    tm.tm_hour == 8, "New York in summer: %d", tm.tm_hour);
	CHECK(campaign_localtime("Asia/Kolkata", t, &tm) && tm.tm_hour == 17 &&
	    tm.tm_min == 30, "Kolkata: %02d:%02d", tm.tm_hour, tm.tm_min);
	/* 2026-01-15 12:00 UTC: winter in Berlin, summer in Auckland. */
	t = 1768478400;
	CHECK(campaign_localtime("Europe/Berlin", t, &tm) && tm.tm_hour == 13,
	    "Berlin in winter: %d", tm.tm_hour);
	CHECK(campaign_localtime("Pacific/Auckland", t, &tm) &&
	    tm.tm_hour == 1 && tm.tm_mday == 16, "Auckland: next day 01:00");
	CHECK(!campaign_localtime("Mars/Olympus", t, &tm), "unknown zone");
	CHECK(getenv("TZ") == NULL, "TZ is put back");

	CHECK(campaign_local_to_utc("Europe/Berlin", "2026-07-01 14:00", &t) &&
	    t == 1782907200, "Berlin local to UTC: %lld", (long long)t);
	CHECK(campaign_local_to_utc("UTC", "2026-01-15 12:00", &t) &&
	    t == 1768478400, "UTC local to UTC");
	CHECK(campaign_local_to_utc("Asia/Kolkata", "2026-07-01 17:30", &t) &&
	    t == 1782907200, "Kolkata local to UTC");
	CHECK(!campaign_local_to_utc("UTC", "2026-02-31 10:00", &t),
	    "31 February refused");
	CHECK(!campaign_local_to_utc("UTC", "2026-1-5 10:00", &t),
	    "short date refused");
	CHECK(!campaign_local_to_utc("UTC", "2026-01-05 24:00", &t),
	    "hour 24 refused");
	CHECK(!campaign_local_to_utc("UTC", "2026-01-05 10:00x", &t),
	    "trailing text refused");
	CHECK(!campaign_local_to_utc("UTC", "tomorrow", &t), "words refused");
	CHECK(!campaign_local_to_utc("Nowhere/X", "2026-01-05 10:00", &t),
	    "unknown zone refused");
}

static void
test_windows(void)
{
	static const struct {
		const char	*s;
		int		 ok, start, end;
	} parse[] = {
		{ "09:00-20:00", 1, 540, 1200 },
		{ "22:30-06:15", 1, 1350, 375 },
		{ "00:00-23:59", 1, 0, 1439 },
		{ "09:00-09:00", 0, 0, 0 },
		{ "9:00-20:00", 0, 0, 0 },
		{ "09:00-24:00", 0, 0, 0 },
		{ "09:60-20:00", 0, 0, 0 },
		{ "09:00 20:00", 0, 0, 0 },
		{ "09:00-20:00x", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "ab:cd-ef:gh", 0, 0, 0 },
	};
	static const struct {
		int	 start, end, minute, open;
	} open[] = {
		{ 540, 1200, 539, 0 }, { 540, 1200, 540, 1 },
		{ 540, 1200, 1199, 1 }, { 540, 1200, 1200, 0 },
		/* 22:00-06:00 wraps past midnight */
		{ 1320, 360, 1319, 0 }, { 1320, 360, 1320, 1 },
		{ 1320, 360, 0, 1 }, { 1320, 360, 359, 1 }, { 1320, 360, 360, 0 },
		{ 1320, 360, 720, 0 },
		{ -1, -1, 720, 1 },	/* no window */
	};
	size_t	 i;
	int	 s, e;

	for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		s = e = 0;
		CHECK(campaign_window_parse(parse[i].s, &s, &e) == parse[i].ok &&
		    (!parse[i].ok || (s == parse[i].start && e == parse[i].end)),
		    "window \"%s\"", parse[i].s);
	}
	for (i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		CHECK(campaign_window_open(open[i].start, open[i].end,
		    open[i].minute) == open[i].open, "window %d-%d at %d",
		    open[i].start, open[i].end, open[i].minute);
}

/* A recipient's window in its own zone: the same instant is open in one and closed in another. */
static void
test_recipient_zones(void)
{
	struct tm	 tm;
	time_t		 t = 1782907200;	/* 2026-07-01 12:00 UTC */
	int		 s, e;

	campaign_window_parse("09:00-20:00", &s, &e);
	CHECK(campaign_localtime("Europe/Berlin", t, &tm) &&
	    campaign_window_open(s, e, tm.tm_hour * 60 + tm.tm_min),
	    "14:00 in Berlin is open");
	CHECK(campaign_localtime("America/Los_Angeles", t, &tm) &&
	    !campaign_window_open(s, e, tm.tm_hour * 60 + tm.tm_min),
	    "05:00 in Los Angeles is closed");
	CHECK(campaign_localtime("Asia/Tokyo", t, &tm) &&
	    !campaign_window_open(s, e, tm.tm_hour * 60 + tm.tm_min),
	    "21:00 in Tokyo is closed");
	campaign_window_parse("20:30-02:00", &s, &e);
	CHECK(campaign_localtime("Asia/Tokyo", t, &tm) &&
	    campaign_window_open(s, e, tm.tm_hour * 60 + tm.tm_min),
	    "21:00 in Tokyo is in a window past midnight");
}

int
main(void)
{
	unsetenv("TZ");
	test_csv();
	test_csv_long();
	test_templates();
	test_names();
	test_zones();
	test_windows();
	test_recipient_zones();
	return check_done();
}
