/* The payload module's one JSON kit, shared by its files only: json-c types stay inside the module. */
#ifndef PAYLOAD_INT_H
#define PAYLOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * Parses the len bytes at body as exactly one JSON value: JSON white space
 * (space, tab, CR, LF) around it, no NUL byte, nested at most 32 deep, at
 * most max bytes (and INT_MAX). Returns 1 with *root (put it with
 * json_object_put; NULL for a JSON null), 0 with a static *why ("empty
 * body", "body too large", "malformed JSON", "JSON nested too deeply"),
 * < 0 when out of memory (logged). why may be NULL.
 */
int	 pj_parse(const char *body, size_t len, size_t max,
	    struct json_object **root, const char **why);

/*
 * pj_parse for a body that must be one JSON object, of any size: 0 also
 * with "body is not a JSON object". The webhooks' and the send API's
 * parser. The escape of a UTF-16 surrogate without its pair ("\ud800"),
 * which json-c would make U+FFFD without a word, reads as a byte of
 * invalid UTF-8 instead, so that the checks refuse it, or repair and log
 * it, as they do invalid bytes.
 */
int	 payload_object_parse(const char *body, size_t len,
	    struct json_object **root, const char **why);

/*
 * Whether an object in the text body (len bytes), which parsed into root,
 * names a member twice: json-c keeps the last without a word. 1 yes, 0 no.
 */
int	 pj_duplicate_member(const char *body, size_t len,
	    struct json_object *root);

/* Member key of object o (o may be NULL or no object) when it has type t, else NULL; borrowed. */
struct json_object *pj_get(struct json_object *o, const char *key,
	    enum json_type t);
/* The string member key of o, or NULL; borrowed. */
const char *pj_str(struct json_object *o, const char *key);

/*
 * The adders take what they add, also on failure (NULL counts as a failed
 * allocation), and return 1 ok, 0 out of memory.
 */
int	 pj_add(struct json_object *o, const char *key, struct json_object *v);
/* Appends v to array a. */
int	 pj_push(struct json_object *a, struct json_object *v);
/* Adds member key as null. */
int	 pj_add_null(struct json_object *o, const char *key);
/* Adds the string s (not NULL). */
int	 pj_add_str(struct json_object *o, const char *key, const char *s);
/* Adds the string s, or null when s is NULL or "" (absent). */
int	 pj_add_opt_str(struct json_object *o, const char *key, const char *s);
int	 pj_add_int(struct json_object *o, const char *key, int64_t v);

/* The compact text of o (no slash escaped), malloc'd; NULL when out of memory. */
char	*pj_text(struct json_object *o);
/*
 * pj_text with every < and > written as \u003c and \u003e, so that an
 * answer a browser renders as HTML runs nothing: for the answers of our
 * web programs (errors, the admin's status reads).
 */
char	*pj_text_inert(struct json_object *o);
/*
 * Ends a builder: the text of o (pj_text_inert when inert, else pj_text)
 * when ok, else NULL; puts o in both cases. NULL when out of memory.
 */
char	*pj_finish(struct json_object *o, int ok, int inert);

#endif
