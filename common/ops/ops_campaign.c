/* Campaign actions: create, edit, start, pause, resume, cancel, and what operators read of campaigns (ops_campaign.h); the import is in ops_campaign_import.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "ops_campaign.h"
#include "ops_int.h"
#include "parse.h"
#include "payload_admin.h"
#include "phone.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"
#include "store_api.h"
#include "store_campaign.h"


int
ops_campaign_load(const struct ops *o, int64_t id, struct store_campaign *c,
    struct ops_error *e)
{
	int	 rc;

	if ((rc = store_campaign_get(o->st, id, c)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "id", "no campaign %lld",
		    (long long)id);
	return 1;
}

/*
 * Checks the fields of f that are given (all when create) into c, adding
 * a problem for each bad one. Returns 1 when every given field is good,
 * 0 refused, < 0 store error.
 */
static int
form_check(const struct ops *o, const struct ops_campaign_form *f, int create,
    struct store_campaign *c, struct ops_error *e)
{
	struct store_connection	 k;
	const char		*tz;
	char			 why[128], deftz[64];
	struct tm		 tm;
	time_t			 t;
	long			 rate;
	int64_t			 agent = 0;
	int			 rc, conn_ok = 0;

	if (f->name != NULL || create) {
		if (f->name == NULL || *f->name == '\0')
			ops_fail(e, OPS_INVALID, "name", "name is required (a"
			    " communication name such as SPRING_OFFER)");
		else if (!campaign_name_valid(f->name))
			ops_fail(e, OPS_INVALID, "name", "name must be 1 to 63"
			    " upper-case letters, digits and underscores, such"
			    " as SPRING_OFFER");
		else
			snprintf(c->name, sizeof(c->name), "%s", f->name);
	}
	if (f->connection != NULL || create) {
		if (f->connection == NULL || *f->connection == '\0')
			ops_fail(e, OPS_INVALID, "connection", "connection is"
			    " required");
		else if (!store_id_valid(f->connection))
			ops_fail(e, OPS_INVALID, "connection", "'%s' is not a"
			    " connection id (32 hex digits)", f->connection);
		else if ((rc = store_connection_get(o->st, f->connection,
		    &k)) < 0)
			return ops_store_error(e);
		else if (rc == 0)
			ops_fail(e, OPS_NOT_FOUND, "connection", "no connection"
			    " %s", f->connection);
		else {
			snprintf(c->conn, sizeof(c->conn), "%s", k.id);
			conn_ok = 1;
		}
	} else
		conn_ok = 1;
	if (f->agent != NULL || create) {
		if (f->agent == NULL || *f->agent == '\0')
			ops_fail(e, OPS_INVALID, "agent", "agent is required");
		else {
			if (strspn(f->agent, "0123456789") == strlen(f->agent)) {
				struct store_agent a;

				memset(&a, 0, sizeof(a));
				/* Too many digits for an id: no such agent. */
				if (!parse_id(f->agent, &agent))
					agent = 0;
				else if ((rc = store_agent_get(o->st, agent,
				    &a)) < 0)
					return ops_store_error(e);
				else if (rc == 0)
					agent = 0;
				store_agent_clear(&a);
			} else if ((rc = store_agent_by_name(o->st, f->agent,
			    &agent)) < 0)
				return ops_store_error(e);
			if (agent == 0)
				ops_fail(e, OPS_NOT_FOUND, "agent", "no agent %s",
				    f->agent);
			else
				c->agent = agent;
		}
	}
	/* The agent must be attached to the connection, whichever changed. */
	if (conn_ok && c->agent > 0 && c->conn[0] != '\0' &&
	    (f->agent != NULL || f->connection != NULL)) {
		if ((rc = store_agent_attached(o->st, c->agent, c->conn)) < 0)
			return ops_store_error(e);
		if (rc == 0)
			ops_fail(e, OPS_INVALID, "agent", "agent %s is not"
			    " attached to connection %s (attach it, Inbound on"
			    " or off)", f->agent != NULL ? f->agent : "",
			    c->conn);
	}
	if (f->text != NULL || create) {
		if (f->text == NULL || *f->text == '\0')
			ops_fail(e, OPS_INVALID, "text", "text is required");
		else if (strlen(f->text) > TEMPLATE_MAX)
			ops_fail(e, OPS_INVALID, "text", "text is longer than"
			    " %d bytes", TEMPLATE_MAX);
		else if (!smstext_utf8_valid(f->text, strlen(f->text)))
			ops_fail(e, OPS_INVALID, "text", "text is not UTF-8");
		else if (!campaign_template_check(f->text, why, sizeof(why)))
			ops_fail(e, OPS_INVALID, "text", "%s (placeholders are"
			    " {{field}}: letters, digits, '_', '-', '.')", why);
		else
			snprintf(c->text, sizeof(c->text), "%s", f->text);
	}
	if (f->tz != NULL || create) {
		tz = f->tz;
		if (tz == NULL || *tz == '\0') {
			if (settings_get(o->st, SET_CAMPAIGN_TIMEZONE, deftz,
			    sizeof(deftz)) < 0)
				return ops_store_error(e);
			tz = deftz;
		}
		if (!campaign_tz_valid(tz))
			ops_fail(e, OPS_INVALID, "tz", "unknown time zone '%s'"
			    " (an IANA name such as Europe/Berlin, or UTC)", tz);
		else
			snprintf(c->tz, sizeof(c->tz), "%s", tz);
	}
	if (f->start != NULL || create || f->tz != NULL) {
		const char *start = f->start != NULL ? f->start : c->start_local;

		if (*start == '\0') {
			c->start_utc[0] = c->start_local[0] = '\0';
		} else if (c->tz[0] == '\0')
			;	/* the zone's problem is said already */
		else if (!campaign_local_to_utc(c->tz, start, &t) ||
		    gmtime_r(&t, &tm) == NULL)
			ops_fail(e, OPS_INVALID, "start", "start must be"
			    " \"YYYY-MM-DD HH:MM\" (a date and time in the"
			    " campaign's time zone)");
		else {
			char local[STORE_TIME_MAX];

			snprintf(local, sizeof(local), "%s", start);
			snprintf(c->start_local, sizeof(c->start_local), "%s",
			    local);
			strftime(c->start_utc, sizeof(c->start_utc),
			    "%Y-%m-%d %H:%M:%S", &tm);
		}
	}
	if (f->window != NULL || create) {
		if (f->window == NULL || *f->window == '\0')
			c->window_start = c->window_end = -1;
		else if (!campaign_window_parse(f->window, &c->window_start,
		    &c->window_end))
			ops_fail(e, OPS_INVALID, "window", "window must be"
			    " HH:MM-HH:MM with two different times, such as"
			    " 09:00-20:00 (it may wrap past midnight)");
	}
	if (f->rate != NULL || create) {
		if (f->rate == NULL || *f->rate == '\0')
			c->rate = (int)settings_get_long(o->st,
			    SET_CAMPAIGN_RATE_PER_MINUTE);
		else if (!parse_long(f->rate, 1, 60000, &rate))
			ops_fail(e, OPS_INVALID, "rate", "rate must be a whole"
			    " number of messages per minute from 1 to 60000");
		else
			c->rate = (int)rate;
	}
	return e->n == 0;
}

