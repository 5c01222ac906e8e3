/* Operator actions on connections and their environment: add, edit, delete, start, stop, logs, URLs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "connection.h"
#include "infobip.h"
#include "log.h"
#include "ops_int.h"
#include "payload.h"
#include "secret.h"
#include "store.h"

/*
 * Checks the form's fields into c (given ones only, or all on add), every
 * one of them, so that a page can show each problem by its field; a new
 * API key is sealed into c->api_key_enc and *key_changed set. 1 valid, 0
 * refused (err), < 0 error.
 */
static int
form_check(const struct ops *o, const struct ops_connection_form *f,
    int adding, struct store_connection *c, int *key_changed,
    struct ops_error *e)
{
	const char	*why;

	*key_changed = 0;
	if ((adding || f->name != NULL) &&
	    !connection_valid_name(f->name, &why))
		ops_fail(e, OPS_INVALID, "name", "%s", why);
	else if (f->name != NULL)
		snprintf(c->name, sizeof(c->name), "%s", f->name);
	if (!connection_valid_description(f->description, &why))
		ops_fail(e, OPS_INVALID, "description", "%s", why);
	else if (f->description != NULL)
		snprintf(c->description, sizeof(c->description), "%s",
		    f->description);
	if (adding || f->api_url != NULL) {
		if (f->api_url == NULL || *f->api_url == '\0')
			ops_fail(e, OPS_INVALID, "api_url", "API URL is"
			    " required");
		else if (!ib_base_url_normalize(f->api_url, c->api_url,
		    sizeof(c->api_url), &why))
			ops_fail(e, OPS_INVALID, "api_url", "%s", why);
	}
	if ((adding || f->sender != NULL) &&
	    !connection_valid_sender(f->sender, &why))
		ops_fail(e, OPS_INVALID, "sender", "%s", why);
	else if (f->sender != NULL)
		snprintf(c->sender, sizeof(c->sender), "%s", f->sender);
	/* The mask the form was filled with keeps the key. */
	if ((adding && f->api_key == NULL) ||
	    ops_key_given(c->api_key_enc, f->api_key, "api_key", e) > 0) {
		if (!connection_valid_api_key(f->api_key, &why))
			ops_fail(e, OPS_INVALID, "api_key", "%s", why);
		else if (e->n == 0) {
			if (ops_seal(o, f->api_key, c->api_key_enc,
			    sizeof(c->api_key_enc), e) < 0)
				return -1;
			*key_changed = 1;
		}
	}
	return e->n == 0;
}

/*
 * Inside the action's transaction: refuses c's name when another
 * connection not deleted holds it. 1 free, 0 taken (err), < 0 error.
 */
static int
name_free(const struct ops *o, const struct store_connection *c,
    struct ops_error *e)
{
	int	 rc;

	if ((rc = store_connection_name_taken(o->st, c->name, c->id)) < 0)
		return -1;
	if (rc > 0)
		ops_fail(e, OPS_INVALID, "name", "a connection named \"%.200s\""
		    " exists; names are unique", c->name);
	return rc == 0;
}

int
ops_connection_add(const struct ops *o, const struct ops_connection_form *f,
    char *id, struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc, key_changed;

	ops_reset(e);
	memset(&c, 0, sizeof(c));
	if (!ops_need_key(o, e))
		return -1;
	if ((rc = form_check(o, f, 1, &c, &key_changed, e)) <= 0)
		return rc;
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = name_free(o, &c, e)) <= 0 ||
	    (rc = store_connection_add(o->st, &c)) <= 0) {
		store_rollback(o->st);
		/* A refused insert: another program took the name meanwhile. */
		if (rc == 0 && e->n == 0)
			ops_fail(e, OPS_INVALID, "name", "a connection named"
			    " \"%.200s\" exists; names are unique", c.name);
		return rc < 0 ? ops_store_error(e) : 0;
	}
	if (store_log(o->st, c.id, "info", "save", "Connection created by %s",
	    ops_user(o)) < 0 || store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	snprintf(id, STORE_ID_LEN + 1, "%s", c.id);
	return 1;
}

