/* Views of the Sessions pages: the filtered list and a conversation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"
#include "payload_admin.h"

/* The most messages one live read brings (the page asks again at once for more). */
#define MESSAGES_LIVE	100

static const char *const states[] = {
	"any", "Active and closed",
	"open", "Active",
	"closed", "Closed",
	NULL, NULL,
};

void
view_sessions_open(struct adm *a, const struct session_filters *sf)
{
	page_open(a, 200, SECTION_SESSIONS, "Sessions");
	out_html(a, "<h1>Sessions</h1>\n");
	if (sf->error != NULL)
		callout(a, "warn", "Filter not used:", sf->error);
	out_html(a, "<form method=\"get\" class=\"filters\""
	    " action=\"/admin/sessions\" id=\"session-filters\">"
	    "<div class=\"field\"><label for=\"f-conn\">Connection</label>"
	    "<select id=\"f-conn\" name=\"conn\"><option value=\"\">Any"
	    "</option>");
}

int
view_conn_option(const struct store_connection *c, void *arg)
{
	struct conn_options	*co = arg;
	struct adm		*a = co->a;
	char			 label[300];

	out_html(a, "<option value=\"");
	http_html_attr(a->h, c->id);
	out_html_either(a, strcmp(co->selected, c->id) == 0, "\" selected>",
	    "\">");
	conn_choice_label(c, label, sizeof(label));
	out_text(a, label);
	out_html(a, "</option>");
	return 1;
}

/* A date filter field. */
static void
date_field(struct adm *a, const char *name, const char *label,
    const char *value)
{
	out_html(a, "<div class=\"field\"><label for=\"f-");
	http_html_attr(a->h, name);
	out_html(a, "\">");
	out_text(a, label);
	out_html(a, "</label><input type=\"date\" id=\"f-");
	http_html_attr(a->h, name);
	out_html(a, "\" name=\"");
	http_html_attr(a->h, name);
	out_html(a, "\" value=\"");
	http_html_attr(a->h, value);
	out_html(a, "\"></div>");
}

void
view_sessions_table(struct adm *a, const struct session_filters *sf)
{
	struct field	 fl;

	out_html(a, "</select></div>");
	fl = (struct field){ .name = "q", .label = "Messages containing",
	    .type = "search", .value = sf->q, .placeholder = "words",
	    .autocomplete = "off" };
	field_out(a, &fl);
	fl = (struct field){ .name = "contact", .label = "Contact",
	    .type = "search", .value = sf->contact,
	    .placeholder = "+41793026727", .autocomplete = "off" };
	field_out(a, &fl);
	fl = (struct field){ .name = "phone", .label = "Number starts with",
	    .type = "search", .value = sf->phone, .placeholder = "+4179",
	    .autocomplete = "off" };
	field_out(a, &fl);
	fl = (struct field){ .name = "who", .label = "Responsible",
	    .type = "search", .value = sf->who,
	    .placeholder = "ai or a username", .autocomplete = "off" };
	field_out(a, &fl);
	field_select(a, "state", "State", states, sf->state, NULL);
	date_field(a, "from", "Last message from", sf->from);
	date_field(a, "to", "to", sf->to);
	field_switch(a, "waiting", "Waiting for an operator", sf->waiting);
	button_submit(a, "Filter", NULL);
	out_html(a, "</form>\n<div class=\"table-wrap\"><table class=\"list"
	    " stack-sm\" id=\"sessions\"><thead><tr>"
	    "<th scope=\"col\">Contact</th><th scope=\"col\">Channel</th>"
	    "<th scope=\"col\">Agent</th><th scope=\"col\">Responsible</th>"
	    "<th scope=\"col\">Started</th>"
	    "<th scope=\"col\">Last message</th><th scope=\"col\">State</th>"
	    "</tr></thead><tbody>\n");
}