int
ops_campaign_create(const struct ops *o, const struct ops_campaign_form *f,
    int64_t *id, struct ops_error *e)
{
	struct store_campaign	*c;
	int			 rc;

	ops_reset(e);
	*id = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	c->window_start = c->window_end = -1;
	if ((rc = form_check(o, f, 1, c, e)) <= 0)
		goto out;
	if (store_begin(o->st) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	if ((rc = store_campaign_add(o->st, c)) <= 0 ||
	    store_log(o->st, c->conn, "info", "campaign", "campaign %lld %s"
	    " created by %s", (long long)c->id, c->name, ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		rc = rc == 0 ? ops_fail(e, OPS_NOT_FOUND, "connection",
		    "the connection or the agent is gone") :
		    ops_store_error(e);
		goto out;
	}
	*id = c->id;
	rc = 1;
out:
	free(c);
	return rc;
}

int
ops_campaign_edit(const struct ops *o, int64_t id,
    const struct ops_campaign_form *f, struct ops_error *e)
{
	struct store_campaign	*c;
	int			 rc;

	ops_reset(e);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) <= 0)
		goto out;
	if (c->state != CAMP_DRAFT) {
		rc = ops_fail(e, OPS_REFUSED, NULL, "campaign %lld is %s: only"
		    " a draft can be edited", (long long)id,
		    campaign_state_name(c->state));
		goto out;
	}
	if ((rc = form_check(o, f, 0, c, e)) <= 0)
		goto out;
	if (store_begin(o->st) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	if ((rc = store_campaign_save(o->st, c)) <= 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		rc = rc == 0 ? ops_fail(e, OPS_REFUSED, NULL, "campaign %lld"
		    " is no longer a draft", (long long)id) :
		    ops_store_error(e);
		goto out;
	}
	rc = 1;
out:
	free(c);
	return rc;
}

/* --- State changes --------------------------------------------------------- */

/* Moves campaign id from one of the states in from[] (n of them) to to, in one transaction, with a log line. */
static int
change_state(const struct ops *o, int64_t id, const char *verb,
    int (*check)(const struct ops *, const struct store_campaign *,
    enum campaign_state *, struct ops_error *), struct ops_error *e)
{
	struct store_campaign	*c;
	enum campaign_state	 to;
	int			 rc;

	ops_reset(e);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) <= 0)
		goto out;
	if (store_begin(o->st) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	/* Read again inside the transaction: the sender may have moved it. */
	if ((rc = store_campaign_get(o->st, id, c)) <= 0 ||
	    (rc = check(o, c, &to, e)) <= 0)
		goto undo;
	if ((rc = store_campaign_set_state(o->st, id, c->state, to)) <= 0)
		goto undo;
	if (to == CAMP_CANCELED && store_campaign_cancel(o->st, id) < 0) {
		rc = -1;
		goto undo;
	}
	if (store_log(o->st, c->conn, "info", "campaign", "campaign %lld %s"
	    " %s by %s: %s", (long long)id, c->name, verb, ops_user(o),
	    campaign_state_name(to)) < 0 || store_commit(o->st) < 0) {
		rc = -1;
		goto undo;
	}
	rc = 1;
	goto out;
undo:
	store_rollback(o->st);
	if (rc < 0)
		rc = ops_store_error(e);
	else if (e->n == 0)
		rc = ops_fail(e, OPS_REFUSED, NULL, "campaign %lld changed"
		    " meanwhile; try again", (long long)id);
out:
	free(c);
	return rc;
}

