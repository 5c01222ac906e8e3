/* JSON of the send API (POST and GET /channel/{id}/messages): the request read, the answers written. */
#ifndef PAYLOAD_API_H
#define PAYLOAD_API_H

#include <stddef.h>

/* A send request as the client gave it; every string owned (payload_api_free). */
struct api_request {
	char	*to;			/* required */
	char	*text;			/* required */
	char	*communication;		/* NULL when absent or null */
	char	*reference;		/* NULL when absent or null */
};

/*
 * Reads a send request: a JSON object of "to" and "text" (strings,
 * required), "communication" and "reference" (strings or null, optional).
 * Only the types are checked here (sendapi.c checks the values). Returns
 * 1 with req filled; 0 refused with *status (400 when the body is not a
 * JSON object, 422 for a member missing, of the wrong type, holding a NUL
 * character, unknown, or given twice), the member at fault in field
 * (fieldsz bytes; "" for the body as a whole) and a reason in why (whysz
 * bytes); < 0 when out of memory. req is always safe to free. A lone
 * surrogate's escape reads as invalid UTF-8 (payload_object_parse), which
 * the value checks refuse.
 */
int	 payload_api_parse(const char *body, size_t len, struct api_request *req,
	    int *status, char *field, size_t fieldsz, char *why, size_t whysz);
void	 payload_api_free(struct api_request *);

/*
 * A message sent through the API as its answers show it: {"id", "status",
 * "to", "reference", "communication", "created_at", "updated_at",
 * "sent_at", "done_at", "reason", "infobip": {"message_id",
 * "status_group", "status_name", "status_description", "error_name",
 * "error_description"}, "price": {"amount", "currency"} or null,
 * "segments"}, plus "duplicate": true when replay (a retried reference).
 * Absent ("") values are null. The caller fills the plain struct from its
 * row (pointers borrowed for the call). Returns malloc'd JSON (the caller frees), NULL
 * when out of memory.
 */
struct payload_api_message {
	const char	*uid;
	const char	*status;
	const char	*recipient;
	const char	*reference;
	const char	*communication;
	const char	*infobip_id;
	const char	*status_group, *status_name, *status_description;
	const char	*error_name, *error_description;
	const char	*created_at, *updated_at;
	const char	*sent_at, *done_at;	/* "" when not yet */
	double		 price;			/* < 0 when unknown */
	const char	*currency;
	int		 segments;		/* < 0 when unknown */
};
char	*payload_api_message(const struct payload_api_message *, int replay);

/* An error answer: {"error": msg, "field": field} (no field when NULL). Malloc'd, NULL when out of memory. */
char	*payload_api_error(const char *msg, const char *field);

#endif
