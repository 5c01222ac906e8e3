-- Version 3: which key file belongs to this store. A fixed text sealed under
-- the key file (AES-256-GCM, like the API keys) lets every program check at
-- start that its key file decrypts the store's secrets, and refuse to run
-- when it does not, instead of failing every message it cannot send. init
-- writes it; in a store made before this table, the first program whose key
-- file decrypts the secrets already there writes it.
CREATE TABLE key_check ( -- Which key file belongs to this store: a fixed text sealed under it; programs refuse a key file that cannot open it.
	id INTEGER PRIMARY KEY CHECK (id = 1), -- always 1: one row per store
	value TEXT NOT NULL,                -- the sealed text, "v1:" + base64 like api_key_enc; it holds no secret
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when the key file was bound to the store
);
