/* Table test of phone_normalize and phone_to_infobip. */
#include <string.h>

#include "check.h"
#include "phone.h"

struct phone_case {
	const char	*in;
	const char	*want;	/* normalised form, or NULL when refused */
	const char	*why;	/* expected reason when refused, NULL to skip */
};

static const struct phone_case cases[] = {
	/* accepted */
	{ "+1234567890", "+1234567890", NULL },
	{ "1234567890", "+1234567890", NULL },
	{ "41793026727", "+41793026727", NULL },
	{ "12345678", "+12345678", NULL },			/* 8 digits */
	{ "+12345678", "+12345678", NULL },
	{ "123456789012345", "+123456789012345", NULL },	/* 15 digits */
	{ "+123456789012345", "+123456789012345", NULL },
	/* refused: separators */
	{ "123-456-7890", NULL, "contains spaces, dashes or parentheses" },
	{ "(123) 456-7890", NULL, "contains spaces, dashes or parentheses" },
	{ "+1 234 567 890", NULL, "contains spaces, dashes or parentheses" },
	{ "12 34", NULL, "contains spaces, dashes or parentheses" },
	{ " +1234567890", NULL, "contains spaces, dashes or parentheses" },
	{ "+1234567890 ", NULL, "contains spaces, dashes or parentheses" },
	{ "+(41)793026727", NULL, "contains spaces, dashes or parentheses" },
	/* refused: empty */
	{ "", NULL, "empty" },
	{ "+", NULL, "empty" },
	/* refused: other characters */
	{ "abc", NULL, "not digits" },
	{ "++123456789", NULL, "not digits" },
	{ "+12345678\n", NULL, "not digits" },
	{ "\t+1234567890", NULL, "not digits" },
	{ "123.456.7890", NULL, "not digits" },
	{ "1234567890+", NULL, "not digits" },
	{ "+1234567890x", NULL, "not digits" },
	{ "+１２３４５６７８９", NULL, "not digits" },	/* fullwidth digits */
	/* refused: shape */
	{ "0123456789", NULL, "starts with 0" },
	{ "+0123456789", NULL, "starts with 0" },
	{ "1234567", NULL, "too short: fewer than 8 digits" },	/* 7 */
	{ "+1234567", NULL, "too short: fewer than 8 digits" },
	{ "1234567890123456", NULL, "too long: more than 15 digits" }, /* 16 */
	{ "+1234567890123456", NULL, "too long: more than 15 digits" },
};

static void
test_table(void)
{
	char		 out[PHONE_MAX];
	const char	*why;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		why = "unset";
		rc = phone_normalize(cases[i].in, out, sizeof(out), &why);
		if (cases[i].want != NULL) {
			CHECK(rc == 1, "case %zu \"%s\": rc %d (%s)", i,
			    cases[i].in, rc, why ? why : "(null)");
			CHECK_STR(out, cases[i].want, "case %zu out", i);
			CHECK(why == NULL, "case %zu: why not cleared", i);
		} else {
			CHECK(rc == 0, "case %zu \"%s\": accepted as \"%s\"",
			    i, cases[i].in, out);
			CHECK_STR(out, "", "case %zu: out not emptied", i);
			if (cases[i].why != NULL)
				CHECK_STR(why, cases[i].why,
				    "case %zu \"%s\" why", i, cases[i].in);
		}
	}
}

static void
test_edges(void)
{
	char		 out[PHONE_MAX], small[11];
	const char	*why;

	why = NULL;
	CHECK(phone_normalize(NULL, out, sizeof(out), &why) == 0, "NULL in");
	CHECK_STR(why, "empty", "NULL in why");

	/* "+1234567890" needs 12 bytes; 11 must fail without a partial copy. */
	memset(small, 'X', sizeof(small));
	CHECK(phone_normalize("1234567890", small, sizeof(small), &why) == 0,
	    "small buffer accepted");
	CHECK_STR(why, "buffer too small", "small buffer why");
	CHECK(small[0] == '\0' && small[1] == 'X', "small buffer written");
	CHECK(phone_normalize("1234567890", small, 0, &why) == 0,
	    "zero buffer accepted");
	CHECK(small[1] == 'X', "zero buffer written");
	CHECK(phone_normalize("1234567890", out, 12, &why) == 1,
	    "exact buffer refused");
	CHECK_STR(out, "+1234567890", "exact buffer");

	/* why may be NULL. */
	CHECK(phone_normalize("12-34", out, sizeof(out), NULL) == 0,
	    "NULL why");
	CHECK(phone_normalize("+123456789012345", out, sizeof(out), NULL) == 1,
	    "PHONE_MAX too small for 15 digits");
}

static void
test_infobip(void)
{
	char	 out[PHONE_MAX];

	CHECK(phone_to_infobip("+41793026727", out, sizeof(out)) == 1,
	    "to_infobip refused");
	CHECK_STR(out, "41793026727", "to_infobip");
	CHECK(phone_to_infobip("+123456789012345", out, 16) == 1,
	    "to_infobip 15 digits exact buffer");
	CHECK_STR(out, "123456789012345", "to_infobip 15 digits");
	CHECK(phone_to_infobip("+123456789012345", out, 15) == 0,
	    "to_infobip small buffer accepted");
	CHECK_STR(out, "", "to_infobip small buffer not emptied");
	CHECK(phone_to_infobip("41793026727", out, sizeof(out)) == 0,
	    "to_infobip without +");
	CHECK(phone_to_infobip("+4179-3026727", out, sizeof(out)) == 0,
	    "to_infobip with dash");
	CHECK(phone_to_infobip("+1234567", out, sizeof(out)) == 0,
	    "to_infobip too short");
	CHECK(phone_to_infobip(NULL, out, sizeof(out)) == 0, "to_infobip NULL");
	CHECK(phone_to_infobip("", out, sizeof(out)) == 0, "to_infobip empty");
}

int
main(void)
{
	test_table();
	test_edges();
	test_infobip();
	return check_done();
}
