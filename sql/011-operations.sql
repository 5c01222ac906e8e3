-- Version 11: what operating the installation needs. The sender leaves a
-- heartbeat for /health and /admin/metrics; retention removes old messages
-- and events, and each removed message makes SQLite look for the rows that
-- refer to it: without an index on the referring column that look-up reads
-- the whole table once per message.
CREATE TABLE heartbeats ( -- When a part of the installation last showed it works: 'sender' (its loop, at most every few seconds), 'health' (the last /health write check).
	name TEXT PRIMARY KEY,              -- which part: 'sender' or 'health'
	at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when it last did
);
CREATE INDEX message_events_message ON message_events(message_id) -- Retention: the events of a removed message are found, not scanned for
;
CREATE INDEX campaign_recipients_message ON campaign_recipients(message_id) -- Retention: the recipient row of a removed message is found, not scanned for
;
