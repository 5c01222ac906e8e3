/* Handlers of the Communication Channels pages: list, New connector, a connection's panel, Start/Stop, variables, Logs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "config.h"
#include "connection.h"
#include "http.h"
#include "payload.h"
#include "secret.h"
#include "store.h"
#include "store_admin.h"

#define LOGS_PAGE	50

void
conn_list(struct adm *a)
{
	struct list_ctx	 lc = { .a = a };
	char		 q[256];

	arg_trim(a, "q", q, sizeof(q));
	view_conn_list_open(a, q);
	if (store_admin_connections(a->st, q, view_conn_list_row, &lc) < 0)
		view_list_failed(a);
	view_conn_list_close(a, lc.rows, q);
}

void
conn_new(struct adm *a)
{
	struct conn_form	 f;

	memset(&f, 0, sizeof(f));
	view_conn_new(a, 200, &f);
}

/* The masked form of an encrypted key, or why it cannot be shown. */
static void
mask_key(struct adm *a, const char *enc, char *out, size_t outsz)
{
	char	*plain = NULL;

	if (enc[0] == '\0')
		snprintf(out, outsz, "%s", "");
	else if (secret_decrypt(a->key, enc, &plain) > 0)
		secret_mask(plain, out, outsz);
	else
		snprintf(out, outsz, "(unreadable with this key file)");
	secret_free(plain);
}

/* Whether two encrypted keys hold the same key. */
static int
same_key(struct adm *a, const char *enc1, const char *enc2)
{
	char	*p1 = NULL, *p2 = NULL;
	int	 same;

	if (strcmp(enc1, enc2) == 0)
		return 1;
	same = secret_decrypt(a->key, enc1, &p1) > 0 &&
	    secret_decrypt(a->key, enc2, &p2) > 0 && strcmp(p1, p2) == 0;
	secret_free(p1);
	secret_free(p2);
	return same;
}

static int
env_short_domain(const char *name, const char *value, void *arg)
{
	if (strcmp(name, "INFOBIP_SHORT_DOMAIN") == 0)
		snprintf(arg, 256, "%s", value);
	return 1;
}

/*
 * Whether a running connection's saved configuration differs from the
 * snapshot Start took: 1 yes (restart to apply), 0 no, < 0 store error.
 */
static int
needs_restart(struct adm *a, const struct store_connection *c)
{
	struct connection_config	 run;
	char				 domain[256] = "";

	if (strcmp(c->status, "RUNNING") != 0 || c->config_snapshot[0] == '\0')
		return 0;
	memset(&run, 0, sizeof(run));
	if (!payload_snapshot_parse(c->config_snapshot, &run))
		return 1;
	if (store_env_each(a->st, c->id, env_short_domain, domain) < 0)
		return -1;
	return strcmp(run.api_url, c->api_url) != 0 ||
	    strcmp(run.sender, c->sender) != 0 ||
	    strcmp(run.short_domain, domain) != 0 ||
	    !same_key(a, run.api_key_enc, c->api_key_enc);
}

/* Whether a sender is a name rather than a number. */
static int
sender_is_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (isalpha((unsigned char)*s))
			return 1;
	return 0;
}

/*
 * Writes a connection's panel: status, warnings, the form (f, else the
 * saved values), variables, agents. Returns 0 when the store failed
 * before anything was written (the caller answers 503).
 */
