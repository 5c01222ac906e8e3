/* The admin's reads: lists paged on indexed keys, the conversation, the dashboard (the store's second file). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_admin.h"
#include "store_private.h"

/*
 * Each statement is prepared on its first use and kept by the connection
 * (db.h), as every statement of the store is. Every list pages on an index whose order is
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
	Q_FIND,
	Q_FIND_CONTACT,
	Q_FIND_PHONE,
	Q_FIND_WAITING,
	Q_FIND_WHO,
	Q_FIND_CONN,
	Q_FIND_OPEN,
	Q_FIND_CLOSED,
	Q_PHONE_CONTACTS,
	Q_PHONE_MATCHES,
	Q_SESSION_FOUND,
	Q_SEARCH_BEHIND,
	Q_SEARCH_TOKENIZER,
	Q_SEARCH_TAIL,
	Q_SEARCH_FOLD,
	Q_SEARCH_PREFIX,
	Q_SEARCH_TERMS,
	Q_SEARCH_WALK,
	Q_SEARCH_HITS,
	Q_SESSIONS_CLOSED,
	Q_SESSION_INFO,
	Q_MESSAGES,
	Q_MESSAGES_AFTER,
	Q_SEARCH_PENDING,
	Q_SEARCH_INDEX,
	Q_SEARCH_MARK,
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

/*
 * The filters the list has beside those: ?8 a phone prefix ('+' and
 * digits, '' any), ?9 waiting for an operator (1: open, its last message
 * from the customer, and no AI to answer it: an operator is responsible or
 * its agent is gone), ?10 the one responsible ('' any, 'ai' or a
 * username). Each variant leads with the index of the filter that keeps
 * it short (store_admin_sessions chooses); the rest only check its rows.
 */
#define SESSION_SELECT "SELECT s.id, s.connection_id, k.name, c.phone," \
	" COALESCE(a.name, ''), s.responsible, s.started_at, s.last_at," \
	" s.closed_at IS NULL, s.channel_type, COALESCE((SELECT m.text" \
	" FROM messages m WHERE m.session_id = s.id ORDER BY m.id DESC" \
	" LIMIT 1), '')"
#define SESSION_MORE " (?8 = '' OR substr(c.phone, 1, length(?8)) = ?8)" \
	" AND (?9 = 0 OR (s.closed_at IS NULL" \
	" AND (s.responsible <> 'ai' OR s.agent_id IS NULL)" \
	" AND (SELECT m.direction FROM messages m WHERE m.session_id = s.id" \
	" ORDER BY m.id DESC LIMIT 1) = 'in'))" \
	" AND (?10 = '' OR s.responsible = ?10) AND"
#define SESSION_FIND(index, lead) SESSION_COLS index SESSION_JOIN lead \
	SESSION_MORE SESSION_WHERE
/* The list's filters on one session, without its cursor (a search's check of each session it meets). */
#define SESSION_CHECK " (?1 IS NULL OR s.connection_id = ?1)" \
	" AND (?2 = 0 OR s.contact_id = ?2)" \
	" AND (?3 = 0 OR (?3 = 1) = (s.closed_at IS NULL))" \
	" AND s.last_at >= ?4 AND s.last_at <= ?5"
/*
 * A search's statements: ?1 the words as store_search_words wrote them
 * (SQLite's index: the FTS5 query search_match built of them), ?2
 * messages below this id, ?3 the last word's position (their count less
 * one), ?4 the lowest id less one (the unindexed) or how many of the
 * newest messages to read (a walk), ?5 at most this many rows.
 */
/*
 * The unindexed messages holding the words: SQLite's own tokenizer splits
 * and folds the words (w, once) and each message (t) alike; a message
 * holds them when every word is one of its tokens, the last (?3) also as
 * the start of one.
 */
#define SEARCH_TAIL_SQL "WITH w AS MATERIALIZED (SELECT token, position" \
	" FROM temp.search_tokens WHERE input = ?1)" \
	" SELECT m.id, m.session_id, 1 FROM messages m" \
	" JOIN temp.search_tokens t ON t.input = m.text" \
	" JOIN w ON t.token = w.token OR (w.position = (SELECT" \
	" MAX(position) FROM w)" \
	" AND substr(t.token, 1, length(w.token)) = w.token)" \
	" WHERE m.id > ?4 AND m.id < ?2 AND ?3 >= 0 GROUP BY m.id" \
	" HAVING COUNT(DISTINCT w.position) = (SELECT COUNT(*) FROM w)" \
	" ORDER BY m.id DESC LIMIT ?5"
#define MESSAGE_COLS "SELECT m.id, m.uid, m.created_at," \
	" m.direction, m.author, m.status, m.status_name," \
	" m.status_description, m.error_description, m.text," \
	" COALESCE(m.sent_at, ''), COALESCE(m.done_at, '')," \
	" COALESCE(m.currency, ''), COALESCE(m.price, -1)," \
	" COALESCE(m.sms_count, -1), (SELECT COUNT(*) FROM message_events e" \
	" WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id" \
	" AND e.kind = 'click') FROM messages m"

