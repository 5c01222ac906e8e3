/* PostgreSQL's text of the store's statements whose SQLite text does not run there or means something else (see db_pg_sql.h). */
#include <stddef.h>

#include "db.h"
#include "db_pg_sql.h"

/*
 * What differs, and how each row below answers it:
 * - Times are text 'YYYY-MM-DD HH:MM:SS.SSS' in UTC (sql/pg/schema.sql
 *   says why). SQLite's 'now' is fixed within a statement and moves
 *   between the statements of a transaction: statement_timestamp() does
 *   the same; now() would stand still for a whole group commit.
 * - SQLite's modifiers ('+30 seconds', '-1440 minutes', '-1 hour') are
 *   bound as text and read by PostgreSQL as an interval.
 * - julianday differences become the seconds of a timestamp difference.
 * - A comparison in a result column is a boolean in PostgreSQL, which
 *   reads as 't' or 'f': it is cast to an integer, 1 or 0, as SQLite gives.
 *   SUM of a comparison becomes COUNT(*) FILTER.
 * - PostgreSQL infers a parameter's type from its first use: one first
 *   compared to 0 would be a 32-bit integer, so ids are cast to bigint;
 *   one whose use says nothing (length(?)) is cast to text.
 * - INDEXED BY goes (PostgreSQL's planner picks the same indexes; the
 *   plans are its own); INSERT OR IGNORE is ON CONFLICT DO NOTHING;
 *   MAX(a, b) is GREATEST; group_concat is string_agg; COLLATE NOCASE is
 *   lower(), and SQLite's NULLs first in an ascending order are asked for;
 *   a subquery in FROM is named; LIMIT -1 (no limit) is LIMIT NULL.
 * - In ON CONFLICT DO UPDATE, a bare column is ambiguous in PostgreSQL
 *   (the table's row or excluded's): the table's is named.
 * - The claims lock the rows they return, skipping rows another sender
 *   holds: several senders claim at once without taking the same row.
 *   So do the kept reports a sender applies; a campaign's release locks
 *   its row, and steps one sender at a time does take an advisory lock
 *   of their transaction (store_turn_take).
 * Parameters keep their numbers and their order, so the code that binds
 * and reads a statement is the same for both engines.
 */

/* Now, as PostgreSQL's timestamp in UTC and as the store's text. */
#define PG_NOW_TS	"(statement_timestamp() AT TIME ZONE 'UTC')"
#define PG_NOW		"to_char(" PG_NOW_TS ", 'YYYY-MM-DD HH24:MI:SS.MS')"
/* Now moved by an SQLite modifier m ('+30 seconds'), as the store's text. */
#define PG_NOW_BY(m)	"to_char(" PG_NOW_TS " + (" m ")::interval," \
	" 'YYYY-MM-DD HH24:MI:SS.MS')"
/* Seconds from the stored time t to now: SQLite's (julianday('now') - julianday(t)) * 86400. */
#define PG_AGE(t)	"extract(epoch FROM " PG_NOW_TS " - (" t ")::timestamp)"

/* store_private.h's RANK: a message status's rank. */
#define PG_RANK(col) "(CASE " col " WHEN 'received' THEN 0 WHEN 'queued' THEN 0" \
	" WHEN 'sending' THEN 1 WHEN 'accepted' THEN 2 WHEN 'failed' THEN 3" \
	" ELSE 4 END)"

/* store_msg.c's REPORT_SET. */
#define PG_REPORT_SET "status = ?1, status_group = ?2, status_name = ?3," \
	" status_description = ?4, error_name = ?5, error_description = ?6," \
	" bulk_id = COALESCE(?7, bulk_id), price = COALESCE(?8, price)," \
	" currency = COALESCE(?9, currency)," \
	" sms_count = COALESCE(?10, sms_count)," \
	" sent_at = COALESCE(sent_at, ?11), done_at = COALESCE(?12, done_at)," \
	" updated_at = " PG_NOW

/* The ids of a JSON array bound as text at p (SQLite's json_each). */
#define PG_JSON_IDS(p) "(SELECT value::bigint FROM json_array_elements_text(" \
	p "::json))"

/* store_outbox.c's RELEASE and OUTBOX_ROW. */
#define PG_RELEASE "lease_owner = NULL, lease_until = NULL, last_error = ?," \
	" next_attempt_at = " PG_NOW_BY("?")
#define PG_OUTBOX_ROW "o.message_id, m.uid, m.connection_id, m.recipient," \
	" CASE WHEN o.lease_until > " PG_NOW " THEN 'sending'" \
	" WHEN o.held_since IS NOT NULL THEN 'held'" \
	" WHEN m.status = 'sending' THEN 'unsure' ELSE 'queued' END," \
	" o.attempts, o.last_error, o.not_found," \
	" COALESCE(o.unsure_since, ''), COALESCE(o.held_since, '')," \
	" o.next_attempt_at FROM outbox o" \
	" JOIN messages m ON m.id = o.message_id"

/* store_campaign.c's CAMPAIGN_COLS, UNCLAIMED and CANCELED_OUT. */
#define PG_CAMPAIGN_COLS "SELECT c.id, c.name, c.connection_id, k.name, k.status," \
	" COALESCE(c.agent_id, 0), COALESCE(a.name, ''), c.text, c.state," \
	" COALESCE(substr(c.start_utc, 1, 16), ''), COALESCE(c.start_local, '')," \
	" c.tz, COALESCE(c.window_start, -1), COALESCE(c.window_end, -1)," \
	" c.rate, c.bucket_tokens, c.bucket_at, substr(c.created_at, 1, 19)," \
	" COALESCE(substr(c.started_at, 1, 19), ''), COALESCE(substr(c.ended_at," \
	" 1, 19), ''), (c.start_utc IS NULL OR c.start_utc <= to_char(" \
	PG_NOW_TS ", 'YYYY-MM-DD HH24:MI:SS'))::integer, k.sender" \
	" FROM campaigns c JOIN connections k ON k.id = c.connection_id" \
	" LEFT JOIN agents a ON a.id = c.agent_id"
/*
 * UNCLAIMED locks the outbox rows it finds until the cancel commits: a
 * claim committed meanwhile is seen (the row is read again), and no sender
 * claims them before their messages fail and they leave the outbox.
 */
#define PG_UNCLAIMED "SELECT o.message_id FROM outbox o JOIN campaign_recipients r" \
	" ON r.message_id = o.message_id JOIN messages m ON m.id = o.message_id" \
	" WHERE r.campaign_id = ?1 AND r.status = 'queued' AND m.status =" \
	" 'queued' AND o.lease_owner IS NULL AND o.unsure_since IS NULL AND" \
	" o.held_since IS NULL FOR UPDATE OF o"
#define PG_CANCELED_OUT "SELECT r.message_id FROM campaign_recipients r JOIN" \
	" outbox o ON o.message_id = r.message_id WHERE r.campaign_id = ?1" \
	" AND r.status = 'canceled'"

/* store_api.c's TOKEN_COLS. */
#define PG_TOKEN_COLS "SELECT t.id, t.agent_id, t.connection_id, a.name," \
	" k.name, t.prefix, t.created_by, t.created_at," \
	" COALESCE(t.revoked_by, ''), COALESCE(t.revoked_at, ''), a.status," \
	" k.status, (k.deleted_at IS NOT NULL)::integer, EXISTS (SELECT 1 FROM" \
	" agent_channels ac WHERE ac.agent_id = t.agent_id" \
	" AND ac.connection_id = t.connection_id)::integer FROM api_tokens t" \
	" JOIN agents a ON a.id = t.agent_id" \
	" JOIN connections k ON k.id = t.connection_id "

/* store_admin.c's LOG_COLS and the session list's parts (without INDEXED BY). */
#define PG_LOG_COLS "SELECT id, at, level, event, text, repeats FROM logs"
#define PG_SESSION_COLS "SELECT s.id, s.connection_id, k.name, c.phone," \
	" COALESCE(a.name, ''), s.responsible, s.started_at, s.last_at," \
	" (s.closed_at IS NULL)::integer, s.channel_type, COALESCE((SELECT m.text" \
	" FROM messages m WHERE m.session_id = s.id ORDER BY m.id DESC" \
	" LIMIT 1), '') FROM sessions s"
#define PG_SESSION_JOIN " JOIN contacts c ON c.id = s.contact_id" \
	" JOIN connections k ON k.id = s.connection_id" \
	" LEFT JOIN agents a ON a.id = s.agent_id WHERE "
