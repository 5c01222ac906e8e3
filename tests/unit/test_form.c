/* Table test of form_parse and form_utf8_valid. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "form.h"

struct form_case {
	const char	*in;
	int		 want;		/* form_parse's result */
	const char	*name;		/* a field to look up, or NULL */
	const char	*value;		/* its expected value (NULL: absent) */
	size_t		 n;		/* fields expected when want is 1 */
};

static const struct form_case cases[] = {
	{ "", 1, "a", NULL, 0 },
	{ "a=1", 1, "a", "1", 1 },
	{ "a=1&b=2", 1, "b", "2", 2 },
	{ "a=1&&b=2&", 1, "b", "2", 2 },
	{ "a", 1, "a", "", 1 },
	{ "a=", 1, "a", "", 1 },
	{ "a=x+y%21", 1, "a", "x y!", 1 },
	{ "a=1=2", 1, "a", "1=2", 1 },
	{ "a=1&a=2", 1, "a", "1", 2 },
	{ "na%6De=v", 1, "name", "v", 1 },
	{ "t=l1%0D%0Al2", 1, "t", "l1\nl2", 1 },
	{ "t=%0D", 1, "t", "\r", 1 },
	{ "t=%C3%A9", 1, "t", "\xc3\xa9", 1 },
	{ "t=%F0%9F%98%80", 1, "t", "\xf0\x9f\x98\x80", 1 },
	{ "t=%3Cscript%3E", 1, "t", "<script>", 1 },
	/* malformed */
	{ "a=%", 0, NULL, NULL, 0 },
	{ "a=%4", 0, NULL, NULL, 0 },
	{ "a=%zz", 0, NULL, NULL, 0 },
	{ "a=%00", 0, NULL, NULL, 0 },
	{ "a=%C3", 0, NULL, NULL, 0 },
	{ "a=%C0%80", 0, NULL, NULL, 0 },		/* overlong NUL */
	{ "a=%ED%A0%80", 0, NULL, NULL, 0 },		/* surrogate */
	{ "a=%FF", 0, NULL, NULL, 0 },
	{ "=1", 0, NULL, NULL, 0 },
	{ "%FF=1", 0, NULL, NULL, 0 },
};

int
main(void)
{
	struct form	 f;
	char		 many[FORM_FIELDS_MAX * 4 + 8];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = form_parse(&f, cases[i].in, strlen(cases[i].in));
		CHECK(rc == cases[i].want, "form_parse(\"%s\") = %d, want %d",
		    cases[i].in, rc, cases[i].want);
		if (rc == 1) {
			CHECK(f.n == cases[i].n, "\"%s\": %zu fields, want %zu",
			    cases[i].in, f.n, cases[i].n);
			if (cases[i].value == NULL)
				CHECK(form_get(&f, cases[i].name) == NULL,
				    "\"%s\": %s absent", cases[i].in,
				    cases[i].name);
			else
				CHECK_STR(form_get(&f, cases[i].name),
				    cases[i].value, "\"%s\": %s", cases[i].in,
				    cases[i].name);
		} else
			CHECK(f.n == 0 && f.buf == NULL,
			    "\"%s\": nothing kept", cases[i].in);
		form_free(&f);
	}
	/* Exactly the limit of fields is fine; one more is not. */
	many[0] = '\0';
	for (i = 0; i < FORM_FIELDS_MAX; i++)
		strcat(many, "a=1&");
	CHECK(form_parse(&f, many, strlen(many)) == 1 &&
	    f.n == FORM_FIELDS_MAX, "%d fields accepted", FORM_FIELDS_MAX);
	form_free(&f);
	strcat(many, "b=2");
	CHECK(form_parse(&f, many, strlen(many)) == 0, "%d fields refused",
	    FORM_FIELDS_MAX + 1);
	form_free(&f);
	/* A length shorter than the string: only that much is read. */
	CHECK(form_parse(&f, "a=12&b=3", 3) == 1 &&
	    strcmp(form_get(&f, "a"), "1") == 0 && form_get(&f, "b") == NULL,
	    "length bounds the input");
	form_free(&f);
	CHECK(form_utf8_valid("abc", 3) && !form_utf8_valid("a\0c", 3) &&
	    !form_utf8_valid("\xf4\x90\x80\x80", 4),
	    "form_utf8_valid: NUL and past U+10FFFF refused");
	return check_done();
}
