/* The send API for another system's flows: POST /channel/{id}/messages and GET /channel/{id}/messages/{message id}. */
#ifndef SENDAPI_H
#define SENDAPI_H

#include <stddef.h>

struct http;

#define SENDAPI_BODY_MAX	(64 * 1024)	/* larger bodies get 413 */
#define SENDAPI_REFERENCE_MAX	128		/* bytes of a reference */
#define SENDAPI_COMMUNICATION_MAX 64		/* bytes of a communication name */

/*
 * POST /channel/{id}/messages with "Authorization: Bearer TOKEN" (a token
 * of ops_token.h) and a JSON body {"to", "text", "communication"?,
 * "reference"?}: the message is queued through the group-commit writer on
 * the path of every outbound message (outbound_queue), in the contact's
 * session, authored "api:AGENTNAME", and answered 202 with its id and
 * status once committed. A retry with a reference already used by the
 * token's attachment answers 200 with the first message ("duplicate":
 * true) when it asks the same, 422 on "reference" when it does not. An
 * opted-out recipient's message is stored failed ("the contact opted
 * out"), never sent, and answered 202 with that status. Refusals, each a
 * JSON {"error", "field"?} with nothing stored: 401 no, malformed or
 * unknown token; 403 token revoked, of another connection, its agent
 * stopped or detached; 404 unknown connection; 405 not POST; 409 the
 * connection not RUNNING; 413 body over SENDAPI_BODY_MAX; 415 not JSON in
 * UTF-8; 400 not a JSON object; 422 a member missing, mistyped, unknown or
 * invalid (the field named); 503 store unavailable.
 */
void	 sendapi_post(struct http *, const char *conn);

/*
 * GET /channel/{id}/messages/{uid}, same token and refusals: 200 with the
 * message as payload_api_message writes it, 404 when unknown or not sent
 * by the token's attachment.
 */
void	 sendapi_get(struct http *, const char *conn, const char *uid);

/*
 * The send API's section of the connection's public docs page (inbound.c):
 * endpoints, authentication, body, answers and errors; base is the public
 * base URL (or "" for paths only). No secret is shown.
 */
void	 sendapi_docs(struct http *, const char *base, const char *conn);

/* Value checks of a send request (its text: smstext_check), for tests: 1 valid, 0 with a static *why. */
int	 sendapi_communication_valid(const char *s, const char **why);
int	 sendapi_reference_valid(const char *s, const char **why);

#endif
