-- Version 18: the admin searches the text of messages. A full-text index
-- over messages.text (FTS5 with external content: the words are kept here,
-- the text stays in messages), kept by triggers in the same transaction
-- as the message, so a search sees every committed message. The tokenizer
-- folds case but keeps accents, as PostgreSQL's 'simple' configuration
-- does (sql/pg/018-message-search.sql), so both engines find the same
-- messages for the same words.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
-- The messages stored before this version.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
