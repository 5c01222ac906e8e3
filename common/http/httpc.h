/* Pieces of an HTTP client that the Infobip client and the agents share (both use libcurl). */
#ifndef HTTPC_H
#define HTTPC_H

#include <stddef.h>

#include <curl/curl.h>

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

/*
 * Initialises libcurl once for the process (later calls do nothing). The
 * Infobip client and the agent pool call it before their first handle.
 * 1 ok, 0 when libcurl failed (logged).
 */
int	 httpc_init(void);

/* What every transfer of ours sets: where, how long, and where the answer goes. */
struct httpc_request {
	const char		*url;
	char			*errbuf;	/* CURL_ERROR_SIZE bytes */
	long			 connect_ms;
	long			 total_ms;
	const char		*user_agent;
	struct curl_slist	*headers;	/* borrowed; kept until the transfer ends */
	struct body		*body;		/* the answer goes here (body_write) */
};

/*
 * Sets the options shared by our transfers on handle h: URL, error
 * buffer, timeouts, no signals, no redirects, http(s) only, user agent,
 * headers, and the capped body. CURLE_OK, or the first option's failure
 * for the caller to log.
 */
CURLcode httpc_setup(CURL *h, const struct httpc_request *r);

#endif
