/* Operator actions on agents: add, edit, delete, attach, detach, start, stop, try. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "connection.h"
#include "log.h"
#include "ops_int.h"
#include "rules.h"
#include "secret.h"
#include "store.h"

/* Longest instructions an agent keeps: a system prompt or a rules text. */
#define INSTRUCTIONS_MAX	(1024 * 1024)

/*
 * Applies the form's given fields to a (all of them on add) and checks the
 * result as a whole, naming each field at fault. A new API key is sealed
 * into a->api_key_enc; instructions are checked here and copied by
 * take_instructions. 1 valid, 0 refused (err), < 0 error.
 */
static int
form_apply(const struct ops *o, const struct ops_agent_form *f, int adding,
    struct store_agent *a, struct ops_error *e)
{
	const char	*why, *url, *instr;
	char		 kinds[64], msg[256];
	int		 has_key, new_key = 0, rc;

	if ((adding || f->name != NULL) &&
	    !connection_valid_name(f->name, &why))
		ops_fail(e, OPS_INVALID, "name", "%s", why);
	else if (f->name != NULL)
		snprintf(a->name, sizeof(a->name), "%s", f->name);
	if ((adding || f->kind != NULL) && !agent_kind_find(f->kind, &a->kind))
		ops_fail(e, OPS_INVALID, "kind", "kind must be %s",
		    enum_names_join(agent_kind_names, AGENT_KIND__MAX, ", ",
		    " or ", kinds, sizeof(kinds)));
	if (f->instructions != NULL && strlen(f->instructions) >
	    INSTRUCTIONS_MAX)
		ops_fail(e, OPS_INVALID, "instructions", "instructions are"
		    " longer than 1 MiB");
	if (f->url != NULL)
		snprintf(a->url, sizeof(a->url), "%s", f->url);
	if (f->model != NULL) {
		if (strlen(f->model) >= sizeof(a->model) ||
		    log_has_control(f->model))
			ops_fail(e, OPS_INVALID, "model", "the model name is too"
			    " long or holds control characters");
		else
			snprintf(a->model, sizeof(a->model), "%s", f->model);
	}
	if (ops_key_given(a->api_key_enc, f->api_key, "api_key", e) > 0) {
		new_key = 1;
		if (*f->api_key != '\0' && !connection_valid_api_key(f->api_key,
		    &why))
			ops_fail(e, OPS_INVALID, "api_key", "%s", why);
	}
	if (e->n > 0)
		return 0;
	/* The whole agent, as it would be saved. */
	has_key = new_key ? *f->api_key != '\0' : a->api_key_enc[0] != '\0';
	url = f->url != NULL ? f->url : a->url;
	if (f->url != NULL && strlen(f->url) >= sizeof(a->url))
		ops_fail(e, OPS_INVALID, "url", "the URL is too long");
	else if (!agent_url_valid(agent_kind_name(a->kind), url, has_key,
	    &why))
		ops_fail(e, OPS_INVALID, "url", "%s", why);
	if (a->kind == AGENT_OPENAI && a->model[0] == '\0')
		ops_fail(e, OPS_INVALID, "model", "an openai agent needs a"
		    " model");
	/* None given: the rules agent answers with rules_default(). */
	instr = f->instructions != NULL ? f->instructions : a->instructions;
	if (a->kind == AGENT_RULES && instr != NULL && *instr != '\0' &&
	    (rc = rules_check(instr, msg, sizeof(msg))) <= 0) {
		if (rc < 0)
			return ops_store_error(e);
		ops_fail(e, OPS_INVALID, "instructions", "instructions: %s",
		    msg);
	}
	if (e->n > 0)
		return 0;
	if (new_key) {
		if (*f->api_key == '\0')
			a->api_key_enc[0] = '\0';
		else if (ops_seal(o, f->api_key, a->api_key_enc,
		    sizeof(a->api_key_enc), e) < 0)
			return -1;
	}
	return 1;
}

/* Replaces a->instructions with a copy of the form's, when given. 1, or 0 out of memory. */
static int
take_instructions(struct store_agent *a, const struct ops_agent_form *f)
{
	char	*copy;

	if (f->instructions == NULL)
		return 1;
	if ((copy = strdup(f->instructions)) == NULL)
		return 0;
	free(a->instructions);
	a->instructions = copy;
	return 1;
}

