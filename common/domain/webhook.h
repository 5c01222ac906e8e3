/* What the webhooks do with Infobip's bodies: inbound SMS, delivery reports, clicks. */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"
#include "store.h"
#include "writer.h"


#define WEBHOOK_ERRORS_MAX	20	/* item errors reported back in one answer */

struct webhook_result {
	size_t	 items;		/* items in the body */
	size_t	 stored;	/* new messages stored / reports applied / clicks kept */
	size_t	 duplicates;	/* messages, reports or clicks seen before */
	size_t	 pending;	/* reports kept until their message is known */
	size_t	 rejected;	/* bad items, logged */
	size_t	 nerrors;
	struct payload_item_error errors[WEBHOOK_ERRORS_MAX];
};

enum webhook_kind {
	WEBHOOK_INBOUND,	/* forwarded SMS (MO) */
	WEBHOOK_REPORTS,	/* delivery reports, v2 or v3 */
	WEBHOOK_CLICKS,		/* link clicks */
};

struct keyword_lists;
struct wh_mo;
struct wh_report;
struct wh_click;

/* One request's body, parsed and ready to be stored. */
struct webhook_job {
	enum webhook_kind	 kind;
	char			 conn_id[STORE_ID_LEN + 1];
	struct wh_mo		*mo;		/* the items of the kind, owned */
	struct wh_report	*reports;
	struct wh_click		*clicks;
	size_t			 n;
	/* Set by webhook_store: */
	int			 unknown;	/* 1: no such connection, nothing stored */
	struct store_connection	 conn;
	struct webhook_result	 res;
	/*
	 * Set by webhook_ahead (PostgreSQL): what storing each MO did, done
	 * for the group at once; used by webhook_store in the same try of
	 * the transaction when ahead_set, then cleared.
	 */
	struct store_inbound_call *ahead;	/* n of them, owned */
	int			 ahead_set;
};

/*
 * Parses a webhook body of kind for the connection conn_id without
 * touching the store, so that the request's own thread does it. Returns
 * > 0 with job ready (free with webhook_job_free), 0 when the body is
 * unusable (*why: a static reason), < 0 when out of memory.
 */
int	 webhook_parse(enum webhook_kind, const char *conn_id, const char *body,
	    size_t len, struct webhook_job *job, const char **why);

/*
 * Stores a parsed job inside the caller's write transaction: the
 * connection is looked up (unknown: job->unknown set, nothing stored),
 * then each MO is stored once
 * per Infobip messageId with opt-out keywords handled and the message
 * queued for the inbound agent when it may answer; reports applied
 * (status forward only, kept when the message is not known yet) and
 * clicks kept as events and log entries, each once however often Infobip
 * sends it (a click on a message never sent is refused as a bad item).
 * A bad item is counted and logged, never
 * fails the others. Fills job->res. Returns < 0 on a store error (the
 * caller rolls the job back), > 0 otherwise. Takes a struct webhook_job *
 * as void * so that it is a writer_fn.
 */
int	 webhook_store(struct store *st, void *job);

/*
 * A writer's ahead (writer.h): stores the MOs of the group's first inbound
 * jobs in one round trip (store_inbound_store_group), for webhook_store
 * to take. It goes ahead only as far as each MO's work is the store's
 * call and nothing else, so that the calls' order is the jobs' order: it
 * stops before a job with a bad item, a keyword (an opt-out must reach
 * the store before a later MO of its contact) or another kind of work.
 * > 0 or 0 (nothing went ahead), < 0 on a store error (the try is lost).
 */
int	 webhook_ahead(struct store *st, const writer_fn *fns,
	    void *const *args, size_t n);

/* Frees what webhook_parse allocated; safe to call twice. */
void	 webhook_job_free(struct webhook_job *);

/*
 * Reads the keyword lists from their settings (their defaults when unset;
 * all defaults when st is NULL). Reads three settings and allocates
 * nothing. > 0, < 0 on a store error (the lists then hold the defaults).
 */
int	 webhook_keywords_load(struct store *st, struct keyword_lists *);

/* Registers the check of the keyword list settings with the settings module. */
void	 webhook_settings_register(void);

#endif
