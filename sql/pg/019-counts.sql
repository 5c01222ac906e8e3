-- Version 19: the admin's figures kept as the rows change (see sql/019-counts.sql
-- for the whole story). The tables are SQLite's; the triggers differ: writers
-- run at once here, and a trigger adding to a count row would make every
-- writer wait for that row until the other commits (and two that take two
-- rows in different orders deadlock). So each trigger appends its change to
-- a *_deltas table, which takes no lock another writer wants, and the sender
-- folds the changes into the counts about once a second, one sender at a
-- time, in one statement per table (store_counts_fold). Readers sum the
-- counts and the changes not folded yet.
CREATE TABLE message_counts (
	direction text NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (direction, status)
);
COMMENT ON TABLE message_counts IS 'Messages in the store by direction and status (what /admin/metrics shows)';
COMMENT ON COLUMN message_counts.direction IS '''in'' or ''out''';
COMMENT ON COLUMN message_counts.status IS 'a message status (messages.status)';
COMMENT ON COLUMN message_counts.n IS 'messages with that direction and status, not counting message_count_deltas';
CREATE TABLE message_count_deltas (
	direction text NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL
);
COMMENT ON TABLE message_count_deltas IS 'Changes to message_counts the sender has not folded into it yet';
COMMENT ON COLUMN message_count_deltas.direction IS 'as in message_counts';
COMMENT ON COLUMN message_count_deltas.status IS 'as in message_counts';
COMMENT ON COLUMN message_count_deltas.n IS '+1 or -1';
CREATE TABLE campaign_counts (
	campaign_id bigint NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, status)
);
COMMENT ON TABLE campaign_counts IS 'A campaign''s recipients by status (its page''s progress and the campaigns list)';
COMMENT ON COLUMN campaign_counts.campaign_id IS 'the campaign (no foreign key: campaigns are never deleted)';
COMMENT ON COLUMN campaign_counts.status IS 'a recipient status (campaign_recipients.status)';
COMMENT ON COLUMN campaign_counts.n IS 'its recipients in that status, not counting campaign_count_deltas';
CREATE TABLE campaign_count_deltas (
	campaign_id bigint NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL
);
COMMENT ON TABLE campaign_count_deltas IS 'Changes to campaign_counts the sender has not folded into it yet';
COMMENT ON COLUMN campaign_count_deltas.campaign_id IS 'as in campaign_counts';
COMMENT ON COLUMN campaign_count_deltas.status IS 'as in campaign_counts';
COMMENT ON COLUMN campaign_count_deltas.n IS '+1 or -1';
CREATE INDEX campaign_count_deltas_campaign ON campaign_count_deltas(campaign_id);
COMMENT ON INDEX campaign_count_deltas_campaign IS 'A campaign''s changes not yet folded';
CREATE TABLE campaign_minutes (
	campaign_id bigint NOT NULL,
	minute text NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, minute, status)
);
COMMENT ON TABLE campaign_minutes IS 'A campaign''s "Over time" chart: its sent, delivered, failed and replied recipients by the minute of their last change';
COMMENT ON COLUMN campaign_minutes.campaign_id IS 'the campaign';
COMMENT ON COLUMN campaign_minutes.minute IS '''YYYY-MM-DD HH:MM'' UTC: the recipients'' updated_at, cut to the minute';
COMMENT ON COLUMN campaign_minutes.status IS '''sent'', ''delivered'', ''failed'' or ''replied''';
COMMENT ON COLUMN campaign_minutes.n IS 'recipients in that status whose last change fell in that minute, not counting campaign_minute_deltas';
CREATE TABLE campaign_minute_deltas (
	campaign_id bigint NOT NULL,
	minute text NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL
);
COMMENT ON TABLE campaign_minute_deltas IS 'Changes to campaign_minutes the sender has not folded into it yet';
COMMENT ON COLUMN campaign_minute_deltas.campaign_id IS 'as in campaign_minutes';
COMMENT ON COLUMN campaign_minute_deltas.minute IS 'as in campaign_minutes';
COMMENT ON COLUMN campaign_minute_deltas.status IS 'as in campaign_minutes';
COMMENT ON COLUMN campaign_minute_deltas.n IS '+1 or -1';
CREATE INDEX campaign_minute_deltas_campaign ON campaign_minute_deltas(campaign_id);
COMMENT ON INDEX campaign_minute_deltas_campaign IS 'A campaign''s changes not yet folded';

-- The store's rows as they are now.
INSERT INTO message_counts (direction, status, n)
SELECT d.direction, s.status, 0 FROM (VALUES ('in'), ('out')) d(direction),
    (VALUES ('received'), ('queued'), ('sending'), ('accepted'), ('delivered'),
    ('undeliverable'), ('expired'), ('rejected'), ('failed')) s(status);
UPDATE message_counts c SET n = m.n FROM (SELECT direction, status, COUNT(*) AS n
    FROM messages GROUP BY 1, 2) m
WHERE m.direction = c.direction AND m.status = c.status;
INSERT INTO campaign_counts (campaign_id, status, n)
SELECT campaign_id, status, COUNT(*) FROM campaign_recipients GROUP BY 1, 2;
INSERT INTO campaign_minutes (campaign_id, minute, status, n)
SELECT campaign_id, substr(updated_at, 1, 16), status, COUNT(*) FROM campaign_recipients
WHERE status IN ('sent', 'delivered', 'failed', 'replied') GROUP BY 1, 2, 3;

CREATE FUNCTION message_counts_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		INSERT INTO message_count_deltas VALUES (OLD.direction, OLD.status, -1);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		INSERT INTO message_count_deltas VALUES (NEW.direction, NEW.status, 1);
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION message_counts_change() IS 'The triggers message_counts_*: a message''s change, appended to message_count_deltas.';
CREATE TRIGGER message_counts_insert AFTER INSERT ON messages
FOR EACH ROW EXECUTE FUNCTION message_counts_change();
CREATE TRIGGER message_counts_update AFTER UPDATE OF status ON messages
FOR EACH ROW WHEN (NEW.status <> OLD.status) EXECUTE FUNCTION message_counts_change();
CREATE TRIGGER message_counts_delete AFTER DELETE ON messages
FOR EACH ROW EXECUTE FUNCTION message_counts_change();

CREATE FUNCTION campaign_counts_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		INSERT INTO campaign_count_deltas VALUES (OLD.campaign_id, OLD.status, -1);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		INSERT INTO campaign_count_deltas VALUES (NEW.campaign_id, NEW.status, 1);
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION campaign_counts_change() IS 'The triggers campaign_counts_*: a recipient''s change, appended to campaign_count_deltas.';
CREATE TRIGGER campaign_counts_insert AFTER INSERT ON campaign_recipients
FOR EACH ROW EXECUTE FUNCTION campaign_counts_change();
CREATE TRIGGER campaign_counts_update AFTER UPDATE OF status ON campaign_recipients
FOR EACH ROW WHEN (NEW.status <> OLD.status) EXECUTE FUNCTION campaign_counts_change();
CREATE TRIGGER campaign_counts_delete AFTER DELETE ON campaign_recipients
FOR EACH ROW EXECUTE FUNCTION campaign_counts_change();

CREATE FUNCTION campaign_minutes_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' AND OLD.status IN ('sent', 'delivered', 'failed', 'replied') THEN
		INSERT INTO campaign_minute_deltas
		VALUES (OLD.campaign_id, substr(OLD.updated_at, 1, 16), OLD.status, -1);
	END IF;
	IF TG_OP <> 'DELETE' AND NEW.status IN ('sent', 'delivered', 'failed', 'replied') THEN
		INSERT INTO campaign_minute_deltas
		VALUES (NEW.campaign_id, substr(NEW.updated_at, 1, 16), NEW.status, 1);
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION campaign_minutes_change() IS 'The triggers campaign_minutes_*: a recipient''s change of status or minute, appended to campaign_minute_deltas.';
CREATE TRIGGER campaign_minutes_insert AFTER INSERT ON campaign_recipients
FOR EACH ROW WHEN (NEW.status IN ('sent', 'delivered', 'failed', 'replied'))
EXECUTE FUNCTION campaign_minutes_change();
CREATE TRIGGER campaign_minutes_update AFTER UPDATE OF status, updated_at ON campaign_recipients
FOR EACH ROW WHEN ((OLD.status IN ('sent', 'delivered', 'failed', 'replied')
    OR NEW.status IN ('sent', 'delivered', 'failed', 'replied'))
    AND (NEW.status <> OLD.status OR substr(NEW.updated_at, 1, 16) <> substr(OLD.updated_at, 1, 16)))
EXECUTE FUNCTION campaign_minutes_change();
CREATE TRIGGER campaign_minutes_delete AFTER DELETE ON campaign_recipients
FOR EACH ROW WHEN (OLD.status IN ('sent', 'delivered', 'failed', 'replied'))
EXECUTE FUNCTION campaign_minutes_change();

CREATE INDEX sessions_closed_last ON sessions(last_at, id) WHERE closed_at IS NOT NULL;
COMMENT ON INDEX sessions_closed_last IS 'Sessions page filtered to closed sessions, latest activity first';

CREATE INDEX campaign_recipients_status ON campaign_recipients(campaign_id, status, id);
COMMENT ON INDEX campaign_recipients_status IS 'A campaign''s page filtered by status, in import order';

UPDATE schema_version SET version = 19;