static int
refuse_state(const struct store_campaign *c, const char *what,
    struct ops_error *e)
{
	return ops_fail(e, OPS_REFUSED, NULL, "campaign %lld is %s: %s",
	    (long long)c->id, campaign_state_name(c->state), what);
}

static int
start_check(const struct ops *o, const struct store_campaign *c,
    enum campaign_state *to, struct ops_error *e)
{
	struct store_connection	 k;
	int64_t			 counts[RCPT__MAX], total;
	int			 rc;

	if (c->state != CAMP_DRAFT)
		return refuse_state(c, "only a draft can be started", e);
	if (store_campaign_counts(o->st, c->id, counts, &total) < 0)
		return -1;
	if (counts[RCPT_PLANNED] == 0)
		return ops_fail(e, OPS_REFUSED, NULL, "campaign %lld has no"
		    " recipients: import a CSV file first", (long long)c->id);
	if ((rc = store_connection_get(o->st, c->conn, &k)) < 0)
		return -1;
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, "connection", "the campaign's"
		    " connection %s is gone", c->conn);
	if (c->agent == 0)
		return ops_fail(e, OPS_REFUSED, "agent", "the campaign's agent"
		    " is gone");
	if ((rc = store_agent_attached(o->st, c->agent, c->conn)) <= 0)
		return rc < 0 ? -1 : ops_fail(e, OPS_REFUSED, "agent",
		    "agent %s is no longer attached to connection %s",
		    c->agent_name, c->conn);
	*to = c->start_due ? CAMP_RUNNING : CAMP_SCHEDULED;
	return 1;
}

static int
pause_check(const struct ops *o, const struct store_campaign *c,
    enum campaign_state *to, struct ops_error *e)
{
	(void)o;
	if (c->state != CAMP_SCHEDULED && c->state != CAMP_RUNNING)
		return refuse_state(c, "only a scheduled or running campaign"
		    " can be paused", e);
	*to = CAMP_PAUSED;
	return 1;
}

static int
resume_check(const struct ops *o, const struct store_campaign *c,
    enum campaign_state *to, struct ops_error *e)
{
	(void)o;
	if (c->state != CAMP_PAUSED)
		return refuse_state(c, "only a paused campaign can be resumed",
		    e);
	*to = c->start_due ? CAMP_RUNNING : CAMP_SCHEDULED;
	return 1;
}

