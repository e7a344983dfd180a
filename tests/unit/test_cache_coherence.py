"""Caches kept in memory stay coherent across processes sharing one PostgreSQL (LISTEN/NOTIFY).

Two `PostgresDatabase` objects opened separately on one database stand for two bot processes, each
with its own repositories. Waiting for a notice is a bounded poll; no sleep is an assertion.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio

from bot.domain import WorkKind
from bot.spoilers import BookUpTo
from bot.store import Database, NewDiscussion, NewWork, Store
from bot.store import postgres as postgres_module
from bot.store.cache import GuildCache
from bot.store.catalog import CATALOG
from bot.store.postgres import PostgresDatabase

GUILD = 111111111111111111
OTHER_GUILD = 222222222222222222
START = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)
WAIT_SECONDS = 10.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `check` until it holds; fail after WAIT_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {WAIT_SECONDS:g} s: {what}")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def processes(postgres_url: str, clock) -> AsyncIterator[tuple[Store, Store]]:
    """Yield two stores, A and B, as two processes on one PostgreSQL database would hold them."""
    a_db = await PostgresDatabase.connect(postgres_url, listen=True)
    b_db = await PostgresDatabase.connect(postgres_url, listen=True)
    try:
        await a_db.migrate()
        yield Store.build(a_db, clock), Store.build(b_db, clock)
    finally:
        await a_db.close()
        await b_db.close()


async def _titles(store: Store, guild_id: int = GUILD) -> list[str]:
    return [w.title for w in (await store.catalog.works(guild_id)).values()]


async def test_a_catalog_change_in_one_process_reaches_the_others_cache(processes):
    a, b = processes
    book = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road", "R. Vane", 2020, chapters=24))
    assert await _titles(a) == ["The Salt Road"]  # A keeps it now
    # Behind every repository's back, so nobody is told: A answers from memory, stale.
    await b.db.execute_atomic("UPDATE works SET title = 'Unannounced' WHERE id = ?", (book,))
    assert await _titles(a) == ["The Salt Road"]
    assert (await a.catalog.get(GUILD, book)).title == "The Salt Road"

    await b.catalog.update(GUILD, book, {"title": "The Salt Road, Revised"})
    await eventually(lambda: _is(_titles(a), ["The Salt Road, Revised"]), "A sees B's rename")
    assert (await a.catalog.get(GUILD, book)).title == "The Salt Road, Revised"

    film = await b.catalog.add(GUILD, NewWork(WorkKind.FILM, "Salt", "A. Director", 2024))
    await eventually(lambda: _is(_titles(a), ["Salt", "The Salt Road, Revised"]), "A sees B's new work")

    assert await b.catalog.remove(GUILD, film)
    await eventually(lambda: _is(_titles(a), ["The Salt Road, Revised"]), "A sees B's removal")
    assert await _titles(a, OTHER_GUILD) == []


async def test_a_suggestion_approved_elsewhere_reaches_the_catalog(processes):
    a, b = processes
    suggestion = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Tides"), approved=False)
    assert await _titles(a) == []
    assert await b.catalog.approve(GUILD, suggestion)
    await eventually(lambda: _is(_titles(a), ["Tides"]), "A sees the approved suggestion")


async def test_gated_discussions_opened_and_closed_elsewhere_reach_the_cache(processes):
    a, b = processes
    book = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road", "R. Vane", 2020, chapters=24))
    d = await b.discussions.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    assert await a.discussions.open_gated_work_ids(GUILD) == frozenset()
    assert a.discussions.known_gated_work_ids(GUILD) == frozenset()  # kept in A's memory
    assert await a.discussions.open_gated_work_ids(OTHER_GUILD) == frozenset()

    assert await b.discussions.start_opening(GUILD, d.id, 99, "gated")
    assert await b.discussions.mark_open(GUILD, d.id, 555)
    await eventually(lambda: _is(a.discussions.open_gated_work_ids(GUILD), {book}), "A sees it open")
    assert a.discussions.known_gated_work_ids(OTHER_GUILD) == frozenset()  # another guild's stays

    assert await b.discussions.mark_closed(GUILD, d.id)
    await eventually(lambda: _is(a.discussions.open_gated_work_ids(GUILD), frozenset()), "A sees it closed")


async def test_removing_a_work_elsewhere_drops_its_gated_discussions(processes):
    a, b = processes
    book = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road", chapters=24))
    d = await b.discussions.create(
        GUILD, NewDiscussion(book, BookUpTo(book, chapter=6), "Early", START, START + timedelta(hours=1))
    )
    assert await b.discussions.start_opening(GUILD, d.id, 99, "gated") and await b.discussions.mark_open(
        GUILD, d.id, 555
    )
    await eventually(lambda: _is(a.discussions.open_gated_work_ids(GUILD), {book}), "A sees it open")
    assert await b.catalog.remove(GUILD, book)  # its discussions go with it
    await eventually(lambda: _is(a.discussions.open_gated_work_ids(GUILD), frozenset()), "A forgets it")
    assert await b.discussions.open_gated_work_ids(GUILD) == frozenset()  # and so does B itself


async def test_a_rolled_back_write_tells_no_process(processes):
    a, b = processes
    heard_a: list[int | None] = []
    heard_b: list[int | None] = []
    a.db.on_change("probe", heard_a.append)
    b.db.on_change("probe", heard_b.append)
    with pytest.raises(RuntimeError):
        async with b.db.transaction() as tx:
            await tx.changed("probe", GUILD)
            raise RuntimeError("changed its mind")
    async with b.db.transaction() as tx:  # notices arrive in commit order: this one comes after
        await tx.changed("probe", OTHER_GUILD)
    await eventually(lambda: _is_now(heard_a, [OTHER_GUILD]), "A hears the committed notice")
    assert heard_a == [OTHER_GUILD] and heard_b == [OTHER_GUILD]


async def test_each_process_hears_its_own_change_once_at_commit(processes):
    a, b = processes
    heard_a: list[int | None] = []
    a.db.on_change("probe", heard_a.append)
    async with a.db.transaction() as tx:
        await tx.changed("probe", GUILD)
        await tx.changed("probe", GUILD)  # one notice per guild and topic
        assert heard_a == []  # not before it commits
    assert heard_a == [GUILD]
    async with b.db.transaction() as tx:
        await tx.changed("probe", None)  # every guild
    await eventually(lambda: _is_now(heard_a, [GUILD, None]), "A hears B's notice")


async def _kill_listener(killer: Database, victim: PostgresDatabase) -> int:
    pid = victim.listener_pid
    assert pid is not None
    row = await killer.fetch_one("SELECT pg_terminate_backend(?)", (pid,))
    assert row is not None and row[0] is True
    return pid


async def test_a_lost_listener_drops_every_cache_and_listens_again(processes):
    a, b = processes
    book = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road", chapters=24))
    assert await a.discussions.open_gated_work_ids(GUILD) == frozenset()
    assert await _titles(a) == ["The Salt Road"]
    assert isinstance(a.db, PostgresDatabase) and a.db.changes_heard
    old_pid = await _kill_listener(b.db, a.db)

    # Notices sent meanwhile may be lost, so everything kept is dropped.
    await eventually(lambda: _true(a.discussions.known_gated_work_ids(GUILD) is None), "caches dropped")
    await eventually(
        lambda: _true(a.db.changes_heard and a.db.listener_pid not in (None, old_pid)), "listening again"
    )

    assert await _titles(a) == ["The Salt Road"]  # kept again, and kept current again
    await b.catalog.update(GUILD, book, {"title": "Renamed"})
    await eventually(lambda: _is(_titles(a), ["Renamed"]), "A hears B after listening again")


async def test_nothing_is_kept_while_not_listening(processes, monkeypatch):
    a, b = processes
    monkeypatch.setattr(postgres_module, "RECONNECT_FIRST_SECONDS", 3600.0)  # stays deaf for the test
    book = await b.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road", chapters=24))
    assert isinstance(a.db, PostgresDatabase)
    await _kill_listener(b.db, a.db)
    await eventually(lambda: _true(not a.db.changes_heard), "A knows it is deaf")

    assert await _titles(a) == ["The Salt Road"]
    assert await a.discussions.open_gated_work_ids(GUILD) == frozenset()
    assert a.discussions.known_gated_work_ids(GUILD) is None  # read, not kept
    await b.catalog.update(GUILD, book, {"title": "Renamed"})
    assert await _titles(a) == ["Renamed"]  # read afresh at once, no notice needed


async def test_a_lost_listener_tells_every_subscriber_and_listens_again(processes):
    a, b = processes
    heard: list[int | None] = []
    a.db.on_change("probe", heard.append)
    assert isinstance(a.db, PostgresDatabase)
    old_pid = await _kill_listener(b.db, a.db)
    await eventually(lambda: _true(None in heard), "A's subscribers told that any guild may have changed")
    await eventually(
        lambda: _true(a.db.changes_heard and a.db.listener_pid not in (None, old_pid)), "listening again"
    )
    heard.clear()
    async with b.db.transaction() as tx:
        await tx.changed("probe", GUILD)
    await eventually(lambda: _is_now(heard, [GUILD]), "A hears B again")


async def test_a_load_that_raced_a_change_is_returned_but_not_kept(tmp_path):
    db = await Database.open(tmp_path / "cache.sqlite3")
    try:
        cache: GuildCache[str] = GuildCache(db, CATALOG)
        release = asyncio.Event()

        async def slow_load() -> str:
            await release.wait()
            return "before the change"

        loading = asyncio.ensure_future(cache.get(GUILD, slow_load))
        other = asyncio.ensure_future(cache.get(OTHER_GUILD, slow_load))
        await asyncio.sleep(0)
        async with db.transaction() as tx:
            await tx.changed(CATALOG, GUILD)
        release.set()
        assert await loading == "before the change"
        assert cache.peek(GUILD) is None  # it may predate the change: not kept
        assert await other == "before the change"
        assert cache.peek(OTHER_GUILD) == "before the change"  # another guild's change only

        async def fresh_load() -> str:
            return "after the change"

        assert await cache.get(GUILD, fresh_load) == "after the change"
        assert cache.peek(GUILD) == "after the change"
        cache.forget(None)
        assert cache.peek(GUILD) is None and cache.peek(OTHER_GUILD) is None
    finally:
        await db.close()


async def test_sqlite_tells_its_subscribers_only_what_committed(tmp_path):
    db = await Database.open(tmp_path / "cache.sqlite3")
    try:
        heard: list[int | None] = []
        db.on_change("probe", heard.append)
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.changed("probe", GUILD)
                raise RuntimeError("changed its mind")
        assert heard == []
        async with db.transaction() as tx:
            await tx.changed("probe", OTHER_GUILD)
            assert heard == []
        assert heard == [OTHER_GUILD]
        assert db.changes_heard
    finally:
        await db.close()


async def test_a_failing_subscriber_does_not_fail_the_committed_write(tmp_path):
    db = await Database.open(tmp_path / "cache.sqlite3")
    try:
        heard: list[int | None] = []

        def broken(_guild_id: int | None) -> None:
            raise ValueError("bug in a subscriber")

        db.on_change("probe", broken)
        db.on_change("probe", heard.append)
        async with db.transaction() as tx:
            await tx.changed("probe", GUILD)
        assert heard == [GUILD]
    finally:
        await db.close()


async def test_a_database_opened_without_listening_keeps_nothing_and_reads_every_write(postgres_url, clock):
    writer_db = await PostgresDatabase.connect(postgres_url, listen=True)
    quiet_db = await PostgresDatabase.connect(postgres_url)  # as `check` opens it
    try:
        await writer_db.migrate()
        writer, quiet = Store.build(writer_db, clock), Store.build(quiet_db, clock)
        assert quiet_db.listener_pid is None and not quiet_db.changes_heard
        assert writer_db.listener_pid is not None and writer_db.changes_heard
        await writer.catalog.add(GUILD, NewWork(WorkKind.BOOK, "The Salt Road"))
        assert await _titles(quiet) == ["The Salt Road"]
        await writer.catalog.add(GUILD, NewWork(WorkKind.BOOK, "Emma"))
        assert sorted(await _titles(quiet)) == ["Emma", "The Salt Road"]  # read again: nothing was kept
    finally:
        await writer_db.close()
        await quiet_db.close()


async def test_a_database_that_cannot_listen_does_not_open(postgres_url, monkeypatch):
    async def refuse(*_args: object, **_kwargs: object) -> None:
        raise asyncpg.InvalidAuthorizationSpecificationError("no listening today")

    monkeypatch.setattr(postgres_module.asyncpg, "connect", refuse)
    with pytest.raises(postgres_module.DatabaseError, match="cannot listen"):
        await PostgresDatabase.connect(postgres_url, listen=True)


async def _is(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


async def _is_now(value: object, expected: object) -> bool:
    return value == expected


async def _true(value: bool) -> bool:
    return value
