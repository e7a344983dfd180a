"""Everything the bot stores about one member, found and deleted in one place.

`PERSONAL_DATA` is the registry: every column that holds a member's id, or text that may quote one,
with how `/privacy forget` erases it. A feature that adds such a column adds a line here in the same
change; `tests/unit/test_privacy_registry.py` reads the schema and fails on a column that is neither
here nor in `NOT_PERSONAL`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.store.db import Database, Transaction

FORMER_MEMBER = "a former member"
"""What a mention of a forgotten member in someone else's text becomes."""


class Erase(StrEnum):
    """How forget removes a member from a column."""

    DELETE = "delete"  # the rows are the member's own (statuses, votes): delete them
    CLEAR = "clear"  # the rows belong to the club (a suggested title): set the id to NULL
    REDACT = "redact"  # text others or the bot wrote: replace the member's id with FORMER_MEMBER
    DELETE_MENTIONING = "delete_mentioning"  # machine data that must never name a member: drop such rows


@dataclass(frozen=True, slots=True)
class PersonalColumn:
    """One column that holds a member's id (or text that may), with how forget erases it."""

    key: str
    table: str
    column: str
    erase: Erase
    label: str
    # Extra condition on the rows (fixed SQL written here, never input), e.g. one kind of review.
    where: str = ""
    # A whole erase statement (parameter :id) for rows found through this column, when deleting the
    # column's own rows is not enough (a summary is deleted when it drew on the member's messages).
    erase_sql: str = ""


# Order matters: a member's own reviews go before mentions of them are redacted in the others.
PERSONAL_DATA: tuple[PersonalColumn, ...] = (
    PersonalColumn("statuses", "statuses", "user_id", Erase.DELETE, "reading/watching statuses"),
    PersonalColumn("status_changes", "status_history", "user_id", Erase.DELETE, "status history entries"),
    PersonalColumn(
        "reviews", "reviews", "author_id", Erase.DELETE, "reviews and ratings", where="kind != 'featured'"
    ),
    PersonalColumn(
        "featured_posted",
        "reviews",
        "author_id",
        Erase.CLEAR,
        "featured reviews you posted (they stay, your name is removed)",
        where="kind = 'featured'",
    ),
    PersonalColumn("review_drafts", "review_drafts", "user_id", Erase.DELETE, "unsent review drafts"),
    PersonalColumn(
        "import_previews",
        "import_previews",
        "user_id",
        Erase.DELETE,
        "status-import previews from files you uploaded (kept until confirmed or 15 minutes pass)",
    ),
    PersonalColumn("poll_votes", "poll_votes", "user_id", Erase.DELETE, "poll votes"),
    PersonalColumn("ranked_ballots", "poll_ballots", "user_id", Erase.DELETE, "ranked-choice ballot choices"),
    PersonalColumn(
        "nominations",
        "nomination_pitches",
        "user_id",
        Erase.DELETE,
        "nomination pitches (the nominated titles stay)",
    ),
    PersonalColumn(
        "reminder_optouts",
        "discussion_reminder_optouts",
        "user_id",
        Erase.DELETE,
        "your choice to get no discussion reminders",
    ),
    PersonalColumn(
        "discussion_offers",
        "discussion_offers",
        "user_id",
        Erase.DELETE,
        "join offers for discussions sent to you by DM (and whether they reached you)",
    ),
    PersonalColumn(
        "discussion_interest",
        "discussion_interest",
        "user_id",
        Erase.DELETE,
        "discussions you marked Interested in the server's Events",
    ),
    PersonalColumn(
        "discussion_attendance",
        "discussion_attendance",
        "user_id",
        Erase.DELETE,
        "discussions you took part in (posted in, or were let into)",
    ),
    PersonalColumn(
        "summary_opt_out",
        "summary_opt_outs",
        "user_id",
        Erase.DELETE,
        "your choice to keep your messages out of thread summaries (run `/privacy summaries` again to keep them out)",
    ),
    PersonalColumn(
        "summaries",
        "summary_authors",
        "user_id",
        Erase.DELETE,
        "stored thread summaries drawing on your messages (the next `/summarize` rereads the thread)",
        erase_sql="DELETE FROM summaries WHERE id IN (SELECT summary_id FROM summary_authors WHERE user_id = :id)",
    ),
    PersonalColumn(
        "summary_requests",
        "summary_jobs",
        "user_id",
        Erase.DELETE,
        "records of when you asked for a thread summary (they time your `/summarize` cooldown)",
    ),
    PersonalColumn(
        "suggestions",
        "works",
        "suggested_by",
        Erase.CLEAR,
        "title suggestions (the titles stay, your name is removed)",
    ),
    PersonalColumn(
        "discussions_created",
        "discussions",
        "created_by",
        Erase.CLEAR,
        "discussions you scheduled (they stay, your name is removed)",
    ),
    PersonalColumn(
        "series_created",
        "discussion_series",
        "created_by",
        Erase.CLEAR,
        "discussion series you started (they go on, your name is removed)",
    ),
    PersonalColumn(
        "polls_created",
        "polls",
        "created_by",
        Erase.CLEAR,
        "polls you started (they stay, your name is removed)",
    ),
    PersonalColumn(
        "rounds_opened",
        "nomination_rounds",
        "opened_by",
        Erase.CLEAR,
        "nomination rounds you opened (they stay, your name is removed)",
    ),
    PersonalColumn(
        "review_mentions", "reviews", "body", Erase.REDACT, "mentions of you in others' reviews (removed)"
    ),
    PersonalColumn(
        "summary_mentions", "summaries", "body", Erase.REDACT, "mentions of you in thread summaries (removed)"
    ),
    PersonalColumn(
        "discussion_mentions",
        "discussions",
        "title",
        Erase.REDACT,
        "mentions of you in discussion titles (removed)",
    ),
    PersonalColumn(
        "poll_mentions", "polls", "question", Erase.REDACT, "mentions of you in poll questions (removed)"
    ),
    PersonalColumn(
        "poll_option_mentions",
        "poll_options",
        "label",
        Erase.REDACT,
        "mentions of you in poll options (removed)",
    ),
    PersonalColumn(
        "question_mentions",
        "discussions",
        "questions",
        Erase.REDACT,
        "mentions of you in discussion questions (removed)",
    ),
    PersonalColumn(
        "pitch_mentions",
        "nomination_pitches",
        "pitch",
        Erase.REDACT,
        "mentions of you in others' nomination pitches (removed)",
    ),
    PersonalColumn(
        "answer_mentions", "poll_options", "answer", Erase.REDACT, "mentions of you in poll answers (removed)"
    ),
    PersonalColumn(
        "draft_mentions",
        "review_drafts",
        "body",
        Erase.REDACT,
        "mentions of you in others' review drafts (removed)",
    ),
    PersonalColumn(
        "headline_mentions",
        "reviews",
        "headline",
        Erase.REDACT,
        "mentions of you in review headlines (removed)",
    ),
    PersonalColumn(
        "reviewer_mentions",
        "reviews",
        "reviewer",
        Erase.REDACT,
        "mentions of you in featured reviews' bylines (removed)",
    ),
    PersonalColumn("timers", "timers", "payload", Erase.DELETE_MENTIONING, "scheduled jobs naming you"),
)

