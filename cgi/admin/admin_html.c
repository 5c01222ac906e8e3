/* The admin's layout and widgets: every page's frame, form fields, status dots; values escaped by context here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_view.h"
#include "campaign.h"
#include "http.h"
#include "settings.h"

/* The navigation: section, label, link. */
static const struct {
	enum admin_section	 section;
	const char		*label;
	const char		*href;
	enum ops_right		 right;
} nav[] = {
	{ SECTION_CHANNELS, "Channels", "/admin/", OPS_READ },
	{ SECTION_AGENTS, "AI Agents", "/admin/agents", OPS_READ },
	{ SECTION_SESSIONS, "Sessions", "/admin/sessions", OPS_READ },
	{ SECTION_CAMPAIGNS, "Campaigns", "/admin/campaigns", OPS_READ },
	{ SECTION_DASHBOARD, "Dashboard", "/admin/dashboard", OPS_READ },
	{ SECTION_OUTBOX, "Outbox", "/admin/outbox", OPS_READ },
	{ SECTION_USERS, "Users", "/admin/users", OPS_CONFIGURE },
	{ SECTION_SETTINGS, "Settings", "/admin/settings", OPS_CONFIGURE },
};

/* The notices a redirect may name with ?done=: a closed set, never text from the address. */
static const struct {
	const char	*key;
	const char	*text;
} notices[] = {
	{ "created", "Saved. Click Start to validate the key and go live." },
	{ "saved", "Saved." },
	{ "started", "Started: the connection is RUNNING." },
	{ "stopped", "Stopped." },
	{ "deleted", "Deleted." },
	{ "env-set", "Variable saved; it takes effect at the next Start." },
	{ "env-removed", "Variable removed; this takes effect at the next"
	    " Start." },
	{ "agent-created", "Agent saved. Attach it to a connection and start"
	    " it." },
	{ "agent-started", "Agent started: it answers now." },
	{ "agent-stopped", "Agent stopped: it answers nothing until started"
	    " again." },
	{ "attached", "Connection attached." },
	{ "detached", "Connection detached." },
	{ "token-revoked", "API token revoked: the send API refuses it from"
	    " now on." },
	{ "takenover", "You answer this session now; the AI is silent." },
	{ "released", "Handed back to the AI." },
	{ "replied", "Reply queued; its status shows below." },
	{ "closed", "Session closed." },
	{ "user-saved", "User saved." },
	{ "user-deleted", "User deleted." },
	{ "setting-saved", "Setting saved." },
	{ "setting-default", "Setting back to its default." },
	{ "outbox-resent", "Queued to be sent again: the sender sends it as"
	    " new." },
	{ "outbox-failed", "Failed: it will not be sent." },
	{ "camp-started", "Campaign started: the sender releases its"
	    " recipients under the throttle and window." },
	{ "camp-paused", "Campaign paused: nothing more is released until"
	    " you resume it." },
	{ "camp-resumed", "Campaign resumed." },
	{ "camp-canceled", "Campaign canceled: the recipients not yet sent"
	    " are counted canceled." },
};

void
out_html_literal(struct adm *a, const char *markup)
{
	http_puts(a->h, markup);
}

void
out_text(struct adm *a, const char *s)
{
	http_html_text(a->h, s != NULL ? s : "");
}

