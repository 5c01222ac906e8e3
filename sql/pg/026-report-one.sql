-- Version 26: one delivery report applied in one statement. A report took
-- four round trips or more on the writer's one connection (its message
-- found and locked, its event kept, the message's status moved, its outbox
-- row removed), so a body of 100 reports took 400. Here they are one call,
-- the same steps in the same order (common/store/store_msg.c's statements
-- as common/store/db_pg_sql.c writes them), and the reports of a body are
-- one statement of such calls (STMT_REPORT_GROUP). As with inbound_mo
-- (020), there is no savepoint: a failure aborts the writer's transaction,
-- which then stores its group again without the failing request. SQLite
-- runs the steps one by one (sql/026-report-one.sql is empty).
--
-- Arguments: the connection, the message's uid (Infobip's messageId), our
-- status, Infobip's group, name and description of it, the error's name
-- and description (these six '' when absent), the bulk id, price,
-- currency, sms_count, sent_at and done_at (NULL when absent), and the
-- report as received.
-- Result, one row: o_result 0 a duplicate (this report was kept before:
-- nothing done), 1 applied (or older than the message's status), 2 kept
-- for later (the connection has no such message yet), 3 applied over the
-- 'failed' we had marked ourselves: then o_recipient and o_was (the
-- message's status_description before) are for the connection's log.
-- o_message is the message's id (0 when there is none).
CREATE OR REPLACE FUNCTION report_apply(p_conn text, p_uid text,
    p_status text, p_group text, p_name text, p_description text,
    p_error_name text, p_error_description text, p_bulk_id text,
    p_price double precision, p_currency text, p_sms_count bigint,
    p_sent_at text, p_done_at text, p_raw text, OUT o_result integer,
    OUT o_message bigint, OUT o_recipient text, OUT o_was text)
LANGUAGE plpgsql AS $$
DECLARE
	now_text text := to_char(statement_timestamp() AT TIME ZONE 'UTC',
	    'YYYY-MM-DD HH24:MI:SS.MS');
	rank_new integer := CASE p_status WHEN 'received' THEN 0
	    WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'accepted' THEN 2
	    WHEN 'failed' THEN 3 ELSE 4 END;
BEGIN
	o_result := 0;
	o_message := 0;
	-- Locked before the event is kept, as STMT_MSG_FIND_OUT says why.
	SELECT id INTO o_message FROM messages WHERE connection_id = p_conn
	    AND uid = p_uid AND direction = 'out' FOR UPDATE;
	IF NOT FOUND THEN
		o_message := 0;
	END IF;

	INSERT INTO message_events (connection_id, message_uid, message_id,
	    kind, applied, status, status_group, status_name,
	    status_description, error_name, error_description, bulk_id, price,
	    currency, sms_count, sent_at, done_at, raw, event_key)
	    VALUES (p_conn, p_uid, NULLIF(o_message, 0), 'report',
	    (o_message <> 0)::integer, p_status, p_group, p_name,
	    p_description, p_error_name, p_error_description, p_bulk_id,
	    p_price, p_currency, p_sms_count, p_sent_at, p_done_at, p_raw,
	    p_status || '|' || p_group || '|' || p_name || '|' ||
	    COALESCE(p_done_at, ''))
	    ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN;		-- kept before: applied then
	END IF;
	IF o_message = 0 THEN
		o_result := 2;
		RETURN;
	END IF;

	o_result := 1;
	UPDATE messages SET status = p_status, status_group = p_group,
	    status_name = p_name, status_description = p_description,
	    error_name = p_error_name, error_description = p_error_description,
	    bulk_id = COALESCE(p_bulk_id, bulk_id),
	    price = COALESCE(p_price, price),
	    currency = COALESCE(p_currency, currency),
	    sms_count = COALESCE(p_sms_count, sms_count),
	    sent_at = COALESCE(sent_at, p_sent_at),
	    done_at = COALESCE(p_done_at, done_at), updated_at = now_text
	    WHERE id = o_message AND (CASE status WHEN 'received' THEN 0
	    WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'accepted' THEN 2
	    WHEN 'failed' THEN 3 ELSE 4 END) < 3 AND (CASE status
	    WHEN 'received' THEN 0 WHEN 'queued' THEN 0 WHEN 'sending' THEN 1
	    WHEN 'accepted' THEN 2 WHEN 'failed' THEN 3 ELSE 4 END) <= rank_new;
	IF NOT FOUND AND rank_new = 4 THEN
		-- A final report on a message we marked failed: it is the truth.
		SELECT recipient, status_description INTO o_recipient, o_was
		    FROM messages WHERE id = o_message AND status = 'failed';
		IF FOUND THEN
			UPDATE messages SET status = p_status,
			    status_group = p_group, status_name = p_name,
			    status_description = p_description,
			    error_name = p_error_name,
			    error_description = p_error_description,
			    bulk_id = COALESCE(p_bulk_id, bulk_id),
			    price = COALESCE(p_price, price),
			    currency = COALESCE(p_currency, currency),
			    sms_count = COALESCE(p_sms_count, sms_count),
			    sent_at = COALESCE(sent_at, p_sent_at),
			    done_at = COALESCE(p_done_at, done_at),
			    updated_at = now_text
			    WHERE id = o_message AND status = 'failed';
			IF FOUND THEN
				o_result := 3;
			END IF;
		END IF;
	END IF;
	-- Infobip has the message: it leaves the outbox.
	DELETE FROM outbox WHERE message_id = o_message;
END
$$;
COMMENT ON FUNCTION report_apply(text, text, text, text, text, text, text,
    text, text, double precision, text, bigint, text, text, text) IS
    'Applies one delivery report in one statement (sql/pg/026-report-one.sql says how).';

UPDATE schema_version SET version = 26;
