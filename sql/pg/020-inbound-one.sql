-- Version 20: one inbound message (MO) stored in one statement. The
-- writer of inbound.fcgi holds one connection and waits for each
-- statement's answer; stored step by step an MO took about nine round
-- trips (seen?, the contact added and read, its session found, touched or
-- opened, the message, whose session is the AI's, the agent queue), each
-- write behind a savepoint of its own. Here they are one call, the same
-- steps in the same order (common/store/store_msg.c's statements, as
-- common/store/db_pg_sql.c writes them), with no savepoint: a failure
-- aborts the writer's transaction, which then stores its group again
-- without the failing request (common/domain/writer.c). SQLite runs the
-- steps one by one (sql/020-inbound-one.sql is empty).
--
-- Arguments: the connection, Infobip's messageId, the contact's phone
-- (normalised), the connection's inbound agent (0 none; a new session
-- takes it), the session timeout as an interval ('-30 minutes': a session
-- idle longer is closed and a new one opened), the new message's uid,
-- sender, recipient, text, received_at, price, currency and sms_count (NULL
-- when absent), and queue_agent: when not 0, the message goes to that
-- agent's queue if the contact has not opted out and the session is
-- answered by the AI (the caller passes 0 when a keyword, the
-- connection's status or the agent's keeps the message unanswered).
-- Result, one row: o_message (the message's id; 0 a duplicate, nothing
-- stored), o_contact, o_opted_out (1 or 0), o_session, and o_queued: 1
-- queued, 0 not (the contact opted out or an operator answers the
-- session), -1 not asked (queue_agent 0, or a duplicate).
CREATE OR REPLACE FUNCTION inbound_mo(p_conn text, p_infobip_id text, p_phone text,
    p_agent bigint, p_idle text, p_uid text, p_sender text,
    p_recipient text, p_text text, p_received_at text,
    p_price double precision, p_currency text, p_sms_count bigint,
    p_queue_agent bigint, OUT o_message bigint, OUT o_contact bigint,
    OUT o_opted_out bigint, OUT o_session bigint, OUT o_queued integer)
LANGUAGE plpgsql AS $$
DECLARE
	now_text text := to_char(statement_timestamp() AT TIME ZONE 'UTC',
	    'YYYY-MM-DD HH24:MI:SS.MS');
	idle_since text := to_char(statement_timestamp() AT TIME ZONE 'UTC' +
	    p_idle::interval, 'YYYY-MM-DD HH24:MI:SS.MS');
	open_found boolean;
	stale boolean;
	ai boolean;
BEGIN
	o_message := 0;
	o_queued := -1;
	PERFORM 1 FROM messages WHERE connection_id = p_conn
	    AND infobip_id = p_infobip_id AND direction = 'in';
	IF FOUND THEN
		RETURN;
	END IF;

	INSERT INTO contacts (phone) VALUES (p_phone)
	    ON CONFLICT (phone) DO NOTHING RETURNING id, opted_out
	    INTO o_contact, o_opted_out;
	IF NOT FOUND THEN
		SELECT id, opted_out INTO o_contact, o_opted_out FROM contacts
		    WHERE phone = p_phone;
	END IF;

	SELECT id, last_at < idle_since INTO o_session, stale FROM sessions
	    WHERE connection_id = p_conn AND contact_id = o_contact
	    AND closed_at IS NULL;
	open_found := FOUND;
	IF open_found AND NOT stale THEN
		UPDATE sessions SET last_at = now_text WHERE id = o_session
		    RETURNING responsible = 'ai' INTO ai;
	ELSE
		IF open_found THEN
			UPDATE sessions SET closed_at = now_text
			    WHERE id = o_session;
		END IF;
		INSERT INTO sessions (connection_id, contact_id, agent_id)
		    VALUES (p_conn, o_contact, NULLIF(p_agent, 0))
		    RETURNING id, responsible = 'ai' INTO o_session, ai;
	END IF;

	INSERT INTO messages (uid, connection_id, session_id, contact_id,
	    direction, author, sender, recipient, text, infobip_id, status,
	    received_at, price, currency, sms_count)
	    VALUES (p_uid, p_conn, o_session, o_contact, 'in', 'customer',
	    p_sender, p_recipient, p_text, p_infobip_id, 'received',
	    p_received_at, p_price, p_currency, p_sms_count)
	    ON CONFLICT DO NOTHING RETURNING id INTO o_message;
	IF NOT FOUND THEN
		o_message := 0;
		RETURN;
	END IF;

	IF p_queue_agent = 0 THEN
		RETURN;
	END IF;
	o_queued := 0;
	IF o_opted_out = 0 AND ai THEN
		INSERT INTO agent_queue (message_id, session_id, agent_id)
		    VALUES (o_message, o_session, p_queue_agent)
		    ON CONFLICT DO NOTHING;
		o_queued := 1;
	END IF;
END
$$;
COMMENT ON FUNCTION inbound_mo(text, text, text, bigint, text, text, text,
    text, text, text, double precision, text, bigint, bigint) IS
    'Stores one inbound message in one statement (sql/pg/020-inbound-one.sql says how).';

UPDATE schema_version SET version = 20;
