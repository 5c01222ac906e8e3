-- The store, version 1 (PRAGMA user_version = 1). Later changes come as
-- sql/NNN-name.sql, applied in order by ibchannel init and every program that
-- opens the store. Times are UTC text 'YYYY-MM-DD HH:MM:SS.SSS' so they sort,
-- compare and read the same way.

CREATE TABLE connections ( -- One Infobip connection: the credentials an operator entered and what Start made of them.
	id TEXT PRIMARY KEY,                -- random 128-bit id, 32 hex digits; appears in the public webhook URLs
	name TEXT NOT NULL,                 -- internal name shown to operators
	description TEXT NOT NULL DEFAULT '', -- free internal note
	api_url TEXT NOT NULL,              -- normalised base URL, e.g. https://xxxxx.api.infobip.com
	sender TEXT NOT NULL,               -- sender shown on outbound SMS: phone number or alphanumeric name
	api_key_enc TEXT NOT NULL,          -- the API key, AES-256-GCM encrypted under the key file ("v1:" + base64); never plaintext
	status TEXT NOT NULL DEFAULT 'STOPPED' -- lifecycle state: STOPPED, STARTING, RUNNING, STOPPING or ERROR
	    CHECK (status IN ('STOPPED', 'STARTING', 'RUNNING', 'STOPPING', 'ERROR')),
	status_message TEXT NOT NULL DEFAULT '', -- why the status is what it is (the ERROR reason, the balance seen at Start)
	config_snapshot TEXT,               -- JSON of api_url, sender and environment taken at Start; what the running connection uses
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when it was added
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))  -- last save or status change
);

CREATE TABLE connection_env ( -- Environment variables of a connection (e.g. INFOBIP_SHORT_DOMAIN); they take effect at the next Start.
	connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE, -- the connection
	name TEXT NOT NULL,                 -- variable name, [A-Z_][A-Z0-9_]*
	value TEXT NOT NULL,                -- its value
	PRIMARY KEY (connection_id, name)
);

CREATE TABLE agents ( -- What answers customers: the built-in rules agent, an HTTP webhook, or an OpenAI-compatible chat model.
	id INTEGER PRIMARY KEY,             -- agent number
	name TEXT NOT NULL,                 -- shown to operators
	kind TEXT NOT NULL CHECK (kind IN ('rules', 'http', 'openai')), -- how the agent is called
	instructions TEXT NOT NULL DEFAULT '', -- rules text for 'rules', system prompt for 'openai'
	url TEXT NOT NULL DEFAULT '',       -- endpoint for 'http' and base URL for 'openai'
	model TEXT NOT NULL DEFAULT '',     -- model name for 'openai'
	api_key_enc TEXT,                   -- encrypted API key for 'openai' (or a bearer token for 'http'); NULL when none
	status TEXT NOT NULL DEFAULT 'STOPPED' CHECK (status IN ('STOPPED', 'RUNNING')), -- only a RUNNING agent answers
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when it was added
);

CREATE TABLE agent_channels ( -- Which agent uses which connection; inbound = this agent answers the connection's incoming SMS.
	agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,        -- the agent
	connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE, -- the connection
	inbound INTEGER NOT NULL DEFAULT 0 CHECK (inbound IN (0, 1)),            -- 1: answers inbound SMS
	PRIMARY KEY (agent_id, connection_id)
);
-- At most one inbound agent per connection.
CREATE UNIQUE INDEX agent_channels_one_inbound ON agent_channels(connection_id) WHERE inbound = 1;

CREATE TABLE contacts ( -- One customer, keyed by phone number.
	id INTEGER PRIMARY KEY,             -- contact number
	phone TEXT NOT NULL UNIQUE,         -- '+' and 8-15 international digits
	name TEXT NOT NULL DEFAULT '',      -- collected by an agent or entered by an operator
	email TEXT NOT NULL DEFAULT '',     -- collected by an agent or entered by an operator
	data TEXT NOT NULL DEFAULT '{}',    -- other collected fields, a JSON object
	opted_out INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)), -- 1: texted STOP; gets nothing but the confirmation
	opted_out_at TEXT,                  -- when the last STOP arrived
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- first seen
);

CREATE TABLE sessions ( -- One conversation between a contact and a connection; closes after inactivity and is never reopened.
	id INTEGER PRIMARY KEY,             -- session number
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the line it happens on
	contact_id INTEGER NOT NULL REFERENCES contacts(id),    -- the customer
	agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL, -- the agent answering when it opened
	channel_type TEXT NOT NULL DEFAULT 'infobip',           -- always 'infobip' here
	responsible TEXT NOT NULL DEFAULT 'ai', -- 'ai', or the username of the operator who took it over
	data TEXT NOT NULL DEFAULT '{}',    -- fields collected in this conversation, a JSON object
	collect_step INTEGER NOT NULL DEFAULT 0, -- next field the rules agent asks for
	started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- first message
	last_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),    -- latest message either way
	closed_at TEXT                      -- NULL while open
);
-- At most one open session per contact and connection.
CREATE UNIQUE INDEX sessions_one_open ON sessions(connection_id, contact_id) WHERE closed_at IS NULL;
CREATE INDEX sessions_last ON sessions(last_at);

