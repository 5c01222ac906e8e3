/* View of the Settings page: the settings table by group, each field with its unit, default, range, help and reason. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"
#include "settings.h"

/* How each type of setting is typed: an input's type, or a textarea. */
static const struct {
	const char	*input;		/* NULL: a textarea */
	const char	*inputmode;	/* NULL: none */
} setting_inputs[] = {
	[SETTING_INT] = { "text", "numeric" },
	[SETTING_TEXT] = { NULL, NULL },
	[SETTING_URL] = { "url", NULL },
	[SETTING_SECONDS_LIST] = { "text", "decimal" },
	[SETTING_WORDS] = { "text", NULL },
	[SETTING_ZONE] = { "text", NULL },
};

void
view_settings_open(struct adm *a, int status, const struct settings_page *sp)
{
	page_open(a, status, SECTION_SETTINGS, "Settings");
	out_html(a, "<link rel=\"stylesheet\" href=\"/admin/static/"
	    "settings.css\">\n");
	out_html(a, "<h1>Settings</h1><p class=\"help\">The installation's"
	    " settings, as <code>ibchannel settings list</code> shows them."
	    " Saving here is <code>ibchannel settings set</code>; the same"
	    " checks apply, and every change is logged with your name."
	    " Use default is <code>ibchannel settings unset</code>.</p>\n");
	page_notice(a);
	if (sp->error != NULL)
		callout(a, "bad", "Not saved:", sp->name != NULL ?
		    "the value below was refused; nothing changed." :
		    sp->error);
	if (sp->error_all != NULL)
		callout(a, "bad", "Not saved:", sp->error_all);
}

void
view_settings_group_open(struct adm *a, const char *title)
{
	out_html(a, "<section class=\"panel settings-group\"><h2>");
	out_text(a, title);
	out_html(a, "</h2>\n");
}

void
view_settings_group_close(struct adm *a)
{
	out_html(a, "</section>\n");
}

/* The line under a field: range or length, default, and when a change is used. */
static void
setting_facts(struct adm *a, const struct setting_def *d)
{
	out_html(a, "<p class=\"help facts\" id=\"d-");
	http_html_attr(a->h, d->name);
	out_html(a, "\">");
	if (d->type == SETTING_INT)
		out_textf(a, "From %ld to %ld. ", d->min, d->max);
	else if (d->type == SETTING_SECONDS_LIST)
		out_textf(a, "Each above 0 and at most %ld. ", d->max);
	else
		out_textf(a, "At most %ld bytes. ", d->max);
	out_html(a, "Default: <code class=\"default\">");
	out_text(a, *d->def != '\0' ? d->def : "(unset)");
	out_html(a, "</code>");
	if (d->unit != NULL) {
		out_html(a, " <span class=\"unit\">");
		out_textf(a, "(%s)", d->unit);
		out_html(a, "</span>");
	}
	out_html(a, "</p>");
	if ((unsigned)d->applies < SETTING_APPLIES__MAX &&
	    *settings_applies_text[d->applies] != '\0') {
		out_html(a, "<p class=\"restart\" id=\"r-");
		http_html_attr(a->h, d->name);
		out_html(a, "\">");
		out_text(a, settings_applies_text[d->applies]);
		out_html(a, "</p>");
	}
}

void
view_setting(struct adm *a, const struct setting_view *v)
{
	const struct setting_def	*d = v->d;
	const char			*input = "text", *mode = NULL;

	if ((unsigned)d->type < sizeof(setting_inputs) /
	    sizeof(setting_inputs[0])) {
		input = setting_inputs[d->type].input;
		mode = setting_inputs[d->type].inputmode;
	}
	out_html(a, "<form method=\"post\" novalidate class=\"setting\""
	    " action=\"/admin/settings\" id=\"s-");
	http_html_attr(a->h, d->name);
	out_html(a, "\" data-setting=\"");
	http_html_attr(a->h, d->name);
	out_html(a, "\">");
	field_hidden(a, "csrf", a->csrf);
	field_hidden(a, "name", d->name);
	out_html_either(a, v->error != NULL,
	    "<div class=\"field invalid\">",
	    "<div class=\"field\">");
	out_html(a, "<label for=\"f-");
	http_html_attr(a->h, d->name);
	out_html(a, "\"><code>");
	out_text(a, d->name);
	out_html(a, "</code></label><div class=\"setting-input\">");
	out_html_either(a, input == NULL, "<textarea rows=\"2\"",
	    "<input type=\"");
	if (input != NULL) {
		http_html_attr(a->h, input);
		out_html(a, "\"");
	}
	if (mode != NULL) {
		out_html(a, " inputmode=\"");
		http_html_attr(a->h, mode);
		out_html(a, "\"");
	}
	out_html(a, " name=\"value\" id=\"f-");
	http_html_attr(a->h, d->name);
	out_html(a, "\" aria-describedby=\"");
	if (v->error != NULL) {
		out_html(a, "e-");
		http_html_attr(a->h, d->name);
		out_html(a, " ");
	}
	out_html(a, "h-");
	http_html_attr(a->h, d->name);
	out_html(a, " d-");
	http_html_attr(a->h, d->name);
	out_html(a, "\"");
	if (v->error != NULL)
		out_html(a, " aria-invalid=\"true\"");
	if (input == NULL) {
		out_html(a, " spellcheck=\"false\">\n");
		out_text(a, v->value);
		out_html(a, "</textarea>");
	} else {
		out_html(a, " value=\"");
		http_html_attr(a->h, v->value != NULL ? v->value : "");
		out_html(a, "\">");
	}
	if (d->unit != NULL && d->type == SETTING_INT) {
		out_html(a, "<span class=\"unit\">");
		out_text(a, d->unit);
		out_html(a, "</span>");
	}
	button_submit(a, "Save", "small primary");
	out_html(a, "<button type=\"submit\" class=\"btn small ghost\""
	    " formaction=\"/admin/settings/default\">Use default</button>"
	    "</div>");
	if (v->error != NULL) {
		out_html(a, "<p class=\"error\" id=\"e-");
		http_html_attr(a->h, d->name);
		out_html(a, "\">");
		out_text(a, v->error);
		out_html(a, "</p>");
	}
	out_html(a, "<p class=\"help\" id=\"h-");
	http_html_attr(a->h, d->name);
	out_html(a, "\">");
	out_text(a, d->purpose);
	out_html(a, "</p>");
	setting_facts(a, d);
	out_html(a, "</div></form>\n");
}

void
view_settings_close(struct adm *a)
{
	page_close(a);
}
