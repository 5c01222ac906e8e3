/* ibchannel: the command line: its options, its command table and the dispatch; verbs in ibchannel_*.c. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ibchannel.h"
#include "infobip.h"
#include "log.h"
#include "ops.h"
#include "ops_token.h"
#include "parse.h"
#include "settings.h"
#include "store.h"
#include "version.h"

/* The options no form gives (enum opt's order does not matter here). */
static const struct option fixed_opts[] = {
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
	{ "help", no_argument, NULL, OPT_HELP },
	{ "unsettled", no_argument, NULL, OPT_UNSETTLED },
};

/* The forms whose fields are options. */
static const struct ops_form *const forms[] = {
	&ops_connection_fields,
	&ops_agent_fields,
	&ops_campaign_fields,
};

/* Every option: the fixed ones, then the forms' (opts_build). */
static struct option	 longopts[sizeof(fixed_opts) / sizeof(fixed_opts[0]) +
			    FORM_OPTS_MAX + 1];

/* The value of the option named name, 0 when there is none. */
static int
opt_value(const char *name)
{
	const struct option	*lo;

	for (lo = longopts; name != NULL && lo->name != NULL; lo++)
		if (strcmp(lo->name, name) == 0)
			return lo->val;
	return 0;
}

/* Adds the option name (taking a value) unless it is there already. */
static void
opt_add(const char *name)
{
	static int	 next = OPT__END;
	size_t		 n;

	if (name == NULL || opt_value(name) != 0)
		return;
	for (n = 0; longopts[n].name != NULL; n++)
		continue;
	if (next >= OPT__END + FORM_OPTS_MAX ||
	    n + 1 >= sizeof(longopts) / sizeof(longopts[0]))
		abort();	/* FORM_OPTS_MAX is too small: a build mistake */
	longopts[n] = (struct option){ name, required_argument, NULL, next++ };
}

/* Builds longopts: the fixed options, then each form field's. */
static void
opts_build(void)
{
	size_t	 i, k;

	memcpy(longopts, fixed_opts, sizeof(fixed_opts));
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		for (k = 0; k < forms[i]->n; k++) {
			opt_add(forms[i]->field[k].cli_option);
			opt_add(forms[i]->field[k].cli_file);
		}
}

/* Whether the command k takes the option whose value is val. */
static int
opt_taken(const struct command *k, int val)
{
	size_t	 i;

	if (val >= OPT_FIRST && val < OPT__END &&
	    (k->opts & (1u << (val - OPT_FIRST))))
		return 1;
	for (i = 0; k->form != NULL && i < k->form->n; i++)
		if (opt_value(k->form->field[i].cli_option) == val ||
		    opt_value(k->form->field[i].cli_file) == val)
			return 1;
	return 0;
}

/* The value given to the option named name, NULL when not given. */
static const char *
opt_named(const struct cli *c, const char *name)
{
	int	 val = opt_value(name);

	return val != 0 ? c->opt[val - OPT_FIRST] : NULL;
}

int
say(int status, const char *fmt, ...)
{
	char	 line[2048];
	va_list	 ap;
	int	 n;

	/*
	 * One write for the whole line: cron appends every run to one log,
	 * and two runs writing it in pieces would interleave their lines.
	 */
	n = snprintf(line, sizeof(line), "ibchannel: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
	return status;
}

int
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
		if (strcmp(lo->name, name) == 0 && opt_taken(c->cmd, lo->val))
			return say(status, "--%s: %s", name, ops_error_text(e));
	return say(status, "%s", ops_error_text(e));
}

const char *
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
		if (!parse_id(s, &c->n))
			return say(EXIT_USAGE, "'%s' is not a valid %s number",
			    s, k[i] == 'a' ? "agent" : k[i] == 's' ? "session" :
			    "message");
	}
	return 0;
}

int
limit_opt(const struct cli *c, int dflt, int max, int *limit)
{
	const char	*v = OPT(c, LIMIT);
	long		 n;

	*limit = dflt;
	if (v == NULL)
		return 0;
	if (!parse_long(v, 1, max, &n))
		return say(EXIT_USAGE, "--limit takes 1 to %d, not '%s'", max,
		    v);
	*limit = (int)n;
	return 0;
}

