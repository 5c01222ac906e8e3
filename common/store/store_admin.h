/* The admin's reads: lists paged on indexed keys, the conversation, the dashboard (the store's second file). */
#ifndef STORE_ADMIN_H
#define STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Every function follows store.h's rule: < 0 error (logged), 0 not found,
 * > 0 done. The row pointers handed to a callback are valid only during
 * the call; a callback returning 0 stops the walk.
 */

/*
 * Which entries of a connection's log: newest first, before id before (0:
 * from the newest), of exactly one level (CLOG__MAX: any) and one event.
 */
struct store_log_filter {
	const char		*conn;
	enum conn_log_level	 level;
	const char		*event;		/* NULL: any */
	int64_t			 before;
	int			 limit;
};
int	 store_admin_logs(struct store *, const struct store_log_filter *,
	    int (*fn)(const struct store_log_row *, void *), void *arg);
/* The latest entry of event on the connection whose text starts with prefix, among its last 100. > 0 found. */
int	 store_admin_log_last(struct store *, const char *conn,
	    const char *event, const char *prefix, char *at, size_t atsz,
	    char *text, size_t textsz);

/* One agent in the list. */
struct store_agent_row {
	int64_t		 id;
	const char	*name, *kind, *status;
	const char	*channels;	/* "Line A (inbound), Line B" or "" */
};
/* Every agent, A to Z. */
int	 store_admin_agents(struct store *,
	    int (*fn)(const struct store_agent_row *, void *), void *arg);

/* One agent attached to one connection. */
struct store_attach_row {
	int64_t		 agent;
	const char	*agent_name, *agent_status, *agent_kind;
	const char	*conn, *conn_name, *conn_sender, *conn_status;
	int		 inbound;
};
/* The attachments of an agent (0: any) and of a connection (NULL: any), by connection name. */
int	 store_admin_attachments(struct store *, int64_t agent,
	    const char *conn,
	    int (*fn)(const struct store_attach_row *, void *), void *arg);

/* Session list filters; unset fields filter nothing. */
enum store_session_state {
	STORE_SESSIONS_ANY,
	STORE_SESSIONS_OPEN,
	STORE_SESSIONS_CLOSED,
};
struct store_session_filter {
	const char			*conn;		/* NULL: any */
	int64_t				 contact;	/* 0: any */
	enum store_session_state	 state;
	const char			*from;		/* 'YYYY-MM-DD': last activity on or after; NULL: any */
	const char			*to;		/* 'YYYY-MM-DD': last activity on or before; NULL: any */
	const char			*cur_at;	/* keyset cursor: rows strictly after (cur_at, cur_id) */
	int64_t				 cur_id;	/* in the list's order; NULL/0: the first page */
	int				 limit;
	const char			*phone_prefix;	/* '+' and digits, the contact's number begins so; NULL/"": any */
	int				 waiting;	/* 1: only sessions waiting for an operator (open, last message from the customer, no AI on it) */
	const char			*responsible;	/* "ai" or a username; NULL/"": any */
	const char			*words;		/* store_search_words's output: sessions with a message holding them all; NULL/"": any */
};
/* One line of the session list. */
struct store_session_line {
	int64_t		 id;
	const char	*conn, *conn_name, *phone, *agent, *responsible;
	const char	*started_at, *last_at, *last_text, *channel_type;
	int		 open;
};
/* Sessions matching f, latest activity first, at most f->limit. */
int	 store_admin_sessions(struct store *, const struct store_session_filter *,
	    int (*fn)(const struct store_session_line *, void *), void *arg);
/* Where a search's page starts, and what it could not look at. */
struct store_search_page {
	int64_t	 before;	/* in: messages before this id; 0: the newest */
	int64_t	 next;		/* out: the next page's before; 0: no more matches */
	int	 cut;		/* out: 1 when the page ended on its budget of messages, not full */
	long	 behind;	/* out: SQLite: messages not yet indexed that no search reads (0: none) */
};
/*
 * The sessions of the messages holding f->words, newest match first, each
 * once a page, with the list's other filters (f's cursor is not used:
 * sp->before is the search's). Reads the full-text index and, on SQLite,
 * the newest messages it has not taken yet; never writes. A page looks at
 * a bounded number of matching messages (sp->cut), so a common word costs
 * no more than a rare one. Calls fn per session; > 0, < 0 error.
 */
int	 store_admin_search(struct store *, const struct store_session_filter *,
	    struct store_search_page *,
	    int (*fn)(const struct store_session_line *, void *), void *arg);

/*
 * The words of a search, at most STORE_SEARCH_WORDS_MAX of at most
 * STORE_SEARCH_WORD_MAX bytes each. The search finds the messages that
 * hold every word, the last one as a prefix (so "deliv" finds
 * "delivery"), without regard to case; a word is letters and digits
 * (any character past ASCII counts as one), and everything else (spaces,
 * punctuation, quotes, operators of either engine's query language,
 * control characters, bytes that are not UTF-8) only parts words. Writes
 * them into out separated by single spaces. 1 with words, 0 with none
 * ("" in out).
 */
/*
 * Indexes up to limit messages stored since the full-text index's mark
 * (SQLite: new messages are not indexed as they are stored, sql/018;
 * PostgreSQL's index follows every insert, so there it does nothing).
 * > 0 with *indexed rows, 0 nothing pending, < 0 error.
 */
int	 store_search_catch_up(struct store *, long limit, long *indexed);
#define STORE_SEARCH_WORDS_MAX	8
#define STORE_SEARCH_WORD_MAX	64
#define STORE_SEARCH_MAX	(STORE_SEARCH_WORDS_MAX * (STORE_SEARCH_WORD_MAX + 1))
int	 store_search_words(const char *in, char *out, size_t outsz);

