-- Version 28: a group of inbound messages (MOs) stored set by set. The
-- writer of inbound.fcgi sends the MOs of a group as one statement
-- (STMT_INBOUND_GROUP); up to 027 that statement ran inbound_mo once per
-- MO, and each call started and ended the executors of its own
-- statements (the seen check, then the WITH that stores a new contact's
-- four rows), each opening four tables and their indexes anew and
-- reading their check constraints again. Counted with callgrind on a
-- single-user backend, that was most of the backend's work for a new
-- contact: about 1,050k instructions per MO in groups of 4, 990k in
-- groups of 16; here 765k and 577k. A group of duplicates costs less too
-- (121k per MO against 155k in groups of 4).
--
-- inbound_group takes the group as arrays (element N of each is MO N's
-- argument of inbound_mo, with the same meaning) and returns one row per
-- MO, with inbound_mo's columns and meaning; STMT_INBOUND_GROUP reads
-- them in the arrays' order. Three steps:
--  1. One statement for the whole group: which MOs are stored already
--    (connection and messageId; each such MO is a duplicate: o_message
--    0, o_queued -1, the rest NULL, as inbound_mo gives it), and which
--    of the others are the only ones of the group with their phone and
--    their messageId: those are stored set by set.
--  2. Only when there are such MOs: one statement with one INSERT per
--    table for all of them. Contacts first (ON CONFLICT DO NOTHING: a
--    phone the store knows, or one a second writer is adding at this
--    moment, comes back without a row, and its MO is left to step 3);
--    for each contact that came back, new to the store and so with no
--    session to look for, its session, its message and, when the caller
--    asks and the session is the AI's, its queue entry, each row found
--    again by the key the insert before returned (the phone, the
--    contact's id, the session's id, the message's uid: each is the only
--    one of its kind in the group). A message another writer stored
--    since step 1 is skipped by its conflict (messages_inbound_once): the
--    MO gives o_message 0 and o_queued -1 with its new contact and
--    session, as inbound_mo does in that case.
--  3. Every MO left (a known contact, a phone or messageId twice in the
--    group, a contact another writer added meanwhile) goes through
--    inbound_mo, one call each in the arrays' order: two MOs of one
--    contact keep their order, and the second of a messageId is a
--    duplicate. They share no contact, session or message with the MOs of
--    step 2, so that storing those first changes only the order of ids.
-- The contacts of step 2 are inserted in the order of their phones: two
-- writers adding the same new phones meet them in the same order, so
-- that one waits for the other rather than each for the other. The new
-- rows' times are written as the schema's defaults would write them,
-- formatted once. No savepoint, as in 020: a failure aborts the writer's
-- transaction, which then stores the group's bodies one by one
-- (common/domain/writer.c). SQLite runs the steps one by one
-- (sql/028-inbound-set.sql is empty). tests/e2e/test_pg_inbound_group.py
-- stores the same groups both ways and compares every row.
CREATE OR REPLACE FUNCTION inbound_group(p_conn text[], p_infobip_id text[],
    p_phone text[], p_agent bigint[], p_idle text[], p_uid text[],
    p_sender text[], p_recipient text[], p_text text[],
    p_received_at text[], p_price double precision[], p_currency text[],
    p_sms_count bigint[], p_queue_agent bigint[], OUT o_message bigint,
    OUT o_contact bigint, OUT o_opted_out bigint, OUT o_session bigint,
    OUT o_queued integer)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
	-- By the MO's place in the arrays: whether it was stored already,
	-- and what the set-based statement gave (d_queued NULL: left to
	-- inbound_mo).
	d_seen boolean[];
	d_message bigint[];
	d_contact bigint[];
	d_opted_out bigint[];
	d_session bigint[];
	d_queued integer[];
	-- The places of the MOs to store set by set.
	fresh integer[];
	-- The rows' times, the schema's default for each (formatted once
	-- here rather than six times per MO).
	now_text text;
	i integer;
