/* What the payload module's files share; json-c types stay inside the module. */
#ifndef PAYLOAD_INT_H
#define PAYLOAD_INT_H

#include <stddef.h>

struct json_object;

/*
 * Parses body as one JSON object with nothing but white space after it,
 * nested at most 32 deep (payload_webhook.c). Returns 1 with *root (put it
 * with json_object_put), 0 with a static *why ("malformed JSON", "body is
 * not a JSON object", ...), < 0 when out of memory.
 */
int	 payload_object_parse(const char *body, size_t len,
	    struct json_object **root, const char **why);

#endif
