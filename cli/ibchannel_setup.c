/* ibchannel: the verbs that set up: init, connections, environment, agents, settings, users. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ibchannel.h"
#include "ops.h"
#include "ops_migrate.h"
#include "secret.h"
#include "settings.h"
#include "store.h"

int
cmd_init(struct cli *c)
{
	const char	*why;
	char		 path[4096];
	int		 version, created;

	(void)c;
	/* Conversations are personal data: no access for others. */
	umask(027);
	if (!config_install(&version, &created, &why))
		return say(1, "%s", why);
	config_key_path(path, sizeof(path));
	printf("store %s at schema version %d\nkey file %s %s\n",
	    store_display_name(), version, path, created ? "created" : "kept");
	return 0;
}

/* connection add, and edit ID: the form from the options (the key from --api-key or --api-key-file). */
int
cmd_connection_save(struct cli *c)
{
	struct ops_connection_form	 f;
	struct ops_connection_view	 v;
	char				*files[OPS_FORM_FIELDS_MAX];
	char				 id[STORE_ID_LEN + 1];
	int				 rc;

	memset(&f, 0, sizeof(f));
	if ((rc = cli_form(c, &f, files)) != 0) {
		cli_form_free(c, files);
		return rc;
	}
	rc = c->conn == NULL ? ops_connection_add(&c->ops, &f, id, &c->e) :
	    ops_connection_edit(&c->ops, c->conn, &f, &c->e);
	cli_form_free(c, files);
	if (rc > 0 && c->conn == NULL)
		printf("%s\n", id);
	else if (rc > 0 && ops_connection_get(&c->ops, c->conn, &v, &c->e) > 0)
		printf("saved%s\n", v.restart_needed ? "; it applies at the"
		    " next Start (the running connection keeps its snapshot)" :
		    "");
	return report(c, rc);
}

static int
conn_line(const struct ops_connection_view *v, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\n", v->c.id, esc(v->c.name),
	    conn_status_name(v->c.status), v->api_key_masked);
	return 1;
}

int
cmd_connection_list(struct cli *c)
{
	printf("id\tname\tstatus\tapi_key\n");
	return ops_connection_each(&c->ops, conn_line, NULL) > 0 ? 0 : 1;
}

int
cmd_connection_show(struct cli *c)
{
	struct ops_connection_view	 v;
	char				 warn[2048], *w;
	int				 rc;

	if ((rc = ops_connection_get(&c->ops, c->conn, &v, &c->e)) <= 0)
		return report(c, rc);
	printf("id: %s\nname: %s\ndescription: %s\napi_url: %s\nsender: %s\n",
	    v.c.id, esc(v.c.name), esc(v.c.description), v.c.api_url,
	    v.c.sender);
	printf("status: %s\nstatus_message: %s\napi_key: %s\n"
	    "restart_needed: %s\ninbound_agent: ", conn_status_name(v.c.status),
	    esc(v.c.status_message), v.api_key_masked, v.restart_needed ?
	    "yes" : "no");
	if (v.inbound_agent != 0)
		printf("%lld %s", (long long)v.inbound_agent,
		    esc(v.inbound_agent_name));
	printf("\n");
	if (ops_connection_warnings(&c->ops, &v, warn, sizeof(warn)) > 0)
		for (w = strtok(warn, "\n"); w != NULL; w = strtok(NULL, "\n"))
			printf("warning: %s\n", w);
	return 0;
}

int
cmd_connection_start(struct cli *c)
{
	char	 msg[1024];
	int	 rc;

	rc = ops_connection_start(&c->ops, c->arg[0], msg, sizeof(msg), &c->e);
	if (rc > 0)
		printf("%s\n", msg);
	return report(c, rc);
}

/* The header of connection logs, once (*arg counts it): only when there is something to head. */
static void
log_header(int *printed)
{
	if (!*printed)
		printf("at\tlevel\tevent\trepeats\ttext\n");
	*printed = 1;
}

static int
log_line(const struct store_log_row *r, void *arg)
{
	log_header(arg);
	printf("%s\t%s\t%s\t%d\t%s\n", r->at, conn_log_level_name(r->level),
	    r->event, r->repeats, esc(r->text));
	return 1;
}

int
cmd_connection_logs(struct cli *c)
{
	struct ops_log_filter	 f = { CLOG__MAX, NULL, 50, 0 };
	char			 levels[64];
	int			 rc, header = 0;

	if ((rc = limit_opt(c, 50, 10000, &f.limit)) != 0)
		return rc;
	if (OPT(c, LEVEL) != NULL && !conn_log_level_find(OPT(c, LEVEL),
	    &f.level))
		return say(EXIT_USAGE, "--level must be %s", enum_names_join(
		    conn_log_level_names, CLOG__MAX, ", ", " or ", levels,
		    sizeof(levels)));
	f.event = OPT(c, EVENT);
	/* No header before an error: an unknown connection prints nothing. */
	if ((rc = ops_connection_logs(&c->ops, c->conn, &f, log_line, &header,
	    &c->e)) > 0)
		log_header(&header);
	return report(c, rc);
}

