/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#ifndef APP_H
#define APP_H

#include <stddef.h>

struct http;
struct store;

/*
 * Handles one request. st is the open store, or NULL when it cannot be
 * opened (the handler answers 503 where it needs it).
 */
typedef void	(*app_handler)(struct http *, struct store *st);

/*
 * Runs a FastCGI program (or one plain CGI request): sets up the log and
 * SIGTERM, opens the store once and keeps it (and its prepared statements)
 * across requests, reopening it after a failure. Refuses to start (exit
 * status 1, logged) when IBCHANNEL_SYNC is invalid or the key file does
 * not decrypt the store's secrets (config_load_key); a store that does not
 * exist yet is checked when it first opens, and answered 503 until then.
 * Returns the exit status.
 */
int	 app_run(const char *prog, app_handler);

/*
 * Splits a path of the form .../channel/{id}/{rest} into the connection id
 * (copied into id, 33 bytes) and the rest ("webhook/sms", "docs", ...).
 * Returns 1 when the path has that form with a well-formed id, 0 otherwise.
 */
int	 app_channel_route(const char *path, char *id, const char **rest);



struct store_connection;
struct webhook_result;

typedef int	(*app_webhook_fn)(struct store *, const struct store_connection *,
		    const char *body, size_t len, struct webhook_result *,
		    const char **why);

/*
 * Serves one webhook POST for connection id with fn, mapping every outcome
 * to its status: 405 wrong method, 503 store unavailable, 404 unknown
 * connection, 415 not JSON, 413 over 1 MiB, 400 malformed, 200 with a JSON
 * summary. what names the webhook in the connection's log.
 */
void	 app_webhook(struct http *, struct store *, const char *id,
	    const char *what, app_webhook_fn fn);
/* One route of a program under /channel/{id}/: the rest of the path and its handler. */
struct app_route {
	const char	*rest;		/* "webhook/sms", "docs", ... */
	void		(*fn)(struct http *, struct store *, const char *id);
};

/*
 * Routes a /channel/{id}/... request through a table ending in a NULL
 * rest: 404 JSON for a malformed id or an unknown route.
 */
void	 app_channel_dispatch(struct http *, struct store *,
	    const struct app_route *routes);

/* Answers a method other than the allowed one(s) with 405 and an Allow header. */
void	 app_method_not_allowed(struct http *, const char *allow);

#endif
