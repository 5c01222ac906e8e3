-- Version 28: a group of inbound messages (MOs) stored set by set. The
-- writer of inbound.fcgi sends the MOs of a group as one statement
-- (STMT_INBOUND_GROUP); up to 027 that statement ran inbound_mo once per
-- MO, and each call started and ended the executors of its own
-- statements (the seen check, then the WITH that stores a new contact's
-- four rows), each opening four tables and their indexes anew and
-- reading the tables' check constraints again. Counted with callgrind,
-- that start and end was most of the backend's work for a new contact.
--
-- inbound_group takes the group as arrays (the Nth element of each is
-- the Nth MO's argument of inbound_mo, same meaning) and returns one row
-- per MO in the arrays' order, with inbound_mo's columns and meaning. Its
-- first statement does, for the whole group at once:
--  - the seen check: an MO whose (connection, messageId) is stored
--    already is a duplicate (o_message 0, o_queued -1, the rest NULL, as
--    inbound_mo gives it);
--  - for the MOs that are the only ones of the group with their phone and
--    with their messageId: one INSERT into contacts for all of them (ON
--    CONFLICT DO NOTHING: a phone the store knows, or one a second writer
--    is adding at the same time, comes back without a row), then, for the
--    contacts that came back (new to the store, so with no session yet),
--    one INSERT each into sessions, messages and agent_queue, every row
--    joined to its MO by the key the insert before returned. A message
--    another writer stored since the seen check is skipped by its conflict
--    (messages_inbound_once) and the MO gives o_message 0 with its new
--    contact and session, as inbound_mo does in that case.
-- Every other MO (a known contact, a phone or messageId twice in the
-- group, a contact another writer added meanwhile) then goes through
-- inbound_mo, one call each in the group's order, so that two MOs of one
-- contact keep their order and the second of a messageId is a duplicate.
-- Those MOs share no contact, session or message with the ones stored set
-- by set, so doing those first changes nothing but the order of ids.
--
-- The contacts are inserted in the order of their phones: two writers
-- adding the same new phones then meet them in the same order, and one
-- waits for the other instead of each waiting for the other. No
-- savepoint, as in 020: a failure aborts the writer's transaction, which
-- then stores the group's bodies one by one (common/domain/writer.c).
-- SQLite runs the steps one by one (sql/028-inbound-set.sql is empty).
CREATE OR REPLACE FUNCTION inbound_group(p_conn text[], p_infobip_id text[],
    p_phone text[], p_agent bigint[], p_idle text[], p_uid text[],
    p_sender text[], p_recipient text[], p_text text[],
    p_received_at text[], p_price double precision[], p_currency text[],
    p_sms_count bigint[], p_queue_agent bigint[], OUT o_message bigint,
    OUT o_contact bigint, OUT o_opted_out bigint, OUT o_session bigint,
    OUT o_queued integer)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
	-- What the set-based statement gave, by the MO's place in the
	-- arrays; d_queued NULL: left to inbound_mo.
	d_message bigint[];
	d_contact bigint[];
	d_opted_out bigint[];
	d_session bigint[];
	d_queued integer[];
	i integer;
BEGIN
	WITH a AS (SELECT * FROM ROWS FROM (unnest(p_conn),
	    unnest(p_infobip_id), unnest(p_phone), unnest(p_agent),
	    unnest(p_uid), unnest(p_sender), unnest(p_recipient),
	    unnest(p_text), unnest(p_received_at), unnest(p_price),
	    unnest(p_currency), unnest(p_sms_count), unnest(p_queue_agent))
	    WITH ORDINALITY AS a(conn, infobip_id, phone, agent, uid, sender,
	    recipient, body, received_at, price, currency, sms_count,
	    queue_agent, n)),
	k AS (SELECT a.*, x.seen IS NOT NULL AS seen,
	    count(*) OVER (PARTITION BY a.phone) = 1
	    AND count(*) OVER (PARTITION BY a.conn, a.infobip_id) = 1 AS alone
	    FROM a LEFT JOIN LATERAL (SELECT true AS seen FROM messages m
	    WHERE m.connection_id = a.conn AND m.infobip_id = a.infobip_id
	    AND m.direction = 'in' LIMIT 1) x ON true),
	c AS (INSERT INTO contacts (phone)
	    SELECT k.phone FROM k WHERE k.alone AND NOT k.seen ORDER BY k.phone
	    ON CONFLICT (phone) DO NOTHING RETURNING id, phone, opted_out),
	s AS (INSERT INTO sessions (connection_id, contact_id, agent_id)
	    SELECT k.conn, c.id, NULLIF(k.agent, 0) FROM c
	    JOIN k ON k.phone = c.phone ORDER BY k.n
	    RETURNING id, contact_id, responsible = 'ai' AS ai),
	m AS (INSERT INTO messages (uid, connection_id, session_id,
	    contact_id, direction, author, sender, recipient, text,
	    infobip_id, status, received_at, price, currency, sms_count)
	    SELECT k.uid, k.conn, s.id, s.contact_id, 'in', 'customer',
	    k.sender, k.recipient, k.body, k.infobip_id, 'received',
	    k.received_at, k.price, k.currency, k.sms_count
	    FROM s JOIN c ON c.id = s.contact_id JOIN k ON k.phone = c.phone
	    ORDER BY k.n
	    ON CONFLICT (connection_id, infobip_id) WHERE direction = 'in'
	    DO NOTHING RETURNING id, session_id),
	q AS (INSERT INTO agent_queue (message_id, session_id, agent_id)
	    SELECT m.id, m.session_id, k.queue_agent
	    FROM m JOIN s ON s.id = m.session_id
	    JOIN c ON c.id = s.contact_id JOIN k ON k.phone = c.phone
	    WHERE k.queue_agent <> 0 AND c.opted_out = 0 AND s.ai
	    RETURNING message_id)
	SELECT array_agg(CASE WHEN k.seen THEN 0 ELSE COALESCE(m.id, 0) END
	    ORDER BY k.n),
	    array_agg(c.id ORDER BY k.n), array_agg(c.opted_out ORDER BY k.n),
	    array_agg(s.id ORDER BY k.n),
	    array_agg(CASE WHEN k.seen THEN -1 WHEN c.id IS NULL THEN NULL
	    WHEN m.id IS NULL OR k.queue_agent = 0 THEN -1
	    WHEN q.message_id IS NOT NULL THEN 1 ELSE 0 END ORDER BY k.n)
	    INTO d_message, d_contact, d_opted_out, d_session, d_queued
	    FROM k LEFT JOIN c ON c.phone = k.phone AND k.alone AND NOT k.seen
	    LEFT JOIN s ON s.contact_id = c.id
	    LEFT JOIN m ON m.session_id = s.id
	    LEFT JOIN q ON q.message_id = m.id;

	FOR i IN 1 .. coalesce(array_length(p_conn, 1), 0) LOOP
		IF d_queued[i] IS NULL THEN
			SELECT r.o_message, r.o_contact, r.o_opted_out,
			    r.o_session, r.o_queued
			    INTO o_message, o_contact, o_opted_out,
			    o_session, o_queued
			    FROM inbound_mo(p_conn[i], p_infobip_id[i],
			    p_phone[i], p_agent[i], p_idle[i], p_uid[i],
			    p_sender[i], p_recipient[i], p_text[i],
			    p_received_at[i], p_price[i], p_currency[i],
			    p_sms_count[i], p_queue_agent[i]) r;
		ELSE
			o_message := d_message[i];
			o_contact := d_contact[i];
			o_opted_out := d_opted_out[i];
			o_session := d_session[i];
			o_queued := d_queued[i];
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION inbound_group(text[], text[], text[], bigint[], text[],
    text[], text[], text[], text[], text[], double precision[], text[],
    bigint[], bigint[]) IS
    'Stores a group of inbound messages, new contacts set by set and the rest through inbound_mo (sql/pg/028-inbound-set.sql says how).';

UPDATE schema_version SET version = 28;
