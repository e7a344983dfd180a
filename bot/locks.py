"""Per-key asyncio locks that are freed once nobody holds or waits on them."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable


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
