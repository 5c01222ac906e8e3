-- Version 17: one Start or Stop at a time per connection, across processes
-- (the admin and the command line are different programs). A Start claims
-- the connection with a fresh token while it is neither STARTING nor
-- STOPPING, and writes its result only if the row still holds its token
-- and STARTING; a Stop, or any other status change, clears the token, so
-- a check that returns after a Stop is discarded (and logged). The comment
-- inside the statement is kept in the schema, beside the column.
ALTER TABLE connections ADD COLUMN start_token TEXT NOT NULL DEFAULT '' /* the token of the Start under way (random hex) while STARTING; '' otherwise: a Start whose token is gone may not write its result */;
-- And the admin answers every form with a redirect: what the page after it
-- must show once (a refused form with its values and errors, a new API
-- token) waits here, sealed under the key file, for the user it is for.
CREATE TABLE admin_notices ( -- A page the admin shows once after a redirect, then deletes: the answer to a POST that was not a plain success
	id TEXT PRIMARY KEY,                -- random 128-bit id, 32 hex digits, in the redirect's ?notice=
	username TEXT NOT NULL,             -- the user it is for: nobody else is shown it
	path TEXT NOT NULL,                 -- the page (under /admin) it is shown at
	body TEXT NOT NULL,                 -- the whole answer (status, headers, page), AES-256-GCM sealed under the key file, since it may hold a new API token
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')) -- when it was made; notices not shown within an hour are deleted
);
