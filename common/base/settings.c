/* Installation-wide settings: one typed table with defaults and ranges, read through one function. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parse.h"
#include "settings.h"
#include "store.h"
#include "url.h"

/*
 * A row of the table at the index of its enum: the definition, then
 * where people find it (IN), its unit (UNIT) and when a change is used
 * (APPLIES), each optional.
 */
#define ROW(i_, n_, t_, d_, lo_, hi_, p_, ...) \
	[i_] = { .id = i_, .name = n_, .type = t_, .def = d_, .min = lo_, \
	    .max = hi_, .purpose = p_, __VA_ARGS__ }
#define IN(g_)		.group = SETTING_GROUP_##g_
#define UNIT(u_)	.unit = u_
#define APPLIES(w_)	.applies = SETTING_APPLIES_##w_

const char *const settings_group_names[SETTING_GROUP__MAX] = {
	[SETTING_GROUP_GENERAL] = "General",
	[SETTING_GROUP_KEYWORDS] = "Keywords and replies",
	[SETTING_GROUP_INBOUND] = "Webhook tuning",
	[SETTING_GROUP_SENDING] = "Sending",
	[SETTING_GROUP_AGENTS] = "Agents",
	[SETTING_GROUP_CAMPAIGNS] = "Campaigns",
	[SETTING_GROUP_RETENTION] = "Retention",
};

const char *const settings_applies_text[SETTING_APPLIES__MAX] = {
	[SETTING_APPLIES_NOW] = "",
	[SETTING_APPLIES_SENDER_RUN] = "used from the sender's next run"
	    " (cron starts one each minute)",
	[SETTING_APPLIES_RESTART] = "used only after the web programs are"
	    " restarted (read when they start)",
};

