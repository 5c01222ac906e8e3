/* The send API for another system's flows: POST /channel/{id}/messages and GET /channel/{id}/messages/{message id}. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apitoken.h"
#include "app.h"
#include "http.h"
#include "log.h"
#include "outbound.h"
#include "payload_api.h"
#include "phone.h"
#include "sendapi.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"
#include "store_api.h"

/* A refusal: the HTTP status, the reason for the client, the request member at fault. */
struct api_refusal {
	int		 status;	/* 0: none */
	const char	*field;
	char		 msg[256];
};

static void
refuse(struct api_refusal *r, int status, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
refuse(struct api_refusal *r, int status, const char *field, const char *fmt,
    ...)
{
	va_list	 ap;

	r->status = status;
	r->field = field;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/* A refusal to note in the connection's log. */
struct refusal_note {
	const char		*conn;
	const struct api_refusal *r;
};

/* Notes a refusal, counted per status, reason and minute (a writer_fn); an unknown connection notes nothing. */
static int
refusal_store(struct store *st, void *arg)
{
	struct refusal_note	*n = arg;
	struct store_connection	 c;
	char			 kind[40];
	int			 rc;

	if ((rc = store_connection_get(st, n->conn, &c)) <= 0)
		return rc;
	/* Per status and reason: the reasons' first words are fixed text. */
	snprintf(kind, sizeof(kind), "%d %.24s", n->r->status, n->r->msg);
	return store_log_counted(st, n->conn, "warn", "api", kind, "send API"
	    " request refused (%d): %s%s%s", n->r->status, n->r->msg,
	    n->r->field != NULL ? ", field " : "",
	    n->r->field != NULL ? n->r->field : "");
}

/*
 * Answers a refusal as JSON; 401 names the scheme, 405 the methods
 * allowed. conn (NULL: none) gets a counted line in its log first, so
 * that its operators see a flow using a revoked token, a stopped agent or
 * bad input; the token never goes there.
 */
static void
answer_refusal(struct http *h, const char *conn, const struct api_refusal *r,
    const char *allow)
{
	struct refusal_note	 n;
	char			*body;

	if (conn != NULL && r->status != 404 && r->status < 500) {
		n.conn = conn;
		n.r = r;
		/* A log that cannot be written changes nothing for the client. */
		(void)app_write(refusal_store, &n, 1);
	}

	if ((body = payload_api_error(r->msg, r->field)) == NULL) {
		http_error(h, 500, "out of memory");
		return;
	}
	http_open_headers(h, r->status, "application/json");
	if (r->status == 401)
		http_header(h, "WWW-Authenticate", "Bearer realm=\"ibchannel\"");
	if (r->status == 405 && allow != NULL)
		http_header(h, "Allow", allow);
	http_header(h, NULL, NULL);
	http_puts(h, body);
	http_puts(h, "\n");
	free(body);
}

/*
 * The hash of the request's bearer token. 1 with hash, 0 refused (401:
 * no Authorization, another scheme, not a token's form). The token itself
 * goes nowhere else.
 */
static int
bearer_hash(struct http *h, char *hash, struct api_refusal *r)
{
	const char	*a = http_param(h, "HTTP_AUTHORIZATION");
	char		 token[APITOKEN_SIZE];
	size_t		 n;

	if (a == NULL || *a == '\0') {
		refuse(r, 401, NULL, "no Authorization header: send"
		    " \"Authorization: Bearer TOKEN\"");
		return 0;
	}
	if (strncasecmp(a, "Bearer ", 7) != 0) {
		refuse(r, 401, NULL, "Authorization must use the Bearer"
		    " scheme");
		return 0;
	}
	for (a += 7; *a == ' '; a++)
		continue;
	for (n = strlen(a); n > 0 && a[n - 1] == ' '; n--)
		continue;
	if (n != APITOKEN_LEN) {
		refuse(r, 401, NULL, "malformed token");
		return 0;
	}
	memcpy(token, a, n);
	token[n] = '\0';
	if (!apitoken_valid(token)) {
		explicit_bzero(token, sizeof(token));
		refuse(r, 401, NULL, "malformed token");
		return 0;
	}
	n = apitoken_sha256(token, n, hash);
	explicit_bzero(token, sizeof(token));
	if (!n) {
		refuse(r, 500, NULL, "internal error");
		return 0;
	}
	return 1;
}

/*
 * Whether the token with hash may act on connection conn now: > 0 with
 * *t, 0 refused (r says why: 401, 403, 404, 409), < 0 store error.
 */
static int
authorize(struct store *st, const char *conn, const char *hash,
    struct store_token *t, struct store_connection *cp, struct api_refusal *r)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_token_by_hash(st, hash, t)) <= 0) {
		if (rc == 0)
			refuse(r, 401, NULL, "unknown token");
		return rc;
	}
	if ((rc = store_connection_get(st, conn, &c)) <= 0) {
		if (rc == 0)
			refuse(r, 404, NULL, "unknown connection");
		return rc;
	}
	if (strcmp(t->conn, conn) != 0)
		refuse(r, 403, NULL, "this token belongs to another"
		    " connection");
	else if (t->revoked_at[0] != '\0')
		refuse(r, 403, NULL, "this token was revoked");
	else if (!t->attached)
		refuse(r, 403, NULL, "the token's agent is no longer attached"
		    " to this connection");
	else if (!t->agent_running)
		refuse(r, 403, NULL, "the token's agent is stopped");
	else if (c.status != CONN_RUNNING)
		refuse(r, 409, NULL, "the connection is %s, not RUNNING: it"
		    " sends nothing now", conn_status_name(c.status));
	else {
		if (cp != NULL)
			*cp = c;
		return 1;
	}
	return 0;
}

