/* Handlers of the Outbox page: messages held for an operator or unsure, resent or failed as `ibchannel outbox` does. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "ops.h"
#include "parse.h"

/* Rows a page lists (the oldest first): a selection of them all stays within a form's fields. */
#define OUTBOX_LIST_MAX	50

/*
 * Writes the page, with what the last action did (op): a page of the
 * held and unsure rows from ?after= or ?before= (keyset on the message
 * number), with how many there are in all.
 */
static void
outbox_page(struct adm *a, int status, struct outbox_page *op)
{
	op->lc.a = a;
	op->limit = OUTBOX_LIST_MAX;
	if (!parse_id(arg(a, "after"), &op->after) || op->after < 0)
		op->after = 0;
	if (op->after > 0 || !parse_id(arg(a, "before"), &op->before) ||
	    op->before < 0)
		op->before = 0;
	if (store_outbox_unsettled_count(a->st, &op->total) < 0)
		op->total = -1;
	view_outbox_open(a, status, op);
	if (store_outbox_unsettled_page(a->st, op->after, op->before,
	    op->limit, view_outbox_row, op) < 0)
		view_list_failed(a);
	view_outbox_close(a, op);
}

void
outbox_show(struct adm *a)
{
	struct outbox_page	 op;

	memset(&op, 0, sizeof(op));
	outbox_page(a, 200, &op);
}

/* An outbox action of the operations layer (ops_outbox_resend, ops_outbox_fail). */
typedef int outbox_fn(const struct ops *, int64_t, struct ops_error *);

/*
 * Applies fn to each message given: {n} of the route, or every "m" field
 * of the form (a selection). Each message is its own action, logged with
 * the user by the operations layer. All done: back to the list with
 * notice; some refused: the list with the count and the reasons.
 */
static void
outbox_act(struct adm *a, outbox_fn *fn, int selection, const char *verb,
    const char *notice)
{
	struct outbox_page	 op;
	struct ops_error	 e;
	int64_t			 id;
	size_t			 i;
	int			 given = 0, rc;

	memset(&op, 0, sizeof(op));
	op.verb = verb;
	for (i = 0; i < (selection ? a->f.n : 1); i++) {
		if (selection) {
			if (strcmp(a->f.f[i].name, "m") != 0)
				continue;
			if (!parse_id(a->f.f[i].value, &id)) {
				admin_fail(a, 400, "A selected message is not a"
				    " message number.");
				return;
			}
		} else
			id = a->n;
		given++;
		if ((rc = fn(&a->ops, id, &e)) < 0) {
			admin_store_error(a);
			return;
		}
		if (rc > 0) {
			op.done++;
			continue;
		}
		if (op.refused < OUTBOX_REASONS_MAX) {
			snprintf(op.why[op.refused], sizeof(op.why[0]), "%s",
			    ops_error_text(&e));
		}
		op.refused++;
	}
	if (given == 0) {
		admin_fail(a, 400, "Select at least one message.");
		return;
	}
	if (op.refused == 0) {
		admin_redirect(a, notice, "/outbox");
		return;
	}
	outbox_page(a, 409, &op);
}

void
outbox_resend_one(struct adm *a)
{
	outbox_act(a, ops_outbox_resend, 0, "sent again", "outbox-resent");
}

void
outbox_fail_one(struct adm *a)
{
	outbox_act(a, ops_outbox_fail, 0, "failed", "outbox-failed");
}

void
outbox_resend_selected(struct adm *a)
{
	outbox_act(a, ops_outbox_resend, 1, "sent again", "outbox-resent");
}

void
outbox_fail_selected(struct adm *a)
{
	outbox_act(a, ops_outbox_fail, 1, "failed", "outbox-failed");
}
