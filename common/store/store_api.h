/* The store's part of the send API: tokens, and the sends made with them (the store's third file). */
#ifndef STORE_API_H
#define STORE_API_H

#include <stddef.h>
#include <stdint.h>

#include "enums.h"
#include "store.h"

/* A token as the store holds it (never the token itself) with what decides whether it works. */
struct store_token {
	int64_t		 id;
	int64_t		 agent;
	char		 conn[STORE_ID_LEN + 1];
	char		 agent_name[256];
	char		 conn_name[256];
	char		 prefix[16];
	char		 created_by[256];
	char		 created_at[STORE_TIME_MAX];
	char		 revoked_by[256];		/* "" while it works */
	char		 revoked_at[STORE_TIME_MAX];	/* "" while it works */
	int		 agent_running;		/* the agent is RUNNING */
	enum conn_status conn_status;
	int		 conn_deleted;		/* the connection was deleted */
	int		 attached;		/* the agent is still attached to the connection */
};

/*
 * Adds a token for agent's attachment to conn, by its hash and shown
 * prefix, made by who. > 0 with *id, 0 refused by a constraint (a hash
 * already there, an unknown agent or connection).
 */
int	 store_token_add(struct store *, int64_t agent, const char *conn,
	    const char *hash, const char *prefix, const char *who, int64_t *id);
/* Reads the token with this hash. > 0 found, 0 none. */
int	 store_token_by_hash(struct store *, const char *hash,
	    struct store_token *);
/* Reads token id. > 0 found, 0 none. */
int	 store_token_get(struct store *, int64_t id, struct store_token *);
/* Revokes token id as who. > 0 revoked, 0 unknown or revoked already. */
int	 store_token_revoke(struct store *, int64_t id, const char *who);
/* Calls fn for each token of agent (0: every agent), newest first; stops when fn returns 0. */
int	 store_token_each(struct store *, int64_t agent,
	    int (*fn)(const struct store_token *, void *), void *arg);
/* Whether agent is attached to conn. > 0 yes, 0 no. */
int	 store_agent_attached(struct store *, int64_t agent, const char *conn);

/*
 * The message sent through the API under reference by agent's attachment
 * to conn. > 0 found with its uid (STORE_UID_MAX bytes) and the hash of
 * what was asked (65 bytes), 0 none.
 */
int	 store_api_send_find(struct store *, const char *conn, int64_t agent,
	    const char *reference, char *uid, char *request_hash);
/*
 * Records that message was sent through the API. reference and
 * communication may be NULL. > 0 recorded, 0 refused by a constraint (the
 * reference is taken for this attachment).
 */
int	 store_api_send_add(struct store *, int64_t message, int64_t token,
	    int64_t agent, const char *conn, const char *reference,
	    const char *communication, const char *request_hash);

/* A message sent through the API, as its GET shows it. */
struct store_api_message {
	char		 uid[STORE_UID_MAX];
	char		 status[16];
	char		 recipient[64];
	char		 reference[160];
	char		 communication[80];
	char		 infobip_id[128];
	char		 status_group[64];
	char		 status_name[128];
	char		 status_description[512];
	char		 error_name[128];
	char		 error_description[512];
	char		 created_at[STORE_TIME_MAX];
	char		 updated_at[STORE_TIME_MAX];
	char		 sent_at[STORE_TIME_MAX];	/* "" when not yet */
	char		 done_at[STORE_TIME_MAX];	/* "" when not yet */
	double		 price;			/* < 0 when unknown */
	char		 currency[16];
	int		 segments;		/* < 0 when unknown */
};
/*
 * Reads the message uid sent through the API by agent's attachment to
 * conn. > 0 found, 0 unknown or sent otherwise.
 */
int	 store_api_message_get(struct store *, const char *conn, int64_t agent,
	    const char *uid, struct store_api_message *);

#endif