CREATE TABLE messages ( -- Every SMS in or out.
	id INTEGER PRIMARY KEY,             -- message number
	uid TEXT NOT NULL UNIQUE,           -- our id; for outbound it is sent to Infobip as messageId
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the line
	session_id INTEGER REFERENCES sessions(id),            -- the conversation (NULL for campaign sends without one)
	contact_id INTEGER REFERENCES contacts(id),            -- the customer (NULL when the number was invalid)
	direction TEXT NOT NULL CHECK (direction IN ('in', 'out')), -- 'in' from the customer, 'out' to them
	author TEXT NOT NULL DEFAULT 'customer', -- 'customer', 'agent', 'operator:<user>', 'system' or 'campaign'
	sender TEXT NOT NULL DEFAULT '',    -- from: customer number (in) or our sender (out)
	recipient TEXT NOT NULL DEFAULT '', -- to: our number (in) or the customer's number as entered (out)
	text TEXT NOT NULL,                 -- the text exactly as received, or as it will be/was sent
	infobip_id TEXT,                    -- Infobip's messageId (inbound) or the id Infobip returned (outbound)
	bulk_id TEXT,                       -- Infobip's bulkId, outbound
	status TEXT NOT NULL -- received (inbound); queued, sending, accepted, then delivered, undeliverable, expired, rejected, or failed
	    CHECK (status IN ('received', 'queued', 'sending', 'accepted',
	    'delivered', 'undeliverable', 'expired', 'rejected', 'failed')),
	status_group TEXT NOT NULL DEFAULT '', -- Infobip's status groupName last seen
	status_name TEXT NOT NULL DEFAULT '',  -- Infobip's status name last seen
	status_description TEXT NOT NULL DEFAULT '', -- Infobip's status description, or our reason for 'failed'
	error_name TEXT NOT NULL DEFAULT '',   -- Infobip's error name from the delivery report
	error_description TEXT NOT NULL DEFAULT '', -- Infobip's error description
	price REAL,                         -- price per message Infobip reported
	currency TEXT,                      -- currency of price
	sms_count INTEGER,                  -- segments Infobip counted
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- stored
	received_at TEXT,                   -- Infobip's receivedAt (inbound)
	sent_at TEXT,                       -- when Infobip accepted it (outbound)
	done_at TEXT,                       -- Infobip's doneAt from the final report
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- last status change
);
-- Inbound messages are stored once per connection and Infobip messageId.
CREATE UNIQUE INDEX messages_inbound_once ON messages(connection_id, infobip_id) WHERE direction = 'in';
CREATE INDEX messages_session ON messages(session_id, id);
CREATE INDEX messages_day ON messages(connection_id, created_at);

CREATE TABLE outbox ( -- What the sender must send: one row per outbound message until Infobip has answered for it.
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, -- the message
	attempts INTEGER NOT NULL DEFAULT 0, -- sends tried so far
	next_attempt_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- not before this time
	lease_owner TEXT,                   -- sender process that claimed it ('host:pid:start')
	lease_until TEXT,                   -- the claim lapses at this time
	priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1)), -- 1: goes out even to an opted-out contact (the STOP confirmation, HELP replies)
	last_error TEXT NOT NULL DEFAULT '' -- the last transient error, for operators
);
CREATE INDEX outbox_due ON outbox(next_attempt_at);

CREATE TABLE agent_queue ( -- Inbound messages waiting for their agent's answer.
	message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE, -- the inbound message
	session_id INTEGER NOT NULL REFERENCES sessions(id), -- its conversation
	agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE, -- who answers
	queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when it was queued
	lease_owner TEXT,                   -- sender process working on it
	lease_until TEXT,                   -- the claim lapses at this time
	attempts INTEGER NOT NULL DEFAULT 0 -- agent calls tried
);

