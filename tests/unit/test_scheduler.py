"""The one scheduler: due timers run once, in order, across restarts, with no polling."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.scheduler import Scheduler
from bot.store import Database, Store, Timer
from fakediscord import FakeClock

START = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def settled(scheduler: Scheduler, clock: FakeClock) -> Scheduler:
    """Let each step of `clock.advance` wait for the scheduler, as the e2e harness does."""

    async def settle(_quiet: float) -> None:
        await scheduler.wait_idle()

    clock.settler = settle
    return scheduler


async def open_store(path: Path, clock: FakeClock) -> Store:
    db = await Database.open(path)
    await db.migrate()
    return Store.build(db, clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START, settle_seconds=0)


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock):
    s = await open_store(tmp_path / "db.sqlite3", clock)
    yield s
    await s.db.close()


async def test_timers_fire_at_their_time_in_order(store, clock):
    scheduler = settled(Scheduler(store.timers, clock), clock)
    fired: list[tuple[str, datetime]] = []

    async def handler(timer: Timer) -> None:
        fired.append((timer.key, clock.now()))

    scheduler.on("test.fire", handler)
    scheduler.start()
    await scheduler.schedule(1, "test.fire", key="b", due_at=START + timedelta(hours=2))
    await scheduler.schedule(1, "test.fire", key="a", due_at=START + timedelta(hours=1), payload={"x": 1})
    await scheduler.wait_idle()
    assert fired == []
    await clock.advance(timedelta(minutes=59))
    await scheduler.wait_idle()
    assert fired == []
    await clock.advance(timedelta(minutes=1))
    await scheduler.wait_idle()
    assert fired == [("a", START + timedelta(hours=1))]
    await clock.advance(timedelta(hours=5))
    await scheduler.wait_idle()
    assert [k for k, _ in fired] == ["a", "b"]
    assert await store.timers.for_guild(1) == []
    await scheduler.stop()


async def test_scheduling_again_moves_the_timer_and_cancel_drops_it(store, clock):
    scheduler = settled(Scheduler(store.timers, clock), clock)
    fired: list[datetime] = []

    async def handler(timer: Timer) -> None:
        fired.append(clock.now())

    scheduler.on("test.move", handler)
    scheduler.start()
    await scheduler.schedule(1, "test.move", key="1", due_at=START + timedelta(hours=3))
    await scheduler.schedule(1, "test.move", key="1", due_at=START + timedelta(hours=1))
    await scheduler.schedule(1, "test.move", key="2", due_at=START + timedelta(hours=2))
    assert await scheduler.cancel(1, "test.move", "2") is True
    assert await scheduler.cancel(1, "test.move", "2") is False
    await scheduler.wait_idle()
    await clock.advance(timedelta(hours=4))
    await scheduler.wait_idle()
    assert fired == [START + timedelta(hours=1)]
    await scheduler.stop()


async def test_cancel_prefix(store, clock):
    scheduler = settled(Scheduler(store.timers, clock), clock)
    for key in ("7:24h", "7:1h", "70:24h", "8:1h"):
        await scheduler.schedule(1, "test.remind", key=key, due_at=START + timedelta(days=1))
    assert await scheduler.cancel_prefix(1, "test.remind", "7:") == 2
    assert sorted(t.key for t in await scheduler.pending(1)) == ["70:24h", "8:1h"]


async def test_after_downtime_late_timers_run_once_and_stale_ones_are_skipped(tmp_path, clock, caplog):
    path = tmp_path / "db.sqlite3"
    first = await open_store(path, clock)
    before = Scheduler(first.timers, clock)
    await before.schedule(1, "test.open", key="1", due_at=START + timedelta(days=1))
    await before.schedule(1, "test.remind", key="1:1h", due_at=START + timedelta(hours=23))
    await first.db.close()

    clock.settler = None
    await clock.advance(timedelta(days=7))  # a week of downtime
    store = await open_store(path, clock)
    opened: list[datetime] = []
    reminded: list[datetime] = []

    async def open_(timer: Timer) -> None:
        opened.append(clock.now())

    async def remind(timer: Timer) -> None:
        reminded.append(clock.now())

    after = settled(Scheduler(store.timers, clock), clock)
    after.on("test.open", open_, late="run")
    after.on("test.remind", remind, late="skip")
    with caplog.at_level(logging.INFO, logger="bot.scheduler"):
        after.start()
        await after.wait_idle()
    assert opened == [START + timedelta(days=7)]
    assert reminded == []
    assert any("Skipped stale test.remind" in r.getMessage() for r in caplog.records)
    await after.stop()
    await store.db.close()


async def test_a_crash_inside_a_handler_runs_it_again_after_restart(tmp_path, clock):
    path = tmp_path / "db.sqlite3"
    store = await open_store(path, clock)
    scheduler = Scheduler(store.timers, clock)
    entered = asyncio.Event()

    async def hangs(timer: Timer) -> None:
        entered.set()
        await asyncio.Event().wait()  # the process dies here

    scheduler.on("test.open", hangs)
    await scheduler.schedule(1, "test.open", key="1", due_at=START + timedelta(minutes=5))
    scheduler.start()
    await clock.advance(timedelta(minutes=5))
    await asyncio.wait_for(entered.wait(), 2)
    await scheduler.stop()
    await store.db.close()

    store = await open_store(path, clock)
    ran: list[str] = []

    async def completes(timer: Timer) -> None:
        ran.append(timer.key)

    again = settled(Scheduler(store.timers, clock), clock)
    again.on("test.open", completes)
    again.start()
    await again.wait_idle()
    assert ran == ["1"]
    assert await store.timers.for_guild(1) == []
    await again.stop()
    await store.db.close()


async def test_a_failing_handler_is_retried_with_backoff_then_dropped(store, clock, caplog):
    scheduler = settled(Scheduler(store.timers, clock, max_attempts=3), clock)
    attempts: list[datetime] = []

    async def fails(timer: Timer) -> None:
        attempts.append(clock.now())
        raise RuntimeError("Discord is down")

    scheduler.on("test.fail", fails)
    await scheduler.schedule(1, "test.fail", key="1", due_at=START)
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        scheduler.start()
        await scheduler.wait_idle()
        await clock.advance(timedelta(hours=1))
        await scheduler.wait_idle()
    assert [a - START for a in attempts] == [timedelta(0), timedelta(seconds=30), timedelta(seconds=90)]
    assert await store.timers.for_guild(1) == []
    assert any("failed 3 times; dropped" in r.getMessage() for r in caplog.records)
    await scheduler.stop()


async def test_a_timer_moved_while_its_handler_runs_is_kept(store, clock):
    scheduler = settled(Scheduler(store.timers, clock), clock)
    runs: list[datetime] = []

    async def reschedules(timer: Timer) -> None:
        runs.append(clock.now())
        if len(runs) == 1:
            await scheduler.schedule(1, "test.again", key="1", due_at=clock.now() + timedelta(days=1))

    scheduler.on("test.again", reschedules)
    await scheduler.schedule(1, "test.again", key="1", due_at=START)
    scheduler.start()
    await scheduler.wait_idle()
    assert len(await store.timers.for_guild(1)) == 1
    await clock.advance(timedelta(days=1))
    await scheduler.wait_idle()
    assert runs == [START, START + timedelta(days=1)]
    await scheduler.stop()


async def test_idle_scheduler_has_no_timer_to_wake_for(store, clock):
    scheduler = settled(Scheduler(store.timers, clock), clock)
    scheduler.start()
    await scheduler.wait_idle()
    # Nothing scheduled: the task waits on an event, not on a clock tick.
    assert clock.pending_sleepers == []
    await scheduler.schedule(1, "test.none", key="1", due_at=START + timedelta(days=30))
    await scheduler.wait_idle()
    assert clock.pending_sleepers == [START + timedelta(days=30)]
    await scheduler.stop()
