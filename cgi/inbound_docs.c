/* inbound.fcgi's public docs page: GET /channel/{id}/docs, the connection's URLs, formats and send API. */
#include <string.h>

#include "app.h"
#include "config.h"
#include "http.h"
#include "inbound.h"
#include "keyword.h"
#include "store.h"

/* The answers of the send API, for the docs page. */
static const struct {
	const char	*status;
	const char	*meaning;	/* HTML */
} api_answers[] = {
	{ "202", "Queued (POST): the body is the message, with its"
	    " <code>id</code> and <code>status</code>." },
	{ "200", "GET: the message. POST: a retry of a <code>reference</code>"
	    " already used, asking the same: the first message again, with"
	    " <code>\"duplicate\": true</code>; nothing new is queued." },
	{ "400", "The body is not a JSON object." },
	{ "401", "No <code>Authorization</code> header, not"
	    " <code>Bearer</code>, or an unknown token." },
	{ "403", "The token was revoked, belongs to another connection, or"
	    " its agent is stopped or no longer attached." },
	{ "404", "Unknown connection; for GET, an unknown message or one sent"
	    " with another agent's token." },
	{ "405", "Another method (the <code>Allow</code> header says"
	    " which)." },
	{ "409", "The connection is not RUNNING." },
	{ "413", "Body larger than 64 KiB." },
	{ "415", "<code>Content-Type</code> is not"
	    " <code>application/json</code> in UTF-8, or names a parameter"
	    " twice." },
	{ "422", "A member is missing, of the wrong type, unknown, given"
	    " twice or invalid (<code>field</code> names it), or the <code>reference</code> was"
	    " used before with another <code>to</code>, <code>text</code> or"
	    " <code>communication</code>." },
	{ "503", "Store unavailable: retry later (with the same"
	    " <code>reference</code>, so that it is sent once)." },
};

/* The send API's section of the page: endpoints, authentication, body, answers and errors; base is the public base URL (or "" for paths only). */
static void
send_api(struct http *h, const char *base, const char *conn)
{
	size_t	 i;

	http_puts(h, "<h2 id=\"send-api\">Send API</h2>\n<p>Another"
	    " system's flow sends SMS through this connection with a token"
	    " that belongs to one agent attached to it (Inbound on or off)."
	    " The connection's operator makes the token (admin: the agent's"
	    " page, <em>New API token</em>; command line: <code>ibchannel"
	    " token add AGENT CONNECTION</code>) and can revoke it. It works"
	    " while the connection and its agent are RUNNING.</p>\n"
	    "<table><tr><th>Request</th><th>URL</th></tr>\n"
	    "<tr><td><code>POST</code>: send a message</td>"
	    "<td><code id=\"api-send\">");
	http_html_text(h, base);
	http_puts(h, "/channel/");
	http_html_text(h, conn);
	http_puts(h, "/messages</code></td></tr>\n<tr><td><code>GET</code>:"
	    " a message's status</td><td><code id=\"api-status\">");
	http_html_text(h, base);
	http_puts(h, "/channel/");
	http_html_text(h, conn);
	http_puts(h, "/messages/{id}</code></td></tr></table>\n"
	    "<p>Both take <code>Authorization: Bearer TOKEN</code>. POST"
	    " takes <code>Content-Type: application/json</code> and an"
	    " object:</p>\n<pre>{\"to\": \"41793026727\", \"text\":"
	    " \"Your table is ready\",\n \"communication\":"
	    " \"TABLE_READY\", \"reference\": \"order-1234\"}</pre>\n"
	    "<ul><li><code>to</code> (required): the number in international"
	    " form, digits only with an optional leading <code>+</code>;"
	    " spaces, dashes or parentheses are refused.</li>\n"
	    "<li><code>text</code> (required): UTF-8, not empty, no control"
	    " characters but line breaks and tabs; longer than 1600"
	    " characters, it is cut to 1600 ending in <code>...</code>.</li>"
	    "\n<li><code>communication</code> (optional): a name for"
	    " reports, 1 to 64 upper-case letters, digits and underscores.</li>"
	    "\n<li><code>reference</code> (optional): your idempotency key,"
	    " 1 to 128 printable ASCII characters without spaces. A retry"
	    " with the same reference and the same <code>to</code>,"
	    " <code>text</code> and <code>communication</code> answers 200"
	    " with the first message instead of sending again; with"
	    " different ones it is refused (422).</li>\n"
	    "<li>Any other member is refused (422), so that a misspelt one is"
	    " not ignored.</li></ul>\n"
	    "<p>The answer is the message: <code>id</code> (use it in the"
	    " GET URL), <code>status</code> (<code>queued</code>,"
	    " <code>sending</code>, <code>accepted</code>, then"
	    " <code>delivered</code>, <code>undeliverable</code>,"
	    " <code>expired</code>, <code>rejected</code>, or"
	    " <code>failed</code> with a <code>reason</code>),"
	    " <code>to</code>, <code>reference</code>,"
	    " <code>communication</code>, the times (<code>created_at</code>,"
	    " <code>updated_at</code>, <code>sent_at</code>,"
	    " <code>done_at</code>, UTC), Infobip's word in"
	    " <code>infobip</code> (<code>message_id</code>,"
	    " <code>status_group</code>, <code>status_name</code>,"
	    " <code>status_description</code>, <code>error_name</code>,"
	    " <code>error_description</code>), <code>price</code>"
	    " (<code>amount</code> and <code>currency</code>, or null) and"
	    " <code>segments</code>. A message to a customer who opted out"
	    " (texted STOP) is accepted (202) with status"
	    " <code>failed</code> and reason <code>the contact opted"
	    " out</code>: it is never sent. Every error is a JSON object"
	    " with <code>error</code> (why) and, for 422,"
	    " <code>field</code>; nothing is queued.</p>\n"
	    "<table><tr><th>Status</th><th>Meaning</th></tr>\n");
	for (i = 0; i < sizeof(api_answers) / sizeof(api_answers[0]); i++)
		http_printf(h, "<tr><td>%s</td><td>%s</td></tr>\n",
		    api_answers[i].status, api_answers[i].meaning);
	http_puts(h, "</table>\n");
}

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

void
inbound_docs(struct http *h, const char *id)
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
	send_api(h, base, c.id);
	http_puts(h, "</body></html>\n");
}
