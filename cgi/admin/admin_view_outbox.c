/* View of the Outbox page: what waits for an operator or is unsure, with the reason, the lookups, and Resend and Fail. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"

/* What each state of an unsettled row means to an operator. */
static const struct {
	const char	*state;
	const char	*meaning;
} outbox_states[] = {
	{ "held", "waits for you: the sender cannot tell whether Infobip"
	    " has it" },
	{ "unsure", "an earlier send may have reached Infobip; the sender"
	    " looks it up in Infobip's logs before sending it again" },
	{ "sending", "a sender is working on it right now" },
	{ "queued", "waits for the sender" },
};

void
view_outbox_open(struct adm *a, int status, const struct outbox_page *op)
{
	char	 text[128];
	int	 i;

	page_open(a, status, SECTION_OUTBOX, "Outbox");
	out_html(a, "<link rel=\"stylesheet\" href=\"/admin/static/"
	    "settings.css\">\n");
	out_html(a, "<h1>Outbox</h1><p class=\"help\">Messages whose send may"
	    " have reached Infobip: <strong>held</strong> ones wait for an"
	    " operator, <strong>unsure</strong> ones are still being looked up"
	    " in Infobip's logs. <em>Resend</em> sends a message again as new"
	    " (choose it when you know Infobip does not have it);"
	    " <em>Fail</em> marks it failed for good. These are"
	    " <code>ibchannel outbox resend</code> and"
	    " <code>ibchannel outbox fail</code>; each is logged on the"
	    " message's connection with your name.</p>\n");
	page_notice(a);
	if (op->done + op->refused > 0) {
		snprintf(text, sizeof(text), "%d %s, %d refused.", op->done,
		    op->verb, op->refused);
		out_html(a, "<div class=\"callout bad\" role=\"alert\""
		    " id=\"outbox-result\"><strong>");
		out_text(a, text);
		out_html(a, "</strong><ul class=\"plain\">");
		for (i = 0; i < op->refused && i < OUTBOX_REASONS_MAX; i++) {
			out_html(a, "<li>");
			out_text(a, op->why[i]);
			out_html(a, "</li>");
		}
		out_html(a, "</ul></div>\n");
	}
	out_html(a, "<div class=\"table-wrap\"><table class=\"list\""
	    " id=\"outbox\"><thead><tr>");
	if (admin_can(a, OPS_SESSIONS))
		out_html(a, "<th scope=\"col\"><span class=\"sr\">Select"
		    "</span></th>");
	out_html(a, "<th scope=\"col\">Message</th>"
	    "<th scope=\"col\">Connection</th><th scope=\"col\">To</th>"
	    "<th scope=\"col\">State</th><th scope=\"col\">Reason</th>"
	    "<th scope=\"col\">Lookups</th><th scope=\"col\">Since</th>");
	if (admin_can(a, OPS_SESSIONS))
		out_html(a, "<th scope=\"col\"><span class=\"sr\">Actions"
		    "</span></th>");
	out_html(a, "</tr></thead><tbody>\n");
}

