/* JSON of the send API (POST and GET /channel/{id}/messages): the request read, the answers written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "payload_api.h"
#include "payload_int.h"

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
	if (pj_duplicate_member(body, len, root)) {
		snprintf(why, whysz, "a member is given twice: give each of to,"
		    " text, communication and reference once");
		goto out;
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

char *
payload_api_message(const struct payload_api_message *m, int replay)
{
	struct json_object	*o, *ib = NULL, *price = NULL;
	int			 ok;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	ok = pj_add_opt_str(o, "id", m->uid) &&
	    pj_add_opt_str(o, "status", m->status) &&
	    pj_add_opt_str(o, "to", m->recipient) &&
	    pj_add_opt_str(o, "reference", m->reference) &&
	    pj_add_opt_str(o, "communication", m->communication) &&
	    pj_add_opt_str(o, "created_at", m->created_at) &&
	    pj_add_opt_str(o, "updated_at", m->updated_at) &&
	    pj_add_opt_str(o, "sent_at", m->sent_at) &&
	    pj_add_opt_str(o, "done_at", m->done_at) &&
	    pj_add_opt_str(o, "reason", strcmp(m->status, "failed") == 0 ?
	    m->status_description : "");
	if (ok && (ib = json_object_new_object()) == NULL)
		ok = 0;
	ok = ok && pj_add_opt_str(ib, "message_id", m->infobip_id) &&
	    pj_add_opt_str(ib, "status_group", m->status_group) &&
	    pj_add_opt_str(ib, "status_name", m->status_name) &&
	    pj_add_opt_str(ib, "status_description", m->status_description) &&
	    pj_add_opt_str(ib, "error_name", m->error_name) &&
	    pj_add_opt_str(ib, "error_description", m->error_description);
	if (ok) {
		ok = pj_add(o, "infobip", ib);
		ib = NULL;
	}
	if (ok && m->price >= 0) {
		if ((price = json_object_new_object()) == NULL)
			ok = 0;
		else if (!pj_add(price, "amount",
		    json_object_new_double(m->price)) ||
		    !pj_add_opt_str(price, "currency", m->currency)) {
			json_object_put(price);
			ok = 0;
		} else
			ok = pj_add(o, "price", price);
	} else if (ok)
		ok = pj_add_null(o, "price");
	ok = ok && (m->segments >= 0 ? pj_add(o, "segments",
	    json_object_new_int(m->segments)) : pj_add_null(o, "segments"));
	if (ok && replay)
		ok = pj_add(o, "duplicate", json_object_new_boolean(1));
	json_object_put(ib);
	return pj_finish(o, ok, 0);
}

char *
payload_api_error(const char *msg, const char *field)
{
	struct json_object	*o;
	int			 ok;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	ok = pj_add_opt_str(o, "error", msg) &&
	    (field == NULL || pj_add_opt_str(o, "field", field));
	return pj_finish(o, ok, 0);
}
