/* Outbound messages: every producer queues through here, so the store holds the text as it is sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbound.h"
#include "phone.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"

int
outbound_text_prepare(struct outbound_text *t, const char *text)
{
	int	 cut;

	t->chars = 0;
	if ((t->text = smstext_prepare(text, strlen(text), &cut)) == NULL) {
		log_error("outbound: out of memory");
		return -1;
	}
	if (cut)
		t->chars = smstext_chars(text);
	return 1;
}

int
outbound_text_stored(struct store *st, const struct outbound_text *t,
    const char *conn, const char *uid, const char *recipient)
{
	if (t->chars == 0)
		return 1;
	return store_log(st, conn, "warn", "outbound", "message %s to %s:"
	    " text cut to %d characters from %zu (the SMS limit); stored as"
	    " sent", uid, recipient, SMSTEXT_MAX_CHARS, t->chars) < 0 ? -1 : 1;
}

int
outbound_queue(struct store *st, const struct store_outbound *o, int64_t *id,
    char *uid)
{
	struct store_outbound	 sent;
	struct outbound_text	 t;
	int			 rc;

	if (outbound_text_prepare(&t, o->text) < 0)
		return -1;
	sent = *o;
	sent.text = t.text;
	rc = store_message_insert_outbound(st, &sent, id, uid);
	if (rc > 0 && outbound_text_stored(st, &t, o->conn, uid,
	    o->recipient) < 0)
		rc = -1;
	free(t.text);
	return rc;
}

int
outbound_send(struct store *st, const char *conn, const char *to,
    const char *text, const char *author, int64_t *id, char *failed,
    size_t failedsz)
{
	struct store_connection	 c;
	struct store_outbound	 o;
	const char		*why;
	char			 phone[PHONE_MAX], uid[STORE_UID_MAX];
	int64_t			 contact, session;
	int			 rc, opted_out, opened;

	failed[0] = '\0';
	if ((rc = store_connection_get(st, conn, &c)) <= 0)
		return rc;
	memset(&o, 0, sizeof(o));
	o.conn = c.id;
	o.author = author;
	o.sender = c.sender;
	o.recipient = to;
	o.text = text;
	if (store_begin(st) < 0)
		return -1;
	if (!phone_normalize(to, phone, sizeof(phone), &why)) {
		/* Stored as failed, with the reason, and never sent. */
		snprintf(failed, failedsz, "invalid phone number: %s", why);
		o.fail_reason = failed;
		if (store_log(st, c.id, "error", "send_failed", "message to %s"
		    " not sent: %s", to, failed) < 0)
			goto err;
	} else {
		if (store_contact_get(st, phone, &contact, &opted_out) < 0 ||
		    store_session_open(st, c.id, contact, 0,
		    settings_get_long(st, SET_SESSION_TIMEOUT_MINUTES), &session,
		    &opened) < 0)
			goto err;
		o.recipient = phone;
		o.contact = contact;
		o.session = session;
		/* Never sent, as the sender would fail it: said at once instead. */
		if (opted_out) {
			snprintf(failed, failedsz, "the contact opted out");
			o.fail_reason = failed;
			if (store_log(st, c.id, "info", "send_failed", "message"
			    " to %s not sent: %s", phone, failed) < 0)
				goto err;
		}
	}
	if (outbound_queue(st, &o, id, uid) <= 0 || store_commit(st) < 0)
		goto err;
	return 1;
err:
	store_rollback(st);
	return -1;
}

int
outbound_session_reply(struct store *st, const struct store_session *s,
    const char *user, const char *text, int take, int64_t *id)
{
	struct store_outbound	 o;
	char			 who[300], uid[STORE_UID_MAX];
	int			 rc = -1;

	snprintf(who, sizeof(who), "operator:%s", user);
	memset(&o, 0, sizeof(o));
	o.conn = s->conn;
	o.session = s->id;
	o.contact = s->contact;
	o.author = who;
	o.sender = s->sender;
	o.recipient = s->phone;
	o.text = text;
	if (store_begin(st) < 0)
		return -1;
	/* Responsible before the reply exists: the agent's answer then finds the session taken. */
	if (take && ((rc = store_session_take_free(st, s->id, user)) <= 0 ||
	    store_log(st, s->conn, "info", "session", "session %lld taken"
	    " over by an operator who replied", (long long)s->id) < 0))
		goto fail;
	rc = -1;
	if (outbound_queue(st, &o, id, uid) <= 0 ||
	    store_session_touch(st, s->id) <= 0 || store_commit(st) < 0)
		goto fail;
	return 1;
fail:
	store_rollback(st);
	return rc == 0 ? 0 : -1;
}
