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
	const char	*ids;		/* for check_ids */
	int		 need;
	const char	*usage;
	/* cmd_act: one action on the arguments, then done (arg 0, the user): */
	int		(*on_num)(const struct ops *, int64_t,
			    struct ops_error *);
	int		(*on_str)(const struct ops *, const char *,
			    struct ops_error *);
	int		(*on_str2)(const struct ops *, const char *,
			    const char *, struct ops_error *);
	int		(*on_str3)(const struct ops *, const char *,
			    const char *, const char *, struct ops_error *);
	const char	*done;
} *cmd_find(const char *, const char *, int *);

struct cli {
	const struct command	*cmd;
	const char		*opt[NOPT];	/* values; "" for a flag given */
	char			**arg;		/* positional arguments */
	int			 nargs;
	const char		*conn;		/* the connection id */
	int64_t			 n;		/* agent, session, message */
	struct ops		 ops;
	struct ops_error	 e;		/* what the action said */
	unsigned char		 key[SECRET_KEY_LEN];
};

/* Says fmt on one line of stderr, after "ibchannel: "; returns status. */
static int __attribute__((format(printf, 2, 3)))
say(int status, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "ibchannel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/*
 * Says what an action made of it (rc and c->e), on one line, and returns
 * the exit status: 0 done, 2 bad input (named by its option when the
 * command has one for the field), 1 anything else.
 */
static int
report(const struct cli *c, int rc)
{
	const struct option	*lo;
	const struct ops_error	*e = &c->e;
	char			 name[32];
	size_t			 i;
	int			 status;

	if (rc > 0)
		return 0;
	status = e->kind == OPS_INVALID ? EXIT_USAGE : 1;
	snprintf(name, sizeof(name), "%s", e->n > 0 && e->p[0].field != NULL ?
	    e->p[0].field : "");
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '_')
			name[i] = '-';
	for (lo = longopts; lo->name != NULL; lo++)
		if (strcmp(lo->name, name) == 0 &&
		    (c->cmd->opts & (1u << (lo->val - OPT_NAME))))
			return say(status, "--%s: %s", name, ops_error_text(e));
	return say(status, "%s", ops_error_text(e));
}

/*
 * text on one line with control characters escaped ("..." when cut), so
 * an SMS cannot drive the terminal. In four buffers used in turn: at most
 * four to a printf.
 */
static const char *
esc(const char *text)
{
	static char	 ring[4][8192 + 3];
	static unsigned	 next;
	char		*buf = ring[next];

	next = (next + 1) % 4;
	if (!log_escape(text != NULL ? text : "", buf, 8192))
		strcat(buf, "...");
	return buf;
}

/*
 * Checks the arguments that c->cmd->ids names by position: 'c' a
 * connection id (then c->conn), 'a', 's' or 'm' an agent, session or
 * message number (then c->n), 'n' a setting's name. 0, or EXIT_USAGE
 * after saying why.
 */
static int
check_ids(struct cli *c)
{
	const char	*k = c->cmd->ids, *s;
	char		*end;
	long long	 v;
	int		 i;

	for (i = 0; i < c->nargs && k[i] != '\0'; i++) {
		s = c->arg[i];
		if (k[i] == 'c' && !store_id_valid(s))
			return say(EXIT_USAGE, "'%s' is not a connection id"
			    " (32 hex digits)", s);
		if (k[i] == 'c')
			c->conn = s;
		if (k[i] == 'n' && settings_find(s) == NULL)
			return say(EXIT_USAGE, "no setting named '%s';"
			    " 'ibchannel settings list' shows them", s);
		if (strchr("asm", k[i]) == NULL)
			continue;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || v <= 0 || end == s)
			return say(EXIT_USAGE, "'%s' is not a valid %s number",
			    s, k[i] == 'a' ? "agent" : k[i] == 's' ? "session" :
			    "message");
		c->n = v;
	}
	return 0;
}

/* Parses --limit: 1 to max, dflt when not given. 0, or EXIT_USAGE said. */
static int
limit_opt(const struct cli *c, int dflt, int max, int *limit)
{
	const char	*v = OPT(c, LIMIT);
	char		*end;
	long		 n;

	*limit = dflt;
	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || end == v || n < 1 || n > max)
		return say(EXIT_USAGE, "--limit takes 1 to %d, not '%s'", max,
		    v);
	*limit = (int)n;
	return 0;
}

