/* Views of the Communication Channels pages: the list, the New connector form, a connection's panel, its Logs. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"

static const char *const log_levels[] = {
	"any", "Any level",
	"error", "Errors",
	"warn", "Warnings",
	"info", "Information",
	NULL, NULL,
};

/* Events the log holds, offered as suggestions in the filter. */
static const char *const log_events[] = {
	"start", "stop", "save", "env", "agent", "send", "send_failed",
	"report", "click", "inbound", "session", "delete", NULL,
};

void
view_conn_list_open(struct adm *a, const char *q)
{
	page_open(a, 200, SECTION_CHANNELS, "Communication Channels");
	out_html(a, "<div class=\"page-head\"><h1>Communication Channels</h1>");
	if (admin_can(a, OPS_CONFIGURE))
		out_html(a, "<a class=\"btn primary\" id=\"add\""
		    " href=\"/admin/connections/new\">Add</a>");
	out_html(a, "</div>\n");
	page_notice(a);
	form_get_open(a, "search", "/admin/");
	out_html(a, "<label class=\"sr\" for=\"q\">Search by name</label>"
	    "<input type=\"search\" id=\"q\" name=\"q\" placeholder=\"Search"
	    " by name\" value=\"");
	http_html_attr(a->h, q != NULL ? q : "");
	out_html(a, "\"><button class=\"btn\" type=\"submit\">Search</button>"
	    "</form>\n<ul class=\"cards\" id=\"connections\">\n");
}

int
view_conn_list_row(const struct store_connection *c, void *arg)
{
	struct list_ctx			*lc = arg;
	struct adm			*a = lc->a;

	out_html(a, "<li class=\"card conn\" data-id=\"");
	http_html_attr(a->h, c->id);
	out_html(a, "\">");
	status_dot(a, conn_status_name(c->status), c->status_message);
	out_html(a, "<a class=\"name\" href=\"/admin/connections/");
	http_html_attr(a->h, c->id);
	out_html(a, "\">");
	out_text(a, c->name);
	out_html(a, "</a><span class=\"meta\">Infobip \xc2\xb7 ");
	out_text(a, c->sender);
	out_html(a, "</span>");
	if (c->description[0] != '\0') {
		out_html(a, "<span class=\"desc\">");
		out_text(a, c->description);
		out_html(a, "</span>");
	}
	out_html(a, "</li>\n");
	lc->rows++;
	return 1;
}

void
view_conn_list_close(struct adm *a, int rows, const char *q)
{
	out_html(a, "</ul>\n");
	if (rows == 0 && q != NULL && *q != '\0')
		out_html(a, "<p class=\"empty\">No connection's name holds"
		    " that.</p>\n");
	else if (rows == 0)
		out_html(a, "<p class=\"empty\">No connections yet. Click"
		    " <strong>Add</strong> to connect an Infobip account:"
		    " you need its API key, its base URL and a"
		    " sender.</p>\n");
	page_close(a);
}

/* The connector's fields, for the New connector form and the panel. */
static void
conn_fields(struct adm *a, const struct conn_form *f)
{
	struct form_view	 v = f->fv;

	v.edit = f->id != NULL;
	if (v.error_all != NULL)
		callout(a, "bad", "Not saved:", v.error_all);
	form_view_fields(a, &v, 0, OPS_CONN__MAX);
}

void
view_conn_new(struct adm *a, int status, const struct conn_form *f)
{
	page_open(a, status, SECTION_CHANNELS, "New connector");
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/\">Communication"
	    " Channels</a></p><h1>New connector</h1>\n"
	    "<section class=\"panel\">");
	form_open(a, "stack", "/admin/connections/new");
	conn_fields(a, f);
	out_html(a, "<div class=\"actions\">");
	button_submit(a, "Save", "primary");
	out_html(a, "<a class=\"btn ghost\" href=\"/admin/\">Cancel</a>"
	    "</div>");
	form_close(a);
	out_html(a, "</section>\n");
	page_close(a);
}

