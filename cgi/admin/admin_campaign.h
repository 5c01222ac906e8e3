/* The admin's Campaigns pages: their handlers (admin_campaign.c) and views (admin_view_campaign.c). */
#ifndef ADMIN_CAMPAIGN_H
#define ADMIN_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "enums.h"
#include "ops_campaign.h"
#include "ops_form.h"

struct adm;

/* Handlers: one per route (admin.c's table). */
void	 camp_list(struct adm *);
void	 camp_new(struct adm *);
void	 camp_create(struct adm *);
void	 camp_show(struct adm *);
void	 camp_status_json(struct adm *);
void	 camp_export(struct adm *);
void	 camp_import(struct adm *);
void	 camp_start(struct adm *);
void	 camp_pause(struct adm *);
void	 camp_resume(struct adm *);
void	 camp_cancel(struct adm *);
void	 camp_import_progress(struct adm *);

#define CAMP_REJECTS_SHOWN	100	/* rejected lines listed after an import */
#define CAMP_PREVIEW		5	/* rendered messages previewed */
#define CAMP_RCPT_PAGE		50	/* recipients per page */
#define CAMP_LIST_PAGE		25	/* campaigns per page of the list */
#define CAMP_OPTIONS_MAX	200	/* connections or agents offered in a select */

/* One rejected line of an import. */
struct camp_reject {
	uint64_t	 line;
	char		 reason[200];
};

/*
 * How far an import has got (admin_progress.c), under the random token
 * the uploading page's script sent with the form (upload_token), for
 * that user only.
 */
struct camp_progress {
	uint64_t	 done, total;	/* bytes of the file */
	uint64_t	 lines;
	int		 finished;
};
/* Whether s is a token: 32 hex digits. */
int	 camp_progress_token_valid(const char *s);
void	 camp_progress_set(const char *token, const char *user,
	    const struct camp_progress *);
/* 1 known, with *p; 0 not (another process, or long forgotten). */
int	 camp_progress_get(const char *token, const char *user,
	    struct camp_progress *p);

/* What an import just did, shown on the campaign's page. */
struct camp_import {
	const char		*token;		/* upload_token, NULL none */
	const char		*user;
	const char		*filename;	/* as the browser named it */
	struct ops_import_result res;
	const char		*error;		/* the file could not be used at all, NULL */
	struct camp_reject	 rej[CAMP_REJECTS_SHOWN];
	size_t			 nrej;
	uint64_t		 more;		/* rejected beyond those listed */
};

/* The New campaign form (ops_campaign_fields): values, errors, the selects' options, and the file's error. */
struct camp_form {
	struct form_view	 fv;
	const char		*err_csv;	/* NULL none */
	const char		*tz_default;
	long			 rate_default;
	long			 upload_max_mb;
};

/* A campaign's page: the campaign, what just happened, the recipient list's filter and paging. */
struct camp_page {
	struct adm			*a;
	const struct ops_campaign_view	*v;
	const struct camp_import	*imp;		/* NULL: no import just now */
	const char			*action_error;	/* a refused Start, Pause... */
	const char			*conn_warning;	/* its connection does not send now, NULL */
	enum rcpt_status		 status;	/* filter: RCPT__MAX any */
	const char			*phone;		/* filter as typed, "" any */
	const char			*filter_error;
	int64_t				 after;		/* paging cursor */
	int64_t				 last;		/* the last row shown */
	int				 rows;
	long				 upload_max_mb;
};

/* The campaign over time, for its chart. */
struct camp_period {
	char		 period[32];
	int64_t		 sent, delivered, failed, replied;
};
struct camp_series {
	struct camp_period	*p;
	size_t			 n, cap;
	int			 failed;	/* the store failed */
};

void	 view_camp_list_open(struct adm *);
int	 view_camp_list_row(const struct ops_campaign_view *, void *list_ctx);
void	 view_camp_list_close(struct adm *, int rows, int paged, int64_t next);
void	 view_camp_new(struct adm *, int status, const struct camp_form *);
void	 view_camp_open(struct adm *, int status, const struct camp_page *);
void	 view_camp_preview_open(struct adm *);
int	 view_camp_preview_row(const char *phone, const char *text,
	    void *list_ctx);
void	 view_camp_preview_close(struct adm *, int rows, int failed);
void	 view_camp_chart(struct adm *, const struct camp_series *);
void	 view_camp_recipients_open(struct adm *, const struct camp_page *);
int	 view_camp_recipient_row(const struct ops_recipient_row *,
	    void *camp_page);
void	 view_camp_recipients_close(struct adm *, const struct camp_page *,
	    int failed);
void	 view_camp_close(struct adm *, const struct camp_page *);
/* The JSON of /status: state, total, done, pct and the counts by status. */
void	 view_camp_status_json(struct adm *, const struct ops_campaign_view *);

#endif
