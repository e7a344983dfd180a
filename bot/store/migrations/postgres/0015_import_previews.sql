-- `/status import` previews waiting for the member's Confirm, in the database so that a restart or
-- another shard process can confirm them. `token` is what the preview's buttons carry. Once recorded,
-- `imported_at` and the counts stay until expiry, so a second press says what the first one did.
CREATE TABLE import_previews (
    token             TEXT    PRIMARY KEY,  -- 16 random hex digits
    guild_id          BIGINT  NOT NULL,
    user_id           BIGINT  NOT NULL,
    source            TEXT    NOT NULL,     -- the export's format (goodreads, storygraph, letterboxd)
    updates           TEXT    NOT NULL,     -- JSON list of [work id, state, finished at or null]
    ratings           TEXT    NOT NULL,     -- JSON list of [work id, stars on the source's scale]
    created_at        TEXT    NOT NULL,
    expires_at        TEXT    NOT NULL,
    imported_at       TEXT,
    imported_statuses BIGINT,
    imported_ratings  BIGINT
);
CREATE INDEX import_previews_by_expiry ON import_previews (expires_at);
CREATE INDEX import_previews_by_user ON import_previews (user_id);
