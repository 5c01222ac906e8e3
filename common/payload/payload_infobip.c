/* Infobip JSON: the send request; send, error, balance and log answers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "log.h"
#include "smstext.h"
#include "payload_infobip.h"
#include "payload_int.h"

/* Status group names by groupId, for answers that carry only one of the two. */
static const char *const pl_groups[] = {
	[IB_GROUP_ACCEPTED] = "ACCEPTED",
	[IB_GROUP_PENDING] = "PENDING",
	[IB_GROUP_UNDELIVERABLE] = "UNDELIVERABLE",
	[IB_GROUP_DELIVERED] = "DELIVERED",
	[IB_GROUP_EXPIRED] = "EXPIRED",
	[IB_GROUP_REJECTED] = "REJECTED",
};
#define PL_NGROUPS	(sizeof(pl_groups) / sizeof(pl_groups[0]))

/* Legacy serviceException.messageId and the error code it stands for. */
static const struct {
	const char	*legacy;
	const char	*code;
} pl_legacy[] = {
	{ "BAD_REQUEST", "E400" },
	{ "UNAUTHORIZED", "E401" },
	{ "FORBIDDEN", "E403" },
	{ "NOT_FOUND", "E404" },
	{ "TOO_MANY_REQUESTS", "E429" },
	{ "GENERAL_ERROR", "E500" },
};

static const char pl_missing[] = "missing from Infobip's response";

/* Appends src to the string in dst, cut as pl_copy does. */
static void
pl_append(char *dst, size_t dstsz, const char *src)
{
	size_t	 used;

	used = strlen(dst);
	if (used + 1 < dstsz)
		smstext_copy(dst + used, dstsz - used, src);
}

/* Parses body as exactly one JSON value, up to IB_BODY_MAX; NULL for none. */
static struct json_object *
pl_parse(const char *body, size_t len)
{
	struct json_object	*obj;

	return pj_parse(body, len, IB_BODY_MAX, &obj, NULL) > 0 ? obj : NULL;
}

/* Sets *out to the integer member key of o; returns 1, or 0 if absent. */
static int
pl_int(struct json_object *o, const char *key, int *out)
{
	struct json_object	*v;

	if ((v = pj_get(o, key, json_type_int)) == NULL)
		return 0;
	*out = json_object_get_int(v);
	return 1;
}

/* Returns 1 when string member key of o is exactly s (a NUL byte differs). */
static int
pl_str_is(struct json_object *o, const char *key, const char *s)
{
	struct json_object	*v;
	size_t			 len;

	if ((v = pj_get(o, key, json_type_string)) == NULL)
		return 0;
	len = strlen(s);
	return (size_t)json_object_get_string_len(v) == len &&
	    memcmp(json_object_get_string(v), s, len) == 0;
}

/* Fills the status fields of r from Infobip's status object (may be NULL). */
static void
pl_status(struct json_object *status, struct ib_result *r)
{
	const char	*s;
	size_t		 i;
	int		 gid;

	r->group_id = IB_GROUP_NONE;
	r->status_id = -1;
	r->accepted = 0;
	if (status == NULL) {
		smstext_copy(r->description, sizeof(r->description),
		    "no status in Infobip's response");
		return;
	}
	if (pl_int(status, "groupId", &gid))
		r->group_id = gid;
	if ((s = pj_str(status, "groupName")) != NULL) {
		smstext_copy(r->group_name, sizeof(r->group_name), s);
		if (r->group_id == IB_GROUP_NONE)
			for (i = 0; i < PL_NGROUPS; i++)
				if (strcasecmp(s, pl_groups[i]) == 0)
					r->group_id = (int)i;
	} else if (r->group_id >= 0 && (size_t)r->group_id < PL_NGROUPS)
		smstext_copy(r->group_name, sizeof(r->group_name),
		    pl_groups[r->group_id]);
	pl_int(status, "id", &r->status_id);
	if ((s = pj_str(status, "name")) != NULL)
		smstext_copy(r->status_name, sizeof(r->status_name), s);
	if ((s = pj_str(status, "description")) != NULL)
		smstext_copy(r->description, sizeof(r->description), s);
	r->accepted = r->group_id == IB_GROUP_PENDING ||
	    r->group_id == IB_GROUP_DELIVERED ||
	    r->group_id == IB_GROUP_ACCEPTED;
}

