/* What the webhooks do with Infobip's bodies: inbound SMS, delivery reports, clicks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyword.h"
#include "log.h"
#include "outbound.h"
#include "payload_webhook.h"
#include "phone.h"
#include "settings.h"
#include "store.h"
#include "webhook.h"

/* Each keyword kind: the setting holding its words, and the setting holding its reply. */
static const struct {
	enum setting	 words;
	enum setting	 reply;
} keyword_settings[KEYWORD__MAX] = {
	[KEYWORD_NONE] = { SET__MAX, SET__MAX },
	[KEYWORD_STOP] = { SET_KEYWORDS_OPT_OUT, SET_REPLY_STOP },
	[KEYWORD_START] = { SET_KEYWORDS_OPT_IN, SET_REPLY_START },
	[KEYWORD_HELP] = { SET_KEYWORDS_HELP, SET_REPLY_HELP },
};

_Static_assert(SETTING_WORDS_MAX <= KEYWORD_LIST_MAX,
    "a keyword list setting must fit struct keyword_lists");

int
webhook_keywords_load(struct store *st, struct keyword_lists *kl)
{
	int	 k, rc = 1;

	for (k = 0; k < KEYWORD__MAX; k++) {
		kl->words[k][0] = '\0';
		if (keyword_settings[k].words != SET__MAX &&
		    settings_get(st, keyword_settings[k].words, kl->words[k],
		    sizeof(kl->words[k])) < 0)
			rc = -1;
	}
	return rc;
}

void
webhook_settings_register(void)
{
	settings_check_register(SETTING_WORDS, keyword_list_check);
}

/* Notes a bad item: counted, kept for the answer, written to the connection's log (folded per minute). */
static int
item_error(struct store *st, const char *conn, const char *what,
    struct webhook_result *res, size_t index, const char *fmt, ...)
{
	char	 text[PAYLOAD_ITEM_ERROR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	res->rejected++;
	if (res->nerrors < WEBHOOK_ERRORS_MAX) {
		res->errors[res->nerrors].index = index;
		snprintf(res->errors[res->nerrors].text,
		    sizeof(res->errors[0].text), "%s", text);
		res->nerrors++;
	}
	return store_log_counted(st, conn, "warn", what, "item", "item %zu"
	    " refused: %s", index, text);
}

/* Queues the reply to a keyword, taken from settings; an empty setting sends nothing. */
static int
keyword_reply(struct store *st, const struct store_connection *c,
    enum keyword kw, int64_t session, int64_t contact, const char *phone)
{
	struct store_outbound	 o;
	char			 text[SETTING_REPLY_MAX + 1];
	char			 uid[STORE_UID_MAX];
	int64_t			 id;

