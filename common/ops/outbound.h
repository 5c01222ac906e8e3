/* Outbound messages: every producer queues through here, so the store holds the text as it is sent. */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_outbound;
struct store_session;

/* An outbound text as it is sent, and what the log says of it once stored. */
struct outbound_text {
	char	*text;		/* repaired and cut (smstext_prepare); the caller frees */
	size_t	 chars;		/* the original's length in characters when cut, else 0 */
};

/*
 * Prepares text as it will go out (outbound_queue's preparation, for a
 * producer that stores it itself): t->text is the caller's to free.
 * > 0, < 0 out of memory (logged).
 */
int	 outbound_text_prepare(struct outbound_text *t, const char *text);

/*
 * Once t is stored as message uid to recipient on connection conn: a cut
 * is written to the connection's log with the original length. > 0, < 0
 * store error.
 */
int	 outbound_text_stored(struct store *, const struct outbound_text *t,
	    const char *conn, const char *uid, const char *recipient);

/*
 * Queues an outbound message, inside the caller's transaction, with its
 * text as it will go out: invalid UTF-8 repaired and, past
 * SMSTEXT_MAX_CHARS, cut to that many ending in "..." (smstext_prepare).
 * A cut is written to the connection's log with the original length. The
 * one way agent replies, keyword replies and operators' messages enter the
 * outbox. Returns as store_message_insert_outbound: > 0 with *id and uid
 * (STORE_UID_MAX bytes), 0 refused by a constraint, < 0 error.
 */
int	 outbound_queue(struct store *, const struct store_outbound *,
	    int64_t *id, char *uid);

/*
 * An operator's message to a number on connection conn, from author, in
 * one transaction. A valid number is queued in the contact's session
 * (opened when there is none); an invalid one, or one whose contact opted
 * out, is stored failed with the reason (never sent) and logged, and
 * failed (failedsz bytes) receives the reason, else "". Returns > 0 stored with *id, 0 no such connection,
 * < 0 error (nothing stored).
 */
int	 outbound_send(struct store *, const char *conn, const char *to,
	    const char *text, const char *author, int64_t *id, char *failed,
	    size_t failedsz);

/*
 * An operator's reply in session s, from "operator:USER", queued like any
 * message and the session touched, in one transaction; with take, the
 * same transaction makes USER responsible first, only while the AI (or
 * USER) still holds it. > 0 with *id, 0 when the session closed or another
 * operator took it meanwhile (take only), < 0 error (nothing stored either
 * way).
 */
int	 outbound_session_reply(struct store *, const struct store_session *s,
	    const char *user, const char *text, int take, int64_t *id);

#endif
