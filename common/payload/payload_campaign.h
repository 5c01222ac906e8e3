/* JSON of campaigns: a recipient's fields, kept as a JSON object of text values. */
#ifndef PAYLOAD_CAMPAIGN_H
#define PAYLOAD_CAMPAIGN_H

#include <stddef.h>

/*
 * The object {names[i]: values[i], ...} for the n pairs (a later name
 * repeats over an earlier one). Returns malloc'd JSON (the caller frees),
 * NULL when out of memory. payload_fields_each (payload_admin.h) reads it.
 */
char	*payload_fields_build(const char *const *names,
	    const char *const *values, size_t n);

#endif