int
ops_agent_add(const struct ops *o, const struct ops_agent_form *f,
    int64_t *id, struct ops_error *e)
{
	struct store_agent	 a;
	int			 rc;

	ops_reset(e);
	memset(&a, 0, sizeof(a));
	if ((rc = form_apply(o, f, 1, &a, e)) <= 0)
		return rc;
	if (!take_instructions(&a, f))
		return ops_store_error(e);
	if (store_agent_add(o->st, &a) <= 0) {
		store_agent_clear(&a);
		return ops_store_error(e);
	}
	store_agent_clear(&a);
	*id = a.id;
	return 1;
}

/* An action's result from a store result about agent id (0: no such agent). */
static int
agent_rc(int rc, int64_t id, struct ops_error *e)
{
	if (rc < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "id", "no agent %lld",
		    (long long)id);
	return 1;
}

/* Reads agent id for an action. > 0 found, 0 with OPS_NOT_FOUND. */
static int
agent_get(const struct ops *o, int64_t id, struct store_agent *a,
    struct ops_error *e)
{
	return agent_rc(store_agent_get(o->st, id, a), id, e);
}

int
ops_agent_edit(const struct ops *o, int64_t id, const struct ops_agent_form *f,
    struct ops_error *e)
{
	struct store_agent	 a;
	int			 rc;

	ops_reset(e);
	if ((rc = agent_get(o, id, &a, e)) <= 0)
		return rc;
	if ((rc = form_apply(o, f, 0, &a, e)) <= 0)
		goto out;
	if (!take_instructions(&a, f)) {
		rc = ops_store_error(e);
		goto out;
	}
	rc = agent_rc(store_agent_save(o->st, &a), id, e);
out:
	store_agent_clear(&a);
	return rc;
}

int
ops_agent_delete(const struct ops *o, int64_t id, struct ops_error *e)
{
	struct store_agent	 a;
	int			 rc;

	ops_reset(e);
	if ((rc = agent_get(o, id, &a, e)) <= 0)
		return rc;
	store_agent_clear(&a);
	if (a.status == AGENT_RUNNING)
		return ops_fail(e, OPS_REFUSED, "id", "agent \"%.200s\" is"
		    " RUNNING; stop it before deleting it", a.name);
	return agent_rc(store_agent_delete(o->st, id), id, e);
}

