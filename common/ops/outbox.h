/* Operator actions on the outbox: settling by hand what the sender could not. */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>

struct store;

/*
 * Sends a message again that the sender could not settle: one whose
 * earlier send may have reached Infobip (held for an operator, or still
 * being looked up). The operator decided that Infobip does not have it; it
 * goes back to the outbox as new. who names the operator in the
 * connection's log. Returns > 0 done, 0 refused (*why: not in the outbox,
 * only queued, or a sender holds it right now), < 0 store error.
 */
int	 outbox_resend(struct store *, int64_t message, const char *who,
	    const char **why);

/*
 * Fails a message of the outbox for good (held, unsure or queued): it is
 * never sent, its status becomes 'failed' with who and its last error as
 * the reason. Returns > 0 done, 0 refused (*why: not in the outbox, or a
 * sender holds it right now), < 0 store error.
 */
int	 outbox_fail(struct store *, int64_t message, const char *who,
	    const char **why);

#endif
