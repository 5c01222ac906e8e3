-- Version 25: the Sessions page's other filters stay fast whether they
-- match many sessions or few. A filter that only checked each row of the
-- list's order read every session when it matched few (1.9 s at 100,000
-- sessions); each now leads with an index of its own rows in the list's
-- order. A phone prefix is a range of contacts.phone's own index (the
-- page chooses between it and the list's order by how many numbers the
-- prefix holds).
CREATE INDEX IF NOT EXISTS sessions_responsible_last ON sessions(responsible, last_at) -- Sessions page filtered by who is responsible, latest activity first
;
CREATE INDEX IF NOT EXISTS sessions_held_last ON sessions(last_at) WHERE closed_at IS NULL AND (responsible <> 'ai' OR agent_id IS NULL) -- open sessions no AI answers (those waiting for an operator are among them), latest activity first
;

-- A search takes its last word as the start of a word. FTS5 answers a
-- prefix by merging the lists of every word it starts, whole, before the
-- first row (35 ms for a word in 1,000,000 messages), however few rows the
-- page needs. The words the index holds are kept here, so a search turns
-- its prefix into the few words it starts and asks for any of them, which
-- FTS5 reads newest first and stops. The sender adds the words of each
-- message it indexes (store_search_catch_up); a word whose messages are
-- gone stays, and finds nothing.
CREATE TABLE IF NOT EXISTS messages_fts_terms ( -- Every word in the full-text index of message text (sql/018), for a search's prefix
	term TEXT PRIMARY KEY               -- a word as the index holds it (folded to lower case)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS temp.messages_fts_words USING fts5vocab(main, messages_fts, row);
INSERT OR IGNORE INTO messages_fts_terms (term) SELECT term FROM temp.messages_fts_words;
DROP TABLE IF EXISTS temp.messages_fts_words;
