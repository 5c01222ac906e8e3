/* Views of the Campaigns pages: the list with progress bars, the New campaign form, a campaign's page with its chart and recipients. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_campaign.h"
#include "admin_view.h"
#include "http.h"
#include "payload_admin.h"

#define CHART_W		700
#define CHART_H		200
#define CHART_TOP	12
#define CHART_BOTTOM	24
#define CHART_LEFT	40

/*
 * The progress bar's segments, in the order drawn; planned recipients
 * are the empty rest of the bar. Each class has its colour in
 * campaign.css and is the key of its number in the status JSON.
 */
static const enum rcpt_status segs[] = {
	RCPT_DELIVERED, RCPT_REPLIED, RCPT_SENT, RCPT_QUEUED, RCPT_FAILED,
	RCPT_SKIPPED, RCPT_CANCELED,
};

/* The campaign's page and list link their script and styles themselves. */
static void
camp_assets(struct adm *a)
{
	out_html(a, "<link rel=\"stylesheet\" href=\"/admin/static/"
	    "campaign.css\"><script src=\"/admin/static/campaign.js\" defer>"
	    "</script>\n");
}

/* Recipients no longer waiting to be sent: everything but planned and queued. */
static int64_t
camp_done(const struct ops_campaign_view *v)
{
	return v->total - v->counts[RCPT_PLANNED] - v->counts[RCPT_QUEUED];
}

static int
camp_pct(const struct ops_campaign_view *v)
{
	return v->total > 0 ? (int)(100 * camp_done(v) / v->total) : 0;
}

/* Whether the page refreshes the campaign's progress: it is moving, or reports are still to come. */
static int
camp_moving(const struct ops_campaign_view *v)
{
	return v->state == CAMP_SCHEDULED || v->state == CAMP_RUNNING ||
	    v->counts[RCPT_QUEUED] > 0 || v->counts[RCPT_SENT] > 0;
}

static void
state_badge(struct adm *a, enum campaign_state s)
{
	static const char *const cls[CAMP_STATE__MAX] = {
		[CAMP_DRAFT] = "grey", [CAMP_SCHEDULED] = "",
		[CAMP_RUNNING] = "ok", [CAMP_PAUSED] = "warn",
		[CAMP_COMPLETED] = "ok", [CAMP_CANCELED] = "bad",
	};

	out_html(a, "<span class=\"badge camp-state ");
	http_html_attr(a->h, s < CAMP_STATE__MAX ? cls[s] : "");
	out_html(a, "\" data-k=\"state\">");
	out_text(a, campaign_state_name(s));
	out_html(a, "</span>");
}

/*
 * The progress bar: stacked segments (widths inline, so no script is
 * needed), then every number and the percentage done as text.
 */
static void
progress_bar(struct adm *a, const struct ops_campaign_view *v)
{
	size_t	 i;
	double	 w;
	char	 label[512];
	int	 n;

	out_html(a, "<div class=\"cprog\" data-campaign=\"");
	http_printf(a->h, "%" PRId64, v->id);
	out_html(a, "\" data-state=\"");
	http_html_attr(a->h, campaign_state_name(v->state));
	out_html(a, "\"");
	if (camp_moving(v))
		out_html(a, " data-poll=\"1\"");
	n = snprintf(label, sizeof(label), "%d%% done of %" PRId64
	    " recipients", camp_pct(v), v->total);
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]) && n > 0 &&
	    (size_t)n < sizeof(label); i++)
		n += snprintf(label + n, sizeof(label) - (size_t)n, ", %s %"
		    PRId64, rcpt_status_name(segs[i]), v->counts[segs[i]]);
	out_html(a, "><div class=\"cbar\" role=\"img\" aria-label=\"");
	http_html_attr(a->h, label);
	out_html(a, "\">");
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		w = v->total > 0 ? 100.0 * (double)v->counts[segs[i]] /
		    (double)v->total : 0;
		out_html(a, "<span class=\"seg s-");
		http_html_attr(a->h, rcpt_status_name(segs[i]));
		out_html(a, "\" data-seg=\"");
		http_html_attr(a->h, rcpt_status_name(segs[i]));
		http_printf(a->h, "\" style=\"width: %.3f%%\"></span>", w);
	}
	out_html(a, "</div><p class=\"cnums\"><span class=\"pct\"><b"
	    " data-k=\"pct\">");
	http_printf(a->h, "%d", camp_pct(v));
	out_html(a, "</b>% done</span> <span class=\"n n-planned\">planned"
	    " <b data-k=\"planned\">");
	http_printf(a->h, "%" PRId64, v->counts[RCPT_PLANNED]);
	out_html(a, "</b></span>");
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		out_html(a, " <span class=\"n n-");
		http_html_attr(a->h, rcpt_status_name(segs[i]));
		out_html(a, "\"><i aria-hidden=\"true\"></i>");
		out_text(a, rcpt_status_name(segs[i]));
		out_html(a, " <b data-k=\"");
		http_html_attr(a->h, rcpt_status_name(segs[i]));
		http_printf(a->h, "\">%" PRId64 "</b></span>",
		    v->counts[segs[i]]);
	}
	out_html(a, " <span class=\"n n-total\">of <b data-k=\"total\">");
	http_printf(a->h, "%" PRId64, v->total);
	out_html(a, "</b></span></p></div>");
}

