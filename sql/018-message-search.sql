-- Version 18: the admin searches the text of messages. A full-text index
-- over messages.text (FTS5 with external content: the words are kept here,
-- the text stays in messages). The tokenizer folds case but keeps accents,
-- as PostgreSQL's 'simple' configuration does (sql/pg/018-message-search.sql),
-- so both engines find the same messages for the same words.
--
-- A new message is not indexed as it is stored: an FTS5 insert in every
-- webhook's transaction halved the inbound rate. The sender indexes the
-- messages past messages_fts_mark about once a second, and a search
-- indexes what is still pending before it reads, so searches see every
-- message while the webhooks pay nothing (store_search_catch_up).
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE messages_fts_mark ( -- How far the full-text index of message text has got (one row)
	id INTEGER PRIMARY KEY CHECK (id = 1), -- always 1
	upto INTEGER NOT NULL               -- every message with an id up to this one is in messages_fts; later ones wait for the sender or a search
);
-- A message leaves the index with its row; one never indexed has nothing there.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.id <= (SELECT upto FROM messages_fts_mark) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages WHEN old.id <= (SELECT upto FROM messages_fts_mark) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
-- The messages stored before this version.
INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages;
INSERT INTO messages_fts_mark (id, upto) SELECT 1, COALESCE(MAX(id), 0) FROM messages;
