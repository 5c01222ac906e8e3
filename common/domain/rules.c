/* The built-in rules agent: answers from a small line format, no network; the matching and answering (the format is read in rules_parse.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "payload_agent.h"
#include "phone.h"
#include "rules.h"
#include "rules_int.h"
#include "smstext.h"

static const char rules_done_default[] = "Thank you!";

static int	rules_valid_text(const char *, char *, size_t);
static int	rules_valid_email(const char *, char *, size_t);
static int	rules_valid_phone(const char *, char *, size_t);
static int	rules_valid_number(const char *, char *, size_t);

/* Each type's name, built-in hint and validator (1 valid, value written). */
const struct rules_type_def rules_types[RULES_TYPE__MAX] = {
	[RULES_TEXT] = { "text", "Please answer in a few words.",
	    rules_valid_text },
	[RULES_EMAIL] = { "email", "That does not look like an email "
	    "address (like ann@example.com).", rules_valid_email },
	[RULES_PHONE] = { "phone", "Please send the number with its country "
	    "code, digits only, like +14155550123.", rules_valid_phone },
	[RULES_NUMBER] = { "number", "Please answer with digits only.",
	    rules_valid_number },
};

/* A growing reply. */
struct rules_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/*
 * Folds s in place for matching: A-Z and U+00C0-U+00DE (but U+00D7) to
 * lower case, which keeps every length, and each run of white space to one
 * space, none at the ends. Returns the new length.
 */
size_t
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
