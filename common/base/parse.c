/* Numbers from text (parse.h): whole string, range, no sign or white space that strtol would let through. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL)
		return 0;
	/* strtol skips white space and takes '+': neither is a number here. */
	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && min < 0 &&
	    isdigit((unsigned char)s[1])))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

int
parse_id(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1)
		return 0;
	*out = v;
	return 1;
}

int
parse_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
