/* The admin's reads: lists paged on indexed keys, the conversation, the dashboard (the store's second file). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_admin.h"
#include "store_private.h"

/*
 * Each statement is prepared when used: an admin page runs a handful, and
 * preparing costs microseconds. Every list pages on an index whose order is
 * the list's order (INDEXED BY makes a plan that cannot use it an error, not
 * a slow page), so a page reads its rows and stops.
 */
enum q {
	Q_LOGS,
	Q_LOGS_LEVEL,
	Q_LOGS_EVENT,
	Q_LOG_LAST,
	Q_AGENTS,
	Q_ATTACHMENTS,
	Q_SESSIONS,
	Q_SESSIONS_CONN,
	Q_SESSIONS_CONTACT,
	Q_SESSIONS_OPEN,
	Q_SESSION_INFO,
	Q_MESSAGES,
	Q_DAYS,
	Q_QUEUES,
	Q_CONTACT,
	Q_DAILY_CONNS,
	Q_DAILY_SUM,
	Q_DAILY_DEL,
	Q_DAILY_ADD,
	Q_METRIC_MESSAGES,
	Q_METRIC_OUTBOX,
	Q_METRIC_CONNECTIONS,
	Q_METRIC_REPORTS_WAITING,
	Q__MAX
};

#define LOG_COLS "SELECT id, at, level, event, text, repeats FROM logs"
/*
 * The session list: ?1 connection, ?2 contact, ?3 state (0 any, 1 open, 2
 * closed), ?4 lowest last_at, ?5 highest last_at (inclusive: the cursor's
 * or the end of the last day), ?6 cursor id (rows at ?5 with a lower id),
 * ?7 limit. Each variant leads with the index of its most selective filter.
 */
#define SESSION_COLS "SELECT s.id, s.connection_id, k.name, c.phone," \
	" COALESCE(a.name, ''), s.responsible, s.started_at, s.last_at," \
	" s.closed_at IS NULL, s.channel_type, COALESCE((SELECT m.text" \
	" FROM messages m WHERE m.session_id = s.id ORDER BY m.id DESC" \
	" LIMIT 1), '') FROM sessions s INDEXED BY "
#define SESSION_JOIN " JOIN contacts c ON c.id = s.contact_id" \
	" JOIN connections k ON k.id = s.connection_id" \
	" LEFT JOIN agents a ON a.id = s.agent_id WHERE "
#define SESSION_WHERE " (?1 IS NULL OR s.connection_id = ?1)" \
	" AND (?2 = 0 OR s.contact_id = ?2)" \
	" AND (?3 = 0 OR (?3 = 1) = (s.closed_at IS NULL))" \
	" AND s.last_at >= ?4 AND s.last_at <= ?5" \
	" AND (s.last_at < ?5 OR s.id < ?6)" \
	" ORDER BY s.last_at DESC, s.id DESC LIMIT ?7"

