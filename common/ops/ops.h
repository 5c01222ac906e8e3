/* Operator actions: one function per action, called alike by the command line and the admin. */
#ifndef OPS_H
#define OPS_H

#include <stddef.h>
#include <stdint.h>

#include "enums.h"
#include "secret.h"
#include "store.h"

struct ib_client;

/*
 * THE CONVENTION
 *
 * Every action takes the actor (struct ops) first and a struct ops_error
 * last, and returns the store's tri-state: < 0 system error (logged once;
 * err says "store error" for people), 0 refused (err says why, and which
 * form fields are at fault), > 0 done. Each action is one transaction, or
 * none: on anything but > 0 nothing was changed. Programs never open a
 * transaction themselves (docs/ARCHITECTURE.md, Layers and their rules).
 *
 * err is always reset at entry, so after > 0 it is empty unless the
 * action says otherwise (ops_send, ops_session_reply: done, with a
 * warning). A form action checks every field it is given before it
 * refuses, so a page can show each field's problem next to it.
 *
 * Strings given are borrowed for the call. Secrets (API keys) are given
 * in plaintext and stored encrypted; they never reach a log, an error
 * text or a view: views show them masked (secret_mask: last four
 * characters).
 */

/* What kind of refusal, so that callers map it once: exit status, HTTP status. */
enum ops_outcome {
	OPS_OK,			/* done (perhaps with a warning) */
	OPS_INVALID,		/* bad input: exit 2, HTTP 400, errors by the fields */
	OPS_NOT_FOUND,		/* unknown id or name: exit 1, HTTP 404 */
	OPS_REFUSED,		/* not in this state (RUNNING, closed...): exit 1, HTTP 409 */
	OPS_FAILED,		/* system error (the < 0 return): exit 1, HTTP 500 */
};

#define OPS_PROBLEMS_MAX	8

/* One problem: the form field it is about (NULL: the action as a whole) and one line for people. */
struct ops_problem {
	const char	*field;
	char		 text[256];
};

/*
 * What went wrong, or the warning of a done action. Field names are those
 * of the forms: connection "name", "description", "api_key", "api_url",
 * "sender"; environment "name", "value"; agent "name", "kind",
 * "instructions", "url", "model", "api_key"; send "connection", "to",
 * "text"; user "username", "role"; settings "name", "value"; an id given
 * to an action is "id".
 */
struct ops_error {
	enum ops_outcome	 kind;
	size_t			 n;		/* problems in p, at most OPS_PROBLEMS_MAX */
	struct ops_problem	 p[OPS_PROBLEMS_MAX];
};

/* The first problem's text: what a command line prints; "" when none. */
const char	*ops_error_text(const struct ops_error *);
/* The text of the problem with field, NULL when that field is fine: what a form shows next to it. */
const char	*ops_error_for(const struct ops_error *, const char *field);

/*
 * Who acts, and with what. All borrowed from the caller for the call.
 * key: the key file's key (config_load_key), NULL when not loaded: the
 * actions that read or write a secret refuse (OPS_FAILED). ib: the
 * Infobip client, needed by ops_connection_start only. user: the operator
 * ("cli" on the command line, REMOTE_USER in the admin), named in the
 * connection's log and as the author of what they send.
 */
struct ops {
	struct store		*st;
	const unsigned char	*key;
	struct ib_client	*ib;
	const char		*user;
};

/*
 * What a role may do. The admin checks before it calls an action; the
 * command line acts with every right.
 */
enum ops_right {
	OPS_READ,		/* see anything (secrets masked) */
	OPS_SESSIONS,		/* take over, reply, hand back, close sessions; resend or fail outbox messages */
	OPS_CONFIGURE,		/* everything else: connections, agents, users, settings, send */
};
/* 1 when role may, else 0. */
int	 ops_role_may(enum user_role, enum ops_right);

/* --- Connections -------------------------------------------------------- */

