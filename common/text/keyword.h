/* The keywords every SMS line must honour (opt out, opt back in, help), recognised before any agent sees a message. */
#ifndef KEYWORD_H
#define KEYWORD_H

#include <stddef.h>

enum keyword {
	KEYWORD_NONE,		/* an ordinary message */
	KEYWORD_STOP,		/* opt out: STOP, STOPALL, ... */
	KEYWORD_START,		/* opt back in: START, YES, UNSTOP */
	KEYWORD_HELP,		/* help: HELP, INFO */
	KEYWORD__MAX
};

/* Room for one list: keyword_list_check refuses longer lists. */
#define KEYWORD_LIST_MAX	1024
/* Longest word or phrase of a list. */
#define KEYWORD_WORD_MAX	64

/*
 * The installation's keyword lists, comma-separated, indexed by kind. The
 * caller fills them (the webhook code reads them from the settings); this
 * module only classifies.
 */
struct keyword_lists {
	char	 words[KEYWORD__MAX][KEYWORD_LIST_MAX + 1];
};

/*
 * Whether value is a keyword list: "" (none), or comma-separated words or
 * phrases, none blank, each up to KEYWORD_WORD_MAX bytes, at most max
 * (and KEYWORD_LIST_MAX) bytes in all. 1 yes, 0 no with the reason in
 * why. The check of the keyword settings (settings_check_fn).
 */
int		 keyword_list_check(const char *value, long max, char *why,
		    size_t whysz);

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

#endif