CREATE TABLE message_events ( -- Raw status history: every delivery report and click, kept for audit.
	id INTEGER PRIMARY KEY,             -- event number
	connection_id TEXT NOT NULL,        -- the connection whose webhook received it
	message_uid TEXT NOT NULL,          -- our message id the event names (Infobip's messageId field)
	message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL, -- the message, once known
	kind TEXT NOT NULL CHECK (kind IN ('report', 'click')), -- delivery report or link click
	status TEXT NOT NULL DEFAULT '',    -- our status a report maps to (accepted, delivered, undeliverable, expired, rejected)
	status_group TEXT NOT NULL DEFAULT '', -- Infobip's status groupName
	status_name TEXT NOT NULL DEFAULT '',  -- Infobip's status name
	status_description TEXT NOT NULL DEFAULT '', -- Infobip's status description
	error_name TEXT NOT NULL DEFAULT '',   -- Infobip's error name
	error_description TEXT NOT NULL DEFAULT '', -- Infobip's error description
	bulk_id TEXT,                       -- Infobip's bulkId
	price REAL,                         -- price per message
	currency TEXT,                      -- currency of price
	sms_count INTEGER,                  -- segments counted
	sent_at TEXT,                       -- Infobip's sentAt
	done_at TEXT,                       -- Infobip's doneAt
	applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)), -- 1 once applied to the message (0: waiting for it)
	raw TEXT NOT NULL,                  -- the item exactly as Infobip sent it (JSON)
	received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when it arrived
);
CREATE INDEX message_events_uid ON message_events(message_uid);
CREATE INDEX message_events_pending ON message_events(connection_id, message_uid) WHERE applied = 0;

CREATE TABLE logs ( -- Per-connection log: what the admin's Logs button shows.
	id INTEGER PRIMARY KEY,             -- entry number
	connection_id TEXT,                 -- the connection (NULL for installation-wide entries)
	at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when
	level TEXT NOT NULL CHECK (level IN ('error', 'warn', 'info')), -- severity
	event TEXT NOT NULL,                -- short machine-readable kind, e.g. 'start', 'send_failed', 'click'
	text TEXT NOT NULL                  -- one line for people
);
CREATE INDEX logs_connection ON logs(connection_id, id);

CREATE TABLE campaigns ( -- Outbound campaigns.
	id INTEGER PRIMARY KEY,             -- campaign number
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the line it sends through
	name TEXT NOT NULL,                 -- shown to operators
	text TEXT NOT NULL,                 -- message text
	status TEXT NOT NULL DEFAULT 'draft' -- progress: draft, scheduled, running, paused, done or cancelled
	    CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'done', 'cancelled')),
	scheduled_at TEXT,                  -- release recipients from this time
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when it was made
);

CREATE TABLE campaign_recipients ( -- One row per campaign recipient, with its own status, so a campaign resumes after any crash.
	id INTEGER PRIMARY KEY,             -- row number
	campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE, -- the campaign
	phone TEXT NOT NULL,                -- number as imported
	status TEXT NOT NULL DEFAULT 'pending' -- pending, queued (released to the outbox), skipped or failed
	    CHECK (status IN ('pending', 'queued', 'skipped', 'failed')),
	message_id INTEGER REFERENCES messages(id), -- the message once queued
	reason TEXT NOT NULL DEFAULT '',    -- why skipped or failed
	UNIQUE (campaign_id, phone)
);

CREATE TABLE users ( -- Who may use the admin: username as the web server authenticates it.
	username TEXT PRIMARY KEY,          -- REMOTE_USER
	role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')), -- what they may do
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when added
);

CREATE TABLE settings ( -- Installation-wide settings (public_url, session_timeout_minutes, keyword replies, ...).
	name TEXT PRIMARY KEY,              -- setting name
	value TEXT NOT NULL                 -- its value
);
INSERT INTO settings (name, value) VALUES
	('public_url', 'http://127.0.0.1:8080'),
	('session_timeout_minutes', '1440'),
	('reply_stop', 'You are unsubscribed and will get no more messages. Reply START to resubscribe.'),
	('reply_start', 'You are subscribed again. Reply STOP to unsubscribe.'),
	('reply_help', 'This line is answered by an automated assistant. Reply STOP to unsubscribe.');

CREATE VIEW session_overview AS -- Analysts: every session with its contact and its latest message.
SELECT s.id AS session_id, s.connection_id, c.phone AS contact_phone,
    c.name AS contact_name, s.responsible, s.started_at, s.last_at, s.closed_at,
    (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) AS message_count,
    lm.direction AS last_direction, lm.text AS last_text, lm.status AS last_status
FROM sessions s
JOIN contacts c ON c.id = s.contact_id
LEFT JOIN messages lm ON lm.id =
    (SELECT MAX(m2.id) FROM messages m2 WHERE m2.session_id = s.id);

CREATE VIEW delivery_daily AS -- Analysts: outbound delivery outcomes per connection and day.
SELECT connection_id, substr(created_at, 1, 10) AS day,
    COUNT(*) AS sent,
    SUM(status = 'delivered') AS delivered,
    SUM(status = 'accepted') AS pending,
    SUM(status IN ('undeliverable', 'expired', 'rejected')) AS not_delivered,
    SUM(status = 'failed') AS failed,
    SUM(status IN ('queued', 'sending')) AS queued,
    ROUND(100.0 * SUM(status = 'delivered') / COUNT(*), 1) AS delivered_pct
FROM messages
WHERE direction = 'out'
GROUP BY connection_id, day;
