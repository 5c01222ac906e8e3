/* The SQLite store: the only module that holds SQL. */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "sqlembed.h"
#include "store.h"
#include "store_private.h"

#define NOW	"strftime('%Y-%m-%d %H:%M:%f', 'now')"
/*
 * Rank of a message status: it only ever moves to a higher rank. 'failed'
 * (3) is our own verdict, reached without Infobip's word, so a final status
 * from an Infobip report (4) outranks it; nothing outranks those, so the
 * first final report Infobip sends is the one that stays.
 */
#define RANK(col) "(CASE " col " WHEN 'received' THEN 0 WHEN 'queued' THEN 0" \
	" WHEN 'sending' THEN 1 WHEN 'accepted' THEN 2 WHEN 'failed' THEN 3" \
	" ELSE 4 END)"
/* What a delivery report writes on its message (?13 is the message id). */
#define REPORT_SET "status = ?1, status_group = ?2, status_name = ?3," \
	" status_description = ?4, error_name = ?5, error_description = ?6," \
	" bulk_id = COALESCE(?7, bulk_id), price = COALESCE(?8, price)," \
	" currency = COALESCE(?9, currency)," \
	" sms_count = COALESCE(?10, sms_count)," \
	" sent_at = COALESCE(sent_at, ?11), done_at = COALESCE(?12, done_at)," \
	" updated_at = " NOW

/* Lets a claimed outbox row go: last_error ?, next attempt after the delay modifier ?. */
#define RELEASE	"lease_owner = NULL, lease_until = NULL, last_error = ?," \
	" next_attempt_at = strftime('%Y-%m-%d %H:%M:%f', 'now', ?)"
/* When the unknown send of an outbox row o ended (a lapsed lease: its end). */
#define UNSURE_SINCE "COALESCE(o.unsure_since, o.lease_until, " NOW ")"
/* An outbox row o with its message m, as operators see it (struct store_outbox_entry). */
#define OUTBOX_ROW "o.message_id, m.uid, m.connection_id, m.recipient," \
	" CASE WHEN o.lease_until > " NOW " THEN 'sending'" \
	" WHEN o.held_since IS NOT NULL THEN 'held'" \
	" WHEN m.status = 'sending' THEN 'unsure' ELSE 'queued' END," \
	" o.attempts, o.last_error FROM outbox o" \
	" JOIN messages m ON m.id = o.message_id"
/*
 * A message retention may remove (?1 < id <= ?2, created before ?3): one
 * the sender still has to send or to answer stays until it is done.
 */
#define RETAIN_MSG "id > ?1 AND id <= ?2 AND created_at < ?3" \
	" AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = messages.id)" \
	" AND NOT EXISTS (SELECT 1 FROM agent_queue q" \
	" WHERE q.message_id = messages.id)"

enum stmt {
	STMT_CONN_ADD,
	STMT_CONN_SAVE,
	STMT_CONN_GET,
	STMT_CONN_EACH,
	STMT_CONN_STATUS,
	STMT_CONN_STATUS_SNAP,
	STMT_CONN_START_CLAIM,
	STMT_CONN_START_END,
	STMT_CONN_DELETE,
	STMT_CONN_DEL_CHANNELS,
	STMT_CONN_DEL_AGENTQ,
	STMT_CONN_DEL_FAIL,
	STMT_CONN_DEL_OUTBOX,
	STMT_CONN_DEL_SESSIONS,
	STMT_ENV_SET,
	STMT_ENV_DEL,
	STMT_ENV_EACH,
	STMT_AGENT_ADD,
	STMT_AGENT_GET,
	STMT_AGENT_STATUS,
	STMT_AGENT_SAVE,
	STMT_AGENT_EACH,
	STMT_AGENT_DELETE,
	STMT_AGENT_ATTACH,
	STMT_AGENT_DETACH,
	STMT_AGENT_CHANNELS,
	STMT_INBOUND_AGENT,
	STMT_INBOUND_AGENT_NAME,
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
	STMT_SESSION_CLOSE_OPEN,
	STMT_SESSION_DATA_GET,
	STMT_INBOUND_SEEN,
	STMT_MSG_IN,
	STMT_MSG_OUT,
	STMT_OUTBOX_ADD,
	STMT_AGENTQ_ADD,
	STMT_MSG_FIND_OUT,
	STMT_EVENT_ADD,
	STMT_MSG_REPORT,
	STMT_MSG_FAILED_FINAL,
	STMT_MSG_REPORT_FAILED,
	STMT_OUTBOX_DEL,
	STMT_PENDING_EACH,
	STMT_EVENT_APPLIED,
	STMT_CLICK_ADD,
	STMT_CLAIM_SELECT,
	STMT_CLAIM_LEASE,
	STMT_CLAIM_SENDING,
	STMT_MARK_LEASE,
	STMT_OUTBOX_OWNERS,
	STMT_OUTBOX_UNCLAIM,
	STMT_OUTBOX_DONE,
	STMT_OUTBOX_RETRY,
	STMT_OUTBOX_UNSURE,
	STMT_OUTBOX_LOOKUP,
	STMT_OUTBOX_NOT_FOUND,
	STMT_OUTBOX_RETRY_MSG,
	STMT_OUTBOX_SEND_AGAIN,
	STMT_OUTBOX_HOLD,
	STMT_OUTBOX_EACH,
	STMT_OUTBOX_GET,
	STMT_OUTBOX_REQUEUE,
	STMT_AQ_SELECT,
	STMT_AQ_LEASE,
	STMT_AQ_DONE,
	STMT_HISTORY,
	STMT_SESSION_DATA,
	STMT_CONTACT_FIELDS,
	STMT_LOG,
	STMT_LOG_FOLD,
	STMT_LOG_EACH,
	STMT_USER_SET,
	STMT_USER_ROLE,
	STMT_USER_DEL,
	STMT_USER_ADMINS,
	STMT_USER_EACH,
	STMT_SETTING_GET,
	STMT_SETTING_SET,
	STMT_SETTING_DEL,
	STMT_KEYCHECK_GET,
	STMT_KEYCHECK_ADD,
	STMT_KEYCHECK_SET,
	STMT_SECRET_EACH,
	STMT_HEARTBEAT_SET,
	STMT_HEARTBEAT_GET,
	STMT_REQUESTS_ADD,
	STMT_LATENCY_BUCKET_ADD,
	STMT_LATENCY_SUM_ADD,
	STMT_RETAIN_MSG_SCAN,
	STMT_RETAIN_MSG_UNLINK,
	STMT_RETAIN_MSG_DEL,
	STMT_RETAIN_EVENT_SCAN,
	STMT_RETAIN_EVENT_DEL,
	STMT_RETAIN_LOG_SCAN,
	STMT_RETAIN_LOG_DEL,
	STMT__MAX
};

