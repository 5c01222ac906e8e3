/* The store's campaign statements (store_campaign.c): campaigns, their recipients, the sender's release. */
#ifndef STORE_CAMPAIGN_H
#define STORE_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "enums.h"
#include "store.h"

/* Every int function follows store.h: < 0 error (logged), 0 soft outcome, > 0 done. */

/*
 * Bytes of a campaign's template (the operations layer refuses longer);
 * a row holds a few more, so that an over-long text stored by hand shows
 * as cut rather than fitting.
 */
#define STORE_TEMPLATE_MAX	6400

/* One campaign row, with its connection's and agent's names. */
struct store_campaign {
	int64_t			 id;
	char			 name[64];
	char			 conn[STORE_ID_LEN + 1];
	char			 conn_name[256];
	enum conn_status	 conn_status;
	char			 sender[64];	/* the connection's sender */
	int64_t			 agent;		/* 0 when the agent was deleted */
	char			 agent_name[256];
	char			 text[STORE_TEMPLATE_MAX + 4];
	enum campaign_state	 state;
	char			 start_utc[STORE_TIME_MAX];	/* "" when none */
	char			 start_local[STORE_TIME_MAX];	/* "" when none */
	char			 tz[64];
	int			 window_start;	/* minutes; -1 when no window */
	int			 window_end;
	int			 rate;
	double			 bucket_tokens;
	double			 bucket_at;
	char			 created_at[STORE_TIME_MAX];
	char			 started_at[STORE_TIME_MAX];	/* "" when none */
	char			 ended_at[STORE_TIME_MAX];	/* "" when none */
	int			 start_due;	/* start_utc is NULL or has come */
};

/* Adds a draft campaign from c (its name to rate); c->id is set. > 0 added, 0 unknown connection or agent. */
int	 store_campaign_add(struct store *, struct store_campaign *c);
/* Saves name to rate of a draft campaign. > 0 saved, 0 unknown or no longer a draft. */
int	 store_campaign_save(struct store *, const struct store_campaign *c);
/* Reads a campaign. > 0 found, 0 unknown. */
int	 store_campaign_get(struct store *, int64_t id, struct store_campaign *c);
/* Calls fn for each campaign, newest first (all 0) or the scheduled and running ones, oldest first (active 1); stops when fn returns 0. */
int	 store_campaign_each(struct store *, int active,
	    int (*fn)(const struct store_campaign *, void *), void *arg);
/* Calls fn for up to limit campaigns with an id below before (0: from the newest), newest first; stops when fn returns 0. > 0 done, < 0 error. */
int	 store_campaign_page(struct store *, int64_t before, int64_t limit,
	    int (*fn)(const struct store_campaign *, void *), void *arg);
/*
 * Moves a campaign from state from to state to: started_at is set when it
 * leaves draft, ended_at when it completes or is canceled. > 0 moved, 0
 * unknown or not in state from.
 */
int	 store_campaign_set_state(struct store *, int64_t id,
	    enum campaign_state from, enum campaign_state to);
/* Recipients by status (counts indexed by enum rcpt_status) and in all. > 0. */
int	 store_campaign_counts(struct store *, int64_t id,
	    int64_t counts[RCPT__MAX], int64_t *total);
/*
 * Cancels what a campaign has not sent, inside the caller's transaction:
 * planned recipients become canceled, and messages released but in the
 * outbox unclaimed (no sender holds them, none is unsure or held) fail
 * with "campaign canceled", leave the outbox, and their recipients become
 * canceled. > 0 done.
 */
int	 store_campaign_cancel(struct store *, int64_t id);
/* Saves the throttle's state. > 0. */
int	 store_campaign_bucket(struct store *, int64_t id, double tokens,
	    double at);
/* Whether a campaign has recipients planned or queued: > 0 yes, 0 none. */
int	 store_campaign_unfinished(struct store *, int64_t id);
/*
 * Inside the caller's transaction, the throttle of a running campaign:
 * its bucket's tokens and the Unix time of its last refill, read there so
 * that what another sender released meanwhile counts. On PostgreSQL the
 * campaign's row stays locked until the transaction ends, so senders
 * release a campaign's recipients one at a time. > 0 running, with
 * *tokens and *at; 0 not running, unknown, or another sender releasing
 * its recipients at that moment (leave it this turn); < 0 error.
 */
int	 store_campaign_throttle(struct store *, int64_t id, double *tokens,
	    double *at);
