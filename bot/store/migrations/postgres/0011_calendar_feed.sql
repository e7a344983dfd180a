-- Calendar feeds: one subscribable address per club, /calendar/<secret>.ics. Only the SHA-256 of the
-- secret is kept (the secret is 32 random bytes, so a plain hash cannot be reversed by guessing): a copy
-- of the database does not hand out the addresses. Rotating replaces the hash, so the old address
-- stops working at once. No member data: who subscribed is never known.
CREATE TABLE calendar_feeds (
    guild_id    BIGINT  PRIMARY KEY,
    secret_hash TEXT    NOT NULL UNIQUE,  -- hex SHA-256 of the secret; requests are looked up by it
    created_at  TEXT    NOT NULL          -- when this secret was made (first use or last rotation)
);