/*
 * The connection form. On add, every field but description is required.
 * On edit, NULL keeps a field as stored; api_key also keeps the stored key
 * when it is the masked form shown (what the form was filled with), and a
 * new value replaces it (a leaked key is replaced under the same id). The
 * API URL may omit https:// (it is added; plain http only for loopback).
 */
struct ops_connection_form {
	const char	*name;
	const char	*description;
	const char	*api_key;
	const char	*api_url;
	const char	*sender;
};

/*
 * Adds a connection, STOPPED. > 0 with its new id (STORE_ID_LEN + 1
 * bytes). A name is unique among the connections not deleted: add and
 * edit refuse another connection's name on "name" (the database's index
 * holds it too, sql/023-connection-names.sql).
 */
int	 ops_connection_add(const struct ops *, const struct ops_connection_form *,
	    char *id, struct ops_error *);
/*
 * Saves an edited connection. A RUNNING connection keeps sending with the
 * snapshot taken at its Start: the edit applies at the next Start
 * (ops_connection_view.restart_needed says so).
 */
int	 ops_connection_edit(const struct ops *, const char *id,
	    const struct ops_connection_form *, struct ops_error *);
/*
 * Deletes a connection: refused while it is STARTING, RUNNING or STOPPING
 * (stop it first). The row stays, marked deleted (connections.deleted_at),
 * since its messages and sessions refer to it and stay for analysts; its
 * API key is erased, its agents detached, and what waited in its outbox
 * is marked failed. A deleted connection is not found by any action, list
 * or webhook.
 */
int	 ops_connection_delete(const struct ops *, const char *id,
	    struct ops_error *);
/*
 * Start (connection_start; docs/ARCHITECTURE.md, Connection lifecycle): STARTING, then RUNNING with a
 * snapshot of the saved configuration, or ERROR. > 0 RUNNING with msg (for
 * people; a second line warns when Infobip cannot reach the public URL),
 * 0 ERROR (err holds the reason, also the status message), unknown, or
 * refused: a Start or Stop already under way (OPS_REFUSED on field "id";
 * nothing changed), or a Stop came while Infobip was being asked (the
 * check's result is logged and discarded; the connection stays STOPPED).
 */
int	 ops_connection_start(const struct ops *, const char *id, char *msg,
	    size_t msgsz, struct ops_error *);
/* Stop: STOPPING, then STOPPED. */
int	 ops_connection_stop(const struct ops *, const char *id,
	    struct ops_error *);

/* A connection as operators see it. */
struct ops_connection_view {
	struct store_connection	 c;		/* api_key_enc is the sealed key */
	char			 api_key_masked[64];	/* "****abcd", or why it cannot be shown */
	int			 restart_needed;	/* RUNNING, and the saved configuration differs from its snapshot */
	int64_t			 inbound_agent;	/* the agent answering its inbound SMS, 0 none */
	char			 inbound_agent_name[256];
	int			 alnum_sender;	/* the sender is a name: customers cannot reply */
};
/*
 * How messages name a connection: its name and the first eight digits of
 * its id, '"Demo" (44de770c)', into buf. Names are unique among the
 * connections not deleted, the id tells a deleted one from its successor.
 */
void	 ops_connection_label(const struct store_connection *, char *buf,
	    size_t bufsz);
/* Reads one connection. 0 unknown. */
int	 ops_connection_get(const struct ops *, const char *id,
	    struct ops_connection_view *, struct ops_error *);
/* The saved connection as its form shows it (the key masked); of borrows from v. */
void	 ops_connection_form_of(const struct ops_connection_view *v,
	    struct ops_connection_form *of);
/* Calls fn for each connection, by name (A-Z); stops when fn returns 0. */
int	 ops_connection_each(const struct ops *,
	    int (*fn)(const struct ops_connection_view *, void *), void *arg);
