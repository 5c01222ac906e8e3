-- Version 18: the admin searches the text of messages (SQLite's
-- sql/018-message-search.sql keeps an FTS5 table for it). Here a GIN index
-- over the words of the text, with the 'simple' configuration: an SMS may
-- be in any language, so words are only split and lower-cased, never
-- stemmed or dropped as stop words. A search must name the same expression
-- for the index to serve it. Building it reads every message once.
CREATE INDEX messages_text_search ON messages USING gin (to_tsvector('simple', text));
COMMENT ON INDEX messages_text_search IS 'The words of each message (simple configuration: no stemming, no stop words), for the admin''s search of sessions.';
UPDATE schema_version SET version = 18;