/* Reads the file at path (NULL: not given) into *out; 0 said why not. */
static int
file_read(const char *path, int first_line, char **out)
{
	const char	*why;

	*out = NULL;
	if (path == NULL ||
	    (*out = config_read_file(path, first_line, &why)) != NULL)
		return 1;
	say(1, "%s: %s", path, why);
	return 0;
}

int
cli_form(const struct cli *c, void *of, char **files)
{
	const struct ops_form	*form = c->cmd->form;
	const struct ops_field	*f;
	const char		*v;
	size_t			 i;

	memset(files, 0, OPS_FORM_FIELDS_MAX * sizeof(*files));
	for (i = 0; i < form->n; i++) {
		f = &form->field[i];
		v = opt_named(c, f->cli_option);
		if (v != NULL && opt_named(c, f->cli_file) != NULL)
			return say(EXIT_USAGE, "give --%s or --%s, not both",
			    f->cli_option, f->cli_file);
		if (!file_read(opt_named(c, f->cli_file),
		    f->kind == OPS_FIELD_SECRET, &files[i]))
			return 1;
		ops_form_set(f, of, files[i] != NULL ? files[i] : v);
	}
	return 0;
}

void
cli_form_free(const struct cli *c, char **files)
{
	size_t	 i;

	for (i = 0; i < c->cmd->form->n; i++)
		secret_free(files[i]);
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

#define S	NEED_STORE
#define K	(NEED_STORE | NEED_KEY)
/* A command run by f; an action of the table (cmd_act, always on the store). */
#define C(n, v, f, o, lo, hi, k, nd, u)	{ .noun = n, .verb = v, \
	.fn = f, .opts = o, .minargs = lo, .maxargs = hi, .ids = k, \
	.need = nd, .usage = u }
/* A command run by f on the form fm from its options (cli_form). */
#define F(n, v, f, fm, lo, hi, k, nd, u)	{ .noun = n, .verb = v, \
	.fn = f, .form = fm, .minargs = lo, .maxargs = hi, .ids = k, \
	.need = nd, .usage = u }
#define A(n, v, o, lo, hi, k, u, ...)	{ .noun = n, .verb = v, \
	.fn = cmd_act, .opts = o, .minargs = lo, .maxargs = hi, .ids = k, \
	.need = S, .usage = u, __VA_ARGS__ }
