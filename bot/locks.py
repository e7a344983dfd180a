"""Per-key asyncio locks that are freed once nobody holds or waits on them, and one-at-a-time background runs."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Hashable


class KeyedLocks:
    """Hand out one `asyncio.Lock` per key; a lock lives only while a task holds or awaits it.

    The map keeps weak references: `async with locks(key):` holds the lock strongly for the duration,
    so a key that is never used again costs no memory afterwards (a bot runs for months).
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: Hashable) -> asyncio.Lock:
        """Return the lock for `key`, making it if no task uses one now."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def peek(self, key: Hashable) -> asyncio.Lock | None:
        """Return the lock for `key` if a task uses one now, without making one."""
        return self._locks.get(key)

    def __len__(self) -> int:
        """Return how many locks are alive."""
        return len(self._locks)


class BackgroundRun:
    """A background job that runs once at a time: `start` begins it unless it is running, `stop` cancels it.

    Features catch up with Discord this way after a (re)connect: the job resumes on the next start, and
    `stop` at shutdown leaves no task failing on a closed database.
    """

    def __init__(self, job: Callable[[], Awaitable[None]], *, name: str) -> None:
        self._job = job
        self._name = name
        self.task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        """Tell whether a run started and finished."""
        return self.task is not None and self.task.done()

    def start(self) -> None:
        """Begin a run unless one is under way."""
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        await self._job()

    async def stop(self) -> None:
        """Cancel a run still under way and wait for it to end."""
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
