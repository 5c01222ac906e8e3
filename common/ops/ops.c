/* Operator actions shared by every noun: errors, rights, secrets; users, settings, sending and sessions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "log.h"
#include "ops_int.h"
#include "outbound.h"
#include "outbox.h"
#include "payload.h"
#include "secret.h"
#include "sender.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"
#include "webhook.h"

void
ops_reset(struct ops_error *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = OPS_OK;
}

int
ops_fail(struct ops_error *e, enum ops_outcome kind, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	if (e->n == 0)
		e->kind = kind;
	if (e->n < OPS_PROBLEMS_MAX) {
		e->p[e->n].field = field;
		va_start(ap, fmt);
		vsnprintf(e->p[e->n].text, sizeof(e->p[e->n].text), fmt, ap);
		va_end(ap);
		e->n++;
	}
	return kind == OPS_FAILED ? -1 : 0;
}

int
ops_store_error(struct ops_error *e)
{
	return ops_fail(e, OPS_FAILED, NULL, "store error (see the log)");
}

const char *
ops_error_text(const struct ops_error *e)
{
	return e->n > 0 ? e->p[0].text : "";
}

const char *
ops_error_for(const struct ops_error *e, const char *field)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (e->p[i].field != NULL && field != NULL &&
		    strcmp(e->p[i].field, field) == 0)
			return e->p[i].text;
	return NULL;
}

const char *
ops_user(const struct ops *o)
{
	return o->user != NULL && *o->user != '\0' ? o->user : "cli";
}

int
ops_role_may(enum user_role role, enum ops_right right)
{
	/* Rows: roles; columns: rights. */
	static const int	 may[ROLE__MAX][3] = {
		[ROLE_ADMIN] =		{ 1, 1, 1 },
		[ROLE_OPERATOR] =	{ 1, 1, 0 },
		[ROLE_VIEWER] =		{ 1, 0, 0 },
	};

	if ((unsigned)role >= ROLE__MAX || (unsigned)right > OPS_CONFIGURE)
		return 0;
	return may[role][right];
}

int
ops_need_key(const struct ops *o, struct ops_error *e)
{
	if (o->key != NULL)
		return 1;
	ops_fail(e, OPS_FAILED, NULL, "the key file is not loaded");
	return 0;
}

void
ops_mask(const struct ops *o, const char *enc, char *out, size_t outsz)
{
	char	*plain = NULL;

	if (enc == NULL || *enc == '\0')
		snprintf(out, outsz, "%s", "");
	else if (o->key != NULL && secret_decrypt(o->key, enc, &plain) > 0)
		secret_mask(plain, out, outsz);
	else
		snprintf(out, outsz, "(unreadable with this key file)");
	secret_free(plain);
}

