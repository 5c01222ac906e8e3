/* Tests of log_escape and log_has_control (what may reach a terminal or a log line raw) and of log_limited. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

static const struct {
	const char	*in;
	const char	*want;
} escapes[] = {
	{ "", "" },
	{ "plain text", "plain text" },
	{ "line\nbreak\r\ttab", "line\\nbreak\\r\\ttab" },
	{ "back\\slash", "back\\\\slash" },
	{ "\x1b[31mred", "\\x1b[31mred" },
	{ "bell\x07 del\x7f", "bell\\x07 del\\x7f" },
	/* UTF-8 text stays as it is. */
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "\xc2\xa0nbsp \xc2\xbf", "\xc2\xa0nbsp \xc2\xbf" },
	/* C1 controls: U+0080..U+009F (CSI is U+009B). */
	{ "\xc2\x80", "\\u0080" },
	{ "\xc2\x9b" "31mred", "\\u009b31mred" },
	{ "a\xc2\x85z", "a\\u0085z" },
	{ "\xc2\x9f", "\\u009f" },
	/* Bidirectional overrides and isolates. */
	{ "\xe2\x80\xaa", "\\u202a" },
	{ "pay \xe2\x80\xae" "dlrow", "pay \\u202edlrow" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069" },
	{ "\xe2\x81\xa7\xe2\x81\xa8", "\\u2067\\u2068" },
	/* Neighbours that are ordinary characters stay. */
	{ "\xe2\x80\xa9\xe2\x80\xaf", "\xe2\x80\xa9\xe2\x80\xaf" },
	{ "\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x81\xa5\xe2\x81\xaa" },
	/* Bytes that are not UTF-8, each on its own (a raw 0x9b is CSI in Latin-1). */
	{ "\x9b" "31m", "\\x9b31m" },
	{ "\xff\xfe", "\\xff\\xfe" },
	{ "\xe2\x80", "\\xe2\\x80" },
	{ "\xc0\xaf", "\\xc0\\xaf" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
};

static const struct {
	const char	*in;
	int		 want;
} controls[] = {
	{ "", 0 },
	{ "Main line", 0 },
	{ "back\\slash", 0 },
	{ "caf\xc3\xa9 \xe2\x82\xac", 0 },
	{ "tab\there", 1 },
	{ "new\nline", 1 },
	{ "\x1b[2J", 1 },
	{ "del\x7f", 1 },
	{ "\xc2\x9b", 1 },
	{ "\xc2\x85", 1 },
	{ "\xe2\x80\xae", 1 },
	{ "\xe2\x81\xa9", 1 },
	{ "\x9b", 1 },
	{ "\xff", 1 },
};

/*
 * log_limited: the first line of a kind is written, the next ones within
 * the period only counted, and the count rides on the next line written.
 */
static void
test_limited(void)
{
	struct log_limit	 l = { 0, 0 }, zero = { 0, 0 };
	char			 line[512], all[2048] = "";
	FILE			*cap;
	int			 saved, rc[4];

	fflush(stderr);
	if ((cap = tmpfile()) == NULL || (saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fileno(cap), STDERR_FILENO) == -1) {
		CHECK(0, "cannot capture standard error");
		return;
	}
	rc[0] = log_limited(&l, 60, LOGL_ERROR, "store %s away", "x");
	rc[1] = log_limited(&l, 60, LOGL_ERROR, "store %s away", "x");
	rc[2] = log_limited(&l, 60, LOGL_ERROR, "store %s away", "x");
	/* A period of 0 says every line; the held count comes with it. */
	zero.held = 2;
	rc[3] = log_limited(&zero, 0, LOGL_ERROR, "again");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(cap);
	while (fgets(line, sizeof(line), cap) != NULL)
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	fclose(cap);
	CHECK(rc[0] == 1 && rc[1] == 0 && rc[2] == 0 && rc[3] == 1,
	    "written, held, held, written: %d %d %d %d", rc[0], rc[1], rc[2],
	    rc[3]);
	CHECK(l.held == 2, "two held back: %lu", l.held);
	CHECK(strstr(all, "error: store x away\n") != NULL &&
	    strstr(all, "error: again (2 more like it in the last 0 s)\n") !=
	    NULL && strstr(all, "away (") == NULL, "the lines: %s", all);
}

int
main(void)
{
	char	 out[256], small[8];
	size_t	 i;

	for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		CHECK(log_escape(escapes[i].in, out, sizeof(out)) == 1,
		    "escape %zu: cut", i);
		CHECK_STR(out, escapes[i].want, "escape %zu", i);
	}
	for (i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
		CHECK(log_has_control(controls[i].in) == controls[i].want,
		    "has_control %zu: want %d", i, controls[i].want);
	CHECK(log_has_control(NULL) == 0, "has_control NULL");

	/* A cut falls between characters and escapes, never inside one. */
	CHECK(log_escape("abc\xe2\x82\xac", small, 6) == 0 &&
	    strcmp(small, "abc") == 0, "cut before a whole euro sign: %s",
	    small);
	CHECK(log_escape("ab\xc2\x9b", small, 8) == 0 &&
	    strcmp(small, "ab") == 0, "cut before a whole \\u escape: %s",
	    small);
	CHECK(log_escape("abcdef\xc2\x9b", small, 0) == 0, "no room at all");
	test_limited();
	return check_done();
}
