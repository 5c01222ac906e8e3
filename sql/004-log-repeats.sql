-- Entries that repeat often (refused requests, messages nobody answers)
-- are counted in one log row per kind, connection and minute, so that
-- whoever knows a webhook URL cannot grow the log without bound. The table is rebuilt to keep a comment on every column.
ALTER TABLE logs RENAME TO logs_old;
DROP INDEX logs_connection;
CREATE TABLE logs ( -- Per-connection log: what the admin's Logs button shows.
	id INTEGER PRIMARY KEY,             -- entry number
	connection_id TEXT,                 -- the connection (NULL for installation-wide entries)
	at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when (the first time, for a counted entry)
	level TEXT NOT NULL CHECK (level IN ('error', 'warn', 'info')), -- severity
	event TEXT NOT NULL,                -- short machine-readable kind, e.g. 'start', 'send_failed', 'click'
	text TEXT NOT NULL,                 -- one line for people (the first of its kind, for a counted entry)
	repeats INTEGER NOT NULL DEFAULT 1, -- how many times it happened: frequent entries of one kind are counted in one row per minute
	fold_key TEXT                       -- for counted entries: kind and minute ('inbound|not JSON|2026-11-29 20:53'); NULL otherwise
);
INSERT INTO logs (id, connection_id, at, level, event, text)
    SELECT id, connection_id, at, level, event, text FROM logs_old;
DROP TABLE logs_old;
CREATE INDEX logs_connection ON logs(connection_id, id);
CREATE UNIQUE INDEX logs_fold ON logs(connection_id, fold_key) WHERE fold_key IS NOT NULL;