/*
 * Fills r (whose uid is already set) from one message of a send answer or
 * one log entry; bulk is the answer's top-level bulkId or NULL.
 */
static void
pl_message_result(struct json_object *m, const char *bulk,
    struct ib_result *r)
{
	const char	*s;

	r->infobip_id[0] = r->bulk_id[0] = '\0';
	r->group_name[0] = r->status_name[0] = r->description[0] = '\0';
	r->message_count = 0;
	if ((s = pj_str(m, "messageId")) != NULL)
		smstext_copy(r->infobip_id, sizeof(r->infobip_id), s);
	if ((s = pj_str(m, "bulkId")) != NULL || (s = bulk) != NULL)
		smstext_copy(r->bulk_id, sizeof(r->bulk_id), s);
	if (!pl_int(pj_get(m, "details", json_type_object), "messageCount",
	    &r->message_count) &&
	    !pl_int(m, "messageCount", &r->message_count) &&
	    !pl_int(m, "smsCount", &r->message_count))
		r->message_count = 0;
	pl_status(pj_get(m, "status", json_type_object), r);
}

/* Sets r to "uid, no answer yet". */
static void
pl_result_init(struct ib_result *r, const char *uid)
{
	memset(r, 0, sizeof(*r));
	smstext_copy(r->uid, sizeof(r->uid), uid != NULL ? uid : "");
	r->group_id = IB_GROUP_NONE;
	r->status_id = -1;
	smstext_copy(r->description, sizeof(r->description), pl_missing);
}

int
payload_send_response(const char *body, size_t len,
    const struct ib_outmsg *msgs, size_t n, struct ib_result *res)
{
	struct json_object	*root, *arr, *m;
	const char		*bulk;
	unsigned char		*filled = NULL, *used;
	size_t			 i, j, count;
	int			 rv = 0;

	if ((root = pl_parse(body, len)) == NULL)
		return 0;
	if ((arr = pj_get(root, "messages", json_type_array)) == NULL)
		goto out;
	count = json_object_array_length(arr);
	if ((filled = calloc(n + count + 1, 1)) == NULL) {
		log_error("calloc: out of memory");
		rv = -1;
		goto out;
	}
	used = filled + n;
	bulk = pj_str(root, "bulkId");
	for (i = 0; i < n; i++)
		pl_result_init(&res[i], msgs[i].uid);

	/* First by our id, which Infobip echoes as messageId. */
	for (i = 0; i < count; i++) {
		m = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(m, json_type_object)) {
			used[i] = 1;
			continue;
		}
		for (j = 0; j < n; j++)
			if (!filled[j] && msgs[j].uid != NULL &&
			    pl_str_is(m, "messageId", msgs[j].uid)) {
				pl_message_result(m, bulk, &res[j]);
				filled[j] = used[i] = 1;
				break;
			}
	}
	/* Then what is left, in order, to the messages still unanswered. */
	for (i = j = 0; i < count; i++) {
		if (used[i])
			continue;
		while (j < n && filled[j])
			j++;
		if (j == n) {
			log_warn("infobip send answer: message %zu matches "
			    "none sent", i);
			continue;
		}
		pl_message_result(json_object_array_get_idx(arr, i), bulk,
		    &res[j]);
		filled[j] = 1;
	}
	rv = 1;
out:
	free(filled);
	json_object_put(root);
	return rv;
}

/* Writes "property: violation; ..." from the new error shape's violations[]. */
static void
pl_violations(struct json_object *arr, char *dst, size_t dstsz)
{
	struct json_object	*v;
	const char		*prop, *what;
	size_t			 i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		prop = pj_str(v, "property");
		what = pj_str(v, "violation");
		if (prop == NULL && what == NULL)
			continue;
		if (dst[0] != '\0')
			pl_append(dst, dstsz, "; ");
		if (prop != NULL) {
			pl_append(dst, dstsz, prop);
			pl_append(dst, dstsz, ": ");
		}
		pl_append(dst, dstsz, what != NULL ? what : "invalid");
	}
}