void
view_camp_status_json(struct adm *a, const struct ops_campaign_view *v)
{
	const char	*names[RCPT__MAX];
	int		 i;

	for (i = 0; i < RCPT__MAX; i++)
		names[i] = rcpt_status_name((enum rcpt_status)i);
	http_json(a->h, 200, payload_campaign_status(campaign_state_name(
	    v->state), v->total, camp_done(v), camp_pct(v), names, v->counts,
	    RCPT__MAX));
}

/* --- The list ------------------------------------------------------------ */

void
view_camp_list_open(struct adm *a)
{
	page_open(a, 200, SECTION_CAMPAIGNS, "Campaigns");
	camp_assets(a);
	out_html(a, "<div class=\"page-head\"><h1>Campaigns</h1>");
	if (admin_can(a, OPS_CONFIGURE))
		out_html(a, "<div class=\"actions\"><a class=\"btn primary\""
		    " id=\"add-campaign\" href=\"/admin/campaigns/new\">New"
		    " campaign</a></div>");
	out_html(a, "</div>\n");
	page_notice(a);
	out_html(a, "<div class=\"table-wrap\"><table class=\"list stack-sm\""
	    " id=\"campaigns\"><thead><tr><th scope=\"col\">Name</th>"
	    "<th scope=\"col\">Connection</th><th scope=\"col\">Agent</th>"
	    "<th scope=\"col\">State</th><th scope=\"col\" class=\"wide\">"
	    "Progress</th></tr></thead><tbody>\n");
}

int
view_camp_list_row(const struct ops_campaign_view *v, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;

	http_printf(a->h, "<tr data-id=\"%" PRId64 "\"><th scope=\"row\">",
	    v->id);
	link_out(a, "camp-name", v->name, "/admin/campaigns/%" PRId64, v->id);
	out_html(a, "</th><td>");
	out_text(a, v->connection_name);
	out_html(a, "</td><td>");
	out_text(a, v->agent_name);
	out_html(a, "</td><td>");
	state_badge(a, v->state);
	out_html(a, "</td><td class=\"wide\">");
	progress_bar(a, v);
	out_html(a, "</td></tr>\n");
	lc->rows++;
	return 1;
}

/* Ends the list; paged: not the first page; next: the cursor of the next page (0: none). */
void
view_camp_list_close(struct adm *a, int rows, int paged, int64_t next)
{
	out_html(a, "</tbody></table></div>\n");
	if (rows == 0 && !paged)
		out_html(a, "<p class=\"empty\">No campaigns yet. A campaign"
		    " sends one text, filled in from a CSV file, to each of"
		    " its recipients through a connection.</p>\n");
	else if (rows == 0)
		out_html(a, "<p class=\"empty\">No older campaigns.</p>\n");
	if (paged || next > 0) {
		out_html(a, "<nav class=\"pager\" aria-label=\"Campaign"
		    " pages\">");
		if (paged)
			link_out(a, "btn", "Newest", "/admin/campaigns");
		if (next > 0)
			link_out(a, "btn next", "Older campaigns",
			    "/admin/campaigns?before=%" PRId64, next);
		out_html(a, "</nav>\n");
	}
	page_close(a);
}

/* --- New campaign -------------------------------------------------------- */

