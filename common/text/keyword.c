/* The keywords every SMS line must honour (opt out, opt back in, help), recognised before any agent sees a message. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "keyword.h"

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
keyword_list_check(const char *value, long max, char *why, size_t whysz)
{
	const char	*p, *comma;
	size_t		 n;

	if (*value == '\0')
		return 1;
	if (max > KEYWORD_LIST_MAX)
		max = KEYWORD_LIST_MAX;
	if (strlen(value) > (size_t)max)
		goto bad;
	for (p = value;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		/* Not blank, and not too long. */
		if (n > KEYWORD_WORD_MAX || strspn(p, " ") >= n)
			goto bad;
		if (comma == NULL)
			return 1;
	}
bad:
	snprintf(why, whysz, "must be comma-separated words or phrases, each"
	    " up to %d bytes, at most %ld in all", KEYWORD_WORD_MAX, max);
	return 0;
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
