-- Version 2: a send whose outcome is unknown is settled from Infobip's logs
-- before anything is sent again, and waits for an operator when the logs
-- cannot tell. The outbox is rebuilt (not altered) so that .schema keeps a
-- comment on every column; nothing refers to it, and its rows are kept.

ALTER TABLE outbox RENAME TO outbox_v1;

CREATE TABLE outbox ( -- What the sender must send: one row per outbound message until Infobip has answered for it, or an operator settled it.
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, -- the message
	attempts INTEGER NOT NULL DEFAULT 0, -- times a sender claimed it (each a send or a lookup in Infobip's logs)
	next_attempt_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- not before this time
	lease_owner TEXT,                   -- sender process that claimed it ('host:pid:start')
	lease_until TEXT,                   -- the claim lapses at this time
	priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1)), -- 1: goes out even to an opted-out contact (the STOP confirmation, HELP replies)
	last_error TEXT NOT NULL DEFAULT '', -- the last transient error, or why it waits for an operator
	unsure_since TEXT,                  -- NULL, or when the send whose outcome is unknown ended (timeout, broken connection, 5xx, unreadable answer; a lapsed lease counts from its end); it is looked up in Infobip's logs before any new send
	not_found INTEGER NOT NULL DEFAULT 0, -- lookups since unsure_since that did not find it in Infobip's logs; sent again only after two, the last one unsure_resend_after_seconds after unsure_since
	held_since TEXT                     -- NULL while the sender works on it; else when the sender stopped (Infobip's logs cannot be read, or its retries ran out) and left it to an operator: ibchannel outbox resend|fail
);

INSERT INTO outbox (message_id, attempts, next_attempt_at, lease_owner,
    lease_until, priority, last_error)
SELECT message_id, attempts, next_attempt_at, lease_owner, lease_until,
    priority, last_error FROM outbox_v1;

DROP TABLE outbox_v1;

CREATE INDEX outbox_due ON outbox(next_attempt_at);