int
ops_is_mask(const char *given)
{
	const char	*p;
	size_t		 chars = 0;

	if (given == NULL || strncmp(given, "****", 4) != 0)
		return 0;
	/* secret_mask's tail: nothing, or four characters (UTF-8 counted once). */
	for (p = given + 4; *p != '\0'; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			chars++;
	return chars == 0 || chars == 4;
}

int
ops_key_given(const char *enc, const char *given, const char *field,
    struct ops_error *e)
{
	if (given == NULL)
		return 0;
	if (!ops_is_mask(given))
		return 1;
	/* A form filled with a mask that a save meanwhile changed still keeps the key. */
	if (enc == NULL || *enc == '\0')
		ops_fail(e, OPS_INVALID, field, "this is how a saved key is"
		    " shown, not a key: paste the key itself");
	return 0;
}

int
ops_seal(const struct ops *o, const char *plain, char *out, size_t outsz,
    struct ops_error *e)
{
	char	*enc;
	int	 fits;

	if (!ops_need_key(o, e))
		return -1;
	if ((enc = secret_encrypt(o->key, plain)) == NULL) {
		log_error("secret_encrypt: %s", secret_error());
		return ops_fail(e, OPS_FAILED, "api_key", "cannot encrypt the"
		    " API key");
	}
	fits = (size_t)snprintf(out, outsz, "%s", enc) < outsz;
	free(enc);
	if (!fits)
		return ops_fail(e, OPS_FAILED, "api_key", "the encrypted API"
		    " key is too long to store");
	return 1;
}

int
ops_check_conn_id(const char *id, struct ops_error *e)
{
	if (store_id_valid(id))
		return 1;
	ops_fail(e, OPS_INVALID, "id", "'%.40s' is not a connection id (32 hex"
	    " digits)", id != NULL ? id : "");
	return 0;
}

void
ops_connection_label(const struct store_connection *c, char *buf,
    size_t bufsz)
{
	snprintf(buf, bufsz, "\"%.200s\" (%.8s)", c->name, c->id);
}

int
ops_conn_get(const struct ops *o, const char *id, struct store_connection *c,
    struct ops_error *e)
{
	int	 rc;

	if (!ops_check_conn_id(id, e))
		return 0;
	if ((rc = store_connection_get(o->st, id, c)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "id", "no connection %s", id);
	return 1;
}

/* --- Users -------------------------------------------------------------- */

int
ops_valid_username(const char *s, const char **why)
{
	*why = NULL;
	if (s == NULL || *s == '\0')
		*why = "username is required";
	else if (strlen(s) > 200)
		*why = "username is longer than 200 characters";
	else if (log_has_control(s))
		*why = "username contains control characters";
	else if (strchr(s, ':') != NULL)
		*why = "username cannot contain ':'";
	else if (strcmp(s, "ai") == 0)
		*why = "'ai' names the agent, not a user";
	return *why == NULL;
}

/*
 * Whether removing the admin role from username would leave no admin.
 * > 0 it would, 0 not, < 0 error.
 */
static int
last_admin(const struct ops *o, const char *username)
{
	enum user_role	 role;
	int		 rc, n;

	if ((rc = store_user_role(o->st, username, &role)) <= 0)
		return rc;
	if (role != ROLE_ADMIN)
		return 0;
	if ((n = store_user_admins(o->st)) < 0)
		return -1;
	return n <= 1;
}

int
ops_user_set(const struct ops *o, const char *username, const char *role,
    struct ops_error *e)
{
	enum user_role	 r;
	const char	*why;
	char		 roles[64];
	int		 rc;

	ops_reset(e);
	if (!ops_valid_username(username, &why))
		ops_fail(e, OPS_INVALID, "username", "%s", why);
	if (!user_role_find(role, &r))
		ops_fail(e, OPS_INVALID, "role", "role must be %s, not '%.40s'",
		    enum_names_join(user_role_names, ROLE__MAX, ", ", " or ",
		    roles, sizeof(roles)), role != NULL ? role : "");
	if (e->n > 0)
		return 0;
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if (r != ROLE_ADMIN && (rc = last_admin(o, username)) != 0) {
		store_rollback(o->st);
		return rc < 0 ? ops_store_error(e) : ops_fail(e, OPS_REFUSED,
		    "role", "%s is the only admin; make another user admin"
		    " first", username);
	}
	if (store_user_set(o->st, username, r) <= 0 ||
	    store_log(o->st, NULL, "info", "user", "user %s is %s (by %s)",
	    username, user_role_name(r), ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_user_delete(const struct ops *o, const char *username,
    struct ops_error *e)
{
	enum user_role	 role;
	const char	*why;
	int		 rc;

	ops_reset(e);
	if (!ops_valid_username(username, &why))
		return ops_fail(e, OPS_INVALID, "username", "%s", why);
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_user_role(o->st, username, &role)) == 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_NOT_FOUND, "username", "no user %s",
		    username);
	}
	if (rc > 0 && (rc = last_admin(o, username)) > 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_REFUSED, "username", "%s is the only"
		    " admin; make another user admin first", username);
	}
	if (rc < 0 || store_user_delete(o->st, username) <= 0 ||
	    store_log(o->st, NULL, "info", "user", "user %s deleted (by %s)",
	    username, ops_user(o)) < 0 || store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

int
ops_user_each(const struct ops *o,
    int (*fn)(const struct store_user_row *, void *), void *arg)
{
	return store_user_each(o->st, fn, arg);
}

/* --- Settings ----------------------------------------------------------- */

int
ops_settings_set(const struct ops *o, const char *name, const char *value,
    struct ops_error *e)
{
	const char	*why;
	int		 rc;

	ops_reset(e);
	campaign_settings_register();	/* the checks the domain owns */
	webhook_settings_register();
	if (name == NULL || settings_find(name) == NULL)
		return ops_fail(e, OPS_INVALID, "name", "no setting named"
		    " '%.60s'", name != NULL ? name : "");
	if (value != NULL && !settings_check(name, value, &why))
		return ops_fail(e, OPS_INVALID, "value", "%s: %s", name, why);
	/* The change and who made it, together (the installation's log). */
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = settings_set(o->st, name, value, &why)) > 0 &&
	    store_log(o->st, NULL, "info", "settings", value != NULL ?
	    "setting %s set to '%.200s' (by %s)" : "setting %s back to its"
	    " default%.0s (by %s)", name, value != NULL ? value : "",
	    ops_user(o)) < 0)
		rc = -1;
	if (rc > 0 && store_commit(o->st) < 0)
		rc = -1;
	if (rc <= 0)
		store_rollback(o->st);
	if (rc < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_INVALID, "value", "%s: %s", name, why);
	return 1;
}

/* --- Operations: backup and check --------------------------------------- */

int
ops_backup(const struct ops *o, const char *path, struct ops_error *e)
{
	char	 why[1024];
	int	 rc;

	ops_reset(e);
	if (path == NULL || *path == '\0')
		return ops_fail(e, OPS_INVALID, "path", "no file named for the"
		    " backup");
	if ((rc = store_backup(o->st, path, why, sizeof(why))) < 0)
		return ops_fail(e, OPS_FAILED, "path", "backup to %.200s failed"
		    " (see the log)", path);
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, "path", "%s", why);
	return 1;
}

