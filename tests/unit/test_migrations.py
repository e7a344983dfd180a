"""Migrations on both backends: fresh database, re-run, upgrade, failure rolls back; the two sets agree."""

import sqlite3

import pytest
from schema import table_columns

from bot.store.connect import open_database as open_backend
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
    return set(await table_columns(db))


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


async def test_a_fresh_database_of_either_backend_reaches_the_last_version(open_database, backend):
    db = await open_database()
    try:
        applied = await db.migrate()
        assert [m.version for m in applied] == [m.version for m in bundled_migrations(backend)]
        assert await db.schema_version() == bundled_migrations(backend)[-1].version
        assert await tables(db) >= EXPECTED_TABLES
    finally:
        await db.close()


def test_both_backends_have_the_same_numbered_migrations():
    sqlite = [m.name for m in bundled_migrations("sqlite")]
    postgres = [m.name for m in bundled_migrations("postgres")]
    assert sqlite == postgres


async def test_both_backends_end_with_the_same_tables_columns_and_types(tmp_path, postgres_url):
    lite = await open_backend(tmp_path / "club.sqlite3")
    pg = await open_backend(tmp_path / "unused", postgres_url)
    try:
        await lite.migrate()
        await pg.migrate()
        assert await table_columns(pg) == await table_columns(lite)
        # The status history trigger fires on both.
        for db in (lite, pg):
            await db.execute_atomic(
                "INSERT INTO works (id, guild_id, kind, title, created_at) VALUES (1, 1, 'book', 'Emma', 'now')"
            )
            await db.execute_atomic(
                "INSERT INTO statuses (guild_id, user_id, work_id, state, source, changed_at, updated_at)"
                " VALUES (1, 2, 1, 'reading', 'command', 'then', 'now')"
            )
            await db.execute_atomic("UPDATE statuses SET state = 'read'")
            rows = await db.fetch_all("SELECT state FROM status_history ORDER BY id")
            assert [r["state"] for r in rows] == ["reading", "read"], db.dialect
    finally:
        await lite.close()
        await pg.close()


async def test_every_table_is_keyed_by_guild(open_database):
    db = await open_database()
    try:
        await db.migrate()
        schema = await table_columns(db)
        for table in EXPECTED_TABLES - {"work_parts", "poll_options", "poll_votes"}:
            assert "guild_id" in {name for name, _ in schema[table]}, table
    finally:
        await db.close()


async def test_rerun_is_a_no_op(open_database):
    db = await open_database()
    await db.migrate()
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'now')")
    await db.close()
    db = await open_database()
    try:
        assert await db.migrate() == []
        assert (await db.fetch_one("SELECT COUNT(*) FROM guild_settings"))[0] == 1
    finally:
        await db.close()


async def test_upgrade_applies_only_newer_migrations_and_keeps_data(open_database):
    first = [Migration(1, "0001_a.sql", "CREATE TABLE a (guild_id INTEGER, x TEXT);")]
    second = [*first, Migration(2, "0002_b.sql", "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'new';")]
    db = await open_database()
    await db.migrate(first)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO a (guild_id, x) VALUES (1, 'kept')")
    await db.close()
    db = await open_database()
    try:
        applied = await db.migrate(second)
        assert [m.version for m in applied] == [2]
        row = await db.fetch_one("SELECT x, y FROM a")
        assert (row["x"], row["y"]) == ("kept", "new")
        assert await db.schema_version() == 2
    finally:
        await db.close()


async def test_failed_migration_changes_nothing(open_database):
    broken = [
        Migration(1, "0001_a.sql", "CREATE TABLE a (x TEXT);"),
        Migration(2, "0002_bad.sql", "CREATE TABLE b (y TEXT); THIS IS NOT SQL;"),
    ]
    db = await open_database()
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


async def test_a_postgres_database_newer_than_the_bot_is_refused(postgres_url, tmp_path):
    db = await open_backend(tmp_path / "unused", postgres_url)
    try:
        await db.migrate([Migration(1, "0001_a.sql", "CREATE TABLE a (x TEXT);")])
        await db.execute_atomic("UPDATE schema_version SET version = 999")
        with pytest.raises(DatabaseError, match=r"DATABASE_URL: .* newer than this bot"):
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


async def test_transaction_rolls_back_on_error(open_database):
    db = await open_database()
    try:
        await db.migrate()
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'now')")
                raise RuntimeError("boom")
        assert (await db.fetch_one("SELECT COUNT(*) FROM guild_settings"))[0] == 0
    finally:
        await db.close()
