"""The PostgreSQL backend (asyncpg): the same statements as SQLite, with `$n` placeholders.

Chosen by `DATABASE_URL=postgresql://…`. Within one process writes are serialised as on SQLite (one
transaction at a time); each transaction is SERIALIZABLE, so a conflicting write from another process
fails (SQLSTATE 40001, or 40P01 for a deadlock) instead of interleaving, and `atomic` runs it again from
the start after a short random pause, up to `RETRY_ATTEMPTS` times. Reads outside a transaction go to a
small pool.

Caches stay coherent across processes with LISTEN/NOTIFY, PostgreSQL's own, with no broker besides:
`Transaction.changed` sends `pg_notify('bookclub_changes', 'origin:topic:guild')` inside the
transaction, so the server delivers it only if that commits, to every process listening. A process
opened with `connect(url, listen=True)` (the running bot: `python -m bot run`) listens on one dedicated
connection and hands other processes' notices to its `on_change` subscribers (its own it already told at
commit; the origin in the payload filters them out). When that connection is lost, notices may have been
missed: every subscriber is told that any guild may have changed, `changes_heard` is False (caches keep
nothing) until it listens again, and it reconnects with backoff. Commands that only migrate or copy
(`check`, `migrate-to-postgres`) open no listening connection; there `changes_heard` stays False.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any

import asyncpg

from bot.settings import redact_url
from bot.store.db import (
    BUSY_TIMEOUT_MS,
    ChangeSubscribers,
    Database,
    DatabaseBusy,
    DatabaseError,
    IntegrityError,
    Migration,
    Params,
    Row,
    T,
    Transaction,
    WriteConflict,
    bundled_migrations,
    newer_schema,
)

log = logging.getLogger(__name__)

POOL_SIZE = 4
CONNECT_TIMEOUT_SECONDS = 10.0
# A write that conflicts with another process's is run again this many times in all, after a pause drawn
# at random below a ceiling that doubles from the first to the cap (so colliding processes drift apart).
RETRY_ATTEMPTS = 8
RETRY_FIRST_PAUSE_SECONDS = 0.002
RETRY_MAX_PAUSE_SECONDS = 0.2
# Serialization failure (40001) and deadlock (40P01): the transaction was rolled back and is safe to rerun.
_RETRIED = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
# Held while migrating, so that two processes starting at once do not both apply a migration.
_MIGRATION_LOCK_KEY = 0x626F6F6B636C7562  # "bookclub"
_STATUS_COUNT = re.compile(r"(\d+)$")
# The channel every process LISTENs on; a notice's payload is `origin:topic:guild` (guild empty: all).
CHANGES_CHANNEL = "bookclub_changes"
# How often the listening connection is checked when nothing arrives (a silently dead link sends nothing).
LISTENER_CHECK_SECONDS = 30.0
# Waits between attempts to listen again after the connection was lost, doubling up to the last.
RECONNECT_FIRST_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 30.0
_NAMED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """Rewrite `?` (or `:name`) placeholders as `$1`, `$2`…; return the SQL and the names in order.

    Quoted strings, quoted identifiers and comments are copied as they are. The names are None for
    positional placeholders; a named one used twice is one `$n`.
    """
    out: list[str] = []
    names: list[str] = []
    positional = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # a doubled quote inside
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            positional += 1
            out.append(f"${positional}")
            i += 1
        elif ch == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and (match := _NAMED.match(sql, i + 1)):
            name = match.group(0)
            if name not in names:
                names.append(name)
            out.append(f"${names.index(name) + 1}")
            i = match.end()
        else:
            out.append(ch)
            i += 1
    if positional and names:
        raise ValueError("a statement mixes ? and :name placeholders")
    return "".join(out), (tuple(names) if names else None)


def _args(names: tuple[str, ...] | None, params: Params) -> list[Any]:
    if names is None:
        if isinstance(params, Mapping):
            raise ValueError("named parameters given for a statement with ? placeholders")
        return list(params)
    if not isinstance(params, Mapping):
        raise ValueError("a statement with :name placeholders needs a mapping of parameters")
    return [params[name] for name in names]


def _count(status: str | None) -> int:
    """Read the row count from a command tag such as 'UPDATE 3' or 'INSERT 0 1'."""
    match = _STATUS_COUNT.search(status or "")
    return int(match.group(1)) if match else 0


def _numeric(text: str) -> int | float:
    """Decode NUMERIC (what SUM over integers gives) as SQLite does: an int when whole, else a float."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text")


class _PgReads:
    """Queries through whatever asyncpg object runs them (the pool, or a transaction's connection)."""

    _runner: Any

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row."""
        text, names = translate(sql)
        row: Row | None = await self._runner.fetchrow(text, *_args(names, params))
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return all its rows."""
        text, names = translate(sql)
        return list(await self._runner.fetch(text, *_args(names, params)))


