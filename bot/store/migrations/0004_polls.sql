-- Polls of three kinds (native Discord polls, ranked-choice ballots, meeting dates), their votes and
-- ballots, and nomination rounds that feed them. The initial poll tables held no data yet: recreated.

DROP TABLE poll_votes;
DROP TABLE poll_options;
DROP TABLE polls;

-- A nomination round: members propose titles (with a pitch) until an organizer closes it into a poll.
CREATE TABLE nomination_rounds (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    kinds      TEXT    NOT NULL DEFAULT 'any' CHECK (kinds IN ('any', 'books', 'films')),
    state      TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    opened_by  INTEGER,
    opened_at  TEXT    NOT NULL,
    closed_at  TEXT
);
-- At most one open round per guild.
CREATE UNIQUE INDEX nomination_rounds_open ON nomination_rounds (guild_id) WHERE state = 'open';

-- One nomination per title per round; a second member naming the same title adds their pitch to it.
CREATE TABLE nominations (
    id         INTEGER PRIMARY KEY,
    round_id   INTEGER NOT NULL REFERENCES nomination_rounds (id) ON DELETE CASCADE,
    work_id    INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    UNIQUE (round_id, work_id)
);

CREATE TABLE nomination_pitches (
    nomination_id INTEGER NOT NULL REFERENCES nominations (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    pitch         TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (nomination_id, user_id)
);

CREATE TABLE polls (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('native', 'ranked', 'dates')),
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER,          -- the Discord poll (native) or the bot's post with the ballot button
    info_message_id INTEGER,          -- the bot's separate message: full titles, times, later the results
    question        TEXT    NOT NULL,
    allow_multiple  INTEGER NOT NULL DEFAULT 0 CHECK (allow_multiple IN (0, 1)),
    state           TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closes_at       TEXT    NOT NULL,
    closed_at       TEXT,
    round_id        INTEGER REFERENCES nomination_rounds (id) ON DELETE SET NULL,
    winner_position INTEGER,
    result          TEXT,             -- the ranked count's rounds as JSON, once closed
    created_by      INTEGER,
    created_at      TEXT    NOT NULL
);
CREATE UNIQUE INDEX polls_by_message ON polls (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX polls_by_guild ON polls (guild_id, created_at);

-- Answers in order; for a native poll `position` is Discord's answer id.
CREATE TABLE poll_options (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position > 0),
    label       TEXT    NOT NULL,     -- the full text (title, or a date poll's time as ISO-8601)
    answer      TEXT    NOT NULL,     -- what the Discord poll shows (at most 55 characters)
    work_id     INTEGER REFERENCES works (id) ON DELETE SET NULL,
    starts_at   TEXT,                 -- date polls: the candidate time
    final_votes INTEGER,              -- stored when the poll ends
    PRIMARY KEY (poll_id, position)
);

-- Native and date polls: one row per member per answer they chose.
CREATE TABLE poll_votes (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    voted_at TEXT    NOT NULL,
    PRIMARY KEY (poll_id, position, user_id)
);
CREATE INDEX poll_votes_by_user ON poll_votes (user_id);

-- Ranked-choice ballots: a member's choices in order (rank 1 first); secret, never shown per member.
CREATE TABLE poll_ballots (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    rank     INTEGER NOT NULL CHECK (rank > 0),
    position INTEGER NOT NULL,
    cast_at  TEXT    NOT NULL,
    PRIMARY KEY (poll_id, user_id, rank),
    UNIQUE (poll_id, user_id, position)
);
CREATE INDEX poll_ballots_by_user ON poll_ballots (user_id);
