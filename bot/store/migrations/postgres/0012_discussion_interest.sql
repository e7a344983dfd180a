-- Members who marked a discussion's Discord event "Interested": kept as GUILD_SCHEDULED_EVENT_USER_ADD and
-- _REMOVE arrive, and made equal to Discord's list (GET .../scheduled-events/{id}/users) after a restart.
-- Rows stay after the close, so the club's stats can count them.
CREATE TABLE discussion_interest (
    discussion_id BIGINT  NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL,
    -- When the bot DMed an interested member whose status fell short of a gated scope what to mark first
    -- (claimed before the DM goes out, so it is sent once; the join offer itself is in discussion_offers).
    hinted_at     TEXT,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (discussion_id, user_id)
);
CREATE INDEX discussion_interest_by_member ON discussion_interest (user_id);

-- Who took part in a discussion: members the bot let into its thread (recorded as it does) and members who
-- posted there (read from the thread's history at the close). Counts only are shown, except to the member.
CREATE TABLE discussion_attendance (
    discussion_id BIGINT  NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    user_id       BIGINT  NOT NULL,
    let_in        BIGINT  NOT NULL DEFAULT 0 CHECK (let_in IN (0, 1)),
    posted        BIGINT  NOT NULL DEFAULT 0 CHECK (posted IN (0, 1)),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (discussion_id, user_id)
);
CREATE INDEX discussion_attendance_by_member ON discussion_attendance (user_id);

-- An Interested click names the event; this finds its discussion.
CREATE INDEX discussions_by_event ON discussions (event_id);