/* The CSV file input with its progress bar (shown by the script while it uploads). */
static void
file_field(struct adm *a, const char *error, long max_mb)
{
	char	 help[400];

	out_html_either(a, error != NULL,
	    "<div class=\"field invalid\">",
	    "<div class=\"field\">");
	out_html(a, "<label for=\"f-csv\">Recipients (CSV file) <span"
	    " class=\"req\" aria-hidden=\"true\">*</span></label><input"
	    " type=\"file\" id=\"f-csv\" name=\"csv\" accept=\".csv,.txt,"
	    "text/csv,text/plain\"");
	out_html_either(a, error != NULL, " aria-invalid=\"true\""
	    " aria-describedby=\"e-csv\">", " aria-describedby=\"h-csv\">");
	if (error != NULL) {
		out_html(a, "<p class=\"error\" id=\"e-csv\">");
		out_text(a, error);
		out_html(a, "</p>");
	}
	snprintf(help, sizeof(help), "A header row with a phone column and any"
	    " other fields (they fill the {{field}} placeholders; a timezone"
	    " column sets each recipient's zone). UTF-8, comma or semicolon"
	    " separated. At most %ld MiB.", max_mb);
	out_html(a, "<p class=\"help\" id=\"h-csv\">");
	out_text(a, help);
	out_html(a, "</p><div class=\"upload-progress\" hidden><progress"
	    " max=\"100\" value=\"0\"></progress> <span class=\"upload-text\""
	    " role=\"status\"></span></div></div>\n");
}

/* Opens a form that carries a file, with its CSRF token first: the server checks it before it stores any of the file. */
static void
upload_form_open(struct adm *a, const char *id, const char *action)
{
	out_html(a, "<form method=\"post\" enctype=\"multipart/form-data\""
	    " novalidate class=\"stack upload\" data-upload=\"1\" id=\"");
	http_html_attr(a->h, id);
	out_html(a, "\" action=\"");
	http_html_attr(a->h, action);
	out_html(a, "\">");
	field_hidden(a, "csrf", a->csrf);
}

void
view_camp_new(struct adm *a, int status, const struct camp_form *f)
{
	struct form_view	 v;
	char			 tzhelp[200], rate[32], ratehelp[200];

	page_open(a, status, SECTION_CAMPAIGNS, "New campaign");
	camp_assets(a);
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/campaigns\">"
	    "Campaigns</a></p><h1>New campaign</h1>\n<section class=\"panel\">");
	upload_form_open(a, "camp-form", "/admin/campaigns/new");
	v = f->fv;
	if (v.error_all != NULL)
		callout(a, "bad", "Not created:", v.error_all);
	snprintf(tzhelp, sizeof(tzhelp), "An IANA zone name; empty: %s.",
	    f->tz_default != NULL ? f->tz_default : "the installation's");
	v.help[OPS_CAMP_TZ] = tzhelp;
	v.placeholder[OPS_CAMP_TZ] = f->tz_default;
	snprintf(rate, sizeof(rate), "%ld", f->rate_default);
	snprintf(ratehelp, sizeof(ratehelp), "Messages per minute, 1 to"
	    " 60000; empty: %ld.", f->rate_default);
	v.help[OPS_CAMP_RATE] = ratehelp;
	v.placeholder[OPS_CAMP_RATE] = rate;
	form_view_fields(a, &v, OPS_CAMP_NAME, OPS_CAMP_TEXT);
	out_html(a, "<p class=\"help note\">The campaign sends under the agent's"
	    " attachment to the connection (Inbound on or off); replies"
	    " reach the connection's inbound agent.</p>\n");
	form_view_fields(a, &v, OPS_CAMP_TEXT, OPS_CAMP_START);
	out_html(a, "<div class=\"inline-fields\">");
	form_view_fields(a, &v, OPS_CAMP_START, OPS_CAMP_WINDOW);
	out_html(a, "</div><div class=\"inline-fields\">");
	form_view_fields(a, &v, OPS_CAMP_WINDOW, OPS_CAMP__MAX);
	out_html(a, "</div>");
	file_field(a, f->err_csv, f->upload_max_mb);
	out_html(a, "<div class=\"actions\">");
	button_submit(a, "Create and import", "primary");
	out_html(a, "<a class=\"btn ghost\" href=\"/admin/campaigns\">Cancel"
	    "</a></div><p class=\"help\">The campaign is created as a draft:"
	    " you see what was imported and a preview of the first messages"
	    " before you start it.</p>");
	form_close(a);
	out_html(a, "</section>\n");
	page_close(a);
}

