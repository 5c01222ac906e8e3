/* Pieces of an HTTP client that the Infobip client and the agents share (both use libcurl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "httpc.h"
#include "log.h"

size_t
body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body	*b = arg;
	size_t		 n = size * nmemb, ncap;
	char		*p;

	if (n > b->max - b->len) {
		b->over = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap ? b->cap : 8192; ncap < b->len + n + 1;
		    ncap *= 2)
			continue;
		if ((p = realloc(b->data, ncap)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

void
httpc_headers_free(struct curl_slist *h)
{
	struct curl_slist	*l;

	for (l = h; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(h);
}

struct curl_slist *
httpc_headers(const char *scheme, const char *key)
{
	static const char *const fixed[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",		/* no 100-continue round trip */
	};
	struct curl_slist	*h = NULL, *t;
	char			 auth[sizeof("Authorization: Bearer ") +
				    HTTPC_KEY_MAX];
	size_t			 i;

	if (key != NULL) {
		if (strlen(key) > HTTPC_KEY_MAX)
			return NULL;
		snprintf(auth, sizeof(auth), "Authorization: %s %s", scheme,
		    key);
		h = curl_slist_append(NULL, auth);
		explicit_bzero(auth, sizeof(auth));
		if (h == NULL)
			return NULL;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((t = curl_slist_append(h, fixed[i])) == NULL) {
			httpc_headers_free(h);
			return NULL;
		}
		h = t;
	}
	return h;
}

int
httpc_init(void)
{
	static int	 done;
	CURLcode	 rc;

	if (done)
		return 1;
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		log_error("curl_global_init: %s", curl_easy_strerror(rc));
		return 0;
	}
	done = 1;
	return 1;
}

CURLcode
httpc_setup(CURL *h, const struct httpc_request *r)
{
	CURLcode	 rc;

	if ((rc = curl_easy_setopt(h, CURLOPT_URL, r->url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    r->connect_ms)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->total_ms)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_USERAGENT, r->user_agent)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write)) !=
	    CURLE_OK)
		return rc;
	return curl_easy_setopt(h, CURLOPT_WRITEDATA, r->body);
}
