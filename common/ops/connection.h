/* Connection lifecycle (docs/ARCHITECTURE.md, Connection lifecycle): Start validates and snapshots, Stop stops. */
#ifndef CONNECTION_H
#define CONNECTION_H

#include <stddef.h>

#include "secret.h"

struct store;
struct store_connection;
struct ib_client;

/* What a RUNNING connection sends with: the snapshot taken at Start. */
struct connection_config {
	char	 api_url[512];
	char	 sender[64];
	char	 api_key_enc[1024];
	char	 short_domain[256];	/* INFOBIP_SHORT_DOMAIN, "" when unset */
};

/*
 * Starts connection id, which the caller claimed with token
 * (store_connection_start_claim: STARTING): checks that API key, URL and
 * sender are set, validates them against Infobip, then RUNNING (snapshot
 * taken) or ERROR with the reason as status message and in the
 * connection's log. A result that comes after a Stop (the claim is gone)
 * is logged and discarded: msg says so and 0 is returned.
 * msg receives the outcome for people; when Infobip cannot reach the
 * public URL (unset or loopback: delivery reports and clicks cannot
 * arrive) a second line says so, and so does a warning in the log. A
 * RUNNING connection whose key may not read Infobip's message logs (a
 * made-up id looked up gets 403) says so in its status message and log:
 * its unsure sends will wait for an operator. Returns 1 RUNNING, 0 ERROR
 * or unknown connection, < 0 store error.
 */
int	 connection_start(struct store *, struct ib_client *,
	    const unsigned char key[SECRET_KEY_LEN], const char *id, const char *token,
	    char *msg, size_t msgsz);
/* Stops connection id (STOPPING then STOPPED). 1 stopped, 0 unknown, < 0 error. */
int	 connection_stop(struct store *, const char *id);
/*
 * The configuration c would run with if it were started now: its saved
 * fields and environment (what Start snapshots). > 0, < 0 store error.
 */
int	 connection_saved_config(struct store *, const struct store_connection *c,
	    struct connection_config *);
/* Reads the Start snapshot of a RUNNING connection. 1 ok, 0 not running or no snapshot. */
int	 connection_config(struct store *, const char *id, struct connection_config *);

/* Longest description and environment variable value, in bytes. */
#define CONNECTION_DESCRIPTION_MAX	1000
#define CONNECTION_ENV_VALUE_MAX	1000

/*
 * Field validators shared by the command line and the admin: 1 valid, 0
 * with *why. Names, descriptions and variable values are one line of
 * text without control characters (log_has_control); a NULL description
 * or value is valid (none given).
 */
int	 connection_valid_name(const char *s, const char **why);
int	 connection_valid_description(const char *s, const char **why);
int	 connection_valid_env_value(const char *s, const char **why);
int	 connection_valid_sender(const char *s, const char **why);
int	 connection_valid_api_key(const char *s, const char **why);
int	 connection_valid_env_name(const char *s, const char **why);

#endif