int
view_sessions_row(const struct store_session_line *l, void *arg)
{
	struct session_list_ctx	*sc = arg;
	struct adm		*a = sc->lc.a;
	char			 label[64];

	out_html(a, "<tr data-session=\"");
	http_printf(a->h, "%lld", (long long)l->id);
	out_html(a, "\"><th scope=\"row\">");
	snprintf(label, sizeof(label), "%s", l->phone);
	link_out(a, "contact", label, "/admin/sessions/%lld",
	    (long long)l->id);
	out_html(a, "</th><td><span class=\"badge\">Infobip</span> ");
	out_text(a, l->conn_name);
	out_html(a, "</td><td>");
	out_text(a, l->agent[0] != '\0' ? l->agent : "\xe2\x80\x94");
	out_html(a, "</td><td>");
	if (strcmp(l->responsible, "ai") == 0)
		out_html(a, "<span class=\"badge grey\">AI</span>");
	else {
		out_html(a, "<span class=\"badge\">");
		out_text(a, l->responsible);
		out_html(a, "</span>");
	}
	out_html(a, "</td><td>");
	out_time(a, l->started_at);
	out_html(a, "</td><td class=\"text\">");
	out_time(a, l->last_at);
	out_html(a, "<br><span class=\"help\">");
	out_text(a, l->last_text);
	out_html(a, "</span></td><td>");
	out_html_either(a, l->open,
	    "<span class=\"badge ok\">Active</span>",
	    "<span class=\"badge grey\">Closed</span>");
	out_html(a, "</td></tr>\n");
	snprintf(sc->last_at, sizeof(sc->last_at), "%s", l->last_at);
	sc->last_id = l->id;
	sc->lc.rows++;
	return 1;
}

/*
 * What a search page could not look at: a page that ended on its budget
 * of matching messages before it was full, and (SQLite) new messages the
 * full-text index has not taken yet beyond those a search reads itself.
 */
static void
search_notes(struct adm *a, const struct store_search_page *sp)
{
	char	 text[300];

	if (sp->cut)
		callout(a, "", "Search goes on:", "this page looked at as"
		    " many matching messages as one page reads, and the other"
		    " filters kept no more sessions among them; Older reads"
		    " the next ones.");
	if (sp->behind > 0) {
		snprintf(text, sizeof(text), "%ld messages stored a while ago"
		    " are not in the search index yet, so no search finds"
		    " them (the sender indexes new messages: is it running?);"
		    " the newest are searched.", sp->behind);
		callout(a, "warn", "The search index is behind:", text);
	}
}

void
view_sessions_close(struct adm *a, const struct session_filters *sf,
    const struct session_list_ctx *sc, int limit)
{
	char	 c[64], k[128], at[96], from[32], to[32];
	char	 q[1536], p[96], w[768], more[2600];

	out_html(a, "</tbody></table></div>\n");
	if (sc->lc.rows == 0 && !sc->search.cut)
		out_html(a, "<p class=\"empty\">No sessions match.</p>");
	if (sc->searched)
		search_notes(a, &sc->search);
	out_html(a, "<nav class=\"pager\" aria-label=\"Pages\">");
	url_encode(sf->conn, c, sizeof(c));
	url_encode(sf->contact, k, sizeof(k));
	url_encode(sf->from, from, sizeof(from));
	url_encode(sf->to, to, sizeof(to));
	/* The search's filters ride along on both links. */
	snprintf(more, sizeof(more), "&q=%s&phone=%s&who=%s%s",
	    url_encode(sf->q != NULL ? sf->q : "", q, sizeof(q)),
	    url_encode(sf->phone != NULL ? sf->phone : "", p, sizeof(p)),
	    url_encode(sf->who != NULL ? sf->who : "", w, sizeof(w)),
	    sf->waiting ? "&waiting=1" : "");
	link_out(a, "btn ghost", "Latest", "/admin/sessions?conn=%s&contact=%s"
	    "&state=%s&from=%s&to=%s%s", c, k, sf->state, from, to, more);
	if (sc->searched && sc->search.next > 0)
		link_out(a, "btn ghost", "Older \xe2\x86\x92", "/admin/sessions"
		    "?conn=%s&contact=%s&state=%s&from=%s&to=%s%s&before=%lld",
		    c, k, sf->state, from, to, more,
		    (long long)sc->search.next);
	else if (!sc->searched && sc->lc.rows == limit)
		link_out(a, "btn ghost", "Older \xe2\x86\x92", "/admin/sessions"
		    "?conn=%s&contact=%s&state=%s&from=%s&to=%s%s&cur_at=%s"
		    "&cur_id=%lld", c, k, sf->state, from, to, more,
		    url_encode(sc->last_at, at, sizeof(at)),
		    (long long)sc->last_id);
	out_html(a, "</nav>\n");
	page_close(a);
}

