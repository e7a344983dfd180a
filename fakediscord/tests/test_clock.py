"""FakeClock: sleepers wake in order, re-armed sleepers fire inside one advance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fakediscord import FakeClock

START = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def test_sleepers_wake_in_order_with_the_right_now() -> None:
    clock = FakeClock(start=START, settle_seconds=0)
    woke: list[tuple[str, datetime]] = []

    async def sleeper(name: str, hours: int) -> None:
        await clock.sleep_until(START + timedelta(hours=hours))
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper("b", 2)), asyncio.create_task(sleeper("a", 1))]
    await asyncio.sleep(0)
    await clock.advance(timedelta(minutes=90))
    assert woke == [("a", START + timedelta(hours=1))]
    await clock.advance(timedelta(hours=1))
    assert [n for n, _ in woke] == ["a", "b"]
    assert clock.now() == START + timedelta(minutes=150)
    await asyncio.gather(*tasks)


async def test_daily_loop_fires_every_day_of_a_week() -> None:
    clock = FakeClock(start=START, settle_seconds=0)
    fired: list[datetime] = []

    async def daily() -> None:
        while True:
            await clock.sleep_until(clock.now() + timedelta(days=1))
            fired.append(clock.now())

    task = asyncio.create_task(daily())
    await asyncio.sleep(0)
    await clock.advance(timedelta(days=7))
    assert len(fired) == 7 and fired[-1] == START + timedelta(days=7)
    task.cancel()


async def test_past_instant_returns_at_once_and_naive_is_refused() -> None:
    clock = FakeClock(start=START)
    await asyncio.wait_for(clock.sleep_until(START - timedelta(days=1)), 0.1)
    with pytest.raises(ValueError, match="aware"):
        FakeClock(start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="backwards"):
        await clock.advance(timedelta(seconds=-1))
