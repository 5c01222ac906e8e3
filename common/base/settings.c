/* Installation-wide settings: one typed table with defaults and ranges, read through one function. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "keyword.h"
#include "log.h"
#include "parse.h"
#include "settings.h"
#include "store.h"
#include "url.h"

const struct setting_def settings_table[] = {
	{ "public_url", SETTING_URL, "", 0, 512,
	    "public base URL of this installation, used in the webhook URLs"
	    " given to Infobip (IBCHANNEL_PUBLIC_URL is read only while this"
	    " is unset)" },
	{ "session_timeout_minutes", SETTING_INT, "1440", 1, 525600,
	    "a session idle this long is closed; the next message opens a"
	    " new one" },
	{ "keywords_opt_out", SETTING_WORDS,
	    "STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT", 0, KEYWORD_LIST_MAX,
	    "words or phrases that opt a contact out: the whole message, any"
	    " case, surrounding spaces and punctuation ignored" },
	{ "keywords_opt_in", SETTING_WORDS, "START,YES,UNSTOP", 0,
	    KEYWORD_LIST_MAX,
	    "words that opt a contact back in, only when it opted out (from"
	    " anyone else they reach the agent); matched like keywords_opt_out" },
	{ "keywords_help", SETTING_WORDS, "HELP,INFO", 0, KEYWORD_LIST_MAX,
	    "words answered with reply_help instead of by the agent; matched"
	    " like keywords_opt_out" },
	{ "reply_stop", SETTING_TEXT, "You are unsubscribed and will get no"
	    " more messages. Reply START to resubscribe.", 0, 1600,
	    "reply to an opt-out keyword (empty: no reply)" },
	{ "reply_start", SETTING_TEXT, "You are subscribed again. Reply STOP"
	    " to unsubscribe.", 0, 1600,
	    "reply to an opt-in keyword from an opted-out contact (empty: no"
	    " reply)" },
	{ "reply_help", SETTING_TEXT, "This line is answered by an automated"
	    " assistant. Reply STOP to unsubscribe.", 0, 1600,
	    "reply to a help keyword (empty: no reply)" },
	{ "inbound_text_max_bytes", SETTING_INT, "65536", 160, 1048576,
	    "an inbound message with a longer text is refused (per item,"
	    " with the reason in the answer and the log)" },
	{ "campaign_upload_max_mb", SETTING_INT, "200", 1, 4096,
	    "largest CSV of campaign recipients the admin takes in one"
	    " upload, in MiB (the web server's own body limit must allow"
	    " it: deploy/lighttpd.conf.in)" },
	{ "webhook_threads", SETTING_INT, "16", 1, 256,
	    "requests each webhook program serves at once (read at program"
	    " start)" },
	{ "webhook_batch_items", SETTING_INT, "2000", 1, 100000,
	    "most webhook items committed in one transaction (read at"
	    " program start)" },
	{ "webhook_batch_wait_us", SETTING_INT, "0", 0, 1000,
	    "microseconds a webhook transaction waits for more requests"
	    " before it commits; 0 takes what arrived while the last one"
	    " committed (read at program start)" },
	{ "send_retry_delays", SETTING_SECONDS_LIST, "30,120,600,3600", 0,
	    86400, "seconds before each retry of a send that failed for a"
	    " transient reason; after the last the message fails (or, when"
	    " Infobip may have it, waits for an operator)" },
	{ "send_batch_size", SETTING_INT, "100", 1, 1000,
	    "messages per request to Infobip" },
	{ "send_lease_seconds", SETTING_INT, "120", 1, 3600,
	    "how long a sender holds a claimed message before another may"
	    " take it" },
	{ "infobip_timeout_ms", SETTING_INT, "30000", 100, 600000,
	    "timeout of one request to Infobip" },
	{ "unsure_resend_after_seconds", SETTING_INT, "300", 1, 86400,
	    "a send whose outcome is unknown is sent again only after two"
	    " lookups did not find it in Infobip's logs, the second at least"
	    " this long after that send ended" },
	{ "agent_timeout_ms", SETTING_INT, "30000", 100, 600000,
	    "timeout of one call to an HTTP or OpenAI agent" },
	{ "agent_parallel", SETTING_INT, "16", 1, 256,
	    "agent calls in flight at once" },
	{ "retain_messages_days", SETTING_INT, "0", 0, 36500,
	    "messages older than this many days are removed by the sender,"
	    " except those it still has to send or answer; 0 keeps every"
	    " message (the dashboard counts the last 3 days from them)" },
	{ "retain_events_days", SETTING_INT, "0", 0, 36500,
	    "delivery reports and clicks kept as received are removed after"
	    " this many days; 0 keeps them all" },
	{ "retain_logs_days", SETTING_INT, "0", 0, 36500,
	    "the connections' log entries are removed after this many days;"
	    " 0 keeps them all" },
	{ "campaign_timezone", SETTING_ZONE, "UTC", 0, 63,
	    "time zone of a campaign's start and sending window when it"
	    " names none (an IANA name such as Europe/Berlin)" },
	{ "campaign_rate_per_minute", SETTING_INT, "600", 1, 60000,
	    "messages per minute a campaign sends when it names no rate" },
	{ NULL, SETTING_INT, NULL, 0, 0, NULL },
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

/* Whether the n bytes at p are a keyword or phrase: not blank, up to 64 bytes. */
static int
word_ok(const char *p, size_t n, long max)
{
	(void)max;
	return n <= 64 && strspn(p, " ") < n;
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

int
settings_check(const char *name, const char *value, const char **why)
{
	const struct setting_def	*d;
	static char			 msg[256];
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
		if (campaign_tz_valid(value))
			return 1;
		*why = "not a time zone name (an IANA name such as"
		    " Europe/Berlin, or UTC)";
		return 0;
	case SETTING_WORDS:
		/* "" is an empty list; otherwise no item may be blank. */
		if (*value == '\0' || (strlen(value) <= (size_t)d->max &&
		    list_ok(value, word_ok, 0)))
			return 1;
		snprintf(msg, sizeof(msg), "must be comma-separated words or"
		    " phrases, each up to 64 bytes, at most %ld in all", d->max);
		*why = msg;
		return 0;
	}
	*why = "unknown setting type";
	return 0;
}

int
settings_get(struct store *st, const char *name, char *buf, size_t bufsz)
{
	const struct setting_def	*d;
	int				 rc;

	if ((d = settings_find(name)) == NULL || bufsz == 0)
		return 0;
	if (strlen(d->def) >= bufsz)
		return 0;
	snprintf(buf, bufsz, "%s", d->def);
	if (st == NULL)
		return 1;
	if ((rc = store_setting_get(st, name, buf, bufsz)) < 0) {
		snprintf(buf, bufsz, "%s", d->def);
		return -1;
	}
	if (rc == 0)
		snprintf(buf, bufsz, "%s", d->def);
	return 1;
}

long
settings_get_long(struct store *st, const char *name)
{
	const struct setting_def	*d;
	char				 buf[64];
	long				 v;

	if ((d = settings_find(name)) == NULL || d->type != SETTING_INT)
		return 0;
	if (settings_get(st, name, buf, sizeof(buf)) > 0 &&
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