static const struct db_sql store_stmt[STMT__MAX] = {
	DB_SQL(STMT_CONN_ADD, "INSERT INTO connections (id, name, description,"
	    " api_url, sender, api_key_enc) VALUES (?, ?, ?, ?, ?, ?)"),
	DB_SQL(STMT_CONN_SAVE, "UPDATE connections SET name = ?, description = ?,"
	    " api_url = ?, sender = ?, api_key_enc = ?, updated_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_CONN_GET, "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE id = ?"
	    " AND deleted_at IS NULL"),
	DB_SQL(STMT_CONN_EACH, "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE deleted_at IS NULL"
	    " ORDER BY name, id"),
	/* Any other status change ends a Start under way: its result is discarded. */
	DB_SQL(STMT_CONN_STATUS, "UPDATE connections SET status = ?,"
	    " status_message = ?, start_token = '', updated_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_CONN_STATUS_SNAP, "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = ?, start_token = '',"
	    " updated_at = " NOW " WHERE id = ?"),
	/* One Start or Stop at a time: none may claim while one is under way. */
	DB_SQL(STMT_CONN_START_CLAIM, "UPDATE connections SET status = 'STARTING',"
	    " status_message = '', start_token = ?, updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status NOT IN ('STARTING', 'STOPPING')"),
	/* Only the Start that still holds the claim writes its result. */
	DB_SQL(STMT_CONN_START_END, "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = COALESCE(?, config_snapshot),"
	    " start_token = '', updated_at = " NOW " WHERE id = ?"
	    " AND status = 'STARTING' AND start_token = ?"),
	/* Only a connection that sends nothing may go. */
	DB_SQL(STMT_CONN_DELETE, "UPDATE connections SET deleted_at = " NOW ","
	    " api_key_enc = '', config_snapshot = NULL, status = 'STOPPED',"
	    " status_message = 'deleted', updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status IN ('STOPPED', 'ERROR')"),
	DB_SQL(STMT_CONN_DEL_CHANNELS, "DELETE FROM agent_channels"
	    " WHERE connection_id = ?"),
	DB_SQL(STMT_CONN_DEL_AGENTQ, "DELETE FROM agent_queue WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_FAIL, "UPDATE messages SET status = 'failed',"
	    " status_description = 'not sent: its connection was deleted',"
	    " updated_at = " NOW " WHERE id IN (SELECT o.message_id"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " WHERE m.connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_OUTBOX, "DELETE FROM outbox WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_SESSIONS, "UPDATE sessions SET closed_at = " NOW
	    " WHERE connection_id = ? AND closed_at IS NULL"),
	DB_SQL(STMT_ENV_SET, "INSERT INTO connection_env (connection_id, name, value)"
	    " VALUES (?, ?, ?) ON CONFLICT (connection_id, name)"
	    " DO UPDATE SET value = excluded.value"),
	DB_SQL(STMT_ENV_DEL, "DELETE FROM connection_env WHERE connection_id = ?"
	    " AND name = ?"),
	DB_SQL(STMT_ENV_EACH, "SELECT name, value FROM connection_env"
	    " WHERE connection_id = ? ORDER BY name"),
	DB_SQL(STMT_AGENT_ADD, "INSERT INTO agents (name, kind, instructions, url,"
	    " model, api_key_enc) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))"),
	DB_SQL(STMT_AGENT_GET, "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " WHERE id = ?"),
	DB_SQL(STMT_AGENT_STATUS, "UPDATE agents SET status = ? WHERE id = ?"),
	DB_SQL(STMT_AGENT_SAVE, "UPDATE agents SET name = ?, kind = ?,"
	    " instructions = ?, url = ?, model = ?,"
	    " api_key_enc = NULLIF(?, '') WHERE id = ?"),
	DB_SQL(STMT_AGENT_EACH, "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " ORDER BY name, id"),
	DB_SQL(STMT_AGENT_DELETE, "DELETE FROM agents WHERE id = ?"),
	DB_SQL(STMT_AGENT_ATTACH, "INSERT INTO agent_channels (agent_id,"
	    " connection_id, inbound) VALUES (?, ?, ?)"
	    " ON CONFLICT (agent_id, connection_id)"
	    " DO UPDATE SET inbound = excluded.inbound"),
	DB_SQL(STMT_AGENT_DETACH, "DELETE FROM agent_channels WHERE agent_id = ?"
	    " AND connection_id = ?"),
	DB_SQL(STMT_AGENT_CHANNELS, "SELECT a.id, a.name, k.id, k.name, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE ac.agent_id = ? AND k.deleted_at IS NULL"
	    " ORDER BY k.name, k.id"),
	DB_SQL(STMT_INBOUND_AGENT_NAME, "SELECT a.id, a.name FROM agent_channels ac"
	    " JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1"),
	DB_SQL(STMT_INBOUND_AGENT, "SELECT a.id, a.status = 'RUNNING'"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1"),
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
	DB_SQL(STMT_AGENTQ_ADD, "INSERT INTO agent_queue (message_id, session_id,"
	    " agent_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
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
	DB_SQL(STMT_OUTBOX_DEL, "DELETE FROM outbox WHERE message_id = ?"),
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
	DB_SQL(STMT_CLAIM_SELECT, "SELECT o.message_id, m.uid, m.connection_id,"
	    " m.recipient, m.text, o.attempts + 1, m.status = 'sending',"
	    " COALESCE(c.opted_out, 0), o.priority, o.not_found,"
	    " (julianday('now') - julianday(" UNSURE_SINCE ")) * 86400.0"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " LEFT JOIN contacts c ON c.id = m.contact_id"
	    " WHERE k.status = 'RUNNING' AND o.held_since IS NULL"
	    " AND o.next_attempt_at <= " NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " NOW ")"
	    " ORDER BY o.next_attempt_at, o.message_id LIMIT ?"),
	/* A message still 'sending' is unsure: its unknown send ended by the lapsed lease at the latest. */
	DB_SQL(STMT_CLAIM_LEASE, "UPDATE outbox SET lease_owner = ?,"
	    " unsure_since = COALESCE(unsure_since, CASE WHEN (SELECT status"
	    " FROM messages WHERE id = message_id) = 'sending' THEN lease_until"
	    " END),"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?),"
	    " attempts = attempts + 1 WHERE message_id = ?"),
	/* Just before its request: the message may be sent from now on. */
	DB_SQL(STMT_CLAIM_SENDING, "UPDATE messages SET status = 'sending',"
	    " updated_at = " NOW " WHERE id = ? AND status = 'queued'"),
	/* ... if its claim still holds (owner, lease modifier, message id), renewed. */
	DB_SQL(STMT_MARK_LEASE, "UPDATE outbox SET lease_until ="
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', ?2) WHERE message_id = ?3"
	    " AND lease_owner = ?1"),
	DB_SQL(STMT_OUTBOX_OWNERS, "SELECT DISTINCT lease_owner FROM outbox"
	    " WHERE lease_owner IS NOT NULL"),
	/* A claim that never reached its request: given back, not counted. */
	DB_SQL(STMT_OUTBOX_UNCLAIM, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = MAX(attempts - 1, 0)"
	    " WHERE lease_owner = ? AND (SELECT status FROM messages"
	    " WHERE id = outbox.message_id) = 'queued'"),
	DB_SQL(STMT_OUTBOX_DONE, "UPDATE messages SET status = ?1,"
	    " infobip_id = COALESCE(?2, infobip_id),"
	    " bulk_id = COALESCE(?3, bulk_id),"
	    " status_group = ?4, status_name = ?5, status_description = ?6,"
	    " sms_count = COALESCE(?7, sms_count),"
	    " sent_at = CASE WHEN ?1 = 'accepted' THEN " NOW " ELSE sent_at END,"
	    " updated_at = " NOW " WHERE id = ?8 AND " RANK("status")
	    " < " RANK("?1")),
	DB_SQL(STMT_OUTBOX_RETRY, "UPDATE outbox SET " RELEASE ","
	    " unsure_since = NULL, not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_UNSURE, "UPDATE outbox SET " RELEASE ","
	    " unsure_since = " NOW ", not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_LOOKUP, "UPDATE outbox SET " RELEASE
	    " WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_NOT_FOUND, "UPDATE outbox SET " RELEASE ","
	    " not_found = not_found + 1 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_RETRY_MSG, "UPDATE messages SET status = 'queued',"
	    " updated_at = " NOW " WHERE id = ? AND status = 'sending'"),
	DB_SQL(STMT_OUTBOX_SEND_AGAIN, "UPDATE outbox SET unsure_since = NULL,"
	    " not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_HOLD, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, last_error = ?, held_since = " NOW
	    " WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_EACH, "SELECT " OUTBOX_ROW " WHERE ?1 IS NULL"
	    " OR m.connection_id = ?1 ORDER BY o.message_id LIMIT ?2"),
	DB_SQL(STMT_OUTBOX_GET, "SELECT " OUTBOX_ROW " WHERE o.message_id = ?"),
	DB_SQL(STMT_OUTBOX_REQUEUE, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = 0, next_attempt_at = " NOW ","
	    " last_error = '', unsure_since = NULL, not_found = 0,"
	    " held_since = NULL WHERE message_id = ?"),
	DB_SQL(STMT_AQ_SELECT, "SELECT q.message_id, q.session_id, q.agent_id,"
	    " s.contact_id, m.connection_id, c.phone, m.text, s.data,"
	    " s.collect_step, s.responsible = 'ai', c.opted_out,"
	    " a.status = 'RUNNING', k.sender"
	    " FROM agent_queue q JOIN messages m ON m.id = q.message_id"
	    " JOIN sessions s ON s.id = q.session_id"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN agents a ON a.id = q.agent_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " WHERE q.lease_until IS NULL OR q.lease_until < " NOW
	    " ORDER BY q.message_id LIMIT ?"),
	DB_SQL(STMT_AQ_LEASE, "UPDATE agent_queue SET lease_owner = ?,"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?),"
	    " attempts = attempts + 1 WHERE message_id = ?"),
	DB_SQL(STMT_AQ_DONE, "DELETE FROM agent_queue WHERE message_id = ?"),
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
	DB_SQL(STMT_LOG, "INSERT INTO logs (connection_id, level, event, text)"
	    " VALUES (?, ?, ?, ?)"),
	DB_SQL(STMT_LOG_FOLD, "INSERT INTO logs (connection_id, level, event, text,"
	    " fold_key) VALUES (?1, ?2, ?3, ?4, ?3 || '|' || ?5 || '|' ||"
	    " strftime('%Y-%m-%d %H:%M', 'now'))"
	    " ON CONFLICT (connection_id, fold_key) WHERE fold_key IS NOT NULL"
	    " DO UPDATE SET repeats = repeats + 1"),
	/* Severity rank: error 0, warn 1, info 2; ?2 is the least severe shown. */
	DB_SQL(STMT_LOG_EACH, "SELECT id, at, level, event, text, repeats FROM logs"
	    " WHERE connection_id = ?1 AND (CASE level WHEN 'error' THEN 0"
	    " WHEN 'warn' THEN 1 ELSE 2 END) <= ?2"
	    " AND (?3 IS NULL OR event = ?3) AND (?4 = 0 OR id < ?4)"
	    " ORDER BY id DESC LIMIT ?5"),
	DB_SQL(STMT_USER_SET, "INSERT INTO users (username, role) VALUES (?, ?)"
	    " ON CONFLICT (username) DO UPDATE SET role = excluded.role"),
	DB_SQL(STMT_USER_ROLE, "SELECT role FROM users WHERE username = ?"),
	DB_SQL(STMT_USER_DEL, "DELETE FROM users WHERE username = ?"),
	DB_SQL(STMT_USER_ADMINS, "SELECT COUNT(*) FROM users WHERE role = 'admin'"),
	DB_SQL(STMT_USER_EACH, "SELECT username, role, created_at FROM users"
	    " ORDER BY username"),
	DB_SQL(STMT_SETTING_GET, "SELECT value FROM settings WHERE name = ?"),
	DB_SQL(STMT_SETTING_SET, "INSERT INTO settings (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
	DB_SQL(STMT_SETTING_DEL, "DELETE FROM settings WHERE name = ?"),
	DB_SQL(STMT_KEYCHECK_GET, "SELECT value FROM key_check WHERE id = 1"),
	DB_SQL(STMT_KEYCHECK_ADD, "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO NOTHING"),
	DB_SQL(STMT_KEYCHECK_SET, "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO UPDATE SET value = excluded.value,"
	    " created_at = " NOW),
	DB_SQL(STMT_SECRET_EACH, "SELECT api_key_enc FROM connections"
	    " WHERE api_key_enc <> '' UNION ALL SELECT api_key_enc FROM agents"
	    " WHERE COALESCE(api_key_enc, '') <> ''"),
	DB_SQL(STMT_HEARTBEAT_SET, "INSERT INTO heartbeats (name, at) VALUES (?, " NOW
	    ") ON CONFLICT (name) DO UPDATE SET at = excluded.at"),
	DB_SQL(STMT_HEARTBEAT_GET, "SELECT substr(at, 1, 19),"
	    " (julianday('now') - julianday(at)) * 86400.0,"
	    " (julianday(at) - 2440587.5) * 86400.0 FROM heartbeats"
	    " WHERE name = ?"),
	/* Counters only grow: each adds what was counted since the last. */
	DB_SQL(STMT_REQUESTS_ADD, "INSERT INTO request_counts (program, route,"
	    " status, count) VALUES (?, ?, ?, ?) ON CONFLICT (program, route,"
	    " status) DO UPDATE SET count = count + excluded.count"),
	DB_SQL(STMT_LATENCY_BUCKET_ADD, "INSERT INTO latency_buckets (name, label,"
	    " le, count) VALUES (?, ?, ?, ?) ON CONFLICT (name, label, le)"
	    " DO UPDATE SET count = count + excluded.count"),
	DB_SQL(STMT_LATENCY_SUM_ADD, "INSERT INTO latency_sums (name, label,"
	    " count, sum_seconds) VALUES (?, ?, ?, ?) ON CONFLICT (name, label)"
	    " DO UPDATE SET count = count + excluded.count,"
	    " sum_seconds = sum_seconds + excluded.sum_seconds"),
	/*
	 * Retention reads a batch in id order (ids grow with the time of a
	 * row), outside any transaction, then removes the old rows of that
	 * id range in a short transaction of its own: ?1 after this id,
	 * ?2 up to this id, ?3 older than this time.
	 */
	DB_SQL(STMT_RETAIN_MSG_SCAN, "SELECT id, created_at < ?2 FROM messages"
	    " WHERE id > ?1 ORDER BY id LIMIT ?3"),
	/* A campaign recipient keeps its status and reason, not its message. */
	DB_SQL(STMT_RETAIN_MSG_UNLINK, "UPDATE campaign_recipients SET"
	    " message_id = NULL WHERE message_id IN (SELECT id FROM messages"
	    " WHERE " RETAIN_MSG ")"),
	DB_SQL(STMT_RETAIN_MSG_DEL, "DELETE FROM messages WHERE " RETAIN_MSG),
	DB_SQL(STMT_RETAIN_EVENT_SCAN, "SELECT id, received_at < ?2"
	    " FROM message_events WHERE id > ?1 ORDER BY id LIMIT ?3"),
	DB_SQL(STMT_RETAIN_EVENT_DEL, "DELETE FROM message_events WHERE id > ?1"
	    " AND id <= ?2 AND received_at < ?3"),
	DB_SQL(STMT_RETAIN_LOG_SCAN, "SELECT id, at < ?2 FROM logs WHERE id > ?1"
	    " ORDER BY id LIMIT ?3"),
	DB_SQL(STMT_RETAIN_LOG_DEL, "DELETE FROM logs WHERE id > ?1 AND id <= ?2"
	    " AND at < ?3"),
};


static const struct db_table store_sql = { DB_SLOT_STORE, STMT__MAX, store_stmt };

const char *
store_default_path(void)
{
	const char	*p;
	char		 exe[4096];
	ssize_t		 n;

	if ((p = getenv("IBCHANNEL_DB")) != NULL && *p != '\0')
		return p;
	/* Run from the build tree: the working copy's var/; installed: /var/lib. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((p = strrchr(exe, '/')) != NULL && p - exe >= 6 &&
		    strncmp(p - 6, "/build", 6) == 0)
			return "var/ibchannel.db";
	}
	return "/var/lib/ibchannel/ibchannel.db";
}

unsigned int
store_data_version(struct store *st)
{
	return db_data_version(st->db);
}

int
store_readonly(struct store *st)
{
	return db_readonly(st->db);
}

const char *
store_errmsg(struct store *st)
{
	return db_errmsg(st != NULL ? st->db : NULL);
}

int
store_take_disk_full(struct store *st)
{
	return db_take_disk_full(st->db);
}

int
store_version(struct store *st)
{
	return db_version(st->db);
}

/* The durability IBCHANNEL_SYNC names: 1 full (also when unset), 2 normal, 0 anything else. */
static int
sync_mode(const char **value)
{
	const char	*v;

	if ((v = getenv("IBCHANNEL_SYNC")) == NULL || *v == '\0')
		v = "full";
	*value = v;
	return strcasecmp(v, "full") == 0 ? 1 :
	    strcasecmp(v, "normal") == 0 ? 2 : 0;
}

int
store_sync_valid(const char **why)
{
	static char	 msg[128];
	const char	*v;

	*why = NULL;
	if (sync_mode(&v) > 0)
		return 1;
	snprintf(msg, sizeof(msg), "IBCHANNEL_SYNC must be full or normal,"
	    " not \"%.40s\"", v);
	*why = msg;
	return 0;
}

int
store_open(const char *path, enum store_open_mode mode, struct store **out)
{
	static const enum db_open_mode modes[] = {
		[STORE_OPEN_EXISTING] = DB_OPEN_WRITE,
		[STORE_OPEN_CREATE] = DB_OPEN_CREATE,
		[STORE_OPEN_READ] = DB_OPEN_READ,
	};
	struct store	*st;
	const char	*why;
	struct stat	 sb;

	*out = NULL;
	/* A misspelt durability must not quietly mean another one. */
	if (!store_sync_valid(&why)) {
		log_error("%s", why);
		return -1;
	}
	if (path == NULL)
		path = store_default_path();
	if (mode != STORE_OPEN_CREATE && stat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->full = sync_mode(&why) != 2;
	if (db_open(path, modes[mode], st->full, &st->db) < 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 1;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_close(st->db);
	free(st);
}

int
store_sync_relaxed(struct store *st, int relaxed)
{
	return db_durability(st->db, !relaxed && st->full);
}

int
store_begin(struct store *st)
{
	return db_begin(st->db, DB_IMMEDIATE);
}

int
store_commit(struct store *st)
{
	return db_commit(st->db);
}

int
store_savepoint(struct store *st)
{
	return db_savepoint(st->db);
}

int
store_savepoint_end(struct store *st, int keep)
{
	return db_savepoint_end(st->db, keep);
}

void
store_rollback(struct store *st)
{
	if (st != NULL)
		db_rollback(st->db);
}

int
store_random_hex(char *buf, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[32];
	size_t			 i;

	if (n > sizeof(raw) || getrandom(raw, n, 0) != (ssize_t)n) {
		log_error("getrandom: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[2 * n] = '\0';
	return 1;
}

/*
 * A new message uid: 16 hex digits of the time in microseconds, then 16
 * random ones (32 in all). Uids of new messages sort after older ones, so
 * each insert lands at the right edge of the uid index instead of on a
 * random page: a group of messages dirties a page or two, not one each.
 */
static int
new_uid(char *uid)
{
	struct timespec	 ts;
	unsigned long long us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
	snprintf(uid, 17, "%016llx", us);
	return store_random_hex(uid + 16, 8);
}

int
store_id_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < STORE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[STORE_ID_LEN] == '\0';
}

int
store_connection_add(struct store *st, struct store_connection *c)
{
	if (store_random_hex(c->id, STORE_ID_LEN / 2) < 0)
		return -1;
	return db_exec(st->db, &store_sql, STMT_CONN_ADD, "ssssss", c->id, c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc);
}

int
store_connection_save(struct store *st, const struct store_connection *c)
{
	return db_exec_changed(st->db, &store_sql, STMT_CONN_SAVE, "ssssss", c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc, c->id);
}

static void
conn_read(struct db_stmt *s, struct store_connection *c)
{
	db_copy(s, 0, c->id, sizeof(c->id));
	db_copy(s, 1, c->name, sizeof(c->name));
	db_copy(s, 2, c->description, sizeof(c->description));
	db_copy(s, 3, c->api_url, sizeof(c->api_url));
	db_copy(s, 4, c->sender, sizeof(c->sender));
	db_copy(s, 5, c->api_key_enc, sizeof(c->api_key_enc));
	if (!conn_status_find(db_text(s, 6),
	    &c->status))
		c->status = CONN_ERROR;
	db_copy(s, 7, c->status_message, sizeof(c->status_message));
	db_copy(s, 8, c->config_snapshot, sizeof(c->config_snapshot));
	db_copy(s, 9, c->created_at, sizeof(c->created_at));
	db_copy(s, 10, c->updated_at, sizeof(c->updated_at));
}

int
store_connection_get(struct store *st, const char *id, struct store_connection *c)
{
	struct db_stmt	*s;
	int		 rc;

	if (!store_id_valid(id))
		return 0;
	if ((rc = db_run(st->db, &store_sql, STMT_CONN_GET, &s, "s", id)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	conn_read(s, c);
	db_reset(s);
	return 1;
}

int
store_connection_each(struct store *st,
    int (*fn)(const struct store_connection *, void *), void *arg)
{
	struct store_connection	 c;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &store_sql, STMT_CONN_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		conn_read(s, &c);
		if (!fn(&c, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_connection_set_status(struct store *st, const char *id,
    enum conn_status cs, const char *message, const char *snapshot)
{
	const char	*status = conn_status_name(cs);

	return snapshot == NULL ?
	    db_exec_changed(st->db, &store_sql, STMT_CONN_STATUS, "sss", status, message, id) :
	    db_exec_changed(st->db, &store_sql, STMT_CONN_STATUS_SNAP, "ssss", status, message,
	    snapshot, id);
}

int
store_connection_start_claim(struct store *st, const char *id,
    char token[STORE_TOKEN_LEN + 1])
{
	if (store_random_hex(token, STORE_TOKEN_LEN / 2) < 0)
		return -1;
	return db_exec_changed(st->db, &store_sql, STMT_CONN_START_CLAIM, "ss", token, id);
}

int
store_connection_start_end(struct store *st, const char *id,
    const char *token, enum conn_status cs, const char *message,
    const char *snapshot)
{
	return db_exec_changed(st->db, &store_sql, STMT_CONN_START_END, "sssss",
	    conn_status_name(cs), message, snapshot, id, token);
}

int
store_connection_delete(struct store *st, const char *id)
{
	static const enum stmt	 after[] = { STMT_CONN_DEL_CHANNELS,
	    STMT_CONN_DEL_AGENTQ, STMT_CONN_DEL_FAIL, STMT_CONN_DEL_OUTBOX,
	    STMT_CONN_DEL_SESSIONS };
	size_t			 i;

	if (db_exec(st->db, &store_sql, STMT_CONN_DELETE, "s", id) <= 0)
		return -1;
	if (db_changes(st->db) == 0)
		return 0;
	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		if (db_exec(st->db, &store_sql, after[i], "s", id) <= 0)
			return -1;
	return 1;
}

int
store_env_set(struct store *st, const char *conn, const char *name,
    const char *value)
{
	if (value == NULL)
		return db_exec(st->db, &store_sql, STMT_ENV_DEL, "ss", conn, name);
	return db_exec(st->db, &store_sql, STMT_ENV_SET, "sss", conn, name, value);
}

int
store_env_each(struct store *st, const char *conn,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &store_sql, STMT_ENV_EACH, &s, "s", conn); rc == DB_ROW;
	    rc = db_step(s))
		if (!fn(db_text(s, 0),
		    db_text(s, 1), arg))
			break;
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_add(struct store *st, struct store_agent *a)
{
	int	 rc;

	if ((rc = db_exec(st->db, &store_sql, STMT_AGENT_ADD, "ssssss", a->name,
	    agent_kind_name(a->kind),
	    a->instructions != NULL ? a->instructions : "", a->url, a->model,
	    a->api_key_enc)) <= 0)
		return rc;
	a->id = db_last_id(st->db);
	return 1;
}

/* Reads an agent row (STMT_AGENT_GET, STMT_AGENT_EACH). 1, or 0 out of memory. */
static int
agent_read(struct db_stmt *s, struct store_agent *a)
{
	memset(a, 0, sizeof(*a));
	a->id = db_int64(s, 0);
	db_copy(s, 1, a->name, sizeof(a->name));
	/* The schema's CHECK admits only the names. */
	agent_kind_find(db_text(s, 2), &a->kind);
	a->instructions = strdup(db_text(s, 3));
	db_copy(s, 4, a->url, sizeof(a->url));
	db_copy(s, 5, a->model, sizeof(a->model));
	db_copy(s, 6, a->api_key_enc, sizeof(a->api_key_enc));
	agent_status_find(db_text(s, 7), &a->status);
	db_copy(s, 8, a->created_at, sizeof(a->created_at));
	return a->instructions != NULL;
}

int
store_agent_get(struct store *st, int64_t id, struct store_agent *a)
{
	struct db_stmt	*s;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if ((rc = db_run(st->db, &store_sql, STMT_AGENT_GET, &s, "i", id)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	rc = agent_read(s, a);
	db_reset(s);
	return rc ? 1 : -1;
}

int
store_agent_save(struct store *st, const struct store_agent *a)
{
	return db_exec_changed(st->db, &store_sql, STMT_AGENT_SAVE, "ssssssi", a->name,
	    agent_kind_name(a->kind), a->instructions != NULL ?
	    a->instructions : "", a->url, a->model, a->api_key_enc,
	    a->id);
}

int
store_agent_each(struct store *st,
    int (*fn)(const struct store_agent *, void *), void *arg)
{
	struct store_agent	 a;
	struct db_stmt		*s;
	int			 rc, go;

	for (rc = db_run(st->db, &store_sql, STMT_AGENT_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		if (!agent_read(s, &a)) {
			rc = -1;
			break;
		}
		go = fn(&a, arg);
		store_agent_clear(&a);
		if (!go)
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_delete(struct store *st, int64_t id)
{
	return db_exec_changed(st->db, &store_sql, STMT_AGENT_DELETE, "i", id);
}

int
store_agent_detach(struct store *st, int64_t agent, const char *conn)
{
	return db_exec_changed(st->db, &store_sql, STMT_AGENT_DETACH, "is", agent, conn);
}

int
store_agent_channel_each(struct store *st, int64_t agent,
    int (*fn)(const struct store_agent_channel *, void *), void *arg)
{
	struct store_agent_channel	 c;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &store_sql, STMT_AGENT_CHANNELS, &s, "i", agent);
	    rc == DB_ROW; rc = db_step(s)) {
		c.agent = db_int64(s, 0);
		c.agent_name = db_text(s, 1);
		c.conn = db_text(s, 2);
		c.conn_name = db_text(s, 3);
		c.inbound = db_int(s, 4);
		if (!fn(&c, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_inbound_agent_name(struct store *st, const char *conn, int64_t *agent,
    char *name, size_t namesz)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &store_sql, STMT_INBOUND_AGENT_NAME, &s, "s", conn)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	*agent = db_int64(s, 0);
	db_copy(s, 1, name, namesz);
	db_reset(s);
	return 1;
}

void
store_agent_clear(struct store_agent *a)
{
	free(a->instructions);
	a->instructions = NULL;
}

int
store_agent_set_status(struct store *st, int64_t id, enum agent_status as)
{
	return db_exec_changed(st->db, &store_sql, STMT_AGENT_STATUS, "si", agent_status_name(as),
	    id);
}

int
store_agent_attach(struct store *st, int64_t agent, const char *conn,
    int inbound, const char **why)
{
	int	 rc;

	*why = NULL;
	rc = db_run(st->db, &store_sql, STMT_AGENT_ATTACH, NULL, "isi", agent, conn,
	    (int64_t)(inbound != 0));
	if (rc == DB_DONE)
		return 1;
	if (rc != DB_CONSTRAINT)
		return -1;
	if (db_refused_by_foreign_key(st->db))
		*why = "no such agent or connection";
	else
		*why = "another agent already answers this connection's"
		    " inbound SMS; only one inbound agent per connection";
	return 0;
}

int
store_inbound_agent(struct store *st, const char *conn, int64_t *agent,
    int *running)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &store_sql, STMT_INBOUND_AGENT, &s, "s", conn)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	*agent = db_int64(s, 0);
	*running = db_int(s, 1);
	db_reset(s);
	return 1;
}

int
store_contact_get(struct store *st, const char *phone, int64_t *id,
    int *opted_out)
{
	struct db_stmt	*s;
	int		 rc;

	if (db_exec(st->db, &store_sql, STMT_CONTACT_ADD, "s", phone) < 0)
		return -1;
	if ((rc = db_run(st->db, &store_sql, STMT_CONTACT_GET, &s, "s", phone)) != DB_ROW)
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
	return db_exec(st->db, &store_sql, STMT_CONTACT_OPT, "iii", (int64_t)opted_out,
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
	if ((rc = db_run(st->db, &store_sql, STMT_SESSION_FIND, &s, "ssi", ago, conn,
	    contact)) < 0)
		return -1;
	if (rc == DB_ROW) {
		id = db_int64(s, 0);
		stale = db_int(s, 1);
		db_reset(s);
		if (!stale) {
			*session = id;
			return db_exec(st->db, &store_sql, STMT_SESSION_TOUCH, "i", id);
		}
		if (db_exec(st->db, &store_sql, STMT_SESSION_CLOSE, "i", id) < 0)
			return -1;
	}
	if ((rc = db_exec(st->db, &store_sql, STMT_SESSION_ADD, "sii", conn, contact,
	    agent)) <= 0)
		return rc;
	*session = db_last_id(st->db);
	*opened = 1;
	return 1;
}

int
store_session_touch(struct store *st, int64_t session)
{
	return db_exec(st->db, &store_sql, STMT_SESSION_TOUCH, "i", session);
}

int
store_sessions_close_idle(struct store *st, long timeout_minutes, long *closed)
{
	char	 ago[32];

	*closed = 0;
	snprintf(ago, sizeof(ago), "-%ld minutes", timeout_minutes);
	if (db_exec(st->db, &store_sql, STMT_SESSION_CLOSE_IDLE, "s", ago) < 0)
		return -1;
	*closed = db_changes(st->db);
	return 1;
}

int
store_session_is_ai(struct store *st, int64_t session)
{
	struct db_stmt	*s;
	int		 rc, ai = 0;

	if ((rc = db_run(st->db, &store_sql, STMT_SESSION_AI, &s, "i", session)) < 0)
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

	if ((rc = db_run(st->db, &store_sql, STMT_INBOUND_SEEN, &s, "ss", conn, infobip_id)) < 0)
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

	if (new_uid(uid) < 0)
		return -1;
	rc = db_run(st->db, &store_sql, STMT_MSG_IN, &s, "ssiissTssDsI", uid,
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
store_message_insert_outbound(struct store *st, const struct store_outbound *o,
    int64_t *id, char *uid)
{
	int	 rc;

	if (new_uid(uid) < 0)
		return -1;
	rc = db_exec(st->db, &store_sql, STMT_MSG_OUT, "ssiissssss", uid, o->conn,
	    o->session, o->contact, o->author, o->sender, o->recipient,
	    o->text, o->fail_reason != NULL ? "failed" : "queued",
	    o->fail_reason != NULL ? o->fail_reason : "");
	if (rc <= 0)
		return rc;
	*id = db_last_id(st->db);
	if (o->fail_reason != NULL)
		return 1;
	return db_exec(st->db, &store_sql, STMT_OUTBOX_ADD, "ii", *id,
	    (int64_t)(o->priority != 0));
}

int
store_agent_queue_add(struct store *st, int64_t message, int64_t session,
    int64_t agent)
{
	return db_exec(st->db, &store_sql, STMT_AGENTQ_ADD, "iii", message, session, agent);
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
	const char	*gn, *sn;
	int		 rc;

	if ((rc = db_run(st->db, &store_sql, STMT_MSG_FAILED_FINAL, &s, "is", id,
	    r->status)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	db_copy(s, 0, conn, sizeof(conn));
	db_copy(s, 1, uid, sizeof(uid));
	db_copy(s, 2, to, sizeof(to));
	db_copy(s, 3, was, sizeof(was));
	db_reset(s);
	if (db_exec(st->db, &store_sql, STMT_MSG_REPORT_FAILED, "SSSSSSs" "DsIssi",
	    r->status, r->group_name, r->status_name, r->status_description,
	    r->error_name, r->error_description, r->infobip_bulk_id, r->price,
	    r->currency, r->sms_count, r->sent_at, r->done_at, id) < 0)
		return -1;
	gn = r->group_name != NULL ? r->group_name : "";
	sn = r->status_name != NULL ? r->status_name : "";
	return store_log(st, conn, "warn", "report", "message %s to %s:"
	    " Infobip's final report says %s%s%s, so it is now %s, no longer"
	    " failed as marked here (%s)", uid, to, gn, *sn != '\0' ? " " : "",
	    sn, r->status, was[0] != '\0' ? was : "no reason given") < 0 ?
	    -1 : 1;
}

/*
 * Applies report r to message id: the status only moves forward, and a
 * final status from Infobip also replaces our own 'failed'. Leaves the
 * outbox, since Infobip has the message.
 */
static int
report_to_message(struct store *st, int64_t id, const struct store_report *r)
{
	if (db_exec(st->db, &store_sql, STMT_MSG_REPORT, "SSSSSSs" "DsIssi", r->status,
	    r->group_name, r->status_name, r->status_description,
	    r->error_name, r->error_description, r->infobip_bulk_id,
	    r->price, r->currency, r->sms_count, r->sent_at, r->done_at,
	    id) < 0)
		return -1;
	if (db_changes(st->db) == 0 && report_over_failed(st, id, r) < 0)
		return -1;
	return db_exec(st->db, &store_sql, STMT_OUTBOX_DEL, "i", id);
}

int
store_report_apply(struct store *st, const char *conn,
    const struct store_report *r, int *pending)
{
	struct db_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	*pending = 0;
	if ((rc = db_run(st->db, &store_sql, STMT_MSG_FIND_OUT, &s, "ss", conn, r->uid)) < 0)
		return -1;
	if (rc == DB_ROW)
		id = db_int64(s, 0);
	db_reset(s);
	if ((rc = db_exec_changed(st->db, &store_sql, STMT_EVENT_ADD, "ssii" "SSSSSS" "sDsI"
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

/*
 * Whether a claim or sweep statement would find any row, read without a
 * write transaction: the sender polls every 50 ms, and an idle poll must
 * not take the write lock the webhooks need. > 0 yes, 0 no, < 0 error.
 */
static int
any_row(struct store *st, enum stmt which, const char *fmt, int64_t arg)
{
	struct db_stmt	*s;
	int		 rc;

	rc = *fmt == '\0' ? db_run(st->db, &store_sql, which, &s, "") : db_run(st->db, &store_sql, which, &s, fmt,
	    arg);
	if (rc < 0)
		return -1;
	db_reset(s);
	return rc == DB_ROW;
}

int
store_reports_apply_pending(struct store *st, long *applied)
{
	struct store_report	 r;
	struct db_stmt		*s, *u;
	int64_t			 event, msg;
	int			 rc;

	*applied = 0;
	if ((rc = any_row(st, STMT_PENDING_EACH, "", 0)) <= 0)
		return rc < 0 ? -1 : 1;
	if (store_begin(st) < 0)
		return -1;
	for (rc = db_run(st->db, &store_sql, STMT_PENDING_EACH, &s, ""); rc == DB_ROW;
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
		    db_run(st->db, &store_sql, STMT_EVENT_APPLIED, &u, "ii", msg, event) < 0)
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
	if ((rc = db_run(st->db, &store_sql, STMT_MSG_FIND_OUT, &s, "ss", conn, uid)) < 0)
		return -1;
	if (rc == DB_ROW)
		id = db_int64(s, 0);
	db_reset(s);
	if (id == 0) {
		*unknown = 1;
		return 0;
	}
	return db_exec_changed(st->db, &store_sql, STMT_CLICK_ADD, "ssisSS", conn, uid, id, raw,
	    at, url);
}

void
store_claims_free(struct store_claim *c, size_t n)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(c[i].recipient);
		free(c[i].text);
	}
	free(c);
}

/* What tells an outbox claim from an agent-queue claim. */
struct claim_kind {
	enum stmt	 select;	/* due rows, LIMIT ? */
	enum stmt	 lease;		/* owner, lease modifier, message id */
	enum stmt	 after;		/* run on each claimed id; STMT__MAX: none */
	size_t		 itemsz;
	/* Reads one row into item; returns its message id, 0 when out of memory. */
	int64_t		(*fill)(struct db_stmt *, void *item);
	void		(*release)(void *items, size_t n);
};

/*
 * Claims up to max due rows of a kind for owner until lease_seconds from
 * now, in one write transaction so that two processes never claim the same
 * row. Returns the count with *out, < 0 on error.
 */
static int
claim(struct store *st, const struct claim_kind *k, const char *owner,
    int lease_seconds, size_t max, void **out)
{
	char		*items = NULL;
	int64_t		*ids = NULL;
	struct db_stmt	*s;
	char		 lease[32];
	size_t		 n = 0, i;
	int		 rc;

	*out = NULL;
	if (max == 0)
		return 0;
	if ((rc = any_row(st, k->select, "i", (int64_t)max)) <= 0)
		return rc;
	if ((items = calloc(max, k->itemsz)) == NULL ||
	    (ids = calloc(max, sizeof(*ids))) == NULL) {
		free(items);
		return -1;
	}
	snprintf(lease, sizeof(lease), "+%d seconds", lease_seconds);
	if (store_begin(st) < 0)
		goto err;
	for (rc = db_run(st->db, &store_sql, k->select, &s, "i", (int64_t)max);
	    rc == DB_ROW && n < max; rc = db_step(s), n++)
		if ((ids[n] = k->fill(s, items + n * k->itemsz)) == 0) {
			n++;
			rc = -1;
			break;
		}
	db_reset(s);
	if (rc < 0)
		goto err;
	for (i = 0; i < n; i++)
		if (db_exec(st->db, &store_sql, k->lease, "ssi", owner, lease, ids[i]) < 0 ||
		    (k->after != STMT__MAX &&
		    db_exec(st->db, &store_sql, k->after, "i", ids[i]) < 0))
			goto err;
	if (store_commit(st) < 0)
		goto err;
	free(ids);
	*out = items;
	return (int)n;
err:
	store_rollback(st);
	k->release(items, n);
	free(ids);
	return -1;
}

static int64_t
outbox_fill(struct db_stmt *s, void *item)
{
	struct store_claim	*c = item;

	c->message = db_int64(s, 0);
	db_copy(s, 1, c->uid, sizeof(c->uid));
	db_copy(s, 2, c->conn, sizeof(c->conn));
	c->recipient = strdup(db_text(s, 3));
	c->text = strdup(db_text(s, 4));
	c->attempts = db_int(s, 5);
	c->unsure = db_int(s, 6);
	c->opted_out = db_int(s, 7);
	c->priority = db_int(s, 8);
	c->not_found = db_int(s, 9);
	c->unsure_age = db_double(s, 10);
	return c->recipient != NULL && c->text != NULL ? c->message : 0;
}

static void
outbox_release(void *items, size_t n)
{
	store_claims_free(items, n);
}

/* A claimed message stays 'queued' until store_outbox_mark_sending. */
static const struct claim_kind outbox_kind = {
	STMT_CLAIM_SELECT, STMT_CLAIM_LEASE, STMT__MAX,
	sizeof(struct store_claim), outbox_fill, outbox_release,
};

int
store_outbox_claim(struct store *st, const char *owner, int lease_seconds,
    size_t max, struct store_claim **out)
{
	void	*items;
	int	 rc;

	rc = claim(st, &outbox_kind, owner, lease_seconds, max, &items);
	*out = items;
	return rc;
}

int
store_outbox_mark_sending(struct store *st, const char *owner,
    int lease_seconds, const int64_t *ids, size_t n, int *held)
{
	char	 lease[32];
	size_t	 i;
	int	 rc;

	snprintf(lease, sizeof(lease), "+%d seconds", lease_seconds);
	if (store_begin(st) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((rc = db_exec_changed(st->db, &store_sql, STMT_MARK_LEASE, "ssi", owner, lease,
		    ids[i])) < 0)
			goto err;
		held[i] = rc > 0;
		if (held[i] && db_exec(st->db, &store_sql, STMT_CLAIM_SENDING, "i",
		    ids[i]) < 0)
			goto err;
	}
	return store_commit(st);
err:
	store_rollback(st);
	return -1;
}

int
store_outbox_release_dead(struct store *st,
    int (*dead)(const char *owner, void *arg), void *arg, long *released)
{
	struct db_stmt	*s;
	char		 (*owners)[STORE_OWNER_MAX] = NULL;
	size_t		 n = 0, room = 0, i;
	int		 rc;
	void		*p;

	*released = 0;
	for (rc = db_run(st->db, &store_sql, STMT_OUTBOX_OWNERS, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		if (n == room) {
			room = room ? room * 2 : 8;
			if ((p = realloc(owners, room * sizeof(*owners))) ==
			    NULL) {
				rc = -1;
				break;
			}
			owners = p;
		}
		db_copy(s, 0, owners[n], sizeof(owners[n]));
		if (dead(owners[n], arg))
			n++;
	}
	db_reset(s);
	if (rc < 0)
		goto out;
	/* Each its own short transaction: the webhooks wait for none long. */
	for (i = 0; i < n; i++) {
		if (db_exec(st->db, &store_sql, STMT_OUTBOX_UNCLAIM, "s", owners[i]) < 0) {
			rc = -1;
			goto out;
		}
		*released += db_changes(st->db);
	}
	rc = 1;
out:
	free(owners);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_done(struct store *st, int64_t message, const char *status,
    const char *infobip_id, const char *bulk_id, const char *group_name,
    const char *status_name, const char *description, int sms_count)
{
	if (db_exec(st->db, &store_sql, STMT_OUTBOX_DONE, "ssssss" "Ii", status, infobip_id,
	    bulk_id, group_name != NULL ? group_name : "",
	    status_name != NULL ? status_name : "",
	    description != NULL ? description : "", sms_count, message) < 0)
		return -1;
	return db_exec(st->db, &store_sql, STMT_OUTBOX_DEL, "i", message);
}

/* How each kind of release leaves the outbox row and the message. */
static const struct {
	enum stmt	 stmt;		/* binds error, delay modifier, message */
	int		 requeue;	/* the message goes back to 'queued' */
} retry_kinds[] = {
	[STORE_RETRY_SEND] = { STMT_OUTBOX_RETRY, 1 },
	[STORE_RETRY_UNSURE] = { STMT_OUTBOX_UNSURE, 0 },
	[STORE_RETRY_LOOKUP] = { STMT_OUTBOX_LOOKUP, 0 },
	[STORE_RETRY_NOT_FOUND] = { STMT_OUTBOX_NOT_FOUND, 0 },
};

int
store_outbox_retry(struct store *st, int64_t message, double delay_seconds,
    const char *error, enum store_retry kind)
{
	char	 delay[48];

	if ((size_t)kind >= sizeof(retry_kinds) / sizeof(retry_kinds[0]))
		return -1;
	snprintf(delay, sizeof(delay), "+%.3f seconds", delay_seconds);
	if (db_exec(st->db, &store_sql, retry_kinds[kind].stmt, "ssi", error, delay,
	    message) < 0)
		return -1;
	/* An unsure message stays 'sending': the next claim looks it up first. */
	if (!retry_kinds[kind].requeue)
		return 1;
	return db_exec(st->db, &store_sql, STMT_OUTBOX_RETRY_MSG, "i", message);
}

int
store_outbox_send_again(struct store *st, int64_t message)
{
	return db_exec_changed(st->db, &store_sql, STMT_OUTBOX_SEND_AGAIN, "i", message);
}

int
store_outbox_hold(struct store *st, int64_t message, const char *reason)
{
	return db_exec(st->db, &store_sql, STMT_OUTBOX_HOLD, "si", reason, message);
}

/* Reads an OUTBOX_ROW result into e. */
static void
outbox_entry_fill(struct db_stmt *s, struct store_outbox_entry *e)
{
	e->message = db_int64(s, 0);
	db_copy(s, 1, e->uid, sizeof(e->uid));
	db_copy(s, 2, e->conn, sizeof(e->conn));
	db_copy(s, 3, e->recipient, sizeof(e->recipient));
	db_copy(s, 4, e->state, sizeof(e->state));
	e->attempts = db_int(s, 5);
	db_copy(s, 6, e->last_error, sizeof(e->last_error));
}

int
store_outbox_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_outbox_entry *, void *), void *arg)
{
	struct store_outbox_entry	 e;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &store_sql, STMT_OUTBOX_EACH, &s, "si", conn, (int64_t)limit);
	    rc == DB_ROW; rc = db_step(s)) {
		outbox_entry_fill(s, &e);
		if (!fn(&e, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_get(struct store *st, int64_t message,
    struct store_outbox_entry *e)
{
	struct db_stmt	*s;
	int		 rc;

	memset(e, 0, sizeof(*e));
	if ((rc = db_run(st->db, &store_sql, STMT_OUTBOX_GET, &s, "i", message)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	outbox_entry_fill(s, e);
	db_reset(s);
	return 1;
}

int
store_outbox_requeue(struct store *st, int64_t message)
{
	if (db_exec(st->db, &store_sql, STMT_OUTBOX_REQUEUE, "i", message) < 0)
		return -1;
	return db_exec(st->db, &store_sql, STMT_OUTBOX_RETRY_MSG, "i", message);
}

int
store_log(struct store *st, const char *conn, const char *level,
    const char *event, const char *fmt, ...)
{
	char	 raw[2048], line[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, line, sizeof(line));
	return db_exec(st->db, &store_sql, STMT_LOG, "ssss", conn, level, event, line);
}

int
store_log_counted(struct store *st, const char *conn, const char *level,
    const char *event, const char *kind, const char *fmt, ...)
{
	char	 raw[2048], line[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, line, sizeof(line));
	return db_exec(st->db, &store_sql, STMT_LOG_FOLD, "sssss", conn, level, event, line,
	    kind);
}

int
store_user_set(struct store *st, const char *username, enum user_role role)
{
	return db_exec(st->db, &store_sql, STMT_USER_SET, "ss", username,
	    user_role_name(role));
}

int
store_user_delete(struct store *st, const char *username)
{
	return db_exec_changed(st->db, &store_sql, STMT_USER_DEL, "s", username);
}

int
store_user_admins(struct store *st)
{
	struct db_stmt	*s;
	int		 rc, n;

	if ((rc = db_run(st->db, &store_sql, STMT_USER_ADMINS, &s, "")) != DB_ROW)
		return -1;
	n = db_int(s, 0);
	db_reset(s);
	return n;
}

int
store_user_each(struct store *st,
    int (*fn)(const struct store_user_row *, void *), void *arg)
{
	struct store_user_row	 u;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &store_sql, STMT_USER_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		u.username = db_text(s, 0);
		if (!user_role_find(db_text(s, 1),
		    &u.role))
			u.role = ROLE_VIEWER;
		u.created_at = db_text(s, 2);
		if (!fn(&u, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_log_each(struct store *st, const char *conn, enum conn_log_level level,
    const char *event, int64_t before, int limit,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 r;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &store_sql, STMT_LOG_EACH, &s, "sisii", conn, (int64_t)level,
	    event, before, (int64_t)limit); rc == DB_ROW;
	    rc = db_step(s)) {
		r.id = db_int64(s, 0);
		r.at = db_text(s, 1);
		if (!conn_log_level_find(db_text(s, 2), &r.level))
			r.level = CLOG_INFO;
		r.event = db_text(s, 3);
		r.text = db_text(s, 4);
		r.repeats = db_int(s, 5);
		if (!fn(&r, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

/*
 * Finishes a one-value lookup: rc is what run() returned for s. > 0 with
 * the first column copied into buf, 0 no row, < 0 error.
 */
static int
row_text(struct db_stmt *s, int rc, char *buf, size_t bufsz)
{
	if (rc < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	db_copy(s, 0, buf, bufsz);
	db_reset(s);
	return 1;
}

int
store_user_role(struct store *st, const char *username, enum user_role *role)
{
	struct db_stmt	*s;
	char		 buf[16];
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_USER_ROLE, &s, "s", username);
	if ((rc = row_text(s, rc, buf, sizeof(buf))) <= 0)
		return rc;
	return user_role_find(buf, role) ? 1 : -1;
}

int
store_setting_get(struct store *st, const char *name, char *buf, size_t bufsz)
{
	struct db_stmt	*s;
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_SETTING_GET, &s, "s", name);
	return row_text(s, rc, buf, bufsz);
}

int
store_setting_set(struct store *st, const char *name, const char *value)
{
	return db_exec(st->db, &store_sql, STMT_SETTING_SET, "ss", name, value);
}

int
store_setting_unset(struct store *st, const char *name)
{
	return db_exec(st->db, &store_sql, STMT_SETTING_DEL, "s", name);
}

int
store_key_check_get(struct store *st, char *buf, size_t bufsz)
{
	struct db_stmt	*s;
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_KEYCHECK_GET, &s, "");
	return row_text(s, rc, buf, bufsz);
}

int
store_key_check_set(struct store *st, const char *value, int replace)
{
	return db_exec(st->db, &store_sql, replace ? STMT_KEYCHECK_SET : STMT_KEYCHECK_ADD,
	    "s", value);
}

int
store_secret_each(struct store *st, int (*fn)(const char *enc, void *),
    void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &store_sql, STMT_SECRET_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s))
		if (!fn(db_text(s, 0), arg))
			break;
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

void
store_agent_jobs_free(struct store_agent_job *j, size_t n)
{
	size_t	 i;

	if (j == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(j[i].text);
		free(j[i].session_data);
	}
	free(j);
}

static int64_t
agent_job_fill(struct db_stmt *s, void *item)
{
	struct store_agent_job	*j = item;

	j->message = db_int64(s, 0);
	j->session = db_int64(s, 1);
	j->agent = db_int64(s, 2);
	j->contact = db_int64(s, 3);
	db_copy(s, 4, j->conn, sizeof(j->conn));
	db_copy(s, 5, j->phone, sizeof(j->phone));
	j->text = strdup(db_text(s, 6));
	j->session_data = strdup(db_text(s, 7));
	j->collect_step = db_int(s, 8);
	j->ai = db_int(s, 9);
	j->opted_out = db_int(s, 10);
	j->agent_running = db_int(s, 11);
	db_copy(s, 12, j->sender, sizeof(j->sender));
	return j->text != NULL && j->session_data != NULL ? j->message : 0;
}

static void
agent_job_release(void *items, size_t n)
{
	store_agent_jobs_free(items, n);
}

static const struct claim_kind agent_kind = {
	STMT_AQ_SELECT, STMT_AQ_LEASE, STMT__MAX,
	sizeof(struct store_agent_job), agent_job_fill, agent_job_release,
};

int
store_agent_queue_claim(struct store *st, const char *owner,
    int lease_seconds, size_t max, struct store_agent_job **out)
{
	void	*items;
	int	 rc;

	rc = claim(st, &agent_kind, owner, lease_seconds, max, &items);
	*out = items;
	return rc;
}

int
store_agent_queue_done(struct store *st, int64_t message)
{
	return db_exec(st->db, &store_sql, STMT_AQ_DONE, "i", message);
}

int
store_session_history(struct store *st, int64_t session, int64_t before,
    int limit, int (*fn)(int inbound, const char *text, void *), void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &store_sql, STMT_HISTORY, &s, "iii", session, before,
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
	return db_exec(st->db, &store_sql, STMT_SESSION_DATA, "sii", data,
	    (int64_t)collect_step, session);
}

int
store_contact_save_fields(struct store *st, int64_t contact, const char *name,
    const char *email, const char *data)
{
	return db_exec(st->db, &store_sql, STMT_CONTACT_FIELDS, "SSsi", name, email, data,
	    contact);
}

int
store_session_get(struct store *st, int64_t id, struct store_session *out)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &store_sql, STMT_SESSION_GET, &s, "i", id)) < 0)
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

	for (rc = db_run(st->db, &store_sql, STMT_SESSION_LIST, &s, "si", conn, (int64_t)limit);
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
	for (rc = db_run(st->db, &store_sql, STMT_SESSION_MESSAGES, &s, "i", session);
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
	return db_exec_changed(st->db, &store_sql, STMT_SESSION_CLOSE_OPEN, "i", session);
}

int
store_session_data(struct store *st, int64_t session, char **data,
    char *name, size_t namesz, char *email, size_t emailsz)
{
	struct db_stmt	*s;
	int		 rc;

	*data = NULL;
	if ((rc = db_run(st->db, &store_sql, STMT_SESSION_DATA_GET, &s, "i", session)) < 0)
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
	return db_exec_changed(st->db, &store_sql, STMT_SESSION_RESPONSIBLE, "si", who,
	    session);
}

/* --- operations: heartbeats, retention (backup and integrity: db_sqlite_file.c) ---------------------- */

int
store_heartbeat(struct store *st, const char *name)
{
	return db_exec(st->db, &store_sql, STMT_HEARTBEAT_SET, "s", name);
}

int
store_heartbeat_get(struct store *st, const char *name,
    struct store_heartbeat *hb)
{
	struct db_stmt	*s;
	int		 rc;

	memset(hb, 0, sizeof(*hb));
	rc = db_run(st->db, &store_sql, STMT_HEARTBEAT_GET, &s, "s", name);
	if (rc == DB_ROW) {
		db_copy(s, 0, hb->at, sizeof(hb->at));
		hb->age_s = db_double(s, 1);
		hb->unix_s = db_double(s, 2);
	}
	db_reset(s);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_requests_add(struct store *st, const char *program, const char *route,
    int status, int64_t n)
{
	return db_exec(st->db, &store_sql, STMT_REQUESTS_ADD, "ssIi", program, route, status,
	    n);
}

int
store_latency_add(struct store *st, const char *name, const char *label,
    const double *le, const int64_t *counts, size_t nbuckets, int64_t n,
    double sum)
{
	size_t	 i;

	for (i = 0; i < nbuckets; i++)
		if (counts[i] != 0 && db_exec(st->db, &store_sql, STMT_LATENCY_BUCKET_ADD,
		    "ssDi", name, label, le[i], counts[i]) <= 0)
			return -1;
	if (n == 0)
		return 1;
	return db_exec(st->db, &store_sql, STMT_LATENCY_SUM_ADD, "ssiD", name, label, n,
	    sum) <= 0 ? -1 : 1;
}

/* What retention runs for each kind of row: the scan and the statements of its transaction. */
static const struct {
	const char	*table;		/* for the log */
	enum stmt	 scan;
	enum stmt	 del[2];	/* in order; STMT__MAX: none */
} retain_stmts[] = {
	[STORE_RETAIN_MESSAGES] = { "messages", STMT_RETAIN_MSG_SCAN,
	    { STMT_RETAIN_MSG_UNLINK, STMT_RETAIN_MSG_DEL } },
	[STORE_RETAIN_EVENTS] = { "message_events", STMT_RETAIN_EVENT_SCAN,
	    { STMT_RETAIN_EVENT_DEL, STMT__MAX } },
	[STORE_RETAIN_LOGS] = { "logs", STMT_RETAIN_LOG_SCAN,
	    { STMT_RETAIN_LOG_DEL, STMT__MAX } },
};

static double
retain_ms_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(clock, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int
store_retain_batch(struct store *st, enum store_retain what,
    const char *cutoff, int batch, int64_t *cursor, long *removed,
    double *held_ms)
{
	struct db_stmt	*s;
	struct timespec	 t0, c0;
	int64_t		 hi = *cursor, last = *cursor;
	int		 rc, rows = 0, old = 0;
	size_t		 i;

	*removed = 0;
	*held_ms = 0;
	/*
	 * The next batch of ids is read outside the transaction, so a
	 * webhook waits only for the removal itself. A batch without an old
	 * row ends the pass: ids grow with time, the rest is young.
	 */
	for (rc = db_run(st->db, &store_sql, retain_stmts[what].scan, &s, "isI", *cursor, cutoff,
	    batch); rc == DB_ROW; rc = db_step(s)) {
		last = db_int64(s, 0);
		rows++;
		if (db_int(s, 1) != 0) {
			hi = last;
			old++;
		}
	}
	db_reset(s);
	if (rc < 0)
		return -1;
	if (old == 0)
		return 0;
	/*
	 * Without the commit's fsync (IBCHANNEL_SYNC=normal for this one): a
	 * removal lost to a power failure is only done again, and the next
	 * full commit makes it durable anyway. The fsync was most of the time
	 * the lock was held, and on a busy disk it took tens of ms.
	 */
	if (store_sync_relaxed(st, 1) < 0 || store_begin(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	/*
	 * From holding the write lock to its release: what a webhook may
	 * wait. The CPU time beside it tells work from waiting for the disk
	 * or the scheduler.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (i = 0; i < 2 && retain_stmts[what].del[i] != STMT__MAX; i++)
		if (db_exec(st->db, &store_sql, retain_stmts[what].del[i], "iis", *cursor, hi,
		    cutoff) <= 0) {
			store_rollback(st);
			store_sync_relaxed(st, 0);
			return -1;
		}
	*removed = db_changes(st->db);
	if (store_commit(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	*held_ms = retain_ms_since(CLOCK_MONOTONIC, &t0);
	if (store_sync_relaxed(st, 0) < 0)
		return -1;
	log_debug("retention: %ld %s removed in a transaction of %.2f ms"
	    " (%.2f ms of CPU)", *removed, retain_stmts[what].table, *held_ms,
	    retain_ms_since(CLOCK_THREAD_CPUTIME_ID, &c0));
	*cursor = rows == batch ? last : hi;
	return rows == batch;
}

