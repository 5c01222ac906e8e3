/* Views of an agent's send API tokens: New API token per attachment, the token shown once, the list with Revoke. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"
#include "store_api.h"

void
view_agent_tokens_open(struct adm *a, const struct agent_panel *p)
{
	out_html(a, "<section class=\"panel\" id=\"api-tokens\""
	    " aria-labelledby=\"h-api-tokens\"><h2 id=\"h-api-tokens\">"
	    "API tokens</h2><p class=\"help\">A token lets another system's"
	    " flow send SMS through one of this agent's connections"
	    " (<code>POST /channel/{id}/messages</code>, described on the"
	    " connection's public docs page). It works while the connection"
	    " and this agent are running. Only a hash is kept: a new token"
	    " is shown once.</p>");
	if (p->token_error != NULL)
		callout(a, "bad", "Refused:", p->token_error);
	if (p->new_token != NULL) {
		out_html(a, "<div class=\"callout warn\" role=\"note\""
		    " id=\"new-token\"><strong>New API token for connection ");
		out_text(a, p->new_token_conn != NULL ? p->new_token_conn :
		    "");
		out_html(a, ":</strong> copy it now, it is not shown again."
		    "<div class=\"copy\"><code id=\"new-token-value\">");
		out_text(a, p->new_token);
		out_html(a, "</code><button type=\"button\" class=\"btn small"
		    " ghost\" data-copy=\"new-token-value\" hidden>Copy"
		    "</button></div></div>\n");
	}
	if (admin_can(a, OPS_CONFIGURE))
		out_html(a, "<ul class=\"plain\" id=\"token-buttons\">");
}

int
view_agent_token_button(const struct store_agent_channel *c, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;

	out_html(a, "<li data-conn=\"");
	http_html_attr(a->h, c->conn);
	out_html(a, "\">");
	button_form(a, "New API token", "small", NULL,
	    "/admin/agents/%lld/tokens?conn=%s", (long long)c->agent, c->conn);
	out_html(a, " for ");
	out_text(a, c->conn_name);
	out_html(a, " <span class=\"meta\">");
	out_text(a, c->conn);
	out_html(a, "</span></li>\n");
	lc->rows++;
	return 1;
}

void
view_agent_tokens_table(struct adm *a, int attachments)
{
	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "</ul>");
		if (attachments == 0)
			out_html(a, "<p class=\"empty\">Attach a connection to"
			    " make a token for it.</p>");
	}
	out_html(a, "<table class=\"list stack-sm\" id=\"tokens\"><thead><tr>"
	    "<th>Token</th><th>Connection</th><th>Made</th><th>State</th>"
	    "<th></th></tr></thead><tbody>\n");
}

int
view_agent_token_row(const struct store_token *t, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;

	out_html(a, "<tr class=\"token\" data-token=\"");
	out_textf(a, "%lld", (long long)t->id);
	out_html(a, "\"><td><code>");
	out_textf(a, "%s...", t->prefix);
	out_html(a, "</code> <span class=\"meta\">#");
	out_textf(a, "%lld", (long long)t->id);
	out_html(a, "</span></td><td>");
	out_text(a, t->conn_name);
	out_html(a, "</td><td>");
	out_time(a, t->created_at);
	out_html(a, " by ");
	out_text(a, t->created_by);
	out_html(a, "</td><td>");
	if (t->revoked_at[0] != '\0') {
		out_html(a, "<span class=\"badge grey\">revoked</span> ");
		out_time(a, t->revoked_at);
		out_html(a, " by ");
		out_text(a, t->revoked_by);
	} else if (!t->attached)
		out_html(a, "<span class=\"badge bad\">not attached</span>");
	else
		out_html(a, "<span class=\"badge ok\">active</span>");
	out_html(a, "</td><td>");
	if (t->revoked_at[0] == '\0' && admin_can(a, OPS_CONFIGURE))
		button_form(a, "Revoke", "small danger ghost",
		    "Revoke this token? Flows using it stop sending.",
		    "/admin/agents/%lld/tokens/revoke?id=%lld",
		    (long long)t->agent, (long long)t->id);
	out_html(a, "</td></tr>\n");
	lc->rows++;
	return 1;
}

void
view_agent_tokens_close(struct adm *a, int rows)
{
	out_html(a, "</tbody></table>");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">No API tokens.</p>");
	out_html(a, "</section>\n");
}
