"""Read a store's schema the same way on SQLite and PostgreSQL, with SQLite's type names."""

from __future__ import annotations

from bot.store import Database

# PostgreSQL's names for the types the SQLite migrations declare.
_AS_SQLITE = {"bigint": "INTEGER", "double precision": "REAL", "text": "TEXT", "integer": "INTEGER"}


async def table_columns(db: Database) -> dict[str, list[tuple[str, str]]]:
    """Return each table's columns as (name, declared type), in order; the bookkeeping table left out."""
    found: dict[str, list[tuple[str, str]]] = {}
    if db.dialect == "sqlite":
        tables = await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        for (table,) in tables:
            columns = await db.fetch_all(f"PRAGMA table_info({table})")
            found[table] = [(c["name"], c["type"].upper()) for c in columns]
        return found
    rows = await db.fetch_all(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name != 'schema_version'"
        " ORDER BY table_name, ordinal_position"
    )
    for row in rows:
        found.setdefault(row["table_name"], []).append((row["column_name"], _AS_SQLITE[row["data_type"]]))
    return found


async def column_names(db: Database, table: str) -> list[str]:
    """Return a table's column names in order."""
    return [name for name, _ in (await table_columns(db))[table]]
