/* What the webhooks do with Infobip's bodies: inbound SMS, delivery reports, clicks. */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>

struct store;
struct store_connection;

#define WEBHOOK_ERRORS_MAX	20	/* item errors reported back in one answer */

struct webhook_result {
	size_t	 items;		/* items in the body */
	size_t	 stored;	/* new messages stored / reports applied / clicks kept */
	size_t	 duplicates;	/* inbound messages seen before */
	size_t	 pending;	/* reports kept until their message is known */
	size_t	 rejected;	/* bad items, logged */
	size_t	 nerrors;
	struct {
		size_t	 index;
		char	 text[256];
	} errors[WEBHOOK_ERRORS_MAX];
};

/*
 * Stores the inbound messages of an MO body for connection c: each item on
 * its own, once per Infobip messageId; opt-out keywords handled; queued for
 * the connection's inbound agent when it may answer. Returns > 0 with *res
 * filled, 0 when the body is unusable (*why), < 0 on a store error (nothing
 * was written).
 */
int	 webhook_inbound(struct store *, const struct store_connection *c,
	    const char *body, size_t len, struct webhook_result *res,
	    const char **why);
/* Applies a delivery-report body (v2 or v3) in one transaction. Same returns. */
int	 webhook_reports(struct store *, const struct store_connection *c,
	    const char *body, size_t len, struct webhook_result *res,
	    const char **why);
/* Keeps click notifications as events and log entries. Same returns. */
int	 webhook_clicks(struct store *, const struct store_connection *c,
	    const char *body, size_t len, struct webhook_result *res,
	    const char **why);

#endif
