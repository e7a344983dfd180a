-- Initial schema. Every table is keyed by the guild it belongs to; user ids are Discord snowflakes.
-- Timestamps are ISO-8601 UTC strings written by the application's clock.

CREATE TABLE guild_settings (
    guild_id                INTEGER PRIMARY KEY,
    organizer_role_id       INTEGER,
    timezone                TEXT    NOT NULL DEFAULT 'UTC',
    announcement_channel_id INTEGER,
    discussion_channel_id   INTEGER,
    spoiler_mode            TEXT    NOT NULL DEFAULT 'tagged' CHECK (spoiler_mode IN ('tagged', 'gated')),
    current_book_id         INTEGER REFERENCES works (id) ON DELETE SET NULL,
    current_adaptation_id   INTEGER REFERENCES works (id) ON DELETE SET NULL,
    updated_at              TEXT    NOT NULL
);

-- The club catalog: books, and films or series (optionally adapting a book).
CREATE TABLE works (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('book', 'film', 'series')),
    title          TEXT    NOT NULL,
    creator        TEXT,
    year           INTEGER,
    chapters       INTEGER CHECK (chapters IS NULL OR chapters > 0),
    pages          INTEGER CHECK (pages IS NULL OR pages > 0),
    episodes       INTEGER CHECK (episodes IS NULL OR episodes > 0),
    adapts_work_id INTEGER REFERENCES works (id) ON DELETE SET NULL,
    approved       INTEGER NOT NULL DEFAULT 1 CHECK (approved IN (0, 1)),
    suggested_by   INTEGER,
    created_at     TEXT    NOT NULL
);
CREATE UNIQUE INDEX works_identity ON works (guild_id, kind, title COLLATE NOCASE, IFNULL(year, 0));

CREATE TABLE work_parts (
    work_id       INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL CHECK (position > 0),
    name          TEXT    NOT NULL,
    last_chapter  INTEGER CHECK (last_chapter IS NULL OR last_chapter > 0),
    PRIMARY KEY (work_id, position)
);

-- Each member's current status for a work, and every change to it.
CREATE TABLE statuses (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    work_id        INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    state          TEXT    NOT NULL,
    progress_unit  TEXT CHECK (progress_unit IS NULL OR progress_unit IN ('chapter', 'part', 'page', 'percent', 'episode')),
    progress_value REAL,
    source         TEXT    NOT NULL,  -- how the latest change came: command, button or import
    changed_at     TEXT    NOT NULL,  -- when it happened (an import's "date read"), for the history
    updated_at     TEXT    NOT NULL,  -- when the bot recorded it
    PRIMARY KEY (guild_id, user_id, work_id)
);
CREATE INDEX statuses_by_work ON statuses (guild_id, work_id, state);

CREATE TABLE status_history (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    work_id        INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    state          TEXT    NOT NULL,
    progress_unit  TEXT,
    progress_value REAL,
    source         TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL
);
CREATE INDEX status_history_by_member ON status_history (guild_id, user_id, changed_at);

-- Every write to statuses lands in the history, whatever code makes it, in the same statement.
CREATE TRIGGER statuses_history_on_insert AFTER INSERT ON statuses
BEGIN
    INSERT INTO status_history (guild_id, user_id, work_id, state, progress_unit, progress_value, source, changed_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.work_id, NEW.state, NEW.progress_unit, NEW.progress_value, NEW.source,
            NEW.changed_at);
END;
CREATE TRIGGER statuses_history_on_update AFTER UPDATE ON statuses
BEGIN
    INSERT INTO status_history (guild_id, user_id, work_id, state, progress_unit, progress_value, source, changed_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.work_id, NEW.state, NEW.progress_unit, NEW.progress_value, NEW.source,
            NEW.changed_at);
END;

-- Featured reviews by organizers and members' own ratings.
CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    work_id       INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    author_id     INTEGER NOT NULL,
    rating        REAL CHECK (rating IS NULL OR rating BETWEEN 0 AND 5),
    body          TEXT,
    featured      INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
    spoiler_scope TEXT    NOT NULL DEFAULT 'none',
    channel_id    INTEGER,
    message_id    INTEGER,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    UNIQUE (guild_id, work_id, author_id, featured)
);

-- Scheduled spoiler-scoped discussion threads.
CREATE TABLE discussions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    work_id       INTEGER REFERENCES works (id) ON DELETE CASCADE,
    spoiler_scope TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    opens_at      TEXT    NOT NULL,
    closes_at     TEXT,
    channel_id    INTEGER,
    thread_id     INTEGER,
    state         TEXT    NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'open', 'closed', 'cancelled', 'failed')),
    created_by    INTEGER,
    created_at    TEXT    NOT NULL
);
CREATE INDEX discussions_due ON discussions (state, opens_at);

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    message_id     INTEGER,
    question       TEXT    NOT NULL,
    allow_multiple INTEGER NOT NULL DEFAULT 0 CHECK (allow_multiple IN (0, 1)),
    closes_at      TEXT    NOT NULL,
    closed_at      TEXT,
    created_by     INTEGER,
    created_at     TEXT    NOT NULL
);
CREATE INDEX polls_by_message ON polls (message_id);

CREATE TABLE poll_options (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label    TEXT    NOT NULL,
    work_id  INTEGER REFERENCES works (id) ON DELETE SET NULL,
    PRIMARY KEY (poll_id, position)
);

CREATE TABLE poll_votes (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    voted_at TEXT    NOT NULL,
    PRIMARY KEY (poll_id, position, user_id)
);

-- LLM summaries of discussion threads, each limited to a spoiler scope.
CREATE TABLE summaries (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    discussion_id   INTEGER REFERENCES discussions (id) ON DELETE CASCADE,
    thread_id       INTEGER NOT NULL,
    spoiler_scope   TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    last_message_id INTEGER,
    created_at      TEXT    NOT NULL
);

-- Durable timers, dispatched by one loop (reminders, openings, poll closings).
CREATE TABLE timers (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    due_at     TEXT    NOT NULL,
    payload    TEXT    NOT NULL DEFAULT '{}',
    created_at TEXT    NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);
