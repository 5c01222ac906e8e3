-- Version 13: the send API for another system's flows (issue 11). A token
-- lets a flow send through one agent's attachment to one connection
-- (POST /channel/{id}/messages); only its SHA-256 is kept, so whoever reads
-- the store cannot use what they see. Each message sent through the API
-- keeps who asked, its communication name and the client's reference.
CREATE TABLE api_tokens ( -- Bearer tokens of the send API; one belongs to one agent's attachment to one connection. Only a hash of the token is kept.
	id INTEGER PRIMARY KEY,             -- token number, what 'ibchannel token revoke' takes
	agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE, -- the agent whose attachment it sends through
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the connection; the token works in this connection's URLs only
	token_hash TEXT NOT NULL UNIQUE,    -- SHA-256 of the token, 64 hex digits; the token itself is never stored
	prefix TEXT NOT NULL,               -- the token's first 12 characters ('ibt_' and 8 hex digits), to tell tokens apart; useless without the rest
	created_by TEXT NOT NULL,           -- who made it: 'cli' or the admin user
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when it was made
	revoked_by TEXT,                    -- who revoked it; NULL while it works
	revoked_at TEXT                     -- when it was revoked; NULL while it works
);
CREATE INDEX api_tokens_agent ON api_tokens(agent_id, id) -- An agent's tokens, for its page and 'token list AGENT'
;

CREATE TABLE api_sends ( -- Messages sent through the send API: the token, the client's reference and the communication name, for analysts and for idempotent retries.
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, -- the outbound message (messages.uid is the id the API answers with)
	token_id INTEGER REFERENCES api_tokens(id) ON DELETE SET NULL, -- the token it was sent with; NULL once its agent is deleted
	agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL, -- the agent of the attachment; NULL once the agent is deleted
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the connection it went through
	reference TEXT,                     -- the client's idempotency key (1-128 printable ASCII characters); NULL when none was given
	communication TEXT,                 -- communication name the client gave (upper-case letters, digits, underscores); NULL when none
	request_hash TEXT NOT NULL,         -- SHA-256 of the to, text and communication asked for: a retry under the same reference must ask the same
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when the API accepted it
);
-- One message per reference and attachment, whatever the concurrency: the index decides, not a read before the write.
CREATE UNIQUE INDEX api_sends_reference ON api_sends(connection_id, agent_id, reference) WHERE reference IS NOT NULL;
CREATE INDEX api_sends_token ON api_sends(token_id) -- Deleting an agent (its tokens go) finds the sends that name them
;
CREATE INDEX api_sends_agent ON api_sends(agent_id) -- Deleting an agent finds its sends
;
