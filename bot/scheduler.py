"""The one scheduler: durable timers in the database, run by a task that sleeps until the next one.

Features register a handler per event (`scheduler.on("discussion.open", handler)`) and schedule timers
for their rows (`await scheduler.schedule(guild_id, "discussion.open", key="12", due_at=...)`).

Guarantees, in one process and across several on one database (PostgreSQL, `--shards`):
- Once across processes. A process claims due timers in one statement (`TimerRepository.claim_due`),
  each for a lease longer than a handler may run; no other process runs a timer while its claim lives.
  With a shard filter a process claims only its shards' guilds' timers, since handlers need the guild in
  its gateway cache. It deletes a timer only while it still holds it unmoved.
- At least once. A timer is deleted only after its handler returns, so a crash or restart in the middle
  of a handler runs it again: handlers must be idempotent (check the row's state first). A clean stop
  hands its claims back at once; a dead process's claims lapse with their lease (`LEASE`, 15 min by
  default; the SCHEDULER_LEASE_SECONDS setting), and the process serving that guild's shard next (its
  restart, or a replacement) takes them over.
- A claim outlives its handler. A handler runs only while its claim has more than `renew_below` left
  (else the claim is renewed for a whole lease first), and is cut off after `handler_timeout`, which is
  shorter than `renew_below`: the difference is the margin for clock skew and the closing commit. With
  the default lease these are HANDLER_TIMEOUT (5 min) and RENEW_BELOW (7 min). A shorter lease, for fast
  failover or tests, scales both down (`lease_limits`): the handler gets a third of the lease, renewal
  starts below half of it, so the margin is a sixth of the lease (at least MIN_LEASE / 6, 0.5 s).
- No busy polling. The task sleeps on the injected clock until the soonest timer (or lease end), and
  wakes early when this process schedules a sooner one. On a shared database it also wakes every `poll`
  (15 s by default), so that a timer another process scheduled for one of its guilds is not missed.
  Idle on SQLite, it costs nothing.
- Catch-up. After downtime every overdue timer runs once (`late="run"`), except events registered with
  `late="skip"` (reminders), which are dropped and logged when they are more than `grace` late.
- Failures. A handler that raises is retried with backoff, then dropped with an error log. A handler
  that kills its process counts too: a timer is marked started before its handler runs, and taking over
  a lapsed claim so marked counts a failed attempt (`claim_due`; on SQLite, the start-up's taking back of
  a killed process's claims). A timer with `max_attempts` failures is dropped, with an error log, instead
  of being run again, so a "poison" timer cannot crash-loop the fleet. A clean stop's hand-back and the
  timers claimed in the same batch but not yet started count nothing.
- Order. A guild's due timers run one after another in due order; different guilds run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.clock import Clock
from bot.store.timers import ShardFilter, Timer, TimerRepository

log = logging.getLogger(__name__)

Handler = Callable[[Timer], Awaitable[None]]
LatePolicy = Literal["run", "skip"]

__all__ = ["Handler", "LatePolicy", "Scheduler", "ShardFilter", "Timer"]

DEFAULT_GRACE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
HANDLER_TIMEOUT = 300.0  # seconds; a handler stuck on the network must not stall every other club
CONCURRENT_GUILDS = 8
# A claim outlives the longest handler with room for clock skew between machines and slow commits; a
# timer whose turn comes with less than RENEW_BELOW of its lease left has the lease renewed first.
LEASE = timedelta(minutes=15)
RENEW_BELOW = timedelta(seconds=HANDLER_TIMEOUT) + timedelta(minutes=2)
# Below this a claim could lapse while a healthy handler makes one slow round trip to Discord.
MIN_LEASE = timedelta(seconds=3)
POLL_INTERVAL = timedelta(seconds=15)  # how often a process on a shared database looks for others' timers
CLAIM_BATCH = 500


def lease_limits(lease: timedelta) -> tuple[float, timedelta]:
    """Return the handler timeout (seconds) and the renewal threshold for claims of `lease`.

    Each is the default's or, for a short lease, a share of it (a third, a half): the handler always
    stops before a claim it started with more than the threshold left could lapse.
    """
    if lease < MIN_LEASE:
        raise ValueError(f"a lease must be at least {MIN_LEASE.total_seconds():g} s, not {lease}")
    handler_timeout = min(HANDLER_TIMEOUT, lease.total_seconds() / 3)
    renew_below = min(RENEW_BELOW, lease / 2)
    return handler_timeout, renew_below


def instance_id() -> str:
    """Return an id for this process's claims: host and pid for operators, random so none is reused."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


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
        owner: str | None = None,
        shards: ShardFilter | None = None,
        lease: timedelta = LEASE,
        poll: timedelta | None = None,
        claim_batch: int = CLAIM_BATCH,
    ) -> None:
        """Run `timers` on `clock`: all of them, or with `shards` only those of these shards' guilds.

        `owner` names this process's claims (one per process); `lease` is how long a claim lives (a dead
        process's timers wait that long); `poll` caps each sleep, for a database other processes schedule
        into (None: sleep until the next timer this process knows of).
        """
        self.handler_timeout, self.renew_below = lease_limits(lease)
        self._timers = timers
        self._clock = clock
        self._ready = ready
        self._max_attempts = max_attempts
        self.owner = owner or instance_id()
        self.shards = shards
        self._lease = lease
        self._poll = poll
        self._claim_batch = claim_batch
        self._claimed = False  # whether this scheduler may hold claims to hand back on stop
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
        """Stop the task and hand back its claims; timers stay in the database for the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._claimed:
            try:
                released = await self._timers.release(self.owner)
            except Exception:
                log.warning("Could not hand back timer claims; they lapse in %s", self._lease, exc_info=True)
            else:
                self._claimed = False
                if released:
                    log.info("Handed back %d timer claim(s) cut off by the stop", released)

    @property
    def lease(self) -> timedelta:
        """Return how long this scheduler's claims live unless renewed."""
        return self._lease

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
                next_at = await self._timers.next_due_at(self.shards)
            except Exception:
                log.exception("Scheduler pass failed; trying again shortly")
                next_at = self._clock.now() + FIRST_RETRY
            if self._poll is not None:
                polled = self._clock.now() + self._poll
                next_at = polled if next_at is None else min(next_at, polled)
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
            self._claimed = True  # before the claim: a cancel may cut in once it is sent
            batch = await self._timers.claim_due(now, self.owner, self._lease, self.shards, self._claim_batch)
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
        if timer.attempts >= self._max_attempts:
            # Its last runs ended with their process (each claim lapsed with the handler started).
            log.error(
                "Timer %s (%s, guild %s, key %s) failed %d times, its process dying mid-handler; dropped",
                timer.id,
                timer.event,
                timer.guild_id,
                timer.key,
                timer.attempts,
            )
            await self._timers.finish(timer, self.owner)
            return 0
        registration = self._handlers.get(timer.event)
        if registration is None:
            log.warning("Dropping timer %s: no feature handles %r any more", timer.id, timer.event)
            await self._timers.finish(timer, self.owner)
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
            await self._timers.finish(timer, self.owner)
            return 0
        held = await self._hold(timer)
        if held is None:
            return 0
        timer = held
        try:
            await asyncio.wait_for(registration.handler(timer), self.handler_timeout)
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
                await self._timers.finish(timer, self.owner)
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
                await self._timers.retry(timer, self._clock.now() + delay, self.owner)
            return 1
        self.runs += 1
        await self._timers.finish(timer, self.owner)
        return 1

    async def _hold(self, timer: Timer) -> Timer | None:
        """Mark the timer started, with enough lease left for its handler; None if this process lost it.

        A timer waits behind its guild's earlier ones; when its turn comes late in the lease, the claim
        is renewed first (in the same statement), so it never runs while another process could take it over.
        """
        now = self._clock.now()
        enough = timer.claimed_until is not None and timer.claimed_until - now > self.renew_below
        renewed = await self._timers.begin(timer, self.owner, None if enough else now + self._lease)
        if renewed is None:
            log.info(
                "Timer %s (%s, guild %s) was moved or taken over; not run here",
                timer.id,
                timer.event,
                timer.guild_id,
            )
        return renewed
