-- Version 24: the Outbox page and `ibchannel outbox --unsettled` list the
-- messages held for an operator or unsure. Both sets are a handful of rows
-- among an outbox and a message table that may hold millions, so each has
-- a partial index holding only its own rows: a queued row never enters
-- the first, and a message enters the second only while its send is in
-- flight or unsure.
CREATE INDEX IF NOT EXISTS outbox_held ON outbox(message_id) WHERE held_since IS NOT NULL; -- the messages held for an operator
CREATE INDEX IF NOT EXISTS messages_sending ON messages(id) WHERE status = 'sending'; -- sends in flight or unsure
