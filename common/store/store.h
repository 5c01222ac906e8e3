/* The SQLite store: the only module that holds SQL. */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enums.h"

/*
 * Every function returning int follows one rule: < 0 system error (already
 * logged once), 0 soft outcome (not found, duplicate, refused), > 0 success.
 */

struct store;

#define STORE_ID_LEN	32		/* hex digits of a connection id */
#define STORE_TOKEN_LEN	32		/* hex digits of a Start's claim token */
#define STORE_UID_MAX	64		/* our message id */
#define STORE_OWNER_MAX	128		/* a claim's owner, 'host:pid:start' */
#define STORE_TIME_MAX	32

enum store_open_mode {
	STORE_OPEN_EXISTING,		/* fail when the file is missing */
	STORE_OPEN_CREATE,		/* create and migrate */
	/*
	 * For a verb that only reads: as EXISTING, but read-only (neither
	 * WAL nor migration) when the file or its directory is not
	 * writable; without a -wal beside it (no program has it open), it
	 * is read as it is, without locks.
	 */
	STORE_OPEN_READ,
};

/*
 * Opens the store at path (IBCHANNEL_DB when NULL, else var/ibchannel.db),
 * sets WAL, busy_timeout, foreign keys and the IBCHANNEL_SYNC durability,
 * and applies pending migrations in one transaction. Returns > 0 and *out
 * (close with store_close), 0 when the file does not exist and mode is
 * STORE_OPEN_EXISTING, < 0 on error (also for an IBCHANNEL_SYNC that
 * store_sync_valid refuses; logged, except what store_open_error says,
 * which the caller says: a server refusing or out of reach, a database
 * without a store, a name that is no store's).
 */
int	 store_open(const char *path, enum store_open_mode, struct store **out);
void	 store_close(struct store *);
/*
 * Whether IBCHANNEL_SYNC is unset, empty, "full" or "normal" (any case).
 * 1 yes, 0 with *why (static text); store_open refuses to open otherwise,
 * and the programs check it before they start.
 */
int	 store_sync_valid(const char **why);
/*
 * The store IBCHANNEL_DB names (a file's path or a PostgreSQL URI, which
 * may hold a password: never print it, print store_display_name), or the
 * default, store_default_file.
 */
const char *store_default_path(void);
/*
 * The SQLite file the store is when IBCHANNEL_DB is unset: var/ibchannel.db
 * when the program runs from the build tree, else
 * /var/lib/ibchannel/ibchannel.db. Its directory is also where the key
 * file goes by default when the store is on a server.
 */
const char *store_default_file(void);
/*
 * Whether the store at path (NULL: the default) is on a database server
 * (PostgreSQL), where several senders run at once and share the work,
 * rather than in a file, which one sender at a time writes.
 */
int	 store_on_server(const char *path);
/*
 * The store as logs, pages and messages may name it: a file's path, or a
 * URI without its password. Each thread's own buffer, until its next call.
 */
const char *store_display_name(void);
/*
 * Whether IBCHANNEL_DB can name a store (a file's path or a PostgreSQL
 * URI): 1 yes, 0 with *why (static text) for a name written as another
 * URI. store_open refuses such a name too.
 */
int	 store_name_valid(const char **why);
/*
 * Why this thread's last store_open failed, when the engine gave a reason
 * it did not log (a server that refused or could not be reached, with the
 * reason; a database that holds no store); "" otherwise. No password.
 */
const char *store_open_error(void);
/*
 * Logs that this thread's last store_open failed, naming the store by its
 * display name, with store_open_error's reason: at most once a minute in
 * the process, for programs that try again at every request while the
 * store is away.
 */
void	 store_say_unopened(void);
/*
 * Whether the store's server cannot be reached now (its connection broke
 * and could not be made again; every call fails until it can): 1 yes, 0
 * no, never for a file. The next call tries again.
 */
int	 store_unreachable(struct store *);
/* Schema version after migration. */
int	 store_version(struct store *);
/*
 * The newest schema version these programs know: a store above it is
 * refused at open (db_schema_known). Both engines number their schemas
 * alike (sql/, sql/pg/), so it is one number.
 */
int	 store_schema_newest(void);
/*
 * A number that changes whenever the store's content may have changed
 * (by this connection or another; read at the start of a transaction), so
 * that what was read from it can be kept until then. 0 when unknown.
 */
unsigned int	 store_data_version(struct store *);
/* Whether the store was opened read-only (the file system allows no more). */
int	 store_readonly(struct store *);
/* Last SQLite error text, for messages to people. */
const char *store_errmsg(struct store *);

/*
 * Relaxes the durability of the next transactions to IBCHANNEL_SYNC=normal
 * (relaxed 1), or restores the configured one (0). For work that may be
 * lost on a power failure because it is done again (a claim, an agent's
 * answer not yet sent): a later transaction at the configured level makes
 * it durable too, since the WAL is written in order. Outside a
 * transaction only. > 0 done, < 0 error.
 */
int	 store_sync_relaxed(struct store *, int relaxed);
/*
 * Whether a write failed for want of space on the store's disk
 * (SQLITE_FULL) since the last call; the call forgets it. 1 yes, 0 no.
 */
int	 store_take_disk_full(struct store *);
/*
 * Whether a statement failed since the last call because PostgreSQL broke a
 * deadlock or a serialization conflict: the transaction, rolled back, may
 * be tried again as it was. The call forgets it. 1 yes, 0 no.
 */
int	 store_take_conflict(struct store *);

