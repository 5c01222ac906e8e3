-- Version 12: outbound campaigns. The campaigns and campaign_recipients
-- tables of version 1 were never used; they are made again with what the
-- campaign operations and the sender need. A recipient's status follows its
-- message (a trigger below, in the transaction that changes the message), so
-- the counts add up to the total at every moment, after any crash, and
-- after retention removed the message; replies are marked by the sender.
DROP INDEX IF EXISTS campaign_recipients_message;
DROP TABLE IF EXISTS campaign_recipients;
DROP TABLE IF EXISTS campaigns;

CREATE TABLE campaigns ( -- Outbound campaigns: one text, rendered per recipient, sent through a connection under the throttle and the window.
	id INTEGER PRIMARY KEY,             -- campaign number
	name TEXT NOT NULL,                 -- communication name: upper-case letters, digits and underscores (SPRING_OFFER)
	connection_id TEXT NOT NULL REFERENCES connections(id), -- the line it sends through
	agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL, -- the agent whose attachment to the connection it sends under (NULL once the agent is deleted)
	text TEXT NOT NULL,                 -- the template: {{field}} placeholders filled from each recipient's fields
	state TEXT NOT NULL DEFAULT 'draft' -- draft, scheduled, running, paused, completed or canceled
	    CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'canceled')),
	start_utc TEXT,                     -- 'YYYY-MM-DD HH:MM:SS' UTC: release nothing before; NULL: when started
	start_local TEXT,                   -- the same moment as entered, 'YYYY-MM-DD HH:MM' in tz; NULL: none
	tz TEXT NOT NULL DEFAULT 'UTC',     -- IANA time zone of start_local, and of the window for recipients without their own
	window_start INTEGER,               -- sending window: first minute of the local day (0..1439); NULL: any time
	window_end INTEGER,                 -- sending window: the minute it closes (0..1439); below window_start it wraps past midnight
	rate INTEGER NOT NULL DEFAULT 600 CHECK (rate BETWEEN 1 AND 60000), -- throttle: messages per minute
	bucket_tokens REAL NOT NULL DEFAULT 0, -- throttle: releases allowed now (a token bucket refilled at rate per minute, up to a second's worth)
	bucket_at REAL NOT NULL DEFAULT 0,  -- throttle: Unix time of the last refill, so a restarted sender goes on where it was
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- when it was made
	started_at TEXT,                    -- when an operator started it; NULL while draft
	ended_at TEXT                       -- when it completed or was canceled; NULL until then
);
CREATE INDEX campaigns_state ON campaigns(state) -- The sender: the scheduled and running campaigns
;

CREATE TABLE campaign_recipients ( -- One row per campaign recipient with its own status, so a campaign resumes after any crash with none sent twice.
	id INTEGER PRIMARY KEY,             -- recipient number (import order)
	campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE, -- the campaign
	line INTEGER NOT NULL DEFAULT 0,    -- line of the imported file where its record starts (the header is line 1; 0: not from a file)
	phone TEXT NOT NULL,                -- number, normalised ('+' and digits)
	fields TEXT NOT NULL DEFAULT '{}',  -- the other columns of its line, a JSON object of text values
	timezone TEXT NOT NULL DEFAULT '',  -- IANA zone of its sending window; '' for the campaign's
	status TEXT NOT NULL DEFAULT 'planned' -- planned, queued (its message is in the outbox), sent, delivered, failed, replied, canceled or skipped
	    CHECK (status IN ('planned', 'queued', 'sent', 'delivered', 'failed', 'replied', 'canceled', 'skipped')),
	reason TEXT NOT NULL DEFAULT '',    -- why failed (Infobip's status and error) or skipped
	message_id INTEGER REFERENCES messages(id), -- its message once released; NULL before, and after retention removed it
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), -- last status change
	UNIQUE (campaign_id, phone)
);
CREATE INDEX campaign_recipients_due ON campaign_recipients(campaign_id, status, timezone, id) -- The sender's scan of planned recipients per zone, and the counts by status
;
CREATE INDEX campaign_recipients_message ON campaign_recipients(message_id) -- A message's recipient, for the triggers and retention
;
CREATE INDEX campaign_recipients_line ON campaign_recipients(campaign_id, id, status) -- Per-recipient table in import order
;

CREATE TABLE session_campaigns ( -- The campaign that started a session (or sent into it first): the session page says so. A side table, so that sessions, the busiest table, is not rebuilt.
	session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE, -- the session
	campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE -- the campaign whose message opened it or came first into it
);

-- A released recipient follows its message: accepted is sent, a final
-- Infobip status is delivered or failed (with Infobip's reason), a send
-- refused because the contact opted out meanwhile is skipped. A replied
-- recipient stays replied.
CREATE TRIGGER campaign_recipient_follows AFTER UPDATE OF status ON messages
WHEN NEW.direction = 'out' AND NEW.author = 'campaign' AND NEW.status <> OLD.status
BEGIN
	UPDATE campaign_recipients SET
	    status = CASE
		WHEN NEW.status IN ('queued', 'sending') THEN 'queued'
		WHEN NEW.status = 'accepted' THEN 'sent'
		WHEN NEW.status = 'delivered' THEN 'delivered'
		WHEN NEW.status = 'failed' AND NEW.status_description LIKE 'the contact opted out%' THEN 'skipped'
		ELSE 'failed' END,
	    reason = CASE
		WHEN NEW.status IN ('queued', 'sending', 'accepted', 'delivered') THEN ''
		WHEN NEW.status = 'failed' AND NEW.status_description LIKE 'the contact opted out%' THEN 'opted out'
		ELSE NEW.status || COALESCE(': ' || NULLIF(NEW.status_name, ''), '')
		    || COALESCE(' (' || NULLIF(NEW.error_description, '') || ')',
		    ' (' || NULLIF(NEW.status_description, '') || ')', '') END,
	    updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
	WHERE message_id = NEW.id AND status IN ('queued', 'sent', 'delivered', 'failed');
END;

-- Replies are found by the sender, not by a trigger on messages: a trigger
-- on every inbound insert cost the webhook about a fifth of its speed. The
-- sender looks at the inbound messages past this mark, in sessions a
-- campaign sent into, and marks their recipients replied.
CREATE TABLE campaign_reply_mark ( -- How far the sender has looked for replies to campaign messages.
	id INTEGER PRIMARY KEY CHECK (id = 1), -- always 1: the one row
	message_id INTEGER NOT NULL         -- messages up to this id have been looked at
);
INSERT INTO campaign_reply_mark (id, message_id)
SELECT 1, COALESCE(MAX(id), 0) FROM messages;
