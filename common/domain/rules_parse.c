/* The rules agent's instructions read: the line format of rules.h parsed and checked. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules.h"
#include "rules_int.h"
#include "smstext.h"

static const char rules_default_text[] =
    "# Used when an agent has no instructions of its own.\n"
    "greeting: Hello! Thanks for your message. Someone from our team "
    "will reply soon.\n"
    "fallback: Thanks, we got your message. Someone from our team will "
    "reply soon.\n";

static int	rules_do_text(struct rules *, enum rules_directive, char *,
		    size_t);
static int	rules_do_rule(struct rules *, enum rules_directive, char *,
		    size_t);
static int	rules_do_ask(struct rules *, enum rules_directive, char *,
		    size_t);
static int	rules_do_hint(struct rules *, enum rules_directive, char *,
		    size_t);
static int	rules_do_trigger(struct rules *, enum rules_directive, char *,
		    size_t);

/* Each directive: its name, whether it may appear once only, its parser. */
static const struct {
	const char	*name;
	int		 once;
	int		(*parse)(struct rules *, enum rules_directive,
			    char *value, size_t line);
} rules_directives[RD__MAX] = {
	[RD_GREETING] = { "greeting", 1, rules_do_text },
	[RD_FALLBACK] = { "fallback", 1, rules_do_text },
	[RD_RULE] = { "rule", 0, rules_do_rule },
	[RD_ASK] = { "ask", 0, rules_do_ask },
	[RD_HINT] = { "hint", 0, rules_do_hint },
	[RD_TRIGGER] = { "trigger", 1, rules_do_trigger },
	[RD_DONE] = { "done", 1, rules_do_text },
};

