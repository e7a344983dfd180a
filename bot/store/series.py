"""Discussion series: recurring meetings, each created as an ordinary discussion ahead of time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.clock import Clock
from bot.spoilers import Scope, scope_from_str, scope_to_str
from bot.store.db import Database, Row

SeriesKind = Literal["weekly", "monthly"]


@dataclass(frozen=True)
class NewSeries:
    """A series to start: its rule (weekday, weeks apart or which weekday of the month) and each meeting's shape."""

    work_id: int
    scope: Scope
    kind: SeriesKind
    weekday: int  # Monday = 0
    step: int  # weekly: weeks between meetings; monthly: 1-4, or -1 for the last weekday of the month
    local_time: str  # HH:MM on the club's clock
    minutes: int
    lead_days: int
    first_on: date  # local date of the first meeting
    created_by: int | None = None


@dataclass(frozen=True)
class Series:
    """One series, running or stopped."""

    id: int
    guild_id: int
    work_id: int
    scope: Scope
    kind: SeriesKind
    weekday: int
    step: int
    local_time: str
    minutes: int
    lead_days: int
    next_on: date
    noticed: bool
    created_by: int | None
    stopped: bool


def _from_row(row: Row) -> Series:
    return Series(
        id=row["id"],
        guild_id=row["guild_id"],
        work_id=row["work_id"],
        scope=scope_from_str(row["spoiler_scope"]),
        kind=row["kind"],
        weekday=row["weekday"],
        step=row["step"],
        local_time=row["local_time"],
        minutes=row["minutes"],
        lead_days=row["lead_days"],
        next_on=date.fromisoformat(row["next_on"]),
        noticed=row["noticed_at"] is not None,
        created_by=row["created_by"],
        stopped=row["stopped_at"] is not None,
    )


class SeriesRepository:
    """Start, advance and stop series; advancing names the date it expects, so a re-run never skips one."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> str:
        return self._clock.now().isoformat()

    async def create(self, guild_id: int, item: NewSeries) -> Series:
        """Store a new series."""
        series_id = await self._db.atomic(
            lambda tx: tx.insert(
                "INSERT INTO discussion_series (guild_id, work_id, spoiler_scope, kind, weekday, step, local_time,"
                " minutes, lead_days, next_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    item.work_id,
                    scope_to_str(item.scope),
                    item.kind,
                    item.weekday,
                    item.step,
                    item.local_time,
                    item.minutes,
                    item.lead_days,
                    item.first_on.isoformat(),
                    item.created_by,
                    self._now(),
                ),
            )
        )
        made = await self.get(guild_id, series_id)
        assert made is not None
        return made

    async def get(self, guild_id: int, series_id: int) -> Series | None:
        """Return a guild's series by id."""
        row = await self._db.fetch_one(
            "SELECT * FROM discussion_series WHERE guild_id = ? AND id = ?", (guild_id, series_id)
        )
        return _from_row(row) if row else None

    async def running(self, guild_id: int | None = None) -> list[Series]:
        """Return the series not stopped, of one guild or of all, oldest first."""
        if guild_id is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM discussion_series WHERE stopped_at IS NULL ORDER BY id"
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM discussion_series WHERE guild_id = ? AND stopped_at IS NULL ORDER BY id",
                (guild_id,),
            )
        return [_from_row(r) for r in rows]

    async def advance(self, series_id: int, was_on: date, next_on: date, *, noticed: bool | None) -> bool:
        """Move a series past the meeting on `was_on`; `noticed` sets (True) or clears (False) the notice."""
        notice = {True: ", noticed_at = ?", False: ", noticed_at = NULL", None: ""}[noticed]
        params: tuple[object, ...] = (next_on.isoformat(),) + ((self._now(),) if noticed else ())
        changed = await self._db.execute_atomic(
            f"UPDATE discussion_series SET next_on = ?{notice} WHERE id = ? AND next_on = ? AND stopped_at IS NULL",  # noqa: S608 - fixed fragments
            (*params, series_id, was_on.isoformat()),
        )
        return changed == 1

    async def stop(self, guild_id: int, series_id: int) -> bool:
        """Stop a running series; return False if it was stopped already."""
        changed = await self._db.execute_atomic(
            "UPDATE discussion_series SET stopped_at = ? WHERE guild_id = ? AND id = ? AND stopped_at IS NULL",
            (self._now(), guild_id, series_id),
        )
        return changed == 1