/* Reads the file option o names into *out (NULL: not given); 0 said why not. */
static int
opt_file(const struct cli *c, enum opt o, int first_line, char **out)
{
	const char	*path = c->opt[o - OPT_NAME], *why;

	*out = NULL;
	if (path == NULL ||
	    (*out = config_read_file(path, first_line, &why)) != NULL)
		return 1;
	say(1, "%s: %s", path, why);
	return 0;
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
	if (!config_install(&version, &created, &why))
		return say(1, "%s", why);
	config_key_path(path, sizeof(path));
	printf("store %s at schema version %d\nkey file %s %s\n",
	    store_default_path(), version, path, created ? "created" : "kept");
	return 0;
}

/* connection add, and edit ID: the form, the key from --api-key(-file). */
static int
cmd_connection_save(struct cli *c)
{
	struct ops_connection_form	 f;
	struct ops_connection_view	 v;
	char				*key, id[STORE_ID_LEN + 1];
	int				 rc;

	if (OPT(c, API_KEY) != NULL && OPT(c, API_KEY_FILE) != NULL)
		return say(EXIT_USAGE, "give --api-key or --api-key-file, not"
		    " both");
	if (!opt_file(c, OPT_API_KEY_FILE, 1, &key))
		return 1;
	f.name = OPT(c, NAME);
	f.description = OPT(c, DESCRIPTION);
	f.api_url = OPT(c, API_URL);
	f.sender = OPT(c, SENDER);
	f.api_key = key != NULL ? key : OPT(c, API_KEY);
	rc = c->conn == NULL ? ops_connection_add(&c->ops, &f, id, &c->e) :
	    ops_connection_edit(&c->ops, c->conn, &f, &c->e);
	secret_free(key);
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

static int
cmd_connection_list(struct cli *c)
{
	printf("id\tname\tstatus\tapi_key\n");
	return ops_connection_each(&c->ops, conn_line, NULL) > 0 ? 0 : 1;
}

static int
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

static int
cmd_connection_start(struct cli *c)
{
	char	 msg[1024];
	int	 rc;

	rc = ops_connection_start(&c->ops, c->arg[0], msg, sizeof(msg), &c->e);
	if (rc > 0)
		printf("%s\n", msg);
	return report(c, rc);
}

static int
log_line(const struct store_log_row *r, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%d\t%s\n", r->at, conn_log_level_name(r->level),
	    r->event, r->repeats, esc(r->text));
	return 1;
}

static int
cmd_connection_logs(struct cli *c)
{
	struct ops_log_filter	 f = { CLOG__MAX, NULL, 50, 0 };
	char			 levels[64];
	int			 rc;

	if ((rc = limit_opt(c, 50, 10000, &f.limit)) != 0)
		return rc;
	if (OPT(c, LEVEL) != NULL && !conn_log_level_find(OPT(c, LEVEL),
	    &f.level))
		return say(EXIT_USAGE, "--level must be %s", enum_names_join(
		    conn_log_level_names, CLOG__MAX, ", ", " or ", levels,
		    sizeof(levels)));
	f.event = OPT(c, EVENT);
	printf("at\tlevel\tevent\trepeats\ttext\n");
	return report(c, ops_connection_logs(&c->ops, c->conn, &f, log_line,
	    NULL, &c->e));
}

static int
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

static int
cmd_env_list(struct cli *c)
{
	return report(c, ops_env_each(&c->ops, c->conn, env_line, NULL,
	    &c->e));
}

/* agent add, and edit N: the form from the options. */
static int
cmd_agent_save(struct cli *c)
{
	struct ops_agent_form	 f;
	char			*instr = NULL, *key = NULL;
	int64_t			 id = c->n;
	int			 rc = 1;

	memset(&f, 0, sizeof(f));
	f.name = OPT(c, NAME);
	f.kind = OPT(c, KIND);
	f.url = OPT(c, URL);
	f.model = OPT(c, MODEL);
	if (opt_file(c, OPT_INSTRUCTIONS_FILE, 0, &instr) &&
	    opt_file(c, OPT_API_KEY_FILE, 1, &key)) {
		f.instructions = instr;
		f.api_key = key;
		rc = report(c, c->nargs == 0 ? ops_agent_add(&c->ops, &f, &id,
		    &c->e) : ops_agent_edit(&c->ops, id, &f, &c->e));
	}
	free(instr);
	secret_free(key);
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
	printf("channel: %s %s %s\n", ch->conn, ch->inbound ? "inbound" :
	    "outbound-only", esc(ch->conn_name));
	return 1;
}

