-- Version 23: a connection's name is unique among the connections not
-- deleted (as sql/023-connection-names.sql does for SQLite, which says
-- why). Live connections that share a name keep it on the oldest (by
-- created_at, then id); each other gets the first eight digits of its id
-- appended, so that the index can be built on any old store.
UPDATE connections SET name = name || ' (' || substr(id, 1, 8) || ')'
WHERE deleted_at IS NULL AND EXISTS (
	SELECT 1 FROM connections AS older
	WHERE older.deleted_at IS NULL AND older.name = connections.name
	    AND (older.created_at < connections.created_at
	    OR (older.created_at = connections.created_at
	    AND older.id < connections.id)));
CREATE UNIQUE INDEX IF NOT EXISTS connections_live_name ON connections(name) WHERE deleted_at IS NULL;
COMMENT ON INDEX connections_live_name IS 'A name names one connection among those not deleted.';
UPDATE schema_version SET version = 23;
