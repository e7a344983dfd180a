-- Thread summaries: the last summary of each thread (replacing the initial table, which was never
-- written), what they cost each club a day, and members who keep their messages away from the model.
DROP TABLE summaries;

CREATE TABLE summaries (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    thread_id       INTEGER NOT NULL UNIQUE,
    spoiler_scope   TEXT    NOT NULL,  -- the thread's scope when summarised; a changed scope starts afresh
    model           TEXT    NOT NULL,
    body            TEXT    NOT NULL,  -- the model's text, citations as [n]
    refs            TEXT    NOT NULL DEFAULT '{}',  -- JSON: citation number -> message id
    last_message_id INTEGER NOT NULL,  -- the newest message the summary covers
    message_count   INTEGER NOT NULL,
    left_out        INTEGER NOT NULL DEFAULT 0,  -- messages left out because their authors opted out
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- Whose messages a stored summary draws on, so /privacy forget can delete the summaries about a member.
CREATE TABLE summary_authors (
    summary_id INTEGER NOT NULL REFERENCES summaries (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (summary_id, user_id)
);
CREATE INDEX summary_authors_by_user ON summary_authors (user_id);

CREATE TABLE summary_usage (
    guild_id          INTEGER NOT NULL,
    day               TEXT    NOT NULL,  -- UTC date, YYYY-MM-DD
    calls             INTEGER NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
);

-- A member's choice, in every server: their messages are never sent to the model.
CREATE TABLE summary_opt_outs (
    user_id    INTEGER PRIMARY KEY,
    created_at TEXT    NOT NULL
);
