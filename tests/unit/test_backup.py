"""`python -m bot backup FILE`: a consistent, self-contained copy of the live database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.backup import backup_database
from bot.domain import WorkKind
from bot.store import DatabaseError, NewWork

ROOT = Path(__file__).resolve().parents[2]
GUILD = 111111111111111111


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_PATH"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_backup_of_the_running_database_from_the_command_line(sqlite_store, tmp_path):
    store = sqlite_store
    await store.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma", "Jane Austen"))
    # The bot's connection is open: the new row may still be only in the write-ahead log.
    result = await asyncio.to_thread(
        run_cli, "backup", "copy.sqlite3", cwd=tmp_path, DATABASE_PATH=str(store.db.path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: backed up")
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        assert copy.execute("SELECT title FROM works").fetchall() == [("Emma",)]
        assert copy.execute("PRAGMA user_version").fetchone()[0] == await store.db.schema_version()
    finally:
        copy.close()
    again = run_cli("backup", "copy.sqlite3", cwd=tmp_path, DATABASE_PATH=str(store.db.path))
    assert again.returncode == 2 and "already exists" in again.stderr


async def test_backup_while_the_bot_writes_is_a_consistent_snapshot(sqlite_store, tmp_path):
    store = sqlite_store
    stop = asyncio.Event()

    async def writer() -> int:
        pairs = 0
        while not stop.is_set():
            async with store.db.transaction() as tx:  # two rows per transaction, never one alone
                for side in ("a", "b"):
                    await tx.execute(
                        "INSERT INTO works (guild_id, kind, title, created_at) VALUES (?, 'book', ?, 'now')",
                        (GUILD, f"pair {pairs} {side}"),
                    )
            pairs += 1
            await asyncio.sleep(0)
        return pairs

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.1)
    result = await asyncio.to_thread(backup_database, store.db.path, tmp_path / "snap.sqlite3")
    stop.set()
    written = await task
    copy = sqlite3.connect(result.path)
    try:
        (count,) = copy.execute("SELECT COUNT(*) FROM works").fetchone()
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert count % 2 == 0 and 0 < count <= 2 * written


def test_backup_refuses_a_missing_database_or_itself(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        backup_database(tmp_path / "nope.sqlite3", tmp_path / "out.sqlite3")
    live = tmp_path / "live.sqlite3"
    sqlite3.connect(live).close()
    with pytest.raises(DatabaseError, match="must not be the database"):
        backup_database(live, live, overwrite=True)