	if ((unsigned)kw >= KEYWORD__MAX ||
	    keyword_settings[kw].reply == SET__MAX)
		return 1;
	if (settings_get(st, keyword_settings[kw].reply, text,
	    sizeof(text)) < 0)
		return -1;
	if (text[0] == '\0')
		return 1;
	memset(&o, 0, sizeof(o));
	o.conn = c->id;
	o.session = session;
	o.contact = contact;
	o.author = "system";
	o.sender = c->sender;
	o.recipient = phone;
	o.text = text;
	o.priority = kw == KEYWORD_STOP || kw == KEYWORD_HELP;	/* answered even after STOP */
	return outbound_queue(st, &o, &id, uid);
}

/* The store's view of an MO item on connection c. */
static void
inbound_fill(struct store_inbound *in, const struct store_connection *c,
    const struct wh_mo *m)
{
	memset(in, 0, sizeof(*in));
	in->conn = c->id;
	in->infobip_id = m->message_id;
	in->from = m->from;
	in->to = m->to;
	in->text = m->text;
	in->text_len = m->text_len;
	in->received_at = m->received_at[0] != '\0' ? m->received_at : NULL;
	in->price = m->price;
	in->currency = m->currency[0] != '\0' ? m->currency : NULL;
	in->sms_count = m->sms_count;
}

/*
 * Stores one good MO item. > 0 stored, 0 duplicate, < 0 store error. The
 * store may queue it for the agent in the same call (on PostgreSQL, one
 * round trip for it all) when only the contact's opt-out and the
 * session's responsible are left to decide: no keyword for a contact not
 * opted out, a RUNNING connection, an inbound agent that runs. ahead,
 * when not NULL, is what the store did with the item already, along with
 * the rest of its group (webhook_ahead): it is not stored again.
 */
static int
inbound_one(struct store *st, const struct store_connection *c,
    const struct wh_mo *m, const char *phone, long timeout, int64_t agent,
    int agent_running, const struct keyword_lists *kl,
    const struct store_inbound_call *ahead)
{
	struct store_inbound		 in;
	struct store_inbound_done	 d;
	enum keyword			 kw;
	int64_t				 contact, session, msg;
	int				 opted_out, classified, rc;

	inbound_fill(&in, c, m);
	/* Classified early only where the store can act on it (SQLite's work stays as it was). */
	classified = store_inbound_queues(st) && c->status == CONN_RUNNING &&
	    agent_running;
	kw = classified ? keyword_classify(kl, m->text, 0) : KEYWORD_NONE;
	if (ahead != NULL) {
		/* Stored already, with this group's other MOs (webhook_ahead). */
		d = ahead->d;
		rc = ahead->rc;
	} else
		rc = store_inbound_store(st, &in, phone, agent, timeout,
		    classified && kw == KEYWORD_NONE ? agent : 0, &d);
	if (rc <= 0)
		return rc;
	contact = d.contact;
	session = d.session;
	msg = d.msg;
	opted_out = d.opted_out;
	if ((m->text_repaired & WH_TEXT_BAD_UTF8) && store_log(st, c->id,
	    "warn", "inbound", "message %s from %s had invalid UTF-8, stored"
	    " with U+FFFD in its place", m->message_id, phone) < 0)
		return -1;
	if ((m->text_repaired & WH_TEXT_NUL) && store_log(st, c->id, "warn",
	    "inbound", "message %s from %s held NUL characters (U+0000),"
	    " stored without them", m->message_id, phone) < 0)
		return -1;
	if (m->media_parts > 0 && store_log(st, c->id, "info", "inbound",
	    "message %s from %s carried %d media part(s); only text is"
	    " supported, media were not fetched", m->message_id, phone,
	    m->media_parts) < 0)
		return -1;

	/* Keywords come before any agent; opt-in words only for the opted out. */
	if (!classified || opted_out)
		kw = keyword_classify(kl, m->text, opted_out);
	if (kw == KEYWORD_STOP || kw == KEYWORD_START) {
		if (store_contact_set_opt_out(st, contact,
		    kw == KEYWORD_STOP) < 0 ||
		    keyword_reply(st, c, kw, session, contact, phone) < 0 ||
		    store_log(st, c->id, "info", "opt_out", "%s %s",
		    phone, kw == KEYWORD_STOP ? "opted out (an opt-out"
		    " keyword)" : "opted back in (an opt-in keyword)") < 0)
			return -1;
		return 1;
	}
	if (kw == KEYWORD_HELP)
		return keyword_reply(st, c, kw, session, contact, phone) < 0 ?
		    -1 : 1;

	/* Counted per reason and minute: a busy line nobody answers writes little. */
	if (opted_out)
		return store_log_counted(st, c->id, "info", "not_answered",
		    "opted out", "message from %s stored, not answered: the"
		    " contact opted out", phone) < 0 ? -1 : 1;
	if (c->status != CONN_RUNNING)
		return store_log_counted(st, c->id, "warn", "not_answered",
		    "not running", "message from %s stored, not answered: the"
		    " connection is %s, not RUNNING", phone,
		    conn_status_name(c->status)) < 0 ?
		    -1 : 1;
	if (agent == 0)
		return store_log_counted(st, c->id, "warn", "not_answered",
		    "no agent", "message from %s stored, not answered: no agent"
		    " is attached with Inbound on", phone) < 0 ? -1 : 1;
	if (!agent_running)
		return store_log_counted(st, c->id, "warn", "not_answered",
		    "agent stopped", "message from %s stored, not answered: the"
		    " inbound agent is not running", phone) < 0 ? -1 : 1;
	if (d.queued >= 0)
		return 1;	/* the store decided, and queued when it was the AI's */
	if ((rc = store_session_is_ai(st, session)) < 0)
		return -1;
	if (rc == 0)
		return 1;	/* an operator answers this session */
	return store_agent_queue_add(st, msg, session, agent) < 0 ? -1 : 1;
}

int
webhook_parse(enum webhook_kind kind, const char *conn_id, const char *body,
    size_t len, struct webhook_job *job, const char **why)
{
	int	 rc;

	memset(job, 0, sizeof(*job));
	job->kind = kind;
	snprintf(job->conn_id, sizeof(job->conn_id), "%s", conn_id);
	switch (kind) {
	case WEBHOOK_INBOUND:
		rc = payload_mo_parse(body, len, &job->mo, &job->n, why);
		break;
	case WEBHOOK_REPORTS:
		rc = payload_reports_parse(body, len, &job->reports, &job->n,
		    why);
		break;
	case WEBHOOK_CLICKS:
		rc = payload_clicks_parse(body, len, &job->clicks, &job->n,
		    why);
		break;
	default:
		rc = -1;
	}
	return rc;
}

void
webhook_job_free(struct webhook_job *job)
{
	payload_mo_free(job->mo, job->n);
	payload_reports_free(job->reports, job->n);
	payload_clicks_free(job->clicks, job->n);
	free(job->ahead);
	job->ahead = NULL;
	job->ahead_set = 0;
	job->mo = NULL;
	job->reports = NULL;
	job->clicks = NULL;
	job->n = 0;
}

/* The settings an MO body needs. */
struct inbound_settings {
	const struct store	*st;		/* read from; NULL: not yet */
	unsigned int		 version;	/* the store's data version then */
	long			 timeout;	/* session_timeout_minutes */
	size_t			 text_max;	/* inbound_text_max_bytes */
	struct keyword_lists	 kl;
};

/*
 * The settings, read again only when the store may have changed since
 * (store_data_version): the writer stores a group of bodies in one
 * transaction, and reading five settings for each body cost it a twentieth
 * of its time. Bodies are stored by one thread only (the writer, or a
 * plain CGI run), so one copy serves. NULL on a store error.
 */
static const struct inbound_settings *
inbound_settings(struct store *st)
{
	static struct inbound_settings	 set;
	unsigned int			 v = store_data_version(st);

	if (set.st == st && v != 0 && set.version == v)
		return &set;
	set.st = NULL;
	set.timeout = settings_get_long(st, SET_SESSION_TIMEOUT_MINUTES);
	set.text_max = (size_t)settings_get_long(st, SET_INBOUND_TEXT_MAX_BYTES);
	if (webhook_keywords_load(st, &set.kl) < 0)
		return NULL;
	set.st = st;
	set.version = v;
	return &set;
}

/* Stores the items of an MO body: each on its own, once per Infobip messageId. */
static int
store_inbound(struct store *st, struct webhook_job *job)
{
	const struct store_connection	*c = &job->conn;
	const struct inbound_settings	*set;
	struct webhook_result		*res = &job->res;
	struct wh_mo			*items = job->mo;
	const char			*pwhy;
	char				 phone[PHONE_MAX];
	size_t				 i, text_max;
	long				 timeout;
	int64_t				 agent = 0;
	int				 running = 0, rc;

	if ((set = inbound_settings(st)) == NULL ||
	    store_inbound_agent(st, c->id, &agent, &running) < 0)
		return -1;
	timeout = set->timeout;
	text_max = set->text_max;
	for (i = 0; i < job->n; i++) {
		if (items[i].error[0] != '\0') {
			if (item_error(st, c->id, "inbound", res, i, "%s",
			    items[i].error) < 0)
				return -1;
			continue;
		}
		if (items[i].text_len > text_max) {
			if (item_error(st, c->id, "inbound", res, i,
			    "text of %zu bytes is longer than the %zu allowed"
			    " (setting inbound_text_max_bytes)",
			    items[i].text_len, text_max) < 0)
				return -1;
			continue;
		}
		if (!phone_normalize(items[i].from, phone, sizeof(phone),
		    &pwhy)) {
			if (item_error(st, c->id, "inbound", res, i,
			    "sender number %s: %s", items[i].from, pwhy) < 0)
				return -1;
			continue;
		}
		if ((rc = inbound_one(st, c, &items[i], phone, timeout, agent,
		    running, &set->kl, job->ahead_set ? &job->ahead[i] :
		    NULL)) < 0)
			return -1;
		if (rc > 0)
			res->stored++;
		else
			res->duplicates++;
	}
	return 1;
}

/* The store's view of a report item. */
static void
report_fill(struct store_report *r, const struct wh_report *it)
{
	memset(r, 0, sizeof(*r));
	r->uid = it->uid;
	r->status = it->status;
	r->group_name = it->group_name;
	r->status_name = it->status_name;
	r->status_description = it->status_description;
	r->error_name = it->error_name;
	r->error_description = it->error_description;
	r->infobip_bulk_id = it->bulk_id[0] ? it->bulk_id : NULL;
	r->price = it->price;
	r->currency = it->currency[0] ? it->currency : NULL;
	r->sms_count = it->sms_count;
	r->sent_at = it->sent_at[0] ? it->sent_at : NULL;
	r->done_at = it->done_at[0] ? it->done_at : NULL;
	r->raw = it->raw;
}

/*
 * The reports of a body in one statement (PostgreSQL, where each of the
 * four statements of a report is a round trip): the bad items are
 * refused first, the good ones then applied in their order.
 */
static int
store_reports_grouped(struct store *st, struct webhook_job *job)
{
	const struct store_connection	*c = &job->conn;
	struct webhook_result		*res = &job->res;
	struct wh_report		*items = job->reports;
	struct store_report		*rs;
	int				*results;
	size_t				 i, k = 0;
	int				 rc = -1;

	rs = calloc(job->n, sizeof(*rs));
	results = calloc(job->n, sizeof(*results));
	if (rs == NULL || results == NULL) {
		log_error("store_reports: out of memory");
		goto out;
	}
	for (i = 0; i < job->n; i++) {
		if (items[i].error[0] != '\0') {
			if (item_error(st, c->id, "report", res, i, "%s",
			    items[i].error) < 0)
				goto out;
			continue;
		}
		report_fill(&rs[k++], &items[i]);
	}
	if (k > 0 && store_reports_apply_group(st, c->id, rs, k, results) < 0)
		goto out;
	for (i = 0; i < k; i++)
		if (results[i] == 0)
			res->duplicates++;
		else if (results[i] == 2)
			res->pending++;
		else
			res->stored++;
	rc = 1;
out:
	free(rs);
	free(results);
	return rc;
}

/* Applies the reports of a delivery-report body. */
static int
store_reports(struct store *st, struct webhook_job *job)
{
	const struct store_connection	*c = &job->conn;
	struct webhook_result		*res = &job->res;
	struct wh_report		*items = job->reports;
	struct store_report		 r;
	size_t				 i;
	int				 rc, pending;

	if (store_calls_grouped(st))
		return store_reports_grouped(st, job);
	for (i = 0; i < job->n; i++) {
		if (items[i].error[0] != '\0') {
			if (item_error(st, c->id, "report", res, i, "%s",
			    items[i].error) < 0)
				return -1;
			continue;
		}
		report_fill(&r, &items[i]);
		if ((rc = store_report_apply(st, c->id, &r, &pending)) < 0)
			return -1;
		if (rc == 0)
			res->duplicates++;
		else if (pending)
			res->pending++;
		else
			res->stored++;
	}
	return 1;
}

/*
 * Keeps the clicks of a click notification as events and log entries, each
 * once however often Infobip sends it. A click on a message the connection
 * never sent is refused like any bad item, so that a flood of them writes
 * one counted log row a minute and no event.
 */
static int
store_clicks(struct store *st, struct webhook_job *job)
{
	const struct store_connection	*c = &job->conn;
	struct webhook_result		*res = &job->res;
	struct wh_click			*items = job->clicks;
	size_t				 i;
	int				 rc, unknown;

	for (i = 0; i < job->n; i++) {
		if (items[i].error[0] != '\0') {
			if (item_error(st, c->id, "click", res, i, "%s",
			    items[i].error) < 0)
				return -1;
			continue;
		}
		if ((rc = store_click_add(st, c->id, items[i].uid, items[i].at,
		    items[i].url, items[i].raw, &unknown)) < 0)
			return -1;
		if (unknown) {
			if (item_error(st, c->id, "click", res, i, "no message"
			    " %s was sent on this connection", items[i].uid) < 0)
				return -1;
			continue;
		}
		if (rc == 0) {
			res->duplicates++;
			continue;
		}
		if (store_log(st, c->id, "info", "click", "link clicked: %s by"
		    " %s%s", items[i].url, items[i].recipient[0] != '+' ?
		    "+" : "", items[i].recipient) < 0)
			return -1;
		res->stored++;
	}
	return 1;
}

/*
 * store_connection_get, remembered until the store may have changed (as
 * inbound_settings does): the bodies of one group mostly come for one
 * connection. Same returns.
 */
static int
connection_cached(struct store *st, const char *id,
    struct store_connection *c)
{
	static struct {
		const struct store	*st;
		unsigned int		 version;
		struct store_connection	 c;
	}		 last;
	unsigned int	 v = store_data_version(st);
	int		 rc;

