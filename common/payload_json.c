/* The payload module's JSON kit (payload_int.h): parse with limits, get a member of a type, add, push, write. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
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

int
payload_object_parse(const char *body, size_t len, struct json_object **root,
    const char **why)
{
	int	 rc;

	if ((rc = pj_parse(body, len, SIZE_MAX, root, why)) <= 0)
		return rc;
	if (!json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		*why = pj_why_notobj;
		return 0;
	}
	return 1;
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
