/* Installation-wide settings: one typed table with defaults and ranges, read through one function. */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <stddef.h>

struct store;

enum setting_type {
	SETTING_INT,		/* a whole number within [min, max] */
	SETTING_TEXT,		/* one line of text, up to max bytes ("" allowed) */
	SETTING_URL,		/* "" or an http(s) URL without credentials */
	SETTING_SECONDS_LIST,	/* comma-separated seconds (decimals allowed), each in (0, max] */
	SETTING_WORDS,		/* comma-separated words or phrases, each up to 64 bytes */
	SETTING_ZONE,		/* an IANA time zone name of the system's database */
};

struct setting_def {
	const char		*name;
	enum setting_type	 type;
	const char		*def;		/* the value when unset */
	long			 min, max;	/* range (INT, SECONDS_LIST) or max length (TEXT, WORDS) */
	const char		*purpose;	/* one line for `settings list` and the admin */
};

/* The table, ending in a NULL name. */
extern const struct setting_def settings_table[];

/* The definition of a setting, or NULL when there is no such setting. */
const struct setting_def *settings_find(const char *name);

/*
 * Reads a setting into buf: its stored value, or its default when unset.
 * Returns > 0, 0 for an unknown name or a value longer than bufsz, < 0 on a
 * store error (buf then holds the default).
 */
int	 settings_get(struct store *, const char *name, char *buf, size_t bufsz);

/*
 * A numeric setting: its stored value when it parses and is within range,
 * else its default (a value refused by settings_check never gets stored,
 * but an older store may hold one).
 */
long	 settings_get_long(struct store *, const char *name);

/* Whether value is acceptable for the setting name. 1 yes, 0 no (*why says why). */
int	 settings_check(const char *name, const char *value, const char **why);

/*
 * Stores a setting after settings_check. > 0 stored, 0 refused (*why), < 0
 * store error. A NULL value removes the stored value (back to the default).
 */
int	 settings_set(struct store *, const char *name, const char *value,
	    const char **why);

#endif