static int
cancel_check(const struct ops *o, const struct store_campaign *c,
    enum campaign_state *to, struct ops_error *e)
{
	(void)o;
	if (c->state == CAMP_COMPLETED || c->state == CAMP_CANCELED)
		return refuse_state(c, "it cannot be canceled", e);
	*to = CAMP_CANCELED;
	return 1;
}

int
ops_campaign_start(const struct ops *o, int64_t id, struct ops_error *e)
{
	return change_state(o, id, "started", start_check, e);
}

int
ops_campaign_pause(const struct ops *o, int64_t id, struct ops_error *e)
{
	return change_state(o, id, "paused", pause_check, e);
}

int
ops_campaign_resume(const struct ops *o, int64_t id, struct ops_error *e)
{
	return change_state(o, id, "resumed", resume_check, e);
}

int
ops_campaign_cancel(const struct ops *o, int64_t id, struct ops_error *e)
{
	return change_state(o, id, "canceled", cancel_check, e);
}

/* --- Reading ------------------------------------------------------------------ */

static int
view_fill(const struct ops *o, const struct store_campaign *c,
    struct ops_campaign_view *v)
{
	memset(v, 0, sizeof(*v));
	v->id = c->id;
	snprintf(v->name, sizeof(v->name), "%s", c->name);
	snprintf(v->connection_id, sizeof(v->connection_id), "%s", c->conn);
	snprintf(v->connection_name, sizeof(v->connection_name), "%s",
	    c->conn_name);
	v->agent_id = c->agent;
	snprintf(v->agent_name, sizeof(v->agent_name), "%s", c->agent_name);
	snprintf(v->text, sizeof(v->text), "%s", c->text);
	v->state = c->state;
	snprintf(v->start_local, sizeof(v->start_local), "%s", c->start_local);
	snprintf(v->start_utc, sizeof(v->start_utc), "%s", c->start_utc);
	snprintf(v->tz, sizeof(v->tz), "%s", c->tz);
	if (c->window_start >= 0)
		snprintf(v->window, sizeof(v->window), "%02u:%02u-%02u:%02u",
		    (unsigned)c->window_start / 60 % 24,
		    (unsigned)c->window_start % 60,
		    (unsigned)c->window_end / 60 % 24,
		    (unsigned)c->window_end % 60);
	v->rate = c->rate;
	snprintf(v->created_at, sizeof(v->created_at), "%s", c->created_at);
	snprintf(v->started_at, sizeof(v->started_at), "%s", c->started_at);
	snprintf(v->ended_at, sizeof(v->ended_at), "%s", c->ended_at);
	return store_campaign_counts(o->st, c->id, v->counts, &v->total);
}

int
ops_campaign_get(const struct ops *o, int64_t id, struct ops_campaign_view *v,
    struct ops_error *e)
{
	struct store_campaign	*c;
	int			 rc;

	ops_reset(e);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) > 0 && view_fill(o, c, v) < 0)
		rc = ops_store_error(e);
	free(c);
	return rc;
}

struct each_arg {
	const struct ops	*o;
	int			(*fn)(const struct ops_campaign_view *, void *);
	void			*arg;
	struct ops_campaign_view *v;
	int			 failed;
};

static int
each_one(const struct store_campaign *c, void *arg)
{
	struct each_arg	*a = arg;

	if (view_fill(a->o, c, a->v) < 0) {
		a->failed = 1;
		return 0;
	}
	return a->fn(a->v, a->arg);
}

int
ops_campaign_each(const struct ops *o,
    int (*fn)(const struct ops_campaign_view *, void *), void *arg)
{
	struct each_arg	 a = { o, fn, arg, NULL, 0 };
	int		 rc;

	if ((a.v = malloc(sizeof(*a.v))) == NULL)
		return -1;
	rc = store_campaign_each(o->st, 0, each_one, &a);
	free(a.v);
	return rc < 0 || a.failed ? -1 : 1;
}

int
ops_campaign_page(const struct ops *o, int64_t before, int64_t limit,
    int (*fn)(const struct ops_campaign_view *, void *), void *arg)
{
	struct each_arg	 a = { o, fn, arg, NULL, 0 };
	int		 rc;

	if ((a.v = malloc(sizeof(*a.v))) == NULL)
		return -1;
	rc = store_campaign_page(o->st, before, limit, each_one, &a);
	free(a.v);
	return rc < 0 || a.failed ? -1 : 1;
}

