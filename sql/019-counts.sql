-- Version 19: the admin's figures kept as the rows change, so that no page
-- and no /admin/metrics scrape counts the messages or a campaign's
-- recipients. Triggers keep each count in the transaction that changes the
-- row, so a count is exact at every commit. On SQLite the trigger adds to
-- the count itself (one writer at a time); on PostgreSQL, where writers run
-- at once and would wait on each other's count rows (or deadlock, taking
-- them in different orders), the trigger appends a change to a *_deltas
-- table and the sender folds the changes into the counts about once a
-- second. A reader sums the counts and the changes not yet folded, which
-- on SQLite are always none.
CREATE TABLE message_counts ( -- Messages in the store by direction and status (what /admin/metrics shows)
	direction TEXT NOT NULL,            -- 'in' or 'out'
	status TEXT NOT NULL,               -- a message status (messages.status)
	n INTEGER NOT NULL DEFAULT 0,       -- messages with that direction and status now
	PRIMARY KEY (direction, status)
) WITHOUT ROWID;
CREATE TABLE message_count_deltas ( -- PostgreSQL: changes to message_counts not yet folded into it (always empty on SQLite)
	direction TEXT NOT NULL,            -- as in message_counts
	status TEXT NOT NULL,               -- as in message_counts
	n INTEGER NOT NULL                  -- +1 or -1
);
CREATE TABLE campaign_counts ( -- A campaign's recipients by status (its page's progress and the campaigns list)
	campaign_id INTEGER NOT NULL,       -- the campaign (no foreign key: the count is written with every recipient change, and campaigns are never deleted)
	status TEXT NOT NULL,               -- a recipient status (campaign_recipients.status)
	n INTEGER NOT NULL DEFAULT 0,       -- its recipients in that status now
	PRIMARY KEY (campaign_id, status)
) WITHOUT ROWID;
CREATE TABLE campaign_count_deltas ( -- PostgreSQL: changes to campaign_counts not yet folded into it (always empty on SQLite)
	campaign_id INTEGER NOT NULL,       -- as in campaign_counts
	status TEXT NOT NULL,               -- as in campaign_counts
	n INTEGER NOT NULL                  -- +1 or -1
);
CREATE INDEX campaign_count_deltas_campaign ON campaign_count_deltas(campaign_id) -- A campaign's changes not yet folded
;
CREATE TABLE campaign_minutes ( -- A campaign's "Over time" chart: its sent, delivered, failed and replied recipients by the minute of their last change
	campaign_id INTEGER NOT NULL,       -- the campaign
	minute TEXT NOT NULL,               -- 'YYYY-MM-DD HH:MM' UTC: the recipients' updated_at, cut to the minute
	status TEXT NOT NULL,               -- 'sent', 'delivered', 'failed' or 'replied'
	n INTEGER NOT NULL DEFAULT 0,       -- recipients in that status whose last change fell in that minute
	PRIMARY KEY (campaign_id, minute, status)
) WITHOUT ROWID;
CREATE TABLE campaign_minute_deltas ( -- PostgreSQL: changes to campaign_minutes not yet folded into it (always empty on SQLite)
	campaign_id INTEGER NOT NULL,       -- as in campaign_minutes
	minute TEXT NOT NULL,               -- as in campaign_minutes
	status TEXT NOT NULL,               -- as in campaign_minutes
	n INTEGER NOT NULL                  -- +1 or -1
);
CREATE INDEX campaign_minute_deltas_campaign ON campaign_minute_deltas(campaign_id) -- A campaign's changes not yet folded
;

-- Every direction and status has its row, so the triggers only update.
INSERT INTO message_counts (direction, status, n)
SELECT d.direction, s.status, 0 FROM (SELECT 'in' AS direction UNION ALL SELECT 'out') d,
    (SELECT 'received' AS status UNION ALL SELECT 'queued' UNION ALL SELECT 'sending'
    UNION ALL SELECT 'accepted' UNION ALL SELECT 'delivered' UNION ALL SELECT 'undeliverable'
    UNION ALL SELECT 'expired' UNION ALL SELECT 'rejected' UNION ALL SELECT 'failed') s;
-- The store's rows as they are now.
UPDATE message_counts SET n = (SELECT COUNT(*) FROM messages m
    WHERE m.direction = message_counts.direction AND m.status = message_counts.status);