const struct setting_def settings_table[SET__MAX + 1] = {
	ROW(SET_PUBLIC_URL, "public_url",
	    SETTING_URL, "", 0, 512,
	    "public base URL of this installation, used in the webhook URLs"
	    " given to Infobip (IBCHANNEL_PUBLIC_URL is read only while this"
	    " is unset)",
	    IN(GENERAL)),
	ROW(SET_SESSION_TIMEOUT_MINUTES, "session_timeout_minutes",
	    SETTING_INT, "1440", 1, 525600,
	    "a session idle this long is closed; the next message opens a"
	    " new one",
	    IN(GENERAL), UNIT("minutes")),
	ROW(SET_KEYWORDS_OPT_OUT, "keywords_opt_out",
	    SETTING_WORDS,
	    "STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT", 0, SETTING_WORDS_MAX,
	    "words or phrases that opt a contact out: the whole message, any"
	    " case, surrounding spaces and punctuation ignored",
	    IN(KEYWORDS)),
	ROW(SET_KEYWORDS_OPT_IN, "keywords_opt_in",
	    SETTING_WORDS, "START,YES,UNSTOP", 0,
	    SETTING_WORDS_MAX,
	    "words that opt a contact back in, only when it opted out (from"
	    " anyone else they reach the agent); matched like keywords_opt_out",
	    IN(KEYWORDS)),
	ROW(SET_KEYWORDS_HELP, "keywords_help",
	    SETTING_WORDS, "HELP,INFO", 0, SETTING_WORDS_MAX,
	    "words answered with reply_help instead of by the agent; matched"
	    " like keywords_opt_out",
	    IN(KEYWORDS)),
	ROW(SET_REPLY_STOP, "reply_stop",
	    SETTING_TEXT, "You are unsubscribed and will get no"
	    " more messages. Reply START to resubscribe.", 0,
	    SETTING_REPLY_MAX,
	    "reply to an opt-out keyword (empty: no reply)",
	    IN(KEYWORDS)),
	ROW(SET_REPLY_START, "reply_start",
	    SETTING_TEXT, "You are subscribed again. Reply STOP"
	    " to unsubscribe.", 0,
	    SETTING_REPLY_MAX,
	    "reply to an opt-in keyword from an opted-out contact (empty: no"
	    " reply)",
	    IN(KEYWORDS)),
	ROW(SET_REPLY_HELP, "reply_help",
	    SETTING_TEXT, "This line is answered by an automated"
	    " assistant. Reply STOP to unsubscribe.", 0,
	    SETTING_REPLY_MAX,
	    "reply to a help keyword (empty: no reply)",
	    IN(KEYWORDS)),
	ROW(SET_INBOUND_TEXT_MAX_BYTES, "inbound_text_max_bytes",
	    SETTING_INT, "65536", 160, 1048576,
	    "an inbound message with a longer text is refused (per item,"
	    " with the reason in the answer and the log)",
	    IN(INBOUND), UNIT("bytes")),
	ROW(SET_CAMPAIGN_UPLOAD_MAX_MB, "campaign_upload_max_mb",
	    SETTING_INT, "200", 1, 4096,
	    "largest CSV of campaign recipients the admin takes in one"
	    " upload, in MiB (the web server's own body limit must allow"
	    " it: deploy/lighttpd.conf.in)",
	    IN(CAMPAIGNS), UNIT("MiB")),
	ROW(SET_WEBHOOK_THREADS, "webhook_threads",
	    SETTING_INT, "16", 1, 256,
	    "requests each webhook program reads at once; as many more may"
	    " wait for their commit, answered by the writer",
	    IN(INBOUND), UNIT("threads"), APPLIES(RESTART)),
	ROW(SET_WEBHOOK_BATCH_ITEMS, "webhook_batch_items",
	    SETTING_INT, "2000", 1, 100000,
	    "most webhook items committed in one transaction",
	    IN(INBOUND), UNIT("items"), APPLIES(RESTART)),
	ROW(SET_WEBHOOK_BATCH_WAIT_US, "webhook_batch_wait_us",
	    SETTING_INT, "0", 0, 1000,
	    "microseconds a webhook transaction waits for more requests"
	    " before it commits; 0 takes what arrived while the last one"
	    " committed",
	    IN(INBOUND), UNIT("microseconds"), APPLIES(RESTART)),
	ROW(SET_SEND_RETRY_DELAYS, "send_retry_delays",
	    SETTING_SECONDS_LIST, "30,120,600,3600", 0,
	    86400, "seconds before each retry of a send that failed for a"
	    " transient reason; after the last the message fails (or, when"
	    " Infobip may have it, waits for an operator)",
	    IN(SENDING), UNIT("seconds, comma-separated"), APPLIES(SENDER_RUN)),
	ROW(SET_SEND_BATCH_SIZE, "send_batch_size",
	    SETTING_INT, "100", 1, 1000,
	    "messages per request to Infobip",
	    IN(SENDING), UNIT("messages"), APPLIES(SENDER_RUN)),
	ROW(SET_SEND_LEASE_SECONDS, "send_lease_seconds",
	    SETTING_INT, "120", 1, 3600,
	    "how long a sender holds a claimed message before another may"
	    " take it",
	    IN(SENDING), UNIT("seconds"), APPLIES(SENDER_RUN)),
	ROW(SET_INFOBIP_TIMEOUT_MS, "infobip_timeout_ms",
	    SETTING_INT, "30000", 100, 600000,
	    "timeout of one request to Infobip",
	    IN(SENDING), UNIT("milliseconds"), APPLIES(SENDER_RUN)),
	ROW(SET_UNSURE_RESEND_AFTER_SECONDS, "unsure_resend_after_seconds",
	    SETTING_INT, "300", 1, 86400,
	    "a send whose outcome is unknown is sent again only after two"
	    " lookups did not find it in Infobip's logs, the second at least"
	    " this long after that send ended",
	    IN(SENDING), UNIT("seconds"), APPLIES(SENDER_RUN)),
	ROW(SET_AGENT_TIMEOUT_MS, "agent_timeout_ms",
	    SETTING_INT, "30000", 100, 600000,
	    "timeout of one call to an HTTP or OpenAI agent",
	    IN(AGENTS), UNIT("milliseconds"), APPLIES(SENDER_RUN)),
	ROW(SET_AGENT_PARALLEL, "agent_parallel",
	    SETTING_INT, "16", 1, 256,
	    "agent calls in flight at once",
	    IN(AGENTS), UNIT("calls"), APPLIES(SENDER_RUN)),
	ROW(SET_RETAIN_MESSAGES_DAYS, "retain_messages_days",
	    SETTING_INT, "0", 0, 36500,
	    "messages older than this many days are removed by the sender,"
	    " except those it still has to send or answer; 0 keeps every"
	    " message (the dashboard counts the last 3 days from them)",
	    IN(RETENTION), UNIT("days"), APPLIES(SENDER_RUN)),
	ROW(SET_RETAIN_EVENTS_DAYS, "retain_events_days",
	    SETTING_INT, "0", 0, 36500,
	    "delivery reports and clicks kept as received are removed after"
	    " this many days; 0 keeps them all",
	    IN(RETENTION), UNIT("days"), APPLIES(SENDER_RUN)),
	ROW(SET_RETAIN_LOGS_DAYS, "retain_logs_days",
	    SETTING_INT, "0", 0, 36500,
	    "the connections' log entries are removed after this many days;"
	    " 0 keeps them all",
	    IN(RETENTION), UNIT("days"), APPLIES(SENDER_RUN)),
	ROW(SET_CAMPAIGN_TIMEZONE, "campaign_timezone",
	    SETTING_ZONE, "UTC", 0, 63,
	    "time zone of a campaign's start and sending window when it"
	    " names none (an IANA name such as Europe/Berlin)",
	    IN(CAMPAIGNS)),
	ROW(SET_CAMPAIGN_RATE_PER_MINUTE, "campaign_rate_per_minute",
	    SETTING_INT, "600", 1, 60000,
	    "messages per minute a campaign sends when it names no rate",
	    IN(CAMPAIGNS), UNIT("messages per minute")),
	ROW(SET_ADMIN_TIME_ZONE, "admin_time_zone",
	    SETTING_ZONE, "UTC", 0, 63,
	    "time zone the admin shows times in, named beside each time"
	    " (an IANA name such as Europe/Berlin, or UTC)",
	    IN(GENERAL)),
	[SET__MAX] = { .id = SET__MAX },
};