static int
conn_panel(struct adm *a, int status, const struct store_connection *c,
    const struct conn_form *f, const char *env_error, const char *env_name,
    const char *env_value)
{
	struct conn_panel	 p;
	struct conn_form	 saved;
	struct list_ctx		 lc = { .a = a };
	struct store_agent	 ag;
	char			 masked[64], base[1024], pub[1024];
	const char		*why = NULL, *host;
	int64_t			 agent;
	int			 running, rc;

	memset(&p, 0, sizeof(p));
	memset(&ag, 0, sizeof(ag));
	p.c = c;
	if ((p.restart = needs_restart(a, c)) < 0 ||
	    (rc = config_public_url_check(a->st, pub, sizeof(pub), &why)) < 0)
		return 0;
	p.public_why = rc == 0 ? why : NULL;
	if (config_public_url(a->st, base, sizeof(base)) <= 0) {
		/* Unset: show the addresses as this browser reaches us. */
		host = http_param(a->h, "HTTP_HOST");
		snprintf(base, sizeof(base), "http://%s", host != NULL ? host :
		    "localhost");
	}
	p.base = base;
	if ((rc = store_inbound_agent(a->st, c->id, &agent, &running)) < 0)
		return 0;
	if (rc > 0 && store_agent_get(a->st, agent, &ag) > 0) {
		p.inbound_agent = ag.name;
		p.inbound_agent_id = agent;
	}
	p.alnum_sender = sender_is_name(c->sender);
	p.env_error = env_error;
	p.env_name = env_name;
	p.env_value = env_value;
	mask_key(a, c->api_key_enc, masked, sizeof(masked));
	if (f == NULL) {
		memset(&saved, 0, sizeof(saved));
		saved.id = c->id;
		saved.name = c->name;
		saved.description = c->description;
		saved.api_key = masked;
		saved.api_url = c->api_url;
		saved.sender = c->sender;
		f = &saved;
	}
	view_conn_panel_open(a, status, &p, f);
	view_conn_agents_open(a);
	if (store_admin_attachments(a->st, 0, c->id, view_conn_agent_row,
	    &lc) < 0)
		view_list_failed(a);
	view_conn_agents_close(a, lc.rows);
	view_conn_env_open(a, &p);
	lc.rows = 0;
	if (store_env_each(a->st, c->id, view_conn_env_row, &lc) < 0)
		view_list_failed(a);
	view_conn_env_close(a, &p, lc.rows);
	view_conn_panel_close(a, &p);
	store_agent_clear(&ag);
	return 1;
}

/* Reads the route's connection. 1 found, 0 answered (404 or 503). */
static int
conn_load(struct adm *a, struct store_connection *c)
{
	int	 rc;

	if ((rc = store_connection_get(a->st, a->id, c)) > 0)
		return 1;
	if (rc < 0)
		admin_store_error(a);
	else
		admin_fail(a, 404, "No such connection.");
	return 0;
}

void
conn_show(struct adm *a)
{
	struct store_connection	 c;

	if (!conn_load(a, &c))
		return;
	if (!conn_panel(a, 200, &c, NULL, NULL, NULL, NULL))
		admin_store_error(a);
}

/* Whether an event filter is a plain event name (it goes into links). */
static int
event_valid(const char *s)
{
	size_t	 n = 0;

	for (; s[n] != '\0'; n++)
		if (!(islower((unsigned char)s[n]) || s[n] == '_' ||
		    isdigit((unsigned char)s[n])))
			return 0;
	return n > 0 && n <= 32;
}

void
conn_logs(struct adm *a)
{
	struct store_connection	 c;
	struct store_log_filter	 lf;
	struct log_view		 lv;
	const char		*level = arg(a, "level"), *event = arg(a, "event");
	const char		*before = arg(a, "before");

	if (!conn_load(a, &c))
		return;
	if (level != NULL && strcmp(level, "error") != 0 &&
	    strcmp(level, "warn") != 0 && strcmp(level, "info") != 0)
		level = NULL;
	if (event != NULL && !event_valid(event))
		event = NULL;
	memset(&lf, 0, sizeof(lf));
	lf.conn = c.id;
	lf.level = level;
	lf.event = event;
	lf.before = before != NULL ? strtoll(before, NULL, 10) : 0;
	lf.limit = LOGS_PAGE;
	memset(&lv, 0, sizeof(lv));
	lv.a = a;
	lv.c = &c;
	lv.level = level;
	lv.event = event;
	lv.limit = LOGS_PAGE;
	view_logs_open(a, &lv);
	if (store_admin_logs(a->st, &lf, view_logs_row, &lv) < 0)
		view_list_failed(a);
	view_logs_close(a, &lv);
}

void
conn_status_json(struct adm *a)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_connection_get(a->st, a->id, &c)) <= 0) {
		http_error(a->h, rc < 0 ? 503 : 404, rc < 0 ?
		    "store unavailable" : "no such connection");
		return;
	}
	http_open(a->h, 200, "application/json");
	http_puts(a->h, "{\"status\": ");
	http_json_string(a->h, c.status);
	http_puts(a->h, ", \"message\": ");
	http_json_string(a->h, c.status_message);
	http_puts(a->h, "}\n");
}