/* Writes the legacy validationErrors map {"path": ["msg", ...]} alike. */
static void
pl_validation_errors(struct json_object *map, char *dst, size_t dstsz)
{
	struct json_object_iterator	 it, end;
	struct json_object		*v, *e;
	const char			*key;
	size_t				 i, nv;

	it = json_object_iter_begin(map);
	end = json_object_iter_end(map);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		nv = json_object_is_type(v, json_type_array) ?
		    json_object_array_length(v) : 1;
		for (i = 0; i < nv; i++) {
			e = json_object_is_type(v, json_type_array) ?
			    json_object_array_get_idx(v, i) : v;
			if (!json_object_is_type(e, json_type_string))
				continue;
			if (dst[0] != '\0')
				pl_append(dst, dstsz, "; ");
			pl_append(dst, dstsz, key);
			pl_append(dst, dstsz, ": ");
			pl_append(dst, dstsz, json_object_get_string(e));
		}
	}
}

int
payload_error(const char *body, size_t len, struct ib_error *err)
{
	struct json_object	*root, *exc, *v;
	const char		*s;
	size_t			 i;
	int			 rv = 0;

	if ((root = pl_parse(body, len)) == NULL)
		return 0;
	if ((s = pj_str(root, "errorCode")) != NULL) {
		err->code[0] = err->text[0] = err->violations[0] = '\0';
		smstext_copy(err->code, sizeof(err->code), s);
		if ((s = pj_str(root, "description")) != NULL)
			smstext_copy(err->text, sizeof(err->text), s);
		if ((v = pj_get(root, "violations", json_type_array)) != NULL)
			pl_violations(v, err->violations,
			    sizeof(err->violations));
		rv = 1;
		goto out;
	}
	exc = pj_get(pj_get(root, "requestError", json_type_object),
	    "serviceException", json_type_object);
	if (exc == NULL || (pj_str(exc, "messageId") == NULL &&
	    pj_str(exc, "text") == NULL))
		goto out;
	err->code[0] = err->text[0] = err->violations[0] = '\0';
	if ((s = pj_str(exc, "messageId")) != NULL) {
		smstext_copy(err->code, sizeof(err->code), s);
		for (i = 0; i < sizeof(pl_legacy) / sizeof(pl_legacy[0]); i++)
			if (strcmp(s, pl_legacy[i].legacy) == 0)
				smstext_copy(err->code, sizeof(err->code),
				    pl_legacy[i].code);
	}
	if ((s = pj_str(exc, "text")) != NULL)
		smstext_copy(err->text, sizeof(err->text), s);
	if ((v = pj_get(exc, "validationErrors", json_type_object)) != NULL)
		pl_validation_errors(v, err->violations,
		    sizeof(err->violations));
	rv = 1;
out:
	json_object_put(root);
	return rv;
}

int
payload_balance(const char *body, size_t len, struct ib_balance *bal)
{
	struct json_object	*root, *v;
	const char		*cur;
	int			 rv = 0;

	if ((root = pl_parse(body, len)) == NULL)
		return 0;
	if (((v = pj_get(root, "balance", json_type_double)) == NULL &&
	    (v = pj_get(root, "balance", json_type_int)) == NULL) ||
	    (cur = pj_str(root, "currency")) == NULL)
		goto out;
	bal->balance = json_object_get_double(v);
	smstext_copy(bal->currency, sizeof(bal->currency), cur);
	rv = 1;
out:
	json_object_put(root);
	return rv;
}

int
payload_logs_find(const char *body, size_t len, const char *uid,
    struct ib_result *res, int *found)
{
	struct json_object	*root, *arr, *m;
	size_t			 i;
	int			 rv = 0;

