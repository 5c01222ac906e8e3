/* Operator actions on send API tokens: add, revoke, list (the ops.h convention). */
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "ops_int.h"
#include "ops_token.h"
#include "parse.h"
#include "store.h"
#include "store_api.h"

/* Whether agent exists: > 0 yes, 0 with OPS_NOT_FOUND, < 0 store error. */
static int
agent_known(const struct ops *o, int64_t agent, struct ops_error *e)
{
	struct store_agent	 a;
	int			 rc;

	memset(&a, 0, sizeof(a));
	if ((rc = store_agent_get(o->st, agent, &a)) < 0)
		return ops_store_error(e);
	store_agent_clear(&a);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "agent", "no agent %lld",
		    (long long)agent);
	return 1;
}

int
ops_token_add(const struct ops *o, int64_t agent, const char *conn,
    char *token, int64_t *id, struct ops_error *e)
{
	struct store_connection	 c;
	char			 hash[APITOKEN_HASH_SIZE];
	char			 prefix[APITOKEN_PREFIX_SIZE];
	int			 rc;

	ops_reset(e);
	token[0] = '\0';
	if (!ops_check_conn_id(conn, e))
		return 0;
	if ((rc = agent_known(o, agent, e)) <= 0 ||
	    (rc = ops_conn_get(o, conn, &c, e)) <= 0)
		return rc;
	if (!apitoken_new(token, hash, prefix))
		return ops_fail(e, OPS_FAILED, NULL, "no random token could be"
		    " made (see the log)");
	if (store_begin(o->st) < 0)
		goto err;
	if ((rc = store_agent_attached(o->st, agent, conn)) == 0) {
		store_rollback(o->st);
		explicit_bzero(token, APITOKEN_SIZE);
		return ops_fail(e, OPS_REFUSED, "connection", "agent %lld is"
		    " not attached to connection %s: attach it first (Inbound"
		    " on or off)", (long long)agent, conn);
	}
	if (rc < 0 || store_token_add(o->st, agent, conn, hash, prefix,
	    ops_user(o), id) <= 0 ||
	    store_log(o->st, conn, "info", "api_token", "API token %lld (%s...)"
	    " made for agent %lld by %s", (long long)*id, prefix,
	    (long long)agent, ops_user(o)) < 0 || store_commit(o->st) < 0)
		goto err;
	return 1;
err:
	store_rollback(o->st);
	explicit_bzero(token, APITOKEN_SIZE);
	return ops_store_error(e);
}

int
ops_token_revoke(const struct ops *o, int64_t agent, int64_t id,
    struct ops_error *e)
{
	struct store_token	 t;
	int			 rc;

	ops_reset(e);
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_token_get(o->st, id, &t)) <= 0 ||
	    (agent != 0 && t.agent != agent)) {
		store_rollback(o->st);
		if (rc < 0)
			return ops_store_error(e);
		if (agent != 0)
			return ops_fail(e, OPS_NOT_FOUND, "id", "agent %lld"
			    " has no API token %lld", (long long)agent,
			    (long long)id);
		return ops_fail(e, OPS_NOT_FOUND, "id", "no API token %lld",
		    (long long)id);
	}
	if (t.revoked_at[0] != '\0') {
		store_rollback(o->st);
		return ops_fail(e, OPS_REFUSED, "id", "API token %lld was"
		    " revoked already, at %.19s by %s", (long long)id,
		    t.revoked_at, t.revoked_by);
	}
	if (store_token_revoke(o->st, id, ops_user(o)) <= 0 ||
	    store_log(o->st, t.conn, "info", "api_token", "API token %lld"
	    " (%s...) of agent %lld revoked by %s", (long long)id, t.prefix,
	    (long long)t.agent, ops_user(o)) < 0 || store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_token_revoke_str(const struct ops *o, const char *id, struct ops_error *e)
{
	int64_t	 v;

	ops_reset(e);
	if (!parse_id(id, &v))
		return ops_fail(e, OPS_INVALID, "id", "'%s' is not a token"
		    " number", id != NULL ? id : "");
	return ops_token_revoke(o, 0, v, e);
}

int
ops_token_each(const struct ops *o, int64_t agent,
    int (*fn)(const struct store_token *, void *), void *arg,
    struct ops_error *e)
{
	int	 rc;

	ops_reset(e);
	if (agent != 0 && (rc = agent_known(o, agent, e)) <= 0)
		return rc;
	if (store_token_each(o->st, agent, fn, arg) < 0)
		return ops_store_error(e);
	return 1;
}
