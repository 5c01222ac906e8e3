/* JSON of the store and the webhooks: with payload_infobip.c, the only code that reads or writes JSON. */
#ifndef PAYLOAD_H
#define PAYLOAD_H

#include <stddef.h>

struct connection_config;
struct webhook_result;

/* Builds the Start snapshot of a connection. Returns malloc'd JSON, NULL on error. */
char	*payload_snapshot_build(const struct connection_config *);
/* Reads a snapshot. 1 ok, 0 malformed. */
int	 payload_snapshot_parse(const char *json, struct connection_config *);

/* The JSON summary a webhook answers with. Returns malloc'd JSON, NULL on error. */
char	*payload_webhook_summary(const struct webhook_result *);

#endif
