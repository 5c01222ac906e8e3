/* Tests of copy_name_valid: the only names a copy into PostgreSQL writes into a statement. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "db_copy.h"

static void
test_copy_name_valid(void)
{
	static const struct {
		const char	*in;
		int		 ok;
	} cases[] = {
		{ "messages", 1 },
		{ "campaign_recipients", 1 },
		{ "_private", 1 },
		{ "col2", 1 },
		{ "a", 1 },
		{ "", 0 },
		{ NULL, 0 },
		{ "2col", 0 },
		{ "Messages", 0 },
		{ "my table", 0 },
		{ "x\"y", 0 },
		{ "x;DROP", 0 },
		{ "x-y", 0 },
		{ "sch.tab", 0 },
		{ "na\xc3\xafve", 0 },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk", 1 },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(copy_name_valid(cases[i].in) == cases[i].ok,
		    "copy_name_valid(\"%s\") is %d", cases[i].in != NULL ?
		    cases[i].in : "(null)", cases[i].ok);
}

int
main(void)
{
	test_copy_name_valid();
	return check_done();
}
