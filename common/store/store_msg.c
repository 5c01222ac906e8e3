/* Contacts, sessions and messages: inbound and outbound inserts, delivery reports, clicks, the conversation (an aggregate of the store). */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_private.h"

/* What a delivery report writes on its message (?13 is the message id). */
#define REPORT_SET "status = ?1, status_group = ?2, status_name = ?3," \
	" status_description = ?4, error_name = ?5, error_description = ?6," \
	" bulk_id = COALESCE(?7, bulk_id), price = COALESCE(?8, price)," \
	" currency = COALESCE(?9, currency)," \
	" sms_count = COALESCE(?10, sms_count)," \
	" sent_at = COALESCE(sent_at, ?11), done_at = COALESCE(?12, done_at)," \
	" updated_at = " NOW

enum msg_stmt {
	STMT_CONTACT_ADD,
	STMT_CONTACT_GET,
	STMT_CONTACT_OPT,
	STMT_SESSION_FIND,
	STMT_SESSION_CLOSE,
	STMT_SESSION_ADD,
	STMT_SESSION_TOUCH,
	STMT_SESSION_AI,
	STMT_SESSION_CLOSE_IDLE,
	STMT_SESSION_GET,
	STMT_SESSION_LIST,
	STMT_SESSION_MESSAGES,
	STMT_SESSION_RESPONSIBLE,
	STMT_SESSION_TAKE_FREE,
	STMT_SESSION_CLOSE_OPEN,
	STMT_SESSION_DATA_GET,
	STMT_INBOUND_SEEN,
	STMT_MSG_IN,
	STMT_MSG_OUT,
	STMT_OUTBOX_ADD,
	STMT_MSG_FIND_OUT,
	STMT_EVENT_ADD,
	STMT_MSG_REPORT,
	STMT_MSG_FAILED_FINAL,
	STMT_MSG_REPORT_FAILED,
	STMT_PENDING_EACH,
	STMT_EVENT_APPLIED,
	STMT_CLICK_ADD,
	STMT_HISTORY,
	STMT_SESSION_DATA,
	STMT_CONTACT_FIELDS,
	STMT_INBOUND_ONE,
	STMT_INBOUND_GROUP,
	STMT_REPORT_GROUP,
	MSG__MAX
};

