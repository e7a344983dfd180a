"""Shared fixtures: a real store on a temporary SQLite file, or on a throwaway PostgreSQL database.

Tests that take `store` (or `open_database`) run once per backend. The PostgreSQL server is started once
per session from the machine's binaries; where they are missing, those tests fail and say so.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from postgres_server import PostgresServer, PostgresUnavailable

from bot.store import Database, Store
from bot.store.connect import open_database as open_backend

BACKENDS = ("sqlite", "postgres")
_database_numbers = itertools.count(1)


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start one PostgreSQL server for the session; fail (never skip) where it cannot run."""
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database for this test."""
    name = f"test_{next(_database_numbers)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    """Return this test's PostgreSQL database URL on the postgres backend, None on SQLite."""
    return str(request.getfixturevalue("postgres_url")) if backend == "postgres" else None


@pytest.fixture
def open_database(tmp_path, database_url: str | None) -> Callable[[], Awaitable[Database]]:
    """Return a function that opens this test's database (the same one each time), not migrated, listening as `run`."""

    async def open_it() -> Database:
        return await open_backend(tmp_path / "bookclub.sqlite3", database_url, listen=True)

    return open_it


@pytest_asyncio.fixture
async def store(open_database, clock):
    db = await open_database()
    await db.migrate()
    yield Store.build(db, clock)
    await db.close()


@pytest_asyncio.fixture
async def sqlite_store(tmp_path, clock):
    """A store on SQLite only, for tests of the file itself (backups, secure delete)."""
    db = await Database.open(tmp_path / "bookclub.sqlite3")
    await db.migrate()
    yield Store.build(db, clock)
    await db.close()