void
out_textf(struct adm *a, const char *fmt, ...)
{
	char	 buf[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	http_html_text(a->h, buf);
}

/* Text formatted with printf, escaped for an attribute value. */
static void
out_attrf(struct adm *a, const char *fmt, va_list ap)
{
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	http_html_attr(a->h, buf);
}

/*
 * The zone the admin shows times in (the admin_time_zone setting), read
 * once per request; UTC when unset, unreadable or no longer a zone.
 */
static const char *
admin_zone(struct adm *a)
{
	if (a->tz[0] != '\0')
		return a->tz;
	if (a->st == NULL || settings_get(a->st, SET_ADMIN_TIME_ZONE, a->tz,
	    sizeof(a->tz)) <= 0 || !campaign_tz_valid(a->tz))
		snprintf(a->tz, sizeof(a->tz), "UTC");
	return a->tz;
}

void
out_time(struct adm *a, const char *at)
{
	const char	*zone = admin_zone(a);
	struct tm	 tm;
	time_t		 t;
	char		 shown[96];

	if (at == NULL || *at == '\0') {
		out_html(a, "\xe2\x80\x94");	/* an em dash */
		return;
	}
	/*
	 * Stored "2026-11-29 20:53:01.123" (UTC) is shown to the second in
	 * the admin's zone, named in the text; the title keeps it all, UTC.
	 */
	memset(&tm, 0, sizeof(tm));
	if (strcmp(zone, "UTC") != 0 && sscanf(at, "%4d-%2d-%2d %2d:%2d:%2d",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		if ((t = timegm(&tm)) == (time_t)-1 ||
		    !campaign_localtime(zone, t, &tm) ||
		    strftime(shown, sizeof(shown), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			zone = "UTC";
	} else
		zone = "UTC";
	if (strcmp(zone, "UTC") == 0)
		snprintf(shown, sizeof(shown), "%.19s", at);
	out_html(a, "<time datetime=\"");
	http_html_attr(a->h, at);
	out_html(a, "\" title=\"");
	http_html_attr(a->h, at);
	out_html(a, " UTC\">");
	out_text(a, shown);
	out_html(a, " ");
	out_text(a, zone);
	out_html(a, "</time>");
}

void
page_open(struct adm *a, int status, enum admin_section section,
    const char *title)
{
	size_t	 i;

	http_open(a->h, status, "text/html; charset=utf-8");
	out_html(a, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    " initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"same-origin\"><title>");
	out_text(a, title);
	out_html(a, " \xc2\xb7 ibchannel admin</title>"
	    "<link rel=\"stylesheet\" href=\"/admin/static/admin.css\">"
	    "<script src=\"/admin/static/admin.js\" defer></script>"
	    "</head>\n<body>\n<header class=\"top\">"
	    "<a class=\"brand\" href=\"/admin/\">ibchannel</a>"
	    "<nav aria-label=\"Sections\">");
	for (i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
		if (a->user[0] != '\0' && !admin_can(a, nav[i].right))
			continue;
		out_html(a, "<a href=\"");
		http_html_attr(a->h, nav[i].href);
		out_html_either(a, nav[i].section == section,
		    "\" aria-current=\"page\">",
		    "\">");
		out_text(a, nav[i].label);
		out_html(a, "</a>");
	}
	out_html(a, "</nav>");
	if (a->user[0] != '\0') {
		out_html(a, "<span class=\"who\" id=\"who\">");
		out_text(a, a->user);
		out_html(a, " <span class=\"role\">");
		out_text(a, user_role_name(a->role));
		out_html(a, "</span></span>");
	}
	out_html(a, "</header>\n");
	if (a->noauth)
		out_html(a, "<p class=\"banner\" id=\"noauth\" role=\"note\">"
		    "No sign-in: IBCHANNEL_ADMIN_NO_AUTH=1 lets anyone on this"
		    " machine in as an administrator. It is meant for"
		    " <code>make run</code> only; a real installation puts the"
		    " admin behind the web server's authentication.</p>\n");
	out_html(a, "<main>\n");
}

void
page_close(struct adm *a)
{
	out_html(a, "\n</main>\n</body></html>\n");
}

void
page_notice(struct adm *a)
{
	const char	*done = form_get(&a->q, "done");
	size_t		 i;

	if (done == NULL)
		return;
	for (i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(done, notices[i].key) == 0) {
			out_html(a, "<p class=\"notice\" role=\"status\""
			    " id=\"notice\">");
			out_text(a, notices[i].text);
			out_html(a, "</p>\n");
			return;
		}
}

void
conn_choice_label(const struct store_connection *c, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%.200s (%.20s, %.8s)", c->name, c->sender, c->id);
}

int
page_done(struct adm *a, const char *key)
{
	const char	*done = form_get(&a->q, "done");

	return done != NULL && strcmp(done, key) == 0;
}

void
form_open(struct adm *a, const char *cls, const char *fmt, ...)
{
	va_list	 ap;

	/* The server checks every field and says what is wrong next to it. */
	out_html(a, "<form method=\"post\" novalidate");
	if (cls != NULL) {
		out_html(a, " class=\"");
		http_html_attr(a->h, cls);
		out_html(a, "\"");
	}
	out_html(a, " action=\"");
	va_start(ap, fmt);
	out_attrf(a, fmt, ap);
	va_end(ap);
	out_html(a, "\">");
	field_hidden(a, "csrf", a->csrf);
}

void
form_close(struct adm *a)
{
	out_html(a, "</form>\n");
}

void
form_get_open(struct adm *a, const char *cls, const char *action)
{
	out_html(a, "<form method=\"get\" class=\"");
	http_html_attr(a->h, cls);
	out_html(a, "\" action=\"");
	http_html_attr(a->h, action);
	out_html(a, "\">");
}

void
button_form(struct adm *a, const char *label, const char *cls,
    const char *confirm, const char *fmt, ...)
{
	va_list	 ap;

	out_html(a, "<form method=\"post\" class=\"inline\" action=\"");
	va_start(ap, fmt);
	out_attrf(a, fmt, ap);
	va_end(ap);
	out_html(a, "\"");
	if (confirm != NULL) {
		out_html(a, " data-confirm=\"");
		http_html_attr(a->h, confirm);
		out_html(a, "\"");
	}
	out_html(a, ">");
	field_hidden(a, "csrf", a->csrf);
	button_submit(a, label, cls);
	out_html(a, "</form>");
}

void
field_hidden(struct adm *a, const char *name, const char *value)
{
	out_html(a, "<input type=\"hidden\" name=\"");
	http_html_attr(a->h, name);
	out_html(a, "\" value=\"");
	http_html_attr(a->h, value != NULL ? value : "");
	out_html(a, "\">");
}

/* The label, the error id and the help id of a field. */
static void
field_label(struct adm *a, const char *name, const char *label, int required)
{
	out_html(a, "<label for=\"f-");
	http_html_attr(a->h, name);
	out_html(a, "\">");
	out_text(a, label);
	if (required)
		out_html(a, " <span class=\"req\" aria-hidden=\"true\">*"
		    "</span>");
	out_html(a, "</label>");
}

/* The error under a field, with an id the field points to. */
static void
field_error(struct adm *a, const char *name, const char *error)
{
	if (error == NULL)
		return;
	out_html(a, "<p class=\"error\" id=\"e-");
	http_html_attr(a->h, name);
	out_html(a, "\">");
	out_text(a, error);
	out_html(a, "</p>");
}

void
field_out(struct adm *a, const struct field *f)
{
	int	 area = strcmp(f->type, "textarea") == 0;

	out_html_either(a, f->error != NULL,
	    "<div class=\"field invalid\">",
	    "<div class=\"field\">");
	field_label(a, f->name, f->label, f->required);
	out_html_either(a, area, "<textarea", "<input type=\"");
	if (!area) {
		http_html_attr(a->h, f->type);
		out_html(a, "\"");
	}
	out_html(a, " id=\"f-");
	http_html_attr(a->h, f->name);
	out_html(a, "\" name=\"");
	http_html_attr(a->h, f->name);
	out_html(a, "\"");
	if (f->required)
		out_html(a, " required");
	if (f->autocomplete != NULL) {
		out_html(a, " autocomplete=\"");
		http_html_attr(a->h, f->autocomplete);
		out_html(a, "\"");
	}
	if (f->placeholder != NULL) {
		out_html(a, " placeholder=\"");
		http_html_attr(a->h, f->placeholder);
		out_html(a, "\"");
	}
	if (f->error != NULL) {
		out_html(a, " aria-invalid=\"true\" aria-describedby=\"e-");
		http_html_attr(a->h, f->name);
		out_html(a, "\"");
	} else if (f->help != NULL) {
		out_html(a, " aria-describedby=\"h-");
		http_html_attr(a->h, f->name);
		out_html(a, "\"");
	}
	if (area) {
		http_printf(a->h, " rows=\"%d\" spellcheck=\"false\">",
		    f->rows > 0 ? f->rows : 4);
		/* A leading newline after <textarea> is dropped by parsers: keep one of ours. */
		out_html(a, "\n");
		out_text(a, f->value);
		out_html(a, "</textarea>");
	} else {
		if (f->value != NULL) {
			out_html(a, " value=\"");
			http_html_attr(a->h, f->value);
			out_html(a, "\"");
		}
		out_html(a, ">");
	}
	field_error(a, f->name, f->error);
	if (f->help != NULL) {
		out_html(a, "<p class=\"help\" id=\"h-");
		http_html_attr(a->h, f->name);
		out_html(a, "\">");
		out_text(a, f->help);
		out_html(a, "</p>");
	}
	out_html(a, "</div>\n");
}

void
form_view_read(struct adm *a, const struct ops_form *form, void *of)
{
	size_t	 i;

	for (i = 0; i < form->n; i++)
		ops_form_set(&form->field[i], of, arg(a, form->field[i].name));
}

void
form_view_fill(struct form_view *v, const struct ops_form *form,
    const void *of)
{
	size_t	 i;

	memset(v, 0, sizeof(*v));
	v->form = form;
	for (i = 0; i < form->n; i++)
		v->value[i] = ops_form_get(&form->field[i], of);
}

void
form_view_again(struct form_view *v, const struct ops_form *form,
    const void *of, const struct ops_error *e)
{
	size_t	 i;
	int	 shown = 0;

	form_view_fill(v, form, of);
	for (i = 0; i < form->n; i++) {
		if (form->field[i].kind == OPS_FIELD_SECRET)
			v->value[i] = NULL;
		if ((v->error[i] = ops_error_for(e, form->field[i].name)) !=
		    NULL)
			shown = 1;
	}
	if (!shown && e->n > 0)
		v->error_all = ops_error_text(e);
}

/* How each kind of field is typed in the browser. */
static const char *const field_types[] = {
	[OPS_FIELD_TEXT] = "text",
	[OPS_FIELD_LINES] = "textarea",
	[OPS_FIELD_SECRET] = "text",
	[OPS_FIELD_CHOICE] = "select",
	[OPS_FIELD_DATETIME] = "datetime-local",
};

void
form_view_fields(struct adm *a, const struct form_view *v, size_t from,
    size_t to)
{
	const struct ops_field	*t;
	struct field		 fl;
	size_t			 i;

	for (i = from; i < to && i < v->form->n; i++) {
		t = &v->form->field[i];
		if (t->kind == OPS_FIELD_CHOICE) {
			field_select(a, t->name, t->label, v->options[i],
			    v->value[i], v->error[i]);
			continue;
		}
		fl = (struct field){ .name = t->name, .label = t->label,
		    .type = field_types[t->kind], .value = v->value[i],
		    .error = v->error[i], .required = t->required,
		    .rows = t->lines,
		    .help = v->help[i] != NULL ? v->help[i] : v->edit &&
		    t->help_edit != NULL ? t->help_edit : t->help,
		    .placeholder = v->placeholder[i] != NULL ?
		    v->placeholder[i] : t->placeholder,
		    .autocomplete = t->flags & OPS_FIELD_NOFILL ? "off" : NULL };
		field_out(a, &fl);
	}
}

void
field_select(struct adm *a, const char *name, const char *label,
    const char *const *options, const char *value, const char *error)
{
	out_html_either(a, error != NULL,
	    "<div class=\"field invalid\">",
	    "<div class=\"field\">");
	field_label(a, name, label, 0);
	out_html(a, "<select id=\"f-");
	http_html_attr(a->h, name);
	out_html(a, "\" name=\"");
	http_html_attr(a->h, name);
	out_html(a, "\">");
	for (; options[0] != NULL; options += 2) {
		out_html(a, "<option value=\"");
		http_html_attr(a->h, options[0]);
		out_html_either(a, value != NULL &&
		    strcmp(value, options[0]) == 0, "\" selected>", "\">");
		out_text(a, options[1]);
		out_html(a, "</option>");
	}
	out_html(a, "</select>");
	field_error(a, name, error);
	out_html(a, "</div>\n");
}

void
field_switch(struct adm *a, const char *name, const char *label, int on)
{
	out_html(a, "<label class=\"switch\"><input type=\"checkbox\""
	    " role=\"switch\" value=\"1\" name=\"");
	http_html_attr(a->h, name);
	out_html_either(a, on, "\" checked>", "\">");
	out_html(a, "<span class=\"track\" aria-hidden=\"true\"></span> ");
	out_text(a, label);
	out_html(a, "</label>");
}

void
button_submit(struct adm *a, const char *label, const char *cls)
{
	out_html(a, "<button type=\"submit\" class=\"btn");
	if (cls != NULL) {
		out_html(a, " ");
		http_html_attr(a->h, cls);
	}
	out_html(a, "\">");
	out_text(a, label);
	out_html(a, "</button>");
}

/* The dot's CSS class and the word shown for each status. */
static const struct {
	const char	*status;
	const char	*cls;
} dots[] = {
	{ "STOPPED", "stopped" },
	{ "STARTING", "starting" },
	{ "RUNNING", "running" },
	{ "STOPPING", "starting" },
	{ "ERROR", "error" },
};

void
status_dot(struct adm *a, const char *status, const char *message)
{
	const char	*cls = "stopped";
	size_t		 i;

	for (i = 0; i < sizeof(dots) / sizeof(dots[0]); i++)
		if (strcmp(status, dots[i].status) == 0)
			cls = dots[i].cls;
	out_html(a, "<span class=\"status\" title=\"");
	http_html_attr(a->h, status);
	if (message != NULL && *message != '\0') {
		out_html(a, ": ");
		http_html_attr(a->h, message);
	}
	out_html(a, "\"><span class=\"dot ");
	http_html_attr(a->h, cls);
	out_html(a, "\" data-status=\"");
	http_html_attr(a->h, status);
	out_html(a, "\" aria-hidden=\"true\"></span><span class=\"status-word\">");
	out_text(a, status);
	out_html(a, "</span>");
	if (message != NULL && *message != '\0' &&
	    strcmp(status, "ERROR") == 0) {
		out_html(a, "<span class=\"sr\">: ");
		out_text(a, message);
		out_html(a, "</span>");
	}
	out_html(a, "</span>");
}

void
callout(struct adm *a, const char *cls, const char *title, const char *text)
{
	out_html(a, "<div class=\"callout ");
	http_html_attr(a->h, cls);
	out_html(a, "\" role=\"note\"><strong>");
	out_text(a, title);
	out_html(a, "</strong> ");
	out_text(a, text);
	out_html(a, "</div>\n");
}

void
copy_url(struct adm *a, const char *id, const char *label, const char *url)
{
	out_html(a, "<div class=\"copy\"><span class=\"copy-label\">");
	out_text(a, label);
	out_html(a, "</span><code id=\"");
	http_html_attr(a->h, id);
	out_html(a, "\">");
	out_text(a, url);
	out_html(a, "</code><button type=\"button\" class=\"btn small"
	    " ghost\" data-copy=\"");
	http_html_attr(a->h, id);
	out_html(a, "\" hidden>Copy</button></div>\n");
}

void
link_out(struct adm *a, const char *cls, const char *text,
    const char *fmt, ...)
{
	va_list	 ap;

	out_html(a, "<a");
	if (cls != NULL) {
		out_html(a, " class=\"");
		http_html_attr(a->h, cls);
		out_html(a, "\"");
	}
	out_html(a, " href=\"");
	va_start(ap, fmt);
	out_attrf(a, fmt, ap);
	va_end(ap);
	out_html(a, "\">");
	out_text(a, text);
	out_html(a, "</a>");
}

void
admin_fail(struct adm *a, int status, const char *msg)
{
	page_open(a, status, SECTION_CHANNELS, http_reason(status));
	out_html(a, "<h1>");
	out_textf(a, "%d %s", status, http_reason(status));
	out_html(a, "</h1><p class=\"lead\" id=\"why\">");
	out_text(a, msg);
	out_html(a, "</p>");
	page_close(a);
}

void
admin_store_error(struct adm *a)
{
	admin_fail(a, 503, "The store is unavailable just now; try again in"
	    " a moment.");
}

void
admin_redirect(struct adm *a, const char *notice, const char *fmt, ...)
{
	char	 path[1024], loc[1200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(loc, sizeof(loc), "/admin%s%s%s", path, notice == NULL ? "" :
	    strchr(path, '?') != NULL ? "&done=" : "?done=",
	    notice != NULL ? notice : "");
	http_open_headers(a->h, 303, "text/plain; charset=utf-8");
	http_header(a->h, "Location", loc);
	http_header(a->h, NULL, NULL);
	http_puts(a->h, "See ");
	http_puts(a->h, loc);
	http_puts(a->h, "\n");
}

void
view_list_failed(struct adm *a)
{
	out_html(a, "<p class=\"callout bad\" role=\"alert\">The store"
	    " failed while reading this list: it may be incomplete. Reload"
	    " the page.</p>");
}

const char *
url_encode(const char *s, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0;
	unsigned char		 c;

	if (outsz == 0)
		return out;
	for (; s != NULL && *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				break;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}

double
chart_axis_max(double v)
{
	static const double	 steps[] = { 1, 2, 5 };
	double			 p;
	size_t			 i;

	for (p = 1; p < 1e15; p *= 10)
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			if (steps[i] * p >= v)
				return steps[i] * p;
	return v;
}