static const char *const q_sql[Q__MAX] = {
	[Q_LOGS] = LOG_COLS " INDEXED BY logs_connection"
	    " WHERE connection_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[Q_LOGS_LEVEL] = LOG_COLS " INDEXED BY logs_connection_level"
	    " WHERE connection_id = ?1 AND level = ?4 AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3",
	[Q_LOGS_EVENT] = LOG_COLS " INDEXED BY logs_connection_event"
	    " WHERE connection_id = ?1 AND event = ?5"
	    " AND (?4 IS NULL OR level = ?4) AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3",
	/* Among the last 100 entries of the event: a bounded read whatever the log holds. */
	[Q_LOG_LAST] = "SELECT at, text FROM (SELECT id, at, text FROM logs"
	    " INDEXED BY logs_connection_event WHERE connection_id = ?1"
	    " AND event = ?2 ORDER BY id DESC LIMIT 100)"
	    " WHERE substr(text, 1, length(?3)) = ?3 ORDER BY id DESC LIMIT 1",
	[Q_AGENTS] = "SELECT a.id, a.name, a.kind, a.status,"
	    " COALESCE((SELECT group_concat(k.name || CASE WHEN ac.inbound"
	    " THEN ' (inbound)' ELSE '' END, ', ') FROM agent_channels ac"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE ac.agent_id = a.id AND k.deleted_at IS NULL), '')"
	    " FROM agents a ORDER BY a.name COLLATE NOCASE, a.id",
	[Q_ATTACHMENTS] = "SELECT ac.agent_id, a.name, a.status, a.kind,"
	    " ac.connection_id, k.name, k.sender, k.status, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE k.deleted_at IS NULL AND (?1 = 0 OR ac.agent_id = ?1)"
	    " AND (?2 IS NULL OR ac.connection_id = ?2)"
	    " ORDER BY k.name COLLATE NOCASE, k.id, a.name COLLATE NOCASE, a.id",
	[Q_SESSIONS] = SESSION_COLS "sessions_last" SESSION_JOIN
	    SESSION_WHERE,
	[Q_SESSIONS_CONN] = SESSION_COLS "sessions_connection_last"
	    SESSION_JOIN "s.connection_id = ?1 AND" SESSION_WHERE,
	[Q_SESSIONS_CONTACT] = SESSION_COLS "sessions_contact_last"
	    SESSION_JOIN "s.contact_id = ?2 AND" SESSION_WHERE,
	[Q_SESSIONS_OPEN] = SESSION_COLS "sessions_open_last" SESSION_JOIN
	    "s.closed_at IS NULL AND" SESSION_WHERE,
	[Q_SESSION_INFO] = "SELECT s.id, s.connection_id, k.name, k.sender,"
	    " s.contact_id, c.phone, c.name, c.email, c.opted_out,"
	    " COALESCE(s.agent_id, 0), COALESCE(a.name, ''), s.responsible,"
	    " s.channel_type, s.started_at, s.last_at,"
	    " COALESCE(s.closed_at, ''), s.data, c.data,"
	    " (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id),"
	    " COALESCE((SELECT p.name FROM session_campaigns sp JOIN campaigns p"
	    " ON p.id = sp.campaign_id WHERE sp.session_id = s.id), '')"
	    " FROM sessions s JOIN contacts c ON c.id = s.contact_id"
	    " JOIN connections k ON k.id = s.connection_id"
	    " LEFT JOIN agents a ON a.id = s.agent_id WHERE s.id = ?1",
	[Q_MESSAGES] = "SELECT * FROM (SELECT m.id, m.uid, m.created_at,"
	    " m.direction, m.author, m.status, m.status_name,"
	    " m.status_description, m.error_description, m.text,"
	    " COALESCE(m.sent_at, ''), COALESCE(m.done_at, ''),"
	    " COALESCE(m.currency, ''), COALESCE(m.price, -1),"
	    " COALESCE(m.sms_count, -1), (SELECT COUNT(*) FROM message_events e"
	    " WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id"
	    " AND e.kind = 'click') FROM messages m INDEXED BY messages_session"
	    " WHERE m.session_id = ?1 AND m.id < ?2 ORDER BY m.id DESC"
	    " LIMIT ?3) ORDER BY 1",
	[Q_DAYS] = "SELECT d.connection_id, COALESCE(k.name, d.connection_id),"
	    " d.day, d.currency, d.received, d.sent, d.delivered,"
	    " d.not_delivered, d.spend FROM message_daily d"
	    " LEFT JOIN connections k ON k.id = d.connection_id"
	    " WHERE d.day >= ?1 ORDER BY d.day, k.name COLLATE NOCASE,"
	    " d.connection_id",
	[Q_QUEUES] = "SELECT (SELECT COUNT(*) FROM outbox),"
	    " COALESCE((julianday('now') - julianday((SELECT created_at"
	    " FROM messages WHERE id = (SELECT MIN(message_id) FROM outbox))))"
	    " * 86400, 0), (SELECT COUNT(*) FROM agent_queue),"
	    " COALESCE((julianday('now') - julianday((SELECT queued_at"
	    " FROM agent_queue WHERE message_id = (SELECT MIN(message_id)"
	    " FROM agent_queue)))) * 86400, 0),"
	    " COALESCE((SELECT substr(MAX(refreshed_at), 1, 19) FROM message_daily), '')",
	[Q_CONTACT] = "SELECT id FROM contacts WHERE phone = ?1",
	/* Every connection, deleted ones too: their messages stay counted. */
	[Q_DAILY_CONNS] = "SELECT id FROM connections",
	[Q_DAILY_SUM] = "SELECT substr(created_at, 1, 10), SUM(direction = 'in'),"
	    " SUM(direction = 'out'), SUM(direction = 'out' AND status ="
	    " 'delivered'), SUM(direction = 'out' AND status IN"
	    " ('undeliverable', 'expired', 'rejected', 'failed')),"
	    " SUM(CASE WHEN direction = 'out' THEN COALESCE(price *"
	    " COALESCE(sms_count, 1), 0) ELSE 0 END), COALESCE(MAX(currency),"
	    " '') FROM messages INDEXED BY messages_day WHERE connection_id = ?1"
	    " AND created_at >= ?2 GROUP BY 1",
	[Q_DAILY_DEL] = "DELETE FROM message_daily WHERE day >= ?1",
	[Q_DAILY_ADD] = "INSERT INTO message_daily (connection_id, day, received,"
	    " sent, delivered, not_delivered, spend, currency) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8)",
	/* Metrics: rows of (label, label, value); a scan of messages, as a scrape is rare. */
	[Q_METRIC_MESSAGES] = "SELECT direction, status, COUNT(*) FROM messages"
	    " GROUP BY 1, 2 ORDER BY 1, 2",
	[Q_METRIC_OUTBOX] = "SELECT CASE WHEN held_since IS NOT NULL THEN"
	    " 'held' WHEN unsure_since IS NOT NULL THEN 'unsure' ELSE 'queued'"
	    " END, '', COUNT(*) FROM outbox GROUP BY 1 ORDER BY 1",
	[Q_METRIC_CONNECTIONS] = "SELECT status, '', COUNT(*) FROM connections"
	    " WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1",
	[Q_METRIC_REPORTS_WAITING] = "SELECT '', '', COUNT(*) FROM message_events"
	    " WHERE applied = 0",
};

