"""Scheduled discussions: their state machine, Discord ids, reminder settings and opt-outs.

Each guild's set of works named by its open gated discussions is kept in memory in a `GuildCache`
under the `gated_discussions` topic: every write that creates, moves or deletes a discussion announces
it in its transaction, so this process and every other one sharing the database drop the guild's copy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.clock import Clock
from bot.spoilers import Scope, scope_from_str, scope_to_str, scope_work_ids
from bot.store.cache import GuildCache
from bot.store.db import Database, Row, Transaction

DiscussionState = Literal["scheduled", "opening", "open", "closed", "cancelled"]
DiscussionMode = Literal["tagged", "gated"]
# What became of a join offer sent by DM: delivered, or refused by Discord for good (50007/50278).
OfferOutcome = Literal["sent", "unreachable"]

# Minutes before the opening; Discord-style "24 h and 1 h before" unless the club says otherwise.
DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (24 * 60, 60)
# Still to happen, or happening: what `/discussion list` shows and what a status change can unlock.
ACTIVE_STATES: tuple[DiscussionState, ...] = ("scheduled", "opening", "open")
# The change topic of a guild's open gated discussions (what `DiscussionRepository` keeps in memory).
GATED_DISCUSSIONS = "gated_discussions"


@dataclass(frozen=True)
class NewDiscussion:
    """A discussion to schedule."""

    work_id: int
    scope: Scope
    title: str
    opens_at: datetime
    closes_at: datetime
    questions: tuple[str, ...] = ()
    created_by: int | None = None


@dataclass(frozen=True)
class Discussion:
    """One scheduled, open or finished discussion."""

    id: int
    guild_id: int
    work_id: int | None
    scope: Scope
    title: str
    questions: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime
    channel_id: int | None
    thread_id: int | None
    event_id: int | None
    mode: DiscussionMode | None
    state: DiscussionState
    created_by: int | None
    sequence: int = 0  # raised on every change of time or state (the calendar's SEQUENCE)


@dataclass(frozen=True)
class OfferCounts:
    """How a discussion's join offers by DM went: delivered, or to members Discord cannot DM."""

    sent: int = 0
    unreachable: int = 0


def _from_row(row: Row) -> Discussion:
    return Discussion(
        id=row["id"],
        guild_id=row["guild_id"],
        work_id=row["work_id"],
        scope=scope_from_str(row["spoiler_scope"]),
        title=row["title"],
        questions=tuple(json.loads(row["questions"])),
        opens_at=datetime.fromisoformat(row["opens_at"]),
        closes_at=datetime.fromisoformat(row["closes_at"]),
        channel_id=row["channel_id"],
        thread_id=row["thread_id"],
        event_id=row["event_id"],
        mode=row["mode"],
        state=row["state"],
        created_by=row["created_by"],
        sequence=row["sequence"],
    )