/* Records why the instructions are invalid; returns 0 for the parsers. */
static int
rules_fail(struct rules *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rules_fail(struct rules *r, size_t line, const char *fmt, ...)
{
	va_list	 ap;

	r->errline = line;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return 0;
}

/* s itself when it is short plain ASCII, safe to quote in a reason. */
static const char *
rules_shown(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 24 || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return "...";
	return s;
}

/* Cuts white space off both ends of s in place; returns the new start. */
char *
rules_trim(char *s)
{
	size_t	 n;

	s += strspn(s, RULES_SPACES);
	n = strlen(s);
	while (n > 0 && strchr(RULES_SPACES, s[n - 1]) != NULL)
		n--;
	s[n] = '\0';
	return s;
}

/* Turns each "\n" of s into a line break, in place. */
static void
rules_unescape(char *s)
{
	char	*w = s;

	for (; *s != '\0'; s++)
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else
			*w++ = *s;
	*w = '\0';
}

/* Parses a comma-separated keyword list for rule (or RULES_TRIGGER). */
static int
rules_keywords(struct rules *r, char *list, size_t rule, size_t line)
{
	struct rules_keyword	*k;
	char			*word, *next;
	size_t			 len;
	int			 prefix;

	for (word = list; word != NULL; word = next) {
		if ((next = strchr(word, ',')) != NULL)
			*next++ = '\0';
		word = rules_trim(word);
		len = rules_fold(word);
		prefix = len > 0 && word[len - 1] == '*';
		if (prefix) {
			word[--len] = '\0';
			len = rules_fold(word);
		}
		if (len == 0)
			return rules_fail(r, line, "empty keyword");
		if ((k = reallocarray(r->keywords, r->nkeywords + 1,
		    sizeof(*k))) == NULL)
			return -1;
		r->keywords = k;
		k[r->nkeywords].word = word;
		k[r->nkeywords].len = len;
		k[r->nkeywords].prefix = prefix;
		k[r->nkeywords].rule = rule;
		r->nkeywords++;
	}
	return 1;
}

/* Splits "left => right" at the first "=>", both trimmed; 1, or 0 if none. */
static int
rules_arrow(char *value, char **left, char **right)
{
	char	*a;

	if ((a = strstr(value, "=>")) == NULL)
		return 0;
	*a = '\0';
	*left = rules_trim(value);
	*right = rules_trim(a + 2);
	return 1;
}

static int
rules_do_text(struct rules *r, enum rules_directive d, char *value,
    size_t line)
{
	rules_unescape(value);
	r->texts[d].s = value;
	r->texts[d].line = line;
	return 1;
}

static int
rules_do_rule(struct rules *r, enum rules_directive d, char *value,
    size_t line)
{
	struct rules_text	*a;
	char			*kw, *answer;
	int			 rv;

	(void)d;
	if (!rules_arrow(value, &kw, &answer))
		return rules_fail(r, line, "rule: expected KEYWORDS => ANSWER");
	if (*answer == '\0')
		return rules_fail(r, line, "rule: empty answer");
	if ((rv = rules_keywords(r, kw, r->nrules, line)) <= 0)
		return rv;
	if ((a = reallocarray(r->answers, r->nrules + 1, sizeof(*a))) == NULL)
		return -1;
	r->answers = a;
	rules_unescape(answer);
	a[r->nrules].s = answer;
	a[r->nrules].line = line;
	r->nrules++;
	return 1;
}

/* Whether name is a lower-case letter then up to 31 of [a-z0-9_]. */
static int
rules_field_name_ok(const char *name)
{
	size_t	 i;

	if (name[0] < 'a' || name[0] > 'z')
		return 0;
	for (i = 1; name[i] != '\0'; i++)
		if (i >= RULES_NAME_MAX ||
		    !((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

/* The field called name (len bytes), or -1. */
int
rules_field_find(const struct rules *r, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < r->nfields; i++)
		if (strlen(r->fields[i].name) == len &&
		    memcmp(r->fields[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int
rules_do_ask(struct rules *r, enum rules_directive d, char *value,
    size_t line)
{
	struct rules_field	*f;
	char			*left, *question, *name, *type;
	size_t			 t;
	int			 prev;

	(void)d;
	if (!rules_arrow(value, &left, &question))
		return rules_fail(r, line,
		    "ask: expected FIELD [TYPE] => QUESTION");
	if (*question == '\0')
		return rules_fail(r, line, "ask: empty question");
	name = left;
	type = left + strcspn(left, RULES_SPACES);
	if (*type != '\0') {
		*type++ = '\0';
		type = rules_trim(type);
		if (type[strcspn(type, RULES_SPACES)] != '\0')
			return rules_fail(r, line, "ask: expected FIELD [TYPE] "
			    "=> QUESTION");
	}
	if (!rules_field_name_ok(name))
		return rules_fail(r, line, "ask: the field name must be a "
		    "lower-case letter followed by up to 31 lower-case "
		    "letters, digits or _");
	if ((prev = rules_field_find(r, name, strlen(name))) >= 0)
		return rules_fail(r, line, "ask: field %s already asked on "
		    "line %zu", name, r->fields[prev].question.line);
	if (r->nfields == RULES_FIELDS_MAX)
		return rules_fail(r, line, "ask: more than %d fields",
		    RULES_FIELDS_MAX);
	for (t = 0; *type != '\0' && t < RULES_TYPE__MAX; t++)
		if (strcasecmp(type, rules_types[t].name) == 0)
			break;
	if (t == RULES_TYPE__MAX)
		return rules_fail(r, line, "ask: unknown type \"%s\" (text, "
		    "email, phone or number)", rules_shown(type));
	f = &r->fields[r->nfields++];
	f->name = name;
	f->type = *type == '\0' ? RULES_TEXT : (enum rules_type)t;
	rules_unescape(question);
	f->question.s = question;
	f->question.line = line;
	return 1;
}

static int
rules_do_hint(struct rules *r, enum rules_directive d, char *value,
    size_t line)
{
	struct rules_field	*f;

	(void)d;
	if (r->nfields == 0)
		return rules_fail(r, line, "hint: no ask line above it");
	f = &r->fields[r->nfields - 1];
	if (f->hint.s != NULL)
		return rules_fail(r, line, "hint: field %s has a hint already "
		    "(line %zu)", f->name, f->hint.line);
	rules_unescape(value);
	f->hint.s = value;
	f->hint.line = line;
	return 1;
}

static int
rules_do_trigger(struct rules *r, enum rules_directive d, char *value,
    size_t line)
{
	(void)d;
	return rules_keywords(r, value, RULES_TRIGGER, line);
}

/* Checks that every {name} in t names a field or {phone}. */
static int
rules_check_refs(struct rules *r, const struct rules_text *t)
{
	const char	*p, *e;
	size_t		 n;

	if (t->s == NULL)
		return 1;
	for (p = t->s; (p = strchr(p, '{')) != NULL; p++) {
		for (e = p + 1; (*e >= 'a' && *e <= 'z') ||
		    (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') ||
		    *e == '_'; e++)
			continue;
		n = (size_t)(e - p - 1);
		if (*e != '}' || n == 0 || n > RULES_NAME_MAX)
			continue;
		if (rules_field_find(r, p + 1, n) < 0 &&
		    !(n == 5 && memcmp(p + 1, "phone", 5) == 0))
			return rules_fail(r, t->line, "unknown field {%.*s}",
			    (int)n, p + 1);
	}
	return 1;
}

/* Checks needing the whole text: lines that need an ask, references. */
static int
rules_check_whole(struct rules *r)
{
	static const enum rules_directive need_ask[] = { RD_TRIGGER, RD_DONE };
	size_t	 i;

	for (i = 0; i < sizeof(need_ask) / sizeof(need_ask[0]); i++)
		if (r->nfields == 0 && r->seen[need_ask[i]] != 0)
			return rules_fail(r, r->seen[need_ask[i]],
			    "%s: there is no ask line",
			    rules_directives[need_ask[i]].name);
	for (i = 0; i < RD__MAX; i++)
		if (!rules_check_refs(r, &r->texts[i]))
			return 0;
	for (i = 0; i < r->nrules; i++)
		if (!rules_check_refs(r, &r->answers[i]))
			return 0;
	for (i = 0; i < r->nfields; i++)
		if (!rules_check_refs(r, &r->fields[i].question) ||
		    !rules_check_refs(r, &r->fields[i].hint))
			return 0;
	return 1;
}

void
rules_free(struct rules *r)
{
	free(r->buf);
	free(r->answers);
	free(r->keywords);
	r->buf = NULL;
	r->answers = NULL;
	r->keywords = NULL;
}

/*
 * Parses text into r. Returns 1 when valid, 0 when not (r->errline and
 * r->why say where and why), -1 when out of memory. Free r with
 * rules_free in every case.
 */
static int
rules_parse(struct rules *r, const char *text)
{
	char	*line, *next, *colon, *name, *value;
	size_t	 lineno, d;
	int	 rv;

	memset(r, 0, sizeof(*r));
	if (text == NULL)
		text = "";
	if (strlen(text) > RULES_TEXT_MAX)
		return rules_fail(r, 0, "the instructions are longer than %d "
		    "bytes", RULES_TEXT_MAX);
	if ((r->buf = strdup(text)) == NULL)
		return -1;
	for (line = r->buf, lineno = 1; line != NULL; line = next, lineno++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (!smstext_utf8_valid(line, strlen(line)))
			return rules_fail(r, lineno, "not valid UTF-8");
		line = rules_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((colon = strchr(line, ':')) == NULL)
			return rules_fail(r, lineno,
			    "expected \"name: value\"");
		*colon = '\0';
		name = rules_trim(line);
		value = rules_trim(colon + 1);
		for (d = 0; d < RD__MAX; d++)
			if (strcasecmp(name, rules_directives[d].name) == 0)
				break;
		if (d == RD__MAX)
			return rules_fail(r, lineno, "unknown directive \"%s\" "
			    "(greeting, rule, fallback, ask, hint, trigger or "
			    "done)", rules_shown(name));
		if (rules_directives[d].once && r->seen[d] != 0)
			return rules_fail(r, lineno, "%s given twice (first on "
			    "line %zu)", rules_directives[d].name, r->seen[d]);
		if (r->seen[d] == 0)
			r->seen[d] = lineno;
		if (*value == '\0')
			return rules_fail(r, lineno, "%s: empty value",
			    rules_directives[d].name);
		r->ndirectives++;
		if ((rv = rules_directives[d].parse(r, (enum rules_directive)d,
		    value, lineno)) <= 0)
			return rv;
	}
	return rules_check_whole(r);
}

/* Parses the job's instructions, or the default ones when they say nothing. */
int
rules_load(struct rules *r, const char *text)
{
	int	 rv;

	if ((rv = rules_parse(r, text)) <= 0 || r->ndirectives > 0)
		return rv;
	rules_free(r);
	return rules_parse(r, rules_default_text);
}

int
rules_check(const char *instructions, char *why, size_t whysz)
{
	struct rules	 r;
	int		 rv;

	if (whysz > 0)
		why[0] = '\0';
	if ((rv = rules_parse(&r, instructions)) == 0 && whysz > 0) {
		if (r.errline > 0)
			snprintf(why, whysz, "line %zu: %s", r.errline, r.why);
		else
			snprintf(why, whysz, "%s", r.why);
	}
	rules_free(&r);
	return rv;
}

const char *
rules_default(void)
{
	return rules_default_text;
}