static const char *const q_name[Q__MAX] = {
	[Q_LOGS] = "Q_LOGS",
	[Q_LOGS_LEVEL] = "Q_LOGS_LEVEL",
	[Q_LOGS_EVENT] = "Q_LOGS_EVENT",
	[Q_LOG_LAST] = "Q_LOG_LAST",
	[Q_AGENTS] = "Q_AGENTS",
	[Q_ATTACHMENTS] = "Q_ATTACHMENTS",
	[Q_SESSIONS] = "Q_SESSIONS",
	[Q_SESSIONS_CONN] = "Q_SESSIONS_CONN",
	[Q_SESSIONS_CONTACT] = "Q_SESSIONS_CONTACT",
	[Q_SESSIONS_OPEN] = "Q_SESSIONS_OPEN",
	[Q_SESSION_INFO] = "Q_SESSION_INFO",
	[Q_MESSAGES] = "Q_MESSAGES",
	[Q_DAYS] = "Q_DAYS",
	[Q_QUEUES] = "Q_QUEUES",
	[Q_CONTACT] = "Q_CONTACT",
	[Q_DAILY_CONNS] = "Q_DAILY_CONNS",
	[Q_DAILY_SUM] = "Q_DAILY_SUM",
	[Q_DAILY_DEL] = "Q_DAILY_DEL",
	[Q_DAILY_ADD] = "Q_DAILY_ADD",
	[Q_METRIC_MESSAGES] = "Q_METRIC_MESSAGES",
	[Q_METRIC_OUTBOX] = "Q_METRIC_OUTBOX",
	[Q_METRIC_CONNECTIONS] = "Q_METRIC_CONNECTIONS",
	[Q_METRIC_REPORTS_WAITING] = "Q_METRIC_REPORTS_WAITING",
};

/* One statement being read: the query it runs and its handle. */
struct q_run {
	struct store	*st;
	enum q		 which;
	sqlite3_stmt	*s;
};

/* Steps the statement: SQLITE_ROW, SQLITE_DONE, or -1 (logged once, by name). */
static int
q_step(struct q_run *r)
{
	int	 rc;

	/* A constraint is no soft outcome for these statements. */
	rc = store_step(r->st, q_name[r->which], r->s);
	return rc == SQLITE_CONSTRAINT ? -1 : rc;
}