/* A session with what its page shows above the conversation. */
struct store_session_info {
	int64_t	 id, contact, agent;
	char	 conn[STORE_ID_LEN + 1];
	char	 conn_name[256];
	char	 sender[64];
	char	 phone[24];
	char	 contact_name[256];
	char	 contact_email[256];
	int	 opted_out;
	char	 agent_name[256];
	char	 responsible[256];
	char	 channel_type[32];
	char	 started_at[STORE_TIME_MAX];
	char	 last_at[STORE_TIME_MAX];
	char	 closed_at[STORE_TIME_MAX];	/* "" while open */
	long	 messages;
	char	 campaign[64];	/* the campaign that started it, "" none */
	char	*data;		/* the session's collected fields, JSON; free with store_session_info_clear */
	char	*contact_data;	/* the contact's other fields, JSON */
};
int	 store_admin_session_info(struct store *, int64_t id,
	    struct store_session_info *);
void	 store_session_info_clear(struct store_session_info *);

/* One message of a conversation. */
struct store_message_line {
	int64_t		 id;
	const char	*uid, *at, *direction, *author, *status;
	const char	*status_name, *reason, *error, *text;
	const char	*sent_at, *done_at, *currency;
	double		 price;		/* < 0 when none was reported */
	int		 sms_count;	/* < 0 when unknown */
	int		 clicks;
};
/*
 * Up to limit messages of the session before message id before (0: the
 * latest), oldest first: the latest page of the conversation.
 */
int	 store_admin_messages(struct store *, int64_t session, int64_t before,
	    int limit, int (*fn)(const struct store_message_line *, void *),
	    void *arg);
/* Up to limit messages of the session after message id after, oldest first: what a page showing up to after lacks. */
int	 store_admin_messages_after(struct store *, int64_t session,
	    int64_t after, int limit,
	    int (*fn)(const struct store_message_line *, void *), void *arg);

/* One connection's messages on one day (the dashboard rollup). */
struct store_day_row {
	const char	*conn, *conn_name, *day, *currency;
	long		 received, sent, delivered, not_delivered;
	double		 spend;
};
/*
 * Recomputes the dashboard's rollup (message_daily) for the last days days
 * (today included) from the messages: read without the write lock, then
 * the few rows written in one short transaction. The sender calls it every
 * minute, off the webhooks' path (triggers on messages cost every insert
 * and status change a third of its time). When another sender writes them
 * at that moment (PostgreSQL), this one leaves it to that one. > 0 done,
 * < 0 error.
 */
int	 store_admin_daily_refresh(struct store *, int days);
/* Days from since ('YYYY-MM-DD') on, by day then connection. */
int	 store_admin_days(struct store *, const char *since,
	    int (*fn)(const struct store_day_row *, void *), void *arg);

/* The queues: depth and the age of what waits longest. */
struct store_queue_stats {
	long	 outbox;		/* outbound messages not yet answered by Infobip */
	double	 outbox_oldest_s;	/* age of the oldest, seconds (0 when empty) */
	long	 agent_queue;		/* inbound messages waiting for their agent */
	double	 agent_oldest_s;
	char	 rollup_at[32];		/* when the sender last refreshed the per-day figures ("" never) */
};
int	 store_admin_queues(struct store *, struct store_queue_stats *);

/* The contact with this "+digits" number. > 0 with *id, 0 none. */
int	 store_admin_contact_find(struct store *, const char *phone, int64_t *id);

/* Figures for /admin/metrics, each a set of rows of up to two labels and a value. */
enum store_metric {
	STORE_METRIC_MESSAGES,		/* messages by direction and status */
	STORE_METRIC_OUTBOX,		/* outbox rows by state (queued, unsure, held) */
	STORE_METRIC_CONNECTIONS,	/* connections by status */
	STORE_METRIC_REPORTS_WAITING,	/* delivery reports kept for a message not seen yet */
};
/* Calls fn(label1, label2, value) for each row of the metric ("" for no label); stops when fn returns 0. */
int	 store_admin_metric(struct store *, enum store_metric,
	    int (*fn)(const char *, const char *, double, void *), void *arg);
/*
 * Calls fn(program, route, status, count) for each cumulative request
 * count (request_counts), in that order; stops when fn returns 0.
 */
int	 store_admin_requests(struct store *,
	    int (*fn)(const char *, const char *, int, int64_t, void *),
	    void *arg);
/* One row of a latency series: its totals and one of its buckets. */
struct store_latency_row {
	char	 label[64];
	int64_t	 count;		/* waits of the series (its label) in all */
	double	 sum;		/* their seconds */
	int	 has_bucket;	/* 0: the series has no bucket row yet */
	double	 le;		/* the bucket's upper bound (INFINITY: the last) */
	int64_t	 bucket_count;	/* waits in that bucket alone */
};
/*
 * Calls fn for each bucket of each label of the latency series name
 * (latency_sums, latency_buckets), ordered by label, then bound; stops
 * when fn returns 0.
 */
int	 store_admin_latency(struct store *, const char *name,
	    int (*fn)(const struct store_latency_row *, void *), void *arg);

/*
 * Keeps a page (body, sealed by the caller) to show user once at path
 * under a new random id (written to id), deleting notices older than an
 * hour. > 0 kept, < 0 error.
 */
int	 store_admin_notice_put(struct store *, char id[STORE_ID_LEN + 1],
	    const char *user, const char *path, const char *body);
/*
 * Takes (reads and deletes) user's notice id at path into *body (caller
 * frees). > 0 taken, 0 none (shown already, expired, another user's or
 * page's), < 0 error.
 */
int	 store_admin_notice_take(struct store *, const char *id,
	    const char *user, const char *path, char **body);

#endif
