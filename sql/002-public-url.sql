-- Version 2: the public URL is unset by default. Version 1 seeded
-- public_url = 'http://127.0.0.1:8080', so a real installation gave Infobip
-- a loopback address for its delivery reports and clicks, and lost them all.
-- The seed is removed only where it is still exactly the seed: a value an
-- operator set stays. Unset, connection Start and the docs page say that
-- reports and clicks cannot arrive until it is set.
DELETE FROM settings WHERE name = 'public_url' AND value = 'http://127.0.0.1:8080';
