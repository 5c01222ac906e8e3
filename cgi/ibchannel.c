/* ibchannel: the command line. It parses and prints; every action is one call into common/ops.h. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "infobip.h"
#include "log.h"
#include "ops.h"
#include "secret.h"
#include "sender.h"
#include "settings.h"
#include "store.h"

#define EXIT_USAGE	2

/* Options, by the value getopt_long returns (past any character). */
enum opt {
	OPT_NAME = 256, OPT_DESCRIPTION, OPT_API_KEY, OPT_API_KEY_FILE,
	OPT_API_URL, OPT_SENDER, OPT_KIND, OPT_INSTRUCTIONS_FILE, OPT_URL,
	OPT_MODEL, OPT_CONNECTION, OPT_TO, OPT_TEXT, OPT_USER, OPT_LIMIT,
	OPT_LEVEL, OPT_EVENT, OPT_FOR, OPT_LOCK, OPT_ONCE, OPT_INBOUND,
	OPT__END
};
#define NOPT		(OPT__END - OPT_NAME)
#define O(x)		(1u << (OPT_##x - OPT_NAME))
#define OPT(c, x)	((c)->opt[OPT_##x - OPT_NAME])

static const struct option longopts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ "api-key", required_argument, NULL, OPT_API_KEY },
	{ "api-key-file", required_argument, NULL, OPT_API_KEY_FILE },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "sender", required_argument, NULL, OPT_SENDER },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "instructions-file", required_argument, NULL, OPT_INSTRUCTIONS_FILE },
	{ "url", required_argument, NULL, OPT_URL },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "connection", required_argument, NULL, OPT_CONNECTION },
	{ "to", required_argument, NULL, OPT_TO },
	{ "text", required_argument, NULL, OPT_TEXT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "inbound", no_argument, NULL, OPT_INBOUND },
	{ NULL, 0, NULL, 0 },
};

/* What a command needs opened before it runs. */
#define NEED_STORE	1
#define NEED_KEY	2	/* and the store */
#define NEED_IB		4

struct cli;
static const struct command {
	const char	*noun, *verb;	/* verb NULL: none */
	int		(*fn)(struct cli *);
	unsigned	 opts;		/* O() of the options it takes */
	int		 minargs, maxargs;
	int		 need;
	const char	*usage;
	/* Actions on one id printing done (a format given the id and the user): */
	int		(*on_conn)(const struct ops *, const char *,
			    struct ops_error *);
	int		(*on_num)(const struct ops *, int64_t, struct ops_error *);
	const char	*done;
} *cmd_find(const char *, const char *, int *);

struct cli {
	const struct command	*cmd;
	const char		*opt[NOPT];	/* values; "" for a flag given */
	char			**arg;		/* positional arguments */
	int			 nargs;
	struct ops		 ops;
	unsigned char		 key[SECRET_KEY_LEN];
};

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ibchannel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/*
 * Says what an action made of it, on one line, and returns the exit
 * status: 0 done, 2 bad input (named by its option when the command has
 * one for the field), 1 anything else.
 */
static int
report(const struct cli *c, int rc, const struct ops_error *e)
{
	const struct option	*lo;
	char			 name[32];
	size_t			 i;

	if (rc > 0)
		return 0;
	snprintf(name, sizeof(name), "%s", e->n > 0 && e->p[0].field != NULL ?
	    e->p[0].field : "");
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '_')
			name[i] = '-';
	for (lo = longopts; lo->name != NULL; lo++)
		if (strcmp(lo->name, name) == 0 &&
		    (c->cmd->opts & (1u << (lo->val - OPT_NAME))))
			break;
	if (lo->name != NULL)
		fprintf(stderr, "ibchannel: --%s: %s\n", name,
		    ops_error_text(e));
	else
		fprintf(stderr, "ibchannel: %s\n", ops_error_text(e));
	return e->kind == OPS_INVALID ? EXIT_USAGE : 1;
}

/* Prints text on one line with control characters escaped, so an SMS cannot drive the terminal. */
static void
print_escaped(const char *text)
{
	char	 buf[8192];

	if (!log_escape(text != NULL ? text : "", buf, sizeof(buf)))
		printf("%s...", buf);
	else
		printf("%s", buf);
}

/* Checks positional argument i as a connection id. */
static int
conn_arg(const struct cli *c, int i, const char **id)
{
	*id = c->arg[i];
	if (store_id_valid(*id))
		return 1;
	usage_error("'%s' is not a connection id (32 hex digits)", *id);
	return 0;
}

/* Parses an agent, session or message number. */
static int
num_arg(const char *s, const char *what, int64_t *id)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && *end == '\0' && v > 0 && end != s) {
		*id = v;
		return 1;
	}
	usage_error("'%s' is not a valid %s number", s, what);
	return 0;
}

