"""The database behind every repository: SQLite (the default) or PostgreSQL, with numbered migrations.

Repositories write SQL both engines accept, with `?` placeholders (or `:name` with a mapping); each
backend runs it in its own dialect. `bot.store.connect.open_database` picks the backend from the settings.

Change notices keep in-memory caches coherent: a write calls `await tx.changed(topic, guild_id)` inside
its transaction, and once it commits every `db.on_change(topic, callback)` subscriber is called with
the guild, in this process at once and, on PostgreSQL, in every other process sharing the database
(through LISTEN/NOTIFY, see `bot.store.postgres`). A rolled-back transaction tells no one. SQLite
serves one process, so its notices stay in it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
DIALECTS = ("sqlite", "postgres")


Params = Iterable[Any] | Mapping[str, Any]
T = TypeVar("T")
# Called with the guild whose data under a topic changed, or None when any guild's may have.
ChangeCallback = Callable[[int | None], None]


class Row(Protocol):
    """A result row, read by column name or position (sqlite3.Row and asyncpg.Record alike)."""

    def __getitem__(self, key: Any, /) -> Any: ...


def _bind(params: Params) -> tuple[Any, ...] | Mapping[str, Any]:
    """Return parameters as sqlite3 takes them: a mapping for named ones, else a tuple."""
    return params if isinstance(params, Mapping) else tuple(params)


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says what to do."""


class WriteConflict(DatabaseError):
    """A write kept colliding with other processes' writes and was given up; nothing of it was saved."""


class DatabaseBusy(WriteConflict):
    """Another writer held the database (or the rows) past the wait (`BUSY_TIMEOUT_MS`); nothing was saved."""


class IntegrityError(Exception):
    """A write broke a constraint (unique, foreign key, check), on either backend."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def bundled_migrations(dialect: str = "sqlite") -> list[Migration]:
    """Return the migrations shipped for a dialect, in order.

    SQLite's are in `bot/store/migrations`, PostgreSQL's (the same numbers and tables) in its `postgres/`.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    folder = resources.files("bot.store") / "migrations"
    if dialect == "postgres":
        folder = folder / "postgres"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise DatabaseError(
            f"Migrations must be numbered 0001.. without gaps, found {[m.name for m in found]}"
        )
    return found


class Reads(ABC):
    """Queries: on `Database` at large and inside a `Transaction` alike."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return all its rows."""


class ChangeSubscribers:
    """This process's `on_change` callbacks, by topic."""

    def __init__(self) -> None:
        self._by_topic: dict[str, list[ChangeCallback]] = {}

    def add(self, topic: str, callback: ChangeCallback) -> None:
        """Call `callback` on every change to `topic`."""
        self._by_topic.setdefault(topic, []).append(callback)

    def publish(self, topic: str, guild_id: int | None) -> None:
        """Call the topic's callbacks; one that fails is logged, never raised into a committed write."""
        for callback in self._by_topic.get(topic, ()):
            try:
                callback(guild_id)
            except Exception:
                log.exception("Change callback %r failed for %s:%s", callback, topic, guild_id)

    def publish_all(self) -> None:
        """Tell every callback that any guild's data may have changed (notices may have been missed)."""
        for topic in list(self._by_topic):
            self.publish(topic, None)


class Transaction(Reads):
    """The statements allowed inside `Database.atomic` (reads included)."""

    def __init__(self) -> None:
        # The (topic, guild) changes to announce once this commits, in order, each once.
        self.changes: dict[tuple[str, int | None], None] = {}

    async def changed(self, topic: str, guild_id: int | None) -> None:
        """Announce, once this transaction commits, that the guild's data under `topic` changed.

        Every `on_change` subscriber of every process sharing the database hears it; None stands for
        every guild. Nothing is announced if the transaction rolls back.
        """
        self.changes[(topic, guild_id)] = None

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table with an `id` key; return the new row's id."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for many parameter rows; return the rows changed in all."""


