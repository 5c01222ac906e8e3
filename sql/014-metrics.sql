-- Version 14: the figures /admin/metrics shows that no other table holds.
-- The webhook programs count their answers in memory and add them here with
-- the group transactions they make anyway; the sender adds the durations of
-- its requests to Infobip and of its agent calls with the transactions it
-- makes anyway. Every count only grows: a restart loses nothing written.
CREATE TABLE request_counts ( -- Requests the web-facing programs answered, by program, route and HTTP status, since the store was made; added about once a second while requests come
	program TEXT NOT NULL,              -- the program that answered: 'inbound' or 'reports'
	route TEXT NOT NULL,                -- what was asked for: 'sms', 'reports', 'clicks', 'docs', 'messages' (send API), 'health', or 'other' (a path no route has)
	status INTEGER NOT NULL,            -- the HTTP status answered, e.g. 200, 400, 404, 405, 413, 415, 503
	count INTEGER NOT NULL DEFAULT 0,   -- requests so far
	PRIMARY KEY (program, route, status)
) WITHOUT ROWID;
CREATE TABLE latency_buckets ( -- How long the sender waited, as histogram buckets: how many waits of each series fell in each bucket
	name TEXT NOT NULL,                 -- the series: 'send_batch' (one POST of a batch to Infobip) or 'agent' (one agent call)
	label TEXT NOT NULL DEFAULT '',     -- the agent's kind for 'agent' ('rules', 'http', 'openai'); '' for 'send_batch'
	le REAL NOT NULL,                   -- the bucket's upper bound in seconds (Inf for the last); the bucket holds waits above the next lower bound and up to this one, so Prometheus' cumulative count of a bound is the sum of the buckets up to it
	count INTEGER NOT NULL DEFAULT 0,   -- waits in this bucket so far
	PRIMARY KEY (name, label, le)
) WITHOUT ROWID;
CREATE TABLE latency_sums ( -- The totals of each latency_buckets series
	name TEXT NOT NULL,                 -- the series, as in latency_buckets
	label TEXT NOT NULL DEFAULT '',     -- its label, as in latency_buckets
	count INTEGER NOT NULL DEFAULT 0,   -- waits so far (the sum of the series' buckets)
	sum_seconds REAL NOT NULL DEFAULT 0, -- their total duration in seconds
	PRIMARY KEY (name, label)
) WITHOUT ROWID;
