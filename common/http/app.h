/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#ifndef APP_H
#define APP_H

#include <stddef.h>

#include "webhook.h"
#include "writer.h"

struct http;
struct store;

/* Handles one request. */
typedef void	(*app_handler)(struct http *);

/*
 * Runs a FastCGI program (or one plain CGI request): sets up the log and
 * SIGTERM, serves requests in webhook_threads threads (each with its own
 * store connection, opened when first needed and kept with its prepared
 * statements), and starts the group-commit writer that app_webhook writes
 * through. SIGTERM answers the requests in hand and commits what is queued
 * before it returns. Refuses to start (exit status 1, logged) when
 * IBCHANNEL_SYNC is invalid or the key file does not decrypt the store's
 * secrets (config_load_key); a store that does not exist yet is checked
 * when it first opens, and answered 503 until then. Returns the exit
 * status.
 */
int	 app_run(const char *prog, app_handler);

/*
 * The calling thread's own store connection, opened on first use (and
 * kept, with its prepared statements, across requests); NULL when the
 * store cannot be opened (answer 503). Webhook writes do not use it: they
 * go through the writer.
 */
struct store	*app_store(void);

/*
 * Splits a path of the form .../channel/{id}/{rest} into the connection id
 * (copied into id, 33 bytes) and the rest ("webhook/sms", "docs", ...).
 * Returns 1 when the path has that form with a well-formed id, 0 otherwise.
 */
int	 app_channel_route(const char *path, char *id, const char **rest);



/*
 * Serves one webhook POST for connection id: 405 wrong method, 503 store
 * unavailable, 404 unknown connection, 415 not JSON in UTF-8, 413 over 1
 * MiB, 400 malformed, else the body's items are stored through the
 * group-commit writer and answered 200 with a JSON summary once committed
 * (503 when that commit failed: nothing of the body was stored). what
 * names the webhook in the connection's log.
 */
void	 app_webhook(struct http *, const char *id, const char *what,
	    enum webhook_kind kind);
/*
 * Runs fn through the group-commit writer (or, as plain CGI, in a
 * transaction of this thread's connection). > 0 committed, < 0 not
 * (answer 503).
 */
int	 app_write(writer_fn fn, void *arg, size_t items);

/* One route of a program under /channel/{id}/: the rest of the path and its handler. */
struct app_route {
	const char	*rest;		/* "webhook/sms", "docs", ... */
	void		(*fn)(struct http *, const char *id);
};

/*
 * Routes a /channel/{id}/... request through a table ending in a NULL
 * rest: 404 JSON for a malformed id or an unknown route.
 */
void	 app_channel_dispatch(struct http *, const struct app_route *routes);

/* Answers a method other than the allowed one(s) with 405 and an Allow header. */
void	 app_method_not_allowed(struct http *, const char *allow);

#endif
