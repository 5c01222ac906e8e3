/* Handlers of the Sessions pages: the filtered list, a conversation, take over, reply, hand back, close, export. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"
#include "ops.h"
#include "parse.h"
#include "payload_admin.h"
#include "phone.h"
#include "store.h"
#include "store_admin.h"

#define SESSIONS_PAGE	50
#define MESSAGES_PAGE	100

/* Whether s is a date 'YYYY-MM-DD'. */
static int
is_date(const char *s)
{
	size_t	 i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return 0;
	return s[10] == '\0';
}

/* Whether s is a stored time 'YYYY-MM-DD HH:MM:SS.SSS' (a paging cursor). */
static int
is_time(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 19 && n < STORE_TIME_MAX && strspn(s, "0123456789-:. ") ==
	    n && s[10] == ' ';
}

/*
 * Whether s is a phone prefix ('+' optional, then 1 to 15 digits); writes
 * it with its '+' into out, as contacts' numbers are stored.
 */
static int
phone_prefix(const char *s, char *out, size_t outsz)
{
	size_t	 n;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n == 0 || n > 15 || strspn(s, "0123456789") != n || outsz < n + 2)
		return 0;
	snprintf(out, outsz, "+%s", s);
	return 1;
}

/* Reads the filters a search adds to the list (text, phone prefix, waiting, responsible) into f and sf. */
static void
session_find_filters(struct adm *a, struct store_session_filter *f,
    struct session_filters *sf, char *q, size_t qsz, char *words,
    size_t wordssz, char *phone, char *prefix, size_t prefixsz, char *who,
    size_t whosz)
{
	const char	*why;

	arg_trim(a, "q", q, qsz);
	sf->q = q;
	if (store_search_words(q, words, wordssz))
		f->words = words;
	arg_trim(a, "phone", phone, 32);
	sf->phone = phone;
	if (phone[0] != '\0' && phone_prefix(phone, prefix, prefixsz))
		f->phone_prefix = prefix;
	else if (phone[0] != '\0')
		sf->error = "the phone prefix is not digits with an optional +";
	arg_trim(a, "who", who, whosz);
	sf->who = who;
	if (who[0] != '\0' && (strcmp(who, "ai") == 0 ||
	    ops_valid_username(who, &why)))
		f->responsible = who;
	else if (who[0] != '\0')
		sf->error = "the one responsible is neither \"ai\" nor a"
		    " username";
	sf->waiting = f->waiting = arg(a, "waiting") != NULL &&
	    strcmp(arg(a, "waiting"), "1") == 0;
}

void
session_list(struct adm *a)
{
	struct store_session_filter	 f;
	struct session_filters		 sf;
	struct session_list_ctx		 sc;
	struct conn_options		 co;
	const char			*v, *why;
	char				 contact[64], phone[PHONE_MAX];
	char				 q[512], words[STORE_SEARCH_MAX];
	char				 prefix_in[32], prefix[24], who[256];
	int				 rc, none = 0;

	memset(&f, 0, sizeof(f));
	memset(&sf, 0, sizeof(sf));
	memset(&sc, 0, sizeof(sc));
	f.limit = SESSIONS_PAGE;
	sf.conn = sf.contact = sf.from = sf.to = "";
	sf.state = "any";
	session_find_filters(a, &f, &sf, q, sizeof(q), words, sizeof(words),
	    prefix_in, prefix, sizeof(prefix), who, sizeof(who));
	if ((v = arg(a, "conn")) != NULL && store_id_valid(v))
		f.conn = sf.conn = v;
	if ((v = arg(a, "state")) != NULL && strcmp(v, "open") == 0) {
		f.state = STORE_SESSIONS_OPEN;
		sf.state = "open";
	} else if (v != NULL && strcmp(v, "closed") == 0) {
		f.state = STORE_SESSIONS_CLOSED;
		sf.state = "closed";
	}
	if ((v = arg(a, "from")) != NULL && is_date(v))
		f.from = sf.from = v;
	if ((v = arg(a, "to")) != NULL && is_date(v))
		f.to = sf.to = v;
	if ((v = arg(a, "cur_at")) != NULL && is_time(v) &&
	    arg(a, "cur_id") != NULL) {
		f.cur_at = v;
		if (!parse_id(arg(a, "cur_id"), &f.cur_id))
			f.cur_id = 0;
	}
	arg_trim(a, "contact", contact, sizeof(contact));
	if (contact[0] != '\0') {
		sf.contact = contact;
		if (!phone_normalize(contact, phone, sizeof(phone), &why))
			sf.error = "the contact is not a phone number in"
			    " international format (digits, optional +)";
		else if ((rc = store_admin_contact_find(a->st, phone,
		    &f.contact)) < 0) {
			admin_store_error(a);
			return;
		} else if (rc == 0)
			none = 1;	/* no such contact: no sessions */
	}
	/* A search pages on the id of the last message it looked at. */
	if (f.words != NULL && (!parse_id(arg(a, "before"), &sc.search.before) ||
	    sc.search.before < 0))
		sc.search.before = 0;
	view_sessions_open(a, &sf);
	co.a = a;
	co.selected = sf.conn;
	if (ops_connection_each_row(&a->ops, view_conn_option, &co) < 0)
		view_list_failed(a);
	view_sessions_table(a, &sf);
	sc.lc.a = a;
	sc.searched = f.words != NULL;
	if (!none && (f.words != NULL ? store_admin_search(a->st, &f,
	    &sc.search, view_sessions_row, &sc) : store_admin_sessions(a->st,
	    &f, view_sessions_row, &sc)) < 0)
		view_list_failed(a);
	view_sessions_close(a, &sf, &sc, f.limit);
}