static const struct db_sql msg_stmt[MSG__MAX] = {
	DB_SQL(STMT_CONTACT_ADD, "INSERT INTO contacts (phone) VALUES (?)"
	    " ON CONFLICT (phone) DO NOTHING"),
	DB_SQL(STMT_CONTACT_GET, "SELECT id, opted_out FROM contacts WHERE phone = ?"),
	DB_SQL(STMT_CONTACT_OPT, "UPDATE contacts SET opted_out = ?,"
	    " opted_out_at = CASE WHEN ? THEN " NOW " ELSE opted_out_at END"
	    " WHERE id = ?"),
	DB_SQL(STMT_SESSION_FIND, "SELECT id, last_at < strftime('%Y-%m-%d %H:%M:%f',"
	    " 'now', ?) FROM sessions WHERE connection_id = ? AND contact_id = ?"
	    " AND closed_at IS NULL"),
	DB_SQL(STMT_SESSION_CLOSE, "UPDATE sessions SET closed_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_SESSION_ADD, "INSERT INTO sessions (connection_id, contact_id,"
	    " agent_id) VALUES (?, ?, NULLIF(?, 0))"),
	DB_SQL(STMT_SESSION_TOUCH, "UPDATE sessions SET last_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_SESSION_CLOSE_IDLE, "UPDATE sessions SET closed_at = " NOW
	    " WHERE closed_at IS NULL AND last_at <"
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', ?)"),
	DB_SQL(STMT_SESSION_GET, "SELECT s.id, s.connection_id, s.contact_id,"
	    " c.phone, c.opted_out, s.responsible, s.started_at, s.last_at,"
	    " COALESCE(s.closed_at, ''), k.sender FROM sessions s"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN connections k ON k.id = s.connection_id WHERE s.id = ?"),
	DB_SQL(STMT_SESSION_LIST, "SELECT session_id, connection_id,"
	    " contact_phone, responsible, last_at, closed_at IS NULL,"
	    " message_count, COALESCE(last_text, '') FROM session_overview"
	    " WHERE ?1 IS NULL OR connection_id = ?1"
	    " ORDER BY last_at DESC, session_id DESC LIMIT ?2"),
	DB_SQL(STMT_SESSION_MESSAGES, "SELECT m.id, m.uid, m.created_at,"
	    " m.direction, m.author, m.status, m.status_description, m.text,"
	    " m.sender, m.recipient, COALESCE(m.infobip_id, ''),"
	    " m.status_group, m.status_name, m.error_name,"
	    " m.error_description, m.price, COALESCE(m.currency, ''),"
	    " m.sms_count, COALESCE(m.sent_at, ''), COALESCE(m.done_at, ''),"
	    " (SELECT COUNT(*) FROM message_events e"
	    " WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id"
	    " AND e.kind = 'click')"
	    " FROM messages m WHERE m.session_id = ? ORDER BY m.id"),
	DB_SQL(STMT_SESSION_RESPONSIBLE, "UPDATE sessions SET responsible = ?"
	    " WHERE id = ? AND closed_at IS NULL"),
	DB_SQL(STMT_SESSION_TAKE_FREE, "UPDATE sessions SET responsible = ?"
	    " WHERE id = ? AND closed_at IS NULL AND responsible IN ('ai', ?)"),
	DB_SQL(STMT_SESSION_CLOSE_OPEN, "UPDATE sessions SET closed_at = " NOW
	    " WHERE id = ? AND closed_at IS NULL"),
	DB_SQL(STMT_SESSION_DATA_GET, "SELECT s.data, c.name, c.email"
	    " FROM sessions s JOIN contacts c ON c.id = s.contact_id"
	    " WHERE s.id = ?"),
	DB_SQL(STMT_SESSION_AI, "SELECT responsible = 'ai' FROM sessions"
	    " WHERE id = ?"),
	DB_SQL(STMT_INBOUND_SEEN, "SELECT 1 FROM messages WHERE connection_id = ?"
	    " AND infobip_id = ? AND direction = 'in'"),
	DB_SQL(STMT_MSG_IN, "INSERT INTO messages (uid, connection_id, session_id,"
	    " contact_id, direction, author, sender, recipient, text, infobip_id,"
	    " status, received_at, price, currency, sms_count)"
	    " VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), 'in', 'customer', ?, ?, ?, ?,"
	    " 'received', ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
	DB_SQL(STMT_MSG_OUT, "INSERT INTO messages (uid, connection_id, session_id,"
	    " contact_id, direction, author, sender, recipient, text, status,"
	    " status_description) VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), 'out',"
	    " ?, ?, ?, ?, ?, ?)"),
	DB_SQL(STMT_OUTBOX_ADD, "INSERT INTO outbox (message_id, priority)"
	    " VALUES (?, ?)"),
	DB_SQL(STMT_MSG_FIND_OUT, "SELECT id FROM messages WHERE connection_id = ?"
	    " AND uid = ? AND direction = 'out'"),
	/*
	 * A report Infobip sends again (it retries until it gets a 200) is
	 * kept once: same message, same status reached at the same doneAt
	 * (the key sql/015-events-once.sql gives older rows).
	 */
	DB_SQL(STMT_EVENT_ADD, "INSERT INTO message_events (connection_id,"
	    " message_uid, message_id, kind, applied, status, status_group,"
	    " status_name, status_description, error_name, error_description,"
	    " bulk_id, price, currency, sms_count, sent_at, done_at, raw,"
	    " event_key) VALUES (?1, ?2, NULLIF(?3, 0), 'report', ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?5 || '|' || ?6 || '|' || ?7 || '|' || COALESCE(?16, ''))"
	    " ON CONFLICT DO NOTHING"),
	DB_SQL(STMT_MSG_REPORT, "UPDATE messages SET " REPORT_SET
	    " WHERE id = ?13 AND " RANK("status") " < 3 AND " RANK("status")
	    " <= " RANK("?1")),
	DB_SQL(STMT_MSG_FAILED_FINAL, "SELECT connection_id, uid, recipient,"
	    " status_description FROM messages WHERE id = ?1"
	    " AND status = 'failed' AND " RANK("?2") " = 4"),
	DB_SQL(STMT_MSG_REPORT_FAILED, "UPDATE messages SET " REPORT_SET
	    " WHERE id = ?13 AND status = 'failed' AND " RANK("?1") " = 4"),
	DB_SQL(STMT_PENDING_EACH, "SELECT e.id, m.id, e.status, e.status_group,"
	    " e.status_name, e.status_description, e.error_name,"
	    " e.error_description, e.bulk_id, e.price, e.currency, e.sms_count,"
	    " e.sent_at, e.done_at FROM message_events e JOIN messages m"
	    " ON m.uid = e.message_uid AND m.connection_id = e.connection_id"
	    " AND m.direction = 'out' WHERE e.applied = 0 AND e.kind = 'report'"
	    " ORDER BY e.id LIMIT 500"),
	DB_SQL(STMT_EVENT_APPLIED, "UPDATE message_events SET applied = 1,"
	    " message_id = ? WHERE id = ?"),
	/* A click is kept once: same message, same time, same link. */
	DB_SQL(STMT_CLICK_ADD, "INSERT INTO message_events (connection_id,"
	    " message_uid, message_id, kind, applied, raw, event_key)"
	    " VALUES (?1, ?2, ?3, 'click', 1, ?4, ?5 || '|' || ?6)"
	    " ON CONFLICT DO NOTHING"),
	DB_SQL(STMT_HISTORY, "SELECT direction = 'in', text FROM (SELECT id,"
	    " direction, text FROM messages WHERE session_id = ? AND id < ?"
	    " AND status <> 'failed' ORDER BY id DESC LIMIT ?) ORDER BY id"),
	DB_SQL(STMT_SESSION_DATA, "UPDATE sessions SET data = COALESCE(?, data),"
	    " collect_step = ? WHERE id = ?"),
	DB_SQL(STMT_CONTACT_FIELDS, "UPDATE contacts SET"
	    " name = CASE WHEN ?1 <> '' THEN ?1 ELSE name END,"
	    " email = CASE WHEN ?2 <> '' THEN ?2 ELSE email END,"
	    " data = CASE WHEN ?3 IS NOT NULL THEN json_patch(data, ?3)"
	    " ELSE data END WHERE id = ?4"),
	/*
	 * PostgreSQL's only (db_pg_sql.c: the function of
	 * sql/pg/020-inbound-one.sql); SQLite runs the steps one by one
	 * (store_inbound_store). This text names the parameters the override
	 * takes, and gives no row should it ever run.
	 */
	DB_SQL(STMT_INBOUND_ONE, "SELECT 0, 0, 0, 0, -1 WHERE 0 AND coalesce(?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
	/* PostgreSQL's only too: a group of STMT_INBOUND_ONE's calls in one statement. */
	DB_SQL(STMT_INBOUND_GROUP, "SELECT 0, 0, 0, 0, -1 WHERE 0 AND coalesce(?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
	/* PostgreSQL's only: a body's reports in one statement (db_pg_sql.c). */
	DB_SQL(STMT_REPORT_GROUP, "SELECT 0, 0, '', '' WHERE 0 AND coalesce(?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
};

const struct db_table msg_sql = { DB_SLOT_MSG, MSG__MAX, msg_stmt };

int
store_contact_get(struct store *st, const char *phone, int64_t *id,
    int *opted_out)
{
	struct db_stmt	*s;
	int		 rc;

	if (db_exec(st->db, &msg_sql, STMT_CONTACT_ADD, "s", phone) < 0)
		return -1;
	if ((rc = db_run(st->db, &msg_sql, STMT_CONTACT_GET, &s, "s", phone)) != DB_ROW)
		return -1;
	*id = db_int64(s, 0);
	if (opted_out != NULL)
		*opted_out = db_int(s, 1);
	db_reset(s);
	return 1;
}

int
store_contact_set_opt_out(struct store *st, int64_t contact, int opted_out)
{
	return db_exec(st->db, &msg_sql, STMT_CONTACT_OPT, "iii", (int64_t)opted_out,
	    (int64_t)opted_out, contact);
}

int
store_session_open(struct store *st, const char *conn, int64_t contact,
    int64_t agent, long timeout_minutes, int64_t *session, int *opened)
{
	struct db_stmt	*s;
	char		 ago[32];
	int64_t		 id;
	int		 rc, stale;

	*opened = 0;
	snprintf(ago, sizeof(ago), "-%ld minutes", timeout_minutes);
	if ((rc = db_run(st->db, &msg_sql, STMT_SESSION_FIND, &s, "ssi", ago, conn,
	    contact)) < 0)
		return -1;
	if (rc == DB_ROW) {
		id = db_int64(s, 0);
		stale = db_int(s, 1);
		db_reset(s);
		if (!stale) {
			*session = id;
			return db_exec(st->db, &msg_sql, STMT_SESSION_TOUCH, "i", id);
		}
		if (db_exec(st->db, &msg_sql, STMT_SESSION_CLOSE, "i", id) < 0)
			return -1;
	}
	if ((rc = db_exec(st->db, &msg_sql, STMT_SESSION_ADD, "sii", conn, contact,
	    agent)) <= 0)
		return rc;
	*session = db_last_id(st->db);
	*opened = 1;
	return 1;
}

int
store_session_touch(struct store *st, int64_t session)
{
	return db_exec(st->db, &msg_sql, STMT_SESSION_TOUCH, "i", session);
}

int
store_sessions_close_idle(struct store *st, long timeout_minutes, long *closed)
{
	char	 ago[32];

	*closed = 0;
	snprintf(ago, sizeof(ago), "-%ld minutes", timeout_minutes);
	if (db_exec(st->db, &msg_sql, STMT_SESSION_CLOSE_IDLE, "s", ago) < 0)
		return -1;
	*closed = db_changes(st->db);
	return 1;
}

int
store_session_is_ai(struct store *st, int64_t session)
{
	struct db_stmt	*s;
	int		 rc, ai = 0;

	if ((rc = db_run(st->db, &msg_sql, STMT_SESSION_AI, &s, "i", session)) < 0)
		return -1;
	if (rc == DB_ROW)
		ai = db_int(s, 0);
	db_reset(s);
	return ai;
}

int
store_inbound_seen(struct store *st, const char *conn, const char *infobip_id)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &msg_sql, STMT_INBOUND_SEEN, &s, "ss", conn, infobip_id)) < 0)
		return -1;
	db_reset(s);
	return rc == DB_ROW;
}

int
store_message_insert_inbound(struct store *st, const struct store_inbound *in,
    int64_t *id)
{
	struct db_stmt	*s;
	char		 uid[STORE_UID_MAX];
	int		 rc;

	if (store_new_uid(uid) < 0)
		return -1;
	rc = db_run(st->db, &msg_sql, STMT_MSG_IN, &s, "ssiissTssDsI", uid,
	    in->conn, in->session, in->contact, in->from, in->to, in->text,
	    in->text_len, in->infobip_id, in->received_at, in->price,
	    in->currency, in->sms_count);
	db_reset(s);
	if (rc != DB_DONE)
		return -1;
	if (db_changes(st->db) == 0)
		return 0;
	*id = db_last_id(st->db);
	return 1;
}

int
store_inbound_queues(const struct store *st)
{
	return st->server;
}

int
store_calls_grouped(const struct store *st)
{
	return st->server;
}

int
store_inbound_store(struct store *st, struct store_inbound *in,
    const char *phone, int64_t agent, long timeout_minutes,
    int64_t queue_agent, struct store_inbound_done *d)
{
	struct db_stmt	*s;
	char		 uid[STORE_UID_MAX], idle[32];
	int		 rc, opened;

	memset(d, 0, sizeof(*d));
	d->queued = -1;
	if (!st->server) {
		if ((rc = store_inbound_seen(st, in->conn, in->infobip_id)) != 0)
			return rc > 0 ? 0 : -1;
		if (store_contact_get(st, phone, &in->contact, &d->opted_out) < 0 ||
		    store_session_open(st, in->conn, in->contact, agent,
		    timeout_minutes, &in->session, &opened) < 0)
			return -1;
		d->contact = in->contact;
		d->session = in->session;
		return store_message_insert_inbound(st, in, &d->msg);
	}
	if (store_new_uid(uid) < 0)
		return -1;
	snprintf(idle, sizeof(idle), "-%ld minutes", timeout_minutes);
	if ((rc = db_run(st->db, &msg_sql, STMT_INBOUND_ONE, &s,
	    "sssissssTsDsIi", in->conn, in->infobip_id, phone, agent, idle,
	    uid, in->from, in->to, in->text, in->text_len, in->received_at,
	    in->price, in->currency, in->sms_count, queue_agent)) != DB_ROW) {
		if (rc > 0)
			log_error("STMT_INBOUND_ONE: no row");
		db_reset(s);
		return -1;
	}
	d->msg = db_int64(s, 0);
	d->contact = in->contact = db_int64(s, 1);
	d->opted_out = db_int(s, 2);
	d->session = in->session = db_int64(s, 3);
	d->queued = db_int(s, 4);
	db_reset(s);
	return d->msg != 0;
}

/* Appends len bytes of p to a; a failure is kept in a->oom. */
static void
arraytext_put(struct arraytext *a, const char *p, size_t len)
{
	char	*ns;
	size_t	 ncap;

	if (a->oom)
		return;
	if (a->len + len + 1 > a->cap) {
		ncap = a->cap > 0 ? a->cap : 1024;
		while (ncap < a->len + len + 1)
			ncap *= 2;
		if ((ns = realloc(a->s, ncap)) == NULL) {
			a->oom = 1;
			return;
		}
		a->s = ns;
		a->cap = ncap;
	}
	memcpy(a->s + a->len, p, len);
	a->len += len;
	a->s[a->len] = '\0';
}

/* Appends one element to the next column (store_private.h). */
void
arraytext_elem(struct arrays *as, const char *v, size_t len)
{
	struct arraytext	*a = &as->col[as->next];
	size_t			 i, run;

	as->next = (as->next + 1) % as->ncol;
	arraytext_put(a, a->len == 0 ? "{" : ",", 1);
	if (v == NULL) {
		arraytext_put(a, "NULL", 4);
		return;
	}
	arraytext_put(a, "\"", 1);
	for (i = 0; i < len; i += run) {
		if (v[i] == '"' || v[i] == '\\') {
			arraytext_put(a, "\\", 1);
			run = 1;
			arraytext_put(a, v + i, 1);
			continue;
		}
		for (run = 0; i + run < len && v[i + run] != '"' &&
		    v[i + run] != '\\'; run++)
			;
		arraytext_put(a, v + i, run);
	}
	arraytext_put(a, "\"", 1);
}

/* Closes every column's literal. > 0, < 0 out of memory (logged). */
int
arrays_end(struct arrays *as, const char *what)
{
	size_t	 i;
	int	 oom = 0;

	for (i = 0; i < as->ncol; i++) {
		arraytext_put(&as->col[i], as->col[i].len == 0 ? "{}" : "}",
		    as->col[i].len == 0 ? 2 : 1);
		oom |= as->col[i].oom;
	}
	if (oom)
		log_error("%s: out of memory", what);
	return oom ? -1 : 1;
}

/* Frees the columns. */
void
arrays_free(struct arrays *as)
{
	size_t	 i;

	for (i = 0; i < ARRAYS_MAX; i++)
		free(as->col[i].s);
}

/* Appends an integer element; absent (NULL) when below min. */
void
arraytext_int(struct arrays *a, int64_t v, int64_t min)
{
	char	 num[32];

	if (v < min) {
		arraytext_elem(a, NULL, 0);
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)v);
	arraytext_elem(a, num, strlen(num));
}

/*
 * Whether a group statement's walk ended well: one row for each of its n
 * calls (rows read) and then done. 1, else -1 (logged with name).
 */
static int
group_walked(int step, size_t rows, size_t n, const char *name)
{
	if (step < 0)
		return -1;
	if (rows < n || step != DB_DONE) {
		log_error("%s: %zu rows for %zu calls", name, rows, n);
		return -1;
	}
	return 1;
}

/* The fields of one inbound_mo call, in its parameters' order. */
static void
inbound_call_put(struct arrays *a, const struct store_inbound_call *c,
    const char *uid)
{
	const struct store_inbound	*in = &c->in;
	char				 num[64];

	arraytext_elem(a, in->conn, strlen(in->conn));
	arraytext_elem(a, in->infobip_id, strlen(in->infobip_id));
	arraytext_elem(a, c->phone, strlen(c->phone));
	arraytext_int(a, c->agent, INT64_MIN);
	snprintf(num, sizeof(num), "-%ld minutes", c->timeout_minutes);
	arraytext_elem(a, num, strlen(num));
	arraytext_elem(a, uid, strlen(uid));
	arraytext_elem(a, in->from, strlen(in->from));
	arraytext_elem(a, in->to, strlen(in->to));
	arraytext_elem(a, in->text, in->text != NULL ? in->text_len : 0);
	arraytext_elem(a, in->received_at, in->received_at != NULL ?
	    strlen(in->received_at) : 0);
	/* %.17g reads back as the same double ('D': below 0 is absent). */
	snprintf(num, sizeof(num), "%.17g", in->price);
	arraytext_elem(a, in->price < 0 ? NULL : num, strlen(num));
	arraytext_elem(a, in->currency, in->currency != NULL ?
	    strlen(in->currency) : 0);
	arraytext_int(a, in->sms_count, 0);
	arraytext_int(a, c->queue_agent, INT64_MIN);
}

int
store_inbound_store_group(struct store *st, struct store_inbound_call *calls,
    size_t n)
{
	struct db_stmt		*s = NULL;
	struct arrays		 a;
	char			 uid[STORE_UID_MAX];
	size_t			 i;
	int			 rc = -1, step;

	memset(&a, 0, sizeof(a));
	a.ncol = 14;
	if (!st->server)
		return -1;
	for (i = 0; i < n; i++) {
		if (store_new_uid(uid) < 0)
			goto out;
		inbound_call_put(&a, &calls[i], uid);
	}
	if (arrays_end(&a, "store_inbound_store_group") < 0)
		goto out;
	for (i = 0, step = db_run(st->db, &msg_sql, STMT_INBOUND_GROUP, &s,
	    "ssssssssssssss", a.col[0].s, a.col[1].s, a.col[2].s, a.col[3].s,
	    a.col[4].s, a.col[5].s, a.col[6].s, a.col[7].s, a.col[8].s,
	    a.col[9].s, a.col[10].s, a.col[11].s, a.col[12].s, a.col[13].s);
	    step == DB_ROW && i < n; i++, step = db_step(s)) {
		memset(&calls[i].d, 0, sizeof(calls[i].d));
		calls[i].d.msg = db_int64(s, 0);
		calls[i].d.contact = calls[i].in.contact = db_int64(s, 1);
		calls[i].d.opted_out = db_int(s, 2);
		calls[i].d.session = calls[i].in.session = db_int64(s, 3);
		calls[i].d.queued = db_int(s, 4);
		calls[i].rc = calls[i].d.msg != 0;
	}
	rc = group_walked(step, i, n, "STMT_INBOUND_GROUP");
out:
	db_reset(s);
	arrays_free(&a);
	return rc;
}

int
store_message_insert_outbound(struct store *st, const struct store_outbound *o,
    int64_t *id, char *uid)
{
	int	 rc;

	if (store_new_uid(uid) < 0)
		return -1;
	rc = db_exec(st->db, &msg_sql, STMT_MSG_OUT, "ssiissssss", uid, o->conn,
	    o->session, o->contact, o->author, o->sender, o->recipient,
	    o->text, o->fail_reason != NULL ? "failed" : "queued",
	    o->fail_reason != NULL ? o->fail_reason : "");
	if (rc <= 0)
		return rc;
	*id = db_last_id(st->db);
	if (o->fail_reason != NULL)
		return 1;
	return db_exec(st->db, &msg_sql, STMT_OUTBOX_ADD, "ii", *id,
	    (int64_t)(o->priority != 0));
}

/* Says in the connection's log that report r replaced the 'failed' (was: its reason) we had marked. */
static int
report_over_failed_log(struct store *st, const char *conn, const char *uid,
    const char *to, const char *was, const struct store_report *r)
{
	const char	*gn, *sn;

	gn = r->group_name != NULL ? r->group_name : "";
	sn = r->status_name != NULL ? r->status_name : "";
	return store_log(st, conn, "warn", "report", "message %s to %s:"
	    " Infobip's final report says %s%s%s, so it is now %s, no longer"
	    " failed as marked here (%s)", uid, to, gn, *sn != '\0' ? " " : "",
	    sn, r->status, was[0] != '\0' ? was : "no reason given");
}

/*
 * Infobip's final report on a message we marked failed ourselves: the
 * report is the truth about the message, so it replaces our verdict, and
 * the connection's log says what we had thought. > 0 corrected, 0 not
 * such a case, < 0 error.
 */
static int
report_over_failed(struct store *st, int64_t id, const struct store_report *r)
{
	struct db_stmt	*s;
	char		 conn[STORE_ID_LEN + 1], uid[STORE_UID_MAX];
	char		 to[64], was[512];
	int		 rc;

	if ((rc = db_run(st->db, &msg_sql, STMT_MSG_FAILED_FINAL, &s, "is", id,
	    r->status)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	db_copy(s, 0, conn, sizeof(conn));
	db_copy(s, 1, uid, sizeof(uid));
	db_copy(s, 2, to, sizeof(to));
	db_copy(s, 3, was, sizeof(was));
	db_reset(s);
	/* Another final report may have corrected it since (PostgreSQL): then it stays. */
	if ((rc = db_exec_changed(st->db, &msg_sql, STMT_MSG_REPORT_FAILED,
	    "SSSSSSs" "DsIssi", r->status, r->group_name, r->status_name,
	    r->status_description, r->error_name, r->error_description,
	    r->infobip_bulk_id, r->price, r->currency, r->sms_count, r->sent_at,
	    r->done_at, id)) <= 0)
		return rc < 0 ? -1 : 0;
	return report_over_failed_log(st, conn, uid, to, was, r) < 0 ? -1 : 1;
}

/*
 * Applies report r to message id: the status only moves forward, and a
 * final status from Infobip also replaces our own 'failed'. Leaves the
 * outbox, since Infobip has the message.
 */
static int
report_to_message(struct store *st, int64_t id, const struct store_report *r)
{
	if (db_exec(st->db, &msg_sql, STMT_MSG_REPORT, "SSSSSSs" "DsIssi", r->status,
	    r->group_name, r->status_name, r->status_description,
	    r->error_name, r->error_description, r->infobip_bulk_id,
	    r->price, r->currency, r->sms_count, r->sent_at, r->done_at,
	    id) < 0)
		return -1;
	if (db_changes(st->db) == 0 && report_over_failed(st, id, r) < 0)
		return -1;
	return store_outbox_remove(st, id);
}

int
store_report_apply(struct store *st, const char *conn,
    const struct store_report *r, int *pending)
{
	struct db_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	*pending = 0;
	if ((rc = db_run(st->db, &msg_sql, STMT_MSG_FIND_OUT, &s, "ss", conn, r->uid)) < 0)
		return -1;
	if (rc == DB_ROW)
		id = db_int64(s, 0);
	db_reset(s);
	if ((rc = db_exec_changed(st->db, &msg_sql, STMT_EVENT_ADD, "ssii" "SSSSSS" "sDsI"
	    "ssS", conn, r->uid, id, (int64_t)(id != 0), r->status,
	    r->group_name, r->status_name, r->status_description,
	    r->error_name, r->error_description, r->infobip_bulk_id, r->price,
	    r->currency, r->sms_count, r->sent_at, r->done_at, r->raw)) <= 0)
		return rc < 0 ? -1 : 0;	/* kept before: applied then */
	*pending = id == 0;
	if (id == 0)
		return 1;
	return report_to_message(st, id, r) < 0 ? -1 : 1;
}

/* Appends one element of a text array, '' when v is NULL (bind letter 'S'). */
static void
arraytext_text(struct arrays *a, const char *v)
{
	arraytext_elem(a, v != NULL ? v : "", v != NULL ? strlen(v) : 0);
}

/* Appends one element of a text array, NULL when v is (bind letter 's'). */
static void
arraytext_null(struct arrays *a, const char *v)
{
	arraytext_elem(a, v, v != NULL ? strlen(v) : 0);
}

/* The fields of one report_apply call, in its parameters' order. */
static void
report_call_put(struct arrays *a, const char *conn,
    const struct store_report *r)
{
	char	 num[64];

	arraytext_null(a, conn);
	arraytext_null(a, r->uid);
	arraytext_text(a, r->status);
	arraytext_text(a, r->group_name);
	arraytext_text(a, r->status_name);
	arraytext_text(a, r->status_description);
	arraytext_text(a, r->error_name);
	arraytext_text(a, r->error_description);
	arraytext_null(a, r->infobip_bulk_id);
	snprintf(num, sizeof(num), "%.17g", r->price);
	arraytext_null(a, r->price < 0 ? NULL : num);
	arraytext_null(a, r->currency);
	arraytext_int(a, r->sms_count, 0);
	arraytext_null(a, r->sent_at);
	arraytext_null(a, r->done_at);
	arraytext_text(a, r->raw);
}

int
store_reports_apply_group(struct store *st, const char *conn,
    const struct store_report *rs, size_t n, int *results)
{
	struct db_stmt		*s = NULL;
	struct arrays		 a;
	char			 to[64], was[512];
	size_t			 i;
	int			 rc = -1, step, res;

	memset(&a, 0, sizeof(a));
	a.ncol = 15;
	if (!st->server)
		return -1;
	for (i = 0; i < n; i++)
		report_call_put(&a, conn, &rs[i]);
	if (arrays_end(&a, "store_reports_apply_group") < 0)
		goto out;
	for (i = 0, step = db_run(st->db, &msg_sql, STMT_REPORT_GROUP, &s,
	    "sssssssssssssss", a.col[0].s, a.col[1].s, a.col[2].s, a.col[3].s,
	    a.col[4].s, a.col[5].s, a.col[6].s, a.col[7].s, a.col[8].s,
	    a.col[9].s, a.col[10].s, a.col[11].s, a.col[12].s, a.col[13].s,
	    a.col[14].s); step == DB_ROW && i < n; i++, step = db_step(s)) {
		res = db_int(s, 0);
		results[i] = res == 3 ? 1 : res;
		if (res != 3)
			continue;
		/* A message we had marked failed (its log row's statement is not s). */
		db_copy(s, 2, to, sizeof(to));
		db_copy(s, 3, was, sizeof(was));
		if (report_over_failed_log(st, conn, rs[i].uid, to, was,
		    &rs[i]) < 0)
			goto out;
	}
	rc = group_walked(step, i, n, "STMT_REPORT_GROUP");
out:
	db_reset(s);
	arrays_free(&a);
	return rc;
}

int
store_reports_apply_pending(struct store *st, long *applied)
{
	struct store_report	 r;
	struct db_stmt		*s, *u;
	int64_t			 event, msg;
	int			 rc;

	*applied = 0;
	if ((rc = db_exists(st->db, &msg_sql, STMT_PENDING_EACH, "", 0)) <= 0)
		return rc < 0 ? -1 : 1;
	if (store_begin(st) < 0)
		return -1;
	for (rc = db_run(st->db, &msg_sql, STMT_PENDING_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		memset(&r, 0, sizeof(r));
		event = db_int64(s, 0);
		msg = db_int64(s, 1);
		r.status = db_text(s, 2);
		r.group_name = db_text(s, 3);
		r.status_name = db_text(s, 4);
		r.status_description = db_text(s, 5);
		r.error_name = db_text(s, 6);
		r.error_description = db_text(s, 7);
		r.infobip_bulk_id = db_text(s, 8);
		r.price = db_null(s, 9) ? -1 :
		    db_double(s, 9);
		r.currency = db_text(s, 10);
		r.sms_count = db_null(s, 11) ? -1 :
		    db_int(s, 11);
		r.sent_at = db_text(s, 12);
		r.done_at = db_text(s, 13);
		/* The statements below are distinct from s, which stays live. */
		if (report_to_message(st, msg, &r) < 0 ||
		    db_run(st->db, &msg_sql, STMT_EVENT_APPLIED, &u, "ii", msg, event) < 0)
			goto err;
		db_reset(u);
		(*applied)++;
	}
	db_reset(s);
	if (rc < 0)
		goto err;
	return store_commit(st);
err:
	db_reset(s);
	store_rollback(st);
	return -1;
}

int
store_click_add(struct store *st, const char *conn, const char *uid,
    const char *at, const char *url, const char *raw, int *unknown)
{
	struct db_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	*unknown = 0;
	if ((rc = db_run(st->db, &msg_sql, STMT_MSG_FIND_OUT, &s, "ss", conn, uid)) < 0)
		return -1;
	if (rc == DB_ROW)
		id = db_int64(s, 0);
	db_reset(s);
	if (id == 0) {
		*unknown = 1;
		return 0;
	}
	return db_exec_changed(st->db, &msg_sql, STMT_CLICK_ADD, "ssisSS", conn, uid, id, raw,
	    at, url);
}

int
store_session_history(struct store *st, int64_t session, int64_t before,
    int limit, int (*fn)(int inbound, const char *text, void *), void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &msg_sql, STMT_HISTORY, &s, "iii", session, before,
	    (int64_t)limit); rc == DB_ROW; rc = db_step(s))
		if (!fn(db_int(s, 0),
		    db_text(s, 1), arg))
			break;
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_session_save_data(struct store *st, int64_t session, const char *data,
    int collect_step)
{
	return db_exec(st->db, &msg_sql, STMT_SESSION_DATA, "sii", data,
	    (int64_t)collect_step, session);
}

int
store_contact_save_fields(struct store *st, int64_t contact, const char *name,
    const char *email, const char *data)
{
	return db_exec(st->db, &msg_sql, STMT_CONTACT_FIELDS, "SSsi", name, email, data,
	    contact);
}

int
store_session_get(struct store *st, int64_t id, struct store_session *out)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &msg_sql, STMT_SESSION_GET, &s, "i", id)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	memset(out, 0, sizeof(*out));
	out->id = db_int64(s, 0);
	db_copy(s, 1, out->conn, sizeof(out->conn));
	out->contact = db_int64(s, 2);
	db_copy(s, 3, out->phone, sizeof(out->phone));
	out->opted_out = db_int(s, 4);
	db_copy(s, 5, out->responsible, sizeof(out->responsible));
	db_copy(s, 6, out->started_at, sizeof(out->started_at));
	db_copy(s, 7, out->last_at, sizeof(out->last_at));
	db_copy(s, 8, out->closed_at, sizeof(out->closed_at));
	db_copy(s, 9, out->sender, sizeof(out->sender));
	db_reset(s);
	return 1;
}

int
store_session_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_session_row *, void *), void *arg)
{
	struct store_session_row	 r;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &msg_sql, STMT_SESSION_LIST, &s, "si", conn, (int64_t)limit);
	    rc == DB_ROW; rc = db_step(s)) {
		r.id = db_int64(s, 0);
		r.conn = db_text(s, 1);
		r.phone = db_text(s, 2);
		r.responsible = db_text(s, 3);
		r.last_at = db_text(s, 4);
		r.open = db_int(s, 5);
		r.messages = db_int(s, 6);
		r.last_text = db_text(s, 7);
		if (!fn(&r, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_session_messages(struct store *st, int64_t session,
    int (*fn)(const struct store_message_row *, void *), void *arg)
{
	struct store_message_row	 r;
	struct db_stmt			*s;
	int				 rc;

#define T(col)	(db_text(s, (col)))
	for (rc = db_run(st->db, &msg_sql, STMT_SESSION_MESSAGES, &s, "i", session);
	    rc == DB_ROW; rc = db_step(s)) {
		r.id = db_int64(s, 0);
		r.uid = T(1);
		r.at = T(2);
		if (!msg_direction_find(T(3), &r.direction))
			r.direction = DIR_OUT;
		r.author = T(4);
		if (!msg_status_find(T(5), &r.status))
			r.status = MSG_FAILED;
		r.reason = T(6);
		r.text = T(7);
		r.sender = T(8);
		r.recipient = T(9);
		r.infobip_id = T(10);
		r.status_group = T(11);
		r.status_name = T(12);
		r.error_name = T(13);
		r.error_description = T(14);
		r.price = db_null(s, 15) ? -1 :
		    db_double(s, 15);
		r.currency = T(16);
		r.sms_count = db_null(s, 17) ? -1 :
		    db_int(s, 17);
		r.sent_at = T(18);
		r.done_at = T(19);
		r.clicks = db_int(s, 20);
		if (!fn(&r, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
#undef T
}

int
store_session_close(struct store *st, int64_t session)
{
	return db_exec_changed(st->db, &msg_sql, STMT_SESSION_CLOSE_OPEN, "i", session);
}

int
store_session_data(struct store *st, int64_t session, char **data,
    char *name, size_t namesz, char *email, size_t emailsz)
{
	struct db_stmt	*s;
	int		 rc;

	*data = NULL;
	if ((rc = db_run(st->db, &msg_sql, STMT_SESSION_DATA_GET, &s, "i", session)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	*data = strdup(db_text(s, 0));
	db_copy(s, 1, name, namesz);
	db_copy(s, 2, email, emailsz);
	db_reset(s);
	return *data != NULL ? 1 : -1;
}

int
store_session_set_responsible(struct store *st, int64_t session,
    const char *who)
{
	return db_exec_changed(st->db, &msg_sql, STMT_SESSION_RESPONSIBLE, "si", who,
	    session);
}

int
store_session_take_free(struct store *st, int64_t session, const char *who)
{
	return db_exec_changed(st->db, &msg_sql, STMT_SESSION_TAKE_FREE, "sis",
	    who, session, who);
}
