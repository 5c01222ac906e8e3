/* The rules agent's own parts, shared by its files: rules_parse.c reads the instructions, rules.c matches a message and answers. */
#ifndef RULES_INT_H
#define RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define RULES_TEXT_CHARS	500	/* longest text answer, in characters */
#define RULES_VALUE_MAX		(4 * RULES_TEXT_CHARS + 1)
#define RULES_EMAIL_MAX		254
#define RULES_NUMBER_MAX	32
#define RULES_NAME_MAX		32	/* longest field name */
#define RULES_TRIGGER		SIZE_MAX	/* rule of trigger keywords */
#define RULES_SPACES		" \t\r\n\v\f"

enum rules_type {
	RULES_TEXT,
	RULES_EMAIL,
	RULES_PHONE,
	RULES_NUMBER,
	RULES_TYPE__MAX,
};

/* Each type's name, built-in hint and validator (1 valid, value written). */
struct rules_type_def {
	const char	*name;
	const char	*hint;
	int		(*valid)(const char *answer, char *value,
			    size_t valuesz);
};
extern const struct rules_type_def rules_types[RULES_TYPE__MAX];	/* rules.c */

/* A text of the instructions and the line it came from. */
struct rules_text {
	const char	*s;		/* NULL when not given */
	size_t		 line;
};

/* A keyword, folded as rules_fold folds messages. */
struct rules_keyword {
	const char	*word;
	size_t		 len;
	int		 prefix;	/* ended in '*': longer words match */
	size_t		 rule;		/* answers index or RULES_TRIGGER */
};

struct rules_field {
	const char		*name;
	enum rules_type		 type;
	struct rules_text	 question;
	struct rules_text	 hint;
};

enum rules_directive {
	RD_GREETING,
	RD_FALLBACK,
	RD_RULE,
	RD_ASK,
	RD_HINT,
	RD_TRIGGER,
	RD_DONE,
	RD__MAX,
};

/* Parsed instructions; every string points into buf. */
struct rules {
	char			*buf;
	struct rules_text	 texts[RD__MAX];	/* greeting... done */
	struct rules_text	*answers;
	size_t			 nrules;
	struct rules_keyword	*keywords;
	size_t			 nkeywords;
	struct rules_field	 fields[RULES_FIELDS_MAX];
	size_t			 nfields;
	size_t			 seen[RD__MAX];	/* first line; 0 unused */
	size_t			 ndirectives;
	size_t			 errline;
	char			 why[192];
};

/* Cuts white space off both ends of s in place; returns the new start (rules_parse.c). */
char	*rules_trim(char *s);

/* Folds s in place for matching (rules.c); returns the new length. */
size_t	 rules_fold(char *s);

/* The field called name (len bytes), or -1 (rules_parse.c). */
int	 rules_field_find(const struct rules *r, const char *name, size_t len);

/* Frees what rules_parse or rules_load allocated in r (rules_parse.c). */
void	 rules_free(struct rules *r);

/* Parses the job's instructions, or the default ones when they say nothing (rules_parse.c); as rules_parse. */
int	 rules_load(struct rules *r, const char *text);

#endif
