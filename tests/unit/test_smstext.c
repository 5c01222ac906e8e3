/* Table tests of the SMS text rules: UTF-8 repair, the cut, segments. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "smstext.h"

/* Returns a malloc'd string of n copies of unit (which may be multi-byte). */
static char *
repeat(const char *unit, size_t n)
{
	size_t	 ulen = strlen(unit), i;
	char	*s;

	if ((s = malloc(ulen * n + 1)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * ulen, unit, ulen);
	s[ulen * n] = '\0';
	return s;
}

/* Returns a malloc'd concatenation of a and b. */
static char *
concat(const char *a, const char *b)
{
	size_t	 alen = strlen(a), blen = strlen(b);
	char	*s;

	if ((s = malloc(alen + blen + 1)) == NULL)
		abort();
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen + 1);
	return s;
}

struct valid_case {
	const char	*in;
	size_t		 len;
	int		 valid;
	const char	*repaired;
};

#define B(s)	s, sizeof(s) - 1

static const struct valid_case valid_cases[] = {
	{ B(""), 1, "" },
	{ B("hello"), 1, "hello" },
	{ B("\xC3\xA9"), 1, "\xC3\xA9" },			/* é */
	{ B("\xE4\xB8\xAD"), 1, "\xE4\xB8\xAD" },		/* 中 */
	{ B("\xF0\x9F\x98\x80"), 1, "\xF0\x9F\x98\x80" },	/* 😀 */
	{ B("\xF4\x8F\xBF\xBF"), 1, "\xF4\x8F\xBF\xBF" },	/* U+10FFFF */
	{ B("\xED\x9F\xBF"), 1, "\xED\x9F\xBF" },		/* U+D7FF */
	{ B("\xEE\x80\x80"), 1, "\xEE\x80\x80" },		/* U+E000 */
	{ B("\xEF\xBF\xBF"), 1, "\xEF\xBF\xBF" },		/* U+FFFF */
	/* lone continuation byte */
	{ B("a\x80z"), 0, "a\xEF\xBF\xBDz" },
	/* two continuation bytes: two replacements */
	{ B("\x80\xBF"), 0, "\xEF\xBF\xBD\xEF\xBF\xBD" },
	/* truncated 3-byte sequence at the end: one replacement */
	{ B("ab\xE4\xB8"), 0, "ab\xEF\xBF\xBD" },
	/* truncated 3-byte sequence followed by ASCII */
	{ B("\xE4\xB8x"), 0, "\xEF\xBF\xBDx" },
	/* truncated 4-byte sequence at the end */
	{ B("\xF0\x9F\x98"), 0, "\xEF\xBF\xBD" },
	/* overlong '/' */
	{ B("\xC0\xAF"), 0, "\xEF\xBF\xBD\xEF\xBF\xBD" },
	/* overlong 3-byte NUL */
	{ B("\xE0\x80\x80"), 0,
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
	/* surrogate U+D800 */
	{ B("\xED\xA0\x80"), 0,
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
	/* U+110000 */
	{ B("\xF4\x90\x80\x80"), 0,
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
	{ B("\xFF"), 0, "\xEF\xBF\xBD" },
	{ B("\xFE\xFF"), 0, "\xEF\xBF\xBD\xEF\xBF\xBD" },
	{ B("x\xF5y"), 0, "x\xEF\xBF\xBDy" },
	/* NUL bytes are invalid and dropped */
	{ B("a\0b"), 0, "ab" },
	{ B("\0"), 0, "" },
};

static void
test_valid_repair(void)
{
	size_t	 i;
	char	*r;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		const struct valid_case *c = &valid_cases[i];

		CHECK(smstext_utf8_valid(c->in, c->len) == c->valid,
		    "valid case %zu", i);
		r = smstext_utf8_repair(c->in, c->len);
		CHECK_STR(r, c->repaired, "repair case %zu", i);
		CHECK(r != NULL && smstext_utf8_valid(r, strlen(r)),
		    "repair case %zu not valid", i);
		free(r);
	}
	CHECK(smstext_utf8_valid(NULL, 0) == 1, "NULL valid");
	r = smstext_utf8_repair(NULL, 0);
	CHECK_STR(r, "", "NULL repair");
	free(r);
}

struct chars_case {
	const char	*in;
	size_t		 chars;
};

static const struct chars_case chars_cases[] = {
	{ "", 0 },
	{ "abc", 3 },
	{ "\xC3\xA9t\xC3\xA9", 3 },				/* été */
	{ "\xD0\x9F\xE4\xB8\xAD\xF0\x9F\x98\x80", 3 },	/* П中😀 */
	{ "a\x80z", 3 },				/* bad byte is one */
	{ "\xE4\xB8", 1 },				/* maximal subpart */
};

static void
test_chars(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(chars_cases) / sizeof(chars_cases[0]); i++)
		CHECK(smstext_chars(chars_cases[i].in) == chars_cases[i].chars,
		    "chars case %zu: %zu", i, smstext_chars(chars_cases[i].in));
	CHECK(smstext_chars(NULL) == 0, "chars NULL");
}

struct measure_case {
	const char		*unit;	/* repeated count times, then tail */
	size_t			 count;
	const char		*tail;
	enum smstext_encoding	 encoding;
	size_t			 units;
	size_t			 segments;
	size_t			 chars;
};

static const struct measure_case measure_cases[] = {
	{ "", 0, "", SMSTEXT_GSM7, 0, 0, 0 },
	{ "a", 1, "", SMSTEXT_GSM7, 1, 1, 1 },
	{ "a", 160, "", SMSTEXT_GSM7, 160, 1, 160 },
	{ "a", 161, "", SMSTEXT_GSM7, 161, 2, 161 },
	{ "a", 306, "", SMSTEXT_GSM7, 306, 2, 306 },
	{ "a", 307, "", SMSTEXT_GSM7, 307, 3, 307 },
	/* extension characters take two units each */
	{ "^{}\\[~]|\xE2\x82\xAC\f", 1, "", SMSTEXT_GSM7, 20, 1, 10 },
	{ "\xE2\x82\xAC", 80, "", SMSTEXT_GSM7, 160, 1, 80 },	/* € x80 */
	{ "\xE2\x82\xAC", 80, "a", SMSTEXT_GSM7, 161, 2, 81 },
	{ "a", 159, "[", SMSTEXT_GSM7, 161, 2, 160 },
	/* the whole basic alphabet is GSM-7, one unit each */
	{ "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87"
	  "\n\xC3\x98\xC3\xB8\r\xC3\x85\xC3\xA5", 1, "",
	    SMSTEXT_GSM7, 16, 1, 16 },
	{ "\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3"
	  "\xCE\x98\xCE\x9E\xC3\x86\xC3\xA6\xC3\x9F\xC3\x89", 1, "",
	    SMSTEXT_GSM7, 15, 1, 15 },
	{ " !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?", 1, "",
	    SMSTEXT_GSM7, 32, 1, 32 },
	{ "\xC2\xA1" "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	  "\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7", 1, "",
	    SMSTEXT_GSM7, 32, 1, 32 },
	{ "\xC2\xBF" "abcdefghijklmnopqrstuvwxyz"
	  "\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0", 1, "",
	    SMSTEXT_GSM7, 32, 1, 32 },
	/* é is GSM-7, ê is not */
	{ "caf\xC3\xA9", 1, "", SMSTEXT_GSM7, 4, 1, 4 },
	{ "f\xC3\xAA" "te", 1, "", SMSTEXT_UCS2, 4, 1, 4 },
	/* look-alikes outside the alphabet: ç, `, ESC, Greek small alpha */
	{ "\xC3\xA7", 1, "", SMSTEXT_UCS2, 1, 1, 1 },
	{ "`", 1, "", SMSTEXT_UCS2, 1, 1, 1 },
	{ "\x1B", 1, "", SMSTEXT_UCS2, 1, 1, 1 },
	{ "\xCE\xB1", 1, "", SMSTEXT_UCS2, 1, 1, 1 },
	{ "\xEF\xBF\xBF", 1, "", SMSTEXT_UCS2, 1, 1, 1 },	/* U+FFFF */
	/* emoji take two UTF-16 units */
	{ "\xF0\x9F\x98\x80", 1, "", SMSTEXT_UCS2, 2, 1, 1 },
	{ "\xF0\x9F\x98\x80", 35, "", SMSTEXT_UCS2, 70, 1, 35 },
	{ "\xF0\x9F\x98\x80", 35, "a", SMSTEXT_UCS2, 71, 2, 36 },
	/* UCS-2 boundaries */
	{ "\xD0\x96", 70, "", SMSTEXT_UCS2, 70, 1, 70 },	/* Ж */
	{ "\xD0\x96", 71, "", SMSTEXT_UCS2, 71, 2, 71 },
	{ "\xD0\x96", 134, "", SMSTEXT_UCS2, 134, 2, 134 },
	{ "\xD0\x96", 135, "", SMSTEXT_UCS2, 135, 3, 135 },
	/* one non-GSM character turns the whole text UCS-2 */
	{ "a", 69, "\xC3\xAA", SMSTEXT_UCS2, 70, 1, 70 },
	{ "a", 70, "\xC3\xAA", SMSTEXT_UCS2, 71, 2, 71 },
	{ "[", 10, "\xC3\xAA", SMSTEXT_UCS2, 11, 1, 11 },
	/* invalid UTF-8 is measured as U+FFFD */
	{ "a\x80", 1, "", SMSTEXT_UCS2, 2, 1, 2 },
};

static void
test_measure(void)
{
	struct smstext_info	 info;
	size_t			 i;
	char			*body, *s;

	for (i = 0; i < sizeof(measure_cases) / sizeof(measure_cases[0]);
	    i++) {
		const struct measure_case *c = &measure_cases[i];

		body = repeat(c->unit, c->count);
		s = concat(body, c->tail);
		memset(&info, 0xA5, sizeof(info));
		smstext_measure(s, &info);
		CHECK(info.encoding == c->encoding, "measure %zu encoding %d",
		    i, (int)info.encoding);
		CHECK(info.units == c->units, "measure %zu units %zu want %zu",
		    i, info.units, c->units);
		CHECK(info.segments == c->segments,
		    "measure %zu segments %zu want %zu", i, info.segments,
		    c->segments);
		CHECK(info.chars == c->chars, "measure %zu chars %zu want %zu",
		    i, info.chars, c->chars);
		free(s);
		free(body);
	}
	memset(&info, 0xA5, sizeof(info));
	smstext_measure(NULL, &info);
	CHECK(info.encoding == SMSTEXT_GSM7 && info.units == 0 &&
	    info.segments == 0 && info.chars == 0, "measure NULL");
}

struct prepare_case {
	const char	*head;		/* repeated head_count times */
	size_t		 head_count;
	const char	*tail;		/* then this, tail_count times */
	size_t		 tail_count;
	int		 truncated;
	const char	*want_end;	/* the result must end with this */
	size_t		 want_len;	/* and be this many bytes */
};

static const struct prepare_case prepare_cases[] = {
	{ "a", 1600, "", 0, 0, "aaa", 1600 },
	{ "a", 1601, "", 0, 1, "aaaa...", 1600 },
	{ "a", 5000, "", 0, 1, "aaaa...", 1600 },
	/* 4-byte emoji: 1597 kept whole, then "..." */
	{ "\xF0\x9F\x98\x80", 1600, "", 0, 0, "\xF0\x9F\x98\x80", 6400 },
	{ "\xF0\x9F\x98\x80", 1601, "", 0, 1,
	    "\xF0\x9F\x98\x80...", 1597 * 4 + 3 },
	/* mixed scripts around the cut: Cyrillic 2, CJK 3, emoji 4 bytes */
	{ "\xD0\x96", 1596, "\xE4\xB8\xAD\xF0\x9F\x98\x80", 3, 1,
	    "\xD0\x96\xE4\xB8\xAD...", 1596 * 2 + 3 + 3 },
	{ "\xE4\xB8\xAD", 1597, "\xD0\x96\xF0\x9F\x98\x80", 2, 1,
	    "\xE4\xB8\xAD...", 1597 * 3 + 3 },
	{ "\xF0\x9F\x98\x80", 1596, "\xD0\x96\xE4\xB8\xAD", 3, 1,
	    "\xF0\x9F\x98\x80\xD0\x96...", 1596 * 4 + 2 + 3 },
	{ "\xD0\x96", 1598, "\xE4\xB8\xAD", 2, 0,
	    "\xD0\x96\xE4\xB8\xAD\xE4\xB8\xAD", 1598 * 2 + 6 },
	/* Repair comes first: 1601 bad bytes give 1597 U+FFFD and "...". */
	{ "\xFF", 1601, "", 0, 1, "\xEF\xBF\xBD...", 1597 * 3 + 3 },
	{ "\xFF", 1600, "", 0, 0, "\xEF\xBF\xBD", 1600 * 3 },
};

static void
test_prepare(void)
{
	size_t	 i, elen, rlen;
	char	*head, *tail, *in, *r;
	int	 trunc;

	for (i = 0; i < sizeof(prepare_cases) / sizeof(prepare_cases[0]);
	    i++) {
		const struct prepare_case *c = &prepare_cases[i];

		head = repeat(c->head, c->head_count);
		tail = repeat(c->tail, c->tail_count);
		in = concat(head, tail);
		trunc = -1;
		r = smstext_prepare(in, strlen(in), &trunc);
		CHECK(r != NULL, "prepare %zu NULL", i);
		if (r != NULL) {
			rlen = strlen(r);
			elen = strlen(c->want_end);
			CHECK(trunc == c->truncated, "prepare %zu truncated %d",
			    i, trunc);
			CHECK(smstext_chars(r) == (c->truncated ?
			    SMSTEXT_MAX_CHARS : smstext_chars(in)),
			    "prepare %zu chars %zu", i, smstext_chars(r));
			CHECK(rlen == c->want_len,
			    "prepare %zu len %zu want %zu", i, rlen,
			    c->want_len);
			CHECK(rlen >= elen &&
			    memcmp(r + rlen - elen, c->want_end, elen) == 0,
			    "prepare %zu ending", i);
			CHECK(smstext_utf8_valid(r, rlen),
			    "prepare %zu invalid", i);
			/* What is kept is the unchanged start of the input. */
			if (c->truncated && c->head[0] != '\xFF')
				CHECK(memcmp(r, in, rlen - 3) == 0,
				    "prepare %zu prefix changed", i);
			else if (!c->truncated && c->head[0] != '\xFF')
				CHECK_STR(r, in, "prepare %zu changed", i);
		}
		free(r);
		free(in);
		free(tail);
		free(head);
	}

	/* The invalid inputs of the brief, repaired on the way out. */
	r = smstext_prepare(B("hi\x80\xE4\xB8\xC0\xAF\xED\xA0\x80\xFF!"),
	    &trunc);
	CHECK_STR(r, "hi\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
	    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!",
	    "prepare repair");
	CHECK(trunc == 0, "prepare repair truncated");
	CHECK(r != NULL && smstext_utf8_valid(r, strlen(r)),
	    "prepare repair invalid");
	free(r);

	/* truncated may be NULL. */
	in = repeat("a", 1700);
	r = smstext_prepare(in, strlen(in), NULL);
	CHECK(r != NULL && strlen(r) == 1600, "prepare NULL truncated");
	free(r);
	free(in);
}

static void
test_copy(void)
{
	char	 buf[6];

	smstext_copy(buf, sizeof(buf), "abc");
	CHECK_STR(buf, "abc", "short text copied whole");
	smstext_copy(buf, sizeof(buf), "abcdefgh");
	CHECK_STR(buf, "abcde", "long ASCII cut to fit");
	/* "ab" + U+20AC (3 bytes) + "x": the euro sign would end at byte 5. */
	smstext_copy(buf, 5, "ab\xe2\x82\xacx");
	CHECK_STR(buf, "ab", "never cuts through a UTF-8 sequence");
	smstext_copy(buf, sizeof(buf), "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
	CHECK_STR(buf, "\xf0\x9f\x98\x80", "emoji kept whole or dropped");
	buf[0] = 'z';
	smstext_copy(buf, 0, "abc");
	CHECK(buf[0] == 'z', "size 0 writes nothing");
}

/* Texts the send API, the command line and the admin accept or refuse alike. */
static const struct {
	const char	*in;
	int		 ok;
} checks[] = {
	{ "Hello", 1 },
	{ "Line one\nline two\r\n\tindented", 1 },
	{ "Grüße, 你好, emoji \xf0\x9f\x98\x80", 1 },
	{ "", 0 },
	{ " \n\t ", 0 },
	{ "bell \x07", 0 },
	{ "escape \x1b[2J", 0 },
	{ "delete \x7f", 0 },
	{ "C1 \xc2\x85 next line", 0 },
	{ "C1 \xc2\x9f", 0 },
	{ "latin-1 caf\xe9", 0 },
	{ "overlong \xc0\xaf", 0 },
	{ "surrogate \xed\xa0\x80", 0 },
	{ "cut \xe2\x82", 0 },
	{ "U+00A0 is fine \xc2\xa0", 1 },
	{ "invalid \xff\xfe bytes", 0 },
	{ "a lone continuation \x80", 0 },
	{ "vertical tab \x0b", 0 },
	{ "backspace \x08", 0 },
};


/* The one check of sendable text: smstext_check over the table. */
static void
test_check(void)
{
	const char	*why;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		why = NULL;
		rc = smstext_check(checks[i].in, &why);
		CHECK(rc == checks[i].ok && (rc || why != NULL),
		    "check %zu: got %d", i, rc);
	}
}

int
main(void)
{
	test_valid_repair();
	test_chars();
	test_measure();
	test_prepare();
	test_copy();
	test_check();
	return check_done();
}
