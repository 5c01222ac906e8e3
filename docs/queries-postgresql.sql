-- Example queries over an ibchannel store on PostgreSQL, for operators and
-- analysts: the queries of docs/queries.sql (SQLite's) in PostgreSQL's
-- dialect, with the same titles and the same result columns.
--
-- Run them in read-only sessions, so that no query can change the store,
-- as a role that may only read it or with read-only transactions:
--
--   PGOPTIONS='-c default_transaction_read_only=on' psql "$IBCHANNEL_DB" -f docs/queries-postgresql.sql
--
-- or paste one query at a time into such a psql. Times are UTC text
-- ('YYYY-MM-DD HH:MM:SS.SSS'), as on SQLite, so substr(t, 1, 10) is the
-- day. Replace the phone number and session number with your own. Every
-- query here runs in the tests (tests/e2e/test_docs_sql.py, on
-- PostgreSQL) against a store filled through the real programs; each
-- starts with a "-- query:" line.

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
       COUNT(*) FILTER (WHERE status = 'delivered') AS delivered,
       COUNT(*) FILTER (WHERE status IN ('undeliverable', 'expired', 'rejected', 'failed'))
           AS not_delivered,
       ROUND(100.0 * COUNT(*) FILTER (WHERE status = 'delivered') / COUNT(*), 1)
           AS delivered_pct
FROM messages
WHERE direction = 'out'
  AND status IN ('delivered', 'undeliverable', 'expired', 'rejected', 'failed')
GROUP BY day
ORDER BY day DESC;

-- query: spend per connection and day (price per segment times segments, as Infobip reports them)
SELECT k.name AS connection, substr(m.created_at, 1, 10) AS day, m.direction,
       m.currency, COUNT(*) AS messages, SUM(COALESCE(m.sms_count, 1)) AS segments,
       ROUND(SUM(m.price * COALESCE(m.sms_count, 1))::numeric, 4) AS spend
FROM messages m
JOIN connections k ON k.id = m.connection_id
WHERE m.price IS NOT NULL
GROUP BY k.id, k.name, day, m.direction, m.currency
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
  AND created_at >= to_char(now() AT TIME ZONE 'UTC' - interval '7 days', 'YYYY-MM-DD')
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