/* Ends a read; safe after a failed q_open. */
static void
q_close(struct q_run *r)
{
	sqlite3_finalize(r->s);
	r->s = NULL;
}

/* Column col as text ("" for NULL). */
static const char *
col(const struct q_run *r, int c)
{
	const unsigned char	*t = sqlite3_column_text(r->s, c);

	return t != NULL ? (const char *)t : "";
}

static void
col_copy(const struct q_run *r, int c, char *dst, size_t dstsz)
{
	snprintf(dst, dstsz, "%s", col(r, c));
}

/*
 * Prepares query which and binds its parameters in order: 's' text (NULL
 * binds NULL), 'i' int64, 'd' double. Parameters past the statement's own count are
 * skipped, so variants of a query share one parameter list. Returns
 * SQLITE_ROW, SQLITE_DONE or -1 (logged), like store.c's run().
 */
static int
q_open(struct q_run *r, struct store *st, enum q which, const char *fmt, ...)
{
	sqlite3		*db = store_sqlite(st);
	va_list		 ap;
	const char	*t;
	int64_t		 v;
	double		 d;
	int		 i, n, rc = SQLITE_OK;

	r->st = st;
	r->which = which;
	r->s = NULL;
	if (sqlite3_prepare_v2(db, q_sql[which], -1, &r->s, NULL) !=
	    SQLITE_OK) {
		log_error("%s: prepare: %s", q_name[which], sqlite3_errmsg(db));
		return -1;
	}
	n = sqlite3_bind_parameter_count(r->s);
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		if (*fmt == 's') {
			t = va_arg(ap, const char *);
			if (i <= n)
				rc = t == NULL ? sqlite3_bind_null(r->s, i) :
				    sqlite3_bind_text(r->s, i, t, -1,
				    SQLITE_STATIC);
		} else if (*fmt == 'd') {
			d = va_arg(ap, double);
			if (i <= n)
				rc = sqlite3_bind_double(r->s, i, d);
		} else {
			v = va_arg(ap, int64_t);
			if (i <= n)
				rc = sqlite3_bind_int64(r->s, i, v);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_error("%s: bind: %s", q_name[which], sqlite3_errmsg(db));
		return -1;
	}
	return q_step(r);
}


