"""Members' "read it / watched it" statuses, with every change kept."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain import MemberStatus, ProgressUnit, State
from bot.store.db import Database, Row, Transaction

log = logging.getLogger(__name__)

# Called after every recorded change with (guild_id, user_id, work ids); it must return at once
# (start a task for slow work), since the member's reply waits for the write.
StatusListener = Callable[[int, int, tuple[int, ...]], None]


@dataclass(frozen=True)
class StatusRecord:
    """A member's current status for a work, with when it last changed."""

    user_id: int
    status: MemberStatus
    updated_at: datetime


@dataclass(frozen=True)
class StatusChange:
    """One entry of a member's status history."""

    work_id: int
    state: State
    progress_unit: ProgressUnit | None
    progress_value: float | None
    source: str
    changed_at: datetime


@dataclass(frozen=True)
class StatusUpdate:
    """A status to record, as given by a command, a button or an import."""

    work_id: int
    state: State
    progress_unit: ProgressUnit | None = None
    progress_value: float | None = None
    # When it really happened (an import's "date read"); defaults to now.
    at: datetime | None = None


class StatusRejected(Exception):
    """A status no longer fits its work: it left the catalog, or its length was cut below the progress."""

    def __init__(self, work_id: int, *, gone: bool) -> None:
        super().__init__(f"work {work_id} {'is gone' if gone else 'is shorter than the progress'}")
        self.work_id = work_id
        self.gone = gone


def _status(row: Row) -> MemberStatus:
    unit = row["progress_unit"]
    return MemberStatus(
        work_id=row["work_id"],
        state=State(row["state"]),
        progress_unit=ProgressUnit(unit) if unit else None,
        progress_value=row["progress_value"],
    )


