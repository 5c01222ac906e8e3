/* The built-in rules agent: answers from a small line format, no network. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "payload_agent.h"
#include "phone.h"
#include "rules.h"
#include "smstext.h"

#define RULES_TEXT_CHARS	500	/* longest text answer, in characters */
#define RULES_VALUE_MAX		(4 * RULES_TEXT_CHARS + 1)
#define RULES_EMAIL_MAX		254
#define RULES_NUMBER_MAX	32
#define RULES_NAME_MAX		32	/* longest field name */
#define RULES_TRIGGER		SIZE_MAX	/* rule of trigger keywords */
#define RULES_SPACES		" \t\r\n\v\f"

static const char rules_default_text[] =
    "# Used when an agent has no instructions of its own.\n"
    "greeting: Hello! Thanks for your message. Someone from our team "
    "will reply soon.\n"
    "fallback: Thanks, we got your message. Someone from our team will "
    "reply soon.\n";

static const char rules_done_default[] = "Thank you!";

enum rules_type {
	RULES_TEXT,
	RULES_EMAIL,
	RULES_PHONE,
	RULES_NUMBER,
	RULES_TYPE__MAX,
};

static int	rules_valid_text(const char *, char *, size_t);
static int	rules_valid_email(const char *, char *, size_t);
static int	rules_valid_phone(const char *, char *, size_t);
static int	rules_valid_number(const char *, char *, size_t);

/* Each type's name, built-in hint and validator (1 valid, value written). */
static const struct {
	const char	*name;
	const char	*hint;
	int		(*valid)(const char *answer, char *value,
			    size_t valuesz);
} rules_types[RULES_TYPE__MAX] = {
	[RULES_TEXT] = { "text", "Please answer in a few words.",
	    rules_valid_text },
	[RULES_EMAIL] = { "email", "That does not look like an email "
	    "address (like ann@example.com).", rules_valid_email },
	[RULES_PHONE] = { "phone", "Please send the number with its country "
	    "code, digits only, like +14155550123.", rules_valid_phone },
	[RULES_NUMBER] = { "number", "Please answer with digits only.",
	    rules_valid_number },
};

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

/* A growing reply. */
struct rules_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/* --- small helpers --------------------------------------------------- */

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
static char *
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

/*
 * Folds s in place for matching: A-Z and U+00C0-U+00DE (but U+00D7) to
 * lower case, which keeps every length, and each run of white space to one
 * space, none at the ends. Returns the new length.
 */
static size_t
rules_fold(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	size_t		 i, n = 0;

	for (i = 0; p[i] != '\0'; i++) {
		if (strchr(RULES_SPACES, p[i]) != NULL) {
			if (n > 0 && p[n - 1] != ' ')
				p[n++] = ' ';
			continue;
		}
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[n++] = p[i] + ('a' - 'A');
		else if (p[i] == 0xc3 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9e &&
		    p[i + 1] != 0x97) {
			p[n++] = p[i++];
			p[n++] = p[i] + 0x20;
		} else
			p[n++] = p[i];
	}
	if (n > 0 && p[n - 1] == ' ')
		n--;
	p[n] = '\0';
	return n;
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

/* The code point of the sequence at s (n bytes available), -1 if broken. */
static long
rules_decode(const unsigned char *s, size_t n)
{
	if (n == 0)
		return -1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0 && n >= 2)
		return (long)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	if ((s[0] & 0xf0) == 0xe0 && n >= 3)
		return (long)(s[0] & 0x0f) << 12 | (long)(s[1] & 0x3f) << 6 |
		    (s[2] & 0x3f);
	if ((s[0] & 0xf8) == 0xf0 && n >= 4)
		return (long)(s[0] & 0x07) << 18 | (long)(s[1] & 0x3f) << 12 |
		    (long)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return -1;
}

/*
 * Whether a code point belongs inside a word: ASCII letters and digits and
 * any other letter; ASCII punctuation, Latin-1 signs, general punctuation
 * and symbols, CJK punctuation and emoji separate words.
 */
static int
rules_is_word(long cp)
{
	if (cp < 0)
		return 0;
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	if (cp <= 0xbf || cp == 0xd7 || cp == 0xf7)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1f000 && cp <= 0x1faff))
		return 0;
	return 1;
}