#define PG_SESSION_WHERE " (?1::text IS NULL OR s.connection_id = ?1)" \
	" AND (?2::bigint = 0 OR s.contact_id = ?2)" \
	" AND (?3::integer = 0 OR (?3 = 1) = (s.closed_at IS NULL))" \
	" AND s.last_at >= ?4::text AND s.last_at <= ?5::text" \
	" AND (s.last_at < ?5 OR s.id < ?6::bigint)" \
	" ORDER BY s.last_at DESC, s.id DESC LIMIT ?7"

/* store_admin.c's SESSION_MORE. */
#define PG_SESSION_MORE " (?8::text = '' OR substr(c.phone, 1, length(?8)) = ?8)" \
	" AND (?9::integer = 0 OR (s.closed_at IS NULL" \
	" AND (s.responsible <> 'ai' OR s.agent_id IS NULL)" \
	" AND (SELECT m.direction FROM messages m WHERE m.session_id = s.id" \
	" ORDER BY m.id DESC LIMIT 1) = 'in'))" \
	" AND (?10::text = '' OR s.responsible = ?10) AND"
/* store_admin.c's SESSION_FIND: the list with every filter, led by lead. */
#define PG_FIND(lead) PG_SESSION_COLS PG_SESSION_JOIN lead PG_SESSION_MORE \
	PG_SESSION_WHERE

/* store_outbox.c's pages of the held and unsure rows (the same SQL but for PG_OUTBOX_ROW's time). */
#define PG_UNSETTLED_AFTER(row) "SELECT " row " WHERE o.message_id IN" \
	" (SELECT message_id FROM (SELECT message_id FROM outbox" \
	" WHERE held_since IS NOT NULL AND message_id > ?1" \
	" ORDER BY message_id LIMIT ?2) h UNION ALL SELECT id FROM" \
	" (SELECT id FROM messages WHERE status = 'sending' AND id > ?1" \
	" ORDER BY id LIMIT ?2) u) ORDER BY o.message_id LIMIT ?2"
#define PG_UNSETTLED_BEFORE(row) "SELECT * FROM (SELECT " row \
	" WHERE o.message_id IN (SELECT message_id FROM (SELECT message_id" \
	" FROM outbox WHERE held_since IS NOT NULL AND message_id < ?1" \
	" ORDER BY message_id DESC LIMIT ?2) h UNION ALL SELECT id FROM" \
	" (SELECT id FROM messages WHERE status = 'sending' AND id < ?1" \
	" ORDER BY id DESC LIMIT ?2) u) ORDER BY o.message_id DESC" \
	" LIMIT ?2) p ORDER BY 1"

