/* The keywords every SMS line must honour (opt out, opt back in, help), recognised before any agent sees a message. */
#ifndef KEYWORD_H
#define KEYWORD_H

#include <stddef.h>

struct store;

enum keyword {
	KEYWORD_NONE,		/* an ordinary message */
	KEYWORD_STOP,		/* setting keywords_opt_out: STOP, STOPALL, ... */
	KEYWORD_START,		/* setting keywords_opt_in: START, YES, UNSTOP */
	KEYWORD_HELP,		/* setting keywords_help: HELP, INFO */
	KEYWORD__MAX
};

/* Room for one list: the settings refuse longer values. */
#define KEYWORD_LIST_MAX	1024

/* The installation's keyword lists, comma-separated, indexed by kind. */
struct keyword_lists {
	char	 words[KEYWORD__MAX][KEYWORD_LIST_MAX + 1];
};

/*
 * Reads the three lists from the settings (their defaults when unset; all
 * defaults when st is NULL). Reads three settings and allocates nothing, so
 * a webhook does it once a request. > 0, < 0 on a store error (the lists
 * then hold the defaults).
 */
int		 keyword_lists_load(struct store *st, struct keyword_lists *);

/*
 * Classifies an inbound text. It is a keyword only when the whole message,
 * with surrounding spaces and punctuation ignored, is one of the words or
 * phrases of a list, in any case (ASCII letters; a run of spaces inside a
 * phrase matches any run). Opt-out words are looked up first, then opt-in
 * words, which count only for a contact who opted out (opted_out non-zero:
 * from anyone else "YES" is a conversation, not a keyword), then help words.
 * Allocates nothing.
 */
enum keyword	 keyword_classify(const struct keyword_lists *, const char *text,
		    int opted_out);
/* The settings name of the reply to a keyword ("reply_stop", ...), NULL for none. */
const char	*keyword_reply_setting(enum keyword);

#endif