/* The warnings above a connection's form. */
static void
conn_warnings(struct adm *a, const struct conn_panel *p)
{
	char	 text[512];

	if (p->action_error != NULL)
		callout(a, "bad", "Refused:", p->action_error);
	if (p->v->restart_needed)
		callout(a, "warn restart", "Restart to apply:", "the saved"
		    " configuration differs from the one the running"
		    " connection uses. Stop, then Start.");
	if (p->v->alnum_sender && p->v->inbound_agent != 0) {
		snprintf(text, sizeof(text), "the sender is an alphanumeric"
		    " name and the agent \"%s\" answers inbound SMS, but"
		    " customers cannot reply to a name. Use a phone number"
		    " that can receive SMS for two-way conversations.",
		    p->v->inbound_agent_name);
		callout(a, "warn alnum", "Customers cannot reply:", text);
	}
	if (p->urls->warning != NULL)
		callout(a, "warn public", "Delivery reports and clicks cannot"
		    " arrive:", p->urls->warning);
}

void
view_conn_panel_open(struct adm *a, int status, const struct conn_panel *p,
    const struct conn_form *f)
{
	const struct store_connection	*c = &p->v->c;
	int				 live;

	live = c->status == CONN_RUNNING || c->status == CONN_STARTING ||
	    c->status == CONN_STOPPING;
	page_open(a, status, SECTION_CHANNELS, c->name);
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/\">Communication"
	    " Channels</a></p>\n<div class=\"page-head\"><h1>");
	out_text(a, c->name);
	out_html(a, "</h1><div class=\"head-status\" id=\"conn-status\""
	    " data-id=\"");
	http_html_attr(a->h, c->id);
	out_html(a, "\">");
	status_dot(a, conn_status_name(c->status), c->status_message);
	out_html(a, "</div><div class=\"actions\">");
	if (admin_can(a, OPS_CONFIGURE)) {
		/* A Start under way (any program's) cannot be asked again. */
		if (c->status == CONN_STARTING)
			out_html(a, "<button type=\"button\" class=\"btn"
			    " primary start\" id=\"start-busy\" disabled>"
			    "Starting\xe2\x80\xa6</button>");
		if (live)
			button_form(a, "Stop", "stop", NULL,
			    "/admin/connections/%s/stop", c->id);
		else
			button_form(a, "Start", "primary start", NULL,
			    "/admin/connections/%s/start", c->id);
	}
	link_out(a, "btn ghost", "Logs", "/admin/connections/%s/logs", c->id);
	out_html(a, "</div></div>\n");
	/* A failed Start says so in red, with its reason, where notices go. */
	if (page_done(a, "start-failed")) {
		out_html(a, "<div class=\"callout bad\" role=\"alert\""
		    " id=\"start-failed\"><strong>Start failed:</strong> ");
		out_text(a, c->status == CONN_ERROR &&
		    c->status_message[0] != '\0' ? c->status_message : "the"
		    " connection did not start; its Logs say why.");
		out_html(a, "</div>\n");
	} else
		page_notice(a);
	if (c->status_message[0] != '\0' && !(page_done(a, "start-failed") &&
	    c->status == CONN_ERROR)) {
		out_html_either(a, c->status == CONN_ERROR,
		    "<p class=\"status-line bad\" id=\"status-message\">",
		    "<p class=\"status-line\" id=\"status-message\">");
		out_text(a, c->status_message);
		out_html(a, "</p>\n");
	}
	conn_warnings(a, p);
	out_html(a, "<section class=\"panel\" aria-labelledby=\"h-conn\">"
	    "<h2 id=\"h-conn\">Connector</h2>");
	if (admin_can(a, OPS_CONFIGURE)) {
		form_open(a, "stack", "/admin/connections/%s", c->id);
		conn_fields(a, f);
		out_html(a, "<div class=\"actions\">");
		button_submit(a, "Save", "primary");
		out_html(a, "</div>");
		form_close(a);
	} else {
		out_html(a, "<dl class=\"facts\"><dt>Description</dt><dd>");
		out_text(a, c->description);
		out_html(a, "</dd><dt>API URL</dt><dd>");
		out_text(a, c->api_url);
		out_html(a, "</dd><dt>Sender</dt><dd>");
		out_text(a, c->sender);
		out_html(a, "</dd><dt>API Key</dt><dd>");
		out_text(a, f->fv.value[OPS_CONN_API_KEY]);
		out_html(a, "</dd></dl>");
	}
	out_html(a, "</section>\n");
}

