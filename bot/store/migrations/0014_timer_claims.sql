-- Timer claims, so that several bot processes on one database run each timer once: a process claims the
-- due timers of its shards' guilds for a lease (`claimed_by` its instance id, `claimed_until` the lease's
-- end, the same fixed-width UTC text as due_at), runs them and deletes them. A claim whose lease ended
-- belongs to a process that died; the process serving that guild's shard next takes it over.
ALTER TABLE timers ADD COLUMN claimed_by TEXT;
ALTER TABLE timers ADD COLUMN claimed_until TEXT;
-- A clean stop hands back its claims by owner; few rows are claimed at any time.
CREATE INDEX timers_claimed ON timers (claimed_by) WHERE claimed_by IS NOT NULL;