static const struct db_sql admin_stmt[Q__MAX] = {
	DB_SQL(Q_LOGS, LOG_COLS " INDEXED BY logs_connection"
	    " WHERE connection_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"),
	DB_SQL(Q_LOGS_LEVEL, LOG_COLS " INDEXED BY logs_connection_level"
	    " WHERE connection_id = ?1 AND level = ?4 AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3"),
	DB_SQL(Q_LOGS_EVENT, LOG_COLS " INDEXED BY logs_connection_event"
	    " WHERE connection_id = ?1 AND event = ?5"
	    " AND (?4 IS NULL OR level = ?4) AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3"),
	/* Among the last 100 entries of the event: a bounded read whatever the log holds. */
	DB_SQL(Q_LOG_LAST, "SELECT at, text FROM (SELECT id, at, text FROM logs"
	    " INDEXED BY logs_connection_event WHERE connection_id = ?1"
	    " AND event = ?2 ORDER BY id DESC LIMIT 100)"
	    " WHERE substr(text, 1, length(?3)) = ?3 ORDER BY id DESC LIMIT 1"),
	DB_SQL(Q_AGENTS, "SELECT a.id, a.name, a.kind, a.status,"
	    " COALESCE((SELECT group_concat(k.name || CASE WHEN ac.inbound"
	    " THEN ' (inbound)' ELSE '' END, ', ') FROM agent_channels ac"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE ac.agent_id = a.id AND k.deleted_at IS NULL), '')"
	    " FROM agents a ORDER BY a.name COLLATE NOCASE, a.id"),
	DB_SQL(Q_ATTACHMENTS, "SELECT ac.agent_id, a.name, a.status, a.kind,"
	    " ac.connection_id, k.name, k.sender, k.status, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE k.deleted_at IS NULL AND (?1 = 0 OR ac.agent_id = ?1)"
	    " AND (?2 IS NULL OR ac.connection_id = ?2)"
	    " ORDER BY k.name COLLATE NOCASE, k.id, a.name COLLATE NOCASE, a.id"),
	DB_SQL(Q_SESSIONS, SESSION_COLS "sessions_last" SESSION_JOIN
	    SESSION_WHERE),
	DB_SQL(Q_SESSIONS_CONN, SESSION_COLS "sessions_connection_last"
	    SESSION_JOIN "s.connection_id = ?1 AND" SESSION_WHERE),
	DB_SQL(Q_SESSIONS_CONTACT, SESSION_COLS "sessions_contact_last"
	    SESSION_JOIN "s.contact_id = ?2 AND" SESSION_WHERE),
	DB_SQL(Q_SESSIONS_OPEN, SESSION_COLS "sessions_open_last" SESSION_JOIN
	    "s.closed_at IS NULL AND" SESSION_WHERE),
	DB_SQL(Q_FIND, SESSION_FIND("sessions_last", "")),
	DB_SQL(Q_FIND_CONTACT, SESSION_FIND("sessions_contact_last",
	    "s.contact_id = ?2 AND")),
	/*
	 * The sessions of the numbers in the prefix's range, sorted: chosen
	 * when they are few. The page's ids are sorted first, so only its
	 * own rows read their last message.
	 */
	DB_SQL(Q_FIND_PHONE, SESSION_SELECT " FROM sessions s" SESSION_JOIN
	    "s.id IN (SELECT s.id FROM contacts c CROSS JOIN"
	    " sessions s INDEXED BY sessions_contact_last"
	    " WHERE s.contact_id = c.id AND c.phone >= ?8"
	    " AND c.phone < ?8 || ':' AND" SESSION_MORE SESSION_WHERE ")"
	    " ORDER BY s.last_at DESC, s.id DESC"),
	/* Waiting sessions are among the open ones no AI answers (migration 025's partial index). */
	DB_SQL(Q_FIND_WAITING, SESSION_FIND("sessions_held_last",
	    "s.closed_at IS NULL AND (s.responsible <> 'ai' OR"
	    " s.agent_id IS NULL) AND")),
	DB_SQL(Q_FIND_WHO, SESSION_FIND("sessions_responsible_last",
	    "s.responsible = ?10 AND")),
	DB_SQL(Q_FIND_CONN, SESSION_FIND("sessions_connection_last",
	    "s.connection_id = ?1 AND")),
	DB_SQL(Q_FIND_OPEN, SESSION_FIND("sessions_open_last",
	    "s.closed_at IS NULL AND")),
	DB_SQL(Q_FIND_CLOSED, SESSION_FIND("sessions_closed_last",
	    "s.closed_at IS NOT NULL AND")),
	/* How many numbers there are (about), and how many of them a prefix holds (up to ?2). */
	DB_SQL(Q_PHONE_CONTACTS, "SELECT COALESCE(MAX(id), 0) FROM contacts"),
	DB_SQL(Q_PHONE_MATCHES, "SELECT COUNT(*) FROM (SELECT 1 FROM contacts"
	    " WHERE phone >= ?1 AND phone < ?1 || ':' LIMIT ?2)"),
	/* Session ?6 with its list line when it passes the list's filters (a search's check; ?7 > 0). */
	DB_SQL(Q_SESSION_FOUND, SESSION_SELECT " FROM sessions s" SESSION_JOIN
	    "s.id = ?6 AND ?7 > 0 AND" SESSION_MORE SESSION_CHECK),
	/* How many messages the full-text index has still to take (ids are dense enough to count so). */
	DB_SQL(Q_SEARCH_BEHIND, "SELECT COALESCE((SELECT MAX(id) FROM"
	    " messages), 0) - (SELECT upto FROM messages_fts_mark),"
	    " (SELECT upto FROM messages_fts_mark)"),
	/*
	 * SQLite's tokenizer as a table of this connection's own (the temp
	 * schema: the store is not written), for the unindexed messages.
	 */
	DB_SQL(Q_SEARCH_TOKENIZER, "CREATE VIRTUAL TABLE IF NOT EXISTS"
	    " temp.search_tokens USING fts3tokenize(unicode61,"
	    " 'remove_diacritics=0')"),
	/* The unindexed messages above ?4 and below ?2 holding the words, newest first. */
	DB_SQL(Q_SEARCH_TAIL, SEARCH_TAIL_SQL),
	/* The tokens of ?1 as the index folds them (a search's last word). */
	DB_SQL(Q_SEARCH_FOLD, "SELECT token FROM temp.search_tokens"
	    " WHERE input = ?1 ORDER BY position"),
	/* Up to ?2 words of the index that start with ?1 (migration 025). */
	DB_SQL(Q_SEARCH_PREFIX, "SELECT term FROM messages_fts_terms"
	    " WHERE term >= ?1 AND term < ?1 || char(1114111)"
	    " ORDER BY term LIMIT ?2"),
	/* The words of the messages the index is about to take (store_search_catch_up). */
	DB_SQL(Q_SEARCH_TERMS, "INSERT OR IGNORE INTO messages_fts_terms (term)"
	    " SELECT DISTINCT t.token FROM (SELECT text FROM messages WHERE id >"
	    " (SELECT upto FROM messages_fts_mark) ORDER BY id LIMIT ?1) m,"
	    " temp.search_tokens t WHERE t.input = m.text"),
	/* PostgreSQL's walk of the newest messages (db_pg_sql.c); none here. */
	DB_SQL(Q_SEARCH_WALK, "SELECT 0, 0, 0 WHERE ?1 IS NULL AND ?2 < 0"
	    " AND ?3 < 0 AND ?4 < 0 AND ?5 < 0"),
	/* Up to ?5 indexed messages below ?2 holding the words, newest first: FTS5 walks its index so. */
	DB_SQL(Q_SEARCH_HITS, "SELECT f.rowid, m.session_id, 1 FROM"
	    " messages_fts f JOIN messages m ON m.id = f.rowid"
	    " WHERE messages_fts MATCH ?1 AND f.rowid < ?2 AND ?3 >= 0"
	    " AND ?4 >= 0 ORDER BY f.rowid DESC LIMIT ?5"),
	DB_SQL(Q_SESSIONS_CLOSED, SESSION_COLS "sessions_closed_last"
	    SESSION_JOIN "s.closed_at IS NOT NULL AND" SESSION_WHERE),
	DB_SQL(Q_SESSION_INFO, "SELECT s.id, s.connection_id, k.name, k.sender,"
	    " s.contact_id, c.phone, c.name, c.email, c.opted_out,"
	    " COALESCE(s.agent_id, 0), COALESCE(a.name, ''), s.responsible,"
	    " s.channel_type, s.started_at, s.last_at,"
	    " COALESCE(s.closed_at, ''), s.data, c.data,"
	    " (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id),"
	    " COALESCE((SELECT p.name FROM session_campaigns sp JOIN campaigns p"
	    " ON p.id = sp.campaign_id WHERE sp.session_id = s.id), '')"
	    " FROM sessions s JOIN contacts c ON c.id = s.contact_id"
	    " JOIN connections k ON k.id = s.connection_id"
	    " LEFT JOIN agents a ON a.id = s.agent_id WHERE s.id = ?1"),
	DB_SQL(Q_MESSAGES, "SELECT * FROM (" MESSAGE_COLS
	    " INDEXED BY messages_session"
	    " WHERE m.session_id = ?1 AND m.id < ?2 ORDER BY m.id DESC"
	    " LIMIT ?3) ORDER BY 1"),
	/* The live page: the messages after the last one it shows. */
	DB_SQL(Q_MESSAGES_AFTER, MESSAGE_COLS " INDEXED BY messages_session"
	    " WHERE m.session_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3"),
	/* The full-text index catching up past its mark (sql/018), ?1 rows at most. */
	DB_SQL(Q_SEARCH_PENDING, "SELECT 1 FROM messages WHERE id >"
	    " (SELECT upto FROM messages_fts_mark) LIMIT 1"),
	DB_SQL(Q_SEARCH_INDEX, "INSERT INTO messages_fts (rowid, text)"
	    " SELECT id, text FROM messages WHERE id >"
	    " (SELECT upto FROM messages_fts_mark) ORDER BY id LIMIT ?1"),
	DB_SQL(Q_SEARCH_MARK, "UPDATE messages_fts_mark SET upto ="
	    " COALESCE((SELECT MAX(id) FROM (SELECT id FROM messages"
	    " WHERE id > upto ORDER BY id LIMIT ?1)), upto)"),
	DB_SQL(Q_DAYS, "SELECT d.connection_id, COALESCE(k.name, d.connection_id),"
	    " d.day, d.currency, d.received, d.sent, d.delivered,"
	    " d.not_delivered, d.spend FROM message_daily d"
	    " LEFT JOIN connections k ON k.id = d.connection_id"
	    " WHERE d.day >= ?1 ORDER BY d.day, k.name COLLATE NOCASE,"
	    " d.connection_id"),
	DB_SQL(Q_QUEUES, "SELECT (SELECT COUNT(*) FROM outbox),"
	    " COALESCE((julianday('now') - julianday((SELECT created_at"
	    " FROM messages WHERE id = (SELECT MIN(message_id) FROM outbox))))"
	    " * 86400, 0), (SELECT COUNT(*) FROM agent_queue),"
	    " COALESCE((julianday('now') - julianday((SELECT queued_at"
	    " FROM agent_queue WHERE message_id = (SELECT MIN(message_id)"
	    " FROM agent_queue)))) * 86400, 0),"
	    " COALESCE((SELECT substr(MAX(refreshed_at), 1, 19) FROM message_daily), '')"),
	DB_SQL(Q_CONTACT, "SELECT id FROM contacts WHERE phone = ?1"),
	/* Every connection, deleted ones too: their messages stay counted. */
	DB_SQL(Q_DAILY_CONNS, "SELECT id FROM connections"),
	DB_SQL(Q_DAILY_SUM, "SELECT substr(created_at, 1, 10), SUM(direction = 'in'),"
	    " SUM(direction = 'out'), SUM(direction = 'out' AND status ="
	    " 'delivered'), SUM(direction = 'out' AND status IN"
	    " ('undeliverable', 'expired', 'rejected', 'failed')),"
	    " SUM(CASE WHEN direction = 'out' THEN COALESCE(price *"
	    " COALESCE(sms_count, 1), 0) ELSE 0 END), COALESCE(MAX(currency),"
	    " '') FROM messages INDEXED BY messages_day WHERE connection_id = ?1"
	    " AND created_at >= ?2 GROUP BY 1"),
	DB_SQL(Q_DAILY_DEL, "DELETE FROM message_daily WHERE day >= ?1"),
	DB_SQL(Q_DAILY_ADD, "INSERT INTO message_daily (connection_id, day, received,"
	    " sent, delivered, not_delivered, spend, currency) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8)"),
	/*
	 * Metrics: rows of (label, label, value). The messages are the counts
	 * the triggers keep (sql/019-counts.sql) with the changes PostgreSQL's
	 * sender has not folded in yet: a few dozen rows, whatever the store
	 * holds.
	 */
	DB_SQL(Q_METRIC_MESSAGES, "SELECT direction, status, SUM(n) FROM"
	    " (SELECT direction, status, n FROM message_counts UNION ALL"
	    " SELECT direction, status, n FROM message_count_deltas) AS x"
	    " GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2"),
	DB_SQL(Q_METRIC_OUTBOX, "SELECT CASE WHEN held_since IS NOT NULL THEN"
	    " 'held' WHEN unsure_since IS NOT NULL THEN 'unsure' ELSE 'queued'"
	    " END, '', COUNT(*) FROM outbox GROUP BY 1 ORDER BY 1"),
	DB_SQL(Q_METRIC_CONNECTIONS, "SELECT status, '', COUNT(*) FROM connections"
	    " WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1"),
	DB_SQL(Q_METRIC_REPORTS_WAITING, "SELECT '', '', COUNT(*) FROM message_events"
	    " WHERE applied = 0"),
	DB_SQL(Q_METRIC_REQUESTS, "SELECT program, route, status, count"
	    " FROM request_counts ORDER BY 1, 2, 3"),
	/* A series' totals, then its buckets, one row each (le NULL: none yet). */
	DB_SQL(Q_METRIC_LATENCY, "SELECT s.label, s.count, s.sum_seconds, b.le,"
	    " b.count FROM latency_sums s LEFT JOIN latency_buckets b"
	    " ON b.name = s.name AND b.label = s.label WHERE s.name = ?1"
	    " ORDER BY s.label, b.le"),
	/* Notices: shown once to their user at their page, never older than an hour. */
	DB_SQL(Q_NOTICE_EXPIRE, "DELETE FROM admin_notices WHERE created_at <"
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 hour')"),
	DB_SQL(Q_NOTICE_ADD, "INSERT INTO admin_notices (id, username, path, body)"
	    " VALUES (?1, ?2, ?3, ?4)"),
	DB_SQL(Q_NOTICE_GET, "SELECT body FROM admin_notices WHERE id = ?1 AND"
	    " username = ?2 AND path = ?3"),
	DB_SQL(Q_NOTICE_DEL, "DELETE FROM admin_notices WHERE id = ?1 AND"
	    " username = ?2 AND path = ?3"),
};

