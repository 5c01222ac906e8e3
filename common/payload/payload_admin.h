/* JSON the admin shows: the fields an agent collected, as names and values. */
#ifndef PAYLOAD_ADMIN_H
#define PAYLOAD_ADMIN_H

/*
 * Calls fn(name, value) for each member of the JSON object json, in order;
 * a value that is not a string is given as its JSON text. Stops when fn
 * returns 0. Returns 1, or 0 when json is not an object (nothing called).
 */
int	 payload_fields_each(const char *json,
	    int (*fn)(const char *name, const char *value, void *), void *arg);

#endif
