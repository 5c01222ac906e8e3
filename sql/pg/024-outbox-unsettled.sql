-- Version 24: partial indexes for the held and the unsure messages (as
-- sql/024-outbox-unsettled.sql does for SQLite, which says why).
CREATE INDEX IF NOT EXISTS outbox_held ON outbox(message_id) WHERE held_since IS NOT NULL;
COMMENT ON INDEX outbox_held IS 'the messages held for an operator';
CREATE INDEX IF NOT EXISTS messages_sending ON messages(id) WHERE status = 'sending';
COMMENT ON INDEX messages_sending IS 'sends in flight or unsure';
UPDATE schema_version SET version = 24;
