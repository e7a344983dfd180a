"""A controllable clock shared by the emulator and the bot under test."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

TickListener = Callable[[datetime], Awaitable[None]]


class FakeClock:
    """Implement `bot.clock.Clock` with time that only moves when a test advances it."""

    def __init__(self, start: datetime | None = None, *, settle_seconds: float = 0.02) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._listeners: list[TickListener] = []
        self.settle_seconds = settle_seconds
        self.settler: Callable[[float], Awaitable[None]] | None = None

    def now(self) -> datetime:
        """Return the current fake instant (aware UTC)."""
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        """Return once the clock has been advanced to `when` or past it."""
        if when <= self._now:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._order), fut))
        await fut

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of fake time."""
        await self.sleep_until(self._now + timedelta(seconds=seconds))

    def add_listener(self, listener: TickListener) -> None:
        """Call `listener(now)` after every step of `advance` (the emulator expires polls this way)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: TickListener) -> None:
        """Stop calling `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def pending_sleepers(self) -> list[datetime]:
        """The instants somebody is waiting for, earliest first."""
        return sorted(w for w, _, fut in self._sleepers if not fut.done())

    async def advance(self, delta: timedelta | float, *, settle: float | None = None) -> None:
        """Move time forward, waking each sleeper in order and letting the loop run after each wake-up.

        Sleepers registered by woken code (a daily loop re-arming itself) fire too if they fall in the window.
        """
        if isinstance(delta, int | float):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("time does not go backwards")
        target = self._now + delta
        settle = self.settle_seconds if settle is None else settle
        while True:
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            when = self._sleepers[0][0]
            self._now = max(self._now, when)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, fut = heapq.heappop(self._sleepers)
                if not fut.done():
                    fut.set_result(None)
            await self._tick(settle)
        self._now = target
        await self._tick(settle)

    async def set(self, when: datetime) -> None:
        """Advance to the absolute instant `when`."""
        await self.advance(when - self._now)

    async def _tick(self, settle: float) -> None:
        for listener in list(self._listeners):
            await listener(self._now)
        for _ in range(5):
            await asyncio.sleep(0)
        if self.settler is not None:
            await self.settler(settle)
        elif settle:
            await asyncio.sleep(settle)
