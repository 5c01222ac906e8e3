/* A response body collected by libcurl into a buffer capped at a maximum size. */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>

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

#endif
