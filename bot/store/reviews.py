"""Reviews and ratings: featured reviews, members' reviews, imported ratings, drafts and club history."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.store.db import Database, Row, Transaction


class ReviewKind(StrEnum):
    """Where a review or rating came from."""

    FEATURED = "featured"
    MEMBER = "member"
    IMPORTED = "imported"


@dataclass(frozen=True)
class Review:
    """A stored review or rating."""

    id: int
    guild_id: int
    work_id: int
    kind: ReviewKind
    author_id: int | None
    rating: float | None
    rating_source: str | None
    body: str | None
    spoiler: bool
    spoiler_scope: str
    reviewer: str | None
    headline: str | None
    source_url: str | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewFeatured:
    """A featured review about to be posted."""

    work_id: int
    posted_by: int
    rating: float | None
    body: str
    spoiler_scope: str
    reviewer: str | None
    headline: str | None
    source_url: str | None


@dataclass(frozen=True)
class Draft:
    """A member's second review of a title, waiting for "replace" or "keep"."""

    id: int
    guild_id: int
    user_id: int
    work_id: int
    rating: float
    body: str
    spoiler: bool
    channel_id: int | None


@dataclass(frozen=True)
class RatingSummary:
    """Members' ratings of one title (written and imported)."""

    work_id: int
    count: int
    average: float | None


@dataclass(frozen=True)
class Finished:
    """A title the club finished, and when."""

    work_id: int
    finished_at: datetime


def body_fingerprint(body: str, rating: float, spoiler: bool) -> str:
    """Return a fingerprint that is equal for the same review submitted twice (whitespace aside)."""
    normalised = " ".join(body.split()).casefold()
    return hashlib.sha256(f"{rating:g}|{int(spoiler)}|{normalised}".encode()).hexdigest()


