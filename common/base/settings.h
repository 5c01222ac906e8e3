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

/*
 * The settings, one per row of settings_table. Code names a setting by
 * its enum, so a mistyped name does not compile; the command line takes
 * the name as text and maps it through the table (settings_find).
 */
enum setting {
	SET_PUBLIC_URL,
	SET_SESSION_TIMEOUT_MINUTES,
	SET_KEYWORDS_OPT_OUT,
	SET_KEYWORDS_OPT_IN,
	SET_KEYWORDS_HELP,
	SET_REPLY_STOP,
	SET_REPLY_START,
	SET_REPLY_HELP,
	SET_INBOUND_TEXT_MAX_BYTES,
	SET_CAMPAIGN_UPLOAD_MAX_MB,
	SET_WEBHOOK_THREADS,
	SET_WEBHOOK_BATCH_ITEMS,
	SET_WEBHOOK_BATCH_WAIT_US,
	SET_SEND_RETRY_DELAYS,
	SET_SEND_BATCH_SIZE,
	SET_SEND_LEASE_SECONDS,
	SET_INFOBIP_TIMEOUT_MS,
	SET_UNSURE_RESEND_AFTER_SECONDS,
	SET_AGENT_TIMEOUT_MS,
	SET_AGENT_PARALLEL,
	SET_RETAIN_MESSAGES_DAYS,
	SET_RETAIN_EVENTS_DAYS,
	SET_RETAIN_LOGS_DAYS,
	SET_CAMPAIGN_TIMEZONE,
	SET_CAMPAIGN_RATE_PER_MINUTE,
	SET_ADMIN_TIME_ZONE,
	SET__MAX
};

/* Longest value of a SETTING_WORDS setting (the keyword lists hold this much). */
#define SETTING_WORDS_MAX	1024
/* Longest value of a SETTING_TEXT reply setting. */
#define SETTING_REPLY_MAX	1600

/*
 * How people find a setting: the groups of `settings list` and the
 * admin's Settings page, in this order. A row that names none is
 * SETTING_GROUP_GENERAL.
 */
enum setting_group {
	SETTING_GROUP_GENERAL,
	SETTING_GROUP_KEYWORDS,
	SETTING_GROUP_INBOUND,
	SETTING_GROUP_SENDING,
	SETTING_GROUP_AGENTS,
	SETTING_GROUP_CAMPAIGNS,
	SETTING_GROUP_RETENTION,
	SETTING_GROUP__MAX
};

/* A group's title, by enum setting_group. */
extern const char *const settings_group_names[SETTING_GROUP__MAX];

/* When a changed value is used. A row that names none applies at once. */
enum setting_applies {
	SETTING_APPLIES_NOW,		/* read where it is used, each time */
	SETTING_APPLIES_SENDER_RUN,	/* read when a sender run starts (cron: each minute) */
	SETTING_APPLIES_RESTART,	/* read when a web program starts: restart them */
	SETTING_APPLIES__MAX
};

/* What each enum setting_applies says to people; "" for SETTING_APPLIES_NOW. */
extern const char *const settings_applies_text[SETTING_APPLIES__MAX];

struct setting_def {
	enum setting		 id;		/* its own index in settings_table */
	const char		*name;
	enum setting_type	 type;
	const char		*def;		/* the value when unset */
	long			 min, max;	/* range (INT, SECONDS_LIST) or max length (TEXT, WORDS) */
	const char		*purpose;	/* one line for `settings list` and the admin */
	enum setting_group	 group;
	const char		*unit;		/* of the value ("minutes", "ms"), NULL: none */
	enum setting_applies	 applies;
};

/* The table, indexed by enum setting, ending in a NULL name at SET__MAX. */
extern const struct setting_def settings_table[SET__MAX + 1];

/* The definition of the setting a person named, or NULL when there is no such setting. */
const struct setting_def *settings_find(const char *name);

/*
 * Reads a setting into buf: its stored value, or its default when unset.
 * Returns > 0, 0 for a value longer than bufsz, < 0 on a store error (buf
 * then holds the default).
 */
int	 settings_get(struct store *, enum setting, char *buf, size_t bufsz);

/*
 * A numeric setting: its stored value when it parses and is within range,
 * else its default (a value refused by settings_check never gets stored,
 * but an older store may hold one).
 */
long	 settings_get_long(struct store *, enum setting);

/*
 * A check of the values of one type of setting that the module owning
 * their meaning provides (the keyword lists, the time zones), so that this
 * module needs none of them: 1 good, 0 not, with the reason in why. max is
 * the setting's max.
 */
typedef int settings_check_fn(const char *value, long max, char *why,
	    size_t whysz);

/*
 * Registers fn as the check of the settings of type t (SETTING_WORDS,
 * SETTING_ZONE). A program registers them before it changes a setting;
 * until then settings_check refuses values of such a type.
 */
void	 settings_check_register(enum setting_type t, settings_check_fn *fn);

/* Whether value is acceptable for the setting name. 1 yes, 0 no (*why says why). */
int	 settings_check(const char *name, const char *value, const char **why);

/*
 * Stores a setting after settings_check. > 0 stored, 0 refused (*why), < 0
 * store error. A NULL value removes the stored value (back to the default).
 */
int	 settings_set(struct store *, const char *name, const char *value,
	    const char **why);

#endif