int
cmd_connection_urls(struct cli *c)
{
	struct ops_urls	 u;
	int		 rc;

	if ((rc = ops_connection_urls(&c->ops, c->conn, &u, &c->e)) > 0) {
		printf("docs: %s\nsms: %s\nreports: %s\nclicks: %s\n", u.docs,
		    u.sms, u.reports, u.clicks);
		if (u.warning != NULL)
			say(0, "warning: %s", u.warning);
	}
	return report(c, rc);
}

static int
env_line(const char *name, const char *value, void *arg)
{
	(void)arg;
	printf("%s=%s\n", name, esc(value));
	return 1;
}

int
cmd_env_list(struct cli *c)
{
	return report(c, ops_env_each(&c->ops, c->conn, env_line, NULL,
	    &c->e));
}

/* agent add, and edit N: the form from the options (instructions and key from files). */
int
cmd_agent_save(struct cli *c)
{
	struct ops_agent_form	 f;
	char			*files[OPS_FORM_FIELDS_MAX];
	int64_t			 id = c->n;
	int			 rc;

	memset(&f, 0, sizeof(f));
	if ((rc = cli_form(c, &f, files)) == 0)
		rc = report(c, c->nargs == 0 ? ops_agent_add(&c->ops, &f, &id,
		    &c->e) : ops_agent_edit(&c->ops, id, &f, &c->e));
	cli_form_free(c, files);
	if (rc == 0 && c->nargs == 0)
		printf("%lld\n", (long long)id);
	else if (rc == 0)
		printf("saved\n");
	return rc;
}

static int
agent_line(const struct ops_agent_view *v, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)v->a.id,
	    esc(v->a.name), agent_kind_name(v->a.kind),
	    agent_status_name(v->a.status), v->a.url, esc(v->a.model),
	    v->api_key_masked);
	return 1;
}

int
cmd_agent_list(struct cli *c)
{
	printf("id\tname\tkind\tstatus\turl\tmodel\tapi_key\n");
	return ops_agent_each(&c->ops, agent_line, NULL) > 0 ? 0 : 1;
}

static int
channel_line(const struct store_agent_channel *ch, void *arg)
{
	(void)arg;
	printf("channel: %s %s %s\n", ch->conn, ch->inbound ? "inbound" :
	    "outbound-only", esc(ch->conn_name));
	return 1;
}

int
cmd_agent_show(struct cli *c)
{
	struct ops_agent_view	 v;
	int			 rc;

	if ((rc = ops_agent_get(&c->ops, c->n, &v, &c->e)) <= 0)
		return report(c, rc);
	printf("id: %lld\nname: %s\nkind: %s\nstatus: %s\nurl: %s\n",
	    (long long)v.a.id, esc(v.a.name), agent_kind_name(v.a.kind),
	    agent_status_name(v.a.status), v.a.url);
	printf("model: %s\napi_key: %s\ninstructions: %s\n", esc(v.a.model),
	    v.api_key_masked, esc(v.a.instructions));
	ops_agent_view_clear(&v);
	return report(c, ops_agent_channels(&c->ops, c->n, channel_line, NULL,
	    &c->e));
}

/* agent attach|detach AGENT CONNECTION */
int
cmd_agent_link(struct cli *c)
{
	return report(c, strcmp(c->cmd->verb, "attach") == 0 ?
	    ops_agent_attach(&c->ops, c->n, c->conn, OPT(c, INBOUND) != NULL,
	    &c->e) : ops_agent_detach(&c->ops, c->n, c->conn, &c->e));
}

/*
 * settings list: by group (settings_group_names), each setting with its
 * value, purpose, default and unit, and when a change is used.
 */
int
cmd_settings_list(struct cli *c)
{
	const struct setting_def	*d;
	char				 buf[4096];
	int				 g, rc = 0;

	for (g = 0; g < SETTING_GROUP__MAX; g++) {
		printf("%s[%s]\n", g > 0 ? "\n" : "", settings_group_names[g]);
		for (d = settings_table; d->name != NULL; d++) {
			if ((int)d->group != g)
				continue;
			if (settings_get(c->ops.st, d->id, buf, sizeof(buf)) < 0)
				rc = 1;
			printf("%s = %s\n    %s; default: %s", d->name, esc(buf),
			    d->purpose, esc(*d->def != '\0' ? d->def :
			    "(unset)"));
			if (d->unit != NULL)
				printf(" (%s)", d->unit);
			if (*settings_applies_text[d->applies] != '\0')
				printf("; %s", settings_applies_text[d->applies]);
			printf("\n");
		}
	}
	return rc;
}

int
cmd_settings_get(struct cli *c)
{
	char	 buf[4096];

	if (settings_get(c->ops.st, settings_find(c->arg[0])->id, buf,
	    sizeof(buf)) <= 0)
		return say(1, "store error: %s", store_errmsg(c->ops.st));
	printf("%s\n", buf);
	return 0;
}

