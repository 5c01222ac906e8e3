/* What the admin's files share: the request as a page sees it, rights, and the rendering helpers. */
#ifndef ADMIN_H
#define ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enums.h"
#include "form.h"
#include "ops.h"
#include "ops_form.h"
#include "secret.h"
#include "store.h"

struct http;

/* One admin request, as every handler and view sees it. */
struct adm {
	struct http	*h;
	struct store	*st;
	char		 user[256];	/* REMOTE_USER, or "local" without authentication */
	enum user_role	 role;
	int		 noauth;	/* IBCHANNEL_ADMIN_NO_AUTH let a loopback request in */
	char		 csrf[SECRET_MAC_HEX];
	unsigned char	 key[SECRET_KEY_LEN];
	struct form	 q;		/* the query string */
	struct form	 f;		/* the POSTed form */
	char		 id[STORE_ID_LEN + 1];	/* {conn} of the route */
	int64_t		 n;		/* {n} of the route */
	struct ops	 ops;		/* the actor for the operations layer */
	FILE		*upload;	/* a multipart form's file (admin_upload.c), NULL none */
	uint64_t	 upload_size;
	char		 upload_name[256];	/* its name as the browser gave it */
	char		 tz[64];	/* the zone times are shown in, "" until read (admin_html.c) */
};

/*
 * Reads a multipart/form-data POST (a form with a file): the fields into
 * a->f, the file into a->upload, an unlinked temporary file rewound for
 * reading (closed when the request ends). 1 read, 0 answered (403, 413,
 * 415 or 400).
 */
int		 admin_read_upload(struct adm *);

/* Whether the user's role holds right (ops_role_may). */
int		 admin_can(const struct adm *, enum ops_right);

/* A field of the POSTed form, else of the query string; NULL when absent. */
const char	*arg(const struct adm *, const char *name);
/* A field with surrounding white space removed, copied into buf; "" when absent. */
const char	*arg_trim(const struct adm *, const char *name, char *buf,
		    size_t bufsz);

