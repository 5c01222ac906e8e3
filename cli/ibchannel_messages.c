/* ibchannel: the verbs about messages: send, the sender, sessions, the outbox, kept reports. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ibchannel.h"
#include "store_campaign.h"
#include "ops.h"
#include "sender.h"
#include "store.h"

int
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

int
cmd_sender(struct cli *c)
{
	struct sender_opts	 so;
	struct sigaction	 sa;
	const char		*v = OPT(c, FOR);
	char			 lock[4096], *end;
	int			 fd, rc, err;

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
	/* The default lock is named after the store, which may hold a password. */
	rc = sender_lock(OPT(c, LOCK), lock, sizeof(lock), &fd);
	err = errno;
	if (rc <= 0 && OPT(c, LOCK) == NULL)
		snprintf(lock, sizeof(lock), "%s.sender.lock",
		    store_display_name());
	if (rc < 0)
		return say(1, "%s: %s", lock, strerror(err));
	if (rc == 0)
		return say(0, "another sender holds %s; leaving", lock);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = sender_run(c->ops.st, &so, &quit);
	if (fd >= 0)
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
	printf("%lld\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", (long long)e->message,
	    e->uid, e->conn, esc(e->recipient), e->state, e->attempts,
	    esc(e->last_error), e->not_found);
	return 1;
}

/* session list and outbox [list]: the latest, of one connection or all. */
int
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
		    "\tlast_error\tnot_found\n");
		/* --unsettled: what the admin's Outbox page lists. */
		rc = (OPT(c, UNSETTLED) != NULL ? store_outbox_unsettled_each :
		    store_outbox_each)(c->ops.st, conn, limit, outbox_line, NULL);
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

int
cmd_session_show(struct cli *c)
{
	struct store_session	 s;
	char			 name[64];
	int64_t			 camp;
	int			 rc;

	if ((rc = store_session_get(c->ops.st, c->n, &s)) <= 0)
		return say(1, "%s session %lld", rc < 0 ?
		    "store error reading" : "no", (long long)c->n);
	printf("session %lld on %s with %s%s: %s, answered by %s\n",
	    (long long)s.id, s.conn, s.phone, s.opted_out ? " (opted out)" :
	    "", s.closed_at[0] ? "closed" : "open", s.responsible);
	if (store_session_campaign(c->ops.st, s.id, &camp, name,
	    sizeof(name)) > 0)
		printf("Started by campaign %s\n", name);
	return store_session_messages(c->ops.st, c->n, message_line,
	    NULL) > 0 ? 0 : 1;
}

int
cmd_session_export(struct cli *c)
{
	char	*json = NULL;
	int	 rc;

	if ((rc = ops_session_export(&c->ops, c->n, &json, &c->e)) > 0)
		printf("%s\n", json);
	free(json);
	return report(c, rc);
}

int
cmd_session_reply(struct cli *c)
{
	int64_t	 msg;
	int	 rc;

	if (OPT(c, USER) != NULL)
		c->ops.user = OPT(c, USER);
	rc = ops_session_reply(&c->ops, c->n, OPT(c, TEXT), &msg, &c->e);
	if (rc > 0)
		printf("%lld\n", (long long)msg);
	/* Stored, but the contact opted out: it will never be sent. */
	if (rc > 0 && c->e.n > 0)
		return say(1, "message %lld: %s", (long long)msg,
		    ops_error_text(&c->e));
	return report(c, rc);
}

int
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