static int
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
static int
cmd_agent_link(struct cli *c)
{
	return report(c, strcmp(c->cmd->verb, "attach") == 0 ?
	    ops_agent_attach(&c->ops, c->n, c->conn, OPT(c, INBOUND) != NULL,
	    &c->e) : ops_agent_detach(&c->ops, c->n, c->conn, &c->e));
}

static int
cmd_send(struct cli *c)
{
	int64_t	 id;
	int	 rc;

	if (OPT(c, CONNECTION) == NULL || OPT(c, TO) == NULL ||
	    OPT(c, TEXT) == NULL)
		return say(EXIT_USAGE, "usage: ibchannel %s", c->cmd->usage);
	rc = ops_send(&c->ops, OPT(c, CONNECTION), OPT(c, TO), OPT(c, TEXT),
	    &id, &c->e);
	if (rc <= 0)
		return report(c, rc);
	printf("%lld\n", (long long)id);
	if (c->e.n == 0)
		return 0;
	/* Stored failed: it will never be sent. */
	return say(1, "message %lld failed: %s", (long long)id,
	    ops_error_text(&c->e));
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
			return say(EXIT_USAGE, "--for takes seconds (1 to"
			    " 86400), not '%s'", v);
	}
	if ((so.once = OPT(c, ONCE) != NULL) == (v != NULL))
		return say(EXIT_USAGE, "give --once or --for SECONDS");
	if ((rc = sender_lock(OPT(c, LOCK), lock, sizeof(lock), &fd)) < 0)
		return say(1, "%s: %s", lock, strerror(errno));
	if (rc == 0)
		return say(0, "another sender holds %s; leaving", lock);
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
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", (long long)r->id, r->conn,
	    r->phone, r->open ? "open" : "closed", r->responsible, r->last_at,
	    r->messages, esc(r->last_text));
	return 1;
}

static int
outbox_line(const struct store_outbox_entry *e, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%d\t%s\n", (long long)e->message, e->uid,
	    e->conn, esc(e->recipient), e->state, e->attempts,
	    esc(e->last_error));
	return 1;
}

/* session list and outbox [list]: the latest, of one connection or all. */
static int
cmd_latest(struct cli *c)
{
	const char	*conn = OPT(c, CONNECTION);
	int		 outbox = strcmp(c->cmd->noun, "outbox") == 0;
	int		 limit, rc;

	if (conn != NULL && !store_id_valid(conn))
		return say(EXIT_USAGE, "'%s' is not a connection id", conn);
	if ((rc = limit_opt(c, outbox ? 1000 : 50, 100000, &limit)) != 0)
		return rc;
	if (outbox) {
		printf("id\tuid\tconnection\trecipient\tstate\tattempts"
		    "\tlast_error\n");
		rc = store_outbox_each(c->ops.st, conn, limit, outbox_line,
		    NULL);
	} else {
		printf("session\tconnection\tcontact\tstate\tresponsible"
		    "\tlast_at\tmessages\tlast_text\n");
		rc = store_session_each(c->ops.st, conn, limit, session_line,
		    NULL);
	}
	return rc > 0 ? 0 : 1;
}

static int
message_line(const struct store_message_row *r, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t%s", r->at, r->direction == DIR_IN ? "<-" :
	    "->", r->author, msg_status_name(r->status), esc(r->text));
	if (r->reason != NULL && *r->reason != '\0' && r->status == MSG_FAILED)
		printf("\t(%s)", esc(r->reason));
	printf("\n");
	return 1;
}

static int
cmd_session_show(struct cli *c)
{
	struct store_session	 s;
	int			 rc;

	if ((rc = store_session_get(c->ops.st, c->n, &s)) <= 0)
		return say(1, "%s session %lld", rc < 0 ?
		    "store error reading" : "no", (long long)c->n);
	printf("session %lld on %s with %s%s: %s, answered by %s\n",
	    (long long)s.id, s.conn, s.phone, s.opted_out ? " (opted out)" :
	    "", s.closed_at[0] ? "closed" : "open", s.responsible);
	return store_session_messages(c->ops.st, c->n, message_line,
	    NULL) > 0 ? 0 : 1;
}