/* Whether the character at s[pos] (s is len bytes) is a word character. */
static int
rules_word_at(const char *s, size_t len, size_t pos)
{
	return pos < len &&
	    rules_is_word(rules_decode((const unsigned char *)s + pos,
	    len - pos));
}

/* Whether the character ending just before s[pos] is a word character. */
static int
rules_word_before(const char *s, size_t pos)
{
	size_t	 i;

	if (pos == 0)
		return 0;
	for (i = pos - 1; i > 0 && pos - i < 4 &&
	    ((unsigned char)s[i] & 0xc0) == 0x80; i--)
		continue;
	return rules_is_word(rules_decode((const unsigned char *)s + i,
	    pos - i));
}

/* Whether the folded message holds the keyword on word boundaries. */
static int
rules_match(const struct rules_keyword *k, const char *msg, size_t len)
{
	const char	*p;
	size_t		 pos;
	int		 edge_start, edge_end;

	/* Boundaries matter only where the keyword has a word character. */
	edge_start = rules_word_at(k->word, k->len, 0);
	edge_end = !k->prefix && rules_word_before(k->word, k->len);
	for (pos = 0; pos + k->len <= len; pos = (size_t)(p - msg) + 1) {
		if ((p = memmem(msg + pos, len - pos, k->word, k->len)) == NULL)
			break;
		if (edge_start && rules_word_before(msg, (size_t)(p - msg)))
			continue;
		if (edge_end && rules_word_at(msg, len,
		    (size_t)(p - msg) + k->len))
			continue;
		return 1;
	}
	return 0;
}

/*
 * The first rule whose keywords match msg (or RULES_TRIGGER when trigger
 * is set and a trigger keyword matches); SIZE_MAX - 1 when none does.
 */
static size_t
rules_find(const struct rules *r, const char *msg, size_t len, int trigger)
{
	size_t	 i;

	for (i = 0; i < r->nkeywords; i++)
		if ((r->keywords[i].rule == RULES_TRIGGER) == (trigger != 0) &&
		    rules_match(&r->keywords[i], msg, len))
			return r->keywords[i].rule;
	return SIZE_MAX - 1;
}

/* --- parsing --------------------------------------------------------- */

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
static int
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

static void
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
static int
rules_load(struct rules *r, const char *text)
{
	int	 rv;

	if ((rv = rules_parse(r, text)) <= 0 || r->ndirectives > 0)
		return rv;
	rules_free(r);
	return rules_parse(r, rules_default_text);
}

/* --- validators ------------------------------------------------------ */

static int
rules_valid_text(const char *in, char *out, size_t outsz)
{
	size_t	 n;

	n = smstext_chars(in);
	if (n == 0 || n > RULES_TEXT_CHARS || strlen(in) >= outsz)
		return 0;
	memcpy(out, in, strlen(in) + 1);
	return 1;
}

static int
rules_valid_email(const char *in, char *out, size_t outsz)
{
	const char	*b, *e, *w, *at, *dom;
	size_t		 n;

	/* In a sentence, the one word with an '@' is the address. */
	b = in;
	e = in + strlen(in);
	if (in[strcspn(in, RULES_SPACES)] != '\0') {
		b = NULL;
		for (w = in; *w != '\0'; w += strcspn(w, RULES_SPACES)) {
			w += strspn(w, RULES_SPACES);
			n = strcspn(w, RULES_SPACES);
			if (memchr(w, '@', n) == NULL)
				continue;
			if (b != NULL)
				return 0;
			b = w;
			e = w + n;
		}
		if (b == NULL)
			return 0;
	}
	while (b < e && strchr("(<\"'", *b) != NULL)
		b++;
	while (e > b && strchr(".,;:!?)>\"'", e[-1]) != NULL)
		e--;
	n = (size_t)(e - b);
	if (n == 0 || n > RULES_EMAIL_MAX || n >= outsz)
		return 0;
	for (w = b; w < e; w++)
		if ((unsigned char)*w <= 0x20 || *w == 0x7f)
			return 0;
	if ((at = memchr(b, '@', n)) == NULL || at == b ||
	    memchr(at + 1, '@', (size_t)(e - at - 1)) != NULL)
		return 0;
	dom = at + 1;
	if (e - dom < 3 || *dom == '.' || e[-1] == '.' ||
	    memchr(dom, '.', (size_t)(e - dom)) == NULL)
		return 0;
	memcpy(out, b, n);
	out[n] = '\0';
	return 1;
}