/*
 * The same reads for a page that shows a connection's name and state
 * only: the stored row (c.api_key_enc stays sealed), no key decrypted, no
 * snapshot compared. ops_connection_row: 0 unknown.
 */
int	 ops_connection_row(const struct ops *, const char *id,
	    struct store_connection *c, struct ops_error *);
int	 ops_connection_each_row(const struct ops *,
	    int (*fn)(const struct store_connection *, void *), void *arg);
/*
 * Warnings about a connection for its panel, one per line into buf:
 * an alphanumeric sender with an inbound agent, a public URL that Infobip
 * cannot reach, a saved configuration the running one does not use yet.
 * > 0 with buf ("" when there is nothing to say).
 */
int	 ops_connection_warnings(const struct ops *,
	    const struct ops_connection_view *, char *buf, size_t bufsz);

/* What the Logs button shows. level: that level and the more severe ones (CLOG__MAX: all). */
struct ops_log_filter {
	enum conn_log_level	 level;
	const char		*event;		/* NULL: every event */
	int			 limit;		/* 1..10000 */
	int64_t			 before;	/* entries older than this id (paging), 0: the newest */
};
/* Calls fn for the connection's log entries, newest first. 0 unknown connection or bad filter. */
int	 ops_connection_logs(const struct ops *, const char *id,
	    const struct ops_log_filter *,
	    int (*fn)(const struct store_log_row *, void *), void *arg,
	    struct ops_error *);

/* Access information: the docs page and the webhook URLs to give Infobip. */
struct ops_urls {
	char		 docs[1200];
	char		 sms[1200];
	char		 reports[1200];
	char		 clicks[1200];
	const char	*warning;	/* NULL when Infobip can reach them, else why not (static) */
};
/* > 0 with urls (paths only, without a base, when the public URL is unset), 0 unknown. */
int	 ops_connection_urls(const struct ops *, const char *id, struct ops_urls *,
	    struct ops_error *);

/* --- Environment variables of a connection (applied at the next Start) -- */

int	 ops_env_set(const struct ops *, const char *conn, const char *name,
	    const char *value, struct ops_error *);
/* Removes a variable; removing one that is not set is done too. */
int	 ops_env_unset(const struct ops *, const char *conn, const char *name,
	    struct ops_error *);
/* Calls fn(name, value) for each variable, by name. 0 unknown connection. */
int	 ops_env_each(const struct ops *, const char *conn,
	    int (*fn)(const char *name, const char *value, void *), void *arg,
	    struct ops_error *);

/* --- Agents ------------------------------------------------------------- */

/*
 * The agent form: name, kind ("rules", "http", "openai"), instructions
 * (rules text or system prompt; a rules text is checked), url (http and
 * openai; https when the agent has a key, agent_url_valid), model (openai,
 * required there), api_key. On edit, NULL keeps a field; url, model and
 * instructions "" clear it; api_key NULL or its masked form keeps the key,
 * "" removes it.
 */
struct ops_agent_form {
	const char	*name;
	const char	*kind;
	const char	*instructions;
	const char	*url;
	const char	*model;
	const char	*api_key;
};

/* Adds an agent, STOPPED. > 0 with *id. */
int	 ops_agent_add(const struct ops *, const struct ops_agent_form *,
	    int64_t *id, struct ops_error *);
/* Saves an edited agent; a RUNNING agent answers with the new settings from its next message. */
int	 ops_agent_edit(const struct ops *, int64_t id,
	    const struct ops_agent_form *, struct ops_error *);
/*
 * Deletes an agent: refused while RUNNING. Its attachments go; sessions it
 * answered keep their messages (sessions.agent_id becomes NULL); messages
 * waiting for its answer are left to operators.
 */
int	 ops_agent_delete(const struct ops *, int64_t id, struct ops_error *);
/*
 * Attaches an agent to a connection, or changes its Inbound switch. A
 * second inbound agent on a connection is refused naming the one that
 * holds it.
 */