/* Parses --limit (1 to max, dflt when not given). */
static int
limit_opt(const struct cli *c, int dflt, int max, int *limit)
{
	const char	*v = OPT(c, LIMIT);
	char		*end;
	long		 n;

	*limit = dflt;
	if (v == NULL)
		return 1;
	n = strtol(v, &end, 10);
	if (*end != '\0' || end == v || n < 1 || n > max) {
		usage_error("--limit takes 1 to %d, not '%s'", max, v);
		return 0;
	}
	*limit = (int)n;
	return 1;
}

/* Reads the file at path (config_read_file); NULL after saying why. */
static char *
read_file(const char *path, int first_line)
{
	const char	*why;
	char		*buf;

	if ((buf = config_read_file(path, first_line, &why)) == NULL)
		fprintf(stderr, "ibchannel: %s: %s\n", path, why);
	return buf;
}

static int
cmd_init(struct cli *c)
{
	const char	*why;
	char		 path[4096];
	int		 version, created;

	(void)c;
	/* Conversations are personal data: no access for others. */
	umask(027);
	if (!config_install(&version, &created, &why)) {
		fprintf(stderr, "ibchannel: %s\n", why);
		return 1;
	}
	config_key_path(path, sizeof(path));
	printf("store %s at schema version %d\nkey file %s %s\n",
	    store_default_path(), version, path, created ? "created" : "kept");
	return 0;
}

/* The connection form from the options; the key from --api-key or --api-key-file (*owned: free it). */
static int
conn_form(struct cli *c, struct ops_connection_form *f, char **owned)
{
	*owned = NULL;
	if (OPT(c, API_KEY) != NULL && OPT(c, API_KEY_FILE) != NULL) {
		usage_error("give --api-key or --api-key-file, not both");
		return EXIT_USAGE;
	}
	f->name = OPT(c, NAME);
	f->description = OPT(c, DESCRIPTION);
	f->api_url = OPT(c, API_URL);
	f->sender = OPT(c, SENDER);
	f->api_key = OPT(c, API_KEY);
	if (OPT(c, API_KEY_FILE) != NULL &&
	    (f->api_key = *owned = read_file(OPT(c, API_KEY_FILE), 1)) == NULL)
		return 1;
	return 0;
}

static int
cmd_connection_add(struct cli *c)
{
	struct ops_connection_form	 f;
	struct ops_error		 e;
	char				*key, id[STORE_ID_LEN + 1];
	int				 rc;

	if ((rc = conn_form(c, &f, &key)) != 0)
		return rc;
	if ((rc = ops_connection_add(&c->ops, &f, id, &e)) > 0)
		printf("%s\n", id);
	secret_free(key);
	return report(c, rc, &e);
}

static int
cmd_connection_edit(struct cli *c)
{
	struct ops_connection_form	 f;
	struct ops_connection_view	 v;
	struct ops_error		 e;
	const char			*id;
	char				*key;
	int				 rc;

	if (!conn_arg(c, 0, &id))
		return EXIT_USAGE;
	if ((rc = conn_form(c, &f, &key)) != 0)
		return rc;
	rc = ops_connection_edit(&c->ops, id, &f, &e);
	secret_free(key);
	if (rc > 0 && ops_connection_get(&c->ops, id, &v, &e) > 0)
		printf("saved%s\n", v.restart_needed ? "; it applies at the"
		    " next Start (the running connection keeps its snapshot)" :
		    "");
	return report(c, rc, &e);
}

static int
list_one(const struct ops_connection_view *v, void *arg)
{
	(void)arg;
	printf("%s\t", v->c.id);
	print_escaped(v->c.name);
	printf("\t%s\t%s\n", conn_status_name(v->c.status), v->api_key_masked);
	return 1;
}

static int
cmd_connection_list(struct cli *c)
{
	printf("id\tname\tstatus\tapi_key\n");
	return ops_connection_each(&c->ops, list_one, NULL) > 0 ? 0 : 1;
}

