/* HTML form fields: application/x-www-form-urlencoded bodies and query strings, decoded and bounded. */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

#define FORM_FIELDS_MAX	64		/* more fields than this: malformed */

struct form_field {
	const char	*name;
	const char	*value;
};

/* The decoded fields of one form; pointers into buf. */
struct form {
	struct form_field	 f[FORM_FIELDS_MAX];
	size_t			 n;
	char			*buf;
};

/*
 * Decodes len bytes of "a=1&b=x+y%21" into f (empty it first with
 * form_init; free with form_free). '+' is a space, %XX a byte; a CR LF
 * pair (a browser's line break in a textarea) becomes LF. Returns 1
 * decoded; 0 malformed: a bad %-escape, a NUL byte, invalid UTF-8, an
 * empty name or more than FORM_FIELDS_MAX fields; < 0 out of memory.
 * After 0 or < 0, f holds nothing.
 */
int	 form_parse(struct form *f, const char *in, size_t len);
void	 form_init(struct form *f);
void	 form_free(struct form *f);

/* The first value of field name, or NULL when the form has none. */
const char *form_get(const struct form *f, const char *name);

/* Whether s (len bytes) is valid UTF-8 without NUL bytes or overlong forms. 1 yes, 0 no. */
int	 form_utf8_valid(const char *s, size_t len);

#endif