int
ops_connection_edit(const struct ops *o, const char *id,
    const struct ops_connection_form *f, struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc, key_changed;

	ops_reset(e);
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if ((rc = form_check(o, f, 0, &c, &key_changed, e)) <= 0)
		return rc;
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = name_free(o, &c, e)) <= 0) {
		store_rollback(o->st);
		return rc < 0 ? ops_store_error(e) : 0;
	}
	if ((rc = store_connection_save(o->st, &c)) == 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_NOT_FOUND, "id", "no connection %s (or"
		    " its new name was taken meanwhile)", id);
	}
	if (rc < 0 || store_log(o->st, id, "info", "save", "Connection saved"
	    " by %s%s%s", ops_user(o), key_changed ? "; the API key was"
	    " replaced" : "", c.status == CONN_RUNNING ? "; it applies at the"
	    " next Start" : "") < 0 || store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

/* Whether a connection in status cs sends or may start sending. */
static int
busy(enum conn_status cs)
{
	return cs == CONN_STARTING || cs == CONN_RUNNING || cs == CONN_STOPPING;
}

int
ops_connection_delete(const struct ops *o, const char *id,
    struct ops_error *e)
{
	struct store_connection	 c;
	char			 label[256];
	int			 rc;

	ops_reset(e);
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	ops_connection_label(&c, label, sizeof(label));
	if (busy(c.status))
		return ops_fail(e, OPS_REFUSED, "id", "connection %s is %s;"
		    " stop it before deleting it", label,
		    conn_status_name(c.status));
	/* The store checks the status again, inside the transaction. */
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_connection_delete(o->st, id)) == 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_REFUSED, "id", "connection %s changed"
		    " meanwhile (started?); stop it before deleting it", label);
	}
	if (rc < 0 || store_log(o->st, id, "info", "delete", "Connection"
	    " deleted by %s; its messages and sessions stay", ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_connection_start(const struct ops *o, const char *id, char *msg,
    size_t msgsz, struct ops_error *e)
{
	struct store_connection	 c;
	char			 token[STORE_TOKEN_LEN + 1], label[256];
	int			 rc;

	ops_reset(e);
	msg[0] = '\0';
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if (!ops_need_key(o, e))
		return -1;
	if (o->ib == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "no Infobip client");
	/* One Start or Stop at a time, whichever program asks: the store decides. */
	if ((rc = store_connection_start_claim(o->st, id, token)) < 0)
		return ops_store_error(e);
	if (rc == 0) {
		ops_connection_label(&c, label, sizeof(label));
		return ops_fail(e, OPS_REFUSED, "id", "a Start or Stop of"
		    " connection %s is under way; wait for it to end, or Stop"
		    " it", label);
	}
	if ((rc = connection_start(o->st, o->ib, o->key, id, token, msg,
	    msgsz)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, NULL, "%s", msg);
	return 1;
}

int
ops_connection_stop(const struct ops *o, const char *id, struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc;

	ops_reset(e);
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if ((rc = connection_stop(o->st, id)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "id", "no connection %s", id);
	return 1;
}

/* Whether RUNNING c uses a configuration other than the one saved. 1 yes, 0 no, < 0 error. */
static int
restart_needed(const struct ops *o, const struct store_connection *c)
{
	struct connection_config	 run, saved;

	if (c->status != CONN_RUNNING || c->config_snapshot[0] == '\0')
		return 0;
	if (!payload_snapshot_parse(c->config_snapshot, &run))
		return 1;
	if (connection_saved_config(o->st, c, &saved) < 0)
		return -1;
	return strcmp(run.api_url, saved.api_url) != 0 ||
	    strcmp(run.sender, saved.sender) != 0 ||
	    strcmp(run.api_key_enc, saved.api_key_enc) != 0 ||
	    strcmp(run.short_domain, saved.short_domain) != 0;
}

/* Fills a view from c. > 0, < 0 error. */
static int
view_fill(const struct ops *o, const struct store_connection *c,
    struct ops_connection_view *v)
{
	const char	*p;
	int		 rc;

	memset(v, 0, sizeof(*v));
	v->c = *c;
	ops_mask(o, c->api_key_enc, v->api_key_masked,
	    sizeof(v->api_key_masked));
	if ((rc = restart_needed(o, c)) < 0)
		return -1;
	v->restart_needed = rc;
	if (store_inbound_agent_name(o->st, c->id, &v->inbound_agent,
	    v->inbound_agent_name, sizeof(v->inbound_agent_name)) < 0)
		return -1;
	for (p = c->sender; *p != '\0'; p++)
		if (isalpha((unsigned char)*p))
			v->alnum_sender = 1;
	return 1;
}

int
ops_connection_get(const struct ops *o, const char *id,
    struct ops_connection_view *v, struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc;

	ops_reset(e);
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if (view_fill(o, &c, v) < 0)
		return ops_store_error(e);
	return 1;
}

void
ops_connection_form_of(const struct ops_connection_view *v,
    struct ops_connection_form *of)
{
	memset(of, 0, sizeof(*of));
	of->name = v->c.name;
	of->description = v->c.description;
	of->api_key = v->api_key_masked;
	of->api_url = v->c.api_url;
	of->sender = v->c.sender;
}

struct each_ctx {
	const struct ops	*o;
	int			(*fn)(const struct ops_connection_view *, void *);
	void			*arg;
	int			 failed;
};

static int
each_one(const struct store_connection *c, void *arg)
{
	struct each_ctx			*x = arg;
	struct ops_connection_view	 v;

	if (view_fill(x->o, c, &v) < 0) {
		x->failed = 1;
		return 0;
	}
	return x->fn(&v, x->arg);
}

int
ops_connection_each(const struct ops *o,
    int (*fn)(const struct ops_connection_view *, void *), void *arg)
{
	struct each_ctx	 x = { o, fn, arg, 0 };

	if (store_connection_each(o->st, each_one, &x) < 0 || x.failed)
		return -1;
	return 1;
}

int
ops_connection_row(const struct ops *o, const char *id,
    struct store_connection *c, struct ops_error *e)
{
	ops_reset(e);
	return ops_conn_get(o, id, c, e);
}

int
ops_connection_each_row(const struct ops *o,
    int (*fn)(const struct store_connection *, void *), void *arg)
{
	return store_connection_each(o->st, fn, arg) < 0 ? -1 : 1;
}

int
ops_connection_warnings(const struct ops *o,
    const struct ops_connection_view *v, char *buf, size_t bufsz)
{
	const char	*why;
	char		 pub[1024];
	size_t		 len;
	int		 rc;

	buf[0] = '\0';
	if (v->alnum_sender && v->inbound_agent != 0)
		snprintf(buf, bufsz, "the sender \"%s\" is a name: customers"
		    " cannot reply to it, yet agent \"%s\" answers inbound SMS"
		    " here; use a phone number for two-way conversations\n",
		    v->c.sender, v->inbound_agent_name);
	if ((rc = config_public_url_check(o->st, pub, sizeof(pub), &why)) < 0)
		return -1;
	len = strlen(buf);
	if (rc == 0 && len < bufsz)
		snprintf(buf + len, bufsz - len, "%s\n", why);
	len = strlen(buf);
	if (v->restart_needed && len < bufsz)
		snprintf(buf + len, bufsz - len, "the saved configuration"
		    " differs from the one running: restart to apply it\n");
	return 1;
}

int
ops_connection_logs(const struct ops *o, const char *id,
    const struct ops_log_filter *f,
    int (*fn)(const struct store_log_row *, void *), void *arg,
    struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc;

	ops_reset(e);
	if ((unsigned)f->level > CLOG__MAX)
		ops_fail(e, OPS_INVALID, "level", "unknown log level");
	if (f->limit < 1 || f->limit > 10000)
		ops_fail(e, OPS_INVALID, "limit", "the limit must be 1 to"
		    " 10000");
	if (f->before < 0)
		ops_fail(e, OPS_INVALID, "before", "bad paging position");
	if (f->event != NULL && (*f->event == '\0' || strlen(f->event) > 64 ||
	    log_has_control(f->event)))
		ops_fail(e, OPS_INVALID, "event", "bad event name");
	if (e->n > 0)
		return 0;
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if (store_log_each(o->st, id, f->level, f->event, f->before, f->limit,
	    fn, arg) < 0)
		return ops_store_error(e);
	return 1;
}

int
ops_connection_urls(const struct ops *o, const char *id, struct ops_urls *u,
    struct ops_error *e)
{
	struct store_connection	 c;
	char			 base[1024];
	int			 rc;

	ops_reset(e);
	memset(u, 0, sizeof(*u));
	if ((rc = ops_conn_get(o, id, &c, e)) <= 0)
		return rc;
	if ((rc = config_public_url_check(o->st, base, sizeof(base),
	    &u->warning)) < 0)
		return ops_store_error(e);
	snprintf(u->docs, sizeof(u->docs), "%s/channel/%s/docs", base, id);
	snprintf(u->sms, sizeof(u->sms), "%s/channel/%s/webhook/sms", base,
	    id);
	snprintf(u->reports, sizeof(u->reports),
	    "%s/channel/%s/webhook/reports", base, id);
	snprintf(u->clicks, sizeof(u->clicks), "%s/channel/%s/webhook/clicks",
	    base, id);
	return 1;
}

/* --- Environment variables ---------------------------------------------- */

/* Sets (value given) or removes a variable, logged, in one transaction. */
static int
env_change(const struct ops *o, const char *conn, const char *name,
    const char *value, struct ops_error *e)
{
	struct store_connection	 c;
	const char		*why;
	int			 rc;

	ops_reset(e);
	if (!ops_check_conn_id(conn, e))
		return 0;
	if (!connection_valid_env_name(name, &why))
		ops_fail(e, OPS_INVALID, "name", "%s", why);
	if (value != NULL && !connection_valid_env_value(value, &why))
		ops_fail(e, OPS_INVALID, "value", "%s", why);
	if (e->n > 0)
		return 0;
	/* Scripts read this one as it always was. */
	if ((rc = store_connection_get(o->st, conn, &c)) <= 0)
		return rc < 0 ? ops_store_error(e) : ops_fail(e, OPS_NOT_FOUND,
		    "id", "no such connection");
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if (store_env_set(o->st, conn, name, value) <= 0 ||
	    store_log(o->st, conn, "info", "save", "Environment variable %s"
	    " %s by %s; it takes effect at the next Start", name, value !=
	    NULL ? "set" : "removed", ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_env_set(const struct ops *o, const char *conn, const char *name,
    const char *value, struct ops_error *e)
{
	if (value == NULL) {
		ops_reset(e);
		return ops_fail(e, OPS_INVALID, "value", "a value is required");
	}
	return env_change(o, conn, name, value, e);
}

int
ops_env_unset(const struct ops *o, const char *conn, const char *name,
    struct ops_error *e)
{
	return env_change(o, conn, name, NULL, e);
}

int
ops_env_each(const struct ops *o, const char *conn,
    int (*fn)(const char *, const char *, void *), void *arg,
    struct ops_error *e)
{
	struct store_connection	 c;
	int			 rc;

	ops_reset(e);
	if ((rc = ops_conn_get(o, conn, &c, e)) <= 0)
		return rc;
	if (store_env_each(o->st, conn, fn, arg) < 0)
		return ops_store_error(e);
	return 1;
}
