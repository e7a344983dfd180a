"""Open the configured backend: PostgreSQL for a `DATABASE_URL`, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import Database, SqliteDatabase


async def open_database(path: Path | str, url: str | None = None, *, listen: bool = False) -> Database:
    """Open PostgreSQL when a `DATABASE_URL` is given, else the SQLite file at `path`.

    `listen` is for a process whose caches must follow other processes' writes (a running bot): on
    PostgreSQL it opens the connection that hears them. SQLite has one process and needs none.
    """
    if url is not None:
        from bot.store.postgres import PostgresDatabase  # asyncpg is imported only for PostgreSQL

        return await PostgresDatabase.connect(url, listen=listen)
    return await SqliteDatabase.open_file(path)
