/* Numbers typed by people or sent by browsers: the one checked way to read them from text. */
#ifndef PARSE_H
#define PARSE_H

#include <stdint.h>

/*
 * Reads all of s as a decimal number within [min, max]: digits, with a
 * leading '-' only when min is below 0; no spaces, no '+', nothing after.
 * 1 with *out, 0 not (*out untouched; s may be NULL). For a setting's
 * value, a campaign's rate, --limit.
 */
int	 parse_long(const char *s, long min, long max, long *out);
/*
 * Reads all of s as an id: a decimal number from 1 to INT64_MAX, digits
 * only. 1 with *out, 0 not (*out untouched; s may be NULL). For agents,
 * sessions, messages, campaigns, tokens and paging cursors.
 */
int	 parse_id(const char *s, int64_t *out);
/* The value of the hex digit c (0-9, a-f, A-F), or -1 when it is none. */
int	 parse_hex_digit(int c);

#endif