/* Write transactions: BEGIN IMMEDIATE, COMMIT, ROLLBACK (safe when none is open). */
int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);
/*
 * A part of the open transaction that can be undone alone: savepoint,
 * then savepoint_end keeping it (keep 1) or undoing it (0), so that a
 * side figure that fails to be written never fails the work it rides
 * with. Not nested. > 0 done, < 0 error.
 */
int	 store_savepoint(struct store *);
int	 store_savepoint_end(struct store *, int keep);

/* Connections. */
struct store_connection {
	char	 id[STORE_ID_LEN + 1];
	char	 name[256];
	char	 description[1024];
	char	 api_url[512];
	char	 sender[64];
	char	 api_key_enc[1024];
	enum conn_status status;
	char	 status_message[1024];
	char	 config_snapshot[4096];	/* "" until the first Start */
	char	 created_at[STORE_TIME_MAX];
	char	 updated_at[STORE_TIME_MAX];
};

/*
 * Adds a connection with a fresh random id (written to c->id). > 0 added,
 * 0 refused (its name is taken).
 */
int	 store_connection_add(struct store *, struct store_connection *c);
/*
 * Replaces name, description, api_url, sender and api_key_enc. > 0 saved,
 * 0 unknown id or its name taken.
 */
int	 store_connection_save(struct store *, const struct store_connection *c);
/*
 * Whether a connection not deleted, other than except (NULL: none), is
 * named name: 1 yes, 0 no, < 0 error.
 */
int	 store_connection_name_taken(struct store *, const char *name,
	    const char *except);
/*
 * Marks a connection deleted (the row stays for the messages and sessions
 * that refer to it): erases its API key, detaches its agents, fails what
 * waits in its outbox and closes its open sessions, inside the caller's
 * transaction. > 0 deleted, 0 unknown, or refused because it is not
 * STOPPED or ERROR (nothing changed).
 */
int	 store_connection_delete(struct store *, const char *id);
/* Reads a connection by id. > 0 found, 0 not found (also for malformed ids and deleted connections). */
int	 store_connection_get(struct store *, const char *id, struct store_connection *c);
/* Calls fn for each connection in name order; stops early when fn returns 0. */
int	 store_connection_each(struct store *,
	    int (*fn)(const struct store_connection *, void *), void *arg);
/*
 * Sets status and status message; snapshot replaces the config snapshot
 * unless NULL. Ends any Start under way (its result will be discarded).
 * > 0 changed, 0 unknown id.
 */
int	 store_connection_set_status(struct store *, const char *id,
	    enum conn_status, const char *message, const char *snapshot);
/*
 * Claims connection id for a Start: STARTING with a fresh token (written
 * to token), unless a Start or Stop is under way (STARTING or STOPPING).
 * One conditional UPDATE, so it holds across processes. > 0 claimed, 0
 * refused (under way, or no such connection), < 0 error.
 */
int	 store_connection_start_claim(struct store *, const char *id,
	    char token[STORE_TOKEN_LEN + 1]);
/*
 * Writes a Start's result (status, message, snapshot unless NULL) if the
 * connection is still STARTING under token. > 0 written, 0 discarded (a
 * Stop or another change came meanwhile), < 0 error.
 */
int	 store_connection_start_end(struct store *, const char *id,
	    const char *token, enum conn_status, const char *message,
	    const char *snapshot);
/* Whether s is 32 lowercase hex digits. */
int	 store_id_valid(const char *s);

/* Sets an environment variable of a connection; value NULL deletes it. > 0 done. */
int	 store_env_set(struct store *, const char *conn, const char *name, const char *value);
/* Calls fn(name, value) for each variable of the connection, by name; stops when fn returns 0. */
int	 store_env_each(struct store *, const char *conn,
	    int (*fn)(const char *name, const char *value, void *), void *arg);

/* Agents. */
struct store_agent {
	int64_t	 id;
	char	 name[256];
	enum agent_kind kind;
	char	*instructions;		/* owned by the struct: store_agent_clear */
	char	 url[1024];
	char	 model[256];
	char	 api_key_enc[1024];	/* "" when none */
	enum agent_status status;
	char	 created_at[STORE_TIME_MAX];
};
/* Adds an agent; a->id is set. > 0 added. */
int	 store_agent_add(struct store *, struct store_agent *a);
/* Reads an agent. > 0 found, 0 not found. Free with store_agent_clear. */
int	 store_agent_get(struct store *, int64_t id, struct store_agent *a);
void	 store_agent_clear(struct store_agent *a);
/* Replaces name, kind, instructions, url, model and api_key_enc. > 0 saved, 0 unknown agent. */
int	 store_agent_save(struct store *, const struct store_agent *a);
/* Calls fn for each agent by name (instructions included); stops early when fn returns 0. */
int	 store_agent_each(struct store *,
	    int (*fn)(const struct store_agent *, void *), void *arg);
/* Deletes an agent and its attachments. > 0 deleted, 0 unknown agent. */
int	 store_agent_delete(struct store *, int64_t id);
/* > 0 changed, 0 unknown agent. */
int	 store_agent_set_status(struct store *, int64_t id, enum agent_status);
/*
 * Attaches an agent to a connection. > 0 attached (or updated), 0 refused
 * because another agent already answers the connection's inbound SMS (or
 * the agent or connection does not exist): *why says which.
 */
int	 store_agent_attach(struct store *, int64_t agent, const char *conn,
	    int inbound, const char **why);
