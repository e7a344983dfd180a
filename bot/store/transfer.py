"""Copy a club's SQLite database into an empty PostgreSQL database (`python -m bot migrate-to-postgres`).

Generic over the schema: the tables come from the SQLite file itself (after migrating it to the latest
version), in an order that satisfies their foreign keys; a self-reference (`works.adapts_work_id`) is
written as NULL first and filled in once every row of its table is there. Values are converted to the
PostgreSQL twin column's type (BIGINT, DOUBLE PRECISION, TEXT…).

User triggers are disabled for the copy (rows are copied as they are, so the trigger that records status
history must not add history a second time) and enabled again before the commit.

Everything happens in one PostgreSQL transaction, and verification (per table: row count and a sha256
over the rows in primary-key order, normalised the same way on both sides) runs inside it, reading back
what PostgreSQL holds: on any mismatch the transaction is rolled back, so nothing is left half-copied.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import redact_url
from bot.store.db import DatabaseError, SqliteDatabase

SKIPPED_TABLES = frozenset({"schema_version"})
_INTEGER_TYPES = frozenset({"bigint", "integer", "smallint"})
_FLOAT_TYPES = frozenset({"double precision", "real", "numeric"})


class TransferError(DatabaseError):
    """The copy cannot go on, or did not verify; nothing was written to PostgreSQL."""


@dataclass(frozen=True)
class TableInfo:
    """A table to copy: its columns (in SQLite order), primary key and the tables it references."""

    name: str
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    references: frozenset[str]
    self_references: tuple[str, ...]  # columns pointing at this same table


@dataclass(frozen=True)
class TableReport:
    """One table's verification: rows on each side and whether the checksums agree."""

    name: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        """Whether counts and checksums match."""
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass(frozen=True)
class TransferReport:
    """What was copied and how it verified."""

    source_version: int
    target_version: int
    tables: tuple[TableReport, ...]

    @property
    def ok(self) -> bool:
        """Whether every table verified."""
        return all(t.ok for t in self.tables)

    def render(self) -> str:
        """A plain-text table: table / rows / checksum match."""
        width = max([len("table"), *(len(t.name) for t in self.tables)])
        lines = [f"{'table':<{width}}  {'rows':>8}  checksum"]
        for t in self.tables:
            rows = (
                str(t.source_rows) if t.source_rows == t.target_rows else f"{t.source_rows}!={t.target_rows}"
            )
            match = "match" if t.ok else f"MISMATCH ({t.source_checksum[:12]} != {t.target_checksum[:12]})"
            lines.append(f"{t.name:<{width}}  {rows:>8}  {match}")
        return "\n".join(lines)


class _Mismatch(Exception):
    def __init__(self, report: TransferReport) -> None:
        super().__init__("verification failed")
        self.report = report


class VerificationFailed(TransferError):
    """At least one table did not verify; the PostgreSQL transaction was rolled back."""

    def __init__(self, report: TransferReport) -> None:
        bad = ", ".join(t.name for t in report.tables if not t.ok)
        super().__init__(
            f"verification failed for {bad}; the PostgreSQL transaction was rolled back, nothing was written.\n"
            + report.render()
        )
        self.report = report


def normalise(value: Any, pg_type: str) -> Any:
    """Bring a value to the form it takes in its PostgreSQL column (ints, floats, text or None)."""
    if value is None:
        return None
    if pg_type in _INTEGER_TYPES:
        if isinstance(value, float) and not value.is_integer():
            raise TransferError(f"a non-integer value {value!r} cannot go into a {pg_type} column")
        return int(value)
    if pg_type in _FLOAT_TYPES:
        return float(value)
    if pg_type == "bytea":
        return bytes(value)
    if pg_type == "boolean":
        return bool(value)
    if isinstance(value, bytes):
        return value.decode()
    return str(value) if not isinstance(value, str) else value


def _canonical(value: Any) -> Any:
    if isinstance(value, float):
        return {"f": value.hex()}
    if isinstance(value, bytes):
        return {"b": value.hex()}
    return value


def _sort_key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((v is None, v if v is not None else 0) for v in values)


