"""Crash safety: the bot in its own process is SIGKILLed during a burst of clicks and an import confirm.

After a restart the database passes `PRAGMA integrity_check`, and every member who was told "Recorded"
(or "Imported") has that status stored: the bot only answers after the write committed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from markdown_view import rendered

from bot.domain import State, WorkKind
from bot.store import Database, NewWork, Store
from fakediscord import FakeClock, FakeDiscord, Upload

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
CLICKERS = 120


class BotProcess:
    """Start and SIGKILL the bot process."""

    def __init__(self, club: FakeDiscord, db_path: Path) -> None:
        self.info = json.dumps(
            {
                "api_base": club.api_base,
                "gateway_url": club.gateway_url,
                "token": club.token,
                "guild_id": str(club.guild.id),
            }
        )
        self.db_path = db_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
        ready = self.db_path.with_name(f"ready-{id(self)}")
        ready.unlink(missing_ok=True)
        # No pipes: a pipe inherited by the bot's worker processes would outlive a SIGKILLed bot.
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "tests" / "crash_bot.py"),
            self.info,
            str(self.db_path),
            str(ready),
            stdout=asyncio.subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        for _ in range(600):
            if ready.exists():
                return
            assert self.proc.returncode is None, "the bot process exited before it was ready"
            await asyncio.sleep(0.1)
        raise AssertionError("the bot process did not get ready within 60 s")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def seed(db_path: Path, guild_id: int) -> int:
    db = await Database.open(db_path)
    try:
        await db.migrate()
        store = Store.build(db, FakeClock())
        return await store.catalog.add(
            guild_id, NewWork(WorkKind.BOOK, "Pride and Prejudice", "Jane Austen", 1813, chapters=61)
        )
    finally:
        await db.close()


async def stored_states(db_path: Path, guild_id: int, work_id: int) -> dict[int, str]:
    db = await Database.open(db_path)
    try:
        rows = await db.fetch_all(
            "SELECT user_id, state FROM statuses WHERE guild_id = ? AND work_id = ?", (guild_id, work_id)
        )
        return {r["user_id"]: r["state"] for r in rows}
    finally:
        await db.close()


async def click_later(member: object, post: object, delay: float) -> object:
    await asyncio.sleep(delay)
    return await member.click(post, "📖 I read it")  # type: ignore[attr-defined]


@pytest.mark.parametrize("kill_after", [0.15, 0.5])
async def test_sigkill_during_clicks_and_an_import_loses_nothing_anyone_was_told(tmp_path, kill_after):
    db_path = tmp_path / "bookclub.sqlite3"
    async with FakeDiscord(clock=FakeClock(), rate_limits=False) as club:
        work = await seed(db_path, club.guild.id)
        bot = BotProcess(club, db_path)
        await bot.start()
        try:
            await club.wait_for_commands()
            admin = club.member("sam", roles=[club.role("Admins", permissions=["manage_guild"])])
            announcements = club.text_channel("announcements")
            assert (await admin.slash("club setup", announcements=announcements)).content.startswith("Saved.")
            await admin.slash("book current", book=f"#{work}")
            post = club.bot_messages(announcements)[-1]
            importer = club.member("ivy")
            data = (FIXTURES / "goodreads.csv").read_bytes()
            preview = await importer.slash("status import", file=Upload("goodreads.csv", data, "text/csv"))
            members = [club.member(f"reader{n}") for n in range(CLICKERS)]

            # A burst over one second; the confirm goes out just before the kill, mid-burst.
            clicks = [asyncio.create_task(click_later(m, post, n / CLICKERS)) for n, m in enumerate(members)]
            await asyncio.sleep(kill_after - 0.01)
            confirm = asyncio.create_task(importer.click(preview.message, "Import these"))
            await asyncio.sleep(0.01)
            await bot.kill()
            results = await asyncio.gather(*clicks, confirm, return_exceptions=True)
        finally:
            await bot.stop()
        # The files as the crash left them: SQLite recovers the write-ahead log and finds no damage.
        check = sqlite3.connect(db_path)
        try:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            check.close()
        told = [m for m, r in zip(members, results, strict=False) if not isinstance(r, BaseException)]
        told_recorded = [m for m in told if rendered(r_content(results, members, m)).startswith("Recorded")]
        states = await stored_states(db_path, club.guild.id, work)
        missing = [m.name for m in told_recorded if states.get(m.id) != State.READ.value]
        assert missing == [], f"told 'Recorded' but not stored: {missing}"
        imported = results[-1]
        if not isinstance(imported, BaseException) and "Imported" in rendered(imported.text):
            stored = await stored_states(db_path, club.guild.id, work)
            assert stored.get(importer.id) == State.READ.value  # the fixture marks it read

        # The bot starts again on the same files and serves the members who got no answer.
        again = BotProcess(club, db_path)
        await again.start()
        try:
            await club.wait_for_commands()
            late = [m for m in members if m not in told_recorded][:5] or members[:1]
            for member in late:
                reply = await member.click(post, "📖 I read it")
                assert rendered(reply.content).startswith("Recorded")
            states = await stored_states(db_path, club.guild.id, work)
            assert all(states.get(m.id) == State.READ.value for m in late)
        finally:
            await again.stop()
        confirmed = not isinstance(results[-1], BaseException)
        print(
            f"\n[crash] killed {kill_after}s into the burst: {len(told_recorded)}/{CLICKERS} told Recorded, "
            f"import confirm answered: {confirmed}"
        )


def r_content(results: list[object], members: list[object], member: object) -> str:
    reply = results[members.index(member)]
    return str(getattr(reply, "content", ""))
