-- Example queries over the ibchannel store, for operators and analysts.
--
-- Open the store read-only, so that a long query never holds up the
-- programs writing it:
--
--   sqlite3 -readonly -box "$IBCHANNEL_DB" < docs/queries.sql
--
-- or paste one query at a time into `sqlite3 -readonly -box "$IBCHANNEL_DB"`.
-- Times are UTC text ('YYYY-MM-DD HH:MM:SS.SSS'), so substr(t, 1, 10) is
-- the day. Replace the phone number and session number with your own.
-- Every query here runs in the tests (tests/e2e/test_docs_sql.py) against a
-- store filled through the real programs; each starts with a
-- "-- query:" line.

-- query: sessions with their last message, newest first
SELECT session_id, contact_phone, responsible, last_at, message_count,
       last_direction, last_status, substr(last_text, 1, 60) AS last_text
FROM session_overview
ORDER BY last_at DESC
LIMIT 20;

-- query: a conversation's messages, by the customer's number
SELECT m.session_id, m.created_at, m.direction, m.author, m.status, m.text
FROM messages m
JOIN contacts c ON c.id = m.contact_id
WHERE c.phone = '+4915112300001'
ORDER BY m.id;

-- query: one session's messages with their delivery outcome
SELECT id, created_at, direction, author, status, status_name, error_name,
       sms_count, price, currency, text
FROM messages
WHERE session_id = 1
ORDER BY id;

-- query: delivery rates per connection and day
SELECT k.name AS connection, d.day, d.sent, d.delivered, d.not_delivered,
       d.failed, d.pending, d.delivered_pct
FROM delivery_daily d
JOIN connections k ON k.id = d.connection_id
ORDER BY d.day DESC, connection;

-- query: delivery rate per day of the messages whose outcome is known
SELECT substr(created_at, 1, 10) AS day,
       SUM(status = 'delivered') AS delivered,
       SUM(status IN ('undeliverable', 'expired', 'rejected', 'failed')) AS not_delivered,
       ROUND(100.0 * SUM(status = 'delivered') /
             SUM(status IN ('delivered', 'undeliverable', 'expired', 'rejected', 'failed')), 1)
           AS delivered_pct
FROM messages
WHERE direction = 'out'
  AND status IN ('delivered', 'undeliverable', 'expired', 'rejected', 'failed')
GROUP BY day
ORDER BY day DESC;

-- query: spend per connection and day (price per segment times segments, as Infobip reports them)
SELECT k.name AS connection, substr(m.created_at, 1, 10) AS day, m.direction,
       m.currency, COUNT(*) AS messages, SUM(COALESCE(m.sms_count, 1)) AS segments,
       ROUND(SUM(m.price * COALESCE(m.sms_count, 1)), 4) AS spend
FROM messages m
JOIN connections k ON k.id = m.connection_id
WHERE m.price IS NOT NULL
GROUP BY k.id, day, m.direction, m.currency
ORDER BY day DESC, connection, m.direction;

-- query: contacts who opted out, latest first
SELECT phone, name, email, opted_out_at
FROM contacts
WHERE opted_out = 1
ORDER BY opted_out_at DESC;

-- query: why outbound messages were not delivered, last 7 days
SELECT status, status_name, error_name,
       COALESCE(NULLIF(error_description, ''), status_description) AS reason,
       COUNT(*) AS messages
FROM messages
WHERE direction = 'out'
  AND status IN ('failed', 'undeliverable', 'expired', 'rejected')
  AND created_at >= strftime('%Y-%m-%d', 'now', '-7 days')
GROUP BY 1, 2, 3, 4
ORDER BY messages DESC;

-- query: messages waiting to be sent, oldest first
SELECT m.id, m.created_at, k.name AS connection, m.recipient, m.status,
       o.attempts, o.next_attempt_at, o.last_error
FROM outbox o
JOIN messages m ON m.id = o.message_id
JOIN connections k ON k.id = m.connection_id
ORDER BY m.id;

-- query: webhook requests answered, by program, route and HTTP status
SELECT program, route, status, count
FROM request_counts
ORDER BY program, route, status;
