/* inbound.fcgi's send API: POST /channel/{id}/messages and GET /channel/{id}/messages/{message id}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "app.h"
#include "http.h"
#include "inbound.h"
#include "payload_api.h"
#include "phone.h"
#include "sendapi.h"
#include "store.h"
#include "store_api.h"

/*
 * Answers a refusal as JSON; 401 names the scheme, 405 the methods
 * allowed. conn (NULL: none) gets a counted line in its log first
 * (sendapi_refusal_note); the token never goes there.
 */
static void
answer_refusal(struct http *h, const char *conn,
    const struct sendapi_refusal *r, const char *allow)
{
	struct sendapi_refusal_note	 n;
	char				*body;

	if (conn != NULL && r->status != 404 && r->status < 500) {
		n.conn = conn;
		n.r = r;
		/* A log that cannot be written changes nothing for the client. */
		(void)app_write(sendapi_refusal_note, &n, 1);
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

/* The token's check before any body is read, on this thread's own connection. 1 go on, 0 answered. */
static int
check_token(struct http *h, const char *conn, char *hash,
    struct store_token *t, const char *allow)
{
	struct sendapi_refusal	 r;
	struct store		*st;
	int			 rc;

	memset(&r, 0, sizeof(r));
	if (!sendapi_bearer_hash(http_param(h, "HTTP_AUTHORIZATION"), hash,
	    &r)) {
		answer_refusal(h, conn, &r, allow);
		return 0;
	}
	if ((st = app_store()) == NULL ||
	    (rc = sendapi_authorize(st, conn, hash, t, NULL, &r)) < 0) {
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
inbound_api_post(struct http *h, const char *conn)
{
	struct sendapi_refusal	 r;
	struct api_request	 req;
	struct store_token	 t;
	struct sendapi_job	 job;
	const char		*body;
	char			 field[80];
	char			 hash[APITOKEN_HASH_SIZE], phone[PHONE_MAX];
	char			 rhash[APITOKEN_HASH_SIZE];
	size_t			 len;
	int			 rc, status;

	memset(&r, 0, sizeof(r));
	memset(&req, 0, sizeof(req));
	if (strcmp(http_method(h), "POST") != 0) {
		sendapi_refuse(&r, 405, NULL, "method not allowed; use POST");
		answer_refusal(h, conn, &r, "POST");
		return;
	}
	if (!check_token(h, conn, hash, &t, "POST"))
		return;
	if (!http_content_is_json(h)) {
		sendapi_refuse(&r, 415, NULL, "Content-Type must be"
		    " application/json (UTF-8: no charset, or charset=utf-8;"
		    " each parameter once)");
		goto refused;
	}
	if ((rc = http_body(h, SENDAPI_BODY_MAX, &body, &len)) <= 0) {
		if (rc == 0)
			sendapi_refuse(&r, 413, NULL, "body larger than %d KiB",
			    SENDAPI_BODY_MAX / 1024);
		else
			sendapi_refuse(&r, 400, NULL, "body could not be read");
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
	if (!sendapi_request_check(&req, phone, &r))
		goto refused;
	if ((rc = sendapi_request_hash(phone, &req, rhash)) <= 0) {
		http_error(h, 500, rc < 0 ? "out of memory" :
		    "internal error");
		goto out;
	}

	memset(&job, 0, sizeof(job));
	job.conn = conn;
	job.token_hash = hash;
	job.req = &req;
	job.phone = phone;
	job.request_hash = rhash;
	if (app_write(sendapi_queue, &job, 1) < 0) {
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
	payload_api_free(&req);
}

void
inbound_api_get(struct http *h, const char *conn, const char *uid)
{
	struct sendapi_refusal		 r;
	struct store_token		 t;
	struct store_api_message	 m;
	struct store			*st;
	char				 hash[APITOKEN_HASH_SIZE];
	int				 rc;

	memset(&r, 0, sizeof(r));
	if (strcmp(http_method(h), "GET") != 0 &&
	    strcmp(http_method(h), "HEAD") != 0) {
		sendapi_refuse(&r, 405, NULL, "method not allowed; use GET");
		answer_refusal(h, conn, &r, "GET, HEAD");
		return;
	}
	if (!check_token(h, conn, hash, &t, "GET, HEAD"))
		return;
	if ((st = app_store()) == NULL ||
	    (rc = sendapi_message_get(st, conn, t.agent, uid, &m, &r)) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (rc == 0) {
		answer_refusal(h, NULL, &r, NULL);
		return;
	}
	answer_message(h, 200, conn, &m, 0);
}
