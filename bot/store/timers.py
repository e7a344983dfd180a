"""Durable timers: what is due when, claimed by one process at a time, for the one scheduler.

Several bot processes may share one database (PostgreSQL). A process claims the due timers of its
shards' guilds for a lease (`claimed_by` its instance id, `claimed_until` the lease's end) in one
statement, so no two processes hold one timer; it deletes a timer only while it still holds it. A lease
that ran out was a dead process's: the next claim of that guild's shard takes it over, and if that
process had started the timer's handler (`begin`), the takeover counts as a failed attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
    claimed_by: str | None = None  # the instance id of the process running it, while one does
    claimed_until: datetime | None = None  # when that claim lapses unless renewed
    started: bool = False  # whether the handler began under the current claim


@dataclass(frozen=True)
class ShardFilter:
    """The guilds one process serves: those Discord routes to `ids` of `count` shards.

    Discord routes a guild to shard `(guild_id >> 22) % count`
    (https://discord.com/developers/docs/events/gateway#sharding).
    """

    count: int
    ids: tuple[int, ...]

    def __post_init__(self) -> None:
        """Refuse a filter that serves no shard or names one out of range."""
        if self.count < 1:
            raise ValueError("a shard count is 1 or more")
        if not self.ids or any(not 0 <= i < self.count for i in self.ids):
            raise ValueError(f"shard ids must be between 0 and {self.count - 1}, got {self.ids!r}")

    def serves(self, guild_id: int) -> bool:
        """Say whether a guild's shard is one of this filter's."""
        return (guild_id >> 22) % self.count in self.ids

    def clause(self) -> tuple[str, list[int]]:
        """Return SQL restricting a table's `guild_id` to these shards' guilds (both engines), and its parameters."""
        marks = ", ".join("?" for _ in self.ids)
        return f" AND ((guild_id >> 22) % ?) IN ({marks})", [self.count, *self.ids]


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
        claimed_by=row["claimed_by"],
        claimed_until=datetime.fromisoformat(row["claimed_until"]) if row["claimed_until"] else None,
        started=bool(row["started"]),
    )


def _where_shards(shards: ShardFilter | None) -> tuple[str, list[int]]:
    return shards.clause() if shards is not None else ("", [])


class TimerRepository:
    """Add, move, cancel and claim timers.

    Every write is one statement through `execute_returning`: each guards the rows it changes in its
    WHERE (owner, version), so on PostgreSQL it may run at READ COMMITTED and never fails because
    another process claimed or moved a timer meanwhile.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    @property
    def shared(self) -> bool:
        """Say whether other processes may claim these timers (PostgreSQL); a SQLite file has one bot."""
        return self._db.dialect != "sqlite"

    async def upsert(
        self, guild_id: int, event: str, key: str, due_at: datetime, payload: Mapping[str, Any]
    ) -> None:
        """Schedule `event` for `key` at `due_at`, moving the existing timer if there is one.

        A move is a new firing: it ends any claim on the timer (the running handler's `finish` then
        finds a new version and keeps the row), so the moved timer is claimable at once.
        """
        await self._db.execute_returning(
            "INSERT INTO timers (guild_id, event, key, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, event, key) DO UPDATE SET due_at = excluded.due_at,"
            " payload = excluded.payload, attempts = 0, version = timers.version + 1,"
            " claimed_by = NULL, claimed_until = NULL, started = 0 RETURNING id",
            (guild_id, event, key, _stamp(due_at), json.dumps(dict(payload)), _stamp(self._clock.now())),
        )

    async def cancel(self, guild_id: int, event: str, key: str) -> bool:
        """Drop one timer; return whether it existed."""
        rows = await self._db.execute_returning(
            "DELETE FROM timers WHERE guild_id = ? AND event = ? AND key = ? RETURNING id",
            (guild_id, event, key),
        )
        return bool(rows)

    async def cancel_prefix(self, guild_id: int, event: str, key_prefix: str) -> int:
        """Drop every timer of `event` whose key starts with `key_prefix`; return how many."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._db.execute_returning(
            "DELETE FROM timers WHERE guild_id = ? AND event = ? AND key LIKE ? ESCAPE '\\' RETURNING id",
            (guild_id, event, escaped + "%"),
        )
        return len(rows)

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

    async def next_due_at(self, shards: ShardFilter | None = None) -> datetime | None:
        """Return when the soonest timer of these shards' guilds can next be claimed.

        An unclaimed timer at its due time; a claimed one when its lease lapses (it was due already).
        """
        where, params = _where_shards(shards)
        unclaimed = f"SELECT MIN(due_at) FROM timers WHERE claimed_by IS NULL{where}"  # noqa: S608 - placeholders only
        claimed = f"SELECT MIN(claimed_until) FROM timers WHERE claimed_by IS NOT NULL{where}"  # noqa: S608 - placeholders only
        row = await self._db.fetch_one(f"SELECT ({unclaimed}), ({claimed})", [*params, *params])
        found = [datetime.fromisoformat(v) for v in (row[0], row[1]) if v] if row else []
        return min(found) if found else None

    async def claim_due(
        self,
        now: datetime,
        owner: str,
        lease: timedelta,
        shards: ShardFilter | None = None,
        limit: int = 500,
    ) -> list[Timer]:
        """Claim for `owner` until `now + lease` the timers due at `now` that no live claim holds.

        One statement, so two processes never claim one timer: PostgreSQL locks the rows it picks and
        skips those another process is claiming; SQLite's write lock serialises. Oldest first.

        Taking over a lapsed claim whose handler had started counts one failed attempt (the process
        died running it), in the same statement; the scheduler drops a timer with too many. A claim
        handed back (`release`) or never started counts nothing.
        """
        where, params = _where_shards(shards)
        # The dialect difference of claiming, kept here: PostgreSQL's row locks, SQLite's file lock.
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        stamp = _stamp(now)
        claimable = "SELECT id FROM timers WHERE due_at <= ? AND (claimed_by IS NULL OR claimed_until <= ?)"
        claimable += f"{where} ORDER BY due_at, id LIMIT ?{lock}"
        rows = await self._db.execute_returning(
            "UPDATE timers SET claimed_by = ?, claimed_until = ?, attempts = attempts + started, started = 0"  # noqa: S608 - fixed fragments
            f" WHERE id IN ({claimable}) RETURNING *",
            [owner, _stamp(now + lease), stamp, stamp, *params, limit],
        )
        return sorted((_timer(r) for r in rows), key=lambda t: (t.due_at, t.id))

    async def renew(self, timer: Timer, owner: str, until: datetime) -> Timer | None:
        """Extend `owner`'s claim to `until`; return the timer, or None if it was moved, dropped or lost."""
        rows = await self._db.execute_returning(
            "UPDATE timers SET claimed_until = ? WHERE id = ? AND version = ? AND claimed_by = ? RETURNING *",
            (_stamp(until), timer.id, timer.version, owner),
        )
        return _timer(rows[0]) if rows else None

    async def begin(self, timer: Timer, owner: str, until: datetime | None = None) -> Timer | None:
        """Mark `owner`'s claim as running the handler (and extend it to `until`, if given).

        Return the timer, or None if it was moved, dropped or lost. Should the claim lapse with the
        mark set, the process that takes it over counts a failed attempt.
        """
        extend = ", claimed_until = ?" if until is not None else ""
        params = [_stamp(until)] if until is not None else []
        rows = await self._db.execute_returning(
            f"UPDATE timers SET started = 1{extend} WHERE id = ? AND version = ? AND claimed_by = ? RETURNING *",  # noqa: S608 - fixed fragments
            [*params, timer.id, timer.version, owner],
        )
        return _timer(rows[0]) if rows else None

    async def finish(self, timer: Timer, owner: str) -> bool:
        """Delete a timer that has run, if `owner` still holds it unmoved; return whether it was deleted."""
        rows = await self._db.execute_returning(
            "DELETE FROM timers WHERE id = ? AND version = ? AND claimed_by = ? RETURNING id",
            (timer.id, timer.version, owner),
        )
        return bool(rows)

    async def retry(self, timer: Timer, due_at: datetime, owner: str) -> bool:
        """Run a failed timer again at `due_at`, unclaimed, if `owner` still holds it unmoved."""
        rows = await self._db.execute_returning(
            "UPDATE timers SET due_at = ?, attempts = attempts + 1, version = version + 1,"
            " claimed_by = NULL, claimed_until = NULL, started = 0 WHERE id = ? AND version = ? AND claimed_by = ?"
            " RETURNING id",
            (_stamp(due_at), timer.id, timer.version, owner),
        )
        return bool(rows)

    async def release(self, owner: str) -> int:
        """Hand back every claim `owner` holds (a clean stop), so another process need not wait out them.

        Not a failure: the next claim counts no attempt, even for a handler the stop cut off.
        """
        rows = await self._db.execute_returning(
            "UPDATE timers SET claimed_by = NULL, claimed_until = NULL, started = 0 WHERE claimed_by = ?"
            " RETURNING id",
            (owner,),
        )
        return len(rows)

    async def release_every_claim(self) -> int:
        """Hand back every claim, whoever holds it: only for a database no other process uses (SQLite).

        Those claims are a killed process's (a clean stop hands its own back), so each whose handler had
        started counts a failed attempt, as a takeover does: a timer that kills the bot is not retried forever.
        """
        rows = await self._db.execute_returning(
            "UPDATE timers SET claimed_by = NULL, claimed_until = NULL, attempts = attempts + started,"
            " started = 0 WHERE claimed_by IS NOT NULL RETURNING id"
        )
        return len(rows)
