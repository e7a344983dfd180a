"""Nomination rounds: titles members put forward, with their pitches, before a poll picks one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.domain import WorkKind
from bot.errors import UserError
from bot.store.db import Database, IntegrityError, Transaction


class RoundKinds(StrEnum):
    """Which titles a nomination round accepts."""

    ANY = "any"
    BOOKS = "books"
    FILMS = "films"

    def accepts(self, kind: WorkKind) -> bool:
        """Return whether a work of `kind` may be nominated."""
        if self is RoundKinds.BOOKS:
            return kind is WorkKind.BOOK
        if self is RoundKinds.FILMS:
            return kind in (WorkKind.FILM, WorkKind.SERIES)
        return True


@dataclass(frozen=True)
class NominationRound:
    """A round of nominations."""

    id: int
    guild_id: int
    kinds: RoundKinds
    is_open: bool
    opened_by: int | None
    opened_at: datetime


@dataclass(frozen=True)
class Pitch:
    """Why one member nominated a title."""

    user_id: int
    pitch: str


@dataclass(frozen=True)
class Nomination:
    """A title nominated in a round, with every member's pitch for it (duplicates merged)."""

    id: int
    work_id: int
    title: str
    kind: WorkKind
    year: int | None
    pitches: tuple[Pitch, ...]


class NominationRepository:
    """Read and write nomination rounds, nominations and pitches."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def open_round(self, guild_id: int, kinds: RoundKinds, opened_by: int) -> NominationRound:
        """Open a nomination round; refuse if one is already open."""
        now = self._clock.now()
        try:
            round_id = await self._db.atomic(
                lambda tx: tx.insert(
                    "INSERT INTO nomination_rounds (guild_id, kinds, opened_by, opened_at) VALUES (?, ?, ?, ?)",
                    (guild_id, kinds.value, opened_by, now.isoformat()),
                )
            )
        except IntegrityError:
            raise UserError(
                "A nomination round is already open: close it with `/nominations close` first."
            ) from None
        return NominationRound(round_id, guild_id, kinds, True, opened_by, now)

    async def current_round(self, guild_id: int) -> NominationRound | None:
        """Return the guild's open nomination round, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM nomination_rounds WHERE guild_id = ? AND state = 'open'", (guild_id,)
        )
        if row is None:
            return None
        return NominationRound(
            row["id"],
            row["guild_id"],
            RoundKinds(row["kinds"]),
            True,
            row["opened_by"],
            datetime.fromisoformat(row["opened_at"]),
        )

    async def nominate(self, round_id: int, work_id: int, user_id: int, pitch: str) -> bool:
        """Nominate a title (or add a pitch to its nomination); return True if the title was new."""
        now = self._clock.now().isoformat()

        async def write(tx: Transaction) -> bool:
            state = await tx.fetch_one("SELECT state FROM nomination_rounds WHERE id = ?", (round_id,))
            if state is None or state["state"] != "open":
                raise UserError("This nomination round has closed.")
            existing = await tx.fetch_one(
                "SELECT id FROM nominations WHERE round_id = ? AND work_id = ?", (round_id, work_id)
            )
            if existing is None:
                nomination_id = await tx.insert(
                    "INSERT INTO nominations (round_id, work_id, created_at) VALUES (?, ?, ?)",
                    (round_id, work_id, now),
                )
            else:
                nomination_id = existing["id"]
            await tx.execute(
                "INSERT INTO nomination_pitches (nomination_id, user_id, pitch, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (nomination_id, user_id) DO UPDATE SET pitch = excluded.pitch",
                (nomination_id, user_id, pitch, now),
            )
            return existing is None

        return await self._db.atomic(write)

    async def nominations(self, round_id: int) -> list[Nomination]:
        """Return the round's nominations in the order they were first made."""
        rows = await self._db.fetch_all(
            "SELECT n.id, n.work_id, w.title, w.kind, w.year FROM nominations n JOIN works w ON w.id = n.work_id"
            " WHERE n.round_id = ? ORDER BY n.id",
            (round_id,),
        )
        pitches = await self._db.fetch_all(
            "SELECT p.nomination_id, p.user_id, p.pitch FROM nomination_pitches p"
            " JOIN nominations n ON n.id = p.nomination_id WHERE n.round_id = ? ORDER BY p.created_at",
            (round_id,),
        )
        by_nomination: dict[int, list[Pitch]] = {}
        for p in pitches:
            by_nomination.setdefault(p["nomination_id"], []).append(Pitch(p["user_id"], p["pitch"]))
        return [
            Nomination(
                r["id"],
                r["work_id"],
                r["title"],
                WorkKind(r["kind"]),
                r["year"],
                tuple(by_nomination.get(r["id"], ())),
            )
            for r in rows
        ]

    async def remove_nomination(self, round_id: int, work_id: int) -> bool:
        """Take a title (and its pitches) out of an open round; return whether it was there."""
        return (
            await self._db.execute_atomic(
                "DELETE FROM nominations WHERE round_id = ? AND work_id = ? AND round_id IN"
                " (SELECT id FROM nomination_rounds WHERE state = 'open')",
                (round_id, work_id),
            )
            > 0
        )

    async def close_round(self, round_id: int) -> bool:
        """Close an open round; return False if it was already closed."""
        return (
            await self._db.execute_atomic(
                "UPDATE nomination_rounds SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'",
                (self._clock.now().isoformat(), round_id),
            )
            > 0
        )

    async def reopen_round(self, round_id: int) -> None:
        """Reopen a round whose poll could not be posted."""
        await self._db.execute_atomic(
            "UPDATE nomination_rounds SET state = 'open', closed_at = NULL WHERE id = ?", (round_id,)
        )
