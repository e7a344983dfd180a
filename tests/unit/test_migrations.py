"""Migrations: fresh database, re-run, upgrade from an older version, and failure rolls back."""

import sqlite3

import pytest

from bot.store.db import Database, DatabaseError, Migration, bundled_migrations

EXPECTED_TABLES = {
    "guild_settings",
    "works",
    "work_parts",
    "statuses",
    "status_history",
    "reviews",
    "discussions",
    "discussion_series",
    "polls",
    "poll_options",
    "poll_votes",
    "summaries",
    "summary_jobs",
    "timers",
    "calendar_feeds",
}


async def tables(db: Database) -> set[str]:
    rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r["name"] for r in rows}


async def test_fresh_database_gets_every_table(tmp_path):
    db = await Database.open(tmp_path / "club.sqlite3")
    try:
        applied = await db.migrate()
        assert [m.version for m in applied] == [m.version for m in bundled_migrations()]
        assert await db.schema_version() == bundled_migrations()[-1].version
        assert await tables(db) >= EXPECTED_TABLES
        assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetch_one("PRAGMA busy_timeout"))[0] > 0
    finally:
        await db.close()


async def test_every_table_is_keyed_by_guild(tmp_path):
    db = await Database.open(tmp_path / "club.sqlite3")
    try:
        await db.migrate()
        for table in EXPECTED_TABLES - {"work_parts", "poll_options", "poll_votes"}:
            columns = {r["name"] for r in await db.fetch_all(f"PRAGMA table_info({table})")}
            assert "guild_id" in columns, table
    finally:
        await db.close()


async def test_rerun_is_a_no_op(tmp_path):
    path = tmp_path / "club.sqlite3"
    db = await Database.open(path)
    await db.migrate()
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'now')")
    await db.close()
    db = await Database.open(path)
    try:
        assert await db.migrate() == []
        assert (await db.fetch_one("SELECT COUNT(*) FROM guild_settings"))[0] == 1
    finally:
        await db.close()


async def test_upgrade_applies_only_newer_migrations_and_keeps_data(tmp_path):
    path = tmp_path / "club.sqlite3"
    first = [Migration(1, "0001_a.sql", "CREATE TABLE a (guild_id INTEGER, x TEXT);")]
    second = [*first, Migration(2, "0002_b.sql", "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'new';")]
    db = await Database.open(path)
    await db.migrate(first)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO a (guild_id, x) VALUES (1, 'kept')")
    await db.close()
    db = await Database.open(path)
    try:
        applied = await db.migrate(second)
        assert [m.version for m in applied] == [2]
        row = await db.fetch_one("SELECT x, y FROM a")
        assert (row["x"], row["y"]) == ("kept", "new")
        assert await db.schema_version() == 2
    finally:
        await db.close()


async def test_failed_migration_changes_nothing(tmp_path):
    path = tmp_path / "club.sqlite3"
    broken = [
        Migration(1, "0001_a.sql", "CREATE TABLE a (x TEXT);"),
        Migration(2, "0002_bad.sql", "CREATE TABLE b (y TEXT); THIS IS NOT SQL;"),
    ]
    db = await Database.open(path)
    try:
        with pytest.raises(DatabaseError, match="nothing was changed"):
            await db.migrate(broken)
        assert await db.schema_version() == 0
        assert not {"a", "b"} & await tables(db)
    finally:
        await db.close()


async def test_database_newer_than_the_bot_is_refused(tmp_path):
    path = tmp_path / "club.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    db = await Database.open(path)
    try:
        with pytest.raises(DatabaseError, match="newer than this bot"):
            await db.migrate()
    finally:
        await db.close()


async def test_not_a_database_is_reported(tmp_path):
    path = tmp_path / "club.sqlite3"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(DatabaseError, match="DATABASE_PATH"):
        db = await Database.open(path)
        await db.migrate()
        await db.close()


async def test_transaction_rolls_back_on_error(tmp_path):
    db = await Database.open(tmp_path / "club.sqlite3")
    try:
        await db.migrate()
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'now')")
                raise RuntimeError("boom")
        assert (await db.fetch_one("SELECT COUNT(*) FROM guild_settings"))[0] == 0
    finally:
        await db.close()
