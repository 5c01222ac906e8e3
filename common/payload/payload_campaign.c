/* JSON of campaigns: a recipient's fields, kept as a JSON object of text values. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "payload_campaign.h"
#include "payload_int.h"

char *
payload_fields_build(const char *const *names, const char *const *values,
    size_t n)
{
	struct json_object	*obj;
	char			*out = NULL;
	size_t			 i;

	if ((obj = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (!pj_add_str(obj, names[i], values[i]))
			goto out;
	out = pj_text(obj);
out:
	json_object_put(obj);
	return out;
}
