/* Handlers of the Campaigns pages: list, New campaign with its CSV upload, a campaign's page, its actions, status, export. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_campaign.h"
#include "admin_view.h"
#include "http.h"
#include "log.h"
#include "ops.h"
#include "ops_campaign.h"
#include "parse.h"
#include "settings.h"

/* The campaigns list being written: a page, and whether one more follows. */
struct camp_list {
	struct list_ctx	 lc;
	int64_t		 last;		/* the id of the last row shown */
	int		 more;		/* a row past the page was read */
};

/* One campaign of the list; the one past the page only says that more follow. */
static int
camp_list_row(const struct ops_campaign_view *v, void *arg)
{
	struct camp_list	*cl = arg;

	if (cl->lc.rows == CAMP_LIST_PAGE) {
		cl->more = 1;
		return 0;
	}
	cl->last = v->id;
	return view_camp_list_row(v, &cl->lc);
}

/*
 * GET /admin/campaigns: a page of campaigns, newest first, from ?before=
 * (an id; anything else starts at the newest). It reads one row past the
 * page to know whether to offer the next.
 */
void
camp_list(struct adm *a)
{
	struct camp_list	 cl = { .lc = { .a = a } };
	int64_t			 before;

	if (!parse_id(arg(a, "before"), &before))
		before = 0;
	view_camp_list_open(a);
	if (ops_campaign_page(&a->ops, before, CAMP_LIST_PAGE + 1,
	    camp_list_row, &cl) < 0)
		view_list_failed(a);
	view_camp_list_close(a, cl.lc.rows, before > 0, cl.more ? cl.last : 0);
}

/* The select's options, collected: pairs of id and label, NULL-terminated. */
struct options {
	char		*s[2 * CAMP_OPTIONS_MAX + 2];
	size_t		 n;
};

static void
options_add(struct options *o, const char *value, const char *label)
{
	if (o->n / 2 >= CAMP_OPTIONS_MAX)
		return;
	if ((o->s[o->n] = strdup(value)) == NULL)
		return;
	if ((o->s[o->n + 1] = strdup(label)) == NULL) {
		free(o->s[o->n]);
		o->s[o->n] = NULL;
		return;
	}
	o->n += 2;
}

static void
options_free(struct options *o)
{
	size_t	 i;

	for (i = 0; i < o->n; i++)
		free(o->s[i]);
	memset(o, 0, sizeof(*o));
}

static int
conn_option(const struct store_connection *c, void *arg)
{
	char	 label[400], name[300];

	conn_choice_label(c, name, sizeof(name));
	snprintf(label, sizeof(label), "%s \xc2\xb7 %s", name,
	    conn_status_name(c->status));
	options_add(arg, c->id, label);
	return 1;
}

static int
agent_option(const struct store_agent *ag, void *arg)
{
	char	 id[32], label[400];

	snprintf(id, sizeof(id), "%lld", (long long)ag->id);
	snprintf(label, sizeof(label), "%s (%s)", ag->name,
	    agent_status_name(ag->status));
	options_add(arg, id, label);
	return 1;
}

/* Shows the New campaign form with f's values and errors, the options read here. */
static void
camp_form_show(struct adm *a, int status, struct camp_form *f)
{
	struct options	 conns, agents;
	char		 tz[64];

	memset(&conns, 0, sizeof(conns));
	memset(&agents, 0, sizeof(agents));
	options_add(&conns, "", "Choose a connection");
	options_add(&agents, "", "Choose an agent");
	if (ops_connection_each_row(&a->ops, conn_option, &conns) < 0 ||
	    ops_agent_each_row(&a->ops, agent_option, &agents) < 0) {
		options_free(&conns);
		options_free(&agents);
		admin_store_error(a);
		return;
	}
	if (settings_get(a->st, SET_CAMPAIGN_TIMEZONE, tz, sizeof(tz)) <= 0)
		snprintf(tz, sizeof(tz), "UTC");
	f->fv.form = &ops_campaign_fields;
	f->fv.options[OPS_CAMP_CONNECTION] = (const char *const *)conns.s;
	f->fv.options[OPS_CAMP_AGENT] = (const char *const *)agents.s;
	f->tz_default = tz;
	f->rate_default = settings_get_long(a->st, SET_CAMPAIGN_RATE_PER_MINUTE);
	f->upload_max_mb = settings_get_long(a->st, SET_CAMPAIGN_UPLOAD_MAX_MB);
	view_camp_new(a, status, f);
	options_free(&conns);
	options_free(&agents);
}