/* One fact of the session's head. */
static void
fact(struct adm *a, const char *label, const char *value, const char *id)
{
	out_html(a, "<div><span>");
	out_text(a, label);
	out_html(a, "</span><span");
	if (id != NULL) {
		out_html(a, " id=\"");
		http_html_attr(a->h, id);
		out_html(a, "\"");
	}
	out_html(a, ">");
	out_text(a, value[0] != '\0' ? value : "\xe2\x80\x94");
	out_html(a, "</span></div>");
}

/* The question before taking a session from the operator who holds it, with its confirming form. */
static void
take_over_ask(struct adm *a, int64_t id, const char *holder)
{
	char	 label[300];

	out_html(a, "<div class=\"callout warn\" id=\"takeover-ask\""
	    " role=\"alert\"><p><strong>");
	out_text(a, holder);
	out_html(a, "</strong> holds this session. Take it over from them?"
	    " They can no longer reply unless they take it back.</p>"
	    "<div class=\"actions\">");
	snprintf(label, sizeof(label), "Take over from %s", holder);
	button_form(a, label, "primary", NULL,
	    "/admin/sessions/%lld/takeover?confirm=yes", (long long)id);
	link_out(a, "btn ghost", "Cancel", "/admin/sessions/%lld",
	    (long long)id);
	out_html(a, "</div></div>\n");
}

void
view_session_open(struct adm *a, int status, const struct session_page *sp)
{
	const struct store_session_info	*si = sp->si;
	int				 open = si->closed_at[0] == '\0';
	int				 ai = strcmp(si->responsible, "ai") == 0;
	char				 title[64], held[300];

	snprintf(title, sizeof(title), "Session %lld", (long long)si->id);
	page_open(a, status, SECTION_SESSIONS, title);
	out_html(a, "<script src=\"/admin/static/session.js\" defer>"
	    "</script>\n");
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/sessions\">Sessions"
	    "</a></p><div class=\"page-head\"><h1>");
	out_text(a, si->phone);
	out_html(a, "</h1>");
	out_html_either(a, open, "<span class=\"badge ok\" id=\"state\">Active"
	    "</span>", "<span class=\"badge grey\" id=\"state\">Closed"
	    "</span>");
	out_html(a, "<div class=\"actions\">");
	if (admin_can(a, OPS_SESSIONS) && open) {
		if (ai)
			button_form(a, "Take over", "primary", NULL,
			    "/admin/sessions/%lld/takeover", (long long)si->id);
		else if (strcmp(si->responsible, a->user) != 0) {
			/* Asks first, on the server: see session_takeover. */
			snprintf(held, sizeof(held), "Held by %s \xe2\x80\x94"
			    " take over?", si->responsible);
			button_form(a, held, "primary", NULL,
			    "/admin/sessions/%lld/takeover", (long long)si->id);
		}
		if (!ai)
			button_form(a, "Hand back to AI", NULL, NULL,
			    "/admin/sessions/%lld/release", (long long)si->id);
		button_form(a, "Close", "ghost", "Close this session?",
		    "/admin/sessions/%lld/close", (long long)si->id);
	}
	link_out(a, "btn ghost", "Export JSON", "/admin/sessions/%lld/export",
	    (long long)si->id);
	out_html(a, "</div></div>\n");
	page_notice(a);
	if (sp->action_error != NULL)
		callout(a, "bad", "Refused:", sp->action_error);
	if (sp->ask_holder != NULL)
		take_over_ask(a, si->id, sp->ask_holder);
	if (si->opted_out)
		callout(a, "warn", "Opted out:", "this contact texted STOP and"
		    " gets no messages until they text START.");
	out_html(a, "<section class=\"panel session-head\">");
	fact(a, "Channel", "Infobip", NULL);
	fact(a, "Connection", si->conn_name, NULL);
	fact(a, "Agent", si->agent_name, NULL);
	if (si->campaign[0] != '\0')
		fact(a, "Started by campaign", si->campaign, "campaign");
	fact(a, "Responsible", ai ? "AI" : si->responsible, "responsible");
	fact(a, "Contact name", si->contact_name, NULL);
	fact(a, "Contact email", si->contact_email, NULL);
	out_html(a, "<div><span>Started</span>");
	out_time(a, si->started_at);
	out_html(a, "</div><div><span>Last message</span>");
	out_time(a, si->last_at);
	out_html(a, "</div>");
	if (!open) {
		out_html(a, "<div><span>Closed</span>");
		out_time(a, si->closed_at);
		out_html(a, "</div>");
	}
	out_html(a, "</section>\n<section class=\"panel\" id=\"collected\">"
	    "<h2>Collected data</h2><dl class=\"facts\">");
}