void
view_conn_env_open(struct adm *a, const struct conn_panel *p)
{
	out_html(a, "<details class=\"panel\" id=\"access\" open><summary>"
	    "<h2>Access Information</h2></summary>\n");
	/*
	 * Without a public URL the addresses are paths: no address made of
	 * this browser's Host would reach us from Infobip (nor keep the
	 * scheme the admin is served with), so none is offered to paste.
	 */
	if (p->urls->docs[0] == '/') {
		out_html(a, "<div class=\"callout warn\" role=\"note\""
		    " id=\"no-public-url\"><strong>No public URL is set.</strong>"
		    " The addresses to give Infobip are made of it, so there is"
		    " nothing to paste into your Infobip number yet. ");
		if (admin_can(a, OPS_CONFIGURE))
			link_out(a, "set-public-url", "Set the public URL",
			    "/admin/settings#s-public_url");
		else
			out_html(a, "Ask an administrator to set"
			    " <code>public_url</code> on the Settings page.");
		out_html(a, "</div>\n<p class=\"help\">Paths on this"
		    " installation, for reference:</p><ul class=\"plain"
		    " paths\"><li>API documentation: <code id=\"path-docs\">");
		out_text(a, p->urls->docs);
		out_html(a, "</code></li><li>Incoming SMS webhook: <code"
		    " id=\"path-sms\">");
		out_text(a, p->urls->sms);
		out_html(a, "</code></li><li>Delivery reports: <code"
		    " id=\"path-reports\">");
		out_text(a, p->urls->reports);
		out_html(a, "</code></li><li>Link clicks: <code"
		    " id=\"path-clicks\">");
		out_text(a, p->urls->clicks);
		out_html(a, "</code></li></ul></details>\n");
	} else {
		copy_url(a, "url-docs", "API documentation", p->urls->docs);
		copy_url(a, "url-sms", "Incoming SMS webhook: paste it into"
		    " your Infobip number's forwarding (HTTP, JSON)",
		    p->urls->sms);
		copy_url(a, "url-reports", "Delivery reports (requested with"
		    " every message)", p->urls->reports);
		copy_url(a, "url-clicks", "Link clicks (requested with every"
		    " message)", p->urls->clicks);
		out_html(a, "<p class=\"help\">Infobip sends delivery reports"
		    " and clicks to these addresses by itself; only the"
		    " incoming SMS webhook is configured in the Infobip web"
		    " interface.</p></details>\n");
	}
	out_html(a, "<section class=\"panel\" id=\"env\""
	    " aria-labelledby=\"h-env\"><h2 id=\"h-env\">Environment"
	    " Variables</h2><p class=\"help\">Variables take effect at the"
	    " next Start. <code>INFOBIP_SHORT_DOMAIN</code>: your own short"
	    " domain registered with Infobip, used for the shortened,"
	    " click-tracked links in outbound messages instead of"
	    " Infobip's default.</p>\n<table class=\"list env\"><thead><tr>"
	    "<th scope=\"col\">Name</th><th scope=\"col\">Value</th>");
	if (admin_can(a, OPS_CONFIGURE))
		out_html(a, "<th scope=\"col\"><span class=\"sr\">Actions"
		    "</span></th>");
	out_html(a, "</tr></thead><tbody>\n");
}

