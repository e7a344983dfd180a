"""End-to-end fixtures: the real bot, on a real SQLite file, connected to the local Discord emulator."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import build_llm
from bot.client import BookClubBot
from bot.settings import Settings, load_settings
from bot.store import Store, open_database
from fakediscord import FakeClock, FakeDiscord
from fakediscord.pytest_plugin import require_validation


class ErrorLog(logging.Handler):
    """Collects ERROR records so tests can assert the bot logged (or did not log) a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class BotHarness:
    """Starts (and restarts) the bot the way `__main__` does, against the emulator."""

    def __init__(
        self,
        club: FakeDiscord,
        clock: FakeClock,
        db_path: Path,
        *,
        env: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.club = club
        self.clock = clock
        self.db_path = db_path
        self.options = options or {}
        env = {**(env or {}), "DISCORD_TOKEN": club.token, "DATABASE_PATH": str(db_path)}
        # First start syncs to the dev guild; a restart runs as in production, with commands already registered
        # (Discord allows two bulk syncs a minute, and discord.py would wait out the bucket).
        self.dev_settings: Settings = load_settings({**env, "DEV_GUILD_ID": str(club.guild.id)})
        self.production_settings: Settings = load_settings(env)
        self.bot: BookClubBot | None = None
        self.store: Store | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        # Each step of `clock.advance` waits for the emulator's REST traffic and for the bot's scheduler,
        # so that what a due timer does (a thread opened, a reminder sent) is visible when advance returns.
        emulator_settle = clock.settler

        async def settle(quiet: float) -> None:
            if emulator_settle is not None:
                await emulator_settle(quiet)
            if self.bot is not None and self.bot.scheduler.running:
                await self.bot.scheduler.wait_idle()
                if emulator_settle is not None:
                    await emulator_settle(quiet)

        clock.settler = settle

    async def start(self, *, sync: bool = True) -> BookClubBot:
        """Open the database, build the bot and connect it; return once it is ready with commands synced."""
        url = self.production_settings.database_url
        db = await open_database(self.db_path, url.get() if url is not None else None, listen=True)
        await db.migrate()
        self.store = Store.build(db, self.clock)
        settings = self.dev_settings if sync else self.production_settings
        self.bot = BookClubBot(
            settings=settings, store=self.store, llm=build_llm(settings), clock=self.clock, **self.options
        )
        self._stack = contextlib.AsyncExitStack()
        await self._stack.enter_async_context(self.club.run_bot(self.bot))
        await self.club.wait_for_commands()
        return self.bot

    async def stop(self) -> None:
        """Disconnect the bot and close its database, as a process exit would."""
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        if self.store is not None:
            with contextlib.suppress(Exception):
                await self.store.db.close()
            self.store = None

    async def restart(self) -> BookClubBot:
        """Stop and start again: nothing survives but the database file."""
        await self.stop()
        return await self.start(sync=False)


@pytest.fixture
def clock() -> FakeClock:
    """The clock the emulator and the bot share."""
    return FakeClock(start=datetime(2026, 11, 2, 18, 0, tzinfo=UTC))


@pytest.fixture
async def club(clock: FakeClock) -> AsyncIterator[FakeDiscord]:
    """A running emulator with a validated API; any spec violation fails the test."""
    async with FakeDiscord(clock=clock) as fake:
        fake.connect_discord_py()
        require_validation(fake)
        yield fake
        fake.assert_no_violations()


@pytest.fixture
def error_log() -> AsyncIterator[ErrorLog]:
    """ERROR records logged while the test runs."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Extra settings for the bot under test; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def bot_options() -> dict[str, Any]:
    """Extra keyword arguments for the bot's constructor; a test module overrides this fixture."""
    return {}


@pytest.fixture
async def harness(
    club: FakeDiscord,
    clock: FakeClock,
    tmp_path: Path,
    bot_env: dict[str, str],
    bot_options: dict[str, Any],
    request: pytest.FixtureRequest,
) -> AsyncIterator[BotHarness]:
    """The bot, started; stopped after the test (on PostgreSQL when E2E_BACKEND=postgres)."""
    backend = os.environ.get("E2E_BACKEND", "sqlite")
    if backend not in ("sqlite", "postgres"):
        pytest.fail(f"E2E_BACKEND must be sqlite or postgres, not {backend!r}", pytrace=False)
    if backend == "postgres" and "DATABASE_URL" not in bot_env:
        bot_env = {**bot_env, "DATABASE_URL": request.getfixturevalue("postgres_url")}
    if backend == "postgres":
        # One bot process: no other schedules into its guilds, and a 15 s poll would make each fake
        # day of `clock.advance` 5,760 steps. The poll itself is tested in tests/unit/test_scheduler.py.
        bot_env = {"SCHEDULER_POLL_SECONDS": "0", **bot_env}
    h = BotHarness(club, clock, tmp_path / "bookclub.sqlite3", env=bot_env, options=bot_options)
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
async def store(harness: BotHarness) -> Store:
    """The running bot's store, for asserting what the database holds."""
    assert harness.store is not None
    return harness.store


@pytest.fixture
def organizers(club: FakeDiscord):
    """The organizers' role (no Manage Server permission)."""
    return club.role("Book Organizers", mentionable=True)  # mentionable: a careless bot would ping it


@pytest.fixture
def admin(club: FakeDiscord):
    """A server admin with Manage Server."""
    return club.member("sam", roles=[club.role("Admins", permissions=["manage_guild"])])


@pytest.fixture
def announcements(club: FakeDiscord):
    """The channel where the bot posts announcements."""
    return club.text_channel("announcements")


@pytest.fixture
async def catalog(club: FakeDiscord, admin, announcements, harness: BotHarness) -> dict[str, int]:
    """A configured club with a small catalog (books, their films, one unrelated film); ids by short name."""
    from bot.domain import WorkKind
    from bot.store import NewWork

    reply = await admin.slash("club setup", announcements=announcements)
    assert reply.content.startswith("Saved."), reply.content
    assert harness.store is not None
    add = harness.store.catalog.add
    g = club.guild.id
    ids: dict[str, int] = {}
    ids["pride"] = await add(
        g, NewWork(WorkKind.BOOK, "Pride and Prejudice", "Jane Austen", 1813, chapters=61)
    )
    ids["frank"] = await add(
        g, NewWork(WorkKind.BOOK, "Frankenstein", "Mary Shelley", 1818, chapters=24, pages=280)
    )
    ids["lantern"] = await add(
        g, NewWork(WorkKind.BOOK, "The Lantern Keeper", "Ada Quill", 2021, chapters=30)
    )
    ids["frank_film"] = await add(
        g, NewWork(WorkKind.FILM, "Frankenstein", "James Whale", 1931, adapts_work_id=ids["frank"])
    )
    ids["lantern_film"] = await add(
        g, NewWork(WorkKind.FILM, "The Lantern Keeper", "Noor Haddad", 2023, adapts_work_id=ids["lantern"])
    )
    ids["nosferatu"] = await add(g, NewWork(WorkKind.FILM, "Nosferatu", "F. W. Murnau", 1922))
    return ids


@pytest.fixture
def alice(club: FakeDiscord):
    """A club member."""
    return club.member("alice")


@pytest.fixture
def bob(club: FakeDiscord):
    """Another club member."""
    return club.member("bob")
