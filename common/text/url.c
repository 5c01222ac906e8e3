/* URLs an operator gives us: their parts, and whether they name this machine. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "url.h"

/* Returns 1 when s[0..len) is an IPv4 address in 127.0.0.0/8, dotted decimal. */
static int
url_is_127(const char *s, size_t len)
{
	size_t	 i = 0, digits;
	int	 part, value;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
		for (digits = 0, value = 0; i < len &&
		    isdigit((unsigned char)s[i]); i++, digits++)
			value = value * 10 + (s[i] - '0');
		if (digits == 0 || digits > 3 || value > 255 ||
		    (part == 0 && value != 127))
			return 0;
	}
	return i == len;
}

int
url_host_is_loopback(const char *host, size_t len)
{
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len > 7 && strncasecmp(host, "::ffff:", 7) == 0)
		return url_is_127(host + 7, len - 7);
	return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 3 && memcmp(host, "::1", 3) == 0) ||
	    url_is_127(host, len);
}

/* Returns 1 for bytes allowed in a host name or IPv4 address. */
static int
url_is_hostchar(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

const char *
url_authority(const char *p, const char *end, const char *what,
    const char **host, size_t *hostlen, char *why, size_t whysz)
{
	const char	*h, *stop;
	size_t		 i;
	long		 port;

	for (stop = p; stop < end && strchr("/?#", *stop) == NULL; stop++)
		continue;
	if (memchr(p, '@', (size_t)(stop - p)) != NULL) {
		snprintf(why, whysz, "%s has a user name or password;"
		    " credentials in the URL are not allowed", what);
		return NULL;
	}
	h = p;
	if (p < end && *p == '[') {
		for (p++; p < end && (isxdigit((unsigned char)*p) ||
		    *p == ':' || *p == '.'); p++)
			continue;
		if (p >= end || *p != ']' || p == h + 1) {
			snprintf(why, whysz, "%s has a malformed IPv6 address",
			    what);
			return NULL;
		}
		p++;
	} else
		while (p < end && url_is_hostchar((unsigned char)*p))
			p++;
	if (p == h) {
		snprintf(why, whysz, "%s has no host", what);
		return NULL;
	}
	*host = h;
	*hostlen = (size_t)(p - h);
	if (p < end && *p == ':') {
		port = 0;
		for (i = 0, p++; p < end && isdigit((unsigned char)*p);
		    p++, i++)
			if (i < 6)	/* more digits are refused below; no overflow */
				port = port * 10 + (*p - '0');
		if (i == 0 || i > 5 || port < 1 || port > 65535) {
			snprintf(why, whysz, "%s has a bad port", what);
			return NULL;
		}
	}
	if (p < end && strchr("/?#", *p) == NULL) {
		snprintf(why, whysz, "%s has a character not allowed in a host",
		    what);
		return NULL;
	}
	return p;
}

int
url_check(const char *url, const char *what, int *https, int *loopback,
    char *why, size_t whysz)
{
	const unsigned char	*p;
	const char		*host, *end;
	size_t			 hostlen, skip;

	*https = *loopback = 0;
	if (url == NULL || *url == '\0') {
		snprintf(why, whysz, "%s is empty", what);
		return 0;
	}
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f) {
			snprintf(why, whysz, "%s holds a space or a control"
			    " character", what);
			return 0;
		} else if (*p >= 0x80) {
			snprintf(why, whysz, "%s holds a byte that is not"
			    " ASCII (percent-encode it)", what);
			return 0;
		} else if (strchr("\"'<>\\^`{|}", *p) != NULL) {
			snprintf(why, whysz, "%s holds a character not allowed"
			    " in a URL", what);
			return 0;
		}
	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else {
		snprintf(why, whysz, "%s must start with http:// or https://",
		    what);
		return 0;
	}
	end = url + strlen(url);
	if (url_authority(url + skip, end, what, &host, &hostlen, why,
	    whysz) == NULL)
		return 0;
	*https = skip == 8;
	*loopback = url_host_is_loopback(host, hostlen);
	return 1;
}
