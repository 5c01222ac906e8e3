/* The command line's parts: the parsed command, what verbs print with, the verbs. */
#ifndef IBCHANNEL_H
#define IBCHANNEL_H

#include <stdint.h>

#include "ops.h"
#include "ops_form.h"
#include "secret.h"

#define EXIT_USAGE	2

/*
 * Options no form gives, by the value getopt_long returns (past any
 * character). The forms' options (ops_form.h: cli_option, cli_file) are
 * added after them when the command line starts, with values from
 * OPT__END on; a name both have is one option.
 */
enum opt {
	OPT_FIRST = 256,
	OPT_CONNECTION = OPT_FIRST, OPT_TO, OPT_TEXT, OPT_USER, OPT_LIMIT,
	OPT_LEVEL, OPT_EVENT, OPT_FOR, OPT_LOCK, OPT_ONCE, OPT_INBOUND,
	OPT_HELP, OPT_UNSETTLED, OPT__END
};
#define FORM_OPTS_MAX	32	/* options the forms add */
#define NOPT		(OPT__END - OPT_FIRST + FORM_OPTS_MAX)
#define O(x)		(1u << (OPT_##x - OPT_FIRST))
#define OPT(c, x)	((c)->opt[OPT_##x - OPT_FIRST])

/* What a command needs opened before it runs. */
#define NEED_STORE	1
#define NEED_KEY	2	/* and the store */
#define NEED_IB		4
#define NEED_READ	8	/* the store, read-only when it is not writable */

struct cli;
struct command {
	const char	*noun, *verb;	/* verb NULL: none */
	int		(*fn)(struct cli *);
	unsigned	 opts;		/* O() of the options it takes */
	int		 minargs, maxargs;
	const char	*ids;		/* for check_ids */
	int		 need;
	const struct ops_form	*form;	/* its form's options, NULL: none */
	const char	*usage;
	int		 alias;		/* 1: another row's usage covers it; not listed */
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
};

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

/*
 * ibchannel.c: what the verbs print with. Each verb returns the exit
 * status: 0 done, 1 failed, EXIT_USAGE bad input.
 */
/* Says fmt on one line of stderr, after "ibchannel: "; returns status. */
int		 say(int status, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * Says what an action made of it (rc and c->e), on one line, and returns
 * the exit status: 0 done, 2 bad input (named by its option when the
 * command has one for the field), 1 anything else.
 */
int		 report(const struct cli *, int rc);
/*
 * Returns text on one line with control characters escaped ("..." when
 * cut), so an SMS cannot drive the terminal. In four buffers used in
 * turn: at most four to a printf.
 */
const char	*esc(const char *text);
/* Parses --limit: 1 to max, dflt when not given. 0, or EXIT_USAGE said. */
int		 limit_opt(const struct cli *, int dflt, int max, int *limit);
/*
 * Fills the form struct of from the options of c->cmd->form: each field
 * from its --option, or from the file its file option names (a secret
 * from the file's first line). What was read from files goes into
 * files[OPS_FORM_FIELDS_MAX], for cli_form_free. 0, or the exit status
 * after saying why not.
 */
int		 cli_form(const struct cli *, void *of, char **files);
/* Frees what cli_form read (erased first: it may be a key). */
void		 cli_form_free(const struct cli *, char **files);

/* ibchannel_setup.c: installation, connections, agents, settings, users. */
int	 cmd_init(struct cli *);
int	 cmd_connection_save(struct cli *);
int	 cmd_connection_list(struct cli *);
int	 cmd_connection_show(struct cli *);
int	 cmd_connection_start(struct cli *);
int	 cmd_connection_logs(struct cli *);
int	 cmd_connection_urls(struct cli *);
int	 cmd_env_list(struct cli *);
int	 cmd_agent_save(struct cli *);
int	 cmd_agent_list(struct cli *);
int	 cmd_agent_show(struct cli *);
int	 cmd_agent_link(struct cli *);
int	 cmd_settings_list(struct cli *);
int	 cmd_settings_get(struct cli *);
int	 cmd_user_list(struct cli *);
int	 cmd_restore(struct cli *);
int	 cmd_restored(struct cli *);
int	 cmd_migrate(struct cli *);

/* ibchannel_messages.c: sending, the sender, sessions, the outbox, reports. */
int	 cmd_send(struct cli *);
int	 cmd_sender(struct cli *);
int	 cmd_latest(struct cli *);
int	 cmd_session_show(struct cli *);
int	 cmd_session_export(struct cli *);
int	 cmd_session_reply(struct cli *);
int	 cmd_reports_apply(struct cli *);
int	 cmd_check(struct cli *);
int	 cmd_schema(struct cli *);

/* ibchannel_token.c: send API tokens. */
int	 cmd_token_add(struct cli *);
int	 cmd_token_list(struct cli *);
/* ibchannel_campaign.c: campaigns. */
int	 cmd_campaign_create(struct cli *);
int	 cmd_campaign_import(struct cli *);
int	 cmd_campaign_act(struct cli *);
int	 cmd_campaign_status(struct cli *);
int	 cmd_campaign_list(struct cli *);

#endif