static int
cmd_connection_show(struct cli *c)
{
	struct ops_connection_view	 v;
	struct ops_error		 e;
	const char			*id;
	char				 warn[2048];
	int				 rc;

	if (!conn_arg(c, 0, &id))
		return EXIT_USAGE;
	if ((rc = ops_connection_get(&c->ops, id, &v, &e)) <= 0)
		return report(c, rc, &e);
	printf("id: %s\nname: ", v.c.id);
	print_escaped(v.c.name);
	printf("\ndescription: ");
	print_escaped(v.c.description);
	printf("\napi_url: %s\nsender: %s\nstatus: %s\nstatus_message: ",
	    v.c.api_url, v.c.sender, conn_status_name(v.c.status));
	print_escaped(v.c.status_message);
	printf("\napi_key: %s\nrestart_needed: %s\ninbound_agent: ",
	    v.api_key_masked, v.restart_needed ? "yes" : "no");
	if (v.inbound_agent != 0) {
		printf("%lld ", (long long)v.inbound_agent);
		print_escaped(v.inbound_agent_name);
	}
	printf("\n");
	if (ops_connection_warnings(&c->ops, &v, warn, sizeof(warn)) > 0)
		for (id = strtok(warn, "\n"); id != NULL; id = strtok(NULL, "\n"))
			printf("warning: %s\n", id);
	return 0;
}

static int
cmd_connection_start(struct cli *c)
{
	struct ops_error	 e;
	char			 msg[1024];
	int			 rc;

	rc = ops_connection_start(&c->ops, c->arg[0], msg, sizeof(msg), &e);
	if (rc > 0)
		printf("%s\n", msg);
	return report(c, rc, &e);
}

static int
log_line(const struct store_log_row *r, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%d\t", r->at, conn_log_level_name(r->level),
	    r->event, r->repeats);
	print_escaped(r->text);
	printf("\n");
	return 1;
}

static int
cmd_connection_logs(struct cli *c)
{
	struct ops_log_filter	 f = { CLOG__MAX, NULL, 50, 0 };
	struct ops_error	 e;
	const char		*id;
	char			 levels[64];

	if (!conn_arg(c, 0, &id) || !limit_opt(c, 50, 10000, &f.limit))
		return EXIT_USAGE;
	if (OPT(c, LEVEL) != NULL && !conn_log_level_find(OPT(c, LEVEL),
	    &f.level))
		return usage_error("--level must be %s", enum_names_join(
		    conn_log_level_names, CLOG__MAX, ", ", " or ", levels,
		    sizeof(levels)));
	f.event = OPT(c, EVENT);
	printf("at\tlevel\tevent\trepeats\ttext\n");
	return report(c, ops_connection_logs(&c->ops, id, &f, log_line, NULL,
	    &e), &e);
}

static int
cmd_connection_urls(struct cli *c)
{
	struct ops_urls		 u;
	struct ops_error	 e;
	const char		*id;
	int			 rc;

	if (!conn_arg(c, 0, &id))
		return EXIT_USAGE;
	if ((rc = ops_connection_urls(&c->ops, id, &u, &e)) > 0) {
		printf("docs: %s\nsms: %s\nreports: %s\nclicks: %s\n", u.docs,
		    u.sms, u.reports, u.clicks);
		if (u.warning != NULL)
			fprintf(stderr, "ibchannel: warning: %s\n", u.warning);
	}
	return report(c, rc, &e);
}

/* connection env ID NAME [VALUE] and env set|unset ID NAME [VALUE]. */
static int
cmd_env_change(struct cli *c)
{
	struct ops_error	 e;
	const char		*id;

	if (!conn_arg(c, 0, &id))
		return EXIT_USAGE;
	if (strcmp(c->cmd->verb, "set") == 0 && c->nargs != 3)
		return usage_error("usage: ibchannel %s", c->cmd->usage);
	return report(c, c->nargs == 3 ? ops_env_set(&c->ops, id, c->arg[1],
	    c->arg[2], &e) : ops_env_unset(&c->ops, id, c->arg[1], &e), &e);
}

static int
env_line(const char *name, const char *value, void *arg)
{
	(void)arg;
	printf("%s=", name);
	print_escaped(value);
	printf("\n");
	return 1;
}

static int
cmd_env_list(struct cli *c)
{
	struct ops_error	 e;
	const char		*id;

	if (!conn_arg(c, 0, &id))
		return EXIT_USAGE;
	return report(c, ops_env_each(&c->ops, id, env_line, NULL, &e), &e);
}

/* The agent form from the options (*instr and *key owned: the caller frees). */
static int
agent_form(struct cli *c, struct ops_agent_form *f, char **instr, char **key)
{
	*instr = *key = NULL;
	memset(f, 0, sizeof(*f));
	f->name = OPT(c, NAME);
	f->kind = OPT(c, KIND);
	f->url = OPT(c, URL);
	f->model = OPT(c, MODEL);
	if (OPT(c, INSTRUCTIONS_FILE) != NULL && (f->instructions = *instr =
	    read_file(OPT(c, INSTRUCTIONS_FILE), 0)) == NULL)
		return 0;
	if (OPT(c, API_KEY_FILE) != NULL && (f->api_key = *key =
	    read_file(OPT(c, API_KEY_FILE), 1)) == NULL)
		return 0;
	return 1;
}

