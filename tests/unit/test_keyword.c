/* Keyword tests: the default lists, opt-in only for the opted out, lists as settings. */
#include <string.h>

#include "check.h"
#include "keyword.h"
#include "settings.h"
#include "webhook.h"

struct kcase {
	const char	*text;
	int		 opted_out;
	enum keyword	 want;
};

static const struct kcase cases[] = {
	{ "STOP", 0, KEYWORD_STOP },
	{ "stop", 0, KEYWORD_STOP },
	{ "  Stop!  ", 0, KEYWORD_STOP },
	{ "\"stop.\"", 0, KEYWORD_STOP },
	{ "\tSTOPALL\n", 0, KEYWORD_STOP },
	{ "unsubscribe", 0, KEYWORD_STOP },
	{ "Cancel", 0, KEYWORD_STOP },
	{ "end", 1, KEYWORD_STOP },
	{ "QUIT...", 0, KEYWORD_STOP },
	{ "START", 1, KEYWORD_START },
	{ "yes", 1, KEYWORD_START },
	{ "Unstop", 1, KEYWORD_START },
	/* From a contact who never opted out, opt-in words are conversation. */
	{ "START", 0, KEYWORD_NONE },
	{ "Yes", 0, KEYWORD_NONE },
	{ " yes! ", 0, KEYWORD_NONE },
	{ "unstop", 0, KEYWORD_NONE },
	{ "help?", 0, KEYWORD_HELP },
	{ "help?", 1, KEYWORD_HELP },
	{ "INFO", 0, KEYWORD_HELP },
	{ "Please stop calling me", 0, KEYWORD_NONE },
	{ "stop it", 0, KEYWORD_NONE },
	{ "STOPPED", 0, KEYWORD_NONE },
	{ "st op", 0, KEYWORD_NONE },
	{ "", 1, KEYWORD_NONE },
	{ "!!!", 1, KEYWORD_NONE },
	{ "yes please", 1, KEYWORD_NONE },
	{ "ST\xc3\x96P", 0, KEYWORD_NONE },
	{ "helpme", 0, KEYWORD_NONE },
};

/* Lists as an operator might set them: phrases, spaces around commas. */
static const struct kcase custom[] = {
	{ "arret", 0, KEYWORD_STOP },
	{ "stop  please!", 0, KEYWORD_STOP },
	{ "STOP", 0, KEYWORD_NONE },
	{ "Reprendre", 1, KEYWORD_START },
	{ "yes", 1, KEYWORD_NONE },
	{ "aide", 0, KEYWORD_HELP },
	{ "help", 0, KEYWORD_NONE },
	{ "stop please now", 0, KEYWORD_NONE },
};

static void
check_cases(const struct keyword_lists *kl, const struct kcase *c, size_t n,
    const char *lists)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		CHECK(keyword_classify(kl, c[i].text, c[i].opted_out) ==
		    c[i].want, "%s: keyword_classify(\"%s\", %d) = %d, want %d",
		    lists, c[i].text, c[i].opted_out, (int)keyword_classify(kl,
		    c[i].text, c[i].opted_out), (int)c[i].want);
}

int
main(void)
{
	struct keyword_lists	 kl;
	const char		*why;
	size_t			 i;
	char			 big[2048];

	CHECK(webhook_keywords_load(NULL, &kl) > 0, "defaults load");
	CHECK(strcmp(kl.words[KEYWORD_STOP],
	    "STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT") == 0 &&
	    strcmp(kl.words[KEYWORD_START], "START,YES,UNSTOP") == 0 &&
	    strcmp(kl.words[KEYWORD_HELP], "HELP,INFO") == 0,
	    "default lists are the long-standing words");
	check_cases(&kl, cases, sizeof(cases) / sizeof(cases[0]), "defaults");
	CHECK(keyword_classify(&kl, NULL, 1) == KEYWORD_NONE, "NULL");

	snprintf(kl.words[KEYWORD_STOP], sizeof(kl.words[0]),
	    " ARRET , Stop please,");
	snprintf(kl.words[KEYWORD_START], sizeof(kl.words[0]), "REPRENDRE");
	snprintf(kl.words[KEYWORD_HELP], sizeof(kl.words[0]), "AIDE");
	check_cases(&kl, custom, sizeof(custom) / sizeof(custom[0]), "custom");
	kl.words[KEYWORD_START][0] = '\0';
	CHECK(keyword_classify(&kl, "REPRENDRE", 1) == KEYWORD_NONE,
	    "an empty list matches nothing");

	CHECK(!settings_check("keywords_opt_in", "", &why),
	    "refused before the check is registered");
	webhook_settings_register();
	CHECK(settings_check("keywords_opt_in", "", &why), "empty list allowed");
	CHECK(settings_check("keywords_opt_out", "STOP, Stop please ,END",
	    &why), "phrases and spaces allowed");
	CHECK(!settings_check("keywords_opt_out", "STOP,,END", &why),
	    "an empty item refused");
	CHECK(!settings_check("keywords_opt_out", "STOP, ", &why),
	    "a blank item refused");
	memset(big, 'x', 65);
	big[65] = '\0';
	CHECK(!settings_check("keywords_help", big, &why),
	    "an item over 64 bytes refused");
	for (i = 0; i < 200; i++)
		memcpy(big + 6 * i, "ABCDE,", 6);
	memcpy(big + 6 * i, "END", 4);	/* 1,203 bytes */
	CHECK(!settings_check("keywords_help", big, &why),
	    "a list over %d bytes refused", KEYWORD_LIST_MAX);
	CHECK(keyword_list_check("A,B", KEYWORD_LIST_MAX, big, sizeof(big)),
	    "the check alone: a list");
	CHECK(!keyword_list_check("A,B", 2, big, sizeof(big)) &&
	    strstr(big, "at most 2 in all") != NULL,
	    "the check alone: over its max, saying so");
	return check_done();
}
