/* The closed sets the store keeps as text: one enum each, its names table, and the one conversion each way. */
#ifndef ENUMS_H
#define ENUMS_H

#include <stddef.h>

/*
 * The store's columns hold the names (SQL CHECK constraints list the same
 * words); C code holds the enums. Each set has a parallel table of names,
 * x_name() (never NULL: "?" for a value out of range) and x_find(), which
 * returns 1 and sets *out when s is one of the names (exactly, lowercase
 * or uppercase as stored), else 0. Adding a case touches the enum, the
 * table in enums.c and the schema's CHECK.
 */

enum conn_status {
	CONN_STOPPED,
	CONN_STARTING,
	CONN_RUNNING,
	CONN_STOPPING,
	CONN_ERROR,
	CONN_STATUS__MAX
};

enum agent_kind {
	AGENT_RULES,		/* the built-in rules agent */
	AGENT_HTTP,		/* an HTTP webhook */
	AGENT_OPENAI,		/* an OpenAI-compatible chat model */
	AGENT_KIND__MAX
};

enum agent_status {
	AGENT_STOPPED,
	AGENT_RUNNING,		/* only a RUNNING agent answers */
	AGENT_STATUS__MAX
};

enum user_role {
	ROLE_ADMIN,		/* everything */
	ROLE_OPERATOR,		/* sessions: read, take over, reply, close */
	ROLE_VIEWER,		/* read only */
	ROLE__MAX
};

enum msg_status {
	MSG_RECEIVED,		/* inbound */
	MSG_QUEUED,
	MSG_SENDING,
	MSG_ACCEPTED,		/* Infobip took it (PENDING) */
	MSG_DELIVERED,
	MSG_UNDELIVERABLE,
	MSG_EXPIRED,
	MSG_REJECTED,
	MSG_FAILED,		/* our verdict: never sent, or refused at submit */
	MSG_STATUS__MAX
};

enum msg_direction {
	DIR_IN,			/* from the customer */
	DIR_OUT,		/* to the customer */
	DIR__MAX
};

/* A campaign's state (campaigns.state). */
enum campaign_state {
	CAMP_DRAFT,		/* being prepared: recipients may be imported */
	CAMP_SCHEDULED,		/* started, waiting for its start time */
	CAMP_RUNNING,		/* the sender releases its recipients */
	CAMP_PAUSED,		/* nothing more released until resumed */
	CAMP_COMPLETED,		/* every recipient has a final status */
	CAMP_CANCELED,		/* stopped for good; planned recipients canceled */
	CAMP_STATE__MAX
};

/* One campaign recipient's status, as operators count them. */
enum rcpt_status {
	RCPT_PLANNED,		/* imported, not yet released */
	RCPT_QUEUED,		/* released into the outbox */
	RCPT_SENT,		/* accepted by Infobip */
	RCPT_DELIVERED,
	RCPT_FAILED,		/* undeliverable, expired, rejected or failed, with the reason */
	RCPT_REPLIED,		/* the contact answered */
	RCPT_CANCELED,		/* the campaign was canceled before it was sent */
	RCPT_SKIPPED,		/* not sent, with the reason (opted out since the import, ...) */
	RCPT__MAX
};

/* Levels of the per-connection log (the logs table), most severe first. */
enum conn_log_level {
	CLOG_ERROR,
	CLOG_WARN,
	CLOG_INFO,
	CLOG__MAX
};

extern const char *const conn_status_names[CONN_STATUS__MAX];
extern const char *const agent_kind_names[AGENT_KIND__MAX];
extern const char *const agent_status_names[AGENT_STATUS__MAX];
extern const char *const user_role_names[ROLE__MAX];
extern const char *const msg_status_names[MSG_STATUS__MAX];
extern const char *const msg_direction_names[DIR__MAX];
extern const char *const conn_log_level_names[CLOG__MAX];
extern const char *const campaign_state_names[CAMP_STATE__MAX];
extern const char *const rcpt_status_names[RCPT__MAX];

const char	*conn_status_name(enum conn_status);
int		 conn_status_find(const char *s, enum conn_status *out);
const char	*agent_kind_name(enum agent_kind);
int		 agent_kind_find(const char *s, enum agent_kind *out);
const char	*agent_status_name(enum agent_status);
int		 agent_status_find(const char *s, enum agent_status *out);
const char	*user_role_name(enum user_role);
int		 user_role_find(const char *s, enum user_role *out);
const char	*msg_status_name(enum msg_status);
int		 msg_status_find(const char *s, enum msg_status *out);
const char	*msg_direction_name(enum msg_direction);
int		 msg_direction_find(const char *s, enum msg_direction *out);
const char	*conn_log_level_name(enum conn_log_level);
int		 conn_log_level_find(const char *s, enum conn_log_level *out);
const char	*campaign_state_name(enum campaign_state);
int		 campaign_state_find(const char *s, enum campaign_state *out);
const char	*rcpt_status_name(enum rcpt_status);
int		 rcpt_status_find(const char *s, enum rcpt_status *out);

/*
 * Writes the names of a set joined by sep ("rules, http or openai" with
 * sep ", " and last " or ") into buf, for messages to people. Returns buf.
 */
const char	*enum_names_join(const char *const *names, int n,
		    const char *sep, const char *last, char *buf, size_t bufsz);

#endif