def checksum(
    rows: Iterable[Sequence[Any]],
    columns: Sequence[str],
    primary_key: Sequence[str],
    types: Mapping[str, str],
) -> tuple[int, str]:
    """Return (row count, sha256) over rows normalised to their PostgreSQL types, in primary-key order.

    Sorting happens here rather than in SQL, so that text keys sort the same whatever the server's collation.
    """
    key_at = [columns.index(c) for c in (primary_key or columns)]
    normalised = [[normalise(v, types[c]) for v, c in zip(row, columns, strict=True)] for row in rows]
    normalised.sort(key=lambda row: _sort_key([row[i] for i in key_at]))
    digest = hashlib.sha256()
    for row in normalised:
        digest.update(json.dumps([_canonical(v) for v in row], ensure_ascii=False).encode())
        digest.update(b"\n")
    return len(normalised), digest.hexdigest()


def copy_order(tables: Sequence[TableInfo]) -> list[TableInfo]:
    """Order tables so that each comes after every table it references (Kahn; ties by name)."""
    by_name = {t.name: t for t in tables}
    pending = {t.name: {r for r in t.references if r in by_name} for t in tables}
    order: list[TableInfo] = []
    while pending:
        ready = sorted(name for name, deps in pending.items() if not deps)
        if not ready:
            raise TransferError(f"the foreign keys between {', '.join(sorted(pending))} form a cycle")
        for name in ready:
            order.append(by_name[name])
            del pending[name]
        for deps in pending.values():
            deps.difference_update(ready)
    return order


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _any_row(table: str) -> str:
    return f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})"  # noqa: S608 - quoted identifier from the schema


def _select_all(table: str, columns: Sequence[str]) -> str:
    select = ", ".join(_quote(c) for c in columns)
    return f"SELECT {select} FROM {_quote(table)}"  # noqa: S608 - quoted identifiers from the schema


async def read_sqlite_tables(db: SqliteDatabase) -> list[TableInfo]:
    """Every data table of the SQLite database (not schema_version nor SQLite's own)."""
    rows = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name"
    )
    tables = []
    for name in (str(r["name"]) for r in rows):
        if name in SKIPPED_TABLES:
            continue
        info = await db.fetch_all(f"PRAGMA table_info({_quote(name)})")
        columns = tuple(str(r["name"]) for r in info)
        primary_key = tuple(
            str(r["name"]) for r in sorted((r for r in info if r["pk"]), key=lambda r: r["pk"])
        )
        fks = await db.fetch_all(f"PRAGMA foreign_key_list({_quote(name)})")
        references = frozenset(str(r["table"]) for r in fks if r["table"] != name)
        self_refs = tuple(sorted({str(r["from"]) for r in fks if r["table"] == name}))
        tables.append(TableInfo(name, columns, primary_key, references, self_refs))
    return tables


async def open_source(path: Path) -> SqliteDatabase:
    """Open and migrate the club's SQLite file, refusing a missing file or one that is not the club's."""
    if not path.is_file():  # noqa: ASYNC240 - one stat before anything opens
        raise TransferError(
            f"{str(path)!r} does not exist (or is not a file): give the club's SQLite database."
        )
    with path.open("rb") as f:
        header = f.read(16)
    if header != b"SQLite format 3\x00":
        raise TransferError(f"{str(path)!r} is not an SQLite database.")
    db = await SqliteDatabase.open_file(path)
    try:
        try:
            version = await db.schema_version()
        except sqlite3.DatabaseError as exc:
            raise TransferError(f"{str(path)!r} is not a usable SQLite database: {exc}.") from exc
        if version == 0:
            raise TransferError(
                f"{str(path)!r} is not a bookclub database (it has no schema version): nothing was copied."
            )
        await db.migrate()
    except BaseException:
        await db.close()
        raise
    return db


async def migrate_to_postgres(sqlite_path: Path, url: str) -> TransferReport:
    """Copy every table of the SQLite club database into the empty PostgreSQL database at `url`."""
    import asyncpg

    from bot.store.postgres import PostgresDatabase

    source = await open_source(sqlite_path)
    try:
        source_version = await source.schema_version()
        tables = copy_order(await read_sqlite_tables(source))
        target_db = await PostgresDatabase.connect(url)
        try:
            await target_db.migrate()
            target_version = await target_db.schema_version()
        finally:
            await target_db.close()
        if target_version != source_version:
            raise TransferError(
                f"schema versions differ after migrating: SQLite {source_version}, PostgreSQL {target_version}"
            )
        try:
            conn = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError) as exc:
            raise TransferError(f"cannot connect to {redact_url(url)!r}: {exc}") from exc
        try:
            try:
                async with conn.transaction(isolation="serializable"):
                    report = await _copy(source, conn, tables, source_version, target_version, url)
                    if not report.ok:
                        raise _Mismatch(report)
            except _Mismatch as exc:
                raise VerificationFailed(exc.report) from None
            except asyncpg.PostgresError as exc:
                raise TransferError(f"copy failed and was rolled back, nothing was written: {exc}") from exc
        finally:
            await conn.close()
    finally:
        await source.close()
    return report


