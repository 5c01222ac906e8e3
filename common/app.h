/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#ifndef APP_H
#define APP_H

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
 * across requests, reopening it after a failure. Returns the exit status.
 */
int	 app_run(const char *prog, app_handler);

/*
 * Splits a path of the form .../channel/{id}/{rest} into the connection id
 * (copied into id, 33 bytes) and the rest ("webhook/sms", "docs", ...).
 * Returns 1 when the path has that form with a well-formed id, 0 otherwise.
 */
int	 app_channel_route(const char *path, char *id, const char **rest);

#endif