void
camp_new(struct adm *a)
{
	struct camp_form	 f;

	memset(&f, 0, sizeof(f));
	camp_form_show(a, 200, &f);
}

/* An import's reports, collected for the page. */
static void
import_reject(uint64_t line, const char *reason, void *arg)
{
	struct camp_import	*imp = arg;

	if (imp->nrej < CAMP_REJECTS_SHOWN) {
		imp->rej[imp->nrej].line = line;
		snprintf(imp->rej[imp->nrej].reason,
		    sizeof(imp->rej[imp->nrej].reason), "%s", reason);
		imp->nrej++;
	} else
		imp->more++;
}

static void
import_progress(uint64_t done, uint64_t total, uint64_t lines, void *arg)
{
	struct camp_import	*imp = arg;
	struct camp_progress	 p = { done, total, lines, 0 };

	if (imp->token != NULL)
		camp_progress_set(imp->token, imp->user, &p);
}

/* Reads the recipient filter and paging of a campaign's page from the query. */
static void
page_filters(struct adm *a, struct camp_page *p)
{
	const char	*v;
	size_t		 i;

	p->status = RCPT__MAX;
	p->phone = "";
	if ((v = arg(a, "status")) != NULL && *v != '\0' &&
	    strcmp(v, "any") != 0 && !rcpt_status_find(v, &p->status)) {
		p->status = RCPT__MAX;
		p->filter_error = "unknown status: showing every recipient";
	}
	if ((v = arg(a, "phone")) != NULL && *v != '\0') {
		/* A prefix of a number as the store keeps it: '+' and digits. */
		for (i = 0; v[i] != '\0'; i++)
			if (!isdigit((unsigned char)v[i]) && !(i == 0 &&
			    v[i] == '+'))
				break;
		if (v[i] != '\0' || i > 20)
			p->filter_error = "the number prefix holds digits"
			    " only, after an optional +";
		else
			p->phone = v;
	}
	/* A cursor that is not an id starts at the beginning. */
	if (!parse_id(arg(a, "after"), &p->after))
		p->after = 0;
}

static int
series_row(const char *period, const int64_t counts[RCPT__MAX], void *arg)
{
	struct camp_series	*s = arg;
	struct camp_period	*np;

	if (s->n == s->cap) {
		/* A campaign months long has a few thousand hours: bounded. */
		if (s->cap >= 20000)
			return 0;
		if ((np = reallocarray(s->p, s->cap ? s->cap * 2 : 64,
		    sizeof(*np))) == NULL)
			return 0;
		s->p = np;
		s->cap = s->cap ? s->cap * 2 : 64;
	}
	np = &s->p[s->n++];
	snprintf(np->period, sizeof(np->period), "%s", period);
	np->sent = counts[RCPT_SENT];
	np->delivered = counts[RCPT_DELIVERED];
	np->failed = counts[RCPT_FAILED];
	np->replied = counts[RCPT_REPLIED];
	return 1;
}

/* The recipient filter's rows, with the phone prefix as the store keeps numbers. */
static int
recipient_row(const struct ops_recipient_row *r, void *arg)
{
	struct camp_page	*p = arg;

	p->last = r->id;
	return view_camp_recipient_row(r, p);
}

/*
 * Writes a campaign's page: state and progress, actions, what an import
 * just did (imp), the preview, the settings, the chart, the recipients.
 */
