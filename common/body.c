/* A response body collected by libcurl into a buffer capped at a maximum size. */
#include <stdlib.h>
#include <string.h>

#include "body.h"

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
