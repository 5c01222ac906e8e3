/* The closed sets the store keeps as text: names tables and conversions. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "enums.h"

const char *const conn_status_names[CONN_STATUS__MAX] = {
	[CONN_STOPPED] = "STOPPED",
	[CONN_STARTING] = "STARTING",
	[CONN_RUNNING] = "RUNNING",
	[CONN_STOPPING] = "STOPPING",
	[CONN_ERROR] = "ERROR",
};

const char *const agent_kind_names[AGENT_KIND__MAX] = {
	[AGENT_RULES] = "rules",
	[AGENT_HTTP] = "http",
	[AGENT_OPENAI] = "openai",
};

const char *const agent_status_names[AGENT_STATUS__MAX] = {
	[AGENT_STOPPED] = "STOPPED",
	[AGENT_RUNNING] = "RUNNING",
};

const char *const user_role_names[ROLE__MAX] = {
	[ROLE_ADMIN] = "admin",
	[ROLE_OPERATOR] = "operator",
	[ROLE_VIEWER] = "viewer",
};

const char *const msg_status_names[MSG_STATUS__MAX] = {
	[MSG_RECEIVED] = "received",
	[MSG_QUEUED] = "queued",
	[MSG_SENDING] = "sending",
	[MSG_ACCEPTED] = "accepted",
	[MSG_DELIVERED] = "delivered",
	[MSG_UNDELIVERABLE] = "undeliverable",
	[MSG_EXPIRED] = "expired",
	[MSG_REJECTED] = "rejected",
	[MSG_FAILED] = "failed",
};

const char *const msg_direction_names[DIR__MAX] = {
	[DIR_IN] = "in",
	[DIR_OUT] = "out",
};

const char *const conn_log_level_names[CLOG__MAX] = {
	[CLOG_ERROR] = "error",
	[CLOG_WARN] = "warn",
	[CLOG_INFO] = "info",
};

const char *const campaign_state_names[CAMP_STATE__MAX] = {
	[CAMP_DRAFT] = "draft",
	[CAMP_SCHEDULED] = "scheduled",
	[CAMP_RUNNING] = "running",
	[CAMP_PAUSED] = "paused",
	[CAMP_COMPLETED] = "completed",
	[CAMP_CANCELED] = "canceled",
};

const char *const rcpt_status_names[RCPT__MAX] = {
	[RCPT_PLANNED] = "planned",
	[RCPT_QUEUED] = "queued",
	[RCPT_SENT] = "sent",
	[RCPT_DELIVERED] = "delivered",
	[RCPT_FAILED] = "failed",
	[RCPT_REPLIED] = "replied",
	[RCPT_CANCELED] = "canceled",
	[RCPT_SKIPPED] = "skipped",
};

/* The index of s in names (n of them), or -1. */
static int
names_find(const char *const *names, int n, const char *s)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* One name() and one find() per set, the same for all. */
#define ENUM_CONVERSIONS(prefix, type, max)				\
const char *								\
prefix##_name(type v)							\
{									\
	return (unsigned)v < (unsigned)(max) ? prefix##_names[v] : "?";	\
}									\
									\
int									\
prefix##_find(const char *s, type *out)					\
{									\
	int	 i;							\
									\
	if ((i = names_find(prefix##_names, (max), s)) < 0)		\
		return 0;						\
	*out = (type)i;							\
	return 1;							\
}

ENUM_CONVERSIONS(conn_status, enum conn_status, CONN_STATUS__MAX)
ENUM_CONVERSIONS(agent_kind, enum agent_kind, AGENT_KIND__MAX)
ENUM_CONVERSIONS(agent_status, enum agent_status, AGENT_STATUS__MAX)
ENUM_CONVERSIONS(user_role, enum user_role, ROLE__MAX)
ENUM_CONVERSIONS(msg_status, enum msg_status, MSG_STATUS__MAX)
ENUM_CONVERSIONS(msg_direction, enum msg_direction, DIR__MAX)
ENUM_CONVERSIONS(conn_log_level, enum conn_log_level, CLOG__MAX)
ENUM_CONVERSIONS(campaign_state, enum campaign_state, CAMP_STATE__MAX)
ENUM_CONVERSIONS(rcpt_status, enum rcpt_status, RCPT__MAX)

const char *
enum_names_join(const char *const *names, int n, const char *sep,
    const char *last, char *buf, size_t bufsz)
{
	size_t	 len = 0;
	int	 i;

	if (bufsz == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n && len < bufsz; i++) {
		snprintf(buf + len, bufsz - len, "%s%s", i == 0 ? "" :
		    i == n - 1 ? last : sep, names[i]);
		len = strlen(buf);
	}
	return buf;
}
