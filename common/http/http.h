/* Request helpers for the FastCGI programs: the only place that knows libfcgi. */
#ifndef HTTP_H
#define HTTP_H

#include <signal.h>
#include <stddef.h>

#define HTTP_BODY_MAX	(1024 * 1024)	/* webhook bodies larger than this get 413 */

struct http;

/* Whether the program was started as plain CGI rather than under a FastCGI server. */
int	 http_is_cgi(void);

/*
 * Serves requests with fn: under a FastCGI server, in threads accepting
 * concurrently until *quit is set (SIGTERM sets it: call from the main
 * thread, with the handler installed); started as plain CGI, exactly one
 * request. Each serving thread calls done(arg) (when not NULL) as it ends,
 * in that thread. Requests already accepted are answered before it
 * returns. Returns 0 when done, -1 when the FastCGI library could not
 * start.
 */
int	 http_serve(void (*fn)(struct http *, void *), void (*done)(void *),
	    void *arg, volatile sig_atomic_t *quit, size_t threads);

/*
 * Takes h out of its serving thread, which goes on to accept the next
 * request: the caller's own code answers h later, from any thread, and
 * ends it with http_finish (which frees it). Returns 1 when so, 0 when
 * not (plain CGI, or as many requests as http_serve's threads are
 * already deferred): the caller answers h before it returns, as usual.
 */
int	 http_defer(struct http *);
/* Takes back this thread's http_defer before anything else was done with its request: answered as usual. */
void	 http_undefer(void);
/*
 * Whether the request this thread serves was deferred (http_defer); the
 * request itself may be gone by then, answered and freed elsewhere.
 */
int	 http_deferred(void);
/* Ends a deferred request, answered: its connection is closed and h freed. */
void	 http_finish(struct http *);

/* Request method, e.g. "POST" ("" when unset). */
const char *http_method(struct http *);
/* Path of the request: REQUEST_URI without the query, else SCRIPT_NAME + PATH_INFO. */
const char *http_path(struct http *);
/* A CGI variable, or NULL. Valid until the request ends. */
const char *http_param(struct http *, const char *name);
/* Whether the Content-Type is JSON (application/json or a +json type) in UTF-8 (no charset, or charset=utf-8), no parameter given twice. */
int	 http_content_is_json(struct http *);

/*
 * Reads the request body into *body (NUL-terminated, owned by the request:
 * freed when it ends). Returns 1 read, 0 when larger than max (413), -1 on
 * a read error or a Content-Length that does not match the body.
 */
int	 http_body(struct http *, size_t max, const char **body, size_t *len);

/*
 * Frees the body http_body read, before the request ends: a webhook keeps
 * only what it parsed out of it while it waits for its commit. The body
 * pointer it gave is invalid afterwards.
 */
void	 http_body_release(struct http *);
/*
 * Reads up to len bytes of the request body into buf, for bodies read as
 * they stream (uploads); the caller bounds the total. Returns the count
 * read, 0 at the end of the body.
 */
size_t	 http_read(struct http *, char *buf, size_t len);

/* Writes the status line, Content-Type and the security headers; ends the header block. */
void	 http_open(struct http *, int status, const char *ctype);
/* Like http_open but leaves the header block open for http_header calls; end with http_header(h, NULL, NULL). */
void	 http_open_headers(struct http *, int status, const char *ctype);
void	 http_header(struct http *, const char *name, const char *value);
/*
 * From now on the answer (status line, headers, body) goes to a buffer,
 * not the client, until http_capture_take returns it (NUL-terminated;
 * the caller frees it, and writes it with http_write to send it after
 * all). NULL when memory ran out.
 */
void	 http_capture_start(struct http *);
char	*http_capture_take(struct http *, size_t *len);
/* The status the request was answered with (0: not yet). */
int	 http_status(struct http *);
void	 http_write(struct http *, const char *buf, size_t len);
void	 http_puts(struct http *, const char *s);
void	 http_printf(struct http *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Text escaped for HTML element content. */
void	 http_html_text(struct http *, const char *s);
/* Text escaped for a double-quoted HTML attribute value. */
void	 http_html_attr(struct http *, const char *s);
/*
 * A whole JSON answer of status with body (malloc'd JSON from the payload
 * module; taken and freed) and a newline. A NULL body (out of memory)
 * answers 500 with an error instead.
 */
void	 http_json(struct http *, int status, char *body);
/* A whole JSON error answer: {"error": msg} (payload_error_body). */
void	 http_error(struct http *, int status, const char *msg);
/* The reason phrase of a status code. */
const char *http_reason(int status);

#endif