/* --- A campaign's page --------------------------------------------------- */

static void
fact(struct adm *a, const char *label, const char *value, const char *id)
{
	out_html(a, "<dt>");
	out_text(a, label);
	out_html(a, "</dt><dd");
	if (id != NULL) {
		out_html(a, " id=\"");
		http_html_attr(a->h, id);
		out_html(a, "\"");
	}
	out_html(a, ">");
	out_text(a, value != NULL && *value != '\0' ? value : "\xe2\x80\x94");
	out_html(a, "</dd>");
}

/* What an import just did: the counts, the rejected lines. */
static void
import_report(struct adm *a, const struct camp_import *imp)
{
	size_t	 i;

	out_html(a, "<section class=\"panel\" id=\"import\"><h2>Import");
	if (imp->filename != NULL && *imp->filename != '\0') {
		out_html(a, " of <code>");
		out_text(a, imp->filename);
		out_html(a, "</code>");
	}
	out_html(a, "</h2>");
	if (imp->error != NULL) {
		callout(a, "bad", "The file was not imported:", imp->error);
		out_html(a, "</section>\n");
		return;
	}
	out_html(a, "<p class=\"lead\" id=\"import-counts\">");
	out_textf(a, "imported %" PRIu64 ", rejected %" PRIu64,
	    imp->res.imported, imp->res.rejected);
	out_html(a, "</p><p class=\"help\">");
	out_textf(a, "%" PRIu64 " data lines read.", imp->res.lines);
	out_html(a, "</p>");
	if (imp->nrej > 0) {
		out_html(a, "<div class=\"table-wrap\"><table class=\"list\""
		    " id=\"rejects\"><thead><tr><th scope=\"col\""
		    " class=\"num\">Line</th><th scope=\"col\">Why it was"
		    " rejected</th></tr></thead><tbody>");
		for (i = 0; i < imp->nrej; i++) {
			http_printf(a->h, "<tr><td class=\"num\">%" PRIu64
			    "</td><td class=\"text\">", imp->rej[i].line);
			out_text(a, imp->rej[i].reason);
			out_html(a, "</td></tr>");
		}
		out_html(a, "</tbody></table></div>");
		if (imp->more > 0) {
			out_html(a, "<p class=\"help\" id=\"rejects-more\">");
			out_textf(a, "and %" PRIu64 " more rejected lines not"
			    " listed.", imp->more);
			out_html(a, "</p>");
		}
	}
	out_html(a, "</section>\n");
}

/* Start, Pause, Resume, Cancel: each only where the state allows it. */
static void
camp_actions(struct adm *a, const struct ops_campaign_view *v)
{
	char	 confirm[200];

	if (!admin_can(a, OPS_CONFIGURE))
		return;
	out_html(a, "<div class=\"actions\" id=\"camp-actions\">");
	if (v->state == CAMP_DRAFT)
		button_form(a, v->start_local[0] != '\0' ? "Schedule" :
		    "Start", "primary camp-start", NULL,
		    "/admin/campaigns/%lld/start", (long long)v->id);
	if (v->state == CAMP_SCHEDULED || v->state == CAMP_RUNNING)
		button_form(a, "Pause", "camp-pause", NULL,
		    "/admin/campaigns/%lld/pause", (long long)v->id);
	if (v->state == CAMP_PAUSED)
		button_form(a, "Resume", "primary camp-resume", NULL,
		    "/admin/campaigns/%lld/resume", (long long)v->id);
	if (v->state != CAMP_COMPLETED && v->state != CAMP_CANCELED) {
		snprintf(confirm, sizeof(confirm), "Cancel campaign %s? The"
		    " recipients not yet sent will never get it.", v->name);
		button_form(a, "Cancel campaign", "danger ghost camp-cancel",
		    confirm, "/admin/campaigns/%lld/cancel", (long long)v->id);
	}
	out_html(a, "</div>");
}

