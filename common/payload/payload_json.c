/* The payload module's JSON kit (payload_int.h): parse with limits, get a member of a type, add, push, write. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "parse.h"
#include "payload_int.h"

/*
 * Nesting allowed in a body. The deepest real shape is an MMS part,
 * {results:[{message:[{...}]}]}, at 4; anything far deeper is hostile.
 */
#define PJ_DEPTH	32

static const char pj_why_empty[] = "empty body";
static const char pj_why_large[] = "body too large";
static const char pj_why_malformed[] = "malformed JSON";
static const char pj_why_deep[] = "JSON nested too deeply";
static const char pj_why_notobj[] = "body is not a JSON object";

/* JSON's white space, and only it. */
static int
pj_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
pj_parse(const char *body, size_t len, size_t max, struct json_object **root,
    const char **why)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*o = NULL;
	enum json_tokener_error	 err;
	const char		*dummy;
	size_t			 i, end;
	int			 rc = 0;

	if (why == NULL)
		why = &dummy;
	*root = NULL;
	for (i = 0; body != NULL && i < len && pj_space(body[i]); i++)
		continue;
	if (body == NULL || i == len) {
		*why = pj_why_empty;
		goto out;
	}
	if (len > max || len > INT_MAX) {
		*why = pj_why_large;
		goto out;
	}
	/* A raw NUL is never valid JSON, and json-c would stop at it. */
	if (memchr(body, '\0', len) != NULL) {
		*why = pj_why_malformed;
		goto out;
	}
	if ((tok = json_tokener_new_ex(PJ_DEPTH)) == NULL) {
		log_error("json_tokener_new_ex: out of memory");
		rc = -1;
		goto out;
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	if ((err = json_tokener_get_error(tok)) == json_tokener_continue) {
		/* All was read; the NUL ends a bare top-level number. */
		o = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
		end = len;
	} else
		end = json_tokener_get_parse_end(tok);
	while (end < len && pj_space(body[end]))
		end++;
	if (err == json_tokener_error_depth)
		*why = pj_why_deep;
	else if (err != json_tokener_success || end < len)
		*why = pj_why_malformed;
	else {
		*root = o;
		o = NULL;
		rc = 1;
	}
out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}


