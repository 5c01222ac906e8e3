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

#include <sqlite3.h>

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

static const char *const stmt_sql[STMT__MAX] = {
	[STMT_CONN_ADD] = "INSERT INTO connections (id, name, description,"
	    " api_url, sender, api_key_enc) VALUES (?, ?, ?, ?, ?, ?)",
	[STMT_CONN_SAVE] = "UPDATE connections SET name = ?, description = ?,"
	    " api_url = ?, sender = ?, api_key_enc = ?, updated_at = " NOW
	    " WHERE id = ?",
	[STMT_CONN_GET] = "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE id = ?"
	    " AND deleted_at IS NULL",
	[STMT_CONN_EACH] = "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE deleted_at IS NULL"
	    " ORDER BY name, id",
	/* Any other status change ends a Start under way: its result is discarded. */
	[STMT_CONN_STATUS] = "UPDATE connections SET status = ?,"
	    " status_message = ?, start_token = '', updated_at = " NOW
	    " WHERE id = ?",
	[STMT_CONN_STATUS_SNAP] = "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = ?, start_token = '',"
	    " updated_at = " NOW " WHERE id = ?",
	/* One Start or Stop at a time: none may claim while one is under way. */
	[STMT_CONN_START_CLAIM] = "UPDATE connections SET status = 'STARTING',"
	    " status_message = '', start_token = ?, updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status NOT IN ('STARTING', 'STOPPING')",
	/* Only the Start that still holds the claim writes its result. */
	[STMT_CONN_START_END] = "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = COALESCE(?, config_snapshot),"
	    " start_token = '', updated_at = " NOW " WHERE id = ?"
	    " AND status = 'STARTING' AND start_token = ?",
	/* Only a connection that sends nothing may go. */
	[STMT_CONN_DELETE] = "UPDATE connections SET deleted_at = " NOW ","
	    " api_key_enc = '', config_snapshot = NULL, status = 'STOPPED',"
	    " status_message = 'deleted', updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status IN ('STOPPED', 'ERROR')",
	[STMT_CONN_DEL_CHANNELS] = "DELETE FROM agent_channels"
	    " WHERE connection_id = ?",
	[STMT_CONN_DEL_AGENTQ] = "DELETE FROM agent_queue WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)",
	[STMT_CONN_DEL_FAIL] = "UPDATE messages SET status = 'failed',"
	    " status_description = 'not sent: its connection was deleted',"
	    " updated_at = " NOW " WHERE id IN (SELECT o.message_id"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " WHERE m.connection_id = ?)",
	[STMT_CONN_DEL_OUTBOX] = "DELETE FROM outbox WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)",
	[STMT_CONN_DEL_SESSIONS] = "UPDATE sessions SET closed_at = " NOW
	    " WHERE connection_id = ? AND closed_at IS NULL",
	[STMT_ENV_SET] = "INSERT INTO connection_env (connection_id, name, value)"
	    " VALUES (?, ?, ?) ON CONFLICT (connection_id, name)"
	    " DO UPDATE SET value = excluded.value",
	[STMT_ENV_DEL] = "DELETE FROM connection_env WHERE connection_id = ?"
	    " AND name = ?",
	[STMT_ENV_EACH] = "SELECT name, value FROM connection_env"
	    " WHERE connection_id = ? ORDER BY name",
	[STMT_AGENT_ADD] = "INSERT INTO agents (name, kind, instructions, url,"
	    " model, api_key_enc) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))",
	[STMT_AGENT_GET] = "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " WHERE id = ?",
	[STMT_AGENT_STATUS] = "UPDATE agents SET status = ? WHERE id = ?",
	[STMT_AGENT_SAVE] = "UPDATE agents SET name = ?, kind = ?,"
	    " instructions = ?, url = ?, model = ?,"
	    " api_key_enc = NULLIF(?, '') WHERE id = ?",
	[STMT_AGENT_EACH] = "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " ORDER BY name, id",
	[STMT_AGENT_DELETE] = "DELETE FROM agents WHERE id = ?",
	[STMT_AGENT_ATTACH] = "INSERT INTO agent_channels (agent_id,"
	    " connection_id, inbound) VALUES (?, ?, ?)"
	    " ON CONFLICT (agent_id, connection_id)"
	    " DO UPDATE SET inbound = excluded.inbound",
	[STMT_AGENT_DETACH] = "DELETE FROM agent_channels WHERE agent_id = ?"
	    " AND connection_id = ?",
	[STMT_AGENT_CHANNELS] = "SELECT a.id, a.name, k.id, k.name, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE ac.agent_id = ? AND k.deleted_at IS NULL"
	    " ORDER BY k.name, k.id",
	[STMT_INBOUND_AGENT_NAME] = "SELECT a.id, a.name FROM agent_channels ac"
	    " JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1",
	[STMT_INBOUND_AGENT] = "SELECT a.id, a.status = 'RUNNING'"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1",
	[STMT_CONTACT_ADD] = "INSERT INTO contacts (phone) VALUES (?)"
	    " ON CONFLICT (phone) DO NOTHING",
	[STMT_CONTACT_GET] = "SELECT id, opted_out FROM contacts WHERE phone = ?",
	[STMT_CONTACT_OPT] = "UPDATE contacts SET opted_out = ?,"
	    " opted_out_at = CASE WHEN ? THEN " NOW " ELSE opted_out_at END"
	    " WHERE id = ?",
	[STMT_SESSION_FIND] = "SELECT id, last_at < strftime('%Y-%m-%d %H:%M:%f',"
	    " 'now', ?) FROM sessions WHERE connection_id = ? AND contact_id = ?"
	    " AND closed_at IS NULL",
	[STMT_SESSION_CLOSE] = "UPDATE sessions SET closed_at = " NOW
	    " WHERE id = ?",
	[STMT_SESSION_ADD] = "INSERT INTO sessions (connection_id, contact_id,"
	    " agent_id) VALUES (?, ?, NULLIF(?, 0))",
	[STMT_SESSION_TOUCH] = "UPDATE sessions SET last_at = " NOW
	    " WHERE id = ?",
	[STMT_SESSION_CLOSE_IDLE] = "UPDATE sessions SET closed_at = " NOW
	    " WHERE closed_at IS NULL AND last_at <"
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', ?)",
	[STMT_SESSION_GET] = "SELECT s.id, s.connection_id, s.contact_id,"
	    " c.phone, c.opted_out, s.responsible, s.started_at, s.last_at,"
	    " COALESCE(s.closed_at, ''), k.sender FROM sessions s"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN connections k ON k.id = s.connection_id WHERE s.id = ?",
	[STMT_SESSION_LIST] = "SELECT session_id, connection_id,"
	    " contact_phone, responsible, last_at, closed_at IS NULL,"
	    " message_count, COALESCE(last_text, '') FROM session_overview"
	    " WHERE ?1 IS NULL OR connection_id = ?1"
	    " ORDER BY last_at DESC, session_id DESC LIMIT ?2",
	[STMT_SESSION_MESSAGES] = "SELECT m.id, m.uid, m.created_at,"
	    " m.direction, m.author, m.status, m.status_description, m.text,"
	    " m.sender, m.recipient, COALESCE(m.infobip_id, ''),"
	    " m.status_group, m.status_name, m.error_name,"
	    " m.error_description, m.price, COALESCE(m.currency, ''),"
	    " m.sms_count, COALESCE(m.sent_at, ''), COALESCE(m.done_at, ''),"
	    " (SELECT COUNT(*) FROM message_events e"
	    " WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id"
	    " AND e.kind = 'click')"
	    " FROM messages m WHERE m.session_id = ? ORDER BY m.id",
	[STMT_SESSION_RESPONSIBLE] = "UPDATE sessions SET responsible = ?"
	    " WHERE id = ? AND closed_at IS NULL",
	[STMT_SESSION_CLOSE_OPEN] = "UPDATE sessions SET closed_at = " NOW
	    " WHERE id = ? AND closed_at IS NULL",
	[STMT_SESSION_DATA_GET] = "SELECT s.data, c.name, c.email"
	    " FROM sessions s JOIN contacts c ON c.id = s.contact_id"
	    " WHERE s.id = ?",
	[STMT_SESSION_AI] = "SELECT responsible = 'ai' FROM sessions"
	    " WHERE id = ?",
	[STMT_INBOUND_SEEN] = "SELECT 1 FROM messages WHERE connection_id = ?"
	    " AND infobip_id = ? AND direction = 'in'",
	[STMT_MSG_IN] = "INSERT INTO messages (uid, connection_id, session_id,"
	    " contact_id, direction, author, sender, recipient, text, infobip_id,"
	    " status, received_at, price, currency, sms_count)"
	    " VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), 'in', 'customer', ?, ?, ?, ?,"
	    " 'received', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	[STMT_MSG_OUT] = "INSERT INTO messages (uid, connection_id, session_id,"
	    " contact_id, direction, author, sender, recipient, text, status,"
	    " status_description) VALUES (?, ?, NULLIF(?, 0), NULLIF(?, 0), 'out',"
	    " ?, ?, ?, ?, ?, ?)",
	[STMT_OUTBOX_ADD] = "INSERT INTO outbox (message_id, priority)"
	    " VALUES (?, ?)",
	[STMT_AGENTQ_ADD] = "INSERT INTO agent_queue (message_id, session_id,"
	    " agent_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	[STMT_MSG_FIND_OUT] = "SELECT id FROM messages WHERE connection_id = ?"
	    " AND uid = ? AND direction = 'out'",
	/*
	 * A report Infobip sends again (it retries until it gets a 200) is
	 * kept once: same message, same status reached at the same doneAt
	 * (the key sql/015-events-once.sql gives older rows).
	 */
	[STMT_EVENT_ADD] = "INSERT INTO message_events (connection_id,"
	    " message_uid, message_id, kind, applied, status, status_group,"
	    " status_name, status_description, error_name, error_description,"
	    " bulk_id, price, currency, sms_count, sent_at, done_at, raw,"
	    " event_key) VALUES (?1, ?2, NULLIF(?3, 0), 'report', ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?5 || '|' || ?6 || '|' || ?7 || '|' || COALESCE(?16, ''))"
	    " ON CONFLICT DO NOTHING",
	[STMT_MSG_REPORT] = "UPDATE messages SET " REPORT_SET
	    " WHERE id = ?13 AND " RANK("status") " < 3 AND " RANK("status")
	    " <= " RANK("?1"),
	[STMT_MSG_FAILED_FINAL] = "SELECT connection_id, uid, recipient,"
	    " status_description FROM messages WHERE id = ?1"
	    " AND status = 'failed' AND " RANK("?2") " = 4",
	[STMT_MSG_REPORT_FAILED] = "UPDATE messages SET " REPORT_SET
	    " WHERE id = ?13 AND status = 'failed' AND " RANK("?1") " = 4",
	[STMT_OUTBOX_DEL] = "DELETE FROM outbox WHERE message_id = ?",
	[STMT_PENDING_EACH] = "SELECT e.id, m.id, e.status, e.status_group,"
	    " e.status_name, e.status_description, e.error_name,"
	    " e.error_description, e.bulk_id, e.price, e.currency, e.sms_count,"
	    " e.sent_at, e.done_at FROM message_events e JOIN messages m"
	    " ON m.uid = e.message_uid AND m.connection_id = e.connection_id"
	    " AND m.direction = 'out' WHERE e.applied = 0 AND e.kind = 'report'"
	    " ORDER BY e.id LIMIT 500",
	[STMT_EVENT_APPLIED] = "UPDATE message_events SET applied = 1,"
	    " message_id = ? WHERE id = ?",
	/* A click is kept once: same message, same time, same link. */
	[STMT_CLICK_ADD] = "INSERT INTO message_events (connection_id,"
	    " message_uid, message_id, kind, applied, raw, event_key)"
	    " VALUES (?1, ?2, ?3, 'click', 1, ?4, ?5 || '|' || ?6)"
	    " ON CONFLICT DO NOTHING",
	[STMT_CLAIM_SELECT] = "SELECT o.message_id, m.uid, m.connection_id,"
	    " m.recipient, m.text, o.attempts + 1, m.status = 'sending',"
	    " COALESCE(c.opted_out, 0), o.priority, o.not_found,"
	    " (julianday('now') - julianday(" UNSURE_SINCE ")) * 86400.0"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " LEFT JOIN contacts c ON c.id = m.contact_id"
	    " WHERE k.status = 'RUNNING' AND o.held_since IS NULL"
	    " AND o.next_attempt_at <= " NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " NOW ")"
	    " ORDER BY o.next_attempt_at, o.message_id LIMIT ?",
	/* A message still 'sending' is unsure: its unknown send ended by the lapsed lease at the latest. */
	[STMT_CLAIM_LEASE] = "UPDATE outbox SET lease_owner = ?,"
	    " unsure_since = COALESCE(unsure_since, CASE WHEN (SELECT status"
	    " FROM messages WHERE id = message_id) = 'sending' THEN lease_until"
	    " END),"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?),"
	    " attempts = attempts + 1 WHERE message_id = ?",
	/* Just before its request: the message may be sent from now on. */
	[STMT_CLAIM_SENDING] = "UPDATE messages SET status = 'sending',"
	    " updated_at = " NOW " WHERE id = ? AND status = 'queued'",
	/* ... if its claim still holds (owner, lease modifier, message id), renewed. */
	[STMT_MARK_LEASE] = "UPDATE outbox SET lease_until ="
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', ?2) WHERE message_id = ?3"
	    " AND lease_owner = ?1",
	[STMT_OUTBOX_OWNERS] = "SELECT DISTINCT lease_owner FROM outbox"
	    " WHERE lease_owner IS NOT NULL",
	/* A claim that never reached its request: given back, not counted. */
	[STMT_OUTBOX_UNCLAIM] = "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = MAX(attempts - 1, 0)"
	    " WHERE lease_owner = ? AND (SELECT status FROM messages"
	    " WHERE id = outbox.message_id) = 'queued'",
	[STMT_OUTBOX_DONE] = "UPDATE messages SET status = ?1,"
	    " infobip_id = COALESCE(?2, infobip_id),"
	    " bulk_id = COALESCE(?3, bulk_id),"
	    " status_group = ?4, status_name = ?5, status_description = ?6,"
	    " sms_count = COALESCE(?7, sms_count),"
	    " sent_at = CASE WHEN ?1 = 'accepted' THEN " NOW " ELSE sent_at END,"
	    " updated_at = " NOW " WHERE id = ?8 AND " RANK("status")
	    " < " RANK("?1"),
	[STMT_OUTBOX_RETRY] = "UPDATE outbox SET " RELEASE ","
	    " unsure_since = NULL, not_found = 0 WHERE message_id = ?",
	[STMT_OUTBOX_UNSURE] = "UPDATE outbox SET " RELEASE ","
	    " unsure_since = " NOW ", not_found = 0 WHERE message_id = ?",
	[STMT_OUTBOX_LOOKUP] = "UPDATE outbox SET " RELEASE
	    " WHERE message_id = ?",
	[STMT_OUTBOX_NOT_FOUND] = "UPDATE outbox SET " RELEASE ","
	    " not_found = not_found + 1 WHERE message_id = ?",
	[STMT_OUTBOX_RETRY_MSG] = "UPDATE messages SET status = 'queued',"
	    " updated_at = " NOW " WHERE id = ? AND status = 'sending'",
	[STMT_OUTBOX_SEND_AGAIN] = "UPDATE outbox SET unsure_since = NULL,"
	    " not_found = 0 WHERE message_id = ?",
	[STMT_OUTBOX_HOLD] = "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, last_error = ?, held_since = " NOW
	    " WHERE message_id = ?",
	[STMT_OUTBOX_EACH] = "SELECT " OUTBOX_ROW " WHERE ?1 IS NULL"
	    " OR m.connection_id = ?1 ORDER BY o.message_id LIMIT ?2",
	[STMT_OUTBOX_GET] = "SELECT " OUTBOX_ROW " WHERE o.message_id = ?",
	[STMT_OUTBOX_REQUEUE] = "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = 0, next_attempt_at = " NOW ","
	    " last_error = '', unsure_since = NULL, not_found = 0,"
	    " held_since = NULL WHERE message_id = ?",
	[STMT_AQ_SELECT] = "SELECT q.message_id, q.session_id, q.agent_id,"
	    " s.contact_id, m.connection_id, c.phone, m.text, s.data,"
	    " s.collect_step, s.responsible = 'ai', c.opted_out,"
	    " a.status = 'RUNNING', k.sender"
	    " FROM agent_queue q JOIN messages m ON m.id = q.message_id"
	    " JOIN sessions s ON s.id = q.session_id"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN agents a ON a.id = q.agent_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " WHERE q.lease_until IS NULL OR q.lease_until < " NOW
	    " ORDER BY q.message_id LIMIT ?",
	[STMT_AQ_LEASE] = "UPDATE agent_queue SET lease_owner = ?,"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?),"
	    " attempts = attempts + 1 WHERE message_id = ?",
	[STMT_AQ_DONE] = "DELETE FROM agent_queue WHERE message_id = ?",
	[STMT_HISTORY] = "SELECT direction = 'in', text FROM (SELECT id,"
	    " direction, text FROM messages WHERE session_id = ? AND id < ?"
	    " AND status <> 'failed' ORDER BY id DESC LIMIT ?) ORDER BY id",
	[STMT_SESSION_DATA] = "UPDATE sessions SET data = COALESCE(?, data),"
	    " collect_step = ? WHERE id = ?",
	[STMT_CONTACT_FIELDS] = "UPDATE contacts SET"
	    " name = CASE WHEN ?1 <> '' THEN ?1 ELSE name END,"
	    " email = CASE WHEN ?2 <> '' THEN ?2 ELSE email END,"
	    " data = CASE WHEN ?3 IS NOT NULL THEN json_patch(data, ?3)"
	    " ELSE data END WHERE id = ?4",
	[STMT_LOG] = "INSERT INTO logs (connection_id, level, event, text)"
	    " VALUES (?, ?, ?, ?)",
	[STMT_LOG_FOLD] = "INSERT INTO logs (connection_id, level, event, text,"
	    " fold_key) VALUES (?1, ?2, ?3, ?4, ?3 || '|' || ?5 || '|' ||"
	    " strftime('%Y-%m-%d %H:%M', 'now'))"
	    " ON CONFLICT (connection_id, fold_key) WHERE fold_key IS NOT NULL"
	    " DO UPDATE SET repeats = repeats + 1",
	/* Severity rank: error 0, warn 1, info 2; ?2 is the least severe shown. */
	[STMT_LOG_EACH] = "SELECT id, at, level, event, text, repeats FROM logs"
	    " WHERE connection_id = ?1 AND (CASE level WHEN 'error' THEN 0"
	    " WHEN 'warn' THEN 1 ELSE 2 END) <= ?2"
	    " AND (?3 IS NULL OR event = ?3) AND (?4 = 0 OR id < ?4)"
	    " ORDER BY id DESC LIMIT ?5",
	[STMT_USER_SET] = "INSERT INTO users (username, role) VALUES (?, ?)"
	    " ON CONFLICT (username) DO UPDATE SET role = excluded.role",
	[STMT_USER_ROLE] = "SELECT role FROM users WHERE username = ?",
	[STMT_USER_DEL] = "DELETE FROM users WHERE username = ?",
	[STMT_USER_ADMINS] = "SELECT COUNT(*) FROM users WHERE role = 'admin'",
	[STMT_USER_EACH] = "SELECT username, role, created_at FROM users"
	    " ORDER BY username",
	[STMT_SETTING_GET] = "SELECT value FROM settings WHERE name = ?",
	[STMT_SETTING_SET] = "INSERT INTO settings (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	[STMT_SETTING_DEL] = "DELETE FROM settings WHERE name = ?",
	[STMT_KEYCHECK_GET] = "SELECT value FROM key_check WHERE id = 1",
	[STMT_KEYCHECK_ADD] = "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO NOTHING",
	[STMT_KEYCHECK_SET] = "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO UPDATE SET value = excluded.value,"
	    " created_at = " NOW,
	[STMT_SECRET_EACH] = "SELECT api_key_enc FROM connections"
	    " WHERE api_key_enc <> '' UNION ALL SELECT api_key_enc FROM agents"
	    " WHERE COALESCE(api_key_enc, '') <> ''",
	[STMT_HEARTBEAT_SET] = "INSERT INTO heartbeats (name, at) VALUES (?, " NOW
	    ") ON CONFLICT (name) DO UPDATE SET at = excluded.at",
	[STMT_HEARTBEAT_GET] = "SELECT substr(at, 1, 19),"
	    " (julianday('now') - julianday(at)) * 86400.0,"
	    " (julianday(at) - 2440587.5) * 86400.0 FROM heartbeats"
	    " WHERE name = ?",
	/* Counters only grow: each adds what was counted since the last. */
	[STMT_REQUESTS_ADD] = "INSERT INTO request_counts (program, route,"
	    " status, count) VALUES (?, ?, ?, ?) ON CONFLICT (program, route,"
	    " status) DO UPDATE SET count = count + excluded.count",
	[STMT_LATENCY_BUCKET_ADD] = "INSERT INTO latency_buckets (name, label,"
	    " le, count) VALUES (?, ?, ?, ?) ON CONFLICT (name, label, le)"
	    " DO UPDATE SET count = count + excluded.count",
	[STMT_LATENCY_SUM_ADD] = "INSERT INTO latency_sums (name, label,"
	    " count, sum_seconds) VALUES (?, ?, ?, ?) ON CONFLICT (name, label)"
	    " DO UPDATE SET count = count + excluded.count,"
	    " sum_seconds = sum_seconds + excluded.sum_seconds",
	/*
	 * Retention reads a batch in id order (ids grow with the time of a
	 * row), outside any transaction, then removes the old rows of that
	 * id range in a short transaction of its own: ?1 after this id,
	 * ?2 up to this id, ?3 older than this time.
	 */
	[STMT_RETAIN_MSG_SCAN] = "SELECT id, created_at < ?2 FROM messages"
	    " WHERE id > ?1 ORDER BY id LIMIT ?3",
	/* A campaign recipient keeps its status and reason, not its message. */
	[STMT_RETAIN_MSG_UNLINK] = "UPDATE campaign_recipients SET"
	    " message_id = NULL WHERE message_id IN (SELECT id FROM messages"
	    " WHERE " RETAIN_MSG ")",
	[STMT_RETAIN_MSG_DEL] = "DELETE FROM messages WHERE " RETAIN_MSG,
	[STMT_RETAIN_EVENT_SCAN] = "SELECT id, received_at < ?2"
	    " FROM message_events WHERE id > ?1 ORDER BY id LIMIT ?3",
	[STMT_RETAIN_EVENT_DEL] = "DELETE FROM message_events WHERE id > ?1"
	    " AND id <= ?2 AND received_at < ?3",
	[STMT_RETAIN_LOG_SCAN] = "SELECT id, at < ?2 FROM logs WHERE id > ?1"
	    " ORDER BY id LIMIT ?3",
	[STMT_RETAIN_LOG_DEL] = "DELETE FROM logs WHERE id > ?1 AND id <= ?2"
	    " AND at < ?3",
};


