"""One process: the emulator (validating), the real bot on a SQLite file, and the seeded club's cast."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.__main__ import open_store
from bot.client import BookClubBot
from bot.settings import load_settings
from bot.store import Store
from bot.workers import Workers
from fakediscord import Actor, FakeClock, FakeDiscord
from fakediscord.snapshot import SnapshotError, restore, saved_instant, snapshot

log = logging.getLogger(__name__)

# The review fetcher may be asked for any page from the demo's page: every socket it opens goes here
# (a closed port on the loopback), so the demo never connects beyond 127.0.0.1.
_NOWHERE = ("127.0.0.1", 9)
# While the club changes, its emulated server is written beside the kept database this often.
SAVE_SECONDS = 1.0


async def _no_dns(host: str, port: int) -> list[str]:
    raise OSError(f"the demo does not resolve {host!r}: it stays on 127.0.0.1")


def _loopback_only(address: str, port: int) -> tuple[str, int]:
    return _NOWHERE


class DemoError(Exception):
    """The demo cannot start; the message is one line that says why."""


def world_file(db: Path) -> Path:
    """Return where the emulated server of the club kept in `db` is saved: FILE.world.json beside it."""
    return db.with_name(db.name + ".world.json")


def _read_world(db: Path) -> dict[str, Any] | None:
    """Return the saved server of a kept club; None when `db` holds no club yet (a first run)."""
    path = world_file(db)
    if not db.exists() or db.stat().st_size == 0:
        return None
    if not path.is_file():
        # The bot's data refers to channels, messages and members by their ids: without the server that
        # holds them, the club cannot be shown, and seeding a new one on top would mix two clubs.
        raise DemoError(
            f"{db} holds a database but not the demo's server saved beside it ({path.name}); "
            "pass a new --db file (the demo only reopens clubs it kept itself)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved_instant(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DemoError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DemoError(f"cannot read {path}: not a saved demo server")
    return data


def _write_world(path: Path, data: dict[str, Any]) -> None:
    # Written whole, then renamed over the old one: an interrupted write never leaves half a server.
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(part, path)


@dataclass(frozen=True)
class DemoOptions:
    """How to start the demo."""

    db: Path | None = None
    """Keep the club's database in this file; None: a temporary file removed at exit."""
    start: datetime | None = None
    """The fake clock's first instant (default: now, on the hour)."""


class DemoClub:
    """The emulator and the bot, started together and stopped together; `members` are the seeded cast."""

    def __init__(self, options: DemoOptions | None = None) -> None:
        self.options = options or DemoOptions()
        self.saved = _read_world(self.options.db) if self.options.db is not None else None
        """The server a previous run on the same --db file saved; None on a first run."""
        if self.saved is not None:
            # The clock goes on from where the last run stopped, so what was scheduled stays ahead or behind.
            start = saved_instant(self.saved)
        else:
            start = self.options.start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.clock = FakeClock(start=start)
        self.club = FakeDiscord(clock=self.clock, rate_limits=False, validate=True)
        self.members: dict[str, Actor] = {}
        self.channels: dict[str, Any] = {}
        self.bot: BookClubBot | None = None
        self.store: Store | None = None
        self._stack = contextlib.AsyncExitStack()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.db_path: Path = self.options.db or Path()
        self.complete = False
        """Set once the club is seeded or restored: only a complete club is saved for the next run."""

    @property
    def restored(self) -> bool:
        """Tell whether this run reopened a club a previous run kept."""
        return self.saved is not None

    def save(self) -> None:
        """Write the emulated server beside the --db file, if the club is kept and complete."""
        if self.options.db is not None and self.complete:
            _write_world(world_file(self.options.db), snapshot(self.club))

    async def keep_saving(self, every: float = SAVE_SECONDS) -> None:
        """Save the server at most every `every` seconds while it changes (until cancelled).

        Saving at exit alone would lose the server to a kill that the database, written as it goes, survives.
        """
        while True:
            if await self.club.changes.next_change(60.0):
                await asyncio.sleep(every)
                self.save()

    async def start(self) -> None:
        """Start the emulator, open the database and connect the bot; return once its commands are synced."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        if self.options.db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="bookclub-demo-")
            self.db_path = Path(self._tmp.name) / "bookclub.sqlite3"
        await self.club.listen()
        self._stack.push_async_callback(self.club.stop)
        if self.saved is not None:
            try:
                restore(self.club, self.saved)
            except (SnapshotError, KeyError, TypeError, ValueError) as exc:
                raise DemoError(f"cannot restore {world_file(self.db_path)}: {exc}") from exc
        self.club.connect_discord_py()
        if self.club.validator is None:
            # The demo shows what the real bot does against a validated API; it does not run unchecked.
            raise DemoError(f"Discord spec validation is unavailable: {self.club.validation_skipped_reason}")
        env = {
            "DISCORD_TOKEN": self.club.token,
            "DATABASE_PATH": str(self.db_path),
            "DEV_GUILD_ID": str(self.club.guild.id),
        }
        settings = load_settings(env)
        self.store = await open_store(settings, listen=True)
        self._stack.push_async_callback(self.store.db.close)
        # As `bot/__main__.py` runs it: a warm worker pool for the CPU-heavy jobs (imports, charts).
        workers = Workers()
        workers.warm()
        self._stack.callback(workers.close)
        self.bot = BookClubBot(
            settings=settings,
            store=self.store,
            clock=self.clock,
            workers=workers,
            review_fetch_options={"resolver": _no_dns, "route": _loopback_only},
        )
        self._wire_settle()
        await self._stack.enter_async_context(self.club.run_bot(self.bot, timeout=30))
        await self.club.wait_for_commands(timeout=30)

    def _wire_settle(self) -> None:
        # As the end-to-end harness does: each step of the clock waits for the emulator's REST traffic and
        # the bot's scheduler, so what a due timer does (a thread opened, a reminder) is done when it returns.
        emulator_settle = self.clock.settler

        async def settle(quiet: float) -> None:
            if emulator_settle is not None:
                await emulator_settle(quiet)
            if self.bot is not None and self.bot.scheduler.running:
                await self.bot.scheduler.wait_idle()
                if emulator_settle is not None:
                    await emulator_settle(quiet)

        self.clock.settler = settle

    async def stop(self) -> None:
        """Disconnect the bot, close the database, stop the emulator and remove temporary files."""
        try:
            await self._stack.aclose()
            # After the bot closed: whatever it did last is in the saved server, as in its database.
            self.save()
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None