class DiscussionRepository:
    """Read and move discussions through their states; every transition names the state it expects."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Per guild, the works the scopes of its open gated discussions name. Every status write asks
        # (a new status may let a member in) and almost always the answer is "none", so it is kept in
        # memory; only this repository's writes can open a gated discussion, and each one announces it
        # to every process (a read that raced one is not kept).
        self._gated_works: GuildCache[frozenset[int]] = GuildCache(db, GATED_DISCUSSIONS)

    def _now(self) -> str:
        return self._clock.now().isoformat()

    async def create_many(self, guild_id: int, items: Sequence[NewDiscussion]) -> list[Discussion]:
        """Schedule several discussions all or nothing (a reading plan); return them in order."""
        now = self._now()

        async def write(tx: Transaction) -> list[int]:
            ids = []  # afresh on each run
            for item in items:
                ids.append(
                    await tx.insert(
                        "INSERT INTO discussions (guild_id, work_id, spoiler_scope, title, questions, opens_at,"
                        " closes_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            guild_id,
                            item.work_id,
                            scope_to_str(item.scope),
                            item.title,
                            json.dumps(list(item.questions)),
                            item.opens_at.isoformat(),
                            item.closes_at.isoformat(),
                            item.created_by,
                            now,
                            now,
                        ),
                    )
                )
            await tx.changed(GATED_DISCUSSIONS, guild_id)
            return ids

        ids = await self._db.atomic(write)
        found = [await self.get(guild_id, i) for i in ids]
        return [d for d in found if d is not None]

    async def create(self, guild_id: int, item: NewDiscussion) -> Discussion:
        """Schedule one discussion."""
        return (await self.create_many(guild_id, [item]))[0]

    async def get(self, guild_id: int, discussion_id: int) -> Discussion | None:
        """Return a guild's discussion by id."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussions WHERE guild_id = ? AND id = ?", (guild_id, discussion_id)
        )
        return _from_row(row) if row else None

    async def find(self, discussion_id: int) -> Discussion | None:
        """Return a discussion by id alone (a button in a DM carries no guild)."""
        row = await self._db.fetch_one("SELECT * FROM discussions WHERE id = ?", (discussion_id,))
        return _from_row(row) if row else None

    async def delete(self, guild_id: int, discussion_id: int) -> None:
        """Remove a discussion (scheduling failed half-way, or a title its scope names left the catalog)."""

        async def write(tx: Transaction) -> None:
            await tx.execute(
                "DELETE FROM discussions WHERE guild_id = ? AND id = ?", (guild_id, discussion_id)
            )
            await tx.changed(GATED_DISCUSSIONS, guild_id)

        await self._db.atomic(write)

    async def by_thread(self, guild_id: int, thread_id: int) -> Discussion | None:
        """Return the guild's discussion held in a thread, or None for any other thread."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussions WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
        )
        return _from_row(row) if row else None

    async def by_event(self, guild_id: int, event_id: int) -> Discussion | None:
        """Return the guild's discussion mirrored by a Discord scheduled event, or None for any other event."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussions WHERE guild_id = ? AND event_id = ?", (guild_id, event_id)
        )
        return _from_row(row) if row else None

    async def closed(self, guild_id: int, *, limit: int = 25) -> list[Discussion]:
        """Return the guild's discussions that took place (closed, not cancelled), most recent first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discussions WHERE guild_id = ? AND state = 'closed' AND thread_id IS NOT NULL"
            " ORDER BY closes_at DESC, id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_from_row(r) for r in rows]

    async def active(self, guild_id: int) -> list[Discussion]:
        """Return the guild's scheduled and open discussions, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discussions WHERE guild_id = ? AND state IN ('scheduled', 'opening', 'open')"
            " ORDER BY opens_at, id",
            (guild_id,),
        )
        return [_from_row(r) for r in rows]

    async def active_for_work(self, guild_id: int, work_id: int) -> list[Discussion]:
        """Return the scheduled and open discussions about a work or whose scope names it ("book vs film")."""
        return [
            d
            for d in await self.active(guild_id)
            if d.work_id == work_id or work_id in scope_work_ids(d.scope)
        ]

    async def calendar(self, guild_id: int, since: datetime, *, limit: int = 200) -> list[Discussion]:
        """Return the guild's discussions still to come, happening, or ended since `since`, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discussions WHERE guild_id = ? AND (state IN ('scheduled', 'opening', 'open')"
            " OR closes_at >= ?) ORDER BY opens_at, id LIMIT ?",
            (guild_id, since.isoformat(), limit),
        )
        return [_from_row(r) for r in rows]

    async def open_gated(self, guild_id: int) -> list[Discussion]:
        """Return the guild's open gated discussions (a status change may let a member in)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM discussions WHERE guild_id = ? AND state = 'open' AND mode = 'gated' ORDER BY id",
            (guild_id,),
        )
        return [_from_row(r) for r in rows]

    async def open_gated_work_ids(self, guild_id: int) -> frozenset[int]:
        """Return the works the scopes of the guild's open gated discussions name (kept in memory)."""
        return await self._gated_works.get(guild_id, lambda: self._load_gated_work_ids(guild_id))

    async def _load_gated_work_ids(self, guild_id: int) -> frozenset[int]:
        return frozenset(w for d in await self.open_gated(guild_id) for w in scope_work_ids(d.scope))

    def known_gated_work_ids(self, guild_id: int) -> frozenset[int] | None:
        """Return `open_gated_work_ids` without a query when it is in memory, else None."""
        return self._gated_works.peek(guild_id)

    async def _move(
        self, guild_id: int, discussion_id: int, states: Sequence[str], sets: str, params: Sequence[object]
    ) -> bool:
        marks = ", ".join("?" for _ in states)

        async def write(tx: Transaction) -> int:
            # The guild is in the WHERE, so the guild announced is always the moved row's.
            changed = await tx.execute(
                f"UPDATE discussions SET {sets}, sequence = sequence + 1, updated_at = ?"  # noqa: S608 - fixed fragments
                f" WHERE guild_id = ? AND id = ? AND state IN ({marks})",
                (*params, self._now(), guild_id, discussion_id, *states),
            )
            if changed:
                await tx.changed(GATED_DISCUSSIONS, guild_id)
            return changed

        return await self._db.atomic(write) == 1

    async def reschedule(
        self, guild_id: int, discussion_id: int, opens_at: datetime, closes_at: datetime
    ) -> bool:
        """Move a scheduled discussion; return False if it already opened or ended."""
        return await self._move(
            guild_id,
            discussion_id,
            ("scheduled",),
            "opens_at = ?, closes_at = ?",
            (opens_at.isoformat(), closes_at.isoformat()),
        )

    async def set_closes_at(self, guild_id: int, discussion_id: int, closes_at: datetime) -> bool:
        """Change when an open (or scheduled) discussion ends."""
        return await self._move(
            guild_id, discussion_id, ACTIVE_STATES, "closes_at = ?", (closes_at.isoformat(),)
        )

    async def set_opens_at(self, guild_id: int, discussion_id: int, opens_at: datetime) -> bool:
        """Record that a discussion opened early (`open-now`)."""
        return await self._move(
            guild_id, discussion_id, ("scheduled", "opening"), "opens_at = ?", (opens_at.isoformat(),)
        )

    async def set_event(self, discussion_id: int, event_id: int | None) -> None:
        """Remember the Discord scheduled event that mirrors the discussion."""
        await self._db.execute_atomic(
            "UPDATE discussions SET event_id = ?, updated_at = ? WHERE id = ?",
            (event_id, self._now(), discussion_id),
        )

    async def start_opening(
        self, guild_id: int, discussion_id: int, channel_id: int, mode: DiscussionMode
    ) -> bool:
        """Record that the thread is about to be made (before any Discord call), fixing channel and mode."""
        return await self._move(
            guild_id,
            discussion_id,
            ("scheduled",),
            "state = 'opening', channel_id = ?, mode = ?",
            (channel_id, mode),
        )

    async def abandon_opening(self, guild_id: int, discussion_id: int) -> bool:
        """Put back to scheduled an opening Discord refused, so no thread exists (the channel is chosen again)."""

        async def write(tx: Transaction) -> int:
            changed = await tx.execute(
                "UPDATE discussions SET state = 'scheduled', channel_id = NULL, mode = NULL, updated_at = ?"
                " WHERE guild_id = ? AND id = ? AND state = 'opening' AND thread_id IS NULL",
                (self._now(), guild_id, discussion_id),
            )
            if changed:
                await tx.changed(GATED_DISCUSSIONS, guild_id)
            return changed

        return await self._db.atomic(write) > 0

    async def record_thread(self, discussion_id: int, thread_id: int) -> None:
        """Remember the thread as soon as Discord made it, before its first message and members."""
        await self._db.execute_atomic(
            "UPDATE discussions SET thread_id = ?, updated_at = ? WHERE id = ? AND state = 'opening'",
            (thread_id, self._now(), discussion_id),
        )  # a thread id is not what the gated cache holds: nothing to announce

    async def mark_open(self, guild_id: int, discussion_id: int, thread_id: int) -> bool:
        """Record that the thread exists and the discussion is open."""
        return await self._move(
            guild_id, discussion_id, ("opening",), "state = 'open', thread_id = ?", (thread_id,)
        )

    async def mark_closed(self, guild_id: int, discussion_id: int) -> bool:
        """Record that the discussion ended (from open, or from scheduled/opening when closed early)."""
        return await self._move(guild_id, discussion_id, ACTIVE_STATES, "state = 'closed'", ())

    async def mark_cancelled(self, guild_id: int, discussion_id: int) -> bool:
        """Record that a discussion that had not opened will not happen."""
        return await self._move(guild_id, discussion_id, ("scheduled", "opening"), "state = 'cancelled'", ())

    # -- join offers by DM --------------------------------------------------------------------------

    async def claim_offer(self, discussion_id: int, user_id: int) -> bool:
        """Claim the one join offer a member gets for a discussion; False if it was made (or tried) already."""
        now = self._now()
        changed = await self._db.execute_atomic(
            "INSERT INTO discussion_offers (discussion_id, user_id, created_at, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (discussion_id, user_id, now, now),
        )
        return changed == 1

    async def record_offer(self, discussion_id: int, user_id: int, outcome: OfferOutcome) -> None:
        """Record what Discord answered to a claimed offer."""
        await self._db.execute_atomic(
            "UPDATE discussion_offers SET outcome = ?, updated_at = ? WHERE discussion_id = ? AND user_id = ?",
            (outcome, self._now(), discussion_id, user_id),
        )

    async def release_offer(self, discussion_id: int, user_id: int) -> None:
        """Give back a claimed offer that failed for a passing reason, so a later status change tries again."""
        await self._db.execute_atomic(
            "DELETE FROM discussion_offers WHERE discussion_id = ? AND user_id = ? AND outcome = 'sending'",
            (discussion_id, user_id),
        )

    async def offer_counts(self, discussion_id: int) -> OfferCounts:
        """Return how a discussion's join offers by DM went (one still being sent counts as neither)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FILTER (WHERE outcome = 'sent') AS sent,"
            " COUNT(*) FILTER (WHERE outcome = 'unreachable') AS unreachable"
            " FROM discussion_offers WHERE discussion_id = ?",
            (discussion_id,),
        )
        return OfferCounts(row["sent"], row["unreachable"]) if row else OfferCounts()

    # -- reminders ---------------------------------------------------------------------------------

    async def claim_reminder(self, discussion_id: int, minutes: int) -> bool:
        """Claim the right to send one reminder; False if it was already sent (at most once, by design)."""
        changed = await self._db.execute_atomic(
            "INSERT INTO discussion_reminders_sent (discussion_id, minutes, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (discussion_id, minutes, self._now()),
        )
        return changed == 1

    async def forget_reminders(self, discussion_id: int) -> None:
        """Let a rescheduled discussion's reminders go out again for its new time."""
        await self._db.execute_atomic(
            "DELETE FROM discussion_reminders_sent WHERE discussion_id = ?", (discussion_id,)
        )

    async def reminder_offsets(self, guild_id: int) -> tuple[int, ...]:
        """Return the club's reminder offsets in minutes before opening, largest first."""
        row = await self._db.fetch_one(
            "SELECT offsets FROM discussion_reminder_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return DEFAULT_REMINDER_OFFSETS
        return tuple(int(m) for m in json.loads(row["offsets"]))

    async def set_reminder_offsets(self, guild_id: int, offsets: Sequence[int]) -> tuple[int, ...]:
        """Set the club's reminder offsets (empty: no reminders); return them largest first."""
        ordered = tuple(sorted(set(offsets), reverse=True))
        await self._db.execute_atomic(
            "INSERT INTO discussion_reminder_settings (guild_id, offsets, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET offsets = excluded.offsets, updated_at = excluded.updated_at",
            (guild_id, json.dumps(list(ordered)), self._now()),
        )
        return ordered

    async def set_reminders_off(self, guild_id: int, user_id: int, off: bool) -> None:
        """Turn a member's discussion reminders off (or back on) in a club."""
        if off:
            await self._db.execute_atomic(
                "INSERT INTO discussion_reminder_optouts (guild_id, user_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (guild_id, user_id, self._now()),
            )
        else:
            await self._db.execute_atomic(
                "DELETE FROM discussion_reminder_optouts WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )

    async def reminders_off(self, guild_id: int) -> set[int]:
        """Return the members of a club who turned reminders off."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM discussion_reminder_optouts WHERE guild_id = ?", (guild_id,)
        )
        return {r["user_id"] for r in rows}