/* Answers 303 See Other to path (under /admin, built with printf), with an optional ?done= notice. */
void		 admin_redirect(struct adm *, const char *notice,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers an error page with status and message. */
void		 admin_fail(struct adm *, int status, const char *msg);
/* The HTTP status of a refused action: 400, 404, 409 or 500. */
int		 admin_ops_status(const struct ops_error *);
/* The store failed: 503 page. */
void		 admin_store_error(struct adm *);

/* Handlers: one per route (admin.c's table). */
void	 conn_list(struct adm *);
void	 conn_new(struct adm *);
void	 conn_create(struct adm *);
void	 conn_show(struct adm *);
void	 conn_save(struct adm *);
void	 conn_start(struct adm *);
void	 conn_stop(struct adm *);
void	 conn_delete(struct adm *);
void	 conn_env_set(struct adm *);
void	 conn_env_unset(struct adm *);
void	 conn_logs(struct adm *);
void	 conn_status_json(struct adm *);
void	 agent_list(struct adm *);
void	 agent_new(struct adm *);
void	 agent_create(struct adm *);
void	 agent_show(struct adm *);
void	 agent_save(struct adm *);
void	 agent_start(struct adm *);
void	 agent_stop(struct adm *);
void	 agent_delete(struct adm *);
void	 agent_attach(struct adm *);
void	 agent_detach(struct adm *);
void	 agent_try(struct adm *);
void	 agent_token_add(struct adm *);
void	 agent_token_revoke(struct adm *);
void	 session_list(struct adm *);
void	 session_show(struct adm *);
void	 session_takeover(struct adm *);
void	 session_release(struct adm *);
void	 session_reply(struct adm *);
void	 session_close(struct adm *);
void	 session_export(struct adm *);
void	 session_live(struct adm *);
void	 dash_show(struct adm *);
void	 metrics_show(struct adm *);
void	 user_list(struct adm *);
void	 user_set(struct adm *);
void	 user_delete(struct adm *);
void	 settings_show(struct adm *);
void	 settings_save(struct adm *);
void	 settings_default(struct adm *);
void	 outbox_show(struct adm *);
void	 outbox_resend_one(struct adm *);
void	 outbox_fail_one(struct adm *);
void	 outbox_resend_selected(struct adm *);
void	 outbox_fail_selected(struct adm *);

/*
 * Rendering helpers (admin_html.c): the layout every page shares, and the
 * widgets forms and lists are made of. Every value is escaped here for
 * its context; callers pass plain text.
 */

/* Sections of the navigation. */
enum admin_section {
	SECTION_CHANNELS,
	SECTION_AGENTS,
	SECTION_SESSIONS,
	SECTION_CAMPAIGNS,
	SECTION_DASHBOARD,
	SECTION_USERS,
	SECTION_OUTBOX,
	SECTION_SETTINGS,
};

/* Opens a page: status line, head, navigation, the no-authentication banner, <main>. */
void	 page_open(struct adm *, int status, enum admin_section,
	    const char *title);
/* Closes <main> and the page. */
void	 page_close(struct adm *);
/* The notice named by ?done= (a closed set), if any. */
void	 page_notice(struct adm *);
/*
 * A connection as a choice in a list: 'Name (sender, 44de770c)', so that
 * two that look alike (a deleted one's successor, a similar sender) are
 * told apart. Into buf.
 */
void	 conn_choice_label(const struct store_connection *, char *buf,
	    size_t bufsz);
/* Whether the redirect that led here named notice key (?done=key): 1 or 0. */
int	 page_done(struct adm *, const char *key);

/* Plain text, escaped for element content. */
void	 out_text(struct adm *, const char *s);
/* Text formatted with printf, escaped for element content. */
void	 out_textf(struct adm *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A time as stored ("2026-11-29 20:53:01.123") shown to the second, in a <time> element. */
void	 out_time(struct adm *, const char *at);

/* <form method="post" action="..."> with its CSRF field. */
void	 form_open(struct adm *, const char *cls, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 form_close(struct adm *);
/* A GET form (search and filters): no CSRF field. */
void	 form_get_open(struct adm *, const char *cls, const char *action);
/* A POST form of one button: label, optional CSS class, and the action. */
void	 button_form(struct adm *, const char *label, const char *cls,
	    const char *confirm, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* A hidden field. */
void	 field_hidden(struct adm *, const char *name, const char *value);

/* One labelled form field. */
struct field {
	const char	*name;
	const char	*label;
	const char	*type;		/* "text", "password", "url", "textarea", "search" ... */
	const char	*value;		/* shown value (escaped), NULL for none */
	const char	*error;		/* shown next to the field, NULL for none */
	const char	*help;		/* shown under it, NULL for none */
	const char	*placeholder;
	int		 required;
	int		 rows;		/* textarea rows */
	const char	*autocomplete;	/* e.g. "off" */
};
void	 field_out(struct adm *, const struct field *);
/*
 * A form of the operations layer (ops_form.h) as a page shows it: the
 * values and errors by the index of its fields in the table.
 */
struct form_view {
	const struct ops_form	*form;
	int			 edit;	/* a saved one: the fields' help_edit */
	const char		*value[OPS_FORM_FIELDS_MAX];
	const char		*error[OPS_FORM_FIELDS_MAX];
	const char		*help[OPS_FORM_FIELDS_MAX];	/* NULL: the table's */
	const char		*placeholder[OPS_FORM_FIELDS_MAX];	/* NULL: the table's */
	const char *const	*options[OPS_FORM_FIELDS_MAX];	/* a choice's name, label pairs */
	const char		*error_all;	/* a problem no field shows, NULL none */
};
/* Reads the POSTed fields of form into the form struct of (absent: NULL). */
void	 form_view_read(struct adm *, const struct ops_form *, void *of);
/* Starts v on form with the values of the form struct of. */
void	 form_view_fill(struct form_view *, const struct ops_form *,
	    const void *of);
/*
 * Starts v on form as shown again after e refused of: the typed values
 * (a secret is never sent back: it is NULL), each field's problem, and a
 * problem no field shows in error_all. The texts stay e's.
 */
void	 form_view_again(struct form_view *, const struct ops_form *,
	    const void *of, const struct ops_error *e);
/* Writes the fields from up to (not including) to of v. */
void	 form_view_fields(struct adm *, const struct form_view *, size_t from,
	    size_t to);

/* A <select> of names and labels (pairs ending in NULL) with value selected. */
void	 field_select(struct adm *, const char *name, const char *label,
	    const char *const *options, const char *value, const char *error);
/* A checkbox styled as a switch. */
void	 field_switch(struct adm *, const char *name, const char *label,
	    int on);
/* A submit button. */
void	 button_submit(struct adm *, const char *label, const char *cls);

/* A status dot: the colour of status, its message on hover and for screen readers. */
void	 status_dot(struct adm *, const char *status, const char *message);
/* A warning or information box with text. */
void	 callout(struct adm *, const char *cls, const char *title,
	    const char *text);
/* A URL with a copy button. */
void	 copy_url(struct adm *, const char *id, const char *label,
	    const char *url);
/* A link, text escaped, href built with printf (escaped). */
void	 link_out(struct adm *, const char *cls, const char *text,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Percent-encodes s for a URL's query into out (always terminated). Returns out. */
const char *url_encode(const char *s, char *out, size_t outsz);

/*
 * Raw markup from the view files: string literals only, never data. The
 * macro pastes "" around its argument, so anything but a literal fails to
 * compile; data goes through out_text and the other escaping helpers.
 */
void	 out_html_literal(struct adm *, const char *markup);
#define out_html(a, markup)	out_html_literal((a), "" markup "")
/* One of two literals of markup, by cond. */
#define out_html_either(a, cond, yes, no) \
	out_html_literal((a), (cond) ? "" yes "" : "" no "")

#endif