INSERT INTO campaign_counts (campaign_id, status, n)
SELECT campaign_id, status, COUNT(*) FROM campaign_recipients GROUP BY 1, 2;
INSERT INTO campaign_minutes (campaign_id, minute, status, n)
SELECT campaign_id, substr(updated_at, 1, 16), status, COUNT(*) FROM campaign_recipients
WHERE status IN ('sent', 'delivered', 'failed', 'replied') GROUP BY 1, 2, 3;

CREATE TRIGGER message_counts_insert AFTER INSERT ON messages
BEGIN
	UPDATE message_counts SET n = n + 1
	WHERE direction = NEW.direction AND status = NEW.status;
END;
CREATE TRIGGER message_counts_update AFTER UPDATE OF status ON messages
WHEN NEW.status <> OLD.status
BEGIN
	UPDATE message_counts SET n = n + CASE WHEN status = NEW.status THEN 1 ELSE -1 END
	WHERE direction = NEW.direction AND status IN (OLD.status, NEW.status);
END;
CREATE TRIGGER message_counts_delete AFTER DELETE ON messages
BEGIN
	UPDATE message_counts SET n = n - 1
	WHERE direction = OLD.direction AND status = OLD.status;
END;

CREATE TRIGGER campaign_counts_insert AFTER INSERT ON campaign_recipients
BEGIN
	INSERT INTO campaign_counts (campaign_id, status, n) VALUES (NEW.campaign_id, NEW.status, 1)
	ON CONFLICT (campaign_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER campaign_counts_update AFTER UPDATE OF status ON campaign_recipients
WHEN NEW.status <> OLD.status
BEGIN
	UPDATE campaign_counts SET n = n - 1
	WHERE campaign_id = OLD.campaign_id AND status = OLD.status;
	INSERT INTO campaign_counts (campaign_id, status, n) VALUES (NEW.campaign_id, NEW.status, 1)
	ON CONFLICT (campaign_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER campaign_counts_delete AFTER DELETE ON campaign_recipients
BEGIN
	UPDATE campaign_counts SET n = n - 1
	WHERE campaign_id = OLD.campaign_id AND status = OLD.status;
END;

CREATE TRIGGER campaign_minutes_insert AFTER INSERT ON campaign_recipients
WHEN NEW.status IN ('sent', 'delivered', 'failed', 'replied')
BEGIN
	INSERT INTO campaign_minutes (campaign_id, minute, status, n)
	VALUES (NEW.campaign_id, substr(NEW.updated_at, 1, 16), NEW.status, 1)
	ON CONFLICT (campaign_id, minute, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER campaign_minutes_update AFTER UPDATE OF status, updated_at ON campaign_recipients
WHEN (OLD.status IN ('sent', 'delivered', 'failed', 'replied')
    OR NEW.status IN ('sent', 'delivered', 'failed', 'replied'))
    AND (NEW.status <> OLD.status OR substr(NEW.updated_at, 1, 16) <> substr(OLD.updated_at, 1, 16))
BEGIN
	UPDATE campaign_minutes SET n = n - 1
	WHERE OLD.status IN ('sent', 'delivered', 'failed', 'replied') AND campaign_id = OLD.campaign_id
	    AND minute = substr(OLD.updated_at, 1, 16) AND status = OLD.status;
	INSERT INTO campaign_minutes (campaign_id, minute, status, n)
	SELECT NEW.campaign_id, substr(NEW.updated_at, 1, 16), NEW.status, 1
	WHERE NEW.status IN ('sent', 'delivered', 'failed', 'replied')
	ON CONFLICT (campaign_id, minute, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER campaign_minutes_delete AFTER DELETE ON campaign_recipients
WHEN OLD.status IN ('sent', 'delivered', 'failed', 'replied')
BEGIN
	UPDATE campaign_minutes SET n = n - 1
	WHERE campaign_id = OLD.campaign_id AND minute = substr(OLD.updated_at, 1, 16)
	    AND status = OLD.status;
END;

CREATE INDEX sessions_closed_last ON sessions(last_at) WHERE closed_at IS NOT NULL -- Sessions page filtered to closed sessions, latest activity first
;

CREATE INDEX campaign_recipients_status ON campaign_recipients(campaign_id, status, id) -- A campaign's page filtered by status, in import order
;