/* Statement names for the log: one failure, one line naming the statement. */
#define N(x)	[x] = #x
static const char *const stmt_name[STMT__MAX] = {
	N(STMT_CONN_ADD),
	N(STMT_CONN_SAVE),
	N(STMT_CONN_GET),
	N(STMT_CONN_EACH),
	N(STMT_CONN_STATUS),
	N(STMT_CONN_STATUS_SNAP),
	N(STMT_CONN_START_CLAIM),
	N(STMT_CONN_START_END),
	N(STMT_CONN_DELETE),
	N(STMT_CONN_DEL_CHANNELS),
	N(STMT_CONN_DEL_AGENTQ),
	N(STMT_CONN_DEL_FAIL),
	N(STMT_CONN_DEL_OUTBOX),
	N(STMT_CONN_DEL_SESSIONS),
	N(STMT_ENV_SET),
	N(STMT_ENV_DEL),
	N(STMT_ENV_EACH),
	N(STMT_AGENT_ADD),
	N(STMT_AGENT_GET),
	N(STMT_AGENT_STATUS),
	N(STMT_AGENT_SAVE),
	N(STMT_AGENT_EACH),
	N(STMT_AGENT_DELETE),
	N(STMT_AGENT_ATTACH),
	N(STMT_AGENT_DETACH),
	N(STMT_AGENT_CHANNELS),
	N(STMT_INBOUND_AGENT),
	N(STMT_INBOUND_AGENT_NAME),
	N(STMT_CONTACT_ADD),
	N(STMT_CONTACT_GET),
	N(STMT_CONTACT_OPT),
	N(STMT_SESSION_FIND),
	N(STMT_SESSION_CLOSE),
	N(STMT_SESSION_ADD),
	N(STMT_SESSION_TOUCH),
	N(STMT_SESSION_AI),
	N(STMT_SESSION_CLOSE_IDLE),
	N(STMT_SESSION_GET),
	N(STMT_SESSION_LIST),
	N(STMT_SESSION_MESSAGES),
	N(STMT_SESSION_RESPONSIBLE),
	N(STMT_SESSION_CLOSE_OPEN),
	N(STMT_SESSION_DATA_GET),
	N(STMT_INBOUND_SEEN),
	N(STMT_MSG_IN),
	N(STMT_MSG_OUT),
	N(STMT_OUTBOX_ADD),
	N(STMT_AGENTQ_ADD),
	N(STMT_MSG_FIND_OUT),
	N(STMT_EVENT_ADD),
	N(STMT_MSG_REPORT),
	N(STMT_MSG_FAILED_FINAL),
	N(STMT_MSG_REPORT_FAILED),
	N(STMT_OUTBOX_DEL),
	N(STMT_PENDING_EACH),
	N(STMT_EVENT_APPLIED),
	N(STMT_CLICK_ADD),
	N(STMT_CLAIM_SELECT),
	N(STMT_CLAIM_LEASE),
	N(STMT_CLAIM_SENDING),
	N(STMT_MARK_LEASE),
	N(STMT_OUTBOX_OWNERS),
	N(STMT_OUTBOX_UNCLAIM),
	N(STMT_OUTBOX_DONE),
	N(STMT_OUTBOX_RETRY),
	N(STMT_OUTBOX_UNSURE),
	N(STMT_OUTBOX_LOOKUP),
	N(STMT_OUTBOX_NOT_FOUND),
	N(STMT_OUTBOX_RETRY_MSG),
	N(STMT_OUTBOX_SEND_AGAIN),
	N(STMT_OUTBOX_HOLD),
	N(STMT_OUTBOX_EACH),
	N(STMT_OUTBOX_GET),
	N(STMT_OUTBOX_REQUEUE),
	N(STMT_AQ_SELECT),
	N(STMT_AQ_LEASE),
	N(STMT_AQ_DONE),
	N(STMT_HISTORY),
	N(STMT_SESSION_DATA),
	N(STMT_CONTACT_FIELDS),
	N(STMT_LOG),
	N(STMT_LOG_FOLD),
	N(STMT_LOG_EACH),
	N(STMT_USER_SET),
	N(STMT_USER_ROLE),
	N(STMT_USER_DEL),
	N(STMT_USER_ADMINS),
	N(STMT_USER_EACH),
	N(STMT_SETTING_GET),
	N(STMT_SETTING_SET),
	N(STMT_SETTING_DEL),
	N(STMT_KEYCHECK_GET),
	N(STMT_KEYCHECK_ADD),
	N(STMT_KEYCHECK_SET),
	N(STMT_SECRET_EACH),
	N(STMT_HEARTBEAT_SET),
	N(STMT_HEARTBEAT_GET),
	N(STMT_REQUESTS_ADD),
	N(STMT_LATENCY_BUCKET_ADD),
	N(STMT_LATENCY_SUM_ADD),
	N(STMT_RETAIN_MSG_SCAN),
	N(STMT_RETAIN_MSG_UNLINK),
	N(STMT_RETAIN_MSG_DEL),
	N(STMT_RETAIN_EVENT_SCAN),
	N(STMT_RETAIN_EVENT_DEL),
	N(STMT_RETAIN_LOG_SCAN),
	N(STMT_RETAIN_LOG_DEL),
};
#undef N

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[STMT__MAX];
	int		 in_tx;
	int		 full;		/* IBCHANNEL_SYNC=full */
	int		 disk_full;	/* a write found no space since store_take_disk_full */
};

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
	unsigned int	 v = 0;

	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_DATA_VERSION,
	    &v) != SQLITE_OK)
		return 0;
	return v;
}