/* Detaches an agent from a connection. > 0 detached, 0 it was not attached. */
int	 store_agent_detach(struct store *, int64_t agent, const char *conn);
/* One attachment of an agent; pointers valid during the callback. */
struct store_agent_channel {
	int64_t		 agent;
	const char	*agent_name;
	const char	*conn;
	const char	*conn_name;
	int		 inbound;
};
/* Calls fn for each connection agent is attached to, by connection name. */
int	 store_agent_channel_each(struct store *, int64_t agent,
	    int (*fn)(const struct store_agent_channel *, void *), void *arg);
/* The inbound agent of a connection with its name (namesz bytes). > 0 found, 0 none. */
int	 store_inbound_agent_name(struct store *, const char *conn,
	    int64_t *agent, char *name, size_t namesz);
/*
 * The agent answering a connection's inbound SMS. > 0 found (*agent set,
 * *running 1 when the agent is RUNNING), 0 none attached.
 */
int	 store_inbound_agent(struct store *, const char *conn, int64_t *agent, int *running);

/* Contacts and sessions. */
/* Finds or creates the contact for a normalised "+digits" number. > 0 with *id and *opted_out. */
int	 store_contact_get(struct store *, const char *phone, int64_t *id, int *opted_out);
/* Sets the contact's opt-out flag. > 0 changed. */
int	 store_contact_set_opt_out(struct store *, int64_t contact, int opted_out);
/*
 * Finds the contact's open session on the connection, or opens one. A
 * session idle for longer than timeout_minutes is closed first and never
 * reopened. > 0 with *session (and *opened 1 when new).
 */
int	 store_session_open(struct store *, const char *conn, int64_t contact,
	    int64_t agent, long timeout_minutes, int64_t *session, int *opened);

/* Messages. */
struct store_inbound {
	const char	*conn;
	int64_t		 session;
	int64_t		 contact;
	const char	*infobip_id;
	const char	*from;		/* as Infobip sent it */
	const char	*to;
	const char	*text;
	size_t		 text_len;
	const char	*received_at;	/* normalised, or NULL */
	double		 price;		/* < 0 when absent */
	const char	*currency;	/* NULL when absent */
	int		 sms_count;	/* < 0 when absent */
};
/*
 * Whether the connection already has an inbound message with this Infobip
 * id. > 0 yes, 0 no.
 */
int	 store_inbound_seen(struct store *, const char *conn, const char *infobip_id);
/*
 * Stores an inbound message. > 0 stored (*id set), 0 duplicate (the same
 * connection and Infobip id is already stored).
 */
int	 store_message_insert_inbound(struct store *, const struct store_inbound *, int64_t *id);

/* What store_inbound_store did with one inbound message. */
struct store_inbound_done {
	int64_t		 msg;		/* the message's id (when stored) */
	int64_t		 contact;
	int		 opted_out;	/* the contact's, before this message */
	int64_t		 session;
	int		 queued;	/* 1 queued for the agent, 0 not (opted out, an operator's session), -1 not asked */
};
/*
 * Stores inbound message in (its session and contact are filled in) from
 * phone (normalised): nothing when the connection already has its Infobip
 * id; else the contact (added when new), its open session (touched, or a
 * new one for agent, 0 none, when there is none or it has been idle for
 * more than timeout_minutes), then the message. On PostgreSQL one
 * statement does it all, and, when queue_agent is not 0, also queues the
 * message for that agent if the contact has not opted out and the AI
 * answers the session (d->queued 1 or 0); SQLite runs each step on its
 * own (store_inbound_seen, store_contact_get, store_session_open,
 * store_message_insert_inbound) and never queues (d->queued -1: the
 * caller does). > 0 stored, 0 duplicate, < 0 error (logged).
 */
int	 store_inbound_store(struct store *, struct store_inbound *in,
	    const char *phone, int64_t agent, long timeout_minutes,
	    int64_t queue_agent, struct store_inbound_done *d);
/* One inbound message of a group that store_inbound_store_group stores. */
struct store_inbound_call {
	struct store_inbound	 in;
	const char		*phone;		/* normalised */
	int64_t			 agent;
	long			 timeout_minutes;
	int64_t			 queue_agent;
	/* Set by store_inbound_store_group: */
	struct store_inbound_done d;
	int			 rc;		/* > 0 stored, 0 duplicate */
};
/*
 * store_inbound_store for each of n messages in turn, in one statement
 * and one round trip (PostgreSQL only: SQLite's steps cost no round
 * trip). A failing message fails them all, and the statement's error
 * aborts the transaction: which one failed is not known. > 0 each
 * calls[i].d and .rc set, < 0 error (logged; nothing is known stored).
 */
int	 store_inbound_store_group(struct store *,
	    struct store_inbound_call *calls, size_t n);
/* Whether the store_*_group calls pay (a server, where each statement is a round trip): 1 yes, 0 no. */
int	 store_calls_grouped(const struct store *);
/* Whether store_inbound_store can queue for the agent in the same call (PostgreSQL): 1 yes, 0 no. */
int	 store_inbound_queues(const struct store *);

struct store_outbound {
	const char	*conn;
	int64_t		 session;	/* 0 for none */
	int64_t		 contact;	/* 0 for none */
	const char	*author;	/* agent, operator:NAME, system, campaign */
	const char	*sender;
	const char	*recipient;
	const char	*text;
	const char	*fail_reason;	/* non-NULL: stored 'failed' with this reason, not queued */
	int		 priority;	/* 1: may go to an opted-out contact (the opt-out confirmation) */
};
/*
 * Stores an outbound message with a fresh uid and queues it in the outbox
 * (or stores it failed). > 0 with *id and uid (STORE_UID_MAX bytes). The
 * text is stored as given: producers call outbound_queue (outbound.h),
 * which prepares it as it will be sent.
 */
