/* JSON the admin shows: the fields an agent collected, as names and values. */
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