const struct db_override pg_sql[] = {
	/* store.c */
	{ DB_SLOT_STORE, { "STMT_KEYCHECK_SET", "INSERT INTO key_check (id, value)"
	    " VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value,"
	    " created_at = " PG_NOW } },

	/* store_conn.c */
	{ DB_SLOT_CONN, { "STMT_CONN_SAVE", "UPDATE connections SET name = ?,"
	    " description = ?, api_url = ?, sender = ?, api_key_enc = ?,"
	    " updated_at = " PG_NOW " WHERE id = ?" } },
	{ DB_SLOT_CONN, { "STMT_CONN_STATUS", "UPDATE connections SET status = ?,"
	    " status_message = ?, start_token = '', updated_at = " PG_NOW
	    " WHERE id = ?" } },
	{ DB_SLOT_CONN, { "STMT_CONN_STATUS_SNAP", "UPDATE connections SET"
	    " status = ?, status_message = ?, config_snapshot = ?,"
	    " start_token = '', updated_at = " PG_NOW " WHERE id = ?" } },
	{ DB_SLOT_CONN, { "STMT_CONN_START_CLAIM", "UPDATE connections SET"
	    " status = 'STARTING', status_message = '', start_token = ?,"
	    " updated_at = " PG_NOW " WHERE id = ? AND deleted_at IS NULL"
	    " AND status NOT IN ('STARTING', 'STOPPING')" } },
	{ DB_SLOT_CONN, { "STMT_CONN_START_END", "UPDATE connections SET"
	    " status = ?, status_message = ?,"
	    " config_snapshot = COALESCE(?, config_snapshot), start_token = '',"
	    " updated_at = " PG_NOW " WHERE id = ? AND status = 'STARTING'"
	    " AND start_token = ?" } },
	{ DB_SLOT_CONN, { "STMT_CONN_DELETE", "UPDATE connections SET"
	    " deleted_at = " PG_NOW ", api_key_enc = '', config_snapshot = NULL,"
	    " status = 'STOPPED', status_message = 'deleted',"
	    " updated_at = " PG_NOW " WHERE id = ? AND deleted_at IS NULL"
	    " AND status IN ('STOPPED', 'ERROR')" } },
	{ DB_SLOT_CONN, { "STMT_CONN_DEL_FAIL", "UPDATE messages SET"
	    " status = 'failed',"
	    " status_description = 'not sent: its connection was deleted',"
	    " updated_at = " PG_NOW " WHERE id IN (SELECT o.message_id"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " WHERE m.connection_id = ?)" } },
	{ DB_SLOT_CONN, { "STMT_CONN_DEL_SESSIONS", "UPDATE sessions SET"
	    " closed_at = " PG_NOW " WHERE connection_id = ?"
	    " AND closed_at IS NULL" } },
	{ DB_SLOT_CONN, { "STMT_INBOUND_AGENT", "SELECT a.id,"
	    " (a.status = 'RUNNING')::integer FROM agent_channels ac"
	    " JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1" } },
	{ DB_SLOT_CONN, { "STMT_LOG_FOLD", "INSERT INTO logs (connection_id,"
	    " level, event, text, fold_key) VALUES (?1, ?2, ?3, ?4,"
	    " ?3::text || '|' || ?5::text || '|' || to_char(" PG_NOW_TS ","
	    " 'YYYY-MM-DD HH24:MI'))"
	    " ON CONFLICT (connection_id, fold_key) WHERE fold_key IS NOT NULL"
	    " DO UPDATE SET repeats = logs.repeats + 1" } },
	{ DB_SLOT_CONN, { "STMT_LOG_EACH", "SELECT id, at, level, event, text,"
	    " repeats FROM logs WHERE connection_id = ?1 AND (CASE level"
	    " WHEN 'error' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END) <= ?2"
	    " AND (?3::text IS NULL OR event = ?3) AND (?4::bigint = 0"
	    " OR id < ?4) ORDER BY id DESC LIMIT ?5" } },

	/* store_msg.c */
	{ DB_SLOT_MSG, { "STMT_CONTACT_OPT", "UPDATE contacts SET opted_out = ?,"
	    " opted_out_at = CASE WHEN ?::bigint <> 0 THEN " PG_NOW
	    " ELSE opted_out_at END WHERE id = ?" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_FIND", "SELECT id, (last_at < "
	    PG_NOW_BY("?") ")::integer FROM sessions WHERE connection_id = ?"
	    " AND contact_id = ? AND closed_at IS NULL" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_CLOSE", "UPDATE sessions SET"
	    " closed_at = " PG_NOW " WHERE id = ?" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_ADD", "INSERT INTO sessions"
	    " (connection_id, contact_id, agent_id)"
	    " VALUES (?, ?, NULLIF(?::bigint, 0))" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_TOUCH", "UPDATE sessions SET"
	    " last_at = " PG_NOW " WHERE id = ?" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_CLOSE_IDLE", "UPDATE sessions SET"
	    " closed_at = " PG_NOW " WHERE closed_at IS NULL AND last_at < "
	    PG_NOW_BY("?") } },
	{ DB_SLOT_MSG, { "STMT_SESSION_LIST", "SELECT session_id, connection_id,"
	    " contact_phone, responsible, last_at, (closed_at IS NULL)::integer,"
	    " message_count, COALESCE(last_text, '') FROM session_overview"
	    " WHERE ?1::text IS NULL OR connection_id = ?1"
	    " ORDER BY last_at DESC, session_id DESC LIMIT ?2" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_CLOSE_OPEN", "UPDATE sessions SET"
	    " closed_at = " PG_NOW " WHERE id = ? AND closed_at IS NULL" } },
	{ DB_SLOT_MSG, { "STMT_SESSION_AI", "SELECT (responsible = 'ai')::integer"
	    " FROM sessions WHERE id = ?" } },
	{ DB_SLOT_MSG, { "STMT_MSG_IN", "INSERT INTO messages (uid, connection_id,"
	    " session_id, contact_id, direction, author, sender, recipient, text,"
	    " infobip_id, status, received_at, price, currency, sms_count)"
	    " VALUES (?, ?, NULLIF(?::bigint, 0), NULLIF(?::bigint, 0), 'in',"
	    " 'customer', ?, ?, ?, ?, 'received', ?, ?, ?, ?)"
	    " ON CONFLICT DO NOTHING" } },
	/* One inbound message in one round trip: sql/pg/020-inbound-one.sql. */
	{ DB_SLOT_MSG, { "STMT_INBOUND_ONE", "SELECT o_message, o_contact,"
	    " o_opted_out, o_session, o_queued FROM inbound_mo(?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)" } },
	/*
	 * A group of them in one round trip: ?N is an array of the calls'
	 * Nth arguments. inbound_group (sql/pg/028-inbound-set.sql) stores
	 * the group's new contacts set by set and the other MOs with
	 * inbound_mo in the arrays' order, each seeing what the ones before
	 * it wrote (a duplicate in the group is one); a row comes back for
	 * each, in that order.
	 */
	{ DB_SLOT_MSG, { "STMT_INBOUND_GROUP", "SELECT r.o_message, r.o_contact,"
	    " r.o_opted_out, r.o_session, r.o_queued FROM inbound_group(?1::text[],"
	    " ?2::text[], ?3::text[], ?4::bigint[], ?5::text[], ?6::text[],"
	    " ?7::text[], ?8::text[], ?9::text[], ?10::text[],"
	    " ?11::double precision[], ?12::text[], ?13::bigint[],"
	    " ?14::bigint[]) WITH ORDINALITY AS r ORDER BY r.ordinality" } },
	/*
	 * A body's delivery reports in one round trip: report_apply
	 * (sql/pg/026-report-one.sql) once per report, in the body's order.
	 */
	{ DB_SLOT_MSG, { "STMT_REPORT_GROUP", "SELECT r.o_result, r.o_message,"
	    " r.o_recipient, r.o_was FROM ROWS FROM (unnest(?1::text[]),"
	    " unnest(?2::text[]), unnest(?3::text[]), unnest(?4::text[]),"
	    " unnest(?5::text[]), unnest(?6::text[]), unnest(?7::text[]),"
	    " unnest(?8::text[]), unnest(?9::text[]),"
	    " unnest(?10::double precision[]), unnest(?11::text[]),"
	    " unnest(?12::bigint[]), unnest(?13::text[]), unnest(?14::text[]),"
	    " unnest(?15::text[])) WITH ORDINALITY AS m(a1, a2, a3, a4, a5, a6,"
	    " a7, a8, a9, a10, a11, a12, a13, a14, a15, n),"
	    " LATERAL report_apply(m.a1, m.a2, m.a3, m.a4, m.a5, m.a6, m.a7,"
	    " m.a8, m.a9, m.a10, m.a11, m.a12, m.a13, m.a14, m.a15) r"
	    " ORDER BY m.n" } },
	{ DB_SLOT_MSG, { "STMT_MSG_OUT", "INSERT INTO messages (uid, connection_id,"
	    " session_id, contact_id, direction, author, sender, recipient, text,"
	    " status, status_description) VALUES (?, ?, NULLIF(?::bigint, 0),"
	    " NULLIF(?::bigint, 0), 'out', ?, ?, ?, ?, ?, ?)" } },
	{ DB_SLOT_MSG, { "STMT_EVENT_ADD", "INSERT INTO message_events"
	    " (connection_id, message_uid, message_id, kind, applied, status,"
	    " status_group, status_name, status_description, error_name,"
	    " error_description, bulk_id, price, currency, sms_count, sent_at,"
	    " done_at, raw, event_key) VALUES (?1, ?2, NULLIF(?3::bigint, 0),"
	    " 'report', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	    " ?16, ?17, ?5::text || '|' || ?6::text || '|' || ?7::text || '|'"
	    " || COALESCE(?16::text, '')) ON CONFLICT DO NOTHING" } },
	{ DB_SLOT_MSG, { "STMT_MSG_REPORT", "UPDATE messages SET " PG_REPORT_SET
	    " WHERE id = ?13 AND " PG_RANK("status") " < 3 AND "
	    PG_RANK("status") " <= " PG_RANK("?1::text") } },
	{ DB_SLOT_MSG, { "STMT_MSG_REPORT_FAILED", "UPDATE messages SET "
	    PG_REPORT_SET " WHERE id = ?13 AND status = 'failed' AND "
	    PG_RANK("?1::text") " = 4" } },
	/*
	 * A report's message is locked before its event is kept: two
	 * programs storing reports of one message at once then take their
	 * turns, rather than each holding what the other waits for (the
	 * event's unique key, the message's row).
	 */
	{ DB_SLOT_MSG, { "STMT_MSG_FIND_OUT", "SELECT id FROM messages"
	    " WHERE connection_id = ? AND uid = ? AND direction = 'out'"
	    " FOR UPDATE" } },
	/* Two senders apply kept reports at once, each its own. */
	{ DB_SLOT_MSG, { "STMT_PENDING_EACH", "SELECT e.id, m.id, e.status,"
	    " e.status_group, e.status_name, e.status_description, e.error_name,"
	    " e.error_description, e.bulk_id, e.price, e.currency, e.sms_count,"
	    " e.sent_at, e.done_at FROM message_events e JOIN messages m"
	    " ON m.uid = e.message_uid AND m.connection_id = e.connection_id"
	    " AND m.direction = 'out' WHERE e.applied = 0 AND e.kind = 'report'"
	    " ORDER BY e.id LIMIT 500 FOR UPDATE OF e SKIP LOCKED" } },
	{ DB_SLOT_MSG, { "STMT_CLICK_ADD", "INSERT INTO message_events"
	    " (connection_id, message_uid, message_id, kind, applied, raw,"
	    " event_key) VALUES (?1, ?2, ?3, 'click', 1, ?4,"
	    " ?5::text || '|' || ?6::text) ON CONFLICT DO NOTHING" } },
	{ DB_SLOT_MSG, { "STMT_HISTORY", "SELECT (h.direction = 'in')::integer,"
	    " h.text FROM (SELECT id, direction, text FROM messages"
	    " WHERE session_id = ? AND id < ? AND status <> 'failed'"
	    " ORDER BY id DESC LIMIT ?) h ORDER BY h.id" } },
	/*
	 * SQLite's json_patch is RFC 7396's merge: the patch's members
	 * replace the object's, a null removes one. The fields are a flat
	 * object of text, so jsonb's || then dropping nulls is the same
	 * merge; the text is jsonb's (a space after each colon and comma).
	 */
	{ DB_SLOT_MSG, { "STMT_CONTACT_FIELDS", "UPDATE contacts SET"
	    " name = CASE WHEN ?1::text <> '' THEN ?1 ELSE name END,"
	    " email = CASE WHEN ?2::text <> '' THEN ?2 ELSE email END,"
	    " data = CASE WHEN ?3::text IS NOT NULL THEN"
	    " jsonb_strip_nulls(data::jsonb || ?3::jsonb)::text"
	    " ELSE data END WHERE id = ?4" } },

	/* store_outbox.c: the claims lock what they return, skipping rows another sender holds. */
	{ DB_SLOT_OUTBOX, { "STMT_CLAIM_SELECT", "SELECT o.message_id, m.uid,"
	    " m.connection_id, m.recipient, m.text, o.attempts + 1,"
	    " (m.status = 'sending')::integer, COALESCE(c.opted_out, 0),"
	    " o.priority, o.not_found, " PG_AGE("COALESCE(o.unsure_since,"
	    " o.lease_until, " PG_NOW ")")
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " LEFT JOIN contacts c ON c.id = m.contact_id"
	    " WHERE k.status = 'RUNNING' AND o.held_since IS NULL"
	    " AND o.next_attempt_at <= " PG_NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " PG_NOW ")"
	    " ORDER BY o.next_attempt_at, o.message_id LIMIT ?"
	    " FOR UPDATE OF o SKIP LOCKED" } },
	/*
	 * The per-batch statements of SQLite's claims and marks, over a JSON
	 * array of ids. A server claims and marks a batch in one statement
	 * each (STMT_CLAIM_ONE, STMT_MARK_GROUP) and runs these only in
	 * tests/e2e/test_pg_statements.py.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_CLAIM_LEASE", "UPDATE outbox SET"
	    " lease_owner = ?1, unsure_since = COALESCE(unsure_since,"
	    " CASE WHEN (SELECT status FROM messages"
	    " WHERE id = outbox.message_id) = 'sending' THEN lease_until END),"
	    " lease_until = " PG_NOW_BY("?2") ", attempts = attempts + 1"
	    " WHERE message_id IN " PG_JSON_IDS("?3") } },
	{ DB_SLOT_OUTBOX, { "STMT_CLAIM_SENDING", "UPDATE messages SET"
	    " status = 'sending', updated_at = " PG_NOW
	    " WHERE id IN " PG_JSON_IDS("?1") " AND status = 'queued'"
	    " RETURNING id" } },
	{ DB_SLOT_OUTBOX, { "STMT_MARK_LEASE", "UPDATE outbox SET lease_until = "
	    PG_NOW_BY("?2") " WHERE message_id IN " PG_JSON_IDS("?3")
	    " AND lease_owner = ?1 RETURNING message_id" } },
	/*
	 * Never run here: PostgreSQL's triggers stay on (db_triggers), so
	 * store_follow_end has nothing to do. A statement that prepares.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_FOLLOW_RECIPIENTS",
	    "SELECT 0 WHERE false AND ?1::text IS NULL" } },
	/* Run only with the triggers off, so never here; the same question. */
	{ DB_SLOT_OUTBOX, { "STMT_FOLLOW_ANY", "SELECT 1 FROM campaign_recipients"
	    " WHERE message_id IN " PG_JSON_IDS("?1") " LIMIT 1" } },
	{ DB_SLOT_OUTBOX, { "STMT_DONE_SENDING", "UPDATE messages SET"
	    " status = ?1, infobip_id = COALESCE(?2, infobip_id),"
	    " bulk_id = COALESCE(?3, bulk_id),"
	    " status_group = ?4, status_name = ?5, status_description = ?6,"
	    " sms_count = COALESCE(?7, sms_count),"
	    " sent_at = CASE WHEN ?1::text = 'accepted' THEN " PG_NOW
	    " ELSE sent_at END, updated_at = " PG_NOW " WHERE id = ?8"
	    " AND status = 'sending' AND 1 < " PG_RANK("?1::text") } },
	/* A server removes the accepted ones in STMT_DONE_GROUP; the same SQL. */
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_DEL_GROUP", "DELETE FROM outbox"
	    " WHERE message_id IN " PG_JSON_IDS("?1") } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_UNCLAIM", "UPDATE outbox SET"
	    " lease_owner = NULL, lease_until = NULL,"
	    " attempts = GREATEST(attempts - 1, 0) WHERE lease_owner = ?"
	    " AND (SELECT status FROM messages"
	    " WHERE id = outbox.message_id) = 'queued'" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_DONE", "UPDATE messages SET status = ?1,"
	    " infobip_id = COALESCE(?2, infobip_id),"
	    " bulk_id = COALESCE(?3, bulk_id),"
	    " status_group = ?4, status_name = ?5, status_description = ?6,"
	    " sms_count = COALESCE(?7, sms_count),"
	    " sent_at = CASE WHEN ?1::text = 'accepted' THEN " PG_NOW
	    " ELSE sent_at END, updated_at = " PG_NOW " WHERE id = ?8 AND "
	    PG_RANK("status") " < " PG_RANK("?1::text") } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_RETRY", "UPDATE outbox SET " PG_RELEASE
	    ", unsure_since = NULL, not_found = 0 WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_UNSURE", "UPDATE outbox SET " PG_RELEASE
	    ", unsure_since = " PG_NOW ", not_found = 0 WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_LOOKUP", "UPDATE outbox SET " PG_RELEASE
	    " WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_NOT_FOUND", "UPDATE outbox SET "
	    PG_RELEASE ", not_found = not_found + 1 WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_RETRY_MSG", "UPDATE messages SET"
	    " status = 'queued', updated_at = " PG_NOW
	    " WHERE id = ? AND status = 'sending'" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_HOLD", "UPDATE outbox SET"
	    " lease_owner = NULL, lease_until = NULL, last_error = ?,"
	    " held_since = " PG_NOW " WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_EACH", "SELECT " PG_OUTBOX_ROW
	    " WHERE ?1::text IS NULL OR m.connection_id = ?1"
	    " ORDER BY o.message_id LIMIT ?2" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_GET", "SELECT " PG_OUTBOX_ROW
	    " WHERE o.message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_UNSETTLED", "SELECT " PG_OUTBOX_ROW
	    " WHERE o.message_id IN (SELECT message_id FROM outbox"
	    " WHERE held_since IS NOT NULL UNION ALL SELECT id FROM messages"
	    " WHERE status = 'sending')"
	    " AND (?1::text IS NULL OR m.connection_id = ?1)"
	    " ORDER BY o.message_id LIMIT ?2" } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_UNSETTLED_AFTER",
	    PG_UNSETTLED_AFTER(PG_OUTBOX_ROW) } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_UNSETTLED_BEFORE",
	    PG_UNSETTLED_BEFORE(PG_OUTBOX_ROW) } },
	{ DB_SLOT_OUTBOX, { "STMT_OUTBOX_REQUEUE", "UPDATE outbox SET"
	    " lease_owner = NULL, lease_until = NULL, attempts = 0,"
	    " next_attempt_at = " PG_NOW ", last_error = '',"
	    " unsure_since = NULL, not_found = 0, held_since = NULL"
	    " WHERE message_id = ?" } },
	{ DB_SLOT_OUTBOX, { "STMT_AQ_SELECT", "SELECT q.message_id, q.session_id,"
	    " q.agent_id, s.contact_id, m.connection_id, c.phone, m.text, s.data,"
	    " s.collect_step, (s.responsible = 'ai')::integer, c.opted_out,"
	    " (a.status = 'RUNNING')::integer, k.sender"
	    " FROM agent_queue q JOIN messages m ON m.id = q.message_id"
	    " JOIN sessions s ON s.id = q.session_id"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN agents a ON a.id = q.agent_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " WHERE q.lease_until IS NULL OR q.lease_until < " PG_NOW
	    " ORDER BY q.message_id LIMIT ? FOR UPDATE OF q SKIP LOCKED" } },
	/* SQLite's; a server claims with STMT_AQ_CLAIM_ONE. */
	{ DB_SLOT_OUTBOX, { "STMT_AQ_LEASE", "UPDATE agent_queue SET"
	    " lease_owner = ?1, lease_until = " PG_NOW_BY("?2") ","
	    " attempts = attempts + 1 WHERE message_id IN " PG_JSON_IDS("?3") } },
	/*
	 * The claims in one statement each (owner ?1, lease modifier ?2, at
	 * most ?3 rows): c locks the due rows, skipping those another sender
	 * holds, and keeps what the rows were; the UPDATE leases them as
	 * STMT_CLAIM_LEASE and STMT_AQ_LEASE do; the rows come back as
	 * STMT_CLAIM_SELECT and STMT_AQ_SELECT give them, in their order.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_CLAIM_ONE", PG_PLAN_EACH_RUN "WITH c AS (SELECT o.message_id,"
	    " m.uid, m.connection_id, m.recipient, m.text,"
	    " m.status = 'sending' AS unsure, COALESCE(p.opted_out, 0) AS optout,"
	    " o.priority, o.not_found, " PG_AGE("COALESCE(o.unsure_since,"
	    " o.lease_until, " PG_NOW ")") " AS age, o.next_attempt_at"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " LEFT JOIN contacts p ON p.id = m.contact_id"
	    " WHERE k.status = 'RUNNING' AND o.held_since IS NULL"
	    " AND o.next_attempt_at <= " PG_NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " PG_NOW ")"
	    " ORDER BY o.next_attempt_at, o.message_id LIMIT ?3"
	    " FOR UPDATE OF o SKIP LOCKED),"
	    " u AS (UPDATE outbox o SET lease_owner = ?1,"
	    " unsure_since = COALESCE(o.unsure_since,"
	    " CASE WHEN c.unsure THEN o.lease_until END),"
	    " lease_until = " PG_NOW_BY("?2") ", attempts = o.attempts + 1"
	    " FROM c WHERE o.message_id = c.message_id"
	    " RETURNING o.message_id, o.attempts)"
	    " SELECT c.message_id, c.uid, c.connection_id, c.recipient, c.text,"
	    " u.attempts, c.unsure::integer, c.optout, c.priority, c.not_found,"
	    " c.age FROM c JOIN u ON u.message_id = c.message_id"
	    " ORDER BY c.next_attempt_at, c.message_id" } },
	/*
	 * The agent queue's alone first: its rows' messages, sessions and
	 * the rest joined by key once claimed, so that no plan starts from
	 * the messages, whatever the statistics say of their number.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_AQ_CLAIM_ONE", PG_PLAN_EACH_RUN "WITH c AS"
	    " (SELECT q.message_id FROM agent_queue q"
	    " WHERE q.lease_until IS NULL OR q.lease_until < " PG_NOW
	    " ORDER BY q.message_id LIMIT ?3 FOR UPDATE OF q SKIP LOCKED),"
	    " u AS (UPDATE agent_queue q SET lease_owner = ?1,"
	    " lease_until = " PG_NOW_BY("?2") ", attempts = q.attempts + 1"
	    " FROM c WHERE q.message_id = c.message_id"
	    " RETURNING q.message_id, q.session_id, q.agent_id)"
	    " SELECT u.message_id, u.session_id, u.agent_id, s.contact_id,"
	    " m.connection_id, p.phone, m.text, s.data, s.collect_step,"
	    " (s.responsible = 'ai')::integer, p.opted_out,"
	    " (a.status = 'RUNNING')::integer, k.sender"
	    " FROM u JOIN messages m ON m.id = u.message_id"
	    " JOIN sessions s ON s.id = u.session_id"
	    " JOIN contacts p ON p.id = s.contact_id"
	    " JOIN agents a ON a.id = u.agent_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " ORDER BY u.message_id" } },
	/*
	 * The marks before a request (owner ?1, lease modifier ?2, the
	 * claimed ids ?3): the leases still held renewed, their messages
	 * 'sending', as STMT_MARK_LEASE and STMT_CLAIM_SENDING do one by one;
	 * the ids whose claim held come back.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_MARK_GROUP", PG_PLAN_EACH_RUN "WITH l AS (UPDATE outbox"
	    " SET lease_until = " PG_NOW_BY("?2")
	    " WHERE message_id = ANY (?3::bigint[]) AND lease_owner = ?1"
	    " RETURNING message_id), s AS (UPDATE messages m"
	    " SET status = 'sending', updated_at = " PG_NOW
	    " FROM l WHERE m.id = l.message_id AND m.status = 'queued')"
	    " SELECT message_id FROM l" } },
	/*
	 * The agents' replies of a turn (owner ?1; ?2..?9 arrays of the job,
	 * session, contact, connection, sender, recipient, text and uid of
	 * each), as store_agent_queue_done, store_session_is_ai and
	 * store_message_insert_outbound do one by one: the queue rows still
	 * the owner's removed, and for those whose session the AI still holds
	 * the reply stored 'queued' and put in the outbox, in the arrays'
	 * order; a row per reply comes back (job, kept, ai), in that order.
	 */
	{ DB_SLOT_OUTBOX, { "STMT_REPLY_GROUP", PG_PLAN_EACH_RUN "WITH r AS"
	    " (SELECT * FROM unnest(?2::bigint[], ?3::bigint[], ?4::bigint[],"
	    " ?5::text[], ?6::text[], ?7::text[], ?8::text[], ?9::text[])"
	    " WITH ORDINALITY AS r(job, session, contact, conn, sender,"
	    " recipient, text, uid, n)),"
	    " d AS (DELETE FROM agent_queue q USING r"
	    " WHERE q.message_id = r.job AND q.lease_owner = ?1"
	    " RETURNING q.message_id),"
	    " a AS (SELECT r.n, s.responsible = 'ai' AS ai FROM r"
	    " JOIN d ON d.message_id = r.job JOIN sessions s ON s.id = r.session),"
	    " m AS (INSERT INTO messages (uid, connection_id, session_id,"
	    " contact_id, direction, author, sender, recipient, text, status,"
	    " status_description) SELECT r.uid, r.conn, NULLIF(r.session, 0),"
	    " NULLIF(r.contact, 0), 'out', 'agent', r.sender, r.recipient,"
	    " r.text, 'queued', '' FROM r JOIN a ON a.n = r.n WHERE a.ai"
	    " ORDER BY r.n RETURNING id),"
	    " o AS (INSERT INTO outbox (message_id, priority)"
	    " SELECT id, 0 FROM m)"
	    " SELECT r.job, (d.message_id IS NOT NULL)::integer,"
	    " COALESCE(a.ai, false)::integer FROM r"
	    " LEFT JOIN d ON d.message_id = r.job LEFT JOIN a ON a.n = r.n"
	    " ORDER BY r.n" } },
	/*
	 * The results of a request, as STMT_OUTBOX_DONE and STMT_OUTBOX_DEL
	 * do one by one: ?N is an array of store_outbox_done's Nth values
	 * (message, status, Infobip's id, bulk id, group, name, description,
	 * parts or NULL).
	 */
	{ DB_SLOT_OUTBOX, { "STMT_DONE_GROUP", PG_PLAN_EACH_RUN "WITH r AS (SELECT * FROM"
	    " unnest(?1::bigint[], ?2::text[], ?3::text[], ?4::text[],"
	    " ?5::text[], ?6::text[], ?7::text[], ?8::bigint[])"
	    " AS r(id, status, infobip_id, bulk_id, grp, name, description,"
	    " parts)), u AS (UPDATE messages m SET status = r.status,"
	    " infobip_id = COALESCE(r.infobip_id, m.infobip_id),"
	    " bulk_id = COALESCE(r.bulk_id, m.bulk_id),"
	    " status_group = r.grp, status_name = r.name,"
	    " status_description = r.description,"
	    " sms_count = COALESCE(r.parts, m.sms_count),"
	    " sent_at = CASE WHEN r.status = 'accepted' THEN " PG_NOW
	    " ELSE m.sent_at END, updated_at = " PG_NOW
	    " FROM r WHERE m.id = r.id AND " PG_RANK("m.status") " < "
	    PG_RANK("r.status") ")"
	    " DELETE FROM outbox WHERE message_id IN (SELECT id FROM r)" } },

	/* store_maint.c */
	{ DB_SLOT_MAINT, { "STMT_HEARTBEAT_SET", "INSERT INTO heartbeats (name, at)"
	    " VALUES (?, " PG_NOW ") ON CONFLICT (name)"
	    " DO UPDATE SET at = excluded.at" } },
	{ DB_SLOT_MAINT, { "STMT_HEARTBEAT_GET", "SELECT substr(at, 1, 19), "
	    PG_AGE("at") ", extract(epoch FROM at::timestamp) FROM heartbeats"
	    " WHERE name = ?" } },
	{ DB_SLOT_MAINT, { "STMT_REQUESTS_ADD", "INSERT INTO request_counts"
	    " (program, route, status, count) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (program, route, status)"
	    " DO UPDATE SET count = request_counts.count + excluded.count" } },
	{ DB_SLOT_MAINT, { "STMT_LATENCY_BUCKET_ADD", "INSERT INTO latency_buckets"
	    " (name, label, le, count) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (name, label, le)"
	    " DO UPDATE SET count = latency_buckets.count + excluded.count" } },
	{ DB_SLOT_MAINT, { "STMT_LATENCY_SUM_ADD", "INSERT INTO latency_sums"
	    " (name, label, count, sum_seconds) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (name, label)"
	    " DO UPDATE SET count = latency_sums.count + excluded.count,"
	    " sum_seconds = latency_sums.sum_seconds + excluded.sum_seconds" } },
	{ DB_SLOT_MAINT, { "STMT_RETAIN_MSG_SCAN", "SELECT id,"
	    " (created_at < ?2::text)::integer FROM messages WHERE id > ?1"
	    " ORDER BY id LIMIT ?3" } },
	{ DB_SLOT_MAINT, { "STMT_RETAIN_EVENT_SCAN", "SELECT id,"
	    " (received_at < ?2::text)::integer FROM message_events"
	    " WHERE id > ?1 ORDER BY id LIMIT ?3" } },
	/* One sender at a time: the transaction's advisory lock, class 'IBC1'. */
	{ DB_SLOT_MAINT, { "STMT_TURN_TAKE", "SELECT 1 WHERE"
	    " pg_try_advisory_xact_lock(1229079345, ?1::integer)" } },
	/*
	 * The primary's standbys: those streaming, and those of them its
	 * commits wait for (synchronous_standby_names names them; 'sync' or
	 * 'quorum'). A role without pg_read_all_stats sees the rows but not
	 * their state: such a row counts as streaming, and as synchronous
	 * while synchronous_standby_names is set (pg_auto_failover empties it
	 * when its standby is gone).
	 */
	{ DB_SLOT_MAINT, { "STMT_REPLICATION", "SELECT (SELECT COUNT(*) FROM"
	    " pg_stat_replication WHERE state IS NULL OR state = 'streaming')"
	    "::integer, CASE WHEN current_setting('synchronous_standby_names')"
	    " = '' THEN 0 ELSE (SELECT COUNT(*) FROM pg_stat_replication"
	    " WHERE (state IS NULL OR state = 'streaming') AND (sync_state IS"
	    " NULL OR sync_state IN ('sync', 'quorum')))::integer END" } },
	/*
	 * The fold, in one statement a table: the changes it deletes are the
	 * ones it adds, from one snapshot; CLEAR then has nothing left to do
	 * (deleting again would drop changes committed meanwhile).
	 */
	{ DB_SLOT_MAINT, { "STMT_FOLD_MESSAGES", "WITH d AS (DELETE FROM"
	    " message_count_deltas RETURNING direction, status, n)"
	    " INSERT INTO message_counts AS c (direction, status, n)"
	    " SELECT direction, status, SUM(n) FROM d GROUP BY 1, 2"
	    " ON CONFLICT (direction, status) DO UPDATE SET n = c.n + excluded.n" } },
	{ DB_SLOT_MAINT, { "STMT_FOLD_MESSAGES_CLEAR", "SELECT 1 WHERE false" } },
	{ DB_SLOT_MAINT, { "STMT_FOLD_CAMPAIGNS", "WITH d AS (DELETE FROM"
	    " campaign_count_deltas RETURNING campaign_id, status, n)"
	    " INSERT INTO campaign_counts AS c (campaign_id, status, n)"
	    " SELECT campaign_id, status, SUM(n) FROM d GROUP BY 1, 2"
	    " ON CONFLICT (campaign_id, status) DO UPDATE SET n = c.n + excluded.n" } },
	{ DB_SLOT_MAINT, { "STMT_FOLD_CAMPAIGNS_CLEAR", "SELECT 1 WHERE false" } },
	{ DB_SLOT_MAINT, { "STMT_FOLD_MINUTES", "WITH d AS (DELETE FROM"
	    " campaign_minute_deltas RETURNING campaign_id, minute, status, n)"
	    " INSERT INTO campaign_minutes AS c (campaign_id, minute, status, n)"
	    " SELECT campaign_id, minute, status, SUM(n) FROM d GROUP BY 1, 2, 3"
	    " ON CONFLICT (campaign_id, minute, status) DO UPDATE SET n = c.n + excluded.n" } },
	{ DB_SLOT_MAINT, { "STMT_FOLD_MINUTES_CLEAR", "SELECT 1 WHERE false" } },
	{ DB_SLOT_MAINT, { "STMT_RETAIN_LOG_SCAN", "SELECT id,"
	    " (at < ?2::text)::integer FROM logs WHERE id > ?1"
	    " ORDER BY id LIMIT ?3" } },

	/* store_campaign.c */
	{ DB_SLOT_CAMPAIGN, { "campaign get", PG_CAMPAIGN_COLS
	    " WHERE c.id = ?1" } },
	{ DB_SLOT_CAMPAIGN, { "campaign each", PG_CAMPAIGN_COLS
	    " ORDER BY c.id DESC" } },
	{ DB_SLOT_CAMPAIGN, { "campaign page", PG_CAMPAIGN_COLS
	    " WHERE c.id < ?1::bigint ORDER BY c.id DESC LIMIT ?2" } },
	{ DB_SLOT_CAMPAIGN, { "campaign active", PG_CAMPAIGN_COLS
	    " WHERE c.state IN ('scheduled', 'running') ORDER BY c.id" } },
	{ DB_SLOT_CAMPAIGN, { "campaign state", "UPDATE campaigns SET state = ?3,"
	    " started_at = CASE WHEN ?2::text = 'draft' THEN " PG_NOW
	    " ELSE started_at END, ended_at = CASE"
	    " WHEN ?3::text IN ('completed', 'canceled') THEN " PG_NOW
	    " ELSE ended_at END, bucket_tokens = CASE WHEN ?3::text = 'running'"
	    " THEN 1 ELSE bucket_tokens END, bucket_at = CASE"
	    " WHEN ?3::text = 'running' THEN 0 ELSE bucket_at END"
	    " WHERE id = ?1 AND state = ?2" } },
	{ DB_SLOT_CAMPAIGN, { "campaign cancel recipients", "UPDATE"
	    " campaign_recipients SET status = 'canceled',"
	    " reason = 'campaign canceled before it was sent', updated_at = "
	    PG_NOW " WHERE campaign_id = ?1 AND message_id IN ("
	    PG_UNCLAIMED ")" } },
	{ DB_SLOT_CAMPAIGN, { "campaign cancel messages", "UPDATE messages SET"
	    " status = 'failed', status_description = 'campaign canceled',"
	    " updated_at = " PG_NOW " WHERE id IN (" PG_CANCELED_OUT ")" } },
	{ DB_SLOT_CAMPAIGN, { "campaign cancel planned", "UPDATE"
	    " campaign_recipients SET status = 'canceled', updated_at = "
	    PG_NOW " WHERE campaign_id = ?1 AND status = 'planned'" } },
	{ DB_SLOT_CAMPAIGN, { "campaign unfinished", "SELECT EXISTS (SELECT 1"
	    " FROM campaign_recipients WHERE campaign_id = ?1"
	    " AND status IN ('planned', 'queued'))::integer" } },
	/*
	 * Senders release a campaign one at a time: the others pass it by.
	 * The release's transaction begins here: it locks the campaign's row
	 * before any recipient, as a pause or a cancel does with its UPDATE,
	 * so that the two wait for each other instead of deadlocking on the
	 * recipients (SQLite's BEGIN IMMEDIATE orders them whole).
	 */
	{ DB_SLOT_CAMPAIGN, { "campaign throttle", "SELECT bucket_tokens,"
	    " bucket_at FROM campaigns WHERE id = ?1 AND state = 'running'"
	    " FOR UPDATE SKIP LOCKED" } },
	{ DB_SLOT_CAMPAIGN, { "campaign waiting", "SELECT COUNT(*) FROM"
	    " campaign_recipients r JOIN outbox o ON o.message_id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.status = 'queued'"
	    " AND o.held_since IS NULL AND o.next_attempt_at <= " PG_NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " PG_NOW ")" } },
	{ DB_SLOT_CAMPAIGN, { "campaign has planned", "SELECT EXISTS (SELECT 1"
	    " FROM campaign_recipients WHERE campaign_id = ?1"
	    " AND status = 'planned')::integer" } },
	{ DB_SLOT_CAMPAIGN, { "campaign zone first", "SELECT MIN(timezone)"
	    " FROM campaign_recipients WHERE campaign_id = ?1"
	    " AND status = 'planned'" } },
	{ DB_SLOT_CAMPAIGN, { "campaign zone next", "SELECT MIN(timezone)"
	    " FROM campaign_recipients WHERE campaign_id = ?1"
	    " AND status = 'planned' AND timezone > ?2" } },
	{ DB_SLOT_CAMPAIGN, { "campaign due", "SELECT id, phone, fields"
	    " FROM campaign_recipients WHERE campaign_id = ?1"
	    " AND status = 'planned' AND timezone = ?2 ORDER BY id LIMIT ?3" } },
	{ DB_SLOT_CAMPAIGN, { "campaign recipient set", "UPDATE campaign_recipients"
	    " SET status = ?2, reason = ?3,"
	    " message_id = COALESCE(NULLIF(?4::bigint, 0), message_id),"
	    " updated_at = " PG_NOW " WHERE id = ?1" } },
	{ DB_SLOT_CAMPAIGN, { "session campaign add", "INSERT INTO"
	    " session_campaigns (session_id, campaign_id) VALUES (?1, ?2)"
	    " ON CONFLICT DO NOTHING" } },
	/* ?5 below 0 is no limit (SQLite's LIMIT -1): LIMIT NULL. */
	{ DB_SLOT_CAMPAIGN, { "campaign recipients", "SELECT r.id, r.line,"
	    " r.phone, r.status, r.reason, COALESCE(r.message_id, 0),"
	    " substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.id > ?4::bigint"
	    " AND (?2::text IS NULL OR r.status = ?2)"
	    " AND (?3::text IS NULL OR substr(r.phone, 1, length(?3)) = ?3)"
	    " ORDER BY r.id"
	    " LIMIT CASE WHEN ?5::bigint < 0 THEN NULL ELSE ?5 END" } },
	{ DB_SLOT_CAMPAIGN, { "campaign recipients by status", "SELECT r.id,"
	    " r.line, r.phone, r.status, r.reason, COALESCE(r.message_id, 0),"
	    " substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.status = ?2::text AND r.id > ?4::bigint"
	    " AND (?3::text IS NULL OR substr(r.phone, 1, length(?3)) = ?3)"
	    " ORDER BY r.id"
	    " LIMIT CASE WHEN ?5::bigint < 0 THEN NULL ELSE ?5 END" } },
	{ DB_SLOT_CAMPAIGN, { "campaign recipients by phone", "SELECT r.id,"
	    " r.line, r.phone, r.status, r.reason, COALESCE(r.message_id, 0),"
	    " substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.phone >= ?3::text"
	    " AND r.phone < ?3::text || ':'"
	    " AND r.phone > COALESCE((SELECT c.phone FROM campaign_recipients c"
	    " WHERE c.id = ?4::bigint AND c.campaign_id = ?1), '')"
	    " AND (?2::text IS NULL OR r.status = ?2)"
	    " ORDER BY r.phone"
	    " LIMIT CASE WHEN ?5::bigint < 0 THEN NULL ELSE ?5 END" } },
	{ DB_SLOT_CAMPAIGN, { "campaign replied", "UPDATE campaign_recipients SET"
	    " status = 'replied', reason = '', updated_at = " PG_NOW
	    " WHERE status IN ('queued', 'sent', 'delivered') AND message_id IN"
	    " (SELECT o.id FROM messages i JOIN session_campaigns sc"
	    " ON sc.session_id = i.session_id JOIN messages o"
	    " ON o.session_id = i.session_id AND o.id < i.id"
	    " WHERE i.id > ?1 AND i.id <= ?2 AND i.direction = 'in'"
	    " AND o.direction = 'out' AND o.author = 'campaign')" } },

	/* store_api.c */
	{ DB_SLOT_API, { "A_TOKEN_BY_HASH", PG_TOKEN_COLS
	    "WHERE t.token_hash = ?1" } },
	{ DB_SLOT_API, { "A_TOKEN_GET", PG_TOKEN_COLS "WHERE t.id = ?1" } },
	{ DB_SLOT_API, { "A_TOKEN_REVOKE", "UPDATE api_tokens SET"
	    " revoked_by = ?2, revoked_at = " PG_NOW
	    " WHERE id = ?1 AND revoked_at IS NULL" } },
	{ DB_SLOT_API, { "A_TOKEN_EACH", PG_TOKEN_COLS
	    "WHERE ?1::bigint = 0 OR t.agent_id = ?1 ORDER BY t.id DESC" } },
	{ DB_SLOT_API, { "A_SEND_FIND", "SELECT m.uid, s.request_hash"
	    " FROM api_sends s JOIN messages m ON m.id = s.message_id"
	    " WHERE s.connection_id = ?1 AND s.agent_id = ?2"
	    " AND s.reference = ?3" } },

	/* store_admin.c */
	{ DB_SLOT_ADMIN, { "Q_LOGS", PG_LOG_COLS " WHERE connection_id = ?1"
	    " AND id < ?2 ORDER BY id DESC LIMIT ?3" } },
	{ DB_SLOT_ADMIN, { "Q_LOGS_LEVEL", PG_LOG_COLS
	    " WHERE connection_id = ?1 AND level = ?4 AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3" } },
	{ DB_SLOT_ADMIN, { "Q_LOGS_EVENT", PG_LOG_COLS
	    " WHERE connection_id = ?1 AND event = ?5"
	    " AND (?4::text IS NULL OR level = ?4) AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3" } },
	{ DB_SLOT_ADMIN, { "Q_LOG_LAST", "SELECT l.at, l.text FROM (SELECT id,"
	    " at, text FROM logs WHERE connection_id = ?1 AND event = ?2"
	    " ORDER BY id DESC LIMIT 100) l"
	    " WHERE substr(l.text, 1, length(?3::text)) = ?3"
	    " ORDER BY l.id DESC LIMIT 1" } },
	{ DB_SLOT_ADMIN, { "Q_AGENTS", "SELECT a.id, a.name, a.kind, a.status,"
	    " COALESCE((SELECT string_agg(k.name || CASE WHEN ac.inbound = 1"
	    " THEN ' (inbound)' ELSE '' END, ', ' ORDER BY ac.connection_id)"
	    " FROM agent_channels ac JOIN connections k"
	    " ON k.id = ac.connection_id WHERE ac.agent_id = a.id"
	    " AND k.deleted_at IS NULL), '')"
	    " FROM agents a ORDER BY lower(a.name), a.id" } },
	{ DB_SLOT_ADMIN, { "Q_ATTACHMENTS", "SELECT ac.agent_id, a.name, a.status,"
	    " a.kind, ac.connection_id, k.name, k.sender, k.status, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE k.deleted_at IS NULL AND (?1::bigint = 0"
	    " OR ac.agent_id = ?1) AND (?2::text IS NULL"
	    " OR ac.connection_id = ?2)"
	    " ORDER BY lower(k.name), k.id, lower(a.name), a.id" } },
	{ DB_SLOT_ADMIN, { "Q_SESSIONS", PG_SESSION_COLS PG_SESSION_JOIN
	    PG_SESSION_WHERE } },
	{ DB_SLOT_ADMIN, { "Q_SESSIONS_CONN", PG_SESSION_COLS PG_SESSION_JOIN
	    "s.connection_id = ?1 AND" PG_SESSION_WHERE } },
	{ DB_SLOT_ADMIN, { "Q_SESSIONS_CONTACT", PG_SESSION_COLS PG_SESSION_JOIN
	    "s.contact_id = ?2::bigint AND" PG_SESSION_WHERE } },
	{ DB_SLOT_ADMIN, { "Q_SESSIONS_OPEN", PG_SESSION_COLS PG_SESSION_JOIN
	    "s.closed_at IS NULL AND" PG_SESSION_WHERE } },
	{ DB_SLOT_ADMIN, { "Q_FIND", PG_FIND("") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_CONTACT", PG_FIND("s.contact_id = ?2::bigint AND") } },
	/* A range of the numbers in byte order (sql/pg/025's index), not the database's collation. */
	{ DB_SLOT_ADMIN, { "Q_FIND_PHONE", PG_FIND("c.phone COLLATE \"C\" >= ?8::text"
	    " AND c.phone COLLATE \"C\" < ?8 || ':' AND") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_WAITING", PG_FIND("s.closed_at IS NULL AND"
	    " (s.responsible <> 'ai' OR s.agent_id IS NULL) AND") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_WHO", PG_FIND("s.responsible = ?10::text AND") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_CONN", PG_FIND("s.connection_id = ?1::text AND") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_OPEN", PG_FIND("s.closed_at IS NULL AND") } },
	{ DB_SLOT_ADMIN, { "Q_FIND_CLOSED", PG_FIND("s.closed_at IS NOT NULL AND") } },
	{ DB_SLOT_ADMIN, { "Q_PHONE_MATCHES", "SELECT COUNT(*) FROM (SELECT 1"
	    " FROM contacts WHERE phone COLLATE \"C\" >= ?1::text"
	    " AND phone COLLATE \"C\" < ?1 || ':' LIMIT ?2) p" } },
	{ DB_SLOT_ADMIN, { "Q_SESSION_FOUND", PG_SESSION_COLS PG_SESSION_JOIN
	    "s.id = ?6::bigint AND ?7::integer > 0 AND" PG_SESSION_MORE
	    " (?1::text IS NULL OR s.connection_id = ?1)"
	    " AND (?2::bigint = 0 OR s.contact_id = ?2)"
	    " AND (?3::integer = 0 OR (?3 = 1) = (s.closed_at IS NULL))"
	    " AND s.last_at >= ?4::text AND s.last_at <= ?5::text" } },
	/* The GIN index follows every insert: nothing is unindexed (never run here). */
	{ DB_SLOT_ADMIN, { "Q_SEARCH_BEHIND", "SELECT 0, 0" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_TOKENIZER", "SELECT 1" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_TAIL", "SELECT 0::bigint, 0::bigint, 0"
	    " WHERE ?1::text IS NULL AND ?2::bigint < 0 AND ?3::integer < 0"
	    " AND ?4::bigint < 0 AND ?5::bigint < 0" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_FOLD", "SELECT ''::text WHERE ?1::text IS NULL"
	    " AND false" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_PREFIX", "SELECT ''::text WHERE ?1::text IS NULL"
	    " AND ?2::bigint < 0" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_TERMS", "SELECT 1 WHERE ?1::bigint IS NULL" } },
	/*
	 * The newest ?4 messages below ?2 and those of them holding the
	 * words (each a quoted lexeme, the last a prefix: 'a' & 'b' & 'c':*),
	 * with the lowest id read when the window was full (kind 0).
	 */
	{ DB_SLOT_ADMIN, { "Q_SEARCH_WALK", "WITH w AS MATERIALIZED (SELECT id,"
	    " session_id, text FROM messages WHERE id < ?2::bigint"
	    " ORDER BY id DESC LIMIT ?4::bigint)"
	    " SELECT id, session_id, 1 FROM w WHERE to_tsvector('simple', text)"
	    " @@ to_tsquery('simple', '''' || replace(?1::text, ' ', ''' & ''')"
	    " || ''':*') AND ?3::integer >= 0"
	    " UNION ALL SELECT MIN(id), NULL, 0 FROM w"
	    " HAVING COUNT(*) = ?4 AND ?5::bigint > 0 ORDER BY 1 DESC, 3 DESC" } },
	/*
	 * The matches below ?2 by the GIN index (OFFSET 0 keeps the plan from
	 * walking the messages instead: that is search_walk's part).
	 */
	{ DB_SLOT_ADMIN, { "Q_SEARCH_HITS", "SELECT id, session_id, 1 FROM"
	    " (SELECT id, session_id FROM messages WHERE to_tsvector('simple', text)"
	    " @@ to_tsquery('simple', '''' || replace(?1::text, ' ', ''' & ''')"
	    " || ''':*') AND id < ?2::bigint OFFSET 0) h"
	    " WHERE ?3::integer >= 0 AND ?4::bigint >= 0 ORDER BY id DESC LIMIT ?5" } },
	/* The GIN index follows every insert: nothing is ever pending. */
	{ DB_SLOT_ADMIN, { "Q_SEARCH_PENDING", "SELECT 1 WHERE false" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_INDEX", "SELECT 1 WHERE ?1::bigint IS NULL" } },
	{ DB_SLOT_ADMIN, { "Q_SEARCH_MARK", "SELECT 1 WHERE ?1::bigint IS NULL" } },
	{ DB_SLOT_ADMIN, { "Q_MESSAGES_AFTER", "SELECT m.id, m.uid,"
	    " m.created_at, m.direction, m.author, m.status, m.status_name,"
	    " m.status_description, m.error_description, m.text,"
	    " COALESCE(m.sent_at, ''), COALESCE(m.done_at, ''),"
	    " COALESCE(m.currency, ''), COALESCE(m.price, -1),"
	    " COALESCE(m.sms_count, -1), (SELECT COUNT(*) FROM message_events e"
	    " WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id"
	    " AND e.kind = 'click') FROM messages m"
	    " WHERE m.session_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3" } },
	{ DB_SLOT_ADMIN, { "Q_SESSIONS_CLOSED", PG_SESSION_COLS PG_SESSION_JOIN
	    "s.closed_at IS NOT NULL AND" PG_SESSION_WHERE } },
	{ DB_SLOT_ADMIN, { "Q_MESSAGES", "SELECT * FROM (SELECT m.id, m.uid,"
	    " m.created_at, m.direction, m.author, m.status, m.status_name,"
	    " m.status_description, m.error_description, m.text,"
	    " COALESCE(m.sent_at, ''), COALESCE(m.done_at, ''),"
	    " COALESCE(m.currency, ''), COALESCE(m.price, -1),"
	    " COALESCE(m.sms_count, -1), (SELECT COUNT(*) FROM message_events e"
	    " WHERE e.message_uid = m.uid AND e.connection_id = m.connection_id"
	    " AND e.kind = 'click') FROM messages m"
	    " WHERE m.session_id = ?1 AND m.id < ?2 ORDER BY m.id DESC"
	    " LIMIT ?3) page ORDER BY 1" } },
	{ DB_SLOT_ADMIN, { "Q_DAYS", "SELECT d.connection_id,"
	    " COALESCE(k.name, d.connection_id), d.day, d.currency, d.received,"
	    " d.sent, d.delivered, d.not_delivered, d.spend FROM message_daily d"
	    " LEFT JOIN connections k ON k.id = d.connection_id"
	    " WHERE d.day >= ?1 ORDER BY d.day, lower(k.name) NULLS FIRST,"
	    " d.connection_id" } },
	{ DB_SLOT_ADMIN, { "Q_QUEUES", "SELECT (SELECT COUNT(*) FROM outbox),"
	    " COALESCE(" PG_AGE("(SELECT created_at FROM messages"
	    " WHERE id = (SELECT MIN(message_id) FROM outbox))") ", 0),"
	    " (SELECT COUNT(*) FROM agent_queue),"
	    " COALESCE(" PG_AGE("(SELECT queued_at FROM agent_queue"
	    " WHERE message_id = (SELECT MIN(message_id) FROM agent_queue))")
	    ", 0), COALESCE((SELECT substr(MAX(refreshed_at), 1, 19)"
	    " FROM message_daily), '')" } },
	{ DB_SLOT_ADMIN, { "Q_DAILY_SUM", "SELECT substr(created_at, 1, 10),"
	    " COUNT(*) FILTER (WHERE direction = 'in'),"
	    " COUNT(*) FILTER (WHERE direction = 'out'),"
	    " COUNT(*) FILTER (WHERE direction = 'out' AND status = 'delivered'),"
	    " COUNT(*) FILTER (WHERE direction = 'out' AND status IN"
	    " ('undeliverable', 'expired', 'rejected', 'failed')),"
	    " SUM(CASE WHEN direction = 'out' THEN COALESCE(price *"
	    " COALESCE(sms_count, 1), 0) ELSE 0 END), COALESCE(MAX(currency),"
	    " '') FROM messages WHERE connection_id = ?1"
	    " AND created_at >= ?2 GROUP BY 1" } },
	/*
	 * Two senders refreshing at once: the second's DELETE does not see
	 * the rows the first inserted after it began, and its INSERT would
	 * hit them (SQLite's BEGIN IMMEDIATE runs the refreshes one after
	 * the other). Both count the same messages; the later one stands.
	 */
	{ DB_SLOT_ADMIN, { "Q_DAILY_ADD", "INSERT INTO message_daily"
	    " (connection_id, day, received, sent, delivered, not_delivered,"
	    " spend, currency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (connection_id, day) DO UPDATE SET"
	    " received = EXCLUDED.received, sent = EXCLUDED.sent,"
	    " delivered = EXCLUDED.delivered,"
	    " not_delivered = EXCLUDED.not_delivered, spend = EXCLUDED.spend,"
	    " currency = EXCLUDED.currency,"
	    " refreshed_at = EXCLUDED.refreshed_at" } },
	{ DB_SLOT_ADMIN, { "Q_NOTICE_EXPIRE", "DELETE FROM admin_notices"
	    " WHERE created_at < " PG_NOW_BY("'-1 hour'") } },

	/* db_sqlite_file.c: a restore's marks, for a store restored from a dump. */
	{ DB_SLOT_FILE, { "F_RESTORE_MESSAGES", "UPDATE messages SET"
	    " status = 'sending', updated_at = " PG_NOW " WHERE status IN"
	    " ('queued', 'sending') AND id IN (SELECT message_id FROM outbox)" } },
	{ DB_SLOT_FILE, { "F_RESTORE_OUTBOX", "UPDATE outbox SET"
	    " lease_owner = NULL, lease_until = NULL, unsure_since = " PG_NOW ","
	    " not_found = 0, next_attempt_at = " PG_NOW ", last_error = ?"
	    " WHERE message_id IN (SELECT id FROM messages"
	    " WHERE status = 'sending')" } },
	/*
	 * ibchannel check: the server keeps its own pages, so what can be
	 * wrong is what an interrupted restore or a hand at psql leaves:
	 * a constraint or foreign key not validated, an index not valid, a
	 * trigger (the campaign's, or those behind the foreign keys)
	 * disabled, pages whose checksum failed, or a schema_version that is
	 * not one row. Each a line; "ok" when none.
	 */
	{ DB_SLOT_FILE, { "F_INTEGRITY", "WITH p(line) AS ("
	    "SELECT 'constraint ' || c.conname || ' on ' ||"
	    " c.conrelid::regclass::text || ' is not validated'"
	    " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
	    " WHERE n.nspname = current_schema() AND NOT c.convalidated"
	    " UNION ALL SELECT 'index ' || i.indexrelid::regclass::text ||"
	    " ' is not valid (REINDEX it)'"
	    " FROM pg_index i JOIN pg_class r ON r.oid = i.indexrelid"
	    " JOIN pg_namespace n ON n.oid = r.relnamespace"
	    " WHERE n.nspname = current_schema()"
	    " AND NOT (i.indisvalid AND i.indisready AND i.indislive)"
	    " UNION ALL SELECT DISTINCT CASE WHEN k.oid IS NULL THEN"
	    " 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text ||"
	    " ' is disabled' ELSE 'foreign key ' || k.conname || ' on ' ||"
	    " k.conrelid::regclass::text || ' is not enforced: its triggers"
	    " on ' || t.tgrelid::regclass::text || ' are disabled' END"
	    " FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
	    " JOIN pg_namespace n ON n.oid = r.relnamespace"
	    " LEFT JOIN pg_constraint k ON k.oid = t.tgconstraint"
	    " WHERE n.nspname = current_schema() AND t.tgenabled = 'D'"
	    " UNION ALL SELECT checksum_failures::text ||"
	    " ' page checksum failure(s) in this database'"
	    " FROM pg_stat_database WHERE datname = current_database()"
	    " AND checksum_failures > 0"
	    " UNION ALL SELECT 'schema_version holds ' || COUNT(*)::text ||"
	    " ' rows, not one' FROM schema_version HAVING COUNT(*) <> 1)"
	    " SELECT line FROM p UNION ALL"
	    " SELECT 'ok' WHERE NOT EXISTS (SELECT 1 FROM p)" } },

	{ DB_SLOT__MAX, { NULL, NULL } }
};