static int
cmd_agent_save(struct cli *c)
{
	struct ops_agent_form	 f;
	struct ops_error	 e;
	char			*instr, *key;
	int64_t			 id = 0;
	int			 rc = 1, adding = c->nargs == 0;

	if (!adding && !num_arg(c->arg[0], "agent", &id))
		return EXIT_USAGE;
	if (agent_form(c, &f, &instr, &key))
		rc = report(c, adding ? ops_agent_add(&c->ops, &f, &id, &e) :
		    ops_agent_edit(&c->ops, id, &f, &e), &e);
	free(instr);
	secret_free(key);
	if (rc == 0 && adding)
		printf("%lld\n", (long long)id);
	else if (rc == 0)
		printf("saved\n");
	return rc;
}

static int
agent_line(const struct ops_agent_view *v, void *arg)
{
	(void)arg;
	printf("%lld\t", (long long)v->a.id);
	print_escaped(v->a.name);
	printf("\t%s\t%s\t%s\t", agent_kind_name(v->a.kind),
	    agent_status_name(v->a.status), v->a.url);
	print_escaped(v->a.model);
	printf("\t%s\n", v->api_key_masked);
	return 1;
}

static int
cmd_agent_list(struct cli *c)
{
	printf("id\tname\tkind\tstatus\turl\tmodel\tapi_key\n");
	return ops_agent_each(&c->ops, agent_line, NULL) > 0 ? 0 : 1;
}

static int
channel_line(const struct store_agent_channel *ch, void *arg)
{
	(void)arg;
	printf("channel: %s %s ", ch->conn, ch->inbound ? "inbound" :
	    "outbound-only");
	print_escaped(ch->conn_name);
	printf("\n");
	return 1;
}

static int
cmd_agent_show(struct cli *c)
{
	struct ops_agent_view	 v;
	struct ops_error	 e;
	int64_t			 id;
	int			 rc;

	if (!num_arg(c->arg[0], "agent", &id))
		return EXIT_USAGE;
	if ((rc = ops_agent_get(&c->ops, id, &v, &e)) <= 0)
		return report(c, rc, &e);
	printf("id: %lld\nname: ", (long long)v.a.id);
	print_escaped(v.a.name);
	printf("\nkind: %s\nstatus: %s\nurl: %s\nmodel: ",
	    agent_kind_name(v.a.kind), agent_status_name(v.a.status), v.a.url);
	print_escaped(v.a.model);
	printf("\napi_key: %s\ninstructions: ", v.api_key_masked);
	print_escaped(v.a.instructions);
	printf("\n");
	ops_agent_view_clear(&v);
	return report(c, ops_agent_channels(&c->ops, id, channel_line, NULL,
	    &e), &e);
}

/* agent attach|detach AGENT CONNECTION */
static int
cmd_agent_link(struct cli *c)
{
	struct ops_error	 e;
	const char		*conn;
	int64_t			 id;

	if (!num_arg(c->arg[0], "agent", &id) || !conn_arg(c, 1, &conn))
		return EXIT_USAGE;
	return report(c, strcmp(c->cmd->verb, "attach") == 0 ?
	    ops_agent_attach(&c->ops, id, conn, OPT(c, INBOUND) != NULL, &e) :
	    ops_agent_detach(&c->ops, id, conn, &e), &e);
}

static int
cmd_send(struct cli *c)
{
	struct ops_error	 e;
	int64_t			 id;
	int			 rc;

	if (OPT(c, CONNECTION) == NULL || OPT(c, TO) == NULL ||
	    OPT(c, TEXT) == NULL)
		return usage_error("usage: ibchannel %s", c->cmd->usage);
	rc = ops_send(&c->ops, OPT(c, CONNECTION), OPT(c, TO), OPT(c, TEXT),
	    &id, &e);
	if (rc <= 0)
		return report(c, rc, &e);
	printf("%lld\n", (long long)id);
	if (e.n == 0)
		return 0;
	/* Stored failed: it will never be sent. */
	fprintf(stderr, "ibchannel: message %lld failed: %s\n", (long long)id,
	    ops_error_text(&e));
	return 1;
}

static volatile sig_atomic_t	 quit;

