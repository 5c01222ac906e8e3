/* The opt-out keywords every SMS line must honour, recognised before any agent sees a message. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "keyword.h"

static const struct {
	const char	*word;
	enum keyword	 kind;
} keywords[] = {
	{ "STOP", KEYWORD_STOP },
	{ "STOPALL", KEYWORD_STOP },
	{ "UNSUBSCRIBE", KEYWORD_STOP },
	{ "CANCEL", KEYWORD_STOP },
	{ "END", KEYWORD_STOP },
	{ "QUIT", KEYWORD_STOP },
	{ "START", KEYWORD_START },
	{ "YES", KEYWORD_START },
	{ "UNSTOP", KEYWORD_START },
	{ "HELP", KEYWORD_HELP },
	{ "INFO", KEYWORD_HELP },
};

static const char *const replies[] = {
	[KEYWORD_NONE] = NULL,
	[KEYWORD_STOP] = "reply_stop",
	[KEYWORD_START] = "reply_start",
	[KEYWORD_HELP] = "reply_help",
};

/* Space or ASCII punctuation around the word. */
static int
is_trim(unsigned char c)
{
	return isspace(c) || ispunct(c);
}

enum keyword
keyword_classify(const char *text)
{
	const unsigned char	*b, *e;
	size_t			 n, i;

	if (text == NULL)
		return KEYWORD_NONE;
	b = (const unsigned char *)text;
	e = b + strlen(text);
	while (b < e && is_trim(*b))
		b++;
	while (e > b && is_trim(e[-1]))
		e--;
	n = (size_t)(e - b);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == n &&
		    strncasecmp((const char *)b, keywords[i].word, n) == 0)
			return keywords[i].kind;
	return KEYWORD_NONE;
}

const char *
keyword_reply_setting(enum keyword k)
{
	return replies[k];
}