/* The UTF-16 unit of the escape "\uXXXX" at s (n bytes available), or -1 when s holds none. */
static long
pj_unit(const char *s, size_t n)
{
	long	 v = 0;
	int	 i, d;

	if (n < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((d = parse_hex_digit((unsigned char)s[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Where body (len bytes) holds the escape of a UTF-16 surrogate without
 * its pair ("\ud800" alone, or a low one first), which json-c would turn
 * into U+FFFD without a word: the offset of the first, or len when none.
 * Escaped backslashes are skipped, so "\\ud800" is text.
 */
static size_t
pj_lone_surrogate(const char *body, size_t len, size_t from)
{
	const char	*p;
	size_t		 i = from;
	long		 u;

	while (i < len && (p = memchr(body + i, '\\', len - i)) != NULL) {
		i = (size_t)(p - body);
		if ((u = pj_unit(body + i, len - i)) < 0xd800 || u > 0xdfff) {
			i += 2;		/* another escape, "\\" included */
			continue;
		}
		if (u >= 0xdc00)
			return i;
		if ((u = pj_unit(body + i + 6, len - i - 6)) < 0xdc00 ||
		    u > 0xdfff)
			return i;
		i += 12;
	}
	return len;
}

/*
 * A copy of body in which each lone surrogate's escape is one 0xFF byte:
 * invalid UTF-8, which every caller already refuses or repairs (and
 * logs), as it does the same bytes sent raw. *copy is NULL when body has
 * none (the common case: one memchr pass). 1, or < 0 out of memory.
 */
static int
pj_mark_lone_surrogates(const char *body, size_t len, char **copy,
    size_t *copylen)
{
	size_t	 at, from = 0, n = 0;
	char	*c;

	*copy = NULL;
	if ((at = pj_lone_surrogate(body, len, 0)) == len)
		return 1;
	if ((c = malloc(len)) == NULL) {
		log_error("payload: out of memory");
		return -1;
	}
	for (; at < len; at = pj_lone_surrogate(body, len, from)) {
		memcpy(c + n, body + from, at - from);
		n += at - from;
		c[n++] = (char)0xff;
		from = at + 6;
	}
	memcpy(c + n, body + from, len - from);
	*copy = c;
	*copylen = n + len - from;
	return 1;
}

int
payload_object_parse(const char *body, size_t len, struct json_object **root,
    const char **why)
{
	char	*marked;
	size_t	 mlen;
	int	 rc;

	*root = NULL;
	if (body != NULL &&
	    pj_mark_lone_surrogates(body, len, &marked, &mlen) < 0)
		return -1;
	if (body != NULL && marked != NULL) {
		rc = pj_parse(marked, mlen, SIZE_MAX, root, why);
		free(marked);
	} else
		rc = pj_parse(body, len, SIZE_MAX, root, why);
	if (rc <= 0)
		return rc;
	if (!json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		*why = pj_why_notobj;
		return 0;
	}
	return 1;
}

/*
 * The members the text of body names: its colons outside strings (either
 * quote, as json-c reads them) and comments, one to a member.
 */
static size_t
pj_text_members(const char *b, size_t len)
{
	const char	*p;
	size_t		 i, n = 0;
	char		 q;

	for (i = 0; i < len; i++) {
		if (b[i] == '"' || b[i] == '\'') {
			for (q = b[i++]; i < len && b[i] != q; i++)
				if (b[i] == '\\')
					i++;
		} else if (b[i] == '/' && i + 1 < len && b[i + 1] == '*') {
			p = memmem(b + i + 2, len - i - 2, "*/", 2);
			i = p != NULL ? (size_t)(p - b) + 1 : len;
		} else if (b[i] == '/' && i + 1 < len && b[i + 1] == '/') {
			p = memchr(b + i, '\n', len - i);
			i = p != NULL ? (size_t)(p - b) : len;
		} else if (b[i] == ':')
			n++;
	}
	return n;
}

/* The members of every object in o, nested ones included. */
static size_t
pj_tree_members(struct json_object *o)
{
	size_t	 n = 0, i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			(void)key;
			n += 1 + pj_tree_members(v);
		}
	} else if (json_object_is_type(o, json_type_array))
		for (i = 0; i < json_object_array_length(o); i++)
			n += pj_tree_members(json_object_array_get_idx(o, i));
	return n;
}

int
pj_duplicate_member(const char *body, size_t len, struct json_object *root)
{
	return pj_text_members(body, len) > pj_tree_members(root);
}

struct json_object *
pj_get(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *
pj_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if ((v = pj_get(o, key, json_type_string)) == NULL)
		return NULL;
	return json_object_get_string(v);
}

int
pj_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return 0;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

int
pj_push(struct json_object *a, struct json_object *v)
{
	if (v == NULL)
		return 0;
	if (json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

int
pj_add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) == 0;
}

int
pj_add_str(struct json_object *o, const char *key, const char *s)
{
	return pj_add(o, key, json_object_new_string(s));
}

int
pj_add_opt_str(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL || *s == '\0')
		return pj_add_null(o, key);
	return pj_add_str(o, key, s);
}

int
pj_add_int(struct json_object *o, const char *key, int64_t v)
{
	return pj_add(o, key, json_object_new_int64(v));
}

char *
pj_text(struct json_object *o)
{
	const char	*s;

	s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	return s != NULL ? strdup(s) : NULL;
}

char *
pj_text_inert(struct json_object *o)
{
	const char	*s, *p;
	char		*out, *q;
	size_t		 n = 0;

	if ((s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		n += *p == '<' || *p == '>';
	if ((out = malloc(strlen(s) + 5 * n + 1)) == NULL)
		return NULL;
	/* Outside strings JSON has no < or >: every one is inside a string. */
	for (p = s, q = out; *p != '\0'; p++)
		if (*p == '<' || *p == '>') {
			memcpy(q, *p == '<' ? "\\u003c" : "\\u003e", 6);
			q += 6;
		} else
			*q++ = *p;
	*q = '\0';
	return out;
}

char *
pj_finish(struct json_object *o, int ok, int inert)
{
	char	*out = NULL;

	if (ok)
		out = inert ? pj_text_inert(o) : pj_text(o);
	json_object_put(o);
	return out;
}