static int
cmd_session_export(struct cli *c)
{
	char	*json = NULL;
	int	 rc;

	if ((rc = ops_session_export(&c->ops, c->n, &json, &c->e)) > 0)
		printf("%s\n", json);
	free(json);
	return report(c, rc);
}

static int
cmd_session_reply(struct cli *c)
{
	int64_t	 msg;
	int	 rc;

	if (OPT(c, USER) != NULL)
		c->ops.user = OPT(c, USER);
	rc = ops_session_reply(&c->ops, c->n, OPT(c, TEXT), &msg, &c->e);
	if (rc > 0)
		printf("%lld\n", (long long)msg);
	if (rc > 0 && c->e.n > 0)
		say(0, "%s", ops_error_text(&c->e));
	return report(c, rc);
}

/* An action of the table on the arguments (see struct command), then done. */
static int
cmd_act(struct cli *c)
{
	const struct command	*k = c->cmd;
	const char		*arg1 = c->nargs > 1 ? c->arg[1] : NULL;
	int			 rc;

	if (OPT(c, USER) != NULL)
		c->ops.user = OPT(c, USER);
	if (k->on_num != NULL)
		rc = k->on_num(&c->ops, c->n, &c->e);
	else if (k->on_str3 != NULL && c->nargs == 3)
		rc = k->on_str3(&c->ops, c->arg[0], arg1, c->arg[2], &c->e);
	else if (k->on_str2 != NULL)
		rc = k->on_str2(&c->ops, c->arg[0], arg1, &c->e);
	else
		rc = k->on_str(&c->ops, c->arg[0], &c->e);
	if (rc > 0 && k->done != NULL) {
		printf(k->done, c->arg[0], c->ops.user);
		printf("\n");
	}
	return report(c, rc);
}

static int
cmd_settings_list(struct cli *c)
{
	const struct setting_def	*d;
	char				 buf[4096];
	int				 rc = 0;

	for (d = settings_table; d->name != NULL; d++) {
		if (settings_get(c->ops.st, d->name, buf, sizeof(buf)) < 0)
			rc = 1;
		printf("%s = %s\n    %s; default: %s\n", d->name, esc(buf),
		    d->purpose, esc(*d->def != '\0' ? d->def : "(unset)"));
	}
	return rc;
}

static int
cmd_settings_get(struct cli *c)
{
	char	 buf[4096];

	if (settings_get(c->ops.st, c->arg[0], buf, sizeof(buf)) <= 0)
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

static int
cmd_user_list(struct cli *c)
{
	printf("username\trole\tcreated_at\n");
	return ops_user_each(&c->ops, user_line, NULL) > 0 ? 0 : 1;
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
/* A command run by f; an action of the table (cmd_act, always on the store). */
#define C(n, v, f, o, lo, hi, k, nd, u)	{ .noun = n, .verb = v, \
	.fn = f, .opts = o, .minargs = lo, .maxargs = hi, .ids = k, \
	.need = nd, .usage = u }
#define A(n, v, o, lo, hi, k, u, ...)	{ .noun = n, .verb = v, \
	.fn = cmd_act, .opts = o, .minargs = lo, .maxargs = hi, .ids = k, \
	.need = S, .usage = u, __VA_ARGS__ }