	*found = 0;
	if ((root = pl_parse(body, len)) == NULL)
		return 0;
	if ((arr = pj_get(root, "results", json_type_array)) == NULL)
		goto out;
	for (i = 0; i < json_object_array_length(arr); i++) {
		m = json_object_array_get_idx(arr, i);
		if (uid != NULL && pl_str_is(m, "messageId", uid)) {
			pl_result_init(res, uid);
			pl_message_result(m, NULL, res);
			*found = 1;
			break;
		}
	}
	rv = 1;
out:
	json_object_put(root);
	return rv;
}

int
payload_is_json(const char *body, size_t len)
{
	struct json_object	*root;

	if ((root = pl_parse(body, len)) == NULL)
		return 0;
	json_object_put(root);
	return 1;
}

/* Returns 1 when an option string is set. */
static int
pl_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Appends one message object for m to the messages array; 0 or -1. */
static int
pl_request_message(struct json_object *arr, const struct ib_send_opts *opts,
    const struct ib_outmsg *m)
{
	struct json_object	*msg, *dests, *dest, *content, *hooks, *delivery;
	const char		*to;

	to = m->to[0] == '+' ? m->to + 1 : m->to;
	if (!pj_push(arr, msg = json_object_new_object()))
		return -1;
	if (pl_set(opts->sender) && !pj_add_str(msg, "sender", opts->sender))
		return -1;
	if (!pj_add(msg, "destinations", dests = json_object_new_array()) ||
	    !pj_push(dests, dest = json_object_new_object()) ||
	    !pj_add_str(dest, "to", to) ||
	    !pj_add_str(dest, "messageId", m->uid))
		return -1;
	if (!pj_add(msg, "content", content = json_object_new_object()) ||
	    !pj_add_str(content, "text", m->text))
		return -1;
	if (!pj_add(msg, "webhooks", hooks = json_object_new_object()))
		return -1;
	if (pl_set(opts->delivery_url) &&
	    (!pj_add(hooks, "delivery", delivery = json_object_new_object()) ||
	    !pj_add_str(delivery, "url", opts->delivery_url)))
		return -1;
	return pj_add_str(hooks, "contentType", "application/json") ? 0 : -1;
}

/* Adds the top-level options.tracking object; 0 or -1. */
static int
pl_request_tracking(struct json_object *root, const struct ib_send_opts *opts)
{
	struct json_object	*options, *tracking;

	if (!pj_add(root, "options", options = json_object_new_object()) ||
	    !pj_add(options, "tracking", tracking = json_object_new_object()) ||
	    !pj_add(tracking, "shortenUrl", json_object_new_boolean(1)) ||
	    !pj_add(tracking, "trackClicks", json_object_new_boolean(1)) ||
	    !pj_add_str(tracking, "trackingUrl", opts->tracking_url))
		return -1;
	if (pl_set(opts->custom_domain) &&
	    !pj_add_str(tracking, "customDomain", opts->custom_domain))
		return -1;
	return 0;
}

char *
payload_send_request(const struct ib_send_opts *opts,
    const struct ib_outmsg *msgs, size_t n)
{
	static const struct ib_send_opts none;
	struct json_object	*root, *arr;
	char			*out = NULL;
	size_t			 i;

	if (opts == NULL)
		opts = &none;
	for (i = 0; i < n; i++)
		if (msgs[i].uid == NULL || msgs[i].to == NULL ||
		    msgs[i].text == NULL)
			return NULL;
	if ((root = json_object_new_object()) == NULL)
		goto nomem;
	if (!pj_add(root, "messages", arr = json_object_new_array()))
		goto nomem;
	for (i = 0; i < n; i++)
		if (pl_request_message(arr, opts, &msgs[i]) == -1)
			goto nomem;
	if (pl_set(opts->tracking_url) && pl_request_tracking(root, opts) == -1)
		goto nomem;
	if ((out = pj_text(root)) == NULL)
		goto nomem;
	json_object_put(root);
	return out;
nomem:
	log_error("payload_send_request: out of memory");
	json_object_put(root);
	return NULL;
}
