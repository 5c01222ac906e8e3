/* Operator actions on the outbox: settling by hand what the sender could not. */
#include <stdio.h>
#include <string.h>

#include "outbox.h"
#include "store.h"

/* The operator's actions. */
enum outbox_action {
	OUTBOX_RESEND,
	OUTBOX_FAIL,
};

/* What each action may settle, and what the connection's log says of it. */
static const struct {
	int		 unsettled_only;	/* refuses a plainly queued message */
	const char	*done;
} actions[] = {
	[OUTBOX_RESEND] = { 1, "sent again" },
	[OUTBOX_FAIL] = { 0, "failed" },
};

/*
 * Applies an action to a message of the outbox in one write transaction,
 * so that no sender claims it in between. Returns as outbox_resend.
 */
static int
settle(struct store *st, int64_t message, enum outbox_action a,
    const char *who, const char **why)
{
	struct store_outbox_entry	 e;
	char				 reason[1200];
	int				 rc;

	*why = NULL;
	if (store_begin(st) < 0)
		return -1;
	if ((rc = store_outbox_get(st, message, &e)) <= 0) {
		if (rc == 0)
			*why = "the message is not in the outbox (sent, failed,"
			    " or no such message)";
		goto out;
	}
	rc = 0;
	if (strcmp(e.state, "sending") == 0) {
		*why = "a sender is working on the message right now; try"
		    " again in a moment";
		goto out;
	}
	if (actions[a].unsettled_only && strcmp(e.state, "queued") == 0) {
		*why = "the message is queued, not unsettled: the sender"
		    " sends it";
		goto out;
	}
	if (a == OUTBOX_RESEND)
		rc = store_outbox_requeue(st, message);
	else {
		snprintf(reason, sizeof(reason), "failed by hand by %s%s%s",
		    who, e.last_error[0] != '\0' ? "; last error: " : "",
		    e.last_error);
		rc = store_outbox_done(st, message, "failed", NULL, NULL, "",
		    "", reason, -1);
	}
	if (rc < 0 || store_log(st, e.conn, "info", "outbox", "message %s to"
	    " %s (%s) %s by hand by %s", e.uid, e.recipient, e.state,
	    actions[a].done, who) < 0) {
		rc = -1;
		goto out;
	}
	if (store_commit(st) < 0)
		rc = -1;
	else
		return 1;
out:
	store_rollback(st);
	return rc;
}

int
outbox_resend(struct store *st, int64_t message, const char *who,
    const char **why)
{
	return settle(st, message, OUTBOX_RESEND, who, why);
}

int
outbox_fail(struct store *st, int64_t message, const char *who,
    const char **why)
{
	return settle(st, message, OUTBOX_FAIL, who, why);
}
