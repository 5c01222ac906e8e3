/* JSON of the agents: session data, the HTTP agent's wire format, OpenAI-compatible chat. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "payload_agent.h"
#include "payload_int.h"
#include "smstext.h"

/* How history turns are named on each wire. */
static const char *const pa_http_roles[] = { "agent", "customer" };
static const char *const pa_chat_roles[] = { "assistant", "user" };

/* White space trimmed from a reply's text: C's, wider than JSON's. */
static int
pa_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Parses body as exactly one JSON value, up to AGENT_BODY_MAX; NULL for none. */
static struct json_object *
pa_parse(const char *body, size_t len)
{
	struct json_object	*obj;

	return pj_parse(body, len, AGENT_BODY_MAX, &obj, NULL) > 0 ? obj : NULL;
}

/*
 * A JSON string of s (NULL counts as ""), invalid UTF-8 repaired so the
 * peer always gets valid JSON. NULL when out of memory.
 */
static struct json_object *
pa_new_string(const char *s)
{
	struct json_object	*v;
	char			*fixed;

	if (s == NULL)
		s = "";
	if (smstext_utf8_valid(s, strlen(s)))
		return json_object_new_string(s);
	if ((fixed = smstext_utf8_repair(s, strlen(s))) == NULL)
		return NULL;
	v = json_object_new_string(fixed);
	free(fixed);
	return v;
}

/* {rolekey: role, textkey: text}; NULL when out of memory. */
static struct json_object *
pa_turn(const char *rolekey, const char *role, const char *textkey,
    const char *text)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!pj_add(o, rolekey, json_object_new_string(role)) ||
	    !pj_add(o, textkey, pa_new_string(text))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * Copies the len bytes at s with surrounding white space trimmed, invalid
 * UTF-8 repaired and NUL bytes dropped into *text; *text is NULL when
 * nothing is left. Returns 1, or -1 when out of memory.
 */
static int
pa_reply_text(const char *s, size_t len, char **text)
{
	while (len > 0 && pa_is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && pa_is_space(s[len - 1]))
		len--;
	*text = NULL;
	if (len == 0)
		return 1;
	if ((*text = smstext_utf8_repair(s, len)) == NULL)
		return -1;
	if ((*text)[0] == '\0') {
		free(*text);
		*text = NULL;
	}
	return 1;
}

int
payload_agent_data_get(const char *json, const char *key, char **val)
{
	struct json_object	*o, *v;
	int			 rv = 0;

	*val = NULL;
	if (json == NULL || (o = pa_parse(json, strlen(json))) == NULL)
		return 0;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_boolean)))
		rv = (*val = strdup(json_object_get_string(v))) != NULL ?
		    1 : -1;
	json_object_put(o);
	return rv;
}

char *
payload_agent_data_set(const char *json, const char *key, const char *val)
{
	struct json_object	*o = NULL;
	char			*out = NULL;

	if (json != NULL)
		o = pa_parse(json, strlen(json));
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	if (o == NULL && (o = json_object_new_object()) == NULL)
		return NULL;
	if (pj_add(o, key, pa_new_string(val)))
		out = pj_text(o);
	json_object_put(o);
	return out;
}

char *
payload_agent_http_request(const struct agent_job *job)
{
	struct json_object	*o, *hist;
	char			*out = NULL;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!pj_add(o, "session", json_object_new_int64(job->session)) ||
	    !pj_add(o, "contact", pa_new_string(job->phone)) ||
	    !pj_add(o, "message", pa_new_string(job->text)) ||
	    !pj_add(o, "history", hist = json_object_new_array()))
		goto out;
	for (i = 0; i < job->nhistory; i++)
		if (!pj_push(hist, pa_turn("role",
		    pa_http_roles[job->history[i].inbound != 0], "text",
		    job->history[i].text)))
			goto out;
	out = pj_text(o);
out:
	json_object_put(o);
	return out;
}

char *
payload_agent_openai_request(const struct agent_job *job)
{
	struct json_object	*o, *msgs;
	char			*out = NULL;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!pj_add(o, "model", pa_new_string(job->model)) ||
	    !pj_add(o, "messages", msgs = json_object_new_array()))
		goto out;
	if (job->instructions != NULL && job->instructions[0] != '\0' &&
	    !pj_push(msgs, pa_turn("role", "system", "content",
	    job->instructions)))
		goto out;
	for (i = 0; i < job->nhistory; i++)
		if (!pj_push(msgs, pa_turn("role",
		    pa_chat_roles[job->history[i].inbound != 0], "content",
		    job->history[i].text)))
			goto out;
	if (!pj_push(msgs, pa_turn("role", "user", "content", job->text)))
		goto out;
	out = pj_text(o);
out:
	json_object_put(o);
	return out;
}

int
payload_agent_http_reply(const char *body, size_t len, char **text,
    char *err, size_t errsz)
{
	struct json_object	*o, *v;
	int			 rv = 0;

	*text = NULL;
	smstext_copy(err, errsz, "");
	if ((o = pa_parse(body, len)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		smstext_copy(err, errsz, "answer is not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(o, "reply", &v)) {
		smstext_copy(err, errsz, "answer has no \"reply\" member");
		goto out;
	}
	if (v == NULL)		/* "reply": null, nothing to say */
		rv = 1;
	else if (!json_object_is_type(v, json_type_string))
		smstext_copy(err, errsz, "\"reply\" is not a string");
	else
		rv = pa_reply_text(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), text);
out:
	json_object_put(o);
	return rv;
}

int
payload_agent_openai_reply(const char *body, size_t len, char **text,
    char *err, size_t errsz)
{
	struct json_object	*o, *choices, *msg, *v;
	int			 rv = 0;

	*text = NULL;
	smstext_copy(err, errsz, "");
	if ((o = pa_parse(body, len)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		smstext_copy(err, errsz, "answer is not a JSON object");
		goto out;
	}
	if ((choices = pj_get(o, "choices", json_type_array)) == NULL ||
	    json_object_array_length(choices) == 0) {
		if (!payload_agent_error_message(body, len, err, errsz))
			smstext_copy(err, errsz, "answer has no \"choices\"");
		goto out;
	}
	if ((msg = pj_get(json_object_array_get_idx(choices, 0), "message",
	    json_type_object)) == NULL ||
	    !json_object_object_get_ex(msg, "content", &v)) {
		smstext_copy(err, errsz, "answer has no choices[0].message.content");
		goto out;
	}
	if (v != NULL && !json_object_is_type(v, json_type_string)) {
		smstext_copy(err, errsz,
		    "choices[0].message.content is not a string");
		goto out;
	}
	rv = 1;
	if (v != NULL)
		rv = pa_reply_text(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), text);
	if (rv > 0 && *text == NULL)
		smstext_copy(err, errsz, "the model returned no content");
out:
	json_object_put(o);
	return rv;
}

int
payload_agent_error_message(const char *body, size_t len, char *msg,
    size_t msgsz)
{
	struct json_object	*o, *e, *m;
	char			*s = NULL;
	int			 rv = 0;

	smstext_copy(msg, msgsz, "");
	if ((o = pa_parse(body, len)) == NULL)
		return 0;
	if ((e = pj_get(o, "error", json_type_string)) != NULL)
		m = e;
	else
		m = pj_get(pj_get(o, "error", json_type_object), "message",
		    json_type_string);
	if (m != NULL && pa_reply_text(json_object_get_string(m),
	    (size_t)json_object_get_string_len(m), &s) > 0 && s != NULL) {
		smstext_copy(msg, msgsz, s);
		rv = 1;
	}
	free(s);
	json_object_put(o);
	return rv;
}
