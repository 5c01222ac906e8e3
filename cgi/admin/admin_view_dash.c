/* View of the Dashboard: tiles and server-rendered SVG charts (no script needed). */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"

#define CHART_W		700
#define CHART_H		180
#define CHART_TOP	12
#define CHART_BOTTOM	24
#define CHART_LEFT	36

/* A duration for people: "45 s", "12 min", "3.5 h", "2.0 days". */
static void
age_text(double s, char *buf, size_t bufsz)
{
	if (s < 90)
		snprintf(buf, bufsz, "%.0f s", s);
	else if (s < 90 * 60)
		snprintf(buf, bufsz, "%.0f min", s / 60);
	else if (s < 36 * 3600)
		snprintf(buf, bufsz, "%.1f h", s / 3600);
	else
		snprintf(buf, bufsz, "%.1f days", s / 86400);
}

static void
tile(struct adm *a, const char *id, const char *k, const char *v)
{
	out_html(a, "<div class=\"tile\" id=\"");
	http_html_attr(a->h, id);
	out_html(a, "\"><div class=\"k\">");
	out_text(a, k);
	out_html(a, "</div><div class=\"v\">");
	out_text(a, v);
	out_html(a, "</div></div>");
}

/* Opens an SVG chart with its title for screen readers. */
static void
svg_open(struct adm *a, const char *id, const char *label)
{
	out_html(a, "<svg class=\"chart\" id=\"");
	http_html_attr(a->h, id);
	http_printf(a->h, "\" viewBox=\"0 0 %d %d\" role=\"img\""
	    " aria-label=\"", CHART_W, CHART_H);
	http_html_attr(a->h, label);
	out_html(a, "\" xmlns=\"http://www.w3.org/2000/svg\">");
	http_printf(a->h, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\""
	    " y2=\"%d\"/>", CHART_LEFT, CHART_H - CHART_BOTTOM, CHART_W,
	    CHART_H - CHART_BOTTOM);
}

/* A bar with its value on hover. */
static void
bar(struct adm *a, const char *cls, double x, double w, double v, double max,
    const char *title)
{
	double	 plot = CHART_H - CHART_TOP - CHART_BOTTOM;
	double	 h = max > 0 ? v / max * plot : 0;

	out_html(a, "<rect class=\"");
	http_html_attr(a->h, cls);
	http_printf(a->h, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
	    " height=\"%.1f\"><title>", x, CHART_H - CHART_BOTTOM - h, w, h);
	out_text(a, title);
	out_html(a, "</title></rect>");
}

/* The y axis's top label and each day's label under the bars. */
static void
axis_labels(struct adm *a, const struct dash *d, double max, const char *unit)
{
	double	 slot = (double)(CHART_W - CHART_LEFT) / DASH_DAYS;
	size_t	 i;

	http_printf(a->h, "<text x=\"0\" y=\"%d\">", CHART_TOP + 4);
	out_textf(a, "%.0f%s", max, unit);
	out_html(a, "</text>");
	for (i = 0; i < DASH_DAYS; i += 2) {
		http_printf(a->h, "<text x=\"%.1f\" y=\"%d\">",
		    CHART_LEFT + i * slot + 2, CHART_H - 8);
		out_text(a, d->days[i].day + 5);
		out_html(a, "</text>");
	}
}