int
ops_agent_attach(const struct ops *o, int64_t agent, const char *conn,
    int inbound, struct ops_error *e)
{
	struct store_connection	 c;
	struct store_agent	 a;
	const char		*why;
	char			 holder[256], label[256];
	int64_t			 other;
	int			 rc;

	ops_reset(e);
	if (!ops_check_conn_id(conn, e))
		return 0;
	if ((rc = agent_get(o, agent, &a, e)) <= 0)
		return rc;
	store_agent_clear(&a);
	if ((rc = ops_conn_get(o, conn, &c, e)) <= 0)
		return rc;
	ops_connection_label(&c, label, sizeof(label));
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_agent_attach(o->st, agent, conn, inbound, &why)) == 0) {
		/* Name the agent that holds the connection's inbound SMS. */
		if (store_inbound_agent_name(o->st, conn, &other, holder,
		    sizeof(holder)) > 0)
			ops_fail(e, OPS_REFUSED, "inbound", "agent \"%s\""
			    " already answers the inbound SMS of connection"
			    " %s; only one inbound agent per connection",
			    holder, label);
		else
			ops_fail(e, OPS_REFUSED, "inbound", "%s", why);
		store_rollback(o->st);
		return 0;
	}
	if (rc < 0 || store_log(o->st, conn, "info", "agent", "agent \"%s\""
	    " attached%s by %s", a.name, inbound ? " with Inbound on" : "",
	    ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_agent_detach(const struct ops *o, int64_t agent, const char *conn,
    struct ops_error *e)
{
	struct store_connection	 c;
	struct store_agent	 a;
	char			 label[256];
	int			 rc;

	ops_reset(e);
	if (!ops_check_conn_id(conn, e))
		return 0;
	/* Both are read to be named; a deleted connection has no attachment. */
	if ((rc = agent_get(o, agent, &a, e)) <= 0)
		return rc;
	store_agent_clear(&a);
	if ((rc = ops_conn_get(o, conn, &c, e)) <= 0)
		return rc;
	ops_connection_label(&c, label, sizeof(label));
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_agent_detach(o->st, agent, conn)) == 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_NOT_FOUND, "id", "agent \"%.200s\" is"
		    " not attached to connection %s", a.name, label);
	}
	if (rc < 0 || store_log(o->st, conn, "info", "agent", "agent \"%s\""
	    " detached by %s", a.name, ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

/*
 * Sets an agent's status. Start does not judge the settings again: the
 * form checked them, and the sender refuses what it must not call (a
 * setting changed behind the form's back), saying why in the log.
 */
static int
agent_status(const struct ops *o, int64_t id, enum agent_status as,
    struct ops_error *e)
{
	ops_reset(e);
	return agent_rc(store_agent_set_status(o->st, id, as), id, e);
}

int
ops_agent_start(const struct ops *o, int64_t id, struct ops_error *e)
{
	return agent_status(o, id, AGENT_RUNNING, e);
}

int
ops_agent_stop(const struct ops *o, int64_t id, struct ops_error *e)
{
	return agent_status(o, id, AGENT_STOPPED, e);
}

int
ops_agent_get(const struct ops *o, int64_t id, struct ops_agent_view *v,
    struct ops_error *e)
{
	int	 rc;

	ops_reset(e);
	memset(v, 0, sizeof(*v));
	if ((rc = agent_get(o, id, &v->a, e)) <= 0)
		return rc;
	ops_mask(o, v->a.api_key_enc, v->api_key_masked,
	    sizeof(v->api_key_masked));
	return 1;
}

void
ops_agent_view_clear(struct ops_agent_view *v)
{
	store_agent_clear(&v->a);
}

void
ops_agent_form_of(const struct ops_agent_view *v, struct ops_agent_form *of)
{
	memset(of, 0, sizeof(*of));
	of->name = v->a.name;
	of->kind = agent_kind_name(v->a.kind);
	of->instructions = v->a.instructions;
	of->url = v->a.url;
	of->model = v->a.model;
	of->api_key = v->api_key_masked;
}

struct each_ctx {
	const struct ops	*o;
	int			(*fn)(const struct ops_agent_view *, void *);
	void			*arg;
};

static int
each_one(const struct store_agent *a, void *arg)
{
	struct each_ctx		*x = arg;
	struct ops_agent_view	 v;

	memset(&v, 0, sizeof(v));
	v.a = *a;		/* borrowed: the store frees instructions */
	ops_mask(x->o, a->api_key_enc, v.api_key_masked,
	    sizeof(v.api_key_masked));
	return x->fn(&v, x->arg);
}

int
ops_agent_each(const struct ops *o,
    int (*fn)(const struct ops_agent_view *, void *), void *arg)
{
	struct each_ctx	 x = { o, fn, arg };

	return store_agent_each(o->st, each_one, &x);
}

int
ops_agent_each_row(const struct ops *o,
    int (*fn)(const struct store_agent *, void *), void *arg)
{
	return store_agent_each(o->st, fn, arg);
}

int
ops_agent_channels(const struct ops *o, int64_t id,
    int (*fn)(const struct store_agent_channel *, void *), void *arg,
    struct ops_error *e)
{
	struct store_agent	 a;
	int			 rc;

	ops_reset(e);
	if ((rc = agent_get(o, id, &a, e)) <= 0)
		return rc;
	store_agent_clear(&a);
	if (store_agent_channel_each(o->st, id, fn, arg) < 0)
		return ops_store_error(e);
	return 1;
}

int
ops_agent_try(const struct ops *o, int64_t id, const char *text,
    char **reply, struct ops_error *e)
{
	struct store_agent	 a;
	struct agent_job	 job;
	struct agent_reply	 r;
	int			 rc;

	ops_reset(e);
	*reply = NULL;
	if (text == NULL || *text == '\0')
		return ops_fail(e, OPS_INVALID, "text", "the text is empty");
	if ((rc = agent_get(o, id, &a, e)) <= 0)
		return rc;
	if (a.kind != AGENT_RULES) {
		store_agent_clear(&a);
		return ops_fail(e, OPS_REFUSED, "id", "only a rules agent can"
		    " be tried here: the others would be called");
	}
	memset(&job, 0, sizeof(job));
	memset(&r, 0, sizeof(r));
	job.agent = id;
	job.kind = agent_kind_name(a.kind);
	job.instructions = a.instructions;
	job.phone = "+10000000000";
	job.text = text;
	job.session_data = "{}";
	rc = rules_answer(&job, &r);
	store_agent_clear(&a);
	if (rc < 0) {
		agent_reply_clear(&r);
		return ops_store_error(e);
	}
	*reply = r.text;
	r.text = NULL;
	agent_reply_clear(&r);
	return 1;
}
