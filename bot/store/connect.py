"""Open the configured backend: PostgreSQL for a `DATABASE_URL`, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import Database, SqliteDatabase


async def open_database(path: Path | str, url: str | None = None) -> Database:
    """Open PostgreSQL when a `DATABASE_URL` is given, else the SQLite file at `path`."""
    if url is not None:
        from bot.store.postgres import PostgresDatabase  # asyncpg is imported only for PostgreSQL

        return await PostgresDatabase.connect(url)
    return await SqliteDatabase.open_file(path)
