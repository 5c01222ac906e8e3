/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "connection.h"
#include "payload.h"
#include "store.h"
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

/* Adds a member: a string, or null when val is NULL or "" (absent). 1 ok, 0 out of memory. */
static int
add_opt_str(struct json_object *obj, const char *key, const char *val)
{
	if (val == NULL || *val == '\0')
		return json_object_object_add(obj, key, NULL) == 0;
	return add_str(obj, key, val);
}

/* Adds a member that holds obj (consumed, also on failure). 1 ok, 0 out of memory. */
static int
add_obj(struct json_object *to, const char *key, struct json_object *obj)
{
	if (obj == NULL)
		return 0;
	if (json_object_object_add(to, key, obj) != 0) {
		json_object_put(obj);
		return 0;
	}
	return 1;
}

struct payload_export {
	struct json_object	*root;
	struct json_object	*messages;	/* borrowed from root */
	int			 failed;
};

struct payload_export *
payload_export_open(const struct store_session *s, const char *conn_name,
    const char *data, const char *contact_name, const char *contact_email)
{
	struct payload_export	*x;
	struct json_object	*o, *c, *d;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((x->root = json_object_new_object()) == NULL)
		goto err;
	if (!add_obj(x->root, "session", o = json_object_new_object()) ||
	    !add_int(o, "id", s->id) ||
	    !add_str(o, "connection", s->conn) ||
	    !add_opt_str(o, "connection_name", conn_name) ||
	    !add_str(o, "channel_type", "infobip") ||
	    !add_str(o, "contact", s->phone) ||
	    !add_str(o, "responsible", s->responsible) ||
	    !add_str(o, "state", s->closed_at[0] != '\0' ? "closed" : "active") ||
	    !add_str(o, "started_at", s->started_at) ||
	    !add_str(o, "last_at", s->last_at) ||
	    !add_opt_str(o, "closed_at", s->closed_at))
		goto err;
	if (!add_obj(x->root, "contact", c = json_object_new_object()) ||
	    !add_str(c, "phone", s->phone) ||
	    !add_opt_str(c, "name", contact_name) ||
	    !add_opt_str(c, "email", contact_email) ||
	    !add_obj(c, "opted_out", json_object_new_boolean(s->opted_out)))
		goto err;
	/* The store wrote it; still, only an object goes out as data. */
	d = data != NULL ? json_tokener_parse(data) : NULL;
	if (d == NULL || !json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		d = json_object_new_object();
	}
	if (!add_obj(x->root, "data", d) ||
	    !add_obj(x->root, "messages", x->messages = json_object_new_array()))
		goto err;
	return x;
err:
	json_object_put(x->root);
	free(x);
	return NULL;
}

int
payload_export_message(struct payload_export *x,
    const struct store_message_row *r)
{
	struct json_object	*m;

	if (x->failed)
		return 0;
	if ((m = json_object_new_object()) == NULL ||
	    json_object_array_add(x->messages, m) != 0) {
		json_object_put(m);
		x->failed = 1;
		return 0;
	}
	if (!add_int(m, "id", r->id) ||
	    !add_str(m, "uid", r->uid) ||
	    !add_str(m, "at", r->at) ||
	    !add_str(m, "direction", msg_direction_name(r->direction)) ||
	    !add_str(m, "author", r->author) ||
	    !add_str(m, "sender", r->sender) ||
	    !add_str(m, "recipient", r->recipient) ||
	    !add_str(m, "text", r->text) ||
	    !add_str(m, "status", msg_status_name(r->status)) ||
	    !add_opt_str(m, "status_reason", r->reason) ||
	    !add_opt_str(m, "infobip_id", r->infobip_id) ||
	    !add_opt_str(m, "status_group", r->status_group) ||
	    !add_opt_str(m, "status_name", r->status_name) ||
	    !add_opt_str(m, "error_name", r->error_name) ||
	    !add_opt_str(m, "error_description", r->error_description) ||
	    !(r->price < 0 ? json_object_object_add(m, "price", NULL) == 0 :
	    add_obj(m, "price", json_object_new_double(r->price))) ||
	    !add_opt_str(m, "currency", r->currency) ||
	    !(r->sms_count < 0 ? json_object_object_add(m, "segments",
	    NULL) == 0 : add_int(m, "segments", r->sms_count)) ||
	    !add_opt_str(m, "sent_at", r->sent_at) ||
	    !add_opt_str(m, "done_at", r->done_at) ||
	    !add_int(m, "clicks", r->clicks)) {
		x->failed = 1;
		return 0;
	}
	return 1;
}

char *
payload_export_finish(struct payload_export *x)
{
	char	*out = NULL;

	if (x == NULL)
		return NULL;
	if (!x->failed)
		out = strdup(json_object_to_json_string_ext(x->root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(x->root);
	free(x);
	return out;
}

char *
payload_health(int writable, const struct store_heartbeat *sender)
{
	struct json_object	*o;
	char			*out = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!add_str(o, "status", writable ? "ok" : "unavailable") ||
	    !add_str(o, "store", writable ? "writable" : "unavailable") ||
	    !add_opt_str(o, "sender_last_run", sender != NULL ?
	    sender->at : NULL) ||
	    json_object_object_add(o, "sender_seconds_ago",
	    sender != NULL && sender->at[0] != '\0' ?
	    json_object_new_int64((int64_t)sender->age_s) : NULL) != 0)
		goto out;
	out = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(o);
	return out;
}
