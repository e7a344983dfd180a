-- Summary jobs: a member's /summarize, stored from the moment it is accepted, so that the member's
-- cooldown, the one-job-per-member-and-thread rule and the tokens held against the club's daily budget
-- are claimed in one transaction before any model call, and survive a restart.
CREATE TABLE summary_jobs (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,  -- who asked
    thread_id       INTEGER NOT NULL,
    reserved_tokens INTEGER NOT NULL DEFAULT 0,  -- held against the club's day while the job runs
    calls           INTEGER NOT NULL DEFAULT 0,  -- model calls answered so far
    tokens          INTEGER NOT NULL DEFAULT 0,  -- tokens those calls spent (also in summary_usage)
    started_at      TEXT    NOT NULL,  -- the member's cooldown counts from here
    ended_at        TEXT,              -- NULL while the job runs
    outcome         TEXT,              -- done | failed | released (no model call: no cooldown) | interrupted
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
-- At most one running job per member and per thread in a club: a second claim fails on these.
CREATE UNIQUE INDEX summary_jobs_running_member ON summary_jobs (guild_id, user_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX summary_jobs_running_thread ON summary_jobs (guild_id, thread_id) WHERE ended_at IS NULL;
CREATE INDEX summary_jobs_by_member ON summary_jobs (guild_id, user_id);  -- the last job: by id
