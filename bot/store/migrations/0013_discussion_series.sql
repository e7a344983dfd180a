-- Discussion series: a meeting every N weeks on a weekday, or on the Nth (or last) weekday of each month,
-- at a clock time in the club's time zone. The one scheduler creates each meeting as an ordinary
-- discussion `lead_days` before it; `next_on` is the local date of the first meeting not yet created
-- (or skipped), so a restart carries on where the series was.
CREATE TABLE discussion_series (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    work_id       INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    spoiler_scope TEXT    NOT NULL,  -- bot.spoilers.scope_to_str, the same for every meeting
    kind          TEXT    NOT NULL CHECK (kind IN ('weekly', 'monthly')),
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- Monday = 0
    -- weekly: weeks between meetings (1-12); monthly: which weekday of the month (1-4, or -1 for the last)
    step          INTEGER NOT NULL CHECK (step BETWEEN 1 AND 12 OR (kind = 'monthly' AND step = -1)),
    local_time    TEXT    NOT NULL,  -- HH:MM on the club's clock
    minutes       INTEGER NOT NULL,  -- how long each meeting stays open
    lead_days     INTEGER NOT NULL,  -- how far ahead each meeting is created
    next_on       TEXT    NOT NULL,  -- YYYY-MM-DD, local date of the next meeting to create
    -- Set when the organizers were told a meeting could not be created (Discord's 100-event limit, the
    -- club's setup); cleared once a meeting is created again, so they are told once per stretch.
    noticed_at    TEXT,
    created_by    INTEGER,
    created_at    TEXT    NOT NULL,
    stopped_at    TEXT
);
CREATE INDEX discussion_series_by_guild ON discussion_series (guild_id, stopped_at);