async def _pg_types(conn: Any) -> dict[str, dict[str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    )
    types: dict[str, dict[str, str]] = {}
    for row in rows:
        types.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return types


async def _copy(
    source: SqliteDatabase,
    conn: Any,
    tables: Sequence[TableInfo],
    source_version: int,
    target_version: int,
    url: str,
) -> TransferReport:
    pg_types = await _pg_types(conn)
    # Refuse a target that already holds club data: copying into it would mix two clubs.
    occupied = [
        name
        for name in sorted(pg_types)
        if name not in SKIPPED_TABLES and await conn.fetchval(_any_row(name))
    ]
    if occupied:
        raise TransferError(
            f"the PostgreSQL database {redact_url(url)!r} already holds club data (in {', '.join(occupied)}): "
            "nothing was written. Give an empty database (e.g. createdb bookclub)."
        )
    for table in tables:
        missing = [c for c in table.columns if c not in pg_types.get(table.name, {})]
        if missing:
            raise TransferError(
                f"PostgreSQL has no column {table.name}.{missing[0]} (is its migration twin missing?)"
            )

    # The rows are copied as they are: triggers (e.g. the one that writes status history) would add rows
    # a second time. Disabled inside the transaction (ALTER TABLE is transactional) and enabled again below.
    for table in tables:
        await conn.execute(f"ALTER TABLE {_quote(table.name)} DISABLE TRIGGER USER")
    sources: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        types = pg_types[table.name]
        rows: list[tuple[Any, ...]] = [
            tuple(r[i] for i in range(len(table.columns)))
            for r in await source.fetch_all(_select_all(table.name, table.columns))
        ]
        sources[table.name] = rows
        deferred = {table.columns.index(c) for c in table.self_references}
        records = [
            tuple(
                None if i in deferred else normalise(v, types[c])
                for i, (v, c) in enumerate(zip(row, table.columns, strict=True))
            )
            for row in rows
        ]
        if records:
            await conn.copy_records_to_table(table.name, records=records, columns=list(table.columns))
        if deferred and rows:
            key = table.primary_key or table.columns
            key_at = [table.columns.index(c) for c in key]
            for column in table.self_references:
                at = table.columns.index(column)
                where = " AND ".join(f"{_quote(c)} = ${n + 2}" for n, c in enumerate(key))
                await conn.executemany(
                    f"UPDATE {_quote(table.name)} SET {_quote(column)} = $1 WHERE {where}",  # noqa: S608 - quoted identifiers
                    [
                        (
                            normalise(row[at], types[column]),
                            *(normalise(row[i], types[key[j]]) for j, i in enumerate(key_at)),
                        )
                        for row in rows
                        if row[at] is not None
                    ],
                )

    for table in tables:
        await conn.execute(f"ALTER TABLE {_quote(table.name)} ENABLE TRIGGER USER")

    # Identity columns continue after the copied ids.
    identities = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for row in identities:
        table_name, column = row["table_name"], row["column_name"]
        top = await conn.fetchval(
            f"SELECT max({_quote(column)}) FROM {_quote(table_name)}"  # noqa: S608 - quoted identifiers
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)",
            _quote(table_name),
            column,
            int(top) if top is not None else 1,
            top is not None,
        )

    reports = []
    for table in tables:
        types = pg_types[table.name]
        copied = [tuple(r) for r in await conn.fetch(_select_all(table.name, table.columns))]
        reports.append(verify_table(table, types, sources[table.name], copied))
    return TransferReport(source_version, target_version, tuple(reports))


def verify_table(
    table: TableInfo,
    types: Mapping[str, str],
    source_rows: Sequence[Sequence[Any]],
    target_rows: Sequence[Sequence[Any]],
) -> TableReport:
    """Compare one table's rows from SQLite and PostgreSQL by count and checksum."""
    n_source, sum_source = checksum(source_rows, table.columns, table.primary_key, types)
    n_target, sum_target = checksum(target_rows, table.columns, table.primary_key, types)
    return TableReport(table.name, n_source, n_target, sum_source, sum_target)