int
store_readonly(struct store *st)
{
	return sqlite3_db_readonly(st->db, "main") == 1;
}

const char *
store_errmsg(struct store *st)
{
	return st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
	    "store not open";
}

/* Returns the prepared statement, reset and unbound, or NULL (logged). */
static sqlite3_stmt *
stmt_get(struct store *st, enum stmt which)
{
	sqlite3_stmt	*s;

	if ((s = st->stmt[which]) == NULL) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			log_error("%s: prepare: %s", stmt_name[which],
			    sqlite3_errmsg(st->db));
			return NULL;
		}
		st->stmt[which] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Binds a sequence of values: 's' text (NULL binds NULL), 'S' text (NULL binds ''), 'i' int64, 'd' double (< 0 binds NULL), 'I' int (< 0 binds NULL). */
static int
bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int		 i, rc = SQLITE_OK;
	const char	*t;
	double		 d;
	int		 n;

	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's':
		case 'S':
			t = va_arg(ap, const char *);
			if (t == NULL && *fmt == 'S')
				t = "";
			rc = t == NULL ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'd':
			d = va_arg(ap, double);
			rc = d < 0 ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_double(s, i, d);
			break;
		case 'I':
			n = va_arg(ap, int);
			rc = n < 0 ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_int(s, i, n);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/*
 * The one step of every statement. Returns SQLITE_ROW (the row is left for
 * reading), SQLITE_DONE, SQLITE_CONSTRAINT (a soft outcome the caller
 * names, e.g. "no such connection"; the statement is reset), or -1 for any
 * other result, logged once with the statement's name (the statement is
 * reset). Loops read: for (rc = run(...); rc == SQLITE_ROW; rc = step(...)).
 */
