"""`python -m bot backup <file>`: a consistent copy of the live database, taken with SQLite's online backup API."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store import DatabaseError

PAGES_PER_STEP = 256
"""Pages copied per step; between steps the bot can keep writing (a write restarts the copy)."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote."""

    path: Path
    pages: int
    schema_version: int


def backup_database(source: Path, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy `source` to `target` while the bot may be running; return what was written.

    The copy is one self-contained file (rollback journal, not WAL) that passes `integrity_check`.
    """
    if not source.is_file():
        raise DatabaseError(f"DATABASE_PATH: {str(source)!r} does not exist; nothing to back up.")
    if target.exists() and not overwrite:
        raise DatabaseError(f"{str(target)!r} already exists; choose a new file name or pass --force.")
    if target.resolve() == source.resolve():
        raise DatabaseError("The backup file must not be the database itself.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Read-only: a backup must never change the live database. WAL content is read through the pager.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=PAGES_PER_STEP, sleep=0.01)
        dst.execute("PRAGMA journal_mode = DELETE")
        (check,) = dst.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise DatabaseError(
                f"The backup failed its integrity check ({check}); the database may be damaged."
            )
        (pages,) = dst.execute("PRAGMA page_count").fetchone()
        (version,) = dst.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        raise DatabaseError(f"Backup of {str(source)!r} failed: {exc}.") from exc
    finally:
        dst.close()
        src.close()
    # Renamed only once complete, so a file under the target name is always a whole backup.
    partial.replace(target)
    return BackupResult(target, int(pages), int(version))
