/* Recipient phone numbers: the allow-list validator and Infobip's "to" form. */
#include <stddef.h>
#include <string.h>

#include "phone.h"

#define PHONE_MIN_DIGITS	8
#define PHONE_MAX_DIGITS	15

/*
 * Separators people type inside numbers.  The product refuses them rather
 * than stripping them, so a mistyped number fails loudly instead of going
 * to a stranger; they get their own reason so the operator knows why.
 */
static const char phone_separators[] = " -()";

static int
phone_refuse(const char *reason, char *out, size_t outsz, const char **why)
{
	if (why != NULL)
		*why = reason;
	if (out != NULL && outsz > 0)
		out[0] = '\0';
	return 0;
}

int
phone_normalize(const char *in, char *out, size_t outsz, const char **why)
{
	const char	*digits, *p;
	size_t		 n;

	if (in == NULL || in[0] == '\0')
		return phone_refuse("empty", out, outsz, why);
	if (in[strcspn(in, phone_separators)] != '\0')
		return phone_refuse("contains spaces, dashes or parentheses",
		    out, outsz, why);

	digits = in[0] == '+' ? in + 1 : in;
	for (p = digits; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return phone_refuse("not digits", out, outsz, why);
	n = (size_t)(p - digits);

	if (n == 0)
		return phone_refuse("empty", out, outsz, why);
	if (digits[0] == '0')
		return phone_refuse("starts with 0", out, outsz, why);
	if (n < PHONE_MIN_DIGITS)
		return phone_refuse("too short: fewer than 8 digits",
		    out, outsz, why);
	if (n > PHONE_MAX_DIGITS)
		return phone_refuse("too long: more than 15 digits",
		    out, outsz, why);
	if (out == NULL || outsz < n + 2)
		return phone_refuse("buffer too small", out, outsz, why);

	out[0] = '+';
	memcpy(out + 1, digits, n);
	out[n + 1] = '\0';
	if (why != NULL)
		*why = NULL;
	return 1;
}

int
phone_to_infobip(const char *normalized, char *out, size_t outsz)
{
	char	 check[PHONE_MAX];
	size_t	 n;

	/* Only the canonical form passes: normalising must leave it as is. */
	if (normalized == NULL || normalized[0] != '+' ||
	    !phone_normalize(normalized, check, sizeof(check), NULL) ||
	    strcmp(check, normalized) != 0)
		return phone_refuse(NULL, out, outsz, NULL);
	n = strlen(normalized + 1);
	if (out == NULL || outsz < n + 1)
		return phone_refuse(NULL, out, outsz, NULL);
	memcpy(out, normalized + 1, n + 1);
	return 1;
}