/*
 * Inside the release's transaction, how many of a campaign's released
 * messages wait in the outbox for a sender (due now, not held, not
 * claimed: a claimed one is on its way, and another sender may release
 * the next second's meanwhile): *n. The
 * release holds back while a second's worth wait, so that a backlog in
 * the outbox does not bunch them. > 0 with *n, < 0 error.
 */
int	 store_campaign_waiting(struct store *, int64_t id, long *n);
/* Whether a campaign has planned recipients: > 0 yes, 0 none. */
int	 store_campaign_has_planned(struct store *, int64_t id);
/*
 * The zones of a campaign's planned recipients in order: the first after
 * after (NULL: the first of all; "" is the campaign's own zone). > 0 with
 * zone (zonesz bytes), 0 no more.
 */
int	 store_campaign_zone_next(struct store *, int64_t id, const char *after,
	    char *zone, size_t zonesz);

/* A planned recipient being released. */
struct store_rcpt {
	int64_t		 id;
	char		 phone[24];
	char		*fields;	/* owned: store_rcpts_free */
};
/* Up to limit planned recipients of zone, in import order. Returns the count (>= 0) with *out, < 0 error. */
int	 store_campaign_due(struct store *, int64_t id, const char *zone,
	    size_t limit, struct store_rcpt **out);
void	 store_rcpts_free(struct store_rcpt *, size_t n);
/* Sets a recipient's status (and reason, message when not 0). > 0 done. */
int	 store_campaign_rcpt_set(struct store *, int64_t rcpt,
	    enum rcpt_status, const char *reason, int64_t message);
/* Records that a campaign's message went into a session; the first campaign stays. > 0. */
int	 store_session_campaign_add(struct store *, int64_t session,
	    int64_t campaign);
/* The name of the campaign that started a session: > 0 with name, 0 none. */
int	 store_session_campaign(struct store *, int64_t session,
	    int64_t *campaign, char *name, size_t namesz);
/* An agent by its name (exactly). > 0 with *id, 0 none. */
int	 store_agent_by_name(struct store *, const char *name, int64_t *id);

/* The import's writer: its statements are prepared once for all the lines. */
struct store_rcpt_writer;
int	 store_rcpt_writer_open(struct store *, int64_t campaign,
	    struct store_rcpt_writer **out);
void	 store_rcpt_writer_close(struct store_rcpt_writer *);
/*
 * Adds a planned recipient (phone normalised) unless its contact opted
 * out. > 0 added; 0 not added, with *opted_out 1 when the contact opted
 * out, else 0: the phone is in the campaign already; < 0 error.
 */
int	 store_rcpt_writer_add(struct store_rcpt_writer *, uint64_t line,
	    const char *phone, const char *fields, const char *zone,
	    int *opted_out);

/* One recipient as listed; pointers valid during the callback. */
struct store_rcpt_row {
	int64_t			 id;
	uint64_t		 line;
	const char		*phone;
	enum rcpt_status	 status;
	const char		*reason;
	int64_t			 message;	/* 0 none */
	const char		*updated_at;
	const char		*fields;
	const char		*msg_status;	/* the message's status name, Infobip's when known; "" */
};
/*
 * Calls fn for recipients of a campaign in import order: of status (all
 * when RCPT__MAX), with id above after, at most limit (0: no limit). With
 * a prefix, those whose phone starts with it, in number order, after the
 * number of recipient after (0: from the first). Stops when fn returns 0.
 * > 0 done, < 0 error.
 */
int	 store_campaign_rcpt_each(struct store *, int64_t id,
	    enum rcpt_status status, const char *prefix, int64_t after,
	    int64_t limit, int (*fn)(const struct store_rcpt_row *, void *),
	    void *arg);
/*
 * The campaign over time: per period (substr of updated_at to len
 * characters: 13 an hour, 16 a minute) the recipients that reached each
 * of sent, delivered, failed and replied in it. Calls fn in order. > 0.
 */
int	 store_campaign_series(struct store *, int64_t id, int len,
	    int (*fn)(const char *period, enum rcpt_status, int64_t, void *),
	    void *arg);

/*
 * Marks replied the recipients whose contact answered: the inbound
 * messages past the last mark (at most batch of them), in sessions a
 * campaign's message went to, after that message. One transaction of its
 * own (relaxed durability), none when there is nothing new. > 0 with
 * *replied, 0 when another sender moved the mark meanwhile.
 */
int	 store_campaign_replies(struct store *, int64_t batch, int64_t *replied);

#endif