int
sendapi_communication_valid(const char *s, const char **why)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > SENDAPI_COMMUNICATION_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n) {
		*why = "communication must be 1 to 64 upper-case letters,"
		    " digits or underscores, e.g. SPRING_OFFER";
		return 0;
	}
	return 1;
}

int
sendapi_reference_valid(const char *s, const char **why)
{
	size_t	 n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			break;
	if (n == 0 || n > SENDAPI_REFERENCE_MAX || i < n) {
		*why = "reference must be 1 to 128 printable ASCII characters"
		    " without spaces";
		return 0;
	}
	return 1;
}

/* One send, from the request's thread to the writer and back. */
struct api_job {
	/* In: */
	const char		*conn;
	const char		*token_hash;
	const struct api_request *req;
	const char		*phone;		/* "+digits" */
	const char		*request_hash;
	/* Out (set afresh each run): */
	struct api_refusal	 r;
	struct store_api_message msg;
	int			 replay;
};

/* Queues the message of job inside the writer's transaction (a writer_fn). */
static int
api_store(struct store *st, void *arg)
{
	struct api_job		*job = arg;
	struct store_token	 t;
	struct store_connection	 c;
	struct store_outbound	 o;
	char			 uid[STORE_UID_MAX], hash[APITOKEN_HASH_SIZE];
	char			 author[300];
	int64_t			 contact, session, msg;
	int			 rc, opted_out, opened;

	memset(&job->r, 0, sizeof(job->r));
	memset(&job->msg, 0, sizeof(job->msg));
	job->replay = 0;
	/* Again here: the token may have been revoked since the first look. */
	if ((rc = authorize(st, job->conn, job->token_hash, &t, &c,
	    &job->r)) <= 0)
		return rc;
	if (job->req->reference != NULL && (rc = store_api_send_find(st,
	    job->conn, t.agent, job->req->reference, uid, hash)) != 0) {
		if (rc < 0)
			return -1;
		if (strcmp(hash, job->request_hash) != 0) {
			refuse(&job->r, 422, "reference", "reference already"
			    " used for message %s with another to, text or"
			    " communication; use a new reference for a new"
			    " message", uid);
			return 1;
		}
		job->replay = 1;
		return store_api_message_get(st, job->conn, t.agent, uid,
		    &job->msg) > 0 ? 1 : -1;
	}
	if (store_contact_get(st, job->phone, &contact, &opted_out) < 0 ||
	    store_session_open(st, job->conn, contact, 0,
	    settings_get_long(st, SET_SESSION_TIMEOUT_MINUTES), &session,
	    &opened) < 0)
		return -1;
	snprintf(author, sizeof(author), "api:%s", t.agent_name);
	memset(&o, 0, sizeof(o));
	o.conn = job->conn;
	o.session = session;
	o.contact = contact;
	o.author = author;
	o.sender = c.sender;
	o.recipient = job->phone;
	o.text = job->req->text;
	/* Never sent, as the sender would fail it: said at once instead. */
	if (opted_out)
		o.fail_reason = "the contact opted out";
	if (outbound_queue(st, &o, &msg, uid) <= 0 ||
	    store_api_send_add(st, msg, t.id, t.agent, job->conn,
	    job->req->reference, job->req->communication,
	    job->request_hash) <= 0 ||
	    store_session_touch(st, session) < 0)
		return -1;
	if (opted_out && store_log_counted(st, job->conn, "info", "api",
	    "opted out", "API message %s to %s not sent: the contact opted"
	    " out", uid, job->phone) < 0)
		return -1;
	return store_api_message_get(st, job->conn, t.agent, uid,
	    &job->msg) > 0 ? 1 : -1;
}