int
view_session_field(const char *name, const char *value, void *arg)
{
	struct list_ctx	*lc = arg;

	out_html(lc->a, "<dt>");
	out_text(lc->a, name);
	out_html(lc->a, "</dt><dd>");
	out_text(lc->a, value);
	out_html(lc->a, "</dd>");
	lc->rows++;
	return 1;
}

void
view_session_messages(struct adm *a, const struct session_page *sp)
{
	out_html(a, "</dl></section>\n<section aria-labelledby=\"h-convo\">"
	    "<h2 id=\"h-convo\" class=\"sr\">Conversation</h2>");
	if (sp->before > 0)
		link_out(a, "btn ghost", "Latest messages",
		    "/admin/sessions/%lld", (long long)sp->si->id);
	/* The latest page of an open session follows it (session.js). */
	out_html(a, "<ol class=\"convo\" id=\"convo\"");
	if (sp->before == 0 && sp->si->closed_at[0] == '\0')
		http_printf(a->h, " data-live=\"/admin/sessions/%lld/live\"",
		    (long long)sp->si->id);
	out_html(a, ">\n");
}

/* The status of a message as operators read it. */
static const struct {
	const char	*status;
	const char	*label;
	const char	*cls;
} msg_status[] = {
	{ "received", "received", "grey" },
	{ "queued", "queued", "grey" },
	{ "sending", "sending", "grey" },
	{ "accepted", "sent", "" },
	{ "delivered", "delivered", "ok" },
	{ "undeliverable", "undeliverable", "bad" },
	{ "expired", "expired", "bad" },
	{ "rejected", "rejected", "bad" },
	{ "failed", "failed", "bad" },
};

