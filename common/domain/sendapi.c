/* What the send API decides: token authorisation, request checks, queueing and the message read. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apitoken.h"
#include "outbound.h"
#include "payload_api.h"
#include "phone.h"
#include "sendapi.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"
#include "store_api.h"

void
sendapi_refuse(struct sendapi_refusal *r, int status, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	r->status = status;
	r->field = field;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

int
sendapi_refusal_note(struct store *st, void *arg)
{
	struct sendapi_refusal_note	*n = arg;
	struct store_connection		 c;
	char				 kind[40];
	int				 rc;

	if ((rc = store_connection_get(st, n->conn, &c)) <= 0)
		return rc;
	/* Per status and reason: the reasons' first words are fixed text. */
	snprintf(kind, sizeof(kind), "%d %.24s", n->r->status, n->r->msg);
	return store_log_counted(st, n->conn, "warn", "api", kind, "send API"
	    " request refused (%d): %s%s%s", n->r->status, n->r->msg,
	    n->r->field != NULL ? ", field " : "",
	    n->r->field != NULL ? n->r->field : "");
}

int
sendapi_bearer_hash(const char *a, char *hash, struct sendapi_refusal *r)
{
	char	 token[APITOKEN_SIZE];
	size_t	 n;

	if (a == NULL || *a == '\0') {
		sendapi_refuse(r, 401, NULL, "no Authorization header: send"
		    " \"Authorization: Bearer TOKEN\"");
		return 0;
	}
	if (strncasecmp(a, "Bearer ", 7) != 0) {
		sendapi_refuse(r, 401, NULL, "Authorization must use the"
		    " Bearer scheme");
		return 0;
	}
	for (a += 7; *a == ' '; a++)
		continue;
	for (n = strlen(a); n > 0 && a[n - 1] == ' '; n--)
		continue;
	if (n != APITOKEN_LEN) {
		sendapi_refuse(r, 401, NULL, "malformed token");
		return 0;
	}
	memcpy(token, a, n);
	token[n] = '\0';
	if (!apitoken_valid(token)) {
		explicit_bzero(token, sizeof(token));
		sendapi_refuse(r, 401, NULL, "malformed token");
		return 0;
	}
	n = apitoken_sha256(token, n, hash);
	explicit_bzero(token, sizeof(token));
	if (!n) {
		sendapi_refuse(r, 500, NULL, "internal error");
		return 0;
	}
	return 1;
}

int
sendapi_authorize(struct store *st, const char *conn, const char *hash,
    struct store_token *t, struct store_connection *cp,
    struct sendapi_refusal *r)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_token_by_hash(st, hash, t)) <= 0) {
		if (rc == 0)
			sendapi_refuse(r, 401, NULL, "unknown token");
		return rc;
	}
	if ((rc = store_connection_get(st, conn, &c)) <= 0) {
		if (rc == 0)
			sendapi_refuse(r, 404, NULL, "unknown connection");
		return rc;
	}
	if (strcmp(t->conn, conn) != 0)
		sendapi_refuse(r, 403, NULL, "this token belongs to another"
		    " connection");
	else if (t->revoked_at[0] != '\0')
		sendapi_refuse(r, 403, NULL, "this token was revoked");
	else if (!t->attached)
		sendapi_refuse(r, 403, NULL, "the token's agent is no longer"
		    " attached to this connection");
	else if (!t->agent_running)
		sendapi_refuse(r, 403, NULL, "the token's agent is stopped");
	else if (c.status != CONN_RUNNING)
		sendapi_refuse(r, 409, NULL, "the connection is %s, not"
		    " RUNNING: it sends nothing now",
		    conn_status_name(c.status));
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

int
sendapi_request_check(const struct api_request *req, char *phone,
    struct sendapi_refusal *r)
{
	const char	*why;

	if (!phone_normalize(req->to, phone, PHONE_MAX, &why))
		sendapi_refuse(r, 422, "to", "invalid phone number: %s", why);
	else if (!smstext_check(req->text, &why))
		sendapi_refuse(r, 422, "text", "%s", why);
	else if (req->communication != NULL &&
	    !sendapi_communication_valid(req->communication, &why))
		sendapi_refuse(r, 422, "communication", "%s", why);
	else if (req->reference != NULL &&
	    !sendapi_reference_valid(req->reference, &why))
		sendapi_refuse(r, 422, "reference", "%s", why);
	else
		return 1;
	return 0;
}

int
sendapi_request_hash(const char *phone, const struct api_request *req,
    char *rhash)
{
	char	*asked;
	size_t	 len, tl, cl;
	int	 rc;

	/* What was asked, as one string to hash: a retry must ask the same. */
	tl = strlen(req->text);
	cl = req->communication != NULL ? strlen(req->communication) : 0;
	if ((asked = malloc(PHONE_MAX + tl + cl + 3)) == NULL)
		return -1;
	len = (size_t)snprintf(asked, PHONE_MAX + 1, "%s", phone) + 1;
	memcpy(asked + len, req->text, tl + 1);
	len += tl + 1;
	memcpy(asked + len, req->communication != NULL ?
	    req->communication : "", cl + 1);
	len += cl + 1;
	rc = apitoken_sha256(asked, len, rhash) ? 1 : 0;
	free(asked);
	return rc;
}

int
sendapi_queue(struct store *st, void *arg)
{
	struct sendapi_job	*job = arg;
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
	if ((rc = sendapi_authorize(st, job->conn, job->token_hash, &t, &c,
	    &job->r)) <= 0)
		return rc;
	if (job->req->reference != NULL && (rc = store_api_send_find(st,
	    job->conn, t.agent, job->req->reference, uid, hash)) != 0) {
		if (rc < 0)
			return -1;
		if (strcmp(hash, job->request_hash) != 0) {
			sendapi_refuse(&job->r, 422, "reference", "reference"
			    " already used for message %s with another to,"
			    " text or communication; use a new reference for"
			    " a new message", uid);
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

int
sendapi_message_get(struct store *st, const char *conn, int64_t agent,
    const char *uid, struct store_api_message *m, struct sendapi_refusal *r)
{
	size_t	 n = strlen(uid);
	int	 rc;

	if (n == 0 || n >= STORE_UID_MAX ||
	    strspn(uid, "0123456789abcdef") != n) {
		sendapi_refuse(r, 404, NULL, "unknown message");
		return 0;
	}
	if ((rc = store_api_message_get(st, conn, agent, uid, m)) == 0)
		sendapi_refuse(r, 404, NULL, "unknown message, or not sent"
		    " with this token's agent and connection");
	return rc;
}
