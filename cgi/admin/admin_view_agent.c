/* Views of the AI Agents pages: the list, the agent form, an agent's panel with its Communication channels card and "try it". */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"

static const char *const kinds[] = {
	"rules", "Rules (built in)",
	"http", "HTTP webhook",
	"openai", "OpenAI-compatible chat model",
	NULL, NULL,
};

void
view_agent_list_open(struct adm *a)
{
	page_open(a, 200, SECTION_AGENTS, "AI Agents");
	out_html(a, "<div class=\"page-head\"><h1>AI Agents</h1>");
	if (admin_can(a, OPS_CONFIGURE))
		out_html(a, "<a class=\"btn primary\" id=\"add-agent\""
		    " href=\"/admin/agents/new\">Add</a>");
	out_html(a, "</div>\n");
	page_notice(a);
	out_html(a, "<ul class=\"cards\" id=\"agents\">\n");
}

int
view_agent_list_row(const struct store_agent_row *r, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;
	char		 name[300];

	out_html(a, "<li class=\"card agent\">");
	status_dot(a, r->status, NULL);
	snprintf(name, sizeof(name), "%s", r->name);
	link_out(a, "name", name, "/admin/agents/%lld", (long long)r->id);
	out_html(a, "<span class=\"meta\">");
	out_text(a, r->kind);
	out_html(a, "</span><span class=\"desc\">");
	out_text(a, r->channels[0] != '\0' ? r->channels :
	    "No communication channel");
	out_html(a, "</span></li>\n");
	lc->rows++;
	return 1;
}

void
view_agent_list_close(struct adm *a, int rows)
{
	out_html(a, "</ul>\n");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">No agents yet. Add one, then"
		    " attach it to a connection.</p>");
	page_close(a);
}

/* The agent's fields, for the new agent form and the panel. */
static void
agent_fields(struct adm *a, const struct agent_form *f)
{
	struct form_view	 v = f->fv;

	v.edit = f->id != 0;
	v.options[OPS_AGENT_KIND] = kinds;
	if (v.error_all != NULL)
		callout(a, "bad", "Not saved:", v.error_all);
	form_view_fields(a, &v, 0, OPS_AGENT__MAX);
}

void
view_agent_new(struct adm *a, int status, const struct agent_form *f)
{
	page_open(a, status, SECTION_AGENTS, "New agent");
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/agents\">AI Agents"
	    "</a></p><h1>New agent</h1>\n<section class=\"panel\">");
	form_open(a, "stack", "/admin/agents/new");
	agent_fields(a, f);
	out_html(a, "<div class=\"actions\">");
	button_submit(a, "Save", "primary");
	out_html(a, "<a class=\"btn ghost\" href=\"/admin/agents\">Cancel</a>"
	    "</div>");
	form_close(a);
	out_html(a, "</section>\n");
	page_close(a);
}

void
view_agent_panel_open(struct adm *a, int status, const struct agent_panel *p,
    const struct agent_form *f)
{
	const struct store_agent	*ag = &p->v->a;

	(void)f;	/* the form comes last: view_agent_form_close */
	page_open(a, status, SECTION_AGENTS, ag->name);
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/agents\">AI Agents"
	    "</a></p>\n<div class=\"page-head\"><h1>");
	out_text(a, ag->name);
	out_html(a, "</h1><div class=\"head-status\" id=\"agent-status\">");
	status_dot(a, agent_status_name(ag->status), NULL);
	out_html(a, "</div><div class=\"actions\">");
	if (admin_can(a, OPS_CONFIGURE)) {
		if (ag->status == AGENT_RUNNING)
			button_form(a, "Stop agent", "stop", NULL,
			    "/admin/agents/%lld/stop", (long long)ag->id);
		else
			button_form(a, "Start agent", "primary start", NULL,
			    "/admin/agents/%lld/start", (long long)ag->id);
	}
	out_html(a, "</div></div>\n");
	page_notice(a);
	if (p->action_error != NULL)
		callout(a, "bad", "Refused:", p->action_error);
	out_html(a, "<section class=\"panel\" id=\"channels\""
	    " aria-labelledby=\"h-channels\"><h2 id=\"h-channels\">"
	    "Communication channels</h2>");
	if (p->attach_error != NULL)
		callout(a, "bad", "Not attached:", p->attach_error);
	out_html(a, "<ul class=\"plain\" id=\"attached\">");
}