	if (last.st == st && v != 0 && last.version == v &&
	    strcmp(last.c.id, id) == 0) {
		*c = last.c;
		return 1;
	}
	last.st = NULL;
	if ((rc = store_connection_get(st, id, c)) <= 0)
		return rc;
	last.st = st;
	last.version = v;
	last.c = *c;
	return 1;
}

int
webhook_store(struct store *st, void *arg)
{
	struct webhook_job	*job = arg;

	int			 rc;

	memset(&job->res, 0, sizeof(job->res));
	job->res.items = job->n;
	if ((rc = connection_cached(st, job->conn_id, &job->conn)) <= 0) {
		job->unknown = rc == 0;
		return rc;
	}
	job->unknown = 0;
	switch (job->kind) {
	case WEBHOOK_INBOUND:
		rc = store_inbound(st, job);
		job->ahead_set = 0;
		return rc;
	case WEBHOOK_REPORTS:
		return store_reports(st, job);
	case WEBHOOK_CLICKS:
		return store_clicks(st, job);
	}
	return -1;
}

/*
 * Whether all of job's MOs can be stored ahead, each by the store's call
 * alone: a good item without a keyword (with or without an opt-out).
 * Fills job->conn and allocates job->ahead. 1 yes, 0 no, < 0 store error.
 */
static int
inbound_ahead_ok(struct store *st, writer_fn fn, void *arg)
{
	struct webhook_job		*job = arg;
	const struct inbound_settings	*set;
	const char			*pwhy;
	char				 phone[PHONE_MAX];
	size_t				 i;
	int				 rc;

	if (fn != webhook_store || job->kind != WEBHOOK_INBOUND || job->n == 0)
		return 0;
	if ((rc = connection_cached(st, job->conn_id, &job->conn)) <= 0)
		return rc;
	if ((set = inbound_settings(st)) == NULL)
		return -1;
	for (i = 0; i < job->n; i++)
		if (job->mo[i].error[0] != '\0' ||
		    job->mo[i].text_len > set->text_max ||
		    !phone_normalize(job->mo[i].from, phone, sizeof(phone),
		    &pwhy) ||
		    keyword_classify(&set->kl, job->mo[i].text, 0) !=
		    KEYWORD_NONE ||
		    keyword_classify(&set->kl, job->mo[i].text, 1) !=
		    KEYWORD_NONE)
			return 0;
	if (job->ahead == NULL &&
	    (job->ahead = calloc(job->n, sizeof(*job->ahead))) == NULL)
		return 0;
	return 1;
}

int
webhook_ahead(struct store *st, const writer_fn *fns, void *const *args,
    size_t n)
{
	struct store_inbound_call	*calls = NULL;
	const struct inbound_settings	*set;
	struct webhook_job		*job;
	char				(*phones)[PHONE_MAX] = NULL;
	const char			*pwhy;
	int64_t				 agent;
	size_t				 i, j, k, jobs, items = 0;
	int				 running, rc;

	for (j = 0; j < n; j++)
		if (fns[j] == webhook_store)
			((struct webhook_job *)args[j])->ahead_set = 0;
	for (jobs = 0; jobs < n; jobs++) {
		if ((rc = inbound_ahead_ok(st, fns[jobs], args[jobs])) < 0)
			return -1;
		if (rc == 0)
			break;
		items += ((struct webhook_job *)args[jobs])->n;
	}
	if (items < 2)
		return 0;	/* one MO: its own call costs the same */
	calls = calloc(items, sizeof(*calls));
	phones = calloc(items, sizeof(*phones));
	rc = 0;
	if (calls == NULL || phones == NULL)
		goto out;
	rc = -1;
	if ((set = inbound_settings(st)) == NULL)
		goto out;
	for (j = k = 0; j < jobs; j++) {
		job = args[j];
		if (store_inbound_agent(st, job->conn.id, &agent, &running) < 0)
			goto out;
		for (i = 0; i < job->n; i++, k++) {
			inbound_fill(&calls[k].in, &job->conn, &job->mo[i]);
			phone_normalize(job->mo[i].from, phones[k],
			    sizeof(phones[k]), &pwhy);
			calls[k].phone = phones[k];
			calls[k].agent = agent;
			calls[k].timeout_minutes = set->timeout;
			/* As inbound_one asks of the store, no keyword being there. */
			calls[k].queue_agent = store_inbound_queues(st) &&
			    job->conn.status == CONN_RUNNING && running ?
			    agent : 0;
		}
	}
	if (store_inbound_store_group(st, calls, items) < 0)
		goto out;
	for (j = k = 0; j < jobs; j++) {
		job = args[j];
		memcpy(job->ahead, calls + k, job->n * sizeof(*calls));
		job->ahead_set = 1;
		k += job->n;
	}
	rc = 1;
out:
	free(calls);
	free(phones);
	return rc;
}
