"""The one scheduler: durable timers in SQLite, run by a single task that sleeps until the next one.

Features register a handler per event (`scheduler.on("discussion.open", handler)`) and schedule timers
for their rows (`await scheduler.schedule(guild_id, "discussion.open", key="12", due_at=...)`).

Guarantees:
- At least once. A timer is deleted only after its handler returns, so a crash or restart in the middle
  of a handler runs it again: handlers must be idempotent (check the row's state first).
- No polling. The task sleeps on the injected clock until the soonest timer, and wakes early when a
  sooner one is scheduled. Idle, it costs nothing.
- Catch-up. After downtime every overdue timer runs once (`late="run"`), except events registered with
  `late="skip"` (reminders), which are dropped and logged when they are more than `grace` late.
- Failures. A handler that raises is retried with backoff, then dropped with an error log.
- Order. A guild's due timers run one after another in due order; different guilds run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.clock import Clock
from bot.store.timers import Timer, TimerRepository

log = logging.getLogger(__name__)

Handler = Callable[[Timer], Awaitable[None]]
LatePolicy = Literal["run", "skip"]

__all__ = ["Handler", "LatePolicy", "Scheduler", "Timer"]

DEFAULT_GRACE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
HANDLER_TIMEOUT = 300.0  # seconds; a handler stuck on the network must not stall every other club
CONCURRENT_GUILDS = 8


@dataclass(frozen=True)
class _Registration:
    handler: Handler
    late: LatePolicy
    grace: timedelta


class Scheduler:
    """Run features' timers at their due time, once, across restarts."""

    def __init__(
        self,
        timers: TimerRepository,
        clock: Clock,
        *,
        ready: Callable[[], Awaitable[Any]] | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._timers = timers
        self._clock = clock
        self._ready = ready
        self._max_attempts = max_attempts
        self._handlers: dict[str, _Registration] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sleeping_until: datetime | None = None
        self.runs = 0  # handlers run since start, for tests and benchmarks

    # --- Registration and scheduling --------------------------------------------------------------

    def on(
        self, event: str, handler: Handler, *, late: LatePolicy = "run", grace: timedelta = DEFAULT_GRACE
    ) -> None:
        """Register the handler for `event` (one per event)."""
        if event in self._handlers and self._handlers[event].handler != handler:
            raise ValueError(f"a handler for {event!r} is already registered")
        self._handlers[event] = _Registration(handler, late, grace)

    def off(self, event: str) -> None:
        """Unregister `event`'s handler (its timers wait in the database until it is registered again)."""
        self._handlers.pop(event, None)

    async def schedule(
        self,
        guild_id: int,
        event: str,
        *,
        key: str,
        due_at: datetime,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        """Run `event` for `key` at `due_at`; scheduling the same key again moves it."""
        await self._timers.upsert(guild_id, event, key, due_at, payload or {})
        self._wake.set()

    async def cancel(self, guild_id: int, event: str, key: str) -> bool:
        """Drop a timer; return whether there was one."""
        return await self._timers.cancel(guild_id, event, key)

    async def cancel_prefix(self, guild_id: int, event: str, key_prefix: str) -> int:
        """Drop every timer of `event` whose key starts with `key_prefix`; return how many."""
        return await self._timers.cancel_prefix(guild_id, event, key_prefix)

    async def pending(self, guild_id: int) -> list[Timer]:
        """Return a guild's timers, soonest first."""
        return await self._timers.for_guild(guild_id)

    # --- Running ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the task that runs due timers (after `ready`, e.g. once the bot is connected)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="bookclub-scheduler")

    async def stop(self) -> None:
        """Stop the task; timers stay in the database for the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        """Say whether the task is running."""
        return self._task is not None and not self._task.done()

    async def wait_idle(self, within: float = 10.0) -> None:
        """Return once nothing is due and the task is asleep (for tests after moving a fake clock)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            for _ in range(3):
                await asyncio.sleep(0)
            due = self._sleeping_until is not None and self._sleeping_until <= self._clock.now()
            if self._idle.is_set() and not due and not self._wake.is_set():
                return
            await asyncio.sleep(0.005)
        raise TimeoutError("the scheduler did not become idle")

    async def _loop(self) -> None:
        if self._ready is not None:
            await self._ready()
        while True:
            self._wake.clear()
            self._idle.clear()
            try:
                await self.run_due()
                next_at = await self._timers.next_due_at()
            except Exception:
                log.exception("Scheduler pass failed; trying again shortly")
                next_at = self._clock.now() + FIRST_RETRY
            self._sleeping_until = next_at
            self._idle.set()
            await self._sleep(next_at)
            self._sleeping_until = None

    async def _sleep(self, until: datetime | None) -> None:
        """Sleep until `until` (or forever), or until a sooner timer is scheduled."""
        if until is not None and until <= self._clock.now():
            return
        waiters: set[asyncio.Task[Any]] = {asyncio.ensure_future(self._wake.wait())}
        if until is not None:
            waiters.add(asyncio.ensure_future(self._clock.sleep_until(until)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def run_due(self) -> int:
        """Run every timer due now; return how many handlers ran."""
        ran = 0
        while True:
            now = self._clock.now()
            batch = await self._timers.due(now)
            if not batch:
                return ran
            by_guild: dict[int, list[Timer]] = defaultdict(list)
            for timer in batch:
                by_guild[timer.guild_id].append(timer)
            gate = asyncio.Semaphore(CONCURRENT_GUILDS)
            results = await asyncio.gather(*(self._run_guild(ts, now, gate) for ts in by_guild.values()))
            ran += sum(results)

    async def _run_guild(self, timers: list[Timer], now: datetime, gate: asyncio.Semaphore) -> int:
        """Run one guild's due timers one after another."""
        async with gate:
            count = 0
            for timer in timers:
                count += await self._run_one(timer, now)
            return count

    async def _run_one(self, timer: Timer, now: datetime) -> int:
        registration = self._handlers.get(timer.event)
        if registration is None:
            log.warning("Dropping timer %s: no feature handles %r any more", timer.id, timer.event)
            await self._timers.finish(timer)
            return 0
        late_by = now - timer.due_at
        if registration.late == "skip" and late_by > registration.grace:
            log.info(
                "Skipped stale %s for guild %s key %s (%s late)",
                timer.event,
                timer.guild_id,
                timer.key,
                late_by,
            )
            await self._timers.finish(timer)
            return 0
        try:
            await asyncio.wait_for(registration.handler(timer), HANDLER_TIMEOUT)
        except Exception:
            attempts = timer.attempts + 1
            if attempts >= self._max_attempts:
                log.exception(
                    "Timer %s (%s, guild %s, key %s) failed %d times; dropped",
                    timer.id,
                    timer.event,
                    timer.guild_id,
                    timer.key,
                    attempts,
                )
                await self._timers.finish(timer)
            else:
                delay = FIRST_RETRY * (2**timer.attempts)
                log.warning(
                    "Timer %s (%s, guild %s) failed; retrying in %s",
                    timer.id,
                    timer.event,
                    timer.guild_id,
                    delay,
                    exc_info=True,
                )
                await self._timers.retry(timer, self._clock.now() + delay)
            return 1
        self.runs += 1
        await self._timers.finish(timer)
        return 1