static int
rules_valid_phone(const char *in, char *out, size_t outsz)
{
	return phone_normalize(in, out, outsz, NULL);
}

static int
rules_valid_number(const char *in, char *out, size_t outsz)
{
	size_t	 n;

	n = strspn(in, "0123456789");
	if (n == 0 || n > RULES_NUMBER_MAX || in[n] != '\0' || n >= outsz)
		return 0;
	memcpy(out, in, n + 1);
	return 1;
}

/* --- answering ------------------------------------------------------- */

/* Appends len bytes of s; 1 ok, 0 out of memory. */
static int
rules_put(struct rules_buf *b, const char *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (b->len + len + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->len + len + 1;
		    cap *= 2)
			continue;
		if ((p = realloc(b->s, cap)) == NULL)
			return 0;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return 1;
}

/*
 * Appends tmpl with each {field} replaced by its value (vals, "" when not
 * collected) and {phone} by phone. 1 ok, 0 out of memory.
 */
static int
rules_expand(struct rules_buf *b, const struct rules *r, const char *tmpl,
    char *const vals[], const char *phone)
{
	const char	*p, *e, *v;
	size_t		 n;
	int		 f;

	while ((p = strchr(tmpl, '{')) != NULL) {
		if (!rules_put(b, tmpl, (size_t)(p - tmpl)))
			return 0;
		for (e = p + 1; (*e >= 'a' && *e <= 'z') || (*e >= '0' &&
		    *e <= '9') || *e == '_'; e++)
			continue;
		n = (size_t)(e - p - 1);
		v = NULL;
		if (*e == '}' && n > 0) {
			if ((f = rules_field_find(r, p + 1, n)) >= 0)
				v = vals[f] != NULL ? vals[f] : "";
			else if (n == 5 && memcmp(p + 1, "phone", 5) == 0)
				v = phone != NULL ? phone : "";
		}
		if (v == NULL) {		/* not a reference: kept */
			if (!rules_put(b, "{", 1))
				return 0;
			tmpl = p + 1;
			continue;
		}
		if (!rules_put(b, v, strlen(v)))
			return 0;
		tmpl = e + 1;
	}
	return rules_put(b, tmpl, strlen(tmpl));
}

/*
 * Takes value as the answer to field f: keeps it in vals and the session
 * data and, for name and email, in the contact fields. 1 ok, 0 out of
 * memory.
 */
static int
rules_record(const struct rules *r, size_t f, const char *value,
    const struct agent_job *job, char *vals[], struct agent_reply *reply)
{
	char	*data;

	free(vals[f]);
	if ((vals[f] = strdup(value)) == NULL)
		return 0;
	data = payload_agent_data_set(reply->session_data != NULL ?
	    reply->session_data : job->session_data, r->fields[f].name, value);
	if (data == NULL)
		return 0;
	free(reply->session_data);
	reply->session_data = data;
	if (strcmp(r->fields[f].name, "name") == 0)
		smstext_copy(reply->contact_name, sizeof(reply->contact_name),
		    value);
	else if (strcmp(r->fields[f].name, "email") == 0)
		smstext_copy(reply->contact_email, sizeof(reply->contact_email),
		    value);
	return 1;
}

/* What the reply will say, in order: templates still holding {field}. */
struct rules_parts {
	const char	*s[6];
	size_t		 n;
};

static void
rules_say(struct rules_parts *parts, const char *s)
{
	if (s != NULL && parts->n < sizeof(parts->s) / sizeof(parts->s[0]))
		parts->s[parts->n++] = s;
}

/*
 * Decides the parts of the reply and records an answer, following the
 * order documented in rules.h. msg is the message, valid UTF-8 and
 * trimmed; folded is its matching form. Returns 1, 0 when out of memory.
 */