static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static int
cmd_sender(struct cli *c)
{
	struct sender_opts	 so;
	struct sigaction	 sa;
	const char		*v = OPT(c, FOR);
	char			 lock[4096], *end;
	int			 fd, rc;

	memset(&so, 0, sizeof(so));
	if (v != NULL) {
		so.for_seconds = strtod(v, &end);
		if (*end != '\0' || so.for_seconds <= 0 ||
		    so.for_seconds > 86400)
			return usage_error("--for takes seconds (1 to 86400),"
			    " not '%s'", v);
	}
	if ((so.once = OPT(c, ONCE) != NULL) == (v != NULL))
		return usage_error("give --once or --for SECONDS");
	if ((rc = sender_lock(OPT(c, LOCK), lock, sizeof(lock), &fd)) < 0) {
		fprintf(stderr, "ibchannel: %s: %s\n", lock, strerror(errno));
		return 1;
	}
	if (rc == 0) {
		fprintf(stderr, "ibchannel: another sender holds %s; leaving\n",
		    lock);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = sender_run(c->ops.st, &so, &quit);
	close(fd);
	return rc;
}

static int
session_line(const struct store_session_row *r, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%d\t", (long long)r->id, r->conn,
	    r->phone, r->open ? "open" : "closed", r->responsible, r->last_at,
	    r->messages);
	print_escaped(r->last_text);
	printf("\n");
	return 1;
}

static int
cmd_session_list(struct cli *c)
{
	const char	*conn = OPT(c, CONNECTION);
	int		 limit;

	if (conn != NULL && !store_id_valid(conn))
		return usage_error("'%s' is not a connection id", conn);
	if (!limit_opt(c, 50, 100000, &limit))
		return EXIT_USAGE;
	printf("session\tconnection\tcontact\tstate\tresponsible\tlast_at"
	    "\tmessages\tlast_text\n");
	return store_session_each(c->ops.st, conn, limit, session_line,
	    NULL) > 0 ? 0 : 1;
}

static int
message_line(const struct store_message_row *r, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t", r->at, r->direction == DIR_IN ? "<-" : "->",
	    r->author, msg_status_name(r->status));
	print_escaped(r->text);
	if (r->reason != NULL && *r->reason != '\0' && r->status == MSG_FAILED) {
		printf("\t(");
		print_escaped(r->reason);
		printf(")");
	}
	printf("\n");
	return 1;
}

/* session show|export|reply SESSION */
static int
cmd_session_verb(struct cli *c)
{
	struct store_session	 s;
	struct ops_error	 e;
	const char		*verb = c->cmd->verb;
	char			*json;
	int64_t			 id, msg;
	int			 rc;

	if (!num_arg(c->arg[0], "session", &id))
		return EXIT_USAGE;
	if (OPT(c, USER) != NULL)
		c->ops.user = OPT(c, USER);
	if (strcmp(verb, "show") == 0) {
		if ((rc = store_session_get(c->ops.st, id, &s)) <= 0) {
			fprintf(stderr, "ibchannel: %s session %lld\n", rc < 0 ?
			    "store error reading" : "no", (long long)id);
			return 1;
		}
		printf("session %lld on %s with %s%s: %s, answered by %s\n",
		    (long long)s.id, s.conn, s.phone, s.opted_out ?
		    " (opted out)" : "", s.closed_at[0] ? "closed" : "open",
		    s.responsible);
		return store_session_messages(c->ops.st, id, message_line,
		    NULL) > 0 ? 0 : 1;
	}
	if (strcmp(verb, "export") == 0) {
		if ((rc = ops_session_export(&c->ops, id, &json, &e)) > 0)
			printf("%s\n", json);
		free(json);
		return report(c, rc, &e);
	}
	if ((rc = ops_session_reply(&c->ops, id, OPT(c, TEXT), &msg, &e)) > 0) {
		printf("%lld\n", (long long)msg);
		if (e.n > 0)
			fprintf(stderr, "ibchannel: %s\n", ops_error_text(&e));
	}
	return report(c, rc, &e);
}

/* An action on one connection, agent or session (on_conn or on_num). */
static int
cmd_act(struct cli *c)
{
	struct ops_error	 e;
	const char		*id = c->arg[0];
	int64_t			 n = 0;
	int			 rc;

	if (OPT(c, USER) != NULL)
		c->ops.user = OPT(c, USER);
	if (c->cmd->on_conn != NULL ? !conn_arg(c, 0, &id) :
	    !num_arg(id, strcmp(c->cmd->noun, "outbox") == 0 ? "message" :
	    c->cmd->noun, &n))
		return EXIT_USAGE;
	rc = c->cmd->on_conn != NULL ? c->cmd->on_conn(&c->ops, id, &e) :
	    c->cmd->on_num(&c->ops, n, &e);
	if (rc > 0) {
		printf(c->cmd->done, id, c->ops.user);
		printf("\n");
	}
	return report(c, rc, &e);
}

