"""Durable timers: what is due when, for the one scheduler."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock
from bot.store.db import Database, Row


def _stamp(when: datetime) -> str:
    """Return a fixed-width UTC timestamp, so that comparing the text compares the instants."""
    if when.tzinfo is None:
        raise ValueError("timers need aware datetimes")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Timer:
    """One due item: a feature's event for one of its rows (`key`), at `due_at`."""

    id: int
    guild_id: int
    event: str
    key: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    version: int = 0


def _timer(row: Row) -> Timer:
    return Timer(
        id=row["id"],
        guild_id=row["guild_id"],
        event=row["event"],
        key=row["key"],
        due_at=datetime.fromisoformat(row["due_at"]),
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
        version=row["version"],
    )


class TimerRepository:
    """Add, move, cancel and claim timers."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def upsert(
        self, guild_id: int, event: str, key: str, due_at: datetime, payload: Mapping[str, Any]
    ) -> None:
        """Schedule `event` for `key` at `due_at`, moving the existing timer if there is one."""
        await self._db.execute_atomic(
            "INSERT INTO timers (guild_id, event, key, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, event, key) DO UPDATE SET due_at = excluded.due_at,"
            " payload = excluded.payload, attempts = 0, version = timers.version + 1",
            (guild_id, event, key, _stamp(due_at), json.dumps(dict(payload)), _stamp(self._clock.now())),
        )

    async def cancel(self, guild_id: int, event: str, key: str) -> bool:
        """Drop one timer; return whether it existed."""
        changed = await self._db.execute_atomic(
            "DELETE FROM timers WHERE guild_id = ? AND event = ? AND key = ?", (guild_id, event, key)
        )
        return changed > 0

    async def cancel_prefix(self, guild_id: int, event: str, key_prefix: str) -> int:
        """Drop every timer of `event` whose key starts with `key_prefix`; return how many."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await self._db.execute_atomic(
            "DELETE FROM timers WHERE guild_id = ? AND event = ? AND key LIKE ? ESCAPE '\\'",
            (guild_id, event, escaped + "%"),
        )

    async def get(self, guild_id: int, event: str, key: str) -> Timer | None:
        """Return one timer, if scheduled."""
        row = await self._db.fetch_one(
            "SELECT * FROM timers WHERE guild_id = ? AND event = ? AND key = ?", (guild_id, event, key)
        )
        return _timer(row) if row else None

    async def for_guild(self, guild_id: int) -> list[Timer]:
        """Return a guild's timers, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM timers WHERE guild_id = ? ORDER BY due_at, id", (guild_id,)
        )
        return [_timer(r) for r in rows]

    async def next_due_at(self) -> datetime | None:
        """Return when the soonest timer is due."""
        row = await self._db.fetch_one("SELECT MIN(due_at) FROM timers")
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def due(self, now: datetime, limit: int = 500) -> list[Timer]:
        """Return timers due at `now`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?", (_stamp(now), limit)
        )
        return [_timer(r) for r in rows]

    async def finish(self, timer: Timer) -> bool:
        """Delete a timer that has run, unless it was moved meanwhile; return whether it was deleted."""
        changed = await self._db.execute_atomic(
            "DELETE FROM timers WHERE id = ? AND version = ?", (timer.id, timer.version)
        )
        return changed > 0

    async def retry(self, timer: Timer, due_at: datetime) -> None:
        """Run a failed timer again at `due_at`, unless it was moved meanwhile."""
        await self._db.execute_atomic(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1, version = version + 1"
            " WHERE id = ? AND version = ?",
            (_stamp(due_at), timer.id, timer.version),
        )