int	 store_message_insert_outbound(struct store *, const struct store_outbound *,
	    int64_t *id, char *uid);
/* Queues an inbound message for its agent. > 0 queued. */
int	 store_agent_queue_add(struct store *, int64_t message, int64_t session, int64_t agent);
/* A session as operators see it. */
struct store_session {
	int64_t	 id;
	char	 conn[STORE_ID_LEN + 1];
	int64_t	 contact;
	char	 phone[24];
	int	 opted_out;
	char	 responsible[256];	/* "ai" or an operator's username */
	char	 started_at[STORE_TIME_MAX];
	char	 last_at[STORE_TIME_MAX];
	char	 closed_at[STORE_TIME_MAX];	/* "" while open */
	char	 sender[64];		/* the connection's sender */
};
/* Reads a session. > 0 found, 0 not found. */
int	 store_session_get(struct store *, int64_t id, struct store_session *);
/* One line of the session list; pointers valid during the callback. */
struct store_session_row {
	int64_t		 id;
	const char	*conn, *phone, *responsible, *last_at, *last_text;
	int		 open, messages;
};
/* Calls fn for up to limit sessions (of conn, or all when NULL), latest activity first. */
int	 store_session_each(struct store *, const char *conn, int limit,
	    int (*fn)(const struct store_session_row *, void *), void *arg);
/* One message of a conversation; pointers valid during the callback. */
struct store_message_row {
	int64_t		 id;
	const char	*uid;
	const char	*at;		/* created_at */
	enum msg_direction direction;
	const char	*author;
	enum msg_status	 status;
	const char	*reason;	/* status_description: Infobip's, or ours for failed */
	const char	*text;
	const char	*sender, *recipient;
	const char	*infobip_id;	/* "" when none */
	const char	*status_group, *status_name;
	const char	*error_name, *error_description;
	double		 price;		/* < 0 when none */
	const char	*currency;	/* "" when none */
	int		 sms_count;	/* < 0 when none */
	const char	*sent_at, *done_at;	/* "" when none */
	int		 clicks;
};
/* Calls fn for each message of a session, oldest first. */
int	 store_session_messages(struct store *, int64_t session,
	    int (*fn)(const struct store_message_row *, void *), void *arg);
/* Gives an open session to an operator (username) or back to the AI ("ai"). > 0 done, 0 unknown or closed. */
int	 store_session_set_responsible(struct store *, int64_t session,
	    const char *who);
/* Gives an open session to who only while the AI or who itself holds it (one statement, so two operators cannot both take it). > 0 done, 0 unknown, closed or held by another. */
int	 store_session_take_free(struct store *, int64_t session,
	    const char *who);
/* Closes an open session. > 0 closed, 0 unknown or closed already. */
int	 store_session_close(struct store *, int64_t session);
/* The session's collected data (a JSON object) and its contact's name and email. > 0 with *data (malloc'd, the caller frees). */
int	 store_session_data(struct store *, int64_t session, char **data,
	    char *name, size_t namesz, char *email, size_t emailsz);
/* Closes every session idle for longer than timeout_minutes; *closed counts them. */
int	 store_sessions_close_idle(struct store *, long timeout_minutes,
	    long *closed);
/* Whether the AI answers the session (1) or an operator took it over (0). */
int	 store_session_is_ai(struct store *, int64_t session);
/* Touches the session's last activity time. */
int	 store_session_touch(struct store *, int64_t session);

/* Delivery reports and clicks. */
struct store_report {
	const char	*uid;		/* Infobip's messageId = our uid */
	const char	*status;	/* our status: accepted/delivered/undeliverable/expired/rejected */
	const char	*group_name;
	const char	*status_name;
	const char	*status_description;
	const char	*error_name;
	const char	*error_description;
	const char	*infobip_bulk_id;
	double		 price;		/* < 0 when absent */
	const char	*currency;
	int		 sms_count;	/* < 0 when absent */
	const char	*done_at;
	const char	*sent_at;
	const char	*raw;		/* the item as received */
};
/*
 * Keeps the report as a message event and applies it to the message when
 * the connection has a message with that uid (status only moves forward).
 * > 0 a new report: applied (or known but older than the message's
 * status), or kept for later with *pending set because the message is not
 * known yet; 0 the same report was kept before (Infobip sent it again):
 * nothing changes.
 */
int	 store_report_apply(struct store *, const char *conn, const struct store_report *,
	    int *pending);
/*
 * store_report_apply for each of the n reports rs of connection conn in
 * turn, in one statement and one round trip (PostgreSQL only: SQLite's
 * steps cost no round trip). results[i] says what became of rs[i]: 0 a
 * duplicate, 1 applied, 2 kept for later (no such message yet). A failing
 * report fails them all and aborts the transaction. > 0, < 0 error
 * (logged).
 */
int	 store_reports_apply_group(struct store *, const char *conn,
	    const struct store_report *rs, size_t n, int *results);
/* Applies kept reports whose messages now exist. > 0 with *applied set. */
int	 store_reports_apply_pending(struct store *, long *applied);
/*
 * Keeps a click on the connection's outbound message uid as a message
 * event, once per time at and link url. > 0 kept; 0 not kept: the same
 * click was kept before, or no such message (*unknown set).
 */
int	 store_click_add(struct store *, const char *conn, const char *uid, const char *at,
	    const char *url, const char *raw, int *unknown);