void
view_camp_open(struct adm *a, int status, const struct camp_page *p)
{
	const struct ops_campaign_view	*v = p->v;
	char				 t[300];

	snprintf(t, sizeof(t), "Campaign %s", v->name);
	page_open(a, status, SECTION_CAMPAIGNS, t);
	camp_assets(a);
	out_html(a, "<p class=\"crumbs\"><a href=\"/admin/campaigns\">"
	    "Campaigns</a></p><div class=\"page-head\"><h1 id=\"camp-name\"");
	http_printf(a->h, " data-url=\"/admin/campaigns/%" PRId64 "\">", v->id);
	out_text(a, v->name);
	out_html(a, "</h1>");
	state_badge(a, v->state);
	camp_actions(a, v);
	out_html(a, "</div>\n");
	page_notice(a);
	if (p->action_error != NULL)
		callout(a, "bad", "Refused:", p->action_error);
	if (p->conn_warning != NULL)
		callout(a, "warn conn-warning", "Not sending:", p->conn_warning);
	out_html(a, "<section class=\"panel\" id=\"progress\"><h2>Progress"
	    "</h2>");
	progress_bar(a, v);
	out_html(a, "<p class=\"help\"><a id=\"export\" href=\"");
	http_printf(a->h, "/admin/campaigns/%" PRId64 "/export.csv", v->id);
	out_html(a, "\">Export the results (CSV)</a>. A value that a"
	    " spreadsheet would read as a formula (starting with =, +, - or"
	    " @, as a phone number's + does) has a <code>'</code> put before"
	    " it: remove it when you need the number itself.</p></section>\n");
	if (p->imp != NULL)
		import_report(a, p->imp);
	if (admin_can(a, OPS_CONFIGURE) && (v->state == CAMP_DRAFT ||
	    v->state == CAMP_SCHEDULED || v->state == CAMP_PAUSED)) {
		out_html(a, "<details class=\"panel\" id=\"more-recipients\"");
		out_html_either(a, p->imp != NULL && p->imp->error != NULL,
		    " open>", ">");
		out_html(a, "<summary><h2>Import more recipients</h2>"
		    "</summary>");
		snprintf(t, sizeof(t), "/admin/campaigns/%" PRId64 "/import",
		    v->id);
		upload_form_open(a, "import-form", t);
		file_field(a, NULL, p->upload_max_mb);
		out_html(a, "<div class=\"actions\">");
		button_submit(a, "Import", NULL);
		out_html(a, "</div>");
		form_close(a);
		out_html(a, "</details>\n");
	}
}

void
view_camp_preview_open(struct adm *a)
{
	out_html(a, "<section class=\"panel\" id=\"preview\"><h2>The first"
	    " messages</h2><p class=\"help\">As they will be sent: the text"
	    " filled in for the first recipients.</p><ul class=\"plain"
	    " previews\">");
}

int
view_camp_preview_row(const char *phone, const char *text, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;

	out_html(a, "<li><span class=\"mono to\">");
	out_text(a, phone);
	out_html(a, "</span><p class=\"msg-text\">");
	out_text(a, text);
	out_html(a, "</p></li>");
	lc->rows++;
	return 1;
}

void
view_camp_preview_close(struct adm *a, int rows, int failed)
{
	out_html(a, "</ul>");
	if (failed)
		view_list_failed(a);
	else if (rows == 0)
		out_html(a, "<p class=\"empty\">No recipients yet: import a"
		    " CSV file.</p>");
	out_html(a, "</section>\n");
}

/* One series of the chart: its class, its label, its value in a period. */
static const struct {
	const char	*cls;
	const char	*label;
	size_t		 off;
} series[] = {
	{ "c-sent", "sent", offsetof(struct camp_period, sent) },
	{ "c-delivered", "delivered", offsetof(struct camp_period, delivered) },
	{ "c-failed", "failed", offsetof(struct camp_period, failed) },
	{ "c-replied", "replied", offsetof(struct camp_period, replied) },
};

static int64_t
series_value(const struct camp_period *p, size_t k)
{
	return *(const int64_t *)(const void *)((const char *)p +
	    series[k].off);
}