int
view_conn_env_row(const char *name, const char *value, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;

	out_html(a, "<tr><th scope=\"row\"><code>");
	out_text(a, name);
	out_html(a, "</code></th><td>");
	if (admin_can(a, OPS_CONFIGURE)) {
		form_open(a, "row", "/admin/connections/%s/env", a->id);
		field_hidden(a, "name", name);
		out_html(a, "<label class=\"sr\" for=\"env-");
		http_html_attr(a->h, name);
		out_html(a, "\">Value of ");
		out_text(a, name);
		out_html(a, "</label><input type=\"text\" name=\"value\""
		    " id=\"env-");
		http_html_attr(a->h, name);
		out_html(a, "\" value=\"");
		http_html_attr(a->h, value);
		out_html(a, "\">");
		button_submit(a, "Save", "small");
		form_close(a);
		out_html(a, "</td><td>");
		button_form(a, "Remove", "small danger ghost",
		    "Remove this variable?",
		    "/admin/connections/%s/env/delete?name=%s", a->id, name);
	} else
		out_text(a, value);
	out_html(a, "</td></tr>\n");
	lc->rows++;
	return 1;
}

void
view_conn_env_close(struct adm *a, const struct conn_panel *p, int rows)
{
	struct field	 fl;

	out_html(a, "</tbody></table>\n");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">No variables.</p>");
	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "<h3>Add a variable</h3>");
		form_open(a, "inline-fields", "/admin/connections/%s/env",
		    p->v->c.id);
		fl = (struct field){ .name = "name", .label = "Name",
		    .type = "text", .value = p->env_name,
		    .placeholder = "INFOBIP_SHORT_DOMAIN",
		    .error = p->env_error, .autocomplete = "off" };
		field_out(a, &fl);
		fl = (struct field){ .name = "value", .label = "Value",
		    .type = "text", .value = p->env_value,
		    .autocomplete = "off" };
		field_out(a, &fl);
		button_submit(a, "Add", NULL);
		form_close(a);
	}
	out_html(a, "</section>\n");
}

void
view_conn_agents_open(struct adm *a)
{
	out_html(a, "<section class=\"panel\" id=\"agents\""
	    " aria-labelledby=\"h-agents\"><h2 id=\"h-agents\">AI agents"
	    " using this connection</h2><ul class=\"plain\">");
}

int
view_conn_agent_row(const struct store_attach_row *r, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;
	char		 label[300];

	out_html(a, "<li>");
	status_dot(a, r->agent_status, NULL);
	out_html(a, " ");
	snprintf(label, sizeof(label), "%s", r->agent_name);
	link_out(a, NULL, label, "/admin/agents/%lld", (long long)r->agent);
	if (r->inbound)
		out_html(a, " <span class=\"badge\">Inbound</span>");
	out_html(a, "</li>");
	lc->rows++;
	return 1;
}

void
view_conn_agents_close(struct adm *a, int rows)
{
	out_html(a, "</ul>");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">No agent is attached: a"
		    " running channel does nothing on its own. Open"
		    " <a href=\"/admin/agents\">AI Agents</a> and attach"
		    " one.</p>");
	out_html(a, "</section>\n");
}

void
view_conn_panel_close(struct adm *a, const struct conn_panel *p)
{
	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "<section class=\"panel danger-zone\"><h2>Delete"
		    "</h2><p class=\"help\">Deleting removes the connection"
		    " and its settings; its messages and sessions stay for"
		    " analysts. A running connection must be stopped"
		    " first.</p>");
		button_form(a, "Delete connection", "danger",
		    "Delete this connection?",
		    "/admin/connections/%s/delete", p->v->c.id);
		out_html(a, "</section>\n");
	}
	page_close(a);
}