/* The outbox. */
struct store_claim {
	int64_t	 message;
	char	 uid[STORE_UID_MAX];
	char	 conn[STORE_ID_LEN + 1];
	char	*recipient;		/* owned: store_claims_free */
	char	*text;
	int	 attempts;		/* this claim's number, from 1 */
	/*
	 * 1: an earlier send may have reached Infobip (it timed out, broke,
	 * got a 5xx or an unreadable answer, or its sender's lease lapsed):
	 * look it up in Infobip's logs before sending again.
	 */
	int	 unsure;
	int	 not_found;		/* unsure: lookups since that did not find it */
	double	 unsure_age;		/* unsure: seconds since that send ended */
	int	 opted_out;		/* 1: the contact opted out since it was queued */
	int	 priority;
};
/*
 * Claims up to max due outbox rows for owner until lease_seconds from now,
 * atomically (two processes never claim the same row). Their messages stay
 * 'queued' until store_outbox_mark_sending, just before their own request:
 * a claim that lapses before it is claimed again as it was, one that
 * lapses after it with unsure set. Rows held for an operator are not
 * claimed. Returns the count claimed (>= 0) with *out (free with
 * store_claims_free), < 0 on error.
 */
int	 store_outbox_claim(struct store *, const char *owner, int lease_seconds,
	    size_t max, struct store_claim **out);
void	 store_claims_free(struct store_claim *, size_t n);
/*
 * Just before the request that sends them, in one transaction: each of the
 * claimed messages ids[0..n) whose claim owner still holds gets its lease
 * renewed for lease_seconds and the status 'sending', so that from now on
 * a crash makes it unsure (looked up in Infobip's logs before any new
 * send); held[i] says whether its claim still held (if not, another sender
 * has it: it must not be sent). Commit it at the configured durability:
 * it is what tells, after a crash, what may have left. > 0 done, < 0 error.
 */
int	 store_outbox_mark_sending(struct store *, const char *owner, int lease_seconds,
	    const int64_t *ids, size_t n, int *held);
/*
 * Gives back at once the claims that never reached their request (the
 * message still 'queued') of every owner for which dead(owner, arg) says
 * the sender is gone, instead of leaving them until their leases lapse.
 * > 0 with *released set, < 0 on error.
 */
int	 store_outbox_release_dead(struct store *,
	    int (*dead)(const char *owner, void *arg), void *arg, long *released);
/*
 * Between store_begin and store_commit, around the sender's results of a
 * batch (store_outbox_done, store_outbox_retry, store_outbox_hold,
 * store_log; nothing else): on SQLite the triggers go off, each message's
 * status change is noted, and store_follow_end turns them on again and
 * does their work for the batch in one statement per count and one for
 * the campaigns' recipients, so the counts are exact at the commit. On
 * PostgreSQL both do nothing (its triggers stay on). > 0 done, < 0 error;
 * store_rollback turns the triggers on again.
 */
int	 store_follow_begin(struct store *);
int	 store_follow_end(struct store *);
/*
 * With hold, store_follow_end leaves SQLite's triggers off when its batch
 * has no campaign recipient to update, and the next store_follow_begin
 * finds them off: each switch makes SQLite prepare every statement again,
 * so a run of batches switches twice instead of twice a window. While
 * held, only follow windows and writes to tables without triggers (not
 * messages, not campaign_recipients) may run; store_follow_hold(st, 0)
 * turns them on again (a rollback does too). > 0, < 0 error.
 */
int	 store_follow_hold(struct store *, int hold);
/*
 * Records what Infobip said of a claimed message and removes it from the
 * outbox: status 'accepted' (with Infobip's ids) or 'failed' (reason).
 */
int	 store_outbox_done(struct store *, int64_t message, const char *status,
	    const char *infobip_id, const char *bulk_id, const char *group_name,
	    const char *status_name, const char *description, int sms_count);
/* One message's store_outbox_done values, for store_outbox_done_group. */
struct store_done {
	int64_t		 message;
	const char	*status, *infobip_id, *bulk_id;	/* ids NULL: none */
	const char	*group_name, *status_name, *description;
	int		 sms_count;			/* < 0: none */
};
/*
 * store_outbox_done for each of d[0..n), in one statement on a server
 * (store_calls_grouped); on SQLite a statement a message and one for the
 * batch's outbox rows. Inside the caller's transaction. > 0 done, < 0
 * error (logged).
 */
int	 store_outbox_done_group(struct store *, const struct store_done *d,
	    size_t n);

/* How a claimed message goes back to the outbox. */
enum store_retry {
	STORE_RETRY_SEND,	/* Infobip did not take it: 'queued', sent at the next try */
	STORE_RETRY_UNSURE,	/* the send just made may have reached Infobip: unsure from now */
	STORE_RETRY_LOOKUP,	/* still unsure (a lookup failed, the connection stopped) */
	STORE_RETRY_NOT_FOUND,	/* still unsure, and one more lookup did not find it */
};
/*
 * Releases a claimed message to be tried again after delay_seconds, with
 * error for operators. Every kind but STORE_RETRY_SEND leaves the message
 * 'sending', so that the next claim looks it up in Infobip's logs first.
 */
int	 store_outbox_retry(struct store *, int64_t message, double delay_seconds,
	    const char *error, enum store_retry);
/*
 * The lookups settled that Infobip does not have a claimed unsure message,
 * which is about to be sent again: its unsure state is cleared, so that a
 * crash during the new send is dated from that send's own lease. > 0 done,
 * 0 when it left the outbox meanwhile (a delivery report settled it).
 */
