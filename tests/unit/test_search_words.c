/* Tests of store_search_words: the words a session search keeps from any text, so that no text is a query error on either engine. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "store_admin.h"

int
main(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		const char	*want;
	} cases[] = {
		{ "parcel", 1, "parcel" },
		{ "  Parcel   never ", 1, "Parcel never" },
		{ "\"parcel\" OR address*", 1, "parcel OR address" },
		{ "NEAR(parcel, 2)", 1, "NEAR parcel 2" },
		{ "a & b | !c:*", 1, "a b c" },
		{ "'; DROP TABLE messages; --", 1, "DROP TABLE messages" },
		{ "<script>alert(1)</script>", 1, "script alert 1 script" },
		{ "Gr\xc3\xbc\xc3\x9f" "e M\xc3\xbcnchen", 1,
		    "Gr\xc3\xbc\xc3\x9f" "e M\xc3\xbcnchen" },
		{ "x\xff\xfey", 1, "x y" },			/* bytes that are not UTF-8 */
		{ "\xc3(", 0, "" },				/* a cut sequence */
		{ "\xc0\xafx", 1, "x" },			/* an overlong '/' */
		{ "\xed\xa0\x80z", 1, "z" },			/* a surrogate */
		{ "a\x01\x02\x7f" "b", 1, "a b" },		/* control characters */
		{ "\"", 0, "" },
		{ "*()'\\", 0, "" },
		{ "", 0, "" },
		{ "1 2 3 4 5 6 7 8 9 10", 1, "1 2 3 4 5 6 7 8" },	/* 8 words at most */
		{ "\xf0\x9f\x98\x80 hi", 1, "\xf0\x9f\x98\x80 hi" },	/* an emoji counts as a letter */
	};
	char	 out[STORE_SEARCH_MAX], longw[200], want[STORE_SEARCH_WORD_MAX + 1];
	size_t	 i;
	int	 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = store_search_words(cases[i].in, out, sizeof(out));
		CHECK(ok == cases[i].ok, "case %zu: returns %d", i, ok);
		CHECK_STR(out, cases[i].want, "case %zu", i);
	}
	/* A word longer than its bound is cut at it, even when it ends in a character of several bytes. */
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	memset(want, 'a', STORE_SEARCH_WORD_MAX);
	want[STORE_SEARCH_WORD_MAX] = '\0';
	CHECK(store_search_words(longw, out, sizeof(out)) == 1, "a long word");
	CHECK_STR(out, want, "a long word is cut at %d bytes", STORE_SEARCH_WORD_MAX);
	memcpy(longw + 63, "\xc3\xbc" "b", 4);
	CHECK(store_search_words(longw, out, sizeof(out)) == 1 &&
	    strlen(out) == 63, "a character that would cross the bound goes whole");
	/* A small buffer: whole words only. */
	CHECK(store_search_words("abc def", out, 6) == 1, "small buffer");
	CHECK_STR(out, "abc", "only whole words fit");
	return check_done();
}
