"""Shared fixtures: a real SQLite store on a temporary file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest_asyncio

from bot.store import Database, Store


class SteppingClock:
    """A clock for repository tests: starts at a fixed instant, moves only when told."""

    def __init__(self, start: datetime = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    async def sleep_until(self, when: datetime) -> None:
        self.current = max(self.current, when)

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@pytest_asyncio.fixture
async def clock() -> SteppingClock:
    return SteppingClock()


@pytest_asyncio.fixture
async def store(tmp_path, clock):
    db = await Database.open(tmp_path / "bookclub.sqlite3")
    await db.migrate()
    yield Store.build(db, clock)
    await db.close()
