/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "connection.h"
#include "payload.h"
#include "webhook.h"

/* Copies the string member key of obj into dst; 1 when present and a string. */
static int
get_str(struct json_object *obj, const char *key, char *dst, size_t dstsz)
{
	struct json_object	*v;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	return (size_t)snprintf(dst, dstsz, "%s", json_object_get_string(v)) <
	    dstsz;
}

/* Adds a string member; 1 ok, 0 out of memory. */
static int
add_str(struct json_object *obj, const char *key, const char *val)
{
	struct json_object	*v;

	if ((v = json_object_new_string(val)) == NULL)
		return 0;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

char *
payload_snapshot_build(const struct connection_config *c)
{
	struct json_object	*o;
	char			*out = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (add_str(o, "api_url", c->api_url) &&
	    add_str(o, "sender", c->sender) &&
	    add_str(o, "api_key_enc", c->api_key_enc) &&
	    add_str(o, "INFOBIP_SHORT_DOMAIN", c->short_domain))
		out = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

int
payload_snapshot_parse(const char *json, struct connection_config *c)
{
	struct json_object	*o;
	int			 ok;

	memset(c, 0, sizeof(*c));
	if ((o = json_tokener_parse(json)) == NULL)
		return 0;
	ok = json_object_is_type(o, json_type_object) &&
	    get_str(o, "api_url", c->api_url, sizeof(c->api_url)) &&
	    get_str(o, "sender", c->sender, sizeof(c->sender)) &&
	    get_str(o, "api_key_enc", c->api_key_enc, sizeof(c->api_key_enc));
	get_str(o, "INFOBIP_SHORT_DOMAIN", c->short_domain,
	    sizeof(c->short_domain));
	json_object_put(o);
	return ok;
}

/* Adds an integer member; 1 ok, 0 out of memory. */
static int
add_int(struct json_object *obj, const char *key, int64_t val)
{
	struct json_object	*v;

	if ((v = json_object_new_int64(val)) == NULL)
		return 0;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

char *
payload_webhook_summary(const struct webhook_result *r)
{
	struct json_object	*o, *errs = NULL, *e;
	char			*out = NULL;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!add_int(o, "received", (int64_t)r->items) ||
	    !add_int(o, "stored", (int64_t)r->stored) ||
	    !add_int(o, "duplicates", (int64_t)r->duplicates) ||
	    !add_int(o, "pending", (int64_t)r->pending) ||
	    !add_int(o, "rejected", (int64_t)r->rejected))
		goto out;
	if ((errs = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < r->nerrors; i++) {
		if ((e = json_object_new_object()) == NULL ||
		    json_object_array_add(errs, e) != 0) {
			json_object_put(e);
			goto out;
		}
		if (!add_int(e, "index", (int64_t)r->errors[i].index) ||
		    !add_str(e, "error", r->errors[i].text))
			goto out;
	}
	if (json_object_object_add(o, "errors", errs) != 0)
		goto out;
	errs = NULL;
	out = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(errs);
	json_object_put(o);
	return out;
}
