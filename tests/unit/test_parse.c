/* Tests of parse_long, parse_id and parse_hex_digit: whole strings, ranges, no white space or '+' let through. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "parse.h"

static void
test_parse_long(void)
{
	static const struct {
		const char	*in;
		long		 min, max;
		int		 ok;
		long		 want;
	} cases[] = {
		{ "5", 1, 10, 1, 5 },
		{ "10", 1, 10, 1, 10 },
		{ "1", 1, 10, 1, 1 },
		{ "0", 0, 10, 1, 0 },
		{ "-3", -5, 5, 1, -3 },
		{ "007", 1, 10, 1, 7 },
		{ "11", 1, 10, 0, 0 },
		{ "0", 1, 10, 0, 0 },
		{ "-1", 0, 10, 0, 0 },
		{ "-0", 0, 10, 0, 0 },
		{ "+5", 1, 10, 0, 0 },
		{ " 5", 1, 10, 0, 0 },
		{ "5 ", 1, 10, 0, 0 },
		{ "5x", 1, 10, 0, 0 },
		{ "", 1, 10, 0, 0 },
		{ NULL, 1, 10, 0, 0 },
		{ "-", -5, 5, 0, 0 },
		{ "--1", -5, 5, 0, 0 },
		{ "0x10", 0, 100, 0, 0 },
		{ "99999999999999999999999", 0, 1000, 0, 0 },
	};
	size_t	 i;
	long	 v;
	int	 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 42;
		ok = parse_long(cases[i].in, cases[i].min, cases[i].max, &v);
		CHECK(ok == cases[i].ok, "parse_long(\"%s\", %ld, %ld) = %d",
		    cases[i].in ? cases[i].in : "(null)", cases[i].min,
		    cases[i].max, ok);
		CHECK(v == (ok ? cases[i].want : 42), "parse_long(\"%s\")"
		    " gave %ld", cases[i].in ? cases[i].in : "(null)", v);
	}
}

static void
test_parse_id(void)
{
	static const struct {
		const char	*in;
		int		 ok;
		int64_t		 want;
	} cases[] = {
		{ "1", 1, 1 },
		{ "42", 1, 42 },
		{ "9223372036854775807", 1, INT64_MAX },
		{ "9223372036854775808", 0, 0 },
		{ "0", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ " 1", 0, 0 },
		{ "1/", 0, 0 },
		{ "1.0", 0, 0 },
		{ "", 0, 0 },
		{ NULL, 0, 0 },
	};
	size_t	 i;
	int64_t	 v;
	int	 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 42;
		ok = parse_id(cases[i].in, &v);
		CHECK(ok == cases[i].ok, "parse_id(\"%s\") = %d",
		    cases[i].in ? cases[i].in : "(null)", ok);
		CHECK(v == (ok ? cases[i].want : 42), "parse_id(\"%s\") gave"
		    " %lld", cases[i].in ? cases[i].in : "(null)",
		    (long long)v);
	}
}

/* Hex digits of either case, nothing else (a sign bit set included). */
static void
test_parse_hex_digit(void)
{
	static const char	 digits[] = "0123456789abcdef";
	int			 i;

	for (i = 0; i < 16; i++) {
		CHECK(parse_hex_digit(digits[i]) == i, "hex %c", digits[i]);
		CHECK(parse_hex_digit(toupper((unsigned char)digits[i])) == i,
		    "hex %c upper case", digits[i]);
	}
	CHECK(parse_hex_digit('g') == -1 && parse_hex_digit('G') == -1 &&
	    parse_hex_digit('/') == -1 && parse_hex_digit(':') == -1 &&
	    parse_hex_digit('@') == -1 && parse_hex_digit('`') == -1,
	    "the characters beside the digits are none");
	CHECK(parse_hex_digit(-48) == -1 && parse_hex_digit(0) == -1,
	    "a negative char or NUL is none");
}

int
main(void)
{
	test_parse_long();
	test_parse_id();
	test_parse_hex_digit();
	return check_done();
}