static int
user_line(const struct store_user_row *u, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\n", esc(u->username), user_role_name(u->role),
	    u->created_at);
	return 1;
}

int
cmd_user_list(struct cli *c)
{
	printf("username\trole\tcreated_at\n");
	return ops_user_each(&c->ops, user_line, NULL) > 0 ? 0 : 1;
}

/* integrity_check's verdict and the schema version; exit 1 when it found problems. */
int
cmd_check(struct cli *c)
{
	struct ops_check	 k;
	int			 rc;

	if ((rc = ops_check(&c->ops, &k, &c->e)) <= 0)
		return report(c, rc);
	printf("schema version %d\n", k.version);
	if (k.ok) {
		printf("integrity ok\n");
		return 0;
	}
	printf("integrity problems:\n%s\n", k.report);
	return 1;
}

/*
 * schema: the store's schema version and the newest these programs know,
 * one "NAME N" line each (the Debian package's downgrade check reads the
 * first). A store newer than the programs is refused at open instead.
 */
int
cmd_schema(struct cli *c)
{
	printf("store %d\nprograms %d\n", store_version(c->ops.st),
	    store_schema_newest());
	return 0;
}

/* restore BACKUP: the backup in the store's place, and what became of the old one. */
int
cmd_restore(struct cli *c)
{
	struct store_restored	 r;
	int			 rc;

	if ((rc = ops_restore(c->arg[0], &r, &c->e)) <= 0)
		return report(c, rc);
	printf("restored %s (schema version %d) into %s\nthe replaced store"
	    " is kept as %s\n%lld unsent message(s) will be looked up in"
	    " Infobip's logs before any is sent again\n", c->arg[0],
	    r.version, store_display_name(), r.kept, (long long)r.unsure);
	if (r.paused > 0)
		printf("%lld campaign(s) paused: recipients released after the"
		    " backup would be released again; compare with the replaced"
		    " store before resuming\n", (long long)r.paused);
	return 0;
}

/* restored: marks a store put back by pg_restore (or by hand) as restore marks its copy. */
int
cmd_restored(struct cli *c)
{
	struct store_restored	 r;
	int			 rc;

	if ((rc = ops_restored(&c->ops, &r, &c->e)) <= 0)
		return report(c, rc);
	printf("%s (schema version %d) marked as restored\n%lld unsent"
	    " message(s) will be looked up in Infobip's logs before any is"
	    " sent again\n", store_display_name(), r.version,
	    (long long)r.unsure);
	if (r.paused > 0)
		printf("%lld campaign(s) paused: recipients released after the"
		    " backup would be released again; compare with what was"
		    " sent before resuming\n", (long long)r.paused);
	return 0;
}

/* What migrate shows as it goes. */
struct migrate_view {
	struct store_copied	 r;	/* being filled: its source is known before the first table */
	int			 tty;	/* stdout is a terminal: a table's count redrawn in place */
	int			 started;
	int			 open_line;	/* a table's count drawn, its line not ended */
};

/*
 * migrate's progress: the store's name before the first table, then one
 * line per table, written at once (a large store takes a while); on a
 * terminal the line counts up as the table is copied.
 */
static void
migrate_progress(const char *table, int64_t rows, int done, void *arg)
{
	struct migrate_view	*v = arg;

	if (!done && !v->tty)
		return;
	if (!v->started)
		printf("copying the store %s into PostgreSQL\n", v->r.source);
	v->started = 1;
	printf("%s  %-24s %lld rows copied%s", v->tty ? "\r" : "", table,
	    (long long)rows, done ? "\n" : "");
	v->open_line = !done;
	fflush(stdout);
}

/* migrate --to URI: the store copied into PostgreSQL, table by table, then what to do next. */
int
cmd_migrate(struct cli *c)
{
	struct migrate_view	 v;
	char			 key[4096];
	int			 rc;

	if (OPT(c, TO) == NULL)
		return say(EXIT_USAGE, "usage: ibchannel %s", c->cmd->usage);
	memset(&v, 0, sizeof(v));
	v.tty = isatty(STDOUT_FILENO);
	rc = ops_migrate(OPT(c, TO), migrate_progress, &v, &v.r, &c->e);
	if (rc <= 0) {
		/* A table's count left drawn ends its line before the refusal. */
		if (v.open_line)
			printf("\n");
		return report(c, rc);
	}
	config_key_path(key, sizeof(key));
	printf("copied %zu tables, %lld rows into %s (schema version %d);"
	    " on both sides the row counts, and each column's values and"
	    " sums, agree; the SQLite store passed integrity_check and"
	    " foreign_key_check and its rows are left as they were\n",
	    v.r.tables, (long long)v.r.rows, v.r.target, v.r.version);
	printf("API keys were copied sealed as they are: the programs on"
	    " PostgreSQL need the same key file, %s\n", key);
	/* The key file's default is beside a SQLite store: a URI has no "beside". */
	printf("next: for every program (web server, sender, command line) set"
	    " IBCHANNEL_DB to the URI and IBCHANNEL_KEY_FILE to %s, and start"
	    " them again\n", key);
	return 0;
}
