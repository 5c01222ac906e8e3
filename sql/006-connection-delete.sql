-- Version 6: connections can be deleted. Messages and sessions refer to their
-- connection and stay for analysts, so the row stays too, marked deleted: no
-- program finds it any more (webhooks answer 404, lists leave it out), its
-- API key is erased, and its id is never reused. The comment inside the
-- statement is kept in the schema, beside the column.
ALTER TABLE connections ADD COLUMN deleted_at TEXT /* when an operator deleted it (its messages and sessions stay); NULL while it exists */;
