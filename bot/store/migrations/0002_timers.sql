-- Timers get a key, so that each thing a feature schedules (a discussion's opening, a poll's close) is
-- one row that scheduling again moves instead of duplicating, and a version, so that a timer moved while
-- its handler runs is not deleted when that handler finishes. The table held no rows before this.
DROP TABLE timers;
CREATE TABLE timers (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    due_at     TEXT    NOT NULL,  -- ISO-8601 UTC with microseconds, so text order is time order
    payload    TEXT    NOT NULL DEFAULT '{}',  -- JSON of the feature's row ids; never user ids
    attempts   INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL,
    UNIQUE (guild_id, event, key)
);
CREATE INDEX timers_due ON timers (due_at);
