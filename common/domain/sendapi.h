/* What the send API decides: token authorisation, request checks, queueing and the message read; inbound.fcgi answers. */
#ifndef SENDAPI_H
#define SENDAPI_H

#include <stddef.h>
#include <stdint.h>

#include "apitoken.h"
#include "store.h"
#include "store_api.h"

struct api_request;

#define SENDAPI_BODY_MAX	(64 * 1024)	/* larger bodies get 413 */
#define SENDAPI_REFERENCE_MAX	128		/* bytes of a reference */
#define SENDAPI_COMMUNICATION_MAX 64		/* bytes of a communication name */

/* A refusal: the HTTP status, the reason for the client, the request member at fault. */
struct sendapi_refusal {
	int		 status;	/* 0: none */
	const char	*field;
	char		 msg[256];
};

/* Sets the refusal r: status, field (NULL: none) and the reason from fmt. */
void	 sendapi_refuse(struct sendapi_refusal *r, int status,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* A refusal to note in the connection's log. */
struct sendapi_refusal_note {
	const char			*conn;
	const struct sendapi_refusal	*r;
};

/*
 * Notes a refusal (arg: struct sendapi_refusal_note) in the connection's
 * log, counted per status, reason and minute, so that its operators see a
 * flow using a revoked token, a stopped agent or bad input; a writer_fn.
 * An unknown connection notes nothing (0). The token never goes there.
 */
int	 sendapi_refusal_note(struct store *, void *arg);

/*
 * The hash of the bearer token in the Authorization header authorization
 * (NULL: none) into hash (APITOKEN_HASH_SIZE bytes). 1 with hash, 0
 * refused (r: 401 no header, another scheme, not a token's form; 500 the
 * hash failed). The token itself goes nowhere else.
 */
int	 sendapi_bearer_hash(const char *authorization, char *hash,
	    struct sendapi_refusal *r);

/*
 * Whether the token with hash may act on connection conn now: > 0 with
 * *t (and *cp when not NULL), 0 refused (r says why: 401, 403, 404, 409),
 * < 0 store error.
 */
int	 sendapi_authorize(struct store *, const char *conn, const char *hash,
	    struct store_token *t, struct store_connection *cp,
	    struct sendapi_refusal *r);

/*
 * The value checks of a parsed send request: "to" normalised into phone
 * (PHONE_MAX bytes), "text" (smstext_check), "communication" and
 * "reference" when given. 1 valid, 0 refused (r: 422 with the field).
 */
int	 sendapi_request_check(const struct api_request *req, char *phone,
	    struct sendapi_refusal *r);

/*
 * The hash of what a request asks (phone, text, communication) into rhash
 * (APITOKEN_HASH_SIZE bytes): a retry with the same reference must ask the
 * same. 1 done, 0 the hash failed, < 0 out of memory.
 */
int	 sendapi_request_hash(const char *phone, const struct api_request *req,
	    char *rhash);

/* One send, from the request's thread to the writer and back. */
struct sendapi_job {
	/* In: */
	const char		*conn;
	const char		*token_hash;
	const struct api_request *req;
	const char		*phone;		/* "+digits" */
	const char		*request_hash;
	/* Out (set afresh each run): */
	struct sendapi_refusal	 r;
	struct store_api_message msg;
	int			 replay;
};

/*
 * Queues the message of a job (arg: struct sendapi_job) inside the
 * writer's transaction; a writer_fn. The token is authorised again (it may
 * have been revoked since the first look): a refusal comes back in job->r.
 * The message goes on the path of every outbound message (outbound_queue),
 * in the contact's session, authored "api:AGENTNAME"; an opted-out
 * recipient's message is stored failed ("the contact opted out"). A retry
 * with a reference already used by the token's attachment sets
 * job->replay and the first message when it asks the same, and refuses
 * 422 on "reference" when it does not. > 0 done (job->msg set unless
 * refused), 0 refused by the store, < 0 store error.
 */
int	 sendapi_queue(struct store *, void *arg);

/*
 * The message uid sent through connection conn with the tokens of agent
 * (its id): > 0 with *m, 0 refused (r: 404 malformed, unknown or another
 * agent's), < 0 store error.
 */
int	 sendapi_message_get(struct store *, const char *conn,
	    int64_t agent, const char *uid, struct store_api_message *m,
	    struct sendapi_refusal *r);

/* Value checks of a send request (its text: smstext_check), for tests: 1 valid, 0 with a static *why. */
int	 sendapi_communication_valid(const char *s, const char **why);
int	 sendapi_reference_valid(const char *s, const char **why);

#endif
