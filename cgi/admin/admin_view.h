/* The admin's views: the markup of each page, filled from what its handler read. */
#ifndef ADMIN_VIEW_H
#define ADMIN_VIEW_H

#include <stdint.h>

#include "ops.h"
#include "store.h"
#include "store_admin.h"
#include "store_api.h"

struct adm;

/* Refusals an outbox page lists after an action on a selection. */
#define OUTBOX_REASONS_MAX	8

/* What a list's row callbacks share: the request, and how many rows they wrote. */
struct list_ctx {
	struct adm	*a;
	int		 rows;
	int		 failed;	/* the store failed mid-list */
};
/* Ends a list the store could not finish: says so under it. */
void	 view_list_failed(struct adm *);
/* A rounded-up maximum for a chart's axis: 1, 2, 5, 10, 20, 50... */
double	 chart_axis_max(double);

/* --- Connections (admin_view_conn.c) ------------------------------------ */

/* The connector form (ops_connection_fields) with its values and errors. */
struct conn_form {
	const char		*id;	/* NULL: the New connector form */
	struct form_view	 fv;
};

/* What a connection's panel shows besides the form. */
struct conn_panel {
	const struct ops_connection_view	*v;
	const struct ops_urls			*urls;
	const char	*env_error;	/* the variable form's error, NULL for none */
	const char	*env_name, *env_value;	/* its typed values */
	const char	*action_error;	/* a refused Start, Stop or Delete */
};

void	 view_conn_list_open(struct adm *, const char *q);
int	 view_conn_list_row(const struct store_connection *, void *list_ctx);
void	 view_conn_list_close(struct adm *, int rows, const char *q);
void	 view_conn_new(struct adm *, int status, const struct conn_form *);
void	 view_conn_panel_open(struct adm *, int status,
	    const struct conn_panel *, const struct conn_form *);
void	 view_conn_env_open(struct adm *, const struct conn_panel *);
int	 view_conn_env_row(const char *name, const char *value, void *list_ctx);
void	 view_conn_env_close(struct adm *, const struct conn_panel *, int rows);
void	 view_conn_agents_open(struct adm *);
int	 view_conn_agent_row(const struct store_attach_row *, void *list_ctx);
void	 view_conn_agents_close(struct adm *, int rows);
void	 view_conn_panel_close(struct adm *, const struct conn_panel *);

/* The Logs page's filter and paging. */
struct log_view {
	struct adm			*a;
	const struct store_connection	*c;
	enum conn_log_level	 level;		/* the filter: CLOG__MAX for any */
	const char	*event;			/* NULL for any */
	const char	*level_error;	/* why the level given is refused, NULL */
	const char	*event_error;	/* why the event given is refused, NULL */
	/* The refused filters as given, shown again with their errors. */
	const char	*level_typed, *event_typed;
	int64_t		 last;			/* the last row's id, for "Older" */
	int		 rows, limit;
};
void	 view_logs_open(struct adm *, const struct log_view *);
int	 view_logs_row(const struct store_log_row *, void *lv);
void	 view_logs_close(struct adm *, const struct log_view *);

/* --- Sessions (admin_view_session.c) ------------------------------------ */

/* The list's filters as given (validated), for the form and the paging links. */
struct session_filters {
	const char	*conn;		/* a connection id, "" for any */
	const char	*contact;	/* a phone number as typed, "" for any */
	const char	*state;		/* "any", "open" or "closed" */
	const char	*from, *to;	/* 'YYYY-MM-DD', "" for any */
	const char	*q;		/* the search text as typed, "" for none */
	const char	*phone;		/* a phone prefix as typed, "" for any */
	const char	*who;		/* "ai" or a username, "" for any */
	int		 waiting;	/* 1: only sessions waiting for an operator */
	const char	*error;		/* why a filter was not used, NULL */
};
/* The list's walk: the last row, for the next page's cursor. */
struct session_list_ctx {
	struct list_ctx	 lc;
	char		 last_at[STORE_TIME_MAX];
	int64_t		 last_id;
	int		 searched;	/* a search: it pages on search.next */
	struct store_search_page search;
};
/* The connection filter's options. */
struct conn_options {
	struct adm	*a;
	const char	*selected;
};
void	 view_sessions_open(struct adm *, const struct session_filters *);
int	 view_conn_option(const struct store_connection *, void *conn_options);
void	 view_sessions_table(struct adm *, const struct session_filters *);
int	 view_sessions_row(const struct store_session_line *, void *session_list_ctx);
void	 view_sessions_close(struct adm *, const struct session_filters *,
	    const struct session_list_ctx *, int limit);

/* A conversation page. */
struct session_page {
	struct adm			*a;
	const struct store_session_info	*si;
	int64_t		 before;	/* showing messages before this id, 0: the latest */
	int64_t		 first;		/* the first message shown, for "Earlier" */
	int64_t		 last;		/* the last message shown, for the live read */
	int		 rows, limit;
	const char	*reply_error;	/* the reply form's error, NULL */
	const char	*reply_text;	/* its typed text */
	const char	*action_error;	/* a refused take over, hand back, close */
	const char	*ask_holder;	/* a take over to confirm: the operator who holds it; NULL */
};
void	 view_session_open(struct adm *, int status, const struct session_page *);
int	 view_session_field(const char *name, const char *value, void *adm);
void	 view_session_messages(struct adm *, const struct session_page *);
int	 view_session_message(const struct store_message_line *, void *session_page);
void	 view_session_close(struct adm *, const struct session_page *);
/*
 * The live read of an open conversation page: {"last": the last message id,
 * "html": the new messages' list items, "responsible", "open": bool}, for
 * session.js.
 */