static const struct command commands[] = {
	C("init", NULL, cmd_init, 0, 0, 0, "", 0, "init"),
	F("connection", "add", cmd_connection_save, &ops_connection_fields, 0,
	    0, "", K,
	    "connection add --name N (--api-key K | --api-key-file F)"
	    " --api-url U --sender S [--description D]"),
	F("connection", "edit", cmd_connection_save, &ops_connection_fields,
	    1, 1, "c", K,
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
	F("agent", "add", cmd_agent_save, &ops_agent_fields, 0, 0, "", K,
	    "agent add --name N --kind rules|http|openai"
	    " [--instructions-file F] [--url U] [--model M]"
	    " [--api-key-file F]"),
	F("agent", "edit", cmd_agent_save, &ops_agent_fields, 1, 1, "a", K,
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
	C("outbox", "list", cmd_latest, O(CONNECTION) | O(LIMIT) | O(UNSETTLED),
	    0, 0, "", S,
	    "outbox [list] [--connection ID] [--limit N] [--unsettled]"),
	A("outbox", "resend", O(USER), 1, 1, "m",
	    "outbox resend <message> [--user U]", .on_num = ops_outbox_resend,
	    .done = "message %s queued to be sent again"),
	A("outbox", "fail", O(USER), 1, 1, "m",
	    "outbox fail <message> [--user U]", .on_num = ops_outbox_fail,
	    .done = "message %s failed"),
	/*
	 * "outbox" alone lists; after the verbs, so that they match first.
	 * "outbox [list]" above says it in the help already.
	 */
	{ .noun = "outbox", .fn = cmd_latest, .opts = O(CONNECTION) |
	    O(LIMIT) | O(UNSETTLED), .ids = "", .need = S, .usage = "outbox"
	    " [list] [--connection ID] [--limit N] [--unsettled]",
	    .alias = 1 },
	C("reports", "apply-pending", cmd_reports_apply, 0, 0, 0, "", S,
	    "reports apply-pending"),
	{ .noun = "backup", .fn = cmd_act, .minargs = 1, .maxargs = 1,
	    .ids = "", .need = NEED_READ, .usage = "backup FILE",
	    .on_str = ops_backup, .done = "backed up to %s" },
	C("restore", NULL, cmd_restore, 0, 1, 1, "", 0, "restore BACKUP"),
	C("restored", NULL, cmd_restored, O(USER), 0, 0, "", S,
	    "restored [--user U]"),
	C("migrate", NULL, cmd_migrate, O(TO), 0, 0, "", 0,
	    "migrate --to postgresql://USER[:PASSWORD]@HOST/DATABASE"),
	C("check", NULL, cmd_check, 0, 0, 0, "", NEED_READ, "check"),
	C("schema", NULL, cmd_schema, 0, 0, 0, "", NEED_READ, "schema"),
	C("token", "add", cmd_token_add, 0, 2, 2, "ac", S,
	    "token add <agent> <connection id>"),
	C("token", "list", cmd_token_list, 0, 0, 1, "a", S,
	    "token list [<agent>]"),
	A("token", "revoke", 0, 1, 1, "", "token revoke <token id>",
	    .on_str = ops_token_revoke_str, .done = "token %s revoked"),
	F("campaign", "create", cmd_campaign_create, &ops_campaign_fields, 0,
	    0, "", S, "campaign create --name NAME --connection ID --agent AGENT"
	    " --text TEMPLATE [--start \"YYYY-MM-DD HH:MM\"] [--tz ZONE]"
	    " [--window HH:MM-HH:MM] [--rate N]"),
	C("campaign", "import", cmd_campaign_import, 0, 2, 2, "", S,
	    "campaign import <campaign> FILE"),
	C("campaign", "start", cmd_campaign_act, 0, 1, 1, "", S,
	    "campaign start <campaign>"),
	C("campaign", "pause", cmd_campaign_act, 0, 1, 1, "", S,
	    "campaign pause <campaign>"),
	C("campaign", "resume", cmd_campaign_act, 0, 1, 1, "", S,
	    "campaign resume <campaign>"),
	C("campaign", "cancel", cmd_campaign_act, 0, 1, 1, "", S,
	    "campaign cancel <campaign>"),
	C("campaign", "status", cmd_campaign_status, 0, 1, 1, "", S,
	    "campaign status <campaign>"),
	C("campaign", "list", cmd_campaign_list, 0, 0, 0, "", S,
	    "campaign list"),
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

/* Whether s is a negative number ("-5", "-0.5"): an argument, never an option. */
static int
negative_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

/*
 * Reads the options and arguments of c->cmd from argv (argv[0] is the
 * command's last word), in order, so that a negative number reaches the
 * value's own check as an argument. 0, EXIT_USAGE said why, or -1 when
 * --help or -h asked for the command's usage.
 */
static int
parse(struct cli *c, int argc, char *argv[])
{
	int	 ch, n = 0;

	opterr = 0;
	optind = 1;
	/* "-": arguments come back in place (ch 1); they are gathered into argv[1..n], where getopt has been already. */
	while (optind < argc) {
		if (negative_number(argv[optind])) {
			argv[++n] = argv[optind++];
			continue;
		}
		if ((ch = getopt_long(argc, argv, "-:h", longopts, NULL)) == -1)
			break;
		if (ch == 1) {
			argv[++n] = optarg;
			continue;
		}
		if (ch == 'h' || ch == OPT_HELP)
			return -1;
		if (ch == ':')
			return say(EXIT_USAGE, "option '%s' needs a value",
			    argv[optind - 1]);
		if (ch < OPT_FIRST || ch >= OPT__END + FORM_OPTS_MAX ||
		    !opt_taken(c->cmd, ch))
			return say(EXIT_USAGE, "unknown option '%s' for '%s';"
			    " try 'ibchannel help'", argv[optind - 1], argv[0]);
		if (c->opt[ch - OPT_FIRST] != NULL)
			return say(EXIT_USAGE, "option '%s' given twice",
			    argv[optind - 1]);
		c->opt[ch - OPT_FIRST] = optarg != NULL ? optarg : "";
	}
	/* After "--", all arguments. */
	while (optind < argc)
		argv[++n] = argv[optind++];
	c->arg = argv + 1;
	c->nargs = n;
	if (c->nargs >= c->cmd->minargs && c->nargs <= c->cmd->maxargs)
		return 0;
	if (c->cmd->maxargs == 0)
		return say(EXIT_USAGE, "%s takes no arguments (got '%s')",
		    argv[0], c->arg[0]);
	return say(EXIT_USAGE, "usage: ibchannel %s", c->cmd->usage);
}

/*
 * Lists the usage of the commands of noun (NULL: every command) and verb
 * (NULL: every verb of noun) on out, from the table; aliases are covered
 * by their rows. Returns how many it listed.
 */
static size_t
usage_list(FILE *out, const char *noun, const char *verb)
{
	const struct command	*k;
	size_t			 i, n = 0;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		k = &commands[i];
		if (k->alias || (noun != NULL && strcmp(noun, k->noun) != 0) ||
		    (verb != NULL && (k->verb == NULL ||
		    strcmp(verb, k->verb) != 0)))
			continue;
		if (n++ == 0)
			fprintf(out, "usage:\n");
		fprintf(out, "  ibchannel %s\n", k->usage);
	}
	return n;
}

/* Lists every command: on stdout when asked for (status 0), else on stderr; returns status. */
static int
usage(int status)
{
	usage_list(status == 0 ? stdout : stderr, NULL, NULL);
	return status;
}

/* help NOUN [VERB] and NOUN [VERB] --help: that usage on stdout, 0; EXIT_USAGE when there is none. */
static int
help(const char *noun, const char *verb)
{
	if (usage_list(stdout, noun, verb) > 0)
		return 0;
	return say(EXIT_USAGE, "unknown command '%s%s%s'; try 'ibchannel"
	    " help'", noun, verb != NULL ? " " : "", verb != NULL ? verb : "");
}

/* Whether s asks for help. */
static int
help_word(const char *s)
{
	return s != NULL && (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0);
}

/* Opens what the command needs: 0, or 1 after saying why it cannot. */
static int
open_needs(struct cli *c)
{
	const char	*why;
	int		 rc;

	if (!(c->cmd->need & (NEED_STORE | NEED_KEY | NEED_READ)))
		return 0;
	if ((rc = store_open(NULL, c->cmd->need & NEED_READ ?
	    STORE_OPEN_READ : STORE_OPEN_EXISTING, &c->ops.st)) <= 0)
		return say(1, rc == 0 ? "no store at %s; run 'ibchannel init'"
		    " first" : "cannot open the store %s%s%s",
		    store_display_name(), *store_open_error() != '\0' ? ": " :
		    "", store_open_error());
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
	const char	*why, *cfg_why;
	char		 owner[1024];
	int		 rc, skip, cfg;

	/* Before the log, whose level the file may set; help needs no file. */
	cfg = config_file_load(&cfg_why);
	log_init("ibchannel");
	opts_build();
	if (argc < 2)
		return usage(EXIT_USAGE);
	if (strcmp(argv[1], "--version") == 0) {
		printf("ibchannel %s\n", IBCHANNEL_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || help_word(argv[1]))
		return argc > 2 ? help(argv[2], argc > 3 ? argv[3] : NULL) :
		    usage(0);
	/* NOUN --help: a noun whose verbs the table holds. */
	if (argc > 2 && help_word(argv[2]))
		return help(argv[1], NULL);
	memset(&c, 0, sizeof(c));
	if ((c.cmd = cmd_find(argv[1], argc > 2 ? argv[2] : NULL,
	    &skip)) == NULL)
		return say(EXIT_USAGE, "unknown command '%s%s%s'; try"
		    " 'ibchannel help'", argv[1], argc >= 3 ? " " : "",
		    argc >= 3 ? argv[2] : "");
	if ((rc = parse(&c, argc - skip, argv + skip)) < 0)
		return help(c.cmd->noun, c.cmd->verb);
	if (rc != 0)
		return rc;
	if (cfg == 0)
		return say(1, "%s", cfg_why);
	if (!store_sync_valid(&why))
		return say(1, "%s", why);
	if (store_run_as_owner(NULL, 1, owner, sizeof(owner)) < 0)
		return say(1, "%s", owner);
	c.ops.user = "cli";
	if ((rc = open_needs(&c)) == 0 && (rc = check_ids(&c)) == 0)
		rc = c.cmd->fn(&c);
	explicit_bzero(c.key, sizeof(c.key));
	ib_close(c.ops.ib);
	store_close(c.ops.st);
	return rc;
}
