/* Handlers of the Communication Channels pages: list, New connector, a connection's panel, Start/Stop, variables, Logs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"
#include "payload_admin.h"
#include "infobip.h"
#include "ops.h"
#include "parse.h"
#include "store.h"
#include "store_admin.h"
#include "version.h"

#define LOGS_PAGE	50

/* The list's walk: the rows whose name holds q. */
struct conn_search {
	struct list_ctx	 lc;
	const char	*q;
};

static int
conn_list_row(const struct store_connection *c, void *arg)
{
	struct conn_search	*cs = arg;

	if (*cs->q != '\0' && strcasestr(c->name, cs->q) == NULL)
		return 1;
	return view_conn_list_row(c, &cs->lc);
}

void
conn_list(struct adm *a)
{
	struct conn_search	 cs;
	char			 q[256];

	memset(&cs, 0, sizeof(cs));
	cs.lc.a = a;
	cs.q = arg_trim(a, "q", q, sizeof(q));
	view_conn_list_open(a, q);
	if (ops_connection_each_row(&a->ops, conn_list_row, &cs) < 0)
		view_list_failed(a);
	view_conn_list_close(a, cs.lc.rows, q);
}

void
conn_new(struct adm *a)
{
	struct conn_form	 f;

	memset(&f, 0, sizeof(f));
	f.fv.form = &ops_connection_fields;
	view_conn_new(a, 200, &f);
}

/* The HTTP status of a refusal. */
int
admin_ops_status(const struct ops_error *e)
{
	switch (e->kind) {
	case OPS_INVALID:
		return 400;
	case OPS_NOT_FOUND:
		return 404;
	case OPS_REFUSED:
		return 409;
	default:
		return 500;
	}
}

