/* JSON of the send API (POST and GET /channel/{id}/messages): the request read, the answers written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "payload_api.h"
#include "payload_int.h"
#include "store_api.h"

/* The members a request may hold: a closed set, so that a misspelt one is refused, not ignored. */
static const struct {
	const char	*name;
	int		 required;
	size_t		 off;
} api_members[] = {
	{ "to", 1, offsetof(struct api_request, to) },
	{ "text", 1, offsetof(struct api_request, text) },
	{ "communication", 0, offsetof(struct api_request, communication) },
	{ "reference", 0, offsetof(struct api_request, reference) },
};
#define API_NMEMBERS	(sizeof(api_members) / sizeof(api_members[0]))

void
payload_api_free(struct api_request *r)
{
	free(r->to);
	free(r->text);
	free(r->communication);
	free(r->reference);
	memset(r, 0, sizeof(*r));
}

int
payload_api_parse(const char *body, size_t len, struct api_request *req,
    int *status, char *field, size_t fieldsz, char *why, size_t whysz)
{
	struct json_object	*root = NULL, *v;
	const char		*pwhy = NULL, *s;
	char			**dst;
	size_t			 i, n;
	int			 rc;

	memset(req, 0, sizeof(*req));
	field[0] = '\0';
	*status = 400;
	why[0] = '\0';
	if ((rc = payload_object_parse(body, len, &root, &pwhy)) <= 0) {
		if (rc == 0)
			snprintf(why, whysz, "%s", pwhy);
		return rc;
	}
	rc = 0;
	*status = 422;
	json_object_object_foreach(root, key, val) {
		(void)val;
		for (i = 0; i < API_NMEMBERS; i++)
			if (strcmp(key, api_members[i].name) == 0)
				break;
		if (i == API_NMEMBERS) {
			snprintf(field, fieldsz, "%.64s", key);
			snprintf(why, whysz, "unknown member \"%.64s\": the"
			    " body holds to, text, communication and reference"
			    " only", key);
			goto out;
		}
	}
	for (i = 0; i < API_NMEMBERS; i++) {
		snprintf(field, fieldsz, "%s", api_members[i].name);
		if (!json_object_object_get_ex(root, api_members[i].name, &v) ||
		    v == NULL) {
			if (!api_members[i].required)
				continue;
			snprintf(why, whysz, "%s is required",
			    api_members[i].name);
			goto out;
		}
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(why, whysz, "%s must be a string",
			    api_members[i].name);
			goto out;
		}
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (strlen(s) != n) {
			snprintf(why, whysz, "%s holds a NUL character",
			    api_members[i].name);
			goto out;
		}
		dst = (char **)((char *)req + api_members[i].off);
		if ((*dst = strdup(s)) == NULL) {
			rc = -1;
			goto out;
		}
	}
	field[0] = '\0';
	*status = 0;
	rc = 1;
out:
	json_object_put(root);
	if (rc <= 0)
		payload_api_free(req);
	return rc;
}

/* Adds a member: a string, or null when val is "" (absent). 1 ok, 0 out of memory. */
static int
add_str(struct json_object *o, const char *key, const char *val)
{
	struct json_object	*v = NULL;

	if (val != NULL && *val != '\0' &&
	    (v = json_object_new_string(val)) == NULL)
		return 0;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

/* Adds a member holding v (owned: put on failure). 1 ok, 0 out of memory. */
static int
add_obj(struct json_object *o, const char *key, struct json_object *v,
    int present)
{
	if (present && v == NULL)
		return 0;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

/* The JSON text of o, malloc'd; puts o. NULL when out of memory. */
static char *
finish(struct json_object *o, int ok)
{
	char	*out = NULL;

	if (ok)
		out = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

char *
payload_api_message(const struct store_api_message *m, int replay)
{
	struct json_object	*o, *ib = NULL, *price = NULL;
	int			 ok;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	ok = add_str(o, "id", m->uid) &&
	    add_str(o, "status", m->status) &&
	    add_str(o, "to", m->recipient) &&
	    add_str(o, "reference", m->reference) &&
	    add_str(o, "communication", m->communication) &&
	    add_str(o, "created_at", m->created_at) &&
	    add_str(o, "updated_at", m->updated_at) &&
	    add_str(o, "sent_at", m->sent_at) &&
	    add_str(o, "done_at", m->done_at) &&
	    add_str(o, "reason", strcmp(m->status, "failed") == 0 ?
	    m->status_description : "");
	if (ok && (ib = json_object_new_object()) == NULL)
		ok = 0;
	ok = ok && add_str(ib, "message_id", m->infobip_id) &&
	    add_str(ib, "status_group", m->status_group) &&
	    add_str(ib, "status_name", m->status_name) &&
	    add_str(ib, "status_description", m->status_description) &&
	    add_str(ib, "error_name", m->error_name) &&
	    add_str(ib, "error_description", m->error_description);
	if (ok) {
		ok = add_obj(o, "infobip", ib, 1);
		ib = NULL;
	}
	if (ok && m->price >= 0) {
		if ((price = json_object_new_object()) == NULL)
			ok = 0;
		else if (!add_obj(price, "amount",
		    json_object_new_double(m->price), 1) ||
		    !add_str(price, "currency", m->currency)) {
			json_object_put(price);
			ok = 0;
		} else
			ok = add_obj(o, "price", price, 1);
	} else if (ok)
		ok = add_obj(o, "price", NULL, 0);
	ok = ok && add_obj(o, "segments", m->segments >= 0 ?
	    json_object_new_int(m->segments) : NULL, m->segments >= 0);
	if (ok && replay)
		ok = add_obj(o, "duplicate", json_object_new_boolean(1), 1);
	json_object_put(ib);
	return finish(o, ok);
}

char *
payload_api_error(const char *msg, const char *field)
{
	struct json_object	*o;
	int			 ok;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	ok = add_str(o, "error", msg) &&
	    (field == NULL || add_str(o, "field", field));
	return finish(o, ok);
}