static void
chart_messages(struct adm *a, const struct dash *d)
{
	double	 slot = (double)(CHART_W - CHART_LEFT) / DASH_DAYS, max = 0;
	char	 t[128];
	size_t	 i;

	for (i = 0; i < DASH_DAYS; i++) {
		if (d->days[i].received > max)
			max = (double)d->days[i].received;
		if (d->days[i].sent > max)
			max = (double)d->days[i].sent;
	}
	max = chart_axis_max(max);
	svg_open(a, "chart-messages", "Messages in and out per day");
	for (i = 0; i < DASH_DAYS; i++) {
		snprintf(t, sizeof(t), "%s: %ld in", d->days[i].day,
		    d->days[i].received);
		bar(a, "bar-in", CHART_LEFT + i * slot + 2, slot / 2 - 3,
		    (double)d->days[i].received, max, t);
		snprintf(t, sizeof(t), "%s: %ld out", d->days[i].day,
		    d->days[i].sent);
		bar(a, "bar-out", CHART_LEFT + i * slot + slot / 2, slot / 2 - 3,
		    (double)d->days[i].sent, max, t);
	}
	axis_labels(a, d, max, "");
	out_html(a, "</svg><p class=\"legend\"><span><i class=\"in\"></i>In"
	    "</span><span><i class=\"out\"></i>Out</span></p>");
}

static void
chart_delivery(struct adm *a, const struct dash *d)
{
	double	 slot = (double)(CHART_W - CHART_LEFT) / DASH_DAYS, rate;
	char	 t[128];
	size_t	 i;

	svg_open(a, "chart-delivery", "Delivery rate per day, percent of"
	    " messages sent");
	for (i = 0; i < DASH_DAYS; i++) {
		rate = d->days[i].sent > 0 ? 100.0 * d->days[i].delivered /
		    d->days[i].sent : 0;
		snprintf(t, sizeof(t), "%s: %.1f%% delivered (%ld of %ld)",
		    d->days[i].day, rate, d->days[i].delivered,
		    d->days[i].sent);
		bar(a, "bar-ok", CHART_LEFT + i * slot + 4, slot - 8, rate, 100,
		    t);
	}
	axis_labels(a, d, 100, "%");
	out_html(a, "</svg>");
}

static void
chart_spend(struct adm *a, const struct dash *d)
{
	double	 max = 0, w, rowh = 26;
	char	 t[400];
	size_t	 i;

	for (i = 0; i < d->nconns; i++)
		if (d->conns[i].spend > max)
			max = d->conns[i].spend;
	out_html(a, "<svg class=\"chart\" id=\"chart-spend\" role=\"img\""
	    " aria-label=\"Spend per connection\""
	    " xmlns=\"http://www.w3.org/2000/svg\"");
	http_printf(a->h, " viewBox=\"0 0 %d %.0f\">", CHART_W,
	    rowh * (double)(d->nconns > 0 ? d->nconns : 1) + 4);
	for (i = 0; i < d->nconns; i++) {
		/* Room after the longest bar for its label ("12345.67 EUR"). */
		w = max > 0 ? d->conns[i].spend / max * (CHART_W - 320) : 0;
		http_printf(a->h, "<text x=\"0\" y=\"%.1f\">",
		    rowh * (double)i + 17);
		out_textf(a, "%.28s", d->conns[i].name);
		http_printf(a->h, "</text><rect class=\"bar-spend\" x=\"200\""
		    " y=\"%.1f\" width=\"%.1f\" height=\"16\"><title>",
		    rowh * (double)i + 5, w);
		snprintf(t, sizeof(t), "%s: %.4f %s", d->conns[i].name,
		    d->conns[i].spend, d->conns[i].currency);
		out_text(a, t);
		http_printf(a->h, "</title></rect><text x=\"%.1f\" y=\"%.1f\">",
		    205 + w, rowh * (double)i + 17);
		out_textf(a, "%.2f %s", d->conns[i].spend,
		    d->conns[i].currency[0] != '\0' ? d->conns[i].currency :
		    "(no price yet)");
		out_html(a, "</text>");
	}
	out_html(a, "</svg>");
}

/*
 * What the balance table says of c: "deleted", "start failed: why" (its
 * status is ERROR), its last Start's balance, or "not started yet".
 * Returns buf or a static text.
 */
static const char *
balance_text(const struct dash_conn *c, char *buf, size_t bufsz)
{
	if (!c->listed)
		return "deleted";
	if (c->status == CONN_ERROR) {
		snprintf(buf, bufsz, "start failed: %s", c->status_message[0] !=
		    '\0' ? c->status_message : "see its Logs");
		return buf;
	}
	return c->balance[0] != '\0' ? c->balance : "not started yet";
}

