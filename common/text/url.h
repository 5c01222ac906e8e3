/* URLs an operator gives us: their parts, and whether they name this machine. */
#ifndef URL_H
#define URL_H

#include <stddef.h>

/*
 * Reads the authority of a URL at p (just after "scheme://", up to end): a
 * host (a name, an IPv4 address or a bracketed IPv6 address) and an
 * optional :port, followed by the end, '/', '?' or '#'. User info is
 * refused: credentials in a URL would reach logs and screens. Returns the
 * end of the authority with *host and *hostlen set; NULL with the reason in
 * why (whysz bytes), which begins with what ("API URL", "the agent URL").
 */
const char	*url_authority(const char *p, const char *end, const char *what,
		    const char **host, size_t *hostlen, char *why, size_t whysz);

/*
 * Whether host (len bytes) names this machine: localhost, 127.0.0.0/8 in
 * dotted decimal, or ::1 (bracketed or not, as REMOTE_ADDR has it), also as
 * an IPv4-mapped ::ffff:127.x.x.x. 1 yes, 0 no.
 */
int		 url_host_is_loopback(const char *host, size_t len);

/*
 * Checks an absolute http or https URL (scheme in any case): printable
 * ASCII without spaces, quotes or angle brackets, a valid authority (see
 * url_authority), then any path, query or fragment. Returns 1 and sets
 * *https (1 for https) and *loopback (1 when the host is this machine);
 * 0 with the reason in why, which begins with what.
 */
int		 url_check(const char *url, const char *what, int *https,
		    int *loopback, char *why, size_t whysz);

#endif