static const struct command commands[] = {
	C("init", NULL, cmd_init, 0, 0, 0, "", 0, "init"),
	C("connection", "add", cmd_connection_save, CONN_FORM, 0, 0, "", K,
	    "connection add --name N (--api-key K | --api-key-file F)"
	    " --api-url U --sender S [--description D]"),
	C("connection", "edit", cmd_connection_save, CONN_FORM, 1, 1, "c", K,
	    "connection edit <connection id> [--name N] [--description D]"
	    " [--api-key K | --api-key-file F] [--api-url U] [--sender S]"),
	C("connection", "list", cmd_connection_list, 0, 0, 0, "", K,
	    "connection list"),
	C("connection", "show", cmd_connection_show, 0, 1, 1, "c", K,
	    "connection show <connection id>"),
	C("connection", "start", cmd_connection_start, 0, 1, 1, "", K | NEED_IB,
	    "connection start <connection id>"),
	A("connection", "stop", 0, 1, 1, "c", "connection stop <connection id>",
	    .on_str = ops_connection_stop, .done = "STOPPED"),
	A("connection", "delete", 0, 1, 1, "c",
	    "connection delete <connection id>",
	    .on_str = ops_connection_delete, .done = "deleted"),
	C("connection", "logs", cmd_connection_logs, O(LEVEL) | O(EVENT) |
	    O(LIMIT), 1, 1, "c", S, "connection logs <connection id>"
	    " [--level error|warn|info] [--event E] [--limit N]"),
	C("connection", "urls", cmd_connection_urls, 0, 1, 1, "c", S,
	    "connection urls <connection id>"),
	A("connection", "env", 0, 2, 3, "c",
	    "connection env <connection id> NAME [VALUE]",
	    .on_str2 = ops_env_unset, .on_str3 = ops_env_set),
	C("env", "list", cmd_env_list, 0, 1, 1, "c", S,
	    "env list <connection id>"),
	A("env", "set", 0, 3, 3, "c", "env set <connection id> NAME VALUE",
	    .on_str3 = ops_env_set),
	A("env", "unset", 0, 2, 2, "c", "env unset <connection id> NAME",
	    .on_str2 = ops_env_unset),
	C("agent", "add", cmd_agent_save, AGENT_FORM, 0, 0, "", K,
	    "agent add --name N --kind rules|http|openai"
	    " [--instructions-file F] [--url U] [--model M]"
	    " [--api-key-file F]"),
	C("agent", "edit", cmd_agent_save, AGENT_FORM, 1, 1, "a", K,
	    "agent edit <agent> [--name N] [--kind K] [--instructions-file F]"
	    " [--url U] [--model M] [--api-key-file F (empty: no key)]"),
	C("agent", "list", cmd_agent_list, 0, 0, 0, "", K, "agent list"),
	C("agent", "show", cmd_agent_show, 0, 1, 1, "a", K,
	    "agent show <agent>"),
	C("agent", "attach", cmd_agent_link, O(INBOUND), 2, 2, "ac", S,
	    "agent attach <agent> <connection id> [--inbound]"),
	C("agent", "detach", cmd_agent_link, 0, 2, 2, "ac", S,
	    "agent detach <agent> <connection id>"),
	A("agent", "start", 0, 1, 1, "a", "agent start <agent>",
	    .on_num = ops_agent_start, .done = "RUNNING"),
	A("agent", "stop", 0, 1, 1, "a", "agent stop <agent>",
	    .on_num = ops_agent_stop, .done = "STOPPED"),
	A("agent", "delete", 0, 1, 1, "a", "agent delete <agent>",
	    .on_num = ops_agent_delete, .done = "deleted"),
	C("send", NULL, cmd_send, O(CONNECTION) | O(TO) | O(TEXT) | O(USER),
	    0, 0, "", S,
	    "send --connection ID --to NUMBER --text TEXT [--user U]"),
	C("sender", NULL, cmd_sender, O(ONCE) | O(FOR) | O(LOCK), 0, 0, "", S,
	    "sender --once | --for SECONDS [--lock FILE]"),
	C("session", "list", cmd_latest, O(CONNECTION) | O(LIMIT), 0, 0, "", S,
	    "session list [--connection ID] [--limit N]"),
	C("session", "show", cmd_session_show, 0, 1, 1, "s", S,
	    "session show <session>"),
	A("session", "takeover", O(USER), 1, 1, "s",
	    "session takeover <session> [--user U]",
	    .on_num = ops_session_takeover,
	    .done = "session %s answered by %s"),
	A("session", "release", O(USER), 1, 1, "s",
	    "session release <session> [--user U]",
	    .on_num = ops_session_release, .done = "session %s answered by ai"),
	C("session", "reply", cmd_session_reply, O(TEXT) | O(USER), 1, 1, "s",
	    S, "session reply <session> --text TEXT [--user U]"),
	A("session", "close", O(USER), 1, 1, "s",
	    "session close <session> [--user U]", .on_num = ops_session_close,
	    .done = "session %s closed"),
	C("session", "export", cmd_session_export, 0, 1, 1, "s", S,
	    "session export <session>"),
	C("settings", "list", cmd_settings_list, 0, 0, 0, "", S,
	    "settings list"),
	C("settings", "get", cmd_settings_get, 0, 1, 1, "n", S,
	    "settings get NAME"),
	A("settings", "set", 0, 2, 2, "n", "settings set NAME VALUE",
	    .on_str2 = ops_settings_set),
	A("settings", "unset", 0, 1, 1, "n", "settings unset NAME",
	    .on_str2 = ops_settings_set),
	A("user", "set", 0, 2, 2, "", "user set USERNAME admin|operator|viewer",
	    .on_str2 = ops_user_set),
	C("user", "list", cmd_user_list, 0, 0, 0, "", S, "user list"),
	A("user", "delete", 0, 1, 1, "", "user delete USERNAME",
	    .on_str = ops_user_delete),
	C("outbox", "list", cmd_latest, O(CONNECTION) | O(LIMIT), 0, 0, "", S,
	    "outbox [list] [--connection ID] [--limit N]"),
	A("outbox", "resend", O(USER), 1, 1, "m",
	    "outbox resend <message> [--user U]", .on_num = ops_outbox_resend,
	    .done = "message %s queued to be sent again"),
	A("outbox", "fail", O(USER), 1, 1, "m",
	    "outbox fail <message> [--user U]", .on_num = ops_outbox_fail,
	    .done = "message %s failed"),
	/* "outbox" alone lists; after the verbs, so that they match first. */
	C("outbox", NULL, cmd_latest, O(CONNECTION) | O(LIMIT), 0, 0, "", S,
	    "outbox [--connection ID] [--limit N]"),
	C("reports", "apply-pending", cmd_reports_apply, 0, 0, 0, "", S,
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
			return say(EXIT_USAGE, "option '%s' needs a value",
			    argv[optind - 1]);
		if (ch < OPT_NAME || ch >= OPT__END ||
		    !(c->cmd->opts & (1u << (ch - OPT_NAME))))
			return say(EXIT_USAGE, "unknown option '%s' for '%s';"
			    " try 'ibchannel help'", argv[optind - 1], argv[0]);
		if (c->opt[ch - OPT_NAME] != NULL)
			return say(EXIT_USAGE, "option '%s' given twice",
			    argv[optind - 1]);
		c->opt[ch - OPT_NAME] = optarg != NULL ? optarg : "";
	}
	c->arg = argv + optind;
	c->nargs = argc - optind;
	if (c->nargs >= c->cmd->minargs && c->nargs <= c->cmd->maxargs)
		return 0;
	if (c->cmd->maxargs == 0)
		return say(EXIT_USAGE, "%s takes no arguments (got '%s')",
		    argv[0], c->arg[0]);
	return say(EXIT_USAGE, "usage: ibchannel %s", c->cmd->usage);
}

