/* inbound.fcgi's handlers beyond the webhook: the send API and the public docs page. */
#ifndef INBOUND_H
#define INBOUND_H

struct http;

/*
 * POST /channel/{id}/messages with "Authorization: Bearer TOKEN" (a token
 * of ops_token.h) and a JSON body {"to", "text", "communication"?,
 * "reference"?}: the message is queued through the group-commit writer
 * (sendapi_queue) and answered 202 with its id and status once committed.
 * A retry with a reference already used by the token's attachment answers
 * 200 with the first message ("duplicate": true) when it asks the same,
 * 422 on "reference" when it does not. An opted-out recipient's message
 * is stored failed ("the contact opted out"), never sent, and answered
 * 202 with that status. Refusals, each a JSON {"error", "field"?} with
 * nothing stored: 401 no, malformed or unknown token; 403 token revoked,
 * of another connection, its agent stopped or detached; 404 unknown
 * connection; 405 not POST; 409 the connection not RUNNING; 413 body over
 * SENDAPI_BODY_MAX; 415 not JSON in UTF-8; 400 not a JSON object; 422 a
 * member missing, mistyped, unknown or invalid (the field named); 503
 * store unavailable.
 */
void	 inbound_api_post(struct http *, const char *conn);

/*
 * GET /channel/{id}/messages/{uid}, same token and refusals: 200 with the
 * message as payload_api_message writes it, 404 when unknown or not sent
 * by the token's attachment.
 */
void	 inbound_api_get(struct http *, const char *conn, const char *uid);

/* GET /channel/{id}/docs: the connection's public API documentation, URLs and formats, never a secret. */
void	 inbound_docs(struct http *, const char *conn);

#endif