static int
cmd_settings(struct cli *c)
{
	const struct setting_def	*d;
	struct ops_error		 e;
	const char			*verb = c->cmd->verb;
	char				 buf[4096];
	int				 rc = 0;

	if (strcmp(verb, "list") == 0) {
		for (d = settings_table; d->name != NULL; d++) {
			if (settings_get(c->ops.st, d->name, buf,
			    sizeof(buf)) < 0)
				rc = 1;
			printf("%s = ", d->name);
			print_escaped(buf);
			printf("\n    %s; default: ", d->purpose);
			print_escaped(*d->def != '\0' ? d->def : "(unset)");
			printf("\n");
		}
		return rc;
	}
	if (settings_find(c->arg[0]) == NULL)
		return usage_error("no setting named '%s'; 'ibchannel settings"
		    " list' shows them", c->arg[0]);
	if (strcmp(verb, "get") == 0) {
		if (settings_get(c->ops.st, c->arg[0], buf, sizeof(buf)) <= 0) {
			fprintf(stderr, "ibchannel: store error: %s\n",
			    store_errmsg(c->ops.st));
			return 1;
		}
		printf("%s\n", buf);
		return 0;
	}
	if (strcmp(verb, "set") == 0 && c->nargs != 2)
		return usage_error("usage: ibchannel %s", c->cmd->usage);
	return report(c, ops_settings_set(&c->ops, c->arg[0], c->nargs == 2 ?
	    c->arg[1] : NULL, &e), &e);
}

static int
user_line(const struct store_user_row *u, void *arg)
{
	(void)arg;
	print_escaped(u->username);
	printf("\t%s\t%s\n", user_role_name(u->role), u->created_at);
	return 1;
}

static int
cmd_user(struct cli *c)
{
	struct ops_error	 e;
	const char		*verb = c->cmd->verb;

	if (strcmp(verb, "list") == 0) {
		printf("username\trole\tcreated_at\n");
		return ops_user_each(&c->ops, user_line, NULL) > 0 ? 0 : 1;
	}
	if (strcmp(verb, "set") == 0)
		return report(c, ops_user_set(&c->ops, c->arg[0], c->arg[1],
		    &e), &e);
	return report(c, ops_user_delete(&c->ops, c->arg[0], &e), &e);
}

static int
outbox_line(const struct store_outbox_entry *e, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t", (long long)e->message, e->uid, e->conn);
	print_escaped(e->recipient);
	printf("\t%s\t%d\t", e->state, e->attempts);
	print_escaped(e->last_error);
	printf("\n");
	return 1;
}

static int
cmd_outbox_list(struct cli *c)
{
	const char	*conn = OPT(c, CONNECTION);
	int		 limit;

	if (conn != NULL && !store_id_valid(conn))
		return usage_error("'%s' is not a connection id", conn);
	if (!limit_opt(c, 1000, 100000, &limit))
		return EXIT_USAGE;
	printf("id\tuid\tconnection\trecipient\tstate\tattempts"
	    "\tlast_error\n");
	return store_outbox_each(c->ops.st, conn, limit, outbox_line,
	    NULL) > 0 ? 0 : 1;
}

static int
cmd_reports_apply(struct cli *c)
{
	long	 applied;
	int	 rc;

	/* Each round applies up to a few hundred; go on until none is left. */
	while ((rc = store_reports_apply_pending(c->ops.st, &applied)) > 0 &&
	    applied > 0)
		printf("applied %ld kept report(s)\n", applied);
	return rc > 0 ? 0 : 1;
}

#define S	NEED_STORE
#define K	(NEED_STORE | NEED_KEY)
#define CONN_FORM	(O(NAME) | O(DESCRIPTION) | O(API_KEY) | \
			O(API_KEY_FILE) | O(API_URL) | O(SENDER))
#define AGENT_FORM	(O(NAME) | O(KIND) | O(INSTRUCTIONS_FILE) | O(URL) | \
			O(MODEL) | O(API_KEY_FILE))
/* A command; an action on one id (cmd_act) with on_conn or on_num. */
#define C(n, v, f, o, lo, hi, need, u)	{ n, v, f, o, lo, hi, need, u, \
					    NULL, NULL, NULL }
#define A(n, v, o, need, u, on_conn, on_num, done) \
	{ n, v, cmd_act, o, 1, 1, need, u, on_conn, on_num, done }
