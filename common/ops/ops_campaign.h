/* Campaign actions: the operator's half of outbound campaigns (the ops convention of ops.h). */
#ifndef OPS_CAMPAIGN_H
#define OPS_CAMPAIGN_H

#include <stdint.h>
#include <stdio.h>

#include "enums.h"
#include "ops.h"
#include "store_campaign.h"

#define TEMPLATE_MAX	STORE_TEMPLATE_MAX	/* bytes of a template */

/*
 * A campaign sends one rendered text to each of its recipients through a
 * connection, under the outbound attachment of one agent (attached with
 * Inbound on or off). Recipients come from CSV; each has its own status
 * (enum rcpt_status), so the sender resumes a campaign after any crash
 * with no recipient sent twice and none forgotten.
 *
 * Every action follows ops.h: > 0 done, 0 refused (err says why, by form
 * field), < 0 store error; one transaction each, except the import, which
 * commits in batches (a crash keeps the batches already committed; the
 * import may be run again: lines already imported come back as duplicates).
 */

/*
 * The campaign form. Field names (for ops_error_for): "name" (the
 * communication name: upper-case letters, digits and underscores, e.g.
 * SPRING_OFFER), "connection" (id), "agent" (id or name; must be attached
 * to the connection), "text" (template with {{field}} placeholders, the
 * fields of the CSV header; {{phone}} is the number), "start" ("YYYY-MM-DD
 * HH:MM" in tz; NULL or "": when started), "tz" (an IANA zone name; NULL
 * or "": the installation's, setting campaign_timezone), "window"
 * ("HH:MM-HH:MM", sends only between these local times of each
 * recipient's timezone column when it has one, else of tz; may wrap past
 * midnight; NULL or "": any time), "rate" (messages per minute, 1..60000;
 * NULL or "": setting campaign_rate_per_minute).
 */
struct ops_campaign_form {
	const char	*name;
	const char	*connection;
	const char	*agent;
	const char	*text;
	const char	*start;
	const char	*tz;
	const char	*window;
	const char	*rate;
};

/* Creates a campaign in state draft. > 0 with *id. */
int	 ops_campaign_create(const struct ops *, const struct ops_campaign_form *,
	    int64_t *id, struct ops_error *);
/* Edits a draft campaign (NULL keeps a field). Refused once started. */
int	 ops_campaign_edit(const struct ops *, int64_t id,
	    const struct ops_campaign_form *, struct ops_error *);

/* What an import did. */
struct ops_import_result {
	uint64_t	 lines;		/* data lines read (the header not counted) */
	uint64_t	 imported;
	uint64_t	 rejected;
};

/*
 * How an import reports as it goes. progress (may be NULL) is called every
 * few thousand lines and at the end, with the bytes read so far and total
 * (0 when unknown, e.g. a pipe). reject (may be NULL) is called once per
 * bad line with its line number in the file (the header is line 1) and the
 * reason: "invalid phone number: ...", "template field missing: NAME",
 * "duplicate phone in the campaign", "opted-out contact", "bad CSV: ...".
 */
struct ops_import_report {
	void	(*progress)(uint64_t done, uint64_t total, uint64_t lines,
		    void *arg);
	void	(*reject)(uint64_t line, const char *reason, void *arg);
	void	 *arg;
};

/*
 * Imports recipients from CSV read from in (size bytes when known, else
 * 0): a header row with a "phone" column and any other fields (they fill
 * the template; a "timezone" column names each recipient's zone), UTF-8
 * (a BOM is skipped), comma or semicolon separated (taken from the
 * header), RFC 4180 quoting. Streams in bounded memory. Allowed in draft,
 * scheduled and paused campaigns. The good lines are imported and the bad
 * ones reported: > 0 with *res even when lines were rejected; 0 when the
 * file cannot be used at all (no phone column, not UTF-8 text, ...).
 */
int	 ops_campaign_import(const struct ops *, int64_t id, FILE *in,
	    uint64_t size, const struct ops_import_report *,
	    struct ops_import_result *res, struct ops_error *);

/*
 * The state changes. start: draft → scheduled (start time in the future)
 * or running; refused with no recipients, or when the connection or the
 * agent is gone. pause: scheduled or running → paused. resume: paused →
 * running (or scheduled). cancel: any state but completed and canceled →
 * canceled: planned recipients become canceled, and messages released but
 * not yet claimed by the sender are taken out of the outbox (their
 * recipients canceled too). Each refuses a change its state does not
 * allow, naming the state.
 */