class PostgresTransaction(_PgReads, Transaction):
    """Statements inside an open PostgreSQL transaction."""

    def __init__(self, conn: asyncpg.Connection, origin: str) -> None:
        super().__init__()
        self._runner = conn
        self._origin = origin

    async def changed(self, topic: str, guild_id: int | None) -> None:
        """Announce the change to every process: a NOTIFY the server delivers only if this commits."""
        if (topic, guild_id) in self.changes:
            return
        await super().changed(topic, guild_id)
        payload = f"{self._origin}:{topic}:{'' if guild_id is None else guild_id}"
        await self._runner.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, payload)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        text, names = translate(sql)
        with _pg_integrity():
            return _count(await self._runner.execute(text, *_args(names, params)))

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table keyed by `id`; return the new id (0 if nothing was inserted)."""
        text, names = translate(sql)
        with _pg_integrity():
            new_id = await self._runner.fetchval(f"{text} RETURNING id", *_args(names, params))
        return int(new_id or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement for many parameter rows; return the rows changed in all."""
        text, names = translate(sql)
        statement = await self._runner.prepare(text)
        changed = 0
        with _pg_integrity():
            for params in rows:
                await statement.fetch(*_args(names, params))
                changed += _count(statement.get_statusmsg())
        return changed


@contextmanager
def _pg_integrity() -> Iterator[None]:
    """Raise the store's `IntegrityError` for PostgreSQL's constraint violations."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(str(exc)) from exc
    except asyncpg.LockNotAvailableError as exc:  # 55P03: waited `lock_timeout` for another writer
        raise DatabaseBusy(f"the database is busy: {exc}") from exc


class PostgresDatabase(_PgReads, Database):
    """An asyncpg pool shared by every repository; this process's writes run one transaction at a time."""

    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._runner = pool
        self._pool = pool
        self.url = url
        self.location = f"DATABASE_URL: {redact_url(url)!r}"
        self._write_lock = asyncio.Lock()
        self.retry_attempts = RETRY_ATTEMPTS
        # Transactions run again after a conflict, since the connection opened (read by tests and benches).
        self.retries = 0
        self._subscribers = ChangeSubscribers()
        # Names this object's notices, so its listener skips them (its subscribers heard them at commit).
        self._origin = secrets.token_hex(8)
        self._listener: asyncpg.Connection | None = None
        self._listener_lost = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, *, listen: bool = False) -> PostgresDatabase:
        """Connect to the database at `url` (postgresql://user:password@host:port/name).

        With `listen`, also open the connection that hears other processes' changes (a process whose
        caches must follow them); without it caches keep nothing, as nothing would tell them to forget.
        """
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT_SECONDS,
                init=_init_connection,
                # As SQLite's busy timeout: a write waits this long for another writer's locks, then fails.
                server_settings={"lock_timeout": str(BUSY_TIMEOUT_MS)},
            )
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseError(f"DATABASE_URL: cannot connect to {redact_url(url)!r}: {exc}.") from exc
        assert pool is not None
        db = cls(pool, url)
        if not listen:
            return db
        try:
            await db._listen()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            await pool.close()
            raise DatabaseError(f"DATABASE_URL: cannot listen on {redact_url(url)!r}: {exc}.") from exc
        db._watcher = asyncio.create_task(db._watch_listener(), name="postgres-change-listener")
        return db

    @property
    def changes_heard(self) -> bool:
        """Whether the connection that hears other processes' changes is listening (never without `listen`)."""
        return self._listener is not None and not self._listener_lost.is_set()

    @property
    def listener_pid(self) -> int | None:
        """Return the server process id of the listening connection (for operators and tests)."""
        return None if self._listener is None else self._listener.get_server_pid()

    async def _listen(self) -> None:
        """Open the connection that LISTENs for other processes' changes."""
        conn = await asyncpg.connect(
            self.url,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": "bookclub-bot changes"},
        )
        try:
            await conn.add_listener(CHANGES_CHANNEL, self._heard)
        except BaseException:
            await conn.close()
            raise
        conn.add_termination_listener(self._closed)
        self._listener_lost.clear()
        self._listener = conn

    def _closed(self, conn: object) -> None:
        if conn is self._listener:  # not one given up already
            self._listener_lost.set()

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        origin, _, rest = payload.partition(":")
        topic, _, guild = rest.rpartition(":")
        if origin == self._origin or not topic:
            return
        self._subscribers.publish(topic, int(guild) if guild.isdigit() else None)

    async def _watch_listener(self) -> None:
        """Check the listening connection; when it is lost, drop every cache and listen again."""
        while True:
            try:
                await asyncio.wait_for(self._listener_lost.wait(), LISTENER_CHECK_SECONDS)
            except TimeoutError:
                if await self._listener_answers():
                    continue
            await self._listen_again()

    async def _listener_answers(self) -> bool:
        if self._listener is None:
            return False
        try:
            await asyncio.wait_for(self._listener.execute("SELECT 1"), CONNECT_TIMEOUT_SECONDS)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def _listen_again(self) -> None:
        lost, self._listener = self._listener, None
        self._listener_lost.set()
        if lost is not None:
            lost.terminate()
        # Changes committed meanwhile were not heard: every guild's cached data may be stale.
        self._subscribers.publish_all()
        log.warning(
            "Lost the connection listening for other processes' changes to %s; caches dropped, reconnecting",
            redact_url(self.url),
        )
        delay = RECONNECT_FIRST_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                await self._listen()
            except Exception as exc:  # whatever the cause, this connection must come back
                log.debug("Listening again failed (%s); next try in %.1f s", exc, delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            # Whatever was read while not listening was not kept; anything read before is dropped again.
            self._subscribers.publish_all()
            log.info("Listening for other processes' changes again")
            return

    async def close(self) -> None:
        """Close the pool once no transaction is open, and stop listening."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        async with self._write_lock:
            await self._pool.close()

    async def schema_version(self) -> int:
        """Return the version recorded in the `schema_version` table (0 before the first migration)."""
        async with self._pool.acquire() as conn:
            return await _schema_version(conn)

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply every pending migration in one transaction; return the ones applied."""
        migrations = bundled_migrations("postgres") if migrations is None else list(migrations)
        latest = migrations[-1].version if migrations else 0
        async with self._write_lock, self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK_KEY)
                    await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    current = await _schema_version(conn)
                    if current > latest:
                        raise newer_schema(self.location, current, latest)
                    pending = [m for m in migrations if m.version > current]
                    for migration in pending:
                        await conn.execute(f"-- {migration.name}\n{migration.sql}")
                    if pending:
                        await conn.execute("DELETE FROM schema_version")
                        await conn.execute(
                            "INSERT INTO schema_version (version) VALUES ($1)", pending[-1].version
                        )
            except asyncpg.PostgresError as exc:
                raise DatabaseError(f"Migration failed, nothing was changed: {exc}") from exc
        if pending:
            log.info(
                "Database %s migrated from version %d to %d",
                redact_url(self.url),
                current,
                pending[-1].version,
            )
        return pending

    async def execute_atomic(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction, again on a conflict; return the rows it changed."""
        return await self.atomic(lambda tx: tx.execute(sql, params))

    async def atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `work` in a SERIALIZABLE transaction, from the start again on a conflict; return its result.

        `work` must have no effect outside the transaction (see `Database.atomic`). After
        `retry_attempts` conflicts in a row it raises `WriteConflict`, with nothing of it saved.
        """
        for attempt in range(1, self.retry_attempts + 1):
            try:
                async with self.transaction() as tx:
                    return await work(tx)
            except _RETRIED as exc:
                if attempt == self.retry_attempts:
                    log.warning("Write given up after %d conflicts in a row: %s", attempt, exc)
                    raise WriteConflict(
                        f"{self.location}: a write conflicted with other writes {attempt} times in a row "
                        f"and was given up, nothing of it saved ({exc.sqlstate}: {exc})."
                    ) from exc
                self.retries += 1
                ceiling = min(RETRY_FIRST_PAUSE_SECONDS * 2 ** (attempt - 1), RETRY_MAX_PAUSE_SECONDS)
                pause = random.uniform(ceiling / 2, ceiling)
                log.debug("Write conflict (%s), attempt %d; again in %.3f s", exc.sqlstate, attempt, pause)
                await asyncio.sleep(pause)  # outside the write lock: this process's other writes go on
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement at READ COMMITTED; return its RETURNING rows.

        SERIALIZABLE would fail a claim on a row another process claimed and committed since this
        statement's snapshot; READ COMMITTED re-checks the WHERE on the row as committed (and SKIP LOCKED
        steps over rows still being claimed), which a single guarded statement needs and nothing more.
        """
        text, names = translate(sql)
        async with self._write_lock, self._pool.acquire() as conn:
            with _pg_integrity():
                async with conn.transaction(isolation="read_committed"):
                    return list(await conn.fetch(text, *_args(names, params)))

    async def checkpoint(self) -> None:
        """Do nothing: PostgreSQL reclaims deleted rows with VACUUM, run by its autovacuum."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run writes atomically (SERIALIZABLE), once: commit on success, roll back on any exception."""
        async with self._write_lock, self._pool.acquire() as conn:
            tx = PostgresTransaction(conn, self._origin)
            with _pg_integrity():  # a deferred constraint fails at COMMIT
                async with conn.transaction(isolation="serializable"):
                    yield tx
            # Other processes hear it from the server; this one's subscribers now.
            for topic, guild_id in tx.changes:
                self._subscribers.publish(topic, guild_id)


async def _schema_version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT max(version) FROM schema_version")
    return int(version or 0)