struct rcpt_arg {
	int	(*fn)(const struct ops_recipient_row *, void *);
	void	*arg;
};

static int
rcpt_one(const struct store_rcpt_row *r, void *arg)
{
	struct rcpt_arg			*a = arg;
	struct ops_recipient_row	 row;

	memset(&row, 0, sizeof(row));
	row.id = r->id;
	row.line = r->line;
	snprintf(row.phone, sizeof(row.phone), "%s", r->phone);
	row.status = r->status;
	snprintf(row.reason, sizeof(row.reason), "%s", r->reason);
	row.message_id = r->message;
	snprintf(row.updated_at, sizeof(row.updated_at), "%s", r->updated_at);
	return a->fn(&row, a->arg);
}

int
ops_campaign_recipients(const struct ops *o, int64_t id,
    const struct ops_recipient_filter *f,
    int (*fn)(const struct ops_recipient_row *, void *), void *arg,
    struct ops_error *e)
{
	struct store_campaign	*c;
	struct rcpt_arg		 a = { fn, arg };
	char			 prefix[PHONE_MAX + 1];
	int			 rc;

	ops_reset(e);
	if (f->limit < 1 || f->limit > 10000)
		return ops_fail(e, OPS_INVALID, "limit", "limit must be from 1"
		    " to 10000");
	if (f->phone != NULL && (strlen(f->phone) > PHONE_MAX - 1 ||
	    strspn(f->phone, "+0123456789") != strlen(f->phone)))
		return ops_fail(e, OPS_INVALID, "phone", "a phone filter is"
		    " digits, with an optional leading +");
	if (f->phone != NULL && *f->phone != '\0')
		snprintf(prefix, sizeof(prefix), "%s%s", f->phone[0] == '+' ?
		    "" : "+", f->phone);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) > 0 &&
	    store_campaign_rcpt_each(o->st, id, f->status, f->phone != NULL &&
	    *f->phone != '\0' ? prefix : NULL, f->after, f->limit, rcpt_one,
	    &a) < 0)
		rc = ops_store_error(e);
	free(c);
	return rc;
}

/* The series gathered period by period. */
struct series_arg {
	int		(*fn)(const char *, const int64_t[RCPT__MAX], void *);
	void		*arg;
	char		 period[32];
	int64_t		 counts[RCPT__MAX];
	int		 stopped;
};

static int
series_flush(struct series_arg *s)
{
	int	 go = 1;

	if (s->period[0] != '\0')
		go = s->fn(s->period, s->counts, s->arg);
	memset(s->counts, 0, sizeof(s->counts));
	s->period[0] = '\0';
	if (!go)
		s->stopped = 1;
	return go;
}

static int
series_one(const char *period, enum rcpt_status st, int64_t n, void *arg)
{
	struct series_arg	*s = arg;

	if (strcmp(period, s->period) != 0) {
		if (!series_flush(s))
			return 0;
		snprintf(s->period, sizeof(s->period), "%s", period);
	}
	s->counts[st] += n;
	return 1;
}

int
ops_campaign_series(const struct ops *o, int64_t id,
    int (*fn)(const char *, const int64_t[RCPT__MAX], void *), void *arg,
    struct ops_error *e)
{
	struct store_campaign	*c;
	struct series_arg	 s;
	struct tm		 tm;
	time_t			 started;
	int			 rc, len = 16;

	ops_reset(e);
	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.arg = arg;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) <= 0)
		goto out;
	/* By the minute while younger than two hours, else by the hour. */
	memset(&tm, 0, sizeof(tm));
	if (c->started_at[0] != '\0' && strptime(c->started_at,
	    "%Y-%m-%d %H:%M:%S", &tm) != NULL) {
		started = timegm(&tm);
		if (time(NULL) - started > 2 * 3600)
			len = 13;
	}
	if (store_campaign_series(o->st, id, len, series_one, &s) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	if (!s.stopped)
		series_flush(&s);
	rc = 1;
out:
	free(c);
	return rc;
}

/* A preview's recipients, rendered as they will be sent. */
struct preview_arg {
	const struct store_campaign	*c;
	int				(*fn)(const char *, const char *, void *);
	void				*arg;
	int				 failed;
};

