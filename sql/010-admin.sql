-- Version 10: what the admin's pages read, kept fast at a million messages
-- and a hundred thousand sessions. The lists page on indexed keys (keyset
-- pagination, never OFFSET); the dashboard reads a per-day rollup that the
-- sender refreshes every minute, instead of counting every message of the
-- window on each view. (Triggers on messages kept it exact, but cost every
-- webhook insert and every status change a third of its time.)

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

CREATE TABLE message_daily ( -- Dashboard rollup: messages per connection and day, recomputed for the last days by the sender every minute; never edit by hand.
	connection_id TEXT NOT NULL,        -- the connection (its messages stay when it is deleted, and so does this row)
	day TEXT NOT NULL,                  -- UTC day of the messages' created_at, 'YYYY-MM-DD'
	received INTEGER NOT NULL DEFAULT 0, -- inbound messages
	sent INTEGER NOT NULL DEFAULT 0,    -- outbound messages, whatever became of them
	delivered INTEGER NOT NULL DEFAULT 0, -- outbound messages whose status is delivered
	not_delivered INTEGER NOT NULL DEFAULT 0, -- outbound messages undeliverable, expired, rejected or failed
	spend REAL NOT NULL DEFAULT 0,      -- sum of price times segments over outbound messages with a reported price
	currency TEXT NOT NULL DEFAULT '',  -- currency of spend (the last one reported that day)
	refreshed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when this row was last recomputed from the messages
	PRIMARY KEY (connection_id, day)
);

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
