/* JSON the admin shows and its pages read: the fields an agent collected, the status reads. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "payload_admin.h"
#include "payload_int.h"

int
payload_fields_each(const char *json,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	struct json_object	*obj;
	const char		*v;

	if (json == NULL ||
	    pj_parse(json, strlen(json), SIZE_MAX, &obj, NULL) <= 0 ||
	    obj == NULL)
		return 0;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return 0;
	}
	json_object_object_foreach(obj, key, val) {
		v = json_object_is_type(val, json_type_string) ?
		    json_object_get_string(val) :
		    json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		if (!fn(key, v != NULL ? v : "", arg))
			break;
	}
	json_object_put(obj);
	return 1;
}

char *
payload_conn_status(const char *status, const char *message)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	return pj_finish(o, pj_add_str(o, "status", status != NULL ? status :
	    "") && pj_add_str(o, "message", message != NULL ? message : ""), 1);
}

char *
payload_import_progress(int known, uint64_t bytes, uint64_t total,
    uint64_t lines, int finished)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (!known)
		return pj_finish(o, pj_add(o, "known",
		    json_object_new_boolean(0)), 1);
	return pj_finish(o, pj_add(o, "known", json_object_new_boolean(1)) &&
	    pj_add(o, "bytes", json_object_new_uint64(bytes)) &&
	    pj_add(o, "total", json_object_new_uint64(total)) &&
	    pj_add(o, "lines", json_object_new_uint64(lines)) &&
	    pj_add(o, "finished", json_object_new_boolean(finished)), 1);
}

char *
payload_campaign_status(const char *state, int64_t total, int64_t done,
    int pct, const char *const *names, const int64_t *counts, size_t n)
{
	struct json_object	*o, *c;
	size_t			 i;
	int			 ok;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	ok = pj_add_str(o, "state", state) && pj_add_int(o, "total", total) &&
	    pj_add_int(o, "done", done) && pj_add_int(o, "pct", pct) &&
	    pj_add(o, "counts", c = json_object_new_object());
	for (i = 0; ok && i < n; i++)
		ok = pj_add_int(c, names[i], counts[i]);
	return pj_finish(o, ok, 1);
}

char *
payload_session_live(int64_t last, const char *html, const char *responsible,
    int open)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	return pj_finish(o, pj_add_int(o, "last", last) &&
	    pj_add_str(o, "html", html) &&
	    pj_add_str(o, "responsible", responsible) &&
	    pj_add(o, "open", json_object_new_boolean(open)), 1);
}