def _review(row: Row) -> Review:
    return Review(
        id=row["id"],
        guild_id=row["guild_id"],
        work_id=row["work_id"],
        kind=ReviewKind(row["kind"]),
        author_id=row["author_id"],
        rating=row["rating"],
        rating_source=row["rating_source"],
        body=row["body"],
        spoiler=bool(row["spoiler"]),
        spoiler_scope=row["spoiler_scope"],
        reviewer=row["reviewer"],
        headline=row["headline"],
        source_url=row["source_url"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


class ReviewRepository:
    """Read and write one guild's reviews and ratings."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # --- Featured reviews -----------------------------------------------------------------------

    async def add_featured(self, guild_id: int, new: NewFeatured) -> int:
        """Record a featured review before it is posted; return its id."""
        now = self._clock.now().isoformat()
        return await self._db.atomic(
            lambda tx: tx.insert(
                "INSERT INTO reviews (guild_id, work_id, kind, author_id, rating, body, spoiler_scope, reviewer,"
                " headline, source_url, created_at, updated_at) VALUES (?, ?, 'featured', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    new.work_id,
                    new.posted_by,
                    new.rating,
                    new.body,
                    new.spoiler_scope,
                    new.reviewer,
                    new.headline,
                    new.source_url,
                    now,
                    now,
                ),
            )
        )

    async def set_post(
        self, review_id: int, channel_id: int | None, message_id: int | None, thread_id: int | None = None
    ) -> None:
        """Remember where a review was posted (and its comment thread)."""
        await self._db.execute_atomic(
            "UPDATE reviews SET channel_id = ?, message_id = ?, thread_id = COALESCE(?, thread_id) WHERE id = ?",
            (channel_id, message_id, thread_id, review_id),
        )

    async def delete(self, review_id: int) -> bool:
        """Delete a review; return whether it existed."""
        return await self._db.execute_atomic("DELETE FROM reviews WHERE id = ?", (review_id,)) > 0

    async def get(self, guild_id: int, review_id: int) -> Review | None:
        """Return one review of the guild."""
        row = await self._db.fetch_one(
            "SELECT * FROM reviews WHERE guild_id = ? AND id = ?", (guild_id, review_id)
        )
        return _review(row) if row else None

    # --- Members' reviews and ratings -----------------------------------------------------------

    async def of_member(self, guild_id: int, work_id: int, user_id: int) -> Review | None:
        """Return a member's review or imported rating of a title."""
        row = await self._db.fetch_one(
            "SELECT * FROM reviews WHERE guild_id = ? AND work_id = ? AND author_id = ? AND kind IN ('member', 'imported')",
            (guild_id, work_id, user_id),
        )
        return _review(row) if row else None

    async def is_same_submission(self, review: Review, body: str, rating: float, spoiler: bool) -> bool:
        """Say whether a submission repeats the stored review (a double click or a second paste)."""
        row = await self._db.fetch_one("SELECT body_hash FROM reviews WHERE id = ?", (review.id,))
        return row is not None and row["body_hash"] == body_fingerprint(body, rating, spoiler)

    async def save_member_review(
        self,
        guild_id: int,
        work_id: int,
        user_id: int,
        rating: float,
        body: str,
        spoiler: bool,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
    ) -> Review:
        """Write (or replace) a member's review; it replaces an imported rating of the same title."""
        now = self._clock.now().isoformat()
        fingerprint = body_fingerprint(body, rating, spoiler)

        async def write(tx: Transaction) -> Row | None:
            await tx.execute(
                "INSERT INTO reviews (guild_id, work_id, kind, author_id, rating, body, body_hash, spoiler,"
                " channel_id, message_id, created_at, updated_at) VALUES (?, ?, 'member', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, work_id, author_id) WHERE kind IN ('member', 'imported') DO UPDATE SET"
                " kind = 'member', rating = excluded.rating, rating_source = NULL, body = excluded.body,"
                " body_hash = excluded.body_hash, spoiler = excluded.spoiler, channel_id = excluded.channel_id,"
                " message_id = excluded.message_id, updated_at = excluded.updated_at",
                (
                    guild_id,
                    work_id,
                    user_id,
                    rating,
                    body,
                    fingerprint,
                    int(spoiler),
                    channel_id,
                    message_id,
                    now,
                    now,
                ),
            )
            return await tx.fetch_one(
                "SELECT * FROM reviews WHERE guild_id = ? AND work_id = ? AND author_id = ? AND kind IN ('member', 'imported')",
                (guild_id, work_id, user_id),
            )

        row = await self._db.atomic(write)
        assert row is not None
        return _review(row)

    async def import_ratings(
        self,
        guild_id: int,
        user_id: int,
        ratings: Sequence[tuple[int, float]],
        source: str,
        *,
        tx: Transaction | None = None,
    ) -> int:
        """Store imported ratings (work id, stars) all or nothing; a written review is never overwritten.

        Given `tx`, the ratings are written inside that transaction (an import also recording statuses).
        """
        if tx is None:
            return await self._db.atomic(
                lambda own: self.import_ratings(guild_id, user_id, ratings, source, tx=own)
            )
        now = self._clock.now().isoformat()
        await tx.executemany(
            "INSERT INTO reviews (guild_id, work_id, kind, author_id, rating, rating_source, created_at,"
            " updated_at) VALUES (?, ?, 'imported', ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, work_id, author_id) WHERE kind IN ('member', 'imported') DO UPDATE SET"
            " rating = excluded.rating, rating_source = excluded.rating_source, updated_at = excluded.updated_at"
            " WHERE reviews.kind = 'imported'",
            [(guild_id, work_id, user_id, rating, source, now, now) for work_id, rating in ratings],
        )
        return len(ratings)

    async def member_reviews(
        self, guild_id: int, work_id: int, *, offset: int = 0, limit: int = 5
    ) -> list[Review]:
        """Return a page of members' written reviews of a title, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM reviews WHERE guild_id = ? AND work_id = ? AND kind = 'member'"
            " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (guild_id, work_id, limit, offset),
        )
        return [_review(r) for r in rows]

    async def count_member_reviews(self, guild_id: int, work_id: int) -> int:
        """Return how many members wrote a review of a title."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM reviews WHERE guild_id = ? AND work_id = ? AND kind = 'member'",
            (guild_id, work_id),
        )
        return int(row[0]) if row else 0

    async def ratings(self, guild_id: int, work_id: int) -> list[float]:
        """Return every member rating of a title, written or imported."""
        rows = await self._db.fetch_all(
            "SELECT rating FROM reviews WHERE guild_id = ? AND work_id = ? AND kind IN ('member', 'imported')"
            " AND rating IS NOT NULL",
            (guild_id, work_id),
        )
        return [float(r["rating"]) for r in rows]

    async def summaries(self, guild_id: int, work_ids: Iterable[int]) -> dict[int, RatingSummary]:
        """Return the rating count and average of several titles."""
        ids = list(work_ids)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.fetch_all(
            # Only "?" placeholders are interpolated.
            f"SELECT work_id, COUNT(rating) AS n, AVG(rating) AS mean FROM reviews WHERE guild_id = ?"  # noqa: S608
            f" AND work_id IN ({marks}) AND kind IN ('member', 'imported') AND rating IS NOT NULL GROUP BY work_id",
            (guild_id, *ids),
        )
        found = {r["work_id"]: RatingSummary(r["work_id"], r["n"], r["mean"]) for r in rows}
        return {i: found.get(i, RatingSummary(i, 0, None)) for i in ids}

    # --- Drafts ---------------------------------------------------------------------------------

    async def add_draft(
        self,
        guild_id: int,
        user_id: int,
        work_id: int,
        rating: float,
        body: str,
        spoiler: bool,
        channel_id: int | None,
    ) -> int:
        """Keep a second review until the member chooses; one draft per member and title."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> int:
            await tx.execute(
                "DELETE FROM review_drafts WHERE guild_id = ? AND user_id = ? AND work_id = ?",
                (guild_id, user_id, work_id),
            )
            return await tx.insert(
                "INSERT INTO review_drafts (guild_id, user_id, work_id, rating, body, spoiler, channel_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, work_id, rating, body, int(spoiler), channel_id, now),
            )

        return await self._db.atomic(write)

    async def take_draft(self, draft_id: int) -> Draft | None:
        """Remove and return a draft (None when already used)."""

        async def take(tx: Transaction) -> Row | None:
            row = await tx.fetch_one("SELECT * FROM review_drafts WHERE id = ?", (draft_id,))
            if row is not None:
                await tx.execute("DELETE FROM review_drafts WHERE id = ?", (draft_id,))
            return row

        row = await self._db.atomic(take)
        if row is None:
            return None
        return Draft(
            id=row["id"],
            guild_id=row["guild_id"],
            user_id=row["user_id"],
            work_id=row["work_id"],
            rating=row["rating"],
            body=row["body"],
            spoiler=bool(row["spoiler"]),
            channel_id=row["channel_id"],
        )

    async def draft_owner(self, draft_id: int) -> int | None:
        """Return who a draft belongs to."""
        row = await self._db.fetch_one("SELECT user_id FROM review_drafts WHERE id = ?", (draft_id,))
        return int(row[0]) if row else None

    # --- Club history ---------------------------------------------------------------------------

    async def mark_finished(self, guild_id: int, work_id: int, at: datetime | None = None) -> None:
        """Record that the club finished a title (again: the latest date wins)."""
        when = (at or self._clock.now()).isoformat()
        await self._db.execute_atomic(
            "INSERT INTO club_finished (guild_id, work_id, finished_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, work_id) DO UPDATE SET finished_at = excluded.finished_at",
            (guild_id, work_id, when),
        )

    async def finished(self, guild_id: int) -> list[Finished]:
        """Return the titles the club finished, most recent first."""
        rows = await self._db.fetch_all(
            "SELECT work_id, finished_at FROM club_finished WHERE guild_id = ? ORDER BY finished_at DESC, id DESC",
            (guild_id,),
        )
        return [Finished(r["work_id"], datetime.fromisoformat(r["finished_at"])) for r in rows]