/* The token's check before any body is read, on this thread's own connection. 1 go on, 0 answered. */
static int
check_token(struct http *h, const char *conn, char *hash,
    struct store_token *t, const char *allow)
{
	struct api_refusal	 r;
	struct store		*st;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if (!bearer_hash(h, hash, &r)) {
		answer_refusal(h, conn, &r, allow);
		return 0;
	}
	if ((st = app_store()) == NULL ||
	    (rc = authorize(st, conn, hash, t, NULL, &r)) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return 0;
	}
	if (rc == 0) {
		answer_refusal(h, conn, &r, allow);
		return 0;
	}
	return 1;
}

/* Answers a message: status with its JSON, and where to read it again. */
static void
answer_message(struct http *h, int status, const char *conn,
    const struct store_api_message *m, int replay)
{
	struct payload_api_message	 pm = {
		.uid = m->uid, .status = m->status, .recipient = m->recipient,
		.reference = m->reference, .communication = m->communication,
		.infobip_id = m->infobip_id, .status_group = m->status_group,
		.status_name = m->status_name,
		.status_description = m->status_description,
		.error_name = m->error_name,
		.error_description = m->error_description,
		.created_at = m->created_at, .updated_at = m->updated_at,
		.sent_at = m->sent_at, .done_at = m->done_at,
		.price = m->price, .currency = m->currency,
		.segments = m->segments,
	};
	char				*body, where[256];

	if ((body = payload_api_message(&pm, replay)) == NULL) {
		http_error(h, 500, "out of memory");
		return;
	}
	snprintf(where, sizeof(where), "/channel/%s/messages/%s", conn,
	    m->uid);
	http_open_headers(h, status, "application/json");
	http_header(h, "Location", where);
	http_header(h, NULL, NULL);
	if (strcmp(http_method(h), "HEAD") != 0) {
		http_puts(h, body);
		http_puts(h, "\n");
	}
	free(body);
}