void
view_camp_chart(struct adm *a, const struct camp_series *s)
{
	double	 max = 0, slot, bw, h, plot = CHART_H - CHART_TOP - CHART_BOTTOM;
	size_t	 i, k, every;
	char	 t[160];

	out_html(a, "<section class=\"panel\" id=\"over-time\"><h2>Over time"
	    "</h2>");
	if (s->failed)
		view_list_failed(a);
	if (s->n == 0) {
		out_html(a, "<p class=\"empty\">Nothing sent yet.</p>"
		    "</section>\n");
		return;
	}
	for (i = 0; i < s->n; i++)
		for (k = 0; k < sizeof(series) / sizeof(series[0]); k++)
			if ((double)series_value(&s->p[i], k) > max)
				max = (double)series_value(&s->p[i], k);
	max = chart_axis_max(max);
	slot = (double)(CHART_W - CHART_LEFT) / (double)s->n;
	/* Four bars a period, never wider than 16 units when periods are few. */
	bw = (slot - 2) / 4 > 0.5 ? (slot - 2) / 4 : 0.5;
	if (bw > 16)
		bw = 16;
	http_printf(a->h, "<svg class=\"chart\" id=\"camp-chart\" viewBox=\"0"
	    " 0 %d %d\" role=\"img\" aria-label=\"Recipients sent, delivered,"
	    " failed and replied per period\""
	    " xmlns=\"http://www.w3.org/2000/svg\">", CHART_W, CHART_H);
	http_printf(a->h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\""
	    " y2=\"%d\"/><text x=\"0\" y=\"%d\">%.0f</text>", CHART_LEFT,
	    CHART_H - CHART_BOTTOM, CHART_W, CHART_H - CHART_BOTTOM,
	    CHART_TOP + 4, max);
	every = s->n / 8 + 1;
	for (i = 0; i < s->n; i++) {
		for (k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
			h = max > 0 ? (double)series_value(&s->p[i], k) / max *
			    plot : 0;
			out_html(a, "<rect class=\"");
			http_html_attr(a->h, series[k].cls);
			http_printf(a->h, "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\""
			    " height=\"%.2f\"><title>", CHART_LEFT + (double)i *
			    slot + 1 + (double)k * bw, CHART_H - CHART_BOTTOM - h,
			    bw, h);
			snprintf(t, sizeof(t), "%s: %" PRId64 " %s",
			    s->p[i].period, series_value(&s->p[i], k),
			    series[k].label);
			out_text(a, t);
			out_html(a, "</title></rect>");
		}
		if (i % every == 0) {
			http_printf(a->h, "<text x=\"%.1f\" y=\"%d\">",
			    CHART_LEFT + (double)i * slot + 1, CHART_H - 8);
			/* "YYYY-MM-DD HH:MM": the time is what tells periods apart. */
			out_text(a, strlen(s->p[i].period) > 11 ?
			    s->p[i].period + 11 : s->p[i].period);
			out_html(a, "</text>");
		}
	}
	out_html(a, "</svg><p class=\"legend\">");
	for (k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
		out_html(a, "<span><i class=\"");
		http_html_attr(a->h, series[k].cls);
		out_html(a, "\"></i>");
		out_text(a, series[k].label);
		out_html(a, "</span>");
	}
	out_textf(a, "%s to %s (UTC)", s->p[0].period, s->p[s->n - 1].period);
	out_html(a, "</p></section>\n");
}

void
view_camp_recipients_open(struct adm *a, const struct camp_page *p)
{
	char	 action[64];
	int	 i;

	out_html(a, "<section class=\"panel\" id=\"recipients-panel\"><h2>"
	    "Recipients</h2>");
	snprintf(action, sizeof(action), "/admin/campaigns/%" PRId64,
	    p->v->id);
	form_get_open(a, "filters", action);
	out_html(a, "<div class=\"field\"><label for=\"f-status\">Status"
	    "</label><select id=\"f-status\" name=\"status\"><option"
	    " value=\"any\">Any</option>");
	for (i = 0; i < RCPT__MAX; i++) {
		out_html(a, "<option value=\"");
		http_html_attr(a->h, rcpt_status_name((enum rcpt_status)i));
		out_html_either(a, p->status == (enum rcpt_status)i,
		    "\" selected>",
		    "\">");
		out_text(a, rcpt_status_name((enum rcpt_status)i));
		http_printf(a->h, " (%" PRId64 ")</option>", p->v->counts[i]);
	}
	out_html(a, "</select></div><div class=\"field\"><label"
	    " for=\"f-phone\">Number starts with</label><input type=\"text\""
	    " id=\"f-phone\" name=\"phone\" inputmode=\"tel\""
	    " placeholder=\"+4915\" value=\"");
	http_html_attr(a->h, p->phone);
	out_html(a, "\"></div><button class=\"btn\" type=\"submit\">Filter"
	    "</button></form>");
	if (p->filter_error != NULL)
		callout(a, "warn", "Filter:", p->filter_error);
	out_html(a, "<div class=\"table-wrap\"><table class=\"list stack-sm\""
	    " id=\"recipients\"><thead><tr><th scope=\"col\" class=\"num\">"
	    "Line</th><th scope=\"col\">Number</th><th scope=\"col\">Status"
	    "</th><th scope=\"col\">Reason</th><th scope=\"col\""
	    " class=\"num\">Message</th><th scope=\"col\">Changed</th></tr>"
	    "</thead><tbody>");
}