int	 ops_agent_attach(const struct ops *, int64_t agent, const char *conn,
	    int inbound, struct ops_error *);
/* Detaches an agent from a connection. 0 when it was not attached. */
int	 ops_agent_detach(const struct ops *, int64_t agent, const char *conn,
	    struct ops_error *);
/* Start: RUNNING (only a RUNNING agent answers). Stop: STOPPED. */
int	 ops_agent_start(const struct ops *, int64_t id, struct ops_error *);
int	 ops_agent_stop(const struct ops *, int64_t id, struct ops_error *);

/* An agent as operators see it. */
struct ops_agent_view {
	struct store_agent	 a;		/* owns instructions: ops_agent_view_clear */
	char			 api_key_masked[64];	/* "" when it has none */
};
/* Reads one agent. 0 unknown. Clear the view with ops_agent_view_clear. */
int	 ops_agent_get(const struct ops *, int64_t id, struct ops_agent_view *,
	    struct ops_error *);
void	 ops_agent_view_clear(struct ops_agent_view *);
/* The saved agent as its form shows it (the key masked); of borrows from v. */
void	 ops_agent_form_of(const struct ops_agent_view *v,
	    struct ops_agent_form *of);
/* Calls fn for each agent by name; the view is valid during the call. */
int	 ops_agent_each(const struct ops *,
	    int (*fn)(const struct ops_agent_view *, void *), void *arg);
/* The same for a page that shows an agent's name and state only: the stored row, no key decrypted. */
int	 ops_agent_each_row(const struct ops *,
	    int (*fn)(const struct store_agent *, void *), void *arg);
/* Calls fn for each connection the agent is attached to. 0 unknown agent. */
int	 ops_agent_channels(const struct ops *, int64_t id,
	    int (*fn)(const struct store_agent_channel *, void *), void *arg,
	    struct ops_error *);
/*
 * "Try it": what a rules agent would answer text, as the first message of
 * a session, without sending or storing anything. > 0 with *reply
 * (malloc'd, NULL when it would not answer; the caller frees), 0 unknown
 * agent or not a rules agent.
 */
int	 ops_agent_try(const struct ops *, int64_t id, const char *text,
	    char **reply, struct ops_error *);

/* --- Messages and sessions ---------------------------------------------- */

/*
 * Sends text to a number on a connection, from ops->user, through the
 * outbox (it leaves when the connection is RUNNING). Text the send API
 * would refuse (smstext_check) is refused on "text". > 0 stored with *id;
 * when the number is invalid or the contact opted out the message is
 * stored failed and never sent, and err holds the reason on field "to"
 * (kind OPS_REFUSED) although the call returns > 0.
 */
int	 ops_send(const struct ops *, const char *conn, const char *to,
	    const char *text, int64_t *id, struct ops_error *);
/* ops->user takes the session over: the AI stops answering it. Refused when closed. */
int	 ops_session_takeover(const struct ops *, int64_t id, struct ops_error *);
/*
 * As ops_session_takeover, but a session another operator holds is taken
 * from them only when confirmed: unconfirmed, it is refused (OPS_REFUSED
 * on field "responsible") with their username in holder, so that the
 * person can be asked first. The admin's Take over is this.
 */
int	 ops_session_takeover_asked(const struct ops *, int64_t id,
	    int confirmed, char *holder, size_t holdersz, struct ops_error *);
/* Hands the session back to the AI. Refused when closed. */
int	 ops_session_release(const struct ops *, int64_t id, struct ops_error *);
/*
 * ops->user replies in the session through the outbox; text is checked as
 * ops_send checks it. While the AI is responsible the reply takes the
 * session over first, in the same transaction, so an answer the agent is
 * still writing is dropped (sender_agent.c) and the customer gets one
 * answer, the operator's. > 0 with *msg;
 * when the contact opted out, err warns that it will not be sent. Refused
 * when the session is closed.
 */