# Text columns that never hold a member's id or words, each with why (checked against the schema).
NOT_PERSONAL: dict[str, str] = {
    "guild_settings.timezone": "a zone name chosen from a list",
    "guild_settings.spoiler_mode": "an enumeration",
    "works.kind": "an enumeration",
    "works.title": "the club catalog: checked titles, the suggester's id is cleared",
    "works.creator": "the club catalog: author or director",
    "work_parts.name": "the club catalog: part names",
    "statuses.state": "an enumeration",
    "statuses.progress_unit": "an enumeration",
    "statuses.source": "an enumeration",
    "status_history.state": "an enumeration",
    "status_history.progress_unit": "an enumeration",
    "status_history.source": "an enumeration",
    "reviews.spoiler_scope": "a scope code",
    "summary_jobs.outcome": "an enumeration",
    "discussions.spoiler_scope": "a scope code",
    "discussions.state": "an enumeration",
    "summaries.spoiler_scope": "a scope code",
    "summaries.model": "a model name",
    "timers.event": "a feature's event name",
    "timers.key": "a feature's row id",
    "timers.claimed_by": "a bot process's instance id (host, pid, random)",
    "timers.claimed_until": "a time",
    "discussion_reminder_settings.offsets": "a JSON list of minutes",
    "discussions.mode": "an enumeration",
    "discussion_series.spoiler_scope": "a scope code",
    "discussion_series.kind": "an enumeration",
    "discussion_series.local_time": "a clock time (HH:MM)",
    "discussion_series.next_on": "a date",
    "discussion_offers.outcome": "an enumeration",
    "nomination_rounds.kinds": "an enumeration",
    "nomination_rounds.state": "an enumeration",
    "polls.kind": "an enumeration",
    "polls.state": "an enumeration",
    "polls.result": "a ranked count as JSON: option positions and vote counts",
    "reviews.kind": "an enumeration",
    "reviews.rating_source": "the name of the service a rating was imported from",
    "reviews.body_hash": "a hash of a review's text, to recognise a double submission",
    "reviews.source_url": "the address of a web page an organizer featured",
    "summaries.refs": "a JSON map of citation numbers to message ids",
    "summary_usage.day": "a date",
    "import_previews.token": "a random token the preview's buttons carry",
    "import_previews.source": "the name of the service an export came from",
    "import_previews.updates": "JSON of catalog work ids, states and dates; the rows go with the member",
    "import_previews.ratings": "JSON of catalog work ids and stars; the rows go with the member",
    "calendar_feeds.secret_hash": "a hash of the club's random feed secret; who subscribes is never known",
}


