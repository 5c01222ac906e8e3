/* inbound.fcgi: Infobip's forwarded SMS (POST /channel/{id}/webhook/sms), the public docs page and /health. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "http.h"
#include "keyword.h"
#include "payload.h"
#include "sendapi.h"
#include "store.h"
#include "webhook.h"

/* One keyword list (comma-separated, from the settings) as the docs show it. */
static void
keywords(struct http *h, const char *words)
{
	http_puts(h, "<code>");
	http_html_text(h, *words != '\0' ? words : "(none)");
	http_puts(h, "</code>");
}
/* The webhooks the docs page lists: what each is for, and its path. */
static const struct {
	const char	*what;		/* HTML */
	const char	*rest;		/* after /channel/{id}/ */
	const char	*anchor;	/* id of its <code> */
} docs_urls[] = {
	{ "Incoming SMS: paste into the inbound configuration of your Infobip"
	    " number (forward over HTTP, JSON)", "webhook/sms", "webhook-sms" },
	{ "Delivery reports (sent automatically with every message)",
	    "webhook/reports", "webhook-reports" },
	{ "Link clicks (sent automatically with every message)",
	    "webhook/clicks", "webhook-clicks" },
};

/* The connection's public API documentation: URLs and formats, never a secret. */
static void
docs(struct http *h, const char *id)
{
	struct store_connection	 c;
	struct keyword_lists	 kl;
	struct store		*st;
	char			 base[1024];
	size_t			 i;
	int			 rc, public;

	if (strcmp(http_method(h), "GET") != 0 &&
	    strcmp(http_method(h), "HEAD") != 0) {
		app_method_not_allowed(h, "GET, HEAD");
		return;
	}
	if ((st = app_store()) == NULL ||
	    (rc = store_connection_get(st, id, &c)) < 0 ||
	    (public = config_docs_base(st, http_param(h, "REMOTE_ADDR"), base,
	    sizeof(base))) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (rc == 0) {
		http_error(h, 404, "unknown connection");
		return;
	}
	if (webhook_keywords_load(st, &kl) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	http_open(h, 200, "text/html; charset=utf-8");
	if (strcmp(http_method(h), "HEAD") == 0)
		return;
	http_puts(h, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>ibchannel: SMS connection API"
	    "</title><style>body{font-family:sans-serif;max-width:50em;"
	    "margin:2em auto;line-height:1.4}code{background:#eee;padding:"
	    "0 .2em}table{border-collapse:collapse}td,th{border:1px solid"
	    " #ccc;padding:.2em .5em;text-align:left}.warning{border:2px solid"
	    " #c60;padding:.5em}</style></head><body>\n"
	    "<h1>SMS connection API</h1>\n<p>This connection links an"
	    " Infobip SMS account to an AI agent. Infobip calls the URLs"
	    " below; all take <code>POST</code> with"
	    " <code>Content-Type: application/json</code>.</p>\n"
	    "<h2>URLs</h2>\n");
	if (!public)
		http_puts(h, "<p class=\"warning\" id=\"public-url-warning\">"
		    "<strong>Warning:</strong> this installation's public"
		    " address is not configured, so only the paths of the URLs"
		    " can be shown, and Infobip's delivery reports and link"
		    " clicks cannot arrive. Its operator must set the public URL"
		    " (the https address Infobip reaches it at); then this page"
		    " shows the full URLs.</p>\n");
	http_puts(h, "<table><tr><th>What</th><th>URL</th></tr>\n");
	for (i = 0; i < sizeof(docs_urls) / sizeof(docs_urls[0]); i++) {
		http_printf(h, "<tr><td>%s</td><td><code id=\"%s\">",
		    docs_urls[i].what, docs_urls[i].anchor);
		http_html_text(h, base);
		http_puts(h, "/channel/");
		http_html_text(h, c.id);
		http_printf(h, "/%s</code></td></tr>\n", docs_urls[i].rest);
	}
	http_puts(h, "</table>\n"
	    "<h2>Formats</h2>\n<ul><li>Incoming SMS: Infobip's forwarded"
	    " message format (MO_JSON_2): an object with a"
	    " <code>results</code> array; each item needs"
	    " <code>messageId</code>, <code>from</code> and"
	    " <code>text</code>. Each message is stored once per"
	    " <code>messageId</code>; repeats are answered 200 and"
	    " ignored.</li>\n<li>Delivery reports: Infobip's v2 or v3"
	    " report format, an object with a <code>results</code> array"
	    " of up to 2,000 reports. Status only moves forward: the first"
	    " final status Infobip reports stays, and it also replaces a"
	    " <code>failed</code> reached here without Infobip's"
	    " word.</li>\n"
	    "<li>Clicks: Infobip's URL tracking notification, one object"
	    " per request.</li>\n<li>Plain text only: media parts of a"
	    " message are noted, not fetched. Replies longer than 1600"
	    " characters are cut to 1600 ending in"
	    " <code>...</code>.</li>\n<li>Keywords, recognised when they are"
	    " the whole message (any case, surrounding spaces and punctuation"
	    " ignored): ");
	keywords(h, kl.words[KEYWORD_STOP]);
	http_puts(h, " opt the customer out; ");
	keywords(h, kl.words[KEYWORD_START]);
	http_puts(h, " opt a customer who opted out back in (from anyone"
	    " else they are an ordinary message for the agent); ");
	keywords(h, kl.words[KEYWORD_HELP]);
	http_puts(h, " get the help reply.</li>"
	    "</ul>\n<h2>Limits and answers</h2>\n<table><tr><th>Status"
	    "</th><th>Meaning</th></tr>\n<tr><td>200</td><td>Accepted; the"
	    " JSON body counts stored, duplicate and refused items (a bad"
	    " item never refuses the others).</td></tr>\n<tr><td>400</td>"
	    "<td>Body is not JSON or has no <code>results</code>"
	    ".</td></tr>\n<tr><td>404</td><td>Unknown connection.</td></tr>"
	    "\n<tr><td>405</td><td>Method other than POST.</td></tr>\n"
	    "<tr><td>413</td><td>Body larger than 1 MiB.</td></tr>\n"
	    "<tr><td>415</td><td>Content-Type is not JSON.</td></tr>\n"
	    "<tr><td>503</td><td>Store unavailable; Infobip retries"
	    " later.</td></tr></table>\n");
	sendapi_docs(h, base, c.id);
	http_puts(h, "</body></html>\n");
}

/* The write /health makes: small, but a real commit, so a store that only reads fails it. */
static int
health_write(struct store *st, void *arg)
{
	(void)arg;
	return store_heartbeat(st, "health");
}

/*
 * GET /health, for load balancers (no authentication): 200 when the store
 * opens and takes a write (through the writer, as the webhooks' writes
 * go), 503 otherwise; both say when the sender last ran.
 */
static void
health(struct http *h)
{
	struct store_heartbeat	 hb;
	struct store		*st;
	char			*body;
	int			 ok, known = 0;

	if (strcmp(http_method(h), "GET") != 0 &&
	    strcmp(http_method(h), "HEAD") != 0) {
		app_method_not_allowed(h, "GET, HEAD");
		return;
	}
	ok = (st = app_store()) != NULL && app_write(health_write, NULL, 1) > 0;
	if (st != NULL)
		known = store_heartbeat_get(st, "sender", &hb) > 0;
	if ((body = payload_health(ok, known ? hb.at : NULL, known ? hb.age_s :
	    0)) == NULL) {
		http_error(h, 500, "out of memory");
		return;
	}
	http_open(h, ok ? 200 : 503, "application/json");
	if (strcmp(http_method(h), "GET") == 0) {
		http_puts(h, body);
		http_puts(h, "\n");
	}
	free(body);
}

static void
sms(struct http *h, const char *id)
{
	app_webhook(h, id, "inbound", WEBHOOK_INBOUND);
}

static const struct app_route routes[] = {
	{ "webhook/sms", sms },
	{ "docs", docs },
	{ "messages", sendapi_post },
	{ NULL, NULL },
};

static void
handle(struct http *h)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;

	if (strcmp(http_path(h), "/health") == 0)
		health(h);
	else if (app_channel_route(http_path(h), id, &rest) &&
	    strncmp(rest, "messages/", 9) == 0)
		sendapi_get(h, id, rest + 9);
	else
		app_channel_dispatch(h, routes);
}

int
main(void)
{
	return app_run("inbound", handle);
}
