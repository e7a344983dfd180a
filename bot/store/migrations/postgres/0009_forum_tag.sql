-- The forum tag the club's discussion posts carry (a forum that sets "Require tags" refuses a post without
-- one): a tag id of the discussion channel, or NULL.
ALTER TABLE guild_settings ADD COLUMN discussion_tag_id BIGINT;