int
view_session_message(const struct store_message_line *m, void *arg)
{
	struct session_page	*sp = arg;
	struct adm		*a = sp->a;
	const char		*label = m->status, *cls = "grey";
	size_t			 i;
	int			 in = strcmp(m->direction, "in") == 0;

	for (i = 0; i < sizeof(msg_status) / sizeof(msg_status[0]); i++)
		if (strcmp(m->status, msg_status[i].status) == 0) {
			label = msg_status[i].label;
			cls = msg_status[i].cls;
		}
	out_html_either(a, in,
	    "<li class=\"msg in\" data-id=\"",
	    "<li class=\"msg out\" data-id=\"");
	http_printf(a->h, "%lld", (long long)m->id);
	out_html(a, "\" data-status=\"");
	http_html_attr(a->h, m->status);
	out_html(a, "\"><p class=\"body\">");
	out_text(a, m->text);
	out_html(a, "</p><div class=\"meta\"><span class=\"dir\">");
	out_text(a, in ? "from the customer" : strcmp(m->author, "agent") == 0 ?
	    "by the agent" : strncmp(m->author, "operator:", 9) == 0 ?
	    "by an operator" : "by the system");
	if (!in && strncmp(m->author, "operator:", 9) == 0) {
		out_html(a, " (");
		out_text(a, m->author + 9);
		out_html(a, ")");
	}
	out_html(a, "</span>");
	out_time(a, m->at);
	out_html(a, "<span class=\"badge st ");
	http_html_attr(a->h, cls);
	out_html(a, "\">");
	out_text(a, label);
	out_html(a, "</span>");
	if ((strcmp(cls, "bad") == 0) && (m->reason[0] != '\0' ||
	    m->error[0] != '\0')) {
		out_html(a, "<span class=\"why\">");
		out_text(a, m->error[0] != '\0' ? m->error : m->reason);
		out_html(a, "</span>");
	}
	if (m->price >= 0) {
		out_html(a, "<span class=\"price\">");
		out_textf(a, "%.4g %s", m->price, m->currency);
		out_html(a, "</span>");
	}
	if (m->sms_count >= 0) {
		out_html(a, "<span class=\"segments\">");
		out_textf(a, "%d segment%s", m->sms_count,
		    m->sms_count == 1 ? "" : "s");
		out_html(a, "</span>");
	}
	if (m->clicks > 0) {
		out_html(a, "<span class=\"clicks\">");
		out_textf(a, "%d click%s", m->clicks, m->clicks == 1 ? "" :
		    "s");
		out_html(a, "</span>");
	}
	out_html(a, "</div></li>\n");
	if (sp->rows == 0)
		sp->first = m->id;
	sp->last = m->id;
	sp->rows++;
	return 1;
}

void
view_session_close(struct adm *a, const struct session_page *sp)
{
	struct field	 fl;

	out_html(a, "</ol></section>\n");
	if (sp->rows == 0)
		out_html(a, "<p class=\"empty\">No messages.</p>");
	if (sp->rows == sp->limit)
		link_out(a, "btn ghost", "\xe2\x86\x90 Earlier messages",
		    "/admin/sessions/%lld?before=%lld", (long long)sp->si->id,
		    (long long)sp->first);
	if (admin_can(a, OPS_SESSIONS) && sp->si->closed_at[0] == '\0') {
		out_html(a, "<section class=\"panel reply\" id=\"reply\">"
		    "<h2>Reply</h2>");
		if (strcmp(sp->si->responsible, "ai") == 0)
			out_html(a, "<p class=\"help\" id=\"reply-takes\">The"
			    " AI answers this session; sending a reply takes it"
			    " over first, so the AI stays silent and the"
			    " customer gets your answer only.</p>");
		form_open(a, "stack", "/admin/sessions/%lld/reply",
		    (long long)sp->si->id);
		fl = (struct field){ .name = "text", .label = "Message",
		    .type = "textarea", .rows = 3, .value = sp->reply_text,
		    .error = sp->reply_error, .required = 1,
		    .help = "Sent through the outbox like any message;"
		    " its status shows above." };
		field_out(a, &fl);
		out_html(a, "<div class=\"actions\">");
		button_submit(a, "Send", "primary");
		out_html(a, "</div>");
		form_close(a);
		out_html(a, "</section>\n");
	}
	page_close(a);
}

void
view_session_live(struct adm *a, const struct store_session_info *si,
    int64_t after)
{
	struct session_page	 sp;
	char			*html;
	size_t			 len;
	int			 rc;

	memset(&sp, 0, sizeof(sp));
	sp.a = a;
	sp.si = si;
	sp.last = after;
	/* The list items as the page draws them, into a string. */
	http_capture_start(a->h);
	rc = store_admin_messages_after(a->st, si->id, after, MESSAGES_LIVE,
	    view_session_message, &sp);
	html = http_capture_take(a->h, &len);
	if (html == NULL && rc >= 0 && sp.rows == 0)
		html = strdup("");	/* nothing new: nothing was captured */
	if (html == NULL || rc < 0) {
		free(html);
		http_error(a->h, rc < 0 ? 503 : 500, rc < 0 ?
		    "store unavailable" : "out of memory");
		return;
	}
	http_json(a->h, 200, payload_session_live(sp.last, html,
	    si->responsible, si->closed_at[0] == '\0'));
	free(html);
}