void
view_dash(struct adm *a, const struct dash *d)
{
	char	 v[64], t[400];
	long	 in = 0, out = 0, dl = 0;
	size_t	 i;

	for (i = 0; i < DASH_DAYS; i++) {
		in += d->days[i].received;
		out += d->days[i].sent;
		dl += d->days[i].delivered;
	}
	page_open(a, 200, SECTION_DASHBOARD, "Dashboard");
	out_html(a, "<h1>Dashboard</h1><p class=\"help\">The last 14 days"
	    " (UTC), every connection. The sender recomputes the daily"
	    " figures every minute; ");
	if (d->q.rollup_at[0] != '\0') {
		out_html(a, "these are as of ");
		out_text(a, d->q.rollup_at);
		out_html(a, " UTC.");
	} else
		out_html(a, "it has not done so yet.");
	out_html(a, "</p>\n<div class=\"tiles\">");
	snprintf(v, sizeof(v), "%ld", in);
	tile(a, "tile-in", "Messages in", v);
	snprintf(v, sizeof(v), "%ld", out);
	tile(a, "tile-out", "Messages out", v);
	if (out > 0)
		snprintf(v, sizeof(v), "%.1f%%", 100.0 * dl / out);
	else
		snprintf(v, sizeof(v), "\xe2\x80\x94");
	tile(a, "tile-rate", "Delivered", v);
	snprintf(v, sizeof(v), "%ld", d->q.outbox);
	tile(a, "tile-queue", "Outbound queue", v);
	if (d->q.outbox > 0)
		age_text(d->q.outbox_oldest_s, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "\xe2\x80\x94");
	tile(a, "tile-oldest", "Oldest queued", v);
	snprintf(v, sizeof(v), "%ld", d->q.agent_queue);
	if (d->q.agent_queue > 0) {
		size_t n = strlen(v);

		snprintf(v + n, sizeof(v) - n, " (oldest ");
		n = strlen(v);
		age_text(d->q.agent_oldest_s, v + n, sizeof(v) - n - 1);
		n = strlen(v);
		snprintf(v + n, sizeof(v) - n, ")");
	}
	tile(a, "tile-agents", "Waiting for agents", v);
	out_html(a, "</div>\n<section class=\"panel\"><h2>Messages per day"
	    "</h2>");
	chart_messages(a, d);
	out_html(a, "</section>\n<section class=\"panel\"><h2>Delivery rate"
	    "</h2>");
	chart_delivery(a, d);
	out_html(a, "</section>\n<section class=\"panel\"><h2>Spend per"
	    " connection</h2><p class=\"help\">From the prices in Infobip's"
	    " delivery reports, times the segments.</p>");
	chart_spend(a, d);
	out_html(a, "</section>\n<section class=\"panel\"><h2>Balance at the"
	    " last Start</h2><div class=\"table-wrap\"><table class=\"list\""
	    " id=\"balances\"><thead><tr><th scope=\"col\">Connection</th>"
	    "<th scope=\"col\">Started</th><th scope=\"col\">What Infobip"
	    " said</th></tr></thead><tbody>");
	for (i = 0; i < d->nconns; i++) {
		if (d->conns[i].id[0] == '\0')
			continue;
		out_html(a, "<tr><th scope=\"row\">");
		link_out(a, NULL, d->conns[i].name, "/admin/connections/%s",
		    d->conns[i].id);
		out_html(a, "</th><td>");
		out_time(a, d->conns[i].balance_at);
		out_html(a, "</td><td>");
		out_text(a, balance_text(&d->conns[i], t, sizeof(t)));
		out_html(a, "</td></tr>");
	}
	out_html(a, "</tbody></table></div></section>\n");
	page_close(a);
}
