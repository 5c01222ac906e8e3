/* The admin's views: the markup of each page, filled from what its handler read. */
#ifndef ADMIN_VIEW_H
#define ADMIN_VIEW_H

#include <stdint.h>

#include "ops.h"
#include "store.h"
#include "store_admin.h"

struct adm;

/* What a list's row callbacks share: the request, and how many rows they wrote. */
struct list_ctx {
	struct adm	*a;
	int		 rows;
	int		 failed;	/* the store failed mid-list */
};
/* Ends a list the store could not finish: says so under it. */
void	 view_list_failed(struct adm *);

/* --- Connections (admin_view_conn.c) ------------------------------------ */

/* The connector form's values and errors; NULL for none. */
struct conn_form {
	const char	*id;		/* NULL: the New connector form */
	const char	*name, *description, *api_key, *api_url, *sender;
	const char	*err_name, *err_description, *err_api_key;
	const char	*err_api_url, *err_sender;
	const char	*error;		/* about the whole form */
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
int	 view_conn_list_row(const struct ops_connection_view *, void *list_ctx);
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
	int64_t		 last;			/* the last row's id, for "Older" */
	int		 rows, limit;
};
void	 view_logs_open(struct adm *, const struct log_view *);
int	 view_logs_row(const struct store_log_row *, void *lv);
void	 view_logs_close(struct adm *, const struct log_view *);

#endif