int	 ops_campaign_start(const struct ops *, int64_t id, struct ops_error *);
int	 ops_campaign_pause(const struct ops *, int64_t id, struct ops_error *);
int	 ops_campaign_resume(const struct ops *, int64_t id, struct ops_error *);
int	 ops_campaign_cancel(const struct ops *, int64_t id, struct ops_error *);

/* A campaign as operators see it. */
struct ops_campaign_view {
	int64_t			 id;
	char			 name[64];		/* communication name */
	char			 connection_id[33];
	char			 connection_name[256];
	int64_t			 agent_id;
	char			 agent_name[256];
	char			 text[TEMPLATE_MAX + 4];		/* the template */
	enum campaign_state	 state;
	char			 start_local[32];	/* "YYYY-MM-DD HH:MM" in tz, "" when none */
	char			 start_utc[32];		/* the store's UTC time of it, "" when none */
	char			 tz[64];
	char			 window[16];		/* "HH:MM-HH:MM", "" when none */
	int			 rate;			/* messages per minute */
	char			 created_at[32];
	char			 started_at[32];	/* "" until started */
	char			 ended_at[32];		/* completed or canceled at, "" until then */
	int64_t			 total;			/* recipients */
	int64_t			 counts[RCPT__MAX];	/* recipients by status; they add up to total */
};

/* Reads one campaign with its counts. 0 unknown. */
int	 ops_campaign_get(const struct ops *, int64_t id,
	    struct ops_campaign_view *, struct ops_error *);
/* Calls fn for each campaign, newest first; stops when fn returns 0. */
int	 ops_campaign_each(const struct ops *,
	    int (*fn)(const struct ops_campaign_view *, void *), void *arg);
/* Calls fn for up to limit campaigns with an id below before (0: from the newest), newest first; stops when fn returns 0. > 0 done, < 0 error. */
int	 ops_campaign_page(const struct ops *, int64_t before, int64_t limit,
	    int (*fn)(const struct ops_campaign_view *, void *), void *arg);

/* One recipient. */
struct ops_recipient_row {
	int64_t			 id;
	uint64_t		 line;			/* its line in the imported file */
	char			 phone[32];
	enum rcpt_status	 status;
	char			 reason[512];		/* why skipped or failed (Infobip's status or error) */
	int64_t			 message_id;		/* 0 until released */
	char			 updated_at[32];
};
/* Which recipients: status RCPT__MAX for all; rows after id `after`, at most limit (1..10000). */
struct ops_recipient_filter {
	enum rcpt_status	 status;
	const char		*phone;			/* NULL or a prefix of the number */
	int64_t			 after;
	int			 limit;
};
/* Calls fn for each matching recipient in import order. 0 unknown campaign. */
int	 ops_campaign_recipients(const struct ops *, int64_t id,
	    const struct ops_recipient_filter *,
	    int (*fn)(const struct ops_recipient_row *, void *), void *arg,
	    struct ops_error *);

/*
 * The campaign over time, for its chart: one call per period (an hour,
 * or a minute when the campaign is younger than two hours) from its start,
 * with how many recipients were sent, delivered, failed and replied in it
 * (counts indexed by enum rcpt_status; the others 0). Each recipient is
 * counted once, in the period of its latest change and under its status
 * now: a delivered recipient counts as delivered, not also as sent.
 */
int	 ops_campaign_series(const struct ops *, int64_t id,
	    int (*fn)(const char *period, const int64_t counts[RCPT__MAX],
	    void *), void *arg, struct ops_error *);

/*
 * The first n recipients' messages as they will be sent (the template
 * rendered and cut as outbound_queue would), for a preview.
 */
int	 ops_campaign_preview(const struct ops *, int64_t id, int n,
	    int (*fn)(const char *phone, const char *text, void *), void *arg,
	    struct ops_error *);

/*
 * Writes the results as CSV to out: a header row, then per recipient its
 * line, phone, status, reason, message id, Infobip's status and the time
 * of its last change. Values are quoted so that a spreadsheet never takes
 * one for a formula.
 */
int	 ops_campaign_export(const struct ops *, int64_t id, FILE *out,
	    struct ops_error *);

#endif
