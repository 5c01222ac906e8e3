/* Pieces of an HTTP client that the Infobip client and the agents share (both use libcurl). */
#ifndef HTTPC_H
#define HTTPC_H

#include <stddef.h>

struct curl_slist;

#define HTTPC_KEY_MAX	1024	/* longest key put into an Authorization header */

/* A response body collected into a buffer capped at a maximum size. */
struct body {
	char	*data;		/* NUL-terminated; owned, free() it */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* longest body kept; set before the transfer */
	int	 over;		/* the body was longer than max */
	int	 nomem;
};

/*
 * A CURLOPT_WRITEFUNCTION with a struct body as its CURLOPT_WRITEDATA:
 * appends, and stops the transfer (returns 0) when the body would exceed
 * max or memory runs out, noting which.
 */
size_t	 body_write(char *ptr, size_t size, size_t nmemb, void *arg);

/*
 * The JSON request headers, with "Authorization: SCHEME KEY" first when
 * key is not NULL (scheme "App" for Infobip, "Bearer" for agents). The
 * line holding the key is wiped from our stack; free the list with
 * httpc_headers_free, which wipes it too. NULL when out of memory or the
 * key is longer than HTTPC_KEY_MAX.
 */
struct curl_slist *httpc_headers(const char *scheme, const char *key);
void	 httpc_headers_free(struct curl_slist *);

#endif
