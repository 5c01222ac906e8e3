-- Version 17: one Start or Stop at a time per connection, across processes
-- (the admin and the command line are different programs). A Start claims
-- the connection with a fresh token while it is neither STARTING nor
-- STOPPING, and writes its result only if the row still holds its token
-- and STARTING; a Stop, or any other status change, clears the token, so
-- a check that returns after a Stop is discarded (and logged). The comment
-- inside the statement is kept in the schema, beside the column.
ALTER TABLE connections ADD COLUMN start_token TEXT NOT NULL DEFAULT '' /* the token of the Start under way (random hex) while STARTING; '' otherwise: a Start whose token is gone may not write its result */;