class Database(Reads):
    """The connection (or pool) every repository shares; writes run in transactions.

    Repositories write through `atomic` (several statements) or `execute_atomic` (one), which PostgreSQL
    re-runs when another process's write conflicts; `transaction()` runs once and is for tests.
    """

    dialect: str
    # Where the data is, for messages: a file path, or a PostgreSQL URL without its password.
    location: str
    _subscribers: ChangeSubscribers

    def on_change(self, topic: str, callback: ChangeCallback) -> None:
        """Call `callback(guild_id)` after every committed `Transaction.changed` on `topic`, from any process.

        `guild_id` is None when any guild's data may have changed: on PostgreSQL, when the connection
        that listens for other processes' notices was lost (some may have been missed).
        """
        self._subscribers.add(topic, callback)

    @property
    def changes_heard(self) -> bool:
        """Whether every change committed from now on will reach `on_change`, so a cache may keep a read."""
        return True

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) a SQLite database file."""
        return await SqliteDatabase.open_file(path)

    @abstractmethod
    async def close(self) -> None:
        """Close the connection once no transaction is open."""

    @abstractmethod
    async def schema_version(self) -> int:
        """Return the version of the last migration applied."""

    @abstractmethod
    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply every pending migration in one transaction; return the ones applied."""

    @abstractmethod
    async def execute_atomic(self, sql: str, params: Params = ()) -> int:
        """Run one write statement on its own (atomic, triggers included); return the rows it changed."""

    @abstractmethod
    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement on its own and return the rows of its RETURNING clause.

        Each row the statement locks is checked against its WHERE as committed at that moment, so a
        claim (`... FOR UPDATE SKIP LOCKED` on PostgreSQL) steps over other processes' rows instead of
        failing on them: only for single statements whose WHERE guards every row they change.
        """

    async def execute_grouped(self, sql: str, params: Params = ()) -> int:
        """Run one write statement like `execute_atomic`, answered only once it is committed.

        A backend may share one transaction among the statements sent meanwhile (SQLite does, so a
        burst of clicks is one commit); the result is still this statement's own.
        """
        return await self.execute_atomic(sql, params)

    @abstractmethod
    async def checkpoint(self) -> None:
        """Make deleted data unreadable from the database's files as far as the engine allows."""

    async def atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `work` in one transaction (commit on success, roll back on any exception); return its result.

        A backend may roll `work` back and run it again from the start in a new transaction, when a
        concurrent write from another process conflicts with it (PostgreSQL's serialization failures
        and deadlocks), and raises `WriteConflict` once it gives up. So `work` must have no effect
        outside the transaction: no caches touched, no messages sent, no variables of the caller
        changed; what it computes it returns. SQLite runs it once (its write lock serialises writes).
        """
        async with self.transaction() as tx:
            return await work(tx)

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Run writes atomically, once: commit on success, roll back on any exception.

        Never retried, so a conflicting write from another process fails it; repositories use `atomic`.
        """


def newer_schema(location: str, current: int, latest: int) -> DatabaseError:
    """Explain a database migrated by a newer bot than this one."""
    return DatabaseError(
        f"{location} has schema version {current}, newer than this bot knows ({latest}); "
        "upgrade the bot or use another database."
    )


class _SqliteReads(Reads):
    _conn: aiosqlite.Connection

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run a query and return its first row."""
        async with self._conn.execute(sql, _bind(params)) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return all its rows."""
        async with self._conn.execute(sql, _bind(params)) as cursor:
            return list(await cursor.fetchall())


