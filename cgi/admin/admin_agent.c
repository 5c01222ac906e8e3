/* Handlers of the AI Agents pages: list, new agent, an agent's panel, Start/Stop, attach/detach, try it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "ops.h"
#include "store.h"
#include "store_admin.h"

void
agent_list(struct adm *a)
{
	struct list_ctx	 lc = { .a = a };

	view_agent_list_open(a);
	if (store_admin_agents(a->st, view_agent_list_row, &lc) < 0)
		view_list_failed(a);
	view_agent_list_close(a, lc.rows);
}

void
agent_new(struct adm *a)
{
	struct agent_form	 f;

	memset(&f, 0, sizeof(f));
	f.fv.form = &ops_agent_fields;
	f.fv.value[OPS_AGENT_KIND] = "rules";
	view_agent_new(a, 200, &f);
}

void
agent_create(struct adm *a)
{
	struct ops_agent_form	 of;
	struct ops_error	 e;
	struct agent_form	 f;
	int64_t			 id;
	int			 rc;

	memset(&of, 0, sizeof(of));
	form_view_read(a, &ops_agent_fields, &of);
	if ((rc = ops_agent_add(&a->ops, &of, &id, &e)) > 0) {
		admin_redirect(a, "agent-created", "/agents/%lld",
		    (long long)id);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	memset(&f, 0, sizeof(f));
	form_view_again(&f.fv, &ops_agent_fields, &of, &e);
	f.fv.value[OPS_AGENT_API_KEY] = "";
	view_agent_new(a, admin_ops_status(&e), &f);
}

/* Writes an agent's panel; f: the form shown again after a refusal, NULL for the saved values. */
static void
agent_panel(struct adm *a, int status, const struct agent_form *f,
    const struct agent_panel *extra)
{
	struct ops_agent_view	 v;
	struct ops_error	 e;
	struct agent_panel	 p;
	struct agent_form	 saved;
	struct ops_agent_form	 of;
	struct list_ctx		 lc = { .a = a };
	struct conn_options	 co = { .a = a, .selected = "" };
	int			 rc;

	if ((rc = ops_agent_get(&a->ops, a->n, &v, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such agent.");
		return;
	}
	memset(&p, 0, sizeof(p));
	if (extra != NULL)
		p = *extra;
	p.v = &v;
	if (f == NULL) {
		ops_agent_form_of(&v, &of);
		memset(&saved, 0, sizeof(saved));
		saved.id = v.a.id;
		form_view_fill(&saved.fv, &ops_agent_fields, &of);
		f = &saved;
	}
	view_agent_panel_open(a, status, &p, f);
	if (ops_agent_channels(&a->ops, v.a.id, view_agent_channel_row, &lc,
	    &e) < 0)
		view_list_failed(a);
	view_agent_channels_add(a, &p, lc.rows);
	if (admin_can(a, OPS_CONFIGURE) &&
	    ops_connection_each_row(&a->ops, view_conn_option, &co) < 0)
		view_list_failed(a);
	view_agent_panel_close(a, &p);
	agent_tokens_section(a, &p);
	view_agent_form_close(a, &p, f);
	ops_agent_view_clear(&v);
}

void
agent_panel_show(struct adm *a, int status, const struct agent_panel *extra)
{
	agent_panel(a, status, NULL, extra);
}

void
agent_show(struct adm *a)
{
	agent_panel(a, 200, NULL, NULL);
}

void
agent_save(struct adm *a)
{
	struct ops_agent_view	 v;
	struct ops_agent_form	 of;
	struct ops_error	 e, ge;
	struct agent_form	 f;
	int			 rc;

	memset(&of, 0, sizeof(of));
	form_view_read(a, &ops_agent_fields, &of);
	if ((rc = ops_agent_edit(&a->ops, a->n, &of, &e)) > 0) {
		admin_redirect(a, "saved", "/agents/%lld", (long long)a->n);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (e.kind == OPS_NOT_FOUND) {
		admin_fail(a, 404, "No such agent.");
		return;
	}
	memset(&f, 0, sizeof(f));
	f.id = a->n;
	form_view_again(&f.fv, &ops_agent_fields, &of, &e);
	/* Its own error: f points into e's texts, which a reset would empty. */
	if (ops_agent_get(&a->ops, a->n, &v, &ge) <= 0) {
		admin_store_error(a);
		return;
	}
	f.fv.value[OPS_AGENT_API_KEY] = v.api_key_masked;
	agent_panel(a, 400, &f, NULL);
	ops_agent_view_clear(&v);
}

/* Redirects back to the agent with notice, or shows why the action was refused. */
static void
agent_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice, int attach)
{
	struct agent_panel	 p;

	if (rc > 0) {
		admin_redirect(a, notice, "/agents/%lld", (long long)a->n);
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (e->kind == OPS_NOT_FOUND && !attach) {
		admin_fail(a, 404, "No such agent.");
		return;
	}
	memset(&p, 0, sizeof(p));
	if (attach)
		p.attach_error = ops_error_text(e);
	else
		p.action_error = ops_error_text(e);
	agent_panel(a, admin_ops_status(e), NULL, &p);
}

void
agent_start(struct adm *a)
{
	struct ops_error	 e;

	agent_after(a, ops_agent_start(&a->ops, a->n, &e), &e,
	    "agent-started", 0);
}

void
agent_stop(struct adm *a)
{
	struct ops_error	 e;

	agent_after(a, ops_agent_stop(&a->ops, a->n, &e), &e,
	    "agent-stopped", 0);
}

void
agent_delete(struct adm *a)
{
	struct ops_error	 e;
	int			 rc;

	if ((rc = ops_agent_delete(&a->ops, a->n, &e)) > 0) {
		admin_redirect(a, "deleted", "/agents");
		return;
	}
	agent_after(a, rc, &e, NULL, 0);
}

void
agent_attach(struct adm *a)
{
	struct ops_error	 e;
	const char		*conn = arg(a, "conn"), *inbound;

	inbound = form_get(&a->f, "inbound");
	agent_after(a, ops_agent_attach(&a->ops, a->n, conn != NULL ? conn :
	    "", inbound != NULL && strcmp(inbound, "1") == 0, &e), &e,
	    "attached", 1);
}

void
agent_detach(struct adm *a)
{
	struct ops_error	 e;
	const char		*conn = arg(a, "conn");

	agent_after(a, ops_agent_detach(&a->ops, a->n, conn != NULL ? conn :
	    "", &e), &e, "detached", 1);
}

void
agent_try(struct adm *a)
{
	struct ops_error	 e;
	struct agent_panel	 p;
	char			*reply = NULL;
	int			 rc;

	memset(&p, 0, sizeof(p));
	p.try_text = arg(a, "text");
	rc = ops_agent_try(&a->ops, a->n, p.try_text != NULL ? p.try_text : "",
	    &reply, &e);
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	if (rc == 0 && e.kind == OPS_NOT_FOUND) {
		admin_fail(a, 404, "No such agent.");
		return;
	}
	if (rc > 0) {
		p.tried = 1;
		p.try_reply = reply;
	} else
		p.try_error = ops_error_text(&e);
	agent_panel(a, rc > 0 ? 200 : admin_ops_status(&e), NULL, &p);
	free(reply);
}
