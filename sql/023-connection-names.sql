-- Version 23: a connection's name is unique among the connections not
-- deleted, so that messages, lists and choices that name a connection name
-- one. The operations refuse a name in use ("a connection named X exists")
-- on add and on rename; this index holds it against any other writer. A
-- store made before may hold two live connections of one name: the oldest
-- (by created_at, then id) keeps it, each other gets the first eight digits
-- of its id appended ("Shop line (44de770c)"), so that the index can be
-- built and the migration never fails on old data. Deleted connections
-- keep their names.
UPDATE connections SET name = name || ' (' || substr(id, 1, 8) || ')'
WHERE deleted_at IS NULL AND EXISTS (
	SELECT 1 FROM connections AS older
	WHERE older.deleted_at IS NULL AND older.name = connections.name
	    AND (older.created_at < connections.created_at
	    OR (older.created_at = connections.created_at
	    AND older.id < connections.id)));
CREATE UNIQUE INDEX IF NOT EXISTS connections_live_name ON connections(name) WHERE deleted_at IS NULL; -- A name names one connection among those not deleted