/*
 * Logs a failed call once, by name. A full disk is noted for
 * store_take_disk_full and logged at most once a minute by this process:
 * whoever waits for space tries again and again meanwhile.
 */
static void
log_failure(struct store *st, const char *name)
{
	static time_t	 full_logged;
	time_t		 now;

	if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_FULL) {
		log_error("%s: %s", name, sqlite3_errmsg(st->db));
		return;
	}
	st->disk_full = 1;
	now = time(NULL);
	if (full_logged != 0 && now - full_logged < 60 &&
	    now >= full_logged) {
		log_debug("%s: %s", name, sqlite3_errmsg(st->db));
		return;
	}
	full_logged = now;
	log_error("%s: %s (said once a minute while it lasts)", name,
	    sqlite3_errmsg(st->db));
}

int
store_take_disk_full(struct store *st)
{
	int	 full = st->disk_full;

	st->disk_full = 0;
	return full;
}

int
store_step(struct store *st, const char *name, sqlite3_stmt *s)
{
	int	 rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		log_debug("%s: %s", name, sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return SQLITE_CONSTRAINT;
	}
	log_failure(st, name);
	sqlite3_reset(s);
	return -1;
}

static int
step(struct store *st, enum stmt which, sqlite3_stmt *s)
{
	return store_step(st, stmt_name[which], s);
}

/*
 * Prepares, binds and steps once. *out (when not NULL) is always set: to
 * the statement, or NULL when it could not be prepared or bound; resetting
 * it is always safe (sqlite3_reset(NULL) does nothing). Returns what step()
 * returns.
 */
