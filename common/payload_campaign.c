/* JSON of campaigns: a recipient's fields, kept as a JSON object of text values. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "payload_campaign.h"

char *
payload_fields_build(const char *const *names, const char *const *values,
    size_t n)
{
	struct json_object	*obj, *v;
	const char		*s;
	char			*out = NULL;
	size_t			 i;

	if ((obj = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((v = json_object_new_string(values[i])) == NULL ||
		    json_object_object_add(obj, names[i], v) != 0) {
			json_object_put(v);
			goto out;
		}
	}
	if ((s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != NULL)
		out = strdup(s);
out:
	json_object_put(obj);
	return out;
}