int
ops_restore(const char *backup, struct store_restored *r,
    struct ops_error *e)
{
	char	 lock[4096], why[1024];
	int	 fd, rc;

	ops_reset(e);
	memset(r, 0, sizeof(*r));
	if (backup == NULL || *backup == '\0')
		return ops_fail(e, OPS_INVALID, "path", "no backup named to"
		    " restore");
	/* Before the lock, which is a file named after the store's. */
	if (store_on_server(NULL))
		return ops_fail(e, OPS_REFUSED, "path", "the store is on a"
		    " PostgreSQL server: restore it with pg_restore or psql");
	/* The sender's lock: cron's next sender waits out the restore. */
	if ((rc = sender_lock(NULL, lock, sizeof(lock), &fd)) < 0)
		return ops_fail(e, OPS_FAILED, "path", "%.200s: %s", lock,
		    strerror(errno));
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, "path", "a sender is running"
		    " (it holds %.200s); stop it first", lock);
	rc = store_restore(NULL, backup, r, why, sizeof(why));
	if (fd >= 0)
		close(fd);
	if (rc <= 0)
		return ops_fail(e, rc < 0 ? OPS_FAILED : OPS_REFUSED, "path",
		    "%s", why);
	return 1;
}

int
ops_restored(const struct ops *o, struct store_restored *r,
    struct ops_error *e)
{
	char	 lock[4096];
	int	 fd = -1, rc;