static int
run(struct store *st, enum stmt which, sqlite3_stmt **out, const char *fmt, ...)
{
	sqlite3_stmt	*s;
	va_list		 ap;
	int		 rc;

	if (out != NULL)
		*out = NULL;
	if ((s = stmt_get(st, which)) == NULL)
		return -1;
	va_start(ap, fmt);
	rc = bindv(s, fmt, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_error("%s: bind: %s", stmt_name[which],
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (out != NULL)
		*out = s;
	return step(st, which, s);
}

/* exec_stmt's work on a va_list. */
static int
exec_stmtv(struct store *st, enum stmt which, const char *fmt, va_list ap)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = stmt_get(st, which)) == NULL)
		return -1;
	if ((rc = bindv(s, fmt, ap)) != SQLITE_OK) {
		log_error("%s: bind: %s", stmt_name[which],
		    sqlite3_errmsg(st->db));
		return -1;
	}
	rc = step(st, which, s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

/*
 * run() for statements that return no row: > 0 done, 0 refused by a
 * constraint (the caller says which), < 0 error.
 */
static int
exec_stmt(struct store *st, enum stmt which, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = exec_stmtv(st, which, fmt, ap);
	va_end(ap);
	return rc;
}

/* exec_stmt for an update of one row: > 0 changed, 0 no such row (or refused), < 0 error. */
static int
exec_changed(struct store *st, enum stmt which, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = exec_stmtv(st, which, fmt, ap);
	va_end(ap);
	if (rc <= 0)
		return rc;
	return sqlite3_changes(st->db) > 0;
}

static void
copy_col(sqlite3_stmt *s, int col, char *dst, size_t dstsz)
{
	const unsigned char	*t = sqlite3_column_text(s, col);

	snprintf(dst, dstsz, "%s", t != NULL ? (const char *)t : "");
}

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("sqlite3_exec: %s", err != NULL ? err :
		    sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 1;
}

int
store_version(struct store *st)
{
	sqlite3_stmt	*s = NULL;
	int		 v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Applies every embedded migration above the store's version, each in its own transaction. */
static int
migrate(struct store *st)
{
	char	 pragma[64];
	int	 v;
	size_t	 i;

	if ((v = store_version(st)) < 0)
		return -1;
	for (i = 0; i < sqlembed_count; i++) {
		if (sqlembed[i].version <= v)
			continue;
		if (exec_sql(st->db, "BEGIN IMMEDIATE") < 0)
			return -1;
		/* Another process may have migrated while we waited. */
		if ((v = store_version(st)) >= sqlembed[i].version) {
			exec_sql(st->db, "ROLLBACK");
			continue;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    sqlembed[i].version);
		if (exec_sql(st->db, sqlembed[i].sql) < 0 ||
		    exec_sql(st->db, pragma) < 0 ||
		    exec_sql(st->db, "COMMIT") < 0) {
			log_error("migration %s failed", sqlembed[i].name);
			exec_sql(st->db, "ROLLBACK");
			return -1;
		}
		v = sqlembed[i].version;
	}
	return 1;
}

/*
 * Waits for another process's write lock. SQLite's own busy timeout sleeps
 * in steps of up to 100 ms, far longer than our write transactions (well
 * under a millisecond): a waiter slept long after the lock was free and
 * the 99th percentile of webhook answers reached half a second. Polling
 * every 50-400 us keeps it in milliseconds, for up to 10 s in all.
 */
static int
busy_wait(void *arg, int count)
{
	(void)arg;
	if (count >= 10000 * 4)
		return 0;
	usleep(count < 20 ? 50 : count < 200 ? 100 : 400);
	return 1;
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

/*
 * Whether a read-only verb must open path read-only: the file or the
 * directory that gets its -wal and -shm is not writable.
 */
static int
read_only_here(const char *path)
{
	char	 dir[4096];

	store_dir_of(path, dir, sizeof(dir));
	return eaccess(path, W_OK) == -1 || eaccess(dir, W_OK) == -1;
}

/*
 * Opens path read-only into st->db. A store in WAL mode needs its -shm
 * (made by the program that has it open); when there is no -wal either,
 * nothing is open and the file is whole: read it as an immutable file
 * (a URI, escaped). > 0 done, < 0 error (logged).
 */
static int
open_read_only(struct store *st, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct stat		 sb;
	char			 uri[3 * 4096 + 32], wal[4096 + 8], *u;
	const char		*p;

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    store_version(st) >= 0)
		return 1;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (strlen(path) >= 4096 || stat(wal, &sb) == 0) {
		log_error("%s: cannot be read: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_close(st->db);
	st->db = NULL;
	u = uri + snprintf(uri, sizeof(uri), "file:");
	for (p = path; *p != '\0'; p++)
		if (*p == '%' || *p == '?' || *p == '#') {
			*u++ = '%';
			*u++ = hex[(unsigned char)*p >> 4];
			*u++ = hex[*p & 0xf];
		} else
			*u++ = *p;
	snprintf(u, sizeof(uri) - (size_t)(u - uri), "?immutable=1");
	if (sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
	    store_version(st) < 0) {
		log_error("%s: cannot be read: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	return 1;
}

int
store_open(const char *path, enum store_open_mode mode, struct store **out)
{
	struct store	*st;
	const char	*why;
	struct stat	 sb;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

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
	if (mode == STORE_OPEN_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	if (mode == STORE_OPEN_READ && read_only_here(path)) {
		if (open_read_only(st, path) < 0)
			goto err;
		sqlite3_busy_handler(st->db, busy_wait, NULL);
		*out = st;
		return 1;
	}
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		log_error("sqlite3_open_v2: %s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		goto err;
	}
	sqlite3_busy_handler(st->db, busy_wait, NULL);
	st->full = sync_mode(&why) != 2;
	if (exec_sql(st->db, "PRAGMA journal_mode = WAL") < 0 ||
	    exec_sql(st->db, "PRAGMA foreign_keys = ON") < 0 ||
	    store_sync_relaxed(st, 0) < 0)
		goto err;
	if (migrate(st) < 0)
		goto err;
	*out = st;
	return 1;
err:
	store_close(st);
	return -1;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_sync_relaxed(struct store *st, int relaxed)
{
	return exec_sql(st->db, relaxed || !st->full ?
	    "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
}

int
store_begin(struct store *st)
{
	if (exec_sql(st->db, "BEGIN IMMEDIATE") < 0)
		return -1;
	st->in_tx = 1;
	return 1;
}

int
store_commit(struct store *st)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_failure(st, "COMMIT");
		store_rollback(st);
		return -1;
	}
	st->in_tx = 0;
	return 1;
}

int
store_savepoint(struct store *st)
{
	return exec_sql(st->db, "SAVEPOINT part");
}

int
store_savepoint_end(struct store *st, int keep)
{
	if (keep)
		return exec_sql(st->db, "RELEASE part");
	if (exec_sql(st->db, "ROLLBACK TO part") < 0)
		return -1;
	return exec_sql(st->db, "RELEASE part");
}

void
store_rollback(struct store *st)
{
	if (st == NULL)
		return;
	if (st->in_tx || !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = 0;
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
	return exec_stmt(st, STMT_CONN_ADD, "ssssss", c->id, c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc);
}

int
store_connection_save(struct store *st, const struct store_connection *c)
{
	return exec_changed(st, STMT_CONN_SAVE, "ssssss", c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc, c->id);
}

static void
conn_read(sqlite3_stmt *s, struct store_connection *c)
{
	copy_col(s, 0, c->id, sizeof(c->id));
	copy_col(s, 1, c->name, sizeof(c->name));
	copy_col(s, 2, c->description, sizeof(c->description));
	copy_col(s, 3, c->api_url, sizeof(c->api_url));
	copy_col(s, 4, c->sender, sizeof(c->sender));
	copy_col(s, 5, c->api_key_enc, sizeof(c->api_key_enc));
	if (!conn_status_find((const char *)sqlite3_column_text(s, 6),
	    &c->status))
		c->status = CONN_ERROR;
	copy_col(s, 7, c->status_message, sizeof(c->status_message));
	copy_col(s, 8, c->config_snapshot, sizeof(c->config_snapshot));
	copy_col(s, 9, c->created_at, sizeof(c->created_at));
	copy_col(s, 10, c->updated_at, sizeof(c->updated_at));
}

int
store_connection_get(struct store *st, const char *id, struct store_connection *c)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (!store_id_valid(id))
		return 0;
	if ((rc = run(st, STMT_CONN_GET, &s, "s", id)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	conn_read(s, c);
	sqlite3_reset(s);
	return 1;
}

int
store_connection_each(struct store *st,
    int (*fn)(const struct store_connection *, void *), void *arg)
{
	struct store_connection	 c;
	sqlite3_stmt		*s;
	int			 rc;

	for (rc = run(st, STMT_CONN_EACH, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_CONN_EACH, s)) {
		conn_read(s, &c);
		if (!fn(&c, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_connection_set_status(struct store *st, const char *id,
    enum conn_status cs, const char *message, const char *snapshot)
{
	const char	*status = conn_status_name(cs);

	return snapshot == NULL ?
	    exec_changed(st, STMT_CONN_STATUS, "sss", status, message, id) :
	    exec_changed(st, STMT_CONN_STATUS_SNAP, "ssss", status, message,
	    snapshot, id);
}

int
store_connection_start_claim(struct store *st, const char *id,
    char token[STORE_TOKEN_LEN + 1])
{
	if (store_random_hex(token, STORE_TOKEN_LEN / 2) < 0)
		return -1;
	return exec_changed(st, STMT_CONN_START_CLAIM, "ss", token, id);
}

int
store_connection_start_end(struct store *st, const char *id,
    const char *token, enum conn_status cs, const char *message,
    const char *snapshot)
{
	return exec_changed(st, STMT_CONN_START_END, "sssss",
	    conn_status_name(cs), message, snapshot, id, token);
}

int
store_connection_delete(struct store *st, const char *id)
{
	static const enum stmt	 after[] = { STMT_CONN_DEL_CHANNELS,
	    STMT_CONN_DEL_AGENTQ, STMT_CONN_DEL_FAIL, STMT_CONN_DEL_OUTBOX,
	    STMT_CONN_DEL_SESSIONS };
	size_t			 i;

	if (exec_stmt(st, STMT_CONN_DELETE, "s", id) <= 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		if (exec_stmt(st, after[i], "s", id) <= 0)
			return -1;
	return 1;
}

int
store_env_set(struct store *st, const char *conn, const char *name,
    const char *value)
{
	if (value == NULL)
		return exec_stmt(st, STMT_ENV_DEL, "ss", conn, name);
	return exec_stmt(st, STMT_ENV_SET, "sss", conn, name, value);
}

int
store_env_each(struct store *st, const char *conn,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	for (rc = run(st, STMT_ENV_EACH, &s, "s", conn); rc == SQLITE_ROW;
	    rc = step(st, STMT_ENV_EACH, s))
		if (!fn((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg))
			break;
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_add(struct store *st, struct store_agent *a)
{
	int	 rc;

	if ((rc = exec_stmt(st, STMT_AGENT_ADD, "ssssss", a->name,
	    agent_kind_name(a->kind),
	    a->instructions != NULL ? a->instructions : "", a->url, a->model,
	    a->api_key_enc)) <= 0)
		return rc;
	a->id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

/* Reads an agent row (STMT_AGENT_GET, STMT_AGENT_EACH). 1, or 0 out of memory. */
static int
agent_read(sqlite3_stmt *s, struct store_agent *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, a->name, sizeof(a->name));
	/* The schema's CHECK admits only the names. */
	agent_kind_find((const char *)sqlite3_column_text(s, 2), &a->kind);
	a->instructions = strdup((const char *)sqlite3_column_text(s, 3));
	copy_col(s, 4, a->url, sizeof(a->url));
	copy_col(s, 5, a->model, sizeof(a->model));
	copy_col(s, 6, a->api_key_enc, sizeof(a->api_key_enc));
	agent_status_find((const char *)sqlite3_column_text(s, 7), &a->status);
	copy_col(s, 8, a->created_at, sizeof(a->created_at));
	return a->instructions != NULL;
}

int
store_agent_get(struct store *st, int64_t id, struct store_agent *a)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if ((rc = run(st, STMT_AGENT_GET, &s, "i", id)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	rc = agent_read(s, a);
	sqlite3_reset(s);
	return rc ? 1 : -1;
}

int
store_agent_save(struct store *st, const struct store_agent *a)
{
	return exec_changed(st, STMT_AGENT_SAVE, "ssssssi", a->name,
	    agent_kind_name(a->kind), a->instructions != NULL ?
	    a->instructions : "", a->url, a->model, a->api_key_enc,
	    a->id);
}

int
store_agent_each(struct store *st,
    int (*fn)(const struct store_agent *, void *), void *arg)
{
	struct store_agent	 a;
	sqlite3_stmt		*s;
	int			 rc, go;

	for (rc = run(st, STMT_AGENT_EACH, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_AGENT_EACH, s)) {
		if (!agent_read(s, &a)) {
			rc = -1;
			break;
		}
		go = fn(&a, arg);
		store_agent_clear(&a);
		if (!go)
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_delete(struct store *st, int64_t id)
{
	return exec_changed(st, STMT_AGENT_DELETE, "i", id);
}

int
store_agent_detach(struct store *st, int64_t agent, const char *conn)
{
	return exec_changed(st, STMT_AGENT_DETACH, "is", agent, conn);
}

int
store_agent_channel_each(struct store *st, int64_t agent,
    int (*fn)(const struct store_agent_channel *, void *), void *arg)
{
	struct store_agent_channel	 c;
	sqlite3_stmt			*s;
	int				 rc;

	for (rc = run(st, STMT_AGENT_CHANNELS, &s, "i", agent);
	    rc == SQLITE_ROW; rc = step(st, STMT_AGENT_CHANNELS, s)) {
		c.agent = sqlite3_column_int64(s, 0);
		c.agent_name = (const char *)sqlite3_column_text(s, 1);
		c.conn = (const char *)sqlite3_column_text(s, 2);
		c.conn_name = (const char *)sqlite3_column_text(s, 3);
		c.inbound = sqlite3_column_int(s, 4);
		if (!fn(&c, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_inbound_agent_name(struct store *st, const char *conn, int64_t *agent,
    char *name, size_t namesz)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = run(st, STMT_INBOUND_AGENT_NAME, &s, "s", conn)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	*agent = sqlite3_column_int64(s, 0);
	copy_col(s, 1, name, namesz);
	sqlite3_reset(s);
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
	return exec_changed(st, STMT_AGENT_STATUS, "si", agent_status_name(as),
	    id);
}

int
store_agent_attach(struct store *st, int64_t agent, const char *conn,
    int inbound, const char **why)
{
	int	 rc;

	*why = NULL;
	rc = run(st, STMT_AGENT_ATTACH, NULL, "isi", agent, conn,
	    (int64_t)(inbound != 0));
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_CONSTRAINT)
		return -1;
	if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
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
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = run(st, STMT_INBOUND_AGENT, &s, "s", conn)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	*agent = sqlite3_column_int64(s, 0);
	*running = sqlite3_column_int(s, 1);
	sqlite3_reset(s);
	return 1;
}

int
store_contact_get(struct store *st, const char *phone, int64_t *id,
    int *opted_out)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (exec_stmt(st, STMT_CONTACT_ADD, "s", phone) < 0)
		return -1;
	if ((rc = run(st, STMT_CONTACT_GET, &s, "s", phone)) != SQLITE_ROW)
		return -1;
	*id = sqlite3_column_int64(s, 0);
	if (opted_out != NULL)
		*opted_out = sqlite3_column_int(s, 1);
	sqlite3_reset(s);
	return 1;
}

int
store_contact_set_opt_out(struct store *st, int64_t contact, int opted_out)
{
	return exec_stmt(st, STMT_CONTACT_OPT, "iii", (int64_t)opted_out,
	    (int64_t)opted_out, contact);
}

int
store_session_open(struct store *st, const char *conn, int64_t contact,
    int64_t agent, long timeout_minutes, int64_t *session, int *opened)
{
	sqlite3_stmt	*s;
	char		 ago[32];
	int64_t		 id;
	int		 rc, stale;

	*opened = 0;
	snprintf(ago, sizeof(ago), "-%ld minutes", timeout_minutes);
	if ((rc = run(st, STMT_SESSION_FIND, &s, "ssi", ago, conn,
	    contact)) < 0)
		return -1;
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		stale = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
		if (!stale) {
			*session = id;
			return exec_stmt(st, STMT_SESSION_TOUCH, "i", id);
		}
		if (exec_stmt(st, STMT_SESSION_CLOSE, "i", id) < 0)
			return -1;
	}
	if ((rc = exec_stmt(st, STMT_SESSION_ADD, "sii", conn, contact,
	    agent)) <= 0)
		return rc;
	*session = sqlite3_last_insert_rowid(st->db);
	*opened = 1;
	return 1;
}

int
store_session_touch(struct store *st, int64_t session)
{
	return exec_stmt(st, STMT_SESSION_TOUCH, "i", session);
}

int
store_sessions_close_idle(struct store *st, long timeout_minutes, long *closed)
{
	char	 ago[32];

	*closed = 0;
	snprintf(ago, sizeof(ago), "-%ld minutes", timeout_minutes);
	if (exec_stmt(st, STMT_SESSION_CLOSE_IDLE, "s", ago) < 0)
		return -1;
	*closed = sqlite3_changes(st->db);
	return 1;
}

int
store_session_is_ai(struct store *st, int64_t session)
{
	sqlite3_stmt	*s;
	int		 rc, ai = 0;

	if ((rc = run(st, STMT_SESSION_AI, &s, "i", session)) < 0)
		return -1;
	if (rc == SQLITE_ROW)
		ai = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return ai;
}

int
store_inbound_seen(struct store *st, const char *conn, const char *infobip_id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = run(st, STMT_INBOUND_SEEN, &s, "ss", conn, infobip_id)) < 0)
		return -1;
	sqlite3_reset(s);
	return rc == SQLITE_ROW;
}

int
store_message_insert_inbound(struct store *st, const struct store_inbound *in,
    int64_t *id)
{
	sqlite3_stmt	*s;
	char		 uid[STORE_UID_MAX];
	int		 rc;

	if (new_uid(uid) < 0 ||
	    (s = stmt_get(st, STMT_MSG_IN)) == NULL)
		return -1;
	rc = sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, in->conn, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 3, in->session);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 4, in->contact);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 5, in->from, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 6, in->to, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 7, in->text, (int)in->text_len,
		    SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 8, in->infobip_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = in->received_at == NULL ? sqlite3_bind_null(s, 9) :
		    sqlite3_bind_text(s, 9, in->received_at, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = in->price < 0 ? sqlite3_bind_null(s, 10) :
		    sqlite3_bind_double(s, 10, in->price);
	if (rc == SQLITE_OK)
		rc = in->currency == NULL ? sqlite3_bind_null(s, 11) :
		    sqlite3_bind_text(s, 11, in->currency, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = in->sms_count < 0 ? sqlite3_bind_null(s, 12) :
		    sqlite3_bind_int(s, 12, in->sms_count);
	if (rc != SQLITE_OK) {
		log_error("%s: bind: %s", stmt_name[STMT_MSG_IN],
		    sqlite3_errmsg(st->db));
		return -1;
	}
	rc = step(st, STMT_MSG_IN, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

int
store_message_insert_outbound(struct store *st, const struct store_outbound *o,
    int64_t *id, char *uid)
{
	int	 rc;

	if (new_uid(uid) < 0)
		return -1;
	rc = exec_stmt(st, STMT_MSG_OUT, "ssiissssss", uid, o->conn,
	    o->session, o->contact, o->author, o->sender, o->recipient,
	    o->text, o->fail_reason != NULL ? "failed" : "queued",
	    o->fail_reason != NULL ? o->fail_reason : "");
	if (rc <= 0)
		return rc;
	*id = sqlite3_last_insert_rowid(st->db);
	if (o->fail_reason != NULL)
		return 1;
	return exec_stmt(st, STMT_OUTBOX_ADD, "ii", *id,
	    (int64_t)(o->priority != 0));
}

int
store_agent_queue_add(struct store *st, int64_t message, int64_t session,
    int64_t agent)
{
	return exec_stmt(st, STMT_AGENTQ_ADD, "iii", message, session, agent);
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
	sqlite3_stmt	*s;
	char		 conn[STORE_ID_LEN + 1], uid[STORE_UID_MAX];
	char		 to[64], was[512];
	const char	*gn, *sn;
	int		 rc;

	if ((rc = run(st, STMT_MSG_FAILED_FINAL, &s, "is", id,
	    r->status)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	copy_col(s, 0, conn, sizeof(conn));
	copy_col(s, 1, uid, sizeof(uid));
	copy_col(s, 2, to, sizeof(to));
	copy_col(s, 3, was, sizeof(was));
	sqlite3_reset(s);
	if (exec_stmt(st, STMT_MSG_REPORT_FAILED, "SSSSSSs" "dsIssi",
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
	if (exec_stmt(st, STMT_MSG_REPORT, "SSSSSSs" "dsIssi", r->status,
	    r->group_name, r->status_name, r->status_description,
	    r->error_name, r->error_description, r->infobip_bulk_id,
	    r->price, r->currency, r->sms_count, r->sent_at, r->done_at,
	    id) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0 && report_over_failed(st, id, r) < 0)
		return -1;
	return exec_stmt(st, STMT_OUTBOX_DEL, "i", id);
}

int
store_report_apply(struct store *st, const char *conn,
    const struct store_report *r, int *pending)
{
	sqlite3_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	*pending = 0;
	if ((rc = run(st, STMT_MSG_FIND_OUT, &s, "ss", conn, r->uid)) < 0)
		return -1;
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((rc = exec_changed(st, STMT_EVENT_ADD, "ssii" "SSSSSS" "sdsI"
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

static const char *
col_or_null(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(s, col);
}

/*
 * Whether a claim or sweep statement would find any row, read without a
 * write transaction: the sender polls every 50 ms, and an idle poll must
 * not take the write lock the webhooks need. > 0 yes, 0 no, < 0 error.
 */
static int
any_row(struct store *st, enum stmt which, const char *fmt, int64_t arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = *fmt == '\0' ? run(st, which, &s, "") : run(st, which, &s, fmt,
	    arg);
	if (rc < 0)
		return -1;
	sqlite3_reset(s);
	return rc == SQLITE_ROW;
}

int
store_reports_apply_pending(struct store *st, long *applied)
{
	struct store_report	 r;
	sqlite3_stmt		*s, *u;
	int64_t			 event, msg;
	int			 rc;

	*applied = 0;
	if ((rc = any_row(st, STMT_PENDING_EACH, "", 0)) <= 0)
		return rc < 0 ? -1 : 1;
	if (store_begin(st) < 0)
		return -1;
	for (rc = run(st, STMT_PENDING_EACH, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_PENDING_EACH, s)) {
		memset(&r, 0, sizeof(r));
		event = sqlite3_column_int64(s, 0);
		msg = sqlite3_column_int64(s, 1);
		r.status = col_or_null(s, 2);
		r.group_name = col_or_null(s, 3);
		r.status_name = col_or_null(s, 4);
		r.status_description = col_or_null(s, 5);
		r.error_name = col_or_null(s, 6);
		r.error_description = col_or_null(s, 7);
		r.infobip_bulk_id = col_or_null(s, 8);
		r.price = sqlite3_column_type(s, 9) == SQLITE_NULL ? -1 :
		    sqlite3_column_double(s, 9);
		r.currency = col_or_null(s, 10);
		r.sms_count = sqlite3_column_type(s, 11) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(s, 11);
		r.sent_at = col_or_null(s, 12);
		r.done_at = col_or_null(s, 13);
		/* The statements below are distinct from s, which stays live. */
		if (report_to_message(st, msg, &r) < 0 ||
		    run(st, STMT_EVENT_APPLIED, &u, "ii", msg, event) < 0)
			goto err;
		sqlite3_reset(u);
		(*applied)++;
	}
	sqlite3_reset(s);
	if (rc < 0)
		goto err;
	return store_commit(st);
err:
	sqlite3_reset(s);
	store_rollback(st);
	return -1;
}

int
store_click_add(struct store *st, const char *conn, const char *uid,
    const char *at, const char *url, const char *raw, int *unknown)
{
	sqlite3_stmt	*s;
	int64_t		 id = 0;
	int		 rc;

	*unknown = 0;
	if ((rc = run(st, STMT_MSG_FIND_OUT, &s, "ss", conn, uid)) < 0)
		return -1;
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (id == 0) {
		*unknown = 1;
		return 0;
	}
	return exec_changed(st, STMT_CLICK_ADD, "ssisSS", conn, uid, id, raw,
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
	int64_t		(*fill)(sqlite3_stmt *, void *item);
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
	sqlite3_stmt	*s;
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
	for (rc = run(st, k->select, &s, "i", (int64_t)max);
	    rc == SQLITE_ROW && n < max; rc = step(st, k->select, s), n++)
		if ((ids[n] = k->fill(s, items + n * k->itemsz)) == 0) {
			n++;
			rc = -1;
			break;
		}
	sqlite3_reset(s);
	if (rc < 0)
		goto err;
	for (i = 0; i < n; i++)
		if (exec_stmt(st, k->lease, "ssi", owner, lease, ids[i]) < 0 ||
		    (k->after != STMT__MAX &&
		    exec_stmt(st, k->after, "i", ids[i]) < 0))
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
outbox_fill(sqlite3_stmt *s, void *item)
{
	struct store_claim	*c = item;

	c->message = sqlite3_column_int64(s, 0);
	copy_col(s, 1, c->uid, sizeof(c->uid));
	copy_col(s, 2, c->conn, sizeof(c->conn));
	c->recipient = strdup((const char *)sqlite3_column_text(s, 3));
	c->text = strdup((const char *)sqlite3_column_text(s, 4));
	c->attempts = sqlite3_column_int(s, 5);
	c->unsure = sqlite3_column_int(s, 6);
	c->opted_out = sqlite3_column_int(s, 7);
	c->priority = sqlite3_column_int(s, 8);
	c->not_found = sqlite3_column_int(s, 9);
	c->unsure_age = sqlite3_column_double(s, 10);
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
		if ((rc = exec_changed(st, STMT_MARK_LEASE, "ssi", owner, lease,
		    ids[i])) < 0)
			goto err;
		held[i] = rc > 0;
		if (held[i] && exec_stmt(st, STMT_CLAIM_SENDING, "i",
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
	sqlite3_stmt	*s;
	char		 (*owners)[STORE_OWNER_MAX] = NULL;
	size_t		 n = 0, room = 0, i;
	int		 rc;
	void		*p;

	*released = 0;
	for (rc = run(st, STMT_OUTBOX_OWNERS, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_OUTBOX_OWNERS, s)) {
		if (n == room) {
			room = room ? room * 2 : 8;
			if ((p = realloc(owners, room * sizeof(*owners))) ==
			    NULL) {
				rc = -1;
				break;
			}
			owners = p;
		}
		copy_col(s, 0, owners[n], sizeof(owners[n]));
		if (dead(owners[n], arg))
			n++;
	}
	sqlite3_reset(s);
	if (rc < 0)
		goto out;
	/* Each its own short transaction: the webhooks wait for none long. */
	for (i = 0; i < n; i++) {
		if (exec_stmt(st, STMT_OUTBOX_UNCLAIM, "s", owners[i]) < 0) {
			rc = -1;
			goto out;
		}
		*released += sqlite3_changes(st->db);
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
	if (exec_stmt(st, STMT_OUTBOX_DONE, "ssssss" "Ii", status, infobip_id,
	    bulk_id, group_name != NULL ? group_name : "",
	    status_name != NULL ? status_name : "",
	    description != NULL ? description : "", sms_count, message) < 0)
		return -1;
	return exec_stmt(st, STMT_OUTBOX_DEL, "i", message);
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
	if (exec_stmt(st, retry_kinds[kind].stmt, "ssi", error, delay,
	    message) < 0)
		return -1;
	/* An unsure message stays 'sending': the next claim looks it up first. */
	if (!retry_kinds[kind].requeue)
		return 1;
	return exec_stmt(st, STMT_OUTBOX_RETRY_MSG, "i", message);
}

int
store_outbox_send_again(struct store *st, int64_t message)
{
	return exec_changed(st, STMT_OUTBOX_SEND_AGAIN, "i", message);
}

int
store_outbox_hold(struct store *st, int64_t message, const char *reason)
{
	return exec_stmt(st, STMT_OUTBOX_HOLD, "si", reason, message);
}

/* Reads an OUTBOX_ROW result into e. */
static void
outbox_entry_fill(sqlite3_stmt *s, struct store_outbox_entry *e)
{
	e->message = sqlite3_column_int64(s, 0);
	copy_col(s, 1, e->uid, sizeof(e->uid));
	copy_col(s, 2, e->conn, sizeof(e->conn));
	copy_col(s, 3, e->recipient, sizeof(e->recipient));
	copy_col(s, 4, e->state, sizeof(e->state));
	e->attempts = sqlite3_column_int(s, 5);
	copy_col(s, 6, e->last_error, sizeof(e->last_error));
}

int
store_outbox_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_outbox_entry *, void *), void *arg)
{
	struct store_outbox_entry	 e;
	sqlite3_stmt			*s;
	int				 rc;

	for (rc = run(st, STMT_OUTBOX_EACH, &s, "si", conn, (int64_t)limit);
	    rc == SQLITE_ROW; rc = step(st, STMT_OUTBOX_EACH, s)) {
		outbox_entry_fill(s, &e);
		if (!fn(&e, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_get(struct store *st, int64_t message,
    struct store_outbox_entry *e)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(e, 0, sizeof(*e));
	if ((rc = run(st, STMT_OUTBOX_GET, &s, "i", message)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	outbox_entry_fill(s, e);
	sqlite3_reset(s);
	return 1;
}

int
store_outbox_requeue(struct store *st, int64_t message)
{
	if (exec_stmt(st, STMT_OUTBOX_REQUEUE, "i", message) < 0)
		return -1;
	return exec_stmt(st, STMT_OUTBOX_RETRY_MSG, "i", message);
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
	return exec_stmt(st, STMT_LOG, "ssss", conn, level, event, line);
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
	return exec_stmt(st, STMT_LOG_FOLD, "sssss", conn, level, event, line,
	    kind);
}

int
store_user_set(struct store *st, const char *username, enum user_role role)
{
	return exec_stmt(st, STMT_USER_SET, "ss", username,
	    user_role_name(role));
}

int
store_user_delete(struct store *st, const char *username)
{
	return exec_changed(st, STMT_USER_DEL, "s", username);
}

int
store_user_admins(struct store *st)
{
	sqlite3_stmt	*s;
	int		 rc, n;

	if ((rc = run(st, STMT_USER_ADMINS, &s, "")) != SQLITE_ROW)
		return -1;
	n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_user_each(struct store *st,
    int (*fn)(const struct store_user_row *, void *), void *arg)
{
	struct store_user_row	 u;
	sqlite3_stmt		*s;
	int			 rc;

	for (rc = run(st, STMT_USER_EACH, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_USER_EACH, s)) {
		u.username = (const char *)sqlite3_column_text(s, 0);
		if (!user_role_find((const char *)sqlite3_column_text(s, 1),
		    &u.role))
			u.role = ROLE_VIEWER;
		u.created_at = (const char *)sqlite3_column_text(s, 2);
		if (!fn(&u, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_log_each(struct store *st, const char *conn, enum conn_log_level level,
    const char *event, int64_t before, int limit,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 r;
	sqlite3_stmt		*s;
	int			 rc;

	for (rc = run(st, STMT_LOG_EACH, &s, "sisii", conn, (int64_t)level,
	    event, before, (int64_t)limit); rc == SQLITE_ROW;
	    rc = step(st, STMT_LOG_EACH, s)) {
		r.id = sqlite3_column_int64(s, 0);
		r.at = (const char *)sqlite3_column_text(s, 1);
		if (!conn_log_level_find((const char *)sqlite3_column_text(s,
		    2), &r.level))
			r.level = CLOG_INFO;
		r.event = (const char *)sqlite3_column_text(s, 3);
		r.text = (const char *)sqlite3_column_text(s, 4);
		r.repeats = sqlite3_column_int(s, 5);
		if (!fn(&r, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

/*
 * Finishes a one-value lookup: rc is what run() returned for s. > 0 with
 * the first column copied into buf, 0 no row, < 0 error.
 */
static int
row_text(sqlite3_stmt *s, int rc, char *buf, size_t bufsz)
{
	if (rc < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	copy_col(s, 0, buf, bufsz);
	sqlite3_reset(s);
	return 1;
}

int
store_user_role(struct store *st, const char *username, enum user_role *role)
{
	sqlite3_stmt	*s;
	char		 buf[16];
	int		 rc;

	rc = run(st, STMT_USER_ROLE, &s, "s", username);
	if ((rc = row_text(s, rc, buf, sizeof(buf))) <= 0)
		return rc;
	return user_role_find(buf, role) ? 1 : -1;
}

int
store_setting_get(struct store *st, const char *name, char *buf, size_t bufsz)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = run(st, STMT_SETTING_GET, &s, "s", name);
	return row_text(s, rc, buf, bufsz);
}

int
store_setting_set(struct store *st, const char *name, const char *value)
{
	return exec_stmt(st, STMT_SETTING_SET, "ss", name, value);
}

int
store_setting_unset(struct store *st, const char *name)
{
	return exec_stmt(st, STMT_SETTING_DEL, "s", name);
}

int
store_key_check_get(struct store *st, char *buf, size_t bufsz)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = run(st, STMT_KEYCHECK_GET, &s, "");
	return row_text(s, rc, buf, bufsz);
}

int
store_key_check_set(struct store *st, const char *value, int replace)
{
	return exec_stmt(st, replace ? STMT_KEYCHECK_SET : STMT_KEYCHECK_ADD,
	    "s", value);
}

int
store_secret_each(struct store *st, int (*fn)(const char *enc, void *),
    void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	for (rc = run(st, STMT_SECRET_EACH, &s, ""); rc == SQLITE_ROW;
	    rc = step(st, STMT_SECRET_EACH, s))
		if (!fn((const char *)sqlite3_column_text(s, 0), arg))
			break;
	sqlite3_reset(s);
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
agent_job_fill(sqlite3_stmt *s, void *item)
{
	struct store_agent_job	*j = item;

	j->message = sqlite3_column_int64(s, 0);
	j->session = sqlite3_column_int64(s, 1);
	j->agent = sqlite3_column_int64(s, 2);
	j->contact = sqlite3_column_int64(s, 3);
	copy_col(s, 4, j->conn, sizeof(j->conn));
	copy_col(s, 5, j->phone, sizeof(j->phone));
	j->text = strdup((const char *)sqlite3_column_text(s, 6));
	j->session_data = strdup((const char *)sqlite3_column_text(s, 7));
	j->collect_step = sqlite3_column_int(s, 8);
	j->ai = sqlite3_column_int(s, 9);
	j->opted_out = sqlite3_column_int(s, 10);
	j->agent_running = sqlite3_column_int(s, 11);
	copy_col(s, 12, j->sender, sizeof(j->sender));
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
	return exec_stmt(st, STMT_AQ_DONE, "i", message);
}

int
store_session_history(struct store *st, int64_t session, int64_t before,
    int limit, int (*fn)(int inbound, const char *text, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	for (rc = run(st, STMT_HISTORY, &s, "iii", session, before,
	    (int64_t)limit); rc == SQLITE_ROW; rc = step(st, STMT_HISTORY, s))
		if (!fn(sqlite3_column_int(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg))
			break;
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_session_save_data(struct store *st, int64_t session, const char *data,
    int collect_step)
{
	return exec_stmt(st, STMT_SESSION_DATA, "sii", data,
	    (int64_t)collect_step, session);
}

int
store_contact_save_fields(struct store *st, int64_t contact, const char *name,
    const char *email, const char *data)
{
	return exec_stmt(st, STMT_CONTACT_FIELDS, "SSsi", name, email, data,
	    contact);
}

int
store_session_get(struct store *st, int64_t id, struct store_session *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = run(st, STMT_SESSION_GET, &s, "i", id)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, out->conn, sizeof(out->conn));
	out->contact = sqlite3_column_int64(s, 2);
	copy_col(s, 3, out->phone, sizeof(out->phone));
	out->opted_out = sqlite3_column_int(s, 4);
	copy_col(s, 5, out->responsible, sizeof(out->responsible));
	copy_col(s, 6, out->started_at, sizeof(out->started_at));
	copy_col(s, 7, out->last_at, sizeof(out->last_at));
	copy_col(s, 8, out->closed_at, sizeof(out->closed_at));
	copy_col(s, 9, out->sender, sizeof(out->sender));
	sqlite3_reset(s);
	return 1;
}

int
store_session_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_session_row *, void *), void *arg)
{
	struct store_session_row	 r;
	sqlite3_stmt			*s;
	int				 rc;

	for (rc = run(st, STMT_SESSION_LIST, &s, "si", conn, (int64_t)limit);
	    rc == SQLITE_ROW; rc = step(st, STMT_SESSION_LIST, s)) {
		r.id = sqlite3_column_int64(s, 0);
		r.conn = (const char *)sqlite3_column_text(s, 1);
		r.phone = (const char *)sqlite3_column_text(s, 2);
		r.responsible = (const char *)sqlite3_column_text(s, 3);
		r.last_at = (const char *)sqlite3_column_text(s, 4);
		r.open = sqlite3_column_int(s, 5);
		r.messages = sqlite3_column_int(s, 6);
		r.last_text = (const char *)sqlite3_column_text(s, 7);
		if (!fn(&r, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_session_messages(struct store *st, int64_t session,
    int (*fn)(const struct store_message_row *, void *), void *arg)
{
	struct store_message_row	 r;
	sqlite3_stmt			*s;
	int				 rc;

#define T(col)	((const char *)sqlite3_column_text(s, (col)))
	for (rc = run(st, STMT_SESSION_MESSAGES, &s, "i", session);
	    rc == SQLITE_ROW; rc = step(st, STMT_SESSION_MESSAGES, s)) {
		r.id = sqlite3_column_int64(s, 0);
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
		r.price = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 :
		    sqlite3_column_double(s, 15);
		r.currency = T(16);
		r.sms_count = sqlite3_column_type(s, 17) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(s, 17);
		r.sent_at = T(18);
		r.done_at = T(19);
		r.clicks = sqlite3_column_int(s, 20);
		if (!fn(&r, arg))
			break;
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : 1;
#undef T
}

int
store_session_close(struct store *st, int64_t session)
{
	return exec_changed(st, STMT_SESSION_CLOSE_OPEN, "i", session);
}

int
store_session_data(struct store *st, int64_t session, char **data,
    char *name, size_t namesz, char *email, size_t emailsz)
{
	sqlite3_stmt	*s;
	int		 rc;

	*data = NULL;
	if ((rc = run(st, STMT_SESSION_DATA_GET, &s, "i", session)) < 0)
		return -1;
	if (rc != SQLITE_ROW)
		return 0;
	*data = strdup((const char *)sqlite3_column_text(s, 0));
	copy_col(s, 1, name, namesz);
	copy_col(s, 2, email, emailsz);
	sqlite3_reset(s);
	return *data != NULL ? 1 : -1;
}

int
store_session_set_responsible(struct store *st, int64_t session,
    const char *who)
{
	return exec_changed(st, STMT_SESSION_RESPONSIBLE, "si", who,
	    session);
}

sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

/* --- operations: heartbeats, retention (backup and integrity: store_file.c) ---------------------- */

int
store_heartbeat(struct store *st, const char *name)
{
	return exec_stmt(st, STMT_HEARTBEAT_SET, "s", name);
}

int
store_heartbeat_get(struct store *st, const char *name,
    struct store_heartbeat *hb)
{
	sqlite3_stmt	*s;
	int		 rc;

	memset(hb, 0, sizeof(*hb));
	rc = run(st, STMT_HEARTBEAT_GET, &s, "s", name);
	if (rc == SQLITE_ROW) {
		copy_col(s, 0, hb->at, sizeof(hb->at));
		hb->age_s = sqlite3_column_double(s, 1);
		hb->unix_s = sqlite3_column_double(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_requests_add(struct store *st, const char *program, const char *route,
    int status, int64_t n)
{
	return exec_stmt(st, STMT_REQUESTS_ADD, "ssIi", program, route, status,
	    n);
}

int
store_latency_add(struct store *st, const char *name, const char *label,
    const double *le, const int64_t *counts, size_t nbuckets, int64_t n,
    double sum)
{
	size_t	 i;

	for (i = 0; i < nbuckets; i++)
		if (counts[i] != 0 && exec_stmt(st, STMT_LATENCY_BUCKET_ADD,
		    "ssdi", name, label, le[i], counts[i]) <= 0)
			return -1;
	if (n == 0)
		return 1;
	return exec_stmt(st, STMT_LATENCY_SUM_ADD, "ssid", name, label, n,
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
	sqlite3_stmt	*s;
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
	for (rc = run(st, retain_stmts[what].scan, &s, "isI", *cursor, cutoff,
	    batch); rc == SQLITE_ROW; rc = step(st, retain_stmts[what].scan,
	    s)) {
		last = sqlite3_column_int64(s, 0);
		rows++;
		if (sqlite3_column_int(s, 1) != 0) {
			hi = last;
			old++;
		}
	}
	sqlite3_reset(s);
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
		if (exec_stmt(st, retain_stmts[what].del[i], "iis", *cursor, hi,
		    cutoff) <= 0) {
			store_rollback(st);
			store_sync_relaxed(st, 0);
			return -1;
		}
	*removed = sqlite3_changes(st->db);
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

