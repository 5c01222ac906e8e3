/* Enum names tables: each name converts both ways, nothing else converts, and the schema's CHECKs list the same words. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "enums.h"
#include "sqlembed.h"

/* One closed set, seen through its table and its two conversions. */
struct set {
	const char		*what;
	const char *const	*names;
	int			 n;
	const char		*(*name)(int);
	int			(*find)(const char *, int *);
	const char		*column;	/* schema text just before the CHECK list */
};

/* Adapters: the conversions take the set's own enum type. */
#define ADAPT(prefix, type)						\
static const char *prefix##_n(int v) { return prefix##_name((type)v); }	\
static int prefix##_f(const char *s, int *out)				\
{ type v; int ok = prefix##_find(s, &v); if (ok) *out = (int)v; return ok; }
ADAPT(conn_status, enum conn_status)
ADAPT(agent_kind, enum agent_kind)
ADAPT(agent_status, enum agent_status)
ADAPT(user_role, enum user_role)
ADAPT(msg_status, enum msg_status)
ADAPT(msg_direction, enum msg_direction)
ADAPT(conn_log_level, enum conn_log_level)

static const struct set sets[] = {
	{ "connection status", conn_status_names, CONN_STATUS__MAX,
	    conn_status_n, conn_status_f, "CHECK (status IN (" },
	{ "agent kind", agent_kind_names, AGENT_KIND__MAX, agent_kind_n,
	    agent_kind_f, "kind TEXT NOT NULL CHECK (kind IN (" },
	{ "agent status", agent_status_names, AGENT_STATUS__MAX,
	    agent_status_n, agent_status_f, "DEFAULT 'STOPPED' CHECK (status IN (" },
	{ "user role", user_role_names, ROLE__MAX, user_role_n, user_role_f,
	    "role TEXT NOT NULL CHECK (role IN (" },
	{ "message status", msg_status_names, MSG_STATUS__MAX, msg_status_n,
	    msg_status_f, "CHECK (status IN ('received'" },
	{ "direction", msg_direction_names, DIR__MAX, msg_direction_n,
	    msg_direction_f, "CHECK (direction IN (" },
	{ "log level", conn_log_level_names, CLOG__MAX, conn_log_level_n,
	    conn_log_level_f, "CHECK (level IN (" },
};

/* Whether 'name' is quoted in the schema's CHECK list that follows marker. */
static int
in_check(const char *marker, const char *name)
{
	const char	*schema = sqlembed[0].sql, *p, *end;
	char		 quoted[64];

	snprintf(quoted, sizeof(quoted), "'%s'", name);
	for (p = schema; (p = strstr(p, marker)) != NULL; p++) {
		if ((end = strstr(p, "))")) == NULL)
			return 0;
		p += strlen(marker);
		if (strchr(marker, '\'') != NULL)
			p -= strlen(strchr(marker, '\''));
		if (memmem(p, (size_t)(end - p), quoted, strlen(quoted)) != NULL)
			return 1;
	}
	return 0;
}

int
main(void)
{
	static const char *const bogus[] = { "", "running", "Rules", " rules",
	    "STOPPED ", "adm", "?", "deleted" };
	const struct set	*s;
	char			 buf[128];
	size_t			 i, k;
	int			 v, j;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		s = &sets[i];
		for (j = 0; j < s->n; j++) {
			CHECK(s->names[j] != NULL && *s->names[j] != '\0',
			    "%s %d has a name", s->what, j);
			CHECK_STR(s->name(j), s->names[j], "%s %d: name()",
			    s->what, j);
			v = -1;
			CHECK(s->find(s->names[j], &v) == 1 && v == j,
			    "%s '%s' found as %d", s->what, s->names[j], j);
			CHECK(in_check(s->column, s->names[j]),
			    "%s '%s' is in the schema's CHECK", s->what,
			    s->names[j]);
		}
		CHECK_STR(s->name(s->n), "?", "%s: out of range names '?'",
		    s->what);
		CHECK_STR(s->name(-1), "?", "%s: negative names '?'", s->what);
		for (k = 0; k < sizeof(bogus) / sizeof(bogus[0]); k++) {
			v = -1;
			CHECK(s->find(bogus[k], &v) == 0 && v == -1,
			    "%s: '%s' is not a name", s->what, bogus[k]);
		}
		CHECK(s->find(NULL, &v) == 0, "%s: NULL is not a name",
		    s->what);
	}
	/* The schema allows nothing the tables lack. */
	CHECK(!in_check("CHECK (status IN (", "PAUSED"), "no stray status");
	CHECK_STR(enum_names_join(agent_kind_names, AGENT_KIND__MAX, ", ",
	    " or ", buf, sizeof(buf)), "rules, http or openai", "join");
	CHECK_STR(enum_names_join(user_role_names, ROLE__MAX, ", ", " or ",
	    buf, 12), "admin, oper", "join cut to the buffer");
	/* store_log_each ranks error 0, warn 1, info 2 in its SQL. */
	CHECK(CLOG_ERROR == 0 && CLOG_WARN == 1 && CLOG_INFO == 2,
	    "levels are ranked as the log filter's SQL ranks them");
	return check_done();
}