/*
 * Writes a conversation page, with the reply form's error and text when a
 * reply was refused, and the question before taking it from ask_holder.
 */
static void
session_page(struct adm *a, int status, const char *reply_error,
    const char *reply_text, const char *action_error, const char *ask_holder)
{
	struct store_session_info	 si;
	struct session_page		 sp;
	struct list_ctx			 lc = { .a = a };
	const char			*before = arg(a, "before");
	int				 rc;

	if ((rc = store_admin_session_info(a->st, a->n, &si)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such session.");
		return;
	}
	memset(&sp, 0, sizeof(sp));
	sp.a = a;
	sp.si = &si;
	sp.limit = MESSAGES_PAGE;
	if (!parse_id(before, &sp.before))
		sp.before = 0;
	if (sp.before < 0)
		sp.before = 0;
	sp.reply_error = reply_error;
	sp.reply_text = reply_text;
	sp.action_error = action_error;
	sp.ask_holder = ask_holder;
	view_session_open(a, status, &sp);
	payload_fields_each(si.data, view_session_field, &lc);
	view_session_messages(a, &sp);
	if (store_admin_messages(a->st, si.id, sp.before, sp.limit,
	    view_session_message, &sp) < 0)
		view_list_failed(a);
	view_session_close(a, &sp);
	store_session_info_clear(&si);
}

void
session_show(struct adm *a)
{
	session_page(a, 200, NULL, NULL, NULL, NULL);
}

/* Redirects back to the session with notice, or shows why the action was refused. */
static void
session_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice)
{
	if (rc > 0)
		admin_redirect(a, notice, "/sessions/%lld", (long long)a->n);
	else if (rc < 0)
		admin_store_error(a);
	else if (e->kind == OPS_NOT_FOUND)
		admin_fail(a, 404, "No such session.");
	else
		session_page(a, admin_ops_status(e), NULL, NULL,
		    ops_error_text(e), NULL);
}

/*
 * Take over: a session another operator holds is taken only with
 * confirm=yes; without it the answer is the page asking, naming them.
 */
void
session_takeover(struct adm *a)
{
	struct ops_error	 e;
	const char		*confirm = arg(a, "confirm");
	char			 holder[256];
	int			 rc;

	rc = ops_session_takeover_asked(&a->ops, a->n, confirm != NULL &&
	    strcmp(confirm, "yes") == 0, holder, sizeof(holder), &e);
	if (rc == 0 && holder[0] != '\0')
		session_page(a, 409, NULL, NULL, NULL, holder);
	else
		session_after(a, rc, &e, "takenover");
}

/* The live read: what an open conversation page lacks after ?after=ID. */
void
session_live(struct adm *a)
{
	struct store_session_info	 si;
	int64_t				 after;
	int				 rc;

	if (!parse_id(arg(a, "after"), &after) || after < 0)
		after = 0;
	if ((rc = store_admin_session_info(a->st, a->n, &si)) <= 0) {
		http_error(a->h, rc < 0 ? 503 : 404, rc < 0 ?
		    "store unavailable" : "no such session");
		return;
	}
	view_session_live(a, &si, after);
	store_session_info_clear(&si);
}

void
session_release(struct adm *a)
{
	struct ops_error	 e;

	session_after(a, ops_session_release(&a->ops, a->n, &e), &e,
	    "released");
}

void
session_close(struct adm *a)
{
	struct ops_error	 e;

	session_after(a, ops_session_close(&a->ops, a->n, &e), &e, "closed");
}

void
session_reply(struct adm *a)
{
	struct ops_error	 e;
	const char		*text = arg(a, "text");
	int64_t			 msg;
	int			 rc;

	rc = ops_session_reply(&a->ops, a->n, text != NULL ? text : "", &msg,
	    &e);
	if (rc != 0 || e.kind == OPS_NOT_FOUND) {
		/* A warning (the contact opted out) shows with the message's status. */
		session_after(a, rc, &e, "replied");
		return;
	}
	if (e.kind == OPS_INVALID)
		session_page(a, 400, ops_error_for(&e, "text") != NULL ?
		    ops_error_for(&e, "text") : ops_error_text(&e), text, NULL,
		    NULL);
	else
		session_page(a, admin_ops_status(&e), NULL, text,
		    ops_error_text(&e), NULL);
}

void
session_export(struct adm *a)
{
	struct ops_error	 e;
	char			*json = NULL, disp[96];
	int			 rc;

	if ((rc = ops_session_export(&a->ops, a->n, &json, &e)) <= 0) {
		if (rc < 0)
			admin_store_error(a);
		else
			admin_fail(a, 404, "No such session.");
		return;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"session-%lld"
	    ".json\"", (long long)a->n);
	http_open_headers(a->h, 200, "application/json; charset=utf-8");
	http_header(a->h, "Content-Disposition", disp);
	http_header(a->h, NULL, NULL);
	http_puts(a->h, json);
	http_puts(a->h, "\n");
	free(json);
}