int	 store_outbox_send_again(struct store *, int64_t message);
/*
 * Releases a claimed unsure message to an operator: no sender claims it
 * again until store_outbox_requeue or store_outbox_done; reason becomes its
 * last error.
 */
int	 store_outbox_hold(struct store *, int64_t message, const char *reason);

/* One outbox row as operators see it. */
struct store_outbox_entry {
	int64_t	 message;
	char	 uid[STORE_UID_MAX];
	char	 conn[STORE_ID_LEN + 1];
	char	 recipient[64];
	/*
	 * queued; sending (a sender holds it now); unsure (an earlier send
	 * may have reached Infobip: being looked up); held (waits for an
	 * operator)
	 */
	char	 state[16];
	int	 attempts;		/* claims so far: each a send or a lookup in Infobip's logs */
	char	 last_error[1024];	/* the last transient error, or why it is held */
	int	 not_found;		/* lookups in Infobip's logs since unsure_since that did not find it */
	char	 unsure_since[STORE_TIME_MAX];	/* "" or when the send whose outcome is unknown ended */
	char	 held_since[STORE_TIME_MAX];	/* "" or since when it waits for an operator */
	char	 next_attempt_at[STORE_TIME_MAX];
};
/* Calls fn for up to limit outbox rows (of conn, or all when NULL), oldest first; stops when fn returns 0. */
int	 store_outbox_each(struct store *, const char *conn, int limit,
	    int (*fn)(const struct store_outbox_entry *, void *), void *arg);
/* As store_outbox_each, for the rows held for an operator or unsure (their message still 'sending') only. */
int	 store_outbox_unsettled_each(struct store *, const char *conn,
	    int limit, int (*fn)(const struct store_outbox_entry *, void *),
	    void *arg);
/*
 * The held and unsure rows a page of limit at a time, oldest first: those
 * after message after (> 0), else the page before message before (> 0),
 * else the first page. Calls fn per row; > 0, < 0 error.
 */
int	 store_outbox_unsettled_page(struct store *, int64_t after,
	    int64_t before, int limit,
	    int (*fn)(const struct store_outbox_entry *, void *), void *arg);
/* How many rows are held or unsure, into *n (a count of two partial indexes). > 0, < 0 error. */
int	 store_outbox_unsettled_count(struct store *, long *n);
/* Reads the outbox row of a message. > 0 found, 0 not in the outbox. */
int	 store_outbox_get(struct store *, int64_t message,
	    struct store_outbox_entry *);
/*
 * Puts a message back as new: 'queued', due now, attempts, unsure state
 * and hold cleared (an operator's resend).
 */
int	 store_outbox_requeue(struct store *, int64_t message);

/* The agent queue: inbound messages waiting for their agent's answer. */
struct store_agent_job {
	int64_t	 message;		/* the inbound message */
	int64_t	 session;
	int64_t	 agent;
	int64_t	 contact;
	char	 conn[STORE_ID_LEN + 1];
	char	 phone[24];		/* the contact, "+digits" */
	char	 sender[64];		/* the connection's sender */
	char	*text;			/* owned: store_agent_jobs_free */
	char	*session_data;		/* owned; JSON object of collected fields */
	int	 collect_step;
	int	 ai;			/* 0: an operator took the session over */
	int	 opted_out;		/* the contact opted out since */
	int	 agent_running;
};
/*
 * Claims up to max queued messages for owner until lease_seconds from now
 * (a lapsed lease is claimed again). Returns the count (>= 0) with *out
 * (free with store_agent_jobs_free), < 0 on error.
 */
int	 store_agent_queue_claim(struct store *, const char *owner,
	    int lease_seconds, size_t max, struct store_agent_job **out);
void	 store_agent_jobs_free(struct store_agent_job *, size_t n);
/*
 * Removes an answered (or unanswerable) message from the queue while owner
 * still holds its claim: > 0 removed, 0 not owner's any more (its claim
 * lapsed and another sender took it: that one answers), < 0 error.
 */
int	 store_agent_queue_done(struct store *, int64_t message,
	    const char *owner);
/* One agent reply of store_agent_replies_group: its job and the message it queues. */
struct store_reply {
	int64_t			 job;	/* the answered message (its queue row) */
	struct store_outbound	 o;	/* the reply, its text prepared (outbound_queue) */
	char			 uid[STORE_UID_MAX];	/* set: the reply's uid */
	int			 kept;	/* set: 0 the claim lapsed, another sender answers */
	int			 ai;	/* set: 0 an operator took the session over */
};
/*
 * On a server (store_calls_grouped) only, inside the caller's transaction,
 * in one statement: for each of r[0..n), what store_agent_queue_done,
 * store_session_is_ai and store_message_insert_outbound do in turn, the
 * reply queued only when the job was still owner's and the AI still
 * holds the session, as the agent's (author and priority of r[i].o are
 * not read: 'agent', 0); each r[i].uid, .kept and .ai set. > 0, < 0
 * error (logged).
 */
int	 store_agent_replies_group(struct store *, const char *owner,
	    struct store_reply *r, size_t n);
/*
 * Calls fn(inbound, text) for up to limit messages of the session before
 * message id before, oldest first.
 */
int	 store_session_history(struct store *, int64_t session, int64_t before,
	    int limit, int (*fn)(int inbound, const char *text, void *), void *arg);
/* Saves the fields an agent collected in a session (data NULL keeps them) and its collection step. */
int	 store_session_save_data(struct store *, int64_t session,
	    const char *data, int collect_step);
/* Saves collected contact fields: name and email when not "", data (JSON object, may be NULL) merged in. */
int	 store_contact_save_fields(struct store *, int64_t contact,
	    const char *name, const char *email, const char *data);

