/* The keywords every SMS line must honour (opt out, opt back in, help), recognised before any agent sees a message. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "keyword.h"
#include "settings.h"

/* Each kind: the setting holding its words, and the setting holding its reply. */
static const struct {
	const char	*words;
	const char	*reply;
} kinds[KEYWORD__MAX] = {
	[KEYWORD_NONE] = { NULL, NULL },
	[KEYWORD_STOP] = { "keywords_opt_out", "reply_stop" },
	[KEYWORD_START] = { "keywords_opt_in", "reply_start" },
	[KEYWORD_HELP] = { "keywords_help", "reply_help" },
};

/* Space or ASCII punctuation around a word. */
static int
is_trim(unsigned char c)
{
	return isspace(c) || ispunct(c);
}

/* Narrows [*b, *e) to what lies between leading and trailing spaces and punctuation. */
static void
trim(const unsigned char **b, const unsigned char **e)
{
	while (*b < *e && is_trim(**b))
		(*b)++;
	while (*e > *b && is_trim((*e)[-1]))
		(*e)--;
}

/* Whether [a, ae) and [b, be) are equal in any ASCII case, a run of spaces matching any run. */
static int
phrase_equal(const unsigned char *a, const unsigned char *ae,
    const unsigned char *b, const unsigned char *be)
{
	while (a < ae && b < be) {
		if (isspace(*a) && isspace(*b)) {
			while (a < ae && isspace(*a))
				a++;
			while (b < be && isspace(*b))
				b++;
			continue;
		}
		if (tolower(*a) != tolower(*b))
			return 0;
		a++;
		b++;
	}
	return a == ae && b == be;
}

/* Whether the trimmed text [b, e) is one of the comma-separated words of list. */
static int
in_list(const char *list, const unsigned char *b, const unsigned char *e)
{
	const unsigned char	*w, *we;
	const char		*comma;

	for (; list != NULL; list = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(list, ',');
		w = (const unsigned char *)list;
		we = comma != NULL ? (const unsigned char *)comma :
		    w + strlen(list);
		trim(&w, &we);
		if (w < we && phrase_equal(b, e, w, we))
			return 1;
	}
	return 0;
}

int
keyword_lists_load(struct store *st, struct keyword_lists *kl)
{
	int	 k, rc = 1;

	for (k = 0; k < KEYWORD__MAX; k++) {
		kl->words[k][0] = '\0';
		if (kinds[k].words != NULL && settings_get(st, kinds[k].words,
		    kl->words[k], sizeof(kl->words[k])) < 0)
			rc = -1;
	}
	return rc;
}

enum keyword
keyword_classify(const struct keyword_lists *kl, const char *text,
    int opted_out)
{
	const unsigned char	*b, *e;

	if (text == NULL)
		return KEYWORD_NONE;
	b = (const unsigned char *)text;
	e = b + strlen(text);
	trim(&b, &e);
	if (b == e)
		return KEYWORD_NONE;
	if (in_list(kl->words[KEYWORD_STOP], b, e))
		return KEYWORD_STOP;
	if (opted_out && in_list(kl->words[KEYWORD_START], b, e))
		return KEYWORD_START;
	if (in_list(kl->words[KEYWORD_HELP], b, e))
		return KEYWORD_HELP;
	return KEYWORD_NONE;
}

const char *
keyword_reply_setting(enum keyword k)
{
	return (unsigned)k < KEYWORD__MAX ? kinds[k].reply : NULL;
}