void
view_logs_open(struct adm *a, const struct log_view *lv)
{
	size_t	 i;

	page_open(a, lv->level_error != NULL || lv->event_error != NULL ? 400 :
	    200, SECTION_CHANNELS, "Logs");
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/\">Communication"
	    " Channels</a> / ");
	link_out(a, NULL, lv->c->name, "/admin/connections/%s", lv->c->id);
	out_html(a, "</p><h1>Logs</h1>\n");
	out_html(a, "<form method=\"get\" class=\"filters\" action=\"/admin/"
	    "connections/");
	http_html_attr(a->h, lv->c->id);
	out_html(a, "/logs\">");
	field_select(a, "level", "Level", log_levels, lv->level < CLOG__MAX ?
	    conn_log_level_name(lv->level) : "any", lv->level_error);
	out_html_either(a, lv->event_error != NULL, "<div class=\"field"
	    " invalid\">", "<div class=\"field\">");
	out_html(a, "<label for=\"f-event\">Event</label><input type=\"text\""
	    " id=\"f-event\" name=\"event\" list=\"events\"");
	if (lv->event_error != NULL)
		out_html(a, " aria-invalid=\"true\""
		    " aria-describedby=\"f-event-error\"");
	out_html(a, " value=\"");
	http_html_attr(a->h, lv->event_typed != NULL ? lv->event_typed :
	    lv->event != NULL ? lv->event : "");
	out_html(a, "\">");
	if (lv->event_error != NULL) {
		out_html(a, "<p class=\"error\" id=\"f-event-error\">");
		out_text(a, lv->event_error);
		out_html(a, "</p>");
	}
	out_html(a, "<datalist id=\"events\">");
	for (i = 0; log_events[i] != NULL; i++) {
		out_html(a, "<option value=\"");
		http_html_attr(a->h, log_events[i]);
		out_html(a, "\">");
	}
	out_html(a, "</datalist></div>");
	button_submit(a, "Filter", NULL);
	out_html(a, "</form>\n<div class=\"table-wrap\"><table class=\"list"
	    " logs\" id=\"logs\"><thead><tr><th scope=\"col\">Time</th>"
	    "<th scope=\"col\">Level</th><th scope=\"col\">Event</th>"
	    "<th scope=\"col\">Message</th></tr></thead><tbody>\n");
}

int
view_logs_row(const struct store_log_row *l, void *arg)
{
	struct log_view	*lv = arg;
	struct adm	*a = lv->a;

	out_html(a, "<tr class=\"lvl-");
	http_html_attr(a->h, conn_log_level_name(l->level));
	out_html(a, "\"><td>");
	out_time(a, l->at);
	out_html(a, "</td><td><span class=\"badge lvl\">");
	out_text(a, conn_log_level_name(l->level));
	out_html(a, "</span></td><td><code>");
	out_text(a, l->event);
	out_html(a, "</code></td><td class=\"text\">");
	out_text(a, l->text);
	if (l->repeats > 1) {
		out_html(a, " <span class=\"badge\">");
		out_textf(a, "\xc3\x97%d in that minute", l->repeats);
		out_html(a, "</span>");
	}
	out_html(a, "</td></tr>\n");
	lv->last = l->id;
	lv->rows++;
	return 1;
}

void
view_logs_close(struct adm *a, const struct log_view *lv)
{
	const char	*level;

	out_html(a, "</tbody></table></div>\n");
	if (lv->level_error != NULL || lv->event_error != NULL)
		out_html(a, "<p class=\"empty\" id=\"filter-refused\">Nothing"
		    " shown: correct the filter above.</p>");
	else if (lv->rows == 0)
		out_html(a, "<p class=\"empty\">No entries.</p>");
	out_html(a, "<nav class=\"pager\" aria-label=\"Pages\">");
	level = lv->level < CLOG__MAX ? conn_log_level_name(lv->level) : "any";
	link_out(a, "btn ghost", "Newest", "/admin/connections/%s/logs"
	    "?level=%s&event=%s", lv->c->id, level,
	    lv->event ? lv->event : "");
	if (lv->rows == lv->limit)
		link_out(a, "btn ghost", "Older \xe2\x86\x92", "/admin/"
		    "connections/%s/logs?level=%s&event=%s&before=%lld",
		    lv->c->id, level, lv->event ? lv->event : "",
		    (long long)lv->last);
	out_html(a, "</nav>\n");
	page_close(a);
}
