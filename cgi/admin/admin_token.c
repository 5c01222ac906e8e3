/* Handlers of an agent's send API tokens: New API token (shown once), Revoke; and the section of the agent's page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "apitoken.h"
#include "ops_token.h"
#include "parse.h"

/* The API tokens section of an agent's page (agent_panel): a button per attachment, then the tokens. */
void
agent_tokens_section(struct adm *a, const struct agent_panel *p)
{
	struct list_ctx		 lc = { .a = a };
	struct ops_error	 e;

	view_agent_tokens_open(a, p);
	if (admin_can(a, OPS_CONFIGURE) && ops_agent_channels(&a->ops,
	    p->v->a.id, view_agent_token_button, &lc, &e) < 0)
		view_list_failed(a);
	view_agent_tokens_table(a, lc.rows);
	lc.rows = 0;
	if (ops_token_each(&a->ops, p->v->a.id, view_agent_token_row, &lc,
	    &e) < 0)
		view_list_failed(a);
	view_agent_tokens_close(a, lc.rows);
}

/*
 * POST /admin/agents/{n}/tokens (conn): makes a token and shows it on the
 * agent's page, once: it is in this answer only (never in a URL, a
 * redirect or the store), which no cache keeps (Cache-Control: no-store).
 */
void
agent_token_add(struct adm *a)
{
	struct ops_error	 e;
	struct agent_panel	 p;
	char			 token[APITOKEN_SIZE];
	const char		*conn = arg(a, "conn");
	int64_t			 id;
	int			 rc;

	memset(&p, 0, sizeof(p));
	rc = ops_token_add(&a->ops, a->n, conn != NULL ? conn : "", token,
	    &id, &e);
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (rc == 0 && e.kind == OPS_NOT_FOUND && ops_error_for(&e,
	    "agent") != NULL) {
		admin_fail(a, 404, "No such agent.");
		return;
	}
	if (rc > 0) {
		p.new_token = token;
		p.new_token_conn = conn;
	} else
		p.token_error = ops_error_text(&e);
	agent_panel_show(a, rc > 0 ? 200 : admin_ops_status(&e), &p);
	explicit_bzero(token, sizeof(token));
}

/* POST /admin/agents/{n}/tokens/revoke (id): revokes one of this agent's tokens. */
void
agent_token_revoke(struct adm *a)
{
	struct ops_error	 e;
	struct agent_panel	 p;
	int64_t			 n;
	int			 rc;

	memset(&p, 0, sizeof(p));
	if (!parse_id(arg(a, "id"), &n)) {
		admin_fail(a, 400, "No token number given.");
		return;
	}
	if ((rc = ops_token_revoke(&a->ops, a->n, n, &e)) > 0) {
		admin_redirect(a, "token-revoked", "/agents/%lld",
		    (long long)a->n);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	p.token_error = ops_error_text(&e);
	agent_panel_show(a, admin_ops_status(&e), &p);
}
