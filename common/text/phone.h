/* Recipient phone numbers: the allow-list validator and Infobip's "to" form. */
#ifndef PHONE_H
#define PHONE_H

#include <stddef.h>

/* Room for the longest normalised number: '+', 15 digits, NUL. */
#define PHONE_MAX	17

/*
 * Checks a recipient against the product rule (digits only, international,
 * optional leading '+'; spaces, dashes or parentheses are refused) and
 * writes "+" and 8 to 15 digits, the first not 0, into out.
 * Returns 1 on success (*why set to NULL).  Returns 0 when the number is
 * refused or out cannot hold the result (PHONE_MAX bytes always can); then
 * *why, if why is not NULL, points to a static English reason, and out, if
 * outsz > 0, holds "" so no partial number is ever left behind.
 */
int	phone_normalize(const char *in, char *out, size_t outsz,
	    const char **why);

/*
 * Writes a number already in phone_normalize's "+digits" form as the
 * digits alone, which is how Infobip's "to" field wants it.
 * Returns 1 on success, 0 if normalized is not in that form or out is too
 * small (out then holds "" if outsz > 0).
 */
int	phone_to_infobip(const char *normalized, char *out, size_t outsz);

#endif
