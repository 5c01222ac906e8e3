/* The command line's send API tokens: token add, token list (token revoke is an action of the table). */
#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "ibchannel.h"
#include "ops_token.h"

/* Prints the new token alone on stdout, so that a script can capture it; it is never shown again. */
int
cmd_token_add(struct cli *c)
{
	char	 token[APITOKEN_SIZE];
	int64_t	 id;
	int	 rc;

	if ((rc = ops_token_add(&c->ops, c->n, c->conn, token, &id,
	    &c->e)) <= 0)
		return report(c, rc);
	printf("%s\n", token);
	fflush(stdout);
	explicit_bzero(token, sizeof(token));
	return 0;
}

static int
token_line(const struct store_token *t, void *arg)
{
	(void)arg;
	printf("%lld\t%lld\t%s\t%s\t%.19s\t%s\t%s...\n", (long long)t->id,
	    (long long)t->agent, esc(t->agent_name), t->conn, t->created_at,
	    t->revoked_at[0] != '\0' ? t->revoked_at : "-", t->prefix);
	return 1;
}

/* Lists tokens, newest first: never the tokens themselves, only their first characters. */
int
cmd_token_list(struct cli *c)
{
	int	 rc;

	printf("id\tagent\tagent_name\tconnection\tcreated_at\trevoked_at"
	    "\tprefix\n");
	rc = ops_token_each(&c->ops, c->nargs > 0 ? c->n : 0, token_line,
	    NULL, &c->e);
	return report(c, rc);
}