static const struct command commands[] = {
	C("init", NULL, cmd_init, 0, 0, 0, 0, "init"),
	C("connection", "add", cmd_connection_add, CONN_FORM, 0, 0, K,
	    "connection add --name N (--api-key K | --api-key-file F)"
	    " --api-url U --sender S [--description D]"),
	C("connection", "edit", cmd_connection_edit, CONN_FORM, 1, 1, K,
	    "connection edit <connection id> [--name N] [--description D]"
	    " [--api-key K | --api-key-file F] [--api-url U] [--sender S]"),
	C("connection", "list", cmd_connection_list, 0, 0, 0, K,
	    "connection list"),
	C("connection", "show", cmd_connection_show, 0, 1, 1, K,
	    "connection show <connection id>"),
	C("connection", "start", cmd_connection_start, 0, 1, 1, K | NEED_IB,
	    "connection start <connection id>"),
	A("connection", "stop", 0, S,
	    "connection stop <connection id>", ops_connection_stop, NULL,
	    "STOPPED"),
	A("connection", "delete", 0, S,
	    "connection delete <connection id>", ops_connection_delete, NULL,
	    "deleted"),
	C("connection", "logs", cmd_connection_logs, O(LEVEL) | O(EVENT) |
	    O(LIMIT), 1, 1, S, "connection logs <connection id>"
	    " [--level error|warn|info] [--event E] [--limit N]"),
	C("connection", "urls", cmd_connection_urls, 0, 1, 1, S,
	    "connection urls <connection id>"),
	C("connection", "env", cmd_env_change, 0, 2, 3, S,
	    "connection env <connection id> NAME [VALUE]"),
	C("env", "list", cmd_env_list, 0, 1, 1, S, "env list <connection id>"),
	C("env", "set", cmd_env_change, 0, 3, 3, S,
	    "env set <connection id> NAME VALUE"),
	C("env", "unset", cmd_env_change, 0, 2, 2, S,
	    "env unset <connection id> NAME"),
	C("agent", "add", cmd_agent_save, AGENT_FORM, 0, 0, K,
	    "agent add --name N --kind rules|http|openai"
	    " [--instructions-file F] [--url U] [--model M] [--api-key-file F]"),
	C("agent", "edit", cmd_agent_save, AGENT_FORM, 1, 1, K,
	    "agent edit <agent> [--name N] [--kind K] [--instructions-file F]"
	    " [--url U] [--model M] [--api-key-file F (empty: no key)]"),
	C("agent", "list", cmd_agent_list, 0, 0, 0, K, "agent list"),
	C("agent", "show", cmd_agent_show, 0, 1, 1, K, "agent show <agent>"),
	C("agent", "attach", cmd_agent_link, O(INBOUND), 2, 2, S,
	    "agent attach <agent> <connection id> [--inbound]"),
	C("agent", "detach", cmd_agent_link, 0, 2, 2, S,
	    "agent detach <agent> <connection id>"),
	A("agent", "start", 0, S, "agent start <agent>", NULL,
	    ops_agent_start, "RUNNING"),
	A("agent", "stop", 0, S, "agent stop <agent>", NULL,
	    ops_agent_stop, "STOPPED"),
	A("agent", "delete", 0, S, "agent delete <agent>", NULL,
	    ops_agent_delete, "deleted"),
	C("send", NULL, cmd_send, O(CONNECTION) | O(TO) | O(TEXT) | O(USER),
	    0, 0, S, "send --connection ID --to NUMBER --text TEXT [--user U]"),
	C("sender", NULL, cmd_sender, O(ONCE) | O(FOR) | O(LOCK), 0, 0, S,
	    "sender --once | --for SECONDS [--lock FILE]"),
	C("session", "list", cmd_session_list, O(CONNECTION) | O(LIMIT), 0, 0,
	    S, "session list [--connection ID] [--limit N]"),
	C("session", "show", cmd_session_verb, 0, 1, 1, S,
	    "session show <session>"),
	A("session", "takeover", O(USER), S,
	    "session takeover <session> [--user U]", NULL, ops_session_takeover,
	    "session %s answered by %s"),
	A("session", "release", O(USER), S,
	    "session release <session> [--user U]", NULL, ops_session_release,
	    "session %s answered by ai"),
	C("session", "reply", cmd_session_verb, O(TEXT) | O(USER), 1, 1, S,
	    "session reply <session> --text TEXT [--user U]"),
	A("session", "close", O(USER), S,
	    "session close <session> [--user U]", NULL, ops_session_close,
	    "session %s closed"),
	C("session", "export", cmd_session_verb, 0, 1, 1, S,
	    "session export <session>"),
	C("settings", "list", cmd_settings, 0, 0, 0, S, "settings list"),
	C("settings", "get", cmd_settings, 0, 1, 1, S, "settings get NAME"),
	C("settings", "set", cmd_settings, 0, 2, 2, S,
	    "settings set NAME VALUE"),
	C("settings", "unset", cmd_settings, 0, 1, 1, S, "settings unset NAME"),
	C("user", "set", cmd_user, 0, 2, 2, S,
	    "user set USERNAME admin|operator|viewer"),
	C("user", "list", cmd_user, 0, 0, 0, S, "user list"),
	C("user", "delete", cmd_user, 0, 1, 1, S, "user delete USERNAME"),
	C("outbox", "list", cmd_outbox_list, O(CONNECTION) | O(LIMIT), 0, 0, S,
	    "outbox [list] [--connection ID] [--limit N]"),
	A("outbox", "resend", O(USER), S, "outbox resend <message> [--user U]",
	    NULL, ops_outbox_resend, "message %s queued to be sent again"),
	A("outbox", "fail", O(USER), S, "outbox fail <message> [--user U]",
	    NULL, ops_outbox_fail, "message %s failed"),
	/* "outbox" alone lists; after the verbs, so that they match first. */
	C("outbox", NULL, cmd_outbox_list, O(CONNECTION) | O(LIMIT), 0, 0, S,
	    "outbox [--connection ID] [--limit N]"),
	C("reports", "apply-pending", cmd_reports_apply, 0, 0, 0, S,
	    "reports apply-pending"),
};