void
conn_create(struct adm *a)
{
	struct ops_connection_form	 of;
	struct ops_error		 e;
	struct conn_form		 f;
	char				 id[STORE_ID_LEN + 1];
	int				 rc;

	memset(&of, 0, sizeof(of));
	form_view_read(a, &ops_connection_fields, &of);
	if ((rc = ops_connection_add(&a->ops, &of, id, &e)) > 0) {
		admin_redirect(a, "created", "/connections/%s", id);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	memset(&f, 0, sizeof(f));
	form_view_again(&f.fv, &ops_connection_fields, &of, &e);
	/* The key is never sent back: it is typed again. */
	f.fv.value[OPS_CONN_API_KEY] = "";
	view_conn_new(a, admin_ops_status(&e), &f);
}

/*
 * Writes a connection's panel: status, warnings, the form (f, else the
 * saved values), agents, access information, variables.
 */
static void
conn_panel(struct adm *a, int status, const struct conn_form *f,
    const struct conn_panel *extra)
{
	struct ops_connection_view	 v;
	struct ops_urls			 urls;
	struct ops_error		 e;
	struct conn_panel		 p;
	struct conn_form		 saved;
	struct ops_connection_form	 of;
	struct list_ctx			 lc = { .a = a };
	int				 rc;

	if ((rc = ops_connection_get(&a->ops, a->id, &v, &e)) <= 0 ||
	    (rc = ops_connection_urls(&a->ops, a->id, &urls, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such connection.");
		return;
	}
	memset(&p, 0, sizeof(p));
	if (extra != NULL)
		p = *extra;
	p.v = &v;
	p.urls = &urls;
	if (f == NULL) {
		ops_connection_form_of(&v, &of);
		memset(&saved, 0, sizeof(saved));
		saved.id = v.c.id;
		form_view_fill(&saved.fv, &ops_connection_fields, &of);
		f = &saved;
	}
	view_conn_panel_open(a, status, &p, f);
	view_conn_agents_open(a);
	if (store_admin_attachments(a->st, 0, v.c.id, view_conn_agent_row,
	    &lc) < 0)
		view_list_failed(a);
	view_conn_agents_close(a, lc.rows);
	view_conn_env_open(a, &p);
	lc.rows = 0;
	if (ops_env_each(&a->ops, v.c.id, view_conn_env_row, &lc, &e) < 0)
		view_list_failed(a);
	view_conn_env_close(a, &p, lc.rows);
	view_conn_panel_close(a, &p);
}

void
conn_show(struct adm *a)
{
	conn_panel(a, 200, NULL, NULL);
}

void
conn_save(struct adm *a)
{
	struct ops_connection_view	 v;
	struct ops_connection_form	 of;
	struct ops_error		 e, ge;
	struct conn_form		 f;
	int				 rc;

	memset(&of, 0, sizeof(of));
	form_view_read(a, &ops_connection_fields, &of);
	if ((rc = ops_connection_edit(&a->ops, a->id, &of, &e)) > 0) {
		admin_redirect(a, "saved", "/connections/%s", a->id);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (e.kind == OPS_NOT_FOUND) {
		admin_fail(a, 404, "No such connection.");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.id = a->id;
	form_view_again(&f.fv, &ops_connection_fields, &of, &e);
	/*
	 * A refused key is not shown again: the field holds the saved key,
	 * masked. Its own error: f points into e's texts, which a reset
	 * would empty.
	 */
	if (ops_connection_get(&a->ops, a->id, &v, &ge) <= 0) {
		admin_store_error(a);
		return;
	}
	f.fv.value[OPS_CONN_API_KEY] = v.api_key_masked;
	conn_panel(a, 400, &f, NULL);
}

/* Answers a refused action on the panel, or redirects to it with notice. */
static void
conn_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice)
{
	struct conn_panel	 p;

	if (rc > 0) {
		admin_redirect(a, notice, "/connections/%s", a->id);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (e->kind == OPS_NOT_FOUND) {
		admin_fail(a, 404, "No such connection.");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.action_error = ops_error_text(e);
	conn_panel(a, admin_ops_status(e), NULL, &p);
}

void
conn_start(struct adm *a)
{
	struct ops_error	 e;
	char			 msg[1024];
	int			 rc;

	if ((a->ops.ib = ib_open(IBCHANNEL_VERSION)) == NULL) {
		admin_fail(a, 500, "The Infobip client could not start.");
		return;
	}
	rc = ops_connection_start(&a->ops, a->id, msg, sizeof(msg), &e);
	ib_close(a->ops.ib);
	a->ops.ib = NULL;
	/*
	 * ERROR is an outcome of Start, shown by the panel in red with its
	 * reason (the status message): not a refusal of the request. A
	 * Start refused because another is under way is (on "id").
	 */
	if (rc == 0 && e.kind == OPS_REFUSED &&
	    ops_error_for(&e, "id") == NULL) {
		admin_redirect(a, "start-failed", "/connections/%s", a->id);
		return;
	}
	conn_after(a, rc, &e, "started");
}

void
conn_stop(struct adm *a)
{
	struct ops_error	 e;

	conn_after(a, ops_connection_stop(&a->ops, a->id, &e), &e,
	    "stopped");
}

void
conn_delete(struct adm *a)
{
	struct ops_error	 e;
	int			 rc;

	if ((rc = ops_connection_delete(&a->ops, a->id, &e)) > 0) {
		admin_redirect(a, "deleted", "/");
		return;
	}
	conn_after(a, rc, &e, NULL);
}

/* Sets (value given) or removes a variable, then back to the panel. */
static void
env_change(struct adm *a, int set)
{
	struct ops_error	 e;
	struct conn_panel	 p;
	const char		*name = arg(a, "name"), *value = arg(a, "value");
	int			 rc;

	rc = set ? ops_env_set(&a->ops, a->id, name != NULL ? name : "",
	    value != NULL ? value : "", &e) : ops_env_unset(&a->ops, a->id,
	    name != NULL ? name : "", &e);
	if (rc > 0) {
		admin_redirect(a, set ? "env-set" : "env-removed",
		    "/connections/%s", a->id);
		return;
	}
	if (rc < 0 || e.kind == OPS_NOT_FOUND) {
		conn_after(a, rc, &e, NULL);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.env_error = ops_error_for(&e, "name");
	if (p.env_error == NULL)
		p.env_error = ops_error_text(&e);
	p.env_name = name;
	p.env_value = value;
	conn_panel(a, admin_ops_status(&e), NULL, &p);
}

void
conn_env_set(struct adm *a)
{
	env_change(a, 1);
}

void
conn_env_unset(struct adm *a)
{
	env_change(a, 0);
}

/* Whether an event filter is a plain event name (it goes into links). */
static int
event_valid(const char *s)
{
	size_t	 n = 0;

	for (; s[n] != '\0'; n++)
		if (!(islower((unsigned char)s[n]) || s[n] == '_' ||
		    isdigit((unsigned char)s[n])))
			return 0;
	return n > 0 && n <= 32;
}

void
conn_logs(struct adm *a)
{
	struct store_connection		 c;
	struct ops_error		 e;
	struct store_log_filter		 lf;
	struct log_view			 lv;
	const char			*level = arg(a, "level");
	const char			*event = arg(a, "event");
	const char			*before = arg(a, "before");
	int				 rc;

	if ((rc = ops_connection_row(&a->ops, a->id, &c, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such connection.");
		return;
	}
	memset(&lf, 0, sizeof(lf));
	memset(&lv, 0, sizeof(lv));
	/* A filter not understood is said, not dropped: the list would mislead. */
	if (level == NULL || *level == '\0' || strcmp(level, "any") == 0)
		lf.level = CLOG__MAX;
	else if (!conn_log_level_find(level, &lf.level)) {
		lf.level = CLOG__MAX;
		lv.level_error = "unknown level: choose error, warn or info";
		lv.level_typed = level;
	}
	if (event != NULL && *event == '\0')
		event = NULL;
	else if (event != NULL && !event_valid(event)) {
		lv.event_error = "an event name is 1 to 32 lowercase letters,"
		    " digits and _ (e.g. send_failed)";
		lv.event_typed = event;
		event = NULL;
	}
	lf.conn = c.id;
	lf.event = event;
	/* A cursor that is not an id starts at the newest. */
	if (!parse_id(before, &lf.before))
		lf.before = 0;
	lf.limit = LOGS_PAGE;
	lv.a = a;
	lv.c = &c;
	lv.level = lf.level;
	lv.event = event;
	lv.limit = LOGS_PAGE;
	view_logs_open(a, &lv);
	if (lv.level_error == NULL && lv.event_error == NULL &&
	    store_admin_logs(a->st, &lf, view_logs_row, &lv) < 0)
		view_list_failed(a);
	view_logs_close(a, &lv);
}

void
conn_status_json(struct adm *a)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_connection_get(a->st, a->id, &c)) <= 0) {
		http_error(a->h, rc < 0 ? 503 : 404, rc < 0 ?
		    "store unavailable" : "no such connection");
		return;
	}
	http_json(a->h, 200, payload_conn_status(conn_status_name(c.status),
	    c.status_message));
}
