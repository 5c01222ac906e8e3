/* Operator actions on send API tokens: add, revoke, list (the ops.h convention). */
#ifndef OPS_TOKEN_H
#define OPS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "apitoken.h"
#include "ops.h"
#include "store_api.h"

/*
 * A token lets another system's flow send SMS through one agent's
 * attachment to one connection (POST /channel/{id}/messages: cgi/inbound_api.c, its decisions in sendapi.h).
 * It works while it is not revoked, the agent is still attached to the
 * connection, and both are RUNNING. The store keeps its SHA-256 and its
 * first 12 characters only: the token is shown once, when it is made.
 * Field names for ops_error_for: "agent", "connection", "id".
 */

/*
 * Makes a token for agent's attachment to conn as ops->user, logged on
 * the connection (with its prefix, never the token). > 0 with the token in
 * token (APITOKEN_SIZE bytes; show it once, then forget it) and its number
 * in *id; 0 refused: unknown agent or connection (OPS_NOT_FOUND), a
 * malformed connection id (OPS_INVALID), the agent not attached to the
 * connection (OPS_REFUSED).
 */
int	 ops_token_add(const struct ops *, int64_t agent, const char *conn,
	    char *token, int64_t *id, struct ops_error *);
/*
 * Revokes token id of agent (0: of any agent) as ops->user, logged on its
 * connection: the API refuses it (403) from then on. 0 refused: unknown,
 * or not agent's (OPS_NOT_FOUND), or revoked already (OPS_REFUSED).
 */
int	 ops_token_revoke(const struct ops *, int64_t agent, int64_t id,
	    struct ops_error *);
/* The same, with the number as text (the command line's argument); a bad number is OPS_INVALID. */
int	 ops_token_revoke_str(const struct ops *, const char *id,
	    struct ops_error *);
/*
 * Calls fn for each token of agent (0: of every agent), newest first;
 * stops when fn returns 0. 0 refused: agent given and unknown.
 */
int	 ops_token_each(const struct ops *, int64_t agent,
	    int (*fn)(const struct store_token *, void *), void *arg,
	    struct ops_error *);

#endif