/* The command noun [verb] names, with *skip the words it takes; NULL none. */
static const struct command *
cmd_find(const char *noun, const char *verb, int *skip)
{
	size_t	 i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(noun, commands[i].noun) != 0)
			continue;
		*skip = commands[i].verb == NULL ? 1 : 2;
		if (commands[i].verb == NULL || (verb != NULL &&
		    strcmp(verb, commands[i].verb) == 0))
			return &commands[i];
	}
	return NULL;
}

/* Reads the options and arguments of c->cmd from argv (argv[0] is the command's last word). */
static int
parse(struct cli *c, int argc, char *argv[])
{
	int	 ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == ':')
			return usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		if (ch < OPT_NAME || ch >= OPT__END ||
		    !(c->cmd->opts & (1u << (ch - OPT_NAME))))
			return usage_error("unknown option '%s' for '%s'; try"
			    " 'ibchannel help'", argv[optind - 1], argv[0]);
		if (c->opt[ch - OPT_NAME] != NULL)
			return usage_error("option '%s' given twice",
			    argv[optind - 1]);
		c->opt[ch - OPT_NAME] = optarg != NULL ? optarg : "";
	}
	c->arg = argv + optind;
	c->nargs = argc - optind;
	if (c->nargs >= c->cmd->minargs && c->nargs <= c->cmd->maxargs)
		return 0;
	if (c->cmd->maxargs == 0)
		return usage_error("%s takes no arguments (got '%s')",
		    argv[0], c->arg[0]);
	return usage_error("usage: ibchannel %s", c->cmd->usage);
}

static int
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  ibchannel %s\n", commands[i].usage);
	return EXIT_USAGE;
}

/* Opens what the command needs; 1, or 0 after saying why. */
static int
open_needs(struct cli *c)
{
	const char	*why;
	int		 rc;

	if (!(c->cmd->need & (NEED_STORE | NEED_KEY)))
		return 1;
	if ((rc = store_open(NULL, STORE_OPEN_EXISTING, &c->ops.st)) <= 0) {
		fprintf(stderr, rc == 0 ? "ibchannel: no store at %s; run"
		    " 'ibchannel init' first\n" : "ibchannel: cannot open the"
		    " store %s\n", store_default_path());
		return 0;
	}
	if ((c->cmd->need & NEED_KEY) &&
	    config_load_key(c->ops.st, c->key, &why) <= 0) {
		fprintf(stderr, "ibchannel: key file: %s\n",
		    why != NULL ? why : "cannot be read");
		return 0;
	}
	if (c->cmd->need & NEED_KEY)
		c->ops.key = c->key;
	if ((c->cmd->need & NEED_IB) &&
	    (c->ops.ib = ib_open(IBCHANNEL_VERSION)) == NULL)
		return 0;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct cli	 c;
	const char	*why;
	int		 rc, skip;

	log_init("ibchannel");
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	memset(&c, 0, sizeof(c));
	if ((c.cmd = cmd_find(argv[1], argc > 2 ? argv[2] : NULL,
	    &skip)) == NULL) {
		fprintf(stderr, "ibchannel: unknown command '%s%s%s'; try"
		    " 'ibchannel help'\n", argv[1], argc >= 3 ? " " : "",
		    argc >= 3 ? argv[2] : "");
		return EXIT_USAGE;
	}
	if ((rc = parse(&c, argc - skip, argv + skip)) != 0)
		return rc;
	if (!store_sync_valid(&why)) {
		fprintf(stderr, "ibchannel: %s\n", why);
		return 1;
	}
	c.ops.user = "cli";
	rc = open_needs(&c) ? c.cmd->fn(&c) : 1;
	explicit_bzero(c.key, sizeof(c.key));
	ib_close(c.ops.ib);
	store_close(c.ops.st);
	return rc;
}
