/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "enums.h"

struct connection_config;

/*
 * The payload module knows no store types: its callers fill these plain
 * shapes (pointers borrowed for the call) from their own rows.
 */

/* Longest reason given for one refused item of a webhook body. */
#define PAYLOAD_ITEM_ERROR_MAX	256

/* One refused item of a webhook body: its index and the reason. */
struct payload_item_error {
	size_t	 index;
	char	 text[PAYLOAD_ITEM_ERROR_MAX];
};

/* What a webhook did with a body, as its answer counts it. */
struct payload_summary {
	size_t				 items, stored, duplicates, pending;
	size_t				 rejected;
	size_t				 nerrors;
	const struct payload_item_error	*errors;	/* nerrors of them */
};

/* A session as its export shows it; "" for an absent value. */
struct payload_session {
	int64_t		 id;
	const char	*conn;
	const char	*conn_name;
	const char	*phone;
	int		 opted_out;
	const char	*responsible;
	const char	*started_at, *last_at, *closed_at;
	const char	*data;		/* the collected data, a JSON object; NULL: none */
	const char	*contact_name, *contact_email;
};

/* A message as a session export shows it; "" for an absent text. */
struct payload_message {
	int64_t			 id;
	const char		*uid;
	const char		*at;
	enum msg_direction	 direction;
	const char		*author;
	enum msg_status		 status;
	const char		*reason;
	const char		*text;
	const char		*sender, *recipient;
	const char		*infobip_id;
	const char		*status_group, *status_name;
	const char		*error_name, *error_description;
	double			 price;		/* < 0 when none */
	const char		*currency;
	int			 segments;	/* < 0 when none */
	const char		*sent_at, *done_at;
	int			 clicks;
};

/* Builds the Start snapshot of a connection. Returns malloc'd JSON, NULL on error. */
char	*payload_snapshot_build(const struct connection_config *);
/* Reads a snapshot. 1 ok, 0 malformed. */
int	 payload_snapshot_parse(const char *json, struct connection_config *);

/*
 * The body of an error answer of our web programs: {"error": msg}, with
 * < and > escaped so that a browser rendering it runs nothing. Returns
 * malloc'd JSON, NULL when out of memory (PAYLOAD_ERROR_NOMEM is then the
 * body to answer).
 */
char	*payload_error_body(const char *msg);
#define PAYLOAD_ERROR_NOMEM	"{\"error\":\"out of memory\"}"

/* The JSON summary a webhook answers with. Returns malloc'd JSON, NULL on error. */
char	*payload_webhook_summary(const struct payload_summary *);

/*
 * What GET /health answers: {"status": "ok"|"unavailable", "store":
 * "writable"|"unavailable", "sender_last_run": UTC time or null,
 * "sender_seconds_ago": whole seconds or null, and for a store on a
 * server "store_standbys" and "store_synchronous_standbys": counts}.
 * sender_at is when the sender last ran, sender_age how long ago in
 * seconds; sender_at NULL or "" (never recorded): nulls. standbys below 0
 * (a file, or not known): neither standby field. Returns malloc'd JSON,
 * NULL when out of memory.
 */
char	*payload_health(int writable, int standbys, int synchronous,
	    const char *sender_at, double sender_age);

/*
 * A session exported as JSON, built message by message:
 * {"session": {id, connection, connection_name, channel_type, contact,
 * responsible, state, started_at, last_at, closed_at}, "contact": {phone,
 * name, email, opted_out}, "data": {collected fields}, "messages": [{id,
 * uid, at, direction, author, sender, recipient, text, status,
 * status_reason, infobip_id, status_group, status_name, error_name,
 * error_description, price, currency, segments, sent_at, done_at,
 * clicks}]}; absent values are null. data is the session's JSON object
 * text ("{}" when nothing was collected; anything else that is not an
 * object exports as {}). The caller fills the session and each message
 * from its rows. open returns the builder, NULL when out of
 * memory; message returns 1, or 0 when out of memory (finish then
 * returns NULL); finish returns malloc'd JSON (the caller frees) or NULL,
 * and frees the builder in both cases.
 */
struct payload_export;
struct payload_export *payload_export_open(const struct payload_session *);
int	 payload_export_message(struct payload_export *,
	    const struct payload_message *);
char	*payload_export_finish(struct payload_export *);

#endif
