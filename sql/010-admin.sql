-- Version 10: what the admin's pages read, kept fast at a million messages
-- and a hundred thousand sessions. The lists page on indexed keys (keyset
-- pagination, never OFFSET); the dashboard reads a per-day rollup that
-- triggers keep, instead of counting every message of the window on each
-- view.

-- Session list filters: each filter is the leading column of an index
-- whose second column is the list's order, so a page reads its rows and
-- stops.
CREATE INDEX sessions_connection_last ON sessions(connection_id, last_at) -- Sessions page filtered by connection, latest activity first
;
CREATE INDEX sessions_contact_last ON sessions(contact_id, last_at) -- Sessions page filtered by contact, latest activity first
;
CREATE INDEX sessions_open_last ON sessions(last_at) WHERE closed_at IS NULL -- Sessions page filtered to active sessions, latest activity first
;
-- The connection's Logs, filtered by level or by event, newest first.
CREATE INDEX logs_connection_level ON logs(connection_id, level, id) -- Logs filtered by level, newest first
;
CREATE INDEX logs_connection_event ON logs(connection_id, event, id) -- Logs filtered by event (also the balance seen at the last Start), newest first
;

CREATE TABLE message_daily ( -- Dashboard rollup: messages per connection and day, kept by triggers on messages; never edit by hand.
	connection_id TEXT NOT NULL,        -- the connection (its messages stay when it is deleted, and so does this row)
	day TEXT NOT NULL,                  -- UTC day of the messages' created_at, 'YYYY-MM-DD'
	received INTEGER NOT NULL DEFAULT 0, -- inbound messages
	sent INTEGER NOT NULL DEFAULT 0,    -- outbound messages, whatever became of them
	delivered INTEGER NOT NULL DEFAULT 0, -- outbound messages whose status is delivered
	not_delivered INTEGER NOT NULL DEFAULT 0, -- outbound messages undeliverable, expired, rejected or failed
	spend REAL NOT NULL DEFAULT 0,      -- sum of price times segments over outbound messages with a reported price
	currency TEXT NOT NULL DEFAULT '',  -- currency of spend (the last one reported that day)
	PRIMARY KEY (connection_id, day)
);

-- What one message adds to its day: the triggers add it on insert, move
-- it on a change of status or price, and take it away on delete.
CREATE TRIGGER message_daily_insert AFTER INSERT ON messages -- Dashboard rollup: counts a new message on its day
BEGIN
	INSERT INTO message_daily (connection_id, day, received, sent,
	    delivered, not_delivered, spend, currency)
	VALUES (new.connection_id, substr(new.created_at, 1, 10),
	    new.direction = 'in', new.direction = 'out',
	    new.direction = 'out' AND new.status = 'delivered',
	    new.direction = 'out' AND new.status IN ('undeliverable', 'expired', 'rejected', 'failed'),
	    CASE WHEN new.direction = 'out' THEN COALESCE(new.price * COALESCE(new.sms_count, 1), 0) ELSE 0 END,
	    COALESCE(new.currency, ''))
	ON CONFLICT (connection_id, day) DO UPDATE SET
	    received = received + excluded.received,
	    sent = sent + excluded.sent,
	    delivered = delivered + excluded.delivered,
	    not_delivered = not_delivered + excluded.not_delivered,
	    spend = spend + excluded.spend,
	    currency = CASE WHEN excluded.currency <> '' THEN excluded.currency ELSE currency END;
END;
CREATE TRIGGER message_daily_update AFTER UPDATE OF status, price, sms_count ON messages -- Dashboard rollup: moves a message's counts when its status or price changes
WHEN new.direction = 'out' AND (old.status IS NOT new.status OR old.price IS NOT new.price OR old.sms_count IS NOT new.sms_count)
BEGIN
	UPDATE message_daily SET
	    delivered = delivered + (new.status = 'delivered') - (old.status = 'delivered'),
	    not_delivered = not_delivered
	        + (new.status IN ('undeliverable', 'expired', 'rejected', 'failed'))
	        - (old.status IN ('undeliverable', 'expired', 'rejected', 'failed')),
	    spend = spend + COALESCE(new.price * COALESCE(new.sms_count, 1), 0)
	        - COALESCE(old.price * COALESCE(old.sms_count, 1), 0),
	    currency = CASE WHEN new.currency IS NOT NULL AND new.currency <> '' THEN new.currency ELSE currency END
	WHERE connection_id = new.connection_id AND day = substr(new.created_at, 1, 10);
END;
CREATE TRIGGER message_daily_delete AFTER DELETE ON messages -- Dashboard rollup: takes a deleted message off its day
BEGIN
	UPDATE message_daily SET
	    received = received - (old.direction = 'in'),
	    sent = sent - (old.direction = 'out'),
	    delivered = delivered - (old.direction = 'out' AND old.status = 'delivered'),
	    not_delivered = not_delivered - (old.direction = 'out' AND old.status IN ('undeliverable', 'expired', 'rejected', 'failed')),
	    spend = spend - CASE WHEN old.direction = 'out' THEN COALESCE(old.price * COALESCE(old.sms_count, 1), 0) ELSE 0 END
	WHERE connection_id = old.connection_id AND day = substr(old.created_at, 1, 10);
END;

-- The messages already stored, counted once.
INSERT INTO message_daily (connection_id, day, received, sent, delivered,
    not_delivered, spend, currency)
SELECT connection_id, substr(created_at, 1, 10),
    SUM(direction = 'in'), SUM(direction = 'out'),
    SUM(direction = 'out' AND status = 'delivered'),
    SUM(direction = 'out' AND status IN ('undeliverable', 'expired', 'rejected', 'failed')),
    SUM(CASE WHEN direction = 'out' THEN COALESCE(price * COALESCE(sms_count, 1), 0) ELSE 0 END),
    COALESCE(MAX(currency), '')
FROM messages GROUP BY connection_id, substr(created_at, 1, 10);