class SqliteDatabase(_SqliteReads, Database):
    """One aiosqlite connection shared by every repository; writes are serialised in transactions."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self.location = f"DATABASE_PATH: {str(path)!r}"
        self._write_lock = asyncio.Lock()
        # `execute_grouped` statements waiting for the next shared transaction, and the task writing them.
        self._group: list[tuple[str, tuple[Any, ...] | Mapping[str, Any], asyncio.Future[int]]] = []
        self._group_writer: asyncio.Task[None] | None = None
        self._subscribers = ChangeSubscribers()  # one process by design: notices stay in it

    @classmethod
    async def open_file(cls, path: Path | str) -> SqliteDatabase:
        """Open (creating if needed) the database file and set the connection's pragmas."""
        path = Path(path)
        if str(path) != ":memory:":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"DATABASE_PATH: cannot create folder {str(path.parent)!r}: {exc.strerror}."
                ) from exc
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"DATABASE_PATH: cannot open {str(path)!r}: {exc}.") from exc
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Freed bytes are zeroed, so a deleted or overwritten row leaves nothing behind in the file
            # (what `/privacy forget` promises); the cost is a memset on pages written anyway.
            await conn.execute("PRAGMA secure_delete = ON")
        except sqlite3.Error as exc:
            await conn.close()  # aiosqlite's worker thread would otherwise keep the process alive
            raise DatabaseError(
                f"DATABASE_PATH: {str(path)!r} is not a usable SQLite database: {exc}."
            ) from exc
        return cls(conn, path)

    async def close(self) -> None:
        """Close the connection once no transaction is open (one cut off would keep the file locked)."""
        async with self._write_lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        """Return the schema version recorded in `PRAGMA user_version`."""
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply every pending migration in one transaction; return the ones applied."""
        migrations = bundled_migrations() if migrations is None else list(migrations)
        async with self._write_lock:
            current = await self.schema_version()
            latest = migrations[-1].version if migrations else 0
            if current > latest:
                raise newer_schema(self.location, current, latest)
            pending = [m for m in migrations if m.version > current]
            if not pending:
                return []
            # executescript() would COMMIT between statements, so the whole upgrade is one script
            # that opens and closes its own transaction.
            script = "BEGIN IMMEDIATE;\n"
            for migration in pending:
                script += f"-- {migration.name}\n{migration.sql}\n;\n"
            script += f"PRAGMA user_version = {pending[-1].version};\nCOMMIT;\n"
            try:
                await self._conn.executescript(script)
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise DatabaseError(f"Migration failed, nothing was changed: {exc}") from exc
            log.info("Database %s migrated from version %d to %d", self.path, current, pending[-1].version)
            return pending

    async def execute_atomic(self, sql: str, params: Params = ()) -> int:
        """Run one write statement on its own (atomic, triggers included); return the rows it changed."""
        async with self._write_lock:  # never inside another coroutine's open transaction
            with _sqlite_integrity():
                cursor = await self._conn.execute(sql, _bind(params))
            return cursor.rowcount

    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement on its own; return its RETURNING rows (SQLite's write lock serialises)."""
        async with self._write_lock:  # never inside another coroutine's open transaction
            with _sqlite_integrity():
                async with self._conn.execute(sql, _bind(params)) as cursor:
                    return list(await cursor.fetchall())

    async def execute_grouped(self, sql: str, params: Params = ()) -> int:
        """Run one write statement like `execute_atomic`, in one transaction with those sent meanwhile.

        A burst of clicks is one hop to SQLite's thread and one commit instead of one each. The result
        (the rows this statement changed) comes only after that transaction committed, so whoever
        answers a member after awaiting this has stored what it says; an error is this statement's own.
        """
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._group.append((sql, _bind(params), future))
        if self._group_writer is None or self._group_writer.done():
            self._group_writer = asyncio.create_task(self._write_groups(), name="sqlite-group-writer")
        return await future

    async def _write_groups(self) -> None:
        while self._group:
            group, self._group = self._group, []
            cancelled: asyncio.CancelledError | None = None
            try:
                async with self._write_lock:  # never inside another coroutine's open transaction
                    # aiosqlite runs the callable on its thread, which owns the sqlite3 connection.
                    outcomes = await self._conn._execute(self._write_group, [(q, p) for q, p, _ in group])
            except asyncio.CancelledError as exc:  # shutting down: whether it committed is unknown
                cancelled = exc
                outcomes = [DatabaseError("The database closed before this write was confirmed.")] * len(
                    group
                )
            except Exception as exc:  # the connection is closed, or the group could not start
                outcomes = [exc] * len(group)
            for (_, _, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # its caller gave up waiting; the write happened all the same
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            if cancelled is not None:
                raise cancelled

    def _write_group(self, group: list[tuple[str, Any]]) -> list[int | BaseException]:
        """On aiosqlite's thread: every statement in one transaction; each one's row count or error."""
        conn = self._conn._conn
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[int | BaseException] = []
        try:
            for sql, params in group:
                try:
                    outcomes.append(conn.execute(sql, params).rowcount)
                except sqlite3.Error as exc:
                    # A failed statement undoes only itself, unless SQLite rolled the whole transaction back
                    # (disk full, I/O error): then the ones before it are lost too.
                    outcomes.append(exc)
                    if not conn.in_transaction:
                        return [exc] * len(group)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [exc] * len(group)
        return outcomes

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it to nothing."""
        async with self._write_lock:  # never while another coroutine's transaction is open
            row = await self.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
        if row is not None and row[0]:
            log.warning(
                "WAL checkpoint of %s could not finish (busy); it completes on a later one", self.path
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run writes atomically: commit on success, roll back on any exception."""
        async with self._write_lock:
            with _sqlite_integrity():
                await self._conn.execute("BEGIN IMMEDIATE")
            tx = SqliteTransaction(self._conn)
            try:
                with _sqlite_integrity():
                    yield tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                with _sqlite_integrity():
                    await self._conn.execute("COMMIT")
                for topic, guild_id in tx.changes:
                    self._subscribers.publish(topic, guild_id)


@contextmanager
def _sqlite_integrity() -> Iterator[None]:
    """Raise the store's `IntegrityError` and `DatabaseBusy` for SQLite's own, so callers need not know the engine."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseBusy(f"the database is busy: {exc}") from exc
        raise


class SqliteTransaction(_SqliteReads, Transaction):
    """Statements inside an open SQLite transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        with _sqlite_integrity():
            cursor = await self._conn.execute(sql, _bind(params))
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; return the new row id."""
        with _sqlite_integrity():
            cursor = await self._conn.execute(sql, _bind(params))
        return int(cursor.lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for many parameter rows; return the rows changed in all."""
        with _sqlite_integrity():
            cursor = await self._conn.executemany(sql, [_bind(r) for r in rows])
        return cursor.rowcount
