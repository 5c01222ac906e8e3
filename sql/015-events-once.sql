-- Version 15: Infobip sends a delivery report or a click again until it gets
-- a 200, so the same event can arrive several times (and, from several web
-- server processes, at the same moment). Each event now carries a key that
-- tells it from the other events of its message, and a unique index on the
-- message and that key keeps it once. A report is the same report when it
-- names the same status (our status, Infobip's group and name) reached at the
-- same doneAt; a click the same click when it has the same time and link.
-- The index begins with message_uid, so it also serves every look-up the
-- index it replaces served.
ALTER TABLE message_events ADD COLUMN event_key TEXT /* what tells this event from the other events of its message, for storing each once: for a report 'status|groupName|name|doneAt', for a click 'time|url'; NULL for a click stored before version 15 */;
UPDATE message_events SET event_key = status || '|' || status_group || '|'
    || status_name || '|' || COALESCE(done_at, '') WHERE kind = 'report';
DELETE FROM message_events WHERE kind = 'report' AND id NOT IN (
    SELECT MIN(id) FROM message_events WHERE kind = 'report'
    GROUP BY message_uid, connection_id, event_key);
DROP INDEX message_events_uid;
CREATE UNIQUE INDEX message_events_once ON message_events(message_uid, connection_id, kind, event_key) -- Each report or click is stored once, however often Infobip sends it
;
