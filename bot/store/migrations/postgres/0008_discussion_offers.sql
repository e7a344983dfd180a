-- Join offers the bot sends by DM for open gated discussions: one per member and discussion, claimed
-- before the DM goes out (as reminders are), so a restart or a second status change never sends it twice.
-- 'unreachable' is Discord's 403 50007 (the member does not take DMs from the bot) or 50278 (they share
-- no server with it): final for that offer, never tried again; the announcement's Join button still works.
CREATE TABLE discussion_offers (
    discussion_id BIGINT  NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL,
    outcome       TEXT    NOT NULL DEFAULT 'sending'
                  CHECK (outcome IN ('sending', 'sent', 'unreachable')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (discussion_id, user_id)
);