	ops_reset(e);
	memset(r, 0, sizeof(*r));
	/* A SQLite store's sender holds its lock: wait for none. */
	if (!store_on_server(NULL)) {
		if ((rc = sender_lock(NULL, lock, sizeof(lock), &fd)) < 0)
			return ops_fail(e, OPS_FAILED, "store", "%.200s: %s",
			    lock, strerror(errno));
		if (rc == 0)
			return ops_fail(e, OPS_REFUSED, "store", "a sender is"
			    " running (it holds %.200s); stop it first", lock);
	}
	rc = store_restore_marks(o->st, &r->unsure, &r->paused);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return ops_store_error(e);
	r->version = store_version(o->st);
	if (store_log(o->st, NULL, "warn", "store", "marked as restored by"
	    " %s: %lld message(s) unsure, %lld campaign(s) paused",
	    ops_user(o), (long long)r->unsure, (long long)r->paused) < 0)
		return ops_store_error(e);
	return 1;
}

int
ops_check(const struct ops *o, struct ops_check *c, struct ops_error *e)
{
	int	 rc;

	ops_reset(e);
	memset(c, 0, sizeof(*c));
	if ((rc = store_integrity(o->st, c->report, sizeof(c->report))) < 0 ||
	    (c->version = store_version(o->st)) < 0)
		return ops_store_error(e);
	c->ok = rc > 0;
	return 1;
}

/* --- Sending and sessions ----------------------------------------------- */

/* Checks message text as the send API does (smstext_check): 1, or 0 with a problem on "text". */
static int
check_text(const char *text, struct ops_error *e)
{
	const char	*why;

	if (text == NULL || *text == '\0') {
		ops_fail(e, OPS_INVALID, "text", "the text is empty");
		return 0;
	}
	if (!smstext_check(text, &why)) {
		ops_fail(e, OPS_INVALID, "text", "%s", why);
		return 0;
	}
	return 1;
}

int
ops_send(const struct ops *o, const char *conn, const char *to,
    const char *text, int64_t *id, struct ops_error *e)
{
	struct store_connection	 c;
	char			 author[300], failed[256];
	int			 rc;

	ops_reset(e);
	if (!store_id_valid(conn))
		ops_fail(e, OPS_INVALID, "connection", "'%.40s' is not a"
		    " connection id", conn != NULL ? conn : "");
	if (to == NULL || *to == '\0')
		ops_fail(e, OPS_INVALID, "to", "the number is empty");
	check_text(text, e);
	if (e->n > 0)
		return 0;
	if ((rc = store_connection_get(o->st, conn, &c)) <= 0)
		return rc < 0 ? ops_store_error(e) : ops_fail(e, OPS_NOT_FOUND,
		    "connection", "no connection %s", conn);
	snprintf(author, sizeof(author), "operator:%s", ops_user(o));
	if ((rc = outbound_send(o->st, conn, to, text, author, id, failed,
	    sizeof(failed))) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "connection", "no connection"
		    " %s", conn);
	if (failed[0] != '\0')
		ops_fail(e, OPS_REFUSED, "to", "%s", failed);
	return 1;
}

/* Reads session id for an action. > 0 found, 0 with OPS_NOT_FOUND. */
static int
session_get(const struct ops *o, int64_t id, struct store_session *s,
    struct ops_error *e)
{
	int	 rc;

