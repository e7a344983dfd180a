"""One emulator and one bot for a whole test module (the fuzz and permission-matrix suites).

The command list comes from the bot's own command tree, built offline, so a new command is covered
by these suites without a new test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from discord import app_commands

from bot.checks import is_organizer_only
from bot.client import BookClubBot
from bot.clock import SystemClock
from bot.command_reference import command_payloads
from bot.settings import load_settings
from bot.store import Database, Store
from fakediscord import FakeClock, FakeDiscord

SUBCOMMAND_TYPES = (1, 2)


@dataclass(frozen=True)
class LeafCommand:
    """A command members can run ("book add") with its option definitions."""

    path: str
    description: str
    options: tuple[dict[str, Any], ...]
    organizers_only: bool
    """Whether the command carries the `organizer_only()` check (read from the command itself)."""

    @property
    def says_organizers(self) -> bool:
        """Return whether the description members read says the command is for organizers."""
        return "(organizers" in self.description


def _leaves(payload: dict[str, Any], path: str, guarded: set[str]) -> Iterator[LeafCommand]:
    nested = [o for o in payload.get("options", []) if o["type"] in SUBCOMMAND_TYPES]
    if not nested:
        yield LeafCommand(path, payload["description"], tuple(payload.get("options", [])), path in guarded)
    for option in nested:
        yield from _leaves(option, f"{path} {option['name']}", guarded)


def offline_commands() -> list[LeafCommand]:
    """Return every slash command of the bot, from its tree built without connecting."""

    async def build() -> tuple[list[dict[str, Any]], set[str]]:
        db = await Database.open(":memory:")
        try:
            settings = load_settings({"DISCORD_TOKEN": "x.y.z", "DATABASE_PATH": ":memory:"})
            bot = BookClubBot(settings=settings, store=Store.build(db, SystemClock()))
            await bot.load_features()
            guarded = {
                c.qualified_name
                for c in bot.tree.walk_commands()
                if isinstance(c, app_commands.Command) and is_organizer_only(c)
            }
            return command_payloads(bot.tree), guarded
        finally:
            await db.close()

    payloads, guarded = asyncio.run(build())
    # Context menus (type 2 and 3) take no options; their own e2e tests cover them.
    slash = [p for p in payloads if p.get("type", 1) == 1]
    return [leaf for payload in slash for leaf in _leaves(payload, payload["name"], guarded)]


class ErrorRecords(logging.Handler):
    """Collects ERROR records logged by the bot."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class LiveClub:
    """A running emulator with the bot connected, a configured club and its cast."""

    club: FakeDiscord
    clock: FakeClock
    bot: BookClubBot
    store: Store
    errors: ErrorRecords
    actors: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, Any] = field(default_factory=dict)
    channels: dict[str, Any] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def live_club(db_path: Path) -> Any:
    """Start the emulator and the bot (as `__main__` builds it), set the club up, and yield a LiveClub."""
    clock = FakeClock(start=datetime(2026, 11, 2, 18, 0, tzinfo=UTC))
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        async with FakeDiscord(clock=clock, rate_limits=False) as club:
            club.connect_discord_py()
            db = await Database.open(db_path)
            await db.migrate()
            store = Store.build(db, clock)
            env = {
                "DISCORD_TOKEN": club.token,
                "DATABASE_PATH": str(db_path),
                "DEV_GUILD_ID": str(club.guild.id),
            }
            bot = BookClubBot(settings=load_settings(env), store=store, clock=clock)
            try:
                async with club.run_bot(bot):
                    await club.wait_for_commands()
                    live = LiveClub(club, clock, bot, store, errors)
                    organizers = club.role("Book Organizers", mentionable=True)
                    admins = club.role("Admins", permissions=["manage_guild"])
                    live.roles = {"organizers": organizers, "admins": admins}
                    live.actors = {
                        "admin": club.member("sam", roles=[admins]),
                        "organizer": club.member("olga", roles=[organizers]),
                        "former organizer": club.member("fred", roles=[organizers]),
                        "member": club.member("alice"),
                    }
                    announcements = club.text_channel("announcements")
                    chat = await club.open_thread(
                        club.default_channel, live.actors["member"].id, "chat", 11
                    )  # a public thread, for options that take threads
                    live.channels = {
                        "announcements": announcements,
                        "general": club.default_channel,
                        "chat": chat,
                    }
                    reply = await live.actors["admin"].slash(
                        "club setup", organizer_role=organizers, announcements=announcements
                    )
                    assert reply.content.startswith("Saved."), reply.content
                    await club.take_role(live.actors["former organizer"], organizers)
                    yield live
            finally:
                await db.close()
            club.assert_no_violations()
    finally:
        logging.getLogger().removeHandler(errors)