int
view_camp_recipient_row(const struct ops_recipient_row *r, void *arg)
{
	struct camp_page	*p = arg;
	struct adm		*a = p->a;

	http_printf(a->h, "<tr data-status=\"%s\"><td class=\"num\">%" PRIu64
	    "</td><td class=\"mono phone\">", rcpt_status_name(r->status),
	    r->line);
	out_text(a, r->phone);
	out_html(a, "</td><td><span class=\"badge rs-");
	http_html_attr(a->h, rcpt_status_name(r->status));
	out_html(a, "\">");
	out_text(a, rcpt_status_name(r->status));
	out_html(a, "</span></td><td class=\"text\">");
	out_text(a, r->reason);
	out_html(a, "</td><td class=\"num\">");
	if (r->message_id > 0)
		http_printf(a->h, "%" PRId64, r->message_id);
	else
		out_html(a, "\xe2\x80\x94");
	out_html(a, "</td><td>");
	out_time(a, r->updated_at);
	out_html(a, "</td></tr>");
	p->rows++;
	return 1;
}

void
view_camp_recipients_close(struct adm *a, const struct camp_page *p,
    int failed)
{
	char	 phone[64], status[32];

	out_html(a, "</tbody></table></div>");
	if (failed)
		view_list_failed(a);
	else if (p->rows == 0)
		out_html(a, "<p class=\"empty\">No recipient matches.</p>");
	url_encode(p->phone, phone, sizeof(phone));
	snprintf(status, sizeof(status), "%s", p->status < RCPT__MAX ?
	    rcpt_status_name(p->status) : "any");
	out_html(a, "<nav class=\"pager\" aria-label=\"Recipient pages\">");
	if (p->after > 0)
		link_out(a, "btn", "First page", "/admin/campaigns/%" PRId64
		    "?status=%s&phone=%s", p->v->id, status, phone);
	if (p->rows == CAMP_RCPT_PAGE)
		link_out(a, "btn next", "Next page", "/admin/campaigns/%"
		    PRId64 "?status=%s&phone=%s&after=%" PRId64, p->v->id,
		    status, phone, p->last);
	out_html(a, "</nav></section>\n");
}

void
view_camp_close(struct adm *a, const struct camp_page *p)
{
	const struct ops_campaign_view	*v = p->v;
	char				 rate[32];

	out_html(a, "<section class=\"panel\" id=\"settings\"><h2>Settings"
	    "</h2><dl class=\"facts\">");
	out_html(a, "<dt>Connection</dt><dd id=\"camp-connection\">");
	link_out(a, NULL, v->connection_name, "/admin/connections/%s",
	    v->connection_id);
	out_html(a, "</dd><dt>Agent</dt><dd id=\"camp-agent\">");
	link_out(a, NULL, v->agent_name, "/admin/agents/%" PRId64,
	    v->agent_id);
	out_html(a, "</dd>");
	fact(a, "Start", v->start_local[0] != '\0' ? v->start_local :
	    "when started", "start-at");
	fact(a, "Time zone", v->tz, "camp-tz");
	fact(a, "Sending window", v->window[0] != '\0' ? v->window :
	    "any time", "camp-window");
	snprintf(rate, sizeof(rate), "%d per minute", v->rate);
	fact(a, "Throttle", rate, "camp-rate");
	fact(a, "Created", v->created_at, NULL);
	fact(a, "Started", v->started_at, NULL);
	fact(a, "Ended", v->ended_at, NULL);
	out_html(a, "</dl><h3>Text</h3><pre id=\"camp-text\">");
	out_text(a, v->text);
	out_html(a, "</pre></section>\n");
	page_close(a);
}
