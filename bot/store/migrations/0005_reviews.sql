-- Reviews and ratings: featured reviews (several per title), one review or rating per member per title
-- (written, or imported from Goodreads, StoryGraph or Letterboxd), drafts waiting for "replace?", and the
-- club's finished titles. No data exists in the old reviews table, so it is recreated.
DROP TABLE reviews;

CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    work_id       INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    -- featured: posted by an organizer (author_id); member: written by author_id; imported: a rating only.
    kind          TEXT    NOT NULL CHECK (kind IN ('featured', 'member', 'imported')),
    author_id     INTEGER,
    -- Members rate 0.5-5 in halves; imports keep their source's precision (StoryGraph has quarter stars).
    rating        REAL CHECK (rating IS NULL OR rating BETWEEN 0.25 AND 5),
    rating_source TEXT,
    body          TEXT,
    body_hash     TEXT,
    spoiler       INTEGER NOT NULL DEFAULT 0 CHECK (spoiler IN (0, 1)),
    spoiler_scope TEXT    NOT NULL DEFAULT 'none',
    -- Featured reviews: who wrote the piece, where it came from.
    reviewer      TEXT,
    headline      TEXT,
    source_url    TEXT,
    channel_id    INTEGER,
    message_id    INTEGER,
    thread_id     INTEGER,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX reviews_one_per_member ON reviews (guild_id, work_id, author_id) WHERE kind IN ('member', 'imported');
CREATE INDEX reviews_by_work ON reviews (guild_id, work_id, kind);

-- A member's second review of a title, waiting for them to choose "replace" or "keep".
CREATE TABLE review_drafts (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    work_id    INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    rating     REAL    NOT NULL,
    body       TEXT    NOT NULL,
    spoiler    INTEGER NOT NULL CHECK (spoiler IN (0, 1)),
    channel_id INTEGER,
    created_at TEXT    NOT NULL
);

-- Titles the club finished together, with the date.
CREATE TABLE club_finished (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    work_id     INTEGER NOT NULL REFERENCES works (id) ON DELETE CASCADE,
    finished_at TEXT    NOT NULL,
    UNIQUE (guild_id, work_id)
);