static int
rules_decide(const struct rules *r, const struct agent_job *job,
    const char *msg, const char *folded, char *vals[],
    struct agent_reply *reply, struct rules_parts *parts)
{
	const struct rules_field	*f;
	char				 value[RULES_VALUE_MAX];
	size_t				 rule, flen, n = r->nfields;
	int				 step, valid;

	flen = strlen(folded);
	rule = rules_find(r, folded, flen, 0);
	step = job->collect_step < 0 ? 0 : job->collect_step;
	reply->collect_step = step;
	if (job->nhistory == 0)
		rules_say(parts, r->texts[RD_GREETING].s);

	if (step >= 1 && (size_t)step <= n) {
		f = &r->fields[step - 1];
		valid = rules_types[f->type].valid(msg, value, sizeof(value));
		if (rule < r->nrules && (!valid || f->type == RULES_TEXT)) {
			rules_say(parts, r->answers[rule].s);
			rules_say(parts, f->question.s);
		} else if (!valid) {
			rules_say(parts, f->hint.s != NULL ? f->hint.s :
			    rules_types[f->type].hint);
			rules_say(parts, f->question.s);
		} else {
			if (!rules_record(r, (size_t)step - 1, value, job, vals,
			    reply))
				return 0;
			reply->collect_step = ++step;
			if ((size_t)step <= n)
				rules_say(parts,
				    r->fields[step - 1].question.s);
			else
				rules_say(parts, r->texts[RD_DONE].s != NULL ?
				    r->texts[RD_DONE].s : rules_done_default);
		}
		return 1;
	}
	if (step == 0 && n > 0 && (r->seen[RD_TRIGGER] == 0 ||
	    rules_find(r, folded, flen, 1) == RULES_TRIGGER)) {
		if (rule < r->nrules)
			rules_say(parts, r->answers[rule].s);
		rules_say(parts, r->fields[0].question.s);
		reply->collect_step = 1;
		return 1;
	}
	if (rule < r->nrules)
		rules_say(parts, r->answers[rule].s);
	else if (parts->n == 0)
		rules_say(parts, r->texts[RD_FALLBACK].s);
	return 1;
}

int
rules_answer(const struct agent_job *job, struct agent_reply *reply)
{
	struct rules		 r;
	struct rules_parts	 parts;
	struct rules_buf	 b = { NULL, 0, 0 };
	char			*vals[RULES_FIELDS_MAX] = { NULL };
	char			*msg = NULL, *folded = NULL, *trimmed;
	size_t			 i;
	int			 rv = -1;

	memset(reply, 0, sizeof(*reply));
	memset(&parts, 0, sizeof(parts));
	reply->collect_step = job->collect_step;
	if ((rv = rules_load(&r, job->instructions)) <= 0) {
		if (rv == 0) {
			snprintf(reply->error, sizeof(reply->error),
			    "rules instructions: line %zu: %s", r.errline,
			    r.why);
			rv = 1;
		}
		goto out;
	}
	rv = -1;
	for (i = 0; i < r.nfields; i++)
		if (payload_agent_data_get(job->session_data, r.fields[i].name,
		    &vals[i]) < 0)
			goto out;
	msg = smstext_utf8_repair(job->text != NULL ? job->text : "",
	    job->text != NULL ? strlen(job->text) : 0);
	if (msg == NULL || (folded = strdup(msg)) == NULL)
		goto out;
	trimmed = rules_trim(msg);
	rules_fold(folded);
	if (!rules_decide(&r, job, trimmed, folded, vals, reply, &parts))
		goto out;
	for (i = 0; i < parts.n; i++)
		if ((i > 0 && !rules_put(&b, "\n", 1)) ||
		    !rules_expand(&b, &r, parts.s[i], vals, job->phone))
			goto out;
	if (b.len > 0) {
		reply->text = b.s;
		b.s = NULL;
	}
	rv = 1;
out:
	if (rv < 0) {
		free(reply->text);
		free(reply->session_data);
		memset(reply, 0, sizeof(*reply));
	}
	for (i = 0; i < RULES_FIELDS_MAX; i++)
		free(vals[i]);
	free(b.s);
	free(msg);
	free(folded);
	rules_free(&r);
	return rv;
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