int
view_outbox_row(const struct store_outbox_entry *e, void *arg)
{
	struct outbox_page	*op = arg;
	struct adm		*a = op->lc.a;
	const char		*meaning = "";
	size_t		 i;

	for (i = 0; i < sizeof(outbox_states) / sizeof(outbox_states[0]); i++)
		if (strcmp(e->state, outbox_states[i].state) == 0)
			meaning = outbox_states[i].meaning;
	http_printf(a->h, "<tr data-message=\"%lld\">", (long long)e->message);
	if (admin_can(a, OPS_SESSIONS)) {
		http_printf(a->h, "<td><input type=\"checkbox\" name=\"m\""
		    " form=\"outbox-selection\" value=\"%lld\" id=\"m-%lld\">"
		    "<label class=\"sr\" for=\"m-%lld\">Select message %lld"
		    "</label></td>", (long long)e->message,
		    (long long)e->message, (long long)e->message,
		    (long long)e->message);
	}
	out_html(a, "<th scope=\"row\">");
	out_textf(a, "%lld", (long long)e->message);
	out_html(a, "<br><code class=\"uid\">");
	out_text(a, e->uid);
	out_html(a, "</code></th><td>");
	link_out(a, "mono", e->conn, "/admin/connections/%s", e->conn);
	out_html(a, "</td><td>");
	out_text(a, e->recipient);
	out_html(a, "</td><td class=\"state\"><span class=\"tag\" title=\"");
	http_html_attr(a->h, meaning);
	out_html(a, "\">");
	out_text(a, e->state);
	out_html(a, "</span></td><td class=\"reason\">");
	out_text(a, e->last_error[0] != '\0' ? e->last_error : meaning);
	out_html(a, "</td><td class=\"lookups\">");
	out_textf(a, "%d not found; %d attempt%s", e->not_found, e->attempts,
	    e->attempts == 1 ? "" : "s");
	out_html(a, "</td><td>");
	out_time(a, e->held_since[0] != '\0' ? e->held_since :
	    e->unsure_since);
	out_html(a, "</td>");
	if (admin_can(a, OPS_SESSIONS)) {
		out_html(a, "<td class=\"actions\">");
		button_form(a, "Resend", "small", NULL,
		    "/admin/outbox/%lld/resend", (long long)e->message);
		button_form(a, "Fail", "small danger ghost", "Fail this message"
		    " for good? It will not be sent.",
		    "/admin/outbox/%lld/fail", (long long)e->message);
		out_html(a, "</td>");
	}
	out_html(a, "</tr>\n");
	if (op->lc.rows++ == 0)
		op->first = e->message;
	op->last = e->message;
	return 1;
}

void
view_outbox_close(struct adm *a, const struct outbox_page *op)
{
	int	 rows = op->lc.rows, start;

	out_html(a, "</tbody></table></div>\n");
	/* A page before another that comes back short is the first. */
	start = (op->after == 0 && op->before == 0) ||
	    (op->before > 0 && rows < op->limit);
	if (rows == 0 && start)
		out_html(a, "<p class=\"empty\" id=\"outbox-empty\">Nothing"
		    " waits for an operator: no message is held or unsure.</p>");
	else if (rows == 0)
		out_html(a, "<p class=\"empty\">No more messages here.</p>");
	if (op->total >= 0) {
		out_html(a, "<p class=\"help\" id=\"outbox-total\">");
		out_textf(a, "%ld held or unsure in all, the oldest first,"
		    " %d a page.", op->total, op->limit);
		out_html(a, "</p>");
	}
	out_html(a, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (!start || op->after > 0) {
		link_out(a, "btn ghost", "Oldest", "/admin/outbox");
		if (rows > 0)
			link_out(a, "btn ghost", "\xe2\x86\x90 Older",
			    "/admin/outbox?before=%lld", (long long)op->first);
	}
	if (rows == op->limit || (op->before > 0 && rows > 0))
		link_out(a, "btn ghost", "Newer \xe2\x86\x92",
		    "/admin/outbox?after=%lld", (long long)op->last);
	out_html(a, "</nav>\n");
	if (rows > 0 && admin_can(a, OPS_SESSIONS)) {
		out_html(a, "<form method=\"post\" novalidate"
		    " id=\"outbox-selection\" class=\"actions\""
		    " action=\"/admin/outbox/resend\">");
		field_hidden(a, "csrf", a->csrf);
		button_submit(a, "Resend selected", "primary");
		out_html(a, "<button type=\"submit\" class=\"btn danger\""
		    " formaction=\"/admin/outbox/fail\" data-confirm=\"Fail the"
		    " selected messages for good? They will not be sent.\">"
		    "Fail selected</button></form>\n");
	}
	page_close(a);
}
