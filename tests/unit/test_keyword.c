/* Opt-out keyword table tests. */
#include "check.h"
#include "keyword.h"

static const struct {
	const char	*text;
	enum keyword	 want;
} cases[] = {
	{ "STOP", KEYWORD_STOP },
	{ "stop", KEYWORD_STOP },
	{ "  Stop!  ", KEYWORD_STOP },
	{ "\"stop.\"", KEYWORD_STOP },
	{ "\tSTOPALL\n", KEYWORD_STOP },
	{ "unsubscribe", KEYWORD_STOP },
	{ "Cancel", KEYWORD_STOP },
	{ "end", KEYWORD_STOP },
	{ "QUIT...", KEYWORD_STOP },
	{ "START", KEYWORD_START },
	{ "yes", KEYWORD_START },
	{ "Unstop", KEYWORD_START },
	{ "help?", KEYWORD_HELP },
	{ "INFO", KEYWORD_HELP },
	{ "Please stop calling me", KEYWORD_NONE },
	{ "stop it", KEYWORD_NONE },
	{ "STOPPED", KEYWORD_NONE },
	{ "st op", KEYWORD_NONE },
	{ "", KEYWORD_NONE },
	{ "!!!", KEYWORD_NONE },
	{ "yes please", KEYWORD_NONE },
	{ "ST\xc3\x96P", KEYWORD_NONE },
	{ "helpme", KEYWORD_NONE },
};

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(keyword_classify(cases[i].text) == cases[i].want,
		    "keyword_classify(\"%s\") = %d, want %d", cases[i].text,
		    (int)keyword_classify(cases[i].text), (int)cases[i].want);
	CHECK(keyword_classify(NULL) == KEYWORD_NONE, "NULL");
	CHECK(strcmp(keyword_reply_setting(KEYWORD_STOP), "reply_stop") == 0,
	    "stop reply setting");
	CHECK(keyword_reply_setting(KEYWORD_NONE) == NULL, "no reply");
	return check_done();
}