@dataclass(frozen=True)
class MemberData:
    """How many records the bot holds about a member, by `PersonalColumn.key`."""

    counts: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, key: str) -> int:
        """Return the count for one registry key (0 when none)."""
        if key.startswith("_") or key not in _KEYS:
            raise AttributeError(key)
        return self.counts.get(key, 0)

    @property
    def total(self) -> int:
        """Return the number of records in all."""
        return sum(self.counts.values())

    def described(self) -> list[tuple[str, int]]:
        """Return (label, count) for each kind of record the member has, in registry order."""
        return [(c.label, self.counts[c.key]) for c in PERSONAL_DATA if self.counts.get(c.key)]


_KEYS = frozenset(c.key for c in PERSONAL_DATA)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _sql(entry: PersonalColumn) -> tuple[str, str]:
    """Return the (count, erase) statements of a registry entry (named parameters :id, :text, :former)."""
    table, column = entry.table, entry.column
    # Identifiers come from the registry above, never from input; checked anyway before use in SQL.
    if not (_IDENTIFIER.match(table) and _IDENTIFIER.match(column)):
        raise ValueError(f"bad registry entry {entry}")
    # Text holds the id as digits (a mention is <@id> or <@!id>); snowflakes are 17-20 digits long.
    by_id = entry.erase in (Erase.DELETE, Erase.CLEAR)
    where = f"{column} = :id" if by_id else f"instr({column}, :text) > 0"
    if entry.where:
        where = f"{where} AND {entry.where}"
    count = f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 - checked identifiers
    if entry.erase is Erase.CLEAR:
        erase = f"UPDATE {table} SET {column} = NULL WHERE {where}"  # noqa: S608 - checked identifiers
    elif entry.erase is Erase.REDACT:
        mention = f"replace(replace({column}, '<@!' || :text || '>', :former), '<@' || :text || '>', :former)"
        erase = f"UPDATE {table} SET {column} = replace({mention}, :text, :former) WHERE {where}"  # noqa: S608
    else:
        erase = f"DELETE FROM {table} WHERE {where}"  # noqa: S608 - checked identifiers
    return count, entry.erase_sql or erase


def _params(user_id: int) -> dict[str, object]:
    return {"id": user_id, "text": str(user_id), "former": FORMER_MEMBER}


class PrivacyRepository:
    """Count and erase a member's personal data across every guild."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(self, user_id: int) -> MemberData:
        """Return how many records mention the member."""
        counts: dict[str, int] = {}
        for entry in PERSONAL_DATA:
            row = await self._db.fetch_one(_sql(entry)[0], _params(user_id))
            counts[entry.key] = counts.get(entry.key, 0) + (int(row[0]) if row else 0)
        return MemberData(counts)

    async def forget(self, user_id: int) -> MemberData:
        """Erase every record about the member, all or nothing, and scrub the files; return what went.

        The connection runs with secure_delete on (freed bytes are zeroed), and the checkpoint copies
        the change into the database file and empties the write-ahead log, so the id and text leave
        the files, not just the tables.
        """
        removed = await self._db.atomic(lambda tx: _erase(tx, user_id))
        await self._db.checkpoint()
        return removed


async def _erase(tx: Transaction, user_id: int) -> MemberData:
    removed: dict[str, int] = {}
    for entry in PERSONAL_DATA:
        removed[entry.key] = removed.get(entry.key, 0) + await tx.execute(_sql(entry)[1], _params(user_id))
    return MemberData(removed)