	if ((rc = store_session_get(o->st, id, s)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_NOT_FOUND, "id", "no session %lld",
		    (long long)id);
	return 1;
}

/*
 * Gives session id to who ("ai" or a username), logged. With holder, only
 * while the AI or who itself holds it, checked in the update itself so two
 * operators cannot both take it; on refusal holder names who holds it.
 */
static int
session_responsible(const struct ops *o, int64_t id, const char *who,
    char *holder, size_t holdersz, struct ops_error *e)
{
	struct store_session	 s;
	int			 rc;

	ops_reset(e);
	if ((rc = session_get(o, id, &s, e)) <= 0)
		return rc;
	if (s.closed_at[0] != '\0')
		return ops_fail(e, OPS_REFUSED, "id", "session %lld is closed",
		    (long long)id);
	if (holder != NULL && strcmp(s.responsible, "ai") != 0 &&
	    strcmp(s.responsible, who) != 0)
		goto held;
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	rc = holder != NULL ? store_session_take_free(o->st, id, who) :
	    store_session_set_responsible(o->st, id, who);
	if (rc == 0) {
		store_rollback(o->st);
		/* Closed or taken meanwhile: say which, as it is now. */
		if ((rc = session_get(o, id, &s, e)) <= 0)
			return rc;
		if (holder == NULL || s.closed_at[0] != '\0')
			return ops_fail(e, OPS_REFUSED, "id", "session %lld is"
			    " closed", (long long)id);
		goto held;
	}
	if (rc < 0 || store_log(o->st, s.conn, "info", "session", "session"
	    " %lld %s", (long long)id, strcmp(who, "ai") == 0 ?
	    "given back to the AI" : "taken over by an operator") < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
held:
	snprintf(holder, holdersz, "%s", s.responsible);
	return ops_fail(e, OPS_REFUSED, "responsible", "%s holds session %lld",
	    s.responsible, (long long)id);
}

int
ops_session_takeover(const struct ops *o, int64_t id, struct ops_error *e)
{
	const char	*why;

	if (!ops_valid_username(ops_user(o), &why)) {
		ops_reset(e);
		return ops_fail(e, OPS_INVALID, "user", "%s", why);
	}
	return session_responsible(o, id, ops_user(o), NULL, 0, e);
}

int
ops_session_takeover_asked(const struct ops *o, int64_t id, int confirmed,
    char *holder, size_t holdersz, struct ops_error *e)
{
	const char	*why;

	ops_reset(e);
	if (holdersz > 0)
		holder[0] = '\0';
	if (!ops_valid_username(ops_user(o), &why))
		return ops_fail(e, OPS_INVALID, "user", "%s", why);
	if (confirmed)
		return session_responsible(o, id, ops_user(o), NULL, 0, e);
	return session_responsible(o, id, ops_user(o), holder, holdersz, e);
}

int
ops_session_release(const struct ops *o, int64_t id, struct ops_error *e)
{
	return session_responsible(o, id, "ai", NULL, 0, e);
}

int
ops_session_reply(const struct ops *o, int64_t id, const char *text,
    int64_t *msg, struct ops_error *e)
{
	struct store_session	 s;
	const char		*why;
	int			 rc;

	ops_reset(e);
	if (!ops_valid_username(ops_user(o), &why))
		ops_fail(e, OPS_INVALID, "user", "%s", why);
	if (!check_text(text, e) || e->n > 0)
		return 0;
	if ((rc = session_get(o, id, &s, e)) <= 0)
		return rc;
	if (s.closed_at[0] != '\0')
		return ops_fail(e, OPS_REFUSED, "id", "session %lld is closed;"
		    " send a new message instead", (long long)id);
	/* An operator's reply goes through the outbox like any other. */
	if ((rc = outbound_session_reply(o->st, &s, ops_user(o), text,
	    strcmp(s.responsible, "ai") == 0, msg)) < 0)
		return ops_store_error(e);
	if (rc == 0) {
		/* Closed, or another operator took it after it was read. */
		if ((rc = session_get(o, id, &s, e)) <= 0)
			return rc;
		if (s.closed_at[0] == '\0')
			return ops_fail(e, OPS_REFUSED, "responsible", "%s took"
			    " session %lld over meanwhile; nothing was sent",
			    s.responsible, (long long)id);
		return ops_fail(e, OPS_REFUSED, "id", "session %lld is closed;"
		    " send a new message instead", (long long)id);
	}
	if (s.opted_out)
		ops_fail(e, OPS_REFUSED, "text", "the contact opted out; the"
		    " message will not be sent");
	return 1;
}

int
ops_session_close(const struct ops *o, int64_t id, struct ops_error *e)
{
	struct store_session	 s;
	int			 rc;

	ops_reset(e);
	if ((rc = session_get(o, id, &s, e)) <= 0)
		return rc;
	if (store_begin(o->st) < 0)
		return ops_store_error(e);
	if ((rc = store_session_close(o->st, id)) == 0) {
		store_rollback(o->st);
		return ops_fail(e, OPS_REFUSED, "id", "session %lld is closed"
		    " already", (long long)id);
	}
	if (rc < 0 || store_log(o->st, s.conn, "info", "session", "session"
	    " %lld closed by %s", (long long)id, ops_user(o)) < 0 ||
	    store_commit(o->st) < 0) {
		store_rollback(o->st);
		return ops_store_error(e);
	}
	return 1;
}

/* Adds one message row to the export (payload_export_message). */
static int
export_message(const struct store_message_row *r, void *arg)
{
	struct payload_message	 m = {
		.id = r->id, .uid = r->uid, .at = r->at,
		.direction = r->direction, .author = r->author,
		.status = r->status, .reason = r->reason, .text = r->text,
		.sender = r->sender, .recipient = r->recipient,
		.infobip_id = r->infobip_id, .status_group = r->status_group,
		.status_name = r->status_name, .error_name = r->error_name,
		.error_description = r->error_description, .price = r->price,
		.currency = r->currency, .segments = r->sms_count,
		.sent_at = r->sent_at, .done_at = r->done_at,
		.clicks = r->clicks,
	};

	return payload_export_message(arg, &m);
}

int
ops_session_export(const struct ops *o, int64_t id, char **json,
    struct ops_error *e)
{
	struct payload_export	*x;
	struct payload_session	 ps;
	struct store_session	 s;
	struct store_connection	 c;
	char			*data = NULL, name[256], email[256];
	int			 rc;

	ops_reset(e);
	*json = NULL;
	if ((rc = session_get(o, id, &s, e)) <= 0)
		return rc;
	/* A deleted connection's sessions stay: its name is then unknown. */
	memset(&c, 0, sizeof(c));
	if (store_connection_get(o->st, s.conn, &c) < 0 ||
	    store_session_data(o->st, id, &data, name, sizeof(name), email,
	    sizeof(email)) <= 0)
		goto err;
	memset(&ps, 0, sizeof(ps));
	ps.id = s.id;
	ps.conn = s.conn;
	ps.conn_name = c.name;
	ps.phone = s.phone;
	ps.opted_out = s.opted_out;
	ps.responsible = s.responsible;
	ps.started_at = s.started_at;
	ps.last_at = s.last_at;
	ps.closed_at = s.closed_at;
	ps.data = data;
	ps.contact_name = name;
	ps.contact_email = email;
	if ((x = payload_export_open(&ps)) == NULL)
		goto err;
	rc = store_session_messages(o->st, id, export_message, x);
	/* finish frees the builder, also after a failure. */
	if ((*json = payload_export_finish(x)) == NULL || rc < 0) {
		free(*json);
		*json = NULL;
		goto err;
	}
	free(data);
	return 1;
err:
	free(data);
	return ops_store_error(e);
}

/* --- The outbox by hand ------------------------------------------------- */

/* Runs an outbox action (outbox.c) as ops->user. */
static int
outbox_act(const struct ops *o, int64_t message,
    int (*fn)(struct store *, int64_t, const char *, const char **),
    struct ops_error *e)
{
	const char	*why = NULL;
	int		 rc;

	ops_reset(e);
	if ((rc = fn(o->st, message, ops_user(o), &why)) < 0)
		return ops_store_error(e);
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, "id", "message %lld: %s",
		    (long long)message, why != NULL ? why : "refused");
	return 1;
}

int
ops_outbox_resend(const struct ops *o, int64_t message, struct ops_error *e)
{
	return outbox_act(o, message, outbox_resend, e);
}

int
ops_outbox_fail(const struct ops *o, int64_t message, struct ops_error *e)
{
	return outbox_act(o, message, outbox_fail, e);
}
