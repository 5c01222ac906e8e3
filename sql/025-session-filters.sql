-- Version 25: the Sessions page's other filters stay fast whether they
-- match many sessions or few. A filter that only checked each row of the
-- list's order read every session when it matched few (1.9 s at 100,000
-- sessions); each now leads with an index of its own rows in the list's
-- order. A phone prefix is a range of contacts.phone's own index (the
-- page chooses between it and the list's order by how many numbers the
-- prefix holds).
CREATE INDEX sessions_responsible_last ON sessions(responsible, last_at) -- Sessions page filtered by who is responsible, latest activity first
;
CREATE INDEX sessions_held_last ON sessions(last_at) WHERE closed_at IS NULL AND (responsible <> 'ai' OR agent_id IS NULL) -- open sessions no AI answers (those waiting for an operator are among them), latest activity first
;