class StatusRepository:
    """Record and read statuses for one guild at a time."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Every status write (command, button, modal, import) passes here, so features that react to a
        # member's progress (e.g. offering a gated discussion) subscribe once.
        self.listeners: list[StatusListener] = []

    def _changed(self, guild_id: int, user_id: int, work_ids: tuple[int, ...]) -> None:
        for listener in list(self.listeners):
            try:
                listener(guild_id, user_id, work_ids)
            except Exception:
                log.exception("Status listener %r failed", listener)

    # One statement that checks and writes: the work must still be in this guild's catalog and the
    # progress within its length, read in the same statement, so neither `/book remove` nor
    # `/book edit` can slip in between a check and the write. (The cast makes PostgreSQL read :value as
    # the REAL column it is written to, not as the INTEGER length it is compared with.)
    _UPSERT = (
        "INSERT INTO statuses (guild_id, user_id, work_id, state, progress_unit, progress_value, source, changed_at,"
        " updated_at) SELECT :guild, :user, :work, :state, :unit, :value, :source, :at, :now"
        " WHERE EXISTS (SELECT 1 FROM works w WHERE w.id = :work AND w.guild_id = :guild AND ("
        "  CAST(:unit AS TEXT) IS NULL OR :unit = 'percent'"
        "  OR (:unit = 'chapter' AND (w.chapters IS NULL OR CAST(:value AS DOUBLE PRECISION) <= w.chapters))"
        "  OR (:unit = 'page' AND (w.pages IS NULL OR CAST(:value AS DOUBLE PRECISION) <= w.pages))"
        "  OR (:unit = 'episode' AND (w.episodes IS NULL OR CAST(:value AS DOUBLE PRECISION) <= w.episodes))"
        "  OR (:unit = 'part' AND CAST(:value AS DOUBLE PRECISION) <= (SELECT COUNT(*) FROM work_parts p WHERE p.work_id = w.id))))"
        " ON CONFLICT (guild_id, user_id, work_id) DO UPDATE SET"
        " state = excluded.state, progress_unit = excluded.progress_unit, progress_value = excluded.progress_value,"
        " source = excluded.source, changed_at = excluded.changed_at, updated_at = excluded.updated_at"
    )

    def _row(self, guild_id: int, user_id: int, update: StatusUpdate, source: str) -> dict[str, object]:
        now = self._clock.now()
        return {
            "guild": guild_id,
            "user": user_id,
            "work": update.work_id,
            "state": update.state.value,
            "unit": update.progress_unit.value if update.progress_unit else None,
            "value": update.progress_value,
            "source": source,
            "at": (update.at or now).isoformat(),
            "now": now.isoformat(),
        }

    async def _rejected(self, guild_id: int, work_id: int) -> StatusRejected:
        row = await self._db.fetch_one(
            "SELECT 1 FROM works WHERE id = ? AND guild_id = ?", (work_id, guild_id)
        )
        return StatusRejected(work_id, gone=row is None)

    async def set(self, guild_id: int, user_id: int, update: StatusUpdate, *, source: str) -> MemberStatus:
        """Record one status change (a trigger adds its history entry); raise StatusRejected if it no longer fits."""
        # One statement is atomic on its own; a burst of clicks shares one round trip to SQLite's thread
        # and one commit, and each returns only once its write is committed.
        written = await self._db.execute_grouped(self._UPSERT, self._row(guild_id, user_id, update, source))
        if written != 1:
            raise await self._rejected(guild_id, update.work_id)
        self._changed(guild_id, user_id, (update.work_id,))
        return MemberStatus(update.work_id, update.state, update.progress_unit, update.progress_value)

    async def set_many(
        self,
        guild_id: int,
        user_id: int,
        updates: Sequence[StatusUpdate],
        *,
        source: str,
        also: Callable[[Transaction], Awaitable[object]] | None = None,
    ) -> int:
        """Record several changes all or nothing; return how many (StatusRejected if one no longer fits).

        `also` writes more in the same transaction (an import's ratings): if it raises, the statuses
        are rolled back with it, and listeners hear of the changes only once everything is committed.
        It may run more than once (see `Database.atomic`), so it keeps what it learns only from its
        last run.
        """

        async def write(tx: Transaction) -> None:
            written = await tx.executemany(
                self._UPSERT, [self._row(guild_id, user_id, u, source) for u in updates]
            )
            if written != len(updates):  # raising rolls the whole import back
                rows = await tx.fetch_all("SELECT id FROM works WHERE guild_id = ?", (guild_id,))
                present = {r["id"] for r in rows}
                missing = [u.work_id for u in updates if u.work_id not in present]
                raise StatusRejected(missing[0] if missing else updates[0].work_id, gone=bool(missing))
            if also is not None:
                await also(tx)

        await self._db.atomic(write)
        if updates:
            self._changed(guild_id, user_id, tuple(u.work_id for u in updates))
        return len(updates)

    async def for_member(self, guild_id: int, user_id: int) -> dict[int, MemberStatus]:
        """Return the member's current statuses by work id."""
        rows = await self._db.fetch_all(
            "SELECT * FROM statuses WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return {r["work_id"]: _status(r) for r in rows}

    async def records_for_member(self, guild_id: int, user_id: int) -> list[StatusRecord]:
        """Return the member's current statuses with their times, most recent first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM statuses WHERE guild_id = ? AND user_id = ? ORDER BY updated_at DESC",
            (guild_id, user_id),
        )
        return [StatusRecord(r["user_id"], _status(r), datetime.fromisoformat(r["updated_at"])) for r in rows]

    async def for_work(self, guild_id: int, work_id: int) -> list[StatusRecord]:
        """Return every member's status for a work, earliest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM statuses WHERE guild_id = ? AND work_id = ? ORDER BY updated_at, user_id",
            (guild_id, work_id),
        )
        return [StatusRecord(r["user_id"], _status(r), datetime.fromisoformat(r["updated_at"])) for r in rows]

    async def furthest_progress(self, guild_id: int, work_id: int, unit: ProgressUnit) -> float | None:
        """Return the highest progress any member recorded for a work in `unit`."""
        row = await self._db.fetch_one(
            "SELECT MAX(progress_value) FROM statuses WHERE guild_id = ? AND work_id = ? AND progress_unit = ?",
            (guild_id, work_id, unit.value),
        )
        return row[0] if row else None

    async def history(self, guild_id: int, user_id: int) -> list[StatusChange]:
        """Return every change the member made, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM status_history WHERE guild_id = ? AND user_id = ? ORDER BY changed_at, id",
            (guild_id, user_id),
        )
        return [
            StatusChange(
                work_id=r["work_id"],
                state=State(r["state"]),
                progress_unit=ProgressUnit(r["progress_unit"]) if r["progress_unit"] else None,
                progress_value=r["progress_value"],
                source=r["source"],
                changed_at=datetime.fromisoformat(r["changed_at"]),
            )
            for r in rows
        ]
