/* The admin's reads: lists paged on indexed keys, the conversation, the dashboard (the store's second file). */
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
	Q_METRIC_REQUESTS,
	Q_METRIC_LATENCY,
	Q_NOTICE_EXPIRE,
	Q_NOTICE_ADD,
	Q_NOTICE_GET,
	Q_NOTICE_DEL,
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
	[Q_METRIC_REQUESTS] = "SELECT program, route, status, count"
	    " FROM request_counts ORDER BY 1, 2, 3",
	/* A series' totals, then its buckets, one row each (le NULL: none yet). */
	[Q_METRIC_LATENCY] = "SELECT s.label, s.count, s.sum_seconds, b.le,"
	    " b.count FROM latency_sums s LEFT JOIN latency_buckets b"
	    " ON b.name = s.name AND b.label = s.label WHERE s.name = ?1"
	    " ORDER BY s.label, b.le",
	/* Notices: shown once to their user at their page, never older than an hour. */
	[Q_NOTICE_EXPIRE] = "DELETE FROM admin_notices WHERE created_at <"
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 hour')",
	[Q_NOTICE_ADD] = "INSERT INTO admin_notices (id, username, path, body)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[Q_NOTICE_GET] = "SELECT body FROM admin_notices WHERE id = ?1 AND"
	    " username = ?2 AND path = ?3",
	[Q_NOTICE_DEL] = "DELETE FROM admin_notices WHERE id = ?1 AND"
	    " username = ?2 AND path = ?3",
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
	[Q_METRIC_REQUESTS] = "Q_METRIC_REQUESTS",
	[Q_METRIC_LATENCY] = "Q_METRIC_LATENCY",
	[Q_NOTICE_EXPIRE] = "Q_NOTICE_EXPIRE",
	[Q_NOTICE_ADD] = "Q_NOTICE_ADD",
	[Q_NOTICE_GET] = "Q_NOTICE_GET",
	[Q_NOTICE_DEL] = "Q_NOTICE_DEL",
};

/*
 * The name and SQL of query w, as the store_q_ functions take them. All
 * but the rollup's two writes are reads, which no constraint refuses; the
 * writes take a refusal as the failure it is here.
 */
#define Q(w)	q_name[w], q_sql[w]