int	 ops_session_reply(const struct ops *, int64_t id, const char *text,
	    int64_t *msg, struct ops_error *);
/* Closes the session; the contact's next message opens a new one. Refused when closed already. */
int	 ops_session_close(const struct ops *, int64_t id, struct ops_error *);
/*
 * The session as JSON (payload_session_export): the session, its contact,
 * the collected data and every message with its status, price, segments
 * and clicks. > 0 with *json (malloc'd; the caller frees), 0 unknown.
 */
int	 ops_session_export(const struct ops *, int64_t id, char **json,
	    struct ops_error *);

/*
 * The outbox, settled by hand (outbox.c): resend a message whose earlier
 * send the sender could not settle (the operator decided Infobip does not
 * have it), or fail one for good, as ops->user. 0 refused with the reason
 * (not in the outbox, only queued, a sender holds it right now).
 */
int	 ops_outbox_resend(const struct ops *, int64_t message, struct ops_error *);
int	 ops_outbox_fail(const struct ops *, int64_t message, struct ops_error *);

/* --- Users and settings ------------------------------------------------- */

/* Whether s can be a username (as the web server authenticates it). 1, or 0 with *why. */
int	 ops_valid_username(const char *s, const char **why);
/* The user form: username (as the web server authenticates it), role ("admin", "operator", "viewer"). */
struct ops_user_form {
	const char	*username;
	const char	*role;
};
/* Adds a user or changes their role; refused when it would leave no admin. */
int	 ops_user_set(const struct ops *, const char *username, const char *role,
	    struct ops_error *);
/* Deletes a user; refused for the last admin. 0 unknown. */
int	 ops_user_delete(const struct ops *, const char *username,
	    struct ops_error *);
/* Calls fn for each user by name. */
int	 ops_user_each(const struct ops *,
	    int (*fn)(const struct store_user_row *, void *), void *arg);
/*
 * Sets a setting (settings_check, then settings_set) and logs the change
 * with ops->user in the installation's log, in one transaction; value
 * NULL restores its default. A refused value is OPS_INVALID on field
 * "value" with settings_check's reason; nothing is changed.
 */
int	 ops_settings_set(const struct ops *, const char *name, const char *value,
	    struct ops_error *);

/* --- Operations: backup and check --------------------------------------- */

/*
 * Copies the store into a new file at path while everything keeps running
 * (store_backup: one consistent moment). Refused when path exists.
 */
int	 ops_backup(const struct ops *, const char *path, struct ops_error *);
/*
 * Puts the backup at path in the store's place (store_restore: refused
 * while a program has the store open, or when the backup is not sound;
 * what was not yet sent is looked up in Infobip's logs before any new
 * send), holding the sender's lock meanwhile (refused while a sender
 * runs). Needs no store opened: o is not used.
 */
int	 ops_restore(const char *path, struct store_restored *,
	    struct ops_error *);
/*
 * For a store put back by other means (pg_restore or psql on PostgreSQL,
 * a file copied by hand): what ops_restore does to its copy
 * (store_restore_marks), logged with the user; r gets the counts and the
 * store's version. On SQLite it holds the sender's lock meanwhile
 * (refused while a sender runs); on PostgreSQL the senders must be
 * stopped first (there is no lock to hold).
 */
int	 ops_restored(const struct ops *, struct store_restored *r,
	    struct ops_error *);

/* What ops_check found. */
struct ops_check {
	int	 ok;			/* PRAGMA integrity_check said "ok" */
	int	 version;		/* PRAGMA user_version: the schema's version */
	char	 report[4096];		/* integrity_check's lines */
};
/*
 * Checks the store: PRAGMA integrity_check and the schema version. > 0
 * checked (c->ok says whether it is sound), < 0 store error.
 */
int	 ops_check(const struct ops *, struct ops_check *c, struct ops_error *);

#endif
