-- Discussions: a state machine (scheduled -> opening -> open -> closed, or cancelled), the Discord
-- scheduled event that mirrors each one, questions, and per-club reminder settings and opt-outs.
-- No discussion rows exist yet, so the table is recreated rather than altered column by column.

DROP INDEX IF EXISTS discussions_due;
DROP TABLE discussions;

CREATE TABLE discussions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    -- The book (or film) the scope is about; a "book vs film" scope names the book here.
    work_id       INTEGER REFERENCES works (id) ON DELETE CASCADE,
    spoiler_scope TEXT    NOT NULL,              -- bot.spoilers.scope_to_str
    title         TEXT    NOT NULL,
    questions     TEXT    NOT NULL DEFAULT '[]', -- JSON list of strings
    opens_at      TEXT    NOT NULL,
    closes_at     TEXT    NOT NULL,
    channel_id    INTEGER,                       -- the discussion channel (text or forum) it opens in
    thread_id     INTEGER,
    event_id      INTEGER,                       -- the Discord scheduled event
    mode          TEXT CHECK (mode IS NULL OR mode IN ('tagged', 'gated')),  -- fixed when it opens
    state         TEXT    NOT NULL DEFAULT 'scheduled'
                  CHECK (state IN ('scheduled', 'opening', 'open', 'closed', 'cancelled')),
    created_by    INTEGER,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX discussions_by_guild ON discussions (guild_id, state, opens_at);
CREATE INDEX discussions_by_thread ON discussions (thread_id);

-- Reminder offsets before a discussion opens, in minutes, per club (absent: 24 h and 1 h).
CREATE TABLE discussion_reminder_settings (
    guild_id   INTEGER PRIMARY KEY,
    offsets    TEXT    NOT NULL,  -- JSON list of minutes, largest first
    updated_at TEXT    NOT NULL
);

-- Members who turned discussion reminders off in a club.
CREATE TABLE discussion_reminder_optouts (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Reminders already sent, claimed before sending so that a restart mid-send never sends one twice.
CREATE TABLE discussion_reminders_sent (
    discussion_id INTEGER NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    minutes       INTEGER NOT NULL,
    sent_at       TEXT    NOT NULL,
    PRIMARY KEY (discussion_id, minutes)
);