int
store_admin_logs(struct store *st, const struct store_log_filter *f,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 l;
	struct q_run		 r;
	enum q			 which;
	const char		*level;
	int			 rc;

	level = f->level < CLOG__MAX ? conn_log_level_name(f->level) : NULL;
	which = f->event != NULL ? Q_LOGS_EVENT : level != NULL ?
	    Q_LOGS_LEVEL : Q_LOGS;
	for (rc = q_open(&r, st, which, "siiss", f->conn, f->before > 0 ?
	    f->before : INT64_MAX, (int64_t)f->limit, level, f->event);
	    rc == SQLITE_ROW; rc = q_step(&r)) {
		l.id = sqlite3_column_int64(r.s, 0);
		l.at = col(&r, 1);
		if (!conn_log_level_find(col(&r, 2), &l.level))
			l.level = CLOG_INFO;
		l.event = col(&r, 3);
		l.text = col(&r, 4);
		l.repeats = sqlite3_column_int(r.s, 5);
		if (!fn(&l, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_log_last(struct store *st, const char *conn, const char *event,
    const char *prefix, char *at, size_t atsz, char *text, size_t textsz)
{
	struct q_run	 r;
	int		 rc;

	at[0] = text[0] = '\0';
	if ((rc = q_open(&r, st, Q_LOG_LAST, "sss", conn, event, prefix)) ==
	    SQLITE_ROW) {
		col_copy(&r, 0, at, atsz);
		col_copy(&r, 1, text, textsz);
	}
	q_close(&r);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

int
store_admin_agents(struct store *st,
    int (*fn)(const struct store_agent_row *, void *), void *arg)
{
	struct store_agent_row	 a;
	struct q_run		 r;
	int			 rc;

	for (rc = q_open(&r, st, Q_AGENTS, ""); rc == SQLITE_ROW;
	    rc = q_step(&r)) {
		a.id = sqlite3_column_int64(r.s, 0);
		a.name = col(&r, 1);
		a.kind = col(&r, 2);
		a.status = col(&r, 3);
		a.channels = col(&r, 4);
		if (!fn(&a, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_attachments(struct store *st, int64_t agent, const char *conn,
    int (*fn)(const struct store_attach_row *, void *), void *arg)
{
	struct store_attach_row	 a;
	struct q_run		 r;
	int			 rc;

	for (rc = q_open(&r, st, Q_ATTACHMENTS, "is", agent, conn);
	    rc == SQLITE_ROW; rc = q_step(&r)) {
		a.agent = sqlite3_column_int64(r.s, 0);
		a.agent_name = col(&r, 1);
		a.agent_status = col(&r, 2);
		a.agent_kind = col(&r, 3);
		a.conn = col(&r, 4);
		a.conn_name = col(&r, 5);
		a.conn_sender = col(&r, 6);
		a.conn_status = col(&r, 7);
		a.inbound = sqlite3_column_int(r.s, 8);
		if (!fn(&a, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_sessions(struct store *st, const struct store_session_filter *f,
    int (*fn)(const struct store_session_line *, void *), void *arg)
{
	struct store_session_line	 l;
	struct q_run			 r;
	enum q				 which;
	char				 hi[STORE_TIME_MAX + 8];
	int				 rc;

	/* The highest last_at: the cursor's, else the end of the last day. */
	if (f->cur_at != NULL && *f->cur_at != '\0')
		snprintf(hi, sizeof(hi), "%s", f->cur_at);
	else if (f->to != NULL && *f->to != '\0')
		snprintf(hi, sizeof(hi), "%s~", f->to);
	else
		snprintf(hi, sizeof(hi), "~");
	which = f->contact > 0 ? Q_SESSIONS_CONTACT : f->conn != NULL ?
	    Q_SESSIONS_CONN : f->state == STORE_SESSIONS_OPEN ?
	    Q_SESSIONS_OPEN : Q_SESSIONS;
	for (rc = q_open(&r, st, which, "siissii", f->conn, f->contact,
	    (int64_t)f->state, f->from != NULL ? f->from : "", hi,
	    f->cur_at != NULL && *f->cur_at != '\0' ? f->cur_id : INT64_MAX,
	    (int64_t)f->limit); rc == SQLITE_ROW; rc = q_step(&r)) {
		l.id = sqlite3_column_int64(r.s, 0);
		l.conn = col(&r, 1);
		l.conn_name = col(&r, 2);
		l.phone = col(&r, 3);
		l.agent = col(&r, 4);
		l.responsible = col(&r, 5);
		l.started_at = col(&r, 6);
		l.last_at = col(&r, 7);
		l.open = sqlite3_column_int(r.s, 8);
		l.channel_type = col(&r, 9);
		l.last_text = col(&r, 10);
		if (!fn(&l, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_session_info(struct store *st, int64_t id,
    struct store_session_info *si)
{
	struct q_run	 r;
	int		 rc;

	memset(si, 0, sizeof(*si));
	if ((rc = q_open(&r, st, Q_SESSION_INFO, "i", id)) == SQLITE_ROW) {
		si->id = sqlite3_column_int64(r.s, 0);
		col_copy(&r, 1, si->conn, sizeof(si->conn));
		col_copy(&r, 2, si->conn_name, sizeof(si->conn_name));
		col_copy(&r, 3, si->sender, sizeof(si->sender));
		si->contact = sqlite3_column_int64(r.s, 4);
		col_copy(&r, 5, si->phone, sizeof(si->phone));
		col_copy(&r, 6, si->contact_name, sizeof(si->contact_name));
		col_copy(&r, 7, si->contact_email, sizeof(si->contact_email));
		si->opted_out = sqlite3_column_int(r.s, 8);
		si->agent = sqlite3_column_int64(r.s, 9);
		col_copy(&r, 10, si->agent_name, sizeof(si->agent_name));
		col_copy(&r, 11, si->responsible, sizeof(si->responsible));
		col_copy(&r, 12, si->channel_type, sizeof(si->channel_type));
		col_copy(&r, 13, si->started_at, sizeof(si->started_at));
		col_copy(&r, 14, si->last_at, sizeof(si->last_at));
		col_copy(&r, 15, si->closed_at, sizeof(si->closed_at));
		si->data = strdup(col(&r, 16));
		si->contact_data = strdup(col(&r, 17));
		si->messages = (long)sqlite3_column_int64(r.s, 18);
		col_copy(&r, 19, si->campaign, sizeof(si->campaign));
		if (si->data == NULL || si->contact_data == NULL)
			rc = -1;
	}
	q_close(&r);
	if (rc < 0) {
		store_session_info_clear(si);
		return -1;
	}
	return rc == SQLITE_ROW;
}

void
store_session_info_clear(struct store_session_info *si)
{
	free(si->data);
	free(si->contact_data);
	si->data = si->contact_data = NULL;
}

int
store_admin_messages(struct store *st, int64_t session, int64_t before,
    int limit, int (*fn)(const struct store_message_line *, void *),
    void *arg)
{
	struct store_message_line	 m;
	struct q_run			 r;
	int				 rc;

	for (rc = q_open(&r, st, Q_MESSAGES, "iii", session, before > 0 ?
	    before : INT64_MAX, (int64_t)limit); rc == SQLITE_ROW;
	    rc = q_step(&r)) {
		m.id = sqlite3_column_int64(r.s, 0);
		m.uid = col(&r, 1);
		m.at = col(&r, 2);
		m.direction = col(&r, 3);
		m.author = col(&r, 4);
		m.status = col(&r, 5);
		m.status_name = col(&r, 6);
		m.reason = col(&r, 7);
		m.error = col(&r, 8);
		m.text = col(&r, 9);
		m.sent_at = col(&r, 10);
		m.done_at = col(&r, 11);
		m.currency = col(&r, 12);
		m.price = sqlite3_column_double(r.s, 13);
		m.sms_count = sqlite3_column_int(r.s, 14);
		m.clicks = sqlite3_column_int(r.s, 15);
		if (!fn(&m, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_days(struct store *st, const char *since,
    int (*fn)(const struct store_day_row *, void *), void *arg)
{
	struct store_day_row	 d;
	struct q_run		 r;
	int			 rc;

	for (rc = q_open(&r, st, Q_DAYS, "s", since); rc == SQLITE_ROW;
	    rc = q_step(&r)) {
		d.conn = col(&r, 0);
		d.conn_name = col(&r, 1);
		d.day = col(&r, 2);
		d.currency = col(&r, 3);
		d.received = (long)sqlite3_column_int64(r.s, 4);
		d.sent = (long)sqlite3_column_int64(r.s, 5);
		d.delivered = (long)sqlite3_column_int64(r.s, 6);
		d.not_delivered = (long)sqlite3_column_int64(r.s, 7);
		d.spend = sqlite3_column_double(r.s, 8);
		if (!fn(&d, arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_queues(struct store *st, struct store_queue_stats *q)
{
	struct q_run	 r;
	int		 rc;

	memset(q, 0, sizeof(*q));
	if ((rc = q_open(&r, st, Q_QUEUES, "")) == SQLITE_ROW) {
		q->outbox = (long)sqlite3_column_int64(r.s, 0);
		q->outbox_oldest_s = sqlite3_column_double(r.s, 1);
		q->agent_queue = (long)sqlite3_column_int64(r.s, 2);
		q->agent_oldest_s = sqlite3_column_double(r.s, 3);
		col_copy(&r, 4, q->rollup_at, sizeof(q->rollup_at));
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}


int
store_admin_contact_find(struct store *st, const char *phone, int64_t *id)
{
	struct q_run	 r;
	int		 rc;

	*id = 0;
	if ((rc = q_open(&r, st, Q_CONTACT, "s", phone)) == SQLITE_ROW)
		*id = sqlite3_column_int64(r.s, 0);
	q_close(&r);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

/* One connection's day, read for the rollup. */
struct daily {
	char	 conn[STORE_ID_LEN + 1];
	char	 day[11];
	int64_t	 n[4];			/* received, sent, delivered, not delivered */
	double	 spend;
	char	 currency[8];
};

/* The rollup rows read so far. */
struct dailies {
	struct daily	*v;
	size_t		 n, cap;
};

/* Reads one connection's days since since into d. > 0 done, < 0 error. */
static int
daily_read(struct store *st, const char *conn, const char *since,
    struct dailies *d)
{
	struct q_run	 r;
	struct daily	*nv, *x;
	int		 rc, k;

	for (rc = q_open(&r, st, Q_DAILY_SUM, "ss", conn, since);
	    rc == SQLITE_ROW; rc = q_step(&r)) {
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 16;
			if ((nv = realloc(d->v, d->cap * sizeof(*nv))) == NULL) {
				rc = -1;
				break;
			}
			d->v = nv;
		}
		x = &d->v[d->n++];
		snprintf(x->conn, sizeof(x->conn), "%s", conn);
		col_copy(&r, 0, x->day, sizeof(x->day));
		for (k = 0; k < 4; k++)
			x->n[k] = sqlite3_column_int64(r.s, k + 1);
		x->spend = sqlite3_column_double(r.s, 5);
		col_copy(&r, 6, x->currency, sizeof(x->currency));
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_daily_refresh(struct store *st, int days)
{
	struct dailies	 d = { NULL, 0, 0 };
	struct q_run	 r;
	char		 since[16], (*conns)[STORE_ID_LEN + 1] = NULL, (*nc)[STORE_ID_LEN + 1];
	size_t		 nconns = 0, i;
	time_t		 t;
	struct tm	 tm;
	int		 rc, ret = -1;

	t = time(NULL) - (time_t)(days > 1 ? days - 1 : 0) * 86400;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%d", &tm) == 0)
		return -1;
	/* Read without the write lock: the messages of the last days. */
	for (rc = q_open(&r, st, Q_DAILY_CONNS, ""); rc == SQLITE_ROW;
	    rc = q_step(&r)) {
		if ((nc = realloc(conns, (nconns + 1) * sizeof(*conns))) ==
		    NULL) {
			rc = -1;
			break;
		}
		conns = nc;
		col_copy(&r, 0, conns[nconns++], sizeof(conns[0]));
	}
	q_close(&r);
	if (rc < 0)
		goto out;
	for (i = 0; i < nconns; i++)
		if (daily_read(st, conns[i], since, &d) < 0)
			goto out;
	/* Then the few rows, in one short write. */
	if (store_begin(st) < 0)
		goto out;
	rc = q_open(&r, st, Q_DAILY_DEL, "s", since);
	q_close(&r);
	for (i = 0; rc == SQLITE_DONE && i < d.n; i++) {
		rc = q_open(&r, st, Q_DAILY_ADD, "ssiiiids", d.v[i].conn,
		    d.v[i].day, d.v[i].n[0], d.v[i].n[1], d.v[i].n[2],
		    d.v[i].n[3], d.v[i].spend, d.v[i].currency);
		q_close(&r);
	}
	if (rc != SQLITE_DONE || store_commit(st) < 0) {
		store_rollback(st);
		goto out;
	}
	ret = 1;
out:
	free(conns);
	free(d.v);
	return ret;
}

/* The statement of each metric, by enum store_metric. */
static const enum q metric_q[] = {
	[STORE_METRIC_MESSAGES] = Q_METRIC_MESSAGES,
	[STORE_METRIC_OUTBOX] = Q_METRIC_OUTBOX,
	[STORE_METRIC_CONNECTIONS] = Q_METRIC_CONNECTIONS,
	[STORE_METRIC_REPORTS_WAITING] = Q_METRIC_REPORTS_WAITING,
};

int
store_admin_metric(struct store *st, enum store_metric which,
    int (*fn)(const char *, const char *, double, void *), void *arg)
{
	struct q_run	 r;
	char		 l1[64], l2[64];
	int		 rc;

	for (rc = q_open(&r, st, metric_q[which], ""); rc == SQLITE_ROW;
	    rc = q_step(&r)) {
		col_copy(&r, 0, l1, sizeof(l1));
		col_copy(&r, 1, l2, sizeof(l2));
		if (!fn(l1, l2, sqlite3_column_double(r.s, 2), arg))
			break;
	}
	q_close(&r);
	return rc < 0 ? -1 : 1;
}