static void
camp_page(struct adm *a, int status, const struct camp_import *imp,
    const char *action_error)
{
	struct ops_campaign_view	 v;
	struct ops_recipient_filter	 rf;
	struct ops_error		 e;
	struct camp_page		 p;
	struct camp_series		 s;
	struct list_ctx			 lc = { .a = a };
	struct store_connection		 conn;
	char				 phone[32], warning[128];
	int				 rc;

	if ((rc = ops_campaign_get(&a->ops, a->n, &v, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such campaign.");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.v = &v;
	p.imp = imp;
	p.action_error = action_error;
	p.upload_max_mb = settings_get_long(a->st, SET_CAMPAIGN_UPLOAD_MAX_MB);
	page_filters(a, &p);
	/* The sender releases nothing through a connection that is not RUNNING: say so. */
	if (v.state != CAMP_COMPLETED && v.state != CAMP_CANCELED) {
		rc = ops_connection_row(&a->ops, v.connection_id, &conn, &e);
		if (rc == 0 || (rc > 0 && conn.status != CONN_RUNNING)) {
			snprintf(warning, sizeof(warning), "Its connection is %s:"
			    " nothing is sent until it is started.", rc > 0 ?
			    conn_status_name(conn.status) : "gone");
			p.conn_warning = warning;
		}
	}
	view_camp_open(a, status, &p);
	if (v.state == CAMP_DRAFT || v.state == CAMP_SCHEDULED ||
	    v.state == CAMP_PAUSED) {
		view_camp_preview_open(a);
		rc = ops_campaign_preview(&a->ops, v.id, CAMP_PREVIEW,
		    view_camp_preview_row, &lc, &e);
		view_camp_preview_close(a, lc.rows, rc < 0);
	}
	memset(&s, 0, sizeof(s));
	if (ops_campaign_series(&a->ops, v.id, series_row, &s, &e) < 0)
		s.failed = 1;
	view_camp_chart(a, &s);
	free(s.p);
	memset(&rf, 0, sizeof(rf));
	rf.status = p.status;
	if (p.phone[0] != '\0') {
		/* Numbers are kept with their '+': "4915" finds "+4915...". */
		snprintf(phone, sizeof(phone), "%s%s", p.phone[0] == '+' ? "" :
		    "+", p.phone);
		rf.phone = phone;
	}
	rf.after = p.after;
	rf.limit = CAMP_RCPT_PAGE;
	view_camp_recipients_open(a, &p);
	rc = ops_campaign_recipients(&a->ops, v.id, &rf, recipient_row, &p,
	    &e);
	view_camp_recipients_close(a, &p, rc < 0);
	view_camp_close(a, &p);
}

void
camp_show(struct adm *a)
{
	camp_page(a, 200, NULL, NULL);
}

/*
 * Imports the uploaded file into campaign id and shows its page with what
 * the import did. status: the page's status when the import went through.
 * Unlike the other POSTs this answers with the page rather than a
 * redirect: the rejected lines are kept nowhere but in this answer (the
 * store keeps only the imported recipients). campaign.js puts the page's
 * address in the browser's history, so a reload reads the campaign again.
 */
static void
camp_import_show(struct adm *a, int64_t id, int status)
{
	struct ops_import_report	 rep;
	struct ops_error		 e;
	struct camp_import		*imp;
	int				 rc;

	if ((imp = calloc(1, sizeof(*imp))) == NULL) {
		admin_fail(a, 500, "Out of memory.");
		return;
	}
	imp->filename = a->upload_name;
	imp->user = a->user;
	if (camp_progress_token_valid(arg(a, "upload_token")))
		imp->token = arg(a, "upload_token");
	memset(&rep, 0, sizeof(rep));
	rep.reject = import_reject;
	rep.progress = import_progress;
	import_progress(0, a->upload_size, 0, imp);
	rep.arg = imp;
	a->n = id;
	rc = ops_campaign_import(&a->ops, id, a->upload, a->upload_size, &rep,
	    &imp->res, &e);
	if (imp->token != NULL) {
		struct camp_progress	 p = { a->upload_size, a->upload_size,
		    imp->res.lines, 1 };

		camp_progress_set(imp->token, imp->user, &p);
	}
	if (rc < 0) {
		admin_store_error(a);
		goto out;
	}
	if (rc == 0) {
		if (e.kind == OPS_NOT_FOUND) {
			admin_fail(a, 404, "No such campaign.");
			goto out;
		}
		imp->error = ops_error_text(&e);
		status = admin_ops_status(&e);
	}
	camp_page(a, status, imp, NULL);
out:
	free(imp);
}

void
camp_create(struct adm *a)
{
	struct ops_campaign_form	 of;
	struct ops_error		 e;
	struct camp_form		 f;
	char				 start[32] = "";
	int64_t				 id;
	int				 rc;
	size_t				 i;

	memset(&of, 0, sizeof(of));
	form_view_read(a, &ops_campaign_fields, &of);
	/* A datetime-local input sends "YYYY-MM-DDTHH:MM". */
	if (of.start != NULL && strlen(of.start) < sizeof(start)) {
		snprintf(start, sizeof(start), "%s", of.start);
		for (i = 0; start[i] != '\0'; i++)
			if (start[i] == 'T')
				start[i] = ' ';
		of.start = start;
	}
	memset(&f, 0, sizeof(f));
	memset(&e, 0, sizeof(e));
	if (a->upload == NULL || a->upload_size == 0) {
		/* Nothing is created without its recipients. */
		f.err_csv = a->upload == NULL ? "Choose the CSV file of the"
		    " recipients." : "The file is empty.";
		rc = 0;
	} else if ((rc = ops_campaign_create(&a->ops, &of, &id, &e)) > 0) {
		camp_import_show(a, id, 200);
		return;
	} else if (rc < 0) {
		admin_store_error(a);
		return;
	}
	form_view_again(&f.fv, &ops_campaign_fields, &of, &e);
	/* Refilled (in place: of.start may be start) as the datetime-local input wants it. */
	for (i = 0; start[i] != '\0'; i++)
		if (start[i] == ' ')
			start[i] = 'T';
	camp_form_show(a, f.err_csv != NULL ? 400 : admin_ops_status(&e), &f);
}

void
camp_import(struct adm *a)
{
	struct camp_import	 imp;

	if (a->upload == NULL || a->upload_size == 0) {
		memset(&imp, 0, sizeof(imp));
		imp.error = a->upload == NULL ? "Choose the CSV file of the"
		    " recipients." : "The file is empty.";
		camp_page(a, 400, &imp, NULL);
		return;
	}
	camp_import_show(a, a->n, 200);
}

/* Answers an action: back to the page with notice, or the page with the refusal. */
static void
camp_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice)
{
	if (rc > 0)
		admin_redirect(a, notice, "/campaigns/%lld", (long long)a->n);
	else if (rc < 0)
		admin_store_error(a);
	else if (e->kind == OPS_NOT_FOUND)
		admin_fail(a, 404, "No such campaign.");
	else
		camp_page(a, admin_ops_status(e), NULL, ops_error_text(e));
}

void
camp_start(struct adm *a)
{
	struct ops_error	 e;

	camp_after(a, ops_campaign_start(&a->ops, a->n, &e), &e,
	    "camp-started");
}

void
camp_pause(struct adm *a)
{
	struct ops_error	 e;

	camp_after(a, ops_campaign_pause(&a->ops, a->n, &e), &e,
	    "camp-paused");
}

void
camp_resume(struct adm *a)
{
	struct ops_error	 e;

	camp_after(a, ops_campaign_resume(&a->ops, a->n, &e), &e,
	    "camp-resumed");
}

void
camp_cancel(struct adm *a)
{
	struct ops_error	 e;

	camp_after(a, ops_campaign_cancel(&a->ops, a->n, &e), &e,
	    "camp-canceled");
}

void
camp_status_json(struct adm *a)
{
	struct ops_campaign_view	 v;
	struct ops_error		 e;
	int				 rc;

	if ((rc = ops_campaign_get(&a->ops, a->n, &v, &e)) <= 0) {
		http_error(a->h, rc < 0 ? 503 : 404, rc < 0 ?
		    "store unavailable" : "no such campaign");
		return;
	}
	view_camp_status_json(a, &v);
}

/* The export streams to the client through a stdio stream. */
static ssize_t
export_write(void *cookie, const char *buf, size_t len)
{
	http_write(cookie, buf, len);
	return (ssize_t)len;
}

void
camp_export(struct adm *a)
{
	struct ops_campaign_view	 v;
	struct ops_error		 e;
	cookie_io_functions_t		 io = { .write = export_write };
	char				 disp[160];
	FILE				*out;
	size_t				 i;
	int				 rc;

	if ((rc = ops_campaign_get(&a->ops, a->n, &v, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such campaign.");
		return;
	}
	if ((out = fopencookie(a->h, "w", io)) == NULL) {
		admin_fail(a, 500, "Out of memory.");
		return;
	}
	/* The communication name is upper-case letters, digits and underscores: keep only those. */
	for (i = 0; v.name[i] != '\0'; i++)
		if (!isalnum((unsigned char)v.name[i]) && v.name[i] != '_')
			v.name[i] = '_';
	snprintf(disp, sizeof(disp), "attachment; filename=\"campaign-%lld-%s"
	    ".csv\"", (long long)v.id, v.name);
	http_open_headers(a->h, 200, "text/csv; charset=utf-8");
	http_header(a->h, "Content-Disposition", disp);
	http_header(a->h, NULL, NULL);
	if (ops_campaign_export(&a->ops, v.id, out, &e) <= 0)
		log_error("campaign %lld: export failed midway: %s",
		    (long long)v.id, ops_error_text(&e));
	fclose(out);
}