/* Per-connection log; text is escaped to one line. conn may be NULL. */
int	 store_log(struct store *, const char *conn, const char *level,
	    const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/*
 * Logs an entry that may repeat often, counted: the entries of one kind (a
 * short fixed string, e.g. "not JSON") for one event and connection within
 * a minute share one row (the first one's text) whose repeats grows, so
 * that a flood of refused requests, or of messages nobody answers, cannot
 * grow the log without bound. > 0 done.
 */
int	 store_log_counted(struct store *, const char *conn, const char *level,
	    const char *event, const char *kind, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* One entry of a connection's log; pointers valid during the callback. */
struct store_log_row {
	int64_t			 id;
	const char		*at;
	enum conn_log_level	 level;
	const char		*event;
	const char		*text;
	int			 repeats;	/* how many times it happened (counted entries) */
};
/*
 * Calls fn for up to limit entries of the connection's log, newest first:
 * of level and the more severe ones (CLOG__MAX: all), of event (NULL:
 * all), older than entry before (0: from the newest).
 */
int	 store_log_each(struct store *, const char *conn, enum conn_log_level level,
	    const char *event, int64_t before, int limit,
	    int (*fn)(const struct store_log_row *, void *), void *arg);

/* Users of the admin: adds one or changes its role. > 0 done. */
int	 store_user_set(struct store *, const char *username, enum user_role);
/* > 0 with *role, 0 unknown user. */
int	 store_user_role(struct store *, const char *username, enum user_role *role);
/* Deletes a user. > 0 deleted, 0 unknown. */
int	 store_user_delete(struct store *, const char *username);
/* How many users have role admin. >= 0 the count, < 0 error. */
int	 store_user_admins(struct store *);
/* One user; pointers valid during the callback. */
struct store_user_row {
	const char	*username;
	enum user_role	 role;
	const char	*created_at;
};
/* Calls fn for each user by name. */
int	 store_user_each(struct store *,
	    int (*fn)(const struct store_user_row *, void *), void *arg);

/* Reads a stored setting into buf. > 0 with the value, 0 unset. Use settings_get (settings.h), which knows defaults. */
int	 store_setting_get(struct store *, const char *name, char *buf, size_t bufsz);
/* Adds or replaces a setting. > 0 done. */
int	 store_setting_set(struct store *, const char *name, const char *value);
/* Removes a stored setting (its default applies again). > 0 done. */
int	 store_setting_unset(struct store *, const char *name);

/*
 * The key check (sql/003-key-check.sql): a fixed text sealed under the
 * key file that belongs to the store. get: > 0 with the value, 0 none
 * yet. set: writes it; replace 0 keeps a value already there (another
 * process may have just written one: read it back), 1 replaces it. > 0 done.
 */
int	 store_key_check_get(struct store *, char *buf, size_t bufsz);
int	 store_key_check_set(struct store *, const char *value, int replace);
/* Calls fn for each encrypted secret in the store (connection and agent API keys); stops when fn returns 0. */
int	 store_secret_each(struct store *, int (*fn)(const char *enc, void *),
	    void *arg);

/* --- operations (ops_backup, ops_check, the sender's retention) --- */

/* Records that the part name ("sender", "health") works, now. > 0 done. */
int	 store_heartbeat(struct store *, const char *name);
/* When a part last recorded it works. */
struct store_heartbeat {
	char	 at[STORE_TIME_MAX];	/* UTC 'YYYY-MM-DD HH:MM:SS' */
	double	 age_s;			/* seconds ago */
	double	 unix_s;		/* as a Unix time */
};
/* > 0 with *hb, 0 never recorded (hb zeroed), < 0 error. */
int	 store_heartbeat_get(struct store *, const char *name,
	    struct store_heartbeat *hb);

/*
 * The standbys of a store on a server, as its primary sees them: how many
 * stream from it, and how many of those its commits wait for
 * (synchronous). Read for /health and the metrics, never per request.
 */
struct store_replication {
	int	 standbys;
	int	 synchronous;
};
/* > 0 with *out, 0 not applicable (a file: no standby), < 0 error. */
int	 store_replication(struct store *, struct store_replication *out);

/*
 * Adds n requests that program answered on route with status to their
 * cumulative count (request_counts). > 0 done, < 0 error.
 */
int	 store_requests_add(struct store *, const char *program,
	    const char *route, int status, int64_t n);
/*
 * Adds to the latency series name/label: counts[i] waits to the bucket
 * whose upper bound is le[i] (zeros are skipped), and n waits of sum
 * seconds in all to its totals (latency_buckets, latency_sums). > 0 done,
 * < 0 error.
 */
int	 store_latency_add(struct store *, const char *name, const char *label,
	    const double *le, const int64_t *counts, size_t nbuckets, int64_t n,
	    double sum);

/* What retention removes. */
enum store_retain {
	STORE_RETAIN_MESSAGES,	/* messages (not those still in the outbox or agent queue) */
	STORE_RETAIN_EVENTS,	/* delivery reports and clicks (message_events) */
	STORE_RETAIN_LOGS,	/* the connections' logs */
};
/*
 * Removes in one short transaction the rows of kind what created before
 * cutoff (UTC 'YYYY-MM-DD HH:MM:SS') among the next batch rows after
 * *cursor (id order; start at 0), and moves *cursor past them. A batch
 * without an old row ends the pass: ids grow with time. *removed says how
 * many went, *held_ms how long the transaction held the write lock (0
 * when there was none; each is also logged at debug level). Returns > 0
 * when there may be more, 0 when done (also when another sender removes
 * rows of this kind at that moment: the pass is left to that one), < 0 on
 * error (nothing of the batch removed).
 */
int	 store_retain_batch(struct store *, enum store_retain what,
	    const char *cutoff, int batch, int64_t *cursor, long *removed,
	    double *held_ms);
/*
 * Folds the changes PostgreSQL's triggers appended to the *_deltas tables
 * into the counts the admin reads (sql/019-counts.sql), in one short
 * transaction, one sender at a time. On SQLite there are never any.
 * > 0 folded, 0 nothing to fold (or another sender folds now), < 0 error
 * (nothing folded).
 */
int	 store_counts_fold(struct store *);

/* --- the store as a file (db_sqlite_file.c) --- */

/*
 * Run as root, becomes the owner of the store at path (NULL: the default;
 * before init, of the directory that will hold it), with its group, so
 * that every file made beside it (lock file, -wal/-shm, backups) is the
 * owner's and a later run as that owner can use it. A store root owns
 * keeps root. Does nothing when not root. inputs 1 changes the effective
 * ids only, so that store_input_open still reads what root named (the
 * command line: an API key file in /root); 0 for good (the FastCGI
 * programs). > 0 done, < 0 it could not change user (why says; the
 * program must not go on).
 */
int	 store_run_as_owner(const char *path, int inputs, char *why,
	    size_t whysz);
/*
 * Opens for reading a file the operator named (an input, not beside the
 * store) with the rights the program was started with; NULL with errno.
 */
FILE	*store_input_open(const char *path);
/*
 * Copies the store into a new file at path with SQLite's online backup
 * (one consistent moment; writers go on meanwhile). The file appears
 * whole or not at all, mode 0600 (0640 when the store lets its group
 * read), with the store's group. > 0 done, 0 refused (why says: path
 * exists already, or the store is on a server, whose own tools back it
 * up), < 0 error (logged).
 */
int	 store_backup(struct store *, const char *path, char *why,
	    size_t whysz);
/* What store_restore did. */
struct store_restored {
	char	 kept[4096];	/* where the replaced store is kept */
	int64_t	 unsure;	/* messages to be looked up before any new send */
	int64_t	 paused;	/* scheduled or running campaigns paused */
	int	 version;	/* the backup's schema version (then migrated) */
};
/*
 * Replaces the store at path (NULL: the default) with a copy of backup,
 * refused (0, why) while another program has the store open, when backup
 * is not a sound ibchannel store (integrity_check, schema version), or is
 * the store itself. The copy gets the store's owner, group and mode; it is
 * migrated, and every message it still had to send becomes unsure (its
 * messages 'sending', looked up in Infobip's logs before any new send),
 * since it may have gone out after the backup. The replaced store is kept
 * beside it (r->kept). > 0 done, 0 refused, < 0 error (why says).
 */
int	 store_restore(const char *path, const char *backup,
	    struct store_restored *r, char *why, size_t whysz);
/*
 * What store_restore does to its copy, for a store put back by other means
 * (pg_restore, a file copied by hand): every message it still had to send
 * becomes unsure (looked up in Infobip's logs before any new send) and its
 * scheduled and running campaigns are paused, in one transaction. > 0 with
 * *unsure and *paused, < 0 error (nothing changed).
 */
int	 store_restore_marks(struct store *, int64_t *unsure, int64_t *paused);
/* How often store_copy_to_server says how far a table's copy is. */
#define COPY_PROGRESS_ROWS	50000
/* What store_copy_to_server did. */
struct store_copied {
	char	 source[512];	/* the store, as shown (set before the first table) */
	char	 target[512];	/* the database, as shown: no password */
	int	 version;	/* the schema's version on both sides */
	size_t	 tables;	/* tables copied */
	int64_t	 rows;		/* rows copied, all tables */
};
/*
 * Copies the SQLite store at path (NULL: the default) into the empty
 * PostgreSQL database at uri: the schema (the kit's, as init makes it),
 * then every table's rows with their ids, in one transaction there, and
 * each identity set past the largest id copied. Refused (0, why) when
 * path is no SQLite store or uri no PostgreSQL URI, while another program
 * has the store open (it stays locked for the copy, so nothing writes
 * it), when the store fails integrity_check or foreign_key_check, when
 * its schema is not the version PostgreSQL's schema is, when the
 * database holds any of the store's tables already, or when a table or
 * column of one side is missing from the other. Before the commit each
 * table's rows are counted on both sides, and each column's non-NULL
 * values and sum (integers) or total length (text) compared: any
 * difference is an error and nothing stays. progress (may be NULL) is
 * called with a table's rows so far every COPY_PROGRESS_ROWS rows (done
 * 0), and once when the table is copied (done 1). Sealed values (API keys) are
 * copied as they are. > 0 done with *r, 0 refused, < 0 error (why).
 */
int	 store_copy_to_server(const char *path, const char *uri,
	    void (*progress)(const char *table, int64_t rows, int done, void *),
	    void *arg, struct store_copied *r, char *why, size_t whysz);
/*
 * Runs the engine's check of the store; its lines (up to outsz) go to
 * out. SQLite's is PRAGMA integrity_check; PostgreSQL's asks the catalogs
 * for what an interrupted restore or a change by hand leaves (constraints
 * not validated, indexes not valid, disabled triggers, checksum failures,
 * schema_version not one row). 1 the store is sound ("ok"), 0 it found
 * problems, < 0 error.
 */
int	 store_integrity(struct store *, char *out, size_t outsz);

#endif
