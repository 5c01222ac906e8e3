/* Campaigns' own rules: the CSV reader, {{field}} templates, local time and the sending window, and the sender's release of due recipients. */
#ifndef CAMPAIGN_H
#define CAMPAIGN_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct store;

#define CAMPAIGN_RECORD_MAX	(64 * 1024)	/* bytes of one CSV record: longer ones are rejected */
#define CAMPAIGN_FIELDS_MAX	256		/* columns of a CSV file */
#define CAMPAIGN_FIELD_NAME_MAX	64		/* bytes of a placeholder's name */

/*
 * A streaming CSV reader (RFC 4180: quoted fields may hold the separator,
 * doubled quotes and newlines; CRLF or LF line ends). Memory is bounded by
 * CAMPAIGN_RECORD_MAX whatever the file: a longer record is read through
 * and reported, not kept. A UTF-8 BOM at the start is skipped. The
 * separator is taken from the header (the first record): a semicolon when
 * it has more semicolons than commas outside quotes, else a comma.
 */
struct csv;

struct csv_record {
	uint64_t	 line;		/* line of the file where it starts (1: the header) */
	size_t		 n;		/* fields */
	char		**field;	/* NUL-terminated, owned by the reader until the next read */
	const char	*error;		/* non-NULL: the record is unusable, and why (static text) */
};

/* A reader of in (borrowed). NULL when out of memory. */
struct csv	*csv_open(FILE *in);
void		 csv_close(struct csv *);
/*
 * Reads the next record (blank lines are skipped). 1 with *rec (rec->error
 * set when the record is bad: too long, a quote left open, text after a
 * closing quote, a NUL byte, not UTF-8, too many fields), 0 at the end,
 * < 0 on a read error (logged).
 */
int		 csv_read(struct csv *, struct csv_record *rec);
/* Bytes consumed so far (the BOM included). */
uint64_t	 csv_bytes(const struct csv *);
/* The separator, known after the first record. */
char		 csv_separator(const struct csv *);

/*
 * Checks a template's placeholders: {{name}}, spaces inside the braces
 * allowed, the name letters, digits, '_', '-' or '.' (at most
 * CAMPAIGN_FIELD_NAME_MAX bytes). 1, or 0 with why (whysz bytes) naming
 * the first bad one ("unknown placeholder: {{...").
 */
int	 campaign_template_check(const char *tmpl, char *why, size_t whysz);
/*
 * Renders a checked template: each {{name}} becomes lookup(name, arg).
 * 1 with *out (malloc'd; the caller frees), 0 when a field is missing or
 * empty (its name in missing, missingsz bytes), < 0 out of memory.
 */
int	 campaign_render(const char *tmpl,
	    const char *(*lookup)(const char *name, void *), void *arg,
	    char **out, char *missing, size_t missingsz);

/*
 * Whether tz names a time zone of the system's database (IANA names such
 * as Europe/Berlin, or UTC). 1 or 0.
 */
int	 campaign_tz_valid(const char *tz);
/* Registers the check of the time zone settings with the settings module. */
void	 campaign_settings_register(void);
/*
 * Local time in zone tz of t: 1 with *out, 0 for an unknown zone.
 *
 * The C library knows zones only through TZ, which is process-wide: the
 * conversion sets TZ, calls localtime_r or mktime, and puts TZ back, all
 * under one mutex, so campaign conversions never overlap. Nothing else in
 * these programs reads TZ (times are stored and logged in UTC, through
 * gmtime_r and SQLite), so the brief switch is invisible to other threads.
 */
int	 campaign_localtime(const char *tz, time_t t, struct tm *out);
/* The UTC time of "YYYY-MM-DD HH:MM" in zone tz: 1 with *out, 0 when either is not valid. */
int	 campaign_local_to_utc(const char *tz, const char *local, time_t *out);
/*
 * Parses a sending window "HH:MM-HH:MM" into minutes of the day. 1, or 0
 * when malformed or empty (start equal to end). end below start wraps past
 * midnight.
 */
int	 campaign_window_parse(const char *s, int *start, int *end);
/* Whether minute (0..1439) of the local day lies in the window [start, end). */
int	 campaign_window_open(int start, int end, int minute);

/* Whether s can be a communication name: 1..63 upper-case letters, digits and underscores. */
int	 campaign_name_valid(const char *s);

/*
 * The sender's step: scheduled campaigns whose start has come run; each
 * running campaign whose connection is RUNNING releases its due planned
 * recipients (window open in their zone) into the outbox, at most what
 * its throttle allows now, each batch in one transaction with the
 * throttle's state; a running campaign with nothing planned or queued
 * completes. now: Unix time. > 0 with *released (may be 0), < 0 store
 * error.
 */
int	 campaign_release(struct store *, double now, long *released);

#endif