const struct db_table admin_sql = { DB_SLOT_ADMIN, Q__MAX, admin_stmt };

int
store_admin_logs(struct store *st, const struct store_log_filter *f,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 l;
	struct db_stmt		*r = NULL;
	enum q			 which;
	const char		*level;
	int			 rc;

	level = f->level < CLOG__MAX ? conn_log_level_name(f->level) : NULL;
	which = f->event != NULL ? Q_LOGS_EVENT : level != NULL ?
	    Q_LOGS_LEVEL : Q_LOGS;
	for (rc = db_run(st->db, &admin_sql, which, &r, "siiss", f->conn,
	    f->before > 0 ? f->before : INT64_MAX, (int64_t)f->limit, level,
	    f->event);
	    rc == DB_ROW; rc = db_step(r)) {
		l.id = db_int64(r, 0);
		l.at = db_str(r, 1);
		if (!conn_log_level_find(db_str(r, 2), &l.level))
			l.level = CLOG_INFO;
		l.event = db_str(r, 3);
		l.text = db_str(r, 4);
		l.repeats = db_int(r, 5);
		if (!fn(&l, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_log_last(struct store *st, const char *conn, const char *event,
    const char *prefix, char *at, size_t atsz, char *text, size_t textsz)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	at[0] = text[0] = '\0';
	if ((rc = db_run(st->db, &admin_sql, Q_LOG_LAST, &r, "sss", conn, event,
	    prefix)) == DB_ROW) {
		db_copy(r, 0, at, atsz);
		db_copy(r, 1, text, textsz);
	}
	db_reset(r);
	return rc < 0 ? -1 : rc == DB_ROW;
}

int
store_admin_agents(struct store *st,
    int (*fn)(const struct store_agent_row *, void *), void *arg)
{
	struct store_agent_row	 a;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &admin_sql, Q_AGENTS, &r, ""); rc == DB_ROW;
	    rc = db_step(r)) {
		a.id = db_int64(r, 0);
		a.name = db_str(r, 1);
		a.kind = db_str(r, 2);
		a.status = db_str(r, 3);
		a.channels = db_str(r, 4);
		if (!fn(&a, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_attachments(struct store *st, int64_t agent, const char *conn,
    int (*fn)(const struct store_attach_row *, void *), void *arg)
{
	struct store_attach_row	 a;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &admin_sql, Q_ATTACHMENTS, &r, "is", agent, conn);
	    rc == DB_ROW; rc = db_step(r)) {
		a.agent = db_int64(r, 0);
		a.agent_name = db_str(r, 1);
		a.agent_status = db_str(r, 2);
		a.agent_kind = db_str(r, 3);
		a.conn = db_str(r, 4);
		a.conn_name = db_str(r, 5);
		a.conn_sender = db_str(r, 6);
		a.conn_status = db_str(r, 7);
		a.inbound = db_int(r, 8);
		if (!fn(&a, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

/* Fills l from a row of a session list statement. */
static void
session_line(struct db_stmt *r, struct store_session_line *l)
{
	l->id = db_int64(r, 0);
	l->conn = db_str(r, 1);
	l->conn_name = db_str(r, 2);
	l->phone = db_str(r, 3);
	l->agent = db_str(r, 4);
	l->responsible = db_str(r, 5);
	l->started_at = db_str(r, 6);
	l->last_at = db_str(r, 7);
	l->open = db_int(r, 8);
	l->channel_type = db_str(r, 9);
	l->last_text = db_str(r, 10);
}

/* The highest last_at a list shows (hi, STORE_TIME_MAX + 8): the cursor's, else the end of the last day. */
static void
session_high(const struct store_session_filter *f, char *hi, size_t hisz,
    int cursor)
{
	if (cursor && f->cur_at != NULL && *f->cur_at != '\0')
		snprintf(hi, hisz, "%s", f->cur_at);
	else if (f->to != NULL && *f->to != '\0')
		snprintf(hi, hisz, "%s~", f->to);
	else
		snprintf(hi, hisz, "~");
}

/* The integer square root of n (n >= 0). */
static int64_t
isqrt(int64_t n)
{
	int64_t	 x = n, y;

	if (n < 2)
		return n;
	for (y = (x + 1) / 2; y < x; y = (x + n / x) / 2)
		x = y;
	return x;
}

/*
 * Whether the phone prefix holds few enough numbers that sorting their
 * sessions beats reading the list's order until a page is full: with P of
 * the N numbers in the prefix, the walk reads about limit * N / P
 * sessions and the sort about P, so the range wins below sqrt(limit * N).
 * > 0 few, 0 many, < 0 error.
 */
static int
phone_prefix_few(struct store *st, const char *prefix, int limit)
{
	struct db_stmt	*r = NULL;
	int64_t		 total = 0, cap, held = 0;
	int		 rc;

	if ((rc = db_run(st->db, &admin_sql, Q_PHONE_CONTACTS, &r, "")) ==
	    DB_ROW)
		total = db_int64(r, 0);
	db_reset(r);
	if (rc < 0)
		return -1;
	cap = isqrt((int64_t)limit * total) + 1;
	if ((rc = db_run(st->db, &admin_sql, Q_PHONE_MATCHES, &r, "si",
	    prefix, cap)) == DB_ROW)
		held = db_int64(r, 0);
	db_reset(r);
	if (rc < 0)
		return -1;
	return held < cap;
}

/*
 * The list statement for f, led by the index that keeps it short: the
 * contact's sessions, a phone prefix of few numbers, the sessions no AI
 * answers (waiting), the one responsible, the connection, the state, else
 * the list's own order. < 0 error.
 */
static int
session_statement(struct store *st, const struct store_session_filter *f,
    enum q *which)
{
	int	 phone, rc;

	phone = f->phone_prefix != NULL && *f->phone_prefix != '\0';
	if (!phone && !f->waiting && (f->responsible == NULL ||
	    *f->responsible == '\0')) {
		*which = f->contact > 0 ? Q_SESSIONS_CONTACT : f->conn != NULL ?
		    Q_SESSIONS_CONN : f->state == STORE_SESSIONS_OPEN ?
		    Q_SESSIONS_OPEN : f->state == STORE_SESSIONS_CLOSED ?
		    Q_SESSIONS_CLOSED : Q_SESSIONS;
		return 1;
	}
	if (f->contact > 0) {
		*which = Q_FIND_CONTACT;
		return 1;
	}
	if (phone && (rc = phone_prefix_few(st, f->phone_prefix,
	    f->limit)) != 0) {
		*which = Q_FIND_PHONE;
		return rc;
	}
	*which = f->waiting ? Q_FIND_WAITING : f->responsible != NULL &&
	    *f->responsible != '\0' ? Q_FIND_WHO : f->conn != NULL ?
	    Q_FIND_CONN : f->state == STORE_SESSIONS_OPEN ? Q_FIND_OPEN :
	    f->state == STORE_SESSIONS_CLOSED ? Q_FIND_CLOSED : Q_FIND;
	return 1;
}

int
store_admin_sessions(struct store *st, const struct store_session_filter *f,
    int (*fn)(const struct store_session_line *, void *), void *arg)
{
	struct store_session_line	 l;
	struct db_stmt			*r = NULL;
	enum q				 which;
	char				 hi[STORE_TIME_MAX + 8];
	int				 rc;

	session_high(f, hi, sizeof(hi), 1);
	if (session_statement(st, f, &which) < 0)
		return -1;
	for (rc = db_run(st->db, &admin_sql, which, &r, "siissiiSiS",
	    f->conn, f->contact, (int64_t)f->state, f->from != NULL ? f->from :
	    "", hi, f->cur_at != NULL && *f->cur_at != '\0' ? f->cur_id :
	    INT64_MAX, (int64_t)f->limit, f->phone_prefix,
	    (int64_t)(f->waiting != 0), f->responsible); rc == DB_ROW;
	    rc = db_step(r)) {
		session_line(r, &l);
		if (!fn(&l, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

/*
 * A search's page: the matching messages are read newest first, a chunk
 * at a time, and each session met the first time is checked against the
 * list's other filters; the page ends when it is full or when it has
 * looked at SEARCH_BUDGET messages, so a word in every message and a word
 * in none cost about the same.
 */
#define SEARCH_BUDGET	2000	/* matching messages one page looks at, at most */
#define SEARCH_CHUNK	250	/* the first read; each next one four times more */
#define SEARCH_TAIL	2000	/* unindexed messages a search reads itself (SQLite) */
#define SEARCH_WINDOW	2000	/* newest messages a PostgreSQL walk reads at a time */
#define SEARCH_WALKS	8	/* walks before the index takes over */
#define SEARCH_SEEN	8192	/* slots of the sessions-met set: a power of two past twice the budget */

struct search_hit {
	int64_t	 id, session;	/* session 0: a message of none */
};

/* One search page's walk. */
struct search {
	struct store			*st;
	const struct store_session_filter *f;
	struct store_search_page	*sp;
	int		(*fn)(const struct store_session_line *, void *);
	void		*arg;
	const char	*hi;		/* the highest last_at the dates allow */
	const char	*match;		/* what Q_SEARCH_HITS matches: the words, or SQLite's FTS5 query */
	int64_t		 last;		/* the last word's position */
	int64_t		*seen;		/* sessions met (open addressing, 0 empty) */
	struct search_hit *hits;	/* SEARCH_BUDGET */
	int64_t		 cursor;	/* the last message looked at */
	long		 looked;	/* messages looked at */
	int		 rows;		/* sessions listed */
	int		 stop;		/* the page is full or the reader said stop */
};

/* Whether session id was met before on this page (and notes it). */
static int
search_met(struct search *s, int64_t id)
{
	size_t	 i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 50) &
	    (SEARCH_SEEN - 1);

	for (; s->seen[i] != 0; i = (i + 1) & (SEARCH_SEEN - 1))
		if (s->seen[i] == id)
			return 1;
	s->seen[i] = id;
	return 0;
}

/*
 * Reads the rows of search statement which (message id, session id,
 * kind: 1 a match, 0 the lowest id a walk read) into s->hits, up to
 * limit; *low gets a walk's lowest id (left alone without one). The
 * number of matches, < 0 error.
 */
static int
search_read(struct search *s, enum q which, int64_t before, int64_t bound,
    int64_t limit, int64_t *low)
{
	struct db_stmt	*r = NULL;
	int		 n = 0, rc;

	for (rc = db_run(s->st->db, &admin_sql, which, &r, "Siiii",
	    which == Q_SEARCH_HITS ? s->match : s->f->words, before, s->last,
	    bound, limit); rc == DB_ROW;
	    rc = db_step(r)) {
		if (db_int(r, 2) == 0) {
			*low = db_int64(r, 0);
			continue;
		}
		if (n == SEARCH_BUDGET)
			continue;
		s->hits[n].id = db_int64(r, 0);
		s->hits[n].session = db_null(r, 1) ? 0 : db_int64(r, 1);
		n++;
	}
	db_reset(r);
	return rc < 0 ? -1 : n;
}

/*
 * Looks at n matches read, newest first: lists each session met the
 * first time that passes the other filters. > 0 go on, 0 the page is
 * done (full, out of budget, or the reader stopped), < 0 error.
 */
static int
search_take(struct search *s, int n)
{
	struct store_session_line	 l;
	struct db_stmt			*r;
	const struct store_session_filter *f = s->f;
	int				 i, rc;

	for (i = 0; i < n && !s->stop; i++) {
		if (s->looked == SEARCH_BUDGET)
			return 0;
		s->looked++;
		s->cursor = s->hits[i].id;
		if (s->hits[i].session == 0 || search_met(s,
		    s->hits[i].session))
			continue;
		r = NULL;
		rc = db_run(s->st->db, &admin_sql, Q_SESSION_FOUND, &r,
		    "siissiiSiS", f->conn, f->contact, (int64_t)f->state,
		    f->from != NULL ? f->from : "", s->hi, s->hits[i].session,
		    (int64_t)f->limit, f->phone_prefix,
		    (int64_t)(f->waiting != 0), f->responsible);
		if (rc == DB_ROW) {
			session_line(r, &l);
			s->rows++;
			if (!s->fn(&l, s->arg) || s->rows == f->limit)
				s->stop = 1;
		}
		db_reset(r);
		if (rc < 0)
			return -1;
	}
	return !s->stop && s->looked < SEARCH_BUDGET;
}

/*
 * SQLite: the messages the full-text index has not taken yet, read
 * directly (the newest SEARCH_TAIL of them; sp->behind says how many more
 * there are). *below gets where the index's part begins. > 0 go on, 0
 * done, < 0 error.
 */
static int
search_unindexed(struct search *s, int64_t before, int64_t *below)
{
	struct db_stmt	*r = NULL;
	int64_t		 pending = 0, upto = 0, bound, low = 0;
	int		 n, rc;

	if ((rc = db_run(s->st->db, &admin_sql, Q_SEARCH_BEHIND, &r, "")) ==
	    DB_ROW) {
		pending = db_int64(r, 0);
		upto = db_int64(r, 1);
	}
	db_reset(r);
	if (rc < 0)
		return -1;
	*below = before < upto + 1 ? before : upto + 1;
	/* The tokenizer serves the prefix's words too (search_match). */
	if (db_exec(s->st->db, &admin_sql, Q_SEARCH_TOKENIZER, "") < 0)
		return -1;
	if (pending <= 0)
		return 1;
	bound = upto;
	if (pending > SEARCH_TAIL) {
		s->sp->behind = pending - SEARCH_TAIL;
		bound = upto + s->sp->behind;
	}
	if (before <= bound + 1)
		return 1;
	if ((n = search_read(s, Q_SEARCH_TAIL, before, bound, SEARCH_BUDGET,
	    &low)) < 0)
		return -1;
	return search_take(s, n);
}

/*
 * PostgreSQL: reads the newest messages a window at a time and keeps
 * those holding the words, while they are common enough (a word in one
 * message of a hundred or more) that this fills a page sooner than its
 * index would read every match; *below gets where the index takes over (0:
 * no message is left). > 0 go on, 0 done, < 0 error.
 */
static int
search_walk(struct search *s, int64_t before, int64_t *below)
{
	int	 walks, n, rc;
	int64_t	 low;

	*below = before;
	for (walks = 0; walks < SEARCH_WALKS; walks++) {
		low = 0;
		if ((n = search_read(s, Q_SEARCH_WALK, *below, SEARCH_WINDOW,
		    SEARCH_BUDGET, &low)) < 0)
			return -1;
		*below = low;
		if ((rc = search_take(s, n)) <= 0 || low == 0)
			return rc;
		if (n < SEARCH_WINDOW / 100)
			return 1;	/* a rare word: the index reads it faster */
	}
	return 1;
}

/* Appends text to buf (of bufsz) at *n as an FTS5 string (quotes doubled). 1, 0 no room. */
static int
fts_string(char *buf, size_t bufsz, size_t *n, const char *text,
    const char *after)
{
	const char	*p;

	if (*n + 1 >= bufsz)
		return 0;
	buf[(*n)++] = '"';
	for (p = text; *p != '\0'; p++) {
		if (*n + 3 >= bufsz)
			return 0;
		if (*p == '"')
			buf[(*n)++] = '"';
		buf[(*n)++] = *p;
	}
	buf[(*n)++] = '"';
	if (*n + strlen(after) + 1 >= bufsz)
		return 0;
	memcpy(buf + *n, after, strlen(after) + 1);
	*n += strlen(after);
	return 1;
}

/*
 * SQLite: the FTS5 query of the words into buf: each word a string, all
 * in one message, the last any of the index's words it starts
 * (messages_fts_terms), or FTS5's own prefix when it starts more than
 * SEARCH_PREFIX_MAX of them. > 0 made, 0 the last word starts no word
 * of the index (no indexed message matches), < 0 error.
 */
#define SEARCH_PREFIX_MAX	64
static int
search_match(struct search *s, char *buf, size_t bufsz)
{
	struct db_stmt	*r = NULL;
	const char	*last, *sp;
	char		 word[STORE_SEARCH_MAX], folded[4 * STORE_SEARCH_WORD_MAX + 8];
	size_t		 n = 0;
	int		 rc, terms = 0, tokens = 0, ok = 1;

	last = (sp = strrchr(s->f->words, ' ')) != NULL ? sp + 1 :
	    s->f->words;
	buf[0] = '\0';
	/* The words before the last, each a string. */
	snprintf(word, sizeof(word), "%.*s", (int)(last - s->f->words),
	    s->f->words);
	for (sp = strtok(word, " "); sp != NULL; sp = strtok(NULL, " "))
		if (!fts_string(buf, bufsz, &n, sp, " AND "))
			return -1;
	/* The last word as the index folds it: one token, else FTS5's prefix. */
	folded[0] = '\0';
	for (rc = db_run(s->st->db, &admin_sql, Q_SEARCH_FOLD, &r, "S", last);
	    rc == DB_ROW; rc = db_step(r))
		if (tokens++ == 0)
			db_copy(r, 0, folded, sizeof(folded));
	db_reset(r);
	if (rc < 0)
		return -1;
	if (tokens == 1) {
		n += (size_t)snprintf(buf + n, bufsz - n, "(");
		for (rc = db_run(s->st->db, &admin_sql, Q_SEARCH_PREFIX, &r,
		    "Si", folded, (int64_t)SEARCH_PREFIX_MAX + 1);
		    rc == DB_ROW; rc = db_step(r))
			if (++terms > SEARCH_PREFIX_MAX || !fts_string(buf, bufsz,
			    &n, db_str(r, 0), " OR "))
				ok = 0;
		db_reset(r);
		if (rc < 0)
			return -1;
		if (terms == 0)
			return 0;
		if (ok) {
			snprintf(buf + n - 4, bufsz - (n - 4), ")");
			return 1;
		}
		/* Too many words: back to the words before the last. */
		n = 0;
		buf[0] = '\0';
		snprintf(word, sizeof(word), "%.*s", (int)(last - s->f->words),
		    s->f->words);
		for (sp = strtok(word, " "); sp != NULL; sp = strtok(NULL, " "))
			if (!fts_string(buf, bufsz, &n, sp, " AND "))
				return -1;
	}
	return fts_string(buf, bufsz, &n, last, "*") ? 1 : -1;
}

int
store_admin_search(struct store *st, const struct store_session_filter *f,
    struct store_search_page *sp,
    int (*fn)(const struct store_session_line *, void *), void *arg)
{
	struct search	 s;
	char		 hi[STORE_TIME_MAX + 8], match[8192];
	const char	*w;
	int64_t		 below, chunk = SEARCH_CHUNK, want, none = 0;
	int		 n, rc = -1;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.f = f;
	s.sp = sp;
	s.fn = fn;
	s.arg = arg;
	session_high(f, hi, sizeof(hi), 0);
	s.hi = hi;
	for (w = f->words; *w != '\0'; w++)
		s.last += *w == ' ';
	sp->next = 0;
	sp->behind = 0;
	sp->cut = 0;
	below = sp->before > 0 ? sp->before : INT64_MAX;
	if ((s.seen = calloc(SEARCH_SEEN, sizeof(*s.seen))) == NULL ||
	    (s.hits = calloc(SEARCH_BUDGET, sizeof(*s.hits))) == NULL) {
		log_error("session search: out of memory");
		goto out;
	}
	s.match = f->words;
	if ((rc = st->server ? search_walk(&s, below, &below) :
	    search_unindexed(&s, below, &below)) < 0)
		goto out;
	if (rc > 0 && !st->server) {
		if ((rc = search_match(&s, match, sizeof(match))) < 0)
			goto out;
		if (rc == 0)
			below = 0;	/* no indexed message can match */
		s.match = match;
		rc = 1;
	}
	/* The index, newest first, in growing chunks. */
	while (rc > 0 && below > 1) {
		want = SEARCH_BUDGET - s.looked < chunk ? SEARCH_BUDGET -
		    s.looked : chunk;
		if ((n = search_read(&s, Q_SEARCH_HITS, below, 0, want,
		    &none)) < 0) {
			rc = -1;
			goto out;
		}
		if ((rc = search_take(&s, n)) < 0)
			goto out;
		if (n < want)
			break;	/* every match looked at */
		below = s.hits[n - 1].id;
		chunk *= 4;
	}
	/* A full page, or one cut short by the budget, goes on after its last match. */
	if (s.stop || s.looked == SEARCH_BUDGET) {
		sp->next = s.cursor;
		sp->cut = !s.stop;
	}
	rc = 1;
 out:
	free(s.seen);
	free(s.hits);
	return rc < 0 ? -1 : 1;
}

int
store_admin_session_info(struct store *st, int64_t id,
    struct store_session_info *si)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	memset(si, 0, sizeof(*si));
	if ((rc = db_run(st->db, &admin_sql, Q_SESSION_INFO, &r, "i", id)) ==
	    DB_ROW) {
		si->id = db_int64(r, 0);
		db_copy(r, 1, si->conn, sizeof(si->conn));
		db_copy(r, 2, si->conn_name, sizeof(si->conn_name));
		db_copy(r, 3, si->sender, sizeof(si->sender));
		si->contact = db_int64(r, 4);
		db_copy(r, 5, si->phone, sizeof(si->phone));
		db_copy(r, 6, si->contact_name, sizeof(si->contact_name));
		db_copy(r, 7, si->contact_email,
		    sizeof(si->contact_email));
		si->opted_out = db_int(r, 8);
		si->agent = db_int64(r, 9);
		db_copy(r, 10, si->agent_name, sizeof(si->agent_name));
		db_copy(r, 11, si->responsible, sizeof(si->responsible));
		db_copy(r, 12, si->channel_type,
		    sizeof(si->channel_type));
		db_copy(r, 13, si->started_at, sizeof(si->started_at));
		db_copy(r, 14, si->last_at, sizeof(si->last_at));
		db_copy(r, 15, si->closed_at, sizeof(si->closed_at));
		si->data = strdup(db_str(r, 16));
		si->contact_data = strdup(db_str(r, 17));
		si->messages = (long)db_int64(r, 18);
		db_copy(r, 19, si->campaign, sizeof(si->campaign));
		if (si->data == NULL || si->contact_data == NULL)
			rc = -1;
	}
	db_reset(r);
	if (rc < 0) {
		store_session_info_clear(si);
		return -1;
	}
	return rc == DB_ROW;
}

void
store_session_info_clear(struct store_session_info *si)
{
	free(si->data);
	free(si->contact_data);
	si->data = si->contact_data = NULL;
}

/* Calls fn with each row of a message list statement already run (rc its first step). */
static int
message_rows(struct db_stmt *r, int rc,
    int (*fn)(const struct store_message_line *, void *), void *arg)
{
	struct store_message_line	 m;

	for (; rc == DB_ROW; rc = db_step(r)) {
		m.id = db_int64(r, 0);
		m.uid = db_str(r, 1);
		m.at = db_str(r, 2);
		m.direction = db_str(r, 3);
		m.author = db_str(r, 4);
		m.status = db_str(r, 5);
		m.status_name = db_str(r, 6);
		m.reason = db_str(r, 7);
		m.error = db_str(r, 8);
		m.text = db_str(r, 9);
		m.sent_at = db_str(r, 10);
		m.done_at = db_str(r, 11);
		m.currency = db_str(r, 12);
		m.price = db_double(r, 13);
		m.sms_count = db_int(r, 14);
		m.clicks = db_int(r, 15);
		if (!fn(&m, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_messages(struct store *st, int64_t session, int64_t before,
    int limit, int (*fn)(const struct store_message_line *, void *),
    void *arg)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &admin_sql, Q_MESSAGES, &r, "iii", session,
	    before > 0 ? before : INT64_MAX, (int64_t)limit);
	return message_rows(r, rc, fn, arg);
}

int
store_admin_messages_after(struct store *st, int64_t session, int64_t after,
    int limit, int (*fn)(const struct store_message_line *, void *),
    void *arg)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &admin_sql, Q_MESSAGES_AFTER, &r, "iii", session,
	    after > 0 ? after : 0, (int64_t)limit);
	return message_rows(r, rc, fn, arg);
}

int
store_search_catch_up(struct store *st, long limit, long *indexed)
{
	int64_t	 n = 0;
	int	 rc;

	*indexed = 0;
	/* Read first, without the write lock: most turns find nothing. */
	if ((rc = db_exists(st->db, &admin_sql, Q_SEARCH_PENDING, "")) <= 0)
		return rc;
	if (store_begin(st) < 0)
		return -1;
	if (db_exec(st->db, &admin_sql, Q_SEARCH_TOKENIZER, "") < 0 ||
	    db_exec(st->db, &admin_sql, Q_SEARCH_TERMS, "i",
	    (int64_t)limit) < 0 ||
	    db_exec_count(st->db, &admin_sql, Q_SEARCH_INDEX, &n, "i",
	    (int64_t)limit) < 0 || db_exec(st->db, &admin_sql, Q_SEARCH_MARK,
	    "i", (int64_t)limit) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	*indexed = (long)n;
	return 1;
}

/* Whether the len bytes at p are one well-formed UTF-8 sequence of a character past ASCII. */
static int
utf8_char(const unsigned char *p, size_t len)
{
	unsigned int	 c;
	size_t		 i;

	if (len == 2 && p[0] >= 0xc2 && p[0] <= 0xdf)
		c = p[0] & 0x1f;
	else if (len == 3 && (p[0] & 0xf0) == 0xe0)
		c = p[0] & 0x0f;
	else if (len == 4 && p[0] >= 0xf0 && p[0] <= 0xf4)
		c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not characters. */
	return !(len == 3 && c < 0x800) && !(len == 4 && c < 0x10000) &&
	    !(c >= 0xd800 && c <= 0xdfff) && c <= 0x10ffff;
}

int
store_search_words(const char *in, char *out, size_t outsz)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 n = 0, len, words = 0, wlen = 0, start = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	while (*p != '\0') {
		len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
		if (strnlen((const char *)p, len) < len)
			len = strnlen((const char *)p, len);
		/* A word is letters and digits; anything else parts words. */
		if ((len == 1 && isalnum(*p)) || (len > 1 && utf8_char(p, len))) {
			if (wlen == 0 && words == STORE_SEARCH_WORDS_MAX)
				break;
			if (wlen + len > STORE_SEARCH_WORD_MAX) {
				/* The rest of a long word goes. */
				wlen = STORE_SEARCH_WORD_MAX + 1;
				goto next;
			}
			if (n + len + (wlen == 0 && words > 0) + 1 > outsz) {
				/* No room: the word cut short goes whole. */
				if (wlen > 0 && --words > 0)
					n = start - 1;
				else if (wlen > 0)
					n = 0;
				break;
			}
			if (wlen == 0) {
				if (words++ > 0)
					out[n++] = ' ';
				start = n;
			}
			memcpy(out + n, p, len);
			n += len;
			wlen += len;
		} else {
			/* Punctuation, space, control or a stray byte: one at a time. */
			len = 1;
			wlen = 0;
		}
next:
		p += len;
	}
	out[n] = '\0';
	return words > 0;
}

int
store_admin_days(struct store *st, const char *since,
    int (*fn)(const struct store_day_row *, void *), void *arg)
{
	struct store_day_row	 d;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &admin_sql, Q_DAYS, &r, "s", since); rc == DB_ROW;
	    rc = db_step(r)) {
		d.conn = db_str(r, 0);
		d.conn_name = db_str(r, 1);
		d.day = db_str(r, 2);
		d.currency = db_str(r, 3);
		d.received = (long)db_int64(r, 4);
		d.sent = (long)db_int64(r, 5);
		d.delivered = (long)db_int64(r, 6);
		d.not_delivered = (long)db_int64(r, 7);
		d.spend = db_double(r, 8);
		if (!fn(&d, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_queues(struct store *st, struct store_queue_stats *q)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	memset(q, 0, sizeof(*q));
	if ((rc = db_run(st->db, &admin_sql, Q_QUEUES, &r, "")) == DB_ROW) {
		q->outbox = (long)db_int64(r, 0);
		q->outbox_oldest_s = db_double(r, 1);
		q->agent_queue = (long)db_int64(r, 2);
		q->agent_oldest_s = db_double(r, 3);
		db_copy(r, 4, q->rollup_at, sizeof(q->rollup_at));
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_contact_find(struct store *st, const char *phone, int64_t *id)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	*id = 0;
	if ((rc = db_run(st->db, &admin_sql, Q_CONTACT, &r, "s", phone)) == DB_ROW)
		*id = db_int64(r, 0);
	db_reset(r);
	return rc < 0 ? -1 : rc == DB_ROW;
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
	struct db_stmt	*r = NULL;
	struct daily	*nv, *x;
	int		 rc, k;

	for (rc = db_run(st->db, &admin_sql, Q_DAILY_SUM, &r, "ss", conn, since);
	    rc == DB_ROW; rc = db_step(r)) {
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
		db_copy(r, 0, x->day, sizeof(x->day));
		for (k = 0; k < 4; k++)
			x->n[k] = db_int64(r, k + 1);
		x->spend = db_double(r, 5);
		db_copy(r, 6, x->currency, sizeof(x->currency));
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_daily_refresh(struct store *st, int days)
{
	struct dailies	 d = { NULL, 0, 0 };
	struct db_stmt	*r = NULL;
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
	for (rc = db_run(st->db, &admin_sql, Q_DAILY_CONNS, &r, ""); rc == DB_ROW;
	    rc = db_step(r)) {
		if ((nc = realloc(conns, (nconns + 1) * sizeof(*conns))) ==
		    NULL) {
			rc = -1;
			break;
		}
		conns = nc;
		db_copy(r, 0, conns[nconns++], sizeof(conns[0]));
	}
	db_reset(r);
	if (rc < 0)
		goto out;
	for (i = 0; i < nconns; i++)
		if (daily_read(st, conns[i], since, &d) < 0)
			goto out;
	/* Then the few rows, in one short write. */
	if (store_begin(st) < 0)
		goto out;
	/* Another sender writing them now: its rows will do. */
	if ((rc = store_turn_take(st, STORE_TURN_DAILY)) <= 0) {
		store_rollback(st);
		ret = rc < 0 ? -1 : 1;
		goto out;
	}
	rc = db_exec(st->db, &admin_sql, Q_DAILY_DEL, "s", since);
	for (i = 0; rc > 0 && i < d.n; i++)
		rc = db_exec(st->db, &admin_sql, Q_DAILY_ADD, "ssiiiids",
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
	struct db_stmt	*r = NULL;
	char		 l1[64], l2[64];
	int		 rc;

	for (rc = db_run(st->db, &admin_sql, metric_q[which], &r, "");
	    rc == DB_ROW; rc = db_step(r)) {
		db_copy(r, 0, l1, sizeof(l1));
		db_copy(r, 1, l2, sizeof(l2));
		if (!fn(l1, l2, db_double(r, 2), arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_requests(struct store *st,
    int (*fn)(const char *, const char *, int, int64_t, void *), void *arg)
{
	struct db_stmt	*r = NULL;
	char		 program[64], route[64];
	int		 rc;

	for (rc = db_run(st->db, &admin_sql, Q_METRIC_REQUESTS, &r, "");
	    rc == DB_ROW; rc = db_step(r)) {
		db_copy(r, 0, program, sizeof(program));
		db_copy(r, 1, route, sizeof(route));
		if (!fn(program, route, db_int(r, 2),
		    db_int64(r, 3), arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_latency(struct store *st, const char *name,
    int (*fn)(const struct store_latency_row *, void *), void *arg)
{
	struct store_latency_row x;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &admin_sql, Q_METRIC_LATENCY, &r, "s", name);
	    rc == DB_ROW; rc = db_step(r)) {
		memset(&x, 0, sizeof(x));
		db_copy(r, 0, x.label, sizeof(x.label));
		x.count = db_int64(r, 1);
		x.sum = db_double(r, 2);
		x.has_bucket = !db_null(r, 3);
		x.le = db_double(r, 3);
		x.bucket_count = db_int64(r, 4);
		if (!fn(&x, arg))
			break;
	}
	db_reset(r);
	return rc < 0 ? -1 : 1;
}

int
store_admin_notice_put(struct store *st, char id[STORE_ID_LEN + 1],
    const char *user, const char *path, const char *body)
{
	int	 rc = -1;

	if (store_random_hex(id, STORE_ID_LEN / 2) < 0 || store_begin(st) < 0)
		return -1;
	if (db_exec(st->db, &admin_sql, Q_NOTICE_EXPIRE, "") > 0 &&
	    db_exec(st->db, &admin_sql, Q_NOTICE_ADD, "ssss", id, user, path,
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
	struct db_stmt	*q = NULL;
	int		 rc;

	*body = NULL;
	if (store_begin(st) < 0)
		return -1;
	rc = db_run(st->db, &admin_sql, Q_NOTICE_GET, &q, "sss", id, user, path);
	if (rc == DB_ROW && (*body = strdup(db_str(q, 0))) == NULL)
		rc = -1;
	db_reset(q);
	if (rc < 0 || db_exec(st->db, &admin_sql, Q_NOTICE_DEL, "sss", id, user,
	    path) <= 0 || store_commit(st) < 0) {
		store_rollback(st);
		free(*body);
		*body = NULL;
		return -1;
	}
	return *body != NULL;
}
