/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "connection.h"
#include "payload.h"
#include "payload_int.h"

/* Copies the string member key of obj into dst; 1 when present, a string and not cut. */
static int
get_str(struct json_object *obj, const char *key, char *dst, size_t dstsz)
{
	const char	*s;

	dst[0] = '\0';
	if ((s = pj_str(obj, key)) == NULL)
		return 0;
	return (size_t)snprintf(dst, dstsz, "%s", s) < dstsz;
}

char *
payload_snapshot_build(const struct connection_config *c)
{
	struct json_object	*o;
	char			*out = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (pj_add_str(o, "api_url", c->api_url) &&
	    pj_add_str(o, "sender", c->sender) &&
	    pj_add_str(o, "api_key_enc", c->api_key_enc) &&
	    pj_add_str(o, "INFOBIP_SHORT_DOMAIN", c->short_domain))
		out = pj_text(o);
	json_object_put(o);
	return out;
}

int
payload_snapshot_parse(const char *json, struct connection_config *c)
{
	struct json_object	*o;
	int			 ok;

	memset(c, 0, sizeof(*c));
	if (json == NULL ||
	    pj_parse(json, strlen(json), SIZE_MAX, &o, NULL) <= 0 || o == NULL)
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

char *
payload_error_body(const char *msg)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	return pj_finish(o, pj_add_str(o, "error", msg != NULL ? msg : ""), 1);
}

char *
payload_webhook_summary(const struct payload_summary *r)
{
	struct json_object	*o, *errs, *e;
	char			*out = NULL;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!pj_add_int(o, "received", (int64_t)r->items) ||
	    !pj_add_int(o, "stored", (int64_t)r->stored) ||
	    !pj_add_int(o, "duplicates", (int64_t)r->duplicates) ||
	    !pj_add_int(o, "pending", (int64_t)r->pending) ||
	    !pj_add_int(o, "rejected", (int64_t)r->rejected) ||
	    !pj_add(o, "errors", errs = json_object_new_array()))
		goto out;
	for (i = 0; i < r->nerrors; i++)
		if (!pj_push(errs, e = json_object_new_object()) ||
		    !pj_add_int(e, "index", (int64_t)r->errors[i].index) ||
		    !pj_add_str(e, "error", r->errors[i].text))
			goto out;
	out = pj_text(o);
out:
	json_object_put(o);
	return out;
}

struct payload_export {
	struct json_object	*root;
	struct json_object	*messages;	/* borrowed from root */
	int			 failed;
};

struct payload_export *
payload_export_open(const struct payload_session *s)
{
	struct payload_export	*x;
	struct json_object	*o, *c, *d;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((x->root = json_object_new_object()) == NULL)
		goto err;
	if (!pj_add(x->root, "session", o = json_object_new_object()) ||
	    !pj_add_int(o, "id", s->id) ||
	    !pj_add_str(o, "connection", s->conn) ||
	    !pj_add_opt_str(o, "connection_name", s->conn_name) ||
	    !pj_add_str(o, "channel_type", "infobip") ||
	    !pj_add_str(o, "contact", s->phone) ||
	    !pj_add_str(o, "responsible", s->responsible) ||
	    !pj_add_str(o, "state", s->closed_at[0] != '\0' ? "closed" : "active") ||
	    !pj_add_str(o, "started_at", s->started_at) ||
	    !pj_add_str(o, "last_at", s->last_at) ||
	    !pj_add_opt_str(o, "closed_at", s->closed_at))
		goto err;
	if (!pj_add(x->root, "contact", c = json_object_new_object()) ||
	    !pj_add_str(c, "phone", s->phone) ||
	    !pj_add_opt_str(c, "name", s->contact_name) ||
	    !pj_add_opt_str(c, "email", s->contact_email) ||
	    !pj_add(c, "opted_out", json_object_new_boolean(s->opted_out)))
		goto err;
	/* The store wrote it; still, only an object goes out as data. */
	if (s->data == NULL ||
	    pj_parse(s->data, strlen(s->data), SIZE_MAX, &d, NULL) <= 0)
		d = NULL;
	if (d == NULL || !json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		d = json_object_new_object();
	}
	if (!pj_add(x->root, "data", d) ||
	    !pj_add(x->root, "messages", x->messages = json_object_new_array()))
		goto err;
	return x;
err:
	json_object_put(x->root);
	free(x);
	return NULL;
}

int
payload_export_message(struct payload_export *x,
    const struct payload_message *r)
{
	struct json_object	*m;

	if (x->failed)
		return 0;
	if (!pj_push(x->messages, m = json_object_new_object())) {
		x->failed = 1;
		return 0;
	}
	if (!pj_add_int(m, "id", r->id) ||
	    !pj_add_str(m, "uid", r->uid) ||
	    !pj_add_str(m, "at", r->at) ||
	    !pj_add_str(m, "direction", msg_direction_name(r->direction)) ||
	    !pj_add_str(m, "author", r->author) ||
	    !pj_add_str(m, "sender", r->sender) ||
	    !pj_add_str(m, "recipient", r->recipient) ||
	    !pj_add_str(m, "text", r->text) ||
	    !pj_add_str(m, "status", msg_status_name(r->status)) ||
	    !pj_add_opt_str(m, "status_reason", r->reason) ||
	    !pj_add_opt_str(m, "infobip_id", r->infobip_id) ||
	    !pj_add_opt_str(m, "status_group", r->status_group) ||
	    !pj_add_opt_str(m, "status_name", r->status_name) ||
	    !pj_add_opt_str(m, "error_name", r->error_name) ||
	    !pj_add_opt_str(m, "error_description", r->error_description) ||
	    !(r->price < 0 ? pj_add_null(m, "price") :
	    pj_add(m, "price", json_object_new_double(r->price))) ||
	    !pj_add_opt_str(m, "currency", r->currency) ||
	    !(r->segments < 0 ? pj_add_null(m, "segments") :
	    pj_add_int(m, "segments", r->segments)) ||
	    !pj_add_opt_str(m, "sent_at", r->sent_at) ||
	    !pj_add_opt_str(m, "done_at", r->done_at) ||
	    !pj_add_int(m, "clicks", r->clicks)) {
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
payload_health(int writable, int standbys, int synchronous,
    const char *sender_at, double sender_age)
{
	struct json_object	*o;
	char			*out = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!pj_add_str(o, "status", writable ? "ok" : "unavailable") ||
	    !pj_add_str(o, "store", writable ? "writable" : "unavailable") ||
	    !pj_add_opt_str(o, "sender_last_run", sender_at) ||
	    !(sender_at != NULL && sender_at[0] != '\0' ?
	    pj_add_int(o, "sender_seconds_ago", (int64_t)sender_age) :
	    pj_add_null(o, "sender_seconds_ago")))
		goto out;
	if (standbys >= 0 && (!pj_add_int(o, "store_standbys", standbys) ||
	    !pj_add_int(o, "store_synchronous_standbys", synchronous)))
		goto out;
	out = pj_text(o);
out:
	json_object_put(o);
	return out;
}