int
store_admin_logs(struct store *st, const struct store_log_filter *f,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 l;
	struct store_q		 r;
	enum q			 which;
	const char		*level;
	int			 rc;

	level = f->level < CLOG__MAX ? conn_log_level_name(f->level) : NULL;
	which = f->event != NULL ? Q_LOGS_EVENT : level != NULL ?
	    Q_LOGS_LEVEL : Q_LOGS;
	for (rc = store_q_open(&r, st, Q(which), "siiss", f->conn,
	    f->before > 0 ? f->before : INT64_MAX, (int64_t)f->limit, level,
	    f->event);
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
		l.id = sqlite3_column_int64(r.s, 0);
		l.at = store_q_text(&r, 1);
		if (!conn_log_level_find(store_q_text(&r, 2), &l.level))
			l.level = CLOG_INFO;
		l.event = store_q_text(&r, 3);
		l.text = store_q_text(&r, 4);
		l.repeats = sqlite3_column_int(r.s, 5);
		if (!fn(&l, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_log_last(struct store *st, const char *conn, const char *event,
    const char *prefix, char *at, size_t atsz, char *text, size_t textsz)
{
	struct store_q	 r;
	int		 rc;

	at[0] = text[0] = '\0';
	if ((rc = store_q_open(&r, st, Q(Q_LOG_LAST), "sss", conn, event,
	    prefix)) == SQLITE_ROW) {
		store_q_copy(&r, 0, at, atsz);
		store_q_copy(&r, 1, text, textsz);
	}
	store_q_close(&r);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

int
store_admin_agents(struct store *st,
    int (*fn)(const struct store_agent_row *, void *), void *arg)
{
	struct store_agent_row	 a;
	struct store_q		 r;
	int			 rc;

	for (rc = store_q_open(&r, st, Q(Q_AGENTS), ""); rc == SQLITE_ROW;
	    rc = store_q_step(&r)) {
		a.id = sqlite3_column_int64(r.s, 0);
		a.name = store_q_text(&r, 1);
		a.kind = store_q_text(&r, 2);
		a.status = store_q_text(&r, 3);
		a.channels = store_q_text(&r, 4);
		if (!fn(&a, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_attachments(struct store *st, int64_t agent, const char *conn,
    int (*fn)(const struct store_attach_row *, void *), void *arg)
{
	struct store_attach_row	 a;
	struct store_q		 r;
	int			 rc;

	for (rc = store_q_open(&r, st, Q(Q_ATTACHMENTS), "is", agent, conn);
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
		a.agent = sqlite3_column_int64(r.s, 0);
		a.agent_name = store_q_text(&r, 1);
		a.agent_status = store_q_text(&r, 2);
		a.agent_kind = store_q_text(&r, 3);
		a.conn = store_q_text(&r, 4);
		a.conn_name = store_q_text(&r, 5);
		a.conn_sender = store_q_text(&r, 6);
		a.conn_status = store_q_text(&r, 7);
		a.inbound = sqlite3_column_int(r.s, 8);
		if (!fn(&a, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_sessions(struct store *st, const struct store_session_filter *f,
    int (*fn)(const struct store_session_line *, void *), void *arg)
{
	struct store_session_line	 l;
	struct store_q			 r;
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
	for (rc = store_q_open(&r, st, Q(which), "siissii", f->conn, f->contact,
	    (int64_t)f->state, f->from != NULL ? f->from : "", hi,
	    f->cur_at != NULL && *f->cur_at != '\0' ? f->cur_id : INT64_MAX,
	    (int64_t)f->limit); rc == SQLITE_ROW; rc = store_q_step(&r)) {
		l.id = sqlite3_column_int64(r.s, 0);
		l.conn = store_q_text(&r, 1);
		l.conn_name = store_q_text(&r, 2);
		l.phone = store_q_text(&r, 3);
		l.agent = store_q_text(&r, 4);
		l.responsible = store_q_text(&r, 5);
		l.started_at = store_q_text(&r, 6);
		l.last_at = store_q_text(&r, 7);
		l.open = sqlite3_column_int(r.s, 8);
		l.channel_type = store_q_text(&r, 9);
		l.last_text = store_q_text(&r, 10);
		if (!fn(&l, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_session_info(struct store *st, int64_t id,
    struct store_session_info *si)
{
	struct store_q	 r;
	int		 rc;

	memset(si, 0, sizeof(*si));
	if ((rc = store_q_open(&r, st, Q(Q_SESSION_INFO), "i", id)) ==
	    SQLITE_ROW) {
		si->id = sqlite3_column_int64(r.s, 0);
		store_q_copy(&r, 1, si->conn, sizeof(si->conn));
		store_q_copy(&r, 2, si->conn_name, sizeof(si->conn_name));
		store_q_copy(&r, 3, si->sender, sizeof(si->sender));
		si->contact = sqlite3_column_int64(r.s, 4);
		store_q_copy(&r, 5, si->phone, sizeof(si->phone));
		store_q_copy(&r, 6, si->contact_name, sizeof(si->contact_name));
		store_q_copy(&r, 7, si->contact_email,
		    sizeof(si->contact_email));
		si->opted_out = sqlite3_column_int(r.s, 8);
		si->agent = sqlite3_column_int64(r.s, 9);
		store_q_copy(&r, 10, si->agent_name, sizeof(si->agent_name));
		store_q_copy(&r, 11, si->responsible, sizeof(si->responsible));
		store_q_copy(&r, 12, si->channel_type,
		    sizeof(si->channel_type));
		store_q_copy(&r, 13, si->started_at, sizeof(si->started_at));
		store_q_copy(&r, 14, si->last_at, sizeof(si->last_at));
		store_q_copy(&r, 15, si->closed_at, sizeof(si->closed_at));
		si->data = strdup(store_q_text(&r, 16));
		si->contact_data = strdup(store_q_text(&r, 17));
		si->messages = (long)sqlite3_column_int64(r.s, 18);
		store_q_copy(&r, 19, si->campaign, sizeof(si->campaign));
		if (si->data == NULL || si->contact_data == NULL)
			rc = -1;
	}
	store_q_close(&r);
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
	struct store_q			 r;
	int				 rc;

	for (rc = store_q_open(&r, st, Q(Q_MESSAGES), "iii", session,
	    before > 0 ? before : INT64_MAX, (int64_t)limit); rc == SQLITE_ROW;
	    rc = store_q_step(&r)) {
		m.id = sqlite3_column_int64(r.s, 0);
		m.uid = store_q_text(&r, 1);
		m.at = store_q_text(&r, 2);
		m.direction = store_q_text(&r, 3);
		m.author = store_q_text(&r, 4);
		m.status = store_q_text(&r, 5);
		m.status_name = store_q_text(&r, 6);
		m.reason = store_q_text(&r, 7);
		m.error = store_q_text(&r, 8);
		m.text = store_q_text(&r, 9);
		m.sent_at = store_q_text(&r, 10);
		m.done_at = store_q_text(&r, 11);
		m.currency = store_q_text(&r, 12);
		m.price = sqlite3_column_double(r.s, 13);
		m.sms_count = sqlite3_column_int(r.s, 14);
		m.clicks = sqlite3_column_int(r.s, 15);
		if (!fn(&m, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_days(struct store *st, const char *since,
    int (*fn)(const struct store_day_row *, void *), void *arg)
{
	struct store_day_row	 d;
	struct store_q		 r;
	int			 rc;

	for (rc = store_q_open(&r, st, Q(Q_DAYS), "s", since); rc == SQLITE_ROW;
	    rc = store_q_step(&r)) {
		d.conn = store_q_text(&r, 0);
		d.conn_name = store_q_text(&r, 1);
		d.day = store_q_text(&r, 2);
		d.currency = store_q_text(&r, 3);
		d.received = (long)sqlite3_column_int64(r.s, 4);
		d.sent = (long)sqlite3_column_int64(r.s, 5);
		d.delivered = (long)sqlite3_column_int64(r.s, 6);
		d.not_delivered = (long)sqlite3_column_int64(r.s, 7);
		d.spend = sqlite3_column_double(r.s, 8);
		if (!fn(&d, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_queues(struct store *st, struct store_queue_stats *q)
{
	struct store_q	 r;
	int		 rc;

	memset(q, 0, sizeof(*q));
	if ((rc = store_q_open(&r, st, Q(Q_QUEUES), "")) == SQLITE_ROW) {
		q->outbox = (long)sqlite3_column_int64(r.s, 0);
		q->outbox_oldest_s = sqlite3_column_double(r.s, 1);
		q->agent_queue = (long)sqlite3_column_int64(r.s, 2);
		q->agent_oldest_s = sqlite3_column_double(r.s, 3);
		store_q_copy(&r, 4, q->rollup_at, sizeof(q->rollup_at));
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}


int
store_admin_contact_find(struct store *st, const char *phone, int64_t *id)
{
	struct store_q	 r;
	int		 rc;

	*id = 0;
	if ((rc = store_q_open(&r, st, Q(Q_CONTACT), "s", phone)) == SQLITE_ROW)
		*id = sqlite3_column_int64(r.s, 0);
	store_q_close(&r);
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
	struct store_q	 r;
	struct daily	*nv, *x;
	int		 rc, k;

	for (rc = store_q_open(&r, st, Q(Q_DAILY_SUM), "ss", conn, since);
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
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
		store_q_copy(&r, 0, x->day, sizeof(x->day));
		for (k = 0; k < 4; k++)
			x->n[k] = sqlite3_column_int64(r.s, k + 1);
		x->spend = sqlite3_column_double(r.s, 5);
		store_q_copy(&r, 6, x->currency, sizeof(x->currency));
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_daily_refresh(struct store *st, int days)
{
	struct dailies	 d = { NULL, 0, 0 };
	struct store_q	 r;
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
	for (rc = store_q_open(&r, st, Q(Q_DAILY_CONNS), ""); rc == SQLITE_ROW;
	    rc = store_q_step(&r)) {
		if ((nc = realloc(conns, (nconns + 1) * sizeof(*conns))) ==
		    NULL) {
			rc = -1;
			break;
		}
		conns = nc;
		store_q_copy(&r, 0, conns[nconns++], sizeof(conns[0]));
	}
	store_q_close(&r);
	if (rc < 0)
		goto out;
	for (i = 0; i < nconns; i++)
		if (daily_read(st, conns[i], since, &d) < 0)
			goto out;
	/* Then the few rows, in one short write. */
	if (store_begin(st) < 0)
		goto out;
	rc = store_q_exec(st, Q(Q_DAILY_DEL), NULL, "s", since);
	for (i = 0; rc > 0 && i < d.n; i++)
		rc = store_q_exec(st, Q(Q_DAILY_ADD), NULL, "ssiiiids",
		    d.v[i].conn, d.v[i].day, d.v[i].n[0], d.v[i].n[1],
		    d.v[i].n[2], d.v[i].n[3], d.v[i].spend, d.v[i].currency);
	if (rc <= 0 || store_commit(st) < 0) {
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
	struct store_q	 r;
	char		 l1[64], l2[64];
	int		 rc;

	for (rc = store_q_open(&r, st, Q(metric_q[which]), "");
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
		store_q_copy(&r, 0, l1, sizeof(l1));
		store_q_copy(&r, 1, l2, sizeof(l2));
		if (!fn(l1, l2, sqlite3_column_double(r.s, 2), arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_requests(struct store *st,
    int (*fn)(const char *, const char *, int, int64_t, void *), void *arg)
{
	struct store_q	 r;
	char		 program[64], route[64];
	int		 rc;

	for (rc = store_q_open(&r, st, Q(Q_METRIC_REQUESTS), "");
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
		store_q_copy(&r, 0, program, sizeof(program));
		store_q_copy(&r, 1, route, sizeof(route));
		if (!fn(program, route, sqlite3_column_int(r.s, 2),
		    sqlite3_column_int64(r.s, 3), arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_latency(struct store *st, const char *name,
    int (*fn)(const struct store_latency_row *, void *), void *arg)
{
	struct store_latency_row x;
	struct store_q		 r;
	int			 rc;

	for (rc = store_q_open(&r, st, Q(Q_METRIC_LATENCY), "s", name);
	    rc == SQLITE_ROW; rc = store_q_step(&r)) {
		memset(&x, 0, sizeof(x));
		store_q_copy(&r, 0, x.label, sizeof(x.label));
		x.count = sqlite3_column_int64(r.s, 1);
		x.sum = sqlite3_column_double(r.s, 2);
		x.has_bucket = sqlite3_column_type(r.s, 3) != SQLITE_NULL;
		x.le = sqlite3_column_double(r.s, 3);
		x.bucket_count = sqlite3_column_int64(r.s, 4);
		if (!fn(&x, arg))
			break;
	}
	store_q_close(&r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_notice_put(struct store *st, char id[STORE_ID_LEN + 1],
    const char *user, const char *path, const char *body)
{
	int	 rc = -1;

	if (store_random_hex(id, STORE_ID_LEN / 2) < 0 || store_begin(st) < 0)
		return -1;
	if (store_q_exec(st, Q(Q_NOTICE_EXPIRE), NULL, "") > 0 &&
	    store_q_exec(st, Q(Q_NOTICE_ADD), NULL, "ssss", id, user, path,
	    body) > 0 && store_commit(st) > 0)
		rc = 1;
	else
		store_rollback(st);
	return rc;
}

int
store_admin_notice_take(struct store *st, const char *id, const char *user,
    const char *path, char **body)
{
	struct store_q	 q;
	int		 rc;

	*body = NULL;
	if (store_begin(st) < 0)
		return -1;
	rc = store_q_open(&q, st, Q(Q_NOTICE_GET), "sss", id, user, path);
	if (rc == SQLITE_ROW && (*body = strdup(store_q_text(&q, 0))) == NULL)
		rc = -1;
	store_q_close(&q);
	if (rc < 0 || store_q_exec(st, Q(Q_NOTICE_DEL), NULL, "sss", id, user,
	    path) <= 0 || store_commit(st) < 0) {
		store_rollback(st);
		free(*body);
		*body = NULL;
		return -1;
	}
	return *body != NULL;
}
