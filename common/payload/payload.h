/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stddef.h>

struct connection_config;
struct store_message_row;
struct store_heartbeat;
struct store_session;
struct webhook_result;

/* Builds the Start snapshot of a connection. Returns malloc'd JSON, NULL on error. */
char	*payload_snapshot_build(const struct connection_config *);
/* Reads a snapshot. 1 ok, 0 malformed. */
int	 payload_snapshot_parse(const char *json, struct connection_config *);

/* The JSON summary a webhook answers with. Returns malloc'd JSON, NULL on error. */
char	*payload_webhook_summary(const struct webhook_result *);

/*
 * What GET /health answers: {"status": "ok"|"unavailable", "store":
 * "writable"|"unavailable", "sender_last_run": UTC time or null,
 * "sender_seconds_ago": whole seconds or null}. sender NULL (or never
 * recorded): nulls. Returns malloc'd JSON, NULL when out of memory.
 */
char	*payload_health(int writable, const struct store_heartbeat *sender);

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
 * object exports as {}). open returns the builder, NULL when out of
 * memory; message returns 1, or 0 when out of memory (finish then
 * returns NULL); finish returns malloc'd JSON (the caller frees) or NULL,
 * and frees the builder in both cases.
 */
struct payload_export;
struct payload_export *payload_export_open(const struct store_session *,
	    const char *conn_name, const char *data, const char *contact_name,
	    const char *contact_email);
int	 payload_export_message(struct payload_export *,
	    const struct store_message_row *);
char	*payload_export_finish(struct payload_export *);

#endif