void	 view_session_live(struct adm *, const struct store_session_info *,
	    int64_t after);

/* --- Agents (admin_view_agent.c) ---------------------------------------- */

/* The agent form (ops_agent_fields) with its values and errors. */
struct agent_form {
	int64_t			 id;	/* 0: the new agent form */
	struct form_view	 fv;
};
/* What an agent's panel shows besides the form. */
struct agent_panel {
	const struct ops_agent_view	*v;
	const char	*attach_error;	/* a refused attachment (the holder named) */
	const char	*action_error;	/* a refused Start, Stop, Delete */
	const char	*try_text;	/* the message tried, NULL when none */
	const char	*try_reply;	/* the answer, NULL: none */
	const char	*try_error;
	int		 tried;
	const char	*new_token;	/* a token just made, shown this once; NULL */
	const char	*new_token_conn;	/* its connection */
	const char	*token_error;	/* a refused New API token or Revoke */
};
void	 view_agent_list_open(struct adm *);
int	 view_agent_list_row(const struct store_agent_row *, void *list_ctx);
void	 view_agent_list_close(struct adm *, int rows);
void	 view_agent_new(struct adm *, int status, const struct agent_form *);
void	 view_agent_panel_open(struct adm *, int status,
	    const struct agent_panel *, const struct agent_form *);
int	 view_agent_channel_row(const struct store_agent_channel *, void *list_ctx);
void	 view_agent_channels_add(struct adm *, const struct agent_panel *, int rows);
void	 view_agent_panel_close(struct adm *, const struct agent_panel *);
void	 view_agent_form_close(struct adm *, const struct agent_panel *,
	    const struct agent_form *);
/* The API tokens section (admin_view_token.c): buttons per attachment, then the tokens. */
void	 view_agent_tokens_open(struct adm *, const struct agent_panel *);
int	 view_agent_token_button(const struct store_agent_channel *, void *list_ctx);
void	 view_agent_tokens_table(struct adm *, int attachments);
int	 view_agent_token_row(const struct store_token *, void *list_ctx);
void	 view_agent_tokens_close(struct adm *, int rows);
/* admin_agent.c: an agent's page with extra (its tokens section by agent_tokens_section). */
void	 agent_panel_show(struct adm *, int status, const struct agent_panel *);
void	 agent_tokens_section(struct adm *, const struct agent_panel *);

/* --- Dashboard (admin_view_dash.c) -------------------------------------- */

#define DASH_DAYS	14
#define DASH_CONNS	32

/* One day of the window, all connections together. */
struct dash_day {
	char	 day[11];		/* 'YYYY-MM-DD' */
	long	 received, sent, delivered, not_delivered;
};
/* One connection over the window. */
struct dash_conn {
	char	 id[STORE_ID_LEN + 1];
	char	 name[256];
	char	 currency[8];
	double	 spend;
	long	 sent, delivered;
	char	 balance[256];		/* what its last Start said, "" */
	char	 balance_at[STORE_TIME_MAX];
	int	 listed;		/* not deleted: among the connections */
	enum conn_status status;	/* when listed */
	char	 status_message[256];	/* when listed: why ERROR */
};
struct dash {
	struct dash_day			 days[DASH_DAYS];
	struct dash_conn		 conns[DASH_CONNS];
	size_t				 nconns;
	struct store_queue_stats	 q;
};
void	 view_dash(struct adm *, const struct dash *);

/* --- Users (admin_view_user.c) ------------------------------------------ */

struct user_page {
	const char		*error;	/* the add form's (or a refused change's) error */
	struct form_view	 fv;	/* the add form (ops_user_fields), as typed */
};
void	 view_users_open(struct adm *, int status, const struct user_page *);
int	 view_users_row(const struct store_user_row *, void *list_ctx);
void	 view_users_close(struct adm *, const struct user_page *, int rows);

/* --- Settings (admin_view_settings.c) ---------------------------------- */

struct setting_def;

/* A refused change, shown again: the setting, the typed value and the reason. */
struct settings_page {
	const char	*name;		/* the setting refused, NULL none */
	const char	*value;		/* its typed value */
	const char	*error;		/* the reason, next to its field */
	const char	*error_all;	/* a refusal no field shows (no such setting) */
};
/* One setting's form. */
struct setting_view {
	const struct setting_def	*d;
	const char			*value;	/* shown in the field */
	const char			*error;	/* next to it, NULL none */
};
void	 view_settings_open(struct adm *, int status, const struct settings_page *);
void	 view_settings_group_open(struct adm *, const char *title);
void	 view_setting(struct adm *, const struct setting_view *);
void	 view_settings_group_close(struct adm *);
void	 view_settings_close(struct adm *);

/* --- Outbox (admin_view_outbox.c) --------------------------------------- */

/* What the last action on the outbox did, shown above the list; all NULL/0 for none. */
struct outbox_page {
	const char	*verb;		/* "sent again" or "failed" */
	int		 done;		/* messages it settled */
	int		 refused;	/* messages it refused */
	char		 why[OUTBOX_REASONS_MAX][256];	/* the first refusals' reasons */
	int		 limit;		/* most rows listed */
	int64_t		 after, before;	/* the page's keyset: after or before this message, 0 the first page */
	long		 total;		/* held and unsure in all, -1 unknown */
	struct list_ctx	 lc;		/* the rows listed */
	int64_t		 first, last;	/* the first and last message listed */
};
void	 view_outbox_open(struct adm *, int status, const struct outbox_page *);
int	 view_outbox_row(const struct store_outbox_entry *, void *outbox_page);
void	 view_outbox_close(struct adm *, const struct outbox_page *);

#endif