void
sendapi_post(struct http *h, const char *conn)
{
	struct api_refusal	 r;
	struct api_request	 req;
	struct store_token	 t;
	struct api_job		 job;
	const char		*body, *why;
	char			 field[80];
	char			 hash[APITOKEN_HASH_SIZE], phone[PHONE_MAX];
	char			 rhash[APITOKEN_HASH_SIZE], *asked = NULL;
	size_t			 len, tl, cl;
	int			 rc, status;

	memset(&r, 0, sizeof(r));
	memset(&req, 0, sizeof(req));
	if (strcmp(http_method(h), "POST") != 0) {
		refuse(&r, 405, NULL, "method not allowed; use POST");
		answer_refusal(h, conn, &r, "POST");
		return;
	}
	if (!check_token(h, conn, hash, &t, "POST"))
		return;
	if (!http_content_is_json(h)) {
		refuse(&r, 415, NULL, "Content-Type must be application/json"
		    " (UTF-8: no charset, or charset=utf-8; each parameter"
		    " once)");
		goto refused;
	}
	if ((rc = http_body(h, SENDAPI_BODY_MAX, &body, &len)) <= 0) {
		if (rc == 0)
			refuse(&r, 413, NULL, "body larger than %d KiB",
			    SENDAPI_BODY_MAX / 1024);
		else
			refuse(&r, 400, NULL, "body could not be read");
		goto refused;
	}
	if ((rc = payload_api_parse(body, len, &req, &status, field,
	    sizeof(field), r.msg, sizeof(r.msg))) < 0) {
		http_error(h, 500, "out of memory");
		return;
	}
	if (rc == 0) {
		r.status = status;
		r.field = field[0] != '\0' ? field : NULL;
		goto refused;
	}
	if (!phone_normalize(req.to, phone, sizeof(phone), &why))
		refuse(&r, 422, "to", "invalid phone number: %s", why);
	else if (!smstext_check(req.text, &why))
		refuse(&r, 422, "text", "%s", why);
	else if (req.communication != NULL &&
	    !sendapi_communication_valid(req.communication, &why))
		refuse(&r, 422, "communication", "%s", why);
	else if (req.reference != NULL &&
	    !sendapi_reference_valid(req.reference, &why))
		refuse(&r, 422, "reference", "%s", why);
	if (r.status != 0)
		goto refused;

	/* What was asked, as one string to hash: a retry must ask the same. */
	tl = strlen(req.text);
	cl = req.communication != NULL ? strlen(req.communication) : 0;
	if ((asked = malloc(PHONE_MAX + tl + cl + 3)) == NULL) {
		http_error(h, 500, "out of memory");
		goto out;
	}
	len = (size_t)snprintf(asked, PHONE_MAX + 1, "%s", phone) + 1;
	memcpy(asked + len, req.text, tl + 1);
	len += tl + 1;
	memcpy(asked + len, req.communication != NULL ? req.communication :
	    "", cl + 1);
	len += cl + 1;
	if (!apitoken_sha256(asked, len, rhash)) {
		http_error(h, 500, "internal error");
		goto out;
	}

	memset(&job, 0, sizeof(job));
	job.conn = conn;
	job.token_hash = hash;
	job.req = &req;
	job.phone = phone;
	job.request_hash = rhash;
	if (app_write(api_store, &job, 1) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		goto out;
	}
	if (job.r.status != 0) {
		answer_refusal(h, conn, &job.r, "POST");
		goto out;
	}
	answer_message(h, job.replay ? 200 : 202, conn, &job.msg, job.replay);
	goto out;
refused:
	answer_refusal(h, conn, &r, "POST");
out:
	free(asked);
	payload_api_free(&req);
}

void
sendapi_get(struct http *h, const char *conn, const char *uid)
{
	struct api_refusal		 r;
	struct store_token		 t;
	struct store_api_message	 m;
	struct store			*st;
	char				 hash[APITOKEN_HASH_SIZE];
	size_t				 n = strlen(uid);
	int				 rc;

	memset(&r, 0, sizeof(r));
	if (strcmp(http_method(h), "GET") != 0 &&
	    strcmp(http_method(h), "HEAD") != 0) {
		refuse(&r, 405, NULL, "method not allowed; use GET");
		answer_refusal(h, conn, &r, "GET, HEAD");
		return;
	}
	if (!check_token(h, conn, hash, &t, "GET, HEAD"))
		return;
	if (n == 0 || n >= STORE_UID_MAX ||
	    strspn(uid, "0123456789abcdef") != n) {
		refuse(&r, 404, NULL, "unknown message");
		answer_refusal(h, NULL, &r, NULL);
		return;
	}
	if ((st = app_store()) == NULL ||
	    (rc = store_api_message_get(st, conn, t.agent, uid, &m)) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (rc == 0) {
		refuse(&r, 404, NULL, "unknown message, or not sent with this"
		    " token's agent and connection");
		answer_refusal(h, NULL, &r, NULL);
		return;
	}
	answer_message(h, 200, conn, &m, 0);
}

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

void
sendapi_docs(struct http *h, const char *base, const char *conn)
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