const struct setting_def *
settings_find(const char *name)
{
	const struct setting_def	*d;

	if (name == NULL)
		return NULL;
	for (d = settings_table; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* Whether the n bytes at p are a number of seconds above 0 and at most max (decimals allowed). */
static int
seconds_ok(const char *p, size_t n, long max)
{
	char	 item[32], *end;
	double	 v;

	if (n == 0 || n >= sizeof(item))
		return 0;
	memcpy(item, p, n);
	item[n] = '\0';
	errno = 0;
	v = strtod(item, &end);
	return end != item && *end == '\0' && errno == 0 && v > 0 &&
	    v <= (double)max;
}

/* Whether every comma-separated item of value passes ok. */
static int
list_ok(const char *value, int (*ok)(const char *, size_t, long), long max)
{
	const char	*p, *comma;

	for (p = value;; p = comma + 1) {
		comma = strchr(p, ',');
		if (!ok(p, comma != NULL ? (size_t)(comma - p) : strlen(p), max))
			return 0;
		if (comma == NULL)
			return 1;
	}
}

/* The checks other modules registered, by setting type. */
static settings_check_fn *registered[SETTING_ZONE + 1];

void
settings_check_register(enum setting_type t, settings_check_fn *fn)
{
	if ((unsigned)t < sizeof(registered) / sizeof(registered[0]))
		registered[t] = fn;
}

int
settings_check(const char *name, const char *value, const char **why)
{
	const struct setting_def	*d;
	static _Thread_local char	 msg[256];
	long				 v;
	int				 https, loopback;

	*why = NULL;
	if ((d = settings_find(name)) == NULL) {
		*why = "no such setting; 'ibchannel settings list' shows them";
		return 0;
	}
	if (log_has_control(value)) {
		*why = "control characters are not allowed";
		return 0;
	}
	switch (d->type) {
	case SETTING_INT:
		if (parse_long(value, d->min, d->max, &v))
			return 1;
		snprintf(msg, sizeof(msg), "must be a whole number from %ld"
		    " to %ld", d->min, d->max);
		*why = msg;
		return 0;
	case SETTING_TEXT:
		if (strlen(value) <= (size_t)d->max)
			return 1;
		snprintf(msg, sizeof(msg), "longer than %ld bytes", d->max);
		*why = msg;
		return 0;
	case SETTING_URL:
		if (*value == '\0')
			return 1;
		if (strlen(value) > (size_t)d->max) {
			snprintf(msg, sizeof(msg), "longer than %ld bytes",
			    d->max);
			*why = msg;
			return 0;
		}
		if (url_check(value, "the URL", &https, &loopback, msg,
		    sizeof(msg)))
			return 1;
		*why = msg;
		return 0;
	case SETTING_SECONDS_LIST:
		if (list_ok(value, seconds_ok, d->max))
			return 1;
		snprintf(msg, sizeof(msg), "must be comma-separated seconds"
		    " (decimals allowed), each above 0 and at most %ld", d->max);
		*why = msg;
		return 0;
	case SETTING_ZONE:
	case SETTING_WORDS:
		if (registered[d->type] == NULL) {
			*why = "this program cannot check this setting";
			return 0;
		}
		if (registered[d->type](value, d->max, msg, sizeof(msg)))
			return 1;
		*why = msg;
		return 0;
	}
	*why = "unknown setting type";
	return 0;
}

int
settings_get(struct store *st, enum setting id, char *buf, size_t bufsz)
{
	const struct setting_def	*d;
	int				 rc;

	if ((unsigned)id >= SET__MAX || bufsz == 0)
		return 0;
	d = &settings_table[id];
	if (strlen(d->def) >= bufsz)
		return 0;
	snprintf(buf, bufsz, "%s", d->def);
	if (st == NULL)
		return 1;
	if ((rc = store_setting_get(st, d->name, buf, bufsz)) < 0) {
		snprintf(buf, bufsz, "%s", d->def);
		return -1;
	}
	if (rc == 0)
		snprintf(buf, bufsz, "%s", d->def);
	return 1;
}

long
settings_get_long(struct store *st, enum setting id)
{
	const struct setting_def	*d;
	char				 buf[64];
	long				 v;

	if ((unsigned)id >= SET__MAX || settings_table[id].type != SETTING_INT)
		return 0;
	d = &settings_table[id];
	if (settings_get(st, id, buf, sizeof(buf)) > 0 &&
	    parse_long(buf, d->min, d->max, &v))
		return v;
	return parse_long(d->def, d->min, d->max, &v) ? v : 0;
}

int
settings_set(struct store *st, const char *name, const char *value,
    const char **why)
{
	*why = NULL;
	if (value == NULL) {
		if (settings_find(name) == NULL) {
			*why = "no such setting; 'ibchannel settings list'"
			    " shows them";
			return 0;
		}
		return store_setting_unset(st, name);
	}
	if (!settings_check(name, value, why))
		return 0;
	return store_setting_set(st, name, value);
}