/* Lists the commands on stderr; returns status. */
static int
usage(int status)
{
	size_t	 i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  ibchannel %s\n", commands[i].usage);
	return status;
}

/* Opens what the command needs: 0, or 1 after saying why it cannot. */
static int
open_needs(struct cli *c)
{
	const char	*why;
	int		 rc;

	if (!(c->cmd->need & (NEED_STORE | NEED_KEY)))
		return 0;
	if ((rc = store_open(NULL, STORE_OPEN_EXISTING, &c->ops.st)) <= 0)
		return say(1, rc == 0 ? "no store at %s; run 'ibchannel init'"
		    " first" : "cannot open the store %s",
		    store_default_path());
	if ((c->cmd->need & NEED_KEY) &&
	    config_load_key(c->ops.st, c->key, &why) <= 0)
		return say(1, "key file: %s", why != NULL ? why :
		    "cannot be read");
	if (c->cmd->need & NEED_KEY)
		c->ops.key = c->key;
	if ((c->cmd->need & NEED_IB) &&
	    (c->ops.ib = ib_open(IBCHANNEL_VERSION)) == NULL)
		return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cli	 c;
	const char	*why;
	int		 rc, skip;

	log_init("ibchannel");
	if (argc < 2)
		return usage(EXIT_USAGE);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
		return usage(0);
	memset(&c, 0, sizeof(c));
	if ((c.cmd = cmd_find(argv[1], argc > 2 ? argv[2] : NULL,
	    &skip)) == NULL)
		return say(EXIT_USAGE, "unknown command '%s%s%s'; try"
		    " 'ibchannel help'", argv[1], argc >= 3 ? " " : "",
		    argc >= 3 ? argv[2] : "");
	if ((rc = parse(&c, argc - skip, argv + skip)) != 0)
		return rc;
	if (!store_sync_valid(&why))
		return say(1, "%s", why);
	c.ops.user = "cli";
	if ((rc = open_needs(&c)) == 0 && (rc = check_ids(&c)) == 0)
		rc = c.cmd->fn(&c);
	explicit_bzero(c.key, sizeof(c.key));
	ib_close(c.ops.ib);
	store_close(c.ops.st);
	return rc;
}