struct preview_lookup {
	const struct store_rcpt_row	*r;
	const char			*name;
	char				*value;
	char				*held[PLACEHOLDERS_MAX];
	size_t				 n;
};

static int
preview_match(const char *name, const char *value, void *arg)
{
	struct preview_lookup	*l = arg;

	if (strcmp(name, l->name) != 0)
		return 1;
	l->value = strdup(value);
	return 0;
}

static const char *
preview_field(const char *name, void *arg)
{
	struct preview_lookup	*l = arg;

	if (strcmp(name, "phone") == 0)
		return l->r->phone;
	if (l->n == PLACEHOLDERS_MAX)
		return NULL;
	l->name = name;
	l->value = NULL;
	payload_fields_each(l->r->fields, preview_match, l);
	if (l->value != NULL)
		l->held[l->n++] = l->value;
	return l->value;
}

static int
preview_one(const struct store_rcpt_row *r, void *arg)
{
	struct preview_arg	*a = arg;
	struct preview_lookup	 l;
	char			 missing[CAMPAIGN_FIELD_NAME_MAX + 1];
	char			*text = NULL, *cut = NULL;
	size_t			 i;
	int			 rc, go = 1;

	memset(&l, 0, sizeof(l));
	l.r = r;
	rc = campaign_render(a->c->text, preview_field, &l, &text, missing,
	    sizeof(missing));
	for (i = 0; i < l.n; i++)
		free(l.held[i]);
	if (rc < 0 || (rc > 0 && (cut = smstext_prepare(text, strlen(text),
	    NULL)) == NULL)) {
		a->failed = 1;
		go = 0;
	} else if (rc > 0)
		go = a->fn(r->phone, cut, a->arg);
	free(text);
	free(cut);
	return go;
}

int
ops_campaign_preview(const struct ops *o, int64_t id, int n,
    int (*fn)(const char *, const char *, void *), void *arg,
    struct ops_error *e)
{
	struct store_campaign	*c;
	struct preview_arg	 a;
	int			 rc;

	ops_reset(e);
	if (n < 1 || n > 100)
		return ops_fail(e, OPS_INVALID, "n", "a preview shows 1 to 100"
		    " messages");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.fn = fn;
	a.arg = arg;
	if ((rc = ops_campaign_load(o, id, c, e)) > 0 &&
	    (store_campaign_rcpt_each(o->st, id, RCPT__MAX, NULL, 0, n,
	    preview_one, &a) < 0 || a.failed))
		rc = ops_store_error(e);
	free(c);
	return rc;
}

/* Writes one CSV value, quoted; a leading character a spreadsheet reads as a formula gets a ' before it. */
static void
csv_value(FILE *out, const char *v, int last)
{
	const char	*p;

	fputc('"', out);
	if (strchr("=+-@\t\r", *v) != NULL && *v != '\0')
		fputc('\'', out);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
	fputc(last ? '\n' : ',', out);
}

static int
export_one(const struct store_rcpt_row *r, void *arg)
{
	FILE	*out = arg;
	char	 line[32], msg[32];

	snprintf(line, sizeof(line), "%llu", (unsigned long long)r->line);
	snprintf(msg, sizeof(msg), "%lld", (long long)r->message);
	csv_value(out, line, 0);
	csv_value(out, r->phone, 0);
	csv_value(out, rcpt_status_name(r->status), 0);
	csv_value(out, r->reason, 0);
	csv_value(out, r->message > 0 ? msg : "", 0);
	csv_value(out, r->msg_status, 0);
	csv_value(out, r->updated_at, 1);
	return !ferror(out);
}

int
ops_campaign_export(const struct ops *o, int64_t id, FILE *out,
    struct ops_error *e)
{
	struct store_campaign	*c;
	int			 rc;

	ops_reset(e);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) > 0) {
		fputs("\"line\",\"phone\",\"status\",\"reason\",\"message_id\","
		    "\"infobip_status\",\"updated_at\"\n", out);
		if (store_campaign_rcpt_each(o->st, id, RCPT__MAX, NULL, 0, 0,
		    export_one, out) < 0)
			rc = ops_store_error(e);
		else if (ferror(out))
			rc = ops_fail(e, OPS_FAILED, NULL, "the results could"
			    " not be written");
	}
	free(c);
	return rc;
}