BEGIN
	SELECT array_agg(k.seen), array_agg(k.n) FILTER (WHERE k.alone
	    AND NOT k.seen) INTO d_seen, fresh
	    FROM (SELECT g.n, (SELECT true FROM messages m
	    WHERE m.connection_id = p_conn[g.n]
	    AND m.infobip_id = p_infobip_id[g.n] AND m.direction = 'in'
	    LIMIT 1) IS NOT NULL AS seen,
	    array_position(p_phone, p_phone[g.n]) = g.n
	    AND array_position(p_phone, p_phone[g.n], g.n + 1) IS NULL
	    AND array_position(p_infobip_id, p_infobip_id[g.n]) = g.n
	    AND array_position(p_infobip_id, p_infobip_id[g.n], g.n + 1) IS NULL
	    AS alone FROM generate_subscripts(p_conn, 1) AS g(n) ORDER BY g.n) k;

	IF fresh IS NOT NULL THEN
		now_text := to_char(statement_timestamp() AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS.MS');
		WITH c AS (INSERT INTO contacts (phone, created_at)
		    SELECT p_phone[f.n], now_text FROM unnest(fresh) AS f(n)
		    ORDER BY 1
		    ON CONFLICT (phone) DO NOTHING RETURNING id, phone, opted_out),
		s AS (INSERT INTO sessions (connection_id, contact_id, agent_id,
		    started_at, last_at)
		    SELECT p_conn[x.n], x.id, NULLIF(p_agent[x.n], 0), now_text,
		    now_text
		    FROM (SELECT c.id, array_position(p_phone, c.phone) AS n
		    FROM c OFFSET 0) x
		    RETURNING id, contact_id, responsible = 'ai' AS ai),
		m AS (INSERT INTO messages (uid, connection_id, session_id,
		    contact_id, direction, author, sender, recipient, text,
		    infobip_id, status, received_at, price, currency, sms_count,
		    created_at, updated_at)
		    SELECT p_uid[x.n], p_conn[x.n], x.id, x.contact_id, 'in',
		    'customer', p_sender[x.n], p_recipient[x.n], p_text[x.n],
		    p_infobip_id[x.n], 'received', p_received_at[x.n],
		    p_price[x.n], p_currency[x.n], p_sms_count[x.n], now_text,
		    now_text
		    FROM (SELECT s.id, s.contact_id,
		    array_position(p_phone, c.phone) AS n
		    FROM s JOIN c ON c.id = s.contact_id OFFSET 0) x
		    ON CONFLICT (connection_id, infobip_id) WHERE direction = 'in'
		    DO NOTHING RETURNING id, session_id, uid),
		q AS (INSERT INTO agent_queue (message_id, session_id, agent_id,
		    queued_at)
		    SELECT x.id, x.session_id, p_queue_agent[x.n], now_text
		    FROM (SELECT m.id, m.session_id,
		    array_position(p_uid, m.uid) AS n FROM m
		    JOIN s ON s.id = m.session_id JOIN c ON c.id = s.contact_id
		    WHERE s.ai AND c.opted_out = 0 OFFSET 0) x
		    WHERE p_queue_agent[x.n] <> 0
		    RETURNING message_id)
		SELECT array_agg(r.msg), array_agg(r.contact),
		    array_agg(r.opted_out), array_agg(r.session),
		    array_agg(r.queued)
		    INTO d_message, d_contact, d_opted_out, d_session, d_queued
		    FROM (SELECT COALESCE(m.id, 0) AS msg, c.id AS contact,
		    c.opted_out, s.id AS session,
		    CASE WHEN c.id IS NULL THEN NULL
		    WHEN m.id IS NULL OR p_queue_agent[g.n] = 0 THEN -1
		    WHEN q.message_id IS NOT NULL THEN 1 ELSE 0 END AS queued
		    FROM generate_subscripts(p_conn, 1) AS g(n)
		    LEFT JOIN c ON c.phone = p_phone[g.n]
		    LEFT JOIN s ON s.contact_id = c.id
		    LEFT JOIN m ON m.session_id = s.id
		    LEFT JOIN q ON q.message_id = m.id ORDER BY g.n) r;
	END IF;

	FOR i IN 1 .. coalesce(array_length(p_conn, 1), 0) LOOP
		IF d_seen[i] THEN
			o_message := 0;
			o_contact := NULL;
			o_opted_out := NULL;
			o_session := NULL;
			o_queued := -1;
		ELSIF d_queued[i] IS NOT NULL THEN
			o_message := d_message[i];
			o_contact := d_contact[i];
			o_opted_out := d_opted_out[i];
			o_session := d_session[i];
			o_queued := d_queued[i];
		ELSE
			SELECT r.o_message, r.o_contact, r.o_opted_out,
			    r.o_session, r.o_queued
			    INTO o_message, o_contact, o_opted_out,
			    o_session, o_queued
			    FROM inbound_mo(p_conn[i], p_infobip_id[i],
			    p_phone[i], p_agent[i], p_idle[i], p_uid[i],
			    p_sender[i], p_recipient[i], p_text[i],
			    p_received_at[i], p_price[i], p_currency[i],
			    p_sms_count[i], p_queue_agent[i]) r;
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
