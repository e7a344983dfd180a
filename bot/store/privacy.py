"""Everything the bot stores about one member, found and deleted in one place."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True)
class MemberData:
    """How many records the bot holds about a member, by kind."""

    statuses: int = 0
    status_changes: int = 0
    reviews: int = 0
    review_drafts: int = 0
    featured_posted: int = 0
    poll_votes: int = 0
    ranked_ballots: int = 0
    nominations: int = 0
    suggestions: int = 0
    discussions_created: int = 0
    rounds_opened: int = 0
    polls_created: int = 0
    reminder_optouts: int = 0
    summary_opt_out: int = 0
    summaries: int = 0

    @property
    def total(self) -> int:
        """Return the number of records in all."""
        return sum(vars(self).values())


# (field, count query, erase statement). Suggestions and created discussions/polls belong to the
# club, so the member's id is removed from them rather than the club's records being deleted.
_PERSONAL_DATA = (
    ("statuses", "SELECT COUNT(*) FROM statuses WHERE user_id = ?", "DELETE FROM statuses WHERE user_id = ?"),
    (
        "status_changes",
        "SELECT COUNT(*) FROM status_history WHERE user_id = ?",
        "DELETE FROM status_history WHERE user_id = ?",
    ),
    (
        "reviews",
        "SELECT COUNT(*) FROM reviews WHERE author_id = ? AND kind != 'featured'",
        "DELETE FROM reviews WHERE author_id = ? AND kind != 'featured'",
    ),
    (
        "featured_posted",
        "SELECT COUNT(*) FROM reviews WHERE author_id = ? AND kind = 'featured'",
        "UPDATE reviews SET author_id = NULL WHERE author_id = ? AND kind = 'featured'",
    ),
    (
        "review_drafts",
        "SELECT COUNT(*) FROM review_drafts WHERE user_id = ?",
        "DELETE FROM review_drafts WHERE user_id = ?",
    ),
    (
        "poll_votes",
        "SELECT COUNT(*) FROM poll_votes WHERE user_id = ?",
        "DELETE FROM poll_votes WHERE user_id = ?",
    ),
    (
        "ranked_ballots",
        "SELECT COUNT(*) FROM poll_ballots WHERE user_id = ?",
        "DELETE FROM poll_ballots WHERE user_id = ?",
    ),
    (
        "nominations",
        "SELECT COUNT(*) FROM nomination_pitches WHERE user_id = ?",
        "DELETE FROM nomination_pitches WHERE user_id = ?",
    ),
    (
        "suggestions",
        "SELECT COUNT(*) FROM works WHERE suggested_by = ?",
        "UPDATE works SET suggested_by = NULL WHERE suggested_by = ?",
    ),
    (
        "discussions_created",
        "SELECT COUNT(*) FROM discussions WHERE created_by = ?",
        "UPDATE discussions SET created_by = NULL WHERE created_by = ?",
    ),
    (
        "rounds_opened",
        "SELECT COUNT(*) FROM nomination_rounds WHERE opened_by = ?",
        "UPDATE nomination_rounds SET opened_by = NULL WHERE opened_by = ?",
    ),
    (
        "polls_created",
        "SELECT COUNT(*) FROM polls WHERE created_by = ?",
        "UPDATE polls SET created_by = NULL WHERE created_by = ?",
    ),
    (
        "reminder_optouts",
        "SELECT COUNT(*) FROM discussion_reminder_optouts WHERE user_id = ?",
        "DELETE FROM discussion_reminder_optouts WHERE user_id = ?",
    ),
    (
        "summary_opt_out",
        "SELECT COUNT(*) FROM summary_opt_outs WHERE user_id = ?",
        "DELETE FROM summary_opt_outs WHERE user_id = ?",
    ),
    # A stored summary names the people it draws on; it goes (the next /summarize rereads the thread).
    (
        "summaries",
        "SELECT COUNT(*) FROM summary_authors WHERE user_id = ?",
        "DELETE FROM summaries WHERE id IN (SELECT summary_id FROM summary_authors WHERE user_id = ?)",
    ),
)


class PrivacyRepository:
    """Count and erase a member's personal data across every guild."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(self, user_id: int) -> MemberData:
        """Return how many records mention the member."""
        counts = {}
        for field, count_sql, _ in _PERSONAL_DATA:
            row = await self._db.fetch_one(count_sql, (user_id,))
            counts[field] = int(row[0]) if row else 0
        return MemberData(**counts)

    async def forget(self, user_id: int) -> MemberData:
        """Delete or anonymise every record about the member, all or nothing; return what was removed."""
        removed = {}
        async with self._db.transaction() as tx:
            for field, _, erase_sql in _PERSONAL_DATA:
                removed[field] = await tx.execute(erase_sql, (user_id,))
        return MemberData(**removed)
