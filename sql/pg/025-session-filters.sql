-- Version 25: indexes for the Sessions page's filters by who is
-- responsible, waiting for an operator and phone prefix (as
-- sql/025-session-filters.sql does for SQLite, which says why). The
-- session id ends each so an index walk gives the list's whole order. The
-- prefix is a range over the numbers in byte order ("C"): a database's
-- own collation may order '+' and digits otherwise.
CREATE INDEX IF NOT EXISTS sessions_responsible_last ON sessions(responsible, last_at, id);
COMMENT ON INDEX sessions_responsible_last IS 'Sessions page filtered by who is responsible, latest activity first';
CREATE INDEX IF NOT EXISTS sessions_held_last ON sessions(last_at, id) WHERE closed_at IS NULL AND (responsible <> 'ai' OR agent_id IS NULL);
COMMENT ON INDEX sessions_held_last IS 'open sessions no AI answers (those waiting for an operator are among them), latest activity first';
CREATE INDEX IF NOT EXISTS contacts_phone_bytes ON contacts(phone COLLATE "C");
COMMENT ON INDEX contacts_phone_bytes IS 'Sessions page filtered by a phone prefix: the numbers in byte order';
UPDATE schema_version SET version = 25;