int
view_agent_channel_row(const struct store_agent_channel *c, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;
	char		 name[300];

	out_html(a, "<li class=\"attachment\" data-conn=\"");
	http_html_attr(a->h, c->conn);
	out_html(a, "\"><span class=\"badge\">Infobip</span> ");
	snprintf(name, sizeof(name), "%s", c->conn_name);
	link_out(a, NULL, name, "/admin/connections/%s", c->conn);
	if (admin_can(a, OPS_CONFIGURE)) {
		form_open(a, "row", "/admin/agents/%lld/attach",
		    (long long)c->agent);
		field_hidden(a, "conn", c->conn);
		field_switch(a, "inbound", "Inbound", c->inbound);
		button_submit(a, "Save", "small");
		form_close(a);
		button_form(a, "Detach", "small danger ghost",
		    "Detach this connection?",
		    "/admin/agents/%lld/detach?conn=%s", (long long)c->agent,
		    c->conn);
	} else if (c->inbound)
		out_html(a, " <span class=\"badge\">Inbound</span>");
	out_html(a, "</li>\n");
	lc->rows++;
	return 1;
}

/* Starts the attach form's connection choice. */
void
view_agent_channels_add(struct adm *a, const struct agent_panel *p, int rows)
{
	out_html(a, "</ul>");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">Not attached to any"
		    " connection.</p>");
	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "<h3>Add</h3><p class=\"help\">Pick the"
		    " connection and switch Inbound on for this agent to"
		    " answer its incoming SMS. Only one agent answers a"
		    " connection's inbound SMS.</p>");
		form_open(a, "inline-fields", "/admin/agents/%lld/attach",
		    (long long)p->v->a.id);
		out_html(a, "<div class=\"field\"><label for=\"f-conn\">"
		    "Connection</label><select id=\"f-conn\" name=\"conn\">");
	}
}

void
view_agent_panel_close(struct adm *a, const struct agent_panel *p)
{
	const struct store_agent	*ag = &p->v->a;
	struct field			 fl;

	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "</select></div>");
		field_switch(a, "inbound", "Inbound", 1);
		button_submit(a, "Attach", "primary");
		form_close(a);
	}
	out_html(a, "<p class=\"help\">After attaching, restart the agent"
	    " (Stop agent, then Start agent).</p></section>\n");
	if (ag->kind == AGENT_RULES) {
		out_html(a, "<section class=\"panel\" id=\"try\""
		    " aria-labelledby=\"h-try\"><h2 id=\"h-try\">Try it</h2>"
		    "<p class=\"help\">What the agent would answer as the"
		    " first message of a session. Nothing is sent or"
		    " stored.</p>");
		form_open(a, "stack", "/admin/agents/%lld/try",
		    (long long)ag->id);
		fl = (struct field){ .name = "text", .label = "Message",
		    .type = "text", .value = p->try_text,
		    .error = p->try_error, .autocomplete = "off",
		    .placeholder = "What are your opening hours?" };
		field_out(a, &fl);
		out_html(a, "<div class=\"actions\">");
		button_submit(a, "Try", NULL);
		out_html(a, "</div>");
		form_close(a);
		if (p->tried) {
			out_html(a, "<div class=\"msg out\" id=\"try-reply\">"
			    "<p class=\"body\">");
			out_text(a, p->try_reply != NULL ? p->try_reply :
			    "(no answer: nothing matches and there is no"
			    " fallback)");
			out_html(a, "</p></div>");
		}
		out_html(a, "</section>\n");
	}
}

/* The agent's form and the delete button; ends the page. */
void
view_agent_form_close(struct adm *a, const struct agent_panel *p,
    const struct agent_form *f)
{
	out_html(a, "<section class=\"panel\" aria-labelledby=\"h-agent\">"
	    "<h2 id=\"h-agent\">Settings</h2>");
	if (admin_can(a, OPS_CONFIGURE)) {
		form_open(a, "stack", "/admin/agents/%lld",
		    (long long)p->v->a.id);
		agent_fields(a, f);
		out_html(a, "<div class=\"actions\">");
		button_submit(a, "Save", "primary");
		out_html(a, "</div>");
		form_close(a);
	} else {
		out_html(a, "<dl class=\"facts\"><dt>Kind</dt><dd>");
		out_text(a, f->fv.value[OPS_AGENT_KIND]);
		out_html(a, "</dd><dt>URL</dt><dd>");
		out_text(a, f->fv.value[OPS_AGENT_URL]);
		out_html(a, "</dd><dt>Model</dt><dd>");
		out_text(a, f->fv.value[OPS_AGENT_MODEL]);
		out_html(a, "</dd><dt>API Key</dt><dd>");
		out_text(a, f->fv.value[OPS_AGENT_API_KEY]);
		out_html(a, "</dd></dl><pre>");
		out_text(a, f->fv.value[OPS_AGENT_INSTRUCTIONS]);
		out_html(a, "</pre>");
	}
	out_html(a, "</section>\n");
	if (admin_can(a, OPS_CONFIGURE)) {
		out_html(a, "<section class=\"panel danger-zone\"><h2>Delete"
		    "</h2><p class=\"help\">A running agent must be stopped"
		    " first. Its sessions keep their messages.</p>");
		button_form(a, "Delete agent", "danger", "Delete this agent?",
		    "/admin/agents/%lld/delete", (long long)p->v->a.id);
		out_html(a, "</section>\n");
	}
	page_close(a);
}
